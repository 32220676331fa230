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

#include "longweave/cip_map.h"
#include "longweave/fileio.h"
#include "longweave/hash.h"
#include "longweave/json_build.h"
#include "longweave/dataset.h"
#include "longweave/doc_lineage.h"
#include "longweave/megatron.h"
#include "longweave/seqwriter.h"
#include "longweave/outfile.h"
#include "longweave/pad.h"
#include "longweave/rng.h"
#include "longweave/token_docs.h"
#include "longweave/tokenize.h"
#include "longweave/tokenizer.h"

enum { DEFAULT_WINDOW = 65536, MAP_FLUSH = 1 << 20, PROGRESS_EVERY = 4096 };

/* One bucket's outputs and state; each bucket is worked by one thread. */
typedef struct {
    uint32_t seq_len;           /* the bucket's length, in its name */
    uint32_t stored_len;        /* tokens per stored sequence (lw_seq_format_extra_tokens) */
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
    if (lw_cip_map_line(m, lw_cip_stats_get(b->cip)->sequences - 1, spans, n_spans))
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
    lw_pad pad;                 /* opts.pad and why it was chosen */
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
                lw_progress p = {.made_unit = "documents interleaved", .made = k - sh->first,
                                 .made_total = sh->end - sh->first};
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
    lw_layout_bucket(name, sizeof name, seq_len, cfg->src.part);
    b->seq_len = seq_len;
    b->prefix = lw_concat(cfg->outdir, "/", name);
    char *dir = b->prefix ? strdup(b->prefix) : NULL;
    char *map = b->prefix ? lw_concat(b->prefix, LW_CIP_MAP_SUFFIX, "") : NULL;
    lw_status st = LW_OK;
    if (!dir || !map) {
        st = lw_error_set(err, LW_E_NOMEM, "out of memory");
        goto done;
    }
    *strrchr(dir, '/') = '\0';
    /* the bucket is named by the trainer's sequence length; a format whose
     * reader takes one token more per window stores it */
    b->stored_len = seq_len + lw_seq_format_extra_tokens(cfg->output.format);
    lw_cip_opts o = sh->opts;
    o.seq_len = b->stored_len;
    lw_seqw_opts wo = lw_seqw_opts_for(&cfg->output, vocab, LW_MASK_LAZY, b->stored_len,
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

/* Can this configuration mask a token (padding, knot markers)? Formats
 * without a loss mask are refused for it before anything is made. */
static bool may_mask(const lw_cip_opts *o)
{
    return (o->knot_tokens && !o->concat) || !o->drop_last || o->remainder == LW_CIP_PAD;
}

static cJSON *config_json(const lw_cip_config *c, const run_shared *sh)
{
    static const char *const split[] = {"equal", "random"};
    static const char *const rem[] = {"carry", "drop", "pad"};
    cJSON *o = cJSON_CreateObject();
    bool ok = cJSON_AddStringToObject(o, "mode", c->cip.concat ? "concat" : "cip") != NULL;
    cJSON *lens = cJSON_AddArrayToObject(o, "seq_len");
    ok &= lens != NULL;
    cJSON *mix = cJSON_AddArrayToObject(o, "length_mix");
    ok &= mix != NULL;
    for (size_t i = 0; i < c->n_buckets; i++) {
        ok &= lw_json_push(lens, cJSON_CreateNumber(c->seq_len[i]));
        ok &= lw_json_push(mix, cJSON_CreateNumber(sh->share[i]));
    }
    ok &= cJSON_AddNumberToObject(o, "chunks_per_doc", c->cip.chunks) != NULL;
    ok &= cJSON_AddNumberToObject(o, "min_chunk_tokens", c->cip.min_chunk) != NULL;
    ok &= cJSON_AddStringToObject(o, "split", split[c->cip.split]) != NULL;
    ok &= cJSON_AddStringToObject(o, "remainder", rem[c->cip.remainder]) != NULL;
    ok &= cJSON_AddStringToObject(o, "reach",
                                  c->cip.reach == LW_CIP_REACH_SPREAD ? "spread" : "paper") != NULL;
    ok &= cJSON_AddStringToObject(o, "last", c->cip.drop_last ? "drop" : "pad") != NULL;
    ok &= cJSON_AddStringToObject(o, "long_docs",
                                  c->cip.interleave_long ? "interleave" : "keep") != NULL;
    ok &= cJSON_AddNumberToObject(o, "knot_tokens", sh->opts.knot_tokens) != NULL;
    if (sh->opts.knot_tokens) {
        cJSON *ids = cJSON_AddArrayToObject(o, "knot_ids");
        ok &= ids != NULL;
        for (size_t i = 0; i < sh->opts.n_knot_ids; i++)
            ok &= lw_json_push(ids, cJSON_CreateNumber(sh->opts.knot_ids[i]));
    }
    if (sh->opts.bos >= 0)
        ok &= cJSON_AddNumberToObject(o, "bos_id", (double)sh->opts.bos) != NULL;
    if (sh->opts.eod >= 0)
        ok &= cJSON_AddNumberToObject(o, "eod_id", (double)sh->opts.eod) != NULL;
    ok &= lw_pad_to_json(o, &sh->pad);
    ok &= cJSON_AddNumberToObject(o, "shuffle_window", sh->window) != NULL;
    ok &= cJSON_AddNumberToObject(o, "seed", (double)c->seed) != NULL;
    if (sh->part_seeds) {
        char hex[2][20]; /* 64-bit values: a JSON number would round them */
        snprintf(hex[0], sizeof hex[0], "%016llx", (unsigned long long)sh->shuffle_seed);
        snprintf(hex[1], sizeof hex[1], "%016llx", (unsigned long long)sh->opts.seed);
        ok &= cJSON_AddStringToObject(o, "part_shuffle_seed", hex[0]) != NULL;
        ok &= cJSON_AddStringToObject(o, "part_cip_seed", hex[1]) != NULL;
    }
    char part[48];
    snprintf(part, sizeof part, "%u/%u", c->src.part, c->src.nparts ? c->src.nparts : 1);
    ok &= cJSON_AddStringToObject(o, "part", part) != NULL;
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

/* false: out of memory */
static bool cip_stats_json(cJSON *o, const lw_cip_stats *s)
{
    bool ok = cJSON_AddNumberToObject(o, "documents", (double)s->documents) != NULL;
    ok &= cJSON_AddNumberToObject(o, "sequences", (double)s->sequences) != NULL;
    ok &= cJSON_AddNumberToObject(o, "document_tokens", (double)s->doc_tokens) != NULL;
    ok &= cJSON_AddNumberToObject(o, "inserted_tokens", (double)s->inserted_tokens) != NULL;
    ok &= cJSON_AddNumberToObject(o, "pad_tokens", (double)s->pad_tokens) != NULL;
    ok &= cJSON_AddNumberToObject(o, "dropped_tokens", (double)s->dropped_tokens) != NULL;
    ok &= cJSON_AddNumberToObject(o, "interleaved_tokens", (double)s->interleaved_tokens) != NULL;
    ok &= cJSON_AddNumberToObject(o, "single_chunk_tokens", (double)s->single_tokens) != NULL;
    ok &= cJSON_AddNumberToObject(o, "long_tokens", (double)s->long_tokens) != NULL;
    cJSON *r = cJSON_AddObjectToObject(o, "reach_back");
    ok &= r != NULL;
    ok &= cJSON_AddNumberToObject(r, "gaps", (double)s->reach_gaps) != NULL;
    ok &= cJSON_AddNumberToObject(r, "p5", s->reach_p5) != NULL;
    ok &= cJSON_AddNumberToObject(r, "median", s->reach_median) != NULL;
    ok &= cJSON_AddNumberToObject(r, "p95", s->reach_p95) != NULL;
    cJSON *bins = cJSON_AddArrayToObject(r, "bins");
    ok &= bins != NULL;
    for (int i = 0; i < LW_CIP_REACH_BINS; i++)
        ok &= lw_json_push(bins, cJSON_CreateNumber((double)s->reach_bins[i]));
    return ok;
}


/* The hidden dataset's PREFIX.docs.jsonl, copied to OUTDIR/name (finished,
 * not published). */
static lw_status copy_lineage(const char *prefix, const char *outdir, const char *name,
                              lw_outfile *f, lw_error *err)
{
    char *in = lw_concat(prefix, LW_DOCS_SUFFIX, ""), *path = lw_concat(outdir, "/", name);
    lw_status st = in && path ? lw_outfile_open(f, path, true, err)
                              : lw_error_set(err, LW_E_NOMEM, "out of memory");
    if (!st && !(st = lw_outfile_write_file(f, in, err)))
        st = lw_outfile_finish(f, err);
    free(in);
    free(path);
    return st;
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

    if (cfg->output.format == LW_SEQ_LLMC && may_mask(&cfg->cip))
        return lw_error_set(err, LW_E_USAGE, "--format llmc: llm.c shards hold no loss mask, "
                            "and this output would mask tokens (%s); use another --format, or "
                            "--last drop without --knots and --remainder pad",
                            cfg->cip.knot_tokens && !cfg->cip.concat ? "knot markers"
                            : cfg->cip.remainder == LW_CIP_PAD ? "--remainder pad"
                                                               : "the last sequence's padding");

    lw_status st = LW_OK;
    lw_dataset_set set = {0};
    lw_combine comb = {.cmd_what = "interleaved"};
    lw_tokenizer *tok = NULL;
    lw_token_docs docs = {0};
    bucket *buckets = NULL;
    lw_output *out = NULL;
    char *tmpdir = NULL, *tmp_prefix = NULL;
    lw_outfile lineage = {0};
    char lineage_name[64] = "";
    const char *tok_path = cfg->tokenizer;
    /* Token datasets (what their manifests list), or documents. */
    size_t n_datasets = 0;
    for (size_t i = 0; i < src->n_inputs && !st; i++) {
        size_t before = set.n;
        lw_error e;
        lw_status ds = lw_datasets_open(src->inputs[i], &set, &e);
        if (ds && ds != LW_E_NOINPUT) {
            st = ds;
            if (err)
                *err = e;
        }
        n_datasets += set.n > before; /* inputs that are datasets */
    }
    if (!st && n_datasets && n_datasets != src->n_inputs)
        st = lw_error_set(err, LW_E_USAGE, "give either token datasets or documents, not both");
    if (!st && n_datasets == 0 && !tok_path)
        st = lw_error_set(err, LW_E_USAGE, "%s is not a token dataset (no %s.idx, and no "
                          "manifest lists one there); to start from documents, give the "
                          "tokenizer with -t", src->inputs[0], src->inputs[0]);
    /* The tokenizer: given, or the one the datasets were made with. */
    for (size_t i = 0; i < set.n && !st; i++)
        st = lw_combine_add(&comb, &set.ds[i], 0, err);
    if (st)
        goto done;
    if (!tok_path && comb.tok.known && access(comb.tok.path, R_OK) == 0)
        tok_path = comb.tok.path;
    if (tok_path) {
        lw_tok_opts to = comb.tok.known ? lw_tok_ref_opts(&comb.tok) : (lw_tok_opts){0};
        if (cfg->pattern)
            to.pattern = cfg->pattern;
        if ((st = lw_tok_load(&tok, tok_path, &to, err)))
            goto done;
    }
    lw_tok_ref ref = comb.tok;
    if (tok)
        lw_tok_ref_of(&ref, tok, cfg->pattern);
    uint32_t vocab = ref.known ? ref.vocab_size : 0;
    if (!vocab) {
        st = lw_error_set(err, LW_E_USAGE, "the vocabulary size of %s is not known (no "
                          "manifest); give the tokenizer with -t", src->inputs[0]);
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
    if ((st = lw_pad_choose(&sh.pad, tok, cfg->pad_id, cfg->eod ? sh.opts.eod : -1, err)))
        goto done;
    sh.opts.pad = sh.pad.id;
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

    lw_output_spec spec = {cfg->outdir, LW_OUT_DIR_PARTS, src->part, src->nparts, cfg->force,
                           "a CIP dataset"};
    if ((st = lw_output_claim(&out, &spec, err)))
        goto done;
    size_t n_prefixes = set.n;
    const char **prefixes = calloc(set.n + 1, sizeof *prefixes);
    if (!prefixes) {
        st = lw_error_set(err, LW_E_NOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < set.n; i++)
        prefixes[i] = set.ds[i].prefix;
    if (n_datasets == 0) {
        /* Documents: tokenize them first into a hidden dataset, named after
         * the part so that a rerun of a killed part replaces its leftovers */
        tmpdir = lw_layout_scratch_dir(cfg->outdir, "cip-tokens", src->part);
        tmp_prefix = tmpdir ? lw_concat(tmpdir, "/docs", "") : NULL;
        if (!tmp_prefix) {
            st = lw_error_set(err, LW_E_NOMEM, "out of memory");
            goto done_prefixes;
        }
        lw_tokenize_config tc = {.src = *src, .prefix = tmp_prefix, .force = true,
                                 .tokenizer = tok_path, .pattern = cfg->pattern,
                                 .eod_id = -1, .bos_id = -1};
        lw_tokenize_stats ts;
        if ((st = lw_tokenize_run(&tc, &ts, err)))
            goto done_prefixes;
        stats->docs = ts.docs;
        stats->tokenized = true;
        prefixes[0] = tmp_prefix;
        n_prefixes = 1;
        /* the documents' lineage outlives the hidden tokens: the map's
         * document d is line d of OUTDIR/docs.jsonl (a part's
         * docs.part-IIIII.jsonl, which merge joins in part order) */
        if (src->nparts > 1)
            lw_layout_part_tagged(lineage_name, sizeof lineage_name, LW_DOCS_FILE, src->part,
                                  ".jsonl");
        else
            snprintf(lineage_name, sizeof lineage_name, "%s.jsonl", LW_DOCS_FILE);
        if ((st = copy_lineage(tmp_prefix, cfg->outdir, lineage_name, &lineage, err)))
            goto done_prefixes;
    }
    st = lw_token_docs_open(&docs, prefixes, n_prefixes, vocab, err);
done_prefixes:
    free(prefixes);
    if (st)
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
    if (!st && tmpdir)
        st = lw_outfile_publish(&lineage, err);
    cJSON *m = lw_manifest_new("cip", src->part, nparts);
    if (!m && !st)
        st = lw_error_set(err, LW_E_NOMEM, "out of memory");
    if (st)
        goto unpublish;
    bool ok = lw_json_put(m, "config", config_json(cfg, &sh));
    ok &= lw_manifest_put_tokenizer(m, &ref);
    lw_seqw_info winfo;
    lw_seqw_info_get(buckets[0].out, &winfo);
    ok &= cJSON_AddStringToObject(m, "format_name",
                                  lw_seq_format_name(cfg->output.format)) != NULL;
    ok &= cJSON_AddStringToObject(m, "dtype", winfo.dtype) != NULL;
    cJSON *in = cJSON_AddObjectToObject(m, "inputs");
    ok &= in != NULL;
    cJSON *ds = cJSON_AddArrayToObject(in, "datasets");
    ok &= ds != NULL;
    for (size_t i = 0; i < docs.count && !tmpdir; i++) {
        cJSON *o = cJSON_CreateObject();
        ok &= cJSON_AddStringToObject(o, "prefix", docs.files[i].prefix) != NULL;
        ok &= cJSON_AddNumberToObject(o, "documents", (double)docs.files[i].documents) != NULL;
        /* the map's document d is document d - first_document of this dataset */
        ok &= cJSON_AddNumberToObject(o, "first_document", (double)docs.files[i].first_doc) !=
              NULL;
        if (lw_dataset_has(&set.ds[i], LW_DOCS_ROLE)) {
            char *lin = lw_concat(docs.files[i].prefix, LW_DOCS_SUFFIX, "");
            ok &= lin && cJSON_AddStringToObject(o, "docs", lin) != NULL;
            free(lin);
        }
        ok &= lw_json_push(ds, o);
    }
    if (tmpdir) {
        cJSON *docs_in = cJSON_AddArrayToObject(in, "documents");
        ok &= docs_in != NULL;
        for (size_t i = 0; i < src->n_inputs; i++)
            ok &= lw_json_push(docs_in, cJSON_CreateString(src->inputs[i]));
        ok &= lw_json_put(m, "tokenize_stats", lw_doc_stats_json(&stats->docs));
        ok &= cJSON_AddStringToObject(in, "docs", lineage_name) != NULL;
        ok &= lw_manifest_put_outfile(m, lw_output_dir(out), &lineage, NULL, NULL);
    }
    ok &= cJSON_AddNumberToObject(in, "first_document", (double)sh.first) != NULL;
    ok &= cJSON_AddNumberToObject(in, "end_document", (double)sh.end) != NULL;
    cJSON *bk = cJSON_AddArrayToObject(m, "buckets");
    ok &= bk != NULL;
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
        ok &= cJSON_AddNumberToObject(o, "seq_len", b->seq_len) != NULL;
        if (b->stored_len != b->seq_len)
            ok &= cJSON_AddNumberToObject(o, "stored_len", b->stored_len) != NULL;
        ok &= cip_stats_json(o, &bs->cip);
        ok &= cJSON_AddBoolToObject(o, "mask", bs->masked) != NULL;
        ok &= lw_json_push(bk, o);
        ok &= lw_manifest_put_dataset(m, b->out, lw_output_dir(out));
        ok &= lw_manifest_put_outfile(m, lw_output_dir(out), &b->map, b->prefix,
                                      LW_CIP_MAP_ROLE);
    }
    st = ok ? lw_output_commit(out, m, err)
            : lw_error_set(err, LW_E_NOMEM, "out of memory building the manifest");
    cJSON_Delete(m);
unpublish:
    if (st)
        for (size_t i = 0; i < cfg->n_buckets; i++) {
            lw_seqw_unpublish(buckets[i].out);
            lw_outfile_unpublish(&buckets[i].map);
        }
    if (st)
        lw_outfile_unpublish(&lineage);

done:
    for (size_t i = 0; buckets && i < cfg->n_buckets; i++)
        close_bucket(&buckets[i]);
    free(buckets);
    lw_token_docs_close(&docs);
    lw_tok_free(tok);
    if (tmp_prefix) { /* the hidden tokens of a documents run */
        lw_error ignore;
        char *mp = lw_layout_manifest(tmp_prefix, LW_OUT_PREFIX, 0, 1);
        if (mp)
            lw_dataset_remove(mp, &ignore);
        free(mp);
        rmdir(tmpdir);
    }
    lw_outfile_release(&lineage);
    free(tmp_prefix);
    free(tmpdir);
    lw_output_release(out);
    lw_datasets_free(&set);
    return st;
}
