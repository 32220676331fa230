/* Counter-based random numbers: Philox4x32-10 (Salmon et al., SC'11, the
 * generator of Random123, cuRAND and JAX).
 *
 * Every draw is a pure function of (seed, stream, index, draw number), so
 * parallel code gets the same numbers at any thread count and in any order:
 * give each item (a document, a sample, a sequence) its own index and each
 * purpose its own stream, and never share a sequential state across threads. */
#ifndef LONGWEAVE_RNG_H
#define LONGWEAVE_RNG_H

#include <stdint.h>

/* The raw block function: 10 rounds of Philox on a 128-bit counter with a
 * 64-bit key. Matches the Random123 known-answer vectors. */
void lw_philox4x32_10(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4]);

/* A generator for one item: counter = (index, stream, draw), key = seed.
 * Plain struct, copyable, no allocation. */
typedef struct {
    uint32_t key[2];
    uint32_t ctr[4]; /* ctr[0..1] = index, ctr[2] = stream, ctr[3] = block number */
    uint32_t block[4];
    int avail;       /* unread 32-bit words left in block */
} lw_rng;

/* Well-known stream numbers, so stages never draw the same numbers by accident. */
enum {
    LW_STREAM_SHARD = 1,
    LW_STREAM_SHUFFLE = 2,
    LW_STREAM_CIP = 3,
    LW_STREAM_SYNL = 4,
    LW_STREAM_NEEDLE = 5,
    LW_STREAM_MIX = 6
};

void lw_rng_init(lw_rng *r, uint64_t seed, uint32_t stream, uint64_t index);
uint32_t lw_rng_u32(lw_rng *r);
uint64_t lw_rng_u64(lw_rng *r);
/* Uniform in [0, 1) with 53 random bits. */
double lw_rng_double(lw_rng *r);
/* Uniform in [0, n) without modulo bias (Lemire's method); n > 0. */
uint64_t lw_rng_below(lw_rng *r, uint64_t n);

/* The first 64-bit draw of (seed, stream, index): a stateless shortcut. */
uint64_t lw_rng_at(uint64_t seed, uint32_t stream, uint64_t index);

#endif
