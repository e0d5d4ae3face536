/* A KQL scanner for the linter: lists every `field: value` / `field op value`
 * clause of a query with its position, its kind and whether it sits under an
 * odd number of `not`s. It follows Kibana's kuery grammar (SEMANTICS.md 3.1)
 * but builds no predicate: evaluation is query/'s job. The linter needs
 * source positions of each clause, which a compiled IR does not keep.
 *
 * Ownership: clauses point into the query text (fields and unquoted values)
 * or into the arena (decoded quoted values). */
#ifndef TH_TUNE_KQLSCAN_H
#define TH_TUNE_KQLSCAN_H

#include <stdbool.h>
#include <stddef.h>

#include "base/arena.h"
#include "base/str.h"

typedef enum th_kql_kind {
    TH_KQL_EXISTS,   /* field: *            */
    TH_KQL_TERM,     /* field: value        */
    TH_KQL_WILDCARD, /* field: pre*fix      (unquoted, with * or ?) */
    TH_KQL_RANGE,    /* field >= value      */
    TH_KQL_FREE,     /* a value without a field (searches every field) */
} th_kql_kind;

typedef struct th_kql_clause {
    th_kql_kind kind;
    th_str field; /* empty for FREE */
    th_str value; /* decoded (quotes and escapes removed) */
    bool quoted;
    bool negated;  /* under an odd number of `not` */
    size_t offset; /* byte offset of the field (or value) in the query text */
} th_kql_clause;

typedef struct th_kql_scan {
    th_kql_clause *items;
    size_t len, cap;
    /* first syntax problem, if any */
    bool error;
    size_t error_offset;
    const char *error_reason;
} th_kql_scan;

/* Scans text; clauses go to out (arena-allocated). On a syntax error the
 * clauses seen so far are kept and out->error is set. */
void th_kql_scan_text(th_arena *a, const char *text, size_t len, th_kql_scan *out);

#endif
