/* UTF-8 validation with an ASCII fast path, and maximal-subpart repair. */
#include "longweave/utf8.h"

#include <stdint.h>
#include <string.h>

#include "longweave/bytes8.h"

/* Length of the well-formed sequence at p (1..4), or -(k) where k >= 1 is the
 * length of the maximal ill-formed subpart starting at p. */
static int sequence_at(const unsigned char *p, size_t avail)
{
    unsigned char b = p[0];
    if (b < 0x80)
        return 1;
    int need;
    unsigned char lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
    if (b >= 0xC2 && b <= 0xDF) {
        need = 1;
    } else if (b >= 0xE0 && b <= 0xEF) {
        need = 2;
        if (b == 0xE0)
            lo = 0xA0;
        else if (b == 0xED)
            hi = 0x9F;
    } else if (b >= 0xF0 && b <= 0xF4) {
        need = 3;
        if (b == 0xF0)
            lo = 0x90;
        else if (b == 0xF4)
            hi = 0x8F;
    } else {
        return -1;
    }
    for (int i = 1; i <= need; i++) {
        if ((size_t)i >= avail)
            return -i;
        unsigned char c = p[i];
        unsigned char l = i == 1 ? lo : 0x80, h = i == 1 ? hi : 0xBF;
        if (c < l || c > h)
            return -i;
    }
    return need + 1;
}


size_t lw_utf8_valid_prefix(const char *s, size_t len, size_t *chars)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, n = 0;
    while (i < len) {
        size_t ascii = lw_bytes_ascii(p + i, len - i);
        i += ascii;
        n += ascii;
        if (i == len)
            break;
        /* the common three-byte form (CJK): a lead byte without a limit on
         * its second byte, then two continuation bytes */
        if (len - i >= 3 && p[i] >= 0xE1 && p[i] <= 0xEF && p[i] != 0xED &&
            (p[i + 1] & 0xC0) == 0x80 && (p[i + 2] & 0xC0) == 0x80) {
            i += 3;
            n++;
            continue;
        }
        int k = sequence_at(p + i, len - i);
        if (k < 0)
            break;
        i += (size_t)k;
        n++;
    }
    if (chars)
        *chars = n;
    return i;
}

int lw_utf8_repair(const char *s, size_t len, lw_buf *out, size_t *replaced, size_t *chars)
{
    static const char fffd[3] = {(char)0xEF, (char)0xBF, (char)0xBD};
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, n = 0, bad = 0;
    if (lw_buf_reserve(out, len))
        return -1;
    while (i < len) {
        size_t run_chars;
        size_t run = lw_utf8_valid_prefix(s + i, len - i, &run_chars);
        if (lw_buf_append(out, s + i, run))
            return -1;
        i += run;
        n += run_chars;
        if (i == len)
            break;
        int k = sequence_at(p + i, len - i);
        if (lw_buf_append(out, fffd, 3))
            return -1;
        i += (size_t)(-k);
        n++;
        bad++;
    }
    if (replaced)
        *replaced = bad;
    if (chars)
        *chars = n;
    return 0;
}

size_t lw_utf8_clip(const char *s, size_t len, size_t max_bytes)
{
    if (len <= max_bytes)
        return len;
    size_t i = max_bytes;
    /* Step back over continuation bytes to the start of the cut sequence. */
    while (i > 0 && ((unsigned char)s[i] & 0xC0) == 0x80)
        i--;
    return i;
}
