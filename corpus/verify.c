/* verify: load the manifests of an output, check every file they list
 * (present, size, sha256, in parallel), the structure of every dataset
 * among them (verify_formats.c) and of its companions (through the stage
 * that registered them), and report every file no manifest lists. */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <omp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "longweave/dataset.h"
#include "longweave/fileio.h"
#include "longweave/hash.h"
#include "longweave/megatron.h"
#include "longweave/outfile.h"
#include "longweave/vec.h"
#include "verify_internal.h"

const char *lw_verify_kind_name(lw_verify_kind k)
{
    static const char *const names[LW_VERIFY_KINDS] = {
        "missing", "size", "checksum", "structure", "token", "mask", "companion", "unlisted"};
    return k < LW_VERIFY_KINDS ? names[k] : "?";
}

uint64_t lw_verify_problems(const lw_verify_result *res)
{
    uint64_t n = 0;
    for (int k = 0; k < LW_VERIFY_KINDS; k++)
        n += res->problems[k];
    return n;
}

void lw_verify_report(lw_verify_sink *v, lw_verify_kind k, const char *fmt, ...)
{
    if (v->res->problems[k]++ == 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(v->res->first[k], sizeof v->res->first[k], fmt, ap);
        va_end(ap);
    }
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

static bool exists(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0;
}

/* One file of a manifest and what was found. */
typedef struct {
    char *path;
    uint64_t bytes;
    const char *sha256;
    int state; /* 0 ok, else the problem kind + 1 */
    uint64_t size;
    char found[LW_SHA256_HEX];
} entry;

static void check_entry(entry *e)
{
    struct stat sb;
    if (stat(e->path, &sb) != 0) {
        e->state = LW_VERIFY_MISSING + 1;
        return;
    }
    e->size = (uint64_t)sb.st_size;
    if (e->size != e->bytes) {
        e->state = LW_VERIFY_SIZE + 1;
        return;
    }
    lw_error err;
    if (e->sha256[0] && lw_sha256_file(e->path, e->found, &err) == LW_OK &&
        strcmp(e->found, e->sha256) != 0)
        e->state = LW_VERIFY_CHECKSUM + 1;
}

/* The structure of one dataset, by its format; its sequences, or -1. */
static int64_t check_dataset(vctx *v, const char *prefix, lw_seq_format f)
{
    switch (f) {
    case LW_SEQ_MEGATRON: return vf_megatron(v, prefix, true);
    case LW_SEQ_DATATROVE: return vf_datatrove(v, prefix);
    case LW_SEQ_MDS: return vf_mds(v, prefix);
    case LW_SEQ_LLMC: return vf_llmc(v, prefix);
    case LW_SEQ_NPY: return vf_npy(v, prefix);
    case LW_SEQ_OLMO: return vf_olmo(v, prefix);
    case LW_SEQ_JSONL: {
        char *p = lw_concat(prefix, ".jsonl", "");
        int64_t n = p ? vf_jsonl(v, p) : -1;
        free(p);
        return n;
    }
    default: return -1;
    }
}

static lw_status verify_manifest(vctx *v, const lw_manifest *m, int threads, lw_error *err)
{
    size_t n = m->n_files;
    entry *es = calloc(n ? n : 1, sizeof *es);
    lw_status st = LW_OK;
    if (!es)
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    v->vocab = m->tok.known ? m->tok.vocab_size : 0;
    for (size_t i = 0; i < n && !st; i++) {
        es[i].path = lw_concat(m->dir, "/", m->files[i].path);
        es[i].bytes = m->files[i].bytes;
        es[i].sha256 = m->files[i].sha256;
        if (!es[i].path)
            st = lw_error_set(err, LW_E_NOMEM, "out of memory");
    }
    if (st)
        goto done;
    long ln = (long)n;
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
    for (long i = 0; i < ln; i++)
        check_entry(&es[i]);
    for (size_t i = 0; i < n; i++) {
        entry *e = &es[i];
        v->res->files++;
        v->res->bytes += e->size;
        if (e->state == LW_VERIFY_MISSING + 1)
            vproblem(v, LW_VERIFY_MISSING, "%s: missing (listed in %s)", e->path, m->path);
        else if (e->state == LW_VERIFY_SIZE + 1)
            vproblem(v, LW_VERIFY_SIZE, "%s: %llu bytes, the manifest says %llu", e->path,
                     (unsigned long long)e->size, (unsigned long long)e->bytes);
        else if (e->state == LW_VERIFY_CHECKSUM + 1)
            vproblem(v, LW_VERIFY_CHECKSUM, "%s: sha256 %s, the manifest says %s", e->path,
                     e->found, e->sha256);
    }
    /* the datasets, and their companions through the stages that own them */
    for (size_t i = 0; i < m->n_datasets && !st; i++) {
        const lw_manifest_dataset *d = &m->datasets[i];
        char *prefix = lw_concat(m->dir, "/", d->prefix);
        if (!prefix) {
            st = lw_error_set(err, LW_E_NOMEM, "out of memory");
            break;
        }
        v->mask = d->masked ? LW_MASK_LISTED : LW_MASK_ABSENT;
        int64_t seqs = check_dataset(v, prefix, d->format);
        v->mask = LW_MASK_ABSENT; /* companions have none */
        /* llm.c's is a stream; olmo's .csv.gz has no row for an empty sequence;
         * datatrove counts index entries: a packed output's are its samples */
        uint64_t want = d->format == LW_SEQ_DATATROVE ? d->documents : d->sequences;
        if (seqs >= 0 && (uint64_t)seqs != want && d->format != LW_SEQ_LLMC &&
            !(d->format == LW_SEQ_OLMO && (uint64_t)seqs < d->sequences))
            vproblem(v, LW_VERIFY_STRUCTURE, "%s: %lld %s, the manifest says %llu", prefix,
                     (long long)seqs, want == d->sequences ? "sequences" : "documents",
                     (unsigned long long)want);
        /* the companions count the manifest's sequences (olmo's empty ones too) */
        if (seqs >= 0 && ((uint64_t)seqs == want || d->format == LW_SEQ_OLMO))
            seqs = (int64_t)d->sequences;
        for (size_t k = 0; k < d->n_companions; k++) {
            const lw_companion *c = lw_companion_find(d->companions[k]);
            if (c && c->verify)
                c->verify(v, prefix, m, seqs);
        }
        free(prefix);
    }
    v->res->manifests++;
done:
    for (size_t i = 0; i < n; i++)
        free(es[i].path);
    free(es);
    return st;
}

/* ---- files no manifest lists ---- */

typedef struct {
    char **listed; /* full paths, sorted */
    size_t n, cap;
} path_set;

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool listed(const path_set *s, const char *path)
{
    return bsearch(&path, s->listed, s->n, sizeof *s->listed, cmp_str) != NULL;
}


/* Report the files under dir (to depth levels) that no manifest lists;
 * only names starting with `only` when it is given (beside a PREFIX). A
 * folder holding an output of its own is left to that output. */
static void unlisted_in(vctx *v, const path_set *s, const char *dir, const char *only, int depth)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    char final[1024];
    while ((e = readdir(d))) {
        const char *name = e->d_name;
        if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0 || lw_layout_is_lock(name) ||
            lw_layout_is_manifest(name, NULL))
            continue;
        bool tmp = lw_tmp_name_parse(name, final, sizeof final, NULL);
        if (only && strncmp(tmp ? final : name, only, strlen(only)) != 0)
            continue;
        char *path = lw_concat(dir, "/", name);
        struct stat sb;
        if (!path || lstat(path, &sb) != 0) {
            free(path);
            continue;
        }
        if (S_ISDIR(sb.st_mode)) {
            char *own = lw_concat(path, "/", LW_MANIFEST_NAME);
            if (depth > 0 && own && !exists(own))
                unlisted_in(v, s, path, NULL, depth - 1);
            free(own);
        } else if (!listed(s, path)) {
            vproblem(v, LW_VERIFY_UNLISTED, "%s: not in the manifest%s", path,
                     tmp ? " (a temporary file of an interrupted run)" : "");
        }
        free(path);
    }
    closedir(d);
}

static lw_status add_listed(path_set *s, const lw_manifest *m, lw_error *err)
{
    for (size_t i = 0; i < m->n_files; i++) {
        char *p = lw_concat(m->dir, "/", m->files[i].path);
        if (!p || !LW_VEC_GROW(&s->listed, &s->cap, s->n + 1)) {
            free(p);
            return lw_error_set(err, LW_E_NOMEM, "out of memory");
        }
        s->listed[s->n++] = p;
    }
    return LW_OK;
}

/* A dataset without a manifest: its structure only. */
static lw_status verify_bare(vctx *v, const char *path, lw_error *err)
{
    char *prefix = strdup(path);
    if (!prefix)
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    if (ends_with(prefix, ".idx") || ends_with(prefix, ".bin"))
        prefix[strlen(prefix) - 4] = '\0';
    /* olmo before npy: both have a PREFIX.npy, only olmo a PREFIX.csv.gz */
    static const lw_seq_format kinds[] = {LW_SEQ_MEGATRON, LW_SEQ_DATATROVE, LW_SEQ_MDS,
                                          LW_SEQ_LLMC, LW_SEQ_OLMO, LW_SEQ_NPY};
    static const char *const first[] = {".idx", ".ds", "/index.json", "_000000.bin", ".csv.gz",
                                        ".npy"};
    lw_status st = LW_OK;
    bool found = false;
    for (size_t k = 0; k < sizeof kinds / sizeof *kinds && !found; k++) {
        char *p = lw_concat(prefix, first[k], "");
        if (p && exists(p)) {
            found = true;
            v->mask = LW_MASK_PROBE; /* no manifest to say */
            check_dataset(v, prefix, kinds[k]);
        }
        free(p);
    }
    if (!found && ends_with(path, ".jsonl") && exists(path)) {
        found = true;
        vf_jsonl(v, path);
    }
    if (!found)
        st = lw_error_set(err, LW_E_NOINPUT, "%s: no manifest and no dataset (PREFIX.idx, .ds, "
                          "/index.json, _000000.bin, .csv.gz, .npy or a .jsonl file)", path);
    free(prefix);
    return st;
}

lw_status lw_verify_run(const char *path, int threads, lw_verify_result *res, lw_error *err)
{
    memset(res, 0, sizeof *res);
    vctx v = {res, 0, LW_MASK_ABSENT};
    if (threads <= 0)
        threads = omp_get_num_procs();
    lw_manifest **ms = NULL;
    size_t n = 0;
    path_set s = {0};
    lw_status st = LW_OK;
    struct stat sb;
    bool dir = stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
    char *own = lw_concat(path, LW_MANIFEST_SUFFIX, "");
    char *folder = NULL;      /* where unlisted files are looked for */
    const char *only = NULL;  /* ... and the names they start with */
    char *only_buf = NULL;
    if (!own)
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    if (exists(own)) { /* a PREFIX (an MDS one is a directory too) */
        folder = lw_path_dir(path);
        if (!folder)
            folder = strdup(".");
        const char *slash = strrchr(path, '/');
        only = only_buf = lw_concat(slash ? slash + 1 : path, ".", "");
    } else if (dir) {
        folder = strdup(path);
    } else if (ends_with(path, ".json") && exists(path)) {
        lw_manifest *m;
        if (!(st = lw_manifest_load(path, &m, err))) {
            st = verify_manifest(&v, m, threads, err);
            lw_manifest_free(m);
        }
        free(own);
        return st;
    }
    if (folder) {
        /* every manifest of the folder: an output's, its parts', prefixes' */
        st = lw_manifests_in(folder, &ms, &n, err);
        for (size_t i = 0; i < n && !st; i++)
            st = add_listed(&s, ms[i], err);
        if (!st && n == 0) {
            free(folder);
            folder = NULL;
        }
        if (!st && only && n) { /* only PREFIX's own manifest is verified */
            for (size_t i = 0; i < n; i++)
                if (strcmp(ms[i]->path, own) != 0) {
                    lw_manifest_free(ms[i]);
                    ms[i] = NULL;
                }
        }
    }
    char *above = !st && n == 0 && !dir ? lw_manifest_find(path) : NULL;
    if (above) { /* a dataset inside an output: the output's manifest */
        lw_manifest *m;
        if (!(st = lw_manifest_load(above, &m, err))) {
            st = verify_manifest(&v, m, threads, err);
            lw_manifest_free(m);
        }
        free(above);
    } else if (!st && n == 0) {
        st = verify_bare(&v, path, err);
    } else if (!st) {
        for (size_t i = 0; i < n && !st; i++)
            if (ms[i])
                st = verify_manifest(&v, ms[i], threads, err);
        char why[LW_ERROR_MSG_MAX];
        bool shared = false; /* a directory the parts of one run share */
        for (size_t i = 0; i < n; i++)
            shared |= ms[i] && lw_layout_is_part_manifest(strrchr(ms[i]->path, '/') + 1);
        if (!st && !only && shared && !lw_parts_complete(ms, n, why, sizeof why))
            vproblem(&v, LW_VERIFY_STRUCTURE, "%s: %s", path, why);
        if (!st) {
            if (s.n)
                qsort(s.listed, s.n, sizeof *s.listed, cmp_str);
            if (dir && only == NULL) {
                enum { DEPTH = 4 }; /* cip/len-0131072/part-00000.bin: two levels down */
                unlisted_in(&v, &s, folder, NULL, DEPTH);
            } else {
                unlisted_in(&v, &s, folder, only, 0);
                if (dir) /* an MDS directory */
                    unlisted_in(&v, &s, path, NULL, 4);
            }
        }
    }
    lw_manifests_free(ms, n);
    for (size_t i = 0; i < s.n; i++)
        free(s.listed[i]);
    free(s.listed);
    free(folder);
    free(only_buf);
    free(own);
    return st;
}
