/* Whether regexes (split patterns, --keep-regex/--drop-regex) are compiled
 * with PCRE2's JIT. */
#ifndef LONGWEAVE_REGEX_JIT_H
#define LONGWEAVE_REGEX_JIT_H

#include <stdbool.h>

/* True unless the environment has LONGWEAVE_PCRE2_JIT=0. The JIT's SIMD
 * scans read the subject in aligned 16-byte blocks that may pass its end
 * (never into another page): harmless, but valgrind reports every such
 * read, so `make valgrind` turns the JIT off. Matches are the same. */
bool lw_regex_jit_enabled(void);

#endif
