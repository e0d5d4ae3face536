/* Alert suppression on query rules (SEMANTICS.md 2.5), hand-computed;
 * minutes after T0, lookback 6m / interval 5m. */
#include "fixture.h"

static const stub_pred all = {NULL, NULL};
static const char *group_by[] = {"source.ip"};

static void supp_rule(th_rule *r, const char *id, int64_t duration_ms, const char *strategy)
{
    fx_rule(r, TH_RULE_QUERY, id, 6, 5, 100);
    r->has_suppression = true;
    r->suppression_group_by.items = group_by;
    r->suppression_group_by.len = 1;
    r->suppression_duration_ms = duration_ms;
    r->missing_fields_strategy = strategy;
}

static void feed_common(fx *f)
{
    fx_ev(f, "a1", 1, 1, "\"source\":{\"ip\":\"10.0.0.1\"}");
    fx_ev(f, "a2", 2, 2, "\"source\":{\"ip\":\"10.0.0.1\"}");
    fx_ev(f, "b1", 2, 2, "\"source\":{\"ip\":\"10.0.0.2\"}");
    fx_ev(f, "n1", 3, 3, NULL);
    fx_ev(f, "a3", 4.5, 4.5, "\"source\":{\"ip\":\"10.0.0.1\"}");
    fx_ev(f, "a4", 8, 8, "\"source\":{\"ip\":\"10.0.0.1\"}");
}

static size_t alerts_of(fx *f, const char *rule, size_t *idx, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < f->nalerts; i++) {
        if (strcmp(fx_str(f, i, "kibana.alert.rule.rule_id"), rule) == 0 && n < max)
            idx[n++] = i;
    }
    return n;
}

static void per_execution_groups(void **state)
{
    (void)state;
    fx f;
    fx_init(&f);
    fx_start(&f);
    th_rule r;
    supp_rule(&r, "S", 0, "suppress");
    th_engine_add_rule(f.e, &r, stub_match, &all, NULL, 0, NULL);
    feed_common(&f);
    fx_finish(&f);
    /* run 5: A {1,2,4.5} top a1 docs_count 2; B {2}; null {3}.
     * run 10 [4,10]: a3 covered by run 5's A group; A {8} -> new alert. */
    size_t ix[8];
    assert_int_equal(alerts_of(&f, "S", ix, 8), 4);
    assert_string_equal(fx_str(&f, ix[0], "event.id"), "a1");
    assert_int_equal(fx_int(&f, ix[0], "kibana.alert.suppression.docs_count"), 2);
    assert_string_equal(fx_str(&f, ix[0], "kibana.alert.suppression.start"), "2024-01-01T00:01:00.000Z");
    assert_string_equal(fx_str(&f, ix[0], "kibana.alert.suppression.end"), "2024-01-01T00:04:30.000Z");
    assert_string_equal(fx_str(&f, ix[1], "event.id"), "b1");
    assert_int_equal(fx_int(&f, ix[1], "kibana.alert.suppression.docs_count"), 0);
    assert_string_equal(fx_str(&f, ix[2], "event.id"), "n1");
    const th_jval *terms = th_jobj_get(f.alerts[ix[2]], "kibana.alert.suppression.terms");
    assert_non_null(terms);
    assert_int_equal(th_jobj_get(terms->u.items[0], "value")->type, TH_JNULL);
    assert_string_equal(fx_str(&f, ix[3], "event.id"), "a4");
    assert_int_equal(f.times[ix[3]], MIN(10));
    assert_string_equal(fx_str(&f, ix[0], "kibana.alert.instance.id"),
                        fx_str(&f, ix[3], "kibana.alert.instance.id"));
    assert_string_not_equal(fx_str(&f, ix[0], "kibana.alert.instance.id"),
                            fx_str(&f, ix[1], "kibana.alert.instance.id"));
    assert_int_equal(fx_report(&f, 0)->suppressed_docs, 2);
    fx_free(&f);
}

static void duration_updates_open_alert(void **state)
{
    (void)state;
    fx f;
    fx_init(&f);
    fx_start(&f);
    th_rule r;
    supp_rule(&r, "D", 30 * 60000, "suppress");
    th_engine_add_rule(f.e, &r, stub_match, &all, NULL, 0, NULL);
    feed_common(&f);
    fx_finish(&f);
    /* run 10's A group {8} updates run 5's A alert: docs_count 2 + 1 + 0 = 3 */
    size_t ix[8];
    assert_int_equal(alerts_of(&f, "D", ix, 8), 3);
    assert_string_equal(fx_str(&f, ix[0], "event.id"), "a1");
    assert_int_equal(fx_int(&f, ix[0], "kibana.alert.suppression.docs_count"), 3);
    assert_string_equal(fx_str(&f, ix[0], "kibana.alert.suppression.end"), "2024-01-01T00:08:00.000Z");
    assert_string_equal(fx_str(&f, ix[0], "kibana.alert.last_detected"), "2024-01-01T00:10:00.000Z");
    assert_int_equal(fx_report(&f, 0)->suppressed_docs, 3);
    fx_free(&f);
}

static void do_not_suppress_missing(void **state)
{
    (void)state;
    fx f;
    fx_init(&f);
    fx_start(&f);
    th_rule r;
    supp_rule(&r, "N", 0, "doNotSuppress");
    th_engine_add_rule(f.e, &r, stub_match, &all, NULL, 0, NULL);
    fx_ev(&f, "m1", 1, 1, NULL);
    fx_ev(&f, "m2", 2, 2, NULL);
    fx_ev(&f, "a1", 3, 3, "\"source\":{\"ip\":\"10.0.0.1\"}");
    fx_finish(&f);
    /* A group, then m1 and m2 each on their own, without suppression fields */
    assert_int_equal(f.nalerts, 3);
    size_t plain = 0;
    for (size_t i = 0; i < f.nalerts; i++)
        plain += th_jobj_get(f.alerts[i], "kibana.alert.suppression.terms") == NULL;
    assert_int_equal(plain, 2);
    fx_free(&f);
}

static void no_suppression_option(void **state)
{
    (void)state;
    fx f;
    fx_init(&f);
    f.o.no_suppression = true;
    fx_start(&f);
    th_rule r;
    supp_rule(&r, "S", 0, "suppress");
    th_engine_add_rule(f.e, &r, stub_match, &all, NULL, 0, NULL);
    feed_common(&f);
    fx_finish(&f);
    assert_int_equal(f.nalerts, 6); /* one per event, as an unlicensed Kibana */
    fx_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(per_execution_groups),
        cmocka_unit_test(duration_updates_open_alert),
        cmocka_unit_test(do_not_suppress_missing),
        cmocka_unit_test(no_suppression_option),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
