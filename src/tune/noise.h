/* Noise ranking: over a rule's alerts, which single condition would remove
 * the most of them? Candidates per field: one value (`not f: "v"`), the
 * field's absence (`f: *`), a value prefix (`not f: pfx*`: up to the first
 * `/`, space or `:`, or through the last `/`, when it covers several values). A candidate that
 * would remove every alert is not a tuning but a disabled rule; it is left
 * out. With labels, alerts on true positives count against a candidate.
 *
 * The counts are exact for rules whose alerts are one per matching event
 * (query, EQL without sequences); for new_terms and threshold rules removing
 * events also changes which later event becomes "new" or crosses the
 * threshold, so the CLI re-runs the top candidates through the engine and
 * reports the verified count next to the estimate.
 *
 * Ownership: candidates, their KQL text and values live in the arena given. */
#ifndef TH_TUNE_NOISE_H
#define TH_TUNE_NOISE_H

#include <stddef.h>

#include "base/arena.h"
#include "tune/tune.h"

typedef enum th_noise_kind {
    TH_NOISE_VALUE,   /* not field: "value" */
    TH_NOISE_MISSING, /* field: *  (drops alerts without the field) */
    TH_NOISE_PREFIX,  /* not field: prefix* */
} th_noise_kind;

typedef struct th_noise_cand {
    th_noise_kind kind;
    const char *field;
    th_str value;      /* the value or prefix (without the *); empty for MISSING */
    size_t removed;    /* alerts the condition removes */
    size_t tp_removed; /* of which labeled true positives */
    const char *kql;   /* the clause to add, starting with "and " */
} th_noise_cand;

typedef struct th_noise_opts {
    const char *const *fields;
    size_t nfields;
    const th_labels *labels; /* NULL = none */
    size_t min_removed;      /* leave out candidates removing fewer (default 1) */
    size_t max_values;       /* distinct values tried per field (default 64) */
} th_noise_opts;

/* Ranks candidates: most non-true-positive alerts removed first, then fewer
 * true positives lost, then absence before value before prefix, then field
 * order. Returns the number of candidates in *out (arena-allocated). */
size_t th_noise_rank(th_arena *a, const th_talerts *alerts, const th_noise_opts *o,
                     th_noise_cand **out);

/* The KQL clause that removes what the candidate describes, e.g.
 * `and not user_agent.original: "AWS Internal"`. */
const char *th_noise_kql(th_arena *a, th_noise_kind kind, const char *field, th_str value);

/* The common ECS and CloudTrail fields noise looks at besides a rule's
 * investigation fields; NULL-terminated. */
extern const char *const th_noise_common_fields[];

#endif
