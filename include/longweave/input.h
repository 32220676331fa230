/* Input planning: which files a run reads, in which order, and which part of
 * them a `--part I/N` job owns.
 *
 * Inputs are files, directories (walked recursively; hidden entries skipped;
 * paths sorted bytewise so the order never depends on the file system) and
 * "-" for standard input. A file's format is JSON Lines or plain text (one
 * file = one document), from its name with any compression suffix (.zst,
 * .gz, .xz, .bz2) removed, unless forced. Compression is detected from the
 * content (magic bytes: zstd, gzip, xz, bzip2), never from the name; a plain
 * file whose first 4 KiB cannot be text (see lw_content_not_text) is
 * refused by name when the list is built. */
#ifndef LONGWEAVE_INPUT_H
#define LONGWEAVE_INPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "longweave/decompress.h"
#include "longweave/status.h"

/* How a unit's bytes are read: a JSON object (a line), plain text (a whole
 * file), or a record (record.h: a Parquet row). A file is JSONL or TEXT. */
typedef enum { LW_FORMAT_AUTO = 0, LW_FORMAT_JSONL, LW_FORMAT_TEXT, LW_FORMAT_RECORD } lw_format;

typedef struct {
    char *path;       /* "-" for stdin */
    uint64_t size;    /* bytes on disk; 0 for stdin */
    lw_format format; /* JSONL or TEXT, never AUTO */
    lw_content_kind content; /* from the first bytes (a stream: PLAIN here, detected
                                when the reader reads it); compressed is never split;
                                PARQUET: its rows are read as records (format
                                JSONL, units RECORD), and --part splits it by row
                                groups */
    bool is_stdin;
    bool stream;      /* not a regular file (stdin, a pipe, a FIFO, a device): read
                         once, whole, by one part; never opened before the reader */
} lw_input_file;

typedef struct {
    lw_input_file *files;
    size_t count;
    uint64_t total_bytes;
    uint64_t ignored_files; /* directory entries whose names match no include pattern */
    /* Directory entries that cannot be read (a symlink that loops or points
     * nowhere, no permission): skipped, each as "PATH: reason". */
    char **unreadable;
    size_t n_unreadable;
} lw_input_list;

typedef struct {
    lw_format format;           /* AUTO: decide per file by name */
    const char *const *include; /* basename globs for directory entries; NULL: defaults */
    size_t n_include;
} lw_input_opts;

/* Default directory patterns: JSON Lines and plain-text names, each also
 * with .zst, .gz, .xz or .bz2 (and *.json only compressed: *.json.gz), and
 * *.parquet. */
extern const char *const lw_default_include[];
extern const size_t lw_default_include_count;

/* Expand paths into the ordered file list. A missing or unreadable path is
 * LW_E_NOINPUT; an unreadable entry found inside a directory is listed in
 * unreadable instead, for the caller to report. "-" may appear once. */
lw_status lw_input_list_build(lw_input_list *out, const char *const *paths, size_t n,
                              const lw_input_opts *opts, lw_error *err);
void lw_input_list_free(lw_input_list *list);

/* Format of a file from its name alone (.zst, .gz, .xz or .bz2 stripped): TEXT for .txt,
 * .text, .md, .rst; JSONL for .jsonl, .ndjson, .json; AUTO when unknown. */
lw_format lw_format_from_name(const char *path);

/* One stretch of one file that a part reads. For an uncompressed JSON Lines
 * file, the part owns exactly the lines that *start* at a byte offset in
 * [begin, end); end == UINT64_MAX means "to the end of the file". Every other
 * file is read whole (begin 0, end UINT64_MAX). */
typedef struct {
    size_t file;
    uint64_t begin, end;
} lw_input_range;

typedef struct {
    lw_input_range *ranges;
    size_t count;
    uint64_t bytes; /* on-disk bytes this part is expected to read */
} lw_part_plan;

/* Cut the concatenation of all input files (in list order, T bytes) into
 * nparts byte ranges [T*i/N, T*(i+1)/N). A document belongs to the part in
 * which it starts: a line of an uncompressed JSON Lines file at its first
 * byte, a row group of a Parquet file at its first column chunk's offset,
 * any other file at its first byte. So the parts hold every document
 * exactly once, in input order. */
lw_status lw_part_plan_make(const lw_input_list *list, unsigned part, unsigned nparts,
                            lw_part_plan *plan, lw_error *err);
void lw_part_plan_free(lw_part_plan *plan);

#endif
