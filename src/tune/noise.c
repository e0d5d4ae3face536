/* Root-cause analysis of alert noise: clusters, their counts, ranking (noise.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/timeutil.h"
#include "tune/noise_int.h"

/* ---- building ------------------------------------------------------------ */

static th_noise_cluster *new_cluster(th_noise *n, const th_noise_cond *c, size_t nc, size_t attr_at,
                                     uint64_t *bits, size_t count)
{
    th_noise_cluster *cl = TH_ANEW(n->a, th_noise_cluster);
    cl->ncond = nc;
    cl->cls = TH_NOISE_SCOPE;
    bool ident = false;
    for (size_t i = 0; i < nc; i++) {
        cl->cond[i] = c[i];
        ident |= c[i].cls == TH_NOISE_IDENTITY;
        if (c[i].cls != TH_NOISE_SCOPE && cl->cls == TH_NOISE_SCOPE)
            cl->cls = TH_NOISE_PROVENANCE;
    }
    if (ident)
        cl->cls = TH_NOISE_IDENTITY;
    cl->bits = bits;
    cl->alerts = count;
    cl->attr = attr_at;
    cl->kql = th_noise_cluster_kql(n->a, c, nc);
    cl->positive = th_noise_cond_kql(n->a, &c[0]);
    if (nc > 1)
        cl->positive =
            th_arena_printf(n->a, "%s and %s", cl->positive, th_noise_cond_kql(n->a, &c[1]));
    TH_VEC_PUSH(&n->cl, cl);
    return cl;
}

static size_t popcount_and(const uint64_t *x, const uint64_t *y, uint64_t *out, size_t w)
{
    size_t k = 0;
    for (size_t i = 0; i < w; i++) {
        uint64_t v = x[i] & y[i];
        if (out)
            out[i] = v;
        k += (size_t)__builtin_popcountll(v);
    }
    return k;
}

static int feat_count_cmp(const void *x, const void *y)
{
    const feat *a = *(const feat *const *)x, *b = *(const feat *const *)y;
    if (a->count != b->count)
        return a->count > b->count ? -1 : 1;
    if (a->attr != b->attr)
        return a->attr < b->attr ? -1 : 1;
    return (int)a->c.kind - (int)b->c.kind;
}

/* Pairs of frequent non-scope conditions of different attributes that
 * narrow both (a pair holding the same alerts as one of its parts says
 * nothing more than that part). */
static void build_pairs(th_noise *n)
{
    size_t total = n->alerts->len;
    feat **sorted = th_xcalloc(n->feats.len + 1, sizeof *sorted);
    if (n->feats.len) /* no alerts: no conditions, and no array to copy */
        memcpy(sorted, n->feats.items, n->feats.len * sizeof *sorted);
    qsort(sorted, n->feats.len, sizeof *sorted, feat_count_cmp);
    for (size_t i = 0; i < n->feats.len && n->ntop < PAIR_TOP; i++) {
        feat *f = sorted[i];
        if (f->count < n->min || f->count >= total || f->c.cls == TH_NOISE_SCOPE)
            continue;
        f->top = (int)n->ntop;
        n->top[n->ntop++] = f;
    }
    free(sorted);
    for (size_t i = 0; i < n->ntop; i++)
        for (size_t j = i + 1; j < n->ntop; j++) {
            feat *f = n->top[i], *g = n->top[j];
            if (f->attr == g->attr)
                continue;
            size_t k = popcount_and(f->bits, g->bits, NULL, n->nwords);
            if (k < n->min || k >= f->count || k >= g->count)
                continue;
            uint64_t *bits = TH_ANEWN(n->a, uint64_t, n->nwords);
            popcount_and(f->bits, g->bits, bits, n->nwords);
            th_noise_cond c[2] = {f->c, g->c};
            n->pair[i][j] = new_cluster(n, c, 2, f->attr < g->attr ? f->attr : g->attr, bits, k);
        }
}

th_noise *th_noise_build(th_arena *a, const th_talerts *alerts, const th_noise_opts *o)
{
    th_noise *n = TH_ANEW(a, th_noise);
    n->a = a;
    n->alerts = alerts;
    n->labels = o->labels;
    th_map_init(&n->fmap);
    th_buf_init(&n->key);
    th_noise_attrs(n, o);
    size_t total = alerts->len;
    n->nwords = total / 64 + 1;
    n->min = o->min_alerts ? o->min_alerts : total < 4 ? 1 : 2;
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    feat *fs[MAX_FEATS];
    for (size_t i = 0; i < total; i++) {
        const th_talert *al = &alerts->items[i];
        size_t k = th_noise_doc_feats(n, al->doc, true, fs);
        for (size_t j = 0; j < k; j++) {
            fs[j]->bits[i / 64] |= 1ull << (i % 64);
            fs[j]->count++;
        }
        if (al->ts_ms != TH_TIME_NONE) {
            int64_t rem, d = th_time_split_day(al->ts_ms, &rem);
            lo = d < lo ? d : lo;
            hi = d > hi ? d : hi;
        }
    }
    n->day0 = lo == INT64_MAX ? 0 : lo;
    n->ndays = o->ndays ? o->ndays : lo == INT64_MAX ? 1 : (size_t)(hi - lo + 1);
    for (size_t i = 0; i < n->feats.len; i++) {
        feat *f = n->feats.items[i];
        if (f->count >= n->min)
            f->cl = new_cluster(n, &f->c, 1, f->attr, f->bits, f->count);
    }
    build_pairs(n);
    return n;
}

void th_noise_observe(th_noise *n, const th_jval *doc, bool selected)
{
    feat *fs[MAX_FEATS];
    size_t k = th_noise_doc_feats(n, doc, false, fs);
    n->events++;
    n->selected += selected;
    for (size_t i = 0; i < k; i++) {
        if (fs[i]->cl) {
            fs[i]->cl->events++;
            fs[i]->cl->selected += selected;
        }
        if (fs[i]->top < 0)
            continue;
        for (size_t j = 0; j < k; j++) {
            if (fs[j]->top <= fs[i]->top)
                continue;
            th_noise_cluster *p = n->pair[fs[i]->top][fs[j]->top];
            if (p) {
                p->events++;
                p->selected += selected;
            }
        }
    }
}

void th_noise_totals(const th_noise *n, size_t *events, size_t *selected)
{
    *events = n->events;
    *selected = n->selected;
}

/* ---- ranking ------------------------------------------------------------- */

/* A lift of 4 or more is as specific as it gets: beyond it the rule's own
 * selectivity, not the cluster, makes the number. */
static double clamp1(double x)
{
    return x > 1 ? 1 : x < -1 ? -1 : x;
}

static void measure(th_noise *n, th_noise_cluster *c, uint8_t *dayseen)
{
    size_t total = n->alerts->len;
    memset(dayseen, 0, n->ndays);
    c->tp = c->days = 0;
    for (size_t i = 0; i < total; i++) {
        if (!(c->bits[i / 64] >> (i % 64) & 1))
            continue;
        const th_talert *al = &n->alerts->items[i];
        c->tp += th_labels_has(n->labels, al->id);
        if (al->ts_ms == TH_TIME_NONE)
            continue;
        int64_t rem, d = th_time_split_day(al->ts_ms, &rem) - n->day0;
        if (d >= 0 && (size_t)d < n->ndays && !dayseen[d]) {
            dayseen[d] = 1;
            c->days++;
        }
    }
    c->coverage = total ? (double)c->alerts / (double)total : 0;
    c->removes_all = c->alerts >= total;
    double weight = c->ncond > 1 ? 0.75 : 1;
    /* An exception for a principal also hides that principal's compromise:
     * a mechanism that explains as much is the better tuning. */
    if (c->cls == TH_NOISE_IDENTITY)
        weight *= 0.75;
    /* A value of one of the rule's own fields (request parameters, say)
     * names no mechanism: a unique one "explains" its alert trivially. */
    if (c->attr >= n->nknown)
        weight *= 0.5;
    /* Add-one smoothing: a condition no event was seen with (an alert the
     * data does not hold, e.g. a threshold bucket) is not infinitely specific. */
    c->lift_data =
        n->events ? c->coverage / (((double)c->events + 1) / ((double)n->events + 1)) : 1;
    c->lift_selected =
        n->selected ? c->coverage / (((double)c->selected + 1) / ((double)n->selected + 1)) : 1;
    c->recurrence = n->ndays ? (double)c->days / (double)n->ndays : 0;
    double spec =
        n->events ? clamp1(log2(c->lift_data) / 2) + clamp1(log2(c->lift_selected) / 2) : 1;
    c->score = c->coverage * spec * (1 + c->recurrence) / 2 * weight;
}

/* A cluster that names who (a user, a role, an ARN or its path, a key), not
 * a kind of principal or a field's presence: removing all of the alerts is
 * then one principal's exception, not a disabled rule. */
static bool names_principal(const th_noise_cluster *c)
{
    for (size_t i = 0; i < c->ncond; i++) {
        const th_noise_cond *d = &c->cond[i];
        if (d->cls != TH_NOISE_IDENTITY ||
            (d->kind != TH_NOISE_VALUE && d->kind != TH_NOISE_PREFIX) ||
            strcmp(d->field, "aws.cloudtrail.user_identity.type") == 0)
            return false;
    }
    return true;
}

typedef struct ranked {
    th_noise_cluster *c;
    size_t order; /* creation order: singles before pairs, attribute order */
    bool labels;  /* true positives are known: losing none ranks first */
} ranked;

static int rank_cmp(const void *x, const void *y)
{
    const ranked *ra = x, *rb = y;
    const th_noise_cluster *a = ra->c, *b = rb->c;
    bool sa = a->cls == TH_NOISE_SCOPE, sb = b->cls == TH_NOISE_SCOPE;
    if (sa != sb)
        return sa ? 1 : -1;
    if (ra->labels && (a->tp == 0) != (b->tp == 0))
        return a->tp == 0 ? -1 : 1;
    if (a->score != b->score)
        return a->score > b->score ? -1 : 1;
    if (a->ncond != b->ncond)
        return a->ncond < b->ncond ? -1 : 1;
    /* equal scores: an absence (a mechanism: no address, no service) first,
     * a value says more than a network or a family, a presence least */
    static const int kind_rank[] = {
        [TH_NOISE_MISSING] = 0, [TH_NOISE_VALUE] = 1,   [TH_NOISE_CIDR] = 2,
        [TH_NOISE_PREFIX] = 3,  [TH_NOISE_PATTERN] = 4, [TH_NOISE_PRESENT] = 5};
    if (a->cond[0].kind != b->cond[0].kind)
        return kind_rank[a->cond[0].kind] - kind_rank[b->cond[0].kind];
    if (a->attr != b->attr) /* the known attributes' order: mechanisms first */
        return a->attr < b->attr ? -1 : 1;
    return ra->order < rb->order ? -1 : ra->order > rb->order;
}

static bool same_bits(const th_noise *n, const th_noise_cluster *a, const th_noise_cluster *b)
{
    return a->alerts == b->alerts && memcmp(a->bits, b->bits, n->nwords * sizeof *a->bits) == 0;
}

static size_t overlap(const th_noise *n, const th_noise_cluster *a, const th_noise_cluster *b)
{
    return popcount_and(a->bits, b->bits, NULL, n->nwords);
}

/* A cluster whose alerts are almost all (90%) inside a cluster ranked
 * above it refines that cause rather than naming another: it moves behind
 * the clusters that do, within its group (scope or not, losing true
 * positives or not), so the top of the list shows distinct causes. */
static void demote_refinements(const th_noise *n, th_noise_cluster **c, size_t k)
{
    th_noise_cluster **kept = th_xcalloc(k + 1, sizeof *kept);
    th_noise_cluster **dem = th_xcalloc(k + 1, sizeof *dem);
    for (size_t g0 = 0; g0 < k;) {
        bool scope = c[g0]->cls == TH_NOISE_SCOPE, lost = n->labels && c[g0]->tp > 0;
        size_t g1 = g0;
        while (g1 < k && (c[g1]->cls == TH_NOISE_SCOPE) == scope &&
               (n->labels && c[g1]->tp > 0) == lost)
            g1++;
        size_t nk = 0, nd = 0;
        for (size_t i = g0; i < g1; i++) {
            bool refines = false;
            for (size_t j = 0; j < nk && !refines; j++)
                refines = overlap(n, c[i], kept[j]) * 10 >= c[i]->alerts * 9;
            if (refines)
                dem[nd++] = c[i];
            else
                kept[nk++] = c[i];
        }
        memcpy(c + g0, kept, nk * sizeof *c);
        memcpy(c + g0 + nk, dem, nd * sizeof *c);
        g0 = g1;
    }
    free(kept);
    free(dem);
}

/* Of two descriptions of the same alerts, the one to show: Julisch's rule
 * of the most general description that is still specific (lift >= 2), and
 * a mechanism before a principal, a known attribute before a rule's own
 * field; a unique value (a request's parameters, a session key) describes
 * its alert but names no cause. */
static bool better_name(const th_noise *n, const th_noise_cluster *c, const th_noise_cluster *eq)
{
    if (c->lift_data < 2 && n->events)
        return false;
    bool ce = c->attr >= n->nknown, ee = eq->attr >= n->nknown;
    if (ce != ee)
        return !ce;
    bool cp = c->cls == TH_NOISE_PROVENANCE, ep = eq->cls == TH_NOISE_PROVENANCE;
    if (cp != ep)
        return cp;
    return c->events > eq->events;
}

size_t th_noise_rank(th_noise *n, th_noise_cluster ***out)
{
    uint8_t *dayseen = th_xcalloc(n->ndays + 1, 1);
    ranked *r = th_xcalloc(n->cl.len + 1, sizeof *r);
    size_t nr = 0;
    for (size_t i = 0; i < n->cl.len; i++) {
        th_noise_cluster *c = n->cl.items[i];
        measure(n, c, dayseen);
        /* removing every alert disables the rule, unless it is one
         * identity's exception (the rule still sees everyone else) */
        if (c->removes_all && c->cls != TH_NOISE_SCOPE && !names_principal(c))
            continue;
        r[nr++] = (ranked){c, i, n->labels != NULL};
    }
    free(dayseen);
    qsort(r, nr, sizeof *r, rank_cmp);
    th_noise_cluster **res = TH_ANEWN(n->a, th_noise_cluster *, nr + 1);
    size_t k = 0;
    for (size_t i = 0; i < nr; i++) {
        th_noise_cluster *c = r[i].c;
        size_t j = 0;
        while (j < k && !(same_bits(n, res[j], c) &&
                          (res[j]->cls == TH_NOISE_SCOPE) == (c->cls == TH_NOISE_SCOPE)))
            j++;
        if (j == k) {
            res[k++] = c;
            continue;
        }
        th_noise_cluster *eq = res[j];
        if (eq->nsame == sizeof eq->same / sizeof eq->same[0] || c->ncond > 1)
            continue;
        if (better_name(n, c, eq)) { /* c names the group; it takes the place */
            c->nsame = eq->nsame;
            memcpy(c->same, eq->same, sizeof c->same);
            eq->nsame = 0;
            c->same[c->nsame++] = eq;
            res[j] = c;
        } else {
            eq->same[eq->nsame++] = c;
        }
    }
    free(r);
    demote_refinements(n, res, k);
    *out = res;
    return k;
}

void th_noise_free(th_noise *n)
{
    if (!n)
        return;
    th_map_free(&n->fmap);
    th_buf_free(&n->key);
    TH_VEC_FREE(&n->feats);
    TH_VEC_FREE(&n->cl);
}
