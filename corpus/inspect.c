/* inspect: find the Megatron datasets under a path and summarise them. */
#include "longweave/inspect.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "longweave/megatron.h"

int lw_inspect_bin(uint64_t length)
{
    int k = 0;
    while (length && k < LW_INSPECT_BINS - 1) {
        length >>= 1;
        k++;
    }
    return k;
}

uint64_t lw_inspect_bin_low(int k)
{
    return k == 0 ? 0 : (uint64_t)1 << (k - 1);
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every dataset prefix under dir, sorted. */
static lw_status find(const char *dir, char ***out, size_t *n, size_t *cap, int depth,
                      lw_error *err)
{
    if (depth > 16)
        return LW_OK;
    DIR *d = opendir(dir);
    if (!d)
        return lw_error_errno(err, LW_E_NOINPUT, 0, "cannot open", dir);
    char **names = NULL;
    size_t nn = 0, nc = 0;
    struct dirent *e;
    lw_status st = LW_OK;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        if (nn == nc) {
            nc = nc ? nc * 2 : 64;
            char **p = realloc(names, nc * sizeof *p);
            if (!p) {
                st = lw_error_set(err, LW_E_NOMEM, "out of memory");
                break;
            }
            names = p;
        }
        if (!(names[nn++] = strdup(e->d_name))) {
            st = lw_error_set(err, LW_E_NOMEM, "out of memory");
            break;
        }
    }
    closedir(d);
    if (nn)
        qsort(names, nn, sizeof *names, cmp_str);
    for (size_t i = 0; i < nn && !st; i++) {
        size_t len = strlen(dir) + strlen(names[i]) + 2;
        char *path = malloc(len);
        if (!path) {
            st = lw_error_set(err, LW_E_NOMEM, "out of memory");
            break;
        }
        snprintf(path, len, "%s/%s", dir, names[i]);
        struct stat sb;
        if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
            st = find(path, out, n, cap, depth + 1, err);
            free(path);
        } else if (ends_with(path, ".idx") && !ends_with(path, ".mask.idx") &&
                   !ends_with(path, ".cu_seqlens.idx") && !ends_with(path, ".positions.idx") &&
                   !ends_with(path, ".weights.idx")) {
            path[strlen(path) - 4] = '\0';
            if (*n == *cap) {
                *cap = *cap ? *cap * 2 : 16;
                char **p = realloc(*out, *cap * sizeof *p);
                if (!p) {
                    free(path);
                    st = lw_error_set(err, LW_E_NOMEM, "out of memory");
                    break;
                }
                *out = p;
            }
            (*out)[(*n)++] = path;
        } else {
            free(path);
        }
    }
    for (size_t i = 0; i < nn; i++)
        free(names[i]);
    free(names);
    return st;
}

static lw_status one(lw_inspect *in, const char *prefix, lw_inspect_dataset *out, lw_error *err)
{
    lw_megatron_dataset d, m;
    lw_status st = lw_megatron_read(&d, prefix, err);
    if (st)
        return st;
    memset(out, 0, sizeof *out);
    out->dtype = d.dtype;
    out->sequences = d.sequences;
    out->documents = d.documents;
    out->min_len = UINT64_MAX;
    for (uint64_t s = 0; s < d.sequences; s++) {
        uint64_t n = lw_megatron_length(&d, s);
        out->tokens += n;
        out->min_len = n < out->min_len ? n : out->min_len;
        out->max_len = n > out->max_len ? n : out->max_len;
        in->hist[lw_inspect_bin(n)]++;
    }
    if (!d.sequences)
        out->min_len = 0;
    out->trained = out->tokens;
    size_t len = strlen(prefix) + 8;
    char *mp = malloc(len);
    if (mp) {
        snprintf(mp, len, "%s.mask", prefix);
        lw_error ignore;
        if (lw_megatron_read(&m, mp, &ignore) == LW_OK) {
            out->masked = true;
            out->trained = 0;
            const unsigned char *b = m.bin;
            for (size_t i = 0; i < m.bin_size; i++)
                out->trained += b[i] == 1;
            lw_megatron_close(&m);
        }
    }
    free(mp);
    lw_megatron_close(&d);
    if (!(out->prefix = strdup(prefix)))
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    return LW_OK;
}

lw_status lw_find_datasets(const char *path, char ***prefixes, size_t *n, lw_error *err)
{
    size_t cap = *n;
    struct stat sb;
    lw_status st = LW_OK;
    char *prefix = strdup(path);
    if (!prefix)
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    if (ends_with(prefix, ".idx") || ends_with(prefix, ".bin"))
        prefix[strlen(prefix) - 4] = '\0';
    size_t len = strlen(prefix) + 8;
    char *idx = malloc(len);
    if (!idx) {
        free(prefix);
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    }
    snprintf(idx, len, "%s.idx", prefix);
    if (stat(idx, &sb) == 0) {
        char **p = realloc(*prefixes, (*n + 1) * sizeof *p);
        if (p) {
            *prefixes = p;
            p[(*n)++] = prefix;
            prefix = NULL;
        } else {
            st = lw_error_set(err, LW_E_NOMEM, "out of memory");
        }
    } else if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        size_t before = *n;
        st = find(path, prefixes, n, &cap, 0, err);
        if (!st && *n == before)
            st = lw_error_set(err, LW_E_NOINPUT, "%s: no Megatron datasets (*.idx) in it", path);
    } else {
        st = lw_error_set(err, LW_E_NOINPUT, "%s: neither a dataset (%s.idx) nor a directory",
                          path, prefix);
    }
    free(prefix);
    free(idx);
    return st;
}

lw_status lw_inspect_run(const char *path, lw_inspect *in, lw_error *err)
{
    memset(in, 0, sizeof *in);
    char **prefixes = NULL;
    size_t n = 0;
    lw_status st = lw_find_datasets(path, &prefixes, &n, err);
    if (!st && !(in->ds = calloc(n, sizeof *in->ds)))
        st = lw_error_set(err, LW_E_NOMEM, "out of memory");
    for (size_t i = 0; i < n && !st; i++) {
        if ((st = one(in, prefixes[i], &in->ds[i], err)))
            break;
        in->n++;
        lw_inspect_dataset *d = &in->ds[i];
        in->sequences += d->sequences;
        in->documents += d->documents;
        in->tokens += d->tokens;
        in->trained += d->trained;
        in->masked_tokens += d->masked ? d->tokens : 0;
    }
    for (size_t i = 0; i < n; i++)
        free(prefixes[i]);
    free(prefixes);
    if (st)
        lw_inspect_free(in);
    return st;
}

void lw_inspect_free(lw_inspect *in)
{
    for (size_t i = 0; i < in->n; i++)
        free(in->ds[i].prefix);
    free(in->ds);
    memset(in, 0, sizeof *in);
}
