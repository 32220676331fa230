/* The Megatron-Core indexed dataset (DESIGN.md §3): PREFIX.bin holds the
 * token ids back to back; PREFIX.idx holds the header, the sequence lengths
 * (int32), the byte offsets of the sequences (int64) and the document
 * indices (int64: 0, then the sequence index where each document ends).
 *
 * The writer streams: tokens go straight to PREFIX.bin, lengths and document
 * ends to temporary side files, and PREFIX.idx is assembled from those at the
 * end, so memory does not grow with the dataset. The reader maps both files
 * and checks every structural promise before handing out a sequence. */
#ifndef LONGWEAVE_MEGATRON_H
#define LONGWEAVE_MEGATRON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "longweave/outfile.h"
#include "longweave/status.h"

/* Megatron-Core's DType codes (indexed_dataset.py) that longweave writes:
 * ids (uint16, int32), loss masks (uint8), per-token loss weights (float32). */
enum { LW_MEGATRON_UINT8 = 1, LW_MEGATRON_INT32 = 4, LW_MEGATRON_FLOAT32 = 7,
       LW_MEGATRON_UINT16 = 8 };

/* uint16 when every id fits with margin (vocab < 65500, Megatron's rule),
 * int32 otherwise. */
int lw_megatron_dtype_for_vocab(uint32_t vocab_size);
size_t lw_megatron_dtype_size(int dtype);
const char *lw_megatron_dtype_name(int dtype);

/* A dataset's loss mask is the uint8 dataset PREFIX.mask (.bin, .idx). */
#define LW_MEGATRON_MASK_SUFFIX ".mask"

typedef struct lw_megatron_writer lw_megatron_writer;

/* Creates PREFIX.bin and PREFIX.idx under temporary names. Every id written
 * must be below vocab_size. */
lw_status lw_megatron_open(lw_megatron_writer **out, const char *prefix, uint32_t vocab_size,
                           lw_error *err);
/* The same with the dtype given (e.g. LW_MEGATRON_UINT8 for loss masks);
 * values must be below limit. */
lw_status lw_megatron_open_dtype(lw_megatron_writer **out, const char *prefix, int dtype,
                                 uint32_t limit, lw_error *err);
/* Append one sequence of bytes (uint8 datasets). */
lw_status lw_megatron_add_bytes(lw_megatron_writer *w, const uint8_t *v, size_t n, lw_error *err);
/* Append one sequence of n values already in the dataset's dtype and byte
 * order (copying between datasets; ids are not checked). */
lw_status lw_megatron_add_raw(lw_megatron_writer *w, const void *data, size_t n, lw_error *err);
/* Append one sequence. */
lw_status lw_megatron_add(lw_megatron_writer *w, const uint32_t *ids, size_t n, lw_error *err);
/* Close the current document: it spans the sequences added since the last
 * call. (One sequence per document: call after every add.) */
lw_status lw_megatron_end_document(lw_megatron_writer *w, lw_error *err);
/* Write the index and fsync both files (still under temporary names). */
lw_status lw_megatron_finish(lw_megatron_writer *w, lw_error *err);
/* Rename both to their final names. */
lw_status lw_megatron_publish(lw_megatron_writer *w, lw_error *err);
/* Remove both again after a publish (a later step failed). */
void lw_megatron_unpublish(lw_megatron_writer *w);

typedef struct {
    uint64_t sequences, documents, tokens;
    int dtype;
    const lw_outfile *bin, *idx; /* sizes and sha256 after finish */
} lw_megatron_info;
void lw_megatron_info_get(const lw_megatron_writer *w, lw_megatron_info *info);
/* The two output files, for a caller that publishes them itself. */
void lw_megatron_outfiles(lw_megatron_writer *w, lw_outfile **bin, lw_outfile **idx);
/* Removes temporary files unless published. */
void lw_megatron_free(lw_megatron_writer *w);

/* Reading. */
typedef struct {
    int dtype;
    uint64_t sequences, documents; /* documents = number of document indices - 1 */
    /* The arrays start at byte 34 of the index, so they are not aligned:
     * read them through the accessors below. */
    const unsigned char *lengths, *pointers, *doc_index;
    const unsigned char *bin;
    size_t bin_size, idx_size;
    void *idx_map, *bin_map;
} lw_megatron_dataset;

/* Map and check PREFIX.idx / PREFIX.bin: magic, version, dtype, sizes,
 * pointers that follow the lengths, document indices from 0 to N. Damage is
 * LW_E_DATA naming the file and what is wrong. */
lw_status lw_megatron_read(lw_megatron_dataset *d, const char *prefix, lw_error *err);
/* The same checks with only the index mapped (bin is NULL; bin_size is the
 * file's size): for reading the tokens with pread, so that memory does not
 * grow with the dataset. */
lw_status lw_megatron_read_index(lw_megatron_dataset *d, const char *prefix, lw_error *err);
static inline uint32_t lw_megatron_length(const lw_megatron_dataset *d, uint64_t s)
{
    int32_t v;
    memcpy(&v, d->lengths + 4 * s, 4);
    return (uint32_t)v;
}

static inline uint64_t lw_megatron_pointer(const lw_megatron_dataset *d, uint64_t s)
{
    int64_t v;
    memcpy(&v, d->pointers + 8 * s, 8);
    return (uint64_t)v;
}

static inline uint64_t lw_megatron_doc_index(const lw_megatron_dataset *d, uint64_t i)
{
    int64_t v;
    memcpy(&v, d->doc_index + 8 * i, 8);
    return (uint64_t)v;
}

/* Token i of sequence s (no bounds check). */
static inline uint32_t lw_megatron_token(const lw_megatron_dataset *d, uint64_t s, uint64_t i)
{
    const unsigned char *p = d->bin + lw_megatron_pointer(d, s);
    if (d->dtype == LW_MEGATRON_UINT8)
        return p[i];
    if (d->dtype == LW_MEGATRON_UINT16)
        return (uint32_t)p[2 * i] | (uint32_t)p[2 * i + 1] << 8;
    return (uint32_t)p[4 * i] | (uint32_t)p[4 * i + 1] << 8 | (uint32_t)p[4 * i + 2] << 16 |
           (uint32_t)p[4 * i + 3] << 24;
}
/* Value i of sequence s of a float32 dataset (no bounds check). */
static inline float lw_megatron_float(const lw_megatron_dataset *d, uint64_t s, uint64_t i)
{
    uint32_t bits = lw_megatron_token(d, s, i);
    float v;
    memcpy(&v, &bits, 4);
    return v;
}
void lw_megatron_close(lw_megatron_dataset *d);

/* A dataset read sequence by sequence with pread (only the index is mapped,
 * so memory does not grow with the .bin), with its loss mask when a
 * PREFIX.mask dataset is beside it. */
typedef struct lw_megatron_source {
    lw_megatron_dataset d, m;   /* m: the mask's index, when masked */
    bool masked;
    int fd, mfd;
    char *bin, *mbin;
} lw_megatron_source;

/* Open a dataset for pread. mask: LW_MASK_LISTED (it has PREFIX.mask: read
 * it, which must be there), LW_MASK_ABSENT (it has none: a file of that name
 * is not read) or LW_MASK_PROBE (a bare dataset without a manifest: read
 * PREFIX.mask if it is there). lw_dataset_mask() says which. */
enum { LW_MASK_ABSENT = 0, LW_MASK_LISTED = 1, LW_MASK_PROBE = -1 };
lw_status lw_megatron_source_open(lw_megatron_source *s, const char *prefix, int mask,
                                  lw_error *err);
/* Sequence q: its lw_megatron_length() values as raw little-endian bytes of
 * the dataset's dtype into data, and its mask into mask (when masked). */
lw_status lw_megatron_source_read(const lw_megatron_source *s, uint64_t q, void *data,
                                  uint8_t *mask, lw_error *err);
void lw_megatron_source_close(lw_megatron_source *s);

#endif
