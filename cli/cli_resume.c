/* --resume at the command line: is this run's output already there,
 * complete and made by the same command (then skip it), or is it to be
 * (re)made? (Claiming the output, the sweep of what an interrupted run left
 * and the replacing of an old dataset are the dataset module's: lw_output_claim.) */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "longweave/fileio.h"
#include "longweave/dataset.h"
#include "longweave/verify.h"

int cli_prepare_output(const char *cmd, const char *out, lw_out_kind kind, unsigned part,
                       unsigned nparts, int threads, bool resume, bool quiet, bool *force)
{
    if (!resume)
        return -1;
    char *path = lw_layout_manifest(out, kind, part, nparts);
    if (!path)
        return cli_fail(cmd, LW_E_NOMEM, "out of memory");
    int rc = -1;
    lw_manifest *m = NULL;
    lw_error err = {0};
    lw_status st = lw_manifest_load(path, &m, &err);
    if (st == LW_E_NOINPUT) {
        /* nothing finished here: (re)do it all */
    } else if (st) {
        fprintf(stderr, "longweave %s: %s; redoing this output\n", cmd, err.msg);
    } else if (!cJSON_Compare(cJSON_GetObjectItem(m->json, "command"), lw_manifest_command(),
                              true)) {
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
    lw_manifest_free(m);
    free(path);
    if (rc < 0)
        *force = true; /* replace what the interrupted run left */
    return rc;
}

int cli_doc_prepare_output(const char *cmd, cli_doc_opts *o, lw_out_kind kind)
{
    return cli_prepare_output(cmd, o->output, kind, o->part, o->nparts, o->threads, o->resume,
                              o->quiet, &o->force);
}
