/* Typed growable arrays on the heap.
 *
 *   TH_VEC(int) v = {0};
 *   TH_VEC_PUSH(&v, 42);
 *   TH_VEC_FREE(&v);
 *
 * Ownership: the vector owns its items array; TH_VEC_FREE releases it (not the
 * items' own pointees). */
#ifndef TH_BASE_VEC_H
#define TH_BASE_VEC_H

#include <stddef.h>
#include <stdlib.h>

#include "base/arena.h"

#define TH_VEC(T)         \
    struct {              \
        T *items;         \
        size_t len;       \
        size_t cap;       \
    }

#define TH_VEC_GROW(v, extra)                                                          \
    do {                                                                               \
        size_t th_need_ = (v)->len + (extra);                                          \
        if (th_need_ > (v)->cap) {                                                     \
            size_t th_cap_ = (v)->cap ? (v)->cap * 2 : 8;                              \
            while (th_cap_ < th_need_)                                                 \
                th_cap_ *= 2;                                                          \
            (v)->items = th_xrealloc((v)->items, th_cap_ * sizeof(*(v)->items));       \
            (v)->cap = th_cap_;                                                        \
        }                                                                              \
    } while (0)

#define TH_VEC_PUSH(v, x)                 \
    do {                                  \
        TH_VEC_GROW((v), 1);              \
        (v)->items[(v)->len++] = (x);     \
    } while (0)

#define TH_VEC_FREE(v)          \
    do {                        \
        free((v)->items);       \
        (v)->items = NULL;      \
        (v)->len = (v)->cap = 0; \
    } while (0)

#endif
