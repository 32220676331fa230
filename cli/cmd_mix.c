/* `longweave mix`: flags in, lw_mix_run, per-source summary and exit code out. */
#include <stdint.h>
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
    "\n";

static const char usage_tail[] =
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

static int parse_count(const char *cmd, const cli_option *opt, const char *s)
{
    uint64_t *out = opt->value;
    if (cli_parse_quantity(s, strlen(s), false, out) || *out == 0)
        return cli_usage_error(cmd, "--tokens expects a positive count like 500000, 500M or "
                               "5e8 (" CLI_QUANTITY_HELP "), not '%s'", s);
    return 0;
}

/* What --by, --share and --source fill in. */
typedef struct {
    lw_mix_config *cfg;
    char *raw_src[LW_MIX_MAX_SOURCES]; /* parsed after the loop, when --by is known */
    size_t n_shares, n_raw;
} mix_args;

static int set_by(const char *cmd, const cli_option *opt, const char *arg)
{
    mix_args *m = opt->value;
    m->cfg->by = arg;
    return strcmp(arg, "source") == 0 ? 0
                                      : cli_usage_error(cmd, "--by takes 'source', not '%s'", arg);
}

static int set_share(const char *cmd, const cli_option *opt, const char *arg)
{
    mix_args *m = opt->value;
    lw_mix_config *cfg = m->cfg;
    int rc = 0;
    /* NAME=SHARE,NAME=SHARE: a name runs to its last '='; argv is split in place */
    for (char *item = strtok((char *)(uintptr_t)arg, ","); item && !rc;
         item = strtok(NULL, ",")) {
        char *eq = strrchr(item, '='), *end = NULL;
        double share = eq ? strtod(eq + 1, &end) : 0;
        if (!eq || eq == item || !end || *end || !(share > 0))
            return cli_usage_error(cmd, "--share expects NAME=SHARE[,NAME=SHARE...] with "
                                   "positive shares, not '%s'", item);
        if (m->n_shares == LW_MIX_MAX_SOURCES)
            return cli_usage_error(cmd, "at most %d shares", LW_MIX_MAX_SOURCES);
        *eq = '\0';
        for (size_t k = 0; k < m->n_shares && !rc; k++)
            if (strcmp(cfg->value[k], item) == 0)
                rc = cli_usage_error(cmd, "--share names '%s' twice", item);
        cfg->value[m->n_shares] = item;
        cfg->share[m->n_shares++] = share;
    }
    return rc;
}

static int add_source(const char *cmd, const cli_option *opt, const char *arg)
{
    mix_args *m = opt->value;
    if (m->n_raw == LW_MIX_MAX_SOURCES)
        return cli_usage_error(cmd, "at most %d sources", LW_MIX_MAX_SOURCES);
    m->raw_src[m->n_raw++] = (char *)(uintptr_t)arg;
    return 0;
}

int cmd_mix(int argc, char **argv)
{
    static const char *cmd = "mix";
    lw_mix_config cfg = {0};
    bool quiet = false, resume = false;
    mix_args m = {.cfg = &cfg};
    const cli_option options[] = {
        CLI_OPT_CALL(0, "source", "PREFIX:SHARE", &m, add_source,
                     "a source and its share (repeatable; shares need not\n"
                     "add up to 1)"),
        CLI_OPT_CALL(0, "by", "source", &m, set_by,
                     "take the shares by the documents' source field, from the\n"
                     "one dataset --source PREFIX names (its PREFIX.docs.jsonl);\n"
                     "documents of other sources are left out"),
        CLI_OPT_CALL(0, "share", "NAME=SHARE,...", &m, set_share,
                     "with --by: a source value and its share (repeatable)"),
        CLI_OPT_CALL(0, "tokens", "N", &cfg.tokens, parse_count,
                     "tokens in the mixture, e.g. 500M or 5e8\n(" CLI_QUANTITY_HELP ")"),
        CLI_OPT_BOOL(0, "upsample", &cfg.upsample,
                     "draw a source again (a new order) once it is used up;\n"
                     "without it, a source smaller than its share is an error"),
        CLI_OPT_U64(0, "seed", "S", &cfg.seed, "seed (default 0)"),
        CLI_OPT_STR('o', "output", "PREFIX", &cfg.output, "output prefix (required)"),
        CLI_OPT_FORMATS(&cfg.output_format),
        CLI_OPT_BOOL(0, "force", &cfg.force, "replace an existing mixture"),
        CLI_OPT_RESUME(&resume),
        CLI_OPT_BOOL('q', "quiet", &quiet, "no summary"),
        CLI_OPT_END,
    };
    int first, rc = 0;
    if (!cli_parse_options(cmd, options, argc, argv, usage, usage_tail, &first, &rc))
        return rc;
    char **raw_src = m.raw_src;
    size_t n_shares = m.n_shares, n_raw = m.n_raw;
    if (first < argc)
        return cli_usage_error(cmd, "sources are given with --source PREFIX:SHARE ('%s')",
                               argv[first]);
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
