/* The Unigram model (SentencePiece's, as Hugging Face's tokenizers runs it
 * for tokenizer.json files): pieces with log-probability scores, and for one
 * pre-split piece of text the segmentation with the highest total score
 * (Viterbi over every vocabulary piece that matches at each character).
 *
 * Exactly as HF's models/unigram/model.rs (encode_optimized, tokenize):
 *  - a character no piece of its own length covers gets a node of the
 *    unknown id scored min(score) - 10;
 *  - ties keep the first candidate found (earlier start, then the shorter
 *    piece);
 *  - consecutive unknown nodes fuse into one string (fuse_unk, always on in
 *    HF); each resulting string is looked up again, and one that is not a
 *    piece becomes the <0xXX> pieces of its bytes (byte_fallback, when all
 *    exist) or the unknown id;
 *  - a piece listed twice is the later id. */
#ifndef LONGWEAVE_UNIGRAM_H
#define LONGWEAVE_UNIGRAM_H

#include <stdbool.h>
#include <stdint.h>

#include "longweave/tokenizer.h"

typedef struct lw_unigram lw_unigram;
typedef struct lw_unigram_scratch lw_unigram_scratch;

/* A model of n pieces; fill every id with lw_unigram_set, then build. NULL
 * when out of memory. */
lw_unigram *lw_unigram_new(uint32_t n);
/* 0, or -1 when out of memory. The bytes are copied. */
int lw_unigram_set(lw_unigram *u, uint32_t id, const char *piece, size_t len, double score);
/* unk_id: -1 for none (then a text with an uncovered character fails to
 * encode, as in HF). */
lw_status lw_unigram_build(lw_unigram *u, int64_t unk_id, bool byte_fallback, lw_error *err);
void lw_unigram_free(lw_unigram *u);

uint32_t lw_unigram_size(const lw_unigram *u);
int64_t lw_unigram_unk_id(const lw_unigram *u);
/* The id of a piece (the later one if listed twice), or -1. */
int64_t lw_unigram_lookup(const lw_unigram *u, const char *s, size_t len);
/* The bytes of an id; NULL when out of range. */
const char *lw_unigram_piece(const lw_unigram *u, uint32_t id, size_t *len);

lw_unigram_scratch *lw_unigram_scratch_new(void);
void lw_unigram_scratch_free(lw_unigram_scratch *s);

/* Append the ids of one pre-split piece of valid UTF-8. LW_E_DATA when a
 * character is not covered and the model has no unknown id. */
lw_status lw_unigram_encode(const lw_unigram *u, lw_unigram_scratch *s, const char *text,
                            size_t n, lw_ids *out, lw_error *err);

#endif
