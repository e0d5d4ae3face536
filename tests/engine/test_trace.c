/* The explain trace (engine.h th_engine_set_trace): what the temporal pass
 * did with one event, on the hand-computed scenarios of test_threshold.c and
 * test_sequence.c (minutes after T0). */
#include "fixture.h"

#include "engine/sequence.h"

static const stub_pred all = {NULL, NULL};

/* history_prevents_recounting's data (lookback 6m, interval 5m, value 3),
 * tracing event `id`. */
static void bob_alice(fx *f, th_rule *r, th_engine_trace *t, const char *id)
{
    static const char *fields[] = {"user.name"};
    fx_init(f);
    fx_start(f);
    fx_rule(r, TH_RULE_THRESHOLD, "TH", 6, 5, 100);
    r->threshold_fields.items = fields;
    r->threshold_fields.len = 1;
    r->threshold_value = 3;
    memset(t, 0, sizeof *t);
    t->id = id;
    t->rule = th_engine_add_rule(f->e, r, stub_match, &all, NULL, 0, NULL);
    th_engine_set_trace(f->e, t);
    const char *bob = "\"user\":{\"name\":\"bob\"}", *alice = "\"user\":{\"name\":\"alice\"}";
    fx_ev(f, "b1", 1, 1, bob);
    fx_ev(f, "b2", 2, 2, bob);
    fx_ev(f, "b3", 4.5, 4.5, bob);
    fx_ev(f, "b4", 6, 6, bob);
    fx_ev(f, "b5", 7, 7, bob);
    fx_ev(f, "a1", 6, 6, alice);
    fx_ev(f, "a2", 7, 7, alice);
    fx_ev(f, "a3", 8, 8, alice);
    fx_finish(f);
}

static void threshold_alerted_then_history(void **state)
{
    (void)state;
    fx f;
    th_rule r;
    th_engine_trace t;
    bob_alice(&f, &r, &t, "b3");
    /* run 5 [-1,5]: bob {1,2,4.5} = 3 -> alert; run 10 [4,10]: b3 left out */
    assert_true(t.matched);
    assert_int_equal(t.nruns, 2);
    assert_int_equal(t.runs[0].run_ms, MIN(5));
    assert_int_equal(t.runs[0].from_ms, MIN(-1));
    assert_string_equal(t.runs[0].key, "user.name: \"bob\"");
    assert_int_equal(t.runs[0].count, 3);
    assert_true(t.runs[0].alerted);
    assert_int_equal(t.runs[1].run_ms, MIN(10));
    assert_true(t.runs[1].history);
    assert_false(t.runs[1].alerted);
    fx_free(&f);
}

static void threshold_below_value(void **state)
{
    (void)state;
    fx f;
    th_rule r;
    th_engine_trace t;
    bob_alice(&f, &r, &t, "b4");
    /* run 10 [4,10]: bob {6,7} (4.5 excluded by history) = 2 < 3 */
    assert_int_equal(t.nruns, 1);
    assert_int_equal(t.runs[0].run_ms, MIN(10));
    assert_int_equal(t.runs[0].count, 2);
    assert_false(t.runs[0].alerted);
    assert_false(t.runs[0].history);
    fx_free(&f);
    bob_alice(&f, &r, &t, "nope"); /* an id not in the data: nothing traced */
    assert_false(t.matched);
    assert_int_equal(t.nruns, 0);
    fx_free(&f);
}

static void threshold_truncated_and_cardinality(void **state)
{
    (void)state;
    fx f;
    fx_init(&f);
    fx_start(&f);
    static const char *fields[] = {"user.name"};
    th_rule r;
    fx_rule(&r, TH_RULE_THRESHOLD, "TH", 6, 5, 2);
    r.threshold_fields.items = fields;
    r.threshold_fields.len = 1;
    r.threshold_value = 1;
    r.cardinality_field = "source.ip";
    r.cardinality_value = 1;
    th_engine_trace t = {.id = "x3"};
    t.rule = th_engine_add_rule(f.e, &r, stub_match, &all, NULL, 0, NULL);
    th_engine_set_trace(f.e, &t);
    fx_ev(&f, "x3", 4.5, 4.5, "\"user\":{\"name\":\"u3\"},\"source\":{\"ip\":\"1.1.1.1\"}");
    fx_ev(&f, "x1", 4.5, 4.5, "\"user\":{\"name\":\"u1\"},\"source\":{\"ip\":\"1.1.1.1\"}");
    fx_ev(&f, "x2", 4.5, 4.5, "\"user\":{\"name\":\"u2\"},\"source\":{\"ip\":\"1.1.1.1\"}");
    fx_ev(&f, "x4", 5, 5, "\"user\":{\"name\":\"u3\"},\"source\":{\"ip\":\"2.2.2.2\"}");
    fx_finish(&f);
    /* run 5: u1, u2 alert, u3 qualifies past max_signals 2; run 10: u3 alerts
     * with x3 and x4 (2 events, 2 distinct source.ip) */
    assert_int_equal(t.nruns, 2);
    assert_true(t.runs[0].truncated);
    assert_false(t.runs[0].alerted);
    assert_int_equal(t.runs[0].count, 2);
    assert_true(t.runs[1].alerted);
    assert_int_equal(t.runs[1].count, 2);
    assert_int_equal(t.runs[1].cardinality, 2);
    fx_free(&f);
}

/* matcher_maxspan_trim_and_overlap's data (lookback 30m, interval 10m,
 * maxspan 15m), tracing `id`; returns the union of its flags. */
static unsigned seq_trace(const char *id, th_engine_trace *t)
{
    fx f;
    fx_init(&f);
    fx_start(&f);
    th_rule r;
    fx_rule(&r, TH_RULE_EQL, "SEQ", 30, 10, 100);
    static const stub_pred s0 = {"op", "List"}, s1 = {"op", "Invoke"};
    th_seq_stage stages[] = {{stub_match, &s0}, {stub_match, &s1}};
    static const char *keys[] = {"k"};
    memset(t, 0, sizeof *t);
    t->id = id;
    t->rule = th_engine_add_sequence(f.e, &r, stages, 2, keys, 1, 15 * 60000, NULL);
    th_engine_set_trace(f.e, t);
    static const struct {
        const char *id;
        double min;
        const char *op, *k;
    } evs[] = {
        {"A1", 1, "List", "K1"},    {"A2", 2, "List", "K1"},    {"B1", 5, "Invoke", "K1"},
        {"C1", 1, "List", "K2"},    {"D1", 17, "Invoke", "K2"}, {"E1", 3, "List", "K3"},
        {"F1", 18, "Invoke", "K3"}, {"N1", 4, "List", NULL},
    };
    for (size_t i = 0; i < sizeof evs / sizeof evs[0]; i++) {
        char extra[96];
        if (evs[i].k)
            snprintf(extra, sizeof extra, "\"k\":\"%s\",\"op\":\"%s\"", evs[i].k, evs[i].op);
        else
            snprintf(extra, sizeof extra, "\"op\":\"%s\"", evs[i].op);
        fx_ev(&f, evs[i].id, evs[i].min, evs[i].min, extra);
    }
    fx_finish(&f);
    fx_free(&f);
    unsigned u = 0;
    for (size_t i = 0; i < t->nruns; i++)
        u |= t->runs[i].seq;
    return u;
}

static void sequence_flags(void **state)
{
    (void)state;
    th_engine_trace t;
    /* A2 opened K1's candidate, B1 completed it: alerted (run 10, again 20, 30) */
    assert_int_equal(seq_trace("A2", &t),
                     TH_TRACE_SEQ_OPENED | TH_TRACE_SEQ_COMPLETED | TH_TRACE_SEQ_ALERTED);
    assert_int_equal(t.stages, 1u);
    assert_int_equal(t.nruns, 3);
    assert_string_equal(t.runs[0].key, "k: \"K1\"");
    assert_int_equal(seq_trace("B1", &t),
                     TH_TRACE_SEQ_EXTENDED | TH_TRACE_SEQ_COMPLETED | TH_TRACE_SEQ_ALERTED);
    assert_int_equal(t.stages, 2u);
    /* A1 was trimmed when B1 took the later A2 */
    assert_int_equal(seq_trace("A1", &t), TH_TRACE_SEQ_OPENED);
    /* D1: 16m after C1 in runs 20 and 30; in run 40 [10,40] C1 is gone */
    assert_int_equal(seq_trace("D1", &t), TH_TRACE_SEQ_MAXSPAN | TH_TRACE_SEQ_NO_PRIOR);
    /* F1: exactly maxspan after E1: allowed */
    assert_true(seq_trace("F1", &t) & TH_TRACE_SEQ_ALERTED);
    /* N1 has no join key: matched, but in no candidate */
    assert_int_equal(seq_trace("N1", &t), 0);
    assert_true(t.matched);
    assert_int_equal(t.nruns, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(threshold_alerted_then_history),
        cmocka_unit_test(threshold_below_value),
        cmocka_unit_test(threshold_truncated_and_cardinality),
        cmocka_unit_test(sequence_flags),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
