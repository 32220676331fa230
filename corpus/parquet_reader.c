/* Parquet files as rows: the footer is read and checked once, then the
 * selected row groups one at a time (their column chunks read whole, so
 * memory is bounded by one compressed row group plus a page per column),
 * and every row is written as one record (record.h). */
#include "longweave/parquet.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "longweave/buf.h"
#include "longweave/record.h"
#include "parquet_internal.h"

enum { K_STRING, K_BOOL, K_INT32, K_UINT32, K_INT64, K_UINT64, K_DECIMAL, K_FLOAT, K_DOUBLE,
       K_FLOAT16, K_INT96, K_UUID };

typedef struct {
    size_t leaf;   /* index among the schema's leaves (= column chunk index) */
    const char *name; /* the record's key */
    size_t name_len;
    int kind, scale;
    uint8_t *chunk;
    size_t chunk_cap;
    pq_col col;
} column;

struct lw_parquet {
    char *path;
    int fd;
    uint64_t size;
    lw_parquet_opts o;
    pq_meta m;
    size_t n_leaves;
    column *cols;
    size_t n_cols;
    char *skipped;     /* names of the skipped columns, ", "-separated */
    size_t n_skipped;
    uint64_t begin, end;
    size_t rg;         /* the next row group to consider */
    bool in_group;
    int64_t row_in_group, group_rows;
    uint64_t group_first_row; /* rows before the current group */
    uint64_t rows_seen;       /* rows of every group before rg */
    bool first_note_done, last_note_done;
    uint64_t nonfinite;
    uint64_t bytes_read;
    ZSTD_DCtx *zstd;
    lw_buf out;        /* the row's record, or a note's text */
};

static lw_status pread_all(lw_parquet *p, void *buf, size_t n, uint64_t at, lw_error *err)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = pread(p->fd, (char *)buf + got, n - got, (off_t)(at + got));
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return lw_error_errno(err, LW_E_IO, errno, "cannot read", p->path);
        if (r == 0)
            return lw_error_set(err, LW_E_DATA, "%s: the file ends at byte %" PRIu64
                                " while reading Parquet data (truncated?)", p->path, at + got);
        got += (size_t)r;
    }
    p->bytes_read += n;
    return LW_OK;
}

static lw_status bad(lw_parquet *p, const char *what, const char *detail, lw_error *err)
{
    return lw_error_set(err, LW_E_DATA, "%s: %s%s%s", p->path, what, detail ? ": " : "",
                        detail ? detail : "");
}

static uint64_t le(const uint8_t *p, size_t n)
{
    uint64_t x = 0;
    for (size_t i = 0; i < n; i++)
        x |= (uint64_t)p[i] << (8 * i);
    return x;
}

static int put_u128(lw_buf *b, unsigned __int128 v, bool neg, int scale)
{
    char d[64];
    size_t n = 0;
    do {
        d[n++] = (char)('0' + (int)(v % 10));
        v /= 10;
    } while (v);
    while (scale > 0 && n < (size_t)scale + 1)
        d[n++] = '0';
    char out[80];
    size_t o = 0;
    if (neg)
        out[o++] = '-';
    for (size_t i = n; i-- > 0;) {
        out[o++] = d[i];
        if (scale > 0 && i == (size_t)scale)
            out[o++] = '.';
    }
    return lw_buf_append(b, out, o);
}

static int put_i64(lw_buf *b, int64_t v)
{
    unsigned __int128 u = v < 0 ? (unsigned __int128)(-(v + 1)) + 1 : (unsigned __int128)v;
    return put_u128(b, u, v < 0, 0);
}

static int put_double(lw_parquet *p, lw_buf *b, double d, bool single)
{
    if (!isfinite(d)) {
        p->nonfinite++;
        return lw_buf_append(b, "null", 4);
    }
    char t[48];
    int lo = single ? 6 : 15, hi = single ? 9 : 17;
    for (int prec = lo; prec <= hi; prec++) {
        snprintf(t, sizeof t, "%.*g", prec, d);
        if (single ? strtof(t, NULL) == (float)d : strtod(t, NULL) == d)
            break;
    }
    if (!strpbrk(t, ".e"))
        strcat(t, ".0");
    return lw_buf_puts(b, t);
}

static float half_to_float(uint16_t h)
{
    int e = (h >> 10) & 31, m = h & 1023;
    float v = e == 0 ? ldexpf((float)m, -24)
              : e == 31 ? (m ? NAN : INFINITY)
                        : ldexpf((float)(m | 1024), e - 25);
    return (h & 0x8000) ? -v : v;
}

static int put_value(lw_parquet *p, const column *c, const pq_value *v)
{
    lw_buf *b = &p->out;
    const uint8_t *s = v->ptr;
    switch (c->kind) {
    case K_STRING:
        return lw_buf_append(b, s, v->len);
    case K_BOOL:
        return s[0] ? lw_buf_append(b, "true", 4) : lw_buf_append(b, "false", 5);
    case K_INT32:
        return put_i64(b, (int32_t)(uint32_t)le(s, 4));
    case K_UINT32:
        return put_u128(b, (uint32_t)le(s, 4), false, 0);
    case K_INT64:
        return put_i64(b, (int64_t)le(s, 8));
    case K_UINT64:
        return put_u128(b, le(s, 8), false, 0);
    case K_FLOAT: {
        float f;
        memcpy(&f, s, 4);
        return put_double(p, b, f, true);
    }
    case K_DOUBLE: {
        double d;
        memcpy(&d, s, 8);
        return put_double(p, b, d, false);
    }
    case K_FLOAT16:
        return put_double(p, b, half_to_float((uint16_t)le(s, 2)), true);
    case K_INT96: {
        /* nanoseconds of the day, then the Julian day */
        int64_t nanos = (int64_t)le(s, 8);
        int64_t day = (int64_t)(uint32_t)le(s + 8, 4) - 2440588;
        __int128 t = (__int128)day * 86400000000000 + nanos;
        bool neg = t < 0;
        return put_u128(b, neg ? (unsigned __int128)(-t) : (unsigned __int128)t, neg, 0);
    }
    case K_UUID: {
        static const char hex[] = "0123456789abcdef";
        char u[36];
        size_t o = 0;
        for (int i = 0; i < 16; i++) {
            if (i == 4 || i == 6 || i == 8 || i == 10)
                u[o++] = '-';
            u[o++] = hex[s[i] >> 4];
            u[o++] = hex[s[i] & 15];
        }
        return lw_buf_append(b, u, o);
    }
    case K_DECIMAL: {
        unsigned __int128 x = 0;
        bool neg;
        if (c->col.type == PQ_INT32 || c->col.type == PQ_INT64) {
            int64_t i = c->col.type == PQ_INT32 ? (int32_t)(uint32_t)le(s, 4)
                                                : (int64_t)le(s, 8);
            neg = i < 0;
            x = neg ? (unsigned __int128)(-(i + 1)) + 1 : (unsigned __int128)i;
        } else {
            if (v->len > 16)
                return -2;
            neg = v->len > 0 && (s[0] & 0x80);
            for (size_t i = 0; i < v->len; i++)
                x = x << 8 | s[i];
            if (neg) {
                if (v->len < 16)
                    x |= ~(unsigned __int128)0 << (8 * v->len);
                x = ~x + 1;
            }
        }
        return put_u128(b, x, neg, c->scale);
    }
    }
    return -1;
}

/* ---- opening: footer, schema and row groups ---- */

static int leaf_kind(const pq_schema_el *e, int *scale)
{
    bool decimal = e->logical == PQ_LT_DECIMAL || e->converted == PQ_CT_DECIMAL;
    *scale = e->logical == PQ_LT_DECIMAL ? e->lt_scale : e->scale;
    bool uns = (e->logical == 10 && e->lt_unsigned) ||
               (e->converted >= PQ_CT_UINT_8 && e->converted <= PQ_CT_UINT_64);
    switch (e->type) {
    case PQ_BOOLEAN: return K_BOOL;
    case PQ_INT32: return decimal ? K_DECIMAL : uns ? K_UINT32 : K_INT32;
    case PQ_INT64: return decimal ? K_DECIMAL : uns ? K_UINT64 : K_INT64;
    case PQ_INT96: return K_INT96;
    case PQ_FLOAT: return K_FLOAT;
    case PQ_DOUBLE: return K_DOUBLE;
    case PQ_BYTE_ARRAY: return decimal ? K_DECIMAL : K_STRING;
    case PQ_FLBA:
        if (decimal)
            return e->type_length <= 16 ? K_DECIMAL : -1;
        if (e->logical == PQ_LT_UUID && e->type_length == 16)
            return K_UUID;
        if (e->logical == PQ_LT_FLOAT16 && e->type_length == 2)
            return K_FLOAT16;
        return K_STRING;
    default: return -1;
    }
}

static lw_status add_skipped(lw_parquet *p, const char *name, const char *why, lw_error *err)
{
    size_t old = p->skipped ? strlen(p->skipped) : 0;
    size_t n = old + strlen(name) + strlen(why) + 8;
    char *s = realloc(p->skipped, n);
    if (!s)
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    snprintf(s + old, n - old, "%s\"%s\" (%s)", old ? ", " : "", name, why);
    p->skipped = s;
    p->n_skipped++;
    return LW_OK;
}

/* Map the schema's top-level fields to columns; groups and repeated fields
 * are skipped with all their leaves. */
static lw_status map_schema(lw_parquet *p, lw_error *err)
{
    const pq_meta *m = &p->m;
    const pq_schema_el *root = &m->schema[0];
    if (m->n_schema < 1 || root->num_children < 0 ||
        (size_t)root->num_children > m->n_schema - 1)
        return bad(p, "corrupt Parquet schema", "the root has more fields than the schema",
                   err);
    p->cols = calloc(m->n_schema, sizeof *p->cols);
    if (!p->cols)
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    size_t i = 1;
    for (int f = 0; f < root->num_children; f++) {
        if (i >= m->n_schema)
            return bad(p, "corrupt Parquet schema", "fewer elements than the fields declare",
                       err);
        const pq_schema_el *e = &m->schema[i];
        if (e->num_children == 0) {
            int scale = 0, kind = leaf_kind(e, &scale);
            const char *why = e->repetition == 2 ? "a repeated column"
                              : kind < 0         ? "a type this reader does not support"
                                                 : NULL;
            if (why) {
                lw_status st = add_skipped(p, e->name, why, err);
                if (st)
                    return st;
            } else {
                column *c = &p->cols[p->n_cols++];
                c->leaf = p->n_leaves;
                c->name = e->name;
                c->kind = kind;
                c->scale = scale < 0 || scale > 38 ? 0 : scale;
                c->col.type = e->type;
                c->col.type_length = e->type_length;
                c->col.max_def = e->repetition == 1 ? 1 : 0;
                c->name_len = strlen(e->name);
            }
            p->n_leaves++;
            i++;
            continue;
        }
        /* a group: walk its subtree, counting leaves */
        lw_status st = add_skipped(p, e->name, "a nested column", err);
        if (st)
            return st;
        uint64_t pending = 1;
        while (pending > 0) {
            if (i >= m->n_schema)
                return bad(p, "corrupt Parquet schema",
                           "a group has more children than the schema holds", err);
            const pq_schema_el *x = &m->schema[i++];
            pending--;
            if (x->num_children == 0)
                p->n_leaves++;
            else
                pending += (uint64_t)x->num_children;
        }
    }
    if (i != m->n_schema)
        return bad(p, "corrupt Parquet schema", "elements left over after the root's fields",
                   err);
    return LW_OK;
}

static uint64_t chunk_start(const pq_chunk_meta *c)
{
    return c->dict_page_offset > 0 && c->dict_page_offset < c->data_page_offset
               ? (uint64_t)c->dict_page_offset
               : (uint64_t)c->data_page_offset;
}

static lw_status check_groups(lw_parquet *p, uint64_t data_end, lw_error *err)
{
    for (size_t g = 0; g < p->m.n_row_groups; g++) {
        const pq_row_group *rg = &p->m.row_groups[g];
        char what[96];
        snprintf(what, sizeof what, "corrupt Parquet metadata: row group %zu", g);
        if (rg->n_columns != p->n_leaves) {
            char d[96];
            snprintf(d, sizeof d, "%zu column chunks for %zu schema columns", rg->n_columns,
                     p->n_leaves);
            return bad(p, what, d, err);
        }
        for (size_t k = 0; k < rg->n_columns; k++) {
            const pq_chunk_meta *c = &rg->columns[k];
            if (c->external)
                return bad(p, what, "a column chunk in another file is not supported", err);
            if (!c->has_meta)
                return bad(p, what, "a column chunk without metadata", err);
            if (c->data_page_offset < 4 || c->total_compressed < 0 ||
                chunk_start(c) < 4 || chunk_start(c) > data_end ||
                (uint64_t)c->total_compressed > data_end - chunk_start(c)) {
                char d[160];
                snprintf(d, sizeof d, "column chunk %zu (at %lld, %lld bytes) lies outside "
                         "the data (bytes 4 to %" PRIu64 ")", k,
                         (long long)chunk_start(c), (long long)c->total_compressed, data_end);
                return bad(p, what, d, err);
            }
        }
        for (size_t i = 0; i < p->n_cols; i++) {
            const column *col = &p->cols[i];
            const pq_chunk_meta *c = &rg->columns[col->leaf];
            if (c->type != col->col.type)
                return bad(p, what, "a column chunk's type differs from the schema's", err);
            if (c->num_values != rg->num_rows) {
                char d[200];
                snprintf(d, sizeof d, "column \"%.80s\" has %lld values for %lld rows",
                         col->name, (long long)c->num_values, (long long)rg->num_rows);
                return bad(p, what, d, err);
            }
        }
    }
    return LW_OK;
}

static lw_status open_footer(lw_parquet *p, lw_error *err)
{
    if (p->size < 12)
        return lw_error_set(err, LW_E_DATA, "%s: not a Parquet file: %" PRIu64 " bytes is too "
                            "short (truncated?)", p->path, p->size);
    uint8_t head[4], tail[8];
    lw_status st;
    if ((st = pread_all(p, head, 4, 0, err)) || (st = pread_all(p, tail, 8, p->size - 8, err)))
        return st;
    if (memcmp(head, "PAR1", 4) != 0)
        return bad(p, "not a Parquet file", "it does not start with PAR1", err);
    if (memcmp(tail + 4, "PAR1", 4) != 0)
        return bad(p, "truncated or corrupt Parquet file",
                   "it does not end with PAR1 (the footer is missing)", err);
    uint32_t flen = (uint32_t)le(tail, 4);
    if (flen > p->size - 12) {
        char d[120];
        snprintf(d, sizeof d, "the footer length %u is more than the file holds", flen);
        return bad(p, "corrupt Parquet footer", d, err);
    }
    uint8_t *footer = malloc(flen ? flen : 1);
    if (!footer)
        return lw_error_set(err, LW_E_NOMEM, "out of memory reading %s", p->path);
    uint64_t data_end = p->size - 8 - flen;
    if ((st = pread_all(p, footer, flen, data_end, err))) {
        free(footer);
        return st;
    }
    char msg[PQ_MSG];
    int rc = pq_parse_meta(footer, flen, &p->m, msg);
    free(footer);
    if (rc)
        return bad(p, "corrupt Parquet footer", msg, err);
    if ((st = map_schema(p, err)) || (st = check_groups(p, data_end, err)))
        return st;
    return LW_OK;
}

lw_status lw_parquet_open(lw_parquet **out, const char *path, uint64_t size, uint64_t begin,
                          uint64_t end, const lw_parquet_opts *opts, lw_error *err)
{
    *out = NULL;
    lw_parquet *p = calloc(1, sizeof *p);
    if (p)
        p->fd = -1;
    if (!p || !(p->path = strdup(path)) || !(p->zstd = ZSTD_createDCtx())) {
        lw_parquet_close(p);
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    }
    if (opts)
        p->o = *opts;
    if (!p->o.max_page_bytes)
        p->o.max_page_bytes = (size_t)512 << 20;
    p->size = size;
    p->begin = begin;
    p->end = end;
    p->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (p->fd < 0) {
        lw_status st = lw_error_errno(err, LW_E_NOINPUT, errno, "cannot open input", path);
        lw_parquet_close(p);
        return st;
    }
    lw_status st = open_footer(p, err);
    if (st) {
        lw_parquet_close(p);
        return st;
    }
    for (size_t i = 0; i < p->n_cols; i++) {
        p->cols[i].col.zstd = p->zstd;
        p->cols[i].col.max_page = p->o.max_page_bytes;
    }
    *out = p;
    return LW_OK;
}

/* ---- rows ---- */

static lw_status col_error(lw_parquet *p, size_t g, const column *c, uint64_t row,
                           const char *msg, lw_error *err)
{
    return lw_error_set(err, LW_E_DATA, "%s: row group %zu, column \"%.100s\", row %" PRIu64
                        ": %s", p->path, g, c->name, row, msg);
}

static lw_status start_group(lw_parquet *p, size_t g, lw_error *err)
{
    const pq_row_group *rg = &p->m.row_groups[g];
    for (size_t i = 0; i < p->n_cols; i++) {
        column *c = &p->cols[i];
        const pq_chunk_meta *cm = &rg->columns[c->leaf];
        size_t len = (size_t)cm->total_compressed;
        if (c->chunk_cap < len || c->chunk_cap > 2 * len + (1u << 20)) {
            free(c->chunk);
            c->chunk_cap = 0;
            c->chunk = malloc(len ? len : 1);
            if (!c->chunk)
                return lw_error_set(err, LW_E_NOMEM, "%s: out of memory for a column chunk "
                                    "of %zu bytes", p->path, len);
            c->chunk_cap = len;
        }
        lw_status st = pread_all(p, c->chunk, len, chunk_start(cm), err);
        if (st)
            return st;
        c->col.chunk = c->chunk;
        c->col.chunk_len = len;
        c->col.values_left = cm->num_values;
        c->col.codec = cm->codec;
        pq_col_reset(&c->col);
    }
    p->in_group = true;
    p->row_in_group = 0;
    p->group_rows = rg->num_rows;
    p->group_first_row = p->rows_seen;
    return LW_OK;
}

lw_status lw_parquet_next(lw_parquet *p, lw_parquet_row *row, bool *got, lw_error *err)
{
    memset(row, 0, sizeof *row);
    *got = false;
    if (!p->first_note_done) {
        p->first_note_done = true;
        if (p->n_skipped && p->begin == 0) {
            p->out.len = 0;
            if (lw_buf_printf(&p->out, "%zu Parquet column%s skipped (only flat columns are "
                              "read): %s", p->n_skipped, p->n_skipped == 1 ? "" : "s",
                              p->skipped))
                return lw_error_set(err, LW_E_NOMEM, "out of memory");
            row->kind = LW_PARQUET_NOTE;
            row->data = p->out.data;
            row->len = p->out.len;
            *got = true;
            return LW_OK;
        }
    }
    while (!p->in_group || p->row_in_group >= p->group_rows) {
        if (p->in_group) {
            p->in_group = false;
            p->rows_seen += (uint64_t)p->group_rows;
            p->rg++;
        }
        if (p->rg >= p->m.n_row_groups) {
            if (!p->last_note_done && p->nonfinite) {
                p->last_note_done = true;
                p->out.len = 0;
                if (lw_buf_printf(&p->out, "%" PRIu64 " NaN or infinite float value%s written "
                                  "as null (JSON has no NaN or Infinity)", p->nonfinite,
                                  p->nonfinite == 1 ? "" : "s"))
                    return lw_error_set(err, LW_E_NOMEM, "out of memory");
                row->kind = LW_PARQUET_NOTE;
                row->data = p->out.data;
                row->len = p->out.len;
                *got = true;
            }
            return LW_OK;
        }
        const pq_row_group *rg = &p->m.row_groups[p->rg];
        uint64_t pos = rg->n_columns ? chunk_start(&rg->columns[0]) : 4;
        if (pos < p->begin || pos >= p->end || rg->num_rows == 0) {
            p->rows_seen += (uint64_t)rg->num_rows;
            p->rg++;
            continue;
        }
        lw_status st = start_group(p, p->rg, err);
        if (st)
            return st;
    }
    uint64_t rownum = p->group_first_row + (uint64_t)p->row_in_group + 1;
    lw_buf *b = &p->out;
    b->len = 0;
    for (size_t i = 0; i < p->n_cols; i++) {
        column *c = &p->cols[i];
        bool is_null;
        pq_value v;
        if (pq_col_next(&c->col, &is_null, &v))
            return col_error(p, p->rg, c, rownum, c->col.msg, err);
        bool string = !is_null && (c->kind == K_STRING || c->kind == K_UUID);
        size_t mark;
        int rc = lw_record_open(b, string ? LW_FIELD_STRING : LW_FIELD_JSON, c->name,
                                c->name_len, &mark);
        if (!rc)
            rc = is_null ? lw_buf_append(b, "null", 4) : put_value(p, c, &v);
        if (rc == -2)
            return col_error(p, p->rg, c, rownum, "a DECIMAL of more than 16 bytes", err);
        if (rc)
            return lw_error_set(err, LW_E_NOMEM, "out of memory");
        lw_record_close(b, mark);
    }
    p->row_in_group++;
    row->row = rownum;
    row->len = b->len;
    if (p->o.max_doc_bytes && b->len > p->o.max_doc_bytes) {
        row->kind = LW_PARQUET_TOO_LARGE;
    } else {
        row->kind = LW_PARQUET_ROW;
        row->data = b->data;
    }
    *got = true;
    return LW_OK;
}

void lw_parquet_info_get(const lw_parquet *p, lw_parquet_info *info)
{
    memset(info, 0, sizeof *info);
    info->rows = p->m.num_rows > 0 ? (uint64_t)p->m.num_rows : 0;
    info->row_groups = p->m.n_row_groups;
    for (size_t g = 0; g < p->m.n_row_groups; g++) {
        const pq_row_group *rg = &p->m.row_groups[g];
        uint64_t pos = rg->n_columns ? chunk_start(&rg->columns[0]) : 4;
        info->row_groups_read += pos >= p->begin && pos < p->end;
    }
    info->columns = p->n_cols;
    info->skipped_columns = p->n_skipped;
    info->nonfinite = p->nonfinite;
    info->bytes_read = p->bytes_read;
}

void lw_parquet_close(lw_parquet *p)
{
    if (!p)
        return;
    if (p->fd >= 0)
        close(p->fd);
    for (size_t i = 0; p->cols && i < p->n_cols; i++) {
        free(p->cols[i].chunk);
        pq_col_free(&p->cols[i].col);
    }
    free(p->cols);
    free(p->skipped);
    pq_meta_free(&p->m);
    ZSTD_freeDCtx(p->zstd);
    lw_buf_free(&p->out);
    free(p->path);
    free(p);
}
