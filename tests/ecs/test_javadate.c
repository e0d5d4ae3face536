/* The date formats the cloudtrail pipeline's `date` processors name, as
 * Elasticsearch's java.time definitions read them (ecs/javafmt.h): one test
 * per format. Expected instants are derived by hand: 2013-11-02 is day 16011
 * after 1970-01-01 (43 years with 11 leap days = 15706 days to 2013-01-01,
 * then 304 days of January..October and 1), so 2013-11-02T01:06:28Z is
 * 16011 * 86400 + 3988 = 1383354388 s. */
#include "th_test.h"

#include "ecs/javafmt.h"
#include "ecs/mapper.h"
#include "json/json.h"

#define T0 1383354388000LL   /* 2013-11-02T01:06:28Z */
#define DAY0 1383350400000LL /* 2013-11-02T00:00:00Z */

static void ok(th_java_datefmt f, const char *s, int64_t want)
{
    int64_t got = 0;
    if (!th_java_date_parse(f, s, strlen(s), &got))
        fail_msg("%s should read '%s'", th_java_datefmt_name(f), s);
    if (got != want)
        fail_msg("%s '%s': got %lld, want %lld", th_java_datefmt_name(f), s, (long long)got,
                 (long long)want);
}

static void bad(th_java_datefmt f, const char *s)
{
    int64_t got = 0;
    if (th_java_date_parse(f, s, strlen(s), &got))
        fail_msg("%s should refuse '%s' (got %lld)", th_java_datefmt_name(f), s, (long long)got);
}

static void test_iso8601(void **state)
{
    (void)state;
    th_java_datefmt f = TH_JDATE_ISO8601;
    ok(f, "2013-11-02T01:06:28Z", T0);
    ok(f, "2013-11-02T01:06:28.123Z", T0 + 123);
    ok(f, "2013-11-02T01:06:28.123456789Z", T0 + 123); /* nanoseconds, kept to ms */
    ok(f, "2013-11-02T01:06:28,5Z", T0 + 500);         /* comma fraction */
    ok(f, "2013-11-02T01:06:28", T0);                  /* no zone: UTC */
    ok(f, "2013-11-02T01:06", DAY0 + 3960000);         /* 01:06 */
    ok(f, "2013-11-02T01", DAY0 + 3600000);
    ok(f, "2013-11-02", DAY0);
    ok(f, "2013-11", 1383264000000LL); /* 2013-11-01: 16010 days */
    ok(f, "2013", 1356998400000LL);    /* 2013-01-01: 15706 days */
    ok(f, "2013-11-02T01:06:28+01:00", T0 - 3600000);
    ok(f, "2013-11-02T01:06:28+0100", T0 - 3600000); /* +HHmm */
    ok(f, "2013-11-02T01:06:28+01", T0 - 3600000);   /* +HH */
    ok(f, "2013-11-02T01:06:28-05:30", T0 + 19800000);
    ok(f, "2013-11-02T01:06:28UTC", T0);
    ok(f, "2013-11-02T01:06:28GMT+02:00", T0 - 7200000);
    ok(f, "2016-02-29T00:00:00Z", 1456704000000LL); /* leap day */
    bad(f, "2013-02-29T00:00:00Z");                 /* not a leap year */
    bad(f, "2013-11-02 01:06:28Z");                 /* space, not T */
    bad(f, "2013-11-02t01:06:28z");                 /* lower case */
    bad(f, "2013-11-02T24:00:00Z");
    bad(f, "2013-11-02T01:06:60Z"); /* no leap second */
    bad(f, "2013-11-31");
    bad(f, "20131102T010628Z"); /* the basic form */
    bad(f, "13-11-02");
    bad(f, "2013-11-02Z"); /* a zone needs the T */
    bad(f, "2013-11-02T01:06:28.Z");
    bad(f, "2013-11-02T01:06:28.1234567891Z"); /* 10 fraction digits */
    bad(f, "2013-11-02T01:06:28+19:00");       /* beyond +18:00 */
    bad(f, "2013-11-02T01:06:28+01:00x");
    bad(f, "");
}

static void test_basic_date_time_no_millis(void **state)
{
    (void)state;
    th_java_datefmt f = TH_JDATE_BASIC_DATE_TIME_NO_MILLIS;
    ok(f, "20131102T010628Z", T0);
    ok(f, "20131102T010628+0100", T0 - 3600000);
    ok(f, "20131102T010628+01:00", T0 - 3600000);
    ok(f, "20131102T010628-0530", T0 + 19800000);
    ok(f, "20131102T010628UTC", T0);
    bad(f, "20131102T010628");      /* the zone is required */
    bad(f, "20131102T010628.123Z"); /* no fraction */
    bad(f, "2013-11-02T01:06:28Z");
    bad(f, "20131302T010628Z"); /* month 13 */
    bad(f, "20131102T0106Z");
}

static void test_basic_date_time(void **state)
{
    (void)state;
    th_java_datefmt f = TH_JDATE_BASIC_DATE_TIME;
    ok(f, "20131102T010628.123Z", T0 + 123);
    ok(f, "20131102T010628.1+0100", T0 - 3600000 + 100);
    ok(f, "20131102T010628.123456789Z", T0 + 123);
    ok(f, "20131102T010628.000+01:00", T0 - 3600000);
    bad(f, "20131102T010628Z"); /* the fraction is required */
    bad(f, "20131102T010628.Z");
    bad(f, "20131102T010628.123"); /* the zone is required */
    bad(f, "2013-11-02T01:06:28.123Z");
}

static th_jval *map(th_arena *a, const th_mapper *m, const char *creation)
{
    const char *json = th_arena_printf(
        a,
        "{\"eventVersion\":\"1.08\",\"eventTime\":\"2013-11-02T01:10:00Z\",\"eventSource\":"
        "\"sts.amazonaws.com\",\"eventName\":\"GetCallerIdentity\",\"userIdentity\":{\"type\":"
        "\"AssumedRole\",\"sessionContext\":{\"attributes\":{\"creationDate\":\"%s\","
        "\"mfaAuthenticated\":\"false\"}}}}",
        creation);
    th_json_error err;
    th_jval *raw = th_json_parse(a, json, strlen(json), &err);
    assert_non_null(raw);
    return th_ecs_map(m, a, raw, th_str_c(json));
}

/* The processor tries ISO8601, basic_date_time_no_millis, basic_date_time in
 * turn: a creationDate in the basic form is a date, not a pipeline error. */
static void test_creation_date(void **state)
{
    (void)state;
    th_diags d;
    th_diags_init(&d);
    th_mapper_opts o;
    th_mapper_opts_default(&o);
    th_mapper *m = th_mapper_new(&o, &d);
    th_arena a;
    th_arena_init(&a, 1 << 14);
    static const char *const forms[] = {"20131102T010628Z", "20131102T010628.000Z",
                                        "2013-11-02T01:06:28Z", "2013-11-02T02:06:28+01:00"};
    for (size_t i = 0; i < 4; i++) {
        th_jval *doc = map(&a, m, forms[i]);
        th_jval *cd =
            th_jobj_get_path(doc, "aws.cloudtrail.user_identity.session_context.creation_date");
        if (!cd || !th_str_eqc(cd->u.str, "2013-11-02T01:06:28.000Z"))
            fail_msg("creationDate %s: wrong or no creation_date", forms[i]);
        assert_null(th_jobj_get_path(doc, "error.message"));
        th_jval *kind = th_jobj_get_path(doc, "event.kind");
        assert_false(kind && th_str_eqc(kind->u.str, "pipeline_error"));
    }
    th_jval *doc = map(&a, m, "yesterday");
    th_jval *kind = th_jobj_get_path(doc, "event.kind");
    assert_non_null(kind);
    assert_true(th_str_eqc(kind->u.str, "pipeline_error"));
    assert_null(
        th_jobj_get_path(doc, "aws.cloudtrail.user_identity.session_context.creation_date"));
    th_mapper_free(m);
    th_arena_free(&a);
    th_diags_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_iso8601),
        cmocka_unit_test(test_basic_date_time_no_millis),
        cmocka_unit_test(test_basic_date_time),
        cmocka_unit_test(test_creation_date),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
