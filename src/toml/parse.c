/* TOML document structure: keys, tables, arrays of tables, inline tables,
 * arrays, and the TOML 1.0 rules on what may be defined where.
 *
 * Every node is allocated as a `node` whose first member is the public
 * th_toml, so the parser can keep per-node bookkeeping (how a table came to
 * exist, its depth, a hash index of its keys) without widening the public
 * struct. */
#include <stdlib.h>
#include <string.h>

#include "base/limits.h"
#include "base/vec.h"
#include "toml/toml_int.h"

enum {
    F_DEFINED = 1 << 0,  /* table written as a [header] (or an element of [[x]]) */
    F_IMPLICIT = 1 << 1, /* table created as a prefix of a header: may be defined once */
    F_DOTTED = 1 << 2,   /* table created by a dotted key: dotted keys may extend it */
    F_INLINE = 1 << 3,   /* inline table: closed once its '}' is read */
    F_AOT = 1 << 4,      /* array created by [[header]]: headers may append to it */
};

typedef struct node {
    th_toml v; /* must stay first: a node * is a th_toml * */
    unsigned flags;
    unsigned depth;
    uint32_t *index; /* open-addressing table of kv positions + 1, for big tables */
    size_t index_cap;
} node;

typedef struct seg {
    th_str key;
    size_t pos;
    unsigned line, col;
} seg;

typedef struct parser {
    tp t;
    TH_VEC(seg) segs;
} parser;

/* ---- nodes and tables --------------------------------------------------- */

/* pos is where the node starts; line and col are its position, computed by
 * the caller while it was at pos (positions are found by a forward scan, so
 * they must be asked for in input order to keep parsing linear). */
static node *new_node(parser *ps, th_toml_type type, size_t pos, unsigned line, unsigned col,
                      unsigned depth)
{
    if (depth > TH_MAX_TOML_DEPTH) {
        tp_err(&ps->t, pos, "nesting deeper than %d levels", TH_MAX_TOML_DEPTH);
        return NULL;
    }
    node *n = TH_ANEW(ps->t.a, node);
    n->v.type = type;
    n->depth = depth;
    n->v.line = line;
    n->v.col = col;
    return n;
}

/* A node starting at the cursor. */
static node *new_here(parser *ps, th_toml_type type, unsigned depth)
{
    unsigned line, col;
    tp_where(&ps->t, ps->t.pos, &line, &col);
    return new_node(ps, type, ps->t.pos, line, col, depth);
}

static void index_put(node *t, size_t kv)
{
    size_t mask = t->index_cap - 1;
    size_t h = (size_t)th_str_hash(t->v.u.tab.kvs[kv].key) & mask;
    while (t->index[h])
        h = (h + 1) & mask;
    t->index[h] = (uint32_t)(kv + 1);
}

static th_toml *tab_find(node *t, th_str key)
{
    th_toml_kv *kvs = t->v.u.tab.kvs;
    if (t->index) {
        size_t mask = t->index_cap - 1;
        for (size_t h = (size_t)th_str_hash(key) & mask; t->index[h]; h = (h + 1) & mask)
            if (th_str_eq(kvs[t->index[h] - 1].key, key))
                return kvs[t->index[h] - 1].val;
        return NULL;
    }
    for (size_t i = 0; i < t->v.u.tab.len; i++)
        if (th_str_eq(kvs[i].key, key))
            return kvs[i].val;
    return NULL;
}

static void tab_add(parser *ps, node *t, const seg *k, node *val)
{
    th_arena *a = ps->t.a;
    if (t->v.u.tab.len == t->v.u.tab.cap) {
        size_t cap = t->v.u.tab.cap ? t->v.u.tab.cap * 2 : 4;
        t->v.u.tab.kvs = th_arena_realloc(a, t->v.u.tab.kvs, t->v.u.tab.cap * sizeof(th_toml_kv),
                                          cap * sizeof(th_toml_kv));
        t->v.u.tab.cap = cap;
    }
    th_toml_kv *kv = &t->v.u.tab.kvs[t->v.u.tab.len++];
    kv->key = k->key;
    kv->line = k->line;
    kv->col = k->col;
    kv->val = &val->v;
    size_t len = t->v.u.tab.len;
    if (len >= 16 && len * 2 > t->index_cap) { /* (re)build the index */
        t->index_cap = t->index_cap ? t->index_cap * 4 : 64;
        t->index = TH_ANEWN(a, uint32_t, t->index_cap);
        for (size_t i = 0; i < len; i++)
            index_put(t, i);
    } else if (t->index) {
        index_put(t, len - 1);
    }
}

static void arr_push(parser *ps, node *arr, node *val)
{
    if (arr->v.u.arr.len == arr->v.u.arr.cap) {
        size_t cap = arr->v.u.arr.cap ? arr->v.u.arr.cap * 2 : 4;
        arr->v.u.arr.items =
            th_arena_realloc(ps->t.a, arr->v.u.arr.items, arr->v.u.arr.cap * sizeof(th_toml *),
                             cap * sizeof(th_toml *));
        arr->v.u.arr.cap = cap;
    }
    arr->v.u.arr.items[arr->v.u.arr.len++] = &val->v;
}

/* A key as shown in a message: control characters replaced, long keys cut
 * (at a character boundary) so a message stays one readable line. */
static const char *show(th_str k, char out[96])
{
    size_t n = 0, i = 0;
    for (; i < k.n && n < 64; i++) {
        unsigned char c = (unsigned char)k.p[i];
        out[n++] = (char)(c < 0x20 || c == 0x7f ? '?' : c);
    }
    if (i < k.n) {
        while (n > 0 && ((unsigned char)k.p[i] & 0xC0) == 0x80) { /* no half characters */
            n--;
            i--;
        }
        memcpy(out + n, "...", 3);
        n += 3;
    }
    out[n] = '\0';
    return out;
}

static const char *what(const th_toml *v)
{
    const node *n = (const node *)v;
    if (v->type == TH_TOML_TABLE)
        return n->flags & F_INLINE ? "an inline table" : "a table";
    if (v->type == TH_TOML_ARRAY)
        return n->flags & F_AOT ? "an array of tables" : "an array";
    return "a value";
}

/* ---- whitespace, comments, line ends ------------------------------------ */

static void skip_ws(tp *p)
{
    while (p->pos < p->n && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t'))
        p->pos++;
}

static bool skip_comment(tp *p)
{
    if (tp_peek(p, 0) != '#')
        return true;
    p->pos++;
    while (p->pos < p->n) {
        int c = (unsigned char)p->s[p->pos];
        if (c == '\n' || (c == '\r' && tp_peek(p, 1) == '\n'))
            break;
        if (tp_is_control(c))
            return tp_err(p, p->pos, "control character U+%04X in a comment", (unsigned)c);
        p->pos++;
    }
    return true;
}

static size_t newline_at(const tp *p)
{
    int c = tp_peek(p, 0);
    if (c == '\n')
        return 1;
    if (c == '\r' && tp_peek(p, 1) == '\n')
        return 2;
    return 0;
}

/* Whitespace, comments and newlines (inside arrays). */
static bool skip_ws_nl(tp *p)
{
    for (;;) {
        skip_ws(p);
        if (!skip_comment(p))
            return false;
        size_t nl = newline_at(p);
        if (!nl)
            return true;
        p->pos += nl;
    }
}

static bool end_of_line(tp *p, const char *after)
{
    skip_ws(p);
    if (!skip_comment(p))
        return false;
    if (tp_eof(p))
        return true;
    size_t nl = newline_at(p);
    if (!nl) {
        if (p->s[p->pos] == '\r')
            return tp_err(p, p->pos, "carriage return not followed by a newline");
        return tp_err(p, p->pos, "expected the end of the line after %s", after);
    }
    p->pos += nl;
    return true;
}

/* ---- keys ---------------------------------------------------------------- */

static bool bare_key_char(int c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
}

/* A (possibly dotted) key into ps->segs. */
static bool parse_key(parser *ps)
{
    tp *p = &ps->t;
    ps->segs.len = 0;
    for (;;) {
        skip_ws(p);
        seg k = {TH_STR_NULL, p->pos, 0, 0};
        tp_where(p, p->pos, &k.line, &k.col);
        int c = tp_peek(p, 0);
        if (c == '"' || c == '\'') {
            if (!tp_string(p, false, &k.key))
                return false;
        } else if (bare_key_char(c)) {
            size_t s = p->pos;
            while (bare_key_char(tp_peek(p, 0)))
                p->pos++;
            k.key = th_str_make(th_arena_strndup(p->a, p->s + s, p->pos - s), p->pos - s);
        } else if (c == -1) {
            return tp_err(p, p->pos, "expected a key, found the end of the file");
        } else if (c == '\n' || c == '\r') {
            return tp_err(p, p->pos, "expected a key, found the end of the line");
        } else {
            return tp_err(p, p->pos, "expected a key");
        }
        if (ps->segs.len >= TH_MAX_TOML_DEPTH)
            return tp_err(p, k.pos, "key has more than %d parts", TH_MAX_TOML_DEPTH);
        TH_VEC_PUSH(&ps->segs, k);
        skip_ws(p);
        if (tp_peek(p, 0) != '.')
            return true;
        p->pos++;
    }
}

/* ---- values -------------------------------------------------------------- */

static node *parse_value(parser *ps, unsigned depth);

/* Resolves the dotted prefix of ps->segs under tab for a key/value pair and
 * checks the last part is new. Returns the table to add to, or NULL. */
static node *keyval_target(parser *ps, node *tab)
{
    tp *p = &ps->t;
    char kb[96];
    node *t = tab;
    for (size_t i = 0; i + 1 < ps->segs.len; i++) {
        const seg *k = &ps->segs.items[i];
        node *v = (node *)tab_find(t, k->key);
        if (!v) {
            if (!(v = new_node(ps, TH_TOML_TABLE, k->pos, k->line, k->col, t->depth + 1)))
                return NULL;
            v->flags = F_DOTTED;
            tab_add(ps, t, k, v);
        } else if (v->v.type != TH_TOML_TABLE || !(v->flags & F_DOTTED) || (v->flags & F_INLINE)) {
            tp_err(p, k->pos, "cannot add keys to '%s': it is already defined as %s",
                   show(k->key, kb), what(&v->v));
            return NULL;
        }
        t = v;
    }
    const seg *last = &ps->segs.items[ps->segs.len - 1];
    if (tab_find(t, last->key)) {
        tp_err(p, last->pos, "duplicate key '%s'", show(last->key, kb));
        return NULL;
    }
    return t;
}

/* key = value, adding to tab. */
static bool keyval(parser *ps, node *tab)
{
    tp *p = &ps->t;
    if (!parse_key(ps))
        return false;
    if (tp_peek(p, 0) != '=')
        return tp_err(p, p->pos, "expected '=' after a key");
    p->pos++;
    skip_ws(p);
    node *t = keyval_target(ps, tab);
    if (!t)
        return false;
    seg last = ps->segs.items[ps->segs.len - 1]; /* parse_value reuses segs */
    node *v = parse_value(ps, t->depth + 1);
    if (!v)
        return false;
    tab_add(ps, t, &last, v);
    return true;
}

static node *parse_array(parser *ps, unsigned depth)
{
    tp *p = &ps->t;
    node *arr = new_here(ps, TH_TOML_ARRAY, depth);
    if (!arr)
        return NULL;
    size_t start = p->pos;
    p->pos++;
    for (;;) {
        if (!skip_ws_nl(p))
            return NULL;
        if (tp_peek(p, 0) == ']') {
            p->pos++;
            return arr;
        }
        node *v = parse_value(ps, depth + 1);
        if (!v)
            return NULL;
        arr_push(ps, arr, v);
        if (!skip_ws_nl(p))
            return NULL;
        int c = tp_peek(p, 0);
        if (c == ',') {
            p->pos++;
            continue;
        }
        if (c == ']') {
            p->pos++;
            return arr;
        }
        if (c == -1)
            tp_err(p, start, "unterminated array");
        else
            tp_err(p, p->pos, "expected ',' or ']' in an array");
        return NULL;
    }
}

static node *parse_inline_table(parser *ps, unsigned depth)
{
    tp *p = &ps->t;
    node *tab = new_here(ps, TH_TOML_TABLE, depth);
    if (!tab)
        return NULL;
    size_t start = p->pos;
    p->pos++;
    skip_ws(p);
    if (tp_peek(p, 0) == '}') {
        p->pos++;
        tab->flags = F_INLINE;
        return tab;
    }
    for (;;) {
        if (!keyval(ps, tab))
            return NULL;
        skip_ws(p);
        int c = tp_peek(p, 0);
        if (c == '}') {
            p->pos++;
            tab->flags = F_INLINE;
            return tab;
        }
        if (c == ',') {
            p->pos++;
            skip_ws(p);
            if (tp_peek(p, 0) == '}') {
                tp_err(p, p->pos, "trailing comma in an inline table");
                return NULL;
            }
            continue;
        }
        if (c == -1)
            tp_err(p, start, "unterminated inline table");
        else if (c == '\n' || c == '\r' || c == '#')
            tp_err(p, p->pos, "an inline table must be on one line");
        else
            tp_err(p, p->pos, "expected ',' or '}' in an inline table");
        return NULL;
    }
}

static bool word_at(const tp *p, const char *w)
{
    size_t n = strlen(w);
    return p->n - p->pos >= n && memcmp(p->s + p->pos, w, n) == 0;
}

static node *parse_value(parser *ps, unsigned depth)
{
    tp *p = &ps->t;
    int c = tp_peek(p, 0);
    node *v;
    switch (c) {
    case '"':
    case '\'':
        if (!(v = new_here(ps, TH_TOML_STRING, depth)))
            return NULL;
        return tp_string(p, true, &v->v.u.str) ? v : NULL;
    case '[': return parse_array(ps, depth);
    case '{': return parse_inline_table(ps, depth);
    case -1: tp_err(p, p->pos, "expected a value, found the end of the file"); return NULL;
    case '\n':
    case '\r': tp_err(p, p->pos, "expected a value, found the end of the line"); return NULL;
    default: break;
    }
    if (!(v = new_here(ps, TH_TOML_BOOL, depth)))
        return NULL;
    if (word_at(p, "true") || word_at(p, "false")) {
        v->v.u.b = c == 't';
        p->pos += c == 't' ? 4 : 5;
        return v;
    }
    if ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == 'i' || c == 'n')
        return tp_number_or_datetime(p, &v->v) ? v : NULL;
    tp_err(p, p->pos, "expected a value");
    return NULL;
}

/* ---- headers and the document -------------------------------------------- */

/* [a.b.c] or [[a.b.c]]: p->pos is at the first '['. Returns the new current table. */
static node *header(parser *ps, node *root)
{
    tp *p = &ps->t;
    char kb[96];
    size_t start = p->pos;
    unsigned sl, sc; /* the header's position, for the tables it creates */
    tp_where(p, start, &sl, &sc);
    bool aot = tp_peek(p, 1) == '[';
    p->pos += aot ? 2 : 1;
    if (!parse_key(ps))
        return NULL;
    if (tp_peek(p, 0) != ']' || (aot && tp_peek(p, 1) != ']')) {
        tp_err(p, p->pos,
               aot ? "expected ']]' to close an array-of-tables header"
                   : "expected ']' to close a table header");
        return NULL;
    }
    p->pos += aot ? 2 : 1;
    node *t = root;
    for (size_t i = 0; i + 1 < ps->segs.len; i++) {
        const seg *k = &ps->segs.items[i];
        node *v = (node *)tab_find(t, k->key);
        if (!v) {
            if (!(v = new_node(ps, TH_TOML_TABLE, start, sl, sc, t->depth + 1)))
                return NULL;
            v->flags = F_IMPLICIT;
            tab_add(ps, t, k, v);
        } else if (v->v.type == TH_TOML_ARRAY && (v->flags & F_AOT)) {
            v = (node *)v->v.u.arr.items[v->v.u.arr.len - 1];
        } else if (v->v.type != TH_TOML_TABLE || (v->flags & F_INLINE)) {
            tp_err(p, k->pos, "cannot define a table under '%s': it is %s", show(k->key, kb),
                   what(&v->v));
            return NULL;
        }
        t = v;
    }
    const seg *last = &ps->segs.items[ps->segs.len - 1];
    node *v = (node *)tab_find(t, last->key);
    if (aot) {
        if (!v) {
            if (!(v = new_node(ps, TH_TOML_ARRAY, start, sl, sc, t->depth + 1)))
                return NULL;
            v->flags = F_AOT;
            tab_add(ps, t, last, v);
        } else if (v->v.type != TH_TOML_ARRAY || !(v->flags & F_AOT)) {
            tp_err(p, last->pos, "cannot append to '%s' as an array of tables: it is %s",
                   show(last->key, kb), what(&v->v));
            return NULL;
        }
        node *elem = new_node(ps, TH_TOML_TABLE, start, sl, sc, v->depth + 1);
        if (!elem)
            return NULL;
        elem->flags = F_DEFINED;
        arr_push(ps, v, elem);
        return elem;
    }
    if (!v) {
        if (!(v = new_node(ps, TH_TOML_TABLE, start, sl, sc, t->depth + 1)))
            return NULL;
        v->flags = F_DEFINED;
        tab_add(ps, t, last, v);
        return v;
    }
    if (v->v.type == TH_TOML_TABLE && v->flags == F_IMPLICIT) {
        v->flags = F_DEFINED;
        v->v.line = sl;
        v->v.col = sc;
        return v;
    }
    if (v->v.type == TH_TOML_TABLE && !(v->flags & F_INLINE))
        tp_err(p, last->pos, "table '%s' is already defined", show(last->key, kb));
    else
        tp_err(p, last->pos, "cannot define '%s' as a table: it is already %s", show(last->key, kb),
               what(&v->v));
    return NULL;
}

static node *document(parser *ps)
{
    tp *p = &ps->t;
    node *root = new_node(ps, TH_TOML_TABLE, 0, 1, 1, 0);
    root->flags = F_DEFINED;
    node *cur = root;
    if (p->n >= 3 && memcmp(p->s, "\xEF\xBB\xBF", 3) == 0)
        p->pos = 3; /* a byte order mark at the start is allowed */
    while (!tp_eof(p)) {
        skip_ws(p);
        int c = tp_peek(p, 0);
        if (c == '#' || c == '\n' || c == '\r' || c == -1) {
            if (!end_of_line(p, "a comment"))
                return NULL;
        } else if (c == '[') {
            if (!(cur = header(ps, root)) || !end_of_line(p, "a table header"))
                return NULL;
        } else {
            if (!keyval(ps, cur) || !end_of_line(p, "a value"))
                return NULL;
        }
    }
    return root;
}

th_toml *th_toml_parse(th_arena *a, const char *buf, size_t len, const char *file, th_diags *diags)
{
    parser ps;
    memset(&ps, 0, sizeof ps);
    ps.t.s = buf ? buf : "";
    ps.t.n = buf ? len : 0;
    ps.t.file = file;
    ps.t.diags = diags;
    ps.t.a = a;
    ps.t.c_line = ps.t.c_col = 1;
    th_buf_init(&ps.t.scratch);
    node *root = tp_check_utf8(&ps.t) ? document(&ps) : NULL;
    th_buf_free(&ps.t.scratch);
    TH_VEC_FREE(&ps.t.lines);
    TH_VEC_FREE(&ps.t.conts);
    TH_VEC_FREE(&ps.segs);
    return root && !ps.t.failed ? &root->v : NULL;
}

/* ---- lookup -------------------------------------------------------------- */

th_toml *th_toml_get(const th_toml *t, const char *key)
{
    if (!t || t->type != TH_TOML_TABLE || !key)
        return NULL;
    th_str k = th_str_c(key);
    for (size_t i = 0; i < t->u.tab.len; i++)
        if (th_str_eq(t->u.tab.kvs[i].key, k))
            return t->u.tab.kvs[i].val;
    return NULL;
}

th_toml *th_toml_get_path(const th_toml *t, const char *dotted)
{
    if (!t || !dotted)
        return NULL;
    const th_toml *cur = t;
    const char *s = dotted;
    for (;;) {
        const char *dot = strchr(s, '.');
        size_t n = dot ? (size_t)(dot - s) : strlen(s);
        if (!cur || cur->type != TH_TOML_TABLE)
            return NULL;
        th_str k = th_str_make(s, n);
        const th_toml *next = NULL;
        for (size_t i = 0; i < cur->u.tab.len; i++)
            if (th_str_eq(cur->u.tab.kvs[i].key, k)) {
                next = cur->u.tab.kvs[i].val;
                break;
            }
        cur = next;
        if (!dot)
            return (th_toml *)cur;
        s = dot + 1;
    }
}

const char *th_toml_type_name(th_toml_type t)
{
    switch (t) {
    case TH_TOML_STRING: return "string";
    case TH_TOML_INTEGER: return "integer";
    case TH_TOML_FLOAT: return "float";
    case TH_TOML_BOOL: return "boolean";
    case TH_TOML_DATETIME: return "offset date-time";
    case TH_TOML_DATETIME_LOCAL: return "local date-time";
    case TH_TOML_DATE_LOCAL: return "local date";
    case TH_TOML_TIME_LOCAL: return "local time";
    case TH_TOML_ARRAY: return "array";
    case TH_TOML_TABLE: return "table";
    }
    return "unknown";
}
