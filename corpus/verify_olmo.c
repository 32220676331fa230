/* verify: OLMo-core's numpy layout (seqw_olmo.c) read back as OLMo-core
 * reads it: PREFIX.npy headerless ids, PREFIX.mask.npy a byte per token,
 * PREFIX.csv.gz rows whose start,end must follow each other and reach the
 * end of the array. The id type is the vocabulary's (OLMo-core's get_dtype)
 * when the manifest gives one, else what the last end says of the size. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "longweave/fileio.h"
#include "longweave/megatron.h"
#include "verify_internal.h"

typedef struct {
    uint64_t rows, prev_end, field[2];
    int col;           /* the CSV column being read */
    bool digits, bad;  /* a digit seen in this column; a row that does not hold */
    uint64_t bad_row;
} csv_scan;

/* One row ended: start and end must be numbers, start the previous end. */
static void end_row(csv_scan *c)
{
    if (!c->bad && (c->col < 1 || (c->col == 1 && !c->digits) || c->field[0] != c->prev_end ||
                    c->field[1] <= c->field[0])) {
        c->bad = true;
        c->bad_row = c->rows;
    }
    c->prev_end = c->field[1];
    c->rows++;
    c->col = 0;
    c->digits = false;
    c->field[0] = c->field[1] = 0;
}

static void scan_text(csv_scan *c, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char ch = p[i];
        if (ch == '\n') {
            end_row(c);
        } else if (ch == ',') {
            if (c->col < 2 && !c->digits && !c->bad) {
                c->bad = true;
                c->bad_row = c->rows;
            }
            c->col++;
            c->digits = false;
        } else if (c->col < 2) {
            if (ch >= '0' && ch <= '9' && c->field[c->col] < UINT64_MAX / 10) {
                c->field[c->col] = c->field[c->col] * 10 + (uint64_t)(ch - '0');
                c->digits = true;
            } else if (ch != '\r' && !c->bad) {
                c->bad = true;
                c->bad_row = c->rows;
            }
        }
    }
}

/* The rows of PREFIX.csv.gz; false (reported) when it does not read or hold. */
static bool read_rows(vctx *v, const char *path, csv_scan *c)
{
    gzFile g = gzopen(path, "rb");
    if (!g) {
        vproblem(v, LW_VERIFY_STRUCTURE, "%s: cannot open", path);
        return false;
    }
    char buf[1 << 16];
    int n;
    while ((n = gzread(g, buf, sizeof buf)) > 0)
        scan_text(c, buf, (size_t)n);
    int zerr = Z_OK;
    const char *msg = n < 0 ? gzerror(g, &zerr) : NULL;
    gzclose(g);
    if (n < 0) {
        vproblem(v, LW_VERIFY_STRUCTURE, "%s: not a gzip stream (%s)", path, msg ? msg : "?");
        return false;
    }
    if (c->col || c->digits)
        end_row(c); /* a last row without its newline */
    if (c->bad) {
        vproblem(v, LW_VERIFY_STRUCTURE, "%s: row %llu is not \"start,end,...\" starting where "
                 "the row before ended, with end > start", path,
                 (unsigned long long)c->bad_row + 1);
        return false;
    }
    return true;
}

int64_t vf_olmo(vctx *v, const char *prefix)
{
    char *path = lw_concat(prefix, ".npy", ""), *mpath = lw_concat(prefix, ".mask.npy", "");
    char *meta = lw_concat(prefix, ".csv.gz", "");
    void *map = NULL, *mmap_ = NULL;
    size_t size = 0, msize = 0;
    lw_error e;
    int64_t seqs = -1;
    csv_scan c = {0};
    if (!path || !mpath || !meta || !read_rows(v, meta, &c))
        goto done;
    if (lw_file_map(path, &map, &size, &e)) {
        vproblem(v, LW_VERIFY_STRUCTURE, "%s", e.msg);
        goto done;
    }
    uint64_t tokens = c.prev_end;
    int item = v->vocab ? (v->vocab - 1 <= 0xff ? 1 : v->vocab - 1 <= 0xffff ? 2 : 4)
               : tokens ? (int)(size / tokens) : 1;
    if ((item != 1 && item != 2 && item != 4) || size != tokens * (uint64_t)item) {
        vproblem(v, LW_VERIFY_STRUCTURE, "%s: %zu bytes, not the %llu tokens %s ends at as "
                 "uint%d", path, size, (unsigned long long)tokens, meta, 8 * item);
        goto done;
    }
    const unsigned char *p = map;
    uint64_t limit = v->vocab ? v->vocab : UINT64_MAX;
    for (uint64_t i = 0; i < tokens && limit != UINT64_MAX; i++)
        if (lw_get_le(p + i * (uint64_t)item, item) >= limit) {
            vproblem(v, LW_VERIFY_TOKEN, "%s: token %llu is not below the vocabulary size %u",
                     path, (unsigned long long)i, v->vocab);
            break;
        }
    if (v->mask != LW_MASK_ABSENT && !lw_file_map(mpath, &mmap_, &msize, &e)) {
        const unsigned char *m = mmap_;
        uint64_t bad = 0;
        while (bad < msize && m[bad] <= 1)
            bad++;
        if (msize != tokens || bad < msize)
            vproblem(v, LW_VERIFY_MASK, "%s: %zu bytes for %llu tokens, or a value other than "
                     "0 and 1", mpath, msize, (unsigned long long)tokens);
    }
    v->res->datasets++;
    v->res->sequences += c.rows;
    v->res->tokens += tokens;
    seqs = (int64_t)c.rows;
done:
    lw_file_unmap(map, size);
    lw_file_unmap(mmap_, msize);
    free(path);
    free(mpath);
    free(meta);
    return seqs;
}
