/* th_query_necessary: the condition a raw projection can check before
 * mapping. Kept: leaves on accepted fields under AND, OR when every branch
 * keeps one. Dropped: NOT, other fields, ES|QL three-valued leaves. And the
 * property it exists for: on random documents, whenever the query holds, the
 * necessary condition holds too. */
#include "th_test.h"

#include "query/ir.h"
#include "query/query.h"

static bool keep_ab(th_str f) { return th_str_eqc(f, "a") || th_str_eqc(f, "b"); }

static const char *necessary(th_arena *a, const char *kql)
{
    th_diags d;
    th_diags_init(&d);
    th_query *q = th_query_compile(a, TH_QLANG_KQL, kql, strlen(kql), NULL, &d);
    th_diags_free(&d);
    assert_non_null(q);
    th_query *n = th_query_necessary(a, q, keep_ab);
    if (!n)
        return "true";
    th_buf b;
    th_buf_init(&b);
    th_ir_print(&b, th_query_ir(n));
    char *s = th_arena_strndup(a, b.data, b.len);
    th_buf_free(&b);
    return s;
}

static void test_shapes(void **state)
{
    (void)state;
    th_arena a;
    th_arena_init(&a, 1 << 14);
    assert_string_equal(necessary(&a, "a: x and c: y"), "(term/k \"a\" \"x\")");
    assert_string_equal(necessary(&a, "a: x and not b: y"), "(term/k \"a\" \"x\")");
    assert_string_equal(necessary(&a, "c: x or a: y"), "true");
    assert_string_equal(necessary(&a, "not a: x"), "true");
    assert_string_equal(necessary(&a, "(a: x or b: y*) and c: z"),
                        "(or (term/k \"a\" \"x\") (wildcard/k \"b\" \"y*\"))");
    assert_string_equal(necessary(&a, "a: * and b: (p or q)"),
                        "(and (exists/k \"a\") (or (term/k \"b\" \"p\") (term/k \"b\" \"q\")))");
    th_arena_free(&a);
}

/* Random documents over fields a, b, c with small value sets, queries from a
 * fixed list: q(doc) implies necessary(q)(doc); and with supersets of a's and
 * b's values (the projection), the implication still holds. */
static void test_implication(void **state)
{
    (void)state;
    static const char *const queries[] = {
        "a: x and c: y", "(a: x or b: y) and not c: z", "a: x* and b: *y and c: *",
        "not (a: x and b: y) and a: *", "(a: x and c: y) or (b: y and c: x)",
        "a: (x or y) and not b: x", "c: x or (a: y and b: x)",
    };
    static const char *const vals[] = {"x", "y", "z", "xy"};
    th_arena a;
    th_arena_init(&a, 1 << 16);
    uint64_t seed = 12345, checked = 0, held = 0;
    for (size_t qi = 0; qi < sizeof queries / sizeof queries[0]; qi++) {
        th_diags d;
        th_diags_init(&d);
        th_query *q = th_query_compile(&a, TH_QLANG_KQL, queries[qi], strlen(queries[qi]), NULL, &d);
        th_diags_free(&d);
        assert_non_null(q);
        th_query *n = th_query_necessary(&a, q, keep_ab);
        for (int it = 0; it < 400; it++) {
            char doc[256], sup[256];
            size_t used = 0, sused = 0;
            used += (size_t)snprintf(doc + used, sizeof doc - used, "{");
            sused += (size_t)snprintf(sup + sused, sizeof sup - sused, "{");
            const char *fields[] = {"a", "b", "c"};
            for (int f = 0; f < 3; f++) {
                seed = seed * 6364136223846793005ull + 1442695040888963407ull;
                unsigned r = (unsigned)(seed >> 33);
                if (r % 4 == 0)
                    continue; /* missing */
                const char *v = vals[(r >> 3) % 4], *extra = vals[(r >> 6) % 4];
                used += (size_t)snprintf(doc + used, sizeof doc - used, "%s\"%s\":\"%s\"",
                                         used > 1 ? "," : "", fields[f], v);
                if (f < 2) /* the projection may add values to kept fields */
                    sused += (size_t)snprintf(sup + sused, sizeof sup - sused,
                                              "%s\"%s\":[\"%s\",\"%s\"]", sused > 1 ? "," : "",
                                              fields[f], v, extra);
                else
                    sused += (size_t)snprintf(sup + sused, sizeof sup - sused, "%s\"%s\":\"%s\"",
                                              sused > 1 ? "," : "", fields[f], v);
            }
            snprintf(doc + used, sizeof doc - used, "}");
            snprintf(sup + sused, sizeof sup - sused, "}");
            th_json_error err;
            th_jval *dv = th_json_parse(&a, doc, strlen(doc), &err);
            th_jval *sv = th_json_parse(&a, sup, strlen(sup), &err);
            assert_non_null(dv);
            assert_non_null(sv);
            if (!th_query_match(q, dv))
                continue;
            checked++;
            bool ok = !n || th_query_match(n, sv);
            held += ok;
            if (!ok)
                print_message("query %s, doc %s, projection %s: necessary condition false\n",
                              queries[qi], doc, sup);
        }
    }
    assert_true(checked > 100);
    assert_int_equal(held, checked);
    th_arena_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shapes),
        cmocka_unit_test(test_implication),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
