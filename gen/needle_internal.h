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
enum { ND_LANG_EN, ND_LANG_ZH, ND_LANGS };
extern const char *const nd_lang_names[]; /* ND_LANGS names, then NULL */

/* Sentences of a haystack corpus; n == 0 means the built-in filler. */
typedef struct {
    char **sentences;
    size_t n;
} nd_haystack;

typedef struct {
    int task, lang;
    uint64_t seed, key;          /* key: sample index and attempt, for the RNG */
    const char *sep;             /* between context items */
    lw_buf prefix, open, close, suffix;
    int n_needles;
    char needle[ND_MAX_NEEDLES][256];
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
int nd_sample_setup(nd_sample *s, int task, int lang, uint64_t seed, uint64_t index, unsigned attempt,
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

/* Haystack sentences (needle_sentences.c). A document's text is cut into
 * sentences, its whitespace runs made one space, and each complete sentence
 * is passed to fn (which may keep or drop it; nonzero stops with that
 * value). `sentence` is the caller's scratch buffer. en: after . ! or ?
 * followed by ASCII white space or the end. zh: after the CJK stops
 * (。．｡！？； and their small forms) and any closing quotes or brackets
 * after them, whatever follows; after the other sentence terminators (. ! ?
 * and those of other scripts) when white space, a wide character or the end
 * follows (so 3.14 and example.com stay whole); a line break between wide
 * characters or punctuation and a wide character is dropped, not made a
 * space; a sentence that ended at a narrow stop and white space (or the
 * end) keeps one trailing space, since zh units are joined without one. */
typedef int (*nd_sentence_fn)(void *ctx, const char *s, size_t len);
int nd_split_sentences(int lang, const char *text, size_t len, lw_buf *sentence,
                       nd_sentence_fn fn, void *ctx);
/* zh: whether a code point is wide (East Asian Wide or Fullwidth). */
bool nd_wide(int32_t cp);

#endif
