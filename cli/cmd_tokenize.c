/* `longweave tokenize`: flags in, lw_tokenize_run, summary and exit code out. */
#include <cjson/cJSON.h>
#include <stdio.h>
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
    "\n";

static const char usage_tail[] =
    "\n"
    "Examples:\n"
    "  longweave tokenize -t llama3.tiktoken shards/ --append-eod -o tok/llama3\n"
    "  longweave tokenize -t tokenizer.model data.jsonl.zst -j 16 -o tok/spm\n"
    "  longweave decode tok/llama3 --index 0\n"
    "\n"
    "Exit status: 0 ok, 64 usage, 65 bad input or tokenizer, 66 missing input,\n"
    "73 cannot create output, 74 I/O error.\n";

int cmd_tokenize(int argc, char **argv)
{
    static const char *cmd = "tokenize";
    lw_tokenize_config cfg = {.eod_id = -1, .bos_id = -1};
    cli_doc_opts o = {0};
    cli_special_id eod = {&cfg.eod_id, &cfg.append_eod}, bos = {&cfg.bos_id, &cfg.prepend_bos};
    const cli_option options[] = {
        CLI_OPT_GROUP("Tokenizer:"),
        CLI_OPT_STR('t', "tokenizer", "FILE", &cfg.tokenizer,
                    "a SentencePiece .model, a tiktoken rank file, or a\n"
                    "Hugging Face tokenizer.json (detected by content)"),
        CLI_OPT_STR(0, "pattern", "P", &cfg.pattern,
                    "split pattern of a rank file: cl100k, o200k, r50k,\n"
                    "llama3, or a regex (default: recognised from the\n"
                    "vocabulary)"),
        CLI_OPT_BOOL(0, "match-special", &cfg.match_special,
                     "tokenizer.json: special-token strings in a document\n"
                     "(\"<|eot_id|>\") become their ids, as HF's encode\n"
                     "does (default: plain text, as tiktoken's\n"
                     "encode_ordinary); recorded in the manifest"),
        CLI_OPT_BOOL(0, "append-eod", &cfg.append_eod,
                     "end each document with the end-of-document token"),
        CLI_OPT_BOOL(0, "prepend-bos", &cfg.prepend_bos, "start each document with the BOS token"),
        CLI_OPT_CALL(0, "eod-id", "N", &eod, cli_set_special_id,
                     "use this end-of-document id instead of the tokenizer's"),
        CLI_OPT_CALL(0, "bos-id", "N", &bos, cli_set_special_id,
                     "use this BOS id instead of the tokenizer's"),
        CLI_OPT_GROUP("Output:"),
        CLI_OPT_STR('o', "output", "PREFIX", &o.output, "output prefix (required)"),
        CLI_OPT_FORMATS(&cfg.output),
        CLI_OPT_SHARED(cli_doc_options(&o)),
        CLI_OPT_END,
    };
    int first, rc = 0;
    if (!cli_parse_options(cmd, options, argc, argv, usage_head, usage_tail, &first, &rc))
        goto out;
    if (!cfg.tokenizer) {
        rc = cli_usage_error(cmd, "no tokenizer given (-t FILE)");
        goto out;
    }
    if ((rc = cli_require_io(cmd, argc, first, &o,
                             "a file, a directory, or - for stdin", "PREFIX")))
        goto out;
    int done = cli_doc_prepare_output(cmd, &o, LW_OUT_PREFIX);
    if (done >= 0) {
        rc = done;
        goto out;
    }
    cli_reporter rep;
    cli_reporter_init(&rep, cmd, o.quiet, o.progress_every);
    cli_doc_source(&cfg.src, &o, argv + first, argc - first, &rep);
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
