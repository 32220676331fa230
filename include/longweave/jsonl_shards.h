/* Writer of N JSON Lines shards compressed with zstd.
 *
 * Records are appended to a per-shard buffer; a buffer that reaches the frame
 * size is sealed into its own zstd frame. Sealed frames are compressed in
 * parallel (one compression context per thread) and written in order, so the
 * files are byte-identical at any thread count: frame boundaries depend only
 * on the data. Each file is a standard multi-frame .zst (zstd -dc reads it),
 * frames end at record boundaries, and every frame carries a checksum. */
#ifndef LONGWEAVE_JSONL_SHARDS_H
#define LONGWEAVE_JSONL_SHARDS_H

#include <stdint.h>

#include "longweave/buf.h"
#include "longweave/outfile.h"
#include "longweave/status.h"

typedef struct lw_jsonl_shards lw_jsonl_shards;

typedef struct {
    const char *dir;
    const char *pattern; /* printf pattern with one %05u, e.g. "shard-%05u.jsonl.zst" */
    unsigned count;
    int zstd_level;      /* 0: 3 */
    int threads;
} lw_jsonl_shards_opts;

lw_status lw_jsonl_shards_open(lw_jsonl_shards **out, const lw_jsonl_shards_opts *opts,
                               lw_error *err);
/* The buffer to append one record of len bytes to (NULL when out of
 * memory); call lw_jsonl_shards_end_record after (0, or -1 when out of
 * memory). */
lw_buf *lw_jsonl_shards_record(lw_jsonl_shards *w, unsigned shard, size_t len);
int lw_jsonl_shards_end_record(lw_jsonl_shards *w, unsigned shard);
/* Write the frames sealed before the last flush (compressing what is left
 * of them), and set the frames sealed since aside for compression (call
 * once per batch, between the parallel steps). Records may be added on one
 * thread while others call lw_jsonl_shards_work: they touch different
 * frames. */
lw_status lw_jsonl_shards_flush(lw_jsonl_shards *w, lw_error *err);
/* Compress one of the frames set aside by the last flush, if one is left
 * (thread: 0 .. threads-1, each index used by one thread at a time). Call
 * from the parallel step of the next batch, to compress while it works. */
void lw_jsonl_shards_work(lw_jsonl_shards *w, int thread);
/* Seal and write everything, fsync; files keep their temporary names. */
lw_status lw_jsonl_shards_finish(lw_jsonl_shards *w, lw_error *err);
/* Rename all files to their final names (all or none). */
lw_status lw_jsonl_shards_publish(lw_jsonl_shards *w, lw_error *err);
/* Remove published files again (a later step of the run failed). Info such
 * as record counts stays available; the writer must still be freed. */
void lw_jsonl_shards_unpublish(lw_jsonl_shards *w);

typedef struct {
    const char *name;  /* file name inside dir */
    uint64_t records;
    uint64_t bytes;    /* on disk */
    uint64_t raw_bytes;
    const char *sha256;
} lw_shard_info;
void lw_jsonl_shards_info(const lw_jsonl_shards *w, unsigned shard, lw_shard_info *info);

/* Removes temporary files unless published. */
void lw_jsonl_shards_free(lw_jsonl_shards *w);

#endif
