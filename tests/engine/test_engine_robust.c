/* engine robustness: odd documents never crash the engine and caps are
 * reported rather than hit silently. */
#include "fixture.h"

#include "base/buf.h"
#include "engine/internal.h"

static const stub_pred all = {NULL, NULL};

static void odd_documents(void **state)
{
    (void)state;
    fx f;
    fx_init(&f);
    fx_start(&f);
    static const char *fields[] = {"user.name", "x"};
    th_rule q, nt, th;
    fx_rule(&q, TH_RULE_QUERY, "Q", 6, 5, 100);
    fx_rule(&nt, TH_RULE_NEW_TERMS, "NT", 6, 5, 100);
    nt.new_terms_fields.items = fields;
    nt.new_terms_fields.len = 2;
    nt.history_window_start = "now-1d";
    fx_rule(&th, TH_RULE_THRESHOLD, "TH", 6, 5, 100);
    th.threshold_fields.items = fields;
    th.threshold_fields.len = 2;
    th.threshold_value = 1;
    th_engine_add_rule(f.e, &q, stub_match, &all, NULL, 0, NULL);
    th_engine_add_rule(f.e, &nt, stub_match, &all, NULL, 0, NULL);
    th_engine_add_rule(f.e, &th, stub_match, &all, NULL, 0, NULL);
    static const char *docs[] = {
        "{}",                                                          /* no time: ignored */
        "{\"@timestamp\":\"not a date\"}",                             /* unparsable: ignored */
        "{\"@timestamp\":1704067260000,\"event\":{\"id\":42}}",         /* epoch ms, numeric id */
        "{\"@timestamp\":\"2024-01-01T00:01:00Z\",\"user\":[{\"name\":[\"a\",[\"b\"]]},{\"name\":null}],"
        "\"x\":{\"y\":1}}",                                             /* objects carry no term */
        "{\"@timestamp\":\"2024-01-01T00:01:00Z\",\"user.name\":\"dotted\",\"x\":true}",
        "{\"@timestamp\":\"2024-01-01T00:01:00Z\",\"event\":{\"kind\":[\"a\",\"b\"]},\"user\":{\"name\":\"\"},\"x\":\"\"}",
    };
    for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++)
        fx_feed(&f, docs[i]);
    fx_finish(&f);
    uint64_t n, ing;
    th_engine_event_counts(f.e, &n, &ing);
    assert_int_equal(n, 6);
    /* Q: the four timed documents */
    assert_int_equal(fx_report(&f, 0)->alerts, 4);
    /* NT: ("dotted", true) and ("", "") are tuples; the object x gives none */
    assert_int_equal(fx_report(&f, 1)->alerts, 2);
    assert_int_equal(fx_report(&f, 2)->alerts, 2);
    for (size_t i = 0; i < f.nalerts; i++)
        assert_string_equal(fx_str(&f, i, "event.kind"), "signal");
    fx_free(&f);
}

static void cartesian_cap_is_reported(void **state)
{
    (void)state;
    fx f;
    fx_init(&f);
    fx_start(&f);
    static const char *fields[] = {"a", "b"};
    th_rule nt;
    fx_rule(&nt, TH_RULE_NEW_TERMS, "NT", 6, 5, 100);
    nt.new_terms_fields.items = fields;
    nt.new_terms_fields.len = 2;
    nt.history_window_start = "now-1d";
    th_engine_add_rule(f.e, &nt, stub_match, &all, NULL, 0, NULL);
    th_buf b;
    th_buf_init(&b);
    th_buf_puts(&b, "{\"@timestamp\":\"2024-01-01T00:01:00Z\",\"a\":[");
    for (int i = 0; i < 200; i++)
        th_buf_printf(&b, "%s\"a%d\"", i ? "," : "", i);
    th_buf_puts(&b, "],\"b\":[");
    for (int i = 0; i < 200; i++)
        th_buf_printf(&b, "%s\"b%d\"", i ? "," : "", i);
    th_buf_puts(&b, "]}");
    fx_feed(&f, b.data);
    th_buf_free(&b);
    fx_finish(&f);
    /* 40000 tuples > TH_ENGINE_MAX_COMBOS: flagged; max_signals bounds the alerts */
    assert_true(fx_report(&f, 0)->state_capped);
    assert_int_equal(fx_report(&f, 0)->alerts, 100);
    assert_int_equal(fx_report(&f, 0)->runs_truncated, 1);
    fx_free(&f);
}

static void skipped_and_unsupported_rules_are_reported(void **state)
{
    (void)state;
    fx f;
    fx_init(&f);
    fx_start(&f);
    th_rule ml, es, nt, odd;
    fx_rule(&ml, TH_RULE_MACHINE_LEARNING, "ML", 6, 5, 100);
    fx_rule(&es, TH_RULE_ESQL, "ES", 6, 5, 100);
    fx_rule(&nt, TH_RULE_NEW_TERMS, "NT", 6, 5, 100); /* no fields */
    fx_rule(&odd, TH_RULE_QUERY, "ODD", 6, 5, 100);
    odd.timestamp_override = "event.created";
    th_engine_add_rule(f.e, &ml, stub_match, &all, NULL, 0, NULL);
    th_engine_add_rule(f.e, &es, stub_match, &all, NULL, 0, NULL);
    th_engine_add_rule(f.e, &nt, stub_match, &all, NULL, 0, NULL);
    th_engine_add_rule(f.e, &odd, stub_match, &all, NULL, 0, NULL);
    th_engine_skip_rule(f.e, &ml, "compile error");
    fx_ev(&f, "x", 1, 1, NULL);
    fx_finish(&f);
    assert_int_equal(f.nalerts, 0);
    size_t n;
    const th_rule_report *r = th_engine_reports(f.e, &n);
    assert_int_equal(n, 5);
    for (size_t i = 0; i < n; i++) {
        assert_non_null(r[i].skipped);
        assert_int_equal(r[i].evals, 0);
    }
    assert_non_null(strstr(r[1].skipped, "esql"));
    assert_string_equal(r[4].skipped, "compile error");
    fx_free(&f);
}

static void reason_template_every_clause(void **state)
{
    (void)state;
    th_arena a;
    th_arena_init(&a, 4096);
    static const struct {
        const char *doc, *want;
    } cases[] = {
        {"{}", "event created low alert R."},
        {"{\"event\":{\"category\":[\"iam\",\"network\"]},\"process\":{\"name\":\"p\",\"parent\":{\"name\":\"pp\"}},"
         "\"file\":{\"name\":\"f\"},\"source\":{\"ip\":\"1.1.1.1\",\"port\":1},"
         "\"destination\":{\"ip\":\"2.2.2.2\",\"port\":2},\"user\":{\"name\":\"u\"},\"host\":{\"name\":\"h\"}}",
         "iam, network event with process p, parent process pp, file f, source 1.1.1.1:1, "
         "destination 2.2.2.2:2, by u on h created low alert R."},
        {"{\"user\":{\"name\":[\"a\",\"b\"]},\"host\":{\"name\":\"-\"}}", "event by a, b created low alert R."},
        {"{\"destination\":{\"ip\":\"2.2.2.2\"}}", "event with destination 2.2.2.2 created low alert R."},
    };
    th_rule r;
    memset(&r, 0, sizeof r);
    r.name = "R";
    r.severity = "low";
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        th_json_error err;
        th_jval *doc = th_json_parse(&a, cases[i].doc, strlen(cases[i].doc), &err);
        assert_non_null(doc);
        assert_string_equal(th_alert_reason(&a, doc, &r), cases[i].want);
    }
    th_arena_free(&a);
}

static void composite_key_order(void **state)
{
    (void)state;
    /* numbers numerically, strings bytewise */
    assert_true(th_value_cmp(TH_STR_LIT("9"), TH_STR_LIT("10")) < 0);
    assert_true(th_value_cmp(TH_STR_LIT("-1"), TH_STR_LIT("0.5")) < 0);
    assert_true(th_value_cmp(TH_STR_LIT("\"10\""), TH_STR_LIT("\"9\"")) < 0);
    assert_true(th_value_cmp(TH_STR_LIT("\"a\""), TH_STR_LIT("\"b\"")) < 0);
    assert_int_equal(th_value_cmp(TH_STR_LIT("\"x\""), TH_STR_LIT("\"x\"")), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(odd_documents),
        cmocka_unit_test(cartesian_cap_is_reported),
        cmocka_unit_test(skipped_and_unsupported_rules_are_reported),
        cmocka_unit_test(reason_template_every_clause),
        cmocka_unit_test(composite_key_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
