/* libFuzzer target for rule tests as data (ruletest/parse.c, `*.test.toml`):
 * any input either loads or is refused with at least one diagnostic; never a
 * crash, hang or leak.
 *
 *   make fuzz            (all targets; FUZZ_SECONDS each)
 *   build/fuzz/fuzz_ruletest -max_len=4096 CORPUS_DIR (tests/ruletest's files make a good seed) */
#include <stdint.h>
#include <stdlib.h>

#include "ruletest/ruletest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    th_arena a;
    th_arena_init(&a, 0);
    th_diags d;
    th_diags_init(&d);
    th_rtest_file *f = th_rtest_parse(&a, (const char *)data, size, "fuzz.test.toml", &d);
    if (!f && d.errors == 0)
        abort(); /* refused without saying why */
    th_diags_free(&d);
    th_arena_free(&a);
    return 0;
}
