/* The `tokenize` stage: documents in (any input the readers accept), one
 * token sequence per document out, as a Megatron indexed dataset
 * PREFIX.bin / PREFIX.idx with PREFIX.manifest.json.
 *
 * Documents are encoded in parallel and written in input order, so the
 * output is byte-identical at any thread count; memory is bounded by the
 * batch of documents in flight. */
#ifndef LONGWEAVE_TOKENIZE_H
#define LONGWEAVE_TOKENIZE_H

#include <stdbool.h>
#include <stdint.h>

#include "longweave/docflow.h"
#include "longweave/seqwriter.h"
#include "longweave/source.h"
#include "longweave/tokenizer.h"

typedef struct {
    lw_source_config src;
    const char *prefix;       /* output: PREFIX.bin, PREFIX.idx, PREFIX.manifest.json */
    bool force;
    const char *tokenizer;    /* path */
    const char *pattern;      /* tiktoken split pattern override, or NULL */
    bool match_special;       /* lw_tok_opts.match_special */
    lw_seq_output output;       /* --format, --shard-tokens, --shard-bytes */
    bool append_eod, prepend_bos;
    int64_t eod_id, bos_id;   /* -1: the tokenizer's own */
} lw_tokenize_config;

typedef struct {
    lw_doc_stats docs;
    uint64_t sequences, tokens, empty_sequences;
} lw_tokenize_stats;

lw_status lw_tokenize_run(const lw_tokenize_config *cfg, lw_tokenize_stats *stats, lw_error *err);

#endif
