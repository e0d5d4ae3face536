/* Stage 1 of jscan with AVX2 (+PCLMUL for the string mask, BMI1 for the bit scans): 64 bytes per
 * step. Compiled with target attributes, so the build needs no -mavx2; jscan.c only calls it after
 * __builtin_cpu_supports says the CPU has the instructions. */
#define TH_JSCAN_BMI 1 /* the target has BMI1 */
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

/* The classes of a byte by two table lookups, one by its low nibble and one
 * by its high nibble, ANDed (pshufb yields 0 for an index >= 0x80, and the
 * high table is 0 from 8 on, so bytes >= 0x80 are in no class). A class is
 * a set of (high, low) pairs, a bit set in both tables: bit 7 the brackets
 * { } [ ] (high 5 or 7, low B or D), bit 0 the backslash (5, C), bit 1 the
 * '@' (4, 0), bits 2-4 whitespace, quote, ':' and ',' by their high nibble:
 * 2 for 0x09 0x0A 0x0D (high 0), 3 for ' ' '"' ',' (high 2), 4 for ':'
 * (high 3). So a byte's class value is >= 4 exactly when it is a bracket,
 * quote, whitespace, ':' or ',' (what ends a scalar token), >= 0x80 exactly
 * when it is a bracket, 1 exactly when it is a backslash, 2 exactly when it
 * is an '@'. */
#define CLS_BRK (-0x80) /* bit 7, as _mm256_setr_epi8 takes it (a char) */
#define CLS_BS 0x01
#define CLS_AT 0x02
#define CLS_WS 0x04 /* 0x09 0x0A 0x0D */
#define CLS_2X 0x08 /* ' ' '"' ',' */
#define CLS_3X 0x10 /* ':' */

TARGET static inline __m256i classes(__m256i v)
{
    const __m256i lo_tab = _mm256_setr_epi8(
        CLS_2X | CLS_AT, 0, CLS_2X, 0, 0, 0, 0, 0, 0, CLS_WS, CLS_WS | CLS_3X, CLS_BRK,
        CLS_2X | CLS_BS, CLS_WS | CLS_BRK, 0, 0, CLS_2X | CLS_AT, 0, CLS_2X, 0, 0, 0, 0, 0, 0,
        CLS_WS, CLS_WS | CLS_3X, CLS_BRK, CLS_2X | CLS_BS, CLS_WS | CLS_BRK, 0, 0);
    const __m256i hi_tab = _mm256_setr_epi8(
        CLS_WS, 0, CLS_2X, CLS_3X, CLS_AT, CLS_BRK | CLS_BS, 0, CLS_BRK, 0, 0, 0, 0, 0, 0, 0, 0,
        CLS_WS, 0, CLS_2X, CLS_3X, CLS_AT, CLS_BRK | CLS_BS, 0, CLS_BRK, 0, 0, 0, 0, 0, 0, 0, 0);
    __m256i hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), _mm256_set1_epi8(0x0F));
    return _mm256_and_si256(_mm256_shuffle_epi8(lo_tab, v), _mm256_shuffle_epi8(hi_tab, hi));
}

/* The backslash mask of a block that has a backslash, or whose first byte
 * the previous block escapes, and what it does to the block: an escaped
 * quote is no quote; outside strings (malformed text) it is part of a
 * scalar token. */
TARGET __attribute__((always_inline)) static inline void
escapes(__m256i lo, __m256i hi, jblock_state *st, uint64_t *anybs, uint64_t *quote,
        uint64_t *apart0)
{
    const __m256i b = _mm256_set1_epi8('\\');
    uint64_t bs = mask64(_mm256_cmpeq_epi8(lo, b), _mm256_cmpeq_epi8(hi, b));
    *anybs |= bs;
    uint64_t escaped_quote = *quote & jblock_escaped(bs, &st->escaped);
    *quote ^= escaped_quote;
    *apart0 ^= escaped_quote;
}

/* The classes that send a block to the rare path (see block). */
#define RARE_TEXT (CLS_BS | CLS_AT)
#define RARE_LINE (CLS_BS | CLS_AT | CLS_WS) /* a line's scan: its '\n' too */

/* After a block whose last backslash escapes the next block's first byte:
 * the escape matters only where that byte is a quote (then no quote) or a
 * backslash (whose block takes the rare path anyway), so for any other byte
 * it is dropped; else the next block is sent to the rare path by a test
 * vector of all ones (a quote and a backslash are in classes). The next
 * byte at or past end is not read: the block after is then the tail, which
 * has a space (in a class) as padding, or there is none. */
TARGET __attribute__((always_inline)) static inline void
escape_next(const unsigned char *p, const unsigned char *end, jblock_state *st, __m256i *rare)
{
    if (p + 64 < end && p[64] != '"' && p[64] != '\\')
        st->escaped = 0;
    else
        *rare = _mm256_set1_epi8(-1);
}

/* One block's index entries, or (line, th_jscan_line_avx2) NULL when the
 * block holds a '\n', its mask then in *nlm and nothing of the block taken
 * into the state. *rare is the rare path's test vector (RARE_TEXT or
 * RARE_LINE, or all ones after escape_next); end bounds the bytes that
 * escape_next may read. */
TARGET __attribute__((always_inline)) static inline uint32_t *
block(const unsigned char *p, const unsigned char *end, uint32_t base, uint32_t *o,
      jblock_state *st, __m128i *open, __m256i *rare, uint64_t *anybs, bool *anyat, __m256i *low,
      bool line, uint64_t *nlm)
{
    __m256i lo = _mm256_loadu_si256((const __m256i *)(const void *)p);
    __m256i hi = _mm256_loadu_si256((const __m256i *)(const void *)(p + 32));
    const __m256i q = _mm256_set1_epi8('"'), four = _mm256_set1_epi8(0x7C);
    uint64_t quote = mask64(_mm256_cmpeq_epi8(lo, q), _mm256_cmpeq_epi8(hi, q));
    __m256i cls_lo = classes(lo), cls_hi = classes(hi);
    /* the class value's top bit: brackets; a saturating + 0x7C sets it for
     * values >= 4: the bytes that end a scalar token (not the backslash, 1,
     * nor the '@', 2).
     * One lookup pair a half gives all three, where whitespace, ':' and ','
     * took a lookup, two compares and an OR, the brackets an OR, a lookup and
     * a compare, and the quotes and brackets were ORed in as masks */
    uint64_t brk = mask64(cls_lo, cls_hi);
    uint64_t apart0 = mask64(_mm256_adds_epu8(cls_lo, four), _mm256_adds_epu8(cls_hi, four));
    /* the backslash mask only for a block that has one (its class bit, by
     * one vptest of both halves), or whose first byte the previous block
     * escapes (escape_next): the mask is moved out, and the escape logic
     * run, rarely. The carried escape tested on its own cost a test and a
     * branch a block (AVX2 stage 1 over b10k 21.01 M -> 20.65 M without).
     * The same test takes the blocks with an '@' (7% of b100k's
     * records have one), which say so there: the flag costs the common
     * block nothing, where a compare of each half ORed into a register
     * cost five instructions (12.4 M over b100k). A line's scan also takes
     * the blocks with a tab, LF or CR there (minified JSON has none outside
     * its last block): its '\n' costs the common block nothing either */
    __m256i cls = _mm256_or_si256(cls_lo, cls_hi);
    if (__builtin_expect(!_mm256_testz_si256(cls, *rare), 0)) {
        if (line && !_mm256_testz_si256(cls, _mm256_set1_epi8(CLS_WS))) {
            const __m256i lf = _mm256_set1_epi8('\n');
            *nlm = mask64(_mm256_cmpeq_epi8(lo, lf), _mm256_cmpeq_epi8(hi, lf));
            if (*nlm)
                return NULL;
        }
        *rare = _mm256_set1_epi8(line ? RARE_LINE : RARE_TEXT);
        *anyat |= !_mm256_testz_si256(cls, _mm256_set1_epi8(CLS_AT));
        escapes(lo, hi, st, anybs, &quote, &apart0);
        if (st->escaped)
            escape_next(p, end, st, rare);
    }
    /* the signed minimum of every byte so far, compared with 0x20 once at the
     * end: two minimums a block, where a compare of each half and the ORs
     * that gathered them took six instructions */
    *low = _mm256_min_epi8(*low, _mm256_min_epi8(lo, hi));
    /* the string mask: the prefix xor of the quotes by a carry-less multiply
     * by all ones. *open (the low word 1 when the previous block ended in a
     * string) flips the quotes' bit 0, which the multiply spreads to every
     * bit, and the next block's is the product's bit 63 shifted down: an XOR
     * and a shift in the vector unit, where the carry as a mask of all ones
     * (jblock_inside) took an XOR, a shift and two copies */
    __m128i x = _mm_clmulepi64_si128(_mm_xor_si128(_mm_cvtsi64_si128((long long)quote), *open),
                                     _mm_set1_epi8(-1), 0);
    *open = _mm_srli_epi64(x, 63);
    uint64_t inside = (uint64_t)_mm_cvtsi128_si64(x);
    return jblock_flatten(o, base, jblock_finish(st, quote, brk, apart0, inside));
}

/* The last, partial block of a text of n bytes, from i: padded with spaces,
 * which index nothing, so that nothing past n is read. With 64 bytes in the
 * text, its last 64 are stored before 64 spaces and the block taken where the
 * tail starts in them: four stores, where a memset and memcpy's call took
 * about 25 instructions a load */
TARGET __attribute__((always_inline)) static inline uint32_t *
tail(const unsigned char *p, size_t i, size_t n, uint32_t *o, jblock_state *st, __m128i *open,
     __m256i *rare, uint64_t *anybs, bool *anyat, __m256i *low)
{
    _Alignas(32) unsigned char t[128];
    const unsigned char *b = t;
    if (n >= 64) {
        const __m256i sp = _mm256_set1_epi8(' ');
        _mm256_store_si256((__m256i *)(void *)t,
                           _mm256_loadu_si256((const __m256i *)(const void *)(p + n - 64)));
        _mm256_store_si256((__m256i *)(void *)(t + 32),
                           _mm256_loadu_si256((const __m256i *)(const void *)(p + n - 32)));
        _mm256_store_si256((__m256i *)(void *)(t + 64), sp);
        _mm256_store_si256((__m256i *)(void *)(t + 96), sp);
        b = t + 64 - (n - i);
    } else {
        memset(t, ' ', 64);
        memcpy(t, p + i, n - i);
    }
    return block(b, b + 64, (uint32_t)i, o, st, open, rare, anybs, anyat, low, false, NULL);
}

TARGET __attribute__((always_inline)) static inline unsigned flags_of(__m128i open, uint64_t anybs,
                                                                      bool anyat, __m256i low)
{
    /* signed: bytes >= 0x80 are negative, so "< 0x20" takes them too */
    __m256i special = _mm256_cmpgt_epi8(_mm256_set1_epi8(0x20), low);
    return (anybs ? TH_JSCAN_HAS_BS : 0u) | (_mm_cvtsi128_si64(open) ? TH_JSCAN_OPEN_STRING : 0u) |
           (_mm256_testz_si256(special, special) ? 0u : TH_JSCAN_CTL_HIGH) |
           (anyat ? TH_JSCAN_HAS_AT : 0u);
}

TARGET size_t th_jscan_stage1_avx2(const unsigned char *p, size_t n, uint32_t *out, unsigned *flags)
{
    jblock_state st = {0, 0, 1ULL << 63};
    uint64_t anybs = 0;
    bool anyat = false;
    __m256i low = _mm256_set1_epi8(0x7F);
    __m128i open = _mm_setzero_si128();
    __m256i rare = _mm256_set1_epi8(RARE_TEXT);
    uint32_t *o = out;
    size_t i = 0;
    /* two blocks a step: the loop's compare, branch and base updates once
     * per 128 bytes */
    for (; i + 128 <= n; i += 128) {
        o = block(p + i, p + n, (uint32_t)i, o, &st, &open, &rare, &anybs, &anyat, &low, false,
                  NULL);
        o = block(p + i + 64, p + n, (uint32_t)i + 64, o, &st, &open, &rare, &anybs, &anyat, &low,
                  false, NULL);
    }
    if (i + 64 <= n) {
        o = block(p + i, p + n, (uint32_t)i, o, &st, &open, &rare, &anybs, &anyat, &low, false,
                  NULL);
        i += 64;
    }
    if (i < n)
        o = tail(p, i, n, o, &st, &open, &rare, &anybs, &anyat, &low);
    *flags = flags_of(open, anybs, anyat, low);
    return (size_t)(o - out);
}

/* th_jscan_line_fn: the blocks before the one with the '\n' as stage 1's,
 * then the line's rest as its tail. */
TARGET size_t th_jscan_line_avx2(const unsigned char *p, size_t avail, uint32_t *out,
                                 unsigned *flags, size_t *n, size_t *nl)
{
    jblock_state st = {0, 0, 1ULL << 63};
    uint64_t anybs = 0, nlm = 0;
    bool anyat = false;
    __m256i low = _mm256_set1_epi8(0x7F);
    __m128i open = _mm_setzero_si128();
    __m256i rare = _mm256_set1_epi8(RARE_LINE);
    uint32_t *o = out;
    size_t i = 0;
    /* two blocks a step, as stage 1 (one a step cost 6 M more over b100k);
     * i < lim is i + 128 <= avail on i alone: GCC kept i + 128 as a second
     * induction variable and did not rotate the loop (a move and a jump
     * more a step; 21.55 M -> 21.36 M over b10k) */
    size_t lim = avail > 127 ? avail - 127 : 0;
    for (; i < lim; i += 128) {
        uint32_t *r = block(p + i, p + avail, (uint32_t)i, o, &st, &open, &rare, &anybs, &anyat,
                            &low, true, &nlm);
        if (!r)
            break;
        o = r;
        r = block(p + i + 64, p + avail, (uint32_t)i + 64, o, &st, &open, &rare, &anybs, &anyat,
                  &low, true, &nlm);
        if (!r) {
            i += 64;
            break;
        }
        o = r;
    }
    if (!nlm && i + 64 <= avail) {
        uint32_t *r = block(p + i, p + avail, (uint32_t)i, o, &st, &open, &rare, &anybs, &anyat,
                            &low, true, &nlm);
        if (r) {
            o = r;
            i += 64;
        }
    }
    int end = jline_find(p, i, avail, nlm, nl, n);
    if (end <= 0)
        return end < 0 ? 0 : TH_JSCAN_LINE_AGAIN;
    if (i < *n)
        o = tail(p, i, *n, o, &st, &open, &rare, &anybs, &anyat, &low);
    *flags = flags_of(open, anybs, anyat, low);
    return (size_t)(o - out);
}
#else
typedef int th_jscan_avx2_unused; /* ISO C wants a non-empty translation unit */
#endif
