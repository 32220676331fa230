/* lw_seqw backend: llm.c token shards (dev/data/data_common.py):
 * PREFIX_NNNNNN.bin, each a header of 256 int32 — magic 20240520 and
 * version 1 for uint16 ids (GPT-2 sized vocabularies), 20240801 and 7 for
 * uint32 (Llama 3) — with the shard's token count at [2], then the ids.
 * llm.c reads the shards as one stream of tokens, so sequences simply
 * follow each other and a shard ends after shard_tokens ids. No mask.
 * llm.c master's dataloader.h reads only 20240520/uint16 shards; the
 * uint32 ones are for its llama3 branch. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "longweave/bufout.h"
#include "seqwriter_internal.h"

enum { HEADER_INTS = 256 };
#define DEFAULT_SHARD_TOKENS 100000000ull

typedef struct {
    lw_bufout **shards;
    size_t n_shards;
    uint64_t in_shard, per_shard;
    int bytes;
    uint32_t magic, version;
} llmc_impl;

static lw_status close_shard(llmc_impl *l, lw_error *err)
{
    if (!l->n_shards)
        return LW_OK;
    lw_bufout *b = l->shards[l->n_shards - 1];
    unsigned char count[4];
    lw_put_le(count, l->in_shard, 4);
    lw_status st = lw_bufout_flush(b, err);
    if (!st)
        st = lw_outfile_rewrite_at(&b->f, 8, count, 4, err);
    return st ? st : lw_outfile_finish(&b->f, err);
}

static lw_status new_shard(lw_seqw *w, llmc_impl *l, lw_error *err)
{
    lw_status st = close_shard(l, err);
    if (st)
        return st;
    lw_bufout **p = realloc(l->shards, (l->n_shards + 1) * sizeof *p);
    if (!p)
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    l->shards = p;
    lw_bufout *b = calloc(1, sizeof *b);
    if (!(l->shards[l->n_shards] = b))
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    char name[32];
    snprintf(name, sizeof name, "_%06zu.bin", l->n_shards);
    l->n_shards++;
    char *path = seqw_path(w, name);
    st = path ? lw_bufout_open(b, path, true, err) : lw_error_set(err, LW_E_NOMEM, "out of memory");
    free(path);
    if (st || (st = seqw_register(w, &b->f, err)))
        return st;
    uint32_t header[HEADER_INTS] = {l->magic, l->version, 0};
    l->in_shard = 0;
    return lw_bufout_put_le(b, header, HEADER_INTS, 4, err);
}

static lw_status lc_open(lw_seqw *w, lw_error *err)
{
    llmc_impl *l = calloc(1, sizeof *l);
    if (!(w->impl = l))
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    bool small = w->o.vocab_size <= 65536;
    l->bytes = small ? 2 : 4;
    l->magic = small ? 20240520 : 20240801;
    l->version = small ? 1 : 7;
    w->dtype = small ? "uint16" : "uint32";
    l->per_shard = w->o.shard_tokens ? w->o.shard_tokens : DEFAULT_SHARD_TOKENS;
    if (l->per_shard > INT32_MAX)
        l->per_shard = INT32_MAX; /* the count is an int32 */
    return new_shard(w, l, err);
}

static lw_status lc_add(lw_seqw *w, const uint32_t *ids, const uint8_t *mask, size_t n,
                        const uint32_t *doc_ends, size_t n_docs, lw_error *err)
{
    (void)mask;
    (void)doc_ends;
    (void)n_docs;
    llmc_impl *l = w->impl;
    while (n > 0) {
        lw_status st;
        if (l->in_shard == l->per_shard && (st = new_shard(w, l, err)))
            return st;
        size_t take = l->per_shard - l->in_shard < n ? (size_t)(l->per_shard - l->in_shard) : n;
        if ((st = lw_bufout_put_le(l->shards[l->n_shards - 1], ids, take, l->bytes, err)))
            return st;
        l->in_shard += take;
        ids += take;
        n -= take;
    }
    return LW_OK;
}

static lw_status lc_start_mask(lw_seqw *w, lw_error *err)
{
    return lw_error_set(err, LW_E_DATA, "%s: llm.c shards hold no loss mask, and this output "
                        "masks some tokens (padding, knot markers); use another --format (or "
                        "cip --last drop without --knots)%s", w->prefix,
                        w->o.vocab_size > 65536 ? LW_LLMC_UINT32_NOTE : "");
}

static lw_status lc_finish(lw_seqw *w, lw_error *err)
{
    return close_shard(w->impl, err);
}

static void lc_free(lw_seqw *w)
{
    llmc_impl *l = w->impl;
    if (!l)
        return;
    for (size_t i = 0; i < l->n_shards; i++) {
        lw_bufout_release(l->shards[i]);
        free(l->shards[i]);
    }
    free(l->shards);
    free(l);
}

const seqw_backend seqw_llmc = {false, lc_open, lc_add, lc_start_mask,
                                lc_finish, lc_free, NULL};
