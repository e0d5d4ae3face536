/* Stage 1 of jscan with AVX-512 (BW for byte masks, VBMI for the class table, VBMI2 for
 * the positions, +PCLMUL, BMI1): 64 bytes per step in one register. Compares give the
 * 64-bit masks directly (no movemask), one 64-entry table lookup classifies
 * whitespace and operators, and a byte compress writes the positions of a block's
 * index bits without a bit-scan loop. Compiled with target attributes; jscan.c only
 * calls it after __builtin_cpu_supports says the CPU (and OS) has the instructions. */
#define TH_JSCAN_BMI 1 /* the target has BMI1 */
#include "json/jscan_int.h"

#if defined(__x86_64__)
#include <immintrin.h>
#include <string.h>

#define TARGET __attribute__((target("avx512f,avx512bw,avx512vbmi,avx512vbmi2,pclmul,bmi,popcnt")))

/* Byte c is whitespace or an operator when class_tab[c & 63] == c. The ten bytes
 * have distinct low six bits; every other slot i holds i ^ 1, whose low six bits
 * differ from i, so no byte matches it. */
static const unsigned char class_tab[64] = {
    0x01, 0x00, 0x03, 0x02, 0x05, 0x04, 0x07, 0x06, 0x09, '\t', '\n', 0x0A, 0x0D, '\r', 0x0F, 0x0E,
    0x11, 0x10, 0x13, 0x12, 0x15, 0x14, 0x17, 0x16, 0x19, 0x18, 0x1B, '[',  0x1D, ']',  0x1F, 0x1E,
    ' ',  0x20, 0x23, 0x22, 0x25, 0x24, 0x27, 0x26, 0x29, 0x28, 0x2B, 0x2A, ',',  0x2C, 0x2F, 0x2E,
    0x31, 0x30, 0x33, 0x32, 0x35, 0x34, 0x37, 0x36, 0x39, 0x38, ':',  '{',  0x3D, '}',  0x3F, 0x3E,
};

static const unsigned char iota[64] = {
    0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21,
    22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43,
    44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63,
};

/* Writes base + position of every set bit, 16 entries per store: may write up to 15
 * entries past the returned end (the index has 64 entries of slack). */
TARGET __attribute__((always_inline)) static inline uint32_t *flatten(uint32_t *out, uint32_t base,
                                                                      uint64_t bits, __m512i pos)
{
    if (!bits)
        return out;
    int cnt = __builtin_popcountll(bits);
    __m512i packed = _mm512_maskz_compress_epi8(bits, pos);
    __m512i b = _mm512_set1_epi32((int)base);
    _mm512_storeu_si512(out,
                        _mm512_add_epi32(_mm512_cvtepu8_epi32(_mm512_castsi512_si128(packed)), b));
    if (cnt > 16) {
        _mm512_storeu_si512(
            out + 16,
            _mm512_add_epi32(_mm512_cvtepu8_epi32(_mm512_extracti32x4_epi32(packed, 1)), b));
        if (cnt > 32) {
            _mm512_storeu_si512(
                out + 32,
                _mm512_add_epi32(_mm512_cvtepu8_epi32(_mm512_extracti32x4_epi32(packed, 2)), b));
            if (cnt > 48)
                _mm512_storeu_si512(
                    out + 48, _mm512_add_epi32(
                                  _mm512_cvtepu8_epi32(_mm512_extracti32x4_epi32(packed, 3)), b));
        }
    }
    return out + cnt;
}

/* One block's index entries, or (line, th_jscan_line_avx512) NULL when the
 * block holds a '\n', its mask then in *nlm and nothing of the block taken
 * into the state: a compare and a branch a block, where memchr's split took
 * about eight instructions (jscan_avx2.c's gets it from its classes). */
TARGET __attribute__((always_inline)) static inline uint32_t *
block(const unsigned char *p, uint32_t base, uint32_t *o, jblock_state *st, __m128i *open,
      uint64_t *anybs, uint64_t *anyat, __m512i *low, __m512i tab, __m512i pos, bool line,
      uint64_t *nlm)
{
    __m512i v = _mm512_loadu_si512((const void *)p);
    if (line && (*nlm = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('\n'))) != 0)
        return NULL;
    uint64_t quote = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('"'));
    uint64_t bs = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('\\'));
    uint64_t cls = _mm512_cmpeq_epi8_mask(_mm512_permutexvar_epi8(v, tab), v);
    /* the brackets are the class's bytes >= '[', whitespace, ':' and ',' the others */
    uint64_t brk = cls & _mm512_cmpge_epu8_mask(v, _mm512_set1_epi8('['));
    *anybs |= bs;
    /* the '@' bytes (see jscan_avx2.c) */
    *anyat |= _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('@'));
    /* the signed minimum of every byte so far, compared with 0x20 once at the
     * end (one instruction a block, where the compare's mask was moved out
     * and ORed) */
    *low = _mm512_min_epi8(*low, v);
    quote &= ~jblock_escaped(bs, &st->escaped);
    /* the string carried in the vector unit (see jscan_avx2.c) */
    __m128i x = _mm_clmulepi64_si128(_mm_xor_si128(_mm_cvtsi64_si128((long long)quote), *open),
                                     _mm_set1_epi8(-1), 0);
    *open = _mm_srli_epi64(x, 63);
    uint64_t inside = (uint64_t)_mm_cvtsi128_si64(x);
    /* the bytes that end a scalar token: the class's and the (unescaped) quotes */
    return flatten(o, base, jblock_finish(st, quote, brk, cls | quote, inside), pos);
}

/* The last, partial block of a text of n bytes, from i: padded with spaces,
 * which index nothing, so that nothing past n is read. */
TARGET __attribute__((always_inline)) static inline uint32_t *
tail(const unsigned char *p, size_t i, size_t n, uint32_t *o, jblock_state *st, __m128i *open,
     uint64_t *anybs, uint64_t *anyat, __m512i *low, __m512i tab, __m512i pos)
{
    _Alignas(64) unsigned char t[64];
    memset(t, ' ', sizeof t);
    memcpy(t, p + i, n - i);
    return block(t, (uint32_t)i, o, st, open, anybs, anyat, low, tab, pos, false, NULL);
}

TARGET __attribute__((always_inline)) static inline unsigned flags_of(__m128i open, uint64_t anybs,
                                                                      uint64_t anyat, __m512i low)
{
    /* signed: bytes >= 0x80 are negative, so "< 0x20" takes them too */
    uint64_t special = _mm512_cmplt_epi8_mask(low, _mm512_set1_epi8(0x20));
    return (anybs ? TH_JSCAN_HAS_BS : 0u) | (_mm_cvtsi128_si64(open) ? TH_JSCAN_OPEN_STRING : 0u) |
           (special ? TH_JSCAN_CTL_HIGH : 0u) | (anyat ? TH_JSCAN_HAS_AT : 0u);
}

TARGET size_t th_jscan_stage1_avx512(const unsigned char *p, size_t n, uint32_t *out,
                                     unsigned *flags)
{
    jblock_state st = {0, 0, 1ULL << 63};
    uint64_t anybs = 0, anyat = 0;
    __m512i low = _mm512_set1_epi8(0x7F);
    __m128i open = _mm_setzero_si128();
    const __m512i tab = _mm512_loadu_si512((const void *)class_tab);
    const __m512i pos = _mm512_loadu_si512((const void *)iota);
    uint32_t *o = out;
    size_t i = 0;
    for (; i + 64 <= n; i += 64)
        o = block(p + i, (uint32_t)i, o, &st, &open, &anybs, &anyat, &low, tab, pos, false, NULL);
    if (i < n)
        o = tail(p, i, n, o, &st, &open, &anybs, &anyat, &low, tab, pos);
    *flags = flags_of(open, anybs, anyat, low);
    return (size_t)(o - out);
}

/* th_jscan_line_fn: the blocks before the one with the '\n' as stage 1's,
 * then the line's rest as its tail. */
TARGET size_t th_jscan_line_avx512(const unsigned char *p, size_t avail, uint32_t *out,
                                   unsigned *flags, size_t *n, size_t *nl)
{
    jblock_state st = {0, 0, 1ULL << 63};
    uint64_t anybs = 0, anyat = 0, nlm = 0;
    __m512i low = _mm512_set1_epi8(0x7F);
    __m128i open = _mm_setzero_si128();
    const __m512i tab = _mm512_loadu_si512((const void *)class_tab);
    const __m512i pos = _mm512_loadu_si512((const void *)iota);
    uint32_t *o = out;
    size_t i = 0;
    for (; i + 64 <= avail; i += 64) {
        uint32_t *r =
            block(p + i, (uint32_t)i, o, &st, &open, &anybs, &anyat, &low, tab, pos, true, &nlm);
        if (!r)
            break;
        o = r;
    }
    int end = jline_find(p, i, avail, nlm, nl, n);
    if (end <= 0)
        return end < 0 ? 0 : TH_JSCAN_LINE_AGAIN;
    if (i < *n)
        o = tail(p, i, *n, o, &st, &open, &anybs, &anyat, &low, tab, pos);
    *flags = flags_of(open, anybs, anyat, low);
    return (size_t)(o - out);
}
#else
typedef int th_jscan_avx512_unused; /* ISO C wants a non-empty translation unit */
#endif
