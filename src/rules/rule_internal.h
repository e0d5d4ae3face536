/* Helpers shared by the files of the rules module (not a public interface).
 * Ownership: strings returned are copies in the given arena. */
#ifndef TH_RULES_RULE_INTERNAL_H
#define TH_RULES_RULE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "base/arena.h"
#include "base/diag.h"
#include "toml/toml.h"

struct th_ruleset;
/* kibana.c: text is a Kibana rule export (NDJSON of rule objects) rather than
 * TOML. */
bool th_rules_is_kibana_export(const char *text, size_t len);
/* Loads every rule of a Kibana export into rs (each rule's path is
 * "path:LINE"); returns the number of rules that failed (problems in diags). */
size_t th_rules_load_kibana(struct th_ruleset *rs, const char *path, const char *text, size_t len,
                            th_diags *diags);

/* NUL-terminated copy of a TOML string value; NULL when v is not a string. */
const char *th_rules_dup(th_arena *a, const th_toml *v);
/* The i-th item of an array when it is a table, else NULL. */
const th_toml *th_rules_table_at(const th_toml *arr, size_t i);
/* Where the text of string value v starts in buf (after its opening quotes and
 * the newline a multi-line string trims); literal says whether it is a literal
 * ('...') string, whose offsets map to the file byte for byte. */
void th_rules_text_start(const char *buf, size_t len, const th_toml *v, unsigned *line,
                         unsigned *col, bool *literal);

#endif
