/* The evaluator's quicker ways (cnode.h th_cnode_finish): keyword sets
 * looked up by hash, EXISTS and case-kept equality leaves decided in
 * line on a string within ignore_above, and a wildcard set's patterns
 * refused by their length and last byte. Differential: random queries over
 * random documents give what the same queries give with those ways cleared
 * (th_cnode_plain), through every walk (the document, a document's fields
 * with fields put, walked or kept, slots with and without the memo). The
 * values mix case variants, strings about ignore_above (1024 UTF-16 units:
 * ASCII just inside and just beyond, multi-byte text of more bytes than
 * units on both sides), empty strings, numbers, nulls, arrays
 * (multi-values) and missing fields; the fields keyword, constant_keyword,
 * text (and a text multi-field of a keyword), ip and one the schema does not
 * know; the leaves equality, sets of 1 to 30 values, wildcards with and
 * without a `*`, ORs of wildcards on one field, EXISTS, each case-kept or
 * not, two- or three-valued, under AND, OR, NOT. */
#include "th_test.h"

#include "base/buf.h"
#include "query/cnode.h"
#include "query/ir.h"
#include "query/query.h"

static unsigned next(uint64_t *seed, unsigned n)
{
    *seed = *seed * 6364136223846793005ull + 1442695040888963407ull;
    return (unsigned)(*seed >> 33) % n;
}

/* the fields the leaves read (user.name.text reads user.name's values) */
static const char *const fields[] = {"user.name",  "event.action", "message",       "source.ip",
                                     "data_stream.dataset", "x", "user.name.text"};
#define NFIELDS (sizeof fields / sizeof fields[0])
/* the paths documents hold (a slot each) */
static const char *const paths[] = {"user.name", "event.action", "message", "source.ip",
                                    "data_stream.dataset", "x"};
#define NPATHS (sizeof paths / sizeof paths[0])

#define NWORDS 16
static char *words[NWORDS];

/* n copies of unit (a UTF-8 sequence), arena-allocated */
static char *repeat(th_arena *a, const char *unit, size_t n)
{
    size_t u = strlen(unit);
    char *s = th_arena_alloc(a, u * n + 1);
    for (size_t i = 0; i < n; i++)
        memcpy(s + i * u, unit, u);
    s[u * n] = 0;
    return s;
}

static void make_words(th_arena *a)
{
    static const char *const small[] = {"GetObject", "getobject", "GETOBJECT", "ListBuckets",
                                        "listBuckets", "",        "a",         "A",
                                        "10.0.0.1", "3",          "Get"};
    size_t n = 0;
    for (; n < sizeof small / sizeof small[0]; n++)
        words[n] = (char *)small[n];
    words[n++] = repeat(a, "a", 1024);   /* as many units as ignore_above: indexed */
    words[n++] = repeat(a, "a", 1025);   /* one beyond */
    words[n++] = repeat(a, "A", 1025);   /* its case variant */
    words[n++] = repeat(a, "\xc3\xa9", 700);  /* 1400 bytes, 700 units: indexed */
    words[n++] = repeat(a, "\xc3\xa9", 1030); /* 1030 units: beyond */
    assert_int_equal(n, NWORDS);
}

static th_str word(uint64_t *seed) { return th_str_c(words[next(seed, NWORDS)]); }

/* ---- random queries ----------------------------------------------------- */

static th_ir *random_leaf(uint64_t *seed, th_arena *a)
{
    th_str f = th_str_c(fields[next(seed, NFIELDS)]);
    unsigned flags = (next(seed, 3) == 0 ? TH_IRF_NOCASE : 0) | (next(seed, 3) == 0 ? TH_IRF_3VL : 0);
    switch (next(seed, 9)) {
    case 0:
    case 1:
        return th_ir_leaf(a, TH_IR_EXISTS, f, TH_STR_NULL, flags);
    case 2:
    case 3:
        return th_ir_leaf(a, TH_IR_TERM, f, word(seed), flags);
    case 4: {
        static const char *const pats[] = {"Get*", "*", "GetObject", "*object", "a*", "?"};
        return th_ir_leaf(a, TH_IR_WILDCARD, f, th_str_c(pats[next(seed, 6)]), flags);
    }
    case 8: { /* an OR of wildcards on one field, compiled to one set (KW_WILDSET): patterns
               * that end in a literal (the words end in t, T, s, 1, a, é's last byte ...)
               * and some that do not */
        static const char *const pats[] = {"*object",   "*Buckets", "*ets", "*T", "*t",
                                           "G*t",       "*a",       "*1",   "?",  "*Obj*ct",
                                           "*\xc3\xa9", "*A",       "Get*", "*e*"};
        flags &= ~(unsigned)TH_IRF_3VL; /* 3VL leaves are not grouped */
        th_ir *kids[4];
        size_t k = 2 + next(seed, 3);
        for (size_t i = 0; i < k; i++)
            kids[i] = th_ir_leaf(a, TH_IR_WILDCARD, f, th_str_c(pats[next(seed, 14)]), flags);
        return th_ir_bool(a, TH_IR_OR, kids, k);
    }
    default: { /* a set: small (compared one by one) or large (hashed) */
        th_ir *n = th_ir_leaf(a, TH_IR_TERMS, f, TH_STR_NULL, flags);
        size_t k = next(seed, 2) ? 1 + next(seed, 7) : 8 + next(seed, 23);
        n->values = TH_ANEWN(a, th_str, k);
        n->nvalues = k;
        for (size_t i = 0; i < k; i++) /* filler values that no document holds, and words */
            n->values[i] = next(seed, 3) ? th_str_c(th_arena_printf(a, "Filler%zu", i)) : word(seed);
        return n;
    }
    }
}

static th_ir *random_query(uint64_t *seed, th_arena *a, int depth)
{
    unsigned k = next(seed, depth < 3 ? 6 : 1);
    if (k == 0 || k == 1 || k == 2)
        return random_leaf(seed, a);
    if (k == 3)
        return th_ir_not(a, random_query(seed, a, depth + 1));
    th_ir *kids[3];
    size_t n = 2 + next(seed, 2);
    for (size_t i = 0; i < n; i++)
        kids[i] = next(seed, 2) ? random_leaf(seed, a) : random_query(seed, a, depth + 1);
    return th_ir_bool(a, k == 4 ? TH_IR_AND : TH_IR_OR, kids, n);
}

/* ---- random documents --------------------------------------------------- */

static void put_word(th_buf *b, uint64_t *seed)
{
    unsigned k = next(seed, 12);
    if (k == 0)
        th_buf_puts(b, "null");
    else if (k == 1)
        th_buf_puts(b, "3");
    else
        th_buf_printf(b, "\"%s\"", words[next(seed, NWORDS)]);
}

static void put_value(th_buf *b, uint64_t *seed)
{
    if (next(seed, 4)) {
        put_word(b, seed);
        return;
    }
    th_buf_puts(b, "["); /* multi-valued */
    unsigned n = next(seed, 4);
    for (unsigned i = 0; i < n; i++) {
        if (i)
            th_buf_puts(b, ",");
        put_word(b, seed);
    }
    th_buf_puts(b, "]");
}

static th_jval *random_doc(uint64_t *seed, th_arena *a, th_buf *b)
{
    th_buf_clear(b);
    th_buf_puts(b, "{");
    bool first = true;
    for (size_t p = 0; p < NPATHS; p++) {
        if (next(seed, 4) == 0)
            continue; /* missing */
        th_buf_puts(b, first ? "" : ",");
        first = false;
        if (p == 0 && next(seed, 2)) { /* user.name nested, not dotted */
            th_buf_puts(b, "\"user\":{\"name\":");
            put_value(b, seed);
            th_buf_puts(b, "}");
            continue;
        }
        th_buf_printf(b, "\"%s\":", paths[p]);
        put_value(b, seed);
    }
    th_buf_puts(b, "}");
    th_json_error err;
    th_jval *doc = th_json_parse(a, b->data, b->len, &err);
    assert_non_null(doc);
    return doc;
}

/* ---- slots ---------------------------------------------------------------- */

static int slot_of(th_str path, th_str *rest)
{
    *rest = TH_STR_NULL;
    for (size_t i = 0; i < NPATHS; i++)
        if (th_str_eqc(path, paths[i]))
            return (int)i;
    return -1;
}

/* a path's values: copies (a slot's) and where they are (put fields) */
typedef struct slotfill {
    th_jval vals[64];
    const th_jval *ptr[64];
    uint32_t n;
} slotfill;

static bool fill(const th_jval *v, void *ctx)
{
    slotfill *s = ctx;
    if (s->n < 64) {
        s->ptr[s->n] = v;
        s->vals[s->n++] = *v;
    }
    return true;
}

/* how many leaves of c the quicker ways serve */
static void count_quick(const cnode *c, size_t *hashed, size_t *quick, size_t *wsets)
{
    for (size_t i = 0; i < c->nkids; i++)
        count_quick(c->kids[i], hashed, quick, wsets);
    *hashed += c->hset != NULL;
    *quick += c->quick != Q_NONE;
    *wsets += c->wquick;
}

/* Whether every AND of c (and of its ANDs) holds its leaves on the slots of
 * mask after its other kids: *moved counts the ANDs whose order that changed
 * against the same query bound without th_query_last_of (o). */
static bool last_in_order(const cnode *c, const cnode *o, uint64_t mask, size_t *moved)
{
    if (c->test != CT_AND)
        return true;
    assert_int_equal(c->nkids, o->nkids);
    bool tail = false, same = true;
    for (size_t i = 0; i < c->nkids; i++) {
        const cnode *k = c->kids[i];
        uint64_t m = 0;
        bool only = k->slot_leaf && th_cnode_slots_read(k, &m) && !(m & ~mask);
        if (tail && !only)
            return false;
        tail |= only;
        same &= k->test == o->kids[i]->test && k->slot == o->kids[i]->slot;
        if (!last_in_order(k, o->kids[i], mask, moved))
            return false;
    }
    *moved += !same;
    return true;
}

static void test_same_as_plain(void **state)
{
    (void)state;
    th_arena qa, a;
    th_arena_init(&qa, 1 << 20);
    th_arena_init(&a, 1 << 16);
    make_words(&qa);
    const th_field_def *un = th_schema_lookup(th_str_c("user.name"));
    assert_non_null(un); /* the long words sit about its ignore_above */
    assert_int_equal(un->ignore_above, 1024);
    th_diags d;
    th_diags_init(&d);
    th_qfields *ff = th_qfields_new(), *fp = th_qfields_new();
    /* and through fields kept: every read walks once and keeps all values */
    th_qfields *kf = th_qfields_new(), *kp = th_qfields_new();
    for (size_t s = 0; s < NPATHS; s++) {
        th_qfields_keep(kf, th_query_field_id(th_str_c(paths[s])));
        th_qfields_keep(kp, th_query_field_id(th_str_c(paths[s])));
    }
    th_qmemo *mf = th_qmemo_new(), *mp = th_qmemo_new();
    th_buf b;
    th_buf_init(&b);
    uint64_t seed = 20261206, checked = 0, held = 0, inline_true = 0, inline_false = 0,
             inline_and = 0;
    size_t hashed = 0, quick = 0, wsets = 0, moved = 0;
    for (int qi = 0; qi < 600; qi++) {
        th_ir *ir = random_query(&seed, &qa, 0);
        th_query *q = th_query_compile_ir(&qa, TH_QLANG_ESQL, ir, NULL, &d);
        th_query *p = th_query_compile_ir(&qa, TH_QLANG_ESQL, ir, NULL, &d);
        assert_non_null(q);
        assert_non_null(p);
        th_cnode_plain(p->root);
        count_quick(q->root, &hashed, &quick, &wsets);
        bool bound = th_query_bind_slots(q, slot_of);
        assert_int_equal(th_query_bind_slots(p, slot_of), bound);
        /* and the leaves on some slots put last (a gate's on the routed ones) */
        th_query *l = th_query_compile_ir(&qa, TH_QLANG_ESQL, ir, NULL, &d);
        assert_non_null(l);
        const uint64_t last = 1 + next(&seed, (1u << NPATHS) - 1);
        assert_int_equal(th_query_bind_slots(l, slot_of), bound);
        if (bound) {
            th_query_last_of(l, last);
            assert_true(last_in_order(l->root, q->root, last, &moved));
        }
        for (int it = 0; it < 60; it++) {
            th_jval *doc = random_doc(&seed, &a, &b);
            bool want = th_query_match(p, doc);
            if (th_query_match(q, doc) != want) {
                th_buf ib;
                th_buf_init(&ib);
                th_ir_print(&ib, ir);
                print_message("query %.*s\ndoc %.200s\n", (int)ib.len, ib.data, b.data);
                th_buf_free(&ib);
            }
            assert_int_equal(th_query_match(q, doc), want);
            /* a document's fields, walked (odd) or put as a slot document's */
            th_qfields_reset(ff, doc);
            th_qfields_reset(fp, doc);
            static slotfill sl[NPATHS];
            th_qslot slots[NPATHS];
            uint32_t id[NPATHS];
            const th_jval *val[NPATHS];
            size_t nknown = 0;
            for (size_t s = 0; s < NPATHS; s++) {
                sl[s].n = 0;
                th_json_path_each(doc, th_str_c(paths[s]), fill, &sl[s]);
                slots[s] = (th_qslot){sl[s].vals, sl[s].n};
                if (it % 2 == 0 && sl[s].n <= 1) { /* as a slot document puts its fields */
                    id[nknown] = th_query_field_id(th_str_c(paths[s]));
                    val[nknown++] = sl[s].n ? sl[s].ptr[0] : NULL;
                }
            }
            th_qknown known;
            static uint8_t at[4096];
            assert_true(th_qknown_of(&known, at, sizeof at, id, val, nknown));
            th_qfields_put(ff, &known);
            th_qfields_put(fp, &known);
            bool fw = th_query_match_fields(p, fp);
            assert_int_equal(th_query_match_fields(q, ff), fw);
            /* a query of one quick leaf, or an AND whose first operand is
             * one, decided in line where the leaf's field is known */
            th_qquick qk;
            assert_false(th_query_quick(p, &qk));
            if (th_query_quick(q, &qk)) {
                int m = th_qquick_match(&qk, ff);
                if (m >= 0) {
                    assert_int_equal(m, fw);
                    inline_true += m == 1;
                    inline_false += m == 0 && qk.whole;
                    inline_and += m == 0 && !qk.whole;
                }
            }
            assert_int_equal(fw, want); /* the fields' walk agrees with the document's */
            th_qfields_reset(kf, doc);
            th_qfields_reset(kp, doc);
            bool kw = th_query_match_fields(p, kp);
            assert_int_equal(th_query_match_fields(q, kf), kw);
            assert_int_equal(kw, want);
            if (bound) {
                bool sw = th_query_match_slots(p, slots, NULL);
                assert_int_equal(th_query_match_slots(q, slots, NULL), sw);
                assert_int_equal(th_query_match_slots(q, slots, mf), th_query_match_slots(p, slots, mp));
                assert_int_equal(th_query_match_slots(l, slots, NULL), sw);
            }
            checked++;
            held += want;
            th_arena_reset(&a);
        }
    }
    print_message("%llu evaluations, %llu true; %zu hashed sets, %zu quick leaves, "
                  "%zu wildcard sets\n",
                  (unsigned long long)checked, (unsigned long long)held, hashed, quick, wsets);
    /* the quicker ways were taken, and the results are not all one value */
    assert_true(hashed > 60 && quick > 250 && wsets > 60);
    print_message("%zu ANDs reordered by th_query_last_of\n", moved);
    assert_true(moved > 20);
    assert_true(held > checked / 20 && held < checked * 19 / 20);
    print_message("decided in line: one quick leaf %llu true, %llu not; an AND by its first "
                  "%llu\n",
                  (unsigned long long)inline_true, (unsigned long long)inline_false,
                  (unsigned long long)inline_and);
    assert_true(inline_true > 500 && inline_false > 500 && inline_and > 100);
    th_buf_free(&b);
    th_qmemo_free(mf);
    th_qmemo_free(mp);
    th_qfields_free(ff);
    th_qfields_free(fp);
    th_qfields_free(kf);
    th_qfields_free(kp);
    th_diags_free(&d);
    th_arena_free(&a);
    th_arena_free(&qa);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_as_plain),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
