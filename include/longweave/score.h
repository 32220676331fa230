/* `score`: a model's answers to an evaluation set, scored the way RULER
 * does (string_match_all): a sample's score is the share of its answers
 * that the prediction contains, ignoring case (Unicode case folding, NFC),
 * so a single-answer retrieval is right or wrong and multi-answer tasks get
 * partial credit. Samples without a prediction score 0 and are listed.
 *
 * Outputs (when outdir is set): report.md (per task, per length, per depth,
 * a task x length table, missing ids), scores.jsonl (one line per sample),
 * heatmap-TASK.svg (depth x length grid from red 0 to green 1). */
#ifndef LONGWEAVE_SCORE_H
#define LONGWEAVE_SCORE_H

#include <stdbool.h>
#include <stdint.h>

#include "longweave/status.h"

struct cJSON;

typedef struct {
    const char *evalset;     /* a `needle` output directory, or one of its .jsonl files */
    const char *predictions; /* JSON Lines {"id","prediction"}; "-" is stdin */
    const char *outdir;      /* the report directory; NULL: no files */
    bool force;              /* replace a report already in outdir */
} lw_score_config;

typedef struct {
    uint64_t samples, predicted, missing;
    uint64_t unknown;        /* predictions whose id is not in the set (ignored) */
    double overall;          /* mean over all samples, 0 to 1 */
    /* {"overall","samples","missing","unknown_ids","tasks":{name: score},
     *  "lengths":{"4096": score}, "depths":{"0.5": score}}; owned */
    struct cJSON *summary;
} lw_score_result;

lw_status lw_score_run(const lw_score_config *cfg, lw_score_result *res, lw_error *err);
void lw_score_result_free(lw_score_result *res);

#endif
