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
#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "base/limits.h"
#include "base/vec.h"
#include "query/ir.h"
#include "query/query.h"

#include "query/eql_int.h"

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
    } else if (th_eql_is_kw(p, "true") || th_eql_is_kw(p, "false")) {
        *v = (value){th_eql_is_kw(p, "true") ? TH_STR_LIT("true") : TH_STR_LIT("false"), V_BOOL};
    } else if (th_eql_is_kw(p, "null")) {
        *v = (value){TH_STR_NULL, V_NULL};
    } else {
        th_eql_error_at(p, p->tpos, "expected a string, number, true, false or null");
        return false;
    }
    th_eql_next(p);
    return true;
}

/* value | "(" value ("," value)* ")" */
static size_t parse_values(eparser *p, value *out, size_t max)
{
    if (p->t != T_LPAREN) {
        return parse_value(p, &out[0]) ? 1 : 0;
    }
    th_eql_next(p);
    size_t n = 0;
    for (;;) {
        if (n == max) {
            th_eql_error_at(p, p->tpos, "too many values in a list (at most %zu)", max);
            return 0;
        }
        if (!parse_value(p, &out[n++]))
            return 0;
        if (p->t == T_COMMA) {
            th_eql_next(p);
            continue;
        }
        if (p->t != T_RPAREN) {
            th_eql_error_at(p, p->tpos, "expected ',' or ')'");
            return 0;
        }
        th_eql_next(p);
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
        th_eql_next(p);
        value v;
        if (!parse_value(p, &v))
            return NULL;
        if (op == T_EQ || op == T_NE) {
            th_ir *eq = equals(p, f, &v, 0);
            return op == T_EQ ? eq : th_ir_not(a, eq);
        }
        if (v.kind == V_NULL || v.kind == V_BOOL) {
            th_eql_error_at(p, fpos, "cannot compare with < > to %s", v.kind == V_NULL ? "null" : "a boolean");
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
        th_eql_next(p);
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
    if (th_eql_is_kw(p, "not")) {
        th_eql_next(p);
        if (!th_eql_is_kw(p, "in")) {
            th_eql_error_at(p, p->tpos, "expected 'in' after 'not'");
            return NULL;
        }
        neg_in = true;
    }
    if (th_eql_is_kw(p, "in") || th_eql_is_kw(p, "like") || th_eql_is_kw(p, "regex")) {
        bool in = th_eql_is_kw(p, "in"), like = th_eql_is_kw(p, "like");
        size_t opos = p->tpos;
        th_eql_next(p);
        unsigned flags = 0;
        if (p->t == T_TILDE && p->tpos == opos + (in ? 2 : like ? 4 : 5)) {
            flags = TH_IRF_NOCASE;
            th_eql_next(p);
        }
        if (in && p->t != T_LPAREN) {
            th_eql_error_at(p, p->tpos, "expected '(' after 'in'");
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
                    th_eql_error_at(p, opos, "%s takes strings", like ? "like" : "regex");
                    return NULL;
                }
                kids[i] = th_ir_leaf(a, like ? TH_IR_WILDCARD : TH_IR_REGEX, f, vs[i].s, flags);
            }
            r = mk_or(p, kids, n);
        }
        return neg_in ? th_ir_not(a, r) : r;
    }
    th_eql_error_at(p, p->tpos, "expected a comparison (==, !=, <, <=, >, >=, :, in, like, regex) after field");
    return NULL;
}

/* stringContains / startsWith / endsWith, optionally with ~ */
static th_ir *function(eparser *p, th_str name, size_t npos)
{
    th_arena *a = p->a;
    unsigned flags = 0;
    if (p->t == T_TILDE) {
        flags = TH_IRF_NOCASE;
        th_eql_next(p);
    }
    if (p->t != T_LPAREN) {
        th_eql_error_at(p, p->tpos, "expected '(' after %.*s", (int)name.n, name.p);
        return NULL;
    }
    th_eql_next(p);
    if (p->t != T_IDENT || th_eql_reserved(p)) {
        th_eql_error_at(p, p->tpos, "expected a field as the first argument");
        return NULL;
    }
    th_str f = p->text;
    th_eql_next(p);
    if (p->t != T_COMMA) {
        th_eql_error_at(p, p->tpos, "expected ','");
        return NULL;
    }
    th_eql_next(p);
    th_str arg = TH_STR_NULL;
    bool arg_field = false;
    if (p->t == T_STRING) {
        arg = p->text;
    } else if (p->t == T_IDENT && !th_eql_reserved(p)) {
        arg = p->text;
        arg_field = true;
    } else {
        th_eql_error_at(p, p->tpos, "expected a string or a field");
        return NULL;
    }
    th_eql_next(p);
    if (p->t != T_RPAREN) {
        th_eql_error_at(p, p->tpos, "expected ')' (functions here take two arguments)");
        return NULL;
    }
    th_eql_next(p);
    bool contains = th_str_eqc(name, "stringContains"), starts = th_str_eqc(name, "startsWith"),
         ends = th_str_eqc(name, "endsWith");
    if (arg_field) {
        if (!contains) {
            th_eql_error_at(p, npos, "%.*s with a field argument is not supported", (int)name.n, name.p);
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
    th_eql_error_at(p, npos, "function %.*s is not supported", (int)name.n, name.p);
    return NULL;
}

static th_ir *primary(eparser *p)
{
    if (p->t == T_LPAREN) {
        th_eql_next(p);
        th_ir *e = expr(p);
        if (!e)
            return NULL;
        if (p->t != T_RPAREN) {
            th_eql_error_at(p, p->tpos, "expected ')'");
            return NULL;
        }
        th_eql_next(p);
        return e;
    }
    if (p->t == T_IDENT && !th_eql_reserved(p)) {
        th_str name = p->text;
        size_t npos = p->tpos;
        th_eql_next(p);
        if (p->t == T_LPAREN || (p->t == T_TILDE && p->tpos == npos + name.n))
            return function(p, name, npos);
        th_ir *r = comparison(p, name, npos);
        if (r)
            r->col = (unsigned)npos + 1;
        return r;
    }
    if (th_eql_is_kw(p, "true") || th_eql_is_kw(p, "false")) {
        bool t = th_eql_is_kw(p, "true");
        th_eql_next(p);
        return th_ir_new(p->a, t ? TH_IR_TRUE : TH_IR_FALSE);
    }
    th_eql_error_at(p, p->tpos, "expected a field, a function call, '(' or 'not'");
    return NULL;
}

static th_ir *not_expr(eparser *p)
{
    if (++p->depth > TH_MAX_QUERY_DEPTH) {
        th_eql_error_at(p, p->tpos, "nesting deeper than %d", TH_MAX_QUERY_DEPTH);
        return NULL;
    }
    th_ir *r;
    if (th_eql_is_kw(p, "not")) {
        th_eql_next(p);
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
    if (!th_eql_is_kw(p, w))
        return head;
    TH_VEC(th_ir *) kids = {0};
    TH_VEC_PUSH(&kids, head);
    while (th_eql_is_kw(p, w)) {
        th_eql_next(p);
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
    th_eql_next(&p);
    if (th_eql_is_kw(&p, "sequence") || th_eql_is_kw(&p, "sample")) {
        th_eql_error_at(&p, p.tpos, "%.*s queries are evaluated by the engine, not as a single-event filter",
                 (int)p.text.n, p.text.p);
        goto done;
    }
    th_str cat = TH_STR_NULL;
    size_t cpos = p.tpos;
    if (p.t == T_IDENT || p.t == T_STRING) {
        cat = p.text;
        th_eql_next(&p);
    } else {
        th_eql_error_at(&p, p.tpos, "expected an event category (e.g. any, iam, process)");
        goto done;
    }
    if (!th_eql_is_kw(&p, "where")) {
        th_eql_error_at(&p, p.tpos, "expected 'where'");
        goto done;
    }
    th_eql_next(&p);
    th_ir *cond = expr(&p);
    if (!cond)
        goto done;
    if (p.t == T_TILDE || p.t != T_EOF) {
        if (p.t != T_ERROR)
            th_eql_error_at(&p, p.tpos, "expected 'and', 'or' or the end of the query");
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
