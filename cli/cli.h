/* Shared pieces of the command-line front end: option parsing helpers,
 * warnings, progress line, summaries and exit codes. No data logic here. */
#ifndef LONGWEAVE_CLI_H
#define LONGWEAVE_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "longweave/dataset.h"
#include "longweave/docflow.h"
#include "longweave/seqwriter.h"
#include "longweave/source.h"
#include "longweave/status.h"

#include "cli_options.h"

typedef struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} cli_command;

int cmd_shard(int argc, char **argv);
int cmd_tokenize(int argc, char **argv);
int cmd_decode(int argc, char **argv);
int cmd_cip(int argc, char **argv);
int cmd_synl(int argc, char **argv);
int cmd_needle(int argc, char **argv);
int cmd_score(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_merge(int argc, char **argv);
int cmd_mix(int argc, char **argv);
int cmd_pack(int argc, char **argv);

/* Options of every command that reads documents: cli_doc_options(&o) is
 * their table (input, then run), bound to o's fields; a command includes it
 * with CLI_OPT_SHARED and declares -o and --seed itself where it takes them.
 * cli_run_options(&o) is the run part alone (-j, --part, --force, --resume,
 * -q, --progress-every, --stats-json), for commands that read no documents. */
enum { CLI_DOC_TABLE = 12, CLI_RUN_TABLE = 12 };
typedef struct {
    const char *output;        /* -o */
    int threads;               /* -j; 0: all cores */
    uint64_t seed;
    unsigned part, nparts;
    bool quiet, force, resume, strict;
    double progress_every;     /* --progress-every (cli_parse_progress_every) */
    const char *stats_json;
    lw_input_opts input;
    lw_doc_opts doc;
    uint64_t max_doc_bytes;
    const char **include;      /* owned array (strings are argv's) */
    size_t n_include, include_cap;
    cli_option table[CLI_DOC_TABLE];     /* cli_doc_options */
    cli_option run_table[CLI_RUN_TABLE]; /* cli_run_options */
} cli_doc_opts;

const cli_option *cli_doc_options(cli_doc_opts *o);
const cli_option *cli_run_options(cli_doc_opts *o);

typedef struct cli_reporter cli_reporter;
/* Fill a stage's source from the shared options, the inputs and the
 * reporter that takes warnings and progress. */
void cli_doc_source(lw_source_config *src, const cli_doc_opts *o, char **inputs, int n,
                    cli_reporter *rep);

void cli_doc_opts_free(cli_doc_opts *o);
/* Usage errors for a missing INPUT or -o; returns 0 when both are there. */
int cli_require_io(const char *cmd, int argc, int first, const cli_doc_opts *o,
                   const char *input_hint, const char *output_hint);

/* Parsers: return 0, or print a usage error naming the option and return
 * LW_E_USAGE (the exit code). */
int cli_parse_u64(const char *cmd, const char *opt, const char *s, uint64_t *out);
/* --pad-id N or --pad-id eod (LW_PAD_EOD, longweave/pad.h). */
int cli_parse_pad_id(const char *cmd, const char *s, int64_t *out);
/* The values of an option (argv's strings): a repeatable one collects one
 * per use (cli_push_string), a comma list is split (cli_set_comma_list, in
 * place; a repeated list replaces the last). Free v. */
typedef struct {
    const char **v;
    size_t n, cap;
} cli_strings;
int cli_push_string(const char *cmd, const cli_option *opt, const char *arg);
int cli_set_comma_list(const char *cmd, const cli_option *opt, const char *arg);
/* --eod-id N and --bos-id N: the id, and that the token is then added. */
typedef struct {
    int64_t *id;
    bool *add;
} cli_special_id;
int cli_set_special_id(const char *cmd, const cli_option *opt, const char *arg);
/* --seq-len LIST (cli_parse_lengths) into a bucket table. */
typedef struct {
    uint32_t *lens;
    char (*names)[32];
    size_t max, *n;
} cli_lengths;
int cli_set_lengths(const char *cmd, const cli_option *opt, const char *arg);
/* --pad-id, for every command that pads: an entry of its option table. */
int cli_set_pad_id(const char *cmd, const cli_option *opt, const char *arg);
#define CLI_OPT_PAD_ID(v)                                                                      \
    CLI_OPT_CALL(0, "pad-id", "N|eod", v, cli_set_pad_id,                                      \
                 "padding id (loss mask 0). Default: the tokenizer's pad,\n"                  \
                 "else a reserved pad token (<|finetune_right_pad_id|>,\n"                    \
                 "<pad>), else the end of document; the manifest says\n"                      \
                 "which. N equal to the end of document is refused\n"                         \
                 "(Megatron then trains on padding): say eod for it")
int cli_parse_uint(const char *cmd, const char *opt, const char *s, unsigned min, unsigned max,
                   unsigned *out);
/* The one reading of a count or size on the command line: digits (a
 * fraction allowed when the result is whole: 1.5k), then K, M, G or T as
 * powers of 1024 in any case (32k = 32768, as sequence lengths are said), or
 * an exponent for decimal counts (5e8); with bytes, a trailing B or iB.
 * s[0..n); 0, or -1 when it is not one. */
int cli_parse_quantity(const char *s, size_t n, bool bytes, uint64_t *out);
#define CLI_QUANTITY_HELP "k, M, G: 1024, 1024^2, 1024^3; 5e8 is decimal"
/* Byte sizes: 123, 64K, 256M, 2G (binary multiples). */
int cli_parse_size(const char *cmd, const char *opt, const char *s, uint64_t *out);
/* --seq-len "32768,131072" or "32k,128k" (k = 1024): up to max lengths,
 * each also kept as written in names. */
int cli_parse_lengths(const char *cmd, const char *s, uint32_t *lens, char names[][32],
                      size_t max, size_t *n);
/* --length-mix "1,3" (in --seq-len order) or "32k:1,128k:3" (by name or length). */
int cli_parse_mix(const char *cmd, const char *s, const uint32_t *lens, char names[][32],
                  size_t n_lens, double *mix);
/* Shares of named choices, "NAME[:SHARE],..." (a bare NAME: share 1; names not
 * given: 0), e.g. synl's --lang en:3,zh:1; an unknown name lists the known. */
int cli_parse_shares(const char *cmd, const char *opt, const char *s, char names[][32],
                     size_t n, double *mix);
/* Split a comma list in place into *out (grown; free it). */
int cli_split_list(const char *cmd, const char *opt, char *s, const char ***out, size_t *n);
/* The output options of every command that writes token sequences
 * (--format, --shard-tokens for llmc, --shard-bytes for mds), as entries of
 * its option table, bound to an lw_seq_output. */
int cli_set_format(const char *cmd, const cli_option *opt, const char *arg);
int cli_set_shard_tokens(const char *cmd, const cli_option *opt, const char *arg);
int cli_set_shard_bytes(const char *cmd, const cli_option *opt, const char *arg);
#define CLI_OPT_FORMATS(out)                                                                   \
    CLI_OPT_CALL(0, "format", "F", out, cli_set_format,                                        \
                 "output format, one of\n" LW_SEQ_FORMAT_LIST "\n"                            \
                 "(default megatron; npy for fixed-length outputs only)"),                    \
        CLI_OPT_CALL(0, "shard-tokens", "N", out, cli_set_shard_tokens,                        \
                     "llmc: tokens per shard file (default 100000000)"),                       \
        CLI_OPT_CALL(0, "shard-bytes", "SIZE", out, cli_set_shard_bytes,                       \
                     "mds: shard size limit (default 64M)")
/* The tokenizer a dataset was written with (path, pattern and sha256 from its
 * manifest), or `given` (-t). Prints the error and returns an exit code, or 0. */
struct lw_tokenizer;
int cli_load_dataset_tokenizer(const char *cmd, const char *prefix, const char *given,
                               struct lw_tokenizer **tok);
/* "I/N" with 0 <= I < N. */
int cli_parse_part(const char *cmd, const char *s, unsigned *part, unsigned *nparts);

/* Print "longweave CMD: error: MSG" and, for usage errors, a --help hint;
 * return the exit code for st. */
int cli_fail(const char *cmd, lw_status st, const char *msg);
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* --resume, which every command that writes an output takes. */
#define CLI_OPT_RESUME(v)                                                                      \
    CLI_OPT_BOOL(0, "resume", v,                                                               \
                 "skip if the output is complete (manifest present, same\n"                   \
                 "command, files verified); else redo it")

/* --resume: if the output's manifest is there, was written by the same
 * command (lw_manifest_command) and verifies (every file's size and sha256,
 * every dataset's structure, checked with `threads` threads, 0 for all
 * cores), say so and return 0: the command is done.
 * Otherwise set *force and return -1: run (the claim of the output then
 * sweeps what an interrupted run left). Another return is an exit code. */
int cli_prepare_output(const char *cmd, const char *out, lw_out_kind kind, unsigned part,
                       unsigned nparts, int threads, bool resume, bool quiet, bool *force);
/* The same for a document-reading command, from its shared options. */
int cli_doc_prepare_output(const char *cmd, cli_doc_opts *o, lw_out_kind kind);

/* Warnings and progress for one run. */
struct cli_reporter {
    const char *cmd;
    bool quiet;
    bool tty;           /* stderr is a terminal: draw the progress line */
    double every;       /* not a terminal: seconds between progress lines (0: none) */
    double start;       /* monotonic seconds */
    double last_draw;
    const char *phase;  /* the made_unit of the last progress: a new one restarts the ETA */
    double phase_start;
    bool line_drawn;
    uint64_t shown[LW_SKIP_COUNT_];
};

/* progress_every as cli_parse_progress_every leaves it (0: the default). */
void cli_reporter_init(cli_reporter *r, const char *cmd, bool quiet, double progress_every);
/* --progress-every S: seconds between progress lines when stderr is not a
 * terminal (logs); decimals allowed; 0 for none. Stored as 0 for the
 * default (30 s) and -1 for none. */
int cli_parse_progress_every(const char *cmd, const char *s, double *out);
#define CLI_PROGRESS_EVERY_DEFAULT 30.0
int cli_set_progress_every(const char *cmd, const cli_option *opt, const char *arg);
#define CLI_OPT_PROGRESS_EVERY(v)                                                              \
    CLI_OPT_CALL(0, "progress-every", "S", v, cli_set_progress_every,                          \
                 "when stderr is not a terminal (a log), print a progress\n"                  \
                 "line every S seconds (default 30; 0: none)")
void cli_warn(void *ctx, lw_skip why, const char *msg);
void cli_progress(void *ctx, const lw_progress *p);
void cli_progress_clear(cli_reporter *r);
double cli_now(void);

/* "1.5 MB", "312 kB", ... (decimal units, as throughput is usually given). */
const char *cli_human_bytes(uint64_t n, char *buf, size_t cap);
/* v with its thousands grouped: "4,031" (buf of 32 bytes, returned). */
const char *cli_grouped(uint64_t v, char buf[32]);
/* Print the document summary lines (docs, skips by reason, bytes, speed). */
void cli_print_doc_summary(const cli_reporter *r, const lw_doc_stats *s);
/* One warning line per kind of input that was skipped or lost (bad-input
 * skips, regex errors, unreadable directory entries), with its count. Even
 * --quiet runs print these: quiet hides progress, not loss. The summary
 * prints them under --quiet; commands without a document summary call it. */
void cli_print_doc_losses(const cli_reporter *r, const lw_doc_stats *s);
/* Write stats as JSON to path ("-" = stdout), atomically: the document
 * counts s (NULL when the command read no documents: every key is true or
 * absent) with the fields of extra (taken over, may be NULL) added; returns
 * an exit code. extra_ok
 * false (building extra ran out of memory) fails with LW_E_NOMEM and writes
 * nothing, as does any allocation failing here: never a file missing a field. */
struct cJSON;
int cli_write_stats_json(const char *cmd, const char *path, const lw_doc_stats *s,
                         struct cJSON *extra, bool extra_ok, double seconds);

#endif
