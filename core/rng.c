/* Philox4x32-10 counter-based generator and the lw_rng convenience layer. */
#include "longweave/rng.h"

#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u /* golden ratio */
#define PHILOX_W1 0xBB67AE85u /* sqrt(3) - 1 */

static inline void philox_round(uint32_t c[4], const uint32_t k[2])
{
    uint64_t p0 = (uint64_t)PHILOX_M0 * c[0];
    uint64_t p1 = (uint64_t)PHILOX_M1 * c[2];
    uint32_t hi0 = (uint32_t)(p0 >> 32), lo0 = (uint32_t)p0;
    uint32_t hi1 = (uint32_t)(p1 >> 32), lo1 = (uint32_t)p1;
    uint32_t n0 = hi1 ^ c[1] ^ k[0];
    uint32_t n2 = hi0 ^ c[3] ^ k[1];
    c[0] = n0;
    c[1] = lo1;
    c[2] = n2;
    c[3] = lo0;
}

void lw_philox4x32_10(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4])
{
    uint32_t c[4] = {ctr[0], ctr[1], ctr[2], ctr[3]};
    uint32_t k[2] = {key[0], key[1]};
    for (int round = 0; round < 10; round++) {
        if (round > 0) {
            k[0] += PHILOX_W0;
            k[1] += PHILOX_W1;
        }
        philox_round(c, k);
    }
    for (int i = 0; i < 4; i++)
        out[i] = c[i];
}

void lw_rng_init(lw_rng *r, uint64_t seed, uint32_t stream, uint64_t index)
{
    r->key[0] = (uint32_t)seed;
    r->key[1] = (uint32_t)(seed >> 32);
    r->ctr[0] = (uint32_t)index;
    r->ctr[1] = (uint32_t)(index >> 32);
    r->ctr[2] = stream;
    r->ctr[3] = 0;
    r->avail = 0;
}

uint32_t lw_rng_u32(lw_rng *r)
{
    if (r->avail == 0) {
        lw_philox4x32_10(r->ctr, r->key, r->block);
        r->ctr[3]++;
        r->avail = 4;
    }
    return r->block[4 - r->avail--];
}

uint64_t lw_rng_u64(lw_rng *r)
{
    uint64_t lo = lw_rng_u32(r);
    uint64_t hi = lw_rng_u32(r);
    return lo | (hi << 32);
}

double lw_rng_double(lw_rng *r)
{
    return (double)(lw_rng_u64(r) >> 11) * 0x1.0p-53;
}

uint64_t lw_rng_below(lw_rng *r, uint64_t n)
{
    /* Lemire, "Fast Random Integer Generation in an Interval" (2019). */
    unsigned __int128 m = (unsigned __int128)lw_rng_u64(r) * n;
    uint64_t low = (uint64_t)m;
    if (low < n) {
        uint64_t threshold = -n % n;
        while (low < threshold) {
            m = (unsigned __int128)lw_rng_u64(r) * n;
            low = (uint64_t)m;
        }
    }
    return (uint64_t)(m >> 64);
}

uint64_t lw_rng_at(uint64_t seed, uint32_t stream, uint64_t index)
{
    lw_rng r;
    lw_rng_init(&r, seed, stream, index);
    return lw_rng_u64(&r);
}
