/* Shared by the validate*.c files of the rules module (not a public interface).
 *
 * A vctx carries the rule and the diagnostics; every check reports at the TOML
 * node it is about (a missing key at its table's header). Helpers return the
 * value when it is present AND of the wanted type, else NULL (after reporting
 * a wrong type, or a missing required key). */
#ifndef TH_RULES_VALIDATE_INTERNAL_H
#define TH_RULES_VALIDATE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rules/rule.h"

typedef struct vctx {
    const th_rule *r;
    const char *path;
    th_diags *d;
    size_t errors;
} vctx;

void v_error(vctx *v, const th_toml *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void v_warn_at(vctx *v, unsigned line, unsigned col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void v_error_at(vctx *v, unsigned line, unsigned col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Typed lookups; `where` is the dotted table name used in messages ("rule"). */
const th_toml *v_get(vctx *v, const th_toml *tab, const char *where, const char *key,
                     th_toml_type type, bool required);
/* A string from a fixed set. */
const th_toml *v_enum(vctx *v, const th_toml *tab, const char *where, const char *key,
                      const char *const *allowed, bool required);
/* An array whose items are all strings (non-empty when nonempty_items), with
 * min..max items (max 0 = unbounded). When lone_ok, a single string is
 * accepted as a one-item list. */
const th_toml *v_strlist(vctx *v, const th_toml *tab, const char *where, const char *key,
                         bool required, size_t min, size_t max, bool nonempty_items, bool lone_ok);
/* An integer in lo..hi. */
const th_toml *v_int(vctx *v, const th_toml *tab, const char *where, const char *key, bool required,
                     int64_t lo, int64_t hi);
/* A string whose decoded bytes equal s. */
bool v_streq(const th_toml *val, const char *s);

/* Patterns of the schema (definitions.py), hand-written (all are simple). */
bool v_is_uuid(const char *s, size_t n);
bool v_is_date(const char *s, size_t n);      /* YYYY/MM/DD, a real date */
bool v_is_interval(const char *s, size_t n);  /* ^\d+[mshd]$ */
bool v_is_from(const char *s, size_t n);      /* ^now-\d+[yMwdhHms]$ */
bool v_is_semver(const char *s, size_t n);    /* ^\d+\.\d+(\.\d+[\w-]*)*$ */
bool v_is_rule_name(const char *s, size_t n); /* ^[a-zA-Z0-9].+?[a-zA-Z0-9\[\]()]$ */
/* Compares dotted versions numerically: <0, 0, >0. */
int v_semver_cmp(const char *a, size_t an, const char *b);

/* The parts (validate_types.c, validate_attack.c, validate_keys.c). */
void v_type_specific(vctx *v, const th_toml *rule, const th_toml *meta);
void v_threat(vctx *v, const th_toml *rule);
void v_esql(vctx *v, const th_toml *rule);
/* Warns about keys of tab not in the schema (kind: see validate_keys.c). */
void v_unknown_keys(vctx *v, const th_toml *tab, const char *where, const char *const *known);
void v_rule_keys(vctx *v, const th_toml *rule, th_rule_type t);

#endif
