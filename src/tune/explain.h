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

#endif
