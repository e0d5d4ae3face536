/* JSON string escapes, decoded once for both readers (reader.c's DOM parser
 * and jscan.c's on-demand cursors). Internal to json/.
 *
 * th_json_unescape decodes the string body s[b..e) (between the quotes) into
 * o, which must have room for e - b + 1 bytes (decoding never lengthens, and a
 * NUL is added); *w gets the length. \uXXXX pairs become one code point; a
 * lone surrogate becomes U+FFFD. On a bad escape it returns false and, when
 * err is not NULL, sets err->offset (an index into s) and err->reason; s[0..n)
 * bounds the \u digits. Pure function, thread-safe. */
#ifndef TH_JSON_ESCAPE_H
#define TH_JSON_ESCAPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "json/json.h"

bool th_json_unescape(const unsigned char *s, size_t n, size_t b, size_t e, char *o, size_t *w,
                      th_json_error *err);

/* Index of the first byte in p[i..n) that a JSON string written out must
 * escape (a byte < 0x20, '"' or a backslash), or n. th_json_escape_scan uses
 * SSE2 where the build has it (every x86-64: 16 bytes a step), else
 * th_json_escape_scan_words (8 bytes a step in plain 64-bit words); both give
 * the same answer for every input (tests/json/test_escape.c). Pure functions. */
size_t th_json_escape_scan(const unsigned char *p, size_t i, size_t n);
size_t th_json_escape_scan_words(const unsigned char *p, size_t i, size_t n);

/* Nonzero when a byte of the word w is < 0x20, '"' or a backslash: exact as
 * a yes/no (not as a position: a borrow may mark a higher byte too). */
static inline uint64_t th_json_word_escapes(uint64_t w)
{
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    uint64_t q = w ^ (ones * '"'), b = w ^ (ones * '\\');
    return ((w - ones * 0x20) | (q - ones) | (b - ones)) & ~w & highs;
}

/* The escape copies: p[0..n) copied to o up to the first byte that a JSON
 * string must escape, whose index they return (n when none); o[0..index) then
 * holds p[0..index), o[index..n) may hold bytes copied past it, and nothing
 * is written at o[n] or beyond. One pass loads each block once for both the
 * test and the copy (a scan and then memcpy read the string twice, in two
 * calls). The index is th_json_escape_scan(p, 0, n)'s for every input
 * (tests/json/test_escape.c). writer.c writes every string through
 * th_json_escape_copy. */

/* p[0..n) (0 < n < 8) copied to o, and gathered into one word for the
 * test: two overlapping 4-byte copies, or its first, middle and last byte with
 * the rest of the word spaces (which need no escape). */
__attribute__((always_inline)) static inline uint64_t
th_json_copy_short(char *o, const unsigned char *p, size_t n)
{
    if (n >= 4) {
        uint32_t a, b;
        memcpy(&a, p, 4);
        memcpy(&b, p + n - 4, 4);
        memcpy(o, &a, 4);
        memcpy(o + n - 4, &b, 4);
        return a | (uint64_t)b << 32;
    }
    o[0] = (char)p[0];
    o[n / 2] = (char)p[n / 2];
    o[n - 1] = (char)p[n - 1];
    return 0x2020202020000000ull | p[0] | (uint64_t)p[n / 2] << 8 | (uint64_t)p[n - 1] << 16;
}

/* In 64-bit words: whole words, then the 1 to 7 bytes left in one word (the
 * last 8 bytes, or for a string shorter than 8 th_json_copy_short's word); a
 * word that needs an escape is scanned byte by byte. */
static inline size_t th_json_escape_copy_words(char *o, const unsigned char *p, size_t n)
{
    size_t i = 0;
    uint64_t w;
    for (; i + 8 <= n; i += 8) {
        memcpy(&w, p + i, 8);
        memcpy(o + i, &w, 8);
        if (th_json_word_escapes(w))
            return th_json_escape_scan_words(p, i, i + 8);
    }
    if (i == n)
        return n;
    if (n >= 8) {
        memcpy(&w, p + n - 8, 8);
        memcpy(o + n - 8, &w, 8);
    } else {
        w = th_json_copy_short(o, p, n);
    }
    return th_json_word_escapes(w) ? th_json_escape_scan_words(p, i, n) : n;
}

#ifdef __SSE2__
/* The bytes of x that need an escape, as a movemask. Flipping bit 1 keeps
 * the bytes < 0x20 below 0x20 and turns '"' (0x22) into 0x20, the only other
 * byte that then ends up <= 0x20: one unsigned test (min(y, 0x20) == y) for
 * both, and one compare for the backslash. */
static inline unsigned th_json_block_escapes(__m128i x)
{
    const __m128i two = _mm_set1_epi8(2), sp = _mm_set1_epi8(0x20), bs = _mm_set1_epi8('\\');
    __m128i y = _mm_xor_si128(x, two);
    __m128i m = _mm_or_si128(_mm_cmpeq_epi8(_mm_min_epu8(y, sp), y), _mm_cmpeq_epi8(x, bs));
    return (unsigned)_mm_movemask_epi8(m);
}
#endif

/* 16 bytes a step with SSE2 (the last block overlapping the one before). A
 * string shorter than a block, most keys and values, is one or two small
 * copies, gathered into one block for the test: its last 8 and first 8 bytes,
 * or th_json_copy_short's word twice; when the block needs an escape the words
 * scan finds where. Always inline: a call costs as much as a short string. */
__attribute__((always_inline)) static inline size_t
th_json_escape_copy(char *o, const unsigned char *p, size_t n)
{
#ifdef __SSE2__
    if (n < 16) {
        uint64_t lo, hi;
        if (n >= 8) {
            memcpy(&lo, p, 8);
            memcpy(&hi, p + n - 8, 8);
            memcpy(o, &lo, 8);
            memcpy(o + n - 8, &hi, 8);
        } else if (n) {
            lo = hi = th_json_copy_short(o, p, n);
        } else {
            return 0;
        }
        if (th_json_block_escapes(_mm_set_epi64x((long long)hi, (long long)lo)))
            return th_json_escape_scan_words(p, 0, n);
        return n;
    }
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
        _mm_storeu_si128((__m128i *)(void *)(o + i), x);
        unsigned bits = th_json_block_escapes(x);
        if (bits)
            return i + (size_t)__builtin_ctz(bits);
    }
    if (i == n)
        return n;
    /* the last 16 bytes hold p[i..n) after i - (n - 16) bytes already seen */
    __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(p + n - 16));
    _mm_storeu_si128((__m128i *)(void *)(o + n - 16), x);
    unsigned bits = th_json_block_escapes(x) >> (i - (n - 16));
    return bits ? i + (size_t)__builtin_ctz(bits) : n;
#else
    return th_json_escape_copy_words(o, p, n);
#endif
}

#endif
