/* Private to corpus/parquet_*.c: the decoded footer (parquet_thrift.c) and
 * the column cursors that decode pages (parquet_pages.c). Messages written
 * into msg[] say what is wrong; the reader adds the file, row group and
 * column. */
#ifndef LONGWEAVE_PARQUET_INTERNAL_H
#define LONGWEAVE_PARQUET_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <zstd.h>

enum { PQ_MSG = 240 };

/* Physical types, codecs, encodings and page types, as parquet.thrift numbers them. */
enum { PQ_BOOLEAN = 0, PQ_INT32, PQ_INT64, PQ_INT96, PQ_FLOAT, PQ_DOUBLE, PQ_BYTE_ARRAY,
       PQ_FLBA };
enum { PQ_UNCOMPRESSED = 0, PQ_SNAPPY, PQ_GZIP, PQ_LZO, PQ_BROTLI, PQ_LZ4, PQ_ZSTD,
       PQ_LZ4_RAW };
enum { PQ_PLAIN = 0, PQ_PLAIN_DICTIONARY = 2, PQ_RLE = 3, PQ_BIT_PACKED = 4,
       PQ_DELTA_BINARY_PACKED = 5, PQ_DELTA_LENGTH_BYTE_ARRAY = 6, PQ_DELTA_BYTE_ARRAY = 7,
       PQ_RLE_DICTIONARY = 8, PQ_BYTE_STREAM_SPLIT = 9 };
enum { PQ_DATA_PAGE = 0, PQ_INDEX_PAGE = 1, PQ_DICTIONARY_PAGE = 2, PQ_DATA_PAGE_V2 = 3 };
/* ConvertedType values used here */
enum { PQ_CT_UTF8 = 0, PQ_CT_DECIMAL = 5, PQ_CT_UINT_8 = 11, PQ_CT_UINT_64 = 14 };
/* LogicalType union members used here */
enum { PQ_LT_DECIMAL = 5, PQ_LT_INTEGER = 10, PQ_LT_UUID = 14, PQ_LT_FLOAT16 = 15 };

typedef struct {
    char *name;
    int type;         /* -1: none (a group) */
    int type_length;
    int repetition;   /* 0 required, 1 optional, 2 repeated; -1 not given */
    int num_children; /* 0 for a leaf */
    int converted;    /* -1: none */
    int scale, precision;
    int logical;      /* union member id, 0: none */
    int lt_scale;     /* DECIMAL */
    bool lt_unsigned; /* INTEGER with isSigned false */
} pq_schema_el;

typedef struct {
    bool has_meta, external;
    int type, codec;
    int64_t num_values, total_compressed;
    int64_t data_page_offset, dict_page_offset; /* dict: -1 when absent */
} pq_chunk_meta;

typedef struct {
    int64_t num_rows;
    size_t n_columns;
    pq_chunk_meta *columns;
} pq_row_group;

typedef struct {
    int64_t num_rows;
    pq_schema_el *schema;
    size_t n_schema;
    pq_row_group *row_groups;
    size_t n_row_groups;
    pq_chunk_meta *chunks; /* storage of every row group's columns */
} pq_meta;

typedef struct {
    int type;
    int64_t uncompressed, compressed;
    int64_t num_values;
    int encoding;
    int def_encoding;
    /* data page v2 */
    int64_t num_nulls, def_len, rep_len;
    bool is_compressed;
    bool has_data, has_dict, has_v2;
} pq_page_header;

/* 0 on success; -1 with msg filled. pq_meta_free is safe after a failure. */
int pq_parse_meta(const uint8_t *p, size_t n, pq_meta *m, char *msg);
void pq_meta_free(pq_meta *m);
/* *used: the header's length in bytes. */
int pq_parse_page_header(const uint8_t *p, size_t n, pq_page_header *h, size_t *used, char *msg);

/* A value in its PLAIN byte form: ptr/len (BYTE_ARRAY, FIXED_LEN_BYTE_ARRAY),
 * or little-endian bytes in tmp (fixed-width types; a boolean is one byte). */
typedef struct {
    const uint8_t *ptr;
    size_t len;
    uint8_t tmp[16];
} pq_value;

/* The RLE/bit-packed hybrid decoder. */
typedef struct {
    const uint8_t *p, *end;
    int bw;
    uint64_t run;       /* values left in the current run */
    bool packed;
    uint64_t value;     /* RLE run value */
    const uint8_t *bits, *bits_end;
    uint64_t bitpos;
} pq_rle;

/* DELTA_BINARY_PACKED decoder. */
typedef struct {
    const uint8_t *p, *end;
    uint64_t block, n_mini, per_mini, left;
    bool first;
    uint64_t last;
    uint64_t min_delta;
    const uint8_t *widths;
    uint64_t mini;        /* index of the next miniblock in the block */
    uint64_t in_mini;     /* values left in the current miniblock */
    const uint8_t *mp, *mend;
    int mbw;
    uint64_t mbit;
} pq_dbp;

typedef struct {
    /* set by the reader */
    int type, type_length, codec, max_def;
    size_t max_page;
    ZSTD_DCtx *zstd;
    const uint8_t *chunk;
    size_t chunk_len, pos;
    int64_t values_left; /* levels left in the chunk */
    /* dictionary */
    uint8_t *dict_buf;
    size_t dict_cap;
    pq_value *dict; /* ptr/len into dict_buf */
    size_t dict_n, dict_n_cap;
    bool has_dict;
    /* current data page */
    uint8_t *page;
    size_t page_cap;
    int64_t page_left;
    pq_rle def;
    int enc;
    const uint8_t *vp, *vend;
    uint64_t bit;
    pq_rle idx;
    pq_dbp d1, d2;
    uint8_t *prev;
    size_t prev_len, prev_cap;
    size_t bss_n, bss_k;
    char msg[PQ_MSG];
} pq_col;

/* Start a column chunk (chunk/chunk_len/values_left set). */
void pq_col_reset(pq_col *c);
/* The next level and value: 0, or -1 with c->msg filled. */
int pq_col_next(pq_col *c, bool *is_null, pq_value *v);
void pq_col_free(pq_col *c);

#endif
