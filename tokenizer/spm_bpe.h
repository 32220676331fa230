/* A native encoder for SentencePiece BPE models, exact against
 * libsentencepiece's SentencePieceProcessor::Encode and linear in the length
 * of the document (the library keeps every bigram of the whole text in one
 * priority queue), and a native decoder, so that a covered model needs no
 * libsentencepiece at all.
 *
 * Covered: model_type BPE; the normalizer as the model stores it (no
 * normalizer, or any precompiled_charsmap, e.g. nmt_nfkc), with
 * add_dummy_prefix, remove_extra_whitespaces and escape_whitespaces;
 * byte_fallback; the unknown token (consecutive unknown pieces fused as the
 * library does); control and byte pieces; user-defined pieces (matched
 * whole before normalization and as frozen symbols). Refused (the caller
 * keeps the library): other model types, UNUSED pieces,
 * treat_whitespace_as_suffix, escape_whitespaces false, NaN scores, a
 * control/unknown/byte piece that text could spell, and user-defined pieces
 * that are not NUL-free UTF-8. */
#ifndef LONGWEAVE_SPM_BPE_H
#define LONGWEAVE_SPM_BPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpe.h"
#include "longweave/buf.h"
#include "longweave/status.h"
#include "longweave/tokenizer.h"

typedef struct lw_spm_bpe lw_spm_bpe;

/* From a serialized ModelProto. *out NULL with why filled when the model is
 * not one the native encoder covers (not an error); LW_E_NOMEM otherwise. */
lw_status lw_spm_bpe_new(const char *data, size_t size, lw_spm_bpe **out, char *why,
                         size_t whycap, lw_error *err);
void lw_spm_bpe_free(lw_spm_bpe *m);

/* Append the ids of text (valid UTF-8). s: a scratch of lw_bpe_scratch_new
 * used with this model only (its piece cache holds this model's ids); norm:
 * a buffer for the normalized text (holds a bounded window of it). */
lw_status lw_spm_bpe_encode(const lw_spm_bpe *m, lw_bpe_scratch *s, lw_buf *norm,
                            const char *text, size_t len, lw_ids *out, lw_error *err);

/* The model's pieces for everything but encoding, as the library answers:
 * the number of pieces; bos, eos, pad and unk ids (-1: none); the piece of
 * an id (NULL: out of range); the id of a piece (-1: none). */
uint32_t lw_spm_bpe_vocab_size(const lw_spm_bpe *m);
void lw_spm_bpe_roles(const lw_spm_bpe *m, int64_t roles[4]);
const char *lw_spm_bpe_piece(const lw_spm_bpe *m, uint32_t id, size_t *len);
int64_t lw_spm_bpe_piece_to_id(const lw_spm_bpe *m, const char *piece, size_t len);

/* Decode covers the model (false: it has a denormalizer, the library's). */
bool lw_spm_bpe_decodes(const lw_spm_bpe *m);
/* The model carries self_test_data, which only the library's Load checks. */
bool lw_spm_bpe_self_test(const lw_spm_bpe *m);

/* Append the text of ids (all below the vocabulary size), byte for byte as
 * SentencePieceProcessor::Decode: control pieces vanish, the unknown piece
 * is unk_surface, runs of byte pieces become their UTF-8 characters (U+FFFD
 * for each byte of none), ▁ is a space, and the first piece's leading ▁
 * (every leading one with remove_extra_whitespaces) goes. */
lw_status lw_spm_bpe_decode(const lw_spm_bpe *m, const uint32_t *ids, size_t n, lw_buf *out,
                            lw_error *err);

/* Normalized bytes gathered before pieces are encoded and dropped, and the
 * length above which a piece is cut further at character pairs that no
 * vocabulary piece contains. Variables so that the tests can set both to 1. */
extern size_t lw_spm_bpe_window;
extern size_t lw_spm_bpe_long;

#endif
