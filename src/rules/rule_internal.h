/* Helpers shared by the files of the rules module (not a public interface).
 * Ownership: strings returned are copies in the given arena. */
#ifndef TH_RULES_RULE_INTERNAL_H
#define TH_RULES_RULE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "base/arena.h"
#include "toml/toml.h"

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
