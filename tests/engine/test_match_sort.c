/* engine: th_match_sort against the comparison it replaces (qsort with the
 * order combined, @timestamp, input order), over shuffled, nearly sorted,
 * sorted and reversed matches with many ties, and a stable reference where
 * two matches tie on every key. */
#include "th_test.h"

#include <stdlib.h>

#include "engine/internal.h"

/* the comparison the temporal pass sorted with before th_match_sort */
static int ref_cmp(const void *x, const void *y)
{
    const th_match *a = x, *b = y;
    if (a->combined != b->combined)
        return a->combined < b->combined ? -1 : 1;
    if (a->ts != b->ts)
        return a->ts < b->ts ? -1 : 1;
    if (a->order != b->order)
        return a->order < b->order ? -1 : 1;
    return a->doc < b->doc ? -1 : a->doc > b->doc; /* doc: the position before sorting */
}

static uint64_t rng(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* shape 0: shuffled; 1: nearly sorted (neighbours swapped); 2: sorted;
 * 3: reversed. span: how many distinct times (small: many ties). dup_order:
 * some matches share an input order too (only a stable sort keeps them). */
static void check(size_t n, int shape, uint64_t span, bool dup_order, uint64_t seed)
{
    th_match *v = calloc(n ? n : 1, sizeof *v), *want = calloc(n ? n : 1, sizeof *want);
    assert_non_null(v);
    assert_non_null(want);
    uint64_t s = seed;
    for (size_t i = 0; i < n; i++) {
        uint64_t t = shape == 0 ? rng(&s) % span : (uint64_t)i * span / (n ? n : 1);
        if (shape == 3)
            t = span - t;
        v[i].combined = (int64_t)t;
        v[i].ts = (int64_t)(t - rng(&s) % 3);
        v[i].order = dup_order ? rng(&s) % 4 : (shape == 3 ? n - i : i);
        v[i].doc = (uint32_t)i;
    }
    for (size_t i = 0; shape == 1 && i + 1 < n; i += 1 + rng(&s) % 5) {
        th_match x = v[i];
        v[i] = v[i + 1];
        v[i + 1] = x;
    }
    for (size_t i = 0; i < n; i++)
        v[i].doc = (uint32_t)i;
    memcpy(want, v, n * sizeof *v);
    if (n)
        qsort(want, n, sizeof *want, ref_cmp);
    th_match_sort(v, n);
    for (size_t i = 0; i < n; i++) {
        if (v[i].doc != want[i].doc)
            fail_msg("n %zu shape %d span %llu: position %zu holds match %u, want %u", n, shape,
                     (unsigned long long)span, i, v[i].doc, want[i].doc);
    }
    free(v);
    free(want);
}

static void match_sort_equals_reference(void **state)
{
    (void)state;
    static const size_t sizes[] = {0, 1, 2, 3, 15, 16, 17, 31, 32, 33, 100, 1000, 4097, 70000};
    static const uint64_t spans[] = {1, 7, 1000, 1000000007};
    uint64_t seed = 0x9E3779B97F4A7C15ull;
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        for (int shape = 0; shape < 4; shape++)
            for (size_t j = 0; j < sizeof spans / sizeof spans[0]; j++)
                for (int dup = 0; dup < 2; dup++)
                    check(sizes[i], shape, spans[j], dup, seed += 0x632BE59BD9B4E019ull);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(match_sort_equals_reference),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
