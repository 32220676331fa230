/* tokenizer.json with a Unigram model: the model loader, and a minimal
 * pipeline around it (Metaspace pre-tokenizer as HF's pre_tokenizers/
 * metaspace.rs does it, added tokens, a decode) for the current loader. */
#include "hf_unigram.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tok_internal.h"

enum { PREPEND_NEVER, PREPEND_FIRST, PREPEND_ALWAYS };

struct lw_hf_unigram {
    lw_unigram *model;
    bool metaspace;
    char rep[8]; /* the replacement character, UTF-8 */
    size_t rep_len;
    int prepend;
    bool split;
};

struct lw_hf_unigram_scratch {
    lw_unigram_scratch *model;
    lw_buf text;
};

lw_status lw_hf_unigram_load(lw_unigram **out, const cJSON *model, const char *path,
                             lw_error *err)
{
    *out = NULL;
    const cJSON *vocab = cJSON_GetObjectItem(model, "vocab");
    if (!cJSON_IsArray(vocab))
        return lw_error_set(err, LW_E_DATA, "%s: the Unigram model has no vocab array", path);
    const cJSON *unk = cJSON_GetObjectItem(model, "unk_id");
    int64_t unk_id = -1;
    if (unk && !cJSON_IsNull(unk)) {
        if (!cJSON_IsNumber(unk) || unk->valuedouble < 0 || unk->valuedouble >= 16777216 ||
            unk->valuedouble != (double)(int64_t)unk->valuedouble)
            return lw_error_set(err, LW_E_DATA, "%s: the Unigram unk_id is not an id", path);
        unk_id = (int64_t)unk->valuedouble;
    }
    int n = cJSON_GetArraySize(vocab);
    if (n >= 16777216)
        return lw_error_set(err, LW_E_DATA, "%s: the Unigram vocab has %d pieces", path, n);
    lw_unigram *u = lw_unigram_new((uint32_t)n);
    if (!u)
        return lw_error_set(err, LW_E_NOMEM, "out of memory loading %s", path);
    uint32_t id = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, vocab)
    {
        const cJSON *p = cJSON_GetArrayItem(e, 0), *sc = cJSON_GetArrayItem(e, 1);
        if (!cJSON_IsArray(e) || cJSON_GetArraySize(e) != 2 || !cJSON_IsString(p) ||
            !cJSON_IsNumber(sc)) {
            lw_unigram_free(u);
            return lw_error_set(err, LW_E_DATA, "%s: Unigram vocab entry %u is not "
                                "[piece, score]", path, id);
        }
        if (lw_unigram_set(u, id++, p->valuestring, strlen(p->valuestring), sc->valuedouble)) {
            lw_unigram_free(u);
            return lw_error_set(err, LW_E_NOMEM, "out of memory loading %s", path);
        }
    }
    lw_error e2;
    lw_status st = lw_unigram_build(u, unk_id, cJSON_IsTrue(cJSON_GetObjectItem(model,
                                                                                "byte_fallback")),
                                    &e2);
    if (st) {
        lw_unigram_free(u);
        return lw_error_set(err, st, "%s: %s", path, e2.msg);
    }
    *out = u;
    return LW_OK;
}

static lw_status metaspace(lw_hf_unigram *h, const cJSON *pt, const char *path, lw_error *err)
{
    const char *rep = cJSON_GetStringValue(cJSON_GetObjectItem(pt, "replacement"));
    if (!rep)
        rep = "\xe2\x96\x81"; /* U+2581 */
    size_t n = strlen(rep);
    if (n == 0 || n >= sizeof h->rep)
        return lw_error_set(err, LW_E_DATA, "%s: Metaspace replacement '%s' is not one character",
                            path, rep);
    memcpy(h->rep, rep, n + 1);
    h->rep_len = n;
    const char *scheme = cJSON_GetStringValue(cJSON_GetObjectItem(pt, "prepend_scheme"));
    if (!scheme) /* the older files: add_prefix_space */
        h->prepend = cJSON_IsFalse(cJSON_GetObjectItem(pt, "add_prefix_space")) ? PREPEND_NEVER
                                                                                 : PREPEND_ALWAYS;
    else if (strcmp(scheme, "always") == 0)
        h->prepend = PREPEND_ALWAYS;
    else if (strcmp(scheme, "first") == 0)
        h->prepend = PREPEND_FIRST;
    else if (strcmp(scheme, "never") == 0)
        h->prepend = PREPEND_NEVER;
    else
        return lw_error_set(err, LW_E_DATA, "%s: Metaspace prepend_scheme '%s' is unknown", path,
                            scheme);
    h->split = !cJSON_IsFalse(cJSON_GetObjectItem(pt, "split"));
    h->metaspace = true;
    return LW_OK;
}

lw_status lw_hf_unigram_tokenizer(lw_tokenizer *t, const cJSON *root, lw_error *err)
{
    const char *path = t->path;
    const cJSON *norm = cJSON_GetObjectItem(root, "normalizer");
    if (norm && !cJSON_IsNull(norm)) {
        const char *nt = cJSON_GetStringValue(cJSON_GetObjectItem(norm, "type"));
        if (!nt || strcmp(nt, "NFC") != 0)
            return lw_error_set(err, LW_E_DATA, "%s: normalizer '%s' is not supported with the "
                                "Unigram model (only none or NFC)", path, nt ? nt : "?");
        t->nfc = true;
    }
    lw_hf_unigram *h = calloc(1, sizeof *h);
    if (!h)
        return lw_error_set(err, LW_E_NOMEM, "out of memory loading %s", path);
    t->unigram = h;
    const cJSON *pt = cJSON_GetObjectItem(root, "pre_tokenizer");
    if (pt && !cJSON_IsNull(pt)) {
        const char *type = cJSON_GetStringValue(cJSON_GetObjectItem(pt, "type"));
        if (!type || strcmp(type, "Metaspace") != 0)
            return lw_error_set(err, LW_E_DATA, "%s: pre-tokenizer '%s' is not supported with "
                                "the Unigram model (only Metaspace or none)", path,
                                type ? type : "?");
        lw_status st = metaspace(h, pt, path, err);
        if (st)
            return st;
    }
    lw_status st = lw_hf_unigram_load(&h->model, cJSON_GetObjectItem(root, "model"), path, err);
    if (st)
        return st;
    uint32_t vocab_size = lw_unigram_size(h->model);
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(root, "added_tokens"))
    {
        const char *content = cJSON_GetStringValue(cJSON_GetObjectItem(e, "content"));
        double id = cJSON_GetNumberValue(cJSON_GetObjectItem(e, "id"));
        if (!content || !(id >= 0 && id < 16777216))
            continue;
        if (lw_tok_add_special(t, content, (uint32_t)id, false))
            return lw_error_set(err, LW_E_NOMEM, "out of memory");
        if ((uint32_t)id + 1 > vocab_size)
            vocab_size = (uint32_t)id + 1;
    }
    static const char *const bos[] = {"<s>", "<bos>", "<|begin_of_text|>"};
    static const char *const eos[] = {"</s>", "<eos>", "<|endoftext|>"};
    static const char *const pad[] = {"<pad>", "<|pad|>"};
    static const char *const unk[] = {"<unk>"};
    t->bos = lw_tok_find_special(t, bos, 3);
    t->eos = lw_tok_find_special(t, eos, 3);
    t->pad = lw_tok_find_special(t, pad, 2);
    t->unk = lw_unigram_unk_id(h->model) >= 0 ? lw_unigram_unk_id(h->model)
                                               : lw_tok_find_special(t, unk, 1);
    t->vocab_size = vocab_size;
    t->kind = LW_TOK_HF_UNIGRAM;
    snprintf(t->name, sizeof t->name, "hf-unigram-%u", vocab_size);
    return LW_OK;
}

void lw_hf_unigram_free(lw_hf_unigram *h)
{
    if (!h)
        return;
    lw_unigram_free(h->model);
    free(h);
}

const lw_unigram *lw_hf_unigram_model(const lw_hf_unigram *h) { return h->model; }

lw_hf_unigram_scratch *lw_hf_unigram_scratch_new(void)
{
    lw_hf_unigram_scratch *s = calloc(1, sizeof *s);
    if (s && !(s->model = lw_unigram_scratch_new())) {
        free(s);
        return NULL;
    }
    return s;
}

void lw_hf_unigram_scratch_free(lw_hf_unigram_scratch *s)
{
    if (!s)
        return;
    lw_unigram_scratch_free(s->model);
    lw_buf_free(&s->text);
    free(s);
}

lw_status lw_hf_unigram_encode(const lw_hf_unigram *h, lw_hf_unigram_scratch *s,
                               const char *text, size_t len, lw_ids *out, lw_error *err)
{
    if (!h->metaspace)
        return lw_unigram_encode(h->model, s->model, text, len, out, err);
    if (len == 0)
        return LW_OK; /* HF prepends nothing to an empty text */
    /* Metaspace: every ' ' becomes the replacement, one is prepended unless
     * the text starts with it (the whole text is the first section), and
     * with split the text breaks before each replacement (MergedWithNext). */
    lw_buf *b = &s->text;
    b->len = 0;
    bool oom = false;
    if (h->prepend != PREPEND_NEVER &&
        !(len >= h->rep_len && memcmp(text, h->rep, h->rep_len) == 0) &&
        !(text[0] == ' '))
        oom |= lw_buf_append(b, h->rep, h->rep_len) != 0;
    for (size_t i = 0; i < len && !oom;) {
        const char *sp = memchr(text + i, ' ', len - i);
        size_t stop = sp ? (size_t)(sp - text) : len;
        oom |= lw_buf_append(b, text + i, stop - i) != 0;
        if (sp)
            oom |= lw_buf_append(b, h->rep, h->rep_len) != 0;
        i = stop + (sp != NULL);
    }
    if (oom)
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    const char *p = b->data;
    size_t n = b->len;
    if (!h->split)
        return lw_unigram_encode(h->model, s->model, p, n, out, err);
    size_t start = 0;
    for (size_t i = 1; i + h->rep_len <= n; i++) {
        if (memcmp(p + i, h->rep, h->rep_len) != 0)
            continue;
        lw_status st = lw_unigram_encode(h->model, s->model, p + start, i - start, out, err);
        if (st)
            return st;
        start = i;
        i += h->rep_len - 1;
    }
    return lw_unigram_encode(h->model, s->model, p + start, n - start, out, err);
}

static int hex(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

lw_status lw_hf_unigram_decode(const lw_tokenizer *t, const uint32_t *ids, size_t n,
                               lw_buf *out, lw_error *err)
{
    const lw_hf_unigram *h = t->unigram;
    for (size_t i = 0; i < n; i++) {
        const char *p;
        size_t len;
        if (lw_tok_id_to_piece(t, ids[i], &p, &len))
            return lw_error_set(err, LW_E_DATA, "token id %u has no piece", ids[i]);
        bool oom = false;
        if (len == 6 && memcmp(p, "<0x", 3) == 0 && p[5] == '>' && hex(p[3]) >= 0 &&
            hex(p[4]) >= 0) { /* HF's ByteFallback decoder */
            char c = (char)(hex(p[3]) << 4 | hex(p[4]));
            oom = lw_buf_append(out, &c, 1) != 0;
        } else if (!h->metaspace) {
            oom = lw_buf_append(out, p, len) != 0;
        } else {
            size_t start = out->len;
            for (size_t k = 0; k < len && !oom;) {
                if (k + h->rep_len <= len && memcmp(p + k, h->rep, h->rep_len) == 0) {
                    oom = lw_buf_append(out, " ", 1) != 0;
                    k += h->rep_len;
                } else {
                    oom = lw_buf_append(out, p + k, 1) != 0;
                    k++;
                }
            }
            /* the first token loses the space the pre-tokenizer prepended */
            if (!oom && i == 0 && h->prepend != PREPEND_NEVER && out->len > start &&
                out->data[start] == ' ') {
                memmove(out->data + start, out->data + start + 1, out->len - start - 1);
                out->len--;
            }
        }
        if (oom)
            return lw_error_set(err, LW_E_NOMEM, "out of memory");
    }
    return LW_OK;
}
