/* manifest.json writing and output-directory preparation. */
#include "longweave/manifest.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "longweave/buf.h"
#include "longweave/fileio.h"
#include "longweave/outfile.h"
#include "longweave/version.h"

/* The command line of this process, as lw_manifest_set_command recorded it;
 * written once at start-up, before any thread, and read-only after. */
static cJSON *command_line;

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
    for (int i = 0; command_line && i < argc; i++) {
        bool value;
        if (strcmp(argv[i], "--") == 0) { /* operands from here on */
            for (; i < argc; i++)
                cJSON_AddItemToArray(command_line, cJSON_CreateString(argv[i]));
            break;
        }
        if (run_only_option(argv[i], &value)) {
            i += value;
            continue;
        }
        cJSON_AddItemToArray(command_line, cJSON_CreateString(argv[i]));
    }
}

const cJSON *lw_manifest_command(void)
{
    return command_line;
}

cJSON *lw_manifest_new(const char *stage)
{
    cJSON *m = cJSON_CreateObject();
    cJSON *tool = cJSON_CreateObject();
    if (!m || !tool) {
        cJSON_Delete(m);
        cJSON_Delete(tool);
        return NULL;
    }
    cJSON_AddStringToObject(m, "format", "longweave-manifest");
    cJSON_AddNumberToObject(m, "format_version", 1);
    cJSON_AddStringToObject(tool, "name", "longweave");
    cJSON_AddStringToObject(tool, "version", LW_VERSION);
    cJSON_AddItemToObject(m, "tool", tool);
    cJSON_AddStringToObject(m, "stage", stage);
    if (command_line)
        cJSON_AddItemToObject(m, "command", cJSON_Duplicate(command_line, true));
    return m;
}

lw_status lw_manifest_write_to(const cJSON *m, const char *path, lw_error *err)
{
    char *text = cJSON_Print(m);
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

lw_status lw_manifest_write(const cJSON *m, const char *dir, lw_error *err)
{
    char *path = lw_concat(dir, "/", LW_MANIFEST_NAME);
    if (!path)
        return lw_error_set(err, LW_E_NOMEM, "out of memory writing the manifest");
    lw_status st = lw_manifest_write_to(m, path, err);
    free(path);
    return st;
}

lw_status lw_manifest_read(const char *path, cJSON **out, lw_error *err)
{
    *out = NULL;
    lw_buf b = {0};
    lw_status st = lw_file_read_all(path, &b, err);
    if (!st && !(*out = cJSON_ParseWithLength(b.data ? b.data : "", b.len)))
        st = lw_error_set(err, LW_E_DATA, "%s: not valid JSON", path);
    lw_buf_free(&b);
    return st;
}

static bool matches(const char *name, const char *const *globs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (fnmatch(globs[i], name, 0) == 0)
            return true;
    return false;
}

lw_status lw_outdir_prepare(const char *dir, const char *const *globs, size_t n_globs,
                            bool force, lw_error *err)
{
    lw_status st = lw_mkdirs(dir, err);
    if (st)
        return st;
    DIR *d = opendir(dir);
    if (!d)
        return lw_error_errno(err, LW_E_CANTCREAT, errno, "cannot open output directory", dir);
    const char *found = NULL;
    char first[256] = "";
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, LW_MANIFEST_NAME) == 0 || matches(e->d_name, globs, n_globs)) {
            snprintf(first, sizeof first, "%s", e->d_name);
            found = first;
            break;
        }
    }
    closedir(d);
    if (!found)
        return LW_OK;
    if (!force)
        return lw_error_set(err, LW_E_CANTCREAT,
                            "%s already holds a dataset (%s); use --force to replace it", dir,
                            found);
    char *path = lw_concat(dir, "/", LW_MANIFEST_NAME);
    if (!path)
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    if (unlink(path) != 0 && errno != ENOENT)
        st = lw_error_errno(err, LW_E_CANTCREAT, errno, "cannot remove old", path);
    free(path);
    return st;
}

/* p (malloc'd, NULL when out of memory) becomes *path unless a manifest is
 * already there and force is off; with force the old one goes first, so a
 * run that dies leaves no manifest promising the old files. */
static lw_status take_manifest_path(char *p, bool force, const char *what, char **path,
                                    lw_error *err)
{
    if (!p)
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    lw_status st = LW_OK;
    if (access(p, F_OK) == 0) {
        if (!force)
            st = lw_error_set(err, LW_E_CANTCREAT, "%s already exists (%s); use --force to "
                              "replace it", p, what);
        else if (unlink(p) != 0)
            st = lw_error_errno(err, LW_E_CANTCREAT, errno, "cannot remove old", p);
    }
    if (st)
        free(p);
    else
        *path = p;
    return st;
}

lw_status lw_manifest_claim(const char *dir, unsigned part, unsigned nparts, bool force,
                            const char *what, char **path, lw_error *err)
{
    *path = NULL;
    lw_status st = lw_mkdirs(dir, err);
    if (st)
        return st;
    char name[64];
    if (nparts > 1)
        snprintf(name, sizeof name, "manifest.part-%05u.json", part);
    else
        snprintf(name, sizeof name, "%s", LW_MANIFEST_NAME);
    return take_manifest_path(lw_concat(dir, "/", name), force, what, path, err);
}

lw_status lw_manifest_claim_prefix(const char *prefix, bool force, const char *what, char **path,
                                   lw_error *err)
{
    *path = NULL;
    lw_status st = lw_mkdirs_for(prefix, err);
    if (st)
        return st;
    return take_manifest_path(lw_concat(prefix, ".manifest.json", ""), force, what, path, err);
}

lw_status lw_outdir_remove_stale(const char *dir, const char *const *globs, size_t n_globs,
                                 const char *const *keep, size_t n_keep, lw_error *err)
{
    DIR *d = opendir(dir);
    if (!d)
        return lw_error_errno(err, LW_E_IO, errno, "cannot open output directory", dir);
    lw_status st = LW_OK;
    struct dirent *e;
    while (!st && (e = readdir(d)) != NULL) {
        if (!matches(e->d_name, globs, n_globs))
            continue;
        bool kept = false;
        for (size_t i = 0; i < n_keep && !kept; i++)
            kept = strcmp(keep[i], e->d_name) == 0;
        if (kept)
            continue;
        char *path = lw_concat(dir, "/", e->d_name);
        if (!path)
            st = lw_error_set(err, LW_E_NOMEM, "out of memory");
        else if (unlink(path) != 0 && errno != ENOENT)
            st = lw_error_errno(err, LW_E_IO, errno, "cannot remove stale", path);
        free(path);
    }
    closedir(d);
    return st;
}

char *lw_manifest_find(const char *prefix)
{
    size_t n = strlen(prefix) + 32;
    char *p = malloc(n);
    if (!p)
        return NULL;
    snprintf(p, n, "%s.manifest.json", prefix);
    if (access(p, F_OK) == 0)
        return p;
    /* up to three folders up: OUTDIR/cip/len-0008192/part-00000 */
    snprintf(p, n, "%s", prefix);
    for (int up = 0; up < 3; up++) {
        char *slash = strrchr(p, '/');
        if (!slash)
            break;
        strcpy(slash, "/" LW_MANIFEST_NAME);
        if (access(p, F_OK) == 0)
            return p;
        *slash = '\0';
    }
    free(p);
    return NULL;
}
