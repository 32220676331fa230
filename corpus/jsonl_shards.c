/* N zstd-compressed JSON Lines shards, written frame by frame in parallel.
 * A batch's frames are compressed while the next batch is worked on (by the
 * callers of lw_jsonl_shards_work), and written in the background from the
 * next flush on. */
#include "longweave/jsonl_shards.h"

#include <omp.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

typedef struct {
    unsigned shard;
    lw_buf raw;
    lw_buf packed;
    size_t zret; /* ZSTD_compress2 result */
    bool nomem;
} frame;

typedef struct {
    frame *v;
    size_t n, cap; /* slots past n keep their packed buffers for reuse */
} frame_list;

typedef struct {
    lw_outfile file;
    char *name;
    lw_buf open;   /* records not yet sealed into a frame */
    uint64_t records, raw_bytes;
    bool wrote_frame;
} shard_state;

struct lw_jsonl_shards {
    shard_state *shards;
    unsigned count;
    size_t frame_bytes;
    int level, threads;
    ZSTD_CCtx **cctx;
    frame_list sealed;  /* since the last flush */
    frame_list pending; /* sealed before the last flush: compressed meanwhile */
    frame_list writing; /* compressed, being written in the background */
    atomic_size_t next_pending; /* the next of them for lw_jsonl_shards_work */
    lw_buf *spare; /* recycled buffers */
    size_t n_spare, cap_spare;
};

lw_status lw_jsonl_shards_open(lw_jsonl_shards **out, const lw_jsonl_shards_opts *o,
                               lw_error *err)
{
    lw_jsonl_shards *w = calloc(1, sizeof *w);
    if (!w)
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    w->count = o->count;
    w->level = o->zstd_level ? o->zstd_level : 3;
    w->threads = o->threads > 0 ? o->threads : 1;
    /* Frames of 1 MiB compress nearly as well as one stream; with many shards
     * they shrink so that open buffers stay within about 256 MiB. */
    size_t fb = ((size_t)256 << 20) / (o->count ? o->count : 1);
    w->frame_bytes = fb > (1u << 20) ? (1u << 20) : fb < (64u << 10) ? (64u << 10) : fb;
    w->shards = calloc(o->count, sizeof *w->shards);
    w->cctx = calloc((size_t)w->threads, sizeof *w->cctx);
    if (!w->shards || !w->cctx) {
        lw_jsonl_shards_free(w);
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    }
    for (int t = 0; t < w->threads; t++) {
        w->cctx[t] = ZSTD_createCCtx();
        if (!w->cctx[t]) {
            lw_jsonl_shards_free(w);
            return lw_error_set(err, LW_E_NOMEM, "out of memory");
        }
        ZSTD_CCtx_setParameter(w->cctx[t], ZSTD_c_compressionLevel, w->level);
        ZSTD_CCtx_setParameter(w->cctx[t], ZSTD_c_checksumFlag, 1);
    }
    for (unsigned i = 0; i < o->count; i++)
        w->shards[i].file.fd = -1;
    for (unsigned i = 0; i < o->count; i++) {
        shard_state *s = &w->shards[i];
        char name[64];
        snprintf(name, sizeof name, o->pattern, i);
        size_t plen = strlen(o->dir) + 1 + strlen(name) + 1;
        char *path = malloc(plen);
        s->name = strdup(name);
        if (!path || !s->name) {
            free(path);
            lw_jsonl_shards_free(w);
            return lw_error_set(err, LW_E_NOMEM, "out of memory");
        }
        snprintf(path, plen, "%s/%s", o->dir, name);
        lw_status st = lw_outfile_open(&s->file, path, true, err);
        free(path);
        if (st) {
            lw_jsonl_shards_free(w);
            return st;
        }
    }
    *out = w;
    return LW_OK;
}

static int seal(lw_jsonl_shards *w, unsigned shard)
{
    shard_state *s = &w->shards[shard];
    frame_list *l = &w->sealed;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        frame *p = realloc(l->v, cap * sizeof *p);
        if (!p)
            return -1;
        memset(p + l->cap, 0, (cap - l->cap) * sizeof *p);
        l->v = p;
        l->cap = cap;
    }
    frame *f = &l->v[l->n++];
    lw_buf packed = f->packed; /* a buffer of an earlier frame in this slot */
    memset(f, 0, sizeof *f);
    f->packed = packed;
    f->packed.len = 0;
    f->shard = shard;
    f->raw = s->open;
    s->raw_bytes += s->open.len;
    memset(&s->open, 0, sizeof s->open);
    if (w->n_spare > 0)
        s->open = w->spare[--w->n_spare];
    s->open.len = 0;
    return 0;
}

lw_buf *lw_jsonl_shards_record(lw_jsonl_shards *w, unsigned shard, size_t len)
{
    shard_state *s = &w->shards[shard];
    /* A record that would take the open frame past its size starts a frame
     * of its own, in a buffer of its exact size: a long record then costs its
     * length once, not a doubled buffer that a shard keeps. */
    if (s->open.len > 0 && s->open.len + len > w->frame_bytes && seal(w, shard))
        return NULL;
    if (s->open.len + len > w->frame_bytes && lw_buf_reserve_exact(&s->open, len))
        return NULL;
    return &s->open;
}

int lw_jsonl_shards_end_record(lw_jsonl_shards *w, unsigned shard)
{
    shard_state *s = &w->shards[shard];
    s->records++;
    return s->open.len >= w->frame_bytes ? seal(w, shard) : 0;
}

static void recycle(lw_jsonl_shards *w, lw_buf *b)
{
    /* A buffer that once took a very long record is not kept: held by every
     * shard in turn, such buffers would make memory grow with the corpus
     * (with the chance of meeting long records) instead of the frame size. */
    if (b->cap > 2 * w->frame_bytes) {
        lw_buf_free(b);
        return;
    }
    if (w->n_spare == w->cap_spare) {
        size_t cap = w->cap_spare ? w->cap_spare * 2 : 16;
        lw_buf *p = realloc(w->spare, cap * sizeof *p);
        if (!p) {
            lw_buf_free(b);
            return;
        }
        w->spare = p;
        w->cap_spare = cap;
    }
    b->len = 0;
    w->spare[w->n_spare++] = *b;
    memset(b, 0, sizeof *b);
}

static void compress_frame(lw_jsonl_shards *w, frame *f, int thread)
{
    size_t bound = ZSTD_compressBound(f->raw.len);
    if (lw_buf_reserve(&f->packed, bound)) {
        f->nomem = true;
        return;
    }
    f->zret = ZSTD_compress2(w->cctx[thread], f->packed.data, bound, f->raw.data, f->raw.len);
    if (!ZSTD_isError(f->zret))
        f->packed.len = f->zret;
}

void lw_jsonl_shards_work(lw_jsonl_shards *w, int thread)
{
    if (atomic_load_explicit(&w->next_pending, memory_order_relaxed) >= w->pending.n)
        return;
    size_t i = atomic_fetch_add(&w->next_pending, 1);
    if (i < w->pending.n)
        compress_frame(w, &w->pending.v[i], thread);
}

/* Wait for every shard's background write; the first error. */
static lw_status wait_all(lw_jsonl_shards *w, lw_error *err)
{
    lw_status st = LW_OK;
    for (unsigned i = 0; i < w->count; i++) {
        lw_status fst = lw_outfile_wait(&w->shards[i].file, st ? NULL : err);
        st = st ? st : fst;
    }
    return st;
}

/* Compress what lw_jsonl_shards_work left of the pending frames and start
 * writing them all in order; the frames written before are then done with. */
static lw_status write_pending(lw_jsonl_shards *w, lw_error *err)
{
    frame_list *l = &w->pending;
    size_t first = atomic_load(&w->next_pending);
    long n = first < l->n ? (long)(l->n - first) : 0;
#pragma omp parallel for schedule(dynamic, 1) num_threads(w->threads) if (n > 1)
    for (long i = 0; i < n; i++)
        compress_frame(w, &l->v[first + (size_t)i], omp_get_thread_num());
    for (size_t i = 0; i < l->n; i++)
        recycle(w, &l->v[i].raw);
    /* the last writes read the buffers of w->writing, which seal reuses */
    lw_status st = wait_all(w, err);
    for (size_t i = 0; i < w->writing.n; i++)
        if (w->writing.v[i].packed.cap > 2 * ZSTD_compressBound(w->frame_bytes))
            lw_buf_free(&w->writing.v[i].packed); /* not kept: see recycle */
    for (size_t i = 0; i < l->n; i++) {
        frame *f = &l->v[i];
        shard_state *s = &w->shards[f->shard];
        if (!st && f->nomem)
            st = lw_error_set(err, LW_E_NOMEM, "out of memory compressing");
        if (!st && ZSTD_isError(f->zret))
            st = lw_error_set(err, LW_E_SOFTWARE, "zstd compression failed for %s: %s",
                              s->file.final_path, ZSTD_getErrorName(f->zret));
        if (!st)
            st = lw_outfile_write_async(&s->file, f->packed.data, f->packed.len, err);
        if (!st)
            s->wrote_frame = true;
    }
    frame_list done = w->writing;
    w->writing = *l;
    *l = done;
    l->n = 0;
    atomic_store(&w->next_pending, 0);
    return st;
}

lw_status lw_jsonl_shards_flush(lw_jsonl_shards *w, lw_error *err)
{
    lw_status st = write_pending(w, err);
    /* this batch's frames wait for the next batch: swap the two lists */
    frame_list empty = w->pending;
    w->pending = w->sealed;
    w->sealed = empty;
    return st;
}

lw_status lw_jsonl_shards_finish(lw_jsonl_shards *w, lw_error *err)
{
    for (unsigned i = 0; i < w->count; i++) {
        shard_state *s = &w->shards[i];
        /* An empty shard still gets one (empty) frame: a valid .zst file. */
        if ((s->open.len > 0 || !s->wrote_frame) && seal(w, i))
            return lw_error_set(err, LW_E_NOMEM, "out of memory");
    }
    lw_status st = lw_jsonl_shards_flush(w, err);
    if (!st)
        st = write_pending(w, err);
    for (unsigned i = 0; i < w->count && !st; i++)
        st = lw_outfile_finish(&w->shards[i].file, err);
    return st;
}

lw_status lw_jsonl_shards_publish(lw_jsonl_shards *w, lw_error *err)
{
    for (unsigned i = 0; i < w->count; i++) {
        lw_status st = lw_outfile_publish(&w->shards[i].file, err);
        if (st) {
            lw_jsonl_shards_unpublish(w);
            return st;
        }
    }
    return LW_OK;
}

void lw_jsonl_shards_unpublish(lw_jsonl_shards *w)
{
    for (unsigned i = 0; i < w->count; i++)
        lw_outfile_unpublish(&w->shards[i].file);
}

void lw_jsonl_shards_info(const lw_jsonl_shards *w, unsigned shard, lw_shard_info *info)
{
    const shard_state *s = &w->shards[shard];
    info->name = s->name;
    info->records = s->records;
    info->bytes = s->file.bytes;
    info->raw_bytes = s->raw_bytes;
    info->sha256 = s->file.sha256;
}

void lw_jsonl_shards_free(lw_jsonl_shards *w)
{
    if (!w)
        return;
    for (unsigned i = 0; w->shards && i < w->count; i++) {
        lw_outfile_release(&w->shards[i].file);
        lw_buf_free(&w->shards[i].open);
        free(w->shards[i].name);
    }
    /* The files were released above: no write reads these buffers now.
     * (A recycled raw buffer is zeroed in its slot.) */
    frame_list *lists[] = {&w->sealed, &w->pending, &w->writing};
    for (int k = 0; k < 3; k++) {
        for (size_t i = 0; i < lists[k]->cap; i++) {
            lw_buf_free(&lists[k]->v[i].raw);
            lw_buf_free(&lists[k]->v[i].packed);
        }
        free(lists[k]->v);
    }
    for (size_t i = 0; i < w->n_spare; i++)
        lw_buf_free(&w->spare[i]);
    for (int t = 0; w->cctx && t < w->threads; t++)
        ZSTD_freeCCtx(w->cctx[t]);
    free(w->cctx);
    free(w->spare);
    free(w->shards);
    free(w);
}
