/* KQL clause scanner (kqlscan.h): a recursive-descent walk of
 *   or  := and ('or' and)*         and := not ('and' not)*
 *   not := 'not' not | sub          sub := '(' or ')' | expr
 *   expr := field ':' list | field ':' '{' or '}' | field rop value | value
 *   list := '(' vor ')' | value      vor/vand/vnot as or/and/not over lists */
#include "tune/kqlscan.h"

#include <string.h>
#include <strings.h>

#include "base/buf.h"

typedef enum tok_kind {
    T_END,
    T_LPAREN,
    T_RPAREN,
    T_LBRACE,
    T_RBRACE,
    T_COLON,
    T_RANGE, /* < <= > >= */
    T_WORD,  /* unquoted literal (may be a keyword) */
    T_QUOTED,
} tok_kind;

typedef struct tok {
    tok_kind kind;
    size_t off, len; /* raw span */
} tok;

typedef struct parser {
    th_arena *a;
    const char *s;
    size_t n, pos;
    tok cur;
    th_kql_scan *out;
    int depth;
} parser;

static bool is_special(char c)
{
    return strchr("\\():<>\"{} \t\r\n", c) != NULL;
}

static void next(parser *p)
{
    while (p->pos < p->n && strchr(" \t\r\n", p->s[p->pos]))
        p->pos++;
    tok t = {T_END, p->pos, 0};
    if (p->pos >= p->n) {
        p->cur = t;
        return;
    }
    char c = p->s[p->pos];
    size_t i = p->pos;
    switch (c) {
    case '(':
        t.kind = T_LPAREN;
        i++;
        break;
    case ')':
        t.kind = T_RPAREN;
        i++;
        break;
    case '{':
        t.kind = T_LBRACE;
        i++;
        break;
    case '}':
        t.kind = T_RBRACE;
        i++;
        break;
    case ':':
        t.kind = T_COLON;
        i++;
        break;
    case '<':
    case '>':
        t.kind = T_RANGE;
        i++;
        if (i < p->n && p->s[i] == '=')
            i++;
        break;
    case '"':
        t.kind = T_QUOTED;
        for (i++; i < p->n && p->s[i] != '"'; i++)
            if (p->s[i] == '\\')
                i++;
        if (i >= p->n) {
            if (!p->out->error) {
                p->out->error = true;
                p->out->error_offset = p->pos;
                p->out->error_reason = "unterminated quoted string";
            }
            i = p->n;
        } else {
            i++;
        }
        break;
    default:
        t.kind = T_WORD;
        while (i < p->n && !is_special(p->s[i]))
            i++;
        while (i < p->n && p->s[i] == '\\') { /* escaped characters continue the word */
            i += 2;
            while (i < p->n && !is_special(p->s[i]))
                i++;
        }
        if (i > p->n)
            i = p->n;
        break;
    }
    if (t.kind == T_WORD && i == p->pos) { /* a lone backslash at the end */
        i++;
    }
    t.len = i - p->pos;
    p->pos = i;
    p->cur = t;
}

static bool is_kw(const parser *p, const char *kw)
{
    return p->cur.kind == T_WORD && p->cur.len == strlen(kw) &&
           strncasecmp(p->s + p->cur.off, kw, p->cur.len) == 0;
}

static void fail(parser *p, const char *why)
{
    if (!p->out->error) {
        p->out->error = true;
        size_t off = p->cur.off;
        if (p->cur.kind == T_END) /* point at the end of the text, not past its newline */
            while (off > 0 && strchr(" \t\r\n", p->s[off - 1]))
                off--;
        p->out->error_offset = off;
        p->out->error_reason = why;
    }
}

/* Decodes a token's text: quotes removed, backslash escapes resolved. Sets
 * *wild when an unescaped * or ? appears in an unquoted word. */
static th_str decode(parser *p, tok t, bool *wild)
{
    const char *s = p->s + t.off;
    size_t n = t.len;
    *wild = false;
    if (t.kind == T_QUOTED) {
        s++;
        n = n >= 2 ? n - 2 : 0;
    }
    if (!memchr(s, '\\', n)) {
        if (t.kind == T_WORD)
            *wild = memchr(s, '*', n) || memchr(s, '?', n);
        return th_str_make(s, n);
    }
    char *d = th_arena_alloc(p->a, n + 1);
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\\' && i + 1 < n) {
            i++;
            d[m++] = s[i] == 'n' && t.kind == T_QUOTED ? '\n' : s[i];
            continue;
        }
        if (t.kind == T_WORD && (s[i] == '*' || s[i] == '?'))
            *wild = true;
        d[m++] = s[i];
    }
    d[m] = 0;
    return th_str_make(d, m);
}

static void add(parser *p, th_kql_kind kind, th_str field, tok vt, bool neg, size_t off)
{
    th_kql_scan *o = p->out;
    if (o->len == o->cap) {
        size_t cap = o->cap ? o->cap * 2 : 16;
        o->items =
            th_arena_realloc(p->a, o->items, o->cap * sizeof *o->items, cap * sizeof *o->items);
        o->cap = cap;
    }
    bool wild = false;
    th_kql_clause c = {kind, field, decode(p, vt, &wild), vt.kind == T_QUOTED, neg, off};
    if (kind == TH_KQL_TERM && vt.kind == T_WORD) {
        if (th_str_eqc(c.value, "*"))
            c.kind = TH_KQL_EXISTS;
        else if (wild)
            c.kind = TH_KQL_WILDCARD;
    }
    o->items[o->len++] = c;
}

static void parse_or(parser *p, bool neg, th_str nested_prefix);

static bool is_value(const parser *p)
{
    return p->cur.kind == T_WORD || p->cur.kind == T_QUOTED;
}

/* A list of values after `field:`. */
static void parse_vor(parser *p, th_str field, bool neg, size_t off);

static void parse_vatom(parser *p, th_str field, bool neg, size_t off)
{
    if (p->depth > 200) {
        fail(p, "nesting too deep");
        return;
    }
    if (is_kw(p, "not")) {
        next(p);
        parse_vatom(p, field, !neg, off);
        return;
    }
    if (p->cur.kind == T_LPAREN) {
        next(p);
        p->depth++;
        parse_vor(p, field, neg, off);
        p->depth--;
        if (p->cur.kind != T_RPAREN)
            fail(p, "expected ')'");
        else
            next(p);
        return;
    }
    if (!is_value(p)) {
        fail(p, "expected a value");
        return;
    }
    tok v = p->cur;
    next(p);
    /* An unquoted value may run over spaces (`*S3 Browser*`) until a keyword
     * or a delimiter: the words form one literal. */
    while (v.kind == T_WORD && p->cur.kind == T_WORD && !is_kw(p, "or") && !is_kw(p, "and") &&
           !is_kw(p, "not")) {
        v.len = p->cur.off + p->cur.len - v.off;
        next(p);
    }
    add(p, TH_KQL_TERM, field, v, neg, off);
}

static void parse_vor(parser *p, th_str field, bool neg, size_t off)
{
    parse_vatom(p, field, neg, off);
    while (!p->out->error && (is_kw(p, "or") || is_kw(p, "and"))) {
        next(p);
        parse_vatom(p, field, neg, off);
    }
}

static th_str join_field(parser *p, th_str prefix, th_str f)
{
    if (prefix.n == 0)
        return f;
    char *s = th_arena_printf(p->a, "%.*s.%.*s", (int)prefix.n, prefix.p, (int)f.n, f.p);
    return th_str_c(s);
}

static void parse_expr(parser *p, bool neg, th_str prefix)
{
    if (!is_value(p)) {
        fail(p, "expected a field or value");
        return;
    }
    tok first = p->cur;
    next(p);
    bool wild;
    if (p->cur.kind == T_COLON) {
        th_str field = join_field(p, prefix, decode(p, first, &wild));
        next(p);
        if (p->cur.kind == T_LBRACE) { /* nested query */
            next(p);
            p->depth++;
            parse_or(p, neg, field);
            p->depth--;
            if (p->cur.kind != T_RBRACE)
                fail(p, "expected '}'");
            else
                next(p);
            return;
        }
        parse_vatom(p, field, neg, first.off);
        return;
    }
    if (p->cur.kind == T_RANGE) {
        th_str field = join_field(p, prefix, decode(p, first, &wild));
        next(p);
        if (!is_value(p)) {
            fail(p, "expected a value after a range operator");
            return;
        }
        add(p, TH_KQL_RANGE, field, p->cur, neg, first.off);
        next(p);
        return;
    }
    add(p, TH_KQL_FREE, TH_STR_NULL, first, neg, first.off);
}

static void parse_not(parser *p, bool neg, th_str prefix)
{
    if (p->depth > 200) {
        fail(p, "nesting too deep");
        return;
    }
    if (is_kw(p, "not")) {
        next(p);
        p->depth++;
        parse_not(p, !neg, prefix);
        p->depth--;
        return;
    }
    if (p->cur.kind == T_LPAREN) {
        next(p);
        p->depth++;
        parse_or(p, neg, prefix);
        p->depth--;
        if (p->cur.kind != T_RPAREN)
            fail(p, "expected ')'");
        else
            next(p);
        return;
    }
    parse_expr(p, neg, prefix);
}

static void parse_or(parser *p, bool neg, th_str prefix)
{
    parse_not(p, neg, prefix);
    while (!p->out->error && (is_kw(p, "or") || is_kw(p, "and"))) {
        next(p);
        parse_not(p, neg, prefix);
    }
}

void th_kql_scan_text(th_arena *a, const char *text, size_t len, th_kql_scan *out)
{
    memset(out, 0, sizeof *out);
    parser p = {a, text, len, 0, {T_END, 0, 0}, out, 0};
    next(&p);
    if (p.cur.kind == T_END)
        return;
    parse_or(&p, false, TH_STR_NULL);
    if (!out->error && p.cur.kind != T_END)
        fail(&p, "unexpected text after the query");
}
