/* `longweave inspect`: lw_inspect_run, then a report on stdout (text or JSON),
 * a length histogram (text bars, or SVG with --svg) and decoded samples. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "longweave/inspect.h"
#include "longweave/dataset.h"
#include "longweave/megatron.h"
#include "longweave/outfile.h"
#include "longweave/svg.h"
#include "longweave/tokenizer.h"

static const char usage[] =
    "Usage: longweave inspect PATH [options]\n"
    "\n"
    "What a token output holds. PATH is a Megatron dataset PREFIX, a bucket folder or\n"
    "a whole output directory (every *.idx under it). Prints datasets, sequences,\n"
    "documents and tokens, the id type, the tokenizer and counts from the manifest,\n"
    "the loss mask's coverage for SFT data, and a histogram of sequence lengths;\n"
    "for cip output, each bucket's reach-back (tokens between a document's\n"
    "consecutive chunks) and share of interleaved tokens, from the manifest.\n"
    "\n";

static const char usage_tail[] =
    "\n"
    "Examples:\n"
    "  longweave inspect out/cip\n"
    "  longweave inspect out/synl/len-0032768/part-00000 --show 2\n"
    "\n"
    "Exit status: 0 ok, 64 usage, 65 a damaged dataset, 66 nothing at PATH.\n";

static void length_label(uint64_t v, char *out, size_t cap)
{
    if (v >= (1u << 20) && v % (1u << 20) == 0)
        snprintf(out, cap, "%lluM", (unsigned long long)(v >> 20));
    else if (v >= 1024 && v % 1024 == 0)
        snprintf(out, cap, "%lluK", (unsigned long long)(v >> 10));
    else
        snprintf(out, cap, "%llu", (unsigned long long)v);
}

static void bin_label(int k, char *out, size_t cap)
{
    if (k == 0) {
        snprintf(out, cap, "empty");
        return;
    }
    char lo[24], hi[24];
    length_label(lw_inspect_bin_low(k), lo, sizeof lo);
    length_label(lw_inspect_bin_low(k + 1), hi, sizeof hi);
    snprintf(out, cap, "[%s, %s)", lo, hi);
}

/* A cip manifest's reach-back report of bucket j (docs/DESIGN.md, "CIP,
 * exactly", step 5): NULL when the manifest has none. */
static const cJSON *reach_of(const cJSON *m, int j, double *L)
{
    const cJSON *b = cJSON_GetArrayItem(cJSON_GetObjectItem(m, "buckets"), j);
    const cJSON *r = cJSON_GetObjectItem(b, "reach_back");
    const cJSON *bins = cJSON_GetObjectItem(r, "bins");
    *L = cJSON_GetNumberValue(cJSON_GetObjectItem(b, "seq_len"));
    return cJSON_IsArray(bins) && cJSON_GetArraySize(bins) > 0 && *L > 0 ? r : NULL;
}

static double num(const cJSON *o, const char *key)
{
    double v = cJSON_GetNumberValue(cJSON_GetObjectItem(o, key));
    return v == v ? v : 0; /* NaN: missing */
}

/* Bin i of n over [0, L): [floor(i*L/n), floor((i+1)*L/n)). */
static void reach_label(double L, int i, int n, char *out, size_t cap)
{
    char lo[24], hi[24];
    length_label((uint64_t)((uint64_t)L * (uint64_t)i / (uint64_t)n), lo, sizeof lo);
    length_label((uint64_t)((uint64_t)L * (uint64_t)(i + 1) / (uint64_t)n), hi, sizeof hi);
    snprintf(out, cap, "[%s, %s)", lo, hi);
}

/* 1234567 as "1,234,567" */
/* The largest count of a reach-back histogram, at least 1 (bars scale by it). */
static double bins_top(const cJSON *bins)
{
    double top = 1;
    for (int i = 0, n = cJSON_GetArraySize(bins); i < n; i++) {
        double v = cJSON_GetNumberValue(cJSON_GetArrayItem(bins, i));
        top = v > top ? v : top;
    }
    return top;
}

static void print_reach(const cJSON *m)
{
    double L;
    int nb = cJSON_GetArraySize(cJSON_GetObjectItem(m, "buckets"));
    for (int j = 0; j < nb; j++) {
        const cJSON *r = reach_of(m, j, &L);
        if (!r)
            continue;
        const cJSON *b = cJSON_GetArrayItem(cJSON_GetObjectItem(m, "buckets"), j);
        double in = num(b, "interleaved_tokens"), lg = num(b, "long_tokens");
        double all = in + lg + num(b, "single_chunk_tokens");
        char len[24], g[32], md[32], lo[32], hi[32];
        length_label((uint64_t)L, len, sizeof len);
        printf("reach-back, length %s: %.1f%% of document tokens interleaved, %.1f%% long "
               "documents; %s gaps, median %s tokens, 90%% within %s-%s\n", len,
               all ? 100 * in / all : 0, all ? 100 * lg / all : 0, cli_grouped((uint64_t)num(r, "gaps"), g),
               cli_grouped((uint64_t)num(r, "median"), md), cli_grouped((uint64_t)num(r, "p5"), lo),
               cli_grouped((uint64_t)num(r, "p95"), hi));
        const cJSON *bins = cJSON_GetObjectItem(r, "bins");
        int n = cJSON_GetArraySize(bins);
        double top = bins_top(bins);
        for (int i = 0; i < n; i++) {
            double v = cJSON_GetNumberValue(cJSON_GetArrayItem(bins, i));
            char label[64];
            reach_label(L, i, n, label, sizeof label);
            int w = (int)(40.0 * v / top + 0.5);
            printf("  %16s  ", label);
            for (int k = 0; k < (w ? w : v > 0); k++)
                fputs("\u2588", stdout);
            printf(" %.0f\n", v);
        }
    }
}

/* The reach-back chart of one bucket, below the length chart at y0. */
static void svg_reach(lw_svg *s, double y0, double L, const cJSON *r, const char *path)
{
    const cJSON *bins = cJSON_GetObjectItem(r, "bins");
    int n = cJSON_GetArraySize(bins);
    double bw = 44, left = 70, chart_h = 220, top = bins_top(bins);
    char title[400], len[24], md[32];
    length_label((uint64_t)L, len, sizeof len);
    snprintf(title, sizeof title, "Reach-back of %s, length %s (%.0f gaps, median %s tokens)",
             path, len, num(r, "gaps"), cli_grouped((uint64_t)num(r, "median"), md));
    lw_svg_text(s, left + bw * n / 2, y0 + 24, "middle", 14, "#000", 0, "bold", title);
    for (int i = 0; i < n; i++) {
        double v = cJSON_GetNumberValue(cJSON_GetArrayItem(bins, i));
        double h = chart_h * v / top, x = left + bw * i;
        char label[64], count[24], tip[128];
        reach_label(L, i, n, label, sizeof label);
        snprintf(count, sizeof count, "%.0f", v);
        snprintf(tip, sizeof tip, "%s tokens back: %s gaps", label, count);
        const char *data[] = {"data-bin", label, "data-count", count, NULL};
        lw_svg_rect(s, x + 3, y0 + 40 + chart_h - h, bw - 6, h, "#d73027", "reach-bar", data,
                    tip);
        lw_svg_text(s, x + bw / 2, y0 + 36 + chart_h - h, "middle", 10, "#000", 0, NULL, count);
        lw_svg_text(s, x + bw / 2, y0 + 56 + chart_h, "middle", 8, "#000", 0, NULL, label);
    }
    lw_svg_line(s, left, y0 + 40 + chart_h, left + bw * n, y0 + 40 + chart_h, "#000", 1);
    lw_svg_text(s, left + bw * n / 2, y0 + 84 + chart_h, "middle", 12, "#000", 0, NULL,
                "Tokens between a document's consecutive chunks");
    lw_svg_text(s, 20, y0 + 40 + chart_h / 2, "middle", 12, "#000", -90, NULL, "Gaps");
}

static int write_svg(const char *cmd, const char *path, const lw_inspect *in, const char *title,
                     const cJSON *m, const char *where)
{
    int first = LW_INSPECT_BINS, last = -1;
    uint64_t top = 1;
    for (int k = 0; k < LW_INSPECT_BINS; k++)
        if (in->hist[k]) {
            first = k < first ? k : first;
            last = k;
            top = in->hist[k] > top ? in->hist[k] : top;
        }
    int bars = last >= first ? last - first + 1 : 0;
    double bw = 56, left = 70, chart_h = 220, width = left + bw * bars + 30, height = chart_h + 110;
    int panels = 0, nb = cJSON_GetArraySize(cJSON_GetObjectItem(m, "buckets"));
    double L;
    for (int j = 0; j < nb; j++)
        if (reach_of(m, j, &L)) {
            const cJSON *r = reach_of(m, j, &L);
            double w = 70 + 44.0 * cJSON_GetArraySize(cJSON_GetObjectItem(r, "bins")) + 30;
            width = w > width ? w : width;
            panels++;
        }
    double panel_top = height;
    height += panels * (chart_h + 110);
    lw_svg s = {0};
    lw_svg_begin(&s, width, height, "Helvetica, Arial, sans-serif");
    lw_svg_rect(&s, 0, 0, width, height, "#ffffff", NULL, NULL, NULL);
    lw_svg_text(&s, width / 2, 24, "middle", 14, "#000", 0, "bold", title);
    for (int i = 0; i < bars; i++) {
        int k = first + i;
        double h = chart_h * (double)in->hist[k] / (double)top, x = left + bw * i;
        char label[64], count[24], tip[128];
        bin_label(k, label, sizeof label);
        snprintf(count, sizeof count, "%llu", (unsigned long long)in->hist[k]);
        snprintf(tip, sizeof tip, "%s: %s sequences", label, count);
        const char *data[] = {"data-bin", label, "data-count", count, NULL};
        lw_svg_rect(&s, x + 4, 40 + chart_h - h, bw - 8, h, "#4575b4", "bar", data, tip);
        lw_svg_text(&s, x + bw / 2, 36 + chart_h - h, "middle", 10, "#000", 0, NULL, count);
        lw_svg_text(&s, x + bw / 2, 56 + chart_h, "middle", 10, "#000", 0, NULL, label);
    }
    lw_svg_line(&s, left, 40 + chart_h, left + bw * bars, 40 + chart_h, "#000", 1);
    lw_svg_text(&s, left + bw * bars / 2, 84 + chart_h, "middle", 12, "#000", 0, NULL,
                "Sequence length (tokens)");
    lw_svg_text(&s, 20, 40 + chart_h / 2, "middle", 12, "#000", -90, NULL, "Sequences");
    for (int j = 0, p = 0; j < nb; j++) {
        const cJSON *r = reach_of(m, j, &L);
        if (r)
            svg_reach(&s, panel_top + (chart_h + 110) * p++, L, r, where);
    }
    lw_error err = {0};
    int rc = 0;
    if (lw_svg_end(&s))
        rc = cli_fail(cmd, LW_E_NOMEM, "out of memory");
    else if (lw_write_file_atomic(path, s.out.data, s.out.len, &err))
        rc = cli_fail(cmd, err.status, err.msg);
    lw_svg_free(&s);
    return rc;
}

static int show(const char *cmd, const char *prefix, const char *tok_path, unsigned count,
                unsigned chars)
{
    lw_tokenizer *tok = NULL;
    int rc = cli_load_dataset_tokenizer(cmd, prefix, tok_path, &tok);
    if (rc)
        return rc;
    lw_megatron_dataset d;
    lw_error err = {0};
    if (lw_megatron_read(&d, prefix, &err)) {
        lw_tok_free(tok);
        return cli_fail(cmd, err.status, err.msg);
    }
    lw_ids ids = {0};
    lw_buf text = {0};
    for (uint64_t s = 0; s < d.sequences && s < count && !rc; s++) {
        uint64_t n = lw_megatron_length(&d, s);
        ids.len = 0;
        for (uint64_t i = 0; i < n; i++)
            if (lw_ids_push(&ids, lw_megatron_token(&d, s, i))) {
                rc = cli_fail(cmd, LW_E_NOMEM, "out of memory");
                break;
            }
        text.len = 0;
        if (!rc && lw_tok_decode(tok, ids.v, ids.len, &text, &err))
            rc = cli_fail(cmd, err.status, err.msg);
        if (rc)
            break;
        /* cut at a character boundary */
        size_t cut = text.len;
        if (cut > chars) {
            cut = chars;
            while (cut > 0 && ((unsigned char)text.data[cut] & 0xC0) == 0x80)
                cut--;
        }
        printf("--- sequence %llu of %s (%llu tokens)\n%.*s%s\n", (unsigned long long)s, prefix,
               (unsigned long long)n, (int)cut, text.data ? text.data : "",
               cut < text.len ? " [...]" : "");
    }
    lw_ids_free(&ids);
    lw_buf_free(&text);
    lw_megatron_close(&d);
    lw_tok_free(tok);
    return rc;
}

int cmd_inspect(int argc, char **argv)
{
    static const char *cmd = "inspect";
    unsigned show_n = 0, chars = 600;
    const char *tok_path = NULL, *svg = NULL;
    bool json = false;
    const cli_option options[] = {
        CLI_OPT_UINT(0, "show", "N", &show_n, 0, 1000000,
                     "decode the first N sequences (tokenizer from the manifest)"),
        CLI_OPT_UINT(0, "chars", "N", &chars, 1, 1u << 30,
                     "show at most N characters of each (default 600)"),
        CLI_OPT_STR('t', "tokenizer", "FILE", &tok_path, "decode with this tokenizer instead"),
        CLI_OPT_STR(0, "svg", "FILE", &svg,
                    "also draw the length histogram (and reach-back) as SVG"),
        CLI_OPT_BOOL(0, "json", &json, "print the figures as one JSON object instead"),
        CLI_OPT_END,
    };
    int first, rc = 0;
    if (!cli_parse_options(cmd, options, argc, argv, usage, usage_tail, &first, &rc))
        return rc;
    if (argc - first != 1)
        return cli_usage_error(cmd, "give one PATH (a dataset PREFIX or an output directory)");
    const char *path = argv[first];
    lw_inspect in;
    lw_error err = {0};
    lw_status st = lw_inspect_run(path, &in, &err);
    if (st)
        return cli_fail(cmd, st, err.msg);
    const lw_manifest *man = in.n ? in.set.ds[0].manifest : NULL;
    const cJSON *m = man ? man->json : NULL;
    const char *mpath = man ? man->path : NULL;
    const cJSON *tk = cJSON_GetObjectItem(m, "tokenizer");
    uint64_t masked_trained = 0;
    size_t masked = 0;
    for (size_t i = 0; i < in.n; i++)
        if (in.ds[i].masked) {
            masked++;
            masked_trained += in.ds[i].trained;
        }
    if (json) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "path", path);
        cJSON_AddNumberToObject(o, "datasets", (double)in.n);
        cJSON_AddNumberToObject(o, "sequences", (double)in.sequences);
        cJSON_AddNumberToObject(o, "documents", (double)in.documents);
        cJSON_AddNumberToObject(o, "tokens", (double)in.tokens);
        if (masked) {
            cJSON_AddNumberToObject(o, "masked_tokens", (double)in.masked_tokens);
            cJSON_AddNumberToObject(o, "trained_tokens", (double)masked_trained);
        }
        if (m)
            cJSON_AddItemToObject(o, "manifest", cJSON_Duplicate(m, false));
        cJSON *ds = cJSON_AddArrayToObject(o, "per_dataset");
        for (size_t i = 0; i < in.n; i++) {
            const lw_inspect_dataset *d = &in.ds[i];
            cJSON *e = cJSON_CreateObject();
            cJSON_AddStringToObject(e, "prefix", d->prefix);
            cJSON_AddStringToObject(e, "dtype", lw_megatron_dtype_name(d->dtype));
            cJSON_AddNumberToObject(e, "sequences", (double)d->sequences);
            cJSON_AddNumberToObject(e, "tokens", (double)d->tokens);
            cJSON_AddNumberToObject(e, "min_length", (double)d->min_len);
            cJSON_AddNumberToObject(e, "max_length", (double)d->max_len);
            if (d->masked)
                cJSON_AddNumberToObject(e, "trained_tokens", (double)d->trained);
            cJSON_AddItemToArray(ds, e);
        }
        cJSON *h = cJSON_AddArrayToObject(o, "length_histogram");
        for (int k = 0; k < LW_INSPECT_BINS; k++)
            if (in.hist[k]) {
                cJSON *e = cJSON_CreateObject();
                cJSON_AddNumberToObject(e, "from", (double)lw_inspect_bin_low(k));
                cJSON_AddNumberToObject(e, "to", (double)lw_inspect_bin_low(k + 1));
                cJSON_AddNumberToObject(e, "sequences", (double)in.hist[k]);
                cJSON_AddItemToArray(h, e);
            }
        char *text = cJSON_PrintUnformatted(o);
        printf("%s\n", text ? text : "{}");
        free(text);
        cJSON_Delete(o);
    } else {
        printf("%s: %zu Megatron dataset%s, %llu sequences, %llu documents, %llu tokens\n", path,
               in.n, in.n == 1 ? "" : "s", (unsigned long long)in.sequences,
               (unsigned long long)in.documents, (unsigned long long)in.tokens);
        if (m) {
            const char *stage = cJSON_GetStringValue(cJSON_GetObjectItem(m, "stage"));
            printf("  manifest: %s (stage %s)\n", mpath, stage ? stage : "?");
            if (tk)
                printf("  tokenizer: %s, vocabulary %.0f\n",
                       cJSON_GetStringValue(cJSON_GetObjectItem(tk, "name"))
                           ? cJSON_GetStringValue(cJSON_GetObjectItem(tk, "name"))
                           : "?",
                       cJSON_GetNumberValue(cJSON_GetObjectItem(tk, "vocab_size")));
            const char *sections[] = {"stats", "buckets", "sources"};
            for (int k = 0; k < 3; k++) {
                const cJSON *sct = cJSON_GetObjectItem(m, sections[k]);
                char *text = sct ? cJSON_PrintUnformatted(sct) : NULL;
                if (text)
                    printf("  %s: %s\n", sections[k], text);
                free(text);
            }
        }
        if (masked)
            printf("  loss mask: %llu of %llu tokens trained (%.1f%%) in %zu masked dataset%s\n",
                   (unsigned long long)masked_trained, (unsigned long long)in.masked_tokens,
                   in.masked_tokens ? 100.0 * (double)masked_trained / (double)in.masked_tokens
                                    : 0.0,
                   masked, masked == 1 ? "" : "s");
        printf("datasets:\n");
        for (size_t i = 0; i < in.n && i < 50; i++) {
            const lw_inspect_dataset *d = &in.ds[i];
            const char *name = d->prefix;
            size_t pl = strlen(path);
            if (strncmp(name, path, pl) == 0 && name[pl] == '/')
                name += pl + 1;
            printf("  %-40s %s  %8llu seq  %11llu tok  lengths %llu..%llu", name,
                   lw_megatron_dtype_name(d->dtype), (unsigned long long)d->sequences,
                   (unsigned long long)d->tokens, (unsigned long long)d->min_len,
                   (unsigned long long)d->max_len);
            if (d->masked)
                printf("  mask %.1f%%", d->tokens ? 100.0 * (double)d->trained / (double)d->tokens
                                                  : 0.0);
            printf("\n");
        }
        if (in.n > 50)
            printf("  ... and %zu more\n", in.n - 50);
        printf("sequence lengths:\n");
        uint64_t top = 1;
        for (int k = 0; k < LW_INSPECT_BINS; k++)
            top = in.hist[k] > top ? in.hist[k] : top;
        for (int k = 0; k < LW_INSPECT_BINS; k++) {
            if (!in.hist[k])
                continue;
            char label[64];
            bin_label(k, label, sizeof label);
            int w = (int)(40.0 * (double)in.hist[k] / (double)top + 0.5);
            printf("  %16s  ", label);
            for (int i = 0; i < (w ? w : 1); i++)
                fputs("\u2588", stdout);
            printf(" %llu\n", (unsigned long long)in.hist[k]);
        }
        print_reach(m);
    }
    if (svg && !rc) {
        char title[300];
        snprintf(title, sizeof title, "Sequence lengths of %s (%llu sequences)", path,
                 (unsigned long long)in.sequences);
        rc = write_svg(cmd, svg, &in, title, m, path);
    }
    if (show_n && !rc && in.n) {
        const lw_dataset *one;
        lw_error err = {0};
        lw_status st = lw_datasets_one(&in.set, path, &one, &err);
        rc = st ? cli_fail(cmd, st, err.msg) : show(cmd, one->prefix, tok_path, show_n, chars);
    }
    if (fflush(stdout) != 0 && !rc)
        rc = cli_fail(cmd, LW_E_IO, "cannot write to standard output");
    lw_inspect_free(&in);
    return rc;
}
