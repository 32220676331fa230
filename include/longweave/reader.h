/* The document reader: one iterator over the planned inputs that yields raw
 * documents ("units"): a line of a JSON Lines file, or a whole text file.
 *
 * It streams: compressed input (zstd, gzip, xz, bzip2: the kind sniffed from
 * the first bytes of what is read, so stdin and pipes too) goes through
 * lw_decoder (decompress.h) chunk by chunk, lines of any length up to max_doc_bytes are
 * assembled in a window that only grows to the longest line, and nothing is
 * ever read whole into memory. A Parquet file (PAR1 content) yields each row
 * as a record (format RECORD, record.h), through corpus/parquet_reader.c.
 * CRLF endings lose their CR, a UTF-8 BOM at the
 * start of a file is dropped, and blank lines are skipped and counted.
 *
 * Problems that concern one document or one file (an oversized line, a
 * corrupt or truncated compressed stream, an empty file) come back as units
 * with a kind, so the caller can skip-and-count or fail under --strict, in
 * input order. Errors of lw_reader_next itself are I/O failures and content
 * that cannot be text (LW_E_DATA naming the file: binary data, or a
 * compressed file whose first 4 KiB decompressed are not text), checked
 * when a file is opened; a plain regular file was checked when listed. */
#ifndef LONGWEAVE_READER_H
#define LONGWEAVE_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "longweave/input.h"
#include "longweave/status.h"

#define LW_DEFAULT_MAX_DOC_BYTES ((size_t)256 << 20)

typedef enum {
    LW_UNIT_DOC = 0,    /* data/len hold the document's bytes */
    LW_UNIT_TOO_LARGE,  /* a document over max_doc_bytes; len = its size (or a lower bound) */
    LW_UNIT_CORRUPT,    /* the file's compressed stream is damaged; data = message */
    LW_UNIT_EMPTY_FILE, /* a JSON Lines file with no bytes at all */
    LW_UNIT_NOTE        /* a warning about the file, not a document; data = message */
} lw_unit_kind;

typedef struct {
    lw_unit_kind kind;
    lw_format format;     /* JSONL (a line), TEXT (a whole file) or RECORD (a row) */
    const char *data;     /* valid until the next lw_reader_next */
    size_t len;
    size_t file;          /* index in the input list */
    uint64_t offset;      /* byte offset of the unit in the (decompressed) stream;
                             for CORRUPT, the offset in the compressed file */
    uint64_t line;        /* 1-based line, counted from line_origin; 0 for TEXT;
                             for a Parquet row, its 1-based row number in the file */
    uint64_t line_origin; /* byte offset where line counting started (0 = file start) */
} lw_unit;

typedef struct {
    size_t max_doc_bytes; /* 0: LW_DEFAULT_MAX_DOC_BYTES */
} lw_reader_opts;

typedef struct {
    uint64_t bytes_read;       /* on-disk (compressed) bytes consumed */
    uint64_t bytes_decoded;    /* bytes after decompression */
    uint64_t blank_lines;
    uint64_t files_opened;
} lw_reader_stats;

typedef struct lw_reader lw_reader;

/* The list and plan must outlive the reader. */
lw_status lw_reader_open(lw_reader **out, const lw_input_list *list, const lw_part_plan *plan,
                         const lw_reader_opts *opts, lw_error *err);
/* *got = false at the end of input. */
lw_status lw_reader_next(lw_reader *r, lw_unit *unit, bool *got, lw_error *err);
const lw_reader_stats *lw_reader_stats_get(const lw_reader *r);
/* The input handed out as units so far: the stats' counts without what the
 * reader holds read ahead and not yet returned (its window, and for
 * compressed input the raw bytes not yet decoded). What progress reports:
 * the work that units finished, not the reader's read-ahead. */
void lw_reader_consumed(const lw_reader *r, uint64_t *on_disk, uint64_t *decoded);
void lw_reader_close(lw_reader *r);

/* Number of newline bytes in path[0..offset): the line number base for units
 * whose line_origin is not 0 (the first lines of a --part range). Reading the
 * file prefix costs time, so callers resolve it only when a line number is
 * actually needed (a warning, a default id) and cache the answer. */
lw_status lw_count_newlines(const char *path, uint64_t offset, uint64_t *count, lw_error *err);

#endif
