/* Rule linter: the checks a detection engineer wants before a review, on the
 * file as written (so every finding has file:line:col).
 *
 *   dates       creation_date / updated_date are YYYY/MM/DD, real dates, the
 *               update not before the creation and not after today
 *   version     min_stack_version is MAJOR.MINOR.PATCH
 *   text        name, description present (error); note present (warning)
 *   spelling    unknown words in name and description (Hunspell en_US plus
 *               the project word list); code-ish tokens are ignored
 *   fields      every KQL and EQL field is in the schema (ecs/schema.h); the operator
 *               suits the field's type (wildcards on keyword-like fields only,
 *               values a boolean/number/ip field can hold, ranges on ordered
 *               types); `not field: *` flagged as possibly overly exclusive
 *   inv-fields  investigation_fields exist in the schema
 *   attack      ATT&CK ids well formed, subtechnique under its technique,
 *               tactic id/name as ATT&CK names them, references matching ids;
 *               across the pack: one name per tactic and technique id
 *
 * Each message ends with the check's name in brackets, e.g. `[dates]`.
 * Ownership: a th_lint owns what it remembers across files (for the pack
 * checks); free it with th_lint_free. Not thread safe. */
#ifndef TH_TUNE_LINT_H
#define TH_TUNE_LINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/diag.h"
#include "base/map.h"
#include "tune/spell.h"

typedef struct th_lint_use th_lint_use;

typedef struct th_lint {
    int64_t today;         /* days since 1970-01-01 (UTC) */
    const th_spell *spell; /* NULL: no spelling check */
    bool schema;           /* check fields against ecs/schema.h */
    /* pack-wide memory (ATT&CK names per id) */
    th_arena arena;
    th_lint_use *uses;
    size_t nuses, cap;
    size_t files, rules_kql, rules_eql, rules_esql, rules_other_lang;
} th_lint;

void th_lint_init(th_lint *l, int64_t today_days, const th_spell *spell);
void th_lint_free(th_lint *l);
/* Lints one rule file's text. Findings go to diags. Returns the number of
 * findings for this file. */
size_t th_lint_text(th_lint *l, const char *path, const char *text, size_t len, th_diags *diags);
/* Pack-wide checks over everything linted so far. */
size_t th_lint_finish(th_lint *l, th_diags *diags);

/* Parses `YYYY/MM/DD` strictly (a real calendar date). */
bool th_lint_parse_date(const char *s, int64_t *days);

#endif
