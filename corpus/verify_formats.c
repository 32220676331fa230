/* verify: the structure of each token format, read back from the files
 * (not from what the writer remembers) and checked against its layout.
 * Without a vocabulary size (no manifest), ids are still checked not to be
 * negative where the format's ids are signed 32-bit. */
#include <cjson/cJSON.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "longweave/fileio.h"
#include "longweave/megatron.h"
#include "verify_internal.h"

/* The bound ids must stay below: the vocabulary size, or (unknown) what
 * keeps a 32-bit id from being negative. */
static uint64_t id_limit(const vctx *v, int size)
{
    return v->vocab ? v->vocab : size == 4 ? (uint64_t)1 << 31 : UINT64_MAX;
}

/* The first id >= the limit among n little-endian ids of `size` bytes; n if none. */
static uint64_t first_out_of_range(const vctx *v, const unsigned char *p, uint64_t n, int size)
{
    uint64_t limit = id_limit(v, size);
    for (uint64_t i = 0; i < n; i++)
        if (lw_get_le(p + i * (uint64_t)size, size) >= limit)
            return i;
    return n;
}

static uint64_t first_not_bit(const unsigned char *p, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++)
        if (p[i] > 1)
            return i;
    return n;
}

static void count(vctx *v, uint64_t sequences, uint64_t tokens)
{
    v->res->datasets++;
    v->res->sequences += sequences;
    v->res->tokens += tokens;
}

/* A streamed scan of a .bin: the index of the first value past `limit` (or
 * over 1 for masks), across chunk boundaries. */
typedef struct {
    int size;
    uint64_t limit, index, bad;
    unsigned char carry[8];
    int carried;
} value_scan;

static void scan_chunk(void *ctx, const char *data, size_t len)
{
    value_scan *s = ctx;
    const unsigned char *p = (const unsigned char *)data;
    while (len && s->bad == UINT64_MAX) {
        if (s->carried || len < (size_t)s->size) {
            while (s->carried < s->size && len) {
                s->carry[s->carried++] = *p++;
                len--;
            }
            if (s->carried < s->size)
                return;
            if (lw_get_le(s->carry, s->size) >= s->limit)
                s->bad = s->index;
            s->index++;
            s->carried = 0;
            continue;
        }
        size_t whole = len / (size_t)s->size;
        for (size_t i = 0; i < whole; i++)
            if (lw_get_le(p + i * (size_t)s->size, s->size) >= s->limit) {
                s->bad = s->index + i;
                return;
            }
        s->index += whole;
        p += whole * (size_t)s->size;
        len -= whole * (size_t)s->size;
    }
}

/* The sequence holding value number i of a dataset. */
static uint64_t sequence_of(const lw_megatron_dataset *d, uint64_t i)
{
    uint64_t s = 0, at = 0;
    while (s < d->sequences && at + lw_megatron_length(d, s) <= i)
        at += lw_megatron_length(d, s++);
    return s;
}

/* First value of path at or past limit (UINT64_MAX: none), read in chunks. */
static uint64_t scan_values(const char *path, int size, uint64_t limit)
{
    value_scan s = {size, limit, 0, UINT64_MAX, {0}, 0};
    lw_error ignore;
    if (lw_file_scan(path, UINT64_MAX, scan_chunk, &s, &ignore))
        return UINT64_MAX; /* a read error shows in the checksum and structure checks */
    return s.bad;
}

int64_t vf_megatron(vctx *v, const char *prefix, bool ids)
{
    lw_megatron_dataset d, m;
    lw_error e = {0};
    /* the index is mapped; the .bin is streamed, so memory stays small */
    if (lw_megatron_read_index(&d, prefix, &e)) {
        vproblem(v, LW_VERIFY_STRUCTURE, "%s", e.msg);
        return -1;
    }
    int size = (int)lw_megatron_dtype_size(d.dtype);
    uint64_t tokens = 0;
    for (uint64_t s = 0; s < d.sequences; s++)
        tokens += lw_megatron_length(&d, s);
    char *bin = lw_concat(prefix, ".bin", "");
    if (ids && bin && id_limit(v, size) != UINT64_MAX) {
        uint64_t bad = scan_values(bin, size, id_limit(v, size));
        if (bad != UINT64_MAX && v->vocab)
            vproblem(v, LW_VERIFY_TOKEN, "%s: token %llu (in sequence %llu) is not below the "
                     "vocabulary size %u", bin, (unsigned long long)bad,
                     (unsigned long long)sequence_of(&d, bad), v->vocab);
        else if (bad != UINT64_MAX)
            vproblem(v, LW_VERIFY_TOKEN, "%s: token %llu (in sequence %llu) is negative", bin,
                     (unsigned long long)bad, (unsigned long long)sequence_of(&d, bad));
    }
    free(bin);
    if (ids)
        count(v, d.sequences, tokens);
    char *mp = lw_concat(prefix, LW_MEGATRON_MASK_SUFFIX, "");
    char *midx = mp ? lw_concat(mp, ".idx", "") : NULL;
    char *mbin = mp ? lw_concat(mp, ".bin", "") : NULL;
    FILE *probe = midx && v->mask == LW_MASK_PROBE ? fopen(midx, "rb") : NULL;
    if (probe)
        fclose(probe);
    if (probe || v->mask == LW_MASK_LISTED) {
        if (lw_megatron_read_index(&m, mp, &e)) {
            vproblem(v, LW_VERIFY_STRUCTURE, "%s", e.msg);
        } else {
            uint64_t s = 0;
            while (s < d.sequences && s < m.sequences &&
                   lw_megatron_length(&m, s) == lw_megatron_length(&d, s))
                s++;
            uint64_t bad;
            if (m.dtype != LW_MEGATRON_UINT8 || m.sequences != d.sequences)
                vproblem(v, LW_VERIFY_MASK, "%s: %llu %s sequences for %llu token sequences",
                         mp, (unsigned long long)m.sequences, lw_megatron_dtype_name(m.dtype),
                         (unsigned long long)d.sequences);
            else if (s < d.sequences)
                vproblem(v, LW_VERIFY_MASK, "%s: sequence %llu is not as long as its tokens", mp,
                         (unsigned long long)s);
            else if (mbin && (bad = scan_values(mbin, 1, 2)) != UINT64_MAX)
                vproblem(v, LW_VERIFY_MASK, "%s: sequence %llu holds a value other than 0 and "
                         "1", mp, (unsigned long long)sequence_of(&m, bad));
            lw_megatron_close(&m);
        }
    }
    free(mp);
    free(midx);
    free(mbin);
    int64_t seqs = (int64_t)d.sequences;
    lw_megatron_close(&d);
    return seqs;
}

int64_t vf_datatrove(vctx *v, const char *prefix)
{
    char *meta = lw_concat(prefix, ".ds.metadata", ""), *ds = lw_concat(prefix, ".ds", "");
    char *index = lw_concat(prefix, ".ds.index", ""), *loss = lw_concat(prefix, ".ds.loss", "");
    lw_buf text = {0};
    void *tmap = NULL, *imap = NULL, *lmap = NULL;
    size_t tsize = 0, isize = 0, lsize = 0;
    int64_t seqs = -1;
    lw_error e;
    if (!meta || !ds || !index || !loss)
        goto done;
    if (lw_file_read_all(meta, &text, &e) || lw_buf_putc(&text, '\0')) {
        vproblem(v, LW_VERIFY_STRUCTURE, "%s: cannot read", meta);
        goto done;
    }
    const char *bar = strchr(text.data, '|'), *nl = strchr(text.data, '\n');
    int size = bar ? atoi(bar + 1) : 0;
    unsigned long long declared = nl ? strtoull(nl + 1, NULL, 10) : 0;
    if (size != 2 && size != 4) {
        vproblem(v, LW_VERIFY_STRUCTURE, "%s: no token size (TOKENIZER|2 or |4) on line 1", meta);
        goto done;
    }
    if (lw_file_map(ds, &tmap, &tsize, &e) || lw_file_map(index, &imap, &isize, &e)) {
        vproblem(v, LW_VERIFY_STRUCTURE, "%s", e.msg);
        goto done;
    }
    uint64_t n = tsize / (size_t)size, docs = isize / 8;
    if (tsize % (size_t)size || isize % 8 || n != declared) {
        vproblem(v, LW_VERIFY_STRUCTURE, "%s: %zu bytes of %d-byte ids against %llu tokens in "
                 "the metadata (index %zu bytes)", ds, tsize, size, declared, isize);
        goto done;
    }
    uint64_t prev = 0;
    for (uint64_t i = 0; i < docs; i++) {
        uint64_t end = lw_get_le((const unsigned char *)imap + 8 * i, 8);
        if (end < prev || end > n || (i + 1 == docs && end != n)) {
            vproblem(v, LW_VERIFY_STRUCTURE, "%s: document end %llu is %llu (ends must rise to "
                     "the token count %llu)", index, (unsigned long long)i,
                     (unsigned long long)end, (unsigned long long)n);
            goto done;
        }
        prev = end;
    }
    uint64_t bad = first_out_of_range(v, tmap, n, size);
    if (bad < n)
        vproblem(v, LW_VERIFY_TOKEN, "%s: token %llu is %llu, not below the vocabulary size %u",
                 ds, (unsigned long long)bad,
                 (unsigned long long)lw_get_le((const unsigned char *)tmap + bad * size, size),
                 v->vocab);
    if (!lw_file_map(loss, &lmap, &lsize, &e)) {
        if (lsize != n || first_not_bit(lmap, n) < n)
            vproblem(v, LW_VERIFY_MASK, "%s: %zu bytes for %llu tokens, or a value other than "
                     "0 and 1", loss, lsize, (unsigned long long)n);
    }
    count(v, docs, n);
    seqs = (int64_t)docs;
done:
    lw_file_unmap(tmap, tsize);
    lw_file_unmap(imap, isize);
    lw_file_unmap(lmap, lsize);
    lw_buf_free(&text);
    free(meta);
    free(ds);
    free(index);
    free(loss);
    return seqs;
}

/* An MDS NDArray with a fixed dtype and a dynamic shape: its element count
 * and values; false when it does not hold together. */
static bool mds_ndarray(const unsigned char *p, size_t len, int itemsize, uint64_t *elems,
                        const unsigned char **values)
{
    if (len < 1)
        return false;
    int ndim = p[0] >> 2, ssize = 1 << (p[0] & 3);
    if ((size_t)1 + (size_t)ndim * (size_t)ssize > len)
        return false;
    uint64_t n = 1;
    for (int i = 0; i < ndim; i++)
        n *= lw_get_le(p + 1 + i * ssize, ssize);
    size_t head = 1 + (size_t)ndim * (size_t)ssize;
    if ((len - head) != n * (uint64_t)itemsize)
        return false;
    *elems = n;
    *values = p + head;
    return true;
}

static int mds_itemsize(const char *enc)
{
    if (strncmp(enc, "ndarray:", 8) != 0)
        return 0;
    enc += 8;
    return !strcmp(enc, "uint8") || !strcmp(enc, "int8") ? 1
           : !strcmp(enc, "uint16") || !strcmp(enc, "int16") ? 2
           : !strcmp(enc, "uint32") || !strcmp(enc, "int32") ? 4
           : !strcmp(enc, "uint64") || !strcmp(enc, "int64") ? 8 : 0;
}

static void mds_shard(vctx *v, const char *path, const cJSON *sh, uint64_t *seqs,
                      uint64_t *tokens)
{
    void *map = NULL;
    size_t size = 0;
    lw_error e;
    const cJSON *names = cJSON_GetObjectItem(sh, "column_names");
    const cJSON *encs = cJSON_GetObjectItem(sh, "column_encodings");
    const cJSON *sizes = cJSON_GetObjectItem(sh, "column_sizes");
    int cols = cJSON_GetArraySize(names);
    if (cols < 1 || cols > 16 || cJSON_GetArraySize(encs) != cols ||
        cJSON_GetArraySize(sizes) != cols) {
        vproblem(v, LW_VERIFY_STRUCTURE, "%s: the index's columns do not hold together", path);
        return;
    }
    if (lw_file_map(path, &map, &size, &e)) {
        vproblem(v, LW_VERIFY_STRUCTURE, "%s", e.msg);
        return;
    }
    const unsigned char *p = map;
    uint64_t n = size >= 4 ? lw_get_le(p, 4) : 0;
    double declared = cJSON_GetNumberValue(cJSON_GetObjectItem(sh, "samples"));
    if (size < 8 || 4 + 4 * (n + 1) > size || (double)n != declared) {
        vproblem(v, LW_VERIFY_STRUCTURE, "%s: header holds %llu samples, the index %.0f", path,
                 (unsigned long long)n, declared);
        goto done;
    }
    int ids_col = -1, mask_col = -1;
    for (int c = 0; c < cols; c++) {
        const char *name = cJSON_GetArrayItem(names, c)->valuestring;
        ids_col = name && !strcmp(name, "input_ids") ? c : ids_col;
        mask_col = name && !strcmp(name, "mask") ? c : mask_col;
    }
    uint64_t prev = lw_get_le(p + 4, 4);
    if (prev < 4 + 4 * (n + 1) || lw_get_le(p + 4 + 4 * n, 4) != size) {
        vproblem(v, LW_VERIFY_STRUCTURE, "%s: sample offsets do not span the file", path);
        goto done;
    }
    for (uint64_t i = 0; i < n; i++) {
        uint64_t start = lw_get_le(p + 4 + 4 * i, 4), end = lw_get_le(p + 8 + 4 * i, 4);
        if (end < start || end > size) {
            vproblem(v, LW_VERIFY_STRUCTURE, "%s: sample %llu has offsets %llu..%llu", path,
                     (unsigned long long)i, (unsigned long long)start, (unsigned long long)end);
            goto done;
        }
        const unsigned char *s = p + start;
        size_t len = end - start, pos = 0;
        size_t col_size[16];
        int nvar = 0;
        for (int c = 0; c < cols; c++)
            nvar += cJSON_IsNull(cJSON_GetArrayItem(sizes, c));
        if ((size_t)4 * nvar > len)
            goto bad;
        pos = 4 * (size_t)nvar;
        for (int c = 0, k = 0; c < cols; c++) {
            const cJSON *fixed = cJSON_GetArrayItem(sizes, c);
            col_size[c] = cJSON_IsNull(fixed) ? lw_get_le(s + 4 * k++, 4)
                                              : (size_t)cJSON_GetNumberValue(fixed);
        }
        uint64_t ids_n = 0, mask_n = 0;
        const unsigned char *ids = NULL, *mask = NULL;
        for (int c = 0; c < cols; c++) {
            if (col_size[c] > len - pos)
                goto bad;
            int item = mds_itemsize(cJSON_GetArrayItem(encs, c)->valuestring);
            if (c == ids_col && (!item || !mds_ndarray(s + pos, col_size[c], item, &ids_n, &ids)))
                goto bad;
            if (c == ids_col && v->vocab) {
                uint64_t b = first_out_of_range(v, ids, ids_n, item);
                if (b < ids_n)
                    vproblem(v, LW_VERIFY_TOKEN, "%s: sample %llu, token %llu is not below the "
                             "vocabulary size %u", path, (unsigned long long)i,
                             (unsigned long long)b, v->vocab);
            }
            if (c == mask_col && (item != 1 || !mds_ndarray(s + pos, col_size[c], 1, &mask_n,
                                                            &mask)))
                goto bad;
            pos += col_size[c];
        }
        if (pos != len)
            goto bad;
        if (mask && (mask_n != ids_n || first_not_bit(mask, mask_n) < mask_n))
            vproblem(v, LW_VERIFY_MASK, "%s: sample %llu's mask is not 0/1 for each of its %llu "
                     "tokens", path, (unsigned long long)i, (unsigned long long)ids_n);
        *tokens += ids_n;
        continue;
    bad:
        vproblem(v, LW_VERIFY_STRUCTURE, "%s: sample %llu does not decode as its columns say",
                 path, (unsigned long long)i);
        goto done;
    }
    *seqs += n;
done:
    lw_file_unmap(map, size);
}

int64_t vf_mds(vctx *v, const char *dir)
{
    char *path = lw_concat(dir, "/index.json", "");
    lw_buf text = {0};
    lw_error e;
    int64_t seqs = -1;
    cJSON *idx = NULL;
    if (!path || lw_file_read_all(path, &text, &e) ||
        !(idx = cJSON_ParseWithLength(text.data, text.len))) {
        vproblem(v, LW_VERIFY_STRUCTURE, "%s: missing or not JSON", path ? path : dir);
        goto done;
    }
    const cJSON *shards = cJSON_GetObjectItem(idx, "shards"), *sh;
    if (!cJSON_IsArray(shards)) {
        vproblem(v, LW_VERIFY_STRUCTURE, "%s: no \"shards\" list", path);
        goto done;
    }
    uint64_t n = 0, tokens = 0;
    cJSON_ArrayForEach(sh, shards)
    {
        const cJSON *raw = cJSON_GetObjectItem(sh, "raw_data");
        const char *base = cJSON_GetStringValue(cJSON_GetObjectItem(raw, "basename"));
        if (!base || strchr(base, '/')) {
            vproblem(v, LW_VERIFY_STRUCTURE, "%s: a shard without a plain basename", path);
            continue;
        }
        char *full = lw_concat(dir, "/", base);
        if (full)
            mds_shard(v, full, sh, &n, &tokens);
        free(full);
    }
    count(v, n, tokens);
    seqs = (int64_t)n;
done:
    cJSON_Delete(idx);
    lw_buf_free(&text);
    free(path);
    return seqs;
}

int64_t vf_llmc(vctx *v, const char *prefix)
{
    /* escape the prefix for glob */
    size_t n = strlen(prefix);
    char *pat = malloc(2 * n + 32);
    if (!pat)
        return -1;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (strchr("*?[\\", prefix[i]))
            pat[k++] = '\\';
        pat[k++] = prefix[i];
    }
    strcpy(pat + k, "_[0-9][0-9][0-9][0-9][0-9][0-9].bin");
    glob_t g;
    int grc = glob(pat, 0, NULL, &g);
    free(pat);
    if (grc != 0) {
        vproblem(v, LW_VERIFY_STRUCTURE, "%s: no llm.c shards (%s_000000.bin)", prefix, prefix);
        return -1;
    }
    uint64_t tokens = 0;
    for (size_t i = 0; i < g.gl_pathc; i++) {
        void *map = NULL;
        size_t size = 0;
        lw_error e;
        if (lw_file_map(g.gl_pathv[i], &map, &size, &e)) {
            vproblem(v, LW_VERIFY_STRUCTURE, "%s", e.msg);
            continue;
        }
        const unsigned char *p = map;
        uint32_t magic = size >= 1024 ? (uint32_t)lw_get_le(p, 4) : 0;
        uint32_t version = size >= 1024 ? (uint32_t)lw_get_le(p + 4, 4) : 0;
        uint64_t cnt = size >= 1024 ? lw_get_le(p + 8, 4) : 0;
        int bytes = magic == 20240520 && version == 1 ? 2 : magic == 20240801 && version == 7 ? 4 : 0;
        if (!bytes || size != 1024 + cnt * (uint64_t)bytes) {
            vproblem(v, LW_VERIFY_STRUCTURE, "%s: header (magic %u, version %u, %llu tokens) "
                     "does not describe its %zu bytes", g.gl_pathv[i], magic, version,
                     (unsigned long long)cnt, size);
        } else {
            uint64_t bad = first_out_of_range(v, p + 1024, cnt, bytes);
            if (bad < cnt)
                vproblem(v, LW_VERIFY_TOKEN, "%s: token %llu is not below the vocabulary size "
                         "%u", g.gl_pathv[i], (unsigned long long)bad, v->vocab);
            tokens += cnt;
        }
        lw_file_unmap(map, size);
    }
    globfree(&g);
    count(v, 1, tokens);
    return -1; /* a stream: no sequences to match a map against */
}

/* A 2-D .npy array: its item size (from descr), shape and data. */
static bool npy_parse(const unsigned char *p, size_t size, int *item, uint64_t *rows,
                      uint64_t *cols, const unsigned char **data)
{
    if (size < 12 || memcmp(p, "\x93NUMPY", 6) != 0)
        return false;
    int major = p[6];
    size_t hlen = major == 1 ? lw_get_le(p + 8, 2) : lw_get_le(p + 8, 4);
    size_t start = (major == 1 ? 10 : 12) + hlen;
    if (start > size)
        return false;
    char head[512];
    size_t hl = hlen < sizeof head - 1 ? hlen : sizeof head - 1;
    memcpy(head, p + (major == 1 ? 10 : 12), hl);
    head[hl] = '\0';
    const char *d = strstr(head, "'descr': '"), *s = strstr(head, "'shape': (");
    if (!d || !s || strstr(head, "'fortran_order': True"))
        return false;
    d += 10;
    *item = !strncmp(d, "|u1", 3) ? 1 : !strncmp(d, "<u2", 3) ? 2
            : !strncmp(d, "<i4", 3) || !strncmp(d, "<u4", 3) ? 4 : 0;
    unsigned long long r, c;
    if (!*item || sscanf(s + 10, "%llu, %llu)", &r, &c) != 2)
        return false;
    *rows = r;
    *cols = c;
    *data = p + start;
    return size - start == r * c * (uint64_t)*item;
}

int64_t vf_npy(vctx *v, const char *prefix)
{
    char *path = lw_concat(prefix, ".npy", ""), *mpath = lw_concat(prefix, ".mask.npy", "");
    void *map = NULL, *mmap_ = NULL;
    size_t size = 0, msize = 0;
    lw_error e;
    int64_t seqs = -1;
    int item, mitem;
    uint64_t rows, cols, mrows, mcols;
    const unsigned char *data, *mdata;
    if (!path || !mpath)
        goto done;
    if (lw_file_map(path, &map, &size, &e)) {
        vproblem(v, LW_VERIFY_STRUCTURE, "%s", e.msg);
        goto done;
    }
    if (!npy_parse(map, size, &item, &rows, &cols, &data)) {
        vproblem(v, LW_VERIFY_STRUCTURE, "%s: not a 2-D array whose header matches its size",
                 path);
        goto done;
    }
    uint64_t bad = first_out_of_range(v, data, rows * cols, item);
    if (bad < rows * cols)
        vproblem(v, LW_VERIFY_TOKEN, "%s: row %llu, column %llu is not below the vocabulary "
                 "size %u", path, (unsigned long long)(bad / cols),
                 (unsigned long long)(bad % cols), v->vocab);
    if (!lw_file_map(mpath, &mmap_, &msize, &e)) {
        if (!npy_parse(mmap_, msize, &mitem, &mrows, &mcols, &mdata) || mitem != 1 ||
            mrows != rows || mcols != cols || first_not_bit(mdata, rows * cols) < rows * cols)
            vproblem(v, LW_VERIFY_MASK, "%s: not a %llu x %llu array of 0/1", mpath,
                     (unsigned long long)rows, (unsigned long long)cols);
    }
    count(v, rows, rows * cols);
    seqs = (int64_t)rows;
done:
    lw_file_unmap(map, size);
    lw_file_unmap(mmap_, msize);
    free(path);
    free(mpath);
    return seqs;
}

/* Call fn on every line of a mapped file, with its 1-based number. */
typedef bool (*line_fn)(vctx *v, const char *path, uint64_t line, const char *s, size_t n,
                        void *ctx);

static bool each_line(vctx *v, const char *path, line_fn fn, void *ctx)
{
    void *map = NULL;
    size_t size = 0;
    lw_error e;
    if (lw_file_map(path, &map, &size, &e)) {
        vproblem(v, LW_VERIFY_STRUCTURE, "%s", e.msg);
        return false;
    }
    const char *p = map, *end = p + size;
    uint64_t line = 0;
    bool ok = true;
    while (p < end && ok) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        ok = fn(v, path, ++line, p, n, ctx);
        p += n + 1;
    }
    lw_file_unmap(map, size);
    return ok;
}

typedef struct {
    uint64_t sequences, tokens;
} jsonl_count;

static bool jsonl_line(vctx *v, const char *path, uint64_t line, const char *s, size_t n,
                       void *ctx)
{
    jsonl_count *c = ctx;
    cJSON *o = cJSON_ParseWithLength(s, n);
    const cJSON *ids = cJSON_GetObjectItem(o, "input_ids");
    const cJSON *labels = cJSON_GetObjectItem(o, "labels");
    bool ok = cJSON_IsArray(ids) && (!labels || cJSON_GetArraySize(labels) ==
                                                    cJSON_GetArraySize(ids));
    if (!ok) {
        vproblem(v, LW_VERIFY_STRUCTURE, "%s:%llu: not {\"input_ids\": [...]} (with labels as "
                 "long)", path, (unsigned long long)line);
        cJSON_Delete(o);
        return false;
    }
    int k = 0;
    const cJSON *id, *l = labels ? labels->child : NULL; /* walked in step: not quadratic */
    cJSON_ArrayForEach(id, ids)
    {
        double x = cJSON_GetNumberValue(id);
        double y = l ? cJSON_GetNumberValue(l) : x;
        if (!(x >= 0) || (v->vocab && x >= v->vocab)) {
            vproblem(v, LW_VERIFY_TOKEN, "%s:%llu: token %d is %.0f, not a valid id below %u",
                     path, (unsigned long long)line, k, x, v->vocab);
            break;
        }
        if (y != x && y != -100) {
            vproblem(v, LW_VERIFY_MASK, "%s:%llu: label %d is neither the id nor -100", path,
                     (unsigned long long)line, k);
            break;
        }
        k++;
        l = l ? l->next : NULL;
    }
    c->sequences++;
    c->tokens += (uint64_t)k;
    cJSON_Delete(o);
    return true;
}

int64_t vf_jsonl(vctx *v, const char *path)
{
    jsonl_count c = {0, 0};
    if (!each_line(v, path, jsonl_line, &c))
        return -1;
    count(v, c.sequences, c.tokens);
    return (int64_t)c.sequences;
}
