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

/* The classes of a byte by a low-nibble and a high-nibble lookup, ANDed: bit
 * 7 the brackets, bit 0 the backslash, bit 1 the '@', a value >= 4 what ends
 * a scalar token (brackets, quote, whitespace, ':' and ','); the tables are
 * jscan_avx2.c's, which says how they are built. */
#define CLS_BRK (-0x80) /* bit 7, as _mm_setr_epi8 takes it (a char) */
#define CLS_BS 0x01
#define CLS_AT 0x02
#define CLS_WS 0x04 /* 0x09 0x0A 0x0D */
#define CLS_2X 0x08 /* ' ' '"' ',' */
#define CLS_3X 0x10 /* ':' */

TARGET static inline __m128i classes(__m128i v)
{
    const __m128i lo_tab =
        _mm_setr_epi8(CLS_2X | CLS_AT, 0, CLS_2X, 0, 0, 0, 0, 0, 0, CLS_WS, CLS_WS | CLS_3X,
                      CLS_BRK, CLS_2X | CLS_BS, CLS_WS | CLS_BRK, 0, 0);
    const __m128i hi_tab = _mm_setr_epi8(CLS_WS, 0, CLS_2X, CLS_3X, CLS_AT, CLS_BRK | CLS_BS, 0,
                                         CLS_BRK, 0, 0, 0, 0, 0, 0, 0, 0);
    __m128i hi = _mm_and_si128(_mm_srli_epi16(v, 4), _mm_set1_epi8(0x0F));
    return _mm_and_si128(_mm_shuffle_epi8(lo_tab, v), _mm_shuffle_epi8(hi_tab, hi));
}

/* The token ends of a class vector: a saturating + 0x7C sets the top bit of
 * class values >= 4. */
TARGET static inline __m128i apart_of(__m128i cls)
{
    return _mm_adds_epu8(cls, _mm_set1_epi8(0x7C));
}

/* See jscan_avx2.c's escapes. */
TARGET __attribute__((always_inline)) static inline void
escapes(__m128i v0, __m128i v1, __m128i v2, __m128i v3, jblock_state *st, uint64_t *anybs,
        uint64_t *quote, uint64_t *apart0)
{
    const __m128i b = _mm_set1_epi8('\\');
    uint64_t bs = mask64(_mm_cmpeq_epi8(v0, b), _mm_cmpeq_epi8(v1, b), _mm_cmpeq_epi8(v2, b),
                         _mm_cmpeq_epi8(v3, b));
    *anybs |= bs;
    uint64_t escaped_quote = *quote & jblock_escaped(bs, &st->escaped);
    *quote ^= escaped_quote;
    *apart0 ^= escaped_quote;
}

TARGET __attribute__((always_inline)) static inline uint32_t *
block(const unsigned char *p, uint32_t base, uint32_t *o, jblock_state *st, uint64_t *anybs,
      bool *anyat, __m128i *low)
{
    __m128i v0 = _mm_loadu_si128((const __m128i *)(const void *)p);
    __m128i v1 = _mm_loadu_si128((const __m128i *)(const void *)(p + 16));
    __m128i v2 = _mm_loadu_si128((const __m128i *)(const void *)(p + 32));
    __m128i v3 = _mm_loadu_si128((const __m128i *)(const void *)(p + 48));
    const __m128i q = _mm_set1_epi8('"');
    uint64_t quote = mask64(_mm_cmpeq_epi8(v0, q), _mm_cmpeq_epi8(v1, q), _mm_cmpeq_epi8(v2, q),
                            _mm_cmpeq_epi8(v3, q));
    __m128i c0 = classes(v0), c1 = classes(v1), c2 = classes(v2), c3 = classes(v3);
    uint64_t brk = mask64(c0, c1, c2, c3);
    uint64_t apart0 = mask64(apart_of(c0), apart_of(c1), apart_of(c2), apart_of(c3));
    /* the signed minimum of every byte so far (SSE4.1's pminsb), compared
     * with 0x20 once at the end (see jscan_avx2.c) */
    *low = _mm_min_epi8(*low, _mm_min_epi8(_mm_min_epi8(v0, v1), _mm_min_epi8(v2, v3)));
    /* the backslash mask only for a block that has one (its class bit, by
     * one ptest of the four classes ORed) or whose first byte the previous
     * block escapes (two branches, as jscan_avx2.c); the blocks with an '@'
     * take the first and say so there */
    __m128i cls = _mm_or_si128(_mm_or_si128(c0, c1), _mm_or_si128(c2, c3));
    if (__builtin_expect(!_mm_testz_si128(cls, _mm_set1_epi8(CLS_BS | CLS_AT)), 0)) {
        *anyat |= !_mm_testz_si128(cls, _mm_set1_epi8(CLS_AT));
        escapes(v0, v1, v2, v3, st, anybs, &quote, &apart0);
    } else if (__builtin_expect(st->escaped != 0, 0))
        escapes(v0, v1, v2, v3, st, anybs, &quote, &apart0);
    uint64_t inside = jblock_inside(st, jblock_prefix_xor(quote));
    return jblock_flatten(o, base, jblock_finish(st, quote, brk, apart0, inside));
}

TARGET size_t th_jscan_stage1_sse(const unsigned char *p, size_t n, uint32_t *out, unsigned *flags)
{
    jblock_state st = {0, 0, 1ULL << 63};
    uint64_t anybs = 0;
    bool anyat = false;
    __m128i low = _mm_set1_epi8(0x7F);
    uint32_t *o = out;
    size_t i = 0;
    for (; i + 64 <= n; i += 64)
        o = block(p + i, (uint32_t)i, o, &st, &anybs, &anyat, &low);
    if (i < n) {
        /* the tail is padded with spaces, which index nothing: never read past n */
        _Alignas(16) unsigned char tail[64];
        memset(tail, ' ', sizeof tail);
        memcpy(tail, p + i, n - i);
        o = block(tail, (uint32_t)i, o, &st, &anybs, &anyat, &low);
    }
    /* signed: bytes >= 0x80 are negative, so "< 0x20" takes them too */
    __m128i special = _mm_cmpgt_epi8(_mm_set1_epi8(0x20), low);
    *flags = (anybs ? TH_JSCAN_HAS_BS : 0u) | (st.in_string ? TH_JSCAN_OPEN_STRING : 0u) |
             (_mm_movemask_epi8(special) ? TH_JSCAN_CTL_HIGH : 0u) | (anyat ? TH_JSCAN_HAS_AT : 0u);
    return (size_t)(o - out);
}
#else
typedef int th_jscan_sse_unused; /* ISO C wants a non-empty translation unit */
#endif
