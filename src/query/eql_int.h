/* Internal to the EQL front end (eql.c, eql_lex.c): tokens, parser state, lexer. */
#ifndef TH_QUERY_EQL_INT_H
#define TH_QUERY_EQL_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/diag.h"
#include "base/str.h"
#include "query/query.h"

typedef enum tok {
    T_EOF, T_IDENT, T_STRING, T_NUMBER, T_LPAREN, T_RPAREN, T_COMMA, T_LBRACK, T_RBRACK,
    T_EQ, T_NE, T_LT, T_LE, T_GT, T_GE, T_COLON, T_TILDE, T_ERROR,
} tok;

typedef struct eparser {
    th_arena *a;
    const char *s;
    size_t n, pos;
    /* current token */
    tok t;
    size_t tpos, tend;
    th_str text; /* identifier, decoded string, number text */
    bool failed;
    int depth;
    const th_qsource *src;
    th_diags *diags;
    th_buf tmp;
} eparser;

/* Reports the first syntax error (query line/column, mapped into the file). */
void th_eql_error_at(eparser *p, size_t pos, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Reads the next token into p->t / p->text / p->tpos. */
void th_eql_next(eparser *p);
/* The current token is the identifier w (case-insensitive). */
bool th_eql_is_kw(const eparser *p, const char *w);
/* The current token is a reserved word (and, or, not, in, like, regex, where ...). */
bool th_eql_reserved(const eparser *p);

#endif
