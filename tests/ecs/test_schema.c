/* ecs/schema: the prefix ranges that KEEP and KQL field wildcards glob within
 * must hold every field a scan of the whole table would find. */
#include "th_test.h"

#include <string.h>

#include "ecs/schema.h"

static bool starts(const char *name, const char *pre, size_t n)
{
    return strlen(name) >= n && memcmp(name, pre, n) == 0;
}

static void check_prefix(const char *pre, size_t n)
{
    size_t lo, hi;
    th_schema_prefix_range((th_str){pre, n}, &lo, &hi);
    assert_true(lo <= hi && hi <= th_schema_nfields);
    for (size_t i = 0; i < th_schema_nfields; i++)
        if (starts(th_schema_fields[i].name, pre, n) != (i >= lo && i < hi))
            fail_msg("prefix \"%.*s\": field %s, range [%zu, %zu)", (int)n, pre,
                     th_schema_fields[i].name, lo, hi);
}

/* every dotted prefix (with and without its dot), short prefixes and the whole
 * name of a sample of the fields, plus prefixes of no field */
static void prefix_ranges(void **state)
{
    (void)state;
    for (size_t i = 0; i < th_schema_nfields; i += 3) {
        const char *name = th_schema_fields[i].name;
        size_t n = strlen(name);
        for (size_t k = 0; k <= n; k++)
            if (k < 3 || k == n || name[k] == '.' || (k > 0 && name[k - 1] == '.'))
                check_prefix(name, k);
    }
    static const char *const none[] = {
        "zzzz", "~", "@timestamq", "aws.cloudtrail.zz", "0", "event.actio\x7f"};
    for (size_t i = 0; i < sizeof none / sizeof *none; i++)
        check_prefix(none[i], strlen(none[i]));
    check_prefix("event\0x", 7); /* a NUL matches no name's byte */
}

/* the fields th_field_glob accepts within th_schema_glob_range are all those it
 * accepts in the table */
static void glob_ranges(void **state)
{
    (void)state;
    static const char *const pats[] = {
        "aws.*",        "*",       "**",           "event.*",
        "user_agent.*", "a*id",    "*.name",       "source.geo.*name",
        "nosuch.*",     "cloud.*", "Esql.*",       "user.*",
        "@timestamp",   "e*t.a*n", "event.action*"};
    for (size_t p = 0; p < sizeof pats / sizeof *pats; p++) {
        th_str pat = th_str_c(pats[p]);
        size_t lo, hi, all = 0, in = 0;
        th_schema_glob_range(pat, &lo, &hi);
        for (size_t i = 0; i < th_schema_nfields; i++) {
            bool m = th_field_glob(pat, th_str_c(th_schema_fields[i].name));
            all += m;
            in += m && i >= lo && i < hi;
        }
        if (all != in)
            fail_msg("%s: %zu fields match, %zu of them in [%zu, %zu)", pats[p], all, in, lo, hi);
        /* a pattern whose one `*` ends it matches its whole range (KEEP skips the glob) */
        const char *star = strchr(pats[p], '*');
        if (star && star[1] == '\0' && in != hi - lo)
            fail_msg("%s: %zu of the %zu fields in its range match", pats[p], in, hi - lo);
        assert_true(all > 0 || strcmp(pats[p], "nosuch.*") == 0 || strcmp(pats[p], "Esql.*") == 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(prefix_ranges),
        cmocka_unit_test(glob_ranges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
