/* Eight bytes at a time: tests on a 64-bit word that tell whether any of its
 * bytes is of a kind, so that scans over long texts (JSON escaping, control
 * characters, UTF-8) step a word at a time until something needs a look.
 * The tests are exact for "any byte"; which byte it is, the caller finds
 * with a byte loop over that word. */
#ifndef LONGWEAVE_BYTES8_H
#define LONGWEAVE_BYTES8_H

#include <stdbool.h>
#include <stddef.h>
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

/* The length of the prefix of p[0..n) that JSON writes as it is (no byte
 * below 0x20, no '"', no '\\'), and of the prefix that is ASCII: 16 bytes
 * at a time with SSE2 (every x86-64), else 8 with the word tests above. */
#if defined(__SSE2__)
#include <emmintrin.h>

static inline size_t lw_bytes_json_plain(const unsigned char *p, size_t n)
{
    const __m128i quote = _mm_set1_epi8('"'), slash = _mm_set1_epi8('\\');
    const __m128i top = _mm_set1_epi8(0x1F);
    size_t i = 0;
    for (; n - i >= 16; i += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
        __m128i ctl = _mm_cmpeq_epi8(_mm_min_epu8(v, top), v); /* v <= 0x1F */
        __m128i hit = _mm_or_si128(ctl, _mm_or_si128(_mm_cmpeq_epi8(v, quote),
                                                     _mm_cmpeq_epi8(v, slash)));
        unsigned m = (unsigned)_mm_movemask_epi8(hit);
        if (m)
            return i + (size_t)__builtin_ctz(m);
    }
    while (i < n && p[i] >= 0x20 && p[i] != '"' && p[i] != '\\')
        i++;
    return i;
}

static inline size_t lw_bytes_ascii(const unsigned char *p, size_t n)
{
    size_t i = 0;
    for (; n - i >= 16; i += 16) {
        unsigned m = (unsigned)_mm_movemask_epi8(
            _mm_loadu_si128((const __m128i *)(const void *)(p + i)));
        if (m)
            return i + (size_t)__builtin_ctz(m);
    }
    while (i < n && p[i] < 0x80)
        i++;
    return i;
}
#else
static inline size_t lw_bytes_json_plain(const unsigned char *p, size_t n)
{
    size_t i = 0;
    while (n - i >= 8) {
        uint64_t w = lw_bytes8_load(p + i);
        if (lw_bytes8_any_below(w, 0x20) || lw_bytes8_any_equal(w, '"') ||
            lw_bytes8_any_equal(w, '\\'))
            break;
        i += 8;
    }
    while (i < n && p[i] >= 0x20 && p[i] != '"' && p[i] != '\\')
        i++;
    return i;
}

static inline size_t lw_bytes_ascii(const unsigned char *p, size_t n)
{
    size_t i = 0;
    while (n - i >= 8 && !lw_bytes8_any_high(lw_bytes8_load(p + i)))
        i += 8;
    while (i < n && p[i] < 0x80)
        i++;
    return i;
}
#endif

#endif
