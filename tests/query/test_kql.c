/* KQL: parser, IR, evaluator semantics per field type (SEMANTICS.md 3), prefilter. */
#include "th_test.h"

#include "base/arena.h"
#include "base/buf.h"
#include "base/diag.h"
#include "ecs/schema.h"
#include "json/json.h"
#include "query/ir.h"
#include "query/query.h"
#include "query/router.h"

typedef struct mcase {
    const char *query;
    const char *doc;
    bool expect;
} mcase;

static char *repeat(const char *prefix, char c, size_t n, const char *suffix)
{
    size_t pl = strlen(prefix), sl = strlen(suffix);
    char *s = malloc(pl + n + sl + 1);
    memcpy(s, prefix, pl);
    memset(s + pl, c, n);
    memcpy(s + pl + n, suffix, sl + 1);
    return s;
}

static bool run_match(const char *query, const char *doc, size_t *warnings)
{
    th_arena a;
    th_arena_init(&a, 4096);
    th_diags d;
    th_diags_init(&d);
    th_query *q = th_query_compile(&a, TH_QLANG_KQL, query, strlen(query), NULL, &d);
    if (!q) {
        th_diags_print(&d, stderr);
        fail_msg("query does not compile: %s", query);
    }
    th_json_error err;
    th_jval *v = th_json_parse(&a, doc, strlen(doc), &err);
    if (!v)
        fail_msg("bad test document: %s", doc);
    bool r = th_query_match(q, v);
    if (warnings) /* compile problems: errors of the rule (issue 12 #11), never warnings */
        *warnings = d.errors + d.warnings * 1000;
    th_diags_free(&d);
    th_arena_free(&a);
    return r;
}

static void run_table(const mcase *t, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        bool got = run_match(t[i].query, t[i].doc, NULL);
        if (got != t[i].expect)
            fail_msg("case %zu: `%s` on %s: expected %s, got %s", i, t[i].query, t[i].doc,
                     t[i].expect ? "match" : "no match", got ? "match" : "no match");
    }
}

#define RUN(t) run_table((t), sizeof(t) / sizeof((t)[0]))

static void test_boolean_structure(void **state)
{
    (void)state;
    static const mcase t[] = {
        {"event.action: A and event.provider: P", "{\"event\":{\"action\":\"A\",\"provider\":\"P\"}}", true},
        {"event.action: A and event.provider: P", "{\"event\":{\"action\":\"A\"}}", false},
        {"event.action: A or event.provider: P", "{\"event\":{\"provider\":\"P\"}}", true},
        {"event.action: A AND event.provider: P", "{\"event\":{\"action\":\"A\",\"provider\":\"P\"}}", true},
        {"event.action: A aNd event.provider: Q", "{\"event\":{\"action\":\"A\",\"provider\":\"P\"}}", false},
        {"event.action: A Or event.provider: Q", "{\"event\":{\"action\":\"A\"}}", true},
        {"NOT event.action: A", "{\"event\":{\"action\":\"B\"}}", true},
        {"not event.action: A", "{\"event\":{\"action\":\"A\"}}", false},
        {"not event.action: A", "{}", true}, /* must_not: missing field passes */
        /* and binds tighter than or */
        {"event.action: A or event.action: B and event.provider: P", "{\"event\":{\"action\":\"B\"}}", false},
        {"event.action: A or event.action: B and event.provider: P", "{\"event\":{\"action\":\"A\"}}", true},
        {"(event.action: A or event.action: B) and event.provider: P", "{\"event\":{\"action\":\"A\"}}", false},
        {"(event.action: A or event.action: B) and event.provider: P",
         "{\"event\":{\"action\":\"B\",\"provider\":\"P\"}}", true},
        {"not (event.action: A or event.action: B)", "{\"event\":{\"action\":\"C\"}}", true},
        {"", "{}", true},
        {"   ", "{}", true},
        {"*:*", "{}", true},
        /* value lists */
        {"event.action: (A or B or C)", "{\"event\":{\"action\":\"C\"}}", true},
        {"event.action: (A or B or C)", "{\"event\":{\"action\":\"D\"}}", false},
        {"event.type: (info and change)", "{\"event\":{\"type\":[\"info\",\"change\"]}}", true},
        {"event.type: (info and change)", "{\"event\":{\"type\":[\"info\"]}}", false},
        {"event.action: (* and not (A or B))", "{\"event\":{\"action\":\"C\"}}", true},
        {"event.action: (* and not (A or B))", "{\"event\":{\"action\":\"B\"}}", false},
        {"event.action: (* and not (A or B))", "{}", false},
        {"event.action: (not A)", "{\"event\":{\"action\":\"B\"}}", true},
        {"event.action: (not (not A))", "{\"event\":{\"action\":\"A\"}}", true},
        {"event.action: (not A and not B)", "{\"event\":{\"action\":\"B\"}}", false},
        {"event.action:(A or\nB)", "{\"event\":{\"action\":\"B\"}}", true},
    };
    RUN(t);
}

static void test_keyword_values(void **state)
{
    (void)state;
    static const mcase t[] = {
        {"event.action: CreateUser", "{\"event\":{\"action\":\"CreateUser\"}}", true},
        {"event.action: CreateUser", "{\"event\":{\"action\":\"createuser\"}}", false}, /* case-sensitive */
        {"event.action: CreateUser ", "{\"event\":{\"action\":\"CreateUser\"}}", true}, /* trimmed */
        {"event.action: \"CreateUser\"", "{\"event\":{\"action\":\"CreateUser\"}}", true},
        {"event.action: \" CreateUser\"", "{\"event\":{\"action\":\"CreateUser\"}}", false},
        {"user_agent.original: \"S3 Browser\"", "{\"user_agent\":{\"original\":\"S3 Browser\"}}", true},
        {"user_agent.original: S3 Browser", "{\"user_agent\":{\"original\":\"S3 Browser\"}}", true},
        /* wildcards: anchored, `*` may be empty, `?` literal */
        {"event.action: Create*", "{\"event\":{\"action\":\"CreateUser\"}}", true},
        {"event.action: Create*", "{\"event\":{\"action\":\"Create\"}}", true},
        {"event.action: Create*", "{\"event\":{\"action\":\"XCreateUser\"}}", false},
        {"event.action: *User", "{\"event\":{\"action\":\"CreateUsers\"}}", false},
        {"event.action: *eat*s*", "{\"event\":{\"action\":\"CreateUsers\"}}", true},
        {"event.action: C*e*e*U*r", "{\"event\":{\"action\":\"CreateUser\"}}", true},
        {"event.action: Get?", "{\"event\":{\"action\":\"GetX\"}}", false},
        {"event.action: Get?", "{\"event\":{\"action\":\"Get?\"}}", true},
        {"event.action: Get?*", "{\"event\":{\"action\":\"Get?X\"}}", true},
        {"event.action: \"Create*\"", "{\"event\":{\"action\":\"CreateUser\"}}", false}, /* quoted: literal */
        {"event.action: \"Create*\"", "{\"event\":{\"action\":\"Create*\"}}", true},
        {"event.action: Create\\*", "{\"event\":{\"action\":\"Create*\"}}", true},
        {"event.action: Create\\*", "{\"event\":{\"action\":\"CreateUser\"}}", false},
        {"event.action: Cre\\*ate*", "{\"event\":{\"action\":\"Cre*ateUser\"}}", true},
        {"event.action: a\\\\*", "{\"event\":{\"action\":\"a\\\\xyz\"}}", true}, /* \\ literal backslash */
        {"user.name: system\\:serviceaccount\\:*", "{\"user\":{\"name\":\"system:serviceaccount:kube\"}}", true},
        {"user.name: arn\\:aws\\:iam\\:\\:aws\\:policy*", "{\"user\":{\"name\":\"arn:aws:iam::aws:policy/X\"}}", true},
        {"user.name: \\(x\\)\\<\\>\\{\\}\\\"", "{\"user\":{\"name\":\"(x)<>{}\\\"\"}}", true},
        {"user.name: a\\tb", "{\"user\":{\"name\":\"a\\tb\"}}", true},
        {"user.name: \"a\\tb\\n\\\"q\\\\\"", "{\"user\":{\"name\":\"a\\tb\\n\\\"q\\\\\"}}", true},
        {"user.name: \"a\\*b\"", "{\"user\":{\"name\":\"a\\\\*b\"}}", true}, /* \x kept in quotes */
        {"user.name: \\u0041b", "{\"user\":{\"name\":\"Ab\"}}", true},
        {"user.name: \"\\u00e9\"", "{\"user\":{\"name\":\"\\u00e9\"}}", true},
        {"user.name: \\and", "{\"user\":{\"name\":\"and\"}}", true},
        {"user.name: \\OR", "{\"user\":{\"name\":\"OR\"}}", true},
        /* wildcard with inner spaces: one pattern on a keyword field */
        {"user_agent.original: *S3 Browser*", "{\"user_agent\":{\"original\":\"x S3 Browser/1.0\"}}", true},
        {"user_agent.original: *S3 Browser*", "{\"user_agent\":{\"original\":\"S3Browser\"}}", false},
        {"user_agent.original: *S3 Browser*", "{\"user_agent\":{\"original\":\"Browser S3\"}}", false},
        {"user_agent.original: *terraform*", "{\"user_agent\":{\"original\":\"APN/1.0 HashiCorp/1.0 Terraform/1.5\"}}", false},
        {"user_agent.original: *Terraform*", "{\"user_agent\":{\"original\":\"APN/1.0 HashiCorp/1.0 Terraform/1.5\"}}", true},
        {"user_agent.original: *Terraform*", "{\"user_agent\":{\"original\":\"Terra\\nform Terraform\\u00e9\"}}", true},
        {"event.action: *\\u00e9?*", "{\"event\":{\"action\":\"a\\u00e9?b\"}}", true},
        /* unknown (unmapped) and non-keyword fields: a query_string, split on spaces */
        {"aws.cloudtrail.flattened.request_parameters.k: *S3 Browser*",
         "{\"aws\":{\"cloudtrail\":{\"flattened\":{\"request_parameters\":{\"k\":\"my S3\"}}}}}", true},
        {"aws.cloudtrail.flattened.request_parameters.k: *S3 Browser*",
         "{\"aws\":{\"cloudtrail\":{\"flattened\":{\"request_parameters\":{\"k\":\"Browsers\"}}}}}", true},
        {"aws.cloudtrail.flattened.request_parameters.k: *S3 Browser*",
         "{\"aws\":{\"cloudtrail\":{\"flattened\":{\"request_parameters\":{\"k\":\"none\"}}}}}", false},
    };
    RUN(t);
}

static void test_exists_missing_arrays(void **state)
{
    (void)state;
    static const mcase t[] = {
        {"source.ip: *", "{\"source\":{\"ip\":\"1.2.3.4\"}}", true},
        {"source.ip: *", "{}", false},
        {"source.ip: *", "{\"source\":{\"ip\":null}}", false},
        {"source.ip: *", "{\"source\":{\"ip\":[]}}", false},
        {"source.ip: *", "{\"source\":{\"ip\":[null,\"::1\"]}}", true},
        {"source.ip: *", "{\"source\":{\"ip\":\"not-an-ip\"}}", false}, /* ES would not index it */
        {"not source.ip: *", "{}", true},
        {"not source.ip: *", "{\"source\":{\"ip\":\"10.0.0.1\"}}", false},
        {"user.name: *", "{\"user\":{\"name\":\"\"}}", true},
        {"user.name: *", "{\"user\":{\"name\":{\"x\":1}}}", false},
        {"aws.cloudtrail.flattened.request_parameters: *",
         "{\"aws\":{\"cloudtrail\":{\"flattened\":{\"request_parameters\":{\"a\":{\"b\":1}}}}}}", true},
        {"aws.cloudtrail.flattened.request_parameters.a: *",
         "{\"aws\":{\"cloudtrail\":{\"flattened\":{\"request_parameters\":{\"a\":{\"b\":1}}}}}}", false},
        {"foo.unmapped: *", "{\"foo\":{\"unmapped\":{\"x\":\"y\"}}}", true},
        /* arrays: any value */
        {"event.type: info", "{\"event\":{\"type\":[\"change\",\"info\"]}}", true},
        {"not event.type: info", "{\"event\":{\"type\":[\"change\",\"info\"]}}", false},
        {"event.type: info", "{\"event\":[{\"type\":\"x\"},{\"type\":[\"info\"]}]}", true},
        /* objects in arrays are not correlated (no nested mapping) */
        {"foo.items.x: 1 and foo.items.y: 2", "{\"foo\":{\"items\":[{\"x\":1},{\"y\":2}]}}", true},
        /* literal dotted keys */
        {"event.action: X", "{\"event.action\":\"X\"}", true},
        {"event.action: X", "{\"event\":{\"action\":\"Y\"},\"event.action\":\"X\"}", true},
        {"aws.cloudtrail.user_identity.type: Root", "{\"aws.cloudtrail\":{\"user_identity.type\":\"Root\"}}", true},
    };
    RUN(t);
}

static void test_types(void **state)
{
    (void)state;
    static const mcase t[] = {
        /* boolean field */
        {"aws.cloudtrail.console_login.additional_eventdata.mfa_used: false",
         "{\"aws\":{\"cloudtrail\":{\"console_login\":{\"additional_eventdata\":{\"mfa_used\":false}}}}}", true},
        {"aws.cloudtrail.console_login.additional_eventdata.mfa_used: false",
         "{\"aws\":{\"cloudtrail\":{\"console_login\":{\"additional_eventdata\":{\"mfa_used\":\"false\"}}}}}", true},
        {"aws.cloudtrail.console_login.additional_eventdata.mfa_used: \"false\"",
         "{\"aws\":{\"cloudtrail\":{\"console_login\":{\"additional_eventdata\":{\"mfa_used\":true}}}}}", false},
        {"aws.cloudtrail.console_login.additional_eventdata.mfa_used: true",
         "{\"aws\":{\"cloudtrail\":{\"console_login\":{\"additional_eventdata\":{\"mfa_used\":\"true\"}}}}}", true},
        /* flattened leaves: strings, numbers by their text, booleans as true/false */
        {"aws.cloudtrail.flattened.request_parameters.ipPermissions.items.fromPort: 22",
         "{\"aws\":{\"cloudtrail\":{\"flattened\":{\"request_parameters\":{\"ipPermissions\":{\"items\":[{\"fromPort\":22}]}}}}}}", true},
        {"aws.cloudtrail.flattened.request_parameters.ipPermissions.items.fromPort: 22",
         "{\"aws\":{\"cloudtrail\":{\"flattened\":{\"request_parameters\":{\"ipPermissions\":{\"items\":[{\"fromPort\":\"22\"}]}}}}}}", true},
        {"aws.cloudtrail.flattened.request_parameters.ipPermissions.items.fromPort: 22",
         "{\"aws\":{\"cloudtrail\":{\"flattened\":{\"request_parameters\":{\"ipPermissions\":{\"items\":[{\"fromPort\":220}]}}}}}}", false},
        {"aws.cloudtrail.flattened.request_parameters.activate: (true or \"true\")",
         "{\"aws\":{\"cloudtrail\":{\"flattened\":{\"request_parameters\":{\"activate\":true}}}}}", true},
        {"aws.cloudtrail.flattened.request_parameters.activate: \"true\"",
         "{\"aws\":{\"cloudtrail\":{\"flattened\":{\"request_parameters\":{\"activate\":true}}}}}", true},
        {"aws.cloudtrail.flattened.request_parameters.activate: True",
         "{\"aws\":{\"cloudtrail\":{\"flattened\":{\"request_parameters\":{\"activate\":true}}}}}", false},
        {"aws.cloudtrail.flattened.request_parameters.fromPort: 2*",
         "{\"aws\":{\"cloudtrail\":{\"flattened\":{\"request_parameters\":{\"fromPort\":22}}}}}", true},
        {"aws.cloudtrail.flattened.request_parameters.a.b: x",
         "{\"aws\":{\"cloudtrail\":{\"flattened\":{\"request_parameters\":{\"a.b\":\"x\"}}}}}", true},
        /* numbers on keyword fields compare by their text */
        {"event.code: 4624", "{\"event\":{\"code\":4624}}", true},
        {"event.code: 4624", "{\"event\":{\"code\":\"4624\"}}", true},
        {"event.code: 4624", "{\"event\":{\"code\":4624.0}}", false},
        {"event.code: true", "{\"event\":{\"code\":true}}", true},
        /* constant_keyword: the document's value */
        {"data_stream.dataset: aws.cloudtrail", "{\"data_stream\":{\"dataset\":\"aws.cloudtrail\"}}", true},
        {"data_stream.dataset: aws.cloudtrail", "{}", false},
        {"event.dataset: aws.cloud*", "{\"event\":{\"dataset\":\"aws.cloudtrail\"}}", true},
        /* ip */
        {"source.ip: 10.0.0.0/8", "{\"source\":{\"ip\":\"10.1.2.3\"}}", true},
        {"source.ip: 10.0.0.0/8", "{\"source\":{\"ip\":\"11.0.0.1\"}}", false},
        {"source.ip: 10.1.2.3", "{\"source\":{\"ip\":\"10.1.2.3\"}}", true},
        {"source.ip: 10.1.2.3", "{\"source\":{\"ip\":\"10.1.2.4\"}}", false},
        {"source.ip: \"2001:db8::/32\"", "{\"source\":{\"ip\":\"2001:db8::1\"}}", true},
        {"source.ip: \"::ffff:10.1.2.3\"", "{\"source\":{\"ip\":\"10.1.2.3\"}}", true},
        {"source.ip >= 10.0.0.5 and source.ip < 10.0.0.7", "{\"source\":{\"ip\":\"10.0.0.6\"}}", true},
        {"source.ip >= 10.0.0.5 and source.ip < 10.0.0.7", "{\"source\":{\"ip\":\"10.0.0.7\"}}", false},
        /* numeric */
        {"source.as.number: 16509", "{\"source\":{\"as\":{\"number\":16509}}}", true},
        {"source.as.number: 16509", "{\"source\":{\"as\":{\"number\":\"16509\"}}}", true},
        {"source.as.number: 16509", "{\"source\":{\"as\":{\"number\":16510}}}", false},
        {"source.as.number >= 16000", "{\"source\":{\"as\":{\"number\":16509}}}", true},
        {"source.as.number < 100", "{\"source\":{\"as\":{\"number\":16509}}}", false},
        {"source.as.number > 16509", "{\"source\":{\"as\":{\"number\":16509}}}", false},
        {"source.as.number <= 16509", "{\"source\":{\"as\":{\"number\":[1,99999]}}}", true},
        /* dates: `is` covers the literal's precision; ranges round */
        {"@timestamp: \"2026-01-01\"", "{\"@timestamp\":\"2026-01-01T23:59:59.999Z\"}", true},
        {"@timestamp: \"2026-01-01\"", "{\"@timestamp\":\"2026-01-02T00:00:00Z\"}", false},
        {"@timestamp < \"2026-01-02\"", "{\"@timestamp\":\"2026-01-01T10:00:00Z\"}", true},
        {"@timestamp > \"2026-01-01\"", "{\"@timestamp\":\"2026-01-01T23:00:00Z\"}", false},
        {"@timestamp >= \"2026-01-01\"", "{\"@timestamp\":\"2026-01-01T00:00:00Z\"}", true},
        {"@timestamp <= \"2026-01-01T10:00\"", "{\"@timestamp\":\"2026-01-01T10:00:59Z\"}", true},
        {"@timestamp < \"2026-01-01T10:00\"", "{\"@timestamp\":\"2026-01-01T10:00:00Z\"}", false},
        /* keyword ranges are bytewise */
        {"event.action > B", "{\"event\":{\"action\":\"C\"}}", true},
        {"event.action > B", "{\"event\":{\"action\":\"B\"}}", false},
        {"event.action >= B", "{\"event\":{\"action\":\"B\"}}", true},
        {"event.action < B", "{\"event\":{\"action\":\"a\"}}", false},
        /* unmapped fields: compared by each value's JSON type */
        {"foo.bar: baz", "{\"foo\":{\"bar\":\"baz\"}}", true},
        {"foo.n: 5", "{\"foo\":{\"n\":5.0}}", true},
        {"foo.n: 5", "{\"foo\":{\"n\":\"5\"}}", true},
        {"foo.n: 5*", "{\"foo\":{\"n\":55}}", false}, /* dynamic numbers are not keywords */
        {"foo.b: false", "{\"foo\":{\"b\":false}}", true},
        /* text fields are analysed */
        {"message: hello", "{\"message\":\"Hello, world\"}", true},
        {"message: \"hello world\"", "{\"message\":\"Hello, world!\"}", true},
        {"message: \"world hello\"", "{\"message\":\"Hello, world!\"}", false},
        {"message: world hello", "{\"message\":\"worldly\"}", false},
        {"message: wor*", "{\"message\":\"Hello World\"}", true},
        {"aws.cloudtrail.request_parameters.text: bucket",
         "{\"aws\":{\"cloudtrail\":{\"request_parameters\":\"{bucketName=my-bucket}\"}}}", true},
        /* nested syntax: fields prefixed, no object correlation */
        {"aws.cloudtrail: { user_identity.type: Root and error_code: * }",
         "{\"aws\":{\"cloudtrail\":{\"user_identity\":{\"type\":\"Root\"},\"error_code\":\"X\"}}}", true},
        {"aws.cloudtrail:{user_identity.type: Root}", "{\"aws\":{\"cloudtrail\":{\"user_identity\":{\"type\":\"IAMUser\"}}}}", false},
        /* free text: exact on keyword default fields, analysed on text */
        {"CreateUser", "{\"event\":{\"action\":\"CreateUser\"}}", true},
        {"CreateUser", "{\"foo\":\"CreateUser\"}", false},
        {"Create*", "{\"event\":{\"action\":\"CreateUser\"}}", true},
        {"\"hello world\"", "{\"message\":\"Hello world\"}", true},
        /* wildcard field names expand over the schema */
        {"event.act*: CreateUser", "{\"event\":{\"action\":\"CreateUser\"}}", true},
        {"event.act*: CreateUser", "{\"event\":{\"provider\":\"CreateUser\"}}", false},
    };
    RUN(t);
}

static void test_ignore_above(void **state)
{
    (void)state;
    struct {
        const char *field, *json_prefix, *json_suffix;
        size_t len;
        bool visible;
    } t[] = {
        {"user_agent.original", "{\"user_agent\":{\"original\":\"", "\"}}", 1024, true},
        {"user_agent.original", "{\"user_agent\":{\"original\":\"", "\"}}", 1025, false},
        {"aws.cloudtrail.request_parameters", "{\"aws\":{\"cloudtrail\":{\"request_parameters\":\"", "\"}}}", 8191, true},
        {"aws.cloudtrail.request_parameters", "{\"aws\":{\"cloudtrail\":{\"request_parameters\":\"", "\"}}}", 8192, false},
        {"aws.cloudtrail.flattened.request_parameters.k",
         "{\"aws\":{\"cloudtrail\":{\"flattened\":{\"request_parameters\":{\"k\":\"", "\"}}}}}", 20000, true},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        char *doc = repeat(t[i].json_prefix, 'a', t[i].len, t[i].json_suffix);
        char q[256];
        snprintf(q, sizeof q, "%s: *a*", t[i].field);
        assert_int_equal(run_match(q, doc, NULL), t[i].visible);
        snprintf(q, sizeof q, "%s: *", t[i].field);
        assert_int_equal(run_match(q, doc, NULL), t[i].visible);
        snprintf(q, sizeof q, "not %s: *", t[i].field);
        assert_int_equal(run_match(q, doc, NULL), !t[i].visible);
        free(doc);
    }
    /* the limit counts UTF-16 units: 1024 two-byte characters are visible,
     * 513 four-byte characters (1026 units) are not */
    th_buf b;
    th_buf_init(&b);
    th_buf_puts(&b, "{\"user\":{\"name\":\"");
    for (int i = 0; i < 1024; i++)
        th_buf_puts(&b, "\xC3\xA9");
    th_buf_puts(&b, "\"}}");
    assert_true(run_match("user.name: *", b.data, NULL));
    th_buf_clear(&b);
    th_buf_puts(&b, "{\"user\":{\"name\":\"");
    for (int i = 0; i < 513; i++)
        th_buf_puts(&b, "\xF0\x9F\x98\x80");
    th_buf_puts(&b, "\"}}");
    assert_false(run_match("user.name: *", b.data, NULL));
    th_buf_free(&b);
}

static void test_rejected_comparisons_warn(void **state)
{
    (void)state;
    size_t w = 0;
    assert_false(run_match("user.name: null", "{\"user\":{\"name\":\"null\"}}", &w));
    assert_int_equal(w, 1);
    assert_false(run_match("source.as.number: abc", "{\"source\":{\"as\":{\"number\":1}}}", &w));
    assert_int_equal(w, 1);
    assert_false(run_match("source.ip: nope", "{\"source\":{\"ip\":\"1.1.1.1\"}}", &w));
    assert_int_equal(w, 1);
    assert_false(run_match("aws.cloudtrail.console_login.additional_eventdata.mfa_used: yes", "{}", &w));
    assert_int_equal(w, 1);
    assert_true(run_match("not source.as.number: abc", "{}", &w)); /* FALSE inside, so not is true */
    assert_true(run_match("user.name: \"null\"", "{\"user\":{\"name\":\"null\"}}", &w));
    assert_int_equal(w, 0);
}

typedef struct pcase {
    const char *query;
    const char *ir;
} pcase;

static void test_ir_shapes(void **state)
{
    (void)state;
    static const pcase t[] = {
        {"event.provider: \"iam.amazonaws.com\" and event.action: (A or B)",
         "(and (term/pk \"event.provider\" \"iam.amazonaws.com\") (or (term/k \"event.action\" \"A\") "
         "(term/k \"event.action\" \"B\")))"},
        {"not a: *", "(not (exists/k \"a\"))"},
        {"a: x* or b < 5", "(or (wildcard/k \"a\" \"x*\") (range/k \"b\" (* \"5\")))"},
        {"a >= 5", "(range/k \"a\" [\"5\" *))"},
        {"a: \"x*\"", "(term/pk \"a\" \"x*\")"},
        {"a: x\\*y?*", "(wildcard/k \"a\" \"x\\\\*y\\\\?*\")"},
        {"a: *S3 Browser*", "(wildcard/k \"a\" \"*S3 Browser*\")"},
        {"a: b c", "(term/k \"a\" \"b c\")"},
        {"free text", "(term/k \"\" \"free text\")"},
        {"a: null", "(term/kn \"a\" null)"},
        {"a: true", "(term/k \"a\" \"true\")"},
        {"a:{ b: 1 and c:{ d: 2 } }", "(and (term/k \"a.b\" \"1\") (term/k \"a.c.d\" \"2\"))"},
        {"a: cannot", "(term/k \"a\" \"cannot\")"},
        {"a: x and", "(term/k \"a\" \"x and\")"}, /* `and` needs whitespace after it */
        {"a: knot", "(term/k \"a\" \"knot\")"},
        {"\"my field\": 1", "(term/k \"my field\" \"1\")"},
        {"a: \\not", "(term/k \"a\" \"ot\")"}, /* `\n` wins: newline + "ot", then trimmed */
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        th_arena a;
        th_arena_init(&a, 4096);
        th_diags d;
        th_diags_init(&d);
        th_ir *ir = th_kql_parse(&a, t[i].query, strlen(t[i].query), NULL, &d);
        if (!ir) {
            th_diags_print(&d, stderr);
            fail_msg("case %zu does not parse: %s", i, t[i].query);
        }
        th_buf b;
        th_buf_init(&b);
        th_ir_print(&b, ir);
        if (strcmp(b.data, t[i].ir) != 0)
            fail_msg("case %zu `%s`:\n  got      %s\n  expected %s", i, t[i].query, b.data, t[i].ir);
        th_buf_free(&b);
        th_diags_free(&d);
        th_arena_free(&a);
    }
}

typedef struct ecase {
    const char *query;
    unsigned col;
    const char *expected; /* substring of the message */
} ecase;

/* Source spans: every leaf knows the bytes of its clause (field through
 * values), so the workbench reads clauses off the IR instead of parsing
 * KQL a second time. */
static th_str span_of(const char *q, const th_ir *ir)
{
    return th_str_make(q + ir->src_start, ir->src_end - ir->src_start);
}

static void test_source_spans(void **state)
{
    (void)state;
    th_arena a;
    th_arena_init(&a, 4096);
    const char *q = "a: x and not (b: * or c: (\"q\\\"d\" or not e*)) and f >= 3 and g: {h: 1}";
    th_ir *ir = th_kql_parse(&a, q, strlen(q), NULL, NULL);
    assert_non_null(ir);
    assert_int_equal(ir->op, TH_IR_AND);
    assert_int_equal(ir->nkids, 4);
    assert_true(th_str_eqc(span_of(q, ir->kids[0]), "a: x"));
    const th_ir *n = ir->kids[1];
    assert_int_equal(n->op, TH_IR_NOT);
    assert_true(th_str_eqc(span_of(q, n), "not (b: * or c: (\"q\\\"d\" or not e*))"));
    const th_ir *or = n->kids[0];
    assert_true(th_str_eqc(span_of(q, or->kids[0]), "b: *"));
    /* the values of a list share their clause's span: from the field on */
    const th_ir *list = or->kids[1];
    assert_int_equal(list->op, TH_IR_OR);
    assert_true(th_str_eqc(span_of(q, list->kids[0]), "c: (\"q\\\"d\" or not e*)"));
    assert_true(th_str_eqc(list->kids[0]->value, "q\"d"));
    assert_int_equal(list->kids[1]->op, TH_IR_NOT);
    assert_true(th_str_eqc(span_of(q, list->kids[1]->kids[0]), "c: (\"q\\\"d\" or not e*)"));
    assert_true(th_str_eqc(span_of(q, ir->kids[2]), "f >= 3"));
    assert_int_equal(ir->kids[2]->src_start, (size_t)(strstr(q, "f >=") - q));
    /* a nested query's inner clause: its own text, the prefixed field */
    assert_true(th_str_eqc(ir->kids[3]->field, "g.h"));
    assert_true(th_str_eqc(span_of(q, ir->kids[3]), "h: 1"));
    th_arena_free(&a);
}

static void test_parse_errors(void **state)
{
    (void)state;
    static const ecase t[] = {
        {"event.action: (A or B", 22, "\")\""},
        {"event.action:", 14, "value"},
        {"(a: x", 6, "\")\""},
        {"a: \"unterminated", 17, "\"\\\"\""},
        {"event.action: not A", 15, "value"}, /* Kibana: `not` only inside a value list */
        {"user.name: x\\ or y", 13, "found '\\'"},
        {"a: x or )", 9, "found ')'"},
        {"a: cannot be", 7, "but found 'n'"},
        {"a: (x or y) z", 13, "end of input"},
        {"a:{ b: 1", 9, "\"}\""},
        {"a: b\\x", 5, "found '\\'"},
        {"a <", 4, "literal"},
        {")", 1, "\"(\""},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        th_arena a;
        th_arena_init(&a, 4096);
        th_diags d;
        th_diags_init(&d);
        th_qsource src = {"rule.toml", 10, 5};
        th_ir *ir = th_kql_parse(&a, t[i].query, strlen(t[i].query), &src, &d);
        if (ir)
            fail_msg("case %zu should not parse: %s", i, t[i].query);
        assert_int_equal(d.errors, 1);
        const th_diag *g = &d.items[0];
        char want[64];
        snprintf(want, sizeof want, "query column %u", t[i].col);
        if (!strstr(g->message, want) || !strstr(g->message, t[i].expected))
            fail_msg("case %zu `%s`: message '%s' lacks '%s' / '%s'", i, t[i].query, g->message, want,
                     t[i].expected);
        assert_string_equal(g->file, "rule.toml");
        assert_int_equal(g->line, 10);
        assert_int_equal(g->col, 5 + t[i].col - 1);
        th_diags_free(&d);
        th_arena_free(&a);
    }
    /* a later line of a multi-line query: file line advances, column is the line's own */
    th_arena a;
    th_arena_init(&a, 4096);
    th_diags d;
    th_diags_init(&d);
    th_qsource src = {"r.toml", 20, 1};
    const char *q = "a: x and\n  b: (y";
    assert_null(th_kql_parse(&a, q, strlen(q), &src, &d));
    assert_int_equal(d.items[0].line, 21);
    assert_int_equal(d.items[0].col, 8);
    th_diags_free(&d);
    /* nesting is bounded */
    th_diags_init(&d);
    char *deep = repeat("", '(', 5000, "a: b");
    assert_null(th_kql_parse(&a, deep, strlen(deep), NULL, &d));
    assert_int_equal(d.errors, 1);
    free(deep);
    th_diags_free(&d);
    th_arena_free(&a);
}

static th_query *compile_kql(th_arena *a, const char *q)
{
    th_query *cq = th_query_compile(a, TH_QLANG_KQL, q, strlen(q), NULL, NULL);
    assert_non_null(cq);
    return cq;
}

static bool has(const th_str *v, int n, const char *s)
{
    for (int i = 0; i < n; i++)
        if (th_str_eqc(v[i], s))
            return true;
    return false;
}

static void test_prefilter(void **state)
{
    (void)state;
    th_arena a;
    th_arena_init(&a, 4096);
    th_str v[16];
    th_query *q = compile_kql(&a, "event.provider: \"iam.amazonaws.com\" and event.action: (A or B)");
    assert_int_equal(th_query_required_values(q, "event.provider", v, 16), 1);
    assert_true(th_str_eqc(v[0], "iam.amazonaws.com"));
    assert_int_equal(th_query_required_values(q, "event.action", v, 16), 2);
    assert_true(has(v, 2, "A") && has(v, 2, "B"));
    assert_int_equal(th_query_required_values(q, "event.action", v, 1), -1); /* over max */
    assert_int_equal(th_query_required_values(q, "user.name", v, 16), -1);

    q = compile_kql(&a, "event.action: A or user.name: x");
    assert_int_equal(th_query_required_values(q, "event.action", v, 16), -1);
    q = compile_kql(&a, "not event.action: A");
    assert_int_equal(th_query_required_values(q, "event.action", v, 16), -1);
    q = compile_kql(&a, "event.action: A*");
    assert_int_equal(th_query_required_values(q, "event.action", v, 16), -1);
    /* AND of two terms of one (multi-valued) field: one set, never the intersection */
    q = compile_kql(&a, "event.action: A and event.action: (B or C)");
    assert_int_equal(th_query_required_values(q, "event.action", v, 16), 1);
    assert_true(has(v, 1, "A"));
    q = compile_kql(&a, "(event.action: A and x: 1) or (event.action: (B or A) and y: 2)");
    assert_int_equal(th_query_required_values(q, "event.action", v, 16), 2);
    assert_true(has(v, 2, "A") && has(v, 2, "B"));
    q = compile_kql(&a, "source.as.number: abc and event.action: A");
    assert_int_equal(th_query_required_values(q, "event.action", v, 16), 0); /* can never match */

    /* fields read */
    q = compile_kql(&a, "event.action: A and not user_agent.original.text: x and source.ip: * and event.action: B");
    th_str f[8];
    assert_int_equal(th_query_fields(q, f, 8), 3);
    assert_true(th_str_eqc(f[0], "event.action"));
    assert_true(th_str_eqc(f[1], "user_agent.original"));
    assert_true(th_str_eqc(f[2], "source.ip"));

    /* the router finds the rules that can match */
    const th_query *qs[4] = {
        compile_kql(&a, "event.action: (A or B)"),
        compile_kql(&a, "event.provider: p and not event.action: A"),
        compile_kql(&a, "user.name: x"),
        compile_kql(&a, "event.action: C and event.action: D"),
    };
    th_router *r = th_router_new(qs, 4);
    size_t ba, bp, al, nv;
    th_router_stats(r, &ba, &bp, &al, &nv);
    assert_int_equal(ba, 2); /* q0, q3 */
    assert_int_equal(bp, 1);
    assert_int_equal(al, 1);
    assert_int_equal(nv, 0);
    unsigned char cand[4];
    th_json_error err;
    const char *doc = "{\"event\":{\"action\":[\"B\",\"D\"],\"provider\":\"p\"}}";
    th_jval *d = th_json_parse(&a, doc, strlen(doc), &err);
    assert_int_equal(th_router_candidates(r, d, cand), 3); /* not q3: it needs C */
    assert_true(cand[0] && cand[1] && cand[2] && !cand[3]);
    doc = "{\"event\":{\"action\":\"Z\"}}";
    d = th_json_parse(&a, doc, strlen(doc), &err);
    assert_int_equal(th_router_candidates(r, d, cand), 1);
    assert_true(cand[2] && !cand[0] && !cand[1] && !cand[3]);
    th_router_free(r);
    th_arena_free(&a);
}

/* ES|QL null semantics in the IR: a 3VL leaf gives NULL for a missing or
 * multi-valued field and NOT keeps NULL, so the row is dropped. */
static void test_three_valued(void **state)
{
    (void)state;
    th_arena a;
    th_arena_init(&a, 4096);
    th_ir *eq = th_ir_leaf(&a, TH_IR_TERM, th_str_c("aws.cloudtrail.user_identity.type"),
                           th_str_c("AWSService"), TH_IRF_3VL);
    th_ir *ne = th_ir_not(&a, eq);
    th_query *q3 = th_query_compile_ir(&a, TH_QLANG_ESQL, ne, NULL, NULL);
    th_ir *eq2 = th_ir_leaf(&a, TH_IR_TERM, th_str_c("aws.cloudtrail.user_identity.type"),
                            th_str_c("AWSService"), 0);
    th_query *q2 = th_query_compile_ir(&a, TH_QLANG_KQL, th_ir_not(&a, eq2), NULL, NULL);
    struct {
        const char *doc;
        bool esql, kql;
    } t[] = {
        {"{}", false, true},
        {"{\"aws\":{\"cloudtrail\":{\"user_identity\":{\"type\":\"Root\"}}}}", true, true},
        {"{\"aws\":{\"cloudtrail\":{\"user_identity\":{\"type\":\"AWSService\"}}}}", false, false},
        {"{\"aws\":{\"cloudtrail\":{\"user_identity\":{\"type\":[\"Root\",\"IAMUser\"]}}}}", false, true},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        th_json_error err;
        th_jval *d = th_json_parse(&a, t[i].doc, strlen(t[i].doc), &err);
        assert_int_equal(th_query_match(q3, d), t[i].esql);
        assert_int_equal(th_query_match(q2, d), t[i].kql);
    }
    th_arena_free(&a);
}

/* Nested AND/OR (the ES|QL front end nests its binary operators, which the
 * compiler flattens): random trees of three- and two-valued leaves against
 * a Kleene evaluation of the same tree over each leaf's own verdict, on
 * documents where each field is absent, matching, not matching or
 * multi-valued. A leaf's verdict: TRUE where it matches alone, FALSE where
 * its NOT does, else NULL. Both the tree and its NOT are checked (NOT tells
 * FALSE from NULL), through the document and through th_qfields. */
typedef struct ktree {
    th_ir *ir;
    int op; /* 0 leaf, 1 and, 2 or, 3 not */
    int leaf;
    struct ktree *kid[3];
    int nkid;
} ktree;

static uint32_t krand(uint32_t *s)
{
    *s = *s * 1103515245u + 12345u;
    return *s >> 16;
}

static ktree *ktree_make(th_arena *a, uint32_t *seed, int depth, th_ir *const *leaves,
                         int nleaves)
{
    ktree *t = TH_ANEW(a, ktree);
    uint32_t r = krand(seed);
    if (depth == 0 || r % 4 == 0) {
        t->leaf = (int)(krand(seed) % (uint32_t)nleaves);
        t->ir = leaves[t->leaf];
        return t;
    }
    t->op = 1 + (int)(krand(seed) % 3);
    t->nkid = t->op == 3 ? 1 : 2 + (int)(krand(seed) % 2);
    th_ir *kids[3];
    for (int i = 0; i < t->nkid; i++) {
        t->kid[i] = ktree_make(a, seed, depth - 1, leaves, nleaves);
        kids[i] = t->kid[i]->ir;
    }
    t->ir = t->op == 3 ? th_ir_not(a, kids[0])
                       : th_ir_bool(a, t->op == 1 ? TH_IR_AND : TH_IR_OR, kids, (size_t)t->nkid);
    return t;
}

static int kleene(const ktree *t, const int *leaf_tv) /* 0 false, 1 true, 2 null */
{
    if (t->op == 0)
        return leaf_tv[t->leaf];
    if (t->op == 3) {
        int k = kleene(t->kid[0], leaf_tv);
        return k == 2 ? 2 : !k;
    }
    int decide = t->op == 1 ? 0 : 1, r = !decide;
    for (int i = 0; i < t->nkid; i++) {
        int k = kleene(t->kid[i], leaf_tv);
        if (k == decide)
            return decide;
        if (k == 2)
            r = 2;
    }
    return r;
}

static void test_nested_bool(void **state)
{
    (void)state;
    th_arena a;
    th_arena_init(&a, 1 << 16);
    static const char *const field[3] = {"user.name", "event.action", "event.outcome"};
    static const char *const want[3] = {"alice", "GetObject", "success"};
    th_ir *leaves[5];
    for (int i = 0; i < 3; i++)
        leaves[i] = th_ir_leaf(&a, TH_IR_TERM, th_str_c(field[i]), th_str_c(want[i]), TH_IRF_3VL);
    leaves[3] = th_ir_leaf(&a, TH_IR_EXISTS, th_str_c("user.name"), TH_STR_NULL, TH_IRF_3VL);
    leaves[4] = th_ir_leaf(&a, TH_IR_TERM, th_str_c("event.action"), th_str_c("GetObject"), 0);
    th_query *lq[5], *lnot[5];
    for (int i = 0; i < 5; i++) {
        lq[i] = th_query_compile_ir(&a, TH_QLANG_ESQL, leaves[i], NULL, NULL);
        lnot[i] = th_query_compile_ir(&a, TH_QLANG_ESQL, th_ir_not(&a, leaves[i]), NULL, NULL);
    }
    /* each field: 0 absent, 1 the value, 2 another, 3 both (multi-valued) */
    th_jval *docs[64];
    for (int d = 0; d < 64; d++) {
        char val[3][40];
        for (int f = 0; f < 3; f++) {
            int k = d >> (2 * f) & 3;
            if (k == 1)
                snprintf(val[f], sizeof val[f], "\"%s\"", want[f]);
            else if (k == 2)
                snprintf(val[f], sizeof val[f], "\"other\"");
            else if (k == 3)
                snprintf(val[f], sizeof val[f], "[\"%s\",\"other\"]", want[f]);
        }
        th_buf b;
        th_buf_init(&b);
        th_buf_puts(&b, "{\"x\":1");
        if (d & 3)
            th_buf_printf(&b, ",\"user\":{\"name\":%s}", val[0]);
        if (d >> 2 & 15) {
            th_buf_puts(&b, ",\"event\":{\"y\":1");
            if (d >> 2 & 3)
                th_buf_printf(&b, ",\"action\":%s", val[1]);
            if (d >> 4 & 3)
                th_buf_printf(&b, ",\"outcome\":%s", val[2]);
            th_buf_puts(&b, "}");
        }
        th_buf_puts(&b, "}");
        th_json_error err; /* the reader keeps slices of the text: copied into a */
        docs[d] = th_json_parse(&a, th_arena_strndup(&a, b.data, b.len), b.len, &err);
        assert_non_null(docs[d]);
        th_buf_free(&b);
    }
    th_qfields *qf = th_qfields_new();
    uint32_t seed = 7;
    size_t nulls = 0, trues = 0;
    for (int n = 0; n < 300; n++) {
        ktree *t = ktree_make(&a, &seed, 4, leaves, 5);
        th_query *q = th_query_compile_ir(&a, TH_QLANG_ESQL, t->ir, NULL, NULL);
        th_query *qn = th_query_compile_ir(&a, TH_QLANG_ESQL, th_ir_not(&a, t->ir), NULL, NULL);
        for (int d = 0; d < 64; d++) {
            int tv[5];
            for (int i = 0; i < 5; i++)
                tv[i] = th_query_match(lq[i], docs[d]) ? 1 : th_query_match(lnot[i], docs[d]) ? 0 : 2;
            int want_tv = kleene(t, tv);
            nulls += want_tv == 2;
            trues += want_tv == 1;
            assert_int_equal(th_query_match(q, docs[d]), want_tv == 1);
            assert_int_equal(th_query_match(qn, docs[d]), want_tv == 0);
            th_qfields_reset(qf, docs[d]);
            assert_int_equal(th_query_match_fields(q, qf), want_tv == 1);
            th_qfields_reset(qf, docs[d]);
            assert_int_equal(th_query_match_fields(qn, qf), want_tv == 0);
        }
    }
    assert_true(nulls > 0 && trues > 0); /* the trees reach every verdict */
    th_qfields_free(qf);
    th_arena_free(&a);
}

/* Field-name patterns (KQL field wildcards, ES|QL KEEP/DROP): `*` any run,
 * everything else itself; the greedy match must find matches that need an
 * earlier `*` to take less than it first tried. */
static void test_field_glob(void **state)
{
    (void)state;
    static const struct {
        const char *pat, *name;
        bool match;
    } cases[] = {
        {"*", "", true},
        {"*", "user.name", true},
        {"", "", true},
        {"", "a", false},
        {"user.name", "user.name", true},
        {"user.name", "user.names", false},
        {"user.*", "user.name", true},
        {"user.*", "user", false},
        {"*.name", "user.target.name", true},
        {"*.name", "user.name.text", false},
        {"aws.*.type", "aws.cloudtrail.user_identity.type", true},
        {"a*b*c", "aXbYbZc", true},
        {"a*b*c", "aXbYc d", false},
        {"a*a*a", "aaa", true},
        {"a*a*a", "aa", false},
        {"**x", "yx", true},
        {"x**", "x", true},
        {"?", "a", false}, /* no single-character wildcard */
        {"User.*", "user.name", false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        if (th_field_glob(th_str_c(cases[i].pat), th_str_c(cases[i].name)) != cases[i].match)
            fail_msg("'%s' against '%s': expected %s", cases[i].pat, cases[i].name,
                     cases[i].match ? "a match" : "none");
}

static void test_schema(void **state)
{
    (void)state;
    const th_field_def *d = th_schema_lookup(th_str_c("aws.cloudtrail.request_parameters"));
    assert_non_null(d);
    assert_int_equal(d->type, TH_FT_KEYWORD);
    assert_int_equal(d->ignore_above, 8191);
    d = th_schema_lookup(th_str_c("user_agent.original"));
    assert_int_equal(d->ignore_above, 1024);
    assert_int_equal(th_schema_lookup(th_str_c("data_stream.dataset"))->type, TH_FT_CONSTANT_KEYWORD);
    assert_int_equal(th_schema_lookup(th_str_c("event.dataset"))->type, TH_FT_CONSTANT_KEYWORD);
    assert_int_equal(th_schema_lookup(th_str_c("event.module"))->type, TH_FT_CONSTANT_KEYWORD);
    assert_int_equal(th_schema_lookup(th_str_c("source.ip"))->type, TH_FT_IP);
    assert_int_equal(th_schema_lookup(th_str_c("@timestamp"))->type, TH_FT_DATE);
    assert_int_equal(th_schema_lookup(th_str_c("source.as.number"))->type, TH_FT_LONG);
    assert_int_equal(th_schema_lookup(th_str_c("aws.cloudtrail.console_login.additional_eventdata.mfa_used"))->type,
                     TH_FT_BOOLEAN);
    assert_int_equal(th_schema_lookup(th_str_c("aws.cloudtrail.flattened.request_parameters"))->type,
                     TH_FT_FLATTENED);
    assert_int_equal(th_schema_lookup(th_str_c("aws.cloudtrail.flattened.request_parameters.a.b"))->type,
                     TH_FT_FLATTENED_LEAF);
    assert_int_equal(th_schema_lookup(th_str_c("aws.cloudtrail.flattened.request_parameters.withDecryption"))->type,
                     TH_FT_FLATTENED_LEAF);
    d = th_schema_lookup(th_str_c("aws.cloudtrail.request_parameters.text"));
    assert_int_equal(d->type, TH_FT_TEXT);
    assert_string_equal(d->parent, "aws.cloudtrail.request_parameters");
    assert_null(th_schema_lookup(th_str_c("no.such.field")));
    assert_null(th_schema_lookup(th_str_c("event.action.sub")));
    /* sorted table: lookup of every entry finds itself */
    for (size_t i = 0; i < th_schema_nfields; i++)
        assert_ptr_equal(th_schema_lookup(th_str_c(th_schema_fields[i].name)), &th_schema_fields[i]);
}

/* Soundness of the prefilter on random queries: whenever a query matches a
 * document, the document holds one of the values required of event.action. */
static unsigned long long rng(unsigned long long *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

static void gen_query(th_buf *b, unsigned long long *x, int depth)
{
    static const char *const vals[] = {"A", "B", "C", "D"};
    unsigned r = (unsigned)(rng(x) % (depth > 3 ? 3 : 7));
    switch (r) {
    case 0:
        th_buf_printf(b, "event.action: %s", vals[rng(x) % 4]);
        break;
    case 1:
        th_buf_printf(b, "event.action: (%s or %s)", vals[rng(x) % 4], vals[rng(x) % 4]);
        break;
    case 2:
        th_buf_printf(b, "user.name: %s", vals[rng(x) % 4]);
        break;
    case 3:
        th_buf_puts(b, "not (");
        gen_query(b, x, depth + 1);
        th_buf_puts(b, ")");
        break;
    default: {
        const char *op = r % 2 ? " and " : " or ";
        th_buf_puts(b, "(");
        gen_query(b, x, depth + 1);
        th_buf_puts(b, op);
        gen_query(b, x, depth + 1);
        if (r == 6) {
            th_buf_puts(b, op);
            gen_query(b, x, depth + 1);
        }
        th_buf_puts(b, ")");
    }
    }
}

typedef struct req_ctx {
    const th_str *req;
    int n;
    bool hit;
} req_ctx;

static bool req_visit(const th_jval *v, void *ctx)
{
    req_ctx *rc = ctx;
    th_str s;
    for (int k = 0; k < rc->n; k++)
        if (th_query_keyword_text(v, &s) && th_str_eq(s, rc->req[k]))
            rc->hit = true;
    return !rc->hit;
}

static void test_prefilter_soundness(void **state)
{
    (void)state;
    static const char *const docs[] = {
        "{}", "{\"event\":{\"action\":\"A\"}}", "{\"event\":{\"action\":\"B\"},\"user\":{\"name\":\"A\"}}",
        "{\"event\":{\"action\":[\"A\",\"C\"]}}", "{\"event\":{\"action\":[\"B\",\"D\"]},\"user\":{\"name\":\"C\"}}",
        "{\"event\":{\"action\":\"D\"},\"user\":{\"name\":[\"B\",\"D\"]}}", "{\"user\":{\"name\":\"A\"}}",
        "{\"event\":{\"action\":[\"A\",\"B\",\"C\",\"D\"]}}",
    };
    th_arena a;
    th_arena_init(&a, 1 << 16);
    th_jval *dv[8];
    th_json_error err;
    for (int i = 0; i < 8; i++)
        dv[i] = th_json_parse(&a, docs[i], strlen(docs[i]), &err);
    unsigned long long x = 0x9E3779B97F4A7C15ULL;
    th_buf b;
    th_buf_init(&b);
    size_t constrained = 0;
    for (int iter = 0; iter < 3000; iter++) {
        th_buf_clear(&b);
        gen_query(&b, &x, 0);
        th_query *q = th_query_compile(&a, TH_QLANG_KQL, b.data, b.len, NULL, NULL);
        assert_non_null(q);
        th_str req[8];
        int n = th_query_required_values(q, "event.action", req, 8);
        if (n < 0)
            continue;
        constrained++;
        for (int i = 0; i < 8; i++) {
            if (!th_query_match(q, dv[i]))
                continue;
            req_ctx rc = {req, n, false};
            th_json_path_each(dv[i], TH_STR_LIT("event.action"), req_visit, &rc);
            bool hit = rc.hit;
            if (!hit)
                fail_msg("query `%s` matches %s but requires %d value(s) of event.action not in it", b.data, docs[i], n);
        }
    }
    assert_true(constrained > 300); /* the property was exercised */
    th_buf_free(&b);
    th_arena_free(&a);
}

/* Mutated queries never crash either parser: each gives a query or an error. */
static void test_mutations(void **state)
{
    (void)state;
    static const char *const seeds[] = {
        "event.provider: \"iam.amazonaws.com\" and event.action: (A or B) and not user_agent.original: *terraform*",
        "a:{ b: 1 and c:{ d: \"x\\\"y\" } } or e >= 5 or f: \\u0041\\*\\and",
        "iam where event.action in (\"A\", \"B\") and stringContains(x, \"a=\\\\*\") and y regex~ \"[^/]+.*?\"",
        "any where not (a : (\"x*\", \"?y\") or b like~ \"z\") /* c */ and c >= 1",
    };
    static const char alphabet[] = "()\"\\:*?<>={}[],~ \t\nandortwhere\xc3\xa9\xff";
    unsigned long long x = 88172645463325252ULL;
    const char *doc = "{\"event\":{\"action\":\"A\",\"provider\":\"iam.amazonaws.com\"},\"a\":{\"b\":1}}";
    th_arena a;
    th_arena_init(&a, 1 << 16);
    th_json_error err;
    th_jval *d = th_json_parse(&a, doc, strlen(doc), &err);
    char buf[512];
    for (int iter = 0; iter < 20000; iter++) {
        const char *seed = seeds[iter % 4];
        size_t n = strlen(seed);
        memcpy(buf, seed, n);
        int edits = 1 + (int)(x % 4);
        for (int e = 0; e < edits; e++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            size_t pos = n ? (size_t)(x % n) : 0;
            char c = alphabet[(x >> 20) % (sizeof alphabet - 1)];
            switch ((x >> 40) % 3) {
            case 0:
                buf[pos] = c;
                break;
            case 1:
                if (n + 1 < sizeof buf) {
                    memmove(buf + pos + 1, buf + pos, n - pos);
                    buf[pos] = c;
                    n++;
                }
                break;
            default:
                if (n) {
                    memmove(buf + pos, buf + pos + 1, n - pos - 1);
                    n--;
                }
            }
        }
        th_diags dg;
        th_diags_init(&dg);
        th_query *q = (iter % 4) < 2 ? th_query_compile(&a, TH_QLANG_KQL, buf, n, NULL, &dg)
                                     : th_query_compile_eql(&a, buf, n, NULL, NULL, &dg);
        if (q)
            (void)th_query_match(q, d);
        else
            assert_true(dg.errors >= 1);
        th_diags_free(&dg);
        if (iter % 256 == 0) {
            th_arena_reset(&a);
            d = th_json_parse(&a, doc, strlen(doc), &err);
        }
    }
    th_arena_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_boolean_structure),
        cmocka_unit_test(test_source_spans),
        cmocka_unit_test(test_keyword_values),
        cmocka_unit_test(test_exists_missing_arrays),
        cmocka_unit_test(test_types),
        cmocka_unit_test(test_ignore_above),
        cmocka_unit_test(test_rejected_comparisons_warn),
        cmocka_unit_test(test_ir_shapes),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_prefilter),
        cmocka_unit_test(test_three_valued),
        cmocka_unit_test(test_nested_bool),
        cmocka_unit_test(test_schema),
        cmocka_unit_test(test_field_glob),
        cmocka_unit_test(test_mutations),
        cmocka_unit_test(test_prefilter_soundness),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
