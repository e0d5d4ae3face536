/* Internal to the KQL front end (kql.c, kql_lex.c): parser state and the
 * lexical functions the grammar functions call. */
#ifndef TH_QUERY_KQL_INT_H
#define TH_QUERY_KQL_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/str.h"

#define WILD_MARK ((char)0xFF) /* never a byte of valid UTF-8: marks an unescaped `*` */
#define MAX_EXPECTED 8

typedef struct parser {
    th_arena *a;
    const char *s;
    size_t n, pos;
    int depth;
    bool too_deep;
    size_t fail_pos;
    const char *expected[MAX_EXPECTED];
    size_t nexpected;
    th_str prefix; /* nested query path ("" at top level) */
    th_buf tmp;
} parser;

typedef struct lit {
    th_str text;     /* decoded, trimmed (wildcards as `*`) */
    th_str pattern;  /* Lucene wildcard pattern (only when wildcard) */
    bool quoted, wildcard, lone_wildcard, is_null;
    size_t start;
} lit;

/* Records that `what` was expected at pos (only the furthest position is kept). */
void th_kql_expect(parser *p, size_t pos, const char *what);
size_t th_kql_skip_spaces(const parser *p, size_t pos);
/* ` or ` / ` and ` (Space+ word Space+) at pos: the end, or 0. */
size_t th_kql_binop_at(const parser *p, size_t pos, const char *w);
/* `not` Space+ at pos: the end, or 0. */
size_t th_kql_not_at(const parser *p, size_t pos);
/* Literal = QuotedString / UnquotedLiteral; advances p->pos on success. */
bool th_kql_literal(parser *p, lit *out);

#endif
