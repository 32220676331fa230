/* Document filters: length in code points, keep/drop regular expressions
 * (PCRE2 with JIT, UTF and Unicode properties), and exact deduplication by a
 * 128-bit content hash.
 *
 * A compiled lw_filter is read-only and shared by all threads; each thread
 * brings its own lw_filter_scratch (match data and JIT stack). */
#ifndef LONGWEAVE_FILTER_H
#define LONGWEAVE_FILTER_H

#include <stddef.h>
#include <stdint.h>

#include "longweave/doc.h"
#include "longweave/hash.h"
#include "longweave/status.h"

typedef struct {
    size_t min_chars;            /* 0: no minimum */
    size_t max_chars;            /* 0: no maximum */
    const char *const *keep_re;  /* keep a document only if one of these matches */
    size_t n_keep;
    const char *const *drop_re;  /* drop a document if any of these matches */
    size_t n_drop;
} lw_filter_opts;

typedef struct lw_filter lw_filter;
typedef struct lw_filter_scratch lw_filter_scratch;

/* Compile the expressions; a bad one is LW_E_USAGE naming it and the column. */
lw_status lw_filter_new(lw_filter **out, const lw_filter_opts *opts, lw_error *err);
void lw_filter_free(lw_filter *f);
lw_filter_scratch *lw_filter_scratch_new(const lw_filter *f);
void lw_filter_scratch_free(lw_filter_scratch *s);

/* LW_SKIP_NONE to keep; otherwise the reason (detail filled for regex errors).
 * text must be valid UTF-8 of `chars` code points. */
lw_skip lw_filter_apply(const lw_filter *f, lw_filter_scratch *s, const char *text, size_t len,
                        size_t chars, char *detail, size_t detail_cap);

/* A set of 128-bit hashes (open addressing). Memory grows with the number of
 * distinct documents: about 32 bytes each. Not thread-safe: used from the
 * single in-order commit step, so the first occurrence always wins. */
typedef struct lw_dedup lw_dedup;
lw_dedup *lw_dedup_new(void);
/* 1 if h was new (now inserted), 0 if seen before, -1 if out of memory. */
int lw_dedup_insert(lw_dedup *d, lw_hash128 h);
size_t lw_dedup_count(const lw_dedup *d);
void lw_dedup_free(lw_dedup *d);

#endif
