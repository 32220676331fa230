/* The shard stage: read, clean, filter, deduplicate and hash-partition
 * documents into N .jsonl.zst shards, then write the manifest. */
#include "longweave/shard.h"

#include <cjson/cJSON.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "longweave/hash.h"
#include "longweave/json_out.h"
#include "longweave/jsonl_shards.h"
#include "longweave/dataset.h"

enum { BATCH_BYTES = 8 << 20, BATCH_UNITS = 1 << 16 };


/* Lemire's multiply-shift maps a 64-bit hash onto [0, n) without division. */
static unsigned shard_of_hash(lw_hash128 h, uint64_t seed, unsigned num_shards)
{
    uint64_t x = lw_mix64(h.lo ^ lw_mix64(seed));
    return (unsigned)(((unsigned __int128)x * num_shards) >> 64);
}

unsigned lw_shard_of_text(const char *text, size_t len, uint64_t seed, unsigned num_shards)
{
    return shard_of_hash(lw_hash128_bytes(text, len), seed, num_shards);
}

unsigned lw_shard_of_id(const char *id, size_t len, uint64_t seed, unsigned num_shards)
{
    uint64_t x = lw_hash64_bytes(id, len, seed);
    return (unsigned)(((unsigned __int128)x * num_shards) >> 64);
}

/* What a worker found out about one unit. */
typedef struct {
    lw_skip why;
    int thread;
    size_t detail_off;     /* NUL-terminated detail in the thread's arena */
    size_t id_off, id_len; /* id as a JSON string, or id_len 0: none */
    size_t body_off, body_len; /* "text":...,...}\n */
    lw_hash128 hash;
    size_t replaced;
} unit_result;

typedef struct {
    lw_buf arena[2]; /* per batch slot: commit reads one while process fills the other */
    lw_buf scratch;
    lw_filter_scratch *fs;
} worker;

typedef struct {
    const lw_shard_config *cfg;
    const lw_input_list *inputs;
    const lw_filter *filter;
} job;

/* Append the record body: everything after the id. */
static int put_body(lw_buf *out, const job *j, const lw_unit *u, const lw_doc *d)
{
    const char *text_key = j->cfg->src.doc.text_key ? j->cfg->src.doc.text_key : "text";
    const char *id_key = j->cfg->src.doc.id_key ? j->cfg->src.doc.id_key : "id";
    if (lw_buf_puts(out, "\"text\":") || lw_json_put_string(out, d->text, d->text_len) ||
        lw_buf_puts(out, ",\"source\":"))
        return -1;
    lw_doc_field f;
    if (lw_doc_field_find(d, "source", &f)) {
        if (lw_doc_field_put_json(out, &f))
            return -1;
    } else {
        const char *path = j->inputs->files[u->file].path;
        if (lw_json_put_string_repair(out, path, strlen(path)))
            return -1;
    }
    lw_doc_fields it;
    lw_doc_fields_begin(d, &it);
    while (lw_doc_fields_next(&it, &f)) {
        if (lw_doc_field_is(&f, text_key) || lw_doc_field_is(&f, id_key) ||
            lw_doc_field_is(&f, "source"))
            continue;
        /* An input field named like an output field that it is not: keep it
         * under another name rather than lose or duplicate it. */
        bool clash = lw_doc_field_is(&f, "text") || lw_doc_field_is(&f, "id");
        if (lw_buf_putc(out, ',') || (clash && lw_buf_puts(out, "\"input_")) ||
            (clash ? lw_buf_append(out, f.key, f.key_len) || lw_buf_putc(out, '"')
                   : lw_json_put_string_repair(out, f.key, f.key_len)) ||
            lw_buf_putc(out, ':') || lw_doc_field_put_json(out, &f))
            return -1;
    }
    return lw_buf_puts(out, "}\n");
}

static void process_unit(const job *j, worker *w, int slot, int thread, const lw_unit *u,
                         unit_result *r)
{
    lw_buf *arena = &w->arena[slot];
    memset(r, 0, sizeof *r);
    r->thread = thread;
    if (u->kind != LW_UNIT_DOC)
        return;
    lw_doc d;
    r->why = lw_doc_parse(&d, u, &j->cfg->src.doc, &w->scratch);
    char detail[200];
    snprintf(detail, sizeof detail, "%s", d.detail);
    if (r->why == LW_SKIP_NONE && d.nul_elsewhere) {
        /* the other fields are written from cJSON, which cut that string at the NUL */
        r->why = LW_SKIP_NUL;
        snprintf(detail, sizeof detail, "a field other than the text and id contains \\u0000");
    }
    if (r->why == LW_SKIP_NONE) {
        r->replaced = d.utf8_replaced;
        r->why = lw_filter_apply(j->filter, w->fs, d.text, d.text_len, d.text_chars, detail,
                                 sizeof detail);
    }
    if (r->why == LW_SKIP_NONE) {
        r->hash = lw_hash128_bytes(d.text, d.text_len);
        if (d.id) {
            r->id_off = arena->len;
            if (lw_json_put_string_repair(arena, d.id, d.id_len))
                goto nomem;
            r->id_len = arena->len - r->id_off;
        }
        r->body_off = arena->len;
        if (put_body(arena, j, u, &d))
            goto nomem;
        r->body_len = arena->len - r->body_off;
    }
    r->detail_off = arena->len;
    if (lw_buf_append(arena, detail, strlen(detail) + 1))
        goto nomem;
    lw_doc_clear(&d);
    return;
nomem:
    /* Reported as a too-large document: the only way a document can exhaust
     * memory here is by its size. */
    lw_doc_clear(&d);
    r->why = LW_SKIP_TOO_LARGE;
    r->detail_off = SIZE_MAX;
}

static cJSON *string_array(const char *const *v, size_t n)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; a && i < n; i++)
        cJSON_AddItemToArray(a, cJSON_CreateString(v[i]));
    return a;
}

static cJSON *config_json(const lw_shard_config *c)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    cJSON_AddNumberToObject(o, "num_shards", c->num_shards);
    cJSON_AddStringToObject(o, "shard_by", c->shard_by == LW_SHARD_BY_ID ? "id" : "content");
    cJSON_AddNumberToObject(o, "seed", (double)c->seed);
    lw_source_config_to_json(&c->src, o);
    cJSON_AddNumberToObject(o, "min_chars", (double)c->filter.min_chars);
    cJSON_AddNumberToObject(o, "max_chars", (double)c->filter.max_chars);
    cJSON_AddItemToObject(o, "keep_regex", string_array(c->filter.keep_re, c->filter.n_keep));
    cJSON_AddItemToObject(o, "drop_regex", string_array(c->filter.drop_re, c->filter.n_drop));
    cJSON_AddBoolToObject(o, "dedup", c->dedup);
    cJSON_AddNumberToObject(o, "zstd_level", c->zstd_level ? c->zstd_level : 3);
    return o;
}

static lw_status write_manifest(const lw_shard_config *cfg, const lw_source *src,
                                const lw_doc_stats *stats, lw_jsonl_shards *w, lw_output *o,
                                lw_error *err)
{
    cJSON *m = lw_manifest_new("shard", cfg->src.part, cfg->src.nparts);
    if (!m)
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    cJSON_AddItemToObject(m, "config", config_json(cfg));
    cJSON_AddItemToObject(m, "inputs", lw_source_inputs_json(src));
    cJSON_AddItemToObject(m, "stats", lw_doc_stats_json(stats));
    cJSON *out = cJSON_GetObjectItem(m, "files");
    for (unsigned i = 0; i < cfg->num_shards; i++) {
        lw_shard_info info;
        lw_jsonl_shards_info(w, i, &info);
        cJSON *f = cJSON_CreateObject();
        cJSON_AddStringToObject(f, "path", info.name);
        cJSON_AddNumberToObject(f, "documents", (double)info.records);
        cJSON_AddNumberToObject(f, "bytes", (double)info.bytes);
        cJSON_AddNumberToObject(f, "uncompressed_bytes", (double)info.raw_bytes);
        cJSON_AddStringToObject(f, "sha256", info.sha256);
        cJSON_AddItemToArray(out, f);
    }
    lw_status st = lw_output_commit(o, m, err);
    cJSON_Delete(m);
    return st;
}

static lw_status check_config(const lw_shard_config *c, lw_error *err)
{
    if (c->num_shards < 1 || c->num_shards > LW_SHARD_MAX)
        return lw_error_set(err, LW_E_USAGE, "--num-shards must be between 1 and %d",
                            LW_SHARD_MAX);
    if (c->zstd_level < 0 || c->zstd_level > ZSTD_maxCLevel())
        return lw_error_set(err, LW_E_USAGE, "--zstd-level must be between 1 and %d",
                            ZSTD_maxCLevel());
    if (!c->outdir || !*c->outdir)
        return lw_error_set(err, LW_E_USAGE, "no output directory given (-o DIR)");
    if (c->filter.max_chars && c->filter.min_chars > c->filter.max_chars)
        return lw_error_set(err, LW_E_USAGE, "--min-chars is above --max-chars");
    return LW_OK;
}

/* Commit one batch in input order. */
static lw_status commit(const lw_shard_config *cfg, lw_docflow *flow, const lw_batch *b,
                        int slot, const unit_result *res, worker *workers, lw_dedup *dedup,
                        lw_jsonl_shards *w, lw_buf *idbuf, lw_error *err)
{
    lw_doc_stats *stats = flow->stats;
    for (size_t i = 0; i < b->count; i++) {
        const lw_unit *u = &b->units[i];
        const unit_result *r = &res[i];
        bool handled;
        lw_status st = lw_docflow_unit(flow, u, &handled, err);
        if (st)
            return st;
        if (handled)
            continue;
        const lw_buf *arena = &workers[r->thread].arena[slot];
        if (r->why != LW_SKIP_NONE) {
            const char *detail = r->detail_off == SIZE_MAX ? "out of memory for this document"
                                                           : arena->data + r->detail_off;
            if ((st = lw_docflow_skip(flow, u, r->why, detail, err)))
                return st;
            continue;
        }
        if (dedup) {
            int fresh = lw_dedup_insert(dedup, r->hash);
            if (fresh < 0)
                return lw_error_set(err, LW_E_NOMEM, "out of memory in the --dedup set");
            if (!fresh) {
                if ((st = lw_docflow_skip(flow, u, LW_SKIP_DUPLICATE, NULL, err)))
                    return st;
                continue;
            }
        }
        const char *id = arena->data + r->id_off;
        size_t id_len = r->id_len;
        idbuf->len = 0;
        if (id_len == 0) {
            lw_buf raw = {0};
            st = lw_docflow_default_id(flow, u, &raw, err);
            if (!st && lw_json_put_string_repair(idbuf, raw.data, raw.len))
                st = lw_error_set(err, LW_E_NOMEM, "out of memory");
            lw_buf_free(&raw);
            if (st)
                return st;
            id = idbuf->data;
            id_len = idbuf->len;
        }
        /* By id, hash the id's JSON form: it is what the record carries. */
        unsigned shard = cfg->shard_by == LW_SHARD_BY_ID
                             ? lw_shard_of_id(id, id_len, cfg->seed, cfg->num_shards)
                             : shard_of_hash(r->hash, cfg->seed, cfg->num_shards);
        lw_buf *out = lw_jsonl_shards_record(w, shard, 7 + id_len + r->body_len);
        if (!out || lw_buf_puts(out, "{\"id\":") || lw_buf_append(out, id, id_len) ||
            lw_buf_putc(out, ',') ||
            lw_buf_append(out, arena->data + r->body_off, r->body_len) ||
            lw_jsonl_shards_end_record(w, shard))
            return lw_error_set(err, LW_E_NOMEM, "out of memory");
        stats->docs_read++;
        stats->docs_written++;
        if (r->replaced) {
            stats->utf8_repaired_docs++;
            stats->utf8_replacements += r->replaced;
        }
    }
    return LW_OK;
}

/* Everything one run shares between the pipeline's steps. */
typedef struct {
    const lw_shard_config *cfg;
    job j;
    lw_source src;
    worker *workers;
    unit_result *res[2]; /* per batch slot */
    size_t res_cap[2];
    lw_dedup *dedup;
    lw_jsonl_shards *w;
    lw_buf idbuf;
} run_state;

/* Single-threaded, before a batch is processed: the frames the commits so
 * far sealed are set aside for process to compress (the flush, here and not
 * in commit, because commit runs alongside process), and the slot's results
 * and arenas are made ready. */
static lw_status step_prepare(void *ctx, const lw_batch *b, int slot, lw_error *err)
{
    run_state *r = ctx;
    lw_status st = lw_jsonl_shards_flush(r->w, err);
    if (st)
        return st;
    if (b->count > r->res_cap[slot]) {
        free(r->res[slot]);
        r->res_cap[slot] = b->count;
        if (!(r->res[slot] = malloc(b->count * sizeof *r->res[slot])))
            return lw_error_set(err, LW_E_NOMEM, "out of memory");
    }
    for (int t = 0; t < r->src.threads; t++)
        r->workers[t].arena[slot].len = 0;
    return LW_OK;
}

static void step_process(void *ctx, const lw_batch *b, int slot, size_t i, int t)
{
    run_state *r = ctx;
    lw_jsonl_shards_work(r->w, t); /* earlier batches' frames, while this one is worked */
    process_unit(&r->j, &r->workers[t], slot, t, &b->units[i], &r->res[slot][i]);
}

static lw_status step_commit(void *ctx, const lw_batch *b, int slot, lw_error *err)
{
    run_state *r = ctx;
    lw_status st = commit(r->cfg, &r->src.flow, b, slot, r->res[slot], r->workers, r->dedup,
                          r->w, &r->idbuf, err);
    lw_source_progress(&r->src, b, 0);
    return st;
}

lw_status lw_shard_run(const lw_shard_config *cfg, lw_doc_stats *stats, lw_error *err)
{
    memset(stats, 0, sizeof *stats);
    lw_status st = check_config(cfg, err);
    if (st)
        return st;
    lw_filter *filter = NULL;
    lw_output *out = NULL;
    run_state r = {.cfg = cfg};

    if ((st = lw_source_open(&r.src, &cfg->src, stats, err)))
        goto done;
    int threads = r.src.threads;
    if ((st = lw_filter_new(&filter, &cfg->filter, err)))
        goto done;
    if (cfg->dedup && !(r.dedup = lw_dedup_new())) {
        st = lw_error_set(err, LW_E_NOMEM, "out of memory");
        goto done;
    }
    lw_output_spec spec = {cfg->outdir, LW_OUT_DIR, 0, 1, cfg->force, "a sharded corpus"};
    if ((st = lw_output_claim(&out, &spec, err)))
        goto done;
    lw_jsonl_shards_opts wo = {cfg->outdir, LW_SHARD_PATTERN, cfg->num_shards,
                               cfg->zstd_level, threads};
    if ((st = lw_jsonl_shards_open(&r.w, &wo, err)))
        goto done;
    r.workers = calloc((size_t)threads, sizeof *r.workers);
    if (!r.workers) {
        st = lw_error_set(err, LW_E_NOMEM, "out of memory");
        goto done;
    }
    for (int t = 0; t < threads; t++)
        if (!(r.workers[t].fs = lw_filter_scratch_new(filter))) {
            st = lw_error_set(err, LW_E_NOMEM, "out of memory");
            goto done;
        }
    r.j = (job){cfg, &r.src.inputs, filter};
    /* overlap_commit: a batch's commit (copying its records into the shards'
     * frames, in input order) runs while the next batch is processed. */
    lw_pipeline pipe = {threads, BATCH_BYTES, BATCH_UNITS, &r, true, step_prepare,
                        step_process, step_commit};
    if ((st = lw_pipeline_run(&pipe, r.src.reader, err)) ||
        (st = lw_source_finish(&r.src, err)))
        goto done;
    if ((st = lw_jsonl_shards_finish(r.w, err)))
        goto done;
    for (unsigned i = 0; i < cfg->num_shards; i++) {
        lw_shard_info info;
        lw_jsonl_shards_info(r.w, i, &info);
        stats->bytes_written += info.bytes;
        stats->bytes_written_raw += info.raw_bytes;
    }
    if ((st = lw_jsonl_shards_publish(r.w, err)))
        goto done;
    st = write_manifest(cfg, &r.src, stats, r.w, out, err);
    if (st) /* without its manifest the output is incomplete: take it back */
        lw_jsonl_shards_unpublish(r.w);

done:
    for (int t = 0; r.workers && t < r.src.threads; t++) {
        lw_buf_free(&r.workers[t].arena[0]);
        lw_buf_free(&r.workers[t].arena[1]);
        lw_buf_free(&r.workers[t].scratch);
        lw_filter_scratch_free(r.workers[t].fs);
    }
    free(r.workers);
    free(r.res[0]);
    free(r.res[1]);
    lw_buf_free(&r.idbuf);
    lw_jsonl_shards_free(r.w);
    lw_output_release(out);
    lw_dedup_free(r.dedup);
    lw_filter_free(filter);
    lw_source_close(&r.src);
    return st;
}
