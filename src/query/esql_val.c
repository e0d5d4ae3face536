/* ES|QL values (esql_int.h): reading a column from ECS documents with the
 * type the field schema gives it, comparing and printing values, and the
 * table's columns. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/timeutil.h"
#include "ecs/javafmt.h"
#include "ecs/schema.h"
#include "query/cnode.h"
#include "query/esql_int.h"

const char *th_ev_type_name(uint8_t t)
{
    static const char *const n[] = {"null", "keyword", "long", "double", "boolean", "date", "ip",
                                    "time_duration"};
    return t <= EV_SPAN ? n[t] : "?";
}

ev th_ev_make(th_arena *a, uint8_t t, const ev_s *vals, uint32_t n)
{
    ev v = {t, n, {.one = {.i = 0}}};
    if (n == 0) {
        v.t = EV_NULL;
        return v;
    }
    if (n == 1) {
        v.one = vals[0];
        return v;
    }
    v.many = TH_ANEWN(a, ev_s, n);
    memcpy(v.many, vals, n * sizeof(ev_s));
    return v;
}

static bool is_num(uint8_t t) { return t == EV_LONG || t == EV_DOUBLE; }
static bool is_str(uint8_t t) { return t == EV_KW || t == EV_IP; }

bool th_ev_comparable(const ev *a, const ev *b)
{
    if (is_num(a->t) && is_num(b->t))
        return true;
    if (is_str(a->t) && is_str(b->t))
        return true;
    if ((a->t == EV_DATE && (b->t == EV_DATE || b->t == EV_KW)) || (b->t == EV_DATE && a->t == EV_KW))
        return true;
    return a->t == b->t;
}

static double as_double(uint8_t t, ev_s s) { return t == EV_DOUBLE ? s.d : (double)s.i; }

static int cmp_ip(th_str x, th_str y)
{
    uint8_t a[16], b[16];
    if (th_q_parse_ip(x, a) && th_q_parse_ip(y, b))
        return memcmp(a, b, 16);
    return th_str_cmp(x, y);
}

static int64_t as_date(uint8_t t, ev_s s)
{
    if (t == EV_DATE || t == EV_LONG)
        return s.i;
    int64_t ms = 0;
    if (t == EV_KW)
        th_time_parse_iso(s.s.p, s.s.n, &ms);
    return ms;
}

int th_ev_cmp(const ev *a, uint32_t ia, const ev *b, uint32_t ib)
{
    ev_s x = ev_at(a, ia), y = ev_at(b, ib);
    if (is_num(a->t) && is_num(b->t)) {
        if (a->t == EV_LONG && b->t == EV_LONG)
            return x.i < y.i ? -1 : x.i > y.i;
        double dx = as_double(a->t, x), dy = as_double(b->t, y);
        return dx < dy ? -1 : dx > dy;
    }
    if (a->t == EV_DATE || b->t == EV_DATE) {
        int64_t dx = as_date(a->t, x), dy = as_date(b->t, y);
        return dx < dy ? -1 : dx > dy;
    }
    if (a->t == EV_IP || b->t == EV_IP)
        return cmp_ip(x.s, y.s);
    if (is_str(a->t))
        return th_str_cmp(x.s, y.s);
    return x.i < y.i ? -1 : x.i > y.i; /* boolean: false < true; spans */
}

th_str th_ev_text(th_arena *a, uint8_t t, ev_s s)
{
    char buf[64];
    switch (t) {
    case EV_KW:
    case EV_IP:
        return s.s;
    case EV_LONG:
    case EV_SPAN:
        snprintf(buf, sizeof buf, "%lld", (long long)s.i);
        break;
    case EV_DOUBLE:
    {
        th_buf b;
        th_buf_init(&b);
        th_java_double(&b, s.d); /* Double.toString, as Elasticsearch prints doubles */
        th_str o = th_str_make(th_arena_strndup(a, b.data, b.len), b.len);
        th_buf_free(&b);
        return o;
    }
    case EV_BOOL:
        return s.i ? TH_STR_LIT("true") : TH_STR_LIT("false");
    case EV_DATE:
        th_time_format_iso(s.i, buf);
        break;
    default:
        return TH_STR_NULL;
    }
    char *c = th_arena_strdup(a, buf);
    return th_str_c(c);
}

static th_jval *scalar_json(th_arena *a, uint8_t t, ev_s s)
{
    switch (t) {
    case EV_LONG:
        return th_jnew_i64(a, s.i);
    case EV_DOUBLE:
        return th_jnew_double(a, s.d);
    case EV_BOOL:
        return th_jnew_bool(a, s.i != 0);
    case EV_SPAN:
        return th_jnew_i64(a, s.i);
    default:
        return th_jnew_str(a, th_ev_text(a, t, s));
    }
}

th_jval *th_ev_json(th_arena *a, const ev *v)
{
    if (v->n == 0)
        return NULL;
    if (v->n == 1)
        return scalar_json(a, v->t, v->one);
    th_jval *arr = th_jnew_arr(a);
    for (uint32_t i = 0; i < v->n; i++)
        th_jarr_push(a, arr, scalar_json(a, v->t, v->many[i]));
    return arr;
}

/* ---- reading a field of a document --------------------------------------- */

typedef struct collect {
    th_arena *a;
    uint8_t t;
    ev_s *v;
    uint32_t n, cap;
    int ignore_above;
    ev_s one; /* the first value: most fields hold one, and it needs no array */
} collect;

static void push(collect *c, ev_s s)
{
    if (c->n == 0) {
        c->one = s;
        c->n = 1;
        return;
    }
    if (c->n >= c->cap) {
        uint32_t nc = c->cap ? c->cap * 2 : 4;
        c->v = th_arena_realloc(c->a, c->v, c->cap * sizeof(ev_s), nc * sizeof(ev_s));
        if (!c->cap)
            c->v[0] = c->one;
        c->cap = nc;
    }
    c->v[c->n++] = s;
}

static bool visit(const th_jval *v, void *ctx)
{
    collect *c = ctx;
    ev_s s;
    th_str txt;
    switch (c->t) {
    case EV_KW:
    case EV_IP:
        if (!th_jscalar_text(v, &txt))
            return true;
        /* a keyword longer than ignore_above is not indexed: no doc value */
        if (c->ignore_above > 0 && txt.n > (size_t)c->ignore_above &&
            th_q_utf16_len(txt) > (size_t)c->ignore_above)
            return true;
        s.s = txt;
        break;
    case EV_LONG: {
        double d;
        if (v->type == TH_JNUM && th_jnum_i64(v, &s.i))
            break;
        if ((v->type == TH_JNUM && th_jnum_double(v, &d)) ||
            (v->type == TH_JSTR && th_q_parse_number(v->u.str, &d))) {
            s.i = (int64_t)d;
            break;
        }
        return true;
    }
    case EV_DOUBLE:
        if ((v->type == TH_JNUM && th_jnum_double(v, &s.d)) ||
            (v->type == TH_JSTR && th_q_parse_number(v->u.str, &s.d)))
            break;
        return true;
    case EV_BOOL:
        if (v->type == TH_JTRUE || v->type == TH_JFALSE)
            s.i = v->type == TH_JTRUE;
        else if (v->type == TH_JSTR && (th_str_eqc(v->u.str, "true") || th_str_eqc(v->u.str, "false")))
            s.i = th_str_eqc(v->u.str, "true");
        else
            return true;
        break;
    case EV_DATE: {
        double d;
        if (v->type == TH_JSTR && th_time_parse_iso(v->u.str.p, v->u.str.n, &s.i))
            break;
        if (v->type == TH_JNUM && th_jnum_double(v, &d)) {
            s.i = (int64_t)d;
            break;
        }
        return true;
    }
    default:
        return true;
    }
    push(c, s);
    return true;
}

static uint8_t type_of_field(const th_field_def *d, const th_jval *first)
{
    if (!d) { /* dynamically mapped: by the value */
        if (!first)
            return EV_KW;
        if (first->type == TH_JTRUE || first->type == TH_JFALSE)
            return EV_BOOL;
        if (first->type == TH_JNUM) {
            int64_t i;
            return th_jnum_i64(first, &i) ? EV_LONG : EV_DOUBLE;
        }
        return EV_KW;
    }
    switch (d->type) {
    case TH_FT_KEYWORD:
    case TH_FT_CONSTANT_KEYWORD:
    case TH_FT_WILDCARD:
    case TH_FT_TEXT:
    case TH_FT_FLATTENED_LEAF:
        return EV_KW;
    case TH_FT_BOOLEAN: return EV_BOOL;
    case TH_FT_LONG: return EV_LONG;
    case TH_FT_DOUBLE: return EV_DOUBLE;
    case TH_FT_IP: return EV_IP;
    case TH_FT_DATE: return EV_DATE;
    case TH_FT_UNKNOWN: return EV_KW;
    default: return EV_NULL; /* objects, flattened roots, geo points: unsupported */
    }
}

static int cmp_scalar_kw(const void *x, const void *y)
{
    return th_str_cmp(((const ev_s *)x)->s, ((const ev_s *)y)->s);
}
static int cmp_scalar_i(const void *x, const void *y)
{
    int64_t a = ((const ev_s *)x)->i, b = ((const ev_s *)y)->i;
    return a < b ? -1 : a > b;
}
static int cmp_scalar_d(const void *x, const void *y)
{
    double a = ((const ev_s *)x)->d, b = ((const ev_s *)y)->d;
    return a < b ? -1 : a > b;
}

static bool first_scalar(const th_jval *v, void *ctx)
{
    if (v->type == TH_JNULL || v->type == TH_JOBJ)
        return true;
    *(const th_jval **)ctx = v;
    return false;
}

/* Values come back as Elasticsearch's doc values hold them: keyword and ip
 * sorted without duplicates, numbers and dates sorted; text (no doc values)
 * in source order. */
static void path_each(const th_esql_doc *in, th_str path, th_json_visit_fn fn, void *ctx)
{
    if (in->each)
        in->each(in->src, in->ctx, path, fn, ctx);
    else if (in->doc)
        th_json_path_each(in->doc, path, fn, ctx);
}

ev th_ev_from_doc(th_arena *a, const th_jval *doc, th_str field)
{
    th_esql_doc in = {.doc = doc};
    return th_ev_from_esql_doc(a, &in, field, th_schema_lookup(field));
}

ev th_ev_from_esql_doc(th_arena *a, const th_esql_doc *in, th_str field, const th_field_def *d)
{
    th_str path = field;
    bool text = d && d->type == TH_FT_TEXT;
    if (d && d->parent)
        path = th_str_c(d->parent);
    const th_jval *first = NULL;
    if (!d)
        path_each(in, path, first_scalar, &first);
    collect c = {a, type_of_field(d, first), NULL, 0, 0, d && !text ? d->ignore_above : 0, {.i = 0}};
    if (c.t == EV_NULL)
        return ev_null();
    path_each(in, path, visit, &c);
    if (c.n > 1 && !text) {
        if (c.t == EV_KW || c.t == EV_IP) {
            qsort(c.v, c.n, sizeof(ev_s), cmp_scalar_kw);
            uint32_t w = 1;
            for (uint32_t i = 1; i < c.n; i++)
                if (!th_str_eq(c.v[i].s, c.v[w - 1].s))
                    c.v[w++] = c.v[i];
            c.n = w;
        } else if (c.t == EV_DOUBLE) {
            qsort(c.v, c.n, sizeof(ev_s), cmp_scalar_d);
        } else {
            qsort(c.v, c.n, sizeof(ev_s), cmp_scalar_i);
        }
    }
    ev v = {c.t, c.n, {.one = {.i = 0}}};
    if (c.n == 0)
        v.t = EV_NULL;
    else if (c.n == 1)
        v.one = c.cap ? c.v[0] : c.one;
    else
        v.many = c.v;
    return v;
}

/* ---- table columns ------------------------------------------------------- */

static void add_col(erun *r, etab *t, th_str name, ev *vals)
{
    if (t->ncols == t->capcols) {
        size_t nc = t->capcols ? t->capcols * 2 : 16;
        t->names = th_arena_realloc(r->a, t->names, t->capcols * sizeof(th_str), nc * sizeof(th_str));
        t->cols = th_arena_realloc(r->a, t->cols, t->capcols * sizeof(ev *), nc * sizeof(ev *));
        t->capcols = nc;
    }
    t->names[t->ncols] = name;
    t->cols[t->ncols] = vals;
    t->ncols++;
}

long th_etab_find(const etab *t, th_str name)
{
    for (size_t c = 0; c < t->ncols; c++)
        if (th_str_eq(t->names[c], name))
            return (long)c;
    return -1;
}

/* The rows' keys (th_esql_doc.key) seen while a column loads, each with the
 * first row that had it: open addressing over pointers, grown at half full;
 * or, where the keys hold ids (th_esql_key_ids_fn), by id in blocks of
 * KEYBLOCK made as ids come (bl[id / KEYBLOCK][id % KEYBLOCK]: the first
 * row + 1, 0: none yet), two reads where the hash took 19 instructions a
 * row (b100k pack). Blocks, not one table of every id: a column meets ids
 * of its rows' time and a few old ones (the engine's lists, 1.7M on the
 * 1 GB file: a flat table held 6.7 MB more at the peak). A column whose
 * keys are nearly all distinct (timestamps, request ids) stops looking
 * them up after its first KEYMAP_PROBE rows: the map would only cost there. */
enum { KEYMAP_PROBE = 4096, KEY_AHEAD = 8, KEYBLOCK = 1024 };
/* a block of ids not met yet (never written: one is allocated where a
 * first row is recorded), so that a look-up by id tests no block */
static const uint32_t nofirst[KEYBLOCK];
typedef struct keyrow {
    const void *key;
    size_t row;
} keyrow;
typedef struct keymap {
    keyrow *slot;
    size_t cap, len, tries;
    bool off;
    const uint32_t **bl; /* by id (nbl blocks, nofirst where none yet), else NULL */
    size_t nbl, at; /* at: where a key holds its id */
} keymap;

static size_t key_slot(const keymap *m, const void *key)
{
    return (size_t)((uint64_t)(uintptr_t)key * 0x9E3779B97F4A7C15ull >> 40) & (m->cap - 1);
}

/* no more look-ups */
static void keymap_free(keymap *m)
{
    for (size_t i = 0; m->bl && i < m->nbl; i++)
        if (m->bl[i] != nofirst)
            free((uint32_t *)m->bl[i]);
    free(m->bl);
    free(m->slot);
    *m = (keymap){.off = true};
}

/* the first row of key's id, else SIZE_MAX (and row is recorded as its
 * first) */
static inline size_t id_row(keymap *m, const void *key, size_t row)
{
    uint32_t id;
    memcpy(&id, (const char *)key + m->at, sizeof id);
    uint32_t first = m->bl[id / KEYBLOCK][id % KEYBLOCK];
    if (first)
        return first - 1;
    if (m->bl[id / KEYBLOCK] == nofirst)
        m->bl[id / KEYBLOCK] = th_xcalloc(KEYBLOCK, sizeof(uint32_t));
    ((uint32_t *)m->bl[id / KEYBLOCK])[id % KEYBLOCK] = (uint32_t)row + 1; /* a block of its own */
    m->len++;
    return SIZE_MAX;
}

/* the first row with key, else SIZE_MAX (and row is recorded as its first);
 * in line: a column's rows call it for every key not the row before's (out
 * of line, its calls cost 5% of the ES|QL pass's instructions) */
__attribute__((always_inline)) static inline size_t key_row(keymap *m, const void *key, size_t row)
{
    if (m->off)
        return SIZE_MAX;
    if (++m->tries == KEYMAP_PROBE && m->len * 2 > m->tries) {
        keymap_free(m);
        return SIZE_MAX;
    }
    if (m->bl)
        return id_row(m, key, row);
    if (m->len * 2 >= m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 256;
        keymap g = {
            .slot = th_xcalloc(cap, sizeof(keyrow)), .cap = cap, .len = m->len, .tries = m->tries};
        for (size_t i = 0; i < m->cap; i++) {
            if (!m->slot[i].key)
                continue;
            size_t j = key_slot(&g, m->slot[i].key);
            while (g.slot[j].key)
                j = (j + 1) & (g.cap - 1);
            g.slot[j] = m->slot[i];
        }
        free(m->slot);
        *m = g;
    }
    size_t j = key_slot(m, key);
    for (; m->slot[j].key; j = (j + 1) & (m->cap - 1))
        if (m->slot[j].key == key)
            return m->slot[j].row;
    m->slot[j] = (keyrow){key, row};
    m->len++;
    return SIZE_MAX;
}

/* The dates of a column, remembered from text to text: th_time_parse_iso_day's
 * day, and the minute of the last text of the form `YYYY-MM-DDTHH:MM:SS.mmmZ`
 * that parsed (its first 17 characters and their instant). Such a text's
 * value is its day's first instant plus its time of day (timeutil.c), so
 * one that shares those 17 characters and is of that form has the value of
 * the minute plus its seconds and milliseconds: times in time order share
 * their minute with the row before for most rows, and skip the parse. */
typedef struct datememo {
    th_time_daymemo dm;
    char min[17];
    bool set;
    int64_t min_ms;
} datememo;

/* the milliseconds into the minute of `SS.mmmZ` at s (the last 7 of a text
 * of 24 characters), with a second up to 59; else -1 (in line: gcc made it
 * a call: 0.34 M of the b100k pack's dates) */
__attribute__((always_inline)) static inline int64_t usual_in_minute(const char *p)
{
    const unsigned char *s = (const unsigned char *)p;
#define DIGIT(i) ((unsigned)s[i] - '0')
    if (s[2] != '.' || s[6] != 'Z' || (DIGIT(0) > 9) | (DIGIT(1) > 9) | (DIGIT(3) > 9) | (DIGIT(4) > 9) |
                                          (DIGIT(5) > 9))
        return -1;
    unsigned sec = DIGIT(0) * 10 + DIGIT(1), ms = DIGIT(3) * 100 + DIGIT(4) * 10 + DIGIT(5);
#undef DIGIT
    return sec > 59 ? -1 : (int64_t)sec * 1000 + ms;
}

/* p[0..n) is of the form `YYYY-MM-DDTHH:MM:SS.mmmZ` from its `T` on (hour
 * up to 23, minute and second up to 59): the form th_time_parse_iso_day
 * remembers the day of */
static bool usual_from_t(const char *p, size_t n)
{
    if (n != 24 || p[10] != 'T' || p[13] != ':' || p[16] != ':')
        return false;
    const unsigned char *s = (const unsigned char *)p;
    if ((unsigned)s[11] - '0' > 9 || (unsigned)s[12] - '0' > 9 || (unsigned)s[14] - '0' > 9 ||
        (unsigned)s[15] - '0' > 9)
        return false;
    unsigned h = (s[11] - '0') * 10u + (s[12] - '0'), mi = (s[14] - '0') * 10u + (s[15] - '0');
    return h <= 23 && mi <= 59 && usual_in_minute(p + 17) >= 0;
}

/* the first 17 characters of p are min's: two words and a byte (in line:
 * memcmp of 17 bytes is a call per row here) */
static inline bool same_minute(const char *p, const char *min)
{
    uint64_t a, b, c, d;
    memcpy(&a, p, 8);
    memcpy(&b, p + 8, 8);
    memcpy(&c, min, 8);
    memcpy(&d, min + 8, 8);
    return ((a ^ c) | (b ^ d)) == 0 && p[16] == min[16];
}

/* A date field's cell from its texts (th_esql_texts), where they hold none
 * (NULL) or one string without escapes (the instant th_ev_from_esql_doc's
 * visit takes from it, or NULL where it is no date), into *out; false for
 * anything else (th_ev_from_esql_doc reads it). In line: once per row of a
 * date column (times: each row's text is new). */
__attribute__((always_inline)) static inline bool date_from_texts(datememo *m, th_esql_texts tx, ev *out)
{
    if (tx.n == 0) {
        *out = ev_null();
        return true;
    }
    th_str s = tx.v[0];
    if (tx.n != 1 || s.n < 2 || s.p[0] != '"' || s.p[s.n - 1] != '"')
        return false;
    const char *p = s.p + 1;
    size_t n = s.n - 2;
    ev v = {EV_DATE, 1, {.one = {.i = 0}}};
    if (n == 24 && m->set && same_minute(p, m->min)) {
        /* the minute's characters are those of a text that parsed, the
         * rest digits and separators: no escape either */
        int64_t in = usual_in_minute(p + 17);
        if (in >= 0) {
            v.one.i = m->min_ms + in;
            *out = v;
            return true;
        }
    }
    if (memchr(p, '\\', n))
        return false;
    if (!th_time_parse_iso_day(&m->dm, p, n, &v.one.i)) {
        *out = ev_null();
        return true;
    }
    if (usual_from_t(p, n)) {
        memcpy(m->min, p, sizeof m->min);
        m->min_ms = v.one.i - usual_in_minute(p + 17);
        m->set = true;
    }
    *out = v;
    return true;
}

/* A date field's cell read from its texts where each gives them
 * (date_from_texts), else through th_ev_from_esql_doc; missing is NULL, as
 * there. */
static ev date_cell(th_arena *a, const th_esql_doc *in, th_str name, const th_field_def *d, datememo *dm)
{
    th_esql_texts tx;
    ev v;
    if (in->each && in->each(in->src, in->ctx, name, NULL, &tx) && date_from_texts(dm, tx, &v))
        return v;
    return th_ev_from_esql_doc(a, in, name, d);
}

static esql_ids *ids_entry(esql_idset *s, const ev *col)
{
    for (size_t i = 0; s && i < s->nids; i++)
        if (s->ids[i].col == col)
            return &s->ids[i];
    return NULL;
}

const esql_ids *th_esql_ids_of(const erun *r, const ev *col)
{
    return ids_entry(r->ids, col);
}

void th_esql_ids_add(erun *r, const ev *col, uint32_t *ids, uint32_t n)
{
    if (r->ids && r->ids->nids < ESQL_IDCOLS)
        r->ids->ids[r->ids->nids++] = (esql_ids){.col = col, .ids = ids, .n = n};
}

void th_esql_ids_classes(erun *r, const ev *col, uint32_t *cls, uint32_t ncls)
{
    esql_idset *s = r->ids;
    esql_ids *d = ids_entry(s, col);
    if (!d || d->cls || s->nbuf >= ESQL_IDCOLS) {
        free(cls);
        return;
    }
    s->buf[s->nbuf++] = cls;
    d->cls = cls;
    d->ncls = ncls;
}

const uint32_t *th_esql_ids_values(erun *r, const etab *t, const ev *col)
{
    esql_idset *s = r->ids;
    esql_ids *d = ids_entry(s, col);
    if (!d || !d->cls || d->vals)
        return d ? d->vals : NULL;
    if (s->nbuf >= ESQL_IDCOLS)
        return NULL;
    uint32_t *v = th_xmalloc((t->nrows ? t->nrows : 1) * sizeof *v);
    const uint32_t *ids = d->ids, *cls = d->cls; /* every id has a class */
    for (size_t row = 0; row < t->nrows; row++)
        v[row] = cls[ids[row]];
    s->buf[s->nbuf++] = v;
    d->vals = v;
    return v;
}

void th_esql_ids_compact(erun *r, const etab *t, const size_t *at, size_t n)
{
    esql_idset *s = r->ids;
    if (!s)
        return;
    size_t w = 0;
    for (size_t i = 0; i < s->nids; i++) {
        bool in = false; /* a column dropped may lie in a freed scratch arena */
        for (size_t c = 0; c < t->ncols && !in; c++)
            in = t->cols[c] == s->ids[i].col;
        if (in)
            s->ids[w++] = s->ids[i];
    }
    s->nids = w;
    if (!at)
        return;
    for (size_t i = 0; i < s->nids; i++) {
        bool done = false; /* an EVAL's column shares its key column's array */
        for (size_t j = 0; j < i && !done; j++)
            done = s->ids[j].ids == s->ids[i].ids;
        for (size_t k = 0; k < n && !done; k++)
            s->ids[i].ids[k] = s->ids[i].ids[at[k]];
        for (size_t k = 0; s->ids[i].vals && k < n; k++) /* a column's own */
            s->ids[i].vals[k] = s->ids[i].vals[at[k]];
    }
}

void th_esql_ids_free(th_esql_ids *s)
{
    for (size_t i = 0; s && i < s->nbuf; i++)
        free(s->buf[i]);
    free(s);
}

/* load_keyed's column and its state from row to row */
typedef struct kload {
    erun *r;
    th_arena *va;
    th_str name;
    const th_field_def *def;
    /* a date's texts from its key (a new one per row: times), not each */
    th_esql_key_texts_fn texts;
    const void *const *keys;
    /* or (th_esql_key_ids_fn's col) the keys' ids, kid[d] document d's,
     * and the keys by id: keys NULL */
    const uint32_t *kid;
    const void *const *by_id;
    ev *vals;
    const long *doc;
    size_t nrows;
    bool rows, date;
    th_esql_doc one;
    keymap km;
    datememo dm;
    /* the row before's key; none (a row without one, or before the first):
     * the map's address, which no key is, so one test finds a run */
    const void *prev;
    uint32_t prev_id; /* with kid: prev's id (UINT32_MAX: none, no id is) */
    ev last; /* the cell of the last row with key prev */
    uint32_t *ids, nid, last_id;
} kload;

/* document d's key */
static inline const void *key_of(const kload *k, long d)
{
    return k->kid ? k->by_id[k->kid[d]] : k->keys[d];
}

/* the row before's key becomes document d's (key) */
static inline void set_prev(kload *k, long d, const void *key)
{
    k->prev = key ? key : &k->km;
    if (k->kid)
        k->prev_id = k->kid[d];
}

/* One row of load_keyed that is not a run of the row before's key nor a
 * key the map finds by id: the column's general step. Out of line: the
 * rows of a broad rule's columns that come here are ~3% (b100k). */
__attribute__((noinline)) static void key_step(kload *k, size_t row)
{
    long d = k->doc[row];
    if (d < 0) {
        k->vals[row] = ev_null();
        free(k->ids);
        k->ids = NULL;
        return;
    }
    const void *key = key_of(k, d);
    if (key == k->prev) {
        k->vals[row] = k->last;
        if (k->ids)
            k->ids[row] = k->last_id;
        return;
    }
    set_prev(k, d, key);
    size_t first = key ? key_row(&k->km, key, row) : SIZE_MAX;
    if (first != SIZE_MAX) { /* the map was on: no test of it below */
        k->last = k->vals[first];
        k->vals[row] = k->last;
        if (k->ids)
            k->ids[row] = k->last_id = k->ids[first];
        return;
    }
    /* where every row's key is new (timestamps: the map is off), each
     * is read next (th_ev_from_esql_doc: for captured rows, its
     * values' list), a cache miss per row; ask for it a few rows ahead */
    if (k->km.off && row + KEY_AHEAD < k->nrows && k->doc[row + KEY_AHEAD] >= 0)
        __builtin_prefetch(key_of(k, k->doc[row + KEY_AHEAD]));
    const th_esql_doc *in = &k->r->docs[d];
    if (k->rows) {
        k->one.src = th_esql_row_src((size_t)d);
        in = &k->one;
    }
    th_esql_texts tx;
    if (!(k->texts && key && k->texts(in->ctx, k->name, key, &tx) &&
          date_from_texts(&k->dm, tx, &k->last)))
        k->last = k->date ? date_cell(k->va, in, k->name, k->def, &k->dm)
                          : th_ev_from_esql_doc(k->va, in, k->name, k->def);
    k->vals[row] = k->last;
    if (k->ids && (!key || k->km.off)) { /* a row no other one can share with */
        free(k->ids);
        k->ids = NULL;
    }
    if (k->ids)
        k->ids[row] = k->last_id = k->nid++;
}

/* load_keyed's rows from row on while they are runs or keys the map finds
 * by id; returns the first row for key_step (nrows: none). In line with
 * own (row i is document i: t->doc is not read), with_ids (k->ids is
 * set), probing (the map may still stop: its hits are counted as
 * key_row's calls) and byid (k->kid is set: a row's id is read where its
 * key and the id it holds were) constants, a loop for each: the test of
 * ids per row was 2.5 instructions a row, and the count of hits past the
 * probe, which no longer stops anything, 1.7 M instructions over the
 * b100k pack. A row's cell is copied from where its key's first row has
 * it (cells are never written into: vals[first - 1] stays), at one place
 * for runs and hits: the cell held by value (24 bytes) lived on the stack
 * (GCC spilled it), stored there on each hit and read back on each row
 * (~31 instructions a hit, ~13 a run, line-level). */
__attribute__((always_inline)) static inline size_t
keyed_run(kload *k, size_t row, bool own, bool with_ids, bool probing, bool byid)
{
    const size_t nrows = k->nrows;
    const long *doc = k->doc;
    const void *const *keys = k->keys;
    ev *vals = k->vals;
    const uint32_t *const *bl = k->km.bl;
    const size_t at = k->km.at;
    /* key_row's calls left before the one that may stop the map (none by
     * id where the map is off or hashes its keys) */
    size_t left = !probing                     ? SIZE_MAX
                  : !bl || k->km.off           ? 0
                  : k->km.tries < KEYMAP_PROBE ? KEYMAP_PROBE - 1 - k->km.tries
                                               : SIZE_MAX;
    const size_t left0 = left;
    const void *prev = k->prev;
    const uint32_t *kid = k->kid;
    uint32_t prev_id = k->prev_id;
    const ev *last = &k->last; /* the cell of the last row with key prev */
    uint32_t *ids = k->ids, last_id = k->last_id;
    for (; row < nrows; row++) {
        long d = own ? (long)row : doc[row];
        if (!own && d < 0)
            break;
        uint32_t id = 0;
        const void *key = NULL;
        bool same;  /* a run: the row before's key */
        if (byid) { /* every document has a key (th_esql_key_ids_fn) */
            id = kid[d];
            same = id == prev_id;
        } else {
            key = keys[d];
            same = key == prev;
            if (!same && !key)
                break;
            if (!same)
                memcpy(&id, (const char *)key + at, sizeof id);
        }
        if (!same) { /* a key met before (a hit), else the step's */
            if (probing && left == 0)
                break;
            uint32_t first = bl[id / KEYBLOCK][id % KEYBLOCK];
            if (!first)
                break;
            if (probing)
                left--;
            if (byid)
                prev_id = id;
            else
                prev = key;
            last = &vals[first - 1];
            if (with_ids)
                last_id = ids[first - 1];
        }
        vals[row] = *last;
        if (with_ids)
            ids[row] = last_id;
    }
    if (probing)
        k->km.tries += left0 - left; /* the hits above were key_row's calls */
    if (byid) {
        k->prev = prev_id == k->prev_id ? k->prev : k->by_id[prev_id];
        k->prev_id = prev_id;
    } else {
        k->prev = prev;
    }
    k->last = *last;
    k->last_id = last_id;
    return row;
}

/* load_keyed's rows of a date column read from its keys' texts once its
 * map stopped and its cell ids went (times: a new key nearly every row,
 * ~65k of the b100k pack's rows) from row on, while they have a key:
 * key_step's steps for such a row (a run, else the texts, else
 * date_cell), without its call and the tests it makes for other columns.
 * Returns the first row for key_step (nrows: none). */
static size_t keyed_dates(kload *k, size_t row)
{
    const size_t nrows = k->nrows;
    const long *doc = k->doc;
    ev *vals = k->vals;
    const void *prev = k->prev;
    long pd = -1; /* the document whose key prev became here */
    ev last = k->last;
    for (; row < nrows; row++) {
        long d = doc[row];
        if (d < 0)
            break;
        const void *key = key_of(k, d);
        if (key == prev) {
            vals[row] = last;
            continue;
        }
        if (!key)
            break;
        prev = key;
        pd = d;
        if (row + KEY_AHEAD < nrows && doc[row + KEY_AHEAD] >= 0)
            __builtin_prefetch(key_of(k, doc[row + KEY_AHEAD]));
        const th_esql_doc *in = &k->r->docs[d];
        if (k->rows) {
            k->one.src = th_esql_row_src((size_t)d);
            in = &k->one;
        }
        th_esql_texts tx;
        if (!(k->texts(in->ctx, k->name, key, &tx) && date_from_texts(&k->dm, tx, &last)))
            last = date_cell(k->va, in, k->name, k->def, &k->dm);
        vals[row] = last;
    }
    if (pd >= 0)
        set_prev(k, pd, prev);
    k->last = last;
    return row;
}

/* th_esql_key_ids_fn's answer for a column */
typedef struct keyids {
    size_t at;
    uint32_t bound;
    const uint32_t *col; /* NULL: keys given */
    const void *const *by_id;
} keyids;

/* keyed_run for the state of k's map and ids, with byid a constant */
__attribute__((always_inline)) static inline size_t keyed_loop(kload *k, size_t row, bool own,
                                                               bool byid)
{
    if (k->km.bl && !k->km.off && k->km.tries >= KEYMAP_PROBE) /* past the probe: no stop */
        return own ? (k->ids ? keyed_run(k, row, true, true, false, byid)
                             : keyed_run(k, row, true, false, false, byid))
                   : (k->ids ? keyed_run(k, row, false, true, false, byid)
                             : keyed_run(k, row, false, false, false, byid));
    if (own)
        return k->ids ? keyed_run(k, row, true, true, true, byid)
                      : keyed_run(k, row, true, false, true, byid);
    return k->ids ? keyed_run(k, row, false, true, true, byid)
                  : keyed_run(k, row, false, false, true, byid);
}

/* th_etab_col's loop where the documents gave every key at once (captured
 * rows): the general loop's cells. Most rows either repeat the row
 * before's key (a run of one dataset, outcome, user) or, where the keys
 * hold ids, a key met before (a user or an action come back): those two
 * take the cell they share here, with the row before's and the map by ids
 * in locals (b100k: 1.37M of the 1.44M rows of the pack's columns; the
 * map in memory, tested for being off and probed through its struct,
 * cost ~50 instructions a hit); any other row is key_step's. The map's
 * tries are key_row's, counted here until its probe (KEYMAP_PROBE), so
 * it stops at the same row. */
static void load_keyed(erun *r, th_arena *va, const etab *t, th_str name, const th_field_def *def,
                       bool date, const void *const *keys, const keyids *ki, ev *vals)
{
    kload k = {.r = r,
               .va = va,
               .name = name,
               .def = def,
               .texts = date ? r->texts : NULL,
               .keys = keys,
               .kid = ki ? ki->col : NULL,
               .by_id = ki ? ki->by_id : NULL,
               .vals = vals,
               .doc = t->doc,
               .nrows = t->nrows,
               .date = date,
               .prev_id = UINT32_MAX,
               .last = ev_null()};
    k.prev = &k.km;
    const th_esql_doc *docs = r->docs;
    if (ki) { /* by the keys' ids */
        k.km.at = ki->at;
        k.km.nbl = ki->bound / KEYBLOCK + 1;
        k.km.bl = th_xmalloc(k.km.nbl * sizeof(uint32_t *));
        for (size_t i = 0; i < k.km.nbl; i++)
            k.km.bl[i] = nofirst;
    }
    /* rows of one source (esql.h): a key not met before reads its row as
     * docs[0] with the row's src */
    k.rows = th_esql_docs_rows(docs);
    k.one = docs[0];
    /* the prefix's columns get cell ids (esql_ids): a key's index in order
     * of first appearance, where every row has a key the map answered */
    k.ids = r->prefix && r->ids && r->ids->nbuf < ESQL_IDCOLS && k.nrows < UINT32_MAX &&
                    th_esql_memo_reads(r->q, name)
                ? th_xmalloc((k.nrows ? k.nrows : 1) * sizeof(uint32_t))
                : NULL;
    /* every row its document's (rows0): no doc to read nor test per row */
    const bool own = t->doc == r->rows0 && t->nrows == r->ndocs;
    size_t row = 0;
    while (row < k.nrows) {
        if (k.km.off && k.texts && !k.ids)
            row = keyed_dates(&k, row);
        else if (k.kid)
            row = keyed_loop(&k, row, own, true);
        else /* keys (the engine's captured rows give ids): the loops that read doc only */
            row = keyed_loop(&k, row, false, false);
        if (row < k.nrows)
            key_step(&k, row++);
    }
    keymap_free(&k.km);
    if (k.ids) {
        r->ids->buf[r->ids->nbuf++] = k.ids;
        th_esql_ids_add(r, vals, k.ids, k.nid);
    }
}

long th_etab_col(erun *r, etab *t, th_str name)
{
    long c = th_etab_find(t, name);
    if (c >= 0 || !r->source)
        return c;
    /* every cell is written below: no zeroing first (a column is 2-3 MB on a broad rule) */
    th_arena *va = th_esql_col_arena(r, name);
    ev *vals = th_arena_alloc(va, (t->nrows ? t->nrows : 1) * sizeof(ev));
    const th_field_def *def = th_schema_lookup(name); /* once per column */
    enum { SOURCE, META_ID, META_INDEX, META_VERSION } kind =
        th_str_eqc(name, "_id") ? META_ID : th_str_eqc(name, "_index") ? META_INDEX
        : th_str_eqc(name, "_version") ? META_VERSION : SOURCE;
    /* a document whose key (not for metadata: per document) an earlier row
     * had takes that row's cell: the same values, so the same cell (cells
     * are never written into); the last row's key first, as keys come in runs */
    bool date = kind == SOURCE && def && def->type == TH_FT_DATE && !def->parent;
    if (date && r->ndocs && th_esql_docs_rows(r->docs) && r->docs[0].dates) {
        const int64_t *ts = r->docs[0].dates(r->docs[0].ctx, name, r->ndocs);
        if (ts) { /* the cells the texts give (th_esql_dates_fn), without them */
            for (size_t row = 0; row < t->nrows; row++) {
                long d = t->doc[row];
                vals[row] = d < 0 || ts[d] == TH_TIME_NONE
                                ? ev_null()
                                : (ev){EV_DATE, 1, {.one = {.i = ts[d]}}};
            }
            add_col(r, t, name, vals);
            return (long)t->ncols - 1;
        }
    }
    /* every document's key at once where the documents give them: as
     * their ids where they can (no key read per row), else the keys */
    if (kind == SOURCE && r->ndocs && r->docs[0].key) {
        keyids ki = {0};
        /* by the keys' ids, where a first row + 1 fits a block */
        bool byid = r->key_ids && t->nrows < UINT32_MAX &&
                    r->key_ids(r->docs[0].ctx, name, &ki.at, &ki.bound, &ki.col, &ki.by_id);
        const void *const *keys =
            byid && ki.col ? NULL : (const void *const *)r->docs[0].key(NULL, r->docs[0].ctx, name);
        if (keys || (byid && ki.col)) {
            load_keyed(r, va, t, name, def, date, keys, byid ? &ki : NULL, vals);
            add_col(r, t, name, vals);
            return (long)t->ncols - 1;
        }
    }
    keymap km = {0};
    datememo dm = {0};
    th_esql_key_fn kfn = NULL;
    const void *kctx = NULL, *prev = NULL;
    size_t prev_row = 0;
    for (size_t row = 0; row < t->nrows; row++) {
        long d = t->doc[row];
        if (d < 0) {
            vals[row] = ev_null();
            continue;
        }
        th_esql_doc one;
        const th_esql_doc *in = th_esql_doc_at(r->docs, (size_t)d, &one);
        if (kind != SOURCE) {
            vals[row] = kind == META_ID ? (in->id.p ? ev_kw(in->id) : ev_null())
                        : kind == META_INDEX ? (in->index.p ? ev_kw(in->index) : ev_null())
                        : ev_long(in->version);
            continue;
        }
        if (in->key && !kfn) {
            kfn = in->key;
            kctx = in->ctx;
        }
        const void *key = in->key == kfn && in->ctx == kctx && kfn ? kfn(in->src, in->ctx, name) : NULL;
        if (key && key == prev) {
            vals[row] = vals[prev_row];
            prev_row = row;
            continue;
        }
        size_t first = key ? key_row(&km, key, row) : SIZE_MAX;
        vals[row] = first != SIZE_MAX ? vals[first]
                    : date            ? date_cell(va, in, name, def, &dm)
                                      : th_ev_from_esql_doc(va, in, name, def);
        prev = key;
        prev_row = row;
    }
    free(km.slot);
    add_col(r, t, name, vals);
    return (long)t->ncols - 1;
}

void th_etab_set(erun *r, etab *t, th_str name, ev *vals)
{
    long c = th_etab_find(t, name);
    if (c >= 0) {
        memmove(t->names + c, t->names + c + 1, (t->ncols - (size_t)c - 1) * sizeof(th_str));
        memmove(t->cols + c, t->cols + c + 1, (t->ncols - (size_t)c - 1) * sizeof(ev *));
        t->ncols--;
    }
    add_col(r, t, name, vals);
}
