/* `longweave needle`: flags in, lw_needle_run, summary and exit code out. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "longweave/needle.h"
#include "longweave/vec.h"

static const char usage[] =
    "Usage: longweave needle -t TOKENIZER --seq-len L[,L2,...] -o OUTDIR [options]\n"
    "\n"
    "Evaluation sets that show whether long context was learned: needle-in-a-haystack\n"
    "and RULER-style tasks at every (length, depth). Each input tokenizes to its length\n"
    "within 1% and never over; needle 0 starts at the depth's nearest sentence (list\n"
    "item, JSON pair) boundary. Writes OUTDIR/TASK.jsonl with one record per sample\n"
    "(id, task, length, depth, input, answers, needle_token_offset, tokens),\n"
    "OUTDIR/TASK.{bin,idx} (the tokenized inputs, same order) and OUTDIR/manifest.json.\n"
    "Score a model's answers with 'longweave score'.\n"
    "\n";

static const char usage_tail[] =
    "\n"
    "Examples:\n"
    "  longweave needle -t llama3.tiktoken --seq-len 4k,8k,16k,32k,64k,128k -o eval/\n"
    "  longweave needle -t tokenizer.model --seq-len 32k --tasks niah_single,passkey \\\n"
    "      --haystack essays.jsonl --count-per-cell 5 -o eval-32k/\n"
    "\n"
    "Exit status: 0 ok, 64 usage, 65 bad haystack, 66 missing input, 73 cannot create\n"
    "output, 74 I/O error.\n";

int cmd_needle(int argc, char **argv)
{
    static const char *cmd = "needle";
    lw_needle_config cfg = {0};
    cli_doc_opts o = {0};
    char names[LW_NEEDLE_MAX_LENGTHS][32];
    cli_strings tasks = {0}, haystack = {0};
    unsigned depths = 0, per_cell = 0;
    cli_lengths lens = {cfg.lengths, names, LW_NEEDLE_MAX_LENGTHS, &cfg.n_lengths};
    const cli_option options[] = {
        CLI_OPT_STR('t', "tokenizer", "FILE", &cfg.tokenizer,
                    "tokenizer (required): lengths are measured in its tokens"),
        CLI_OPT_STR(0, "pattern", "P", &cfg.pattern, "split pattern of a rank file (see tokenize)"),
        CLI_OPT_CALL(0, "seq-len", "LIST", &lens, cli_set_lengths,
                     "lengths, e.g. 4096,8192,16384 or 4k,32k,128k"),
        CLI_OPT_UINT(0, "depths", "N", &depths, 1, 1001,
                     "depths evenly from 0% to 100% (default 11)"),
        CLI_OPT_CALL(0, "tasks", "LIST", &tasks, cli_set_comma_list,
                     "niah_single,niah_multikey,niah_multivalue,niah_multiquery,\n"
                     "passkey,vt,cwe,kv (default all)"),
        CLI_OPT_UINT(0, "count-per-cell", "N", &per_cell, 1, 100000,
                     "samples per (task, length, depth) (default 1)"),
        CLI_OPT_STR(0, "lang", "en|zh", &cfg.lang,
                    "language of the instructions, needles and questions\n"
                    "(default en); zh also cuts the haystack into sentences\n"
                    "at \u3002\uff01\uff1f\uff1b and Unicode's other terminators"),
        CLI_OPT_CALL(0, "haystack", "PATH", &haystack, cli_push_string,
                     "take the haystack's sentences from this corpus (file or\n"
                     "directory, any format the readers accept; repeatable);\n"
                     "default: the built-in filler (\"The grass is green. ...\")"),
        CLI_OPT_BOOL(0, "one-file", &cfg.one_file,
                     "write all tasks to OUTDIR/needle.{jsonl,bin,idx}"),
        CLI_OPT_FORMATS(&cfg.output),
        CLI_OPT_BOOL(0, "prepend-bos", &cfg.prepend_bos,
                     "start each tokenized input with BOS (counted in the length)"),
        CLI_OPT_U64(0, "seed", "S", &o.seed, "seed (default 0)"),
        CLI_OPT_STR('o', "output", "DIR", &o.output, "output directory (required)"),
        CLI_OPT_NOTE("The haystack is read as shard reads its input:"),
        CLI_OPT_SHARED(cli_doc_options(&o)),
        CLI_OPT_END,
    };
    int first, rc = 0;
    if (!cli_parse_options(cmd, options, argc, argv, usage, usage_tail, &first, &rc))
        goto out;
    cfg.depths = depths;
    cfg.count_per_cell = per_cell;
    if (first < argc) {
        rc = cli_usage_error(cmd, "needle takes no positional input ('%s'); give a haystack "
                             "corpus with --haystack", argv[first]);
        goto out;
    }
    if (!o.output || !cfg.tokenizer || !cfg.n_lengths) {
        rc = cli_usage_error(cmd, "-t TOKENIZER, --seq-len and -o OUTDIR are required");
        goto out;
    }
    int done = cli_doc_prepare_output(cmd, &o, LW_OUT_DIR_PARTS);
    if (done >= 0) {
        rc = done;
        goto out;
    }
    cli_reporter rep;
    cli_reporter_init(&rep, cmd, o.quiet, o.progress_every);
    cli_doc_source(&cfg.haystack, &o, (char **)haystack.v, (int)haystack.n, &rep);
    cfg.haystack.part = 0; /* --part slices the samples; the haystack is read whole */
    cfg.haystack.nparts = 1;
    cfg.haystack.progress = NULL;
    cfg.outdir = o.output;
    cfg.force = o.force;
    cfg.seed = o.seed;
    cfg.part = o.part;
    cfg.nparts = o.nparts;
    cfg.threads = o.threads;
    cfg.tasks = tasks.v;
    cfg.n_tasks = tasks.n;
    cfg.progress = cli_progress;
    cfg.cb_ctx = &rep;
    lw_needle_stats stats;
    lw_error err = {0};
    lw_status st = lw_needle_run(&cfg, &stats, &err);
    cli_progress_clear(&rep);
    if (st) {
        rc = cli_fail(cmd, st, err.msg);
        goto out;
    }
    double secs = cli_now() - rep.start;
    if (!o.quiet) {
        if (haystack.n) {
            char b[32];
            uint64_t skipped = lw_doc_stats_skipped_total(&stats.haystack);
            fprintf(stderr, "longweave needle: haystack: %llu sentences (%s) from %llu "
                    "document%s%s", (unsigned long long)stats.haystack_sentences,
                    cli_human_bytes(stats.haystack_bytes, b, sizeof b),
                    (unsigned long long)stats.haystack.docs_written,
                    stats.haystack.docs_written == 1 ? "" : "s", skipped ? "; " : "\n");
            if (skipped)
                fprintf(stderr, "%llu skipped\n", (unsigned long long)skipped);
        }
        fprintf(stderr, "longweave needle: %llu samples, %llu tokens in %s; %.2f s, %.2f encodes "
                "per sample, %llu redrawn\n", (unsigned long long)stats.samples,
                (unsigned long long)stats.tokens, cfg.outdir, secs,
                stats.samples ? (double)stats.encodes / (double)stats.samples : 0,
                (unsigned long long)stats.redraws);
    }
    cli_print_doc_losses(&rep, &stats.haystack);
    if (o.stats_json) {
        cJSON *extra = cJSON_CreateObject();
        bool ok = extra != NULL;
        ok &= cJSON_AddNumberToObject(extra, "samples", (double)stats.samples) != NULL;
        ok &= cJSON_AddNumberToObject(extra, "tokens", (double)stats.tokens) != NULL;
        ok &= cJSON_AddNumberToObject(extra, "encodes", (double)stats.encodes) != NULL;
        ok &= cJSON_AddNumberToObject(extra, "redraws", (double)stats.redraws) != NULL;
        ok &= cJSON_AddNumberToObject(extra, "haystack_sentences",
                                      (double)stats.haystack_sentences) != NULL;
        ok &= cJSON_AddNumberToObject(extra, "haystack_bytes",
                                      (double)stats.haystack_bytes) != NULL;
        cJSON *pt = cJSON_AddObjectToObject(extra, "per_task");
        ok &= pt != NULL;
        for (int k = 0; lw_needle_task_names[k]; k++)
            ok &= cJSON_AddNumberToObject(pt, lw_needle_task_names[k],
                                          (double)stats.per_task[k]) != NULL;
        rc = cli_write_stats_json(cmd, o.stats_json, haystack.n ? &stats.haystack : NULL, extra,
                                  ok, secs);
    }
out:
    free(tasks.v);
    free(haystack.v);
    cli_doc_opts_free(&o);
    return rc;
}
