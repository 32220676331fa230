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
    j->out.f.fd = -1;
    w->dtype = "int64";
    char *p = seqw_path(w, ".jsonl");
    lw_status st = p ? lw_bufout_open(&j->out, p, true, err)
                     : lw_error_set(err, LW_E_NOMEM, "out of memory");
    free(p);
    return st ? st : seqw_register(w, &j->out.f, err);
}

static lw_status put_array(lw_bufout *b, const uint32_t *ids, const uint8_t *mask, size_t n,
                           lw_error *err)
{
    char num[16];
    lw_status st = lw_bufout_put(b, "[", 1, err);
    for (size_t i = 0; i < n && !st; i++) {
        int len = mask && !mask[i] ? snprintf(num, sizeof num, "%s-100", i ? "," : "")
                                   : snprintf(num, sizeof num, "%s%u", i ? "," : "", ids[i]);
        st = lw_bufout_put(b, num, (size_t)len, err);
    }
    return st ? st : lw_bufout_put(b, "]", 1, err);
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
