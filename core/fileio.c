/* Checked reads and streaming file scans. */
#include "longweave/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

lw_status lw_read_some(int fd, void *buf, size_t cap, size_t *got, const char *path,
                       lw_error *err)
{
    for (;;) {
        ssize_t n = read(fd, buf, cap);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            *got = 0;
            return lw_error_errno(err, LW_E_IO, errno, "cannot read", path);
        }
        *got = (size_t)n;
        return LW_OK;
    }
}

lw_status lw_file_scan(const char *path, uint64_t limit, lw_scan_fn fn, void *ctx,
                       lw_error *err)
{
    enum { CHUNK = 1 << 20 };
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return lw_error_errno(err, LW_E_NOINPUT, errno, "cannot open", path);
    char *buf = malloc(CHUNK);
    if (!buf) {
        close(fd);
        return lw_error_set(err, LW_E_NOMEM, "out of memory reading %s", path);
    }
    lw_status st = LW_OK;
    uint64_t pos = 0;
    while (pos < limit) {
        size_t want = limit - pos < CHUNK ? (size_t)(limit - pos) : CHUNK, n;
        if ((st = lw_read_some(fd, buf, want, &n, path, err)) || n == 0)
            break;
        fn(ctx, buf, n);
        pos += n;
    }
    free(buf);
    close(fd);
    return st;
}

typedef struct {
    lw_buf *out;
    int nomem;
} read_all_ctx;

static void read_all_chunk(void *ctx, const char *data, size_t len)
{
    read_all_ctx *c = ctx;
    if (!c->nomem && lw_buf_append(c->out, data, len))
        c->nomem = 1;
}

lw_status lw_file_read_all(const char *path, lw_buf *out, lw_error *err)
{
    read_all_ctx c = {out, 0};
    lw_status st = lw_file_scan(path, UINT64_MAX, read_all_chunk, &c, err);
    if (!st && c.nomem)
        st = lw_error_set(err, LW_E_NOMEM, "out of memory reading %s", path);
    return st;
}

lw_status lw_file_map(const char *path, void **map, size_t *size, lw_error *err)
{
    *map = NULL;
    *size = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return lw_error_errno(err, errno == ENOENT ? LW_E_NOINPUT : LW_E_IO, errno,
                              "cannot open", path);
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        int e = errno;
        close(fd);
        return lw_error_errno(err, LW_E_IO, e, "cannot stat", path);
    }
    *size = (size_t)sb.st_size;
    if (*size > 0) {
        *map = mmap(NULL, *size, PROT_READ, MAP_SHARED, fd, 0);
        if (*map == MAP_FAILED) {
            int e = errno;
            *map = NULL;
            *size = 0;
            close(fd);
            return lw_error_errno(err, LW_E_IO, e, "cannot map", path);
        }
    }
    close(fd);
    return LW_OK;
}

void lw_file_unmap(void *map, size_t size)
{
    if (map)
        munmap(map, size);
}

lw_status lw_pread_all(int fd, void *buf, size_t n, uint64_t off, const char *path,
                           lw_error *err)
{
    char *p = buf;
    while (n > 0) {
        ssize_t got = pread(fd, p, n, (off_t)off);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            return lw_error_errno(err, LW_E_IO, errno, "cannot read", path);
        if (got == 0)
            return lw_error_set(err, LW_E_DATA, "%s: unexpected end of file at byte %llu", path,
                                (unsigned long long)off);
        p += got;
        n -= (size_t)got;
        off += (uint64_t)got;
    }
    return LW_OK;
}

char *lw_path_dir(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? strndup(path, (size_t)(slash - path)) : NULL;
}

char *lw_concat(const char *a, const char *b, const char *c)
{
    size_t la = strlen(a), lb = strlen(b), lc = strlen(c);
    char *p = malloc(la + lb + lc + 1);
    if (p) {
        memcpy(p, a, la);
        memcpy(p + la, b, lb);
        memcpy(p + la + lb, c, lc + 1);
    }
    return p;
}
