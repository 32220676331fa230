/* `merge`: combine token datasets of one tokenizer and dtype into one,
 * streaming (tokens are copied with pread/write, never all in memory).
 *
 * Inputs are either Megatron dataset prefixes, merged in the order given
 * into the output PREFIX, or output directories (e.g. the parts of
 * --part I/N runs, in one directory or several): every file is put in a
 * group by its path with the part number taken out (part-00003 becomes
 * part-00000; needle's TASK.part-00003.jsonl becomes TASK.jsonl), and each
 * group is joined in input order — datasets sequence by sequence (with their
 * loss masks), CIP .map sidecars with sequences renumbered and documents
 * made global (each part's first_document from its manifest), anything else
 * (chat JSON Lines, evaluation records, .jsonl.zst shards) byte by byte.
 * Merging the parts of `tokenize` or `shard` gives exactly the files of one
 * run (the manifest aside). */
#ifndef LONGWEAVE_MERGE_H
#define LONGWEAVE_MERGE_H

#include <stdbool.h>
#include <stdint.h>

#include "longweave/seqwriter.h"

typedef struct {
    const char *const *inputs;
    size_t n_inputs;
    const char *output;         /* a PREFIX for datasets, a directory for directories */
    lw_seq_output output_format;
    bool force;
} lw_merge_config;

typedef struct {
    uint64_t groups, datasets, sequences, tokens;
    uint64_t files_joined;      /* groups of other files joined byte by byte */
    uint64_t flattened;         /* input documents of several sequences (now one each) */
    /* datasets of fixed-length sequences written for a reader that takes
     * windows of seq_len + 1 (datatrove): read them at seq_len = L - 1 (the
     * manifest's config.reader_seq_len); window_len: the first one's L */
    uint64_t short_windows;
    uint64_t window_len;
} lw_merge_stats;

lw_status lw_merge_run(const lw_merge_config *cfg, lw_merge_stats *stats, lw_error *err);

#endif
