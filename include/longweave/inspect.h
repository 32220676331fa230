/* `inspect`: what a token output holds — for a Megatron dataset prefix, a
 * bucket folder or a whole output directory: datasets, sequences, documents
 * and tokens, sequence lengths (a histogram by powers of two), and the loss
 * mask's coverage where there is one. */
#ifndef LONGWEAVE_INSPECT_H
#define LONGWEAVE_INSPECT_H

#include <stdbool.h>
#include <stdint.h>

#include "longweave/dataset.h"
#include "longweave/status.h"

enum { LW_INSPECT_BINS = 33 }; /* bin 0: empty sequences; bin k: lengths in [2^(k-1), 2^k) */

typedef struct {
    char *prefix;
    int dtype;                  /* Megatron dtype code */
    uint64_t sequences, documents, tokens;
    uint64_t min_len, max_len;
    bool masked;                /* a PREFIX.mask dataset is beside it */
    uint64_t trained;           /* tokens with mask 1 (all of them when not masked) */
} lw_inspect_dataset;

typedef struct {
    lw_inspect_dataset *ds;
    size_t n;
    lw_dataset_set set;         /* the datasets and their manifests, as opened */
    uint64_t sequences, documents, tokens, trained, masked_tokens;
    uint64_t hist[LW_INSPECT_BINS];
} lw_inspect;

/* path: whatever lw_datasets_open takes (a dataset PREFIX, an output
 * directory, a folder inside one, a manifest): the datasets its manifests
 * list, nothing else. */
lw_status lw_inspect_run(const char *path, lw_inspect *out, lw_error *err);
void lw_inspect_free(lw_inspect *in);
/* The bin of a length, and the lower bound of bin k. */
int lw_inspect_bin(uint64_t length);
uint64_t lw_inspect_bin_low(int k);

#endif
