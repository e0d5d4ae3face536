/* ES|QL: the prefix's WHERE conjuncts that the routing already decided
 * (th_esql_plain_fn, esql_run.c implied). Over documents a query's lowered
 * condition selects, the prefix run with the plain fields known skips the
 * conjuncts it holds exactly on documents whose fields are plain, and gives
 * what the prefix gives evaluating every conjunct: the same rows, cells and
 * warnings, then the same STATS. Documents are generated with every shape a
 * keyword field takes (missing, one string, an escaped one, arrays of one,
 * of the same value twice and of two, a number, null, an empty array, a
 * string over ignore_above, the nested object form); the conditions are the
 * ones skipped (==, IN, LIKE, IS NOT NULL, AND, OR, a constant_keyword) and
 * the ones that must not be (!=, NOT IN, NOT LIKE, IS NULL, NOT, an ip field,
 * a column an EVAL redefined). The prefix keeps the same bytes in its
 * arena (charged as the rule's state) either way. */
#include "th_test.h"

#include "query/esql.h"
#include "query/ir.h"
#include "query/query.h"

enum { NDOCS = 400 };

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static unsigned next_rand(unsigned n)
{
    return (unsigned)(th_test_xorshift(&rng) % n);
}

/* a JSON value for a keyword field, of every shape; NULL: the field is missing */
static const char *shape(th_arena *a, const char *const *vals, size_t nvals)
{
    const char *v = vals[next_rand((unsigned)nvals)], *w = vals[next_rand((unsigned)nvals)];
    switch (next_rand(14)) {
    case 0: return NULL;
    case 1: return th_arena_printf(a, "[\"%s\"]", v);
    case 2: return th_arena_printf(a, "[\"%s\",\"%s\"]", v, v);
    case 3: return th_arena_printf(a, "[\"%s\",\"%s\"]", v, w);
    case 4: return "7";
    case 5: return "null";
    case 6: return "[]";
    case 7: { /* over ignore_above (1024): no doc value, no IR match */
        char *s = th_arena_alloc(a, 1100 + 3);
        s[0] = '"';
        memset(s + 1, v[0], 1100);
        s[1101] = '"';
        s[1102] = 0;
        return s;
    }
    case 8: /* escaped: the same text once read */
        return th_arena_printf(a, "\"\\u00%02x%s\"", (unsigned char)v[0], v + 1);
    default: return th_arena_printf(a, "\"%s\"", v);
    }
}

static const char *const actions[] = {"a", "b", "c"};
static const char *const outcomes[] = {"s", "f"};
static const char *const users[] = {"u1", "u2", "root"};
static const char *const datasets[] = {"aws.cloudtrail", "other"};

static th_jval **make_docs(th_arena *a)
{
    th_jval **d = TH_ANEWN(a, th_jval *, NDOCS);
    for (size_t i = 0; i < NDOCS; i++) {
        th_buf b;
        th_buf_init(&b);
        th_buf_puts(&b, "{\"@timestamp\":\"2026-09-21T00:00:00.000Z\"");
        const char *act = shape(a, actions, 3), *out = shape(a, outcomes, 2),
                   *usr = shape(a, users, 3), *ds = shape(a, datasets, 2);
        bool nested = next_rand(6) == 0;
        if (act && !nested)
            th_buf_printf(&b, ",\"event.action\":%s", act);
        if (out && !nested)
            th_buf_printf(&b, ",\"event.outcome\":%s", out);
        if (nested && (act || out))
            th_buf_printf(&b, ",\"event\":{%s%s%s%s%s}", act ? "\"action\":" : "", act ? act : "",
                          act && out ? "," : "", out ? "\"outcome\":" : "", out ? out : "");
        if (usr)
            th_buf_printf(&b, ",\"user\":{\"name\":%s}", usr);
        if (ds)
            th_buf_printf(&b, ",\"event.dataset\":%s", ds);
        if (next_rand(3))
            th_buf_printf(&b, ",\"source.ip\":\"10.0.0.%u\"", next_rand(4));
        /* always one plain string: its conjuncts are skipped on every row */
        th_buf_printf(&b, ",\"event.provider\":\"p%u\"", next_rand(2));
        th_buf_putc(&b, '}');
        th_json_error je;
        char *text = th_arena_strndup(a, b.data, b.len); /* the reader's strings are slices of it */
        d[i] = th_json_parse(a, text, b.len, &je);
        assert_non_null(d[i]);
        th_buf_free(&b);
    }
    return d;
}

/* th_esql_plain_fn over the selected documents: path holds no value or one
 * JSON string; counts its calls */
typedef struct plainctx {
    th_jval **doc;
    size_t n, calls;
} plainctx;

typedef struct vcount {
    size_t n;
    bool str;
} vcount;

static bool count_visit(const th_jval *v, void *ctx)
{
    vcount *c = ctx;
    if (v->type == TH_JARR) {
        for (uint32_t i = 0; i < v->len; i++)
            count_visit(v->u.items[i], c);
        return true;
    }
    c->n++;
    c->str = v->type == TH_JSTR;
    return true;
}

static bool test_plain(const void *ctx, th_str path, uint8_t *out)
{
    plainctx *p = (plainctx *)ctx;
    p->calls++;
    for (size_t i = 0; i < p->n; i++) {
        vcount c = {0, false};
        th_json_path_each(p->doc[i], path, count_visit, &c);
        out[i] = c.n == 0 || (c.n == 1 && c.str);
    }
    return true;
}

typedef struct qcase {
    const char *q;
    bool implied; /* some conjunct is skipped where plain */
} qcase;

static const qcase cases[] = {
    {"FROM logs-* | WHERE event.action == \"a\" AND user.name IS NOT NULL"
     " AND event.outcome IN (\"s\", \"f\")"
     " | STATS c = COUNT(*), u = VALUES(user.name) BY event.action",
     true},
    {"FROM logs-* | WHERE (event.action == \"a\" AND user.name LIKE \"u*\") OR"
     " (event.action IN (\"b\", \"c\") AND event.outcome == \"s\") | STATS c = COUNT(*)",
     true},
    /* the same, its columns read later: loaded where the evaluation would
     * have, which several columns under an OR do not tell */
    {"FROM logs-* | WHERE (event.action == \"a\" AND user.name LIKE \"u*\") OR"
     " (event.action IN (\"b\", \"c\") AND event.outcome == \"s\") | EVAL x = event.outcome"
     " | STATS c = COUNT(*), v = VALUES(x), w = VALUES(event.action) BY user.name",
     false},
    {"FROM logs-* | WHERE event.action == \"a\" OR event.action LIKE \"b*\""
     " | STATS c = COUNT(*), w = VALUES(event.outcome) BY event.action",
     true},
    {"FROM logs-* | WHERE event.dataset == \"aws.cloudtrail\" AND event.outcome == \"s\""
     " | STATS c = COUNT(*), v = VALUES(event.action)",
     true},
    {"FROM logs-* | WHERE event.action == \"a\""
     " | WHERE event.outcome == \"f\" AND source.ip IS NOT NULL"
     " | STATS c = COUNT(*), v = VALUES(source.ip) BY user.name",
     true},
    {"FROM logs-* | WHERE \"b\" == event.action AND event.outcome != \"s\""
     " | STATS c = COUNT(*) BY user.name",
     true},
    /* event.provider: plain in every document, read by the STATS: loaded
     * where the WHERE would have, before it drops the multi-valued actions */
    {"FROM logs-* | WHERE event.provider == \"p1\" AND event.action == \"a\""
     " | STATS c = COUNT(*) BY event.provider",
     true},
    {"FROM logs-* | WHERE event.action != \"a\" | STATS c = COUNT(*), v = VALUES(event.outcome)",
     false},
    {"FROM logs-* | WHERE event.action NOT IN (\"a\", \"b\") | STATS c = COUNT(*) BY user.name",
     false},
    {"FROM logs-* | WHERE NOT user.name LIKE \"u*\" | STATS c = COUNT(*) BY event.action", false},
    {"FROM logs-* | WHERE user.name IS NULL | STATS c = COUNT(*) BY event.action", false},
    {"FROM logs-* | WHERE NOT (event.action == \"a\" OR event.outcome == \"s\")"
     " | STATS c = COUNT(*)",
     false},
    {"FROM logs-* | WHERE event.action == \"a\" OR event.outcome != \"s\""
     " | STATS c = COUNT(*) BY user.name",
     false},
    {"FROM logs-* | EVAL user.name = event.outcome | WHERE user.name IS NOT NULL"
     " | STATS c = COUNT(*) BY event.action",
     false},
    {"FROM logs-* | EVAL event.action = \"a\""
     " | WHERE event.action == \"a\" AND event.outcome == \"s\" | STATS c = COUNT(*) BY user.name",
     true},
};

/* every cell of both results, as JSON text, and their warnings; the
 * columns by name (the prefix's table may load them in another order: only
 * the rows and cells are its result) */
static void same_result(th_arena *a, const th_esql_result *x, const th_esql_result *y)
{
    assert_int_equal(th_esql_nrows(x), th_esql_nrows(y));
    assert_int_equal(th_esql_ncols(x), th_esql_ncols(y));
    assert_int_equal(th_esql_warnings(x), th_esql_warnings(y));
    for (size_t r = 0; r < th_esql_nrows(x); r++)
        assert_int_equal(th_esql_row_doc(x, r), th_esql_row_doc(y, r));
    for (size_t c = 0; c < th_esql_ncols(x); c++) {
        size_t cy = 0;
        while (cy < th_esql_ncols(y) && !th_str_eq(th_esql_colname(x, c), th_esql_colname(y, cy)))
            cy++;
        assert_true(cy < th_esql_ncols(y));
        for (size_t r = 0; r < th_esql_nrows(x); r++) {
            th_jval *u = th_esql_cell(a, x, r, c), *v = th_esql_cell(a, y, r, cy);
            th_buf bu, bv;
            th_buf_init(&bu);
            th_buf_init(&bv);
            if (u)
                th_json_write(&bu, u);
            if (v)
                th_json_write(&bv, v);
            assert_int_equal(bu.len, bv.len);
            assert_true(bu.len == 0 || memcmp(bu.data, bv.data, bu.len) == 0);
            th_buf_free(&bu);
            th_buf_free(&bv);
        }
    }
}

static void skipped_conjuncts_change_nothing(void **state)
{
    (void)state;
    th_arena a;
    th_arena_init(&a, 1 << 16);
    th_jval **all = make_docs(&a);
    size_t warned = 0;
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        th_diags d;
        th_diags_init(&d);
        th_esql *q = th_esql_parse(&a, cases[k].q, strlen(cases[k].q), NULL, &d);
        assert_non_null(q);
        th_ir *ir = th_esql_lower(&a, q);
        th_query *pq = ir ? th_query_compile_ir(&a, TH_QLANG_ESQL, ir, NULL, &d) : NULL;
        /* the documents the routing lets through */
        plainctx pc = {TH_ANEWN(&a, th_jval *, NDOCS), 0, 0};
        for (size_t i = 0; i < NDOCS; i++)
            if (!pq || th_query_match(pq, all[i]))
                pc.doc[pc.n++] = all[i];
        assert_true(pc.n > 0);
        th_esql_doc *docs = TH_ANEWN(&a, th_esql_doc, pc.n);
        for (size_t i = 0; i < pc.n; i++)
            docs[i] = (th_esql_doc){.doc = pc.doc[i], .index = TH_STR_LIT("i"), .version = 1};
        const char *err = NULL;
        th_arena ar, af; /* the prefixes' own: they keep the same bytes */
        th_arena_init(&ar, 1 << 12);
        th_arena_init(&af, 1 << 12);
        th_esql_result *pr = th_esql_run_prefix(&ar, q, docs, pc.n, &err);
        assert_non_null(pr);
        th_esql_result *pf = th_esql_run_prefix_routed(&af, q, docs, pc.n, test_plain, &pc, &err);
        assert_non_null(pf);
        assert_int_equal(ar.used_total, af.used_total);
        assert_int_equal(pc.calls > 0, cases[k].implied);
        same_result(&a, pr, pf);
        warned += th_esql_warnings(pr) > 0;
        /* the whole query over them: the STATS of the same rows */
        th_esql_result *rr = th_esql_run_rest(&a, q, pr, docs, pc.n, 0, pc.n, 0, 0, &err);
        th_esql_result *rf = th_esql_run_rest(&a, q, pf, docs, pc.n, 0, pc.n, 0, 0, &err);
        assert_non_null(rr);
        assert_non_null(rf);
        same_result(&a, rr, rf);
        th_arena_free(&ar);
        th_arena_free(&af);
        th_diags_free(&d);
    }
    /* multi-valued fields the routing let through: NULL and a warning in ES|QL */
    assert_true(warned > 0);
    th_arena_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(skipped_conjuncts_change_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
