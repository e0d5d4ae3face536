/* Unit tests of the CloudTrail -> ECS mapper: Java HashMap toString order
 * (expected strings computed by hand-simulating java.util.HashMap inserts and
 * resizes), Double formatting, drop-empty, source.ip, outcome, categorisation,
 * the flattened size limit, user fields, event.ingested. */
#include "th_test.h"

#include <time.h>

#include "base/timeutil.h"
#include "ecs/javafmt.h"
#include "ecs/mapper.h"
#include "json/json.h"

typedef struct fx {
    th_arena a;
    th_mapper *m;
    th_diags d;
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    th_arena_init(&f->a, 1 << 16);
    th_diags_init(&f->d);
    th_mapper_opts o;
    th_mapper_opts_default(&o);
    o.ingest_delay_ms = 5 * 60 * 1000;
    f->m = th_mapper_new(&o, &f->d);
    *state = f;
    return f->m ? 0 : -1;
}

static int teardown(void **state)
{
    fx *f = *state;
    th_mapper_free(f->m);
    th_diags_free(&f->d);
    th_arena_free(&f->a);
    free(f);
    return 0;
}

static th_jval *map(fx *f, const char *json)
{
    th_json_error err;
    th_jval *raw = th_json_parse(&f->a, json, strlen(json), &err);
    assert_non_null(raw);
    return th_ecs_map(f->m, &f->a, raw, th_str_c(json));
}

static void assert_field(th_jval *doc, const char *path, const char *want)
{
    th_jval *v = th_jobj_get_path(doc, path);
    if (!want) {
        if (v)
            fail_msg("%s: expected absent", path);
        return;
    }
    if (!v)
        fail_msg("%s: absent, expected %s", path, want);
    th_buf b;
    th_buf_init(&b);
    if (v->type == TH_JSTR)
        th_buf_putstr(&b, v->u.str);
    else
        th_json_write(&b, v);
    if (strcmp(b.data, want) != 0)
        fail_msg("%s: got %s, expected %s", path, b.data, want);
    th_buf_free(&b);
}

static void test_hashmap_order(void **state)
{
    fx *f = *state;
    static const struct {
        const char *rp, *want;
    } cases[] = {
        {"{\"b\":\"1\",\"a\":\"2\"}", "{a=2, b=1}"},
        /* 13 keys: the table grows from 16 to 32 buckets */
        {"{\"instanceId\":\"0\",\"attribute\":\"1\",\"value\":\"2\",\"groupId\":\"3\",\"userName\":\"4\","
         "\"policyArn\":\"5\",\"roleName\":\"6\",\"bucketName\":\"7\",\"key\":\"8\",\"x-amz-acl\":\"9\","
         "\"encryption\":\"10\",\"versionId\":\"11\",\"tagging\":\"12\"}",
         "{policyArn=5, bucketName=7, tagging=12, x-amz-acl=9, groupId=3, userName=4, versionId=11, "
         "instanceId=0, encryption=10, roleName=6, attribute=1, value=2, key=8}"},
        /* same 13 keys, two dropped as empty: the table stays at 32 */
        {"{\"instanceId\":\"0\",\"attribute\":\"1\",\"value\":\"\",\"groupId\":\"3\",\"userName\":\"4\","
         "\"policyArn\":\"5\",\"roleName\":\"6\",\"bucketName\":\"7\",\"key\":null,\"x-amz-acl\":\"9\","
         "\"encryption\":\"10\",\"versionId\":\"11\",\"tagging\":\"12\"}",
         "{policyArn=5, bucketName=7, tagging=12, x-amz-acl=9, groupId=3, userName=4, versionId=11, "
         "instanceId=0, encryption=10, roleName=6, attribute=1}"},
        /* 11 keys (16 buckets), two dropped */
        {"{\"instanceId\":\"0\",\"attribute\":\"1\",\"value\":\"-\",\"groupId\":\"3\",\"userName\":\"4\","
         "\"policyArn\":\"5\",\"roleName\":\"6\",\"bucketName\":\"7\",\"key\":\"none\",\"x-amz-acl\":\"9\","
         "\"encryption\":\"10\"}",
         "{policyArn=5, bucketName=7, instanceId=0, x-amz-acl=9, encryption=10, groupId=3, roleName=6, "
         "attribute=1, userName=4}"},
        /* nested map, list, numbers, booleans */
        {"{\"zeta\":{\"y\":1,\"x\":[\"a\",\"b\"]},\"alpha\":true,\"n\":1.0E10}",
         "{zeta={x=[a, b], y=1}, alpha=true, n=1.0E10}"},
        {"{\"a\":1.0,\"b\":false,\"c\":[1.50,2,{\"d\":\"\"},{}],\"e\":{\"f\":[]}}", "{a=1.0, b=false, c=[1.5, 2]}"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *json = th_arena_printf(&f->a, "{\"eventTime\":\"2024-01-01T00:00:00Z\",\"requestParameters\":%s}", cases[i].rp);
        th_jval *doc = map(f, json);
        assert_field(doc, "aws.cloudtrail.request_parameters", cases[i].want);
    }
}

/* String.hashCode over the UTF-16 code units of UTF-8 text, one code point a
 * step: th_java_string_hash takes ASCII eight bytes a step. */
static int32_t java_hash_ref(const unsigned char *p, size_t n)
{
    uint32_t h = 0;
    for (size_t i = 0; i < n;) {
        uint32_t c = p[i];
        size_t len = 1;
        if (c >= 0xF0 && i + 3 < n) {
            c = (c & 7u) << 18 | (p[i + 1] & 0x3Fu) << 12 | (p[i + 2] & 0x3Fu) << 6 |
                (p[i + 3] & 0x3Fu);
            len = 4;
        } else if (c >= 0xE0 && i + 2 < n) {
            c = (c & 0xFu) << 12 | (p[i + 1] & 0x3Fu) << 6 | (p[i + 2] & 0x3Fu);
            len = 3;
        } else if (c >= 0xC0 && i + 1 < n) {
            c = (c & 0x1Fu) << 6 | (p[i + 1] & 0x3Fu);
            len = 2;
        }
        i += len;
        if (c >= 0x10000)
            h = (h * 31u + 0xD800u + ((c - 0x10000) >> 10)) * 31u + 0xDC00u +
                ((c - 0x10000) & 0x3FFu);
        else
            h = h * 31u + c;
    }
    return (int32_t)h;
}

static void test_java_string_hash_blocks(void **state)
{
    (void)state;
    /* ASCII runs of every length around the eight-byte steps, with multibyte
     * sequences (2, 3 and 4 bytes, and cut ones) at every position */
    static const char *const pieces[] = {
        "a", "Z", "~", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xc3", "\xf0\x9f"};
    uint32_t rng = 1;
    char buf[128];
    size_t ascii_only = 0;
    for (int t = 0; t < 20000; t++) {
        size_t n = 0;
        bool ascii = true;
        rng = rng * 1103515245u + 12345u;
        size_t want = (rng >> 16) % 60;
        while (n < want) {
            rng = rng * 1103515245u + 12345u;
            uint32_t r = rng >> 16;
            const char *pc = r % 10 ? pieces[r % 3] : pieces[r % 8];
            size_t pl = strlen(pc);
            if (n + pl >= sizeof buf)
                break;
            memcpy(buf + n, pc, pl);
            n += pl;
            ascii &= (unsigned char)pc[0] < 0x80;
        }
        ascii_only += ascii && n >= 8;
        assert_int_equal(th_java_string_hash(th_str_make(buf, n)),
                         java_hash_ref((const unsigned char *)buf, n));
    }
    assert_true(ascii_only > 1000); /* the eight-byte steps are taken */
}

static void test_java_double(void **state)
{
    (void)state;
    static const struct {
        const char *in, *want;
    } cases[] = {
        {"1.0", "1.0"},        {"1e10", "1.0E10"},   {"0.001", "0.001"},  {"0.0001", "1.0E-4"},
        {"1234567.0", "1234567.0"}, {"1e7", "1.0E7"}, {"12345678.9", "1.23456789E7"},
        {"0.1", "0.1"},        {"-2.5", "-2.5"},     {"100", "100"},      {"1.50", "1.5"},
        {"-0", "0"},           {"0.0", "0.0"},       {"123456789012", "123456789012"},
        {"3.14159", "3.14159"}, {"1e-5", "1.0E-5"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        th_buf b;
        th_buf_init(&b);
        th_java_number(&b, th_str_c(cases[i].in));
        if (strcmp(b.data, cases[i].want) != 0)
            fail_msg("%s: got %s, expected %s", cases[i].in, b.data, cases[i].want);
        th_buf_free(&b);
    }
    assert_int_equal(th_java_string_hash(th_str_c("a")), 97);
    assert_int_equal(th_java_string_hash(th_str_c("policyArn")), -225708085);
    assert_int_equal(th_java_string_hash(th_str_c("\xf0\x9f\x98\x80")), 1772899);
    assert_int_equal(th_java_hashmap_capacity(12), 16);
    assert_int_equal(th_java_hashmap_capacity(13), 32);
    assert_int_equal(th_java_hashmap_capacity(25), 64);
}

static void test_drop_empty_and_user(void **state)
{
    fx *f = *state;
    th_jval *doc = map(f, "{\"eventTime\":\"2024-01-01T00:00:00Z\",\"userIdentity\":{\"type\":\"IAMUser\","
                          "\"userName\":\"-\",\"principalId\":\"none\",\"accountId\":\"\"},"
                          "\"recipientAccountId\":\"111122223333\",\"eventName\":\"ListUsers\"}");
    assert_field(doc, "user.name", NULL);
    assert_field(doc, "user.id", NULL);
    assert_field(doc, "cloud.account.id", "111122223333"); /* recipientAccountId fallback */
    doc = map(f, "{\"eventTime\":\"2024-01-01T00:00:00Z\",\"userIdentity\":{\"type\":\"AssumedRole\","
                 "\"principalId\":\"AROA:me@example.com\",\"accountId\":\"1\",\"arn\":"
                 "\"arn:aws:sts::1:assumed-role/Admin/me@example.com\",\"sessionContext\":{\"sessionIssuer\":"
                 "{\"userName\":\"Admin\",\"arn\":\"arn:aws:iam::1:role/Admin\"}}}}");
    assert_field(doc, "user.name", "Admin");
    assert_field(doc, "user.email", "me@example.com");
    assert_field(doc, "related.user", "[\"me@example.com\",\"me\",\"AROA:me@example.com\",\"Admin\"]");
    assert_field(doc, "cloud.account.id", "1");
    assert_field(doc, "@timestamp", "2024-01-01T00:00:00.000Z");
    assert_field(doc, "event.ingested", "2024-01-01T00:05:00Z");
}

static void test_source_ip(void **state)
{
    fx *f = *state;
    static const struct {
        const char *addr;
        bool ip;
    } cases[] = {{"10.0.0.1", true}, {"2001:db8::1", true}, {"backup.amazonaws.com", false},
                 {"AWS Internal", false}, {"10.0.0.256", false}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *json = th_arena_printf(&f->a, "{\"sourceIPAddress\":\"%s\"}", cases[i].addr);
        th_jval *doc = map(f, json);
        assert_field(doc, "source.address", cases[i].addr);
        assert_field(doc, "source.ip", cases[i].ip ? cases[i].addr : NULL);
    }
}

static void test_outcome_and_category(void **state)
{
    fx *f = *state;
    th_jval *doc = map(f, "{\"eventName\":\"AttachRolePolicy\",\"errorCode\":\"AccessDenied\"}");
    assert_field(doc, "event.outcome", "failure");
    assert_field(doc, "event.category", "[\"iam\"]");
    assert_field(doc, "event.type", "[\"change\"]");
    assert_field(doc, "event.kind", "event");
    doc = map(f, "{\"eventName\":\"ConsoleLogin\",\"responseElements\":{\"ConsoleLogin\":\"Failure\"},"
                 "\"additionalEventData\":{\"MFAUsed\":\"No\",\"LoginTo\":\"https://x\"}}");
    assert_field(doc, "event.outcome", "failure");
    assert_field(doc, "event.category", "[\"authentication\"]");
    assert_field(doc, "aws.cloudtrail.console_login.additional_eventdata.mfa_used", "false");
    doc = map(f, "{\"eventName\":\"SomethingUnmapped\",\"errorMessage\":\"x\"}");
    assert_field(doc, "event.outcome", "failure");
    assert_field(doc, "event.category", NULL);
    assert_field(doc, "event.type", "[\"info\"]");
    doc = map(f, "{\"eventName\":\"PutObject\"}");
    assert_field(doc, "event.outcome", "success");
    assert_field(doc, "event.category", "[\"file\"]");
}

/* th_ecs_prune's key de-duplication (HashMap.put: last value at the first
 * key's position) over objects big enough to take the hashed path, and its
 * time: 160k distinct keys were quadratic (27 s in a release build). */
th_jval *th_ecs_prune(th_arena *a, const th_jval *v, bool strict);

static void test_prune_many_keys(void **state)
{
    (void)state;
    th_arena a;
    th_arena_init(&a, 1 << 20);
    th_buf b;
    th_buf_init(&b);
    /* 40 keys k0..k39, then k3 again (new value), k7 = "" (drops k7), k39 again */
    th_buf_putc(&b, '{');
    for (int i = 0; i < 40; i++)
        th_buf_printf(&b, "%s\"k%d\":%d", i ? "," : "", i, i);
    th_buf_printf(&b, ",\"k3\":\"new\",\"k7\":\"\",\"k39\":null}");
    th_json_error err;
    th_jval *v = th_json_parse(&a, b.data, b.len, &err);
    assert_non_null(v);
    th_jval *p = th_ecs_prune(&a, v, true);
    assert_non_null(p);
    assert_int_equal(p->len, 38); /* k7 and k39 dropped */
    assert_int_equal(p->cap & 0x7FFFFFFFu, 40); /* distinct keys before dropping */
    assert_true(th_str_eqc(p->u.members[3].key, "k3"));
    assert_true(th_str_eqc(p->u.members[3].val->u.str, "new"));
    assert_true(th_str_eqc(p->u.members[7].key, "k8"));
    assert_true(th_str_eqc(p->u.members[37].key, "k38"));

    th_buf_clear(&b);
    th_buf_putc(&b, '{');
    enum { N = 160000 };
    for (int i = 0; i < N; i++)
        th_buf_printf(&b, "%s\"key%d\":\"v\"", i ? "," : "", i);
    th_buf_printf(&b, ",\"key5\":\"last\"}");
    v = th_json_parse(&a, b.data, b.len, &err);
    assert_non_null(v);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    p = th_ecs_prune(&a, v, true);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    assert_non_null(p);
    assert_int_equal(p->len, N);
    assert_true(th_str_eqc(p->u.members[5].val->u.str, "last"));
    /* linear: a few ms optimised, well under a second sanitized; the quadratic
     * scan took 27 s optimised and over a minute sanitized */
    if (s > 5.0)
        fail_msg("pruning %d keys took %.2f s", N, s);
    th_buf_free(&b);
    th_arena_free(&a);
}

static void test_flattened_limit(void **state)
{
    fx *f = *state;
    size_t n = 40000;
    char *big = th_arena_alloc(&f->a, n + 1);
    memset(big, 'x', n);
    big[n] = 0;
    th_jval *doc = map(f, th_arena_printf(&f->a, "{\"requestParameters\":{\"k\":\"%s\"}}", big));
    assert_non_null(th_jobj_get_path(doc, "aws.cloudtrail.request_parameters"));
    assert_null(th_jobj_get_path(doc, "aws.cloudtrail.flattened.request_parameters"));
    doc = map(f, "{\"requestParameters\":{\"k\":\"small\"}}");
    assert_field(doc, "aws.cloudtrail.flattened.request_parameters.k", "small");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_hashmap_order, setup, teardown),
        cmocka_unit_test(test_java_double),
        cmocka_unit_test(test_java_string_hash_blocks),
        cmocka_unit_test_setup_teardown(test_drop_empty_and_user, setup, teardown),
        cmocka_unit_test_setup_teardown(test_source_ip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_outcome_and_category, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flattened_limit, setup, teardown),
        cmocka_unit_test(test_prune_many_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
