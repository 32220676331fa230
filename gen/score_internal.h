/* Shared between score.c (reading and scoring) and score_report.c (the
 * report files): the scored samples and their sums per cell. */
#ifndef LONGWEAVE_SCORE_INTERNAL_H
#define LONGWEAVE_SCORE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "longweave/score.h"

typedef struct {
    char *id;
    int task;           /* index into sc_set.tasks */
    uint32_t length;
    double depth;       /* NAN: the task has no depth (cwe) */
    size_t n_answers;
    char **answers;     /* as the set gives them */
    char **folded;      /* width- and case-folded, NFC */
    bool *found;
    double score;
    bool predicted;
} sc_record;

/* Score sums per (task, length, depth) cell; depth index n_depths is "no depth". */
typedef struct {
    sc_record *rec;
    size_t n, cap;
    char **tasks;
    size_t n_tasks, n_tasks_cap;
    uint32_t *lengths;  /* distinct, ascending */
    size_t n_lengths;
    double *depths;     /* distinct, ascending, without NAN */
    size_t n_depths;
    double *sum;
    uint64_t *count;
    char **unknown;     /* the first unknown prediction ids */
    size_t n_unknown;
    uint64_t unknown_total;
} sc_set;

enum { SC_UNKNOWN_LISTED = 100 };

static inline size_t sc_cell(const sc_set *s, size_t task, size_t length, size_t depth)
{
    return (task * s->n_lengths + length) * (s->n_depths + 1) + depth;
}

/* Mean over the cells matching task, length and depth (SIZE_MAX: any);
 * *n gets the number of samples. NAN when there are none. */
double sc_mean(const sc_set *s, size_t task, size_t length, size_t depth, uint64_t *n);

/* "0%", "10%", "33.3%"; "all" for NAN. */
void sc_depth_label(double depth, char *out, size_t cap);
/* "4K", "128K", "1M", or the number when not a multiple of 1024. */
void sc_length_label(uint32_t length, char *out, size_t cap);

lw_status sc_write_report(const sc_set *s, const lw_score_config *cfg,
                          const lw_score_result *res, lw_error *err);

#endif
