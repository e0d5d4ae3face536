#include "base/map.h"

#include <stdlib.h>

#include "base/arena.h"

void th_map_init(th_map *m)
{
    m->slots = NULL;
    m->cap = 0;
    m->len = 0;
}

void th_map_free(th_map *m)
{
    free(m->slots);
    th_map_init(m);
}

static th_map_slot *find(const th_map *m, th_str key, unsigned long long h)
{
    size_t mask = m->cap - 1;
    for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
        th_map_slot *s = &m->slots[i];
        if (!s->used || (s->hash == h && th_str_eq(s->key, key)))
            return s;
    }
}

static void grow(th_map *m)
{
    size_t old_cap = m->cap;
    th_map_slot *old = m->slots;
    m->cap = old_cap ? old_cap * 2 : 16;
    m->slots = th_xcalloc(m->cap, sizeof(th_map_slot));
    for (size_t i = 0; i < old_cap; i++) {
        if (old[i].used)
            *find(m, old[i].key, old[i].hash) = old[i];
    }
    free(old);
}

void *th_map_get(const th_map *m, th_str key)
{
    if (!m->cap)
        return NULL;
    th_map_slot *s = find(m, key, th_str_hash(key));
    return s->used ? s->value : NULL;
}

bool th_map_has(const th_map *m, th_str key)
{
    return m->cap && find(m, key, th_str_hash(key))->used;
}

th_map_slot *th_map_slot_hashed(th_map *m, th_str key, unsigned long long h, bool *inserted)
{
    if ((m->len + 1) * 4 > m->cap * 3)
        grow(m);
    th_map_slot *s = find(m, key, h);
    if (inserted)
        *inserted = !s->used;
    if (!s->used) {
        s->used = true;
        s->key = key;
        s->hash = h;
        s->value = NULL;
        m->len++;
    }
    return s;
}

void **th_map_ref(th_map *m, th_str key, bool *inserted)
{
    return &th_map_slot_hashed(m, key, th_str_hash(key), inserted)->value;
}

void **th_map_ref_copy(th_map *m, th_str *key, bool *inserted, th_arena *a)
{
    unsigned long long h = th_str_hash(*key);
    th_map_slot *s = m->cap ? find(m, *key, h) : NULL;
    *inserted = !s || !s->used;
    if (!*inserted) {
        *key = s->key;
        return &s->value;
    }
    *key = th_str_make(th_arena_strndup(a, key->p, key->n), key->n);
    if ((m->len + 1) * 4 > m->cap * 3) {
        grow(m);
        s = find(m, *key, h);
    }
    s->used = true;
    s->key = *key;
    s->hash = h;
    s->value = NULL;
    m->len++;
    return &s->value;
}

void *th_map_put(th_map *m, th_str key, void *value)
{
    void **slot = th_map_ref(m, key, NULL);
    void *old = *slot;
    *slot = value;
    return old;
}
