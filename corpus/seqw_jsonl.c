/* lw_seqw backend: pre-tokenized JSON Lines as TRL and axolotl take them,
 * {"input_ids": [...]} per sequence, with "labels" (the ids, -100 where the
 * loss mask is 0) for masked outputs. A packed sequence (pack) also gets
 * "attention_mask" (1 on the samples, 0 on the padding: axolotl's columns),
 * "position_ids" and "seq_lengths" (each sample's length, then the
 * padding's, summing to the sequence: TRL's padding-free collator rebuilds
 * position ids restarting at each of them). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "longweave/bufout.h"
#include "seqwriter_internal.h"

typedef struct {
    lw_bufout out;
    uint32_t *values; /* scratch for a packed sequence's columns */
    size_t cap;
} jsonl_impl;

static lw_status js_open(lw_seqw *w, lw_error *err)
{
    jsonl_impl *j = calloc(1, sizeof *j);
    if (!(w->impl = j))
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    w->dtype = "int64";
    char *p = seqw_path(w, ".jsonl");
    lw_status st = p ? lw_bufout_open(&j->out, p, true, err)
                     : lw_error_set(err, LW_E_NOMEM, "out of memory");
    free(p);
    return st ? st : seqw_register(w, &j->out.f, err);
}

/* v in decimal at out; its length (at most 10). */
static size_t put_u32(char *out, uint32_t v)
{
    char d[10];
    size_t k = sizeof d;
    do {
        d[--k] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    memcpy(out, d + k, sizeof d - k);
    return sizeof d - k;
}

/* The ids as a JSON array ("-100" where mask is 0), formatted a few
 * thousand at a time into a local buffer rather than a put per id. */
static lw_status put_array(lw_bufout *b, const uint32_t *ids, const uint8_t *mask, size_t n,
                           lw_error *err)
{
    char text[4096 + 16];
    size_t len = 0;
    text[len++] = '[';
    for (size_t i = 0; i < n; i++) {
        if (len > 4096) {
            lw_status st = lw_bufout_put(b, text, len, err);
            if (st)
                return st;
            len = 0;
        }
        if (i)
            text[len++] = ',';
        if (mask && !mask[i]) {
            memcpy(text + len, "-100", 4);
            len += 4;
        } else {
            len += put_u32(text + len, ids[i]);
        }
    }
    text[len++] = ']';
    return lw_bufout_put(b, text, len, err);
}

static lw_status put_key(lw_bufout *b, const char *key, lw_error *err)
{
    lw_status st = lw_bufout_put(b, ",\"", 2, err);
    if (!st)
        st = lw_bufout_put(b, key, strlen(key), err);
    return st ? st : lw_bufout_put(b, "\":", 2, err);
}

/* attention_mask, position_ids and seq_lengths of a packed sequence whose
 * samples end at doc_ends (padding after the last). */
static lw_status put_packed(lw_seqw *w, size_t n, const uint32_t *doc_ends, size_t n_docs,
                            lw_error *err)
{
    jsonl_impl *j = w->impl;
    size_t need = (n > n_docs ? n : n_docs) + 1;
    if (need > j->cap) {
        uint32_t *v = realloc(j->values, need * sizeof *v);
        if (!v)
            return lw_error_set(err, LW_E_NOMEM, "out of memory");
        j->values = v;
        j->cap = need;
    }
    size_t used = n_docs ? doc_ends[n_docs - 1] : 0, k = 0;
    for (size_t i = 0; i < n; i++)
        j->values[i] = i < used;
    lw_status st = put_key(&j->out, "attention_mask", err);
    if (!st)
        st = put_array(&j->out, j->values, NULL, n, err);
    if (!st && !(st = put_key(&j->out, "position_ids", err))) {
        if (w->positions) {
            st = put_array(&j->out, w->positions, NULL, n, err);
        } else {
            for (size_t d = 0, start = 0; d <= n_docs; d++) {
                size_t end = d < n_docs ? doc_ends[d] : n;
                for (size_t i = start; i < end; i++)
                    j->values[i] = (uint32_t)(i - start);
                start = end;
            }
            st = put_array(&j->out, j->values, NULL, n, err);
        }
    }
    for (size_t d = 0; d < n_docs; d++)
        j->values[k++] = doc_ends[d] - (d ? doc_ends[d - 1] : 0);
    if (used < n)
        j->values[k++] = (uint32_t)(n - used);
    if (!st && !(st = put_key(&j->out, "seq_lengths", err)))
        st = put_array(&j->out, j->values, NULL, k, err);
    return st;
}

static lw_status js_add(lw_seqw *w, const uint32_t *ids, const uint8_t *mask, size_t n,
                        const uint32_t *doc_ends, size_t n_docs, lw_error *err)
{
    jsonl_impl *j = w->impl;
    static const char head[] = "{\"input_ids\":";
    lw_status st = lw_bufout_put(&j->out, head, sizeof head - 1, err);
    if (!st)
        st = put_array(&j->out, ids, NULL, n, err);
    if (!st && mask && !(st = put_key(&j->out, "labels", err)))
        st = put_array(&j->out, ids, mask, n, err);
    if (!st && w->packed)
        st = put_packed(w, n, doc_ends, n_docs, err);
    return st ? st : lw_bufout_put(&j->out, "}\n", 2, err);
}

static lw_status js_start_mask(lw_seqw *w, lw_error *err)
{
    (void)w;
    return lw_error_set(err, LW_E_SOFTWARE, "jsonl writes its labels inline");
}

static lw_status js_finish(lw_seqw *w, lw_error *err)
{
    jsonl_impl *j = w->impl;
    return lw_bufout_finish(&j->out, err);
}

static void js_free(lw_seqw *w)
{
    jsonl_impl *j = w->impl;
    if (!j)
        return;
    lw_bufout_release(&j->out);
    free(j->values);
    free(j);
}

const seqw_backend seqw_jsonl = {true, js_open, js_add, js_start_mask,
                                 js_finish, js_free, NULL};
