/* SynL internals: schemas, generated tables, rendering and tasks. Only the
 * synl_* files of gen/ include this. */
#ifndef LONGWEAVE_SYNL_INTERNAL_H
#define LONGWEAVE_SYNL_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "longweave/buf.h"
#include "longweave/rng.h"
#include "longweave/status.h"

struct cJSON;

/* The language of a sample's texts (--lang): its templates, the built-in
 * domains' names and values, and the word lists. */
typedef enum { SYNL_EN, SYNL_ZH, SYNL_LANG_COUNT_ } synl_lang;

typedef enum {
    SYNL_ID, SYNL_NAME, SYNL_PLACE, SYNL_CATEGORY, SYNL_INT, SYNL_DECIMAL, SYNL_DATE,
    SYNL_BOOL, SYNL_TEXT, SYNL_TYPE_COUNT_
} synl_type;

const char *synl_type_name(synl_type t);

typedef struct {
    const char *name;
    synl_type type;
    int64_t min, max;          /* int: values; decimal: cents; date: days since 1970 */
    const char *const *values; /* category / place / text choices (NULL: built-in list) */
    size_t n_values;
    bool owned;                /* values were allocated by a --schema file */
} synl_column;

typedef struct {
    const char *name;          /* "employees" */
    const char *entity;        /* "employee" */
    const char *id_prefix;     /* "E" */
    const synl_column *cols;   /* cols[0] is the id */
    size_t n_cols;
    int join_col;              /* a category column that has a dimension table, or -1 */
    const char *dim_name;      /* "departments" */
    bool owned;
} synl_schema;

/* The built-in domains. */
extern const synl_schema synl_builtin[];
extern const size_t synl_builtin_count;
/* A domain as a language writes it: a built-in one's Chinese twin (same
 * columns, types and ranges), else s itself. */
const synl_schema *synl_schema_in(const synl_schema *s, synl_lang lang);

/* Word lists. */
extern const char *const synl_first_names[];
extern const size_t synl_n_first_names;
extern const char *const synl_last_names[];
extern const size_t synl_n_last_names;
extern const char *const synl_places[];
extern const size_t synl_n_places;
extern const char *const synl_adjectives[];
extern const size_t synl_n_adjectives;
extern const char *const synl_nouns[];
extern const size_t synl_n_nouns;
/* The same lists in Chinese, entry for entry. */
extern const char *const synl_first_names_zh[], *const synl_last_names_zh[];
extern const char *const synl_places_zh[], *const synl_adjectives_zh[], *const synl_nouns_zh[];

/* Parse a --schema file's JSON (one schema or a list). Errors name the JSON
 * path: "$.columns[2].type: ...". */
lw_status synl_schema_parse(const char *path, const char *text, size_t len, synl_schema **out,
                            size_t *n, lw_error *err);
void synl_schema_free(synl_schema *s, size_t n);

/* A generated table: n_rows x n_cols int64 codes (see synl_table.c). */
typedef struct {
    const synl_schema *schema;
    int64_t *cells;
    size_t n_rows, cap_rows;
    int64_t id_base;
    synl_lang lang;            /* how names, places, texts and booleans are written */
} synl_table;

int64_t synl_cell(const synl_table *t, size_t row, size_t col);
/* Render one value as text (the same text in every format except JSON). */
int synl_put_value(lw_buf *out, const synl_table *t, size_t row, size_t col);
/* A value's text, for questions and answers. */
int synl_value_text(const synl_table *t, size_t row, size_t col, char *out, size_t cap);

typedef enum { SYNL_MARKDOWN, SYNL_CSV, SYNL_JSON, SYNL_KV, SYNL_FORMAT_COUNT_ } synl_format;
/* A value exactly as a table in format f shows it (JSON's booleans are
 * true/false): questions, worked solutions and answers quote values so. */
int synl_value_in(const synl_table *t, size_t row, size_t col, synl_format f, char *out,
                  size_t cap);
const char *synl_format_name(synl_format f);
int synl_render(lw_buf *out, const synl_table *t, synl_format f);

/* Generation of row values from the counter-based RNG: row r of a table is
 * a pure function of (seed, sample, table, r), so tables can grow or shrink
 * without changing the rows they keep. */
typedef struct {
    uint64_t seed, sample;
    uint32_t table;            /* 0: main table, 1: dimension table */
} synl_key;

void synl_table_init(synl_table *t, const synl_schema *s, synl_key key);
int synl_table_fill(synl_table *t, synl_key key, size_t n_rows);
void synl_table_free(synl_table *t);
/* The value a column would draw for row r under a given stream index. */
int64_t synl_draw(const synl_column *c, lw_rng *r);

/* Tasks. */
typedef enum {
    SYNL_LOOKUP, SYNL_FIND, SYNL_ROW, SYNL_ROW_AT,                      /* retrieval */
    SYNL_COUNT, SYNL_SUM, SYNL_AVG, SYNL_ARGMAX, SYNL_ARGMIN, SYNL_COMPARE, SYNL_JOIN,
    SYNL_DATE_DIFF,                                                     /* reasoning */
    SYNL_TOPK, SYNL_DISTINCT, SYNL_GROUP_COUNT, SYNL_TOTAL_ROWS,        /* global */
    SYNL_TASK_COUNT_
} synl_task;

const char *synl_task_name(synl_task t);
const char *synl_task_family(synl_task t);
/* SYNL_TASK_COUNT_ when the name is unknown. */
synl_task synl_task_from_name(const char *name);

enum { SYNL_MAX_KEYS = 16 };

/* What a sample asks, drawn before the table is sized: everything that
 * depends on the table's length is kept as fractions. */
typedef struct {
    synl_task task;
    int col, col2;               /* condition / key column, aggregated column */
    int eq_col;                  /* -1, or a category column the rows must equal */
    int64_t eq_value;
    int other_col;               /* join: column of the dimension table */
    uint32_t keys;               /* rows the question depends on (planted) */
    double depth[SYNL_MAX_KEYS]; /* where they go, as fractions of the table */
    uint32_t k;                  /* top-k */
    uint32_t ties;               /* top-k: extra rows tied with the k-th */
    double threshold;            /* conditions X > t: t as a fraction of X's range */
    double probe;                /* find with no match: where the absent value comes from;
                                  * conditions: where a row holds exactly the threshold */
    bool boundary;               /* conditions: plant that row */
    synl_format format;
    bool cot;
    synl_lang lang;              /* set by the caller after synl_plan_draw */
} synl_plan;

/* Draw the plan of a sample; tasks is the set allowed (by task number). */
int synl_plan_draw(synl_plan *p, const synl_schema *s, uint64_t seed, uint64_t sample,
                   const bool *tasks, const bool *formats, bool cot);

/* A materialised sample: its tables (after planting), question, answer. */
typedef struct {
    synl_table main, dim;
    bool has_dim;
    size_t key_rows[SYNL_MAX_KEYS]; /* positions of the planted / key rows */
    uint32_t n_keys;
    lw_buf user, assistant;         /* message texts */
    struct cJSON *query, *answer;   /* structured, for meta */
    struct cJSON *depths;
} synl_sample;

/* The fewest rows a plan's table has (room for its key rows). */
size_t synl_min_rows(const synl_plan *p);

/* Build the tables with n_rows rows (at least synl_min_rows), plant the plan's rows, and write the
 * question, the answer (with a worked solution when cot) and the meta parts. */
int synl_sample_build(synl_sample *out, const synl_schema *s, const synl_plan *p, uint64_t seed,
                      uint64_t sample, size_t n_rows);
void synl_sample_clear(synl_sample *out);

#endif
