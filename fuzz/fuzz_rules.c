/* libFuzzer target for the rule model and validator: any input either loads
 * (then validation, `rules show` and the JSON form run without crashing and
 * every diagnostic has a position) or is refused with a positioned error.
 *
 * Build with clang -g -O1 -fsanitize=fuzzer,address,undefined -Isrc, linking this
 * file with every .c file of src/rules, src/toml, src/json, src/base and
 * src/cli except main.c (-lpcre2-8 -lm); run as
 * `fuzz_rules -max_total_time=60 -dict=... SEED_DIR` (examples/rules makes a good seed). */
#include <stdint.h>
#include <stdlib.h>

#include "cli/rules_cli.h"
#include "rules/rule.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    th_ruleset rs;
    th_diags d;
    th_ruleset_init(&rs);
    th_diags_init(&d);
    th_rule *r = th_rule_from_text(&rs, (const char *)data, size, "fuzz.toml", &d);
    if (r) {
        th_rule_validate(r, &d);
        th_buf out;
        th_buf_init(&out);
        th_rules_cli_show_text(r, &out);
        th_jw w;
        th_jw_init(&w, &out);
        th_rules_cli_json(&w, r, true);
        th_buf_free(&out);
        unsigned line, col;
        if (r->query && !th_rule_query_pos(r, 0, &line, &col))
            abort();
    } else if (d.errors == 0) {
        abort();
    }
    for (size_t i = 0; i < d.len; i++)
        if (d.items[i].line == 0 || d.items[i].col == 0)
            abort();
    th_diags_free(&d);
    th_ruleset_free(&rs);
    return 0;
}
