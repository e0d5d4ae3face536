/* th_qfields: a document's fields, each found once. On random documents
 * (nested objects, arrays of values and of objects, nulls, literal dotted
 * keys such as "a.b", repeated keys), every read of a field gives the very
 * values th_json_path_each visits, in its order, whatever was read before
 * it; and th_query_match_fields selects what th_query_match selects, also
 * where the fields a walk finds once or not at all were put (th_qfields_put,
 * as a slot document's are) and are read without a walk. */
#include "th_test.h"

#include "base/buf.h"
#include "query/esql.h"
#include "query/ir.h"
#include "query/query.h"

static unsigned next(uint64_t *seed, unsigned n)
{
    *seed = *seed * 6364136223846793005ull + 1442695040888963407ull;
    return (unsigned)(*seed >> 33) % n;
}

/* ECS keyword fields (user.name, event.action: what ES|QL WHERE lowers)
 * nested, dotted or both, and a field the schema does not know */
static const char *const keys[] = {"user", "name", "user.name", "event", "action", "event.action", "a"};
#define NKEYS (sizeof keys / sizeof keys[0])

static void random_value(uint64_t *seed, th_buf *b, int depth);

static void random_object(uint64_t *seed, th_buf *b, int depth)
{
    th_buf_puts(b, "{");
    unsigned n = depth ? next(seed, 4) : 3 + next(seed, 5);
    for (unsigned i = 0; i < n; i++) { /* keys drawn at random: some repeat */
        th_buf_printf(b, "%s\"%s\":", i ? "," : "", keys[next(seed, NKEYS)]);
        random_value(seed, b, depth + 1);
    }
    th_buf_puts(b, "}");
}

/* A random object's text into b (cleared first), parsed into a. */
static th_jval *random_doc(uint64_t *seed, th_arena *a, th_buf *b)
{
    th_buf_clear(b);
    random_object(seed, b, 0);
    th_json_error err;
    th_jval *doc = th_json_parse(a, b->data, b->len, &err);
    assert_non_null(doc);
    return doc;
}

static void random_value(uint64_t *seed, th_buf *b, int depth)
{
    static const char *const scalars[] = {"\"x\"", "\"y\"", "\"\"", "3", "1.5", "true", "null"};
    unsigned k = next(seed, depth < 4 ? 10 : 7);
    if (k < 7) {
        th_buf_puts(b, scalars[k]);
    } else if (k < 9) {
        random_object(seed, b, depth);
    } else {
        th_buf_puts(b, "[");
        unsigned n = next(seed, 4);
        for (unsigned i = 0; i < n; i++) {
            if (i)
                th_buf_puts(b, ",");
            random_value(seed, b, depth + 1);
        }
        th_buf_puts(b, "]");
    }
}

typedef struct seen {
    const th_jval *v[256];
    size_t n;
} seen;

static bool collect(const th_jval *v, void *ctx)
{
    seen *s = ctx;
    if (s->n < 256)
        s->v[s->n++] = v;
    return true;
}

static const char *const paths[] = {"user",        "name",   "user.name", "event.action", "event",
                                    "action",      "a",      "a.name",    "user.name.a",  "user.a",
                                    "event.a.name", "x",      "name.user", ""};
#define NPATHS (sizeof paths / sizeof paths[0])

static void test_same_values(void **state)
{
    (void)state;
    th_arena a;
    th_arena_init(&a, 1 << 16);
    th_qfields *f = th_qfields_new();
    uint32_t ids[NPATHS];
    for (size_t i = 0; i < NPATHS; i++)
        ids[i] = th_query_field_id(th_str_c(paths[i]));
    assert_int_equal(ids[NPATHS - 1], 0); /* the empty path has no number */
    assert_int_equal(th_query_field_id(th_str_c("user.name")), ids[2]);
    uint64_t seed = 4242, reads = 0, values = 0;
    th_buf b;
    th_buf_init(&b);
    for (int it = 0; it < 3000; it++) {
        th_jval *doc = random_doc(&seed, &a, &b);
        th_qfields_reset(f, doc);
        for (int r = 0; r < 24; r++) { /* some fields read twice or more */
            size_t p = next(&seed, NPATHS);
            seen want = {.n = 0};
            th_json_path_each(doc, th_str_c(paths[p]), collect, &want);
            size_t n;
            const th_jval *const *got = th_qfields_get(f, ids[p], th_str_c(paths[p]), &n);
            if (n != want.n)
                print_message("doc %.*s, %s: %zu values, want %zu\n", (int)b.len, b.data,
                              paths[p], n, want.n);
            assert_int_equal(n, want.n);
            for (size_t i = 0; i < n; i++)
                assert_ptr_equal(got[i], want.v[i]);
            reads++;
            values += n > 0;
        }
        th_arena_reset(&a);
    }
    th_buf_free(&b);
    /* the reads found values as often as absences */
    print_message("%llu reads, %llu found values\n", (unsigned long long)reads,
                  (unsigned long long)values);
    assert_true(values > reads / 4 && values < reads * 3 / 4);
    th_qfields_free(f);
    th_arena_free(&a);
}

static void test_same_matches(void **state)
{
    (void)state;
    static const char *const kql[] = {
        "user.name: x and event.action: y",
        "user.name: * or a: 3",
        "not event.action: x and (name: y or a: *)",
        "user.a: x or a.name: 1.5",
        "user.name: (x or y) and not a: true",
        "a > 2 or event.action: \"\"",
        "user.name: x*",
        "event.a.name: * and not user.name: *",
    };
    static const char *const esql[] = {
        "FROM logs-aws.cloudtrail-* | WHERE user.name == \"x\" AND event.action IS NOT NULL | LIMIT 10",
        "FROM logs-aws.cloudtrail-* | WHERE user.name != \"y\" OR event.action IS NULL | LIMIT 10",
        "FROM logs-aws.cloudtrail-* | WHERE NOT (user.name IN (\"x\", \"y\") AND event.action LIKE \"x*\") | LIMIT 10",
    };
    th_arena a, qa;
    th_arena_init(&a, 1 << 16);
    th_arena_init(&qa, 1 << 16);
    th_diags d;
    th_diags_init(&d);
    th_query *qs[16];
    size_t nq = 0;
    for (size_t i = 0; i < sizeof kql / sizeof kql[0]; i++) {
        qs[nq] = th_query_compile(&qa, TH_QLANG_KQL, kql[i], strlen(kql[i]), NULL, &d);
        assert_non_null(qs[nq]);
        nq++;
    }
    for (size_t i = 0; i < sizeof esql / sizeof esql[0]; i++) { /* three-valued leaves */
        th_esql *e = th_esql_parse(&qa, esql[i], strlen(esql[i]), NULL, &d);
        assert_non_null(e);
        th_ir *ir = th_esql_lower(&qa, e);
        if (!ir)
            print_message("not lowered: %s\n", esql[i]);
        assert_non_null(ir);
        qs[nq] = th_query_compile_ir(&qa, TH_QLANG_ESQL, ir, NULL, &d);
        assert_non_null(qs[nq]);
        nq++;
    }
    th_qfields *f = th_qfields_new();
    uint64_t seed = 99, checked = 0, held = 0, put = 0;
    th_buf b;
    th_buf_init(&b);
    for (int it = 0; it < 3000; it++) {
        th_jval *doc = random_doc(&seed, &a, &b);
        th_qfields_reset(f, doc);
        uint32_t id[NPATHS];
        const th_jval *val[NPATHS];
        size_t nknown = 0;
        for (size_t p = 0; it % 2 && p + 1 < NPATHS; p++) {
            seen walk = {.n = 0};
            th_json_path_each(doc, th_str_c(paths[p]), collect, &walk);
            if (walk.n > 1)
                continue;
            id[nknown] = th_query_field_id(th_str_c(paths[p]));
            val[nknown++] = walk.n ? walk.v[0] : NULL;
        }
        th_qknown known;
        uint8_t at[4096];
        assert_true(th_qknown_of(&known, at, sizeof at, id, val, nknown));
        th_qfields_put(f, &known);
        put += nknown;
        for (size_t i = 0; i < nq; i++) { /* the queries share the document's fields */
            bool want = th_query_match(qs[i], doc);
            assert_int_equal(th_query_match_fields(qs[i], f), want);
            checked++;
            held += want;
        }
        th_arena_reset(&a);
    }
    th_buf_free(&b);
    assert_true(held > checked / 20 && held < checked * 19 / 20);
    assert_true(put > 1500 * 4);
    th_qfields_free(f);
    th_diags_free(&d);
    th_arena_free(&qa);
    th_arena_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_values),
        cmocka_unit_test(test_same_matches),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
