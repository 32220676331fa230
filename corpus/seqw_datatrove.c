/* lw_seqw backend: datatrove's tokenized files (DocumentTokenizer): PREFIX.ds
 * holds the ids back to back (uint16, or uint32 past 65536 ids),
 * PREFIX.ds.index the uint64 end of every document in tokens (of a packed
 * sequence: every sample's end, and the sequence's end after padding, so
 * DatatroveFolderDataset's positions restart at each sample), PREFIX.ds.loss
 * one byte (0/1) per token, and PREFIX.ds.metadata "TOKENIZER|SIZE", the
 * token count and the count in words. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "longweave/bufout.h"
#include "seqwriter_internal.h"

typedef struct {
    lw_bufout ds, index, loss;
    lw_outfile meta;
    bool loss_open;
    int token_size;
} datatrove_impl;

static lw_status dt_open(lw_seqw *w, lw_error *err)
{
    datatrove_impl *d = calloc(1, sizeof *d);
    if (!(w->impl = d))
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    d->token_size = w->o.vocab_size <= 65536 ? 2 : 4;
    w->dtype = d->token_size == 2 ? "uint16" : "uint32";
    lw_status st = seqw_open_file(w, &d->ds, ".ds", err);
    if (!st)
        st = seqw_open_file(w, &d->index, ".ds.index", err);
    if (!st && w->mask_on && !(st = seqw_open_file(w, &d->loss, ".ds.loss", err)))
        d->loss_open = true;
    return st;
}

static lw_status dt_add(lw_seqw *w, const uint32_t *ids, const uint8_t *mask, size_t n,
                        const uint32_t *doc_ends, size_t n_docs, lw_error *err)
{
    datatrove_impl *d = w->impl;
    lw_status st = lw_bufout_put_le(&d->ds, ids, n, d->token_size, err);
    size_t docs = w->packed ? n_docs : 0;
    for (size_t i = 0; i < docs && !st; i++)
        st = lw_bufout_put_u64(&d->index, w->tokens + doc_ends[i], err);
    /* the sequence's end: the padding is a document of its own, and the
     * index still ends at the token count */
    if (!st && (!docs || doc_ends[docs - 1] < n))
        st = lw_bufout_put_u64(&d->index, w->tokens + n, err);
    w->documents += docs + (!docs || doc_ends[docs - 1] < n);
    if (!st && mask)
        st = lw_bufout_put(&d->loss, mask, n, err);
    return st;
}

static lw_status dt_start_mask(lw_seqw *w, lw_error *err)
{
    datatrove_impl *d = w->impl;
    lw_status st = seqw_open_file(w, &d->loss, ".ds.loss", err);
    d->loss_open = !st;
    return st ? st : seqw_put_ones(&d->loss, w->tokens, err);
}

/* "1.23 MT", as datatrove's humanize.metric(count, unit="T") line. */
static void metric(uint64_t n, char *out, size_t cap)
{
    static const char *const prefix[] = {"", "k", "M", "G", "T", "P", "E"};
    double v = (double)n;
    int p = 0;
    while (v >= 1000 && p < 6) {
        v /= 1000;
        p++;
    }
    snprintf(out, cap, v >= 100 ? "%.0f %sT" : v >= 10 ? "%.1f %sT" : "%.2f %sT", v, prefix[p]);
}

static lw_status dt_finish(lw_seqw *w, lw_error *err)
{
    datatrove_impl *d = w->impl;
    lw_status st = lw_bufout_finish(&d->ds, err);
    if (!st)
        st = lw_bufout_finish(&d->index, err);
    if (!st && d->loss_open)
        st = lw_bufout_finish(&d->loss, err);
    char *p = st ? NULL : seqw_path(w, ".ds.metadata");
    if (!st && !p)
        st = lw_error_set(err, LW_E_NOMEM, "out of memory");
    if (!st && !(st = lw_outfile_open(&d->meta, p, true, err))) {
        char human[32], text[600];
        metric(w->tokens, human, sizeof human);
        int len = snprintf(text, sizeof text, "%s|%d\n%llu\n%s",
                           w->o.tokenizer_name ? w->o.tokenizer_name : "Unknown Tokenizer",
                           d->token_size, (unsigned long long)w->tokens, human);
        if (!(st = seqw_register(w, &d->meta, err)) &&
            !(st = lw_outfile_write(&d->meta, text, (size_t)len, err)))
            st = lw_outfile_finish(&d->meta, err);
    }
    free(p);
    return st;
}

static void dt_free(lw_seqw *w)
{
    datatrove_impl *d = w->impl;
    if (!d)
        return;
    lw_bufout_release(&d->ds);
    lw_bufout_release(&d->index);
    lw_bufout_release(&d->loss);
    lw_outfile_release(&d->meta);
    free(d);
}

const seqw_backend seqw_datatrove = {false, dt_open, dt_add, dt_start_mask,
                                     dt_finish, dt_free, NULL};
