/* `longweave verify`: lw_verify_run on each path, a report, exit 0 or 65. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "longweave/verify.h"

static const char usage[] =
    "Usage: longweave verify PATH... [options]\n"
    "\n"
    "Re-check everything an output promises. With a manifest (an output directory, a\n"
    "tokenize PREFIX, or the manifest file): every file it lists is there, with its\n"
    "size and sha256. Then the structure of every token dataset: Megatron indexes\n"
    "(magic, lengths, pointers following each other, document indices rising to N),\n"
    "ids below the vocabulary size, loss masks as long as their sequences and only\n"
    "0/1, CIP .map sidecars adding up to each sequence, and the same for datatrove,\n"
    "MDS, llm.c, .npy and JSON Lines outputs. A dataset without a manifest gets the\n"
    "structural checks. Exit 0 when sound; otherwise 65, naming the first problem of\n"
    "each kind (missing, size, checksum, structure, token, mask, map).\n"
    "\n";

static const char usage_tail[] =
    "\n"
    "Examples:\n"
    "  longweave verify out/cip            # a stage's output directory\n"
    "  longweave verify tok/llama3         # tokenize's PREFIX (PREFIX.manifest.json)\n"
    "  longweave verify /data/megatron/c4_text_document   # any Megatron dataset\n"
    "\n"
    "Exit status: 0 sound, 64 usage, 65 a problem found, 66 nothing to verify at PATH.\n";

static void print_json(const char *path, const lw_verify_result *r)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "path", path);
    cJSON_AddBoolToObject(o, "sound", lw_verify_problems(r) == 0);
    cJSON_AddNumberToObject(o, "manifests", r->manifests);
    cJSON_AddNumberToObject(o, "files", (double)r->files);
    cJSON_AddNumberToObject(o, "bytes", (double)r->bytes);
    cJSON_AddNumberToObject(o, "datasets", (double)r->datasets);
    cJSON_AddNumberToObject(o, "sequences", (double)r->sequences);
    cJSON_AddNumberToObject(o, "tokens", (double)r->tokens);
    cJSON *p = cJSON_AddObjectToObject(o, "problems");
    for (int k = 0; k < LW_VERIFY_KINDS; k++)
        if (r->problems[k]) {
            cJSON *e = cJSON_AddObjectToObject(p, lw_verify_kind_name((lw_verify_kind)k));
            cJSON_AddNumberToObject(e, "count", (double)r->problems[k]);
            cJSON_AddStringToObject(e, "first", r->first[k]);
        }
    char *text = cJSON_PrintUnformatted(o);
    if (text)
        printf("%s\n", text);
    free(text);
    cJSON_Delete(o);
}

int cmd_verify(int argc, char **argv)
{
    static const char *cmd = "verify";
    bool json = false, quiet = false;
    unsigned threads = 0;
    const cli_option options[] = {
        CLI_OPT_UINT('j', "threads", "N", &threads, 1, 1024,
                     "files checksummed in parallel (default: all cores)"),
        CLI_OPT_BOOL(0, "json", &json, "print the results as one JSON object per path"),
        CLI_OPT_BOOL('q', "quiet", &quiet, "print only problems"),
        CLI_OPT_END,
    };
    int first, rc = 0;
    if (!cli_parse_options(cmd, options, argc, argv, usage, usage_tail, &first, &rc))
        return rc;
    if (first >= argc)
        return cli_usage_error(cmd, "give the output to verify (a directory or a PREFIX)");
    for (int i = first; i < argc; i++) {
        lw_verify_result *r = malloc(sizeof *r);
        if (!r)
            return cli_fail(cmd, LW_E_NOMEM, "out of memory");
        lw_error err = {0};
        double start = cli_now();
        lw_status st = lw_verify_run(argv[i], (int)threads, r, &err);
        if (st) {
            int code = cli_fail(cmd, st, err.msg);
            rc = rc ? rc : code;
            free(r);
            continue;
        }
        uint64_t problems = lw_verify_problems(r);
        if (json)
            print_json(argv[i], r);
        for (int k = 0; k < LW_VERIFY_KINDS; k++)
            if (r->problems[k])
                fprintf(stderr, "longweave verify: %s: %s problem%s (%llu): %s\n", argv[i],
                        lw_verify_kind_name((lw_verify_kind)k), r->problems[k] == 1 ? "" : "s",
                        (unsigned long long)r->problems[k], r->first[k]);
        if (!quiet) {
            char b[32], rate[32];
            double secs = cli_now() - start;
            fprintf(stderr, "longweave verify: %s: %s%llu file%s (%s) against %d manifest%s; "
                    "%llu dataset%s, %llu sequences, %llu tokens; %.2f s, %s/s\n", argv[i],
                    problems ? "NOT SOUND: " : "sound: ", (unsigned long long)r->files,
                    r->files == 1 ? "" : "s", cli_human_bytes(r->bytes, b, sizeof b),
                    r->manifests, r->manifests == 1 ? "" : "s", (unsigned long long)r->datasets,
                    r->datasets == 1 ? "" : "s",
                    (unsigned long long)r->sequences, (unsigned long long)r->tokens, secs,
                    cli_human_bytes(secs > 0 ? (uint64_t)((double)r->bytes / secs) : 0, rate,
                                    sizeof rate));
        }
        if (problems && !rc)
            rc = LW_E_DATA;
        free(r);
    }
    return rc;
}
