/* Hugging Face tokenizer.json files whose model is Unigram (T5, ALBERT,
 * XLNet, mBART style; SentencePiece unigram models converted by
 * transformers): the reader of the "model" object. The rest of the file goes
 * through the pipeline BPE files use (hf_json.c). */
#ifndef LONGWEAVE_HF_UNIGRAM_H
#define LONGWEAVE_HF_UNIGRAM_H

#include "longweave/tokenizer.h"
#include "unigram.h"

struct cJSON;

/* {"type": "Unigram", "unk_id": N|null, "vocab": [[piece, score], ...],
 * "byte_fallback": bool}. Errors name path. */
lw_status lw_hf_unigram_load(lw_unigram **out, const struct cJSON *model, const char *path,
                             lw_error *err);

#endif
