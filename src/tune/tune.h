/* The tuning workbench: compare the alerts of two versions of a rule over the
 * same data, count what changed per day, group removed and added alerts by
 * the rule's investigation fields, and check true positives against labels.
 *
 * tune/ never evaluates a rule itself: it works on alert sets the engine made
 * (DESIGN.md: "built on engine results, no private evaluator"). An alert is
 * reduced here to what the comparison needs: a time, an identity that is the
 * same across both versions (the source event's id), and the source document
 * to read field values from.
 *
 * Ownership: a th_talerts borrows every document and string it holds (they
 * live in the caller's arena). A th_tune_diff owns nothing on the heap: all it
 * points to lives in the arena given to th_tune_diff_compute, plus borrowed
 * alerts. Thread safety: none needed; everything is single-threaded. */
#ifndef TH_TUNE_TUNE_H
#define TH_TUNE_TUNE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/map.h"
#include "base/str.h"
#include "json/json.h"

typedef struct th_talert {
    int64_t ts_ms;      /* time of the source event (@timestamp), TH_TIME_NONE if unknown */
    th_str id;          /* identity across versions: source event.id, else the alert id */
    const th_jval *doc; /* the source event (ECS), for field values */
} th_talert;

typedef struct th_talerts {
    th_talert *items;
    size_t len, cap;
} th_talerts;

void th_talerts_push(th_talerts *s, th_talert a);
void th_talerts_free(th_talerts *s);
/* Reads identity and time from an ECS document (event.id, @timestamp) or an
 * alert document (kibana.alert.original_time, kibana.alert.uuid); the doc is
 * borrowed. Returns false when the doc has no usable identity. */
bool th_talert_from_doc(const th_jval *doc, th_talert *out);

/* ---- field statistics ------------------------------------------------- */

/* A field value as text: strings as is, numbers as written, booleans as
 * true/false. Objects and nulls are not values (they count as missing). */
bool th_tune_value_text(const th_jval *v, th_str *out);

typedef struct th_tune_count {
    th_str value;
    size_t count;
} th_tune_count;

typedef struct th_tune_top {
    const char *field;
    th_tune_count *values; /* most frequent first, ties by value */
    size_t nvalues;        /* at most the `k` asked for */
    size_t distinct;       /* distinct values seen */
    size_t missing;        /* alerts without any value for the field */
} th_tune_top;

/* Top-k values of `field` over the alerts (each alert counts a value once,
 * however often it holds it). Strings are borrowed from the documents. */
void th_tune_top_values(th_arena *a, const th_talert *const *alerts, size_t n, const char *field,
                        size_t k, th_tune_top *out);

/* ---- labels ------------------------------------------------------------ */

/* A set of event ids known to be true positives. */
typedef struct th_labels {
    th_arena arena;
    th_map ids; /* event id -> non-NULL */
    size_t len;
} th_labels;

void th_labels_init(th_labels *l);
void th_labels_free(th_labels *l);
/* labels.ndjson as `trailhound emulate` writes it: one object per event with
 * its id (eventID / event_id / id), whether it is malicious, and the ids of the
 * rules expected to fire (expected_rules / rules / rule_ids). An event counts
 * when it is malicious and, if it names rules, names `rule_id` or `rule_name`.
 * Returns the number of lines that could not be read (reported to errf). */
size_t th_labels_load_ndjson(th_labels *l, const char *text, size_t len, const char *rule_id,
                             const char *rule_name, const char *file, FILE *errf);
/* One event id per line (blank lines and `#` comments ignored). */
void th_labels_load_lines(th_labels *l, const char *text, size_t len);
bool th_labels_has(const th_labels *l, th_str id);

/* ---- comparison ---------------------------------------------------------- */

typedef struct th_tune_day {
    int64_t day; /* days since 1970-01-01 (UTC) */
    size_t before, after;
} th_tune_day;

typedef struct th_tune_diff {
    size_t nbefore, nafter, nkept;
    const th_talert **removed; /* in before, not in after; in time order */
    size_t nremoved;
    const th_talert **added; /* in after, not in before; in time order */
    size_t nadded;
    th_tune_day *days; /* every day from the first to the last alert (or --from/--to) */
    size_t ndays;
    th_tune_top *removed_top; /* one per field, in the order given */
    th_tune_top *added_top;
    size_t nfields;
    /* true positives (has_labels only) */
    bool has_labels;
    size_t tp_labeled; /* labeled ids */
    size_t tp_before, tp_after, tp_kept, tp_lost, tp_gained;
    const th_talert **lost; /* true positives the new version no longer raises */
    size_t nlost;
} th_tune_diff;

typedef struct th_tune_opts {
    const char *const *fields; /* group removed/added alerts by these (investigation_fields) */
    size_t nfields;
    size_t top_k;            /* values shown per field (default 5) */
    int64_t from_ms, to_ms;  /* period shown per day; TH_TIME_NONE = from the alerts */
    const th_labels *labels; /* NULL = no labels */
} th_tune_opts;

/* Compares two alert sets. Alerts are matched by id; duplicates of an id in
 * one set count once for matching but every alert counts in the totals. */
void th_tune_diff_compute(th_arena *a, const th_talerts *before, const th_talerts *after,
                          const th_tune_opts *opts, th_tune_diff *out);

/* Percentage change from b to a, for display (b == 0: +inf shown as "new"). */
double th_tune_pct(size_t b, size_t a);

#endif
