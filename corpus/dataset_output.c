/* Datasets on disk, the life of an output: claim (folder, lock, the dataset
 * it replaces, an interrupted run's temporary files), commit (the manifest,
 * last), release. */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "longweave/dataset.h"
#include "longweave/fileio.h"
#include "longweave/outfile.h"
#include "longweave/vec.h"

struct lw_output {
    char *path;             /* OUTDIR or PREFIX */
    lw_out_kind kind;
    unsigned part, nparts;
    char *manifest;         /* where the manifest goes */
    char *dir;              /* the folder of the output's files */
    char *lock_path;
    int lock_fd;            /* -1: no lock (a file system without locks) */
    char **made;            /* folders the claim created, deepest last */
    size_t n_made, made_cap;
    bool committed;
};

static lw_output_notice_fn notice_fn;
static void *notice_ctx;

void lw_output_set_notice(lw_output_notice_fn fn, void *ctx)
{
    notice_fn = fn;
    notice_ctx = ctx;
}

static void notice(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void notice(const char *fmt, ...)
{
    if (!notice_fn)
        return;
    char msg[LW_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    notice_fn(notice_ctx, msg);
}

const char *lw_output_manifest_path(const lw_output *o)
{
    return o->manifest;
}

const char *lw_output_dir(const lw_output *o)
{
    return o->dir;
}

/* Create dir and its missing parents, remembering which were made. */
static lw_status make_dirs(lw_output *o, const char *dir, lw_error *err)
{
    char *p = strdup(dir);
    if (!p)
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    size_t first = o->n_made;
    for (;;) { /* walk up to the first folder that is there */
        struct stat sb;
        if (stat(p, &sb) == 0 || !p[0])
            break;
        if (!LW_VEC_GROW(&o->made, &o->made_cap, o->n_made + 1) ||
            !(o->made[o->n_made] = strdup(p))) {
            free(p);
            return lw_error_set(err, LW_E_NOMEM, "out of memory");
        }
        o->n_made++;
        char *slash = strrchr(p, '/');
        if (!slash || slash == p)
            break;
        *slash = '\0';
    }
    free(p);
    for (size_t i = first, j = o->n_made; i + 1 < j; i++, j--) { /* deepest last */
        char *t = o->made[i];
        o->made[i] = o->made[j - 1];
        o->made[j - 1] = t;
    }
    return lw_mkdirs(dir, err);
}

static long lock_holder(int fd)
{
    char buf[32] = "";
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    return n > 0 ? strtol(buf, NULL, 10) : 0;
}

static lw_status take_lock(lw_output *o, const char *what, lw_error *err)
{
    for (int attempt = 0; attempt < 100; attempt++) {
        int fd = open(o->lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
        if (fd < 0)
            return lw_error_errno(err, LW_E_CANTCREAT, errno, "cannot create the lock file",
                                  o->lock_path);
        struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
        if (fcntl(fd, F_OFD_SETLK, &fl) != 0) {
            int e = errno;
            if (e == EAGAIN || e == EACCES) {
                long pid = lock_holder(fd);
                close(fd);
                return lw_error_set(err, LW_E_CANTCREAT, "%s is being written by another "
                                    "longweave run (pid %ld, holding %s); wait for it to end "
                                    "or stop it, then run again", o->path, pid, o->lock_path);
            }
            /* a file system without locks: go on, as before locks existed */
            notice("cannot lock %s (%s): another run writing %s at the same time would not be "
                   "noticed", o->lock_path, strerror(e), what);
            o->lock_fd = fd;
            return LW_OK;
        }
        /* the file may have been removed by the run that held it, between
         * our open and our lock: then lock the new one */
        struct stat a, b;
        if (fstat(fd, &a) == 0 && stat(o->lock_path, &b) == 0 && a.st_ino == b.st_ino &&
            a.st_dev == b.st_dev) {
            char pid[32];
            int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
            if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)n, 0) != n) {
                /* the pid is only for messages */
            }
            o->lock_fd = fd;
            return LW_OK;
        }
        close(fd);
    }
    return lw_error_set(err, LW_E_CANTCREAT, "%s: cannot take the lock %s", o->path,
                        o->lock_path);
}

/* Remove path's folders up to (not including) top while they are empty. */
static void remove_empty_parents(const char *path, const char *top)
{
    char *p = strdup(path);
    size_t k = strlen(top);
    while (p) {
        char *slash = strrchr(p, '/');
        if (!slash)
            break;
        *slash = '\0';
        if (strlen(p) <= k || rmdir(p) != 0)
            break;
    }
    free(p);
}

/* Does path's folder, resolved, lie in top (resolved)? Files a manifest
 * lists are removed only there, whatever symlinks say. */
static bool inside(const char *path, const char *top)
{
    char *dir = lw_path_dir(path);
    char a[PATH_MAX], b[PATH_MAX];
    bool ok = dir && realpath(dir[0] ? dir : "/", a) && realpath(top, b);
    size_t k = strlen(b);
    ok = ok && strncmp(a, b, k) == 0 && (a[k] == '\0' || a[k] == '/' || k == 1);
    free(dir);
    return ok;
}

/* Remove a manifest and then every file it lists: exactly the dataset it
 * describes. *removed counts the files. */
static lw_status remove_dataset(const char *mpath, const char *top, unsigned *removed,
                                lw_error *err)
{
    lw_manifest *m = NULL;
    lw_error lerr;
    lw_status ls = lw_manifest_load(mpath, &m, &lerr);
    if (unlink(mpath) != 0 && errno != ENOENT)
        return lw_error_errno(err, LW_E_CANTCREAT, errno, "cannot remove the old manifest",
                              mpath);
    if (ls == LW_E_NOMEM)
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    if (ls == LW_E_NOINPUT)
        return LW_OK; /* nothing there */
    if (ls) { /* no list to go by: only the manifest goes */
        notice("%s did not load (%s): removed it; files it may have listed are left", mpath,
               lerr.msg);
        return LW_OK;
    }
    lw_status st = LW_OK;
    for (size_t i = 0; i < m->n_files && !st; i++) {
        char *p = lw_concat(m->dir, "/", m->files[i].path);
        if (!p) {
            st = lw_error_set(err, LW_E_NOMEM, "out of memory");
        } else if (!inside(p, top)) {
            notice("%s: listed in %s but not inside %s (a symlinked folder?); left alone", p,
                   mpath, top);
        } else if (unlink(p) == 0) {
            (*removed)++;
            remove_empty_parents(p, top);
        } else if (errno != ENOENT) {
            st = lw_error_errno(err, LW_E_CANTCREAT, errno, "cannot remove old", p);
        }
        free(p);
    }
    lw_manifest_free(m);
    return st;
}

lw_status lw_dataset_remove(const char *manifest, lw_error *err)
{
    char *top = lw_path_dir(manifest);
    unsigned removed = 0;
    lw_status st = remove_dataset(manifest, top ? top : ".", &removed, err);
    free(top);
    return st;
}

/* Which temporary files belong to this output. */
typedef struct {
    const char *name_prefix; /* beside a PREFIX: the final name starts "BASE." */
    char part_tag[32];       /* parts sharing a directory: the path under the output holds
                              * "part-IIIII" (cip/len-L/.part-00001.bin.tmp.P.N,
                              * .cip-tokens-part-00001/.docs.bin.tmp.P.N) */
    size_t top_len;
    unsigned removed;
} sweep_rule;

static void sweep_dir(const char *dir, sweep_rule *r, int depth)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    char final[1024];
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char *path = lw_concat(dir, "/", e->d_name);
        struct stat sb;
        if (!path || lstat(path, &sb) != 0) {
            free(path);
            continue;
        }
        if (S_ISDIR(sb.st_mode)) {
            if (depth > 0)
                sweep_dir(path, r, depth - 1);
        } else if (S_ISREG(sb.st_mode) &&
                   lw_tmp_name_parse(e->d_name, final, sizeof final, NULL) &&
                   (!r->name_prefix ||
                    strncmp(final, r->name_prefix, strlen(r->name_prefix)) == 0) &&
                   (!r->part_tag[0] || strstr(path + r->top_len, r->part_tag))) {
            if (unlink(path) == 0)
                r->removed++;
        }
        free(path);
    }
    closedir(d);
}

static void sweep_tmp(const lw_output *o)
{
    enum { DEPTH = 4 }; /* cip/len-0131072/part-00000.bin is two levels down */
    sweep_rule r = {0};
    struct stat sb;
    bool out_is_dir = stat(o->path, &sb) == 0 && S_ISDIR(sb.st_mode);
    if (o->kind == LW_OUT_PREFIX) {
        const char *slash = strrchr(o->path, '/');
        char *prefix = lw_concat(slash ? slash + 1 : o->path, ".", "");
        if (prefix) {
            r.name_prefix = prefix; /* NAME.bin, NAME.idx, NAME.mask.bin... beside it */
            sweep_dir(o->dir, &r, 0);
            r.name_prefix = NULL;
        }
        free(prefix);
        if (out_is_dir) /* an MDS directory */
            sweep_dir(o->path, &r, DEPTH);
    } else {
        if (o->kind == LW_OUT_DIR_PARTS && o->nparts > 1)
            lw_layout_part_tag(r.part_tag, sizeof r.part_tag, o->part);
        r.top_len = strlen(o->path);
        sweep_dir(o->path, &r, DEPTH);
    }
    if (r.removed)
        notice("removed %u temporary file%s of an interrupted run of %s", r.removed,
               r.removed == 1 ? "" : "s", o->path);
}

/* Is m a manifest of this command (--part aside)? Without a recorded
 * command (the library used directly) there is nothing to tell them apart. */
static bool same_job_as_this_run(const lw_manifest *m)
{
    return !lw_manifest_command() || lw_parts_same_job(m, lw_manifest_command());
}

/* Is the lock file at path held by a live run? Its pid goes to *pid. */
static bool lock_held(const char *path, long *pid)
{
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return false;
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
    bool held = fcntl(fd, F_OFD_SETLK, &fl) != 0 && (errno == EAGAIN || errno == EACCES);
    *pid = held ? lock_holder(fd) : 0;
    close(fd); /* drops the lock if we took it */
    return held;
}

/* In a directory shared by parts, a whole run and parts exclude each other:
 * a whole run is refused while a part runs, and a part while a whole run
 * does. */
static lw_status check_other_runs(const lw_output *o, lw_error *err)
{
    if (o->kind != LW_OUT_DIR_PARTS)
        return LW_OK;
    long pid = 0;
    if (o->nparts > 1) {
        char *whole = lw_layout_lock(o->path, LW_OUT_DIR_PARTS, 0, 1);
        bool held = whole && lock_held(whole, &pid);
        free(whole);
        if (held)
            return lw_error_set(err, LW_E_CANTCREAT, "%s is being written by a whole run of "
                                "another longweave (pid %ld); wait for it to end or stop it",
                                o->path, pid);
        return LW_OK;
    }
    DIR *d = opendir(o->path);
    struct dirent *e;
    lw_status st = LW_OK;
    while (d && !st && (e = readdir(d))) {
        if (!lw_layout_is_lock(e->d_name) || strncmp(e->d_name, ".part-", 6) != 0)
            continue;
        char *p = lw_concat(o->path, "/", e->d_name);
        if (p && lock_held(p, &pid))
            st = lw_error_set(err, LW_E_CANTCREAT, "%s is being written by a part of another "
                              "longweave run (pid %ld, holding %s); wait for it to end or stop "
                              "it", o->path, pid, p);
        free(p);
    }
    if (d)
        closedir(d);
    return st;
}

/* In a directory shared by parts: the manifests of another split of the
 * work than part/nparts (a whole run's manifest.json beside parts, parts of
 * another N), malloc'd paths. */
static lw_status other_splits(const lw_output *o, char ***out, size_t *n, lw_error *err)
{
    *out = NULL;
    *n = 0;
    size_t cap = 0;
    if (o->kind != LW_OUT_DIR_PARTS)
        return LW_OK;
    DIR *d = opendir(o->path);
    if (!d)
        return LW_OK;
    struct dirent *e;
    lw_status st = LW_OK;
    while (!st && (e = readdir(d))) {
        bool whole;
        if (!lw_layout_is_manifest(e->d_name, &whole) ||
            (!whole && strncmp(e->d_name, "manifest.", 9) != 0))
            continue; /* PREFIX.manifest.json beside it: another output */
        char *p = lw_concat(o->path, "/", e->d_name);
        if (!p)
            st = lw_error_set(err, LW_E_NOMEM, "out of memory");
        if (!p || strcmp(p, o->manifest) == 0) {
            free(p);
            continue;
        }
        bool other = o->nparts <= 1 || whole;
        if (!other) { /* a part: of the same N, and of the same command? */
            lw_manifest *m = NULL;
            lw_error ignore;
            other = lw_manifest_load(p, &m, &ignore) != LW_OK || m->nparts != o->nparts ||
                    !same_job_as_this_run(m);
            lw_manifest_free(m);
        }
        if (!other) {
            free(p);
        } else if (!LW_VEC_GROW(out, &cap, *n + 1)) {
            free(p);
            st = lw_error_set(err, LW_E_NOMEM, "out of memory");
        } else {
            (*out)[(*n)++] = p;
        }
    }
    closedir(d);
    return st;
}

lw_status lw_output_claim(lw_output **out, const lw_output_spec *spec, lw_error *err)
{
    *out = NULL;
    if (!spec->path || !spec->path[0])
        return lw_error_set(err, LW_E_USAGE, "no output given (-o)");
    lw_output *o = calloc(1, sizeof *o);
    if (!o)
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    o->lock_fd = -1;
    o->kind = spec->kind;
    o->part = spec->part;
    o->nparts = spec->nparts ? spec->nparts : 1;
    const char *what = spec->what ? spec->what : "a dataset";
    o->path = strdup(spec->path);
    o->manifest = lw_layout_manifest(spec->path, spec->kind, o->part, o->nparts);
    o->lock_path = lw_layout_lock(spec->path, spec->kind, o->part, o->nparts);
    if (spec->kind == LW_OUT_PREFIX) {
        o->dir = lw_path_dir(spec->path);
        if (!o->dir)
            o->dir = strdup(".");
        else if (!o->dir[0])
            o->dir = (free(o->dir), strdup("/"));
    } else {
        o->dir = strdup(spec->path);
    }
    lw_status st = LW_OK;
    char **others = NULL;
    size_t n_others = 0;
    if (!o->path || !o->manifest || !o->lock_path || !o->dir) {
        st = lw_error_set(err, LW_E_NOMEM, "out of memory");
        goto done;
    }
    if (spec->kind == LW_OUT_PREFIX) {
        const char *slash = strrchr(spec->path, '/');
        const char *base = slash ? slash + 1 : spec->path;
        if (!base[0] || strcmp(base, ".") == 0 || strcmp(base, "..") == 0) {
            st = lw_error_set(err, LW_E_USAGE, "-o %s: give a dataset PREFIX such as %stok (the "
                              "files are PREFIX.bin, PREFIX.idx, ...)", spec->path,
                              slash ? spec->path : "");
            goto done;
        }
        char *own = lw_concat(o->dir, "/", LW_MANIFEST_NAME);
        bool inside = own && access(own, F_OK) == 0;
        free(own);
        if (inside) {
            st = lw_error_set(err, LW_E_CANTCREAT, "%s is inside the output directory %s of "
                              "another run, which holds only what its manifest lists; write %s "
                              "elsewhere", spec->path, o->dir, what);
            goto done;
        }
    }
    if ((st = make_dirs(o, o->dir, err)) || (st = take_lock(o, what, err)) ||
        (st = check_other_runs(o, err)))
        goto done;
    /* the dataset already there */
    bool there = access(o->manifest, F_OK) == 0;
    if ((st = other_splits(o, &others, &n_others, err)))
        goto done;
    if ((there || n_others) && !spec->force) {
        /* say what is there, which need not be what this run makes */
        lw_manifest *old = NULL;
        lw_error ignore;
        char held[64] = "an output";
        if (there && lw_manifest_load(o->manifest, &old, &ignore) == LW_OK && old->stage)
            snprintf(held, sizeof held, "the output of '%s'", old->stage);
        lw_manifest_free(old);
        st = lw_error_set(err, LW_E_CANTCREAT, "%s already holds %s (%s); use --force to "
                          "replace it", spec->path, there ? held : "the output of another "
                          "split of the work into parts", there ? o->manifest : others[0]);
        goto done;
    }
    unsigned removed = 0;
    if (there)
        st = remove_dataset(o->manifest, o->dir, &removed, err);
    for (size_t i = 0; i < n_others && !st; i++)
        st = remove_dataset(others[i], o->dir, &removed, err);
    if (st)
        goto done;
    if (removed)
        notice("replaced %s: removed the %u file%s its manifest listed", spec->path, removed,
               removed == 1 ? "" : "s");
    sweep_tmp(o);
done:
    for (size_t i = 0; i < n_others; i++)
        free(others[i]);
    free(others);
    if (st)
        lw_output_release(o);
    else
        *out = o;
    return st;
}

lw_status lw_output_commit(lw_output *o, const cJSON *manifest, lw_error *err)
{
    lw_status st = lw_manifest_write(manifest, o->manifest, err);
    if (!st)
        o->committed = true;
    return st;
}

void lw_output_release(lw_output *o)
{
    if (!o)
        return;
    if (o->lock_fd >= 0) {
        unlink(o->lock_path); /* before closing: see take_lock */
        close(o->lock_fd);
    }
    for (size_t i = o->n_made; i-- > 0;) {
        if (!o->committed)
            rmdir(o->made[i]); /* only when empty */
        free(o->made[i]);
    }
    free(o->made);
    free(o->path);
    free(o->manifest);
    free(o->dir);
    free(o->lock_path);
    free(o);
}
