/* The simulated scheduler (SEMANTICS.md 2.6) and the query / EQL single-event
 * executors.
 *
 * Run times are epoch-aligned: t = phase + k * interval (Elastic's real phase,
 * the enable time plus drift, is unknowable; --interval-phase shifts ours).
 * The first run is the first such t >= from; runs go on while a window still
 * reaches back to `to` (t - lookback <= to), so every event in [from, to] is
 * seen by every run that would see it in a live deployment, including the
 * runs after the data ends (which matters when max_signals truncated a run).
 * Each run searches the single tuple [t - lookback, min(t, to)], inclusive
 * both ends, on event.ingested with @timestamp fallback: that is the combined
 * timestamp, which also implies visibility (an event is seen only once
 * ingested). Events after `to` are outside the simulated period. The window
 * start is not clamped to `from`: the first run searches its full lookback,
 * as a rule enabled at `from` would. */
#include <stdlib.h>
#include <string.h>

#include "base/limits.h"
#include "engine/internal.h"

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0)))
        q--;
    return q;
}

static int64_t ceil_aligned(int64_t x, int64_t phase, int64_t interval)
{
    int64_t k = floor_div(x - phase, interval);
    int64_t t = phase + k * interval;
    return t < x ? t + interval : t;
}

static int64_t rule_interval(const th_erule *r)
{
    return r->rule->interval_ms > 0 ? r->rule->interval_ms : 5 * 60 * 1000;
}

static int64_t rule_lookback(const th_erule *r)
{
    return r->rule->lookback_ms > 0 ? r->rule->lookback_ms : 6 * 60 * 1000;
}

int64_t th_sched_floor(const th_engine *e, const th_erule *r, int64_t x)
{
    int64_t iv = rule_interval(r);
    int64_t phase = e->o.phase_ms % iv;
    return phase + floor_div(x - phase, iv) * iv;
}

/* Incremental runs (snapshot.c) continue each rule's schedule after the last
 * run an earlier invocation did, and stop at `to` (the newest event read,
 * less the settle margin): a later run's window would reach events not read
 * yet. The runs after the data ends, which a replay does, come only with
 * final_runs (the period is over). */
uint64_t th_sched_runs(const th_engine *e, const th_erule *r, int64_t *first)
{
    if (e->to == TH_TIME_NONE)
        return 0;
    int64_t iv = rule_interval(r);
    int64_t phase = e->o.phase_ms % iv;
    int64_t a;
    if (e->o.incremental && r->last_run != TH_TIME_NONE) {
        a = r->last_run + iv;
    } else {
        if (e->from == TH_TIME_NONE || e->to < e->from)
            return 0;
        a = ceil_aligned(e->from, phase, iv);
    }
    int64_t b;
    if (e->o.incremental && !e->o.final_runs)
        b = th_sched_floor(e, r, e->to);
    else /* last aligned t with t - lookback <= to */
        b = ceil_aligned(e->to + rule_lookback(r) + 1, phase, iv) - iv;
    *first = a;
    if (b < a)
        return 0;
    return (uint64_t)((b - a) / iv) + 1;
}

void th_sched_window(const th_engine *e, const th_erule *r, int64_t lo_ts, int64_t hi_ts, size_t *b,
                     size_t *en)
{
    if (hi_ts > e->to)
        hi_ts = e->to;
    const th_match *m = r->matches.items;
    size_t lo = 0, hi = r->matches.len;
    while (lo < hi) { /* first combined >= lo_ts */
        size_t mid = lo + (hi - lo) / 2;
        if (th_match_combined(r, &m[mid]) < lo_ts)
            lo = mid + 1;
        else
            hi = mid;
    }
    *b = lo;
    hi = r->matches.len;
    while (lo < hi) { /* first combined > hi_ts */
        size_t mid = lo + (hi - lo) / 2;
        if (th_match_combined(r, &m[mid]) <= hi_ts)
            lo = mid + 1;
        else
            hi = mid;
    }
    *en = lo;
}

/* Query rules page through hits sorted event.ingested asc, @timestamp asc,
 * missing values last (SEMANTICS.md 2.2, 2.4). */
typedef struct cand {
    const th_match *m;
    int64_t ingested; /* th_match_ingested's */
    char id[65];
} cand;

static int by_ingest_order(const void *x, const void *y)
{
    const cand *p = x, *q = y;
    const th_match *a = p->m, *b = q->m;
    bool ai = p->ingested != TH_TIME_NONE, bi = q->ingested != TH_TIME_NONE;
    if (ai != bi)
        return ai ? -1 : 1;
    if (ai && p->ingested != q->ingested)
        return p->ingested < q->ingested ? -1 : 1;
    bool at = a->ts != TH_TIME_NONE, bt = b->ts != TH_TIME_NONE;
    if (at != bt)
        return at ? -1 : 1;
    if (a->ts != b->ts)
        return a->ts < b->ts ? -1 : 1;
    return a->order < b->order ? -1 : a->order > b->order;
}

/* EQL returns events in @timestamp order (its own timestamp field). */
static int by_timestamp(const void *x, const void *y)
{
    const th_match *a = ((const cand *)x)->m, *b = ((const cand *)y)->m;
    if (a->ts != b->ts)
        return a->ts < b->ts ? -1 : 1;
    return a->order < b->order ? -1 : a->order > b->order;
}

static void alert_for(th_engine *e, th_erule *r, const th_match *m, const char *id, int64_t t)
{
    const th_edoc *d = &e->docs.items[th_match_doc(r, m)];
    th_jval *src = th_alert_source(e, d);
    if (!src)
        return;
    char *anc = th_arena_strndup(&e->arena, d->id.p, d->id.n);
    th_alert_make(e, r, src, t, id, d->ts, anc);
}

static void run_once(th_engine *e, th_erule *r, int64_t t, th_map *supp_hist)
{
    int64_t from = t - rule_lookback(r);
    size_t b, en;
    th_sched_window(e, r, from, t, &b, &en);
    if (b == en)
        return;
    size_t n = en - b;
    cand *c = th_xmalloc(n * sizeof(cand));
    for (size_t i = 0; i < n; i++) {
        c[i].m = &r->matches.items[b + i];
        c[i].ingested = th_match_ingested(r, c[i].m);
        th_alert_event_id(e, r, &e->docs.items[th_match_doc(r, c[i].m)], NULL, 0, c[i].id);
    }
    size_t max = (size_t)r->max_signals;
    if (r->suppress) {
        size_t *idx = th_xmalloc(n * sizeof(size_t));
        for (size_t i = 0; i < n; i++)
            idx[i] = b + i;
        th_suppress_run(e, r, t, idx, n, supp_hist);
        free(idx);
        free(c);
        return;
    }
    if (r->exec == TH_EXEC_EQL) {
        /* one search of size max_signals, duplicates removed afterwards */
        qsort(c, n, sizeof(cand), by_timestamp);
        if (n > max || th_retain_truncated(r, t))
            r->rep.runs_truncated++;
        if (n > max)
            n = max;
        for (size_t i = 0; i < n; i++) {
            if (th_alert_id_claim(e, r, c[i].id))
                alert_for(e, r, c[i].m, c[i].id, t);
        }
        free(c);
        return;
    }
    /* query: the first max_signals NEW events in ingest order */
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
        if (!th_map_has(&r->ids, th_str_make(c[i].id, 64)))
            c[w++] = c[i];
    }
    n = w;
    qsort(c, n, sizeof(cand), by_ingest_order);
    if (n > max || th_retain_truncated(r, t))
        r->rep.runs_truncated++;
    if (n > max)
        n = max;
    for (size_t i = 0; i < n; i++) {
        if (th_alert_id_claim(e, r, c[i].id))
            alert_for(e, r, c[i].m, c[i].id, t);
    }
    free(c);
}

/* The first of m[next..n) whose combined time is >= lo, as the scan from next
 * finds it: the matches are sorted by it (rule_pass, as th_sched_window reads
 * them), so it doubles a step while the times are below lo and then halves
 * the last step. A run's window moves by the interval, and the scan read
 * every match that left it: 3.1 M instructions over the b100k pack's three
 * passes of each folded ES|QL rule (its cuts, its checks, its runs), where
 * tens of runs each pass some thousand matches. */
static size_t first_from(const th_erule *r, const th_match *m, size_t n, size_t next, int64_t lo)
{
    if (next >= n || th_match_combined(r, &m[next]) >= lo)
        return next;
    size_t below = next, step = 1; /* m[below] is below lo */
    size_t hi = n;                  /* n, or a match at or past lo */
    while (step < n - below) {
        if (th_match_combined(r, &m[below + step]) >= lo) {
            hi = below + step;
            break;
        }
        below += step;
        step *= 2;
    }
    size_t a = below + 1;
    while (a < hi) {
        size_t mid = a + (hi - a) / 2;
        if (th_match_combined(r, &m[mid]) < lo)
            a = mid + 1;
        else
            hi = mid;
    }
    return a;
}

void th_sched_each(th_engine *e, th_erule *r, th_run_fn fn, void *ctx)
{
    int64_t first;
    uint64_t runs = th_sched_runs(e, r, &first);
    int64_t iv = rule_interval(r), lb = rule_lookback(r);
    /* Runs whose window holds no match create nothing and change no state
     * that a later run could see: they are counted, not executed. */
    size_t next = 0;
    for (uint64_t k = 0; k < runs; k++) {
        int64_t t = first + (int64_t)k * iv;
        r->rep.runs++;
        next = first_from(r, r->matches.items, r->matches.len, next, t - lb);
        if (next == r->matches.len) {
            r->rep.runs += runs - k - 1;
            break;
        }
        if (th_match_combined(r, &r->matches.items[next]) > t) {
            /* jump to the last run before the next match enters a window */
            uint64_t kk = (uint64_t)((th_match_combined(r, &r->matches.items[next]) - first) / iv);
            if (kk > k + 1) {
                if (kk > runs)
                    kk = runs;
                r->rep.runs += kk - k - 1;
                k = kk - 1;
            }
            continue;
        }
        r->cur_run = t;
        fn(e, r, t, ctx);
    }
}

static void query_run(th_engine *e, th_erule *r, int64_t t, void *ctx)
{
    if (r->suppress) { /* later runs update earlier alerts */
        run_once(e, r, t, ctx);
        return;
    }
    /* nothing a run builds outlives it but its alerts: build them in a scratch
     * arena and keep them as text, so memory follows one run, not all of them */
    size_t before = e->alerts.len;
    th_arena kept = e->arena;
    th_arena_init(&e->arena, 0);
    run_once(e, r, t, ctx);
    th_alert_compact(e, before);
    th_arena_free(&e->arena);
    e->arena = kept;
}

void th_exec_query(th_engine *e, th_erule *r)
{
    th_sched_each(e, r, query_run, &r->supp_hist);
    if (!r->supp_hist.len)
        return;
    /* the suppression history outlives this pass (incremental runs save it):
     * its keys and ends move from the scratch arena to the rule's own */
    th_map kept;
    th_map_init(&kept);
    for (size_t i = 0; i < r->supp_hist.cap; i++) {
        th_map_slot *sl = &r->supp_hist.slots[i];
        if (!sl->used)
            continue;
        int64_t *end = TH_ANEW(&r->ids_arena, int64_t);
        *end = *(int64_t *)sl->value;
        char *k = th_arena_strndup(&r->ids_arena, sl->key.p, sl->key.n);
        th_map_put(&kept, th_str_make(k, sl->key.n), end);
    }
    th_map_free(&r->supp_hist);
    r->supp_hist = kept;
}

int64_t th_sched_interval(const th_erule *r) { return rule_interval(r); }
int64_t th_sched_lookback(const th_erule *r) { return rule_lookback(r); }
