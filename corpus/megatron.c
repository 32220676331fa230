/* Megatron-Core indexed dataset: streaming writer and checked reader. */
#include "longweave/megatron.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "longweave/bufout.h"
#include "longweave/fileio.h"

static const char magic[9] = {'M', 'M', 'I', 'D', 'I', 'D', 'X', 0, 0};
enum { HEADER = 34 };

int lw_megatron_dtype_for_vocab(uint32_t vocab_size)
{
    return vocab_size < 65500 ? LW_MEGATRON_UINT16 : LW_MEGATRON_INT32;
}

size_t lw_megatron_dtype_size(int dtype)
{
    return dtype == LW_MEGATRON_UINT16 ? 2 : dtype == LW_MEGATRON_UINT8 ? 1 : 4;
}

const char *lw_megatron_dtype_name(int dtype)
{
    return dtype == LW_MEGATRON_UINT16  ? "uint16"
           : dtype == LW_MEGATRON_UINT8 ? "uint8"
           : dtype == LW_MEGATRON_FLOAT32 ? "float32"
                                          : "int32";
}

struct lw_megatron_writer {
    char *prefix;
    uint32_t vocab_size;
    int dtype;
    lw_bufout bin, idx;
    lw_bufout lengths, ends; /* side files: int32 lengths, int64 document ends */
    uint64_t sequences, documents, tokens, bin_bytes;
    bool open_doc;
};

static lw_status open_buffered(lw_bufout *b, const char *prefix, const char *suffix, bool sum,
                               lw_error *err)
{
    char *path = lw_concat(prefix, suffix, "");
    if (!path)
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    lw_status st = lw_bufout_open(b, path, sum, err);
    free(path);
    return st;
}

lw_status lw_megatron_open(lw_megatron_writer **out, const char *prefix, uint32_t vocab_size,
                           lw_error *err)
{
    return lw_megatron_open_dtype(out, prefix, lw_megatron_dtype_for_vocab(vocab_size),
                                  vocab_size, err);
}

lw_status lw_megatron_open_dtype(lw_megatron_writer **out, const char *prefix, int dtype,
                                 uint32_t limit, lw_error *err)
{
    lw_megatron_writer *w = calloc(1, sizeof *w);
    if (!w || !(w->prefix = strdup(prefix))) {
        free(w);
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    }
    w->vocab_size = limit;
    w->dtype = dtype;
    lw_status st = open_buffered(&w->bin, prefix, ".bin", true, err);
    if (!st)
        st = open_buffered(&w->idx, prefix, ".idx", true, err);
    /* The side files never get final names: they are released, not published. */
    if (!st)
        st = open_buffered(&w->lengths, prefix, ".lengths", false, err);
    if (!st)
        st = open_buffered(&w->ends, prefix, ".docends", false, err);
    if (st) {
        lw_megatron_free(w);
        return st;
    }
    *out = w;
    return LW_OK;
}

lw_status lw_megatron_add(lw_megatron_writer *w, const uint32_t *ids, size_t n, lw_error *err)
{
    if (n > INT32_MAX)
        return lw_error_set(err, LW_E_DATA, "a sequence of %zu tokens is too long for the "
                            "Megatron index (int32 lengths)", n);
    /* The largest id first (in vector code), the offending one only when
     * there is one. */
    if (n > 0 && lw_u32_max(ids, n) >= w->vocab_size)
        for (size_t i = 0; i < n; i++)
            if (ids[i] >= w->vocab_size)
                return lw_error_set(err, LW_E_SOFTWARE, "token id %u is not below the "
                                    "vocabulary size %u", ids[i], w->vocab_size);
    size_t size = lw_megatron_dtype_size(w->dtype);
    lw_status bst = lw_bufout_put_le(&w->bin, ids, n, (int)size, err);
    if (bst)
        return bst;
    unsigned char len[4];
    lw_put_le(len, n, 4);
    lw_status st = lw_bufout_put(&w->lengths, len, 4, err);
    if (st)
        return st;
    w->sequences++;
    w->tokens += n;
    w->bin_bytes += n * size;
    w->open_doc = true;
    return LW_OK;
}

lw_status lw_megatron_add_raw(lw_megatron_writer *w, const void *data, size_t n, lw_error *err)
{
    if (n > INT32_MAX)
        return lw_error_set(err, LW_E_DATA, "a sequence of %zu tokens is too long for the "
                            "Megatron index (int32 lengths)", n);
    size_t size = lw_megatron_dtype_size(w->dtype);
    unsigned char len[4];
    lw_put_le(len, n, 4);
    lw_status st = lw_bufout_put(&w->bin, data, n * size, err);
    if (!st)
        st = lw_bufout_put(&w->lengths, len, 4, err);
    if (st)
        return st;
    w->sequences++;
    w->tokens += n;
    w->bin_bytes += n * size;
    w->open_doc = true;
    return LW_OK;
}

lw_status lw_megatron_add_bytes(lw_megatron_writer *w, const uint8_t *v, size_t n, lw_error *err)
{
    if (w->dtype != LW_MEGATRON_UINT8)
        return lw_error_set(err, LW_E_SOFTWARE, "byte sequence for a %s dataset",
                            lw_megatron_dtype_name(w->dtype));
    return lw_megatron_add_raw(w, v, n, err);
}

lw_status lw_megatron_end_document(lw_megatron_writer *w, lw_error *err)
{
    unsigned char end[8];
    lw_put_le(end, w->sequences, 8);
    w->documents++;
    w->open_doc = false;
    return lw_bufout_put(&w->ends, end, 8, err);
}

/* Stream a finished side file back through fn. */
typedef struct {
    lw_megatron_writer *w;
    lw_status st;
    lw_error *err;
    uint64_t pointer;
    int pass; /* 0: copy lengths, 1: pointers from lengths, 2: copy ends */
    unsigned char carry[8];
    size_t carry_len;
} side_reader;

static void side_chunk(void *ctx, const char *data, size_t len)
{
    side_reader *r = ctx;
    if (r->st)
        return;
    if (r->pass != 1) {
        r->st = lw_bufout_put(&r->w->idx, data, len, r->err);
        return;
    }
    size_t size = lw_megatron_dtype_size(r->w->dtype);
    const unsigned char *p = (const unsigned char *)data;
    while (len > 0 && !r->st) {
        size_t take = 4 - r->carry_len < len ? 4 - r->carry_len : len;
        memcpy(r->carry + r->carry_len, p, take);
        r->carry_len += take;
        p += take;
        len -= take;
        if (r->carry_len == 4) {
            uint64_t n = (uint64_t)r->carry[0] | (uint64_t)r->carry[1] << 8 |
                         (uint64_t)r->carry[2] << 16 | (uint64_t)r->carry[3] << 24;
            unsigned char ptr[8];
            lw_put_le(ptr, r->pointer, 8);
            r->pointer += n * size;
            r->st = lw_bufout_put(&r->w->idx, ptr, 8, r->err);
            r->carry_len = 0;
        }
    }
}

lw_status lw_megatron_finish(lw_megatron_writer *w, lw_error *err)
{
    lw_status st;
    if (w->open_doc && (st = lw_megatron_end_document(w, err)))
        return st;
    if ((st = lw_bufout_flush(&w->bin, err)) || (st = lw_bufout_flush(&w->lengths, err)) ||
        (st = lw_bufout_flush(&w->ends, err)))
        return st;
    unsigned char h[HEADER];
    memcpy(h, magic, 9);
    lw_put_le(h + 9, 1, 8);
    h[17] = (unsigned char)w->dtype;
    lw_put_le(h + 18, w->sequences, 8);
    lw_put_le(h + 26, w->documents + 1, 8);
    if ((st = lw_bufout_put(&w->idx, h, HEADER, err)))
        return st;
    side_reader r = {w, LW_OK, err, 0, 0, {0}, 0};
    for (r.pass = 0; r.pass < 2 && !r.st; r.pass++)
        if ((st = lw_file_scan(w->lengths.f.tmp_path, UINT64_MAX, side_chunk, &r, err)))
            return st;
    unsigned char zero[8] = {0};
    if (!r.st)
        r.st = lw_bufout_put(&w->idx, zero, 8, err); /* document index 0 */
    if (!r.st) {
        r.pass = 2;
        if ((st = lw_file_scan(w->ends.f.tmp_path, UINT64_MAX, side_chunk, &r, err)))
            return st;
    }
    if (r.st)
        return r.st;
    if ((st = lw_bufout_flush(&w->idx, err)))
        return st;
    if ((st = lw_outfile_finish(&w->bin.f, err)))
        return st;
    return lw_outfile_finish(&w->idx.f, err);
}

lw_status lw_megatron_publish(lw_megatron_writer *w, lw_error *err)
{
    lw_status st = lw_outfile_publish(&w->bin.f, err);
    if (!st && (st = lw_outfile_publish(&w->idx.f, err)))
        lw_outfile_unpublish(&w->bin.f);
    return st;
}

void lw_megatron_unpublish(lw_megatron_writer *w)
{
    lw_outfile_unpublish(&w->bin.f);
    lw_outfile_unpublish(&w->idx.f);
}

void lw_megatron_info_get(const lw_megatron_writer *w, lw_megatron_info *info)
{
    info->sequences = w->sequences;
    info->documents = w->documents;
    info->tokens = w->tokens;
    info->dtype = w->dtype;
    info->bin = &w->bin.f;
    info->idx = &w->idx.f;
}

void lw_megatron_outfiles(lw_megatron_writer *w, lw_outfile **bin, lw_outfile **idx)
{
    *bin = &w->bin.f;
    *idx = &w->idx.f;
}

void lw_megatron_free(lw_megatron_writer *w)
{
    if (!w)
        return;
    lw_bufout_release(&w->bin);
    lw_bufout_release(&w->idx);
    lw_bufout_release(&w->lengths);
    lw_bufout_release(&w->ends);
    free(w->prefix);
    free(w);
}


static lw_status read_dataset(lw_megatron_dataset *d, const char *prefix, bool map_bin,
                              lw_error *err)
{
    memset(d, 0, sizeof *d);
    char *idx_path = lw_concat(prefix, ".idx", ""), *bin_path = lw_concat(prefix, ".bin", "");
    lw_status st = LW_OK;
    if (!idx_path || !bin_path) {
        st = lw_error_set(err, LW_E_NOMEM, "out of memory");
        goto done;
    }
    if ((st = lw_file_map(idx_path, &d->idx_map, &d->idx_size, err)))
        goto done;
    if (map_bin) {
        if ((st = lw_file_map(bin_path, &d->bin_map, &d->bin_size, err)))
            goto done;
    } else {
        struct stat sb;
        if (stat(bin_path, &sb) != 0) {
            st = lw_error_errno(err, LW_E_NOINPUT, errno, "cannot open", bin_path);
            goto done;
        }
        d->bin_size = (size_t)sb.st_size;
    }
    const unsigned char *h = d->idx_map;
    if (d->idx_size < HEADER || memcmp(h, magic, 9) != 0) {
        st = lw_error_set(err, LW_E_DATA, "%s: not a Megatron index (bad magic)", idx_path);
        goto done;
    }
    if (lw_get_le(h + 9, 8) != 1) {
        st = lw_error_set(err, LW_E_DATA, "%s: index version %llu, expected 1", idx_path,
                          (unsigned long long)lw_get_le(h + 9, 8));
        goto done;
    }
    d->dtype = h[17];
    if (d->dtype != LW_MEGATRON_UINT16 && d->dtype != LW_MEGATRON_INT32 &&
        d->dtype != LW_MEGATRON_UINT8 && d->dtype != LW_MEGATRON_FLOAT32) {
        st = lw_error_set(err, LW_E_DATA, "%s: dtype code %d is not uint8 (1), uint16 (8), "
                          "int32 (4) or float32 (7)", idx_path, d->dtype);
        goto done;
    }
    uint64_t n = lw_get_le(h + 18, 8), docs = lw_get_le(h + 26, 8);
    if (n > (d->idx_size - HEADER) / 12 || docs == 0 ||
        (uint64_t)(d->idx_size - HEADER) != 12 * n + 8 * docs) {
        st = lw_error_set(err, LW_E_DATA, "%s: %zu bytes do not hold %llu sequences and %llu "
                          "document indices", idx_path, d->idx_size, (unsigned long long)n,
                          (unsigned long long)docs);
        goto done;
    }
    d->sequences = n;
    d->documents = docs - 1;
    d->lengths = h + HEADER;
    d->pointers = h + HEADER + 4 * n;
    d->doc_index = h + HEADER + 12 * n;
    d->bin = d->bin_map;
    size_t size = lw_megatron_dtype_size(d->dtype);
    uint64_t expect = 0;
    for (uint64_t i = 0; i < n; i++) {
        int32_t len = (int32_t)lw_megatron_length(d, i);
        int64_t ptr = (int64_t)lw_megatron_pointer(d, i);
        if (len < 0 || (uint64_t)ptr != expect) {
            st = lw_error_set(err, LW_E_DATA, "%s: sequence %llu has length %d at offset %lld, "
                              "expected offset %llu", idx_path, (unsigned long long)i, len,
                              (long long)ptr, (unsigned long long)expect);
            goto done;
        }
        expect += (uint64_t)len * size;
    }
    if (expect != d->bin_size) {
        st = lw_error_set(err, LW_E_DATA, "%s: %zu bytes, but the index describes %llu",
                          bin_path, d->bin_size, (unsigned long long)expect);
        goto done;
    }
    int64_t prev = -1;
    for (uint64_t i = 0; i < docs; i++) {
        int64_t v = (int64_t)lw_megatron_doc_index(d, i);
        if ((i == 0 && v != 0) || v < prev || v > (int64_t)n || (i == docs - 1 && v != (int64_t)n)) {
            st = lw_error_set(err, LW_E_DATA, "%s: document index %llu is %lld (they must rise "
                              "from 0 to %llu)", idx_path, (unsigned long long)i, (long long)v,
                              (unsigned long long)n);
            goto done;
        }
        prev = v;
    }
done:
    free(idx_path);
    free(bin_path);
    if (st)
        lw_megatron_close(d);
    return st;
}

lw_status lw_megatron_read(lw_megatron_dataset *d, const char *prefix, lw_error *err)
{
    return read_dataset(d, prefix, true, err);
}

lw_status lw_megatron_read_index(lw_megatron_dataset *d, const char *prefix, lw_error *err)
{
    return read_dataset(d, prefix, false, err);
}

void lw_megatron_close(lw_megatron_dataset *d)
{
    lw_file_unmap(d->idx_map, d->idx_size);
    lw_file_unmap(d->bin_map, d->bin_size);
    memset(d, 0, sizeof *d);
}
