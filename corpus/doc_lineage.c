/* The document lineage companion (doc_lineage.h): its lines, its index, its
 * check and its merge. */
#include "longweave/doc_lineage.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "longweave/fileio.h"
#include "longweave/json_out.h"
#include "longweave/megatron.h"
#include "longweave/outfile.h"
#include "longweave/verify.h"

int lw_docs_line(lw_buf *out, const char *id, size_t id_len, const char *source,
                 size_t source_len)
{
    return lw_buf_puts(out, "{\"id\":") || lw_buf_append(out, id, id_len) ||
           lw_buf_puts(out, ",\"source\":") || lw_buf_append(out, source, source_len) ||
           lw_buf_puts(out, "}\n");
}

lw_status lw_docs_index_open(lw_docs_index *x, const char *prefix, uint64_t documents,
                             lw_error *err)
{
    memset(x, 0, sizeof *x);
    if (!(x->path = lw_concat(prefix, LW_DOCS_SUFFIX, "")))
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    lw_status st = lw_file_map(x->path, &x->map, &x->size, err);
    if (st) {
        lw_docs_index_close(x);
        return st;
    }
    if (!(x->off = malloc((documents + 1) * sizeof *x->off))) {
        lw_docs_index_close(x);
        return lw_error_set(err, LW_E_NOMEM, "out of memory for the lines of %s", prefix);
    }
    const char *p = x->size ? x->map : "", *end = p + x->size;
    uint64_t n = 0;
    x->off[0] = 0;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl || n == documents) {
            st = lw_error_set(err, LW_E_DATA, "%s: %s", x->path, !nl ? "the last line has no "
                              "newline (cut short?)" : "more lines than the dataset has "
                              "documents");
            break;
        }
        p = nl + 1;
        x->off[++n] = (uint64_t)(p - (const char *)x->map);
    }
    if (!st && n != documents)
        st = lw_error_set(err, LW_E_DATA, "%s: %llu lines for %llu documents", x->path,
                          (unsigned long long)n, (unsigned long long)documents);
    if (st) {
        lw_docs_index_close(x);
        return st;
    }
    x->n = n;
    return LW_OK;
}

const char *lw_docs_index_line(const lw_docs_index *x, uint64_t i, size_t *len)
{
    *len = (size_t)(x->off[i + 1] - x->off[i] - 1);
    return (const char *)x->map + x->off[i];
}

void lw_docs_index_close(lw_docs_index *x)
{
    if (x->map)
        lw_file_unmap(x->map, x->size);
    free(x->off);
    free(x->path);
    memset(x, 0, sizeof *x);
}

lw_status lw_docs_index_field(const lw_docs_index *x, uint64_t i, const char *field, lw_buf *out,
                              lw_error *err)
{
    size_t n;
    const char *s = lw_docs_index_line(x, i, &n);
    cJSON *o = cJSON_ParseWithLength(s, n);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, field);
    lw_status st = LW_OK;
    out->len = 0;
    if (!v) {
        lw_loc loc = {x->path, i + 1, 0, 0};
        st = lw_error_at(err, LW_E_DATA, &loc, "not a JSON object with \"%s\"", field);
    } else if ((cJSON_IsString(v) ? lw_buf_puts(out, v->valuestring)
                                  : lw_json_put_value(out, v)) ||
               lw_buf_putc(out, '\0')) {
        st = lw_error_set(err, LW_E_NOMEM, "out of memory");
    } else {
        out->len--; /* NUL-terminated, the NUL not counted */
    }
    cJSON_Delete(o);
    return st;
}

/* ---- verify ---- */

static void docs_verify(lw_verify_sink *sink, const char *prefix, const lw_manifest *m,
                        int64_t sequences)
{
    (void)m;
    /* one line per document: a Megatron dataset says how many it has */
    int64_t documents = sequences;
    lw_megatron_dataset d;
    lw_error e;
    char *idx = lw_concat(prefix, ".idx", "");
    if (idx && access(idx, R_OK) == 0 && lw_megatron_read_index(&d, prefix, &e) == LW_OK) {
        documents = (int64_t)d.documents;
        lw_megatron_close(&d);
    }
    free(idx);
    lw_docs_index x;
    if (documents < 0)
        return;
    if (lw_docs_index_open(&x, prefix, (uint64_t)documents, &e)) {
        lw_verify_report(sink, LW_VERIFY_MAP, "%s", e.msg);
        return;
    }
    for (uint64_t i = 0; i < x.n; i++) {
        size_t n;
        const char *s = lw_docs_index_line(&x, i, &n);
        cJSON *o = cJSON_ParseWithLength(s, n);
        bool ok = cJSON_IsString(cJSON_GetObjectItemCaseSensitive(o, "id")) &&
                  cJSON_GetObjectItemCaseSensitive(o, "source");
        cJSON_Delete(o);
        if (!ok) {
            lw_verify_report(sink, LW_VERIFY_MAP, "%s:%llu: not {\"id\": \"...\", \"source\": "
                             "...}", x.path, (unsigned long long)i + 1);
            break;
        }
    }
    lw_docs_index_close(&x);
}

/* ---- merge ---- */

/* Parts hold consecutive documents and their lines need no renumbering:
 * the merged file is the parts' files one after the other, as one run
 * over all the documents writes it. */
static lw_status docs_merge(const char *const *parts, const lw_manifest *const *ms, size_t n,
                            const char *out, lw_outfile ***files, size_t *n_files, lw_error *err)
{
    (void)ms;
    lw_outfile *f;
    lw_status st = lw_companion_file_open(out, LW_DOCS_SUFFIX, &f, err);
    if (st)
        return st;
    for (size_t i = 0; i < n && !st; i++) {
        char *in = lw_concat(parts[i], LW_DOCS_SUFFIX, "");
        st = in ? lw_outfile_write_file(f, in, err)
                : lw_error_set(err, LW_E_NOMEM, "out of memory");
        free(in);
    }
    return lw_companion_file_done(f, st, files, n_files, err);
}

const lw_companion lw_docs_companion = {
    .role = LW_DOCS_ROLE, .lineage = true, .verify = docs_verify, .merge = docs_merge};
