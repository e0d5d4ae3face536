/* xoshiro256** (Blackman & Vigna) with splitmix64 seeding. */
#include "emulate/prng.h"

#include <math.h>
#include <string.h>

#include "base/str.h"

static uint64_t splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void th_rng_seed(th_rng *r, uint64_t seed, const char *stream)
{
    uint64_t x = seed ^ (stream ? th_hash_bytes(stream, strlen(stream)) : 0);
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix(&x);
}

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t th_rng_next(th_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

uint64_t th_rng_below(th_rng *r, uint64_t n)
{
    /* Multiply-shift on the high 32 bits: one draw per call (streams stay
     * aligned); the tiny bias is irrelevant for synthetic logs. */
    if (n <= 0xffffffffULL)
        return ((th_rng_next(r) >> 32) * n) >> 32;
    return th_rng_next(r) % n;
}

int64_t th_rng_range(th_rng *r, int64_t lo, int64_t hi)
{
    if (hi <= lo)
        return lo;
    return lo + (int64_t)th_rng_below(r, (uint64_t)(hi - lo) + 1);
}

double th_rng_unit(th_rng *r)
{
    return (double)(th_rng_next(r) >> 11) * 0x1.0p-53;
}

int th_rng_chance(th_rng *r, double p)
{
    return th_rng_unit(r) < p;
}

uint64_t th_rng_poisson(th_rng *r, double lambda)
{
    if (lambda <= 0)
        return 0;
    if (lambda > 64) {
        /* Box-Muller normal approximation. */
        double u1 = th_rng_unit(r), u2 = th_rng_unit(r);
        if (u1 < 1e-300)
            u1 = 1e-300;
        double z = sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
        double v = lambda + z * sqrt(lambda) + 0.5;
        return v < 0 ? 0 : (uint64_t)v;
    }
    double l = exp(-lambda), p = 1.0;
    uint64_t k = 0;
    do {
        k++;
        p *= th_rng_unit(r);
    } while (p > l);
    return k - 1;
}

size_t th_rng_weighted(th_rng *r, const unsigned *w, size_t n)
{
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += w[i];
    if (total == 0)
        return 0;
    uint64_t x = th_rng_below(r, total);
    for (size_t i = 0; i < n; i++) {
        if (x < w[i])
            return i;
        x -= w[i];
    }
    return n - 1;
}

void th_rng_shuffle(th_rng *r, void *base, size_t n, size_t sz)
{
    unsigned char *b = base, tmp[64];
    if (sz > sizeof tmp)
        return;
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)th_rng_below(r, i);
        if (j == i - 1)
            continue;
        memcpy(tmp, b + (i - 1) * sz, sz);
        memcpy(b + (i - 1) * sz, b + j * sz, sz);
        memcpy(b + j * sz, tmp, sz);
    }
}
