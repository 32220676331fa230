/* `longweave cip`: flags in, lw_cip_run, summary and exit code out. */
#include <cjson/cJSON.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "longweave/pad.h"
#include "longweave/cip_stage.h"
#include "longweave/json_build.h"
#include "longweave/vec.h"

static const char usage_head[] =
    "Usage: longweave cip INPUT... -o OUTDIR --seq-len L[,L2,...] [options]\n"
    "\n"
    "Chunk-interleaved pretraining data (LongSkywork's CIP): documents are cut into C\n"
    "chunks and emitted round-robin by chunk index (A1 B1 C1 A2 B2 C2) in sequences of\n"
    "exactly L tokens, so the model must look far back to continue each document.\n"
    "INPUT is a token dataset prefix (PREFIX.bin/.idx, e.g. from `longweave\n"
    "tokenize`), several of them, or documents with -t (tokenized first). Writes\n"
    "OUTDIR/len-LLLLLLL/part-IIIII.{bin,idx} (one sample per sequence), a\n"
    ".mask.{bin,idx} loss mask when some tokens are masked, a .map.jsonl of where\n"
    "every span came from, and OUTDIR/manifest.json. docs/DESIGN.md defines the\n"
    "algorithm exactly.\n"
    "\n";

static const char usage_tail[] =
    "\n"
    "Examples:\n"
    "  longweave cip tok/llama3 --seq-len 32k,128k --length-mix 1,3 -o cip/\n"
    "  longweave cip tok/llama3 --seq-len 131072 --mode concat -o baseline/\n"
    "  longweave cip shards/ -t llama3.tiktoken --seq-len 65536 --knots -o utk/\n"
    "\n"
    "Exit status: 0 ok, 64 usage, 65 bad input, 66 missing input,\n"
    "73 cannot create output, 74 I/O error.\n";

/* --knot-ids LIST into a knot_ids value */
typedef struct {
    uint32_t **ids;
    size_t *n;
    bool *knots;
} knot_ids;

static int parse_ids(const char *cmd, const char *s, uint32_t **out, size_t *n)
{
    *n = 0;
    size_t cap = 0; /* a repeated --knot-ids refills (and reallocates) the same *out */
    for (const char *p = s; *p;) {
        char *end;
        if (!isdigit((unsigned char)*p))
            return cli_usage_error(cmd, "--knot-ids expects token ids like 15,16,17");
        unsigned long v = strtoul(p, &end, 10);
        if (!LW_VEC_GROW(out, &cap, *n + 1))
            return cli_fail(cmd, LW_E_NOMEM, "out of memory");
        (*out)[(*n)++] = (uint32_t)v;
        p = *end == ',' ? end + 1 : end;
        if (*end && *end != ',')
            return cli_usage_error(cmd, "--knot-ids expects token ids like 15,16,17");
    }
    return *n >= 2 ? 0 : cli_usage_error(cmd, "--knot-ids needs at least two ids");
}

static int set_knot_ids(const char *cmd, const cli_option *opt, const char *arg)
{
    const knot_ids *k = opt->value;
    *k->knots = true;
    return parse_ids(cmd, arg, k->ids, k->n);
}

static int set_knot_tokens(const char *cmd, const cli_option *opt, const char *arg)
{
    const knot_ids *k = opt->value; /* its knots flag, and the count in *n */
    *k->knots = true;
    unsigned v = 0;
    int rc = cli_parse_uint(cmd, "--knot-tokens", arg, 1, 64, &v);
    *k->n = v;
    return rc;
}

static const char *const modes[] = {"cip", "concat", NULL};
static const char *const splits[] = {"equal", "random", NULL};
static const char *const reaches[] = {"paper", "spread", NULL};
static const char *const remainders[] = {"carry", "drop", "pad", NULL};
static const char *const lasts[] = {"pad", "drop", NULL};
static const char *const long_docs[] = {"keep", "interleave", NULL};

/* 1234567 as "1,234,567" */
static void print_reach(const lw_cip_bucket_stats *b)
{
    const lw_cip_stats *s = &b->cip;
    uint64_t doc = s->interleaved_tokens + s->single_tokens + s->long_tokens;
    char a[32], lo[32], hi[32];
    fprintf(stderr, "    %.1f%% of document tokens interleaved, %.1f%% long documents; ",
            doc ? 100.0 * (double)s->interleaved_tokens / (double)doc : 0,
            doc ? 100.0 * (double)s->long_tokens / (double)doc : 0);
    if (s->reach_gaps)
        fprintf(stderr, "reach-back: median %s tokens, 90%% within %s-%s\n",
                cli_grouped(s->reach_median, a), cli_grouped(s->reach_p5, lo),
                cli_grouped(s->reach_p95, hi));
    else
        fprintf(stderr, "reach-back: no interleaved chunks\n");
}

int cmd_cip(int argc, char **argv)
{
    static const char *cmd = "cip";
    lw_cip_config cfg = {.bos_id = -1, .eod_id = -1, .pad_id = LW_PAD_DEFAULT};
    uint32_t knot_tokens = 2;
    bool knots = false;
    char names[LW_CIP_MAX_BUCKETS][32];
    const char *mix = NULL;
    uint32_t *knot_ids_v = NULL;
    cli_doc_opts o = {0};
    int mode = 0, last = 0, long_mode = 0, split = 0, reach = 0, remainder = 0;
    unsigned chunks = 2, min_chunk = 32, window = 0;
    cli_special_id eod = {&cfg.eod_id, &cfg.eod}, bos = {&cfg.bos_id, &cfg.bos};
    cli_lengths lens = {cfg.seq_len, names, LW_CIP_MAX_BUCKETS, &cfg.n_buckets};
    knot_ids kids = {&knot_ids_v, &cfg.n_knot_ids, &knots};
    size_t n_knot_tokens = 2;
    knot_ids ktok = {NULL, &n_knot_tokens, &knots};
    const cli_option options[] = {
        CLI_OPT_GROUP("Sequences:"),
        CLI_OPT_CALL(0, "seq-len", "LIST", &lens, cli_set_lengths,
                     "lengths, e.g. 32768,131072 or 32k,128k (k = 1024)"),
        CLI_OPT_STR(0, "length-mix", "LIST", &mix,
                    "token share of each length: 1,3 or 32k:1,128k:3\n(default equal)"),
        CLI_OPT_CHOICE(0, "mode", "M", &mode, modes,
                       "cip (default) or concat (same documents, no\n"
                       "interleaving: the usual packing, for comparison)"),
        CLI_OPT_UINT(0, "chunks-per-doc", "C", &chunks, 1, 1024,
                     "chunks per document (default 2, the paper's CIP-2)"),
        CLI_OPT_UINT(0, "min-chunk-tokens", "M", &min_chunk, 1, 1u << 30,
                     "short documents get fewer chunks (default 32)"),
        CLI_OPT_CHOICE(0, "split", "S", &split, splits, "equal (default) or random cut points"),
        CLI_OPT_CHOICE(0, "remainder", "R", &remainder, remainders,
                       "the tail that does not fit: carry (default: starts the\n"
                       "next sequence), drop, or pad"),
        CLI_OPT_CHOICE(0, "last", "L", &last, lasts,
                       "the last partial sequence: pad (default) or drop"),
        CLI_OPT_CHOICE(0, "long-docs", "D", &long_mode, long_docs,
                       "documents of L tokens or more: keep (default: cut into\n"
                       "sequences as they are) or interleave"),
        CLI_OPT_CHOICE(0, "reach", "R", &reach, reaches,
                       "how far back a chunk's previous chunk lies: paper\n"
                       "(default: one round-robin per sequence, about L/C)\n"
                       "or spread (round-robins over runs of the sequence's\n"
                       "documents, chosen to fill [0, L/2) evenly at C = 2)"),
        CLI_OPT_UINT(0, "shuffle-window", "W", &window, 1, 1u << 26,
                     "documents are taken in a seeded order from a window of\n"
                     "W (default 65536; 1 = input order)"),
        CLI_OPT_U64(0, "seed", "S", &o.seed,
                    "seed of the order, random splits and knots (default 0)"),
        CLI_OPT_GROUP("Inserted tokens:"),
        CLI_OPT_BOOL(0, "eod", &cfg.eod,
                     "an end-of-document token after each document (off by\n"
                     "default, as in the paper)"),
        CLI_OPT_BOOL(0, "bos", &cfg.bos, "a BOS token first in each sequence (off by default)"),
        CLI_OPT_CALL(0, "eod-id", "N", &eod, cli_set_special_id,
                     "the end-of-document id (default: the tokenizer's)"),
        CLI_OPT_CALL(0, "bos-id", "N", &bos, cli_set_special_id,
                     "the BOS id (default: the tokenizer's)"),
        CLI_OPT_PAD_ID(&cfg.pad_id),
        CLI_OPT_BOOL(0, "knots", &knots,
                     "Untie-the-Knots markers: each chunk is preceded by a\n"
                     "random id (loss mask 0) and each document's last chunk\n"
                     "is followed by its ids again, in order (mask 1)"),
        CLI_OPT_CALL(0, "knot-tokens", "K", &ktok, set_knot_tokens,
                     "marker length (default 2)"),
        CLI_OPT_CALL(0, "knot-ids", "LIST", &kids, set_knot_ids,
                     "marker alphabet (default: the tokenizer's digits)"),
        CLI_OPT_GROUP("Tokenizer:"),
        CLI_OPT_STR('t', "tokenizer", "FILE", &cfg.tokenizer,
                    "needed for document input; default for datasets: the\n"
                    "one in PREFIX.manifest.json"),
        CLI_OPT_STR(0, "pattern", "P", &cfg.pattern, "split pattern of a rank file (see tokenize)"),
        CLI_OPT_GROUP("Output:"),
        CLI_OPT_STR('o', "output", "DIR", &o.output, "output directory (required)"),
        CLI_OPT_FORMATS(&cfg.output),
        CLI_OPT_SHARED(cli_doc_options(&o)),
        CLI_OPT_END,
    };
    int first, rc = 0;
    if (!cli_parse_options(cmd, options, argc, argv, usage_head, usage_tail, &first, &rc))
        goto out;
    knot_tokens = (uint32_t)n_knot_tokens;
    cfg.knot_ids = knot_ids_v;
    cfg.cip.concat = mode == 1;
    cfg.cip.chunks = chunks;
    cfg.cip.min_chunk = min_chunk;
    cfg.cip.split = (lw_cip_split)split;
    cfg.cip.reach = (lw_cip_reach)reach;
    cfg.cip.remainder = (lw_cip_remainder)remainder;
    cfg.cip.drop_last = last == 1;
    cfg.cip.interleave_long = long_mode == 1;
    if (window)
        cfg.shuffle_window = window;
    if ((rc = cli_require_io(cmd, argc, first, &o,
                             "a token dataset prefix, or documents with -t", "OUTDIR")))
        goto out;
    if (cfg.n_buckets == 0) {
        rc = cli_usage_error(cmd, "no sequence length given (--seq-len L)");
        goto out;
    }
    for (size_t i = 0; i < cfg.n_buckets; i++)
        cfg.mix[i] = 1;
    if (mix && (rc = cli_parse_mix(cmd, mix, cfg.seq_len, names, cfg.n_buckets, cfg.mix)))
        goto out;
    cfg.cip.knot_tokens = knots ? knot_tokens : 0;
    int done = cli_doc_prepare_output(cmd, &o, LW_OUT_DIR_PARTS);
    if (done >= 0) {
        rc = done;
        goto out;
    }
    cli_reporter rep;
    cli_reporter_init(&rep, cmd, o.quiet, o.progress_every);
    cli_doc_source(&cfg.src, &o, argv + first, argc - first, &rep);
    cfg.outdir = o.output;
    cfg.force = o.force;
    cfg.seed = o.seed;
    cfg.cip.seed = o.seed;
    lw_cip_run_stats stats;
    lw_error err = {0};
    lw_status st = lw_cip_run(&cfg, &stats, &err);
    cli_progress_clear(&rep);
    if (st) {
        rc = cli_fail(cmd, st, err.msg);
        goto out;
    }
    if (!o.quiet) {
        fprintf(stderr, "longweave cip: %llu documents into %zu bucket%s in %s\n",
                (unsigned long long)stats.documents, stats.n_buckets,
                stats.n_buckets == 1 ? "" : "s", cfg.outdir);
        for (size_t i = 0; i < stats.n_buckets; i++) {
            const lw_cip_bucket_stats *b = &stats.buckets[i];
            fprintf(stderr, "  len %u: %llu documents, %llu sequences; tokens: %llu from "
                    "documents, %llu inserted, %llu padding, %llu dropped%s\n",
                    b->seq_len, (unsigned long long)b->cip.documents,
                    (unsigned long long)b->cip.sequences, (unsigned long long)b->cip.doc_tokens,
                    (unsigned long long)b->cip.inserted_tokens,
                    (unsigned long long)b->cip.pad_tokens,
                    (unsigned long long)b->cip.dropped_tokens, b->masked ? " (loss mask)" : "");
            print_reach(b);
        }
    }
    cli_print_doc_losses(&rep, &stats.docs);
    if (o.stats_json) {
        cJSON *extra = cJSON_CreateObject();
        bool ok = extra != NULL;
        ok &= cJSON_AddNumberToObject(extra, "documents_taken", (double)stats.documents) != NULL;
        cJSON *bk = cJSON_AddArrayToObject(extra, "buckets");
        ok &= bk != NULL;
        for (size_t i = 0; i < stats.n_buckets; i++) {
            const lw_cip_bucket_stats *b = &stats.buckets[i];
            cJSON *j = cJSON_CreateObject();
            ok &= cJSON_AddNumberToObject(j, "seq_len", b->seq_len) != NULL;
            ok &= cJSON_AddNumberToObject(j, "documents", (double)b->cip.documents) != NULL;
            ok &= cJSON_AddNumberToObject(j, "sequences", (double)b->cip.sequences) != NULL;
            ok &= cJSON_AddNumberToObject(j, "document_tokens", (double)b->cip.doc_tokens) != NULL;
            ok &= cJSON_AddNumberToObject(j, "inserted_tokens",
                                          (double)b->cip.inserted_tokens) != NULL;
            ok &= cJSON_AddNumberToObject(j, "pad_tokens", (double)b->cip.pad_tokens) != NULL;
            ok &= cJSON_AddNumberToObject(j, "dropped_tokens",
                                          (double)b->cip.dropped_tokens) != NULL;
            ok &= lw_json_push(bk, j);
        }
        rc = cli_write_stats_json(cmd, o.stats_json, stats.tokenized ? &stats.docs : NULL, extra,
                                  ok, cli_now() - rep.start);
    }
out:
    cli_doc_opts_free(&o);
    free(knot_ids_v);
    return rc;
}
