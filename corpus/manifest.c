/* Datasets on disk, the manifest: written by every stage through these
 * helpers (one spelling of each field), read back typed and checked. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "longweave/buf.h"
#include "longweave/dataset.h"
#include "longweave/fileio.h"
#include "longweave/json_build.h"
#include "longweave/outfile.h"
#include "longweave/tokenizer.h"
#include "longweave/version.h"

/* The command line of this process, as lw_manifest_set_command recorded it;
 * written once at start-up, before any thread, and read-only after. */
static cJSON *command_line;
/* Recording it ran out of memory: no manifest can be made (rather than one
 * with a partial "command", which --resume would take for another job). */
static bool command_incomplete;

/* Options that change how a run goes or where its output lands, never what
 * it holds. */
static bool run_only_option(const char *a, bool *takes_value)
{
    static const char *const with_value[] = {"-j", "--threads", "--stats-json", "-o",
                                             "--output"};
    static const char *const flags[] = {"-q", "--quiet", "--force", "--resume"};
    *takes_value = false;
    for (size_t i = 0; i < sizeof flags / sizeof *flags; i++)
        if (strcmp(a, flags[i]) == 0)
            return true;
    for (size_t i = 0; i < sizeof with_value / sizeof *with_value; i++) {
        size_t n = strlen(with_value[i]);
        if (strncmp(a, with_value[i], n) != 0)
            continue;
        if (a[n] == '\0') {
            *takes_value = true;
            return true;
        }
        if (a[n] == '=' || n == 2) /* --threads=2, -j2, -oDIR */
            return true;
    }
    return false;
}

void lw_manifest_set_command(int argc, char *const *argv)
{
    cJSON_Delete(command_line);
    command_line = argc > 0 ? cJSON_CreateArray() : NULL;
    bool ok = argc <= 0 || command_line;
    for (int i = 0; command_line && i < argc; i++) {
        bool value;
        if (strcmp(argv[i], "--") == 0) { /* operands from here on */
            for (; i < argc; i++)
                ok &= lw_json_push(command_line, cJSON_CreateString(argv[i]));
            break;
        }
        if (run_only_option(argv[i], &value)) {
            i += value;
            continue;
        }
        ok &= lw_json_push(command_line, cJSON_CreateString(argv[i]));
    }
    command_incomplete = !ok;
}

const cJSON *lw_manifest_command(void)
{
    return command_line;
}

cJSON *lw_manifest_new(const char *stage, unsigned part, unsigned nparts)
{
    if (command_incomplete)
        return NULL;
    cJSON *m = cJSON_CreateObject();
    cJSON *tool = cJSON_CreateObject();
    char pstr[48];
    snprintf(pstr, sizeof pstr, "%u/%u", part, nparts ? nparts : 1);
    if (!m || !tool || !cJSON_AddStringToObject(m, "format", "longweave-manifest") ||
        !cJSON_AddNumberToObject(m, "format_version", LW_MANIFEST_FORMAT_VERSION) ||
        !cJSON_AddStringToObject(tool, "name", "longweave") ||
        !cJSON_AddStringToObject(tool, "version", LW_VERSION) ||
        !cJSON_AddItemToObject(m, "tool", tool)) {
        cJSON_Delete(m);
        cJSON_Delete(tool);
        return NULL;
    }
    if (!cJSON_AddStringToObject(m, "stage", stage) ||
        (command_line && !lw_json_put(m, "command", cJSON_Duplicate(command_line, true))) ||
        !cJSON_AddStringToObject(m, "part", pstr) || !cJSON_AddArrayToObject(m, "datasets") ||
        !cJSON_AddArrayToObject(m, "files")) {
        cJSON_Delete(m);
        return NULL;
    }
    return m;
}

void lw_tok_ref_of(lw_tok_ref *r, const lw_tokenizer *tok, const char *pattern)
{
    memset(r, 0, sizeof *r);
    if (!tok)
        return;
    r->known = true;
    snprintf(r->path, sizeof r->path, "%s", lw_tok_path(tok));
    snprintf(r->sha256, sizeof r->sha256, "%s", lw_tok_sha256(tok));
    snprintf(r->name, sizeof r->name, "%s", lw_tok_name(tok));
    snprintf(r->kind, sizeof r->kind, "%s", lw_tok_kind_name(lw_tok_kind_of(tok)));
    snprintf(r->pattern, sizeof r->pattern, "%s", pattern ? pattern : "");
    r->vocab_size = lw_tok_vocab_size(tok);
    r->match_special = lw_tok_matches_special(tok);
    if (lw_tok_config_path(tok)) {
        snprintf(r->config_path, sizeof r->config_path, "%s", lw_tok_config_path(tok));
        snprintf(r->config_sha256, sizeof r->config_sha256, "%s", lw_tok_config_sha256(tok));
        static const char *const roles[3] = {"bos", "eos", "pad"};
        for (int i = 0; i < 3; i++) {
            const char *token;
            r->config_said[i] = (signed char)lw_tok_config_role(tok, roles[i], &token);
            snprintf(r->config_token[i], sizeof r->config_token[i], "%s", token ? token : "");
        }
    }
}

lw_tok_opts lw_tok_ref_opts(const lw_tok_ref *r)
{
    return (lw_tok_opts){.pattern = r->pattern[0] ? r->pattern : NULL,
                         .match_special = r->match_special};
}

bool lw_tok_ref_same_ids(const lw_tok_ref *a, const lw_tok_ref *b, char *why, size_t cap)
{
    if (strcmp(a->sha256, b->sha256) != 0)
        snprintf(why, cap, "another tokenizer (%s, sha256 %.12s, against %s, sha256 %.12s)",
                 a->name[0] ? a->name : a->path, a->sha256, b->name[0] ? b->name : b->path,
                 b->sha256);
    else if (strcmp(a->pattern, b->pattern) != 0)
        snprintf(why, cap, "another split pattern (--pattern %s, against %s)",
                 a->pattern[0] ? a->pattern : "(the default)",
                 b->pattern[0] ? b->pattern : "(the default)");
    else if (a->match_special != b->match_special)
        snprintf(why, cap, "special-token strings %s (--match-special), against %s",
                 a->match_special ? "matched" : "as text", b->match_special ? "matched" : "as text");
    else
        return true;
    return false;
}

static const char *const config_keys[3] = {"bos_token", "eos_token", "pad_token"};

/* A tokenizer file's path as the manifest records it: absolute, so that the
 * dataset's users find it from any folder, with symbolic links kept (a
 * hub snapshot's tokenizer.json, not the blob it points to); NULL (keep it
 * as given) for a hub name, which is no file, or when out of memory. */
static char *absolute_path(const char *path)
{
    if (path[0] == '/' || access(path, F_OK) != 0)
        return NULL;
    char *cwd = getcwd(NULL, 0);
    const char *rel = strncmp(path, "./", 2) == 0 ? path + 2 : path;
    char *abs = cwd ? lw_concat(cwd, "/", rel) : NULL;
    free(cwd);
    return abs;
}

/* dir/name if it is r's file (same sha256), else NULL; the folder goes on looked. */
static char *same_file_in(const lw_tok_ref *r, const char *dir, const char *name, char *looked,
                          size_t cap)
{
    size_t at = strlen(looked);
    if (at + 1 < cap)
        snprintf(looked + at, cap - at, "%s%s", at ? ", " : "", dir);
    char *p = lw_concat(dir, "/", name);
    char hex[LW_SHA256_HEX];
    if (p && access(p, R_OK) == 0 && lw_sha256_file(p, hex, NULL) == LW_OK &&
        strcmp(hex, r->sha256) == 0)
        return p;
    free(p);
    return NULL;
}

char *lw_tok_ref_locate(const lw_tok_ref *r, const char *near, char *looked, size_t cap)
{
    if (cap)
        looked[0] = '\0';
    if (!r->known)
        return NULL;
    if (access(r->path, R_OK) == 0)
        return strdup(r->path);
    const char *slash = strrchr(r->path, '/');
    const char *name = slash ? slash + 1 : r->path;
    char *found = NULL;
    char *dir = near && *near ? strdup(near) : NULL;
    for (int up = 0; dir && up < 4 && !found; up++) {
        found = same_file_in(r, dir, name, looked, cap);
        if (strcmp(dir, ".") == 0 || strcmp(dir, "/") == 0)
            break;
        char *s = strrchr(dir, '/');
        if (!s) {
            free(dir);
            dir = strdup(".");
        } else {
            s[s == dir] = '\0'; /* "/x" goes up to "/" */
        }
    }
    free(dir);
    const char *env = getenv("LONGWEAVE_TOKENIZERS");
    char *list = env ? strdup(env) : NULL, *save = NULL;
    for (char *d = list ? strtok_r(list, ":", &save) : NULL; d && !found;
         d = strtok_r(NULL, ":", &save))
        if (*d)
            found = same_file_in(r, d, name, looked, cap);
    free(list);
    return found;
}

bool lw_manifest_put_tokenizer(cJSON *m, const lw_tok_ref *r)
{
    if (!r || !r->known)
        return true;
    cJSON *t = cJSON_AddObjectToObject(m, "tokenizer");
    char *abs = absolute_path(r->path);
    bool ok = cJSON_AddStringToObject(t, "path", abs ? abs : r->path) != NULL;
    free(abs);
    if (r->kind[0])
        ok &= cJSON_AddStringToObject(t, "kind", r->kind) != NULL;
    if (r->name[0])
        ok &= cJSON_AddStringToObject(t, "name", r->name) != NULL;
    ok &= cJSON_AddStringToObject(t, "sha256", r->sha256) != NULL;
    ok &= cJSON_AddNumberToObject(t, "vocab_size", r->vocab_size) != NULL;
    if (r->pattern[0])
        ok &= cJSON_AddStringToObject(t, "pattern", r->pattern) != NULL;
    if (r->match_special) /* absent: special-token strings were text */
        ok &= cJSON_AddTrueToObject(t, "match_special") != NULL;
    if (r->config_path[0]) { /* "config": {"path", "sha256", and the roles it named} */
        cJSON *c = cJSON_AddObjectToObject(t, "config");
        char *cabs = absolute_path(r->config_path);
        ok &= cJSON_AddStringToObject(c, "path", cabs ? cabs : r->config_path) != NULL;
        free(cabs);
        ok &= cJSON_AddStringToObject(c, "sha256", r->config_sha256) != NULL;
        for (int i = 0; i < 3; i++)
            if (r->config_said[i] == 1)
                ok &= cJSON_AddStringToObject(c, config_keys[i], r->config_token[i]) != NULL;
            else if (r->config_said[i] == -1)
                ok &= cJSON_AddNullToObject(c, config_keys[i]) != NULL;
    }
    return ok;
}

/* path relative to dir, when it lies under it */
static const char *relative(const char *path, const char *dir)
{
    size_t skip = dir ? strlen(dir) : 0;
    if (skip && strncmp(path, dir, skip) == 0 && path[skip] == '/')
        return path + skip + 1;
    return path;
}

bool lw_manifest_put_file(cJSON *m, const char *dir, const char *path, uint64_t bytes,
                          const char *sha256, const char *prefix, const char *role)
{
    cJSON *files = cJSON_GetObjectItem(m, "files");
    cJSON *o = cJSON_CreateObject();
    if (!lw_json_push(files, o))
        return false;
    bool ok = cJSON_AddStringToObject(o, "path", relative(path, dir)) != NULL;
    ok &= cJSON_AddNumberToObject(o, "bytes", (double)bytes) != NULL;
    if (sha256 && sha256[0])
        ok &= cJSON_AddStringToObject(o, "sha256", sha256) != NULL;
    if (prefix) {
        ok &= cJSON_AddStringToObject(o, "dataset", relative(prefix, dir)) != NULL;
        ok &= cJSON_AddStringToObject(o, "role", role ? role : "data") != NULL;
        if (role) { /* the dataset's entry lists its companions */
            cJSON *d;
            cJSON_ArrayForEach(d, cJSON_GetObjectItem(m, "datasets"))
            {
                const char *p = cJSON_GetStringValue(cJSON_GetObjectItem(d, "prefix"));
                if (!p || strcmp(p, relative(prefix, dir)) != 0)
                    continue;
                cJSON *c = cJSON_GetObjectItem(d, "companions"), *e;
                bool have = false;
                cJSON_ArrayForEach(e, c) have |= strcmp(e->valuestring, role) == 0;
                if (!have)
                    ok &= lw_json_push(c, cJSON_CreateString(role));
            }
        }
    }
    return ok;
}

bool lw_manifest_put_outfile(cJSON *m, const char *dir, const lw_outfile *f, const char *prefix,
                             const char *role)
{
    return lw_manifest_put_file(m, dir, f->final_path, f->bytes, f->sha256, prefix, role);
}

bool lw_manifest_put_dataset(cJSON *m, const lw_seqw *w, const char *dir)
{
    lw_seqw_info info;
    lw_seqw_info_get(w, &info);
    const char *prefix = lw_seqw_prefix(w);
    cJSON *d = cJSON_CreateObject();
    if (!lw_json_push(cJSON_GetObjectItem(m, "datasets"), d))
        return false;
    bool ok = cJSON_AddStringToObject(d, "prefix", relative(prefix, dir)) != NULL;
    ok &= cJSON_AddStringToObject(d, "format", lw_seq_format_name(lw_seqw_format(w))) != NULL;
    ok &= cJSON_AddStringToObject(d, "dtype", info.dtype ? info.dtype : "?") != NULL;
    ok &= cJSON_AddNumberToObject(d, "sequences", (double)info.sequences) != NULL;
    ok &= cJSON_AddNumberToObject(d, "tokens", (double)info.tokens) != NULL;
    /* datatrove's index of a packed output ends at every sample */
    if (info.documents != info.sequences)
        ok &= cJSON_AddNumberToObject(d, "documents", (double)info.documents) != NULL;
    ok &= cJSON_AddBoolToObject(d, "mask", info.masked) != NULL;
    ok &= cJSON_AddArrayToObject(d, "companions") != NULL;
    const lw_outfile *const *files;
    size_t n = lw_seqw_files(w, &files);
    for (size_t i = 0; i < n; i++)
        ok &= lw_manifest_put_file(m, dir, files[i]->final_path, files[i]->bytes,
                                   files[i]->sha256, prefix, NULL);
    return ok;
}

lw_status lw_manifest_write(const cJSON *m, const char *path, lw_error *err)
{
    char *text = m ? cJSON_Print(m) : NULL;
    lw_status st;
    if (!text) {
        st = lw_error_set(err, LW_E_NOMEM, "out of memory writing the manifest");
    } else {
        size_t n = strlen(text);
        text[n] = '\n'; /* replace the NUL: the file ends with a newline */
        st = lw_write_file_atomic(path, text, n + 1, err);
    }
    free(text);
    return st;
}

/* ---- reading ---- */

static const char *str_of(const cJSON *o, const char *key)
{
    return cJSON_GetStringValue(cJSON_GetObjectItem(o, key));
}

static bool safe_relative(const char *p)
{
    if (!p || !p[0] || p[0] == '/')
        return false;
    for (const char *s = p; (s = strstr(s, "..")); s += 2)
        if ((s == p || s[-1] == '/') && (s[2] == '/' || s[2] == '\0'))
            return false;
    return true;
}

static void read_tokenizer(lw_tok_ref *r, const cJSON *t)
{
    memset(r, 0, sizeof *r);
    const char *path = str_of(t, "path"), *sha = str_of(t, "sha256");
    double v = cJSON_GetNumberValue(cJSON_GetObjectItem(t, "vocab_size"));
    if (!path || !sha || !(v > 0 && v < 4294967296.0))
        return;
    r->known = true;
    snprintf(r->path, sizeof r->path, "%s", path);
    snprintf(r->sha256, sizeof r->sha256, "%s", sha);
    snprintf(r->name, sizeof r->name, "%s", str_of(t, "name") ? str_of(t, "name") : "");
    snprintf(r->kind, sizeof r->kind, "%s", str_of(t, "kind") ? str_of(t, "kind") : "");
    snprintf(r->pattern, sizeof r->pattern, "%s",
             str_of(t, "pattern") ? str_of(t, "pattern") : "");
    r->vocab_size = (uint32_t)v;
    r->match_special = cJSON_IsTrue(cJSON_GetObjectItem(t, "match_special"));
    const cJSON *c = cJSON_GetObjectItem(t, "config");
    if (str_of(c, "path") && str_of(c, "sha256")) {
        snprintf(r->config_path, sizeof r->config_path, "%s", str_of(c, "path"));
        snprintf(r->config_sha256, sizeof r->config_sha256, "%s", str_of(c, "sha256"));
        for (int i = 0; i < 3; i++) {
            const cJSON *v = cJSON_GetObjectItem(c, config_keys[i]);
            r->config_said[i] = cJSON_IsString(v) ? 1 : cJSON_IsNull(v) ? -1 : 0;
            snprintf(r->config_token[i], sizeof r->config_token[i], "%s",
                     cJSON_IsString(v) ? v->valuestring : "");
        }
    }
}

static double num_of(const cJSON *o, const char *key)
{
    return cJSON_GetNumberValue(cJSON_GetObjectItem(o, key));
}

static lw_status parse(lw_manifest *m, lw_error *err)
{
    const cJSON *j = m->json;
    const char *fmt = str_of(j, "format");
    double version = num_of(j, "format_version");
    if (!fmt || strcmp(fmt, "longweave-manifest") != 0)
        return lw_error_set(err, LW_E_DATA, "%s: not a longweave manifest (no \"format\": "
                            "\"longweave-manifest\")", m->path);
    if (version != LW_MANIFEST_FORMAT_VERSION)
        return lw_error_set(err, LW_E_DATA, "%s: manifest format_version %.0f; this longweave "
                            "reads version %d (rerun the command that made it)", m->path,
                            version, LW_MANIFEST_FORMAT_VERSION);
    const char *stage = str_of(j, "stage");
    if (!stage || !(m->stage = strdup(stage)))
        return lw_error_set(err, LW_E_DATA, "%s: no \"stage\"", m->path);
    m->part = 0;
    m->nparts = 1;
    const char *ps = str_of(j, "part");
    unsigned a, b;
    if (ps && sscanf(ps, "%u/%u", &a, &b) == 2 && b > 0 && a < b) {
        m->part = a;
        m->nparts = b;
    }
    const cJSON *in = cJSON_GetObjectItem(j, "inputs");
    double first = num_of(in, "first_document"), end = num_of(in, "end_document");
    m->first_document = m->end_document = -1;
    if (first >= 0 && end >= first) { /* NaN (absent) fails both */
        m->first_document = (int64_t)first;
        m->end_document = (int64_t)end;
    }
    read_tokenizer(&m->tok, cJSON_GetObjectItem(j, "tokenizer"));
    const cJSON *files = cJSON_GetObjectItem(j, "files"), *datasets = cJSON_GetObjectItem(j,
                                                                                     "datasets");
    if (!cJSON_IsArray(files) || !cJSON_IsArray(datasets))
        return lw_error_set(err, LW_E_DATA, "%s: no \"files\" and \"datasets\" lists", m->path);
    int nf = cJSON_GetArraySize(files), nd = cJSON_GetArraySize(datasets);
    m->files = calloc((size_t)nf + 1, sizeof *m->files);
    m->datasets = calloc((size_t)nd + 1, sizeof *m->datasets);
    if (!m->files || !m->datasets)
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    for (int i = 0; i < nf; i++) {
        const cJSON *f = cJSON_GetArrayItem(files, i);
        const char *p = str_of(f, "path"), *sha = str_of(f, "sha256");
        const char *ds = str_of(f, "dataset"), *role = str_of(f, "role");
        double bytes = num_of(f, "bytes");
        if (!safe_relative(p) || !(bytes >= 0) || (ds && !safe_relative(ds)))
            return lw_error_set(err, LW_E_DATA, "%s: files[%d] has no relative path inside "
                                "the output, or no size", m->path, i);
        lw_manifest_file *e = &m->files[m->n_files++];
        e->bytes = (uint64_t)bytes;
        snprintf(e->sha256, sizeof e->sha256, "%s", sha ? sha : "");
        if (!(e->path = strdup(p)) || (ds && !(e->dataset = strdup(ds))) ||
            !(e->role = strdup(role ? role : "data")))
            return lw_error_set(err, LW_E_NOMEM, "out of memory");
    }
    for (int i = 0; i < nd; i++) {
        const cJSON *d = cJSON_GetArrayItem(datasets, i);
        const char *p = str_of(d, "prefix"), *f = str_of(d, "format");
        lw_manifest_dataset *e = &m->datasets[m->n_datasets];
        if (!safe_relative(p) || !f || lw_seq_format_parse(f, &e->format) != 0)
            return lw_error_set(err, LW_E_DATA, "%s: datasets[%d] has no relative prefix or no "
                                "known format", m->path, i);
        m->n_datasets++;
        snprintf(e->dtype, sizeof e->dtype, "%s", str_of(d, "dtype") ? str_of(d, "dtype") : "");
        e->sequences = (uint64_t)(num_of(d, "sequences") >= 0 ? num_of(d, "sequences") : 0);
        e->tokens = (uint64_t)(num_of(d, "tokens") >= 0 ? num_of(d, "tokens") : 0);
        e->documents = num_of(d, "documents") >= 0 ? (uint64_t)num_of(d, "documents")
                                                   : e->sequences;
        e->masked = cJSON_IsTrue(cJSON_GetObjectItem(d, "mask"));
        const cJSON *cs = cJSON_GetObjectItem(d, "companions"), *c;
        e->companions = calloc((size_t)cJSON_GetArraySize(cs) + 1, sizeof *e->companions);
        if (!(e->prefix = strdup(p)) || !e->companions)
            return lw_error_set(err, LW_E_NOMEM, "out of memory");
        cJSON_ArrayForEach(c, cs)
        {
            if (!cJSON_IsString(c) || !(e->companions[e->n_companions] = strdup(c->valuestring)))
                return lw_error_set(err, LW_E_DATA, "%s: datasets[%d].companions holds a "
                                    "non-string", m->path, i);
            e->n_companions++;
        }
    }
    return LW_OK;
}

lw_status lw_manifest_load(const char *path, lw_manifest **out, lw_error *err)
{
    *out = NULL;
    lw_manifest *m = calloc(1, sizeof *m);
    lw_buf b = {0};
    if (!m)
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    lw_status st = lw_file_read_all(path, &b, err);
    if (!st && !(m->json = cJSON_ParseWithLength(b.data ? b.data : "", b.len)))
        st = lw_error_set(err, LW_E_DATA, "%s: not valid JSON", path);
    lw_buf_free(&b);
    if (!st && (m->dir = lw_path_dir(path)) == NULL)
        m->dir = strdup("."); /* a manifest in the current folder */
    if (!st && (!(m->path = strdup(path)) || !m->dir))
        st = lw_error_set(err, LW_E_NOMEM, "out of memory");
    if (!st && !m->dir[0]) { /* "/manifest.json" */
        free(m->dir);
        m->dir = strdup("/");
    }
    if (!st)
        st = parse(m, err);
    if (st)
        lw_manifest_free(m);
    else
        *out = m;
    return st;
}

void lw_manifest_free(lw_manifest *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n_files; i++) {
        free(m->files[i].path);
        free(m->files[i].dataset);
        free(m->files[i].role);
    }
    for (size_t i = 0; i < m->n_datasets; i++) {
        for (size_t k = 0; k < m->datasets[i].n_companions; k++)
            free(m->datasets[i].companions[k]);
        free(m->datasets[i].companions);
        free(m->datasets[i].prefix);
    }
    free(m->files);
    free(m->datasets);
    free(m->stage);
    free(m->dir);
    free(m->path);
    cJSON_Delete(m->json);
    free(m);
}
