/* Root-cause analysis of a rule's alert noise, in the spirit of Julisch's
 * alarm clustering (ACM TISSEC 2003): alerts are grouped into clusters
 * described by one or two attribute conditions with generalised values, and
 * the clusters that explain many alerts, are specific to them and recur over
 * the period are proposed as exclusions.
 *
 * Attributes. Each known field belongs to one class:
 *   provenance  how the call was made: user agent (and its family), whether a
 *               source IP exists and its network (/24, /16), invoked_by,
 *               console session, MFA, TLS, outcome. Excluding it is tuning.
 *   identity    who made it: user, role (session issuer), ARN (and its path),
 *               identity type, access key. Excluding it is an exception-list
 *               entry, not a query change.
 *   scope       where: region, account, service, action. Excluding it blinds
 *               the rule to that scope; such clusters are flagged and ranked
 *               after every other.
 * Equivalent fields are one attribute: `source.address` is read where
 * `source.ip` is absent, `related.user` where `user.name` is. Clusters that
 * hold exactly the same alerts are one suggestion (the first in rank order,
 * the others listed as equivalents).
 *
 * Generalised values: a value; a field's absence or presence; IPv4 /24 and
 * /16 networks; an ARN's path through its last '/'; a user agent's family
 * (the tool's product token: aws-cli/, Boto3/, Terraform/, Mozilla/, a
 * service's domain ...) as a wildcard pattern.
 *
 * Ranking. For a cluster covering k of N alerts, of which s of the S events
 * the rule's query selects and d of the D events in the data hold the
 * conditions: coverage k/N, lift against the selection (k/N)/(s/S) and
 * against the data (k/N)/(d/D), recurrence (the days with alerts of the
 * cluster out of the days of the period). score = coverage x (log2 lift_data
 * + log2 lift_selected) x (1 + recurrence) / 2: a condition every event holds
 * (lift 1) scores 0, a one-day burst (an incident) half of a daily rhythm
 * (automation). Order: non-scope before scope; with labels, clusters that
 * lose no true positive before those that do; then score.
 *
 * Use: th_noise_build on the alerts, th_noise_observe for every event of the
 * data (the replay's observer), th_noise_rank, th_noise_free.
 *
 * Ownership: everything lives in the arena given to th_noise_build; the
 * alert documents are borrowed. Not thread safe (one caller). */
#ifndef TH_TUNE_NOISE_H
#define TH_TUNE_NOISE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "tune/tune.h"

typedef enum th_noise_kind {
    TH_NOISE_VALUE,   /* f: "value" */
    TH_NOISE_MISSING, /* not f: *  (the alert lacks the field) */
    TH_NOISE_PREFIX,  /* f: value*  (a family, an ARN path) */
    TH_NOISE_PRESENT, /* f: * */
    TH_NOISE_CIDR,    /* f: "a.b.c.0/24" */
    TH_NOISE_PATTERN, /* f: *token*  (value is the whole wildcard pattern) */
} th_noise_kind;

typedef enum th_noise_class {
    TH_NOISE_PROVENANCE,
    TH_NOISE_IDENTITY,
    TH_NOISE_SCOPE,
} th_noise_class;

/* One attribute condition an alert holds. */
typedef struct th_noise_cond {
    th_noise_kind kind;
    const char *field;
    th_str value; /* value, prefix, network or pattern; empty for MISSING/PRESENT */
    th_noise_class cls;
} th_noise_cond;

typedef struct th_noise_cluster {
    th_noise_cond cond[2];
    size_t ncond;
    th_noise_class cls; /* identity if a condition is; scope if all are */
    size_t alerts;      /* alerts holding every condition */
    size_t tp;          /* of which labeled true positives */
    size_t selected;    /* events the rule's query selects holding them */
    size_t events;      /* events of the data holding them */
    size_t days;        /* distinct days with an alert of the cluster */
    double coverage, lift_selected, lift_data, recurrence, score;
    bool removes_all;     /* every alert: disabling, offered only as an exception */
    const char *kql;      /* the clause to add: "and not (...)", "and f: *" */
    const char *positive; /* the conditions as KQL, e.g. `user.name: "ci"` */
    const struct th_noise_cluster *same[4]; /* equivalent clusters (same alerts) */
    size_t nsame;
    uint64_t *bits; /* the alerts it holds (bitset over the alert set) */
    size_t attr;    /* its first attribute's place (ties rank the known mechanisms first) */
} th_noise_cluster;

typedef struct th_noise_opts {
    const char *const *fields; /* extra fields (investigation fields, --field) */
    size_t nfields;
    const th_labels *labels; /* NULL = true positives unknown */
    size_t min_alerts;       /* clusters holding fewer are left out (0: 2, or 1 for < 4 alerts) */
    size_t ndays;            /* days in the period (for recurrence; 0 = from the alerts) */
} th_noise_opts;

typedef struct th_noise th_noise;

/* Builds the candidate clusters from the alerts. */
th_noise *th_noise_build(th_arena *a, const th_talerts *alerts, const th_noise_opts *o);
/* Counts one event of the data: `selected` when the rule's query selects it. */
void th_noise_observe(th_noise *n, const th_jval *doc, bool selected);
/* Ranks the clusters (see above) and returns them in *out; equivalent
 * clusters are folded into the first one's `same`. */
size_t th_noise_rank(th_noise *n, th_noise_cluster ***out);
/* Frees what the analysis holds outside its arena (the clusters stay). */
void th_noise_free(th_noise *n);
/* Events observed (all, selected). */
void th_noise_totals(const th_noise *n, size_t *events, size_t *selected);

/* The KQL clause that removes what a single condition describes, e.g.
 * `and not user_agent.original: "AWS Internal"`, `and source.ip: *`. */
const char *th_noise_kql(th_arena *a, th_noise_kind kind, const char *field, th_str value);
/* The clause that removes what all the conditions hold (`and not (a and b)`). */
const char *th_noise_cluster_kql(th_arena *a, const th_noise_cond *c, size_t n);
/* The condition itself as KQL (`f: "v"`, `not f: *`, `f: aws-cli/` and a star). */
const char *th_noise_cond_kql(th_arena *a, const th_noise_cond *c);

/* The common ECS and CloudTrail fields used to group alerts when a rule has
 * no investigation fields (tune); NULL-terminated. */
extern const char *const th_noise_common_fields[];

extern const char *const th_noise_class_names[]; /* "provenance", "identity", "scope" */

#endif
