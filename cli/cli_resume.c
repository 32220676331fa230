/* --resume and --force at the command line: is this run's output already
 * there, complete and made by the same command (then skip it), or is it to
 * be (re)made, with what an interrupted run left behind swept away? */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "longweave/fileio.h"
#include "longweave/manifest.h"
#include "longweave/verify.h"

char *cli_output_manifest(const char *out, cli_out_kind kind, unsigned part, unsigned nparts)
{
    if (kind == CLI_OUT_PREFIX)
        return lw_concat(out, ".manifest.json", "");
    char name[64];
    if (kind == CLI_OUT_DIR_PARTS && nparts > 1)
        snprintf(name, sizeof name, "manifest.part-%05u.json", part);
    else
        snprintf(name, sizeof name, "%s", LW_MANIFEST_NAME);
    return lw_concat(out, "/", name);
}

/* The final name a temporary file stands for: ".NAME.tmp.PID.N" gives
 * NAME (copied into base), or false for any other name. */
static bool tmp_final_name(const char *name, char *base, size_t cap)
{
    static const char digits[] = "0123456789";
    if (name[0] != '.')
        return false;
    const char *t = NULL;
    for (const char *p = strstr(name, ".tmp."); p; p = strstr(p + 1, ".tmp."))
        t = p;
    if (!t || t == name)
        return false;
    const char *q = t + 5;
    size_t pid = strspn(q, digits);
    if (pid == 0 || q[pid] != '.')
        return false;
    size_t n = strspn(q + pid + 1, digits);
    if (n == 0 || q[pid + 1 + n] != '\0')
        return false;
    size_t len = (size_t)(t - name - 1);
    if (len + 1 > cap)
        return false;
    memcpy(base, name + 1, len);
    base[len] = '\0';
    return true;
}

/* Which temporary files belong to the output being redone. */
typedef struct {
    const char *cmd;
    const char *name_prefix; /* NAME must start with it ("tok." beside a prefix) */
    char part_tag[32];       /* parts sharing a directory: the path under the output must
                              * hold "part-IIIII" (cip/len-L/.part-00001.bin.tmp.P.N,
                              * .cip-tokens-part-00001/.docs.bin.tmp.P.N) */
    size_t top_len;          /* length of the output's path, to find the path under it */
    unsigned removed;
} sweep_rule;

static void sweep_dir(const char *dir, sweep_rule *r, int depth)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    char base[1024];
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
        } else if (S_ISREG(sb.st_mode) && tmp_final_name(e->d_name, base, sizeof base)
                   && (!r->name_prefix || strncmp(base, r->name_prefix,
                                                  strlen(r->name_prefix)) == 0)
                   && (!r->part_tag[0] || strstr(path + r->top_len, r->part_tag))) {
            if (unlink(path) == 0)
                r->removed++;
            else if (errno != ENOENT)
                fprintf(stderr, "longweave %s: warning: cannot remove %s: %s\n", r->cmd, path,
                        strerror(errno));
        }
        free(path);
    }
    closedir(d);
}

/* Remove the temporary files of an earlier, interrupted run of this output;
 * those of other parts sharing the directory, and anything outside the
 * output, are left alone. */
static void sweep_tmp(const char *cmd, const char *out, cli_out_kind kind, unsigned part,
                      unsigned nparts)
{
    enum { DEPTH = 4 }; /* cip/len-0131072/part-00000.bin is two levels down */
    sweep_rule r = {.cmd = cmd};
    struct stat sb;
    bool is_dir = stat(out, &sb) == 0 && S_ISDIR(sb.st_mode);
    if (kind == CLI_OUT_PREFIX) {
        const char *slash = strrchr(out, '/');
        char *dir = slash ? strndup(out, (size_t)(slash - out)) : strdup(".");
        char *prefix = lw_concat(slash ? slash + 1 : out, ".", "");
        if (dir && prefix) {
            r.name_prefix = prefix; /* NAME.bin, NAME.idx, NAME.mask.bin... beside it */
            sweep_dir(dir[0] ? dir : "/", &r, 0);
            r.name_prefix = NULL;
        }
        free(dir);
        free(prefix);
        if (is_dir) /* an MDS directory */
            sweep_dir(out, &r, DEPTH);
    } else {
        if (kind == CLI_OUT_DIR_PARTS && nparts > 1)
            snprintf(r.part_tag, sizeof r.part_tag, "part-%05u", part);
        r.top_len = strlen(out);
        if (is_dir)
            sweep_dir(out, &r, DEPTH);
    }
    if (r.removed)
        fprintf(stderr, "longweave %s: removed %u temporary file%s of an interrupted run\n", cmd,
                r.removed, r.removed == 1 ? "" : "s");
}

int cli_prepare_output(const char *cmd, const char *out, cli_out_kind kind, unsigned part,
                       unsigned nparts, int threads, bool resume, bool quiet, bool *force)
{
    if (!resume) {
        if (*force)
            sweep_tmp(cmd, out, kind, part, nparts);
        return -1;
    }
    char *path = cli_output_manifest(out, kind, part, nparts);
    if (!path)
        return cli_fail(cmd, LW_E_NOMEM, "out of memory");
    int rc = -1;
    cJSON *m = NULL;
    lw_error err = {0};
    lw_status st = lw_manifest_read(path, &m, &err);
    if (st == LW_E_NOINPUT) {
        /* nothing finished here: (re)do it all */
    } else if (st) {
        fprintf(stderr, "longweave %s: %s; redoing this output\n", cmd, err.msg);
    } else if (!cJSON_Compare(cJSON_GetObjectItem(m, "command"), lw_manifest_command(), true)) {
        fprintf(stderr, "longweave %s: %s was written by another command; redoing this output\n",
                cmd, path);
    } else {
        lw_verify_result res;
        if ((st = lw_verify_run(path, threads, &res, &err))) {
            rc = cli_fail(cmd, st, err.msg);
        } else if (lw_verify_problems(&res) == 0) {
            if (!quiet)
                fprintf(stderr, "longweave %s: %s is complete and verified (%llu files); "
                        "nothing to do\n", cmd, path, (unsigned long long)res.files);
            rc = 0;
        } else {
            for (int k = 0; k < LW_VERIFY_KINDS; k++)
                if (res.problems[k]) {
                    fprintf(stderr, "longweave %s: %s does not verify (%s); redoing this "
                            "output\n", cmd, path, res.first[k]);
                    break;
                }
        }
    }
    cJSON_Delete(m);
    free(path);
    if (rc < 0)
        *force = true; /* replace what the interrupted run left */
    if (rc <= 0)
        sweep_tmp(cmd, out, kind, part, nparts);
    return rc;
}

int cli_doc_prepare_output(const char *cmd, cli_doc_opts *o, cli_out_kind kind)
{
    return cli_prepare_output(cmd, o->output, kind, o->part, o->nparts, o->threads, o->resume,
                              o->quiet, &o->force);
}
