/* ES|QL rules in the temporal pass (SEMANTICS.md 7.2, 7.6): per scheduled run
 * the query runs over the matched events of the window [t - lookback, t]
 * (NOW() = t); every result row is an alert candidate, in the query's output
 * order.
 *  - Row-level queries with METADATA _id: the alert is the source document
 *    with each non-null column written over it as a flat dotted key; its id
 *    hashes the event and the rule, so overlapping runs never alert twice on
 *    one event; the first max_signals NEW rows alert.
 *  - Aggregating queries (any STATS), or rows without _id: the alert is the
 *    row alone; its id hashes the window, the query, the rule and the row
 *    position, so the same aggregate alerts again in every overlapping run
 *    that still satisfies it (as Kibana documents); the query runs with
 *    `| LIMIT max_signals` appended. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "base/sha256.h"
#include "base/timeutil.h"
#include "engine/internal.h"
#include "query/esql.h"

static th_jval *doc_of(th_engine *e, th_erule *r, size_t mi)
{
    if (!r->esql_docs)
        r->esql_docs = th_xcalloc(r->matches.len ? r->matches.len : 1, sizeof(th_jval *));
    if (!r->esql_docs[mi])
        r->esql_docs[mi] =
            th_alert_source(e, &e->docs.items[th_match_doc(r, &r->matches.items[mi])]);
    return r->esql_docs[mi];
}

static void agg_id(th_engine *e, th_erule *r, int64_t from, int64_t t, size_t row, char out[65])
{
    char f[32], to[32], rowt[32];
    th_time_format_iso(from, f);
    th_time_format_iso(t, to);
    int n = snprintf(rowt, sizeof rowt, "%zu", row);
    th_sha256 c;
    unsigned char dg[32];
    th_sha256_init(&c);
    th_sha256_update(&c, f, strlen(f));
    th_sha256_update(&c, to, strlen(to));
    th_sha256_update(&c, r->rule->query, strlen(r->rule->query));
    th_sha256_update(&c, e->o.space_id, strlen(e->o.space_id));
    th_sha256_update(&c, ":", 1);
    th_sha256_update(&c, r->uuid, 36);
    th_sha256_update(&c, rowt, n > 0 ? (size_t)n : 0);
    th_sha256_final(&c, dg);
    th_sha256_tohex(dg, out);
}

static void put_col(th_arena *a, th_jval *doc, th_str name, th_jval *v)
{
    char *key = th_arena_strndup(a, name.p, name.n);
    th_jobj_remove_path(doc, key);
    th_jobj_remove(doc, th_str_c(key));
    th_jobj_set(a, doc, th_str_c(key), v);
}

/* Alert suppression on ES|QL rules (SEMANTICS.md 2.5): the terms are the
 * candidate alert's values of the group_by fields (arrays sorted, missing =
 * null); rows with the instance of an alert created in this run, or within
 * `duration` before it, fold into that alert (docs_count + 1, end and
 * last_detected moved to this run) instead of alerting. Returns true when the
 * row was folded; else *inst gets the instance for the new alert (empty when
 * the row is not suppressed: doNotSuppress with a missing field). */
static bool suppressed(th_engine *e, th_erule *r, const th_jval *src, int64_t t, th_str *inst,
                       th_str *terms)
{
    const th_rule *rule = r->rule;
    th_buf b;
    th_buf_init(&b);
    bool missing = false;
    th_buf_putc(&b, '[');
    for (size_t g = 0; g < rule->suppression_group_by.len; g++) {
        const char *f = rule->suppression_group_by.items[g];
        th_buf_printf(&b, "%s{\"field\":", g ? "," : "");
        th_json_write_str(&b, th_str_c(f));
        th_buf_puts(&b, ",\"value\":");
        const th_jval *v = th_jobj_getn(src, th_str_c(f));
        if (!v)
            v = th_json_path_first(src, th_str_c(f));
        if (!v || v->type == TH_JNULL) {
            missing = true;
            th_buf_puts(&b, "null");
        } else if (v->type == TH_JARR) {
            th_json_write(&b, v); /* ES|QL values come sorted */
        } else {
            th_buf_putc(&b, '[');
            th_json_write(&b, v);
            th_buf_putc(&b, ']');
        }
        th_buf_putc(&b, '}');
    }
    th_buf_putc(&b, ']');
    *inst = TH_STR_NULL;
    *terms = th_str_make(th_arena_strndup(&e->arena, b.data, b.len), b.len);
    bool do_not = rule->missing_fields_strategy && strcmp(rule->missing_fields_strategy, "doNotSuppress") == 0;
    if (missing && do_not) {
        th_buf_free(&b);
        return false;
    }
    th_buf_printf(&b, "%s%s", r->uuid, e->o.space_id);
    char hex[65];
    th_sha256_hex(b.data, b.len, hex);
    th_buf_free(&b);
    *inst = th_str_make(th_arena_strndup(&e->arena, hex, 64), 64);
    int64_t since = rule->suppression_duration_ms > 0 ? t - rule->suppression_duration_ms : t;
    th_ealert *open = th_supp_find_open(e, r, *inst, since);
    if (!open)
        return false;
    open->supp_docs++;
    open->supp_end = t;
    th_supp_set(e, open, TH_TIME_NONE, t);
    r->rep.suppressed_docs++;
    return true;
}

void th_engine_set_esql_capture(th_engine *e, size_t idx, const th_str *fields, size_t n)
{
    if (idx >= e->rules.len || e->rules.items[idx]->rep.skipped)
        return;
    th_erule *r = e->rules.items[idx];
    r->cap = TH_ANEWN(&e->arena, const char *, n ? n : 1);
    for (size_t i = 0; i < n; i++)
        r->cap[i] = th_arena_strndup(&e->arena, fields[i].p, fields[i].n);
    r->ncap = n;
    r->esql_cap = true;
    /* @timestamp named once: its column loads from the matches' ts where
     * the events' documents held it as that time's text (TH_VLIST_TS) */
    r->cap_ts = UINT32_MAX;
    size_t seen = 0;
    for (size_t i = 0; i < n; i++)
        if (th_str_eqc(fields[i], "@timestamp")) {
            r->cap_ts = (uint32_t)i;
            seen++;
        }
    if (seen != 1)
        r->cap_ts = UINT32_MAX;
}

/* captured_plain's cache of lists' answers (capctx) */
enum { CAP_PLAIN_SLOTS = 256 };

size_t th_esql_cap_ids = 1 << 20;

/* A match's captured values read as the document of flat dotted keys
 * {cap[f]: value or [values]} (a later key of the same name replacing the
 * earlier's value in place), without building it: th_json_path_each's walk
 * over that object, member by member (th_esql_each_fn). */
typedef struct capctx {
    const th_engine *e;
    const th_erule *r;
    const th_match *m;  /* the rows: the rule's matches m[0..n) (all, or a fold's chunk) */
    size_t n;
    th_arena *a;        /* the parsed values */
    th_str *keys;       /* cap[f] with its length */
    bool *dup;          /* cap[f]'s name came earlier */
    th_str last;        /* the path of the last call, and the members it meets: */
    size_t *fs, nfs;    /* their cap indexes */
    th_jval tmp[32];    /* the values of one call, read without parsing (valid until the next) */
    size_t ntmp;
    /* captured_dates' instants (n pointers' bytes in the run's arena, where
     * a column of lists was copied before captured_ids gave the ids: the
     * arena's bytes are charged, and printed) */
    const void **col;
    /* the rows' list ids by field, ids[f * stride + i] = th_match_row(m[i])[f]
     * (cap_ids): a column reads 4 bytes a row in order, where m[i] and
     * its row of ids were two lines a row for each column loaded (the broad
     * rules load ~8 columns of ~10 fields). Every field's at once (one read
     * of each match) up to th_esql_cap_ids ids, else the field asked for alone
     * (idsf: 4 bytes a match, a quarter of th_match_sort's words, freed
     * just before). Heap, freed with the context (cap_free), not charged,
     * as the sort's words. */
    uint32_t *ids;
    size_t stride;
    size_t idsf;        /* the one field ids holds, or SIZE_MAX: none or (ids) all */
    size_t ts_f;        /* r->cap_ts, or SIZE_MAX: matches may hold TH_VLIST_TS there */
    /* captured_plain's answers by list id, direct-mapped (a list is plain
     * or not for good: lists are immutable); zeroed, every slot holds id 0,
     * th_vlist_empty's, which is plain. A field's stored strings come back
     * after others (users, ASNs): read from their lists, the answer took
     * three dependent loads (b100k pack: captured_plain 7.27 -> 5.65 M). */
    uint32_t plain_id[CAP_PLAIN_SLOTS];
    uint8_t plain_not[CAP_PLAIN_SLOTS];
} capctx;

/* captured documents are rows of one source (query/esql.h): a document's
 * src names its row, the match's index */
static size_t cap_row(const void *src)
{
    return th_esql_src_row(src);
}

/* The list TH_VLIST_TS stands for in row (the one string of its ts's
 * text), made in the run's arena where a reader needs it as a list: the
 * column of dates takes the ts itself (captured_dates) */
static const th_vlist *ts_list(const capctx *c, size_t row)
{
    char t[34];
    size_t n = th_ts_json(c->m[row].ts, t);
    th_vlist *l = th_arena_alloc(c->a, sizeof *l + sizeof(th_str));
    l->n = 1;
    l->id = 0; /* never a key by id: captured_ids gives no column holding it */
    l->v[0] = th_str_make(th_arena_strndup(c->a, t, n), n);
    return l;
}

/* The ids of captured field f of rows 0..n (capctx.ids) */
static const uint32_t *cap_ids(capctx *c, size_t f)
{
    size_t ncap = c->r->ncap, n = c->n;
    if (c->ids && c->idsf == SIZE_MAX)
        return c->ids + f * c->stride;
    if (c->ids && c->idsf == f)
        return c->ids;
    const th_match *m = c->m;
    const uint32_t *rows = c->e->rowids.items;
    if (ncap * n <= th_esql_cap_ids) {
        /* a column 64 bytes further than n ids: with n a multiple of 1024
         * (a fold's chunk), the columns' stores would meet in one set of
         * lines of the cache */
        c->stride = ((n + 15) & ~(size_t)15) + 16;
        c->ids = th_xmalloc(ncap * c->stride * sizeof *c->ids);
        uint32_t *ids = c->ids;
        size_t stride = c->stride, i = 0;
        /* four matches at a time, a field's four ids stored side by side:
         * the loop's step and test once per four ids, not per id (b100k
         * pack: 5 instructions an id, 1.84M ids) */
        for (; i + 4 <= n; i += 4) {
            const uint32_t *a = rows + m[i].fv, *b = rows + m[i + 1].fv;
            const uint32_t *x = rows + m[i + 2].fv, *y = rows + m[i + 3].fv;
            uint32_t *to = ids + i;
            size_t g = 0;
#ifdef __SSE2__
            /* four fields of the four matches at once, a 4x4 transpose of
             * their ids: four loads, eight unpacks and four stores for 16
             * ids, where the loop below loads and stores each (b100k
             * pack: ~2.75 instructions an id, 1.84M ids) */
            for (; g + 4 <= ncap; g += 4, to += 4 * stride) {
                __m128i va = _mm_loadu_si128((const __m128i *)(const void *)(a + g));
                __m128i vb = _mm_loadu_si128((const __m128i *)(const void *)(b + g));
                __m128i vx = _mm_loadu_si128((const __m128i *)(const void *)(x + g));
                __m128i vy = _mm_loadu_si128((const __m128i *)(const void *)(y + g));
                __m128i ab0 = _mm_unpacklo_epi32(va, vb), xy0 = _mm_unpacklo_epi32(vx, vy);
                __m128i ab1 = _mm_unpackhi_epi32(va, vb), xy1 = _mm_unpackhi_epi32(vx, vy);
                _mm_storeu_si128((__m128i *)(void *)to, _mm_unpacklo_epi64(ab0, xy0));
                _mm_storeu_si128((__m128i *)(void *)(to + stride), _mm_unpackhi_epi64(ab0, xy0));
                _mm_storeu_si128((__m128i *)(void *)(to + 2 * stride), _mm_unpacklo_epi64(ab1, xy1));
                _mm_storeu_si128((__m128i *)(void *)(to + 3 * stride), _mm_unpackhi_epi64(ab1, xy1));
            }
#endif
            for (; g < ncap; g++, to += stride) {
                to[0] = a[g];
                to[1] = b[g];
                to[2] = x[g];
                to[3] = y[g];
            }
        }
        for (; i < n; i++) {
            const uint32_t *fv = rows + m[i].fv;
            for (size_t g = 0; g < ncap; g++)
                ids[g * stride + i] = fv[g];
        }
        return c->ids + f * stride;
    }
    if (!c->ids)
        c->ids = th_xmalloc((n ? n : 1) * sizeof *c->ids);
    for (size_t i = 0; i < n; i++)
        c->ids[i] = rows[m[i].fv + f];
    c->idsf = f;
    return c->ids;
}

/* row's values of captured field f */
static const th_vlist *cap_at(const capctx *c, size_t f, size_t row)
{
    uint32_t id = th_match_row(c->e, &c->m[row])[f];
    return id == TH_VLIST_TS ? ts_list(c, row) : c->e->lists.items[id];
}

/* A captured scalar (hotpass.c's cap_visit: a string as JSON text, a number's
 * source text, true/false) as the value th_json_parse would give, without
 * parsing or allocating when it can: a string with no escape is its inner
 * text; the others fall back to the parser (into the run's arena). */
static const th_jval *cap_value(capctx *c, th_str s)
{
    if (s.n && c->ntmp < sizeof c->tmp / sizeof c->tmp[0]) {
        th_jval *v = &c->tmp[c->ntmp];
        if (s.p[0] == '"') {
            if (s.n >= 2 && s.p[s.n - 1] == '"' && !memchr(s.p + 1, '\\', s.n - 2)) {
                *v = (th_jval){.type = TH_JSTR, .u.str = th_str_make(s.p + 1, s.n - 2)};
                c->ntmp++;
                return v;
            }
        } else if (th_str_eqc(s, "true") || th_str_eqc(s, "false")) {
            *v = (th_jval){.type = s.p[0] == 't' ? TH_JTRUE : TH_JFALSE};
            c->ntmp++;
            return v;
        } else if (s.p[0] == '-' || (s.p[0] >= '0' && s.p[0] <= '9')) {
            *v = (th_jval){.type = TH_JNUM, .u.str = s}; /* the number's source text */
            c->ntmp++;
            return v;
        }
    }
    return th_alert_value(c->a, s);
}

static bool visit_flat(const th_jval *v, th_json_visit_fn visit, void *vctx)
{
    if (v->type == TH_JARR) {
        for (uint32_t i = 0; i < v->len; i++)
            if (!visit_flat(v->u.items[i], visit, vctx))
                return false;
        return true;
    }
    return visit(v, vctx);
}

/* The captured fields path meets (keys that equal it or are its prefix)
 * into c->fs: found again only when the path changes, as a column loads row
 * after row with the same name. */
static void fields_of(capctx *c, th_str path)
{
    if (c->last.p && (c->last.p == path.p || th_str_eq(c->last, path)) && c->last.n == path.n)
        return;
    c->nfs = 0;
    for (size_t f = 0; f < c->r->ncap; f++) {
        th_str k = c->keys[f];
        if (k.n <= path.n && memcmp(k.p, path.p, k.n) == 0 && (k.n == path.n || path.p[k.n] == '.'))
            c->fs[c->nfs++] = f;
    }
    c->last = path;
}

/* With visit NULL (th_esql_texts): the list of the one captured field that
 * is path itself (its values are scalars' JSON texts, visited in order);
 * false where path meets another member or none. */
static bool captured_each(const void *src, const void *ctx, th_str path, th_json_visit_fn visit, void *vctx)
{
    capctx *c = (capctx *)ctx; /* the run's own (th_exec_esql), one thread */
    size_t row = cap_row(src);
    c->ntmp = 0;
    fields_of(c, path);
    if (!visit) {
        if (c->nfs != 1 || c->keys[c->fs[0]].n != path.n)
            return false;
        const th_vlist *l = cap_at(c, c->fs[0], row);
        *(th_esql_texts *)vctx = (th_esql_texts){l->v, l->n};
        return true;
    }
    for (size_t j = 0; j < c->nfs; j++) {
        size_t f = c->fs[j];
        const th_vlist *l = cap_at(c, f, row);
        th_str k = c->keys[f];
        bool dup = false; /* one member per key: the values are the same field's */
        for (size_t g = 0; c->dup[f] && g < f && !dup; g++)
            dup = cap_at(c, g, row)->n > 0 && th_str_eq(c->keys[g], k);
        if (dup || l->n == 0)
            continue;
        th_str rest = k.n < path.n ? th_str_make(path.p + k.n + 1, path.n - k.n - 1) : TH_STR_NULL;
        for (size_t i = 0; i < l->n; i++) {
            th_str sv = l->v[i];
            const th_jval *v = k.n == path.n ? cap_value(c, sv) : th_alert_value(c->a, sv);
            if (k.n == path.n ? !visit_flat(v, visit, vctx) : !th_json_path_each(v, rest, visit, vctx))
                return false;
        }
    }
    return true;
}

/* th_esql_key_fn over captured rows: the one list of values path meets
 * (captured_each visits that list's values, and lists are immutable), or,
 * where it meets none, the context (nothing visited). A field's repeated
 * string is stored once, as one list, while it has few distinct ones, so
 * rows far apart share the key. NULL where path meets several members.
 * Without src NULL: a column of keys at once is captured_ids' column of
 * their ids (the runs by th_exec_esql and esql_fold give it). */
static const void *captured_key(const void *src, const void *ctx, th_str path)
{
    capctx *c = (capctx *)ctx; /* the run's own (th_exec_esql), one thread */
    if (!src)
        return NULL;
    if (path.p != c->last.p || path.n != c->last.n) /* a column loads row after row */
        fields_of(c, path);
    if (c->nfs == 0)
        return c;
    return c->nfs == 1 ? cap_at(c, c->fs[0], cap_row(src)) : NULL;
}

/* th_esql_key_ids_fn over captured rows: a column's keys are its lists,
 * each holding its id (its index in the engine's lists, which no match
 * made after the pass began can be in; th_vlist_new makes no more than
 * UINT32_MAX). The ids of path's one field are the matches' own (cap_ids),
 * the keys by id the engine's lists: captured_key gave the column of lists
 * (ids copied to lists, 8 bytes a row written, 5.4 M instructions over the
 * b100k pack), whose each key the loader read back for its id (a list's
 * header, wherever the commit put it). */
static bool captured_ids(const void *ctx, th_str path, size_t *at, uint32_t *bound,
                         const uint32_t **col, const void *const **by_id)
{
    capctx *c = (capctx *)ctx; /* the run's own (th_exec_esql), one thread */
    *at = offsetof(th_vlist, id);
    *bound = (uint32_t)c->e->lists.len;
    *col = NULL;
    if (path.p != c->last.p || path.n != c->last.n)
        fields_of(c, path);
    if (c->nfs != 1)
        return true;
    size_t f = c->fs[0];
    const uint32_t *ids = cap_ids(c, f);
    if (f == c->ts_f)
        for (size_t i = 0; i < c->n; i++)
            if (ids[i] == TH_VLIST_TS)
                return true; /* per row, as captured_key answers */
    *col = ids;
    *by_id = (const void *const *)c->e->lists.items;
    return true;
}

/* th_esql_key_texts_fn over captured rows: a key of the column call is the
 * row's list of path's one field (or the context where path meets none,
 * each being false there); its texts are what captured_each gives. */
static bool captured_texts(const void *ctx, th_str path, const void *key, th_esql_texts *out)
{
    capctx *c = (capctx *)ctx; /* the run's own (th_exec_esql), one thread */
    if (key == c)
        return false;
    if (path.p != c->last.p || path.n != c->last.n)
        fields_of(c, path);
    if (c->nfs != 1 || c->keys[c->fs[0]].n != path.n)
        return false;
    const th_vlist *l = key;
    *out = (th_esql_texts){l->v, l->n};
    return true;
}

/* th_esql_plain_fn over captured rows (the rule's matches, which its
 * lowered condition selected: esql_routed): per match, path's list holds
 * no value or one JSON string (hotpass.c's cap_visit keeps a string with
 * its quotes). Only where path is exactly one captured field. */
static bool captured_plain(const void *ctx, th_str path, uint8_t *out)
{
    capctx *c = (capctx *)ctx; /* the run's own (th_exec_esql), one thread */
    fields_of(c, path);
    if (c->nfs != 1 || c->keys[c->fs[0]].n != path.n)
        return false;
    size_t f = c->fs[0], n = c->n;
    const uint32_t *ids = cap_ids(c, f);
    uint32_t pid = 0; /* the list before (by id) and its answer: lists */
    uint8_t pv = 1;   /* are immutable, a field's repeated value one list; */
    /* id 0 is th_vlist_empty's (no value: plain). In locals: the lists'
     * array too, which a store through out (bytes, that may alias
     * anything) made the compiler load again per match. */
    const th_vlist *const *lists = c->e->lists.items;
    /* four matches an iteration: 7.9 -> 6.9 M (b100k pack) */
#pragma GCC unroll 4
    for (size_t i = 0; i < n; i++) {
        uint32_t id = ids[i];
        if (id != pid) {
            pid = id;
            size_t j = id % CAP_PLAIN_SLOTS;
            if (id == TH_VLIST_TS) { /* one string: its time's text */
                pv = 1;
            } else if (c->plain_id[j] == id) {
                pv = !c->plain_not[j];
            } else {
                const th_vlist *l = lists[id];
                pv = l->n == 0 || (l->n == 1 && l->v[0].n >= 2 && l->v[0].p[0] == '"');
                c->plain_id[j] = id;
                c->plain_not[j] = !pv;
            }
        }
        out[i] = pv;
    }
    return true;
}

/* The instant of a list's value as the column loader reads a date's texts
 * (esql_val.c date_from_texts): none is null (TH_TIME_NONE), one string
 * without escapes its th_time_parse_iso or null; false for others (the
 * loader's general path reads them) */
static bool list_date(const th_vlist *l, int64_t *out)
{
    *out = TH_TIME_NONE;
    if (l->n == 0)
        return true;
    th_str s = l->v[0];
    if (l->n != 1 || s.n < 2 || s.p[0] != '"' || s.p[s.n - 1] != '"' ||
        memchr(s.p + 1, '\\', s.n - 2))
        return false;
    int64_t t;
    if (th_time_parse_iso(s.p + 1, s.n - 2, &t))
        *out = t;
    return true;
}

/* th_esql_dates_fn over captured rows: @timestamp's column where the rule
 * takes it from its matches' ts (r->cap_ts): a match holding TH_VLIST_TS
 * gives its ts, which its text reads back as (th_ts_text_exact), with no
 * text made or parsed; the others their list's date (list_date, once per
 * run of one list). Written into c->col (n pointers' bytes of the run's
 * arena, made with the context). */
static const int64_t *captured_dates(const void *ctx, th_str path, size_t n)
{
    capctx *c = (capctx *)ctx; /* the run's own (th_exec_esql), one thread */
    if (c->ts_f == SIZE_MAX || n != c->n || !c->col || sizeof(void *) < sizeof(int64_t))
        return NULL;
    fields_of(c, path);
    size_t f = c->ts_f;
    if (c->nfs != 1 || c->fs[0] != f || c->keys[f].n != path.n)
        return NULL;
    const th_vlist *const *lists = c->e->lists.items;
    const th_match *m = c->m;
    const uint32_t *ids = cap_ids(c, f);
    int64_t *out = (int64_t *)(void *)c->col;
    uint32_t pid = TH_VLIST_TS;
    int64_t pv = TH_TIME_NONE;
    for (size_t i = 0; i < n; i++) {
        uint32_t id = ids[i];
        if (id == TH_VLIST_TS) {
            out[i] = m[i].ts;
            continue;
        }
        if (id != pid) {
            pid = id;
            if (!list_date(lists[id], &pv))
                return NULL;
        }
        out[i] = pv;
    }
    return out;
}

/* The alerts of one run's result rows (see the top of the file). */
/* A run's output as emit reads it: the result itself, or (a folded rule's
 * runs made before its fold was known to hold: esql_fold) its cells as
 * JSON, row by row, kept until the runs are emitted */
typedef struct eout {
    const th_esql_result *res; /* NULL: the kept cells */
    th_arena *scratch;
    size_t nrows, ncols;
    th_str *names;
    th_jval **cells; /* [row * ncols + col]; NULL: no value */
} eout;

static th_jval *out_cell(const eout *o, size_t row, size_t c)
{
    return o->res ? th_esql_cell(o->scratch, o->res, row, c) : o->cells[row * o->ncols + c];
}

static th_str out_name(const eout *o, size_t c)
{
    return o->res ? th_esql_colname(o->res, c) : o->names[c];
}

static void emit(th_engine *e, th_erule *r, const eout *o, const th_esql_doc *docs, int64_t from,
                 int64_t t, bool by_id, bool supp)
{
    const th_esql_result *res = o->res;
    size_t max = (size_t)r->max_signals;
    size_t rows = res ? th_esql_nrows(res) : o->nrows, made = 0,
           ncols = res ? th_esql_ncols(res) : o->ncols;
    if (!by_id && !supp && rows >= max && rows > 0)
        r->rep.runs_truncated++;
    for (size_t row = 0; row < rows; row++) {
        char id[65];
        long di = by_id ? th_esql_row_doc(res, row) : -1; /* by_id: never kept cells */
        if (by_id && di >= 0) { /* never captured rows (one document for all): they aggregate */
            const th_edoc *ed = &e->docs.items[th_match_doc(r, &r->matches.items[di])];
            th_alert_event_id(e, r, ed, NULL, 0, id);
            if (th_map_has(&r->ids, th_str_make(id, 64)))
                continue;
            if (made == max) {
                r->rep.runs_truncated++;
                break;
            }
            th_alert_id_claim(e, r, id);
            th_jval *src = th_json_clone(&e->arena, docs[di].doc);
            for (size_t c = 0; c < ncols; c++) {
                th_str name = out_name(o, c);
                if (th_str_eqc(name, "_id") || th_str_eqc(name, "_index") || th_str_eqc(name, "_version"))
                    continue;
                th_jval *v = out_cell(o, row, c);
                if (v)
                    put_col(&e->arena, src, name, th_json_clone(&e->arena, v));
            }
            char *anc = th_arena_strndup(&e->arena, ed->id.p, ed->id.n);
            th_alert_make(e, r, src, t, id, ed->ts, anc);
            made++;
            continue;
        }
        agg_id(e, r, from, t, row, id);
        if (th_map_has(&r->ids, th_str_make(id, 64)))
            continue;
        th_jval *src = th_jnew_obj(&e->arena);
        int64_t orig = TH_TIME_NONE;
        for (size_t c = 0; c < ncols; c++) {
            th_jval *v = out_cell(o, row, c);
            if (!v)
                continue;
            th_str name = out_name(o, c);
            if (th_str_eqc(name, "@timestamp") && v->type == TH_JSTR)
                th_time_parse_iso(v->u.str.p, v->u.str.n, &orig);
            put_col(&e->arena, src, name, th_json_clone(&e->arena, v));
        }
        th_str inst = TH_STR_NULL, terms = TH_STR_NULL;
        if (supp && suppressed(e, r, src, t, &inst, &terms))
            continue;
        if (made == max) {
            r->rep.runs_truncated++;
            break;
        }
        th_alert_id_claim(e, r, id);
        if (inst.n) {
            th_jobj_set(&e->arena, src, TH_STR_LIT("kibana.alert.suppression.terms"),
                        th_alert_value(&e->arena, terms));
            th_jobj_set(&e->arena, src, TH_STR_LIT("kibana.alert.instance.id"), th_jnew_str(&e->arena, inst));
        }
        th_ealert *al = th_alert_make(e, r, src, t, id, orig, "");
        if (inst.n) {
            al->instance = inst;
            al->supp_end = t;
            al->supp_docs = 0;
            th_supp_set(e, al, t, t);
        }
        made++;
    }
}

/* One rule's temporal pass: every matched document, and the row-local head
 * of its query run once over them (esql.h) */
typedef struct xctx {
    th_esql_doc *docs;
    const th_esql_result *pre;
    th_esql_panes *panes;       /* overlapping windows: the incremental STATS */
    const th_arena *pa;         /* the pass's tables (captured columns, head rows, panes) */
    size_t fixed;               /* bytes held outside pa (the document array) */
    uint64_t charged;           /* the most the pass has held, charged as the rule's state */
    bool stop;                  /* the budget was reached: no more runs */
} xctx;

/* The ES|QL pass's memory counts against --max-memory and --max-state-mb
 * like any rule's temporal state: what it holds now (the tables in pa, the
 * document array, and `extra`: a run's own scratch) is charged as its peak
 * grows. Charged after each step that allocates (the head, each run), so
 * the budget is overshot by at most one step; when it does not fit, that
 * run and the later ones are skipped (reported: MEMORY BUDGET REACHED or
 * STATE CAPPED). Released when the rule is done (its tables are freed). */
static bool esql_charge(th_engine *e, th_erule *r, xctx *x, uint64_t extra)
{
    if (x->stop)
        return false;
    uint64_t now = x->pa->used_total + x->fixed + extra;
    if (now <= x->charged || th_state_charge(e, r, &x->charged, now - x->charged))
        return true;
    x->stop = true;
    return false;
}

/* the matches of the run at t: [*b, *en) */
static void run_window(th_engine *e, th_erule *r, int64_t t, size_t *b, size_t *en)
{
    th_sched_window(e, r, t - th_sched_lookback(r), t, b, en);
}

typedef struct cutv {
    size_t *v;
    size_t n, cap;
} cutv;

static void cut_push(cutv *c, size_t x)
{
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 64;
        c->v = th_xrealloc(c->v, c->cap * sizeof(size_t));
    }
    c->v[c->n++] = x;
}

static void collect_cuts(th_engine *e, th_erule *r, int64_t t, void *ctx)
{
    size_t b, en;
    run_window(e, r, t, &b, &en);
    cut_push(ctx, b);
    cut_push(ctx, en);
}

static int cmp_size(const void *x, const void *y)
{
    size_t a = *(const size_t *)x, b = *(const size_t *)y;
    return a < b ? -1 : a > b;
}

/* Panes for the incremental STATS when windows overlap (esql.h): cut at
 * the ends of the windows of the runs th_sched_each will make. */
static th_esql_panes *make_panes(th_engine *e, th_erule *r, th_arena *a, const th_esql_result *pre,
                                 const th_esql_doc *docs)
{
    if (!pre || th_sched_lookback(r) <= th_sched_interval(r))
        return NULL;
    cutv c = {0};
    uint64_t runs = r->rep.runs;
    th_sched_each(e, r, collect_cuts, &c);
    r->rep.runs = runs; /* counted when the runs are made */
    th_esql_panes *p = NULL;
    if (c.n) {
        qsort(c.v, c.n, sizeof(size_t), cmp_size);
        size_t w = 1;
        for (size_t i = 1; i < c.n; i++)
            if (c.v[i] != c.v[w - 1])
                c.v[w++] = c.v[i];
        p = th_esql_panes_new(a, r->esql, pre, docs, r->matches.len, c.v, w);
    }
    free(c.v);
    return p;
}

static void esql_run(th_engine *e, th_erule *r, int64_t t, void *ctx)
{
    xctx *x = ctx;
    if (x->stop)
        return;
    int64_t from = t - th_sched_lookback(r);
    size_t b, en;
    run_window(e, r, t, &b, &en);
    th_arena scratch;
    th_arena_init(&scratch, 1 << 16);
    th_esql_doc *docs = x->docs;
    bool agg = th_esql_aggregating(r->esql);
    bool supp = r->rule->has_suppression && !e->o.no_suppression &&
                r->rule->suppression_group_by.len > 0;
    bool by_id = !agg && !supp && th_esql_metadata_id(r->esql);
    size_t max = (size_t)r->max_signals;
    const char *err = NULL;
    /* Kibana appends `| LIMIT max_signals`; with suppression it pages on */
    size_t limit = by_id || supp ? SIZE_MAX : max;
    th_esql_result *res = x->panes ? th_esql_panes_run(&scratch, x->panes, b, en, t, limit, &err) : NULL;
    if (!res && !err && x->pre) /* a folded rule's windows are all cuts */
        res = th_esql_run_rest(&scratch, r->esql, x->pre, docs, r->matches.len, b, en, t, limit, &err);
    if (!res)
        goto out; /* a query error (Elasticsearch fails the run): no alerts */
    /* the run's scratch, and what the panes keep from one run to the next */
    if (!esql_charge(e, r, x, scratch.used_total + th_esql_panes_held(x->panes)))
        goto out; /* over the budget: this run and the later ones are skipped */
    eout o = {.res = res, .scratch = &scratch};
    emit(e, r, &o, docs, from, t, by_id, supp);
out:
    th_arena_free(&scratch);
}

/* the captured rows m[0..n) read through c, its memory in arena a */
static void cap_init(capctx *c, th_engine *e, th_erule *r, th_arena *a, const th_match *m, size_t n)
{
    *c = (capctx){e,
                  r,
                  m,
                  n,
                  a,
                  TH_ANEWN(a, th_str, r->ncap + 1),
                  TH_ANEWN(a, bool, r->ncap + 1),
                  TH_STR_NULL,
                  TH_ANEWN(a, size_t, r->ncap + 1),
                  0,
                  {{0}},
                  0,
                  r->esql_cap ? th_arena_alloc(a, (n ? n : 1) * sizeof(const void *)) : NULL,
                  NULL,
                  0,
                  SIZE_MAX,
                  r->cap_ts != UINT32_MAX ? r->cap_ts : SIZE_MAX,
                  {0},
                  {0}};
    for (size_t f = 0; f < r->ncap; f++) {
        c->keys[f] = th_str_c(r->cap[f]);
        for (size_t g = 0; g < f && !c->dup[f]; g++)
            c->dup[f] = strcmp(r->cap[g], r->cap[f]) == 0;
    }
}

static void cap_free(capctx *c)
{
    free(c->ids);
    c->ids = NULL;
}

/* A chunk's tables and the panes it folds are held until its runs are made:
 * on the 1 GB bench file, 16,384 rows a chunk put the discovery rule
 * 74f45152 (41,508 matches, 6-minute windows) 30 MB over the hot pass's
 * peak RSS; 2,048 rows, 4 MB (each chunk re-plans the head: b100k +5.6 M
 * instructions; 1,024 rows saved no more at two threads) */
size_t th_esql_fold_rows = 1 << 11;

/* a folded rule's runs, in th_sched_each's order: their times and windows
 * (documents [b, en)), and the outputs of those made (esql_fold) */
typedef struct frun {
    int64_t t;
    size_t b, en;
    size_t minb; /* the least b of this run and every later one */
    eout out;    /* nrows 0: nothing to emit */
} frun;

typedef struct fruns {
    frun *v;
    size_t n, cap;
    size_t next;  /* the next run to make, then (fold_emit) to emit */
    th_arena out; /* the kept cells */
} fruns;

static void collect_runs(th_engine *e, th_erule *r, int64_t t, void *ctx)
{
    fruns *f = ctx;
    if (f->n == f->cap) {
        f->cap = f->cap ? f->cap * 2 : 64;
        f->v = th_xrealloc(f->v, f->cap * sizeof(frun));
    }
    frun *x = &f->v[f->n++];
    *x = (frun){.t = t};
    run_window(e, r, t, &x->b, &x->en);
}

/* the run's output, its cells kept as JSON (emit reads them later) */
static void keep_out(fruns *f, frun *x, const th_esql_result *res, th_arena *scratch)
{
    size_t nr = th_esql_nrows(res), nc = th_esql_ncols(res);
    if (!nr)
        return;
    eout *o = &x->out;
    *o = (eout){.nrows = nr,
                .ncols = nc,
                .names = TH_ANEWN(&f->out, th_str, nc ? nc : 1),
                .cells = TH_ANEWN(&f->out, th_jval *, nc ? nr * nc : 1)};
    for (size_t c = 0; c < nc; c++) {
        th_str n = th_esql_colname(res, c);
        o->names[c] = th_str_make(th_arena_strndup(&f->out, n.p, n.n), n.n);
    }
    for (size_t row = 0; row < nr; row++)
        for (size_t c = 0; c < nc; c++) {
            th_jval *v = th_esql_cell(scratch, res, row, c);
            o->cells[row * nc + c] = v ? th_json_clone(&f->out, v) : NULL;
        }
}

/* The run x of a folded rule, as esql_run makes it, its output kept; false
 * where the panes cannot answer its window (the rule runs the usual way) */
static bool fold_run(th_engine *e, th_erule *r, xctx *x, fruns *f, frun *run)
{
    if (!th_esql_panes_whole(x->panes, run->b, run->en, run->t))
        return false;
    th_arena scratch;
    th_arena_init(&scratch, 1 << 16);
    bool supp =
        r->rule->has_suppression && !e->o.no_suppression && r->rule->suppression_group_by.len > 0;
    const char *err = NULL;
    th_esql_result *res = th_esql_panes_run(&scratch, x->panes, run->b, run->en, run->t,
                                            supp ? SIZE_MAX : (size_t)r->max_signals, &err);
    x->fixed = f->out.used_total;
    /* a query error (Elasticsearch fails the run): no alerts; over the
     * budget: this run and the later ones are skipped */
    if (res && esql_charge(e, r, x, scratch.used_total + th_esql_panes_held(x->panes)))
        keep_out(f, run, res, &scratch);
    th_arena_free(&scratch);
    return true;
}

/* th_sched_each's run at t: the kept output of the same run, if any */
static void fold_emit(th_engine *e, th_erule *r, int64_t t, void *ctx)
{
    fruns *f = ctx;
    if (f->next == f->n || f->v[f->next].t != t)
        return; /* not made: over the budget */
    frun *x = &f->v[f->next++];
    bool supp =
        r->rule->has_suppression && !e->o.no_suppression && r->rule->suppression_group_by.len > 0;
    if (x->out.nrows)
        emit(e, r, &x->out, NULL, t - th_sched_lookback(r), t, false, supp);
}

/* The fold (esql.h th_esql_panes_folded): an aggregating rule of captured
 * matches whose windows overlap has its head run over a chunk of whole
 * panes (about th_esql_fold_rows matches) at a time, each grouped into its
 * panes' states and then dropped, instead of over every match at once: the
 * pass holds the panes' states and one chunk's tables, not a table of
 * every match (the broad rules' 130-200 MB on the 1 GB bench file). Every
 * cell of the head is a function of its row alone (esql.h), so a chunk's
 * rows and panes are those of the whole table. After each chunk, the runs
 * whose windows it completes are made (merging the panes as th_exec_esql's
 * do) and the panes no later window reads are dropped: the fold holds the
 * panes of a look-back, not of the whole data (the discovery rule 74f45152,
 * 6 minutes: its panes were 26.6 MB of the 1 GB run's peak). A chunk the
 * fold cannot hold exactly (th_esql_panes_fold), or a window that would
 * keep a pane in part (th_esql_panes_whole: a deferred condition on
 * NOW()), can come after runs were made, so their outputs are kept (as
 * JSON: few rows) and emitted only once the last chunk is folded; false
 * then, and the rule runs the usual way. True: the rule's runs are done
 * (or skipped: over the memory budget, as th_exec_esql skips them). */
static bool esql_fold(th_engine *e, th_erule *r)
{
    if (!th_esql_fold_rows || !r->esql_cap || !th_esql_aggregating(r->esql) ||
        th_sched_lookback(r) <= th_sched_interval(r))
        return false;
    fruns f = {0};
    uint64_t runs = r->rep.runs;
    th_sched_each(e, r, collect_runs, &f);
    r->rep.runs = runs; /* counted when the runs are emitted */
    th_arena_init(&f.out, 1 << 12);
    cutv c = {0};
    for (size_t i = f.n; i-- > 0;) {
        cut_push(&c, f.v[i].b);
        cut_push(&c, f.v[i].en);
        f.v[i].minb = i + 1 < f.n && f.v[i + 1].minb < f.v[i].b ? f.v[i + 1].minb : f.v[i].b;
    }
    size_t w = 0;
    if (c.n) {
        qsort(c.v, c.n, sizeof(size_t), cmp_size);
        w = 1;
        for (size_t i = 1; i < c.n; i++)
            if (c.v[i] != c.v[w - 1])
                c.v[w++] = c.v[i];
    }
    th_arena pa;
    th_arena_init(&pa, 1 << 16);
    th_esql_panes *p = w ? th_esql_panes_folded(&pa, r->esql, c.v, w) : NULL;
    xctx x = {NULL, NULL, p, &pa, 0, 0, false};
    bool ok = p != NULL;
    th_str index = th_str_c(e->o.source_index);
    for (size_t k0 = 0; ok && !x.stop && k0 + 1 < w;) {
        size_t k1 = k0 + 1; /* whole panes, at least one */
        while (k1 + 1 < w && c.v[k1 + 1] - c.v[k0] <= th_esql_fold_rows)
            k1++;
        size_t lo = c.v[k0], n = c.v[k1] - lo;
        th_arena ca; /* the chunk's tables */
        th_arena_init(&ca, 1 << 16);
        capctx cc;
        cap_init(&cc, e, r, &ca, r->matches.items + lo, n);
        th_esql_doc doc = {.index = index,
                           .version = 1,
                           .each = captured_each,
                           .ctx = &cc,
                           .key = captured_key,
                           .dates = captured_dates};
        const char *err = NULL;
        th_esql_ids *ids = NULL;
        th_esql_plain_fn plain = r->esql_routed ? captured_plain : NULL;
        const th_esql_result *pre = th_esql_run_prefix_kept(
            &ca, r->esql, &doc, n, plain, captured_texts, captured_ids, &cc, &ids, &err);
        /* the chunk's tables with the panes so far; over the budget, no
         * more runs (as th_exec_esql's head over it) */
        ok = pre && (!esql_charge(e, r, &x, ca.used_total + th_esql_panes_held(p)) ||
                     th_esql_panes_fold(p, pre, &doc, n, ids, k0, k1));
        th_esql_ids_free(ids);
        cap_free(&cc);
        th_arena_free(&ca);
        /* the runs whose panes are all folded, then the panes behind them */
        while (ok && !x.stop && f.next < f.n && f.v[f.next].en <= c.v[k1]) {
            ok = fold_run(e, r, &x, &f, &f.v[f.next]);
            f.next += ok && !x.stop;
        }
        if (ok && !x.stop)
            th_esql_panes_drop(p, f.next < f.n ? f.v[f.next].minb : SIZE_MAX);
        k0 = k1;
    }
    free(c.v);
    if (ok && f.next) { /* the runs made, emitted in order */
        r->rep.esql_folded = true;
        f.n = f.next;
        f.next = 0;
        th_sched_each(e, r, fold_emit, &f);
    }
    th_state_release(e, &x.charged, x.charged);
    th_esql_panes_free(p);
    th_arena_free(&pa);
    th_arena_free(&f.out);
    free(f.v);
    return ok;
}

void th_exec_esql(th_engine *e, th_erule *r)
{
    if (!r->esql || r->matches.len == 0)
        return;
    if (esql_fold(e, r))
        return;
    size_t n = r->matches.len;
    /* captured matches: one document for all (rows of one source, esql.h) */
    size_t ndoc = r->esql_cap ? 1 : n;
    th_esql_doc *docs = th_xmalloc(ndoc * sizeof(th_esql_doc)); /* every one is set below */
    th_jval *empty = th_jnew_obj(&e->arena);
    th_arena pa;
    th_arena_init(&pa, 1 << 16);
    capctx cc;
    cap_init(&cc, e, r, &pa, r->matches.items, n);
    th_str index = th_str_c(e->o.source_index); /* measured once, not per match */
    if (r->esql_cap)
        docs[0] = (th_esql_doc){.index = index,
                                .version = 1,
                                .each = captured_each,
                                .ctx = &cc,
                                .key = captured_key,
                                .dates = captured_dates};
    for (size_t i = 0; i < n && !r->esql_cap; i++) {
        th_jval *d = doc_of(e, r, i);
        const th_edoc *ed = &e->docs.items[th_match_doc(r, &r->matches.items[i])];
        docs[i] = (th_esql_doc){.doc = d ? d : empty, .id = ed->id, .index = index, .version = 1};
    }
    const char *err = NULL;
    th_esql_ids *ids = NULL; /* the prefix's cell ids, freed after the panes */
    xctx x = {docs, NULL, NULL, &pa, ndoc * sizeof(th_esql_doc), 0, false};
    /* captured matches, which the lowered condition selected: the prefix
     * need not check again what that condition decided */
    th_esql_plain_fn plain = r->esql_cap && r->esql_routed ? captured_plain : NULL;
    if (esql_charge(e, r, &x, 0)) /* the captured columns */
        x.pre = th_esql_run_prefix_kept(&pa, r->esql, docs, n, plain,
                                        r->esql_cap ? captured_texts : NULL,
                                        r->esql_cap ? captured_ids : NULL, &cc, &ids, &err);
    if (x.pre && esql_charge(e, r, &x, 0)) { /* else a query error: Elasticsearch fails every run, no alerts */
        x.panes = make_panes(e, r, &pa, x.pre, docs);
        th_esql_panes_use_ids(x.panes, ids);
        th_sched_each(e, r, esql_run, &x);
    }
    th_state_release(e, &x.charged, x.charged);
    th_esql_panes_free(x.panes);
    th_esql_ids_free(ids);
    cap_free(&cc);
    th_arena_free(&pa);
    free(docs);
}

void th_engine_each_doc(th_engine *e, size_t idx, th_engine_doc_fn fn, void *ctx)
{
    if (idx >= e->rules.len)
        return;
    th_erule *r = e->rules.items[idx];
    for (size_t i = 0; i < r->matches.len; i++) {
        const th_edoc *d = &e->docs.items[th_match_doc(r, &r->matches.items[i])];
        th_jval *doc = doc_of(e, r, i);
        if (doc)
            fn(ctx, doc, d->id, d->ts);
    }
}

/* the time an alert is windowed on: the event.ingested it carries, else its
 * @timestamp (the run that created it) */
int64_t th_alert_window_time(const th_ealert *al, const th_jval *doc)
{
    const th_jval *v = th_jobj_getn(doc, TH_STR_LIT("event.ingested"));
    if (!v)
        v = th_json_path_first(doc, TH_STR_LIT("event.ingested"));
    int64_t ms;
    if (v && v->type == TH_JSTR && th_time_parse_iso(v->u.str.p, v->u.str.n, &ms))
        return ms;
    return al->pub.time_ms;
}

void th_exec_esql_alerts(th_engine *e, th_erule *r)
{
    size_t n = e->alerts.len; /* the other rules' alerts; its own are not read */
    if (!r->esql || n == 0)
        return;
    /* the other rules' alerts are kept as text once their rule has run
     * (th_alert_compact): parsed back once, for every run of this rule */
    th_arena adocs;
    th_arena_init(&adocs, 1 << 16);
    th_jval **adoc = th_xcalloc(n, sizeof *adoc);
    int64_t *ts = th_xcalloc(n, sizeof(int64_t));
    for (size_t i = 0; i < n; i++) {
        const th_ealert *al = &e->alerts.items[i];
        if (al->doc) {
            adoc[i] = al->doc;
        } else {
            th_json_error jerr;
            adoc[i] = th_json_parse(&adocs, al->text, al->text_len, &jerr);
        }
        ts[i] = th_alert_window_time(al, adoc[i]);
    }
    th_esql_doc *docs = th_xcalloc(n, sizeof(th_esql_doc));
    xctx x = {docs, NULL, NULL, &adocs, n * (sizeof *adoc + sizeof *ts + sizeof *docs), 0, false};
    int64_t first;
    uint64_t runs = th_sched_runs(e, r, &first);
    int64_t iv = th_sched_interval(r), lb = th_sched_lookback(r);
    bool supp = r->rule->has_suppression && !e->o.no_suppression &&
                r->rule->suppression_group_by.len > 0;
    for (uint64_t k = 0; k < runs; k++) {
        int64_t t = first + (int64_t)k * iv;
        r->rep.runs++;
        r->cur_run = t;
        size_t nd = 0;
        for (size_t i = 0; i < n; i++) {
            const th_ealert *al = &e->alerts.items[i];
            if (!adoc[i] || al->pub.time_ms > t || ts[i] < t - lb || ts[i] > t ||
                al->pub.rule == r->rule) /* its own, carried over from an earlier run */
                continue;
            const th_jval *uid = th_jobj_getn(adoc[i], TH_STR_LIT("kibana.alert.uuid"));
            docs[nd++] = (th_esql_doc){
                .doc = adoc[i],
                .id = uid && uid->type == TH_JSTR ? uid->u.str : TH_STR_NULL,
                .index = TH_STR_LIT(".internal.alerts-security.alerts-default-000001"),
                .version = 1};
        }
        if (nd == 0)
            continue;
        r->rep.matches += nd;
        th_arena scratch;
        th_arena_init(&scratch, 1 << 16);
        const char *err = NULL;
        th_esql_result *res = th_esql_run(&scratch, r->esql, docs, nd, t,
                                          supp ? SIZE_MAX : (size_t)r->max_signals, &err);
        if (res && esql_charge(e, r, &x, scratch.used_total)) {
            eout o = {.res = res, .scratch = &scratch};
            emit(e, r, &o, docs, t - lb, t, false, supp);
        }
        th_arena_free(&scratch);
        if (x.stop)
            break; /* over the budget (reported): no more runs */
    }
    th_state_release(e, &x.charged, x.charged);
    free(docs);
    free(ts);
    free(adoc);
    th_arena_free(&adocs);
}
