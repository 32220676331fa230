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

#include "longweave/fileio.h"
#include "longweave/json_build.h"
#include "longweave/dataset.h"
#include "longweave/doc_lineage.h"
#include "longweave/json_out.h"
#include "longweave/seqwriter.h"
#include "longweave/version.h"

enum { BATCH_BYTES = 8 << 20, BATCH_UNITS = 1 << 16 };

typedef struct {
    lw_skip why;
    int thread;
    size_t ids_off, ids_len;
    size_t detail_off;
    size_t replaced;
    size_t lin_off, id_len, source_len; /* in lineage: the id's and the source's JSON
                                         * (0: none, the default is made at commit) */
    lw_status fail;       /* an encoder failure (not a data skip) */
} unit_result;

/* What one thread made of one batch, kept until the batch is committed. */
typedef struct {
    lw_ids ids;           /* the batch's ids, back to back */
    lw_buf details;       /* skip details, NUL-terminated */
    lw_buf lineage;       /* ids and sources (JSON), back to back */
    lw_error err;         /* an encoder failure */
} worker_out;

typedef struct {
    lw_tok_scratch *tok;
    lw_buf scratch;
    worker_out out[2];    /* by pipeline slot: one is committed while the other fills */
} worker;

static void process_unit(const lw_tokenize_config *cfg, const lw_tokenizer *tok, worker *wk,
                         int slot, int thread, const lw_unit *u, int64_t bos, int64_t eod,
                         unit_result *r)
{
    worker_out *w = &wk->out[slot];
    memset(r, 0, sizeof *r);
    r->thread = thread;
    if (u->kind != LW_UNIT_DOC)
        return;
    lw_doc d;
    r->why = lw_doc_parse(&d, u, &cfg->src.doc, &wk->scratch);
    if (r->why != LW_SKIP_NONE) {
        r->detail_off = w->details.len;
        if (lw_buf_append(&w->details, d.detail, strlen(d.detail) + 1))
            r->detail_off = SIZE_MAX;
        lw_doc_clear(&d);
        return;
    }
    r->replaced = d.utf8_replaced;
    /* what the document's line in PREFIX.docs.jsonl says, as shard writes it */
    lw_doc_field source;
    bool has_source = lw_doc_field_find(&d, "source", &source);
    r->lin_off = w->lineage.len;
    if (d.id && lw_json_put_string_repair(&w->lineage, d.id, d.id_len))
        r->fail = LW_E_NOMEM;
    r->id_len = w->lineage.len - r->lin_off;
    if (!r->fail && has_source && lw_doc_field_put_json(&w->lineage, &source))
        r->fail = LW_E_NOMEM;
    r->source_len = w->lineage.len - r->lin_off - r->id_len;
    if (r->fail) {
        lw_error_set(&w->err, LW_E_NOMEM, "out of memory");
        lw_doc_clear(&d);
        return;
    }
    r->ids_off = w->ids.len;
    if (bos >= 0 && lw_ids_push(&w->ids, (uint32_t)bos))
        r->fail = LW_E_NOMEM;
    if (!r->fail)
        r->fail = lw_tok_encode(tok, wk->tok, d.text, d.text_len, &w->ids, &w->err);
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

static lw_status write_manifest(const lw_tokenize_config *cfg, const lw_tokenizer *tok,
                                const lw_source *src, const lw_tokenize_stats *stats,
                                const lw_seqw *w, const lw_outfile *docs, int64_t bos,
                                int64_t eod, lw_output *out, lw_error *err)
{
    cJSON *m = lw_manifest_new("tokenize", cfg->src.part, cfg->src.nparts);
    if (!m)
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    lw_tok_ref ref;
    lw_tok_ref_of(&ref, tok, cfg->pattern);
    bool ok = lw_manifest_put_tokenizer(m, &ref);
    lw_seqw_info info;
    lw_seqw_info_get(w, &info);
    ok &= cJSON_AddStringToObject(m, "format_name", lw_seq_format_name(cfg->output.format)) != NULL;
    ok &= cJSON_AddStringToObject(m, "dtype", info.dtype) != NULL;
    cJSON *c = cJSON_AddObjectToObject(m, "config");
    ok &= cJSON_AddBoolToObject(c, "append_eod", cfg->append_eod) != NULL;
    ok &= cJSON_AddBoolToObject(c, "prepend_bos", cfg->prepend_bos) != NULL;
    if (eod >= 0)
        ok &= cJSON_AddNumberToObject(c, "eod_id", (double)eod) != NULL;
    if (bos >= 0)
        ok &= cJSON_AddNumberToObject(c, "bos_id", (double)bos) != NULL;
    ok &= lw_source_config_to_json(&cfg->src, c);
    ok &= lw_json_put(m, "inputs", lw_source_inputs_json(src));
    cJSON *s = lw_doc_stats_json(&stats->docs);
    ok &= cJSON_AddNumberToObject(s, "sequences", (double)stats->sequences) != NULL;
    ok &= cJSON_AddNumberToObject(s, "tokens", (double)stats->tokens) != NULL;
    ok &= cJSON_AddNumberToObject(s, "empty_sequences", (double)stats->empty_sequences) != NULL;
    ok &= lw_json_put(m, "stats", s);
    ok &= lw_manifest_put_dataset(m, w, lw_output_dir(out));
    ok &= lw_manifest_put_outfile(m, lw_output_dir(out), docs, cfg->prefix, LW_DOCS_ROLE);
    lw_status st = ok ? lw_output_commit(out, m, err)
                      : lw_error_set(err, LW_E_NOMEM, "out of memory building the manifest");
    cJSON_Delete(m);
    return st;
}

/* Everything one run shares between the pipeline's steps. */
typedef struct {
    const lw_tokenize_config *cfg;
    const lw_tokenizer *tok;
    lw_tokenize_stats *stats;
    lw_source src;
    worker *workers;
    unit_result *res[2]; /* by pipeline slot */
    size_t res_cap[2];
    int64_t bos, eod;
    lw_seqw *w;
    lw_outfile docs;      /* PREFIX.docs.jsonl */
    lw_buf docs_lines, id_buf; /* a batch's lines; a default id */
} run_state;

static lw_status step_prepare(void *ctx, const lw_batch *b, int slot, lw_error *err)
{
    run_state *r = ctx;
    if (b->count > r->res_cap[slot]) {
        free(r->res[slot]);
        r->res_cap[slot] = b->count;
        if (!(r->res[slot] = malloc(b->count * sizeof *r->res[slot])))
            return lw_error_set(err, LW_E_NOMEM, "out of memory");
    }
    for (int t = 0; t < r->src.threads; t++) {
        r->workers[t].out[slot].ids.len = 0;
        r->workers[t].out[slot].details.len = 0;
        r->workers[t].out[slot].lineage.len = 0;
    }
    return LW_OK;
}

static void step_process(void *ctx, const lw_batch *b, int slot, size_t i, int t)
{
    run_state *r = ctx;
    process_unit(r->cfg, r->tok, &r->workers[t], slot, t, &b->units[i], r->bos, r->eod,
                 &r->res[slot][i]);
}

/* The document's line of PREFIX.docs.jsonl: its id, or the default id shard
 * gives (PATH:LINE, resolved here in input order), and its source field, or
 * the input's path. The writer gets them too, as the label of the document's
 * sequence (olmo's .csv.gz), valid until the next call. */
static lw_status add_lineage(run_state *r, const lw_unit *u, const unit_result *res,
                             const worker_out *wk, lw_error *err)
{
    const char *id = wk->lineage.data ? wk->lineage.data + res->lin_off : "";
    const char *source = id + res->id_len;
    size_t id_len = res->id_len, source_len = res->source_len;
    lw_status st;
    r->id_buf.len = 0;
    if (!id_len) {
        lw_buf raw = {0};
        st = lw_docflow_default_id(&r->src.flow, u, &raw, err);
        if (!st && lw_json_put_string_repair(&r->id_buf, raw.data, raw.len))
            st = lw_error_set(err, LW_E_NOMEM, "out of memory");
        lw_buf_free(&raw);
        if (st)
            return st;
        id = r->id_buf.data;
        id_len = r->id_buf.len;
    }
    size_t path_at = r->id_buf.len;
    if (!source_len) {
        const char *path = r->src.inputs.files[u->file].path;
        if (lw_json_put_string_repair(&r->id_buf, path, strlen(path)))
            return lw_error_set(err, LW_E_NOMEM, "out of memory");
        if (!res->id_len)
            id = r->id_buf.data; /* it may have moved */
        source = r->id_buf.data + path_at;
        source_len = r->id_buf.len - path_at;
    }
    if (lw_docs_line(&r->docs_lines, id, id_len, source, source_len))
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    lw_seqw_label(r->w, id, id_len, source, source_len);
    return LW_OK;
}

/* Runs alongside the next batch's step_process (overlap_commit): it reads
 * only this slot's results and touches what process never does (the
 * writer, the counts, the docflow). */
static lw_status step_commit(void *ctx, const lw_batch *b, int slot, lw_error *err)
{
    run_state *r = ctx;
    lw_tokenize_stats *stats = r->stats;
    lw_status st;
    r->docs_lines.len = 0;
    for (size_t i = 0; i < b->count; i++) {
        const lw_unit *u = &b->units[i];
        const unit_result *res = &r->res[slot][i];
        bool handled;
        if ((st = lw_docflow_unit(&r->src.flow, u, &handled, err)))
            return st;
        if (handled)
            continue;
        const worker_out *wk = &r->workers[res->thread].out[slot];
        if (res->fail) {
            lw_loc loc;
            char where[600] = "";
            if (!lw_docflow_loc(&r->src.flow, u, &loc, NULL))
                lw_loc_format(&loc, where, sizeof where);
            return lw_error_set(err, res->fail, "%s: %s", where, wk->err.msg);
        }
        if (res->why != LW_SKIP_NONE) {
            const char *detail = res->detail_off == SIZE_MAX ? "" : wk->details.data + res->detail_off;
            if ((st = lw_docflow_skip(&r->src.flow, u, res->why, detail, err)))
                return st;
            continue;
        }
        if ((st = add_lineage(r, u, res, wk, err)) ||
            (st = lw_seqw_add(r->w, wk->ids.v + res->ids_off, NULL, res->ids_len, NULL, 0,
                              err)))
            return st;
        stats->docs.docs_read++;
        stats->docs.docs_written++;
        stats->sequences++;
        stats->tokens += res->ids_len;
        stats->empty_sequences += res->ids_len == 0;
        if (res->replaced) {
            stats->docs.utf8_repaired_docs++;
            stats->docs.utf8_replacements += res->replaced;
        }
    }
    if (r->docs_lines.len &&
        (st = lw_outfile_write(&r->docs, r->docs_lines.data, r->docs_lines.len, err)))
        return st;
    lw_source_progress(&r->src, b, stats->tokens);
    return LW_OK;
}

lw_status lw_tokenize_run(const lw_tokenize_config *cfg, lw_tokenize_stats *stats, lw_error *err)
{
    memset(stats, 0, sizeof *stats);
    if (!cfg->prefix || !*cfg->prefix)
        return lw_error_set(err, LW_E_USAGE, "no output prefix given (-o PREFIX)");
    if (!cfg->tokenizer)
        return lw_error_set(err, LW_E_USAGE, "no tokenizer given (-t FILE)");
    lw_tokenizer *tok = NULL;
    lw_output *out = NULL;
    run_state r = {.cfg = cfg, .stats = stats, .bos = -1, .eod = -1};
    lw_status st;

    lw_tok_opts topts = {.pattern = cfg->pattern, .match_special = cfg->match_special};
    if ((st = lw_tok_load(&tok, cfg->tokenizer, &topts, err)))
        goto done;
    r.tok = tok;
    if ((st = resolve_special(tok, cfg->prepend_bos, cfg->bos_id, "bos", "--prepend-bos",
                              "--bos-id", &r.bos, err)) ||
        (st = resolve_special(tok, cfg->append_eod, cfg->eod_id, "eod", "--append-eod",
                              "--eod-id", &r.eod, err)))
        goto done;
    if ((st = lw_source_open(&r.src, &cfg->src, &stats->docs, err)))
        goto done;
    int threads = r.src.threads;
    lw_seqw_opts wo = lw_seqw_opts_for(&cfg->output, lw_tok_vocab_size(tok), LW_MASK_NONE, 0,
                                       lw_tok_name(tok));
    lw_output_spec spec = {cfg->prefix, LW_OUT_PREFIX, 0, 1, cfg->force, "a token dataset"};
    if ((st = lw_seqw_check(&wo, err)) || (st = lw_output_claim(&out, &spec, err)))
        goto done;
    if ((st = lw_seqw_open(&r.w, cfg->prefix, &wo, err)))
        goto done;
    char *docs_path = lw_concat(cfg->prefix, LW_DOCS_SUFFIX, "");
    st = docs_path ? lw_outfile_open(&r.docs, docs_path, true, err)
                   : lw_error_set(err, LW_E_NOMEM, "out of memory");
    free(docs_path);
    if (st)
        goto done;
    r.workers = calloc((size_t)threads, sizeof *r.workers);
    if (!r.workers) {
        st = lw_error_set(err, LW_E_NOMEM, "out of memory");
        goto done;
    }
    for (int t = 0; t < threads; t++)
        if (!(r.workers[t].tok = lw_tok_scratch_new(tok))) {
            st = lw_error_set(err, LW_E_NOMEM, "out of memory");
            goto done;
        }
    lw_pipeline pipe = {threads, BATCH_BYTES, BATCH_UNITS, &r, true, step_prepare,
                        step_process, step_commit};
    if ((st = lw_pipeline_run(&pipe, r.src.reader, err)) ||
        (st = lw_source_finish(&r.src, err)))
        goto done;
    if ((st = lw_seqw_finish(r.w, err)) || (st = lw_outfile_finish(&r.docs, err)))
        goto done;
    stats->docs.bytes_written = lw_seqw_bytes(r.w);
    stats->docs.bytes_written_raw = stats->docs.bytes_written;
    if ((st = lw_seqw_publish(r.w, err)))
        goto done;
    if ((st = lw_outfile_publish(&r.docs, err))) {
        lw_seqw_unpublish(r.w);
        goto done;
    }
    if ((st = write_manifest(cfg, tok, &r.src, stats, r.w, &r.docs, r.bos, r.eod, out, err))) {
        lw_seqw_unpublish(r.w);
        lw_outfile_unpublish(&r.docs);
    }
done:
    for (int t = 0; r.workers && t < r.src.threads; t++) {
        lw_tok_scratch_free(r.workers[t].tok);
        lw_buf_free(&r.workers[t].scratch);
        for (int s = 0; s < 2; s++) {
            lw_ids_free(&r.workers[t].out[s].ids);
            lw_buf_free(&r.workers[t].out[s].details);
            lw_buf_free(&r.workers[t].out[s].lineage);
        }
    }
    free(r.workers);
    free(r.res[0]);
    free(r.res[1]);
    lw_outfile_release(&r.docs);
    lw_buf_free(&r.docs_lines);
    lw_buf_free(&r.id_buf);
    lw_seqw_free(r.w);
    lw_output_release(out);
    lw_source_close(&r.src);
    lw_tok_free(tok);
    return st;
}
