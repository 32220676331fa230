/* The `shard` stage: raw corpora in, N clean, deterministic .jsonl.zst shards
 * and a manifest out.
 *
 * A document's shard is a hash of its text (or id), so re-runs give the same
 * shards and adding inputs does not move documents already sharded; within a
 * shard documents keep input order. Output records are
 * {"id","text","source",...other input fields}. */
#ifndef LONGWEAVE_SHARD_H
#define LONGWEAVE_SHARD_H

#include <stdbool.h>
#include <stdint.h>

#include "longweave/docflow.h"
#include "longweave/filter.h"
#include "longweave/source.h"

typedef enum { LW_SHARD_BY_CONTENT = 0, LW_SHARD_BY_ID } lw_shard_by;

#define LW_SHARD_MAX 100000

typedef struct {
    lw_source_config src;
    const char *outdir;
    bool force;
    unsigned num_shards;      /* 1..LW_SHARD_MAX */
    lw_shard_by shard_by;
    lw_filter_opts filter;
    bool dedup;
    uint64_t seed;            /* salts the shard hash */
    int zstd_level;           /* 0: 3 */
} lw_shard_config;

/* Runs the stage. stats are filled as far as the run got, also on failure.
 * On failure no file is left under a final name (an earlier manifest of a
 * --force run is already gone). */
lw_status lw_shard_run(const lw_shard_config *cfg, lw_doc_stats *stats, lw_error *err);

/* The shard a text goes to under content sharding (exposed for tests). */
unsigned lw_shard_of_text(const char *text, size_t len, uint64_t seed, unsigned num_shards);
unsigned lw_shard_of_id(const char *id, size_t len, uint64_t seed, unsigned num_shards);

#endif
