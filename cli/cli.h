/* Shared pieces of the command-line front end: option parsing helpers,
 * warnings, progress line, summaries and exit codes. No data logic here. */
#ifndef LONGWEAVE_CLI_H
#define LONGWEAVE_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "longweave/docflow.h"
#include "longweave/status.h"

typedef struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} cli_command;

int cmd_shard(int argc, char **argv);

/* Options every command has. */
typedef struct {
    const char *output;
    int threads;          /* 0: all cores */
    uint64_t seed;
    unsigned part, nparts;
    bool quiet;
    const char *stats_json;
} cli_common;

/* Parsers: return 0, or print a usage error naming the option and return
 * LW_E_USAGE (the exit code). */
int cli_parse_u64(const char *cmd, const char *opt, const char *s, uint64_t *out);
int cli_parse_uint(const char *cmd, const char *opt, const char *s, unsigned min, unsigned max,
                   unsigned *out);
/* Byte sizes: 123, 64K, 256M, 2G (binary multiples). */
int cli_parse_size(const char *cmd, const char *opt, const char *s, uint64_t *out);
/* "I/N" with 0 <= I < N. */
int cli_parse_part(const char *cmd, const char *s, unsigned *part, unsigned *nparts);

/* Print "longweave CMD: error: MSG" and, for usage errors, a --help hint;
 * return the exit code for st. */
int cli_fail(const char *cmd, lw_status st, const char *msg);
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Warnings and progress for one run. */
typedef struct {
    const char *cmd;
    bool quiet;
    bool tty;           /* stderr is a terminal: draw the progress line */
    double start;       /* monotonic seconds */
    double last_draw;
    bool line_drawn;
    uint64_t shown[LW_SKIP_COUNT_];
} cli_reporter;

void cli_reporter_init(cli_reporter *r, const char *cmd, bool quiet);
void cli_warn(void *ctx, lw_skip why, const char *msg);
void cli_progress(void *ctx, const lw_progress *p);
void cli_progress_clear(cli_reporter *r);
double cli_now(void);

/* "1.5 MB", "312 kB", ... (decimal units, as throughput is usually given). */
const char *cli_human_bytes(uint64_t n, char *buf, size_t cap);
/* Print the document summary lines (docs, skips by reason, bytes, speed). */
void cli_print_doc_summary(const cli_reporter *r, const lw_doc_stats *s);
/* Write stats as JSON to path ("-" = stdout), atomically; returns an exit code. */
int cli_write_stats_json(const char *cmd, const char *path, const lw_doc_stats *s,
                         double seconds);

#endif
