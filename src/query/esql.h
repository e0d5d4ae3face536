/* ES|QL (SEMANTICS.md 7): a parser for the piped query language and an
 * evaluator of its commands over a table of rows built from ECS documents.
 *
 * Parsing happens once, at rule load: every command and function the query
 * uses must be known then, and an unknown one is an error at line:col in the
 * rule file. Execution takes the documents a scheduled run sees (the engine
 * has already applied the time window) and returns the result table; values
 * follow Elasticsearch's semantics: typed columns from the field schema
 * (ecs/schema.h), NULL propagation, multi-valued fields (NULL plus a warning
 * where a function wants one value), three-valued logic in WHERE.
 *
 * Lowering: the WHERE conditions before the first STATS (or LIMIT) that read
 * only source fields give a necessary condition as a query IR tree, so the
 * prefilter and gates route ES|QL rules like the others; the evaluator checks
 * the whole query again afterwards, so the lowered condition only has to be
 * true wherever the query can keep a document.
 *
 * Ownership: a parsed query and every result live in the arena given to the
 * call that made them. Thread safety: a parsed query is read-only once parsed;
 * any number of threads may run it at once, each with its own arena. */
#ifndef TH_QUERY_ESQL_H
#define TH_QUERY_ESQL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/diag.h"
#include "json/json.h"
#include "query/query.h"

typedef struct th_esql th_esql;
struct th_ir;

/* Parses a query. NULL with a diagnostic at the offending line:col when it
 * does not parse or uses a command or function this evaluator does not know. */
th_esql *th_esql_parse(th_arena *a, const char *text, size_t len, const th_qsource *src,
                       th_diags *diags);

/* The query has a STATS command (Kibana's isRuleAggregating). */
bool th_esql_aggregating(const th_esql *q);
/* FROM asks for the _id metadata column. */
bool th_esql_metadata_id(const th_esql *q);
/* The FROM index patterns, comma-joined as written. */
const char *th_esql_index(const th_esql *q);
/* The query has an explicit LIMIT. */
bool th_esql_has_limit(const th_esql *q);

/* The necessary condition of the leading WHERE commands (see above), or NULL
 * when none can be derived (the rule must see every event). */
struct th_ir *th_esql_lower(th_arena *a, const th_esql *q);
/* Source fields the query reads (names written in the query that no earlier
 * command defines, KEEP patterns excluded). Returns the count; fills at most
 * max. Sets *patterns when a KEEP/DROP pattern may read more fields. */
size_t th_esql_fields(const th_esql *q, th_str *out, size_t max, bool *patterns);

/* ---- execution --------------------------------------------------------- */

/* Visits the values at path of a document held some other way than as a
 * JSON tree, exactly as th_json_path_each would over its tree (a document of
 * captured values, engine/esql.c). */
typedef bool (*th_esql_each_fn)(const void *src, const void *ctx, th_str path, th_json_visit_fn visit,
                                void *vctx);
/* An each called with visit NULL and vctx a th_esql_texts may fill it with
 * the values it visits at path in src as the JSON texts they were read from
 * (a string with its quotes and escapes, a number's source text, true,
 * false), in the order it visits them, and return true, where path names
 * exactly one field of src holding scalars; else it returns false (then it
 * is called with a visit). Lets a date column read its texts without a
 * visit per value (th_etab_col). */
typedef struct th_esql_texts {
    const th_str *v;
    size_t n;
} th_esql_texts;

/* Optional with each: an identity of the values each visits at path in src.
 * Two documents read through the same each and ctx whose keys are equal and
 * not NULL visit the very same values (same texts, same order), so that a
 * column's cell of one may stand for the other's (a broad rule's rows
 * repeat their action, user, dataset ... far apart, not only in runs).
 * NULL when unsure. With src NULL: the keys at path of every document of
 * the array at once, as a `const void *const *` indexed by the document's
 * index, valid until the next such call; NULL when it cannot tell (then the
 * key is asked per document). Only where every document of the array has
 * the same each, ctx and key (a column then loads without a call per row). */
typedef const void *(*th_esql_key_fn)(const void *src, const void *ctx, th_str path);

/* Rows of one source (below): every row's instant of the date field path,
 * n of them (TH_TIME_NONE: null), where they are the cells the column's
 * texts would load as (a date's one string read by th_time_parse_iso, none
 * null); NULL where it cannot say (the column loads the usual way). Valid
 * until the next call of ctx's functions. */
typedef const int64_t *(*th_esql_dates_fn)(const void *ctx, th_str path, size_t n);

/* One input document with its metadata: the tree doc, or (each set) a
 * source src read through each with ctx. */
typedef struct th_esql_doc {
    const th_jval *doc;
    th_str id, index;
    int64_t version;
    th_esql_each_fn each;
    const void *src, *ctx;
    th_esql_key_fn key;
    th_esql_dates_fn dates; /* rows of one source: a date column at once, or NULL */
} th_esql_doc;

/* Rows of one source: a docs[0] with each set and src NULL stands for all
 * n documents of the call it is given to (th_esql_run*, th_esql_panes_new):
 * document d is docs[0] with src th_esql_row_src(d), which its each and key
 * read as row d (th_esql_src_row). The engine's captured matches come so:
 * an array of n documents, 80 bytes a row that differ only in src, was a
 * fifth of what a broad rule's pass held (engine/esql.c). */
static inline const void *th_esql_row_src(size_t d) { return (const void *)(uintptr_t)(d + 1); }
static inline size_t th_esql_src_row(const void *src) { return (size_t)(uintptr_t)src - 1; }
static inline bool th_esql_docs_rows(const th_esql_doc *docs) { return docs[0].each && !docs[0].src; }
/* document d of docs: &docs[d], or, for rows of one source, *one made it */
static inline const th_esql_doc *th_esql_doc_at(const th_esql_doc *docs, size_t d, th_esql_doc *one)
{
    if (!th_esql_docs_rows(docs))
        return &docs[d];
    *one = docs[0];
    one->src = th_esql_row_src(d);
    return one;
}

typedef struct th_esql_result th_esql_result;

/* Runs the query over docs (in that order) with NOW() = now_ms. limit > 0
 * appends `| LIMIT limit` (Kibana does for rules); 0 keeps the query's own
 * (or ES|QL's default of 1000). Run-time problems that Elasticsearch reports
 * as warnings (multi-valued operands, bad conversions) are counted in the
 * result; an error (an unknown column after STATS) gives NULL with *err set
 * to a static message. */
th_esql_result *th_esql_run(th_arena *a, const th_esql *q, const th_esql_doc *docs, size_t n,
                            int64_t now_ms, size_t limit, const char **err);

/* The same in two halves, so that a scheduler with overlapping windows runs
 * the row-local head of the query (WHERE, EVAL, DISSECT, GROK, KEEP, DROP,
 * RENAME, MV_EXPAND up to the first STATS, SORT, LIMIT or use of NOW()) once
 * per document: th_esql_run_prefix over every document, then per window
 * th_esql_run_rest over the rows of documents [dlo, dhi) (docs and ndocs as
 * given to the prefix; the prefix result must outlive the call). The result
 * equals th_esql_run over docs[dlo..dhi). */
size_t th_esql_prefix_end(const th_esql *q);
th_esql_result *th_esql_run_prefix(th_arena *a, const th_esql *q, const th_esql_doc *docs, size_t n,
                                   const char **err);
/* The same over documents the caller selected with the query's lowered
 * condition (th_esql_lower) evaluated on the very values they hold (a
 * rule's matches), where plain (with ctx) fills out[d] for every document
 * d of the array: 1 where path holds no value or one JSON string there,
 * else 0 (false: it cannot tell). A WHERE conjunct of the prefix that the
 * lowered condition holds as it is, and that ES|QL finds TRUE wherever that
 * condition's part is TRUE on such documents (esql_run.c, implied), is not
 * evaluated on a document whose fields it reads are all plain: it is TRUE
 * there and counts no warning. plain NULL: th_esql_run_prefix. */
typedef bool (*th_esql_plain_fn)(const void *ctx, th_str path, uint8_t *out);
th_esql_result *th_esql_run_prefix_routed(th_arena *a, const th_esql *q, const th_esql_doc *docs,
                                          size_t n, th_esql_plain_fn plain, const void *ctx,
                                          const char **err);
/* The same where the documents give every key at once (th_esql_key_fn
 * without src), with texts: given a key at path from that call, the texts
 * each (visit NULL) gives at path for a document with that key, and true;
 * false where each would be false there. Called with the documents' ctx.
 * A column of dates (a new key per row) then reads each row's texts from
 * its key, without a call to each (th_etab_col). Not a member of
 * th_esql_doc: its bytes per document are charged as the rule's state. */
typedef bool (*th_esql_key_texts_fn)(const void *ctx, th_str path, const void *key, th_esql_texts *out);
th_esql_result *th_esql_run_prefix_keyed(th_arena *a, const th_esql *q, const th_esql_doc *docs, size_t n,
                                         th_esql_plain_fn plain, th_esql_key_texts_fn texts, const void *ctx,
                                         const char **err);
/* th_esql_run_prefix_keyed, giving in *ids the ids of the result's columns'
 * cells (equal ids: the very same cell; esql_int.h's esql_ids; NULL: none)
 * for th_esql_panes_use_ids. Their memory is malloc'd, not the arena's
 * (whose bytes are charged as the rule's state), and not referred to from
 * the result (whose size is charged too); th_esql_ids_free frees it, after
 * th_esql_panes_free. */
typedef struct th_esql_ids th_esql_ids;
/* Optional with the keys of a whole column (th_esql_key_fn without src):
 * true where every key of such a column holds its id, a uint32_t at byte
 * *at of the key, under *bound (equal keys: the same id; different keys:
 * different ids); called with the documents' ctx. A column then finds a
 * key an earlier row had by its id instead of a hash look-up. Where it can
 * also give every document's key at path by its id, *col is those ids
 * (col[d] the id of document d's key, never NULL there) and *by_id the keys
 * by id (by_id[col[d]] that key), both valid until the next call of ctx's
 * functions; else *col is NULL (the keys are asked). A column then reads 4
 * bytes a row where it read a key and the id the key holds. */
typedef bool (*th_esql_key_ids_fn)(const void *ctx, th_str path, size_t *at, uint32_t *bound,
                                   const uint32_t **col, const void *const **by_id);
th_esql_result *th_esql_run_prefix_kept(th_arena *a, const th_esql *q, const th_esql_doc *docs,
                                        size_t n, th_esql_plain_fn plain,
                                        th_esql_key_texts_fn texts, th_esql_key_ids_fn key_ids,
                                        const void *ctx, th_esql_ids **ids, const char **err);
void th_esql_ids_free(th_esql_ids *ids);
th_esql_result *th_esql_run_rest(th_arena *a, const th_esql *q, const th_esql_result *pre,
                                 const th_esql_doc *docs, size_t ndocs, size_t dlo, size_t dhi,
                                 int64_t now_ms, size_t limit, const char **err);

/* Incremental STATS for a scheduler whose windows overlap (24 h of look-back
 * every hour): the prefix rows are cut into panes at the document indexes
 * cuts[0..ncuts) (ascending, distinct: every window's ends), each pane is
 * grouped and aggregated once into partial states, and a window's STATS
 * merges its panes' states (esql_inc.c says why that is exact). NULL when
 * the rest of the query after the prefix does not start with a STATS whose
 * expressions are free of NOW(): use th_esql_run_rest then. The panes live
 * in arena a (with pre and docs, they must outlive every run); free the
 * panes' map with th_esql_panes_free. */
typedef struct th_esql_panes th_esql_panes;
th_esql_panes *th_esql_panes_new(th_arena *a, const th_esql *q, const th_esql_result *pre,
                                 const th_esql_doc *docs, size_t ndocs, const size_t *cuts, size_t ncuts);
void th_esql_panes_free(th_esql_panes *p);
/* the prefix's cell ids (th_esql_run_prefix_kept) for the memos of the
 * panes' own grouping, whose table is the prefix's (NULL: none) */
void th_esql_panes_use_ids(th_esql_panes *p, const th_esql_ids *ids);
/* th_esql_run_rest over documents [dlo, dhi), when both are cuts (else
 * NULL with *err unset): the same rows and columns, in the same order. The
 * result may share cells with the panes' state of this window, which lasts
 * until the next call. */
th_esql_result *th_esql_panes_run(th_arena *a, th_esql_panes *p, size_t dlo, size_t dhi, int64_t now_ms,
                                  size_t limit, const char **err);
/* Bytes the panes hold for reuse from one window to the next, outside the
 * arena given to th_esql_panes_new (0 for NULL). */
size_t th_esql_panes_held(const th_esql_panes *p);

/* The same panes made chunk by chunk, holding no rows (Fold in
 * esql_inc.c): th_esql_panes_folded makes them empty for the cuts (NULL
 * where th_esql_panes_new would give NULL for any head); then, in any
 * order, each run of panes [k0, k1) is given as the head's result over its
 * documents alone (th_esql_run_prefix_kept over documents [cuts[k0],
 * cuts[k1]), document 0 of docs being document cuts[k0]; ids, its cell
 * ids, may be NULL), grouped into the panes' states and copied out of it:
 * pre, docs and ids need not outlive the call. False where the fold cannot
 * answer every window as th_esql_run_rest would without the rows (a
 * deferred condition on NOW() whose pane bounds cannot be kept, values of
 * two types in one aggregate, a long SUM that could overflow): then the panes are of no use (free
 * them) and the caller runs the query the usual way. th_esql_panes_run answers a window
 * once its panes are given (and refuses it before, or once th_esql_panes_drop dropped one). */
th_esql_panes *th_esql_panes_folded(th_arena *a, const th_esql *q, const size_t *cuts,
                                    size_t ncuts);
bool th_esql_panes_fold(th_esql_panes *p, const th_esql_result *pre, const th_esql_doc *docs,
                        size_t ndocs, const th_esql_ids *ids, size_t k0, size_t k1);
/* Whether the folded panes answer the window [dlo, dhi) at NOW() = now_ms:
 * every pane in it with rows is kept whole or not at all by the conditions
 * on NOW() the head defers (always, without such conditions), and every
 * pane in it was given and not dropped. Where one says no, the caller runs
 * the query the usual way (th_esql_panes_run would fail that window), so
 * it emits no run's output before every window said yes. */
bool th_esql_panes_whole(th_esql_panes *p, size_t dlo, size_t dhi, int64_t now_ms);
/* Frees the folded panes before the one that starts at document dlo, as
 * no later window reads them (the memory of a folded rule bounded by its
 * look-back, not by the data): th_esql_panes_whole and th_esql_panes_run
 * then refuse a window that holds one. */
void th_esql_panes_drop(th_esql_panes *p, size_t dlo);

/* For an aggregating query that reads documents only through named fields
 * (no KEEP pattern, KQL() or metadata before its first STATS): the fields a
 * document needs for the query to run on a document holding just them (as
 * flat keys); SIZE_MAX when the query needs whole documents. Fills at most
 * max (more: SIZE_MAX). */
size_t th_esql_capture_fields(const th_esql *q, th_str *out, size_t max);

size_t th_esql_ncols(const th_esql_result *r);
size_t th_esql_nrows(const th_esql_result *r);
th_str th_esql_colname(const th_esql_result *r, size_t col);
/* The ES|QL type of a column ("keyword", "long", "date" ...). */
const char *th_esql_coltype(const th_esql_result *r, size_t col);
/* A cell as JSON (a scalar, an array for multi-values; dates as ISO-8601
 * text), or NULL for a null cell. Lives in arena a. */
th_jval *th_esql_cell(th_arena *a, const th_esql_result *r, size_t row, size_t col);
/* The input document row `row` came from (before any STATS), or -1. */
long th_esql_row_doc(const th_esql_result *r, size_t row);
/* Warnings counted during the run (multi-valued operands, bad conversions). */
uint64_t th_esql_warnings(const th_esql_result *r);

/* Rows in and out of each command (explain); cmd 0 is FROM. */
size_t th_esql_ncmds(const th_esql *q);
const char *th_esql_cmd_name(const th_esql *q, size_t cmd);
/* the command's line in the query text (1-based) */
unsigned th_esql_cmd_line(const th_esql *q, size_t cmd);
void th_esql_cmd_rows(const th_esql_result *r, size_t cmd, size_t *in, size_t *out);

/* th_esql_run that follows document `track` (explain): which rows after
 * each command hold it (its own row before the first STATS, the rows of
 * the groups it fell in after). */
th_esql_result *th_esql_run_traced(th_arena *a, const th_esql *q, const th_esql_doc *docs, size_t n,
                                   int64_t now_ms, size_t limit, size_t track, const char **err);
/* rows out of command cmd that hold the followed document (0 when none is) */
size_t th_esql_cmd_tracked(const th_esql_result *r, size_t cmd);
/* rows of the result (after the LIMIT) that hold the followed document */
size_t th_esql_tracked_rows(const th_esql_result *r);

#endif
