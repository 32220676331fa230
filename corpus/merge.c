/* merge: group the files of several outputs by their part-less names and
 * join each group — datasets through a sequence writer (raw copies when the
 * output is Megatron in the same dtype), .map sidecars renumbered, other
 * files byte by byte — then publish everything and write the manifest. */
#include "longweave/merge.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "longweave/buf.h"
#include "longweave/fileio.h"
#include "longweave/manifest.h"
#include "longweave/megatron.h"
#include "longweave/outfile.h"

enum { DATASET, MAP, BYTES };

/* The documents a CIP part took: [first, end) of its input, -1 unknown. */
typedef struct {
    int64_t first, end;
} doc_range;

typedef struct {
    char *key;          /* output path relative to the output */
    int kind;
    char **paths;       /* the inputs: dataset prefixes or files */
    doc_range *docs;    /* MAP: each input part's documents */
    size_t n, cap;
} group;

typedef struct {
    const lw_merge_config *cfg;
    lw_merge_stats *stats;
    group *groups;
    size_t n_groups, cap_groups;
    lw_seqw **writers;
    size_t n_writers;
    lw_outfile **files;
    size_t n_files;
    cJSON *manifests;   /* [{"path", "stage", "part"}] of the inputs */
    cJSON *tokenizer;
    uint32_t vocab;
    const char *tok_name;
} run;

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* The part-less name: "x/part-00003.bin" -> "x/part-00000.bin",
 * "task.part-00003.jsonl" -> "task.jsonl". The part number goes to *part. */
static char *part_less(const char *rel, long *part)
{
    char *out = malloc(strlen(rel) + 1);
    if (!out)
        return NULL;
    *part = -1;
    size_t k = 0;
    for (size_t i = 0; rel[i];) {
        bool at = strncmp(rel + i, "part-", 5) == 0 && (i == 0 || rel[i - 1] == '/' ||
                                                         rel[i - 1] == '.');
        size_t d = 0;
        while (at && isdigit((unsigned char)rel[i + 5 + d]))
            d++;
        if (at && d == 5) {
            *part = strtol(rel + i + 5, NULL, 10);
            if (i > 0 && rel[i - 1] == '.') {
                k--; /* drop ".part-NNNNN" */
            } else {
                memcpy(out + k, "part-00000", 10);
                k += 10;
            }
            i += 10;
            continue;
        }
        out[k++] = rel[i++];
    }
    out[k] = '\0';
    return out;
}

/* The group of key (made when new). */
static lw_status group_for(run *r, const char *key, int kind, group **out, lw_error *err)
{
    for (size_t i = 0; i < r->n_groups; i++)
        if (strcmp(r->groups[i].key, key) == 0) {
            if (r->groups[i].kind != kind)
                return lw_error_set(err, LW_E_DATA, "%s: a dataset in one input and a file in "
                                    "another", key);
            *out = &r->groups[i];
            return LW_OK;
        }
    if (r->n_groups == r->cap_groups) {
        size_t cap = r->cap_groups ? r->cap_groups * 2 : 16;
        group *p = realloc(r->groups, cap * sizeof *p);
        if (!p)
            return lw_error_set(err, LW_E_NOMEM, "out of memory");
        r->groups = p;
        r->cap_groups = cap;
    }
    group *g = &r->groups[r->n_groups];
    memset(g, 0, sizeof *g);
    if (!(g->key = strdup(key)))
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    g->kind = kind;
    r->n_groups++;
    *out = g;
    return LW_OK;
}

static lw_status group_add(group *g, const char *path, doc_range docs, lw_error *err)
{
    if (g->n == g->cap) {
        size_t cap = g->cap ? g->cap * 2 : 8;
        char **p = realloc(g->paths, cap * sizeof *p);
        doc_range *f = p ? realloc(g->docs, cap * sizeof *f) : NULL;
        if (p)
            g->paths = p;
        if (!p || !f)
            return lw_error_set(err, LW_E_NOMEM, "out of memory");
        g->docs = f;
        g->cap = cap;
    }
    if (!(g->paths[g->n] = strdup(path)))
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    g->docs[g->n++] = docs;
    return LW_OK;
}

/* A manifest of an input: check its tokenizer against the others', list it,
 * and return the documents of its part (-1: unknown). */
static lw_status take_manifest(run *r, const char *path, long *part, doc_range *docs,
                               lw_error *err)
{
    cJSON *m = NULL;
    lw_status st = lw_manifest_read(path, &m, err);
    if (st)
        return st;
    const cJSON *t = cJSON_GetObjectItem(m, "tokenizer");
    const char *sha = cJSON_GetStringValue(cJSON_GetObjectItem(t, "sha256"));
    if (t && !r->tokenizer) {
        r->tokenizer = cJSON_Duplicate(t, true);
        double v = cJSON_GetNumberValue(cJSON_GetObjectItem(t, "vocab_size"));
        r->vocab = v > 0 && v < 4294967296.0 ? (uint32_t)v : 0;
    } else if (t && sha) {
        const char *have = cJSON_GetStringValue(cJSON_GetObjectItem(r->tokenizer, "sha256"));
        if (have && strcmp(have, sha) != 0)
            st = lw_error_set(err, LW_E_DATA, "%s: written with another tokenizer (sha256 %.12s, "
                              "not %.12s): datasets of different tokenizers cannot be merged",
                              path, sha, have);
    }
    const char *fmt = cJSON_GetStringValue(cJSON_GetObjectItem(m, "format_name"));
    if (!st && fmt && strcmp(fmt, "megatron") != 0)
        st = lw_error_set(err, LW_E_DATA, "%s: its datasets are in the %s format; merge reads "
                          "Megatron datasets (merge those, with --format %s for the result)",
                          path, fmt, fmt);
    const char *pstr = cJSON_GetStringValue(
        cJSON_GetObjectItem(cJSON_GetObjectItem(m, "config"), "part"));
    *part = pstr ? strtol(pstr, NULL, 10) : 0;
    const cJSON *in = cJSON_GetObjectItem(m, "inputs");
    double first = cJSON_GetNumberValue(cJSON_GetObjectItem(in, "first_document"));
    double end = cJSON_GetNumberValue(cJSON_GetObjectItem(in, "end_document"));
    *docs = (doc_range){-1, -1};
    if (first >= 0 && end >= first) /* NaN (absent) fails both */
        *docs = (doc_range){(int64_t)first, (int64_t)end};
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "path", path);
    const char *stage = cJSON_GetStringValue(cJSON_GetObjectItem(m, "stage"));
    cJSON_AddStringToObject(e, "stage", stage ? stage : "?");
    if (pstr)
        cJSON_AddStringToObject(e, "part", pstr);
    cJSON_AddItemToArray(r->manifests, e);
    cJSON_Delete(m);
    return st;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Files below dir (relative paths, sorted, hidden ones skipped). */
static lw_status walk(const char *dir, const char *rel, char ***out, size_t *n, size_t *cap,
                      lw_error *err)
{
    char *path = rel[0] ? lw_concat(dir, "/", rel) : strdup(dir);
    DIR *d = path ? opendir(path) : NULL;
    if (!d) {
        lw_status st = lw_error_errno(err, LW_E_NOINPUT, errno, "cannot open", path ? path : dir);
        free(path);
        return st;
    }
    char **names = NULL;
    size_t nn = 0, nc = 0;
    struct dirent *e;
    lw_status st = LW_OK;
    while (!st && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        if (nn == nc) {
            nc = nc ? nc * 2 : 32;
            char **p = realloc(names, nc * sizeof *p);
            if (!p)
                st = lw_error_set(err, LW_E_NOMEM, "out of memory");
            else
                names = p;
        }
        if (!st && !(names[nn++] = strdup(e->d_name)))
            st = lw_error_set(err, LW_E_NOMEM, "out of memory");
    }
    closedir(d);
    if (nn)
        qsort(names, nn, sizeof *names, cmp_str);
    for (size_t i = 0; i < nn && !st; i++) {
        char *sub = rel[0] ? lw_concat(rel, "/", names[i]) : strdup(names[i]);
        char *full = sub ? lw_concat(dir, "/", sub) : NULL;
        struct stat sb;
        if (!full) {
            st = lw_error_set(err, LW_E_NOMEM, "out of memory");
        } else if (stat(full, &sb) == 0 && S_ISDIR(sb.st_mode)) {
            st = walk(dir, sub, out, n, cap, err);
        } else {
            if (*n == *cap) {
                *cap = *cap ? *cap * 2 : 64;
                char **p = realloc(*out, *cap * sizeof *p);
                if (!p) {
                    st = lw_error_set(err, LW_E_NOMEM, "out of memory");
                    free(sub);
                    free(full);
                    break;
                }
                *out = p;
            }
            (*out)[(*n)++] = sub;
            sub = NULL;
        }
        free(sub);
        free(full);
    }
    for (size_t i = 0; i < nn; i++)
        free(names[i]);
    free(names);
    free(path);
    return st;
}

static bool is_manifest(const char *rel)
{
    const char *base = strrchr(rel, '/');
    base = base ? base + 1 : rel;
    return strcmp(base, LW_MANIFEST_NAME) == 0 ||
           (strncmp(base, "manifest.part-", 14) == 0 && ends_with(base, ".json"));
}

/* Group the files of one input directory. */
static lw_status take_directory(run *r, const char *dir, lw_error *err)
{
    char **files = NULL;
    size_t n = 0, cap = 0;
    lw_status st = walk(dir, "", &files, &n, &cap, err);
    /* the manifests first: tokenizer check and each part's first document */
    doc_range docs[4096];
    for (size_t i = 0; i < sizeof docs / sizeof *docs; i++)
        docs[i] = (doc_range){-1, -1};
    bool any_manifest = false;
    for (size_t i = 0; i < n && !st; i++) {
        if (!is_manifest(files[i]) || strchr(files[i], '/'))
            continue;
        char *full = lw_concat(dir, "/", files[i]);
        long part = 0;
        doc_range d;
        st = full ? take_manifest(r, full, &part, &d, err)
                  : lw_error_set(err, LW_E_NOMEM, "out of memory");
        if (!st && part >= 0 && part < 4096)
            docs[part] = d;
        any_manifest = true;
        free(full);
    }
    if (!st && !any_manifest)
        st = lw_error_set(err, LW_E_NOINPUT, "%s: no manifest.json or manifest.part-*.json: "
                          "not a longweave output", dir);
    for (size_t i = 0; i < n && !st; i++) {
        const char *rel = files[i];
        long part = -1;
        if (is_manifest(rel) || ends_with(rel, ".manifest.json") || ends_with(rel, ".bin") ||
            ends_with(rel, ".mask.idx"))
            continue;
        char *key = part_less(rel, &part);
        char *full = lw_concat(dir, "/", rel);
        int kind = ends_with(rel, ".idx") ? DATASET : ends_with(rel, ".map.jsonl") ? MAP : BYTES;
        if (!key || !full) {
            st = lw_error_set(err, LW_E_NOMEM, "out of memory");
        } else {
            if (kind == DATASET) {
                key[strlen(key) - 4] = '\0';
                full[strlen(full) - 4] = '\0';
            }
            group *g;
            if (!(st = group_for(r, key, kind, &g, err)))
                st = group_add(g, full, part >= 0 && part < 4096 ? docs[part]
                                                                 : (doc_range){-1, -1}, err);
        }
        free(key);
        free(full);
    }
    for (size_t i = 0; i < n; i++)
        free(files[i]);
    free(files);
    return st;
}

static lw_status merge_datasets(run *r, const group *g, const char *out, lw_error *err)
{
    lw_megatron_source *src = calloc(g->n, sizeof *src);
    if (!src)
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    for (size_t i = 0; i < g->n; i++)
        src[i].fd = src[i].mfd = -1;
    lw_status st = LW_OK;
    uint64_t fixed = 0;
    bool same_len = true, masked = false;
    for (size_t i = 0; i < g->n && !st; i++) {
        if ((st = lw_megatron_source_open(&src[i], g->paths[i], err)))
            break;
        if (src[i].d.dtype != src[0].d.dtype)
            st = lw_error_set(err, LW_E_DATA, "%s: %s ids, but %s has %s ids: only datasets "
                              "of one dtype merge", g->paths[i],
                              lw_megatron_dtype_name(src[i].d.dtype), g->paths[0],
                              lw_megatron_dtype_name(src[0].d.dtype));
        /* CIP writes a mask only where some token is masked: one part may
         * have it and another not; the merged mask is then 1 on the latter */
        masked |= src[i].masked;
        for (uint64_t s = 0; s < src[i].d.sequences && same_len; s++) {
            uint64_t n = lw_megatron_length(&src[i].d, s);
            fixed = fixed ? fixed : n;
            same_len = n == fixed;
        }
        if (src[i].d.documents != src[i].d.sequences)
            r->stats->flattened += src[i].d.documents;
    }
    int dtype = g->n ? src[0].d.dtype : LW_MEGATRON_UINT16;
    uint32_t vocab = r->vocab ? r->vocab : dtype == LW_MEGATRON_UINT16 ? 65500 : INT32_MAX;
    lw_seqw *w = NULL;
    if (!st) {
        lw_seqw_opts o = lw_seqw_opts_for(&r->cfg->output_format, vocab,
                                          masked ? LW_MASK_ALWAYS : LW_MASK_NONE,
                                          same_len && fixed <= UINT32_MAX ? (uint32_t)fixed : 0,
                                          r->tok_name);
        if (o.format != LW_SEQ_NPY)
            o.fixed_len = 0;
        lw_seqw **p = realloc(r->writers, (r->n_writers + 1) * sizeof *p);
        if (!p)
            st = lw_error_set(err, LW_E_NOMEM, "out of memory");
        else if (!(r->writers = p, st = lw_seqw_open(&w, out, &o, err)))
            r->writers[r->n_writers++] = w;
    }
    lw_seq_buf buf = {0};
    for (size_t i = 0; i < g->n && !st; i++) {
        for (uint64_t q = 0; q < src[i].d.sequences && !st; q++) {
            size_t n;
            if ((st = lw_seqw_copy(w, &src[i], q, &buf, &n, err)))
                break;
            r->stats->sequences++;
            r->stats->tokens += n;
        }
        r->stats->datasets++;
    }
    if (!st && w)
        st = lw_seqw_finish(w, err);
    lw_seq_buf_free(&buf);
    for (size_t i = 0; i < g->n; i++)
        lw_megatron_source_close(&src[i]);
    free(src);
    return st;
}

static lw_outfile *new_file(run *r, const char *path, lw_error *err)
{
    lw_outfile **p = realloc(r->files, (r->n_files + 1) * sizeof *p);
    lw_outfile *f = p ? calloc(1, sizeof *f) : NULL;
    if (p)
        r->files = p;
    if (!f) {
        lw_error_set(err, LW_E_NOMEM, "out of memory");
        return NULL;
    }
    f->fd = -1;
    r->files[r->n_files++] = f;
    return lw_outfile_open(f, path, true, err) ? NULL : f;
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

static lw_status join_bytes(run *r, const group *g, const char *out, lw_error *err)
{
    lw_outfile *f = new_file(r, out, err);
    if (!f)
        return err->status;
    copy_ctx c = {f, LW_OK, err};
    lw_status st = LW_OK;
    for (size_t i = 0; i < g->n && !st && !c.st; i++)
        st = lw_file_scan(g->paths[i], UINT64_MAX, copy_chunk, &c, err);
    if (!st)
        st = c.st;
    r->stats->files_joined++;
    return st ? st : lw_outfile_finish(f, err);
}

/* CIP maps: sequences renumbered across the parts, documents made global.
 * A part that read a token dataset numbers documents as that dataset does
 * (first..end-1); one that tokenized its own slice of text numbers them from
 * 0 (first = 0). Either way, part i's numbers move by
 * first_0 + (documents of the parts before i) - first_i: nothing for the
 * former, the count of earlier documents for the latter, and the result
 * numbers the documents of the merged parts as one run over them would. */
static lw_status join_maps(run *r, const group *g, const char *out, lw_error *err)
{
    lw_outfile *f = new_file(r, out, err);
    if (!f)
        return err->status;
    uint64_t seq = 0;
    lw_status st = LW_OK;
    lw_buf text = {0};
    int64_t before = 0; /* documents of the parts before i */
    for (size_t i = 0; i < g->n && !st; i++) {
        text.len = 0;
        if ((st = lw_file_read_all(g->paths[i], &text, err)))
            break;
        int64_t shift = 0;
        if (g->docs[i].first >= 0 && g->docs[0].first >= 0)
            shift = g->docs[0].first + before - g->docs[i].first;
        if (g->docs[i].first >= 0)
            before += g->docs[i].end - g->docs[i].first;
        size_t pos = 0;
        uint64_t line = 0;
        while (pos < text.len && !st) {
            char *nl = memchr(text.data + pos, '\n', text.len - pos);
            size_t len = nl ? (size_t)(nl - text.data - pos) : text.len - pos;
            line++;
            cJSON *o = cJSON_ParseWithLength(text.data + pos, len);
            cJSON *chunks = cJSON_GetObjectItem(o, "chunks"), *c;
            if (!cJSON_IsArray(chunks)) {
                lw_loc loc = {g->paths[i], line, 0, 0};
                st = lw_error_at(err, LW_E_DATA, &loc, "not a CIP map line");
            } else {
                cJSON_ReplaceItemInObject(o, "seq", cJSON_CreateNumber((double)seq++));
                cJSON_ArrayForEach(c, chunks)
                {
                    cJSON *doc = cJSON_GetArrayItem(c, 0);
                    if (cJSON_IsNumber(doc) && doc->valuedouble >= 0)
                        cJSON_SetNumberValue(doc, doc->valuedouble + (double)shift);
                }
                char *s = cJSON_PrintUnformatted(o);
                if (!s)
                    st = lw_error_set(err, LW_E_NOMEM, "out of memory");
                else if (!(st = lw_outfile_write(f, s, strlen(s), err)))
                    st = lw_outfile_write(f, "\n", 1, err);
                free(s);
            }
            cJSON_Delete(o);
            pos += len + 1;
        }
    }
    lw_buf_free(&text);
    r->stats->files_joined++;
    return st ? st : lw_outfile_finish(f, err);
}

static void run_free(run *r)
{
    for (size_t i = 0; i < r->n_groups; i++) {
        for (size_t k = 0; k < r->groups[i].n; k++)
            free(r->groups[i].paths[k]);
        free(r->groups[i].paths);
        free(r->groups[i].docs);
        free(r->groups[i].key);
    }
    free(r->groups);
    for (size_t i = 0; i < r->n_writers; i++)
        lw_seqw_free(r->writers[i]);
    free(r->writers);
    for (size_t i = 0; i < r->n_files; i++) {
        lw_outfile_release(r->files[i]);
        free(r->files[i]);
    }
    free(r->files);
    cJSON_Delete(r->manifests);
    cJSON_Delete(r->tokenizer);
}

lw_status lw_merge_run(const lw_merge_config *cfg, lw_merge_stats *stats, lw_error *err)
{
    memset(stats, 0, sizeof *stats);
    if (!cfg->output || !*cfg->output || cfg->n_inputs == 0)
        return lw_error_set(err, LW_E_USAGE, "give the output and at least one input");
    run r = {.cfg = cfg, .stats = stats, .manifests = cJSON_CreateArray()};
    lw_status st = LW_OK;
    struct stat sb;
    bool dirs = stat(cfg->inputs[0], &sb) == 0 && S_ISDIR(sb.st_mode);
    char *mpath = NULL;
    /* group the inputs */
    for (size_t i = 0; i < cfg->n_inputs && !st; i++) {
        bool dir = stat(cfg->inputs[i], &sb) == 0 && S_ISDIR(sb.st_mode);
        if (dir != dirs) {
            st = lw_error_set(err, LW_E_USAGE, "%s: give either dataset prefixes or output "
                              "directories, not both", cfg->inputs[i]);
        } else if (dir) {
            st = take_directory(&r, cfg->inputs[i], err);
        } else {
            char *prefix = strdup(cfg->inputs[i]);
            if (prefix && (ends_with(prefix, ".idx") || ends_with(prefix, ".bin")))
                prefix[strlen(prefix) - 4] = '\0';
            char *m = prefix ? lw_manifest_find(prefix) : NULL;
            long part;
            doc_range unused;
            if (!prefix)
                st = lw_error_set(err, LW_E_NOMEM, "out of memory");
            else if (m)
                st = take_manifest(&r, m, &part, &unused, err);
            group *g;
            if (!st && !(st = group_for(&r, "", DATASET, &g, err)))
                st = group_add(g, prefix, (doc_range){-1, -1}, err);
            free(prefix);
            free(m);
        }
    }
    r.tok_name = cJSON_GetStringValue(cJSON_GetObjectItem(r.tokenizer, "name"));
    if (st)
        goto done;
    /* the output: a directory's manifest.json, or PREFIX.manifest.json */
    if (dirs) {
        st = lw_manifest_claim(cfg->output, 0, 1, cfg->force, "a dataset", &mpath, err);
    } else {
        st = lw_manifest_claim_prefix(cfg->output, cfg->force, "a dataset", &mpath, err);
    }
    for (size_t i = 0; i < r.n_groups && !st; i++) {
        group *g = &r.groups[i];
        char *out = dirs ? lw_concat(cfg->output, "/", g->key) : strdup(cfg->output);
        if (!out)
            st = lw_error_set(err, LW_E_NOMEM, "out of memory");
        else if (!(st = lw_mkdirs_for(out, err)))
            st = g->kind == DATASET ? merge_datasets(&r, g, out, err)
                 : g->kind == MAP   ? join_maps(&r, g, out, err)
                                    : join_bytes(&r, g, out, err);
        stats->groups++;
        free(out);
    }
    /* publish, then the manifest */
    size_t done_w = 0, done_f = 0;
    for (; done_w < r.n_writers && !st; done_w++)
        st = lw_seqw_publish(r.writers[done_w], err);
    for (; done_f < r.n_files && !st; done_f++)
        st = lw_outfile_publish(r.files[done_f], err);
    if (!st) {
        cJSON *m = lw_manifest_new("merge");
        cJSON *c = cJSON_AddObjectToObject(m, "config");
        cJSON *in = cJSON_AddArrayToObject(c, "inputs");
        for (size_t i = 0; i < cfg->n_inputs; i++)
            cJSON_AddItemToArray(in, cJSON_CreateString(cfg->inputs[i]));
        cJSON_AddStringToObject(c, "format", lw_seq_format_name(cfg->output_format.format));
        cJSON_AddItemToObject(m, "input_manifests", r.manifests);
        r.manifests = NULL;
        if (r.tokenizer) {
            cJSON_AddItemToObject(m, "tokenizer", r.tokenizer);
            r.tokenizer = NULL;
        }
        cJSON_AddStringToObject(m, "format_name", lw_seq_format_name(cfg->output_format.format));
        cJSON *s = cJSON_AddObjectToObject(m, "stats");
        cJSON_AddNumberToObject(s, "datasets_in", (double)stats->datasets);
        cJSON_AddNumberToObject(s, "sequences", (double)stats->sequences);
        cJSON_AddNumberToObject(s, "tokens", (double)stats->tokens);
        cJSON_AddNumberToObject(s, "files_joined", (double)stats->files_joined);
        cJSON *files = cJSON_AddArrayToObject(m, "files");
        char *base = dirs ? strdup(cfg->output) : lw_path_dir(cfg->output);
        for (size_t i = 0; i < r.n_writers; i++)
            lw_seqw_files_json(r.writers[i], files, base);
        size_t skip = base ? strlen(base) + 1 : 0;
        for (size_t i = 0; i < r.n_files; i++) {
            cJSON *e = cJSON_CreateObject();
            cJSON_AddStringToObject(e, "path", r.files[i]->final_path + skip);
            cJSON_AddNumberToObject(e, "bytes", (double)r.files[i]->bytes);
            cJSON_AddStringToObject(e, "sha256", r.files[i]->sha256);
            cJSON_AddItemToArray(files, e);
        }
        free(base);
        st = lw_manifest_write_to(m, mpath, err);
        cJSON_Delete(m);
    }
    if (st) {
        for (size_t i = 0; i < done_w; i++)
            lw_seqw_unpublish(r.writers[i]);
        for (size_t i = 0; i < done_f; i++)
            lw_outfile_unpublish(r.files[i]);
    }
done:
    free(mpath);
    run_free(&r);
    return st;
}
