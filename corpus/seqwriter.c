/* lw_seqw: format dispatch, id and length checks, the lazy loss mask, and
 * publishing the files of every backend together. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "longweave/fileio.h"
#include "longweave/megatron.h"
#include "seqwriter_internal.h"

static const char *const names[LW_SEQ_FORMATS] = {"megatron", "datatrove", "mds", "llmc",
                                                  "npy",      "jsonl",     "olmo"};
static const seqw_backend *const backends[LW_SEQ_FORMATS] = {
    &seqw_megatron, &seqw_datatrove, &seqw_mds, &seqw_llmc, &seqw_npy, &seqw_jsonl, &seqw_olmo};

const char *lw_seq_format_name(lw_seq_format f)
{
    return f < LW_SEQ_FORMATS ? names[f] : "?";
}

int lw_seq_format_parse(const char *name, lw_seq_format *f)
{
    for (int i = 0; i < LW_SEQ_FORMATS; i++)
        if (strcmp(name, names[i]) == 0) {
            *f = (lw_seq_format)i;
            return 0;
        }
    return -1;
}

const char *lw_seq_format_list(void)
{
    return LW_SEQ_FORMAT_LIST;
}

const char *lw_seq_format_first_file(lw_seq_format f)
{
    static const char *const first[LW_SEQ_FORMATS] = {".bin", ".ds", "/index.json",
                                                      "_000000.bin", ".npy", ".jsonl", ".npy"};
    return f < LW_SEQ_FORMATS ? first[f] : "";
}

uint32_t lw_seq_format_extra_tokens(lw_seq_format f)
{
    return f == LW_SEQ_DATATROVE ? 1 : 0;
}

lw_seqw_opts lw_seqw_opts_for(const lw_seq_output *o, uint32_t vocab_size, lw_mask_mode mask,
                              uint32_t fixed_len, const char *tokenizer_name)
{
    lw_seqw_opts w = {.format = o->format, .vocab_size = vocab_size, .mask = mask,
                      .fixed_len = fixed_len, .tokenizer_name = tokenizer_name,
                      .shard_tokens = o->shard_tokens, .shard_bytes = o->shard_bytes};
    return w;
}

lw_status lw_seqw_check(const lw_seqw_opts *o, lw_error *err)
{
    if (o->format >= LW_SEQ_FORMATS)
        return lw_error_set(err, LW_E_USAGE, "unknown output format");
    if (o->format == LW_SEQ_NPY && o->fixed_len == 0)
        return lw_error_set(err, LW_E_USAGE, "--format npy writes one N x L array, so it needs "
                            "sequences of one length (cip, pack); these vary");
    if (o->format == LW_SEQ_LLMC && o->mask == LW_MASK_ALWAYS)
        return lw_error_set(err, LW_E_USAGE, "--format llmc: llm.c shards hold no loss mask; "
                            "use megatron, datatrove, mds, npy, jsonl or olmo for SFT data%s",
                            o->vocab_size > 65536 ? LW_LLMC_UINT32_NOTE : "");
    if (o->mask == LW_MASK_LAZY && o->fixed_len == 0)
        return lw_error_set(err, LW_E_SOFTWARE, "a lazy loss mask needs fixed-length sequences");
    return LW_OK;
}

char *seqw_path(const lw_seqw *w, const char *suffix)
{
    size_t n = strlen(w->prefix) + strlen(suffix) + 1;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s%s", w->prefix, suffix);
    return p;
}

lw_status seqw_register(lw_seqw *w, lw_outfile *f, lw_error *err)
{
    if (w->n_files == SEQW_MAX_FILES)
        return lw_error_set(err, LW_E_SOFTWARE, "%s: too many output files", w->prefix);
    w->files[w->n_files++] = f;
    return LW_OK;
}

lw_status seqw_open_file(lw_seqw *w, lw_bufout *b, const char *suffix, lw_error *err)
{
    char *p = seqw_path(w, suffix);
    lw_status st = p ? lw_bufout_open(b, p, true, err)
                     : lw_error_set(err, LW_E_NOMEM, "out of memory");
    free(p);
    return st ? st : seqw_register(w, &b->f, err);
}

lw_status seqw_put_ones(lw_bufout *b, uint64_t n, lw_error *err)
{
    uint8_t ones[4096];
    memset(ones, 1, sizeof ones);
    lw_status st = LW_OK;
    for (uint64_t left = n; left && !st; left -= left < 4096 ? left : 4096)
        st = lw_bufout_put(b, ones, left < 4096 ? (size_t)left : 4096, err);
    return st;
}

lw_status lw_seqw_open(lw_seqw **out, const char *prefix, const lw_seqw_opts *o, lw_error *err)
{
    *out = NULL;
    lw_status st = lw_seqw_check(o, err);
    if (st)
        return st;
    lw_seqw *w = calloc(1, sizeof *w);
    if (!w || !(w->prefix = strdup(prefix))) {
        free(w);
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    }
    w->be = backends[o->format];
    w->o = *o;
    w->mask_on = o->mask == LW_MASK_ALWAYS || (o->mask == LW_MASK_LAZY && w->be->inline_mask);
    if ((st = w->be->open(w, err))) {
        lw_seqw_free(w);
        return st;
    }
    *out = w;
    return LW_OK;
}

lw_status lw_seqw_add(lw_seqw *w, const uint32_t *ids, const uint8_t *mask, size_t n,
                      const uint32_t *doc_ends, size_t n_docs, lw_error *err)
{
    if (w->o.fixed_len && n != w->o.fixed_len)
        return lw_error_set(err, LW_E_SOFTWARE, "%s: a sequence of %zu tokens in a dataset of "
                            "%u", w->prefix, n, w->o.fixed_len);
    for (size_t i = 0; i < n; i++)
        if (ids[i] >= w->o.vocab_size)
            return lw_error_set(err, LW_E_SOFTWARE, "token id %u is not below the vocabulary "
                                "size %u", ids[i], w->o.vocab_size);
    lw_status st;
    if (w->o.mask == LW_MASK_NONE) {
        mask = NULL;
    } else if (!w->mask_on && mask && memchr(mask, 0, n)) {
        if ((st = w->be->start_mask(w, err)))
            return st;
        w->mask_on = true;
    }
    /* an all-ones mask where none was given */
    uint8_t *ones = NULL;
    if (w->mask_on && !mask) {
        if (!(ones = malloc(n ? n : 1)))
            return lw_error_set(err, LW_E_NOMEM, "out of memory");
        memset(ones, 1, n);
        mask = ones;
    }
    st = w->be->add(w, ids, w->mask_on ? mask : NULL, n, doc_ends, n_docs, err);
    free(ones);
    w->label_id = w->label_source = NULL; /* it was this sequence's */
    if (st)
        return st;
    w->sequences++;
    w->tokens += n;
    return LW_OK;
}

lw_status lw_seqw_add_packed(lw_seqw *w, const uint32_t *ids, const uint8_t *mask, size_t n,
                             const uint32_t *doc_ends, size_t n_docs, const uint32_t *positions,
                             lw_error *err)
{
    for (size_t i = 0; i < n_docs; i++)
        if (doc_ends[i] > n || (i && doc_ends[i] < doc_ends[i - 1]))
            return lw_error_set(err, LW_E_SOFTWARE, "%s: sample ends do not rise within the "
                                "%zu tokens of a packed sequence", w->prefix, n);
    w->packed = true;
    w->positions = positions;
    lw_status st = lw_seqw_add(w, ids, mask, n, doc_ends, n_docs, err);
    w->packed = false;
    w->positions = NULL;
    return st;
}

void lw_seqw_label(lw_seqw *w, const char *id, size_t id_len, const char *source,
                   size_t source_len)
{
    w->label_id = id;
    w->label_id_len = id_len;
    w->label_source = source;
    w->label_source_len = source_len;
}

int lw_seqw_raw_dtype(const lw_seqw *w)
{
    return w->be->add_raw ? w->raw_dtype : 0;
}

lw_status lw_seqw_add_raw(lw_seqw *w, const void *data, const uint8_t *mask, size_t n,
                          lw_error *err)
{
    if (!w->be->add_raw)
        return lw_error_set(err, LW_E_SOFTWARE, "%s: no raw copying into this format",
                            w->prefix);
    if (w->o.fixed_len && n != w->o.fixed_len)
        return lw_error_set(err, LW_E_SOFTWARE, "%s: a sequence of %zu tokens in a dataset of "
                            "%u", w->prefix, n, w->o.fixed_len);
    uint8_t *ones = NULL;
    if (w->o.mask == LW_MASK_NONE) {
        mask = NULL;
    } else if (!mask) {
        if (!(ones = malloc(n ? n : 1)))
            return lw_error_set(err, LW_E_NOMEM, "out of memory");
        memset(ones, 1, n);
        mask = ones;
    }
    lw_status st = w->be->add_raw(w, data, w->mask_on ? mask : NULL, n, err);
    free(ones);
    if (st)
        return st;
    w->sequences++;
    w->tokens += n;
    return LW_OK;
}

void lw_seq_buf_free(lw_seq_buf *b)
{
    free(b->raw);
    free(b->mask);
    free(b->ids);
    memset(b, 0, sizeof *b);
}

lw_status lw_seqw_copy(lw_seqw *w, const lw_megatron_source *src, uint64_t q,
                       const lw_seq_packing *packing, lw_seq_buf *b, size_t *n, lw_error *err)
{
    size_t len = lw_megatron_length(&src->d, q), size = lw_megatron_dtype_size(src->d.dtype);
    if (len > b->cap) {
        unsigned char *raw = realloc(b->raw, len * size);
        if (raw)
            b->raw = raw;
        uint8_t *mask = realloc(b->mask, len);
        if (mask)
            b->mask = mask;
        uint32_t *ids = realloc(b->ids, len * sizeof *ids);
        if (ids)
            b->ids = ids;
        if (!raw || !mask || !ids)
            return lw_error_set(err, LW_E_NOMEM, "out of memory");
        b->cap = len;
    }
    lw_status st = lw_megatron_source_read(src, q, b->raw, b->mask, err);
    if (st)
        return st;
    const uint8_t *mask = src->masked ? b->mask : NULL;
    *n = len;
    if (!packing && lw_seqw_raw_dtype(w) == src->d.dtype)
        return lw_seqw_add_raw(w, b->raw, mask, len, err);
    for (size_t k = 0; k < len; k++)
        b->ids[k] = (uint32_t)lw_get_le(b->raw + k * size, (int)size);
    if (packing)
        return lw_seqw_add_packed(w, b->ids, mask, len, packing->ends, packing->n,
                                  packing->positions, err);
    return lw_seqw_add(w, b->ids, mask, len, NULL, 0, err);
}

lw_status lw_seqw_finish(lw_seqw *w, lw_error *err)
{
    return w->be->finish(w, err);
}

lw_status lw_seqw_publish(lw_seqw *w, lw_error *err)
{
    for (size_t i = 0; i < w->n_files; i++) {
        lw_status st = lw_outfile_publish(w->files[i], err);
        if (st) {
            for (size_t k = 0; k < i; k++)
                lw_outfile_unpublish(w->files[k]);
            return st;
        }
    }
    return LW_OK;
}

void lw_seqw_unpublish(lw_seqw *w)
{
    for (size_t i = 0; i < w->n_files; i++)
        lw_outfile_unpublish(w->files[i]);
}

void lw_seqw_info_get(const lw_seqw *w, lw_seqw_info *info)
{
    info->sequences = w->sequences;
    info->tokens = w->tokens;
    info->documents = w->o.format == LW_SEQ_DATATROVE ? w->documents : w->sequences;
    info->masked = w->mask_on;
    info->dtype = w->dtype;
}

size_t lw_seqw_files(const lw_seqw *w, const lw_outfile *const **files)
{
    *files = (const lw_outfile *const *)w->files;
    return w->n_files;
}

uint64_t lw_seqw_bytes(const lw_seqw *w)
{
    uint64_t n = 0;
    for (size_t i = 0; i < w->n_files; i++)
        n += w->files[i]->bytes;
    return n;
}

void lw_seqw_free(lw_seqw *w)
{
    if (!w)
        return;
    if (w->be)
        w->be->free(w);
    free(w->prefix);
    free(w);
}

const char *lw_seqw_prefix(const lw_seqw *w)
{
    return w->prefix;
}

lw_seq_format lw_seqw_format(const lw_seqw *w)
{
    return w->o.format;
}
