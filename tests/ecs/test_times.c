/* ecs/: th_ecs_times_from (the times of an event from its eventTime text,
 * with a shortcut for CloudTrail's own "YYYY-MM-DDTHH:MM:SSZ") against the
 * times of the mapped document, on every combination of edge values of each
 * field, other forms of the text, and several ingest delays: whenever it gives
 * times, they are the document's. */
#include "th_test.h"

#include <stdio.h>
#include <string.h>

#include "base/timeutil.h"
#include "ecs/javafmt.h"
#include "ecs/mapper.h"
#include "ecs/rawproj.h"
#include "event/event.h"
#include "json/jscan.h"
#include "json/json.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

typedef struct tally {
    unsigned checked, timed, untimed;
} tally;

/* Edge values of each part of CloudTrail's date form, and of their
 * neighbours that are not dates: every combination is a text to check. */
static const char *const years[] = {"0000", "1899", "1969", "1970", "1999", "2000",
                                    "2024", "2025", "2100", "2400", "9999", "20a6"};
static const char *const months[] = {"00", "01", "02", "04", "12", "13", "1x"};
static const char *const days[] = {"00", "01", "28", "29", "30", "31", "32"};
static const char *const clocks[] = {"00:00:00", "23:59:59", "24:00:00",
                                     "12:60:00", "12:00:60", "07:3a:00"};

typedef void (*text_fn)(const th_mapper *m, const char *text, void *ctx);

/* fn on every combination of the edge values */
static void each_edge_text(const th_mapper *m, text_fn fn, void *ctx)
{
    char text[40];
    for (size_t y = 0; y < NELEM(years); y++)
        for (size_t mo = 0; mo < NELEM(months); mo++)
            for (size_t dd = 0; dd < NELEM(days); dd++)
                for (size_t c = 0; c < NELEM(clocks); c++) {
                    snprintf(text, sizeof text, "%s-%s-%sT%sZ", years[y], months[mo], days[dd],
                             clocks[c]);
                    fn(m, text, ctx);
                }
}

static void check_text(const th_mapper *m, const char *text, void *ctx)
{
    tally *t = ctx;
    th_arena a;
    th_arena_init(&a, 1 << 14);
    char rec[256];
    snprintf(rec, sizeof rec,
             "{\"eventVersion\":\"1.08\",\"eventTime\":\"%s\",\"eventSource\":\"s3.amazonaws.com\","
             "\"eventName\":\"GetObject\",\"awsRegion\":\"us-east-1\"}",
             text);
    th_json_error err;
    th_jval *raw = th_json_parse(&a, rec, strlen(rec), &err);
    assert_non_null(raw);
    th_jval *doc = th_ecs_map(m, &a, raw, th_str_c(rec));
    assert_non_null(doc);
    th_event ev = {.doc = doc};
    th_event_read_times(&ev);
    int64_t ts = TH_TIME_NONE, ing = TH_TIME_NONE;
    bool ok = th_ecs_times_from(m, th_str_c(text), &ts, &ing);
    t->checked++;
    if (ok) {
        t->timed++;
        if (ev.timestamp_ms != ts || ev.ingested_ms != ing)
            fail_msg("%s: mapped %lld/%lld, th_ecs_times_from %lld/%lld", text,
                     (long long)ev.timestamp_ms, (long long)ev.ingested_ms, (long long)ts,
                     (long long)ing);
    } else {
        /* not vouched for (not a date, or event.ingested past year 9999): the
         * pipeline maps such a record fully, whatever its document holds */
        t->untimed++;
    }
    th_arena_free(&a);
}

static void times_match_the_mapping(void **state)
{
    (void)state;
    static const char *const other[] = {"2026-10-01T00:03:57.123Z",
                                        "2026-10-01T00:03:57+02:00",
                                        "2026-10-01T00:03:57z",
                                        "2026-10-01 00:03:57Z",
                                        "2026-10-01T00:03:57",
                                        "2026-10-01T00:03Z",
                                        "2026-10-01",
                                        " 2026-10-01T00:03:57Z",
                                        "2026-10-01T00:03:57Z ",
                                        "+2026-10-01T00:03:57Z",
                                        "-2026-10-01T00:03:57Z",
                                        "2026-10-01T00:03:57.Z",
                                        "",
                                        "garbage",
                                        "9999-12-31T23:59:59Z"};
    static const int64_t delays[] = {-1, 0, 300000, 1500, 86400000LL * 400};
    tally t = {0, 0, 0};
    for (size_t di = 0; di < NELEM(delays); di++) {
        th_diags d;
        th_diags_init(&d);
        th_mapper_opts o;
        th_mapper_opts_default(&o);
        o.ingest_delay_ms = delays[di];
        th_mapper *m = th_mapper_new(&o, &d);
        assert_non_null(m);
        each_edge_text(m, check_text, &t);
        for (size_t i = 0; i < NELEM(other); i++)
            check_text(m, other[i], &t);
        th_mapper_free(m);
        th_diags_free(&d);
    }
    print_message("times: %u texts, %u timed, %u not\n", t.checked, t.timed, t.untimed);
    assert_true(t.timed > 1000 && t.untimed > 1000); /* both sides were exercised */
}

typedef struct outcome {
    unsigned parsed, failed;
} outcome;

static void check_timestamp(const th_mapper *m, const char *text, void *ctx)
{
    outcome *n = ctx;
    th_arena a;
    th_arena_init(&a, 1 << 14);
    char rec[256];
    snprintf(rec, sizeof rec, "{\"eventTime\":\"%s\",\"eventName\":\"GetObject\"}", text);
    th_json_error err;
    th_jval *doc = th_ecs_map(m, &a, th_json_parse(&a, rec, strlen(rec), &err), th_str_c(rec));
    assert_non_null(doc);
    th_str ts = th_jstr(th_jobj_get(doc, "@timestamp"));
    int64_t ms;
    if (th_java_date_parse(TH_JDATE_ISO8601, text, strlen(text), &ms)) {
        char want[32];
        th_time_format_iso(ms, want);
        if (!th_str_eqc(ts, want))
            fail_msg("%s: @timestamp %.*s, the date processor %s", text, (int)ts.n,
                     ts.p ? ts.p : "", want);
        n->parsed++;
    } else {
        th_str kind = th_jstr(th_jobj_get_path(doc, "event.kind"));
        if (ts.p || !th_str_eqc(kind, "pipeline_error"))
            fail_msg("%s: the date processor fails, the document has @timestamp "
                     "%.*s and event.kind %.*s",
                     text, (int)ts.n, ts.p ? ts.p : "", (int)kind.n, kind.p ? kind.p : "");
        n->failed++;
    }
    th_arena_free(&a);
}

/* The mapped document's @timestamp against the date processor's general path
 * (th_java_date_parse with ISO8601, written back by th_time_format_iso): the
 * mapping writes CloudTrail's own form without that path (date_val), and must
 * write what it would. */
static void timestamps_match_the_date_processor(void **state)
{
    (void)state;
    th_diags d;
    th_diags_init(&d);
    th_mapper_opts o;
    th_mapper_opts_default(&o);
    th_mapper *m = th_mapper_new(&o, &d);
    assert_non_null(m);
    outcome n = {0, 0};
    each_edge_text(m, check_timestamp, &n);
    th_mapper_free(m);
    th_diags_free(&d);
    print_message("timestamps: %u parsed, %u not\n", n.parsed, n.failed);
    assert_true(n.parsed > 300 && n.failed > 1000); /* both sides were exercised */
}

/* th_ecs_times (the first look's times: times_of in rawproj.c, which
 * remembers a thread's last day and adds the time of day to it) against
 * th_ecs_times_from on the same text, for texts that share a date with the
 * one before them and texts that do not: the edge dates (those the memo
 * keeps and those it must not), every clock after a valid one (the memo
 * then holds that date), other forms of the text with the same date, and
 * delays on both sides of the memo's bound of a year. */
static void day_memo_matches_times_from(void **state)
{
    (void)state;
    static const char *const memo_years[] = {"1969", "1970", "2024", "2026", "2100",
                                             "9997", "9998", "9999", "20a6"};
    static const char *const memo_days[] = {"00", "01", "28", "29", "30", "31", "32"};
    static const char *const memo_clocks[] = {"00:00:00", "23:59:59", "12:34:56", "24:00:00",
                                              "12:60:00", "12:00:60", "07:3a:00", "7:03:00",
                                              "00:00:00.5", "00:00:00+01:00", "0/:00:00",
                                              "00:0::00", "00:00:0:", "00;00:00", "19:59:59",
                                              "20:00:00"};
    static const int64_t delays[] = {-1,         0,         1500, 300000, 31536000000LL - 1,
                                     31536000000LL, 86400000LL * 400};
    unsigned checked = 0, timed = 0;
    th_jscan *scan = th_jscan_new();
    th_ecs_slots sl;
    th_ecs_slots_init(&sl);
    for (size_t di = 0; di < NELEM(delays); di++) {
        th_diags d;
        th_diags_init(&d);
        th_mapper_opts o;
        th_mapper_opts_default(&o);
        o.ingest_delay_ms = delays[di];
        th_mapper *m = th_mapper_new(&o, &d);
        assert_non_null(m);
        th_arena a;
        th_arena_init(&a, 1 << 14);
        char text[48], rec[128];
        for (size_t y = 0; y < NELEM(memo_years); y++)
            for (size_t mo = 0; mo < NELEM(months); mo++)
                for (size_t dd = 0; dd < NELEM(memo_days); dd++)
                    for (size_t c = 0; c < NELEM(memo_clocks); c++) {
                        snprintf(text, sizeof text, "%s-%s-%sT%s%s", memo_years[y], months[mo],
                                 memo_days[dd], memo_clocks[c],
                                 strchr(memo_clocks[c], '+') ? "" : "Z");
                        snprintf(rec, sizeof rec, "{\"eventTime\":\"%s\"}", text);
                        th_json_error err;
                        assert_true(th_jscan_load(scan, rec, strlen(rec), &err));
                        int64_t ts = 1, ing = 2, want_ts = 1, want_ing = 2;
                        /* the first look first: it finds the day of the text before
                         * (or converts), then th_ecs_times finds this text's day */
                        bool start_ok;
                        assert_true(th_ecs_slots_start(m, &a, scan, 0, &sl, &ts, &ing, &start_ok));
                        bool want = th_ecs_times_from(m, th_str_c(text), &want_ts, &want_ing);
                        if (start_ok != want || (want && (ts != want_ts || ing != want_ing)))
                            fail_msg("%s (delay %lld): th_ecs_slots_start %d %lld/%lld", text,
                                     (long long)delays[di], start_ok, (long long)ts,
                                     (long long)ing);
                        ts = 1, ing = 2;
                        bool ok = th_ecs_times(m, &a, scan, &ts, &ing);
                        if (ok != want || ts != want_ts || ing != want_ing)
                            fail_msg("%s (delay %lld): th_ecs_times %d %lld/%lld, "
                                     "th_ecs_times_from %d %lld/%lld",
                                     text, (long long)delays[di], ok, (long long)ts,
                                     (long long)ing, want, (long long)want_ts,
                                     (long long)want_ing);
                        checked++;
                        timed += ok;
                    }
        th_arena_free(&a);
        th_mapper_free(m);
        th_diags_free(&d);
    }
    th_ecs_slots_free(&sl);
    th_jscan_free(scan);
    print_message("day memo: %u texts, %u timed\n", checked, timed);
    assert_true(timed > 1000 && checked - timed > 1000); /* both sides were exercised */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(times_match_the_mapping),
        cmocka_unit_test(timestamps_match_the_date_processor),
        cmocka_unit_test(day_memo_matches_times_from),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
