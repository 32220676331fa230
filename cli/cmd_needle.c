/* `longweave needle`: flags in, lw_needle_run, summary and exit code out. */
#include <cjson/cJSON.h>
#include <getopt.h>
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
    "\n"
    "  -t, --tokenizer FILE    tokenizer (required): lengths are measured in its tokens\n"
    "      --pattern P         split pattern of a rank file (see tokenize)\n"
    "      --seq-len LIST      lengths, e.g. 4096,8192,16384 or 4k,32k,128k\n"
    "      --depths N          depths evenly from 0% to 100% (default 11)\n"
    "      --tasks LIST        niah_single,niah_multikey,niah_multivalue,niah_multiquery,\n"
    "                          passkey,vt,cwe,kv (default all)\n"
    "      --count-per-cell N  samples per (task, length, depth) (default 1)\n"
    "      --lang en|zh        language of the instructions, needles and questions\n"
    "                          (default en); zh also cuts the haystack into sentences\n"
    "                          at \u3002\uff01\uff1f\uff1b and Unicode's other terminators\n"
    "      --haystack PATH     take the haystack's sentences from this corpus (file or\n"
    "                          directory, any format the readers accept; repeatable);\n"
    "                          default: the built-in filler (\"The grass is green. ...\")\n"
    "      --one-file          write all tasks to OUTDIR/needle.{jsonl,bin,idx}\n"
    CLI_FORMAT_HELP
    "      --prepend-bos       start each tokenized input with BOS (counted in the length)\n"
    "      --seed S            seed (default 0)\n"
    "  -o, --output DIR        output directory (required)\n"
    "      --force             replace an evaluation set already in DIR\n"
    CLI_RESUME_HELP
    "  -j, --threads N         worker threads (default: all cores)\n"
    "      --part I/N          generate the I-th of N slices of the samples\n"
    "  -q, --quiet             no progress, warnings or summary\n"
    CLI_PROGRESS_HELP
    "      --stats-json FILE   write the run's counts as JSON (- for stdout)\n"
    "  -h, --help              this help\n"
    "Haystack input (as for shard): --text-key, --input-format, --include,\n"
    "      --max-doc-bytes, --utf8, --strict\n"
    "\n"
    "Examples:\n"
    "  longweave needle -t llama3.tiktoken --seq-len 4k,8k,16k,32k,64k,128k -o eval/\n"
    "  longweave needle -t tokenizer.model --seq-len 32k --tasks niah_single,passkey \\\n"
    "      --haystack essays.jsonl --count-per-cell 5 -o eval-32k/\n"
    "\n"
    "Exit status: 0 ok, 64 usage, 65 bad haystack, 66 missing input, 73 cannot create\n"
    "output, 74 I/O error.\n";

enum { OPT_PATTERN = 256, OPT_SEQ_LEN, OPT_DEPTHS, OPT_TASKS, OPT_PER_CELL, OPT_HAYSTACK,
       OPT_ONE_FILE, OPT_BOS, OPT_LANG };

static const struct option long_opts[] = {
    CLI_DOC_OPTIONS,
    {"tokenizer", required_argument, NULL, 't'},
    {"pattern", required_argument, NULL, OPT_PATTERN},
    {"seq-len", required_argument, NULL, OPT_SEQ_LEN},
    {"depths", required_argument, NULL, OPT_DEPTHS},
    {"tasks", required_argument, NULL, OPT_TASKS},
    {"count-per-cell", required_argument, NULL, OPT_PER_CELL},
    {"haystack", required_argument, NULL, OPT_HAYSTACK},
    {"one-file", no_argument, NULL, OPT_ONE_FILE},
    {"prepend-bos", no_argument, NULL, OPT_BOS},
    {"lang", required_argument, NULL, OPT_LANG},
    CLI_FORMAT_OPTIONS,
    {NULL, 0, NULL, 0},
};

int cmd_needle(int argc, char **argv)
{
    static const char *cmd = "needle";
    lw_needle_config cfg = {0};
    cli_doc_opts o = {0};
    char names[LW_NEEDLE_MAX_LENGTHS][32];
    const char **tasks = NULL;
    char **haystack = NULL;
    size_t n_haystack = 0, haystack_cap = 0;
    int rc = 0, c;
    unsigned u = 0;
    optind = 1;
    while (rc == 0 && (c = getopt_long(argc, argv, "t:o:j:qh", long_opts, NULL)) != -1) {
        if (cli_doc_option(cmd, c, optarg, &o, &rc) ||
            cli_format_option(cmd, c, optarg, &cfg.output, &rc))
            continue;
        switch (c) {
        case 't': cfg.tokenizer = optarg; break;
        case OPT_PATTERN: cfg.pattern = optarg; break;
        case OPT_SEQ_LEN:
            rc = cli_parse_lengths(cmd, optarg, cfg.lengths, names, LW_NEEDLE_MAX_LENGTHS,
                                   &cfg.n_lengths);
            break;
        case OPT_DEPTHS:
            rc = cli_parse_uint(cmd, "--depths", optarg, 1, 1001, &u);
            cfg.depths = u;
            break;
        case OPT_TASKS: rc = cli_split_list(cmd, "--tasks", optarg, &tasks, &cfg.n_tasks); break;
        case OPT_PER_CELL:
            rc = cli_parse_uint(cmd, "--count-per-cell", optarg, 1, 100000, &u);
            cfg.count_per_cell = u;
            break;
        case OPT_HAYSTACK:
            if (!LW_VEC_GROW(&haystack, &haystack_cap, n_haystack + 1)) {
                rc = cli_fail(cmd, LW_E_NOMEM, "out of memory");
                break;
            }
            haystack[n_haystack++] = optarg;
            break;
        case OPT_ONE_FILE: cfg.one_file = true; break;
        case OPT_BOS: cfg.prepend_bos = true; break;
        case OPT_LANG: cfg.lang = optarg; break;
        case 'h': fputs(usage, stdout); goto out;
        default: rc = cli_usage_error(cmd, "unknown or incomplete option");
        }
    }
    if (rc)
        goto out;
    if (optind < argc) {
        rc = cli_usage_error(cmd, "needle takes no positional input ('%s'); give a haystack "
                             "corpus with --haystack", argv[optind]);
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
    cli_doc_source(&cfg.haystack, &o, haystack, (int)n_haystack, &rep);
    cfg.haystack.part = 0; /* --part slices the samples; the haystack is read whole */
    cfg.haystack.nparts = 1;
    cfg.haystack.progress = NULL;
    cfg.outdir = o.output;
    cfg.force = o.force;
    cfg.seed = o.seed;
    cfg.part = o.part;
    cfg.nparts = o.nparts;
    cfg.threads = o.threads;
    cfg.tasks = tasks;
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
        if (n_haystack) {
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
        rc = cli_write_stats_json(cmd, o.stats_json, n_haystack ? &stats.haystack : NULL, extra,
                                  ok, secs);
    }
out:
    free(tasks);
    free(haystack);
    cli_doc_opts_free(&o);
    return rc;
}
