/* Internal structure of a loaded tokenizer, shared by the loaders. */
#ifndef LONGWEAVE_TOK_INTERNAL_H
#define LONGWEAVE_TOK_INTERNAL_H

#include <stdbool.h>

#include "bpe.h"
#include "spm_bpe.h"
#include "longweave/tokenizer.h"

typedef struct {
    char *content;  /* the token's text, e.g. "<|endoftext|>" */
    uint32_t id;
    bool alias;     /* another name for an id listed before (not used to decode) */
} lw_special;

struct lw_tokenizer {
    lw_tok_kind kind;
    char name[64];
    char *path;
    char sha256[LW_SHA256_HEX];
    uint32_t vocab_size;
    lw_bpe bpe;             /* tiktoken, hf-bpe */
    struct lw_hf *hf;       /* hf-bpe, hf-unigram: the tokenizer.json pipeline (hf_internal.h) */
    void *spm;              /* sentencepiece (C++ object behind the shim); NULL while
                             * spm_bpe covers everything asked (see lw_spm_load) */
    struct lw_unigram *unigram; /* hf-unigram: the model (unigram.c) */
    lw_spm_bpe *spm_bpe;    /* sentencepiece BPE handled natively (NULL: by the library) */
    lw_special *specials;
    size_t n_specials, n_specials_cap;
    int64_t bos, eos, pad, unk;
    bool match_special;     /* lw_tok_opts.match_special, as loaded */
    /* tokenizer_config.json the roles were taken from (hf_config.c) */
    char *config_path;            /* NULL: none beside the file */
    char config_sha256[LW_SHA256_HEX];
    char *config_token[3];        /* bos, eos, pad as it names them */
    signed char config_said[3];   /* 0: not said, 1: a token, -1: null */
};

/* Loaders fill t (path, sha256 and kind are set by the caller). */
lw_status lw_tiktoken_load(lw_tokenizer *t, const char *data, size_t size, const char *pattern,
                           lw_error *err);
lw_status lw_hf_json_load(lw_tokenizer *t, const char *data, size_t size, const lw_tok_opts *opts,
                          lw_error *err);
void lw_hf_free(struct lw_hf *h);
struct lw_hf_scratch *lw_hf_scratch_new(void);
void lw_hf_scratch_free(struct lw_hf_scratch *s);
lw_status lw_hf_encode(const lw_tokenizer *t, struct lw_hf_scratch *s, lw_bpe_scratch *bs,
                       const char *text, size_t len, lw_ids *out, lw_error *err);
lw_status lw_hf_decode(const lw_tokenizer *t, const uint32_t *ids, size_t n, lw_buf *out,
                       lw_error *err);
lw_status lw_spm_load(lw_tokenizer *t, const char *data, size_t size, lw_error *err);

/* Take bos/eos/pad from a tokenizer_config.json beside t->path, if any. */
lw_status lw_hf_config_apply(lw_tokenizer *t, lw_error *err);
void lw_hf_config_clear(lw_tokenizer *t);

int lw_tok_add_special(lw_tokenizer *t, const char *content, uint32_t id, bool alias);
/* The id of the first of names[0..n) that is a special token, or -1: the
 * usual names, when tokenizer_config.json does not say (see hf_config.c). */
int64_t lw_tok_find_special(const lw_tokenizer *t, const char *const *names, size_t n);

/* The SentencePiece shim (tokenizer/spm_shim.cc): the only C++ in the project. */
void *lw_spm_open(const char *path, char *errbuf, size_t errcap);
void *lw_spm_open_data(const char *data, size_t size, char *errbuf, size_t errcap);
void lw_spm_close(void *spm);
int lw_spm_encode(const void *spm, const char *text, size_t len, lw_ids *out, char *errbuf,
                  size_t errcap);
int lw_spm_decode(const void *spm, const uint32_t *ids, size_t n, lw_buf *out, char *errbuf,
                  size_t errcap);
int lw_spm_vocab_size(const void *spm);
const char *lw_spm_id_to_piece(const void *spm, int id, size_t *len);
int lw_spm_piece_to_id(const void *spm, const char *piece, size_t len);
/* bos, eos, pad, unk ids (-1 when the model has none). */
void lw_spm_roles(const void *spm, int roles[4]);

#endif
