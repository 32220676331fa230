/* `longweave score`: flags in, lw_score_run, summary and exit code out. */
#include <cjson/cJSON.h>
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
    "\n";

static const char usage_tail[] =
    "\n"
    "Examples:\n"
    "  longweave score eval/ preds.jsonl -o eval-report/\n"
    "  my_model_generate < eval/niah_single.jsonl | longweave score eval/ - --json\n"
    "\n"
    "Exit status: 0 ok, 64 usage, 65 malformed set or predictions, 66 missing input,\n"
    "73 cannot create output, 74 I/O error.\n";

int cmd_score(int argc, char **argv)
{
    static const char *cmd = "score";
    lw_score_config cfg = {0};
    bool json = false, quiet = false;
    const cli_option options[] = {
        CLI_OPT_STR('o', "output", "DIR", &cfg.outdir, "report directory (required unless --json)"),
        CLI_OPT_BOOL(0, "json", &json,
                     "print the scores as one JSON object on stdout: overall,\n"
                     "samples, missing, unknown_ids, tasks, lengths, depths"),
        CLI_OPT_BOOL(0, "force", &cfg.force, "replace a report already in DIR"),
        CLI_OPT_BOOL('q', "quiet", &quiet, "no summary on stderr"),
        CLI_OPT_END,
    };
    int first, prc = 0;
    if (!cli_parse_options(cmd, options, argc, argv, usage, usage_tail, &first, &prc))
        return prc;
    if (argc - first != 2)
        return cli_usage_error(cmd, "give the evaluation set and the predictions file");
    if (!cfg.outdir && !json)
        return cli_usage_error(cmd, "-o REPORTDIR is required (or --json for scores only)");
    cfg.evalset = argv[first];
    cfg.predictions = argv[first + 1];
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
