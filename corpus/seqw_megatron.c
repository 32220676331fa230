/* lw_seqw backend: the Megatron-Core indexed dataset, one sequence and one
 * document per sample, with the loss mask as a uint8 companion dataset. */
#include <stdlib.h>
#include <string.h>

#include "longweave/megatron.h"
#include "seqwriter_internal.h"

typedef struct {
    lw_megatron_writer *tokens, *mask;
} megatron_impl;

static lw_status register_both(lw_seqw *w, lw_megatron_writer *m, lw_error *err)
{
    lw_outfile *bin, *idx;
    lw_megatron_outfiles(m, &bin, &idx);
    lw_status st = seqw_register(w, bin, err);
    return st ? st : seqw_register(w, idx, err);
}

static lw_status open_mask(lw_seqw *w, megatron_impl *m, lw_error *err)
{
    char *p = seqw_path(w, LW_MEGATRON_MASK_SUFFIX);
    lw_status st = p ? lw_megatron_open_dtype(&m->mask, p, LW_MEGATRON_UINT8, 2, err)
                     : lw_error_set(err, LW_E_NOMEM, "out of memory");
    free(p);
    return st ? st : register_both(w, m->mask, err);
}

static lw_status mg_open(lw_seqw *w, lw_error *err)
{
    megatron_impl *m = calloc(1, sizeof *m);
    if (!(w->impl = m))
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    lw_status st = lw_megatron_open(&m->tokens, w->prefix, w->o.vocab_size, err);
    if (!st)
        st = register_both(w, m->tokens, err);
    w->raw_dtype = lw_megatron_dtype_for_vocab(w->o.vocab_size);
    w->dtype = lw_megatron_dtype_name(w->raw_dtype);
    if (!st && w->mask_on)
        st = open_mask(w, m, err);
    return st;
}

static lw_status mg_add(lw_seqw *w, const uint32_t *ids, const uint8_t *mask, size_t n,
                        const uint32_t *doc_ends, size_t n_docs, lw_error *err)
{
    (void)doc_ends;
    (void)n_docs;
    megatron_impl *m = w->impl;
    lw_status st = lw_megatron_add(m->tokens, ids, n, err);
    if (!st)
        st = lw_megatron_end_document(m->tokens, err);
    if (!st && mask && !(st = lw_megatron_add_bytes(m->mask, mask, n, err)))
        st = lw_megatron_end_document(m->mask, err);
    return st;
}

static lw_status mg_add_raw(lw_seqw *w, const void *data, const uint8_t *mask, size_t n,
                            lw_error *err)
{
    megatron_impl *m = w->impl;
    lw_status st = lw_megatron_add_raw(m->tokens, data, n, err);
    if (!st)
        st = lw_megatron_end_document(m->tokens, err);
    if (!st && mask && !(st = lw_megatron_add_bytes(m->mask, mask, n, err)))
        st = lw_megatron_end_document(m->mask, err);
    return st;
}

static lw_status mg_start_mask(lw_seqw *w, lw_error *err)
{
    megatron_impl *m = w->impl;
    lw_status st = open_mask(w, m, err);
    uint8_t *ones = st ? NULL : malloc(w->o.fixed_len ? w->o.fixed_len : 1);
    if (!st && !ones)
        st = lw_error_set(err, LW_E_NOMEM, "out of memory");
    if (ones)
        memset(ones, 1, w->o.fixed_len);
    for (uint64_t i = 0; i < w->sequences && !st; i++)
        if (!(st = lw_megatron_add_bytes(m->mask, ones, w->o.fixed_len, err)))
            st = lw_megatron_end_document(m->mask, err);
    free(ones);
    return st;
}

static lw_status mg_finish(lw_seqw *w, lw_error *err)
{
    megatron_impl *m = w->impl;
    lw_status st = lw_megatron_finish(m->tokens, err);
    if (!st && m->mask)
        st = lw_megatron_finish(m->mask, err);
    return st;
}

static void mg_free(lw_seqw *w)
{
    megatron_impl *m = w->impl;
    if (!m)
        return;
    lw_megatron_free(m->tokens);
    lw_megatron_free(m->mask);
    free(m);
}

const seqw_backend seqw_megatron = {false, mg_open, mg_add, mg_start_mask,
                                    mg_finish, mg_free, mg_add_raw};
