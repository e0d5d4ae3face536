/* json/jscan: th_jscan_load_line finds the '\n' that ends an NDJSON line and
 * loads the line (less the whitespace before its '\n') exactly as memchr and
 * th_jscan_load of that line would: the same end, verdict, index and flags,
 * under every stage-1 implementation this CPU has. */
#include "th_test.h"

#include <string.h>

#include "json/jscan.h"

static const th_jscan_impl all[] = {TH_JSCAN_SCALAR, TH_JSCAN_SSE, TH_JSCAN_AVX2, TH_JSCAN_AVX512};

/* What load_line must give for p[0..avail), by memchr and th_jscan_load on
 * `ref`; checked against `s`. */
static void check_line(th_jscan *s, th_jscan *ref, const char *p, size_t avail)
{
    size_t n = 0, nl = 0;
    bool ok = th_jscan_load_line(s, p, avail, &n, &nl);
    const char *q = memchr(p, '\n', avail);
    if (!q) {
        assert_true(nl == SIZE_MAX);
        assert_false(ok);
        return;
    }
    assert_int_equal(nl, (size_t)(q - p));
    size_t m = nl;
    while (m > 0 && (p[m - 1] == ' ' || p[m - 1] == '\t' || p[m - 1] == '\r'))
        m--;
    assert_int_equal(n, m);
    bool want = th_jscan_load(ref, p, m, NULL);
    if (ok != want)
        fail_msg("verdict %d, want %d, for: %.*s", ok, want, (int)m, p);
    size_t c1, c2;
    const uint32_t *x1 = th_jscan_index(s, &c1), *x2 = th_jscan_index(ref, &c2);
    assert_int_equal(c1, c2);
    assert_memory_equal(x1, x2, c1 * sizeof *x1);
    assert_int_equal(th_jscan_has_backslash(s), th_jscan_has_backslash(ref));
    assert_int_equal(th_jscan_has_ctl_high(s), th_jscan_has_ctl_high(ref));
    assert_int_equal(th_jscan_has_at(s), th_jscan_has_at(ref));
}

/* Bytes drawn mostly from what decides the index and the line's end:
 * structure, quotes, backslashes, whitespace (LF, CR, tab), '@', high and
 * control bytes, letters. */
static char draw(uint64_t *r)
{
    static const char pick[] = "{}[]\":,\\ \t\r\n@aZ09-.\x01\x80\xc3\xa9";
    uint64_t x = th_test_xorshift(r);
    if (x % 4 == 0)
        return (char)(x >> 8);
    return pick[(x >> 8) % (sizeof pick - 1)];
}

/* Random texts and valid lines, the '\n' and the whitespace before it at
 * every place around block boundaries (a CR before the '\n' as the last
 * byte of an indexed block takes the scanner's second path). */
static void lines_match_memchr_and_load(void **state)
{
    (void)state;
    uint64_t r = 0x9e3779b97f4a7c15ULL;
    char *buf = malloc(800);
    size_t cases = 0;
    for (size_t k = 0; k < sizeof all / sizeof all[0]; k++) {
        if (!th_jscan_supported(all[k]))
            continue;
        th_jscan *s = th_jscan_new(), *ref = th_jscan_new();
        assert_true(th_jscan_use(s, all[k]));
        assert_true(th_jscan_use(ref, TH_JSCAN_SCALAR));
        for (int t = 0; t < 40000; t++) {
            size_t avail = (size_t)(th_test_xorshift(&r) % 520);
            if (t % 2) {
                /* a valid object, then whitespace, then the '\n' */
                size_t len = avail < 4 ? 4 : avail;
                memset(buf, 'x', len);
                buf[0] = '{';
                buf[1] = '"';
                buf[2] = '"';
                buf[3] = ':';
                buf[4] = '1';
                size_t end = 5 + (size_t)(th_test_xorshift(&r) % (len > 8 ? len - 8 : 1));
                for (size_t i = 5; i < end; i++)
                    buf[i] = '1';
                buf[end] = '}';
                for (size_t i = end + 1; i < len + 40; i++)
                    buf[i] = " \t\r\r"[th_test_xorshift(&r) % 4];
                avail = end + 1 + (size_t)(th_test_xorshift(&r) % 30);
                buf[avail] = '\n';
                avail += 1 + (size_t)(th_test_xorshift(&r) % 70);
                for (size_t i = end + 1 + 30 + 1; i < avail; i++)
                    buf[i] = draw(&r);
            } else {
                for (size_t i = 0; i < avail; i++)
                    buf[i] = draw(&r);
            }
            /* exact size, so that ASan sees any read past avail */
            char *p = malloc(avail ? avail : 1);
            memcpy(p, buf, avail);
            check_line(s, ref, p, avail);
            free(p);
            cases++;
        }
        th_jscan_free(s);
        th_jscan_free(ref);
    }
    free(buf);
    print_message("lines: %zu cases\n", cases);
}

/* A line past the scanner's reach (16 K bytes until it loads a longer text)
 * is left to the caller: no '\n' is reported there, and none is loaded. */
static void reach_is_the_index(void **state)
{
    (void)state;
    size_t big = 40000;
    char *p = malloc(big);
    memset(p, ' ', big);
    p[0] = '1';
    p[big - 1] = '\n';
    for (size_t k = 0; k < sizeof all / sizeof all[0]; k++) {
        if (!th_jscan_supported(all[k]))
            continue;
        th_jscan *s = th_jscan_new();
        assert_true(th_jscan_use(s, all[k]));
        size_t n = 0, nl = 0;
        assert_false(th_jscan_load_line(s, p, big, &n, &nl));
        assert_true(nl == SIZE_MAX);
        /* after a load of the whole text its index reaches the '\n' */
        assert_true(th_jscan_load(s, p, big - 1, NULL));
        assert_true(th_jscan_load_line(s, p, big, &n, &nl));
        assert_int_equal(nl, big - 1);
        assert_int_equal(n, 1);
        th_jscan_free(s);
    }
    free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lines_match_memchr_and_load),
        cmocka_unit_test(reach_is_the_index),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
