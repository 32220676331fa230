/* Loading Hugging Face tokenizer.json files whose model is byte-level BPE
 * (GPT-2, Llama 3, Qwen2 style): vocab, merges, the split pattern of the
 * pre-tokenizer, added tokens, and an optional NFC normalizer. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hf_unigram.h"
#include "tok_internal.h"

/* GPT-2's bytes_to_unicode: printable bytes stand for themselves, the other
 * 68 bytes are shifted to U+0100.. in byte order. unicode_to_byte inverts it
 * (-1: not a byte-level character). */
static void byte_level_table(int unicode_to_byte[324])
{
    for (int i = 0; i < 324; i++)
        unicode_to_byte[i] = -1;
    int shift = 0;
    for (int b = 0; b < 256; b++) {
        bool printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174);
        if (printable)
            unicode_to_byte[b] = b;
        else
            unicode_to_byte[256 + shift++] = b;
    }
}

/* Decode a byte-level token string into raw bytes; false if some character
 * is not byte-level (then the token is not reachable from bytes). */
static bool from_byte_level(const int table[324], const char *s, char *out, size_t *out_len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = 0;
    while (*p) {
        unsigned cp;
        if (p[0] < 0x80) {
            cp = p[0];
            p += 1;
        } else if ((p[0] & 0xE0) == 0xC0 && p[1]) {
            cp = (unsigned)(p[0] & 0x1F) << 6 | (p[1] & 0x3F);
            p += 2;
        } else {
            return false;
        }
        if (cp >= 324 || table[cp] < 0)
            return false;
        out[n++] = (char)table[cp];
    }
    *out_len = n;
    return true;
}

static const char *gpt2_pattern =
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

/* Find the split pattern and check the pre-tokenizer is one we reproduce. */
static lw_status pre_tokenizer(const cJSON *pt, const char **pattern, bool *byte_level,
                               const char *path, lw_error *err)
{
    const char *type = cJSON_GetStringValue(cJSON_GetObjectItem(pt, "type"));
    if (!type)
        return LW_OK;
    if (strcmp(type, "Sequence") == 0) {
        const cJSON *c;
        cJSON_ArrayForEach(c, cJSON_GetObjectItem(pt, "pretokenizers"))
        {
            lw_status st = pre_tokenizer(c, pattern, byte_level, path, err);
            if (st)
                return st;
        }
        return LW_OK;
    }
    if (strcmp(type, "ByteLevel") == 0) {
        *byte_level = true;
        if (cJSON_IsTrue(cJSON_GetObjectItem(pt, "add_prefix_space")))
            return lw_error_set(err, LW_E_DATA, "%s: ByteLevel add_prefix_space is not supported",
                                path);
        if (cJSON_IsTrue(cJSON_GetObjectItem(pt, "use_regex"))) {
            if (*pattern)
                return lw_error_set(err, LW_E_DATA, "%s: two split patterns", path);
            *pattern = gpt2_pattern;
        }
        return LW_OK;
    }
    if (strcmp(type, "Split") == 0) {
        const char *re = cJSON_GetStringValue(
            cJSON_GetObjectItem(cJSON_GetObjectItem(pt, "pattern"), "Regex"));
        const char *behavior = cJSON_GetStringValue(cJSON_GetObjectItem(pt, "behavior"));
        if (!re || *pattern || cJSON_IsTrue(cJSON_GetObjectItem(pt, "invert")) ||
            (behavior && strcmp(behavior, "Isolated") != 0))
            return lw_error_set(err, LW_E_DATA,
                                "%s: only one Split pre-tokenizer with a Regex pattern, "
                                "behavior Isolated and no invert is supported", path);
        *pattern = re;
        return LW_OK;
    }
    return lw_error_set(err, LW_E_DATA, "%s: pre-tokenizer '%s' is not supported", path, type);
}

static int64_t find_added(const lw_tokenizer *t, const char *const *names, size_t n)
{
    for (size_t k = 0; k < n; k++)
        for (size_t i = 0; i < t->n_specials; i++)
            if (strcmp(t->specials[i].content, names[k]) == 0)
                return t->specials[i].id;
    return -1;
}

lw_status lw_hf_json_load(lw_tokenizer *t, const char *data, size_t size, lw_error *err)
{
    const char *path = t->path;
    cJSON *root = cJSON_ParseWithLength(data, size);
    if (!root)
        return lw_error_set(err, LW_E_DATA, "%s: not valid JSON", path);
    lw_status st = LW_OK;
    char *bytes = NULL;
    uint64_t *offsets = NULL;
    uint32_t *lengths = NULL;
    const cJSON *model = cJSON_GetObjectItem(root, "model");
    const char *mtype = cJSON_GetStringValue(cJSON_GetObjectItem(model, "type"));
    const cJSON *vocab = cJSON_GetObjectItem(model, "vocab");
    const cJSON *merges = cJSON_GetObjectItem(model, "merges");
    if (mtype && strcmp(mtype, "Unigram") == 0) { /* its own pipeline: hf_unigram.c */
        st = lw_hf_unigram_tokenizer(t, root, err);
        goto done;
    }
    if ((mtype && strcmp(mtype, "BPE") != 0) || !cJSON_IsObject(vocab) || !cJSON_IsArray(merges)) {
        st = lw_error_set(err, LW_E_DATA, "%s: the model is not BPE with vocab and merges (%s)",
                          path, mtype ? mtype : "no type");
        goto done;
    }
    const cJSON *norm = cJSON_GetObjectItem(root, "normalizer");
    if (norm && !cJSON_IsNull(norm)) {
        const char *nt = cJSON_GetStringValue(cJSON_GetObjectItem(norm, "type"));
        if (!nt || strcmp(nt, "NFC") != 0) {
            st = lw_error_set(err, LW_E_DATA, "%s: normalizer '%s' is not supported (only NFC)",
                              path, nt ? nt : "?");
            goto done;
        }
        t->nfc = true;
    }
    const char *pattern = NULL;
    bool byte_level = false;
    if ((st = pre_tokenizer(cJSON_GetObjectItem(root, "pre_tokenizer"), &pattern, &byte_level,
                            path, err)))
        goto done;
    const char *dtype = cJSON_GetStringValue(
        cJSON_GetObjectItem(cJSON_GetObjectItem(root, "decoder"), "type"));
    if (!byte_level || (dtype && strcmp(dtype, "ByteLevel") != 0)) {
        st = lw_error_set(err, LW_E_DATA,
                          "%s: not a byte-level BPE tokenizer.json (for SentencePiece-style "
                          "models use the .model file)", path);
        goto done;
    }
    if (!pattern) {
        st = lw_error_set(err, LW_E_DATA, "%s: no split pattern in the pre-tokenizer", path);
        goto done;
    }

    /* ids: vocab and added tokens */
    uint32_t n_ids = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, vocab)
    {
        if (!cJSON_IsNumber(e) || e->valuedouble < 0 || e->valuedouble >= 16777216) {
            st = lw_error_set(err, LW_E_DATA, "%s: vocab entry with a bad id", path);
            goto done;
        }
        if ((uint32_t)e->valuedouble + 1 > n_ids)
            n_ids = (uint32_t)e->valuedouble + 1;
    }
    const cJSON *added = cJSON_GetObjectItem(root, "added_tokens");
    uint32_t vocab_size = n_ids;
    cJSON_ArrayForEach(e, added)
    {
        double id = cJSON_GetNumberValue(cJSON_GetObjectItem(e, "id"));
        if (id >= 0 && id < 16777216 && (uint32_t)id + 1 > vocab_size)
            vocab_size = (uint32_t)id + 1;
    }
    size_t total = 0;
    cJSON_ArrayForEach(e, vocab) total += strlen(e->string);
    bytes = malloc(total + 1);
    offsets = malloc((size_t)n_ids * sizeof *offsets);
    lengths = calloc(n_ids ? n_ids : 1, sizeof *lengths);
    if (!bytes || !offsets || !lengths) {
        st = lw_error_set(err, LW_E_NOMEM, "out of memory loading %s", path);
        goto done;
    }
    for (uint32_t i = 0; i < n_ids; i++)
        offsets[i] = UINT64_MAX;
    int table[324];
    byte_level_table(table);
    size_t used = 0;
    cJSON_ArrayForEach(e, vocab)
    {
        uint32_t id = (uint32_t)e->valuedouble;
        size_t n;
        if (!from_byte_level(table, e->string, bytes + used, &n))
            continue; /* e.g. an added token listed in the vocab: not made of bytes */
        offsets[id] = used;
        lengths[id] = (uint32_t)n;
        used += n;
    }
    st = lw_bpe_init(&t->bpe, bytes, offsets, lengths, n_ids, pattern, err);
    bytes = NULL; /* owned by the bpe now */
    offsets = NULL;
    lengths = NULL;
    if (st)
        goto done;
    lw_bpe *b = &t->bpe;
    b->merge_mode = true;
    b->keep_gaps = true; /* Split "Isolated" keeps unmatched text as pieces */
    b->whole_first = cJSON_IsTrue(cJSON_GetObjectItem(model, "ignore_merges"));
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
    /* Merge sides are found through the byte-level hash, not cJSON's linear
     * object search: vocabularies have 10^5 entries and merges as many. */
    uint32_t rank = 0;
    char *lb = malloc(total + 2), *rb = malloc(total + 2), *mb = malloc(2 * total + 4);
    if (!lb || !rb || !mb) {
        free(lb);
        free(rb);
        free(mb);
        st = lw_error_set(err, LW_E_NOMEM, "out of memory loading %s", path);
        goto done;
    }
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
        size_t ln = 0, rn = 0;
        bool ok = l && r && strlen(l) <= total && strlen(r) <= total &&
                  from_byte_level(table, l, lb, &ln) && from_byte_level(table, r, rb, &rn);
        free(split);
        uint32_t li = ok ? lw_bpe_lookup(b, lb, ln) : LW_BPE_NONE;
        uint32_t ri = ok ? lw_bpe_lookup(b, rb, rn) : LW_BPE_NONE;
        uint32_t mi = LW_BPE_NONE;
        if (li != LW_BPE_NONE && ri != LW_BPE_NONE) {
            memcpy(mb, lb, ln);
            memcpy(mb + ln, rb, rn);
            mi = lw_bpe_lookup(b, mb, ln + rn);
        }
        if (mi == LW_BPE_NONE) {
            free(lb);
            free(rb);
            free(mb);
            st = lw_error_set(err, LW_E_DATA, "%s: merge %u does not name vocab tokens", path,
                              rank);
            goto done;
        }
        lw_bpe_add_merge(b, li, ri, mi, rank++);
    }
    free(lb);
    free(rb);
    free(mb);
    for (int c = 0; c < 256; c++)
        if (b->byte_id[c] == LW_BPE_NONE) {
            st = lw_error_set(err, LW_E_DATA, "%s: byte 0x%02x is not in the vocab", path, c);
            goto done;
        }
    cJSON_ArrayForEach(e, added)
    {
        const char *content = cJSON_GetStringValue(cJSON_GetObjectItem(e, "content"));
        double id = cJSON_GetNumberValue(cJSON_GetObjectItem(e, "id"));
        if (content && id >= 0 && id < vocab_size &&
            lw_tok_add_special(t, content, (uint32_t)id, false)) {
            st = lw_error_set(err, LW_E_NOMEM, "out of memory");
            goto done;
        }
    }
    /* tokenizer.json does not say which token is BOS or EOS (that is in
     * tokenizer_config.json): use the usual names. */
    static const char *const bos[] = {"<|begin_of_text|>", "<s>", "<|startoftext|>"};
    static const char *const eos[] = {"<|end_of_text|>", "</s>", "<|endoftext|>", "<|im_end|>"};
    static const char *const pad[] = {"<pad>", "<|pad|>", "<|finetune_right_pad_id|>"};
    static const char *const unk[] = {"<unk>", "<|unk|>"};
    t->bos = find_added(t, bos, 3);
    t->eos = find_added(t, eos, 4);
    t->pad = find_added(t, pad, 3);
    t->unk = find_added(t, unk, 2);
    t->vocab_size = vocab_size;
    snprintf(t->name, sizeof t->name, "hf-bpe-%u", vocab_size);
done:
    free(bytes);
    free(offsets);
    free(lengths);
    cJSON_Delete(root);
    return st;
}
