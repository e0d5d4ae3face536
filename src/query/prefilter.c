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

/* Whether every field c reads is one is_const accepts, by name (none
 * read: true; KQL free text reads every field, a deep leaf those below). */
static bool reads_only(const cnode *c, bool (*is_const)(th_str field))
{
    switch (c->test) {
    case CT_TRUE:
    case CT_FALSE:
        return true;
    case CT_AND:
    case CT_OR:
    case CT_NOT:
        for (size_t i = 0; i < c->nkids; i++)
            if (!reads_only(c->kids[i], is_const))
                return false;
        return true;
    case CT_FREE:
        return false;
    case CT_FIELD_CONTAINS:
        if (!is_const(c->path2))
            return false;
        /* fall through */
    default:
        return !c->deep && c->path.n != 0 && is_const(c->path);
    }
}

/* Whether c reads field, as th_query_compile_ir notes its fields. */
static bool reads(const cnode *c, th_str field)
{
    switch (c->test) {
    case CT_TRUE:
    case CT_FALSE:
        return false;
    case CT_AND:
    case CT_OR:
    case CT_NOT:
        for (size_t i = 0; i < c->nkids; i++)
            if (reads(c->kids[i], field))
                return true;
        return false;
    case CT_FREE:
        return th_str_eqc(field, "*");
    case CT_FIELD_CONTAINS:
        if (th_str_eq(c->path2, field))
            return true;
        /* fall through */
    default:
        return th_str_eq(c->path, field);
    }
}

/* The operands of c's ANDs, ANDs within opened (c itself where it is no
 * AND), put from out[at] (out NULL: only counted); at plus their number. */
static size_t and_operands(cnode *c, cnode **out, size_t at)
{
    if (c->test != CT_AND || c->nkids == 0) {
        if (out)
            out[at] = c;
        return at + 1;
    }
    for (size_t i = 0; i < c->nkids; i++)
        at = and_operands(c->kids[i], out, at);
    return at;
}

bool th_query_rest_fold(th_arena *a, const th_query *rest, const th_jval *doc,
                        bool (*is_const)(th_str field), const th_query **out)
{
    *out = rest;
    if (!rest || !rest->root)
        return true;
    /* On the compiled rest, whose leaves stay as they are (compiled again,
     * the pack's rests cost its start-up 1.1 M instructions). An AND is
     * true exactly where each operand is (TRUE, not NULL, in three values
     * too: one FALSE decides, one NULL keeps it from TRUE), so the operands
     * true on every such document can go, and one that is not true on
     * them decides the whole. */
    cnode *root = rest->root;
    size_t n = and_operands(root, NULL, 0);
    cnode **kids = TH_ANEWN(a, cnode *, n), **left = TH_ANEWN(a, cnode *, n);
    and_operands(root, kids, 0);
    size_t nleft = 0;
    for (size_t i = 0; i < n; i++) {
        if (!reads_only(kids[i], is_const))
            left[nleft++] = kids[i];
        else if (th_cnode_eval(kids[i], doc) != TV_TRUE)
            return false;
    }
    if (nleft == n)
        return true;
    *out = NULL;
    if (!nleft)
        return true;
    th_query *q = TH_ANEW(a, th_query);
    q->lang = rest->lang;
    q->root = left[0];
    if (nleft > 1) { /* an AND of those left, in the order they were in */
        q->root = TH_ANEW(a, cnode);
        *q->root = (cnode){.test = CT_AND, .flags = root->flags, .kids = left, .nkids = nleft};
    }
    th_ir **irs = TH_ANEWN(a, th_ir *, nleft);
    bool ir = true;
    for (size_t i = 0; i < nleft && ir; i++)
        ir = (irs[i] = (th_ir *)left[i]->ir) != NULL;
    /* (every compiled node has its IR; else the rest's, which is true
     * exactly where this is on such documents) */
    q->ir = !ir ? rest->ir : nleft == 1 ? irs[0] : th_ir_bool(a, TH_IR_AND, irs, nleft);
    if (nleft > 1)
        q->root->ir = q->ir;
    q->fields = TH_ANEWN(a, th_str, rest->nfields + 1);
    for (size_t i = 0; i < rest->nfields; i++)
        if (reads(q->root, rest->fields[i]))
            q->fields[q->nfields++] = rest->fields[i];
    *out = q;
    return true;
}
