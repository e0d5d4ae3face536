/* Queries: KQL (and later EQL, ES|QL WHERE) lowered to one IR, compiled to a
 * predicate over ECS documents, with prefilter extraction.
 *
 * The evaluator follows Elasticsearch's semantics per field type, from the
 * field schema (ecs/schema.h). Front ends decide null and case semantics.
 * Ownership: a compiled query lives in the arena given to th_query_compile.
 * Thread safety: evaluation is read-only; a query may be shared by threads. */
#ifndef TH_QUERY_QUERY_H
#define TH_QUERY_QUERY_H

#include <stdbool.h>
#include <stddef.h>

#include "base/arena.h"
#include "base/diag.h"
#include "json/json.h"

typedef struct th_query th_query;
struct th_ir;

typedef enum th_qlang { TH_QLANG_KQL, TH_QLANG_EQL, TH_QLANG_ESQL } th_qlang;

/* Where the query text sits in its file, so errors point into the file. */
typedef struct th_qsource {
    const char *file;
    unsigned line, col;
} th_qsource;

/* Compiles a query. On a syntax error adds a diagnostic naming the column and
 * what was expected, and returns NULL. */
th_query *th_query_compile(th_arena *a, th_qlang lang, const char *text, size_t len,
                           const th_qsource *src, th_diags *diags);

/* EQL with the rule's event_category_override (NULL: event.category).
 * th_query_compile(TH_QLANG_EQL) is this with NULL. Single-event queries only:
 * a sequence is a syntax error here (the engine runs sequences). */
th_query *th_query_compile_eql(th_arena *a, const char *text, size_t len, const char *category_field,
                               const th_qsource *src, th_diags *diags);

/* True when the document satisfies the query. Allocates nothing; safe to call
 * from several threads at once on the same query. */
bool th_query_match(const th_query *q, const th_jval *doc);

/* Compiles an IR tree built by a front end (or by hand) against the field
 * schema. Comparisons Elasticsearch would reject (a non-number against a long
 * field, `f: null`, ...) compile to FALSE with a warning in diags. */
th_query *th_query_compile_ir(th_arena *a, th_qlang lang, struct th_ir *ir,
                              const th_qsource *src, th_diags *diags);

/* The IR the query was compiled from (for printing, SQL lowering, explain). */
const struct th_ir *th_query_ir(const th_query *q);

/* ---- prefilter (DESIGN.md "Prefilter, then verify") --------------------
 *
 * th_query_required_values: the literal values of `field` of which a matching
 * document must hold at least one. Sound for routing: if an event's values of
 * `field` (as keyword text, see th_query_keyword_text) share nothing with the
 * set, the query cannot match it.
 *   returns -1: no such set (the query does not pin `field`, or it would take
 *               more than `max` values); the rule must see every event.
 *   returns  n: out[0..n) hold the values (distinct; slices owned by the query).
 *               n == 0 means the query can match no document at all.
 * Derivation: a case-sensitive term/terms leaf on `field` gives its values; AND
 * takes the smallest set among its children (not the intersection: a
 * multi-valued field may satisfy two different terms); OR takes the union when
 * every child has a set; NOT and every other leaf give none.
 * Example: `event.provider: "iam.amazonaws.com" and event.action: (A or B)`
 * gives {"iam.amazonaws.com"} for event.provider and {A, B} for event.action. */
int th_query_required_values(const th_query *q, const char *field, th_str *out, size_t max);

/* The keyword text a document value has for routing (strings as they are,
 * numbers as their source text, booleans true/false); false for null, objects,
 * arrays. Engine lookups must use this to agree with the evaluator. */
bool th_query_keyword_text(const th_jval *v, th_str *out);

/* Every field the query reads (distinct, in first-use order; multi-fields such
 * as `x.text` are reported as the field whose values they index, `x`; KQL free
 * text reads "*"). Returns the total count; fills at most max. */
size_t th_query_fields(const th_query *q, th_str *out, size_t max);

/* A necessary condition of q over the fields `keep` accepts: a query that is
 * true on any document where q is true, provided that for every kept field
 * the document's values are a superset of those q would see (a projection,
 * ecs/rawproj.h). Built from q's IR: AND keeps the conditions it can, OR
 * needs one from every branch, NOT, ES|QL leaves and other fields drop out.
 * NULL when nothing is left (no condition). Lives in the arena. */
th_query *th_query_necessary(th_arena *a, const th_query *q, bool (*keep)(th_str field));

#endif
