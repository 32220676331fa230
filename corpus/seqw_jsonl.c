/* lw_seqw backend: pre-tokenized JSON Lines as TRL and axolotl take them,
 * {"input_ids": [...]} per sequence, with "labels" (the ids, -100 where the
 * loss mask is 0) for masked outputs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "longweave/bufout.h"
#include "seqwriter_internal.h"

typedef struct {
    lw_bufout out;
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

static lw_status js_add(lw_seqw *w, const uint32_t *ids, const uint8_t *mask, size_t n,
                        const uint32_t *doc_ends, size_t n_docs, lw_error *err)
{
    (void)doc_ends;
    (void)n_docs;
    jsonl_impl *j = w->impl;
    static const char head[] = "{\"input_ids\":", labels[] = ",\"labels\":";
    lw_status st = lw_bufout_put(&j->out, head, sizeof head - 1, err);
    if (!st)
        st = put_array(&j->out, ids, NULL, n, err);
    if (!st && mask && !(st = lw_bufout_put(&j->out, labels, sizeof labels - 1, err)))
        st = put_array(&j->out, ids, mask, n, err);
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
    free(j);
}

const seqw_backend seqw_jsonl = {true, js_open, js_add, js_start_mask,
                                 js_finish, js_free, NULL};
