/* threshold (SEMANTICS.md 6), hand-computed scenarios; minutes after T0,
 * lookback 6m / interval 5m. */
#include "fixture.h"

static const stub_pred all = {NULL, NULL};

static void th_rule_set(th_rule *r, const char **fields, size_t nf, int64_t value, int64_t max)
{
    fx_rule(r, TH_RULE_THRESHOLD, "TH", 6, 5, max);
    r->threshold_fields.items = fields;
    r->threshold_fields.len = nf;
    r->threshold_value = value;
}

static const char *user_of(fx *f, size_t i) { return fx_str(f, i, "user.name"); }

static void history_prevents_recounting(void **state)
{
    (void)state;
    fx f;
    fx_init(&f);
    fx_start(&f);
    static const char *fields[] = {"user.name"};
    th_rule r;
    th_rule_set(&r, fields, 1, 3, 100);
    th_engine_add_rule(f.e, &r, stub_match, &all, NULL, 0, NULL);
    const char *bob = "\"user\":{\"name\":\"bob\"},\"source\":{\"ip\":\"10.0.0.1\"}";
    const char *alice = "\"user\":{\"name\":\"alice\"}";
    fx_ev(&f, "b1", 1, 1, bob);
    fx_ev(&f, "b2", 2, 2, bob);
    fx_ev(&f, "b3", 4.5, 4.5, bob);
    fx_ev(&f, "b4", 6, 6, bob);
    fx_ev(&f, "b5", 7, 7, bob);
    fx_ev(&f, "a1", 6, 6, alice);
    fx_ev(&f, "a2", 7, 7, alice);
    fx_ev(&f, "a3", 8, 8, alice);
    fx_finish(&f);
    /* run 5: bob {1,2,4.5} = 3 -> alert, history bob <= 4.5.
     * run 10 [4,10]: bob {6,7} (4.5 excluded) = 2 -> none; alice {6,7,8} -> alert. */
    assert_int_equal(f.nalerts, 2);
    assert_string_equal(user_of(&f, 0), "bob");
    assert_int_equal(f.times[0], MIN(5));
    assert_int_equal(fx_int(&f, 0, "kibana.alert.threshold_result.count"), 3);
    assert_string_equal(fx_str(&f, 0, "kibana.alert.threshold_result.from"),
                        "2024-01-01T00:01:00.000Z");
    assert_string_equal(fx_str(&f, 0, "kibana.alert.original_time"), "2024-01-01T00:04:30.000Z");
    assert_string_equal(fx_str(&f, 0, "@timestamp"), "2024-01-01T00:05:00.000Z");
    /* synthetic document: key fields only */
    assert_string_equal(fx_str(&f, 0, "source.ip"), "");
    assert_string_equal(fx_str(&f, 0, "event.id"), "");
    const th_jval *terms = th_json_path_first(f.alerts[0], TH_STR_LIT("kibana.alert.threshold_result.terms"));
    assert_non_null(terms);
    assert_true(th_str_eqc(th_jstr(th_jobj_get(terms, "field")), "user.name"));
    assert_true(th_str_eqc(th_jstr(th_jobj_get(terms, "value")), "bob"));
    assert_string_equal(fx_str(&f, 0, "kibana.alert.reason"), "event by bob created medium alert TH.");
    assert_string_equal(user_of(&f, 1), "alice");
    assert_int_equal(f.times[1], MIN(10));
    fx_free(&f);
}

static void cardinality_below_and_above(void **state)
{
    (void)state;
    fx f;
    fx_init(&f);
    fx_start(&f);
    static const char *fields[] = {"user.name"};
    th_rule r;
    th_rule_set(&r, fields, 1, 1, 100);
    r.cardinality_field = "source.ip";
    r.cardinality_value = 2;
    th_engine_add_rule(f.e, &r, stub_match, &all, NULL, 0, NULL);
    fx_ev(&f, "c1", 1, 1, "\"user\":{\"name\":\"carol\"},\"source\":{\"ip\":\"1.1.1.1\"}");
    fx_ev(&f, "c2", 2, 2, "\"user\":{\"name\":\"carol\"},\"source\":{\"ip\":\"1.1.1.1\"}");
    fx_ev(&f, "c3", 2, 2, "\"user\":{\"name\":\"carol\"}");
    fx_ev(&f, "d1", 1, 1, "\"user\":{\"name\":\"dan\"},\"source\":{\"ip\":\"1.1.1.1\"}");
    fx_ev(&f, "d2", 3, 3, "\"user\":{\"name\":\"dan\"},\"source\":{\"ip\":\"2.2.2.2\"}");
    fx_finish(&f);
    assert_int_equal(f.nalerts, 1);
    assert_string_equal(user_of(&f, 0), "dan");
    const th_jval *card =
        th_json_path_first(f.alerts[0], TH_STR_LIT("kibana.alert.threshold_result.cardinality"));
    assert_non_null(card);
    int64_t n = 0;
    assert_true(th_jnum_i64(th_jobj_get(card, "value"), &n));
    assert_int_equal(n, 2);
    fx_free(&f);
}

static void max_signals_buckets_in_key_order(void **state)
{
    (void)state;
    fx f;
    fx_init(&f);
    fx_start(&f);
    static const char *fields[] = {"user.name"};
    th_rule r;
    th_rule_set(&r, fields, 1, 1, 2);
    th_engine_add_rule(f.e, &r, stub_match, &all, NULL, 0, NULL);
    fx_ev(&f, "x3", 4.5, 4.5, "\"user\":{\"name\":\"u3\"}");
    fx_ev(&f, "x1", 4.5, 4.5, "\"user\":{\"name\":\"u1\"}");
    fx_ev(&f, "x2", 4.5, 4.5, "\"user\":{\"name\":\"u2\"}");
    fx_finish(&f);
    /* run 5: u1, u2 (truncated); run 10 [4,10]: u1, u2 excluded by history, u3 alerts */
    assert_int_equal(f.nalerts, 3);
    assert_string_equal(user_of(&f, 0), "u1");
    assert_string_equal(user_of(&f, 1), "u2");
    assert_string_equal(user_of(&f, 2), "u3");
    assert_int_equal(f.times[2], MIN(10));
    assert_int_equal(fx_report(&f, 0)->runs_truncated, 1);
    fx_free(&f);
}

static void no_fields_one_bucket_and_arrays(void **state)
{
    (void)state;
    fx f;
    fx_init(&f);
    fx_start(&f);
    th_rule r0, r1;
    th_rule_set(&r0, NULL, 0, 2, 100);
    static const char *fields[] = {"tags"};
    th_rule_set(&r1, fields, 1, 2, 100);
    r1.rule_id = r1.name = "TH-arr";
    th_engine_add_rule(f.e, &r0, stub_match, &all, NULL, 0, NULL);
    th_engine_add_rule(f.e, &r1, stub_match, &all, NULL, 0, NULL);
    fx_ev(&f, "p", 1, 1, "\"tags\":[\"a\",\"b\"]");
    fx_ev(&f, "q", 2, 2, "\"tags\":[\"b\"]");
    fx_finish(&f);
    /* r0: one bucket of 2. r1: a=1 (no), b=2 (alert). */
    assert_int_equal(f.nalerts, 2);
    assert_string_equal(fx_str(&f, 0, "kibana.alert.rule.rule_id"), "TH");
    assert_int_equal(fx_int(&f, 0, "kibana.alert.threshold_result.count"), 2);
    assert_string_equal(fx_str(&f, 1, "kibana.alert.rule.rule_id"), "TH-arr");
    assert_string_equal(fx_str(&f, 1, "tags"), "b");
    fx_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(history_prevents_recounting),
        cmocka_unit_test(cardinality_below_and_above),
        cmocka_unit_test(max_signals_buckets_in_key_order),
        cmocka_unit_test(no_fields_one_bucket_and_arrays),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
