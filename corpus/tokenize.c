/* The tokenize stage: read documents, encode them in parallel, write a
 * Megatron dataset in input order, then the manifest. */
#include "longweave/tokenize.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "longweave/manifest.h"
#include "longweave/megatron.h"
#include "longweave/reader.h"
#include "longweave/version.h"

enum { BATCH_BYTES = 8 << 20, BATCH_UNITS = 1 << 16 };

typedef struct {
    lw_skip why;
    int thread;
    size_t ids_off, ids_len;
    size_t detail_off;
    size_t replaced;
    lw_status fail;       /* an encoder failure (not a data skip) */
} unit_result;

typedef struct {
    lw_tok_scratch *tok;
    lw_buf scratch;
    lw_ids ids;           /* this batch's ids, back to back */
    lw_buf details;
    lw_error err;
} worker;

static void process_unit(const lw_tokenize_config *cfg, const lw_tokenizer *tok, worker *w,
                         int thread, const lw_unit *u, int64_t bos, int64_t eod, unit_result *r)
{
    memset(r, 0, sizeof *r);
    r->thread = thread;
    if (u->kind != LW_UNIT_DOC)
        return;
    lw_doc d;
    r->why = lw_doc_parse(&d, u, &cfg->doc, &w->scratch);
    if (r->why != LW_SKIP_NONE) {
        r->detail_off = w->details.len;
        if (lw_buf_append(&w->details, d.detail, strlen(d.detail) + 1))
            r->detail_off = SIZE_MAX;
        lw_doc_clear(&d);
        return;
    }
    r->replaced = d.utf8_replaced;
    r->ids_off = w->ids.len;
    if (bos >= 0 && lw_ids_push(&w->ids, (uint32_t)bos))
        r->fail = LW_E_NOMEM;
    if (!r->fail)
        r->fail = lw_tok_encode(tok, w->tok, d.text, d.text_len, &w->ids, &w->err);
    if (!r->fail && eod >= 0 && lw_ids_push(&w->ids, (uint32_t)eod))
        r->fail = LW_E_NOMEM;
    r->ids_len = w->ids.len - r->ids_off;
    lw_doc_clear(&d);
}

static lw_status resolve_special(const lw_tokenizer *tok, bool want, int64_t given,
                                 const char *role, const char *flag, const char *id_flag,
                                 int64_t *out, lw_error *err)
{
    *out = -1;
    if (!want)
        return LW_OK;
    *out = given >= 0 ? given : lw_tok_special(tok, role);
    if (*out < 0)
        return lw_error_set(err, LW_E_USAGE, "%s: the tokenizer %s has no %s token; give %s N",
                            flag, lw_tok_name(tok), role, id_flag);
    if ((uint64_t)*out >= lw_tok_vocab_size(tok))
        return lw_error_set(err, LW_E_USAGE, "%s %lld is not below the vocabulary size %u",
                            id_flag, (long long)*out, lw_tok_vocab_size(tok));
    return LW_OK;
}

static char *path_with(const char *prefix, const char *suffix)
{
    size_t n = strlen(prefix) + strlen(suffix) + 1;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s%s", prefix, suffix);
    return p;
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* Refuse to overwrite an earlier dataset unless --force; with --force the
 * old manifest goes first, so the prefix never claims to be complete. */
static lw_status check_outputs(const lw_tokenize_config *cfg, lw_error *err)
{
    const char *slash = strrchr(cfg->prefix, '/');
    if (slash && slash != cfg->prefix) {
        char *dir = strndup(cfg->prefix, (size_t)(slash - cfg->prefix));
        lw_status st = dir ? lw_mkdirs(dir, err) : lw_error_set(err, LW_E_NOMEM, "out of memory");
        free(dir);
        if (st)
            return st;
    }
    static const char *const suffixes[] = {".manifest.json", ".bin", ".idx"};
    for (size_t i = 0; i < 3; i++) {
        char *p = path_with(cfg->prefix, suffixes[i]);
        if (!p)
            return lw_error_set(err, LW_E_NOMEM, "out of memory");
        bool exists = access(p, F_OK) == 0;
        lw_status st = LW_OK;
        if (exists && !cfg->force)
            st = lw_error_set(err, LW_E_CANTCREAT, "%s already exists; use --force to replace "
                              "the dataset", p);
        else if (exists && i == 0 && unlink(p) != 0)
            st = lw_error_errno(err, LW_E_CANTCREAT, errno, "cannot remove old", p);
        free(p);
        if (st)
            return st;
    }
    return LW_OK;
}

static lw_status write_manifest(const lw_tokenize_config *cfg, const lw_tokenizer *tok,
                                const lw_input_list *inputs, const lw_part_plan *plan,
                                const lw_tokenize_stats *stats, const lw_megatron_writer *w,
                                int64_t bos, int64_t eod, lw_error *err)
{
    cJSON *m = lw_manifest_new("tokenize");
    if (!m)
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    cJSON *t = cJSON_AddObjectToObject(m, "tokenizer");
    cJSON_AddStringToObject(t, "path", lw_tok_path(tok));
    cJSON_AddStringToObject(t, "kind", lw_tok_kind_name(lw_tok_kind_of(tok)));
    cJSON_AddStringToObject(t, "name", lw_tok_name(tok));
    cJSON_AddStringToObject(t, "sha256", lw_tok_sha256(tok));
    cJSON_AddNumberToObject(t, "vocab_size", lw_tok_vocab_size(tok));
    if (cfg->pattern)
        cJSON_AddStringToObject(t, "pattern", cfg->pattern);
    lw_megatron_info info;
    lw_megatron_info_get(w, &info);
    cJSON_AddStringToObject(m, "format_name", "megatron");
    cJSON_AddStringToObject(m, "dtype", lw_megatron_dtype_name(info.dtype));
    cJSON *c = cJSON_AddObjectToObject(m, "config");
    char part[48];
    snprintf(part, sizeof part, "%u/%u", cfg->part, cfg->nparts ? cfg->nparts : 1);
    cJSON_AddStringToObject(c, "part", part);
    cJSON_AddStringToObject(c, "text_key", cfg->doc.text_key ? cfg->doc.text_key : "text");
    cJSON_AddBoolToObject(c, "append_eod", cfg->append_eod);
    cJSON_AddBoolToObject(c, "prepend_bos", cfg->prepend_bos);
    if (eod >= 0)
        cJSON_AddNumberToObject(c, "eod_id", (double)eod);
    if (bos >= 0)
        cJSON_AddNumberToObject(c, "bos_id", (double)bos);
    static const char *const utf8_names[] = {"replace", "drop", "strict"};
    cJSON_AddStringToObject(c, "utf8", utf8_names[cfg->doc.utf8]);
    cJSON_AddNumberToObject(c, "max_doc_bytes", (double)(cfg->max_doc_bytes ? cfg->max_doc_bytes
                                                                             : LW_DEFAULT_MAX_DOC_BYTES));
    cJSON_AddBoolToObject(c, "strict", cfg->strict);
    cJSON *files = cJSON_AddArrayToObject(cJSON_AddObjectToObject(m, "inputs"), "files");
    for (size_t i = 0; i < plan->count; i++) {
        cJSON *f = cJSON_CreateObject();
        cJSON_AddStringToObject(f, "path", inputs->files[plan->ranges[i].file].path);
        cJSON_AddNumberToObject(f, "bytes", (double)inputs->files[plan->ranges[i].file].size);
        cJSON_AddItemToArray(files, f);
    }
    cJSON *s = lw_doc_stats_json(&stats->docs);
    cJSON_AddNumberToObject(s, "sequences", (double)stats->sequences);
    cJSON_AddNumberToObject(s, "tokens", (double)stats->tokens);
    cJSON_AddNumberToObject(s, "empty_sequences", (double)stats->empty_sequences);
    cJSON_AddItemToObject(m, "stats", s);
    cJSON *out = cJSON_AddArrayToObject(m, "files");
    const lw_outfile *fs[2] = {info.bin, info.idx};
    for (int i = 0; i < 2; i++) {
        cJSON *f = cJSON_CreateObject();
        cJSON_AddStringToObject(f, "path", base_name(fs[i]->final_path));
        cJSON_AddNumberToObject(f, "bytes", (double)fs[i]->bytes);
        cJSON_AddStringToObject(f, "sha256", fs[i]->sha256);
        cJSON_AddItemToArray(out, f);
    }
    char *path = path_with(cfg->prefix, ".manifest.json");
    lw_status st = path ? lw_manifest_write_to(m, path, err)
                        : lw_error_set(err, LW_E_NOMEM, "out of memory");
    free(path);
    cJSON_Delete(m);
    return st;
}

lw_status lw_tokenize_run(const lw_tokenize_config *cfg, lw_tokenize_stats *stats, lw_error *err)
{
    memset(stats, 0, sizeof *stats);
    if (cfg->n_inputs == 0)
        return lw_error_set(err, LW_E_USAGE, "no input given");
    if (!cfg->prefix || !*cfg->prefix)
        return lw_error_set(err, LW_E_USAGE, "no output prefix given (-o PREFIX)");
    if (!cfg->tokenizer)
        return lw_error_set(err, LW_E_USAGE, "no tokenizer given (-t FILE)");
    int threads = cfg->threads > 0 ? cfg->threads : omp_get_num_procs();
    lw_tokenizer *tok = NULL;
    lw_input_list inputs = {0};
    lw_part_plan plan = {0};
    lw_reader *reader = NULL;
    lw_megatron_writer *w = NULL;
    worker *workers = NULL;
    unit_result *res = NULL;
    size_t res_cap = 0, *order = NULL, order_cap = 0;
    lw_batch batch = {0};
    int64_t bos = -1, eod = -1;
    lw_status st;

    lw_tok_opts topts = {cfg->pattern};
    if ((st = lw_tok_load(&tok, cfg->tokenizer, &topts, err)))
        goto done;
    if ((st = resolve_special(tok, cfg->prepend_bos, cfg->bos_id, "bos", "--prepend-bos",
                              "--bos-id", &bos, err)) ||
        (st = resolve_special(tok, cfg->append_eod, cfg->eod_id, "eod", "--append-eod",
                              "--eod-id", &eod, err)))
        goto done;
    if ((st = lw_input_list_build(&inputs, cfg->inputs, cfg->n_inputs, &cfg->input, err)))
        goto done;
    if ((st = lw_part_plan_make(&inputs, cfg->part, cfg->nparts ? cfg->nparts : 1, &plan, err)))
        goto done;
    stats->docs.input_files = plan.count;
    stats->docs.ignored_files = inputs.ignored_files;
    if ((st = check_outputs(cfg, err)))
        goto done;
    if ((st = lw_megatron_open(&w, cfg->prefix, lw_tok_vocab_size(tok), err)))
        goto done;
    lw_reader_opts ro = {cfg->max_doc_bytes};
    if ((st = lw_reader_open(&reader, &inputs, &plan, &ro, err)))
        goto done;
    workers = calloc((size_t)threads, sizeof *workers);
    if (!workers) {
        st = lw_error_set(err, LW_E_NOMEM, "out of memory");
        goto done;
    }
    for (int t = 0; t < threads; t++)
        if (!(workers[t].tok = lw_tok_scratch_new(tok))) {
            st = lw_error_set(err, LW_E_NOMEM, "out of memory");
            goto done;
        }
    lw_docflow flow = {.inputs = &inputs, .stats = &stats->docs, .strict = cfg->strict,
                       .utf8 = cfg->doc.utf8, .warn = cfg->warn, .warn_ctx = cfg->cb_ctx};
    bool more = true;
    while (more) {
        if ((st = lw_batch_fill(&batch, reader, BATCH_BYTES, BATCH_UNITS, &more, err)))
            goto done;
        if (batch.count > res_cap) {
            free(res);
            res_cap = batch.count;
            if (!(res = malloc(res_cap * sizeof *res))) {
                st = lw_error_set(err, LW_E_NOMEM, "out of memory");
                goto done;
            }
        }
        for (int t = 0; t < threads; t++) {
            workers[t].ids.len = 0;
            workers[t].details.len = 0;
        }
        if (lw_batch_order_by_size(&batch, &order, &order_cap)) {
            st = lw_error_set(err, LW_E_NOMEM, "out of memory");
            goto done;
        }
        long n = (long)batch.count;
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
        for (long k = 0; k < n; k++) {
            int t = omp_get_thread_num();
            size_t i = order[k];
            process_unit(cfg, tok, &workers[t], t, &batch.units[i], bos, eod, &res[i]);
        }
        for (size_t i = 0; i < batch.count; i++) {
            const lw_unit *u = &batch.units[i];
            const unit_result *r = &res[i];
            bool handled;
            if ((st = lw_docflow_unit(&flow, u, &handled, err)))
                goto done;
            if (handled)
                continue;
            worker *wk = &workers[r->thread];
            if (r->fail) {
                lw_loc loc;
                char where[600] = "";
                if (!lw_docflow_loc(&flow, u, &loc, NULL))
                    lw_loc_format(&loc, where, sizeof where);
                st = lw_error_set(err, r->fail, "%s: %s", where, wk->err.msg);
                goto done;
            }
            if (r->why != LW_SKIP_NONE) {
                const char *detail = r->detail_off == SIZE_MAX ? "" : wk->details.data + r->detail_off;
                if ((st = lw_docflow_skip(&flow, u, r->why, detail, err)))
                    goto done;
                continue;
            }
            if ((st = lw_megatron_add(w, wk->ids.v + r->ids_off, r->ids_len, err)) ||
                (st = lw_megatron_end_document(w, err)))
                goto done;
            stats->docs.docs_read++;
            stats->docs.docs_written++;
            stats->sequences++;
            stats->tokens += r->ids_len;
            stats->empty_sequences += r->ids_len == 0;
            if (r->replaced) {
                stats->docs.utf8_repaired_docs++;
                stats->docs.utf8_replacements += r->replaced;
            }
        }
        const lw_reader_stats *rs = lw_reader_stats_get(reader);
        stats->docs.blank_lines = rs->blank_lines;
        stats->docs.bytes_read = rs->bytes_read;
        stats->docs.bytes_decoded = rs->bytes_decoded;
        if (cfg->progress) {
            lw_progress p = {stats->docs.docs_read, rs->bytes_read, plan.bytes, rs->bytes_decoded};
            cfg->progress(cfg->cb_ctx, &p);
        }
    }
    if ((st = lw_megatron_finish(w, err)))
        goto done;
    lw_megatron_info info;
    lw_megatron_info_get(w, &info);
    stats->docs.bytes_written = info.bin->bytes + info.idx->bytes;
    stats->docs.bytes_written_raw = stats->docs.bytes_written;
    if ((st = lw_megatron_publish(w, err)))
        goto done;
    if ((st = write_manifest(cfg, tok, &inputs, &plan, stats, w, bos, eod, err)))
        lw_megatron_unpublish(w);
done:
    for (int t = 0; workers && t < threads; t++) {
        lw_tok_scratch_free(workers[t].tok);
        lw_buf_free(&workers[t].scratch);
        lw_ids_free(&workers[t].ids);
        lw_buf_free(&workers[t].details);
    }
    free(workers);
    free(res);
    free(order);
    lw_batch_free(&batch);
    lw_reader_close(reader);
    lw_megatron_free(w);
    lw_part_plan_free(&plan);
    lw_input_list_free(&inputs);
    lw_tok_free(tok);
    return st;
}
