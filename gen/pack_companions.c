/* pack's companions of a packed dataset PREFIX — PREFIX.cu_seqlens,
 * PREFIX.positions and PREFIX.weights, Megatron datasets with one sequence
 * per packed sequence — as the dataset module sees them: checked against
 * the packed sequences, and joined when packed datasets are merged. Every
 * other command refuses them rather than drop them (lw_combine_add). */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "longweave/fileio.h"
#include "longweave/megatron.h"
#include "longweave/pack.h"
#include "pack_companions.h"
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

/* merge's view of a packed dataset's samples. cu_seqlens has every sample
 * start but folds the padding into the last sample (NeMo's convention);
 * with --positions reset the padding is where the positions restart inside
 * that last segment. With continuous positions nothing tells the padding
 * from the last sample, so such a dataset is refused: a format that keeps
 * sample ends would otherwise get a last sample running into its padding. */
typedef struct {
    char *prefix;
    lw_megatron_source cu, pos;
    unsigned char *raw;       /* one side sequence as read */
    size_t raw_cap;
    uint32_t *ends, *positions;
    size_t ends_cap, pos_cap;
} packing_reader;

static void packing_close(void *reader)
{
    packing_reader *r = reader;
    if (!r)
        return;
    lw_megatron_source_close(&r->cu);
    lw_megatron_source_close(&r->pos);
    free(r->prefix);
    free(r->raw);
    free(r->ends);
    free(r->positions);
    free(r);
}

static lw_status continuous(const char *prefix, lw_error *err)
{
    return lw_error_set(err, LW_E_DATA, "%s: packed with --positions continuous, so its padding "
                        "cannot be told from its last sample: merge it into megatron (which "
                        "keeps %s.cu_seqlens), or pack again with the --format you need",
                        prefix, prefix);
}

static lw_status packing_open(const char *prefix, const lw_manifest *m, void **reader,
                              lw_error *err)
{
    *reader = NULL;
    const cJSON *cfg = m ? cJSON_GetObjectItemCaseSensitive(m->json, "config") : NULL;
    const cJSON *pos = cJSON_GetObjectItemCaseSensitive(cfg, "positions");
    if (cJSON_IsString(pos) && strcmp(pos->valuestring, "continuous") == 0)
        return continuous(prefix, err);
    packing_reader *r = calloc(1, sizeof *r);
    char *cu = side_prefix(prefix, CU_SEQLENS), *ps = side_prefix(prefix, POSITIONS);
    lw_status st = r && cu && ps && (r->prefix = strdup(prefix))
                       ? LW_OK : lw_error_set(err, LW_E_NOMEM, "out of memory");
    if (r) {
        r->cu = r->pos = (lw_megatron_source){.fd = -1, .mfd = -1};
    }
    if (!st && !(st = lw_megatron_source_open(&r->cu, cu, LW_MASK_ABSENT, err)))
        st = lw_megatron_source_open(&r->pos, ps, LW_MASK_ABSENT, err);
    free(cu);
    free(ps);
    if (st) {
        packing_close(r);
        return st;
    }
    *reader = r;
    return LW_OK;
}

/* Side sequence q of src as ids into *v (grown). */
static lw_status side_read(packing_reader *r, const lw_megatron_source *src, uint64_t q,
                           uint32_t **v, size_t *cap, size_t *n, lw_error *err)
{
    size_t len = lw_megatron_length(&src->d, q), size = lw_megatron_dtype_size(src->d.dtype);
    if (len * size > r->raw_cap) {
        unsigned char *b = realloc(r->raw, len * size);
        if (!b)
            return lw_error_set(err, LW_E_NOMEM, "out of memory");
        r->raw = b;
        r->raw_cap = len * size;
    }
    if (len > *cap) {
        uint32_t *b = realloc(*v, len * sizeof *b);
        if (!b)
            return lw_error_set(err, LW_E_NOMEM, "out of memory");
        *v = b;
        *cap = len;
    }
    lw_status st = lw_megatron_source_read(src, q, r->raw, NULL, err);
    for (size_t i = 0; i < len && !st; i++)
        (*v)[i] = (uint32_t)lw_get_le(r->raw + i * size, (int)size);
    *n = len;
    return st;
}

static lw_status packing_read(void *reader, uint64_t q, size_t len, lw_seq_packing *out,
                              lw_error *err)
{
    packing_reader *r = reader;
    size_t n_cu, n_pos;
    lw_status st;
    if (q >= r->cu.d.sequences || q >= r->pos.d.sequences)
        return lw_error_set(err, LW_E_DATA, "%s: no cu_seqlens or positions for sequence %llu",
                            r->prefix, (unsigned long long)q);
    if ((st = side_read(r, &r->cu, q, &r->ends, &r->ends_cap, &n_cu, err)) ||
        (st = side_read(r, &r->pos, q, &r->positions, &r->pos_cap, &n_pos, err)))
        return st;
    uint32_t *cu = r->ends;
    bool ok = n_cu >= 2 && cu[0] == 0 && cu[n_cu - 1] == len && n_pos == len;
    for (size_t i = 1; i < n_cu && ok; i++)
        ok = cu[i] > cu[i - 1];
    if (!ok)
        return lw_error_set(err, LW_E_DATA, "%s: sequence %llu: cu_seqlens or positions do not "
                            "describe its %zu tokens", r->prefix, (unsigned long long)q, len);
    size_t k = n_cu - 1; /* samples */
    if (k >= 2 && r->positions[cu[1]] != 0)
        return continuous(r->prefix, err); /* a merged pack's manifest no longer says */
    /* the padding starts where the positions restart inside the last segment */
    for (size_t i = cu[k - 1] + 1; i < len; i++)
        if (r->positions[i] == 0) {
            cu[k] = (uint32_t)i;
            break;
        }
    out->ends = cu + 1;
    out->n = k;
    out->positions = r->positions;
    return LW_OK;
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
    {.role = CU_SEQLENS, .verify = cu_seqlens_verify, .merge = cu_seqlens_merge,
     .packing_open = packing_open, .packing_read = packing_read, .packing_close = packing_close},
    {.role = POSITIONS, .verify = positions_verify, .merge = positions_merge},
    {.role = WEIGHTS, .verify = weights_verify, .merge = weights_merge},
};
