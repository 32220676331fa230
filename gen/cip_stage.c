/* The cip stage: inputs, document order, buckets, lw_cip per bucket, and
 * the outputs (tokens, loss masks, maps, manifest). */
#include "longweave/cip_stage.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "longweave/fileio.h"
#include "longweave/hash.h"
#include "longweave/manifest.h"
#include "longweave/megatron.h"
#include "longweave/seqwriter.h"
#include "longweave/outfile.h"
#include "longweave/rng.h"
#include "longweave/token_docs.h"
#include "longweave/tokenize.h"
#include "longweave/tokenizer.h"

enum { DEFAULT_WINDOW = 65536, MAP_FLUSH = 1 << 20, PROGRESS_EVERY = 4096 };

void lw_cip_bucket_name(uint32_t seq_len, unsigned part, char *out, size_t cap)
{
    snprintf(out, cap, "cip/len-%07u/part-%05u", seq_len, part);
}

/* One bucket's outputs and state; each bucket is worked by one thread. */
typedef struct {
    uint32_t seq_len;
    char *prefix;               /* OUTDIR/cip/len-.../part-... */
    lw_seqw *out;               /* tokens, and the loss mask once a token is masked */
    lw_outfile map;
    lw_buf map_buf;
    lw_cip *cip;
    lw_status st;
    lw_error err;
} bucket;

static lw_status emit(void *ctx, const uint32_t *t, const uint8_t *mask, size_t n,
                      const lw_cip_span *spans, size_t n_spans, lw_error *err)
{
    bucket *b = ctx;
    lw_status st = lw_seqw_add(b->out, t, mask, n, NULL, 0, err);
    if (st)
        return st;
    lw_buf *m = &b->map_buf;
    unsigned long long seq = lw_cip_stats_get(b->cip)->sequences - 1;
    int rc = lw_buf_printf(m, "{\"seq\":%llu,\"chunks\":[", seq);
    for (size_t i = 0; i < n_spans && !rc; i++)
        rc = lw_buf_printf(m, "%s[%lld,%lld,%llu,%llu]", i ? "," : "", (long long)spans[i].doc,
                           (long long)spans[i].chunk, (unsigned long long)spans[i].start,
                           (unsigned long long)spans[i].length);
    if (rc || lw_buf_puts(m, "]}\n"))
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    if (m->len >= MAP_FLUSH) {
        st = lw_outfile_write(&b->map, m->data, m->len, err);
        m->len = 0;
    }
    return st;
}

/* Everything the buckets share, read-only while they run. */
typedef struct {
    const lw_cip_config *cfg;
    const lw_token_docs *docs;
    uint64_t first, end;        /* documents of this part */
    double share[LW_CIP_MAX_BUCKETS];
    lw_cip_opts opts;           /* with bos, eod, pad and knot ids resolved (and its seed) */
    uint64_t shuffle_seed;      /* cfg->seed, or the part's own (see lw_cip_run) */
    bool part_seeds;
    uint32_t window;
    uint64_t done;              /* documents taken (for progress), bucket 0's count */
    const char *tokenizer_name; /* for formats that record it */
} run_shared;

/* Steps 1-2 for one bucket: walk every document in the shuffled order,
 * assign each to a bucket, and feed this bucket's documents to its lw_cip. */
static lw_status run_bucket(run_shared *sh, size_t me, bucket *b, lw_error *err)
{
    const lw_cip_config *cfg = sh->cfg;
    lw_token_cursor *cur = NULL;
    lw_token_doc *win = malloc((size_t)sh->window * sizeof *win);
    double assigned[LW_CIP_MAX_BUCKETS] = {0}, total = 0;
    uint32_t *tokens = NULL;
    size_t tokens_cap = 0;
    lw_status st = win ? lw_token_cursor_open(&cur, sh->docs, sh->first, sh->end, err)
                       : lw_error_set(err, LW_E_NOMEM, "out of memory");
    size_t n = 0;
    bool got = true;
    while (!st && n < sh->window && got) {
        st = lw_token_cursor_next(cur, &win[n], &got, err);
        n += got;
    }
    for (uint64_t k = sh->first; !st && n > 0; k++) {
        lw_rng r;
        lw_rng_init(&r, sh->shuffle_seed, LW_STREAM_SHUFFLE, k);
        size_t j = (size_t)lw_rng_below(&r, n);
        lw_token_doc d = win[j];
        if ((st = lw_token_cursor_next(cur, &win[j], &got, err)))
            break;
        if (!got)
            win[j] = win[--n];
        /* Step 2: the bucket furthest below its share of tokens. */
        size_t best = 0;
        double best_deficit = 0;
        for (size_t i = 0; i < cfg->n_buckets; i++) {
            double deficit = sh->share[i] * (total + (double)d.tokens) - assigned[i];
            if (i == 0 || deficit > best_deficit) {
                best = i;
                best_deficit = deficit;
            }
        }
        assigned[best] += (double)d.tokens;
        total += (double)d.tokens;
        if (me == 0 && (k - sh->first) % PROGRESS_EVERY == 0 && cfg->src.progress) {
#pragma omp critical(lw_cip_progress)
            {
                lw_progress p = {k - sh->first, 0, 0, 0};
                cfg->src.progress(cfg->src.cb_ctx, &p);
            }
        }
        if (best != me)
            continue;
        if (d.tokens > tokens_cap) {
            free(tokens);
            tokens_cap = d.tokens;
            if (!(tokens = malloc(tokens_cap * sizeof *tokens))) {
                st = lw_error_set(err, LW_E_NOMEM, "out of memory (a document of %llu tokens)",
                                  (unsigned long long)d.tokens);
                break;
            }
        }
        if ((st = lw_token_docs_read(sh->docs, &d, tokens, err)))
            break;
        st = lw_cip_add(b->cip, d.doc, tokens, (size_t)d.tokens, err);
    }
    if (!st)
        st = lw_cip_finish(b->cip, err);
    if (!st && b->map_buf.len)
        st = lw_outfile_write(&b->map, b->map_buf.data, b->map_buf.len, err);
    if (!st)
        st = lw_seqw_finish(b->out, err);
    if (!st)
        st = lw_outfile_finish(&b->map, err);
    if (me == 0)
        sh->done = sh->end - sh->first;
    lw_token_cursor_close(cur);
    free(win);
    free(tokens);
    return st;
}

static lw_status open_bucket(bucket *b, const run_shared *sh, uint32_t seq_len, uint32_t vocab,
                             lw_error *err)
{
    const lw_cip_config *cfg = sh->cfg;
    char name[64];
    lw_cip_bucket_name(seq_len, cfg->src.part, name, sizeof name);
    b->seq_len = seq_len;
    b->map.fd = -1;
    b->prefix = lw_concat(cfg->outdir, "/", name);
    char *dir = b->prefix ? strdup(b->prefix) : NULL;
    char *map = b->prefix ? lw_concat(b->prefix, ".map.jsonl", "") : NULL;
    lw_status st = LW_OK;
    if (!dir || !map) {
        st = lw_error_set(err, LW_E_NOMEM, "out of memory");
        goto done;
    }
    *strrchr(dir, '/') = '\0';
    lw_cip_opts o = sh->opts;
    o.seq_len = seq_len;
    lw_seqw_opts wo = lw_seqw_opts_for(&cfg->output, vocab, LW_MASK_LAZY, seq_len,
                                       sh->tokenizer_name);
    if ((st = lw_mkdirs(dir, err)) || (st = lw_cip_new(&b->cip, &o, emit, b, err)) ||
        (st = lw_seqw_open(&b->out, b->prefix, &wo, err)) ||
        (st = lw_outfile_open(&b->map, map, true, err)))
        goto done;
done:
    free(dir);
    free(map);
    return st;
}

static void close_bucket(bucket *b)
{
    lw_cip_free(b->cip);
    lw_seqw_free(b->out);
    lw_outfile_release(&b->map);
    lw_buf_free(&b->map_buf);
    free(b->prefix);
}

/* Is the input a token dataset prefix (PREFIX.idx exists)? A trailing .bin
 * or .idx is taken off. */
static char *dataset_prefix(const char *input)
{
    char *p = strdup(input);
    if (!p)
        return NULL;
    size_t n = strlen(p);
    if (n > 4 && (strcmp(p + n - 4, ".bin") == 0 || strcmp(p + n - 4, ".idx") == 0))
        p[n - 4] = '\0';
    char *idx = lw_concat(p, ".idx", "");
    bool ok = idx && access(idx, F_OK) == 0;
    free(idx);
    if (!ok) {
        free(p);
        return NULL;
    }
    return p;
}

/* The tokenizer named by a dataset's manifest, as {path, sha256, vocab}. */
typedef struct {
    char path[4096];
    char sha256[LW_SHA256_HEX];
    uint32_t vocab_size;
    bool known;
} tok_ref;

static lw_status manifest_tokenizer(const char *prefix, tok_ref *out, lw_error *err)
{
    memset(out, 0, sizeof *out);
    char *path = lw_concat(prefix, ".manifest.json", "");
    if (!path)
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    cJSON *m = NULL;
    lw_status st = LW_OK;
    if (access(path, F_OK) == 0 && !(st = lw_manifest_read(path, &m, err))) {
        const cJSON *t = cJSON_GetObjectItem(m, "tokenizer");
        const char *p = cJSON_GetStringValue(cJSON_GetObjectItem(t, "path"));
        const char *s = cJSON_GetStringValue(cJSON_GetObjectItem(t, "sha256"));
        double v = cJSON_GetNumberValue(cJSON_GetObjectItem(t, "vocab_size"));
        if (p && s && v > 0) {
            snprintf(out->path, sizeof out->path, "%s", p);
            snprintf(out->sha256, sizeof out->sha256, "%s", s);
            out->vocab_size = (uint32_t)v;
            out->known = true;
        }
    }
    cJSON_Delete(m);
    free(path);
    return st;
}

static cJSON *config_json(const lw_cip_config *c, const run_shared *sh)
{
    static const char *const split[] = {"equal", "random"};
    static const char *const rem[] = {"carry", "drop", "pad"};
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "mode", c->cip.concat ? "concat" : "cip");
    cJSON *lens = cJSON_AddArrayToObject(o, "seq_len");
    cJSON *mix = cJSON_AddArrayToObject(o, "length_mix");
    for (size_t i = 0; i < c->n_buckets; i++) {
        cJSON_AddItemToArray(lens, cJSON_CreateNumber(c->seq_len[i]));
        cJSON_AddItemToArray(mix, cJSON_CreateNumber(sh->share[i]));
    }
    cJSON_AddNumberToObject(o, "chunks_per_doc", c->cip.chunks);
    cJSON_AddNumberToObject(o, "min_chunk_tokens", c->cip.min_chunk);
    cJSON_AddStringToObject(o, "split", split[c->cip.split]);
    cJSON_AddStringToObject(o, "remainder", rem[c->cip.remainder]);
    cJSON_AddStringToObject(o, "last", c->cip.drop_last ? "drop" : "pad");
    cJSON_AddStringToObject(o, "long_docs", c->cip.interleave_long ? "interleave" : "keep");
    cJSON_AddNumberToObject(o, "knot_tokens", sh->opts.knot_tokens);
    if (sh->opts.knot_tokens) {
        cJSON *ids = cJSON_AddArrayToObject(o, "knot_ids");
        for (size_t i = 0; i < sh->opts.n_knot_ids; i++)
            cJSON_AddItemToArray(ids, cJSON_CreateNumber(sh->opts.knot_ids[i]));
    }
    if (sh->opts.bos >= 0)
        cJSON_AddNumberToObject(o, "bos_id", (double)sh->opts.bos);
    if (sh->opts.eod >= 0)
        cJSON_AddNumberToObject(o, "eod_id", (double)sh->opts.eod);
    cJSON_AddNumberToObject(o, "pad_id", sh->opts.pad);
    cJSON_AddNumberToObject(o, "shuffle_window", sh->window);
    cJSON_AddNumberToObject(o, "seed", (double)c->seed);
    if (sh->part_seeds) {
        char hex[2][20]; /* 64-bit values: a JSON number would round them */
        snprintf(hex[0], sizeof hex[0], "%016llx", (unsigned long long)sh->shuffle_seed);
        snprintf(hex[1], sizeof hex[1], "%016llx", (unsigned long long)sh->opts.seed);
        cJSON_AddStringToObject(o, "part_shuffle_seed", hex[0]);
        cJSON_AddStringToObject(o, "part_cip_seed", hex[1]);
    }
    char part[48];
    snprintf(part, sizeof part, "%u/%u", c->src.part, c->src.nparts ? c->src.nparts : 1);
    cJSON_AddStringToObject(o, "part", part);
    return o;
}

static void add_file(cJSON *files, const char *outdir, const lw_outfile *f)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "path", f->final_path + strlen(outdir) + 1);
    cJSON_AddNumberToObject(o, "bytes", (double)f->bytes);
    cJSON_AddStringToObject(o, "sha256", f->sha256);
    cJSON_AddItemToArray(files, o);
}

static void cip_stats_json(cJSON *o, const lw_cip_stats *s)
{
    cJSON_AddNumberToObject(o, "documents", (double)s->documents);
    cJSON_AddNumberToObject(o, "sequences", (double)s->sequences);
    cJSON_AddNumberToObject(o, "document_tokens", (double)s->doc_tokens);
    cJSON_AddNumberToObject(o, "inserted_tokens", (double)s->inserted_tokens);
    cJSON_AddNumberToObject(o, "pad_tokens", (double)s->pad_tokens);
    cJSON_AddNumberToObject(o, "dropped_tokens", (double)s->dropped_tokens);
}

lw_status lw_cip_run(const lw_cip_config *cfg, lw_cip_run_stats *stats, lw_error *err)
{
    memset(stats, 0, sizeof *stats);
    const lw_source_config *src = &cfg->src;
    if (!cfg->outdir || !*cfg->outdir)
        return lw_error_set(err, LW_E_USAGE, "no output directory given (-o OUTDIR)");
    if (cfg->n_buckets == 0 || cfg->n_buckets > LW_CIP_MAX_BUCKETS)
        return lw_error_set(err, LW_E_USAGE, "give 1 to %d sequence lengths (--seq-len)",
                            LW_CIP_MAX_BUCKETS);
    if (src->n_inputs == 0)
        return lw_error_set(err, LW_E_USAGE, "no input given");
    lw_seqw_opts format_check = lw_seqw_opts_for(&cfg->output, 1, LW_MASK_LAZY, 1, NULL);
    lw_status fst = lw_seqw_check(&format_check, err);
    if (fst)
        return fst;

    run_shared sh = {.cfg = cfg, .opts = cfg->cip};
    double mix_total = 0;
    for (size_t i = 0; i < cfg->n_buckets; i++) {
        if (!(cfg->mix[i] > 0))
            return lw_error_set(err, LW_E_USAGE, "--length-mix shares must be positive");
        mix_total += cfg->mix[i];
    }
    for (size_t i = 0; i < cfg->n_buckets; i++)
        sh.share[i] = cfg->mix[i] / mix_total;
    sh.window = cfg->shuffle_window ? cfg->shuffle_window : DEFAULT_WINDOW;

    lw_status st = LW_OK;
    char **prefixes = calloc(src->n_inputs, sizeof *prefixes);
    lw_tokenizer *tok = NULL;
    lw_token_docs docs = {0};
    bucket *buckets = NULL;
    char *tmpdir = NULL, *tmp_prefix = NULL, *manifest_path = NULL;
    const char *tok_path = cfg->tokenizer;
    tok_ref ref = {0};
    if (!prefixes)
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    size_t n_datasets = 0;
    for (size_t i = 0; i < src->n_inputs; i++)
        n_datasets += (prefixes[i] = dataset_prefix(src->inputs[i])) != NULL;
    if (n_datasets && n_datasets != src->n_inputs) {
        st = lw_error_set(err, LW_E_USAGE, "give either token datasets or documents, not both");
        goto done;
    }
    if (n_datasets == 0 && !tok_path) {
        st = lw_error_set(err, LW_E_USAGE, "%s is not a token dataset (no %s.idx); to start "
                          "from documents, give the tokenizer with -t", src->inputs[0],
                          src->inputs[0]);
        goto done;
    }
    if ((st = lw_manifest_claim(cfg->outdir, src->part, src->nparts, cfg->force,
                                "a CIP dataset", &manifest_path, err)))
        goto done;

    if (n_datasets == 0) {
        /* Documents: tokenize them first into a hidden dataset, named after
         * the part so that a rerun of a killed part replaces its leftovers
         * (and --resume sweeps its temporary files) */
        char name[48];
        snprintf(name, sizeof name, "/.cip-tokens-part-%05u", src->part);
        tmpdir = lw_concat(cfg->outdir, name, "");
        tmp_prefix = tmpdir ? lw_concat(tmpdir, "/docs", "") : NULL;
        if (!tmp_prefix) {
            st = lw_error_set(err, LW_E_NOMEM, "out of memory");
            goto done;
        }
        lw_tokenize_config tc = {.src = *src, .prefix = tmp_prefix, .force = true,
                                 .tokenizer = tok_path, .pattern = cfg->pattern,
                                 .eod_id = -1, .bos_id = -1};
        lw_tokenize_stats ts;
        if ((st = lw_tokenize_run(&tc, &ts, err)))
            goto done;
        stats->docs = ts.docs;
        free(prefixes[0]);
        prefixes[0] = strdup(tmp_prefix);
        for (size_t i = 1; i < src->n_inputs; i++) {
            free(prefixes[i]);
            prefixes[i] = NULL;
        }
        n_datasets = 1;
        if (!prefixes[0]) {
            st = lw_error_set(err, LW_E_NOMEM, "out of memory");
            goto done;
        }
    }
    /* The tokenizer: given, or the one the datasets were made with. */
    for (size_t i = 0; i < n_datasets; i++) {
        tok_ref r;
        if ((st = manifest_tokenizer(prefixes[i], &r, err)))
            goto done;
        if (r.known && ref.known && strcmp(r.sha256, ref.sha256) != 0) {
            st = lw_error_set(err, LW_E_DATA, "%s and %s were made with different tokenizers",
                              prefixes[0], prefixes[i]);
            goto done;
        }
        if (r.known && !ref.known)
            ref = r;
    }
    if (!tok_path && ref.known && access(ref.path, R_OK) == 0)
        tok_path = ref.path;
    if (tok_path) {
        lw_tok_opts to = {cfg->pattern};
        if ((st = lw_tok_load(&tok, tok_path, &to, err)))
            goto done;
    }
    uint32_t vocab = tok ? lw_tok_vocab_size(tok) : ref.vocab_size;
    if (!vocab) {
        st = lw_error_set(err, LW_E_USAGE, "the vocabulary size of %s is not known (no "
                          "manifest); give the tokenizer with -t", prefixes[0]);
        goto done;
    }

    /* Inserted tokens. */
    sh.opts.bos = sh.opts.eod = -1;
    if (cfg->bos) {
        sh.opts.bos = cfg->bos_id >= 0 ? cfg->bos_id : tok ? lw_tok_special(tok, "bos") : -1;
        if (sh.opts.bos < 0) {
            st = lw_error_set(err, LW_E_USAGE, "--bos: no BOS token known; give --bos-id N");
            goto done;
        }
    }
    if (cfg->eod) {
        sh.opts.eod = cfg->eod_id >= 0 ? cfg->eod_id : tok ? lw_tok_special(tok, "eod") : -1;
        if (sh.opts.eod < 0) {
            st = lw_error_set(err, LW_E_USAGE, "--eod: no end-of-document token known; give "
                              "--eod-id N");
            goto done;
        }
    }
    int64_t pad = cfg->pad_id >= 0 ? cfg->pad_id : tok ? lw_tok_special(tok, "pad") : -1;
    if (pad < 0 && tok)
        pad = lw_tok_special(tok, "eod");
    sh.opts.pad = pad >= 0 ? (uint32_t)pad : 0;
    sh.tokenizer_name = tok ? lw_tok_name(tok) : NULL;
    uint32_t digits[10];
    if (sh.opts.knot_tokens && !sh.opts.concat) {
        if (cfg->knot_ids) {
            sh.opts.knot_ids = cfg->knot_ids;
            sh.opts.n_knot_ids = cfg->n_knot_ids;
        } else {
            size_t nd = 0;
            for (char ch = '0'; tok && ch <= '9'; ch++) {
                int64_t id = lw_tok_piece_to_id(tok, &ch, 1);
                if (id >= 0)
                    digits[nd++] = (uint32_t)id;
            }
            if (nd < 2) {
                st = lw_error_set(err, LW_E_USAGE, "--knots: the marker tokens are not known "
                                  "(the tokenizer's digits); give --knot-ids");
                goto done;
            }
            sh.opts.knot_ids = digits;
            sh.opts.n_knot_ids = nd;
        }
        for (size_t i = 0; i < sh.opts.n_knot_ids; i++)
            if (sh.opts.knot_ids[i] >= vocab) {
                st = lw_error_set(err, LW_E_USAGE, "--knot-ids: %u is not below the vocabulary "
                                  "size %u", sh.opts.knot_ids[i], vocab);
                goto done;
            }
    }
    if ((sh.opts.bos >= 0 && (uint64_t)sh.opts.bos >= vocab) ||
        (sh.opts.eod >= 0 && (uint64_t)sh.opts.eod >= vocab) || sh.opts.pad >= vocab) {
        st = lw_error_set(err, LW_E_USAGE, "a BOS, EOD or pad id is not below the vocabulary "
                          "size %u", vocab);
        goto done;
    }

    if ((st = lw_token_docs_open(&docs, (const char *const *)prefixes, n_datasets, err)))
        goto done;
    unsigned nparts = src->nparts ? src->nparts : 1;
    bool parted = tmpdir == NULL; /* documents were already cut by the tokenize step */
    sh.docs = &docs;
    /* A part that tokenized its own slice of text numbers its documents from
     * 0, as every other such part does; for their draws not to repeat one
     * another's, each takes seeds derived from (seed, part). Parts of a token
     * dataset use the dataset's document numbers, which keep them apart. */
    sh.shuffle_seed = cfg->seed;
    if (!parted && nparts > 1) {
        uint64_t key[2] = {cfg->seed, src->part};
        sh.shuffle_seed = lw_hash64_bytes(key, sizeof key, 0);
        key[0] = cfg->cip.seed;
        sh.opts.seed = lw_hash64_bytes(key, sizeof key, 0);
        sh.part_seeds = true;
    }
    sh.first = parted ? (uint64_t)((unsigned __int128)docs.documents * src->part / nparts) : 0;
    sh.end = parted ? (uint64_t)((unsigned __int128)docs.documents * (src->part + 1) / nparts)
                    : docs.documents;

    buckets = calloc(cfg->n_buckets, sizeof *buckets);
    if (!buckets) {
        st = lw_error_set(err, LW_E_NOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < cfg->n_buckets; i++)
        buckets[i].map.fd = -1;
    for (size_t i = 0; i < cfg->n_buckets && !st; i++)
        st = open_bucket(&buckets[i], &sh, cfg->seq_len[i], vocab, err);
    if (st)
        goto done;
    int threads = src->threads > 0 ? src->threads : omp_get_num_procs();
    if ((size_t)threads > cfg->n_buckets)
        threads = (int)cfg->n_buckets;
    long nb = (long)cfg->n_buckets;
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
    for (long i = 0; i < nb; i++)
        buckets[i].st = run_bucket(&sh, (size_t)i, &buckets[i], &buckets[i].err);
    for (size_t i = 0; i < cfg->n_buckets && !st; i++)
        if (buckets[i].st) {
            st = buckets[i].st;
            if (err)
                *err = buckets[i].err;
        }
    if (st)
        goto done;

    /* Publish every file, then the manifest. */
    for (size_t i = 0; i < cfg->n_buckets && !st; i++) {
        bucket *b = &buckets[i];
        st = lw_seqw_publish(b->out, err);
        if (!st)
            st = lw_outfile_publish(&b->map, err);
    }
    cJSON *m = lw_manifest_new("cip");
    cJSON_AddItemToObject(m, "config", config_json(cfg, &sh));
    if (tok || ref.known) {
        cJSON *t = cJSON_AddObjectToObject(m, "tokenizer");
        cJSON_AddStringToObject(t, "path", tok ? lw_tok_path(tok) : ref.path);
        cJSON_AddStringToObject(t, "sha256", tok ? lw_tok_sha256(tok) : ref.sha256);
        cJSON_AddNumberToObject(t, "vocab_size", vocab);
        if (tok)
            cJSON_AddStringToObject(t, "name", lw_tok_name(tok));
    }
    lw_seqw_info winfo;
    lw_seqw_info_get(buckets[0].out, &winfo);
    cJSON_AddStringToObject(m, "format_name", lw_seq_format_name(cfg->output.format));
    cJSON_AddStringToObject(m, "dtype", winfo.dtype);
    cJSON *in = cJSON_AddObjectToObject(m, "inputs");
    cJSON *ds = cJSON_AddArrayToObject(in, "datasets");
    for (size_t i = 0; i < src->n_inputs && !tmpdir; i++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "prefix", prefixes[i]);
        cJSON_AddNumberToObject(o, "documents", (double)docs.files[i].documents);
        cJSON_AddItemToArray(ds, o);
    }
    if (tmpdir) {
        cJSON *docs_in = cJSON_AddArrayToObject(in, "documents");
        for (size_t i = 0; i < src->n_inputs; i++)
            cJSON_AddItemToArray(docs_in, cJSON_CreateString(src->inputs[i]));
        cJSON_AddItemToObject(m, "tokenize_stats", lw_doc_stats_json(&stats->docs));
    }
    cJSON_AddNumberToObject(in, "first_document", (double)sh.first);
    cJSON_AddNumberToObject(in, "end_document", (double)sh.end);
    cJSON *bk = cJSON_AddArrayToObject(m, "buckets");
    cJSON *files = cJSON_AddArrayToObject(m, "files");
    stats->documents = sh.end - sh.first;
    stats->n_buckets = cfg->n_buckets;
    for (size_t i = 0; i < cfg->n_buckets; i++) {
        bucket *b = &buckets[i];
        lw_cip_bucket_stats *bs = &stats->buckets[i];
        bs->seq_len = b->seq_len;
        bs->cip = *lw_cip_stats_get(b->cip);
        lw_seqw_info_get(b->out, &winfo);
        bs->masked = winfo.masked;
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "seq_len", b->seq_len);
        cip_stats_json(o, &bs->cip);
        cJSON_AddBoolToObject(o, "mask", bs->masked);
        cJSON_AddItemToArray(bk, o);
        lw_seqw_files_json(b->out, files, cfg->outdir);
        add_file(files, cfg->outdir, &b->map);
    }
    if (!st)
        st = lw_manifest_write_to(m, manifest_path, err);
    cJSON_Delete(m);
    if (st)
        for (size_t i = 0; i < cfg->n_buckets; i++) {
            lw_seqw_unpublish(buckets[i].out);
            lw_outfile_unpublish(&buckets[i].map);
        }

done:
    for (size_t i = 0; buckets && i < cfg->n_buckets; i++)
        close_bucket(&buckets[i]);
    free(buckets);
    lw_token_docs_close(&docs);
    lw_tok_free(tok);
    if (tmp_prefix) { /* the hidden tokens of a documents run */
        static const char *const sfx[] = {".bin", ".idx", ".manifest.json"};
        for (int i = 0; i < 3; i++) {
            char *p = lw_concat(tmp_prefix, sfx[i], "");
            if (p)
                unlink(p);
            free(p);
        }
        rmdir(tmpdir);
    }
    free(tmp_prefix);
    free(tmpdir);
    free(manifest_path);
    for (size_t i = 0; i < src->n_inputs; i++)
        free(prefixes[i]);
    free(prefixes);
    return st;
}
