/* The Hugging Face tokenizer.json pipeline, as its parts are defined in HF
 * tokenizers (normalizers/, pre_tokenizers/, models/bpe, decoders/,
 * added_vocabulary.rs): added tokens split the text, the normalizers rewrite
 * each plain segment, the pre-tokenizers cut it into pieces stage by stage,
 * and the model (BPE, in bpe.c, or Unigram, in unigram.c) encodes each piece. Offsets are never
 * reported, so each stage works on plain strings. */
#ifndef LONGWEAVE_HF_INTERNAL_H
#define LONGWEAVE_HF_INTERNAL_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "bpe.h"
#include "longweave/buf.h"
#include "pattern.h"

/* A string or regex pattern (Split, Replace). */
typedef struct {
    char *str;   /* String pattern; NULL: regex */
    size_t len;
    lw_split re;
    bool has_re;
} hf_pattern;

typedef enum {
    HF_N_NFC, HF_N_NFD, HF_N_NFKC, HF_N_NFKD, HF_N_LOWERCASE, HF_N_STRIP, HF_N_PREPEND,
    HF_N_REPLACE
} hf_norm_type;

typedef struct {
    hf_norm_type type;
    bool left, right;   /* Strip */
    char *content;      /* Prepend, Replace */
    hf_pattern pat;     /* Replace */
} hf_norm;

typedef enum { HF_REMOVED, HF_ISOLATED, HF_MERGED_PREV, HF_MERGED_NEXT, HF_CONTIGUOUS } hf_behavior;

typedef enum {
    HF_P_SPLIT, HF_P_METASPACE, HF_P_DIGITS, HF_P_BYTELEVEL, HF_P_PUNCTUATION, HF_P_WHITESPACE,
    HF_P_WHITESPACE_SPLIT, HF_P_CHAR_DELIMITER
} hf_pre_type;

typedef enum { HF_PREPEND_ALWAYS, HF_PREPEND_FIRST, HF_PREPEND_NEVER } hf_prepend;

typedef struct {
    hf_pre_type type;
    hf_pattern pat;        /* Split */
    hf_behavior behavior;  /* Split, Punctuation */
    bool invert;           /* Split */
    bool flag;             /* Digits individual_digits, Metaspace split, ByteLevel use_regex */
    bool prefix_space;     /* ByteLevel add_prefix_space */
    hf_prepend prepend;    /* Metaspace */
    char rep[8];           /* Metaspace replacement, CharDelimiterSplit delimiter (UTF-8) */
} hf_pre;

typedef enum {
    HF_D_BYTELEVEL, HF_D_METASPACE, HF_D_REPLACE, HF_D_BYTEFALLBACK, HF_D_FUSE, HF_D_STRIP,
    HF_D_BPE, HF_D_WORDPIECE
} hf_dec_type;

typedef struct {
    hf_dec_type type;
    hf_pattern pat;       /* Replace */
    char *content;        /* Replace; BPEDecoder suffix; WordPiece prefix */
    bool cleanup;         /* WordPiece */
    char rep[8];          /* Metaspace replacement; Strip content */
    hf_prepend prepend;   /* Metaspace */
    unsigned start, stop; /* Strip */
} hf_dec;

typedef struct {
    char *content; /* matched as is (normalized: false) or normalized (normalized: true) */
    size_t len;
    uint32_t id;
    bool special, normalized, lstrip, rstrip, single_word;
} hf_added;

/* Leftmost-longest matching of added tokens: the contents sorted, with the
 * range of those starting with each byte. */
typedef struct {
    hf_added **tok;
    size_t n;
    size_t first[257];
} hf_matcher;

typedef struct lw_hf {
    hf_norm *norm;
    size_t n_norm;
    hf_pre *pre;
    size_t n_pre;
    hf_dec *dec;
    size_t n_dec;
    bool has_decoder;
    bool byte_level;      /* the model sees bytes (a ByteLevel pre-tokenizer) */
    bool fast;            /* pre-tokenizer = the bpe's own split (or none) and no added tokens */
    bool match_special;   /* special added tokens are matched too (lw_tok_opts) */
    hf_added *added;
    size_t n_added;
    hf_matcher raw, normalized; /* added tokens matched before / after normalizing */
} lw_hf;

/* Per-thread working memory (its functions are in tok_internal.h). */
typedef struct lw_hf_scratch lw_hf_scratch;

/* A piece of text on its way through the pre-tokenizers: bytes [off, off+len)
 * of a buffer. Its first olen bytes stand for the first character of the
 * original text (HF's alignments: prepended text goes with the character it
 * is put before), so olen > 0 is HF's offsets_original().0 == 0, the test of
 * Metaspace's prepend_scheme "first". */
typedef struct {
    size_t off, len, olen;
} hf_piece;

typedef struct {
    lw_buf text;
    hf_piece *p;
    size_t n, cap;
} hf_pieces;

int hf_pieces_add(hf_pieces *ps, const char *s, size_t len, size_t olen);
void hf_pieces_free(hf_pieces *ps);

/* Patterns: parse {"String": s} or {"Regex": r}. */
lw_status hf_pattern_parse(hf_pattern *p, const cJSON *j, const char *what, const char *path,
                           lw_error *err);
void hf_pattern_free(hf_pattern *p);
/* The spans of text: matches and the text between them, in order. */
typedef struct {
    size_t a, e;
    bool match;
} hf_span;
typedef struct {
    hf_span *v;
    size_t n, cap;
} hf_spans;
int hf_spans_add(hf_spans *s, size_t a, size_t e, bool match);
lw_status hf_pattern_spans(const hf_pattern *p, lw_split_scratch *ss, const char *text,
                           size_t len, hf_spans *out, lw_error *err);

/* GPT-2's bytes_to_unicode, inverted: table[code point] = byte, -1 when the
 * character stands for no byte. */
void hf_byte_level_table(int table[324]);
/* Append the bytes a byte-level string stands for; false (out unchanged) if
 * some character is not byte-level. */
bool hf_from_byte_level(const int table[324], const char *s, size_t n, lw_buf *out);
/* Append the byte-level string of raw bytes. */
int hf_to_byte_level(const char *s, size_t n, lw_buf *out);

/* Unicode helpers (Rust's char classes, as HF uses them). */
bool hf_is_whitespace(int32_t c);
bool hf_is_word(int32_t c); /* Rust regex \w */
size_t hf_utf8_next(const char *s, size_t len, size_t i, int32_t *cp);

/* Normalizers. */
lw_status hf_norm_parse(lw_hf *h, const cJSON *j, const char *path, lw_error *err);
/* out = the normalized text (out is reset first). *olen: in, how many
 * bytes at the start of text stand for the original first character; out,
 * the same for out (NULL: not wanted). */
lw_status hf_normalize(const lw_hf *h, lw_split_scratch *ss, const char *text, size_t len,
                       lw_buf *out, size_t *olen, lw_error *err);

/* Pre-tokenizers. */
lw_status hf_pre_parse(lw_hf *h, const cJSON *j, const char *path, lw_error *err);
/* Run the chain on in; the result is in in (tmp is working room). */
lw_status hf_pretokenize(const lw_hf *h, lw_split_scratch *ss, hf_pieces *in, hf_pieces *tmp,
                         lw_error *err);

/* Decoders. */
lw_status hf_dec_parse(lw_hf *h, const cJSON *j, const char *path, lw_error *err);
/* tokens[i] (lengths lens[i]) -> out. */
lw_status hf_decode_tokens(const lw_hf *h, char **tokens, size_t *lens, size_t n, lw_buf *out,
                           lw_error *err);

/* Added tokens. */
lw_status hf_added_parse(lw_hf *h, const cJSON *added, const char *path, lw_error *err);
/* Build the two matchers (after the normalizers are parsed). */
lw_status hf_added_build(lw_hf *h, lw_error *err);
/* The first match at or after at: 1 with the span it takes (strips
 * included) and the token, or 0. */
int hf_added_find(const lw_hf *h, const hf_matcher *m, const char *text, size_t len, size_t at,
                  size_t *start, size_t *end, const hf_added **tok);

#endif
