/* Shared by the `trailhound rules` sub-verbs (cmd_rules.c, rules_show.c, and
 * the lint sub-verb when it comes): the common argument checks, loading paths
 * the same way, printing diagnostics in a stable order, writing a rule as JSON.
 * Ownership: everything is owned by the caller's ruleset / diags / buffers. */
#ifndef TH_CLI_RULES_CLI_H
#define TH_CLI_RULES_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "base/buf.h"
#include "base/diag.h"
#include "cli/args.h"
#include "rules/rule.h"
#include "json/json.h"

/* Loads every path into rs (load problems go to diags). A path that does not
 * exist is a usage problem: it is named on stderr and TH_EXIT_USAGE returned
 * (nothing is loaded then). Otherwise TH_EXIT_OK. */
int th_rules_cli_load(const char *verb, th_ruleset *rs, th_diags *diags, const char *const *paths,
                      size_t n);
/* The argument checks every sub-verb makes: --format is absent, text or json
 * (*json says which), and at least one positional argument (`what` names it in
 * the message: "PATH", "FILE"). Prints the problem on stderr and returns false
 * (the caller exits TH_EXIT_USAGE). */
bool th_rules_cli_common_args(const char *verb, const th_args *a, const char *what, bool *json);
/* Prints diagnostics sorted by file, line, column (ties keep arrival order);
 * warnings are skipped when errors_only. */
void th_rules_cli_print_diags(const th_diags *d, FILE *f, bool errors_only);
/* Writes one rule as a JSON object; full adds the long texts (query,
 * description, note, setup, ...) and every list. */
void th_rules_cli_json(th_jw *w, const th_rule *r, bool full);
/* `rules show` for one rule, text form. */
void th_rules_cli_show_text(const th_rule *r, th_buf *out);
/* "6m", "7d", "90s": ms as the largest unit that divides it. */
void th_rules_cli_fmt_ms(int64_t ms, char out[32]);

int th_cmd_rules_show(int argc, char **argv);

#endif
