/* SynL tables: generating rows from the counter-based RNG, rendering them
 * in four formats, and reading user schemas (--schema). */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "longweave/json_out.h"
#include "longweave/utf8.h"
#include "synl_internal.h"

static const char *const type_names[SYNL_TYPE_COUNT_] = {
    "id", "name", "place", "category", "int", "decimal", "date", "bool", "text"};

const char *synl_type_name(synl_type t)
{
    return (unsigned)t < SYNL_TYPE_COUNT_ ? type_names[t] : "?";
}

static const char *const format_names[SYNL_FORMAT_COUNT_] = {"markdown", "csv", "json", "kv"};

const char *synl_format_name(synl_format f)
{
    return (unsigned)f < SYNL_FORMAT_COUNT_ ? format_names[f] : "?";
}

static size_t n_choices(const synl_column *c)
{
    if (c->values)
        return c->n_values;
    return c->type == SYNL_PLACE ? synl_n_places : 0;
}

int64_t synl_draw(const synl_column *c, lw_rng *r)
{
    switch (c->type) {
    case SYNL_ID: return 0;
    case SYNL_NAME:
        return (int64_t)lw_rng_below(r, synl_n_first_names) * 1000 +
               (int64_t)lw_rng_below(r, synl_n_last_names);
    case SYNL_PLACE:
    case SYNL_CATEGORY: return (int64_t)lw_rng_below(r, n_choices(c));
    case SYNL_TEXT:
        if (c->values)
            return (int64_t)lw_rng_below(r, c->n_values);
        return (int64_t)lw_rng_below(r, synl_n_adjectives) * 1000 +
               (int64_t)lw_rng_below(r, synl_n_nouns);
    case SYNL_BOOL: return (int64_t)lw_rng_below(r, 2);
    case SYNL_INT:
    case SYNL_DECIMAL:
    case SYNL_DATE:
    case SYNL_TYPE_COUNT_: break;
    }
    return c->min + (int64_t)lw_rng_below(r, (uint64_t)(c->max - c->min) + 1);
}

void synl_table_init(synl_table *t, const synl_schema *s, synl_key key)
{
    memset(t, 0, sizeof *t);
    t->schema = s;
    lw_rng r;
    lw_rng_init(&r, key.seed, LW_STREAM_SYNL, key.sample << 8 | key.table);
    t->id_base = 100000 + (int64_t)lw_rng_below(&r, 300000);
}

int synl_table_fill(synl_table *t, synl_key key, size_t n_rows)
{
    const synl_schema *s = t->schema;
    if (n_rows > t->cap_rows) {
        int64_t *p = realloc(t->cells, n_rows * s->n_cols * sizeof *p);
        if (!p)
            return -1;
        t->cells = p;
        t->cap_rows = n_rows;
    }
    for (size_t row = 0; row < n_rows; row++) {
        /* Row r's values depend only on (seed, sample, table, r). */
        lw_rng r;
        lw_rng_init(&r, key.seed, LW_STREAM_SYNL + 16 + key.table,
                    key.sample << 24 | (uint64_t)row);
        int64_t *cells = t->cells + row * s->n_cols;
        for (size_t c = 0; c < s->n_cols; c++)
            cells[c] = s->cols[c].type == SYNL_ID ? (int64_t)row : synl_draw(&s->cols[c], &r);
    }
    t->n_rows = n_rows;
    return 0;
}

void synl_table_free(synl_table *t)
{
    free(t->cells);
    memset(t, 0, sizeof *t);
}

int64_t synl_cell(const synl_table *t, size_t row, size_t col)
{
    return t->cells[row * t->schema->n_cols + col];
}

/* Days since 1970-01-01 to a civil date (H. Hinnant's algorithm). */
static void civil(int64_t z, int *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

int synl_value_text(const synl_table *t, size_t row, size_t col, char *out, size_t cap)
{
    const synl_column *c = &t->schema->cols[col];
    int64_t v = synl_cell(t, row, col);
    int y, m, d;
    bool zh = t->lang == SYNL_ZH;
    switch (c->type) {
    case SYNL_ID: return snprintf(out, cap, "%s-%06lld", t->schema->id_prefix, (long long)(t->id_base + v));
    case SYNL_NAME:
        /* Chinese: surname first, no space (王晓明) */
        if (zh)
            return snprintf(out, cap, "%s%s", synl_last_names_zh[v % 1000],
                            synl_first_names_zh[v / 1000]);
        return snprintf(out, cap, "%s %s", synl_first_names[v / 1000], synl_last_names[v % 1000]);
    case SYNL_PLACE:
        return snprintf(out, cap, "%s", c->values ? c->values[v] : zh ? synl_places_zh[v]
                                                                        : synl_places[v]);
    case SYNL_CATEGORY: return snprintf(out, cap, "%s", c->values[v]);
    case SYNL_TEXT:
        if (c->values)
            return snprintf(out, cap, "%s", c->values[v]);
        if (zh)
            return snprintf(out, cap, "%s%s", synl_adjectives_zh[v / 1000],
                            synl_nouns_zh[v % 1000]);
        return snprintf(out, cap, "%s %s", synl_adjectives[v / 1000], synl_nouns[v % 1000]);
    case SYNL_INT: return snprintf(out, cap, "%lld", (long long)v);
    case SYNL_DECIMAL:
        return snprintf(out, cap, "%s%lld.%02lld", v < 0 ? "-" : "", (long long)(llabs(v) / 100),
                        (long long)(llabs(v) % 100));
    case SYNL_DATE:
        civil(v, &y, &m, &d);
        return snprintf(out, cap, "%04d-%02d-%02d", y, m, d);
    case SYNL_BOOL: return snprintf(out, cap, "%s", v ? (zh ? "是" : "yes") : (zh ? "否" : "no"));
    case SYNL_TYPE_COUNT_: break;
    }
    return snprintf(out, cap, "?");
}

int synl_value_in(const synl_table *t, size_t row, size_t col, synl_format f, char *out,
                  size_t cap)
{
    /* A JSON table writes booleans as JSON's true/false; everything else is
     * the same text in every format (numbers bare, strings quoted). */
    if (f == SYNL_JSON && t->schema->cols[col].type == SYNL_BOOL)
        return snprintf(out, cap, "%s", synl_cell(t, row, col) ? "true" : "false");
    return synl_value_text(t, row, col, out, cap);
}

int synl_put_value(lw_buf *out, const synl_table *t, size_t row, size_t col)
{
    char tmp[256];
    int n = synl_value_text(t, row, col, tmp, sizeof tmp);
    return lw_buf_append(out, tmp, (size_t)n);
}

static int put_csv_field(lw_buf *out, const char *s)
{
    if (!strpbrk(s, ",\"\n"))
        return lw_buf_puts(out, s);
    if (lw_buf_putc(out, '"'))
        return -1;
    for (const char *p = s; *p; p++)
        if ((*p == '"' && lw_buf_putc(out, '"')) || lw_buf_putc(out, *p))
            return -1;
    return lw_buf_putc(out, '"');
}

int synl_render(lw_buf *out, const synl_table *t, synl_format f)
{
    const synl_schema *s = t->schema;
    char v[256];
    int rc = 0;
    if (f == SYNL_MARKDOWN) {
        for (size_t c = 0; c < s->n_cols; c++)
            rc |= lw_buf_puts(out, c ? " | " : "| ") | lw_buf_puts(out, s->cols[c].name);
        rc |= lw_buf_puts(out, " |\n");
        for (size_t c = 0; c < s->n_cols; c++)
            rc |= lw_buf_puts(out, c ? " | ---" : "| ---");
        rc |= lw_buf_puts(out, " |\n");
        for (size_t r = 0; r < t->n_rows && !rc; r++) {
            for (size_t c = 0; c < s->n_cols; c++)
                rc |= lw_buf_puts(out, c ? " | " : "| ") | synl_put_value(out, t, r, c);
            rc |= lw_buf_puts(out, " |\n");
        }
    } else if (f == SYNL_CSV) {
        for (size_t c = 0; c < s->n_cols; c++)
            rc |= (c && lw_buf_putc(out, ',')) | put_csv_field(out, s->cols[c].name);
        rc |= lw_buf_putc(out, '\n');
        for (size_t r = 0; r < t->n_rows && !rc; r++) {
            for (size_t c = 0; c < s->n_cols; c++) {
                synl_value_text(t, r, c, v, sizeof v);
                rc |= (c && lw_buf_putc(out, ',')) | put_csv_field(out, v);
            }
            rc |= lw_buf_putc(out, '\n');
        }
    } else if (f == SYNL_JSON) {
        rc |= lw_buf_puts(out, "[\n");
        for (size_t r = 0; r < t->n_rows && !rc; r++) {
            rc |= lw_buf_putc(out, '{');
            for (size_t c = 0; c < s->n_cols; c++) {
                const synl_column *col = &s->cols[c];
                int n = synl_value_in(t, r, c, SYNL_JSON, v, sizeof v);
                rc |= (c && lw_buf_puts(out, ", ")) |
                      lw_json_put_string(out, col->name, strlen(col->name)) | lw_buf_puts(out, ": ");
                if (col->type == SYNL_INT || col->type == SYNL_DECIMAL || col->type == SYNL_BOOL)
                    rc |= lw_buf_append(out, v, (size_t)n);
                else
                    rc |= lw_json_put_string(out, v, (size_t)n);
            }
            rc |= lw_buf_puts(out, r + 1 < t->n_rows ? "},\n" : "}\n");
        }
        rc |= lw_buf_puts(out, "]\n");
    } else {
        for (size_t r = 0; r < t->n_rows && !rc; r++) {
            if (r)
                rc |= lw_buf_putc(out, '\n');
            for (size_t c = 0; c < s->n_cols; c++)
                rc |= lw_buf_puts(out, s->cols[c].name) | lw_buf_puts(out, ": ") |
                      synl_put_value(out, t, r, c) | lw_buf_putc(out, '\n');
        }
    }
    return rc ? -1 : 0;
}

/* --schema files. */

static lw_status bad(lw_error *err, const char *file, const char *path, const char *what)
{
    return lw_error_set(err, LW_E_DATA, "%s: %s: %s", file, path, what);
}

static char *dup_string(const cJSON *v)
{
    return cJSON_IsString(v) ? strdup(v->valuestring) : NULL;
}

static lw_status parse_date(const char *s, int64_t *days)
{
    int y, m, d;
    char tail;
    if (!s || sscanf(s, "%d-%d-%d%c", &y, &m, &d, &tail) != 3 || m < 1 || m > 12 || d < 1 ||
        d > 31)
        return LW_E_DATA;
    /* days from civil (Hinnant) */
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    *days = era * 146097 + doe - 719468;
    return LW_OK;
}

static lw_status parse_one(const char *file, const cJSON *j, const char *at, synl_schema *s,
                           lw_error *err)
{
    char path[256];
    memset(s, 0, sizeof *s);
    s->owned = true;
    s->join_col = -1;
    if (!cJSON_IsObject(j))
        return bad(err, file, at, "a schema must be an object");
    const cJSON *name = cJSON_GetObjectItem(j, "name"), *cols = cJSON_GetObjectItem(j, "columns");
    snprintf(path, sizeof path, "%s.name", at);
    if (!cJSON_IsString(name) || !*name->valuestring)
        return bad(err, file, path, "a non-empty string is required");
    s->name = strdup(name->valuestring);
    const cJSON *entity = cJSON_GetObjectItem(j, "entity"), *prefix = cJSON_GetObjectItem(j, "id_prefix");
    s->entity = entity ? dup_string(entity) : strdup(name->valuestring);
    s->id_prefix = prefix ? dup_string(prefix) : strdup("R");
    snprintf(path, sizeof path, "%s.entity", at);
    if (!s->entity)
        return bad(err, file, path, "must be a string");
    snprintf(path, sizeof path, "%s.id_prefix", at);
    if (!s->id_prefix)
        return bad(err, file, path, "must be a string");
    snprintf(path, sizeof path, "%s.columns", at);
    if (!cJSON_IsArray(cols) || cJSON_GetArraySize(cols) < 2)
        return bad(err, file, path, "a list of at least two columns is required");
    size_t n = (size_t)cJSON_GetArraySize(cols) + 1;
    synl_column *cs = calloc(n, sizeof *cs);
    if (!cs)
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    s->cols = cs;
    s->n_cols = 1;
    cs[0] = (synl_column){strdup("id"), SYNL_ID, 0, 0, NULL, 0, true};
    const cJSON *c;
    size_t i = 0;
    cJSON_ArrayForEach(c, cols)
    {
        synl_column *col = &cs[s->n_cols];
        snprintf(path, sizeof path, "%s.columns[%zu]", at, i++);
        if (!cJSON_IsObject(c))
            return bad(err, file, path, "a column must be an object");
        const cJSON *cn = cJSON_GetObjectItem(c, "name"), *ct = cJSON_GetObjectItem(c, "type");
        char sub[300];
        snprintf(sub, sizeof sub, "%s.name", path);
        if (!cJSON_IsString(cn) || !*cn->valuestring || strcmp(cn->valuestring, "id") == 0)
            return bad(err, file, sub, "a non-empty string other than \"id\" is required");
        for (size_t k = 0; k < s->n_cols; k++)
            if (strcmp(cs[k].name, cn->valuestring) == 0)
                return bad(err, file, sub, "a column of that name comes earlier");
        col->name = strdup(cn->valuestring);
        col->owned = true;
        s->n_cols++;
        snprintf(sub, sizeof sub, "%s.type", path);
        int type = -1;
        for (int k = 1; k < SYNL_TYPE_COUNT_ && cJSON_IsString(ct); k++)
            if (strcmp(ct->valuestring, type_names[k]) == 0)
                type = k;
        if (type < 0)
            return bad(err, file, sub, "unknown type (name, place, category, int, decimal, "
                       "date, bool, text)");
        col->type = (synl_type)type;
        const cJSON *values = cJSON_GetObjectItem(c, "values");
        snprintf(sub, sizeof sub, "%s.values", path);
        if (values) {
            if (type != SYNL_CATEGORY && type != SYNL_PLACE && type != SYNL_TEXT)
                return bad(err, file, sub, "only category, place and text columns take values");
            if (!cJSON_IsArray(values) || cJSON_GetArraySize(values) < 2)
                return bad(err, file, sub, "a list of at least two strings is required");
            char **vs = calloc((size_t)cJSON_GetArraySize(values), sizeof *vs);
            if (!vs)
                return lw_error_set(err, LW_E_NOMEM, "out of memory");
            col->values = (const char *const *)vs;
            const cJSON *v;
            size_t k = 0;
            cJSON_ArrayForEach(v, values)
            {
                if (!cJSON_IsString(v) || !*v->valuestring || strpbrk(v->valuestring, "|\n")) {
                    snprintf(sub, sizeof sub, "%s.values[%zu]", path, k);
                    return bad(err, file, sub, "a non-empty string without '|' or newlines is "
                               "required");
                }
                vs[k++] = strdup(v->valuestring);
                col->n_values = k;
            }
        } else if (type == SYNL_CATEGORY) {
            return bad(err, file, sub, "a category column needs its values");
        }
        if (type == SYNL_INT || type == SYNL_DECIMAL || type == SYNL_DATE) {
            const cJSON *lo = cJSON_GetObjectItem(c, "min"), *hi = cJSON_GetObjectItem(c, "max");
            snprintf(sub, sizeof sub, "%s.min", path);
            if (type == SYNL_DATE) {
                if (parse_date(cJSON_GetStringValue(lo), &col->min))
                    return bad(err, file, sub, "a date \"YYYY-MM-DD\" is required");
                snprintf(sub, sizeof sub, "%s.max", path);
                if (parse_date(cJSON_GetStringValue(hi), &col->max))
                    return bad(err, file, sub, "a date \"YYYY-MM-DD\" is required");
            } else {
                double scale = type == SYNL_DECIMAL ? 100 : 1;
                if (!cJSON_IsNumber(lo) || lo->valuedouble < 0 || lo->valuedouble > 1e12)
                    return bad(err, file, sub, "a number from 0 to 1e12 is required");
                snprintf(sub, sizeof sub, "%s.max", path);
                if (!cJSON_IsNumber(hi) || hi->valuedouble < 0 || hi->valuedouble > 1e12)
                    return bad(err, file, sub, "a number from 0 to 1e12 is required");
                col->min = (int64_t)(lo->valuedouble * scale + 0.5);
                col->max = (int64_t)(hi->valuedouble * scale + 0.5);
            }
            if (col->max <= col->min) {
                snprintf(sub, sizeof sub, "%s.max", path);
                return bad(err, file, sub, "must be above min");
            }
        }
        if (type == SYNL_CATEGORY && s->join_col < 0)
            s->join_col = (int)(s->n_cols - 1);
    }
    bool numeric = false;
    for (size_t k = 1; k < s->n_cols; k++)
        numeric |= cs[k].type == SYNL_INT || cs[k].type == SYNL_DECIMAL;
    if (!numeric)
        return bad(err, file, at, "at least one int or decimal column is required");
    if (s->join_col >= 0) {
        char dim[300];
        snprintf(dim, sizeof dim, "%s_list", cs[s->join_col].name);
        s->dim_name = strdup(dim);
    }
    return LW_OK;
}

/* A schema is input like any document: its strings must be UTF-8 and hold
 * no NUL (cJSON would cut the C string there, silently). cJSON keeps neither
 * the raw bytes nor the length of a string, so the string literals are read
 * from the text: the k-th literal is the k-th string of the tree in document
 * order, member names included, which gives the bad one's JSON path. */
typedef struct {
    size_t k;          /* strings left to pass before the bad one */
    lw_buf path;
    bool is_name;      /* the bad one is the member name at path */
} bad_string;

static bool find_string(const cJSON *j, bad_string *b)
{
    size_t at = b->path.len;
    if (cJSON_IsString(j))
        return b->k-- == 0;
    bool object = cJSON_IsObject(j);
    size_t i = 0;
    for (const cJSON *c = (object || cJSON_IsArray(j)) ? j->child : NULL; c; c = c->next, i++) {
        b->path.len = at;
        if (object && b->k-- == 0) {
            b->is_name = true;
            return true;
        }
        if (object ? lw_buf_printf(&b->path, ".%s", c->string)
                   : lw_buf_printf(&b->path, "[%zu]", i))
            return false;
        if (find_string(c, b))
            return true;
    }
    b->path.len = at;
    return false;
}

static lw_status check_strings(const char *file, const char *text, size_t len, const cJSON *j,
                               lw_error *err)
{
    size_t k = 0;
    for (size_t i = 0; i < len; i++) {
        if (text[i] != '"')
            continue;
        size_t start = ++i;
        bool nul = false;
        for (; i < len && text[i] != '"'; i++) {
            nul |= text[i] == '\0';
            if (text[i] == '\\') {
                nul |= i + 5 < len && memcmp(text + i + 1, "u0000", 5) == 0;
                i++;
            }
        }
        if (nul || lw_utf8_valid_prefix(text + start, i - start, NULL) != i - start) {
            bad_string b = {.k = k};
            lw_status st;
            if (lw_buf_puts(&b.path, "$") || !find_string(j, &b))
                st = lw_error_set(err, LW_E_DATA, "%s@%zu: a string %s", file, start - 1,
                                  nul ? "holds a NUL character (\\u0000)"
                                      : "is not valid UTF-8");
            else
                st = lw_error_set(err, LW_E_DATA, "%s: %.*s: %s%s", file, (int)b.path.len,
                                  b.path.data, b.is_name ? "a member name " : "",
                                  nul ? "holds a NUL character (\\u0000), which a schema may "
                                        "not hold"
                                      : "is not valid UTF-8");
            lw_buf_free(&b.path);
            return st;
        }
        k++;
    }
    return LW_OK;
}

lw_status synl_schema_parse(const char *file, const char *text, size_t len, synl_schema **out,
                            size_t *n, lw_error *err)
{
    *out = NULL;
    *n = 0;
    const char *end = NULL;
    cJSON *j = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    if (!j)
        return lw_error_set(err, LW_E_DATA, "%s: not valid JSON (near byte %zu)", file,
                            end ? (size_t)(end - text) : 0);
    size_t used = (size_t)(end - text);
    for (size_t i = used; i < len; i++)
        if (text[i] != ' ' && text[i] != '\t' && text[i] != '\r' && text[i] != '\n') {
            cJSON_Delete(j);
            return lw_error_set(err, LW_E_DATA, "%s@%zu: text after the JSON value", file, i);
        }
    lw_status bad_text = check_strings(file, text, used, j, err);
    if (bad_text) {
        cJSON_Delete(j);
        return bad_text;
    }
    size_t count = cJSON_IsArray(j) ? (size_t)cJSON_GetArraySize(j) : 1;
    synl_schema *s = calloc(count ? count : 1, sizeof *s);
    lw_status st = s ? LW_OK : lw_error_set(err, LW_E_NOMEM, "out of memory");
    if (!st && cJSON_IsArray(j)) {
        const cJSON *e;
        cJSON_ArrayForEach(e, j)
        {
            char at[32];
            snprintf(at, sizeof at, "$[%zu]", *n);
            (*n)++;
            if ((st = parse_one(file, e, at, &s[*n - 1], err)))
                break;
        }
        if (!st && count == 0)
            st = bad(err, file, "$", "the list of schemas is empty");
    } else if (!st) {
        (*n)++;
        st = parse_one(file, j, "$", &s[0], err);
    }
    cJSON_Delete(j);
    if (st) {
        synl_schema_free(s, *n);
        *n = 0;
        return st;
    }
    *out = s;
    return LW_OK;
}

void synl_schema_free(synl_schema *s, size_t n)
{
    for (size_t i = 0; s && i < n; i++) {
        if (!s[i].owned)
            continue;
        for (size_t c = 0; s[i].cols && c < s[i].n_cols; c++) {
            synl_column *col = (synl_column *)&s[i].cols[c];
            for (size_t k = 0; col->values && k < col->n_values; k++)
                free((char *)col->values[k]);
            free((void *)col->values);
            free((char *)col->name);
        }
        free((void *)s[i].cols);
        free((char *)s[i].name);
        free((char *)s[i].entity);
        free((char *)s[i].id_prefix);
        free((char *)s[i].dim_name);
    }
    free(s);
}
