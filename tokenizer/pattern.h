/* Split patterns of byte-level BPE tokenizers, rewritten for PCRE2.
 *
 * tiktoken and Hugging Face tokenizers run their patterns with Rust regex
 * semantics and Unicode 16 tables. PCRE2 differs in three ways that change
 * token ids: its \s also matches U+180E, its $ also matches before a final
 * newline, and its Unicode tables may be older. lw_pattern_compile rewrites
 * \s, \S, \d, \p{..} and \P{..} (general categories) into explicit Unicode 16
 * classes and compiles with PCRE2_DOLLAR_ENDONLY, UTF, UCP and JIT. */
#ifndef LONGWEAVE_PATTERN_H
#define LONGWEAVE_PATTERN_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "longweave/buf.h"
#include "longweave/status.h"
#include "pretok_builtin.h"

/* Nonzero: spell every class out in full whatever PCRE2's Unicode version
 * (the path taken on PCRE2 builds other than 14.x and 16.x); for tests. */
extern int lw_pattern_full_tables;

/* The built-in patterns, by name: "cl100k", "o200k", "r50k" (GPT-2, also
 * p50k), "llama3". NULL when unknown. */
const char *lw_pattern_builtin(const char *name);

/* Rewrite pattern into out (NUL-terminated). */
lw_status lw_pattern_translate(const char *pattern, lw_buf *out, lw_error *err);

/* Translate and compile (with JIT when available). */
lw_status lw_pattern_compile(const char *pattern, pcre2_code **out, lw_error *err);

/* A split pattern compiled twice. The fast form writes a class that holds
 * \p{..} as a group (Latin-1 bitmap | the class) for speed, but a repeated
 * group costs a JIT stack (or interpreter heap) frame per character, so a
 * run of 400K letters would not fit. The plain form writes each class as one
 * [...], which PCRE2 repeats in constant room; it matches exactly the same
 * pieces and is used for a match that ran out of room in the fast form.
 * A built-in pattern (recognised by its exact text) is matched by hand
 * (pretok_builtin.h); PCRE2's forms are compiled all the same, as the
 * reference. */
typedef struct {
    pcre2_code *fast, *plain;
    lw_pretok_kind builtin; /* a hand-written matcher of the same pattern */
} lw_split;
lw_status lw_split_compile(lw_split *re, const char *pattern, lw_error *err);
void lw_split_free(lw_split *re);

/* Per-thread match state. */
typedef struct lw_split_scratch lw_split_scratch;
lw_split_scratch *lw_split_scratch_new(void);
void lw_split_scratch_free(lw_split_scratch *s);

/* The first match at or after byte at of valid UTF-8 text: 1 with its
 * [*start, *end), 0 when there is none, or a PCRE2 error code (< 0). */
int lw_split_match(const lw_split *re, lw_split_scratch *s, const char *text, size_t len,
                   size_t at, size_t *start, size_t *end);
/* The same with PCRE2 whether or not re has a hand-written matcher: the
 * reference the matchers are tested against. */
int lw_split_match_pcre2(const lw_split *re, lw_split_scratch *s, const char *text, size_t len,
                         size_t at, size_t *start, size_t *end);

#endif
