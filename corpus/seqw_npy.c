/* lw_seqw backend: NumPy .npy files (format 1.0) holding one N x L array:
 * PREFIX.npy with the ids (<u2 below 65536 ids, else <i4, which PyTorch
 * takes without conversion) and PREFIX.mask.npy (|u1). The header is
 * written with room for any N and rewritten with the final shape. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "longweave/bufout.h"
#include "seqwriter_internal.h"

enum { HEADER = 128 }; /* a multiple of 64, as numpy aligns its headers */

typedef struct {
    lw_bufout ids, mask;
    bool mask_open;
    int bytes;
} npy_impl;

static void header(unsigned char out[HEADER], const char *descr, uint64_t rows, uint32_t cols)
{
    memset(out, ' ', HEADER);
    memcpy(out, "\x93NUMPY\x01\x00", 8);
    lw_put_le(out + 8, HEADER - 10, 2);
    char dict[HEADER];
    int n = snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': "
                     "(%llu, %u), }", descr, (unsigned long long)rows, cols);
    memcpy(out + 10, dict, (size_t)n);
    out[HEADER - 1] = '\n';
}

static lw_status open_npy(lw_seqw *w, lw_bufout *b, const char *suffix, const char *descr,
                          lw_error *err)
{
    lw_status st = seqw_open_file(w, b, suffix, err);
    if (st)
        return st;
    unsigned char h[HEADER];
    header(h, descr, 0, w->o.fixed_len);
    return lw_bufout_put(b, h, HEADER, err);
}

static lw_status np_open(lw_seqw *w, lw_error *err)
{
    npy_impl *p = calloc(1, sizeof *p);
    if (!(w->impl = p))
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    p->bytes = w->o.vocab_size <= 65536 ? 2 : 4;
    w->dtype = p->bytes == 2 ? "uint16" : "int32";
    lw_status st = open_npy(w, &p->ids, ".npy", p->bytes == 2 ? "<u2" : "<i4", err);
    if (!st && w->mask_on && !(st = open_npy(w, &p->mask, ".mask.npy", "|u1", err)))
        p->mask_open = true;
    return st;
}

static lw_status np_add(lw_seqw *w, const uint32_t *ids, const uint8_t *mask, size_t n,
                        const uint32_t *doc_ends, size_t n_docs, lw_error *err)
{
    (void)doc_ends;
    (void)n_docs;
    npy_impl *p = w->impl;
    lw_status st = lw_bufout_put_le(&p->ids, ids, n, p->bytes, err);
    if (!st && mask)
        st = lw_bufout_put(&p->mask, mask, n, err);
    return st;
}

static lw_status np_start_mask(lw_seqw *w, lw_error *err)
{
    npy_impl *p = w->impl;
    lw_status st = open_npy(w, &p->mask, ".mask.npy", "|u1", err);
    p->mask_open = !st;
    return st ? st : seqw_put_ones(&p->mask, w->tokens, err);
}

static lw_status finish_npy(lw_seqw *w, lw_bufout *b, const char *descr, lw_error *err)
{
    unsigned char h[HEADER];
    header(h, descr, w->sequences, w->o.fixed_len);
    lw_status st = lw_bufout_flush(b, err);
    if (!st)
        st = lw_outfile_rewrite_at(&b->f, 0, h, HEADER, err);
    return st ? st : lw_outfile_finish(&b->f, err);
}

static lw_status np_finish(lw_seqw *w, lw_error *err)
{
    npy_impl *p = w->impl;
    lw_status st = finish_npy(w, &p->ids, p->bytes == 2 ? "<u2" : "<i4", err);
    if (!st && p->mask_open)
        st = finish_npy(w, &p->mask, "|u1", err);
    return st;
}

static void np_free(lw_seqw *w)
{
    npy_impl *p = w->impl;
    if (!p)
        return;
    lw_bufout_release(&p->ids);
    lw_bufout_release(&p->mask);
    free(p);
}

const seqw_backend seqw_npy = {false, np_open, np_add, np_start_mask,
                               np_finish, np_free, NULL};
