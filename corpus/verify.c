/* verify: find the manifests of an output, check every file they list
 * (present, size, sha256, in parallel), then the structure of every token
 * dataset among them (verify_formats.c). */
#include <cjson/cJSON.h>
#include <glob.h>
#include <omp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "longweave/fileio.h"
#include "longweave/hash.h"
#include "longweave/manifest.h"
#include "verify_internal.h"

const char *lw_verify_kind_name(lw_verify_kind k)
{
    static const char *const names[LW_VERIFY_KINDS] = {"missing", "size",  "checksum", "structure",
                                                       "token",   "mask",  "map"};
    return k < LW_VERIFY_KINDS ? names[k] : "?";
}

uint64_t lw_verify_problems(const lw_verify_result *res)
{
    uint64_t n = 0;
    for (int k = 0; k < LW_VERIFY_KINDS; k++)
        n += res->problems[k];
    return n;
}

void vproblem(vctx *v, lw_verify_kind k, const char *fmt, ...)
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
    double bytes;
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
    if ((double)e->size != e->bytes) {
        e->state = LW_VERIFY_SIZE + 1;
        return;
    }
    lw_error err;
    if (e->sha256 && lw_sha256_file(e->path, e->found, &err) == LW_OK &&
        strcmp(e->found, e->sha256) != 0)
        e->state = LW_VERIFY_CHECKSUM + 1;
}

/* Sequences found per dataset prefix, for the .map check. */
typedef struct {
    char *prefix;
    int64_t sequences;
} seen;

static lw_status verify_manifest(vctx *v, const char *mpath, int threads, lw_error *err)
{
    cJSON *m = NULL;
    lw_status st = lw_manifest_read(mpath, &m, err);
    if (st)
        return st;
    const char *slash = strrchr(mpath, '/');
    char *base = slash ? strndup(mpath, (size_t)(slash - mpath)) : strdup(".");
    const cJSON *files = cJSON_GetObjectItem(m, "files");
    int n = cJSON_GetArraySize(files);
    entry *es = calloc((size_t)(n ? n : 1), sizeof *es);
    seen *sq = calloc((size_t)(n ? n : 1), sizeof *sq);
    size_t nsq = 0;
    if (!base || !es || !sq) {
        st = lw_error_set(err, LW_E_NOMEM, "out of memory");
        goto done;
    }
    double vocab = cJSON_GetNumberValue(
        cJSON_GetObjectItem(cJSON_GetObjectItem(m, "tokenizer"), "vocab_size"));
    v->vocab = vocab > 0 && vocab < 4294967296.0 ? (uint32_t)vocab : 0;
    for (int i = 0; i < n; i++) {
        const cJSON *f = cJSON_GetArrayItem(files, i);
        const char *p = cJSON_GetStringValue(cJSON_GetObjectItem(f, "path"));
        if (!p || p[0] == '/' || strstr(p, "..")) {
            vproblem(v, LW_VERIFY_STRUCTURE, "%s: file %d has no relative path", mpath, i);
            continue;
        }
        es[i].path = lw_concat(base, "/", p);
        es[i].bytes = cJSON_GetNumberValue(cJSON_GetObjectItem(f, "bytes"));
        es[i].sha256 = cJSON_GetStringValue(cJSON_GetObjectItem(f, "sha256"));
        if (!es[i].path) {
            st = lw_error_set(err, LW_E_NOMEM, "out of memory");
            goto done;
        }
    }
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
    for (int i = 0; i < n; i++)
        if (es[i].path)
            check_entry(&es[i]);
    for (int i = 0; i < n; i++) {
        entry *e = &es[i];
        if (!e->path)
            continue;
        v->res->files++;
        v->res->bytes += e->size;
        if (e->state == LW_VERIFY_MISSING + 1)
            vproblem(v, LW_VERIFY_MISSING, "%s: missing (listed in %s)", e->path, mpath);
        else if (e->state == LW_VERIFY_SIZE + 1)
            vproblem(v, LW_VERIFY_SIZE, "%s: %llu bytes, the manifest says %.0f", e->path,
                     (unsigned long long)e->size, e->bytes);
        else if (e->state == LW_VERIFY_CHECKSUM + 1)
            vproblem(v, LW_VERIFY_CHECKSUM, "%s: sha256 %s, the manifest says %s", e->path,
                     e->found, e->sha256);
    }
    /* the datasets among the files */
    for (int i = 0; i < n; i++) {
        const char *p = es[i].path;
        if (!p)
            continue;
        char *prefix = NULL;
        int64_t s = -2;
        if (ends_with(p, ".idx") && !ends_with(p, ".mask.idx")) {
            prefix = strndup(p, strlen(p) - 4);
            bool ids = prefix && !ends_with(prefix, ".cu_seqlens") &&
                       !ends_with(prefix, ".positions") && !ends_with(prefix, ".weights");
            s = prefix ? vf_megatron(v, prefix, ids) : -1;
        } else if (ends_with(p, ".ds")) {
            prefix = strndup(p, strlen(p) - 3);
            s = prefix ? vf_datatrove(v, prefix) : -1;
        } else if (ends_with(p, "/index.json")) {
            prefix = strndup(p, strlen(p) - 11);
            s = prefix ? vf_mds(v, prefix) : -1;
        } else if (ends_with(p, "_000000.bin")) {
            prefix = strndup(p, strlen(p) - 11);
            s = prefix ? vf_llmc(v, prefix) : -1;
        } else if (ends_with(p, ".npy") && !ends_with(p, ".mask.npy")) {
            prefix = strndup(p, strlen(p) - 4);
            s = prefix ? vf_npy(v, prefix) : -1;
        } else if (ends_with(p, ".jsonl") && !ends_with(p, ".map.jsonl") && exists(p)) {
            /* token sequences only: chat files and evaluation records are not */
            FILE *f = fopen(p, "rb");
            char head[16] = "";
            if (f) {
                size_t got = fread(head, 1, sizeof head - 1, f);
                head[got] = '\0';
                fclose(f);
            }
            if (strncmp(head, "{\"input_ids\":", 13) == 0) {
                prefix = strndup(p, strlen(p) - 6);
                s = prefix ? vf_jsonl(v, p) : -1;
            }
        }
        if (prefix && s != -2) {
            sq[nsq].prefix = prefix;
            sq[nsq++].sequences = s;
        } else {
            free(prefix);
        }
    }
    /* CIP's sidecars, against the sequences of their datasets */
    for (int i = 0; i < n; i++) {
        const char *p = es[i].path;
        if (!p || !ends_with(p, ".map.jsonl"))
            continue;
        const char *len = strstr(p, "/len-");
        unsigned seq_len = 0;
        if (!len || sscanf(len + 5, "%u", &seq_len) != 1) {
            vproblem(v, LW_VERIFY_MAP, "%s: not inside a len-NNNNNNN bucket", p);
            continue;
        }
        int64_t sequences = -1;
        for (size_t k = 0; k < nsq; k++)
            if (strlen(sq[k].prefix) == strlen(p) - 10 && !strncmp(sq[k].prefix, p, strlen(p) - 10))
                sequences = sq[k].sequences;
        vf_map(v, p, seq_len, sequences);
    }
    v->res->manifests++;
done:
    for (int i = 0; es && i < n; i++)
        free(es[i].path);
    for (size_t k = 0; k < nsq; k++)
        free(sq[k].prefix);
    free(es);
    free(sq);
    free(base);
    cJSON_Delete(m);
    return st;
}

static int64_t verify_ids(vctx *v, const char *prefix)
{
    return vf_megatron(v, prefix, true);
}

/* A dataset without a manifest: its structure only. */
static lw_status verify_bare(vctx *v, const char *path, lw_error *err)
{
    char *prefix = strdup(path);
    if (!prefix)
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    if (ends_with(prefix, ".idx") || ends_with(prefix, ".bin"))
        prefix[strlen(prefix) - 4] = '\0';
    struct {
        const char *suffix;
        int64_t (*check)(vctx *, const char *);
    } kinds[] = {{".idx", verify_ids},         {".ds", vf_datatrove}, {"/index.json", vf_mds},
                 {"_000000.bin", vf_llmc},     {".npy", vf_npy}};
    lw_status st = LW_OK;
    bool found = false;
    for (size_t k = 0; k < sizeof kinds / sizeof *kinds && !found; k++) {
        char *p = lw_concat(prefix, kinds[k].suffix, "");
        if (p && exists(p)) {
            found = true;
            kinds[k].check(v, prefix);
        }
        free(p);
    }
    if (!found && ends_with(path, ".jsonl") && exists(path)) {
        found = true;
        vf_jsonl(v, path);
    }
    if (!found)
        st = lw_error_set(err, LW_E_NOINPUT, "%s: no manifest and no dataset (PREFIX.idx, .ds, "
                          "/index.json, _000000.bin, .npy or a .jsonl file)", path);
    free(prefix);
    return st;
}

lw_status lw_verify_run(const char *path, int threads, lw_verify_result *res, lw_error *err)
{
    memset(res, 0, sizeof *res);
    vctx v = {res, 0};
    if (threads <= 0)
        threads = omp_get_num_procs();
    struct stat sb;
    /* tokenize's PREFIX (an MDS directory too) */
    char *one = lw_concat(path, ".manifest.json", "");
    lw_status st = LW_OK;
    if (!one)
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    if (exists(one)) {
        st = verify_manifest(&v, one, threads, err);
    } else if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        free(one);
        one = lw_concat(path, "/", LW_MANIFEST_NAME);
        if (!one)
            return lw_error_set(err, LW_E_NOMEM, "out of memory");
        if (exists(one)) {
            st = verify_manifest(&v, one, threads, err);
        } else {
            size_t n = strlen(path);
            char *pat = malloc(2 * n + 32);
            size_t k = 0;
            for (size_t i = 0; pat && i < n; i++) {
                if (strchr("*?[\\", path[i]))
                    pat[k++] = '\\';
                pat[k++] = path[i];
            }
            glob_t g;
            int grc = GLOB_NOMATCH;
            if (pat) {
                strcpy(pat + k, "/manifest.part-*.json");
                grc = glob(pat, 0, NULL, &g);
            }
            free(pat);
            if (grc == 0) {
                for (size_t i = 0; i < g.gl_pathc && !st; i++)
                    st = verify_manifest(&v, g.gl_pathv[i], threads, err);
                globfree(&g);
            } else {
                st = verify_bare(&v, path, err); /* an MDS directory, say */
            }
        }
    } else if (ends_with(path, ".json") && exists(path)) {
        st = verify_manifest(&v, path, threads, err);
    } else {
        st = verify_bare(&v, path, err);
    }
    free(one);
    return st;
}
