/* EQL lexer (SEMANTICS.md 4.5): identifiers (dotted, `quoted`, ?optional),
 * numbers, operators, comments, and strings with Elasticsearch's unescaping
 * (\\t \\b \\f \\n \\r \\" \\' \\\\ \\u{X}; any other backslash pair kept; """raw""").
 * Reads only inside the query slice. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/utf8.h"
#include "query/eql_int.h"

void th_eql_error_at(eparser *p, size_t pos, const char *fmt, ...)
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
            th_eql_error_at(p, i, "unterminated \"\"\" string");
            return false;
        }
        th_buf_put(&p->tmp, p->s + i + 3, (size_t)(e - (p->s + i + 3)));
        p->pos = (size_t)(e - p->s) + 3;
    } else {
        i++;
        for (;;) {
            if (i >= p->n || p->s[i] == '\n') {
                th_eql_error_at(p, p->pos, "unterminated string");
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
                        char u[4];
                        th_buf_put(&p->tmp, u, th_utf8_encode(cp, u));
                        i = j + 1;
                        continue;
                    }
                    th_eql_error_at(p, i, "bad \\u{...} escape");
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

void th_eql_next(eparser *p)
{
    /* whitespace and comments */
    for (;;) {
        while (p->pos < p->n && p->s[p->pos] && strchr(" \t\r\n", p->s[p->pos]))
            p->pos++;
        if (p->pos + 1 < p->n && p->s[p->pos] == '/' && p->s[p->pos + 1] == '*') {
            size_t k = p->pos + 2;
            while (k + 1 < p->n && !(p->s[k] == '*' && p->s[k + 1] == '/'))
                k++;
            if (k + 1 >= p->n) {
                th_eql_error_at(p, p->pos, "unterminated comment");
                p->t = T_ERROR;
                return;
            }
            p->pos = k + 2;
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
        th_eql_error_at(p, p->pos, "single-quoted strings are not allowed; use double quotes");
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
            th_eql_error_at(p, p->pos, "unterminated `field`");
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
    th_eql_error_at(p, p->pos, "unexpected character '%c'", c);
    p->t = T_ERROR;
}

bool th_eql_is_kw(const eparser *p, const char *w)
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

bool th_eql_reserved(const eparser *p)
{
    static const char *const kws[] = {"and", "or", "not", "in", "like", "regex", "where", "true", "false", "null"};
    for (size_t i = 0; i < sizeof kws / sizeof kws[0]; i++)
        if (th_eql_is_kw(p, kws[i]))
            return true;
    return false;
}

