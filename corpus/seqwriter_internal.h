/* The backends of lw_seqw (one file per format) and what they share. */
#ifndef LONGWEAVE_SEQWRITER_INTERNAL_H
#define LONGWEAVE_SEQWRITER_INTERNAL_H

#include "longweave/bufout.h"
#include "longweave/seqwriter.h"

enum { SEQW_MAX_FILES = 4096 };

/* Said where llmc refuses a run whose vocabulary needs uint32 shards. */
#define LW_LLMC_UINT32_NOTE                                                                    \
    " (and past 65536 ids the shards are uint32, magic 20240801: llm.c master's "             \
    "dataloader.h reads only 20240520/uint16 shards; uint32 (Llama 3) shards need its llama3 " \
    "branch)"

typedef struct {
    /* The mask travels inside each record (mds, jsonl): written from the
     * first sequence on, even under LW_MASK_LAZY. */
    bool inline_mask;
    lw_status (*open)(lw_seqw *w, lw_error *err);
    /* mask is NULL while no mask is written */
    lw_status (*add)(lw_seqw *w, const uint32_t *ids, const uint8_t *mask, size_t n,
                     const uint32_t *doc_ends, size_t n_docs, lw_error *err);
    /* LW_MASK_LAZY, at the first masked token: start the mask output with
     * all-ones masks for the w->sequences (of w->o.fixed_len) before. */
    lw_status (*start_mask)(lw_seqw *w, lw_error *err);
    lw_status (*finish)(lw_seqw *w, lw_error *err);
    void (*free)(lw_seqw *w);
    /* optional: a sequence already in the format's Megatron dtype (copying) */
    lw_status (*add_raw)(lw_seqw *w, const void *data, const uint8_t *mask, size_t n,
                         lw_error *err);
} seqw_backend;

struct lw_seqw {
    const seqw_backend *be;
    lw_seqw_opts o;
    char *prefix;
    const char *dtype;
    uint64_t sequences, tokens;
    uint64_t documents;     /* set by backends whose index counts documents (datatrove) */
    bool mask_on;
    /* during lw_seqw_add_packed: the sequence is packed (doc_ends are sample
     * ends) and these are its position ids (or NULL) */
    bool packed;
    const uint32_t *positions;
    /* lw_seqw_label's document for the next sequence (JSON texts; label_id
     * NULL: none) */
    const char *label_id, *label_source;
    size_t label_id_len, label_source_len;
    int raw_dtype;          /* Megatron dtype code add_raw takes, or 0 */
    /* outputs, in manifest order; owned by the backend */
    lw_outfile *files[SEQW_MAX_FILES];
    size_t n_files;
    void *impl;
};

/* Register an output file of w (publish, unpublish and the manifest list). */
lw_status seqw_register(lw_seqw *w, lw_outfile *f, lw_error *err);
/* prefix + suffix, malloc'd; NULL when out of memory. */
char *seqw_path(const lw_seqw *w, const char *suffix);
/* Open b at prefix + suffix and register it. */
lw_status seqw_open_file(lw_seqw *w, lw_bufout *b, const char *suffix, lw_error *err);
/* n bytes of 1: the all-ones masks of the sequences before a lazy mask. */
lw_status seqw_put_ones(lw_bufout *b, uint64_t n, lw_error *err);

extern const seqw_backend seqw_megatron, seqw_datatrove, seqw_mds, seqw_llmc, seqw_npy,
    seqw_jsonl, seqw_olmo;

#endif
