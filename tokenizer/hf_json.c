/* Loading Hugging Face tokenizer.json files, and encoding and decoding with
 * them: the pipeline's parts are read by hf_normalizer.c, hf_pretokenizer.c,
 * hf_decoder.c and hf_added.c; the model is BPE (bpe.c) over a byte-level
 * vocabulary (with a ByteLevel pre-tokenizer: the vocabulary is kept as
 * bytes) or over a character vocabulary (SentencePiece style, with byte
 * fallback and the unknown token), or Unigram (unigram.c, read by
 * hf_unigram.c), one pipeline for both. Whatever is not implemented is
 * refused by name, never approximated. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hf_internal.h"
#include "hf_unigram.h"
#include "tok_internal.h"

struct lw_hf_scratch {
    lw_split_scratch *ss;
    lw_unigram_scratch *u;
    lw_buf norm;
    hf_pieces a, b;
};

lw_hf_scratch *lw_hf_scratch_new(void)
{
    lw_hf_scratch *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->ss = lw_split_scratch_new();
    s->u = lw_unigram_scratch_new();
    if (!s->ss || !s->u) {
        lw_hf_scratch_free(s);
        return NULL;
    }
    return s;
}

void lw_hf_scratch_free(lw_hf_scratch *s)
{
    if (!s)
        return;
    lw_split_scratch_free(s->ss);
    lw_unigram_scratch_free(s->u);
    lw_buf_free(&s->norm);
    hf_pieces_free(&s->a);
    hf_pieces_free(&s->b);
    free(s);
}

void lw_hf_free(lw_hf *h)
{
    if (!h)
        return;
    for (size_t i = 0; i < h->n_norm; i++) {
        free(h->norm[i].content);
        hf_pattern_free(&h->norm[i].pat);
    }
    for (size_t i = 0; i < h->n_pre; i++)
        hf_pattern_free(&h->pre[i].pat);
    for (size_t i = 0; i < h->n_dec; i++) {
        free(h->dec[i].content);
        hf_pattern_free(&h->dec[i].pat);
    }
    for (size_t i = 0; i < h->n_added; i++)
        free(h->added[i].content);
    free(h->norm);
    free(h->pre);
    free(h->dec);
    free(h->added);
    free(h->raw.tok);
    free(h->normalized.tok);
    free(h);
}

/* The vocabulary string of a token as the model sees it: bytes for a
 * byte-level vocabulary, the string itself otherwise. false: not reachable. */
static bool model_bytes(const lw_hf *h, const int table[324], const char *s, lw_buf *out)
{
    out->len = 0;
    if (h->byte_level)
        return hf_from_byte_level(table, s, strlen(s), out);
    return lw_buf_append(out, s, strlen(s)) == 0;
}

/* The model's options that change ids: what is not implemented is refused;
 * the affixes go into b, as the model sees them. */
static lw_status model_options(const lw_hf *h, const int table[324], const cJSON *model,
                               lw_bpe *b, const char *path, lw_error *err)
{
    const cJSON *d = cJSON_GetObjectItem(model, "dropout");
    if (d && !cJSON_IsNull(d) && !(cJSON_IsNumber(d) && d->valuedouble == 0))
        return lw_error_set(err, LW_E_DATA, "%s: BPE dropout is not supported", path);
    static const char *const affix[] = {"continuing_subword_prefix", "end_of_word_suffix"};
    for (int k = 0; k < 2; k++) {
        const cJSON *a = cJSON_GetObjectItem(model, affix[k]);
        if (!a || cJSON_IsNull(a))
            continue;
        lw_buf m = {0};
        bool ok = cJSON_IsString(a) && model_bytes(h, table, a->valuestring, &m) &&
                  m.len < LW_BPE_AFFIX_MAX;
        if (ok && m.len) /* "" leaves m.data NULL */
            memcpy(k ? b->suffix : b->prefix, m.data, m.len);
        *(k ? &b->suffix_len : &b->prefix_len) = (uint8_t)m.len;
        lw_buf_free(&m);
        if (!ok)
            return lw_error_set(err, LW_E_DATA, "%s: BPE %s '%s' is not supported (a string of "
                                "up to %d bytes%s)", path, affix[k],
                                cJSON_IsString(a) ? a->valuestring : "?", LW_BPE_AFFIX_MAX - 1,
                                h->byte_level ? " in the byte-level alphabet" : "");
    }
    return LW_OK;
}

/* Is the pre-tokenizer chain one the bpe's own split does (one regex split
 * kept whole, or none)? Then *pattern is that regex (NULL: none). */
static bool bpe_can_split(const lw_hf *h, const cJSON *pt, const char **pattern)
{
    *pattern = NULL;
    size_t n = h->n_pre;
    if (n && h->pre[n - 1].type == HF_P_BYTELEVEL) {
        const hf_pre *b = &h->pre[n - 1];
        if (b->prefix_space)
            return false;
        if (b->flag) {
            if (n != 1)
                return false;
            *pattern = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|"
                       "\\s+(?!\\S)|\\s+";
            return true;
        }
        n--;
    }
    if (n == 0)
        return true;
    if (n != 1 || h->pre[0].type != HF_P_SPLIT || h->pre[0].invert ||
        h->pre[0].behavior != HF_ISOLATED || !h->pre[0].pat.has_re)
        return false;
    /* the regex of that Split, from the JSON */
    const cJSON *sp = pt;
    const char *type = cJSON_GetStringValue(cJSON_GetObjectItem(pt, "type"));
    if (type && strcmp(type, "Sequence") == 0)
        sp = cJSON_GetArrayItem(cJSON_GetObjectItem(pt, "pretokenizers"), 0);
    *pattern = cJSON_GetStringValue(
        cJSON_GetObjectItem(cJSON_GetObjectItem(sp, "pattern"), "Regex"));
    return *pattern != NULL;
}

static lw_status load_bpe(lw_tokenizer *t, lw_hf *h, const cJSON *root, const cJSON *model,
                          lw_error *err)
{
    const char *path = t->path;
    const cJSON *vocab = cJSON_GetObjectItem(model, "vocab");
    const cJSON *merges = cJSON_GetObjectItem(model, "merges");
    if (!cJSON_IsObject(vocab) || !cJSON_IsArray(merges))
        return lw_error_set(err, LW_E_DATA, "%s: the BPE model has no vocab and merges", path);
    lw_status st = LW_OK;
    const char *pattern = NULL;
    /* Without added tokens to look for, the bpe's own pre-split does it all
     * (the fast path byte-level files always took). */
    h->fast = bpe_can_split(h, cJSON_GetObjectItem(root, "pre_tokenizer"), &pattern);

    uint32_t n_ids = 0;
    const cJSON *e;
    size_t total = 0;
    cJSON_ArrayForEach(e, vocab)
    {
        if (!cJSON_IsNumber(e) || e->valuedouble < 0 || e->valuedouble >= 16777216)
            return lw_error_set(err, LW_E_DATA, "%s: vocab entry with a bad id", path);
        if ((uint32_t)e->valuedouble + 1 > n_ids)
            n_ids = (uint32_t)e->valuedouble + 1;
        total += strlen(e->string);
    }
    uint32_t vocab_size = n_ids;
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(root, "added_tokens"))
    {
        double id = cJSON_GetNumberValue(cJSON_GetObjectItem(e, "id"));
        if (id >= 0 && id < 16777216 && (uint32_t)id + 1 > vocab_size)
            vocab_size = (uint32_t)id + 1;
    }
    char *bytes = malloc(total + 1);
    uint64_t *offsets = malloc((size_t)(n_ids ? n_ids : 1) * sizeof *offsets);
    uint32_t *lengths = calloc(n_ids ? n_ids : 1, sizeof *lengths);
    if (!bytes || !offsets || !lengths) {
        free(bytes);
        free(offsets);
        free(lengths);
        return lw_error_set(err, LW_E_NOMEM, "out of memory loading %s", path);
    }
    for (uint32_t i = 0; i < n_ids; i++)
        offsets[i] = UINT64_MAX;
    int table[324];
    hf_byte_level_table(table);
    lw_buf tb = {0}, lb = {0}, rb = {0};
    size_t used = 0;
    cJSON_ArrayForEach(e, vocab)
    {
        uint32_t id = (uint32_t)e->valuedouble;
        if (!model_bytes(h, table, e->string, &tb))
            continue; /* e.g. an added token listed in the vocab: not made of bytes */
        memcpy(bytes + used, tb.data, tb.len);
        offsets[id] = used;
        lengths[id] = (uint32_t)tb.len;
        used += tb.len;
    }
    st = lw_bpe_init(&t->bpe, bytes, offsets, lengths, n_ids, h->fast ? pattern : NULL, err);
    if (st)
        goto done;
    lw_bpe *b = &t->bpe;
    if ((st = model_options(h, table, model, b, path, err)))
        goto done;
    /* HF's merged token is the left one and the right one less the length
     * of the prefix (in the file's strings) */
    const cJSON *pj = cJSON_GetObjectItem(model, "continuing_subword_prefix");
    size_t plen = cJSON_IsString(pj) ? strlen(pj->valuestring) : 0;
    b->merge_mode = true;
    b->keep_gaps = true; /* Split "Isolated" keeps unmatched text as pieces */
    b->whole_first = cJSON_IsTrue(cJSON_GetObjectItem(model, "ignore_merges"));
    b->char_symbols = !h->byte_level;
    size_t n_merges = (size_t)cJSON_GetArraySize(merges), cap = 1024;
    while (cap < n_merges * 2)
        cap *= 2;
    b->pairs = malloc(cap * sizeof *b->pairs);
    if (!b->pairs) {
        st = lw_error_set(err, LW_E_NOMEM, "out of memory loading %s", path);
        goto done;
    }
    for (size_t i = 0; i < cap; i++)
        b->pairs[i].id = LW_BPE_NONE;
    b->pair_mask = cap - 1;
    /* Merge sides are found through the bpe's hash, not cJSON's linear
     * object search: vocabularies have 10^5 entries and merges as many. */
    uint32_t rank = 0;
    cJSON_ArrayForEach(e, merges)
    {
        const char *l = NULL, *r = NULL;
        char *split = NULL;
        if (cJSON_IsString(e)) { /* "left right" */
            split = strdup(e->valuestring);
            char *sp = split ? strchr(split, ' ') : NULL;
            if (sp) {
                *sp = '\0';
                l = split;
                r = sp + 1;
            }
        } else if (cJSON_IsArray(e) && cJSON_GetArraySize(e) == 2) { /* ["left", "right"] */
            l = cJSON_GetStringValue(cJSON_GetArrayItem(e, 0));
            r = cJSON_GetStringValue(cJSON_GetArrayItem(e, 1));
        }
        bool ok = l && r && model_bytes(h, table, l, &lb) && model_bytes(h, table, r, &rb);
        uint32_t li = ok ? lw_bpe_lookup(b, lb.data, lb.len) : LW_BPE_NONE;
        uint32_t ri = ok ? lw_bpe_lookup(b, rb.data, rb.len) : LW_BPE_NONE;
        uint32_t mi = LW_BPE_NONE;
        if (li != LW_BPE_NONE && ri != LW_BPE_NONE && strlen(r) >= plen &&
            model_bytes(h, table, r + plen, &rb)) {
            if (lw_buf_append(&lb, rb.data, rb.len)) {
                free(split);
                st = lw_error_set(err, LW_E_NOMEM, "out of memory loading %s", path);
                goto done;
            }
            mi = lw_bpe_lookup(b, lb.data, lb.len);
        }
        free(split);
        if (mi == LW_BPE_NONE) {
            st = lw_error_set(err, LW_E_DATA, "%s: merge %u does not name vocab tokens", path,
                              rank);
            goto done;
        }
        lw_bpe_add_merge(b, li, ri, mi, rank++);
    }
    if (h->byte_level) {
        for (int c = 0; c < 256; c++)
            if (b->byte_id[c] == LW_BPE_NONE) {
                st = lw_error_set(err, LW_E_DATA, "%s: byte 0x%02x is not in the vocab", path, c);
                goto done;
            }
    } else {
        if (cJSON_IsTrue(cJSON_GetObjectItem(model, "byte_fallback"))) {
            b->byte_fallback = true;
            for (int c = 0; c < 256; c++) {
                char hex[8];
                snprintf(hex, sizeof hex, "<0x%02X>", c);
                b->fallback_id[c] = lw_bpe_lookup(b, hex, 6);
            }
        }
        b->fuse_unk = cJSON_IsTrue(cJSON_GetObjectItem(model, "fuse_unk"));
    }
    const char *unk = cJSON_GetStringValue(cJSON_GetObjectItem(model, "unk_token"));
    if (unk) {
        const cJSON *u = cJSON_GetObjectItem(vocab, unk);
        if (!cJSON_IsNumber(u)) {
            st = lw_error_set(err, LW_E_DATA, "%s: the unk_token '%s' is not in the vocab", path,
                              unk);
            goto done;
        }
        b->unk_id = (uint32_t)u->valuedouble;
        if (h->byte_level)
            b->unk_id = LW_BPE_NONE; /* every byte has a token: never used */
    }
    t->vocab_size = vocab_size;
    snprintf(t->name, sizeof t->name, "hf-bpe-%u", vocab_size);
done:
    lw_buf_free(&tb);
    lw_buf_free(&lb);
    lw_buf_free(&rb);
    return st;
}

/* A Unigram model: its pieces are strings of characters, so the bytes a
 * ByteLevel pre-tokenizer leaves are refused. */
static lw_status load_unigram(lw_tokenizer *t, lw_hf *h, const cJSON *root, const cJSON *model,
                              lw_error *err)
{
    if (h->byte_level)
        return lw_error_set(err, LW_E_DATA, "%s: pre-tokenizer 'ByteLevel' is not supported "
                            "with the Unigram model", t->path);
    lw_status st = lw_hf_unigram_load(&t->unigram, model, t->path, err);
    if (st)
        return st;
    uint32_t vocab_size = lw_unigram_size(t->unigram);
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(root, "added_tokens"))
    {
        double id = cJSON_GetNumberValue(cJSON_GetObjectItem(e, "id"));
        if (id >= 0 && id < 16777216 && (uint32_t)id + 1 > vocab_size)
            vocab_size = (uint32_t)id + 1;
    }
    t->kind = LW_TOK_HF_UNIGRAM;
    t->vocab_size = vocab_size;
    snprintf(t->name, sizeof t->name, "hf-unigram-%u", vocab_size);
    return LW_OK;
}

lw_status lw_hf_json_load(lw_tokenizer *t, const char *data, size_t size, const lw_tok_opts *opts,
                          lw_error *err)
{
    const char *path = t->path;
    cJSON *root = cJSON_ParseWithLength(data, size);
    if (!root)
        return lw_error_set(err, LW_E_DATA, "%s: not valid JSON", path);
    lw_status st = LW_OK;
    const cJSON *model = cJSON_GetObjectItem(root, "model");
    const char *mtype = cJSON_GetStringValue(cJSON_GetObjectItem(model, "type"));
    lw_hf *h = t->hf = calloc(1, sizeof *h);
    if (!h) {
        st = lw_error_set(err, LW_E_NOMEM, "out of memory");
        goto done;
    }
    h->match_special = opts && opts->match_special;
    if ((st = hf_norm_parse(h, cJSON_GetObjectItem(root, "normalizer"), path, err)) ||
        (st = hf_pre_parse(h, cJSON_GetObjectItem(root, "pre_tokenizer"), path, err)) ||
        (st = hf_dec_parse(h, cJSON_GetObjectItem(root, "decoder"), path, err)))
        goto done;
    if (!mtype && cJSON_GetObjectItem(model, "merges"))
        mtype = "BPE"; /* HF reads an untagged model with merges as BPE */
    if (mtype && strcmp(mtype, "BPE") == 0) {
        st = load_bpe(t, h, root, model, err);
    } else if (mtype && strcmp(mtype, "Unigram") == 0) {
        st = load_unigram(t, h, root, model, err);
    } else {
        st = lw_error_set(err, LW_E_DATA, "%s: model '%s' is not supported", path,
                          mtype ? mtype : "(no type)");
    }
    if (st)
        goto done;
    const cJSON *added = cJSON_GetObjectItem(root, "added_tokens");
    if ((st = hf_added_parse(h, added, path, err)))
        goto done;
    for (size_t i = 0; i < h->n_added; i++)
        if (h->added[i].id < t->vocab_size &&
            lw_tok_add_special(t, h->added[i].content, h->added[i].id, false)) {
            st = lw_error_set(err, LW_E_NOMEM, "out of memory");
            goto done;
        }
    if ((st = hf_added_build(h, err)))
        goto done;
    /* tokenizer.json does not say which token is BOS or EOS (that is in
     * tokenizer_config.json): use the usual names. */
    static const char *const bos[] = {"<|begin_of_text|>", "<s>", "<|startoftext|>", "<bos>",
                                      "<｜begin▁of▁sentence｜>"};
    static const char *const eos[] = {"<|end_of_text|>", "</s>", "<|endoftext|>", "<|im_end|>",
                                      "<eos>", "<｜end▁of▁sentence｜>"};
    static const char *const pad[] = {"<pad>", "<|pad|>", "<|finetune_right_pad_id|>"};
    static const char *const unk[] = {"<unk>", "<|unk|>"};
    t->bos = lw_tok_find_special(t, bos, 5);
    t->eos = lw_tok_find_special(t, eos, 6);
    t->pad = lw_tok_find_special(t, pad, 3);
    t->unk = t->unigram && lw_unigram_unk_id(t->unigram) >= 0 ? lw_unigram_unk_id(t->unigram)
                                                               : lw_tok_find_special(t, unk, 2);
done:
    cJSON_Delete(root);
    return st;
}

/* Pre-tokenize and encode one plain segment of normalized text. */
static lw_status encode_plain(const lw_tokenizer *t, lw_hf_scratch *s, lw_bpe_scratch *bs,
                              const char *text, size_t len, size_t olen, lw_ids *out,
                              lw_error *err)
{
    const lw_hf *h = t->hf;
    if (!len)
        return LW_OK;
    if (h->fast)
        return lw_bpe_encode(&t->bpe, bs, text, len, out, err);
    s->a.n = 0;
    s->a.text.len = 0;
    if (hf_pieces_add(&s->a, text, len, olen))
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    lw_status st = hf_pretokenize(h, s->ss, &s->a, &s->b, err);
    for (size_t i = 0; !st && i < s->a.n; i++) {
        const char *p = s->a.text.data + s->a.p[i].off;
        if (t->unigram)
            st = lw_unigram_encode(t->unigram, s->u, p, s->a.p[i].len, out, err);
        else if (lw_bpe_encode_piece(&t->bpe, bs, p, s->a.p[i].len, out))
            st = lw_error_set(err, LW_E_NOMEM, "out of memory encoding");
    }
    return st;
}

/* Normalize a segment between raw added tokens, then split it at the
 * normalized ones. */
static lw_status encode_segment(const lw_tokenizer *t, lw_hf_scratch *s, lw_bpe_scratch *bs,
                                const char *text, size_t len, bool origin, lw_ids *out,
                                lw_error *err)
{
    const lw_hf *h = t->hf;
    if (!len)
        return LW_OK;
    int32_t c0;
    size_t olen = origin ? hf_utf8_next(text, len, 0, &c0) : 0;
    if (h->n_norm) {
        lw_status st = hf_normalize(h, s->ss, text, len, &s->norm, &olen, err);
        if (st)
            return st;
        text = s->norm.data;
        len = s->norm.len;
    }
    size_t at = 0;
    while (at < len) {
        size_t a = len, e = len;
        const hf_added *tok = NULL;
        hf_added_find(h, &h->normalized, text, len, at, &a, &e, &tok);
        lw_status st = encode_plain(t, s, bs, text + at, a - at, olen > at ? olen - at : 0, out,
                                    err);
        if (st)
            return st;
        if (tok && lw_ids_push(out, tok->id))
            return lw_error_set(err, LW_E_NOMEM, "out of memory");
        at = e;
    }
    return LW_OK;
}

lw_status lw_hf_encode(const lw_tokenizer *t, lw_hf_scratch *s, lw_bpe_scratch *bs,
                       const char *text, size_t len, lw_ids *out, lw_error *err)
{
    const lw_hf *h = t->hf;
    size_t at = 0;
    while (at < len) {
        size_t a = len, e = len;
        const hf_added *tok = NULL;
        hf_added_find(h, &h->raw, text, len, at, &a, &e, &tok);
        lw_status st = encode_segment(t, s, bs, text + at, a - at, at == 0, out, err);
        if (st)
            return st;
        if (tok && lw_ids_push(out, tok->id))
            return lw_error_set(err, LW_E_NOMEM, "out of memory");
        at = e;
    }
    return LW_OK;
}

lw_status lw_hf_decode(const lw_tokenizer *t, const uint32_t *ids, size_t n, lw_buf *out,
                       lw_error *err)
{
    const lw_hf *h = t->hf;
    char **tok = calloc(n ? n : 1, sizeof *tok);
    size_t *len = calloc(n ? n : 1, sizeof *len);
    lw_buf b = {0};
    lw_status st = tok && len ? LW_OK : lw_error_set(err, LW_E_NOMEM, "out of memory");
    for (size_t i = 0; !st && i < n; i++) {
        /* HF looks an id up in the added tokens first (normalized ones as
         * normalized), then the model */
        const hf_added *c = NULL;
        for (size_t k = 0; k < h->n_added && !c; k++)
            if (h->added[k].id == ids[i])
                c = &h->added[k];
        b.len = 0;
        int rc = 0;
        const char *u = NULL;
        size_t un = 0;
        if (c) {
            rc = lw_buf_append(&b, c->content, c->len);
        } else if (t->unigram) {
            if (!(u = lw_unigram_piece(t->unigram, ids[i], &un))) {
                st = lw_error_set(err, LW_E_DATA, "token id %u has no piece", ids[i]);
                break;
            }
            rc = lw_buf_append(&b, u, un);
        } else if (ids[i] < t->bpe.n_ids && t->bpe.offset[ids[i]] != UINT64_MAX) {
            const char *p = t->bpe.bytes + t->bpe.offset[ids[i]];
            size_t k = t->bpe.length[ids[i]];
            rc = h->byte_level ? hf_to_byte_level(p, k, &b) : lw_buf_append(&b, p, k);
        } else {
            st = lw_error_set(err, LW_E_DATA, "token id %u has no piece", ids[i]);
            break;
        }
        if (rc || !(tok[i] = malloc(b.len + 1))) {
            st = lw_error_set(err, LW_E_NOMEM, "out of memory");
            break;
        }
        memcpy(tok[i], b.data, b.len);
        len[i] = b.len;
    }
    if (!st)
        st = hf_decode_tokens(h, tok, len, n, out, err);
    for (size_t i = 0; tok && i < n; i++)
        free(tok[i]);
    free(tok);
    free(len);
    lw_buf_free(&b);
    return st;
}
