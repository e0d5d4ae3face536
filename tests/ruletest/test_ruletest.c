/* ruletest/: reading *.test.toml (good files, and bad ones with file:line:col)
 * and comparing expected with got. */
#include "th_test.h"

#include "ruletest/ruletest.h"

static th_rtest_file *parse(th_arena *a, th_diags *d, const char *text)
{
    return th_rtest_parse(a, text, strlen(text), "dir/x.test.toml", d);
}

static void test_parse_full(void **state)
{
    (void)state;
    th_arena a;
    th_arena_init(&a, 4096);
    th_diags d;
    th_diags_init(&d);
    th_rtest_file *f = parse(&a, &d,
                             "rule = \"../r.toml\"\n"
                             "[[test]]\n"
                             "name = \"one\"\n"
                             "events = ['{\"a\": 1}', { eventName = \"X\", n = 2 }]\n"
                             "data = [\"f.ndjson\", \"/abs.ndjson\"]\n"
                             "from = \"2026-10-10T00:00:00Z\"\n"
                             "[test.expect]\n"
                             "alerts = 3\n"
                             "alert_ids = [\"e1\", \"e2\"]\n"
                             "no_alert_ids = [\"e3\"]\n"
                             "[[test]]\n"
                             "name = \"two\"\n"
                             "rule = \"other.toml\"\n"
                             "pending = \"not yet\"\n"
                             "emulate = { scenarios = [\"a\", \"b\"], seed = 9, days = 2 }\n"
                             "expect = { alerts = 0 }\n");
    assert_int_equal(d.errors, 0);
    assert_non_null(f);
    assert_int_equal(f->ntests, 2);
    const th_rtest *t = &f->tests[0];
    assert_string_equal(t->name, "one");
    assert_int_equal(t->line, 2);
    assert_string_equal(t->rule, "dir/../r.toml");
    assert_int_equal(t->nevents, 2);
    assert_int_equal(t->events[0]->type, TH_JOBJ);
    th_str s = th_jstr(th_jobj_get(t->events[1], "eventName"));
    assert_true(th_str_eqc(s, "X"));
    assert_int_equal(t->ndata, 2);
    assert_string_equal(t->data[0], "dir/f.ndjson");
    assert_string_equal(t->data[1], "/abs.ndjson");
    assert_string_equal(t->from, "2026-10-10T00:00:00Z");
    assert_true(t->has_count);
    assert_int_equal(t->count, 3);
    assert_int_equal(t->nmust, 2);
    assert_string_equal(t->must[1], "e2");
    assert_int_equal(t->nmust_not, 1);
    assert_null(t->emulate);
    t = &f->tests[1];
    assert_string_equal(t->rule, "dir/other.toml");
    assert_string_equal(t->pending, "not yet");
    assert_non_null(t->emulate);
    assert_int_equal(t->emulate->nscenarios, 2);
    assert_string_equal(t->emulate->scenarios[1], "b");
    assert_int_equal(t->emulate->seed, 9);
    assert_int_equal(t->emulate->days, 2);
    assert_true(t->has_count);
    assert_int_equal(t->count, 0);
    th_diags_free(&d);
    th_arena_free(&a);
}

/* Bad files: each must be rejected with an error at the given line:col. */
static const struct {
    const char *text;
    unsigned line, col;
    const char *message; /* substring */
} bad[] = {
    {"rule = \"r\"\n[[test]]\nname = \"x\"\nevents = ['{}']\n[test.expect]\nalert = 1\n", 6, 1,
     "unknown key `alert`"},
    {"rule = \"r\"\n[[test]]\nname = \"x\"\nevents = ['{}']\n[test.expect]\nalerts = \"1\"\n", 6,
     10, "must be integer"},
    {"rule = \"r\"\n[[test]]\nname = \"x\"\nevents = ['{\"a\": }']\nexpect = {alerts = 1}\n", 4, 18,
     "not valid JSON"},
    {"rule = \"r\"\n[[test]]\nname = \"x\"\nevents = ['''\n{\"a\": 1,\n \"b\" 2}''']\n"
     "expect = {alerts = 1}\n",
     6, 6, "not valid JSON"},
    {"rule = \"r\"\n[[test]]\nname = \"x\"\nevents = ['[1]']\nexpect = {alerts = 1}\n", 4, 11,
     "must be a JSON object"},
    {"rule = \"r\"\n[[test]]\nname = \"x\"\nexpect = {alerts = 1}\n", 2, 1, "has no events"},
    {"rule = \"r\"\n[[test]]\nname = \"x\"\nevents = ['{}']\n", 2, 1, "expects nothing"},
    {"[[test]]\nname = \"x\"\nevents = ['{}']\nexpect = {alerts = 1}\n", 1, 1, "no rule"},
    {"rule = \"r\"\n[[test]]\nevents = ['{}']\nemulate = {seed = 1}\nexpect = {alerts = 1}\n", 4,
     11, "needs `scenario`"},
    {"rule = \"r\"\n[[test]]\nevents = ['{}']\nexpect = {alerts = -1}\n", 4, 20, "at least 0"},
    {"rule = \"r\"\n[[test]]\nevents = ['{}']\nexpect = {alert_ids = [\"a\", 2]}\n", 4, 29,
     "must hold strings"},
    {"rule = \"r\"\nrules = 1\n", 2, 1, "unknown key `rules`"},
    {"rule = \"r\"\n", 1, 1, "no tests"},
    {"rule = \"r\"\n[[test]\n", 2, 7, ""}, /* a TOML syntax error from the TOML reader */
};

static void test_parse_bad(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        th_arena a;
        th_arena_init(&a, 4096);
        th_diags d;
        th_diags_init(&d);
        th_rtest_file *f = parse(&a, &d, bad[i].text);
        if (f || d.errors == 0)
            fail_msg("case %zu: accepted", i);
        const th_diag *g = &d.items[0];
        if (g->line != bad[i].line || g->col != bad[i].col || !strstr(g->message, bad[i].message))
            fail_msg("case %zu: got %u:%u %s; wanted %u:%u ...%s...", i, g->line, g->col,
                     g->message, bad[i].line, bad[i].col, bad[i].message);
        assert_string_equal(g->file, "dir/x.test.toml");
        th_diags_free(&d);
        th_arena_free(&a);
    }
}

static void test_compare(void **state)
{
    (void)state;
    th_arena a;
    th_arena_init(&a, 4096);
    const char *must[] = {"a", "b"}, *must_not[] = {"c", "d"};
    th_rtest t = {0};
    t.has_count = true;
    t.count = 2;
    t.must = must;
    t.nmust = 2;
    t.must_not = must_not;
    t.nmust_not = 2;
    const char *ids_ok[] = {"a", "b", "e"}, *ids_bad[] = {"a", "d"};
    th_rtest_got got = {2, ids_ok, 3, NULL};
    th_rtest_diff d;
    th_rtest_compare(&a, &t, &got, &d);
    assert_int_equal(d.verdict, TH_RTEST_PASS);

    got = (th_rtest_got){3, ids_bad, 2, NULL};
    th_rtest_compare(&a, &t, &got, &d);
    assert_int_equal(d.verdict, TH_RTEST_FAIL);
    assert_false(d.count_ok);
    assert_int_equal(d.nmissing, 1);
    assert_string_equal(d.missing[0], "b");
    assert_int_equal(d.nunexpected, 1);
    assert_string_equal(d.unexpected[0], "d");

    /* the diff names what differs */
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    th_rtest_diff_print(f, &t, &got, &d);
    fclose(f);
    assert_non_null(strstr(buf, "expected 2, got 3"));
    assert_non_null(strstr(buf, "missing:    b"));
    assert_non_null(strstr(buf, "unexpected: d"));
    free(buf);

    /* a rule that did not run never passes; with `pending` it is pending */
    th_rtest zero = {0};
    zero.has_count = true;
    got = (th_rtest_got){0, NULL, 0, "esql rules are not supported yet"};
    th_rtest_compare(&a, &zero, &got, &d);
    assert_int_equal(d.verdict, TH_RTEST_FAIL);
    zero.pending = "later";
    th_rtest_compare(&a, &zero, &got, &d);
    assert_int_equal(d.verdict, TH_RTEST_PENDING);
    /* pending, ran and passed: flagged so `pending` gets removed */
    got.skipped = NULL;
    th_rtest_compare(&a, &zero, &got, &d);
    assert_int_equal(d.verdict, TH_RTEST_PENDING_PASS);
    th_arena_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_full),
        cmocka_unit_test(test_parse_bad),
        cmocka_unit_test(test_compare),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
