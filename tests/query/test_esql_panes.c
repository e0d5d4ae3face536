/* ES|QL incremental STATS (th_esql_panes_*): over every window that is a run
 * of panes, the merged partial aggregates give the table that
 * th_esql_run_rest gives, and th_esql_run over the window's documents alone,
 * cell for cell: on generated documents with missing and multi-valued
 * fields, every aggregate, filters on aggregates, multi-valued and computed
 * BY keys, long sums that overflow (one sign and both), double sums whose
 * value depends on the order of additions, values whose type changes between
 * rows, and conditions on NOW() that the prefix defers to each window; and
 * windows in a scheduler's order, and in random sliding steps, where each
 * run slides the state of the last ones. */
#include "th_test.h"

#include "base/timeutil.h"
#include "query/esql.h"

enum { NDOCS = 240 };

static uint64_t rng = 88172645463325252ull;
static unsigned next_rand(unsigned n)
{
    return (unsigned)(th_test_xorshift(&rng) % n);
}

static const int64_t T0 = 1790000000000; /* 2026-09-21 */

/* documents in @timestamp order, one every 0..90 s */
static th_esql_doc *make_docs(th_arena *a, int64_t *ts)
{
    static const char *users[] = {"alice", "bob", "carol", "dave"};
    static const char *actions[] = {"GetObject", "ListBuckets", "AssumeRole", "Decrypt", "PutObject"};
    th_esql_doc *d = TH_ANEWN(a, th_esql_doc, NDOCS);
    int64_t t = T0;
    for (size_t i = 0; i < NDOCS; i++) {
        t += (int64_t)next_rand(90) * 1000;
        ts[i] = t;
        char when[32];
        th_time_format_iso(t, when);
        th_buf b;
        th_buf_init(&b);
        th_buf_printf(&b, "{\"@timestamp\":\"%s\"", when);
        unsigned u = next_rand(10);
        if (u < 7)
            th_buf_printf(&b, ",\"user\":{\"name\":\"%s\"}", users[u % 4]);
        else if (u < 9)
            th_buf_printf(&b, ",\"user\":{\"name\":[\"%s\",\"%s\"]}", users[u % 4], users[(u + 1) % 4]);
        th_buf_printf(&b, ",\"event\":{\"action\":\"%s\"", actions[next_rand(5)]);
        if (next_rand(6))
            th_buf_printf(&b, ",\"duration\":%u", next_rand(100000));
        th_buf_puts(&b, "}");
        if (next_rand(5))
            th_buf_printf(&b, ",\"source\":{\"as\":{\"number\":%u},\"ip\":\"10.0.%u.%u\"}", next_rand(9000) + 1,
                          next_rand(3), next_rand(20));
        th_buf_puts(&b, "}");
        th_json_error je;
        char *text = th_arena_strndup(a, b.data, b.len); /* the parse borrows the text */
        d[i].doc = th_json_parse(a, text, b.len, &je);
        assert_non_null(d[i].doc);
        d[i].id = th_str_c(th_arena_printf(a, "id%zu", i));
        d[i].index = TH_STR_LIT("logs-aws.cloudtrail-default");
        d[i].version = 1;
        th_buf_free(&b);
    }
    return d;
}

static char *cell_text(th_arena *a, const th_esql_result *r, size_t row, size_t col)
{
    th_jval *v = th_esql_cell(a, r, row, col);
    if (!v)
        return "null";
    th_buf b;
    th_buf_init(&b);
    th_json_write(&b, v);
    char *s = th_arena_strndup(a, b.data ? b.data : "", b.len);
    th_buf_free(&b);
    return s;
}

static void same_table(th_arena *a, const th_esql_result *x, const th_esql_result *y, const char *what)
{
    assert_int_equal(th_esql_ncols(x), th_esql_ncols(y));
    if (th_esql_nrows(x) != th_esql_nrows(y))
        fail_msg("%s: %zu rows, expected %zu", what, th_esql_nrows(x), th_esql_nrows(y));
    for (size_t c = 0; c < th_esql_ncols(x); c++) {
        assert_true(th_str_eq(th_esql_colname(x, c), th_esql_colname(y, c)));
        for (size_t r = 0; r < th_esql_nrows(x); r++) {
            const char *p = cell_text(a, x, r, c), *q = cell_text(a, y, r, c);
            if (strcmp(p, q) != 0)
                fail_msg("%s: row %zu column %.*s: %s, expected %s", what, r, (int)th_esql_colname(x, c).n,
                         th_esql_colname(x, c).p, p, q);
        }
    }
}

/* make_docs's documents read as captured matches are (engine/esql.c): each
 * field through `each` over the tree, and every document's key of a field
 * at once, one key per distinct value list (the same pointer where the
 * field's values serialise alike), so that the prefix's columns share their
 * cells by key and get cell ids (th_esql_run_prefix_kept). */
typedef struct keyed {
    th_arena *a;
    th_esql_doc *tree;
    size_t n;
} keyed;

static bool keyed_each(const void *src, const void *ctx, th_str path, th_json_visit_fn visit, void *vctx)
{
    const keyed *k = ctx;
    if (!visit)
        return false;
    return th_json_path_each(k->tree[th_esql_src_row(src)].doc, path, visit, vctx);
}

static bool keyed_text(const th_jval *v, void *ctx)
{
    th_json_write(ctx, v);
    th_buf_puts(ctx, "\n");
    return true;
}

static const void *keyed_key(const void *src, const void *ctx, th_str path)
{
    if (src) /* every document's key at once only */
        return NULL;
    const keyed *k = ctx;
    char **text = TH_ANEWN(k->a, char *, k->n);
    const void **keys = TH_ANEWN(k->a, const void *, k->n);
    for (size_t i = 0; i < k->n; i++) {
        th_buf b;
        th_buf_init(&b);
        th_json_path_each(k->tree[i].doc, path, keyed_text, &b);
        text[i] = th_arena_strndup(k->a, b.data ? b.data : "", b.len);
        th_buf_free(&b);
        size_t j = 0;
        while (strcmp(text[j], text[i]) != 0)
            j++;
        keys[i] = &text[j];
    }
    return keys;
}

/* As the engine gives captured matches: rows of one source (esql.h), one
 * document standing for all, row d's src naming tree[d]. A row read as
 * another (a column loaded after a WHERE dropped rows, by the row's index
 * instead of its document's) gives other cells than the trees' do. The
 * make_docs ids stay per document in the trees; captured rows have none. */
static th_esql_doc *keyed_docs(th_arena *a, th_esql_doc *tree, size_t n)
{
    keyed *k = TH_ANEW(a, keyed);
    k->a = a;
    k->tree = tree;
    k->n = n;
    th_esql_doc *d = TH_ANEW(a, th_esql_doc);
    *d = (th_esql_doc){
        .index = tree[0].index, .version = 1, .each = keyed_each, .ctx = k, .key = keyed_key};
    return d;
}

/* A query over make_docs's documents, its prefix run, and random cuts. */
typedef struct fixture {
    th_arena a;
    th_diags d;
    th_esql *e;
    int64_t ts[NDOCS];
    th_esql_doc *docs;
    size_t cuts[NDOCS + 1], nc;
    th_esql_result *pre;
    th_esql_doc *kdocs; /* the same read as captured matches (keyed_docs) */
    th_esql_result *kpre; /* their prefix */
    th_esql_ids *kids;    /* its cells' ids */
} fixture;

/* q's `{cut}`, if any, becomes the @timestamp of the first document of the
 * middle cut's pane, as ISO text */
static void fixture_init(fixture *f, const char *q)
{
    th_arena_init(&f->a, 1 << 16);
    th_diags_init(&f->d);
    f->docs = make_docs(&f->a, f->ts);
    f->nc = 0;
    for (size_t i = 0; i < NDOCS; i += 1 + next_rand(25))
        f->cuts[f->nc++] = i;
    f->cuts[f->nc++] = NDOCS;
    const char *at = strstr(q, "{cut}");
    if (at) {
        char iso[32];
        th_time_format_iso(f->ts[f->cuts[f->nc / 2]], iso);
        q = th_arena_printf(&f->a, "%.*s%s%s", (int)(at - q), q, iso, at + 5);
    }
    f->e = th_esql_parse(&f->a, q, strlen(q), NULL, &f->d);
    if (!f->e)
        th_diags_print(&f->d, stderr);
    assert_non_null(f->e);
    const char *err = NULL;
    f->pre = th_esql_run_prefix(&f->a, f->e, f->docs, NDOCS, &err);
    assert_non_null(f->pre);
    f->kdocs = keyed_docs(&f->a, f->docs, NDOCS);
    f->kpre = th_esql_run_prefix_kept(&f->a, f->e, f->kdocs, NDOCS, NULL, NULL, NULL, NULL,
                                      &f->kids, &err);
    assert_non_null(f->kpre);
}

static void fixture_free(fixture *f)
{
    th_esql_ids_free(f->kids);
    th_diags_free(&f->d);
    th_arena_free(&f->a);
}

/* the keyed prefixes that made cell ids (a column read by an expression) */
static size_t ids_seen;

/* Every window [cuts[i], cuts[j]) with NOW() at its last document (plus
 * `skew`), three ways. Returns how many windows had rows out. */
static size_t check_query(const char *q, int64_t skew, bool want_panes)
{
    fixture f;
    fixture_init(&f, q);
    th_esql *e = f.e;
    th_esql_doc *docs = f.docs;
    th_esql_result *pre = f.pre;
    const int64_t *ts = f.ts;
    const size_t *cuts = f.cuts, nc = f.nc;
    th_esql_panes *p = th_esql_panes_new(&f.a, e, pre, docs, NDOCS, cuts, nc);
    /* over the keyed documents, where the memos of the head and of the
     * panes' grouping remember by cell ids */
    th_esql_panes *kp = th_esql_panes_new(&f.a, e, f.kpre, f.kdocs, NDOCS, cuts, nc);
    ids_seen += f.kids != NULL;
    th_esql_panes_use_ids(kp, f.kids);
    if (!want_panes) {
        assert_null(p);
        assert_null(kp);
        fixture_free(&f);
        return 0;
    }
    assert_non_null(p);
    assert_non_null(kp);
    size_t nonempty = 0;
    for (size_t i = 0; i + 1 < nc; i++)
        for (size_t j = i + 1; j < nc && j <= i + 12; j++) {
            size_t lo = cuts[i], hi = cuts[j];
            int64_t now = ts[hi - 1] + skew;
            th_arena s;
            th_arena_init(&s, 1 << 16);
            const char *e1 = NULL, *e2 = NULL, *e3 = NULL;
            th_esql_result *inc = th_esql_panes_run(&s, p, lo, hi, now, 0, &e1);
            th_esql_result *rest = th_esql_run_rest(&s, e, pre, docs, NDOCS, lo, hi, now, 0, &e2);
            th_esql_result *whole = th_esql_run(&s, e, docs + lo, hi - lo, now, 0, &e3);
            assert_non_null(inc);
            assert_non_null(rest);
            assert_non_null(whole);
            char what[128];
            snprintf(what, sizeof what, "%.40s: window [%zu, %zu)", q + 14, lo, hi);
            same_table(&s, rest, whole, th_arena_printf(&s, "rest vs whole, %s", what));
            same_table(&s, inc, rest, th_arena_printf(&s, "panes vs rest, %s", what));
            const char *e5 = NULL, *e6 = NULL;
            th_esql_result *kinc = th_esql_panes_run(&s, kp, lo, hi, now, 0, &e5);
            th_esql_result *krest = th_esql_run_rest(&s, e, f.kpre, f.kdocs, NDOCS, lo, hi, now, 0, &e6);
            assert_non_null(kinc);
            assert_non_null(krest);
            same_table(&s, krest, whole, th_arena_printf(&s, "keyed rest vs whole, %s", what));
            same_table(&s, kinc, whole, th_arena_printf(&s, "keyed panes vs whole, %s", what));
            assert_int_equal(th_esql_warnings(krest), th_esql_warnings(rest));
            nonempty += th_esql_nrows(inc) > 0;
            th_arena_free(&s);
        }
    /* a window whose ends are not cuts is not answered */
    size_t odd = 1;
    for (size_t i = 0; i < nc && cuts[i] <= odd; i++)
        if (cuts[i] == odd)
            odd++;
    const char *e4 = NULL;
    assert_null(th_esql_panes_run(&f.a, p, odd, cuts[nc - 1], ts[NDOCS - 1], 0, &e4));
    assert_null(e4);
    th_esql_panes_free(p);
    th_esql_panes_free(kp);
    fixture_free(&f);
    return nonempty;
}

/* Windows in a scheduler's order (the panes keep the state of the last
 * windows and slide it, Slide in esql_inc.c): `span` panes of look-back
 * sliding one pane a run, growing from the first and shrinking past the
 * last, each run twice (NOW() moved on), with windows out of order between;
 * with span 0, windows whose ends move on by 0 to 3 panes at random (the
 * front and the back dropped in one step, the same window again, a window
 * left empty); every one against th_esql_run_rest. */
static void check_schedule(const char *q, size_t span)
{
    fixture f;
    fixture_init(&f, q);
    th_esql *e = f.e;
    th_esql_doc *docs = f.docs;
    th_esql_result *pre = f.pre;
    const int64_t *ts = f.ts;
    const size_t *cuts = f.cuts, nc = f.nc;
    th_esql_panes *p = th_esql_panes_new(&f.a, e, pre, docs, NDOCS, cuts, nc);
    assert_non_null(p);
    size_t held = 0; /* the kept state is counted */
    size_t r0 = 0, r1 = 0; /* span 0: the random window */
    for (size_t j = 1; j < nc + (span ? span : 3 * nc); j++) {
        for (int rep = 0; rep < 3; rep++) {
            size_t i0 = j > span ? j - span : 0, i1 = j < nc ? j : nc - 1;
            if (span == 0) {
                if (rep > 0)
                    break;
                r1 += next_rand(4);
                r1 = r1 < nc ? r1 : nc - 1;
                r0 += next_rand(4);
                r0 = r0 < r1 ? r0 : r1;
                if (r0 == nc - 1)
                    r0 = r1 = 0; /* and again from the start */
                i0 = r0;
                i1 = r1;
            } else if (rep == 2) { /* now and then a window out of order */
                if (next_rand(3))
                    continue;
                i0 = next_rand((unsigned)nc - 1);
                i1 = i0 + next_rand((unsigned)(nc - i0));
            }
            size_t lo = cuts[i0], hi = cuts[i1];
            int64_t now = ts[hi > 0 ? hi - 1 : 0] + (int64_t)rep * 60000;
            th_arena s;
            th_arena_init(&s, 1 << 16);
            const char *e1 = NULL, *e2 = NULL;
            th_esql_result *inc = th_esql_panes_run(&s, p, lo, hi, now, 0, &e1);
            th_esql_result *rest = th_esql_run_rest(&s, e, pre, docs, NDOCS, lo, hi, now, 0, &e2);
            assert_non_null(inc);
            assert_non_null(rest);
            char what[128];
            snprintf(what, sizeof what, "%.40s: run %zu.%d, window [%zu, %zu)", q + 14, j, rep, lo, hi);
            same_table(&s, inc, rest, what);
            th_arena_free(&s);
            /* what the kept state frees it counted in: a list freed and
             * not counted (a merged list of the windows' joins) wraps the count */
            assert_true(th_esql_panes_held(p) < (size_t)1 << 40);
            if (th_esql_panes_held(p) > held)
                held = th_esql_panes_held(p);
        }
    }
    assert_true(held > 0);
    th_esql_panes_free(p);
    fixture_free(&f);
}

static void reuse_across_windows(void **state)
{
    (void)state;
    static const char *const qs[] = {
        /* every aggregate; VALUES of keywords (multi-valued), longs, dates,
         * booleans, doubles and ips; null and missing values */
        "FROM logs-* | EVAL d = TO_DOUBLE(event.duration) / 7, b = event.duration > 50000 "
        "| STATS n = COUNT(*), nu = COUNT(user.name), cd = COUNT_DISTINCT(user.name), "
        "v = VALUES(event.action), vl = VALUES(source.as.number), vt = VALUES(@timestamp), vb = VALUES(b), "
        "vd = VALUES(d), vi = VALUES(source.ip), cdi = COUNT_DISTINCT(source.ip), cdd = COUNT_DISTINCT(d), "
        "mn = MIN(@timestamp), mx = MAX(user.name), mxi = MAX(source.ip), "
        "s = SUM(event.duration), sd = SUM(d), av = AVG(event.duration), avd = AVG(d), "
        "mxd = MAX(d), mnd = MIN(source.as.number), "
        "late = COUNT(*) WHERE event.duration > 50000, "
        "sl = SUM(source.as.number) WHERE event.action == \"Decrypt\" "
        "BY user.name",
        /* long sums that overflow, one sign and both; a type that changes */
        "FROM logs-* | EVAL big = source.as.number * 1000000000000000, "
        "sg = CASE(event.action == \"Decrypt\", 0 - big, big), "
        "m = CASE(source.as.number > 4500, source.as.number, TO_DOUBLE(source.as.number)) "
        "| STATS s1 = SUM(big), s3 = SUM(sg), sm = SUM(m), vm = VALUES(m), c = COUNT(sg) BY event.action",
        /* no BY: one row, also for a window without rows */
        "FROM logs-* | WHERE source.as.number > 8000 "
        "| STATS c = COUNT(*), v = VALUES(user.name), s = SUM(event.duration)",
        /* a deferred condition on NOW(): panes kept in part are merged afresh */
        "FROM logs-* | WHERE @timestamp >= NOW() - 40 minutes "
        "| STATS c = COUNT(*), u = VALUES(user.name), l = MAX(@timestamp) BY event.action",
        /* commands after the STATS: those before the first that reads NOW()
         * are kept with the window's STATS output, the rest run again (the
         * first two conjuncts of that WHERE once: NULL for the group
         * without a user) */
        "FROM logs-* | STATS c = COUNT(*), l = MAX(@timestamp), v = VALUES(event.action), "
        "d = AVG(event.duration) BY user.name | EVAL r = TO_DOUBLE(c) / 3, k = MV_COUNT(v) "
        "| WHERE c >= 2 OR k > 1 | WHERE r > 0 AND user.name != \"zz\" AND l >= NOW() - 30 minutes "
        "AND d < 90000 "
        "| EVAL age = DATE_DIFF(\"seconds\", l, NOW()) | SORT user.name | KEEP user.name, c, r, k, d, age",
    };
    for (size_t k = 0; k < sizeof qs / sizeof qs[0]; k++) {
        check_schedule(qs[k], 1);
        check_schedule(qs[k], 4);
        check_schedule(qs[k], 30);
        check_schedule(qs[k], 0);
    }
}

static void every_aggregate(void **state)
{
    (void)state;
    size_t seen = ids_seen;
    assert_true(check_query("FROM logs-* | WHERE event.action != \"PutObject\" "
                            "| EVAL d = TO_DOUBLE(event.duration) / 7, g = event.action == \"GetObject\", "
                            "c = CASE(event.action == \"Decrypt\", user.name, \"x\") "
                            "| STATS n = COUNT(*), nu = COUNT(user.name), cd = COUNT_DISTINCT(user.name), "
                            "v = VALUES(event.action), mn = MIN(@timestamp), mx = MAX(user.name), "
                            "s = SUM(event.duration), sd = SUM(d), av = AVG(event.duration), "
                            "mxd = MAX(d), mnd = MIN(source.as.number), mxt = MAX(@timestamp), "
                            "mxl = MAX(event.duration), mng = MIN(g), mxg = MAX(g), "
                            "late = COUNT(*) WHERE event.duration > 50000, "
                            "sl = SUM(source.as.number) WHERE event.action == \"Decrypt\", "
                            "cb = SUM(CASE(c == \"bob\", 1, 0)), cv = VALUES(c) "
                            "BY user.name",
                            0, true) > 0);
    assert_true(ids_seen > seen); /* the memos by ids ran */
}

/* columns that only the head's WHEREs read are dropped from the prefix's
 * table (filtered in place); a column the head reads and a later command
 * reads again stays */
static void head_only_columns(void **state)
{
    (void)state;
    const char *q = "FROM logs-* | WHERE event.action != \"PutObject\" AND source.as.number > 1000 "
                    "| EVAL k = user.name | WHERE event.duration > 100 AND k IS NOT NULL "
                    "| STATS c = COUNT(*), v = VALUES(source.as.number), mx = MAX(@timestamp) BY k";
    assert_true(check_query(q, 0, true) > 0);
    fixture f;
    fixture_init(&f, q);
    size_t nrows = th_esql_nrows(f.pre);
    assert_true(nrows > 0 && nrows < NDOCS);
    for (size_t c = 0; c < th_esql_ncols(f.pre); c++) {
        th_str name = th_esql_colname(f.pre, c);
        assert_false(th_str_eqc(name, "event.action") || th_str_eqc(name, "event.duration"));
    }
    fixture_free(&f);
}

static void computed_keys_and_no_by(void **state)
{
    (void)state;
    assert_true(check_query("FROM logs-* | EVAL k = COALESCE(user.name, \"none\") "
                            "| STATS c = COUNT(*), a = VALUES(event.action) "
                            "BY b = DATE_TRUNC(10 minutes, @timestamp), k | SORT c DESC, k | LIMIT 20",
                            0, true) > 0);
    /* no BY: one row, even for a window without rows */
    assert_true(check_query("FROM logs-* | WHERE source.as.number > 8900 "
                            "| STATS c = COUNT(*), v = VALUES(user.name), s = SUM(event.duration)",
                            0, true) > 0);
    assert_true(check_query("FROM logs-* | WHERE event.action == \"Decrypt\" "
                            "| STATS c = COUNT(*), d = COUNT_DISTINCT(source.as.number), s = SUM(event.duration)",
                            0, true) > 0);
}

/* BY two and three columns of the prefix's captured cells: the keyed
 * panes group by their ids (group_cols), multi-valued users, a long ASN
 * and missing values among them */
static void group_by_ids(void **state)
{
    (void)state;
    assert_true(check_query("FROM logs-* | STATS c = COUNT(*), s = SUM(event.duration) BY event.action, user.name",
                            0, true) > 0);
    assert_true(check_query("FROM logs-* | WHERE event.action != \"Decrypt\" "
                            "| STATS c = COUNT(*), v = VALUES(source.ip) BY user.name, source.as.number, event.action",
                            0, true) > 0);
    /* a memo by one column's ids that picks another column: the rows of
     * one user in a run take their own cells of the picked column */
    assert_true(
        check_query(
            "FROM logs-* | STATS a = MAX(CASE(user.name == \"bob\", event.duration, null)), "
            "b = MIN(CASE(user.name == \"alice\", null, event.duration)), "
            "v = VALUES(CASE(user.name != \"carol\", source.ip, null)), "
            "s = SUM(CASE(user.name == \"dave\", source.as.number, 1)) BY event.action",
            0, true) > 0);
}

/* an EVAL that picked the same column's cell on every row takes that
 * column's cell ids (the panes group by them); one whose pick changes from
 * row to row (users missing on some rows) must not */
static void picked_column_ids(void **state)
{
    (void)state;
    static const char *qs[] = {
        "FROM logs-* | EVAL k = COALESCE(event.outcome, user.name) "
        "| STATS c = COUNT(*), v = VALUES(event.action), s = SUM(event.duration) BY k",
        "FROM logs-* | EVAL k = COALESCE(user.name, event.action) "
        "| STATS c = COUNT(*), v = VALUES(source.ip), s = SUM(event.duration) BY k",
        "FROM logs-* | EVAL k = CASE(event.outcome IS NULL, event.action, user.name) "
        "| STATS c = COUNT(*), u = VALUES(user.name) BY k, source.as.number",
        "FROM logs-* | EVAL k = CASE(event.action == \"Decrypt\", event.action, user.name) "
        "| STATS c = COUNT(*), u = COUNT_DISTINCT(source.ip) BY k",
    };
    for (size_t k = 0; k < sizeof qs / sizeof qs[0]; k++)
        assert_true(check_query(qs[k], 0, true) > 0);
}

static void overflow_and_mixed_types(void **state)
{
    (void)state;
    /* 9e18-sized longs: sums overflow; mixed signs need the rows again */
    assert_true(check_query("FROM logs-* | EVAL big = source.as.number * 1000000000000000, "
                            "neg = 0 - big, sg = CASE(event.action == \"Decrypt\", neg, big) "
                            "| STATS s1 = SUM(big), s2 = SUM(neg), s3 = SUM(sg), "
                            "s4 = SUM(CASE(event.action == \"GetObject\", 1, 0)) BY event.action",
                            0, true) > 0);
    assert_true(check_query("FROM logs-* | EVAL big = source.as.number * 1000000000000000, "
                            "sg = CASE(event.action == \"Decrypt\", 0 - big, big) "
                            "| STATS s = SUM(sg), n = COUNT(sg) BY user.name",
                            0, true) > 0);
    /* sums that overflow only by a cell met again in the row after (runs
     * of one action in a user's rows: a column's cell ids, a memo's value
     * by id), both signs and one */
    static const char *runs[] = {
        "FROM logs-* | EVAL h = CASE(event.action == \"Decrypt\", 5000000000000000000, 1) "
        "| STATS s = SUM(h), c = COUNT(h), n = COUNT(*), "
        "m = SUM(CASE(event.action == \"Decrypt\", 5000000000000000000, 1)) BY user.name",
        "FROM logs-* | EVAL h = CASE(event.action == \"Decrypt\", 0 - 5000000000000000000, 0 - 1) "
        "| STATS s = SUM(h), c = COUNT(h), n = COUNT(*), "
        "m = SUM(CASE(event.action == \"Decrypt\", 0 - 5000000000000000000, 1)) BY user.name",
    };
    for (size_t i = 0; i < 2; i++)
        assert_true(check_query(runs[i], 0, true) > 0);
    /* long for some rows, double for others (ES|QL would reject the CASE;
     * our evaluator keeps the first type and promotes long/double) */
    assert_true(check_query("FROM logs-* | EVAL m = CASE(source.as.number > 4500, source.as.number, "
                            "TO_DOUBLE(source.as.number)), w = CASE(event.duration > 500, user.name, event.duration) "
                            "| STATS a = SUM(m), b = MAX(m), c = VALUES(w), e = MIN(w), f = AVG(m) BY event.action",
                            0, true) > 0);
}

/* A run that fails (a BY column the query dropped) fails the same with panes:
 * an error met while a pane's rows were grouped belongs to every window that
 * takes the pane whole (fuzz_esql found it lost). */
static void errors_as_rest(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f, "FROM logs-* | KEEP @timestamp, event.action | STATS c = COUNT(*) BY user.name");
    th_esql_panes *p = th_esql_panes_new(&f.a, f.e, f.pre, f.docs, NDOCS, f.cuts, f.nc);
    assert_non_null(p);
    size_t failed = 0;
    for (int round = 0; round < 2; round++) /* the second round takes built panes */
        for (size_t i = 0; i + 1 < f.nc; i++)
            for (size_t j = i + 1; j < f.nc && j <= i + 6; j++) {
                th_arena s;
                th_arena_init(&s, 1 << 16);
                const char *e1 = NULL, *e2 = NULL;
                int64_t now = f.ts[f.cuts[j] - 1];
                th_esql_result *inc = th_esql_panes_run(&s, p, f.cuts[i], f.cuts[j], now, 0, &e1);
                th_esql_result *rest = th_esql_run_rest(&s, f.e, f.pre, f.docs, NDOCS, f.cuts[i], f.cuts[j], now, 0, &e2);
                assert_int_equal(inc == NULL, rest == NULL);
                if (!rest) {
                    assert_non_null(e1);
                    assert_string_equal(e1, e2);
                    failed++;
                }
                th_arena_free(&s);
            }
    assert_true(failed > 0);
    th_esql_panes_free(p);
    fixture_free(&f);
}

static void deferred_now_conditions(void **state)
{
    (void)state;
    /* a bounded condition on a date column, decided per pane from its least
     * and largest value, and mixed with row-local ones */
    const char *q = "FROM logs-* | WHERE user.name IS NOT NULL AND @timestamp >= NOW() - 40 minutes "
                    "AND event.action != \"PutObject\" | EVAL d = event.duration "
                    "| STATS c = COUNT(*), u = VALUES(user.name), l = MAX(@timestamp) BY event.action";
    th_arena a;
    th_arena_init(&a, 4096);
    th_diags d;
    th_diags_init(&d);
    th_esql *e = th_esql_parse(&a, q, strlen(q), NULL, &d);
    assert_non_null(e);
    assert_int_equal(th_esql_prefix_end(e), 3); /* WHERE (row-local part), EVAL */
    th_diags_free(&d);
    th_arena_free(&a);
    assert_true(check_query(q, 0, true) > 0);
    assert_true(check_query(q, 20 * 60 * 1000, true) > 0);
    /* two bounded conditions, one with the column on the right */
    assert_true(check_query("FROM logs-* | WHERE @timestamp >= NOW() - 50 minutes AND NOW() - 5 minutes > @timestamp "
                            "| STATS c = COUNT(*), s = SUM(event.duration) BY user.name",
                            0, true) > 0);
    /* bounds equal to the constant side, which a run evaluates once for
     * all its panes (times in whole seconds, NOW() a document's time or m
     * minutes after the last, so that some pane's least or largest time is
     * the constant): each operator, the column on either side */
    static const char *const edges[][2] = {
        {"@timestamp < NOW() - ", ""}, {"@timestamp <= NOW() - ", ""},
        {"@timestamp > NOW() - ", ""}, {"@timestamp >= NOW() - ", ""},
        {"NOW() - ", " > @timestamp"}, {"NOW() - ", " <= @timestamp"}};
    for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++)
        for (int m = 1; m <= 6; m++) {
            char eq[256];
            snprintf(eq, sizeof eq,
                     "FROM logs-* | WHERE %s%d minutes%s | STATS c = COUNT(*), l = MAX(@timestamp) "
                     "BY user.name",
                     edges[i][0], m, edges[i][1]);
            assert_true(check_query(eq, 0, true) > 0);
            /* NOW() m minutes after the window's last document: the last
             * pane's largest time is the constant */
            check_query(eq, (int64_t)m * 60 * 1000, true); /* none where the times are all before */
        }
    /* a condition the panes cannot bound: decided row by row */
    assert_true(check_query("FROM logs-* | WHERE DATE_DIFF(\"minutes\", @timestamp, NOW()) < 25 "
                            "| STATS c = COUNT(*), s = SUM(event.duration) BY user.name",
                            0, true) > 0);
    /* NOW() under an EVAL that a later command reads ends the prefix there */
    check_query("FROM logs-* | EVAL age = DATE_DIFF(\"minutes\", @timestamp, NOW()) "
                "| STATS c = COUNT(*) BY age",
                0, false);
    /* a condition on a column that a later EVAL overwrites cannot move */
    const char *q2 = "FROM logs-* | WHERE @timestamp >= NOW() - 1 hour | EVAL @timestamp = event.duration "
                     "| STATS c = COUNT(*)";
    th_arena_init(&a, 4096);
    th_diags_init(&d);
    e = th_esql_parse(&a, q2, strlen(q2), NULL, &d);
    assert_non_null(e);
    assert_int_equal(th_esql_prefix_end(e), 1);
    th_diags_free(&d);
    th_arena_free(&a);
}

/* The fold (th_esql_panes_folded): the panes given chunk by chunk, each
 * chunk a run of whole panes whose documents alone the head ran over (in
 * its own arena, freed after th_esql_panes_fold), the chunks one pane,
 * a few, or every pane at once, in order or shuffled, over documents as
 * trees or as captured rows (keyed); then every window, first in a
 * scheduler's order (the slide over `span` panes) and then each [i, j),
 * against th_esql_run_rest over the prefix of every document. Returns
 * false when a chunk was refused (then nothing is compared). */
/* windows the fold answered (th_esql_panes_whole) and not */
static size_t fold_windows[2];

static bool check_fold(const char *q, size_t span)
{
    fixture f;
    fixture_init(&f, q);
    const size_t *cuts = f.cuts, nc = f.nc;
    th_arena pa;
    th_arena_init(&pa, 1 << 12);
    th_esql_panes *p = th_esql_panes_folded(&pa, f.e, cuts, nc);
    assert_non_null(p);
    /* chunks: [ck[i], ck[i + 1]) in pane indexes */
    size_t ck[NDOCS + 2], nck = 0, mode = next_rand(3);
    for (size_t k = 0; k + 1 < nc; k += mode == 0 ? 1 : mode == 1 ? 1 + next_rand(4) : nc)
        ck[nck++] = k;
    ck[nck] = nc - 1;
    size_t order[NDOCS + 1];
    for (size_t i = 0; i < nck; i++)
        order[i] = i;
    for (size_t i = nck; next_rand(2) && i > 1; i--) { /* now and then shuffled */
        size_t j = next_rand((unsigned)i), t = order[i - 1];
        order[i - 1] = order[j];
        order[j] = t;
    }
    bool bykey = next_rand(2), ok = true;
    for (size_t c = 0; c < nck && ok; c++) {
        size_t k0 = ck[order[c]], k1 = ck[order[c] + 1], lo = cuts[k0], n = cuts[k1] - lo;
        th_arena ca;
        th_arena_init(&ca, 1 << 12);
        const char *err = NULL;
        th_esql_ids *ids = NULL;
        const th_esql_doc *docs = bykey ? keyed_docs(&ca, f.docs + lo, n) : f.docs + lo;
        const th_esql_result *pre =
            bykey ? th_esql_run_prefix_kept(&ca, f.e, docs, n, NULL, NULL, NULL, NULL, &ids, &err)
                  : th_esql_run_prefix(&ca, f.e, docs, n, &err);
        assert_non_null(pre);
        ok = th_esql_panes_fold(p, pre, docs, n, ids, k0, k1);
        th_esql_ids_free(ids);
        th_arena_free(&ca); /* the panes keep none of it (ASan: CONCAT's strings below) */
    }
    /* now and then the panes behind each window dropped as it passes
     * (th_esql_panes_drop, as esql_fold does): every window answers as
     * before (whole as asked before any drop) */
    bool drop = next_rand(2), was[NDOCS + 2 * 30 + 2];
    for (size_t j = 1; ok && j < nc + span; j++) {
        size_t i0 = j > span ? j - span : 0, i1 = j < nc ? j : nc - 1;
        was[j] = th_esql_panes_whole(p, cuts[i0], cuts[i1], f.ts[cuts[i1] > 0 ? cuts[i1] - 1 : 0]);
    }
    if (ok) {
        for (size_t j = 1; j < nc + span; j++) { /* a scheduler's order */
            size_t i0 = j > span ? j - span : 0, i1 = j < nc ? j : nc - 1;
            size_t lo = cuts[i0], hi = cuts[i1];
            int64_t now = f.ts[hi > 0 ? hi - 1 : 0];
            th_arena s;
            th_arena_init(&s, 1 << 16);
            const char *e1 = NULL, *e2 = NULL;
            bool whole = th_esql_panes_whole(p, lo, hi, now);
            assert_int_equal(whole, was[j]);
            th_esql_result *inc = th_esql_panes_run(&s, p, lo, hi, now, 0, &e1);
            th_esql_result *rest =
                th_esql_run_rest(&s, f.e, f.pre, f.docs, NDOCS, lo, hi, now, 0, &e2);
            fold_windows[whole]++;
            if (!whole) /* the caller would have run the usual way */
                assert_true(inc == NULL && e1 != NULL);
            else
                assert_int_equal(inc == NULL, rest == NULL);
            if (whole && rest)
                same_table(&s, inc, rest,
                           th_arena_printf(&s, "fold vs rest, %.40s: run %zu", q + 14, j));
            th_arena_free(&s);
            size_t next = j + 1 > span ? j + 1 - span : 0; /* the next window's first pane */
            if (drop)
                th_esql_panes_drop(p, cuts[next < nc - 1 ? next : nc - 1]);
        }
    }
    if (ok && drop) { /* the panes dropped: a window over them is refused */
        th_arena s;
        th_arena_init(&s, 1 << 12);
        const char *e1 = NULL;
        size_t hi = cuts[nc - 1];
        assert_false(th_esql_panes_whole(p, cuts[0], hi, f.ts[hi - 1]));
        assert_null(th_esql_panes_run(&s, p, cuts[0], hi, f.ts[hi - 1], 0, &e1));
        assert_non_null(e1);
        th_arena_free(&s);
    }
    if (ok && !drop) {
        for (size_t i = 0; i + 1 < nc; i++)
            for (size_t j = i + 1; j < nc; j++) {
                size_t lo = cuts[i], hi = cuts[j];
                int64_t now = f.ts[hi - 1];
                th_arena s;
                th_arena_init(&s, 1 << 16);
                const char *e1 = NULL, *e2 = NULL;
                bool whole = th_esql_panes_whole(p, lo, hi, now);
                th_esql_result *inc = th_esql_panes_run(&s, p, lo, hi, now, 0, &e1);
                th_esql_result *rest =
                    th_esql_run_rest(&s, f.e, f.pre, f.docs, NDOCS, lo, hi, now, 0, &e2);
                fold_windows[whole]++;
                if (!whole) {
                    assert_true(inc == NULL && e1 != NULL);
                } else if (rest) {
                    assert_non_null(inc);
                    same_table(&s, inc, rest,
                               th_arena_printf(&s, "fold vs rest, %.40s: window [%zu, %zu)", q + 14,
                                               lo, hi));
                } else {
                    assert_null(inc);
                    assert_string_equal(e1, e2);
                }
                th_arena_free(&s);
            }
    }
    th_esql_panes_free(p);
    th_arena_free(&pa);
    fixture_free(&f);
    return ok;
}

/* Flags an EVAL makes from a column with cell ids, a few cells each: a
 * memo over two or three of them keys on their cells' classes
 * (th_esql_ids_values) and its runs of one key add at once (a class per
 * flag merging all cells, or a run past its key, fails it); a flag null
 * where it warned (a multi-valued user compared), a sum that overflows for
 * some keys (its warnings: the fold refuses the chunk, so panes only) and
 * a picked column's cell, each row's */
#define FLAGS_BY_USER                                                                              \
    "FROM logs-* | EVAL t = event.action LIKE \"*Object\", u = user.name == \"bob\", "             \
    "w = CASE(user.name IN (\"alice\", \"carol\"), 2, 7) "
#define FLAGS_STATS                                                                                \
    "v = VALUES(CASE(t == false AND u, event.action, null)), "                                     \
    "l = MAX(CASE(t OR u, @timestamp, null)), m = MIN(CASE(t AND w == 7, source.as.number, "       \
    "null)), "                                                                                     \
    "c = COUNT(CASE(u OR w == 2, 1, null)), n = COUNT(*) BY source.as.number > 4500"
static const char *const flag_queries[] = {
    FLAGS_BY_USER
    "| STATS s = SUM(CASE(t AND u, 1, 0)), sw = SUM(CASE(t OR u, w, 1)), " FLAGS_STATS,
    "FROM logs-* | WHERE event.action != \"Decrypt\" "
    "| EVAL t = CASE(event.action == \"GetObject\", true, false), u = COALESCE(user.name == "
    "\"dave\", false) "
    "| WHERE t OR u OR source.ip IS NOT NULL "
    "| STATS s = SUM(CASE(t AND u, 3, 1)), d = COUNT_DISTINCT(CASE(t, u, null)), "
    "x = MAX(CASE(t == false AND u == false, event.duration, null)) BY user.name",
};

static void flags_by_their_cells(void **state)
{
    (void)state;
    for (size_t k = 0; k < sizeof flag_queries / sizeof flag_queries[0]; k++) {
        assert_true(check_query(flag_queries[k], 0, true) > 0);
        for (int rep = 0; rep < 4; rep++)
            assert_true(check_fold(flag_queries[k], rep % 2 ? 30 : 4));
    }
    /* 7 * 3074457345618258602 overflows: a warning for those keys */
    assert_true(check_query(FLAGS_BY_USER
                            "| STATS s = SUM(CASE(t AND u, 1, 0)), "
                            "sw = SUM(CASE(t OR u, w * 3074457345618258602, 1)), " FLAGS_STATS,
                            0, true) > 0);
}

static void fold_chunks(void **state)
{
    (void)state;
    static const char *const qs[] = {
        /* the joinable aggregates over keywords, longs, dates, booleans,
         * and those kept whole (doubles, ips, AVG); multi-valued BY keys */
        "FROM logs-* | EVAL d = TO_DOUBLE(event.duration) / 7, b = event.duration > 50000 "
        "| STATS n = COUNT(*), nu = COUNT(user.name), cd = COUNT_DISTINCT(user.name), "
        "v = VALUES(event.action), vl = VALUES(source.as.number), vt = VALUES(@timestamp), vb = "
        "VALUES(b), "
        "vd = VALUES(d), vi = VALUES(source.ip), cdi = COUNT_DISTINCT(source.ip), "
        "mn = MIN(@timestamp), mx = MAX(user.name), mxi = MAX(source.ip), "
        "s = SUM(event.duration), sd = SUM(d), av = AVG(event.duration), "
        "mxd = MAX(d), mnd = MIN(source.as.number), "
        "late = COUNT(*) WHERE event.duration > 50000 "
        "BY user.name",
        /* the broad rules' shape: flags by CASE, their sums and maxima, the
         * last date of a kind, and commands after the STATS reading NOW() */
        "FROM logs-* | WHERE user.name IS NOT NULL "
        "| EVAL t = CASE(event.action LIKE \"*Object\", true, false), "
        "a = CASE(event.action IN (\"Decrypt\", \"AssumeRole\"), 1, 0) "
        "| STATS c = COUNT(*), ht = MAX(t), ct = SUM(CASE(t == true, 1, 0)), sa = SUM(a), "
        "va = VALUES(CASE(t == false, event.action, null)), last = MAX(CASE(t == false, "
        "@timestamp, null)), "
        "first = MIN(@timestamp), ips = VALUES(source.ip) BY user.name, event.action "
        "| EVAL r = TO_DOUBLE(sa) / TO_DOUBLE(c), k = MV_COUNT(va) "
        "| WHERE ct >= 1 AND last >= NOW() - 30 minutes | KEEP user.name, event.action, c, ht, ct, "
        "r, k, ips",
        /* a flag that is no BY key, its CASEs remembered by its ids: sums
         * (each id's rows counted), maxima of a constant, of a picked
         * column's cell (each row's), of doubles (row by row), values */
        "FROM logs-* | EVAL t = CASE(event.action LIKE \"*Object\", true, false) "
        "| STATS ct = SUM(CASE(t == true, 1, 0)), cf = SUM(CASE(t, 0, 2)), "
        "ht = MAX(CASE(t, 1, 0)), last = MAX(CASE(t == false, @timestamp, null)), "
        "hd = MAX(CASE(t, 1.5, 0.5)), "
        "vt = VALUES(CASE(t, \"y\", \"n\")), n = COUNT(*) BY user.name",
        /* no BY: one row, also for a window without rows; a computed key */
        "FROM logs-* | WHERE source.as.number > 8000 "
        "| STATS c = COUNT(*), v = VALUES(user.name), s = SUM(event.duration)",
        "FROM logs-* | EVAL k = COALESCE(user.name, \"none\") "
        "| STATS c = COUNT(*), a = VALUES(event.action) BY b = DATE_TRUNC(10 minutes, @timestamp), "
        "k "
        "| SORT c DESC, k | LIMIT 20",
        /* strings the head made (in the chunk's arena) as keys and values */
        "FROM logs-* | EVAL u = CONCAT(COALESCE(user.name, \"-\"), \"/\", event.action) "
        "| STATS c = COUNT(*), v = VALUES(u), m = MAX(u), cd = COUNT_DISTINCT(u) BY k = "
        "CONCAT(event.action, \"!\")",
        /* a run that fails where a pane grouped its rows */
        "FROM logs-* | KEEP @timestamp, event.action | STATS c = COUNT(*) BY user.name",
    };
    for (size_t k = 0; k < sizeof qs / sizeof qs[0]; k++)
        for (int rep = 0; rep < 6; rep++)
            assert_true(check_fold(qs[k], rep % 2 ? 30 : 4));
    assert_int_equal(fold_windows[0], 0);
    /* conditions on NOW() deferred to each window: the panes' bounds are
     * kept; a window that keeps a pane in part is not answered (all of
     * them where NOW() - 10 hours is before every document, several where
     * NOW() - 40 minutes cuts panes) */
    static const char *const later[] = {
        "FROM logs-* | WHERE user.name IS NOT NULL AND @timestamp >= NOW() - 10 hours "
        "| STATS c = COUNT(*), u = VALUES(user.name), l = MAX(@timestamp) BY event.action",
        "FROM logs-* | WHERE @timestamp >= NOW() - 40 minutes AND NOW() - 5 minutes > @timestamp "
        "| STATS c = COUNT(*), s = SUM(event.duration), v = VALUES(source.ip) BY user.name",
    };
    for (size_t k = 0; k < sizeof later / sizeof later[0]; k++) {
        size_t w0 = fold_windows[0], w1 = fold_windows[1];
        for (int rep = 0; rep < 4; rep++)
            assert_true(check_fold(later[k], rep % 2 ? 30 : 4));
        assert_true(fold_windows[1] > w1);
        assert_true(k == 0 ? fold_windows[0] == w0 : fold_windows[0] > w0);
    }
    /* refused: a long SUM that overflows; values of two types in one
     * aggregate, within a pane or from one pane to the next (keywords
     * before a cut's time, longs from it on: each pane of one type where
     * no two documents share that time); a condition on NOW() that is not
     * bounded */
    static const char *const no[] = {
        "FROM logs-* | EVAL w = CASE(@timestamp < \"{cut}\", event.action, event.duration) "
        "| STATS e = MIN(w), v = VALUES(w) BY user.name",
        "FROM logs-* | EVAL big = source.as.number * 1000000000000000 | STATS s = SUM(big) BY "
        "event.action",
        "FROM logs-* | EVAL w = CASE(event.duration > 50000, user.name, event.duration) "
        "| STATS e = MIN(w) BY event.action",
        "FROM logs-* | WHERE DATE_DIFF(\"minutes\", @timestamp, NOW()) < 25 | STATS c = COUNT(*) "
        "BY user.name",
    };
    for (size_t k = 0; k < sizeof no / sizeof no[0]; k++)
        for (int rep = 0; rep < 3; rep++)
            if (check_fold(no[k], 4))
                fail_msg("folded: %s", no[k]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_aggregate),         cmocka_unit_test(head_only_columns),
        cmocka_unit_test(computed_keys_and_no_by), cmocka_unit_test(group_by_ids),
        cmocka_unit_test(flags_by_their_cells),    cmocka_unit_test(overflow_and_mixed_types),
        cmocka_unit_test(deferred_now_conditions), cmocka_unit_test(errors_as_rest),
        cmocka_unit_test(reuse_across_windows),    cmocka_unit_test(fold_chunks),
        cmocka_unit_test(picked_column_ids),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
