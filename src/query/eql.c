/* EQL front end (SEMANTICS.md 4): single-event queries `<category> where <cond>`
 * lowered to the IR with Elasticsearch's EQL semantics (4.3, 4.4):
 *   ==  term, case-sensitive, no wildcards      !=  not ==
 *   :   case-insensitive term, or wildcard (`*` `?`) when the value has one
 *   in / in~   terms (sensitive / not)          like / like~   Lucene wildcard
 *   regex / regex~   Lucene RegExp, whole value
 *   stringContains(f, "c")  wildcard *c* with c NOT escaped (ES compiles it so)
 *   stringContains(f, g)    script: false when either is missing
 *   startsWith(f, "p")      prefix; endsWith(f, "s")  wildcard *s (escaped)
 * A trailing `~` makes a function case-insensitive. Missing fields make a
 * comparison false and its `not` true (must_not), as the DSL does.
 * Precedence: comparison > not > and > or. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "base/limits.h"
#include "base/vec.h"
#include "query/ir.h"
#include "query/query.h"

typedef enum tok {
    T_EOF, T_IDENT, T_STRING, T_NUMBER, T_LPAREN, T_RPAREN, T_COMMA, T_LBRACK, T_RBRACK,
    T_EQ, T_NE, T_LT, T_LE, T_GT, T_GE, T_COLON, T_TILDE, T_ERROR,
} tok;

typedef struct eparser {
    th_arena *a;
    const char *s;
    size_t n, pos;
    /* current token */
    tok t;
    size_t tpos, tend;
    th_str text; /* identifier, decoded string, number text */
    bool failed;
    int depth;
    const th_qsource *src;
    th_diags *diags;
    th_buf tmp;
} eparser;

static void error_at(eparser *p, size_t pos, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void error_at(eparser *p, size_t pos, const char *fmt, ...)
{
    if (p->failed)
        return;
    p->failed = true;
    if (!p->diags)
        return;
    unsigned line = 1, col = 1;
    for (size_t i = 0; i < pos && i < p->n; i++) {
        if (p->s[i] == '\n') {
            line++;
            col = 1;
        } else if (((unsigned char)p->s[i] & 0xC0) != 0x80) {
            col++;
        }
    }
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    unsigned fl = line, fc = col;
    if (p->src && p->src->line) {
        fl = p->src->line + line - 1;
        fc = line == 1 ? p->src->col + col - 1 : col;
    }
    th_diag_at(p->diags, TH_SEV_ERROR, p->src ? p->src->file : NULL, fl, fc,
               "EQL syntax error at query line %u column %u: %s", line, col, msg);
}

static bool ident_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '@';
}

static void put_utf8(th_buf *b, unsigned cp)
{
    if (cp < 0x80) {
        th_buf_putc(b, (char)cp);
    } else if (cp < 0x800) {
        th_buf_putc(b, (char)(0xC0 | (cp >> 6)));
        th_buf_putc(b, (char)(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        th_buf_putc(b, (char)(0xE0 | (cp >> 12)));
        th_buf_putc(b, (char)(0x80 | ((cp >> 6) & 0x3F)));
        th_buf_putc(b, (char)(0x80 | (cp & 0x3F)));
    } else {
        th_buf_putc(b, (char)(0xF0 | (cp >> 18)));
        th_buf_putc(b, (char)(0x80 | ((cp >> 12) & 0x3F)));
        th_buf_putc(b, (char)(0x80 | ((cp >> 6) & 0x3F)));
        th_buf_putc(b, (char)(0x80 | (cp & 0x3F)));
    }
}

/* "...": \t \b \f \n \r \" \' \\ \u{X..} are escapes, any other \x stays \x.
 * """...""": raw. Single quotes are rejected (as Elasticsearch does). */
static bool lex_string(eparser *p)
{
    size_t i = p->pos;
    th_buf_clear(&p->tmp);
    if (i + 2 < p->n && p->s[i + 1] == '"' && p->s[i + 2] == '"') {
        const char *e = NULL;
        for (size_t k = i + 3; k + 2 < p->n; k++)
            if (p->s[k] == '"' && p->s[k + 1] == '"' && p->s[k + 2] == '"') {
                e = p->s + k;
                break;
            }
        if (!e) {
            error_at(p, i, "unterminated \"\"\" string");
            return false;
        }
        th_buf_put(&p->tmp, p->s + i + 3, (size_t)(e - (p->s + i + 3)));
        p->pos = (size_t)(e - p->s) + 3;
    } else {
        i++;
        for (;;) {
            if (i >= p->n || p->s[i] == '\n') {
                error_at(p, p->pos, "unterminated string");
                return false;
            }
            char c = p->s[i];
            if (c == '"')
                break;
            if (c == '\\' && i + 1 < p->n) {
                char d = p->s[i + 1];
                const char *from = "tbfnr\"'\\", *to = "\t\b\f\n\r\"'\\";
                const char *k = strchr(from, d);
                if (k && d) {
                    th_buf_putc(&p->tmp, to[k - from]);
                    i += 2;
                    continue;
                }
                if (d == 'u' && i + 2 < p->n && p->s[i + 2] == '{') {
                    unsigned cp = 0;
                    size_t j = i + 3, digits = 0;
                    while (j < p->n && p->s[j] != '}' && digits < 8) {
                        char h = p->s[j];
                        int v = h >= '0' && h <= '9' ? h - '0' : h >= 'a' && h <= 'f' ? h - 'a' + 10
                                : h >= 'A' && h <= 'F' ? h - 'A' + 10 : -1;
                        if (v < 0)
                            break;
                        cp = cp * 16 + (unsigned)v;
                        j++;
                        digits++;
                    }
                    if (j < p->n && p->s[j] == '}' && digits > 0 && cp <= 0x10FFFF) {
                        put_utf8(&p->tmp, cp);
                        i = j + 1;
                        continue;
                    }
                    error_at(p, i, "bad \\u{...} escape");
                    return false;
                }
                th_buf_putc(&p->tmp, '\\');
                th_buf_putc(&p->tmp, d);
                i += 2;
                continue;
            }
            th_buf_putc(&p->tmp, c);
            i++;
        }
        p->pos = i + 1;
    }
    p->text = th_str_make(th_arena_strndup(p->a, p->tmp.data ? p->tmp.data : "", p->tmp.len), p->tmp.len);
    return true;
}

static void next(eparser *p)
{
    /* whitespace and comments */
    for (;;) {
        while (p->pos < p->n && strchr(" \t\r\n", p->s[p->pos]))
            p->pos++;
        if (p->pos + 1 < p->n && p->s[p->pos] == '/' && p->s[p->pos + 1] == '*') {
            const char *e = strstr(p->s + p->pos + 2, "*/");
            if (!e || (size_t)(e - p->s) > p->n) {
                error_at(p, p->pos, "unterminated comment");
                p->t = T_ERROR;
                return;
            }
            p->pos = (size_t)(e - p->s) + 2;
            continue;
        }
        if (p->pos + 1 < p->n && p->s[p->pos] == '/' && p->s[p->pos + 1] == '/') {
            while (p->pos < p->n && p->s[p->pos] != '\n')
                p->pos++;
            continue;
        }
        break;
    }
    p->tpos = p->pos;
    if (p->pos >= p->n) {
        p->t = T_EOF;
        return;
    }
    char c = p->s[p->pos], d = p->pos + 1 < p->n ? p->s[p->pos + 1] : 0;
    struct {
        const char *s;
        tok t;
    } ops[] = {{"==", T_EQ}, {"!=", T_NE}, {"<=", T_LE}, {">=", T_GE}, {"<", T_LT}, {">", T_GT},
               {":", T_COLON}, {"(", T_LPAREN}, {")", T_RPAREN}, {",", T_COMMA}, {"[", T_LBRACK},
               {"]", T_RBRACK}, {"~", T_TILDE}};
    for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++) {
        size_t l = strlen(ops[k].s);
        if (c == ops[k].s[0] && (l == 1 || d == ops[k].s[1])) {
            p->t = ops[k].t;
            p->pos += l;
            p->tend = p->pos;
            return;
        }
    }
    if (c == '"') {
        p->t = lex_string(p) ? T_STRING : T_ERROR;
        p->tend = p->pos;
        return;
    }
    if (c == '\'') {
        error_at(p, p->pos, "single-quoted strings are not allowed; use double quotes");
        p->t = T_ERROR;
        return;
    }
    if ((c >= '0' && c <= '9') || (c == '-' && d >= '0' && d <= '9')) {
        size_t b = p->pos++;
        while (p->pos < p->n && ((p->s[p->pos] >= '0' && p->s[p->pos] <= '9') || p->s[p->pos] == '.' ||
                                 p->s[p->pos] == 'e' || p->s[p->pos] == 'E'))
            p->pos++;
        p->t = T_NUMBER;
        p->text = th_str_make(p->s + b, p->pos - b);
        p->tend = p->pos;
        return;
    }
    if (c == '`') {
        const char *e = memchr(p->s + p->pos + 1, '`', p->n - p->pos - 1);
        if (!e) {
            error_at(p, p->pos, "unterminated `field`");
            p->t = T_ERROR;
            return;
        }
        p->text = th_str_make(p->s + p->pos + 1, (size_t)(e - p->s) - p->pos - 1);
        p->pos = (size_t)(e - p->s) + 1;
        p->t = T_IDENT;
        p->tend = p->pos;
        return;
    }
    if (ident_char(c) || c == '?') {
        size_t b = p->pos;
        if (c == '?') /* optional field marker: a missing field is simply null */
            b = ++p->pos;
        while (p->pos < p->n && ident_char(p->s[p->pos]))
            p->pos++;
        p->t = T_IDENT;
        p->text = th_str_make(p->s + b, p->pos - b);
        p->tend = p->pos;
        return;
    }
    error_at(p, p->pos, "unexpected character '%c'", c);
    p->t = T_ERROR;
}

static bool is_kw(const eparser *p, const char *w)
{
    if (p->t != T_IDENT || p->text.n != strlen(w))
        return false;
    for (size_t i = 0; i < p->text.n; i++) {
        char c = p->text.p[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != w[i])
            return false;
    }
    return true;
}

static bool reserved(const eparser *p)
{
    static const char *const kws[] = {"and", "or", "not", "in", "like", "regex", "where", "true", "false", "null"};
    for (size_t i = 0; i < sizeof kws / sizeof kws[0]; i++)
        if (is_kw(p, kws[i]))
            return true;
    return false;
}

typedef struct value {
    th_str s;
    enum { V_STR, V_NUM, V_BOOL, V_NULL } kind;
} value;

static bool parse_value(eparser *p, value *v)
{
    if (p->t == T_STRING) {
        *v = (value){p->text, V_STR};
    } else if (p->t == T_NUMBER) {
        *v = (value){p->text, V_NUM};
    } else if (is_kw(p, "true") || is_kw(p, "false")) {
        *v = (value){is_kw(p, "true") ? TH_STR_LIT("true") : TH_STR_LIT("false"), V_BOOL};
    } else if (is_kw(p, "null")) {
        *v = (value){TH_STR_NULL, V_NULL};
    } else {
        error_at(p, p->tpos, "expected a string, number, true, false or null");
        return false;
    }
    next(p);
    return true;
}

/* value | "(" value ("," value)* ")" */
static size_t parse_values(eparser *p, value *out, size_t max)
{
    if (p->t != T_LPAREN) {
        return parse_value(p, &out[0]) ? 1 : 0;
    }
    next(p);
    size_t n = 0;
    for (;;) {
        if (n == max) {
            error_at(p, p->tpos, "too many values in a list (at most %zu)", max);
            return 0;
        }
        if (!parse_value(p, &out[n++]))
            return 0;
        if (p->t == T_COMMA) {
            next(p);
            continue;
        }
        if (p->t != T_RPAREN) {
            error_at(p, p->tpos, "expected ',' or ')'");
            return 0;
        }
        next(p);
        return n;
    }
}

static th_ir *expr(eparser *p);

static th_ir *mk_or(eparser *p, th_ir **kids, size_t n)
{
    return n == 1 ? kids[0] : th_ir_bool(p->a, TH_IR_OR, kids, n);
}

static bool has_wild(th_str s)
{
    for (size_t i = 0; i < s.n; i++) {
        if (s.p[i] == '\\') {
            i++;
            continue;
        }
        if (s.p[i] == '*' || s.p[i] == '?')
            return true;
    }
    return false;
}

static th_ir *equals(eparser *p, th_str f, const value *v, unsigned flags)
{
    if (v->kind == V_NULL) /* f == null: the field is missing */
        return th_ir_not(p->a, th_ir_leaf(p->a, TH_IR_EXISTS, f, TH_STR_NULL, 0));
    return th_ir_leaf(p->a, TH_IR_TERM, f, v->s, flags);
}

#define MAX_LIST 256 /* values in one list */

/* field <op> value(s) */
static th_ir *comparison(eparser *p, th_str f, size_t fpos)
{
    th_arena *a = p->a;
    value *vs = TH_ANEWN(a, value, MAX_LIST);
    size_t n;
    tok op = p->t;
    bool neg_in = false;
    if (op == T_EQ || op == T_NE || op == T_LT || op == T_LE || op == T_GT || op == T_GE) {
        next(p);
        value v;
        if (!parse_value(p, &v))
            return NULL;
        if (op == T_EQ || op == T_NE) {
            th_ir *eq = equals(p, f, &v, 0);
            return op == T_EQ ? eq : th_ir_not(a, eq);
        }
        if (v.kind == V_NULL || v.kind == V_BOOL) {
            error_at(p, fpos, "cannot compare with < > to %s", v.kind == V_NULL ? "null" : "a boolean");
            return NULL;
        }
        th_ir *r = th_ir_new(a, TH_IR_RANGE);
        r->field = f;
        if (op == T_LT || op == T_LE) {
            r->hi = v.s;
            r->hi_incl = op == T_LE;
        } else {
            r->lo = v.s;
            r->lo_incl = op == T_GE;
        }
        return r;
    }
    if (op == T_COLON) {
        next(p);
        n = parse_values(p, vs, MAX_LIST);
        if (!n)
            return NULL;
        th_ir **kids = TH_ANEWN(a, th_ir *, n);
        for (size_t i = 0; i < n; i++) {
            if (vs[i].kind == V_STR && has_wild(vs[i].s))
                kids[i] = th_ir_leaf(a, TH_IR_WILDCARD, f, vs[i].s, TH_IRF_NOCASE);
            else
                kids[i] = equals(p, f, &vs[i], TH_IRF_NOCASE);
        }
        return mk_or(p, kids, n);
    }
    if (is_kw(p, "not")) {
        next(p);
        if (!is_kw(p, "in")) {
            error_at(p, p->tpos, "expected 'in' after 'not'");
            return NULL;
        }
        neg_in = true;
    }
    if (is_kw(p, "in") || is_kw(p, "like") || is_kw(p, "regex")) {
        bool in = is_kw(p, "in"), like = is_kw(p, "like");
        size_t opos = p->tpos;
        next(p);
        unsigned flags = 0;
        if (p->t == T_TILDE && p->tpos == opos + (in ? 2 : like ? 4 : 5)) {
            flags = TH_IRF_NOCASE;
            next(p);
        }
        if (in && p->t != T_LPAREN) {
            error_at(p, p->tpos, "expected '(' after 'in'");
            return NULL;
        }
        n = parse_values(p, vs, MAX_LIST);
        if (!n)
            return NULL;
        th_ir *r;
        if (in) {
            TH_VEC(th_str) strs = {0};
            TH_VEC(th_ir *) other = {0};
            for (size_t i = 0; i < n; i++) {
                if (vs[i].kind == V_NULL)
                    TH_VEC_PUSH(&other, equals(p, f, &vs[i], flags));
                else
                    TH_VEC_PUSH(&strs, vs[i].s);
            }
            th_ir *terms = NULL;
            if (strs.len) {
                terms = th_ir_leaf(a, TH_IR_TERMS, f, TH_STR_NULL, flags);
                terms->values = TH_ANEWN(a, th_str, strs.len);
                memcpy(terms->values, strs.items, strs.len * sizeof(th_str));
                terms->nvalues = strs.len;
                TH_VEC_PUSH(&other, terms);
            }
            r = mk_or(p, other.items, other.len);
            TH_VEC_FREE(&strs);
            TH_VEC_FREE(&other);
        } else {
            th_ir **kids = TH_ANEWN(a, th_ir *, n);
            for (size_t i = 0; i < n; i++) {
                if (vs[i].kind != V_STR) {
                    error_at(p, opos, "%s takes strings", like ? "like" : "regex");
                    return NULL;
                }
                kids[i] = th_ir_leaf(a, like ? TH_IR_WILDCARD : TH_IR_REGEX, f, vs[i].s, flags);
            }
            r = mk_or(p, kids, n);
        }
        return neg_in ? th_ir_not(a, r) : r;
    }
    error_at(p, p->tpos, "expected a comparison (==, !=, <, <=, >, >=, :, in, like, regex) after field");
    return NULL;
}

/* stringContains / startsWith / endsWith, optionally with ~ */
static th_ir *function(eparser *p, th_str name, size_t npos)
{
    th_arena *a = p->a;
    unsigned flags = 0;
    if (p->t == T_TILDE) {
        flags = TH_IRF_NOCASE;
        next(p);
    }
    if (p->t != T_LPAREN) {
        error_at(p, p->tpos, "expected '(' after %.*s", (int)name.n, name.p);
        return NULL;
    }
    next(p);
    if (p->t != T_IDENT || reserved(p)) {
        error_at(p, p->tpos, "expected a field as the first argument");
        return NULL;
    }
    th_str f = p->text;
    next(p);
    if (p->t != T_COMMA) {
        error_at(p, p->tpos, "expected ','");
        return NULL;
    }
    next(p);
    th_str arg = TH_STR_NULL;
    bool arg_field = false;
    if (p->t == T_STRING) {
        arg = p->text;
    } else if (p->t == T_IDENT && !reserved(p)) {
        arg = p->text;
        arg_field = true;
    } else {
        error_at(p, p->tpos, "expected a string or a field");
        return NULL;
    }
    next(p);
    if (p->t != T_RPAREN) {
        error_at(p, p->tpos, "expected ')' (functions here take two arguments)");
        return NULL;
    }
    next(p);
    bool contains = th_str_eqc(name, "stringContains"), starts = th_str_eqc(name, "startsWith"),
         ends = th_str_eqc(name, "endsWith");
    if (arg_field) {
        if (!contains) {
            error_at(p, npos, "%.*s with a field argument is not supported", (int)name.n, name.p);
            return NULL;
        }
        return th_ir_leaf(a, TH_IR_CONTAINS_FIELD, f, arg, flags);
    }
    if (contains) {
        /* ES compiles it to the wildcard *arg* without escaping arg */
        char *w = th_arena_printf(a, "*%.*s*", (int)arg.n, arg.p);
        return th_ir_leaf(a, TH_IR_WILDCARD, f, th_str_c(w), flags);
    }
    if (starts)
        return th_ir_leaf(a, TH_IR_PREFIX, f, arg, flags);
    if (ends) {
        th_str esc = th_ir_wildcard_escape(a, arg);
        char *w = th_arena_printf(a, "*%.*s", (int)esc.n, esc.p);
        return th_ir_leaf(a, TH_IR_WILDCARD, f, th_str_c(w), flags);
    }
    error_at(p, npos, "function %.*s is not supported", (int)name.n, name.p);
    return NULL;
}

static th_ir *primary(eparser *p)
{
    if (p->t == T_LPAREN) {
        next(p);
        th_ir *e = expr(p);
        if (!e)
            return NULL;
        if (p->t != T_RPAREN) {
            error_at(p, p->tpos, "expected ')'");
            return NULL;
        }
        next(p);
        return e;
    }
    if (p->t == T_IDENT && !reserved(p)) {
        th_str name = p->text;
        size_t npos = p->tpos;
        next(p);
        if (p->t == T_LPAREN || (p->t == T_TILDE && p->tpos == npos + name.n))
            return function(p, name, npos);
        th_ir *r = comparison(p, name, npos);
        if (r)
            r->col = (unsigned)npos + 1;
        return r;
    }
    if (is_kw(p, "true") || is_kw(p, "false")) {
        bool t = is_kw(p, "true");
        next(p);
        return th_ir_new(p->a, t ? TH_IR_TRUE : TH_IR_FALSE);
    }
    error_at(p, p->tpos, "expected a field, a function call, '(' or 'not'");
    return NULL;
}

static th_ir *not_expr(eparser *p)
{
    if (++p->depth > TH_MAX_QUERY_DEPTH) {
        error_at(p, p->tpos, "nesting deeper than %d", TH_MAX_QUERY_DEPTH);
        return NULL;
    }
    th_ir *r;
    if (is_kw(p, "not")) {
        next(p);
        th_ir *k = not_expr(p);
        r = k ? th_ir_not(p->a, k) : NULL;
    } else {
        r = primary(p);
    }
    p->depth--;
    return r;
}

static th_ir *bin(eparser *p, const char *w, th_ir_op op, th_ir *(*sub)(eparser *))
{
    th_ir *head = sub(p);
    if (!head)
        return NULL;
    if (!is_kw(p, w))
        return head;
    TH_VEC(th_ir *) kids = {0};
    TH_VEC_PUSH(&kids, head);
    while (is_kw(p, w)) {
        next(p);
        th_ir *k = sub(p);
        if (!k) {
            TH_VEC_FREE(&kids);
            return NULL;
        }
        TH_VEC_PUSH(&kids, k);
    }
    th_ir *r = th_ir_bool(p->a, op, kids.items, kids.len);
    TH_VEC_FREE(&kids);
    return r;
}

static th_ir *and_expr(eparser *p) { return bin(p, "and", TH_IR_AND, not_expr); }
static th_ir *expr(eparser *p) { return bin(p, "or", TH_IR_OR, and_expr); }

th_ir *th_eql_parse(th_arena *a, const char *text, size_t len, const char *category_field,
                    const th_qsource *src, th_diags *diags)
{
    eparser p = {.a = a, .s = text, .n = len, .src = src, .diags = diags};
    th_buf_init(&p.tmp);
    th_ir *r = NULL;
    next(&p);
    if (is_kw(&p, "sequence") || is_kw(&p, "sample")) {
        error_at(&p, p.tpos, "%.*s queries are evaluated by the engine, not as a single-event filter",
                 (int)p.text.n, p.text.p);
        goto done;
    }
    th_str cat = TH_STR_NULL;
    size_t cpos = p.tpos;
    if (p.t == T_IDENT || p.t == T_STRING) {
        cat = p.text;
        next(&p);
    } else {
        error_at(&p, p.tpos, "expected an event category (e.g. any, iam, process)");
        goto done;
    }
    if (!is_kw(&p, "where")) {
        error_at(&p, p.tpos, "expected 'where'");
        goto done;
    }
    next(&p);
    th_ir *cond = expr(&p);
    if (!cond)
        goto done;
    if (p.t == T_TILDE || p.t != T_EOF) {
        if (p.t != T_ERROR)
            error_at(&p, p.tpos, "expected 'and', 'or' or the end of the query");
        goto done;
    }
    if (th_str_eqc(cat, "any")) {
        r = cond;
    } else {
        th_str cf = th_str_c(category_field && *category_field ? category_field : "event.category");
        th_ir *kids[2] = {th_ir_leaf(a, TH_IR_TERM, cf, cat, 0), cond};
        kids[0]->col = (unsigned)cpos + 1;
        r = th_ir_bool(a, TH_IR_AND, kids, 2);
    }
done:
    if (p.failed)
        r = NULL;
    th_buf_free(&p.tmp);
    return r;
}
