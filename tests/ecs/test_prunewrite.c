/* convert's documents written pruned (th_mapper_opts.prune_on_write with
 * th_json_write_pruned) against the mapper's own last drop-empty pass and
 * the plain writer: byte-identical lines for every record of the corpus, of
 * an emulated day of every scenario and of hand-made records whose mapping
 * leaves empty values behind, under the options that change what the mapping
 * sets after that pass (data_stream's constants, event.ingested, the
 * preserve_original tag, retain). */
#include "ecs_records.h"

#include <stdlib.h>
#include <string.h>

typedef struct pw_pair {
    th_mapper *plain, *pruned; /* the same options but prune_on_write */
} pw_pair;

typedef struct pw_ctx {
    pw_pair *pairs;
    size_t npairs;
    th_buf want, got, unpruned;
    unsigned long long docs, diffs, dropped;
} pw_ctx;

static void check_record(pw_ctx *x, const th_record *rec)
{
    for (size_t i = 0; i < x->npairs; i++) {
        th_arena a;
        th_arena_init(&a, 1 << 16);
        th_jval *d1 = th_ecs_map(x->pairs[i].plain, &a, rec->json, rec->text);
        th_jval *d2 = th_ecs_map(x->pairs[i].pruned, &a, rec->json, rec->text);
        assert_non_null(d1);
        assert_non_null(d2);
        th_buf_clear(&x->want);
        th_buf_clear(&x->got);
        th_buf_clear(&x->unpruned);
        th_json_write(&x->want, d1);
        th_json_write_pruned(&x->got, d2);
        th_json_write(&x->unpruned, d2);
        x->docs++;
        /* the documents where the writer, not the mapper, dropped something */
        x->dropped += x->unpruned.len != x->want.len;
        if (x->got.len != x->want.len || memcmp(x->got.data, x->want.data, x->want.len)) {
            if (x->diffs++ < 3)
                print_message("differs (%s, options %zu):\n  want %s\n  got  %s\n", rec->file, i,
                              x->want.data, x->got.data);
        }
        th_arena_free(&a);
    }
}

static void on_record(void *ctx, const th_record *rec) { check_record(ctx, rec); }

/* Records whose mapping sets empty values or leaves objects with nothing in
 * them: ARNs that end where a name would start, an empty or odd user agent,
 * sessions without names, empty parameters, a bad eventTime (the pipeline
 * error's event.kind and tag are set after the pass). */
static const char *const handmade[] = {
    "{}",
    "{\"eventVersion\":\"1.08\"}",
    "{\"eventTime\":\"bad\",\"eventName\":\"GetObject\",\"eventSource\":\"s3.amazonaws.com\"}",
    "{\"eventTime\":\"2026-10-01T00:00:00Z\",\"eventSource\":\"\",\"eventName\":\"\","
    "\"userIdentity\":{\"type\":\"\",\"arn\":\"arn:aws:iam::123456789012:user/\","
    "\"sessionContext\":{\"sessionIssuer\":{\"userName\":\"\",\"arn\":\"\"}}},"
    "\"userAgent\":\"\",\"sourceIPAddress\":\"\",\"requestParameters\":{\"a\":null,\"b\":\"\",\"c\":{}}}",
    "{\"eventTime\":\"2026-10-01T00:00:00Z\",\"eventSource\":\"iam.amazonaws.com\","
    "\"eventName\":\"CreateUser\",\"userIdentity\":{\"type\":\"AssumedRole\","
    "\"arn\":\"arn:aws:sts::123456789012:assumed-role/r/\",\"principalId\":\"AROA:\"},"
    "\"userAgent\":\"-\",\"requestParameters\":{\"userName\":\"\",\"tags\":[null,\"\",{}]},"
    "\"responseElements\":{\"user\":{\"userId\":\"\"}},\"resources\":[{\"ARN\":\"\"},{}]}",
    "{\"eventTime\":\"2026-10-01T00:00:00Z\",\"eventSource\":\"signin.amazonaws.com\","
    "\"eventName\":\"ConsoleLogin\",\"userIdentity\":{\"type\":\"Root\",\"arn\":\"arn:\"},"
    "\"userAgent\":\"x\",\"additionalEventData\":{\"MFAUsed\":\"\",\"LoginTo\":null},"
    "\"responseElements\":{\"ConsoleLogin\":\"\"},\"tlsDetails\":{\"tlsVersion\":\"\"}}",
    "{\"eventTime\":\"2026-10-01T00:00:00Z\",\"eventName\":\"AssumeRole\","
    "\"eventSource\":\"sts.amazonaws.com\",\"userIdentity\":{\"type\":\"AWSService\","
    "\"invokedBy\":\"\"},\"sourceIPAddress\":\"sts.amazonaws.com\",\"@timestamp\":\"\","
    "\"requestParameters\":{\"roleArn\":\"arn:aws:iam::1:role/\",\"roleSessionName\":\"\"}}",
};

static void run_handmade(pw_ctx *x)
{
    for (size_t i = 0; i < sizeof handmade / sizeof *handmade; i++) {
        th_arena a;
        th_arena_init(&a, 1 << 12);
        th_json_error err;
        th_jval *raw = th_json_parse(&a, handmade[i], strlen(handmade[i]), &err);
        assert_non_null(raw);
        th_record rec = {.json = raw,
                         .text = th_str_c(handmade[i]),
                         .kind = TH_REC_CLOUDTRAIL,
                         .file = "handmade",
                         .offset = i};
        check_record(x, &rec);
        th_arena_free(&a);
    }
}

static void test_pruned_writer_equals_final_prune(void **state)
{
    (void)state;
    TH_REQUIRE_CORPUS(corpus);
    th_diags d;
    th_diags_init(&d);
    static char city[4096], asn[4096], ua[4096];
    snprintf(city, sizeof city, "%s/geoip-test/GeoLite2-City-Test.mmdb", corpus);
    snprintf(asn, sizeof asn, "%s/geoip-test/GeoLite2-ASN-Test.mmdb", corpus);
    /* the options that change what is set after the drop-empty pass */
    enum { NOPTS = 4 };
    pw_pair pairs[NOPTS];
    for (int i = 0; i < NOPTS; i++) {
        th_mapper_opts o;
        th_mapper_opts_default(&o);
        o.actor_target_mapping = i != 1;
        o.geoip_city_db = city;
        o.geoip_asn_db = asn;
        o.ua_regexes = th_mapper_default_ua_path(ua, sizeof ua);
        if (i == 1) {
            o.data_stream = false;
            o.ingest_delay_ms = -1;
            o.preserve_original = true;
        }
        if (i == 2) {
            o.retain = "minimal";
            o.ingest_delay_ms = 90000;
        }
        if (i == 3)
            o.retain = "none";
        pairs[i].plain = th_mapper_new(&o, &d);
        o.prune_on_write = true;
        pairs[i].pruned = th_mapper_new(&o, &d);
        assert_non_null(pairs[i].plain);
        assert_non_null(pairs[i].pruned);
    }
    pw_ctx x = {.pairs = pairs, .npairs = NOPTS};
    th_buf_init(&x.want);
    th_buf_init(&x.got);
    th_buf_init(&x.unpruned);
    run_handmade(&x);
    ecs_each_corpus(corpus, on_record, &x);
    ecs_each_emulated(on_record, &x);
    print_message("RATE: pruned writing equals final_prune + write on %llu/%llu documents "
                  "(%llu with values only the writer dropped)\n",
                  x.docs - x.diffs, x.docs, x.dropped);
    assert_true(x.docs > 4000);
    assert_true(x.dropped > 0); /* the writer's pruning is exercised by the mapping */
    assert_int_equal(x.diffs, 0);
    for (int i = 0; i < NOPTS; i++) {
        th_mapper_free(pairs[i].plain);
        th_mapper_free(pairs[i].pruned);
    }
    th_buf_free(&x.want);
    th_buf_free(&x.got);
    th_buf_free(&x.unpruned);
    th_diags_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pruned_writer_equals_final_prune),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
