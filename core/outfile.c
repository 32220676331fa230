/* Crash-safe output files: temporary name, checked writes, fsync, rename;
 * writes in the background (a thread for the write and one for the checksum,
 * joined before the next). */
#include "longweave/outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "longweave/fileio.h"

static atomic_uint tmp_counter;

/* A file being written is hidden beside its final name: ".NAME.tmp.PID.N". */
#define TMP_NAME ".%s.tmp.%ld.%u"

bool lw_tmp_name_parse(const char *name, char *final, size_t cap, long *pid)
{
    static const char digits[] = "0123456789";
    if (name[0] != '.')
        return false;
    const char *t = NULL;
    for (const char *p = strstr(name, ".tmp."); p; p = strstr(p + 1, ".tmp."))
        t = p;
    if (!t || t == name)
        return false;
    const char *q = t + 5;
    size_t npid = strspn(q, digits);
    if (npid == 0 || q[npid] != '.')
        return false;
    size_t n = strspn(q + npid + 1, digits);
    if (n == 0 || q[npid + 1 + n] != '\0')
        return false;
    size_t len = (size_t)(t - name - 1);
    if (len + 1 > cap)
        return false;
    memcpy(final, name + 1, len);
    final[len] = '\0';
    if (pid)
        *pid = strtol(q, NULL, 10);
    return true;
}

/* One background write: what the thread needs, copied out of the lw_outfile
 * so that the caller's struct is not shared while it runs. */
struct lw_outfile_job {
    pthread_t thread, hasher; /* writing, and adding to the checksum */
    bool running, hashing;
    int fd;
    lw_sha256 *sha;
    const char *path;
    const void *data;
    size_t len;
    uint64_t offset;
    lw_status st; /* sticky: a file with a failed write is never finished */
    lw_error err;
};

static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return strdup(".");
    if (slash == path)
        return strdup("/");
    return strndup(path, (size_t)(slash - path));
}

static lw_status fsync_dir_of(const char *path, lw_error *err)
{
    char *dir = dir_of(path);
    if (!dir)
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    lw_status st = LW_OK;
    if (fd < 0) {
        st = lw_error_errno(err, LW_E_IO, errno, "cannot open directory", dir);
    } else {
        /* Some file systems refuse fsync on directories; that is not data loss. */
        if (fsync(fd) != 0 && errno != EINVAL && errno != EROFS)
            st = lw_error_errno(err, LW_E_IO, errno, "cannot sync directory", dir);
        close(fd);
    }
    free(dir);
    return st;
}

lw_status lw_outfile_open(lw_outfile *f, const char *final_path, bool checksum, lw_error *err)
{
    memset(f, 0, sizeof *f);
    f->fd = -1;
    f->final_path = strdup(final_path);
    const char *slash = strrchr(final_path, '/');
    size_t dirlen = slash ? (size_t)(slash - final_path + 1) : 0;
    const char *base = final_path + dirlen;
    size_t cap = strlen(final_path) + 64;
    f->tmp_path = malloc(cap);
    if (!f->final_path || !f->tmp_path) {
        lw_outfile_release(f);
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    }
    snprintf(f->tmp_path, cap, "%.*s" TMP_NAME, (int)dirlen, final_path, base,
             (long)getpid(), atomic_fetch_add(&tmp_counter, 1));
    f->fd = open(f->tmp_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (f->fd < 0) {
        lw_status st = lw_error_errno(err, LW_E_CANTCREAT, errno, "cannot create", f->tmp_path);
        free(f->tmp_path); /* nothing was created: do not unlink */
        f->tmp_path = NULL;
        lw_outfile_release(f);
        return st;
    }
    f->owns_fd = true;
    if (checksum && !(f->sha = lw_sha256_new())) {
        lw_outfile_release(f);
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    }
    return LW_OK;
}

static lw_status write_all(int fd, const void *data, size_t len, const char *path,
                           lw_error *err)
{
    const char *p = data;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return lw_error_errno(err, LW_E_IO, errno, "cannot write", path);
        if (n == 0)
            return lw_error_set(err, LW_E_IO, "cannot write %s: no progress", path);
        p += n;
        len -= (size_t)n;
    }
    return LW_OK;
}

lw_status lw_outfile_wait(lw_outfile *f, lw_error *err)
{
    lw_outfile_job *j = f->job;
    if (!j)
        return LW_OK;
    if (j->running) {
        pthread_join(j->thread, NULL);
        j->running = false;
    }
    if (j->hashing) {
        pthread_join(j->hasher, NULL);
        j->hashing = false;
    }
    if (j->st && err)
        *err = j->err;
    return j->st;
}

lw_status lw_outfile_write(lw_outfile *f, const void *data, size_t len, lw_error *err)
{
    lw_status st = lw_outfile_wait(f, err);
    if (!st)
        st = write_all(f->fd, data, len, f->final_path, err);
    if (st)
        return st;
    if (f->sha)
        lw_sha256_update(f->sha, data, len);
    f->bytes += len;
    return LW_OK;
}

typedef struct {
    lw_outfile *out;
    lw_status st;
    lw_error *err;
} copy_ctx;

static void copy_chunk(void *ctx, const char *data, size_t len)
{
    copy_ctx *c = ctx;
    if (!c->st)
        c->st = lw_outfile_write(c->out, data, len, c->err);
}

lw_status lw_outfile_write_file(lw_outfile *f, const char *path, lw_error *err)
{
    copy_ctx c = {f, LW_OK, err};
    lw_status st = lw_file_scan(path, UINT64_MAX, copy_chunk, &c, err);
    return st ? st : c.st;
}

static void *job_write(void *arg)
{
    lw_outfile_job *j = arg;
    j->st = write_all(j->fd, j->data, j->len, j->path, &j->err);
    /* Start the disk write now, so that finish's fsync has little left to
     * wait for (a hint: errors show at fsync). */
    if (!j->st)
        sync_file_range(j->fd, (off_t)j->offset, (off_t)j->len, SYNC_FILE_RANGE_WRITE);
    return NULL;
}

static void *job_hash(void *arg)
{
    lw_outfile_job *j = arg;
    lw_sha256_update(j->sha, j->data, j->len);
    return NULL;
}

lw_status lw_outfile_write_async(lw_outfile *f, const void *data, size_t len, lw_error *err)
{
    lw_status st = lw_outfile_wait(f, err);
    if (st || len == 0)
        return st;
    if (!f->job && !(f->job = calloc(1, sizeof *f->job)))
        return lw_outfile_write(f, data, len, err); /* no memory for a job: write now */
    lw_outfile_job *j = f->job;
    j->fd = f->fd;
    j->sha = f->sha;
    j->path = f->final_path;
    j->data = data;
    j->len = len;
    j->offset = f->bytes;
    /* the checksum in a thread of its own, beside the write */
    if (j->sha && pthread_create(&j->hasher, NULL, job_hash, j) != 0) {
        j->sha = NULL;
        lw_sha256_update(f->sha, data, len);
    }
    j->hashing = j->sha != NULL;
    if (pthread_create(&j->thread, NULL, job_write, j) != 0) {
        /* no thread: write now (an error stays, as a background one would) */
        if ((j->st = write_all(f->fd, data, len, f->final_path, &j->err))) {
            if (err)
                *err = j->err;
            return j->st;
        }
    } else {
        j->running = true;
    }
    f->bytes += len;
    return LW_OK;
}

lw_status lw_outfile_rewrite_at(lw_outfile *f, uint64_t offset, const void *data, size_t len,
                                lw_error *err)
{
    if (offset + len > f->bytes)
        return lw_error_set(err, LW_E_SOFTWARE, "%s: rewrite past the end", f->final_path);
    lw_status st = lw_outfile_wait(f, err);
    if (st)
        return st;
    const char *p = data;
    while (len > 0) {
        ssize_t n = pwrite(f->fd, p, len, (off_t)offset);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return lw_error_errno(err, LW_E_IO, n < 0 ? errno : EIO, "cannot write",
                                  f->final_path);
        p += n;
        len -= (size_t)n;
        offset += (uint64_t)n;
    }
    f->rewritten = true;
    return LW_OK;
}

lw_status lw_outfile_finish(lw_outfile *f, lw_error *err)
{
    if (f->finished)
        return LW_OK;
    lw_status wst = lw_outfile_wait(f, err);
    if (wst)
        return wst;
    if (fsync(f->fd) != 0 && errno != EINVAL)
        return lw_error_errno(err, LW_E_IO, errno, "cannot sync", f->final_path);
    int rc = close(f->fd);
    f->fd = -1;
    f->owns_fd = false;
    if (rc != 0)
        return lw_error_errno(err, LW_E_IO, errno, "cannot close", f->final_path);
    if (f->sha) {
        lw_sha256_final(f->sha, f->sha256);
        lw_sha256_free(f->sha);
        f->sha = NULL;
        if (f->rewritten) {
            lw_status st = lw_sha256_file(f->tmp_path, f->sha256, err);
            if (st)
                return st;
        }
    }
    f->finished = true;
    return LW_OK;
}

lw_status lw_outfile_publish(lw_outfile *f, lw_error *err)
{
    if (rename(f->tmp_path, f->final_path) != 0)
        return lw_error_errno(err, LW_E_CANTCREAT, errno, "cannot rename into", f->final_path);
    f->published = true;
    return fsync_dir_of(f->final_path, err);
}

lw_status lw_outfile_commit(lw_outfile *f, lw_error *err)
{
    lw_status st = lw_outfile_finish(f, err);
    return st ? st : lw_outfile_publish(f, err);
}

void lw_outfile_release(lw_outfile *f)
{
    lw_outfile_wait(f, NULL);
    free(f->job);
    f->job = NULL;
    if (f->owns_fd && f->fd >= 0)
        close(f->fd);
    f->fd = -1;
    f->owns_fd = false;
    if (f->tmp_path && !f->published)
        unlink(f->tmp_path);
    lw_sha256_free(f->sha);
    f->sha = NULL;
    free(f->tmp_path);
    free(f->final_path);
    f->tmp_path = f->final_path = NULL;
}

void lw_outfile_unpublish(lw_outfile *f)
{
    if (f->published && f->final_path)
        unlink(f->final_path);
    f->published = false;
    lw_outfile_release(f);
}

lw_status lw_write_file_atomic(const char *path, const void *data, size_t len, lw_error *err)
{
    lw_outfile f;
    lw_status st = lw_outfile_open(&f, path, false, err);
    if (st)
        return st;
    st = lw_outfile_write(&f, data, len, err);
    if (!st)
        st = lw_outfile_commit(&f, err);
    lw_outfile_release(&f);
    return st;
}

lw_status lw_mkdirs_for(const char *path, lw_error *err)
{
    const char *slash = strrchr(path, '/');
    if (!slash || slash == path)
        return LW_OK;
    char *dir = strndup(path, (size_t)(slash - path));
    lw_status st = dir ? lw_mkdirs(dir, err) : lw_error_set(err, LW_E_NOMEM, "out of memory");
    free(dir);
    return st;
}

lw_status lw_mkdirs(const char *path, lw_error *err)
{
    if (!path[0])
        return lw_error_set(err, LW_E_CANTCREAT, "cannot create directory: empty path");
    char *p = strdup(path);
    if (!p)
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    lw_status st = LW_OK;
    for (char *s = p + 1;; s++) {
        if (*s != '/' && *s != '\0')
            continue;
        char saved = *s;
        *s = '\0';
        if (mkdir(p, 0777) != 0 && errno != EEXIST) {
            st = lw_error_errno(err, LW_E_CANTCREAT, errno, "cannot create directory", p);
            break;
        }
        *s = saved;
        if (saved == '\0')
            break;
    }
    struct stat sb;
    if (!st && (stat(path, &sb) != 0 || !S_ISDIR(sb.st_mode)))
        st = lw_error_set(err, LW_E_CANTCREAT, "cannot create directory %s: not a directory", path);
    free(p);
    return st;
}

void lw_outfile_move(lw_outfile *dst, lw_outfile *src)
{
    *dst = *src;
    memset(src, 0, sizeof *src);
    src->fd = -1;
}
