/* Queries: KQL (and later EQL, ES|QL WHERE) lowered to one IR, compiled to a
 * predicate over ECS documents, with prefilter extraction.
 *
 * The evaluator follows Elasticsearch's semantics per field type, from the
 * field schema (ecs/schema.h). Front ends decide null and case semantics.
 * Ownership: a compiled query lives in the arena given to th_query_compile.
 * Thread safety: evaluation is read-only; a query may be shared by threads. */
#ifndef TH_QUERY_QUERY_H
#define TH_QUERY_QUERY_H

#include <stdbool.h>
#include <stddef.h>

#include "base/arena.h"
#include "base/diag.h"
#include "json/json.h"

typedef struct th_query th_query;

typedef enum th_qlang { TH_QLANG_KQL, TH_QLANG_EQL, TH_QLANG_ESQL } th_qlang;

/* Where the query text sits in its file, so errors point into the file. */
typedef struct th_qsource {
    const char *file;
    unsigned line, col;
} th_qsource;

/* Compiles a query. On a syntax error adds a diagnostic naming the column and
 * what was expected, and returns NULL. */
th_query *th_query_compile(th_arena *a, th_qlang lang, const char *text, size_t len,
                           const th_qsource *src, th_diags *diags);

/* True when the document satisfies the query. */
bool th_query_match(const th_query *q, const th_jval *doc);

#endif
