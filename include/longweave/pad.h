/* The padding id of a stage that pads sequences (cip, pack), chosen so that
 * trainers can tell padding from text: Megatron's GPTDataset masks the loss
 * wherever a label equals its tokenizer's pad id, so a pad equal to the
 * end-of-document id masks every document end too (the version measured
 * in issue 14 warned and trained on every pad instead). Padding defaults
 * to a token that is none of the others; padding with the end-of-document
 * token must be asked for by name (--pad-id eod). */
#ifndef LONGWEAVE_PAD_H
#define LONGWEAVE_PAD_H

#include <stdbool.h>
#include <stdint.h>

#include "longweave/status.h"

struct cJSON;
struct lw_tokenizer;

enum {
    LW_PAD_DEFAULT = -1, /* no --pad-id: choose */
    LW_PAD_EOD = -2      /* --pad-id eod: the end-of-document id, on purpose */
};

typedef struct {
    uint32_t id;
    char token[128];    /* its text in the tokenizer, "" if unknown */
    const char *source; /* why this id: "--pad-id", "--pad-id eod", "tokenizer pad",
                         * "reserved pad token", "end of document (no pad token)",
                         * "0 (no tokenizer)" */
} lw_pad;

/* given: --pad-id N (>= 0), LW_PAD_EOD or LW_PAD_DEFAULT; tok may be NULL;
 * eod: the end-of-document id the stage uses (-1: the tokenizer's). A given
 * id equal to the end-of-document id is LW_E_USAGE (say --pad-id eod). */
lw_status lw_pad_choose(lw_pad *out, const struct lw_tokenizer *tok, int64_t given, int64_t eod,
                        lw_error *err);
/* "pad_id", "pad_token" (when known) and "pad_source" into a manifest's
 * config object; false when out of memory. */
bool lw_pad_to_json(struct cJSON *config, const lw_pad *p);

#endif
