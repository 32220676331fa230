/* Shared by verify.c (manifests, files) and verify_formats.c (the structure
 * of each token format). */
#ifndef LONGWEAVE_VERIFY_INTERNAL_H
#define LONGWEAVE_VERIFY_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "longweave/verify.h"

typedef lw_verify_sink vctx;
#define vproblem lw_verify_report

/* Each checks one dataset and counts it; the return value is the number of
 * sequences (for the .map check), or -1 when it could not be read. */
#define vf_megatron lw_verify_megatron
int64_t vf_datatrove(vctx *v, const char *prefix);
int64_t vf_mds(vctx *v, const char *dir);
int64_t vf_llmc(vctx *v, const char *prefix);
int64_t vf_npy(vctx *v, const char *prefix);
int64_t vf_jsonl(vctx *v, const char *path);
/* verify_olmo.c: its .csv.gz rows (an empty sequence has none) */
int64_t vf_olmo(vctx *v, const char *prefix);
#endif
