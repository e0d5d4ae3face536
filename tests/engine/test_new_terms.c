/* new_terms (SEMANTICS.md 5.2), hand-computed scenarios. Times are minutes
 * after T0; lookback 6m / interval 5m unless a test says otherwise. */
#include "fixture.h"

#include "engine/internal.h"

static const stub_pred all = {NULL, NULL};

static void nt_rule(th_rule *r, const char **fields, size_t nf, const char *hist, double lookback,
                    int64_t max)
{
    fx_rule(r, TH_RULE_NEW_TERMS, "NT", lookback, 5, max);
    r->new_terms_fields.items = fields;
    r->new_terms_fields.len = nf;
    r->history_window_start = hist;
}

static size_t count_id(fx *f, const char *id)
{
    size_t n = 0;
    for (size_t i = 0; i < f->nalerts; i++)
        n += strcmp(fx_str(f, i, "event.id"), id) == 0;
    return n;
}

/* kibana.alert.new_terms of alert i as compact JSON */
static const char *terms_of(fx *f, size_t i)
{
    const th_jval *v = th_jobj_get(f->alerts[i], "kibana.alert.new_terms");
    if (!v)
        return "";
    th_buf b;
    th_buf_init(&b);
    th_json_write(&b, v);
    char *s = th_arena_strdup(&f->a, b.data);
    th_buf_free(&b);
    return s;
}

/* What a run gave: its alerts as "id@time[terms]" and the documents the
 * engine kept. */
typedef struct nt_outcome {
    size_t n;
    char alert[400][112];
    uint64_t kept;
    uint64_t state_peak, truncated;
    bool capped;
} nt_outcome;

/* Finishes f's run into o and frees f. */
static void outcome_of(fx *f, nt_outcome *o)
{
    fx_finish(f);
    o->n = f->nalerts;
    for (size_t a = 0; a < f->nalerts && a < 400; a++)
        snprintf(o->alert[a], sizeof o->alert[a], "%s@%lld%s", fx_str(f, a, "event.id"),
                 (long long)f->times[a], terms_of(f, a));
    uint64_t db, mb;
    th_engine_memory(f->e, &o->kept, &db, &mb);
    o->state_peak = fx_report(f, 0)->state_peak_bytes;
    o->capped = fx_report(f, 0)->state_capped;
    o->truncated = fx_report(f, 0)->runs_truncated;
    fx_free(f);
}

static void assert_same_alerts(const nt_outcome *x, const nt_outcome *y)
{
    assert_int_equal(x->n, y->n);
    for (size_t a = 0; a < x->n && a < 400; a++)
        assert_string_equal(x->alert[a], y->alert[a]);
}

static void history_overlap_and_reappearance(void **state)
{
    (void)state;
    fx f;
    fx_init(&f);
    fx_start(&f);
    static const char *fields[] = {"user.name"};
    th_rule r;
    nt_rule(&r, fields, 1, "now-30m", 6, 100);
    th_engine_add_rule(f.e, &r, stub_match, &all, NULL, 0, NULL);
    fx_ev(&f, "bob-old", 1, 1, "\"user\":{\"name\":\"bob\"}");
    fx_ev(&f, "alice1", 20, 20, "\"user\":{\"name\":\"alice\"}");
    fx_ev(&f, "alice2", 22, 22, "\"user\":{\"name\":\"alice\"}");
    fx_ev(&f, "bob-again", 40, 40, "\"user\":{\"name\":\"bob\"}");
    fx_ev(&f, "bob-3", 41, 41, "\"user\":{\"name\":\"bob\"}");
    fx_finish(&f);
    /* run 5: bob new (bob-old). run 20: alice new (alice1); run 25 sees alice1
     * again in the overlap: same (doc, term) -> deduped; alice2 is not new.
     * run 40: history from 10m: bob-old is before it, so bob is new again
     * (bob-again); run 45: first_seen 40 > 39 again, same doc -> deduped. */
    assert_int_equal(f.nalerts, 3);
    assert_string_equal(fx_str(&f, 0, "event.id"), "bob-old");
    assert_int_equal(f.times[0], MIN(5));
    assert_string_equal(fx_str(&f, 1, "event.id"), "alice1");
    assert_int_equal(f.times[1], MIN(20));
    assert_string_equal(fx_str(&f, 2, "event.id"), "bob-again");
    assert_int_equal(f.times[2], MIN(40));
    assert_string_equal(terms_of(&f, 2), "[\"bob\"]");
    assert_int_equal(count_id(&f, "alice2"), 0);
    fx_free(&f);
}

static void first_sighting_exactly_at_from_is_not_new(void **state)
{
    (void)state;
    fx f;
    fx_init(&f);
    f.o.from_ms = MIN(10);
    f.o.to_ms = MIN(10);
    fx_start(&f);
    static const char *fields[] = {"user.name"};
    th_rule r;
    nt_rule(&r, fields, 1, "now-1h", 5, 100); /* no overlap: windows [5,10], [10,15] */
    th_engine_add_rule(f.e, &r, stub_match, &all, NULL, 0, NULL);
    fx_ev(&f, "dave", 5, 5, "\"user\":{\"name\":\"dave\"}");         /* = from of run 10 */
    fx_ev(&f, "erin", 5.001, 5.001, "\"user\":{\"name\":\"erin\"}"); /* just after */
    fx_finish(&f);
    assert_int_equal(f.nalerts, 1);
    assert_string_equal(fx_str(&f, 0, "event.id"), "erin");
    assert_int_equal(f.times[0], MIN(10));
    fx_free(&f);
}

static void arrays_cartesian_and_missing(void **state)
{
    (void)state;
    fx f;
    fx_init(&f);
    fx_start(&f);
    static const char *fields[] = {"x", "y"};
    th_rule r;
    nt_rule(&r, fields, 2, "now-1h", 6, 100);
    th_engine_add_rule(f.e, &r, stub_match, &all, NULL, 0, NULL);
    fx_ev(&f, "hist", 1, 1, "\"x\":\"1\",\"y\":\"z\"");
    fx_ev(&f, "arr", 20, 20, "\"x\":[\"2\",\"1\",\"3\"],\"y\":\"z\""); /* (2,z), (3,z) new */
    fx_ev(&f, "missing", 21, 21, "\"x\":\"9\"");                        /* no y: no tuple */
    fx_ev(&f, "nullish", 22, 22, "\"x\":\"8\",\"y\":null");            /* null: no tuple */
    fx_finish(&f);
    assert_int_equal(f.nalerts, 3);
    assert_string_equal(fx_str(&f, 0, "event.id"), "hist");
    assert_string_equal(terms_of(&f, 0), "[\"1\",\"z\"]");
    /* one document, two new tuples: two alerts, composite key order */
    assert_string_equal(fx_str(&f, 1, "event.id"), "arr");
    assert_string_equal(terms_of(&f, 1), "[\"2\",\"z\"]");
    assert_string_equal(fx_str(&f, 2, "event.id"), "arr");
    assert_string_equal(terms_of(&f, 2), "[\"3\",\"z\"]");
    assert_string_not_equal(fx_str(&f, 1, "kibana.alert.uuid"), fx_str(&f, 2, "kibana.alert.uuid"));
    fx_free(&f);
}

static void earliest_doc_builds_the_alert_and_numbers_stay_numbers(void **state)
{
    (void)state;
    fx f;
    fx_init(&f);
    fx_start(&f);
    static const char *fields[] = {"source.as.number"};
    th_rule r;
    nt_rule(&r, fields, 1, "now-1h", 6, 100);
    th_engine_add_rule(f.e, &r, stub_match, &all, NULL, 0, NULL);
    fx_ev(&f, "later", 3, 3, "\"source\":{\"as\":{\"number\":64512}}");
    fx_ev(&f, "earlier", 2, 2, "\"source\":{\"as\":{\"number\":64512}}");
    fx_finish(&f);
    assert_int_equal(f.nalerts, 1);
    assert_string_equal(fx_str(&f, 0, "event.id"), "earlier");
    assert_string_equal(terms_of(&f, 0), "[64512]");
    fx_free(&f);
}

static void max_signals_in_key_order_then_next_run(void **state)
{
    (void)state;
    fx f;
    fx_init(&f);
    fx_start(&f);
    static const char *fields[] = {"user.name"};
    th_rule r;
    nt_rule(&r, fields, 1, "now-1h", 6, 2);
    th_engine_add_rule(f.e, &r, stub_match, &all, NULL, 0, NULL);
    fx_ev(&f, "t3", 4.5, 4.5, "\"user\":{\"name\":\"t3\"}");
    fx_ev(&f, "t1", 4.5, 4.5, "\"user\":{\"name\":\"t1\"}");
    fx_ev(&f, "t2", 4.5, 4.5, "\"user\":{\"name\":\"t2\"}");
    fx_finish(&f);
    /* run 5: t1, t2 (key order), truncated; run 10 ([4,10]): t1, t2 are
     * duplicates (not counted), t3 still new (4.5 > 4) */
    assert_int_equal(f.nalerts, 3);
    assert_string_equal(fx_str(&f, 0, "event.id"), "t1");
    assert_string_equal(fx_str(&f, 1, "event.id"), "t2");
    assert_int_equal(f.times[1], MIN(5));
    assert_string_equal(fx_str(&f, 2, "event.id"), "t3");
    assert_int_equal(f.times[2], MIN(10));
    assert_int_equal(fx_report(&f, 0)->runs_truncated, 1);
    fx_free(&f);
}

static void state_cap_is_reported(void **state)
{
    (void)state;
    fx f;
    fx_init(&f);
    f.o.max_state_bytes = 600;
    fx_start(&f);
    static const char *fields[] = {"user.name"};
    th_rule r;
    nt_rule(&r, fields, 1, "now-1h", 6, 100);
    th_engine_add_rule(f.e, &r, stub_match, &all, NULL, 0, NULL);
    for (int i = 0; i < 50; i++) {
        char extra[64], id[16];
        snprintf(extra, sizeof extra, "\"user\":{\"name\":\"u%d\"}", i);
        snprintf(id, sizeof id, "e%d", i);
        fx_ev(&f, id, 1 + i * 0.01, 1, extra);
    }
    fx_finish(&f);
    assert_true(fx_report(&f, 0)->state_capped);
    assert_true(fx_report(&f, 0)->state_peak_bytes <= 600);
    assert_true(f.nalerts < 50);
    assert_true(f.nalerts > 0);
    fx_free(&f);
}

/* Same events in time order and in reverse: the same alerts (the hot pass
 * keeps fewer documents for in-order input, never a needed one). */
static void input_order_does_not_matter_and_repeats_are_not_kept(void **state)
{
    (void)state;
    static nt_outcome out[2];
    for (int pass = 0; pass < 2; pass++) {
        fx f;
        fx_init(&f);
        fx_start(&f);
        static const char *fields[] = {"user.name"};
        th_rule r;
        nt_rule(&r, fields, 1, "now-2h", 6, 100);
        th_engine_add_rule(f.e, &r, stub_match, &all, NULL, 0, NULL);
        for (int k = 0; k < 200; k++) {
            int i = pass == 0 ? k : 199 - k;
            /* user u(i%7) every 3 minutes, and a long pause after event 100 */
            double t = i * 3.0 + (i > 100 ? 400 : 0);
            char id[16], extra[64];
            snprintf(id, sizeof id, "e%03d", i);
            snprintf(extra, sizeof extra, "\"user\":{\"name\":\"u%d\"}", (i * 5) % 7);
            fx_ev(&f, id, t, t, extra);
        }
        outcome_of(&f, &out[pass]);
    }
    /* 7 users new at the start, and again after the 400-minute pause (> 2h) */
    assert_int_equal(out[0].n, 14);
    assert_same_alerts(&out[0], &out[1]);
    assert_int_equal(out[0].kept, 14); /* only the documents that can build alerts */
    assert_true(out[1].kept >= out[0].kept);
}

/* The hot pass drops a match's document only where another match of each of
 * its tuples comes first in every window it is in: over shuffled events with
 * tied times, event.ingested apart from @timestamp (or absent) and two-field
 * tuples from arrays, the alerts equal those of a run that keeps every
 * document (a trace keeps them all and changes no result). */
static void dropped_documents_never_change_the_alerts(void **state)
{
    (void)state;
    static const char *hists[] = {"now-2h", "now-30m"};
    for (unsigned seed = 1; seed <= 40; seed++) {
        static nt_outcome out[2];
        for (int pass = 0; pass < 2; pass++) {
            fx f;
            fx_init(&f);
            fx_start(&f);
            static const char *fields[] = {"user.name", "source.ip"};
            th_rule r;
            nt_rule(&r, fields, 2, hists[seed % 2], 6, 100);
            size_t ri = th_engine_add_rule(f.e, &r, stub_match, &all, NULL, 0, NULL);
            th_engine_trace t;
            memset(&t, 0, sizeof t);
            t.id = "none";
            t.rule = ri;
            if (pass == 1)
                th_engine_set_trace(f.e, &t);
            unsigned x = seed * 2654435761u, users = 2 + seed % 24; /* sparse or dense tuples */
            for (int i = 0; i < 300; i++) {
                x = x * 1103515245u + 12345u;
                unsigned v = x >> 8;
                double ts = (double)(v % 240); /* whole minutes: many ties */
                double ing = (v >> 8) % 3 == 0 ? -1 : ts + (double)((v >> 10) % 3);
                char id[16], extra[96];
                snprintf(id, sizeof id, "e%03d", i);
                snprintf(extra, sizeof extra,
                         "\"user\":{\"name\":\"u%u\"},\"source\":{\"ip\":[\"10.0.0.%u\",\"10.0.1.%u\"]}",
                         (v >> 12) % users, (v >> 15) % 3, (v >> 17) % 2);
                fx_ev(&f, id, ing, ts, extra);
            }
            outcome_of(&f, &out[pass]);
        }
        assert_true(out[0].n > 0);
        assert_same_alerts(&out[0], &out[1]);
        assert_true(out[0].kept < out[1].kept); /* the pruning did something */
    }
}

/* The memos of new_terms.c (a match's terms, and its entry of the hot
 * pass's map, found by the ids of its lists) against the same run without
 * them: single string values (whose lists are shared, so the memos hit),
 * more tuples than memo slots (collisions), tied times, event.ingested
 * apart or absent, some events without a field, and a state cap reached
 * part way (which the memos must charge as the lookups do). Same alerts,
 * documents kept, state peak and cap, runs truncated. */
static void memos_change_nothing(void **state)
{
    (void)state;
    for (unsigned seed = 1; seed <= 30; seed++) {
        static nt_outcome out[2];
        for (int pass = 0; pass < 2; pass++) {
            fx f;
            fx_init(&f);
            f.o.max_state_bytes = seed % 3 == 0 ? 2000 + 400 * seed : 0;
            fx_start(&f);
            f.e->nt_no_memo = pass == 1;
            static const char *fields[] = {"user.name", "source.ip"};
            th_rule r;
            nt_rule(&r, fields, 2, seed % 2 ? "now-2h" : "now-30m", 6, 5 + seed % 7);
            th_engine_add_rule(f.e, &r, stub_match, &all, NULL, 0, NULL);
            /* many users and few addresses, or the other way round */
            unsigned x = seed * 2654435761u, users = seed % 2 ? 2 + seed % 40 : 2 + seed % 5;
            unsigned ips = seed % 2 ? 1 + seed % 12 : 20 + (seed * 7) % 60;
            for (int i = 0; i < 300; i++) {
                x = x * 1103515245u + 12345u;
                unsigned v = x >> 8;
                double ts = (double)(v % 240); /* whole minutes: many ties */
                double ing = (v >> 8) % 3 == 0 ? -1 : ts + (double)((v >> 10) % 3);
                char id[16], extra[96];
                snprintf(id, sizeof id, "e%03d", i);
                if ((v >> 20) % 17 == 0)
                    snprintf(extra, sizeof extra, "\"user\":{\"name\":\"u%u\"}", (v >> 12) % users);
                else
                    snprintf(extra, sizeof extra,
                             "\"user\":{\"name\":\"u%u\"},\"source\":{\"ip\":\"10.0.0.%u\"}",
                             (v >> 12) % users, (v >> 16) % ips);
                fx_ev(&f, id, ing, ts, extra);
            }
            outcome_of(&f, &out[pass]);
        }
        assert_true(out[0].n > 0);
        assert_same_alerts(&out[0], &out[1]);
        assert_int_equal(out[0].kept, out[1].kept);
        assert_int_equal(out[0].state_peak, out[1].state_peak);
        assert_int_equal(out[0].capped, out[1].capped);
        assert_int_equal(out[0].truncated, out[1].truncated);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(history_overlap_and_reappearance),
        cmocka_unit_test(first_sighting_exactly_at_from_is_not_new),
        cmocka_unit_test(arrays_cartesian_and_missing),
        cmocka_unit_test(earliest_doc_builds_the_alert_and_numbers_stay_numbers),
        cmocka_unit_test(max_signals_in_key_order_then_next_run),
        cmocka_unit_test(state_cap_is_reported),
        cmocka_unit_test(input_order_does_not_matter_and_repeats_are_not_kept),
        cmocka_unit_test(dropped_documents_never_change_the_alerts),
        cmocka_unit_test(memos_change_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
