/* TOML scalars: positions, UTF-8 check, strings, numbers and date-times.
 * Every reader here validates exactly the TOML 1.0 ABNF and reports the
 * first offending byte, so error positions point at the real problem. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "base/utf8.h"
#include "toml/toml_int.h"

/* line:col by scanning from the cache (or the start) to pos: the way before
 * the tables are complete, i.e. for an error found by the UTF-8 check. Not
 * inlined: its registers would be saved on every call of tp_where. */
__attribute__((noinline)) static void where_scan(tp *p, size_t pos, unsigned *line, unsigned *col)
{
    if (pos < p->c_pos) { /* rare: errors reported behind the cursor */
        p->c_pos = 0;
        p->c_line = 1;
        p->c_col = 1;
    }
    size_t i = p->c_pos;
    unsigned ln = p->c_line, cl = p->c_col;
    /* whole lines by memchr: only the characters after the last newline count
     * for the column */
    const char *nl;
    while (i < pos && (nl = memchr(p->s + i, '\n', pos - i)) != NULL) {
        ln++;
        cl = 1;
        i = (size_t)(nl - p->s) + 1;
    }
    for (; i < pos; i++)
        if (((unsigned char)p->s[i] & 0xC0) != 0x80)
            cl++;
    p->c_pos = pos;
    p->c_line = ln;
    p->c_col = cl;
    *line = ln;
    *col = cl;
}

/* From the tables: positions come in order, so the line and the continuation
 * bytes before pos are found by stepping the cached indexes forward (from the
 * start for a position behind them); a file of ASCII has no continuation
 * bytes. (The scan this replaced, a memchr per line and a loop per character
 * after it, cost 3.9 M of the AWS pack's 20 M instructions of TOML.) */
void tp_where(tp *p, size_t pos, unsigned *line, unsigned *col)
{
    if (pos > p->n)
        pos = p->n;
    if (!p->lines_done) {
        where_scan(p, pos, line, col);
        return;
    }
    const size_t *ls = p->lines.items, *cs = p->conts.items;
    size_t k = p->c_lix, j = p->c_cix, nl = p->lines.len, nc = p->conts.len;
    if (pos < p->c_pos)
        k = j = 0;
    while (k + 1 < nl && ls[k + 1] <= pos)
        k++;
    while (j < nc && cs[j] < pos)
        j++;
    /* the characters from the line's start: its bytes less the continuation
     * bytes among them (cs[0..j) are those before pos) */
    size_t c = pos - ls[k];
    for (size_t m = j; m > 0 && cs[m - 1] >= ls[k]; m--)
        c--;
    p->c_lix = k;
    p->c_cix = j;
    p->c_pos = pos;
    *line = (unsigned)(k + 1);
    *col = (unsigned)(c + 1);
}

bool tp_err(tp *p, size_t pos, const char *fmt, ...)
{
    if (p->failed)
        return false;
    p->failed = true;
    if (!p->diags) /* the caller only wants a yes/no answer */
        return false;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    unsigned line, col;
    tp_where(p, pos, &line, &col);
    th_diag_at(p->diags, TH_SEV_ERROR, p->file, line, col, "%s", msg);
    return false;
}

/* The next line starts at byte i. */
static void line_at(tp *p, size_t i)
{
    TH_VEC_PUSH(&p->lines, i);
}

/* The UTF-8 sequence at i, of len bytes, is a character. */
static void char_at(tp *p, size_t i, size_t len)
{
    for (size_t k = 1; k < len; k++)
        TH_VEC_PUSH(&p->conts, i + k);
}

bool tp_check_utf8(tp *p)
{
    const unsigned char *s = (const unsigned char *)p->s;
    size_t n = p->n, i = 0;
    p->lines.len = p->conts.len = 0;
    /* about one line in 40 bytes (a rule file's lines are 45 on average) */
    TH_VEC_GROW(&p->lines, n / 40 + 8);
    line_at(p, 0);
    while (i < n) {
        /* ASCII, nearly all of a rule file, sixteen (SSE2) or eight bytes at a
         * time, the newlines in them noted for tp_where */
#ifdef __SSE2__
        const __m128i nlv = _mm_set1_epi8('\n');
        while (i + 16 <= n) {
            __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
            unsigned high = (unsigned)_mm_movemask_epi8(x);
            unsigned nls = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, nlv));
            if (high) /* the newlines before the first byte >= 0x80; the rest below */
                nls &= (1u << __builtin_ctz(high)) - 1;
            for (; nls; nls &= nls - 1)
                line_at(p, i + (size_t)__builtin_ctz(nls) + 1);
            if (high) {
                i += (size_t)__builtin_ctz(high);
                break;
            }
            i += 16;
        }
#else
        const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
        while (i + 8 <= n) {
            uint64_t w;
            memcpy(&w, s + i, sizeof w);
            uint64_t t = w ^ (ones * '\n');
            /* a byte >= 0x80 or a newline (the zero-byte test never misses
             * one): the bytes go one at a time below */
            if ((w | ((t - ones) & ~t)) & highs)
                break;
            i += 8;
        }
#endif
        if (i >= n)
            break;
        if (s[i] < 0x80) {
            if (s[i] == '\n')
                line_at(p, i + 1);
            i++;
            continue;
        }
        size_t len;
        uint32_t cp;
        switch (th_utf8_decode(s + i, n - i, &len, &cp)) {
        case TH_UTF8_OK:
            char_at(p, i, len);
            i += len;
            continue;
        case TH_UTF8_BAD_LEAD: return tp_err(p, i, "invalid UTF-8 byte 0x%02X", (unsigned)s[i]);
        case TH_UTF8_TRUNCATED: return tp_err(p, i, "truncated UTF-8 sequence");
        case TH_UTF8_BAD_CONT: return tp_err(p, i, "invalid UTF-8 sequence");
        case TH_UTF8_OVERLONG: return tp_err(p, i, "overlong UTF-8 sequence");
        case TH_UTF8_BAD_CODEPOINT:
            return tp_err(p, i, "UTF-8 sequence encodes an invalid code point U+%X", (unsigned)cp);
        }
        return false; /* unreachable: every status is handled above */
    }
    p->lines_done = true;
    return true;
}

/* ---- strings ------------------------------------------------------------ */

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* One escape; p->pos is at the backslash. Line-ending backslashes are handled
 * by the caller (multi-line strings only). */
static bool escape(tp *p, th_buf *b)
{
    size_t at = p->pos;
    int c = tp_peek(p, 1);
    p->pos += 2;
    switch (c) {
    case 'b': th_buf_putc(b, '\b'); return true;
    case 't': th_buf_putc(b, '\t'); return true;
    case 'n': th_buf_putc(b, '\n'); return true;
    case 'f': th_buf_putc(b, '\f'); return true;
    case 'r': th_buf_putc(b, '\r'); return true;
    case '"': th_buf_putc(b, '"'); return true;
    case '\\': th_buf_putc(b, '\\'); return true;
    case 'u':
    case 'U': {
        int digits = c == 'u' ? 4 : 8;
        uint32_t cp = 0;
        for (int k = 0; k < digits; k++) {
            int h = hexval(tp_peek(p, 0));
            if (h < 0)
                return tp_err(p, p->pos, "\\%c escape needs %d hex digits", c, digits);
            cp = cp * 16 + (uint32_t)h;
            p->pos++;
        }
        if ((cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
            return tp_err(p, at, "escape \\%c%.*s is not a Unicode scalar value", c, digits,
                          p->s + at + 2);
        char u[4];
        th_buf_put(b, u, th_utf8_encode(cp, u));
        return true;
    }
    case -1: return tp_err(p, at, "unterminated string");
    default:
        if (c > 0x20 && c < 0x7f)
            return tp_err(p, at, "invalid escape sequence \\%c", c);
        return tp_err(p, at, "invalid escape sequence");
    }
}

/* Newline at p->pos (LF or CRLF)? Returns its length, or 0. */
static size_t newline_len(const tp *p)
{
    int c = tp_peek(p, 0);
    if (c == '\n')
        return 1;
    if (c == '\r' && tp_peek(p, 1) == '\n')
        return 2;
    return 0;
}

/* A string's text is its source bytes up to its first escape, CRLF or
 * line-ending backslash, and most strings have none: until one comes nothing
 * is copied to the scratch buffer. `from` is where the text starts in the
 * source, or VERBATIM_NO once the buffer holds the text read so far (copying
 * every run there was 1.4 M of the AWS pack's 22 M instructions of TOML). */
#define VERBATIM_NO SIZE_MAX

/* The text up to p->pos goes to the buffer from now on. */
static void unverbatim(tp *p, size_t *from)
{
    if (*from == VERBATIM_NO)
        return;
    th_buf_put(&p->scratch, p->s + *from, p->pos - *from);
    *from = VERBATIM_NO;
}

/* The string's text: the source's [from, end) while verbatim, else the buffer. */
static bool finish(tp *p, size_t from, size_t end, th_str *out)
{
    th_buf *b = &p->scratch;
    const char *t = from != VERBATIM_NO ? p->s + from : b->len ? b->data : "";
    size_t n = from != VERBATIM_NO ? end - from : b->len;
    char *copy = th_arena_strndup(p->a, t, n);
    *out = th_str_make(copy, n);
    return true;
}

/* The bytes that end a run of plain string bytes: the quote (STOP_BASIC for
 * '"', STOP_LITERAL for '\''), the backslash and the control bytes (both). */
enum { STOP_BASIC = 1, STOP_LITERAL = 2, STOP_ANY = 3 };
static const unsigned char string_stop[256] = {
    [0x00] = STOP_ANY, [0x01] = STOP_ANY, [0x02] = STOP_ANY, [0x03] = STOP_ANY,
    [0x04] = STOP_ANY, [0x05] = STOP_ANY, [0x06] = STOP_ANY, [0x07] = STOP_ANY,
    [0x08] = STOP_ANY, [0x09] = STOP_ANY, [0x0A] = STOP_ANY, [0x0B] = STOP_ANY,
    [0x0C] = STOP_ANY, [0x0D] = STOP_ANY, [0x0E] = STOP_ANY, [0x0F] = STOP_ANY,
    [0x10] = STOP_ANY, [0x11] = STOP_ANY, [0x12] = STOP_ANY, [0x13] = STOP_ANY,
    [0x14] = STOP_ANY, [0x15] = STOP_ANY, [0x16] = STOP_ANY, [0x17] = STOP_ANY,
    [0x18] = STOP_ANY, [0x19] = STOP_ANY, [0x1A] = STOP_ANY, [0x1B] = STOP_ANY,
    [0x1C] = STOP_ANY, [0x1D] = STOP_ANY, [0x1E] = STOP_ANY, [0x1F] = STOP_ANY,
    [0x7F] = STOP_ANY, ['\\'] = STOP_ANY, ['"'] = STOP_BASIC, ['\''] = STOP_LITERAL,
};

/* The end of the run of plain bytes from i: sixteen (SSE2), then eight bytes at a time while
 * none of them is a control byte, DEL, the backslash or the quote (`stop`'s). A byte >= 0x80
 * never stops a run, so its high bit lets the four zero-byte tests share one `& ~w`. A test's
 * borrow can only flag a byte after a true one, so on a little-endian machine the lowest flag
 * is the stop. */
static size_t plain_run(const char *s, size_t i, size_t n, unsigned char stop)
{
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    const uint64_t quote = ones * (stop == STOP_BASIC ? '"' : '\''), bslash = ones * '\\';
    const uint64_t del = ones * 0x7F;
#ifdef __SSE2__
    /* sixteen bytes a step (the runs are a rule file's texts, most of its
     * bytes): a control byte is one that min(x, 0x1F) leaves unchanged */
    const __m128i q16 = _mm_set1_epi8(stop == STOP_BASIC ? '"' : '\''), bs16 = _mm_set1_epi8('\\');
    const __m128i del16 = _mm_set1_epi8(0x7F), ctl16 = _mm_set1_epi8(0x1F);
    for (; i + 16 <= n; i += 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
        __m128i ctl = _mm_cmpeq_epi8(_mm_min_epu8(x, ctl16), x);
        __m128i ends = _mm_or_si128(_mm_cmpeq_epi8(x, q16), _mm_cmpeq_epi8(x, bs16));
        __m128i m = _mm_or_si128(_mm_or_si128(ctl, ends), _mm_cmpeq_epi8(x, del16));
        unsigned bits = (unsigned)_mm_movemask_epi8(m);
        if (bits)
            return i + (size_t)__builtin_ctz(bits);
    }
#endif
    while (i + 8 <= n) {
        uint64_t w;
        memcpy(&w, s + i, sizeof w);
        uint64_t any = (w - ones * 0x20) | ((w ^ quote) - ones) | ((w ^ bslash) - ones)
                       | ((w ^ del) - ones);
        any &= ~w & highs;
        if (any) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
            return i + (size_t)__builtin_ctzll(any) / 8;
#else
            break;
#endif
        }
        i += 8;
    }
    while (i < n && !(string_stop[(unsigned char)s[i]] & stop))
        i++;
    return i;
}

static bool single_line(tp *p, char q, th_str *out)
{
    th_buf *b = &p->scratch;
    unsigned char stop = q == '"' ? STOP_BASIC : STOP_LITERAL;
    size_t start = p->pos;
    p->pos++;
    size_t from = p->pos;
    for (;;) {
        int c = tp_peek(p, 0);
        if (c == q) {
            p->pos++;
            return finish(p, from, p->pos - 1, out);
        }
        if (c == -1 || c == '\n' || (c == '\r' && tp_peek(p, 1) == '\n'))
            return tp_err(p, start, "unterminated string");
        if (c == '\\' && q == '"') {
            unverbatim(p, &from);
            if (!escape(p, b))
                return false;
            continue;
        }
        if (tp_is_control(c))
            return tp_err(p, p->pos, "control character U+%04X in string", (unsigned)c);
        /* copy a run of plain bytes at once (keeps 10 MB strings fast) */
        size_t run = plain_run(p->s, p->pos, p->n, stop);
        if (run == p->pos)
            run++;
        if (from == VERBATIM_NO)
            th_buf_put(b, p->s + p->pos, run - p->pos);
        p->pos = run;
    }
}

static bool multi_line(tp *p, char q, th_str *out)
{
    th_buf *b = &p->scratch;
    unsigned char stop = q == '"' ? STOP_BASIC : STOP_LITERAL;
    size_t start = p->pos;
    p->pos += 3;
    p->pos += newline_len(p); /* a newline right after the opening is trimmed */
    size_t from = p->pos;
    for (;;) {
        int c = tp_peek(p, 0);
        if (c == -1)
            return tp_err(p, start, "unterminated multi-line string");
        if (c == q) {
            size_t run = 0;
            while (tp_peek(p, run) == q)
                run++;
            if (run >= 3) {
                if (run > 5)
                    return tp_err(p, p->pos + 5,
                                  "too many quotes at the end of a multi-line string");
                if (from == VERBATIM_NO)
                    th_buf_put(b, p->s + p->pos, run - 3);
                p->pos += run;
                return finish(p, from, p->pos - 3, out);
            }
            if (from == VERBATIM_NO)
                th_buf_put(b, p->s + p->pos, run);
            p->pos += run;
            continue;
        }
        size_t nl = newline_len(p);
        if (nl) {
            if (nl == 2) /* CRLF is read as LF, as Python's tomllib does */
                unverbatim(p, &from);
            if (from == VERBATIM_NO)
                th_buf_putc(b, '\n');
            p->pos += nl;
            continue;
        }
        if (c == '\\' && q == '"') {
            unverbatim(p, &from);
            /* line-ending backslash: whitespace up to the newline, then every
             * space, tab and newline after it, is dropped */
            size_t k = 1;
            while (tp_peek(p, k) == ' ' || tp_peek(p, k) == '\t')
                k++;
            size_t save = p->pos;
            p->pos += k;
            if (newline_len(p)) {
                for (;;) {
                    int d = tp_peek(p, 0);
                    if (d == ' ' || d == '\t')
                        p->pos++;
                    else if ((nl = newline_len(p)) != 0)
                        p->pos += nl;
                    else
                        break;
                }
                continue;
            }
            p->pos = save;
            if (!escape(p, b))
                return false;
            continue;
        }
        if (tp_is_control(c))
            return tp_err(p, p->pos, "control character U+%04X in string", (unsigned)c);
        size_t run = plain_run(p->s, p->pos + 1, p->n, stop);
        if (from == VERBATIM_NO)
            th_buf_put(b, p->s + p->pos, run - p->pos);
        p->pos = run;
    }
}

bool tp_string(tp *p, bool allow_multi, th_str *out)
{
    char q = p->s[p->pos];
    th_buf_clear(&p->scratch);
    if (tp_peek(p, 1) == q && tp_peek(p, 2) == q) {
        if (!allow_multi)
            return tp_err(p, p->pos, "a multi-line string cannot be a key");
        return multi_line(p, q, out);
    }
    return single_line(p, q, out);
}

/* ---- numbers ------------------------------------------------------------ */

static bool is_digit(int c)
{
    return c >= '0' && c <= '9';
}

static bool token_char(int c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
           c == '+' || c == '-' || c == '.' || c == ':';
}

/* Digits of one base with '_' allowed only between two digits. Returns the
 * index after the run, or 0 with an error. t[i] must start the run. */
static size_t digit_run(tp *p, const char *t, size_t i, size_t n, int base, size_t tok)
{
    size_t start = i;
    for (;;) {
        int c = i < n ? (unsigned char)t[i] : -1;
        int v = hexval(c);
        if (v >= 0 && v < base) {
            i++;
            continue;
        }
        if (c == '_') {
            int nx = i + 1 < n ? (unsigned char)t[i + 1] : -1;
            int nv = hexval(nx);
            if (i == start || nv < 0 || nv >= base) {
                tp_err(p, tok + i, "'_' must be between two digits");
                return 0;
            }
            i++;
            continue;
        }
        break;
    }
    if (i == start) {
        tp_err(p, tok + i, "expected a digit");
        return 0;
    }
    return i;
}

static bool radix_int(tp *p, const char *t, size_t n, size_t tok, th_toml *v)
{
    int base = t[1] == 'x' ? 16 : t[1] == 'o' ? 8 : 2;
    size_t end = digit_run(p, t, 2, n, base, tok);
    if (!end)
        return false;
    if (end != n)
        return tp_err(p, tok + end, "invalid character in a base-%d integer", base);
    uint64_t acc = 0;
    for (size_t i = 2; i < n; i++) {
        if (t[i] == '_')
            continue;
        uint64_t d = (uint64_t)hexval((unsigned char)t[i]);
        if (acc > (UINT64_C(0x7FFFFFFFFFFFFFFF) - d) / (uint64_t)base)
            return tp_err(p, tok, "integer does not fit in 64 bits");
        acc = acc * (uint64_t)base + d;
    }
    v->type = TH_TOML_INTEGER;
    v->u.i = (int64_t)acc;
    return true;
}

static bool number(tp *p, const char *t, size_t n, size_t tok, th_toml *v)
{
    size_t i = 0;
    bool neg = false;
    if (t[0] == '+' || t[0] == '-') {
        neg = t[0] == '-';
        i = 1;
    }
    if (n - i == 3 && (memcmp(t + i, "inf", 3) == 0 || memcmp(t + i, "nan", 3) == 0)) {
        v->type = TH_TOML_FLOAT;
        v->u.f = t[i] == 'i' ? (neg ? -INFINITY : INFINITY) : (neg ? -NAN : NAN);
        return true;
    }
    if (n - i >= 2 && t[i] == '0' && (t[i + 1] == 'x' || t[i + 1] == 'o' || t[i + 1] == 'b')) {
        if (i)
            return tp_err(p, tok, "a sign is not allowed on hex, octal or binary integers");
        return radix_int(p, t, n, tok, v);
    }
    if (i >= n || !is_digit((unsigned char)t[i]))
        return tp_err(p, tok + i, "invalid value");
    size_t int_start = i;
    size_t e = digit_run(p, t, i, n, 10, tok);
    if (!e)
        return false;
    if (t[int_start] == '0' && e - int_start > 1)
        return tp_err(p, tok + int_start, "leading zeros are not allowed");
    i = e;
    bool is_float = false;
    if (i < n && t[i] == '.') {
        is_float = true;
        if (!(e = digit_run(p, t, i + 1, n, 10, tok)))
            return false;
        i = e;
    }
    if (i < n && (t[i] == 'e' || t[i] == 'E')) {
        is_float = true;
        i++;
        if (i < n && (t[i] == '+' || t[i] == '-'))
            i++;
        if (!(e = digit_run(p, t, i, n, 10, tok)))
            return false;
        i = e;
    }
    if (i != n)
        return tp_err(p, tok + i, "invalid character '%c' in a number", t[i]);
    if (!is_float) {
        uint64_t acc = 0, lim = neg ? UINT64_C(0x8000000000000000) : UINT64_C(0x7FFFFFFFFFFFFFFF);
        for (size_t k = int_start; k < n; k++) {
            if (t[k] == '_')
                continue;
            uint64_t d = (uint64_t)(t[k] - '0');
            if (acc > (lim - d) / 10)
                return tp_err(p, tok, "integer does not fit in 64 bits");
            acc = acc * 10 + d;
        }
        v->type = TH_TOML_INTEGER;
        v->u.i = neg ? (int64_t)(0 - acc) : (int64_t)acc;
        return true;
    }
    char small[128];
    char *buf = n < sizeof small ? small : th_arena_alloc(p->a, n + 1);
    size_t k = 0;
    for (size_t j = 0; j < n; j++)
        if (t[j] != '_')
            buf[k++] = t[j];
    buf[k] = '\0';
    v->type = TH_TOML_FLOAT;
    v->u.f = strtod(buf, NULL);
    return true;
}

/* ---- date-times --------------------------------------------------------- */

static bool digits(const char *t, size_t n, size_t i, size_t count, unsigned *out)
{
    unsigned v = 0;
    if (i + count > n)
        return false;
    for (size_t k = 0; k < count; k++) {
        if (!is_digit((unsigned char)t[i + k]))
            return false;
        v = v * 10 + (unsigned)(t[i + k] - '0');
    }
    *out = v;
    return true;
}

static unsigned days_in_month(unsigned y, unsigned m)
{
    static const unsigned dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return dm[m - 1];
}

/* HH:MM:SS[.frac] at t[i]; returns the index after it, or 0 with an error. */
static size_t time_part(tp *p, const char *t, size_t n, size_t i, size_t tok)
{
    unsigned h, m, s;
    if (!digits(t, n, i, 2, &h) || i + 2 >= n || t[i + 2] != ':' || !digits(t, n, i + 3, 2, &m) ||
        i + 5 >= n || t[i + 5] != ':' || !digits(t, n, i + 6, 2, &s)) {
        tp_err(p, tok + i, "invalid time: expected HH:MM:SS");
        return 0;
    }
    if (h > 23 || m > 59 || s > 60) {
        tp_err(p, tok + i, "time out of range");
        return 0;
    }
    i += 8;
    if (i < n && t[i] == '.') {
        size_t f = i + 1;
        while (f < n && is_digit((unsigned char)t[f]))
            f++;
        if (f == i + 1) {
            tp_err(p, tok + i, "a fraction of seconds needs digits");
            return 0;
        }
        i = f;
    }
    return i;
}

static bool datetime(tp *p, const char *t, size_t n, size_t tok, th_toml *v)
{
    size_t i;
    if (n >= 3 && t[2] == ':') {
        if (!(i = time_part(p, t, n, 0, tok)))
            return false;
        if (i != n)
            return tp_err(p, tok + i, "unexpected text after a local time");
        v->type = TH_TOML_TIME_LOCAL;
        goto done;
    }
    unsigned y, mo, d;
    if (!digits(t, n, 0, 4, &y) || n < 10 || t[4] != '-' || !digits(t, n, 5, 2, &mo) ||
        t[7] != '-' || !digits(t, n, 8, 2, &d))
        return tp_err(p, tok, "invalid date: expected YYYY-MM-DD");
    if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo))
        return tp_err(p, tok, "date out of range");
    if (n == 10) {
        v->type = TH_TOML_DATE_LOCAL;
        goto done;
    }
    if (t[10] != 'T' && t[10] != 't' && t[10] != ' ')
        return tp_err(p, tok + 10, "invalid date-time: expected 'T' after the date");
    if (!(i = time_part(p, t, n, 11, tok)))
        return false;
    if (i == n) {
        v->type = TH_TOML_DATETIME_LOCAL;
        goto done;
    }
    if ((t[i] == 'Z' || t[i] == 'z') && i + 1 == n) {
        v->type = TH_TOML_DATETIME;
        goto done;
    }
    unsigned oh, om;
    if ((t[i] == '+' || t[i] == '-') && i + 6 == n && digits(t, n, i + 1, 2, &oh) &&
        t[i + 3] == ':' && digits(t, n, i + 4, 2, &om)) {
        if (oh > 23 || om > 59)
            return tp_err(p, tok + i, "time offset out of range");
        v->type = TH_TOML_DATETIME;
        goto done;
    }
    return tp_err(p, tok + i, "invalid date-time: bad time offset");
done:
    v->u.str = th_str_make(th_arena_strndup(p->a, t, n), n);
    return true;
}

bool tp_number_or_datetime(tp *p, th_toml *v)
{
    size_t tok = p->pos, end = tok;
    while (end < p->n && token_char((unsigned char)p->s[end]))
        end++;
    const char *t = p->s + tok;
    size_t n = end - tok;
    /* A date followed by a space and a time is one value (RFC 3339 allows the space). */
    if (n == 10 && t[4] == '-' && end + 3 < p->n && p->s[end] == ' ' &&
        is_digit((unsigned char)p->s[end + 1]) && is_digit((unsigned char)p->s[end + 2]) &&
        p->s[end + 3] == ':') {
        end++;
        while (end < p->n && token_char((unsigned char)p->s[end]))
            end++;
        n = end - tok;
    }
    if (n == 0)
        return tp_err(p, tok, "expected a value");
    bool ok;
    bool date_like = n >= 5 && is_digit((unsigned char)t[0]) && is_digit((unsigned char)t[1]) &&
                     is_digit((unsigned char)t[2]) && is_digit((unsigned char)t[3]) && t[4] == '-';
    bool time_like =
        n >= 3 && is_digit((unsigned char)t[0]) && is_digit((unsigned char)t[1]) && t[2] == ':';
    if (date_like || time_like)
        ok = datetime(p, t, n, tok, v);
    else
        ok = number(p, t, n, tok, v);
    if (ok)
        p->pos = end;
    return ok;
}
