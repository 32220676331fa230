/* lw_seqr (longweave.h): the public reader of token datasets. The Megatron
 * datasets a path names (lw_datasets_open: a PREFIX, a manifest, an output
 * directory) read one after the other as one run of sequences, through
 * lw_megatron_source, whose descriptors and maps stay behind this handle. */
#include <stdlib.h>
#include <string.h>

#include "longweave.h"
#include "longweave/dataset.h"
#include "longweave/megatron.h"

struct lw_seqr {
    lw_dataset_set set;
    lw_megatron_source *src;
    size_t n;
    uint64_t *first;       /* n + 1: the first sequence of each dataset, then the total */
    uint64_t tokens;
    bool masked;           /* every dataset has a loss mask */
    unsigned char *raw;
    size_t raw_cap;
};

void lw_seqr_close(lw_seqr *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++)
        lw_megatron_source_close(&r->src[i]);
    free(r->src);
    free(r->first);
    free(r->raw);
    lw_datasets_free(&r->set);
    free(r);
}

lw_status lw_seqr_open(lw_seqr **out, const char *path, lw_error *err)
{
    *out = NULL;
    lw_seqr *r = calloc(1, sizeof *r);
    if (!r)
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    lw_status st = lw_datasets_open(path, &r->set, err);
    if (!st && r->set.n == 0)
        st = lw_error_set(err, LW_E_NOINPUT, "%s: no token dataset there", path);
    for (size_t i = 0; !st && i < r->set.n; i++)
        if (r->set.ds[i].format != LW_SEQ_MEGATRON)
            st = lw_error_set(err, LW_E_USAGE, "%s is a %s dataset: lw_seqr reads megatron "
                              "datasets", r->set.ds[i].prefix,
                              lw_seq_format_name(r->set.ds[i].format));
    if (!st && (!(r->src = calloc(r->set.n, sizeof *r->src)) ||
                !(r->first = calloc(r->set.n + 1, sizeof *r->first))))
        st = lw_error_set(err, LW_E_NOMEM, "out of memory");
    r->masked = !st;
    for (size_t i = 0; !st && i < r->set.n; i++) {
        const lw_dataset *d = &r->set.ds[i];
        if ((st = lw_megatron_source_open(&r->src[i], d->prefix, lw_dataset_mask(d), err)))
            break;
        r->n++;
        const lw_megatron_dataset *m = &r->src[i].d;
        r->first[i + 1] = r->first[i] + m->sequences;
        for (uint64_t q = 0; q < m->sequences; q++)
            r->tokens += lw_megatron_length(m, q);
        r->masked = r->masked && r->src[i].masked;
    }
    if (st) {
        lw_seqr_close(r);
        return st;
    }
    *out = r;
    return LW_OK;
}

uint64_t lw_seqr_sequences(const lw_seqr *r)
{
    return r->first[r->n];
}

uint64_t lw_seqr_tokens(const lw_seqr *r)
{
    return r->tokens;
}

bool lw_seqr_masked(const lw_seqr *r)
{
    return r->masked;
}

/* The dataset sequence q lies in (q < the total), by binary search. */
static size_t dataset_of(const lw_seqr *r, uint64_t q)
{
    size_t lo = 0, hi = r->n - 1;
    while (lo < hi) {
        size_t mid = lo + (hi - lo + 1) / 2;
        if (r->first[mid] <= q)
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}

uint32_t lw_seqr_length(const lw_seqr *r, uint64_t q)
{
    if (q >= lw_seqr_sequences(r))
        return 0;
    size_t i = dataset_of(r, q);
    return lw_megatron_length(&r->src[i].d, q - r->first[i]);
}

lw_status lw_seqr_read(lw_seqr *r, uint64_t q, lw_ids *ids, lw_buf *mask, lw_error *err)
{
    uint64_t total = lw_seqr_sequences(r);
    if (q >= total)
        return lw_error_set(err, LW_E_USAGE, "sequence %llu of %llu: out of range",
                            (unsigned long long)q, (unsigned long long)total);
    size_t i = dataset_of(r, q);
    const lw_megatron_source *s = &r->src[i];
    uint64_t local = q - r->first[i];
    size_t n = lw_megatron_length(&s->d, local);
    size_t w = lw_megatron_dtype_size(s->d.dtype);
    if (n * w > r->raw_cap) {
        unsigned char *p = realloc(r->raw, n * w);
        if (!p)
            return lw_error_set(err, LW_E_NOMEM, "out of memory");
        r->raw = p;
        r->raw_cap = n * w;
    }
    ids->len = 0;
    if (mask)
        mask->len = 0;
    if (mask && s->masked && lw_buf_reserve_exact(mask, n))
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    lw_status st = lw_megatron_source_read(s, local, r->raw,
                                           mask && s->masked ? (uint8_t *)mask->data : NULL,
                                           err);
    if (st)
        return st;
    if (mask && s->masked)
        mask->len = n;
    for (size_t k = 0; k < n; k++) {
        const unsigned char *p = r->raw + k * w;
        uint32_t v = w == 2 ? (uint32_t)p[0] | (uint32_t)p[1] << 8
                   : w == 1 ? p[0]
                   : (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                     (uint32_t)p[3] << 24;
        if (lw_ids_push(ids, v))
            return lw_error_set(err, LW_E_NOMEM, "out of memory");
    }
    return LW_OK;
}
