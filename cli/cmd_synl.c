/* `longweave synl`: flags in, lw_synl_run, summary and exit code out. */
#include <cjson/cJSON.h>
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
    "\n";

static const char usage_tail[] =
    "\n"
    "Examples:\n"
    "  longweave synl -t llama3.tiktoken --seq-len 4k,32k,128k -n 3000 --cot -o synl/\n"
    "  longweave synl -t tokenizer.model --template plain --seq-len 8k --tasks count,sum -o s/\n"
    "  longweave synl -t llama3.tiktoken --seq-len 4k,32k --lang en:3,zh:1 -o synl-bi/\n"
    "\n"
    "Exit status: 0 ok, 64 usage, 65 bad schema or template, 66 missing input,\n"
    "73 cannot create output, 74 I/O error.\n";

/* --template T: a built-in name or a file */
static int set_template(const char *cmd, const cli_option *opt, const char *arg)
{
    (void)cmd;
    lw_synl_config *cfg = opt->value;
    struct stat sb;
    static const char *const builtins[] = {"llama2", "llama3", "llama3.1", "gemma3", "chatml",
                                        "qwen3", "deepseek-v3", "mistral", "plain", "auto"};
    bool builtin = false;
    for (size_t k = 0; k < sizeof builtins / sizeof *builtins; k++)
        builtin |= strcmp(arg, builtins[k]) == 0;
    if (builtin || stat(arg, &sb) != 0)
        cfg->template_name = arg; /* unknown names fail in the library */
    else
        cfg->template_file = arg;
    return 0;
}

/* --format names the output format, as in every command; table formats given
 * here (as before --table-format) still work, with a note. */
typedef struct {
    lw_seq_output *output;
    cli_strings *table_formats;
} synl_format;

static int set_format(const char *cmd, const cli_option *opt, const char *arg)
{
    const synl_format *f = opt->value;
    if (lw_seq_format_parse(arg, &f->output->format) == 0)
        return 0;
    if (strspn(arg, "abcdefghijklmnopqrstuvwxyz,") != strlen(arg) ||
        !(strstr(arg, "markdown") || strstr(arg, "csv") || strstr(arg, "json") ||
          strstr(arg, "kv")))
        return cli_usage_error(cmd, "--format is one of %s, not '%s' (table formats go in "
                               "--table-format)", lw_seq_format_list(), arg);
    fprintf(stderr, "longweave synl: note: table formats now go in --table-format; --format "
            "names the output format (%s)\n", lw_seq_format_list());
    cli_option as_tables = *opt;
    as_tables.long_name = "table-format";
    as_tables.value = f->table_formats;
    return cli_set_comma_list(cmd, &as_tables, arg);
}

int cmd_synl(int argc, char **argv)
{
    static const char *cmd = "synl";
    lw_synl_config cfg = {.count = 100};
    char names[LW_SYNL_MAX_BUCKETS][32];
    const char *mix = NULL, *lang = NULL;
    cli_strings tasks = {0}, formats = {0}, domains = {0}, schemas = {0};
    cli_doc_opts o = {0};
    cli_lengths lens = {cfg.seq_len, names, LW_SYNL_MAX_BUCKETS, &cfg.n_buckets};
    synl_format fmt = {&cfg.output, &formats};
    const cli_option options[] = {
        CLI_OPT_STR('t', "tokenizer", "FILE", &cfg.tokenizer,
                    "tokenizer (required): lengths are measured in its tokens"),
        CLI_OPT_STR(0, "pattern", "P", &cfg.pattern, "split pattern of a rank file (see tokenize)"),
        CLI_OPT_CALL(0, "template", "T", &cfg, set_template,
                     "chat template: llama2, llama3, llama3.1, gemma3, chatml,\n"
                     "qwen3, deepseek-v3, mistral, plain, a JSON file, or auto\n"
                     "(the one the tokenizer_config.json's chat_template is).\n"
                     "Default: auto when that config has a chat_template, else\n"
                     "llama3 when the tokenizer has its tokens, else plain"),
        CLI_OPT_STR(0, "system", "TEXT", &cfg.system, "a system prompt for every sample"),
        CLI_OPT_CALL(0, "seq-len", "LIST", &lens, cli_set_lengths,
                     "lengths, e.g. 4096,32768,131072 or 4k,32k,128k"),
        CLI_OPT_STR(0, "length-mix", "LIST", &mix,
                    "token share of each length, as in cip: 1,3 or 4k:1,32k:3\n"
                    "(default equal; samples per length follow from it)"),
        CLI_OPT_U64('n', "count", "N", &cfg.count, "number of samples (default 100)"),
        CLI_OPT_CALL(0, "tasks", "LIST", &tasks, cli_set_comma_list,
                     "lookup,find,row,row_at,count,sum,avg,argmax,argmin,compare,\n"
                     "join,date_diff,topk,distinct,group_count,total_rows\n"
                     "(default all)"),
        CLI_OPT_CALL(0, "table-format", "LIST", &formats, cli_set_comma_list,
                     "markdown,csv,json,kv (default all; one per sample)"),
        CLI_OPT_CALL(0, "domains", "LIST", &domains, cli_set_comma_list,
                     "which domains (default all built-in, or all of --schema)"),
        CLI_OPT_CALL(0, "schema", "FILE", &schemas, cli_push_string,
                     "a JSON file with more domains (repeatable)"),
        CLI_OPT_BOOL(0, "cot", &cfg.cot, "reasoning answers start with a worked solution"),
        CLI_OPT_STR(0, "lang", "LIST", &lang,
                    "language of the texts and built-in domains: en, zh, or a\n"
                    "share of the samples each, e.g. en:3,zh:1 (default en)"),
        CLI_OPT_U64(0, "seed", "S", &cfg.seed, "seed (default 0)"),
        CLI_OPT_STR('o', "output", "DIR", &cfg.outdir, "output directory (required)"),
        CLI_OPT_CALL(0, "format", "F", &fmt, set_format,
                     "output format, one of\n" LW_SEQ_FORMAT_LIST "\n"
                     "(default megatron; npy for fixed-length outputs only)"),
        CLI_OPT_CALL(0, "shard-tokens", "N", &cfg.output, cli_set_shard_tokens,
                     "llmc: tokens per shard file (default 100000000)"),
        CLI_OPT_CALL(0, "shard-bytes", "SIZE", &cfg.output, cli_set_shard_bytes,
                     "mds: shard size limit (default 64M)"),
        CLI_OPT_SHARED(cli_run_options(&o)),
        CLI_OPT_END,
    };
    int first, rc = 0;
    if (!cli_parse_options(cmd, options, argc, argv, usage, usage_tail, &first, &rc))
        goto out;
    cfg.threads = o.threads;
    cfg.part = o.part;
    cfg.nparts = o.nparts;
    cfg.force = o.force;
    bool quiet = o.quiet, resume = o.resume;
    double progress_every = o.progress_every;
    const char *stats_json = o.stats_json;
    if (first < argc) {
        rc = cli_usage_error(cmd, "synl reads no input ('%s'): tables are generated",
                             argv[first]);
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
    if (lang) {
        char lang_names[LW_SYNL_MAX_LANGS][32];
        size_t n_langs = 0;
        for (; lw_synl_lang_names[n_langs]; n_langs++)
            snprintf(lang_names[n_langs], 32, "%s", lw_synl_lang_names[n_langs]);
        if ((rc = cli_parse_shares(cmd, "--lang", lang, lang_names, n_langs, cfg.lang_mix)))
            goto out;
    }
    cfg.tasks = tasks.v;
    cfg.n_tasks = tasks.n;
    cfg.formats = formats.v;
    cfg.n_formats = formats.n;
    cfg.domains = domains.v;
    cfg.n_domains = domains.n;
    cfg.schema_files = schemas.v;
    cfg.n_schema_files = schemas.n;
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
    free(tasks.v);
    free(formats.v);
    free(domains.v);
    free(schemas.v);
    return rc;
}
