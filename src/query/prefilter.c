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
    th_str *buf = th_xcalloc(cap, sizeof(th_str));
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
