/* ES|QL parser (esql.h): a hand-written recursive descent over the text, with
 * the lexer driven by the parser (KEEP patterns and FROM index names are read
 * as raw words there). Precedence, loosest first: OR, AND, NOT, the
 * predicates (comparison, IN, LIKE, RLIKE, IS NULL), + -, * / %, unary -.
 * Errors stop at the first problem with its line:col in the rule file. */
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/limits.h"
#include "query/cnode.h"
#include "query/esql_int.h"

/* Vectors in the arena: a parse error longjmps out, and nothing is leaked. */
#define AVEC(T) struct { T *items; size_t len, cap; }
#define APUSH(p, v, x)                                                                      \
    do {                                                                                    \
        if ((v)->len == (v)->cap) {                                                         \
            size_t nc_ = (v)->cap ? (v)->cap * 2 : 8;                                       \
            (v)->items = th_arena_realloc((p)->a, (v)->items, (v)->cap * sizeof *(v)->items, \
                                          nc_ * sizeof *(v)->items);                        \
            (v)->cap = nc_;                                                                 \
        }                                                                                   \
        (v)->items[(v)->len++] = (x);                                                       \
    } while (0)

typedef struct ps {
    th_arena *a;
    const char *s;
    size_t n, i;
    const th_qsource *src;
    th_diags *diags;
    jmp_buf fail;
    int depth;
    th_esql *q;
    AVEC(size_t) lines; /* pos_of: where each line starts, built on first use */
    bool high;          /* pos_of: the text has a byte >= 0x80 (known with `lines`) */
    size_t last_at;     /* pos_of: the last position asked, its line (0 none) and column */
    unsigned last_line, last_col;
} ps;

/* Line:col of byte `at`: the line by binary search in the table of line starts
 * (built on first use), the column by counting code points from the line's start,
 * or from the last position asked on the same line when it is not past `at`:
 * nodes ask for every position, and rescanning the text each time was quadratic. */
static void pos_of(ps *p, size_t at, unsigned *line, unsigned *col)
{
    if (at > p->n)
        at = p->n;
    if (p->lines.len == 0) {
        APUSH(p, &p->lines, 0);
        unsigned char any = 0;
        for (size_t k = 0; k < p->n; k++) {
            any |= (unsigned char)p->s[k];
            if (p->s[k] == '\n')
                APUSH(p, &p->lines, k + 1);
        }
        p->high = any & 0x80;
    }
    size_t lo = 0, hi = p->lines.len;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (p->lines.items[mid] <= at)
            lo = mid;
        else
            hi = mid;
    }
    size_t k = p->lines.items[lo];
    unsigned c = 1;
    if (!p->high) { /* ASCII (most queries): a column is a distance in bytes */
        c = (unsigned)(at - k + 1);
        k = at;
    } else if (p->last_line == lo + 1 && p->last_at >= k && p->last_at <= at) {
        k = p->last_at;
        c = p->last_col;
    }
    for (; k < at; k++)
        if (((unsigned char)p->s[k] & 0xC0) != 0x80)
            c++;
    p->last_line = (unsigned)lo + 1;
    p->last_at = at;
    p->last_col = c;
    unsigned l = (unsigned)lo + 1;
    if (p->src && p->src->line) {
        *col = l == 1 ? p->src->col + c - 1 : c;
        *line = p->src->line + l - 1;
    } else {
        *line = l;
        *col = c;
    }
}

static _Noreturn void fail_at(ps *p, size_t at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static _Noreturn void fail_at(ps *p, size_t at, const char *fmt, ...)
{
    unsigned line, col;
    pos_of(p, at, &line, &col);
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    th_diag_at(p->diags, TH_SEV_ERROR, p->src ? p->src->file : NULL, line, col, "ES|QL: %s", msg);
    longjmp(p->fail, 1);
}

/* isspace() in the C locale (no verb sets another), without its table
 * lookup through a call: skip_ws runs before every token tried. */
static bool is_space(char c)
{
    return c == ' ' || (c >= '\t' && c <= '\r');
}

static void skip_ws(ps *p)
{
    for (;;) {
        while (p->i < p->n && is_space(p->s[p->i]))
            p->i++;
        if (p->i + 1 < p->n && p->s[p->i] == '/' && p->s[p->i + 1] == '/') {
            while (p->i < p->n && p->s[p->i] != '\n')
                p->i++;
        } else if (p->i + 1 < p->n && p->s[p->i] == '/' && p->s[p->i + 1] == '*') {
            const char *e = NULL;
            for (size_t k = p->i + 2; k + 1 < p->n; k++)
                if (p->s[k] == '*' && p->s[k + 1] == '/') {
                    e = p->s + k;
                    break;
                }
            if (!e)
                fail_at(p, p->i, "unterminated comment");
            p->i = (size_t)(e - p->s) + 2;
        } else {
            return;
        }
    }
}

static bool at_end(ps *p)
{
    skip_ws(p);
    return p->i >= p->n;
}

static char peekc(ps *p)
{
    skip_ws(p);
    return p->i < p->n ? p->s[p->i] : '\0';
}

static bool idstart(char c) { return isalpha((unsigned char)c) || c == '_' || c == '@'; }
static bool idchar(char c) { return isalnum((unsigned char)c) || c == '_'; }

/* the keyword kw (case-insensitive, whole word) at the cursor; consumes it */
/* w is a keyword in lower-case letters (they all are). */
static bool kw(ps *p, const char *w)
{
    skip_ws(p);
    /* most tries end at the first letter: no strlen, no strncasecmp */
    if (p->i >= p->n || ((unsigned char)p->s[p->i] | 0x20) != (unsigned char)w[0])
        return false;
    size_t n = strlen(w);
    if (p->i + n > p->n || strncasecmp(p->s + p->i, w, n) != 0)
        return false;
    if (p->i + n < p->n && idchar(p->s[p->i + n]))
        return false;
    p->i += n;
    return true;
}

static bool kw_peek(ps *p, const char *w)
{
    size_t save = p->i;
    bool r = kw(p, w);
    p->i = save;
    return r;
}

static bool punct(ps *p, const char *t)
{
    skip_ws(p);
    size_t n = strlen(t);
    if (p->i + n > p->n || memcmp(p->s + p->i, t, n) != 0)
        return false;
    p->i += n;
    return true;
}

static void expect(ps *p, const char *t)
{
    if (!punct(p, t))
        fail_at(p, p->i, "expected '%s'", t);
}

/* identifier: parts joined by '.', each unquoted or `backtick quoted` */
static bool ident(ps *p, th_str *out)
{
    skip_ws(p);
    th_buf b;
    th_buf_init(&b);
    size_t start = p->i;
    bool any = false, plain = true;
    for (;;) {
        if (p->i < p->n && p->s[p->i] == '`') {
            plain = false;
            p->i++;
            for (;;) {
                if (p->i >= p->n) {
                    th_buf_free(&b);
                    fail_at(p, start, "unterminated quoted identifier");
                }
                if (p->s[p->i] == '`') {
                    if (p->i + 1 < p->n && p->s[p->i + 1] == '`') {
                        th_buf_putc(&b, '`');
                        p->i += 2;
                        continue;
                    }
                    p->i++;
                    break;
                }
                th_buf_putc(&b, p->s[p->i++]);
            }
        } else if (p->i < p->n && (idstart(p->s[p->i]) || (any && idchar(p->s[p->i])))) {
            while (p->i < p->n && (idchar(p->s[p->i]) || p->s[p->i] == '@'))
                th_buf_putc(&b, p->s[p->i++]);
        } else {
            break;
        }
        any = true;
        if (p->i + 1 < p->n && p->s[p->i] == '.' &&
            (idchar(p->s[p->i + 1]) || p->s[p->i + 1] == '`')) {
            th_buf_putc(&b, '.');
            p->i++;
            continue;
        }
        break;
    }
    if (!any) {
        th_buf_free(&b);
        return false;
    }
    (void)plain;
    *out = th_str_make(th_arena_strndup(p->a, b.data, b.len), b.len);
    th_buf_free(&b);
    return true;
}

static th_str need_ident(ps *p, const char *what)
{
    th_str s;
    if (!ident(p, &s))
        fail_at(p, p->i, "expected %s", what);
    return s;
}

/* a raw word (index pattern, KEEP pattern): up to whitespace , | */
static th_str raw_word(ps *p, const char *what)
{
    skip_ws(p);
    size_t st = p->i;
    if (p->i < p->n && p->s[p->i] == '`') {
        th_str s;
        ident(p, &s);
        return s;
    }
    while (p->i < p->n && !isspace((unsigned char)p->s[p->i]) && p->s[p->i] != ',' &&
           p->s[p->i] != '|')
        p->i++;
    if (p->i == st)
        fail_at(p, st, "expected %s", what);
    return th_str_make(th_arena_strndup(p->a, p->s + st, p->i - st), p->i - st);
}

static bool string_lit(ps *p, th_str *out)
{
    skip_ws(p);
    if (p->i >= p->n || p->s[p->i] != '"')
        return false;
    size_t st = p->i;
    if (p->i + 2 < p->n && p->s[p->i + 1] == '"' && p->s[p->i + 2] == '"') {
        size_t b = p->i + 3;
        for (size_t k = b; k + 2 < p->n + 0 && k + 2 <= p->n - 1; k++) {
            if (p->s[k] == '"' && p->s[k + 1] == '"' && p->s[k + 2] == '"') {
                size_t e = k;
                while (e + 3 < p->n && p->s[e + 3] == '"') /* """a"""" : quotes end the text */
                    e++;
                *out = th_str_make(th_arena_strndup(p->a, p->s + b, e - b), e - b);
                p->i = e + 3;
                return true;
            }
        }
        fail_at(p, st, "unterminated string");
    }
    th_buf b;
    th_buf_init(&b);
    p->i++;
    for (;;) {
        if (p->i >= p->n || p->s[p->i] == '\n') {
            th_buf_free(&b);
            fail_at(p, st, "unterminated string");
        }
        char c = p->s[p->i++];
        if (c == '"')
            break;
        if (c == '\\' && p->i < p->n) {
            char e = p->s[p->i++];
            switch (e) {
            case 't': th_buf_putc(&b, '\t'); break;
            case 'n': th_buf_putc(&b, '\n'); break;
            case 'r': th_buf_putc(&b, '\r'); break;
            case '"': th_buf_putc(&b, '"'); break;
            case '\\': th_buf_putc(&b, '\\'); break;
            default:
                th_buf_putc(&b, '\\');
                th_buf_putc(&b, e);
                break;
            }
            continue;
        }
        th_buf_putc(&b, c);
    }
    *out = th_str_make(th_arena_strndup(p->a, b.data ? b.data : "", b.len), b.len);
    th_buf_free(&b);
    return true;
}

static th_str need_string(ps *p, const char *what)
{
    th_str s;
    if (!string_lit(p, &s))
        fail_at(p, p->i, "expected %s (a quoted string)", what);
    return s;
}

static xnode *node(ps *p, uint8_t kind, size_t at)
{
    xnode *x = TH_ANEW(p->a, xnode);
    x->kind = kind;
    pos_of(p, at, &x->line, &x->col);
    return x;
}

static xnode *node2(ps *p, uint8_t kind, size_t at, xnode *l, xnode *r)
{
    xnode *x = node(p, kind, at);
    x->kids = TH_ANEWN(p->a, xnode *, 2);
    x->kids[0] = l;
    x->kids[1] = r;
    x->nkids = 2;
    return x;
}

/* time units: milliseconds per unit, 0 calendar (months, years), -1 none */
static int64_t unit_ms(th_str u)
{
    static const struct {
        const char *n;
        int64_t ms;
    } units[] = {
        {"millisecond", 1}, {"milliseconds", 1}, {"ms", 1},
        {"second", 1000}, {"seconds", 1000}, {"sec", 1000}, {"s", 1000},
        {"minute", 60000}, {"minutes", 60000}, {"min", 60000},
        {"hour", 3600000}, {"hours", 3600000}, {"h", 3600000},
        {"day", 86400000}, {"days", 86400000}, {"d", 86400000},
        {"week", 604800000}, {"weeks", 604800000}, {"w", 604800000},
        {"month", 0}, {"months", 0}, {"mo", 0}, {"quarter", 0}, {"quarters", 0}, {"q", 0},
        {"year", 0}, {"years", 0}, {"yr", 0}, {"y", 0},
    };
    for (size_t k = 0; k < sizeof units / sizeof units[0]; k++)
        if (u.n == strlen(units[k].n) && strncasecmp(u.p, units[k].n, u.n) == 0)
            return units[k].ms;
    return -1;
}

static xnode *bool_expr(ps *p);

static xnode *number(ps *p)
{
    size_t st = p->i;
    size_t k = p->i;
    bool dbl = false;
    while (k < p->n && isdigit((unsigned char)p->s[k]))
        k++;
    if (k < p->n && p->s[k] == '.' && k + 1 < p->n && isdigit((unsigned char)p->s[k + 1])) {
        dbl = true;
        k++;
        while (k < p->n && isdigit((unsigned char)p->s[k]))
            k++;
    }
    if (k < p->n && (p->s[k] == 'e' || p->s[k] == 'E') && k + 1 < p->n &&
        (isdigit((unsigned char)p->s[k + 1]) || p->s[k + 1] == '-' || p->s[k + 1] == '+')) {
        dbl = true;
        k += 2;
        while (k < p->n && isdigit((unsigned char)p->s[k]))
            k++;
    }
    char buf[64];
    size_t len = k - st < sizeof buf - 1 ? k - st : sizeof buf - 1;
    memcpy(buf, p->s + st, len);
    buf[len] = '\0';
    p->i = k;
    xnode *x = node(p, X_LIT, st);
    if (dbl) {
        x->lit = (ev){EV_DOUBLE, 1, {.one = {.d = strtod(buf, NULL)}}};
        return x;
    }
    x->lit = ev_long(strtoll(buf, NULL, 10));
    /* a time span: an integer and a unit */
    size_t save = p->i;
    th_str u;
    skip_ws(p);
    size_t ustart = p->i;
    if (ident(p, &u)) {
        int64_t ms = unit_ms(u);
        if (ms > 0) {
            int64_t span;
            if (__builtin_mul_overflow(x->lit.one.i, ms, &span))
                fail_at(p, st, "time span out of range (more than 2^63 ms)");
            x->lit = (ev){EV_SPAN, 1, {.one = {.i = span}}};
            return x;
        }
        if (ms == 0)
            fail_at(p, ustart, "calendar time spans (months, quarters, years) are not supported");
    }
    p->i = save;
    return x;
}

static xnode *call(ps *p, th_str name, size_t st)
{
    int mn, mx;
    int fn = th_esql_fn_lookup(name, &mn, &mx);
    if (fn < 0) {
        char nm[64];
        snprintf(nm, sizeof nm, "%.*s", (int)(name.n < 60 ? name.n : 60), name.p);
        fail_at(p, st, "unknown or unsupported function %s", nm);
    }
    xnode *x = node(p, X_CALL, st);
    x->fn = fn;
    x->name = name;
    AVEC(xnode *) args = {0};
    if (!punct(p, ")")) {
        if (fn == F_COUNT && punct(p, "*")) {
            expect(p, ")");
        } else {
            for (;;) {
                APUSH(p, &args, bool_expr(p));
                if (punct(p, ")"))
                    break;
                expect(p, ",");
            }
        }
    }
    x->nkids = args.len;
    x->kids = TH_ANEWN(p->a, xnode *, args.len ? args.len : 1);
    if (args.len)
        memcpy(x->kids, args.items, args.len * sizeof(xnode *));
    if ((int)x->nkids < mn || (mx >= 0 && (int)x->nkids > mx)) {
        char nm[64];
        snprintf(nm, sizeof nm, "%.*s", (int)(name.n < 60 ? name.n : 60), name.p);
        fail_at(p, st, "wrong number of arguments to %s", nm);
    }
    if (fn == F_KQL) {
        if (x->kids[0]->kind != X_LIT || x->kids[0]->lit.t != EV_KW)
            fail_at(p, st, "KQL() takes a string literal");
        th_diags d;
        th_diags_init(&d);
        th_str t = x->kids[0]->lit.one.s;
        x->aux = th_query_compile(p->a, TH_QLANG_KQL, t.p, t.n, NULL, &d);
        bool bad = x->aux == NULL;
        th_diags_free(&d);
        if (bad)
            fail_at(p, st, "the KQL() query does not parse");
    }
    return x;
}

static xnode *primary(ps *p)
{
    if (++p->depth > TH_MAX_QUERY_DEPTH)
        fail_at(p, p->i, "expression nested too deeply");
    skip_ws(p);
    size_t st = p->i;
    xnode *x;
    char c = peekc(p);
    th_str s;
    if (c == '(') {
        p->i++;
        x = bool_expr(p);
        expect(p, ")");
    } else if (c == '"') {
        string_lit(p, &s);
        x = node(p, X_LIT, st);
        x->lit = ev_kw(s);
    } else if (isdigit((unsigned char)c)) {
        x = number(p);
    } else if (c == '?') {
        fail_at(p, st, "query parameters are not supported");
    } else if (kw(p, "null")) {
        x = node(p, X_LIT, st);
        x->lit = ev_null();
    } else if (kw(p, "true") || kw(p, "false")) {
        x = node(p, X_LIT, st);
        x->lit = ev_bool(p->s[st] == 't' || p->s[st] == 'T');
    } else if (ident(p, &s)) {
        if (peekc(p) == '(') {
            p->i++;
            x = call(p, s, st);
        } else {
            x = node(p, X_COL, st);
            x->name = s;
        }
    } else {
        fail_at(p, st, "expected an expression");
    }
    p->depth--;
    return x;
}

static xnode *unary(ps *p)
{
    skip_ws(p);
    size_t st = p->i;
    if (punct(p, "-")) {
        xnode *k = unary(p);
        if (k->kind == X_LIT && (k->lit.t == EV_LONG || k->lit.t == EV_SPAN)) {
            k->lit.one.i = -k->lit.one.i;
            return k;
        }
        if (k->kind == X_LIT && k->lit.t == EV_DOUBLE) {
            k->lit.one.d = -k->lit.one.d;
            return k;
        }
        xnode *x = node(p, X_NEG, st);
        x->kids = TH_ANEWN(p->a, xnode *, 1);
        x->kids[0] = k;
        x->nkids = 1;
        return x;
    }
    if (punct(p, "+"))
        return unary(p);
    xnode *x = primary(p);
    if (punct(p, "::"))
        fail_at(p, p->i - 2, "the :: cast is not supported");
    return x;
}

static xnode *mul(ps *p)
{
    xnode *l = unary(p);
    for (;;) {
        skip_ws(p);
        size_t st = p->i;
        char c = peekc(p);
        if ((c == '*' || c == '%') || (c == '/' && !(p->i + 1 < p->n && (p->s[p->i + 1] == '/' ||
                                                                        p->s[p->i + 1] == '*')))) {
            p->i++;
            xnode *x = node2(p, X_ARITH, st, l, unary(p));
            x->op = (uint8_t)c;
            l = x;
        } else {
            return l;
        }
    }
}

static xnode *add(ps *p)
{
    xnode *l = mul(p);
    for (;;) {
        skip_ws(p);
        size_t st = p->i;
        char c = peekc(p);
        if (c == '+' || c == '-') {
            p->i++;
            xnode *x = node2(p, X_ARITH, st, l, mul(p));
            x->op = (uint8_t)c;
            l = x;
        } else {
            return l;
        }
    }
}

static void compile_pattern(ps *p, xnode *x, size_t at)
{
    xnode *r = x->kids[1];
    if (r->kind != X_LIT || r->lit.t != EV_KW)
        fail_at(p, at, "LIKE and RLIKE take a string pattern");
    if (x->kind == X_LIKE) {
        wpat *w = TH_ANEW(p->a, wpat);
        th_q_wild_prepare(p->a, r->lit.one.s, false, false, w);
        x->aux = w;
    } else {
        /* Lucene's RegExp syntax, as for EQL regex: the same automaton */
        char err[128];
        size_t pos = 0;
        x->aux = th_lregex_compile(p->a, r->lit.one.s.p, r->lit.one.s.n, 0, err, sizeof err, &pos);
        if (!x->aux)
            fail_at(p, at, "RLIKE pattern: %s at offset %zu", err, pos);
    }
}

static int cmp_len_bytes(const void *x, const void *y)
{
    const th_str *a = x, *b = y;
    if (a->n != b->n)
        return a->n < b->n ? -1 : 1;
    return a->n ? memcmp(a->p, b->p, a->n) : 0;
}

/* An IN list of string literals only (`event.action IN ("GetObject", ...)`,
 * 30 of them in some rules) as a set sorted by length then bytes, so that a
 * keyword is looked up instead of compared with every item (esql_expr.c);
 * NULL otherwise. */
static esql_inset *in_set(th_arena *a, const xnode *x)
{
    for (size_t k = 1; k < x->nkids; k++)
        if (x->kids[k]->kind != X_LIT || x->kids[k]->lit.t != EV_KW || x->kids[k]->lit.n != 1)
            return NULL;
    esql_inset *set = TH_ANEW(a, esql_inset);
    set->n = x->nkids - 1;
    set->v = TH_ANEWN(a, th_str, set->n ? set->n : 1);
    for (size_t k = 1; k < x->nkids; k++)
        set->v[k - 1] = x->kids[k]->lit.one.s;
    qsort(set->v, set->n, sizeof(th_str), cmp_len_bytes);
    return set;
}

/* valueExpression: an operand, or two compared */
static xnode *value_expr(ps *p, bool *compared)
{
    xnode *l = add(p);
    skip_ws(p);
    size_t st = p->i;
    static const struct {
        const char *t;
        int op;
    } cmps[] = {{"==", CMP_EQ}, {"!=", CMP_NE}, {"<=", CMP_LE}, {">=", CMP_GE},
                {"<", CMP_LT},  {">", CMP_GT}};
    *compared = true;
    for (size_t k = 0; k < 6; k++) {
        if (punct(p, cmps[k].t)) {
            xnode *x = node2(p, X_CMP, st, l, add(p));
            x->op = (uint8_t)cmps[k].op;
            return x;
        }
    }
    *compared = false;
    return l;
}

static xnode *predicate(ps *p)
{
    bool compared;
    xnode *l = value_expr(p, &compared);
    if (compared)
        return l;
    skip_ws(p);
    size_t st = p->i;
    if (p->i < p->n && p->s[p->i] == '=' && !(p->i + 1 < p->n && p->s[p->i + 1] == '='))
        fail_at(p, st, "'=' is not a comparison (use '==')");
    bool neg = false;
    size_t save = p->i;
    if (kw(p, "not")) {
        if (!kw_peek(p, "in") && !kw_peek(p, "like") && !kw_peek(p, "rlike")) {
            p->i = save;
            return l;
        }
        neg = true;
    }
    if (kw(p, "in")) {
        expect(p, "(");
        AVEC(xnode *) items = {0};
        APUSH(p, &items, l);
        for (;;) {
            bool cmp;
            APUSH(p, &items, value_expr(p, &cmp));
            if (punct(p, ")"))
                break;
            expect(p, ",");
        }
        xnode *x = node(p, X_IN, st);
        x->neg = neg;
        x->nkids = items.len;
        x->kids = TH_ANEWN(p->a, xnode *, items.len);
        memcpy(x->kids, items.items, items.len * sizeof(xnode *));
        x->aux = in_set(p->a, x);
        return x;
    }
    bool like = kw(p, "like");
    if (like || kw(p, "rlike")) {
        xnode *x = node2(p, like ? X_LIKE : X_RLIKE, st, l, add(p));
        x->neg = neg;
        compile_pattern(p, x, st);
        return x;
    }
    if (kw(p, "is")) {
        bool n2 = kw(p, "not");
        if (!kw(p, "null"))
            fail_at(p, p->i, "expected NULL");
        xnode *x = node(p, X_ISNULL, st);
        x->neg = n2;
        x->kids = TH_ANEWN(p->a, xnode *, 1);
        x->kids[0] = l;
        x->nkids = 1;
        return x;
    }
    if (kw_peek(p, "match") || punct(p, ":"))
        fail_at(p, st, "full-text MATCH is not supported");
    return l;
}

static xnode *not_expr(ps *p)
{
    skip_ws(p);
    size_t st = p->i;
    if (kw(p, "not")) {
        xnode *x = node(p, X_NOT, st);
        x->kids = TH_ANEWN(p->a, xnode *, 1);
        x->kids[0] = not_expr(p);
        x->nkids = 1;
        return x;
    }
    return predicate(p);
}

static xnode *and_expr(ps *p)
{
    xnode *l = not_expr(p);
    for (;;) {
        skip_ws(p);
        size_t st = p->i;
        if (!kw(p, "and"))
            return l;
        l = node2(p, X_AND, st, l, not_expr(p));
    }
}

static xnode *bool_expr(ps *p)
{
    if (++p->depth > TH_MAX_QUERY_DEPTH)
        fail_at(p, p->i, "expression nested too deeply");
    xnode *l = and_expr(p);
    for (;;) {
        skip_ws(p);
        size_t st = p->i;
        if (!kw(p, "or"))
            break;
        l = node2(p, X_OR, st, l, and_expr(p));
    }
    p->depth--;
    return l;
}

/* the text of an expression as ES names an unnamed column: as written, with
 * whitespace runs kept */
static th_str text_of(ps *p, size_t st, size_t en)
{
    while (en > st && isspace((unsigned char)p->s[en - 1]))
        en--;
    return th_str_make(th_arena_strndup(p->a, p->s + st, en - st), en - st);
}

static bool is_agg(const xnode *x) { return x->kind == X_CALL && x->fn < F_NAGG; }

static bool has_agg(const xnode *x)
{
    if (is_agg(x))
        return true;
    for (size_t k = 0; k < x->nkids; k++)
        if (has_agg(x->kids[k]))
            return true;
    return false;
}

/* `[name =] expr [WHERE cond]` lists (EVAL, STATS aggregates and BY) */
static void assigns(ps *p, assign **out, size_t *n, bool stats_agg, bool by)
{
    AVEC(assign) v = {0};
    for (;;) {
        skip_ws(p);
        size_t st = p->i;
        assign as = {0};
        th_str name;
        if (ident(p, &name) && punct(p, "=") && !(p->i < p->n && p->s[p->i] == '=')) {
            as.name = name;
        } else {
            p->i = st;
        }
        skip_ws(p);
        size_t xs = p->i;
        as.x = bool_expr(p);
        if (!as.name.n)
            as.name = as.x->kind == X_COL ? as.x->name : text_of(p, xs, p->i);
        if (stats_agg) {
            if (!has_agg(as.x))
                fail_at(p, xs, "a STATS expression must use an aggregate function");
            if (!is_agg(as.x))
                fail_at(p, xs, "expressions over aggregates are not supported; use EVAL after STATS");
            for (size_t k = 0; k < as.x->nkids; k++)
                if (has_agg(as.x->kids[k]))
                    fail_at(p, xs, "nested aggregate functions");
            if (kw(p, "where"))
                as.filter = bool_expr(p);
        } else if (has_agg(as.x)) {
            fail_at(p, xs, "aggregate functions are only allowed in STATS");
        }
        if (by && as.x->kind == X_COL && as.name.n == as.x->name.n)
            as.x = as.x; /* a plain column */
        APUSH(p, &v, as);
        if (!punct(p, ","))
            break;
        skip_ws(p);
        if (kw_peek(p, "by") || p->i >= p->n || p->s[p->i] == '|')
            break; /* a trailing comma (as in one AWS rule) */
    }
    *n = v.len;
    *out = TH_ANEWN(p->a, assign, v.len ? v.len : 1);
    if (v.len)
        memcpy(*out, v.items, v.len * sizeof(assign));
}

static void name_list(ps *p, cmd *c, bool patterns)
{
    AVEC(th_str) v = {0};
    do {
        APUSH(p, &v, patterns ? raw_word(p, "a column name or pattern")
                                 : need_ident(p, "a column name"));
    } while (punct(p, ","));
    c->nnames = v.len;
    c->names = TH_ANEWN(p->a, th_str, v.len);
    memcpy(c->names, v.items, v.len * sizeof(th_str));
}

static void from_cmd(ps *p, cmd *c)
{
    AVEC(th_str) v = {0}; /* in the arena: raw_word longjmps out on an error */
    size_t len = 0;
    do {
        th_str w = raw_word(p, "an index pattern");
        APUSH(p, &v, w);
        len += w.n + 1;
    } while (punct(p, ","));
    char *ix = th_arena_alloc(p->a, len), *w = ix;
    for (size_t i = 0; i < v.len; i++) {
        if (i)
            *w++ = ',';
        memcpy(w, v.items[i].p, v.items[i].n);
        w += v.items[i].n;
    }
    *w = 0;
    p->q->index = ix;
    if (kw(p, "metadata")) {
        do {
            skip_ws(p);
            size_t st = p->i;
            th_str m = need_ident(p, "a metadata field");
            if (th_str_eqc(m, "_id"))
                p->q->meta_id = true;
            else if (th_str_eqc(m, "_version"))
                p->q->meta_version = true;
            else if (th_str_eqc(m, "_index"))
                p->q->meta_index = true;
            else
                fail_at(p, st, "unsupported metadata field");
        } while (punct(p, ","));
    }
    (void)c;
}

static void sort_cmd(ps *p, cmd *c)
{
    AVEC(sortkey) v = {0};
    do {
        sortkey k = {0};
        k.name = need_ident(p, "a column name");
        if (kw(p, "desc"))
            k.desc = true;
        else
            kw(p, "asc");
        k.nulls_first = k.desc;
        if (kw(p, "nulls")) {
            if (kw(p, "first"))
                k.nulls_first = true;
            else if (kw(p, "last"))
                k.nulls_first = false;
            else
                fail_at(p, p->i, "expected FIRST or LAST");
        }
        APUSH(p, &v, k);
    } while (punct(p, ","));
    c->nkeys = v.len;
    c->keys = TH_ANEWN(p->a, sortkey, v.len);
    memcpy(c->keys, v.items, v.len * sizeof(sortkey));
}

static void command(ps *p, cmd *c)
{
    skip_ws(p);
    size_t st = p->i;
    pos_of(p, st, &c->line, &c->col);
    char err[160];
    if (kw(p, "where")) {
        c->kind = C_WHERE;
        c->cond = bool_expr(p);
    } else if (kw(p, "eval")) {
        c->kind = C_EVAL;
        assigns(p, &c->as, &c->nas, false, false);
    } else if (kw(p, "stats")) {
        c->kind = C_STATS;
        p->q->aggregating = true;
        if (!kw_peek(p, "by") && peekc(p) != '|' && !at_end(p))
            assigns(p, &c->as, &c->nas, true, false);
        if (kw(p, "by"))
            assigns(p, &c->by, &c->nby, false, true);
        if (c->nas == 0 && c->nby == 0)
            fail_at(p, st, "STATS needs an aggregate or BY");
    } else if (kw(p, "keep")) {
        c->kind = C_KEEP;
        name_list(p, c, true);
        th_esql_keep_compile(p->a, c);
    } else if (kw(p, "drop")) {
        c->kind = C_DROP;
        name_list(p, c, true);
    } else if (kw(p, "rename")) {
        c->kind = C_RENAME;
        AVEC(th_str) v = {0};
        do {
            th_str a1 = need_ident(p, "a column name");
            if (punct(p, "=")) { /* new = old */
                th_str old = need_ident(p, "a column name");
                APUSH(p, &v, old);
                APUSH(p, &v, a1);
            } else {
                if (!kw(p, "as"))
                    fail_at(p, p->i, "expected AS");
                APUSH(p, &v, a1);
                APUSH(p, &v, need_ident(p, "a column name"));
            }
        } while (punct(p, ","));
        c->nnames = v.len;
        c->names = TH_ANEWN(p->a, th_str, v.len);
        memcpy(c->names, v.items, v.len * sizeof(th_str));
    } else if (kw(p, "sort")) {
        c->kind = C_SORT;
        sort_cmd(p, c);
    } else if (kw(p, "limit")) {
        c->kind = C_LIMIT;
        skip_ws(p);
        if (!isdigit((unsigned char)peekc(p)))
            fail_at(p, p->i, "expected a number");
        xnode *x = number(p);
        if (x->lit.t != EV_LONG)
            fail_at(p, st, "LIMIT takes an integer");
        c->limit = x->lit.one.i;
        p->q->has_limit = true;
    } else if (kw(p, "dissect")) {
        c->kind = C_DISSECT;
        c->field = need_ident(p, "a column name");
        skip_ws(p);
        size_t ps0 = p->i;
        th_str pat = need_string(p, "a dissect pattern");
        if (kw(p, "append_separator")) {
            expect(p, "=");
            c->append_sep = need_string(p, "a separator");
        }
        if (!th_esql_dissect_compile(p->a, pat, c, err, sizeof err))
            fail_at(p, ps0, "DISSECT pattern: %s", err);
    } else if (kw(p, "grok")) {
        c->kind = C_GROK;
        c->field = need_ident(p, "a column name");
        skip_ws(p);
        size_t ps0 = p->i;
        th_str pat = need_string(p, "a grok pattern");
        if (!th_esql_grok_compile(p->a, pat, c, err, sizeof err))
            fail_at(p, ps0, "GROK pattern: %s", err);
    } else if (kw(p, "mv_expand")) {
        c->kind = C_MV_EXPAND;
        c->nnames = 1;
        c->names = TH_ANEWN(p->a, th_str, 1);
        c->names[0] = need_ident(p, "a column name");
    } else {
        th_str w;
        if (ident(p, &w)) {
            char nm[64];
            snprintf(nm, sizeof nm, "%.*s", (int)(w.n < 60 ? w.n : 60), w.p);
            fail_at(p, st, "unknown or unsupported command %s", nm);
        }
        fail_at(p, st, "expected a command");
    }
}

th_esql *th_esql_parse(th_arena *a, const char *text, size_t len, const th_qsource *src,
                       th_diags *diags)
{
    ps p = {.a = a, .s = text, .n = len, .src = src, .diags = diags};
    th_esql *q = TH_ANEW(a, th_esql);
    p.q = q;
    q->file = src ? src->file : NULL;
    AVEC(cmd) cmds = {0};
    if (setjmp(p.fail)) {
        return NULL;
    }
    skip_ws(&p);
    cmd from = {0};
    pos_of(&p, p.i, &from.line, &from.col);
    if (!kw(&p, "from")) {
        if (kw_peek(&p, "row") || kw_peek(&p, "show"))
            fail_at(&p, p.i, "only FROM queries are supported");
        fail_at(&p, p.i, "expected FROM");
    }
    from.kind = C_FROM;
    from_cmd(&p, &from);
    APUSH((&p), &cmds, from);
    while (!at_end(&p)) {
        if (!punct(&p, "|"))
            fail_at(&p, p.i, "expected '|' or the end of the query");
        cmd c = {0};
        command(&p, &c);
        APUSH((&p), &cmds, c);
    }
    q->ncmds = cmds.len;
    q->cmds = TH_ANEWN(a, cmd, cmds.len);
    memcpy(q->cmds, cmds.items, cmds.len * sizeof(cmd));
    return q;
}

bool th_esql_aggregating(const th_esql *q) { return q->aggregating; }
bool th_esql_metadata_id(const th_esql *q) { return q->meta_id; }
const char *th_esql_index(const th_esql *q) { return q->index; }
bool th_esql_has_limit(const th_esql *q) { return q->has_limit; }
size_t th_esql_ncmds(const th_esql *q) { return q->ncmds; }

unsigned th_esql_cmd_line(const th_esql *q, size_t i) { return i < q->ncmds ? q->cmds[i].line : 0; }

const char *th_esql_cmd_name(const th_esql *q, size_t i)
{
    static const char *const names[] = {"FROM", "WHERE", "EVAL",     "STATS",   "KEEP", "DROP",
                                        "RENAME", "SORT", "LIMIT", "DISSECT", "GROK", "MV_EXPAND"};
    return i < q->ncmds ? names[q->cmds[i].kind] : "?";
}

int th_esql_fn_lookup(th_str name, int *mn, int *mx)
{
    static const struct {
        const char *n;
        int id, mn, mx;
    } fns[] = {
        {"count", F_COUNT, 0, 1},          {"count_distinct", F_COUNT_DISTINCT, 1, 2},
        {"values", F_VALUES, 1, 1},        {"min", F_MIN, 1, 1},
        {"max", F_MAX, 1, 1},              {"sum", F_SUM, 1, 1},
        {"avg", F_AVG, 1, 1},              {"case", F_CASE, 2, -1},
        {"coalesce", F_COALESCE, 1, -1},   {"concat", F_CONCAT, 2, -1},
        {"date_trunc", F_DATE_TRUNC, 2, 2}, {"date_format", F_DATE_FORMAT, 1, 2},
        {"date_diff", F_DATE_DIFF, 3, 3},  {"now", F_NOW, 0, 0},
        {"to_lower", F_TO_LOWER, 1, 1},    {"to_upper", F_TO_UPPER, 1, 1},
        {"to_integer", F_TO_INTEGER, 1, 1}, {"to_int", F_TO_INTEGER, 1, 1},
        {"to_long", F_TO_LONG, 1, 1},      {"to_double", F_TO_DOUBLE, 1, 1},
        {"to_dbl", F_TO_DOUBLE, 1, 1},     {"to_string", F_TO_STRING, 1, 1},
        {"to_str", F_TO_STRING, 1, 1},     {"to_boolean", F_TO_BOOLEAN, 1, 1},
        {"to_bool", F_TO_BOOLEAN, 1, 1},   {"starts_with", F_STARTS_WITH, 2, 2},
        {"ends_with", F_ENDS_WITH, 2, 2},  {"mv_count", F_MV_COUNT, 1, 1},
        {"mv_first", F_MV_FIRST, 1, 1},    {"mv_last", F_MV_LAST, 1, 1},
        {"cidr_match", F_CIDR_MATCH, 2, -1}, {"from_base64", F_FROM_BASE64, 1, 1},
        {"kql", F_KQL, 1, 1},              {"length", F_LENGTH, 1, 1},
        {"abs", F_ABS, 1, 1},
    };
    for (size_t k = 0; k < sizeof fns / sizeof fns[0]; k++)
        if (name.n == strlen(fns[k].n) && strncasecmp(name.p, fns[k].n, name.n) == 0) {
            *mn = fns[k].mn;
            *mx = fns[k].mx;
            return fns[k].id;
        }
    return -1;
}
