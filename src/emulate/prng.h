/* Deterministic pseudo-random numbers for the emulator: xoshiro256** seeded
 * through splitmix64. Same seed, same sequence, on every platform: nothing here
 * reads the clock or libc's rand().
 *
 * Ownership: a th_rng is a plain value; copy it to fork a stream.
 * Thread safety: one generator per thread. */
#ifndef TH_EMULATE_PRNG_H
#define TH_EMULATE_PRNG_H

#include <stddef.h>
#include <stdint.h>

typedef struct th_rng {
    uint64_t s[4];
} th_rng;

/* Seeds from a 64-bit value and a stream label, so that independent streams
 * (one per scenario) do not shift when another scenario is added. */
void th_rng_seed(th_rng *r, uint64_t seed, const char *stream);
uint64_t th_rng_next(th_rng *r);
/* Uniform integer in [0, n); n > 0. */
uint64_t th_rng_below(th_rng *r, uint64_t n);
/* Uniform integer in [lo, hi]. */
int64_t th_rng_range(th_rng *r, int64_t lo, int64_t hi);
/* Uniform double in [0, 1). */
double th_rng_unit(th_rng *r);
/* True with probability p. */
int th_rng_chance(th_rng *r, double p);
/* Poisson-distributed count with mean lambda (normal approximation above 64). */
uint64_t th_rng_poisson(th_rng *r, double lambda);
/* Index chosen by integer weights w[0..n). */
size_t th_rng_weighted(th_rng *r, const unsigned *w, size_t n);
/* Fisher-Yates shuffle of n elements of size sz. */
void th_rng_shuffle(th_rng *r, void *base, size_t n, size_t sz);

#endif
