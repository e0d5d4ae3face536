/* SHA-256 (FIPS 180-4), for deterministic alert ids (SEMANTICS.md 2.3).
 * Ownership: a context is a plain value; no allocation. Thread safety: one
 * context per thread. */
#ifndef TH_BASE_SHA256_H
#define TH_BASE_SHA256_H

#include <stddef.h>
#include <stdint.h>

typedef struct th_sha256 {
    uint32_t h[8];
    uint64_t len;        /* bytes hashed so far */
    unsigned char blk[64];
    size_t nblk;         /* bytes waiting in blk */
} th_sha256;

void th_sha256_init(th_sha256 *c);
void th_sha256_update(th_sha256 *c, const void *p, size_t n);
void th_sha256_final(th_sha256 *c, unsigned char out[32]);
/* One call: hex digest (64 chars + NUL) of p[0..n). */
void th_sha256_hex(const void *p, size_t n, char out[65]);
/* Lower-case hex of a finished digest into out[65]. */
void th_sha256_tohex(const unsigned char d[32], char out[65]);

#endif
