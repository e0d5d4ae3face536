/* The query IR: one predicate tree that KQL, EQL and ES|QL WHERE all lower to
 * (DESIGN.md "One IR for three languages").
 *
 * The IR says WHAT is compared, in the terms of Elasticsearch's query DSL
 * (term, wildcard, range, exists ...), never HOW: field types, ignore_above and
 * value coercion are applied when it is compiled against the field schema
 * (query.c), so the same tree could be lowered to SQL. Front ends make the
 * language decisions explicit in flags: case sensitivity (TH_IRF_NOCASE) and
 * null semantics (must_not by default; TH_IRF_3VL for ES|QL's three-valued
 * logic).
 *
 * Values are text as written in the query (escapes resolved). Wildcard and
 * regex patterns use Lucene syntax: in a wildcard `*` is any sequence, `?` one
 * character, `\` makes the next character literal.
 *
 * Ownership: nodes and strings live in the arena given to the builders. */
#ifndef TH_QUERY_IR_H
#define TH_QUERY_IR_H

#include <stdbool.h>
#include <stddef.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/diag.h"
#include "base/str.h"

struct th_qsource;

typedef enum th_ir_op {
    TH_IR_TRUE,     /* matches every document */
    TH_IR_FALSE,    /* matches none (e.g. a comparison Elasticsearch would reject) */
    TH_IR_AND,      /* kids: all true */
    TH_IR_OR,       /* kids: any true */
    TH_IR_NOT,      /* kid[0] false (must_not: a missing field makes the kid false, so NOT true) */
    TH_IR_EXISTS,   /* field has at least one indexed value */
    TH_IR_TERM,     /* field equals value, as the field's mapping compares (KQL `:`, EQL `==`) */
    TH_IR_TERMS,    /* field equals one of values[] */
    TH_IR_WILDCARD, /* field matches the Lucene wildcard pattern `value` */
    TH_IR_PREFIX,   /* field starts with value */
    TH_IR_RANGE,    /* lo <(=) field <(=) hi; either bound may be absent */
    TH_IR_CIDR,     /* ip field inside the network `value` ("10.0.0.0/8", "::1/128") */
    TH_IR_REGEX,    /* field matches the Lucene RegExp `value` (whole value) */
    TH_IR_CONTAINS_FIELD, /* field's value contains the value of the field named `value`
                             (EQL script: a missing operand makes it false) */
} th_ir_op;

enum {
    TH_IRF_NOCASE = 1u << 0, /* case-insensitive comparison (EQL `:`, `~` operators) */
    TH_IRF_PHRASE = 1u << 1, /* KQL: value was quoted (match_phrase on text fields; `*` literal) */
    TH_IRF_KQL = 1u << 2,    /* KQL `is` semantics: on non-keyword fields a wildcard is a
                                query_string query (split on whitespace, OR'ed) */
    TH_IRF_3VL = 1u << 3,    /* ES|QL: a missing or multi-valued field gives NULL, NOT NULL
                                is NULL, and only TRUE keeps a document */
    TH_IRF_NULL = 1u << 4,   /* TERM with a null literal (KQL `f: null`): ES rejects it */
};

typedef struct th_ir th_ir;
struct th_ir {
    th_ir_op op;
    unsigned flags;
    th_str field;        /* dotted field name; empty for KQL free text (every default field) */
    th_str value;        /* TERM/WILDCARD/PREFIX/CIDR/REGEX */
    th_str *values;      /* TERMS */
    size_t nvalues;
    th_str lo, hi;       /* RANGE bounds (p == NULL: unbounded) */
    bool lo_incl, hi_incl;
    th_ir **kids;        /* AND/OR/NOT */
    size_t nkids;
    unsigned line, col;  /* where the construct starts in the source (for diagnostics) */
    size_t src_start, src_end; /* KQL: the construct's bytes in the query text, [start, end);
                                  a `field: value` leaf from its field through its values
                                  (0, 0 where the front end sets none) */
};

th_ir *th_ir_new(th_arena *a, th_ir_op op);
th_ir *th_ir_leaf(th_arena *a, th_ir_op op, th_str field, th_str value, unsigned flags);
th_ir *th_ir_bool(th_arena *a, th_ir_op op, th_ir **kids, size_t n); /* AND/OR (copies kids) */
th_ir *th_ir_not(th_arena *a, th_ir *kid);
/* Escapes a literal so that it matches itself as a Lucene wildcard pattern. */
th_str th_ir_wildcard_escape(th_arena *a, th_str literal);

/* Writes the tree as an S-expression, e.g.
 *   (and (term "event.provider" "iam.amazonaws.com") (not (exists "source.ip")))
 * Flags appear as suffixes: term/i (nocase), term/p (phrase), term/k (KQL), term/3 (3VL). */
/* The operator's name as th_ir_print writes it ("and", "term", "wildcard" ...). */
const char *th_ir_op_name(th_ir_op op);
void th_ir_print(th_buf *out, const th_ir *ir);

/* ---- front ends -------------------------------------------------------- */

/* KQL (Kibana's kuery grammar, SEMANTICS.md 3.1). NULL on a syntax error, with a
 * diagnostic at the furthest position reached naming what was expected. */
th_ir *th_kql_parse(th_arena *a, const char *text, size_t len, const struct th_qsource *src,
                    th_diags *diags);

/* EQL (SEMANTICS.md 4), single-event queries `<category> where <condition>`.
 * `category_field` is the rule's event_category_override (NULL: event.category).
 * Sequences are not lowered here (the engine owns them): a syntax error names it. */
th_ir *th_eql_parse(th_arena *a, const char *text, size_t len, const char *category_field,
                    const struct th_qsource *src, th_diags *diags);

#endif
