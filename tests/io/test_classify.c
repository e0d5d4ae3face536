/* io/ classification: th_io_classify_scan (a walk of the scanner's top-level
 * members, which narrows its look once a CloudTrail key is seen and walks
 * again in full when an @timestamp follows) must give th_io_classify's class
 * (the parsed tree's members, all of them) for every object: hand-made cases
 * where the order of the keys decides, and random objects of the keys the
 * classes depend on, in every order, repeated, escaped, and with values of
 * every type. The corpus goes through both by test_input_lazy. A text
 * that starts with the key eventVersion and holds neither an '@' nor a
 * backslash is classified without a walk: the cases around that. */
#include "th_test.h"

#include <stdio.h>
#include <string.h>

#include "base/arena.h"
#include "io/scan.h"
#include "json/jscan.h"
#include "json/json.h"

typedef struct fixture {
    th_arena a;
    th_jscan *s;
} fixture;

/* Both classes of text, which must parse; returns the scanner's. */
static th_io_class both(fixture *f, const char *text, size_t n)
{
    th_json_error err;
    th_jval *v = th_json_parse(&f->a, text, n, &err);
    assert_non_null(v);
    assert_true(th_jscan_load(f->s, text, n, NULL));
    th_io_class dom = th_io_classify(v);
    th_io_class scan = th_io_classify_scan(th_jscan_root(f->s), &f->a);
    if (dom != scan)
        print_message("  %.*s: parsed %d, scanned %d\n", (int)n, text, (int)dom, (int)scan);
    assert_int_equal(dom, scan);
    th_arena_reset(&f->a);
    return scan;
}

static th_io_class one(fixture *f, const char *text) { return both(f, text, strlen(text)); }

static void order_decides(void **state)
{
    (void)state;
    fixture f;
    th_arena_init(&f.a, 0);
    f.s = th_jscan_new();
    /* an `event` before the @timestamp that follows a CloudTrail key */
    assert_int_equal(one(&f, "{\"eventVersion\":\"1\",\"event\":{},\"@timestamp\":\"t\"}"),
                     TH_IO_ECS);
    assert_int_equal(one(&f, "{\"eventVersion\":\"1\",\"event.a\":1,\"x\":2,\"@timestamp\":\"t\"}"),
                     TH_IO_ECS);
    assert_int_equal(one(&f, "{\"eventTime\":\"1\",\"@timestamp\":\"t\",\"event.action\":1}"),
                     TH_IO_ECS);
    assert_int_equal(one(&f, "{\"@timestamp\":\"t\",\"eventName\":\"1\",\"event\":{}}"), TH_IO_ECS);
    /* and no `event` at all, or one that is no object */
    assert_int_equal(one(&f, "{\"eventVersion\":\"1\",\"event\":1,\"@timestamp\":\"t\"}"),
                     TH_IO_CLOUDTRAIL);
    assert_int_equal(one(&f, "{\"eventSource\":\"1\",\"@timestamp\":\"t\"}"), TH_IO_CLOUDTRAIL);
    assert_int_equal(one(&f, "{\"eventName\":\"1\",\"Records\":[],\"digestStartTime\":1,"
                             "\"digestEndTime\":2,\"event\":{}}"),
                     TH_IO_CLOUDTRAIL);
    /* escaped keys after a CloudTrail key: an @timestamp by its escape */
    assert_int_equal(one(&f, "{\"eventName\":\"1\",\"event\":{},\"\\u0040timestamp\":\"t\"}"),
                     TH_IO_ECS);
    assert_int_equal(one(&f, "{\"eventName\":\"1\",\"ev\\u0065nt\":{},\"@timestam\\u0070\":\"t\"}"),
                     TH_IO_ECS);
    assert_int_equal(one(&f, "{\"event\\u004eame\":\"1\",\"@timestamp\":\"t\",\"event\":{}}"),
                     TH_IO_ECS);
    th_jscan_free(f.s);
    th_arena_free(&f.a);
}

/* eventVersion first: only a text without '@' and backslash skips the walk;
 * an @timestamp by its escape (no '@' in the text) or by its '@' after the
 * `event` keys still makes the record ECS. */
static void event_version_first(void **state)
{
    (void)state;
    fixture f;
    th_arena_init(&f.a, 0);
    f.s = th_jscan_new();
    assert_int_equal(one(&f, "{\"eventVersion\":\"1\",\"event\":{},\"\\u0040timestamp\":\"t\"}"),
                     TH_IO_ECS);
    assert_int_equal(one(&f, "{\"eventVersion\":1,\"event.action\":1,\"@timestamp\":\"t\"}"),
                     TH_IO_ECS);
    assert_int_equal(one(&f, "{\"eventVersion\":1,\"event\":{},\"@timestamp\":\"t\"}"), TH_IO_ECS);
    assert_int_equal(one(&f, "{\"eventVersion\":1,\"event\":{},\"a\":\"t\"}"), TH_IO_CLOUDTRAIL);
    assert_int_equal(one(&f, "{\"eventVersion\":1,\"event\":{},\"a\":\"x@y\"}"), TH_IO_CLOUDTRAIL);
    assert_int_equal(one(&f, "{\"eventVersion\":{}}"), TH_IO_CLOUDTRAIL);
    assert_int_equal(one(&f, "{\"eventVersion\":{},\"event\":{},\"a\\tb\":1}"), TH_IO_CLOUDTRAIL);
    /* the same key not first, or spaced, or another key of its length */
    assert_int_equal(one(&f, " {\"eventVersion\" : 1, \"Records\":[]}"), TH_IO_CLOUDTRAIL);
    assert_int_equal(one(&f, "{\"eventVersiom\":1,\"Records\":[]}"), TH_IO_CONTAINER);
    assert_int_equal(one(&f, "{\"x\":1,\"eventVersion\":1,\"event\":{},\"@timestamp\":2}"),
                     TH_IO_ECS);
    /* the element of a container: the flags are the whole text's */
    const char *cont = "[{\"eventVersion\":1,\"event\":{},\"@timestamp\":2},{\"eventVersion\":1}]";
    assert_true(th_jscan_load(f.s, cont, strlen(cont), NULL));
    th_jiter it = th_jcur_iter(th_jscan_root(f.s));
    th_jcur k, v;
    th_io_class got[2];
    for (int i = 0; i < 2; i++) {
        assert_true(th_jiter_next(&it, &k, &v));
        got[i] = th_io_classify_scan(v, &f.a);
    }
    assert_int_equal(got[0], TH_IO_ECS);
    assert_int_equal(got[1], TH_IO_CLOUDTRAIL);
    th_jscan_free(f.s);
    th_arena_free(&f.a);
}

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint64_t rnd(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 2685821657736338717ull;
}

/* Objects of 0 to 9 members drawn from the keys that decide a class (and
 * near misses, escaped forms, keys that are no key of interest) and values of
 * every type. */
static void random_objects_agree(void **state)
{
    (void)state;
    static const char *const keys[] = {
        "eventVersion", "eventTime", "eventSource", "eventName", "eventID", "eventType",
        "errorCode", "@timestamp", "@timestam", "@timestampx", "@", "event", "event.",
        "event.action", "events", "Records", "Record", "digestStartTime", "digestEndTime",
        "digestS3Bucket", "awsRegion", "x", "", "e", "\\u0040timestamp", "@time\\u0073tamp",
        "ev\\u0065nt", "ev\\u0065nt.action", "event\\u004eame", "\\u0065ventTime",
        "Rec\\u006frds", "digest\\u0045ndTime", "\\u0064igestStartTime", "a\\nb"};
    static const char *const vals[] = {"\"s\"", "{}", "{\"event\":{},\"@timestamp\":1}", "[]",
                                       "[1]",   "1",  "null",                          "true"};
    const size_t nkeys = sizeof keys / sizeof *keys, nvals = sizeof vals / sizeof *vals;
    fixture f;
    th_arena_init(&f.a, 0);
    f.s = th_jscan_new();
    size_t per_class[TH_IO_OTHER + 1] = {0}, ct_then_ecs = 0;
    char text[1024];
    for (int round = 0; round < 300000; round++) {
        size_t n = 0, members = (size_t)(rnd() % 10);
        text[n++] = '{';
        bool ct = false, late_ts = false;
        for (size_t m = 0; m < members; m++) {
            const char *k = keys[rnd() % nkeys];
            ct |= !strcmp(k, "eventVersion") || !strcmp(k, "eventTime") ||
                  !strcmp(k, "eventSource") || !strcmp(k, "eventName");
            late_ts |= ct && strcmp(k, "@timestamp") == 0;
            n += (size_t)snprintf(text + n, sizeof text - n, "%s\"%s\":%s", m ? "," : "", k,
                                  vals[rnd() % nvals]);
        }
        text[n++] = '}';
        th_io_class c = both(&f, text, n);
        per_class[c]++;
        ct_then_ecs += late_ts && c == TH_IO_ECS;
    }
    for (size_t c = 0; c <= TH_IO_OTHER; c++)
        print_message("  class %zu: %zu objects\n", c, per_class[c]);
    print_message("  ECS with @timestamp after a CloudTrail key: %zu\n", ct_then_ecs);
    for (size_t c = 0; c <= TH_IO_OTHER; c++)
        assert_true(per_class[c] > 1000);
    assert_true(ct_then_ecs > 1000);
    th_jscan_free(f.s);
    th_arena_free(&f.a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(order_decides),
        cmocka_unit_test(event_version_first),
        cmocka_unit_test(random_objects_agree),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
