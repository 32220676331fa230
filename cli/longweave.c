/* The longweave command: a dispatch table of subcommands, as git does. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "longweave/companions.h"
#include "longweave/dataset.h"
#include "longweave/version.h"

static const cli_command commands[] = {
    {"shard", cmd_shard, "raw corpora in, clean deterministic .jsonl.zst shards out"},
    {"tokenize", cmd_tokenize, "documents in, Megatron .bin/.idx token dataset out"},
    {"cip", cmd_cip, "chunk-interleaved pretraining sequences, length-bucketed"},
    {"synl", cmd_synl, "synthetic lengthy-table SFT samples with exact answers"},
    {"needle", cmd_needle, "evaluation sets: needle-in-a-haystack and RULER-style tasks"},
    {"score", cmd_score, "score a model's answers to an evaluation set; heatmaps"},
    {"pack", cmd_pack, "SFT samples packed into fixed-length sequences, or length-sorted"},
    {"mix", cmd_mix, "a training mixture of datasets by token share"},
    {"merge", cmd_merge, "combine datasets (e.g. the parts of --part runs) into one"},
    {"inspect", cmd_inspect, "what a dataset holds: counts, lengths, masks, samples"},
    {"verify", cmd_verify, "re-check a dataset: manifest sizes and checksums, structure"},
    {"decode", cmd_decode, "token dataset back to text (or ids)"},
};
static const size_t n_commands = sizeof commands / sizeof commands[0];

static void print_usage(FILE *out)
{
    fprintf(out,
            "Usage: longweave COMMAND [options]\n"
            "\n"
            "Build long-context training data (the LongSkywork recipe: chunk-interleaved\n"
            "pretraining and synthetic lengthy tables) from raw corpora.\n"
            "\n"
            "Commands:\n");
    for (size_t i = 0; i < n_commands; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(out,
            "\n"
            "'longweave COMMAND --help' describes a command.\n"
            "'longweave --version' prints the version.\n");
}

/* Optimal string alignment distance (edits, with adjacent swaps) of two
 * short names: how far a mistyped command is from a real one. */
static size_t edit_distance(const char *a, const char *b)
{
    enum { MAX = 32 };
    size_t n = strlen(a), m = strlen(b);
    if (n >= MAX || m >= MAX)
        return MAX;
    size_t d[MAX + 1][MAX + 1];
    for (size_t i = 0; i <= n; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= m; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= n; i++)
        for (size_t j = 1; j <= m; j++) {
            size_t best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            if (d[i - 1][j] + 1 < best)
                best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best)
                best = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    return d[n][m];
}

/* What claiming an output reports (temporary files swept, a dataset replaced). */
static void print_notice(void *ctx, const char *msg)
{
    fprintf(stderr, "longweave %s: %s\n", (const char *)ctx, msg);
}

int main(int argc, char **argv)
{
    /* A write past RLIMIT_FSIZE must fail with EFBIG (and be reported), not
     * kill the process and leave temporary files behind. */
    signal(SIGXFSZ, SIG_IGN);
    lw_companions_register();
    if (argc < 2) {
        print_usage(stderr);
        return LW_E_USAGE;
    }
    const char *name = argv[1];
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 || strcmp(name, "help") == 0) {
        if (strcmp(name, "help") == 0 && argc > 2) {
            for (size_t i = 0; i < n_commands; i++)
                if (strcmp(argv[2], commands[i].name) == 0) {
                    char *help_argv[] = {argv[2], "--help", NULL};
                    return commands[i].run(2, help_argv);
                }
        }
        print_usage(stdout);
        return 0;
    }
    if (strcmp(name, "--version") == 0) {
        printf("longweave %s\n", LW_VERSION);
        return 0;
    }
    for (size_t i = 0; i < n_commands; i++)
        if (strcmp(name, commands[i].name) == 0) {
            lw_manifest_set_command(argc - 1, argv + 1);
            lw_output_set_notice(print_notice, (void *)commands[i].name);
            int rc = commands[i].run(argc - 1, argv + 1);
            lw_manifest_set_command(0, NULL);
            return rc;
        }
    /* the nearest command, when one is within two edits (as git suggests) */
    size_t best = 3, at = n_commands;
    for (size_t i = 0; i < n_commands; i++) {
        size_t d = edit_distance(name, commands[i].name);
        if (d < best) {
            best = d;
            at = i;
        }
    }
    if (at < n_commands) {
        fprintf(stderr, "longweave: '%s' is not a command. Did you mean '%s'?\n", name,
                commands[at].name);
        return LW_E_USAGE;
    }
    fprintf(stderr, "longweave: '%s' is not a command.\n\n", name);
    print_usage(stderr);
    return LW_E_USAGE;
}
