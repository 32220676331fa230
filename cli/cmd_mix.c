/* `longweave mix`: flags in, lw_mix_run, per-source summary and exit code out. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "longweave/mix.h"

static const char usage[] =
    "Usage: longweave mix --source PREFIX:SHARE... --tokens N -o PREFIX [options]\n"
    "       longweave mix --by source --source PREFIX --share NAME=SHARE,... --tokens N\n"
    "                     -o PREFIX [options]\n"
    "\n"
    "A training mixture by token share: each source (a Megatron dataset) gives\n"
    "SHARE/sum x N tokens of whole sequences, drawn in a seeded random order without\n"
    "replacement, and the sources are interleaved so that every stretch of the output\n"
    "holds the shares. The manifest records what each source gave. When every source\n"
    "carries its document lineage (PREFIX.docs.jsonl, from tokenize), so does the\n"
    "mixture: the line of each sequence's document.\n"
    "\n"
    "      --source PREFIX:SHARE   a source and its share (repeatable; shares need not\n"
    "                          add up to 1)\n"
    "      --by source         take the shares by the documents' source field, from the\n"
    "                          one dataset --source PREFIX names (its PREFIX.docs.jsonl);\n"
    "                          documents of other sources are left out\n"
    "      --share NAME=SHARE,...  with --by: a source value and its share (repeatable)\n"
    "      --tokens N          tokens in the mixture, e.g. 500M or 5e8\n"
    "                          (" CLI_QUANTITY_HELP ")\n"
    "      --upsample          draw a source again (a new order) once it is used up;\n"
    "                          without it, a source smaller than its share is an error\n"
    "      --seed S            seed (default 0)\n"
    "  -o, --output PREFIX     output prefix (required)\n"
    CLI_FORMAT_HELP
    "      --force             replace an existing mixture\n"
    CLI_RESUME_HELP
    "  -q, --quiet             no summary\n"
    "  -h, --help              this help\n"
    "\n"
    "Examples:\n"
    "  longweave mix --source cip/len-0032768/part-00000:0.6 \\\n"
    "      --source synl/len-0032768/part-00000:0.3 --source tok/books:0.1 \\\n"
    "      --tokens 2G --upsample -o mix/long32k\n"
    "  longweave mix --by source --source tok/all --share web=0.7,code=0.3 \\\n"
    "      --tokens 500M -o mix/web-code\n"
    "\n"
    "Exit status: 0 ok, 64 usage, 65 sources that do not go together or are too small,\n"
    "66 missing input, 73 cannot create output, 74 I/O error.\n";

enum {
    OPT_SOURCE = 256, OPT_BY, OPT_SHARE, OPT_TOKENS, OPT_UPSAMPLE, OPT_SEED, OPT_FORCE,
    OPT_RESUME
};

static const struct option long_opts[] = {
    CLI_FORMAT_OPTIONS,
    {"source", required_argument, NULL, OPT_SOURCE},
    {"by", required_argument, NULL, OPT_BY},
    {"share", required_argument, NULL, OPT_SHARE},
    {"tokens", required_argument, NULL, OPT_TOKENS},
    {"upsample", no_argument, NULL, OPT_UPSAMPLE},
    {"seed", required_argument, NULL, OPT_SEED},
    {"output", required_argument, NULL, 'o'},
    {"force", no_argument, NULL, OPT_FORCE},
    {"resume", no_argument, NULL, OPT_RESUME},
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static int parse_count(const char *cmd, const char *s, uint64_t *out)
{
    if (cli_parse_quantity(s, strlen(s), false, out) || *out == 0)
        return cli_usage_error(cmd, "--tokens expects a positive count like 500000, 500M or "
                               "5e8 (" CLI_QUANTITY_HELP "), not '%s'", s);
    return 0;
}

int cmd_mix(int argc, char **argv)
{
    static const char *cmd = "mix";
    lw_mix_config cfg = {0};
    bool quiet = false, resume = false;
    char *raw_src[LW_MIX_MAX_SOURCES];
    size_t n_shares = 0, n_raw = 0;
    int c, rc = 0;
    optind = 1;
    while (rc == 0 && (c = getopt_long(argc, argv, "o:qh", long_opts, NULL)) != -1) {
        if (cli_format_option(cmd, c, optarg, &cfg.output_format, &rc))
            continue;
        switch (c) {
        case OPT_BY:
            if (strcmp(optarg, "source") != 0)
                rc = cli_usage_error(cmd, "--by takes 'source', not '%s'", optarg);
            cfg.by = optarg;
            break;
        case OPT_SHARE:
            /* NAME=SHARE,NAME=SHARE: a name runs to its last '=' */
            for (char *item = strtok(optarg, ","); item && !rc; item = strtok(NULL, ",")) {
                char *eq = strrchr(item, '='), *end = NULL;
                double share = eq ? strtod(eq + 1, &end) : 0;
                if (!eq || eq == item || !end || *end || !(share > 0)) {
                    rc = cli_usage_error(cmd, "--share expects NAME=SHARE[,NAME=SHARE...] with "
                                         "positive shares, not '%s'", item);
                    break;
                }
                if (n_shares == LW_MIX_MAX_SOURCES) {
                    rc = cli_usage_error(cmd, "at most %d shares", LW_MIX_MAX_SOURCES);
                    break;
                }
                *eq = '\0';
                for (size_t k = 0; k < n_shares && !rc; k++)
                    if (strcmp(cfg.value[k], item) == 0)
                        rc = cli_usage_error(cmd, "--share names '%s' twice", item);
                cfg.value[n_shares] = item;
                cfg.share[n_shares++] = share;
            }
            break;
        case OPT_SOURCE: /* parsed below, when --by is known */
            if (n_raw == LW_MIX_MAX_SOURCES)
                rc = cli_usage_error(cmd, "at most %d sources", LW_MIX_MAX_SOURCES);
            else
                raw_src[n_raw++] = optarg;
            break;
        case OPT_TOKENS: rc = parse_count(cmd, optarg, &cfg.tokens); break;
        case OPT_UPSAMPLE: cfg.upsample = true; break;
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
    if (optind < argc)
        return cli_usage_error(cmd, "sources are given with --source PREFIX:SHARE ('%s')",
                               argv[optind]);
    if (cfg.by) {
        if (n_raw != 1 || !n_shares)
            return cli_usage_error(cmd, "--by source takes one --source PREFIX and the shares "
                                   "as --share NAME=SHARE,...");
        for (size_t k = 0; k < n_shares; k++)
            cfg.prefix[k] = raw_src[0];
        cfg.n_sources = n_shares;
    } else if (n_shares) {
        return cli_usage_error(cmd, "--share goes with --by source; give --source "
                               "PREFIX:SHARE otherwise");
    }
    for (size_t k = 0; !cfg.by && k < n_raw; k++) {
        char *colon = strrchr(raw_src[k], ':');
        char *end = NULL;
        double share = colon ? strtod(colon + 1, &end) : 0;
        if (!colon || colon == raw_src[k] || !end || *end || !(share > 0))
            return cli_usage_error(cmd, "--source expects PREFIX:SHARE with a positive "
                                   "share, not '%s'", raw_src[k]);
        *colon = '\0';
        cfg.prefix[cfg.n_sources] = raw_src[k];
        cfg.share[cfg.n_sources++] = share;
    }
    if (!cfg.n_sources || !cfg.tokens || !cfg.output)
        return cli_usage_error(cmd, "--source, --tokens and -o PREFIX are required");
    int done = cli_prepare_output(cmd, cfg.output, LW_OUT_PREFIX, 0, 1, 0, resume, quiet,
                                  &cfg.force);
    if (done >= 0)
        return done;
    lw_mix_stats *stats = malloc(sizeof *stats);
    if (!stats)
        return cli_fail(cmd, LW_E_NOMEM, "out of memory");
    lw_error err = {0};
    double start = cli_now();
    lw_status st = lw_mix_run(&cfg, stats, &err);
    if (st) {
        free(stats);
        return cli_fail(cmd, st, err.msg);
    }
    if (!quiet) {
        fprintf(stderr, "longweave mix: %llu sequences, %llu tokens in %s; %.2f s\n",
                (unsigned long long)stats->sequences, (unsigned long long)stats->tokens,
                cfg.output, cli_now() - start);
        for (size_t i = 0; i < cfg.n_sources; i++)
            fprintf(stderr, "  %s%s%s: %llu sequences, %llu tokens (%.1f%%) of %llu "
                    "available%s\n", cfg.by ? cfg.by : cfg.prefix[i], cfg.by ? " " : "",
                    cfg.by ? cfg.value[i] : "", (unsigned long long)stats->picked[i],
                    (unsigned long long)stats->picked_tokens[i],
                    stats->tokens ? 100.0 * (double)stats->picked_tokens[i] /
                                        (double)stats->tokens
                                  : 0.0,
                    (unsigned long long)stats->available[i],
                    stats->passes[i] > 1 ? ", upsampled" : "");
    }
    free(stats);
    return 0;
}
