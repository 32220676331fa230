/* The `cip` stage: token datasets (or documents, tokenized first) in,
 * length-bucketed chunk-interleaved sequences out (docs/DESIGN.md, "CIP,
 * exactly": order, buckets, then lw_cip per bucket), with loss masks, a map
 * of every sequence and a manifest. Buckets run in parallel; output does not
 * depend on the thread count. */
#ifndef LONGWEAVE_CIP_STAGE_H
#define LONGWEAVE_CIP_STAGE_H

#include <stdbool.h>
#include <stdint.h>

#include "longweave/cip.h"
#include "longweave/seqwriter.h"
#include "longweave/source.h"

#define LW_CIP_MAX_BUCKETS 64

typedef struct {
    /* Input: token dataset prefixes in src.inputs; or, with tokenizer set and
     * inputs that are not datasets, documents that are tokenized first. */
    lw_source_config src;
    const char *tokenizer;      /* NULL: the one named in the datasets' manifest */
    const char *pattern;
    const char *outdir;
    bool force;
    lw_seq_output output;       /* --format, --shard-tokens, --shard-bytes */
    uint32_t seq_len[LW_CIP_MAX_BUCKETS];
    double mix[LW_CIP_MAX_BUCKETS]; /* token shares (normalised here) */
    size_t n_buckets;
    lw_cip_opts cip;            /* seq_len, bos, eod, pad, knot ids filled per run */
    bool bos, eod;
    int64_t bos_id, eod_id;     /* -1: the tokenizer's */
    int64_t pad_id;             /* --pad-id N, or LW_PAD_EOD / LW_PAD_DEFAULT (longweave/pad.h) */
    const uint32_t *knot_ids;   /* NULL: the tokenizer's pieces "0".."9" */
    size_t n_knot_ids;
    uint32_t shuffle_window;    /* 0: 65536 */
    uint64_t seed;
} lw_cip_config;

typedef struct {
    uint32_t seq_len;
    lw_cip_stats cip;
    bool masked;                /* a mask dataset was written */
} lw_cip_bucket_stats;

typedef struct {
    bool tokenized;             /* documents were tokenized first: docs counts them */
    lw_doc_stats docs;
    uint64_t documents;         /* documents taken */
    lw_cip_bucket_stats buckets[LW_CIP_MAX_BUCKETS];
    size_t n_buckets;
} lw_cip_run_stats;

lw_status lw_cip_run(const lw_cip_config *cfg, lw_cip_run_stats *stats, lw_error *err);

#endif
