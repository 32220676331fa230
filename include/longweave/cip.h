/* Chunk-interleaved pretraining sequences (LongSkywork's CIP), one length
 * bucket at a time: documents in, fixed-length sequences out.
 *
 * This is the algorithm only (docs/DESIGN.md, "CIP, exactly", steps 3-5):
 * the caller feeds documents in the order it chose and receives each
 * finished sequence, with its loss mask and a map of where every span came
 * from, through a callback. No files, no flags. */
#ifndef LONGWEAVE_CIP_H
#define LONGWEAVE_CIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "longweave/status.h"

typedef enum { LW_CIP_SPLIT_EQUAL = 0, LW_CIP_SPLIT_RANDOM } lw_cip_split;
typedef enum { LW_CIP_CARRY = 0, LW_CIP_DROP, LW_CIP_PAD } lw_cip_remainder;
/* How far back a chunk's previous chunk lies: paper = one round-robin over
 * the whole sequence; spread = round-robins over runs of random lengths. */
typedef enum { LW_CIP_REACH_PAPER = 0, LW_CIP_REACH_SPREAD } lw_cip_reach;

/* The reach-back histogram: equal bins over [0, L). */
enum { LW_CIP_REACH_BINS = 16 };

typedef struct {
    uint32_t seq_len;           /* L */
    uint32_t chunks;            /* C >= 1 */
    uint32_t min_chunk;         /* M >= 1 */
    lw_cip_split split;
    lw_cip_remainder remainder;
    bool drop_last;             /* the last partial sequence: dropped, else padded */
    bool interleave_long;       /* --long-docs interleave (else keep) */
    bool concat;                /* --mode concat: no chunking */
    lw_cip_reach reach;
    uint32_t knot_tokens;       /* K; 0 = no knots */
    const uint32_t *knot_ids;   /* the marker alphabet (knot_tokens > 0) */
    size_t n_knot_ids;
    int64_t bos, eod;           /* -1: not added */
    uint32_t pad;
    uint64_t seed;
} lw_cip_opts;

/* Where a span of a sequence came from: a document's tokens [start,
 * start+length) as its chunk `chunk`, or inserted tokens (doc = -1). */
typedef struct {
    int64_t doc, chunk;
    uint64_t start, length;
} lw_cip_span;

typedef lw_status (*lw_cip_emit_fn)(void *ctx, const uint32_t *tokens, const uint8_t *mask,
                                    size_t n, const lw_cip_span *spans, size_t n_spans,
                                    lw_error *err);

typedef struct {
    uint64_t documents, sequences;
    uint64_t doc_tokens;        /* document tokens written */
    uint64_t inserted_tokens;   /* BOS, EOD, knot markers and recaps */
    uint64_t pad_tokens;
    uint64_t dropped_tokens;    /* document tokens dropped (remainder drop, --last drop) */
    /* Document tokens written in segments of two or more chunks, of one
     * chunk, and as whole sequences of long documents (step 3). */
    uint64_t interleaved_tokens, single_tokens, long_tokens;
    /* Reach-back: for each chunk after a segment's first, the tokens between
     * the end of the segment's previous chunk and its start. Filled by
     * lw_cip_finish: the count, bins of width L/LW_CIP_REACH_BINS (bin i
     * holds gaps in [floor(i*L/B), floor((i+1)*L/B))), and the 5%, 50% and
     * 95% quantiles (the ceil(q*n)-th smallest gap; 0 without gaps). */
    uint64_t reach_gaps;
    uint64_t reach_bins[LW_CIP_REACH_BINS];
    uint32_t reach_p5, reach_median, reach_p95;
} lw_cip_stats;

typedef struct lw_cip lw_cip;

/* LW_E_USAGE for impossible options (C < 1, M < 1, L too small, knots
 * without ids...). */
lw_status lw_cip_new(lw_cip **out, const lw_cip_opts *opts, lw_cip_emit_fn emit, void *ctx,
                     lw_error *err);
/* Feed the next document (global index doc, n tokens). */
lw_status lw_cip_add(lw_cip *c, uint64_t doc, const uint32_t *tokens, size_t n, lw_error *err);
/* Emit the last, partial sequence (padded or dropped). */
lw_status lw_cip_finish(lw_cip *c, lw_error *err);
const lw_cip_stats *lw_cip_stats_get(const lw_cip *c);
void lw_cip_free(lw_cip *c);

#endif
