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
 * to diags and returns NULL. Input must be UTF-8 (checked). */
th_toml *th_toml_parse(th_arena *a, const char *buf, size_t len, const char *file, th_diags *diags);

/* Table lookup of one key; NULL when absent or when t is not a table. */
th_toml *th_toml_get(const th_toml *t, const char *key);
/* Nested table lookup of a dotted path ("rule.new_terms.field"); NULL if absent. */
th_toml *th_toml_get_path(const th_toml *t, const char *dotted);
const char *th_toml_type_name(th_toml_type t);

#endif
