/* The in-order side of every stage that reads documents: batches of raw
 * units, counting what was read, skipped (by reason) and written, warnings
 * with FILE:LINE, --strict, and default ids.
 *
 * The pattern of a stage is: fill a batch (sequential), parse and transform
 * its units in parallel into per-unit results, then commit the results in
 * input order through an lw_docflow, which is what makes warnings, counts,
 * deduplication and output identical at any thread count. */
#ifndef LONGWEAVE_DOCFLOW_H
#define LONGWEAVE_DOCFLOW_H

#include <stdbool.h>
#include <stdint.h>

#include "longweave/buf.h"
#include "longweave/doc.h"
#include "longweave/input.h"
#include "longweave/reader.h"

struct cJSON;

typedef struct {
    uint64_t input_files;     /* files in this run's part */
    uint64_t ignored_files;   /* directory entries not matching the include patterns */
    uint64_t unreadable_files; /* directory entries that cannot be read, skipped */
    uint64_t empty_files;
    uint64_t blank_lines;
    uint64_t docs_read;       /* = docs_written + sum(skipped) */
    uint64_t docs_written;
    uint64_t skipped[LW_SKIP_COUNT_];
    uint64_t utf8_repaired_docs;
    uint64_t utf8_replacements;
    uint64_t bytes_read;      /* on disk */
    uint64_t bytes_decoded;   /* after decompression */
    uint64_t bytes_written;   /* on disk */
    uint64_t bytes_written_raw; /* before compression */
} lw_doc_stats;

uint64_t lw_doc_stats_skipped_total(const lw_doc_stats *s);
/* {"documents_read":..,"documents_written":..,"skipped":{"malformed_json":..},..};
 * NULL when out of memory. */
struct cJSON *lw_doc_stats_json(const lw_doc_stats *s);

typedef void (*lw_warn_fn)(void *ctx, lw_skip why, const char *message);

/* How far a run is, from work finished (committed), never from read-ahead. */
typedef struct {
    uint64_t docs_read;     /* documents finished */
    uint64_t bytes_read;    /* on disk, of bytes_total, of the finished documents */
    uint64_t bytes_total;   /* 0 when unknown (stdin) */
    uint64_t bytes_decoded; /* the same after decompression */
    const char *made_unit;  /* what a generating stage counts ("samples"); NULL: none */
    uint64_t made;          /* made so far, of made_total */
    uint64_t made_total;    /* 0 when unknown */
    uint64_t tokens;        /* tokens written so far (0: not counted) */
} lw_progress;

typedef void (*lw_progress_fn)(void *ctx, const lw_progress *p);

/* A batch of units copied out of the reader, so the reader can move on. */
typedef struct {
    lw_unit *units;
    size_t count, cap;
    lw_buf data;
    uint64_t end_on_disk, end_decoded; /* lw_reader_consumed after its last unit */
} lw_batch;

/* Read units until about target_bytes of data or max_units are held (at
 * least one unit unless the input is exhausted; *more = false then). */
lw_status lw_batch_fill(lw_batch *b, lw_reader *r, size_t target_bytes, size_t max_units,
                        bool *more, lw_error *err);
void lw_batch_free(lw_batch *b);
/* The units' indices, largest first: handing big documents out first keeps
 * threads from idling behind one large document at the end of a batch.
 * Results are stored by index, so the output order does not change.
 * *order is grown as needed; returns 0 or -1 (out of memory). */
int lw_batch_order_by_size(const lw_batch *b, size_t **order, size_t *cap);

/* The batch loop of a stage. Each batch is processed in parallel, its
 * largest units first, while one thread already reads the next batch; the
 * batch is committed in input order, either after it is processed or (with
 * overlap_commit) by the reading thread while the next batch is processed,
 * so that a long commit (writing a batch's ids) does not leave the other
 * threads idle. Only `process` runs on many threads, so output never
 * depends on the thread count. */
typedef struct {
    int threads;
    size_t batch_bytes, batch_units;
    void *ctx;
    /* Batches alternate between two slots (0, 1), passed to every step. With
     * overlap_commit, commit(slot s) runs alongside process(slot 1 - s): the
     * stage keeps its per-unit results per slot, and process must not touch
     * what commit touches. */
    bool overlap_commit;
    /* Before a batch is processed (single-threaded): size per-unit results,
     * reset per-thread arenas. */
    lw_status (*prepare)(void *ctx, const lw_batch *b, int slot, lw_error *err);
    /* Unit i of the batch, on thread t (0 <= t < threads), in parallel. */
    void (*process)(void *ctx, const lw_batch *b, int slot, size_t i, int t);
    /* After a batch is processed, in input order (on one thread at a time). */
    lw_status (*commit)(void *ctx, const lw_batch *b, int slot, lw_error *err);
} lw_pipeline;

lw_status lw_pipeline_run(const lw_pipeline *p, lw_reader *r, lw_error *err);

typedef struct {
    const lw_input_list *inputs;
    lw_doc_stats *stats;
    bool strict;             /* bad input stops the run (LW_E_DATA) */
    lw_utf8_policy utf8;     /* LW_UTF8_STRICT also stops on invalid UTF-8 */
    lw_warn_fn warn;         /* may be NULL */
    void *warn_ctx;
    char first_missing[600]; /* "FILE:LINE: detail" of the first missing_text skip */
    /* cache for line numbers of --part ranges that start mid-file */
    size_t cached_file;
    uint64_t cached_origin, cached_base;
    bool cached;
} lw_docflow;

/* The location of a unit, with its absolute line number resolved. */
lw_status lw_docflow_loc(lw_docflow *f, const lw_unit *u, lw_loc *loc, lw_error *err);

/* Account for a unit that will not be written: count it, warn (bad input and
 * regex errors only; filters are silent), or fail under --strict. */
lw_status lw_docflow_skip(lw_docflow *f, const lw_unit *u, lw_skip why, const char *detail,
                          lw_error *err);

/* Account for a non-document unit (too large, corrupt, empty file). Sets
 * *handled; LW_UNIT_DOC units are left to the caller. */
lw_status lw_docflow_unit(lw_docflow *f, const lw_unit *u, bool *handled, lw_error *err);

/* At the end of the input: a run that wrote nothing because no document had
 * the text field (all of them missing_text, or otherwise bad) is LW_E_DATA,
 * naming text_key and the keys of the first such record. */
lw_status lw_docflow_check_end(const lw_docflow *f, const char *text_key, lw_error *err);

/* Append the default id of a document without one: "PATH:LINE" for a JSON
 * Lines record, "PATH" for a text file. */
lw_status lw_docflow_default_id(lw_docflow *f, const lw_unit *u, lw_buf *out, lw_error *err);

#endif
