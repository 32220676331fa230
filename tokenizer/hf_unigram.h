/* Hugging Face tokenizer.json files whose model is Unigram (T5, ALBERT,
 * XLNet, mBART style; SentencePiece unigram models converted by
 * transformers). lw_hf_unigram_load reads the "model" object alone, for any
 * pipeline; lw_hf_unigram_tokenizer is the whole-file hook the current
 * tokenizer.json loader calls: no normalizer (or NFC), a Metaspace
 * pre-tokenizer or none, added tokens as specials. */
#ifndef LONGWEAVE_HF_UNIGRAM_H
#define LONGWEAVE_HF_UNIGRAM_H

#include "longweave/tokenizer.h"
#include "unigram.h"

struct cJSON;
struct lw_tokenizer;
typedef struct lw_hf_unigram lw_hf_unigram;
typedef struct lw_hf_unigram_scratch lw_hf_unigram_scratch;

/* {"type": "Unigram", "unk_id": N|null, "vocab": [[piece, score], ...],
 * "byte_fallback": bool}. Errors name path. */
lw_status lw_hf_unigram_load(lw_unigram **out, const struct cJSON *model, const char *path,
                             lw_error *err);

/* Fill t (kind LW_TOK_HF_UNIGRAM) from a parsed tokenizer.json whose model
 * is Unigram; anything else in the pipeline it does not reproduce is
 * refused by name. */
lw_status lw_hf_unigram_tokenizer(struct lw_tokenizer *t, const struct cJSON *root,
                                  lw_error *err);
void lw_hf_unigram_free(lw_hf_unigram *h);

lw_hf_unigram_scratch *lw_hf_unigram_scratch_new(void);
void lw_hf_unigram_scratch_free(lw_hf_unigram_scratch *s);
/* The pre-tokenizer, then the model on each piece. */
lw_status lw_hf_unigram_encode(const lw_hf_unigram *h, lw_hf_unigram_scratch *s,
                               const char *text, size_t len, lw_ids *out, lw_error *err);
/* Pieces back to text: <0xXX> pieces are bytes, the Metaspace replacement
 * a space, less the one the pre-tokenizer prepended. */
lw_status lw_hf_unigram_decode(const struct lw_tokenizer *t, const uint32_t *ids, size_t n,
                               lw_buf *out, lw_error *err);
const lw_unigram *lw_hf_unigram_model(const lw_hf_unigram *h);

#endif
