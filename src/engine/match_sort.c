/* The order of a rule's matches before its temporal pass (th_match_sort):
 * combined time, then @timestamp, then input order, stable.
 *
 * Matches arrive in input order, and input is only roughly in time order:
 * CloudTrail writes a file every few minutes with its records in no order,
 * so the matches are sorted at the scale of the whole input and shuffled
 * within a few hundred neighbours (b100k: half of all neighbours out of
 * order). No cheap "nearly sorted" test holds there, and a comparison sort
 * pays for every level of its merge moving the 32-byte matches.
 *
 * So where the keys allow, the sort works on one 64-bit word per match: its
 * combined time and its @timestamp offset from it, both relative to their
 * minimum, above its position. Position stands for input order where input
 * order never decreases along the array (the hot pass appends matches in it);
 * equal keys then keep their order, as the stable sort keeps them. The words
 * are sorted by their key bits with an LSD radix sort (stable: the positions
 * below them stay in order), and the matches moved once, in place. Where the
 * words cannot hold the keys (times far apart, input order decreasing) or
 * there are few matches, the comparison sort of base/sort.h does it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/sort.h"
#include "engine/internal.h"

/* b sorts before a */
static inline bool match_before(const th_erule *r, const th_match *b, const th_match *a)
{
    int64_t ca = th_match_combined(r, a), cb = th_match_combined(r, b);
    if (ca != cb)
        return cb < ca;
    if (a->ts != b->ts)
        return b->ts < a->ts;
    return b->order < a->order;
}

#define MATCH_BEFORE(r, x, y) match_before(r, x, y)
TH_DEFINE_STABLE_SORT(match_sort, th_match, const th_erule *, MATCH_BEFORE)

/* RADIX_MIN: below it the merge sort costs less than the radix sort's fixed
 * part (clearing and summing 2048 counts a digit) and its packing and gather
 * (b100k: 256 sorted the pack's rules of 282 and 375 matches by radix, 0.1 M
 * instructions more in all than 512). RADIX_BITS: the widest digit. */
enum { RADIX_MIN = 512, RADIX_BITS = 11 };

/* RADIX_WIDE: the widest digit of a sort done in one pass, where its
 * counts are at most twice the words (2^width <= 2n): clearing and summing
 * them then costs less than the second pass over the words it saves (a
 * count and a scatter, ~18 instructions a match). b100k's broad ES|QL
 * rules: blocks of 32,768 matches over ~2.4 hours of whole seconds, 14
 * bits of key. */
enum { RADIX_WIDE = 16 };

/* the passes radix_words makes over n words of width key bits, and the
 * digit's bits (*dw) */
static unsigned radix_passes(unsigned width, size_t n, unsigned *dw)
{
    unsigned passes = (width + RADIX_BITS - 1) / RADIX_BITS;
    if (passes > 1 && width <= RADIX_WIDE && ((size_t)1 << width) <= 2 * n)
        passes = 1;
    *dw = passes ? (width + passes - 1) / passes : 0;
    return passes;
}

/* MS_SEC: times in whole seconds (CloudTrail's eventTime) are one
 * remainder modulo 1000 ms apart from each other; their differences
 * divided by it are ~10 bits narrower than shifted by the 3 low bits they
 * share, which can save a pass (pack_ts). */
enum { MS_SEC = 1000 };

static unsigned bits_of(uint64_t x)
{
    unsigned b = 0;
    for (; x; x >>= 1)
        b++;
    return b;
}

/* the low bits that every one of a set of values shares, given the OR of
 * each value XOR the first: those bits of a difference of two are 0 */
static unsigned shared_low(uint64_t ox)
{
    unsigned z = 0;
    for (; ox && !(ox & 1); ox >>= 1)
        z++;
    return z;
}

/* pack_words where every match's combined time is its @timestamp (its
 * event.ingested not kept, or equal, TH_MATCH_ING_TS: the AWS rules window
 * on event.ingested, which raw CloudTrail gets as @timestamp + 0 s), the
 * offset 0 for all. One read of the
 * matches, which leaves their times in w for the second loop to read 8
 * bytes apart (32 before, with th_match_combined's test); false where one
 * keeps another ingested time (pack_words reads them again), the times
 * cannot be packed or input order decreases somewhere. */
static bool pack_ts(const th_match *v, size_t n, uint64_t *w, unsigned *low, unsigned *width)
{
    const int64_t lim = INT64_C(1) << 61;
    int64_t tmin = INT64_MAX, tmax = INT64_MIN;
    uint64_t t0 = (uint64_t)v[0].ts, ot = 0, prev = v[0].order;
    bool ing = false, back = false;
    for (size_t i = 0; i < n; i++) {
        int64_t t = v[i].ts;
        ing |= v[i].ing - 1u < TH_MATCH_ING_TS - 1u; /* another time kept */
        back |= v[i].order < prev;
        prev = v[i].order;
        tmin = t < tmin ? t : tmin;
        tmax = t > tmax ? t : tmax;
        ot |= (uint64_t)t ^ t0;
        w[i] = (uint64_t)t;
    }
    if (ing || back || tmin <= -lim || tmax >= lim) /* TH_TIME_NONE is below -lim */
        return false;
    unsigned z = shared_low(ot);
    unsigned ib = bits_of(n - 1), cb = bits_of((uint64_t)(tmax - tmin) >> z);
    unsigned cs = bits_of((uint64_t)(tmax - tmin) / MS_SEC), dw;
    if (z >= 3 && cs < cb && ib + cs <= 64 &&
        radix_passes(cs, n, &dw) < radix_passes(cb, n, &dw)) {
        /* By whole seconds where that saves a pass: where every difference
         * d is a multiple of MS_SEC the quotients order as the times. d is
         * a multiple of 8 (z >= 3); d / 8 times the inverse of 125 modulo
         * 2^64 is d / 1000 where 125 divides d / 8, and above 2^64 / 125
         * (> 2^57) where it does not (the product is a bijection that maps
         * the multiples onto [0, 2^64 / 125]): one multiply a match, and
         * the OR of the quotients stays below 2^cs only where every one
         * divided (cs <= 53: the times lie within 2^62). Else the shifted
         * words below. */
        const uint64_t inv125 = 0x1cac083126e978d5ull;
        uint64_t all = 0;
        for (size_t i = 0; i < n; i++) {
            uint64_t q = ((w[i] - (uint64_t)tmin) >> 3) * inv125;
            all |= q;
            w[i] = q << ib | i;
        }
        if (!(all >> cs)) {
            *low = ib;
            *width = cs;
            return true;
        }
        for (size_t i = 0; i < n; i++) /* the times again, as the first loop left them */
            w[i] = (uint64_t)v[i].ts;
    }
    if (ib + cb > 64)
        return false;
    for (size_t i = 0; i < n; i++)
        w[i] = ((w[i] - (uint64_t)tmin) >> z) << ib | i;
    *low = ib;
    *width = cb;
    return true;
}

/* Writes each match's word into w (see the top) and the number of key bits
 * above the position bits (*low of them); false where the words cannot hold
 * them or input order decreases somewhere. Low bits that all combined times
 * share (or all offsets) are left out: times in whole seconds are multiples
 * of 8 ms, and three bits fewer can save a radix pass. */
static bool pack_words(const th_erule *r, const th_match *v, size_t n, uint64_t *w, unsigned *low,
                       unsigned *width)
{
    if (pack_ts(v, n, w, low, width))
        return true;
    /* within +-2^61, t - c lies within +-2^62 and a difference of two of
     * those (dmax - dmin below) cannot overflow */
    const int64_t lim = INT64_C(1) << 61;
    int64_t cmin = INT64_MAX, cmax = INT64_MIN, dmin = INT64_MAX, dmax = INT64_MIN;
    uint64_t c0 = 0, d0 = 0, oc = 0, od = 0;
    for (size_t i = 0; i < n; i++) {
        int64_t c = th_match_combined(r, &v[i]), t = v[i].ts;
        if (c <= -lim || c >= lim || t <= -lim || t >= lim || (i && v[i].order < v[i - 1].order))
            return false;
        int64_t d = t - c;
        cmin = c < cmin ? c : cmin;
        cmax = c > cmax ? c : cmax;
        dmin = d < dmin ? d : dmin;
        dmax = d > dmax ? d : dmax;
        if (!i) {
            c0 = (uint64_t)c;
            d0 = (uint64_t)d;
        }
        oc |= (uint64_t)c ^ c0;
        od |= (uint64_t)d ^ d0;
    }
    unsigned zc = shared_low(oc), zd = shared_low(od);
    unsigned ib = bits_of(n - 1), cb = bits_of((uint64_t)(cmax - cmin) >> zc);
    unsigned db = bits_of((uint64_t)(dmax - dmin) >> zd);
    if (ib + cb + db > 64)
        return false;
    if (db == 0) { /* one offset for all (the ES|QL rules': @timestamp is the time) */
        for (size_t i = 0; i < n; i++)
            w[i] = ((uint64_t)(th_match_combined(r, &v[i]) - cmin) >> zc) << ib | i;
    } else {
        for (size_t i = 0; i < n; i++) { /* equal combined times: @timestamp's order is d's */
            int64_t ci = th_match_combined(r, &v[i]);
            uint64_t c = (uint64_t)(ci - cmin) >> zc;
            uint64_t d = (uint64_t)(v[i].ts - ci - dmin) >> zd;
            w[i] = (c << db | d) << ib | i;
        }
    }
    *low = ib;
    *width = cb + db;
    return true;
}

/* Stable LSD radix sort of w[0..n) by bits [low, low + width), in digits of
 * at most RADIX_BITS; a digit that all words share is skipped. Returns the
 * array that holds the result (w or tmp). */
static uint64_t *radix_words(uint64_t *w, uint64_t *tmp, size_t n, unsigned low, unsigned width)
{
    unsigned dw, passes = radix_passes(width, n, &dw);
    if (!passes)
        return w;
    size_t nb = (size_t)1 << dw, mask = nb - 1;
    size_t cnt_s[(size_t)1 << RADIX_BITS];
    size_t *cnt = dw > RADIX_BITS ? th_xmalloc(nb * sizeof *cnt) : cnt_s;
    for (unsigned p = 0; p < passes; p++) {
        unsigned sh = low + p * dw; /* < 64: (passes - 1) * dw < width */
        memset(cnt, 0, nb * sizeof *cnt);
        for (size_t i = 0; i < n; i++)
            cnt[(w[i] >> sh) & mask]++;
        if (cnt[(w[0] >> sh) & mask] == n)
            continue;
        for (size_t b = 0, at = 0; b < nb; b++) {
            size_t c = cnt[b];
            cnt[b] = at;
            at += c;
        }
        for (size_t i = 0; i < n; i++)
            tmp[cnt[(w[i] >> sh) & mask]++] = w[i];
        uint64_t *t = w;
        w = tmp;
        tmp = t;
    }
    if (cnt != cnt_s)
        free(cnt);
    return w;
}

/* Moves v[s[k] & pos] to v[k] for every k, in place, cycle by cycle: a
 * position whose match is in place is marked by s[k] = k (a cycle's other
 * positions never hold their own index). A gathered copy took n matches
 * more at the peak, fresh pages each time: on the 1 GB bench file the
 * unusual-ASN rule's 684k matches, 33 MB, at the run's peak RSS. */
static void permute(th_match *v, uint64_t *s, size_t n, uint64_t pos)
{
    for (size_t k = 0; k < n; k++) {
        size_t j = k, from = (size_t)(s[k] & pos);
        if (from == k)
            continue;
        th_match t = v[k];
        do {
            v[j] = v[from];
            s[j] = j;
            j = from;
            from = (size_t)(s[j] & pos);
        } while (from != k);
        v[j] = t;
        s[j] = j;
    }
}

/* Sorts v[0..n) with the words in w (room for 2n); false where the words
 * cannot hold its keys (the caller sorts by comparison) */
static bool radix_sort(const th_erule *r, th_match *v, size_t n, uint64_t *w)
{
    unsigned low, width;
    if (!pack_words(r, v, n, w, &low, &width))
        return false;
    uint64_t *s = radix_words(w, w + n, n, low, width);
    permute(v, s, n, ((uint64_t)1 << low) - 1); /* low < 64: n - 1 has fewer bits */
    return true;
}

size_t th_match_sort_block = 1 << 15;

/* the first of v[0..n) (sorted) that x sorts before, else n */
static size_t first_after(const th_erule *r, const th_match *v, size_t n, const th_match *x)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (match_before(r, x, &v[mid]))
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

/* the first of v[0..n) (sorted) that does not sort before x, else n */
static size_t first_not_before(const th_erule *r, const th_match *v, size_t n, const th_match *x)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (match_before(r, &v[mid], x))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Sorted v[0..lo) and sorted v[lo..n) as one sorted run, stably: only the
 * prefix's matches after v[lo] and the block's before v[lo - 1] move, the
 * prefix's through buf (room for max). False where those of the prefix are
 * more than max: nothing moved. */
static bool merge_tail(const th_erule *r, th_match *v, size_t lo, size_t n, th_match *buf,
                       size_t max)
{
    if (!match_before(r, &v[lo], &v[lo - 1]))
        return true;
    size_t p = first_after(r, v, lo, &v[lo]);
    size_t q = lo + first_not_before(r, v + lo, n - lo, &v[lo - 1]);
    size_t nl = lo - p;
    if (nl > max)
        return false;
    memcpy(buf, v + p, nl * sizeof *v);
    size_t i = 0, j = lo, k = p; /* k <= j: what is written was read */
    while (i < nl && j < q)
        v[k++] = match_before(r, &v[j], &buf[i]) ? v[j++] : buf[i++];
    memcpy(v + k, buf + i, (nl - i) * sizeof *v); /* the rest of the block is in place */
    return true;
}

/* Block by block (th_match_sort_block matches, radix sorted each), each
 * merged into the sorted ones before it; false where a merge would move
 * more than a quarter block of them (the caller sorts the whole: every step
 * was stable, and a stable sort of stably sorted parts is that of the
 * whole). The words of all the matches at once were 16 bytes a match at the
 * peak: at two threads the two broad rules sorted side by side put 22 MB
 * on the 1 GB run's peak RSS. Matches come in nearly in order (see the top),
 * so a block's overlap with those before it is a few hundred matches. */
static bool sort_blocks(const th_erule *r, th_match *v, size_t n)
{
    size_t b = th_match_sort_block, max = b / 4;
    uint64_t *w = th_xmalloc(2 * b * sizeof *w);
    th_match *buf = th_xmalloc((max ? max : 1) * sizeof *buf);
    bool ok = true;
    for (size_t lo = 0; ok && lo < n; lo += b) {
        size_t m = n - lo < b ? n - lo : b;
        if (m < RADIX_MIN || !radix_sort(r, v + lo, m, w))
            match_sort(v + lo, m, r);
        ok = !lo || merge_tail(r, v, lo, lo + m, buf, max);
    }
    free(buf);
    free(w);
    return ok;
}

void th_match_sort(const th_erule *r, th_match *v, size_t n)
{
    size_t i = 1;
    while (i < n && !match_before(r, &v[i], &v[i - 1]))
        i++;
    if (i >= n)
        return;
    if (th_match_sort_block && n > th_match_sort_block && sort_blocks(r, v, n))
        return;
    uint64_t *w = n >= RADIX_MIN ? th_xmalloc(2 * n * sizeof *w) : NULL;
    if (!w || !radix_sort(r, v, n, w))
        match_sort(v, n, r);
    free(w);
}

/* v[k] = old[v[k]] for every k, old freed (v's items: n of them) */
static uint32_t *gather(uint32_t *old, const uint32_t *from, size_t n)
{
    uint32_t *v = th_xmalloc((n ? n : 1) * sizeof *v);
    for (size_t k = 0; k < n; k++)
        v[k] = old[from[k]];
    free(old);
    return v;
}

/* The words beside the matches follow them through the sort by each match's
 * fv, which no comparison reads: it holds the match's position while it is
 * sorted (their vectors never hold UINT32_MAX matches: th_match_grow), its
 * own kept aside. A rule without them (the ES|QL rules on captured fields,
 * which keep the most) pays nothing. */
void th_match_sort_rule(th_erule *r)
{
    th_match *v = r->matches.items;
    size_t n = r->matches.len;
    bool doc = th_rule_keeps_doc(r), st = r->nstages != 0;
    if (!doc && !st) {
        th_match_sort(r, v, n);
        return;
    }
    size_t i = 1;
    while (i < n && !match_before(r, &v[i], &v[i - 1]))
        i++;
    if (i >= n)
        return;
    uint32_t *fv = th_xmalloc(n * sizeof *fv);
    for (size_t k = 0; k < n; k++) {
        fv[k] = v[k].fv;
        v[k].fv = (uint32_t)k;
    }
    th_match_sort(r, v, n);
    uint32_t *from = th_xmalloc(n * sizeof *from);
    for (size_t k = 0; k < n; k++) {
        from[k] = v[k].fv;
        v[k].fv = fv[from[k]];
    }
    free(fv);
    if (doc) {
        r->mdoc.items = gather(r->mdoc.items, from, n);
        r->mdoc.cap = n;
    }
    if (st) {
        r->mstages.items = gather(r->mstages.items, from, n);
        r->mstages.cap = n;
    }
    free(from);
}
