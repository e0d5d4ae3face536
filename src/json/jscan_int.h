/* Private to jscan*.c: the stage-1 block logic shared by the SIMD variants.
 *
 * A variant classifies 64 input bytes into four bit masks (bit i = byte i):
 * quotes, backslashes, brackets { } [ ] and separators (whitespace, ':', ','); the
 * helpers below turn those into index entries, carrying string/escape/scalar
 * state across blocks. All functions are static inline so that they are compiled
 * with the target ISA of the variant that includes them.
 * Thread safety: pure functions over caller state. */
#ifndef TH_JSON_JSCAN_INT_H
#define TH_JSON_JSCAN_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* What stage 1 learns besides the index. */
#define TH_JSCAN_HAS_BS 1u      /* p holds a backslash somewhere */
#define TH_JSCAN_OPEN_STRING 2u /* p ends inside a string (the last one is unterminated) */
#define TH_JSCAN_CTL_HIGH 4u    /* p holds a byte < 0x20 or >= 0x80 somewhere */
#define TH_JSCAN_HAS_AT 8u      /* p holds an '@' somewhere */

/* A stage-1 implementation: writes the index of p[0..n) to out (room for n + 64
 * entries), returns the count, and sets *flags to TH_JSCAN_* bits. */
typedef size_t (*th_jscan_stage1_fn)(const unsigned char *p, size_t n, uint32_t *out,
                                     unsigned *flags);

size_t th_jscan_stage1_scalar(const unsigned char *p, size_t n, uint32_t *out, unsigned *flags);
#if defined(__x86_64__)
size_t th_jscan_stage1_sse(const unsigned char *p, size_t n, uint32_t *out, unsigned *flags);
size_t th_jscan_stage1_avx2(const unsigned char *p, size_t n, uint32_t *out, unsigned *flags);
size_t th_jscan_stage1_avx512(const unsigned char *p, size_t n, uint32_t *out, unsigned *flags);
#endif

/* A line's stage 1, for NDJSON (th_jscan_load_line): the line that starts at
 * p ends at the first '\n' of p[0..avail), found by the compares that classify
 * the bytes, so that the split reads them once. Sets *nl to that '\n''s index,
 * or to avail when there is none (nothing else is then set); else *n to the
 * line's length less the whitespace before its '\n', and indexes p[0..*n)
 * exactly as th_jscan_stage1_fn would: returns the count and sets *flags, or
 * returns TH_JSCAN_LINE_AGAIN when that whitespace reaches back into a block
 * already indexed (a CR or tab there would be in the flags: the caller then
 * indexes p[0..*n) anew). out has room for avail + 64 entries. */
typedef size_t (*th_jscan_line_fn)(const unsigned char *p, size_t avail, uint32_t *out,
                                   unsigned *flags, size_t *n, size_t *nl);
#define TH_JSCAN_LINE_AGAIN SIZE_MAX

#if defined(__x86_64__)
size_t th_jscan_line_avx2(const unsigned char *p, size_t avail, uint32_t *out, unsigned *flags,
                          size_t *n, size_t *nl);
size_t th_jscan_line_avx512(const unsigned char *p, size_t avail, uint32_t *out, unsigned *flags,
                            size_t *n, size_t *nl);
#endif

/* JSON whitespace, as io/scan.h th_io_is_ws (the end of an NDJSON line). */
static inline bool jline_ws(unsigned char c)
{
    return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

/* The end of the line whose '\n' is at nl, less the whitespace before it;
 * *again true when that whitespace reaches below `from` (the first byte not
 * indexed yet: TH_JSCAN_LINE_AGAIN). */
static inline size_t jline_end(const unsigned char *p, size_t from, size_t nl, bool *again)
{
    size_t m = nl;
    while (m > 0 && jline_ws(p[m - 1]))
        m--;
    *again = m < from;
    return m;
}

/* The line's '\n' once stage 1's blocks have covered p[0..i): at i plus
 * the first bit of nlm where a block met it, else memchr's in p[i..avail),
 * into *nl; the line's end less its whitespace into *n (jline_end). -1: no
 * '\n' in p[0..avail) (*nl = avail, *n = 0); 0: the whitespace reaches below
 * i (TH_JSCAN_LINE_AGAIN); 1: the line ends at *n, its tail from i. */
static inline int jline_find(const unsigned char *p, size_t i, size_t avail, uint64_t nlm,
                             size_t *nl, size_t *n)
{
    if (nlm) {
        *nl = i + (size_t)__builtin_ctzll(nlm);
    } else {
        const unsigned char *q = i < avail ? memchr(p + i, '\n', avail - i) : NULL;
        *nl = q ? (size_t)(q - p) : avail;
        if (!q) {
            *n = 0;
            return -1;
        }
    }
    bool again;
    *n = jline_end(p, i, *nl, &again);
    return again ? 0 : 1;
}

typedef struct jblock_state {
    uint64_t in_string; /* all ones when the previous block ended inside a string
                         * (jblock_inside; AVX2 and AVX-512 carry it in a vector) */
    uint64_t escaped;   /* 1 when the first byte of the next block is escaped */
    uint64_t apart;     /* the previous block's apart0 (jblock_finish): bit 63 set when
                         * it did not end inside a scalar token */
} jblock_state;

/* Bits of bytes escaped by a backslash: a backslash escapes the next byte unless it
 * is itself escaped. Runs of backslashes are resolved with one addition: adding
 * the start bit of every run that begins on an odd position carries through the
 * run, which flips the parity of the positions it escapes. */
__attribute__((always_inline)) static inline uint64_t jblock_escaped(uint64_t bs, uint64_t *carry)
{
    const uint64_t even = 0x5555555555555555ULL;
    uint64_t in = *carry;
    if (!(bs | in))
        return 0;
    bs &= ~in;
    uint64_t follows = (bs << 1) | in;
    uint64_t odd_starts = bs & ~even & ~follows;
    uint64_t sum;
    *carry = __builtin_add_overflow(odd_starts, bs, &sum) ? 1 : 0;
    return (even ^ (sum << 1)) & follows;
}

/* The position of the lowest set bit of bits, any value when bits is 0 (the
 * entries written past the count are slack). A variant with BMI1 defines
 * TH_JSCAN_BMI before including this file: tzcnt is defined at 0, where
 * ctz needs a guard bit (a register copy and an OR more per entry). */
#ifdef TH_JSCAN_BMI
#include <immintrin.h>
#define TH_JSCAN_LOW(bits) ((uint32_t)_tzcnt_u64(bits))
#define TH_JSCAN_FLATTEN_TARGET __attribute__((target("bmi,popcnt")))
#else
#define TH_JSCAN_LOW(bits) ((uint32_t)__builtin_ctzll((bits) | 1ULL << 63))
#define TH_JSCAN_FLATTEN_TARGET
#endif

/* Writes base + position of every set bit, four at a time, then one by
 * one past sixteen. May write up to 3 entries past the returned end (the
 * index has 64 entries of slack). CloudTrail blocks hold about 4 entries
 * (brackets, opening quotes and scalar starts) and rarely more than 8:
 * groups of four write few entries past the count, where a first group of
 * eight wrote about four a block. */
TH_JSCAN_FLATTEN_TARGET __attribute__((always_inline)) static inline uint32_t *
jblock_flatten(uint32_t *out, uint32_t base, uint64_t bits)
{
    if (!bits)
        return out;
    int cnt = __builtin_popcountll(bits);
#define TH_JSCAN_PUT(i)                                                                            \
    do {                                                                                           \
        uint64_t rest = bits & (bits - 1);                                                         \
        out[i] = base + TH_JSCAN_LOW(bits);                                                        \
        __asm__("" : "+m"(out[i]));                                                                \
        bits = rest;                                                                               \
    } while (0)
    TH_JSCAN_PUT(0);
    TH_JSCAN_PUT(1);
    TH_JSCAN_PUT(2);
    TH_JSCAN_PUT(3);
    if (cnt > 4) {
        TH_JSCAN_PUT(4);
        TH_JSCAN_PUT(5);
        TH_JSCAN_PUT(6);
        TH_JSCAN_PUT(7);
        if (cnt > 8) {
            TH_JSCAN_PUT(8);
            TH_JSCAN_PUT(9);
            TH_JSCAN_PUT(10);
            TH_JSCAN_PUT(11);
            if (cnt > 12) {
                TH_JSCAN_PUT(12);
                TH_JSCAN_PUT(13);
                TH_JSCAN_PUT(14);
                TH_JSCAN_PUT(15);
                for (int i = 16; bits; i++) {
                    out[i] = base + (uint32_t)__builtin_ctzll(bits);
                    bits &= bits - 1;
                }
            }
        }
    }
#undef TH_JSCAN_PUT
    return out + cnt;
}

/* The string mask of a block from a prefix-xor routine's result for its
 * unescaped quotes (computed by the caller, which may use PCLMUL), and the
 * string carried from the previous block. */
__attribute__((always_inline)) static inline uint64_t jblock_inside(jblock_state *st,
                                                                    uint64_t inside_raw)
{
    uint64_t inside = inside_raw ^ st->in_string;
    st->in_string = (uint64_t)((int64_t)inside >> 63);
    return inside;
}

/* The index bits of one block, given its quote and bracket masks, the mask
 * of its bytes that cannot be part of a scalar token outside strings
 * (brackets, quotes, whitespace, ':' and ',': `apart0`) and its string mask
 * (jblock_inside). A token starts at a byte outside apart0 after one in it
 * (andn: no complement of the mask of token bytes). The starts are worked
 * out from apart0 alone and dropped inside strings with the brackets there:
 * a string ends at a quote, which ends tokens, so whether the previous byte
 * was in a string does not change which bytes outside strings start one.
 * The token ends ORed with the string mask first, shifted and carried, then
 * the starts ORed into the brackets and quotes took about two instructions a
 * block more (the AVX2 line scan over b10k 22.00 M -> 21.55 M, with the asm
 * below). */
__attribute__((always_inline)) static inline uint64_t
jblock_finish(jblock_state *st, uint64_t quote, uint64_t brk, uint64_t apart0, uint64_t inside)
{
    uint64_t starts = ~apart0 & ((apart0 << 1) | (st->apart >> 63));
    st->apart = apart0;
    /* an opening quote is inside its string, a closing one is not: only
     * openers */
#ifdef TH_JSCAN_BMI
    /* the select by andn, AND and OR; the empty register asm keeps the OR,
     * whose flags the flatten's test of an empty block takes: GCC otherwise
     * computed it with XORs, and the test as a compare before a further XOR */
    uint64_t outside = (brk | starts) & ~inside;
    __asm__("" : "+r"(outside));
    return outside | (quote & inside);
#else
    /* without andn the XORs spare the complement's copy and NOT (SSE: the
     * andn form cost one instruction a block more) */
    uint64_t outside = brk | starts;
    return outside ^ ((outside ^ quote) & inside);
#endif
}

/* Prefix xor without carry-less multiply: bit i = xor of bits 0..i. */
__attribute__((always_inline)) static inline uint64_t jblock_prefix_xor(uint64_t x)
{
    x ^= x << 1;
    x ^= x << 2;
    x ^= x << 4;
    x ^= x << 8;
    x ^= x << 16;
    x ^= x << 32;
    return x;
}

#endif
