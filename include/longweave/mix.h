/* `mix`: a training mixture by token share. Each source (a Megatron dataset)
 * gets round(share x tokens) tokens of whole sequences drawn in a seeded
 * random order without replacement — with --upsample, in as many fresh
 * passes as needed — and the sources are interleaved by the deficit rule
 * (the next sequence comes from the source furthest below its share of
 * what has been written), so every stretch of the output has the shares.
 * Random orders are keyed permutations computed on the fly (a Feistel
 * network with cycle walking), so memory does not grow with the sources or
 * the mixture, and the output is the same for the same seed.
 *
 * With by = "source" the sources are the documents of one dataset grouped
 * by the source field of its lineage (the sequence numbers of each group
 * are kept, 8 bytes a sequence). When every source carries its document
 * lineage, the mixture does too: PREFIX.docs.jsonl, a copy of the line of
 * each sequence's document. */
#ifndef LONGWEAVE_MIX_H
#define LONGWEAVE_MIX_H

#include <stdbool.h>
#include <stdint.h>

#include "longweave/seqwriter.h"

#define LW_MIX_MAX_SOURCES 256

typedef struct {
    const char *prefix[LW_MIX_MAX_SOURCES];
    double share[LW_MIX_MAX_SOURCES];   /* normalised here */
    size_t n_sources;
    uint64_t tokens;                    /* of the mixture */
    bool upsample;                      /* draw again from a source once it is used up */
    uint64_t seed;
    /* by: "source" takes the shares by the source field of one dataset's
     * document lineage (PREFIX.docs.jsonl): every prefix[i] is that dataset
     * and value[i] the source its share i goes to; NULL: by dataset */
    const char *by;
    const char *value[LW_MIX_MAX_SOURCES];
    const char *output;                 /* PREFIX */
    lw_seq_output output_format;
    bool force;
} lw_mix_config;

typedef struct {
    uint64_t sequences, tokens;
    uint64_t picked[LW_MIX_MAX_SOURCES], picked_tokens[LW_MIX_MAX_SOURCES];
    uint64_t available[LW_MIX_MAX_SOURCES]; /* tokens in each source */
    uint32_t passes[LW_MIX_MAX_SOURCES];    /* permutations started (> 1: upsampled) */
    uint64_t other_documents, other_tokens; /* --by: of sources no share names */
    bool lineage;                           /* PREFIX.docs.jsonl written */
} lw_mix_stats;

lw_status lw_mix_run(const lw_mix_config *cfg, lw_mix_stats *stats, lw_error *err);

/* A keyed permutation of [0, n): lw_perm_at(p, i) for i < n is each value
 * once. Exposed for tests. */
typedef struct {
    uint64_t n, key;
    int left_bits, right_bits;
} lw_perm;
void lw_perm_init(lw_perm *p, uint64_t n, uint64_t key);
uint64_t lw_perm_at(const lw_perm *p, uint64_t i);

#endif
