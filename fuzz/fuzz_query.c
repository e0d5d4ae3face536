/* libFuzzer target for the query front ends (KQL and EQL, picked by the first
 * byte) and the compiler/evaluator: any input must either compile or give at
 * least one positioned error, and a compiled query must evaluate a fixed
 * document without crashing, hanging or leaking.
 *
 * Build with clang -g -O1 -fsanitize=fuzzer,address,undefined -Isrc, linking this
 * file with every .c file of src/query, src/ecs/schema*.c, src/json and src/base
 * (and -lpcre2-8 -lm); run as `fuzz_query -max_total_time=60 CORPUS_DIR` (the
 * AWS rules' query texts, one per file, make a good seed). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json/json.h"
#include "query/query.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    static const char doc_text[] =
        "{\"event\":{\"action\":\"CreateUser\",\"provider\":\"iam.amazonaws.com\",\"type\":[\"info\"]},"
        "\"aws\":{\"cloudtrail\":{\"request_parameters\":\"{userName=x}\",\"flattened\":"
        "{\"request_parameters\":{\"fromPort\":22,\"a.b\":[true,null,{\"c\":\"d\"}]}}}},"
        "\"source\":{\"ip\":\"10.0.0.1\",\"as\":{\"number\":16509}},\"@timestamp\":\"2026-01-01T00:00:00Z\","
        "\"message\":\"Hello world\",\"event.outcome\":\"success\"}";
    th_arena a;
    th_arena_init(&a, 0);
    th_diags d;
    th_diags_init(&d);
    th_json_error err;
    th_jval *doc = th_json_parse(&a, doc_text, sizeof doc_text - 1, &err);
    const char *text = (const char *)data + 1;
    size_t len = size - 1;
    th_qsource src = {"fuzz", 1, 1};
    th_query *q = (data[0] & 1) ? th_query_compile_eql(&a, text, len, (data[0] & 2) ? "event.type" : NULL, &src, &d)
                                : th_query_compile(&a, TH_QLANG_KQL, text, len, &src, &d);
    if (q) {
        (void)th_query_match(q, doc);
        th_str vals[8];
        (void)th_query_required_values(q, "event.action", vals, 8);
        (void)th_query_fields(q, vals, 8);
    } else if (d.errors == 0 || d.items[0].line == 0 || d.items[0].col == 0) {
        abort();
    }
    th_diags_free(&d);
    th_arena_free(&a);
    return 0;
}
