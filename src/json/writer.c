/* JSON text output: whole trees and a streaming writer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/timeutil.h"
#include "json/escape.h"
#include "json/json.h"

/* s[i..n) from its first byte that needs an escape, the closing quote and
 * tail (unless 0): the bytes copied as they are run between the ones to
 * escape; the runs are found 16 bytes a step (th_json_escape_scan) and copied
 * whole. Out of line: it is rare, and inlined its calls would make every
 * wquoted save registers. */
__attribute__((noinline)) static void write_escaped(th_buf *out, const unsigned char *p, size_t i,
                                                    size_t n, char tail)
{
    static const char hex[] = "0123456789abcdef";
    while (i < n) {
        unsigned char c = p[i];
        switch (c) {
        case '"': th_buf_put(out, "\\\"", 2); break;
        case '\\': th_buf_put(out, "\\\\", 2); break;
        case '\n': th_buf_put(out, "\\n", 2); break;
        case '\r': th_buf_put(out, "\\r", 2); break;
        case '\t': th_buf_put(out, "\\t", 2); break;
        case '\b': th_buf_put(out, "\\b", 2); break;
        case '\f': th_buf_put(out, "\\f", 2); break;
        default: {
            char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            th_buf_put(out, e, 6);
        }
        }
        size_t j = th_json_escape_scan(p, i + 1, n);
        th_buf_put(out, p + i + 1, j - i - 1);
        i = j;
    }
    th_buf_putc(out, '"');
    if (tail)
        th_buf_putc(out, tail);
}

static int member_cmp(const void *a, const void *b)
{
    const th_jmember *x = a, *y = b;
    return th_str_cmp(x->key, y->key);
}

/* The tree writer's cursor: the next byte to write in out's data, and the end
 * of its room (one byte short of the allocation: the NUL th_buf keeps after
 * its bytes). It lives in registers through a whole tree and goes back to
 * out->len only where out is used as a th_buf (to grow it, to escape) and at
 * the end: a byte stored through a char pointer may alias out's fields, so a
 * length kept in *out was stored and loaded again for every string, and the
 * NUL written after each. */
typedef struct wpos {
    char *o, *end;
} wpos;

static inline wpos wpos_of(const th_buf *out)
{
    return (wpos){out->data + out->len, out->data + out->cap - 1};
}

/* Room for n more bytes; out's length is the cursor's on return. Not inlined:
 * rare (the buffer doubles), and the check in wroom stays a compare. */
static __attribute__((noinline)) wpos wgrow(th_buf *out, wpos w, size_t n)
{
    out->len = (size_t)(w.o - out->data);
    th_buf_reserve(out, n);
    return wpos_of(out);
}

static inline wpos wroom(th_buf *out, wpos w, size_t n)
{
    return (size_t)(w.end - w.o) >= n ? w : wgrow(out, w, n);
}

static inline wpos wbytes(th_buf *out, wpos w, const char *p, size_t n)
{
    w = wroom(out, w, n);
    if (n)
        memcpy(w.o, p, n);
    w.o += n;
    return w;
}

static inline wpos wbyte(th_buf *out, wpos w, char c)
{
    w = wroom(out, w, 1);
    *w.o++ = c;
    return w;
}

/* Writes at the cursor lead (unless 0), s as a string literal, then tail
 * (unless 0). The common case, nothing to escape, is one check for room and
 * one pass that tests and copies (th_json_escape_copy); a string that needs
 * escapes goes through write_escaped on out. Always inline: every key and
 * string value of a document comes here, and a call costs about as much as a
 * short string's copy. */
__attribute__((always_inline)) static inline wpos wquoted(th_buf *out, wpos w, char lead, th_str s,
                                                          char tail)
{
    const unsigned char *p = (const unsigned char *)s.p;
    size_t n = s.n;
    w = wroom(out, w, n + 4);
    char *o = w.o;
    if (lead)
        *o++ = lead;
    *o++ = '"';
    size_t i = th_json_escape_copy(o, p, n);
    o += i;
    if (__builtin_expect(i < n, 0)) {
        out->len = (size_t)(o - out->data);
        write_escaped(out, p, i, n, tail);
        return wpos_of(out);
    }
    *o++ = '"';
    if (tail)
        *o++ = tail;
    w.o = o;
    return w;
}

/* wquoted on a th_buf of its own (out's length and NUL kept) */
static void put_quoted(th_buf *out, char lead, th_str s, char tail)
{
    if (!out->data)
        th_buf_reserve(out, s.n + 4); /* the cursor points into data */
    wpos w = wquoted(out, wpos_of(out), lead, s, tail);
    out->len = (size_t)(w.o - out->data);
    out->data[out->len] = '\0';
}

void th_json_write_str(th_buf *out, th_str s) { put_quoted(out, 0, s, 0); }

th_str th_json_quote_copy(th_arena *a, th_buf *buf, th_str s)
{
    size_t n = s.n;
    char *o = th_arena_alloc(a, n + 3);
    o[0] = '"';
    if (th_json_escape_copy(o + 1, (const unsigned char *)s.p, n) == n) {
        o[n + 1] = '"';
        o[n + 2] = '\0';
        return th_str_make(o, n + 2);
    }
    th_buf_clear(buf); /* rare: o is left unused */
    put_quoted(buf, 0, s, 0);
    return th_str_make(th_arena_strndup(a, buf->data, buf->len), buf->len);
}

static wpos write_value(th_buf *out, wpos w, const th_jval *v, bool sorted)
{
    switch (v->type) {
    case TH_JNULL: return wbytes(out, w, "null", 4);
    case TH_JTRUE: return wbytes(out, w, "true", 4);
    case TH_JFALSE: return wbytes(out, w, "false", 5);
    case TH_JNUM: return wbytes(out, w, v->u.str.p, v->u.str.n);
    case TH_JSTR: return wquoted(out, w, 0, v->u.str, 0);
    case TH_JARR:
        if (v->len == 0)
            w = wbyte(out, w, '[');
        for (uint32_t i = 0; i < v->len; i++) {
            const th_jval *item = v->u.items[i];
            if (item->type == TH_JSTR) { /* most items: no call */
                w = wquoted(out, w, i ? ',' : '[', item->u.str, 0);
            } else {
                w = wbyte(out, w, i ? ',' : '[');
                w = write_value(out, w, item, sorted);
            }
        }
        return wbyte(out, w, ']');
    case TH_JOBJ: {
        const th_jmember *m = v->u.members;
        th_jmember *tmp = NULL;
        if (sorted && v->len > 1) {
            tmp = malloc(v->len * sizeof(th_jmember));
            if (tmp) {
                memcpy(tmp, m, v->len * sizeof(th_jmember));
                qsort(tmp, v->len, sizeof(th_jmember), member_cmp);
                m = tmp;
            }
        }
        if (v->len == 0)
            w = wbyte(out, w, '{');
        for (uint32_t i = 0; i < v->len; i++) {
            w = wquoted(out, w, i ? ',' : '{', m[i].key, ':');
            if (m[i].val->type == TH_JSTR) /* most values: no call */
                w = wquoted(out, w, 0, m[i].val->u.str, 0);
            else
                w = write_value(out, w, m[i].val, sorted);
        }
        if (tmp) /* sorted only: no call to free for each object of a document */
            free(tmp);
        return wbyte(out, w, '}');
    }
    }
    return w;
}

/* Container v as pruned, its opening byte written with the first member or
 * item kept: *kept is false when none is, and then nothing is written (the
 * caller takes back what it wrote before, a key). Scalars are settled in the
 * loop without a call, as in write_value; a container goes in speculatively
 * and its bytes are taken back (an offset: out may have grown meanwhile) when
 * nothing of it is kept, so each value is visited once. */
static wpos write_kept(th_buf *out, wpos w, const th_jval *v, bool *kept)
{
    char lead = v->type == TH_JOBJ ? '{' : '[';
    if (v->type == TH_JARR) {
        for (uint32_t i = 0; i < v->len; i++) {
            const th_jval *item = v->u.items[i];
            if (item->type == TH_JSTR) {
                if (item->u.str.n == 0)
                    continue;
                w = wquoted(out, w, lead, item->u.str, 0);
            } else if (item->type == TH_JOBJ || item->type == TH_JARR) {
                size_t at = (size_t)(w.o - out->data);
                w = wbyte(out, w, lead);
                bool k;
                w = write_kept(out, w, item, &k);
                if (!k) {
                    w.o = out->data + at;
                    continue;
                }
            } else if (item->type == TH_JNULL) {
                continue;
            } else {
                w = wbyte(out, w, lead);
                w = write_value(out, w, item, false);
            }
            lead = ',';
        }
        *kept = lead == ',';
        return *kept ? wbyte(out, w, ']') : w;
    }
    const th_jmember *m = v->u.members;
    for (uint32_t i = 0; i < v->len; i++) {
        const th_jval *x = m[i].val;
        if (x->type == TH_JSTR) { /* most values */
            if (x->u.str.n == 0)
                continue;
            w = wquoted(out, w, lead, m[i].key, ':');
            w = wquoted(out, w, 0, x->u.str, 0);
        } else if (x->type == TH_JOBJ || x->type == TH_JARR) {
            size_t at = (size_t)(w.o - out->data);
            w = wquoted(out, w, lead, m[i].key, ':');
            bool k;
            w = write_kept(out, w, x, &k);
            if (!k) {
                w.o = out->data + at;
                continue;
            }
        } else if (x->type == TH_JNULL) {
            continue;
        } else {
            w = wquoted(out, w, lead, m[i].key, ':');
            w = write_value(out, w, x, false);
        }
        lead = ',';
    }
    *kept = lead == ',';
    return *kept ? wbyte(out, w, '}') : w;
}

static void write_tree(th_buf *out, const th_jval *v, bool sorted)
{
    th_buf_reserve(out, 64); /* data is not NULL: the cursor points into it */
    wpos w = write_value(out, wpos_of(out), v, sorted);
    out->len = (size_t)(w.o - out->data);
    out->data[out->len] = '\0';
}

void th_json_write(th_buf *out, const th_jval *v) { write_tree(out, v, false); }

void th_json_write_pruned(th_buf *out, const th_jval *v)
{
    if (v->type != TH_JOBJ && v->type != TH_JARR) {
        write_tree(out, v, false);
        return;
    }
    th_buf_reserve(out, 64); /* data is not NULL: the cursor points into it */
    bool kept;
    wpos w = write_kept(out, wpos_of(out), v, &kept);
    if (!kept)
        w = wbytes(out, w, v->type == TH_JOBJ ? "{}" : "[]", 2);
    out->len = (size_t)(w.o - out->data);
    out->data[out->len] = '\0';
}
void th_json_write_sorted(th_buf *out, const th_jval *v) { write_tree(out, v, true); }

/* ---- streaming writer ---------------------------------------------------- */

void th_jw_init(th_jw *w, th_buf *out)
{
    memset(w, 0, sizeof(*w));
    w->out = out;
    w->first[0] = true;
}

static void sep(th_jw *w)
{
    if (w->after_key) {
        w->after_key = false;
        return;
    }
    if (!w->first[w->depth])
        th_buf_putc(w->out, ',');
    w->first[w->depth] = false;
}

static void open(th_jw *w, char c)
{
    sep(w);
    th_buf_putc(w->out, c);
    if (w->depth + 1 >= TH_JW_MAX_DEPTH) {
        fprintf(stderr, "trailhound: JSON writer nesting too deep\n");
        abort();
    }
    w->first[++w->depth] = true;
    w->closer[w->depth] = c == '{' ? '}' : ']';
}

void th_jw_obj(th_jw *w) { open(w, '{'); }
void th_jw_arr(th_jw *w) { open(w, '['); }

void th_jw_end(th_jw *w)
{
    th_buf_putc(w->out, w->closer[w->depth]);
    w->depth--;
}

void th_jw_keyn(th_jw *w, th_str key)
{
    sep(w);
    put_quoted(w->out, 0, key, ':');
    w->after_key = true;
}

void th_jw_key(th_jw *w, const char *key) { th_jw_keyn(w, th_str_c(key)); }

void th_jw_str(th_jw *w, th_str s)
{
    sep(w);
    th_json_write_str(w->out, s);
}

void th_jw_cstr(th_jw *w, const char *s) { th_jw_str(w, th_str_c(s)); }

void th_jw_int(th_jw *w, int64_t v)
{
    sep(w);
    th_buf_printf(w->out, "%lld", (long long)v);
}

void th_jw_double(th_jw *w, double v)
{
    sep(w);
    char tmp[40];
    snprintf(tmp, sizeof tmp, "%.17g", v);
    for (int prec = 1; prec < 17; prec++) {
        char t2[40];
        snprintf(t2, sizeof t2, "%.*g", prec, v);
        if (strtod(t2, NULL) == v) {
            memcpy(tmp, t2, sizeof t2);
            break;
        }
    }
    th_buf_puts(w->out, tmp);
}

void th_jw_bool(th_jw *w, bool b)
{
    sep(w);
    th_buf_puts(w->out, b ? "true" : "false");
}

void th_jw_null(th_jw *w)
{
    sep(w);
    th_buf_put(w->out, "null", 4);
}

void th_jw_value(th_jw *w, const th_jval *v)
{
    sep(w);
    th_json_write(w->out, v);
}

void th_jw_time(th_jw *w, int64_t ms)
{
    char t[32];
    th_time_format_iso(ms, t);
    th_jw_cstr(w, t);
}
