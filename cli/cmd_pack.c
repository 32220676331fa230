/* `longweave pack`: flags in, lw_pack_run, summary and exit code out. */
#include <getopt.h>
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
    "\n"
    "      --seq-len L         length of the packed sequences (4096, 32k, ...)\n"
    "      --strategy S        pack (default) or sort\n"
    "      --batch-size B      sort: samples per batch (default 8)\n"
    "      --loss-weighting W  token (default: every trained token counts 1) or sample\n"
    "      --positions P       reset (default: 0 at each sample) or continuous\n"
    "      --long L            a sample over --seq-len: skip (default, counted) or\n"
    "                          truncate\n"
    CLI_PAD_HELP
    "      --seed S            sort: the order of the batches (default 0)\n"
    "  -o, --output PREFIX     output prefix (required)\n"
    CLI_FORMAT_HELP
    "      --force             replace an existing output\n"
    CLI_RESUME_HELP
    "  -q, --quiet             no summary\n"
    "  -h, --help              this help\n"
    "\n"
    "Examples:\n"
    "  longweave pack synl/len-0032768 -o packed/sft32k --seq-len 32k \\\n"
    "      --loss-weighting sample\n"
    "  longweave pack synl/ --strategy sort --batch-size 16 -o sorted/sft\n"
    "\n"
    "Exit status: 0 ok, 64 usage, 65 inputs that do not go together, 66 missing input,\n"
    "73 cannot create output, 74 I/O error.\n";

enum { OPT_SEQ_LEN = 256, OPT_STRATEGY, OPT_BATCH, OPT_WEIGHTING, OPT_POSITIONS, OPT_LONG,
       OPT_PAD, OPT_SEED, OPT_FORCE, OPT_RESUME };

static const struct option long_opts[] = {
    CLI_FORMAT_OPTIONS,
    {"seq-len", required_argument, NULL, OPT_SEQ_LEN},
    {"strategy", required_argument, NULL, OPT_STRATEGY},
    {"batch-size", required_argument, NULL, OPT_BATCH},
    {"loss-weighting", required_argument, NULL, OPT_WEIGHTING},
    {"positions", required_argument, NULL, OPT_POSITIONS},
    {"long", required_argument, NULL, OPT_LONG},
    {"pad-id", required_argument, NULL, OPT_PAD},
    {"seed", required_argument, NULL, OPT_SEED},
    {"output", required_argument, NULL, 'o'},
    {"force", no_argument, NULL, OPT_FORCE},
    {"resume", no_argument, NULL, OPT_RESUME},
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static int choice(const char *cmd, const char *opt, const char *arg, const char *a,
                  const char *b, bool *second)
{
    if (strcmp(arg, a) == 0)
        *second = false;
    else if (strcmp(arg, b) == 0)
        *second = true;
    else
        return cli_usage_error(cmd, "%s is %s or %s, not '%s'", opt, a, b, arg);
    return 0;
}

int cmd_pack(int argc, char **argv)
{
    static const char *cmd = "pack";
    lw_pack_config cfg = {.pad_id = LW_PAD_DEFAULT};
    char names[1][32];
    bool quiet = false, sort = false, resume = false;
    int c, rc = 0;
    unsigned u;
    size_t nl;
    optind = 1;
    while (rc == 0 && (c = getopt_long(argc, argv, "o:qh", long_opts, NULL)) != -1) {
        if (cli_format_option(cmd, c, optarg, &cfg.output_format, &rc))
            continue;
        switch (c) {
        case OPT_SEQ_LEN: rc = cli_parse_lengths(cmd, optarg, &cfg.seq_len, names, 1, &nl); break;
        case OPT_STRATEGY: rc = choice(cmd, "--strategy", optarg, "pack", "sort", &sort); break;
        case OPT_BATCH:
            rc = cli_parse_uint(cmd, "--batch-size", optarg, 1, 1u << 20, &u);
            cfg.batch_size = u;
            break;
        case OPT_WEIGHTING:
            rc = choice(cmd, "--loss-weighting", optarg, "token", "sample", &cfg.sample_weights);
            break;
        case OPT_POSITIONS:
            rc = choice(cmd, "--positions", optarg, "reset", "continuous",
                        &cfg.positions_continuous);
            break;
        case OPT_LONG: rc = choice(cmd, "--long", optarg, "skip", "truncate", &cfg.truncate_long); break;
        case OPT_PAD: rc = cli_parse_pad_id(cmd, optarg, &cfg.pad_id); break;
        case OPT_SEED: rc = cli_parse_u64(cmd, "--seed", optarg, &cfg.seed); break;
        case 'o': cfg.output = optarg; break;
        case OPT_FORCE: cfg.force = true; break;
        case OPT_RESUME: resume = true; break;
        case 'q': quiet = true; break;
        case 'h': fputs(usage, stdout); return 0;
        default: rc = cli_usage_error(cmd, "unknown or incomplete option");
        }
    }
    if (rc)
        return rc;
    cfg.strategy = sort ? LW_PACK_SORT : LW_PACK_BFD;
    if (optind >= argc || !cfg.output || (!sort && !cfg.seq_len))
        return cli_usage_error(cmd, "INPUT, -o PREFIX and --seq-len (for packing) are required");
    cfg.inputs = (const char *const *)argv + optind;
    cfg.n_inputs = (size_t)(argc - optind);
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
