/* Prefilter extraction (DESIGN.md "Prefilter, then verify"): the literal values
 * of a field that any document matching a compiled query must hold. See
 * th_query_required_values in query.h for the contract and the derivation. */
#include <stdlib.h>

#include "query/cnode.h"

typedef struct vset {
    bool any;   /* unconstrained */
    th_str *v;
    size_t n;
} vset;

#define VSET_ANY ((vset){true, NULL, 0})

static vset req(const cnode *n, th_str field, th_str *buf, size_t max, size_t *used)
{
    switch (n->test) {
    case CT_FALSE:
        return (vset){false, NULL, 0};
    case CT_KW_EQ:
    case CT_KW_SET: {
        if ((n->flags & TH_IRF_NOCASE) || !th_str_eq(n->path, field) || n->deep)
            return VSET_ANY;
        size_t k = n->test == CT_KW_EQ ? 1 : n->nset;
        if (*used + k > max)
            return VSET_ANY;
        vset r = {false, buf + *used, 0};
        for (size_t i = 0; i < k; i++)
            r.v[r.n++] = n->test == CT_KW_EQ ? n->s : n->set[i];
        *used += k;
        return r;
    }
    case CT_AND: {
        vset best = VSET_ANY;
        for (size_t i = 0; i < n->nkids; i++) {
            vset k = req(n->kids[i], field, buf, max, used);
            if (!k.any && (best.any || k.n < best.n))
                best = k;
        }
        return best;
    }
    case CT_OR: {
        vset u = {false, buf + *used, 0};
        size_t start = *used;
        for (size_t i = 0; i < n->nkids; i++) {
            vset k = req(n->kids[i], field, buf, max, used);
            if (k.any)
                return VSET_ANY;
            for (size_t j = 0; j < k.n; j++) {
                bool dup = false;
                for (size_t m = 0; m < u.n; m++)
                    dup = dup || th_str_eq(u.v[m], k.v[j]);
                if (!dup) {
                    if (start + u.n >= max)
                        return VSET_ANY;
                    /* compact into the union's region (k lies after it) */
                    buf[start + u.n++] = k.v[j];
                }
            }
            *used = start + u.n;
        }
        return u;
    }
    default:
        return VSET_ANY;
    }
}

int th_query_required_values(const th_query *q, const char *field, th_str *out, size_t max)
{
    if (!q || !field)
        return -1;
    /* scratch: children's sets are built after the union being accumulated */
    size_t cap = max * 4 + 64;
    th_str *buf = th_xmalloc(cap * sizeof(th_str)); /* req reads only what it wrote */
    size_t used = 0;
    vset r = req(q->root, th_str_c(field), buf, cap, &used);
    int result = -1;
    if (!r.any) {
        size_t n = 0;
        for (size_t i = 0; i < r.n; i++) {
            bool dup = false;
            for (size_t j = 0; j < n; j++)
                dup = dup || th_str_eq(out[j], r.v[i]);
            if (dup)
                continue;
            if (n >= max) {
                n = (size_t)-1;
                break;
            }
            out[n++] = r.v[i];
        }
        result = n == (size_t)-1 ? -1 : (int)n;
    }
    free(buf);
    return result;
}

/* ---- necessary conditions over a subset of fields ---------------------- */

/* NULL means TRUE (no condition left). A leaf on a field `keep` accepts is
 * kept as it is; everything whose truth is not implied by a superset of the
 * field's values is dropped: NOT, ES|QL three-valued leaves, field-to-field
 * scripts, other fields. AND keeps its conditions, OR needs all of them. */
static th_ir *necessary(th_arena *a, const th_ir *ir, bool (*keep)(th_str field))
{
    switch (ir->op) {
    case TH_IR_TRUE:
    case TH_IR_NOT:
    case TH_IR_CONTAINS_FIELD:
        return NULL;
    case TH_IR_FALSE:
        return (th_ir *)ir;
    case TH_IR_AND:
    case TH_IR_OR: {
        th_ir **kids = TH_ANEWN(a, th_ir *, ir->nkids ? ir->nkids : 1);
        size_t n = 0;
        for (size_t i = 0; i < ir->nkids; i++) {
            th_ir *k = necessary(a, ir->kids[i], keep);
            if (!k && ir->op == TH_IR_OR)
                return NULL;
            if (k)
                kids[n++] = k;
        }
        if (n == 0)
            return NULL;
        return n == 1 ? kids[0] : th_ir_bool(a, ir->op, kids, n);
    }
    default:
        if (ir->flags & (TH_IRF_3VL | TH_IRF_NULL) || ir->field.n == 0 || !keep(ir->field))
            return NULL;
        return (th_ir *)ir;
    }
}

th_query *th_query_necessary(th_arena *a, const th_query *q, bool (*keep)(th_str field))
{
    const th_ir *ir = q ? th_query_ir(q) : NULL;
    th_ir *n = ir ? necessary(a, ir, keep) : NULL;
    if (!n)
        return NULL;
    th_diags d;
    th_diags_init(&d);
    th_query *out = th_query_compile_ir(a, q->lang, n, NULL, &d);
    th_diags_free(&d);
    return out;
}

/* Whether necessary() gives ir itself: every node of it kept (leaves as
 * they are, AND and OR with all their operands). */
static bool kept_whole(const th_ir *ir, bool (*keep)(th_str field))
{
    switch (ir->op) {
    case TH_IR_TRUE:
    case TH_IR_NOT:
    case TH_IR_CONTAINS_FIELD:
        return false;
    case TH_IR_FALSE:
        return true;
    case TH_IR_AND:
    case TH_IR_OR:
        for (size_t i = 0; i < ir->nkids; i++)
            if (!kept_whole(ir->kids[i], keep))
                return false;
        return ir->nkids > 0;
    default:
        return !(ir->flags & (TH_IRF_3VL | TH_IRF_NULL)) && ir->field.n != 0 && keep(ir->field);
    }
}

/* The conjuncts of ir (ir itself where it is no AND), ANDs within ANDs
 * opened (an ES|QL query's WHEREs, whose lowered conditions are ANDed),
 * put from out[at] (out NULL: only counted); returns at plus their number. */
static size_t conjuncts(const th_ir *ir, th_ir **out, size_t at)
{
    if (ir->op != TH_IR_AND || ir->nkids == 0) {
        if (out)
            out[at] = (th_ir *)ir;
        return at + 1;
    }
    for (size_t i = 0; i < ir->nkids; i++)
        at = conjuncts(ir->kids[i], out, at);
    return at;
}

bool th_query_necessary_rest(th_arena *a, const th_query *q, bool (*keep)(th_str field),
                             th_query **rest)
{
    *rest = NULL;
    const th_ir *ir = q ? th_query_ir(q) : NULL;
    if (!ir)
        return false;
    /* the conjuncts: a whole one is its own necessary condition, so the
     * condition (the AND of every conjunct's) holds it; the others'
     * conditions are implied by them, so the condition AND the others is q.
     * An AND's conjuncts are the query's too: an ES|QL query of two WHEREs
     * (the discovery rule's: 53,175 evaluations of b100k's with the pack,
     * neither WHERE held whole) has its gate decide them. Not opened for
     * KQL and EQL: without ES|QL it saved nothing on b100k, and its rests,
     * compiled at load (regex automata again), cost 3.7 M there. */
    th_ir *const *kids = ir->op == TH_IR_AND ? ir->kids : (th_ir *const *)&ir;
    size_t n = ir->op == TH_IR_AND ? ir->nkids : 1;
    size_t all = n && q->lang == TH_QLANG_ESQL ? conjuncts(ir, NULL, 0) : n;
    if (all != n) { /* ANDs opened (only then made: the engine arena's layout is kept) */
        th_ir **opened = TH_ANEWN(a, th_ir *, all);
        conjuncts(ir, opened, 0);
        kids = opened;
        n = all;
    }
    th_ir **others = TH_ANEWN(a, th_ir *, n ? n : 1);
    size_t nothers = 0;
    for (size_t i = 0; i < n; i++)
        if (!kept_whole(kids[i], keep))
            others[nothers++] = kids[i];
    if (nothers == n)
        return false;
    if (nothers) {
        th_ir *r = nothers == 1 ? others[0] : th_ir_bool(a, TH_IR_AND, others, nothers);
        th_diags d;
        th_diags_init(&d);
        *rest = th_query_compile_ir(a, q->lang, r, NULL, &d);
        th_diags_free(&d);
        if (!*rest)
            return false;
    }
    return true;
}
