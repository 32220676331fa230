/* A native encoder for SentencePiece BPE models, exact against
 * libsentencepiece's SentencePieceProcessor::Encode and linear in the length
 * of the document (the library keeps every bigram of the whole text in one
 * priority queue). Decoding stays with the library.
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

#include <stddef.h>

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

/* Normalized bytes gathered before pieces are encoded and dropped, and the
 * length above which a piece is cut further at character pairs that no
 * vocabulary piece contains. Variables so that the tests can set both to 1. */
extern size_t lw_spm_bpe_window;
extern size_t lw_spm_bpe_long;

#endif
