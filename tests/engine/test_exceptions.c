/* Exception lists: every entry type and operator, both file formats, and
 * their effect in the engine. */
#include "fixture.h"

#include <unistd.h>

#include "engine/exceptions.h"

static const char *ndjson =
    "{\"list_id\":\"L1\",\"name\":\"shared\",\"type\":\"detection\"}\n"
    "{\"list_id\":\"L1\",\"item_id\":\"i1\",\"name\":\"svc with ip\",\"entries\":["
    "{\"field\":\"user.name\",\"operator\":\"included\",\"type\":\"match\",\"value\":\"svc\"},"
    "{\"field\":\"source.ip\",\"operator\":\"included\",\"type\":\"exists\"}]}\n"
    "{\"list_id\":\"L1\",\"item_id\":\"i2\",\"entries\":["
    "{\"field\":\"user_agent.original\",\"operator\":\"included\",\"type\":\"wildcard\",\"value\":\"*Terraform?1*\"}]}\n"
    "{\"list_id\":\"L1\",\"item_id\":\"i3\",\"entries\":[{\"field\":\"res\",\"type\":\"nested\",\"entries\":["
    "{\"field\":\"type\",\"operator\":\"included\",\"type\":\"match\",\"value\":\"bucket\"},"
    "{\"field\":\"arn\",\"operator\":\"included\",\"type\":\"match_any\",\"value\":[\"a1\",\"a2\"]}]}]}\n"
    "{\"list_id\":\"L1\",\"item_id\":\"i4\",\"entries\":["
    "{\"field\":\"user.name\",\"operator\":\"excluded\",\"type\":\"match\",\"value\":\"root\"},"
    "{\"field\":\"cloud.account.id\",\"operator\":\"included\",\"type\":\"match\",\"value\":\"111\"}]}\n"
    "{\"list_id\":\"L1\",\"item_id\":\"i5\",\"entries\":["
    "{\"field\":\"x\",\"operator\":\"included\",\"type\":\"list\",\"list\":{\"id\":\"ips\"}}]}\n"
    "{\"exported_exception_list_count\":1,\"exported_exception_list_item_count\":5}\n";

static char *write_tmp(const char *text, const char *suffix)
{
    static char path[64];
    snprintf(path, sizeof path, "/tmp/th_exc_%d%s", (int)getpid(), suffix);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

static bool excepted(const th_exceptions *x, const char *json)
{
    th_arena a;
    th_arena_init(&a, 4096);
    th_json_error err;
    th_jval *doc = th_json_parse(&a, json, strlen(json), &err);
    assert_non_null(doc);
    bool r = th_exceptions_match(x, doc);
    th_arena_free(&a);
    return r;
}

static void ndjson_entries_and_operators(void **state)
{
    (void)state;
    th_exceptions x;
    th_exceptions_init(&x);
    th_diags d;
    th_diags_init(&d);
    char *path = write_tmp(ndjson, ".ndjson");
    assert_int_equal(th_exceptions_load(&x, path, &d), 4);
    assert_int_equal(d.warnings, 1); /* the value-list item */
    static const struct {
        const char *doc;
        bool want;
    } cases[] = {
        {"{\"user\":{\"name\":\"svc\"},\"source\":{\"ip\":\"1.2.3.4\"}}", true},
        {"{\"user\":{\"name\":\"svc\"}}", false},                          /* exists fails */
        {"{\"user\":{\"name\":\"SVC\"},\"source\":{\"ip\":\"1.2.3.4\"}}", false}, /* exact case */
        {"{\"user_agent\":{\"original\":\"aws-sdk Terraform/1.5\"}}", true},
        {"{\"user_agent\":{\"original\":\"Terraform1\"}}", false},
        {"{\"res\":[{\"type\":\"bucket\",\"arn\":\"a2\"}]}", true},
        {"{\"res\":[{\"type\":\"bucket\",\"arn\":\"zz\"},{\"type\":\"key\",\"arn\":\"a1\"}]}", false},
        {"{\"cloud\":{\"account\":{\"id\":\"111\"}},\"user\":{\"name\":\"alice\"}}", true},
        {"{\"cloud\":{\"account\":{\"id\":\"111\"}}}", true}, /* missing user satisfies excluded */
        {"{\"cloud\":{\"account\":{\"id\":\"111\"}},\"user\":{\"name\":\"root\"}}", false},
        {"{\"x\":\"anything\"}", false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (excepted(&x, cases[i].doc) != cases[i].want)
            fail_msg("case %zu: %s", i, cases[i].doc);
    }
    unlink(path);
    th_diags_free(&d);
    th_exceptions_free(&x);
}

static void toml_format_and_rule_scoping(void **state)
{
    (void)state;
    const char *toml = "[metadata]\ncreation_date = \"2024/01/01\"\nlist_name = \"x\"\n\n"
                       "[[exceptions]]\n"
                       "container = {description = \"d\", list_id = \"L2\", name = \"n\", "
                       "namespace_type = \"single\", tags = [], type = \"detection\"}\n\n"
                       "[[exceptions.items]]\nname = \"ci\"\n"
                       "[[exceptions.items.entries]]\nfield = \"user.name\"\n"
                       "operator = \"included\"\ntype = \"match\"\nvalue = \"ci-bot\"\n";
    th_exceptions x;
    th_exceptions_init(&x);
    th_diags d;
    th_diags_init(&d);
    char *path = write_tmp(toml, ".toml");
    assert_int_equal(th_exceptions_load(&x, path, &d), 1);
    assert_true(excepted(&x, "{\"user\":{\"name\":\"ci-bot\"}}"));
    assert_string_equal(x.items[0].list_id, "L2");
    /* scoping: a list no rule names applies to every rule; a named list only
     * to the rules naming it */
    th_rule a, b;
    fx_rule(&a, TH_RULE_QUERY, "A", 6, 5, 100);
    fx_rule(&b, TH_RULE_QUERY, "B", 6, 5, 100);
    const th_rule *rules[] = {&a, &b};
    th_exceptions va, vb;
    th_exceptions_init(&va);
    th_exceptions_init(&vb);
    th_exceptions_for_rule(&x, &a, rules, 2, &va);
    assert_int_equal(va.len, 1);
    static const char *names[] = {"L2"};
    b.exception_list_ids.items = names;
    b.exception_list_ids.len = 1;
    th_exceptions_free(&va);
    th_exceptions_init(&va);
    th_exceptions_for_rule(&x, &a, rules, 2, &va);
    th_exceptions_for_rule(&x, &b, rules, 2, &vb);
    assert_int_equal(va.len, 0);
    assert_int_equal(vb.len, 1);

    /* in the engine: the excepted event is counted, not alerted */
    fx f;
    fx_init(&f);
    fx_start(&f);
    stub_pred all = {NULL, NULL};
    th_engine_add_rule(f.e, &b, stub_match, &all, NULL, 0, &vb);
    fx_ev(&f, "bot", 1, 1, "\"user\":{\"name\":\"ci-bot\"}");
    fx_ev(&f, "human", 2, 2, "\"user\":{\"name\":\"alice\"}");
    fx_finish(&f);
    assert_int_equal(f.nalerts, 1);
    assert_string_equal(fx_str(&f, 0, "event.id"), "human");
    assert_int_equal(fx_report(&f, 0)->excepted, 1);
    fx_free(&f);
    unlink(path);
    th_exceptions_free(&va);
    th_exceptions_free(&vb);
    th_diags_free(&d);
    th_exceptions_free(&x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ndjson_entries_and_operators),
        cmocka_unit_test(toml_format_and_rule_scoping),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
