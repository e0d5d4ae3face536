/* EQL sequences (SEMANTICS.md 4.7, 4.9), hand-computed; lookback 30m,
 * interval 10m, maxspan 15m, minutes after T0. */
#include "fixture.h"

#include "engine/sequence.h"

static void seq_ev(fx *f, const char *id, double min, const char *action, const char *key)
{
    char extra[160];
    if (key)
        snprintf(extra, sizeof extra, "\"k\":\"%s\",\"cloud\":{\"account\":{\"id\":\"111\"}},\"op\":\"%s\"",
                 key, action);
    else
        snprintf(extra, sizeof extra, "\"op\":\"%s\"", action);
    fx_ev(f, id, min, min, extra);
}

static void matcher_maxspan_trim_and_overlap(void **state)
{
    (void)state;
    fx f;
    fx_init(&f);
    fx_start(&f);
    th_rule r;
    fx_rule(&r, TH_RULE_EQL, "SEQ", 30, 10, 100);
    static const stub_pred s0 = {"op", "List"}, s1 = {"op", "Invoke"};
    th_seq_stage stages[] = {{stub_match, &s0}, {stub_match, &s1}};
    static const char *keys[] = {"k"};
    th_engine_add_sequence(f.e, &r, stages, 2, keys, 1, 15 * 60000, NULL);
    seq_ev(&f, "A1", 1, "List", "K1");
    seq_ev(&f, "A2", 2, "List", "K1");
    seq_ev(&f, "B1", 5, "Invoke", "K1");  /* takes A2 (latest), A1 trimmed */
    seq_ev(&f, "C1", 1, "List", "K2");
    seq_ev(&f, "D1", 17, "Invoke", "K2"); /* 16m after C1: beyond maxspan */
    seq_ev(&f, "E1", 3, "List", "K3");
    seq_ev(&f, "F1", 18, "Invoke", "K3"); /* exactly 15m: allowed */
    seq_ev(&f, "N1", 4, "List", NULL);    /* no key: no part */
    seq_ev(&f, "N2", 6, "Invoke", NULL);
    fx_finish(&f);
    /* K1 found by runs 10, 20, 30 and K3 by runs 20, 30: ids dedup -> 2 shells + 4 blocks */
    assert_int_equal(fx_report(&f, 0)->alerts, 2);
    assert_int_equal(fx_report(&f, 0)->building_blocks, 4);
    assert_int_equal(f.nalerts, 6);
    /* run 10: K1's blocks (A2, B1) then its shell */
    assert_string_equal(fx_str(&f, 0, "event.id"), "A2");
    assert_string_equal(fx_str(&f, 0, "kibana.alert.building_block_type"), "default");
    assert_int_equal(fx_int(&f, 0, "kibana.alert.group.index"), 0);
    assert_string_equal(fx_str(&f, 1, "event.id"), "B1");
    assert_int_equal(fx_int(&f, 1, "kibana.alert.group.index"), 1);
    assert_int_equal(f.times[2], MIN(10));
    assert_string_equal(fx_str(&f, 2, "kibana.alert.building_block_type"), "");
    assert_string_equal(fx_str(&f, 2, "kibana.alert.group.id"), fx_str(&f, 0, "kibana.alert.group.id"));
    assert_string_equal(fx_str(&f, 2, "kibana.alert.uuid"), fx_str(&f, 0, "kibana.alert.group.id"));
    /* the shell's source: what both events share */
    assert_string_equal(fx_str(&f, 2, "k"), "K1");
    assert_string_equal(fx_str(&f, 2, "cloud.account.id"), "111");
    assert_string_equal(fx_str(&f, 2, "op"), "");
    assert_string_equal(fx_str(&f, 2, "event.id"), "");
    const th_jval *anc = th_jobj_get(f.alerts[2], "kibana.alert.ancestors");
    assert_non_null(anc);
    assert_int_equal(anc->len, 2);
    /* run 20: K3 (E1, F1) */
    assert_string_equal(fx_str(&f, 3, "event.id"), "E1");
    assert_string_equal(fx_str(&f, 4, "event.id"), "F1");
    assert_int_equal(f.times[5], MIN(20));
    fx_free(&f);
}

static void header_split(void **state)
{
    (void)state;
    th_arena a;
    th_arena_init(&a, 4096);
    th_seq_text st;
    char err[128];
    const char *q = "sequence by user.id, `a b` with maxspan=15m\n"
                    "  [any where x == \"]\" // comment ]\n]\n  [any where y : (\"a\", \"[b\")]";
    assert_true(th_seq_is_sequence(q));
    assert_true(th_seq_split(&a, q, &st, err, sizeof err));
    assert_int_equal(st.nkeys, 2);
    assert_string_equal(st.keys[0], "user.id");
    assert_string_equal(st.keys[1], "a b");
    assert_int_equal(st.maxspan_ms, 15 * 60000);
    assert_int_equal(st.nstages, 2);
    assert_string_equal(st.stage[1], "any where y : (\"a\", \"[b\")");
    assert_false(th_seq_is_sequence("any where true"));
    assert_false(th_seq_split(&a, "sequence [a where true] [b where true] until [c where true]", &st,
                              err, sizeof err));
    assert_non_null(strstr(err, "until"));
    assert_false(th_seq_split(&a, "sequence [a where true] by x [b where true]", &st, err, sizeof err));
    assert_false(th_seq_split(&a, "sequence [a where true]", &st, err, sizeof err));
    assert_false(th_seq_split(&a, "sequence [a where \"unterminated]", &st, err, sizeof err));
    th_arena_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(matcher_maxspan_trim_and_overlap),
        cmocka_unit_test(header_split),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
