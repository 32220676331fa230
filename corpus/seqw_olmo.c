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
 * A sequence that is one document (tokenize, lw_seqw_label) has its
 * lineage's id and source as id and src; any other (cip, pack, synl) its
 * ordinal as id and no src. loc is the sequence's ordinal in the file: for
 * tokenize, its line in PREFIX.docs.jsonl. Fields are quoted as RFC 4180
 * (and Python's csv module) reads them. An empty sequence has no row:
 * OLMo-core refuses a start at the end of the array and would make an
 * empty instance of one in the middle. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "longweave/buf.h"

#include "seqwriter_internal.h"

enum { ROWS_BUF = 64 << 10 }; /* CSV text compressed at a time */

typedef struct {
    lw_bufout ids, mask, meta;
    bool mask_open, z_open;
    int bytes;
    z_stream z;
    lw_buf rows;          /* CSV text not yet compressed */
    unsigned char zout[ROWS_BUF];
} olmo_impl;

/* Compress what rows holds (to the end of the stream with Z_FINISH). */
static lw_status deflate_rows(lw_seqw *w, olmo_impl *o, int flush, lw_error *err)
{
    o->z.next_in = (unsigned char *)o->rows.data;
    o->z.avail_in = (uInt)o->rows.len;
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
    o->rows.len = 0;
    return LW_OK;
}

/* A lineage JSON text as one CSV field: a string's characters, any other
 * value's JSON text; quoted when it holds a comma or a quote. A string with
 * a line end stays JSON text, escaped: OLMo-core splits the file at every
 * newline, quoted or not. */
static int put_field(lw_buf *b, const char *json, size_t len)
{
    cJSON *v = cJSON_ParseWithLength(json, len);
    bool plain = cJSON_IsString(v) && !strpbrk(v->valuestring, "\r\n");
    const char *s = plain ? v->valuestring : json;
    size_t n = plain ? strlen(s) : len;
    int rc = 0;
    if (strcspn(s, ",\"") >= n) {
        rc = lw_buf_append(b, s, n);
    } else {
        rc = lw_buf_putc(b, '"');
        for (size_t i = 0; i < n && !rc; i++)
            rc = s[i] == '"' ? lw_buf_append(b, "\"\"", 2) : lw_buf_putc(b, s[i]);
        rc = rc ? rc : lw_buf_putc(b, '"');
    }
    cJSON_Delete(v);
    return rc;
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
    int rc;
    if (w->label_id) {
        rc = lw_buf_printf(&o->rows, "%llu,%llu,", start, start + n);
        rc = rc ? rc : put_field(&o->rows, w->label_id, w->label_id_len);
        rc = rc ? rc : lw_buf_putc(&o->rows, ',');
        if (!rc && w->label_source)
            rc = put_field(&o->rows, w->label_source, w->label_source_len);
        rc = rc ? rc : lw_buf_printf(&o->rows, ",%llu\n", ord);
    } else {
        rc = lw_buf_printf(&o->rows, "%llu,%llu,%llu,,%llu\n", start, start + n, ord, ord);
    }
    if (rc)
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    return o->rows.len >= ROWS_BUF ? deflate_rows(w, o, Z_NO_FLUSH, err) : LW_OK;
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
    lw_buf_free(&o->rows);
    free(o);
}

const seqw_backend seqw_olmo = {false, ol_open, ol_add, ol_start_mask,
                                ol_finish, ol_free, NULL};
