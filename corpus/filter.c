/* Length and regex filters (PCRE2 JIT) and the exact-duplicate hash set. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "longweave/filter.h"

#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "longweave/regex_jit.h"

enum { JIT_STACK_MAX = 8 << 20 };

struct lw_filter {
    size_t min_chars, max_chars;
    pcre2_code **keep, **drop;
    size_t n_keep, n_drop;
};

struct lw_filter_scratch {
    pcre2_match_data *md;
    pcre2_match_context *mctx;
    pcre2_jit_stack *jit;
};

static lw_status compile(const char *pattern, const char *flag, pcre2_code **out, lw_error *err)
{
    int code;
    PCRE2_SIZE at;
    *out = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, PCRE2_UTF | PCRE2_UCP, &code,
                         &at, NULL);
    if (!*out) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(code, msg, sizeof msg);
        return lw_error_set(err, LW_E_USAGE, "%s '%s': %s at offset %zu", flag, pattern,
                            (char *)msg, (size_t)at);
    }
    /* JIT is an optimisation: where it is unavailable the interpreter runs. */
    if (lw_regex_jit_enabled())
        pcre2_jit_compile(*out, PCRE2_JIT_COMPLETE);
    return LW_OK;
}

lw_status lw_filter_new(lw_filter **out, const lw_filter_opts *opts, lw_error *err)
{
    lw_filter *f = calloc(1, sizeof *f);
    if (!f)
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    f->min_chars = opts->min_chars;
    f->max_chars = opts->max_chars;
    f->keep = calloc(opts->n_keep + 1, sizeof *f->keep);
    f->drop = calloc(opts->n_drop + 1, sizeof *f->drop);
    if (!f->keep || !f->drop) {
        lw_filter_free(f);
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    }
    lw_status st = LW_OK;
    for (size_t i = 0; i < opts->n_keep && !st; i++, f->n_keep++)
        st = compile(opts->keep_re[i], "--keep-regex", &f->keep[i], err);
    for (size_t i = 0; i < opts->n_drop && !st; i++, f->n_drop++)
        st = compile(opts->drop_re[i], "--drop-regex", &f->drop[i], err);
    if (st) {
        lw_filter_free(f);
        return st;
    }
    *out = f;
    return LW_OK;
}

void lw_filter_free(lw_filter *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->n_keep; i++)
        pcre2_code_free(f->keep[i]);
    for (size_t i = 0; i < f->n_drop; i++)
        pcre2_code_free(f->drop[i]);
    free(f->keep);
    free(f->drop);
    free(f);
}

lw_filter_scratch *lw_filter_scratch_new(const lw_filter *f)
{
    (void)f;
    lw_filter_scratch *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->md = pcre2_match_data_create(1, NULL);
    s->mctx = pcre2_match_context_create(NULL);
    s->jit = pcre2_jit_stack_create(32 << 10, JIT_STACK_MAX, NULL);
    if (!s->md || !s->mctx || !s->jit) {
        lw_filter_scratch_free(s);
        return NULL;
    }
    pcre2_jit_stack_assign(s->mctx, NULL, s->jit);
    return s;
}

void lw_filter_scratch_free(lw_filter_scratch *s)
{
    if (!s)
        return;
    pcre2_match_data_free(s->md);
    pcre2_match_context_free(s->mctx);
    pcre2_jit_stack_free(s->jit);
    free(s);
}

/* 1 match, 0 no match, <0 PCRE2 error code. */
static int search(pcre2_code *re, lw_filter_scratch *s, const char *text, size_t len)
{
    int rc = pcre2_match(re, (PCRE2_SPTR)text, len, 0, PCRE2_NO_UTF_CHECK, s->md, s->mctx);
    if (rc == PCRE2_ERROR_NOMATCH)
        return 0;
    return rc < 0 ? rc : 1;
}

static lw_skip regex_error(int rc, char *detail, size_t cap)
{
    PCRE2_UCHAR msg[160];
    pcre2_get_error_message(rc, msg, sizeof msg);
    snprintf(detail, cap, "regex match failed: %s", (char *)msg);
    return LW_SKIP_REGEX_ERROR;
}

lw_skip lw_filter_apply(const lw_filter *f, lw_filter_scratch *s, const char *text, size_t len,
                        size_t chars, char *detail, size_t detail_cap)
{
    if (f->min_chars && chars < f->min_chars)
        return LW_SKIP_TOO_SHORT;
    if (f->max_chars && chars > f->max_chars)
        return LW_SKIP_TOO_LONG;
    if (f->n_keep) {
        bool kept = false;
        for (size_t i = 0; i < f->n_keep && !kept; i++) {
            int rc = search(f->keep[i], s, text, len);
            if (rc < 0)
                return regex_error(rc, detail, detail_cap);
            kept = rc == 1;
        }
        if (!kept)
            return LW_SKIP_KEEP_REGEX;
    }
    for (size_t i = 0; i < f->n_drop; i++) {
        int rc = search(f->drop[i], s, text, len);
        if (rc < 0)
            return regex_error(rc, detail, detail_cap);
        if (rc == 1)
            return LW_SKIP_DROP_REGEX;
    }
    return LW_SKIP_NONE;
}

struct lw_dedup {
    lw_hash128 *slots; /* {0,0} marks an empty slot */
    size_t cap, count;
    bool has_zero;     /* the all-zero hash itself, kept aside */
};

lw_dedup *lw_dedup_new(void)
{
    lw_dedup *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->cap = 1 << 16;
    d->slots = calloc(d->cap, sizeof *d->slots);
    if (!d->slots) {
        free(d);
        return NULL;
    }
    return d;
}

static void place(lw_hash128 *slots, size_t cap, lw_hash128 h)
{
    size_t i = (size_t)h.lo & (cap - 1);
    while (slots[i].lo | slots[i].hi)
        i = (i + 1) & (cap - 1);
    slots[i] = h;
}

int lw_dedup_insert(lw_dedup *d, lw_hash128 h)
{
    if (!(h.lo | h.hi)) {
        int fresh = !d->has_zero;
        d->has_zero = true;
        d->count += (size_t)fresh;
        return fresh;
    }
    size_t mask = d->cap - 1;
    for (size_t i = (size_t)h.lo & mask;; i = (i + 1) & mask) {
        lw_hash128 s = d->slots[i];
        if (!(s.lo | s.hi))
            break;
        if (s.lo == h.lo && s.hi == h.hi)
            return 0;
    }
    if ((d->count + 1) * 10 > d->cap * 7) { /* keep the load under 0.7 */
        size_t cap = d->cap * 2;
        lw_hash128 *slots = calloc(cap, sizeof *slots);
        if (!slots)
            return -1;
        for (size_t i = 0; i < d->cap; i++)
            if (d->slots[i].lo | d->slots[i].hi)
                place(slots, cap, d->slots[i]);
        free(d->slots);
        d->slots = slots;
        d->cap = cap;
    }
    place(d->slots, d->cap, h);
    d->count++;
    return 1;
}

size_t lw_dedup_count(const lw_dedup *d)
{
    return d->count;
}

void lw_dedup_free(lw_dedup *d)
{
    if (!d)
        return;
    free(d->slots);
    free(d);
}
