/* The CIP map companion (cip_map.h): its lines, its check, its merge. */
#include "longweave/cip_map.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "longweave/fileio.h"
#include "longweave/outfile.h"
#include "longweave/verify.h"

int lw_cip_map_line(lw_buf *m, uint64_t seq, const lw_cip_span *spans, size_t n)
{
    int rc = lw_buf_printf(m, "{\"seq\":%llu,\"chunks\":[", (unsigned long long)seq);
    for (size_t i = 0; i < n && !rc; i++)
        rc = lw_buf_printf(m, "%s[%lld,%lld,%llu,%llu]", i ? "," : "", (long long)spans[i].doc,
                           (long long)spans[i].chunk, (unsigned long long)spans[i].start,
                           (unsigned long long)spans[i].length);
    return rc || lw_buf_puts(m, "]}\n");
}

/* Call fn on every line of a mapped file, with its 1-based number; stops
 * when fn returns false. */
typedef bool (*line_fn)(void *ctx, uint64_t line, const char *s, size_t n);

static lw_status each_line(const char *path, line_fn fn, void *ctx, lw_error *err)
{
    void *map = NULL;
    size_t size = 0;
    lw_status st = lw_file_map(path, &map, &size, err);
    if (st)
        return st;
    const char *p = map, *end = p + size;
    uint64_t line = 0;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        if (!fn(ctx, ++line, p, n))
            break;
        p += n + 1;
    }
    lw_file_unmap(map, size);
    return LW_OK;
}

/* ---- verify ---- */

typedef struct {
    lw_verify_sink *sink;
    const char *path;
    uint32_t seq_len;
    uint64_t lines;
    bool bad;
} check_state;

static bool check_line(void *ctx, uint64_t line, const char *s, size_t n)
{
    check_state *m = ctx;
    cJSON *o = cJSON_ParseWithLength(s, n);
    const cJSON *seq = cJSON_GetObjectItem(o, "seq"), *chunks = cJSON_GetObjectItem(o, "chunks");
    const cJSON *c;
    double sum = 0;
    bool ok = cJSON_IsNumber(seq) && cJSON_IsArray(chunks);
    cJSON_ArrayForEach(c, chunks)
    {
        if (cJSON_GetArraySize(c) != 4)
            ok = false;
        else
            sum += cJSON_GetNumberValue(cJSON_GetArrayItem(c, 3));
    }
    if (!ok || cJSON_GetNumberValue(seq) != (double)m->lines || sum != m->seq_len) {
        lw_verify_report(m->sink, LW_VERIFY_MAP, "%s:%llu: %s", m->path, (unsigned long long)line,
                         !ok ? "not {\"seq\": N, \"chunks\": [[doc, chunk, start, length], ...]}"
                         : cJSON_GetNumberValue(seq) != (double)m->lines
                             ? "sequences are not numbered in order"
                             : "chunk lengths do not add up to the sequence length");
        m->bad = true;
        cJSON_Delete(o);
        return false;
    }
    m->lines++;
    cJSON_Delete(o);
    return true;
}

static void map_verify(lw_verify_sink *sink, const char *prefix, const lw_manifest *m,
                       int64_t sequences)
{
    (void)m;
    char *path = lw_concat(prefix, LW_CIP_MAP_SUFFIX, "");
    if (!path)
        return;
    check_state c = {sink, path, lw_layout_bucket_len(prefix), 0, false};
    lw_error e;
    if (!c.seq_len)
        lw_verify_report(sink, LW_VERIFY_MAP, "%s: not inside a len-NNNNNNN bucket", path);
    else if (each_line(path, check_line, &c, &e))
        lw_verify_report(sink, LW_VERIFY_MAP, "%s", e.msg);
    else if (!c.bad && sequences >= 0 && c.lines != (uint64_t)sequences)
        lw_verify_report(sink, LW_VERIFY_MAP, "%s: %llu lines for %lld sequences", path,
                         (unsigned long long)c.lines, (long long)sequences);
    free(path);
}

/* ---- merge ---- */

typedef struct {
    lw_outfile *out;
    const char *path;
    uint64_t seq;
    int64_t shift;
    lw_status st;
    lw_error *err;
} join_state;

static bool join_line(void *ctx, uint64_t line, const char *s, size_t n)
{
    join_state *j = ctx;
    cJSON *o = cJSON_ParseWithLength(s, n);
    cJSON *chunks = cJSON_GetObjectItem(o, "chunks"), *c;
    if (!cJSON_IsArray(chunks)) {
        lw_loc loc = {j->path, line, 0, 0};
        j->st = lw_error_at(j->err, LW_E_DATA, &loc, "not a CIP map line");
    } else {
        cJSON_ReplaceItemInObject(o, "seq", cJSON_CreateNumber((double)j->seq++));
        cJSON_ArrayForEach(c, chunks)
        {
            cJSON *doc = cJSON_GetArrayItem(c, 0);
            if (cJSON_IsNumber(doc) && doc->valuedouble >= 0)
                cJSON_SetNumberValue(doc, doc->valuedouble + (double)j->shift);
        }
        char *text = cJSON_PrintUnformatted(o);
        if (!text)
            j->st = lw_error_set(j->err, LW_E_NOMEM, "out of memory");
        else if (!(j->st = lw_outfile_write(j->out, text, strlen(text), j->err)))
            j->st = lw_outfile_write(j->out, "\n", 1, j->err);
        free(text);
    }
    cJSON_Delete(o);
    return j->st == LW_OK;
}

/* Sequences renumbered across the parts, documents made global. A part
 * that read a token dataset numbers documents as that dataset does
 * (first..end-1); one that tokenized its own slice of text numbers them from
 * 0 (first = 0). Either way, part i's numbers move by
 * first_0 + (documents of the parts before i) - first_i: nothing for the
 * former, the count of earlier documents for the latter, and the result
 * numbers the documents of the merged parts as one run over them would. */
static lw_status map_merge(const char *const *parts, const lw_manifest *const *ms, size_t n,
                           const char *out, lw_outfile ***files, size_t *n_files, lw_error *err)
{
    lw_outfile *f;
    lw_status st = lw_companion_file_open(out, LW_CIP_MAP_SUFFIX, &f, err);
    if (st)
        return st;
    join_state j = {f, NULL, 0, 0, LW_OK, err};
    int64_t before = 0; /* documents of the parts before i */
    for (size_t i = 0; i < n && !st; i++) {
        const lw_manifest *m = ms[i];
        int64_t first = m ? m->first_document : -1, first0 = ms[0] ? ms[0]->first_document : -1;
        j.shift = first >= 0 && first0 >= 0 ? first0 + before - first : 0;
        if (first >= 0)
            before += m->end_document - first;
        char *in = lw_concat(parts[i], LW_CIP_MAP_SUFFIX, "");
        j.path = in;
        st = in ? each_line(in, join_line, &j, err) : lw_error_set(err, LW_E_NOMEM, "out of "
                                                                   "memory");
        if (!st)
            st = j.st;
        free(in);
    }
    return lw_companion_file_done(f, st, files, n_files, err);
}

const lw_companion lw_cip_map_companion = {
    .role = LW_CIP_MAP_ROLE, .lineage = true, .verify = map_verify, .merge = map_merge};
