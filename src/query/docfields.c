/* A document's fields, each found once (query.h th_qfields): the rules an
 * event meets read many of the same fields (event.action, user.name,
 * source.ip, cloud.account.id ...), each leaf and each captured field by its
 * own walk from the document's root, where one walk per field serves them
 * all. */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/map.h"
#include "query/query.h"

/* ---- field numbers (process-wide) ---------------------------------------- */

static pthread_mutex_t ids_mu = PTHREAD_MUTEX_INITIALIZER;
static th_map ids; /* path -> its number, as a pointer; keys are copies never freed */
static uint32_t nids;

uint32_t th_query_field_id(th_str path)
{
    if (path.n == 0)
        return 0;
    pthread_mutex_lock(&ids_mu);
    uintptr_t id = (uintptr_t)th_map_get(&ids, path);
    if (!id) {
        char *key = th_xmalloc(path.n);
        memcpy(key, path.p, path.n);
        id = ++nids;
        th_map_put(&ids, th_str_make(key, path.n), (void *)id);
    }
    pthread_mutex_unlock(&ids_mu);
    return (uint32_t)id;
}

/* ---- the values of one document's fields -------------------------------- */

th_qfields *th_qfields_new(void)
{
    th_qfields *f = th_xcalloc(1, sizeof *f);
    f->gen = 1;
    return f;
}

void th_qfields_free(th_qfields *f)
{
    if (!f)
        return;
    free(f->ent);
    free(f->vals);
    free(f);
}

void th_qfields_reset(th_qfields *f, const th_jval *doc)
{
    f->doc = doc;
    f->known = NULL;
    f->len = 0;
    if (++f->gen == 0) { /* the numbers went round: no entry may look current */
        for (size_t i = 0; i < f->nent; i++)
            f->ent[i].gen = f->ent[i].ngen = 0;
        f->gen = 1;
    }
}

static bool keep_value(const th_jval *v, void *ctx)
{
    th_qfields *f = ctx;
    if (f->len == f->cap) {
        f->cap = f->cap ? f->cap * 2 : 256;
        f->vals = th_xrealloc(f->vals, f->cap * sizeof *f->vals);
    }
    f->vals[f->len++] = v;
    return true;
}

/* Makes room for the entry of id (id >= f->nent). */
static void cover(th_qfields *f, uint32_t id)
{
    size_t nent = f->nent ? f->nent : 64;
    while (nent <= id)
        nent *= 2;
    f->ent = th_xrealloc(f->ent, nent * sizeof *f->ent);
    memset(f->ent + f->nent, 0, (nent - f->nent) * sizeof *f->ent);
    f->nent = nent;
}

void th_qfields_keep(th_qfields *f, uint32_t id)
{
    if (id == 0)
        return;
    if (id >= f->nent)
        cover(f, id);
    f->ent[id].kept = 1;
}

/* The number of path's (id's) first segment, found once per id: 0 where
 * path has no dot, or starts or ends with one (walked from the root). */
static uint32_t up_of(th_qfields *f, uint32_t id, th_str path)
{
    if (!f->ent[id].split) {
        const char *dot = memchr(path.p, '.', path.n);
        size_t d = dot ? (size_t)(dot - path.p) : 0;
        uint32_t up = d && d + 1 < path.n ? th_query_field_id(th_str_make(path.p, d)) : 0;
        if (up >= f->nent)
            cover(f, up);
        th_qfield_entry *e = &f->ent[id];
        e->split = 1;
        e->up = up;
        e->rest = (uint32_t)d + 1;
    }
    return f->ent[id].up;
}

typedef struct one_node {
    const th_jval *node;
    uint32_t n;
} one_node;

static bool note_node(const th_jval *v, void *ctx)
{
    one_node *o = ctx;
    o->node = v;
    return ++o->n < 2;
}

const th_jval *const *th_qfields_find(th_qfields *f, uint32_t id, th_str path, size_t *n)
{
    /* The fields an event reads share their first segment (aws.*, event.*,
     * user.*, source.*): the root's member of that name is found once per
     * document, and a path below it walked from there. Where the root holds
     * it once and no dotted key starting with it ("user.name"), the walk from
     * the root visits just what the walk from that member does. */
    size_t off = f->len;
    uint32_t up = f->doc ? up_of(f, id, path) : 0;
    if (up) {
        th_qfield_entry *u = &f->ent[up];
        if (u->ngen != f->gen) {
            one_node o = {NULL, 0};
            bool one = th_json_seg_nodes(f->doc, th_str_make(path.p, f->ent[id].rest - 1), note_node,
                                         &o);
            u->ngen = f->gen;
            u->nodes = one ? o.n : 2;
            u->node = o.node;
        }
        if (u->nodes == 1) {
            size_t r = f->ent[id].rest;
            th_json_path_each(u->node, th_str_make(path.p + r, path.n - r), keep_value, f);
        } else if (u->nodes == 2) {
            th_json_path_each(f->doc, path, keep_value, f);
        }
    } else {
        th_json_path_each(f->doc, path, keep_value, f);
    }
    th_qfield_entry *e = &f->ent[id];
    e->gen = f->gen;
    e->off = (uint32_t)off;
    e->n = (uint32_t)(f->len - off);
    *n = e->n;
    return e->n ? f->vals + e->off : NULL;
}

const th_jval *const *th_qfields_get(th_qfields *f, uint32_t id, th_str path, size_t *n)
{
    if (id == 0) { /* an unnumbered field: found again at every read */
        size_t off = f->len;
        th_json_path_each(f->doc, path, keep_value, f);
        *n = f->len - off;
        return *n ? f->vals + off : NULL;
    }
    const th_jval *const *v;
    if (th_qfields_known(f, id, &v, n))
        return v;
    if (id >= f->nent)
        cover(f, id);
    if (!th_qfields_current(f, id, &v, n))
        v = th_qfields_find(f, id, path, n);
    return v;
}

bool th_qknown_of(th_qknown *k, uint8_t *at, size_t nat, const uint32_t *id,
                  const th_jval *const *val, size_t n)
{
    memset(at, 0xff, nat);
    *k = (th_qknown){at, nat, val, 0, 0};
    for (size_t i = 0; i < n && i < 64; i++) {
        if (id[i] >= nat)
            return false;
        at[id[i]] = (uint8_t)i;
        k->mask |= 1ull << i;
    }
    return n <= 64;
}

/* Only k is kept: the reads find a known field there (th_qfields_known)
 * before the entries, so no entry is written per field. */
void th_qfields_put(th_qfields *f, const th_qknown *k)
{
    f->known = k;
}
