/* Input planning: expand paths and directories, detect formats, and cut the
 * input into --part byte ranges. */
#include "longweave/input.h"
#include "longweave/vec.h"
#include "longweave/fileio.h"
#include "longweave/dataset.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "longweave/vec.h"

/* The one list of compression suffixes a name may end in: BASE, then BASE
 * with each of them. (The content decides the compression; the name only
 * selects files in directories and gives the format.) */
#define WITH_SUFFIXES(base) base, base ".zst", base ".gz", base ".xz", base ".bz2"
static const char *const compress_suffix[] = {WITH_SUFFIXES("")};

/* A bare *.json is left out: in a folder it is more often one JSON document
 * (a config, a tokenizer, a manifest) than JSON Lines. Compressed, it is
 * the JSON Lines of Dolma and C4 (*.json.gz). */
const char *const lw_default_include[] = {
    WITH_SUFFIXES("*.jsonl"),
    WITH_SUFFIXES("*.ndjson"),
    "*.json.zst", "*.json.gz", "*.json.xz", "*.json.bz2",
    WITH_SUFFIXES("*.txt"),
    WITH_SUFFIXES("*.text"),
    WITH_SUFFIXES("*.md"),
    WITH_SUFFIXES("*.rst"),
    "*.parquet",
};
const size_t lw_default_include_count =
    sizeof lw_default_include / sizeof lw_default_include[0];

static bool ends_with(const char *s, size_t n, const char *suffix)
{
    size_t m = strlen(suffix);
    return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

lw_format lw_format_from_name(const char *path)
{
    size_t n = strlen(path);
    for (size_t i = 1; i < sizeof compress_suffix / sizeof *compress_suffix; i++)
        if (ends_with(path, n, compress_suffix[i])) {
            n -= strlen(compress_suffix[i]);
            break;
        }
    static const char *const text_ext[] = {".txt", ".text", ".md", ".rst"};
    static const char *const jsonl_ext[] = {".jsonl", ".ndjson", ".json"};
    for (size_t i = 0; i < sizeof text_ext / sizeof *text_ext; i++)
        if (ends_with(path, n, text_ext[i]))
            return LW_FORMAT_TEXT;
    for (size_t i = 0; i < sizeof jsonl_ext / sizeof *jsonl_ext; i++)
        if (ends_with(path, n, jsonl_ext[i]))
            return LW_FORMAT_JSONL;
    return LW_FORMAT_AUTO;
}

/* The content kind from the first bytes; a plain file whose head cannot be
 * text is refused here, before anything is read or written. */
static lw_status sniff_content(const char *path, lw_content_kind *kind, int *sys_errno,
                               lw_error *err)
{
    *kind = LW_CONTENT_PLAIN;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        *sys_errno = errno;
        return lw_error_errno(err, LW_E_NOINPUT, errno, "cannot open", path);
    }
    unsigned char head[LW_CONTENT_TEXT_SNIFF];
    size_t got = 0;
    while (got < sizeof head) {
        ssize_t n = read(fd, head + got, sizeof head - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int e = errno;
            *sys_errno = e;
            close(fd);
            return lw_error_errno(err, LW_E_NOINPUT, e, "cannot read", path);
        }
        if (n == 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    *kind = lw_content_sniff(head, got);
    if (*kind == LW_CONTENT_PLAIN) {
        const char *why = lw_content_not_text(head, got);
        if (why)
            return lw_content_refuse(err, path, *kind, why);
    }
    return LW_OK;
}

typedef struct {
    lw_input_list *list;
    size_t cap, unreadable_cap;
    const lw_input_opts *opts;
} builder;

/* A directory entry that cannot be read (a looping or dangling symlink, no
 * permission): kept with its reason, and the walk goes on. */
static lw_status note_unreadable(builder *b, const char *path, int e, lw_error *err)
{
    lw_input_list *l = b->list;
    if (!LW_VEC_GROW(&l->unreadable, &b->unreadable_cap, l->n_unreadable + 1))
        return lw_error_set(err, LW_E_NOMEM, "out of memory listing inputs");
    const char *why = strerror(e);
    size_t n = strlen(path) + strlen(why) + 3;
    char *m = malloc(n);
    if (!m)
        return lw_error_set(err, LW_E_NOMEM, "out of memory listing inputs");
    snprintf(m, n, "%s: %s", path, why);
    l->unreadable[l->n_unreadable++] = m;
    return LW_OK;
}

/* regular: a regular file, whose head can be read now and again later; any
 * other input (stdin, a pipe, a FIFO, /dev/stdin, <(cmd)) can be read only
 * once, so its compression is left for the reader to detect in the bytes
 * it keeps. */
static lw_status add_file(builder *b, const char *path, uint64_t size, bool regular,
                          bool in_dir, lw_error *err)
{
    lw_input_list *l = b->list;
    if (!LW_VEC_GROW(&l->files, &b->cap, l->count + 1))
        return lw_error_set(err, LW_E_NOMEM, "out of memory listing inputs");
    lw_input_file *f = &l->files[l->count];
    memset(f, 0, sizeof *f);
    f->is_stdin = strcmp(path, "-") == 0;
    f->stream = f->is_stdin || !regular;
    f->path = strdup(path);
    if (!f->path)
        return lw_error_set(err, LW_E_NOMEM, "out of memory listing inputs");
    l->count++;
    f->size = size;
    f->format = b->opts && b->opts->format ? b->opts->format : lw_format_from_name(path);
    if (f->format == LW_FORMAT_AUTO)
        f->format = LW_FORMAT_JSONL; /* explicit files and stdin default to JSON Lines */
    l->total_bytes += size;
    if (f->stream)
        return LW_OK;
    int e = 0;
    lw_status st = sniff_content(path, &f->content, &e, err);
    if (st == LW_E_NOINPUT && in_dir) {
        /* found in a directory but unreadable: skipped and counted */
        free(f->path);
        l->count--;
        l->total_bytes -= size;
        return note_unreadable(b, path, e, err);
    }
    return st;
}

static bool included(const builder *b, const char *name)
{
    const char *const *pats = lw_default_include;
    size_t n = lw_default_include_count;
    if (b->opts && b->opts->include) {
        pats = b->opts->include;
        n = b->opts->n_include;
    }
    for (size_t i = 0; i < n; i++)
        if (fnmatch(pats[i], name, 0) == 0)
            return true;
    return false;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A longweave output (a folder with manifests) holds what its manifests
 * list and nothing else: its own files (shards, chat JSON Lines, evaluation
 * records) that the input's names select, never a stray file beside them.
 * *done is false when dir is not such an output. */
static lw_status listed_files(builder *b, const char *dir, char ***paths, size_t *n,
                              size_t *cap, bool *done, lw_error *err)
{
    lw_manifest **ms;
    size_t nm;
    lw_error ignore;
    *done = false;
    if (lw_manifests_in(dir, &ms, &nm, &ignore) != LW_OK || nm == 0)
        return LW_OK; /* not an output (or one this version does not read): walk it */
    *done = true;
    lw_status st = LW_OK;
    for (size_t i = 0; i < nm && !st; i++)
        for (size_t k = 0; k < ms[i]->n_files && !st; k++) {
            const lw_manifest_file *f = &ms[i]->files[k];
            const char *base = strrchr(f->path, '/') ? strrchr(f->path, '/') + 1 : f->path;
            if (f->dataset || !included(b, base)) {
                b->list->ignored_files++;
                continue;
            }
            char *p = lw_concat(ms[i]->dir, "/", f->path);
            if (!p || !LW_VEC_GROW(paths, cap, *n + 1)) {
                free(p);
                st = lw_error_set(err, LW_E_NOMEM, "out of memory listing %s", dir);
            } else {
                (*paths)[(*n)++] = p;
            }
        }
    lw_manifests_free(ms, nm);
    return st;
}

/* Collect every regular file below dir (recursively) into *paths. */
static lw_status walk(builder *b, const char *dir, bool top, char ***paths, size_t *n,
                      size_t *cap, lw_error *err)
{
    bool output;
    lw_status ls = listed_files(b, dir, paths, n, cap, &output, err);
    if (ls || output)
        return ls;
    DIR *d = opendir(dir);
    if (!d && !top)
        return note_unreadable(b, dir, errno, err);
    if (!d)
        return lw_error_errno(err, LW_E_NOINPUT, errno, "cannot open directory", dir);
    lw_status st = LW_OK;
    struct dirent *e;
    size_t dlen = strlen(dir);
    while (st == LW_OK && (errno = 0, e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue; /* hidden entries, ".", ".." and our own temporary files */
        size_t plen = dlen + 1 + strlen(e->d_name) + 1;
        char *p = malloc(plen);
        if (!p) {
            st = lw_error_set(err, LW_E_NOMEM, "out of memory listing %s", dir);
            break;
        }
        bool slash = dlen > 0 && dir[dlen - 1] == '/';
        snprintf(p, plen, "%s%s%s", dir, slash ? "" : "/", e->d_name);
        struct stat lsb, sb;
        if (lstat(p, &lsb) != 0 || stat(p, &sb) != 0) {
            /* e.g. a symlink that loops or points nowhere: an input we would
             * have read is reported; any other name is ignored as usual */
            if (included(b, e->d_name))
                st = note_unreadable(b, p, errno, err);
            else
                b->list->ignored_files++;
            free(p);
            continue;
        }
        if (S_ISDIR(sb.st_mode)) {
            /* Symlinked directories are not followed: they could form loops. */
            if (!S_ISLNK(lsb.st_mode))
                st = walk(b, p, false, paths, n, cap, err);
            else
                b->list->ignored_files++;
            free(p);
            continue;
        }
        if (!S_ISREG(sb.st_mode) || !included(b, e->d_name)) {
            b->list->ignored_files++;
            free(p);
            continue;
        }
        if (!LW_VEC_GROW(paths, cap, *n + 1)) {
            free(p);
            st = lw_error_set(err, LW_E_NOMEM, "out of memory listing %s", dir);
            break;
        }
        (*paths)[(*n)++] = p;
    }
    if (st == LW_OK && errno != 0)
        st = lw_error_errno(err, LW_E_IO, errno, "cannot read directory", dir);
    closedir(d);
    return st;
}

static lw_status add_dir(builder *b, const char *dir, lw_error *err)
{
    char **paths = NULL;
    size_t n = 0, cap = 0;
    lw_status st = walk(b, dir, true, &paths, &n, &cap, err);
    if (st == LW_OK)
        qsort(paths, n, sizeof *paths, cmp_str);
    for (size_t i = 0; i < n; i++) {
        if (st == LW_OK) {
            struct stat sb;
            if (stat(paths[i], &sb) != 0)
                st = note_unreadable(b, paths[i], errno, err);
            else
                st = add_file(b, paths[i], (uint64_t)sb.st_size, S_ISREG(sb.st_mode), true,
                              err);
        }
        free(paths[i]);
    }
    free(paths);
    return st;
}

lw_status lw_input_list_build(lw_input_list *out, const char *const *paths, size_t n,
                              const lw_input_opts *opts, lw_error *err)
{
    memset(out, 0, sizeof *out);
    builder b = {.list = out, .opts = opts};
    lw_status st = LW_OK;
    bool seen_stdin = false;
    for (size_t i = 0; i < n && st == LW_OK; i++) {
        const char *p = paths[i];
        if (strcmp(p, "-") == 0) {
            if (seen_stdin) {
                st = lw_error_set(err, LW_E_USAGE, "standard input (-) given twice");
                break;
            }
            seen_stdin = true;
            st = add_file(&b, p, 0, false, false, err);
            continue;
        }
        struct stat sb;
        if (stat(p, &sb) != 0) {
            st = lw_error_errno(err, LW_E_NOINPUT, errno, "cannot open input", p);
            break;
        }
        if (S_ISDIR(sb.st_mode))
            st = add_dir(&b, p, err);
        else
            st = add_file(&b, p, S_ISREG(sb.st_mode) ? (uint64_t)sb.st_size : 0,
                          S_ISREG(sb.st_mode), false, err);
    }
    if (st != LW_OK)
        lw_input_list_free(out);
    return st;
}

void lw_input_list_free(lw_input_list *list)
{
    for (size_t i = 0; i < list->count; i++)
        free(list->files[i].path);
    free(list->files);
    for (size_t i = 0; i < list->n_unreadable; i++)
        free(list->unreadable[i]);
    free(list->unreadable);
    memset(list, 0, sizeof *list);
}

static bool splittable(const lw_input_file *f)
{
    /* a Parquet file splits by row groups, plain JSON Lines at line starts */
    return (f->content == LW_CONTENT_PARQUET ||
            (f->format == LW_FORMAT_JSONL && f->content == LW_CONTENT_PLAIN)) &&
           !f->stream && f->size > 0;
}

lw_status lw_part_plan_make(const lw_input_list *list, unsigned part, unsigned nparts,
                            lw_part_plan *plan, lw_error *err)
{
    memset(plan, 0, sizeof *plan);
    if (nparts == 0 || part >= nparts)
        return lw_error_set(err, LW_E_USAGE, "--part %u/%u: I must be below N", part, nparts);
    /* A stream can be read by one job only, and its size is not known to
     * place it among the parts: refuse rather than give it to one part. */
    for (size_t i = 0; i < list->count && nparts > 1; i++) {
        const lw_input_file *f = &list->files[i];
        if (f->is_stdin)
            return lw_error_set(err, LW_E_USAGE,
                                "--part cannot split standard input; give files instead");
        if (f->stream)
            return lw_error_set(err, LW_E_USAGE,
                                "--part cannot split %s: it is not a regular file (a pipe or "
                                "device can be read once, by one job); give regular files",
                                f->path);
    }
    uint64_t T = list->total_bytes;
    uint64_t lo = (uint64_t)((unsigned __int128)T * part / nparts);
    uint64_t hi = (uint64_t)((unsigned __int128)T * (part + 1) / nparts);
    bool last = part + 1 == nparts;
    plan->ranges = calloc(list->count ? list->count : 1, sizeof *plan->ranges);
    if (!plan->ranges)
        return lw_error_set(err, LW_E_NOMEM, "out of memory planning parts");
    uint64_t G = 0; /* global offset of the current file */
    for (size_t i = 0; i < list->count; i++) {
        const lw_input_file *f = &list->files[i];
        if (splittable(f)) {
            uint64_t a = lo > G ? lo : G;
            uint64_t b = last ? G + f->size : (hi < G + f->size ? hi : G + f->size);
            if (a < b) {
                lw_input_range *r = &plan->ranges[plan->count++];
                r->file = i;
                r->begin = a - G;
                r->end = last ? UINT64_MAX : b - G;
                plan->bytes += b - a;
            }
        } else if (G >= lo && (G < hi || last)) {
            lw_input_range *r = &plan->ranges[plan->count++];
            r->file = i;
            r->begin = 0;
            r->end = UINT64_MAX;
            plan->bytes += f->size;
        }
        G += f->size;
    }
    return LW_OK;
}

void lw_part_plan_free(lw_part_plan *plan)
{
    free(plan->ranges);
    memset(plan, 0, sizeof *plan);
}
