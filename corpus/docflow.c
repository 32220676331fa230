/* Batches, in-order accounting of documents, warnings and --strict. */
#include "longweave/docflow.h"

#include <cjson/cJSON.h>
#include <omp.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "longweave/vec.h"

uint64_t lw_doc_stats_skipped_total(const lw_doc_stats *s)
{
    uint64_t n = 0;
    for (int i = 1; i < LW_SKIP_COUNT_; i++)
        n += s->skipped[i];
    return n;
}

cJSON *lw_doc_stats_json(const lw_doc_stats *s)
{
    cJSON *o = cJSON_CreateObject();
    bool ok = cJSON_AddNumberToObject(o, "input_files", (double)s->input_files) != NULL;
    ok &= cJSON_AddNumberToObject(o, "ignored_files", (double)s->ignored_files) != NULL;
    ok &= cJSON_AddNumberToObject(o, "unreadable_files", (double)s->unreadable_files) != NULL;
    ok &= cJSON_AddNumberToObject(o, "empty_files", (double)s->empty_files) != NULL;
    ok &= cJSON_AddNumberToObject(o, "blank_lines", (double)s->blank_lines) != NULL;
    ok &= cJSON_AddNumberToObject(o, "documents_read", (double)s->docs_read) != NULL;
    ok &= cJSON_AddNumberToObject(o, "documents_written", (double)s->docs_written) != NULL;
    ok &= cJSON_AddNumberToObject(o, "documents_skipped",
                                  (double)lw_doc_stats_skipped_total(s)) != NULL;
    cJSON *sk = cJSON_AddObjectToObject(o, "skipped");
    ok &= sk != NULL;
    for (int i = 1; i < LW_SKIP_COUNT_; i++)
        ok &= cJSON_AddNumberToObject(sk, lw_skip_name((lw_skip)i), (double)s->skipped[i]) != NULL;
    ok &= cJSON_AddNumberToObject(o, "utf8_repaired_documents",
                                  (double)s->utf8_repaired_docs) != NULL;
    ok &= cJSON_AddNumberToObject(o, "utf8_replacements", (double)s->utf8_replacements) != NULL;
    ok &= cJSON_AddNumberToObject(o, "bytes_read", (double)s->bytes_read) != NULL;
    ok &= cJSON_AddNumberToObject(o, "bytes_decoded", (double)s->bytes_decoded) != NULL;
    ok &= cJSON_AddNumberToObject(o, "bytes_written", (double)s->bytes_written) != NULL;
    ok &= cJSON_AddNumberToObject(o, "bytes_written_uncompressed",
                                  (double)s->bytes_written_raw) != NULL;
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

lw_status lw_batch_fill(lw_batch *b, lw_reader *r, size_t target_bytes, size_t max_units,
                        bool *more, lw_error *err)
{
    b->count = 0;
    b->data.len = 0;
    *more = true;
    /* Units keep offsets into b->data while it may move; pointers are set last. */
    while (b->count < max_units && (b->count == 0 || b->data.len < target_bytes)) {
        lw_unit u;
        bool got;
        lw_status st = lw_reader_next(r, &u, &got, err);
        if (st)
            return st;
        if (!got) {
            *more = false;
            break;
        }
        if (!LW_VEC_GROW(&b->units, &b->cap, b->count + 1))
            return lw_error_set(err, LW_E_NOMEM, "out of memory");
        size_t at = b->data.len;
        if (u.data && lw_buf_append(&b->data, u.data, u.len))
            return lw_error_set(err, LW_E_NOMEM, "out of memory (document of %zu bytes)", u.len);
        u.data = (const char *)(uintptr_t)(u.data ? at : SIZE_MAX);
        b->units[b->count++] = u;
    }
    for (size_t i = 0; i < b->count; i++) {
        uintptr_t at = (uintptr_t)b->units[i].data;
        b->units[i].data = at == SIZE_MAX ? NULL : b->data.data + at;
    }
    lw_reader_consumed(r, &b->end_on_disk, &b->end_decoded);
    return LW_OK;
}

static int by_size_desc(const void *a, const void *b, void *ctx)
{
    const lw_batch *batch = ctx;
    size_t i = *(const size_t *)a, j = *(const size_t *)b;
    size_t li = batch->units[i].len, lj = batch->units[j].len;
    if (li != lj)
        return li > lj ? -1 : 1;
    return i < j ? -1 : i > j;
}

/* Only documents this large are worth ordering; the many small ones follow
 * in input order (sorting 64K one-line documents showed up in profiles). */
enum { BIG_UNIT = 64 << 10 };

int lw_batch_order_by_size(const lw_batch *b, size_t **order, size_t *cap)
{
    if (b->count > *cap) {
        size_t *p = realloc(*order, b->count * sizeof *p);
        if (!p)
            return -1;
        *order = p;
        *cap = b->count;
    }
    size_t big = 0;
    for (size_t i = 0; i < b->count; i++)
        if (b->units[i].len >= BIG_UNIT)
            (*order)[big++] = i;
    qsort_r(*order, big, sizeof **order, by_size_desc, (void *)b);
    size_t k = big;
    for (size_t i = 0; i < b->count; i++)
        if (b->units[i].len < BIG_UNIT)
            (*order)[k++] = i;
    return 0;
}

void lw_batch_free(lw_batch *b)
{
    free(b->units);
    lw_buf_free(&b->data);
    memset(b, 0, sizeof *b);
}

lw_status lw_pipeline_run(const lw_pipeline *p, lw_reader *r, lw_error *err)
{
    lw_batch batches[2] = {{0}};
    size_t *order = NULL, order_cap = 0;
    lw_error read_err = {0}, commit_err = {0};
    lw_status read_st = LW_OK;
    bool more = true;
    int cur = 0, pending = -1; /* the slot processed but not yet committed */
    lw_status st = lw_batch_fill(&batches[cur], r, p->batch_bytes, p->batch_units, &more, err);
    while (!st && batches[cur].count > 0) {
        lw_batch *b = &batches[cur], *next = &batches[1 - cur];
        if ((st = p->prepare(p->ctx, b, cur, err)))
            break;
        if (lw_batch_order_by_size(b, &order, &order_cap)) {
            st = lw_error_set(err, LW_E_NOMEM, "out of memory");
            break;
        }
        bool read_next = more;
        lw_status commit_st = LW_OK;
        long n = (long)b->count;
#pragma omp parallel num_threads(p->threads)
        {
            /* Thread 0 commits the batch before (it is in the other slot),
             * then reads the next one into that slot, then joins the loop
             * late: the dynamic schedule hands it whatever units are left. */
            if (omp_get_thread_num() == 0) {
                if (pending >= 0)
                    commit_st = p->commit(p->ctx, next, pending, &commit_err);
                if (!commit_st && read_next)
                    read_st = lw_batch_fill(next, r, p->batch_bytes, p->batch_units, &more,
                                            &read_err);
            }
#pragma omp for schedule(dynamic, 1)
            for (long k = 0; k < n; k++)
                p->process(p->ctx, b, cur, order[k], omp_get_thread_num());
        }
        pending = -1;
        if (commit_st) {
            if (err)
                *err = commit_err;
            st = commit_st;
            break;
        }
        if (p->overlap_commit)
            pending = cur;
        else if ((st = p->commit(p->ctx, b, cur, err)))
            break;
        if (read_st || !read_next)
            break;
        cur = 1 - cur;
    }
    if (!st && pending >= 0)
        st = p->commit(p->ctx, &batches[pending], pending, err);
    if (!st && read_st) { /* reported after the batches before it are committed */
        if (err)
            *err = read_err;
        st = read_st;
    }
    lw_batch_free(&batches[0]);
    lw_batch_free(&batches[1]);
    free(order);
    return st;
}

lw_status lw_docflow_loc(lw_docflow *f, const lw_unit *u, lw_loc *loc, lw_error *err)
{
    memset(loc, 0, sizeof *loc);
    loc->path = f->inputs->files[u->file].path;
    if (u->kind == LW_UNIT_CORRUPT) {
        loc->offset = u->offset;
        loc->has_offset = 1;
        return LW_OK;
    }
    if (u->format == LW_FORMAT_TEXT || u->line == 0)
        return LW_OK;
    uint64_t base = 0;
    if (u->line_origin != 0) {
        if (!f->cached || f->cached_file != u->file || f->cached_origin != u->line_origin) {
            lw_status st = lw_count_newlines(loc->path, u->line_origin, &f->cached_base, err);
            if (st)
                return st;
            f->cached = true;
            f->cached_file = u->file;
            f->cached_origin = u->line_origin;
        }
        base = f->cached_base;
    }
    loc->line = base + u->line;
    return LW_OK;
}

static lw_status report(lw_docflow *f, const lw_unit *u, lw_skip why, const char *what,
                        bool fatal, lw_error *err)
{
    lw_loc loc;
    lw_status st = lw_docflow_loc(f, u, &loc, err);
    if (st)
        return st;
    char where[600];
    lw_loc_format(&loc, where, sizeof where);
    char msg[LW_ERROR_MSG_MAX];
    snprintf(msg, sizeof msg, "%s: %s", where, what);
    if (why == LW_SKIP_MISSING_TEXT && !f->first_missing[0])
        snprintf(f->first_missing, sizeof f->first_missing, "%.590s", msg);
    if (fatal)
        return lw_error_set(err, LW_E_DATA, "%s", msg);
    if (f->warn)
        f->warn(f->warn_ctx, why, msg);
    return LW_OK;
}

lw_status lw_docflow_skip(lw_docflow *f, const lw_unit *u, lw_skip why, const char *detail,
                          lw_error *err)
{
    f->stats->docs_read++;
    f->stats->skipped[why]++;
    bool bad = lw_skip_is_bad_input(why);
    if (!bad && why != LW_SKIP_REGEX_ERROR)
        return LW_OK;
    bool fatal = (bad && f->strict) || (why == LW_SKIP_INVALID_UTF8 && f->utf8 == LW_UTF8_STRICT);
    char what[400];
    snprintf(what, sizeof what, "%s [%s]", detail && *detail ? detail : lw_skip_name(why),
             lw_skip_name(why));
    return report(f, u, why, what, fatal, err);
}

lw_status lw_docflow_unit(lw_docflow *f, const lw_unit *u, bool *handled, lw_error *err)
{
    *handled = true;
    char detail[300];
    switch (u->kind) {
    case LW_UNIT_DOC:
        *handled = false;
        return LW_OK;
    case LW_UNIT_TOO_LARGE:
        snprintf(detail, sizeof detail, "document of %zu bytes is over --max-doc-bytes", u->len);
        return lw_docflow_skip(f, u, LW_SKIP_TOO_LARGE, detail, err);
    case LW_UNIT_CORRUPT:
        snprintf(detail, sizeof detail, "%.*s; the rest of the file is lost", (int)u->len,
                 u->data ? u->data : "");
        return lw_docflow_skip(f, u, LW_SKIP_CORRUPT_INPUT, detail, err);
    case LW_UNIT_EMPTY_FILE:
        f->stats->empty_files++;
        /* An empty file holds no documents: worth a warning, never an error. */
        return report(f, u, LW_SKIP_NONE, "empty file (no documents)", false, err);
    case LW_UNIT_NOTE:
        snprintf(detail, sizeof detail, "%.*s", (int)u->len, u->data ? u->data : "");
        return report(f, u, LW_SKIP_NONE, detail, false, err);
    }
    return LW_OK;
}

lw_status lw_docflow_check_end(const lw_docflow *f, const char *text_key, lw_error *err)
{
    const lw_doc_stats *s = f->stats;
    uint64_t missing = s->skipped[LW_SKIP_MISSING_TEXT];
    if (s->docs_written > 0 || missing == 0)
        return LW_OK;
    /* Did any document have the field? Then the keys are right and the
     * documents went for other reasons, which the counts already say. */
    static const lw_skip had_text[] = {LW_SKIP_TEXT_NOT_STRING, LW_SKIP_INVALID_UTF8,
                                       LW_SKIP_NUL};
    for (size_t i = 0; i < sizeof had_text / sizeof *had_text; i++)
        if (s->skipped[had_text[i]])
            return LW_OK;
    for (int i = LW_SKIP_FILTER_FIRST_; i < LW_SKIP_COUNT_; i++)
        if (s->skipped[i])
            return LW_OK;
    return lw_error_set(err, LW_E_DATA,
                        "no document has the \"%.100s\" field, so none was written (%" PRIu64
                        " of %" PRIu64 " skipped as missing_text; the first: %.600s); name the "
                        "field that holds the text with --text-key",
                        text_key ? text_key : "text", missing, s->docs_read, f->first_missing);
}

lw_status lw_docflow_default_id(lw_docflow *f, const lw_unit *u, lw_buf *out, lw_error *err)
{
    lw_loc loc;
    lw_status st = lw_docflow_loc(f, u, &loc, err);
    if (st)
        return st;
    int rc = loc.line ? lw_buf_printf(out, "%s:%" PRIu64, loc.path, loc.line)
                      : lw_buf_puts(out, loc.path);
    return rc ? lw_error_set(err, LW_E_NOMEM, "out of memory") : LW_OK;
}
