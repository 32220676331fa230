/* The document source of a stage: which inputs, how they are read (formats,
 * text/id keys, UTF-8 policy, size limit, --strict), which --part, how many
 * threads, and where warnings and progress go. Every stage that reads
 * documents embeds an lw_source_config and opens an lw_source from it. */
#ifndef LONGWEAVE_SOURCE_H
#define LONGWEAVE_SOURCE_H

#include <stdbool.h>
#include <stddef.h>

#include "longweave/docflow.h"
#include "longweave/input.h"
#include "longweave/reader.h"

struct cJSON;

typedef struct {
    const char *const *inputs;
    size_t n_inputs;
    lw_input_opts input;
    lw_doc_opts doc;
    size_t max_doc_bytes;  /* 0: 256 MiB */
    bool strict;
    unsigned part, nparts; /* --part I/N; nparts 0 means 1 */
    int threads;           /* 0: all cores */
    lw_warn_fn warn;
    lw_progress_fn progress;
    void *cb_ctx;
} lw_source_config;

/* An opened source: the input list, this part's plan, the reader, and the
 * in-order bookkeeping (flow) that counts into the stage's stats. */
typedef struct {
    const lw_source_config *cfg;
    lw_input_list inputs;
    lw_part_plan plan;
    lw_reader *reader;
    lw_docflow flow;
    int threads;
} lw_source;

/* Plan the inputs and open the reader. stats receives the file counts now
 * and the document counts as the stage commits through s->flow. */
lw_status lw_source_open(lw_source *s, const lw_source_config *cfg, lw_doc_stats *stats,
                         lw_error *err);
/* Copy the reader's byte and blank-line counts into the stats and report
 * progress; call after each committed batch, done (NULL: what the reader
 * has handed out), with the tokens written so far (0: not counted). The
 * bytes reported are done's: the read-ahead of the batch after it is not
 * work finished. */
void lw_source_progress(lw_source *s, const lw_batch *done, uint64_t tokens);
/* At the end of the input, before the output is published: the final
 * lw_source_progress, then lw_docflow_check_end (nothing written because
 * no document had the text field is LW_E_DATA). */
lw_status lw_source_finish(lw_source *s, lw_error *err);
void lw_source_close(lw_source *s);

/* Manifest pieces: the reading options ("part", "text_key", ...) added to a
 * config object (false: out of memory, some may be missing), and
 * {"files": [{"path","bytes",...}]} of this part (NULL: out of memory). */
bool lw_source_config_to_json(const lw_source_config *cfg, struct cJSON *config);
struct cJSON *lw_source_inputs_json(const lw_source *s);

#endif
