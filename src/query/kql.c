/* KQL front end: a recursive-descent copy of Kibana's kuery grammar (peggy,
 * `kbn-es-query/src/kuery/grammar/grammar.peggy`; SEMANTICS.md 3.1), PEG ordered
 * choice with backtracking included, lowered straight to the IR the way
 * kbn-es-query's `is`, `range`, `exists`, `nested`, `and`, `or`, `not` functions
 * build their DSL (3.3). Quirks kept on purpose: spaces belong to unquoted values
 * (`*S3 Browser*` is one value), `not` followed by whitespace ends an unquoted
 * value even inside a word, `\n` wins over `\not`, a backslash inside quotes that
 * escapes nothing is kept. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "base/limits.h"
#include "base/vec.h"
#include "ecs/schema.h"
#include "query/ir.h"
#include "query/query.h"

#include "query/kql_int.h"

static th_ir *or_query(parser *p);

/* Marks where a construct parsed from pos to p->pos sits in the text. */
static th_ir *at(const parser *p, th_ir *ir, size_t pos)
{
    if (ir) {
        ir->col = (unsigned)pos + 1;
        ir->src_start = pos;
        ir->src_end = p->pos;
    }
    return ir;
}

/* A `field: values` clause: its leaves span from the field through the
 * values (the linter points at the field, explain shows the clause). */
static void clause_span(th_ir *ir, size_t start, size_t end)
{
    if (ir->nkids == 0) {
        ir->src_start = start;
        ir->src_end = end;
    }
    for (size_t i = 0; i < ir->nkids; i++)
        clause_span(ir->kids[i], start, end);
}

/* The field name as a query sees it: nested queries prefix their path. */
static th_str full_field(parser *p, const lit *f)
{
    if (p->prefix.n == 0)
        return f->text;
    char *s = th_arena_printf(p->a, "%.*s.%.*s", (int)p->prefix.n, p->prefix.p, (int)f->text.n,
                              f->text.p);
    return th_str_c(s);
}

static th_ir *is_one(parser *p, th_str field, const lit *v)
{
    th_arena *a = p->a;
    if (v->lone_wildcard)
        return th_ir_leaf(a, TH_IR_EXISTS, field, TH_STR_NULL, TH_IRF_KQL);
    if (v->wildcard)
        return th_ir_leaf(a, TH_IR_WILDCARD, field, v->pattern, TH_IRF_KQL);
    if (v->is_null)
        return th_ir_leaf(a, TH_IR_TERM, field, TH_STR_NULL, TH_IRF_KQL | TH_IRF_NULL);
    return th_ir_leaf(a, TH_IR_TERM, field, v->text, TH_IRF_KQL | (v->quoted ? TH_IRF_PHRASE : 0));
}

/* kbn-es-query `is(field, value)` */
static th_ir *build_is(parser *p, const lit *f, const lit *v)
{
    th_arena *a = p->a;
    if (!f) { /* free text */
        if (v->lone_wildcard)
            return th_ir_new(a, TH_IR_TRUE);
        return is_one(p, TH_STR_NULL, v);
    }
    if (f->wildcard) {
        if (f->lone_wildcard && v->lone_wildcard && p->prefix.n == 0)
            return th_ir_new(a, TH_IR_TRUE); /* *:* is match_all */
        th_str pat = full_field(p, f);
        TH_VEC(th_ir *) kids = {0};
        size_t lo, hi;
        th_schema_glob_range(pat, &lo, &hi); /* the only fields the glob may accept */
        for (size_t i = lo; i < hi; i++) {
            const th_field_def *d = &th_schema_fields[i];
            if (d->type == TH_FT_OBJECT || d->type == TH_FT_NESTED || d->type == TH_FT_FLATTENED ||
                d->type == TH_FT_GEO_POINT || !th_field_glob(pat, th_str_c(d->name)))
                continue;
            TH_VEC_PUSH(&kids, is_one(p, th_str_c(d->name), v));
        }
        th_ir *r = kids.len ? th_ir_bool(a, TH_IR_OR, kids.items, kids.len)
                            : is_one(p, pat, v); /* no field known: the name as given */
        TH_VEC_FREE(&kids);
        return r;
    }
    return is_one(p, full_field(p, f), v);
}

static bool enter(parser *p)
{
    if (++p->depth > TH_MAX_QUERY_DEPTH) {
        p->too_deep = true;
        th_kql_expect(p, p->pos, "shallower nesting");
        return false;
    }
    return true;
}

/* Value = QuotedString / UnquotedLiteral */
static th_ir *value(parser *p, const lit *field)
{
    size_t start = p->pos;
    lit v;
    if (!th_kql_literal(p, &v)) {
        th_kql_expect(p, start, "value");
        return NULL;
    }
    return at(p, build_is(p, field, &v), start);
}

static th_ir *list_of_values(parser *p, const lit *field);

/* NotListOfValues = Not ListOfValues / ListOfValues */
static th_ir *not_list(parser *p, const lit *field)
{
    size_t save = p->pos, q = th_kql_not_at(p, p->pos);
    if (q) {
        p->pos = q;
        th_ir *k = list_of_values(p, field);
        if (k)
            return at(p, th_ir_not(p->a, k), save);
        p->pos = save;
    } else {
        th_kql_expect(p, save, "NOT");
    }
    return list_of_values(p, field);
}

static th_ir *bin_list(parser *p, const lit *field, const char *w, th_ir_op op,
                       th_ir *(*sub)(parser *, const lit *))
{
    size_t start = p->pos;
    th_ir *head = sub(p, field);
    if (!head)
        return NULL;
    TH_VEC(th_ir *) kids = {0};
    TH_VEC_PUSH(&kids, head);
    for (;;) {
        size_t save = p->pos, q = th_kql_binop_at(p, p->pos, w);
        if (!q) {
            th_kql_expect(p, save, op == TH_IR_OR ? "OR" : "AND");
            break;
        }
        p->pos = q;
        th_ir *k = sub(p, field);
        if (!k) {
            p->pos = save;
            break;
        }
        TH_VEC_PUSH(&kids, k);
    }
    th_ir *r = kids.len == 1 ? head : at(p, th_ir_bool(p->a, op, kids.items, kids.len), start);
    TH_VEC_FREE(&kids);
    return r;
}

static th_ir *and_list(parser *p, const lit *field)
{
    return bin_list(p, field, "and", TH_IR_AND, not_list);
}

static th_ir *or_list(parser *p, const lit *field)
{
    return bin_list(p, field, "or", TH_IR_OR, and_list);
}

/* ListOfValues = '(' Space* OrListOfValues OptionalSpace ')' / Value */
static th_ir *list_of_values(parser *p, const lit *field)
{
    if (!enter(p))
        return NULL;
    size_t save = p->pos;
    th_ir *r = NULL;
    if (p->pos < p->n && p->s[p->pos] == '(') {
        p->pos = th_kql_skip_spaces(p, p->pos + 1);
        r = or_list(p, field);
        if (r) {
            p->pos = th_kql_skip_spaces(p, p->pos);
            if (p->pos < p->n && p->s[p->pos] == ')') {
                p->pos++;
                p->depth--;
                return r;
            }
            th_kql_expect(p, p->pos, "\")\"");
        }
        p->pos = save;
        r = NULL;
    } else {
        th_kql_expect(p, save, "\"(\"");
    }
    r = value(p, field);
    p->depth--;
    return r;
}

static const char *range_op(parser *p, bool *lower, bool *incl)
{
    const char *s = p->s + p->pos;
    size_t left = p->n - p->pos;
    if (left >= 2 && (s[0] == '<' || s[0] == '>') && s[1] == '=') {
        *lower = s[0] == '>';
        *incl = true;
        p->pos += 2;
        return s[0] == '<' ? "lte" : "gte";
    }
    if (left >= 1 && (s[0] == '<' || s[0] == '>')) {
        *lower = s[0] == '>';
        *incl = false;
        p->pos += 1;
        return s[0] == '<' ? "lt" : "gt";
    }
    th_kql_expect(p, p->pos, "\"<=\", \">=\", \"<\" or \">\"");
    return NULL;
}

/* Expression = FieldRangeExpression / FieldValueExpression / ValueExpression */
static th_ir *expression(parser *p)
{
    size_t start = p->pos;
    lit f, v;
    /* FieldRangeExpression = Field Space* RangeOperator Space* Literal */
    if (th_kql_literal(p, &f)) {
        p->pos = th_kql_skip_spaces(p, p->pos);
        bool lower, incl;
        if (range_op(p, &lower, &incl)) {
            p->pos = th_kql_skip_spaces(p, p->pos);
            if (th_kql_literal(p, &v)) {
                th_ir *r = at(p, th_ir_new(p->a, TH_IR_RANGE), start);
                r->field = full_field(p, &f);
                r->flags = TH_IRF_KQL;
                if (lower) {
                    r->lo = v.text;
                    r->lo_incl = incl;
                } else {
                    r->hi = v.text;
                    r->hi_incl = incl;
                }
                return r;
            }
        }
    }
    /* FieldValueExpression = Field Space* ':' Space* ListOfValues */
    p->pos = start;
    if (th_kql_literal(p, &f)) {
        p->pos = th_kql_skip_spaces(p, p->pos);
        if (p->pos < p->n && p->s[p->pos] == ':') {
            p->pos = th_kql_skip_spaces(p, p->pos + 1);
            th_ir *r = list_of_values(p, &f);
            if (r) {
                clause_span(r, start, p->pos);
                return r;
            }
        } else {
            th_kql_expect(p, p->pos, "\":\"");
        }
    }
    /* ValueExpression = Value */
    p->pos = start;
    return value(p, NULL);
}

/* NestedQuery = Field Space* ':' Space* '{' Space* OrQuery OptionalSpace '}' / Expression */
static th_ir *nested_query(parser *p)
{
    size_t start = p->pos;
    lit f;
    if (th_kql_literal(p, &f)) {
        size_t q = th_kql_skip_spaces(p, p->pos);
        if (q < p->n && p->s[q] == ':') {
            q = th_kql_skip_spaces(p, q + 1);
            if (q < p->n && p->s[q] == '{') {
                p->pos = th_kql_skip_spaces(p, q + 1);
                th_str saved = p->prefix;
                p->prefix = full_field(p, &f);
                th_ir *r = or_query(p);
                p->prefix = saved;
                if (r) {
                    p->pos = th_kql_skip_spaces(p, p->pos);
                    if (p->pos < p->n && p->s[p->pos] == '}') {
                        p->pos++;
                        /* no nested mapping exists in CloudTrail data: the inner
                         * query reads the prefixed fields without object correlation */
                        return r;
                    }
                    th_kql_expect(p, p->pos, "\"}\"");
                }
            } else {
                th_kql_expect(p, q, "\"{\"");
            }
        }
    }
    p->pos = start;
    return expression(p);
}

/* SubQuery = '(' Space* OrQuery OptionalSpace ')' / NestedQuery */
static th_ir *sub_query(parser *p)
{
    if (!enter(p))
        return NULL;
    size_t save = p->pos;
    th_ir *r;
    if (p->pos < p->n && p->s[p->pos] == '(') {
        p->pos = th_kql_skip_spaces(p, p->pos + 1);
        r = or_query(p);
        if (r) {
            p->pos = th_kql_skip_spaces(p, p->pos);
            if (p->pos < p->n && p->s[p->pos] == ')') {
                p->pos++;
                p->depth--;
                return r;
            }
            th_kql_expect(p, p->pos, "\")\"");
        }
        p->pos = save;
    } else {
        th_kql_expect(p, save, "\"(\"");
    }
    r = nested_query(p);
    p->depth--;
    return r;
}

/* NotQuery = Not SubQuery / SubQuery */
static th_ir *not_query(parser *p)
{
    size_t save = p->pos, q = th_kql_not_at(p, p->pos);
    if (q) {
        p->pos = q;
        th_ir *k = sub_query(p);
        if (k)
            return at(p, th_ir_not(p->a, k), save);
        p->pos = save;
    } else {
        th_kql_expect(p, save, "NOT");
    }
    return sub_query(p);
}

static th_ir *bin_query(parser *p, const char *w, th_ir_op op, th_ir *(*sub)(parser *))
{
    size_t start = p->pos;
    th_ir *head = sub(p);
    if (!head)
        return NULL;
    TH_VEC(th_ir *) kids = {0};
    TH_VEC_PUSH(&kids, head);
    for (;;) {
        size_t save = p->pos, q = th_kql_binop_at(p, p->pos, w);
        if (!q) {
            th_kql_expect(p, save, op == TH_IR_OR ? "OR" : "AND");
            break;
        }
        p->pos = q;
        th_ir *k = sub(p);
        if (!k) {
            p->pos = save;
            break;
        }
        TH_VEC_PUSH(&kids, k);
    }
    th_ir *r = kids.len == 1 ? head : at(p, th_ir_bool(p->a, op, kids.items, kids.len), start);
    TH_VEC_FREE(&kids);
    return r;
}

static th_ir *and_query(parser *p) { return bin_query(p, "and", TH_IR_AND, not_query); }
static th_ir *or_query(parser *p) { return bin_query(p, "or", TH_IR_OR, and_query); }

static void describe_found(const parser *p, char *out, size_t cap)
{
    if (p->fail_pos >= p->n) {
        snprintf(out, cap, "end of input");
        return;
    }
    size_t k = 1;
    while (p->fail_pos + k < p->n && ((unsigned char)p->s[p->fail_pos + k] & 0xC0) == 0x80)
        k++;
    snprintf(out, cap, "'%.*s'", (int)k, p->s + p->fail_pos);
}

static void report(parser *p, const th_qsource *src, th_diags *diags)
{
    unsigned line = 1, col = 1;
    for (size_t i = 0; i < p->fail_pos && i < p->n; i++) {
        if (p->s[i] == '\n') {
            line++;
            col = 1;
        } else if (((unsigned char)p->s[i] & 0xC0) != 0x80) {
            col++;
        }
    }
    unsigned fline = line, fcol = col;
    if (src && src->line) {
        fline = src->line + line - 1;
        fcol = line == 1 ? src->col + col - 1 : col;
    }
    char found[32], exp[256] = "";
    describe_found(p, found, sizeof found);
    for (size_t i = 0; i < p->nexpected; i++) {
        size_t l = strlen(exp);
        snprintf(exp + l, sizeof exp - l, "%s%s", i == 0 ? "" : i + 1 == p->nexpected ? " or " : ", ",
                 p->expected[i]);
    }
    if (p->too_deep)
        snprintf(exp, sizeof exp, "nesting at most %d deep", TH_MAX_QUERY_DEPTH);
    th_diag_at(diags, TH_SEV_ERROR, src ? src->file : NULL, fline, fcol,
               "KQL syntax error at query column %u%s: expected %s but found %s", col,
               line > 1 ? " of a later line" : "", exp[0] ? exp : "more input", found);
}

th_ir *th_kql_parse(th_arena *a, const char *text, size_t len, const th_qsource *src,
                    th_diags *diags)
{
    parser p = {.a = a, .s = text, .n = len};
    th_buf_init(&p.tmp);
    p.pos = th_kql_skip_spaces(&p, 0);
    th_ir *r;
    if (p.pos >= p.n) {
        r = th_ir_new(a, TH_IR_TRUE); /* an empty query matches everything */
    } else {
        r = or_query(&p);
        if (r) {
            p.pos = th_kql_skip_spaces(&p, p.pos);
            if (p.pos < p.n) {
                th_kql_expect(&p, p.pos, "OR");
                th_kql_expect(&p, p.pos, "AND");
                th_kql_expect(&p, p.pos, "end of input");
                r = NULL;
            }
        }
    }
    if (!r && diags)
        report(&p, src, diags);
    th_buf_free(&p.tmp);
    return r;
}
