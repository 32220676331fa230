/* Checked reads: read() with EINTR retried and errors turned into lw_error,
 * and a streaming scan of a file's bytes through a callback. */
#ifndef LONGWEAVE_FILEIO_H
#define LONGWEAVE_FILEIO_H

#include <stddef.h>
#include <stdint.h>

#include "longweave/buf.h"
#include "longweave/status.h"

/* One read() of up to cap bytes; *got = 0 at end of file. */
lw_status lw_read_some(int fd, void *buf, size_t cap, size_t *got, const char *path,
                       lw_error *err);

typedef void (*lw_scan_fn)(void *ctx, const char *data, size_t len);

/* Feed the first `limit` bytes of path (UINT64_MAX: all) to fn, chunk by chunk.
 * A missing file is LW_E_NOINPUT, a read failure LW_E_IO. */
lw_status lw_file_scan(const char *path, uint64_t limit, lw_scan_fn fn, void *ctx,
                       lw_error *err);

/* Read a whole (small) file into out (appending). */
lw_status lw_file_read_all(const char *path, lw_buf *out, lw_error *err);

/* a, b and c (b and c may be "") joined in a malloc'd string; NULL when out
 * of memory. For paths: lw_concat(dir, "/", name), lw_concat(prefix, ".idx", ""). */
char *lw_concat(const char *a, const char *b, const char *c);

/* The folder part of a path (before its last '/', "" for "/x"), malloc'd;
 * NULL when the path has no folder part, or when out of memory. For the
 * relative names of a PREFIX's files and for creating its folder. */
char *lw_path_dir(const char *path);

/* Read exactly n bytes at offset off (EINTR retried); the end of the file
 * before that is LW_E_DATA naming path and the offset. */
lw_status lw_pread_all(int fd, void *buf, size_t n, uint64_t off, const char *path,
                       lw_error *err);

/* Map a whole file read-only (*map NULL for an empty file). A missing file
 * is LW_E_NOINPUT. Unmap with lw_file_unmap. */
lw_status lw_file_map(const char *path, void **map, size_t *size, lw_error *err);
void lw_file_unmap(void *map, size_t size);

/* v as `bytes` little-endian bytes at p. */
static inline void lw_put_le(unsigned char *p, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

/* A little-endian unsigned integer of `bytes` bytes at p. */
static inline uint64_t lw_get_le(const unsigned char *p, int bytes)
{
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

#endif
