/* Parquet input: a small reader of our own (Debian 12 packages no C library
 * for Parquet) that turns each row of a .parquet file into one record
 * (record.h), which every command reads as it reads a JSON Lines object.
 *
 * What it reads:
 *  - the footer (PAR1 at both ends, a 4-byte little-endian footer length)
 *    and its Thrift compact-protocol FileMetaData;
 *  - flat columns, required or optional (nullable); a nested column (a
 *    group: struct, list, map) or a repeated column is skipped by name and
 *    counted, never read;
 *  - data pages v1 and v2 and dictionary pages; encodings PLAIN,
 *    PLAIN_DICTIONARY/RLE_DICTIONARY, RLE (booleans), the RLE/bit-packed
 *    hybrid for definition levels, DELTA_BINARY_PACKED,
 *    DELTA_LENGTH_BYTE_ARRAY, DELTA_BYTE_ARRAY and BYTE_STREAM_SPLIT;
 *  - codecs UNCOMPRESSED, SNAPPY, GZIP, ZSTD and LZ4_RAW.
 *
 * How values become fields (one record per row, the columns in schema
 * order; a string field holds its bytes, any other its JSON text):
 *  - BYTE_ARRAY (STRING/UTF8/ENUM/JSON or no annotation) and a plain
 *    FIXED_LEN_BYTE_ARRAY: a string of the bytes (invalid UTF-8 is left
 *    for the document parser's --utf8 policy); UUID: its 8-4-4-4-12 text;
 *  - INT32/INT64 (signed or unsigned), DATE, TIME and TIMESTAMP: the stored
 *    integer (days, or units since the epoch/midnight, as the schema says);
 *    INT96 (legacy timestamps): nanoseconds since the Unix epoch;
 *  - DECIMAL (INT32, INT64 or FIXED_LEN_BYTE_ARRAY up to 16 bytes): the exact
 *    decimal number, e.g. 12.50;
 *  - DOUBLE: the shortest of %.15g/%.16g/%.17g that reads back to the same
 *    double (".0" added to integral values, so they stay floats); FLOAT: the
 *    shortest %.6g..%.9g that reads back to the same float; FLOAT16 likewise;
 *    NaN and infinities (not JSON) become null and are counted;
 *  - BOOLEAN: true/false; a null (undefined) value: null.
 *
 * Every damaged or unsupported structure (footer, metadata, page header,
 * length, level, dictionary index, decompressed size) is an LW_E_DATA error
 * naming the file, the row group and the column; allocations are bounded by
 * the file size or by sizes checked against it, and memory by one row group
 * (its compressed column chunks plus one decompressed page per column). */
#ifndef LONGWEAVE_PARQUET_H
#define LONGWEAVE_PARQUET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "longweave/status.h"

/* A Parquet file is recognised by its content, "PAR1" first, as every
 * other kind of input (lw_content_sniff, LW_CONTENT_PARQUET). */

typedef struct {
    size_t max_doc_bytes;  /* a row whose record is longer comes back TOO_LARGE; 0: none */
    size_t max_page_bytes; /* largest decompressed page accepted; 0: 512 MiB */
} lw_parquet_opts;

typedef struct lw_parquet lw_parquet;

/* Open path (size bytes, a regular file) and read its footer. Only the row
 * groups whose position (the file offset of their first column chunk) is in
 * [begin, end) are read: --part ranges, so that parts own disjoint row
 * groups that join, in order, to the whole file. */
lw_status lw_parquet_open(lw_parquet **out, const char *path, uint64_t size, uint64_t begin,
                          uint64_t end, const lw_parquet_opts *opts, lw_error *err);

typedef enum {
    LW_PARQUET_ROW = 0,   /* data/len: the row as a record (record.h) */
    LW_PARQUET_TOO_LARGE, /* a row over max_doc_bytes; len: its record's size, data NULL */
    LW_PARQUET_NOTE       /* data/len: a warning about the file (skipped nested
                             columns, NaN/Inf written as null), not a row */
} lw_parquet_kind;

typedef struct {
    lw_parquet_kind kind;
    const char *data; /* valid until the next lw_parquet_next */
    size_t len;
    uint64_t row;     /* 1-based row number in the file (across row groups) */
} lw_parquet_row;

/* The next row of the selected row groups; *got = false at the end. A note
 * about skipped columns comes first, one about non-finite floats last. */
lw_status lw_parquet_next(lw_parquet *p, lw_parquet_row *row, bool *got, lw_error *err);

typedef struct {
    uint64_t rows;            /* rows in the file */
    size_t row_groups;        /* row groups in the file */
    size_t row_groups_read;   /* of them selected by [begin, end) */
    size_t columns;           /* flat columns read */
    size_t skipped_columns;   /* nested or repeated top-level columns skipped */
    uint64_t nonfinite;       /* NaN/Inf values written as null so far */
    uint64_t bytes_read;      /* bytes read from the file so far */
} lw_parquet_info;

void lw_parquet_info_get(const lw_parquet *p, lw_parquet_info *info);
void lw_parquet_close(lw_parquet *p);

#endif
