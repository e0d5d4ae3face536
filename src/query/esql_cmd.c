/* ES|QL commands that reshape the table (esql_int.h): STATS, DISSECT, GROK,
 * KEEP / DROP, SORT. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/map.h"
#include "base/sort.h"
#include "ecs/schema.h"
#include "query/cnode.h"
#include "query/esql_int.h"

/* ---- STATS --------------------------------------------------------------- */

/* A value's identity for grouping and distinct counts: its type family and text. */
static void key_of(th_arena *a, th_buf *b, uint8_t t, ev_s s)
{
    uint8_t fam = t == EV_DOUBLE ? EV_LONG : t;
    th_buf_putc(b, (char)('0' + fam));
    if (t == EV_DOUBLE && s.d == (double)(int64_t)s.d)
        th_buf_printf(b, "%lld", (long long)(int64_t)s.d);
    else
        th_buf_putstr(b, th_ev_text(a, t, s));
}

enum { GROUP_HINTS = 256, GROUP_COLS = 4 };

typedef struct gctx {
    erun *r;
    th_map map;
    esql_group *g;
    size_t ng, capg;
    th_buf kb;
    size_t hint[GROUP_HINTS]; /* by the BY cells' identity: a group + 1 that had them */
} gctx;

/* the row into g, where no earlier push could have put it there: a row
 * of single BY cells goes to one group once (rows ascend) */
static inline void group_push_new(gctx *c, esql_group *g, size_t row)
{
    if (g->nrows == g->cap) {
        size_t nc = g->cap ? g->cap * 2 : 8;
        g->rows = th_arena_realloc(c->r->a, g->rows, g->cap * sizeof(size_t), nc * sizeof(size_t));
        g->cap = nc;
    }
    g->rows[g->nrows++] = row;
}

/* the row into g unless it was the last one put there (expand: a row's
 * combinations of several values can give one key twice) */
static inline void group_push(gctx *c, esql_group *g, size_t row)
{
    if (g->nrows && g->rows[g->nrows - 1] == row)
        return;
    if (g->nrows == g->cap) {
        size_t nc = g->cap ? g->cap * 2 : 8;
        g->rows = th_arena_realloc(c->r->a, g->rows, g->cap * sizeof(size_t), nc * sizeof(size_t));
        g->cap = nc;
    }
    g->rows[g->nrows++] = row;
}

/* the hint slot of a row's BY cells: by their first words (th_esql_cell_word,
 * the same for cells ev_same_cell finds the same) */
static inline size_t cell_hash(const ev *v, size_t nk)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t k = 0; k < nk; k++)
        h = (h ^ th_esql_cell_word(&v[k])) * 0x9E3779B97F4A7C15ull;
    return (size_t)(h >> 56) % GROUP_HINTS;
}

/* the row into the group of its key text; returns the group's index */
static size_t group_add(gctx *c, ev *keys, size_t nk, size_t row)
{
    th_buf_clear(&c->kb);
    for (size_t k = 0; k < nk; k++) {
        if (keys[k].n == 0)
            th_buf_putc(&c->kb, 'N');
        else
            key_of(c->r->a, &c->kb, keys[k].t, keys[k].one);
        th_buf_putc(&c->kb, '\x1f');
    }
    th_str key = th_str_make(c->kb.data ? c->kb.data : "", c->kb.len);
    bool ins;
    void **slot = th_map_ref_copy(&c->map, &key, &ins, c->r->a);
    if (ins) {
        if (c->ng == c->capg) {
            size_t nc = c->capg ? c->capg * 2 : 16;
            c->g = th_arena_realloc(c->r->a, c->g, c->capg * sizeof(esql_group), nc * sizeof(esql_group));
            c->capg = nc;
        }
        esql_group *g = &c->g[c->ng];
        memset(g, 0, sizeof *g);
        g->keys = TH_ANEWN(c->r->a, ev, nk ? nk : 1);
        memcpy(g->keys, keys, nk * sizeof(ev));
        g->key = key;
        *slot = (void *)(uintptr_t)(c->ng + 1);
        c->ng++;
    }
    size_t gi = (uintptr_t)*slot - 1;
    group_push(c, &c->g[gi], row);
    return gi;
}

/* A row whose BY cells are single values or NULL goes to one group, the one
 * of its key text; rows with the very cells a group was made from (repeated
 * users, accounts: the same captured text) find it without the text. */
static void group_one(gctx *c, ev *vals, size_t nk, size_t row)
{
    size_t h = cell_hash(vals, nk), gi = c->hint[h];
    if (gi) {
        esql_group *g = &c->g[gi - 1];
        size_t k = 0;
        while (k < nk && ev_same_cell(&vals[k], &g->keys[k]))
            k++;
        if (k == nk) {
            group_push(c, g, row);
            return;
        }
    }
    c->hint[h] = group_add(c, vals, nk, row) + 1;
}

/* every combination of the BY values of a row (a multi-valued key puts the
 * row in each value's group) */
static void expand(gctx *c, ev *vals, ev *cur, size_t k, size_t nk, size_t row)
{
    if (k == nk) {
        (void)group_add(c, cur, nk, row);
        return;
    }
    if (vals[k].n <= 1) {
        cur[k] = vals[k];
        expand(c, vals, cur, k + 1, nk, row);
        return;
    }
    for (uint32_t i = 0; i < vals[k].n; i++) {
        cur[k] = (ev){vals[k].t, 1, {.one = vals[k].many[i]}};
        expand(c, vals, cur, k + 1, nk, row);
    }
}

/* The rows' groups where the BY keys are a few columns (cp: their cells):
 * the loop above with group_one in it, its cells read where they lie (the
 * hash and the hint's comparison) and copied to vals only for group_add or
 * expand. Read through the table and copied first, every store of a row's
 * cells (they hold pointers) made the compiler load the table's columns and
 * their indexes again, and the copies cost as much as the rest. The same
 * hash, hints and calls as group_one, so the same groups and the same
 * allocations (a hint's hit skips group_add, whose key text of a number or
 * a date is made in the arena). Rows from `from` on. */
__attribute__((always_inline)) static inline void group_cols_n(gctx *c, const ev *const *cp,
                                                               size_t nk, const size_t *rows,
                                                               size_t from, size_t nrows, ev *vals,
                                                               ev *cur)
{
    for (size_t i = from; i < nrows; i++) {
        size_t row = rows ? rows[i] : i;
        bool one = true;
        uint64_t h = 1469598103934665603ull; /* cell_hash's */
        for (size_t k = 0; k < nk; k++) {
            const ev *v = &cp[k][row];
            one = one && v->n <= 1;
            h = (h ^ th_esql_cell_word(v)) * 0x9E3779B97F4A7C15ull;
        }
        if (one) {
            size_t hi = (size_t)(h >> 56) % GROUP_HINTS, gi = c->hint[hi];
            if (gi) {
                esql_group *g = &c->g[gi - 1];
                size_t k = 0;
                while (k < nk && ev_same_cell(&cp[k][row], &g->keys[k]))
                    k++;
                if (k == nk) {
                    group_push_new(c, g, row);
                    continue;
                }
            }
            for (size_t k = 0; k < nk; k++)
                vals[k] = cp[k][row];
            c->hint[hi] = group_add(c, vals, nk, row) + 1;
        } else {
            for (size_t k = 0; k < nk; k++)
                vals[k] = cp[k][row];
            expand(c, vals, cur, 0, nk, row);
        }
    }
}

/* group_cols_n with one BY column a constant (the k8s rule's access key: its
 * hash and comparison without the loops), and then rows given or not (as
 * group_ids_by: th_esql_group 14.67 -> 14.55 M over b100k, 29,799 rows) */
static void group_cols(gctx *c, const ev *const *cp, size_t nk, const size_t *rows, size_t from,
                       size_t nrows, ev *vals, ev *cur)
{
    if (nk == 1 && rows)
        group_cols_n(c, cp, 1, rows, from, nrows, vals, cur);
    else if (nk == 1)
        group_cols_n(c, cp, 1, NULL, from, nrows, vals, cur);
    else
        group_cols_n(c, cp, nk, rows, from, nrows, vals, cur);
}

/* A combination of BY cell ids (esql_ids) seen in this grouping: the ids
 * are equal only where the cells are the very same, so the row's group, its
 * hint slot and whether the hint there is a hit are those of the first row
 * with them. Same cells give the same key text, so a hint slot holding
 * another group is never a hit for them (ev_same_cell would find a cell of
 * another text there). */
typedef struct gid_ent {
    uint64_t key;   /* the ids packed (GID_BITS each) + 1; 0: free */
    uint32_t gi1;   /* its group + 1; 0: a multi-valued cell (expand, each row) */
    uint8_t h;      /* cell_hash's slot */
    bool same;      /* its cells are the group's keys: a hint on the group is a hit */
    bool notext;    /* group_add would make no key text in the arena (keywords, IPs, NULL) */
} gid_ent;

enum { GID_BITS = 21, GID_COLS = 3 };
_Static_assert(GROUP_HINTS <= 256, "gid_ent.h holds a hint slot in a byte");

typedef struct gidtab {
    const uint32_t *ids[GID_COLS]; /* per BY column */
    gid_ent *e;                    /* open-addressed by key */
    size_t cap, len;
} gidtab;

static inline size_t gid_slot(const gidtab *g, uint64_t key)
{
    return (size_t)((key * 0x9E3779B97F4A7C15ull) >> 29) & (g->cap - 1);
}

static void gid_grow(gidtab *g)
{
    gid_ent *old = g->e;
    size_t ocap = g->cap;
    g->cap *= 2;
    g->e = th_xcalloc(g->cap, sizeof *g->e);
    for (size_t i = 0; i < ocap; i++) {
        if (!old[i].key)
            continue;
        size_t j = gid_slot(g, old[i].key);
        while (g->e[j].key)
            j = (j + 1) & (g->cap - 1);
        g->e[j] = old[i];
    }
    free(old);
}

/* group_cols's row where its ids are new: the same steps, and what they
 * found kept in e */
static void group_first(gctx *c, const ev *const *cp, size_t nk, size_t row, ev *vals, ev *cur, gid_ent *e)
{
    bool one = true;
    for (size_t k = 0; k < nk; k++) {
        vals[k] = cp[k][row];
        one = one && vals[k].n <= 1;
    }
    if (!one) {
        expand(c, vals, cur, 0, nk, row);
        return; /* e->gi1 stays 0: every row with these ids expands */
    }
    size_t hi = cell_hash(vals, nk), gi = c->hint[hi];
    if (gi) {
        esql_group *g = &c->g[gi - 1];
        size_t k = 0;
        while (k < nk && ev_same_cell(&vals[k], &g->keys[k]))
            k++;
        if (k == nk)
            group_push(c, g, row);
        gi = k == nk ? gi - 1 : SIZE_MAX;
    } else {
        gi = SIZE_MAX;
    }
    if (gi == SIZE_MAX) {
        gi = group_add(c, vals, nk, row);
        c->hint[hi] = gi + 1;
    }
    const esql_group *g = &c->g[gi];
    e->gi1 = (uint32_t)(gi + 1);
    e->h = (uint8_t)hi;
    e->same = e->notext = true;
    for (size_t k = 0; k < nk; k++) {
        e->same = e->same && ev_same_cell(&vals[k], &g->keys[k]);
        e->notext = e->notext && (vals[k].n == 0 || vals[k].t == EV_KW || vals[k].t == EV_IP);
    }
}

/* group_cols by the BY columns' ids (gt): a row whose ids an earlier row
 * had takes what that row found (gid_ent) and makes the calls group_cols
 * would: group_add where the hint misses, unless group_add would only
 * look its key text up and find that group (notext). Where most rows
 * bring new ids (a key per session) the table gains nothing: the rest
 * goes to group_cols. Inlined with nk a constant (the ids' packing and
 * copies unrolled: -1.3M on the ASN rule over b100k, -1.7M on OIDC). */
__attribute__((always_inline)) static inline void group_ids(gctx *c, const ev *const *cp, size_t nk,
                                                            const size_t *rows, size_t nrows, ev *vals, ev *cur,
                                                            gidtab *gt)
{
    /* the table and the ids in locals (a store through c made the compiler
     * load them again per row); the table moves only where it grows */
    const uint32_t *ids[GID_COLS];
    for (size_t k = 0; k < nk; k++)
        ids[k] = gt->ids[k];
    gid_ent *tab = gt->e;
    size_t mask = gt->cap - 1;
    for (size_t i = 0; i < nrows; i++) {
        size_t row = rows ? rows[i] : i;
        uint64_t key = 1;
        for (size_t k = 0; k < nk; k++)
            key += (uint64_t)ids[k][row] << (GID_BITS * k);
        size_t j = (size_t)((key * 0x9E3779B97F4A7C15ull) >> 29) & mask; /* gid_slot */
        while (tab[j].key && tab[j].key != key)
            j = (j + 1) & mask;
        gid_ent *e = &tab[j];
        if (!e->key) { /* the ids' first row */
            *e = (gid_ent){.key = key};
            group_first(c, cp, nk, row, vals, cur, e);
            if (++gt->len * 2 > gt->cap) {
                if (gt->len * 2 > i + 1) {
                    group_cols(c, cp, nk, rows, i + 1, nrows, vals, cur);
                    return;
                }
                gid_grow(gt);
                tab = gt->e;
                mask = gt->cap - 1;
            }
            continue;
        }
        uint32_t gi1 = e->gi1;
        if (!gi1) {
            for (size_t k = 0; k < nk; k++)
                vals[k] = cp[k][row];
            expand(c, vals, cur, 0, nk, row);
            continue;
        }
        if (c->hint[e->h] != gi1 || !e->same) {
            if (!e->notext) {
                for (size_t k = 0; k < nk; k++)
                    vals[k] = cp[k][row];
                c->hint[e->h] = group_add(c, vals, nk, row) + 1;
                continue;
            }
            c->hint[e->h] = gi1;
        }
        group_push_new(c, &c->g[gi1 - 1], row);
    }
}

/* group_ids, a copy per count (the packing's loop unrolled) and per
 * whether rows are given (the panes' groupings) or are 0 to nrows (a
 * STATS over the table): GCC -O2 does not unswitch the loop on rows, and
 * its test on every row cost ~4 instructions (th_esql_group 15.23 ->
 * 14.67 M over b100k, the pack: 142,683 rows) */
static void group_ids_by(gctx *c, const ev *const *cp, size_t nk, const size_t *rows, size_t nrows,
                         ev *vals, ev *cur, gidtab *gt)
{
    if (rows) {
        if (nk == 1)
            group_ids(c, cp, 1, rows, nrows, vals, cur, gt);
        else if (nk == 2)
            group_ids(c, cp, 2, rows, nrows, vals, cur, gt);
        else
            group_ids(c, cp, 3, rows, nrows, vals, cur, gt);
    } else {
        if (nk == 1)
            group_ids(c, cp, 1, NULL, nrows, vals, cur, gt);
        else if (nk == 2)
            group_ids(c, cp, 2, NULL, nrows, vals, cur, gt);
        else
            group_ids(c, cp, 3, NULL, nrows, vals, cur, gt);
    }
}

size_t th_esql_group(erun *r, etab *t, const cmd *c, const size_t *rows, size_t nrows, esql_group **out)
{
    gctx g = {.r = r};
    th_map_init(&g.map);
    th_buf_init(&g.kb);
    size_t nk = c->nby;
    ev *vals = TH_ANEWN(r->a, ev, nk ? nk : 1), *cur = TH_ANEWN(r->a, ev, nk ? nk : 1);
    /* BY columns only (the usual case): their indexes, found (and loaded) in
     * the order the first row's evaluation finds them, then read directly */
    long *col = TH_ANEWN(r->a, long, nk ? nk : 1);
    bool direct = nrows > 0;
    for (size_t k = 0; k < nk && direct; k++)
        direct = c->by[k].x->kind == X_COL;
    for (size_t k = 0; k < nk && direct; k++) {
        col[k] = th_etab_col(r, t, c->by[k].x->name);
        direct = col[k] >= 0;
    }
    if (direct && nk <= GROUP_COLS) {
        const ev *cp[GROUP_COLS];
        for (size_t k = 0; k < nk; k++)
            cp[k] = t->cols[col[k]];
        /* by the cells' ids where every BY column has them (the prefix's
         * captured columns, in its panes) */
        gidtab gt = {0};
        size_t k = 0;
        for (; k < nk && nk <= GID_COLS; k++) {
            const esql_ids *d = th_esql_ids_of(r, cp[k]);
            if (!d || d->n >= 1u << GID_BITS)
                break;
            gt.ids[k] = d->ids;
        }
        if (nk && k == nk && nk <= GID_COLS) {
            gt.cap = 64;
            gt.e = th_xcalloc(gt.cap, sizeof *gt.e);
            group_ids_by(&g, cp, nk, rows, nrows, vals, cur, &gt);
            free(gt.e);
        } else {
            group_cols(&g, cp, nk, rows, 0, nrows, vals, cur);
        }
    } else {
        for (size_t i = 0; i < nrows; i++) {
            size_t row = rows ? rows[i] : i;
            bool one = true;
            for (size_t k = 0; k < nk; k++) {
                vals[k] = direct ? t->cols[col[k]][row] : th_esql_eval(r, t, row, c->by[k].x);
                one = one && vals[k].n <= 1;
            }
            if (one)
                group_one(&g, vals, nk, row);
            else
                expand(&g, vals, cur, 0, nk, row);
        }
    }
    th_map_free(&g.map);
    th_buf_free(&g.kb);
    *out = g.g;
    return g.ng;
}

typedef struct sortctx {
    uint8_t t;
} sortctx;

static int cmp_vals(const void *x, const void *y, void *ctx)
{
    const sortctx *s = ctx;
    ev a = {s->t, 1, {.one = *(const ev_s *)x}}, b = {s->t, 1, {.one = *(const ev_s *)y}};
    return th_ev_cmp(&a, 0, &b, 0);
}

static inline bool vals_before(const sortctx *s, const ev_s *x, const ev_s *y)
{
    return cmp_vals(x, y, (void *)s) < 0;
}
TH_DEFINE_STABLE_SORT(sort_vals, ev_s, const sortctx *, vals_before)

/* th_ev_cmp of two values of one type among keywords (th_str_cmp of the
 * texts), longs, dates, booleans and spans (their integers), inline: the
 * sort called th_ev_cmp through cmp_vals for every comparison */
static inline int flat_cmp(uint8_t t, ev_s x, ev_s y)
{
    if (t == EV_KW)
        return th_str_cmp(x.s, y.s);
    return x.i < y.i ? -1 : x.i > y.i;
}

static inline bool flat_before(const sortctx *s, const ev_s *x, const ev_s *y)
{
    return flat_cmp(s->t, *x, *y) < 0;
}
TH_DEFINE_STABLE_SORT(sort_flat, ev_s, const sortctx *, flat_before)

enum { DEDUP_MIN = 16, DEDUP_MAX = 1024 };

static uint64_t scalar_hash(uint8_t type, ev_s s)
{
    uint64_t h = type == EV_KW || type == EV_IP ? (uint64_t)(uintptr_t)s.s.p ^ (uint64_t)s.s.n << 48 : (uint64_t)s.i;
    return h * 0x9E3779B97F4A7C15ull;
}

/* Drops the values identical to an earlier one (the same text at the same
 * address, the same integer), keeping the first: a group's values come back
 * (user agents, actions alternating), and the stable sort below keeps the
 * first of equal values, which a dropped one never is. Not for doubles. */
static uint32_t drop_repeats(uint8_t type, ev_s *vals, uint32_t nv)
{
    uint32_t set[2 * DEDUP_MAX]; /* index + 1 of a kept value; 0: free */
    uint32_t cap = 2 * DEDUP_MIN;
    while (cap < 2 * nv)
        cap *= 2;
    memset(set, 0, cap * sizeof set[0]);
    uint32_t w = 0;
    bool str = type == EV_KW || type == EV_IP;
    for (uint32_t k = 0; k < nv; k++) {
        ev_s v = vals[k];
        uint32_t j = (uint32_t)(scalar_hash(type, v) >> 40) & (cap - 1);
        bool dup = false;
        for (; set[j]; j = (j + 1) & (cap - 1)) {
            ev_s u = vals[set[j] - 1];
            if (str ? u.s.p == v.s.p && u.s.n == v.s.n : u.i == v.i) {
                dup = true;
                break;
            }
        }
        if (dup)
            continue;
        vals[w] = v;
        set[j] = ++w;
    }
    return w;
}

/* an IP value with its address, parsed once: th_ev_cmp parses both sides
 * of every comparison (cmp_ip), VALUES(source.ip) over a pane's group
 * ~20 times per value */
typedef struct ipkey {
    uint8_t a[16];
    ev_s v;
} ipkey;

static inline bool ip_before(const void *ctx, const ipkey *x, const ipkey *y)
{
    (void)ctx;
    return memcmp(x->a, y->a, 16) < 0;
}
TH_DEFINE_STABLE_SORT(sort_ips, ipkey, const void *, ip_before)

enum { IPKEYS_STACK = 64 };

/* sort_vals and the de-duplication below for IP values that all parse:
 * th_ev_cmp of two of them is the memcmp of their addresses, so a stable
 * sort by the addresses puts them in the same order, and the same ones
 * compare equal to the last one kept. Where one does not parse (th_ev_cmp
 * compares it with the others as text) nothing is changed and it returns
 * UINT32_MAX. */
static uint32_t sort_ips_distinct(ev_s *vals, uint32_t nv)
{
    ipkey stack[IPKEYS_STACK];
    ipkey *k = nv <= IPKEYS_STACK ? stack : th_xmalloc(nv * sizeof *k);
    uint32_t w = UINT32_MAX;
    for (uint32_t i = 0; i < nv; i++) {
        if (!th_q_parse_ip(vals[i].s, k[i].a))
            goto out;
        k[i].v = vals[i];
    }
    sort_ips(k, nv, NULL);
    w = 0;
    for (uint32_t i = 0, last = 0; i < nv; i++)
        if (i == 0 || memcmp(k[i].a, k[last].a, 16) != 0) {
            vals[w++] = k[i].v;
            last = i;
        }
out:
    if (k != stack)
        free(k);
    return w;
}

uint32_t th_esql_sort_distinct(uint8_t type, ev_s *vals, uint32_t nv)
{
    if (nv == 0)
        return 0;
    if (nv >= DEDUP_MIN && nv <= DEDUP_MAX && type != EV_DOUBLE)
        nv = drop_repeats(type, vals, nv);
    if (type == EV_IP && nv > 1) {
        uint32_t w = sort_ips_distinct(vals, nv);
        if (w != UINT32_MAX)
            return w;
    }
    sortctx sc = {type};
    if (type == EV_KW || type == EV_LONG || type == EV_DATE || type == EV_BOOL || type == EV_SPAN) {
        sort_flat(vals, nv, &sc);
        uint32_t w = 1;
        for (uint32_t k = 1; k < nv; k++)
            if (flat_cmp(type, vals[k], vals[w - 1]) != 0)
                vals[w++] = vals[k];
        return w;
    }
    sort_vals(vals, nv, &sc);
    uint32_t w = 1;
    for (uint32_t k = 1; k < nv; k++)
        if (cmp_vals(&vals[k], &vals[w - 1], &sc) != 0)
            vals[w++] = vals[k];
    return w;
}

ev th_esql_agg_reduce(erun *r, int fn, uint8_t type, ev_s *vals, uint32_t nv)
{
    if (nv == 0)
        return fn == F_COUNT_DISTINCT ? ev_long(0) : ev_null();
    switch (fn) {
    case F_COUNT_DISTINCT:
    case F_VALUES: {
        uint32_t w = th_esql_sort_distinct(type, vals, nv);
        if (fn == F_COUNT_DISTINCT)
            return ev_long(w);
        return th_ev_make(r->a, type, vals, w);
    }
    case F_MIN:
    case F_MAX: {
        ev all = {type, 1, {.one = vals[0]}};
        for (uint32_t k = 1; k < nv; k++) {
            ev a = {type, 1, {.one = vals[k]}};
            int c = th_ev_cmp(&a, 0, &all, 0);
            if ((fn == F_MIN && c < 0) || (fn == F_MAX && c > 0))
                all.one = vals[k];
        }
        return all;
    }
    case F_SUM:
    case F_AVG: {
        if (type == EV_LONG && fn == F_SUM) {
            int64_t s = 0;
            for (uint32_t k = 0; k < nv; k++)
                if (__builtin_add_overflow(s, vals[k].i, &s)) {
                    r->warnings++;
                    return ev_null();
                }
            return ev_long(s);
        }
        if (type != EV_LONG && type != EV_DOUBLE)
            return ev_null();
        double s = 0;
        for (uint32_t k = 0; k < nv; k++)
            s += type == EV_LONG ? (double)vals[k].i : vals[k].d;
        if (fn == F_AVG)
            s /= nv;
        return (ev){EV_DOUBLE, 1, {.one = {.d = s}}};
    }
    default:
        return ev_null();
    }
}

ev th_esql_agg_rows(erun *r, etab *t, const assign *as, const size_t *rows, size_t nrows)
{
    const xnode *x = as->x;
    /* a plain column argument is read directly (the common case) */
    long direct = x->nkids == 1 && x->kids[0]->kind == X_COL ? th_etab_col(r, t, x->kids[0]->name) : -1;
    int fn = x->fn;
    uint64_t count = 0;
    ev_s *vals = NULL;
    uint32_t nv = 0, capv = 0;
    uint8_t type = EV_NULL;
    bool mixed_double = false;
    esql_memo mf, mx;
    if (as->filter)
        th_esql_memo_init(&mf, as->filter);
    if (x->nkids)
        th_esql_memo_init(&mx, x->kids[0]);
    for (size_t i = 0; i < nrows; i++) {
        size_t row = rows[i];
        if (as->filter && !th_esql_true_memo(r, t, row, &mf))
            continue;
        if (fn == F_COUNT && x->nkids == 0) {
            count++;
            continue;
        }
        ev v = direct >= 0 ? t->cols[direct][row] : th_esql_eval_memo(r, t, row, &mx);
        if (v.n == 0)
            continue;
        if (fn == F_COUNT) {
            count += v.n;
            continue;
        }
        if (type == EV_NULL)
            type = v.t;
        else if (type != v.t) {
            if ((type == EV_LONG && v.t == EV_DOUBLE) || (type == EV_DOUBLE && v.t == EV_LONG))
                mixed_double = true;
            else
                continue;
        }
        for (uint32_t k = 0; k < v.n; k++) {
            ev_s s = ev_at(&v, k);
            if (v.t == EV_LONG && mixed_double) {
                s.d = (double)s.i;
            }
            if ((fn == F_VALUES || fn == F_COUNT_DISTINCT) && !mixed_double && nv &&
                ev_s_same(type, vals[nv - 1], s))
                continue; /* the same as the last one gathered: sorted away anyway */
            if (nv == capv) {
                uint32_t nc = capv ? capv * 2 : 16;
                vals = th_arena_realloc(r->a, vals, capv * sizeof(ev_s), nc * sizeof(ev_s));
                capv = nc;
            }
            vals[nv++] = s;
        }
        if (mixed_double && type == EV_LONG) { /* promote what came before */
            for (uint32_t k = 0; k + v.n < nv; k++)
                vals[k].d = (double)vals[k].i;
            type = EV_DOUBLE;
        }
    }
    if (fn == F_COUNT)
        return ev_long((int64_t)count);
    return th_esql_agg_reduce(r, fn, type, vals, nv);
}

etab th_esql_stats_out(erun *r, const cmd *c, ev **aggcols, ev *const *keys, size_t ng)
{
    etab out = {0};
    out.nrows = ng;
    out.doc = TH_ANEWN(r->a, long, ng ? ng : 1);
    for (size_t i = 0; i < ng; i++)
        out.doc[i] = -1;
    bool src = r->source;
    r->source = false;
    for (size_t k = 0; k < c->nas; k++)
        th_etab_set(r, &out, c->as[k].name, aggcols[k]);
    for (size_t k = 0; k < c->nby; k++) {
        ev *col = TH_ANEWN(r->a, ev, ng ? ng : 1);
        for (size_t i = 0; i < ng; i++)
            col[i] = keys[i][k];
        th_etab_set(r, &out, c->by[k].name, col);
    }
    r->source = src;
    return out;
}

bool th_esql_stats(erun *r, etab *t, const cmd *c)
{
    esql_group *g;
    size_t ng = th_esql_group(r, t, c, NULL, t->nrows, &g);
    ev nokeys[1] = {ev_null()};
    ev *const *keys;
    ev **kp = TH_ANEWN(r->a, ev *, ng ? ng : 1);
    for (size_t i = 0; i < ng; i++)
        kp[i] = g[i].keys;
    keys = kp;
    size_t none = 0;
    esql_group empty = {nokeys, &none, 0, 0, TH_STR_NULL};
    if (c->nby == 0 && ng == 0) { /* no BY: always one row */
        g = &empty;
        kp[0] = nokeys;
        ng = 1;
    }
    ev **aggcols = TH_ANEWN(r->a, ev *, c->nas ? c->nas : 1);
    for (size_t k = 0; k < c->nas; k++) {
        aggcols[k] = TH_ANEWN(r->a, ev, ng);
        for (size_t i = 0; i < ng; i++)
            aggcols[k][i] = th_esql_agg_rows(r, t, &c->as[k], g[i].rows, g[i].nrows);
    }
    bool *held = NULL; /* explain: the groups that hold the followed document */
    if (r->track >= 0) {
        held = TH_ANEWN(r->a, bool, ng);
        for (size_t i = 0; i < ng; i++)
            for (size_t j = 0; j < g[i].nrows && !held[i]; j++)
                held[i] = t->doc[g[i].rows[j]] == r->track || t->doc[g[i].rows[j]] == ESQL_TRACKED;
    }
    *t = th_esql_stats_out(r, c, aggcols, keys, ng);
    for (size_t i = 0; held && i < ng; i++)
        if (held[i])
            t->doc[i] = ESQL_TRACKED;
    r->source = false;
    return r->err == NULL;
}

/* ---- DISSECT ------------------------------------------------------------- */

bool th_esql_dissect_compile(th_arena *a, th_str pat, cmd *c, char *err, size_t cap)
{
    size_t i = 0;
    const char *s = pat.p;
    size_t n = pat.n;
    const char *first = NULL;
    for (size_t k = 0; k + 1 < n; k++)
        if (s[k] == '%' && s[k + 1] == '{') {
            first = s + k;
            break;
        }
    if (!first) {
        snprintf(err, cap, "no %%{key} in the pattern");
        return false;
    }
    c->prefix = th_str_make(s, (size_t)(first - s));
    i = (size_t)(first - s);
    size_t nk = 0, capk = 0;
    dkey *keys = NULL;
    while (i < n) {
        /* at "%{" */
        size_t e = i + 2;
        while (e < n && s[e] != '}')
            e++;
        if (e >= n) {
            snprintf(err, cap, "unterminated %%{");
            return false;
        }
        th_str name = th_str_make(s + i + 2, e - i - 2);
        dkey k = {0};
        if (name.n && (name.p[0] == '+' || name.p[0] == '*' || name.p[0] == '&')) {
            snprintf(err, cap, "dissect modifiers (+ * &) are not supported");
            return false;
        }
        if (name.n > 2 && name.p[name.n - 2] == '-' && name.p[name.n - 1] == '>') {
            snprintf(err, cap, "the right-padding modifier (->) is not supported");
            return false;
        }
        if (name.n == 0 || name.p[0] == '?') {
            k.skip = true;
        } else {
            k.name = th_str_make(th_arena_strndup(a, name.p, name.n), name.n);
        }
        size_t d = e + 1, de = d;
        while (de < n && !(s[de] == '%' && de + 1 < n && s[de + 1] == '{'))
            de++;
        k.delim = th_str_make(s + d, de - d);
        if (nk == capk) {
            size_t nc = capk ? capk * 2 : 8;
            keys = th_arena_realloc(a, keys, capk * sizeof(dkey), nc * sizeof(dkey));
            capk = nc;
        }
        keys[nk++] = k;
        i = de;
    }
    c->dk = keys;
    c->ndk = nk;
    c->outcols = TH_ANEWN(a, th_str, nk);
    for (size_t k = 0; k < nk; k++)
        if (!keys[k].skip)
            c->outcols[c->nout++] = keys[k].name;
    return true;
}

static const char *find_delim(const char *p, const char *end, th_str d)
{
    if (d.n == 0)
        return p;
    for (const char *q = p; q + d.n <= end; q++)
        if (memcmp(q, d.p, d.n) == 0)
            return q;
    return NULL;
}

/* One input against the keys: false when it does not match (all NULL). */
static bool dissect_one(const cmd *c, th_str in, th_str *out)
{
    if (in.n <= c->prefix.n || memcmp(in.p, c->prefix.p, c->prefix.n) != 0)
        return false;
    const char *p = in.p + c->prefix.n, *end = in.p + in.n;
    size_t o = 0;
    for (size_t k = 0; k < c->ndk; k++) {
        const dkey *dk = &c->dk[k];
        const char *v0 = p, *v1;
        if (dk->delim.n == 0) {
            if (k + 1 == c->ndk) {
                v1 = end;
            } else {
                v1 = p; /* two keys with nothing between: the first is empty */
            }
        } else {
            v1 = find_delim(p, end, dk->delim);
            if (!v1)
                return false;
        }
        if (!dk->skip)
            out[o++] = th_str_make(v0, (size_t)(v1 - v0));
        p = v1 + dk->delim.n;
    }
    return true;
}

bool th_esql_dissect(erun *r, etab *t, const cmd *c)
{
    long in = th_etab_col(r, t, c->field);
    if (in < 0) {
        r->err = "DISSECT: unknown column";
        return false;
    }
    ev **cols = TH_ANEWN(r->a, ev *, c->nout ? c->nout : 1);
    for (size_t k = 0; k < c->nout; k++)
        cols[k] = TH_ANEWN(r->a, ev, t->nrows ? t->nrows : 1);
    th_str *tmp = TH_ANEWN(r->a, th_str, c->nout ? c->nout : 1);
    for (size_t row = 0; row < t->nrows; row++) {
        ev v = t->cols[in][row];
        if (v.n != 1 || (v.t != EV_KW && v.t != EV_IP)) {
            if (v.n > 1)
                r->warnings++;
            continue;
        }
        if (!dissect_one(c, v.one.s, tmp))
            continue;
        for (size_t k = 0; k < c->nout; k++)
            cols[k][row] = ev_kw(tmp[k]);
    }
    for (size_t k = 0; k < c->nout; k++)
        th_etab_set(r, t, c->outcols[k], cols[k]);
    return true;
}

/* ---- GROK ---------------------------------------------------------------- */

static const struct {
    const char *name, *re;
} grok_pats[] = {
    {"NOTSPACE", "\\S+"},
    {"DATA", ".*?"},
    {"GREEDYDATA", ".*"},
    {"WORD", "\\b\\w+\\b"},
    {"SPACE", "\\s*"},
    {"INT", "(?:[+-]?(?:[0-9]+))"},
    {"NUMBER", "(?:[+-]?(?:(?:[0-9]+(?:\\.[0-9]+)?)|(?:\\.[0-9]+)))"},
    {"IP", "(?:[0-9A-Fa-f:.]+)"},
    {"USERNAME", "[a-zA-Z0-9._-]+"},
};

static void *arena_malloc(size_t n, void *d) { return th_arena_alloc(d, n); }
static void arena_free(void *p, void *d)
{
    (void)p;
    (void)d;
}

/* Translates the grok pattern into PCRE2 (in the arena, freed with it). */
bool th_esql_grok_compile(th_arena *a, th_str pat, cmd *c, char *err, size_t cap)
{
    th_buf b;
    th_buf_init(&b);
    size_t ng = 0, capn = 0;
    th_str *names = NULL;
    /* every capture group is renamed gN (names with dots are not valid in
     * PCRE2); unnamed groups become non-capturing so numbering stays ours */
    for (size_t i = 0; i < pat.n;) {
        char ch = pat.p[i];
        if (ch == '\\' && i + 1 < pat.n) {
            th_buf_put(&b, pat.p + i, 2);
            i += 2;
            continue;
        }
        if (ch == '[') { /* copy a class as is */
            size_t e = i + 1;
            if (e < pat.n && pat.p[e] == '^')
                e++;
            if (e < pat.n && pat.p[e] == ']')
                e++;
            while (e < pat.n && pat.p[e] != ']') {
                if (pat.p[e] == '\\')
                    e++;
                e++;
            }
            if (e >= pat.n) {
                th_buf_free(&b);
                snprintf(err, cap, "unterminated character class");
                return false;
            }
            th_buf_put(&b, pat.p + i, e + 1 - i);
            i = e + 1;
            continue;
        }
        th_str name = TH_STR_NULL;
        const char *sub = NULL;
        size_t adv = 0;
        if (ch == '(' && i + 2 < pat.n && pat.p[i + 1] == '?' && pat.p[i + 2] == '<' &&
            i + 3 < pat.n && pat.p[i + 3] != '=' && pat.p[i + 3] != '!') {
            size_t e = i + 3;
            while (e < pat.n && pat.p[e] != '>')
                e++;
            if (e >= pat.n) {
                th_buf_free(&b);
                snprintf(err, cap, "unterminated group name");
                return false;
            }
            name = th_str_make(pat.p + i + 3, e - i - 3);
            adv = e + 1 - i;
        } else if (ch == '(' && !(i + 1 < pat.n && pat.p[i + 1] == '?')) {
            th_buf_puts(&b, "(?:");
            i++;
            continue;
        } else if (ch == '%' && i + 1 < pat.n && pat.p[i + 1] == '{') {
            size_t e = i + 2;
            while (e < pat.n && pat.p[e] != '}')
                e++;
            if (e >= pat.n) {
                th_buf_free(&b);
                snprintf(err, cap, "unterminated %%{");
                return false;
            }
            th_str body = th_str_make(pat.p + i + 2, e - i - 2);
            const char *colon = memchr(body.p, ':', body.n);
            th_str pname = colon ? th_str_make(body.p, (size_t)(colon - body.p)) : body;
            if (colon) {
                name = th_str_make(colon + 1, body.n - pname.n - 1);
                const char *c2 = memchr(name.p, ':', name.n);
                if (c2) {
                    th_buf_free(&b);
                    snprintf(err, cap, "grok type conversions (:int) are not supported");
                    return false;
                }
            }
            for (size_t k = 0; k < sizeof grok_pats / sizeof grok_pats[0]; k++)
                if (th_str_eqc(pname, grok_pats[k].name))
                    sub = grok_pats[k].re;
            if (!sub) {
                th_buf_free(&b);
                snprintf(err, cap, "unsupported grok pattern %.*s", (int)(pname.n < 40 ? pname.n : 40), pname.p);
                return false;
            }
            adv = e + 1 - i;
        }
        if (!adv) {
            th_buf_putc(&b, ch);
            i++;
            continue;
        }
        if (name.n) {
            if (ng == capn) {
                size_t nc = capn ? capn * 2 : 8;
                names = th_arena_realloc(a, names, capn * sizeof(th_str), nc * sizeof(th_str));
                capn = nc;
            }
            names[ng++] = th_str_make(th_arena_strndup(a, name.p, name.n), name.n);
            th_buf_printf(&b, "(?<g%zu>", ng);
        } else {
            th_buf_puts(&b, "(?:");
        }
        if (sub) {
            th_buf_puts(&b, sub);
            th_buf_putc(&b, ')');
        }
        i += adv;
    }
    int ec;
    PCRE2_SIZE eo;
    pcre2_general_context *gc = pcre2_general_context_create(arena_malloc, arena_free, a);
    pcre2_compile_context *cc = pcre2_compile_context_create(gc);
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)(b.data ? b.data : ""), b.len, PCRE2_UTF, &ec, &eo, cc);
    th_buf_free(&b);
    if (!re) {
        PCRE2_UCHAR msg[120];
        pcre2_get_error_message(ec, msg, sizeof msg);
        snprintf(err, cap, "%s", (const char *)msg);
        return false;
    }
    c->re = re;
    c->gnames = names;
    c->ngroups = ng;
    c->outcols = TH_ANEWN(a, th_str, ng ? ng : 1);
    for (size_t k = 0; k < ng; k++) {
        bool dup = false;
        for (size_t j = 0; j < c->nout; j++)
            dup |= th_str_eq(c->outcols[j], names[k]);
        if (!dup)
            c->outcols[c->nout++] = names[k];
    }
    return true;
}

bool th_esql_grok(erun *r, etab *t, const cmd *c)
{
    long in = th_etab_col(r, t, c->field);
    if (in < 0) {
        r->err = "GROK: unknown column";
        return false;
    }
    ev **cols = TH_ANEWN(r->a, ev *, c->nout ? c->nout : 1);
    for (size_t k = 0; k < c->nout; k++)
        cols[k] = TH_ANEWN(r->a, ev, t->nrows ? t->nrows : 1);
    /* not _from_pattern: that allocates from the query's arena, which the
     * temporal passes of other rules may be using on other threads */
    uint32_t ncap = 0;
    pcre2_pattern_info(c->re, PCRE2_INFO_CAPTURECOUNT, &ncap);
    pcre2_match_data *md = pcre2_match_data_create(ncap + 1, NULL);
    for (size_t row = 0; row < t->nrows; row++) {
        ev v = t->cols[in][row];
        if (v.n != 1 || (v.t != EV_KW && v.t != EV_IP)) {
            if (v.n > 1)
                r->warnings++;
            continue;
        }
        int rc = pcre2_match(c->re, (PCRE2_SPTR)v.one.s.p, v.one.s.n, 0, 0, md, NULL);
        if (rc < 0)
            continue;
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
        for (size_t g = 0; g < c->ngroups; g++) {
            size_t idx = g + 1;
            if ((int)idx >= rc || ov[2 * idx] == PCRE2_UNSET)
                continue;
            size_t k = 0;
            while (k < c->nout && !th_str_eq(c->outcols[k], c->gnames[g]))
                k++;
            cols[k][row] = ev_kw(th_str_make(v.one.s.p + ov[2 * idx], ov[2 * idx + 1] - ov[2 * idx]));
        }
    }
    pcre2_match_data_free(md);
    for (size_t k = 0; k < c->nout; k++)
        th_etab_set(r, t, c->outcols[k], cols[k]);
    return true;
}

/* ---- KEEP / DROP ----------------------------------------------------------- */

static bool is_pattern(th_str s) { return memchr(s.p, '*', s.n) != NULL; }

/* how a KEEP entry matches a column: by its name, by the prefix before its
 * one `*` at the end (what th_field_glob does with such a pattern, without
 * its walk: `Esql.*` met in every run), or by th_field_glob */
enum { PAT_NAME, PAT_PREFIX, PAT_GLOB };

static uint8_t pat_kind(th_str s)
{
    const char *star = memchr(s.p, '*', s.n);
    return !star ? PAT_NAME : star == s.p + s.n - 1 ? PAT_PREFIX : PAT_GLOB;
}

/* rank of a KEEP entry for a column: explicit name 3, partial pattern 2, `*` 1 */
static int rank(th_str pat, uint8_t kind, th_str col)
{
    if (kind == PAT_NAME)
        return th_str_eq(pat, col) ? 3 : 0;
    bool m = kind == PAT_PREFIX ? col.n >= pat.n - 1 && memcmp(col.p, pat.p, pat.n - 1) == 0
                                : th_field_glob(pat, col);
    if (!m)
        return 0;
    return pat.n == 1 ? 1 : 2;
}

static bool loadable(const th_field_def *d)
{
    switch (d->type) {
    case TH_FT_OBJECT:
    case TH_FT_NESTED:
    case TH_FT_FLATTENED:
    case TH_FT_GEO_POINT:
        return false;
    default:
        return true;
    }
}

void th_esql_keep_compile(th_arena *a, cmd *c)
{
    c->srcs = TH_ANEWN(a, th_str *, c->nnames ? c->nnames : 1);
    c->nsrcs = TH_ANEWN(a, size_t, c->nnames ? c->nnames : 1);
    for (size_t k = 0; k < c->nnames; k++) {
        if (!is_pattern(c->names[k]))
            continue;
        /* the schema's fields in order, matched once (room for all, then trimmed); only
         * those with the pattern's literal prefix can match (90,000 globs on the pack) */
        size_t lo, hi;
        th_schema_glob_range(c->names[k], &lo, &hi);
        bool every = pat_kind(c->names[k]) == PAT_PREFIX; /* `aws.*`: the range is the match */
        th_str *m = th_xmalloc((hi > lo ? hi - lo : 1) * sizeof *m);
        size_t n = 0;
        for (size_t f = lo; f < hi; f++) {
            th_str name = th_str_c(th_schema_fields[f].name);
            if (loadable(&th_schema_fields[f]) && (every || th_field_glob(c->names[k], name)))
                m[n++] = name;
        }
        c->srcs[k] = TH_ANEWN(a, th_str, n ? n : 1);
        memcpy(c->srcs[k], m, n * sizeof *m);
        c->nsrcs[k] = n;
        free(m);
    }
}

void th_esql_keepmemo_free(esql_keepmemo *m)
{
    for (size_t i = 0; m && i < ESQL_KEEP_MEMOS; i++)
        free(m[i].names);
    free(m);
}

/* r's kept answer of c, or the free entry to keep it in; NULL where the
 * run keeps none or every entry holds another command */
static esql_keepmemo *keep_memo(const erun *r, const cmd *c)
{
    if (!r->keeps)
        return NULL;
    for (size_t i = 0; i < ESQL_KEEP_MEMOS; i++)
        if (r->keeps[i].c == c || !r->keeps[i].c)
            return &r->keeps[i];
    return NULL;
}

static bool keep_same(const esql_keepmemo *m, const cmd *c, const etab *t)
{
    if (m->c != c || m->n != t->ncols)
        return false;
    for (size_t i = 0; i < m->n; i++)
        if (!th_str_eq(m->names[i], t->names[i]))
            return false;
    return true;
}

/* keeps the selection of c over t's names (input order) in m */
static void keep_store(esql_keepmemo *m, const cmd *c, const etab *t, const uint32_t *sel, size_t w)
{
    size_t n = t->ncols, text = 0;
    for (size_t i = 0; i < n; i++)
        text += t->names[i].n;
    free(m->names);
    /* names, then the selection, then the names' bytes: one block */
    char *b = th_xmalloc(n * sizeof(th_str) + (w ? w : 1) * sizeof(uint32_t) + text + 1);
    m->names = (th_str *)(void *)b;
    m->sel = (uint32_t *)(void *)(b + n * sizeof(th_str));
    char *at = (char *)(m->sel + (w ? w : 1));
    for (size_t i = 0; i < n; i++) {
        if (t->names[i].n)
            memcpy(at, t->names[i].p, t->names[i].n);
        m->names[i] = th_str_make(at, t->names[i].n);
        at += t->names[i].n;
    }
    if (w)
        memcpy(m->sel, sel, w * sizeof *sel);
    m->c = c;
    m->n = n;
    m->w = w;
}

bool th_esql_keep(erun *r, etab *t, const cmd *c, bool drop)
{
    /* no source column to load: the output is a function of the names */
    esql_keepmemo *km = r->source && !drop ? NULL : keep_memo(r, c);
    if (km && keep_same(km, c, t)) {
        size_t n = t->ncols;
        /* the ranking's arrays taken as the ranking takes them: the run's
         * arena (charged, its peak printed) holds the same bytes either way */
        (void)th_arena_alloc(r->a, sizeof(int) * (n ? n : 1));
        (void)th_arena_alloc(r->a, sizeof(size_t) * (n ? n : 1));
        (void)th_arena_alloc(r->a, c->nnames ? c->nnames : 1);
        th_str *names = TH_ANEWN(r->a, th_str, n ? n : 1);
        ev **cols = TH_ANEWN(r->a, ev *, n ? n : 1);
        for (size_t i = 0; i < km->w; i++) {
            names[i] = t->names[km->sel[i]];
            cols[i] = t->cols[km->sel[i]];
        }
        t->names = names;
        t->cols = cols;
        t->ncols = km->w;
        t->capcols = n ? n : 1;
        r->source = false;
        return true;
    }
    /* source columns a pattern names, from the mapping (the schema) */
    if (r->source && !drop) {
        for (size_t k = 0; k < c->nnames; k++) {
            if (!is_pattern(c->names[k])) {
                if (th_etab_col(r, t, c->names[k]) < 0)
                    return false;
                continue;
            }
            for (size_t f = 0; f < c->nsrcs[k]; f++)
                th_etab_col(r, t, c->srcs[k][f]);
            static const char *const meta[] = {"_id", "_index", "_version"};
            bool want[] = {r->q->meta_id, r->q->meta_index, r->q->meta_version};
            for (size_t m = 0; m < 3; m++)
                if (want[m] && th_field_glob(c->names[k], th_str_c(meta[m])))
                    th_etab_col(r, t, th_str_c(meta[m]));
        }
    }
    size_t n = t->ncols;
    int *best = TH_ANEWN(r->a, int, n ? n : 1);
    size_t *at = TH_ANEWN(r->a, size_t, n ? n : 1);
    uint8_t *kind = TH_ANEWN(r->a, uint8_t, c->nnames ? c->nnames : 1);
    for (size_t k = 0; k < c->nnames; k++)
        kind[k] = pat_kind(c->names[k]);
    /* ES|QL's precedence: an exact name over a partial pattern over `*`; between
     * expressions of the same precedence the rightmost wins (`KEEP a, b, a` is b, a). */
    for (size_t col = 0; col < n; col++) {
        for (size_t k = 0; k < c->nnames; k++) {
            int rk = rank(c->names[k], kind[k], t->names[col]);
            if (rk > 0 && rk >= best[col]) {
                best[col] = rk;
                at[col] = k;
            }
        }
    }
    if (!drop) {
        for (size_t k = 0; k < c->nnames; k++) {
            if (kind[k] != PAT_NAME)
                continue;
            bool found = false;
            for (size_t col = 0; col < n && !found; col++)
                found = th_str_eq(c->names[k], t->names[col]);
            if (!found) {
                r->err = "KEEP: unknown column";
                return false;
            }
        }
    }
    th_str *names = TH_ANEWN(r->a, th_str, n ? n : 1);
    ev **cols = TH_ANEWN(r->a, ev *, n ? n : 1);
    /* the selection by input index, for the memo (heap: the run's arena
     * bytes are as before) */
    uint32_t *sel = km ? th_xmalloc((n ? n : 1) * sizeof *sel) : NULL;
    size_t w = 0;
    if (drop) {
        for (size_t col = 0; col < n; col++)
            if (!best[col]) {
                if (sel)
                    sel[w] = (uint32_t)col;
                names[w] = t->names[col];
                cols[w++] = t->cols[col];
            }
    } else {
        for (size_t k = 0; k < c->nnames; k++)
            for (size_t col = 0; col < n; col++)
                if (best[col] && at[col] == k) {
                    if (sel)
                        sel[w] = (uint32_t)col;
                    names[w] = t->names[col];
                    cols[w++] = t->cols[col];
                }
    }
    if (km)
        keep_store(km, c, t, sel, w);
    free(sel);
    t->names = names;
    t->cols = cols;
    t->ncols = w;
    t->capcols = n ? n : 1;
    r->source = false;
    return true;
}

/* ---- SORT ---------------------------------------------------------------- */

typedef struct skey {
    long col;
    const sortkey *k;
} skey;

static int row_cmp(const etab *t, const skey *ks, size_t nk, size_t a, size_t b)
{
    for (size_t i = 0; i < nk; i++) {
        const ev *x = &t->cols[ks[i].col][a], *y = &t->cols[ks[i].col][b];
        if (x->n == 0 || y->n == 0) {
            if (x->n == 0 && y->n == 0)
                continue;
            bool xnull = x->n == 0;
            return (xnull == ks[i].k->nulls_first) ? -1 : 1;
        }
        if (!th_ev_comparable(x, y))
            continue;
        /* a multi-value sorts by its smallest value ascending, largest descending */
        uint32_t ix = 0, iy = 0;
        for (uint32_t j = 1; j < x->n; j++)
            if ((th_ev_cmp(x, j, x, ix) < 0) != ks[i].k->desc)
                ix = j;
        for (uint32_t j = 1; j < y->n; j++)
            if ((th_ev_cmp(y, j, y, iy) < 0) != ks[i].k->desc)
                iy = j;
        int c = th_ev_cmp(x, ix, y, iy);
        if (c)
            return ks[i].k->desc ? -c : c;
    }
    return 0;
}

static void sort_rows(const etab *t, const skey *ks, size_t nk, size_t *v, size_t *tmp, size_t n)
{
    if (n < 2)
        return;
    size_t h = n / 2;
    sort_rows(t, ks, nk, v, tmp, h);
    sort_rows(t, ks, nk, v + h, tmp, n - h);
    size_t i = 0, j = h, k = 0;
    while (i < h && j < n)
        tmp[k++] = row_cmp(t, ks, nk, v[j], v[i]) < 0 ? v[j++] : v[i++];
    while (i < h)
        tmp[k++] = v[i++];
    while (j < n)
        tmp[k++] = v[j++];
    memcpy(v, tmp, n * sizeof(size_t));
}

void th_esql_sort(erun *r, etab *t, const cmd *c)
{
    skey *ks = TH_ANEWN(r->a, skey, c->nkeys);
    for (size_t i = 0; i < c->nkeys; i++) {
        ks[i].col = th_etab_col(r, t, c->keys[i].name);
        ks[i].k = &c->keys[i];
        if (ks[i].col < 0) {
            r->err = "SORT: unknown column";
            return;
        }
    }
    size_t n = t->nrows;
    size_t *ord = TH_ANEWN(r->a, size_t, n ? n : 1), *tmp = TH_ANEWN(r->a, size_t, n ? n : 1);
    for (size_t i = 0; i < n; i++)
        ord[i] = i;
    sort_rows(t, ks, c->nkeys, ord, tmp, n);
    for (size_t col = 0; col < t->ncols; col++) {
        ev *nc = TH_ANEWN(r->a, ev, n ? n : 1);
        for (size_t i = 0; i < n; i++)
            nc[i] = t->cols[col][ord[i]];
        t->cols[col] = nc;
    }
    long *nd = TH_ANEWN(r->a, long, n ? n : 1);
    for (size_t i = 0; i < n; i++)
        nd[i] = t->doc[ord[i]];
    t->doc = nd;
}
