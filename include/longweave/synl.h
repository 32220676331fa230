/* The `synl` stage: synthetic lengthy-table SFT samples with exact answers
 * (LongSkywork's SynL). Needs no corpus: tables come from compiled-in word
 * lists and the counter-based RNG, questions are answered by code, and each
 * sample's table is grown until the whole conversation, encoded with the
 * target tokenizer and chat template, fills 90-100% of its length bucket.
 *
 * Outputs: chat JSON Lines (OpenAI "messages" with a "meta" record of the
 * task, the structured query and the exact answer), and per bucket a
 * token dataset (--format) with a loss mask (1 on the assistant's answer). */
#ifndef LONGWEAVE_SYNL_H
#define LONGWEAVE_SYNL_H

#include <stdbool.h>
#include <stdint.h>

#include "longweave/docflow.h"
#include "longweave/seqwriter.h"

#define LW_SYNL_MAX_BUCKETS 64
#define LW_SYNL_MAX_LANGS 8

typedef struct {
    const char *tokenizer, *pattern;
    const char *template_name;       /* llama3, chatml, plain (default: llama3 if the
                                        tokenizer has its tokens, else plain) */
    const char *template_file;
    const char *outdir;
    bool force;
    lw_seq_output output;       /* --format, --shard-tokens, --shard-bytes */
    uint32_t seq_len[LW_SYNL_MAX_BUCKETS];
    double mix[LW_SYNL_MAX_BUCKETS]; /* share of tokens per length (0: equal) */
    size_t n_buckets;
    uint64_t count;                  /* samples in all (before --part) */
    uint64_t seed;
    const char *const *tasks;        /* task names; NULL: all */
    size_t n_tasks;
    const char *const *formats;      /* markdown, csv, json, kv; NULL: all */
    size_t n_formats;
    const char *const *domains;      /* built-in or --schema names; NULL: all */
    size_t n_domains;
    const char *const *schema_files;
    size_t n_schema_files;
    bool cot;
    double lang_mix[LW_SYNL_MAX_LANGS]; /* share of samples per lw_synl_lang_names entry
                                           (all 0: English only) */
    const char *system;              /* system prompt, or NULL */
    unsigned part, nparts;
    int threads;
    lw_progress_fn progress;
    void *cb_ctx;
} lw_synl_config;

typedef struct {
    uint64_t samples, tokens, answer_tokens, encodes;
    uint64_t per_bucket[LW_SYNL_MAX_BUCKETS];
    uint64_t per_task[32];
} lw_synl_stats;

lw_status lw_synl_run(const lw_synl_config *cfg, lw_synl_stats *stats, lw_error *err);

/* Names of the tasks (NULL-terminated), for --help and checks. */
extern const char *const lw_synl_task_names[];
/* Languages of the texts (NULL-terminated): "en", "zh". */
extern const char *const lw_synl_lang_names[];

#endif
