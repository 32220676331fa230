/* `longweave shard`: flags in, lw_shard_run, summary and exit code out. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "longweave/shard.h"
#include "longweave/vec.h"

static const char usage_head[] =
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
    "      --seed S            salt of the shard hash (default 0)\n"
    "      --zstd-level N      compression level of the shards (default 3)\n"
    "Filters:\n"
    "      --min-chars N       drop documents under N characters (default 1)\n"
    "      --max-chars N       drop documents over N characters\n"
    "      --keep-regex RE     keep only documents matching RE (PCRE2, repeatable:\n"
    "                          any may match)\n"
    "      --drop-regex RE     drop documents matching RE (repeatable)\n"
    "      --dedup             drop exact duplicates of an earlier document's text\n";

static const char usage_tail[] =
    "\n"
    "Examples:\n"
    "  longweave shard corpus/ -n 64 -o shards/\n"
    "  zstd -dc dump.jsonl.zst | longweave shard - --dedup --min-chars 200 -o clean/\n"
    "  longweave shard data/*.jsonl.zst -n 16 --part 3/8 -o shards/part-3/\n"
    "\n"
    "Exit status: 0 ok, 64 usage, 65 bad input (--strict), 66 missing input,\n"
    "73 cannot create output, 74 I/O error.\n";

enum { OPT_SHARD_BY = 256, OPT_ZSTD_LEVEL, OPT_MIN_CHARS, OPT_MAX_CHARS, OPT_KEEP, OPT_DROP,
       OPT_DEDUP };

static const struct option long_opts[] = {
    CLI_DOC_OPTIONS,
    {"num-shards", required_argument, NULL, 'n'},
    {"shard-by", required_argument, NULL, OPT_SHARD_BY},
    {"zstd-level", required_argument, NULL, OPT_ZSTD_LEVEL},
    {"min-chars", required_argument, NULL, OPT_MIN_CHARS},
    {"max-chars", required_argument, NULL, OPT_MAX_CHARS},
    {"keep-regex", required_argument, NULL, OPT_KEEP},
    {"drop-regex", required_argument, NULL, OPT_DROP},
    {"dedup", no_argument, NULL, OPT_DEDUP},
    {NULL, 0, NULL, 0},
};

/* A growable list of option values (for repeatable flags). */
typedef struct {
    const char **v;
    size_t n, cap;
} str_list;

static int push(str_list *l, const char *s)
{
    if (!LW_VEC_GROW(&l->v, &l->cap, l->n + 1))
        return cli_fail("shard", LW_E_NOMEM, "out of memory");
    l->v[l->n++] = s;
    return 0;
}

int cmd_shard(int argc, char **argv)
{
    static const char *cmd = "shard";
    lw_shard_config cfg = {.num_shards = 1};
    cfg.filter.min_chars = 1;
    cli_doc_opts o = {0};
    str_list keep = {0}, drop = {0};
    int rc = 0;
    uint64_t v = 0;
    unsigned u = 0;
    int c;
    optind = 1;
    while (rc == 0 && (c = getopt_long(argc, argv, "o:n:j:qh", long_opts, NULL)) != -1) {
        if (cli_doc_option(cmd, c, optarg, &o, &rc))
            continue;
        switch (c) {
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
                             "a file, a directory, or - for stdin", "OUTDIR")))
        goto out;
    int done = cli_doc_prepare_output(cmd, &o, LW_OUT_DIR);
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
    cfg.filter.keep_re = keep.v;
    cfg.filter.n_keep = keep.n;
    cfg.filter.drop_re = drop.v;
    cfg.filter.n_drop = drop.n;
    lw_doc_stats stats;
    lw_error err = {0};
    lw_status st = lw_shard_run(&cfg, &stats, &err);
    cli_progress_clear(&rep);
    if (st) {
        rc = cli_fail(cmd, st, err.msg);
        goto out;
    }
    cli_print_doc_summary(&rep, &stats);
    if (!o.quiet)
        fprintf(stderr, "  wrote %u shard%s and manifest.json to %s\n", cfg.num_shards,
                cfg.num_shards == 1 ? "" : "s", cfg.outdir);
    if (o.stats_json)
        rc = cli_write_stats_json(cmd, o.stats_json, &stats, NULL, true, cli_now() - rep.start);
out:
    cli_doc_opts_free(&o);
    free(keep.v);
    free(drop.v);
    return rc;
}
