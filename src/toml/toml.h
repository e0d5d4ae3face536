/* TOML 1.0 reader (our own), with line:column in every error.
 *
 * Value model: a tree of th_toml nodes in an arena. Tables keep keys in
 * definition order; every node remembers the line and column where it was
 * defined, so rule diagnostics can point into the file.
 * Ownership: the tree lives in the arena given to th_toml_parse; strings are
 * decoded copies in that arena (the input buffer may be freed after parsing). */
#ifndef TH_TOML_TOML_H
#define TH_TOML_TOML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/diag.h"
#include "base/str.h"

typedef enum th_toml_type {
    TH_TOML_STRING,
    TH_TOML_INTEGER,
    TH_TOML_FLOAT,
    TH_TOML_BOOL,
    TH_TOML_DATETIME,       /* offset date-time */
    TH_TOML_DATETIME_LOCAL, /* local date-time */
    TH_TOML_DATE_LOCAL,
    TH_TOML_TIME_LOCAL,
    TH_TOML_ARRAY,
    TH_TOML_TABLE,
} th_toml_type;

typedef struct th_toml th_toml;

typedef struct th_toml_kv {
    th_str key;        /* decoded key (one segment of a dotted key) */
    unsigned line, col; /* where the key was written */
    th_toml *val;
} th_toml_kv;

struct th_toml {
    th_toml_type type;
    unsigned line, col; /* where the value starts (tables: their header or first key) */
    union {
        th_str str;    /* STRING: decoded text; date/time kinds: the source text */
        int64_t i;     /* INTEGER */
        double f;      /* FLOAT (inf and nan included) */
        bool b;        /* BOOL */
        struct {
            th_toml **items;
            size_t len, cap;
        } arr;
        struct {
            th_toml_kv *kvs;
            size_t len, cap;
        } tab;
    } u;
};

/* Parses a whole document. On error adds one diagnostic (file:line:col: reason)
 * to diags (when not NULL) and returns NULL. Input must be UTF-8 (checked). */
th_toml *th_toml_parse(th_arena *a, const char *buf, size_t len, const char *file, th_diags *diags);

/* Table lookup of one key; NULL when absent or when t is not a table. */
th_toml *th_toml_get(const th_toml *t, const char *key);
/* Nested table lookup of a dotted path ("rule.new_terms.field"); NULL if absent. */
th_toml *th_toml_get_path(const th_toml *t, const char *dotted);
const char *th_toml_type_name(th_toml_type t);

/* Typed lookups of one key of table t: false (and *out untouched) when the key
 * is absent or holds another type. */
bool th_toml_get_str(const th_toml *t, const char *key, th_str *out);
bool th_toml_get_int(const th_toml *t, const char *key, int64_t *out);
bool th_toml_get_bool(const th_toml *t, const char *key, bool *out);

/* The value as JSON (what Kibana stores for a rule): tables become objects in
 * definition order, strings are copied into the arena, date/time kinds become
 * their source text, inf/nan become the strings "Infinity", "-Infinity" and
 * "NaN" (JSON has no such numbers). Depth is bounded by TH_MAX_TOML_DEPTH. */
struct th_jval;
struct th_jval *th_toml_to_json(th_arena *a, const th_toml *v);

#endif
