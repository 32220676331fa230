/* `pack`: SFT samples (token datasets with loss masks, e.g. synl's) packed
 * into sequences of exactly seq_len tokens for efficient long-context
 * training, or sorted by length into batches (LongAlign's two strategies).
 *
 * Packing is best-fit decreasing: samples, longest first, each go into the
 * open sequence with the least room that still holds them (a new one when
 * none does); the rest of a sequence is padding with loss mask 0. Beside
 * the packed tokens (in --format) come Megatron companions:
 * PREFIX.cu_seqlens (int32: 0, then each sample's end — flash-attention's
 * cu_seqlens for the sequence; padding follows the last end),
 * PREFIX.positions (position ids, restarting at 0 in each sample or running
 * through the sequence) and, with sample loss weighting, PREFIX.weights
 * (float32: 1/N_i on the trained tokens of a sample with N_i of them, 0
 * elsewhere, so that each sample counts equally in a token-summed loss). */
#ifndef LONGWEAVE_PACK_H
#define LONGWEAVE_PACK_H

#include <stdbool.h>
#include <stdint.h>

#include "longweave/seqwriter.h"

typedef enum { LW_PACK_BFD, LW_PACK_SORT } lw_pack_strategy;

typedef struct {
    const char *const *inputs;  /* dataset prefixes or directories of them */
    size_t n_inputs;
    const char *output;         /* PREFIX */
    lw_seq_output output_format;
    bool force;
    uint32_t seq_len;
    lw_pack_strategy strategy;
    bool sample_weights;        /* --loss-weighting sample */
    bool positions_continuous;  /* else they restart in each sample */
    bool truncate_long;         /* a sample over seq_len is cut (else skipped, counted) */
    int64_t pad_id;             /* --pad-id N, or LW_PAD_EOD / LW_PAD_DEFAULT (longweave/pad.h) */
    uint32_t batch_size;        /* sort: samples per batch (default 8) */
    uint64_t seed;              /* sort: the order of the batches */
} lw_pack_config;

typedef struct {
    uint64_t samples, packed_sequences, tokens, padding;
    uint64_t too_long, truncated;
    uint64_t trained;           /* tokens with mask 1 */
} lw_pack_stats;

lw_status lw_pack_run(const lw_pack_config *cfg, lw_pack_stats *stats, lw_error *err);

#endif
