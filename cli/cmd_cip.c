/* `longweave cip`: flags in, lw_cip_run, summary and exit code out. */
#include <cjson/cJSON.h>
#include <ctype.h>
#include <getopt.h>
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
    "\n"
    "Sequences:\n"
    "      --seq-len LIST      lengths, e.g. 32768,131072 or 32k,128k (k = 1024)\n"
    "      --length-mix LIST   token share of each length: 1,3 or 32k:1,128k:3\n"
    "                          (default equal)\n"
    "      --mode M            cip (default) or concat (same documents, no\n"
    "                          interleaving: the usual packing, for comparison)\n"
    "      --chunks-per-doc C  chunks per document (default 2, the paper's CIP-2)\n"
    "      --min-chunk-tokens M  short documents get fewer chunks (default 32)\n"
    "      --split S           equal (default) or random cut points\n"
    "      --remainder R       the tail that does not fit: carry (default: starts the\n"
    "                          next sequence), drop, or pad\n"
    "      --last L            the last partial sequence: pad (default) or drop\n"
    "      --long-docs D       documents of L tokens or more: keep (default: cut into\n"
    "                          sequences as they are) or interleave\n"
    "      --reach R           how far back a chunk's previous chunk lies: paper\n"
    "                          (default: one round-robin per sequence, about L/C)\n"
    "                          or spread (round-robins over runs of the sequence's\n"
    "                          documents, chosen to fill [0, L/2) evenly at C = 2)\n"
    "      --shuffle-window W  documents are taken in a seeded order from a window of\n"
    "                          W (default 65536; 1 = input order)\n"
    "      --seed S            seed of the order, random splits and knots (default 0)\n"
    "Inserted tokens:\n"
    "      --eod, --bos        end-of-document after each document / BOS first in\n"
    "                          each sequence (off by default, as in the paper)\n"
    "      --eod-id N, --bos-id N   ids (default: the tokenizer's)\n"
    CLI_PAD_HELP
    "      --knots             Untie-the-Knots markers: each chunk is preceded by a\n"
    "                          random id (loss mask 0) and each document's last chunk\n"
    "                          is followed by its ids again, in order (mask 1)\n"
    "      --knot-tokens K     marker length (default 2)\n"
    "      --knot-ids LIST     marker alphabet (default: the tokenizer's digits)\n"
    "Tokenizer:\n"
    "  -t, --tokenizer FILE    needed for document input; default for datasets: the\n"
    "                          one in PREFIX.manifest.json\n"
    "      --pattern P         split pattern of a rank file (see tokenize)\n"
    "Output:\n"
    "  -o, --output DIR        output directory (required)\n"
    CLI_FORMAT_HELP;

static const char usage_tail[] =
    "\n"
    "Examples:\n"
    "  longweave cip tok/llama3 --seq-len 32k,128k --length-mix 1,3 -o cip/\n"
    "  longweave cip tok/llama3 --seq-len 131072 --mode concat -o baseline/\n"
    "  longweave cip shards/ -t llama3.tiktoken --seq-len 65536 --knots -o utk/\n"
    "\n"
    "Exit status: 0 ok, 64 usage, 65 bad input, 66 missing input,\n"
    "73 cannot create output, 74 I/O error.\n";

enum {
    OPT_SEQ_LEN = 256, OPT_MIX, OPT_MODE, OPT_CHUNKS, OPT_MIN_CHUNK, OPT_SPLIT, OPT_REMAINDER,
    OPT_LAST, OPT_LONG, OPT_WINDOW, OPT_EOD, OPT_BOS, OPT_EOD_ID, OPT_BOS_ID, OPT_PAD_ID,
    OPT_KNOTS, OPT_KNOT_TOKENS, OPT_KNOT_IDS, OPT_PATTERN, OPT_REACH
};

static const struct option long_opts[] = {
    CLI_DOC_OPTIONS,
    {"seq-len", required_argument, NULL, OPT_SEQ_LEN},
    {"length-mix", required_argument, NULL, OPT_MIX},
    {"mode", required_argument, NULL, OPT_MODE},
    {"chunks-per-doc", required_argument, NULL, OPT_CHUNKS},
    {"min-chunk-tokens", required_argument, NULL, OPT_MIN_CHUNK},
    {"split", required_argument, NULL, OPT_SPLIT},
    {"remainder", required_argument, NULL, OPT_REMAINDER},
    {"last", required_argument, NULL, OPT_LAST},
    {"long-docs", required_argument, NULL, OPT_LONG},
    {"reach", required_argument, NULL, OPT_REACH},
    {"shuffle-window", required_argument, NULL, OPT_WINDOW},
    {"eod", no_argument, NULL, OPT_EOD},
    {"bos", no_argument, NULL, OPT_BOS},
    {"eod-id", required_argument, NULL, OPT_EOD_ID},
    {"bos-id", required_argument, NULL, OPT_BOS_ID},
    {"pad-id", required_argument, NULL, OPT_PAD_ID},
    {"knots", no_argument, NULL, OPT_KNOTS},
    {"knot-tokens", required_argument, NULL, OPT_KNOT_TOKENS},
    {"knot-ids", required_argument, NULL, OPT_KNOT_IDS},
    {"tokenizer", required_argument, NULL, 't'},
    {"pattern", required_argument, NULL, OPT_PATTERN},
    CLI_FORMAT_OPTIONS,
    {NULL, 0, NULL, 0},
};

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

static int choose(const char *cmd, const char *opt, const char *arg, const char *const *names,
                  int n, int *out)
{
    for (int i = 0; i < n; i++)
        if (strcmp(arg, names[i]) == 0) {
            *out = i;
            return 0;
        }
    return cli_usage_error(cmd, "%s: '%s' is not one of the choices (see --help)", opt, arg);
}

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
    cfg.cip.chunks = 2;
    cfg.cip.min_chunk = 32;
    uint32_t knot_tokens = 2;
    bool knots = false;
    char names[LW_CIP_MAX_BUCKETS][32];
    const char *mix = NULL;
    uint32_t *knot_ids = NULL;
    cli_doc_opts o = {0};
    int rc = 0, c, v = 0;
    uint64_t u = 0;
    unsigned x = 0;
    optind = 1;
    while (rc == 0 && (c = getopt_long(argc, argv, "o:t:j:qh", long_opts, NULL)) != -1) {
        if (cli_doc_option(cmd, c, optarg, &o, &rc) ||
            cli_format_option(cmd, c, optarg, &cfg.output, &rc))
            continue;
        switch (c) {
        case OPT_SEQ_LEN:
            rc = cli_parse_lengths(cmd, optarg, cfg.seq_len, names, LW_CIP_MAX_BUCKETS,
                                   &cfg.n_buckets);
            break;
        case OPT_MIX: mix = optarg; break;
        case OPT_MODE:
            rc = choose(cmd, "--mode", optarg, (const char *[]){"cip", "concat"}, 2, &v);
            cfg.cip.concat = v == 1;
            break;
        case OPT_CHUNKS:
            rc = cli_parse_uint(cmd, "--chunks-per-doc", optarg, 1, 1024, &x);
            cfg.cip.chunks = x;
            break;
        case OPT_MIN_CHUNK:
            rc = cli_parse_uint(cmd, "--min-chunk-tokens", optarg, 1, 1u << 30, &x);
            cfg.cip.min_chunk = x;
            break;
        case OPT_SPLIT:
            rc = choose(cmd, "--split", optarg, (const char *[]){"equal", "random"}, 2, &v);
            cfg.cip.split = (lw_cip_split)v;
            break;
        case OPT_REACH:
            rc = choose(cmd, "--reach", optarg, (const char *[]){"paper", "spread"}, 2, &v);
            cfg.cip.reach = (lw_cip_reach)v;
            break;
        case OPT_REMAINDER:
            rc = choose(cmd, "--remainder", optarg, (const char *[]){"carry", "drop", "pad"}, 3,
                        &v);
            cfg.cip.remainder = (lw_cip_remainder)v;
            break;
        case OPT_LAST:
            rc = choose(cmd, "--last", optarg, (const char *[]){"pad", "drop"}, 2, &v);
            cfg.cip.drop_last = v == 1;
            break;
        case OPT_LONG:
            rc = choose(cmd, "--long-docs", optarg, (const char *[]){"keep", "interleave"}, 2,
                        &v);
            cfg.cip.interleave_long = v == 1;
            break;
        case OPT_WINDOW:
            rc = cli_parse_uint(cmd, "--shuffle-window", optarg, 1, 1u << 26, &x);
            cfg.shuffle_window = x;
            break;
        case OPT_EOD: cfg.eod = true; break;
        case OPT_BOS: cfg.bos = true; break;
        case OPT_EOD_ID:
            rc = cli_parse_u64(cmd, "--eod-id", optarg, &u);
            cfg.eod_id = (int64_t)u;
            cfg.eod = true;
            break;
        case OPT_BOS_ID:
            rc = cli_parse_u64(cmd, "--bos-id", optarg, &u);
            cfg.bos_id = (int64_t)u;
            cfg.bos = true;
            break;
        case OPT_PAD_ID: rc = cli_parse_pad_id(cmd, optarg, &cfg.pad_id); break;
        case OPT_KNOTS: knots = true; break;
        case OPT_KNOT_TOKENS:
            rc = cli_parse_uint(cmd, "--knot-tokens", optarg, 1, 64, &knot_tokens);
            knots = true;
            break;
        case OPT_KNOT_IDS:
            rc = parse_ids(cmd, optarg, &knot_ids, &cfg.n_knot_ids);
            cfg.knot_ids = knot_ids;
            knots = true;
            break;
        case 't': cfg.tokenizer = optarg; break;
        case OPT_PATTERN: cfg.pattern = optarg; break;
        case 'h':
            cli_print_help(usage_head, usage_tail);
            goto out;
        default:
            rc = cli_usage_error(cmd, "unknown or incomplete option");
        }
    }
    if (rc)
        goto out;
    if ((rc = cli_require_io(cmd, argc, optind, &o,
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
    cli_doc_source(&cfg.src, &o, argv + optind, argc - optind, &rep);
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
    free(knot_ids);
    return rc;
}
