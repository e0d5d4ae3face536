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
 * engine reads them.
 *
 * Slide: consecutive windows hold almost the same panes (a 7-day look-back
 * every hour: 167 of 168; once the data ends, every later run the same
 * ones, then fewer and fewer), so the state of the kept windows lives on
 * from one window to the next, as a two-stack queue of panes: per group, its
 * pane groups, those of the front (the older panes) each with the state of
 * it and every later front one (its suffix), and the state of the back
 * (the newer panes, folded in as they come). A window whose panes (those
 * with rows, every row kept by the deferred conditions) are the kept ones
 * less some first ones and plus some new ones adds the new ones to the
 * back; when it drops a pane of the back, the back becomes the front first
 * (the suffixes made once: every pane group joins the back once and the
 * front once). A group's state over the window joins its suffix from the
 * window's first pane with its back. Any other window resets the state.
 * Joining the states of two runs of rows gives the state of the fold of
 * them all in row order, in any grouping, where: COUNT adds; the long SUM's
 * signed sums add, and one overflows in some grouping iff its whole sum
 * does (all terms of one sign); MIN / MAX of keywords, longs, dates and
 * booleans keep the strictly better (th_ev_cmp orders them totally, equal
 * only when identical); VALUES / COUNT_DISTINCT of those types merge sorted
 * distinct lists (a union). Other states (values of doubles or ips, AVG, a
 * SUM of doubles, whose additions must stay in row order) are merge()d
 * over the window's pane groups, the result kept while the group's pane
 * groups in the window stay the same (in the kept windows they are a run of
 * all of them: its first and its length tell it); a group that needs its
 * rows again (above) runs merge() every time. A window with a pane that
 * keeps only some of its rows is merged afresh and leaves the kept state
 * alone.
 *
 * Same: a window of the very panes of the last one taken whole (every run
 * after the data ends, until the look-back passes its start: 168 of a
 * 7-day hourly rule's runs) has the same rows, so the same STATS output;
 * and the commands after the STATS up to the first that reads NOW() or a
 * document (KQL()) give the same table again. That table is kept, in an
 * arena of its own, until the next window taken whole that is not the
 * same; a window kept in part leaves it alone (nor does it change the
 * kept state its cells share). Only the commands from there on run in
 * every window; where the first of them is a WHERE whose first conjuncts
 * read neither (`Esql.untrusted_event_count >= 1 AND ... AND
 * Esql.most_recent_low_asn_day >= NOW() - 1 hour`), their outcome per row
 * is kept with the table and each window runs the others, on the rows and
 * in the order do_where would.
 *
 * Fold (th_esql_panes_folded, th_esql_panes_fold): the same panes made
 * from the head's result over a chunk of whole panes at a time (a chunk's
 * own th_esql_panes, its panes built as above), their groups, keys and
 * states then copied out (strings once each, keep_str) and the chunk's
 * table freed, so that the panes outlive the rows. A head cell is a
 * function of its row alone, and a pane is grouped by the same code over
 * the same rows in the same order, so a folded pane is the pane of the
 * whole table but for its rows, gid numbering and memos (neither changes
 * a value). What would read the rows cannot happen there: a pane is
 * refused (the caller runs the query the usual way) where one of its
 * states met two types, an aggregate's values differ in type between pane
 * groups (merge and join would aggregate from the rows), the long SUM of
 * an aggregate's positive or negative values over every pane overflows
 * (no window's sum can then overflow), or the pane has no bounds for a
 * deferred condition. Of the rows, a folded pane keeps the cells of those
 * bounds (rows of its own p->t), all pane_filter reads of a pane it takes
 * whole or drops; a window that would keep a pane in part is found before
 * any run (th_esql_panes_whole) and also sends the caller the usual way.
 * A folded pane's groups, keys and states are one block of its own, freed
 * (th_esql_panes_drop) once the windows, made as the chunks come, have
 * passed it. The kept state of Slide and Same reads no dropped pane then:
 * every later window starts past it, so Slide skips its entries by pane
 * index, and a back that held it is flipped (rebuilt from the window's
 * panes) before a new pane joins it; Same reuses only the very panes of
 * the last window; merge()'s cache tells its first pane group by pane
 * index too (a dropped block's address may come back). */
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
    const char *err;     /* the first error grouping its rows gave (a window taking it whole has it) */
    unsigned char *mem; /* a folded pane's groups, keys and states (fold_pane); NULL once dropped */
    size_t memsz;
} pane;

/* one conjunct of pre->deferred; col >= 0: it compares that column with a
 * constant */
typedef struct dcond {
    const xnode *x;
    long col;
} dcond;

/* the state of one aggregate over a run of pane groups (Slide at the top) */
typedef struct acc {
    uint8_t type;       /* the first value's type; EV_NULL: no value */
    bool again;         /* types differ: the group is aggregated from its rows */
    bool whole;         /* a type the state does not reduce: merge() over the pane groups */
    bool pof, nof;
    bool own;           /* vals is malloc'd here */
    uint64_t count;
    int64_t pos, neg;   /* SUM of longs */
    ev_s best;          /* MIN / MAX, when nv */
    ev_s *vals;         /* VALUES / COUNT_DISTINCT: sorted distinct */
    uint32_t nv;
} acc;

/* one pane group of a kept group, and its pane */
typedef struct sent {
    const pgroup *pg;
    size_t pane;
} sent;

/* merge()'s value of one aggregate, kept while the group's pane groups in
 * the window are the same (the first and how many) */
typedef struct mcache {
    const pgroup *first;
    size_t pane; /* first's pane: a dropped pane's memory may hold a later one's groups */
    size_t n;
    ev v;               /* v.many malloc'd */
    uint64_t warn;
} mcache;

/* a group of the kept windows (Slide at the top): its pane groups, the
 * front's suffix states and the back's state */
typedef struct gslide {
    sent *e;
    size_t n, cap;
    size_t e0;          /* the first entry in the window */
    size_t nf;          /* entries [0, nf): the front; sfx[i * nas + k]: the state of [i, nf) */
    acc *sfx;
    acc *back;          /* per aggregate: the state of entries [nf, n) */
    mcache *mc;         /* per aggregate, made on first use */
    bool active;
} gslide;

/* a window's group: its panes' groups, in order */
typedef struct wgroup {
    const pgroup **pg;
    size_t n, cap;
} wgroup;

typedef struct wctx {
    wgroup *g;
    size_t ng, cap;
    size_t rows;        /* rows in the window (after the deferred conditions) */
    size_t *seen;       /* per gid: the stamp of the last window it was met in */
    size_t *slot;       /* per gid: its index among the window's groups */
    size_t stamp;
} wctx;

typedef struct keptstr keptstr;

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
    th_map gids;        /* group identity -> gid + 1 (hashed by words: gid_slot) */
    size_t ngid, capgid;
    size_t *seen, *slot, stamp; /* a window merged afresh (wctx) */
    /* the kept windows (Slide): their panes, the front's end, per gid the
     * group's state, and the gids with one */
    size_t *kp, nkp, capkp;
    size_t lo, mid;     /* the window's first pane; the first pane of the back */
    gslide *gs;
    size_t *act, nact, capact;
    size_t held;        /* bytes malloc'd for the states */
    /* per aggregate, the memos of its filter and argument over the panes'
     * rows (build_pane: one table, one erun), kept from pane to pane: what
     * they remember is a function of the cells */
    esql_memo *mf, *mx;
    /* Same (at the top): the last window taken whole, its STATS output and
     * the commands after it before `fixed`, in their own arena */
    size_t fixed;       /* the first command after the STATS that reads NOW() or KQL() */
    th_arena same_a;
    th_esql_result *same; /* NULL: nothing kept */
    uint64_t same_warn; /* the warnings counted making it */
    size_t nfirst;      /* `fixed` a WHERE: its first conjuncts free of NOW() and KQL() */
    const uint8_t *first; /* their outcome per row of the kept table (th_esql_where_first) */
    /* Fold (th_esql_panes_folded): panes built chunk by chunk, with no
     * rows; per aggregate the one type its values have, and the sums of
     * its positive and negative long values over every pane */
    bool folded;
    /* a chunk's own panes (th_esql_panes_fold): the fold they are copied
     * into, whose gids their groups take at once (the key looked up once,
     * not in the chunk's map and then in the fold's); NULL otherwise */
    th_esql_panes *into;
    th_esql_result *fpre; /* the rows in and out of the head's commands, summed */
    th_map strs;          /* the strings the panes' states hold, copied out of the chunks
                             (hashed by words: gid_slot) */
    keptstr *kc;          /* keep_str's of the chunk folding now, by address (malloc'd) */
    uint8_t *ktype;
    int64_t *kpos, *kneg;
    /* a chunk's own panes (into): the grouping's plain columns and scans
     * of ids (group_rows), kept from pane to pane over the chunk's one
     * table. In the place of a count of the chunks folded that nothing
     * read: the struct is in the charged arena (th_esql_panes_folded),
     * and 16 bytes more moved the charged peaks */
    struct cgroup *cg;
    size_t caprows; /* rows p->t has room for: per pane and bounded condition, the
                       cells of its least and largest value (pane_bounds) */
    esql_keepmemo *keeps; /* the windows' KEEPs and DROPs (th_esql_keep), malloc'd at the first run */
};

/* keep_str's answers by the string's address and length (KEEP_CACHE of
 * them): within one chunk, the same address holds the same bytes (cells
 * are never written into, and the chunk's arena lives until it is folded);
 * the captured strings, interned by the capture, come again and again */
enum { KEEP_CACHE = 256 };
typedef struct keptstr {
    const char *p;
    size_t n;
    th_str kept;
} keptstr;

static __attribute__((noinline)) void part_grow(erun *r, part *p)
{
    uint32_t nc = p->capv ? p->capv * 2 : 4;
    p->vals = th_arena_realloc(r->a, p->vals, p->capv * sizeof(ev_s), nc * sizeof(ev_s));
    p->capv = nc;
}

/* in line but for the growth: a call per value pushed, with the state
 * stored and loaded around it, cost the fold on b100k 2.1 M of its 62.4 M */
static inline void part_push(erun *r, part *p, ev_s s)
{
    if (p->nv == p->capv)
        part_grow(r, p);
    p->vals[p->nv++] = s;
}

__attribute__((always_inline)) static inline void part_add(erun *r, part *p, int fn, ev_s s)
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
        int c;
        if (p->type == EV_LONG || p->type == EV_DATE || p->type == EV_BOOL || p->type == EV_SPAN) {
            /* th_ev_cmp of two values of one of these types: their integers */
            c = s.i < p->vals[0].i ? -1 : s.i > p->vals[0].i;
        } else {
            ev a = {p->type, 1, {.one = s}}, b = {p->type, 1, {.one = p->vals[0]}};
            c = th_ev_cmp(&a, 0, &b, 0);
        }
        if ((fn == F_MIN && c < 0) || (fn == F_MAX && c > 0))
            p->vals[0] = s;
        return;
    }
    part_push(r, p, s);
}

/* One value of an aggregate's argument into its partial state. With fn a
 * constant (part_loop), the function's choices fold away. By address: a
 * column's cell is read where it lies, not copied per row. */
__attribute__((always_inline)) static inline void part_value(erun *r, part *p, int fn, const ev *v)
{
    if (v->n == 0)
        return;
    if (fn == F_COUNT) {
        p->count += v->n;
        return;
    }
    if (p->type == EV_NULL) {
        p->type = v->t;
    } else if (p->type != v->t) {
        p->mixed = true;
        return;
    }
    bool distinct = fn == F_VALUES || fn == F_COUNT_DISTINCT;
    if (v->n == 1) { /* most cells: the loop below without its loop */
        if (!(distinct && p->nv && ev_s_same(p->type, p->vals[p->nv - 1], v->one)))
            part_add(r, p, fn, v->one);
        return;
    }
    const ev_s *vs = v->many;
    for (uint32_t k = 0; k < v->n; k++) {
        if (distinct && p->nv && ev_s_same(p->type, p->vals[p->nv - 1], vs[k]))
            continue; /* the same as the last one gathered: sorted away anyway */
        part_add(r, p, fn, vs[k]);
    }
}

/* *sum_to plus s added k times one by one, as part_add does (wrapping; the
 * result: whether some addition overflowed). A sum of one sign that starts
 * in range moves one way, so some partial sum overflows iff the whole
 * does; one that had overflowed keeps its sticky flag either way. */
static bool add_times(int64_t *sum_to, int64_t s, uint64_t k)
{
    int64_t m, sum;
    bool of = __builtin_mul_overflow(s, (int64_t)k, &m);
    of |= __builtin_add_overflow(*sum_to, m, &sum);
    *sum_to = (int64_t)((uint64_t)*sum_to + (uint64_t)s * k);
    return of;
}

/* part_value of v, k times over (k >= 1): the rows of one cell or one
 * remembered value in a run. COUNT and a long SUM add at once; every other
 * case gathers the value k times, as the rows did. */
static void part_again(erun *r, part *p, int fn, const ev *v, uint64_t k)
{
    if (fn == F_COUNT) {
        p->count += (uint64_t)v->n * k;
        return;
    }
    if (fn == F_SUM && v->n == 1 && v->t == EV_LONG && p->type == EV_LONG) {
        if (v->one.i >= 0)
            p->pos_of |= add_times(&p->pos, v->one.i, k);
        else
            p->neg_of |= add_times(&p->neg, v->one.i, k);
        return;
    }
    while (k--)
        part_value(r, p, fn, v);
}

/* whether part_value of v again, right after v, changes nothing: VALUES and
 * COUNT_DISTINCT skip a value the same as the last one gathered, MIN / MAX
 * of other than doubles compare it with the best, which it already was or
 * lost to (MIN / MAX of doubles keep every value, and a cell of several
 * values pushes them again) */
static inline bool again_idle(int fn, const ev *v)
{
    return (fn == F_VALUES || fn == F_COUNT_DISTINCT || fn == F_MIN || fn == F_MAX) && v->n <= 1 &&
           ((fn != F_MIN && fn != F_MAX) || v->t != EV_DOUBLE);
}

/* A memo by two or three columns' packed ids (esql_memo's idh), as
 * th_esql_eval_memo_at reads it, held in the caller's locals: nk 0 where
 * that is not the memo's path (no idh, idv first, or a key column's array
 * not the one its ids are of). The memo changes only in its calls, so the
 * view holds until the next call; th_esql_eval_memo_at tested the columns
 * and looped over a variable count on every row. */
typedef struct idhview {
    const esql_memo_ent *e;
    size_t mask;
    const uint32_t *ids[ESQL_MEMO_CACHED];
    size_t nk;
} idhview;

__attribute__((always_inline)) static inline idhview idh_view(const etab *t, const esql_memo *m)
{
    idhview w = {.nk = 0};
    if (!m->idh || m->idv || m->nkey < 2 || m->nkey > ESQL_MEMO_CACHED)
        return w;
    for (size_t k = 0; k < m->nkey; k++) {
        if (t->cols[m->cols[k]] != m->idcolk[k])
            return w;
        w.ids[k] = m->idsk[k];
    }
    w.e = m->idh;
    w.mask = m->idcap - 1;
    w.nk = m->nkey;
    return w;
}

/* the row's packed key in the view (th_esql_memo_idkey); nk a constant, and
 * so the shifts (the view held them, loaded on every row: part_rows 27.90
 * -> 27.45 M over b100k, the pack) */
__attribute__((always_inline)) static inline uint64_t idh_key(const idhview *w, size_t row,
                                                              size_t nk)
{
    uint64_t key = 1;
    for (size_t k = 0; k < nk; k++)
        key += (uint64_t)w->ids[k][row] << (ESQL_MEMO_ID_BITS * k); /* idsh[k] */
    return key;
}

/* the value remembered for key (th_esql_eval_memo_at's hit), else NULL (the
 * caller calls) */
__attribute__((always_inline)) static inline const esql_memo_val *idh_find(const idhview *w,
                                                                           uint64_t key)
{
    for (size_t j = (size_t)((key * 0x9E3779B97F4A7C15ull) >> 29) & w->mask; w->e[j].key;
         j = (j + 1) & w->mask)
        if (w->e[j].key == key)
            return &w->e[j].v;
    return NULL;
}

/* the end of the run of rows[i..n) whose key is key */
__attribute__((always_inline)) static inline size_t
idh_run(const idhview *w, const size_t *rows, size_t i, size_t n, uint64_t key, size_t nk)
{
    while (i < n && idh_key(w, rows[i], nk) == key)
        i++;
    return i;
}

/* the rows of a group that met an id of one id array first in the group, in
 * row order (a fold's chunk: part_rows) */
typedef struct idscan {
    const uint32_t *ids;
    uint32_t *seen; /* per id: the stamp of the last group that met it */
    size_t *first;  /* room for every id */
    size_t nfirst;
    uint32_t stamp; /* the group first holds (0: none yet) */
    uint32_t *cnt;  /* per id, its rows in the group (where counted: a SUM asked) */
    bool counted;   /* first's scan counted them */
} idscan;

/* sc->first for the group of rows (once per group and id array), and the
 * rows of each id where sc->cnt is there */
static void scan_firsts(idscan *sc, const size_t *rows, size_t n, uint32_t stamp)
{
    if (sc->stamp == stamp)
        return;
    const uint32_t *ids = sc->ids;
    uint32_t *seen = sc->seen, *cnt = sc->cnt;
    size_t nf = 0;
    sc->counted = cnt != NULL;
    for (size_t i = 0; cnt && i < n; i++) {
        uint32_t id = ids[rows[i]];
        if (seen[id] == stamp) {
            cnt[id]++;
            continue;
        }
        seen[id] = stamp;
        cnt[id] = 1;
        sc->first[nf++] = rows[i];
    }
    for (size_t i = 0; !cnt && i < n;) {
        /* four rows met before at once (most rows are): 8.0 -> 6.6
         * instructions a row */
        const size_t *rw = rows + i;
        if (i + 4 <= n && ((seen[ids[rw[0]]] == stamp) & (seen[ids[rw[1]]] == stamp) &
                           (seen[ids[rw[2]]] == stamp) & (seen[ids[rw[3]]] == stamp))) {
            i += 4;
            continue;
        }
        for (size_t end = i + 4 <= n ? i + 4 : n; i < end; i++) {
            uint32_t id = ids[rows[i]];
            if (seen[id] != stamp) {
                seen[id] = stamp;
                sc->first[nf++] = rows[i];
            }
        }
    }
    sc->nfirst = nf;
    sc->stamp = stamp;
}

/* part_value of col's cells at rows[0..n). MIN / MAX over single longs or
 * dates once the state holds one of them (@timestamp: the k8s rule's first
 * and last, the picked cells of the ASN and OIDC rules' last dates) keep
 * the best in a local and store its cell once, where part_add compared and
 * stored through the state per row: the same strict comparison of the
 * integers, so the same first best; any other cell goes through
 * part_value after the best so far is stored. b100k pack: part_rows 30.4
 * -> 27.9 M. */
__attribute__((always_inline)) static inline void
cells_rows(erun *r, part *p, int fn, const ev *col, const size_t *rows, size_t n)
{
    size_t i = 0;
    if (fn == F_MIN || fn == F_MAX) {
        for (; i < n && !(p->nv == 1 && (p->type == EV_LONG || p->type == EV_DATE)); i++)
            part_value(r, p, fn, &col[rows[i]]);
        if (i == n)
            return;
        uint8_t t = p->type;
        int64_t best = p->vals[0].i;
        const ev *bv = NULL; /* the cell of best, where not stored yet */
        for (; i < n; i++) {
            const ev *v = &col[rows[i]];
            if (v->n == 1 && v->t == t) {
                if (fn == F_MIN ? v->one.i < best : v->one.i > best) {
                    best = v->one.i;
                    bv = v;
                }
                continue;
            }
            if (bv)
                p->vals[0] = bv->one;
            bv = NULL;
            part_value(r, p, fn, v);
            best = p->vals[0].i;
        }
        if (bv)
            p->vals[0] = bv->one;
        return;
    }
    for (; i < n; i++)
        part_value(r, p, fn, &col[rows[i]]);
}

/* The rows' values of one aggregate into p, row after row: its filter (mf),
 * then its argument, a column's cells (col) or evaluated (mx). Inlined per
 * function (part_rows), so that a group's rows run one tight loop; one
 * loop per case (filter or not, column or memo), where one loop testing
 * both on every row kept less in registers. */
__attribute__((always_inline)) static inline void
part_loop(erun *r, etab *t, const assign *as, const size_t *rows, size_t n, part *p, esql_memo *mf,
          esql_memo *mx, const ev *col, const uint32_t *ids, const idscan *sc, int fn)
{
    if (!as->filter && col && ids && (fn == F_SUM || fn == F_COUNT)) {
        /* a column with cell ids: the rows after a row, while their id is
         * its id, hold its very cell, so the run adds that value again at
         * once (part_again) */
        for (size_t i = 0; i < n;) {
            size_t row = rows[i++];
            const ev *v = &col[row];
            part_value(r, p, fn, v);
            uint32_t id = ids[row];
            size_t j = i;
            while (j < n && ids[rows[j]] == id)
                j++;
            if (j > i)
                part_again(r, p, fn, v, j - i);
            i = j;
        }
    } else if (sc && (fn == F_VALUES || fn == F_COUNT_DISTINCT || fn == F_MIN || fn == F_MAX)) {
        /* the same, in a fold's chunk (part_rows gives sc only there), for
         * every row of the group, not only the row before: the rows whose
         * cell no earlier row of the group had (scan_firsts), each once. A
         * cell met before changes nothing (a value VALUES / COUNT_DISTINCT
         * sort away, or one MIN / MAX of other than doubles already
         * compared; doubles keep every value, and fold_pane copies, and
         * charges, each: part_rows gives no sc then). The values pushed
         * are fewer, so the chunk's arena holds fewer bytes: it is never
         * charged and is freed with the chunk, and the state after
         * th_esql_sort_distinct is the same (among equal values the first,
         * whose cell no earlier row had). b100k pack: part_rows 37.0 ->
         * 33.0 M (th_esql_sort_distinct 2.7 -> 1.0 M of it; one scan for
         * the three such aggregates of the ASN rule's organisation ids and
         * of the k8s rule's action ids, not three: -1.3 M). */
        for (size_t j = 0; j < sc->nfirst; j++)
            part_value(r, p, fn, &col[sc->first[j]]);
    } else if (!as->filter && col && ids &&
               (fn == F_VALUES || fn == F_COUNT_DISTINCT || fn == F_MIN || fn == F_MAX)) {
        /* a column with cell ids (esql_ids): a row whose id is the one of
         * the row before in this loop holds the very same cell, and that
         * cell's value again changes nothing where it is one value (or none)
         * and the function keeps one of equal values: VALUES and
         * COUNT_DISTINCT skip a value the same as the last one gathered,
         * MIN / MAX of other than doubles compare it with the best, which
         * it already was or lost to. MIN / MAX of doubles keep every value
         * (Merge), and a cell of several values pushes them again (its
         * first differs from its last): those rows run as before. Nothing
         * is skipped that would have been pushed, so the arena's bytes
         * are the same. The run of such rows is passed in one scan. */
        for (size_t i = 0; i < n;) {
            size_t row = rows[i++];
            const ev *v = &col[row];
            part_value(r, p, fn, v);
            if (v->n > 1 || ((fn == F_MIN || fn == F_MAX) && v->t == EV_DOUBLE))
                continue;
            uint32_t id = ids[row];
            while (i < n && ids[rows[i]] == id)
                i++;
        }
    } else if (as->filter) {
        for (size_t i = 0; i < n; i++) {
            size_t row = rows[i];
            if (!th_esql_true_memo(r, t, row, mf))
                continue;
            ev tmp;
            part_value(r, p, fn, col ? &col[row] : th_esql_eval_memo_at(r, t, row, mx, &tmp));
        }
    } else if (col) { /* no filter, a column: the loop reads its cells */
        cells_rows(r, p, fn, col, rows, n);
    } else {
        /* a memo over one column with cell ids (esql_memo's idv): the rows
         * after one it answered, while their id is that row's, would get
         * the value remembered for the id again where that row got it (not
         * a picked column's cell) with no warning to count; the run adds it
         * at once (part_again), or not at all where it changes nothing (as
         * above). Where the id's value is a picked column's cell (a CASE of
         * columns), each row of the run takes its own cell of that column,
         * without the look-up. The memo changes only in its calls, so the
         * ids it had at that row are its ids over the run (held in a local:
         * one scan of the run, where a test per row of the loop cost
         * more). */
        idhview w = idh_view(t, mx);
        for (size_t i = 0; i < n;) {
            size_t row = rows[i++];
            uint64_t key = w.nk == 2 ? idh_key(&w, row, 2) : w.nk == 3 ? idh_key(&w, row, 3) : 0;
            const esql_memo_val *hv = w.nk ? idh_find(&w, key) : NULL;
            const ev *v;
            if (hv) {
                r->warnings += hv->warn;
                v = hv->pcol < 0 ? &hv->out : &t->cols[hv->pcol][row];
                part_value(r, p, fn, v);
                if (hv->pcol >= 0 || hv->warn != 0)
                    continue;
                /* the rows after of the same key (a memo over an EVAL's
                 * flags keys on their few cells: th_esql_ids_values) get
                 * the same value, as the idv's runs below */
                size_t j =
                    w.nk == 2 ? idh_run(&w, rows, i, n, key, 2) : idh_run(&w, rows, i, n, key, 3);
                if (!again_idle(fn, v) && j > i)
                    part_again(r, p, fn, v, j - i);
                i = j;
                continue;
            }
            ev tmp;
            v = th_esql_eval_memo_at(r, t, row, mx, &tmp);
            if (w.nk || mx->idh) /* it may have called: the table grown, keyed anew or by no ids */
                w = idh_view(t, mx);
            part_value(r, p, fn, v);
            if (!mx->idv || t->cols[mx->cols[0]] != mx->idcol)
                continue;
            const uint32_t *mids = mx->ids; /* the memo's, until its next call */
            uint32_t id = mids[row];
            const esql_memo_val *mv = &mx->idv[id];
            if (mv->warn != 0)
                continue;
            size_t j = i; /* rows[i..j): the rows after of the same id */
            while (j < n && mids[rows[j]] == id)
                j++;
            if (v == &mv->out) {
                if (!again_idle(fn, v) && j > i)
                    part_again(r, p, fn, v, j - i);
            } else if (mv->pcol >= 0 && v == &t->cols[mv->pcol][row]) {
                cells_rows(r, p, fn, t->cols[mv->pcol], rows + i, j - i);
            } else {
                continue;
            }
            i = j;
        }
    }
}

/* an aggregate's plain column in a grouping (part_rows) */
typedef struct direct {
    long col;            /* its index (-1: none), DIRECT_UNSEEN until the first group */
    const uint32_t *ids; /* its cell ids, if any */
    idscan *scan;        /* a fold's chunk: the firsts of its ids (scan_firsts), shared */
} direct;

/* a fold's chunk's scans of its grouping (group_rows), one per id array */
typedef struct gscans {
    idscan *v;
    size_t n, cap;
} gscans;

/* a chunk's grouping state kept from pane to pane (th_esql_panes.cg) */
typedef struct cgroup {
    direct *dir;
    gscans gs;
    uint32_t stamp; /* the last group's (unique in the chunk) */
} cgroup;

/* the scan of the id array ids (made at its first aggregate: nid ids) */
static idscan *scan_of(gscans *gs, const uint32_t *ids, uint32_t nid)
{
    for (size_t k = 0; k < gs->n; k++)
        if (gs->v[k].ids == ids)
            return &gs->v[k];
    if (gs->n == gs->cap)
        return NULL;
    idscan *sc = &gs->v[gs->n++];
    *sc = (idscan){.ids = ids,
                   .seen = th_xcalloc(nid ? nid : 1, sizeof(uint32_t)),
                   .first = th_xmalloc((nid ? nid : 1) * sizeof(size_t))};
    return sc;
}

/* An aggregate of a memo by one column's cell ids (esql_memo's idv: a CASE
 * of an EVAL's flag), in a fold's chunk: the value of an id is the same at
 * every row that has it, so the group's rows that met an id first (the
 * scan of the memo's ids) give every value, and a SUM adds each one as
 * many times as its id has rows (part_again). Exact where every such
 * value is remembered (not a picked column's cell, which differs by row),
 * counted no warning, and is NULL or one value that changes nothing
 * again (VALUES, COUNT_DISTINCT; MIN / MAX of other than doubles) or one
 * long (SUM: its positive and negative sums are the same in any order,
 * wrapping, and one of one sign overflows in some order iff its whole sum
 * does). Else false, p and the warnings as they were (the arena may hold
 * a pushed value: never charged), and the caller runs its rows; an error
 * met here is theirs too (the first row with an erring id is a first, and
 * no row before it errs). The ASN and OIDC rules' sums and maxima of
 * flags: b100k pack part_rows 33.0 -> 31.9 M. */
static bool memo_firsts(erun *r, etab *t, part *p, int fn, esql_memo *mx, gscans *gs,
                        const size_t *rows, size_t n, uint32_t stamp)
{
    if (!gs || !mx->idv || !mx->ids || t->cols[mx->cols[0]] != mx->idcol || r->err)
        return false;
    const esql_ids *di = th_esql_ids_of(r, mx->idcol);
    idscan *sc = di && di->ids == mx->ids ? scan_of(gs, mx->ids, di->n) : NULL;
    if (!sc)
        return false;
    if (fn == F_SUM && !sc->cnt) /* counted from the next scan on */
        sc->cnt = th_xmalloc((di->n ? di->n : 1) * sizeof(uint32_t));
    scan_firsts(sc, rows, n, stamp);
    if (fn == F_SUM && !sc->counted)
        return false;
    const uint32_t *ids = sc->ids;
    part was = *p;
    uint64_t w0 = r->warnings;
    for (size_t j = 0; j < sc->nfirst; j++) {
        size_t row = sc->first[j];
        ev tmp;
        const ev *v = th_esql_eval_memo_at(r, t, row, mx, &tmp);
        uint32_t id = ids[row];
        const esql_memo_val *mv = mx->idv && mx->ids == ids ? &mx->idv[id] : NULL;
        bool ok = mv && mv->pcol == -1 && mv->warn == 0 && !r->err && v->n <= 1;
        if (ok && fn == F_SUM)
            ok = v->n == 0 || v->t == EV_LONG;
        else if (ok && (fn == F_MIN || fn == F_MAX))
            ok = v->t != EV_DOUBLE;
        if (!ok) {
            *p = was;
            r->warnings = w0;
            return false;
        }
        part_value(r, p, fn, v);
        if (fn == F_SUM && v->n == 1 && sc->cnt[id] > 1)
            part_again(r, p, fn, v, sc->cnt[id] - 1);
    }
    return true;
}

/* the partial state of one aggregate over rows (as th_esql_agg_rows reads
 * them); mf and mx remember its filter and argument (the same for every
 * group: a function of the cells); d->col, the column of an aggregate of a
 * plain column (-1: none), is found at the grouping's first group
 * (DIRECT_UNSEEN until then) and kept for its other groups, where
 * th_etab_col searched the table's names again (columns are only added
 * while the panes group, never moved: the index stays valid). gs (a fold's
 * chunk, else NULL): VALUES, COUNT_DISTINCT, MIN and MAX of a column with
 * cell ids read the rows that met an id first in the group (stamp: the
 * group's, unique in the grouping), found once for every aggregate whose
 * column has those ids (an EVAL's column shares its key column's). */
enum { DIRECT_UNSEEN = -2 };
static void part_rows(erun *r, etab *t, const assign *as, const size_t *rows, size_t n, part *p,
                      esql_memo *mf, esql_memo *mx, direct *d, gscans *gs, uint32_t stamp)
{
    const xnode *x = as->x;
    int fn = x->fn;
    if (d->col == DIRECT_UNSEEN) {
        d->col =
            x->nkids == 1 && x->kids[0]->kind == X_COL ? th_etab_col(r, t, x->kids[0]->name) : -1;
        const esql_ids *di = d->col >= 0 ? th_esql_ids_of(r, t->cols[d->col]) : NULL;
        d->ids = di ? di->ids : NULL;
        if (di && gs && !as->filter &&
            (fn == F_VALUES || fn == F_COUNT_DISTINCT || fn == F_MIN || fn == F_MAX))
            d->scan = scan_of(gs, di->ids, di->n);
    }
    const ev *col = d->col >= 0 ? t->cols[d->col] : NULL;
    const uint32_t *ids = d->ids;
    idscan *sc = d->scan;
    if (sc) {
        scan_firsts(sc, rows, n, stamp);
        for (size_t j = 0; (fn == F_MIN || fn == F_MAX) && sc && j < sc->nfirst; j++)
            if (col[sc->first[j]].t == EV_DOUBLE)
                sc = NULL; /* every value kept: row by row, as before */
    }
    if (fn == F_COUNT && x->nkids == 0) { /* COUNT(*): the rows its filter keeps */
        if (!as->filter) {
            p->count += n;
            return;
        }
        for (size_t i = 0; i < n; i++)
            p->count += th_esql_true_memo(r, t, rows[i], mf);
        return;
    }
    if (!col && !as->filter && x->nkids &&
        (fn == F_VALUES || fn == F_COUNT_DISTINCT || fn == F_MIN || fn == F_MAX || fn == F_SUM) &&
        memo_firsts(r, t, p, fn, mx, gs, rows, n, stamp))
        goto sorted;
    switch (fn) {
    case F_COUNT: part_loop(r, t, as, rows, n, p, mf, mx, col, ids, NULL, F_COUNT); break;
    case F_VALUES: part_loop(r, t, as, rows, n, p, mf, mx, col, ids, sc, F_VALUES); break;
    case F_COUNT_DISTINCT:
        part_loop(r, t, as, rows, n, p, mf, mx, col, ids, sc, F_COUNT_DISTINCT);
        break;
    case F_MIN: part_loop(r, t, as, rows, n, p, mf, mx, col, ids, sc, F_MIN); break;
    case F_MAX: part_loop(r, t, as, rows, n, p, mf, mx, col, ids, sc, F_MAX); break;
    case F_SUM: part_loop(r, t, as, rows, n, p, mf, mx, col, ids, NULL, F_SUM); break;
    default: part_loop(r, t, as, rows, n, p, mf, mx, col, ids, NULL, fn); break;
    }
sorted:
    if ((fn == F_VALUES || fn == F_COUNT_DISTINCT) &&
        p->nv > 1) /* one value: sorted and distinct */
        p->nv = th_esql_sort_distinct(p->type, p->vals, p->nv);
}

/* key's slot in the panes' maps of group keys and kept strings, hashed by
 * words: their texts (a key of several BY values: ~100 bytes) th_str_hash
 * hashed a byte a step, and gid_of cost 750 instructions a call on b100k */
static th_map_slot *gid_slot(th_map *m, th_str key, bool *ins)
{
    return th_map_slot_hashed(m, key, th_str_hash_words(key), ins);
}

enum { GID_BYTES = 2 * sizeof(size_t) + sizeof(gslide) };

static size_t gid_of(th_esql_panes *p, th_str key)
{
    bool ins;
    th_map_slot *e = gid_slot(&p->gids, key, &ins);
    if (!ins)
        return (uintptr_t)e->value - 1;
    /* the key copied as th_map_ref_copy did: the same arena bytes */
    e->key = th_str_make(th_arena_strndup(p->a, key.p, key.n), key.n);
    if (p->ngid == p->capgid) {
        /* malloc'd, not the arena's: its old arrays would stay (the fold of
         * 74f45152 over the 1 GB file: 25,722 gids, 3.4 MB of them) */
        size_t nc = p->capgid ? p->capgid * 2 : 64;
        p->seen = th_xrealloc(p->seen, nc * sizeof(size_t));
        p->slot = th_xrealloc(p->slot, nc * sizeof(size_t));
        p->gs = th_xrealloc(p->gs, nc * sizeof(gslide));
        p->held += (nc - p->capgid) * GID_BYTES;
        p->capgid = nc;
    }
    p->seen[p->ngid] = 0;
    p->gs[p->ngid] = (gslide){0};
    e->value = (void *)(uintptr_t)(p->ngid + 1);
    return p->ngid++;
}

/* the memos part_rows reads, per aggregate (only those: a memo is 600
 * bytes, 13 aggregates on the ASN rule) */
static void memos_new(const th_esql_panes *p, esql_memo **mf, esql_memo **mx)
{
    size_t nas = p->stats->nas;
    *mf = th_xmalloc((nas ? nas : 1) * sizeof(esql_memo));
    *mx = th_xmalloc((nas ? nas : 1) * sizeof(esql_memo));
    for (size_t k = 0; k < nas; k++) {
        const assign *as = &p->stats->as[k];
        if (as->filter) {
            th_esql_memo_init(&(*mf)[k], as->filter);
            th_esql_memo_cache(&(*mf)[k]);
        }
        if (as->x->nkids) {
            th_esql_memo_init(&(*mx)[k], as->x->kids[0]);
            th_esql_memo_cache(&(*mx)[k]);
        }
    }
}

static void memos_free(const th_esql_panes *p, esql_memo *mf, esql_memo *mx)
{
    for (size_t k = 0; mf && k < p->stats->nas; k++) {
        if (p->stats->as[k].filter)
            th_esql_memo_free(&mf[k]);
        if (p->stats->as[k].x->nkids)
            th_esql_memo_free(&mx[k]);
    }
    free(mf);
    free(mx);
}

/* groups and partial states of rows[0..n) (ascending), in r's arena */
static pgroup *group_rows(th_esql_panes *p, erun *r, const size_t *rows, size_t n, size_t *ng)
{
    esql_group *g;
    *ng = th_esql_group(r, &p->t, p->stats, rows, n, &g);
    pgroup *out = TH_ANEWN(r->a, pgroup, *ng ? *ng : 1);
    size_t nas = p->stats->nas;
    /* the panes' own run keeps its memos from pane to pane; a window's
     * grouping (another erun, its NOW()) has its own */
    bool kept = r == &p->r;
    esql_memo *mf = kept ? p->mf : NULL, *mx = kept ? p->mx : NULL;
    if (!mf)
        memos_new(p, &mf, &mx);
    if (kept) {
        p->mf = mf;
        p->mx = mx;
    }
    /* not the arena's: its bytes are charged. A chunk's own panes keep
     * theirs from pane to pane (their columns found once, their scans'
     * arrays made once: 2,842 callocs on b100k) */
    direct *dir = p->cg ? p->cg->dir : NULL;
    if (!dir) {
        dir = th_xmalloc((nas ? nas : 1) * sizeof(direct));
        for (size_t k = 0; k < nas; k++)
            dir[k] = (direct){DIRECT_UNSEEN, NULL, NULL};
    }
    if (p->into && !p->cg) {
        p->cg = th_xmalloc(sizeof(cgroup));
        *p->cg = (cgroup){dir, {th_xmalloc((nas ? nas : 1) * sizeof(idscan)), 0, nas}, 0};
    }
    for (size_t i = 0; i < *ng; i++) {
        out[i] = (pgroup){gid_of(p->into ? p->into : p, g[i].key), g[i].keys, g[i].rows, g[i].nrows,
                          TH_ANEWN(r->a, part, nas ? nas : 1)};
        uint32_t stamp = p->cg ? ++p->cg->stamp : 0;
        for (size_t k = 0; k < nas; k++)
            part_rows(r, &p->t, &p->stats->as[k], g[i].rows, g[i].nrows, &out[i].parts[k], &mf[k],
                      &mx[k], &dir[k], p->cg ? &p->cg->gs : NULL, stamp);
    }
    if (!p->cg)
        free(dir);
    if (!kept)
        memos_free(p, mf, mx);
    return out;
}

static size_t *range_rows(th_arena *a, size_t lo, size_t hi)
{
    /* not cleared (every entry is written): the same bytes as TH_ANEWN */
    size_t *rows = th_arena_alloc(a, sizeof(size_t) * (hi > lo ? hi - lo : 1));
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
        int64_t lo = INT64_MAX,
                hi = INT64_MIN; /* the values at mn and mx (the first row's once read) */
        for (size_t row = pn->lo; row < pn->hi && ok; row++) {
            const ev *v = &col[row];
            ok = v->n == 1 && v->t == t;
            if (!ok)
                break;
            if (v->one.i < lo) {
                mn = row;
                lo = v->one.i;
            }
            if (v->one.i > hi) {
                mx = row;
                hi = v->one.i;
            }
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
    if (p->folded)
        return; /* never given (th_esql_panes_fold): no rows */
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
    p->r.err = NULL;
    pn->g = group_rows(p, &p->r, range_rows(p->a, pn->lo, pn->hi), pn->hi - pn->lo, &pn->ng);
    pn->err = p->r.err;
    p->r.err = NULL;
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

/* a command whose output over one table may differ from run to run */
static bool run_bound(const cmd *c)
{
    if (th_esql_reads_run(c->cond))
        return true;
    for (size_t k = 0; k < c->nas; k++)
        if (th_esql_reads_run(c->as[k].x) || th_esql_reads_run(c->as[k].filter))
            return true;
    for (size_t k = 0; k < c->nby; k++)
        if (th_esql_reads_run(c->by[k].x))
            return true;
    return false;
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
    p->fixed = p->si + 1;
    while (p->fixed < q->ncmds && !run_bound(&q->cmds[p->fixed]))
        p->fixed++;
    if (p->fixed < q->ncmds && q->cmds[p->fixed].kind == C_WHERE)
        p->nfirst = th_esql_where_split(q->cmds[p->fixed].cond);
    th_arena_init(&p->same_a, 1 << 14);
    return p;
}

/* the memos of the panes' own grouping over p->t (whose columns are the
 * prefix's) read them; a window's grouping (another erun) does not */
void th_esql_panes_use_ids(th_esql_panes *p, const th_esql_ids *ids)
{
    if (p)
        p->r.ids = (th_esql_ids *)ids; /* only read there (no load into p->t makes ids) */
}

static void slide_reset(th_esql_panes *p);

void th_esql_panes_free(th_esql_panes *p)
{
    if (!p)
        return;
    th_map_free(&p->gids);
    if (p->folded) {
        th_map_free(&p->strs);
        th_esql_panes_drop(p, SIZE_MAX);
    }
    free(p->kc);
    th_esql_keepmemo_free(p->keeps);
    slide_reset(p);
    free(p->seen);
    free(p->slot);
    free(p->gs);
    memos_free(p, p->mf, p->mx);
    for (size_t k = 0; p->cg && k < p->cg->gs.n; k++) {
        free(p->cg->gs.v[k].seen);
        free(p->cg->gs.v[k].first);
        free(p->cg->gs.v[k].cnt);
    }
    if (p->cg) {
        free(p->cg->gs.v);
        free(p->cg->dir);
    }
    free(p->cg);
    free(p->kp);
    free(p->act);
    th_arena_free(&p->same_a);
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

/* the pane's groups into w (in arena a) */
static void take(th_arena *a, wctx *w, const pgroup *pg, size_t npg)
{
    for (size_t i = 0; i < npg; i++) {
        size_t gid = pg[i].gid;
        if (w->seen[gid] != w->stamp) {
            w->seen[gid] = w->stamp;
            w->slot[gid] = w->ng;
            if (w->ng == w->cap) {
                size_t nc = w->cap ? w->cap * 2 : 16;
                w->g = th_arena_realloc(a, w->g, w->cap * sizeof(wgroup), nc * sizeof(wgroup));
                w->cap = nc;
            }
            w->g[w->ng++] = (wgroup){0};
        }
        wgroup *g = &w->g[w->slot[gid]];
        if (g->n == g->cap) {
            size_t nc = g->cap ? g->cap * 2 : 8;
            g->pg = th_arena_realloc(a, g->pg, g->cap * sizeof(pgroup *), nc * sizeof(pgroup *));
            g->cap = nc;
        }
        g->pg[g->n++] = &pg[i];
    }
}

/* A bounded condition's side that reads no column (`NOW() - 1 hour`), as
 * one run evaluates it: the same at every row, so it is evaluated once per
 * run, not twice per pane (b100k pack: 5.3 M instructions of 6,633 panes'
 * filters in the runs and as many in th_esql_panes_whole). */
typedef struct dnow {
    int8_t state; /* 0: not known yet; 1: v is usable; -1: every row calls */
    ev v;
} dnow;
enum { DNOW_MAX = 8 };

/* th_esql_true(r, &p->t, row, x) for x = p->dc[d].x, a comparison of the
 * column dc[d].col, whose cell at row is one date or long (pane_bounds),
 * with a side k that reads only NOW() and constants. The first row calls
 * it; where that call counted no warning, set no error and took no byte of
 * the run's arena, k's own evaluation within it did none of that either,
 * and evaluated again it gives the same (it reads no row and nothing that
 * changes within a run), so kv keeps it. A cell of kv's type (a date or a
 * long) is then compared as compare() compares two values of one such type
 * (th_ev_cmp: their integers), with nothing to count or allocate; any
 * other calls. */
static bool bound_true(th_esql_panes *p, erun *r, size_t row, size_t d, dnow *kv)
{
    const xnode *x = p->dc[d].x;
    const ev *cell = &p->t.cols[p->dc[d].col][row];
    if (kv && kv->state == 1 && cell->n == 1 && cell->t == kv->v.t) {
        bool left = x->kids[0]->kind == X_COL;
        int64_t a = left ? cell->one.i : kv->v.one.i, b = left ? kv->v.one.i : cell->one.i;
        int c = a < b ? -1 : a > b;
        switch (x->op) {
        case CMP_LT: return c < 0;
        case CMP_LE: return c <= 0;
        case CMP_GT: return c > 0;
        default: return c >= 0; /* CMP_GE: split_deferred bounds no == nor != */
        }
    }
    uint64_t w0 = r->warnings;
    size_t u0 = r->a->used_total;
    const char *e0 = r->err;
    bool t = th_esql_true(r, &p->t, row, x);
    if (kv && kv->state == 0) {
        kv->state = -1;
        if (r->warnings == w0 && r->a->used_total == u0 && r->err == e0) {
            const xnode *k = x->kids[0]->kind == X_COL ? x->kids[1] : x->kids[0];
            ev v = th_esql_eval(r, &p->t, row, k);
            if (v.n == 1 && (v.t == EV_DATE || v.t == EV_LONG)) {
                kv->v = v;
                kv->state = 1;
            }
        }
    }
    return t;
}

/* the pane's rows that pass the deferred conditions: -1 none, 1 all, 0 some
 * (then *rows, *n); 2: a folded pane that cannot tell. kv: the run's
 * bounded conditions' constant sides (bound_true), or NULL */
static int pane_filter(th_esql_panes *p, erun *r, const pane *pn, size_t **rows, size_t *n,
                       dnow *kv)
{
    if (!p->ndc)
        return 1;
    bool all = true;
    for (size_t d = 0; d < p->ndc && all; d++) {
        if (pn->bmin[d] == SIZE_MAX) {
            all = false;
            break;
        }
        dnow *kd = kv && d < DNOW_MAX ? &kv[d] : NULL;
        bool a = bound_true(p, r, pn->bmin[d], d, kd);
        bool b = bound_true(p, r, pn->bmax[d], d, kd);
        if (!a && !b)
            return -1;
        all = a && b;
    }
    if (all)
        return 1;
    if (p->folded)
        return 2; /* its rows are gone: th_esql_panes_whole said no */
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

/* ---- sliding state (Slide at the top) -------------------------------------- */

/* the order th_ev_cmp gives keywords, longs, dates, booleans: total, and
 * equal only for identical values */
static int key_cmp(uint8_t t, ev_s x, ev_s y)
{
    if (t == EV_KW)
        return th_str_cmp(x.s, y.s);
    return x.i < y.i ? -1 : x.i > y.i;
}

/* two sorted distinct lists as one, into out */
static uint32_t merge2(uint8_t t, const ev_s *x, uint32_t nx, const ev_s *y, uint32_t ny, ev_s *out)
{
    uint32_t i = 0, j = 0, w = 0;
    while (i < nx && j < ny) {
        int c = key_cmp(t, x[i], y[j]);
        if (c <= 0) {
            out[w++] = x[i++];
            j += c == 0;
        } else {
            out[w++] = y[j++];
        }
    }
    while (i < nx)
        out[w++] = x[i++];
    while (j < ny)
        out[w++] = y[j++];
    return w;
}

/* the aggregates whose states over values of type t join exactly in any
 * grouping (Slide at the top) */
static inline bool joins(int fn, uint8_t t)
{
    if (fn == F_COUNT || t == EV_NULL)
        return true;
    if (fn == F_SUM)
        return t == EV_LONG;
    if (fn == F_MIN || fn == F_MAX || fn == F_VALUES || fn == F_COUNT_DISTINCT)
        return t == EV_KW || t == EV_LONG || t == EV_DATE || t == EV_BOOL;
    return false;
}

/* a pane group's state (its lists shared, not owned). acc_of and join
 * build and return a 64-byte acc, ~33k times each over b100k (the pack):
 * in line (joins too), most copies in and out go; with slide_add's COUNT
 * path, th_esql_panes_run 25.72 -> 24.89 M. */
__attribute__((always_inline)) static inline acc acc_of(int fn, const part *pt)
{
    acc a = {.type = pt->type, .again = pt->mixed, .whole = !joins(fn, pt->type), .pof = pt->pos_of,
             .nof = pt->neg_of, .count = pt->count, .pos = pt->pos, .neg = pt->neg};
    if (a.again || a.whole)
        return a;
    if ((fn == F_MIN || fn == F_MAX) && pt->nv) {
        a.best = pt->vals[0];
        a.nv = 1;
    } else if (fn == F_VALUES || fn == F_COUNT_DISTINCT) {
        a.vals = pt->vals;
        a.nv = pt->nv;
    }
    return a;
}

/* the state of x's rows followed by y's, as a fold over all of them in
 * order gives it. A list that is one side's is shared (own false); a merged
 * one is in arena a, else malloc'd (own, counted in held). */
__attribute__((always_inline)) static inline acc join(th_esql_panes *p, th_arena *a, int fn,
                                                      const acc *x, const acc *y)
{
    acc z = {.count = x->count + y->count};
    if (fn == F_COUNT)
        return z;
    z.type = x->type != EV_NULL ? x->type : y->type;
    z.again = x->again || y->again || (x->type != EV_NULL && y->type != EV_NULL && x->type != y->type);
    z.whole = x->whole || y->whole;
    if (z.again || z.whole)
        return z;
    /* sums of one sign: a partial sum overflows in some grouping iff the
     * whole sum does */
    z.pof = x->pof || y->pof || __builtin_add_overflow(x->pos, y->pos, &z.pos);
    z.nof = x->nof || y->nof || __builtin_add_overflow(x->neg, y->neg, &z.neg);
    if (fn == F_MIN || fn == F_MAX) {
        z.best = x->best;
        z.nv = x->nv;
        if (y->nv) {
            ev u = {z.type, 1, {.one = y->best}}, b = {z.type, 1, {.one = z.best}};
            int c = z.nv ? th_ev_cmp(&u, 0, &b, 0) : 0;
            if (!z.nv || (fn == F_MIN && c < 0) || (fn == F_MAX && c > 0))
                z.best = y->best;
            z.nv = 1;
        }
    } else if (fn == F_VALUES || fn == F_COUNT_DISTINCT) {
        if (!x->nv || !y->nv) {
            z.vals = x->nv ? x->vals : y->vals;
            z.nv = x->nv ? x->nv : y->nv;
            return z;
        }
        size_t bytes = ((size_t)x->nv + y->nv) * sizeof(ev_s);
        z.vals = a ? th_arena_alloc(a, bytes) : th_xmalloc(bytes);
        z.nv = merge2(z.type, x->vals, x->nv, y->vals, y->nv, z.vals);
        z.own = !a;
        p->held += z.own ? z.nv * sizeof(ev_s) : 0;
    }
    return z;
}

static void acc_free(th_esql_panes *p, acc *x)
{
    if (x->own) {
        free(x->vals);
        p->held -= ((size_t)x->nv) * sizeof(ev_s);
    }
    x->own = false;
}

/* the group's state of gslide and merge() caches freed: not kept */
static void gs_clear(th_esql_panes *p, gslide *s)
{
    size_t nas = p->stats->nas;
    for (size_t i = 0; i < s->nf * nas; i++)
        acc_free(p, &s->sfx[i]);
    for (size_t k = 0; k < nas; k++) {
        acc_free(p, &s->back[k]);
        if (s->mc && s->mc[k].v.n > 1) {
            free(s->mc[k].v.many);
            p->held -= s->mc[k].v.n * sizeof(ev_s);
        }
    }
    p->held -= s->cap * sizeof(sent) + (s->nf + 1) * nas * sizeof(acc) + (s->mc ? nas * sizeof(mcache) : 0);
    free(s->e);
    free(s->sfx);
    free(s->back);
    free(s->mc);
    *s = (gslide){0};
}

static void slide_reset(th_esql_panes *p)
{
    for (size_t i = 0; i < p->nact; i++)
        gs_clear(p, &p->gs[p->act[i]]);
    p->nact = 0;
    p->nkp = 0;
}

/* the pane group (of pane k0) at the back of its group's state */
static void slide_add(th_esql_panes *p, const pgroup *pg, size_t k0)
{
    gslide *s = &p->gs[pg->gid];
    size_t nas = p->stats->nas;
    if (!s->active) {
        s->active = true;
        s->back = th_xcalloc(nas ? nas : 1, sizeof(acc));
        p->held += nas * sizeof(acc);
        if (p->nact == p->capact) {
            p->capact = p->capact ? p->capact * 2 : 64;
            p->act = th_xrealloc(p->act, p->capact * sizeof(size_t));
        }
        p->act[p->nact++] = pg->gid;
    }
    if (s->n == s->cap) {
        size_t nc = s->cap ? s->cap * 2 : 8;
        s->e = th_xrealloc(s->e, nc * sizeof(sent));
        p->held += (nc - s->cap) * sizeof(sent);
        s->cap = nc;
    }
    s->e[s->n++] = (sent){pg, k0};
    for (size_t k = 0; k < nas; k++) {
        int fn = p->stats->as[k].x->fn;
        if (fn == F_COUNT) { /* join's z: the counts added, the rest zero as in back */
            s->back[k].count += pg->parts[k].count;
            continue;
        }
        acc y = acc_of(fn, &pg->parts[k]);
        acc z = join(p, NULL, fn, &s->back[k], &y);
        if (z.vals && z.vals == s->back[k].vals)
            z.own = s->back[k].own;
        else
            acc_free(p, &s->back[k]);
        s->back[k] = z;
    }
}

/* The window starts past the front: every group's entries from pane lo on
 * (all in the back) become its front, with their suffix states; the back is
 * empty and begins at pane mid. */
static void slide_flip(th_esql_panes *p, size_t lo, size_t mid)
{
    size_t nas = p->stats->nas, w = 0;
    for (size_t i = 0; i < p->nact; i++) {
        gslide *s = &p->gs[p->act[i]];
        size_t first = s->nf;
        while (first < s->n && s->e[first].pane < lo)
            first++;
        if (first == s->n) {
            gs_clear(p, s);
            continue;
        }
        for (size_t j = 0; j < s->nf * nas; j++)
            acc_free(p, &s->sfx[j]);
        for (size_t k = 0; k < nas; k++)
            acc_free(p, &s->back[k]);
        memset(s->back, 0, nas * sizeof(acc));
        memmove(s->e, s->e + first, (s->n - first) * sizeof(sent));
        s->n -= first;
        p->held += (s->n - s->nf) * nas * sizeof(acc);
        s->nf = s->n;
        s->e0 = 0;
        free(s->sfx);
        s->sfx = th_xmalloc(s->nf * nas * sizeof(acc) + 1);
        for (size_t j = s->nf; j-- > 0;)
            for (size_t k = 0; k < nas; k++) {
                int fn = p->stats->as[k].x->fn;
                acc y = acc_of(fn, &s->e[j].pg->parts[k]);
                if (j + 1 == s->nf) {
                    s->sfx[j * nas + k] = y;
                    continue;
                }
                const acc *next = &s->sfx[(j + 1) * nas + k];
                acc z = join(p, NULL, fn, &y, next);
                if (z.vals == next->vals)
                    z.own = false; /* the later suffix owns it */
                s->sfx[j * nas + k] = z;
            }
        p->act[w++] = p->act[i];
    }
    p->nact = w;
    p->mid = mid;
}

/* The kept state made the window of panes ks[0..nk) (Slide at the top):
 * slid when the kept panes from the first of ks on begin ks, else reset. */
static void slide_window(th_esql_panes *p, const size_t *ks, size_t nk)
{
    size_t d = 0;
    while (nk && d < p->nkp && p->kp[d] < ks[0])
        d++;
    size_t keep = p->nkp - d;
    if (nk == 0 || d == p->nkp || keep > nk || memcmp(p->kp + d, ks, keep * sizeof(size_t)) != 0) {
        slide_reset(p);
        keep = 0;
        p->lo = p->mid = nk ? ks[0] : 0;
    }
    if (keep && ks[0] > p->mid)
        slide_flip(p, ks[0], p->kp[p->nkp - 1] + 1);
    p->lo = nk ? ks[0] : 0;
    if (nk > p->capkp) {
        p->capkp = nk;
        p->kp = th_xrealloc(p->kp, nk * sizeof(size_t));
    }
    if (nk)
        memmove(p->kp, ks, nk * sizeof(size_t));
    p->nkp = nk;
    for (size_t i = keep; i < nk; i++) {
        const pane *pn = &p->panes[ks[i]];
        for (size_t g = 0; g < pn->ng; g++)
            slide_add(p, &pn->g[g], ks[i]);
    }
}

/* the group's state over the window: its front's suffix from the window's
 * first pane, joined with its back (into *joined); where one side is empty,
 * the other's kept state itself */
static const acc *window_acc(th_esql_panes *p, th_arena *a, gslide *s, size_t k, acc *joined)
{
    size_t nas = p->stats->nas;
    int fn = p->stats->as[k].x->fn;
    while (s->e0 < s->nf && s->e[s->e0].pane < p->lo)
        s->e0++;
    bool front = s->e0 < s->nf, back = s->n > s->nf;
    if (front && back) {
        *joined = join(p, a, fn, &s->sfx[s->e0 * nas + k], &s->back[k]);
        return joined;
    }
    return front ? &s->sfx[s->e0 * nas + k] : &s->back[k];
}

/* merge() of a group whose values the state does not reduce (doubles, ips,
 * AVG), kept while its pane groups stay the same: in the kept windows, a
 * group's pane groups in a window are a run of all of them, told by its
 * first and its length */
static ev merge_kept(th_esql_panes *p, erun *r, gslide *s, const wgroup *g, size_t k)
{
    size_t nas = p->stats->nas;
    if (!s->mc) {
        s->mc = th_xcalloc(nas, sizeof(mcache));
        p->held += nas * sizeof(mcache);
    }
    mcache *m = &s->mc[k];
    size_t first = s->e[s->e0].pane; /* g->pg[0]'s (window_acc found it) */
    if (m->first == g->pg[0] && m->pane == first && m->n == g->n) {
        r->warnings += m->warn;
        return m->v;
    }
    uint64_t w0 = r->warnings;
    ev v = merge(p, r, g, k);
    if (m->v.n > 1) {
        free(m->v.many);
        p->held -= m->v.n * sizeof(ev_s);
    }
    if (v.n > 1) {
        ev_s *c = th_xmalloc(v.n * sizeof(ev_s));
        memcpy(c, v.many, v.n * sizeof(ev_s));
        v.many = c;
        p->held += v.n * sizeof(ev_s);
    }
    *m = (mcache){g->pg[0], first, g->n, v, r->warnings - w0};
    return v;
}

/* what merge() gives for the window's group g and aggregate k, from the
 * kept state */
static ev slide_out(th_esql_panes *p, erun *r, const wgroup *g, size_t k)
{
    gslide *s = &p->gs[g->pg[0]->gid];
    int fn = p->stats->as[k].x->fn;
    acc joined;
    const acc *f = window_acc(p, r->a, s, k, &joined);
    if (fn == F_COUNT)
        return ev_long((int64_t)f->count);
    if (f->again)
        return merge(p, r, g, k);
    if (f->whole)
        return merge_kept(p, r, s, g, k);
    if (f->type == EV_NULL)
        return fn == F_COUNT_DISTINCT ? ev_long(0) : ev_null();
    switch (fn) {
    case F_COUNT_DISTINCT:
        return ev_long(f->nv);
    case F_VALUES: /* the cells share the state's list: no command writes into a cell */
        if (f->nv <= 1)
            return f->nv ? (ev){f->type, 1, {.one = f->vals[0]}} : ev_null();
        return (ev){f->type, f->nv, {.many = f->vals}};
    case F_MIN:
    case F_MAX:
        return f->nv ? (ev){f->type, 1, {.one = f->best}} : ev_null();
    case F_SUM:
        if (!f->pof && !f->nof)
            return ev_long(f->pos + f->neg);
        if ((f->pof && !f->nof && f->neg == 0) || (f->nof && !f->pof && f->pos == 0)) {
            r->warnings++;
            return ev_null();
        }
        return merge(p, r, g, k); /* from the rows */
    default:
        return merge(p, r, g, k);
    }
}

size_t th_esql_panes_held(const th_esql_panes *p) { return p ? p->held + p->same_a.used_total : 0; }

/* The run's table and counts from the kept window's (Same at the top): the
 * arrays of names, columns and documents are the run's own (commands
 * replace them, never the cells). */
static void same_take(th_arena *a, const th_esql_panes *p, erun *r, th_esql_result *res)
{
    const th_esql_result *k = p->same;
    for (size_t i = p->si; i < p->fixed; i++) {
        res->rows_in[i] = k->rows_in[i];
        res->rows_out[i] = k->rows_out[i];
    }
    const etab *in = &k->t;
    etab *t = &res->t;
    *t = *in;
    t->capcols = in->ncols;
    t->names = TH_ANEWN(a, th_str, in->ncols ? in->ncols : 1);
    t->cols = TH_ANEWN(a, ev *, in->ncols ? in->ncols : 1);
    t->doc = TH_ANEWN(a, long, in->nrows ? in->nrows : 1);
    if (in->ncols) {
        memcpy(t->names, in->names, in->ncols * sizeof(th_str));
        memcpy(t->cols, in->cols, in->ncols * sizeof(ev *));
    }
    if (in->nrows)
        memcpy(t->doc, in->doc, in->nrows * sizeof(long));
    r->warnings += p->same_warn;
}

/* the commands from `fixed` on over the kept window's table: a WHERE
 * whose first conjuncts were run with it runs its others */
static void same_rest(const th_esql_panes *p, erun *r, th_esql_result *res)
{
    size_t i = p->fixed;
    if (p->nfirst && !r->err) {
        r->at = i;
        res->rows_in[i] = res->t.nrows;
        th_esql_where_then(r, &res->t, p->q->cmds[i].cond, p->nfirst, p->first);
        res->rows_out[i] = res->t.nrows;
        i++;
    }
    th_esql_run_cmds(r, res, i, p->q->ncmds);
}

th_esql_result *th_esql_panes_run(th_arena *a, th_esql_panes *p, size_t dlo, size_t dhi, int64_t now_ms,
                                  size_t limit, const char **err)
{
    long k0 = cut_index(p, dlo), k1 = cut_index(p, dhi);
    if (k0 < 0 || k1 < 0 || k1 < k0)
        return NULL;
    if (!p->keeps)
        p->keeps = th_xcalloc(ESQL_KEEP_MEMOS, sizeof(esql_keepmemo));
    erun r = {.a = a, .q = p->q, .docs = p->r.docs, .ndocs = p->r.ndocs, .now = now_ms,
              .source = p->r.source, .track = -1, .keeps = p->keeps};
    th_esql_result *res = th_esql_new_result(a, p->q);
    for (size_t i = 0; i < p->si; i++) {
        res->rows_in[i] = p->pre->rows_in[i];
        res->rows_out[i] = p->pre->rows_out[i];
    }
    /* the panes with rows, each kept whole or in part */
    size_t *ks = TH_ANEWN(a, size_t, k1 > k0 ? (size_t)(k1 - k0) : 1), nk = 0;
    size_t **krows = TH_ANEWN(a, size_t *, k1 > k0 ? (size_t)(k1 - k0) : 1);
    size_t *kn = TH_ANEWN(a, size_t, k1 > k0 ? (size_t)(k1 - k0) : 1);
    bool some = false;
    dnow kv[DNOW_MAX] = {{0}};
    for (long k = k0; k < k1; k++) {
        if (p->folded && !p->panes[k].built) { /* never given, or dropped */
            *err = "folded pane not held";
            return NULL;
        }
        build_pane(p, (size_t)k);
        const pane *pn = &p->panes[k];
        size_t *rows = NULL, n = 0;
        int f = pn->hi > pn->lo ? pane_filter(p, &r, pn, &rows, &n, kv) : -1;
        if (f < 0)
            continue;
        if (f == 2) { /* never after th_esql_panes_whole */
            *err = "folded pane kept in part";
            return NULL;
        }
        some |= f == 0;
        krows[nk] = rows;
        kn[nk] = n;
        ks[nk++] = (size_t)k;
    }
    wctx fresh = {.seen = p->seen, .slot = p->slot, .stamp = ++p->stamp};
    wctx *w = &fresh;
    /* Same (at the top): the kept window again */
    bool again = !some && p->same && nk == p->nkp && (!nk || memcmp(ks, p->kp, nk * sizeof(size_t)) == 0);
    if (again) {
        same_take(a, p, &r, res);
        r.source = false;
        same_rest(p, &r, res);
        return th_esql_finish(&r, res, limit, err);
    }
    th_esql_result *out = res;
    uint64_t w0 = r.warnings;
    if (!some) { /* the STATS output and the commands before `fixed` are kept */
        slide_window(p, ks, nk);
        th_arena_reset(&p->same_a);
        p->same = NULL;
        r.a = &p->same_a;
        out = th_esql_new_result(r.a, p->q);
    }
    for (size_t i = 0; i < nk; i++) {
        const pane *pn = &p->panes[ks[i]];
        if (!krows[i]) {
            if (pn->err && !r.err)
                r.err = pn->err; /* as grouping its rows in this run would have */
            take(a, w, pn->g, pn->ng);
            w->rows += pn->hi - pn->lo;
            continue;
        }
        size_t ng;
        const pgroup *pg = group_rows(p, &r, krows[i], kn[i], &ng);
        take(a, w, pg, ng);
        w->rows += kn[i];
    }
    size_t ng = w->ng, nas = p->stats->nas;
    ev **keys = TH_ANEWN(r.a, ev *, ng ? ng : 1);
    ev **aggcols = TH_ANEWN(r.a, ev *, nas ? nas : 1);
    wgroup empty = {0};
    ev nokeys[1] = {ev_null()};
    if (ng == 0 && p->stats->nby == 0) { /* no BY: always one row */
        ng = 1;
        keys[0] = nokeys;
    }
    for (size_t i = 0; i < w->ng; i++)
        keys[i] = (ev *)w->g[i].pg[0]->keys;
    for (size_t k = 0; k < nas; k++) {
        aggcols[k] = TH_ANEWN(r.a, ev, ng ? ng : 1);
        for (size_t i = 0; i < ng; i++) {
            const wgroup *g = w->ng ? &w->g[i] : &empty;
            aggcols[k][i] = !some && w->ng ? slide_out(p, &r, g, k) : merge(p, &r, g, k);
        }
    }
    out->rows_in[p->si] = w->rows;
    out->t = th_esql_stats_out(&r, p->stats, aggcols, keys, ng);
    out->rows_out[p->si] = ng;
    r.source = false;
    if (out == res) {
        th_esql_run_cmds(&r, res, p->si + 1, p->q->ncmds);
        return th_esql_finish(&r, res, limit, err);
    }
    th_esql_run_cmds(&r, out, p->si + 1, p->fixed);
    if (p->nfirst && !r.err)
        p->first = th_esql_where_first(&r, &out->t, p->q->cmds[p->fixed].cond, p->nfirst);
    r.a = a;
    if (r.err)
        return th_esql_finish(&r, res, limit, err);
    p->same = out;
    p->same_warn = r.warnings - w0;
    r.warnings = w0;
    same_take(a, p, &r, res);
    same_rest(p, &r, res);
    return th_esql_finish(&r, res, limit, err);
}

/* ---- fold (Fold at the top) ------------------------------------------------ */

/* th_esql_panes_new's conditions on the STATS after the head */
static bool stats_ok(const cmd *st)
{
    for (size_t k = 0; k < st->nas; k++) {
        const xnode *x = st->as[k].x;
        if (x->kind != X_CALL || x->fn >= F_NAGG || th_esql_uses_now(x) ||
            th_esql_uses_now(st->as[k].filter))
            return false;
    }
    for (size_t k = 0; k < st->nby; k++)
        if (th_esql_uses_now(st->by[k].x))
            return false;
    return true;
}

static void bound_cols(th_esql_panes *p, const xnode *x);

th_esql_panes *th_esql_panes_folded(th_arena *a, const th_esql *q, const size_t *cuts, size_t ncuts)
{
    size_t si = th_esql_prefix_end(q);
    if (ncuts < 2 || si >= q->ncmds || q->cmds[si].kind != C_STATS || !stats_ok(&q->cmds[si]))
        return NULL;
    th_esql_panes *p = TH_ANEW(a, th_esql_panes);
    p->a = a;
    p->q = q;
    p->stats = &q->cmds[si];
    p->si = si;
    p->folded = true;
    p->fpre = th_esql_new_result(a, q);
    p->fpre->next = si;
    p->fpre->deferred = th_esql_prefix_deferred(a, q);
    p->pre = p->fpre;
    /* no documents: a window reads no column of the head's rows, only the
     * cells of the panes' bounds in p->t (no group aggregated from its
     * rows, no pane kept in part) */
    p->r = (erun){.a = a, .q = q, .track = -1};
    if (p->fpre->deferred) {
        bound_cols(p, p->fpre->deferred);
        split_deferred(p, p->fpre->deferred);
    }
    p->cuts = TH_ANEWN(a, size_t, ncuts);
    memcpy(p->cuts, cuts, ncuts * sizeof(size_t));
    p->ncuts = ncuts;
    p->panes = TH_ANEWN(a, pane, ncuts);
    size_t nas = p->stats->nas ? p->stats->nas : 1;
    p->ktype = TH_ANEWN(a, uint8_t, nas);
    p->kpos = TH_ANEWN(a, int64_t, nas);
    p->kneg = TH_ANEWN(a, int64_t, nas);
    p->fixed = p->si + 1;
    while (p->fixed < q->ncmds && !run_bound(&q->cmds[p->fixed]))
        p->fixed++;
    if (p->fixed < q->ncmds && q->cmds[p->fixed].kind == C_WHERE)
        p->nfirst = th_esql_where_split(q->cmds[p->fixed].cond);
    th_arena_init(&p->same_a, 1 << 14);
    return p;
}

/* s in the fold's own memory (a chunk's strings go with its arena): one
 * copy per distinct string, however many pane groups hold it */
static th_str keep_str(th_esql_panes *p, th_str s)
{
    if (!s.p || !s.n)
        return s.p ? TH_STR_LIT("") : s;
    keptstr *c = &p->kc[((uintptr_t)s.p ^ s.n) * 0x9E3779B97F4A7C15ull >> 56 & (KEEP_CACHE - 1)];
    if (c->p == s.p && c->n == s.n)
        return c->kept;
    bool ins;
    th_map_slot *e = gid_slot(&p->strs, s, &ins);
    if (ins) { /* the arena's bytes as before (the th_str, then its text) */
        th_str *kept = TH_ANEW(p->a, th_str);
        *kept = th_str_make(th_arena_strndup(p->a, s.p, s.n), s.n);
        e->key = *kept;
        e->value = kept;
    }
    const th_str *kept = e->value;
    *c = (keptstr){s.p, s.n, *kept};
    return *kept;
}

static ev_s keep_s(th_esql_panes *p, uint8_t t, ev_s v)
{
    if (t == EV_KW || t == EV_IP)
        v.s = keep_str(p, v.s);
    return v;
}

static ev keep_ev(th_esql_panes *p, const ev *v)
{
    ev o = *v;
    if (v->n == 1) {
        o.one = keep_s(p, v->t, v->one);
    } else if (v->n > 1) {
        o.many = th_arena_alloc(p->a, sizeof(ev_s) * v->n); /* each written below */
        for (uint32_t i = 0; i < v->n; i++)
            o.many[i] = keep_s(p, v->t, v->many[i]);
    }
    return o;
}

/* the columns the bounded conditions of the deferred ones compare (as
 * split_deferred finds them), made empty in p->t */
static void bound_cols(th_esql_panes *p, const xnode *x)
{
    if (x->kind == X_AND) {
        bound_cols(p, x->kids[0]);
        bound_cols(p, x->kids[1]);
        return;
    }
    if (x->kind != X_CMP || x->op == CMP_EQ || x->op == CMP_NE)
        return;
    const xnode *c = x->kids[0]->kind == X_COL ? x->kids[0] : x->kids[1];
    const xnode *k = c == x->kids[0] ? x->kids[1] : x->kids[0];
    if (c->kind != X_COL || !only_now(k) || th_etab_col(&p->r, &p->t, c->name) >= 0)
        return;
    th_etab_set(&p->r, &p->t, c->name, NULL);
}

/* one more row in p->t, every cell NULL */
static size_t bound_row(th_esql_panes *p)
{
    etab *t = &p->t;
    if (t->nrows == p->caprows) {
        size_t nc = p->caprows ? p->caprows * 2 : 64;
        for (size_t c = 0; c < t->ncols; c++)
            t->cols[c] =
                th_arena_realloc(p->a, t->cols[c], p->caprows * sizeof(ev), nc * sizeof(ev));
        t->doc = th_arena_realloc(p->a, t->doc, p->caprows * sizeof(long), nc * sizeof(long));
        p->caprows = nc;
    }
    for (size_t c = 0; c < t->ncols; c++)
        t->cols[c][t->nrows] = ev_null();
    t->doc[t->nrows] = -1;
    return t->nrows++;
}

/* The pane's bounds (pane_bounds) as rows of p->t, holding the cells of
 * the least and largest value of each bounded condition's column: all a
 * window's pane_filter reads of a pane it takes whole or not at all. False
 * where the pane has rows but no bounds (its values not all single dates
 * or longs, a condition that is not bounded). */
static bool keep_bounds(th_esql_panes *p, const th_esql_panes *c, const pane *src, pane *dst)
{
    dst->bmin = TH_ANEWN(p->a, size_t, p->ndc);
    dst->bmax = TH_ANEWN(p->a, size_t, p->ndc);
    for (size_t d = 0; d < p->ndc; d++) {
        dst->bmin[d] = dst->bmax[d] = SIZE_MAX;
        if (src->hi == src->lo)
            continue;
        if (d >= c->ndc || src->bmin[d] == SIZE_MAX || p->dc[d].col < 0 || c->dc[d].col < 0)
            return false;
        const ev *col = c->t.cols[c->dc[d].col];
        dst->bmin[d] = bound_row(p);
        p->t.cols[p->dc[d].col][dst->bmin[d]] = keep_ev(p, &col[src->bmin[d]]);
        dst->bmax[d] = bound_row(p);
        p->t.cols[p->dc[d].col][dst->bmax[d]] = keep_ev(p, &col[src->bmax[d]]);
    }
    return true;
}

static size_t round16(size_t n)
{
    return (n + 15) & ~(size_t)15;
}

/* n bytes (16-aligned, as the arena's) from a pane's block */
static void *bump(unsigned char **cur, size_t n)
{
    void *q = *cur;
    *cur += round16(n);
    return q;
}

/* the bytes fold_pane takes for src's groups, keys and states */
static size_t pane_bytes(const th_esql_panes *p, const pane *src)
{
    size_t nas = p->stats->nas, nby = p->stats->nby, need = 0;
    need += round16(sizeof(pgroup) * (src->ng ? src->ng : 1));
    for (size_t i = 0; i < src->ng; i++) {
        const pgroup *sg = &src->g[i];
        need += round16(sizeof(ev) * (nby ? nby : 1)) + round16(sizeof(part) * (nas ? nas : 1));
        for (size_t b = 0; b < nby; b++)
            if (sg->keys[b].n > 1)
                need += round16(sizeof(ev_s) * sg->keys[b].n);
        for (size_t k = 0; k < nas; k++)
            if (sg->parts[k].nv)
                need += round16(sizeof(ev_s) * sg->parts[k].nv);
    }
    return need;
}

static ev keep_ev_in(th_esql_panes *p, unsigned char **cur, const ev *v)
{
    ev o = *v;
    if (v->n == 1) {
        o.one = keep_s(p, v->t, v->one);
    } else if (v->n > 1) {
        o.many = bump(cur, sizeof(ev_s) * v->n); /* each written below */
        for (uint32_t i = 0; i < v->n; i++)
            o.many[i] = keep_s(p, v->t, v->many[i]);
    }
    return o;
}

/* A chunk's built pane (of c) as the fold's pane dst: its groups (their
 * gids already the fold's: c->into), keys and states copied out of the
 * chunk, without rows, into a block of its own (th_esql_panes_drop frees
 * it once no window needs the pane). False where a window could need the
 * rows: a state that met values of two types, an aggregate whose values
 * differ in type from one pane group to another, a long SUM whose
 * positive or negative values over every pane overflow. */
static bool fold_pane(th_esql_panes *p, const th_esql_panes *c, const pane *src, pane *dst)
{
    size_t nas = p->stats->nas, nby = p->stats->nby;
    *dst = (pane){.built = true, .lo = 0, .hi = src->hi - src->lo, .err = src->err, .ng = src->ng};
    if (p->ndc && !keep_bounds(p, c, src, dst))
        return false;
    dst->memsz = pane_bytes(p, src);
    dst->mem = th_xmalloc(dst->memsz);
    p->held += dst->memsz;
    unsigned char *cur = dst->mem;
    /* the copies' arrays are written whole below: not zeroed first (b100k
     * pack 0.7 M instructions of memset), but for the placeholders */
    dst->g = bump(&cur, sizeof(pgroup) * (src->ng ? src->ng : 1));
    for (size_t i = 0; i < src->ng; i++) {
        const pgroup *sg = &src->g[i];
        pgroup *dg = &dst->g[i];
        ev *keys = bump(&cur, sizeof(ev) * (nby ? nby : 1));
        if (!nby)
            keys[0] = (ev){0};
        for (size_t b = 0; b < nby; b++)
            keys[b] = keep_ev_in(p, &cur, &sg->keys[b]);
        part *parts = bump(&cur, sizeof(part) * (nas ? nas : 1));
        if (!nas)
            parts[0] = (part){0};
        *dg = (pgroup){sg->gid, keys, NULL, sg->nrows, parts};
        for (size_t k = 0; k < nas; k++) {
            const part *sp = &sg->parts[k];
            part *dp = &dg->parts[k];
            *dp = *sp;
            dp->vals = NULL;
            dp->capv = sp->nv;
            if (sp->nv) {
                dp->vals = bump(&cur, sizeof(ev_s) * sp->nv);
                for (uint32_t j = 0; j < sp->nv; j++)
                    dp->vals[j] = keep_s(p, sp->type, sp->vals[j]);
            }
            int fn = p->stats->as[k].x->fn;
            if (fn == F_COUNT)
                continue;
            if (sp->mixed)
                return false;
            if (sp->type != EV_NULL && p->ktype[k] != EV_NULL && sp->type != p->ktype[k])
                return false;
            if (sp->type != EV_NULL)
                p->ktype[k] = sp->type;
            if (fn == F_SUM && sp->type == EV_LONG &&
                (sp->pos_of || sp->neg_of ||
                 __builtin_add_overflow(p->kpos[k], sp->pos, &p->kpos[k]) ||
                 __builtin_add_overflow(p->kneg[k], sp->neg, &p->kneg[k])))
                return false;
        }
    }
    return true;
}

void th_esql_panes_drop(th_esql_panes *p, size_t dlo)
{
    if (!p || !p->folded)
        return;
    for (size_t k = 0; k + 1 < p->ncuts && p->cuts[k] < dlo; k++) {
        pane *pn = &p->panes[k];
        if (!pn->mem)
            continue;
        free(pn->mem);
        p->held -= pn->memsz;
        *pn = (pane){0}; /* not built: th_esql_panes_whole and _run refuse it */
    }
}

bool th_esql_panes_fold(th_esql_panes *p, const th_esql_result *pre, const th_esql_doc *docs,
                        size_t ndocs, const th_esql_ids *ids, size_t k0, size_t k1)
{
    if (!p || !p->folded || !pre || !pre->deferred != !p->fpre->deferred || pre->next != p->si ||
        k1 <= k0 || k1 >= p->ncuts || p->cuts[k1] - p->cuts[k0] != ndocs)
        return false;
    size_t base = p->cuts[k0], nc = k1 - k0 + 1;
    if (!p->kc) /* not the arena: its bytes are charged */
        p->kc = th_xmalloc(KEEP_CACHE * sizeof(keptstr));
    memset(p->kc, 0, KEEP_CACHE * sizeof(keptstr)); /* a new chunk: its addresses are new */
    th_arena ta;
    th_arena_init(&ta, 1 << 16);
    size_t *lc = TH_ANEWN(&ta, size_t, nc);
    for (size_t i = 0; i < nc; i++)
        lc[i] = p->cuts[k0 + i] - base;
    th_esql_panes *c = th_esql_panes_new(&ta, p->q, pre, docs, ndocs, lc, nc);
    bool ok = c != NULL;
    th_esql_panes_use_ids(c, ids);
    if (c)
        c->into = p; /* the same gid_of calls on p, in the same order (pane after pane, group after
                        group) */
    for (size_t k = 0; ok && k + 1 < nc; k++) {
        build_pane(c, k);
        ok = fold_pane(p, c, &c->panes[k], &p->panes[k0 + k]);
    }
    if (ok) {
        for (size_t i = 0; i < pre->next && i < p->q->ncmds; i++) {
            p->fpre->rows_in[i] += pre->rows_in[i];
            p->fpre->rows_out[i] += pre->rows_out[i];
        }
    }
    th_esql_panes_free(c);
    th_arena_free(&ta);
    return ok;
}

bool th_esql_panes_whole(th_esql_panes *p, size_t dlo, size_t dhi, int64_t now_ms)
{
    if (!p || !p->folded)
        return false;
    long k0 = cut_index(p, dlo), k1 = cut_index(p, dhi);
    if (k0 < 0 || k1 < 0 || k1 < k0)
        return false;
    th_arena a;
    th_arena_init(&a, 1 << 10);
    erun r = {.a = &a, .q = p->q, .now = now_ms, .track = -1};
    bool ok = true;
    dnow kv[DNOW_MAX] = {{0}};
    for (long k = k0; k < k1 && ok; k++) {
        const pane *pn = &p->panes[k];
        size_t *rows = NULL, n = 0;
        ok = pn->built && (pn->hi == pn->lo || pane_filter(p, &r, pn, &rows, &n, kv) != 2);
    }
    th_arena_free(&a);
    return ok;
}
