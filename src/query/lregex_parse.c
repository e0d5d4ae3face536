/* Lucene RegExp parser (lregex.h states the syntax): a recursive descent that
 * follows Lucene's grammar production by production, so that the same strings
 * are accepted and mean the same things:
 *
 *   union    ::= inter ( '|' inter )*
 *   inter    ::= concat ( '&' concat )*
 *   concat   ::= repeat+            (stops before ')' '|' '&')
 *   repeat   ::= compl ( '?' | '*' | '+' | '{' n ( ',' m? )? '}' )*
 *   compl    ::= '~' compl | classexp
 *   classexp ::= '[' '^'? class+ ']' | simple
 *   class    ::= predefined | charexp ( '-' charexp )?
 *   simple   ::= '.' | '#' | '@' | '"' chars '"' | '(' ')' | '(' union ')'
 *              | '<' n '-' m '>' | predefined | charexp
 *   charexp  ::= '\'? code point
 *
 * Union, intersection and concatenation are associative, so they are parsed as
 * loops into n-ary nodes (no recursion per operand); nesting through '(' '~'
 * and repetition is limited to TH_MAX_QUERY_DEPTH. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/limits.h"
#include "base/utf8.h"
#include "query/lregex_int.h"

typedef TH_VEC(lre_rng) rvec;
typedef TH_VEC(int) ivec;

typedef struct parser {
    lre_ast *ast;
    const unsigned char *p;
    size_t n, pos;
    bool nocase;
    int depth;
    char *err;
    size_t errcap, errpos;
    bool failed;
} parser;

__attribute__((format(printf, 3, 4))) static int fail(parser *ps, size_t at, const char *fmt, ...)
{
    if (!ps->failed) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(ps->err, ps->errcap, fmt, ap);
        va_end(ap);
        ps->errpos = at;
        ps->failed = true;
    }
    return -1;
}

static bool more(const parser *ps) { return ps->pos < ps->n; }
static bool peek(const parser *ps, const char *any)
{
    return more(ps) && ps->p[ps->pos] && strchr(any, ps->p[ps->pos]) != NULL;
}
static bool match(parser *ps, char c)
{
    if (more(ps) && ps->p[ps->pos] == (unsigned char)c) {
        ps->pos++;
        return true;
    }
    return false;
}

/* ---- code point sets ---------------------------------------------------- */

static int cmp_rng(const void *x, const void *y)
{
    const lre_rng *a = x, *b = y;
    return a->lo < b->lo ? -1 : a->lo > b->lo ? 1 : 0;
}

static void rv_norm(rvec *v)
{
    if (v->len < 2)
        return;
    qsort(v->items, v->len, sizeof *v->items, cmp_rng);
    size_t o = 0;
    for (size_t i = 1; i < v->len; i++) {
        lre_rng r = v->items[i];
        if (r.lo <= v->items[o].hi + 1) {
            if (r.hi > v->items[o].hi)
                v->items[o].hi = r.hi;
        } else {
            v->items[++o] = r;
        }
    }
    v->len = o + 1;
}

static void rv_add(rvec *v, uint32_t lo, uint32_t hi)
{
    lre_rng r = {lo, hi};
    TH_VEC_PUSH(v, r);
}

/* Adds the other case of every ASCII letter in v. */
static void rv_fold(rvec *v)
{
    size_t n = v->len;
    for (size_t i = 0; i < n; i++) {
        lre_rng r = v->items[i];
        uint32_t lo = r.lo < 'A' ? 'A' : r.lo, hi = r.hi > 'Z' ? 'Z' : r.hi;
        if (lo <= hi)
            rv_add(v, lo + 32, hi + 32);
        lo = r.lo < 'a' ? 'a' : r.lo, hi = r.hi > 'z' ? 'z' : r.hi;
        if (lo <= hi)
            rv_add(v, lo - 32, hi - 32);
    }
    rv_norm(v);
}

/* v (normalised) becomes every code point not in it. */
static void rv_negate(rvec *v)
{
    rvec out = {0};
    uint32_t next = 0;
    for (size_t i = 0; i < v->len; i++) {
        if (v->items[i].lo > next)
            rv_add(&out, next, v->items[i].lo - 1);
        next = v->items[i].hi + 1;
    }
    if (next <= LRE_CP_MAX)
        rv_add(&out, next, LRE_CP_MAX);
    TH_VEC_FREE(v);
    *v = out;
}

/* ---- nodes ---------------------------------------------------------------- */

static int node(parser *ps, lre_kind k, int a, int min, int max)
{
    lre_node nd = {k, a, min, max, 0, 0};
    TH_VEC_PUSH(&ps->ast->nodes, nd);
    return (int)ps->ast->nodes.len - 1;
}

/* A set node from v (consumed); folded first when the pattern is case-insensitive. */
static int set_node(parser *ps, rvec *v, bool fold)
{
    rv_norm(v);
    if (fold && ps->nocase)
        rv_fold(v);
    int id = node(ps, LK_SET, -1, 0, 0);
    lre_node *nd = &ps->ast->nodes.items[id];
    nd->r0 = ps->ast->rngs.len;
    nd->rn = v->len;
    for (size_t i = 0; i < v->len; i++)
        TH_VEC_PUSH(&ps->ast->rngs, v->items[i]);
    TH_VEC_FREE(v);
    return id;
}

static int range_node(parser *ps, uint32_t lo, uint32_t hi)
{
    rvec v = {0};
    rv_add(&v, lo, hi);
    return set_node(ps, &v, true);
}

static int list_node(parser *ps, lre_kind k, ivec *kids)
{
    if (kids->len == 1) {
        int only = kids->items[0];
        TH_VEC_FREE(kids);
        return only;
    }
    int id = node(ps, k, -1, 0, 0);
    lre_node *nd = &ps->ast->nodes.items[id];
    nd->r0 = ps->ast->kids.len;
    nd->rn = kids->len;
    for (size_t i = 0; i < kids->len; i++)
        TH_VEC_PUSH(&ps->ast->kids, kids->items[i]);
    TH_VEC_FREE(kids);
    return id;
}

static int cat2(parser *ps, int a, int b)
{
    ivec k = {0};
    TH_VEC_PUSH(&k, a);
    TH_VEC_PUSH(&k, b);
    return list_node(ps, LK_CAT, &k);
}

/* ---- lexical pieces ------------------------------------------------------- */

static int next_cp(parser *ps, uint32_t *cp)
{
    if (!more(ps))
        return fail(ps, ps->pos, "unexpected end of pattern");
    size_t len;
    if (th_utf8_decode(ps->p + ps->pos, ps->n - ps->pos, &len, cp) != TH_UTF8_OK)
        return fail(ps, ps->pos, "invalid UTF-8");
    ps->pos += len;
    return 0;
}

static int charexp(parser *ps, uint32_t *cp)
{
    match(ps, '\\');
    return next_cp(ps, cp);
}

/* `\d \D \s \S \w \W` (Java's meanings, over ASCII); 1 when one was read into v. */
static int predefined(parser *ps, rvec *v)
{
    if (ps->pos + 1 >= ps->n || ps->p[ps->pos] != '\\')
        return 0;
    char c = (char)ps->p[ps->pos + 1];
    rvec s = {0};
    switch (c | 0x20) {
    case 'd': rv_add(&s, '0', '9'); break;
    case 's': rv_add(&s, '\t', '\r'); rv_add(&s, ' ', ' '); break; /* \t \n \v \f \r, space */
    case 'w': rv_add(&s, '0', '9'); rv_add(&s, 'A', 'Z'); rv_add(&s, '_', '_'); rv_add(&s, 'a', 'z'); break;
    default: return 0;
    }
    ps->pos += 2;
    rv_norm(&s);
    if (c >= 'A' && c <= 'Z')
        rv_negate(&s);
    for (size_t i = 0; i < s.len; i++)
        TH_VEC_PUSH(v, s.items[i]);
    TH_VEC_FREE(&s);
    return 1;
}

static int enter(parser *ps)
{
    if (++ps->depth > TH_MAX_QUERY_DEPTH)
        return fail(ps, ps->pos, "pattern nests deeper than %d", TH_MAX_QUERY_DEPTH);
    return 0;
}

/* ---- <n-m> ---------------------------------------------------------------- */

static int digit_span(parser *ps, char lo, char hi) { return range_node(ps, (uint32_t)lo, (uint32_t)hi); }

static bool all_of(const char *s, size_t n, char c)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != c)
            return false;
    return true;
}

/* Strings of exactly n digits between lo and hi (n-digit strings, lo <= hi). */
static int fixed_width(parser *ps, const char *lo, const char *hi, size_t n)
{
    if (n == 0)
        return node(ps, LK_EPS, -1, 0, 0);
    if (all_of(lo, n, '0') && all_of(hi, n, '9'))
        return node(ps, LK_REP, digit_span(ps, '0', '9'), (int)n, (int)n);
    if (lo[0] == hi[0])
        return cat2(ps, digit_span(ps, lo[0], lo[0]), fixed_width(ps, lo + 1, hi + 1, n - 1));
    static const char nines[] = "9999999999", zeros[] = "0000000000";
    ivec alt = {0};
    TH_VEC_PUSH(&alt, cat2(ps, digit_span(ps, lo[0], lo[0]), fixed_width(ps, lo + 1, nines, n - 1)));
    if (hi[0] - lo[0] >= 2) {
        int mid = digit_span(ps, (char)(lo[0] + 1), (char)(hi[0] - 1));
        TH_VEC_PUSH(&alt, n > 1 ? cat2(ps, mid, node(ps, LK_REP, digit_span(ps, '0', '9'), (int)n - 1, (int)n - 1)) : mid);
    }
    TH_VEC_PUSH(&alt, cat2(ps, digit_span(ps, hi[0], hi[0]), fixed_width(ps, zeros, hi + 1, n - 1)));
    return list_node(ps, LK_ALT, &alt);
}

/* Lucene's decimal interval: width > 0 means exactly width digits (zero-padded),
 * 0 means any number of leading zeros before the plain decimal. */
static int interval(parser *ps, long min, long max, size_t width)
{
    char lo[16], hi[16];
    if (width > 0) {
        snprintf(lo, sizeof lo, "%0*ld", (int)width, min);
        snprintf(hi, sizeof hi, "%0*ld", (int)width, max);
        return fixed_width(ps, lo, hi, width);
    }
    size_t lmin = (size_t)snprintf(lo, sizeof lo, "%ld", min), lmax = (size_t)snprintf(hi, sizeof hi, "%ld", max);
    ivec alt = {0};
    for (size_t len = lmin; len <= lmax; len++) {
        char a[16], b[16];
        if (len == lmin)
            memcpy(a, lo, len);
        else
            a[0] = '1', memset(a + 1, '0', len - 1);
        if (len == lmax)
            memcpy(b, hi, len);
        else
            memset(b, '9', len);
        TH_VEC_PUSH(&alt, fixed_width(ps, a, b, len));
    }
    int zeros = node(ps, LK_REP, digit_span(ps, '0', '0'), 0, -1);
    return cat2(ps, zeros, list_node(ps, LK_ALT, &alt));
}

static bool parse_int(const unsigned char *s, size_t n, long *out)
{
    if (n == 0 || n > 10)
        return false;
    long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return v <= 2147483647L; /* Java's Integer.parseInt */
}

static int p_interval(parser *ps, size_t open)
{
    size_t start = ps->pos;
    while (more(ps) && ps->p[ps->pos] != '>')
        ps->pos++;
    if (!match(ps, '>'))
        return fail(ps, ps->pos, "expected '>'");
    const unsigned char *s = ps->p + start;
    size_t n = ps->pos - 1 - start;
    const unsigned char *dash = memchr(s, '-', n);
    if (!dash)
        return fail(ps, open, "named automata <%.*s> are not supported", (int)n, (const char *)s);
    size_t i = (size_t)(dash - s);
    long a, b;
    if (i == 0 || !parse_int(s, i, &a) || !parse_int(s + i + 1, n - i - 1, &b))
        return fail(ps, open, "interval syntax error");
    size_t width = i == n - i - 1 ? i : 0;
    if (a > b) {
        long t = a;
        a = b, b = t;
    }
    return interval(ps, a, b, width);
}

/* ---- the grammar ---------------------------------------------------------- */

static int p_union(parser *ps);

static int p_simple(parser *ps)
{
    size_t at = ps->pos;
    if (match(ps, '.'))
        return range_node(ps, 0, LRE_CP_MAX);
    if (match(ps, '#'))
        return node(ps, LK_EMPTY, -1, 0, 0);
    if (match(ps, '@'))
        return node(ps, LK_ANYSTR, -1, 0, 0);
    if (match(ps, '"')) {
        ivec k = {0};
        while (more(ps) && ps->p[ps->pos] != '"') {
            uint32_t cp;
            if (next_cp(ps, &cp) < 0) {
                TH_VEC_FREE(&k);
                return -1;
            }
            TH_VEC_PUSH(&k, range_node(ps, cp, cp));
        }
        if (!match(ps, '"')) {
            TH_VEC_FREE(&k);
            return fail(ps, ps->pos, "expected '\"'");
        }
        if (k.len == 0)
            return node(ps, LK_EPS, -1, 0, 0);
        return list_node(ps, LK_CAT, &k);
    }
    if (match(ps, '(')) {
        if (match(ps, ')'))
            return node(ps, LK_EPS, -1, 0, 0);
        if (enter(ps) < 0)
            return -1;
        int e = p_union(ps);
        ps->depth--;
        if (e < 0)
            return -1;
        if (!match(ps, ')'))
            return fail(ps, ps->pos, "expected ')'");
        return e;
    }
    if (match(ps, '<'))
        return p_interval(ps, at);
    rvec v = {0};
    if (predefined(ps, &v))
        return set_node(ps, &v, false);
    uint32_t cp;
    if (charexp(ps, &cp) < 0)
        return -1;
    return range_node(ps, cp, cp);
}

static int p_class(parser *ps, rvec *v)
{
    if (predefined(ps, v))
        return 0;
    uint32_t a, b;
    if (charexp(ps, &a) < 0)
        return -1;
    if (!match(ps, '-')) {
        rv_add(v, a, a);
        return 0;
    }
    size_t at = ps->pos;
    if (charexp(ps, &b) < 0)
        return -1;
    if (a > b)
        return fail(ps, at, "invalid range: from (U+%04X) cannot be > to (U+%04X)", a, b);
    rv_add(v, a, b);
    return 0;
}

static int p_classexp(parser *ps)
{
    if (!match(ps, '['))
        return p_simple(ps);
    bool neg = match(ps, '^');
    rvec v = {0};
    do {
        if (p_class(ps, &v) < 0) {
            TH_VEC_FREE(&v);
            return -1;
        }
    } while (more(ps) && ps->p[ps->pos] != ']');
    if (!match(ps, ']')) {
        TH_VEC_FREE(&v);
        return fail(ps, ps->pos, "expected ']'");
    }
    rv_norm(&v);
    if (ps->nocase)
        rv_fold(&v);
    if (neg)
        rv_negate(&v);
    return set_node(ps, &v, false);
}

static int p_compl(parser *ps)
{
    int n = 0;
    while (match(ps, '~')) {
        if (enter(ps) < 0)
            return -1;
        n++;
    }
    int e = p_classexp(ps);
    for (; e >= 0 && n > 0; n--, ps->depth--)
        e = node(ps, LK_NOT, e, 0, 0);
    return e;
}

static int p_count(parser *ps, long *v)
{
    size_t start = ps->pos;
    while (peek(ps, "0123456789"))
        ps->pos++;
    if (start == ps->pos)
        return 0;
    if (!parse_int(ps->p + start, ps->pos - start, v))
        return fail(ps, start, "repetition count too large");
    return 1;
}

static int p_repeat(parser *ps)
{
    int e = p_compl(ps);
    int ops = 0;
    while (e >= 0 && peek(ps, "?*+{")) {
        if (++ops > TH_MAX_QUERY_DEPTH)
            return fail(ps, ps->pos, "more than %d repetition operators in a row", TH_MAX_QUERY_DEPTH);
        if (match(ps, '?')) {
            e = node(ps, LK_REP, e, 0, 1);
        } else if (match(ps, '*')) {
            e = node(ps, LK_REP, e, 0, -1);
        } else if (match(ps, '+')) {
            e = node(ps, LK_REP, e, 1, -1);
        } else {
            ps->pos++; /* '{' */
            long n, m;
            int r = p_count(ps, &n);
            if (r < 0)
                return -1;
            if (r == 0)
                return fail(ps, ps->pos, "integer expected");
            if (match(ps, ',')) {
                r = p_count(ps, &m);
                if (r < 0)
                    return -1;
                if (r == 0)
                    m = -1;
            } else {
                m = n;
            }
            if (!match(ps, '}'))
                return fail(ps, ps->pos, "expected '}'");
            e = node(ps, LK_REP, e, (int)n, (int)m);
        }
    }
    return e;
}

static int p_concat(parser *ps)
{
    ivec k = {0};
    do {
        int e = p_repeat(ps);
        if (e < 0) {
            TH_VEC_FREE(&k);
            return -1;
        }
        TH_VEC_PUSH(&k, e);
    } while (more(ps) && !peek(ps, ")|&"));
    return list_node(ps, LK_CAT, &k);
}

static int p_list(parser *ps, char op, lre_kind k, int (*operand)(parser *))
{
    ivec kids = {0};
    do {
        int e = operand(ps);
        if (e < 0) {
            TH_VEC_FREE(&kids);
            return -1;
        }
        TH_VEC_PUSH(&kids, e);
    } while (match(ps, op));
    return list_node(ps, k, &kids);
}

static int p_inter(parser *ps) { return p_list(ps, '&', LK_AND, p_concat); }
static int p_union(parser *ps) { return p_list(ps, '|', LK_ALT, p_inter); }

bool lre_parse(lre_ast *ast, const char *pattern, size_t n, bool nocase, char *err,
               size_t errcap, size_t *errpos)
{
    parser ps = {ast, (const unsigned char *)pattern, n, 0, nocase, 0, err, errcap, 0, false};
    if (n == 0) {
        ast->root = node(&ps, LK_EPS, -1, 0, 0); /* Lucene: "" is the empty string */
        return true;
    }
    ast->root = p_union(&ps);
    if (ast->root >= 0 && more(&ps))
        fail(&ps, ps.pos, "end of pattern expected");
    if (ps.failed && errpos)
        *errpos = ps.errpos;
    return !ps.failed;
}

void lre_ast_free(lre_ast *ast)
{
    TH_VEC_FREE(&ast->nodes);
    TH_VEC_FREE(&ast->rngs);
    TH_VEC_FREE(&ast->kids);
}
