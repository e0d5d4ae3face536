/* Internal to query/lregex*.c: the syntax tree the parser builds and the
 * automaton builder reads. Nodes and their ranges / children live in vectors
 * owned by the parser (freed by lre_parse_free). */
#ifndef TH_QUERY_LREGEX_INT_H
#define TH_QUERY_LREGEX_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/vec.h"

#define LRE_CP_MAX 0x10FFFFu

typedef struct lre_rng {
    uint32_t lo, hi;
} lre_rng;

typedef enum lre_kind {
    LK_EMPTY,  /* `#`: no string */
    LK_EPS,    /* `()`, `""`: the empty string */
    LK_SET,    /* one code point out of ranges r0..r0+rn */
    LK_ANYSTR, /* `@`: every string */
    LK_CAT,    /* children k0..k0+kn, in order */
    LK_ALT,    /* any child */
    LK_AND,    /* every child */
    LK_NOT,    /* not child a */
    LK_REP,    /* child a, min..max times (max -1: unbounded) */
} lre_kind;

typedef struct lre_node {
    lre_kind k;
    int a;
    int min, max;
    size_t r0, rn; /* LK_SET: ranges; LK_CAT/ALT/AND: children (indices in kids) */
} lre_node;

typedef struct lre_ast {
    TH_VEC(lre_node) nodes;
    TH_VEC(lre_rng) rngs;
    TH_VEC(int) kids;
    int root;
} lre_ast;

/* Parses pattern[0..n) into ast (root set); false with a message and the byte
 * offset of the problem. ast must be zero-initialised; free it either way. */
bool lre_parse(lre_ast *ast, const char *pattern, size_t n, bool nocase, char *err,
               size_t errcap, size_t *errpos);
void lre_ast_free(lre_ast *ast);

#endif
