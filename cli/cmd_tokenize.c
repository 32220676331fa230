/* `longweave tokenize`: flags in, lw_tokenize_run, summary and exit code out. */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "longweave/tokenize.h"

static const char usage_head[] =
    "Usage: longweave tokenize -t TOKENIZER [options] INPUT... -o PREFIX\n"
    "\n"
    "Encode every document with the target model's tokenizer and write one token\n"
    "sequence per document, by default as a Megatron-Core indexed dataset: PREFIX.bin,\n"
    "PREFIX.idx (uint16 ids when the vocabulary is under 65500, int32 otherwise)\n"
    "and PREFIX.manifest.json. Each document is encoded as one whole text, exactly\n"
    "as the reference encoders do (tiktoken's encode_ordinary, SentencePiece's\n"
    "Encode). Output is byte-identical at any -j.\n"
    "\n"
    "Tokenizer:\n"
    "  -t, --tokenizer FILE    a SentencePiece .model, a tiktoken rank file, or a\n"
    "                          Hugging Face tokenizer.json (detected by content)\n"
    "      --pattern P         split pattern of a rank file: cl100k, o200k, r50k,\n"
    "                          llama3, or a regex (default: recognised from the\n"
    "                          vocabulary)\n"
    "      --match-special     tokenizer.json: special-token strings in a document\n"
    "                          (\"<|eot_id|>\") become their ids, as HF's encode\n"
    "                          does (default: plain text, as tiktoken's\n"
    "                          encode_ordinary); recorded in the manifest\n"
    "      --append-eod        end each document with the end-of-document token\n"
    "      --prepend-bos       start each document with the BOS token\n"
    "      --eod-id N, --bos-id N   use these ids instead of the tokenizer's\n"
    "Output:\n"
    "  -o, --output PREFIX     output prefix (required)\n"
    CLI_FORMAT_HELP;

static const char usage_tail[] =
    "\n"
    "Examples:\n"
    "  longweave tokenize -t llama3.tiktoken shards/ --append-eod -o tok/llama3\n"
    "  longweave tokenize -t tokenizer.model data.jsonl.zst -j 16 -o tok/spm\n"
    "  longweave decode tok/llama3 --index 0\n"
    "\n"
    "Exit status: 0 ok, 64 usage, 65 bad input or tokenizer, 66 missing input,\n"
    "73 cannot create output, 74 I/O error.\n";

enum { OPT_PATTERN = 256, OPT_MATCH_SPECIAL, OPT_APPEND_EOD, OPT_PREPEND_BOS, OPT_EOD_ID, OPT_BOS_ID };

static const struct option long_opts[] = {
    CLI_DOC_OPTIONS,
    {"tokenizer", required_argument, NULL, 't'},
    {"pattern", required_argument, NULL, OPT_PATTERN},
    {"match-special", no_argument, NULL, OPT_MATCH_SPECIAL},
    {"append-eod", no_argument, NULL, OPT_APPEND_EOD},
    {"prepend-bos", no_argument, NULL, OPT_PREPEND_BOS},
    {"eod-id", required_argument, NULL, OPT_EOD_ID},
    {"bos-id", required_argument, NULL, OPT_BOS_ID},
    CLI_FORMAT_OPTIONS,
    {NULL, 0, NULL, 0},
};

int cmd_tokenize(int argc, char **argv)
{
    static const char *cmd = "tokenize";
    lw_tokenize_config cfg = {.eod_id = -1, .bos_id = -1};
    cli_doc_opts o = {0};
    int rc = 0, c;
    uint64_t v = 0;
    optind = 1;
    while (rc == 0 && (c = getopt_long(argc, argv, "o:t:j:qh", long_opts, NULL)) != -1) {
        if (cli_doc_option(cmd, c, optarg, &o, &rc) ||
            cli_format_option(cmd, c, optarg, &cfg.output, &rc))
            continue;
        switch (c) {
        case 't': cfg.tokenizer = optarg; break;
        case OPT_PATTERN: cfg.pattern = optarg; break;
        case OPT_MATCH_SPECIAL: cfg.match_special = true; break;
        case OPT_APPEND_EOD: cfg.append_eod = true; break;
        case OPT_PREPEND_BOS: cfg.prepend_bos = true; break;
        case OPT_EOD_ID:
            rc = cli_parse_u64(cmd, "--eod-id", optarg, &v);
            cfg.eod_id = (int64_t)v;
            cfg.append_eod = true;
            break;
        case OPT_BOS_ID:
            rc = cli_parse_u64(cmd, "--bos-id", optarg, &v);
            cfg.bos_id = (int64_t)v;
            cfg.prepend_bos = true;
            break;
        case 'h':
            cli_print_help(usage_head, usage_tail);
            goto out;
        default:
            rc = cli_usage_error(cmd, "unknown or incomplete option");
        }
    }
    if (rc)
        goto out;
    if (!cfg.tokenizer) {
        rc = cli_usage_error(cmd, "no tokenizer given (-t FILE)");
        goto out;
    }
    if ((rc = cli_require_io(cmd, argc, optind, &o,
                             "a file, a directory, or - for stdin", "PREFIX")))
        goto out;
    int done = cli_doc_prepare_output(cmd, &o, LW_OUT_PREFIX);
    if (done >= 0) {
        rc = done;
        goto out;
    }
    cli_reporter rep;
    cli_reporter_init(&rep, cmd, o.quiet, o.progress_every);
    cli_doc_source(&cfg.src, &o, argv + optind, argc - optind, &rep);
    cfg.prefix = o.output;
    cfg.force = o.force;
    lw_tokenize_stats stats;
    lw_error err = {0};
    lw_status st = lw_tokenize_run(&cfg, &stats, &err);
    cli_progress_clear(&rep);
    if (st) {
        rc = cli_fail(cmd, st, err.msg);
        goto out;
    }
    cli_print_doc_summary(&rep, &stats.docs);
    if (!o.quiet)
        fprintf(stderr, "  %llu sequences, %llu tokens (%llu empty sequences) in %s (%s)\n",
                (unsigned long long)stats.sequences, (unsigned long long)stats.tokens,
                (unsigned long long)stats.empty_sequences, cfg.prefix,
                lw_seq_format_name(cfg.output.format));
    if (o.stats_json) {
        cJSON *extra = cJSON_CreateObject();
        bool ok = extra != NULL;
        ok &= cJSON_AddNumberToObject(extra, "sequences", (double)stats.sequences) != NULL;
        ok &= cJSON_AddNumberToObject(extra, "tokens", (double)stats.tokens) != NULL;
        ok &= cJSON_AddNumberToObject(extra, "empty_sequences",
                                      (double)stats.empty_sequences) != NULL;
        rc = cli_write_stats_json(cmd, o.stats_json, &stats.docs, extra, ok, cli_now() - rep.start);
    }
out:
    cli_doc_opts_free(&o);
    return rc;
}
