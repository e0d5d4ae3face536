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

#define WILD_MARK ((char)0xFF) /* never a byte of valid UTF-8: marks an unescaped `*` */
#define MAX_EXPECTED 8

typedef struct parser {
    th_arena *a;
    const char *s;
    size_t n, pos;
    int depth;
    bool too_deep;
    size_t fail_pos;
    const char *expected[MAX_EXPECTED];
    size_t nexpected;
    th_str prefix; /* nested query path ("" at top level) */
    th_buf tmp;
} parser;

typedef struct lit {
    th_str text;     /* decoded, trimmed (wildcards as `*`) */
    th_str pattern;  /* Lucene wildcard pattern (only when wildcard) */
    bool quoted, wildcard, lone_wildcard, is_null;
    size_t start;
} lit;

static th_ir *or_query(parser *p);

static void expect(parser *p, size_t pos, const char *what)
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

static size_t skip_spaces(const parser *p, size_t pos)
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
static size_t binop_at(const parser *p, size_t pos, const char *w)
{
    size_t q = skip_spaces(p, pos);
    if (q == pos || !word_at(p, q, w))
        return 0;
    q += strlen(w);
    size_t r = skip_spaces(p, q);
    return r == q ? 0 : r;
}

/* Not = 'not'i Space+ */
static size_t not_at(const parser *p, size_t pos)
{
    if (!word_at(p, pos, "not"))
        return 0;
    size_t r = skip_spaces(p, pos + 3);
    return r == pos + 3 ? 0 : r;
}

static bool keyword_at(const parser *p, size_t pos)
{
    return binop_at(p, pos, "or") || binop_at(p, pos, "and") || not_at(p, pos);
}

static bool is_special(char c) { return c && strchr("\\():<>\"*{}", c) != NULL; }

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
    if (cp < 0x80) {
        th_buf_putc(out, (char)cp);
    } else if (cp < 0x800) {
        th_buf_putc(out, (char)(0xC0 | (cp >> 6)));
        th_buf_putc(out, (char)(0x80 | (cp & 0x3F)));
    } else {
        th_buf_putc(out, (char)(0xE0 | (cp >> 12)));
        th_buf_putc(out, (char)(0x80 | ((cp >> 6) & 0x3F)));
        th_buf_putc(out, (char)(0x80 | (cp & 0x3F)));
    }
    return true;
}

/* Length of the JS-trim whitespace character at s[i], 0 if not whitespace. */
static size_t js_space(const char *s, size_t n, size_t i)
{
    unsigned char c = (unsigned char)s[i];
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
    /* trailing: scan forward to find the last non-space */
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
        expect(p, i, "\"\\\"\"");
        return false;
    }
    i++;
    th_buf_clear(&p->tmp);
    for (;;) {
        if (i >= p->n) {
            expect(p, i, "\"\\\"\"");
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

static bool unquoted_literal(parser *p, lit *out)
{
    size_t start = p->pos, i = p->pos;
    th_buf_clear(&p->tmp);
    bool any_wild = false;
    while (i < p->n) {
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
        expect(p, start, "literal");
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

static bool literal(parser *p, lit *out)
{
    if (p->pos < p->n && p->s[p->pos] == '"')
        return quoted_string(p, out);
    expect(p, p->pos, "\"\\\"\"");
    return unquoted_literal(p, out);
}

static th_ir *at(th_ir *ir, size_t pos)
{
    if (ir)
        ir->col = (unsigned)pos + 1;
    return ir;
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

static bool glob_match(th_str pat, const char *name)
{
    /* `*` any sequence; everything else literal (field-name wildcards) */
    const char *s = name;
    size_t pi = 0;
    const char *star_s = NULL;
    size_t star_p = 0;
    bool star = false;
    while (*s) {
        if (pi < pat.n && pat.p[pi] == '*') {
            star = true;
            star_p = ++pi;
            star_s = s;
        } else if (pi < pat.n && pat.p[pi] == *s) {
            pi++;
            s++;
        } else if (star) {
            pi = star_p;
            s = ++star_s;
        } else {
            return false;
        }
    }
    while (pi < pat.n && pat.p[pi] == '*')
        pi++;
    return pi == pat.n;
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
        for (size_t i = 0; i < th_schema_nfields; i++) {
            const th_field_def *d = &th_schema_fields[i];
            if (d->type == TH_FT_OBJECT || d->type == TH_FT_NESTED || d->type == TH_FT_FLATTENED ||
                d->type == TH_FT_GEO_POINT || !glob_match(pat, d->name))
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
        expect(p, p->pos, "shallower nesting");
        return false;
    }
    return true;
}

/* Value = QuotedString / UnquotedLiteral */
static th_ir *value(parser *p, const lit *field)
{
    size_t start = p->pos;
    lit v;
    if (!literal(p, &v)) {
        expect(p, start, "value");
        return NULL;
    }
    return at(build_is(p, field, &v), start);
}

static th_ir *list_of_values(parser *p, const lit *field);

/* NotListOfValues = Not ListOfValues / ListOfValues */
static th_ir *not_list(parser *p, const lit *field)
{
    size_t save = p->pos, q = not_at(p, p->pos);
    if (q) {
        p->pos = q;
        th_ir *k = list_of_values(p, field);
        if (k)
            return at(th_ir_not(p->a, k), save);
        p->pos = save;
    } else {
        expect(p, save, "NOT");
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
        size_t save = p->pos, q = binop_at(p, p->pos, w);
        if (!q) {
            expect(p, save, op == TH_IR_OR ? "OR" : "AND");
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
    th_ir *r = kids.len == 1 ? head : at(th_ir_bool(p->a, op, kids.items, kids.len), start);
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
        p->pos = skip_spaces(p, p->pos + 1);
        r = or_list(p, field);
        if (r) {
            p->pos = skip_spaces(p, p->pos);
            if (p->pos < p->n && p->s[p->pos] == ')') {
                p->pos++;
                p->depth--;
                return r;
            }
            expect(p, p->pos, "\")\"");
        }
        p->pos = save;
        r = NULL;
    } else {
        expect(p, save, "\"(\"");
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
    expect(p, p->pos, "\"<=\", \">=\", \"<\" or \">\"");
    return NULL;
}

/* Expression = FieldRangeExpression / FieldValueExpression / ValueExpression */
static th_ir *expression(parser *p)
{
    size_t start = p->pos;
    lit f, v;
    /* FieldRangeExpression = Field Space* RangeOperator Space* Literal */
    if (literal(p, &f)) {
        p->pos = skip_spaces(p, p->pos);
        bool lower, incl;
        if (range_op(p, &lower, &incl)) {
            p->pos = skip_spaces(p, p->pos);
            if (literal(p, &v)) {
                th_ir *r = at(th_ir_new(p->a, TH_IR_RANGE), start);
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
    if (literal(p, &f)) {
        p->pos = skip_spaces(p, p->pos);
        if (p->pos < p->n && p->s[p->pos] == ':') {
            p->pos = skip_spaces(p, p->pos + 1);
            th_ir *r = list_of_values(p, &f);
            if (r)
                return r;
        } else {
            expect(p, p->pos, "\":\"");
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
    if (literal(p, &f)) {
        size_t q = skip_spaces(p, p->pos);
        if (q < p->n && p->s[q] == ':') {
            q = skip_spaces(p, q + 1);
            if (q < p->n && p->s[q] == '{') {
                p->pos = skip_spaces(p, q + 1);
                th_str saved = p->prefix;
                p->prefix = full_field(p, &f);
                th_ir *r = or_query(p);
                p->prefix = saved;
                if (r) {
                    p->pos = skip_spaces(p, p->pos);
                    if (p->pos < p->n && p->s[p->pos] == '}') {
                        p->pos++;
                        /* no nested mapping exists in CloudTrail data: the inner
                         * query reads the prefixed fields without object correlation */
                        return r;
                    }
                    expect(p, p->pos, "\"}\"");
                }
            } else {
                expect(p, q, "\"{\"");
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
        p->pos = skip_spaces(p, p->pos + 1);
        r = or_query(p);
        if (r) {
            p->pos = skip_spaces(p, p->pos);
            if (p->pos < p->n && p->s[p->pos] == ')') {
                p->pos++;
                p->depth--;
                return r;
            }
            expect(p, p->pos, "\")\"");
        }
        p->pos = save;
    } else {
        expect(p, save, "\"(\"");
    }
    r = nested_query(p);
    p->depth--;
    return r;
}

/* NotQuery = Not SubQuery / SubQuery */
static th_ir *not_query(parser *p)
{
    size_t save = p->pos, q = not_at(p, p->pos);
    if (q) {
        p->pos = q;
        th_ir *k = sub_query(p);
        if (k)
            return at(th_ir_not(p->a, k), save);
        p->pos = save;
    } else {
        expect(p, save, "NOT");
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
        size_t save = p->pos, q = binop_at(p, p->pos, w);
        if (!q) {
            expect(p, save, op == TH_IR_OR ? "OR" : "AND");
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
    th_ir *r = kids.len == 1 ? head : at(th_ir_bool(p->a, op, kids.items, kids.len), start);
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
    p.pos = skip_spaces(&p, 0);
    th_ir *r;
    if (p.pos >= p.n) {
        r = th_ir_new(a, TH_IR_TRUE); /* an empty query matches everything */
    } else {
        r = or_query(&p);
        if (r) {
            p.pos = skip_spaces(&p, p.pos);
            if (p.pos < p.n) {
                expect(&p, p.pos, "OR");
                expect(&p, p.pos, "AND");
                expect(&p, p.pos, "end of input");
                r = NULL;
            }
        }
    }
    if (!r && diags)
        report(&p, src, diags);
    th_buf_free(&p.tmp);
    return r;
}
