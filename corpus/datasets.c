/* Datasets on disk, reading: what the manifests list is what consumers open
 * (lw_datasets_open), the one compatibility check of combining commands
 * (lw_combine_add), and the registry of the companions stages add. */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "longweave/dataset.h"
#include "longweave/fileio.h"
#include "longweave/megatron.h"
#include "longweave/vec.h"

/* ---- companions ---- */

enum { MAX_COMPANIONS = 16 };
static const lw_companion *companions[MAX_COMPANIONS];
static size_t n_companions;

void lw_companion_register(const lw_companion *c)
{
    for (size_t i = 0; i < n_companions; i++)
        if (companions[i] == c || strcmp(companions[i]->role, c->role) == 0)
            return;
    if (n_companions < MAX_COMPANIONS)
        companions[n_companions++] = c;
}

const lw_companion *lw_companion_find(const char *role)
{
    for (size_t i = 0; i < n_companions; i++)
        if (strcmp(companions[i]->role, role) == 0)
            return companions[i];
    return NULL;
}

lw_status lw_companion_file_open(const char *out, const char *suffix, lw_outfile **f,
                                 lw_error *err)
{
    char *path = lw_concat(out, suffix, "");
    *f = calloc(1, sizeof **f);
    lw_status st = path && *f ? lw_outfile_open(*f, path, true, err)
                              : lw_error_set(err, LW_E_NOMEM, "out of memory");
    free(path);
    if (st) {
        free(*f);
        *f = NULL;
    }
    return st;
}

lw_status lw_companion_file_done(lw_outfile *f, lw_status st, lw_outfile ***files,
                                 size_t *n_files, lw_error *err)
{
    *files = NULL;
    *n_files = 0;
    if (!st)
        st = lw_outfile_finish(f, err);
    lw_outfile **list = st ? NULL : malloc(sizeof *list);
    if (!st && !list)
        st = lw_error_set(err, LW_E_NOMEM, "out of memory");
    if (st) {
        lw_outfile_release(f);
        free(f);
        return st;
    }
    list[0] = f;
    *files = list;
    *n_files = 1;
    return LW_OK;
}

/* ---- paths ---- */

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

static const char *base_name(const char *p)
{
    const char *slash = strrchr(p, '/');
    return slash ? slash + 1 : p;
}

static bool is_dir(const char *p)
{
    struct stat sb;
    return stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
}

static bool exists(const char *p)
{
    return access(p, F_OK) == 0;
}

/* A path in one spelling whatever way it was given: its folder resolved
 * (realpath), its last name kept. malloc'd; NULL when the folder is not
 * there. */
static char *canonical(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *dir = slash ? (slash == path ? strdup("/") : strndup(path, (size_t)(slash - path)))
                      : strdup(".");
    char real[PATH_MAX];
    char *out = NULL;
    if (dir && realpath(dir, real))
        out = lw_concat(real, strcmp(real, "/") ? "/" : "", slash ? slash + 1 : path);
    free(dir);
    return out;
}

/* ---- the set ---- */

static lw_status add_manifest(lw_dataset_set *s, lw_manifest *m, lw_error *err)
{
    if (!LW_VEC_GROW(&s->manifests, &s->n_manifests_cap, s->n_manifests + 1)) {
        lw_manifest_free(m);
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    }
    s->manifests[s->n_manifests++] = m;
    return LW_OK;
}

static lw_status add_dataset(lw_dataset_set *s, const lw_manifest *m,
                             const lw_manifest_dataset *e, const char *bare, lw_error *err)
{
    if (!LW_VEC_GROW(&s->ds, &s->n_cap, s->n + 1))
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    lw_dataset *d = &s->ds[s->n];
    memset(d, 0, sizeof *d);
    d->manifest = m;
    d->entry = e;
    d->format = e ? e->format : LW_SEQ_MEGATRON;
    if (e)
        d->prefix = strcmp(m->dir, ".") == 0 ? strdup(e->prefix) : lw_concat(m->dir, "/",
                                                                              e->prefix);
    else
        d->prefix = strdup(bare);
    if (!d->prefix)
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    s->n++;
    return LW_OK;
}

/* Every dataset of m, or (under not NULL) those whose canonical prefix is
 * `under` itself (a dataset) or lies in the folder `under`. */
static lw_status take(lw_dataset_set *s, lw_manifest *m, const char *under, bool folder,
                      size_t *added, lw_error *err)
{
    lw_status st = LW_OK;
    size_t before = s->n;
    for (size_t i = 0; i < m->n_datasets && !st; i++) {
        if (under) {
            char *p = lw_concat(m->dir, "/", m->datasets[i].prefix);
            char *c = p ? canonical(p) : NULL;
            size_t k = strlen(under);
            bool in = c && (folder ? strncmp(c, under, k) == 0 && c[k] == '/'
                                   : strcmp(c, under) == 0);
            free(p);
            free(c);
            if (!in)
                continue;
        }
        st = add_dataset(s, m, &m->datasets[i], NULL, err);
    }
    *added = s->n - before;
    return st;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The manifests directly in dir, sorted; *n 0 when none: the directory's
 * own (manifest.json, manifest.part-*.json) when it is an output, else those
 * of the PREFIX outputs in it (*.manifest.json). A PREFIX written inside a
 * directory output is not part of it. */
static lw_status manifests_in(const char *dir, char ***out, size_t *n, lw_error *err)
{
    *out = NULL;
    *n = 0;
    size_t cap = 0;
    DIR *d = opendir(dir);
    if (!d)
        return LW_OK;
    struct dirent *e;
    lw_status st = LW_OK;
    while (!st && (e = readdir(d))) {
        const char *name = e->d_name;
        if (name[0] == '.' || !lw_layout_is_manifest(name, NULL))
            continue;
        char *p = lw_concat(dir, "/", name);
        if (!p || !LW_VEC_GROW(out, &cap, *n + 1)) {
            free(p);
            st = lw_error_set(err, LW_E_NOMEM, "out of memory");
        } else {
            (*out)[(*n)++] = p;
        }
    }
    closedir(d);
    bool output = false;
    for (size_t i = 0; i < *n; i++) {
        bool whole;
        const char *name = base_name((*out)[i]);
        output |= lw_layout_is_manifest(name, &whole) && (whole || !ends_with(name,
                                                                          LW_MANIFEST_SUFFIX));
    }
    for (size_t i = 0; output && i < *n;) {
        if (ends_with(base_name((*out)[i]), LW_MANIFEST_SUFFIX)) {
            free((*out)[i]);
            (*out)[i] = (*out)[--*n];
        } else {
            i++;
        }
    }
    if (*n)
        qsort(*out, *n, sizeof **out, cmp_str);
    return st;
}

static void free_list(char **l, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(l[i]);
    free(l);
}

/* Load and take the manifests of dir (all datasets, or those under/at
 * `under`). *found: datasets added. Not strict: a manifest that does not
 * load is passed over (looking above a path, it may be another output's). */
static lw_status take_dir(lw_dataset_set *s, const char *dir, const char *under, bool folder,
                          bool strict, size_t *found, lw_error *err)
{
    char **list;
    size_t n;
    *found = 0;
    lw_status st = manifests_in(dir, &list, &n, err);
    for (size_t i = 0; i < n && !st; i++) {
        lw_manifest *m;
        size_t added = 0;
        lw_error e;
        lw_status ls = lw_manifest_load(list[i], &m, &e);
        if (ls) {
            if (strict || ls == LW_E_NOMEM) {
                st = ls;
                if (err)
                    *err = e;
            }
            continue;
        }
        if ((st = add_manifest(s, m, err)))
            break;
        st = take(s, m, under, folder, &added, err);
        *found += added;
    }
    free_list(list, n);
    return st;
}

/* The outputs above path (its folder and up to three more) that list it:
 * the dataset prefix itself, or (folder) the datasets inside it. */
static lw_status take_above(lw_dataset_set *s, const char *path, bool folder, size_t *found,
                            lw_error *err)
{
    *found = 0;
    char *c = canonical(path);
    char *dir = c ? lw_path_dir(c) : NULL;
    lw_status st = LW_OK;
    for (int up = 0; up < 4 && dir && dir[0] && !st && !*found; up++) {
        st = take_dir(s, dir, c, folder, false, found, err);
        char *slash = strrchr(dir, '/');
        if (!slash)
            break;
        *slash = '\0';
    }
    free(dir);
    free(c);
    return st;
}

lw_status lw_datasets_open(const char *path, lw_dataset_set *s, lw_error *err)
{
    char *prefix = strdup(path);
    if (!prefix)
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    size_t n = strlen(prefix);
    while (n > 1 && prefix[n - 1] == '/')
        prefix[--n] = '\0';
    if (ends_with(prefix, ".idx") || ends_with(prefix, ".bin"))
        prefix[n - 4] = '\0';
    lw_status st = LW_OK;
    size_t found = 0;
    char *own = lw_concat(prefix, LW_MANIFEST_SUFFIX, "");
    if (!own) {
        st = lw_error_set(err, LW_E_NOMEM, "out of memory");
    } else if (exists(own) && !is_dir(prefix)) {
        lw_manifest *m;
        if (!(st = lw_manifest_load(own, &m, err)) && !(st = add_manifest(s, m, err)))
            st = take(s, m, NULL, false, &found, err);
    } else if (lw_layout_is_manifest(base_name(path), NULL) && exists(path) && !is_dir(path)) {
        lw_manifest *m;
        if (!(st = lw_manifest_load(path, &m, err)) && !(st = add_manifest(s, m, err)))
            st = take(s, m, NULL, false, &found, err);
    } else if (is_dir(prefix)) {
        char *c = canonical(prefix);
        if (!c)
            st = lw_error_set(err, LW_E_NOMEM, "out of memory");
        else if (!(st = take_dir(s, prefix, NULL, false, true, &found, err)) && !found)
            st = take_above(s, prefix, true, &found, err); /* a folder inside an output */
        free(c);
        if (!st && !found)
            st = lw_error_set(err, LW_E_NOINPUT, "%s: no manifest lists a token dataset here",
                              path);
    } else {
        st = take_above(s, prefix, false, &found, err);
        if (!st && !found) {
            char *idx = lw_concat(prefix, ".idx", "");
            if (idx && exists(idx))
                st = add_dataset(s, NULL, NULL, prefix, err); /* bare: no manifest */
            else
                st = lw_error_set(err, LW_E_NOINPUT, "%s: neither a dataset (%s.idx, or one a "
                                  "manifest lists) nor an output directory", path, prefix);
            free(idx);
        }
    }
    free(own);
    free(prefix);
    return st;
}

lw_status lw_datasets_one(const lw_dataset_set *set, const char *path, const lw_dataset **one,
                          lw_error *err)
{
    *one = NULL;
    if (set->n == 1) {
        *one = &set->ds[0];
        return LW_OK;
    }
    if (set->n == 0)
        return lw_error_set(err, LW_E_NOINPUT, "%s holds no dataset", path);
    enum { SHOWN = 6 };
    char list[LW_ERROR_MSG_MAX / 2] = "";
    size_t at = 0;
    for (size_t i = 0; i < set->n && i < SHOWN && at < sizeof list; i++) {
        int w = snprintf(list + at, sizeof list - at, "%s%s", i ? ", " : "", set->ds[i].prefix);
        at += w > 0 ? (size_t)w : 0;
    }
    return lw_error_set(err, LW_E_USAGE, "%s holds %zu datasets: %s%s; give one of them", path,
                        set->n, list, set->n > SHOWN ? ", ..." : "");
}

lw_status lw_manifests_in(const char *dir, lw_manifest ***out, size_t *n, lw_error *err)
{
    char **list;
    size_t k, cap = 0;
    *out = NULL;
    *n = 0;
    lw_status st = manifests_in(dir, &list, &k, err);
    for (size_t i = 0; i < k && !st; i++) {
        lw_manifest *m;
        if ((st = lw_manifest_load(list[i], &m, err)))
            break;
        if (!LW_VEC_GROW(out, &cap, *n + 1)) {
            lw_manifest_free(m);
            st = lw_error_set(err, LW_E_NOMEM, "out of memory");
            break;
        }
        (*out)[(*n)++] = m;
    }
    free_list(list, k);
    if (st) {
        lw_manifests_free(*out, *n);
        *out = NULL;
        *n = 0;
    }
    return st;
}

void lw_manifests_free(lw_manifest **ms, size_t n)
{
    for (size_t i = 0; i < n; i++)
        lw_manifest_free(ms[i]);
    free(ms);
}

void lw_datasets_free(lw_dataset_set *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->ds[i].prefix);
    free(s->ds);
    lw_manifests_free(s->manifests, s->n_manifests);
    memset(s, 0, sizeof *s);
}

int lw_dataset_mask(const lw_dataset *d)
{
    return !d->entry ? LW_MASK_PROBE : d->entry->masked ? LW_MASK_LISTED : LW_MASK_ABSENT;
}

bool lw_dataset_has(const lw_dataset *d, const char *role)
{
    for (size_t i = 0; d->entry && i < d->entry->n_companions; i++)
        if (strcmp(d->entry->companions[i], role) == 0)
            return true;
    return false;
}

char *lw_manifest_find(const char *prefix)
{
    lw_dataset_set s = {0};
    lw_error ignore;
    char *out = NULL;
    if (lw_datasets_open(prefix, &s, &ignore) == LW_OK && s.n && s.ds[0].manifest)
        out = strdup(s.ds[0].manifest->path);
    lw_datasets_free(&s);
    return out;
}

/* The command without its --part: what the parts of one job share. */
static bool same_job(const cJSON *a, const cJSON *b)
{
    int na = cJSON_GetArraySize(a), nb = cJSON_GetArraySize(b), i = 0, k = 0;
    for (;;) {
        for (int pass = 0; pass < 2; pass++) { /* skip "--part X" and "--part=X" */
            const cJSON *arr = pass ? b : a;
            int *at = pass ? &k : &i, n = pass ? nb : na;
            const char *s = *at < n ? cJSON_GetArrayItem(arr, *at)->valuestring : NULL;
            if (s && strcmp(s, "--part") == 0)
                *at += 2;
            else if (s && strncmp(s, "--part=", 7) == 0)
                *at += 1;
        }
        if (i >= na || k >= nb)
            return i >= na && k >= nb;
        const char *x = cJSON_GetArrayItem(a, i++)->valuestring;
        const char *y = cJSON_GetArrayItem(b, k++)->valuestring;
        if (!x || !y || strcmp(x, y) != 0)
            return false;
    }
}

bool lw_parts_same_job(const lw_manifest *m, const cJSON *command)
{
    return same_job(cJSON_GetObjectItem(m->json, "command"), command);
}

bool lw_parts_complete(lw_manifest *const *ms, size_t n, char *why, size_t cap)
{
    size_t parts = 0;
    for (size_t i = 0; i < n; i++)
        parts += ms[i]->nparts > 1;
    if (parts == 0)
        return true;
    const lw_manifest *first = NULL;
    for (size_t i = 0; i < n; i++) {
        const lw_manifest *m = ms[i];
        if (m->nparts <= 1) {
            snprintf(why, cap, "%s: a whole run's manifest beside parts of another", m->path);
            return false;
        }
        if (!first) {
            first = m;
        } else if (m->nparts != first->nparts ||
                   !lw_parts_same_job(m, cJSON_GetObjectItem(first->json, "command"))) {
            snprintf(why, cap, "%s (part %u/%u) and %s (part %u/%u) are parts of different "
                     "runs", first->path, first->part, first->nparts, m->path, m->part,
                     m->nparts);
            return false;
        }
        for (size_t k = 0; k < i; k++)
            if (ms[k]->part == m->part) {
                snprintf(why, cap, "%s and %s are both part %u/%u", ms[k]->path, m->path,
                         m->part, m->nparts);
                return false;
            }
    }
    if (parts != first->nparts) {
        unsigned missing = 0;
        for (unsigned p = 0; p < first->nparts; p++) {
            bool have = false;
            for (size_t i = 0; i < n && !have; i++)
                have = ms[i]->part == p;
            if (!have) {
                missing = p;
                break;
            }
        }
        snprintf(why, cap, "%zu of %u parts (part %u/%u is missing, beside %s)", parts,
                 first->nparts, missing, first->nparts, first->path);
        return false;
    }
    return true;
}

/* ---- combining ---- */

static bool carried(const lw_combine *c, const char *role)
{
    for (size_t i = 0; i < c->n_carried; i++)
        if (strcmp(c->carried[i], role) == 0)
            return true;
    return false;
}

lw_status lw_combine_add(lw_combine *c, const lw_dataset *d, int dtype, lw_error *err)
{
    const char *what = c->cmd_what ? c->cmd_what : "combined";
    if (d->format != LW_SEQ_MEGATRON)
        return lw_error_set(err, LW_E_DATA, "%s is in the %s format: only Megatron datasets "
                            "can be %s (make it again with --format megatron, and give "
                            "--format to this command for the result)", d->prefix,
                            lw_seq_format_name(d->format), what);
    const lw_tok_ref *t = d->manifest ? &d->manifest->tok : NULL;
    char why[1400];
    if (c->n == 0)
        c->first = d->prefix;
    if (t && t->known && c->untyped)
        return lw_error_set(err, LW_E_DATA, "%s has no manifest naming its tokenizer, so it "
                            "cannot be %s with %s (%s): give datasets that longweave made, or "
                            "only bare ones", c->untyped, what, d->prefix,
                            t->name[0] ? t->name : t->path);
    if (!(t && t->known) && c->tok.known)
        return lw_error_set(err, LW_E_DATA, "%s has no manifest naming its tokenizer, so it "
                            "cannot be %s with %s (%s): give datasets that longweave made, or "
                            "only bare ones", d->prefix, what, c->first,
                            c->tok.name[0] ? c->tok.name : c->tok.path);
    if (!(t && t->known) && !c->untyped)
        c->untyped = d->prefix;
    if (t && t->known) {
        if (!c->tok.known)
            c->tok = *t;
        else if (!lw_tok_ref_same_ids(t, &c->tok, why, sizeof why))
            return lw_error_set(err, LW_E_DATA, "%s was made with %s than %s: datasets whose "
                                "text became ids differently cannot be %s", d->prefix, why,
                                c->first, what);
    }
    if (dtype) {
        if (!c->dtype)
            c->dtype = dtype;
        else if (dtype != c->dtype)
            return lw_error_set(err, LW_E_DATA, "%s holds ids of another type than %s: they "
                                "cannot be %s", d->prefix, c->first, what);
    }
    size_t nc = d->entry && !c->tokens_only ? d->entry->n_companions : 0;
    for (size_t i = 0; i < nc; i++) {
        const char *role = d->entry->companions[i];
        const lw_companion *k = lw_companion_find(role);
        if (!carried(c, role) && !(k && k->lineage))
            return lw_error_set(err, LW_E_DATA, "%s has %s files beside its tokens, which "
                                "cannot be %s without losing what they say (e.g. where packed "
                                "samples end); use the datasets before that step", d->prefix,
                                role, what);
    }
    /* carried companions: every dataset has the same ones */
    size_t mine = 0;
    for (size_t i = 0; i < nc; i++)
        mine += carried(c, d->entry->companions[i]);
    if (c->n == 0) {
        for (size_t i = 0; i < nc && c->n_companions < 8; i++)
            if (carried(c, d->entry->companions[i]))
                snprintf(c->companions[c->n_companions++], sizeof c->companions[0], "%s",
                         d->entry->companions[i]);
    } else {
        bool same = mine == c->n_companions;
        for (size_t i = 0; i < c->n_companions && same; i++)
            same = lw_dataset_has(d, c->companions[i]);
        if (!same) {
            char mine_list[256] = "", first_list[256] = "";
            for (size_t i = 0; i < nc; i++)
                if (carried(c, d->entry->companions[i]))
                    snprintf(mine_list + strlen(mine_list), sizeof mine_list - strlen(mine_list),
                             "%s%s", mine_list[0] ? ", " : "", d->entry->companions[i]);
            for (size_t i = 0; i < c->n_companions; i++)
                snprintf(first_list + strlen(first_list), sizeof first_list - strlen(first_list),
                         "%s%s", i ? ", " : "", c->companions[i]);
            return lw_error_set(err, LW_E_DATA, "%s carries %s beside its tokens, %s carries %s: "
                                "they cannot be %s", d->prefix, mine_list[0] ? mine_list : "none",
                                c->first, first_list[0] ? first_list : "none", what);
        }
    }
    c->n++;
    return LW_OK;
}
