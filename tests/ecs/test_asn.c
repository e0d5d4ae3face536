/* ASN from ip-location-db's ranges (ecs/asn.h): a hand-made CSV directory
 * whose answers are derived by hand (1.0.0.0 = 16777216, 2.0.0.0 = 33554432,
 * ...), the compiled table giving the same answers, the mapper writing
 * source.as.* from it, and the pinned npm package when installed. */
#include "th_test.h"

#include <sys/stat.h>
#include <unistd.h>

#include "ecs/asn.h"
#include "ecs/mapper.h"
#include "json/json.h"

static char tmpdir[64];

/* 1.0.0.0-1.0.0.255, 1.0.4.0-1.0.7.255, 3.0.0.0-3.0.255.255 (no organisation),
 * 2.0.0.0-2.0.0.255 out of order, and 4.0.0.0-4.0.3.255 overlapped by
 * 4.0.2.0-4.0.5.255. IPv6: two ranges, the smaller one first. */
static const char v4csv[] = "16777216,16777471,13335,\"Cloudflare, Inc.\"\n"
                            "16778240,16779263,38803,Gtelecom Pty Ltd\r\n"
                            "50331648,50397183,64501,\n"
                            "33554432,33554687,64500,\"LLC \"\"SPUTNIK\"\"\"\n"
                            "67108864,67109887,64502,Earlier\n"
                            "67109376,67110399,64503,Later\n";
static const char v6csv[] = "2001:db8:1::,2001:db8:1::ff,64511,\"Small, Ltd\"\n"
                            "2001:db8::,2001:db8:0:ffff:ffff:ffff:ffff:ffff,64510,Doc Net\n";

static void write_file(const char *dir, const char *name, const char *text)
{
    char p[256];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/th-asn-test.XXXXXX");
    if (!mkdtemp(tmpdir))
        return -1;
    write_file(tmpdir, TH_ASN_V4_FILE, v4csv);
    write_file(tmpdir, TH_ASN_V6_FILE, v6csv);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static void expect(const th_asn *t, const char *ip, uint32_t want_asn, const char *want_org)
{
    uint32_t n = 0;
    th_str org = TH_STR_NULL;
    bool hit = th_asn_lookup(t, ip, &n, &org);
    if (!want_org) {
        if (hit)
            fail_msg("%s: expected no AS, got %u", ip, n);
        return;
    }
    if (!hit)
        fail_msg("%s: expected AS %u, got none", ip, want_asn);
    assert_int_equal(n, want_asn);
    assert_int_equal(org.n, strlen(want_org));
    assert_memory_equal(org.p, want_org, org.n);
}

static void check_answers(const th_asn *t)
{
    assert_int_equal(th_asn_count(t, false), 6);
    assert_int_equal(th_asn_count(t, true), 2);
    expect(t, "1.0.0.1", 13335, "Cloudflare, Inc.");
    expect(t, "1.0.0.255", 13335, "Cloudflare, Inc."); /* inclusive end */
    expect(t, "1.0.7.255", 38803, "Gtelecom Pty Ltd"); /* CRLF line */
    expect(t, "1.0.8.0", 0, NULL);                     /* gap */
    expect(t, "1.0.1.0", 0, NULL);                     /* gap */
    expect(t, "0.0.0.1", 0, NULL);                     /* before the first */
    expect(t, "255.255.255.255", 0, NULL);             /* after the last */
    expect(t, "2.0.0.5", 64500, "LLC \"SPUTNIK\"");    /* sorted in, "" unescaped */
    expect(t, "3.0.1.1", 64501, "");                   /* no organisation */
    expect(t, "4.0.1.0", 64502, "Earlier");
    expect(t, "4.0.2.0", 64503, "Later"); /* the later range wins */
    expect(t, "4.0.5.255", 64503, "Later");
    expect(t, "10.0.0.1", 0, NULL);
    expect(t, "2001:db8::1", 64510, "Doc Net");
    expect(t, "2001:db8:0:ffff::1", 64510, "Doc Net");
    expect(t, "2001:db8:1::ff", 64511, "Small, Ltd");
    expect(t, "2001:db8:1::100", 0, NULL);
    expect(t, "2001:db7::1", 0, NULL);
    expect(t, "::ffff:1.0.0.1", 13335, "Cloudflare, Inc."); /* IPv4-mapped: the IPv4 table */
    expect(t, "not-an-ip", 0, NULL);
}

static void test_csv(void **state)
{
    (void)state;
    th_diags d;
    th_diags_init(&d);
    assert_true(th_asn_probe(tmpdir));
    th_asn *t = th_asn_open(tmpdir, &d);
    assert_non_null(t);
    assert_non_null(strstr(th_asn_desc(t), "CSV, 6 IPv4 + 2 IPv6 ranges"));
    check_answers(t);
    th_asn_close(t);
    th_diags_free(&d);
}

static void test_compiled(void **state)
{
    (void)state;
    th_diags d;
    th_diags_init(&d);
    th_asn *t = th_asn_open(tmpdir, &d);
    assert_non_null(t);
    char out[128];
    snprintf(out, sizeof out, "%s/table.bin", tmpdir);
    assert_true(th_asn_write(t, out, &d));
    th_asn_close(t);
    assert_true(th_asn_probe(out));
    th_asn *c = th_asn_open(out, &d);
    assert_non_null(c);
    assert_non_null(strstr(th_asn_desc(c), "compiled, 6 IPv4 + 2 IPv6 ranges"));
    check_answers(c);
    th_asn_close(c);
    /* a truncated table is refused, not read past its end */
    assert_int_equal(truncate(out, 100), 0);
    assert_int_equal(d.errors, 0);
    assert_null(th_asn_open(out, &d));
    assert_true(d.errors > 0);
    th_diags_free(&d);
}

static void test_malformed(void **state)
{
    (void)state;
    char dir[128];
    snprintf(dir, sizeof dir, "%s/bad", tmpdir);
    assert_int_equal(mkdir(dir, 0700), 0);
    write_file(dir, TH_ASN_V4_FILE, "16777216,16777471,13335,ok\n16777472,oops,1,x\n");
    write_file(dir, TH_ASN_V6_FILE, "");
    th_diags d;
    th_diags_init(&d);
    assert_null(th_asn_open(dir, &d));
    assert_int_equal(d.errors, 1);
    assert_int_equal(d.items[0].line, 2); /* the line that is wrong */
    th_diags_free(&d);
    assert_false(th_asn_probe("/nonexistent"));
}

static th_jval *map_ip(const th_mapper *m, th_arena *a, const char *ip)
{
    const char *json = th_arena_printf(
        a, "{\"eventTime\":\"2026-01-01T00:00:00Z\",\"sourceIPAddress\":\"%s\"}", ip);
    th_json_error err;
    th_jval *raw = th_json_parse(a, json, strlen(json), &err);
    assert_non_null(raw);
    return th_ecs_map(m, a, raw, th_str_c(json));
}

/* The mapper writes source.as.number / source.as.organization.name as the
 * pipeline's geoip processor + renames do; nothing for an unknown address. */
static void test_mapper(void **state)
{
    (void)state;
    th_diags d;
    th_diags_init(&d);
    th_mapper_opts o;
    th_mapper_opts_default(&o);
    o.geoip_asn_db = tmpdir;
    th_mapper *m = th_mapper_new(&o, &d);
    assert_non_null(m);
    assert_true(th_mapper_has_asn(m));
    th_arena a;
    th_arena_init(&a, 1 << 14);
    th_jval *doc = map_ip(m, &a, "1.0.4.9");
    th_jval *num = th_jobj_get_path(doc, "source.as.number");
    assert_non_null(num);
    assert_true(th_jis(num, TH_JNUM));
    assert_true(th_str_eqc(num->u.str, "38803"));
    th_jval *org = th_jobj_get_path(doc, "source.as.organization.name");
    assert_non_null(org);
    assert_true(th_str_eqc(org->u.str, "Gtelecom Pty Ltd"));
    doc = map_ip(m, &a, "3.0.0.1");
    assert_non_null(th_jobj_get_path(doc, "source.as.number"));
    assert_null(th_jobj_get_path(doc, "source.as.organization.name"));
    doc = map_ip(m, &a, "10.1.2.3");
    assert_null(th_jobj_get_path(doc, "source.as"));
    doc = map_ip(m, &a, "2001:db8:1::2");
    assert_true(
        th_str_eqc(th_jobj_get_path(doc, "source.as.organization.name")->u.str, "Small, Ltd"));
    th_mapper_free(m);
    th_arena_free(&a);
    th_diags_free(&d);
}

/* The pinned npm package (2.3.2026061719): its CSV and the table `make`
 * compiles from it agree, and well-known networks have their owners. */
static void test_package(void **state)
{
    (void)state;
    char dir[4096], table[4200];
    snprintf(dir, sizeof dir, "%s/%s", th_test_root(), TH_ASN_CSV_DEFAULT);
    snprintf(table, sizeof table, "%s/%s", th_test_root(), TH_ASN_TABLE_DEFAULT);
    if (!th_asn_probe(dir) || !th_asn_probe(table)) {
        print_message("SKIP: %s or %s absent (scripts/setup.sh, make)\n", dir, table);
        skip();
    }
    th_diags d;
    th_diags_init(&d);
    th_asn *csv = th_asn_open(dir, &d), *bin = th_asn_open(table, &d);
    assert_non_null(csv);
    assert_non_null(bin);
    assert_int_equal(th_asn_count(csv, false), th_asn_count(bin, false));
    assert_int_equal(th_asn_count(csv, true), th_asn_count(bin, true));
    static const char *const ips[] = {
        "8.8.8.8",  "1.1.1.1",      "52.94.133.131", "2600:1f18::1", "2001:4860:4860::8888",
        "10.0.0.1", "216.160.83.56"};
    for (size_t i = 0; i < sizeof ips / sizeof ips[0]; i++) {
        uint32_t a = 0, b = 0;
        th_str oa = TH_STR_NULL, ob = TH_STR_NULL;
        bool ha = th_asn_lookup(csv, ips[i], &a, &oa), hb = th_asn_lookup(bin, ips[i], &b, &ob);
        assert_int_equal(ha, hb);
        assert_int_equal(a, b);
        assert_true(th_str_eq(oa, ob));
    }
    expect(bin, "8.8.8.8", 15169, "Google LLC");
    expect(bin, "1.1.1.1", 13335, "Cloudflare, Inc.");
    expect(bin, "2600:1f18::1", 14618, "Amazon.com, Inc.");
    expect(bin, "10.0.0.1", 0, NULL);
    th_asn_close(csv);
    th_asn_close(bin);
    th_diags_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csv),       cmocka_unit_test(test_compiled),
        cmocka_unit_test(test_malformed), cmocka_unit_test(test_mapper),
        cmocka_unit_test(test_package),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
