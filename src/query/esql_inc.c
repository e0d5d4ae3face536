/* ES|QL: STATS over overlapping windows by partial aggregation (esql.h,
 * th_esql_panes_*).
 *
 * A rule with 24 h of look-back every hour sees each row in 24 windows; its
 * STATS used to group and aggregate every row again in each of them. Here
 * the prefix rows are cut into panes at every window's ends (document
 * indexes; matches are in window-time order, so a window is a run of whole
 * panes); a pane is grouped and aggregated once into partial states, the
 * first time a window needs it, and a window merges its panes' states group
 * by group, in pane order, which is row order.
 *
 * Exactness: a merge gives what th_esql_stats gives over the window's rows.
 *  - Groups come out in order of first appearance: panes are merged in order
 *    and each pane lists its groups in order of first appearance; a group's
 *    BY values are those of its first row (the first pane's).
 *  - COUNT adds counts. VALUES and COUNT_DISTINCT merge sorted distinct
 *    values (a stable sort of the panes' lists in order keeps, among equal
 *    values, the first one, as the sort over all rows does).
 *  - MIN and MAX keep a pane's best value (the first of equal ones); merging
 *    bests in order with the same strict comparison gives the first best.
 *    For doubles (NaN orders no values) every value is kept instead.
 *  - SUM of longs: the sums of the positive and of the negative values.
 *    When both fit, no partial sum in any order can overflow, so the sum is
 *    theirs; when only one sign occurs and its sum overflows, the sum in row
 *    order overflows too (NULL and a warning); else the group is aggregated
 *    again from its rows. SUM and AVG of doubles depend on the order of
 *    additions: every value is kept, in row order, and added in the merge.
 *  - A pane whose values of one aggregate change type (where th_esql_stats
 *    skips or promotes values) makes that group aggregate from its rows.
 *  - Conditions on NOW() that the prefix moved out of its WHEREs
 *    (pre->deferred) filter each window's rows first: per pane they are
 *    decided for all rows at once where they compare one column with a
 *    constant (`@timestamp >= NOW() - 7 days`) and the pane's values of
 *    the column are single dates or longs (then the condition's truth on
 *    the pane's smallest and largest value decides it for every row, the
 *    comparison being monotonic); else row by row, and a pane that keeps
 *    some of its rows is grouped afresh for the window.
 * Warnings counted during a window's run may differ from th_esql_run's (the
 * head's expressions ran over rows the window does not hold); nothing in the
 * engine reads them. */
#include <stdlib.h>
#include <string.h>

#include "base/map.h"
#include "query/esql_int.h"

typedef struct part {
    uint8_t type;       /* the first value's type; EV_NULL: no value */
    bool mixed;         /* a value of another type came */
    bool pos_of, neg_of;
    uint64_t count;     /* COUNT */
    int64_t pos, neg;   /* SUM of longs */
    ev_s *vals;         /* what the merge reduces (see the top) */
    uint32_t nv, capv;
} part;

typedef struct pgroup {
    size_t gid;
    const ev *keys;
    const size_t *rows;
    size_t nrows;
    part *parts;        /* one per aggregate */
} pgroup;

typedef struct pane {
    bool built;
    size_t lo, hi;      /* rows of the prefix table */
    pgroup *g;
    size_t ng;
    size_t *bmin, *bmax; /* per bounded condition: the row of the least and largest value; SIZE_MAX: undecided */
} pane;

/* one conjunct of pre->deferred; col >= 0: it compares that column with a
 * constant */
typedef struct dcond {
    const xnode *x;
    long col;
} dcond;

struct th_esql_panes {
    th_arena *a;
    const th_esql *q;
    const th_esql_result *pre;
    const cmd *stats;
    size_t si;          /* the STATS command's index */
    erun r;             /* over the panes' arena */
    etab t;             /* the prefix table (all rows) */
    size_t *cuts;
    size_t ncuts;
    pane *panes;        /* pane k: documents [cuts[k], cuts[k+1]) */
    dcond *dc;
    size_t ndc;
    th_map gids;        /* group identity -> gid + 1 */
    size_t ngid;
    size_t *seen;       /* per gid: the window it was last met in (stamp) */
    size_t *slot;       /* per gid: its index among the window's groups */
    size_t capgid;
    size_t stamp;
};

static void part_push(erun *r, part *p, ev_s s)
{
    if (p->nv == p->capv) {
        uint32_t nc = p->capv ? p->capv * 2 : 4;
        p->vals = th_arena_realloc(r->a, p->vals, p->capv * sizeof(ev_s), nc * sizeof(ev_s));
        p->capv = nc;
    }
    p->vals[p->nv++] = s;
}

static void part_add(erun *r, part *p, int fn, ev_s s)
{
    if (fn == F_SUM && p->type == EV_LONG) {
        if (s.i >= 0)
            p->pos_of |= __builtin_add_overflow(p->pos, s.i, &p->pos);
        else
            p->neg_of |= __builtin_add_overflow(p->neg, s.i, &p->neg);
        return;
    }
    if ((fn == F_MIN || fn == F_MAX) && p->type != EV_DOUBLE) {
        if (p->nv == 0) {
            part_push(r, p, s);
            return;
        }
        ev a = {p->type, 1, s, NULL}, b = {p->type, 1, p->vals[0], NULL};
        int c = th_ev_cmp(&a, 0, &b, 0);
        if ((fn == F_MIN && c < 0) || (fn == F_MAX && c > 0))
            p->vals[0] = s;
        return;
    }
    part_push(r, p, s);
}

/* the partial state of one aggregate over rows (as th_esql_agg_rows reads them) */
static void part_rows(erun *r, etab *t, const assign *as, const size_t *rows, size_t n, part *p)
{
    const xnode *x = as->x;
    long direct = x->nkids == 1 && x->kids[0]->kind == X_COL ? th_etab_col(r, t, x->kids[0]->name) : -1;
    int fn = x->fn;
    for (size_t i = 0; i < n; i++) {
        size_t row = rows[i];
        if (as->filter && !th_esql_true(r, t, row, as->filter))
            continue;
        if (fn == F_COUNT && x->nkids == 0) {
            p->count++;
            continue;
        }
        ev v = direct >= 0 ? t->cols[direct][row] : th_esql_eval(r, t, row, x->kids[0]);
        if (v.n == 0)
            continue;
        if (fn == F_COUNT) {
            p->count += v.n;
            continue;
        }
        if (p->type == EV_NULL)
            p->type = v.t;
        else if (p->type != v.t) {
            p->mixed = true;
            continue;
        }
        bool distinct = fn == F_VALUES || fn == F_COUNT_DISTINCT;
        for (uint32_t k = 0; k < v.n; k++) {
            ev_s s = ev_at(&v, k);
            if (distinct && p->nv && ev_s_same(p->type, p->vals[p->nv - 1], s))
                continue; /* the same as the last one gathered: sorted away anyway */
            part_add(r, p, fn, s);
        }
    }
    if (fn == F_VALUES || fn == F_COUNT_DISTINCT)
        p->nv = th_esql_sort_distinct(r->a, p->type, p->vals, p->nv);
}

static size_t gid_of(th_esql_panes *p, th_str key)
{
    bool ins;
    void *found = th_map_get(&p->gids, key);
    if (found)
        return (uintptr_t)found - 1;
    th_str k = th_str_make(th_arena_strndup(p->a, key.p, key.n), key.n);
    void **slot = th_map_ref(&p->gids, k, &ins);
    if (p->ngid == p->capgid) {
        size_t nc = p->capgid ? p->capgid * 2 : 64;
        p->seen = th_arena_realloc(p->a, p->seen, p->capgid * sizeof(size_t), nc * sizeof(size_t));
        p->slot = th_arena_realloc(p->a, p->slot, p->capgid * sizeof(size_t), nc * sizeof(size_t));
        p->capgid = nc;
    }
    p->seen[p->ngid] = 0;
    *slot = (void *)(uintptr_t)(p->ngid + 1);
    return p->ngid++;
}

/* groups and partial states of rows[0..n) (ascending), in r's arena */
static pgroup *group_rows(th_esql_panes *p, erun *r, const size_t *rows, size_t n, size_t *ng)
{
    esql_group *g;
    *ng = th_esql_group(r, &p->t, p->stats, rows, n, &g);
    pgroup *out = TH_ANEWN(r->a, pgroup, *ng ? *ng : 1);
    size_t nas = p->stats->nas;
    for (size_t i = 0; i < *ng; i++) {
        out[i] = (pgroup){gid_of(p, g[i].key), g[i].keys, g[i].rows, g[i].nrows,
                          TH_ANEWN(r->a, part, nas ? nas : 1)};
        for (size_t k = 0; k < nas; k++)
            part_rows(r, &p->t, &p->stats->as[k], g[i].rows, g[i].nrows, &out[i].parts[k]);
    }
    return out;
}

static size_t *range_rows(th_arena *a, size_t lo, size_t hi)
{
    size_t *rows = TH_ANEWN(a, size_t, hi > lo ? hi - lo : 1);
    for (size_t i = lo; i < hi; i++)
        rows[i - lo] = i;
    return rows;
}

/* where the pane's values of a bounded condition's column are single dates
 * or longs: the rows of the least and largest */
static void pane_bounds(th_esql_panes *p, pane *pn)
{
    pn->bmin = TH_ANEWN(p->a, size_t, p->ndc ? p->ndc : 1);
    pn->bmax = TH_ANEWN(p->a, size_t, p->ndc ? p->ndc : 1);
    for (size_t d = 0; d < p->ndc; d++) {
        pn->bmin[d] = pn->bmax[d] = SIZE_MAX;
        if (p->dc[d].col < 0 || pn->lo == pn->hi)
            continue;
        const ev *col = p->t.cols[p->dc[d].col];
        uint8_t t = col[pn->lo].t;
        bool ok = t == EV_DATE || t == EV_LONG;
        size_t mn = pn->lo, mx = pn->lo;
        for (size_t row = pn->lo; row < pn->hi && ok; row++) {
            ok = col[row].n == 1 && col[row].t == t;
            if (ok && col[row].one.i < col[mn].one.i)
                mn = row;
            if (ok && col[row].one.i > col[mx].one.i)
                mx = row;
        }
        if (ok) {
            pn->bmin[d] = mn;
            pn->bmax[d] = mx;
        }
    }
}

static void build_pane(th_esql_panes *p, size_t k)
{
    pane *pn = &p->panes[k];
    if (pn->built)
        return;
    pn->built = true;
    const etab *t = &p->pre->t;
    size_t lo = 0, hi = t->nrows;
    while (lo < hi) { /* the first row of document >= cuts[k] */
        size_t mid = lo + (hi - lo) / 2;
        if ((size_t)t->doc[mid] < p->cuts[k])
            lo = mid + 1;
        else
            hi = mid;
    }
    pn->lo = lo;
    hi = t->nrows;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if ((size_t)t->doc[mid] < p->cuts[k + 1])
            lo = mid + 1;
        else
            hi = mid;
    }
    pn->hi = lo;
    pn->g = group_rows(p, &p->r, range_rows(p->a, pn->lo, pn->hi), pn->hi - pn->lo, &pn->ng);
    if (p->ndc)
        pane_bounds(p, pn);
}

static bool only_now(const xnode *x)
{
    if (x->kind == X_COL || (x->kind == X_CALL && x->fn == F_KQL))
        return false;
    for (size_t k = 0; k < x->nkids; k++)
        if (!only_now(x->kids[k]))
            return false;
    return true;
}

static void split_deferred(th_esql_panes *p, const xnode *x)
{
    if (x->kind == X_AND) {
        split_deferred(p, x->kids[0]);
        split_deferred(p, x->kids[1]);
        return;
    }
    long col = -1;
    if (x->kind == X_CMP && x->op != CMP_EQ && x->op != CMP_NE) {
        const xnode *c = x->kids[0], *k = x->kids[1];
        if (c->kind != X_COL) {
            c = x->kids[1];
            k = x->kids[0];
        }
        if (c->kind == X_COL && only_now(k))
            col = th_etab_col(&p->r, &p->t, c->name);
    }
    p->dc = th_arena_realloc(p->a, p->dc, p->ndc * sizeof(dcond), (p->ndc + 1) * sizeof(dcond));
    p->dc[p->ndc++] = (dcond){x, col};
}

/* every column an expression reads, loaded now into the table (so that no
 * window adds a column to it in its own arena) */
static void touch(th_esql_panes *p, const xnode *x)
{
    if (!x)
        return;
    if (x->kind == X_COL)
        th_etab_col(&p->r, &p->t, x->name);
    for (size_t k = 0; k < x->nkids; k++)
        touch(p, x->kids[k]);
}

th_esql_panes *th_esql_panes_new(th_arena *a, const th_esql *q, const th_esql_result *pre,
                                 const th_esql_doc *docs, size_t ndocs, const size_t *cuts, size_t ncuts)
{
    if (!pre || pre->next >= q->ncmds || q->cmds[pre->next].kind != C_STATS || ncuts < 2)
        return NULL;
    const cmd *st = &q->cmds[pre->next];
    for (size_t k = 0; k < st->nas; k++) {
        const xnode *x = st->as[k].x;
        if (x->kind != X_CALL || x->fn >= F_NAGG || th_esql_uses_now(x) || th_esql_uses_now(st->as[k].filter))
            return NULL;
    }
    for (size_t k = 0; k < st->nby; k++)
        if (th_esql_uses_now(st->by[k].x))
            return NULL;
    th_esql_panes *p = TH_ANEW(a, th_esql_panes);
    p->a = a;
    p->q = q;
    p->pre = pre;
    p->stats = st;
    p->si = pre->next;
    p->r = (erun){.a = a, .q = q, .docs = docs, .ndocs = ndocs, .source = pre->source, .track = -1};
    const etab *in = &pre->t;
    p->t = *in;
    p->t.capcols = in->ncols;
    p->t.names = TH_ANEWN(a, th_str, in->ncols ? in->ncols : 1);
    p->t.cols = TH_ANEWN(a, ev *, in->ncols ? in->ncols : 1);
    if (in->ncols) {
        memcpy(p->t.names, in->names, in->ncols * sizeof(th_str));
        memcpy(p->t.cols, in->cols, in->ncols * sizeof(ev *));
    }
    touch(p, pre->deferred);
    for (size_t k = 0; k < st->nas; k++) {
        touch(p, st->as[k].x);
        touch(p, st->as[k].filter);
    }
    for (size_t k = 0; k < st->nby; k++)
        touch(p, st->by[k].x);
    if (pre->deferred)
        split_deferred(p, pre->deferred);
    p->cuts = TH_ANEWN(a, size_t, ncuts);
    memcpy(p->cuts, cuts, ncuts * sizeof(size_t));
    p->ncuts = ncuts;
    p->panes = TH_ANEWN(a, pane, ncuts);
    th_map_init(&p->gids);
    return p;
}

void th_esql_panes_free(th_esql_panes *p)
{
    if (p)
        th_map_free(&p->gids);
}

static long cut_index(const th_esql_panes *p, size_t d)
{
    size_t lo = 0, hi = p->ncuts;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (p->cuts[mid] < d)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < p->ncuts && p->cuts[lo] == d ? (long)lo : -1;
}

/* a window's group: its panes' groups, in order */
typedef struct wgroup {
    const pgroup **pg;
    size_t n, cap;
} wgroup;

typedef struct wctx {
    wgroup *g;
    size_t ng, cap;
    size_t rows;        /* rows in the window (after the deferred conditions) */
} wctx;

static void take(th_esql_panes *p, erun *r, wctx *w, const pgroup *pg, size_t npg)
{
    for (size_t i = 0; i < npg; i++) {
        size_t gid = pg[i].gid;
        if (p->seen[gid] != p->stamp) {
            p->seen[gid] = p->stamp;
            p->slot[gid] = w->ng;
            if (w->ng == w->cap) {
                size_t nc = w->cap ? w->cap * 2 : 16;
                w->g = th_arena_realloc(r->a, w->g, w->cap * sizeof(wgroup), nc * sizeof(wgroup));
                w->cap = nc;
            }
            w->g[w->ng++] = (wgroup){0};
        }
        wgroup *g = &w->g[p->slot[gid]];
        if (g->n == g->cap) {
            size_t nc = g->cap ? g->cap * 2 : 8;
            g->pg = th_arena_realloc(r->a, g->pg, g->cap * sizeof(pgroup *), nc * sizeof(pgroup *));
            g->cap = nc;
        }
        g->pg[g->n++] = &pg[i];
    }
}

/* the pane's rows that pass the deferred conditions: -1 none, 1 all, 0 some
 * (then *rows, *n) */
static int pane_filter(th_esql_panes *p, erun *r, const pane *pn, size_t **rows, size_t *n)
{
    if (!p->ndc)
        return 1;
    bool all = true;
    for (size_t d = 0; d < p->ndc && all; d++) {
        if (pn->bmin[d] == SIZE_MAX) {
            all = false;
            break;
        }
        bool a = th_esql_true(r, &p->t, pn->bmin[d], p->dc[d].x);
        bool b = th_esql_true(r, &p->t, pn->bmax[d], p->dc[d].x);
        if (!a && !b)
            return -1;
        all = a && b;
    }
    if (all)
        return 1;
    size_t *keep = TH_ANEWN(r->a, size_t, pn->hi - pn->lo);
    size_t w = 0;
    for (size_t row = pn->lo; row < pn->hi; row++)
        if (th_esql_true(r, &p->t, row, p->pre->deferred))
            keep[w++] = row;
    if (w == 0)
        return -1;
    if (w == pn->hi - pn->lo)
        return 1;
    *rows = keep;
    *n = w;
    return 0;
}

static ev merge(th_esql_panes *p, erun *r, const wgroup *g, size_t k)
{
    const assign *as = &p->stats->as[k];
    int fn = as->x->fn;
    if (fn == F_COUNT) {
        uint64_t c = 0;
        for (size_t i = 0; i < g->n; i++)
            c += g->pg[i]->parts[k].count;
        return ev_long((int64_t)c);
    }
    uint8_t type = EV_NULL;
    bool again = false;
    uint32_t nv = 0;
    for (size_t i = 0; i < g->n && !again; i++) {
        const part *pt = &g->pg[i]->parts[k];
        again = pt->mixed || (pt->type != EV_NULL && type != EV_NULL && pt->type != type);
        if (pt->type != EV_NULL)
            type = pt->type;
        nv += pt->nv;
    }
    if (!again && fn == F_SUM && type == EV_LONG) {
        int64_t pos = 0, neg = 0;
        bool pof = false, nof = false;
        for (size_t i = 0; i < g->n; i++) {
            const part *pt = &g->pg[i]->parts[k];
            pof = pof || pt->pos_of || __builtin_add_overflow(pos, pt->pos, &pos);
            nof = nof || pt->neg_of || __builtin_add_overflow(neg, pt->neg, &neg);
        }
        if (!pof && !nof)
            return ev_long(pos + neg);
        if ((pof && !nof && neg == 0) || (nof && !pof && pos == 0)) {
            r->warnings++;
            return ev_null();
        }
        again = true;
    }
    if (again) { /* from the rows */
        size_t n = 0;
        for (size_t i = 0; i < g->n; i++)
            n += g->pg[i]->nrows;
        size_t *rows = TH_ANEWN(r->a, size_t, n ? n : 1), w = 0;
        for (size_t i = 0; i < g->n; i++) {
            memcpy(rows + w, g->pg[i]->rows, g->pg[i]->nrows * sizeof(size_t));
            w += g->pg[i]->nrows;
        }
        return th_esql_agg_rows(r, &p->t, as, rows, n);
    }
    ev_s *vals = TH_ANEWN(r->a, ev_s, nv ? nv : 1);
    uint32_t w = 0;
    for (size_t i = 0; i < g->n; i++) {
        const part *pt = &g->pg[i]->parts[k];
        if (pt->nv)
            memcpy(vals + w, pt->vals, pt->nv * sizeof(ev_s));
        w += pt->nv;
    }
    return th_esql_agg_reduce(r, fn, type, vals, nv);
}

th_esql_result *th_esql_panes_run(th_arena *a, th_esql_panes *p, size_t dlo, size_t dhi, int64_t now_ms,
                                  size_t limit, const char **err)
{
    long k0 = cut_index(p, dlo), k1 = cut_index(p, dhi);
    if (k0 < 0 || k1 < 0 || k1 < k0)
        return NULL;
    erun r = {.a = a, .q = p->q, .docs = p->r.docs, .ndocs = p->r.ndocs, .now = now_ms,
              .source = p->r.source, .track = -1};
    th_esql_result *res = th_esql_new_result(a, p->q);
    for (size_t i = 0; i < p->si; i++) {
        res->rows_in[i] = p->pre->rows_in[i];
        res->rows_out[i] = p->pre->rows_out[i];
    }
    p->stamp++;
    wctx w = {0};
    for (long k = k0; k < k1; k++) {
        build_pane(p, (size_t)k);
        const pane *pn = &p->panes[k];
        size_t *rows = NULL, n = 0;
        int f = pane_filter(p, &r, pn, &rows, &n);
        if (f < 0)
            continue;
        if (f > 0) {
            take(p, &r, &w, pn->g, pn->ng);
            w.rows += pn->hi - pn->lo;
            continue;
        }
        size_t ng;
        const pgroup *pg = group_rows(p, &r, rows, n, &ng);
        take(p, &r, &w, pg, ng);
        w.rows += n;
    }
    size_t ng = w.ng, nas = p->stats->nas;
    ev **keys = TH_ANEWN(a, ev *, ng ? ng : 1);
    ev **aggcols = TH_ANEWN(a, ev *, nas ? nas : 1);
    wgroup empty = {0};
    ev nokeys[1] = {ev_null()};
    if (ng == 0 && p->stats->nby == 0) { /* no BY: always one row */
        ng = 1;
        keys[0] = nokeys;
    }
    for (size_t i = 0; i < w.ng; i++)
        keys[i] = (ev *)w.g[i].pg[0]->keys;
    for (size_t k = 0; k < nas; k++) {
        aggcols[k] = TH_ANEWN(a, ev, ng ? ng : 1);
        for (size_t i = 0; i < ng; i++)
            aggcols[k][i] = merge(p, &r, w.ng ? &w.g[i] : &empty, k);
    }
    res->rows_in[p->si] = w.rows;
    res->t = th_esql_stats_out(&r, p->stats, aggcols, keys, ng);
    res->rows_out[p->si] = ng;
    r.source = false;
    th_esql_run_cmds(&r, res, p->si + 1, p->q->ncmds);
    return th_esql_finish(&r, res, limit, err);
}
