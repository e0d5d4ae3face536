/* JSON string escapes (escape.h). */
#include "json/escape.h"

#include <string.h>

#include "base/utf8.h"

static bool fail(th_json_error *err, size_t at, const char *why)
{
    if (err) {
        err->offset = at;
        err->reason = why;
    }
    return false;
}

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static bool read_hex4(const unsigned char *s, size_t n, size_t at, unsigned *out,
                      th_json_error *err)
{
    if (at + 4 > n)
        return fail(err, at, "truncated \\u escape");
    unsigned v = 0;
    for (size_t k = 0; k < 4; k++) {
        int h = hexval(s[at + k]);
        if (h < 0)
            return fail(err, at + k, "invalid hex digit in \\u escape");
        v = v * 16 + (unsigned)h;
    }
    *out = v;
    return true;
}

bool th_json_unescape(const unsigned char *s, size_t n, size_t b, size_t e, char *o, size_t *w_out,
                      th_json_error *err)
{
    size_t w = 0;
    for (size_t i = b; i < e;) {
        unsigned char c = s[i];
        if (c != '\\') {
            o[w++] = (char)c;
            i++;
            continue;
        }
        unsigned char x = s[i + 1];
        i += 2;
        switch (x) {
        case '"': o[w++] = '"'; break;
        case '\\': o[w++] = '\\'; break;
        case '/': o[w++] = '/'; break;
        case 'b': o[w++] = '\b'; break;
        case 'f': o[w++] = '\f'; break;
        case 'n': o[w++] = '\n'; break;
        case 'r': o[w++] = '\r'; break;
        case 't': o[w++] = '\t'; break;
        case 'u': {
            unsigned cp;
            if (!read_hex4(s, n, i, &cp, err))
                return false;
            i += 4;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                unsigned lo = 0;
                /* a following \u must itself be well-formed */
                if (i + 6 <= e && s[i] == '\\' && s[i + 1] == 'u' &&
                    !read_hex4(s, n, i + 2, &lo, err))
                    return false;
                if (lo >= 0xDC00 && lo <= 0xDFFF) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    i += 6;
                } else {
                    cp = 0xFFFD; /* lone high surrogate */
                }
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                cp = 0xFFFD; /* lone low surrogate */
            }
            w += th_utf8_encode(cp, o + w);
            break;
        }
        default:
            return fail(err, i - 2, "invalid escape in string");
        }
    }
    o[w] = '\0';
    *w_out = w;
    return true;
}

static inline bool word_needs_escape(uint64_t w) { return th_json_word_escapes(w) != 0; }

static size_t escape_tail(const unsigned char *p, size_t i, size_t n)
{
    for (; i < n; i++)
        if (p[i] < 0x20 || p[i] == '"' || p[i] == '\\')
            return i;
    return n;
}

/* The 1 to 7 bytes p[i..n) in one word, some of them twice and the rest
 * spaces (which need no escape), as small copies gather them: a word that
 * needs no escape means none of them does. */
static inline uint64_t gather_short(const unsigned char *p, size_t i, size_t n)
{
    size_t k = n - i;
    if (k >= 4) {
        uint32_t a, b;
        memcpy(&a, p + i, 4);
        memcpy(&b, p + n - 4, 4);
        return a | (uint64_t)b << 32;
    }
    return 0x2020202020000000ull | p[i] | (uint64_t)p[i + k / 2] << 8 | (uint64_t)p[n - 1] << 16;
}

size_t th_json_escape_scan_words(const unsigned char *p, size_t i, size_t n)
{
    uint64_t w;
    for (; i + 8 <= n; i += 8) {
        memcpy(&w, p + i, 8);
        if (word_needs_escape(w))
            return escape_tail(p, i, i + 8);
    }
    if (i == n)
        return n;
    /* one word holds p[i..n): when none of its bytes needs an escape there is
     * none; else (possibly a byte before i) the exact scan tells */
    if (n >= 8)
        memcpy(&w, p + n - 8, 8);
    else
        w = gather_short(p, i, n);
    return word_needs_escape(w) ? escape_tail(p, i, n) : n;
}

/* Whether a byte of p[i..n), 1 to 15 bytes, needs an escape: looked at in
 * two overlapping words, or one gathered word. */
static inline bool short_needs_escape(const unsigned char *p, size_t i, size_t n)
{
    if (n - i < 8)
        return word_needs_escape(gather_short(p, i, n));
    uint64_t a, b;
    memcpy(&a, p + i, 8);
    memcpy(&b, p + n - 8, 8);
    return (th_json_word_escapes(a) | th_json_word_escapes(b)) != 0;
}

size_t th_json_escape_scan(const unsigned char *p, size_t i, size_t n)
{
#ifdef __SSE2__
    for (; i + 16 <= n; i += 16) {
        unsigned bits =
            th_json_block_escapes(_mm_loadu_si128((const __m128i *)(const void *)(p + i)));
        if (bits)
            return i + (size_t)__builtin_ctz(bits);
    }
    if (i == n)
        return n;
    if (n < 16) /* most strings: keys and short values */
        return short_needs_escape(p, i, n) ? escape_tail(p, i, n) : n;
    /* the last 16 bytes hold p[i..n) after i - (n - 16) bytes already seen */
    __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(p + n - 16));
    unsigned bits = th_json_block_escapes(x) >> (i - (n - 16));
    return bits ? i + (size_t)__builtin_ctz(bits) : n;
#else
    return th_json_escape_scan_words(p, i, n);
#endif
}
