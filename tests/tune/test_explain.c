/* tune/explain: every clause's truth value comes from the real evaluator and
 * agrees with the whole query's verdict. */
#include "th_test.h"

#include "tune/explain.h"

static const th_jval *doc_of(th_arena *a, const char *json)
{
    th_json_error err;
    const th_jval *d = th_json_parse(a, json, strlen(json), &err);
    assert_non_null(d);
    return d;
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

static void explains_each_clause_with_values_seen(void **state)
{
    (void)state;
    th_arena a;
    th_arena_init(&a, 1 << 16);
    th_diags d;
    th_diags_init(&d);
    const char *kql = "event.provider: \"iam.amazonaws.com\" and source.ip: * and "
                      "not user_agent.original: \"AWS Internal\"";
    th_query *q = th_query_compile(&a, TH_QLANG_KQL, kql, strlen(kql), NULL, &d);
    assert_non_null(q);
    const th_jval *internal = doc_of(&a, "{\"event\":{\"provider\":\"iam.amazonaws.com\"},"
                                         "\"user_agent\":{\"original\":\"AWS Internal\"}}");
    th_buf b;
    th_buf_init(&b);
    th_explain_stats st;
    th_explain_query(&b, &a, q, TH_QLANG_KQL, internal, false, &st);
    assert_false(st.verdict);
    assert_int_equal(st.verdict, th_query_match(q, internal));
    /* and(false), term(TRUE), exists(false), not(false), term(TRUE) */
    assert_int_equal(st.nodes, 5);
    assert_int_equal(st.true_nodes, 2);
    assert_non_null(strstr(b.data, "false    source.ip: *"));
    assert_non_null(strstr(b.data, "saw: (field absent)"));
    assert_non_null(strstr(b.data, "saw: \"AWS Internal\""));
    assert_non_null(strstr(b.data, "does NOT select"));

    const th_jval *attacker = doc_of(&a, "{\"event\":{\"provider\":\"iam.amazonaws.com\"},"
                                         "\"source\":{\"ip\":\"198.51.100.7\"},"
                                         "\"user_agent\":{\"original\":\"aws-cli/2.15\"}}");
    th_buf_clear(&b);
    th_explain_query(&b, &a, q, TH_QLANG_KQL, attacker, true, &st);
    assert_true(st.verdict);
    assert_int_equal(st.true_nodes, 4); /* all but the negated term */
    th_json_error err;
    const th_jval *j = th_json_parse(&a, b.data, b.len, &err);
    assert_non_null(j);
    assert_int_equal(th_jobj_get(j, "value")->type, TH_JTRUE);
    assert_int_equal(count(b.data, "\"seen\":[\"198.51.100.7\"]"), 1);
    th_buf_free(&b);
    th_diags_free(&d);
    th_arena_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(explains_each_clause_with_values_seen),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
