/* Zero-copy recursive-descent JSON reader with byte offsets in every error. */
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "base/limits.h"
#include "base/utf8.h"
#include "json/escape.h"
#include "json/json.h"

typedef struct parser {
    th_arena *a;
    const unsigned char *s;
    size_t n, i;
    int depth;
    th_json_error *err;
    /* scratch stack for children of the arrays/objects being built */
    th_jval **stack;
    size_t stack_len, stack_cap;
    th_jmember *mstack;
    size_t mstack_len, mstack_cap;
} parser;

static bool fail(parser *p, size_t at, const char *why)
{
    if (p->err && !p->err->reason) {
        p->err->offset = at;
        p->err->reason = why;
    }
    return false;
}

/* Inline: called around every value, and compact text has no whitespace. */
static inline void skip_ws(parser *p)
{
    while (p->i < p->n) {
        unsigned char c = p->s[p->i];
        if (c > ' ' || (c != ' ' && c != '\n' && c != '\r' && c != '\t'))
            break;
        p->i++;
    }
}

/* Index of the first byte in s[i..n) that ends a run of plain string bytes
 * (a quote, a backslash, a byte < 0x20 or >= 0x80), or n. With SSE2, 16 bytes
 * a step: the text is the whole record, so even a short string is mostly
 * looked at in one step. */
static size_t plain_run(const unsigned char *s, size_t i, size_t n)
{
#ifdef __SSE2__
    const __m128i quote = _mm_set1_epi8('"'), bs = _mm_set1_epi8('\\'), sp = _mm_set1_epi8(0x20);
    for (; i + 16 <= n; i += 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
        /* signed bytes: x < 0x20 holds for control characters and bytes >= 0x80 */
        __m128i m = _mm_or_si128(_mm_cmplt_epi8(x, sp),
                                 _mm_or_si128(_mm_cmpeq_epi8(x, quote), _mm_cmpeq_epi8(x, bs)));
        int bits = _mm_movemask_epi8(m);
        if (bits)
            return i + (size_t)__builtin_ctz((unsigned)bits);
    }
#endif
    for (; i < n; i++) {
        unsigned char c = s[i];
        if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80)
            break;
    }
    return i;
}

/* p->i is just past the opening quote. */
static bool parse_string(parser *p, th_str *out)
{
    size_t start = p->i;
    bool escaped = false;
    size_t i = p->i;
    for (;;) {
        i = plain_run(p->s, i, p->n);
        if (i >= p->n)
            return fail(p, start - 1, "unterminated string");
        unsigned char c = p->s[i];
        if (c == '"')
            break;
        if (c == '\\') {
            escaped = true;
            if (i + 1 >= p->n)
                return fail(p, i, "unterminated string");
            i += 2;
            continue;
        }
        if (c < 0x20)
            return fail(p, i, "control character in string");
        size_t l;
        uint32_t cp;
        if (th_utf8_decode(p->s + i, p->n - i, &l, &cp) != TH_UTF8_OK)
            return fail(p, i, "invalid UTF-8 in string");
        i += l;
    }
    size_t end = i;
    p->i = end + 1;
    if (!escaped) {
        *out = th_str_make((const char *)p->s + start, end - start);
        return true;
    }
    /* decode escapes: output is never longer than input */
    char *o = th_arena_alloc(p->a, end - start + 1);
    size_t w = 0;
    if (!th_json_unescape(p->s, p->n, start, end, o, &w,
                          p->err && !p->err->reason ? p->err : NULL))
        return false;
    *out = th_str_make(o, w);
    return true;
}

static bool parse_number(parser *p, th_jval **out)
{
    size_t start = p->i, i = p->i;
    const unsigned char *s = p->s;
    if (i < p->n && s[i] == '-')
        i++;
    if (i >= p->n)
        return fail(p, start, "truncated number");
    if (s[i] == '0') {
        i++;
    } else if (s[i] >= '1' && s[i] <= '9') {
        while (i < p->n && s[i] >= '0' && s[i] <= '9')
            i++;
    } else {
        return fail(p, i, "invalid number");
    }
    if (i < p->n && s[i] == '.') {
        i++;
        size_t d = i;
        while (i < p->n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == d)
            return fail(p, i, "digit expected after decimal point");
    }
    if (i < p->n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < p->n && (s[i] == '+' || s[i] == '-'))
            i++;
        size_t d = i;
        while (i < p->n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == d)
            return fail(p, i, "digit expected in exponent");
    }
    th_jval *v = th_arena_alloc(p->a, sizeof(th_jval));
    v->type = TH_JNUM;
    v->len = v->cap = 0;
    v->u.str = th_str_make((const char *)s + start, i - start);
    p->i = i;
    *out = v;
    return true;
}

static bool parse_value(parser *p, th_jval **out);

static void push_child(parser *p, th_jval *v)
{
    if (p->stack_len == p->stack_cap) {
        p->stack_cap = p->stack_cap ? p->stack_cap * 2 : 64;
        p->stack = th_xrealloc(p->stack, p->stack_cap * sizeof(*p->stack));
    }
    p->stack[p->stack_len++] = v;
}

static void push_member(parser *p, th_str k, th_jval *v)
{
    if (p->mstack_len == p->mstack_cap) {
        p->mstack_cap = p->mstack_cap ? p->mstack_cap * 2 : 64;
        p->mstack = th_xrealloc(p->mstack, p->mstack_cap * sizeof(*p->mstack));
    }
    p->mstack[p->mstack_len].key = k;
    p->mstack[p->mstack_len].val = v;
    p->mstack_len++;
}

static bool parse_array(parser *p, th_jval **out)
{
    size_t base = p->stack_len;
    p->i++; /* [ */
    skip_ws(p);
    if (p->i < p->n && p->s[p->i] == ']') {
        p->i++;
    } else {
        for (;;) {
            th_jval *child;
            if (!parse_value(p, &child))
                return false;
            push_child(p, child);
            skip_ws(p);
            if (p->i >= p->n)
                return fail(p, p->i, "unterminated array");
            if (p->s[p->i] == ',') {
                p->i++;
                continue;
            }
            if (p->s[p->i] == ']') {
                p->i++;
                break;
            }
            return fail(p, p->i, "expected ',' or ']' in array");
        }
    }
    size_t count = p->stack_len - base;
    if (count > UINT32_MAX)
        return fail(p, p->i, "array too long");
    th_jval *v = th_arena_alloc(p->a, sizeof(th_jval));
    v->type = TH_JARR;
    v->len = v->cap = (uint32_t)count;
    v->u.items = count ? th_arena_alloc(p->a, count * sizeof(th_jval *)) : NULL;
    if (count)
        memcpy(v->u.items, p->stack + base, count * sizeof(th_jval *));
    p->stack_len = base;
    *out = v;
    return true;
}

static bool parse_object(parser *p, th_jval **out)
{
    size_t base = p->mstack_len;
    p->i++; /* { */
    skip_ws(p);
    if (p->i < p->n && p->s[p->i] == '}') {
        p->i++;
    } else {
        for (;;) {
            skip_ws(p);
            if (p->i >= p->n || p->s[p->i] != '"')
                return fail(p, p->i, "expected string key in object");
            p->i++;
            th_str key;
            if (!parse_string(p, &key))
                return false;
            skip_ws(p);
            if (p->i >= p->n || p->s[p->i] != ':')
                return fail(p, p->i, "expected ':' after object key");
            p->i++;
            th_jval *child;
            if (!parse_value(p, &child))
                return false;
            push_member(p, key, child);
            skip_ws(p);
            if (p->i >= p->n)
                return fail(p, p->i, "unterminated object");
            if (p->s[p->i] == ',') {
                p->i++;
                continue;
            }
            if (p->s[p->i] == '}') {
                p->i++;
                break;
            }
            return fail(p, p->i, "expected ',' or '}' in object");
        }
    }
    size_t count = p->mstack_len - base;
    if (count > UINT32_MAX)
        return fail(p, p->i, "object too large");
    th_jval *v = th_arena_alloc(p->a, sizeof(th_jval));
    v->type = TH_JOBJ;
    v->len = v->cap = (uint32_t)count;
    v->u.members = count ? th_arena_alloc(p->a, count * sizeof(th_jmember)) : NULL;
    if (count)
        memcpy(v->u.members, p->mstack + base, count * sizeof(th_jmember));
    p->mstack_len = base;
    *out = v;
    return true;
}

static bool literal(parser *p, const char *word, size_t n, th_jtype t, th_jval **out)
{
    if (p->n - p->i < n || memcmp(p->s + p->i, word, n) != 0)
        return fail(p, p->i, "invalid literal");
    p->i += n;
    *out = th_jnew(p->a, t);
    return true;
}

static bool parse_value(parser *p, th_jval **out)
{
    skip_ws(p);
    if (p->i >= p->n)
        return fail(p, p->i, "unexpected end of input");
    unsigned char c = p->s[p->i];
    switch (c) {
    case '{':
    case '[': {
        if (++p->depth > TH_MAX_JSON_DEPTH)
            return fail(p, p->i, "nesting too deep");
        bool ok = c == '{' ? parse_object(p, out) : parse_array(p, out);
        p->depth--;
        return ok;
    }
    case '"': {
        p->i++;
        th_str s;
        if (!parse_string(p, &s))
            return false;
        th_jval *v = th_arena_alloc(p->a, sizeof(th_jval));
        v->type = TH_JSTR;
        v->len = v->cap = 0;
        v->u.str = s;
        *out = v;
        return true;
    }
    case 't': return literal(p, "true", 4, TH_JTRUE, out);
    case 'f': return literal(p, "false", 5, TH_JFALSE, out);
    case 'n': return literal(p, "null", 4, TH_JNULL, out);
    default:
        if (c == '-' || (c >= '0' && c <= '9'))
            return parse_number(p, out);
        return fail(p, p->i, "unexpected character");
    }
}

static th_jval *run(th_arena *a, const char *buf, size_t len, size_t *consumed, bool whole,
                    th_json_error *err)
{
    th_json_error local = {0, NULL};
    if (!err)
        err = &local;
    err->offset = 0;
    err->reason = NULL;
    parser p = {.a = a, .s = (const unsigned char *)buf, .n = len, .err = err};
    th_jval *v = NULL;
    bool ok = parse_value(&p, &v);
    if (ok) {
        skip_ws(&p);
        if (whole && p.i != p.n)
            ok = fail(&p, p.i, "trailing characters after JSON value");
    }
    free(p.stack);
    free(p.mstack);
    if (consumed)
        *consumed = p.i;
    return ok ? v : NULL;
}

th_jval *th_json_parse(th_arena *a, const char *buf, size_t len, th_json_error *err)
{
    return run(a, buf, len, NULL, true, err);
}

th_jval *th_json_parse_prefix(th_arena *a, const char *buf, size_t len, size_t *consumed,
                              th_json_error *err)
{
    return run(a, buf, len, consumed, false, err);
}
