/* Streaming access to the documents of Megatron token datasets. */
#include "longweave/token_docs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "longweave/fileio.h"
#include "longweave/megatron.h"

enum { HEADER = 34, BLOCK = 8192 };


static uint64_t le(const unsigned char *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static lw_status open_file(lw_token_file *f, const char *prefix, lw_error *err)
{
    size_t n = strlen(prefix) + 5;
    char *idx = malloc(n), *bin = malloc(n);
    f->idx_fd = f->bin_fd = -1;
    f->prefix = strdup(prefix);
    lw_status st = LW_OK;
    if (!idx || !bin || !f->prefix) {
        st = lw_error_set(err, LW_E_NOMEM, "out of memory");
        goto done;
    }
    snprintf(idx, n, "%s.idx", prefix);
    snprintf(bin, n, "%s.bin", prefix);
    f->idx_fd = open(idx, O_RDONLY | O_CLOEXEC);
    if (f->idx_fd < 0) {
        st = lw_error_errno(err, LW_E_NOINPUT, errno, "cannot open token dataset", idx);
        goto done;
    }
    f->bin_fd = open(bin, O_RDONLY | O_CLOEXEC);
    if (f->bin_fd < 0) {
        st = lw_error_errno(err, LW_E_NOINPUT, errno, "cannot open token dataset", bin);
        goto done;
    }
    struct stat si, sb;
    if (fstat(f->idx_fd, &si) != 0 || fstat(f->bin_fd, &sb) != 0) {
        st = lw_error_errno(err, LW_E_IO, errno, "cannot stat", idx);
        goto done;
    }
    unsigned char h[HEADER];
    if (si.st_size < HEADER || (st = lw_pread_all(f->idx_fd, h, HEADER, 0, idx, err))) {
        if (!st)
            st = lw_error_set(err, LW_E_DATA, "%s: too short for a Megatron index", idx);
        goto done;
    }
    if (memcmp(h, "MMIDIDX\0\0", 9) != 0 || le(h + 9, 8) != 1) {
        st = lw_error_set(err, LW_E_DATA, "%s: not a Megatron index (magic or version)", idx);
        goto done;
    }
    f->dtype = h[17];
    if (f->dtype != LW_MEGATRON_UINT16 && f->dtype != LW_MEGATRON_INT32) {
        st = lw_error_set(err, LW_E_DATA, "%s: dtype code %d is not uint16 (8) or int32 (4)",
                          idx, f->dtype);
        goto done;
    }
    f->sequences = le(h + 18, 8);
    uint64_t docs = le(h + 26, 8);
    f->bin_size = (uint64_t)sb.st_size;
    if (docs == 0 || f->sequences > (uint64_t)si.st_size / 12 ||
        (uint64_t)si.st_size != HEADER + 12 * f->sequences + 8 * docs) {
        st = lw_error_set(err, LW_E_DATA, "%s: %lld bytes do not hold %llu sequences and %llu "
                          "document indices", idx, (long long)si.st_size,
                          (unsigned long long)f->sequences, (unsigned long long)docs);
        goto done;
    }
    f->documents = docs - 1;
    /* the same checks as every reader of a dataset (and verify): lengths,
     * pointers, document indices, the .bin's size */
    lw_megatron_dataset whole;
    if ((st = lw_megatron_read_index(&whole, prefix, err)) == LW_OK)
        lw_megatron_close(&whole);
done:
    free(idx);
    free(bin);
    return st;
}

lw_status lw_token_docs_open(lw_token_docs *d, const char *const *prefixes, size_t n,
                             uint32_t vocab, lw_error *err)
{
    memset(d, 0, sizeof *d);
    d->vocab = vocab;
    d->files = calloc(n ? n : 1, sizeof *d->files);
    if (!d->files)
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        d->count++;
        lw_status st = open_file(&d->files[i], prefixes[i], err);
        if (st) {
            lw_token_docs_close(d);
            return st;
        }
        d->files[i].first_doc = d->documents;
        d->documents += d->files[i].documents;
    }
    return LW_OK;
}

void lw_token_docs_close(lw_token_docs *d)
{
    for (size_t i = 0; i < d->count; i++) {
        if (d->files[i].idx_fd >= 0)
            close(d->files[i].idx_fd);
        if (d->files[i].bin_fd >= 0)
            close(d->files[i].bin_fd);
        free(d->files[i].prefix);
    }
    free(d->files);
    memset(d, 0, sizeof *d);
}

lw_status lw_token_docs_read(const lw_token_docs *d, const lw_token_doc *doc, uint32_t *out,
                             lw_error *err)
{
    const lw_token_file *f = &d->files[doc->file];
    size_t size = lw_megatron_dtype_size(f->dtype);
    size_t bytes = (size_t)doc->tokens * size;
    /* Read into the tail of out, then widen front to back without overlap
     * trouble: element i is read from byte i*size >= ... of the tail. */
    unsigned char *raw = (unsigned char *)out + (size_t)doc->tokens * 4 - bytes;
    char path[4200];
    snprintf(path, sizeof path, "%s.bin", f->prefix);
    lw_status st = lw_pread_all(f->bin_fd, raw, bytes, doc->offset, path, err);
    if (st)
        return st;
    if (size == 2)
        for (size_t i = 0; i < doc->tokens; i++)
            out[i] = (uint32_t)raw[2 * i] | (uint32_t)raw[2 * i + 1] << 8;
    for (size_t i = 0; d->vocab && i < doc->tokens; i++)
        if (out[i] >= d->vocab)
            return lw_error_set(err, LW_E_DATA, "%s: document %llu holds the id %lld, not below "
                                "the vocabulary size %u (made with another tokenizer?)", path,
                                (unsigned long long)(doc->doc - f->first_doc),
                                size == 4 ? (long long)(int32_t)out[i] : (long long)out[i],
                                d->vocab);
    return LW_OK;
}

struct lw_token_cursor {
    const lw_token_docs *d;
    uint64_t next, end;      /* global document numbers */
    uint32_t file;
    /* a block of document indices of the current file, starting at doc_base */
    uint64_t doc_base, doc_count;
    unsigned char docs[8 * (BLOCK + 1)];
    /* a block of sequence pointers, starting at seq_base */
    uint64_t seq_base, seq_count;
    unsigned char ptrs[8 * BLOCK];
    uint64_t last_end;       /* end offset of the previous document, for checks */
};

lw_status lw_token_cursor_open(lw_token_cursor **out, const lw_token_docs *d, uint64_t first,
                               uint64_t end, lw_error *err)
{
    lw_token_cursor *c = calloc(1, sizeof *c);
    if (!c)
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    c->d = d;
    c->next = first;
    c->end = end < d->documents ? end : d->documents;
    c->file = 0;
    c->doc_count = c->seq_count = 0;
    *out = c;
    return LW_OK;
}

void lw_token_cursor_close(lw_token_cursor *c)
{
    free(c);
}

/* Document index i (0..documents) of file f, through the block cache. */
static lw_status doc_index(lw_token_cursor *c, const lw_token_file *f, uint64_t i, uint64_t *v,
                           lw_error *err)
{
    if (i < c->doc_base || i >= c->doc_base + c->doc_count) {
        uint64_t n = f->documents + 1 - i;
        if (n > BLOCK + 1)
            n = BLOCK + 1;
        char path[4200];
        snprintf(path, sizeof path, "%s.idx", f->prefix);
        lw_status st = lw_pread_all(f->idx_fd, c->docs, 8 * n,
                                 HEADER + 12 * f->sequences + 8 * i, path, err);
        if (st)
            return st;
        c->doc_base = i;
        c->doc_count = n;
    }
    *v = le(c->docs + 8 * (i - c->doc_base), 8);
    return LW_OK;
}

/* Byte offset where sequence s starts (s == sequences: the end of .bin). */
static lw_status seq_pointer(lw_token_cursor *c, const lw_token_file *f, uint64_t s, uint64_t *v,
                             lw_error *err)
{
    if (s == f->sequences) {
        *v = f->bin_size;
        return LW_OK;
    }
    if (s < c->seq_base || s >= c->seq_base + c->seq_count) {
        uint64_t n = f->sequences - s;
        if (n > BLOCK)
            n = BLOCK;
        char path[4200];
        snprintf(path, sizeof path, "%s.idx", f->prefix);
        lw_status st = lw_pread_all(f->idx_fd, c->ptrs, 8 * n, HEADER + 4 * f->sequences + 8 * s,
                                 path, err);
        if (st)
            return st;
        c->seq_base = s;
        c->seq_count = n;
    }
    *v = le(c->ptrs + 8 * (s - c->seq_base), 8);
    return LW_OK;
}

lw_status lw_token_cursor_next(lw_token_cursor *c, lw_token_doc *doc, bool *got, lw_error *err)
{
    *got = false;
    if (c->next >= c->end)
        return LW_OK;
    const lw_token_docs *d = c->d;
    while (c->file + 1 < d->count && c->next >= d->files[c->file + 1].first_doc) {
        c->file++;
        c->doc_count = c->seq_count = 0;
    }
    const lw_token_file *f = &d->files[c->file];
    uint64_t local = c->next - f->first_doc, s0, s1, b0, b1;
    lw_status st;
    if ((st = doc_index(c, f, local, &s0, err)) || (st = doc_index(c, f, local + 1, &s1, err)))
        return st;
    if (s1 < s0 || s1 > f->sequences || (local == 0 && s0 != 0))
        return lw_error_set(err, LW_E_DATA, "%s.idx: document index %llu is %llu, %llu (they "
                            "must rise from 0 to %llu)", f->prefix, (unsigned long long)local,
                            (unsigned long long)s0, (unsigned long long)s1,
                            (unsigned long long)f->sequences);
    if ((st = seq_pointer(c, f, s0, &b0, err)) || (st = seq_pointer(c, f, s1, &b1, err)))
        return st;
    size_t size = lw_megatron_dtype_size(f->dtype);
    if (b1 < b0 || b1 > f->bin_size || (b1 - b0) % size)
        return lw_error_set(err, LW_E_DATA, "%s.idx: document %llu spans bytes %llu..%llu of a "
                            "%llu-byte .bin", f->prefix, (unsigned long long)local,
                            (unsigned long long)b0, (unsigned long long)b1,
                            (unsigned long long)f->bin_size);
    doc->doc = c->next;
    doc->file = c->file;
    doc->offset = b0;
    doc->tokens = (b1 - b0) / size;
    c->next++;
    *got = true;
    return LW_OK;
}
