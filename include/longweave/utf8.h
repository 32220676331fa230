/* UTF-8 validation and repair.
 *
 * Repair follows the Unicode Standard's "substitution of maximal subparts"
 * (chapter 3, U+FFFD substitution), the practice of the WHATWG Encoding
 * standard and of Python's bytes.decode("utf-8", "replace"): each maximal
 * ill-formed subsequence becomes one U+FFFD. Surrogates (ED A0..BF) and
 * overlong forms are ill-formed. */
#ifndef LONGWEAVE_UTF8_H
#define LONGWEAVE_UTF8_H

#include <stddef.h>

#include "longweave/buf.h"

/* Length of the well-formed prefix of s[0..len): len when all of it is valid.
 * *chars (if not NULL) receives the number of code points in that prefix. */
size_t lw_utf8_valid_prefix(const char *s, size_t len, size_t *chars);

/* Append s[0..len) to out, each maximal ill-formed subpart replaced by U+FFFD.
 * *replaced receives the number of substitutions, *chars the code points
 * written. Returns 0, or -1 when out of memory. */
int lw_utf8_repair(const char *s, size_t len, lw_buf *out, size_t *replaced, size_t *chars);

/* Length in bytes of the longest prefix of s[0..len) that is at most max_bytes
 * and does not cut a well-formed sequence (s must be valid UTF-8). */
size_t lw_utf8_clip(const char *s, size_t len, size_t max_bytes);

#endif
