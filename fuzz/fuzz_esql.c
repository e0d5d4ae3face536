/* libFuzzer target for the ES|QL parser and evaluator: any input must either
 * parse or give at least one positioned error; a parsed query must lower,
 * list its fields and run over a few fixed documents (missing and
 * multi-valued fields) without crashing, hanging or leaking, whole, in its
 * two halves (th_esql_run_prefix + th_esql_run_rest) and traced (explain);
 * and where the incremental STATS applies (th_esql_panes_*), every window
 * of panes must give the same table as th_esql_run_rest, cell for cell.
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
        docs[i] = (th_esql_doc){th_json_parse(&a, doc_texts[i], strlen(doc_texts[i]), &je), TH_STR_LIT("id"),
                                TH_STR_LIT("logs-aws.cloudtrail-default"), 1, NULL, NULL, NULL, NULL};
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
    }
    th_diags_free(&d);
    th_arena_free(&a);
    return 0;
}
