/* Evaluation sets: needle-in-a-haystack and RULER-style tasks (`needle`),
 * and their scoring with a depth x length heatmap (`score`, see score.h).
 *
 * Every sample's input tokenizes to its target length (within 1%, never
 * over) and its needle starts at the requested depth of the context (to the
 * nearest unit boundary: a sentence, a list item, a JSON pair); the target
 * length, depth and the needle's token offset are recorded per sample.
 * Samples are pure functions of (seed, task, length, depth, copy), so the
 * output is byte-identical at any thread count and --part slices agree with
 * a single run. */
#ifndef LONGWEAVE_NEEDLE_H
#define LONGWEAVE_NEEDLE_H

#include <stdbool.h>
#include <stdint.h>

#include "longweave/docflow.h"
#include "longweave/seqwriter.h"
#include "longweave/source.h"

#define LW_NEEDLE_MAX_LENGTHS 64
#define LW_NEEDLE_TASKS 8

typedef struct {
    const char *tokenizer, *pattern;
    const char *outdir;
    bool force;
    uint32_t lengths[LW_NEEDLE_MAX_LENGTHS];
    size_t n_lengths;
    uint32_t depths;            /* number of depths, evenly from 0 to 1 (0: 11) */
    uint32_t count_per_cell;    /* samples per (task, length, depth) (0: 1) */
    const char *const *tasks;   /* names; NULL: all */
    size_t n_tasks;
    bool one_file;              /* all tasks in OUTDIR/needle.*, else OUTDIR/TASK.* */
    lw_seq_output output;       /* --format, --shard-tokens, --shard-bytes */
    bool prepend_bos;           /* the tokenized inputs start with BOS (within the length) */
    const char *lang;           /* "en" (NULL) or "zh": templates and haystack sentence rules */
    /* A haystack corpus (any reader input); n_inputs 0: the built-in filler. */
    lw_source_config haystack;
    uint64_t seed;
    unsigned part, nparts;      /* --part I/N: a contiguous slice of the samples */
    int threads;                /* 0: all cores */
    lw_progress_fn progress;
    void *cb_ctx;
} lw_needle_config;

typedef struct {
    uint64_t samples, tokens, encodes;
    uint64_t redraws;           /* samples drawn again: a haystack sentence held an answer */
    uint64_t per_task[LW_NEEDLE_TASKS];
    uint64_t haystack_sentences, haystack_bytes;
    lw_doc_stats haystack;      /* the documents read for the haystack */
} lw_needle_stats;

lw_status lw_needle_run(const lw_needle_config *cfg, lw_needle_stats *stats, lw_error *err);

extern const char *const lw_needle_task_names[]; /* LW_NEEDLE_TASKS names, then NULL */

#endif
