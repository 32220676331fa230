/* Shared by verify.c (manifests, files) and verify_formats.c (the structure
 * of each token format). */
#ifndef LONGWEAVE_VERIFY_INTERNAL_H
#define LONGWEAVE_VERIFY_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "longweave/verify.h"

typedef struct {
    lw_verify_result *res;
    uint32_t vocab; /* 0: unknown, ids are not range-checked */
} vctx;

/* Count a problem; the first of each kind is kept for the report. */
void vproblem(vctx *v, lw_verify_kind k, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Each checks one dataset and counts it; the return value is the number of
 * sequences (for the .map check), or -1 when it could not be read. */
/* ids: range-check the values against the vocabulary (token datasets; not
 * pack's .cu_seqlens, .positions or .weights companions). */
int64_t vf_megatron(vctx *v, const char *prefix, bool ids);
int64_t vf_datatrove(vctx *v, const char *prefix);
int64_t vf_mds(vctx *v, const char *dir);
int64_t vf_llmc(vctx *v, const char *prefix);
int64_t vf_npy(vctx *v, const char *prefix);
int64_t vf_jsonl(vctx *v, const char *path);
/* A CIP .map.jsonl: consecutive "seq" from 0, chunk lengths summing to
 * seq_len, as many lines as sequences (when known, >= 0). */
void vf_map(vctx *v, const char *path, uint32_t seq_len, int64_t sequences);

#endif
