/* The padding id: given, else the tokenizer's pad token, else a reserved
 * padding token it has, else its end of document (see longweave/pad.h). */
#include "longweave/pad.h"

#include <cjson/cJSON.h>
#include <string.h>

#include "longweave/tokenizer.h"
#include "longweave/utf8.h"

/* Tokens vocabularies reserve for padding that their tokenizer files do not
 * declare as the pad (Llama 3's rank file, SentencePiece models built
 * without pad_id). */
static const char *const reserved_pads[] = {"<|finetune_right_pad_id|>", "<pad>", "<|pad|>",
                                            "[PAD]"};

/* name: the token's text when the caller knows it (an id can have two) */
static void set(lw_pad *p, const struct lw_tokenizer *tok, int64_t id, const char *source,
                const char *name)
{
    p->id = (uint32_t)id;
    p->source = source;
    p->token[0] = '\0';
    const char *piece = name;
    size_t len = name ? strlen(name) : 0;
    if (!name && tok && lw_tok_id_to_piece(tok, (uint32_t)id, &piece, &len) != 0)
        piece = NULL;
    if (piece &&
        len < sizeof p->token && lw_utf8_valid_prefix(piece, len, NULL) == len) {
        memcpy(p->token, piece, len);
        p->token[len] = '\0';
    }
}

lw_status lw_pad_choose(lw_pad *out, const struct lw_tokenizer *tok, int64_t given, int64_t eod,
                        lw_error *err)
{
    if (eod < 0 && tok)
        eod = lw_tok_special(tok, "eod");
    if (given == LW_PAD_EOD) {
        if (eod < 0)
            return lw_error_set(err, LW_E_USAGE, "--pad-id eod: no end-of-document token is "
                                "known; give --pad-id N");
        set(out, tok, eod, "--pad-id eod", NULL);
        return LW_OK;
    }
    if (given >= 0) {
        if (given == eod)
            return lw_error_set(err, LW_E_USAGE, "--pad-id %lld is the end-of-document id: "
                                "Megatron's GPTDataset then cannot tell padding from document "
                                "ends; give --pad-id eod to pad with it anyway",
                                (long long)given);
        set(out, tok, given, "--pad-id", NULL);
        return LW_OK;
    }
    if (!tok) {
        set(out, NULL, 0, "0 (no tokenizer)", NULL);
        return LW_OK;
    }
    int64_t pad = lw_tok_special(tok, "pad");
    if (pad >= 0 && pad != eod) {
        set(out, tok, pad, "tokenizer pad", NULL);
        return LW_OK;
    }
    for (size_t i = 0; i < sizeof reserved_pads / sizeof *reserved_pads; i++) {
        int64_t id = lw_tok_special(tok, reserved_pads[i]);
        if (id >= 0 && id != eod) {
            set(out, tok, id, "reserved pad token", reserved_pads[i]);
            return LW_OK;
        }
    }
    if (eod >= 0)
        set(out, tok, eod, "end of document (no pad token)", NULL);
    else
        set(out, tok, 0, "0 (no pad or end-of-document token)", NULL);
    return LW_OK;
}

bool lw_pad_to_json(cJSON *config, const lw_pad *p)
{
    bool ok = cJSON_AddNumberToObject(config, "pad_id", p->id) != NULL;
    if (p->token[0])
        ok &= cJSON_AddStringToObject(config, "pad_token", p->token) != NULL;
    ok &= cJSON_AddStringToObject(config, "pad_source", p->source) != NULL;
    return ok;
}
