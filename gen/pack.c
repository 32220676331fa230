/* pack: SFT samples packed best-fit decreasing into fixed-length sequences
 * (a segment tree over the room left finds the tightest open sequence), or
 * sorted by length into shuffled batches; tokens through a sequence writer,
 * cu_seqlens (ending at the sequence length), position ids and loss
 * weights as Megatron companions. */
#include "longweave/pack.h"
#include "pack_companions.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "longweave/fileio.h"
#include "longweave/json_build.h"
#include "longweave/inspect.h"
#include "longweave/dataset.h"
#include "longweave/megatron.h"
#include "longweave/pad.h"
#include "longweave/rng.h"
#include "longweave/tokenizer.h"

typedef struct {
    uint32_t src;
    uint32_t len;       /* tokens it contributes (after truncation) */
    uint64_t q;         /* its sequence in the source */
    uint64_t order;     /* position in the input, for ties */
} item;

static int by_length_desc(const void *a, const void *b)
{
    const item *x = a, *y = b;
    if (x->len != y->len)
        return x->len < y->len ? 1 : -1;
    return (x->order > y->order) - (x->order < y->order);
}

/* Counts of open sequences per room left, and the least room >= s. */
typedef struct {
    uint32_t *count; /* segment tree over rooms 0..size-1 */
    size_t size;
} room_tree;

static int tree_init(room_tree *t, uint32_t max_room)
{
    t->size = 1;
    while (t->size < (size_t)max_room + 1)
        t->size <<= 1;
    t->count = calloc(2 * t->size, sizeof *t->count);
    return t->count ? 0 : -1;
}

static void tree_add(room_tree *t, uint32_t room, int delta)
{
    for (size_t i = t->size + room; i >= 1; i >>= 1)
        t->count[i] = (uint32_t)((int64_t)t->count[i] + delta);
}

/* The least room >= s with an open sequence, or -1. */
static int64_t tree_find(const room_tree *t, uint32_t s)
{
    /* walk up from leaf s to a node whose right part has a count, then down */
    size_t i = t->size + s;
    if (t->count[i])
        return s;
    while (i > 1) {
        if (!(i & 1) && t->count[i + 1]) {
            i++;
            while (i < t->size)
                i = t->count[2 * i] ? 2 * i : 2 * i + 1;
            return (int64_t)(i - t->size);
        }
        i >>= 1;
    }
    return -1;
}

/* Best-fit decreasing: items (sorted longest first) get bin numbers;
 * *bins is the count. Open bins of equal room are a stack (the newest
 * first), so the result depends only on the input. */
static lw_status best_fit(item *items, size_t n, uint32_t cap, uint64_t *bin_of, uint64_t *bins,
                          lw_error *err)
{
    room_tree t;
    int64_t *head = malloc(((size_t)cap + 1) * sizeof *head);
    uint64_t *next = malloc((n ? n : 1) * sizeof *next);
    if (!head || !next || tree_init(&t, cap)) {
        free(head);
        free(next);
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    }
    for (size_t r = 0; r <= cap; r++)
        head[r] = -1;
    uint64_t nb = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t s = items[i].len;
        int64_t room = tree_find(&t, s);
        uint64_t b;
        if (room < 0) {
            b = nb++;
            room = cap;
        } else {
            b = (uint64_t)head[room];
            head[room] = next[b] == UINT64_MAX ? -1 : (int64_t)next[b];
            tree_add(&t, (uint32_t)room, -1);
        }
        bin_of[i] = b;
        uint32_t left = (uint32_t)room - s;
        next[b] = head[left] < 0 ? UINT64_MAX : (uint64_t)head[left];
        head[left] = (int64_t)b;
        tree_add(&t, left, 1);
    }
    *bins = nb;
    free(head);
    free(next);
    free(t.count);
    return LW_OK;
}

typedef struct {
    const lw_pack_config *cfg;
    lw_pack_stats *stats;
    lw_megatron_source *src;
    size_t n_src;
    int dtype;
    lw_seqw *w;
    lw_megatron_writer *cu, *pos, *wt;
    /* buffers of one output sequence */
    uint32_t *ids, *ends, *cu_v, *pos_v;
    uint8_t *mask;
    unsigned char *wt_v;
    size_t cap;
    uint32_t pad;
} packer;

static lw_status grow(packer *p, size_t n, lw_error *err)
{
    if (n <= p->cap)
        return LW_OK;
    uint32_t *ids = realloc(p->ids, n * sizeof *ids);
    if (ids)
        p->ids = ids;
    uint32_t *ends = realloc(p->ends, (n + 1) * sizeof *ends);
    if (ends)
        p->ends = ends;
    uint32_t *cu = realloc(p->cu_v, (n + 2) * sizeof *cu);
    if (cu)
        p->cu_v = cu;
    uint32_t *pos = realloc(p->pos_v, n * sizeof *pos);
    if (pos)
        p->pos_v = pos;
    uint8_t *mask = realloc(p->mask, n);
    if (mask)
        p->mask = mask;
    unsigned char *wt = realloc(p->wt_v, 4 * n);
    if (wt)
        p->wt_v = wt;
    if (!ids || !ends || !cu || !pos || !mask || !wt)
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    p->cap = n;
    return LW_OK;
}

/* Append item it's tokens, mask, positions and weights at offset at. */
static lw_status put_item(packer *p, const item *it, size_t at, lw_error *err)
{
    lw_megatron_source *s = &p->src[it->src];
    size_t full = lw_megatron_length(&s->d, it->q), size = lw_megatron_dtype_size(p->dtype);
    lw_status st = grow(p, at + it->len, err);
    if (st)
        return st;
    /* read the whole sample (a truncated one is cut after reading) */
    unsigned char *tmp = malloc(full * size + 1);
    uint8_t *m = malloc(full + 1);
    if (!tmp || !m) {
        free(tmp);
        free(m);
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    }
    if (!(st = lw_megatron_source_read(s, it->q, tmp, m, err))) {
        uint64_t trained = 0;
        for (size_t k = 0; k < it->len; k++) {
            p->ids[at + k] = (uint32_t)lw_get_le(tmp + k * size, (int)size);
            p->mask[at + k] = s->masked ? m[k] : 1;
            trained += p->mask[at + k] == 1;
            p->pos_v[at + k] = p->cfg->positions_continuous ? (uint32_t)(at + k) : (uint32_t)k;
        }
        float w = trained ? 1.0f / (float)trained : 0.0f;
        uint32_t bits;
        memcpy(&bits, &w, 4);
        for (size_t k = 0; k < it->len; k++)
            lw_put_le(p->wt_v + 4 * (at + k), p->mask[at + k] == 1 ? bits : 0, 4);
        p->stats->trained += trained;
    }
    free(tmp);
    free(m);
    return st;
}

/* Write one output sequence of n tokens made of k samples (ends in p->ends). */
static lw_status emit(packer *p, size_t n, size_t k, bool pad_to_len, lw_error *err)
{
    size_t len = pad_to_len ? p->cfg->seq_len : n;
    lw_status st = grow(p, len, err);
    if (st)
        return st;
    for (size_t i = n; i < len; i++) {
        p->ids[i] = p->pad;
        p->mask[i] = 0;
        p->pos_v[i] = p->cfg->positions_continuous ? (uint32_t)i : (uint32_t)(i - n);
        lw_put_le(p->wt_v + 4 * i, 0, 4);
    }
    p->stats->padding += len - n;
    p->stats->tokens += len;
    if ((st = lw_seqw_add_packed(p->w, p->ids, p->mask, len, p->ends, k, p->pos_v, err)))
        return st;
    if (p->cu) {
        /* 0, then each sample's end, the last one moved to the sequence's
         * end: the padding joins the last sample (loss mask 0), as NeMo's
         * packed SFT sets cu_seqlens[-1] = max_length for the attention
         * kernels, which expect no tokens outside a segment */
        p->cu_v[0] = 0;
        for (size_t i = 0; i < k; i++)
            p->cu_v[i + 1] = p->ends[i];
        if (k)
            p->cu_v[k] = (uint32_t)len;
        if ((st = lw_megatron_add(p->cu, p->cu_v, k + 1, err)) ||
            (st = lw_megatron_end_document(p->cu, err)))
            return st;
    }
    if (p->pos && ((st = lw_megatron_add(p->pos, p->pos_v, len, err)) ||
                   (st = lw_megatron_end_document(p->pos, err))))
        return st;
    if (p->wt && ((st = lw_megatron_add_raw(p->wt, p->wt_v, len, err)) ||
                  (st = lw_megatron_end_document(p->wt, err))))
        return st;
    p->stats->packed_sequences++;
    return LW_OK;
}

static lw_status open_side(lw_megatron_writer **w, const char *prefix, const char *role,
                           int dtype, uint32_t limit, lw_error *err)
{
    char *p = lw_concat(prefix, ".", role);
    if (!p)
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    lw_status st = lw_megatron_open_dtype(w, p, dtype, limit, err);
    free(p);
    return st;
}

/* false: out of memory */
static bool side_files(cJSON *m, lw_megatron_writer *w, const char *role, const char *prefix,
                       const char *dir)
{
    if (!w)
        return true;
    lw_megatron_info info;
    lw_megatron_info_get(w, &info);
    return lw_manifest_put_outfile(m, dir, info.bin, prefix, role) &&
           lw_manifest_put_outfile(m, dir, info.idx, prefix, role);
}

lw_status lw_pack_run(const lw_pack_config *cfg, lw_pack_stats *stats, lw_error *err)
{
    memset(stats, 0, sizeof *stats);
    if (!cfg->output || !*cfg->output || !cfg->n_inputs)
        return lw_error_set(err, LW_E_USAGE, "give the inputs and -o PREFIX");
    if (cfg->strategy == LW_PACK_BFD && cfg->seq_len == 0)
        return lw_error_set(err, LW_E_USAGE, "--seq-len is required for packing");
    /* --seq-len is the trainer's; a format whose reader takes one token more
     * per window (lw_seq_format_extra_tokens) gets sequences one longer */
    const uint32_t trainer_len = cfg->seq_len;
    lw_pack_config stored = *cfg;
    if (cfg->strategy == LW_PACK_BFD)
        stored.seq_len += lw_seq_format_extra_tokens(cfg->output_format.format);
    cfg = &stored;
    packer p = {.cfg = cfg, .stats = stats};
    lw_dataset_set set = {0};
    item *items = NULL;
    uint64_t *bin_of = NULL, *first = NULL, *members = NULL;
    lw_output *out = NULL;
    lw_combine comb = {.cmd_what = "packed"};
    lw_pad pad;
    lw_status st = LW_OK;
    for (size_t i = 0; i < cfg->n_inputs && !st; i++)
        st = lw_datasets_open(cfg->inputs[i], &set, err);
    if (st)
        goto done;
    if (!(p.src = calloc(set.n ? set.n : 1, sizeof *p.src))) {
        st = lw_error_set(err, LW_E_NOMEM, "out of memory");
        goto done;
    }
    uint64_t n_items = 0;
    for (size_t i = 0; i < set.n; i++)
        p.src[i].fd = p.src[i].mfd = -1;
    for (size_t i = 0; i < set.n && !st; i++) {
        if ((st = lw_combine_add(&comb, &set.ds[i], 0, err)) ||
            (st = lw_megatron_source_open(&p.src[i], set.ds[i].prefix,
                                                 lw_dataset_mask(&set.ds[i]), err)))
            break;
        p.n_src++;
        if (p.src[i].d.dtype != p.src[0].d.dtype)
            st = lw_error_set(err, LW_E_DATA, "%s and %s have ids of different types",
                              set.ds[i].prefix, set.ds[0].prefix);
        n_items += p.src[i].d.sequences;
    }
    if (st)
        goto done;
    p.dtype = p.n_src ? p.src[0].d.dtype : LW_MEGATRON_UINT16;
    uint32_t vocab = comb.tok.known ? comb.tok.vocab_size
                     : p.dtype == LW_MEGATRON_UINT16 ? 65500 : INT32_MAX;
    /* the pad id (lw_pad_choose), from the tokenizer the manifest names when
     * it can be loaded */
    {
        lw_tok_opts to = lw_tok_ref_opts(&comb.tok);
        lw_tokenizer *t = NULL;
        lw_error ignore;
        if (comb.tok.known && lw_tok_load(&t, comb.tok.path, &to, &ignore) != LW_OK)
            t = NULL;
        st = lw_pad_choose(&pad, t, cfg->pad_id, -1, err);
        lw_tok_free(t);
        if (st)
            goto done;
        p.pad = pad.id;
    }
    if (p.pad >= vocab) {
        st = lw_error_set(err, LW_E_USAGE, "--pad-id %u is not below the vocabulary size %u",
                          p.pad, vocab);
        goto done;
    }
    items = malloc((n_items ? n_items : 1) * sizeof *items);
    if (!items) {
        st = lw_error_set(err, LW_E_NOMEM, "out of memory");
        goto done;
    }
    size_t n = 0;
    for (size_t i = 0; i < p.n_src; i++)
        for (uint64_t q = 0; q < p.src[i].d.sequences; q++) {
            uint64_t len = lw_megatron_length(&p.src[i].d, q);
            stats->samples++;
            if (cfg->strategy == LW_PACK_BFD && len > cfg->seq_len) {
                if (!cfg->truncate_long) {
                    stats->too_long++;
                    continue;
                }
                stats->truncated++;
                len = cfg->seq_len;
            }
            items[n] = (item){(uint32_t)i, (uint32_t)len, q, n};
            n++;
        }
    qsort(items, n, sizeof *items, by_length_desc);
    /* the output (it always has a mask: padding is never trained) */
    bool pack = cfg->strategy == LW_PACK_BFD;
    lw_seqw_opts o = lw_seqw_opts_for(&cfg->output_format, vocab, LW_MASK_ALWAYS,
                                      pack ? cfg->seq_len : 0,
                                      comb.tok.known ? comb.tok.name : NULL);
    lw_output_spec spec = {cfg->output, LW_OUT_PREFIX, 0, 1, cfg->force, "a packed dataset"};
    if ((st = lw_seqw_check(&o, err)) || (st = lw_output_claim(&out, &spec, err)))
        goto done;
    st = lw_seqw_open(&p.w, cfg->output, &o, err);
    if (!st && pack)
        st = open_side(&p.cu, cfg->output, lw_pack_companion_roles[0], LW_MEGATRON_INT32,
                       cfg->seq_len + 1, err);
    if (!st && pack)
        st = open_side(&p.pos, cfg->output, lw_pack_companion_roles[1],
                       cfg->seq_len <= 65536 ? LW_MEGATRON_UINT16 : LW_MEGATRON_INT32,
                       cfg->seq_len, err);
    if (!st && cfg->sample_weights)
        st = open_side(&p.wt, cfg->output, lw_pack_companion_roles[2], LW_MEGATRON_FLOAT32,
                       UINT32_MAX, err);
    if (st)
        goto done;
    if (pack) {
        uint64_t bins = 0;
        bin_of = malloc((n ? n : 1) * sizeof *bin_of);
        if (!bin_of) {
            st = lw_error_set(err, LW_E_NOMEM, "out of memory");
        } else if (!(st = best_fit(items, n, cfg->seq_len, bin_of, &bins, err))) {
            /* the items of each bin, in the order they went in */
            first = calloc(bins + 1, sizeof *first);
            members = malloc((n ? n : 1) * sizeof *members);
            if (!first || !members) {
                st = lw_error_set(err, LW_E_NOMEM, "out of memory");
            } else {
                for (size_t i = 0; i < n; i++)
                    first[bin_of[i] + 1]++;
                for (uint64_t b = 0; b < bins; b++)
                    first[b + 1] += first[b];
                uint64_t *fill = calloc(bins + 1, sizeof *fill);
                if (!fill) {
                    st = lw_error_set(err, LW_E_NOMEM, "out of memory");
                } else {
                    for (size_t i = 0; i < n; i++)
                        members[first[bin_of[i]] + fill[bin_of[i]]++] = i;
                    free(fill);
                }
            }
            for (uint64_t b = 0; b < bins && !st; b++) {
                size_t at = 0, k = 0;
                for (uint64_t j = first[b]; j < first[b + 1] && !st; j++) {
                    const item *it = &items[members[j]];
                    if ((st = put_item(&p, it, at, err)) || (st = grow(&p, k + 1, err)))
                        break;
                    at += it->len;
                    p.ends[k++] = (uint32_t)at;
                }
                if (!st)
                    st = emit(&p, at, k, true, err);
            }
        }
    } else {
        /* sorted batches, in a seeded order of batches */
        uint32_t bs = cfg->batch_size ? cfg->batch_size : 8;
        uint64_t batches = (n + bs - 1) / bs;
        uint64_t *order = malloc((batches ? batches : 1) * sizeof *order);
        if (!order) {
            st = lw_error_set(err, LW_E_NOMEM, "out of memory");
        } else {
            for (uint64_t b = 0; b < batches; b++)
                order[b] = b;
            lw_rng r;
            lw_rng_init(&r, cfg->seed, LW_STREAM_SHUFFLE, 0);
            for (uint64_t b = batches; b > 1; b--) {
                uint64_t j = lw_rng_below(&r, b);
                uint64_t t = order[b - 1];
                order[b - 1] = order[j];
                order[j] = t;
            }
            for (uint64_t b = 0; b < batches && !st; b++)
                for (uint64_t i = order[b] * bs; i < n && i < (order[b] + 1) * bs && !st; i++) {
                    if (!(st = put_item(&p, &items[i], 0, err)) && !(st = grow(&p, 1, err))) {
                        p.ends[0] = items[i].len;
                        st = emit(&p, items[i].len, 1, false, err);
                    }
                }
            free(order);
        }
    }
    if (!st)
        st = lw_seqw_finish(p.w, err);
    lw_megatron_writer *sides[3] = {p.cu, p.pos, p.wt};
    for (int i = 0; i < 3 && !st; i++)
        if (sides[i])
            st = lw_megatron_finish(sides[i], err);
    if (!st)
        st = lw_seqw_publish(p.w, err);
    for (int i = 0; i < 3 && !st; i++)
        if (sides[i])
            st = lw_megatron_publish(sides[i], err);
    if (!st) {
        cJSON *m = lw_manifest_new("pack", 0, 1);
        cJSON *c = cJSON_AddObjectToObject(m, "config");
        bool ok = c != NULL;
        ok &= cJSON_AddStringToObject(c, "strategy",
                                      pack ? "best-fit-decreasing" : "sorted-batches") != NULL;
        ok &= cJSON_AddNumberToObject(c, "seq_len", trainer_len) != NULL;
        if (cfg->seq_len != trainer_len)
            ok &= cJSON_AddNumberToObject(c, "stored_len", cfg->seq_len) != NULL;
        ok &= cJSON_AddStringToObject(c, "loss_weighting",
                                      cfg->sample_weights ? "sample" : "token") != NULL;
        ok &= cJSON_AddStringToObject(c, "positions",
                                      cfg->positions_continuous ? "continuous" : "reset") != NULL;
        ok &= cJSON_AddStringToObject(c, "long_samples",
                                      cfg->truncate_long ? "truncate" : "skip") != NULL;
        ok &= lw_pad_to_json(c, &pad);
        if (!pack) {
            ok &= cJSON_AddNumberToObject(c, "batch_size",
                                          cfg->batch_size ? cfg->batch_size : 8) != NULL;
            ok &= cJSON_AddNumberToObject(c, "seed", (double)cfg->seed) != NULL;
        }
        cJSON *in = cJSON_AddArrayToObject(c, "inputs");
        ok &= in != NULL;
        for (size_t i = 0; i < set.n; i++)
            ok &= lw_json_push(in, cJSON_CreateString(set.ds[i].prefix));
        ok &= lw_manifest_put_tokenizer(m, &comb.tok);
        ok &= cJSON_AddStringToObject(m, "format_name",
                                      lw_seq_format_name(cfg->output_format.format)) != NULL;
        cJSON *s = cJSON_AddObjectToObject(m, "stats");
        ok &= s != NULL;
        ok &= cJSON_AddNumberToObject(s, "samples", (double)stats->samples) != NULL;
        ok &= cJSON_AddNumberToObject(s, "sequences", (double)stats->packed_sequences) != NULL;
        ok &= cJSON_AddNumberToObject(s, "tokens", (double)stats->tokens) != NULL;
        ok &= cJSON_AddNumberToObject(s, "padding", (double)stats->padding) != NULL;
        ok &= cJSON_AddNumberToObject(s, "trained_tokens", (double)stats->trained) != NULL;
        ok &= cJSON_AddNumberToObject(s, "too_long_skipped", (double)stats->too_long) != NULL;
        ok &= cJSON_AddNumberToObject(s, "truncated", (double)stats->truncated) != NULL;
        ok &= lw_manifest_put_dataset(m, p.w, lw_output_dir(out));
        if (ok && cfg->output_format.format == LW_SEQ_JSONL) {
            /* the keys of each record, for a reader choosing its collator */
            static const char *const cols[] = {"input_ids", "labels", "attention_mask",
                                               "position_ids", "seq_lengths"};
            cJSON *ds = cJSON_GetArrayItem(cJSON_GetObjectItem(m, "datasets"), 0);
            cJSON *a = ds ? cJSON_AddArrayToObject(ds, "columns") : NULL;
            ok &= a != NULL;
            for (size_t i = 0; ok && i < sizeof cols / sizeof *cols; i++)
                ok &= lw_json_push(a, cJSON_CreateString(cols[i]));
        }
        for (int i = 0; i < 3; i++)
            ok &= side_files(m, sides[i], lw_pack_companion_roles[i], cfg->output,
                             lw_output_dir(out));
        st = ok ? lw_output_commit(out, m, err)
                : lw_error_set(err, LW_E_NOMEM, "out of memory building the manifest");
        cJSON_Delete(m);
        if (st) {
            lw_seqw_unpublish(p.w);
            for (int i = 0; i < 3; i++)
                if (sides[i])
                    lw_megatron_unpublish(sides[i]);
        }
    }
done:
    lw_seqw_free(p.w);
    lw_megatron_free(p.cu);
    lw_megatron_free(p.pos);
    lw_megatron_free(p.wt);
    for (size_t i = 0; i < p.n_src; i++)
        lw_megatron_source_close(&p.src[i]);
    free(p.src);
    lw_output_release(out);
    lw_datasets_free(&set);
    free(items);
    free(bin_of);
    free(first);
    free(members);
    free(p.ids);
    free(p.ends);
    free(p.cu_v);
    free(p.pos_v);
    free(p.mask);
    free(p.wt_v);
    return st;
}
