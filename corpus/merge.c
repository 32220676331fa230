/* merge: group what the inputs' manifests list by part-less names and join
 * each group — datasets through a sequence writer (raw copies when the
 * output is Megatron in the same dtype), with their companions joined by the
 * stage that owns them, other files byte by byte — then publish everything
 * and write the manifest. */
#include "longweave/merge.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "longweave/buf.h"
#include "longweave/dataset.h"
#include "longweave/fileio.h"
#include "longweave/json_build.h"
#include "longweave/megatron.h"
#include "longweave/outfile.h"
#include "longweave/vec.h"

enum { DATASET, BYTES };

/* One input of a group: a dataset (prefix) or a file (path). */
typedef struct {
    char *path;
    size_t ds;                  /* DATASET: its index in run.set */
} member;

/* A file merge writes besides its datasets: joined, or a companion. */
typedef struct {
    lw_outfile *f;
    const char *dataset;        /* the prefix of the dataset it is a companion of, or NULL */
    const char *role;
} made_file;

typedef struct {
    char *key;          /* output path relative to the output ("" for a PREFIX output) */
    int kind;
    member *m;
    size_t n, cap;
} group;

typedef struct {
    const lw_merge_config *cfg;
    lw_merge_stats *stats;
    lw_dataset_set set;     /* every input's datasets and manifests */
    group *groups;
    size_t n_groups, cap_groups;
    lw_combine comb;
    lw_seqw **writers;
    size_t n_writers, cap_writers;
    made_file *files;
    size_t n_files, cap_files;
    cJSON *manifests;       /* [{"path", "stage", "part"}] of the inputs */
    /* {dataset: L - extra}: fixed-length datasets whose format's reader takes
     * windows of seq_len + extra tokens (datatrove), so that one window is
     * one sequence at seq_len = L - extra (NULL until there is one) */
    cJSON *reader_seq_len;
} run;

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
    if (!LW_VEC_GROW(&r->groups, &r->cap_groups, r->n_groups + 1))
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    group *g = &r->groups[r->n_groups];
    memset(g, 0, sizeof *g);
    if (!(g->key = strdup(key)))
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    g->kind = kind;
    r->n_groups++;
    *out = g;
    return LW_OK;
}

static lw_status group_add(group *g, const char *path, size_t ds, lw_error *err)
{
    if (!LW_VEC_GROW(&g->m, &g->cap, g->n + 1) || !(g->m[g->n].path = strdup(path)))
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    g->m[g->n++].ds = ds;
    return LW_OK;
}

static lw_status list_manifest(run *r, const lw_manifest *m, lw_error *err)
{
    cJSON *e = cJSON_CreateObject();
    char part[48];
    snprintf(part, sizeof part, "%u/%u", m->part, m->nparts);
    if (!lw_json_push(r->manifests, e) || !cJSON_AddStringToObject(e, "path", m->path) ||
        !cJSON_AddStringToObject(e, "stage", m->stage) ||
        !cJSON_AddStringToObject(e, "part", part))
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    return LW_OK;
}

/* Every file a manifest of an output directory lists, grouped: its datasets
 * by prefix, its own files (those of no dataset) by path. */
static lw_status take_manifest_files(run *r, const lw_manifest *m, size_t first_ds, lw_error *err)
{
    lw_status st = LW_OK;
    for (size_t i = first_ds; i < r->set.n && !st; i++) {
        const lw_dataset *d = &r->set.ds[i];
        if (d->manifest != m)
            continue;
        long part;
        char *key = lw_layout_part_less(d->entry->prefix, &part);
        group *g;
        if (!key)
            st = lw_error_set(err, LW_E_NOMEM, "out of memory");
        else if (!(st = group_for(r, key, DATASET, &g, err)))
            st = group_add(g, d->prefix, i, err);
        free(key);
    }
    for (size_t i = 0; i < m->n_files && !st; i++) {
        const lw_manifest_file *f = &m->files[i];
        if (f->dataset)
            continue;
        long part;
        char *key = lw_layout_part_less(f->path, &part);
        char *full = lw_concat(m->dir, "/", f->path);
        group *g;
        if (!key || !full)
            st = lw_error_set(err, LW_E_NOMEM, "out of memory");
        else if (!(st = group_for(r, key, BYTES, &g, err)))
            st = group_add(g, full, 0, err);
        free(key);
        free(full);
    }
    return st;
}

static lw_status merge_datasets(run *r, const group *g, const char *out, lw_error *err)
{
    lw_megatron_source *src = calloc(g->n ? g->n : 1, sizeof *src);
    if (!src)
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    for (size_t i = 0; i < g->n; i++)
        src[i].fd = src[i].mfd = -1;
    lw_status st = LW_OK;
    uint64_t fixed = 0;
    bool same_len = true, masked = false;
    lw_combine comb = r->comb; /* the same companions within the group */
    /* lineage that some member lacks (a tokenized dataset beside SynL's) is
     * left out, as every command leaves out lineage it cannot carry */
    const char *roles[16];
    comb.n_carried = 0;
    for (size_t c = 0; c < r->comb.n_carried && comb.n_carried < 16; c++) {
        const lw_companion *k = lw_companion_find(r->comb.carried[c]);
        bool all = true;
        for (size_t i = 0; i < g->n; i++)
            all &= lw_dataset_has(&r->set.ds[g->m[i].ds], r->comb.carried[c]);
        if (all || !(k && k->lineage))
            roles[comb.n_carried++] = r->comb.carried[c];
    }
    comb.carried = roles;
    for (size_t i = 0; i < g->n && !st; i++) {
        if ((st = lw_combine_add(&comb, &r->set.ds[g->m[i].ds], 0, err)) ||
            (st = lw_megatron_source_open(&src[i], g->m[i].path,
                                             lw_dataset_mask(&r->set.ds[g->m[i].ds]), err)))
            break;
        if (src[i].d.dtype != src[0].d.dtype)
            st = lw_error_set(err, LW_E_DATA, "%s: %s ids, but %s has %s ids: only datasets "
                              "of one dtype merge", g->m[i].path,
                              lw_megatron_dtype_name(src[i].d.dtype), g->m[0].path,
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
    uint32_t vocab = r->comb.tok.known ? r->comb.tok.vocab_size
                     : dtype == LW_MEGATRON_UINT16 ? 65500 : INT32_MAX;
    lw_seqw *w = NULL;
    if (!st) {
        lw_seqw_opts o = lw_seqw_opts_for(&r->cfg->output_format, vocab,
                                          masked ? LW_MASK_ALWAYS : LW_MASK_NONE,
                                          same_len && fixed <= UINT32_MAX ? (uint32_t)fixed : 0,
                                          r->comb.tok.known ? r->comb.tok.name : NULL);
        if (o.format != LW_SEQ_NPY)
            o.fixed_len = 0;
        if (!LW_VEC_GROW(&r->writers, &r->cap_writers, r->n_writers + 1))
            st = lw_error_set(err, LW_E_NOMEM, "out of memory");
        else if (!(st = lw_seqw_open(&w, out, &o, err)))
            r->writers[r->n_writers++] = w;
    }
    /* Packed datasets into a format that keeps sample ends (megatron keeps
     * them in the joined cu_seqlens instead): each sequence with its samples */
    const lw_companion *packing = NULL;
    for (size_t c = 0; c < comb.n_companions && r->cfg->output_format.format != LW_SEQ_MEGATRON;
         c++) {
        const lw_companion *k = lw_companion_find(comb.companions[c]);
        if (k && k->packing_open)
            packing = k;
    }
    uint32_t extra = lw_seq_format_extra_tokens(r->cfg->output_format.format);
    if (!st && extra && same_len && fixed > extra && !packing) {
        if (!r->reader_seq_len && !(r->reader_seq_len = cJSON_CreateObject()))
            st = lw_error_set(err, LW_E_NOMEM, "out of memory");
        else if (!cJSON_AddNumberToObject(r->reader_seq_len, g->key[0] ? g->key : "",
                                          (double)(fixed - extra)))
            st = lw_error_set(err, LW_E_NOMEM, "out of memory");
        r->stats->short_windows++;
        r->stats->window_len = r->stats->window_len ? r->stats->window_len : fixed;
    }
    lw_seq_buf buf = {0};
    for (size_t i = 0; i < g->n && !st; i++) {
        void *pr = NULL;
        if (packing)
            st = packing->packing_open(g->m[i].path, r->set.ds[g->m[i].ds].manifest, &pr, err);
        for (uint64_t q = 0; q < src[i].d.sequences && !st; q++) {
            size_t n = lw_megatron_length(&src[i].d, q);
            lw_seq_packing pk;
            if (pr && (st = packing->packing_read(pr, q, n, &pk, err)))
                break;
            if ((st = lw_seqw_copy(w, &src[i], q, pr ? &pk : NULL, &buf, &n, err)))
                break;
            r->stats->sequences++;
            r->stats->tokens += n;
        }
        if (pr)
            packing->packing_close(pr);
        r->stats->datasets++;
    }
    if (!st && w)
        st = lw_seqw_finish(w, err);
    lw_seq_buf_free(&buf);
    for (size_t i = 0; i < g->n; i++)
        lw_megatron_source_close(&src[i]);
    free(src);
    /* the companions, joined by the stage that owns them */
    const char **parts = calloc(g->n ? g->n : 1, sizeof *parts);
    const lw_manifest **ms = calloc(g->n ? g->n : 1, sizeof *ms);
    if (!st && (!parts || !ms))
        st = lw_error_set(err, LW_E_NOMEM, "out of memory");
    for (size_t c = 0; c < comb.n_companions && !st; c++) {
        const lw_companion *k = lw_companion_find(comb.companions[c]);
        for (size_t i = 0; i < g->n; i++) {
            parts[i] = g->m[i].path;
            ms[i] = r->set.ds[g->m[i].ds].manifest;
        }
        lw_outfile **made = NULL;
        size_t n_made = 0;
        st = k->merge(parts, ms, g->n, out, &made, &n_made, err);
        for (size_t i = 0; i < n_made; i++) {
            if (!st && !LW_VEC_GROW(&r->files, &r->cap_files, r->n_files + 1))
                st = lw_error_set(err, LW_E_NOMEM, "out of memory");
            if (st) {
                lw_outfile_release(made[i]);
                free(made[i]);
                continue;
            }
            r->files[r->n_files++] = (made_file){made[i], lw_seqw_prefix(w), k->role};
        }
        free(made);
    }
    free(parts);
    free(ms);
    return st;
}

static lw_outfile *new_file(run *r, const char *path, lw_error *err)
{
    lw_outfile *f = calloc(1, sizeof *f);
    if (!f || !LW_VEC_GROW(&r->files, &r->cap_files, r->n_files + 1)) {
        free(f);
        lw_error_set(err, LW_E_NOMEM, "out of memory");
        return NULL;
    }
    r->files[r->n_files++] = (made_file){f, NULL, NULL};
    return lw_outfile_open(f, path, true, err) ? NULL : f;
}

static lw_status join_bytes(run *r, const group *g, const char *out, lw_error *err)
{
    lw_outfile *f = new_file(r, out, err);
    if (!f)
        return err->status;
    lw_status st = LW_OK;
    for (size_t i = 0; i < g->n && !st; i++)
        st = lw_outfile_write_file(f, g->m[i].path, err);
    r->stats->files_joined++;
    return st ? st : lw_outfile_finish(f, err);
}

static void run_free(run *r)
{
    for (size_t i = 0; i < r->n_groups; i++) {
        for (size_t k = 0; k < r->groups[i].n; k++)
            free(r->groups[i].m[k].path);
        free(r->groups[i].m);
        free(r->groups[i].key);
    }
    free(r->groups);
    for (size_t i = 0; i < r->n_writers; i++)
        lw_seqw_free(r->writers[i]);
    free(r->writers);
    for (size_t i = 0; i < r->n_files; i++) {
        lw_outfile_release(r->files[i].f);
        free(r->files[i].f);
    }
    free(r->files);
    cJSON_Delete(r->manifests);
    cJSON_Delete(r->reader_seq_len);
    lw_datasets_free(&r->set);
}

static bool is_dir(const char *p)
{
    struct stat sb;
    return stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
}

/* The companions merge carries: those whose stage can join them. */
static size_t mergeable(const char **roles, size_t cap, const lw_dataset_set *s)
{
    size_t n = 0;
    for (size_t i = 0; i < s->n; i++)
        for (size_t k = 0; s->ds[i].entry && k < s->ds[i].entry->n_companions; k++) {
            const char *role = s->ds[i].entry->companions[k];
            const lw_companion *c = lw_companion_find(role);
            bool have = false;
            for (size_t j = 0; j < n; j++)
                have |= strcmp(roles[j], role) == 0;
            if (c && c->merge && !have && n < cap)
                roles[n++] = c->role;
        }
    return n;
}

lw_status lw_merge_run(const lw_merge_config *cfg, lw_merge_stats *stats, lw_error *err)
{
    memset(stats, 0, sizeof *stats);
    if (!cfg->output || !*cfg->output || cfg->n_inputs == 0)
        return lw_error_set(err, LW_E_USAGE, "give the output and at least one input");
    run r = {.cfg = cfg, .stats = stats, .manifests = cJSON_CreateArray(),
             .comb = {.cmd_what = "merged"}};
    lw_status st = r.manifests ? LW_OK : lw_error_set(err, LW_E_NOMEM, "out of memory");
    bool dirs = is_dir(cfg->inputs[0]);
    lw_output *out = NULL;
    /* the inputs: their datasets and files, grouped */
    for (size_t i = 0; i < cfg->n_inputs && !st; i++) {
        bool dir = is_dir(cfg->inputs[i]);
        size_t ds0 = r.set.n, m0 = r.set.n_manifests;
        if (dir != dirs) {
            st = lw_error_set(err, LW_E_USAGE, "%s: give either dataset prefixes or output "
                              "directories, not both", cfg->inputs[i]);
            break;
        }
        if ((st = lw_datasets_open(cfg->inputs[i], &r.set, err))) {
            /* an output without token datasets (shards, chat files, evaluation
             * sets) still has files to join */
            if (!(dirs && st == LW_E_NOINPUT && r.set.n_manifests > m0))
                break;
            st = LW_OK;
        }
        if (dirs && r.set.n_manifests == m0) {
            st = lw_error_set(err, LW_E_NOINPUT, "%s: no " LW_MANIFEST_NAME " or "
                              "manifest.part-*.json: not a longweave output", cfg->inputs[i]);
            break;
        }
        for (size_t k = m0; k < r.set.n_manifests && !st; k++)
            st = list_manifest(&r, r.set.manifests[k], err);
        if (dirs) {
            for (size_t k = m0; k < r.set.n_manifests && !st; k++)
                st = take_manifest_files(&r, r.set.manifests[k], ds0, err);
        } else {
            group *g;
            for (size_t k = ds0; k < r.set.n && !st; k++)
                if (!(st = group_for(&r, "", DATASET, &g, err)))
                    st = group_add(g, r.set.ds[k].prefix, k, err);
        }
    }
    char why[LW_ERROR_MSG_MAX];
    if (!st && !lw_parts_complete(r.set.manifests, r.set.n_manifests, why, sizeof why))
        st = lw_error_set(err, LW_E_DATA, "%s; merge the parts of one run, all of them", why);
    const char *roles[16];
    r.comb.n_carried = mergeable(roles, 16, &r.set);
    r.comb.carried = roles;
    /* the tokenizer check across every input, before anything is written */
    lw_combine all = r.comb;
    all.tokens_only = true; /* companions are checked within each group */
    for (size_t i = 0; i < r.n_groups && !st; i++)
        for (size_t k = 0; r.groups[i].kind == DATASET && k < r.groups[i].n && !st; k++)
            st = lw_combine_add(&all, &r.set.ds[r.groups[i].m[k].ds], 0, err);
    r.comb.tok = all.tok;
    if (st)
        goto done;
    lw_output_spec spec = {cfg->output, dirs ? LW_OUT_DIR : LW_OUT_PREFIX, 0, 1, cfg->force,
                           "a dataset"};
    if ((st = lw_output_claim(&out, &spec, err)))
        goto done;
    for (size_t i = 0; i < r.n_groups && !st; i++) {
        group *g = &r.groups[i];
        char *path = dirs ? lw_concat(cfg->output, "/", g->key) : strdup(cfg->output);
        if (!path)
            st = lw_error_set(err, LW_E_NOMEM, "out of memory");
        else if (!(st = lw_mkdirs_for(path, err)))
            st = g->kind == DATASET ? merge_datasets(&r, g, path, err)
                                    : join_bytes(&r, g, path, err);
        stats->groups++;
        free(path);
    }
    /* publish, then the manifest */
    size_t done_w = 0, done_f = 0;
    for (; done_w < r.n_writers && !st; done_w++)
        st = lw_seqw_publish(r.writers[done_w], err);
    for (; done_f < r.n_files && !st; done_f++)
        st = lw_outfile_publish(r.files[done_f].f, err);
    if (!st) {
        cJSON *m = lw_manifest_new("merge", 0, 1);
        cJSON *c = m ? cJSON_AddObjectToObject(m, "config") : NULL;
        cJSON *in = c ? cJSON_AddArrayToObject(c, "inputs") : NULL;
        if (!in) {
            cJSON_Delete(m);
            st = lw_error_set(err, LW_E_NOMEM, "out of memory");
            goto unpublish;
        }
        bool ok = true;
        for (size_t i = 0; i < cfg->n_inputs; i++)
            ok &= lw_json_push(in, cJSON_CreateString(cfg->inputs[i]));
        ok &= cJSON_AddStringToObject(c, "format",
                                      lw_seq_format_name(cfg->output_format.format)) != NULL;
        if (r.reader_seq_len) {
            ok &= lw_json_put(c, "reader_seq_len", r.reader_seq_len);
            r.reader_seq_len = NULL;
        }
        ok &= lw_json_put(m, "input_manifests", r.manifests);
        r.manifests = NULL;
        ok &= lw_manifest_put_tokenizer(m, &r.comb.tok);
        ok &= cJSON_AddStringToObject(m, "format_name",
                                      lw_seq_format_name(cfg->output_format.format)) != NULL;
        cJSON *s = cJSON_AddObjectToObject(m, "stats");
        ok &= cJSON_AddNumberToObject(s, "datasets_in", (double)stats->datasets) != NULL;
        ok &= cJSON_AddNumberToObject(s, "sequences", (double)stats->sequences) != NULL;
        ok &= cJSON_AddNumberToObject(s, "tokens", (double)stats->tokens) != NULL;
        ok &= cJSON_AddNumberToObject(s, "files_joined", (double)stats->files_joined) != NULL;
        for (size_t i = 0; i < r.n_writers; i++)
            ok &= lw_manifest_put_dataset(m, r.writers[i], lw_output_dir(out));
        for (size_t i = 0; i < r.n_files; i++)
            ok &= lw_manifest_put_outfile(m, lw_output_dir(out), r.files[i].f,
                                          r.files[i].dataset, r.files[i].role);
        st = ok ? lw_output_commit(out, m, err)
                : lw_error_set(err, LW_E_NOMEM, "out of memory building the manifest");
        cJSON_Delete(m);
    }
unpublish:
    if (st) {
        for (size_t i = 0; i < done_w; i++)
            lw_seqw_unpublish(r.writers[i]);
        for (size_t i = 0; i < done_f; i++)
            lw_outfile_unpublish(r.files[i].f);
    }
done:
    run_free(&r);
    lw_output_release(out);
    return st;
}
