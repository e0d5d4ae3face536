/* Explain: why a query does or does not select one event. Every node of the
 * query's IR (query/ir.h) is compiled on its own and evaluated by the real
 * evaluator (query.h), so each clause's truth value is exactly the one the
 * whole query used; nothing here re-implements matching. Leaves also show the
 * values the event holds at their field.
 *
 * Ownership: compiled sub-queries live in the arena given; output is
 * appended to the caller's buffer. */
#ifndef TH_TUNE_EXPLAIN_H
#define TH_TUNE_EXPLAIN_H

#include <stdbool.h>

#include "base/arena.h"
#include "base/buf.h"
#include "query/query.h"
#include "json/json.h"

typedef struct th_explain_stats {
    size_t nodes, true_nodes;
    bool verdict;
} th_explain_stats;

/* Writes the annotated tree (text, or JSON when json is true). */
void th_explain_query(th_buf *out, th_arena *a, const th_query *q, th_qlang lang,
                      const th_jval *doc, bool json, th_explain_stats *st);

/* ES|QL: one scheduled run of the query (NOW() = run_ms, over the window
 * [from_ms, run_ms] whose documents are docs, Kibana's `| LIMIT limit`
 * appended unless limit is SIZE_MAX), following docs[track]: per command
 * the rows in and out and how many of them still hold the event (its own
 * row, or after a STATS the rows of its groups), and the command that
 * dropped it. Text, or a JSON object when json is true. Returns true when
 * a result row holds the event. */
struct th_esql;
struct th_esql_doc;
bool th_explain_esql(th_buf *out, th_arena *a, const struct th_esql *q, const struct th_esql_doc *docs,
                     size_t n, size_t track, int64_t from_ms, int64_t run_ms, size_t limit, bool json);
/* How far the event got in that run: the number of leading commands that
 * still hold it (ncmds + 1 when a result row holds it after the LIMIT). */
size_t th_explain_esql_reach(th_arena *a, const struct th_esql *q, const struct th_esql_doc *docs, size_t n,
                             size_t track, int64_t run_ms, size_t limit);

#endif
