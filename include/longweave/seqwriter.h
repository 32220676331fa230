/* Token-sequence writers: one interface for every output format a trainer
 * reads (DESIGN.md §3), chosen with --format on every producing command.
 *
 *   megatron   PREFIX.bin/.idx, loss mask in PREFIX.mask.bin/.idx (uint8)
 *   datatrove  PREFIX.ds (uint16 or uint32), PREFIX.ds.index (uint64 ends;
 *              of a packed sequence, each sample's end and its padding's),
 *              PREFIX.ds.loss (a byte per token), PREFIX.ds.metadata
 *   mds        PREFIX/ as a MosaicML streaming dataset: shard.NNNNN.mds and
 *              index.json, columns input_ids, indices (and mask), as ProLong
 *   llmc       PREFIX_NNNNNN.bin llm.c shards (256-int32 header; no mask)
 *   npy        PREFIX.npy, one N x L array (fixed-length outputs only), and
 *              PREFIX.mask.npy
 *   jsonl      PREFIX.jsonl, {"input_ids": [...], "labels": [...]} with -100
 *              where the mask is 0 (labels only for masked outputs); packed
 *              sequences add attention_mask, position_ids and seq_lengths
 *   olmo       PREFIX.npy headerless ids (uint8/16/32 by vocabulary, as
 *              OLMo-core picks), PREFIX.mask.npy (bool), PREFIX.csv.gz
 *              (Dolma's start,end,id,src,loc per non-empty sequence: the
 *              lw_seqw_label document, else the ordinal)
 *
 * Every file is written under a temporary name and published together; the
 * writer lists them for the manifest. */
#ifndef LONGWEAVE_SEQWRITER_H
#define LONGWEAVE_SEQWRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "longweave/status.h"

typedef enum {
    LW_SEQ_MEGATRON,
    LW_SEQ_DATATROVE,
    LW_SEQ_MDS,
    LW_SEQ_LLMC,
    LW_SEQ_NPY,
    LW_SEQ_JSONL,
    LW_SEQ_OLMO,
    LW_SEQ_FORMATS
} lw_seq_format;

/* Every format's name, in lw_seq_format order: for messages and --help. */
#define LW_SEQ_FORMAT_LIST "megatron, datatrove, mds, llmc, npy, jsonl, olmo"

const char *lw_seq_format_name(lw_seq_format f);
/* 0, or -1 for an unknown name. */
int lw_seq_format_parse(const char *name, lw_seq_format *f);
/* LW_SEQ_FORMAT_LIST */
const char *lw_seq_format_list(void);
/* What the format adds to PREFIX for its first file (".bin", ".ds",
 * "/index.json", "_000000.bin", ".npy", ".jsonl", ".npy"): where an earlier
 * dataset would show. */
const char *lw_seq_format_first_file(lw_seq_format f);
/* Tokens the format's usual reader takes past its sequence length without
 * stepping back: datatrove's DatatroveFileDataset reads windows of seq_len + 1
 * one after the other (inputs and labels from one window), so a sequence of
 * length L for it holds L + 1 tokens, and seq_len = L reads exactly one. 0
 * for the others: Megatron's GPTDataset and llm.c's loader also read one
 * more but step by L, so L stored tokens stay aligned; MDS, NPY, OLMo and
 * JSON Lines readers take the stored sequence as the sample. */
uint32_t lw_seq_format_extra_tokens(lw_seq_format f);

typedef enum {
    LW_MASK_NONE,   /* no loss mask */
    LW_MASK_ALWAYS, /* every sequence comes with one, and it is written */
    LW_MASK_LAZY    /* written only once some token is masked (fixed-length outputs:
                       the sequences before get all-ones masks) */
} lw_mask_mode;

typedef struct {
    lw_seq_format format;
    uint32_t vocab_size;        /* every id must be below it */
    lw_mask_mode mask;
    uint32_t fixed_len;         /* every sequence has this many tokens (0: they vary) */
    const char *tokenizer_name; /* recorded where the format has a place for it */
    uint64_t shard_tokens;      /* llmc: tokens per shard file (0: 100M, as llm.c) */
    uint64_t shard_bytes;       /* mds: shard size limit (0: 64 MiB, as MDSWriter) */
} lw_seqw_opts;

/* What a stage's --format, --shard-tokens and --shard-bytes say. */
typedef struct {
    lw_seq_format format;
    uint64_t shard_tokens, shard_bytes; /* 0: the format's default */
} lw_seq_output;

/* Writer options for output o. */
lw_seqw_opts lw_seqw_opts_for(const lw_seq_output *o, uint32_t vocab_size, lw_mask_mode mask,
                              uint32_t fixed_len, const char *tokenizer_name);

typedef struct lw_seqw lw_seqw;

/* Check the options against the format (npy needs fixed-length sequences,
 * llmc has no mask) before any work is done. */
lw_status lw_seqw_check(const lw_seqw_opts *o, lw_error *err);
lw_status lw_seqw_open(lw_seqw **w, const char *prefix, const lw_seqw_opts *o, lw_error *err);
/* One sequence: n ids, its loss mask (n bytes of 0/1; NULL: all ones) and,
 * for formats that keep them (mds indices), the ends of the documents
 * packed into it (NULL: one document). */
lw_status lw_seqw_add(lw_seqw *w, const uint32_t *ids, const uint8_t *mask, size_t n,
                      const uint32_t *doc_ends, size_t n_docs, lw_error *err);
/* The document the next sequence is (tokenize: one document per sequence),
 * as its lineage line says it: id and source as JSON texts, valid until
 * that lw_seqw_add. Formats that keep it (olmo's .csv.gz id and src) write
 * it; the others ignore it. */
void lw_seqw_label(lw_seqw *w, const char *id, size_t id_len, const char *source,
                   size_t source_len);
/* A packed sequence: n_docs samples ending at doc_ends (the last end may
 * be short of n: padding follows), and its position ids (n of them; NULL:
 * restarting at 0 in each sample and in the padding). The datatrove index
 * then ends at every sample (and after the padding), and jsonl records carry
 * attention_mask, position_ids and seq_lengths. */
lw_status lw_seqw_add_packed(lw_seqw *w, const uint32_t *ids, const uint8_t *mask, size_t n,
                             const uint32_t *doc_ends, size_t n_docs, const uint32_t *positions,
                             lw_error *err);
/* Copying: the Megatron dtype code of ids that lw_seqw_add_raw takes (the
 * megatron format), or 0 when sequences must go through lw_seqw_add. */
int lw_seqw_raw_dtype(const lw_seqw *w);
/* n ids already little-endian in that dtype, and their mask (or NULL);
 * ids are not range-checked. */
lw_status lw_seqw_add_raw(lw_seqw *w, const void *data, const uint8_t *mask, size_t n,
                          lw_error *err);
/* Scratch for lw_seqw_copy, reused from call to call. */
typedef struct {
    unsigned char *raw;
    uint8_t *mask;
    uint32_t *ids;
    size_t cap;
} lw_seq_buf;
void lw_seq_buf_free(lw_seq_buf *b);
/* Where the samples of a packed sequence end (the last end may be short of
 * its length: padding follows) and its position ids, as lw_seqw_add_packed
 * takes them. */
typedef struct {
    const uint32_t *ends;
    size_t n;
    const uint32_t *positions;
} lw_seq_packing;
/* Copy sequence q of a Megatron source (with its mask, when it has one)
 * into w: raw when w takes the source's dtype, else id by id; a packed
 * sequence (packing not NULL) through lw_seqw_add_packed. *n gets its
 * length. */
struct lw_megatron_source;
lw_status lw_seqw_copy(lw_seqw *w, const struct lw_megatron_source *src, uint64_t q,
                       const lw_seq_packing *packing, lw_seq_buf *buf, size_t *n,
                       lw_error *err);
/* Everything written and synced, still under temporary names. */
lw_status lw_seqw_finish(lw_seqw *w, lw_error *err);
lw_status lw_seqw_publish(lw_seqw *w, lw_error *err);
void lw_seqw_unpublish(lw_seqw *w);

typedef struct {
    uint64_t sequences, tokens;
    uint64_t documents;         /* datatrove: entries of .ds.index (else = sequences) */
    bool masked;                /* a loss mask was written */
    const char *dtype;          /* of the token ids: "uint16", "int32", "uint32" */
} lw_seqw_info;
void lw_seqw_info_get(const lw_seqw *w, lw_seqw_info *info);
/* The output files in a stable order (after finish: sizes and sha256). */
struct lw_outfile; /* outfile.h, internal */
size_t lw_seqw_files(const lw_seqw *w, const struct lw_outfile *const **files);
/* Total bytes of the files (after finish). */
uint64_t lw_seqw_bytes(const lw_seqw *w);
/* The prefix it writes, and its format. */
const char *lw_seqw_prefix(const lw_seqw *w);
lw_seq_format lw_seqw_format(const lw_seqw *w);
/* Removes temporary files unless published. */
void lw_seqw_free(lw_seqw *w);

#endif
