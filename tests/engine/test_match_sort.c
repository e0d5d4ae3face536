/* engine: th_match_sort against a stable reference (qsort with the order
 * combined, @timestamp, input order, and the position before sorting last),
 * over many shapes of disorder and ties: the radix sort of packed words and
 * the comparison sort it falls back to must both give the reference's order.
 *
 * Shapes: shuffled, neighbours swapped, sorted, reversed, ascending runs
 * (batches of workers), sorted with every window of w shuffled (CloudTrail
 * files), sorted with a few elements moved far. Input order: the position
 * (as the hot pass appends), random with repeats (not monotone: the fallback),
 * or following time (reversed when the times are). Timestamps: equal to the
 * combined time, a ms after it, far before it (event.ingested), a few
 * TH_TIME_NONE (too far apart to pack: the fallback), and times scaled so
 * that the packed word uses exactly its 64 bits; the first, the fourth and
 * the fifth again with no event.ingested kept at all (a rule not windowed
 * on it: the words of @timestamp alone, pack_ts). Every other case sorts
 * a rule's matches with their documents and stages beside them
 * (th_match_sort_rule). */
#include "th_test.h"

#include <stdlib.h>

#include "base/timeutil.h"
#include "engine/internal.h"

/* the rule whose ingested times the matches keep (th_match.ing), and its engine */
static th_erule rule;
static th_engine eng;

static int ref_cmp(const void *x, const void *y)
{
    const th_match *a = x, *b = y;
    int64_t ca = th_match_combined(&rule, a), cb = th_match_combined(&rule, b);
    if (ca != cb)
        return ca < cb ? -1 : 1;
    if (a->ts != b->ts)
        return a->ts < b->ts ? -1 : 1;
    if (a->order != b->order)
        return a->order < b->order ? -1 : 1;
    return a->fv < b->fv ? -1 : a->fv > b->fv; /* fv: the position before sorting */
}

static uint64_t rng(uint64_t *s) { return th_test_xorshift(s); }

static unsigned bits_of(uint64_t x)
{
    unsigned b = 0;
    for (; x; x >>= 1)
        b++;
    return b;
}

enum { SHAPES = 7, ORDERS = 3, TSMODES = 8, SECMODE = 100, SECMODES = 4 };

/* the time of match i of n before the moves of disorder(): shuffled, reversed or sorted */
static uint64_t shape_time(int shape, size_t i, size_t n, uint64_t span, uint64_t *s)
{
    uint64_t lin = (uint64_t)i * span / (n ? n : 1);
    return shape == 0 ? rng(s) % span : shape == 3 ? span - lin : lin;
}

static void disorder(th_match *v, size_t n, int shape, uint64_t *s)
{
    if (shape == 1)
        for (size_t i = 0; i + 1 < n; i += 1 + rng(s) % 5) {
            th_match x = v[i];
            v[i] = v[i + 1];
            v[i + 1] = x;
        }
    if (shape == 4) /* ascending runs, each shifted by a random offset */
        for (size_t i = 0; i < n;) {
            size_t len = 1 + rng(s) % 64;
            int64_t off = (int64_t)(rng(s) % 1000) - 500;
            for (size_t k = i; k < i + len && k < n; k++) {
                if (v[k].ing && v[k].ing != TH_MATCH_ING_TS)
                    rule.ingested.items[v[k].ing - 1] += off;
                v[k].ts += off;
            }
            i += len;
        }
    if (shape == 5) /* sorted windows, shuffled within */
        for (size_t i = 0; i < n;) {
            size_t len = 1 + rng(s) % 500;
            len = len < n - i ? len : n - i;
            for (size_t k = len; k > 1; k--) {
                size_t j = rng(s) % k;
                th_match x = v[i + k - 1];
                v[i + k - 1] = v[i + j];
                v[i + j] = x;
            }
            i += len;
        }
    if (shape == 6 && n > 1) /* a few moved far */
        for (size_t m = 0; m < 1 + n / 1000; m++) {
            size_t a = rng(s) % n, b = rng(s) % n;
            th_match x = v[a];
            v[a] = v[b];
            v[b] = x;
        }
}

/* th_match_sort_rule of v as the rule's matches, with the documents and
 * stages beside them (made from each one's position, fv): they must follow
 * their matches, and fv come back */
static void sort_with_side(th_match *v, size_t n)
{
    rule.matches.items = v;
    rule.matches.len = rule.matches.cap = n;
    rule.nstages = 2;
    for (size_t i = 0; i < n; i++) {
        TH_VEC_PUSH(&rule.mdoc, v[i].fv);
        TH_VEC_PUSH(&rule.mstages, ~v[i].fv);
    }
    th_match_sort_rule(&rule);
    for (size_t i = 0; i < n; i++)
        if (rule.mdoc.items[i] != v[i].fv || rule.mstages.items[i] != ~v[i].fv)
            fail_msg("n %zu: position %zu holds match %u, its document %u and stages %u", n, i,
                     v[i].fv, rule.mdoc.items[i], ~rule.mstages.items[i]);
    TH_VEC_FREE(&rule.mdoc);
    TH_VEC_FREE(&rule.mstages);
    rule.matches.items = NULL;
    rule.matches.len = rule.matches.cap = 0;
    rule.nstages = 0;
}

static void check(size_t n, int shape, uint64_t span, int ordmode, int tsmode, uint64_t seed)
{
    /* every other case through th_match_sort_rule, with words beside the matches */
    bool side = (shape + tsmode) % 2;
    th_match *v = calloc(n ? n : 1, sizeof *v), *want = calloc(n ? n : 1, sizeof *want);
    assert_non_null(v);
    assert_non_null(want);
    uint64_t s = seed;
    bool noing = tsmode >= 5; /* 5, 6, 7: 0, 3, 4 with no event.ingested kept */
    /* SECMODE..: whole seconds (span in seconds), no event.ingested kept,
     * every time 123 ms past its second; one match 8 ms or 1 ms off that
     * (not a multiple of 1000 ms apart from the others: the sort by seconds
     * gives way); before 1970 */
    int sec = tsmode >= SECMODE ? tsmode - SECMODE + 1 : 0;
    if (noing)
        tsmode = sec ? 0 : tsmode == 5 ? 0 : tsmode == 6 ? 3 : 4;
    /* tsmode 4: scaled so that combined's range fills what the position leaves */
    unsigned room = 64 - bits_of(n ? n - 1 : 0), sb = bits_of(span);
    int64_t scale = tsmode == 4 ? INT64_C(1) << ((room < 61 ? room : 61) - sb) : 1;
    for (size_t i = 0; i < n; i++) {
        uint64_t t = shape_time(shape, i, n, span, &s);
        int64_t c = (int64_t)t * scale;
        if (sec) /* t seconds */
            c = (int64_t)t * 1000 + 123 + (sec == 4 ? -INT64_C(5000000000000) : INT64_C(1790000000000));
        v[i].ts = tsmode == 1   ? c + (int64_t)(rng(&s) % 2)
                  : tsmode == 2 ? c - (int64_t)(rng(&s) % (3 * span + 1))
                                : c;
        /* the combined time is event.ingested's where it differs, and
         * either way where it does not (a rule without timestamp_override) */
        v[i].ing =
            !noing && (v[i].ts != c || i % 2) ? th_match_keep_ingested(&eng, &rule, v[i].ts, c) : 0;
        v[i].order = ordmode == 1 ? rng(&s) % 4 : ordmode == 2 && shape == 3 ? n - i : i;
    }
    disorder(v, n, shape, &s);
    for (size_t i = 0; i < n; i++) {
        if (tsmode == 3 && rng(&s) % 7 == 0) {
            v[i].ing = 0;
            v[i].ts = TH_TIME_NONE;
        }
        if (noing && !sec && i == n / 2 && n > 600) /* one kept late: pack_ts gives way */
            v[i].ing = th_match_keep_ingested(&eng, &rule, v[i].ts, v[i].ts + 1);
        if ((sec == 2 || sec == 3) && i == n / 3)
            v[i].ts += sec == 2 ? 8 : 1;
        v[i].fv = (uint32_t)i;
    }
    memcpy(want, v, n * sizeof *v);
    if (n)
        qsort(want, n, sizeof *want, ref_cmp);
    if (side)
        sort_with_side(v, n);
    else
        th_match_sort(&rule, v, n);
    for (size_t i = 0; i < n; i++) {
        if (v[i].fv != want[i].fv)
            fail_msg("n %zu shape %d span %llu order %d ts %d: position %zu holds match %u, want %u",
                     n, shape, (unsigned long long)span, ordmode, tsmode, i, v[i].fv,
                     want[i].fv);
        /* the whole match moved, not only its keys */
        assert_true(v[i].ing == want[i].ing && v[i].ts == want[i].ts &&
                    v[i].order == want[i].order);
    }
    free(v);
    free(want);
    rule.ingested.len = 0;
}

static void match_sort_equals_reference(void **state)
{
    (void)state;
    static const size_t sizes[] = {0, 1, 2, 3, 15, 16, 17, 33, 100, 511, 512, 513, 1000, 4097, 20000};
    static const uint64_t spans[] = {1, 7, 1000, 86400000, 1000000007};
    uint64_t seed = 0x9E3779B97F4A7C15ull;
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        for (int shape = 0; shape < SHAPES; shape++)
            for (size_t j = 0; j < sizeof spans / sizeof spans[0]; j++)
                for (int ord = 0; ord < ORDERS; ord++)
                    for (int ts = 0; ts < TSMODES; ts++)
                        check(sizes[i], shape, spans[j], ord, ts, seed += 0x632BE59BD9B4E019ull);
}

/* the same, sorted block by block and merged (th_match_sort_block): blocks
 * of one match (every merge by comparison), of fewer than the radix sort
 * takes, and of a few hundred; shuffled input overlaps more than a merge
 * takes, and the whole is sorted again */
static void blocks_equal_reference(void **state)
{
    (void)state;
    static const size_t blocks[] = {1, 7, 100, 512, 600, 4096};
    static const size_t sizes[] = {2, 17, 513, 1000, 4097, 9000};
    static const uint64_t spans[] = {7, 86400000, 1000000007};
    size_t was = th_match_sort_block;
    uint64_t seed = 0x2545F4914F6CDD1Dull;
    for (size_t b = 0; b < sizeof blocks / sizeof blocks[0]; b++) {
        th_match_sort_block = blocks[b];
        for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
            for (int shape = 0; shape < SHAPES; shape++)
                for (size_t j = 0; j < sizeof spans / sizeof spans[0]; j++)
                    for (int ord = 0; ord < ORDERS; ord++)
                        for (int ts = 0; ts < TSMODES; ts++)
                            check(sizes[i], shape, spans[j], ord, ts,
                                  seed += 0x632BE59BD9B4E019ull);
    }
    th_match_sort_block = was;
}

/* times in whole seconds (pack_ts's words by seconds, where they save a
 * radix pass: spans of 2^15 seconds and less over up to 40,000 matches, one
 * pass of a digit wider than RADIX_BITS), also by blocks; a time off its
 * second (by 8 ms: a multiple of 8 all the same) and times before 1970 */
static void whole_seconds_equal_reference(void **state)
{
    (void)state;
    static const size_t sizes[] = {511, 600, 3000, 9000, 20000, 40000};
    static const uint64_t spans[] = {1, 1500, 9000, 30000, 400000};
    static const size_t blocks[] = {1 << 15, 4096};
    size_t was = th_match_sort_block;
    uint64_t seed = 0x7F4A7C159E3779B9ull;
    for (size_t b = 0; b < sizeof blocks / sizeof blocks[0]; b++) {
        th_match_sort_block = blocks[b];
        for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
            for (int shape = 0; shape < SHAPES; shape++)
                for (size_t j = 0; j < sizeof spans / sizeof spans[0]; j++)
                    for (int sec = 0; sec < SECMODES; sec++)
                        check(sizes[i], shape, spans[j], 0, SECMODE + sec,
                              seed += 0x632BE59BD9B4E019ull);
    }
    th_match_sort_block = was;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(match_sort_equals_reference),
        cmocka_unit_test(blocks_equal_reference),
        cmocka_unit_test(whole_seconds_equal_reference),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    TH_VEC_FREE(&rule.ingested);
    return rc;
}
