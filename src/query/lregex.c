/* Lucene RegExp on an automaton (lregex.h). The syntax tree (lregex_parse.c)
 * becomes a Thompson NFA whose edges carry code point ranges; `~` and `&`
 * determinize their operands (subset construction), complement or intersect
 * the DFAs and splice the result back in as NFA states. The whole NFA is then
 * determinized when it stays small enough, else kept for set simulation.
 * Both evaluations read each code point of the value once: linear time. */
#include "query/lregex.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/limits.h"
#include "base/utf8.h"
#include "base/vec.h"
#include "query/lregex_int.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* ---- the NFA under construction ------------------------------------------- */

typedef TH_VEC(int) ivec;

typedef struct edge {
    uint32_t lo, hi; /* lo > hi: an epsilon edge */
    int to, next;    /* next edge out of the same state, -1 at the end */
} edge;

#define EPS_LO 1u
#define EPS_HI 0u

typedef struct dfa dfa;

typedef struct bld {
    const lre_ast *ast;
    TH_VEC(int) head; /* first edge out of each state */
    TH_VEC(edge) e;
    char *err;
    size_t errcap;
    uint32_t *mark;   /* determinize's per-state generation marks, reused */
    size_t markcap;
    uint32_t gen;
    dfa *memo;        /* per syntax node: the DFA of a `~` / `&` node, built once */
    uint8_t *memo_ok;
} bld;

typedef struct frag {
    int s, e; /* start; the one accepting state (no edges out while a fragment) */
} frag;

static int st_new(bld *b)
{
    TH_VEC_PUSH(&b->head, -1);
    return (int)b->head.len - 1;
}

static void e_add(bld *b, int from, uint32_t lo, uint32_t hi, int to)
{
    edge x = {lo, hi, to, b->head.items[from]};
    TH_VEC_PUSH(&b->e, x);
    b->head.items[from] = (int)b->e.len - 1;
}

static void eps(bld *b, int from, int to) { e_add(b, from, EPS_LO, EPS_HI, to); }

static int too_big(bld *b)
{
    if (b->head.len <= TH_LRE_MAX_NFA_STATES)
        return 0;
    snprintf(b->err, b->errcap, "pattern too large: more than %d automaton states", TH_LRE_MAX_NFA_STATES);
    return -1;
}

/* ---- DFAs ------------------------------------------------------------------ */

typedef struct dtr {
    uint32_t lo, hi;
    int to;
} dtr;

/* State i's transitions are t[off[i] .. off[i+1]), sorted and disjoint. */
struct dfa {
    TH_VEC(uint8_t) acc;
    TH_VEC(size_t) off;
    TH_VEC(dtr) t;
};

static void dfa_free(dfa *d)
{
    TH_VEC_FREE(&d->acc);
    TH_VEC_FREE(&d->off);
    TH_VEC_FREE(&d->t);
}

static size_t dfa_n(const dfa *d) { return d->acc.len; }

/* Appends a transition of the state being built, merging with the previous one. */
static void dfa_tr(dfa *d, size_t state_off, uint32_t lo, uint32_t hi, int to)
{
    if (d->t.len > state_off) {
        dtr *last = &d->t.items[d->t.len - 1];
        if (last->to == to && last->hi + 1 == lo) {
            last->hi = hi;
            return;
        }
    }
    dtr x = {lo, hi, to};
    TH_VEC_PUSH(&d->t, x);
}

/* Sets of NFA states (and pairs of DFA states), interned: members in one pool,
 * open hashing. A set's members stay in the order the closure found them: the
 * hash does not depend on the order, and the set being looked up is the one
 * whose members carry the current generation mark, so two sets compare equal
 * without sorting either. Pairs are ordered and compare member by member. */
typedef struct setmap {
    TH_VEC(int) pool;
    TH_VEC(size_t) start; /* set i is pool[start[i] .. start[i+1]) */
    TH_VEC(uint64_t) hash; /* set i's hash */
    int *slot;            /* set index + 1, 0 empty */
    size_t cap;
} setmap;

static uint64_t member_hash(int s)
{
    uint64_t x = (uint32_t)s * 0x9E3779B97F4A7C15ull;
    x ^= x >> 31;
    x *= 0xBF58476D1CE4E5B9ull;
    return x ^ (x >> 29);
}

/* n plus the members' hashes: determinize sums them as it adds members */
static uint64_t set_hash(const int *m, size_t n)
{
    uint64_t h = n;
    for (size_t i = 0; i < n; i++)
        h += member_hash(m[i]);
    return h;
}

static size_t set_len(const setmap *sm, size_t i) { return sm->start.items[i + 1] - sm->start.items[i]; }

static void sm_rehash(setmap *sm)
{
    size_t cap = sm->cap ? sm->cap * 2 : 64;
    int *slot = th_xcalloc(cap, sizeof *slot);
    for (size_t i = 0; i < sm->hash.len; i++) {
        size_t j = sm->hash.items[i] & (cap - 1);
        while (slot[j])
            j = (j + 1) & (cap - 1);
        slot[j] = (int)i + 1;
    }
    free(sm->slot);
    sm->slot = slot;
    sm->cap = cap;
}

/* Whether every member of stored set i has mark gen (the set being looked up
 * has exactly its members marked gen, and the two have the same size). */
static bool sm_same(const setmap *sm, size_t i, const uint32_t *mark, uint32_t gen)
{
    for (size_t k = sm->start.items[i]; k < sm->start.items[i + 1]; k++)
        if (mark[sm->pool.items[k]] != gen)
            return false;
    return true;
}

/* The index of set m[0..n) of hash h (set_hash), whose members and only they have mark gen
 * (mark NULL: the sequence m[0..n)), adding it when new (*added set). */
static int sm_intern(setmap *sm, const int *m, size_t n, uint64_t h, const uint32_t *mark,
                     uint32_t gen, bool *added)
{
    if (sm->start.len == 0)
        TH_VEC_PUSH(&sm->start, 0);
    if ((sm->start.len) * 2 >= sm->cap)
        sm_rehash(sm);
    size_t j = h & (sm->cap - 1);
    while (sm->slot[j]) {
        size_t i = (size_t)sm->slot[j] - 1;
        if (sm->hash.items[i] == h && set_len(sm, i) == n &&
            (mark ? sm_same(sm, i, mark, gen)
                  : memcmp(sm->pool.items + sm->start.items[i], m, n * sizeof *m) == 0)) {
            *added = false;
            return (int)i;
        }
        j = (j + 1) & (sm->cap - 1);
    }
    for (size_t i = 0; i < n; i++)
        TH_VEC_PUSH(&sm->pool, m[i]);
    TH_VEC_PUSH(&sm->start, sm->pool.len);
    TH_VEC_PUSH(&sm->hash, h);
    int id = (int)sm->start.len - 2;
    sm->slot[j] = id + 1;
    *added = true;
    return id;
}

static void sm_free(setmap *sm)
{
    TH_VEC_FREE(&sm->pool);
    TH_VEC_FREE(&sm->start);
    TH_VEC_FREE(&sm->hash);
    free(sm->slot);
}

/* Inserts x into the sorted, distinct pts unless it is there. */
static void pts_add(uint32_t *pts, size_t *n, uint32_t x)
{
    size_t lo = 0, hi = *n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (pts[mid] < x)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < *n && pts[lo] == x)
        return;
    memmove(pts + lo + 1, pts + lo, (*n - lo) * sizeof *pts);
    pts[lo] = x;
    (*n)++;
}

typedef struct detctx {
    bld *b;
    uint32_t *mark; /* per NFA state: generation it was last added in (b->mark) */
    uint32_t gen;
    ivec stack;
    /* Epsilon closures of the states transitions lead to, each walked once:
     * cl_at[s] is where s's closure (its size, then its kept members) starts in cl,
     * -1 when not kept. cmark and cgen mark states while one is walked. */
    int *cl_at;
    ivec cl;
    uint32_t *cmark;
    uint32_t cgen;
    /* The states a set keeps: those with a ranged edge out, and the accepting
     * one. The others (epsilon edges only) decide neither a transition nor
     * acceptance, so two sets equal on these are the same DFA state; leaving
     * them out makes the sets smaller to close, hash and compare. */
    uint8_t *keep;
    /* The sum of member_hash over the set being built (set_hash less its size), and
     * member_hash by state, computed at its first use (0: not yet). */
    uint64_t hsum;
    uint64_t *mhash;
} detctx;

static inline uint64_t state_hash(detctx *c, int x)
{
    uint64_t h = c->mhash[x];
    if (!h)
        h = c->mhash[x] = member_hash(x);
    return h;
}

/* The epsilon closure of s, kept in c->cl (NULL when the cache is full). */
static const int *closure_of(detctx *c, int s)
{
    if (c->cl_at[s] >= 0)
        return c->cl.items + c->cl_at[s];
    if (c->cl.len > TH_LRE_MAX_CLOSURE_CACHE)
        return NULL;
    size_t at = c->cl.len;
    TH_VEC_PUSH(&c->cl, 0);
    c->cgen++;
    c->cmark[s] = c->cgen;
    TH_VEC_PUSH(&c->stack, s);
    while (c->stack.len) {
        int x = c->stack.items[--c->stack.len];
        if (c->keep[x])
            TH_VEC_PUSH(&c->cl, x);
        for (int k = c->b->head.items[x]; k >= 0; k = c->b->e.items[k].next) {
            const edge *ed = &c->b->e.items[k];
            if (ed->lo > ed->hi && c->cmark[ed->to] != c->cgen) {
                c->cmark[ed->to] = c->cgen;
                TH_VEC_PUSH(&c->stack, ed->to);
            }
        }
    }
    c->cl.items[at] = (int)(c->cl.len - at - 1);
    c->cl_at[s] = (int)at;
    return c->cl.items + at;
}

/* Adds s and what epsilon edges reach from it to set (unsorted). The states
 * already in set are closed under epsilon edges, so adding the members of
 * s's closure that are not in it gives what a walk stopping at them would. */
static void closure_add(detctx *c, ivec *set, int s)
{
    if (c->mark[s] == c->gen)
        return;
    const int *cl = closure_of(c, s);
    if (cl) {
        if (cl[0] == 0) /* nothing kept: no member to add (and set may have no storage) */
            return;
        TH_VEC_GROW(set, (size_t)cl[0]);
        int *out = set->items + set->len;
        uint64_t hsum = c->hsum;
        for (int k = 1; k <= cl[0]; k++) {
            int x = cl[k];
            if (c->mark[x] != c->gen) {
                c->mark[x] = c->gen;
                hsum += state_hash(c, x);
                *out++ = x;
            }
        }
        set->len = (size_t)(out - set->items);
        c->hsum = hsum;
        return;
    }
    c->mark[s] = c->gen;
    TH_VEC_PUSH(&c->stack, s);
    while (c->stack.len) {
        int x = c->stack.items[--c->stack.len];
        if (c->keep[x]) {
            TH_VEC_PUSH(set, x);
            c->hsum += state_hash(c, x);
        }
        for (int k = c->b->head.items[x]; k >= 0; k = c->b->e.items[k].next) {
            const edge *ed = &c->b->e.items[k];
            if (ed->lo > ed->hi && c->mark[ed->to] != c->gen) {
                c->mark[ed->to] = c->gen;
                TH_VEC_PUSH(&c->stack, ed->to);
            }
        }
    }
}

/* Subset construction of fragment f. 0 done, 1 past the limits (out freed). */
static int determinize(bld *b, frag f, size_t max_states, dfa *out)
{
    memset(out, 0, sizeof *out);
    if (b->markcap < b->head.len) { /* marks are reused: no O(NFA) clearing per call */
        size_t cap = b->head.len * 2;
        b->mark = th_xrealloc(b->mark, cap * sizeof *b->mark);
        memset(b->mark + b->markcap, 0, (cap - b->markcap) * sizeof *b->mark);
        b->markcap = cap;
    }
    if (b->gen > UINT32_MAX - (1u << 30)) {
        memset(b->mark, 0, b->markcap * sizeof *b->mark);
        b->gen = 0;
    }
    detctx c = {b, b->mark, b->gen, {0}, NULL, {0}, NULL, 0, NULL, 0, NULL};
    c.mhash = th_xcalloc(b->head.len, sizeof *c.mhash);
    c.keep = th_xcalloc(b->head.len, 1);
    for (size_t x = 0; x < b->head.len; x++)
        for (int k = b->head.items[x]; k >= 0 && !c.keep[x]; k = b->e.items[k].next)
            c.keep[x] = b->e.items[k].lo <= b->e.items[k].hi;
    c.keep[f.e] = 1;
    c.cl_at = th_xmalloc(b->head.len * sizeof *c.cl_at);
    memset(c.cl_at, 0xff, b->head.len * sizeof *c.cl_at); /* -1: not kept */
    c.cmark = th_xcalloc(b->head.len, sizeof *c.cmark);
    setmap sm = {0};
    ivec set = {0};
    TH_VEC(dtr) es = {0};
    TH_VEC(uint32_t) pts = {0};
    size_t work = 0;
    int rc = 0;
    bool added;

    c.gen++;
    closure_add(&c, &set, f.s);
    sm_intern(&sm, set.items, set.len, set.len + c.hsum, c.mark, c.gen, &added);
    for (size_t i = 0; i + 1 < sm.start.len; i++) {
        TH_VEC_PUSH(&out->off, out->t.len);
        size_t state_off = out->t.len;
        /* gather the ranged edges of the set's members (copied: interning may move the
         * pool), and their distinct boundaries in order */
        es.len = pts.len = 0;
        bool acc = false;
        for (size_t m = sm.start.items[i]; m < sm.start.items[i + 1]; m++) {
            int s = sm.pool.items[m];
            acc |= s == f.e;
            for (int k = b->head.items[s]; k >= 0; k = b->e.items[k].next) {
                const edge *ed = &b->e.items[k];
                if (ed->lo > ed->hi)
                    continue;
                dtr x = {ed->lo, ed->hi, ed->to};
                TH_VEC_PUSH(&es, x);
                TH_VEC_GROW(&pts, 2);
                pts_add(pts.items, &pts.len, ed->lo);
                pts_add(pts.items, &pts.len, ed->hi + 1);
            }
        }
        TH_VEC_PUSH(&out->acc, acc);
        /* the budget counts every boundary, repeated ones too, as it always has */
        work += 2 * es.len * (es.len + 1) + sm.start.items[i + 1] - sm.start.items[i];
        if (work > TH_LRE_MAX_DET_WORK) {
            rc = 1;
            break;
        }
        for (size_t p = 0; p + 1 < pts.len; p++) {
            uint32_t lo = pts.items[p], hi = pts.items[p + 1] - 1;
            set.len = 0;
            c.hsum = 0;
            c.gen++;
            for (size_t k = 0; k < es.len; k++)
                if (es.items[k].lo <= lo && lo <= es.items[k].hi)
                    closure_add(&c, &set, es.items[k].to);
            if (set.len == 0)
                continue;
            work += set.len; /* the closure's cost, so big sets count too */
            if (work > TH_LRE_MAX_DET_WORK) {
                rc = 1;
                break;
            }
            int to = sm_intern(&sm, set.items, set.len, set.len + c.hsum, c.mark, c.gen, &added);
            if (added && sm.start.len - 1 > max_states) {
                rc = 1;
                break;
            }
            dfa_tr(out, state_off, lo, hi, to);
        }
        if (rc)
            break;
    }
    TH_VEC_PUSH(&out->off, out->t.len);
    b->gen = c.gen;
    TH_VEC_FREE(&c.stack);
    TH_VEC_FREE(&c.cl);
    free(c.cl_at);
    free(c.cmark);
    free(c.keep);
    free(c.mhash);
    TH_VEC_FREE(&set);
    TH_VEC_FREE(&es);
    TH_VEC_FREE(&pts);
    sm_free(&sm);
    if (rc)
        dfa_free(out);
    return rc;
}

/* The complement over all code points: a dead state takes the gaps. */
static void dfa_complement(dfa *d)
{
    dfa o = {0};
    size_t n = dfa_n(d);
    int dead = (int)n;
    for (size_t i = 0; i <= n; i++) {
        TH_VEC_PUSH(&o.off, o.t.len);
        size_t so = o.t.len;
        uint32_t next = 0;
        if (i < n) {
            for (size_t k = d->off.items[i]; k < d->off.items[i + 1]; k++) {
                dtr x = d->t.items[k];
                if (x.lo > next)
                    dfa_tr(&o, so, next, x.lo - 1, dead);
                dfa_tr(&o, so, x.lo, x.hi, x.to);
                next = x.hi + 1;
            }
        }
        if (next <= LRE_CP_MAX)
            dfa_tr(&o, so, next, LRE_CP_MAX, dead);
        TH_VEC_PUSH(&o.acc, i < n ? !d->acc.items[i] : 1);
    }
    TH_VEC_PUSH(&o.off, o.t.len);
    dfa_free(d);
    *d = o;
}

/* The product of x and y (reachable pairs only). 0 done, 1 too many states. */
static int dfa_intersect(const dfa *x, const dfa *y, size_t max_states, dfa *out)
{
    memset(out, 0, sizeof *out);
    setmap sm = {0};
    bool added;
    int pair[2] = {0, 0};
    sm_intern(&sm, pair, 2, set_hash(pair, 2), NULL, 0, &added);
    for (size_t i = 0; i + 1 < sm.start.len; i++) {
        int a = sm.pool.items[sm.start.items[i]], bb = sm.pool.items[sm.start.items[i] + 1];
        TH_VEC_PUSH(&out->off, out->t.len);
        TH_VEC_PUSH(&out->acc, x->acc.items[a] && y->acc.items[bb]);
        size_t so = out->t.len;
        size_t p = x->off.items[a], pe = x->off.items[a + 1];
        size_t q = y->off.items[bb], qe = y->off.items[bb + 1];
        while (p < pe && q < qe) {
            dtr u = x->t.items[p], v = y->t.items[q];
            uint32_t lo = u.lo > v.lo ? u.lo : v.lo, hi = u.hi < v.hi ? u.hi : v.hi;
            if (lo <= hi) {
                pair[0] = u.to, pair[1] = v.to;
                int to = sm_intern(&sm, pair, 2, set_hash(pair, 2), NULL, 0, &added);
                if (added && sm.start.len - 1 > max_states) {
                    sm_free(&sm);
                    dfa_free(out);
                    return 1;
                }
                dfa_tr(out, so, lo, hi, to);
            }
            if (u.hi < v.hi)
                p++;
            else
                q++;
        }
    }
    TH_VEC_PUSH(&out->off, out->t.len);
    sm_free(&sm);
    return 0;
}

/* Splices d into the NFA as a fragment. */
static frag dfa_emit(bld *b, const dfa *d)
{
    size_t n = dfa_n(d);
    int base = (int)b->head.len;
    for (size_t i = 0; i < n; i++)
        st_new(b);
    frag f = {base, st_new(b)};
    for (size_t i = 0; i < n; i++) {
        for (size_t k = d->off.items[i]; k < d->off.items[i + 1]; k++)
            e_add(b, base + (int)i, d->t.items[k].lo, d->t.items[k].hi, base + d->t.items[k].to);
        if (d->acc.items[i])
            eps(b, base + (int)i, f.e);
    }
    return f;
}

/* ---- syntax tree -> NFA ------------------------------------------------------ */

static int build(bld *b, int id, frag *f);
static int build_dfa_node(bld *b, const lre_node *ndp, const int *kids, dfa *out);

static int operand_dfa(bld *b, int id, dfa *d)
{
    frag f;
    if (build(b, id, &f) < 0)
        return -1;
    if (determinize(b, f, TH_LRE_MAX_DFA_STATES, d) != 0) {
        snprintf(b->err, b->errcap, "an operand of ~ or & is too complex to determinize (over %d states)",
                 TH_LRE_MAX_DFA_STATES);
        return -1;
    }
    return 0;
}

static int build_rep(bld *b, const lre_node *nd, frag *f)
{
    f->s = st_new(b);
    int cur = f->s;
    if (nd->max >= 0 && nd->min > nd->max) { /* Lucene: the empty language */
        f->e = st_new(b);
        return 0;
    }
    /* x{n,}: n - 1 copies, then one copy that may repeat (x+ and x* take one copy,
     * so nested repetitions stay linear in size) */
    int plain = nd->max < 0 && nd->min > 0 ? nd->min - 1 : nd->min;
    for (int i = 0; i < plain; i++) {
        frag x;
        if (too_big(b) < 0 || build(b, nd->a, &x) < 0)
            return -1;
        eps(b, cur, x.s);
        cur = x.e;
    }
    if (nd->max < 0) {
        frag x;
        if (too_big(b) < 0 || build(b, nd->a, &x) < 0)
            return -1;
        int loop = st_new(b);
        if (nd->min > 0) { /* x (loop x)* */
            eps(b, cur, x.s);
        } else {           /* (loop x)* */
            eps(b, cur, loop);
            eps(b, loop, x.s);
        }
        eps(b, x.e, loop);
        eps(b, loop, x.s);
        f->e = st_new(b);
        eps(b, loop, f->e);
        return 0;
    }
    int end = st_new(b);
    for (int i = nd->min; i < nd->max; i++) {
        frag x;
        if (too_big(b) < 0 || build(b, nd->a, &x) < 0)
            return -1;
        eps(b, cur, end);
        eps(b, cur, x.s);
        cur = x.e;
    }
    eps(b, cur, end);
    f->e = end;
    return 0;
}

static int build(bld *b, int id, frag *f)
{
    if (too_big(b) < 0)
        return -1;
    const lre_node nd = b->ast->nodes.items[id];
    /* children of CAT/ALT/AND only (kids is empty, NULL, in a pattern without them) */
    const int *kids = nd.k == LK_CAT || nd.k == LK_ALT || nd.k == LK_AND ? b->ast->kids.items + nd.r0 : NULL;
    switch (nd.k) {
    case LK_EMPTY:
        f->s = st_new(b), f->e = st_new(b);
        return 0;
    case LK_EPS:
        f->s = st_new(b), f->e = st_new(b);
        eps(b, f->s, f->e);
        return 0;
    case LK_SET:
        f->s = st_new(b), f->e = st_new(b);
        for (size_t i = 0; i < nd.rn; i++) {
            lre_rng r = b->ast->rngs.items[nd.r0 + i];
            e_add(b, f->s, r.lo, r.hi, f->e);
        }
        return 0;
    case LK_ANYSTR:
        f->s = st_new(b), f->e = st_new(b);
        e_add(b, f->s, 0, LRE_CP_MAX, f->s);
        eps(b, f->s, f->e);
        return 0;
    case LK_CAT:
        for (size_t i = 0; i < nd.rn; i++) {
            frag x;
            if (build(b, kids[i], &x) < 0)
                return -1;
            if (i == 0)
                *f = x;
            else
                eps(b, f->e, x.s), f->e = x.e;
        }
        return 0;
    case LK_ALT:
        f->s = st_new(b), f->e = st_new(b);
        for (size_t i = 0; i < nd.rn; i++) {
            frag x;
            if (build(b, kids[i], &x) < 0)
                return -1;
            eps(b, f->s, x.s);
            eps(b, x.e, f->e);
        }
        return 0;
    case LK_REP:
        return build_rep(b, &nd, f);
    case LK_NOT:
    case LK_AND:
        if (!b->memo_ok[id]) { /* a repeated operand builds its DFA once */
            if (build_dfa_node(b, &nd, kids, &b->memo[id]) < 0)
                return -1;
            b->memo_ok[id] = 1;
        }
        *f = dfa_emit(b, &b->memo[id]);
        return 0;
    }
    return -1;
}

static int build_dfa_node(bld *b, const lre_node *ndp, const int *kids, dfa *out)
{
    const lre_node nd = *ndp;
    switch (nd.k) {
    case LK_NOT: {
        dfa d;
        if (operand_dfa(b, nd.a, &d) < 0)
            return -1;
        dfa_complement(&d);
        *out = d;
        return 0;
    }
    case LK_AND: {
        dfa acc;
        if (operand_dfa(b, kids[0], &acc) < 0)
            return -1;
        for (size_t i = 1; i < nd.rn; i++) {
            dfa d, prod;
            if (operand_dfa(b, kids[i], &d) < 0) {
                dfa_free(&acc);
                return -1;
            }
            int rc = dfa_intersect(&acc, &d, TH_LRE_MAX_DFA_STATES, &prod);
            dfa_free(&d);
            dfa_free(&acc);
            if (rc) {
                snprintf(b->err, b->errcap, "intersection too complex (over %d states)", TH_LRE_MAX_DFA_STATES);
                return -1;
            }
            acc = prod;
        }
        *out = acc;
        return 0;
    }
    default:
        return -1;
    }
}

/* ---- the compiled form and matching ----------------------------------------- */

/* ---- `.*(L1|...|Ln).*`: an Aho-Corasick automaton ---------------------------- */

/* A value is in `.*(L1|...|Ln).*` iff one of the strings occurs in it, code
 * point by code point. The subset construction finds that automaton one set of
 * NFA states at a time (12 M instructions for the ES|QL rule with 25 script
 * fragments, most of the start-up's regex work); a trie of the strings with
 * failure links gives it directly. */

/* Finite sets of strings: string i is cps[start[i] .. start[i+1]). */
typedef struct litset {
    TH_VEC(uint32_t) cps;
    TH_VEC(size_t) start; /* count + 1 entries once initialised */
} litset;

static void ls_free(litset *l)
{
    TH_VEC_FREE(&l->cps);
    TH_VEC_FREE(&l->start);
}

static size_t ls_count(const litset *l) { return l->start.len ? l->start.len - 1 : 0; }

static bool ls_over(const litset *l)
{
    return ls_count(l) > TH_LRE_MAX_LITERALS || l->cps.len > TH_LRE_MAX_LITERAL_CPS;
}

/* Appends string i of from, followed by cp when cp <= LRE_CP_MAX, to to. */
static void ls_push(litset *to, const litset *from, size_t i, uint32_t cp)
{
    if (to->start.len == 0)
        TH_VEC_PUSH(&to->start, 0);
    for (size_t k = from->start.items[i]; k < from->start.items[i + 1]; k++)
        TH_VEC_PUSH(&to->cps, from->cps.items[k]);
    if (cp <= LRE_CP_MAX)
        TH_VEC_PUSH(&to->cps, cp);
    TH_VEC_PUSH(&to->start, to->cps.len);
}

static void ls_append(litset *to, const litset *from)
{
    for (size_t i = 0; i < ls_count(from); i++)
        ls_push(to, from, i, LRE_CP_MAX + 1);
}

static bool lit_expand(const lre_ast *ast, int id, const litset *in, litset *out);

/* cur = every string of cur followed by every string of node id's language;
 * false (cur freed) when that language is not a small finite set of literals. */
static bool ls_then(const lre_ast *ast, int id, litset *cur)
{
    litset next = {0};
    bool ok = lit_expand(ast, id, cur, &next);
    ls_free(cur);
    *cur = next;
    if (!ok)
        ls_free(cur);
    return ok;
}

/* out (empty) = every string of in followed by every string of node id's
 * language; false when that language is not a small finite set of literals. */
static bool lit_expand(const lre_ast *ast, int id, const litset *in, litset *out)
{
    const lre_node nd = ast->nodes.items[id];
    switch (nd.k) {
    case LK_EPS:
        ls_append(out, in);
        return true;
    case LK_SET: {
        lre_rng r = ast->rngs.items[nd.r0];
        if (nd.rn != 1 || r.lo != r.hi)
            return false;
        for (size_t i = 0; i < ls_count(in); i++)
            ls_push(out, in, i, r.lo);
        return !ls_over(out);
    }
    case LK_CAT: {
        litset cur = {0};
        ls_append(&cur, in);
        for (size_t k = 0; k < nd.rn; k++)
            if (!ls_then(ast, ast->kids.items[nd.r0 + k], &cur))
                return false;
        *out = cur;
        return true;
    }
    case LK_ALT:
        for (size_t k = 0; k < nd.rn; k++) {
            litset one = {0};
            bool ok = lit_expand(ast, ast->kids.items[nd.r0 + k], in, &one);
            if (ok)
                ls_append(out, &one);
            ls_free(&one);
            if (!ok || ls_over(out))
                return false;
        }
        return true;
    case LK_REP: {
        /* a{min,max}: the union of a repeated min .. max times */
        if (nd.min < 0 || nd.max < nd.min || nd.max > 16)
            return false;
        litset cur = {0};
        ls_append(&cur, in);
        for (int n = 0;; n++) {
            if (n >= nd.min)
                ls_append(out, &cur);
            if (n == nd.max || ls_over(out))
                break;
            if (!ls_then(ast, nd.a, &cur))
                return false;
        }
        ls_free(&cur);
        return !ls_over(out);
    }
    default:
        return false;
    }
}

/* `.*` or `@`: every string. */
static bool is_anystr(const lre_ast *ast, int id)
{
    const lre_node nd = ast->nodes.items[id];
    if (nd.k == LK_ANYSTR)
        return true;
    if (nd.k != LK_REP || nd.min != 0 || nd.max != -1)
        return false;
    const lre_node k = ast->nodes.items[nd.a];
    return k.k == LK_SET && k.rn == 1 && ast->rngs.items[k.r0].lo == 0 &&
           ast->rngs.items[k.r0].hi == LRE_CP_MAX;
}

static int cmp_u32(const void *x, const void *y)
{
    uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
    return a < b ? -1 : a > b;
}

/* The strings of a `.*X.*` pattern (root a concatenation whose first and last
 * parts are any string and whose middle is a finite set of non-empty strings). */
static bool lit_strings(const lre_ast *ast, litset *out)
{
    const lre_node root = ast->nodes.items[ast->root];
    if (root.k != LK_CAT || root.rn < 3)
        return false;
    const int *kids = ast->kids.items + root.r0;
    if (!is_anystr(ast, kids[0]) || !is_anystr(ast, kids[root.rn - 1]))
        return false;
    litset cur = {0};
    TH_VEC_PUSH(&cur.start, 0);
    TH_VEC_PUSH(&cur.start, 0); /* {""} */
    for (size_t k = 1; k + 1 < root.rn; k++)
        if (!ls_then(ast, kids[k], &cur))
            return false;
    /* an empty string would match every value: rare, left to the general way */
    for (size_t i = 0; i < ls_count(&cur); i++)
        if (cur.start.items[i] == cur.start.items[i + 1]) {
            ls_free(&cur);
            return false;
        }
    *out = cur;
    return ls_count(out) > 0;
}

/* The Aho-Corasick DFA of a `.*X.*` pattern into out; false (out untouched)
 * when the pattern is not of that shape or the automaton is too big. State 0
 * is the trie's root; a state where a string ends accepts and keeps accepting
 * (the trailing `.*`). */
static bool lit_dfa(const lre_ast *ast, dfa *out)
{
    litset ls = {0};
    if (!lit_strings(ast, &ls))
        return false;
    /* the alphabet: the strings' distinct code points, sorted */
    uint32_t *alpha = th_xmalloc(ls.cps.len * sizeof *alpha);
    memcpy(alpha, ls.cps.items, ls.cps.len * sizeof *alpha);
    qsort(alpha, ls.cps.len, sizeof *alpha, cmp_u32);
    size_t na = 0;
    for (size_t i = 0; i < ls.cps.len; i++)
        if (na == 0 || alpha[na - 1] != alpha[i])
            alpha[na++] = alpha[i];
    size_t maxn = ls.cps.len + 1;
    if (maxn > TH_LRE_MAX_DFA_STATES + 1u || maxn * na > (1u << 22)) {
        free(alpha);
        ls_free(&ls);
        return false;
    }
    /* the trie: go[u * na + a] the child of u by alpha[a], 0 none (the root is no child) */
    int *go = th_xcalloc(maxn * na, sizeof *go);
    int *fail = th_xcalloc(maxn, sizeof *fail);
    uint8_t *term = th_xcalloc(maxn, 1);
    int *queue = th_xmalloc(maxn * sizeof *queue);
    size_t n = 1;
    for (size_t i = 0; i < ls_count(&ls); i++) {
        size_t u = 0;
        for (size_t k = ls.start.items[i]; k < ls.start.items[i + 1]; k++) {
            uint32_t *at = bsearch(&ls.cps.items[k], alpha, na, sizeof *alpha, cmp_u32);
            size_t a = (size_t)(at - alpha);
            if (!go[u * na + a])
                go[u * na + a] = (int)n++;
            u = (size_t)go[u * na + a];
        }
        term[u] = 1;
    }
    /* breadth first: a state's failure link is shallower, so its row is already
     * the full transition function when the state's missing entries copy it */
    size_t qh = 0, qt = 0;
    queue[qt++] = 0;
    while (qh < qt) {
        size_t u = (size_t)queue[qh++];
        term[u] |= term[fail[u]];
        for (size_t a = 0; a < na; a++) {
            int v = go[u * na + a];
            if (v) {
                fail[v] = u ? go[(size_t)fail[u] * na + a] : 0;
                queue[qt++] = v;
            } else {
                go[u * na + a] = u ? go[(size_t)fail[u] * na + a] : 0;
            }
        }
    }
    memset(out, 0, sizeof *out);
    for (size_t u = 0; u < n; u++) {
        size_t so = out->t.len;
        TH_VEC_PUSH(&out->off, so);
        TH_VEC_PUSH(&out->acc, term[u]);
        if (term[u]) {
            dfa_tr(out, so, 0, LRE_CP_MAX, (int)u);
            continue;
        }
        /* code points in no string lead back to the root */
        uint32_t next = 0;
        for (size_t a = 0; a < na; a++) {
            if (alpha[a] > next)
                dfa_tr(out, so, next, alpha[a] - 1, 0);
            dfa_tr(out, so, alpha[a], alpha[a], go[u * na + a]);
            next = alpha[a] + 1;
        }
        if (next <= LRE_CP_MAX)
            dfa_tr(out, so, next, LRE_CP_MAX, 0);
    }
    TH_VEC_PUSH(&out->off, out->t.len);
    free(queue);
    free(term);
    free(fail);
    free(go);
    free(alpha);
    ls_free(&ls);
    return true;
}

/* ascii_table's limits: the moves of a table (a row, state * w, stays below
 * it), the mark of a target that skips runs, of a byte to decode, of no move */
#define ASCII_MOVES 16384
#define ASCII_LIT 0x4000u
#define ASCII_SKIP 0x8000u
#define ASCII_WIDE (UINT16_MAX - 1)
#define ASCII_DEAD UINT16_MAX
_Static_assert(ASCII_MOVES <= ASCII_LIT, "rows fit below go's marks");
/* A DFA state that moves to itself on all but at most this many ASCII bytes
 * skips its runs (skip_run). */
#define SKIP_EXITS 4
/* A chain of at least LIT_MIN states each left by one byte (either case of a
 * letter under regex~) for the next, none accepting, is compared at once
 * (lit_eq), LIT_MAX bytes at most. */
#define LIT_MIN 4
#define LIT_MAX 16

/* A state that skips runs: the ASCII bytes that leave it (padded with 0x80,
 * which no ASCII byte equals), and its row. */
typedef struct skiprec {
    uint8_t ex[SKIP_EXITS];
    uint16_t row;
} skiprec;

/* A chain of states each left by one byte: its len bytes, lowercase where
 * either case goes on, then the bits that fold them; the entry of the state
 * it ends in. */
typedef struct litrec {
    uint8_t b[2 * LIT_MAX];
    uint16_t to;
    uint8_t len;
} litrec;

struct th_lregex {
    bool is_dfa;
    int n;          /* states */
    int start, acc; /* NFA: start and the accepting state */
    const uint32_t *off; /* n + 1 */
    const dtr *t;        /* DFA: sorted disjoint; NFA: epsilon edges first (lo > hi) */
    const uint8_t *accept; /* DFA */
    /* DFA, where it is small enough (ascii_table): the bytes in classes that
     * every state moves on alike (cls; one class for all bytes from 0x80),
     * and each state's move on each class (go[state * w + class]: the
     * target's row, state * w, with ASCII_SKIP when it has a run to skip;
     * ASCII_WIDE for the bytes from 0x80, ASCII_DEAD for no move). NULL: none. */
    const uint8_t *cls;
    const uint16_t *go;
    uint32_t w;
    /* with go: each state's entry as go holds it: its row, or ASCII_SKIP
     * or ASCII_LIT and the index of its run or chain */
    const uint16_t *entry;
    const skiprec *skips;
    const litrec *lits;
    uint32_t nskips, nlits;
};

/* The state a DFA moves to from st on code point cp, -1 when none (its
 * transitions are sorted and disjoint: a binary search for the range). */
static int dfa_step(const th_lregex *re, uint32_t st, uint32_t cp)
{
    uint32_t lo = re->off[st], hi = re->off[st + 1];
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (re->t[mid].hi < cp)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == re->off[st + 1] || re->t[lo].lo > cp)
        return -1;
    return re->t[lo].to;
}

/* Whether DFA state st moves to itself on all but at most SKIP_EXITS ASCII
 * bytes, and those bytes in ex (padded with 0x80). Such a state (a `.*`
 * before a rare byte, `[^/]+`) is left by few bytes: skip_run finds the next
 * one 16 bytes at a time. Read off the state's ranges, which are sorted: the
 * exits are the gaps below 128 between its ranges to itself. */
static bool skip_exits(const th_lregex *re, uint32_t st, uint8_t ex[SKIP_EXITS])
{
    unsigned k = 0;
    uint32_t from = 0, other = 0; /* the first byte not yet known to stay; bytes to others */
    for (uint32_t j = re->off[st]; j <= re->off[st + 1] && from < 128; j++) {
        bool last = j == re->off[st + 1] || re->t[j].lo >= 128;
        if (!last && re->t[j].to != (int)st) {
            /* exits all: enough of them ends the walk over a busy state's ranges */
            other += (re->t[j].hi < 128 ? re->t[j].hi + 1 : 128) - re->t[j].lo;
            if (other > SKIP_EXITS)
                return false;
            continue;
        }
        uint32_t lo = last ? 128 : re->t[j].lo;
        for (; from < lo; from++) {
            if (k == SKIP_EXITS)
                return false;
            ex[k++] = (uint8_t)from;
        }
        if (!last && re->t[j].hi >= from)
            from = re->t[j].hi + 1;
    }
    while (k < SKIP_EXITS)
        ex[k++] = 0x80;
    return true;
}

/* Whether DFA state st is left by one ASCII byte only, or by either case of
 * one letter, to one state (*to), and does not accept: the byte in *b
 * (lowercase) and *fold (0x20 for either case, else 0). */
static bool one_byte(const th_lregex *re, uint32_t st, uint8_t *b, uint8_t *fold, int *to)
{
    uint32_t j = re->off[st], k = re->off[st + 1];
    if (re->accept[st] || k - j < 1 || k - j > 2 || re->t[j].lo != re->t[j].hi ||
        re->t[j].lo >= 128)
        return false;
    uint32_t c = re->t[j].lo;
    *to = re->t[j].to;
    *b = (uint8_t)c;
    *fold = 0;
    if (k - j == 1)
        return true;
    uint32_t d = re->t[j + 1].lo;
    if (d != re->t[j + 1].hi || d != (c | 0x20) || c < 'A' || c > 'Z' || re->t[j + 1].to != *to)
        return false;
    *b = (uint8_t)d;
    *fold = 0x20;
    return true;
}

/* The chain of one_byte states from st, into lit (LIT_MAX bytes, then their
 * fold bits); its length, and the state it ends in (*end). */
static unsigned lit_chain(const th_lregex *re, uint32_t st, uint8_t *lit, int *end)
{
    unsigned k = 0;
    int to;
    *end = (int)st;
    while (k < LIT_MAX && one_byte(re, (uint32_t)*end, &lit[k], &lit[LIT_MAX + k], &to)) {
        *end = to;
        k++;
    }
    return k;
}

/* The moves of re's states on ASCII bytes as a table, made once at compile
 * time: values are mostly ASCII, where a step through the table is a load,
 * against a UTF-8 decode and a binary search over the state's ranges for each
 * code point (about 74 instructions a character on b10k with the pack
 * without ES|QL; th_lregex_match there costs a fifth of that with the table).
 * The bytes fall into classes that no range of any state tells apart (a
 * class starts at each range's lo and after its hi), so the table holds a
 * move per class, not per byte, and one more column for the bytes from 0x80
 * (ASCII_WIDE: decode), so that the walk tests no byte for ASCII; none when
 * it would hold more than ASCII_MOVES. */
static void ascii_table(th_arena *a, th_lregex *re)
{
    if (re->n <= 0)
        return;
    bool cut[129] = {0};
    for (uint32_t j = 0; j < re->off[re->n]; j++) {
        if (re->t[j].lo < 128)
            cut[re->t[j].lo] = true;
        if (re->t[j].hi < 127)
            cut[re->t[j].hi + 1] = true;
    }
    uint8_t *cls = TH_ANEWN(a, uint8_t, 256);
    uint8_t rep[128]; /* the first byte of each class */
    uint32_t ncls = 1;
    cls[0] = 0;
    rep[0] = 0;
    for (uint32_t b = 1; b < 128; b++) {
        if (cut[b])
            rep[ncls++] = (uint8_t)b;
        cls[b] = (uint8_t)(ncls - 1);
    }
    memset(cls + 128, (int)ncls, 128);
    uint32_t w = ncls + 1;
    if ((size_t)re->n * w > ASCII_MOVES)
        return;
    /* each state as the table names it: its row, or the index of its run
     * or chain, kept apart for the states that have one (a first pass marks
     * and counts them: temporary arrays on the heap moved the routing memos'
     * hashed addresses, +5 M in hotpass.c) */
    uint16_t *entry = TH_ANEWN(a, uint16_t, (size_t)re->n);
    skiprec sr;
    litrec lr;
    int last;
    uint32_t nskips = 0, nlits = 0;
    for (uint32_t st = 0; st < (uint32_t)re->n; st++) {
        if (lit_chain(re, st, lr.b, &last) >= LIT_MIN)
            entry[st] = ASCII_LIT, nlits++;
        else if (skip_exits(re, st, sr.ex))
            entry[st] = ASCII_SKIP, nskips++;
    }
    skiprec *skips = nskips ? TH_ANEWN(a, skiprec, nskips) : NULL;
    litrec *lits = nlits ? TH_ANEWN(a, litrec, nlits) : NULL;
    nskips = nlits = 0;
    for (uint32_t st = 0; st < (uint32_t)re->n; st++) {
        if (entry[st] == ASCII_LIT) {
            lr.len = (uint8_t)lit_chain(re, st, lr.b, &last);
            lr.to = (uint16_t)last; /* its state, made its entry below */
            lits[nlits] = lr;
            entry[st] = (uint16_t)(ASCII_LIT | nlits++);
        } else if (entry[st] == ASCII_SKIP) {
            skip_exits(re, st, sr.ex);
            sr.row = (uint16_t)(st * w);
            skips[nskips] = sr;
            entry[st] = (uint16_t)(ASCII_SKIP | nskips++);
        } else {
            entry[st] = (uint16_t)(st * w);
        }
    }
    for (uint32_t k = 0; k < nlits; k++)
        lits[k].to = entry[lits[k].to];
    re->skips = skips, re->lits = lits;
    re->nskips = nskips, re->nlits = nlits;
    uint16_t *go = TH_ANEWN(a, uint16_t, (size_t)re->n * w);
    for (uint32_t st = 0; st < (uint32_t)re->n; st++) {
        /* the classes' first bytes and the state's ranges, both in order:
         * dfa_step's answer for each class in one pass over the ranges */
        uint32_t j = re->off[st], end = re->off[st + 1];
        for (uint32_t c = 0; c < ncls; c++) {
            while (j < end && re->t[j].hi < rep[c])
                j++;
            go[st * w + c] = j < end && re->t[j].lo <= rep[c] ? entry[re->t[j].to] : ASCII_DEAD;
        }
        go[st * w + ncls] = ASCII_WIDE;
    }
    re->cls = cls;
    re->go = go;
    re->w = w;
    re->entry = entry;
}

static th_lregex *freeze_dfa(th_arena *a, const dfa *d)
{
    th_lregex *re = TH_ANEW(a, th_lregex);
    size_t n = dfa_n(d);
    uint32_t *off = TH_ANEWN(a, uint32_t, n + 1);
    dtr *t = TH_ANEWN(a, dtr, d->t.len + 1);
    uint8_t *acc = TH_ANEWN(a, uint8_t, n + 1);
    for (size_t i = 0; i <= n; i++)
        off[i] = (uint32_t)d->off.items[i];
    if (d->t.len)
        memcpy(t, d->t.items, d->t.len * sizeof *t);
    memcpy(acc, d->acc.items, n);
    re->is_dfa = true;
    re->n = (int)n;
    re->off = off, re->t = t, re->accept = acc;
    re->cls = NULL, re->go = NULL, re->w = 0;
    re->entry = NULL, re->skips = NULL, re->lits = NULL;
    re->nskips = re->nlits = 0;
    return re;
}

static th_lregex *freeze_nfa(th_arena *a, const bld *b, frag f)
{
    th_lregex *re = TH_ANEW(a, th_lregex);
    size_t n = b->head.len;
    uint32_t *off = TH_ANEWN(a, uint32_t, n + 1);
    dtr *t = TH_ANEWN(a, dtr, b->e.len + 1);
    size_t k = 0;
    for (size_t s = 0; s < n; s++) {
        off[s] = (uint32_t)k;
        for (int pass = 0; pass < 2; pass++) /* epsilon edges first */
            for (int j = b->head.items[s]; j >= 0; j = b->e.items[j].next) {
                const edge *ed = &b->e.items[j];
                if ((ed->lo > ed->hi) == (pass == 0))
                    t[k].lo = ed->lo, t[k].hi = ed->hi, t[k].to = ed->to, k++;
            }
    }
    off[n] = (uint32_t)k;
    re->is_dfa = false;
    re->n = (int)n;
    re->start = f.s, re->acc = f.e;
    re->off = off, re->t = t;
    re->cls = NULL, re->go = NULL, re->w = 0;
    re->entry = NULL, re->skips = NULL, re->lits = NULL;
    re->nskips = re->nlits = 0;
    return re;
}

th_lregex *th_lregex_compile(th_arena *a, const char *pattern, size_t n, unsigned flags,
                             char *err, size_t errcap, size_t *errpos)
{
    lre_ast ast = {0};
    if (errpos)
        *errpos = 0;
    if (!lre_parse(&ast, pattern, n, (flags & TH_LRE_NOCASE) != 0, err, errcap, errpos)) {
        lre_ast_free(&ast);
        return NULL;
    }
    dfa ac;
    if (!(flags & TH_LRE_GENERAL) && lit_dfa(&ast, &ac)) {
        th_lregex *re = freeze_dfa(a, &ac);
        if (!(flags & TH_LRE_CODEPOINTS))
            ascii_table(a, re);
        dfa_free(&ac);
        lre_ast_free(&ast);
        return re;
    }
    bld b = {&ast, {0}, {0}, err, errcap, NULL, 0, 0, NULL, NULL};
    b.memo = th_xcalloc(ast.nodes.len, sizeof *b.memo);
    b.memo_ok = th_xcalloc(ast.nodes.len, 1);
    frag f;
    th_lregex *re = NULL;
    if (build(&b, ast.root, &f) == 0) {
        dfa d;
        if (determinize(&b, f, TH_LRE_MAX_DFA_STATES, &d) == 0) {
            re = freeze_dfa(a, &d);
            if (!(flags & TH_LRE_CODEPOINTS))
                ascii_table(a, re);
            dfa_free(&d);
        } else {
            re = freeze_nfa(a, &b, f);
        }
    } else if (errpos) {
        *errpos = 0;
    }
    for (size_t i = 0; i < ast.nodes.len; i++)
        if (b.memo_ok[i])
            dfa_free(&b.memo[i]);
    free(b.memo);
    free(b.memo_ok);
    free(b.mark);
    TH_VEC_FREE(&b.head);
    TH_VEC_FREE(&b.e);
    lre_ast_free(&ast);
    return re;
}

bool th_lregex_is_dfa(const th_lregex *re) { return re->is_dfa; }

bool th_lregex_has_table(const th_lregex *re) { return re->go != NULL; }

size_t th_lregex_skip_states(const th_lregex *re)
{
    return (size_t)re->nskips + re->nlits;
}

/* The code point at s[*i] (U+FFFD for a byte that starts no valid sequence). */
static uint32_t next_cp(const unsigned char *s, size_t n, size_t *i)
{
    if (s[*i] < 0x80)
        return s[(*i)++];
    size_t len;
    uint32_t cp;
    if (th_utf8_decode(s + *i, n - *i, &len, &cp) != TH_UTF8_OK) {
        (*i)++;
        return 0xFFFD;
    }
    *i += len;
    return cp;
}

/* A DFA's walk code point by code point (no table: TH_LRE_CODEPOINTS, or too
 * large a DFA). */
static bool dfa_walk(const th_lregex *re, const unsigned char *s, size_t n)
{
    uint32_t st = 0;
    for (size_t i = 0; i < n;) {
        int to = dfa_step(re, st, next_cp(s, n, &i));
        if (to < 0)
            return false; /* dead: no continuation can match */
        st = (uint32_t)to;
    }
    return re->accept[st] != 0;
}

/* The first i' >= i where s[i'] is one of ex's bytes or not ASCII: the end of
 * the run a skipping state moves to itself on (n: none). */
static size_t skip_run(const uint8_t ex[SKIP_EXITS], const unsigned char *s, size_t i, size_t n)
{
#ifdef __SSE2__
    if (n >= 16) {
        __m128i e0 = _mm_set1_epi8((char)ex[0]), e1 = _mm_set1_epi8((char)ex[1]);
        __m128i e2 = _mm_set1_epi8((char)ex[2]), e3 = _mm_set1_epi8((char)ex[3]);
        for (;;) {
            /* the last block overlaps the one before: its bytes before i
             * are shifted out of the mask */
            size_t at = i + 16 <= n ? i : n - 16;
            __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + at));
            __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, e0), _mm_cmpeq_epi8(v, e1)),
                                       _mm_or_si128(_mm_cmpeq_epi8(v, e2), _mm_cmpeq_epi8(v, e3)));
            unsigned m = (unsigned)_mm_movemask_epi8(_mm_or_si128(hit, v)) >> (i - at);
            if (m)
                return i + (unsigned)__builtin_ctz(m);
            if (at + 16 == n)
                return n;
            i += 16;
        }
    }
#endif
    for (; i < n; i++) {
        unsigned char c = s[i];
        if (c >= 0x80 || c == ex[0] || c == ex[1] || c == ex[2] || c == ex[3])
            break;
    }
    return i;
}

/* Whether s[i..) starts with the chain's len bytes lit (lit + LIT_MAX: the
 * bits that fold them), byte for byte or, where folded, in either case. */
static bool lit_eq(const uint8_t *lit, unsigned len, const unsigned char *s, size_t i, size_t n)
{
    if (n - i < len)
        return false;
#ifdef __SSE2__
    if (n - i >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
        __m128i f = _mm_loadu_si128((const __m128i *)(const void *)(lit + LIT_MAX));
        __m128i l = _mm_loadu_si128((const __m128i *)(const void *)lit);
        unsigned m = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_or_si128(v, f), l));
        unsigned want = (1u << len) - 1;
        return (m & want) == want;
    }
#endif
    for (unsigned k = 0; k < len; k++)
        if ((s[i + k] | lit[LIT_MAX + k]) != lit[k])
            return false;
    return true;
}

/* A DFA's walk through its table: a byte moves the row (state * w) by two
 * loads, without a test for ASCII or a multiplication. A state marked in its
 * entry skips: one that moves to itself on all but a few bytes is left where
 * skip_run finds one of them (`[^/]+` over a bucket name: a call instead of
 * ~9 instructions a byte), a chain of states each left by one byte is
 * compared at once (lit_eq: `arn:aws:s3:::`). A byte from 0x80 decodes and
 * searches the state's ranges. */
static bool dfa_match(const th_lregex *re, const unsigned char *s, size_t n)
{
    const uint16_t *go = re->go;
    const uint8_t *cls = re->cls;
    size_t to = re->entry[0], row = 0, i = 0;
    for (;;) {
        while (to >= ASCII_LIT) {
            if (to >= ASCII_WIDE) {
                if (to == ASCII_DEAD)
                    return false; /* dead: no continuation can match */
                size_t k = i - 1; /* a copy: i's address would keep it in memory */
                int st = dfa_step(re, (uint32_t)(row / re->w), next_cp(s, n, &k));
                if (st < 0)
                    return false;
                to = re->entry[st];
                i = k;
            } else if (to & ASCII_SKIP) {
                const skiprec *r = &re->skips[to & ~ASCII_SKIP];
                i = skip_run(r->ex, s, i, n);
                to = r->row;
            } else {
                const litrec *r = &re->lits[to & ~ASCII_LIT];
                if (!lit_eq(r->b, r->len, s, i, n))
                    return false; /* a byte off the chain, or the value ends in it */
                i += r->len;
                to = r->to;
            }
        }
        row = to;
        if (i >= n)
            break;
        to = go[row + cls[s[i++]]];
    }
    return re->accept[row / re->w] != 0;
}

typedef struct simset {
    int *list;
    size_t len;
} simset;

static void sim_add(const th_lregex *re, simset *set, uint32_t *mark, uint32_t gen, int *stack, int s)
{
    if (mark[s] == gen)
        return;
    mark[s] = gen;
    size_t sp = 0;
    stack[sp++] = s;
    while (sp) {
        int x = stack[--sp];
        set->list[set->len++] = x;
        for (uint32_t k = re->off[x]; k < re->off[x + 1] && re->t[k].lo > re->t[k].hi; k++) {
            int to = re->t[k].to;
            if (mark[to] != gen) {
                mark[to] = gen;
                stack[sp++] = to;
            }
        }
    }
}

static bool nfa_match(const th_lregex *re, const unsigned char *s, size_t n)
{
    size_t ns = (size_t)re->n;
    int *mem = th_xmalloc(ns * 3 * sizeof(int));
    uint32_t *mark = th_xcalloc(ns, sizeof *mark);
    simset cur = {mem, 0}, nxt = {mem + ns, 0};
    int *stack = mem + 2 * ns;
    uint32_t gen = 1;
    sim_add(re, &cur, mark, gen, stack, re->start);
    for (size_t i = 0; i < n && cur.len;) {
        uint32_t cp = next_cp(s, n, &i);
        nxt.len = 0;
        gen++;
        for (size_t j = 0; j < cur.len; j++) {
            int x = cur.list[j];
            for (uint32_t k = re->off[x]; k < re->off[x + 1]; k++)
                if (re->t[k].lo <= cp && cp <= re->t[k].hi)
                    sim_add(re, &nxt, mark, gen, stack, re->t[k].to);
        }
        simset t = cur;
        cur = nxt, nxt = t;
    }
    bool ok = false;
    for (size_t j = 0; j < cur.len && !ok; j++)
        ok = cur.list[j] == re->acc;
    free(mem);
    free(mark);
    return ok;
}

bool th_lregex_match(const th_lregex *re, const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)(s ? s : "");
    if (!re->is_dfa)
        return nfa_match(re, u, n);
    return re->go ? dfa_match(re, u, n) : dfa_walk(re, u, n);
}
