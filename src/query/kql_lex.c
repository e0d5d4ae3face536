/* KQL lexical rules (Kibana's kuery grammar): whitespace, the and/or/not
 * keywords, quoted strings and unquoted literals with every escape, JS trim(),
 * and the furthest-failure bookkeeping behind syntax errors. */
#include <stdint.h>
#include <string.h>

#include "base/utf8.h"
#include "query/kql_int.h"

void th_kql_expect(parser *p, size_t pos, const char *what)
{
    if (pos < p->fail_pos)
        return;
    if (pos > p->fail_pos) {
        p->fail_pos = pos;
        p->nexpected = 0;
    }
    for (size_t i = 0; i < p->nexpected; i++)
        if (strcmp(p->expected[i], what) == 0)
            return;
    if (p->nexpected < MAX_EXPECTED)
        p->expected[p->nexpected++] = what;
}

/* Space = [ \t\r\n\u00A0]; returns its length at pos, 0 if none. */
static size_t space_at(const parser *p, size_t pos)
{
    if (pos >= p->n)
        return 0;
    char c = p->s[pos];
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
        return 1;
    if ((unsigned char)c == 0xC2 && pos + 1 < p->n && (unsigned char)p->s[pos + 1] == 0xA0)
        return 2;
    return 0;
}

size_t th_kql_skip_spaces(const parser *p, size_t pos)
{
    size_t k;
    while ((k = space_at(p, pos)) != 0)
        pos += k;
    return pos;
}

static bool word_at(const parser *p, size_t pos, const char *w)
{
    size_t k = strlen(w);
    if (pos + k > p->n)
        return false;
    for (size_t i = 0; i < k; i++) {
        char c = p->s[pos + i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != w[i])
            return false;
    }
    return true;
}

/* Or = Space+ 'or'i Space+ ; And likewise. Returns the end, or 0. */
size_t th_kql_binop_at(const parser *p, size_t pos, const char *w)
{
    size_t q = th_kql_skip_spaces(p, pos);
    if (q == pos || !word_at(p, q, w))
        return 0;
    q += strlen(w);
    size_t r = th_kql_skip_spaces(p, q);
    return r == q ? 0 : r;
}

/* Not = 'not'i Space+ */
size_t th_kql_not_at(const parser *p, size_t pos)
{
    if (!word_at(p, pos, "not"))
        return 0;
    size_t r = th_kql_skip_spaces(p, pos + 3);
    return r == pos + 3 ? 0 : r;
}

/* `or` and `and` start with a Space (space_at's first bytes), `not` with n or N: any other
 * byte starts no keyword, which spares the three tries for almost every byte of a literal. */
static bool keyword_at(const parser *p, size_t pos)
{
    unsigned char c = (unsigned char)p->s[pos];
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n' && c != 0xC2 && c != 'n' && c != 'N')
        return false;
    return th_kql_binop_at(p, pos, "or") || th_kql_binop_at(p, pos, "and") || th_kql_not_at(p, pos);
}

static bool is_special(char c)
{
    switch (c) {
    case '\\': case '(': case ')': case ':': case '<': case '>': case '"': case '*': case '{': case '}':
        return true;
    default:
        return false;
    }
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* \uXXXX: String.fromCharCode of one UTF-16 unit; a lone surrogate becomes U+FFFD. */
static bool unicode_escape(const parser *p, size_t pos, th_buf *out)
{
    if (pos + 6 > p->n || p->s[pos] != '\\' || p->s[pos + 1] != 'u')
        return false;
    unsigned cp = 0;
    for (int i = 0; i < 4; i++) {
        int h = hexval(p->s[pos + 2 + i]);
        if (h < 0)
            return false;
        cp = cp * 16 + (unsigned)h;
    }
    if (cp >= 0xD800 && cp <= 0xDFFF)
        cp = 0xFFFD;
    char u[4];
    th_buf_put(out, u, th_utf8_encode(cp, u));
    return true;
}

/* Length of the JS-trim whitespace character at s[i], 0 if not whitespace. */
static inline size_t js_space(const char *s, size_t n, size_t i)
{
    unsigned char c = (unsigned char)s[i];
    if (c > ' ' && c < 0x80)
        return 0;
    if (c == ' ' || (c >= 0x09 && c <= 0x0D))
        return 1;
    if (c == 0xC2 && i + 1 < n && (unsigned char)s[i + 1] == 0xA0)
        return 2;
    if (c == 0xE2 && i + 2 < n) {
        unsigned char c1 = (unsigned char)s[i + 1], c2 = (unsigned char)s[i + 2];
        if (c1 == 0x80 && ((c2 >= 0x80 && c2 <= 0x8A) || c2 == 0xA8 || c2 == 0xA9 || c2 == 0xAF))
            return 3;
        if (c1 == 0x81 && c2 == 0x9F)
            return 3;
    }
    if (c == 0xE3 && i + 2 < n && (unsigned char)s[i + 1] == 0x80 && (unsigned char)s[i + 2] == 0x80)
        return 3;
    if (c == 0xEF && i + 2 < n && (unsigned char)s[i + 1] == 0xBB && (unsigned char)s[i + 2] == 0xBF)
        return 3;
    if (c == 0xE1 && i + 2 < n && (unsigned char)s[i + 1] == 0x9A && (unsigned char)s[i + 2] == 0x80)
        return 3;
    return 0;
}

static th_str js_trim(th_str s)
{
    size_t b = 0, e = s.n, k;
    while (b < e && (k = js_space(s.p, e, b)) != 0)
        b += k;
    /* trailing: none when the last byte is a printable ASCII character (the
     * spaces past ASCII are sequences of bytes >= 0x80, so it cannot end one) */
    if (b < e && (unsigned char)s.p[e - 1] > ' ' && (unsigned char)s.p[e - 1] < 0x80)
        return th_str_make(s.p + b, e - b);
    /* else scan forward to find the last non-space */
    size_t last = b;
    for (size_t i = b; i < e;) {
        k = js_space(s.p, e, i);
        if (k) {
            i += k;
        } else {
            i++;
            while (i < e && ((unsigned char)s.p[i] & 0xC0) == 0x80)
                i++;
            last = i;
        }
    }
    return th_str_make(s.p + b, last - b);
}

static bool quoted_string(parser *p, lit *out)
{
    size_t start = p->pos, i = p->pos;
    if (i >= p->n || p->s[i] != '"') {
        th_kql_expect(p, i, "\"\\\"\"");
        return false;
    }
    i++;
    th_buf_clear(&p->tmp);
    for (;;) {
        if (i >= p->n) {
            th_kql_expect(p, i, "\"\\\"\"");
            return false;
        }
        char c = p->s[i];
        if (c == '"')
            break;
        if (c == '\\' && i + 1 < p->n) {
            char d = p->s[i + 1];
            if (d == 't' || d == 'r' || d == 'n') {
                th_buf_putc(&p->tmp, d == 't' ? '\t' : d == 'r' ? '\r' : '\n');
                i += 2;
                continue;
            }
            if (unicode_escape(p, i, &p->tmp)) {
                i += 6;
                continue;
            }
            if (d == '\\' || d == '"') {
                th_buf_putc(&p->tmp, d);
                i += 2;
                continue;
            }
        }
        th_buf_putc(&p->tmp, c); /* includes a backslash that escapes nothing */
        i++;
    }
    p->pos = i + 1;
    memset(out, 0, sizeof *out);
    out->quoted = true;
    out->start = start;
    out->text = th_str_make(th_arena_strndup(p->a, p->tmp.data ? p->tmp.data : "", p->tmp.len),
                            p->tmp.len);
    return true;
}

/* The bytes an unquoted literal's loop must look at: the escape, the wildcard, is_special's,
 * and those that can start a keyword (keyword_at). A run of others is copied at once. */
static const unsigned char literal_stop[256] = {
    ['\\'] = 1, ['('] = 1, [')'] = 1, [':'] = 1, ['<'] = 1, ['>'] = 1, ['"'] = 1, ['*'] = 1,
    ['{'] = 1, ['}'] = 1, [' '] = 1, ['\t'] = 1, ['\r'] = 1, ['\n'] = 1, [0xC2] = 1, ['n'] = 1,
    ['N'] = 1,
};

static bool unquoted_literal(parser *p, lit *out)
{
    size_t start = p->pos, i = p->pos;
    th_buf_clear(&p->tmp);
    bool any_wild = false;
    while (i < p->n) {
        size_t run = i;
        while (run < p->n && !literal_stop[(unsigned char)p->s[run]])
            run++;
        if (run > i) {
            th_buf_put(&p->tmp, p->s + i, run - i);
            i = run;
            continue;
        }
        char c = p->s[i];
        if (c == '\\' && i + 1 < p->n) {
            char d = p->s[i + 1];
            if (d == 't' || d == 'r' || d == 'n') {
                th_buf_putc(&p->tmp, d == 't' ? '\t' : d == 'r' ? '\r' : '\n');
                i += 2;
                continue;
            }
            if (is_special(d)) {
                th_buf_putc(&p->tmp, d);
                i += 2;
                continue;
            }
            if (unicode_escape(p, i, &p->tmp)) {
                i += 6;
                continue;
            }
            size_t kl = word_at(p, i + 1, "or") ? 2 : word_at(p, i + 1, "and") ? 3
                        : word_at(p, i + 1, "not") ? 3 : 0;
            if (kl) {
                th_buf_put(&p->tmp, p->s + i + 1, kl);
                i += 1 + kl;
                continue;
            }
            break;
        }
        if (c == '*') {
            th_buf_putc(&p->tmp, WILD_MARK);
            any_wild = true;
            i++;
            continue;
        }
        if (is_special(c) || keyword_at(p, i))
            break;
        th_buf_putc(&p->tmp, c);
        i++;
    }
    if (i == start) {
        th_kql_expect(p, start, "literal");
        return false;
    }
    p->pos = i;
    th_str seq = js_trim(th_buf_str(&p->tmp));
    memset(out, 0, sizeof *out);
    out->start = start;
    /* text: markers back to `*`; pattern: literal `* ? \` escaped, markers as `*` */
    char *text = th_arena_alloc(p->a, seq.n + 1);
    char *pat = th_arena_alloc(p->a, seq.n * 2 + 1);
    size_t tn = 0, pn = 0;
    for (size_t k = 0; k < seq.n; k++) {
        char c = seq.p[k];
        if (c == WILD_MARK) {
            text[tn++] = '*';
            pat[pn++] = '*';
            continue;
        }
        text[tn++] = c;
        if (c == '*' || c == '?' || c == '\\')
            pat[pn++] = '\\';
        pat[pn++] = c;
    }
    text[tn] = pat[pn] = '\0';
    out->text = th_str_make(text, tn);
    out->pattern = th_str_make(pat, pn);
    out->wildcard = any_wild && memchr(seq.p, WILD_MARK, seq.n) != NULL;
    out->lone_wildcard = seq.n == 1 && seq.p[0] == WILD_MARK;
    out->is_null = !any_wild && th_str_eqc(seq, "null");
    return true;
}

bool th_kql_literal(parser *p, lit *out)
{
    if (p->pos < p->n && p->s[p->pos] == '"')
        return quoted_string(p, out);
    th_kql_expect(p, p->pos, "\"\\\"\"");
    return unquoted_literal(p, out);
}

