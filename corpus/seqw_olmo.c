/* lw_seqw backend: OLMo-core's numpy token files (olmo_core/data/
 * numpy_dataset.py), laid out as Dolma's tokenizer writes them.
 *
 *   PREFIX.npy     the ids back to back, NO header (np.memmap), in the
 *                  smallest unsigned type holding vocab_size - 1: uint8,
 *                  uint16 or uint32 (OLMo-core's get_dtype, Dolma's
 *                  np.min_scalar_type(vocab_size - 1))
 *   PREFIX.mask.npy  one byte (np.bool_) per token, for label_mask_paths
 *   PREFIX.csv.gz  Dolma's metadata: a gzip'd CSV row "start,end,id,src,loc"
 *                  per sequence (OLMo-core reads start,end for remote files)
 *
 * Until lineage reaches the writers, id and loc are the sequence's ordinal
 * in the file and src is empty. An empty sequence has no row: OLMo-core
 * refuses a start at the end of the array and would make an empty
 * instance of one in the middle. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "seqwriter_internal.h"

enum { ROWS_BUF = 64 << 10, ROW_MAX = 96 }; /* a row of four 20-digit numbers fits */

typedef struct {
    lw_bufout ids, mask, meta;
    bool mask_open, z_open;
    int bytes;
    z_stream z;
    char rows[ROWS_BUF + ROW_MAX]; /* CSV text not yet compressed */
    size_t rows_len;
    unsigned char zout[ROWS_BUF];
} olmo_impl;

/* Compress what rows holds (to the end of the stream with Z_FINISH). */
static lw_status deflate_rows(lw_seqw *w, olmo_impl *o, int flush, lw_error *err)
{
    o->z.next_in = (unsigned char *)o->rows;
    o->z.avail_in = (uInt)o->rows_len;
    int rc;
    do {
        o->z.next_out = o->zout;
        o->z.avail_out = sizeof o->zout;
        rc = deflate(&o->z, flush);
        if (rc == Z_STREAM_ERROR)
            return lw_error_set(err, LW_E_SOFTWARE, "%s.csv.gz: zlib deflate failed",
                                w->prefix);
        size_t have = sizeof o->zout - o->z.avail_out;
        lw_status st = have ? lw_bufout_put(&o->meta, o->zout, have, err) : LW_OK;
        if (st)
            return st;
    } while (o->z.avail_out == 0 || (flush == Z_FINISH && rc != Z_STREAM_END));
    o->rows_len = 0;
    return LW_OK;
}

static lw_status ol_open(lw_seqw *w, lw_error *err)
{
    olmo_impl *o = calloc(1, sizeof *o);
    if (!(w->impl = o))
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    uint32_t top = w->o.vocab_size ? w->o.vocab_size - 1 : 0;
    o->bytes = top <= UINT8_MAX ? 1 : top <= UINT16_MAX ? 2 : 4;
    w->dtype = o->bytes == 1 ? "uint8" : o->bytes == 2 ? "uint16" : "uint32";
    /* gzip framing (windowBits + 16) with zlib's fixed header: no name, mtime 0 */
    if (deflateInit2(&o->z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
                     Z_DEFAULT_STRATEGY) != Z_OK)
        return lw_error_set(err, LW_E_NOMEM, "out of memory (zlib)");
    o->z_open = true;
    lw_status st = seqw_open_file(w, &o->ids, ".npy", err);
    if (!st)
        st = seqw_open_file(w, &o->meta, ".csv.gz", err);
    if (!st && w->mask_on && !(st = seqw_open_file(w, &o->mask, ".mask.npy", err)))
        o->mask_open = true;
    return st;
}

static lw_status ol_add(lw_seqw *w, const uint32_t *ids, const uint8_t *mask, size_t n,
                        const uint32_t *doc_ends, size_t n_docs, lw_error *err)
{
    (void)doc_ends;
    (void)n_docs;
    olmo_impl *o = w->impl;
    lw_status st = lw_bufout_put_le(&o->ids, ids, n, o->bytes, err);
    if (!st && mask)
        st = lw_bufout_put(&o->mask, mask, n, err);
    if (st || n == 0)
        return st;
    unsigned long long start = w->tokens, ord = w->sequences;
    o->rows_len += (size_t)snprintf(o->rows + o->rows_len, ROW_MAX, "%llu,%llu,%llu,,%llu\n",
                                    start, start + n, ord, ord);
    return o->rows_len >= ROWS_BUF ? deflate_rows(w, o, Z_NO_FLUSH, err) : LW_OK;
}

static lw_status ol_start_mask(lw_seqw *w, lw_error *err)
{
    olmo_impl *o = w->impl;
    lw_status st = seqw_open_file(w, &o->mask, ".mask.npy", err);
    o->mask_open = !st;
    return st ? st : seqw_put_ones(&o->mask, w->tokens, err);
}

static lw_status ol_finish(lw_seqw *w, lw_error *err)
{
    olmo_impl *o = w->impl;
    lw_status st = lw_bufout_finish(&o->ids, err);
    if (!st && o->mask_open)
        st = lw_bufout_finish(&o->mask, err);
    if (!st)
        st = deflate_rows(w, o, Z_FINISH, err);
    return st ? st : lw_bufout_finish(&o->meta, err);
}

static void ol_free(lw_seqw *w)
{
    olmo_impl *o = w->impl;
    if (!o)
        return;
    if (o->z_open)
        deflateEnd(&o->z);
    lw_bufout_release(&o->ids);
    lw_bufout_release(&o->mask);
    lw_bufout_release(&o->meta);
    free(o);
}

const seqw_backend seqw_olmo = {false, ol_open, ol_add, ol_start_mask,
                                ol_finish, ol_free, NULL};
