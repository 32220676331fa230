/* Buffered output files: two buffers, one filled while the other is written
 * (and checksummed) in the background, growing with the file, and ids
 * stored a buffer at a time. */
#include "longweave/bufout.h"

#include <stdlib.h>
#include <string.h>

lw_status lw_bufout_open(lw_bufout *b, const char *path, bool checksum, lw_error *err)
{
    memset(b, 0, sizeof *b);
    if (!(b->buf = malloc(LW_BUFOUT_MIN)))
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    b->cap = LW_BUFOUT_MIN;
    return lw_outfile_open(&b->f, path, checksum, err);
}

/* Hand the full buffer to a background write and go on in the other one,
 * grown to twice the full one's size (up to LW_BUFOUT_MAX). */
static lw_status spill(lw_bufout *b, lw_error *err)
{
    if (b->len == 0)
        return LW_OK;
    size_t len = b->len;
    b->len = 0;
    size_t want = b->cap < LW_BUFOUT_MAX / 2 ? 2 * b->cap : LW_BUFOUT_MAX;
    if (b->spare_cap < want) {
        lw_status st = lw_outfile_wait(&b->f, err); /* spare may still be being written */
        if (st)
            return st;
        free(b->spare);
        b->spare = malloc(want);
        b->spare_cap = b->spare ? want : 0;
    }
    if (!b->spare)
        return lw_outfile_write(&b->f, b->buf, len, err); /* one buffer: write now */
    lw_status st = lw_outfile_write_async(&b->f, b->buf, len, err);
    unsigned char *t = b->buf;
    size_t tcap = b->cap;
    b->buf = b->spare;
    b->cap = b->spare_cap;
    b->spare = t;
    b->spare_cap = tcap;
    return st;
}

lw_status lw_bufout_flush(lw_bufout *b, lw_error *err)
{
    lw_status st = spill(b, err);
    lw_status wst = lw_outfile_wait(&b->f, err);
    return st ? st : wst;
}

lw_status lw_bufout_put(lw_bufout *b, const void *p, size_t n, lw_error *err)
{
    const unsigned char *s = p;
    while (b->len + n > b->cap) {
        size_t room = b->cap - b->len;
        memcpy(b->buf + b->len, s, room);
        b->len += room;
        s += room;
        n -= room;
        lw_status st = spill(b, err);
        if (st)
            return st;
        if (n > LW_BUFOUT_MAX) /* the caller's data goes straight to the file, written now */
            return lw_outfile_write(&b->f, s, n, err);
    }
    memcpy(b->buf + b->len, s, n);
    b->len += n;
    return LW_OK;
}

/* The loops below are compiled with the vectoriser's cheap cost model (see
 * the Makefile). */
uint32_t lw_u32_max(const uint32_t *v, size_t n)
{
    uint32_t max = 0;
    for (size_t i = 0; i < n; i++)
        max = v[i] > max ? v[i] : max;
    return max;
}

/* n ids as little-endian integers of `bytes` bytes each at out: loops the
 * compiler turns into vector code (a copy for 4-byte ids on little-endian
 * hosts) instead of a store per byte. */
void lw_store_le(unsigned char *out, const uint32_t *v, size_t n, int bytes)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    switch (bytes) {
    case 4:
        memcpy(out, v, 4 * n);
        return;
    case 2:
        for (size_t i = 0; i < n; i++) {
            uint16_t x = (uint16_t)v[i];
            memcpy(out + 2 * i, &x, 2);
        }
        return;
    case 1:
        for (size_t i = 0; i < n; i++)
            out[i] = (unsigned char)v[i];
        return;
    case 8:
        for (size_t i = 0; i < n; i++) {
            uint64_t x = v[i];
            memcpy(out + 8 * i, &x, 8);
        }
        return;
    }
#endif
    for (size_t i = 0; i < n; i++)
        lw_put_le(out + (size_t)bytes * i, v[i], bytes);
}

lw_status lw_bufout_put_le(lw_bufout *b, const uint32_t *v, size_t n, int bytes, lw_error *err)
{
    size_t size = (size_t)bytes;
    while (n > 0) {
        size_t fit = (b->cap - b->len) / size;
        if (fit == 0) {
            lw_status st = spill(b, err);
            if (st)
                return st;
            continue;
        }
        size_t take = fit < n ? fit : n;
        lw_store_le(b->buf + b->len, v, take, bytes);
        b->len += take * size;
        v += take;
        n -= take;
    }
    return LW_OK;
}

lw_status lw_bufout_put_u64(lw_bufout *b, uint64_t v, lw_error *err)
{
    unsigned char p[8];
    lw_put_le(p, v, 8);
    return lw_bufout_put(b, p, 8, err);
}

lw_status lw_bufout_put_u32(lw_bufout *b, uint32_t v, lw_error *err)
{
    unsigned char p[4];
    lw_put_le(p, v, 4);
    return lw_bufout_put(b, p, 4, err);
}

lw_status lw_bufout_finish(lw_bufout *b, lw_error *err)
{
    lw_status st = lw_bufout_flush(b, err);
    return st ? st : lw_outfile_finish(&b->f, err);
}

void lw_bufout_release(lw_bufout *b)
{
    lw_outfile_release(&b->f); /* waits for a background write of spare */
    free(b->buf);
    free(b->spare);
    b->buf = b->spare = NULL;
    b->len = b->cap = b->spare_cap = 0;
}
