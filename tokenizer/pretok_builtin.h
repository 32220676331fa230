/* Hand-written matchers for the built-in split patterns (cl100k, o200k,
 * r50k/p50k, llama3 and Qwen2/3's variant of it): the same pieces as PCRE2
 * running the pattern (which stays the reference and the path for every
 * other pattern), without a regex engine. Character classes come from the
 * Unicode 16 tables the PCRE2 patterns are written with (unicode_tables.h). */
#ifndef LONGWEAVE_PRETOK_BUILTIN_H
#define LONGWEAVE_PRETOK_BUILTIN_H

#include <stddef.h>

typedef enum {
    LW_PRETOK_NONE = 0,
    LW_PRETOK_CL100K,
    LW_PRETOK_LLAMA3,
    LW_PRETOK_QWEN2, /* llama3's pattern with single digits (\p{N}) */
    LW_PRETOK_O200K,
    LW_PRETOK_R50K,
} lw_pretok_kind;

/* The matcher for exactly this pattern string, or LW_PRETOK_NONE. */
lw_pretok_kind lw_pretok_recognise(const char *pattern);

/* Nonzero (the default): lw_split_compile uses a recognised matcher. Zero
 * makes every split go through PCRE2; for tests and benchmarks. */
extern int lw_pretok_enabled;

/* The end of the match that starts at byte at (< len) of valid UTF-8 text.
 * Every built-in pattern matches at every character, so the match always
 * starts at at and is never empty. */
size_t lw_pretok_match(lw_pretok_kind kind, const char *text, size_t len, size_t at);

#endif
