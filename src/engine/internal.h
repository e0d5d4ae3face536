/* Engine internals shared by the engine's .c files (not a public header).
 *
 * Ownership: everything here lives in the engine's arenas or heap vectors and
 * is released by th_engine_free. */
#ifndef TH_ENGINE_INTERNAL_H
#define TH_ENGINE_INTERNAL_H

#include <string.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/map.h"
#include "base/timeutil.h"
#include "base/vec.h"
#include "engine/engine.h"

/* A fed event that matched at least one rule: what alerts need of it. */
typedef struct th_edoc {
    th_str json;        /* serialised ECS source document, or the raw CloudTrail record
                           when `raw` (mapped again by the materialiser when an alert
                           needs it) */
    bool raw;
    th_str id;          /* stable _id: event.id, else "file:offset" */
    int64_t ts, ingested, combined;
    uint64_t index;     /* position in the input */
} th_edoc;

/* The values of one captured field in one event: serialised JSON scalars
 * ("\"alice\"", "42", "true"), sorted, duplicates removed. Immutable once
 * made, and shared: by every match of the event that captures the field, and
 * (a single string of a field with few distinct ones) by every event with
 * that value (hotpass.c). */
typedef struct th_vlist {
    uint32_t n;
    uint32_t id;        /* its index in engine->lists (in what was padding) */
    th_str v[];
} th_vlist;

/* One (rule, event) match. */
typedef struct th_match {
    int64_t ts;
    uint64_t order;     /* event index, the final tie-break */
    uint32_t fv;        /* where its row of ncap list ids starts in
                           engine->rowids (th_match_row: engine->lists' ids,
                           read through th_match_list); immutable, shared by
                           the rule's matches with the same ids (hotpass.c
                           row_keep) */
    uint32_t ing;       /* for a rule windowed on event.ingested
                           (timestamp_override) whose event has one: 1 + its
                           index in the rule's ingested, or TH_MATCH_ING_TS
                           where it is ts (raw CloudTrail's, stamped @timestamp
                           + --ingest-delay, 0 s unless told); else 0 */
} th_match;

#define TH_MATCH_ING_TS UINT32_MAX

/* 24 bytes, not 40: the broad ES|QL rules keep matches by the million (the
 * 1 GB file: 1.97 M), and of 40 bytes a match 8 held an event.ingested that
 * only the few rules windowed on it keep, and CloudTrail never has, and 8 its
 * document's index and its sequence stages, which those rules never read:
 * they are kept beside the matches, for the rules that read them
 * (th_erule.mdoc, mstages). Past UINT32_MAX - 1 row ids, ingested times or
 * such a rule's matches the engine stops, loud (th_match_grow) */
_Static_assert(sizeof(th_match) == 24, "th_match: 24 bytes");

/* items (cap of size bytes, len used) grown for n more, cap never past
 * UINT32_MAX - 1, so that th_match's 32-bit indexes into it (1 + an index
 * too) hold every one; past that the process stops, loud (what: which
 * items), where no silent wrap may hide it (engine.c). Out of line: the
 * callers test for room first (a test a match, not the bound's). */
void *th_match_grow(void *items, size_t *cap, size_t len, size_t n, size_t size, const char *what);

/* A captured field of the engine's rules, shared by every rule that captures
 * it, so that an event's values are found once however many rules capture
 * them (hotpass.c; commit only: single-threaded). */
typedef struct th_capslot {
    uint64_t hash;
    const th_vlist *list; /* the list of that one value, or NULL: a free slot; the
                             unescaped string is list->v[1] (hotpass.c intern_store) */
} th_capslot;

/* The stored strings of a field found or stored lately, by their length and
 * their first, middle and last eight bytes (hotpass.c recent_of): the lists
 * of entries of the table (the string is the list's v[1]), looked up before
 * it (intern_hit), NULL where empty. 8 KB a field (the pack captures 31), not
 * charged as the rules' state. */
#define TH_CAP_RECENT 1024

typedef struct th_capfield {
    /* what capture's loop and a first look-up read (field_values), the first
     * 64 bytes, on one line (hotpass.c capfield_new) */
    uint64_t event;      /* the event `cur` was found in (engine->events), 0: none yet */
    uint32_t cur;        /* the id of its values there (first: capture's test per
                            match and field reads these two words alone) */
    uint32_t fid;        /* th_query_field_id(name) */
    size_t below;        /* a string shorter than this is looked up in line: limit + 1
                            while not full (SIZE_MAX for no limit), 0 once full */
    const th_vlist *last; /* the list of the string last found or stored there
                             (its v[1]), or NULL */
    uint64_t nfound;      /* events whose values it was asked for (capture's field_values) */
    uint32_t last_n;      /* last's string's length (UINT32_MAX: no last), */
    uint32_t last_id;     /* last's id */
    uint64_t last_w[2];   /* and where last_n <= 16 its words (hotpass.c words16) */
    th_str name;
    size_t limit;        /* ignore_above: longer strings are not captured */
    th_capslot *intern;  /* the field's stored strings (see hotpass.c): open addressing, */
    size_t icap, ilen;   /* icap slots (a power of two, or 0), ilen used */
    bool full;           /* no more strings stored (hotpass.c's intern_store) */
    const th_vlist *recent[TH_CAP_RECENT]; /* table entries found or stored lately */
} th_capfield;

/* The lists the commit found for the strings a worker numbered (hotpass.c
 * lid_of, th_caprange): per id space (th_hits.lspace), per field number,
 * by the worker's number (NULL: not found yet) */
typedef struct th_lmapf {
    const th_vlist **v;
    uint32_t n;
} th_lmapf;
typedef struct th_lmap {
    th_lmapf *f;
    uint32_t nf;
} th_lmap;

void th_lmaps_free(th_engine *e);

/* The rows of ids a rule's matches share (th_capset.rows): direct-mapped
 * by a hash of the row (hotpass.c row_keep) */
#define TH_CAP_ROWS 4096

/* A rule's captured fields for the commit (th_erule.caps, hotpass.c
 * capture): made for n fields, the rows stored lately, which a match whose
 * ids are the same shares (1 + where each starts in engine->rowids, 0 where
 * empty; TH_CAP_ROWS of them, in the same block after f), and the fields'
 * th_capfield, beside the header that every match reads (hotpass.c
 * capset_new). */
typedef struct th_capset {
    size_t n;
    uint32_t *rows;
    th_capfield *f[];
} th_capset;

typedef enum th_exec {
    TH_EXEC_QUERY,      /* query rules (kuery/lucene) */
    TH_EXEC_EQL,        /* EQL single-event rules: @timestamp order, no paging */
    TH_EXEC_NEW_TERMS,
    TH_EXEC_THRESHOLD,
    TH_EXEC_SEQUENCE,   /* EQL sequences */
    TH_EXEC_ESQL,       /* ES|QL: the pipeline per scheduled run (esql.c) */
    TH_EXEC_HUNT,       /* a hunting query: no schedule; th_engine_each_doc */
} th_exec;

/* A range of run times [lo, hi] (engine/retain.c). */
typedef struct th_trange {
    int64_t lo, hi;
} th_trange;

/* Threshold signal history entry: a bucket key and the newest combined
 * timestamp of the events it alerted on. */
typedef struct th_thist {
    th_str *vals;
    int64_t last;
} th_thist;

typedef struct th_erule {
    const th_rule *rule;
    th_exec exec;
    th_pred_fn fn;
    const void *pred;
    const struct th_query *query; /* when fn is th_query_match on pred: that query,
                                     evaluated on the event's shared fields */
    bool query_captures; /* ... and the rule captures some field the query reads */
    const th_exceptions *exc;
    const char **cap;   /* captured fields */
    size_t ncap;
    struct th_capset *caps; /* the engine's th_capfield of each captured field
                               (hotpass.c, found at the first commit of a match:
                               single-threaded), and where the matches' ids go */
    const char **capf_of;   /* the cap array caps was made for */
    /* ES|QL: the index in cap of @timestamp where the rule takes it from a
     * match's ts (TH_VLIST_TS, th_engine_set_esql_capture), else UINT32_MAX */
    uint32_t cap_ts;
    bool suppress;      /* alert suppression active */
    bool use_ingested;  /* timestamp_override event.ingested (else @timestamp only) */
    struct th_seq_stage *stages; /* EQL sequence stages */
    size_t nstages;
    int64_t maxspan;    /* EQL sequence maxspan, 0 = none */
    int64_t max_signals;
    TH_VEC(th_match) matches;
    TH_VEC(int64_t) ingested; /* the event.ingested of matches that keep one
                                 (th_match.ing), in no order; empty but for a
                                 rule windowed on it */
    /* beside matches, index for index (th_match_doc, th_match_stages): the
     * document's index in engine->docs (UINT32_MAX: none) where the rule keeps
     * documents (th_rule_keeps_doc), and the stages matched (bit i: stage i)
     * of an EQL sequence; else empty */
    TH_VEC(uint32_t) mdoc;
    TH_VEC(uint32_t) mstages;
    th_rule_report rep;
    th_map ids;         /* alert ids written so far (overlap de-duplication) */
    char uuid[37];      /* the rule's stable saved-object-like id */
    th_map nt_seen;     /* new_terms hot pass: tuple -> its oldest and newest occurrence so far */
    int64_t nt_gap;     /* new_terms: history span - lookback (0 = never prune) */
    uint64_t nt_bytes;  /* new_terms hot-pass map, charged as state */
    struct th_ntmemo *nt_memo; /* new_terms hot pass: nt_seen entries by lists (new_terms.c) */
    const char **fields; /* fields the filter reads (th_engine_set_rule_fields) */
    size_t nfields;
    bool fields_known;  /* false: the filter may read anything */
    th_ecs_demand dem;  /* what the rule reads (th_engine_demand fills it) */
    th_pred_fn gate_fn; /* necessary condition on the raw projection, or NULL */
    const void *gate;
    th_ecs_proj_need gate_need; /* what the gate reads of the projection */
    struct th_query **gate_q;   /* th_engine_set_gate_query: the gate is any of these */
    size_t ngate_q;
    bool gate_slots;            /* ... and every one reads slots (th_query_bind_slots) */
    bool gate_kept;             /* ... and none of them a subtree: th_engine_plan_slots
                                   remembers its result by the values of gate_read */
    /* th_engine_set_gate_rest: the gate is the necessary condition of the
     * rule's query, which on an event whose slots in gate_read are exact
     * (th_qknown.exact_slots) is true exactly where the gate and gate_rest
     * (NULL: nothing more) are; else false (beside gate_kept: in a hole, so
     * that rest_quick leaves the rule's size and the run's heap as they were) */
    bool gate_decides;
    uint64_t gate_read; /* the slots the gate reads (th_query_slots_read) */
    /* rest_slots' quick leaf, or its AND's first operand (th_query_quick), else NULL */
    const struct th_qquick *rest_quick;
    const struct th_query *gate_rest;
    /* what query_fields evaluates of gate_rest: gate_rest with its
     * conjuncts of data stream constants decided (th_engine_set_slot_constants),
     * NULL when nothing is left; rest_never: one was false there */
    const struct th_query *rest_slots;
    bool rest_never;
    bool ret_off;       /* retain.c: keep every match from now on (else matches are sorted) */
    TH_VEC(th_trange) ret_trunc; /* retain.c: runs that held a dropped match */
    th_arena ids_arena; /* the keys of `ids` (outlive the per-run scratch arenas) */
    const struct th_esql *esql; /* ES|QL: the parsed query */
    bool on_alerts;       /* ES|QL over the alert index: reads the run's own alerts */
    bool esql_cap;        /* ES|QL: the query runs on the captured fields, no documents kept */
    bool esql_routed;     /* ES|QL: every match was selected by the query's lowered condition
                             (th_esql_lower, the rule's predicate: th_esql_plain_fn) */
    th_jval **esql_docs;  /* ES|QL: parsed documents, per match (filled on demand) */
    /* incremental runs (snapshot.c): what carries over from one run to the next */
    int64_t last_run;     /* the last run time already done in an earlier run, or TH_TIME_NONE */
    int64_t done_until;   /* after th_engine_finish: the last run time this run did
                             (== last_run when it did none) */
    int64_t cur_run;      /* the run being executed (claimed ids remember it) */
    TH_VEC(th_thist) thr_hist; /* threshold signal history (threshold.c) */
    th_map supp_hist;     /* query suppression: group key -> int64_t end (suppress.c) */
    bool loaded;          /* state was loaded for it */
} th_erule;

/* A match's combined time (Elastic's kibana.combined_timestamp, what its rule
 * r windows and sorts it on): its event.ingested where kept, else its
 * @timestamp. Derived, not stored. */
static inline int64_t th_match_combined(const th_erule *r, const th_match *m)
{
    /* one test: ing - 1 wraps to UINT32_MAX where ing is 0 */
    return m->ing - 1u < TH_MATCH_ING_TS - 1u ? r->ingested.items[m->ing - 1] : m->ts;
}

/* Whether r's matches keep their event's document (th_erule.mdoc): not a
 * threshold rule's (its alerts are synthetic) nor an ES|QL rule's on the
 * captured fields */
static inline bool th_rule_keeps_doc(const th_erule *r)
{
    return r->exec != TH_EXEC_THRESHOLD && !r->esql_cap;
}

/* m's (one of r->matches) document index in engine->docs, or UINT32_MAX */
static inline uint32_t th_match_doc(const th_erule *r, const th_match *m)
{
    return th_rule_keeps_doc(r) ? r->mdoc.items[m - r->matches.items] : UINT32_MAX;
}

/* m's (one of r->matches) sequence stages: bit i = stage i matched */
static inline uint32_t th_match_stages(const th_erule *r, const th_match *m)
{
    return r->nstages ? r->mstages.items[m - r->matches.items] : 0;
}

/* m's event.ingested, where r keeps it, else TH_TIME_NONE */
static inline int64_t th_match_ingested(const th_erule *r, const th_match *m)
{
    return m->ing == 0 ? TH_TIME_NONE : th_match_combined(r, m);
}

typedef struct th_ealert {
    th_alert pub;
    uint64_t seq;       /* creation order */
    th_jval *doc;       /* mutable (suppression updates) */
    th_str instance;    /* suppression instance id, or empty */
    int64_t supp_end;   /* kibana.alert.suppression.end */
    int64_t supp_docs;  /* kibana.alert.suppression.docs_count */
    char *text;         /* once its rule's temporal pass is over: the document as JSON
                           text (heap), doc cleared, instance copied to the heap
                           (th_engine_finish) */
    size_t text_len;
    char *inst_heap;    /* the heap copy of instance (or NULL) */
    bool loaded;        /* carried over from an earlier run (snapshot.c): not written again */
    bool dirty;         /* loaded, then updated by suppression: written again */
} th_ealert;

typedef TH_VEC(size_t) th_idxvec;

/* A list of the route index: its rule indices, and its number in the order
 * the lists were made (route_add), which the hot pass's memos hash instead of
 * the list's address, so that which entries collide does not depend on where
 * the heap lies (hotpass.c cand_find). */
typedef struct th_routelist {
    size_t *items;
    size_t len, cap;
    uint32_t id;
} th_routelist;

/* What evaluation reads (on the workers) comes first, and what the commit
 * writes for every event and match (on the reading thread) after it, from a
 * line of its own (the engine is allocated on one: th_xcalloc_lines): the
 * events' count and times shared a line with gate_gen and has_nocase, the
 * arena with the rules' array, which the workers read for every record. */
struct th_engine {
    th_engine_opts o;
    TH_VEC(th_erule *) rules;
    TH_VEC(th_ealert) alerts;
    th_map route;          /* "field\x1fvalue" -> th_routelist* of rule indices */
    th_idxvec always;      /* rules without an indexable prefilter */
    struct th_slot_consts *slot_consts; /* th_engine_set_slot_constants' (NULL: none) */
    uint32_t gate_gen;     /* counts th_engine_set_gate calls: plans remembered under an
                              older count are stale (hotpass.c plan_cache) */
    bool has_nocase;       /* some route is case-insensitive */
    int64_t from, to;      /* the period used */
    uint64_t seq;
    uint64_t alert_bytes;  /* alert documents held (as text) for the final ordering */
    bool scratch_ready;
    bool finished;
    th_engine_trace *trace; /* explain: the traced event, or NULL */
    bool nt_no_memo;       /* tests: new_terms finds every tuple by its key (new_terms.c) */
    const struct th_esql *adding_esql; /* th_engine_add_esql's query, while it adds */
    th_materialise_fn materialise; /* raw record -> complete ECS document */
    void *materialise_ctx;
    unsigned threads;      /* th_engine_set_threads: threads for the temporal pass
                              (and above one, captures found by evaluation) */
    /* In a temporal pass's view of the engine (engine.c, several threads):
     * the alerts loaded from an earlier run, which stay in the engine's own
     * list; suppression looks in them for the rule's open alerts after its
     * own (th_supp_find_open). NULL in the engine itself. */
    th_ealert *carried;
    size_t ncarried;
    /* ---- written by the commit ---- */
    _Alignas(64) uint64_t events, with_ingested;
    int64_t data_min, data_max; /* combined timestamps seen */
    th_arena arena;        /* docs, matches, alerts */
    TH_VEC(th_edoc) docs;
    th_map capfields;      /* captured field name -> th_capfield * (hotpass.c) */
    struct th_capfield *ts_cf; /* the rules' @timestamp from ts (hotpass.c ts_capfield),
                                  NULL before one is made */
    TH_VEC(const th_vlist *) lists; /* every captured list by its id; 0: th_vlist_empty */
    TH_VEC(uint32_t) rowids; /* the matches' rows of list ids (th_match.fv), one
                                after another; never shrinks, read only past the commit */
    size_t row_room;       /* rowids has room for this many more ids at every
                              commit: the most any th_capset has (hotpass.c capture) */
    th_buf capbuf;         /* a captured string escaped (hotpass.c cap_string), reused */
    th_lmap *lmaps;        /* by id space (th_hits.lspace), nlmaps of them */
    uint32_t nlmaps;
    uint64_t doc_bytes, match_bytes; /* what the hot pass keeps */
    uint64_t state_bytes;  /* temporal state charged by every rule (th_state_charge) */
    uint64_t retained_peak; /* largest doc + match + state bytes */
    bool budget_reached;   /* max_memory_bytes stopped something from being kept */
    th_hits scratch;       /* th_engine_feed's */
};

/* ---- hotpass.c / engine.c ---------------------------------------------- */
/* The fields the prefilter index routes on, most selective first. */
#define TH_NROUTED 3
extern const char *const th_routed_fields[TH_NROUTED];
uint64_t th_now_ns(void);

/* ---- schedule.c --------------------------------------------------------- */
/* Run times of a rule (schedule.c explains the choice). Returns the count;
 * *first gets the first. */
uint64_t th_sched_runs(const th_engine *e, const th_erule *r, int64_t *first);
/* Matches (sorted by combined ts) in [lo_ts, min(hi_ts, to)]: index range [*b, *en). */
void th_sched_window(const th_engine *e, const th_erule *r, int64_t lo_ts, int64_t hi_ts,
                     size_t *b, size_t *en);
/* Calls fn for every run of the rule whose window may hold matches, in time
 * order; counts every run in the report. */
typedef void (*th_run_fn)(th_engine *e, th_erule *r, int64_t t, void *ctx);
void th_sched_each(th_engine *e, th_erule *r, th_run_fn fn, void *ctx);
void th_exec_query(th_engine *e, th_erule *r);
/* The last scheduled run time <= x (runs at phase + k * interval). */
int64_t th_sched_floor(const th_engine *e, const th_erule *r, int64_t x);
int64_t th_sched_interval(const th_erule *r); /* 5m when unset */
int64_t th_sched_lookback(const th_erule *r); /* 6m when unset */

/* ---- new_terms.c, threshold.c, suppress.c -------------------------------- */
void th_exec_new_terms(th_engine *e, th_erule *r);
void th_exec_sequence(th_engine *e, th_erule *r);
/* new_terms hot pass: false when every tuple of m was already seen shortly
 * before m (so m can never build an alert and its document need not be kept).
 * Records m's tuples. */
bool th_nt_doc_needed(th_engine *e, th_erule *r, const th_match *m);
void th_exec_threshold(th_engine *e, th_erule *r);
void th_exec_esql(th_engine *e, th_erule *r);
/* The most matches an ES|QL rule's fold runs its head over at once (a
 * chunk of whole panes: more where one pane holds more); 0: no fold (tests
 * compare the two ways). */
extern size_t th_esql_fold_rows;
/* The most captured ids the pass copies out of a rule's matches at once,
 * every field's (esql.c cap_ids, 4 MB: 16,384 matches of 64 fields, eight
 * of a fold's chunks); past it, a column's alone (tests try both). */
extern size_t th_esql_cap_ids;
/* The time the rule over the alert index windows an alert on: the
 * event.ingested it copied from its source event, else its own time (esql.c;
 * also what the state keeps alerts for, snapshot.c). doc is the alert's document. */
int64_t th_alert_window_time(const th_ealert *al, const th_jval *doc);
void th_exec_esql_alerts(th_engine *e, th_erule *r);
/* Query rule with alert suppression: one run's new candidates. */
void th_suppress_run(th_engine *e, th_erule *r, int64_t t, const size_t *cand, size_t n,
                     th_map *history);

/* ---- retain.c: keep only the matches a run can alert ---------------------- */
/* True when the match of ev (combined time c) can never become an alert of r
 * and need not be kept (the runs that held it are noted as truncated). */
bool th_retain_drop(th_engine *e, th_erule *r, const th_event *ev, int64_t c);
/* Whether th_retain_drop can drop any match of r, or note anything: query
 * and EQL rules alone (retain.c's eligible), so that the commit skips the
 * call for the others' matches (the ES|QL rules': 190k on b100k). */
static inline bool th_retain_applies(const th_erule *r)
{
    return r->exec == TH_EXEC_QUERY || r->exec == TH_EXEC_EQL;
}
/* After a match was appended to r->matches (query and EQL rules). */
void th_retain_kept(th_erule *r);
/* Before the temporal pass; then: did run t hold a dropped match? */
void th_retain_finish(th_erule *r);
bool th_retain_truncated(const th_erule *r, int64_t t);
/* The newest alert of rule r with suppression instance inst created at or
 * after `since`, or NULL. */
th_ealert *th_supp_find_open(th_engine *e, const th_erule *r, th_str inst, int64_t since);
/* Writes al's kibana.alert.suppression.{start (unless TH_TIME_NONE), end,
 * docs_count} and last_detected = t. */
void th_supp_set(th_engine *e, th_ealert *al, int64_t start, int64_t t);

/* ---- trace (engine.c): explain's view of one event ------------------------ */
/* True when m is the traced event's match of the traced rule. */
bool th_trace_is(const th_engine *e, const th_erule *r, const th_match *m);
/* The trace entry for run t and the tuple's key, or NULL when the rule is
 * not traced, m is not the traced event, or the array is full. */
th_trace_run *th_trace_entry(th_engine *e, const th_erule *r, const th_match *m, int64_t t,
                             const th_str *tuple, size_t nf);

/* ---- alert.c ------------------------------------------------------------- */
/* Alerts [from, len) that are still trees become JSON text (heap), so the
 * arena that built them can be released; th_engine_finish parses them back
 * one at a time for the sink. */
void th_alert_compact(th_engine *e, size_t from);
/* The same for one alert (a loaded one that suppression revived). */
void th_alert_compact_one(th_engine *e, th_ealert *al);
/* Parses a stored doc into the engine arena. */
th_jval *th_alert_source(th_engine *e, const th_edoc *d);
/* Turns `src` (a source doc or synthetic bucket doc, modified in place) into an
 * alert of rule r created at run time t, appends it and returns it. */
th_ealert *th_alert_make(th_engine *e, th_erule *r, th_jval *src, int64_t t, const char *uuid,
                         int64_t original_time, const char *ancestor_id);
void th_alert_rule_uuid(const th_rule *r, char out[37]);
/* Deterministic ids (hex sha256) of SEMANTICS.md 2.3. */
void th_alert_event_id(const th_engine *e, const th_erule *r, const th_edoc *d,
                       const th_str *extra, size_t nextra, char out[65]);
/* True (and records it) when id is new for the rule; false for a duplicate. */
bool th_alert_id_claim(th_engine *e, th_erule *r, const char *id);
/* The Kibana reason string (SEMANTICS.md 9.3). */
char *th_alert_reason(th_arena *a, const th_jval *doc, const th_rule *r);
/* Adds a value serialised as JSON text (as captured) to an object/array. */
th_jval *th_alert_value(th_arena *a, th_str json_scalar);

/* ---- match helpers (match_sort.c, engine.c) ------------------------------ */
/* Sorts a rule's matches into the order its temporal pass reads them: by
 * combined time, then @timestamp, then input order; stable, so the result is
 * the one qsort with that comparison gives (glibc's is a stable merge sort).
 * Typed rather than qsort: a match is 32 bytes, which glibc sorts indirectly
 * through a call per comparison, and a broad rule has 70k of them per 100k
 * events; input that is already in order costs one pass, a broad rule's
 * matches are sorted as one 64-bit word each (match_sort.c). v is malloc'd
 * (a vector's items), sorted in place; r is their rule (its ingested times). */
void th_match_sort(const th_erule *r, th_match *v, size_t n);
/* th_match_sort of r's matches, their documents and stages (mdoc, mstages)
 * moved with them */
void th_match_sort_rule(th_erule *r);
/* past it, th_match_sort sorts blocks of that many and merges them */
extern size_t th_match_sort_block;
/* A match's @timestamp taken from its ts (th_erule.cap_ts; hotpass.c
 * capture): where the event's document held it as the one string
 * th_time_format_iso(ts) (th_event.ts_formatted) and th_time_parse_iso
 * reads that text back as ts (th_ts_text_exact), the list of that string is
 * not made; this id stands for it. It is no index of engine->lists: readers
 * of an ES|QL rule's captures test for it (esql.c, snapshot.c). */
#define TH_VLIST_TS UINT32_MAX
/* Whether ts is an instant whose th_time_format_iso text th_time_parse_iso
 * reads back as ts: from 1970 to the end of 9999 (tests/engine/test_capture_ts
 * checks the round trip) */
static inline bool th_ts_text_exact(int64_t ts)
{
    return ts >= 0 && ts < 253402300800000LL;
}
/* The JSON text of ts's list (the string th_time_format_iso writes, in
 * quotes: it holds nothing to escape) into out; its length */
static inline size_t th_ts_json(int64_t ts, char out[34])
{
    th_time_format_iso(ts, out + 1);
    size_t n = strlen(out + 1);
    out[0] = out[n + 1] = '"';
    out[n + 2] = 0;
    return n + 2;
}

/* What th_match.ing is for a match of r at ts whose event.ingested is t
 * (TH_TIME_NONE: none), t kept (and charged to e's match records) where it
 * is another time. Equal times first (raw CloudTrail's): where both are
 * TH_TIME_NONE, TH_MATCH_ING_TS reads back as that too. */
static inline uint32_t th_match_keep_ingested(th_engine *e, th_erule *r, int64_t ts, int64_t t)
{
    if (t == ts)
        return TH_MATCH_ING_TS;
    if (t == TH_TIME_NONE)
        return 0;
    if (__builtin_expect(r->ingested.len == r->ingested.cap, 0))
        r->ingested.items = th_match_grow(r->ingested.items, &r->ingested.cap, r->ingested.len, 1,
                                          sizeof *r->ingested.items, "event.ingested times");
    r->ingested.items[r->ingested.len++] = t;
    e->match_bytes += sizeof t;
    return (uint32_t)r->ingested.len;
}

/* Room for n more ids at the end of e->rowids: where a row is written */
static inline uint32_t *th_match_row_room(th_engine *e, size_t n)
{
    if (__builtin_expect(e->rowids.cap - e->rowids.len < n, 0))
        e->rowids.items = th_match_grow(e->rowids.items, &e->rowids.cap, e->rowids.len, n,
                                        sizeof *e->rowids.items, "captured list ids");
    return e->rowids.items + e->rowids.len;
}

/* x pushed on a vector beside a rule's matches (th_erule.mdoc, mstages),
 * charged as the match's */
static inline void th_match_side_push(th_engine *e, uint32_t **items, size_t *cap, size_t *len,
                                      uint32_t x)
{
    if (*len == *cap)
        *items = th_match_grow(*items, cap, *len, 1, sizeof **items, "matches of a rule");
    (*items)[(*len)++] = x;
    e->match_bytes += sizeof x;
}

/* m's row of list ids (ncap of them) */
static inline const uint32_t *th_match_row(const th_engine *e, const th_match *m)
{
    return e->rowids.items + m->fv;
}
static inline const th_vlist *th_match_list(const th_engine *e, const th_match *m, size_t f)
{
    return e->lists.items[th_match_row(e, m)[f]];
}
static inline size_t th_match_nv(const th_engine *e, const th_match *m, size_t f)
{
    return th_match_list(e, m, f)->n;
}
static inline th_str th_match_v(const th_engine *e, const th_match *m, size_t f, size_t i)
{
    return th_match_list(e, m, f)->v[i];
}
/* A list of n values (engine arena) with its id in e->lists, and the list
 * without any value (static, id 0). */
th_vlist *th_vlist_new(th_engine *e, const th_str *v, size_t n);
extern const th_vlist th_vlist_empty;
/* Order of composite-aggregation keys: numbers numerically, else bytewise. */
int th_value_cmp(th_str a, th_str b);
/* Cartesian product of a match's values for captured fields [f0, f0+nf):
 * calls fn with each tuple. A field without values yields no tuple. Stops
 * after TH_ENGINE_MAX_COMBOS tuples; returns false when it had to. */
typedef void (*th_tuple_fn)(const th_str *tuple, size_t nf, void *ctx);
bool th_match_tuples(const th_engine *e, const th_match *m, size_t f0, size_t nf, th_tuple_fn fn,
                     void *ctx);
/* A tuple as a map key (values joined by \x1f; JSON text never holds one raw). */
void th_tuple_key(th_buf *b, const th_str *tuple, size_t nf);
/* Composite-aggregation order of two tuples. */
int th_tuple_cmp(const th_str *a, const th_str *b, size_t nf);
/* Adds the bytes of a new state allocation to the rule's state; false (and
 * flags state_capped) when max_state_bytes would be exceeded. */
bool th_state_charge(th_engine *e, th_erule *r, uint64_t *cur, uint64_t bytes);
/* Gives back state charged with th_state_charge that was freed (the ES|QL
 * pass's tables, freed when the rule's runs are done); the peak stays. */
void th_state_release(th_engine *e, uint64_t *cur, uint64_t bytes);
/* Empties what a rule remembers of alerts across runs: the alert ids a later
 * run could produce again, the suppression and threshold histories (a state
 * that did not load, a temporal pass undone). The keys stay in ids_arena. */
void th_rule_forget_history(th_erule *r);
/* Whether `bytes` more fit in the process-wide budget (max_memory_bytes); false
 * records that the budget was reached. In line with th_budget_note: the
 * commit tests every match kept (191,696 of the pack's on b100k, where the
 * two calls were 3.6 M instructions), and notes once per event. */
static inline bool th_budget_fits(th_engine *e, uint64_t bytes)
{
    if (!e->o.max_memory_bytes ||
        e->doc_bytes + e->match_bytes + e->state_bytes + bytes <= e->o.max_memory_bytes)
        return true;
    e->budget_reached = true;
    return false;
}
/* Updates the peak of what the engine keeps (after anything was kept). */
static inline void th_budget_note(th_engine *e)
{
    uint64_t now = e->doc_bytes + e->match_bytes + e->state_bytes;
    if (now > e->retained_peak)
        e->retained_peak = now;
}
/* alert.c: a loaded alert kept as text, parsed back (into e->arena) so that
 * suppression can update it; marks it to be written again. */
void th_alert_revive(th_engine *e, th_ealert *al);

#endif
