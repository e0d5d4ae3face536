/* ES|QL: every command and function on small documents, expected values
 * worked out from Elastic's ES|QL reference (null propagation, multi-values,
 * three-valued WHERE, STATS grouping), plus parse errors with line:col and the
 * lowering of the leading WHERE to the IR. */
#include <math.h>

#include "th_test.h"

#include "base/timeutil.h"
#include "ecs/schema.h"
#include "query/esql.h"
#include "query/cnode.h"
#include "query/esql_int.h"
#include "query/ir.h"
#include "query/query.h"

#define T0 "2026-03-01T10:00:00Z"

typedef struct fx {
    th_arena a;
    th_esql_result *r;
} fx;

/* Runs q over the JSON documents (NULL-terminated) with NOW() = `now`. */
static th_esql_result *run_at(th_arena *a, const char *q, const char *const *docs, const char *now)
{
    th_diags d;
    th_diags_init(&d);
    th_esql *e = th_esql_parse(a, q, strlen(q), NULL, &d);
    if (!e)
        th_diags_print(&d, stderr);
    th_diags_free(&d);
    assert_non_null(e);
    size_t n = 0;
    while (docs[n])
        n++;
    th_esql_doc *in = TH_ANEWN(a, th_esql_doc, n ? n : 1);
    for (size_t i = 0; i < n; i++) {
        th_json_error je;
        in[i].doc = th_json_parse(a, docs[i], strlen(docs[i]), &je);
        assert_non_null(in[i].doc);
        in[i].id = th_str_c(th_arena_printf(a, "id%zu", i));
        in[i].index = TH_STR_LIT("logs-aws.cloudtrail-default");
        in[i].version = 1;
    }
    int64_t now_ms = 0;
    th_time_parse_iso(now, strlen(now), &now_ms);
    const char *err = NULL;
    th_esql_result *r = th_esql_run(a, e, in, n, now_ms, 0, &err);
    if (!r)
        fprintf(stderr, "run error: %s\n", err);
    assert_non_null(r);
    return r;
}

static th_esql_result *run(th_arena *a, const char *q, const char *const *docs)
{
    return run_at(a, q, docs, T0);
}

/* a cell as compact JSON, "null" for NULL */
static const char *cell(th_arena *a, th_esql_result *r, size_t row, const char *col)
{
    for (size_t c = 0; c < th_esql_ncols(r); c++) {
        if (!th_str_eqc(th_esql_colname(r, c), col))
            continue;
        th_jval *v = th_esql_cell(a, r, row, c);
        if (!v)
            return "null";
        th_buf b;
        th_buf_init(&b);
        th_json_write(&b, v);
        char *s = th_arena_strndup(a, b.data, b.len);
        th_buf_free(&b);
        return s;
    }
    fail_msg("no column %s", col);
    return NULL;
}

static const char *const people[] = {
    "{\"user\":{\"name\":\"a\"},\"event\":{\"action\":\"X\"}}",
    "{\"user\":{\"name\":\"a\"},\"event\":{\"action\":\"Y\"}}",
    "{\"user\":{\"name\":\"a\"},\"event\":{\"action\":\"X\"}}",
    "{\"user\":{\"name\":\"b\"},\"event\":{\"action\":\"X\"}}",
    "{\"event\":{\"action\":\"Z\"}}",
    "{\"user\":{\"name\":[\"c\",\"b\"]},\"event\":{\"action\":\"X\"}}",
    NULL};

static void where_three_valued(void **state)
{
    (void)state;
    th_arena a;
    th_arena_init(&a, 1 << 16);
    /* != drops the row without user.name and the multi-valued one (NULL) */
    th_esql_result *r = run(&a, "FROM logs-* | WHERE user.name != \"a\" | KEEP user.name", people);
    assert_int_equal(th_esql_nrows(r), 1);
    assert_string_equal(cell(&a, r, 0, "user.name"), "\"b\"");
    r = run(&a, "FROM logs-* | WHERE user.name IS NULL | KEEP event.action", people);
    assert_int_equal(th_esql_nrows(r), 1);
    assert_string_equal(cell(&a, r, 0, "event.action"), "\"Z\"");
    /* NOT NULL is NULL: the missing row stays out of both */
    r = run(&a, "FROM logs-* | WHERE NOT user.name == \"a\"", people);
    assert_int_equal(th_esql_nrows(r), 1);
    /* OR: true wins over NULL */
    r = run(&a, "FROM logs-* | WHERE user.name == \"a\" OR event.action == \"Z\"", people);
    assert_int_equal(th_esql_nrows(r), 4);
    /* IN, NOT IN, LIKE, RLIKE are case-sensitive and whole-value */
    r = run(&a, "FROM logs-* | WHERE event.action IN (\"Y\", \"Z\")", people);
    assert_int_equal(th_esql_nrows(r), 2);
    r = run(&a, "FROM logs-* | WHERE event.action NOT IN (\"X\")", people);
    assert_int_equal(th_esql_nrows(r), 2);
    r = run(&a, "FROM logs-* | WHERE user.name LIKE \"?\" AND event.action RLIKE \"[XY]\"", people);
    assert_int_equal(th_esql_nrows(r), 4);
    r = run(&a, "FROM logs-* | WHERE event.action LIKE \"x\"", people);
    assert_int_equal(th_esql_nrows(r), 0);
    r = run(&a, "FROM logs-* | WHERE true IN (event.action == \"Y\", event.action == \"Z\")", people);
    assert_int_equal(th_esql_nrows(r), 2);
    th_arena_free(&a);
}

static const char *const actions[] = {
    "{\"event\":{\"action\":\"GetObject\"},\"source\":{\"ip\":\"10.0.0.1\"}}",
    "{\"event\":{\"action\":\"PutObject\"},\"source\":{\"ip\":\"10.0.0.2\"}}",
    "{\"event\":{\"action\":\"\"}}",
    "{\"event\":{\"action\":[\"GetObject\",\"Decrypt\"]}}",
    "{\"event\":{\"action\":\"Decrypt\"},\"source\":{\"ip\":\"::1\"}}",
    "{\"event\":{\"action\":\"getobject\"}}",
    "{\"source\":{\"ip\":\"10.0.0.3\"}}",
    NULL};

/* An IN list of string literals is looked up in a sorted set: the same truth
 * (NULL for a missing or multi-valued operand, with the same warnings) as
 * the list compared item by item, which a non-literal item forces. */
static void in_list_set(void **state)
{
    (void)state;
    th_arena a;
    th_arena_init(&a, 1 << 16);
    static const char *const pairs[][2] = {
        {"event.action IN (\"PutObject\", \"GetObject\", \"\", \"ListBuckets\")",
         "event.action IN (\"PutObject\", CONCAT(\"Get\", \"Object\"), \"\", \"ListBuckets\")"},
        {"event.action NOT IN (\"Decrypt\", \"GetObject\")",
         "event.action NOT IN (\"Decrypt\", TO_STRING(\"GetObject\"))"},
        {"event.action IN (\"Decrypt\")", "event.action IN (TO_STRING(\"Decrypt\"))"},
        /* an ip operand compares as an address, not as text */
        {"source.ip IN (\"10.0.0.1\", \"0:0::1\")", "source.ip IN (\"10.0.0.1\", TO_STRING(\"0:0::1\"))"},
    };
    for (size_t k = 0; k < sizeof pairs / sizeof pairs[0]; k++) {
        const char *q1 = th_arena_printf(&a, "FROM logs-* | EVAL m = %s | KEEP m", pairs[k][0]);
        const char *q2 = th_arena_printf(&a, "FROM logs-* | EVAL m = %s | KEEP m", pairs[k][1]);
        th_esql_result *x = run(&a, q1, actions), *y = run(&a, q2, actions);
        assert_int_equal(th_esql_nrows(x), th_esql_nrows(y));
        assert_int_equal(th_esql_warnings(x), th_esql_warnings(y));
        for (size_t row = 0; row < th_esql_nrows(x); row++)
            assert_string_equal(cell(&a, x, row, "m"), cell(&a, y, row, "m"));
    }
    th_esql_result *r = run(&a, "FROM logs-* | EVAL m = event.action IN (\"GetObject\", \"\") | KEEP m", actions);
    static const char *const want[] = {"true", "false", "true", "null", "false", "false", "null"};
    for (size_t row = 0; row < 7; row++)
        assert_string_equal(cell(&a, r, row, "m"), want[row]);
    assert_int_equal(th_esql_warnings(r), 1);
    r = run(&a, "FROM logs-* | WHERE source.ip IN (\"0:0::1\")", actions);
    assert_int_equal(th_esql_nrows(r), 1);
    th_arena_free(&a);
}

static void stats_groups(void **state)
{
    (void)state;
    th_arena a;
    th_arena_init(&a, 1 << 16);
    th_esql_result *r = run(&a,
                            "FROM logs-* | STATS c = COUNT(*), d = COUNT_DISTINCT(event.action), "
                            "v = VALUES(event.action), k = COUNT(user.name) BY user.name",
                            people);
    /* groups: a (3 rows), b (row 4 and the multi-valued row 6), null, c */
    assert_int_equal(th_esql_nrows(r), 4);
    assert_string_equal(th_esql_colname(r, 0).p, "c");
    assert_true(th_str_eqc(th_esql_colname(r, 4), "user.name"));
    assert_string_equal(cell(&a, r, 0, "user.name"), "\"a\"");
    assert_string_equal(cell(&a, r, 0, "c"), "3");
    assert_string_equal(cell(&a, r, 0, "d"), "2");
    assert_string_equal(cell(&a, r, 0, "v"), "[\"X\",\"Y\"]");
    assert_string_equal(cell(&a, r, 1, "user.name"), "\"b\"");
    assert_string_equal(cell(&a, r, 1, "c"), "2");
    assert_string_equal(cell(&a, r, 1, "v"), "\"X\"");
    /* COUNT(field) counts values: the multi-valued row counts twice */
    assert_string_equal(cell(&a, r, 1, "k"), "3");
    assert_string_equal(cell(&a, r, 2, "user.name"), "null");
    assert_string_equal(cell(&a, r, 2, "c"), "1");
    assert_string_equal(cell(&a, r, 2, "k"), "0");
    assert_string_equal(cell(&a, r, 3, "user.name"), "\"c\"");
    /* aggregate WHERE, no BY: one row */
    r = run(&a, "FROM logs-* | STATS n = COUNT(*) WHERE event.action == \"X\", m = MIN(user.name), "
                "z = COUNT(*) WHERE event.action == \"none\", s = SUM(CASE(event.action == \"X\", 1, 0))",
            people);
    assert_int_equal(th_esql_nrows(r), 1);
    assert_string_equal(cell(&a, r, 0, "n"), "4");
    assert_string_equal(cell(&a, r, 0, "m"), "\"a\"");
    assert_string_equal(cell(&a, r, 0, "z"), "0");
    assert_string_equal(cell(&a, r, 0, "s"), "4");
    /* no rows, no BY: still one row; with BY: none */
    r = run(&a, "FROM logs-* | WHERE event.action == \"none\" | STATS n = COUNT(*), x = MAX(user.name)", people);
    assert_int_equal(th_esql_nrows(r), 1);
    assert_string_equal(cell(&a, r, 0, "n"), "0");
    assert_string_equal(cell(&a, r, 0, "x"), "null");
    r = run(&a, "FROM logs-* | WHERE event.action == \"none\" | STATS n = COUNT(*) BY user.name", people);
    assert_int_equal(th_esql_nrows(r), 0);
    /* WHERE after STATS, SORT desc, LIMIT */
    r = run(&a, "FROM logs-* | STATS c = COUNT(*) BY event.action | WHERE c >= 1 | SORT c DESC, event.action | LIMIT 2",
            people);
    assert_int_equal(th_esql_nrows(r), 2);
    assert_string_equal(cell(&a, r, 0, "event.action"), "\"X\"");
    assert_string_equal(cell(&a, r, 0, "c"), "4");
    assert_string_equal(cell(&a, r, 1, "event.action"), "\"Y\"");
    th_arena_free(&a);
}

static const char *const timed[] = {
    "{\"@timestamp\":\"2026-03-01T10:00:17.500Z\",\"source\":{\"ip\":\"10.1.2.3\"},\"user\":{\"name\":\"a\"},"
    "\"aws\":{\"cloudtrail\":{\"request_parameters\":\"{userName=bob, accessKeyId=AKIA1}\"}}}",
    "{\"@timestamp\":\"2026-03-01T10:59:59.900Z\",\"source\":{\"ip\":\"203.0.113.9\"},"
    "\"aws\":{\"cloudtrail\":{\"request_parameters\":\"{instancesSet={items=[{instanceId=i-0abc}]}, force=false}\"}}}",
    NULL};

static void eval_functions(void **state)
{
    (void)state;
    th_arena a;
    th_arena_init(&a, 1 << 16);
    th_esql_result *r = run(&a,
        "FROM logs-* | EVAL t10 = DATE_TRUNC(10 seconds, @timestamp), t5 = date_trunc(5 minute, @timestamp), "
        "c = CONCAT(user.name, \"-\", TO_STRING(source.ip)), co = COALESCE(user.name, \"none\"), "
        "k = CASE(user.name IS NULL, \"nouser\", user.name == \"a\", \"A\"), "
        "d = DATE_DIFF(\"seconds\", \"2026-03-01T10:00:00Z\", @timestamp), "
        "recent = @timestamp >= NOW() - 1 hour, cidr = CIDR_MATCH(source.ip, \"10.0.0.0/8\", \"192.168.0.0/16\"), "
        "n = TO_INTEGER(\"12\") - TO_INTEGER(\"2\") + 1, q = 7 / 2, dbl = TO_DOUBLE(1) / TO_DOUBLE(4), "
        "sw = STARTS_WITH(co, \"no\"), ew = ENDS_WITH(co, \"ne\"), f = DATE_FORMAT(\"YYYY-mm-dd\", @timestamp)",
        timed);
    assert_int_equal(th_esql_nrows(r), 2);
    assert_string_equal(cell(&a, r, 0, "t10"), "\"2026-03-01T10:00:10.000Z\"");
    assert_string_equal(cell(&a, r, 0, "t5"), "\"2026-03-01T10:00:00.000Z\"");
    assert_string_equal(cell(&a, r, 0, "c"), "\"a-10.1.2.3\"");
    assert_string_equal(cell(&a, r, 1, "c"), "null");           /* CONCAT: NULL in, NULL out */
    assert_string_equal(cell(&a, r, 1, "co"), "\"none\"");
    assert_string_equal(cell(&a, r, 0, "k"), "\"A\"");
    assert_string_equal(cell(&a, r, 1, "k"), "\"nouser\"");
    assert_string_equal(cell(&a, r, 0, "d"), "17");             /* whole seconds, truncated */
    assert_string_equal(cell(&a, r, 1, "d"), "3599");
    assert_string_equal(cell(&a, r, 0, "recent"), "true");      /* NOW() = 10:00:00 */
    assert_string_equal(cell(&a, r, 0, "cidr"), "true");
    assert_string_equal(cell(&a, r, 1, "cidr"), "false");
    assert_string_equal(cell(&a, r, 0, "n"), "11");
    assert_string_equal(cell(&a, r, 0, "q"), "3");              /* integer division truncates */
    assert_string_equal(cell(&a, r, 0, "dbl"), "0.25");
    assert_string_equal(cell(&a, r, 1, "sw"), "true");
    assert_string_equal(cell(&a, r, 0, "ew"), "false");
    /* YYYY week-based year, mm minutes: 2026-03-01 is a Sunday of ISO week 9 of 2026 */
    assert_string_equal(cell(&a, r, 1, "f"), "\"2026-59-01\"");
    /* MV_COUNT, MV_FIRST, FROM_BASE64, TO_LOWER, multi-valued operand -> NULL */
    r = run(&a, "FROM logs-* | EVAL m = MV_COUNT(user.name), f = MV_FIRST(user.name), "
                "b = FROM_BASE64(\"aGVsbG8=\"), l = TO_LOWER(\"AbC\"), eq = user.name == \"b\"",
            people);
    assert_string_equal(cell(&a, r, 5, "m"), "2");
    assert_string_equal(cell(&a, r, 5, "f"), "\"b\"");          /* keyword doc values are sorted */
    assert_string_equal(cell(&a, r, 5, "eq"), "null");
    assert_string_equal(cell(&a, r, 4, "m"), "null");
    assert_string_equal(cell(&a, r, 0, "b"), "\"hello\"");
    assert_string_equal(cell(&a, r, 0, "l"), "\"abc\"");
    assert_true(th_esql_warnings(r) > 0);
    /* DATE_FORMAT across the ISO week-year boundary: 2024-12-30 is in week 1 of 2025 */
    const char *const dec[] = {"{\"@timestamp\":\"2024-12-30T10:05:00Z\"}", NULL};
    r = run(&a, "FROM logs-* | EVAL f = DATE_FORMAT(\"YYYY-mm-dd\", @timestamp)", dec);
    assert_string_equal(cell(&a, r, 0, "f"), "\"2025-05-30\"");
    th_arena_free(&a);
}

static void dissect_grok_keep(void **state)
{
    (void)state;
    th_arena a;
    th_arena_init(&a, 1 << 16);
    th_esql_result *r = run(&a,
        "FROM logs-* | DISSECT aws.cloudtrail.request_parameters \"{%{?k}=%{u}, %{?k2}=%{key}}\" "
        "| GROK aws.cloudtrail.request_parameters \"\"\"instanceId=(?<Esql.instance_id>[^,}\\]]+)\"\"\" "
        "| KEEP u, key, Esql.*",
        timed);
    assert_int_equal(th_esql_nrows(r), 2);
    assert_int_equal(th_esql_ncols(r), 3);
    assert_string_equal(cell(&a, r, 0, "u"), "\"bob\"");
    assert_string_equal(cell(&a, r, 0, "key"), "\"AKIA1\"");
    assert_string_equal(cell(&a, r, 0, "Esql.instance_id"), "null");
    /* each value runs to the FIRST occurrence of its delimiter (", " here) */
    assert_string_equal(cell(&a, r, 1, "u"), "\"{items=[{instanceId=i-0abc}]}\"");
    assert_string_equal(cell(&a, r, 1, "key"), "\"false\"");
    assert_string_equal(cell(&a, r, 1, "Esql.instance_id"), "\"i-0abc\"");
    /* a value that does not fit: every key NULL, the row kept */
    r = run(&a, "FROM logs-* | DISSECT event.action \"%{x}=%{y}\" | KEEP x, y", people);
    assert_int_equal(th_esql_nrows(r), 6);
    assert_string_equal(cell(&a, r, 0, "x"), "null");
    assert_string_equal(cell(&a, r, 0, "y"), "null");
    /* %{NOTSPACE:name}, DROP, RENAME, MV_EXPAND */
    r = run(&a, "FROM logs-* | GROK aws.cloudtrail.request_parameters \"accessKeyId=%{NOTSPACE:k}\" "
                "| RENAME k AS key | DROP aws.* | KEEP key",
            timed);
    assert_string_equal(cell(&a, r, 0, "key"), "\"AKIA1}\"");
    r = run(&a, "FROM logs-* | KEEP user.name | MV_EXPAND user.name | WHERE user.name IS NOT NULL", people);
    assert_int_equal(th_esql_nrows(r), 6);
    assert_string_equal(cell(&a, r, 4, "user.name"), "\"b\"");
    assert_string_equal(cell(&a, r, 5, "user.name"), "\"c\"");
    /* a name kept twice: no error, the rightmost place wins (ES|QL's precedence) */
    r = run(&a, "FROM logs-* | KEEP user.name, event.action, user.name", people);
    assert_non_null(r);
    assert_int_equal(th_esql_ncols(r), 2);
    assert_true(th_str_eq(th_esql_colname(r, 0), th_str_c("event.action")));
    assert_true(th_str_eq(th_esql_colname(r, 1), th_str_c("user.name")));
    /* a pattern then the exact name: the exact name's place */
    r = run(&a, "FROM logs-* | KEEP user.*, event.action, user.name", people);
    assert_non_null(r);
    assert_true(th_str_eq(th_esql_colname(r, th_esql_ncols(r) - 1), th_str_c("user.name")));
    th_arena_free(&a);
}

/* KEEP's patterns: one ending in its only `*` matches by prefix, the others
 * by th_field_glob; either way the columns kept are those th_field_glob
 * accepts, in the table's order */
static void keep_patterns_as_glob(void **state)
{
    (void)state;
    th_arena a;
    th_arena_init(&a, 1 << 16);
    static const char *const names[] = {"a", "ab", "abc", "b", "ba", "Esql.x", "Esql", "Esql.", NULL};
    static const char *const pats[] = {"a*", "ab*", "abc*", "abcd*", "*", "a*c", "*c", "*b*", "b*",
                                       "Esql.*", "Esql*", "E*.*", "**", "a**", NULL};
    for (size_t p = 0; pats[p]; p++) {
        const char *q = th_arena_printf(&a,
                                        "FROM logs-* | STATS a = COUNT(*), ab = COUNT(*), abc = COUNT(*), b = COUNT(*), "
                                        "ba = COUNT(*), Esql.x = COUNT(*), Esql = COUNT(*), `Esql.` = COUNT(*) "
                                        "| KEEP %s",
                                        pats[p]);
        th_esql_result *r = run(&a, q, people);
        size_t w = 0;
        for (size_t c = 0; names[c]; c++) {
            if (!th_field_glob(th_str_c(pats[p]), th_str_c(names[c])))
                continue;
            assert_true(w < th_esql_ncols(r));
            if (!th_str_eq(th_esql_colname(r, w), th_str_c(names[c])))
                fail_msg("KEEP %s: column %zu is not %s", pats[p], w, names[c]);
            w++;
        }
        if (w != th_esql_ncols(r))
            fail_msg("KEEP %s: %zu columns, th_field_glob accepts %zu", pats[p], th_esql_ncols(r), w);
    }
    th_arena_free(&a);
}

/* th_esql_keep with a memo of its answers (erun.keeps, as th_esql_panes_run
 * gives it) against the same call without: tables of names drawn from a
 * pool (the same names again, at other addresses, one name changed, fewer
 * or more), six commands sharing the four entries, and a KEEP of a name
 * the table lacks (an error, nothing kept); the same columns in the same
 * order, the same error, and the run's arena the same bytes. */
static void keep_memo_by_names(void **state)
{
    (void)state;
    th_arena a;
    th_arena_init(&a, 1 << 16);
    static const char *const qs[] = {
        "FROM logs-* | KEEP b*, a",
        "FROM logs-* | KEEP Esql.*, user.name",
        "FROM logs-* | DROP a*",
        "FROM logs-* | KEEP *, b",
        "FROM logs-* | DROP *.x, ba",
        "FROM logs-* | KEEP abc",
    };
    enum { NQ = sizeof qs / sizeof qs[0] };
    static const char *const pool[] = {"a", "ab", "abc", "b", "ba", "Esql.x", "Esql.y", "user.name", "c.x"};
    enum { NP = sizeof pool / sizeof pool[0] };
    const cmd *cs[NQ];
    for (size_t q = 0; q < NQ; q++) {
        th_diags d;
        th_diags_init(&d);
        th_esql *e = th_esql_parse(&a, qs[q], strlen(qs[q]), NULL, &d);
        th_diags_free(&d);
        assert_non_null(e);
        cs[q] = &e->cmds[1];
    }
    esql_keepmemo *m = th_xcalloc(ESQL_KEEP_MEMOS, sizeof *m);
    ev cells[NP];
    uint64_t seed = 7;
    size_t hits = 0;
    for (int it = 0; it < 3000; it++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        size_t q = (seed >> 33) % NQ, n = 1 + (seed >> 40) % NP;
        /* n distinct names, in an order drawn, the text copied anew */
        size_t pick[NP];
        for (size_t i = 0; i < NP; i++)
            pick[i] = i;
        uint64_t s2 = (it % 4) ? 11 : seed; /* mostly the same names */
        for (size_t i = NP; i-- > 1;) {
            s2 = s2 * 6364136223846793005ull + 1442695040888963407ull;
            size_t j = (s2 >> 33) % (i + 1), t = pick[i];
            pick[i] = pick[j];
            pick[j] = t;
        }
        etab t0 = {.ncols = n, .capcols = n};
        t0.names = TH_ANEWN(&a, th_str, n);
        t0.cols = TH_ANEWN(&a, ev *, n);
        for (size_t i = 0; i < n; i++) {
            const char *nm = pool[pick[i]];
            t0.names[i] = th_str_make(th_arena_strdup(&a, nm), strlen(nm));
            t0.cols[i] = &cells[pick[i]];
        }
        etab t1 = t0, t2 = t0;
        th_arena x, y;
        th_arena_init(&x, 1 << 12);
        th_arena_init(&y, 1 << 12);
        erun plain = {.a = &x, .q = NULL, .track = -1};
        erun kept = {.a = &y, .q = NULL, .track = -1, .keeps = m};
        size_t w0 = 0;
        for (size_t i = 0; i < ESQL_KEEP_MEMOS; i++)
            w0 += m[i].c == cs[q] && m[i].n == n;
        bool ok1 = th_esql_keep(&plain, &t1, cs[q], strstr(qs[q], "DROP") != NULL);
        bool ok2 = th_esql_keep(&kept, &t2, cs[q], strstr(qs[q], "DROP") != NULL);
        hits += w0;
        assert_int_equal(ok1, ok2);
        assert_true((plain.err == NULL) == (kept.err == NULL));
        assert_int_equal(x.used_total, y.used_total);
        if (ok1) {
            assert_int_equal(t1.ncols, t2.ncols);
            for (size_t i = 0; i < t1.ncols; i++) {
                assert_true(th_str_eq(t1.names[i], t2.names[i]));
                assert_ptr_equal(t1.cols[i], t2.cols[i]);
            }
        }
        th_arena_free(&x);
        th_arena_free(&y);
    }
    assert_true(hits > 100); /* the memo answered */
    th_esql_keepmemo_free(m);
    th_arena_free(&a);
}

static void parse_errors_have_positions(void **state)
{
    (void)state;
    static const struct {
        const char *q, *msg;
        unsigned line, col;
    } cases[] = {
        {"FROM logs-*\n| WHERE event.provider = \"x\"", "'=' is not a comparison", 2, 24},
        {"FROM logs-* | ENRICH p", "unknown or unsupported command ENRICH", 1, 15},
        {"FROM logs-*\n| EVAL x = SPLIT(a, \",\")", "unknown or unsupported function SPLIT", 2, 12},
        {"FROM logs-* | EVAL x = COUNT(*)", "aggregate functions are only allowed in STATS", 1, 24},
        {"ROW a = 1", "only FROM queries are supported", 1, 1},
        {"FROM logs-* | WHERE a == \"x", "unterminated string", 1, 26},
        {"FROM logs-* | EVAL t = DATE_TRUNC(1 month, @timestamp)", "calendar time spans", 1, 37},
        {"FROM logs-*\n| WHERE @timestamp > NOW() - 9223372036854775807 seconds",
         "time span out of range", 2, 30},
        /* columns count characters where the text has bytes >= 0x80, bytes where not */
        {"FROM logs-*\n| WHERE a == \"\xC3\xA9\xE4\xB8\xAD\" AND b = \"x\"", "'=' is not a comparison", 2,
         25},
        {"FROM logs-* // \xC3\xA9\n| WHERE b = \"x\"", "'=' is not a comparison", 2, 11},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        th_arena a;
        th_arena_init(&a, 4096);
        th_diags d;
        th_diags_init(&d);
        th_esql *e = th_esql_parse(&a, cases[i].q, strlen(cases[i].q), NULL, &d);
        assert_null(e);
        assert_int_equal(d.len, 1);
        if (!strstr(d.items[0].message, cases[i].msg))
            fail_msg("case %zu: %s", i, d.items[0].message);
        assert_int_equal(d.items[0].line, cases[i].line);
        assert_int_equal(d.items[0].col, cases[i].col);
        th_diags_free(&d);
        th_arena_free(&a);
    }
}

static void lowering_routes_like_kql(void **state)
{
    (void)state;
    th_arena a;
    th_arena_init(&a, 1 << 16);
    const char *q = "from logs-aws.cloudtrail-* metadata _id, _version, _index\n"
                    "| eval x = 1\n"
                    "| where event.provider == \"iam.amazonaws.com\" and event.action in (\"A\", \"B\")\n"
                    "  and not user_agent.original like \"*Terraform*\" and user.name != user.target.name\n"
                    "  and source.ip is not null and x == 1\n"
                    "| stats c = count(*) by user.name\n"
                    "| where event.action == \"never\"";
    th_diags d;
    th_diags_init(&d);
    th_esql *e = th_esql_parse(&a, q, strlen(q), NULL, &d);
    assert_non_null(e);
    assert_true(th_esql_aggregating(e));
    assert_true(th_esql_metadata_id(e));
    th_ir *ir = th_esql_lower(&a, e);
    assert_non_null(ir);
    th_buf b;
    th_buf_init(&b);
    th_ir_print(&b, ir);
    /* column-to-column and EVAL'd conditions drop out; nothing after STATS */
    assert_string_equal(th_buf_str(&b).p ? th_arena_strndup(&a, b.data, b.len) : "",
                        "(and (and (and (term \"event.provider\" \"iam.amazonaws.com\") "
                        "(terms \"event.action\" \"A\" \"B\")) (not (wildcard \"user_agent.original\" \"*Terraform*\"))) "
                        "(exists \"source.ip\"))");
    th_buf_free(&b);
    th_query *pq = th_query_compile_ir(&a, TH_QLANG_ESQL, ir, NULL, &d);
    th_str vals[8];
    assert_int_equal(th_query_required_values(pq, "event.action", vals, 8), 2);
    bool pat;
    th_str f[16];
    size_t nf = th_esql_fields(e, f, 16, &pat);
    assert_false(pat);
    assert_int_equal(nf, 6); /* provider, action, user_agent.original, user.name, user.target.name, source.ip */
    th_diags_free(&d);
    th_arena_free(&a);
}

/* th_esql_run_prefix + th_esql_run_rest over a document range give what
 * th_esql_run gives over those documents alone */
static void prefix_then_rest_equals_whole(void **state)
{
    (void)state;
    th_arena a;
    th_arena_init(&a, 1 << 16);
    const char *q = "FROM logs-* | WHERE event.action != \"Z\" | EVAL u = COALESCE(user.name, \"-\") "
                    "| STATS c = COUNT(*), v = VALUES(u) BY event.action | SORT event.action";
    th_diags d;
    th_diags_init(&d);
    th_esql *e = th_esql_parse(&a, q, strlen(q), NULL, &d);
    assert_non_null(e);
    assert_int_equal(th_esql_prefix_end(e), 3); /* WHERE, EVAL; STATS is not row-local */
    th_esql_doc in[6];
    for (size_t i = 0; i < 6; i++) {
        th_json_error je;
        in[i] = (th_esql_doc){.doc = th_json_parse(&a, people[i], strlen(people[i]), &je),
                              .id = TH_STR_LIT("x"),
                              .index = TH_STR_LIT("i"),
                              .version = 1};
    }
    const char *err;
    th_esql_result *pre = th_esql_run_prefix(&a, e, in, 6, &err);
    assert_non_null(pre);
    th_esql_result *part = th_esql_run_rest(&a, e, pre, in, 6, 1, 4, 0, 0, &err);
    th_esql_result *whole = th_esql_run(&a, e, in + 1, 3, 0, 0, &err);
    assert_non_null(part);
    assert_non_null(whole);
    /* docs 1..3: (a, Y), (a, X), (b, X) */
    assert_int_equal(th_esql_nrows(part), 2);
    assert_int_equal(th_esql_nrows(whole), 2);
    for (size_t r = 0; r < 2; r++)
        for (size_t c = 0; c < th_esql_ncols(whole); c++) {
            const char *col = th_arena_strndup(&a, th_esql_colname(whole, c).p, th_esql_colname(whole, c).n);
            assert_string_equal(cell(&a, part, r, col), cell(&a, whole, r, col));
        }
    assert_string_equal(cell(&a, part, 0, "v"), "[\"a\",\"b\"]");
    assert_string_equal(cell(&a, part, 1, "c"), "1");
    th_diags_free(&d);
    th_arena_free(&a);
}

/* VALUES and COUNT_DISTINCT skip a value identical to the one gathered just
 * before it: runs of one value, a run broken by a multi-valued cell, a value
 * that comes back after others, and both aggregates over the same rows. */
static const char *const runs[] = {
    "{\"g\":\"p\",\"k\":\"b\",\"n\":3}",
    "{\"g\":\"p\",\"k\":\"b\",\"n\":3}",
    "{\"g\":\"p\",\"k\":\"b\",\"n\":3}",
    "{\"g\":\"p\",\"k\":\"a\",\"n\":1}",
    "{\"g\":\"p\",\"k\":[\"c\",\"a\"],\"n\":[3,1]}",
    "{\"g\":\"q\",\"k\":\"b\",\"n\":2}",
    "{\"g\":\"p\",\"k\":\"b\",\"n\":2}",
    "{\"g\":\"q\",\"k\":\"b\",\"n\":2}",
    "{\"g\":\"p\"}",
    NULL};

static void values_over_runs(void **state)
{
    (void)state;
    th_arena a;
    th_arena_init(&a, 1 << 16);
    th_esql_result *r = run(&a,
                            "FROM logs-* | STATS v = VALUES(k), d = COUNT_DISTINCT(k), vn = VALUES(n), "
                            "dn = COUNT_DISTINCT(n), c = COUNT(k) BY g | SORT g",
                            runs);
    assert_int_equal(th_esql_nrows(r), 2);
    assert_string_equal(cell(&a, r, 0, "g"), "\"p\"");
    assert_string_equal(cell(&a, r, 0, "v"), "[\"a\",\"b\",\"c\"]");
    assert_string_equal(cell(&a, r, 0, "d"), "3");
    assert_string_equal(cell(&a, r, 0, "vn"), "[1,2,3]");
    assert_string_equal(cell(&a, r, 0, "dn"), "3");
    assert_string_equal(cell(&a, r, 0, "c"), "7"); /* COUNT still counts every value */
    assert_string_equal(cell(&a, r, 1, "g"), "\"q\"");
    assert_string_equal(cell(&a, r, 1, "v"), "\"b\"");
    assert_string_equal(cell(&a, r, 1, "d"), "1");
    assert_string_equal(cell(&a, r, 1, "vn"), "2");
    /* without BY: one group over every row */
    r = run(&a, "FROM logs-* | STATS v = VALUES(k), dn = COUNT_DISTINCT(n)", runs);
    assert_string_equal(cell(&a, r, 0, "v"), "[\"a\",\"b\",\"c\"]");
    assert_string_equal(cell(&a, r, 0, "dn"), "3");
    th_arena_free(&a);
}

/* Documents read through th_esql_doc.each with a th_esql_key_fn: a column
 * reuses an earlier row's cell when `key` says the values are the same, and
 * the results equal those of the JSON trees; metadata (_id) is per document
 * even where the keys are equal. The source: index i of the texts below,
 * parsed in ctx; `key` is the first of the equal texts, and counts its calls. */
typedef struct src_docs {
    const char *const *text;
    th_jval **doc;
    size_t key_calls;
    th_arena *a;       /* src_texts' texts */
    size_t text_calls; /* src_texts answered */
} src_docs;

static bool src_texts(const void *src, src_docs *s, th_str path, th_esql_texts *out);

static bool src_each(const void *src, const void *ctx, th_str path, th_json_visit_fn visit, void *vctx)
{
    const src_docs *s = ctx;
    if (!visit)
        return s->a && src_texts(src, (src_docs *)s, path, vctx);
    return th_json_path_each(s->doc[*(const size_t *)src], path, visit, vctx);
}

static const void *src_key(const void *src, const void *ctx, th_str path)
{
    (void)path;
    if (!src) /* not every document's at once: asked per document */
        return NULL;
    src_docs *s = (src_docs *)ctx;
    s->key_calls++;
    size_t i = *(const size_t *)src, j = 0;
    while (strcmp(s->text[j], s->text[i]) != 0)
        j++;
    return &s->text[j];
}

/* th_esql_texts over the parsed documents: the JSON texts of the value
 * of the member named path (each item of an array of scalars), none where
 * no member is named path; false where a member's name is a prefix of
 * path's or path's of it (the value is elsewhere) or a value is no scalar. */
static bool src_texts(const void *src, src_docs *s, th_str path, th_esql_texts *out)
{
    const th_jval *doc = s->doc[*(const size_t *)src], *v = NULL;
    for (uint32_t m = 0; m < doc->len; m++) {
        th_str k = doc->u.members[m].key;
        size_t l = k.n < path.n ? k.n : path.n;
        if (k.n == path.n && memcmp(k.p, path.p, l) == 0)
            v = doc->u.members[m].val;
        else if (memcmp(k.p, path.p, l) == 0 && (k.n < path.n ? path.p[l] : k.p[l]) == '.')
            return false;
    }
    uint32_t len = !v ? 0 : v->type == TH_JARR ? v->len : 1;
    th_str *t = TH_ANEWN(s->a, th_str, len ? len : 1);
    for (uint32_t i = 0; i < len; i++) {
        const th_jval *x = v->type == TH_JARR ? v->u.items[i] : v;
        if (x->type == TH_JARR || x->type == TH_JOBJ)
            return false;
        th_buf b;
        th_buf_init(&b);
        th_json_write(&b, x);
        t[i] = th_str_make(th_arena_strndup(s->a, b.data, b.len), b.len);
        th_buf_free(&b);
    }
    *out = (th_esql_texts){t, len};
    s->text_calls++;
    return true;
}

/* The documents of texts[] (NULL-ended) twice: as parsed trees (*tree), and
 * read through src_each / src_key (*via), where equal texts give the same
 * cells. Ids "id<i>" when `ids`, else none. Returns how many. */
static size_t doc_pair(th_arena *a, const char *const *texts, bool ids, src_docs *s,
                       th_esql_doc **tree, th_esql_doc **via)
{
    size_t n = 0;
    while (texts[n])
        n++;
    *s = (src_docs){texts, TH_ANEWN(a, th_jval *, n), 0, a, 0};
    size_t *idx = TH_ANEWN(a, size_t, n);
    *tree = TH_ANEWN(a, th_esql_doc, n);
    *via = TH_ANEWN(a, th_esql_doc, n);
    for (size_t i = 0; i < n; i++) {
        th_json_error je;
        s->doc[i] = th_json_parse(a, texts[i], strlen(texts[i]), &je);
        idx[i] = i;
        th_str id = ids ? th_str_c(th_arena_printf(a, "id%zu", i)) : TH_STR_NULL;
        (*tree)[i] =
            (th_esql_doc){.doc = s->doc[i], .id = id, .index = TH_STR_LIT("i"), .version = 1};
        (*via)[i] = (th_esql_doc){.id = id,
                                  .index = TH_STR_LIT("i"),
                                  .version = 1,
                                  .each = src_each,
                                  .src = &idx[i],
                                  .ctx = s,
                                  .key = src_key};
    }
    return n;
}

/* Both results have nrows rows, and rv's cells are rt's, column by column. */
static void same_rows(th_arena *a, th_esql_result *rv, th_esql_result *rt, size_t nrows)
{
    assert_int_equal(th_esql_nrows(rt), nrows);
    assert_int_equal(th_esql_nrows(rv), nrows);
    for (size_t r = 0; r < nrows; r++)
        for (size_t c = 0; c < th_esql_ncols(rt); c++) {
            const char *col = th_arena_strndup(a, th_esql_colname(rt, c).p, th_esql_colname(rt, c).n);
            assert_string_equal(cell(a, rv, r, col), cell(a, rt, r, col));
        }
}

static void same_values_share_cells(void **state)
{
    (void)state;
    th_arena a;
    th_arena_init(&a, 1 << 16);
    const char *q = "FROM logs-* METADATA _id | WHERE k != \"a\" | EVAL m = MV_COUNT(n) "
                    "| KEEP _id, g, k, n, m";
    th_diags d;
    th_diags_init(&d);
    th_esql *e = th_esql_parse(&a, q, strlen(q), NULL, &d);
    assert_non_null(e);
    src_docs s;
    th_esql_doc *tree, *via;
    size_t n = doc_pair(&a, runs, true, &s, &tree, &via);
    const char *err = NULL;
    th_esql_result *rt = th_esql_run(&a, e, tree, n, 0, 0, &err);
    th_esql_result *rv = th_esql_run(&a, e, via, n, 0, 0, &err);
    assert_non_null(rt);
    assert_non_null(rv);
    assert_true(s.key_calls > 0);
    /* rows 0-2 and 5-7 kept (k b); 3 is a, 4 multi-valued (NULL), 8 has no k */
    same_rows(&a, rv, rt, 6);
    /* rows 0-2 have the same text but their own ids */
    assert_string_equal(cell(&a, rv, 0, "_id"), "\"id0\"");
    assert_string_equal(cell(&a, rv, 1, "_id"), "\"id1\"");
    assert_string_equal(cell(&a, rv, 2, "_id"), "\"id2\"");
    assert_string_equal(cell(&a, rv, 3, "_id"), "\"id5\"");
    assert_string_equal(cell(&a, rv, 3, "g"), "\"q\"");
    assert_string_equal(cell(&a, rv, 4, "g"), "\"p\"");
    /* STATS groups rows whose BY cells are shared (the same text at the same
     * address) without their key text: the same groups, in the same order,
     * as over documents whose texts are all apart; multi-valued and missing
     * keys too */
    const char *q2 = "FROM logs-* | EVAL z = CASE(k == \"a\", \"x\", \"y\") "
                     "| STATS c = COUNT(*), v = VALUES(n), s = SUM(n) BY g, k, z";
    th_esql *e2 = th_esql_parse(&a, q2, strlen(q2), NULL, &d);
    assert_non_null(e2);
    rt = th_esql_run(&a, e2, tree, n, 0, 0, &err);
    rv = th_esql_run(&a, e2, via, n, 0, 0, &err);
    assert_non_null(rt);
    assert_non_null(rv);
    same_rows(&a, rv, rt, 6);
    assert_string_equal(cell(&a, rv, 0, "c"), "4"); /* p b y: rows 0-2 and 6 */
    th_diags_free(&d);
    th_arena_free(&a);
}

/* @timestamp in every shape: one day's times in a run (the day's instant
 * remembered), days 29 to 31 and a second 60 (the general parser), other
 * forms, no date, a number, an escaped string, null, several values,
 * missing, an object holding it, the same texts again */
static const char *const times[] = {
    "{\"@timestamp\":\"2024-03-30T10:00:00.000Z\",\"k\":\"a\"}",
    "{\"@timestamp\":\"2024-03-30T10:00:01.500Z\",\"k\":\"a\"}",
    "{\"@timestamp\":\"2024-03-30T23:59:60.000Z\",\"k\":\"b\"}",
    "{\"@timestamp\":\"2024-03-30T24:00:00.000Z\",\"k\":\"b\"}",
    "{\"@timestamp\":\"2024-02-30T10:00:00.000Z\",\"k\":\"a\"}",
    "{\"@timestamp\":\"2024-02-29T10:00:00.000Z\",\"k\":\"a\"}",
    "{\"@timestamp\":\"2024-03-30T10:00:00Z\",\"k\":\"a\"}",
    "{\"@timestamp\":\"2024-03-30\",\"k\":\"b\"}",
    "{\"@timestamp\":\"2024-03-30T12:00:00+02:00\",\"k\":\"b\"}",
    "{\"@timestamp\":\"yesterday\",\"k\":\"a\"}",
    "{\"@timestamp\":\"\",\"k\":\"a\"}",
    "{\"@timestamp\":1711792800000,\"k\":\"a\"}",
    "{\"@timestamp\":\"2024-03-30T10:00:00.000\\u005a\",\"k\":\"b\"}",
    "{\"@timestamp\":null,\"k\":\"b\"}",
    "{\"@timestamp\":true,\"k\":\"b\"}",
    "{\"@timestamp\":[\"2024-03-31T01:00:00.000Z\",\"2024-03-30T01:00:00.000Z\"],\"k\":\"a\"}",
    "{\"@timestamp\":[\"2024-03-31T01:00:00.000Z\"],\"k\":\"a\"}",
    "{\"@timestamp\":[],\"k\":\"a\"}",
    "{\"k\":\"a\"}",
    "{\"@timestamp\":{\"x\":1},\"k\":\"a\"}",
    "{\"@timestamp\":\"2024-03-30T10:00:01.500Z\",\"k\":\"a\"}",
    "{\"@timestamp\":\"2024-03-31T00:00:00.001Z\",\"k\":\"b\"}",
    "{\"@timestamp\":\"2024-03-30T10:00:00.000Z\",\"k\":\"a\"}",
    NULL};

/* A date column read from the documents' texts (th_esql_doc.texts: the
 * short cut of th_etab_col) holds the cells that reading the values gives:
 * the same instants, NULL where that gives none, multi-valued cells sorted,
 * in a column, in a STATS and in date functions. */
static void date_column_from_texts(void **state)
{
    (void)state;
    th_arena a;
    th_arena_init(&a, 1 << 16);
    th_diags d;
    th_diags_init(&d);
    src_docs s;
    th_esql_doc *tree, *via;
    size_t n = doc_pair(&a, times, true, &s, &tree, &via);
    static const char *const queries[] = {
        "FROM logs-* METADATA _id | EVAL t = @timestamp, c = MV_COUNT(@timestamp), "
        "day = DATE_TRUNC(1 day, @timestamp) | KEEP _id, @timestamp, t, c, day",
        "FROM logs-* | STATS lo = MIN(@timestamp), hi = MAX(@timestamp), v = VALUES(@timestamp), "
        "n = COUNT(@timestamp) BY k",
        NULL};
    size_t rows[] = {n, 2};
    for (size_t i = 0; queries[i]; i++) {
        th_esql *e = th_esql_parse(&a, queries[i], strlen(queries[i]), NULL, &d);
        assert_non_null(e);
        const char *err = NULL;
        size_t before = s.text_calls;
        th_esql_result *rt = th_esql_run(&a, e, tree, n, 0, 0, &err);
        th_esql_result *rv = th_esql_run(&a, e, via, n, 0, 0, &err);
        assert_non_null(rt);
        assert_non_null(rv);
        assert_true(s.text_calls > before); /* the texts were read */
        same_rows(&a, rv, rt, rows[i]);
        assert_int_equal(th_esql_warnings(rv), th_esql_warnings(rt));
    }
    th_diags_free(&d);
    th_arena_free(&a);
}

static const char *const repeats[] = {
    "{\"k\":[\"x\",\"Y\"],\"n\":1,\"s\":\"Ab\"}",
    "{\"k\":[\"x\",\"Y\"],\"n\":1,\"s\":\"Ab\"}",
    "{\"k\":[\"x\",\"Y\"],\"n\":1,\"s\":\"Ab\"}",
    "{\"k\":\"z\",\"n\":2,\"s\":\"Ab\"}",
    "{\"k\":[\"x\",\"Y\"],\"n\":1,\"s\":\"Ab\"}",
    "{\"k\":[\"x\",\"Y\"],\"n\":1,\"s\":\"Ab\"}",
    "{\"n\":2}",
    NULL};

/* Rows whose cells repeat the row before (shared cells) take its values
 * (esql_memo) in WHERE, EVAL and aggregates: the same table as over
 * documents whose cells are all apart, and the same warnings (a
 * multi-valued operand counts one on every row, remembered or not). */
static void repeated_cells_same_values(void **state)
{
    (void)state;
    th_arena a;
    th_arena_init(&a, 1 << 16);
    const char *q = "FROM logs-* | EVAL l = TO_LOWER(k), u = TO_UPPER(s), c = CONCAT(s, \"-\", TO_STRING(n)) "
                    "| WHERE l IS NULL OR l != \"q\" "
                    "| STATS w = COUNT(*), v = VALUES(TO_LOWER(s)), cl = COUNT(l) WHERE TO_UPPER(k) != \"Q\", "
                    "mx = MAX(CONCAT(u, c)), vk = VALUES(TO_LOWER(k)) BY n";
    th_diags d;
    th_diags_init(&d);
    th_esql *e = th_esql_parse(&a, q, strlen(q), NULL, &d);
    assert_non_null(e);
    src_docs s;
    th_esql_doc *tree, *via;
    size_t n = doc_pair(&a, repeats, false, &s, &tree, &via);
    const char *err = NULL;
    th_esql_result *rt = th_esql_run(&a, e, tree, n, 0, 0, &err);
    th_esql_result *rv = th_esql_run(&a, e, via, n, 0, 0, &err);
    assert_non_null(rt);
    assert_non_null(rv);
    assert_true(th_esql_warnings(rt) >= 5);
    assert_int_equal(th_esql_warnings(rv), th_esql_warnings(rt));
    same_rows(&a, rv, rt, 2);
    assert_string_equal(cell(&a, rv, 0, "w"), "5");
    assert_string_equal(cell(&a, rv, 0, "mx"), "\"ABAb-1\"");
    th_diags_free(&d);
    th_arena_free(&a);
}

/* Random rows whose whole texts repeat far apart (small pools of values,
 * NULLs, multi-values, doubles, mixed long / double): through src_key their
 * cells are shared by every row with the same text, so column loads reuse
 * earlier rows' cells, the memos' tables (WHERE per conjunct, EVAL, the
 * aggregates; a CASE of columns by its conditions' cells) hit, and VALUES /
 * COUNT_DISTINCT drop identical repeats before sorting; and keyed by field
 * value (field_keys), where rows share cells field by field. The tables
 * and the warnings equal those over the parsed trees, where nothing is
 * shared. */
/* The same documents keyed by field value, as captured values are: every
 * row with the same value at a path shares its cell there, whatever its
 * other fields (so a memo keyed by some columns meets rows whose other
 * columns differ). The ctx begins with the src_docs that src_each reads.
 * With `all`, the key without src gives every document's key at once (as
 * engine/esql.c's captured rows do), else NULL (asked per document). A
 * key is a ktext, which holds its id after its text (field_ids). */
typedef struct ktext {
    char *t;
    uint32_t id; /* the index of the first document with this text */
} ktext;
typedef struct field_keys {
    src_docs s;
    size_t n;
    th_arena *a;
    th_str path[16];
    ktext *text[16]; /* per path: each document's value there, as JSON text */
    size_t npath;
    bool all;
    size_t texts_calls; /* field_texts answered */
} field_keys;

static const void *field_key(const void *src, const void *ctx, th_str path)
{
    field_keys *f = (field_keys *)ctx;
    if (!src && !f->all)
        return NULL;
    size_t p = 0;
    while (p < f->npath && !th_str_eq(f->path[p], path))
        p++;
    if (p == f->npath) {
        assert_true(p < 16);
        f->path[p] = th_str_make(th_arena_strndup(f->a, path.p, path.n), path.n);
        f->text[p] = TH_ANEWN(f->a, ktext, f->n);
        for (size_t i = 0; i < f->n; i++) {
            const th_jval *v = th_jobj_getn(f->s.doc[i], path); /* the fields are top-level */
            th_buf b;
            th_buf_init(&b);
            if (v)
                th_json_write(&b, v);
            f->text[p][i].t = th_arena_strndup(f->a, b.data ? b.data : "", b.len);
            th_buf_free(&b);
        }
        f->npath++;
    }
    if (!src) {
        const void **keys = TH_ANEWN(f->a, const void *, f->n);
        for (size_t i = 0; i < f->n; i++) {
            size_t j = 0;
            while (strcmp(f->text[p][j].t, f->text[p][i].t) != 0)
                j++;
            f->text[p][j].id = (uint32_t)j;
            keys[i] = &f->text[p][j];
        }
        return keys;
    }
    size_t i = *(const size_t *)src, j = 0;
    while (strcmp(f->text[p][j].t, f->text[p][i].t) != 0)
        j++;
    return &f->text[p][j];
}

/* The n documents of k's sources, their fields read through k (field_key). */
static th_esql_doc *keyed_docs(th_arena *a, field_keys *k)
{
    th_esql_doc *docs = TH_ANEWN(a, th_esql_doc, k->n);
    size_t *idx = TH_ANEWN(a, size_t, k->n);
    for (size_t i = 0; i < k->n; i++) {
        idx[i] = i;
        docs[i] = (th_esql_doc){.index = TH_STR_LIT("i"),
                                .version = 1,
                                .each = src_each,
                                .src = &idx[i],
                                .ctx = k,
                                .key = field_key};
    }
    return docs;
}

/* th_esql_key_texts_fn over field_keys' keys: the value's JSON text, none
 * where the field is missing; false for an array or an object (as
 * src_texts is for an object) */
static bool field_texts(const void *ctx, th_str path, const void *key, th_esql_texts *out)
{
    (void)path;
    field_keys *f = (field_keys *)ctx;
    const char *t = *(const char *const *)key;
    size_t n = strlen(t);
    if (n && (t[0] == '[' || t[0] == '{'))
        return false;
    th_str *v = TH_ANEWN(f->a, th_str, 1);
    *v = th_str_make(t, n);
    *out = (th_esql_texts){v, n ? 1 : 0};
    f->texts_calls++;
    return true;
}

/* th_esql_key_ids_fn over field_keys' keys of every document at once: a
 * key's id is its first document's index; no column of ids */
static bool field_ids(const void *ctx, th_str path, size_t *at, uint32_t *bound,
                      const uint32_t **col, const void *const **by_id)
{
    (void)path;
    (void)by_id;
    const field_keys *f = ctx;
    *at = offsetof(ktext, id);
    *bound = (uint32_t)f->n;
    *col = NULL;
    return true;
}

/* field_ids with the column of ids at path (field_key's keys' ids) and the
 * keys by id, as engine/esql.c's captured rows give them */
static bool field_ids_col(const void *ctx, th_str path, size_t *at, uint32_t *bound,
                          const uint32_t **col, const void *const **by_id)
{
    field_keys *f = (field_keys *)ctx;
    field_ids(ctx, path, at, bound, col, by_id);
    const ktext *const *keys = (const ktext *const *)field_key(NULL, ctx, path);
    if (!keys)
        return true;
    uint32_t *ids = TH_ANEWN(f->a, uint32_t, f->n);
    const ktext **byid = TH_ANEWN(f->a, const ktext *, f->n);
    for (size_t i = 0; i < f->n; i++) {
        ids[i] = keys[i]->id;
        byid[ids[i]] = keys[i];
    }
    *col = ids;
    *by_id = (const void *const *)byid;
    return true;
}

/* The prefix over byall by its keys' ids (field_ids), by the column of
 * those ids (field_ids_col) and by the keys themselves: the same cells,
 * cell ids and warnings, the same bytes in its arena (the same cells
 * loaded, the others shared). All after a first run by the keys
 * (field_key's first call of a path reads the documents). */
static void same_with_table(const th_esql *e, const th_esql_doc *byall, field_keys *fa, size_t n)
{
    th_arena a[4];
    th_esql_ids *ids[4] = {NULL, NULL, NULL, NULL};
    th_esql_result *pre[4];
    const th_esql_key_ids_fn by[4] = {NULL, NULL, field_ids, field_ids_col};
    for (int w = 0; w < 4; w++) {
        const char *err = NULL;
        th_arena_init(&a[w], 1 << 16);
        pre[w] = th_esql_run_prefix_kept(&a[w], e, byall, n, NULL, field_texts, by[w], fa, &ids[w],
                                         &err);
        assert_non_null(pre[w]);
    }
    size_t rows = th_esql_nrows(pre[1]);
    for (int w = 2; w < 4; w++) {
        assert_int_equal(th_esql_ncols(pre[w]), th_esql_ncols(pre[1]));
        same_rows(&a[0], pre[w], pre[1], rows);
        assert_int_equal(th_esql_warnings(pre[w]), th_esql_warnings(pre[1]));
        assert_int_equal(a[w].used_total, a[1].used_total);
        assert_int_equal(ids[w] != NULL, ids[1] != NULL);
        for (size_t k = 0; ids[1] && k < ids[1]->nids; k++) {
            assert_int_equal(ids[w]->nids, ids[1]->nids);
            assert_int_equal(ids[w]->ids[k].n, ids[1]->ids[k].n);
            for (size_t row = 0; row < rows; row++)
                assert_int_equal(ids[w]->ids[k].ids[row], ids[1]->ids[k].ids[row]);
        }
    }
    for (int w = 0; w < 4; w++) {
        th_esql_ids_free(ids[w]);
        th_arena_free(&a[w]);
    }
}

static unsigned lcg_next(unsigned *x, unsigned n)
{
    *x = *x * 1103515245u + 12345u;
    return (*x >> 16) % n;
}

static void shared_cells_random_rows(void **state)
{
    (void)state;
    static const char *const ks[] = {"\"a\"", "\"b\"", "\"c\"", "[\"a\",\"c\"]", "[\"b\",\"a\"]", NULL};
    static const char *const ns[] = {"1", "2", "3", "[1,3]", "2.5", "-4", "[2.5,1]", NULL};
    static const char *const ss[] = {"\"x\"", "\"Y\"", "\"y\"", "[\"x\",\"Y\"]", NULL};
    static const char *const ts[] = {"\"2026-10-01T00:00:00.000Z\"", "\"2026-10-01T01:30:00.000Z\"",
                                     "\"2026-10-02T00:00:00Z\"", NULL};
    const char *const queries[] = {
        "FROM logs-* | WHERE g != \"z\" AND (k IS NULL OR k != \"c\") AND n IS NOT NULL "
        "| EVAL c = CASE(k == \"a\", n, k == \"b\", 2, NULL), l = TO_LOWER(s), h = n + 1 "
        "| STATS v = VALUES(k), vn = VALUES(n), d = COUNT_DISTINCT(s), dl = COUNT_DISTINCT(l), "
        "mx = MAX(c), mn = MIN(n), sm = SUM(c), av = AVG(n), hs = SUM(h), w = COUNT(*), "
        "vt = VALUES(@timestamp), lt = MAX(CASE(l == \"x\", @timestamp, NULL)) BY g | SORT g",
        "FROM logs-* | WHERE s == \"x\" OR n > 1 | EVAL z = CONCAT(g, \"-\", TO_STRING(k)) "
        "| STATS c = COUNT(*), vz = VALUES(z), vb = VALUES(b) BY k, s | SORT k, s",
        "FROM logs-* | WHERE b AND g IN (\"p\", \"q\") | KEEP g, k, n, s, b, @timestamp | LIMIT 10000",
        /* CASEs of columns and literals: the memo keeps the pick by the
         * conditions' cells, the value is read in the row */
        "FROM logs-* | EVAL p = CASE(s == \"x\", k, g == \"q\", \"lit\", s), t2 = CASE(s != \"Y\", @timestamp), "
        "bn = CASE(b, n, 0) | WHERE CASE(k == \"a\", b, g == \"p\") OR n > 2 "
        "| STATS vp = VALUES(p), mt = MAX(t2), st = SUM(bn), mn = MIN(CASE(k == \"a\", n, k == \"c\", 7, NULL)), "
        "vs = VALUES(CASE(s == \"x\" AND k == \"b\", g, NULL)), lt = MAX(CASE(b, @timestamp, NULL)) BY g | SORT g",
        /* row by row (over the parsed trees keyword cells are all apart: no
         * pick is remembered there) */
        "FROM logs-* | EVAL p = CASE(s == \"x\", k, g == \"q\", \"lit\", s), t2 = CASE(s != \"Y\", @timestamp), "
        "m = CASE(k == \"a\", n, s == \"x\", 7, NULL) | KEEP g, p, t2, m | LIMIT 10000",
        /* conditions that read a column several times: its cell is
         * compared once (two and three columns: remembered by cells), a
         * value's column also read by a condition */
        "FROM logs-* | EVAL o = CASE(k LIKE \"a*\" OR k == \"b\" OR k == \"c\" OR s == \"x\" OR s == \"y\", "
        "true, false), q = CASE(k == \"a\" OR k == \"b\" OR s == \"x\" OR s == \"Y\", k, g == \"p\" OR "
        "g == \"q\", s, g) | STATS so = SUM(CASE(o, 1, 0)), vq = VALUES(q), c = COUNT(*) BY g, k | SORT g, k",
        /* columns an expression reads only on some branches: remembered by
         * the cells of those in the table, until the others come (s, once
         * a row has k "c"; n never: g is never "zz" nor NULL) */
        "FROM logs-* | EVAL e = CASE((k == \"c\" AND s == \"x\") OR g == \"p\", 1, 2), "
        "f = (g == \"zz\" AND n > 1) OR s IN (\"x\", \"Y\") "
        "| STATS se = SUM(e), vf = VALUES(f), c = COUNT(*) BY g, k | SORT g, k",
        NULL};
    th_arena a;
    th_arena_init(&a, 1 << 16);
    enum { NROWS = 700 };
    const char **texts = TH_ANEWN(&a, const char *, NROWS + 1);
    unsigned x = 7;
    for (size_t i = 0; i < NROWS; i++) {
        th_buf b;
        th_buf_init(&b);
        th_buf_printf(&b, "{\"g\":\"%c\"", "pqr"[lcg_next(&x, 3)]);
        if (lcg_next(&x, 6))
            th_buf_printf(&b, ",\"k\":%s", ks[lcg_next(&x, 5)]);
        if (lcg_next(&x, 5))
            th_buf_printf(&b, ",\"n\":%s", ns[lcg_next(&x, 7)]);
        if (lcg_next(&x, 4))
            th_buf_printf(&b, ",\"s\":%s", ss[lcg_next(&x, 4)]);
        if (lcg_next(&x, 3))
            th_buf_printf(&b, ",\"b\":%s", lcg_next(&x, 2) ? "true" : "false");
        th_buf_printf(&b, ",\"@timestamp\":%s}", ts[lcg_next(&x, 3)]);
        texts[i] = th_arena_strndup(&a, b.data, b.len);
        th_buf_free(&b);
    }
    texts[NROWS] = NULL;
    src_docs sd;
    th_esql_doc *tree, *via;
    size_t n = doc_pair(&a, texts, false, &sd, &tree, &via);
    field_keys fk = {sd, n, &a, {TH_STR_NULL}, {NULL}, 0, false, 0};
    field_keys fa = {sd, n, &a, {TH_STR_NULL}, {NULL}, 0, true, 0};
    th_esql_doc *byval = keyed_docs(&a, &fk), *byall = keyed_docs(&a, &fa);
    th_diags d;
    th_diags_init(&d);
    for (size_t i = 0; queries[i]; i++) {
        th_esql *e = th_esql_parse(&a, queries[i], strlen(queries[i]), NULL, &d);
        assert_non_null(e);
        const char *err = NULL;
        th_esql_result *rt = th_esql_run(&a, e, tree, n, 0, 0, &err);
        th_esql_result *rv = th_esql_run(&a, e, via, n, 0, 0, &err);
        th_esql_result *rf = th_esql_run(&a, e, byval, n, 0, 0, &err);
        th_esql_result *ra = th_esql_run(&a, e, byall, n, 0, 0, &err);
        assert_non_null(rt);
        assert_non_null(rv);
        assert_non_null(rf);
        assert_non_null(ra);
        assert_true(th_esql_nrows(rt) > 0);
        assert_int_equal(th_esql_ncols(rv), th_esql_ncols(rt));
        assert_int_equal(th_esql_warnings(rv), th_esql_warnings(rt));
        assert_int_equal(th_esql_ncols(rf), th_esql_ncols(rt));
        assert_int_equal(th_esql_warnings(rf), th_esql_warnings(rt));
        assert_int_equal(th_esql_ncols(ra), th_esql_ncols(rt));
        assert_int_equal(th_esql_warnings(ra), th_esql_warnings(rt));
        same_rows(&a, rf, rt, th_esql_nrows(rt));
        same_rows(&a, ra, rt, th_esql_nrows(rt));
        same_rows(&a, rv, rt, th_esql_nrows(rt));
        for (size_t r = 0; i == 0 && r < th_esql_nrows(rv); r++) { /* every group sees every value the WHERE keeps */
            assert_string_equal(cell(&a, rv, r, "v"), "[\"a\",\"b\"]");
            assert_string_equal(cell(&a, rv, r, "vt"), "[\"2026-10-01T00:00:00.000Z\",\"2026-10-01T01:30:00.000Z\","
                                                       "\"2026-10-02T00:00:00.000Z\"]");
        }
    }
    th_diags_free(&d);
    th_arena_free(&a);
}

/* An EVAL keyed on a GROK column (no cell ids: the prefix's memo makes them
 * by its cells, memo_cell_ids) and a captured column (ids by keys): rows
 * keyed by field value share their cells, so the GROK's cells repeat in
 * runs and far apart, past the first table's 32 ids; multi-valued and
 * missing values give NULLs and warnings. Each row's values and the
 * warnings are those over the parsed trees, where the memo compares cells. */
static void grok_cells_keyed_by_ids(void **state)
{
    (void)state;
    th_arena a;
    th_arena_init(&a, 1 << 16);
    enum { NROWS = 600 };
    const char **texts = TH_ANEWN(&a, const char *, NROWS + 1);
    unsigned x = 11;
    for (size_t i = 0; i < NROWS; i++) {
        th_buf b;
        th_buf_init(&b);
        th_buf_printf(&b, "{\"g\":\"p\"");
        unsigned m = lcg_next(&x, 60);
        if (m == 0)
            th_buf_printf(&b, ",\"m\":[\"key=a1,\",\"key=a2,\"]");
        else if (m > 1)
            th_buf_printf(&b, ",\"m\":\"key=k%u, more\"", i % 3 ? m / 2 : m);
        unsigned u = lcg_next(&x, 6);
        if (u == 5)
            th_buf_printf(&b, ",\"u\":[\"c\",\"d\"]");
        else if (u)
            th_buf_printf(&b, ",\"u\":\"u%u\"", u);
        th_buf_printf(&b, "}");
        texts[i] = th_arena_strndup(&a, b.data, b.len);
        th_buf_free(&b);
    }
    texts[NROWS] = NULL;
    src_docs sd;
    th_esql_doc *tree, *via;
    size_t n = doc_pair(&a, texts, false, &sd, &tree, &via);
    field_keys fa = {sd, n, &a, {TH_STR_NULL}, {NULL}, 0, true, 0};
    th_esql_doc *byall = keyed_docs(&a, &fa);
    const char *q = "FROM logs-* | GROK m \"key=%{WORD:k},\" "
                    "| EVAL v = COALESCE(k, u), w = CONCAT(k, \"-\", u) | KEEP k, u, v, w";
    th_diags d;
    th_diags_init(&d);
    th_esql *e = th_esql_parse(&a, q, strlen(q), NULL, &d);
    assert_non_null(e);
    assert_int_equal(th_esql_prefix_end(e), th_esql_ncmds(e)); /* all of it row by row */
    const char *err = NULL;
    th_esql_result *rt = th_esql_run(&a, e, tree, n, 0, 0, &err);
    assert_non_null(rt);
    th_esql_ids *ids = NULL;
    th_esql_result *pre =
        th_esql_run_prefix_kept(&a, e, byall, n, NULL, field_texts, field_ids_col, &fa, &ids, &err);
    assert_non_null(pre);
    assert_int_equal(th_esql_nrows(rt), NROWS);
    assert_int_equal(th_esql_nrows(pre), NROWS);
    assert_true(th_esql_warnings(rt) > 0);
    assert_int_equal(th_esql_warnings(pre), th_esql_warnings(rt));
    same_rows(&a, pre, rt, NROWS);
    th_esql_ids_free(ids);
    th_diags_free(&d);
    th_arena_free(&a);
}

/* A date column loads times of the form `YYYY-MM-DDTHH:MM:SS.mmmZ` by
 * th_time_parse_iso's short cut: over that form with every field at
 * and around its limits (day 28 to 32 of every month of leap and other
 * years, hour 24, second 60, month 0 and 13, a letter for a digit, another
 * separator), the values th_time_parse_iso gives, NULL where it fails. */
static void time_form_short_cut(void **state)
{
    (void)state;
    static const char *const years[] = {"2024", "2025", "1900", "2000", "0000", "9999", "20x5"};
    static const char *const months[] = {"00", "01", "02", "04", "12", "13", "1a"};
    static const char *const days[] = {"00", "01", "28", "29", "30", "31", "32"};
    static const char *const hms[] = {"00:00:00", "23:59:59", "24:00:00", "12:60:00", "12:00:60", "12:00:61", "1x:00:00"};
    static const char *const tails[] = {".000Z", ".999Z", ".5a0Z", ".123z", ",123Z", ".123+", ".123Z "};
    th_arena a;
    th_arena_init(&a, 1 << 16);
    size_t n = 0, cap = 7 * 7 * 7 * 7 * 7;
    const char **docs = TH_ANEWN(&a, const char *, cap + 1);
    char **texts = TH_ANEWN(&a, char *, cap);
    for (size_t y = 0; y < 7; y++)
        for (size_t mo = 0; mo < 7; mo++)
            for (size_t d = 0; d < 7; d++)
                for (size_t t = 0; t < 7; t++)
                    for (size_t z = 0; z < 7; z++) {
                        texts[n] = th_arena_printf(&a, "%s-%s-%sT%s%s", years[y], months[mo], days[d], hms[t], tails[z]);
                        docs[n] = th_arena_printf(&a, "{\"@timestamp\":\"%s\"}", texts[n]);
                        n++;
                    }
    docs[n] = NULL;
    th_esql_result *r = run(&a, "FROM logs-* | KEEP @timestamp | LIMIT 100000", docs);
    assert_int_equal(th_esql_nrows(r), n);
    size_t parsed = 0;
    for (size_t i = 0; i < n; i++) {
        int64_t ms;
        const char *want = "null";
        if (th_time_parse_iso(texts[i], strlen(texts[i]), &ms)) {
            char iso[32];
            th_time_format_iso(ms, iso);
            want = th_arena_printf(&a, "\"%s\"", iso);
            parsed++;
        }
        const char *got = cell(&a, r, i, "@timestamp");
        if (strcmp(got, want) != 0)
            fail_msg("%s: %s, expected %s", texts[i], got, want);
    }
    assert_true(parsed > 1000);
    th_arena_free(&a);
}

/* A date column whose texts come from the rows' keys (th_esql_key_texts_fn,
 * as captured rows give them) loads times that share their minute with the
 * row before by that minute's instant plus their seconds: over runs of one
 * minute with seconds and milliseconds at and past their limits (second
 * 60, a letter for a digit, another separator or zone, other lengths),
 * escapes, arrays, missing values and days that are no dates, the cells
 * are those over the parsed trees, which th_time_parse_iso gives. */
static void date_minutes_from_keys(void **state)
{
    (void)state;
    static const char *const mins[] = {"2026-10-01T00:00", "2026-10-01T00:01", "2024-02-29T23:59",
                                       "2025-02-29T12:00", "2026-13-01T00:00", "2026-10-01T24:00",
                                       "2026-10-01T12:60", "2026-10-01 00:02"};
    static const char *const secs[] = {":00.000Z", ":07.250Z", ":59.999Z", ":60.000Z", ":5a.000Z", ":07.2a0Z",
                                       ":07.250z", ":07.250+", ":07,250Z", ":07Z", ":07.25Z", ":07.250+01:00",
                                       ":07.250Z ", ":61.000Z", ".07.250Z", ":07.250Y"};
    th_arena a;
    th_arena_init(&a, 1 << 16);
    /* past KEYMAP_PROBE (esql_val.c): the column's map stops, and its
     * later rows load in keyed_dates */
    enum { NROWS = 6000 };
    const char **texts = TH_ANEWN(&a, const char *, NROWS + 1);
    unsigned x = 11;
    size_t m = 0;
    for (size_t i = 0; i < NROWS; i++) {
        if (lcg_next(&x, 8) == 0) /* runs of one minute, as times in time order are */
            m = lcg_next(&x, 8);
        unsigned k = lcg_next(&x, 40);
        unsigned sec = lcg_next(&x, 60), ms = lcg_next(&x, 1000); /* new texts: keys are texts */
        const char *v = k < 21   ? th_arena_printf(&a, "\"%s:%02u.%03uZ\"", mins[m], sec, ms)
                        : k < 24 ? th_arena_printf(&a, "\"%s%s\"", mins[m], secs[k % 3])
                        : k < 36 ? th_arena_printf(&a, "\"%s%s\"", mins[m], secs[3 + k % 13])
                        : k == 36 ? th_arena_printf(&a, "\"%s:0\\u0037.250Z\"", mins[m])
                        : k == 37 ? th_arena_printf(&a, "[\"%s:01.000Z\",\"%s:02.000Z\"]", mins[m], mins[m])
                        : k == 38 ? "1234567"
                                  : NULL;
        texts[i] = v ? th_arena_printf(&a, "{\"g\":\"p\",\"@timestamp\":%s}", v) : "{\"g\":\"p\"}";
    }
    texts[NROWS] = NULL;
    src_docs sd;
    th_esql_doc *tree, *via;
    size_t n = doc_pair(&a, texts, false, &sd, &tree, &via);
    field_keys fa = {sd, n, &a, {TH_STR_NULL}, {NULL}, 0, true, 0};
    th_esql_doc *byall = keyed_docs(&a, &fa);
    const char *q = "FROM logs-* | KEEP @timestamp | LIMIT 100000";
    th_diags d;
    th_diags_init(&d);
    th_esql *e = th_esql_parse(&a, q, strlen(q), NULL, &d);
    assert_non_null(e);
    const char *err = NULL;
    th_esql_result *rt = th_esql_run(&a, e, tree, n, 0, 0, &err);
    th_esql_result *pre = th_esql_run_prefix_keyed(&a, e, byall, n, NULL, field_texts, NULL, &err);
    assert_non_null(pre);
    th_esql_result *ra = th_esql_run_rest(&a, e, pre, byall, n, 0, n, 0, 0, &err);
    assert_non_null(rt);
    assert_non_null(ra);
    assert_true(fa.texts_calls > NROWS / 3);
    assert_int_equal(th_esql_warnings(ra), th_esql_warnings(rt));
    same_rows(&a, ra, rt, n);
    size_t dates = 0;
    for (size_t i = 0; i < n; i++) { /* and the trees' are th_time_parse_iso's */
        const th_jval *v = th_jobj_getn(sd.doc[i], TH_STR_LIT("@timestamp"));
        int64_t ms;
        if (!v || v->type != TH_JSTR || !th_time_parse_iso(v->u.str.p, v->u.str.n, &ms))
            continue;
        char iso[32];
        th_time_format_iso(ms, iso);
        assert_string_equal(cell(&a, rt, i, "@timestamp"), th_arena_printf(&a, "\"%s\"", iso));
        dates++;
    }
    assert_true(dates > NROWS / 4);
    th_diags_free(&d);
    th_arena_free(&a);
}

/* STATS over many groups (th_esql_group: the hints' 256 slots are shared
 * by hundreds of key combinations, so a hint often names another group):
 * over documents whose equal values share their cells (field_key: a hint's
 * hit groups a row without its key text) the groups, their order and
 * their aggregates are those over the parsed trees, where every cell is
 * apart (each row found by its key text); BY one to five columns (up to
 * four read where they lie, group_cols; five through the general loop),
 * keywords, longs and doubles, missing and multi-valued keys. And through
 * panes over the captured prefix, with its cell ids (group_cols by ids, up
 * to three columns: a row takes the group of the first row with its ids)
 * and without: the same rows, and the same bytes in the panes' arena (a
 * hint's miss makes a number's key text there, ids or not); `f` is 2 or
 * 2.0, two cells (two ids) of one key text, so the second misses its
 * hint every time. */
static void many_groups_shared_cells(void **state)
{
    (void)state;
    const char *const queries[] = {
        "FROM logs-* | STATS c = COUNT(*), v = VALUES(n), s = SUM(n) BY a, b",
        "FROM logs-* | STATS c = COUNT(*), m = MAX(n) BY b",
        "FROM logs-* | STATS c = COUNT(*), v = VALUES(b) BY a, n, d",
        "FROM logs-* | STATS c = COUNT(*), v = VALUES(n) BY a, b, d, e",
        "FROM logs-* | STATS c = COUNT(*), v = VALUES(n) BY a, b, d, e, n",
        "FROM logs-* | WHERE n IS NOT NULL | STATS c = COUNT(*) BY a",
        "FROM logs-* | STATS c = COUNT(*), v = VALUES(n) BY f, e",
        "FROM logs-* | STATS c = COUNT(*), s = SUM(n) BY e, f, b",
        /* aggregates of columns with ids over rows in runs of one cell
         * (part_loop skips a row whose id is the row before's): doubles,
         * whose MIN / MAX keep every value, and a multi-valued m, whose
         * cell pushes its values again; the arena's bytes tell */
        "FROM logs-* | STATS v = VALUES(m), cm = COUNT_DISTINCT(m), mm = MIN(m), xm = MAX(m), md = MIN(d), "
        "xd = MAX(d), vd = VALUES(d), cd = COUNT_DISTINCT(d), cn = COUNT_DISTINCT(n), xn = MAX(n), mn = MIN(n), "
        "c = COUNT(d), vb = VALUES(b) BY e",
        /* the same over memos by one column's ids (part_loop takes the row
         * before's value for a row of its id): multi-valued and double
         * values, an id whose value counts a warning (m == "p" where m is
         * multi-valued: such a row is looked up), COUNT and SUM of the value
         * taken again (not TO_DOUBLE or TO_UPPER: a miss of theirs
         * allocates, and memos by cells miss other rows than memos by ids) */
        "FROM logs-* | STATS v = VALUES(COALESCE(m)), xm = MAX(COALESCE(m)), cm = COUNT(COALESCE(m)), "
        "xd = MAX(n * 0.5), md = MIN(n * 0.5), vd = VALUES(n * 0.5), "
        "s = SUM(CASE(m == \"p\", 1, 0)), sn = SUM(n + 1) BY e",
        /* EVALs over one column's ids (do_eval's loop by idv): a value with
         * a warning on some ids (m multi-valued), picks of a column and of
         * a literal; the prefix against the trees' (below) */
        "FROM logs-* | EVAL w = m == \"p\", k = CASE(e == \"x\", a, \"none\"), q = CASE(e == \"y\", b, e) "
        "| STATS c = COUNT(*), v = VALUES(k), x = MAX(q), s = SUM(CASE(w, 1, 0)) BY e",
        NULL};
    th_arena a;
    th_arena_init(&a, 1 << 16);
    enum { NROWS = 3000 };
    const char **texts = TH_ANEWN(&a, const char *, NROWS + 1);
    unsigned x = 11;
    for (size_t i = 0; i < NROWS; i++) {
        th_buf b;
        th_buf_init(&b);
        th_buf_printf(&b, "{\"a\":\"u%u\"", lcg_next(&x, 60));
        unsigned k = lcg_next(&x, 20);
        if (k == 0)
            th_buf_printf(&b, ",\"b\":[\"r%u\",\"r%u\"]", lcg_next(&x, 30), lcg_next(&x, 30));
        else if (k > 1)
            th_buf_printf(&b, ",\"b\":\"r%u\"", lcg_next(&x, 30));
        if (lcg_next(&x, 8))
            th_buf_printf(&b, ",\"n\":%u", lcg_next(&x, 7));
        if (lcg_next(&x, 4))
            th_buf_printf(&b, ",\"d\":%u.5", lcg_next(&x, 3));
        unsigned f = lcg_next(&x, 20);
        th_buf_printf(&b, ",\"f\":%u%s", f / 2, f % 2 ? ".0" : "");
        th_buf_printf(&b, ",\"e\":\"%s\"", lcg_next(&x, 2) ? "x" : "y");
        /* runs of 8 rows of one m (not drawn: the other fields stay) */
        th_buf_puts(&b, (i / 8) % 3 == 0 ? ",\"m\":[\"p\",\"q\"]}" : (i / 8) % 3 == 1 ? ",\"m\":\"p\"}" : "}");
        texts[i] = th_arena_strndup(&a, b.data, b.len);
        th_buf_free(&b);
    }
    texts[NROWS] = NULL;
    src_docs sd;
    th_esql_doc *tree, *via;
    size_t n = doc_pair(&a, texts, false, &sd, &tree, &via);
    field_keys fa = {sd, n, &a, {TH_STR_NULL}, {NULL}, 0, true, 0};
    th_esql_doc *byall = keyed_docs(&a, &fa);
    th_diags d;
    th_diags_init(&d);
    for (size_t i = 0; queries[i]; i++) {
        th_esql *e = th_esql_parse(&a, queries[i], strlen(queries[i]), NULL, &d);
        assert_non_null(e);
        const char *err = NULL;
        th_esql_result *rt = th_esql_run(&a, e, tree, n, 0, 100000, &err);
        th_esql_result *ra = th_esql_run(&a, e, byall, n, 0, 100000, &err);
        assert_non_null(rt);
        assert_non_null(ra);
        /* hundreds of groups where the keys are two or more (the hints are
         * shared), a few dozen by one or by f and e, two by e alone */
        assert_true(th_esql_nrows(rt) > (i == 1 || i == 5 ? 20u : i == 6 ? 15u : i >= 8 ? 1u : 300u));
        assert_int_equal(th_esql_ncols(ra), th_esql_ncols(rt));
        same_rows(&a, ra, rt, th_esql_nrows(rt));
        th_esql_ids *ids = NULL;
        th_esql_result *pre =
            th_esql_run_prefix_kept(&a, e, byall, n, NULL, NULL, NULL, NULL, &ids, &err);
        assert_non_null(pre);
        assert_non_null(ids);
        th_esql_result *tpre = th_esql_run_prefix(&a, e, tree, n, &err); /* every cell apart: no ids */
        assert_non_null(tpre);
        assert_int_equal(th_esql_ncols(pre), th_esql_ncols(tpre));
        same_rows(&a, pre, tpre, th_esql_nrows(tpre));
        assert_int_equal(th_esql_warnings(pre), th_esql_warnings(tpre));
        same_with_table(e, byall, &fa, n);
        size_t cuts[] = {0, n / 3, n / 2, n}, used[2];
        for (int w = 0; w < 2; w++) {
            th_arena pa;
            th_arena_init(&pa, 1 << 16);
            th_esql_panes *p = th_esql_panes_new(&pa, e, pre, byall, n, cuts, 4);
            assert_non_null(p);
            th_esql_panes_use_ids(p, w ? ids : NULL);
            th_esql_result *rp = th_esql_panes_run(&pa, p, 0, n, 0, 100000, &err);
            assert_non_null(rp);
            same_rows(&a, rp, rt, th_esql_nrows(rt));
            used[w] = pa.used_total + th_esql_panes_held(p);
            th_esql_panes_free(p);
            th_arena_free(&pa);
        }
        assert_int_equal(used[1], used[0]);
        th_esql_ids_free(ids);
    }
    th_diags_free(&d);
    th_arena_free(&a);
}

/* A column's look-ups stop after KEYMAP_PROBE rows (esql_val.c) where most
 * keys were new: by the keys' ids as by the keys, the same rows load
 * afresh; a column of few values keeps looking up by id. The rows that
 * find a key met before count towards the probe too: g's first 4,500 rows
 * bring a new key, then two met before (not the row before's), and every
 * later row a new one; counted, the probe finds a third new and keeps
 * looking up (g keeps its cell ids, as by the keys); counting only the new
 * keys would come to the probe at row ~7,100 and stop there. */
static void key_ids_stop_as_the_keys(void **state)
{
    (void)state;
    th_arena a;
    th_arena_init(&a, 1 << 16);
    enum { NROWS = 9000 };
    const char **texts = TH_ANEWN(&a, const char *, NROWS + 1);
    unsigned x = 5;
    for (size_t i = 0; i < NROWS; i++) { /* h: distinct for its first 6000 rows, then from a few */
        size_t g = i >= 4500 ? i : i % 3 == 0 || i < 6 ? i / 3 : i / 3 - i % 3;
        texts[i] =
            th_arena_printf(&a, "{\"u\":\"u%zu\",\"a\":\"a%u\",\"h\":\"h%zu\",\"g\":\"g%zu\"}", i,
                            lcg_next(&x, 40), i < 6000 ? i : lcg_next(&x, 9), g);
    }
    texts[NROWS] = NULL;
    src_docs sd;
    th_esql_doc *tree, *via;
    size_t n = doc_pair(&a, texts, false, &sd, &tree, &via);
    field_keys fa = {sd, n, &a, {TH_STR_NULL}, {NULL}, 0, true, 0};
    th_esql_doc *byall = keyed_docs(&a, &fa);
    th_diags d;
    th_diags_init(&d);
    const char *q =
        "FROM logs-* | EVAL w = a == \"a1\" | WHERE h != \"h3\" "
        "| STATS c = COUNT(*), v = COUNT_DISTINCT(u), y = MAX(h), s = SUM(CASE(w, 1, 0)), "
        "k = COUNT_DISTINCT(g) BY a";
    th_esql *e = th_esql_parse(&a, q, strlen(q), NULL, &d);
    assert_non_null(e);
    same_with_table(e, byall, &fa, n);
    th_diags_free(&d);
    th_arena_free(&a);
}

/* The bytes a query's run takes in its arena are charged to --max-memory
 * (the ES|QL pass's tables): they are the same whatever the heap's
 * addresses. Over documents whose equal values share their cells (as
 * captured matches' do), users coming back after others, the same query
 * runs with the arena's cells moved by 0 to 15 words (a block of that size
 * allocated first): its prefix, and panes over it with the cell ids and
 * without, take the same bytes every time (and give the same rows). The
 * memos' table of earlier cells and the grouping's hints are looked up by
 * a hash of their cells: where it hashed a text's address, which rows found
 * their cells there moved with the heap, and a miss that allocates
 * (TO_UPPER's text, an array of TO_DOUBLE's values, a number's key text)
 * took other bytes. */
static void charge_whatever_the_addresses(void **state)
{
    (void)state;
    const char *const queries[] = {
        "FROM logs-* | STATS v = VALUES(TO_UPPER(a)), c = COUNT(TO_DOUBLE(n)), x = MAX(TO_DOUBLE(m)) BY e",
        "FROM logs-* | STATS v = VALUES(CONCAT(a, \"-\", b)) BY e",
        "FROM logs-* | STATS c = COUNT(*) BY a, n",
        "FROM logs-* | STATS c = COUNT(*) BY b, a, n",
        "FROM logs-* | STATS c = COUNT(*) BY b, n",
        "FROM logs-* | STATS c = COUNT(*), s = SUM(n) BY TO_UPPER(b), n",
        "FROM logs-* | EVAL u = TO_UPPER(b), t = TO_DOUBLE(m) | STATS c = COUNT(*), v = VALUES(u), s = SUM(t) BY e",
        "FROM logs-* | WHERE TO_UPPER(a) != \"U7\" | STATS c = COUNT(*), v = VALUES(b) BY e",
        NULL};
    th_arena a;
    th_arena_init(&a, 1 << 16);
    enum { NROWS = 4000 };
    const char **texts = TH_ANEWN(&a, const char *, NROWS + 1);
    unsigned x = 7;
    for (size_t i = 0; i < NROWS; i++) {
        th_buf b;
        th_buf_init(&b);
        th_buf_printf(&b, "{\"a\":\"u%u\",\"b\":\"r%u\"", lcg_next(&x, 300), lcg_next(&x, 40));
        if (lcg_next(&x, 8))
            th_buf_printf(&b, ",\"n\":%u", lcg_next(&x, 9));
        if (lcg_next(&x, 3) == 0)
            th_buf_printf(&b, ",\"m\":[\"%u\",\"%u.5\"]", lcg_next(&x, 50), lcg_next(&x, 50));
        else
            th_buf_printf(&b, ",\"m\":\"%u\"", lcg_next(&x, 50));
        th_buf_printf(&b, ",\"e\":\"%s\"}", lcg_next(&x, 2) ? "x" : "y");
        texts[i] = th_arena_strndup(&a, b.data, b.len);
        th_buf_free(&b);
    }
    texts[NROWS] = NULL;
    th_diags d;
    th_diags_init(&d);
    for (size_t i = 0; queries[i]; i++) {
        th_esql *e = th_esql_parse(&a, queries[i], strlen(queries[i]), NULL, &d);
        assert_non_null(e);
        const char *err = NULL;
        size_t want[3] = {0};
        for (size_t shift = 0; shift < 16; shift++) {
            /* the documents (the captured texts) and the tables moved */
            th_arena da;
            th_arena_init(&da, 1 << 16);
            (void)th_arena_alloc(&da, 8 * shift + 8);
            const char **moved = TH_ANEWN(&da, const char *, NROWS + 1);
            for (size_t j = 0; j < NROWS; j++)
                moved[j] = th_arena_strdup(&da, texts[j]);
            moved[NROWS] = NULL;
            src_docs sd;
            th_esql_doc *tree, *via;
            size_t n = doc_pair(&da, moved, false, &sd, &tree, &via);
            field_keys fa = {sd, n, &da, {TH_STR_NULL}, {NULL}, 0, true, 0};
            th_esql_doc *byall = keyed_docs(&da, &fa);
            th_esql_result *rt = th_esql_run(&da, e, tree, n, 0, 100000, &err);
            assert_non_null(rt);
            size_t cuts[] = {0, n / 3, n / 2, n}, used[3];
            th_arena pa;
            th_arena_init(&pa, 1 << 16);
            (void)th_arena_alloc(&pa, 8 * (15 - shift) + 8);
            size_t base = pa.used_total;
            th_esql_ids *ids = NULL;
            th_esql_result *pre =
                th_esql_run_prefix_kept(&pa, e, byall, n, NULL, NULL, NULL, NULL, &ids, &err);
            assert_non_null(pre);
            used[0] = pa.used_total - base;
            for (int w = 0; w < 2; w++) {
                size_t before = pa.used_total;
                th_esql_panes *p = th_esql_panes_new(&pa, e, pre, byall, n, cuts, 4);
                assert_non_null(p);
                th_esql_panes_use_ids(p, w ? ids : NULL);
                th_arena sa;
                th_arena_init(&sa, 1 << 16);
                th_esql_result *rp = th_esql_panes_run(&sa, p, 0, n, 0, 100000, &err);
                assert_non_null(rp);
                same_rows(&a, rp, rt, th_esql_nrows(rt));
                used[1 + w] = pa.used_total - before + sa.used_total + th_esql_panes_held(p);
                th_arena_free(&sa);
                th_esql_panes_free(p);
            }
            th_esql_ids_free(ids);
            th_arena_free(&pa);
            th_arena_free(&da);
            for (int k = 0; k < 3; k++) {
                if (shift == 0)
                    want[k] = used[k];
                else if (used[k] != want[k])
                    fail_msg("query %zu, moved by %zu words: %s took %zu bytes, unmoved %zu", i, shift,
                             k == 0 ? "the prefix" : k == 1 ? "the panes" : "the panes by ids", used[k], want[k]);
            }
        }
    }
    th_diags_free(&d);
    th_arena_free(&a);
}

/* ev_same_cell, which the memos and the grouping's hints test on every row,
 * against its contract written out kind by kind (same type and count; no
 * value; one array of values by address; a text or an IP by address and
 * length; a scalar by its bits), over every pair of a pool of cells:
 * texts at one address with other lengths, equal texts apart, arrays with
 * equal values apart, -0.0 and 0.0, NaN, the same bits as another type. */
static bool same_cell_by_kind(const ev *x, const ev *y)
{
    if (x->t != y->t || x->n != y->n)
        return false;
    if (x->n == 0)
        return true;
    if (x->n > 1)
        return x->many == y->many;
    if (x->t == EV_KW || x->t == EV_IP)
        return x->one.s.p == y->one.s.p && x->one.s.n == y->one.s.n;
    uint64_t a, b;
    memcpy(&a, &x->one, sizeof a);
    memcpy(&b, &y->one, sizeof b);
    return a == b;
}

static void same_cell_contract(void **state)
{
    (void)state;
    static const char text[] = "abcabc";
    static const char other[] = "abc";
    ev_s two[2] = {{.i = 1}, {.i = 2}}, two2[2] = {{.i = 1}, {.i = 2}};
    ev_s kws[2] = {{.s = {text, 1}}, {.s = {text, 2}}};
    ev pool[] = {
        ev_null(),
        {EV_KW, 0, {.one = {.i = 0}}},
        ev_kw(th_str_make(text, 3)),
        ev_kw(th_str_make(text, 2)),
        ev_kw(th_str_make(text, 6)),
        ev_kw(th_str_make(text + 3, 3)), /* "abc" again, elsewhere */
        ev_kw(th_str_make(other, 3)),
        {EV_IP, 1, {.one = {.s = {text, 3}}}},
        {EV_IP, 1, {.one = {.s = {text, 2}}}},
        ev_long(1),
        ev_long(2),
        {EV_DATE, 1, {.one = {.i = 1}}},
        ev_bool(true),
        {EV_DOUBLE, 1, {.one = {.d = 0.0}}},
        {EV_DOUBLE, 1, {.one = {.d = -0.0}}},
        {EV_DOUBLE, 1, {.one = {.d = 1.0}}},
        {EV_DOUBLE, 1, {.one = {.d = NAN}}},
        {EV_LONG, 2, {.many = two}},
        {EV_LONG, 2, {.many = two2}}, /* equal values, another array */
        {EV_LONG, 1, {.many = two}},  /* the array's address as a long's bits */
        {EV_KW, 2, {.many = kws}},
        {EV_KW, 2, {.many = kws}},
    };
    size_t n = sizeof pool / sizeof pool[0], same = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            bool want = same_cell_by_kind(&pool[i], &pool[j]);
            if (ev_same_cell(&pool[i], &pool[j]) != want)
                fail_msg("cells %zu and %zu: %d, expected %d", i, j, !want, want);
            same += want;
        }
    assert_true(same > n); /* some pairs other than a cell with itself */
}

/* th_esql_sort_distinct (VALUES / COUNT_DISTINCT) against the sort it
 * stands for: a stable insertion sort by th_ev_cmp, then each value unequal
 * to the last kept one. The same values in the same order, the very same
 * ones kept (their addresses, for texts): keywords, longs, dates, booleans
 * and spans compare in line (th_ev_cmp's order for one of these types);
 * IP values sort by their addresses parsed once where all parse, texts of
 * one address (1.2.3.4, ::ffff:1.2.3.4; 2001:db8::1, 2001:DB8::1) keeping
 * the first in input order; doubles take the general sort. Lists of 1 to
 * 200 values (the IP keys' stack of 64 and over, drop_repeats' 16 to
 * 1024), equal texts at one address and at several. IP lists with a text
 * that does not parse take the general sort (th_ev_cmp compares such a
 * text with the others as text, no order an insertion sort gives alike):
 * only run. */
static void distinct_values_sort_as_compared(void **state)
{
    (void)state;
    static const char *const ips[] = {
        "1.2.3.4",       "::ffff:1.2.3.4", "10.0.0.1",        "10.0.0.10",
        "9.255.255.255", "0.0.0.0",        "255.255.255.255", "::1",
        "2001:db8::1",   "2001:db8::",     "fe80::1",         "::",
        "192.168.1.1",   "2001:DB8::1",    "172.16.0.1",      "8.8.8.8",
    };
    static const char *const kws[] = {"",   "a",     "ab",       "abc", "b",  "B",
                                      "aa", "a\x7f", "\xc3\xa9", "z",   "abd"};
    static const char *const bad[] = {"not-an-ip", "1.2.3", "", "10.0.0.1 "};
    static const uint8_t types[] = {EV_IP, EV_KW, EV_LONG, EV_DATE, EV_BOOL, EV_SPAN, EV_DOUBLE};
    static const double dbl[] = {0.0, -0.0, 1.5, -2.0, 1e300, -1e-300, 3.0};
    uint64_t rng = 0x51ED2701u;
    th_arena a;
    th_arena_init(&a, 1 << 16);
    size_t checked[sizeof types] = {0}, slow = 0, ties = 0;
    for (int it = 0; it < 2100; it++) {
        uint8_t type = types[it % sizeof types];
        uint32_t nv = 1 + (uint32_t)(th_test_xorshift(&rng) % (it % 3 ? 40 : 200));
        bool with_bad = type == EV_IP && it % 5 == 4;
        ev_s *v = TH_ANEWN(&a, ev_s, nv), *ref = TH_ANEWN(&a, ev_s, nv);
        for (uint32_t i = 0; i < nv; i++) {
            uint64_t x = th_test_xorshift(&rng);
            if (type == EV_IP || type == EV_KW) {
                const char *t = type == EV_IP ? ips[x % 16] : kws[x % 11];
                if (with_bad && (x >> 8) % 8 == 0)
                    t = bad[(x >> 12) % 4];
                if ((x >> 16) % 2) /* a copy elsewhere: equal, not identical */
                    t = th_arena_strndup(&a, t, strlen(t));
                v[i].s = th_str_make(t, strlen(t));
            } else if (type == EV_DOUBLE) {
                v[i].d = dbl[x % 7];
            } else {
                v[i].i = type == EV_BOOL
                             ? (int64_t)(x % 2)
                             : (int64_t)(x % 23) - 11 + (x % 97 == 0 ? INT64_MIN / 2 : 0);
            }
        }
        memcpy(ref, v, nv * sizeof *v);
        for (uint32_t i = 1; i < nv; i++) {
            ev_s x = ref[i];
            uint32_t j = i;
            for (; j > 0; j--) {
                ev ex = {type, 1, {.one = x}}, ey = {type, 1, {.one = ref[j - 1]}};
                if (th_ev_cmp(&ex, 0, &ey, 0) >= 0)
                    break;
                ref[j] = ref[j - 1];
            }
            ref[j] = x;
        }
        uint32_t rw = 1;
        for (uint32_t i = 1; i < nv; i++) {
            ev ex = {type, 1, {.one = ref[i]}}, ey = {type, 1, {.one = ref[rw - 1]}};
            if (th_ev_cmp(&ex, 0, &ey, 0) != 0)
                ref[rw++] = ref[i];
            else if (type == EV_IP || type == EV_KW)
                ties += ref[i].s.p != ref[rw - 1].s.p;
        }
        bool parses = true;
        for (uint32_t i = 0; type == EV_IP && i < nv; i++) {
            uint8_t b[16];
            parses = parses && th_q_parse_ip(v[i].s, b);
        }
        uint32_t w = th_esql_sort_distinct(type, v, nv);
        if (!parses) {
            slow++;
            continue;
        }
        checked[it % sizeof types] += nv > 1;
        assert_int_equal(w, rw);
        for (uint32_t i = 0; i < w; i++) {
            if (type == EV_IP || type == EV_KW) {
                assert_ptr_equal(v[i].s.p, ref[i].s.p);
                assert_int_equal(v[i].s.n, ref[i].s.n);
            } else {
                assert_memory_equal(&v[i], &ref[i], sizeof v[i]);
            }
        }
    }
    for (size_t k = 0; k < sizeof types; k++)
        assert_true(checked[k] > 100);
    assert_true(slow > 20 && ties > 1000);
    th_arena_free(&a);
}

/* An AND, OR, NOT or CASE of literals over more columns than a memo's
 * table keys on is evaluated from its parts' memos (split_eval), each keyed
 * on its own columns: row by row, the value and the warnings th_esql_eval
 * gives, over random rows of few-valued cells (NULLs and multi-values
 * among them, each value one cell, so the parts' memos hit) and a key new
 * on almost every row, as the self-created access key rule's. */
static void split_memo_as_evaluated(void **state)
{
    (void)state;
    th_arena a;
    th_arena_init(&a, 1 << 16);
    const char *q = "FROM logs-* "
                    "| WHERE (a == \"x\" AND b == \"y\" AND c == \"x\" AND d == \"x\") "
                    "OR (d == \"x\" AND k LIKE \"AKIA*\" AND NOT (a == \"x\" AND b == \"y\")) "
                    "| EVAL f = CASE(a == \"x\" AND b == \"x\" AND k LIKE \"AKIA*\" AND (c IS NULL "
                    "OR c == d), 1, "
                    "NOT (d == \"y\" OR k LIKE \"ASIA*\" OR a == b), 2, 0)";
    th_diags d;
    th_diags_init(&d);
    th_esql *e = th_esql_parse(&a, q, strlen(q), NULL, &d);
    assert_non_null(e);
    const xnode *xs[2] = {NULL, NULL};
    for (size_t i = 0; i < e->ncmds; i++) {
        if (e->cmds[i].kind == C_WHERE)
            xs[0] = e->cmds[i].cond;
        if (e->cmds[i].kind == C_EVAL)
            xs[1] = e->cmds[i].as[0].x;
    }
    assert_non_null(xs[0]);
    assert_non_null(xs[1]);
    enum { ROWS = 600 };
    static const char *const names[] = {"a", "b", "c", "d", "k"};
    ev_s two[2] = {{.s = TH_STR_LIT("x")}, {.s = TH_STR_LIT("y")}};
    const ev pool[] = {
        ev_kw(TH_STR_LIT("x")), ev_kw(TH_STR_LIT("y")), ev_null(), {EV_KW, 2, {.many = two}}};
    etab t = {.nrows = ROWS};
    t.doc = TH_ANEWN(&a, long, ROWS);
    erun r = {.a = &a, .q = e, .track = -1};
    unsigned seed = 7;
    for (size_t c = 0; c < 5; c++) {
        ev *col = TH_ANEWN(&a, ev, ROWS);
        for (size_t row = 0; row < ROWS; row++) {
            t.doc[row] = (long)row;
            unsigned p = lcg_next(&seed, 16);
            if (c < 4) /* mostly x and y, some NULL, a few multi-valued */
                col[row] = pool[p < 7 ? 0 : p < 13 ? 1 : p < 15 ? 2 : 3];
            else if (p == 0)
                col[row] = ev_null();
            else /* a new key on almost every row */
                col[row] = ev_kw(
                    th_str_c(th_arena_printf(&a, "%s%zu", p < 10 ? "AKIA" : "ASIA", row % 550)));
        }
        th_etab_set(&r, &t, th_str_c(names[c]), col);
    }
    for (int w = 0; w < 2; w++) {
        for (int cached = 0; cached < 2; cached++) {
            esql_memo m;
            th_esql_memo_init(&m, xs[w]);
            if (cached)
                th_esql_memo_cache(&m);
            assert_int_equal(m.nsplit, 2);
            erun plain = r;
            size_t seen[3] = {0}; /* rows NULL, FALSE (or 0), TRUE (or not 0) */
            for (size_t row = 0; row < ROWS; row++) {
                ev v = th_esql_eval_memo(&r, &t, row, &m);
                ev u = th_esql_eval(&plain, &t, row, xs[w]);
                assert_int_equal(v.t, u.t);
                assert_int_equal(v.n, u.n);
                if (u.n)
                    assert_int_equal(v.one.i, u.one.i);
                assert_int_equal(r.warnings, plain.warnings);
                seen[u.n == 0 ? 0 : u.one.i ? 2 : 1]++;
            }
            assert_null(r.err);
            assert_true(r.warnings > 20);
            assert_true(seen[1] > 20 && seen[2] > 20 && (w == 1 || seen[0] > 20));
            th_esql_memo_free(&m);
            r.warnings = 0;
        }
    }
    th_diags_free(&d);
    th_arena_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(where_three_valued),
        cmocka_unit_test(split_memo_as_evaluated),
        cmocka_unit_test(in_list_set),
        cmocka_unit_test(stats_groups),
        cmocka_unit_test(values_over_runs),
        cmocka_unit_test(same_values_share_cells),
        cmocka_unit_test(date_column_from_texts),
        cmocka_unit_test(repeated_cells_same_values),
        cmocka_unit_test(shared_cells_random_rows),
        cmocka_unit_test(grok_cells_keyed_by_ids),
        cmocka_unit_test(many_groups_shared_cells),
        cmocka_unit_test(charge_whatever_the_addresses),
        cmocka_unit_test(time_form_short_cut),
        cmocka_unit_test(date_minutes_from_keys),
        cmocka_unit_test(key_ids_stop_as_the_keys),
        cmocka_unit_test(same_cell_contract),
        cmocka_unit_test(distinct_values_sort_as_compared),
        cmocka_unit_test(eval_functions),
        cmocka_unit_test(dissect_grok_keep),
        cmocka_unit_test(keep_patterns_as_glob),
        cmocka_unit_test(keep_memo_by_names),
        cmocka_unit_test(parse_errors_have_positions),
        cmocka_unit_test(lowering_routes_like_kql),
        cmocka_unit_test(prefix_then_rest_equals_whole),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
