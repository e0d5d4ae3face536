/* Prefilter routing index (DESIGN.md "Prefilter, then verify"). */
#include "query/router.h"

#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/map.h"
#include "base/vec.h"

#define MAX_ROUTE_VALUES 256

typedef TH_VEC(size_t) idxvec;

typedef struct route_field {
    th_str path;
    th_map map; /* keyword text -> idxvec* */
} route_field;

struct th_router {
    size_t n;
    route_field f[2]; /* event.action, event.provider */
    idxvec always;
    size_t counts[4];
};

static void add(route_field *f, th_str v, size_t qi)
{
    bool inserted;
    void **slot = th_map_ref(&f->map, v, &inserted);
    if (inserted)
        *slot = th_xcalloc(1, sizeof(idxvec));
    idxvec *iv = *slot;
    if (iv->len == 0 || iv->items[iv->len - 1] != qi)
        TH_VEC_PUSH(iv, qi);
}

th_router *th_router_new(const th_query *const *qs, size_t n)
{
    th_router *r = th_xcalloc(1, sizeof *r);
    r->n = n;
    static const char *const fields[2] = {"event.action", "event.provider"};
    for (int k = 0; k < 2; k++) {
        r->f[k].path = th_str_c(fields[k]);
        th_map_init(&r->f[k].map);
    }
    th_str vals[MAX_ROUTE_VALUES];
    for (size_t i = 0; i < n; i++) {
        if (!qs[i]) {
            r->counts[3]++;
            continue;
        }
        bool routed = false;
        for (int k = 0; k < 2 && !routed; k++) {
            int m = th_query_required_values(qs[i], fields[k], vals, MAX_ROUTE_VALUES);
            if (m < 0)
                continue;
            routed = true;
            r->counts[m == 0 ? 3 : (size_t)k]++;
            for (int j = 0; j < m; j++)
                add(&r->f[k], vals[j], i);
        }
        if (!routed) {
            TH_VEC_PUSH(&r->always, i);
            r->counts[2]++;
        }
    }
    return r;
}

void th_router_free(th_router *r)
{
    if (!r)
        return;
    for (int k = 0; k < 2; k++) {
        for (size_t i = 0; i < r->f[k].map.cap; i++) {
            if (r->f[k].map.slots[i].used) {
                idxvec *iv = r->f[k].map.slots[i].value;
                TH_VEC_FREE(iv);
                free(iv);
            }
        }
        th_map_free(&r->f[k].map);
    }
    TH_VEC_FREE(&r->always);
    free(r);
}

typedef struct rstate {
    const route_field *f;
    unsigned char *cand;
    size_t count;
} rstate;

static bool visit(const th_jval *v, void *ctx)
{
    rstate *st = ctx;
    th_str s;
    if (!th_query_keyword_text(v, &s))
        return true;
    idxvec *iv = th_map_get(&st->f->map, s);
    if (!iv)
        return true;
    for (size_t i = 0; i < iv->len; i++) {
        if (!st->cand[iv->items[i]]) {
            st->cand[iv->items[i]] = 1;
            st->count++;
        }
    }
    return true;
}

size_t th_router_candidates(const th_router *r, const th_jval *doc, unsigned char *cand)
{
    memset(cand, 0, r->n);
    rstate st = {NULL, cand, 0};
    for (size_t i = 0; i < r->always.len; i++)
        cand[r->always.items[i]] = 1;
    st.count = r->always.len;
    for (int k = 0; k < 2; k++) {
        if (r->f[k].map.len == 0)
            continue;
        st.f = &r->f[k];
        th_json_path_each(doc, r->f[k].path, visit, &st);
    }
    return st.count;
}

void th_router_stats(const th_router *r, size_t *by_action, size_t *by_provider, size_t *always,
                     size_t *never)
{
    *by_action = r->counts[0];
    *by_provider = r->counts[1];
    *always = r->counts[2];
    *never = r->counts[3];
}
