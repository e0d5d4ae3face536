/* th_query_necessary: the condition a raw projection can check before
 * mapping. Kept: leaves on accepted fields under AND, OR when every branch
 * keeps one. Dropped: NOT, other fields, ES|QL three-valued leaves. And the
 * property it exists for: on random documents, whenever the query holds, the
 * necessary condition holds too. Also the slot accessor the gates use
 * (th_query_bind_slots / th_query_match_slots): on random documents, a query
 * reads the same from slots filled with what th_json_path_each visits as
 * from the document. And th_query_order (cheapest operands first): an ES|QL
 * WHERE, three-valued, selects the same documents in either order, and an
 * AND reads its NOTs last. And
 * th_query_rest_fold: a rest's conjuncts on a constant field decided once. */
#include "th_test.h"

#include "query/esql.h"
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

/* Slots for test_slots: a, b, c.d, and t, an object read below */
static const char *const slot_fields[] = {"a", "b", "c.d", "t"};
static int slot_of(th_str path, th_str *rest)
{
    *rest = TH_STR_NULL;
    for (int i = 0; i < 3; i++)
        if (th_str_eqc(path, slot_fields[i]))
            return i;
    if (path.n >= 1 && path.p[0] == 't' && (path.n == 1 || path.p[1] == '.')) {
        if (path.n > 2)
            *rest = th_str_make(path.p + 2, path.n - 2);
        return 3;
    }
    return -1;
}

typedef struct slot_fill {
    th_jval vals[64];
    uint32_t n;
} slot_fill;

static bool fill_visit(const th_jval *v, void *ctx)
{
    slot_fill *f = ctx;
    if (f->n < 64)
        f->vals[f->n++] = *v;
    return true;
}

static void test_slots(void **state)
{
    (void)state;
    static const char *const queries[] = {
        "a: x and b: y", "a: x* or c.d: *y", "not a: x and (b: y or c.d: z)", "c.d: *",
        "a: 3 or b >= 2", "t.x: x and not t.y.z: y", "t.y: * or a: \"\"", "t: * and b: x*y",
        "a < 5 and c.d > 1", "(a: x or a: y or a: z) and not (b: x or b: y)",
    };
    static const char *const unbound[] = {"e: x", "a: x and c: y", "x", "a: x or c.e: y"};
    static const char *const vals[] = {"\"x\"", "\"y\"", "\"xy\"", "\"\"", "3", "1.5",
                                       "true", "null", "[\"x\",4]", "{\"z\":\"y\"}"};
    th_arena a;
    th_arena_init(&a, 1 << 16);
    th_diags d;
    th_diags_init(&d);
    for (size_t i = 0; i < sizeof unbound / sizeof unbound[0]; i++) {
        th_query *q = th_query_compile(&a, TH_QLANG_KQL, unbound[i], strlen(unbound[i]), NULL, &d);
        assert_non_null(q);
        assert_false(th_query_bind_slots(q, slot_of));
    }
    uint64_t seed = 777, checked = 0, same = 0, held = 0;
    th_qmemo *memo = th_qmemo_new(); /* remembered tests read as fresh ones */
    for (size_t qi = 0; qi < sizeof queries / sizeof queries[0]; qi++) {
        th_query *q = th_query_compile(&a, TH_QLANG_KQL, queries[qi], strlen(queries[qi]), NULL, &d);
        assert_non_null(q);
        assert_true(th_query_bind_slots(q, slot_of));
        for (int it = 0; it < 500; it++) {
            char doc[512];
            size_t used = (size_t)snprintf(doc, sizeof doc, "{");
            for (int f = 0; f < 5; f++) {
                seed = seed * 6364136223846793005ull + 1442695040888963407ull;
                unsigned r = (unsigned)(seed >> 33);
                if (r % 4 == 0)
                    continue; /* missing */
                const char *v = vals[(r >> 3) % 10], *w = vals[(r >> 8) % 10];
                const char *sep = used > 1 ? "," : "";
                if (f < 2) /* a, b: a value or an array of two */
                    used += (size_t)snprintf(doc + used, sizeof doc - used,
                                             r & 4 ? "%s\"%s\":[%s,%s]" : "%s\"%s\":%s%.0s", sep,
                                             f ? "b" : "a", v, w);
                else if (f == 2) /* c.d through an object */
                    used += (size_t)snprintf(doc + used, sizeof doc - used,
                                             "%s\"c\":{\"d\":%s,\"e\":%s}", sep, v, w);
                else if (f == 3) /* t: an object, nested, or an array of them */
                    used += (size_t)snprintf(doc + used, sizeof doc - used,
                                             r & 4 ? "%s\"t\":[{\"x\":%s},{\"y\":{\"z\":%s}}]"
                                                   : "%s\"t\":{\"x\":%s,\"y\":%s}",
                                             sep, v, w);
                else /* a key the slots do not hold */
                    used += (size_t)snprintf(doc + used, sizeof doc - used, "%s\"e\":%s", sep, v);
            }
            snprintf(doc + used, sizeof doc - used, "}");
            th_json_error err;
            th_jval *dv = th_json_parse(&a, doc, strlen(doc), &err);
            assert_non_null(dv);
            slot_fill fills[4];
            th_qslot slots[4];
            for (int i = 0; i < 4; i++) {
                fills[i].n = 0;
                th_json_path_each(dv, th_str_c(slot_fields[i]), fill_visit, &fills[i]);
                slots[i] = (th_qslot){fills[i].vals, fills[i].n};
            }
            bool want = th_query_match(q, dv), got = th_query_match_slots(q, slots, NULL);
            bool remembered = th_query_match_slots(q, slots, memo);
            checked++;
            held += want;
            same += want == got && want == remembered;
            if (want != got || want != remembered)
                print_message("query %s, doc %s: %d on the document, %d on slots, %d with the "
                              "memo\n",
                              queries[qi], doc, want, got, remembered);
        }
    }
    print_message("RATE: slots read as the document on %llu/%llu (query, document) checks, "
                  "%llu true\n",
                  (unsigned long long)same, (unsigned long long)checked, (unsigned long long)held);
    assert_true(held > checked / 10 && held < checked * 9 / 10); /* both outcomes exercised */
    assert_int_equal(same, checked);
    th_qmemo_free(memo);
    th_diags_free(&d);
    th_arena_free(&a);
}

/* A random document for test_order: user.name and event.action (values or
 * arrays of two, under literal dotted keys), aws.cloudtrail.user_identity.type
 * through objects, event.outcome. */
static void random_doc(uint64_t *seed, char *doc, size_t cap)
{
    static const char *const vals[] = {"\"x\"", "\"y\"", "\"xy\"", "\"\"", "3", "1.5",
                                       "true", "null", "[\"x\",4]", "{\"z\":\"y\"}"};
    size_t used = (size_t)snprintf(doc, cap, "{");
    for (int f = 0; f < 4; f++) {
        *seed = *seed * 6364136223846793005ull + 1442695040888963407ull;
        unsigned r = (unsigned)(*seed >> 33);
        if (r % 4 == 0)
            continue; /* missing */
        const char *v = vals[(r >> 3) % 10], *w = vals[(r >> 8) % 10];
        const char *sep = used > 1 ? "," : "";
        if (f < 2)
            used += (size_t)snprintf(doc + used, cap - used,
                                     r & 4 ? "%s\"%s\":[%s,%s]" : "%s\"%s\":%s%.0s", sep,
                                     f ? "event.action" : "user.name", v, w);
        else if (f == 2)
            used += (size_t)snprintf(doc + used, cap - used,
                                     "%s\"aws\":{\"cloudtrail\":{\"user_identity\":{\"type\":%s}}}",
                                     sep, v);
        else
            used += (size_t)snprintf(doc + used, cap - used, "%s\"event.outcome\":%s", sep, v);
    }
    snprintf(doc + used, cap - used, "}");
}

static void test_order(void **state)
{
    (void)state;
    /* the ES|QL rules' shapes: IS NOT NULL, ==, !=, IN, LIKE, NOT, nested
     * AND/OR, with the expensive tests first in the source */
    static const char *const wheres[] = {
        "aws.cloudtrail.user_identity.type IS NOT NULL AND user.name LIKE \"x*\" AND "
        "event.action == \"y\"",
        "(user.name IN (\"x\", \"y\", \"xy\") AND event.outcome IS NULL) OR "
        "event.action != \"x\"",
        "NOT (user.name LIKE \"*y\" OR aws.cloudtrail.user_identity.type IS NOT NULL) AND "
        "event.action == \"xy\" AND event.outcome == \"x\"",
        "user.name IS NOT NULL AND event.action IS NOT NULL AND event.outcome != \"y\" AND "
        "aws.cloudtrail.user_identity.type == \"x\"",
        "(event.action LIKE \"x*\" OR user.name == \"y\") AND (NOT event.outcome IN (\"x\", "
        "\"\") OR aws.cloudtrail.user_identity.type != \"xy\")",
    };
    th_arena a;
    th_arena_init(&a, 1 << 16);
    th_diags d;
    th_diags_init(&d);
    uint64_t seed = 4242, checked = 0, same = 0, held = 0;
    for (size_t i = 0; i < sizeof wheres / sizeof wheres[0]; i++) {
        char text[512];
        snprintf(text, sizeof text, "FROM logs-aws.cloudtrail-* | WHERE %s | LIMIT 10", wheres[i]);
        th_esql *e = th_esql_parse(&a, text, strlen(text), NULL, &d);
        assert_non_null(e);
        th_ir *ir = th_esql_lower(&a, e);
        assert_non_null(ir);
        th_query *q = th_query_compile_ir(&a, TH_QLANG_ESQL, ir, NULL, &d);
        th_query *o = th_query_compile_ir(&a, TH_QLANG_ESQL, ir, NULL, &d);
        assert_non_null(q);
        assert_non_null(o);
        th_query_order(o);
        for (int it = 0; it < 400; it++) {
            char doc[512];
            th_json_error err;
            random_doc(&seed, doc, sizeof doc);
            th_jval *dv = th_json_parse(&a, doc, strlen(doc), &err);
            assert_non_null(dv);
            bool want = th_query_match(q, dv), got = th_query_match(o, dv);
            checked++;
            held += want;
            same += want == got;
            if (want != got)
                print_message("WHERE %s, doc %s: %d as written, %d ordered\n", wheres[i], doc,
                              want, got);
        }
    }
    assert_true(held > checked / 20 && held < checked * 19 / 20); /* both outcomes exercised */
    assert_int_equal(same, checked);
    th_diags_free(&d);
    th_arena_free(&a);
}

/* th_query_order puts an AND's NOT after the kids of its cost: a `!=` holds
 * on most values, so the AND decides sooner on the equality. Seen through
 * the fields the evaluation reads: a document whose user.name is not "y"
 * decides the AND without event.action. */
static void test_order_not_last(void **state)
{
    (void)state;
    th_arena a;
    th_arena_init(&a, 1 << 16);
    th_diags d;
    th_diags_init(&d);
    const char *text = "FROM logs-aws.cloudtrail-* | WHERE event.action != \"z\" AND "
                       "user.name == \"y\" | LIMIT 10";
    th_esql *e = th_esql_parse(&a, text, strlen(text), NULL, &d);
    assert_non_null(e);
    th_query *q = th_query_compile_ir(&a, TH_QLANG_ESQL, th_esql_lower(&a, e), NULL, &d);
    assert_non_null(q);
    th_query_order(q);
    uint32_t action = th_query_field_id(th_str_c("event.action"));
    uint32_t user = th_query_field_id(th_str_c("user.name"));
    th_qfields *f = th_qfields_new();
    th_qfields_keep(f, action);
    th_qfields_keep(f, user);
    static const char *const docs[] = {
        "{\"event\":{\"action\":\"a\"},\"user\":{\"name\":\"n\"}}",
        "{\"event\":{\"action\":\"a\"},\"user\":{\"name\":\"y\"}}",
    };
    for (size_t i = 0; i < 2; i++) {
        th_json_error err;
        th_jval *doc = th_json_parse(&a, docs[i], strlen(docs[i]), &err);
        assert_non_null(doc);
        th_qfields_reset(f, doc);
        assert_int_equal(th_query_match_fields(q, f), i == 1);
        const th_jval *const *v;
        size_t n;
        assert_true(th_qfields_current(f, user, &v, &n));
        assert_int_equal(th_qfields_current(f, action, &v, &n), i == 1);
    }
    th_qfields_free(f);
    th_diags_free(&d);
    th_arena_free(&a);
}

/* The fields test_rest's projection holds exactly: all but event.outcome. */
static bool keep_rest(th_str f) { return !th_str_eqc(f, "event.outcome"); }

static const char *print_query(th_arena *a, const th_query *q)
{
    if (!q)
        return "none";
    th_buf b;
    th_buf_init(&b);
    th_ir_print(&b, th_query_ir(q));
    char *s = th_arena_strndup(a, b.data, b.len);
    th_buf_free(&b);
    return s;
}

static th_query *esql_where(th_arena *a, th_diags *d, const char *where)
{
    char text[512];
    snprintf(text, sizeof text, "FROM logs-aws.cloudtrail-* | WHERE %s | LIMIT 10", where);
    th_esql *e = th_esql_parse(a, text, strlen(text), NULL, d);
    assert_non_null(e);
    th_ir *ir = th_esql_lower(a, e);
    assert_non_null(ir);
    th_query *q = th_query_compile_ir(a, TH_QLANG_ESQL, ir, NULL, d);
    assert_non_null(q);
    return q;
}

/* th_query_necessary_rest: where the kept fields hold exactly the
 * document's values (here: the document itself), q is the necessary
 * condition AND the rest, on random documents of test_order's fields; the
 * rest is the conjuncts not held whole, and nothing where none is. */
static void test_rest(void **state)
{
    (void)state;
    static const char *const wheres[] = {
        /* the broad ES|QL rules' shapes: kept conjuncts, one on a field not
         * kept, NOT (dropped), OR of kept leaves */
        "event.action == \"x\" AND user.name IS NOT NULL AND event.outcome == \"x\"",
        "user.name IS NOT NULL AND aws.cloudtrail.user_identity.type IS NOT NULL",
        "(event.action == \"y\" AND user.name LIKE \"x*\") OR (event.action IN (\"x\", "
        "\"xy\") AND aws.cloudtrail.user_identity.type == \"x\")",
        "NOT user.name IN (\"x\", \"y\") AND event.action != \"x\" AND "
        "aws.cloudtrail.user_identity.type LIKE \"*y\"",
        "(user.name == \"x\" OR event.outcome == \"y\") AND event.action IS NOT NULL",
        "event.outcome IS NOT NULL AND NOT event.action == \"x\"",
        /* two WHEREs (the discovery rule's shape): the conjuncts of both,
         * though neither WHERE is held whole */
        "event.action == \"x\" AND event.outcome == \"x\" | WHERE user.name IS NOT NULL AND "
        "(event.action LIKE \"x*\" OR event.outcome == \"y\")",
    };
    /* the rest of each, printed (none: the condition alone; no rest at all:
     * nothing held whole) */
    static const char *const rests[] = {
        "(term \"event.outcome\" \"x\")",
        "none",
        "none",
        "(and (not (terms \"user.name\" \"x\" \"y\")) (not (term \"event.action\" \"x\")))",
        "(or (term \"user.name\" \"x\") (term \"event.outcome\" \"y\"))",
        NULL,
        "(and (term \"event.outcome\" \"x\") (or (wildcard \"event.action\" \"x*\") (term "
        "\"event.outcome\" \"y\")))",
    };
    th_arena a;
    th_arena_init(&a, 1 << 16);
    th_diags d;
    th_diags_init(&d);
    uint64_t seed = 777, checked = 0, same = 0, held = 0, shapes = 0, split_ok = 0;
    for (size_t i = 0; i < sizeof wheres / sizeof wheres[0]; i++) {
        th_query *q = esql_where(&a, &d, wheres[i]);
        th_query *n = th_query_necessary(&a, q, keep_rest), *rest = (th_query *)1;
        bool split = th_query_necessary_rest(&a, q, keep_rest, &rest);
        if (!rests[i]) {
            assert_false(split);
            assert_null(rest);
            continue;
        }
        assert_true(split);
        assert_non_null(n);
        split_ok++;
        const char *got = print_query(&a, rest);
        if (strcmp(got, rests[i]) != 0)
            print_message("WHERE %s: rest %s, want %s\n", wheres[i], got, rests[i]);
        shapes += strcmp(got, rests[i]) == 0;
        if (rest)
            th_query_order(rest);
        for (int it = 0; it < 400; it++) {
            char doc[512];
            th_json_error err;
            random_doc(&seed, doc, sizeof doc);
            th_jval *dv = th_json_parse(&a, doc, strlen(doc), &err);
            assert_non_null(dv);
            bool want = th_query_match(q, dv);
            bool by_parts = th_query_match(n, dv) && (!rest || th_query_match(rest, dv));
            checked++;
            held += want;
            same += want == by_parts;
            if (want != by_parts)
                print_message("WHERE %s, doc %s: %d, %d by the condition and the rest\n",
                              wheres[i], doc, want, by_parts);
        }
    }
    assert_true(held > checked / 20 && held < checked * 19 / 20); /* both outcomes exercised */
    assert_int_equal(same, checked);
    assert_int_equal(shapes, split_ok);
    th_diags_free(&d);
    th_arena_free(&a);
}

static bool const_outcome(th_str f) { return th_str_eqc(f, "event.outcome"); }

/* test_order's random document with event.outcome replaced by the member
 * text outcome (NULL: none), as every mapped raw record holds a constant. */
static void doc_with_outcome(uint64_t *seed, const char *outcome, char *doc, size_t cap)
{
    random_doc(seed, doc, cap);
    char *at = strstr(doc, "\"event.outcome\"");
    if (at) { /* the last member: cut it and its comma */
        if (at[-1] == ',')
            at--;
        *at = '\0';
    } else {
        doc[strlen(doc) - 1] = '\0'; /* the closing brace */
    }
    size_t used = strlen(doc);
    if (outcome)
        snprintf(doc + used, cap - used, "%s%s}", used > 1 ? "," : "", outcome);
    else
        snprintf(doc + used, cap - used, "}");
}

/* th_query_rest_fold: on documents whose event.outcome is a constant (each
 * of several, absent included), the query is true exactly where the fold
 * says so and its rest holds; every kind of answer is met (a conjunct
 * decided, all of them, one false, none decidable). */
static void test_rest_fold(void **state)
{
    (void)state;
    static const char *const wheres[] = {
        "event.outcome == \"x\" AND user.name IS NOT NULL",
        "event.outcome == \"x\"",
        "(user.name == \"x\" OR event.outcome == \"y\") AND event.action IS NOT NULL",
        "event.outcome IS NULL AND NOT event.action == \"x\"",
        "event.outcome != \"y\" AND event.action == \"x\" | WHERE event.outcome IN (\"x\", "
        "\"xy\") AND user.name LIKE \"x*\"",
        "NOT event.outcome IN (\"x\", \"\") AND aws.cloudtrail.user_identity.type != \"xy\"",
    };
    static const char *const outcomes[] = {"\"event.outcome\":\"x\"", "\"event.outcome\":\"y\"",
                                           "\"event.outcome\":null", "\"event.outcome\":[\"x\",4]",
                                           "\"event.outcome\":3", NULL};
    th_arena a;
    th_arena_init(&a, 1 << 16);
    th_diags d;
    th_diags_init(&d);
    uint64_t seed = 99, checked = 0, same = 0, held = 0;
    unsigned kinds[4] = {0}; /* never, nothing left, some decided, none decided */
    /* and three-valued leaves by hand (the lowering keeps the WHERE's
     * plain): NOT of a NULL is NULL, which keeps the AND from TRUE */
    th_ir *t3 = th_ir_leaf(&a, TH_IR_TERM, TH_STR_LIT("event.outcome"), TH_STR_LIT("x"),
                           TH_IRF_3VL);
    th_ir *u3 = th_ir_leaf(&a, TH_IR_EXISTS, TH_STR_LIT("user.name"), TH_STR_NULL, TH_IRF_3VL);
    th_ir *k3[2] = {th_ir_not(&a, t3), u3};
    th_ir *three[] = {th_ir_bool(&a, TH_IR_AND, k3, 2), th_ir_not(&a, t3)};
    size_t nw = sizeof wheres / sizeof wheres[0], n3 = sizeof three / sizeof three[0];
    for (size_t i = 0; i < nw + n3; i++) {
        th_query *q = i < nw ? esql_where(&a, &d, wheres[i])
                             : th_query_compile_ir(&a, TH_QLANG_ESQL, three[i - nw], NULL, &d);
        assert_non_null(q);
        for (size_t o = 0; o < sizeof outcomes / sizeof outcomes[0]; o++) {
            char cdoc[64];
            snprintf(cdoc, sizeof cdoc, "{%s}", outcomes[o] ? outcomes[o] : "");
            th_json_error err;
            th_jval *cv = th_json_parse(&a, cdoc, strlen(cdoc), &err);
            assert_non_null(cv);
            const th_query *rest = (const th_query *)1;
            bool may = th_query_rest_fold(&a, q, cv, const_outcome, &rest);
            kinds[!may ? 0 : !rest ? 1 : rest != q ? 2 : 3]++;
            for (int it = 0; it < 200; it++) {
                char doc[512];
                doc_with_outcome(&seed, outcomes[o], doc, sizeof doc);
                th_jval *dv = th_json_parse(&a, doc, strlen(doc), &err);
                assert_non_null(dv);
                bool want = th_query_match(q, dv);
                bool folded = may && (!rest || th_query_match(rest, dv));
                checked++;
                held += want;
                same += want == folded;
                if (want != folded)
                    print_message("WHERE %s, doc %s: %d, %d folded on %s\n",
                                  i < nw ? wheres[i] : print_query(&a, q), doc, want, folded, cdoc);
            }
        }
    }
    assert_true(held > checked / 20 && held < checked * 19 / 20); /* both outcomes exercised */
    assert_int_equal(same, checked);
    for (int k = 0; k < 4; k++)
        assert_true(kinds[k] > 0);
    th_diags_free(&d);
    th_arena_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shapes),
        cmocka_unit_test(test_implication),
        cmocka_unit_test(test_slots),
        cmocka_unit_test(test_order),
        cmocka_unit_test(test_order_not_last),
        cmocka_unit_test(test_rest),
        cmocka_unit_test(test_rest_fold),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
