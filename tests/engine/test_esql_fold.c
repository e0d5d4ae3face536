/* ES|QL rules whose head rows are folded into pane states chunk by chunk
 * (engine/esql.c esql_fold) against the same rules run the usual way (the
 * head over every match at once: th_esql_fold_rows 0): the same alerts,
 * byte for byte and in the same order, with chunks of one pane, a few
 * matches and every match; over events in random input order whose times
 * fall on run times and window edges exactly and between them, with
 * event.ingested later than @timestamp or missing, missing and
 * multi-valued fields; and a condition on NOW() that the head defers. */
#include "fixture.h"

#include "engine/internal.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static unsigned rnd(unsigned n)
{
    return (unsigned)(th_test_xorshift(&rng) % n);
}

enum { NEV = 400 };

typedef struct evspec {
    double ts, ing; /* minutes; ing < 0: no event.ingested */
    char extra[256];
} evspec;

static void make_events(evspec *ev)
{
    static const char *users[] = {"alice", "bob", "carol", "dave", "erin"};
    static const char *orgs[] = {"Amazon.com, Inc.", "Google LLC", "Evil ASN", "Tiny ISP"};
    static const double delay[] = {0, 0, 0, 0.5, 3, 59.99, 61};
    for (size_t i = 0; i < NEV; i++) {
        unsigned k = rnd(4);
        /* on a run time (every 60 minutes), a window's start (180 minutes of
         * look-back) give or take a millisecond, or anywhere */
        double ts = k == 0   ? 60.0 * rnd(12)
                    : k == 1 ? 60.0 * rnd(12) + (rnd(3) - 1.0) / 60000.0
                             : rnd(720 * 60) / 60.0;
        ev[i].ts = ts;
        ev[i].ing = rnd(8) ? ts + delay[rnd(7)] : -1;
        char user[64];
        unsigned u = rnd(12);
        if (u < 9)
            snprintf(user, sizeof user, "\"user\":{\"name\":\"%s\"},", users[u % 5]);
        else if (u < 11)
            snprintf(user, sizeof user, "\"user\":{\"name\":[\"%s\",\"%s\"]},", users[u % 5],
                     users[(u + 2) % 5]);
        else
            user[0] = 0;
        snprintf(
            ev[i].extra, sizeof ev[i].extra,
            "%s\"source\":{\"address\":\"10.0.0.%u\",\"as\":{\"organization\":{\"name\":\"%s\"}}},"
            "\"data_stream\":{\"dataset\":\"aws.cloudtrail\"},"
            "\"aws\":{\"cloudtrail\":{\"user_identity\":{\"type\":\"%s\"}}}",
            user, rnd(6), orgs[rnd(4)], rnd(2) ? "IAMUser" : "AssumedRole");
    }
}

typedef struct outcome {
    char *alerts; /* every alert's document and time, in order */
    size_t n;
    bool folded;
} outcome;

static outcome run_once(const char *query, const evspec *ev, const size_t *order, size_t fold_rows)
{
    size_t was = th_esql_fold_rows;
    th_esql_fold_rows = fold_rows;
    fx f;
    fx_init(&f);
    fx_start(&f);
    th_rule r;
    fx_esql_rule(&f, &r, "fold", query);
    for (size_t i = 0; i < NEV; i++) {
        const evspec *e = &ev[order[i]];
        fx_ev(&f, th_arena_printf(&f.a, "e%zu", order[i]), e->ing, e->ts, e->extra);
    }
    fx_finish(&f);
    outcome o = {fx_alerts_text(&f), f.nalerts, fx_report(&f, 0)->esql_folded};
    fx_free(&f);
    th_esql_fold_rows = was;
    return o;
}

/* Returns the alerts of the usual way. */
static size_t check(const char *query, bool want_fold)
{
    evspec *ev = calloc(NEV, sizeof *ev);
    size_t order[NEV];
    make_events(ev);
    for (size_t i = 0; i < NEV; i++)
        order[i] = i;
    for (size_t i = NEV; i > 1; i--) { /* input order: shuffled */
        size_t j = rnd((unsigned)i), t = order[i - 1];
        order[i - 1] = order[j];
        order[j] = t;
    }
    outcome base = run_once(query, ev, order, 0);
    assert_false(base.folded);
    static const size_t sizes[] = {1, 5, 37, 1 << 16};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        outcome o = run_once(query, ev, order, sizes[s]);
        assert_int_equal(o.folded, want_fold);
        if (strcmp(o.alerts, base.alerts) != 0)
            fail_msg("chunks of %zu: %zu alerts, the usual way %zu:\n%s\n--- the usual way:\n%s",
                     sizes[s], o.n, base.n, o.alerts, base.alerts);
        free(o.alerts);
    }
    free(base.alerts);
    free(ev);
    return base.n;
}

static void broad_rule_shapes(void **state)
{
    (void)state;
    for (int rep = 0; rep < 3; rep++) {
        /* the unusual-ASN rule's shape: flags, their sums and maxima, the
         * last time of a kind, NOW() after the STATS */
        assert_true(
            check(
                "FROM logs-aws.cloudtrail-* | WHERE data_stream.dataset == \"aws.cloudtrail\" "
                "AND user.name IS NOT NULL "
                "| EVAL t = CASE(source.as.organization.name LIKE \"Amazon*\" OR "
                "source.as.organization.name == \"Google LLC\", true, false) "
                "| STATS c = COUNT(*), cd = COUNT_DISTINCT(source.as.organization.name), "
                "v = VALUES(source.address), ht = MAX(t), ct = SUM(CASE(t == true, 1, 0)), "
                "cu = SUM(CASE(t == false, 1, 0)), "
                "last = MAX(CASE(t == false, @timestamp, null)) "
                "BY user.name, aws.cloudtrail.user_identity.type "
                "| WHERE cu >= 1 AND last >= NOW() - 1 hour | KEEP user.name, c, cd, v, ht, ct, cu",
                true) > 0);
        /* the OIDC rule's: a condition on NOW() the head defers to each
         * window (every pane whole: @timestamp is at most 61 minutes before
         * the combined time, which the 180 minutes of look-back bound),
         * keys of several columns */
        assert_true(
            check("FROM logs-aws.cloudtrail-* "
                  "| WHERE user.name IS NOT NULL AND @timestamp >= NOW() - 300 minutes "
                  "| EVAL o = source.as.organization.name != \"Tiny ISP\" "
                  "| STATS m = MAX(CASE(o, 1, 0)), l = MAX(CASE(o, @timestamp, NULL)), "
                  "v = VALUES(source.address) BY user.name, aws.cloudtrail.user_identity.type "
                  "| WHERE m == 1 AND l >= NOW() - 1 hour",
                  true) > 0);
        /* a deferred condition that cuts panes: the usual way */
        check("FROM logs-aws.cloudtrail-* | WHERE @timestamp >= NOW() - 100 minutes "
              "| STATS c = COUNT(*), v = VALUES(source.address) BY user.name",
              false);
    }
}

/* A rule capturing nf fields x0..x(nf-1), each event's x_k "f<k>v<j>" for
 * one j, grouped by every field: each alert's x_k must be its own field's
 * with the one j of x0. The pass copies every field's ids out of the
 * matches at once, or (th_esql_cap_ids below nf ids a match) the field
 * asked for alone: a column taken for another's fails it, folded (chunks
 * of 7 matches) or the usual way. */
static void check_fields(size_t nf, size_t fold_rows, size_t cap_ids)
{
    size_t was_ids = th_esql_cap_ids, was_rows = th_esql_fold_rows;
    th_esql_cap_ids = cap_ids;
    th_buf q;
    th_buf_init(&q);
    th_buf_printf(&q, "FROM logs-aws.cloudtrail-* | STATS c = COUNT(*) BY ");
    for (size_t k = 0; k < nf; k++)
        th_buf_printf(&q, "%sx%zu", k ? ", " : "", k);
    th_esql_fold_rows = fold_rows;
    fx f;
    fx_init(&f);
    fx_start(&f);
    th_rule r;
    fx_esql_rule(&f, &r, "fields", th_arena_strndup(&f.a, q.data, q.len));
    for (size_t i = 0; i < 60; i++) {
        th_buf x;
        th_buf_init(&x);
        for (size_t k = 0; k < nf; k++)
            th_buf_printf(&x, "%s\"x%zu\":\"f%zuv%zu\"", k ? "," : "", k, k, i % 3);
        fx_ev(&f, th_arena_printf(&f.a, "e%zu", i), 12.0 * i, 12.0 * i,
              th_arena_strndup(&f.a, x.data, x.len));
        th_buf_free(&x);
    }
    fx_finish(&f);
    assert_true(f.nalerts > 0);
    assert_int_equal(fx_report(&f, 0)->esql_folded, fold_rows > 0);
    for (size_t i = 0; i < f.nalerts; i++) {
        const th_jval *x0 = th_json_path_first(f.alerts[i], TH_STR_LIT("x0"));
        assert_non_null(x0);
        assert_int_equal(x0->type, TH_JSTR);
        char want[32];
        for (size_t k = 0; k < nf; k++) {
            char key[24];
            snprintf(key, sizeof key, "x%zu", k);
            const th_jval *v = th_json_path_first(f.alerts[i], th_str_c(key));
            assert_non_null(v);
            assert_int_equal(v->type, TH_JSTR);
            snprintf(want, sizeof want, "f%zuv%c", k, x0->u.str.p[x0->u.str.n - 1]);
            assert_true(th_str_eqc(v->u.str, want));
        }
    }
    fx_free(&f);
    th_buf_free(&q);
    th_esql_fold_rows = was_rows;
    th_esql_cap_ids = was_ids;
}

static void many_captured_fields(void **state)
{
    (void)state;
    for (size_t nf = 12; nf <= 18; nf += 6) {
        check_fields(nf, 7, 1 << 20);
        check_fields(nf, 0, 1 << 20);
        check_fields(nf, 7, nf - 1);
        check_fields(nf, 0, nf - 1);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(broad_rule_shapes),
        cmocka_unit_test(many_captured_fields),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
