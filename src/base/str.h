/* String slices: a pointer and a length, not NUL-terminated, never owning.
 * A slice borrows from whatever buffer it points into (input, arena, literal). */
#ifndef TH_BASE_STR_H
#define TH_BASE_STR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct th_str {
    const char *p;
    size_t n;
} th_str;

#define TH_STR_NULL ((th_str){NULL, 0})
#define TH_STR_LIT(s) ((th_str){(s), sizeof(s) - 1})

static inline th_str th_str_c(const char *s) { return (th_str){s, s ? strlen(s) : 0}; }
static inline th_str th_str_make(const char *p, size_t n) { return (th_str){p, n}; }

static inline bool th_str_eq(th_str a, th_str b)
{
    /* the first byte settles most mismatches without a call to memcmp */
    return a.n == b.n && (a.n == 0 || (a.p[0] == b.p[0] && memcmp(a.p, b.p, a.n) == 0));
}

/* a's n bytes equal b's, without a call for the lengths of keys, names and
 * addresses: up to 32 bytes by overlapping words from each end (memcmp's call
 * and the registers it saves cost more than such a compare; a byte loop about
 * 10 instructions for 3 to 7 bytes). Always inline: GCC made it a call in
 * the capture's look-ups (hotpass.c intern_last, intern_recent: 1.08M calls
 * on b100k with the pack, the call and the registers saved around it a
 * third of each compare; th_engine_commit 179.8 -> 167.4 M). */
__attribute__((always_inline)) static inline bool th_bytes_eq(const void *a, const void *b,
                                                              size_t n)
{
    const unsigned char *x = a, *y = b;
    uint64_t u[4], v[4];
    if (n < 8) {
        if (n >= 4) {
            uint32_t p[2], q[2];
            memcpy(&p[0], x, 4);
            memcpy(&p[1], x + n - 4, 4);
            memcpy(&q[0], y, 4);
            memcpy(&q[1], y + n - 4, 4);
            return ((p[0] ^ q[0]) | (p[1] ^ q[1])) == 0;
        }
        for (size_t i = 0; i < n; i++)
            if (x[i] != y[i])
                return false;
        return true;
    }
    memcpy(&u[0], x, 8);
    memcpy(&u[1], x + n - 8, 8);
    memcpy(&v[0], y, 8);
    memcpy(&v[1], y + n - 8, 8);
    if (((u[0] ^ v[0]) | (u[1] ^ v[1])) != 0)
        return false;
    if (n <= 16)
        return true;
    if (n <= 32) { /* the words at 8 and n - 16 cover the middle */
        memcpy(&u[2], x + 8, 8);
        memcpy(&u[3], x + n - 16, 8);
        memcpy(&v[2], y + 8, 8);
        memcpy(&v[3], y + n - 16, 8);
        return ((u[2] ^ v[2]) | (u[3] ^ v[3])) == 0;
    }
    return memcmp(x + 8, y + 8, n - 16) == 0;
}

static inline bool th_str_eqc(th_str a, const char *c)
{
    size_t n = strlen(c);
    return a.n == n && (n == 0 || memcmp(a.p, c, n) == 0);
}

static inline bool th_str_starts(th_str a, const char *prefix)
{
    size_t n = strlen(prefix);
    return a.n >= n && memcmp(a.p, prefix, n) == 0;
}

static inline bool th_str_ends(th_str a, const char *suffix)
{
    size_t n = strlen(suffix);
    return a.n >= n && memcmp(a.p + a.n - n, suffix, n) == 0;
}

static inline int th_str_cmp(th_str a, th_str b)
{
    size_t n = a.n < b.n ? a.n : b.n;
    int c = n ? memcmp(a.p, b.p, n) : 0;
    if (c)
        return c;
    return a.n < b.n ? -1 : a.n > b.n ? 1 : 0;
}

/* FNV-1a, 64 bit: fast, good enough for hash tables keyed by field names and values. */
static inline unsigned long long th_hash_bytes(const void *p, size_t n)
{
    const unsigned char *s = p;
    unsigned long long h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= 1099511628211ULL;
    }
    return h;
}

static inline unsigned long long th_str_hash(th_str s) { return th_hash_bytes(s.p, s.n); }

/* What memcpy(&w, s.p, s.n) leaves in a zeroed w for s.n < 8, without the
 * call: two overlapping words, or the first, middle and last bytes (all of
 * a string under 4 bytes) */
static inline uint64_t th_str_short_word(th_str s)
{
    if (s.n >= 4) {
        uint32_t lo, hi;
        memcpy(&lo, s.p, 4);
        memcpy(&hi, s.p + s.n - 4, 4);
        return lo | (uint64_t)hi << 8 * (s.n - 4);
    }
    const unsigned char *u = (const unsigned char *)s.p;
    return s.n ? u[0] | (uint64_t)u[s.n / 2] << 8 * (s.n / 2) |
                     (uint64_t)u[s.n - 1] << 8 * (s.n - 1)
               : 0;
}

/* A hash of s eight bytes a step, for tables keyed by long strings (user
 * agents, ARNs, captured strings), where th_str_hash's byte a step is most of
 * a look-up. Its low bits spread well (a table may take them as the slot).
 * The last word overlaps the one before it, and a string under 8 bytes is
 * taken by loads of its ends: copying a short tail into a zeroed word on the
 * stack, as this did, made the load of that word wait for the copy's byte
 * stores (a quarter of the workers' capture under perf, where hotpass.c had a
 * twin of this hash without it). */
static inline uint64_t th_str_hash_words(th_str s)
{
    uint64_t h = 0x9e3779b97f4a7c15ull ^ s.n, w;
    if (s.n >= 8) {
        for (size_t i = 0; i + 8 < s.n; i += 8) {
            memcpy(&w, s.p + i, 8);
            h = (h ^ w) * 0xff51afd7ed558ccdull;
            h ^= h >> 32;
        }
        memcpy(&w, s.p + s.n - 8, 8);
    } else {
        w = th_str_short_word(s);
    }
    h = (h ^ w) * 0xc4ceb9fe1a85ec53ull;
    return h ^ (h >> 29);
}

/* The words a hash of a string's ends takes where s is under 8 bytes: its
 * first and last four bytes (*lo, *hi; overlapping under 8), or its first,
 * middle and last byte in *lo (*hi 0), or none (both 0): th_str_ends_word's
 * and hotpass.c key_str's, so that they hash short strings alike. */
static inline void th_str_short_words(th_str s, uint64_t *lo, uint64_t *hi)
{
    *lo = *hi = 0;
    if (s.n >= 4) {
        uint32_t x, y;
        memcpy(&x, s.p, 4);
        memcpy(&y, s.p + s.n - 4, 4);
        *lo = x;
        *hi = y;
    } else if (s.n) {
        *lo = (unsigned char)s.p[0] | (uint64_t)(unsigned char)s.p[s.n / 2] << 8 |
              (uint64_t)(unsigned char)s.p[s.n - 1] << 16;
    }
}

/* The first and last eight bytes of s folded into one word (fewer: its
 * first and last four, or its first, middle and last byte), unmixed: for
 * memos whose entries compare the whole string and whose strings mostly
 * differ at an end (addresses, key ids, ARNs' sessions, providers and
 * actions), where hashing every byte would be most of a look-up. The
 * caller multiplies it into its hash. */
static inline uint64_t th_str_ends_word(th_str s)
{
    uint64_t a, c;
    if (s.n >= 8) {
        memcpy(&a, s.p, 8);
        memcpy(&c, s.p + s.n - 8, 8);
    } else {
        th_str_short_words(s, &a, &c);
    }
    return a ^ (c << 29 | c >> 35);
}

/* A hash of s from its length and three words of it (head, middle, tail),
 * not all of it: for tables whose entries are told apart by comparing the
 * whole string, where a hash shared by two strings only costs a comparison
 * and hashing every byte would be most of a look-up (query memos, the
 * user-agent memo of slot documents, remembered plans). */
static inline uint64_t th_str_hash_sample(th_str s)
{
    uint64_t h = 0x9e3779b97f4a7c15ull ^ s.n, w0 = 0, w1 = 0, w2 = 0;
    if (s.n >= 8) {
        memcpy(&w0, s.p, 8);
        memcpy(&w1, s.p + s.n / 2 - 4, 8);
        memcpy(&w2, s.p + s.n - 8, 8);
    } else {
        for (size_t k = 0; k < s.n; k++)
            w0 |= (uint64_t)(unsigned char)s.p[k] << (8 * k);
    }
    /* the three rounds written out: a loop over an array of the words kept
     * it in memory (a third of the cost where the remembered plans hash
     * seven strings a record) */
    h = (h ^ w0) * 0xff51afd7ed558ccdull;
    h ^= h >> 32;
    h = (h ^ w1) * 0xff51afd7ed558ccdull;
    h ^= h >> 32;
    h = (h ^ w2) * 0xff51afd7ed558ccdull;
    h ^= h >> 32;
    return h;
}

#endif
