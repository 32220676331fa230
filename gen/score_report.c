/* The files of `score`: report.md, scores.jsonl and one depth x length
 * heatmap per task (heatmap-TASK.svg). */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <fnmatch.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "longweave/buf.h"
#include "longweave/fileio.h"
#include "longweave/json_build.h"
#include "longweave/outfile.h"
#include "longweave/svg.h"
#include "score_internal.h"

static lw_status write_in(const char *dir, const char *name, const lw_buf *b, lw_error *err)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *path = malloc(n);
    if (!path)
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    snprintf(path, n, "%s/%s", dir, name);
    lw_status st = lw_write_file_atomic(path, b->data, b->len, err);
    free(path);
    return st;
}

static void score_text(double v, char *out, size_t cap)
{
    if (isnan(v))
        snprintf(out, cap, "–");
    else
        snprintf(out, cap, "%.3f", v);
}

/* Markdown table cells must not break the table. */
static int md_cell(lw_buf *b, const char *s)
{
    int rc = 0;
    for (; *s && !rc; s++)
        rc = *s == '|' ? lw_buf_puts(b, "\\|") : lw_buf_putc(b, *s == '\n' ? ' ' : *s);
    return rc;
}

static int report_md(const sc_set *s, const lw_score_config *cfg, const lw_score_result *res,
                     lw_buf *b)
{
    char v[32], l[32];
    int rc = lw_buf_puts(b, "# Evaluation report\n\n");
    rc |= lw_buf_printf(b, "Evaluation set: `%s` (%llu samples). Predictions: `%s` (%llu "
                        "matched, %llu missing, %llu with unknown ids).\n\n",
                        cfg->evalset, (unsigned long long)res->samples, cfg->predictions,
                        (unsigned long long)res->predicted, (unsigned long long)res->missing,
                        (unsigned long long)res->unknown);
    score_text(res->overall, v, sizeof v);
    rc |= lw_buf_printf(b, "**Overall score: %s** — the mean over all samples of the share of "
                        "each sample's answers found in its prediction (case-insensitive); a "
                        "missing prediction scores 0.\n\n", v);
    rc |= lw_buf_puts(b, "## Per task\n\n| task | samples | score | heatmap |\n"
                         "|---|---:|---:|---|\n");
    for (size_t t = 0; t < s->n_tasks; t++) {
        uint64_t n;
        score_text(sc_mean(s, t, SIZE_MAX, SIZE_MAX, &n), v, sizeof v);
        rc |= lw_buf_puts(b, "| ") | md_cell(b, s->tasks[t]);
        rc |= lw_buf_printf(b, " | %llu | %s | [heatmap](heatmap-", (unsigned long long)n, v);
        rc |= md_cell(b, s->tasks[t]) | lw_buf_puts(b, ".svg) |\n");
    }
    rc |= lw_buf_puts(b, "\n## Per length\n\n| length | samples | score |\n|---:|---:|---:|\n");
    for (size_t i = 0; i < s->n_lengths; i++) {
        uint64_t n;
        score_text(sc_mean(s, SIZE_MAX, i, SIZE_MAX, &n), v, sizeof v);
        rc |= lw_buf_printf(b, "| %u | %llu | %s |\n", s->lengths[i], (unsigned long long)n, v);
    }
    if (s->n_depths) {
        rc |= lw_buf_puts(b, "\n## Per depth\n\n| depth | samples | score |\n|---:|---:|---:|\n");
        for (size_t i = 0; i < s->n_depths; i++) {
            uint64_t n;
            score_text(sc_mean(s, SIZE_MAX, SIZE_MAX, i, &n), v, sizeof v);
            sc_depth_label(s->depths[i], l, sizeof l);
            rc |= lw_buf_printf(b, "| %s | %llu | %s |\n", l, (unsigned long long)n, v);
        }
    }
    rc |= lw_buf_puts(b, "\n## Task × length\n\n| task |");
    for (size_t i = 0; i < s->n_lengths; i++) {
        sc_length_label(s->lengths[i], l, sizeof l);
        rc |= lw_buf_printf(b, " %s |", l);
    }
    rc |= lw_buf_puts(b, " all |\n|---|");
    for (size_t i = 0; i <= s->n_lengths; i++)
        rc |= lw_buf_puts(b, "---:|");
    rc |= lw_buf_putc(b, '\n');
    for (size_t t = 0; t < s->n_tasks; t++) {
        rc |= lw_buf_puts(b, "| ") | md_cell(b, s->tasks[t]) | lw_buf_puts(b, " |");
        for (size_t i = 0; i <= s->n_lengths; i++) {
            score_text(sc_mean(s, t, i < s->n_lengths ? i : SIZE_MAX, SIZE_MAX, NULL), v,
                       sizeof v);
            rc |= lw_buf_printf(b, " %s |", v);
        }
        rc |= lw_buf_putc(b, '\n');
    }
    if (res->missing) {
        rc |= lw_buf_printf(b, "\n## Missing predictions (%llu)\n\nThese samples had no "
                            "prediction and score 0 (all are marked `\"predicted\": false` "
                            "in scores.jsonl):\n\n", (unsigned long long)res->missing);
        for (size_t i = 0; i < s->n; i++)
            if (!s->rec[i].predicted)
                rc |= lw_buf_puts(b, "- `") | md_cell(b, s->rec[i].id) | lw_buf_puts(b, "`\n");
    }
    if (res->unknown) {
        rc |= lw_buf_printf(b, "\n## Predictions for unknown ids (%llu, ignored)\n\n",
                            (unsigned long long)res->unknown);
        for (size_t i = 0; i < s->n_unknown; i++)
            rc |= lw_buf_puts(b, "- `") | md_cell(b, s->unknown[i]) | lw_buf_puts(b, "`\n");
        if (res->unknown > s->n_unknown)
            rc |= lw_buf_printf(b, "- … and %llu more\n",
                                (unsigned long long)(res->unknown - s->n_unknown));
    }
    return rc;
}

static int scores_jsonl(const sc_set *s, lw_buf *b)
{
    for (size_t i = 0; i < s->n; i++) {
        const sc_record *r = &s->rec[i];
        cJSON *o = cJSON_CreateObject();
        bool ok = cJSON_AddStringToObject(o, "id", r->id) != NULL;
        ok &= cJSON_AddStringToObject(o, "task", s->tasks[r->task]) != NULL;
        ok &= cJSON_AddNumberToObject(o, "length", r->length) != NULL;
        if (isnan(r->depth))
            ok &= cJSON_AddNullToObject(o, "depth") != NULL;
        else
            ok &= cJSON_AddNumberToObject(o, "depth", r->depth) != NULL;
        ok &= cJSON_AddNumberToObject(o, "score", r->score) != NULL;
        ok &= cJSON_AddBoolToObject(o, "predicted", r->predicted) != NULL;
        cJSON *found = cJSON_AddArrayToObject(o, "found");
        cJSON *missed = cJSON_AddArrayToObject(o, "missed");
        ok &= found && missed;
        for (size_t k = 0; k < r->n_answers; k++)
            ok &= lw_json_push(r->found[k] ? found : missed,
                               cJSON_CreateString(r->answers[k]));
        char *text = ok ? cJSON_PrintUnformatted(o) : NULL;
        cJSON_Delete(o);
        int rc = !text || lw_buf_puts(b, text) || lw_buf_putc(b, '\n');
        free(text);
        if (rc)
            return -1;
    }
    return 0;
}

/* The familiar needle-in-a-haystack picture: context length across, needle
 * depth down (0% at the top), one cell per (depth, length) coloured from
 * red (0) through yellow to green (1), its score written in it. */
static int heatmap(const sc_set *s, size_t task, lw_svg *svg)
{
    enum { LEFT = 110, TOP = 64, RIGHT = 96, BOTTOM = 64, CELL_H = 30, LEGEND_W = 18 };
    size_t rows[1024], n_rows = 0, cols[1024], n_cols = 0;
    for (size_t d = 0; d <= s->n_depths && n_rows < 1024; d++) {
        uint64_t n;
        sc_mean(s, task, SIZE_MAX, d, &n);
        if (n)
            rows[n_rows++] = d;
    }
    for (size_t l = 0; l < s->n_lengths && n_cols < 1024; l++) {
        uint64_t n;
        sc_mean(s, task, l, SIZE_MAX, &n);
        if (n)
            cols[n_cols++] = l;
    }
    double cell_w = n_cols > 8 ? 56 : 72;
    double grid_w = cell_w * (double)n_cols, grid_h = CELL_H * (double)n_rows;
    double width = LEFT + grid_w + RIGHT, height = TOP + grid_h + BOTTOM;
    uint64_t total;
    double overall = sc_mean(s, task, SIZE_MAX, SIZE_MAX, &total);
    char title[320], v[32], l[32], colour[8];
    snprintf(title, sizeof title, "%s — overall %.3f (%llu samples)", s->tasks[task], overall,
             (unsigned long long)total);
    lw_svg_begin(svg, width, height, "Helvetica, Arial, sans-serif");
    lw_svg_rect(svg, 0, 0, width, height, "#ffffff", NULL, NULL, NULL);
    lw_svg_text(svg, LEFT + grid_w / 2, 28, "middle", 16, "#000", 0, "bold", title);
    for (size_t i = 0; i < n_rows; i++) {
        double y = TOP + CELL_H * (double)i;
        double depth = rows[i] < s->n_depths ? s->depths[rows[i]] : NAN;
        sc_depth_label(depth, l, sizeof l);
        lw_svg_text(svg, LEFT - 8, y + CELL_H / 2.0 + 4, "end", 12, "#000", 0, NULL, l);
        for (size_t j = 0; j < n_cols; j++) {
            double x = LEFT + cell_w * (double)j;
            uint64_t n;
            double m = sc_mean(s, task, cols[j], rows[i], &n);
            char depth_attr[32], len_attr[16], score_attr[32], count_attr[24], tip[200];
            snprintf(depth_attr, sizeof depth_attr, "%.6g", depth);
            if (isnan(depth))
                snprintf(depth_attr, sizeof depth_attr, "none");
            snprintf(len_attr, sizeof len_attr, "%u", s->lengths[cols[j]]);
            snprintf(score_attr, sizeof score_attr, "%.6g", m);
            snprintf(count_attr, sizeof count_attr, "%llu", (unsigned long long)n);
            const char *data[] = {"data-depth", depth_attr, "data-length", len_attr,
                                  "data-score", n ? score_attr : "none", "data-samples",
                                  count_attr, NULL};
            score_text(m, v, sizeof v);
            snprintf(tip, sizeof tip, "length %u, depth %s: %s (%llu sample%s)",
                     s->lengths[cols[j]], l, v, (unsigned long long)n, n == 1 ? "" : "s");
            if (n)
                lw_svg_score_colour(m, colour);
            else
                strcpy(colour, "#e0e0e0");
            lw_svg_rect(svg, x, y, cell_w, CELL_H, colour, "cell", data, tip);
            if (n) {
                snprintf(v, sizeof v, "%.2f", m);
                lw_svg_text(svg, x + cell_w / 2, y + CELL_H / 2.0 + 4, "middle", 11, "#000", 0,
                            NULL, v);
            }
        }
    }
    for (size_t j = 0; j < n_cols; j++) {
        sc_length_label(s->lengths[cols[j]], l, sizeof l);
        lw_svg_text(svg, LEFT + cell_w * ((double)j + 0.5), TOP + grid_h + 18, "middle", 12,
                    "#000", 0, NULL, l);
    }
    lw_svg_text(svg, LEFT + grid_w / 2, TOP + grid_h + 44, "middle", 13, "#000", 0, NULL,
                "Context length (tokens)");
    bool has_depth = false;
    for (size_t i = 0; i < n_rows; i++)
        has_depth |= rows[i] < s->n_depths;
    lw_svg_text(svg, 22, TOP + grid_h / 2, "middle", 13, "#000", -90, NULL,
                has_depth ? "Needle depth (% of context)" : "No depth: answers span the context");
    /* legend: ten steps from 0 at the bottom to 1 at the top */
    double lx = LEFT + grid_w + 32, lh = grid_h < 150 ? grid_h : 150;
    for (int k = 0; k < 10; k++) {
        lw_svg_score_colour((k + 0.5) / 10, colour);
        lw_svg_rect(svg, lx, TOP + lh * (9 - k) / 10, LEGEND_W, lh / 10 + 0.5, colour, "legend",
                    NULL, NULL);
    }
    lw_svg_text(svg, lx + LEGEND_W + 4, TOP + 8, "start", 11, "#000", 0, NULL, "1.0");
    lw_svg_text(svg, lx + LEGEND_W + 4, TOP + lh / 2 + 4, "start", 11, "#000", 0, NULL, "0.5");
    lw_svg_text(svg, lx + LEGEND_W + 4, TOP + lh, "start", 11, "#000", 0, NULL, "0.0");
    return lw_svg_end(svg);
}

/* A report made again over an older one: drop the heatmaps of tasks this
 * one does not have. */
static lw_status remove_stale_heatmaps(const char *dir, const char *const *keep, size_t n_keep,
                                       lw_error *err)
{
    DIR *d = opendir(dir);
    if (!d)
        return lw_error_errno(err, LW_E_IO, errno, "cannot open output directory", dir);
    lw_status st = LW_OK;
    struct dirent *e;
    while (!st && (e = readdir(d)) != NULL) {
        if (fnmatch("heatmap-*.svg", e->d_name, 0) != 0)
            continue;
        bool kept = false;
        for (size_t i = 0; i < n_keep && !kept; i++)
            kept = strcmp(keep[i], e->d_name) == 0;
        char *path = kept ? NULL : lw_concat(dir, "/", e->d_name);
        if (!kept && !path)
            st = lw_error_set(err, LW_E_NOMEM, "out of memory");
        else if (path && unlink(path) != 0 && errno != ENOENT)
            st = lw_error_errno(err, LW_E_IO, errno, "cannot remove stale", path);
        free(path);
    }
    closedir(d);
    return st;
}

lw_status sc_write_report(const sc_set *s, const lw_score_config *cfg,
                          const lw_score_result *res, lw_error *err)
{
    const char *dir = cfg->outdir;
    lw_status st = lw_mkdirs(dir, err);
    if (st)
        return st;
    size_t n = strlen(dir) + 16;
    char *report = malloc(n);
    if (!report)
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    snprintf(report, n, "%s/report.md", dir);
    bool exists = access(report, F_OK) == 0;
    free(report);
    if (exists && !cfg->force)
        return lw_error_set(err, LW_E_CANTCREAT, "%s already holds a report; use --force to "
                            "replace it", dir);
    lw_buf b = {0};
    lw_svg svg = {0};
    char **names = calloc(s->n_tasks + 1, sizeof *names);
    if (!names)
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    for (size_t t = 0; t < s->n_tasks && !st; t++) {
        size_t len = strlen(s->tasks[t]) + 16;
        if (!(names[t] = malloc(len)) || heatmap(s, t, &svg)) {
            st = lw_error_set(err, LW_E_NOMEM, "out of memory");
            break;
        }
        snprintf(names[t], len, "heatmap-%s.svg", s->tasks[t]);
        if (strchr(s->tasks[t], '/'))
            st = lw_error_set(err, LW_E_DATA, "task name '%s' cannot name a file", s->tasks[t]);
        else
            st = write_in(dir, names[t], &svg.out, err);
    }
    if (!st && scores_jsonl(s, &b))
        st = lw_error_set(err, LW_E_NOMEM, "out of memory");
    if (!st)
        st = write_in(dir, "scores.jsonl", &b, err);
    b.len = 0;
    if (!st && report_md(s, cfg, res, &b))
        st = lw_error_set(err, LW_E_NOMEM, "out of memory");
    if (!st)
        st = write_in(dir, "report.md", &b, err);
    if (!st) { /* heatmaps of tasks an earlier report had */
        st = remove_stale_heatmaps(dir, (const char *const *)names, s->n_tasks, err);
    }
    for (size_t t = 0; t < s->n_tasks; t++)
        free(names[t]);
    free(names);
    lw_buf_free(&b);
    lw_svg_free(&svg);
    return st;
}
