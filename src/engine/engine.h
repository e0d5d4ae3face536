/* The engine: runs a rule set over ECS events in two stages (DESIGN.md).
 *
 *  1. Hot pass (th_engine_feed, once per event): route the event to candidate
 *     rules through a prefilter index on literal event.provider / event.action /
 *     data_stream.dataset values, evaluate each candidate's predicate, and keep
 *     a compact match record (timestamps, stable event id, serialised source,
 *     and the field values the rule's later stages need). No time windows here.
 *  2. Temporal pass (th_engine_finish, once): per rule, replay Elastic's
 *     scheduler over the matches (SEMANTICS.md 2.6): runs every `interval`,
 *     window [run - lookback, run] on event.ingested with @timestamp fallback,
 *     max_signals, deterministic alert ids for overlap de-duplication, then the
 *     rule type's logic (query, EQL single-event, new_terms, threshold,
 *     alert suppression). Alerts come out in (run time, rule, order) order.
 *
 * The predicate is behind an interface (th_pred_fn) so the engine knows
 * nothing of query languages; th_engine_pred_query adapts query/query.h.
 *
 * Ownership: the engine copies what it keeps from fed events (the event may be
 * freed right after th_engine_feed). Rules, predicates and exception lists
 * passed to th_engine_add_rule are borrowed and must outlive the engine.
 * Alerts handed to the sink are valid only during the callback.
 * Thread safety: one engine per thread; predicates must be read-only. */
#ifndef TH_ENGINE_ENGINE_H
#define TH_ENGINE_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/str.h"
#include "ecs/demand.h"
#include "ecs/rawproj.h"
#include "event/event.h"
#include "json/json.h"
#include "rules/rule.h"

/* The complete ECS document of a raw CloudTrail record (its exact text), in
 * arena a; NULL when it cannot be had. */
typedef th_jval *(*th_materialise_fn)(void *ctx, th_arena *a, th_str raw);

/* True when the document satisfies the rule's filter. */
typedef bool (*th_pred_fn)(const void *pred, const th_jval *doc);

/* A necessary condition of a rule's filter: the document carries one of
 * `values` at `field` (compared exactly, or ASCII case-insensitively when
 * `nocase`). Only event.provider, event.action and data_stream.dataset are
 * indexed; a rule with no indexable condition is a candidate for every event. */
typedef struct th_prefilter {
    const char *field;
    const th_str *values;
    size_t nvalues;
    bool nocase;
} th_prefilter;

typedef struct th_exceptions th_exceptions; /* engine/exceptions.h */

typedef struct th_engine_opts {
    int64_t from_ms, to_ms;     /* simulated period; TH_TIME_NONE = the data's span */
    int64_t phase_ms;           /* runs at epoch + phase + k*interval */
    int64_t max_signals;        /* > 0 overrides every rule's max_signals */
    uint64_t max_state_bytes;   /* per-rule cap on temporal state; 0 = none */
    uint64_t max_memory_bytes;  /* one budget for everything the engine keeps across
                                   rules (documents, match records, state); 0 = none */
    bool no_suppression;        /* ignore alert_suppression (an unlicensed Kibana does) */
    bool profile;               /* time every predicate evaluation (eval_ns) */
    bool filters_only;          /* `match`: every rule is a per-event filter and nothing
                                   more: any rule type is added (no schedule or type
                                   checks), nothing is captured, events without a time
                                   are evaluated too, and th_engine_commit only counts
                                   (evals, matches): the verb reads the hits itself */
    const char *space_id;       /* Kibana space in alert ids; "default" */
    const char *source_index;   /* _index of source events in ids/ancestors */
    /* Incremental runs (--state; th_engine_load_* / th_engine_save below):
     * each rule's schedule continues after the last run an earlier
     * invocation did and stops at `to` (default: the newest event read by
     * any run so far, less settle_ms), so that a run never executes before
     * every event its window holds was read. */
    bool incremental;
    bool final_runs;            /* also the runs after `to` whose windows reach it (the
                                   period is over), as a replay does */
    int64_t settle_ms;          /* see above */
    int64_t watermark_ms;       /* newest combined time earlier runs read, or TH_TIME_NONE */
    uint64_t order_base;        /* added to input positions (tie-breaks): the events
                                   of earlier runs came first */
} th_engine_opts;

/* Per-rule results, for the summary and --profile. */
typedef struct th_rule_report {
    const th_rule *rule;
    const char *skipped;        /* reason when the rule could not run, else NULL */
    bool failed;                /* (with skipped) it could not run because it is broken
                                   (its query does not compile), as Kibana reports a
                                   rule whose search Elasticsearch rejects as failed */
    uint64_t evals;             /* predicate evaluations (hot pass) */
    uint64_t matches;           /* events that matched the filter */
    uint64_t dropped;           /* matches not kept: no run could alert them (engine/retain.c) */
    uint64_t excepted;          /* matches removed by exception lists */
    uint64_t runs;              /* scheduled runs replayed */
    uint64_t runs_truncated;    /* runs that hit max_signals */
    uint64_t alerts;            /* alerts created (EQL sequences: shells) */
    uint64_t building_blocks;   /* EQL sequence building-block alerts */
    uint64_t suppressed_docs;   /* events folded into suppressed alerts */
    uint64_t state_peak_bytes;  /* peak temporal state (new_terms history, buckets ...) */
    bool state_capped;          /* max_state_bytes was hit; results may be incomplete */
    uint64_t budget_dropped;    /* matches not kept because max_memory_bytes was reached */
    bool budget_reached;        /* max_memory_bytes stopped state from being kept (or an
                                   ES|QL rule's remaining runs: their tables did not fit) */
    bool reads_alerts;          /* ES|QL over the alert index: ran over this run's alerts */
    bool esql_folded;           /* ES|QL: its head's rows were folded into pane states chunk by
                                   chunk, not held all at once (engine/esql.c esql_fold) */
    uint64_t eval_ns, temporal_ns;
} th_rule_report;

typedef struct th_alert {
    int64_t time_ms;            /* the run that created it */
    size_t rule_index;
    const th_rule *rule;
    const th_jval *doc;         /* the alert document */
    bool update;                /* written by an earlier run (--state): this copy, same
                                   kibana.alert.uuid, updates it (alert suppression) */
} th_alert;

typedef void (*th_alert_fn)(void *ctx, const th_alert *a);

typedef struct th_engine th_engine;

void th_engine_opts_default(th_engine_opts *o);
th_engine *th_engine_new(const th_engine_opts *o);
void th_engine_free(th_engine *e);

/* Why the engine cannot run a rule of this shape (type, missing parameters),
 * or NULL when it can. */
const char *th_engine_unsupported(const th_rule *r);

/* Adds a rule with its filter predicate (fn NULL = match every event), its
 * prefilter conditions and optional exception lists. Returns the rule index.
 * A rule th_engine_unsupported rejects is recorded as skipped (it appears
 * in the report with the reason) and never runs. */
size_t th_engine_add_rule(th_engine *e, const th_rule *r, th_pred_fn fn, const void *pred,
                          const th_prefilter *pf, size_t npf, const th_exceptions *exc);
/* Replaces the prefilter of rule `idx` (added without one: EQL sequences,
 * whose stages each pin the field). Call before th_hits_init. */
void th_engine_set_prefilter(th_engine *e, size_t idx, const th_prefilter *pf, size_t npf);
/* Adds an ES|QL rule: th_engine_add_rule plus its parsed query (query/esql.h),
 * which runs over the matched events of every scheduled window in the
 * temporal pass; fn/pred (NULL: every event) need only be a necessary
 * condition of the query keeping an event. The query is borrowed and must
 * outlive the engine. th_engine_add_rule alone skips ES|QL rules. */
/* A rule whose filter is a compiled single-event query q (query/query.h),
 * added as `run` and `match` add it: q is the predicate; routed on the literal
 * values q requires of the prefilter fields; q's fields recorded (lazy
 * mapping); q's necessary condition on the raw projection as its gate. Copies
 * live in arena a; q is borrowed and must outlive the engine. Returns the
 * engine index. */
struct th_query;
size_t th_engine_add_query(th_engine *e, const th_rule *r, struct th_query *q, th_arena *a,
                           const th_exceptions *exc);
struct th_esql;
/* One ES|QL query (a rule's, or one of a hunt's) parsed and added: its
 * leading WHERE lowered for routing, gates and lazy mapping; an aggregating
 * query that reads named fields gets them captured with each match; a query
 * over `.alerts-security.*` reads the run's alerts. NULL, or the reason it
 * cannot run (parse errors also go to diags). *idx and *out (either may be
 * NULL) get the engine index and the parsed query (in arena a). */
struct th_qsource;
const char *th_engine_add_esql_query(th_engine *e, const th_rule *r, const char *text,
                                     const struct th_qsource *src, th_arena *a, th_diags *diags,
                                     const th_exceptions *view, size_t *idx, struct th_esql **out);
size_t th_engine_add_esql(th_engine *e, const th_rule *r, const struct th_esql *q, th_pred_fn fn,
                          const void *pred, const th_prefilter *pf, size_t npf,
                          const th_exceptions *exc);
/* An aggregating ES|QL rule that reads only these fields of a document
 * (th_esql_capture_fields): the hot pass captures their values with each
 * match and keeps no document; the query runs on documents made of them. */
void th_engine_set_esql_capture(th_engine *e, size_t idx, const th_str *fields, size_t n);
/* An ES|QL rule whose FROM reads the alert index (.alerts-security.*): it
 * sees no events; its runs read the alerts the other rules created, each
 * visible from its creation run on, windowed on the event.ingested it copied
 * from its source (else its own @timestamp). It runs after every other rule,
 * which is the same as interleaving the runs in time since no other rule
 * reads alerts. */
size_t th_engine_add_esql_alerts(th_engine *e, const th_rule *r, const struct th_esql *q);
/* Whether r is an ES|QL rule that th_engine_add_esql_query adds as a rule over
 * the alert index (its query parses and reads `.alerts-security*` only). */
bool th_engine_esql_reads_alerts(const th_rule *r);
/* An alert another engine raised (the tuning replay gives each rule version
 * its own engine), created by the run at time_ms: the rules over the alert
 * index read it as one of the others' alerts; it is never written out,
 * saved, or folded into by suppression. Add before th_engine_finish. */
void th_engine_add_foreign_alert(th_engine *e, int64_t time_ms, const char *text, size_t len);
/* Hunting queries (rule type hunt) are added with th_engine_add_esql too;
 * they have no schedule: after th_engine_finish, th_engine_each_doc hands
 * over the complete documents of the events that matched rule idx's filter,
 * in (@timestamp, input) order, with their id and @timestamp. */
typedef void (*th_engine_doc_fn)(void *ctx, const th_jval *doc, th_str id, int64_t ts);
void th_engine_each_doc(th_engine *e, size_t idx, th_engine_doc_fn fn, void *ctx);
/* Records a rule that will not run, with the reason (e.g. a query that does
 * not compile); it is listed in the report. */
size_t th_engine_skip_rule(th_engine *e, const th_rule *r, const char *reason);
/* The same for a rule that is broken (report.failed set): counted as failed. */
size_t th_engine_fail_rule(th_engine *e, const th_rule *r, const char *reason);

/* The ECS fields rule `idx`'s filter reads (copied). Without it the engine
 * assumes the filter may read any field. */
void th_engine_set_rule_fields(th_engine *e, size_t idx, const th_str *fields, size_t n);
/* Every field each rule that runs reads: its filter's fields (when known) and
 * its captured fields (new_terms, threshold, group-by, sequence keys), in
 * rule order; a field may come twice for one rule. Skipped rules give none. */
typedef void (*th_rule_field_fn)(void *ctx, const th_rule *rule, const char *field);
void th_engine_each_field(const th_engine *e, th_rule_field_fn fn, void *ctx);
/* The mapping demand (ecs/demand.h) that gives the rules everything they
 * read: filter fields, captured (new_terms, threshold, group-by, sequence
 * key) fields, exception fields and the routing fields; each rule's own
 * demand is kept for th_engine_plan. */
void th_engine_demand(th_engine *e, th_ecs_demand *d);
/* The number of rules (skipped ones too), and what rule idx reads of an event
 * in the hot pass, field by field, as th_engine_demand counts it (its
 * filter's fields, captured fields and exception entries' fields): false when
 * that is not known (the filter may read anything) or fn returned false. */
size_t th_engine_nrules(const th_engine *e);
typedef bool (*th_field_fn)(void *ctx, const char *field);
bool th_engine_rule_reads(const th_engine *e, size_t idx, th_field_fn fn, void *ctx);
/* Whether an event rule idx is planned for is read only through the values
 * of the fields the rule reads (th_engine_rule_reads), never through its
 * document: its filter is a query evaluated on the event's shared fields (or
 * none), it keeps no document (an ES|QL rule that captures its fields), and
 * it has no exception, no sequence stage, no trace (explain). Then an event
 * whose rules are all such can be given (th_engine_eval_plan) a document
 * that holds nothing, with every field those rules read known. */
bool th_engine_rule_reads_values_only(const th_engine *e, size_t idx);

/* Lets events carry a partial document (th_event.raw set): the engine keeps
 * the raw record of a matched event instead of its document and builds the
 * document with fn when an alert needs it (during th_engine_finish). Without
 * it, events must carry complete documents. fn and ctx must outlive
 * th_engine_finish. */
void th_engine_set_materialiser(th_engine *e, th_materialise_fn fn, void *ctx);
bool th_engine_has_materialiser(const th_engine *e);

/* Hot pass: one event. The event's times must be filled (th_event_read_times).
 * Equivalent to th_engine_eval then th_engine_commit. */
void th_engine_feed(th_engine *e, const th_event *ev);

/* The hot pass in two halves, for parallel evaluation with a deterministic
 * result: th_engine_eval (read-only on the engine: any number of threads at
 * once, each with its own th_hits) appends the candidate rules and their
 * verdicts for one event; th_engine_commit (one thread, events in input
 * order, the event's document still alive) records them: h->items[from..to)
 * must be that event's hits, and no evaluation may use h meanwhile (commit
 * reads the fields evaluation found in h when they are that event's). Add
 * every rule before th_hits_init. */
typedef struct th_hit {
    uint32_t rule;
    uint8_t result;     /* 0 no match, 1 match, 2 match removed by an exception */
    uint32_t ns;        /* evaluation time when profiling */
    uint32_t cap;       /* a match of a rule that captures fields: their values are
                           at th_hits.capr[cap..cap+ncap) (hotpass.c); UINT32_MAX: not found */
} th_hit;
/* A captured field's values: capv[off..off + n), or where off has
 * TH_CAPR_STR the one string p[0..n), its entry of the recent strings in
 * off's low bits (hotpass.c recent_slot; most of them: the commit then reads
 * neither capv nor the worker's node, and hashes nothing) */
typedef struct th_caprange {
    const char *p;
    uint32_t off, n;
} th_caprange;
#define TH_CAPR_STR 0x80000000u
/* A TH_CAPR_STR range's off also holds, from this bit, the string's number
 * among the field's strings that the thread found before (1, 2, ...; 0:
 * none), in the id space th_hits.lspace (hotpass.c lid_of), by which the
 * commit finds its list again without reading the string */
#define TH_CAPR_LID_SHIFT 10
struct th_lids;
typedef struct th_hits {
    th_hit *items;
    size_t len, cap;
    unsigned char *mark; /* per rule: already a candidate (while collecting them) */
    size_t nrules;
    struct th_route_memo *memo; /* recent routing lookups (hotpass.c) */
    struct th_route_fixed *route_fixed; /* the routing of the routed slots whose values are
                                           the same static ones on every record (hotpass.c) */
    struct th_qmemo *gate_memo; /* the gates' costly tests on recent values */
    struct th_qfields *fields; /* the fields of the last evaluated event, each found once:
                                  th_engine_commit of that event reads them too */
    uint64_t exact_slots; /* th_engine_eval_plan's event: th_qknown.exact_slots, else 0 */
    size_t fields_from, fields_to; /* and that event's hits: items[from..to) */
    /* With workers (th_engine_set_threads), the values of the fields the
     * matches capture, found while evaluating (on the worker's thread) for
     * th_engine_commit, which then only stores them: field k of a hit's rule
     * holds capr[cap + k]'s values (th_caprange). */
    const th_jval **capv;
    size_t capv_len, capv_cap;
    th_caprange *capr;
    size_t capr_len, capr_cap;
    struct th_qfields *capfields; /* the event's captured fields where `fields` is off */
    struct th_rulecap *rulecap;   /* per rule: its captured fields' numbers (hotpass.c) */
    th_caprange *capfid;          /* per captured field's number: its range for the event */
    uint32_t *capgen;             /* (while capgen[id] is capevent) */
    size_t ncapfid;
    uint32_t capevent;
    struct th_lids *lids; /* the thread's numbers of its captured strings (a cache, swapped
                             with the others; th_hits_number_strings), NULL: none */
    uint32_t lspace;      /* the id space of the numbers in capr: the last th_lids that
                             numbered there, 0: none */
    struct th_plan_cache *plan_cache; /* th_engine_plan_slots' recent plans (hotpass.c) */
    const uint32_t *plan;             /* th_engine_plan: the rules to evaluate */
    size_t nplan;
    const uint32_t *seen; /* the candidates of the last event, each once, in evaluation order */
    size_t nseen;
    /* plan and seen are written here, or point at a remembered entry's copy
     * (hotpass.c), valid until the next event is routed or planned */
    uint32_t *plan_buf, *seen_buf;
    struct th_cand_memo *cand_memo; /* recent candidate sets by their routing (hotpass.c) */
    struct th_cand_entry *cand;     /* the entry of seen's set, NULL when none */
} th_hits;
void th_hits_init(th_hits *h, const th_engine *e);
void th_hits_clear(th_hits *h);
/* Exchanges the recent look-ups of a and b (routing, candidates, gates,
 * plans), which any th_hits of the engine may use: what they give is the
 * same whichever th_hits remembered it. Their hits and the event's fields
 * stay. A pipeline's worker keeps its own this way while it evaluates a
 * batch's events in the batch's th_hits. */
void th_hits_swap_caches(th_hits *a, th_hits *b);
/* h's thread numbers the strings its matches capture (hotpass.c lid_of), so
 * that the commit finds them by number: for the th_hits a pipeline's thread
 * keeps (its caches, swapped into each batch's while it prepares it), never
 * for a th_hits another thread also prepares records with between two
 * commits (a batch's own: its settled lines) */
void th_hits_number_strings(th_hits *h);
void th_hits_free(th_hits *h);
void th_engine_eval(const th_engine *e, const th_event *ev, th_hits *h);
void th_engine_commit(th_engine *e, const th_event *ev, const th_hits *h, size_t from, size_t to);

/* Gates: a necessary condition of rule `idx`'s filter that can be checked
 * on a projection of the raw record (ecs/rawproj.h) before any mapping; NULL
 * removes it. The predicate must be true whenever the filter is. `fields`
 * (n of them) are every field it reads, so that the pipeline projects only
 * those (th_engine_gate_need); n == SIZE_MAX: not known, it gets them all. */
void th_engine_set_gate(th_engine *e, size_t idx, th_pred_fn fn, const void *pred,
                        const th_str *fields, size_t n);
/* th_engine_set_gate for a gate that holds when any of q[0..nq) holds
 * (necessary conditions, th_query_necessary): the engine reads it from the
 * projection's slots (rawproj.h th_ecs_slots) when every query binds to
 * them, else from its document. The queries must outlive the engine. */
void th_engine_set_gate_query(th_engine *e, size_t idx, struct th_query *const *q, size_t nq,
                              const th_str *fields, size_t n);
/* What the gates of the candidates in h (th_engine_routes) read of a
 * projection, added to *need; TH_PROJ_DOM in need->extras when some gate
 * reads the projection as a document. */
void th_engine_gate_need(const th_engine *e, const th_hits *h, th_ecs_proj_need *need);
/* th_engine_plan on the candidates th_engine_routes left in h (a projection
 * with the same routed values), without routing again. */
bool th_engine_plan_routed(const th_engine *e, const th_jval *proj, th_hits *h, th_ecs_demand *d);
/* Planning on a raw projection: the rules the prefilter index routes the
 * projection to (and the rules every event meets) whose gate holds, into
 * h->plan, in th_engine_eval's order; their demand is merged into *d.
 * Because the projection's values are a superset of the mapped document's,
 * every rule that can match the document is planned. Returns h->nplan > 0. */
bool th_engine_plan(const th_engine *e, const th_jval *proj, th_hits *h, th_ecs_demand *d);
/* Whether the prefilter index routes the projection to any rule (or some rule
 * meets every event); the candidates are left in h, as th_engine_plan finds
 * them. */
bool th_engine_routes(const th_engine *e, const th_jval *proj, th_hits *h);
/* th_engine_routes and th_engine_plan_routed on the projection as slots
 * (th_ecs_slots_start, then th_ecs_slots_fill with the gates' need); proj,
 * the same projection as a document, is read only by the gates that need it
 * (TH_PROJ_DOM) and may be NULL otherwise. Same results as on the document.
 * th_engine_plan_slots looks up what the fill left for later
 * (th_ecs_slots_ua_now) before it evaluates a gate. */
bool th_engine_routes_slots(const th_engine *e, const th_ecs_slots *s, th_hits *h);
bool th_engine_plan_slots(const th_engine *e, th_ecs_slots *s, const th_jval *proj, th_hits *h,
                          th_ecs_demand *d);
/* th_engine_eval restricted to h->plan (the document must carry the planned
 * rules' demand). known (NULL: none): fields whose values in the document
 * are known (query.h th_qknown, a slot document's): read without a walk. */
void th_engine_eval_plan(const th_engine *e, const th_event *ev, const struct th_qknown *known,
                         th_hits *h);
/* Rule idx's gate (th_engine_set_gate_query, one query) is the necessary
 * condition of its query over slots, and its query is the gate AND rest
 * (NULL: the gate alone) where the slots the gate reads hold exactly the
 * document's values (query.h th_query_necessary_rest): on an event planned
 * by that gate whose known fields say so (th_qknown.exact_slots), the
 * engine evaluates rest alone. Cleared by the next th_engine_set_gate. */
void th_engine_set_gate_rest(th_engine *e, size_t idx, const struct th_query *rest);
/* On the events of th_engine_eval_plan whose rest is evaluated (above:
 * their known fields exact, a slot document of a raw record), every field
 * is_const accepts holds what doc holds there: the data stream constants
 * (rawproj.h th_ecs_slots_constants, th_ecs_constant_field). The rests'
 * conjuncts on those fields alone are decided once (query.h
 * th_query_rest_fold): `event.dataset == "aws.cloudtrail"` was all of the
 * GitHub OIDC rule's rest and half the unusual-ASN rule's, evaluated on
 * every planned event. doc is borrowed for the engine's life (or the next
 * call); the same doc again changes nothing. Not while events are
 * evaluated: it writes the rules. */
void th_engine_set_slot_constants(th_engine *e, const th_jval *doc, bool (*is_const)(th_str field));



/* Threads for the temporal pass (th_pipeline_run sets its own count; 0 or 1:
 * the calling thread alone). With more, the rules' passes run side by side,
 * the largest first, and their alerts are merged in rule order: the result
 * is the same for every count. The rules over alerts run afterwards, one
 * after the other. What reaches the memory budget (max_memory_bytes)
 * depends on the order in which the rules kept state: when one thread would
 * have reached it during the passes, they are done again on the calling
 * thread. With a trace, or with a budget and state loaded from an earlier
 * run (which the passes extend, so they cannot be undone), they run there
 * from the start. With more, th_engine_eval also finds the values that its
 * matches capture, so that th_engine_commit (serial) only stores them. */
void th_engine_set_threads(th_engine *e, unsigned n);
/* Temporal pass: replays every rule's schedule and emits the alerts in
 * (run time, rule index, creation order) order. Call once. */
void th_engine_finish(th_engine *e, th_alert_fn sink, void *ctx);

const th_rule_report *th_engine_reports(const th_engine *e, size_t *n);
/* The simulated period actually used (after defaults), known after finish. */
void th_engine_period(const th_engine *e, int64_t *from_ms, int64_t *to_ms);
/* What the hot pass keeps: matched documents stored (once per event, shared
 * by rules), their bytes, and the bytes of match records. */
void th_engine_memory(const th_engine *e, uint64_t *docs, uint64_t *doc_bytes, uint64_t *match_bytes);
/* Bytes charged against max_memory_bytes (documents, match records, state of
 * every rule; the largest it reached) and whether the budget was reached. */
uint64_t th_engine_retained_peak(const th_engine *e, bool *reached);
/* Bytes of alert documents held as text for the final ordering (after finish:
 * the most held). */
uint64_t th_engine_alert_bytes(const th_engine *e);
/* Events fed, and how many had event.ingested. */
void th_engine_event_counts(const th_engine *e, uint64_t *events, uint64_t *with_ingested);

/* ---- incremental runs: the state carried from one run to the next ----
 * What a rule's later runs can still need of this run, and nothing else:
 * the matches inside any later run's reach (its lookback; new_terms: its
 * history window, documents only within the lookback), the alert ids that
 * a later run could produce again, the threshold signal history and the
 * query suppression history, the alerts that a later run can still read
 * (the rule over the alert index) or update (suppression with a duration),
 * and the last run time done. The engine knows no file format: state/
 * stores these records. Loading happens after every rule was added and
 * before the first event; saving after th_engine_finish. */
typedef struct th_saved_doc {
    th_str json;                /* ECS document, or the raw record when `raw` */
    bool raw;
    th_str id;
    int64_t ts, ingested, combined;
    uint64_t index;
} th_saved_doc;
typedef struct th_saved_alert {
    size_t rule_index;
    int64_t time_ms;
    th_str text;                /* the alert document */
    th_str instance;            /* suppression instance id, or empty */
    int64_t supp_end, supp_docs;
} th_saved_alert;
typedef struct th_engine_saver {
    void *ctx;
    /* each document a kept match refers to, numbered 0.. in call order */
    void (*doc)(void *ctx, uint32_t n, const th_saved_doc *d);
    /* each rule that runs: the last run done and its state as one blob
     * (th_engine_load_rule reads it back) */
    void (*rule)(void *ctx, size_t idx, int64_t last_run, const void *blob, size_t len,
                 uint64_t nmatches, uint64_t nids);
    void (*alert)(void *ctx, const th_saved_alert *a);
    /* --max-state-mb: a rule's blob and the documents it first refers to are
     * kept under this (0 = no cap) by leaving out its oldest matches; then
     * `capped` (may be NULL) is told how many, before that rule's `rule` */
    uint64_t max_rule_bytes;
    void (*capped)(void *ctx, size_t idx, uint64_t dropped);
} th_engine_saver;
/* Hands over the state (after th_engine_finish of an incremental engine). */
void th_engine_save(th_engine *e, const th_engine_saver *s);
/* The newest combined time read so far (this run or earlier). */
int64_t th_engine_watermark(const th_engine *e);
/* Loads a saved document; returns its engine index (for th_engine_load_rule's
 * map from saved numbers). */
uint32_t th_engine_load_doc(th_engine *e, const th_saved_doc *d);
/* Loads rule idx's blob; docmap maps the saved document numbers to
 * th_engine_load_doc's indices. False (nothing loaded) when the blob is not
 * one th_engine_save wrote. */
bool th_engine_load_rule(th_engine *e, size_t idx, int64_t last_run, const void *blob, size_t len,
                         const uint32_t *docmap, size_t ndocs);
void th_engine_load_alert(th_engine *e, const th_saved_alert *a);

/* ---- explain: tracing one event (additions for `trailhound explain`) ----
 * With a trace set before the first event is fed, the engine records what
 * it did with the event whose event.id is `id`, for the rule at index `rule`:
 * whether the hot pass matched or excepted it, and per scheduled run that
 * saw it, its threshold bucket (count, distinct cardinality, alerted), its
 * new_terms tuples (first sighting in the history window) or its part in
 * EQL sequences. Tracing never changes results; the trace is owned
 * by the caller and must outlive th_engine_finish. */
#define TH_TRACE_MAX_RUNS 64
typedef enum th_trace_seq {
    TH_TRACE_SEQ_OPENED = 1,      /* opened a candidate as the first stage */
    TH_TRACE_SEQ_EXTENDED = 2,    /* extended a waiting candidate (a later stage) */
    TH_TRACE_SEQ_NO_PRIOR = 4,    /* a later stage, but no candidate waited at the stage before */
    TH_TRACE_SEQ_MAXSPAN = 8,     /* a later stage, but the waiting candidate was older than maxspan */
    TH_TRACE_SEQ_COMPLETED = 16,  /* part of a completed sequence */
    TH_TRACE_SEQ_ALERTED = 32,    /* that sequence is an alert (now or by an overlapping run) */
} th_trace_seq;
typedef struct th_trace_run {
    int64_t run_ms, from_ms;      /* the run and its window start */
    char key[256];                /* bucket / join key: `field: value, ...` (truncated) */
    uint64_t count;               /* threshold: events of the bucket in the window */
    uint64_t cardinality;         /* threshold: distinct values of the cardinality field */
    bool history;                 /* threshold: left out, its bucket already alerted on it */
    bool alerted;                 /* threshold: the bucket became an alert in this run */
    bool truncated;               /* threshold: it qualified but was past max_signals */
    unsigned seq;                 /* sequences: th_trace_seq bits */
    /* new_terms, per term tuple of the event (`key`) in this run: the tuple's
     * first sighting among the rule's matches in [history_ms, run_ms]; the
     * tuple is new when it lies after from_ms (`history` false). `alerted`:
     * this event built the tuple's alert; `truncated`: past max_signals. */
    int64_t history_ms, first_ms;
    uint64_t first_order;         /* its input position */
    char first_id[128];           /* its event.id ("" when not kept) */
} th_trace_run;
typedef struct th_engine_trace {
    const char *id;               /* in: the event's event.id */
    size_t rule;                  /* in: the rule index */
    bool matched;                 /* out: the rule's filter matched it */
    bool excepted;                /* out: it matched, but an exception removed it */
    uint32_t stages;              /* out: sequences: bit i = stage i matched */
    int nt_missing;               /* out: new_terms: 1 + index of the first new_terms field
                                     the event holds no aggregatable value of (no term);
                                     0 when it has them all */
    uint64_t order;               /* out: its input position (when matched) */
    th_trace_run runs[TH_TRACE_MAX_RUNS];
    size_t nruns, dropped;        /* out: runs recorded, and those past the array */
} th_engine_trace;
/* Sets (or clears, with NULL) the traced event. */
void th_engine_set_trace(th_engine *e, th_engine_trace *t);

#endif
