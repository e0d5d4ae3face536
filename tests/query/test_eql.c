/* EQL single-event queries: operators, functions, categories, null semantics,
 * Lucene regex and wildcard details (SEMANTICS.md 4.2-4.5), parse errors. */
#include "th_test.h"

#include "base/arena.h"
#include "base/buf.h"
#include "base/diag.h"
#include "json/json.h"
#include "query/ir.h"
#include "query/query.h"

typedef struct ecase {
    const char *query;
    const char *doc;
    bool expect;
} ecase;

static void run(const ecase *t, size_t n, const char *category_field)
{
    for (size_t i = 0; i < n; i++) {
        th_arena a;
        th_arena_init(&a, 4096);
        th_diags d;
        th_diags_init(&d);
        th_query *q = th_query_compile_eql(&a, t[i].query, strlen(t[i].query), category_field, NULL, &d);
        if (!q) {
            th_diags_print(&d, stderr);
            fail_msg("case %zu does not compile: %s", i, t[i].query);
        }
        th_json_error err;
        th_jval *v = th_json_parse(&a, t[i].doc, strlen(t[i].doc), &err);
        if (!v)
            fail_msg("case %zu: bad document %s", i, t[i].doc);
        bool got = th_query_match(q, v);
        if (got != t[i].expect)
            fail_msg("case %zu: `%s` on %s: expected %s", i, t[i].query, t[i].doc,
                     t[i].expect ? "match" : "no match");
        th_diags_free(&d);
        th_arena_free(&a);
    }
}

#define RP(x) "{\"aws\":{\"cloudtrail\":{\"request_parameters\":\"" x "\"}}}"

static void test_operators(void **state)
{
    (void)state;
    static const ecase t[] = {
        {"any where event.action == \"CreateUser\"", "{\"event\":{\"action\":\"CreateUser\"}}", true},
        {"any where event.action == \"CreateUser\"", "{\"event\":{\"action\":\"createuser\"}}", false},
        {"any where event.action == \"Create*\"", "{\"event\":{\"action\":\"CreateUser\"}}", false},
        {"any where event.action != \"A\"", "{}", true}, /* not ==: missing passes */
        {"any where event.action != \"A\"", "{\"event\":{\"action\":[\"A\",\"B\"]}}", false},
        {"any where event.action : \"createuser\"", "{\"event\":{\"action\":\"CreateUser\"}}", true},
        {"any where event.action : \"addperm*\"", "{\"event\":{\"action\":\"AddPermission20150331\"}}", true},
        {"any where event.action : \"Add?\"", "{\"event\":{\"action\":\"AddX\"}}", true},
        {"any where event.action : (\"x\", \"Y\")", "{\"event\":{\"action\":\"y\"}}", true},
        {"any where event.action in (\"A\", \"B\")", "{\"event\":{\"action\":\"B\"}}", true},
        {"any where event.action in (\"A\", \"B\")", "{\"event\":{\"action\":\"b\"}}", false},
        {"any where event.action in~ (\"A\", \"B\")", "{\"event\":{\"action\":\"b\"}}", true},
        {"any where event.action not in (\"A\", \"B\")", "{\"event\":{\"action\":\"C\"}}", true},
        {"any where event.action not in (\"A\", \"B\")", "{}", true},
        {"any where user.name like \"a?c*\"", "{\"user\":{\"name\":\"abcdef\"}}", true},
        {"any where user.name like \"a?c*\"", "{\"user\":{\"name\":\"ABCdef\"}}", false},
        {"any where user.name like~ \"a?c*\"", "{\"user\":{\"name\":\"ABCdef\"}}", true},
        {"any where user.name like \"a\\\\*\"", "{\"user\":{\"name\":\"a*\"}}", true},
        {"any where user.name like \"a\\\\*\"", "{\"user\":{\"name\":\"ab\"}}", false},
        {"any where user.name like (\"x*\", \"y*\")", "{\"user\":{\"name\":\"yes\"}}", true},
        {"any where source.as.number >= 100 and source.as.number < 200", "{\"source\":{\"as\":{\"number\":150}}}", true},
        {"any where source.as.number > 150", "{\"source\":{\"as\":{\"number\":150}}}", false},
        {"any where user.name == null", "{}", true},
        {"any where user.name != null", "{\"user\":{\"name\":\"x\"}}", true},
        /* precedence: comparison > not > and > or */
        {"any where not user.name == \"x\" and user.id == \"1\"", "{\"user\":{\"name\":\"y\",\"id\":\"1\"}}", true},
        {"any where user.name == \"x\" or user.name == \"y\" and user.id == \"1\"", "{\"user\":{\"name\":\"x\"}}", true},
        {"any where (user.name == \"x\" or user.name == \"y\") and user.id == \"1\"", "{\"user\":{\"name\":\"x\"}}", false},
        /* strings: escapes, unknown escapes kept, raw strings, comments */
        {"any where user.name == \"a\\tb\"", "{\"user\":{\"name\":\"a\\tb\"}}", true},
        {"any where user.name == \"\\u{41}\\u{e9}\"", "{\"user\":{\"name\":\"A\\u00e9\"}}", true},
        {"any where user.name == \"a\\\\*\"", "{\"user\":{\"name\":\"a\\\\*\"}}", true},
        {"any where user.name == \"a\\*\"", "{\"user\":{\"name\":\"a\\\\*\"}}", true},
        {"any where user.name == \"\"\"a\\tb\"\"\"", "{\"user\":{\"name\":\"a\\\\tb\"}}", true},
        {"any /* c */ where /* d */ user.name == \"x\" // tail", "{\"user\":{\"name\":\"x\"}}", true},
        {"any where `user.name` == \"x\"", "{\"user\":{\"name\":\"x\"}}", true},
    };
    run(t, sizeof t / sizeof t[0], NULL);
}

static void test_functions(void **state)
{
    (void)state;
    static const ecase t[] = {
        /* stringContains: an UNESCAPED Lucene wildcard *c* (ES), not a substring (python eql) */
        {"any where stringContains(aws.cloudtrail.request_parameters, \"valuesToAdd=[*]\")", RP("{valuesToAdd=[123]}"), true},
        {"any where stringContains(aws.cloudtrail.request_parameters, \"valuesToAdd=[*]\")", RP("{valuesToAdd=123}"), false},
        {"any where stringContains(aws.cloudtrail.request_parameters, \"masterUserPassword=*\")", RP("{masterUserPassword=}"), true},
        {"any where stringContains(aws.cloudtrail.request_parameters, \"Principal=\\\\*\")", RP("{Principal=*, x}"), true},
        {"any where stringContains(aws.cloudtrail.request_parameters, \"Principal=\\\\*\")", RP("{Principal=x}"), false},
        {"any where stringContains(aws.cloudtrail.request_parameters, \"Effect=Allow\")", RP("{effect=allow}"), false},
        {"any where stringContains~(aws.cloudtrail.request_parameters, \"Effect=Allow\")", RP("{effect=allow}"), true},
        {"any where stringContains(aws.cloudtrail.request_parameters, \"a?c\")", RP("xabcx"), true},
        {"any where not stringContains(aws.cloudtrail.request_parameters, \"x\")", "{}", true},
        {"any where startsWith(aws.cloudtrail.user_identity.access_key_id, \"ASIA\")",
         "{\"aws\":{\"cloudtrail\":{\"user_identity\":{\"access_key_id\":\"ASIAXYZ\"}}}}", true},
        {"any where startsWith(aws.cloudtrail.user_identity.access_key_id, \"ASIA\")",
         "{\"aws\":{\"cloudtrail\":{\"user_identity\":{\"access_key_id\":\"asiaxyz\"}}}}", false},
        {"any where startsWith~(aws.cloudtrail.user_identity.access_key_id, \"ASIA\")",
         "{\"aws\":{\"cloudtrail\":{\"user_identity\":{\"access_key_id\":\"asiaxyz\"}}}}", true},
        {"any where endsWith(user.name, \"*x\")", "{\"user\":{\"name\":\"a*x\"}}", true},
        {"any where endsWith(user.name, \"*x\")", "{\"user\":{\"name\":\"abx\"}}", false},
        /* field vs field: a script; a missing operand makes it false, so its not true */
        {"any where stringContains(aws.cloudtrail.request_parameters, aws.cloudtrail.recipient_account_id)",
         "{\"aws\":{\"cloudtrail\":{\"request_parameters\":\"{accountId=123456}\",\"recipient_account_id\":\"123456\"}}}", true},
        {"any where stringContains(aws.cloudtrail.request_parameters, aws.cloudtrail.recipient_account_id)",
         "{\"aws\":{\"cloudtrail\":{\"request_parameters\":\"{accountId=9}\",\"recipient_account_id\":\"123456\"}}}", false},
        {"any where not stringContains(aws.cloudtrail.request_parameters, aws.cloudtrail.recipient_account_id)",
         "{\"aws\":{\"cloudtrail\":{\"request_parameters\":\"{accountId=9}\"}}}", true},
        /* regex~: Lucene RegExp, whole value, case-insensitive, `.` spans newlines */
        {"any where aws.cloudtrail.resources.arn regex~ \"arn:aws:s3:::[^/]+/.*?(ransom|decrypt).*\"",
         "{\"aws\":{\"cloudtrail\":{\"resources\":{\"arn\":\"arn:aws:s3:::b/x/RANSOM-note.txt\"}}}}", true},
        {"any where aws.cloudtrail.resources.arn regex~ \"arn:aws:s3:::[^/]+/.*?(ransom|decrypt).*\"",
         "{\"aws\":{\"cloudtrail\":{\"resources\":{\"arn\":\"arn:aws:s3:::ransom\"}}}}", false},
        {"any where aws.cloudtrail.resources.arn regex~ \".*(AWSLogs).*\"",
         "{\"aws\":{\"cloudtrail\":{\"resources\":{\"arn\":\"a\\nawslogs\\nb\"}}}}", true},
        {"any where user.name regex \"abc\"", "{\"user\":{\"name\":\"xabcx\"}}", false}, /* anchored */
        {"any where user.name regex \"a^b$\"", "{\"user\":{\"name\":\"a^b$\"}}", true}, /* ^ $ literal */
        {"any where user.name regex \"\\\\d+\"", "{\"user\":{\"name\":\"ddd\"}}", false}, /* \\d: a digit */
        {"any where user.name regex \"\\\\d+\"", "{\"user\":{\"name\":\"123\"}}", true},
        {"any where user.name regex \"x&y\"", "{\"user\":{\"name\":\"x\"}}", false}, /* & intersects */
        {"any where user.name regex \"~(a.*)\"", "{\"user\":{\"name\":\"bcd\"}}", true}, /* ~ complements */
        {"any where user.name regex \"~(a.*)\"", "{\"user\":{\"name\":\"abc\"}}", false},
        {"any where user.name regex \"x@\"", "{\"user\":{\"name\":\"xyz\"}}", true}, /* @ any string */
        {"any where user.name regex \"\\\"a.b\\\"\"", "{\"user\":{\"name\":\"a.b\"}}", true},
        {"any where user.name regex \"\\\"a.b\\\"\"", "{\"user\":{\"name\":\"axb\"}}", false},
        /* ignore_above hides long values from every function */
        {"any where stringContains(user_agent.original, \"a\")", "{\"user_agent\":{\"original\":\"a\"}}", true},
    };
    run(t, sizeof t / sizeof t[0], NULL);
}

static void test_categories(void **state)
{
    (void)state;
    static const ecase t[] = {
        {"iam where event.action == \"A\"", "{\"event\":{\"category\":[\"iam\",\"x\"],\"action\":\"A\"}}", true},
        {"iam where event.action == \"A\"", "{\"event\":{\"category\":\"IAM\",\"action\":\"A\"}}", false},
        {"iam where event.action == \"A\"", "{\"event\":{\"action\":\"A\"}}", false},
        {"any where event.action == \"A\"", "{\"event\":{\"action\":\"A\"}}", true},
        {"file where true", "{\"event\":{\"category\":\"file\"}}", true},
        {"\"file\" where true", "{\"event\":{\"category\":\"file\"}}", true},
    };
    run(t, sizeof t / sizeof t[0], NULL);
    static const ecase o[] = {
        {"info where event.action == \"A\"", "{\"event\":{\"type\":[\"info\"],\"category\":\"iam\",\"action\":\"A\"}}", true},
        {"info where event.action == \"A\"", "{\"event\":{\"category\":\"info\",\"action\":\"A\"}}", false},
    };
    run(o, sizeof o / sizeof o[0], "event.type");
    /* ignore_above: request_parameters longer than 8191 is invisible */
    size_t n = 9000;
    char *doc = malloc(n + 64);
    strcpy(doc, "{\"aws\":{\"cloudtrail\":{\"request_parameters\":\"");
    size_t l = strlen(doc);
    memset(doc + l, 'a', n);
    strcpy(doc + l + n, "\"}}}");
    ecase big[] = {
        {"any where stringContains(aws.cloudtrail.request_parameters, \"a\")", doc, false},
        {"any where not stringContains(aws.cloudtrail.request_parameters, \"a\")", doc, true},
    };
    run(big, 2, NULL);
    free(doc);
}

typedef struct errcase {
    const char *query;
    unsigned col;
    const char *what;
} errcase;

static void test_errors(void **state)
{
    (void)state;
    static const errcase t[] = {
        {"any where a == 'x'", 16, "single-quoted"},
        {"any where a = \"x\"", 13, "unexpected character"},
        {"any a == \"x\"", 5, "expected 'where'"},
        {"any where frob(a, \"x\")", 11, "not supported"},
        {"sequence by a [any where true] [any where true]", 1, "engine"},
        {"any where a == \"x\" b", 20, "end of the query"},
        {"any where (a == \"x\"", 20, "expected ')'"},
        {"any where a == \"x", 16, "unterminated"},
        {"any where a in \"x\"", 16, "'('"},
        {"any where a regex \"x{\"", 11, NULL}, /* compiles to FALSE with an error of the rule instead */
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        th_arena a;
        th_arena_init(&a, 4096);
        th_diags d;
        th_diags_init(&d);
        th_qsource src = {"r.toml", 7, 3};
        th_query *q = th_query_compile_eql(&a, t[i].query, strlen(t[i].query), NULL, &src, &d);
        if (!t[i].what) {
            assert_non_null(q); /* match and explain still evaluate it (to no match) */
            assert_int_equal(d.errors, 1);
            assert_int_equal(d.warnings, 0);
        } else {
            if (q)
                fail_msg("case %zu should not compile: %s", i, t[i].query);
            assert_int_equal(d.errors, 1);
            char want[64];
            snprintf(want, sizeof want, "column %u:", t[i].col);
            if (!strstr(d.items[0].message, want) || !strstr(d.items[0].message, t[i].what))
                fail_msg("case %zu: '%s' lacks '%s' / '%s'", i, d.items[0].message, want, t[i].what);
            assert_int_equal(d.items[0].line, 7);
            assert_int_equal(d.items[0].col, 3 + t[i].col - 1);
        }
        th_diags_free(&d);
        th_arena_free(&a);
    }
}

/* Query text is a slice, not a C string: nothing may read past its end. */
static void test_unterminated_slices(void **state)
{
    (void)state;
    static const char *const texts[] = {"any where a == \"x\" /* open", "any where a == \"x", "any where `a",
                                        "any where a == \"\"\"x\"\"", "any where a : \"\\u{41"};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        size_t n = strlen(texts[i]);
        char *exact = malloc(n); /* no terminating NUL: ASan sees any overread */
        memcpy(exact, texts[i], n);
        th_arena a;
        th_arena_init(&a, 4096);
        th_diags d;
        th_diags_init(&d);
        assert_null(th_query_compile_eql(&a, exact, n, NULL, NULL, &d));
        assert_int_equal(d.errors, 1);
        th_diags_free(&d);
        th_arena_free(&a);
        free(exact);
    }
}

static void test_prefilter(void **state)
{
    (void)state;
    th_arena a;
    th_arena_init(&a, 4096);
    const char *q = "iam where event.provider == \"iam.amazonaws.com\" and event.action in (\"A\", \"B\") "
                    "and event.outcome : \"success\"";
    th_query *cq = th_query_compile_eql(&a, q, strlen(q), NULL, NULL, NULL);
    assert_non_null(cq);
    th_str v[8];
    assert_int_equal(th_query_required_values(cq, "event.action", v, 8), 2);
    assert_int_equal(th_query_required_values(cq, "event.category", v, 8), 1);
    assert_true(th_str_eqc(v[0], "iam"));
    assert_int_equal(th_query_required_values(cq, "event.outcome", v, 8), -1); /* case-insensitive */
    th_arena_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_operators),
        cmocka_unit_test(test_functions),
        cmocka_unit_test(test_categories),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_unterminated_slices),
        cmocka_unit_test(test_prefilter),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
