/* Shared between the needle modules: one sample's fixed texts (instruction,
 * needles, question, answers) and its context units (haystack sentences,
 * filler, list items or JSON pairs). needle_task.c writes the texts of each
 * task family; needle.c fits the context to the length and writes the set. */
#ifndef LONGWEAVE_NEEDLE_INTERNAL_H
#define LONGWEAVE_NEEDLE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "longweave/buf.h"
#include "longweave/rng.h"

enum {
    ND_NIAH_SINGLE, ND_NIAH_MULTIKEY, ND_NIAH_MULTIVALUE, ND_NIAH_MULTIQUERY, ND_PASSKEY, ND_VT,
    ND_CWE, ND_KV, ND_TASKS
};
enum { ND_MAX_NEEDLES = 8, ND_MAX_ANSWERS = 10 };

/* Sentences of a haystack corpus; n == 0 means the built-in filler. */
typedef struct {
    char **sentences;
    size_t n;
} nd_haystack;

typedef struct {
    int task;
    uint64_t seed, key;          /* key: sample index and attempt, for the RNG */
    const char *sep;             /* between context items */
    lw_buf prefix, open, close, suffix;
    int n_needles;
    char needle[ND_MAX_NEEDLES][192];
    double needle_depth[ND_MAX_NEEDLES]; /* needle 0 is the one at the asked depth */
    int n_answers;
    char answers[ND_MAX_ANSWERS][48];
    /* How often each answer occurs in the context; checked after building,
     * and the sample is drawn again if a haystack sentence happens to hold
     * an answer too. */
    uint32_t answer_count[ND_MAX_ANSWERS];
    size_t hay_start;            /* first haystack sentence */
    uint32_t cwe_freq;           /* cwe: occurrences of each common word */
} nd_sample;

/* Draw a sample's texts. Returns 0, or -1 when out of memory. */
int nd_sample_setup(nd_sample *s, int task, uint64_t seed, uint64_t index, unsigned attempt,
                    double depth, uint32_t length, const nd_haystack *hay);
void nd_sample_free(nd_sample *s);

/* The context units of a sample: unit i is text[start[i], start[i + 1]). */
typedef struct {
    lw_buf text;
    size_t *start;
    size_t n, cap;
} nd_units;

/* The first n units (for cwe: the whole list of n items). Returns 0 or -1. */
int nd_units_make(const nd_sample *s, const nd_haystack *hay, size_t n, nd_units *u);
/* The context may start with a piece of a unit, to fill the last tokens:
 * how many pieces unit i offers (0: none, for cwe items, which are short
 * and whose counts are the answer), and the k-th (1 <= k <= cuts)
 * appended to out: a sentence's last k words (so that every needle still
 * follows a whole sentence), or a JSON pair shortened to its key's first k
 * characters (and an empty value), then to the whole key and the value's
 * first k - 36. */
size_t nd_unit_cuts(const nd_sample *s, const char *unit, size_t len);
int nd_unit_cut(const nd_sample *s, const char *unit, size_t len, size_t k, lw_buf *out);
void nd_units_free(nd_units *u);

#endif
