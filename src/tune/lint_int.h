/* Internal to the linter (lint.c, lint_query.c, lint_attack.c): the per-file
 * context and the finding helper. */
#ifndef TH_TUNE_LINT_INT_H
#define TH_TUNE_LINT_INT_H

#include "toml/toml.h"
#include "tune/lint.h"

typedef struct lfile {
    th_lint *l;
    const char *path;
    const char *text;
    size_t len;
    th_diags *d;
    th_arena *a; /* per-file scratch */
    size_t n;    /* findings so far */
} lfile;

void lint_find(lfile *f, th_severity sev, unsigned line, unsigned col, const char *check,
               const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* Byte offset of line:col (1-based) in the file; len when out of range. */
size_t lint_offset(const lfile *f, unsigned line, unsigned col);
void lint_line_col(const lfile *f, size_t off, unsigned *line, unsigned *col);
/* Where a string value's content starts in the file (after the opening
 * quotes, and after the newline a multi-line string trims). */
size_t lint_string_start(const lfile *f, const th_toml *v);
/* The kv of a key in a table (for its line:col), or NULL. */
const th_toml_kv *lint_kv(const th_toml *t, const char *key);

void lint_query(lfile *f, const th_toml *rule);
void lint_attack(lfile *f, const th_toml *rule);
/* Records an ATT&CK id/name use for the pack-wide check. */
void lint_attack_use(lfile *f, bool tactic, const char *id, const char *name, unsigned line,
                     unsigned col);

#endif
