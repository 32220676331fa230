/* `verify`: re-check everything an output's manifest promises — every file
 * present with its size and sha256 — and the structure of every token
 * dataset in it: Megatron indexes (magic, lengths, pointers, document
 * indices ending at N), ids below the vocabulary size, loss masks aligned
 * with their tokens and holding only 0/1, CIP .map sidecars agreeing with
 * the sequences, and the same promises of the other formats (datatrove
 * index ends, MDS shard offsets, llm.c header counts, .npy shapes, JSON
 * Lines ids, olmo's .csv.gz rows against its array), every companion through the stage that owns it, and every
 * file in the output that no manifest lists ("not in the manifest": a stray
 * dataset, a temporary file of an interrupted run). Problems are collected
 * by kind, not stopped at. */
#ifndef LONGWEAVE_VERIFY_H
#define LONGWEAVE_VERIFY_H

#include <stdbool.h>
#include <stdint.h>

#include "longweave/status.h"

typedef enum {
    LW_VERIFY_MISSING,   /* a file the manifest lists is not there */
    LW_VERIFY_SIZE,      /* its size differs from the manifest's */
    LW_VERIFY_CHECKSUM,  /* its sha256 differs */
    LW_VERIFY_STRUCTURE, /* an index, header or record that does not hold together */
    LW_VERIFY_TOKEN,     /* an id not below the vocabulary size */
    LW_VERIFY_MASK,      /* a loss mask not aligned with its tokens, or not 0/1 */
    LW_VERIFY_MAP,       /* a companion (CIP's map, pack's boundaries) disagreeing with its
                          * dataset */
    LW_VERIFY_UNLISTED,  /* a file in the output that no manifest lists */
    LW_VERIFY_KINDS
} lw_verify_kind;

typedef struct {
    uint64_t problems[LW_VERIFY_KINDS];
    char first[LW_VERIFY_KINDS][LW_ERROR_MSG_MAX]; /* the first problem of each kind */
    uint64_t files, bytes;       /* files checked against the manifest */
    uint64_t datasets, sequences, tokens;
    int manifests;               /* 0: a dataset without a manifest (structure only) */
} lw_verify_result;

const char *lw_verify_kind_name(lw_verify_kind k);

/* path: an output directory (its manifest.json or manifest.part-*.json), a
 * tokenize prefix (PREFIX.manifest.json), a manifest file, or a dataset
 * prefix without one. Returns an error only when verification itself cannot
 * run (nothing at path, out of memory); what is wrong with the data goes
 * into res. threads: 0 for all cores. */
lw_status lw_verify_run(const char *path, int threads, lw_verify_result *res, lw_error *err);
/* Total problems. */
uint64_t lw_verify_problems(const lw_verify_result *res);

/* Where the checks of a companion (dataset.h) report what they find. */
typedef struct lw_verify_sink {
    lw_verify_result *res;
    uint32_t vocab; /* 0: unknown, ids are only checked not to be negative */
    int mask;       /* the loss mask of the dataset checked: megatron.h's LW_MASK_LISTED,
                     * LW_MASK_ABSENT (0: a PREFIX.mask is not its own) or LW_MASK_PROBE */
} lw_verify_sink;
/* Count a problem; the first of each kind is kept for the report. */
void lw_verify_report(lw_verify_sink *s, lw_verify_kind k, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The structure of a Megatron dataset (index, lengths, pointers, document
 * indices, .bin size, loss mask beside it); ids: range-check the values.
 * Returns its sequences, or -1 when it does not read. */
int64_t lw_verify_megatron(lw_verify_sink *s, const char *prefix, bool ids);

#endif
