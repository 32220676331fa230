/* inspect: the Megatron datasets a path's manifests list, summarised. */
#include "longweave/inspect.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "longweave/megatron.h"

int lw_inspect_bin(uint64_t length)
{
    int k = 0;
    while (length && k < LW_INSPECT_BINS - 1) {
        length >>= 1;
        k++;
    }
    return k;
}

uint64_t lw_inspect_bin_low(int k)
{
    return k == 0 ? 0 : (uint64_t)1 << (k - 1);
}

static lw_status one(lw_inspect *in, const char *prefix, int mask, lw_inspect_dataset *out,
                     lw_error *err)
{
    lw_megatron_dataset d, m;
    lw_status st = lw_megatron_read(&d, prefix, err);
    if (st)
        return st;
    memset(out, 0, sizeof *out);
    out->dtype = d.dtype;
    out->sequences = d.sequences;
    out->documents = d.documents;
    out->min_len = UINT64_MAX;
    for (uint64_t s = 0; s < d.sequences; s++) {
        uint64_t n = lw_megatron_length(&d, s);
        out->tokens += n;
        out->min_len = n < out->min_len ? n : out->min_len;
        out->max_len = n > out->max_len ? n : out->max_len;
        in->hist[lw_inspect_bin(n)]++;
    }
    if (!d.sequences)
        out->min_len = 0;
    out->trained = out->tokens;
    size_t len = strlen(prefix) + 8;
    char *mp = malloc(len);
    if (mp) {
        snprintf(mp, len, "%s" LW_MEGATRON_MASK_SUFFIX, prefix);
        lw_error ignore;
        lw_status ms = mask == LW_MASK_ABSENT ? LW_E_NOINPUT : lw_megatron_read(&m, mp, &ignore);
        if (ms == LW_E_NOINPUT || (ms && mask == LW_MASK_PROBE)) {
            /* no mask */
        } else if (ms) {
            free(mp);
            lw_megatron_close(&d);
            if (err)
                *err = ignore;
            return ms;
        } else {
            out->masked = true;
            out->trained = 0;
            const unsigned char *b = m.bin;
            for (size_t i = 0; i < m.bin_size; i++)
                out->trained += b[i] == 1;
            lw_megatron_close(&m);
        }
    }
    free(mp);
    lw_megatron_close(&d);
    if (!(out->prefix = strdup(prefix)))
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    return LW_OK;
}

lw_status lw_inspect_run(const char *path, lw_inspect *in, lw_error *err)
{
    memset(in, 0, sizeof *in);
    lw_status st = lw_datasets_open(path, &in->set, err);
    size_t n = in->set.n;
    if (!st && !(in->ds = calloc(n ? n : 1, sizeof *in->ds)))
        st = lw_error_set(err, LW_E_NOMEM, "out of memory");
    for (size_t i = 0; i < n && !st; i++) {
        const lw_dataset *ds = &in->set.ds[i];
        if (ds->format != LW_SEQ_MEGATRON) {
            st = lw_error_set(err, LW_E_DATA, "%s is in the %s format: inspect reads Megatron "
                              "datasets (verify checks every format)", ds->prefix,
                              lw_seq_format_name(ds->format));
            break;
        }
        if ((st = one(in, ds->prefix, lw_dataset_mask(ds), &in->ds[i], err)))
            break;
        in->n++;
        lw_inspect_dataset *d = &in->ds[i];
        in->sequences += d->sequences;
        in->documents += d->documents;
        in->tokens += d->tokens;
        in->trained += d->trained;
        in->masked_tokens += d->masked ? d->tokens : 0;
    }
    if (st)
        lw_inspect_free(in);
    return st;
}

void lw_inspect_free(lw_inspect *in)
{
    for (size_t i = 0; i < in->n; i++)
        free(in->ds[i].prefix);
    free(in->ds);
    lw_datasets_free(&in->set);
    memset(in, 0, sizeof *in);
}
