/* mix: sources drawn in keyed random orders (Feistel permutations, no
 * tables), interleaved by the deficit rule, written through a sequence
 * writer, with a manifest of what each source gave. */
#include "longweave/mix.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "longweave/fileio.h"
#include "longweave/json_build.h"
#include "longweave/hash.h"
#include "longweave/dataset.h"
#include "longweave/megatron.h"
#include "longweave/rng.h"

void lw_perm_init(lw_perm *p, uint64_t n, uint64_t key)
{
    int bits = 2;
    while (bits < 62 && ((uint64_t)1 << bits) < n)
        bits++;
    bits += bits & 1; /* balanced halves */
    p->n = n;
    p->key = key;
    p->left_bits = p->right_bits = bits / 2;
}

/* Four Feistel rounds on 2 x half bits: a permutation of [0, 2^bits). */
static uint64_t feistel(const lw_perm *p, uint64_t x)
{
    int half = p->right_bits;
    uint64_t mask = ((uint64_t)1 << half) - 1;
    uint64_t l = x >> half, r = x & mask;
    for (uint64_t round = 0; round < 4; round++) {
        uint64_t f = lw_mix64(r ^ lw_mix64(p->key + round * 0x9E3779B97F4A7C15ull)) & mask;
        uint64_t nl = r;
        r = l ^ f;
        l = nl;
    }
    return l << half | r;
}

uint64_t lw_perm_at(const lw_perm *p, uint64_t i)
{
    uint64_t x = i;
    do /* cycle walking: values past n map on until they land inside */
        x = feistel(p, x);
    while (x >= p->n);
    return x;
}

typedef struct {
    lw_megatron_source s;
    uint64_t target, taken, next;
    uint32_t pass;
    lw_perm perm;
} source;

static uint64_t pass_key(uint64_t seed, size_t src, uint32_t pass)
{
    return lw_rng_at(seed, LW_STREAM_MIX, (uint64_t)src << 32 | pass);
}

lw_status lw_mix_run(const lw_mix_config *cfg, lw_mix_stats *stats, lw_error *err)
{
    memset(stats, 0, sizeof *stats);
    size_t n = cfg->n_sources;
    if (n == 0 || n > LW_MIX_MAX_SOURCES)
        return lw_error_set(err, LW_E_USAGE, "give 1 to %d sources", LW_MIX_MAX_SOURCES);
    if (!cfg->output || !*cfg->output)
        return lw_error_set(err, LW_E_USAGE, "no output prefix given (-o PREFIX)");
    if (!cfg->tokens)
        return lw_error_set(err, LW_E_USAGE, "--tokens must be positive");
    double total = 0;
    for (size_t i = 0; i < n; i++) {
        if (!(cfg->share[i] > 0))
            return lw_error_set(err, LW_E_USAGE, "%s: shares must be positive", cfg->prefix[i]);
        total += cfg->share[i];
    }
    source *src = calloc(n, sizeof *src);
    if (!src)
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    lw_status st = LW_OK;
    lw_seqw *w = NULL;
    lw_output *out = NULL;
    lw_dataset_set *sets = calloc(n, sizeof *sets);
    lw_combine comb = {.cmd_what = "mixed"};
    bool masked = false;
    if (!sets) {
        free(src);
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < n; i++)
        src[i].s.fd = src[i].s.mfd = -1;
    for (size_t i = 0; i < n && !st; i++) {
        source *s = &src[i];
        if ((st = lw_datasets_open(cfg->prefix[i], &sets[i], err)))
            break;
        if (sets[i].n != 1) {
            st = lw_error_set(err, LW_E_USAGE, "%s holds %zu datasets: give each source as one "
                              "dataset PREFIX", cfg->prefix[i], sets[i].n);
            break;
        }
        if ((st = lw_combine_add(&comb, &sets[i].ds[0], 0, err)) ||
            (st = lw_megatron_source_open(&s->s, sets[i].ds[0].prefix,
                                                 lw_dataset_mask(&sets[i].ds[0]), err)))
            break;
        if (s->s.d.dtype != src[0].s.d.dtype) {
            st = lw_error_set(err, LW_E_DATA, "%s has %s ids, %s %s: sources must share a "
                              "tokenizer", cfg->prefix[i], lw_megatron_dtype_name(s->s.d.dtype),
                              cfg->prefix[0], lw_megatron_dtype_name(src[0].s.d.dtype));
            break;
        }
        masked |= s->s.masked;
        for (uint64_t q = 0; q < s->s.d.sequences; q++)
            stats->available[i] += lw_megatron_length(&s->s.d, q);
        s->target = (uint64_t)llround(cfg->share[i] / total * (double)cfg->tokens);
        if (!st && s->target && !stats->available[i])
            st = lw_error_set(err, LW_E_DATA, "%s holds no tokens", cfg->prefix[i]);
        if (!st && !cfg->upsample && stats->available[i] < s->target)
            st = lw_error_set(err, LW_E_DATA, "%s holds %llu tokens, fewer than its share "
                              "(%llu); give --upsample to draw it again, or fewer --tokens",
                              cfg->prefix[i], (unsigned long long)stats->available[i],
                              (unsigned long long)s->target);
        lw_perm_init(&s->perm, s->s.d.sequences, pass_key(cfg->seed, i, 0));
        s->pass = 1;
    }
    if (st)
        goto done;
    int dtype = src[0].s.d.dtype;
    uint32_t vocab = comb.tok.known ? comb.tok.vocab_size
                     : dtype == LW_MEGATRON_UINT16 ? 65500 : INT32_MAX;
    lw_seqw_opts o = lw_seqw_opts_for(&cfg->output_format, vocab,
                                      masked ? LW_MASK_ALWAYS : LW_MASK_NONE, 0,
                                      comb.tok.known ? comb.tok.name : NULL);
    lw_output_spec spec = {cfg->output, LW_OUT_PREFIX, 0, 1, cfg->force, "a mixture"};
    if ((st = lw_seqw_check(&o, err)) || (st = lw_output_claim(&out, &spec, err)) ||
        (st = lw_seqw_open(&w, cfg->output, &o, err)))
        goto done;
    lw_seq_buf buf = {0};
    for (;;) {
        /* the source furthest below its share of what is written */
        size_t best = n;
        double gap = 0;
        for (size_t i = 0; i < n; i++) {
            source *s = &src[i];
            if (s->taken >= s->target)
                continue;
            double want = (double)s->target / (double)cfg->tokens * (double)(stats->tokens + 1);
            double g = want - (double)s->taken;
            if (best == n || g > gap) {
                best = i;
                gap = g;
            }
        }
        if (best == n)
            break;
        source *s = &src[best];
        if (s->next == s->s.d.sequences) { /* used up: a fresh order (--upsample) */
            lw_perm_init(&s->perm, s->s.d.sequences, pass_key(cfg->seed, best, s->pass++));
            s->next = 0;
        }
        uint64_t q = lw_perm_at(&s->perm, s->next++);
        size_t len;
        if ((st = lw_seqw_copy(w, &s->s, q, &buf, &len, err)))
            break;
        s->taken += len;
        stats->picked[best]++;
        stats->picked_tokens[best] += len;
        stats->sequences++;
        stats->tokens += len;
    }
    lw_seq_buf_free(&buf);
    for (size_t i = 0; i < n; i++)
        stats->passes[i] = src[i].pass;
    if (!st && !(st = lw_seqw_finish(w, err)) && !(st = lw_seqw_publish(w, err))) {
        cJSON *m = lw_manifest_new("mix", 0, 1);
        cJSON *c = cJSON_AddObjectToObject(m, "config");
        bool ok = cJSON_AddNumberToObject(c, "tokens", (double)cfg->tokens) != NULL;
        ok &= cJSON_AddBoolToObject(c, "upsample", cfg->upsample) != NULL;
        ok &= cJSON_AddNumberToObject(c, "seed", (double)cfg->seed) != NULL;
        ok &= lw_manifest_put_tokenizer(m, &comb.tok);
        ok &= cJSON_AddStringToObject(m, "format_name",
                                      lw_seq_format_name(cfg->output_format.format)) != NULL;
        lw_seqw_info info;
        lw_seqw_info_get(w, &info);
        ok &= cJSON_AddStringToObject(m, "dtype", info.dtype) != NULL;
        cJSON *sa = cJSON_AddArrayToObject(m, "sources");
        for (size_t i = 0; i < n; i++) {
            cJSON *e = cJSON_CreateObject();
            ok &= cJSON_AddStringToObject(e, "prefix", cfg->prefix[i]) != NULL;
            ok &= cJSON_AddNumberToObject(e, "share", cfg->share[i] / total) != NULL;
            ok &= cJSON_AddNumberToObject(e, "target_tokens", (double)src[i].target) != NULL;
            ok &= cJSON_AddNumberToObject(e, "sequences", (double)stats->picked[i]) != NULL;
            ok &= cJSON_AddNumberToObject(e, "tokens", (double)stats->picked_tokens[i]) != NULL;
            ok &= cJSON_AddNumberToObject(e, "available_tokens",
                                          (double)stats->available[i]) != NULL;
            ok &= cJSON_AddNumberToObject(e, "passes", stats->passes[i]) != NULL;
            ok &= lw_json_push(sa, e);
        }
        cJSON *s = cJSON_AddObjectToObject(m, "stats");
        ok &= cJSON_AddNumberToObject(s, "sequences", (double)stats->sequences) != NULL;
        ok &= cJSON_AddNumberToObject(s, "tokens", (double)stats->tokens) != NULL;
        ok &= lw_manifest_put_dataset(m, w, lw_output_dir(out));
        st = ok ? lw_output_commit(out, m, err)
                : lw_error_set(err, LW_E_NOMEM, "out of memory building the manifest");
        cJSON_Delete(m);
        if (st)
            lw_seqw_unpublish(w);
    }
done:
    lw_seqw_free(w);
    lw_output_release(out);
    for (size_t i = 0; i < n; i++) {
        lw_megatron_source_close(&src[i].s);
        lw_datasets_free(&sets[i]);
    }
    free(sets);
    free(src);
    return st;
}
