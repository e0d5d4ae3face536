/* Hash map from byte-string keys to pointer values (open addressing, linear probing).
 *
 * Ownership: the map owns its slot table only. Keys are borrowed: the caller
 * keeps the bytes alive for the map's lifetime (typically they live in an arena
 * or in the input). Values are opaque. Not thread safe for writes. */
#ifndef TH_BASE_MAP_H
#define TH_BASE_MAP_H

#include <stdbool.h>
#include <stddef.h>

#include "base/str.h"

typedef struct th_map_slot {
    th_str key;
    unsigned long long hash;
    void *value;
    bool used;
} th_map_slot;

typedef struct th_map {
    th_map_slot *slots;
    size_t cap; /* power of two, or 0 */
    size_t len;
} th_map;

void th_map_init(th_map *m);
void th_map_free(th_map *m);
/* Returns the value for key, or NULL. */
void *th_map_get(const th_map *m, th_str key);
bool th_map_has(const th_map *m, th_str key);
/* Inserts or replaces. Returns the previous value or NULL. */
void *th_map_put(th_map *m, th_str key, void *value);
/* Returns a pointer to the value slot, inserting NULL first when absent;
 * *inserted says which. The pointer is valid until the next insertion. */
void **th_map_ref(th_map *m, th_str key, bool *inserted);

/* The slot of key under the caller's hash h, inserted (key, NULL value)
 * where absent; *inserted says which. For a map whose every key is looked
 * up with the same hash function of its bytes (th_str_hash_words for long
 * keys, where th_str_hash takes a byte a step); the caller may replace the
 * slot's key with an equal copy (the same bytes). Valid until the next
 * insertion. */
th_map_slot *th_map_slot_hashed(th_map *m, th_str key, unsigned long long h, bool *inserted);

/* th_map_ref for a key whose bytes the caller holds only for the call (a
 * key text built in a buffer): where absent, the map takes a copy made in
 * a (th_arena_strndup) and *key becomes that copy. One hash either way,
 * where th_map_get and then th_map_ref on a miss hashed the key twice; the
 * map grows as th_map_ref's insertion grows it. */
struct th_arena;
void **th_map_ref_copy(th_map *m, th_str *key, bool *inserted, struct th_arena *a);

/* Iteration: for (size_t i = 0; i < m.cap; i++) if (m.slots[i].used) ... */

#endif
