/* Buffered output files. */
#include "longweave/bufout.h"

#include <stdlib.h>
#include <string.h>

lw_status lw_bufout_open(lw_bufout *b, const char *path, bool checksum, lw_error *err)
{
    memset(b, 0, sizeof *b);
    b->f.fd = -1;
    if (!(b->buf = malloc(LW_BUFOUT_SIZE)))
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    return lw_outfile_open(&b->f, path, checksum, err);
}

lw_status lw_bufout_flush(lw_bufout *b, lw_error *err)
{
    lw_status st = b->len ? lw_outfile_write(&b->f, b->buf, b->len, err) : LW_OK;
    b->len = 0;
    return st;
}

lw_status lw_bufout_put(lw_bufout *b, const void *p, size_t n, lw_error *err)
{
    if (b->len + n > LW_BUFOUT_SIZE) {
        lw_status st = lw_bufout_flush(b, err);
        if (st)
            return st;
        if (n > LW_BUFOUT_SIZE)
            return lw_outfile_write(&b->f, p, n, err);
    }
    memcpy(b->buf + b->len, p, n);
    b->len += n;
    return LW_OK;
}

lw_status lw_bufout_put_le(lw_bufout *b, const uint32_t *v, size_t n, int bytes, lw_error *err)
{
    for (size_t i = 0; i < n; i++) {
        if (b->len + 8 > LW_BUFOUT_SIZE) {
            lw_status st = lw_bufout_flush(b, err);
            if (st)
                return st;
        }
        lw_put_le(b->buf + b->len, v[i], bytes);
        b->len += (size_t)bytes;
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
    lw_outfile_release(&b->f);
    free(b->buf);
    b->buf = NULL;
    b->len = 0;
}
