/* Term tuples: what new_terms, threshold and suppression group on. */
#include "base/limits.h"
#include "engine/internal.h"

bool th_match_tuples(const th_engine *e, const th_match *m, size_t f0, size_t nf, th_tuple_fn fn,
                     void *ctx)
{
    const th_vlist *l[TH_ENGINE_MAX_TERM_FIELDS];
    th_str tuple[TH_ENGINE_MAX_TERM_FIELDS] = {{0}};
    size_t idx[TH_ENGINE_MAX_TERM_FIELDS] = {0};
    if (nf > TH_ENGINE_MAX_TERM_FIELDS)
        return false;
    for (size_t f = 0; f < nf; f++) {
        l[f] = th_match_list(e, m, f0 + f);
        if (l[f]->n == 0)
            return true; /* a missing field contributes nothing */
    }
    size_t count = 0;
    for (;;) {
        if (count++ == TH_ENGINE_MAX_COMBOS)
            return false;
        for (size_t f = 0; f < nf; f++)
            tuple[f] = l[f]->v[idx[f]];
        fn(tuple, nf, ctx);
        size_t f = nf;
        while (f > 0) { /* odometer: last field fastest */
            f--;
            if (++idx[f] < l[f]->n)
                break;
            idx[f] = 0;
            if (f == 0)
                return true;
        }
        if (nf == 0)
            return true;
    }
}

void th_tuple_key(th_buf *b, const th_str *tuple, size_t nf)
{
    th_buf_clear(b);
    for (size_t f = 0; f < nf; f++) {
        if (f)
            th_buf_putc(b, '\x1f');
        th_buf_putstr(b, tuple[f]);
    }
}

int th_tuple_cmp(const th_str *a, const th_str *b, size_t nf)
{
    for (size_t f = 0; f < nf; f++) {
        int c = th_value_cmp(a[f], b[f]);
        if (c)
            return c;
    }
    return 0;
}
