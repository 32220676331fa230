/* `longweave merge`: flags in, lw_merge_run, summary and exit code out. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "longweave/merge.h"

static const char usage[] =
    "Usage: longweave merge OUT IN... [options]\n"
    "\n"
    "Combine datasets of one tokenizer and dtype into one, streaming (memory stays\n"
    "flat). IN are Megatron dataset prefixes, merged in the order given into the\n"
    "prefix OUT; or output directories (the parts of --part I/N runs, in one\n"
    "directory or several), merged into the directory OUT: files are grouped by\n"
    "their name with the part number taken out (len-0008192/part-00003 joins\n"
    "part-00000; TASK.part-00003.jsonl joins TASK.jsonl), and each group is joined in\n"
    "order: datasets with their loss masks, CIP .map sidecars renumbered (documents\n"
    "made global), other files (chat JSON Lines, shards) byte by byte. Merging the\n"
    "parts of tokenize or shard gives the files of one run. Writes a manifest.\n"
    "\n"
    "";

static const char usage_tail[] =
    "\n"
    "Examples:\n"
    "  longweave merge tok/all tok/part0 tok/part1 tok/part2\n"
    "  longweave merge cip-all/ cip-parts/            # parts written with --part I/N\n"
    "  longweave merge --format mds mds/all tok/all   # a dataset in another format\n"
    "\n"
    "Exit status: 0 ok, 64 usage, 65 datasets that do not go together, 66 missing\n"
    "input, 73 cannot create output, 74 I/O error.\n";

int cmd_merge(int argc, char **argv)
{
    static const char *cmd = "merge";
    lw_merge_config cfg = {0};
    bool quiet = false, resume = false;
    const cli_option options[] = {
        CLI_OPT_FORMATS(&cfg.output_format),
        CLI_OPT_BOOL(0, "force", &cfg.force, "replace an output already there"),
        CLI_OPT_RESUME(&resume),
        CLI_OPT_BOOL('q', "quiet", &quiet, "no summary"),
        CLI_OPT_END,
    };
    int first, rc = 0;
    if (!cli_parse_options(cmd, options, argc, argv, usage, usage_tail, &first, &rc))
        return rc;
    if (argc - first < 2)
        return cli_usage_error(cmd, "give the output and at least one input");
    cfg.output = argv[first];
    cfg.inputs = (const char *const *)argv + first + 1;
    cfg.n_inputs = (size_t)(argc - first - 1);
    struct stat sb; /* directories merge into a directory, prefixes into a prefix */
    bool dirs = stat(cfg.inputs[0], &sb) == 0 && S_ISDIR(sb.st_mode);
    int done = cli_prepare_output(cmd, cfg.output, dirs ? LW_OUT_DIR : LW_OUT_PREFIX, 0, 1, 0,
                                  resume, quiet, &cfg.force);
    if (done >= 0)
        return done;
    lw_merge_stats stats;
    lw_error err = {0};
    double start = cli_now();
    lw_status st = lw_merge_run(&cfg, &stats, &err);
    if (st)
        return cli_fail(cmd, st, err.msg);
    if (stats.flattened)
        fprintf(stderr, "longweave merge: warning: %llu input documents of several sequences "
                "are written as one document per sequence\n",
                (unsigned long long)stats.flattened);
    if (stats.short_windows)
        fprintf(stderr, "longweave merge: note: %s reads windows of seq_len + 1 tokens: read "
                "these sequences of %llu tokens with seq_len=%llu (the manifest's "
                "config.reader_seq_len), or make them with cip --format %s, which stores "
                "%llu + 1\n",
                lw_seq_format_name(cfg.output_format.format),
                (unsigned long long)stats.window_len, (unsigned long long)stats.window_len - 1,
                lw_seq_format_name(cfg.output_format.format),
                (unsigned long long)stats.window_len);
    if (!quiet)
        fprintf(stderr, "longweave merge: %llu datasets into %llu group%s: %llu sequences, %llu "
                "tokens; %llu other files joined; %.2f s\n",
                (unsigned long long)stats.datasets, (unsigned long long)stats.groups,
                stats.groups == 1 ? "" : "s", (unsigned long long)stats.sequences,
                (unsigned long long)stats.tokens, (unsigned long long)stats.files_joined,
                cli_now() - start);
    return 0;
}
