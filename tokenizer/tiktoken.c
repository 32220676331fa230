/* Loading tiktoken rank files ("<base64 token> <rank>" per line) and
 * recognising the well-known encodings: their split pattern and special
 * tokens are not in the file. */
#include <nettle/base64.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tok_internal.h"

typedef struct {
    const char *name;
    uint32_t n_ranks;    /* lines in the file */
    const char *pattern; /* built-in pattern name */
    uint32_t vocab_size;
    const char *bos, *eos;
} known_encoding;

static const known_encoding known[] = {
    {"r50k_base", 50256, "r50k", 50257, "<|endoftext|>", "<|endoftext|>"},
    {"p50k_base", 50280, "r50k", 50281, "<|endoftext|>", "<|endoftext|>"},
    {"cl100k_base", 100256, "cl100k", 100277, NULL, "<|endoftext|>"},
    {"o200k_base", 199998, "o200k", 200019, NULL, "<|endoftext|>"},
    {"llama3", 128000, "llama3", 128256, "<|begin_of_text|>", "<|end_of_text|>"},
};

static int add_specials(lw_tokenizer *t, const char *encoding)
{
    int rc = 0;
    if (strcmp(encoding, "r50k_base") == 0 || strcmp(encoding, "p50k_base") == 0)
        return lw_tok_add_special(t, "<|endoftext|>", 50256, false);
    if (strcmp(encoding, "cl100k_base") == 0) {
        rc |= lw_tok_add_special(t, "<|endoftext|>", 100257, false);
        rc |= lw_tok_add_special(t, "<|fim_prefix|>", 100258, false);
        rc |= lw_tok_add_special(t, "<|fim_middle|>", 100259, false);
        rc |= lw_tok_add_special(t, "<|fim_suffix|>", 100260, false);
        rc |= lw_tok_add_special(t, "<|endofprompt|>", 100276, false);
        return rc;
    }
    if (strcmp(encoding, "o200k_base") == 0) {
        rc |= lw_tok_add_special(t, "<|endoftext|>", 199999, false);
        rc |= lw_tok_add_special(t, "<|endofprompt|>", 200018, false);
        return rc;
    }
    if (strcmp(encoding, "llama3") == 0) {
        /* Meta's Llama 3 tokenizer.py: ten named tokens, then reserved ones. */
        static const char *const named[] = {
            "<|begin_of_text|>", "<|end_of_text|>", "<|reserved_special_token_0|>",
            "<|reserved_special_token_1|>", "<|reserved_special_token_2|>",
            "<|reserved_special_token_3|>", "<|start_header_id|>", "<|end_header_id|>",
            "<|reserved_special_token_4|>", "<|eot_id|>"};
        for (uint32_t i = 0; i < 10; i++)
            rc |= lw_tok_add_special(t, named[i], 128000 + i, false);
        for (uint32_t i = 5; i < 251; i++) {
            char name[48];
            snprintf(name, sizeof name, "<|reserved_special_token_%u|>", i);
            rc |= lw_tok_add_special(t, name, 128000 + 5 + i, false);
        }
        /* Llama 3.1 names for three of them. */
        rc |= lw_tok_add_special(t, "<|finetune_right_pad_id|>", 128004, true);
        rc |= lw_tok_add_special(t, "<|eom_id|>", 128008, true);
        rc |= lw_tok_add_special(t, "<|python_tag|>", 128010, true);
        return rc;
    }
    return 0;
}

static int64_t special_id(const lw_tokenizer *t, const char *content)
{
    for (size_t i = 0; content && i < t->n_specials; i++)
        if (strcmp(t->specials[i].content, content) == 0)
            return t->specials[i].id;
    return -1;
}

lw_status lw_tiktoken_load(lw_tokenizer *t, const char *data, size_t size, const char *pattern,
                           lw_error *err)
{
    uint32_t lines = 0;
    for (const char *p = data, *e = data + size; (p = memchr(p, '\n', (size_t)(e - p))); p++)
        lines++;
    uint32_t cap_ids = lines + 1, n_ids = 0, ranks = 0;
    char *bytes = malloc(size + 1); /* decoded tokens are shorter than their base64 */
    uint64_t *offsets = malloc(cap_ids * sizeof *offsets);
    uint32_t *lengths = malloc(cap_ids * sizeof *lengths);
    lw_status st = LW_OK;
    if (!bytes || !offsets || !lengths) {
        st = lw_error_set(err, LW_E_NOMEM, "out of memory loading %s", t->path);
        goto fail;
    }
    for (uint32_t i = 0; i < cap_ids; i++)
        offsets[i] = UINT64_MAX;
    size_t at = 0, used = 0;
    uint32_t line = 0;
    while (at < size) {
        line++;
        const char *s = data + at;
        const char *nl = memchr(s, '\n', size - at);
        size_t n = nl ? (size_t)(nl - s) : size - at;
        at += n + (nl != NULL);
        if (n && s[n - 1] == '\r')
            n--;
        if (n == 0)
            continue;
        const char *sp = memchr(s, ' ', n);
        char *end = NULL;
        unsigned long rank = sp ? strtoul(sp + 1, &end, 10) : 0;
        size_t b64 = sp ? (size_t)(sp - s) : 0;
        if (!sp || b64 == 0 || b64 % 4 || end != s + n || rank >= cap_ids) {
            st = lw_error_set(err, LW_E_DATA, "%s:%u: not a '<base64> <rank>' line (or a rank "
                              "beyond the number of lines)", t->path, line);
            goto fail;
        }
        struct base64_decode_ctx b64ctx;
        size_t dec = BASE64_DECODE_LENGTH(b64);
        base64_decode_init(&b64ctx);
        if (!base64_decode_update(&b64ctx, &dec, (uint8_t *)bytes + used, b64, s) ||
            !base64_decode_final(&b64ctx)) {
            st = lw_error_set(err, LW_E_DATA, "%s:%u: bad base64", t->path, line);
            goto fail;
        }
        if (offsets[rank] != UINT64_MAX) {
            st = lw_error_set(err, LW_E_DATA, "%s:%u: rank %lu appears twice", t->path, line,
                              rank);
            goto fail;
        }
        offsets[rank] = used;
        lengths[rank] = (uint32_t)dec;
        used += dec;
        if (rank + 1 > n_ids)
            n_ids = (uint32_t)rank + 1;
        ranks++;
    }
    if (ranks == 0) {
        st = lw_error_set(err, LW_E_DATA, "%s: no tokens in the rank file", t->path);
        goto fail;
    }

    const known_encoding *enc = NULL;
    for (size_t i = 0; i < sizeof known / sizeof *known; i++)
        if (known[i].n_ranks == ranks)
            enc = &known[i];
    const char *pat = pattern ? lw_pattern_builtin(pattern) : enc ? lw_pattern_builtin(enc->pattern)
                                                                  : NULL;
    if (pattern && !pat)
        pat = pattern; /* a regex of the user's */
    if (!pat) {
        st = lw_error_set(err, LW_E_USAGE,
                          "%s: a vocabulary of %u ranks is not one longweave knows; name its "
                          "split pattern with --pattern (cl100k, o200k, r50k, llama3 or a regex)",
                          t->path, ranks);
        goto fail;
    }
    snprintf(t->name, sizeof t->name, "%s", enc ? enc->name : "tiktoken");
    t->vocab_size = enc ? enc->vocab_size : n_ids;
    /* The bpe owns the arrays from here, also on failure. */
    if ((st = lw_bpe_init(&t->bpe, bytes, offsets, lengths, n_ids, pat, err)))
        return st;
    for (int c = 0; c < 256; c++)
        if (t->bpe.byte_id[c] == LW_BPE_NONE)
            return lw_error_set(err, LW_E_DATA, "%s: byte 0x%02x has no rank: not a byte-level "
                                "BPE vocabulary", t->path, c);
    if (enc && add_specials(t, enc->name))
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    t->bos = enc ? special_id(t, enc->bos) : -1;
    t->eos = enc ? special_id(t, enc->eos) : -1;
    t->pad = t->unk = -1;
    return LW_OK;
fail:
    free(bytes);
    free(offsets);
    free(lengths);
    return st;
}
