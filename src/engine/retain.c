/* What the hot pass keeps of a query or EQL single-event rule's matches: only
 * what a run can still turn into an alert (issue 12, item 6).
 *
 * A run at t alerts at most max_signals of the matches in [t - lookback, t],
 * taking them in sort order (query rules: the first max_signals not yet
 * alerted; EQL: the first max_signals, duplicates dropped afterwards). Let
 * t_last be the last run whose window holds match m (combined time c), S its
 * window start, and K the number of runs in [S, t_last] (lookback/interval + 1).
 * Every run holding m holds [S, c) too, and runs before it alerted at most
 * (K - 1) * max_signals of those matches. So when P >= K * max_signals matches
 * precede m in [S, c), every run that holds m has max_signals new matches
 * before it: m never becomes an alert, and since those runs stop before m,
 * dropping m changes no run's alerts. Such a match is not kept at all; the runs
 * that held it are remembered (as ranges of run times) so that the report
 * still counts them as truncated by max_signals.
 *
 * P is counted over the kept matches only (a lower bound: every counted match
 * precedes m), so out-of-order input keeps more, never too little. Kept
 * matches stay sorted by combined time (insertion from the end). Rules
 * where sort order and window time can disagree (timestamp_override with
 * events lacking event.ingested, EQL on event.ingested), rules with alert
 * suppression, and explain traces keep everything, as before. */
#include <stdint.h>
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

static int cmp_combined(const th_erule *r, const th_match *a, const th_match *b)
{
    int64_t ca = th_match_combined(r, a), cb = th_match_combined(r, b);
    if (ca != cb)
        return ca < cb ? -1 : 1;
    if (a->ts != b->ts)
        return a->ts < b->ts ? -1 : 1;
    return a->order < b->order ? -1 : a->order > b->order;
}

static bool eligible(const th_engine *e, const th_erule *r, const th_event *ev)
{
    if (e->trace || r->suppress || r->ret_off || !th_retain_applies(r))
        return false;
    if (r->exec == TH_EXEC_EQL)
        return !r->use_ingested;
    if (r->use_ingested && ev->ingested_ms == TH_TIME_NONE)
        return false; /* sorts after every ingested match: keep it, and stop counting */
    return true;
}

/* First index of the (sorted) kept matches with combined >= x. */
static size_t lower(const th_erule *r, int64_t x)
{
    size_t lo = 0, hi = r->matches.len;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (th_match_combined(r, &r->matches.items[mid]) < x)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static void note_truncated(th_erule *r, int64_t lo, int64_t hi, int64_t iv)
{
    if (r->ret_trunc.len) {
        th_trange *last = &r->ret_trunc.items[r->ret_trunc.len - 1];
        if (lo >= last->lo && lo <= last->hi + iv) {
            if (hi > last->hi)
                last->hi = hi;
            return;
        }
    }
    th_trange t = {lo, hi};
    TH_VEC_PUSH(&r->ret_trunc, t);
}

bool th_retain_drop(th_engine *e, th_erule *r, const th_event *ev, int64_t c)
{
    if (!eligible(e, r, ev)) {
        if (r->exec == TH_EXEC_QUERY && r->use_ingested && ev->ingested_ms == TH_TIME_NONE)
            r->ret_off = true;
        return false;
    }
    if (c == TH_TIME_NONE || c < -(INT64_C(1) << 50) || c > (INT64_C(1) << 50) ||
        (e->o.to_ms != TH_TIME_NONE && c > e->o.to_ms))
        return false; /* no time (never in a window), or too far out for the arithmetic */
    int64_t iv = th_sched_interval(r), lb = th_sched_lookback(r);
    int64_t phase = e->o.phase_ms % iv;
    int64_t t_last = phase + floor_div(c + lb - phase, iv) * iv;
    int64_t t_first = phase + floor_div(c - phase, iv) * iv;
    if (t_first < c)
        t_first += iv;
    int64_t s = t_last - lb;
    uint64_t k = (uint64_t)(lb / iv) + 1;
    uint64_t p = lower(r, c) - lower(r, s);
    if (t_first <= t_last && p < k * (uint64_t)r->max_signals)
        return false;
    if (t_first <= t_last)
        note_truncated(r, t_first, t_last, iv);
    r->rep.dropped++;
    return true;
}

/* v[n - 1] moved to v[lo], those from lo on one up (as the matches move) */
static void insert_last(uint32_t *v, size_t lo, size_t n)
{
    uint32_t x = v[n - 1];
    memmove(v + lo + 1, v + lo, (n - 1 - lo) * sizeof *v);
    v[lo] = x;
}

void th_retain_kept(th_erule *r)
{
    if (r->ret_off)
        return;
    /* insertion from the end: CloudTrail is out of order by minutes at most, and
     * few matches are kept per lookback, so few move; input further out of order
     * than TH_RETAIN_MAX_SHIFT stops the pruning of this rule instead */
    size_t n = r->matches.len;
    th_match m = r->matches.items[n - 1];
    size_t lo = 0, hi = n - 1;
    while (lo < hi) { /* first kept match after m */
        size_t mid = lo + (hi - lo) / 2;
        if (cmp_combined(r, &r->matches.items[mid], &m) <= 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (n - 1 - lo > TH_RETAIN_MAX_SHIFT) {
        r->ret_off = true;
        return;
    }
    memmove(r->matches.items + lo + 1, r->matches.items + lo, (n - 1 - lo) * sizeof(th_match));
    r->matches.items[lo] = m;
    if (r->mdoc.len)
        insert_last(r->mdoc.items, lo, n);
    if (r->mstages.len)
        insert_last(r->mstages.items, lo, n);
}

static int cmp_trange(const void *x, const void *y)
{
    const th_trange *a = x, *b = y;
    return (a->lo > b->lo) - (a->lo < b->lo);
}

void th_retain_finish(th_erule *r)
{
    if (r->ret_trunc.len < 2)
        return;
    qsort(r->ret_trunc.items, r->ret_trunc.len, sizeof(th_trange), cmp_trange);
    size_t o = 0;
    for (size_t i = 1; i < r->ret_trunc.len; i++) {
        th_trange t = r->ret_trunc.items[i];
        if (t.lo <= r->ret_trunc.items[o].hi) {
            if (t.hi > r->ret_trunc.items[o].hi)
                r->ret_trunc.items[o].hi = t.hi;
        } else {
            r->ret_trunc.items[++o] = t;
        }
    }
    r->ret_trunc.len = o + 1;
}

bool th_retain_truncated(const th_erule *r, int64_t t)
{
    size_t lo = 0, hi = r->ret_trunc.len;
    while (lo < hi) { /* last range with lo <= t */
        size_t mid = lo + (hi - lo) / 2;
        if (r->ret_trunc.items[mid].lo <= t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo > 0 && t <= r->ret_trunc.items[lo - 1].hi;
}
