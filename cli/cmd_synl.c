/* `longweave synl`: flags in, lw_synl_run, summary and exit code out. */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "longweave/synl.h"
#include "longweave/vec.h"

static const char usage[] =
    "Usage: longweave synl -t TOKENIZER --seq-len L[,L2,...] -o OUTDIR [options]\n"
    "\n"
    "Synthetic lengthy-table SFT samples (LongSkywork's SynL): long tables from built-in\n"
    "domains (employees, products, flights, books, cities, students, transactions,\n"
    "sensors) with retrieval, reasoning and global questions whose answers are computed\n"
    "exactly. Each sample's table grows until the whole chat, encoded with the tokenizer\n"
    "and chat template, fills 90-100% of its length. Writes\n"
    "OUTDIR/chat/part-IIIII.jsonl (OpenAI messages + meta), per length\n"
    "OUTDIR/len-LLLLLLL/part-IIIII.{bin,idx} with a .mask.{bin,idx} loss mask (1 on\n"
    "the assistant's answer and its end token), and OUTDIR/manifest.json.\n"
    "\n"
    "  -t, --tokenizer FILE    tokenizer (required): lengths are measured in its tokens\n"
    "      --pattern P         split pattern of a rank file (see tokenize)\n"
    "      --template T        chat template: llama2, llama3, llama3.1, gemma3, chatml,\n"
    "                          qwen3, deepseek-v3, mistral, plain, a JSON file, or auto\n"
    "                          (the one the tokenizer_config.json's chat_template is).\n"
    "                          Default: auto when that config has a chat_template, else\n"
    "                          llama3 when the tokenizer has its tokens, else plain\n"
    "      --system TEXT       a system prompt for every sample\n"
    "      --seq-len LIST      lengths, e.g. 4096,32768,131072 or 4k,32k,128k\n"
    "      --length-mix LIST   token share of each length, as in cip: 1,3 or 4k:1,32k:3\n"
    "                          (default equal; samples per length follow from it)\n"
    "  -n, --count N           number of samples (default 100)\n"
    "      --tasks LIST        lookup,find,row,row_at,count,sum,avg,argmax,argmin,compare,\n"
    "                          join,date_diff,topk,distinct,group_count,total_rows\n"
    "                          (default all)\n"
    "      --table-format LIST markdown,csv,json,kv (default all; one per sample)\n"
    "      --domains LIST      which domains (default all built-in, or all of --schema)\n"
    "      --schema FILE       a JSON file with more domains (repeatable)\n"
    "      --cot               reasoning answers start with a worked solution\n"
    "      --seed S            seed (default 0)\n"
    "  -o, --output DIR        output directory (required)\n"
    CLI_FORMAT_HELP
    "      --force             replace a dataset already in DIR\n"
    CLI_RESUME_HELP
    "  -j, --threads N         worker threads (default: all cores)\n"
    "      --part I/N          generate the I-th of N slices of the samples\n"
    "  -q, --quiet             no progress or summary\n"
    CLI_PROGRESS_HELP
    "      --stats-json FILE   write the run's counts as JSON (- for stdout)\n"
    "  -h, --help              this help\n"
    "\n"
    "Examples:\n"
    "  longweave synl -t llama3.tiktoken --seq-len 4k,32k,128k -n 3000 --cot -o synl/\n"
    "  longweave synl -t tokenizer.model --template plain --seq-len 8k --tasks count,sum -o s/\n"
    "\n"
    "Exit status: 0 ok, 64 usage, 65 bad schema or template, 66 missing input,\n"
    "73 cannot create output, 74 I/O error.\n";

enum { OPT_PATTERN = 256, OPT_TEMPLATE, OPT_SYSTEM, OPT_SEQ_LEN, OPT_MIX, OPT_TASKS,
       OPT_DOMAINS, OPT_SCHEMA, OPT_COT, OPT_SEED, OPT_FORCE, OPT_RESUME, OPT_PART, OPT_STATS,
       OPT_TABLE_FORMAT, OPT_PROGRESS_EVERY };

static const struct option long_opts[] = {
    {"tokenizer", required_argument, NULL, 't'}, {"pattern", required_argument, NULL, OPT_PATTERN},
    {"template", required_argument, NULL, OPT_TEMPLATE},
    {"system", required_argument, NULL, OPT_SYSTEM},
    {"seq-len", required_argument, NULL, OPT_SEQ_LEN},
    {"length-mix", required_argument, NULL, OPT_MIX}, {"count", required_argument, NULL, 'n'},
    {"tasks", required_argument, NULL, OPT_TASKS}, CLI_FORMAT_OPTIONS,
    {"domains", required_argument, NULL, OPT_DOMAINS},
    {"schema", required_argument, NULL, OPT_SCHEMA}, {"cot", no_argument, NULL, OPT_COT},
    {"seed", required_argument, NULL, OPT_SEED}, {"output", required_argument, NULL, 'o'},
    {"force", no_argument, NULL, OPT_FORCE}, {"resume", no_argument, NULL, OPT_RESUME},
    {"threads", required_argument, NULL, 'j'},
    {"part", required_argument, NULL, OPT_PART}, {"quiet", no_argument, NULL, 'q'},
    {"stats-json", required_argument, NULL, OPT_STATS}, {"help", no_argument, NULL, 'h'},
    {"table-format", required_argument, NULL, OPT_TABLE_FORMAT},
    {"progress-every", required_argument, NULL, OPT_PROGRESS_EVERY},
    {NULL, 0, NULL, 0},
};

int cmd_synl(int argc, char **argv)
{
    static const char *cmd = "synl";
    lw_synl_config cfg = {.count = 100};
    char names[LW_SYNL_MAX_BUCKETS][32];
    const char *mix = NULL, *stats_json = NULL;
    const char **tasks = NULL, **formats = NULL, **domains = NULL, **schemas = NULL;
    size_t schemas_cap = 0;
    bool quiet = false, resume = false;
    double progress_every = 0;
    int rc = 0, c;
    unsigned u = 0;
    optind = 1;
    while (rc == 0 && (c = getopt_long(argc, argv, "t:o:n:j:qh", long_opts, NULL)) != -1) {
        if (c != CLI_OPT_FORMAT && cli_format_option(cmd, c, optarg, &cfg.output, &rc))
            continue;
        switch (c) {
        case 't': cfg.tokenizer = optarg; break;
        case OPT_PATTERN: cfg.pattern = optarg; break;
        case OPT_TEMPLATE: {
            struct stat sb;
            static const char *const builtins[] = {"llama2", "llama3", "llama3.1", "gemma3",
                                                "chatml", "qwen3", "deepseek-v3", "mistral",
                                                "plain", "auto"};
            bool builtin = false;
            for (size_t k = 0; k < sizeof builtins / sizeof *builtins; k++)
                builtin |= strcmp(optarg, builtins[k]) == 0;
            if (builtin || stat(optarg, &sb) != 0)
                cfg.template_name = optarg; /* unknown names fail in the library */
            else
                cfg.template_file = optarg;
            break;
        }
        case OPT_SYSTEM: cfg.system = optarg; break;
        case OPT_SEQ_LEN:
            rc = cli_parse_lengths(cmd, optarg, cfg.seq_len, names, LW_SYNL_MAX_BUCKETS,
                                   &cfg.n_buckets);
            break;
        case OPT_MIX: mix = optarg; break;
        case 'n': rc = cli_parse_u64(cmd, "--count", optarg, &cfg.count); break;
        case OPT_TASKS: rc = cli_split_list(cmd, "--tasks", optarg, &tasks, &cfg.n_tasks); break;
        case CLI_OPT_FORMAT:
            /* --format names the output format, as in every command; table
             * formats given here (as before --table-format) still work */
            if (lw_seq_format_parse(optarg, &cfg.output.format) == 0)
                break;
            if (strspn(optarg, "abcdefghijklmnopqrstuvwxyz,") != strlen(optarg) ||
                !(strstr(optarg, "markdown") || strstr(optarg, "csv") ||
                  strstr(optarg, "json") || strstr(optarg, "kv"))) {
                rc = cli_usage_error(cmd, "--format is one of %s, not '%s' (table formats go "
                                     "in --table-format)", lw_seq_format_list(), optarg);
                break;
            }
            fprintf(stderr, "longweave synl: note: table formats now go in --table-format; "
                    "--format names the output format (%s)\n", lw_seq_format_list());
            /* fall through */
        case OPT_TABLE_FORMAT:
            rc = cli_split_list(cmd, "--table-format", optarg, &formats, &cfg.n_formats);
            break;
        case OPT_DOMAINS:
            rc = cli_split_list(cmd, "--domains", optarg, &domains, &cfg.n_domains);
            break;
        case OPT_SCHEMA:
            if (!LW_VEC_GROW(&schemas, &schemas_cap, cfg.n_schema_files + 1)) {
                rc = cli_fail(cmd, LW_E_NOMEM, "out of memory");
                break;
            }
            schemas[cfg.n_schema_files++] = optarg;
            break;
        case OPT_COT: cfg.cot = true; break;
        case OPT_SEED: rc = cli_parse_u64(cmd, "--seed", optarg, &cfg.seed); break;
        case 'o': cfg.outdir = optarg; break;
        case OPT_FORCE: cfg.force = true; break;
        case OPT_RESUME: resume = true; break;
        case 'j':
            rc = cli_parse_uint(cmd, "--threads", optarg, 1, 1024, &u);
            cfg.threads = (int)u;
            break;
        case OPT_PART: rc = cli_parse_part(cmd, optarg, &cfg.part, &cfg.nparts); break;
        case 'q': quiet = true; break;
        case OPT_PROGRESS_EVERY: rc = cli_parse_progress_every(cmd, optarg, &progress_every); break;
        case OPT_STATS: stats_json = optarg; break;
        case 'h': fputs(usage, stdout); goto out;
        default: rc = cli_usage_error(cmd, "unknown or incomplete option");
        }
    }
    if (rc)
        goto out;
    if (optind < argc) {
        rc = cli_usage_error(cmd, "synl reads no input ('%s'): tables are generated",
                             argv[optind]);
        goto out;
    }
    if (!cfg.outdir || !cfg.tokenizer || !cfg.n_buckets) {
        rc = cli_usage_error(cmd, "-t TOKENIZER, --seq-len and -o OUTDIR are required");
        goto out;
    }
    for (size_t i = 0; i < cfg.n_buckets; i++)
        cfg.mix[i] = 1;
    if (mix && (rc = cli_parse_mix(cmd, mix, cfg.seq_len, names, cfg.n_buckets, cfg.mix)))
        goto out;
    cfg.tasks = tasks;
    cfg.formats = formats;
    cfg.domains = domains;
    cfg.schema_files = schemas;
    int done = cli_prepare_output(cmd, cfg.outdir, LW_OUT_DIR_PARTS, cfg.part, cfg.nparts,
                                  cfg.threads, resume, quiet, &cfg.force);
    if (done >= 0) {
        rc = done;
        goto out;
    }
    cli_reporter rep;
    cli_reporter_init(&rep, cmd, quiet, progress_every);
    cfg.progress = cli_progress;
    cfg.cb_ctx = &rep;
    lw_synl_stats stats;
    lw_error err = {0};
    lw_status st = lw_synl_run(&cfg, &stats, &err);
    cli_progress_clear(&rep);
    if (st) {
        rc = cli_fail(cmd, st, err.msg);
        goto out;
    }
    double secs = cli_now() - rep.start;
    if (!quiet) {
        fprintf(stderr, "longweave synl: %llu samples, %llu tokens (%llu in answers) in %s; "
                "%.2f s, %.1f samples/s, %.2f encodes per sample\n",
                (unsigned long long)stats.samples, (unsigned long long)stats.tokens,
                (unsigned long long)stats.answer_tokens, cfg.outdir, secs,
                secs > 0 ? (double)stats.samples / secs : 0,
                stats.samples ? (double)stats.encodes / (double)stats.samples : 0);
        for (size_t b = 0; b < cfg.n_buckets; b++)
            fprintf(stderr, "  len %u: %llu samples\n", cfg.seq_len[b],
                    (unsigned long long)stats.per_bucket[b]);
    }
    if (stats_json) {
        cJSON *extra = cJSON_CreateObject();
        bool ok = extra != NULL;
        ok &= cJSON_AddNumberToObject(extra, "samples", (double)stats.samples) != NULL;
        ok &= cJSON_AddNumberToObject(extra, "tokens", (double)stats.tokens) != NULL;
        ok &= cJSON_AddNumberToObject(extra, "answer_tokens", (double)stats.answer_tokens) != NULL;
        ok &= cJSON_AddNumberToObject(extra, "encodes", (double)stats.encodes) != NULL;
        cJSON *pt = cJSON_AddObjectToObject(extra, "per_task");
        ok &= pt != NULL;
        for (int k = 0; lw_synl_task_names[k]; k++)
            ok &= cJSON_AddNumberToObject(pt, lw_synl_task_names[k],
                                          (double)stats.per_task[k]) != NULL;
        rc = cli_write_stats_json(cmd, stats_json, NULL, extra, ok, secs);
    }
out:
    free(tasks);
    free(formats);
    free(domains);
    free(schemas);
    return rc;
}
