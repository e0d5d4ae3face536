/* libFuzzer target for the TOML reader: any input must either parse or give
 * exactly one positioned diagnostic, never crash, hang or leak.
 *
 * Build with clang -g -O1 -fsanitize=fuzzer,address,undefined -Isrc, linking this
 * file with every .c file of src/toml, src/json and src/base (and -lm); run as
 * `fuzz_toml -max_total_time=60 CORPUS_DIR` (toml-test's .toml files make a good seed). */
#include <stdint.h>
#include <stdlib.h>

#include "base/buf.h"
#include "toml/toml.h"
#include "json/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    th_arena a;
    th_arena_init(&a, 0);
    th_diags d;
    th_diags_init(&d);
    th_toml *t = th_toml_parse(&a, (const char *)data, size, "fuzz.toml", &d);
    if (t) {
        if (d.len != 0)
            abort();
        th_buf out;
        th_buf_init(&out);
        th_json_write(&out, th_toml_to_json(&a, t));
        th_buf_free(&out);
    } else if (d.len != 1 || d.items[0].line == 0 || d.items[0].col == 0) {
        abort();
    }
    th_diags_free(&d);
    th_arena_free(&a);
    return 0;
}
