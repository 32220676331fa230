/* Megatron datasets read sequence by sequence with pread, masks beside. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "longweave/fileio.h"
#include "longweave/megatron.h"

lw_status lw_megatron_source_open(lw_megatron_source *s, const char *prefix, int mask,
                                  lw_error *err)
{
    memset(s, 0, sizeof *s);
    s->fd = s->mfd = -1;
    lw_status st = lw_megatron_read_index(&s->d, prefix, err);
    if (st)
        return st;
    char *mp = lw_concat(prefix, LW_MEGATRON_MASK_SUFFIX, "");
    char *midx = mp ? lw_concat(mp, ".idx", "") : NULL;
    s->bin = lw_concat(prefix, ".bin", "");
    s->mbin = mp ? lw_concat(mp, ".bin", "") : NULL;
    if (!mp || !midx || !s->bin || !s->mbin) {
        st = lw_error_set(err, LW_E_NOMEM, "out of memory");
    } else if (mask == LW_MASK_LISTED || (mask == LW_MASK_PROBE && access(midx, F_OK) == 0)) {
        s->masked = true;
        if (!(st = lw_megatron_read_index(&s->m, mp, err)) &&
            (s->m.dtype != LW_MEGATRON_UINT8 || s->m.sequences != s->d.sequences))
            st = lw_error_set(err, LW_E_DATA, "%s: the mask dataset does not match the tokens",
                              mp);
        if (st)
            s->masked = false;
    }
    free(mp);
    free(midx);
    if (!st && (s->fd = open(s->bin, O_RDONLY | O_CLOEXEC)) < 0)
        st = lw_error_errno(err, LW_E_NOINPUT, errno, "cannot open", s->bin);
    if (!st && s->masked && (s->mfd = open(s->mbin, O_RDONLY | O_CLOEXEC)) < 0)
        st = lw_error_errno(err, LW_E_NOINPUT, errno, "cannot open", s->mbin);
    if (st)
        lw_megatron_source_close(s);
    return st;
}

lw_status lw_megatron_source_read(const lw_megatron_source *s, uint64_t q, void *data,
                                  uint8_t *mask, lw_error *err)
{
    size_t n = lw_megatron_length(&s->d, q);
    lw_status st = lw_pread_all(s->fd, data, n * lw_megatron_dtype_size(s->d.dtype),
                             lw_megatron_pointer(&s->d, q), s->bin, err);
    if (!st && s->masked && mask)
        st = lw_pread_all(s->mfd, mask, n, lw_megatron_pointer(&s->m, q), s->mbin, err);
    return st;
}

void lw_megatron_source_close(lw_megatron_source *s)
{
    lw_megatron_close(&s->d);
    if (s->masked)
        lw_megatron_close(&s->m);
    if (s->fd >= 0)
        close(s->fd);
    if (s->mfd >= 0)
        close(s->mfd);
    free(s->bin);
    free(s->mbin);
    s->fd = s->mfd = -1;
    s->bin = s->mbin = NULL;
    s->masked = false;
}
