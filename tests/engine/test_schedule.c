/* engine scheduler: windows, overlap de-duplication, inclusive edges, the
 * event.ingested fallback, max_signals truncation order (query vs EQL),
 * the rules whose matches retention drops,
 * prefilter routing, and the alert document. Every expectation below was
 * computed by hand from SEMANTICS.md 2.2-2.6 (times in minutes after T0). */
#include "fixture.h"

#include "engine/internal.h"

static const stub_pred all = {NULL, NULL};

static void windows_and_overlap_dedup(void **state)
{
    (void)state;
    fx f;
    fx_init(&f);
    fx_start(&f);
    th_rule r;
    fx_rule(&r, TH_RULE_QUERY, "Q", 6, 5, 100);
    th_engine_add_rule(f.e, &r, stub_match, &all, NULL, 0, NULL);
    fx_ev(&f, "e1", 1, 1, NULL);
    fx_ev(&f, "e2", 4.5, 4.5, NULL); /* in runs 5 ([-1,5]) and 10 ([4,10]) */
    fx_ev(&f, "e3", 7, 7, NULL);
    fx_finish(&f);
    assert_int_equal(f.nalerts, 3);
    assert_string_equal(fx_str(&f, 0, "event.id"), "e1");
    assert_string_equal(fx_str(&f, 1, "event.id"), "e2");
    assert_string_equal(fx_str(&f, 2, "event.id"), "e3");
    assert_int_equal(f.times[0], MIN(5));
    assert_int_equal(f.times[1], MIN(5));
    assert_int_equal(f.times[2], MIN(10));
    /* runs at 5 and 10 (the last window reaching back to the last event) */
    assert_int_equal(fx_report(&f, 0)->runs, 2);
    assert_int_equal(fx_report(&f, 0)->alerts, 3);
    assert_int_equal(fx_report(&f, 0)->runs_truncated, 0);
    fx_free(&f);
}

/* th_sched_each finds each run's first match by doubling steps over the
 * sorted matches: bursts of 40 and 20 matches at one time, single ones after
 * gaps. A step past a match that a later window holds skips its run (and its
 * alerts); every match here is in a run of its own time or the next. */
static void runs_after_bursts(void **state)
{
    (void)state;
    fx f;
    fx_init(&f);
    fx_start(&f);
    th_rule r;
    fx_rule(&r, TH_RULE_QUERY, "Q", 6, 5, 100);
    th_engine_add_rule(f.e, &r, stub_match, &all, NULL, 0, NULL);
    char id[16];
    for (int i = 0; i < 40; i++) {
        snprintf(id, sizeof id, "a%d", i);
        fx_ev(&f, id, 1, 1, NULL); /* run 5 */
    }
    for (int i = 0; i < 3; i++) {
        snprintf(id, sizeof id, "b%d", i);
        fx_ev(&f, id, 13, 13, NULL); /* run 15 */
    }
    fx_ev(&f, "c", 29, 29, NULL); /* run 30 */
    for (int i = 0; i < 20; i++) {
        snprintf(id, sizeof id, "d%d", i);
        fx_ev(&f, id, 60, 60, NULL); /* run 60 ([54,60]) */
    }
    fx_ev(&f, "e", 61, 61, NULL); /* run 65 */
    fx_finish(&f);
    assert_int_equal(f.nalerts, 65);
    for (size_t i = 0; i < 40; i++)
        assert_int_equal(f.times[i], MIN(5));
    for (size_t i = 40; i < 43; i++)
        assert_int_equal(f.times[i], MIN(15));
    assert_string_equal(fx_str(&f, 43, "event.id"), "c");
    assert_int_equal(f.times[43], MIN(30));
    for (size_t i = 44; i < 64; i++)
        assert_int_equal(f.times[i], MIN(60));
    assert_string_equal(fx_str(&f, 64, "event.id"), "e");
    assert_int_equal(f.times[64], MIN(65));
    assert_int_equal(fx_report(&f, 0)->runs, 13); /* 5 to 65 */
    fx_free(&f);
}

static void inclusive_edges_and_period(void **state)
{
    (void)state;
    fx f;
    fx_init(&f);
    f.o.from_ms = MIN(10);
    f.o.to_ms = MIN(20);
    fx_start(&f);
    th_rule r;
    fx_rule(&r, TH_RULE_QUERY, "Q", 5, 5, 100);
    th_engine_add_rule(f.e, &r, stub_match, &all, NULL, 0, NULL);
    fx_ev(&f, "start", 5, 5, NULL);      /* = window start of run 10: included */
    fx_ev(&f, "before", 4.999, 4.999, NULL); /* before the first window */
    fx_ev(&f, "end", 15, 15, NULL);      /* = window end of run 15, start of run 20 */
    fx_ev(&f, "after", 25, 25, NULL);    /* after --to */
    fx_finish(&f);
    assert_int_equal(f.nalerts, 2);
    assert_string_equal(fx_str(&f, 0, "event.id"), "start");
    assert_int_equal(f.times[0], MIN(10));
    assert_string_equal(fx_str(&f, 1, "event.id"), "end");
    assert_int_equal(f.times[1], MIN(15));
    assert_int_equal(fx_report(&f, 0)->runs, 4); /* 10, 15, 20, 25 */
    int64_t from, to;
    th_engine_period(f.e, &from, &to);
    assert_int_equal(from, MIN(10));
    assert_int_equal(to, MIN(20));
    fx_free(&f);
}

static void ingest_fallback_to_timestamp(void **state)
{
    (void)state;
    fx f;
    fx_init(&f);
    fx_start(&f);
    th_rule r;
    fx_rule(&r, TH_RULE_QUERY, "Q", 6, 5, 100);
    th_engine_add_rule(f.e, &r, stub_match, &all, NULL, 0, NULL);
    fx_ev(&f, "noingest", -1, 2, NULL); /* windows on @timestamp 2 */
    fx_ev(&f, "late", 8, 2, NULL);      /* windows on ingested 8, not @timestamp */
    fx_finish(&f);
    assert_int_equal(f.nalerts, 2);
    assert_string_equal(fx_str(&f, 0, "event.id"), "noingest");
    assert_int_equal(f.times[0], MIN(5));
    assert_string_equal(fx_str(&f, 1, "event.id"), "late");
    assert_int_equal(f.times[1], MIN(10));
    assert_string_equal(fx_str(&f, 1, "kibana.alert.original_time"), "2024-01-01T00:02:00.000Z");
    assert_string_equal(fx_str(&f, 1, "@timestamp"), "2024-01-01T00:10:00.000Z");
    uint64_t n, ing;
    th_engine_event_counts(f.e, &n, &ing);
    assert_int_equal(n, 2);
    assert_int_equal(ing, 1);
    fx_free(&f);
}

static void no_override_windows_on_timestamp(void **state)
{
    (void)state;
    fx f;
    fx_init(&f);
    fx_start(&f);
    th_rule r;
    fx_rule(&r, TH_RULE_QUERY, "Q", 6, 5, 100);
    r.timestamp_override = NULL; /* primary = @timestamp, no fallback */
    th_engine_add_rule(f.e, &r, stub_match, &all, NULL, 0, NULL);
    fx_ev(&f, "late", 8, 2, NULL); /* ingested 8 is ignored: run 5 */
    fx_ev(&f, "ingest-only", 3, 3, NULL);
    fx_feed(&f, "{\"event\":{\"id\":\"no-ts\",\"ingested\":\"2024-01-01T00:04:00Z\"}}");
    fx_finish(&f);
    assert_int_equal(f.nalerts, 2);
    assert_string_equal(fx_str(&f, 0, "event.id"), "late");
    assert_int_equal(f.times[0], MIN(5));
    assert_string_equal(fx_str(&f, 1, "event.id"), "ingest-only");
    fx_free(&f);
}

static void max_signals_query_vs_eql_order(void **state)
{
    (void)state;
    fx f;
    fx_init(&f);
    fx_start(&f);
    th_rule q, eql;
    fx_rule(&q, TH_RULE_QUERY, "Q", 6, 5, 2);
    fx_rule(&eql, TH_RULE_EQL, "E", 6, 5, 2);
    th_engine_add_rule(f.e, &q, stub_match, &all, NULL, 0, NULL);
    th_engine_add_rule(f.e, &eql, stub_match, &all, NULL, 0, NULL);
    /* input order differs from ingest order on purpose */
    fx_ev(&f, "C", 4.5, 0.8, NULL);
    fx_ev(&f, "B", 2, 2, NULL);
    fx_ev(&f, "D", -1, 0.5, NULL); /* no event.ingested: sorts last for query rules */
    fx_ev(&f, "A", 1, 1, NULL);
    fx_finish(&f);
    /* Query, run 5: A(1) B(2) C(4.5) D(missing) -> first 2 = A, B (truncated);
     * run 10 [4,10]: C. D (combined 0.5) never alerts.
     * EQL, run 5: @timestamp order D(0.5) C(0.8) A(1) B(2) -> D, C (truncated);
     * run 10: C again, a duplicate dropped after the fetch. */
    const char *want_q[] = {"A", "B", "C"};
    const char *want_e[] = {"D", "C"};
    size_t nq = 0, ne = 0;
    for (size_t i = 0; i < f.nalerts; i++) {
        const char *rid = fx_str(&f, i, "kibana.alert.rule.rule_id");
        if (strcmp(rid, "Q") == 0) {
            assert_true(nq < 3);
            assert_string_equal(fx_str(&f, i, "event.id"), want_q[nq]);
            assert_int_equal(f.times[i], nq < 2 ? MIN(5) : MIN(10));
            nq++;
        } else {
            assert_true(ne < 2);
            assert_string_equal(fx_str(&f, i, "event.id"), want_e[ne]);
            assert_int_equal(f.times[i], MIN(5));
            ne++;
        }
    }
    assert_int_equal(nq, 3);
    assert_int_equal(ne, 2);
    assert_int_equal(fx_report(&f, 0)->runs_truncated, 1);
    assert_int_equal(fx_report(&f, 1)->runs_truncated, 1);
    fx_free(&f);
}

/* Retention (retain.c) keeps no match that no run can alert, for query and
 * EQL rules alone (th_retain_applies, which the commit asks before it calls
 * th_retain_drop): 20 matches in one minute, two runs hold it, max_signals
 * 2, so at most 4 can alert; the query and the EQL rule drop the others and
 * still alert the first 2 of each run, and the threshold rule, to which
 * retention does not apply, keeps all 20. */
static void retention_applies_to_query_and_eql(void **state)
{
    (void)state;
    fx f;
    fx_init(&f);
    fx_start(&f);
    th_rule q, eql, thr;
    fx_rule(&q, TH_RULE_QUERY, "Q", 5, 5, 2);
    fx_rule(&eql, TH_RULE_EQL, "E", 5, 5, 2);
    eql.timestamp_override = NULL; /* EQL on event.ingested is not retained */
    fx_rule(&thr, TH_RULE_THRESHOLD, "T", 5, 5, 2);
    const char *by[] = {"event.action"};
    thr.threshold_fields.items = by;
    thr.threshold_fields.len = 1;
    thr.threshold_value = 1;
    th_engine_add_rule(f.e, &q, stub_match, &all, NULL, 0, NULL);
    th_engine_add_rule(f.e, &eql, stub_match, &all, NULL, 0, NULL);
    th_engine_add_rule(f.e, &thr, stub_match, &all, NULL, 0, NULL);
    for (int i = 0; i < 20; i++)
        fx_ev(&f, th_arena_printf(&f.a, "e%02d", i), 1 + i / 100.0, 1 + i / 100.0, NULL);
    const th_erule *rq = f.e->rules.items[0], *re = f.e->rules.items[1], *rt = f.e->rules.items[2];
    assert_true(rq->matches.len < 20 && rq->matches.len >= 4);
    assert_true(re->matches.len < 20 && re->matches.len >= 4);
    assert_int_equal(rt->matches.len, 20);
    size_t kq = rq->matches.len, ke = re->matches.len; /* the pass frees them (drop_matches) */
    fx_finish(&f);
    assert_int_equal(fx_report(&f, 0)->matches, 20);
    assert_int_equal(fx_report(&f, 0)->dropped, 20 - kq);
    assert_int_equal(fx_report(&f, 1)->dropped, 20 - ke);
    assert_int_equal(fx_report(&f, 2)->dropped, 0);
    size_t nq = 0, ne = 0;
    for (size_t i = 0; i < f.nalerts; i++) {
        const char *rid = fx_str(&f, i, "kibana.alert.rule.rule_id");
        const char *id = fx_str(&f, i, "event.id");
        if (strcmp(rid, "Q") == 0) /* the first two in sort order, in the run at 5 */
            assert_string_equal(id, nq++ ? "e01" : "e00");
        else if (strcmp(rid, "E") == 0)
            assert_string_equal(id, ne++ ? "e01" : "e00");
    }
    assert_int_equal(nq, 2);
    assert_int_equal(ne, 2);
    fx_free(&f);
}

static void quiet_stretches_are_counted(void **state)
{
    (void)state;
    fx f;
    fx_init(&f);
    fx_start(&f);
    th_rule r;
    fx_rule(&r, TH_RULE_QUERY, "Q", 6, 5, 100);
    th_engine_add_rule(f.e, &r, stub_match, &all, NULL, 0, NULL);
    fx_ev(&f, "first", 1, 1, NULL);
    fx_ev(&f, "last", 3 * 24 * 60, 3 * 24 * 60, NULL);
    fx_finish(&f);
    assert_int_equal(f.nalerts, 2);
    assert_int_equal(f.times[0], MIN(5));
    assert_int_equal(f.times[1], MIN(3 * 24 * 60));
    /* runs 5, 10, ..., 4325 */
    assert_int_equal(fx_report(&f, 0)->runs, (4325 - 5) / 5 + 1);
    fx_free(&f);
}

static void phase_shifts_run_times(void **state)
{
    (void)state;
    fx f;
    fx_init(&f);
    f.o.phase_ms = 2 * 60000;
    fx_start(&f);
    th_rule r;
    fx_rule(&r, TH_RULE_QUERY, "Q", 6, 5, 100);
    th_engine_add_rule(f.e, &r, stub_match, &all, NULL, 0, NULL);
    fx_ev(&f, "x", 3, 3, NULL); /* runs at 2, 7, 12 ...: first is 7 */
    fx_finish(&f);
    assert_int_equal(f.nalerts, 1);
    assert_int_equal(f.times[0], MIN(7));
    fx_free(&f);
}

static void prefilter_routes_events(void **state)
{
    (void)state;
    fx f;
    fx_init(&f);
    fx_start(&f);
    th_rule a, b, c;
    fx_rule(&a, TH_RULE_QUERY, "routed", 6, 5, 100);
    fx_rule(&b, TH_RULE_QUERY, "other", 6, 5, 100);
    fx_rule(&c, TH_RULE_QUERY, "nocase", 6, 5, 100);
    th_str act[] = {TH_STR_LIT("Act")}, other[] = {TH_STR_LIT("Other"), TH_STR_LIT("More")};
    th_str lower[] = {TH_STR_LIT("act")};
    th_prefilter pa = {"event.action", act, 1, false};
    th_prefilter pb[] = {{"event.provider", other, 2, false}, {"event.action", other, 2, false}};
    th_prefilter pc = {"event.action", lower, 1, true};
    th_engine_add_rule(f.e, &a, stub_match, &all, &pa, 1, NULL);
    th_engine_add_rule(f.e, &b, stub_match, &all, pb, 2, NULL);
    th_engine_add_rule(f.e, &c, stub_match, &all, &pc, 1, NULL);
    fx_ev(&f, "x", 1, 1, NULL); /* event.action "Act" */
    fx_ev(&f, "y", 2, 2, NULL);
    fx_finish(&f);
    assert_int_equal(fx_report(&f, 0)->evals, 2);
    assert_int_equal(fx_report(&f, 0)->matches, 2);
    assert_int_equal(fx_report(&f, 1)->evals, 0);
    assert_int_equal(fx_report(&f, 2)->evals, 2);
    assert_int_equal(f.nalerts, 4);
    fx_free(&f);
}

static void alert_document_shape(void **state)
{
    (void)state;
    char first_uuid[65] = "";
    for (int round = 0; round < 2; round++) {
        fx f;
        fx_init(&f);
        fx_start(&f);
        th_rule r;
        fx_rule(&r, TH_RULE_QUERY, "AWS IAM User Addition to Group", 6, 5, 100);
        stub_pred p = {"event.action", "Act"};
        th_engine_add_rule(f.e, &r, stub_match, &p, NULL, 0, NULL);
        fx_ev(&f, "e1", 1, 1,
              "\"source\":{\"ip\":\"1.2.3.4\"},\"user\":{\"name\":\"alice\"},\"x\":{\"kind\":1}");
        fx_feed(&f,
                "{\"@timestamp\":\"2024-01-01T00:02:00Z\",\"event\":{\"id\":\"e2\",\"action\":\"Act\","
                "\"kind\":\"event\",\"category\":[\"iam\"]},\"source\":{\"ip\":\"5.6.7.8\",\"port\":443},"
                "\"user\":{\"name\":\"-\"}}");
        fx_feed(&f, "{\"@timestamp\":\"2024-01-01T00:03:00Z\",\"event\":{\"action\":\"Nope\"}}");
        fx_finish(&f);
        assert_int_equal(f.nalerts, 2);
        assert_string_equal(fx_str(&f, 0, "kibana.alert.reason"),
                            "event with source 1.2.3.4 by alice created medium alert AWS IAM User "
                            "Addition to Group.");
        assert_string_equal(fx_str(&f, 1, "kibana.alert.reason"),
                            "iam event with source 5.6.7.8:443, created medium alert AWS IAM User "
                            "Addition to Group.");
        assert_string_equal(fx_str(&f, 0, "event.kind"), "signal");
        assert_string_equal(fx_str(&f, 1, "event.kind"), "signal"); /* source kind removed */
        assert_null(th_jobj_get_path(f.alerts[1], "event.kind"));
        assert_string_equal(fx_str(&f, 0, "event.action"), "Act");
        assert_string_equal(fx_str(&f, 0, "kibana.alert.rule.name"), "AWS IAM User Addition to Group");
        assert_string_equal(fx_str(&f, 0, "kibana.alert.severity"), "medium");
        assert_int_equal(fx_int(&f, 0, "kibana.alert.risk_score"), 47);
        assert_string_equal(fx_str(&f, 0, "kibana.alert.workflow_status"), "open");
        assert_string_equal(fx_str(&f, 0, "kibana.alert.status"), "active");
        assert_string_equal(fx_str(&f, 0, "kibana.alert.rule.type"), "query");
        assert_string_equal(fx_str(&f, 0, "kibana.alert.original_time"), "2024-01-01T00:01:00.000Z");
        const th_jval *anc = th_jobj_get(f.alerts[0], "kibana.alert.ancestors");
        assert_non_null(anc);
        assert_int_equal(anc->len, 1);
        assert_true(th_str_eqc(th_jstr(th_jobj_get(anc->u.items[0], "id")), "e1"));
        const char *uuid = fx_str(&f, 0, "kibana.alert.uuid");
        assert_int_equal(strlen(uuid), 64);
        assert_string_not_equal(uuid, fx_str(&f, 1, "kibana.alert.uuid"));
        if (round == 0)
            strcpy(first_uuid, uuid);
        else
            assert_string_equal(first_uuid, uuid); /* deterministic */
        fx_free(&f);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(windows_and_overlap_dedup),
        cmocka_unit_test(runs_after_bursts),
        cmocka_unit_test(inclusive_edges_and_period),
        cmocka_unit_test(ingest_fallback_to_timestamp),
        cmocka_unit_test(no_override_windows_on_timestamp),
        cmocka_unit_test(max_signals_query_vs_eql_order),
        cmocka_unit_test(retention_applies_to_query_and_eql),
        cmocka_unit_test(quiet_stretches_are_counted),
        cmocka_unit_test(phase_shifts_run_times),
        cmocka_unit_test(prefilter_routes_events),
        cmocka_unit_test(alert_document_shape),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
