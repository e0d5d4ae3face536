/* Incremental runs (engine.h "incremental runs", snapshot.c): a run split in
 * two engines, the state handed from the first to the second through
 * th_engine_save / th_engine_load_*, gives the alerts of one engine over
 * everything; each check would fail if that piece of state were not
 * carried. Minutes after T0, lookback 6m / interval 5m unless said. */
#include "fixture.h"

#include "base/buf.h"

static const stub_pred all = {NULL, NULL};

/* ---- an in-memory saver -------------------------------------------------- */

typedef struct saved {
    th_arena a;
    th_saved_doc docs[64];
    size_t ndocs;
    int64_t last_run[4];
    th_str blob[4];
    th_saved_alert alerts[16];
    size_t nalerts;
    uint64_t dropped[4]; /* matches left out by the cap, per rule */
} saved;

static th_str keep(saved *s, th_str x)
{
    return th_str_make(th_arena_strndup(&s->a, x.p, x.n), x.n);
}

static void on_doc(void *ctx, uint32_t n, const th_saved_doc *d)
{
    saved *s = ctx;
    assert_int_equal(n, s->ndocs);
    assert_true(s->ndocs < 64);
    th_saved_doc c = *d;
    c.json = keep(s, d->json);
    c.id = keep(s, d->id);
    s->docs[s->ndocs++] = c;
}

static void on_rule(void *ctx, size_t idx, int64_t last_run, const void *blob, size_t len,
                    uint64_t nmatches, uint64_t nids)
{
    (void)nmatches;
    (void)nids;
    saved *s = ctx;
    assert_true(idx < 4);
    s->last_run[idx] = last_run;
    s->blob[idx] = keep(s, th_str_make(blob, len));
}

static void on_alert(void *ctx, const th_saved_alert *a)
{
    saved *s = ctx;
    assert_true(s->nalerts < 16);
    th_saved_alert c = *a;
    c.text = keep(s, a->text);
    c.instance = keep(s, a->instance);
    s->alerts[s->nalerts++] = c;
}

static void on_capped(void *ctx, size_t idx, uint64_t dropped)
{
    saved *s = ctx;
    assert_true(idx < 4);
    s->dropped[idx] = dropped;
}

static void save_capped(fx *f, saved *s, uint64_t cap)
{
    memset(s, 0, sizeof *s);
    th_arena_init(&s->a, 4096);
    th_engine_saver sv = {s, on_doc, on_rule, on_alert, cap, on_capped};
    th_engine_save(f->e, &sv);
}

static void save(fx *f, saved *s) { save_capped(f, s, 0); }

/* the bytes the state file counts for what was saved */
static uint64_t saved_bytes(const saved *s, size_t rule)
{
    uint64_t n = s->blob[rule].n;
    for (size_t i = 0; i < s->ndocs; i++)
        n += s->docs[i].json.n + s->docs[i].id.n + 32;
    return n;
}

static void load(fx *f, saved *s, size_t nrules)
{
    uint32_t map[64];
    for (size_t i = 0; i < s->ndocs; i++)
        map[i] = th_engine_load_doc(f->e, &s->docs[i]);
    for (size_t i = 0; i < nrules; i++)
        assert_true(th_engine_load_rule(f->e, i, s->last_run[i], s->blob[i].p, s->blob[i].n, map,
                                        s->ndocs));
    for (size_t i = 0; i < s->nalerts; i++)
        th_engine_load_alert(f->e, &s->alerts[i]);
}

static void incremental(fx *f, int64_t watermark, uint64_t order_base, bool final)
{
    fx_init(f);
    f->o.incremental = true;
    f->o.final_runs = final;
    f->o.settle_ms = 0;
    f->o.watermark_ms = watermark;
    f->o.order_base = order_base;
    fx_start(f);
}

/* ---- threshold: the signal history crosses the split ---------------------- */

static void th_rule_set(th_rule *r, const char **fields)
{
    fx_rule(r, TH_RULE_THRESHOLD, "TH", 6, 5, 100);
    r->threshold_fields.items = fields;
    r->threshold_fields.len = 1;
    r->threshold_value = 3;
}

static const char *bob = "\"user\":{\"name\":\"bob\"}";
static const char *alice = "\"user\":{\"name\":\"alice\"}";
static const char *carol = "\"user\":{\"name\":\"carol\"}";

static void threshold_first(fx *f)
{
    fx_ev(f, "b1", 1, 1, bob);
    fx_ev(f, "b2", 2, 2, bob);
    fx_ev(f, "b3", 4.5, 4.5, bob);
    fx_ev(f, "c1", 5, 5, carol);
}

static void threshold_second(fx *f)
{
    fx_ev(f, "b4", 6, 6, bob);
    fx_ev(f, "b5", 7, 7, bob);
    fx_ev(f, "a1", 6, 6, alice);
    fx_ev(f, "a2", 7, 7, alice);
    fx_ev(f, "a3", 8, 8, alice);
}

static void threshold_history_carried(void **state)
{
    (void)state;
    static const char *fields[] = {"user.name"};
    th_rule r;
    th_rule_set(&r, fields);
    /* one engine over everything */
    fx one;
    fx_init(&one);
    fx_start(&one);
    th_engine_add_rule(one.e, &r, stub_match, &all, NULL, 0, NULL);
    threshold_first(&one);
    threshold_second(&one);
    fx_finish(&one);
    assert_int_equal(one.nalerts, 2); /* bob at 5, alice at 10; bob not again at 10 */
    /* the same, split after minute 5 */
    fx a;
    incremental(&a, TH_TIME_NONE, 0, false);
    th_engine_add_rule(a.e, &r, stub_match, &all, NULL, 0, NULL);
    threshold_first(&a);
    fx_finish(&a);
    assert_int_equal(a.nalerts, 1);
    assert_int_equal(a.times[0], MIN(5));
    saved s;
    save(&a, &s);
    assert_int_equal(s.last_run[0], MIN(5));
    fx b;
    incremental(&b, th_engine_watermark(a.e), 4, true);
    th_engine_add_rule(b.e, &r, stub_match, &all, NULL, 0, NULL);
    load(&b, &s, 1);
    threshold_second(&b);
    fx_finish(&b);
    /* without the history, run 10 would count bob {4.5, 6, 7} = 3 again */
    assert_int_equal(b.nalerts, 1);
    assert_string_equal(fx_str(&b, 0, "user.name"), "alice");
    assert_int_equal(b.times[0], one.times[1]);
    assert_string_equal(fx_str(&b, 0, "kibana.alert.threshold_result.from"),
                        fx_str(&one, 1, "kibana.alert.threshold_result.from"));
    th_arena_free(&s.a);
    fx_free(&one);
    fx_free(&a);
    fx_free(&b);
}

/* ---- query: alert ids and kept matches cross the split -------------------- */

static void query_ids_and_window_carried(void **state)
{
    (void)state;
    th_rule r;
    fx_rule(&r, TH_RULE_QUERY, "Q", 6, 5, 100);
    fx a;
    incremental(&a, TH_TIME_NONE, 0, false);
    th_engine_add_rule(a.e, &r, stub_match, &all, NULL, 0, NULL);
    fx_ev(&a, "e4", 4, 4, NULL);   /* alerted by run 5, in run 10's window too */
    fx_ev(&a, "e6", 6, 6, NULL);   /* read now, but after the last run (5): later */
    fx_finish(&a);
    /* to = newest event (6): runs 0 and 5 only */
    assert_int_equal(a.nalerts, 1);
    assert_string_equal(fx_str(&a, 0, "event.id"), "e4");
    saved s;
    save(&a, &s);
    assert_int_equal(s.ndocs, 2); /* both are inside a later window */
    fx b;
    incremental(&b, th_engine_watermark(a.e), 2, true);
    th_engine_add_rule(b.e, &r, stub_match, &all, NULL, 0, NULL);
    load(&b, &s, 1);
    fx_ev(&b, "e9", 9, 9, NULL);
    fx_finish(&b);
    /* e4 is not alerted again (its id was carried); e6 comes from the state */
    assert_int_equal(b.nalerts, 2);
    assert_string_equal(fx_str(&b, 0, "event.id"), "e6");
    assert_int_equal(b.times[0], MIN(10));
    assert_string_equal(fx_str(&b, 1, "event.id"), "e9");
    th_arena_free(&s.a);
    fx_free(&a);
    fx_free(&b);
}

/* ---- --max-state-mb: a rule over the cap keeps its newest matches ----------- */

static void cap_trims_oldest(void **state)
{
    (void)state;
    th_rule r;
    fx_rule(&r, TH_RULE_QUERY, "Q", 60, 5, 100);
    fx a;
    incremental(&a, TH_TIME_NONE, 0, false);
    th_engine_add_rule(a.e, &r, stub_match, &all, NULL, 0, NULL);
    char id[16];
    for (int i = 0; i < 20; i++) {
        snprintf(id, sizeof id, "e%02d", i);
        fx_ev(&a, id, 40 + i, 40 + i, "\"user\":{\"name\":\"someone-with-a-long-name\"}");
    }
    fx_finish(&a);
    saved whole;
    save(&a, &whole);
    assert_int_equal(whole.dropped[0], 0);
    assert_int_equal(whole.ndocs, 20); /* all inside the next run's window */
    uint64_t all_bytes = saved_bytes(&whole, 0), cap = all_bytes / 2;
    saved s;
    save_capped(&a, &s, cap);
    /* trimmed, not dropped: under the cap, and the newest matches kept */
    assert_true(s.dropped[0] > 0 && s.dropped[0] < 20);
    assert_int_equal(s.ndocs, 20 - s.dropped[0]);
    assert_true(saved_bytes(&s, 0) <= cap);
    assert_true(saved_bytes(&s, 0) > cap / 2);
    assert_int_equal(s.docs[s.ndocs - 1].id.n, 3);
    assert_memory_equal(s.docs[s.ndocs - 1].id.p, "e19", 3);
    snprintf(id, sizeof id, "e%02d", (int)s.dropped[0]);
    assert_memory_equal(s.docs[0].id.p, id, 3);
    /* what was kept loads, and a later run goes on from it */
    fx b;
    incremental(&b, th_engine_watermark(a.e), 20, true);
    th_engine_add_rule(b.e, &r, stub_match, &all, NULL, 0, NULL);
    load(&b, &s, 1);
    fx_finish(&b);
    th_arena_free(&whole.a);
    th_arena_free(&s.a);
    fx_free(&a);
    fx_free(&b);
}

/* ---- new_terms: the history window reaches past the lookback -------------- */

static void new_terms_history_carried(void **state)
{
    (void)state;
    static const char *fields[] = {"user.name"};
    th_rule r;
    fx_rule(&r, TH_RULE_NEW_TERMS, "NT", 6, 5, 100);
    r.new_terms_fields.items = fields;
    r.new_terms_fields.len = 1;
    r.history_window_start = "now-10d";
    fx a;
    incremental(&a, TH_TIME_NONE, 0, false);
    th_engine_add_rule(a.e, &r, stub_match, &all, NULL, 0, NULL);
    fx_ev(&a, "n1", 1, 1, bob);
    fx_ev(&a, "n2", 30, 30, carol);
    fx_finish(&a);
    assert_int_equal(a.nalerts, 2); /* bob (run 5), carol (run 30) */
    saved s;
    save(&a, &s);
    assert_int_equal(s.ndocs, 1); /* bob's match is kept as history only: no document */
    fx b;
    incremental(&b, th_engine_watermark(a.e), 2, true);
    th_engine_add_rule(b.e, &r, stub_match, &all, NULL, 0, NULL);
    load(&b, &s, 1);
    fx_ev(&b, "n3", 100, 100, bob);   /* seen at minute 1: not new */
    fx_ev(&b, "n4", 101, 101, alice); /* new */
    fx_finish(&b);
    assert_int_equal(b.nalerts, 1);
    assert_string_equal(fx_str(&b, 0, "user.name"), "alice");
    th_arena_free(&s.a);
    fx_free(&a);
    fx_free(&b);
}

/* ---- suppression: an alert of an earlier run is updated and written again - */

static const char *supp_group[] = {"source.ip"};

static void supp_first(fx *f)
{
    fx_ev(f, "a1", 1, 1, "\"source\":{\"ip\":\"10.0.0.1\"}");
    fx_ev(f, "a2", 2, 2, "\"source\":{\"ip\":\"10.0.0.1\"}");
    fx_ev(f, "a3", 4.5, 4.5, "\"source\":{\"ip\":\"10.0.0.1\"}");
    fx_ev(f, "x1", 5, 5, "\"source\":{\"ip\":\"10.0.0.9\"}");
}

static void json_of(const th_jval *v, th_buf *b)
{
    th_buf_clear(b);
    th_json_write(b, v);
}

static void suppression_window_carried(void **state)
{
    (void)state;
    th_rule r;
    fx_rule(&r, TH_RULE_QUERY, "D", 6, 5, 100);
    r.has_suppression = true;
    r.suppression_group_by.items = supp_group;
    r.suppression_group_by.len = 1;
    r.suppression_duration_ms = 30 * 60000;
    r.missing_fields_strategy = "suppress";
    fx one;
    fx_init(&one);
    fx_start(&one);
    th_engine_add_rule(one.e, &r, stub_match, &all, NULL, 0, NULL);
    supp_first(&one);
    fx_ev(&one, "a4", 8, 8, "\"source\":{\"ip\":\"10.0.0.1\"}");
    fx_finish(&one);
    assert_int_equal(one.nalerts, 2); /* 10.0.0.1 (updated at 10), 10.0.0.9 */
    assert_int_equal(fx_int(&one, 0, "kibana.alert.suppression.docs_count"), 3);
    fx a;
    incremental(&a, TH_TIME_NONE, 0, false);
    th_engine_add_rule(a.e, &r, stub_match, &all, NULL, 0, NULL);
    supp_first(&a);
    fx_finish(&a);
    assert_int_equal(a.nalerts, 2);
    assert_int_equal(fx_int(&a, 0, "kibana.alert.suppression.docs_count"), 2);
    saved s;
    save(&a, &s);
    assert_int_equal(s.nalerts, 2); /* both can still be updated within 30 minutes */
    fx b;
    incremental(&b, th_engine_watermark(a.e), 4, true);
    th_engine_add_rule(b.e, &r, stub_match, &all, NULL, 0, NULL);
    load(&b, &s, 1);
    fx_ev(&b, "a4", 8, 8, "\"source\":{\"ip\":\"10.0.0.1\"}");
    fx_finish(&b);
    /* the updated alert comes again (same id, the one engine's final content);
     * the one not updated does not */
    assert_int_equal(b.nalerts, 1);
    th_buf x, y;
    th_buf_init(&x);
    th_buf_init(&y);
    json_of(one.alerts[0], &x);
    json_of(b.alerts[0], &y);
    assert_true(x.len == y.len && memcmp(x.data, y.data, x.len) == 0);
    th_buf_free(&x);
    th_buf_free(&y);
    th_arena_free(&s.a);
    fx_free(&one);
    fx_free(&a);
    fx_free(&b);
}

/* The same with two rules and the temporal pass on three threads
 * (th_engine_set_threads): each rule's pass finds and updates its own alert
 * of the earlier run among the loaded ones; the alerts are those of one
 * thread, byte for byte. */
static void continued_on_threads(th_rule *r, unsigned threads, th_buf *out)
{
    fx a;
    incremental(&a, TH_TIME_NONE, 0, false);
    th_engine_add_rule(a.e, &r[0], stub_match, &all, NULL, 0, NULL);
    th_engine_add_rule(a.e, &r[1], stub_match, &all, NULL, 0, NULL);
    supp_first(&a);
    fx_finish(&a);
    saved s;
    save(&a, &s);
    assert_int_equal(s.nalerts, 4);
    fx b;
    incremental(&b, th_engine_watermark(a.e), 4, true);
    th_engine_add_rule(b.e, &r[0], stub_match, &all, NULL, 0, NULL);
    th_engine_add_rule(b.e, &r[1], stub_match, &all, NULL, 0, NULL);
    th_engine_set_threads(b.e, threads);
    load(&b, &s, 2);
    fx_ev(&b, "a4", 8, 8, "\"source\":{\"ip\":\"10.0.0.1\"}");
    fx_finish(&b);
    assert_int_equal(b.nalerts, 2); /* each rule's 10.0.0.1 alert, updated */
    for (size_t i = 0; i < b.nalerts; i++) {
        assert_int_equal(fx_int(&b, i, "kibana.alert.suppression.docs_count"), 3);
        th_json_write(out, b.alerts[i]);
        th_buf_putc(out, '\n');
    }
    th_arena_free(&s.a);
    fx_free(&a);
    fx_free(&b);
}

static void suppression_window_carried_threads(void **state)
{
    (void)state;
    th_rule r[2];
    for (size_t i = 0; i < 2; i++) {
        fx_rule(&r[i], TH_RULE_QUERY, i ? "E" : "D", 6, 5, 100);
        r[i].has_suppression = true;
        r[i].suppression_group_by.items = supp_group;
        r[i].suppression_group_by.len = 1;
        r[i].suppression_duration_ms = 30 * 60000;
        r[i].missing_fields_strategy = "suppress";
    }
    th_buf one, three;
    th_buf_init(&one);
    th_buf_init(&three);
    continued_on_threads(r, 1, &one);
    continued_on_threads(r, 3, &three);
    assert_true(one.len == three.len && memcmp(one.data, three.data, one.len) == 0);
    th_buf_free(&one);
    th_buf_free(&three);
}

/* ---- a blob that is not one th_engine_save wrote is refused --------------- */

static void bad_blob_refused(void **state)
{
    (void)state;
    th_rule r;
    fx_rule(&r, TH_RULE_QUERY, "Q", 6, 5, 100);
    fx a;
    incremental(&a, TH_TIME_NONE, 0, false);
    th_engine_add_rule(a.e, &r, stub_match, &all, NULL, 0, NULL);
    fx_ev(&a, "e4", 4, 4, NULL);
    fx_ev(&a, "e6", 6, 6, NULL);
    fx_finish(&a);
    saved s;
    save(&a, &s);
    fx b;
    incremental(&b, TH_TIME_NONE, 0, false);
    th_engine_add_rule(b.e, &r, stub_match, &all, NULL, 0, NULL);
    uint32_t map[64];
    for (size_t i = 0; i < s.ndocs; i++)
        map[i] = th_engine_load_doc(b.e, &s.docs[i]);
    assert_false(th_engine_load_rule(b.e, 0, 0, "", 0, map, s.ndocs));
    assert_false(th_engine_load_rule(b.e, 0, 0, "\x07junk", 5, map, s.ndocs));
    for (size_t cut = 1; cut < s.blob[0].n; cut++) /* every truncation */
        assert_false(th_engine_load_rule(b.e, 0, 0, s.blob[0].p, cut, map, s.ndocs));
    /* a document number past the documents loaded */
    assert_false(th_engine_load_rule(b.e, 0, 0, s.blob[0].p, s.blob[0].n, map, 0));
    /* a combined time other than the one its match's times give (it is
     * derived, not kept): the first match's, after the version, the counts
     * of fields and matches, its document number, @timestamp and ingested
     * (varints: a byte below 0x80 ends one), one millisecond off */
    char odd[256];
    assert_true(s.blob[0].n <= sizeof odd);
    memcpy(odd, s.blob[0].p, s.blob[0].n);
    size_t at = 3;
    for (int v = 0; v < 3; v++)
        while ((unsigned char)odd[at++] & 0x80)
            ;
    odd[at] ^= 2; /* zigzag: bit 1 is the value's bit 0 */
    assert_false(th_engine_load_rule(b.e, 0, 0, odd, s.blob[0].n, map, s.ndocs));
    assert_true(th_engine_load_rule(b.e, 0, s.last_run[0], s.blob[0].p, s.blob[0].n, map, s.ndocs));
    th_arena_free(&s.a);
    fx_free(&a);
    fx_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(threshold_history_carried),
        cmocka_unit_test(query_ids_and_window_carried),
        cmocka_unit_test(new_terms_history_carried),
        cmocka_unit_test(suppression_window_carried),
        cmocka_unit_test(suppression_window_carried_threads),
        cmocka_unit_test(bad_blob_refused),
        cmocka_unit_test(cap_trims_oldest),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
