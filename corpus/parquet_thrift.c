/* The Thrift compact protocol, as far as Parquet's footer (FileMetaData) and
 * page headers need it: every field we do not use is skipped by type, every
 * length is checked against the bytes left, and nesting is bounded. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parquet_internal.h"

enum { T_STOP = 0, T_TRUE = 1, T_FALSE = 2, T_BYTE = 3, T_I16 = 4, T_I32 = 5, T_I64 = 6,
       T_DOUBLE = 7, T_BINARY = 8, T_LIST = 9, T_SET = 10, T_MAP = 11, T_STRUCT = 12 };
enum { MAX_DEPTH = 32 };

typedef struct {
    const uint8_t *p, *start, *end;
    int depth;
    bool bad;
    char *msg;
} tr;

static int fail(tr *t, const char *what)
{
    if (!t->bad)
        snprintf(t->msg, PQ_MSG, "%s at byte %zu of %zu", what, (size_t)(t->p - t->start),
                 (size_t)(t->end - t->start));
    t->bad = true;
    t->p = t->end;
    return -1;
}

static uint64_t varint(tr *t)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (t->p >= t->end) {
            fail(t, "truncated varint");
            return 0;
        }
        uint8_t b = *t->p++;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            return v;
    }
    fail(t, "varint longer than 10 bytes");
    return 0;
}

static int64_t zigzag(tr *t)
{
    uint64_t v = varint(t);
    return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

static int32_t i32(tr *t)
{
    int64_t v = zigzag(t);
    if (v < INT32_MIN || v > INT32_MAX) {
        fail(t, "i32 out of range");
        return 0;
    }
    return (int32_t)v;
}

/* A binary field: its bytes stay in the buffer. */
static const uint8_t *binary(tr *t, size_t *len)
{
    uint64_t n = varint(t);
    if (t->bad)
        return NULL;
    if (n > (uint64_t)(t->end - t->p)) {
        fail(t, "string length past the end");
        return NULL;
    }
    const uint8_t *s = t->p;
    t->p += n;
    *len = (size_t)n;
    return s;
}

static char *string(tr *t)
{
    size_t n;
    const uint8_t *s = binary(t, &n);
    if (!s)
        return NULL;
    char *c = malloc(n + 1);
    if (!c) {
        fail(t, "out of memory");
        return NULL;
    }
    memcpy(c, s, n);
    c[n] = 0;
    return c;
}

/* A list header: element type and count (bounded by the bytes left, as every
 * element takes at least one byte, except booleans which take one too). */
static uint64_t list_header(tr *t, int *etype)
{
    if (t->p >= t->end) {
        fail(t, "truncated list header");
        return 0;
    }
    uint8_t b = *t->p++;
    uint64_t n = b >> 4;
    *etype = b & 15;
    if (n == 15)
        n = varint(t);
    if (!t->bad && n > (uint64_t)(t->end - t->p))
        fail(t, "list longer than the bytes left");
    return t->bad ? 0 : n;
}

static int skip(tr *t, int type);

static int skip_struct(tr *t)
{
    if (++t->depth > MAX_DEPTH)
        return fail(t, "structures nested too deeply");
    for (;;) {
        if (t->p >= t->end)
            return fail(t, "truncated structure");
        uint8_t b = *t->p++;
        int type = b & 15;
        if (type == T_STOP)
            break;
        if ((b >> 4) == 0)
            (void)zigzag(t);
        if (skip(t, type))
            return -1;
    }
    t->depth--;
    return 0;
}

static int skip(tr *t, int type)
{
    switch (type) {
    case T_TRUE:
    case T_FALSE:
        return 0; /* in a field header the value is the type */
    case T_BYTE:
        if (t->p >= t->end)
            return fail(t, "truncated byte");
        t->p++;
        return 0;
    case T_I16:
    case T_I32:
    case T_I64:
        (void)varint(t);
        return t->bad ? -1 : 0;
    case T_DOUBLE:
        if (t->end - t->p < 8)
            return fail(t, "truncated double");
        t->p += 8;
        return 0;
    case T_BINARY: {
        size_t n;
        return binary(t, &n) ? 0 : -1;
    }
    case T_LIST:
    case T_SET: {
        int et;
        uint64_t n = list_header(t, &et);
        if (++t->depth > MAX_DEPTH)
            return fail(t, "structures nested too deeply");
        for (uint64_t i = 0; i < n && !t->bad; i++) {
            if (et == T_TRUE || et == T_FALSE) {
                if (t->p >= t->end)
                    return fail(t, "truncated list");
                t->p++;
            } else if (skip(t, et)) {
                return -1;
            }
        }
        t->depth--;
        return t->bad ? -1 : 0;
    }
    case T_MAP: {
        uint64_t n = varint(t);
        if (t->bad)
            return -1;
        if (n == 0)
            return 0;
        if (n > (uint64_t)(t->end - t->p))
            return fail(t, "map longer than the bytes left");
        if (t->p >= t->end)
            return fail(t, "truncated map");
        uint8_t kv = *t->p++;
        if (++t->depth > MAX_DEPTH)
            return fail(t, "structures nested too deeply");
        for (uint64_t i = 0; i < n && !t->bad; i++)
            if (skip(t, kv >> 4) || skip(t, kv & 15))
                return -1;
        t->depth--;
        return t->bad ? -1 : 0;
    }
    case T_STRUCT:
        return skip_struct(t);
    default:
        return fail(t, "unknown Thrift type");
    }
}

/* Field iteration: returns the field id, 0 at STOP, -1 on error. */
static int field(tr *t, int *last, int *type)
{
    if (t->bad)
        return -1;
    if (t->p >= t->end) {
        fail(t, "truncated structure");
        return -1;
    }
    uint8_t b = *t->p++;
    *type = b & 15;
    if (*type == T_STOP)
        return 0;
    int delta = b >> 4;
    int id = delta ? *last + delta : (int)zigzag(t);
    if (t->bad)
        return -1;
    *last = id;
    return id > 0 ? id : 1000; /* ids <= 0 are unknown to us: skipped */
}

static int64_t int_field(tr *t, int type)
{
    if (type != T_I32 && type != T_I64 && type != T_I16 && type != T_BYTE) {
        fail(t, "expected an integer");
        return 0;
    }
    if (type == T_BYTE) {
        if (t->p >= t->end) {
            fail(t, "truncated byte");
            return 0;
        }
        return (int8_t)*t->p++;
    }
    return type == T_I64 ? zigzag(t) : i32(t);
}

/* A struct we only enter to read a few integer or boolean fields by id:
 * vals[id] for ids < n (missing ones stay as they were). */
static int small_struct(tr *t, int64_t *vals, int n)
{
    if (++t->depth > MAX_DEPTH)
        return fail(t, "structures nested too deeply");
    int last = 0, type, id;
    while ((id = field(t, &last, &type)) > 0) {
        if (id < n && (type == T_TRUE || type == T_FALSE))
            vals[id] = type == T_TRUE;
        else if (id < n && (type == T_I32 || type == T_I64 || type == T_I16 || type == T_BYTE))
            vals[id] = int_field(t, type);
        else
            skip(t, type);
    }
    t->depth--;
    return t->bad ? -1 : 0;
}

static int logical_type(tr *t, pq_schema_el *e)
{
    if (++t->depth > MAX_DEPTH)
        return fail(t, "structures nested too deeply");
    int last = 0, type, id;
    while ((id = field(t, &last, &type)) > 0) {
        if (type != T_STRUCT) {
            skip(t, type);
            continue;
        }
        e->logical = id;
        int64_t v[3] = {0, 0, 1};
        if (small_struct(t, v, 3))
            return -1;
        if (id == PQ_LT_DECIMAL)
            e->lt_scale = (int)v[1]; /* DecimalType: 1 scale, 2 precision */
        if (id == PQ_LT_INTEGER)
            e->lt_unsigned = !v[2]; /* IntType: 1 bitWidth, 2 isSigned */
    }
    t->depth--;
    return t->bad ? -1 : 0;
}

static int schema_element(tr *t, pq_schema_el *e)
{
    *e = (pq_schema_el){.type = -1, .repetition = -1, .converted = -1};
    int last = 0, type, id;
    while ((id = field(t, &last, &type)) > 0) {
        switch (id) {
        case 1: e->type = (int)int_field(t, type); break;
        case 2: e->type_length = (int)int_field(t, type); break;
        case 3: e->repetition = (int)int_field(t, type); break;
        case 4:
            if (type != T_BINARY)
                return fail(t, "schema name is not a string");
            free(e->name);
            e->name = string(t);
            break;
        case 5: e->num_children = (int)int_field(t, type); break;
        case 6: e->converted = (int)int_field(t, type); break;
        case 7: e->scale = (int)int_field(t, type); break;
        case 8: e->precision = (int)int_field(t, type); break;
        case 10:
            if (type != T_STRUCT)
                return fail(t, "logicalType is not a structure");
            logical_type(t, e);
            break;
        default: skip(t, type);
        }
    }
    if (!t->bad && !e->name)
        return fail(t, "schema element without a name");
    if (!t->bad && (e->num_children < 0 || e->type_length < 0))
        return fail(t, "negative num_children or type_length");
    return t->bad ? -1 : 0;
}

static int column_meta(tr *t, pq_chunk_meta *c)
{
    if (++t->depth > MAX_DEPTH)
        return fail(t, "structures nested too deeply");
    int last = 0, type, id;
    while ((id = field(t, &last, &type)) > 0) {
        switch (id) {
        case 1: c->type = (int)int_field(t, type); break;
        case 4: c->codec = (int)int_field(t, type); break;
        case 5: c->num_values = int_field(t, type); break;
        case 7: c->total_compressed = int_field(t, type); break;
        case 9: c->data_page_offset = int_field(t, type); break;
        case 11: c->dict_page_offset = int_field(t, type); break;
        default: skip(t, type);
        }
    }
    t->depth--;
    c->has_meta = !t->bad;
    return t->bad ? -1 : 0;
}

static int column_chunk(tr *t, pq_chunk_meta *c)
{
    *c = (pq_chunk_meta){.dict_page_offset = -1, .type = -1, .codec = -1};
    if (++t->depth > MAX_DEPTH)
        return fail(t, "structures nested too deeply");
    int last = 0, type, id;
    while ((id = field(t, &last, &type)) > 0) {
        if (id == 1 && type == T_BINARY) {
            size_t n = 0;
            binary(t, &n);
            c->external = n > 0;
        } else if (id == 3 && type == T_STRUCT) {
            column_meta(t, c);
        } else {
            skip(t, type);
        }
    }
    t->depth--;
    return t->bad ? -1 : 0;
}

static int row_group(tr *t, pq_meta *m, pq_row_group *g, size_t *used_chunks, size_t cap)
{
    int last = 0, type, id;
    bool have_columns = false;
    while ((id = field(t, &last, &type)) > 0) {
        if (id == 1 && type == T_LIST && !have_columns) {
            int et;
            uint64_t n = list_header(t, &et);
            if (t->bad)
                break;
            if (et != T_STRUCT)
                return fail(t, "row group columns are not structures");
            if (n > cap - *used_chunks)
                return fail(t, "more column chunks than the footer can hold");
            g->columns = m->chunks + *used_chunks;
            g->n_columns = (size_t)n;
            *used_chunks += (size_t)n;
            have_columns = true;
            for (uint64_t i = 0; i < n && !t->bad; i++)
                column_chunk(t, &g->columns[i]);
        } else if (id == 3) {
            g->num_rows = int_field(t, type);
        } else {
            skip(t, type);
        }
    }
    if (!t->bad && !have_columns)
        return fail(t, "row group without columns");
    if (!t->bad && g->num_rows < 0)
        return fail(t, "negative row count");
    return t->bad ? -1 : 0;
}

int pq_parse_meta(const uint8_t *p, size_t n, pq_meta *m, char *msg)
{
    memset(m, 0, sizeof *m);
    tr t = {.p = p, .start = p, .end = p + n, .msg = msg};
    int last = 0, type, id;
    bool have_schema = false, have_groups = false;
    while ((id = field(&t, &last, &type)) > 0) {
        if (id == 2 && type == T_LIST && !have_schema) {
            int et;
            uint64_t k = list_header(&t, &et);
            if (t.bad)
                break;
            if (et != T_STRUCT)
                return fail(&t, "schema is not a list of structures");
            m->schema = calloc(k ? (size_t)k : 1, sizeof *m->schema);
            if (!m->schema)
                return fail(&t, "out of memory");
            have_schema = true;
            for (uint64_t i = 0; i < k && !t.bad; i++) {
                schema_element(&t, &m->schema[i]);
                m->n_schema = (size_t)i + 1;
            }
        } else if (id == 3) {
            m->num_rows = int_field(&t, type);
        } else if (id == 4 && type == T_LIST && !have_groups) {
            int et;
            uint64_t k = list_header(&t, &et);
            if (t.bad)
                break;
            if (et != T_STRUCT)
                return fail(&t, "row groups are not structures");
            /* Each column chunk takes at least 2 bytes of the footer. */
            size_t cap = (size_t)(t.end - t.p) / 2 + 1;
            m->row_groups = calloc(k ? (size_t)k : 1, sizeof *m->row_groups);
            m->chunks = calloc(cap, sizeof *m->chunks);
            if (!m->row_groups || !m->chunks)
                return fail(&t, "out of memory");
            have_groups = true;
            size_t used = 0;
            for (uint64_t i = 0; i < k && !t.bad; i++) {
                row_group(&t, m, &m->row_groups[i], &used, cap);
                m->n_row_groups = (size_t)i + 1;
            }
        } else {
            skip(&t, type);
        }
    }
    if (t.bad)
        return -1;
    if (!have_schema || m->n_schema == 0)
        return fail(&t, "FileMetaData without a schema");
    if (!have_groups)
        return fail(&t, "FileMetaData without row groups");
    return 0;
}

void pq_meta_free(pq_meta *m)
{
    for (size_t i = 0; i < m->n_schema; i++)
        free(m->schema[i].name);
    free(m->schema);
    free(m->row_groups);
    free(m->chunks);
    memset(m, 0, sizeof *m);
}

int pq_parse_page_header(const uint8_t *p, size_t n, pq_page_header *h, size_t *used, char *msg)
{
    memset(h, 0, sizeof *h);
    h->type = -1;
    h->uncompressed = h->compressed = -1;
    h->is_compressed = true;
    tr t = {.p = p, .start = p, .end = p + n, .msg = msg};
    int last = 0, type, id;
    while ((id = field(&t, &last, &type)) > 0) {
        switch (id) {
        case 1: h->type = (int)int_field(&t, type); break;
        case 2: h->uncompressed = int_field(&t, type); break;
        case 3: h->compressed = int_field(&t, type); break;
        case 5:
        case 7:
        case 8: {
            if (type != T_STRUCT) {
                skip(&t, type);
                break;
            }
            int64_t v[9] = {-1, -1, -1, -1, -1, -1, -1, 1, -1};
            if (small_struct(&t, v, 9))
                break;
            if (id == 5) { /* DataPageHeader */
                h->has_data = true;
                h->num_values = v[1];
                h->encoding = (int)v[2];
                h->def_encoding = (int)v[3];
            } else if (id == 7) { /* DictionaryPageHeader */
                h->has_dict = true;
                h->num_values = v[1];
                h->encoding = (int)v[2];
            } else { /* DataPageHeaderV2 */
                h->has_v2 = true;
                h->num_values = v[1];
                h->num_nulls = v[2];
                h->encoding = (int)v[4];
                h->def_len = v[5];
                h->rep_len = v[6];
                h->is_compressed = v[7] != 0;
            }
            break;
        }
        default: skip(&t, type);
        }
    }
    if (t.bad)
        return -1;
    if (h->type < 0 || h->uncompressed < 0 || h->compressed < 0)
        return fail(&t, "page header without type or sizes");
    *used = (size_t)(t.p - p);
    return 0;
}
