/* Opening a stage's document source, and its part of the manifest. */
#include "longweave/source.h"

#include <cjson/cJSON.h>
#include <omp.h>
#include <stdio.h>
#include <string.h>

#include "longweave/json_build.h"

lw_status lw_source_open(lw_source *s, const lw_source_config *cfg, lw_doc_stats *stats,
                         lw_error *err)
{
    memset(s, 0, sizeof *s);
    s->cfg = cfg;
    s->threads = cfg->threads > 0 ? cfg->threads : omp_get_num_procs();
    if (cfg->n_inputs == 0)
        return lw_error_set(err, LW_E_USAGE, "no input given");
    lw_status st = lw_input_list_build(&s->inputs, cfg->inputs, cfg->n_inputs, &cfg->input, err);
    if (!st)
        st = lw_part_plan_make(&s->inputs, cfg->part, cfg->nparts ? cfg->nparts : 1, &s->plan,
                               err);
    lw_reader_opts ro = {cfg->max_doc_bytes};
    if (!st)
        st = lw_reader_open(&s->reader, &s->inputs, &s->plan, &ro, err);
    if (st) {
        lw_source_close(s);
        return st;
    }
    stats->input_files = s->plan.count;
    stats->ignored_files = s->inputs.ignored_files;
    stats->unreadable_files = s->inputs.n_unreadable;
    for (size_t i = 0; i < s->inputs.n_unreadable; i++) {
        const char *what = s->inputs.unreadable[i];
        if (cfg->strict) {
            st = lw_error_set(err, LW_E_NOINPUT, "cannot read %s (an entry of an input "
                              "directory)", what);
            lw_source_close(s);
            return st;
        }
        if (cfg->warn) {
            char msg[LW_ERROR_MSG_MAX];
            snprintf(msg, sizeof msg, "%s; skipped (cannot be read)", what);
            cfg->warn(cfg->cb_ctx, LW_SKIP_NONE, msg);
        }
    }
    s->flow = (lw_docflow){.inputs = &s->inputs, .stats = stats, .strict = cfg->strict,
                           .utf8 = cfg->doc.utf8, .warn = cfg->warn, .warn_ctx = cfg->cb_ctx};
    return LW_OK;
}

void lw_source_progress(lw_source *s, const lw_batch *done, uint64_t tokens)
{
    const lw_reader_stats *rs = lw_reader_stats_get(s->reader);
    lw_doc_stats *stats = s->flow.stats;
    stats->blank_lines = rs->blank_lines;
    stats->bytes_read = rs->bytes_read;
    stats->bytes_decoded = rs->bytes_decoded;
    if (s->cfg->progress) {
        lw_progress p = {.docs_read = stats->docs_read, .bytes_total = s->plan.bytes,
                         .tokens = tokens};
        if (done) {
            p.bytes_read = done->end_on_disk;
            p.bytes_decoded = done->end_decoded;
        } else {
            lw_reader_consumed(s->reader, &p.bytes_read, &p.bytes_decoded);
        }
        s->cfg->progress(s->cfg->cb_ctx, &p);
    }
}

lw_status lw_source_finish(lw_source *s, lw_error *err)
{
    lw_source_progress(s, NULL, 0);
    return lw_docflow_check_end(&s->flow, s->cfg->doc.text_key, err);
}

void lw_source_close(lw_source *s)
{
    lw_reader_close(s->reader);
    s->reader = NULL;
    lw_part_plan_free(&s->plan);
    lw_input_list_free(&s->inputs);
}

bool lw_source_config_to_json(const lw_source_config *c, cJSON *o)
{
    static const char *const utf8_names[] = {"replace", "drop", "strict"};
    static const char *const fmt_names[] = {"auto", "jsonl", "text"};
    char part[48];
    snprintf(part, sizeof part, "%u/%u", c->part, c->nparts ? c->nparts : 1);
    bool ok = cJSON_AddStringToObject(o, "part", part) != NULL;
    ok &= cJSON_AddStringToObject(o, "text_key", c->doc.text_key ? c->doc.text_key : "text") != NULL;
    ok &= cJSON_AddStringToObject(o, "id_key", c->doc.id_key ? c->doc.id_key : "id") != NULL;
    ok &= cJSON_AddStringToObject(o, "utf8", utf8_names[c->doc.utf8]) != NULL;
    ok &= cJSON_AddStringToObject(o, "input_format", fmt_names[c->input.format]) != NULL;
    if (c->input.include)
        ok &= lw_json_put(o, "include", lw_json_strings(c->input.include, c->input.n_include));
    else
        ok &= lw_json_put(o, "include",
                          lw_json_strings(lw_default_include, lw_default_include_count));
    ok &= cJSON_AddNumberToObject(o, "max_doc_bytes",
                                  (double)(c->max_doc_bytes ? c->max_doc_bytes
                                                            : LW_DEFAULT_MAX_DOC_BYTES)) != NULL;
    ok &= cJSON_AddBoolToObject(o, "strict", c->strict) != NULL;
    return ok;
}

cJSON *lw_source_inputs_json(const lw_source *s)
{
    cJSON *in = cJSON_CreateObject();
    cJSON *files = cJSON_AddArrayToObject(in, "files");
    bool ok = files != NULL;
    for (size_t i = 0; ok && i < s->plan.count; i++) {
        const lw_input_range *rg = &s->plan.ranges[i];
        cJSON *f = cJSON_CreateObject();
        ok &= cJSON_AddStringToObject(f, "path", s->inputs.files[rg->file].path) != NULL;
        ok &= cJSON_AddNumberToObject(f, "bytes", (double)s->inputs.files[rg->file].size) != NULL;
        if (rg->begin != 0 || rg->end != UINT64_MAX) {
            ok &= cJSON_AddNumberToObject(f, "range_begin", (double)rg->begin) != NULL;
            if (rg->end != UINT64_MAX)
                ok &= cJSON_AddNumberToObject(f, "range_end", (double)rg->end) != NULL;
        }
        ok &= lw_json_push(files, f);
    }
    if (!ok) {
        cJSON_Delete(in);
        return NULL;
    }
    return in;
}
