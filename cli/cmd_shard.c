/* `longweave shard`: flags in, lw_shard_run, summary and exit code out. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "longweave/shard.h"

static const char usage_head[] =
    "Usage: longweave shard [options] INPUT... -o OUTDIR\n"
    "\n"
    "Read raw corpora (JSON Lines, .jsonl.zst, plain-text files, directories, or - for\n"
    "stdin), clean and filter the documents, and write N deterministic shards\n"
    "OUTDIR/shard-NNNNN.jsonl.zst plus OUTDIR/manifest.json. A document's shard is a\n"
    "hash of its text (or id), so re-runs and added inputs never move documents.\n"
    "Records are {\"id\",\"text\",\"source\",...other input fields}.\n"
    "\n";

static const char usage_tail[] =
    "\n"
    "Examples:\n"
    "  longweave shard corpus/ -n 64 -o shards/\n"
    "  zstd -dc dump.jsonl.zst | longweave shard - --dedup --min-chars 200 -o clean/\n"
    "  longweave shard data/*.jsonl.zst -n 16 --part 3/8 -o shards/part-3/\n"
    "\n"
    "Exit status: 0 ok, 64 usage, 65 bad input (--strict), 66 missing input,\n"
    "73 cannot create output, 74 I/O error.\n";

static const char *const shard_by[] = {"content", "id", NULL};

int cmd_shard(int argc, char **argv)
{
    static const char *cmd = "shard";
    lw_shard_config cfg = {.num_shards = 1};
    cli_doc_opts o = {0};
    cli_strings keep = {0}, drop = {0};
    uint64_t min_chars = 1, max_chars = 0;
    unsigned zstd_level = 0;
    const cli_option options[] = {
        CLI_OPT_GROUP("Output:"),
        CLI_OPT_STR('o', "output", "DIR", &o.output, "output directory (required)"),
        CLI_OPT_UINT('n', "num-shards", "N", &cfg.num_shards, 1, LW_SHARD_MAX,
                     "number of shards (default 1)"),
        CLI_OPT_CHOICE(0, "shard-by", "WHAT", &cfg.shard_by, shard_by, "content (default) or id"),
        CLI_OPT_U64(0, "seed", "S", &o.seed, "salt of the shard hash (default 0)"),
        CLI_OPT_UINT(0, "zstd-level", "N", &zstd_level, 1, 19,
                     "compression level of the shards (default 3)"),
        CLI_OPT_GROUP("Filters:"),
        CLI_OPT_U64(0, "min-chars", "N", &min_chars,
                    "drop documents under N characters (default 1)"),
        CLI_OPT_U64(0, "max-chars", "N", &max_chars, "drop documents over N characters"),
        CLI_OPT_CALL(0, "keep-regex", "RE", &keep, cli_push_string,
                     "keep only documents matching RE (PCRE2, repeatable:\nany may match)"),
        CLI_OPT_CALL(0, "drop-regex", "RE", &drop, cli_push_string,
                     "drop documents matching RE (repeatable)"),
        CLI_OPT_BOOL(0, "dedup", &cfg.dedup, "drop exact duplicates of an earlier document's text"),
        CLI_OPT_SHARED(cli_doc_options(&o)),
        CLI_OPT_END,
    };
    int first, rc = 0;
    if (!cli_parse_options(cmd, options, argc, argv, usage_head, usage_tail, &first, &rc))
        goto out;
    cfg.filter.min_chars = (size_t)min_chars;
    cfg.filter.max_chars = (size_t)max_chars;
    cfg.zstd_level = (int)zstd_level;
    if ((rc = cli_require_io(cmd, argc, first, &o,
                             "a file, a directory, or - for stdin", "OUTDIR")))
        goto out;
    int done = cli_doc_prepare_output(cmd, &o, LW_OUT_DIR);
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
