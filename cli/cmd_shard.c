/* `longweave shard`: flags in, lw_shard_run, summary and exit code out. */
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "longweave/shard.h"

static const char usage[] =
    "Usage: longweave shard [options] INPUT... -o OUTDIR\n"
    "\n"
    "Read raw corpora (JSON Lines, .jsonl.zst, plain-text files, directories, or - for\n"
    "stdin), clean and filter the documents, and write N deterministic shards\n"
    "OUTDIR/shard-NNNNN.jsonl.zst plus OUTDIR/manifest.json. A document's shard is a\n"
    "hash of its text (or id), so re-runs and added inputs never move documents.\n"
    "Records are {\"id\",\"text\",\"source\",...other input fields}.\n"
    "\n"
    "Output:\n"
    "  -o, --output DIR        output directory (required)\n"
    "  -n, --num-shards N      number of shards (default 1)\n"
    "      --shard-by WHAT     content (default) or id\n"
    "      --zstd-level N      compression level of the shards (default 3)\n"
    "      --force             replace a dataset already in DIR\n"
    "Input:\n"
    "      --text-key KEY      JSON field holding the text (default text)\n"
    "      --id-key KEY        JSON field holding the id (default id; else FILE:LINE)\n"
    "      --input-format F    auto (default: by file name), jsonl or text\n"
    "      --include GLOB      file names to read inside directories (repeatable;\n"
    "                          default *.jsonl *.ndjson *.txt *.text *.md *.rst, each\n"
    "                          also with .zst)\n"
    "      --max-doc-bytes N   skip documents larger than N bytes (default 256M)\n"
    "      --utf8 POLICY       invalid UTF-8: replace (default, U+FFFD), drop, strict\n"
    "      --strict            stop at the first bad input (exit 65) instead of\n"
    "                          skipping and counting it\n"
    "Filters:\n"
    "      --min-chars N       drop documents under N characters (default 1)\n"
    "      --max-chars N       drop documents over N characters\n"
    "      --keep-regex RE     keep only documents matching RE (PCRE2, repeatable:\n"
    "                          any may match)\n"
    "      --drop-regex RE     drop documents matching RE (repeatable)\n"
    "      --dedup             drop exact duplicates of an earlier document's text\n"
    "Run:\n"
    "  -j, --threads N         worker threads (default: all cores)\n"
    "      --seed S            salt of the shard hash (default 0)\n"
    "      --part I/N          process only the I-th of N slices of the input\n"
    "  -q, --quiet             no progress, warnings or summary\n"
    "      --stats-json FILE   write the run's counts as JSON (- for stdout)\n"
    "  -h, --help              this help\n"
    "\n"
    "Examples:\n"
    "  longweave shard corpus/ -n 64 -o shards/\n"
    "  zstd -dc dump.jsonl.zst | longweave shard - --dedup --min-chars 200 -o clean/\n"
    "  longweave shard data/*.jsonl.zst -n 16 --part 3/8 -o shards/part-3/\n"
    "\n"
    "Exit status: 0 ok, 64 usage, 65 bad input (--strict), 66 missing input,\n"
    "73 cannot create output, 74 I/O error.\n";

enum {
    OPT_SHARD_BY = 256, OPT_ZSTD_LEVEL, OPT_FORCE, OPT_TEXT_KEY, OPT_ID_KEY, OPT_INPUT_FORMAT,
    OPT_INCLUDE, OPT_MAX_DOC, OPT_UTF8, OPT_STRICT, OPT_MIN_CHARS, OPT_MAX_CHARS, OPT_KEEP,
    OPT_DROP, OPT_DEDUP, OPT_SEED, OPT_PART, OPT_STATS
};

static const struct option long_opts[] = {
    {"output", required_argument, NULL, 'o'},
    {"num-shards", required_argument, NULL, 'n'},
    {"shard-by", required_argument, NULL, OPT_SHARD_BY},
    {"zstd-level", required_argument, NULL, OPT_ZSTD_LEVEL},
    {"force", no_argument, NULL, OPT_FORCE},
    {"text-key", required_argument, NULL, OPT_TEXT_KEY},
    {"id-key", required_argument, NULL, OPT_ID_KEY},
    {"input-format", required_argument, NULL, OPT_INPUT_FORMAT},
    {"include", required_argument, NULL, OPT_INCLUDE},
    {"max-doc-bytes", required_argument, NULL, OPT_MAX_DOC},
    {"utf8", required_argument, NULL, OPT_UTF8},
    {"strict", no_argument, NULL, OPT_STRICT},
    {"min-chars", required_argument, NULL, OPT_MIN_CHARS},
    {"max-chars", required_argument, NULL, OPT_MAX_CHARS},
    {"keep-regex", required_argument, NULL, OPT_KEEP},
    {"drop-regex", required_argument, NULL, OPT_DROP},
    {"dedup", no_argument, NULL, OPT_DEDUP},
    {"threads", required_argument, NULL, 'j'},
    {"seed", required_argument, NULL, OPT_SEED},
    {"part", required_argument, NULL, OPT_PART},
    {"quiet", no_argument, NULL, 'q'},
    {"stats-json", required_argument, NULL, OPT_STATS},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* A growable list of option values (for repeatable flags). */
typedef struct {
    const char **v;
    size_t n;
} str_list;

static int push(str_list *l, const char *s)
{
    const char **p = realloc(l->v, (l->n + 1) * sizeof *p);
    if (!p)
        return cli_fail("shard", LW_E_NOMEM, "out of memory");
    p[l->n++] = s;
    l->v = p;
    return 0;
}

int cmd_shard(int argc, char **argv)
{
    static const char *cmd = "shard";
    lw_shard_config cfg = {.num_shards = 1};
    cfg.filter.min_chars = 1;
    str_list include = {0}, keep = {0}, drop = {0};
    const char *stats_json = NULL;
    bool quiet = false;
    int rc = 0;
    uint64_t v;
    unsigned u;
    int c;
    optind = 1;
    while (rc == 0 && (c = getopt_long(argc, argv, "o:n:j:qh", long_opts, NULL)) != -1) {
        switch (c) {
        case 'o': cfg.outdir = optarg; break;
        case 'n':
            rc = cli_parse_uint(cmd, "--num-shards", optarg, 1, LW_SHARD_MAX, &cfg.num_shards);
            break;
        case OPT_SHARD_BY:
            if (strcmp(optarg, "content") == 0)
                cfg.shard_by = LW_SHARD_BY_CONTENT;
            else if (strcmp(optarg, "id") == 0)
                cfg.shard_by = LW_SHARD_BY_ID;
            else
                rc = cli_usage_error(cmd, "--shard-by is content or id, not '%s'", optarg);
            break;
        case OPT_ZSTD_LEVEL:
            rc = cli_parse_uint(cmd, "--zstd-level", optarg, 1, 19, &u);
            cfg.zstd_level = (int)u;
            break;
        case OPT_FORCE: cfg.force = true; break;
        case OPT_TEXT_KEY: cfg.doc.text_key = optarg; break;
        case OPT_ID_KEY: cfg.doc.id_key = optarg; break;
        case OPT_INPUT_FORMAT:
            if (strcmp(optarg, "auto") == 0)
                cfg.input.format = LW_FORMAT_AUTO;
            else if (strcmp(optarg, "jsonl") == 0)
                cfg.input.format = LW_FORMAT_JSONL;
            else if (strcmp(optarg, "text") == 0)
                cfg.input.format = LW_FORMAT_TEXT;
            else
                rc = cli_usage_error(cmd, "--input-format is auto, jsonl or text, not '%s'",
                                     optarg);
            break;
        case OPT_INCLUDE: rc = push(&include, optarg); break;
        case OPT_MAX_DOC:
            rc = cli_parse_size(cmd, "--max-doc-bytes", optarg, &v);
            if (!rc && v > ((uint64_t)1 << 32))
                rc = cli_usage_error(cmd, "--max-doc-bytes is at most 4G");
            cfg.max_doc_bytes = (size_t)v;
            break;
        case OPT_UTF8:
            if (strcmp(optarg, "replace") == 0)
                cfg.doc.utf8 = LW_UTF8_REPLACE;
            else if (strcmp(optarg, "drop") == 0)
                cfg.doc.utf8 = LW_UTF8_DROP;
            else if (strcmp(optarg, "strict") == 0)
                cfg.doc.utf8 = LW_UTF8_STRICT;
            else
                rc = cli_usage_error(cmd, "--utf8 is replace, drop or strict, not '%s'", optarg);
            break;
        case OPT_STRICT: cfg.strict = true; break;
        case OPT_MIN_CHARS:
            rc = cli_parse_u64(cmd, "--min-chars", optarg, &v);
            cfg.filter.min_chars = (size_t)v;
            break;
        case OPT_MAX_CHARS:
            rc = cli_parse_u64(cmd, "--max-chars", optarg, &v);
            cfg.filter.max_chars = (size_t)v;
            break;
        case OPT_KEEP: rc = push(&keep, optarg); break;
        case OPT_DROP: rc = push(&drop, optarg); break;
        case OPT_DEDUP: cfg.dedup = true; break;
        case 'j':
            rc = cli_parse_uint(cmd, "--threads", optarg, 1, 1024, &u);
            cfg.threads = (int)u;
            break;
        case OPT_SEED: rc = cli_parse_u64(cmd, "--seed", optarg, &cfg.seed); break;
        case OPT_PART: rc = cli_parse_part(cmd, optarg, &cfg.part, &cfg.nparts); break;
        case 'q': quiet = true; break;
        case OPT_STATS: stats_json = optarg; break;
        case 'h':
            fputs(usage, stdout);
            goto out;
        default:
            rc = cli_usage_error(cmd, "unknown or incomplete option");
        }
    }
    if (rc)
        goto out;
    if (optind >= argc) {
        rc = cli_usage_error(cmd, "no INPUT given (a file, a directory, or - for stdin)");
        goto out;
    }
    if (!cfg.outdir) {
        rc = cli_usage_error(cmd, "no output directory given (-o OUTDIR)");
        goto out;
    }
    cfg.inputs = (const char *const *)argv + optind;
    cfg.n_inputs = (size_t)(argc - optind);
    cfg.input.include = include.v;
    cfg.input.n_include = include.n;
    cfg.filter.keep_re = keep.v;
    cfg.filter.n_keep = keep.n;
    cfg.filter.drop_re = drop.v;
    cfg.filter.n_drop = drop.n;

    cli_reporter rep;
    cli_reporter_init(&rep, cmd, quiet);
    cfg.warn = cli_warn;
    cfg.progress = cli_progress;
    cfg.cb_ctx = &rep;
    lw_doc_stats stats;
    lw_error err = {0};
    lw_status st = lw_shard_run(&cfg, &stats, &err);
    cli_progress_clear(&rep);
    if (st) {
        rc = cli_fail(cmd, st, err.msg);
        goto out;
    }
    cli_print_doc_summary(&rep, &stats);
    if (!quiet)
        fprintf(stderr, "  wrote %u shard%s and manifest.json to %s\n", cfg.num_shards,
                cfg.num_shards == 1 ? "" : "s", cfg.outdir);
    if (stats_json)
        rc = cli_write_stats_json(cmd, stats_json, &stats, cli_now() - rep.start);
out:
    free(include.v);
    free(keep.v);
    free(drop.v);
    return rc;
}
