/* Stage 1 of jscan with SSE4.2 + POPCNT (SSSE3 shuffles, no PCLMUL: the string mask is a
 * shift-xor prefix): 64 bytes per step as 4 x 16. Compiled with target
 * attributes, so the build needs no -msse4.2; jscan.c checks the CPU first. */
#include "json/jscan_int.h"

#if defined(__x86_64__)
#include <immintrin.h>
#include <string.h>

#define TARGET __attribute__((target("sse4.2,popcnt")))

TARGET static inline uint64_t mask64(__m128i a, __m128i b, __m128i c, __m128i d)
{
    return (uint64_t)(uint32_t)_mm_movemask_epi8(a) |
           ((uint64_t)(uint32_t)_mm_movemask_epi8(b) << 16) |
           ((uint64_t)(uint32_t)_mm_movemask_epi8(c) << 32) |
           ((uint64_t)(uint32_t)_mm_movemask_epi8(d) << 48);
}

/* Exact-match byte classes by a low-nibble table lookup: a byte c is in the
 * class when table[c & 15] == c (pshufb yields 0 for c >= 0x80, never equal
 * to c). */
TARGET static inline __m128i in_table(__m128i tab, __m128i v)
{
    return _mm_cmpeq_epi8(_mm_shuffle_epi8(tab, v), v);
}

/* whitespace and ',' by one table (a slot each), ':' by a compare (its slot
 * is '\n''s) */
TARGET static inline __m128i sep_of(__m128i v)
{
    const __m128i tab =
        _mm_setr_epi8(0x20, -1, -1, -1, -1, -1, -1, -1, -1, 0x09, 0x0A, -1, ',', 0x0D, -1, -1);
    return _mm_or_si128(in_table(tab, v), _mm_cmpeq_epi8(v, _mm_set1_epi8(':')));
}

/* { } [ ]: a table of '{' and '}' matched against the byte | 0x20, which
 * turns '[' and ']' into them and no other byte (pshufb yields 0 for
 * c >= 0x80, and c | 0x20 is never 0) */
TARGET static inline __m128i brk_of(__m128i v)
{
    const __m128i tab = _mm_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, '{', 0, '}', 0, 0);
    return _mm_cmpeq_epi8(_mm_shuffle_epi8(tab, v), _mm_or_si128(v, _mm_set1_epi8(0x20)));
}

TARGET __attribute__((always_inline)) static inline uint32_t *
block(const unsigned char *p, uint32_t base, uint32_t *o, jblock_state *st, uint64_t *anybs,
      __m128i *low)
{
    __m128i v0 = _mm_loadu_si128((const __m128i *)(const void *)p);
    __m128i v1 = _mm_loadu_si128((const __m128i *)(const void *)(p + 16));
    __m128i v2 = _mm_loadu_si128((const __m128i *)(const void *)(p + 32));
    __m128i v3 = _mm_loadu_si128((const __m128i *)(const void *)(p + 48));
    const __m128i q = _mm_set1_epi8('"'), b = _mm_set1_epi8('\\');
    uint64_t quote = mask64(_mm_cmpeq_epi8(v0, q), _mm_cmpeq_epi8(v1, q), _mm_cmpeq_epi8(v2, q),
                            _mm_cmpeq_epi8(v3, q));
    uint64_t bs = mask64(_mm_cmpeq_epi8(v0, b), _mm_cmpeq_epi8(v1, b), _mm_cmpeq_epi8(v2, b),
                         _mm_cmpeq_epi8(v3, b));
    uint64_t sep = mask64(sep_of(v0), sep_of(v1), sep_of(v2), sep_of(v3));
    uint64_t brk = mask64(brk_of(v0), brk_of(v1), brk_of(v2), brk_of(v3));
    *anybs |= bs;
    /* the signed minimum of every byte so far (SSE4.1's pminsb), compared
     * with 0x20 once at the end (see jscan_avx2.c) */
    *low = _mm_min_epi8(*low, _mm_min_epi8(_mm_min_epi8(v0, v1), _mm_min_epi8(v2, v3)));
    quote &= ~jblock_escaped(bs, &st->escaped);
    uint64_t inside = jblock_prefix_xor(quote);
    return jblock_flatten(o, base, jblock_finish(st, quote, brk, sep, inside));
}

TARGET size_t th_jscan_stage1_sse(const unsigned char *p, size_t n, uint32_t *out, unsigned *flags)
{
    jblock_state st = {0, 0, 1};
    uint64_t anybs = 0;
    __m128i low = _mm_set1_epi8(0x7F);
    uint32_t *o = out;
    size_t i = 0;
    for (; i + 64 <= n; i += 64)
        o = block(p + i, (uint32_t)i, o, &st, &anybs, &low);
    if (i < n) {
        /* the tail is padded with spaces, which index nothing: never read past n */
        _Alignas(16) unsigned char tail[64];
        memset(tail, ' ', sizeof tail);
        memcpy(tail, p + i, n - i);
        o = block(tail, (uint32_t)i, o, &st, &anybs, &low);
    }
    /* signed: bytes >= 0x80 are negative, so "< 0x20" takes them too */
    __m128i special = _mm_cmpgt_epi8(_mm_set1_epi8(0x20), low);
    *flags = (anybs ? TH_JSCAN_HAS_BS : 0u) | (st.in_string ? TH_JSCAN_OPEN_STRING : 0u) |
             (_mm_movemask_epi8(special) ? TH_JSCAN_CTL_HIGH : 0u);
    return (size_t)(o - out);
}
#else
typedef int th_jscan_sse_unused; /* ISO C wants a non-empty translation unit */
#endif
