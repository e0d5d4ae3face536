/* libFuzzer target for the ES|QL parser and evaluator: any input must either
 * parse or give at least one positioned error; a parsed query must lower,
 * list its fields and run over a few fixed documents (missing and
 * multi-valued fields) without crashing, hanging or leaking, whole, in its
 * two halves (th_esql_run_prefix + th_esql_run_rest) and traced (explain);
 * and where the incremental STATS applies (th_esql_panes_*), every window
 * of panes must give the same table as th_esql_run_rest, cell for cell.
 * Over the documents the query's lowered condition selects, the prefix run
 * with the routing's plain fields (th_esql_run_prefix_routed) must give
 * th_esql_run_prefix's rows, cells, warnings and arena bytes, and, for a
 * query the engine runs that way (captured fields), the same result; and,
 * read as captured matches are (every key of a field at once, cells shared
 * by key), its prefix (th_esql_run_prefix_kept: memos by cell ids; its
 * columns loaded by the keys, and by the column of their ids) and its panes
 * with those ids must give the trees' tables and warnings.
 * The first byte picks NOW() and the LIMIT; the rest is the query text.
 *
 * Built by `make fuzz` (fuzz/run.sh); seeds in fuzz/seeds/fuzz_esql are the
 * AWS ES|QL rules' and hunting queries' texts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "json/json.h"
#include "query/esql.h"
#include "query/ir.h"
#include "query/query.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const doc_texts[] = {
    "{\"@timestamp\":\"2026-01-01T00:00:00Z\",\"event\":{\"action\":\"CreateUser\",\"provider\":"
    "\"iam.amazonaws.com\",\"outcome\":\"success\",\"duration\":12},\"user\":{\"name\":\"alice\"},"
    "\"source\":{\"ip\":\"10.0.0.1\",\"as\":{\"number\":16509,\"organization\":{\"name\":\"Amazon.com, Inc.\"}}},"
    "\"aws\":{\"cloudtrail\":{\"request_parameters\":\"{userName=bob, policyArn=arn:aws:iam::aws:policy/X}\"}}}",
    "{\"@timestamp\":\"2026-01-01T00:05:00Z\",\"event\":{\"action\":[\"ListUsers\",\"GetUser\"],"
    "\"duration\":9223372036854775807},\"user\":{\"name\":[\"bob\",\"alice\"]},\"source\":{\"ip\":\"2001:db8::1\"}}",
    "{\"@timestamp\":\"2026-01-01T00:07:30Z\",\"event\":{\"action\":\"CreateUser\",\"duration\":-3},"
    "\"user_agent\":{\"original\":\"aws-cli/2.15.0 Python/3.11\"},\"message\":\"Hello world\"}",
    "{\"event\":{\"action\":\"GetObject\"},\"user\":{\"name\":\"carol\"}}",
};
enum { NDOCS = sizeof doc_texts / sizeof doc_texts[0] };

static const char *cell_text(th_arena *a, const th_esql_result *r, size_t row, size_t col)
{
    th_jval *v = th_esql_cell(a, r, row, col);
    if (!v)
        return "null";
    th_buf b;
    th_buf_init(&b);
    th_json_write(&b, v);
    const char *s = th_arena_strndup(a, b.data ? b.data : "", b.len);
    th_buf_free(&b);
    return s;
}

static void same(th_arena *a, const th_esql_result *x, const th_esql_result *y)
{
    if (th_esql_ncols(x) != th_esql_ncols(y) || th_esql_nrows(x) != th_esql_nrows(y))
        abort();
    for (size_t c = 0; c < th_esql_ncols(x); c++) {
        if (!th_str_eq(th_esql_colname(x, c), th_esql_colname(y, c)))
            abort();
        for (size_t r = 0; r < th_esql_nrows(x); r++)
            if (strcmp(cell_text(a, x, r, c), cell_text(a, y, r, c)) != 0)
                abort();
    }
}

/* th_esql_plain_fn over the documents selected (ctx): path holds no value
 * or one JSON string */
typedef struct plainctx {
    const th_esql_doc *docs;
    size_t n;
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
            count_visit(v->u.items[i], ctx);
        return true;
    }
    c->n++;
    c->str = v->type == TH_JSTR;
    return true;
}

static bool fuzz_plain(const void *ctx, th_str path, uint8_t *out)
{
    const plainctx *p = ctx;
    for (size_t i = 0; i < p->n; i++) {
        vcount c = {0, false};
        th_json_path_each(p->docs[i].doc, path, count_visit, &c);
        out[i] = c.n == 0 || (c.n == 1 && c.str);
    }
    return true;
}

/* the prefix's rows, cells (by column name: the columns may load in
 * another order), row documents and warnings */
static void same_prefix(th_arena *a, const th_esql_result *x, const th_esql_result *y)
{
    if (th_esql_ncols(x) != th_esql_ncols(y) || th_esql_nrows(x) != th_esql_nrows(y) ||
        th_esql_warnings(x) != th_esql_warnings(y))
        abort();
    for (size_t r = 0; r < th_esql_nrows(x); r++)
        if (th_esql_row_doc(x, r) != th_esql_row_doc(y, r))
            abort();
    for (size_t c = 0; c < th_esql_ncols(x); c++) {
        size_t cy = 0;
        while (cy < th_esql_ncols(y) && !th_str_eq(th_esql_colname(x, c), th_esql_colname(y, cy)))
            cy++;
        if (cy == th_esql_ncols(y))
            abort();
        for (size_t r = 0; r < th_esql_nrows(x); r++)
            if (strcmp(cell_text(a, x, r, c), cell_text(a, y, r, cy)) != 0)
                abort();
    }
}

/* th_esql_run_prefix_routed against th_esql_run_prefix over the documents
 * q's lowered condition selects (see the top) */
static void routed(th_arena *a, const th_esql *q, const th_esql_doc *docs, int64_t now,
                   size_t limit)
{
    th_ir *ir = th_esql_lower(a, q);
    th_diags d;
    th_diags_init(&d);
    th_query *pq = ir ? th_query_compile_ir(a, TH_QLANG_ESQL, ir, NULL, &d) : NULL;
    th_diags_free(&d);
    if (ir && !pq)
        return;
    th_esql_doc sel[NDOCS];
    size_t n = 0;
    for (size_t i = 0; i < NDOCS; i++)
        if (!pq || th_query_match(pq, docs[i].doc))
            sel[n++] = docs[i];
    if (n == 0)
        return;
    plainctx pc = {sel, n};
    th_arena ar, af;
    th_arena_init(&ar, 0);
    th_arena_init(&af, 0);
    const char *e1 = NULL, *e2 = NULL;
    th_esql_result *pr = th_esql_run_prefix(&ar, q, sel, n, &e1);
    th_esql_result *pf = th_esql_run_prefix_routed(&af, q, sel, n, fuzz_plain, &pc, &e2);
    if (!pr != !pf || (pr && ar.used_total != af.used_total))
        abort();
    th_str f[64];
    if (pr) {
        same_prefix(a, pr, pf);
        if (th_esql_capture_fields(q, f, 64) != SIZE_MAX) {
            th_esql_result *rr = th_esql_run_rest(a, q, pr, sel, n, 0, n, now, limit, &e1);
            th_esql_result *rf = th_esql_run_rest(a, q, pf, sel, n, 0, n, now, limit, &e2);
            if (!rr != !rf)
                abort();
            if (rr) {
                same(a, rr, rf);
                if (th_esql_warnings(rr) != th_esql_warnings(rf))
                    abort();
            }
        }
    }
    th_arena_free(&ar);
    th_arena_free(&af);
}

/* documents read as captured matches are: each field through each over
 * the tree, every document's key of a field at once, one key per distinct
 * list of values (their JSON texts), which holds its id (the first
 * document with those values) */
typedef struct keyedctx {
    th_arena *a;
    const th_esql_doc *tree;
    size_t idx[NDOCS];
} keyedctx;

static bool keyed_each(const void *src, const void *ctx, th_str path, th_json_visit_fn visit, void *vctx)
{
    const keyedctx *k = ctx;
    return visit && th_json_path_each(k->tree[*(const size_t *)src].doc, path, visit, vctx);
}

static bool keyed_text(const th_jval *v, void *ctx)
{
    th_json_write(ctx, v);
    th_buf_puts(ctx, "\n");
    return true;
}

typedef struct keytext {
    char *t;
    uint32_t id;
} keytext;

static const void *keyed_key(const void *src, const void *ctx, th_str path)
{
    if (src)
        return NULL;
    const keyedctx *k = ctx;
    keytext *text = TH_ANEWN(k->a, keytext, NDOCS);
    const void **keys = TH_ANEWN(k->a, const void *, NDOCS);
    for (size_t i = 0; i < NDOCS; i++) {
        th_buf b;
        th_buf_init(&b);
        th_json_path_each(k->tree[i].doc, path, keyed_text, &b);
        text[i].t = th_arena_strndup(k->a, b.data ? b.data : "", b.len);
        th_buf_free(&b);
        size_t j = 0;
        while (strcmp(text[j].t, text[i].t) != 0)
            j++;
        text[j].id = (uint32_t)j;
        keys[i] = &text[j];
    }
    return keys;
}

/* th_esql_key_ids_fn over keyed_key's keys, with the column of their ids */
static bool keyed_ids(const void *ctx, th_str path, size_t *at, uint32_t *bound,
                      const uint32_t **col, const void *const **by_id)
{
    const keyedctx *k = ctx;
    *at = offsetof(keytext, id);
    *bound = NDOCS;
    const keytext *const *keys = keyed_key(NULL, ctx, path);
    uint32_t *ids = TH_ANEWN(k->a, uint32_t, NDOCS);
    const void **byid = TH_ANEWN(k->a, const void *, NDOCS);
    for (size_t i = 0; i < NDOCS; i++) {
        ids[i] = keys[i]->id;
        byid[ids[i]] = keys[i];
    }
    *col = ids;
    *by_id = byid;
    return true;
}

/* a captured query over keyed documents against the trees (see the top),
 * the prefix's columns loaded by their keys, or (by) by their ids */
static void keyed(th_arena *a, const th_esql *q, const th_esql_doc *docs, int64_t now, size_t limit,
                  th_esql_key_ids_fn by)
{
    th_str f[64];
    if (th_esql_capture_fields(q, f, 64) == SIZE_MAX)
        return;
    keyedctx k = {a, docs, {0}};
    th_esql_doc kd[NDOCS];
    for (size_t i = 0; i < NDOCS; i++) {
        k.idx[i] = i;
        kd[i] = (th_esql_doc){.id = docs[i].id,
                              .index = docs[i].index,
                              .version = docs[i].version,
                              .each = keyed_each,
                              .src = &k.idx[i],
                              .ctx = &k,
                              .key = keyed_key};
    }
    const char *e1 = NULL, *e2 = NULL;
    th_esql_ids *ids = NULL;
    th_esql_result *pr = th_esql_run_prefix(a, q, docs, NDOCS, &e1);
    th_esql_result *pk = th_esql_run_prefix_kept(a, q, kd, NDOCS, NULL, NULL, by, &k, &ids, &e2);
    if (!pr != !pk)
        abort();
    if (pr) {
        same_prefix(a, pr, pk);
        static const size_t cuts[] = {0, 1, 2, NDOCS};
        th_esql_panes *p = th_esql_panes_new(a, q, pk, kd, NDOCS, cuts, 4);
        th_esql_panes_use_ids(p, ids);
        for (size_t i = 0; i < 4; i++)
            for (size_t j = i + 1; j < 4; j++) {
                const char *e3 = NULL, *e4 = NULL, *e5 = NULL;
                th_esql_result *rest = th_esql_run_rest(a, q, pr, docs, NDOCS, cuts[i], cuts[j], now, limit, &e3);
                th_esql_result *krest = th_esql_run_rest(a, q, pk, kd, NDOCS, cuts[i], cuts[j], now, limit, &e4);
                if (!rest != !krest)
                    abort();
                if (rest) {
                    same(a, krest, rest);
                    if (th_esql_warnings(krest) != th_esql_warnings(rest))
                        abort();
                }
                if (!p)
                    continue;
                th_esql_result *inc = th_esql_panes_run(a, p, cuts[i], cuts[j], now, limit, &e5);
                if (!rest != !inc)
                    abort();
                if (rest)
                    same(a, inc, rest);
            }
        th_esql_panes_free(p);
    }
    th_esql_ids_free(ids);
}

/* The same panes folded (th_esql_panes_folded): each pane's head run
 * over its documents alone, in an arena freed after the fold, the panes in
 * reverse order; every window the fold answers (th_esql_panes_whole) must
 * give th_esql_run_rest's table. */
static void fold(th_arena *a, const th_esql *q, const th_esql_result *pre, const th_esql_doc *docs,
                 const size_t *cuts, int64_t now, size_t limit)
{
    th_arena pa;
    th_arena_init(&pa, 1 << 12);
    th_esql_panes *p = th_esql_panes_folded(&pa, q, cuts, 4);
    bool ok = p != NULL;
    for (size_t k = 3; ok && k-- > 0;) {
        th_arena ca;
        th_arena_init(&ca, 1 << 12);
        const char *err = NULL;
        size_t n = cuts[k + 1] - cuts[k];
        th_esql_result *cp = th_esql_run_prefix(&ca, q, docs + cuts[k], n, &err);
        ok = cp && th_esql_panes_fold(p, cp, docs + cuts[k], n, NULL, k, k + 1);
        th_arena_free(&ca);
    }
    for (size_t i = 0; ok && i < 4; i++)
        for (size_t j = i + 1; j < 4; j++) {
            if (!th_esql_panes_whole(p, cuts[i], cuts[j], now))
                continue;
            const char *e1 = NULL, *e2 = NULL;
            th_esql_result *rest =
                th_esql_run_rest(a, q, pre, docs, NDOCS, cuts[i], cuts[j], now, limit, &e1);
            th_esql_result *inc = th_esql_panes_run(a, p, cuts[i], cuts[j], now, limit, &e2);
            if (!rest != !inc)
                abort();
            if (rest)
                same(a, inc, rest);
        }
    th_esql_panes_free(p);
    th_arena_free(&pa);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    th_arena a;
    th_arena_init(&a, 0);
    th_diags d;
    th_diags_init(&d);
    th_qsource src = {"fuzz", 1, 1};
    th_esql *q = th_esql_parse(&a, (const char *)data + 1, size - 1, &src, &d);
    if (!q) {
        if (d.errors == 0 || d.items[0].line == 0 || d.items[0].col == 0)
            abort();
        th_diags_free(&d);
        th_arena_free(&a);
        return 0;
    }
    th_esql_doc docs[NDOCS];
    for (size_t i = 0; i < NDOCS; i++) {
        th_json_error je;
        docs[i] = (th_esql_doc){.doc = th_json_parse(&a, doc_texts[i], strlen(doc_texts[i]), &je),
                                .id = TH_STR_LIT("id"),
                                .index = TH_STR_LIT("logs-aws.cloudtrail-default"),
                                .version = 1};
        if (!docs[i].doc)
            abort();
    }
    (void)th_esql_lower(&a, q);
    th_str f[64];
    bool pat;
    (void)th_esql_fields(q, f, 64, &pat);
    (void)th_esql_capture_fields(q, f, 64);
    int64_t now = 1767225600000 + (int64_t)(data[0] & 0x0f) * 60000; /* 2026-01-01 + 0..15 min */
    size_t limit = data[0] & 0x10 ? 2 : 0;
    const char *err = NULL;
    th_esql_result *whole = th_esql_run(&a, q, docs, NDOCS, now, limit, &err);
    if (whole)
        for (size_t c = 0; c < th_esql_ncols(whole); c++) {
            (void)th_esql_coltype(whole, c);
            for (size_t r = 0; r < th_esql_nrows(whole); r++)
                (void)cell_text(&a, whole, r, c);
        }
    (void)th_esql_run_traced(&a, q, docs, NDOCS, now, limit, data[0] % NDOCS, &err);
    th_esql_result *pre = th_esql_run_prefix(&a, q, docs, NDOCS, &err);
    if (pre) {
        static const size_t cuts[] = {0, 1, 2, NDOCS};
        th_esql_panes *p = th_esql_panes_new(&a, q, pre, docs, NDOCS, cuts, 4);
        for (size_t i = 0; i < 4; i++)
            for (size_t j = i + 1; j < 4; j++) {
                const char *e1 = NULL, *e2 = NULL;
                th_esql_result *rest = th_esql_run_rest(&a, q, pre, docs, NDOCS, cuts[i], cuts[j], now, limit, &e1);
                if (!p)
                    continue;
                th_esql_result *inc = th_esql_panes_run(&a, p, cuts[i], cuts[j], now, limit, &e2);
                if (!rest != !inc)
                    abort();
                if (rest)
                    same(&a, inc, rest);
            }
        th_esql_panes_free(p);
        fold(&a, q, pre, docs, cuts, now, limit);
    }
    routed(&a, q, docs, now, limit);
    keyed(&a, q, docs, now, limit, NULL);
    keyed(&a, q, docs, now, limit, keyed_ids);
    th_diags_free(&d);
    th_arena_free(&a);
    return 0;
}
