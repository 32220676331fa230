/* Eight bytes at a time: tests on a 64-bit word that tell whether any of its
 * bytes is of a kind, so that scans over long texts (JSON escaping, control
 * characters, UTF-8) step a word at a time until something needs a look.
 * The tests are exact for "any byte"; which byte it is, the caller finds
 * with a byte loop over that word. */
#ifndef LONGWEAVE_BYTES8_H
#define LONGWEAVE_BYTES8_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define LW_BYTES8_ONES 0x0101010101010101ull
#define LW_BYTES8_HIGHS 0x8080808080808080ull

static inline uint64_t lw_bytes8_load(const void *p)
{
    uint64_t w;
    memcpy(&w, p, 8);
    return w;
}

/* Any byte with its high bit set (not ASCII)? */
static inline bool lw_bytes8_any_high(uint64_t w)
{
    return (w & LW_BYTES8_HIGHS) != 0;
}

/* Any byte below n (n <= 128)? */
static inline bool lw_bytes8_any_below(uint64_t w, unsigned n)
{
    return ((w - LW_BYTES8_ONES * n) & ~w & LW_BYTES8_HIGHS) != 0;
}

/* Any byte equal to c? */
static inline bool lw_bytes8_any_equal(uint64_t w, unsigned char c)
{
    uint64_t x = w ^ (LW_BYTES8_ONES * c);
    return ((x - LW_BYTES8_ONES) & ~x & LW_BYTES8_HIGHS) != 0;
}

#endif
