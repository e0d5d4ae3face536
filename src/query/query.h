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
#include <stdint.h>

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
/* What q adds to th_query_necessary(q, keep) where the kept fields' values
 * are exactly the document's (not only a superset): q's conjuncts (the
 * operands of its top AND, or q itself) that the necessary condition does
 * not hold whole, AND'ed. On such a document q is true exactly where the
 * necessary condition and *rest are (*rest NULL: the condition alone).
 * False, *rest NULL, when no conjunct is held whole (nothing to gain) or
 * there is no condition. Lives in the arena. */
bool th_query_necessary_rest(th_arena *a, const th_query *q, bool (*keep)(th_str field),
                             th_query **rest);
/* rest (th_query_necessary_rest's, or any query) on the documents that
 * hold, at every field is_const accepts, what doc holds there (the data
 * stream constants of a mapped raw record): the conjuncts of its top AND
 * (ANDs within opened) that read only such fields are decided once, on doc.
 * False where one is not true on doc: rest is true on no such document.
 * Else *out is the AND of the other conjuncts (NULL: none is left, rest is
 * true on every such document), rest itself where none was decided; a
 * new one is ordered (th_query_order). Lives in the arena. */
bool th_query_rest_fold(th_arena *a, const th_query *rest, const th_jval *doc,
                        bool (*is_const)(th_str field), const th_query **out);

/* ---- slots: a document as numbered fields ------------------------------
 * A reader that knows before any document which fields it will be asked
 * for can number them (slots) and hand the evaluator each slot's values
 * instead of a document: no tree is built and no path searched. Slot i
 * holds vals[0..n): what th_json_path_each would visit at the slot's field
 * (in that order), or, for a slot standing for an object copied whole, the
 * value(s) below which the rest of a leaf's path is looked up as in a
 * document. A field with no values has n == 0. */
typedef struct th_qslot {
    const th_jval *vals;
    uint32_t n;
} th_qslot;
/* The slot of a field path (>= 0), *rest the part of the path below the
 * slot's own field (empty when the path is that field); -1 when no slot
 * holds it. */
typedef int (*th_qslot_fn)(th_str path, th_str *rest);
/* Gives every leaf of q its slot; false when some leaf cannot be read from
 * slots (an unknown path, KQL free text, a field-to-field script): q then
 * stays for documents only. Not thread-safe (it writes q): call at load. */
bool th_query_bind_slots(th_query *q, th_qslot_fn slot_of);
/* Orders q's AND and OR operands cheapest first (as th_query_bind_slots
 * does) for th_query_match: same results, fewer fields read. Not
 * thread-safe (it writes q): call at load, after whatever reads q's
 * structure in order. */
void th_query_order(th_query *q);
/* Puts the leaves of q's ANDs that read only the slots of the mask (bit i,
 * slot i) after their other operands, keeping each part's order: an AND
 * that some other operand makes FALSE then skips them. Same results (an
 * AND's does not depend on the order). For the leaves a caller expects to
 * hold (a gate's on the routed fields: routing made the rule a candidate
 * for their values). q must have been bound; call at load. */
void th_query_last_of(th_query *q, uint64_t slots);
/* The results of costly leaf tests (wildcard sets, wildcards beyond a prefix,
 * regular expressions, text analysis) on string values, remembered for
 * th_query_match_slots: the values gates test that way repeat from record to
 * record (user agents, ARNs), and a test costs several times the look-up.
 * Keyed by the leaf and the value's bytes: for one thread, and only with
 * queries that outlive it. */
typedef struct th_qmemo th_qmemo;
th_qmemo *th_qmemo_new(void);
void th_qmemo_free(th_qmemo *m);
/* th_query_match on the document whose fields are exactly those of the
 * slots (other fields absent). q must have been bound. Thread-safe as long
 * as memo (NULL: none) is the caller's own. */
bool th_query_match_slots(const th_query *q, const th_qslot *slots, th_qmemo *memo);
/* The slots th_query_match_slots reads of a bound q: bit i for slot i (a
 * result that depends only on those slots' values can be remembered by
 * them). False when q is not bound or reads a slot past 63. */
bool th_query_slots_read(const th_query *q, uint64_t *mask);

/* ---- a document's fields, each found once -------------------------------
 * The rules an event meets read many of the same fields. th_qfields keeps,
 * for each field read since th_qfields_reset, the values th_json_path_each
 * visits there (the same values in the same order: arrays flattened, nulls
 * and objects as they are), found at the first read of the field and shared
 * by the later ones. Fields are numbered process-wide (th_query_field_id:
 * 0 for the empty path, else from 1; thread-safe); every leaf of a compiled
 * query holds its field's number. A th_qfields is for one thread at a time. */
typedef struct th_qfields th_qfields;
uint32_t th_query_field_id(th_str path);
th_qfields *th_qfields_new(void);
void th_qfields_free(th_qfields *f);
/* Forgets the fields found so far: the next reads are of doc (borrowed). */
void th_qfields_reset(th_qfields *f, const th_jval *doc);
static inline const th_jval *th_qfields_doc(const th_qfields *f);
/* The values at path (numbered id) in the document, *n of them; valid
 * until the next th_qfields_get, th_qfields_read or th_qfields_reset.
 * id 0 (no number): walked again at every read. */
const th_jval *const *th_qfields_get(th_qfields *f, uint32_t id, th_str path, size_t *n);
/* The fields worth keeping: those a reader expects to read more than once
 * per document (th_qfields_get keeps every field it reads). A reader that
 * can stop early walks the others itself: th_qfields_read gives a kept or
 * already found field's values as th_qfields_get does, and is false for the
 * others. The
 * leaves of th_query_match_fields read that way. */
void th_qfields_keep(th_qfields *f, uint32_t id);
/* Fields whose values are known without a walk (a slot document's builder
 * wrote them, rawproj.h th_ecs_slots_doc), read where the builder left them:
 * field number i (i < nids) is val[at[i]] when at[i] < 64 and bit at[i] of
 * mask is set (this event's fields), the one node of the field in the
 * document, or nothing where that is NULL. at and nids are fixed for a run
 * (the fields a slot document may hold); val and mask are the event's. */
typedef struct th_qknown {
    const uint8_t *at;
    size_t nids;
    const th_jval *const *val;
    uint64_t mask;
    /* bit i: slot i of the slots the event was planned on (th_qslot)
     * holds exactly the document's values of its field (rawproj.h
     * th_ecs_slots.exact); 0 where not known */
    uint64_t exact_slots;
} th_qknown;
/* k for the n fields id[i] holding val[i] (n <= 64, the numbers distinct),
 * with at[0..nat) as its table; false where some number is nat or more. */
bool th_qknown_of(th_qknown *k, uint8_t *at, size_t nat, const uint32_t *id,
                  const th_jval *const *val, size_t n);
/* The known fields' entries (current until the next reset), as a walk of
 * the document would find them: the caller vouches for that, and keeps k
 * and what it points to unchanged until then. Every read of them,
 * th_qfields_read included, takes them from k without a walk: nothing is
 * copied per field (the pack on b100k put 1.44M fields of 79,712 slot
 * documents, ~55 M instructions with the pipeline's list of them). */
void th_qfields_put(th_qfields *f, const th_qknown *k);
static inline bool th_qfields_read(th_qfields *f, uint32_t id, th_str path,
                                   const th_jval *const **vals, size_t *n);

/* Inside th_qfields, for the inline functions (read once per leaf and
 * captured field: a call cost as much as the look-up). Field id's entry:
 * its values are vals[off..off+n) while gen is the cache's; kept: named by
 * th_qfields_keep. The path is split once at its first dot (split): up is
 * the number of the first segment (0: not split), rest where the rest
 * starts. As a first segment, while ngen is the cache's: the document's
 * member of that name (docfields.c) when nodes is 1; none when 0; 2: walk
 * the paths below from the root. */
typedef struct th_qfield_entry {
    uint32_t gen, off, n, kept;
    uint32_t split, up, rest;
    uint32_t ngen, nodes;
    const th_jval *node;
} th_qfield_entry;
struct th_qfields {
    const th_jval *doc;
    const th_qknown *known; /* th_qfields_put's, until the reset; NULL: none */
    uint32_t gen;
    th_qfield_entry *ent; /* by field number */
    size_t nent;
    const th_jval **vals; /* the values of every field found since the reset */
    size_t len, cap;
};
/* Walks the document for field id (covered by ent) and keeps its values. */
const th_jval *const *th_qfields_find(th_qfields *f, uint32_t id, th_str path, size_t *n);

static inline const th_jval *th_qfields_doc(const th_qfields *f) { return f->doc; }

/* Field id's values when already found in this document (id covered). */
static inline bool th_qfields_current(const th_qfields *f, uint32_t id,
                                      const th_jval *const **vals, size_t *n)
{
    const th_qfield_entry *e = &f->ent[id];
    if (e->gen != f->gen)
        return false;
    *n = e->n;
    *vals = e->n ? f->vals + e->off : NULL;
    return true;
}

/* Field id's values when put (th_qfields_put): read where k holds them. */
static inline bool th_qfields_known(const th_qfields *f, uint32_t id, const th_jval *const **vals,
                                    size_t *n)
{
    const th_qknown *k = f->known;
    if (!k || id >= k->nids)
        return false;
    unsigned i = k->at[id];
    if (i >= 64 || !(k->mask >> i & 1))
        return false;
    *n = k->val[i] != NULL;
    *vals = k->val[i] ? k->val + i : NULL;
    return true;
}

static inline bool th_qfields_read(th_qfields *f, uint32_t id, th_str path,
                                   const th_jval *const **vals, size_t *n)
{
    if (th_qfields_known(f, id, vals, n))
        return true;
    if (id >= f->nent)
        return false;
    if (th_qfields_current(f, id, vals, n))
        return true;
    if (!f->ent[id].kept)
        return false;
    *vals = th_qfields_find(f, id, path, n);
    return true;
}

/* th_query_match on the document of f, reading its kept fields through f. */
bool th_query_match_fields(const th_query *q, th_qfields *f);

/* A query of one quick leaf (an EXISTS of a field that parses no values, a
 * case-kept keyword equality: compile.c th_cnode_finish), or an AND whose
 * first operand is one, for its caller to decide in line on a known field:
 * th_query_match_fields' two calls cost more than the test (b100k with the
 * pack, of the planned rules' 154,992 evaluations through it: 85,615 of one
 * quick leaf, the unusual-ASN rule's rest `event.outcome == "success"` the
 * most; 53,175 of the discovery rule's rest, an AND that its first operand
 * `user_agent.name == "aws-cli"` decides but 958 times). */
typedef struct th_qquick {
    th_str s;    /* the equality's literal */
    size_t qmax; /* a string of at most qmax bytes is its own keyword text */
    uint32_t fid;
    bool exists;
    bool whole; /* the query is the leaf; else the leaf is its AND's first operand */
} th_qquick;
/* q's leaf into *k; false where q is neither such a leaf nor such an AND. */
bool th_query_quick(const th_query *q, th_qquick *k);
/* th_query_match_fields of k's query where the leaf decides it, its field
 * known to f (th_qfields_put) as no value or one string within qmax: 1 TRUE,
 * 0 not (the leaf FALSE or NULL: so is an AND of it); -1 elsewhere, for
 * th_query_match_fields to decide (an AND whose leaf is TRUE among them). */
static inline __attribute__((always_inline)) int th_qquick_match(const th_qquick *k,
                                                                 const th_qfields *f)
{
    const th_jval *const *v;
    size_t n;
    if (!th_qfields_known(f, k->fid, &v, &n))
        return -1;
    if (n == 0)
        return 0;
    if (v[0]->type != TH_JSTR || v[0]->u.str.n > k->qmax)
        return -1;
    if (!k->exists && !(v[0]->u.str.n == k->s.n && th_bytes_eq(v[0]->u.str.p, k->s.p, k->s.n)))
        return 0;
    return k->whole ? 1 : -1;
}

#endif
