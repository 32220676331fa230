/* Command-line helpers: option parsing, warnings, progress, summaries. */
#include "cli.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "longweave/outfile.h"
#include "longweave/dataset.h"
#include "longweave/seqwriter.h"
#include "longweave/tokenizer.h"
#include "longweave/json_build.h"
#include "longweave/pad.h"
#include "longweave/source.h"
#include "longweave/vec.h"

enum { WARNINGS_PER_REASON = 5 };

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "longweave %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\nTry 'longweave %s --help'.\n", cmd);
    va_end(ap);
    return LW_E_USAGE;
}

int cli_fail(const char *cmd, lw_status st, const char *msg)
{
    if (st == LW_E_USAGE)
        return cli_usage_error(cmd, "%s", msg);
    fprintf(stderr, "longweave %s: error: %s\n", cmd, msg);
    return (int)st;
}

int cli_parse_u64(const char *cmd, const char *opt, const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    if (!s || !isdigit((unsigned char)*s))
        return cli_usage_error(cmd, "%s expects a non-negative integer, not '%s'", opt,
                               s ? s : "");
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end)
        return cli_usage_error(cmd, "%s expects a non-negative integer, not '%s'", opt, s);
    *out = v;
    return 0;
}

int cli_parse_pad_id(const char *cmd, const char *s, int64_t *out)
{
    if (s && strcmp(s, "eod") == 0) {
        *out = LW_PAD_EOD;
        return 0;
    }
    uint64_t v = 0;
    int rc = cli_parse_u64(cmd, "--pad-id", s, &v);
    if (!rc && v > INT64_MAX)
        rc = cli_usage_error(cmd, "--pad-id %s is too large", s);
    *out = (int64_t)v;
    return rc;
}

int cli_parse_uint(const char *cmd, const char *opt, const char *s, unsigned min, unsigned max,
                   unsigned *out)
{
    uint64_t v;
    if (cli_parse_u64(cmd, opt, s, &v))
        return LW_E_USAGE;
    if (v < min || v > max)
        return cli_usage_error(cmd, "%s must be between %u and %u, not %s", opt, min, max, s);
    *out = (unsigned)v;
    return 0;
}

int cli_parse_quantity(const char *s, size_t n, bool bytes, uint64_t *out)
{
    const char *p = s, *e = s + n;
    unsigned __int128 mant = 0, den = 1;
    bool digits = false, dot = false;
    for (; p < e && (isdigit((unsigned char)*p) || (*p == '.' && !dot)); p++) {
        if (*p == '.') {
            dot = true;
            continue;
        }
        digits = true;
        mant = mant * 10 + (unsigned)(*p - '0');
        den *= dot ? 10 : 1;
        if (mant > UINT64_MAX || den > UINT64_MAX)
            return -1;
    }
    if (!digits)
        return -1;
    unsigned __int128 mult = 1;
    if (p < e && (*p == 'e' || *p == 'E')) { /* decimal: 5e8 */
        int x = 0;
        const char *x0 = ++p;
        for (; p < e && isdigit((unsigned char)*p) && x <= 19; p++)
            x = x * 10 + (*p - '0');
        if (p == x0 || x > 19)
            return -1;
        while (x--)
            mult *= 10;
    } else if (p < e) { /* binary: k = 1024 */
        const char *units = "KMGT", *u = strchr(units, toupper((unsigned char)*p));
        if (*p && u) {
            mult = (unsigned __int128)1 << (10 * (u - units + 1));
            p++;
        }
    }
    if (bytes && p < e && (*p == 'B' || (*p == 'i' && p + 1 < e && p[1] == 'B')))
        p += *p == 'i' ? 2 : 1;
    unsigned __int128 v = mant * mult;
    if (p != e || v % den || v / den > UINT64_MAX)
        return -1;
    *out = (uint64_t)(v / den);
    return 0;
}

int cli_parse_size(const char *cmd, const char *opt, const char *s, uint64_t *out)
{
    if (!s || cli_parse_quantity(s, strlen(s), true, out) || *out == 0)
        return cli_usage_error(cmd, "%s expects a size like 4096, 64K, 256M or 2G (K = 1024), "
                               "not '%s'", opt, s ? s : "");
    return 0;
}

int cli_set_format(const char *cmd, const cli_option *opt, const char *arg)
{
    lw_seq_output *o = opt->value;
    if (lw_seq_format_parse(arg, &o->format) != 0)
        return cli_usage_error(cmd, "--format is one of %s, not '%s'", lw_seq_format_list(), arg);
    return 0;
}

int cli_set_shard_tokens(const char *cmd, const cli_option *opt, const char *arg)
{
    lw_seq_output *o = opt->value;
    int rc = cli_parse_u64(cmd, "--shard-tokens", arg, &o->shard_tokens);
    if (!rc && (o->shard_tokens == 0 || o->shard_tokens > INT32_MAX))
        rc = cli_usage_error(cmd, "--shard-tokens must be between 1 and %d", INT32_MAX);
    return rc;
}

int cli_set_shard_bytes(const char *cmd, const cli_option *opt, const char *arg)
{
    lw_seq_output *o = opt->value;
    int rc = cli_parse_size(cmd, "--shard-bytes", arg, &o->shard_bytes);
    if (!rc && o->shard_bytes > UINT32_MAX)
        rc = cli_usage_error(cmd, "--shard-bytes is at most 4G (MDS offsets are 32-bit)");
    return rc;
}

int cli_push_string(const char *cmd, const cli_option *opt, const char *arg)
{
    cli_strings *l = opt->value;
    if (!LW_VEC_GROW(&l->v, &l->cap, l->n + 1))
        return cli_fail(cmd, LW_E_NOMEM, "out of memory");
    l->v[l->n++] = arg;
    return 0;
}

int cli_set_comma_list(const char *cmd, const cli_option *opt, const char *arg)
{
    cli_strings *l = opt->value;
    char name[64];
    snprintf(name, sizeof name, "--%s", opt->long_name);
    free(l->v);
    l->v = NULL;
    l->cap = 0;
    /* argv's strings may be written: the list is split in place */
    return cli_split_list(cmd, name, (char *)(uintptr_t)arg, &l->v, &l->n);
}

int cli_set_special_id(const char *cmd, const cli_option *opt, const char *arg)
{
    const cli_special_id *s = opt->value;
    uint64_t v = 0;
    char name[64];
    snprintf(name, sizeof name, "--%s", opt->long_name);
    int rc = cli_parse_u64(cmd, name, arg, &v);
    *s->id = (int64_t)v;
    *s->add = true;
    return rc;
}

int cli_set_lengths(const char *cmd, const cli_option *opt, const char *arg)
{
    const cli_lengths *l = opt->value;
    return cli_parse_lengths(cmd, arg, l->lens, l->names, l->max, l->n);
}

int cli_set_pad_id(const char *cmd, const cli_option *opt, const char *arg)
{
    return cli_parse_pad_id(cmd, arg, opt->value);
}

int cli_parse_part(const char *cmd, const char *s, unsigned *part, unsigned *nparts)
{
    unsigned long i, n;
    char *end;
    errno = 0;
    if (!isdigit((unsigned char)*s))
        goto bad;
    i = strtoul(s, &end, 10);
    if (errno || *end != '/' || !isdigit((unsigned char)end[1]))
        goto bad;
    n = strtoul(end + 1, &end, 10);
    if (errno || *end || n == 0 || i >= n || n > 1000000)
        goto bad;
    *part = (unsigned)i;
    *nparts = (unsigned)n;
    return 0;
bad:
    return cli_usage_error(cmd, "--part expects I/N with 0 <= I < N (e.g. 0/4), not '%s'", s);
}

double cli_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void cli_reporter_init(cli_reporter *r, const char *cmd, bool quiet, double progress_every)
{
    memset(r, 0, sizeof *r);
    r->cmd = cmd;
    r->quiet = quiet;
    r->tty = !quiet && isatty(STDERR_FILENO);
    r->every = progress_every == 0 ? CLI_PROGRESS_EVERY_DEFAULT
                                   : progress_every < 0 ? 0 : progress_every;
    r->start = r->last_draw = r->phase_start = cli_now();
}

void cli_progress_clear(cli_reporter *r)
{
    if (r->line_drawn) {
        fputs("\r\033[K", stderr);
        r->line_drawn = false;
    }
}

void cli_warn(void *ctx, lw_skip why, const char *msg)
{
    cli_reporter *r = ctx;
    if (r->quiet)
        return;
    uint64_t n = ++r->shown[why];
    if (n > WARNINGS_PER_REASON)
        return;
    cli_progress_clear(r);
    fprintf(stderr, "longweave %s: warning: %s\n", r->cmd, msg);
    if (n == WARNINGS_PER_REASON && why != LW_SKIP_NONE)
        fprintf(stderr,
                "longweave %s: (further '%s' warnings are not shown; all are counted in the "
                "summary)\n",
                r->cmd, lw_skip_name(why));
}

const char *cli_grouped(uint64_t v, char buf[32])
{
    char raw[24];
    int n = snprintf(raw, sizeof raw, "%llu", (unsigned long long)v), o = 0;
    for (int i = 0; i < n; i++) {
        if (i && (n - i) % 3 == 0)
            buf[o++] = ',';
        buf[o++] = raw[i];
    }
    buf[o] = 0;
    return buf;
}

const char *cli_human_bytes(uint64_t n, char *buf, size_t cap)
{
    static const char *const units[] = {"B", "kB", "MB", "GB", "TB", "PB"};
    double v = (double)n;
    int u = 0;
    while (v >= 1000 && u < 5) {
        v /= 1000;
        u++;
    }
    if (u == 0)
        snprintf(buf, cap, "%" PRIu64 " B", n);
    else
        snprintf(buf, cap, "%.1f %s", v, units[u]);
    return buf;
}

int cli_parse_progress_every(const char *cmd, const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !(v >= 0 && v <= 86400))
        return cli_usage_error(cmd, "--progress-every is seconds from 0 to 86400, not '%s'", s);
    *out = v == 0 ? -1 : v;
    return 0;
}

/* 1234567 -> "1.2M" (decimal, as rates are said). */
static const char *human_count(double v, char *buf, size_t cap)
{
    static const char *const units[] = {"", "k", "M", "G", "T"};
    int u = 0;
    while (v >= 1000 && u < 4) {
        v /= 1000;
        u++;
    }
    snprintf(buf, cap, u ? "%.1f%s" : "%.0f%s", v, units[u]);
    return buf;
}

/* The progress line's text: what is finished, its rate and the ETA from it.
 * A stage that makes a counted thing (samples) says how many of how many;
 * one that reads documents says how many bytes of the input are done. */
static void progress_text(const cli_reporter *r, const lw_progress *p, double now, char *out,
                          size_t cap)
{
    double secs = now - r->phase_start;
    double done = 0; /* fraction finished, when the total is known */
    char a[32], b[32], c[32], tok[96] = "", eta[48] = "";
    int n;
    if (p->made_unit) {
        if (p->made_total)
            n = snprintf(out, cap, "%s of %s %s", cli_grouped(p->made, a),
                         cli_grouped(p->made_total, b), p->made_unit);
        else
            n = snprintf(out, cap, "%s %s", cli_grouped(p->made, a), p->made_unit);
        if (p->made_total)
            done = (double)p->made / (double)p->made_total;
    } else {
        cli_human_bytes(p->bytes_read, a, sizeof a);
        cli_human_bytes(p->bytes_total, b, sizeof b);
        cli_human_bytes(secs > 0 ? (uint64_t)((double)p->bytes_decoded / secs) : 0, c,
                        sizeof c);
        char docs[32];
        n = snprintf(out, cap, "%s docs done  %s%s%s read  %s/s", cli_grouped(p->docs_read, docs),
                     a, p->bytes_total ? " of " : "", p->bytes_total ? b : "", c);
        if (p->bytes_total && p->bytes_read <= p->bytes_total)
            done = (double)p->bytes_read / (double)p->bytes_total;
    }
    if (p->tokens) {
        human_count((double)p->tokens, a, sizeof a);
        human_count(secs > 0 ? (double)p->tokens / secs : 0, b, sizeof b);
        snprintf(tok, sizeof tok, "  %s tokens  %s tokens/s", a, b);
    }
    if (done > 0) {
        unsigned s = (unsigned)(secs * (1 - done) / done);
        snprintf(eta, sizeof eta, "  %3.0f%%  ETA %u:%02u:%02u", 100 * done, s / 3600,
                 s / 60 % 60, s % 60);
    }
    if (n >= 0 && (size_t)n < cap)
        snprintf(out + n, cap - (size_t)n, "%s%s", tok, eta);
}

void cli_progress(void *ctx, const lw_progress *p)
{
    cli_reporter *r = ctx;
    if (r->quiet || (!r->tty && r->every <= 0))
        return;
    double now = cli_now();
    if (p->made_unit != r->phase) { /* cip: tokenizing, then interleaving */
        r->phase = p->made_unit;
        r->phase_start = now;
    }
    if (now - r->last_draw < (r->tty ? 0.2 : r->every))
        return;
    r->last_draw = now;
    char line[320];
    progress_text(r, p, now, line, sizeof line);
    if (r->tty) {
        fprintf(stderr, "\r\033[K%s: %s", r->cmd, line);
        r->line_drawn = true;
    } else {
        /* a log: whole lines, with the time since the start */
        unsigned s = (unsigned)(now - r->start);
        fprintf(stderr, "longweave %s: [%u:%02u:%02u] %s\n", r->cmd, s / 3600, s / 60 % 60,
                s % 60, line);
    }
    fflush(stderr);
}

void cli_print_doc_losses(const cli_reporter *r, const lw_doc_stats *s)
{
    for (int i = 1; i < LW_SKIP_COUNT_; i++) {
        uint64_t n = s->skipped[i];
        if (!n || (!lw_skip_is_bad_input((lw_skip)i) && i != LW_SKIP_REGEX_ERROR))
            continue;
        if (i == LW_SKIP_CORRUPT_INPUT)
            fprintf(stderr, "longweave %s: warning: %" PRIu64 " input%s broke off (corrupt or "
                    "truncated compressed data, corrupt_input): the rest of %s is lost\n",
                    r->cmd, n, n == 1 ? "" : "s", n == 1 ? "that file" : "each");
        else
            fprintf(stderr, "longweave %s: warning: %" PRIu64 " document%s skipped as %s\n",
                    r->cmd, n, n == 1 ? "" : "s", lw_skip_name((lw_skip)i));
    }
    if (s->unreadable_files)
        fprintf(stderr, "longweave %s: warning: %" PRIu64 " unreadable entr%s in input "
                "directories skipped\n", r->cmd, s->unreadable_files,
                s->unreadable_files == 1 ? "y" : "ies");
}

void cli_print_doc_summary(const cli_reporter *r, const lw_doc_stats *s)
{
    if (r->quiet) {
        cli_print_doc_losses(r, s);
        return;
    }
    double secs = cli_now() - r->start;
    char a[32], b[32], c[32], rate[32];
    fprintf(stderr, "longweave %s: %" PRIu64 " documents read, %" PRIu64 " written, %" PRIu64
                    " skipped; %" PRIu64 " input file%s",
            r->cmd, s->docs_read, s->docs_written, lw_doc_stats_skipped_total(s), s->input_files,
            s->input_files == 1 ? "" : "s");
    if (s->ignored_files)
        fprintf(stderr, " (%" PRIu64 " other file%s in directories ignored)", s->ignored_files,
                s->ignored_files == 1 ? "" : "s");
    if (s->unreadable_files)
        fprintf(stderr, " (%" PRIu64 " unreadable in directories skipped)",
                s->unreadable_files);
    fputc('\n', stderr);
    bool any = false;
    for (int i = 1; i < LW_SKIP_COUNT_; i++) {
        if (!s->skipped[i])
            continue;
        fprintf(stderr, "%s %s %" PRIu64, any ? "," : "  skipped:", lw_skip_name((lw_skip)i),
                s->skipped[i]);
        any = true;
    }
    if (any)
        fputc('\n', stderr);
    if (s->empty_files || s->blank_lines || s->utf8_repaired_docs)
        fprintf(stderr,
                "  empty files %" PRIu64 ", blank lines %" PRIu64 ", documents with invalid "
                "UTF-8 repaired %" PRIu64 " (%" PRIu64 " replacements)\n",
                s->empty_files, s->blank_lines, s->utf8_repaired_docs, s->utf8_replacements);
    char d[32];
    fprintf(stderr, "  in %s (%s decoded), out %s (%s uncompressed); %.2f s, ", 
            cli_human_bytes(s->bytes_read, a, sizeof a),
            cli_human_bytes(s->bytes_decoded, b, sizeof b),
            cli_human_bytes(s->bytes_written, c, sizeof c),
            cli_human_bytes(s->bytes_written_raw, d, sizeof d), secs);
    fprintf(stderr, "%s/s\n",
            cli_human_bytes(secs > 0 ? (uint64_t)((double)s->bytes_decoded / secs) : 0, rate,
                            sizeof rate));
}

int cli_write_stats_json(const char *cmd, const char *path, const lw_doc_stats *s,
                         cJSON *extra, bool extra_ok, double seconds)
{
    cJSON *o = !extra_ok ? NULL : s ? lw_doc_stats_json(s) : cJSON_CreateObject();
    bool ok = o != NULL;
    while (ok && extra && extra->child) {
        cJSON *item = cJSON_DetachItemViaPointer(extra, extra->child);
        ok = lw_json_put(o, item->string, item);
    }
    cJSON_Delete(extra);
    ok = ok && cJSON_AddNumberToObject(o, "seconds", seconds);
    char *text = ok ? cJSON_Print(o) : NULL;
    cJSON_Delete(o);
    if (!text)
        return cli_fail(cmd, LW_E_NOMEM, "out of memory");
    size_t n = strlen(text);
    text[n] = '\n';
    lw_error err = {0};
    lw_status st = LW_OK;
    if (strcmp(path, "-") == 0) {
        if (fwrite(text, 1, n + 1, stdout) != n + 1 || fflush(stdout) != 0)
            st = lw_error_errno(&err, LW_E_IO, errno, "cannot write", "standard output");
    } else {
        st = lw_write_file_atomic(path, text, n + 1, &err);
    }
    free(text);
    return st ? cli_fail(cmd, st, err.msg) : 0;
}

static int set_threads(const char *cmd, const cli_option *opt, const char *arg)
{
    unsigned u = 0;
    int rc = cli_parse_uint(cmd, "--threads", arg, 1, 1024, &u);
    *(int *)opt->value = (int)u;
    return rc;
}

static int set_include(const char *cmd, const cli_option *opt, const char *arg)
{
    cli_doc_opts *o = opt->value;
    if (!LW_VEC_GROW(&o->include, &o->include_cap, o->n_include + 1))
        return cli_fail(cmd, LW_E_NOMEM, "out of memory");
    o->include[o->n_include++] = arg;
    o->input.include = o->include;
    o->input.n_include = o->n_include;
    return 0;
}

static int set_max_doc(const char *cmd, const cli_option *opt, const char *arg)
{
    int rc = cli_parse_size(cmd, "--max-doc-bytes", arg, opt->value);
    if (!rc && *(uint64_t *)opt->value > ((uint64_t)1 << 32))
        rc = cli_usage_error(cmd, "--max-doc-bytes is at most 4G");
    return rc;
}

static int set_part(const char *cmd, const cli_option *opt, const char *arg)
{
    cli_doc_opts *o = opt->value;
    return cli_parse_part(cmd, arg, &o->part, &o->nparts);
}

int cli_set_progress_every(const char *cmd, const cli_option *opt, const char *arg)
{
    return cli_parse_progress_every(cmd, arg, opt->value);
}

static const char *const input_formats[] = {"auto", "jsonl", "text", NULL};
static const char *const utf8_policies[] = {"replace", "drop", "strict", NULL};

const cli_option *cli_doc_options(cli_doc_opts *o)
{
    const cli_option t[] = {
        CLI_OPT_GROUP("Input:"),
        CLI_OPT_STR(0, "text-key", "KEY", &o->doc.text_key,
                    "JSON field holding the text (default text)"),
        CLI_OPT_STR(0, "id-key", "KEY", &o->doc.id_key,
                    "JSON field holding the id (default id; else FILE:LINE)"),
        CLI_OPT_CHOICE(0, "input-format", "F", &o->input.format, input_formats,
                       "auto (default: by file name), jsonl or text"),
        CLI_OPT_CALL(0, "include", "GLOB", o, set_include,
                     "file names to read inside directories (repeatable;\n"
                     "default *.jsonl *.ndjson *.txt *.text *.md *.rst, each\n"
                     "also with .zst .gz .xz .bz2; *.json compressed only;\n"
                     "*.parquet)"),
        CLI_OPT_CALL(0, "max-doc-bytes", "N", &o->max_doc_bytes, set_max_doc,
                     "skip documents larger than N bytes (default 256M)"),
        CLI_OPT_CHOICE(0, "utf8", "POLICY", &o->doc.utf8, utf8_policies,
                       "invalid UTF-8: replace (default, U+FFFD), drop, strict"),
        CLI_OPT_BOOL(0, "strict", &o->strict,
                     "stop at the first bad input (exit 65) instead of\n"
                     "skipping and counting it"),
        CLI_OPT_SHARED(cli_run_options(o)),
        CLI_OPT_END,
    };
    _Static_assert(sizeof t / sizeof t[0] <= CLI_DOC_TABLE, "cli_doc_opts.table is too small");
    memcpy(o->table, t, sizeof t);
    return o->table;
}

const cli_option *cli_run_options(cli_doc_opts *o)
{
    const cli_option t[] = {
        CLI_OPT_GROUP("Run:"),
        CLI_OPT_CALL('j', "threads", "N", &o->threads, set_threads,
                     "worker threads (default: all cores)"),
        CLI_OPT_CALL(0, "part", "I/N", o, set_part,
                     "process only the I-th of N slices of the input"),
        CLI_OPT_BOOL(0, "force", &o->force, "replace an existing output"),
        CLI_OPT_RESUME(&o->resume),
        CLI_OPT_BOOL('q', "quiet", &o->quiet,
                     "no progress, warnings or summary; input that was\n"
                     "skipped or lost is still counted on stderr"),
        CLI_OPT_PROGRESS_EVERY(&o->progress_every),
        CLI_OPT_STR(0, "stats-json", "FILE", &o->stats_json,
                    "write the run's counts as JSON (- for stdout)"),
        CLI_OPT_END,
    };
    _Static_assert(sizeof t / sizeof t[0] <= CLI_RUN_TABLE, "cli_doc_opts.run_table is too small");
    memcpy(o->run_table, t, sizeof t);
    return o->run_table;
}

void cli_doc_source(lw_source_config *src, const cli_doc_opts *o, char **inputs, int n,
                    cli_reporter *rep)
{
    src->inputs = (const char *const *)inputs;
    src->n_inputs = (size_t)n;
    src->input = o->input;
    src->doc = o->doc;
    src->max_doc_bytes = (size_t)o->max_doc_bytes;
    src->strict = o->strict;
    src->part = o->part;
    src->nparts = o->nparts;
    src->threads = o->threads;
    src->warn = cli_warn;
    src->progress = cli_progress;
    src->cb_ctx = rep;
}

int cli_require_io(const char *cmd, int argc, int first, const cli_doc_opts *o,
                   const char *input_hint, const char *output_hint)
{
    if (first >= argc)
        return cli_usage_error(cmd, "no INPUT given (%s)", input_hint);
    if (!o->output)
        return cli_usage_error(cmd, "no output given (-o %s)", output_hint);
    return 0;
}

void cli_doc_opts_free(cli_doc_opts *o)
{
    free(o->include);
    o->include = NULL;
    o->n_include = o->include_cap = 0;
}

/* A sequence length: "131072" or "128k" (cli_parse_quantity). */
static int parse_len(const char *s, size_t n, uint32_t *out)
{
    uint64_t v;
    if (cli_parse_quantity(s, n, false, &v) || v < 2 || v > (1u << 31))
        return -1;
    *out = (uint32_t)v;
    return 0;
}

int cli_parse_lengths(const char *cmd, const char *s, uint32_t *lens, char names[][32],
                      size_t max, size_t *n)
{
    *n = 0;
    for (const char *p = s; *p;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (*n == max || parse_len(p, len, &lens[*n]))
            return cli_usage_error(cmd, "--seq-len expects lengths like 32768,131072 or 32k, "
                                   "not '%s'", s);
        snprintf(names[*n], 32, "%.*s", (int)len, p);
        for (size_t i = 0; i < *n; i++)
            if (lens[i] == lens[*n])
                return cli_usage_error(cmd, "--seq-len lists %s twice", names[i]);
        (*n)++;
        p += len + (comma != NULL);
    }
    return *n ? 0 : cli_usage_error(cmd, "--seq-len is empty");
}

/* Shares of named choices, "NAME:SHARE,..." or "SHARE,..." in their order.
 * With lens, the choices are --seq-len's lengths (a name may be a length,
 * every length needs a share); without, a bare NAME has share 1 and names
 * not given get none. */
static int parse_shares(const char *cmd, const char *opt, const char *s, const uint32_t *lens,
                        char names[][32], size_t n_lens, double *mix)
{
    bool named = strchr(s, ':') != NULL || !lens, set[256] = {false};
    size_t i = 0;
    for (const char *p = s; *p; i++) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        char item[64];
        snprintf(item, sizeof item, "%.*s", (int)(n < 63 ? n : 63), p);
        size_t b = i;
        const char *value = item;
        if (named) {
            char *colon = strchr(item, ':');
            if (!colon && lens)
                return cli_usage_error(cmd, "%s: '%s' is not NAME:SHARE", opt, item);
            if (colon)
                *colon = '\0';
            uint32_t len = 0;
            b = SIZE_MAX;
            for (size_t k = 0; k < n_lens; k++)
                if (strcmp(names[k], item) == 0 ||
                    (lens && !parse_len(item, strlen(item), &len) && len == lens[k]))
                    b = k;
            if (b == SIZE_MAX && lens)
                return cli_usage_error(cmd, "%s names the bucket '%s', which is not "
                                       "in --seq-len", opt, item);
            if (b == SIZE_MAX) {
                char known[256] = "";
                for (size_t k = 0; k < n_lens; k++)
                    snprintf(known + strlen(known), sizeof known - strlen(known), "%s%s",
                             k ? ", " : "", names[k]);
                return cli_usage_error(cmd, "%s: unknown name '%s' (known: %s)", opt, item,
                                       known);
            }
            value = colon ? colon + 1 : "1";
        } else if (b >= n_lens) {
            return cli_usage_error(cmd, "%s has more shares than --seq-len lengths", opt);
        }
        char *end;
        double v = strtod(value, &end);
        if (end == value || *end || !(v > 0))
            return cli_usage_error(cmd, "%s shares must be positive numbers, not "
                                   "'%s'", opt, value);
        if (set[b] && !lens)
            return cli_usage_error(cmd, "%s gives %s twice", opt, names[b]);
        mix[b] = v;
        set[b] = true;
        p += n + (comma != NULL);
    }
    for (size_t k = 0; k < n_lens && lens; k++)
        if (!set[k])
            return cli_usage_error(cmd, "%s gives no share for length %s", opt, names[k]);
    return i ? 0 : cli_usage_error(cmd, "%s is empty", opt);
}

int cli_parse_mix(const char *cmd, const char *s, const uint32_t *lens, char names[][32],
                  size_t n_lens, double *mix)
{
    return parse_shares(cmd, "--length-mix", s, lens, names, n_lens, mix);
}

int cli_parse_shares(const char *cmd, const char *opt, const char *s, char names[][32],
                     size_t n, double *mix)
{
    for (size_t k = 0; k < n; k++)
        mix[k] = 0;
    return parse_shares(cmd, opt, s, NULL, names, n, mix);
}

int cli_split_list(const char *cmd, const char *opt, char *s, const char ***out, size_t *n)
{
    *n = 0;
    size_t cap = 0; /* a repeated option refills (and reallocates) the same *out */
    for (char *p = strtok(s, ","); p; p = strtok(NULL, ",")) {
        if (!LW_VEC_GROW(out, &cap, *n + 1))
            return cli_fail(cmd, LW_E_NOMEM, "out of memory");
        (*out)[(*n)++] = p;
    }
    return *n ? 0 : cli_usage_error(cmd, "%s is empty", opt);
}

int cli_load_dataset_tokenizer(const char *cmd, const char *prefix, const char *given,
                               lw_tokenizer **tok)
{
    lw_error err = {0};
    lw_dataset_set set = {0};
    lw_status st = lw_datasets_open(prefix, &set, &err);
    const lw_manifest *m = !st && set.n ? set.ds[0].manifest : NULL;
    const lw_tok_ref *t = m && m->tok.known ? &m->tok : NULL;
    const char *path = given ? given : t ? t->path : NULL;
    char *moved = NULL;
    int rc = 0;
    if (!given && t && access(t->path, R_OK) != 0) {
        /* not where it was: the same file (sha256) near the dataset */
        char looked[1024], *near = strdup(set.ds[0].prefix), *slash = NULL;
        if (near && (slash = strrchr(near, '/')))
            *slash = '\0';
        path = moved = lw_tok_ref_locate(t, near && slash ? near : ".", looked, sizeof looked);
        free(near);
        if (!moved) {
            char msg[LW_ERROR_MSG_MAX];
            snprintf(msg, sizeof msg, "the tokenizer %.250s (sha256 %.12s...) that %.250s "
                     "records is not there, nor a file of that name and sha256 in %.250s or "
                     "$LONGWEAVE_TOKENIZERS; give -t FILE", t->path, t->sha256, m->path, looked);
            rc = cli_fail(cmd, LW_E_NOINPUT, msg);
        }
    }
    if (rc) {
        /* said above */
    } else if (!path) {
        rc = st ? cli_fail(cmd, st, err.msg)
             : m ? cli_fail(cmd, LW_E_DATA, "the manifest names no tokenizer; give -t FILE")
                 : cli_fail(cmd, LW_E_NOINPUT, "no manifest names the tokenizer of this dataset "
                            "(PREFIX.manifest.json or an output directory's manifest.json); "
                            "give -t FILE");
    } else {
        lw_tok_opts o = t ? lw_tok_ref_opts(t) : (lw_tok_opts){0};
        st = lw_tok_load(tok, path, &o, &err);
        if (st)
            rc = cli_fail(cmd, st, err.msg);
        else if (t && strcmp(t->sha256, lw_tok_sha256(*tok)) != 0 && !given)
            rc = cli_fail(cmd, LW_E_DATA, "the tokenizer file has changed since the dataset was "
                          "written (sha256 differs from the manifest); give -t FILE to use it "
                          "anyway");
        else if (t && strcmp(t->sha256, lw_tok_sha256(*tok)) != 0)
            fprintf(stderr, "longweave %s: warning: %s is not the tokenizer recorded in %s\n",
                    cmd, path, m->path);
    }
    if (rc) {
        lw_tok_free(*tok);
        *tok = NULL;
    }
    free(moved);
    lw_datasets_free(&set);
    return rc;
}
