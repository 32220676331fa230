/* pack's companions of a packed dataset PREFIX — PREFIX.cu_seqlens,
 * PREFIX.positions and PREFIX.weights, Megatron datasets with one sequence
 * per packed sequence — as the dataset module sees them: checked against
 * the packed sequences, and joined when packed datasets are merged. Every
 * other command refuses them rather than drop them (lw_combine_add). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "longweave/fileio.h"
#include "longweave/megatron.h"
#include "longweave/pack.h"
#include "longweave/verify.h"

#define CU_SEQLENS "cu_seqlens"
#define POSITIONS "positions"
#define WEIGHTS "weights"
const char *const lw_pack_companion_roles[LW_PACK_COMPANIONS] = {CU_SEQLENS, POSITIONS, WEIGHTS};

static char *side_prefix(const char *prefix, const char *role)
{
    return lw_concat(prefix, ".", role);
}

static void side_verify(lw_verify_sink *sink, const char *prefix, const char *role,
                        int64_t sequences)
{
    char *p = side_prefix(prefix, role);
    if (!p)
        return;
    int64_t n = lw_verify_megatron(sink, p, false);
    if (n >= 0 && sequences >= 0 && n != sequences)
        lw_verify_report(sink, LW_VERIFY_MAP, "%s: %lld sequences for %lld packed sequences", p,
                         (long long)n, (long long)sequences);
    free(p);
}

/* The parts' ROLE datasets, sequence by sequence, into out.ROLE. */
static lw_status side_merge(const char *role, const char *const *parts, size_t n,
                            const char *out, lw_outfile ***files, size_t *n_files, lw_error *err)
{
    *files = NULL;
    *n_files = 0;
    char *op = side_prefix(out, role);
    lw_megatron_writer *w = NULL;
    lw_megatron_source src = {.fd = -1, .mfd = -1};
    unsigned char *buf = NULL;
    size_t cap = 0;
    lw_status st = op ? LW_OK : lw_error_set(err, LW_E_NOMEM, "out of memory");
    for (size_t i = 0; i < n && !st; i++) {
        char *p = side_prefix(parts[i], role);
        if (!p) {
            st = lw_error_set(err, LW_E_NOMEM, "out of memory");
            break;
        }
        st = lw_megatron_source_open(&src, p, LW_MASK_ABSENT, err);
        if (!st && !w)
            st = lw_megatron_open_dtype(&w, op, src.d.dtype, UINT32_MAX, err);
        for (uint64_t q = 0; !st && q < src.d.sequences; q++) {
            size_t len = lw_megatron_length(&src.d, q), size = lw_megatron_dtype_size(src.d.dtype);
            if (len * size > cap) {
                unsigned char *b = realloc(buf, len * size);
                if (!b) {
                    st = lw_error_set(err, LW_E_NOMEM, "out of memory");
                    break;
                }
                buf = b;
                cap = len * size;
            }
            if (!(st = lw_megatron_source_read(&src, q, buf, NULL, err)) &&
                !(st = lw_megatron_add_raw(w, buf, len, err)))
                st = lw_megatron_end_document(w, err);
        }
        lw_megatron_source_close(&src);
        free(p);
    }
    if (!st && w)
        st = lw_megatron_finish(w, err);
    lw_outfile **list = st || !w ? NULL : calloc(2, sizeof *list);
    if (!st && w) {
        lw_outfile *bin, *idx;
        lw_megatron_outfiles(w, &bin, &idx);
        if (list && (list[0] = malloc(sizeof **list)) && (list[1] = malloc(sizeof **list))) {
            lw_outfile_move(list[0], bin);
            lw_outfile_move(list[1], idx);
            *files = list;
            *n_files = 2;
        } else {
            if (list) {
                free(list[0]);
                free(list);
            }
            st = lw_error_set(err, LW_E_NOMEM, "out of memory");
        }
    }
    lw_megatron_free(w);
    free(buf);
    free(op);
    return st;
}

#define PACK_COMPANION(name, index)                                                            \
    static void name##_verify(lw_verify_sink *s, const char *prefix, const lw_manifest *m,     \
                              int64_t sequences)                                               \
    {                                                                                          \
        (void)m;                                                                               \
        side_verify(s, prefix, lw_pack_companion_roles[index], sequences);                     \
    }                                                                                          \
    static lw_status name##_merge(const char *const *parts, const lw_manifest *const *ms,      \
                                  size_t n, const char *out, lw_outfile ***files,              \
                                  size_t *n_files, lw_error *err)                              \
    {                                                                                          \
        (void)ms;                                                                              \
        return side_merge(lw_pack_companion_roles[index], parts, n, out, files, n_files, err); \
    }

PACK_COMPANION(cu_seqlens, 0)
PACK_COMPANION(positions, 1)
PACK_COMPANION(weights, 2)

const lw_companion lw_pack_companions[LW_PACK_COMPANIONS] = {
    {CU_SEQLENS, false, cu_seqlens_verify, cu_seqlens_merge},
    {POSITIONS, false, positions_verify, positions_merge},
    {WEIGHTS, false, weights_verify, weights_merge},
};
