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
#include "longweave/doc_lineage.h"
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
    uint64_t *members, n_members; /* --by: its sequences in the dataset (else all) */
    lw_docs_index *lin;           /* its documents' lineage, NULL if not carried */
} source;

static uint64_t n_seqs(const source *s)
{
    return s->members ? s->n_members : s->s.d.sequences;
}

/* The document of sequence q (document indices rise from 0 to sequences). */
static uint64_t doc_of(const lw_megatron_dataset *d, uint64_t q)
{
    uint64_t lo = 0, hi = d->documents; /* doc_index(lo) <= q < doc_index(hi) */
    while (hi - lo > 1) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (lw_megatron_doc_index(d, mid) <= q)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

/* --by FIELD: the sequences of the documents whose FIELD is value[i] go to
 * source i; the documents of other values are counted and left out. */
static lw_status group_by(const lw_mix_config *cfg, source *src, size_t n, lw_mix_stats *stats,
                          lw_error *err)
{
    const lw_megatron_dataset *d = &src[0].s.d;
    const lw_docs_index *x = src[0].lin;
    lw_buf key = {0};
    lw_status st = LW_OK;
    size_t *cap = calloc(n, sizeof *cap);
    if (!cap)
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    for (uint64_t doc = 0; doc < d->documents && !st; doc++) {
        if ((st = lw_docs_index_field(x, doc, cfg->by, &key, err)))
            break;
        size_t i = 0;
        while (i < n && strcmp(cfg->value[i], key.data) != 0)
            i++;
        uint64_t q0 = lw_megatron_doc_index(d, doc), q1 = lw_megatron_doc_index(d, doc + 1);
        for (uint64_t q = q0; q < q1; q++) {
            uint64_t len = lw_megatron_length(d, q);
            if (i == n) {
                stats->other_tokens += len;
                continue;
            }
            source *s = &src[i];
            if (s->n_members == cap[i]) {
                size_t c = cap[i] ? 2 * cap[i] : 1024;
                uint64_t *m = realloc(s->members, c * sizeof *m);
                if (!m) {
                    st = lw_error_set(err, LW_E_NOMEM, "out of memory");
                    break;
                }
                s->members = m;
                cap[i] = c;
            }
            s->members[s->n_members++] = q;
            stats->available[i] += len;
        }
        stats->other_documents += i == n;
    }
    for (size_t i = 0; i < n && !st; i++)
        if (!src[i].n_members)
            st = lw_error_set(err, LW_E_DATA, "%s: no document has the %s \"%s\" (%s)",
                              cfg->prefix[i], cfg->by, cfg->value[i], x->path);
    free(cap);
    lw_buf_free(&key);
    return st;
}

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
    bool masked = false, lineage = true;
    lw_docs_index *lin = calloc(n, sizeof *lin);
    lw_outfile docs_f = {0};
    lw_buf docs_buf = {0};
    if (cfg->by && strcmp(cfg->by, "source") != 0) {
        free(src);
        free(sets);
        free(lin);
        return lw_error_set(err, LW_E_USAGE, "--by %s: only --by source is known", cfg->by);
    }
    if (!sets || !lin) {
        free(lin);
        free(sets);
        free(src);
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < n; i++)
        src[i].s.fd = src[i].s.mfd = -1;
    for (size_t i = 0; i < n && !st; i++) {
        source *s = &src[i];
        if ((st = lw_datasets_open(cfg->prefix[i], &sets[i], err)))
            break;
        const lw_dataset *one;
        if ((st = lw_datasets_one(&sets[i], cfg->prefix[i], &one, err)))
            break;
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
        /* the lineage comes along when every source has it (one index for --by) */
        lineage &= lw_dataset_has(&sets[i].ds[0], LW_DOCS_ROLE);
        if (cfg->by && !lineage)
            st = lw_error_set(err, LW_E_DATA, "%s has no document lineage (%s%s), so its "
                              "documents have no %s: make it with tokenize", cfg->prefix[i],
                              cfg->prefix[i], LW_DOCS_SUFFIX, cfg->by);
        else if (lineage && (i == 0 || !cfg->by))
            st = lw_docs_index_open(&lin[i], sets[i].ds[0].prefix, s->s.d.documents, err);
        s->lin = lineage ? &lin[cfg->by ? 0 : i] : NULL;
        if (!cfg->by)
            for (uint64_t q = 0; q < s->s.d.sequences; q++)
                stats->available[i] += lw_megatron_length(&s->s.d, q);
    }
    if (!st && cfg->by)
        st = group_by(cfg, src, n, stats, err);
    for (size_t i = 0; i < n && !st; i++) {
        source *s = &src[i];
        if (!lineage)
            s->lin = NULL;
        s->target = (uint64_t)llround(cfg->share[i] / total * (double)cfg->tokens);
        char label[1200];
        if (cfg->by)
            snprintf(label, sizeof label, "%s (%s \"%s\")", cfg->prefix[i], cfg->by,
                     cfg->value[i]);
        else
            snprintf(label, sizeof label, "%s", cfg->prefix[i]);
        if (!st && s->target && !stats->available[i])
            st = lw_error_set(err, LW_E_DATA, "%s holds no tokens", label);
        if (!st && !cfg->upsample && stats->available[i] < s->target)
            st = lw_error_set(err, LW_E_DATA, "%s holds %llu tokens, fewer than its share "
                              "(%llu); give --upsample to draw it again, or fewer --tokens",
                              label, (unsigned long long)stats->available[i],
                              (unsigned long long)s->target);
        lw_perm_init(&s->perm, n_seqs(s), pass_key(cfg->seed, i, 0));
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
    if (lineage) {
        char *path = lw_concat(cfg->output, LW_DOCS_SUFFIX, "");
        st = path ? lw_outfile_open(&docs_f, path, true, err)
                  : lw_error_set(err, LW_E_NOMEM, "out of memory");
        free(path);
        if (st)
            goto done;
    }
    stats->lineage = lineage;
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
        if (s->next == n_seqs(s)) { /* used up: a fresh order (--upsample) */
            lw_perm_init(&s->perm, n_seqs(s), pass_key(cfg->seed, best, s->pass++));
            s->next = 0;
        }
        uint64_t q = lw_perm_at(&s->perm, s->next++);
        if (s->members)
            q = s->members[q];
        size_t len;
        if ((st = lw_seqw_copy(w, &s->s, q, NULL, &buf, &len, err)))
            break;
        if (s->lin) { /* one document per sequence written: its document's line */
            size_t ll;
            const char *line = lw_docs_index_line(s->lin, doc_of(&s->s.d, q), &ll);
            if (lw_buf_append(&docs_buf, line, ll + 1)) {
                st = lw_error_set(err, LW_E_NOMEM, "out of memory");
                break;
            }
            if (docs_buf.len >= (1u << 20)) {
                if ((st = lw_outfile_write(&docs_f, docs_buf.data, docs_buf.len, err)))
                    break;
                docs_buf.len = 0;
            }
        }
        s->taken += len;
        stats->picked[best]++;
        stats->picked_tokens[best] += len;
        stats->sequences++;
        stats->tokens += len;
    }
    lw_seq_buf_free(&buf);
    for (size_t i = 0; i < n; i++)
        stats->passes[i] = src[i].pass;
    if (!st && lineage && docs_buf.len)
        st = lw_outfile_write(&docs_f, docs_buf.data, docs_buf.len, err);
    if (!st && lineage && !(st = lw_outfile_finish(&docs_f, err)))
        st = lw_outfile_publish(&docs_f, err);
    if (!st && !(st = lw_seqw_finish(w, err)) && !(st = lw_seqw_publish(w, err))) {
        cJSON *m = lw_manifest_new("mix", 0, 1);
        cJSON *c = cJSON_AddObjectToObject(m, "config");
        bool ok = cJSON_AddNumberToObject(c, "tokens", (double)cfg->tokens) != NULL;
        ok &= cJSON_AddBoolToObject(c, "upsample", cfg->upsample) != NULL;
        ok &= cJSON_AddNumberToObject(c, "seed", (double)cfg->seed) != NULL;
        if (cfg->by)
            ok &= cJSON_AddStringToObject(c, "by", cfg->by) != NULL;
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
            if (cfg->by)
                ok &= cJSON_AddStringToObject(e, cfg->by, cfg->value[i]) != NULL;
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
        if (cfg->by) {
            ok &= cJSON_AddNumberToObject(s, "other_documents",
                                          (double)stats->other_documents) != NULL;
            ok &= cJSON_AddNumberToObject(s, "other_tokens", (double)stats->other_tokens) != NULL;
        }
        ok &= lw_manifest_put_dataset(m, w, lw_output_dir(out));
        if (lineage)
            ok &= lw_manifest_put_outfile(m, lw_output_dir(out), &docs_f, cfg->output,
                                          LW_DOCS_ROLE);
        st = ok ? lw_output_commit(out, m, err)
                : lw_error_set(err, LW_E_NOMEM, "out of memory building the manifest");
        cJSON_Delete(m);
        if (st) {
            lw_seqw_unpublish(w);
            lw_outfile_unpublish(&docs_f);
        }
    } else if (st && lineage) {
        lw_outfile_unpublish(&docs_f);
    }
done:
    lw_outfile_release(&docs_f);
    lw_buf_free(&docs_buf);
    lw_seqw_free(w);
    lw_output_release(out);
    for (size_t i = 0; i < n; i++) {
        lw_megatron_source_close(&src[i].s);
        lw_datasets_free(&sets[i]);
        lw_docs_index_close(&lin[i]);
        free(src[i].members);
    }
    free(lin);
    free(sets);
    free(src);
    return st;
}
