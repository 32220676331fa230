/* Tokenizers: one interface, two backends.
 *
 *  - SentencePiece .model files (BPE and unigram, byte fallback, the model's
 *    own normalization) through Debian's libsentencepiece;
 *  - BPE written in C: tiktoken rank files (cl100k_base, o200k_base,
 *    r50k_base, p50k_base, Llama 3), pre-split with PCRE2 (JIT) under
 *    Unicode 16 rules, and Hugging Face tokenizer.json files with a BPE
 *    model (byte-level or SentencePiece-style vocabularies) through HF's
 *    pipeline of normalizers, pre-tokenizers, added tokens and decoders.
 *
 * The type of a file is detected from its content, not its name.
 *
 * Thread safety: a loaded lw_tokenizer is immutable. Any number of threads
 * may encode and decode with it at once, each with its own lw_tok_scratch. */
#ifndef LONGWEAVE_TOKENIZER_H
#define LONGWEAVE_TOKENIZER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "longweave/buf.h"
#include "longweave/hash.h"
#include "longweave/status.h"

typedef enum {
    LW_TOK_SENTENCEPIECE = 1,
    LW_TOK_TIKTOKEN,
    LW_TOK_HF_BPE,
    LW_TOK_HF_UNIGRAM /* tokenizer.json with a Unigram model */
} lw_tok_kind;

typedef struct lw_tokenizer lw_tokenizer;
typedef struct lw_tok_scratch lw_tok_scratch;

/* A growable array of token ids. */
typedef struct {
    uint32_t *v;
    size_t len, cap;
} lw_ids;

int lw_ids_push(lw_ids *ids, uint32_t id); /* 0, or -1 when out of memory */
void lw_ids_free(lw_ids *ids);

typedef struct lw_tok_opts {
    /* Split pattern for rank files: a built-in name (cl100k, o200k, r50k,
     * llama3) or a regex. NULL: recognised from the vocabulary. */
    const char *pattern;
    /* tokenizer.json: special added tokens ("special": true) written in a
     * text encode to their ids, as Hugging Face's encode does. Default
     * (false): their strings are plain text (tiktoken's encode_ordinary, HF's
     * encode_special_tokens); non-special added tokens always match. */
    bool match_special;
} lw_tok_opts;

/* Load any supported file. A missing file is LW_E_NOINPUT; a file that is
 * none of the supported kinds, or is damaged, is LW_E_DATA naming the file
 * and what is wrong. */
lw_status lw_tok_load(lw_tokenizer **out, const char *path, const lw_tok_opts *opts,
                      lw_error *err);
void lw_tok_free(lw_tokenizer *t);

lw_tok_kind lw_tok_kind_of(const lw_tokenizer *t);
/* "sentencepiece", "tiktoken", "hf-bpe" or "hf-unigram". */
const char *lw_tok_kind_name(lw_tok_kind kind);
/* A short name: "cl100k_base", "llama3", "sentencepiece-bpe", ... */
const char *lw_tok_name(const lw_tokenizer *t);
const char *lw_tok_path(const lw_tokenizer *t);
/* SHA-256 of the tokenizer file. */
const char *lw_tok_sha256(const lw_tokenizer *t);
/* Was it loaded with lw_tok_opts.match_special? */
bool lw_tok_matches_special(const lw_tokenizer *t);
/* Number of ids, special tokens included (all ids are below it). */
uint32_t lw_tok_vocab_size(const lw_tokenizer *t);

/* Per-thread working memory (match data, a cache of recent pieces). A
 * scratch belongs to the tokenizer it was made for. */
lw_tok_scratch *lw_tok_scratch_new(const lw_tokenizer *t);
void lw_tok_scratch_free(lw_tok_scratch *s);
/* One scratch per thread: n of them, or NULL when out of memory. */
lw_tok_scratch **lw_tok_scratches_new(const lw_tokenizer *t, int n);
void lw_tok_scratches_free(lw_tok_scratch **s, int n);

/* Append the ids of text to out, as the reference encoders do for one whole
 * text (tiktoken's encode_ordinary: special-token strings are plain text;
 * SentencePiece's Encode, no BOS/EOS added; HF's encode without special
 * tokens added and, unless match_special, with encode_special_tokens). Ill-formed UTF-8 is encoded as
 * if each maximal ill-formed subpart were U+FFFD. */
lw_status lw_tok_encode(const lw_tokenizer *t, lw_tok_scratch *s, const char *text, size_t len,
                        lw_ids *out, lw_error *err);

/* Append the text of ids to out. Byte-level tokens may end inside a UTF-8
 * sequence, so a slice of ids can decode to ill-formed UTF-8; whole encoded
 * texts decode back exactly. An id out of range is LW_E_DATA. */
lw_status lw_tok_decode(const lw_tokenizer *t, const uint32_t *ids, size_t n, lw_buf *out,
                        lw_error *err);

/* The piece of an id (raw bytes for byte-level BPE, the model's piece string
 * for SentencePiece, the content for special tokens). 0, or -1 if unknown. */
int lw_tok_id_to_piece(const lw_tokenizer *t, uint32_t id, const char **piece, size_t *len);
/* The id of a piece, or -1. */
int64_t lw_tok_piece_to_id(const lw_tokenizer *t, const char *piece, size_t len);

/* Special tokens by role or by name: "bos", "eos", "eod" (end of document:
 * eos), "pad", "unk", or a literal such as "<|begin_of_text|>". -1 when the
 * tokenizer has none. */
int64_t lw_tok_special(const lw_tokenizer *t, const char *name);

/* The tokenizer_config.json read beside a tokenizer.json (its bos_token,
 * eos_token and pad_token decide those roles): its path and sha256, NULL
 * when there was none. */
const char *lw_tok_config_path(const lw_tokenizer *t);
const char *lw_tok_config_sha256(const lw_tokenizer *t);
/* What it said of a role ("bos", "eos", "pad"): 1 a token (*token), -1
 * null (no such token), 0 nothing. */
int lw_tok_config_role(const lw_tokenizer *t, const char *role, const char **token);

#endif
