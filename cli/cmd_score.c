/* `longweave score`: flags in, lw_score_run, summary and exit code out. */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "longweave/score.h"

static const char usage[] =
    "Usage: longweave score EVALSET PREDICTIONS.jsonl -o REPORTDIR [options]\n"
    "\n"
    "Score a model's answers to an evaluation set written by 'longweave needle'.\n"
    "EVALSET is its output directory (or one of its .jsonl files); PREDICTIONS holds\n"
    "one {\"id\": ..., \"prediction\": \"...\"} per line (- for stdin). As RULER does, a\n"
    "sample scores the share of its answers that the prediction contains, ignoring\n"
    "case and width (\uff14\uff12 is 42); samples without a prediction score 0 and are\n"
    "listed. Writes\n"
    "REPORTDIR/report.md (per task, length and depth), REPORTDIR/scores.jsonl (one line\n"
    "per sample) and REPORTDIR/heatmap-TASK.svg (depth x length, red 0 to green 1).\n"
    "\n"
    "  -o, --output DIR        report directory (required unless --json)\n"
    "      --json              print the scores as one JSON object on stdout: overall,\n"
    "                          samples, missing, unknown_ids, tasks, lengths, depths\n"
    "      --force             replace a report already in DIR\n"
    "  -q, --quiet             no summary on stderr\n"
    "  -h, --help              this help\n"
    "\n"
    "Examples:\n"
    "  longweave score eval/ preds.jsonl -o eval-report/\n"
    "  my_model_generate < eval/niah_single.jsonl | longweave score eval/ - --json\n"
    "\n"
    "Exit status: 0 ok, 64 usage, 65 malformed set or predictions, 66 missing input,\n"
    "73 cannot create output, 74 I/O error.\n";

enum { OPT_JSON = 256, OPT_FORCE };

static const struct option long_opts[] = {
    {"output", required_argument, NULL, 'o'}, {"json", no_argument, NULL, OPT_JSON},
    {"force", no_argument, NULL, OPT_FORCE},  {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
};

int cmd_score(int argc, char **argv)
{
    static const char *cmd = "score";
    lw_score_config cfg = {0};
    bool json = false, quiet = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:qh", long_opts, NULL)) != -1) {
        switch (c) {
        case 'o': cfg.outdir = optarg; break;
        case OPT_JSON: json = true; break;
        case OPT_FORCE: cfg.force = true; break;
        case 'q': quiet = true; break;
        case 'h': fputs(usage, stdout); return 0;
        default: return cli_usage_error(cmd, "unknown or incomplete option");
        }
    }
    if (argc - optind != 2)
        return cli_usage_error(cmd, "give the evaluation set and the predictions file");
    if (!cfg.outdir && !json)
        return cli_usage_error(cmd, "-o REPORTDIR is required (or --json for scores only)");
    cfg.evalset = argv[optind];
    cfg.predictions = argv[optind + 1];
    lw_score_result res;
    lw_error err = {0};
    lw_status st = lw_score_run(&cfg, &res, &err);
    if (st)
        return cli_fail(cmd, st, err.msg);
    int rc = 0;
    if (json) {
        char *text = cJSON_PrintUnformatted(res.summary);
        if (!text || printf("%s\n", text) < 0 || fflush(stdout) != 0)
            rc = cli_fail(cmd, LW_E_IO, "cannot write the scores to stdout");
        free(text);
    }
    if (!quiet) {
        if (res.missing)
            fprintf(stderr, "longweave score: warning: %llu of %llu samples have no prediction; "
                    "they score 0%s\n", (unsigned long long)res.missing,
                    (unsigned long long)res.samples,
                    cfg.outdir ? " and are listed in report.md" : "");
        if (res.unknown)
            fprintf(stderr, "longweave score: warning: %llu predictions have ids that are not in "
                    "the evaluation set; they were ignored\n", (unsigned long long)res.unknown);
        fprintf(stderr, "longweave score: overall %.3f over %llu samples", res.overall,
                (unsigned long long)res.samples);
        const cJSON *t, *tasks = cJSON_GetObjectItemCaseSensitive(res.summary, "tasks");
        const char *sep = " (";
        cJSON_ArrayForEach(t, tasks)
        {
            fprintf(stderr, "%s%s %.3f", sep, t->string, t->valuedouble);
            sep = ", ";
        }
        fprintf(stderr, "%s%s%s\n", *sep == ',' ? ")" : "", cfg.outdir ? "; report in " : "",
                cfg.outdir ? cfg.outdir : "");
    }
    lw_score_result_free(&res);
    return rc;
}
