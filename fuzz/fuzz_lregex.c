/* libFuzzer target for query/lregex (Lucene RegExp on an automaton). The first
 * byte's low bit picks regex~ (case-insensitive); the rest is the pattern, up to
 * a NUL, and the value after it (the pattern itself when there is no NUL).
 * Any pattern must compile or be refused with a position inside it; matching
 * must neither crash nor hang (it is linear); and complement must agree:
 * when P and ~(P) both compile, exactly one of them matches the value; the
 * general construction (TH_LRE_GENERAL) compiles P too and agrees on the value;
 * and so does P matched code point by code point (TH_LRE_CODEPOINTS: without the
 * table of a DFA's moves on ASCII bytes).
 *
 *   make fuzz            (all targets; FUZZ_SECONDS each)
 *   build/fuzz/fuzz_lregex -max_len=256 CORPUS_DIR */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "query/lregex.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0 || size > 4096)
        return 0;
    unsigned flags = (data[0] & 1) ? TH_LRE_NOCASE : 0;
    const char *p = (const char *)data + 1;
    size_t n = size - 1;
    const char *nul = memchr(p, 0, n);
    size_t pn = nul ? (size_t)(nul - p) : n;
    const char *s = nul ? nul + 1 : p;
    size_t sn = nul ? n - pn - 1 : n;
    th_arena a;
    th_arena_init(&a, 0);
    char err[256];
    size_t at = 0;
    th_lregex *re = th_lregex_compile(&a, p, pn, flags, err, sizeof err, &at);
    if (!re) {
        if (at > pn || err[0] == 0)
            abort();
    } else {
        bool m = th_lregex_match(re, s, sn);
        /* the literal search fast path must answer as the general construction does */
        th_lregex *gen = th_lregex_compile(&a, p, pn, flags | TH_LRE_GENERAL, err, sizeof err, &at);
        if (!gen || th_lregex_match(gen, s, sn) != m)
            abort();
        th_lregex *cps =
            th_lregex_compile(&a, p, pn, flags | TH_LRE_CODEPOINTS, err, sizeof err, &at);
        if (!cps || th_lregex_match(cps, s, sn) != m)
            abort();
        char *wrapped = malloc(pn + 3);
        wrapped[0] = '~', wrapped[1] = '(';
        memcpy(wrapped + 2, p, pn);
        wrapped[pn + 2] = ')';
        th_lregex *co = th_lregex_compile(&a, wrapped, pn + 3, flags, err, sizeof err, &at);
        if (co && th_lregex_match(co, s, sn) == m)
            abort(); /* P and ~(P) must disagree on every value */
        free(wrapped);
    }
    th_arena_free(&a);
    return 0;
}
