/* An ES|QL rule's @timestamp taken from its matches' ts (internal.h
 * TH_VLIST_TS: th_event.ts_formatted events, whose document holds the
 * time's text) against the same events captured as text: the same alerts
 * byte for byte, where every event, none or some are so marked, with the
 * column loaded at once (esql.c captured_dates) or, where some event's
 * @timestamp is several values, row by row (the text made again: ts_list);
 * folded or not; and the same state blob (snapshot.c writes the text). And
 * the round trip that lets a match skip the text: th_time_parse_iso reads
 * th_time_format_iso's text of every instant th_ts_text_exact admits back
 * as that instant. Times are minutes after T0 (fixture.h). */
#include "fixture.h"

#include "engine/internal.h"

static uint64_t rng = 0x2545f4914f6cdd1dull;
static unsigned rnd(unsigned n)
{
    return (unsigned)(th_test_xorshift(&rng) % n);
}

static void round_trip(void **state)
{
    (void)state;
    const int64_t y10k = 253402300800000LL;
    assert_false(th_ts_text_exact(-1));
    assert_false(th_ts_text_exact(y10k));
    assert_false(th_ts_text_exact(TH_TIME_NONE));
    static const int64_t edges[] = {0,
                                    1,
                                    999,
                                    1000,
                                    86399999,
                                    86400000,
                                    951782400000LL /* 2000-02-29 */,
                                    951868799999LL,
                                    4107542400000LL /* 2100-03-01 */,
                                    y10k - 1,
                                    y10k - 86400000,
                                    T0,
                                    T0 - 1};
    for (size_t i = 0; i < sizeof edges / sizeof edges[0] + 400000; i++) {
        int64_t t = i < sizeof edges / sizeof edges[0]
                        ? edges[i]
                        : (int64_t)(th_test_xorshift(&rng) % (uint64_t)y10k);
        assert_true(th_ts_text_exact(t));
        char j[34];
        size_t n = th_ts_json(t, j);
        int64_t back;
        assert_true(n >= 2 && j[0] == '"' && j[n - 1] == '"' && strlen(j) == n);
        assert_true(th_time_parse_iso(j + 1, n - 2, &back));
        if (back != t)
            fail_msg("%lld -> %s -> %lld", (long long)t, j, (long long)back);
    }
}

enum { NEV = 300 };

typedef struct evspec {
    int64_t ts;
    double ing;  /* minutes; < 0: no event.ingested */
    int odd;     /* 0: @timestamp is the time's text; 1: a text without
                    milliseconds; 2: two values */
    bool marked; /* fed with ts_formatted (only where odd is 0) */
    char extra[160];
} evspec;

static void make_events(evspec *ev, bool odd)
{
    static const char *users[] = {"alice", "bob", "carol", "dave"};
    for (size_t i = 0; i < NEV; i++) {
        /* milliseconds apart, on run times and between them, several events
         * in one second */
        int64_t ms = rnd(3) == 0 ? (int64_t)rnd(12) * 3600000 + rnd(3) - 1
                                 : (int64_t)rnd(720) * 60000 + rnd(4) * 250 + rnd(2);
        ev[i].ts = T0 + (ms < 0 ? 0 : ms);
        ev[i].ing = rnd(6) ? (double)(ev[i].ts - T0) / 60000.0 + rnd(3) : -1;
        ev[i].odd = odd && rnd(10) == 0 ? 1 + (int)rnd(2) : 0;
        if (ev[i].odd == 1)
            ev[i].ts -= ev[i].ts % 1000; /* whole seconds: the text without ".000" */
        snprintf(ev[i].extra, sizeof ev[i].extra,
                 "\"user\":{\"name\":\"%s\"},\"source\":{\"address\":\"10.0.0.%u\"}", users[rnd(4)],
                 rnd(5));
    }
}

static void feed(fx *f, const evspec *e, size_t i)
{
    char t[32], t2[32];
    th_time_format_iso(e->ts, t);
    th_time_format_iso(e->ts + 1500, t2);
    char ts[80];
    if (e->odd == 1)
        snprintf(ts, sizeof ts, "\"%.19sZ\"", t);
    else if (e->odd == 2)
        snprintf(ts, sizeof ts, "[\"%s\",\"%s\"]", t, t2);
    else
        snprintf(ts, sizeof ts, "\"%s\"", t);
    char ing[48] = "";
    if (e->ing >= 0)
        snprintf(ing, sizeof ing, ",\"ingested\":\"%s\"", fx_iso(f, MIN(e->ing)));
    char *json = th_arena_printf(&f->a, "{\"@timestamp\":%s,\"event\":{\"id\":\"e%zu\"%s},%s}", ts,
                                 i, ing, e->extra);
    th_event ev = fx_event(f, json);
    assert_int_equal(ev.timestamp_ms, e->ts);
    ev.ts_formatted = e->marked;
    th_engine_feed(f->e, &ev);
}

/* every alert's document and time, in order */
static char *run_once(const char *query, const evspec *ev, size_t fold_rows)
{
    size_t was = th_esql_fold_rows;
    th_esql_fold_rows = fold_rows;
    fx f;
    fx_init(&f);
    fx_start(&f);
    th_rule r;
    fx_esql_rule(&f, &r, "ts", query);
    for (size_t i = 0; i < NEV; i++)
        feed(&f, &ev[i], i);
    fx_finish(&f);
    char *out = fx_alerts_text(&f);
    fx_free(&f);
    th_esql_fold_rows = was;
    return out;
}

static const char *const queries[] = {
    /* the broad rules' shapes: the time of a kind, the first and last,
     * a condition on NOW() the head defers */
    "FROM logs-aws.cloudtrail-* | WHERE user.name IS NOT NULL "
    "| EVAL o = source.address != \"10.0.0.0\" "
    "| STATS c = COUNT(*), first = MIN(@timestamp), last = MAX(@timestamp), "
    "l = MAX(CASE(o, @timestamp, NULL)) BY user.name "
    "| WHERE l >= NOW() - 2 hours | KEEP user.name, c, first, last, l",
    "FROM logs-aws.cloudtrail-* | WHERE user.name IS NOT NULL AND @timestamp >= NOW() - 150 "
    "minutes "
    "| STATS c = COUNT(*), v = VALUES(@timestamp), last = MAX(@timestamp) BY source.address",
    "FROM logs-aws.cloudtrail-* | WHERE @timestamp >= NOW() - 100 minutes "
    "| STATS c = COUNT(*), first = MIN(@timestamp) BY user.name",
};

static void same_alerts(bool odd)
{
    evspec *ev = calloc(NEV, sizeof *ev);
    make_events(ev, odd);
    for (size_t q = 0; q < sizeof queries / sizeof queries[0]; q++) {
        for (size_t i = 0; i < NEV; i++)
            ev[i].marked = false;
        char *text = run_once(queries[q], ev, 1 << 16);
        assert_true(strlen(text) > 0);
        for (int mode = 0; mode < 3; mode++) { /* every event that may, some, folded or not */
            for (size_t i = 0; i < NEV; i++)
                ev[i].marked = ev[i].odd == 0 && (mode != 1 || rnd(2));
            char *got = run_once(queries[q], ev, mode == 2 ? 0 : 1 << 16);
            if (strcmp(got, text) != 0)
                fail_msg("query %zu, mode %d:\n%s\n--- as text:\n%s", q, mode, got, text);
            free(got);
        }
        free(text);
    }
    free(ev);
}

static void from_ts_as_from_text(void **state)
{
    (void)state;
    same_alerts(false);
}

static void several_values_row_by_row(void **state)
{
    (void)state;
    same_alerts(true);
}

/* ---- the state: the matches' @timestamp written as its text --------------- */

static void on_rule(void *ctx, size_t idx, int64_t last_run, const void *blob, size_t len,
                    uint64_t nmatches, uint64_t nids)
{
    (void)idx;
    (void)last_run;
    (void)nids;
    th_buf *b = ctx;
    assert_true(nmatches > 0);
    th_buf_put(b, blob, len);
}

static char *state_blob(const evspec *ev, size_t *len)
{
    fx f;
    fx_init(&f);
    f.o.incremental = true;
    f.o.final_runs = false;
    f.o.settle_ms = 0;
    f.o.watermark_ms = T0 + 12 * 3600000LL;
    fx_start(&f);
    th_rule r;
    fx_esql_rule(&f, &r, "ts", queries[0]);
    for (size_t i = 0; i < NEV; i++)
        feed(&f, &ev[i], i);
    fx_finish(&f);
    th_buf b;
    th_buf_init(&b);
    th_engine_saver sv = {&b, NULL, on_rule, NULL, 0, NULL};
    th_engine_save(f.e, &sv);
    fx_free(&f);
    *len = b.len;
    char *out = malloc(b.len ? b.len : 1);
    memcpy(out, b.data, b.len);
    th_buf_free(&b);
    return out;
}

static void state_as_text(void **state)
{
    (void)state;
    evspec *ev = calloc(NEV, sizeof *ev);
    make_events(ev, false);
    size_t n0, n1;
    char *text = state_blob(ev, &n0);
    for (size_t i = 0; i < NEV; i++)
        ev[i].marked = true;
    char *marked = state_blob(ev, &n1);
    assert_true(n0 > 1000);
    assert_int_equal(n1, n0);
    assert_memory_equal(marked, text, n0);
    free(text);
    free(marked);
    free(ev);
}

/* The id a match captures for @timestamp from its ts: TH_VLIST_TS on every
 * marked event, the first match of each rule included (the field shared by
 * such rules is made there, then set for the event: hotpass.c ts_current),
 * and on no other event, for a rule matching from the first event and one
 * whose first match comes later, after unmarked events. */
static void ts_id_where_marked(void **state)
{
    (void)state;
    evspec *ev = calloc(NEV, sizeof *ev);
    make_events(ev, true);
    for (size_t i = 0; i < NEV; i++)
        ev[i].marked = ev[i].odd == 0 && (i == 0 || i == 40 || rnd(2));
    /* user.name "carol" first on an event after the first: the second
     * rule's first match */
    snprintf(ev[0].extra, sizeof ev[0].extra, "\"user\":{\"name\":\"alice\"}");
    ev[0].odd = 0;
    ev[0].marked = true;
    for (size_t i = 1; i < 40; i++)
        if (strstr(ev[i].extra, "carol"))
            snprintf(ev[i].extra, sizeof ev[i].extra, "\"user\":{\"name\":\"bob\"}");
    snprintf(ev[40].extra, sizeof ev[40].extra, "\"user\":{\"name\":\"carol\"}");
    ev[40].odd = 0;
    ev[40].marked = true;
    fx f;
    fx_init(&f);
    fx_start(&f);
    th_rule r[2];
    fx_esql_rule(&f, &r[0], "all", queries[2]);
    fx_esql_rule(&f, &r[1], "carol",
                 "FROM logs-aws.cloudtrail-* | WHERE user.name == \"carol\" "
                 "| STATS c = COUNT(*), first = MIN(@timestamp) BY user.name");
    for (size_t i = 0; i < NEV; i++)
        feed(&f, &ev[i], i);
    for (size_t k = 0; k < 2; k++) {
        const th_erule *er = f.e->rules.items[k];
        assert_true(er->cap_ts != UINT32_MAX);
        assert_true(er->matches.len > 0);
        for (size_t j = 0; j < er->matches.len; j++) {
            const th_match *m = &er->matches.items[j];
            bool ts = th_match_row(f.e, m)[er->cap_ts] == TH_VLIST_TS;
            if (ts != (ev[m->order].marked && th_ts_text_exact(ev[m->order].ts)))
                fail_msg("rule %zu, event %zu (marked %d): @timestamp's id %s TH_VLIST_TS", k,
                         (size_t)m->order, ev[m->order].marked, ts ? "is" : "is not");
        }
        if (k == 1)
            assert_int_equal(er->matches.items[0].order, 40);
    }
    fx_free(&f);
    free(ev);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(round_trip),
        cmocka_unit_test(from_ts_as_from_text),
        cmocka_unit_test(several_values_row_by_row),
        cmocka_unit_test(state_as_text),
        cmocka_unit_test(ts_id_where_marked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
