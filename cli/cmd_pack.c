/* `longweave pack`: flags in, lw_pack_run, summary and exit code out. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "longweave/pad.h"
#include "longweave/pack.h"

static const char usage[] =
    "Usage: longweave pack INPUT... -o PREFIX --seq-len L [options]\n"
    "\n"
    "SFT samples (token datasets with loss masks, such as synl's buckets, or any\n"
    "Megatron dataset; INPUT is a PREFIX or a directory of them) packed into\n"
    "sequences of exactly L tokens, best fit decreasing: longest samples first, each\n"
    "into the open sequence with the least room that holds it; the rest is padding\n"
    "with loss mask 0. Beside the tokens and mask (--format) come PREFIX.cu_seqlens\n"
    "(int32: 0 and each sample's end, flash-attention's cu_seqlens), PREFIX.positions\n"
    "(position ids) and, with --loss-weighting sample, PREFIX.weights (float32 1/N_i\n"
    "on the N_i trained tokens of sample i: each sample counts equally, as in\n"
    "LongAlign). Or, with --strategy sort, samples are not packed but sorted by\n"
    "length into batches whose order is shuffled (LongAlign's sorted batching).\n"
    "\n";

static const char usage_tail[] =
    "\n"
    "Examples:\n"
    "  longweave pack synl/len-0032768 -o packed/sft32k --seq-len 32k \\\n"
    "      --loss-weighting sample\n"
    "  longweave pack synl/ --strategy sort --batch-size 16 -o sorted/sft\n"
    "\n"
    "Exit status: 0 ok, 64 usage, 65 inputs that do not go together, 66 missing input,\n"
    "73 cannot create output, 74 I/O error.\n";

static const char *const strategies[] = {"pack", "sort", NULL};
static const char *const weightings[] = {"token", "sample", NULL};
static const char *const positions[] = {"reset", "continuous", NULL};
static const char *const longs[] = {"skip", "truncate", NULL};

int cmd_pack(int argc, char **argv)
{
    static const char *cmd = "pack";
    lw_pack_config cfg = {.pad_id = LW_PAD_DEFAULT};
    char names[1][32];
    bool quiet = false, resume = false;
    int strategy = 0, weighting = 0, position = 0, long_mode = 0;
    unsigned batch = 0;
    size_t nl = 0;
    cli_lengths lens = {&cfg.seq_len, names, 1, &nl};
    const cli_option options[] = {
        CLI_OPT_CALL(0, "seq-len", "L", &lens, cli_set_lengths,
                     "length of the packed sequences (4096, 32k, ...)"),
        CLI_OPT_CHOICE(0, "strategy", "S", &strategy, strategies, "pack (default) or sort"),
        CLI_OPT_UINT(0, "batch-size", "B", &batch, 1, 1u << 20,
                     "sort: samples per batch (default 8)"),
        CLI_OPT_CHOICE(0, "loss-weighting", "W", &weighting, weightings,
                       "token (default: every trained token counts 1) or sample"),
        CLI_OPT_CHOICE(0, "positions", "P", &position, positions,
                       "reset (default: 0 at each sample) or continuous"),
        CLI_OPT_CHOICE(0, "long", "L", &long_mode, longs,
                       "a sample over --seq-len: skip (default, counted) or\ntruncate"),
        CLI_OPT_PAD_ID(&cfg.pad_id),
        CLI_OPT_U64(0, "seed", "S", &cfg.seed, "sort: the order of the batches (default 0)"),
        CLI_OPT_STR('o', "output", "PREFIX", &cfg.output, "output prefix (required)"),
        CLI_OPT_FORMATS(&cfg.output_format),
        CLI_OPT_BOOL(0, "force", &cfg.force, "replace an existing output"),
        CLI_OPT_RESUME(&resume),
        CLI_OPT_BOOL('q', "quiet", &quiet, "no summary"),
        CLI_OPT_END,
    };
    int first, rc = 0;
    if (!cli_parse_options(cmd, options, argc, argv, usage, usage_tail, &first, &rc))
        return rc;
    bool sort = strategy == 1;
    if (batch)
        cfg.batch_size = batch;
    cfg.sample_weights = weighting == 1;
    cfg.positions_continuous = position == 1;
    cfg.truncate_long = long_mode == 1;
    cfg.strategy = sort ? LW_PACK_SORT : LW_PACK_BFD;
    if (first >= argc || !cfg.output || (!sort && !cfg.seq_len))
        return cli_usage_error(cmd, "INPUT, -o PREFIX and --seq-len (for packing) are required");
    cfg.inputs = (const char *const *)argv + first;
    cfg.n_inputs = (size_t)(argc - first);
    int done = cli_prepare_output(cmd, cfg.output, LW_OUT_PREFIX, 0, 1, 0, resume, quiet,
                                  &cfg.force);
    if (done >= 0)
        return done;
    lw_pack_stats stats;
    lw_error err = {0};
    double start = cli_now();
    lw_status st = lw_pack_run(&cfg, &stats, &err);
    if (st)
        return cli_fail(cmd, st, err.msg);
    if (stats.too_long)
        fprintf(stderr, "longweave pack: warning: %llu samples longer than %u tokens were "
                "skipped (--long truncate keeps their beginnings)\n",
                (unsigned long long)stats.too_long, cfg.seq_len);
    if (!quiet) {
        /* what went in, of what was read */
        char taken[96];
        unsigned long long n = stats.samples, skipped = stats.too_long;
        if (skipped)
            snprintf(taken, sizeof taken, "%llu of %llu samples (%llu too long, skipped)",
                     n - skipped, n, skipped);
        else if (stats.truncated)
            snprintf(taken, sizeof taken, "%llu samples (%llu too long, truncated)", n,
                     (unsigned long long)stats.truncated);
        else
            snprintf(taken, sizeof taken, "%llu samples", n);
        fprintf(stderr, "longweave pack: %s into %llu sequences, %llu tokens (%.1f%% "
                "padding, %llu trained); %.2f s\n", taken,
                (unsigned long long)stats.packed_sequences, (unsigned long long)stats.tokens,
                stats.tokens ? 100.0 * (double)stats.padding / (double)stats.tokens : 0.0,
                (unsigned long long)stats.trained, cli_now() - start);
    }
    return 0;
}
