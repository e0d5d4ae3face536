/* Stage 1 of jscan with AVX2 (+PCLMUL for the string mask, BMI1 for the bit scans): 64 bytes per
 * step. Compiled with target attributes, so the build needs no -mavx2; jscan.c only calls it after
 * __builtin_cpu_supports says the CPU has the instructions. */
#define TH_JSCAN_TZCNT 1 /* the target has BMI1 */
#include "json/jscan_int.h"

#if defined(__x86_64__)
#include <immintrin.h>
#include <string.h>

#define TARGET __attribute__((target("avx2,pclmul,bmi,popcnt")))

TARGET static inline uint64_t mask64(__m256i lo, __m256i hi)
{
    uint32_t a = (uint32_t)_mm256_movemask_epi8(lo);
    uint32_t b = (uint32_t)_mm256_movemask_epi8(hi);
    return (uint64_t)a | ((uint64_t)b << 32);
}

/* Exact-match byte classes by a low-nibble table lookup: a byte c is in the class
 * when table[c & 15] == c (pshufb yields 0 for c >= 0x80, never equal to c). */
TARGET static inline __m256i in_table(__m256i tab, __m256i v)
{
    return _mm256_cmpeq_epi8(_mm256_shuffle_epi8(tab, v), v);
}

TARGET __attribute__((always_inline)) static inline uint32_t *
block(const unsigned char *p, uint32_t base, uint32_t *o, jblock_state *st, uint64_t *anybs,
      __m256i *low)
{
    /* whitespace and ',' by one table (a slot each), ':' by a compare (its
     * slot is '\n''s); brackets by a table of '{' and '}' matched against
     * the byte | 0x20, which turns '[' and ']' into them and no other byte
     * (pshufb yields 0 for c >= 0x80, and c | 0x20 is never 0) */
    const __m256i sep_tab =
        _mm256_setr_epi8(0x20, -1, -1, -1, -1, -1, -1, -1, -1, 0x09, 0x0A, -1, ',', 0x0D, -1, -1,
                         0x20, -1, -1, -1, -1, -1, -1, -1, -1, 0x09, 0x0A, -1, ',', 0x0D, -1, -1);
    const __m256i brk_tab =
        _mm256_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, '{', 0, '}', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                         0, 0, 0, '{', 0, '}', 0, 0);
    __m256i lo = _mm256_loadu_si256((const __m256i *)(const void *)p);
    __m256i hi = _mm256_loadu_si256((const __m256i *)(const void *)(p + 32));
    const __m256i q = _mm256_set1_epi8('"'), b = _mm256_set1_epi8('\\'),
                  colon = _mm256_set1_epi8(':'), curl = _mm256_set1_epi8(0x20);
    uint64_t quote = mask64(_mm256_cmpeq_epi8(lo, q), _mm256_cmpeq_epi8(hi, q));
    __m256i bs_lo = _mm256_cmpeq_epi8(lo, b), bs_hi = _mm256_cmpeq_epi8(hi, b);
    uint64_t sep = mask64(_mm256_or_si256(in_table(sep_tab, lo), _mm256_cmpeq_epi8(lo, colon)),
                          _mm256_or_si256(in_table(sep_tab, hi), _mm256_cmpeq_epi8(hi, colon)));
    uint64_t brk = mask64(_mm256_cmpeq_epi8(_mm256_shuffle_epi8(brk_tab, lo), _mm256_or_si256(lo, curl)),
                          _mm256_cmpeq_epi8(_mm256_shuffle_epi8(brk_tab, hi), _mm256_or_si256(hi, curl)));
    /* the signed minimum of every byte so far, compared with 0x20 once at the
     * end: two minimums a block, where a compare of each half and the ORs
     * that gathered them took six instructions */
    *low = _mm256_min_epi8(*low, _mm256_min_epi8(lo, hi));
    /* the backslash mask only for a block that has one, or whose first byte
     * the previous block escapes: a vptest, where the two halves' masks were
     * moved out, merged and tested on every block */
    __m256i bs_any = _mm256_or_si256(bs_lo, bs_hi);
    if (__builtin_expect(!_mm256_testz_si256(bs_any, bs_any) || st->escaped, 0)) {
        uint64_t bs = mask64(bs_lo, bs_hi);
        *anybs |= bs;
        quote &= ~jblock_escaped(bs, &st->escaped);
    }
    __m128i x = _mm_clmulepi64_si128(_mm_set_epi64x(0, (long long)quote), _mm_set1_epi8(-1), 0);
    uint64_t inside = (uint64_t)_mm_cvtsi128_si64(x);
    return jblock_flatten(o, base, jblock_finish(st, quote, brk, sep, inside));
}

TARGET size_t th_jscan_stage1_avx2(const unsigned char *p, size_t n, uint32_t *out, unsigned *flags)
{
    jblock_state st = {0, 0, 1};
    uint64_t anybs = 0;
    __m256i low = _mm256_set1_epi8(0x7F);
    uint32_t *o = out;
    size_t i = 0;
    /* two blocks a step: the loop's compare, branch and base updates once
     * per 128 bytes */
    for (; i + 128 <= n; i += 128) {
        o = block(p + i, (uint32_t)i, o, &st, &anybs, &low);
        o = block(p + i + 64, (uint32_t)i + 64, o, &st, &anybs, &low);
    }
    if (i + 64 <= n) {
        o = block(p + i, (uint32_t)i, o, &st, &anybs, &low);
        i += 64;
    }
    if (i < n) {
        /* the tail is padded with spaces, which index nothing: never read past n */
        _Alignas(32) unsigned char tail[64];
        memset(tail, ' ', sizeof tail);
        memcpy(tail, p + i, n - i);
        o = block(tail, (uint32_t)i, o, &st, &anybs, &low);
    }
    /* signed: bytes >= 0x80 are negative, so "< 0x20" takes them too */
    __m256i special = _mm256_cmpgt_epi8(_mm256_set1_epi8(0x20), low);
    *flags = (anybs ? TH_JSCAN_HAS_BS : 0u) | (st.in_string ? TH_JSCAN_OPEN_STRING : 0u) |
             (_mm256_testz_si256(special, special) ? 0u : TH_JSCAN_CTL_HIGH);
    return (size_t)(o - out);
}
#else
typedef int th_jscan_avx2_unused; /* ISO C wants a non-empty translation unit */
#endif
