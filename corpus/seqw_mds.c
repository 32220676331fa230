/* lw_seqw backend: a MosaicML streaming (MDS) dataset in the directory
 * PREFIX, with ProLong's columns: input_ids (ndarray:uint32), indices
 * (ndarray:uint32 of shape (k, 2): the [start, end) of each document packed
 * into the sample) and, for masked outputs, mask (ndarray:uint8).
 *
 * A shard file is [u32 samples][u32 offsets x (samples + 1)][config JSON]
 * [samples], each sample [u32 size per column][column data], columns in
 * name order; NDArray data with a dynamic shape is [ndim << 2 | shape
 * dtype][shape][values]. index.json lists the shards. JSON is written as
 * Python's json.dumps(sort_keys=True) writes it, as MDSWriter does. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "longweave/bufout.h"
#include "longweave/buf.h"
#include "seqwriter_internal.h"

enum { DEFAULT_LIMIT = 1 << 26 };

typedef struct {
    lw_outfile file;
    uint64_t samples;
} shard;

typedef struct {
    lw_buf samples;       /* encoded samples of the open shard */
    uint32_t *sizes;      /* their sizes */
    size_t n, cap;
    shard **shards;
    size_t n_shards;
    lw_outfile index;
    lw_buf config;        /* the column config, as in every shard */
    lw_buf scratch;       /* the sample being encoded */
    lw_buf head;          /* a shard's header */
    uint64_t limit;
} mds_impl;

/* The shard config (with_tail: complete; else open, for an index entry). */
static int config_json(bool mask, uint64_t limit, lw_buf *b, bool with_tail)
{
    int rc = lw_buf_printf(b, "{\"column_encodings\": [\"ndarray:uint32\", \"ndarray:uint32\"%s], "
                  "\"column_names\": [\"indices\", \"input_ids\"%s], "
                  "\"column_sizes\": [null, null%s], \"compression\": null, "
                  "\"format\": \"mds\", \"hashes\": []",
                  mask ? ", \"ndarray:uint8\"" : "", mask ? ", \"mask\"" : "",
                  mask ? ", null" : "");
    if (with_tail)
        rc |= lw_buf_printf(b, ", \"size_limit\": %llu, \"version\": 2}",
                            (unsigned long long)limit);
    return rc;
}

static lw_status md_open(lw_seqw *w, lw_error *err)
{
    mds_impl *m = calloc(1, sizeof *m);
    if (!(w->impl = m))
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    m->limit = w->o.shard_bytes ? w->o.shard_bytes : DEFAULT_LIMIT;
    w->dtype = "uint32";
    return lw_mkdirs(w->prefix, err);
}

/* NDArray with a fixed dtype and a dynamic shape. */
static int put_ndarray(lw_buf *b, const uint64_t *shape, int ndim, const void *values,
                       size_t bytes)
{
    uint64_t max = 0;
    for (int i = 0; i < ndim; i++)
        max = shape[i] > max ? shape[i] : max;
    int code = max < (1u << 8) ? 0 : max < (1u << 16) ? 1 : max < (1ull << 32) ? 2 : 3;
    unsigned char head[1 + 8 * 4];
    head[0] = (unsigned char)(ndim << 2 | code);
    size_t k = 1;
    for (int i = 0; i < ndim; i++) {
        lw_put_le(head + k, shape[i], 1 << code);
        k += (size_t)1 << code;
    }
    return lw_buf_append(b, head, k) | lw_buf_append(b, values, bytes);
}

static lw_status flush_shard(lw_seqw *w, mds_impl *m, lw_error *err)
{
    if (m->n == 0)
        return LW_OK;
    shard **p = realloc(m->shards, (m->n_shards + 1) * sizeof *p);
    if (!p)
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    m->shards = p;
    shard *s = calloc(1, sizeof *s);
    if (!(m->shards[m->n_shards] = s))
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    m->n_shards++;
    s->samples = m->n;
    char name[48];
    snprintf(name, sizeof name, "/shard.%05zu.mds", m->n_shards - 1);
    char *path = seqw_path(w, name);
    lw_status st = path ? lw_outfile_open(&s->file, path, true, err)
                        : lw_error_set(err, LW_E_NOMEM, "out of memory");
    free(path);
    if (st || (st = seqw_register(w, &s->file, err)))
        return st;
    uint64_t head = 4 + 4 * ((uint64_t)m->n + 1) + m->config.len;
    if (head + m->samples.len > UINT32_MAX)
        return lw_error_set(err, LW_E_DATA, "%s: an MDS shard of %llu bytes is over 4 GiB",
                            w->prefix, (unsigned long long)(head + m->samples.len));
    m->head.len = 0;
    unsigned char v[4];
    lw_put_le(v, m->n, 4);
    int rc = lw_buf_append(&m->head, v, 4);
    uint64_t off = head;
    for (size_t i = 0; i <= m->n; i++) {
        lw_put_le(v, off, 4);
        rc |= lw_buf_append(&m->head, v, 4);
        if (i < m->n)
            off += m->sizes[i];
    }
    rc |= lw_buf_append(&m->head, m->config.data, m->config.len);
    if (rc)
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    if ((st = lw_outfile_write(&s->file, m->head.data, m->head.len, err)) ||
        (st = lw_outfile_write(&s->file, m->samples.data, m->samples.len, err)) ||
        (st = lw_outfile_finish(&s->file, err)))
        return st;
    m->samples.len = 0;
    m->n = 0;
    return LW_OK;
}

static lw_status md_add(lw_seqw *w, const uint32_t *ids, const uint8_t *mask, size_t n,
                        const uint32_t *doc_ends, size_t n_docs, lw_error *err)
{
    mds_impl *m = w->impl;
    if (n == 0)
        return lw_error_set(err, LW_E_DATA, "%s: MDS cannot hold an empty sequence (numpy "
                            "arrays of 0 elements are refused); --append-eod gives every "
                            "document a token", w->prefix);
    if (m->config.len == 0 && config_json(mask != NULL, m->limit, &m->config, true))
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    /* the sample: sizes of the columns, then indices, input_ids, mask */
    lw_buf *b = &m->scratch;
    b->len = 0;
    size_t docs = doc_ends ? n_docs : 1;
    uint32_t *pairs = malloc(2 * docs * sizeof *pairs);
    unsigned char *le = malloc(4 * n);
    if (!pairs || !le) {
        free(pairs);
        free(le);
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < docs; i++) {
        uint32_t start = i ? doc_ends[i - 1] : 0, end = doc_ends ? doc_ends[i] : (uint32_t)n;
        lw_put_le((unsigned char *)&pairs[2 * i], start, 4);
        lw_put_le((unsigned char *)&pairs[2 * i + 1], end, 4);
    }
    lw_store_le(le, ids, n, 4);
    lw_buf body = {0};
    uint64_t shape_pairs[2] = {docs, 2}, shape_ids[1] = {n};
    int rc = put_ndarray(&body, shape_pairs, 2, pairs, 8 * docs);
    size_t s0 = body.len;
    rc |= put_ndarray(&body, shape_ids, 1, le, 4 * n);
    size_t s1 = body.len - s0;
    size_t s2 = 0;
    if (mask) {
        rc |= put_ndarray(&body, shape_ids, 1, mask, n);
        s2 = body.len - s0 - s1;
    }
    free(pairs);
    free(le);
    unsigned char v[4];
    lw_put_le(v, s0, 4);
    rc |= lw_buf_append(b, v, 4);
    lw_put_le(v, s1, 4);
    rc |= lw_buf_append(b, v, 4);
    if (mask) {
        lw_put_le(v, s2, 4);
        rc |= lw_buf_append(b, v, 4);
    }
    rc |= lw_buf_append(b, body.data, body.len);
    lw_buf_free(&body);
    if (rc)
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    /* MDSWriter's rule: a new shard when this sample would pass the limit */
    uint64_t shard_size = 8 + m->config.len + m->samples.len + 4 * (uint64_t)m->n;
    lw_status st;
    if (shard_size + b->len + 4 > m->limit && (st = flush_shard(w, m, err)))
        return st;
    if (m->n == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 1024;
        uint32_t *p = realloc(m->sizes, cap * sizeof *p);
        if (!p)
            return lw_error_set(err, LW_E_NOMEM, "out of memory");
        m->sizes = p;
        m->cap = cap;
    }
    if (lw_buf_append(&m->samples, b->data, b->len))
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    m->sizes[m->n++] = (uint32_t)b->len;
    return LW_OK;
}

static lw_status md_start_mask(lw_seqw *w, lw_error *err)
{
    (void)w;
    return lw_error_set(err, LW_E_SOFTWARE, "mds writes its mask inline");
}

static lw_status md_finish(lw_seqw *w, lw_error *err)
{
    mds_impl *m = w->impl;
    lw_status st = flush_shard(w, m, err);
    if (st)
        return st;
    lw_buf idx = {0};
    int rc = lw_buf_puts(&idx, "{\"shards\": [");
    for (size_t i = 0; i < m->n_shards; i++) {
        const shard *s = m->shards[i];
        if (i)
            rc |= lw_buf_puts(&idx, ", ");
        rc |= config_json(w->mask_on, m->limit, &idx, false);
        rc |= lw_buf_printf(&idx, ", \"raw_data\": {\"basename\": \"shard.%05zu.mds\", "
                            "\"bytes\": %llu, \"hashes\": {}}, \"samples\": %llu, "
                            "\"size_limit\": %llu, \"version\": 2, \"zip_data\": null}",
                            i, (unsigned long long)s->file.bytes,
                            (unsigned long long)s->samples, (unsigned long long)m->limit);
    }
    rc |= lw_buf_puts(&idx, "], \"version\": 2}");
    char *path = seqw_path(w, "/index.json");
    if (rc || !path)
        st = lw_error_set(err, LW_E_NOMEM, "out of memory");
    else if (!(st = lw_outfile_open(&m->index, path, true, err)) &&
             !(st = seqw_register(w, &m->index, err)) &&
             !(st = lw_outfile_write(&m->index, idx.data, idx.len, err)))
        st = lw_outfile_finish(&m->index, err);
    free(path);
    lw_buf_free(&idx);
    return st;
}

static void md_free(lw_seqw *w)
{
    mds_impl *m = w->impl;
    if (!m)
        return;
    for (size_t i = 0; i < m->n_shards; i++) {
        lw_outfile_release(&m->shards[i]->file);
        free(m->shards[i]);
    }
    free(m->shards);
    lw_outfile_release(&m->index);
    lw_buf_free(&m->samples);
    lw_buf_free(&m->config);
    lw_buf_free(&m->scratch);
    lw_buf_free(&m->head);
    free(m->sizes);
    free(m);
}

const seqw_backend seqw_mds = {true, md_open, md_add, md_start_mask,
                               md_finish, md_free, NULL};
