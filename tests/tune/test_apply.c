/* tune/apply: a suggestion's clause written into the rule's TOML text (the
 * rest of the file byte for byte), and exception lists the engine reads. */
#include "th_test.h"

#include <unistd.h>

#include "engine/exceptions.h"
#include "rules/rule.h"
#include "tune/apply.h"

static const th_rule *load(th_ruleset *rs, const char *text)
{
    th_diags d;
    th_diags_init(&d);
    const th_rule *r = th_rule_from_text(rs, text, strlen(text), "r.toml", &d);
    th_diags_free(&d);
    assert_non_null(r);
    return r;
}

#define HEAD                                                                                       \
    "[metadata]\ncreation_date = \"2024/01/01\"\n[rule]\nname = \"R\"\nrule_id = \"r-1\"\n"        \
    "type = \"query\"\nlanguage = \"kuery\"\nrisk_score = 1\nseverity = \"low\"\n"

static void clause_goes_on_its_own_line(void **state)
{
    (void)state;
    static const char text[] =
        HEAD "query = '''\nevent.action: x\n    and source.ip: *\n'''\n\n[x]\ny = 1\n";
    th_ruleset rs;
    th_ruleset_init(&rs);
    const th_rule *r = load(&rs, text);
    th_buf b;
    th_buf_init(&b);
    char err[128];
    assert_true(
        th_apply_clause(&b, text, strlen(text), r, "and not user.name: \"ci\"", err, sizeof err));
    th_buf_putc(&b, 0);
    assert_string_equal(b.data, HEAD "query = '''\nevent.action: x\n    and source.ip: *\n"
                                     "    and not user.name: \"ci\"\n'''\n\n[x]\ny = 1\n");
    /* the written rule reads back with the clause in its query */
    th_ruleset rs2;
    th_ruleset_init(&rs2);
    const th_rule *r2 = load(&rs2, b.data);
    assert_non_null(strstr(r2->query, "and not user.name: \"ci\""));
    th_buf_free(&b);
    th_ruleset_free(&rs2);
    th_ruleset_free(&rs);
}

static void top_level_or_is_parenthesised_and_basic_strings_escaped(void **state)
{
    (void)state;
    static const char text[] = HEAD "query = \"a: 1 or b: \\\"x\\\"\"\n";
    th_ruleset rs;
    th_ruleset_init(&rs);
    const th_rule *r = load(&rs, text);
    th_buf b;
    th_buf_init(&b);
    char err[128];
    assert_true(th_apply_clause(&b, text, strlen(text), r, "and not c: \"y\"", err, sizeof err));
    th_ruleset rs2;
    th_ruleset_init(&rs2);
    th_buf_putc(&b, 0);
    const th_rule *r2 = load(&rs2, b.data);
    assert_string_equal(r2->query, "(a: 1 or b: \"x\") and not c: \"y\"");
    th_buf_free(&b);
    th_ruleset_free(&rs2);
    th_ruleset_free(&rs);
}

typedef void (*writer_fn)(th_buf *, const th_rule *, const th_noise_cluster *);

/* Both formats (detection-rules TOML, Kibana NDJSON) read back as the same
 * one item: match, wildcard and "exists, excluded" entries. */
static void exception_file_reads_back_as(writer_fn write_list, bool missing)
{
    th_ruleset rs;
    th_ruleset_init(&rs);
    const th_rule *r = load(&rs, HEAD "query = 'a: 1'\n");
    th_noise_cluster c = {0};
    c.cond[0] = (th_noise_cond){TH_NOISE_VALUE,
                                "aws.cloudtrail.user_identity.session_context.session_issuer.arn",
                                th_str_c("arn:aws:iam::1:role/ci \"deploy\""), TH_NOISE_IDENTITY};
    c.cond[1] = missing
                    ? (th_noise_cond){TH_NOISE_MISSING, "aws.cloudtrail.user_identity.invoked_by",
                                      th_str_c(""), TH_NOISE_PROVENANCE}
                    : (th_noise_cond){TH_NOISE_PREFIX, "user_agent.original",
                                      th_str_c("Terraform/"), TH_NOISE_PROVENANCE};
    c.ncond = 2;
    c.positive = "x";
    th_buf b;
    th_buf_init(&b);
    write_list(&b, r, &c);
    char path[] = "/tmp/th_apply_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, b.data, b.len), (ssize_t)b.len);
    close(fd);
    th_exceptions x;
    th_exceptions_init(&x);
    th_diags d;
    th_diags_init(&d);
    assert_int_equal(th_exceptions_load(&x, path, &d), 1);
    assert_int_equal(d.errors, 0);
    unlink(path);
    assert_string_equal(x.items[0].list_id, "trailhound-noise-r-1");
    assert_int_equal(x.items[0].nentries, 2);
    assert_int_equal(x.items[0].entries[0].kind, TH_EXC_MATCH);
    assert_false(x.items[0].entries[0].excluded);
    assert_true(th_str_eqc(x.items[0].entries[0].values[0], "arn:aws:iam::1:role/ci \"deploy\""));
    if (missing) {
        assert_int_equal(x.items[0].entries[1].kind, TH_EXC_EXISTS);
        assert_true(x.items[0].entries[1].excluded);
    } else {
        assert_int_equal(x.items[0].entries[1].kind, TH_EXC_WILDCARD);
        assert_true(th_str_eqc(x.items[0].entries[1].values[0], "Terraform/*"));
    }
    th_arena a;
    th_arena_init(&a, 4096);
    static const char doc[] =
        "{\"aws\":{\"cloudtrail\":{\"user_identity\":{\"session_context\":"
        "{\"session_issuer\":{\"arn\":\"arn:aws:iam::1:role/ci \\\"deploy\\\"\"}}}}},"
        "\"user_agent\":{\"original\":\"Terraform/1.9\"}}";
    static const char other[] = /* invoked by a service, and another agent: not excepted */
        "{\"aws\":{\"cloudtrail\":{\"user_identity\":{\"invoked_by\":\"x.amazonaws.com\","
        "\"session_context\":"
        "{\"session_issuer\":{\"arn\":\"arn:aws:iam::1:role/ci \\\"deploy\\\"\"}}}}},"
        "\"user_agent\":{\"original\":\"aws-cli/2\"}}";
    th_json_error err;
    assert_true(th_exceptions_match(&x, th_json_parse(&a, doc, strlen(doc), &err)));
    assert_false(th_exceptions_match(&x, th_json_parse(&a, other, strlen(other), &err)));
    th_arena_free(&a);
    th_diags_free(&d);
    th_exceptions_free(&x);
    th_buf_free(&b);
    th_ruleset_free(&rs);
}

static void exception_toml_reads_back(void **state)
{
    (void)state;
    exception_file_reads_back_as(th_apply_exception_toml, false);
    exception_file_reads_back_as(th_apply_exception_toml, true);
}

static void exception_ndjson_reads_back(void **state)
{
    (void)state;
    exception_file_reads_back_as(th_apply_exception_ndjson, false);
    exception_file_reads_back_as(th_apply_exception_ndjson, true);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(clause_goes_on_its_own_line),
        cmocka_unit_test(top_level_or_is_parenthesised_and_basic_strings_escaped),
        cmocka_unit_test(exception_toml_reads_back),
        cmocka_unit_test(exception_ndjson_reads_back),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
