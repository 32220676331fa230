/* Hashes: fast content hashes (XXH3 from libxxhash) for sharding and exact
 * deduplication, and SHA-256 (nettle) for file checksums that
 * users can check with sha256sum. */
#ifndef LONGWEAVE_HASH_H
#define LONGWEAVE_HASH_H

#include <stddef.h>
#include <stdint.h>

#include "longweave/status.h"

typedef struct {
    uint64_t lo, hi;
} lw_hash128;

/* XXH3-128 of the bytes (seed 0): stable across versions and machines. */
lw_hash128 lw_hash128_bytes(const void *data, size_t len);
/* XXH3-64 of the bytes with a seed. */
uint64_t lw_hash64_bytes(const void *data, size_t len, uint64_t seed);
/* SplitMix64 finalizer: a bijective 64-bit mixer. */
static inline uint64_t lw_mix64(uint64_t x)
{
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

#define LW_SHA256_HEX 65 /* 64 hex digits + NUL */

typedef struct lw_sha256 lw_sha256;
lw_sha256 *lw_sha256_new(void); /* NULL when out of memory */
void lw_sha256_update(lw_sha256 *h, const void *data, size_t len);
/* Writes 64 lowercase hex digits and a NUL; the context can then be freed. */
void lw_sha256_final(lw_sha256 *h, char hex[LW_SHA256_HEX]);
void lw_sha256_free(lw_sha256 *h);
/* Checksum of a whole file, read in streaming fashion. */
lw_status lw_sha256_file(const char *path, char hex[LW_SHA256_HEX], lw_error *err);

#endif
