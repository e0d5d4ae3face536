/* Lucene RegExp (what Elasticsearch's regexp query and EQL `regex` use) run with
 * PCRE2: the pattern is translated (Lucene matches the WHOLE value, `.` matches
 * any character including newlines, `^` `$` are literal, `\x` is always the
 * literal x, `"..."` quotes a literal, `@` is any string, `#` the empty
 * language); `&`, `~` and `<n-m>` have no PCRE2 form and are refused.
 * The compiled pattern lives in the query's arena (so a query needs no free
 * function; no JIT, whose code pages would need one). Matching allocates
 * nothing on the heap: match data and backtracking frames live in a stack
 * buffer (a pattern needing more falls back to malloc). */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/buf.h"
#include "query/cnode.h"

static bool alnum(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (unsigned char)c >= 0x80;
}

static void lit(th_buf *b, char c)
{
    if (!alnum(c) && c != ' ' && c != '_')
        th_buf_putc(b, '\\');
    th_buf_putc(b, c);
}

/* Returns false (with a reason) when the pattern uses syntax PCRE2 cannot express. */
static bool translate(th_str re, th_buf *out, const char **why)
{
    for (size_t i = 0; i < re.n; i++) {
        char c = re.p[i];
        switch (c) {
        case '\\':
            if (i + 1 < re.n)
                lit(out, re.p[++i]);
            else
                lit(out, '\\');
            break;
        case '"': {
            size_t j = i + 1;
            while (j < re.n && re.p[j] != '"')
                lit(out, re.p[j++]);
            if (j >= re.n) {
                *why = "unterminated \" in regex";
                return false;
            }
            i = j;
            break;
        }
        case '@':
            th_buf_puts(out, "(?:.*)");
            break;
        case '#':
            th_buf_puts(out, "(?!)");
            break;
        case '&':
        case '~':
        case '<':
            *why = "regex operators & ~ <n-m> are not supported";
            return false;
        case '^':
        case '$':
            lit(out, c);
            break;
        case '[': {
            th_buf_putc(out, '[');
            size_t j = i + 1;
            if (j < re.n && re.p[j] == '^')
                th_buf_putc(out, re.p[j++]);
            for (; j < re.n && re.p[j] != ']'; j++) {
                char d = re.p[j];
                if (d == '\\' && j + 1 < re.n) {
                    lit(out, re.p[++j]);
                } else if (d == '[' || d == '\\') {
                    lit(out, d);
                } else {
                    th_buf_putc(out, d);
                }
            }
            if (j >= re.n) {
                *why = "unterminated [ in regex";
                return false;
            }
            th_buf_putc(out, ']');
            i = j;
            break;
        }
        default:
            th_buf_putc(out, c);
            break;
        }
    }
    return true;
}

static void *arena_malloc(size_t n, void *d) { return th_arena_alloc(d, n); }
static void arena_free(void *p, void *d)
{
    (void)p;
    (void)d;
}

void *th_q_regex_compile(th_arena *a, th_str lucene, bool nocase, char *err, size_t errcap)
{
    th_buf b;
    th_buf_init(&b);
    const char *why = NULL;
    if (!translate(lucene, &b, &why)) {
        snprintf(err, errcap, "%s", why);
        th_buf_free(&b);
        return NULL;
    }
    int ec;
    PCRE2_SIZE eo;
    uint32_t opts = PCRE2_UTF | PCRE2_DOTALL | PCRE2_ANCHORED | PCRE2_ENDANCHORED;
    if (nocase)
        opts |= PCRE2_CASELESS;
    pcre2_general_context *gc = pcre2_general_context_create(arena_malloc, arena_free, a);
    pcre2_compile_context *cc = pcre2_compile_context_create(gc);
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)(b.data ? b.data : ""), b.len, opts, &ec, &eo, cc);
    if (!re) {
        PCRE2_UCHAR msg[160];
        pcre2_get_error_message(ec, msg, sizeof msg);
        snprintf(err, errcap, "%s at offset %zu of the translated pattern", (char *)msg, (size_t)eo);
    }
    th_buf_free(&b);
    return re;
}

typedef struct stackmem {
    _Alignas(16) char buf[24 * 1024];
    size_t used;
} stackmem;

static void *sm_malloc(size_t n, void *d)
{
    stackmem *m = d;
    n = (n + 15) & ~(size_t)15;
    if (m->used + n <= sizeof m->buf) {
        void *p = m->buf + m->used;
        m->used += n;
        return p;
    }
    return malloc(n); /* a pattern with deep backtracking */
}

static void sm_free(void *p, void *d)
{
    stackmem *m = d;
    if (p && ((char *)p < m->buf || (char *)p >= m->buf + sizeof m->buf))
        free(p);
}

bool th_q_regex_match(const void *code, th_str s)
{
    const pcre2_code *re = code;
    stackmem mem;
    mem.used = 0;
    pcre2_general_context *gc = pcre2_general_context_create(sm_malloc, sm_free, &mem);
    if (!gc)
        return false;
    pcre2_match_data *md = pcre2_match_data_create(1, gc);
    bool ok = false;
    if (md) {
        int rc = pcre2_match(re, (PCRE2_SPTR)s.p, s.n, 0, 0, md, NULL); /* bad UTF-8: no match */
        ok = rc >= 0;
        pcre2_match_data_free(md);
    }
    pcre2_general_context_free(gc);
    return ok;
}
