/* One stable sort, made for each element type that needs it.
 *
 * C11's qsort takes no context and is not stable; the engine sorts matches,
 * new terms, sequence indexes and ES|QL values, each by an order that needs
 * context or stability. TH_DEFINE_STABLE_SORT(name, T, Ctx, before) defines
 *
 *     static void name(T *v, size_t n, Ctx ctx);
 *
 * sorting v[0..n) so that no element is followed by one that sorts before
 * it, equal ones keeping their order. before(ctx, x, y) (a macro or an inline
 * function; x and y are `const T *`) is true where *x sorts strictly before
 * *y. The comparison is inlined at each step: the indirect call a callback
 * sort would make costs as much as most of these comparisons.
 *
 * The method: input already in order returns after one pass (most matches of
 * a single file nearly are); else runs of TH_SORT_RUN are insertion-sorted,
 * then merged pairwise, bottom up, between v and one scratch array. */
#ifndef TH_BASE_SORT_H
#define TH_BASE_SORT_H

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"

enum { TH_SORT_RUN = 16 };

#define TH_DEFINE_STABLE_SORT(name, T, Ctx, before)                                                \
    static void name(T *v, size_t n, Ctx ctx)                                                      \
    {                                                                                              \
        size_t i_ = 1;                                                                             \
        while (i_ < n && !before(ctx, &v[i_], &v[i_ - 1]))                                         \
            i_++;                                                                                  \
        if (i_ >= n)                                                                               \
            return;                                                                                \
        for (size_t lo_ = 0; lo_ < n; lo_ += TH_SORT_RUN) {                                        \
            size_t hi_ = lo_ + TH_SORT_RUN < n ? lo_ + TH_SORT_RUN : n;                            \
            for (size_t j_ = lo_ + 1; j_ < hi_; j_++) {                                            \
                T x_ = v[j_];                                                                      \
                size_t k_ = j_;                                                                    \
                for (; k_ > lo_ && before(ctx, &x_, &v[k_ - 1]); k_--) /* equal ones stay */       \
                    v[k_] = v[k_ - 1];                                                             \
                v[k_] = x_;                                                                        \
            }                                                                                      \
        }                                                                                          \
        if (n <= TH_SORT_RUN)                                                                      \
            return;                                                                                \
        T *tmp_ = th_xmalloc(n * sizeof *tmp_), *src_ = v, *dst_ = tmp_;                           \
        for (size_t w_ = TH_SORT_RUN; w_ < n; w_ *= 2) {                                           \
            for (size_t lo_ = 0; lo_ < n; lo_ += 2 * w_) {                                         \
                size_t mid_ = lo_ + w_ < n ? lo_ + w_ : n;                                         \
                size_t hi_ = lo_ + 2 * w_ < n ? lo_ + 2 * w_ : n;                                  \
                size_t a_ = lo_, b_ = mid_, k_ = lo_;                                              \
                while (a_ < mid_ && b_ < hi_) /* the left one on a tie: stable */                  \
                    dst_[k_++] = before(ctx, &src_[b_], &src_[a_]) ? src_[b_++] : src_[a_++];      \
                while (a_ < mid_)                                                                  \
                    dst_[k_++] = src_[a_++];                                                       \
                while (b_ < hi_)                                                                   \
                    dst_[k_++] = src_[b_++];                                                       \
            }                                                                                      \
            T *t_ = src_;                                                                          \
            src_ = dst_;                                                                           \
            dst_ = t_;                                                                             \
        }                                                                                          \
        if (src_ != v)                                                                             \
            memcpy(v, src_, n * sizeof *v);                                                        \
        free(tmp_);                                                                                \
    }

#endif
