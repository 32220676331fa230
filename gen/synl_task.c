/* SynL tasks: drawing what a sample asks, planting the rows it depends on at
 * the drawn depths, and computing the answer from the generated data. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "synl_internal.h"

static const struct {
    const char *name, *family;
} tasks[SYNL_TASK_COUNT_] = {
    [SYNL_LOOKUP] = {"lookup", "retrieval"},       [SYNL_FIND] = {"find", "retrieval"},
    [SYNL_ROW] = {"row", "retrieval"},             [SYNL_ROW_AT] = {"row_at", "retrieval"},
    [SYNL_COUNT] = {"count", "reasoning"},         [SYNL_SUM] = {"sum", "reasoning"},
    [SYNL_AVG] = {"avg", "reasoning"},             [SYNL_ARGMAX] = {"argmax", "reasoning"},
    [SYNL_ARGMIN] = {"argmin", "reasoning"},       [SYNL_COMPARE] = {"compare", "reasoning"},
    [SYNL_JOIN] = {"join", "reasoning"},           [SYNL_DATE_DIFF] = {"date_diff", "reasoning"},
    [SYNL_TOPK] = {"topk", "global"},              [SYNL_DISTINCT] = {"distinct", "global"},
    [SYNL_GROUP_COUNT] = {"group_count", "global"}, [SYNL_TOTAL_ROWS] = {"total_rows", "global"},
};

const char *synl_task_name(synl_task t) { return tasks[t].name; }
const char *synl_task_family(synl_task t) { return tasks[t].family; }

synl_task synl_task_from_name(const char *name)
{
    for (int t = 0; t < SYNL_TASK_COUNT_; t++)
        if (strcmp(tasks[t].name, name) == 0)
            return (synl_task)t;
    return SYNL_TASK_COUNT_;
}

/* Columns of a schema by kind. */
static int pick(const synl_schema *s, lw_rng *r, bool (*want)(synl_type))
{
    int n = 0, cols[64];
    for (size_t c = 1; c < s->n_cols && n < 64; c++)
        if (want(s->cols[c].type))
            cols[n++] = (int)c;
    return n ? cols[lw_rng_below(r, (uint64_t)n)] : -1;
}

static bool is_numeric(synl_type t) { return t == SYNL_INT || t == SYNL_DECIMAL; }
static bool is_date(synl_type t) { return t == SYNL_DATE; }
static bool is_ordered(synl_type t) { return is_numeric(t) || is_date(t); }
static bool is_category(synl_type t) { return t == SYNL_CATEGORY; }
static bool is_any(synl_type t) { return t != SYNL_ID; }
static bool is_discrete(synl_type t)
{
    return t == SYNL_CATEGORY || t == SYNL_PLACE || t == SYNL_TEXT || t == SYNL_NAME;
}

/* Columns with enough different values that a value can be made to occur
 * 0, 1 or a few times without distorting the column. */
static bool findable(const synl_column *c)
{
    switch (c->type) {
    case SYNL_NAME: return true;
    case SYNL_TEXT: return !c->values || c->n_values >= 50;
    case SYNL_PLACE: return c->values ? c->n_values >= 50 : synl_n_places >= 50;
    case SYNL_INT:
    case SYNL_DATE: return c->max - c->min >= 99;
    default: return false;
    }
}

static int pick_findable(const synl_schema *s, lw_rng *r)
{
    int n = 0, cols[64];
    for (size_t c = 1; c < s->n_cols && n < 64; c++)
        if (findable(&s->cols[c]))
            cols[n++] = (int)c;
    return n ? cols[lw_rng_below(r, (uint64_t)n)] : -1;
}

static bool applicable(const synl_schema *s, synl_task t)
{
    bool date = false, cat = false;
    for (size_t c = 1; c < s->n_cols; c++) {
        date |= is_date(s->cols[c].type);
        cat |= is_category(s->cols[c].type);
    }
    switch (t) {
    case SYNL_JOIN: return s->join_col >= 0;
    case SYNL_DATE_DIFF: return date;
    case SYNL_GROUP_COUNT: return cat;
    default: return true; /* every schema has a numeric and a discrete column */
    }
}

int synl_plan_draw(synl_plan *p, const synl_schema *s, uint64_t seed, uint64_t sample,
                   const bool *task_on, const bool *format_on, bool cot)
{
    memset(p, 0, sizeof *p);
    lw_rng r;
    lw_rng_init(&r, seed, LW_STREAM_SYNL, sample << 8 | 7);
    int formats[SYNL_FORMAT_COUNT_], nf = 0, ts[SYNL_TASK_COUNT_], nt = 0;
    for (int f = 0; f < SYNL_FORMAT_COUNT_; f++)
        if (format_on[f])
            formats[nf++] = f;
    for (int t = 0; t < SYNL_TASK_COUNT_; t++)
        if (task_on[t] && applicable(s, (synl_task)t))
            ts[nt++] = t;
    if (!nf || !nt)
        return -1;
    p->format = (synl_format)formats[lw_rng_below(&r, (uint64_t)nf)];
    p->task = (synl_task)ts[lw_rng_below(&r, (uint64_t)nt)];
    p->cot = cot;
    p->col = p->col2 = p->eq_col = p->other_col = -1;
    switch (p->task) {
    case SYNL_LOOKUP: p->col = pick(s, &r, is_any); p->keys = 1; break;
    case SYNL_FIND:
        /* 0, 1 or several rows hold the value (1 in 5 none, 2 in 5 one). */
        p->col = pick_findable(s, &r);
        if (p->col < 0) {
            p->keys = 1;
        } else {
            uint32_t m = (uint32_t)lw_rng_below(&r, 5);
            p->keys = m == 0 ? 0 : m <= 2 ? 1 : 2 + (uint32_t)lw_rng_below(&r, 4);
        }
        break;
    case SYNL_ROW:
    case SYNL_ROW_AT: p->keys = 1; break;
    case SYNL_COUNT:
    case SYNL_SUM:
    case SYNL_AVG:
    case SYNL_ARGMAX:
    case SYNL_ARGMIN:
        p->col = pick(s, &r, is_numeric);
        p->col2 = pick(s, &r, is_numeric);
        p->keys = (uint32_t)lw_rng_below(&r, 9); /* 0 to 8 matching rows */
        if (lw_rng_below(&r, 2)) {
            p->eq_col = pick(s, &r, is_category);
            if (p->eq_col >= 0)
                p->eq_value = (int64_t)lw_rng_below(&r, s->cols[p->eq_col].n_values);
        }
        break;
    case SYNL_COMPARE: p->col = pick(s, &r, is_ordered); p->keys = 2; break;
    case SYNL_JOIN:
        p->col = s->join_col;
        p->other_col = 1 + (int)lw_rng_below(&r, 3);
        p->keys = 1;
        break;
    case SYNL_DATE_DIFF: p->col = pick(s, &r, is_date); p->keys = 2; break;
    case SYNL_TOPK: {
        p->col = pick(s, &r, is_numeric);
        p->k = 3 + (uint32_t)lw_rng_below(&r, 6);
        /* Half the samples have one or two rows tied with the k-th. */
        uint32_t t = (uint32_t)lw_rng_below(&r, 4);
        p->ties = t >= 2 ? t - 1 : 0;
        p->keys = p->k + p->ties;
        break;
    }
    case SYNL_DISTINCT: p->col = pick(s, &r, is_discrete); break;
    case SYNL_GROUP_COUNT: p->col = pick(s, &r, is_category); break;
    case SYNL_TOTAL_ROWS:
    case SYNL_TASK_COUNT_: break;
    }
    /* Each sample its own threshold, from 30% to 95% up the column's range. */
    p->threshold = 0.30 + 0.65 * lw_rng_double(&r);
    p->probe = lw_rng_double(&r);
    p->boundary = lw_rng_below(&r, 2) != 0;
    for (uint32_t i = 0; i < p->keys; i++)
        p->depth[i] = lw_rng_double(&r);
    return 0;
}

/* The dimension table of a join: one row per value of the joined column. */
static const synl_column dim_extra[SYNL_LANG_COUNT_][3] = {
    {{"location", SYNL_PLACE, 0, 0, NULL, 0, false},
     {"manager", SYNL_NAME, 0, 0, NULL, 0, false},
     {"code", SYNL_INT, 100, 999, NULL, 0, false}},
    {{"所在地", SYNL_PLACE, 0, 0, NULL, 0, false},
     {"负责人", SYNL_NAME, 0, 0, NULL, 0, false},
     {"代码", SYNL_INT, 100, 999, NULL, 0, false}},
};

typedef struct {
    synl_schema schema;
    synl_column cols[4];
} dim_schema;

static void make_dim_schema(dim_schema *d, const synl_schema *s, synl_lang lang)
{
    const synl_column *key = &s->cols[s->join_col];
    d->cols[0] = (synl_column){key->name, SYNL_CATEGORY, 0, 0, key->values, key->n_values, false};
    memcpy(d->cols + 1, dim_extra[lang], sizeof dim_extra[lang]);
    d->schema = (synl_schema){s->dim_name, key->name, "", d->cols, 4, -1, NULL, false};
}

/* Sample-specific storage that must outlive synl_sample_build: the dim
 * schema lives in the sample. */
typedef struct {
    dim_schema dim;
} sample_extra;

/* Every sentence a sample says, one template per task: a second language is a
 * second table. All arguments are strings (numbers already rendered as their
 * column renders them), so a language may reorder them with %1$s. */
typedef struct {
    const char *intro, *one_table, *two_tables, *table_head, *question_head, *answer;
    const char *none;                        /* the answer when no row qualifies */
    const char *equal;                       /* compare's answer for equal values */
    bool byte_order;                         /* group_count: code point order, not
                                              * alphabetical (the question says which) */
    const char *row, *rows, *day, *days;
    const char *gt, *gt_sym, *eq, *eq_sym;   /* conditions: column, value */
    const char *lookup, *find, *row_q, *row_at, *count, *sum, *avg, *argmax, *argmin;
    const char *compare, *compare_date, *join, *date_diff, *topk, *distinct, *group_count;
    const char *total_rows;
    /* worked solutions */
    const char *w_rows_with, *w_no_rows, *w_item, *w_item2, *w_count, *w_sum, *w_avg;
    const char *w_largest, *w_smallest, *w_compare, *w_join, *w_date_diff;
} words;

static const words en = {
    .intro = "Answer the question about the %s below. Use only the data shown.\n\n",
    .one_table = "table", .two_tables = "tables",
    .table_head = "### Table: %s\n", .question_head = "\n### Question\n", .answer = "Answer: ",
    .none = "none", .equal = "equal", .row = "row", .rows = "rows", .day = "day", .days = "days",
    .gt = "%s greater than %s", .gt_sym = "%s > %s",
    .eq = " and %s equal to %s", .eq_sym = " and %s = %s",
    /* column, entity, id */
    .lookup = "What is the %s of the %s with id %s?",
    /* entity, column, value */
    .find = "Which %s rows have %s equal to %s? Give their ids in table order, or 'none' if no "
            "row does.",
    /* entity, id */
    .row_q = "Give all fields of the %s with id %s, as 'column: value' pairs in column order.",
    /* position, table */
    .row_at = "What is the id of row number %s of the %s table (counting data rows from 1)?",
    /* entity, condition */
    .count = "How many %s rows have %s?",
    /* column, entity, condition */
    .sum = "What is the sum of %s over the %s rows with %s? (The sum over no rows is 0.)",
    .avg = "What is the average %s over the %s rows with %s? Round to 2 decimals, or answer "
           "'none' if no row matches.",
    /* entity, condition, column */
    .argmax = "Among the %s rows with %s, which has the largest %s? Give its id (all ids in "
              "table order if tied), or 'none' if no row matches.",
    .argmin = "Among the %s rows with %s, which has the smallest %s? Give its id (all ids in "
              "table order if tied), or 'none' if no row matches.",
    /* column, entity, id, id */
    .compare = "Which has the larger %s: the %s with id %s or the one with id %s? Answer with "
               "the id, or 'equal'.",
    .compare_date = "Which has the later %s: the %s with id %s or the one with id %s? Answer "
                    "with the id, or 'equal'.",
    /* other column, column, entity, id, column, dimension table */
    .join = "What is the %s of the %s of the %s with id %s? Look the %s up in the %s table.",
    /* column, entity, id, column, entity, id */
    .date_diff = "How many days after the %s of the %s with id %s is the %s of the %s with id "
                 "%s? (Negative if it is earlier.)",
    /* k, entity, column */
    .topk = "List the ids of the %s %s rows with the largest %s, largest first (ties: earlier "
            "rows first).",
    /* column */
    .distinct = "How many distinct values does the %s column have?",
    /* entity, column */
    .group_count = "How many %s rows are there for each %s? Answer as 'value: count' pairs in "
                   "alphabetical order of the value (ignoring case).",
    /* entity */
    .total_rows = "How many %s rows does the table have?",
    .w_rows_with = "Rows with %s:\n", .w_no_rows = "No rows match.\n",
    .w_item = "- %s: %s %s\n", .w_item2 = "- %s: %s %s, %s %s\n",
    .w_count = "That is %s %s.\n",                    /* count, row(s) */
    .w_sum = "Sum: %s\n",
    .w_avg = "Sum %s over %s %s; average %s\n",       /* sum, count, row(s), average */
    .w_largest = "The largest %s is %s.\n", .w_smallest = "The smallest %s is %s.\n",
    .w_compare = "%s has %s %s; %s has %s %s.\n",
    .w_join = "%s has %s %s; in the %s table, %s has %s %s.\n",
    .w_date_diff = "%s: %s; %s: %s; difference %s %s.\n", /* ..., days, day(s) */
};

/* Chinese: the same answers (ids, numbers and dates as in English; the
 * lists of an answer joined with ", " and "column: value" as in English, so
 * answers stay machine-checkable), arguments reordered with %n$s. */
static const words zh = {
    .intro = "根据下面的%s回答问题。只使用表中给出的数据。\n\n",
    .one_table = "表格", .two_tables = "两张表格",
    .table_head = "### 表格：%s\n", .question_head = "\n### 问题\n", .answer = "答案：",
    .none = "无", .equal = "相等", .byte_order = true,
    .row = "行", .rows = "行", .day = "天", .days = "天",
    .gt = "%s大于 %s ", .gt_sym = "%s > %s", /* a condition is followed by 的 */
    .eq = "且%s为“%s”", .eq_sym = " 且 %s = %s",
    .lookup = "编号为 %3$s 的%2$s的%1$s是什么？",
    .find = "哪些%1$s的%2$s等于“%3$s”？请按表中顺序给出它们的编号；若没有，回答“无”。",
    .row_q = "给出编号为 %2$s 的%1$s的所有字段，按列的顺序写成“列名: 值”，用“, ”分隔。",
    .row_at = "%2$s表中第 %1$s 行（数据行从 1 开始计数）的编号是什么？",
    .count = "表中满足%2$s的%1$s有多少个？",
    .sum = "满足%3$s的%2$s的%1$s之和是多少？（没有满足条件的行时，和为 0。）",
    .avg = "满足%3$s的%2$s的%1$s平均值是多少？保留 2 位小数；若没有满足条件的行，回答“无”。",
    .argmax = "在满足%2$s的%1$s中，哪一个的%3$s最大？给出其编号（若有并列，按表中顺序给出所有"
              "编号）；若没有满足条件的行，回答“无”。",
    .argmin = "在满足%2$s的%1$s中，哪一个的%3$s最小？给出其编号（若有并列，按表中顺序给出所有"
              "编号）；若没有满足条件的行，回答“无”。",
    .compare = "编号为 %3$s 的%2$s和编号为 %4$s 的%2$s，哪一个的%1$s更大？回答其编号；若相等，"
               "回答“相等”。",
    .compare_date = "编号为 %3$s 的%2$s和编号为 %4$s 的%2$s，哪一个的%1$s更晚？回答其编号；若相"
                    "等，回答“相等”。",
    .join = "编号为 %4$s 的%3$s所属%2$s的%1$s是什么？请在%6$s表中查找该%5$s。",
    .date_diff = "编号为 %6$s 的%5$s的%4$s比编号为 %3$s 的%2$s的%1$s晚多少天？（若更早，则为负"
                 "数。）",
    .topk = "列出%3$s最大的 %1$s 个%2$s的编号，从大到小排列（并列时，表中靠前的行在前）。",
    .distinct = "%s列有多少个不同的值？",
    .group_count = "每个%2$s各有多少%1$s？请写成“值: 数量”，用“, ”分隔，按值的 Unicode 码点顺序"
                   "（即 UTF-8 字节顺序）从小到大排列。",
    .total_rows = "表中共有多少行%s数据？",
    .w_rows_with = "满足 %s 的行：\n", .w_no_rows = "没有满足条件的行。\n",
    .w_item = "- %s：%s %s\n", .w_item2 = "- %s：%s %s，%s %s\n",
    .w_count = "共 %s %s。\n",
    .w_sum = "总和：%s\n",
    .w_avg = "总和 %s，共 %s %s；平均值 %s\n",
    .w_largest = "最大的%s是 %s。\n", .w_smallest = "最小的%s是 %s。\n",
    .w_compare = "%s 的%s为 %s；%s 的%s为 %s。\n",
    .w_join = "%s 的%s为%s；在%s表中，%s的%s为%s。\n",
    .w_date_diff = "%s：%s；%s：%s；相差 %s %s。\n",
};

static const char *plural(const words *w, long long n, bool days)
{
    bool one = n == 1 || n == -1;
    return days ? (one ? w->day : w->days) : (one ? w->row : w->rows);
}

/* A value as the sample's table shows it. */
static char *text_of(const synl_table *t, size_t row, size_t col, synl_format f, char *buf,
                     size_t cap)
{
    synl_value_in(t, row, col, f, buf, cap);
    return buf;
}

/* A value as a typed JSON item, for meta. */
static cJSON *typed(const synl_table *t, size_t row, size_t col)
{
    char b[256];
    int64_t v = synl_cell(t, row, col);
    switch (t->schema->cols[col].type) {
    case SYNL_INT: return cJSON_CreateNumber((double)v);
    case SYNL_DECIMAL: return cJSON_CreateNumber((double)v / 100.0);
    case SYNL_BOOL: return cJSON_CreateBool(v != 0);
    default: return cJSON_CreateString(text_of(t, row, col, SYNL_MARKDOWN, b, sizeof b));
    }
}

/* The same value as the answer text shows it: as its table renders it. */
static cJSON *shown(const synl_table *t, size_t row, size_t col, synl_format f)
{
    char b[256];
    return cJSON_CreateString(text_of(t, row, col, f, b, sizeof b));
}

static int64_t cents(const synl_table *t, size_t row, size_t col)
{
    int64_t v = synl_cell(t, row, col);
    return t->schema->cols[col].type == SYNL_DECIMAL ? v : v * 100;
}

/* A number in cents as a decimal column renders it (2 decimals), or as an
 * int column does (when is_int; then c is a whole number of units). */
static char *num_text(char *b, size_t cap, int64_t c, bool is_int)
{
    if (is_int)
        snprintf(b, cap, "%lld", (long long)(c / 100));
    else
        snprintf(b, cap, "%s%lld.%02lld", c < 0 ? "-" : "", (long long)(llabs(c) / 100),
                 (long long)(llabs(c) % 100));
    return b;
}

static cJSON *shown_num(int64_t c, bool is_int)
{
    char b[64];
    return cJSON_CreateString(num_text(b, sizeof b, c, is_int));
}

static cJSON *shown_count(long long n)
{
    char b[32];
    snprintf(b, sizeof b, "%lld", n);
    return cJSON_CreateString(b);
}

/* Numbers of the answer in JSON: ints stay ints. */
static cJSON *number_cents(int64_t c, bool is_int)
{
    return is_int ? cJSON_CreateNumber((double)(c / 100)) : cJSON_CreateNumber((double)c / 100.0);
}

/* The answer text, from the tree of shown strings. */
static void answer_text_of(lw_buf *out, const cJSON *a, const words *w)
{
    const cJSON *e;
    bool first = true;
    if (cJSON_IsArray(a)) {
        if (cJSON_GetArraySize(a) == 0)
            lw_buf_puts(out, w->none);
        cJSON_ArrayForEach(e, a)
        {
            if (!first)
                lw_buf_puts(out, ", ");
            answer_text_of(out, e, w);
            first = false;
        }
    } else if (cJSON_IsObject(a)) {
        cJSON_ArrayForEach(e, a)
        {
            lw_buf_printf(out, "%s%s: ", first ? "" : ", ", e->string);
            answer_text_of(out, e, w);
            first = false;
        }
    } else if (cJSON_IsString(a)) {
        lw_buf_puts(out, a->valuestring);
    } else {
        lw_buf_puts(out, w->none);
    }
}

/* Alphabetical order: ASCII letters compared without case, then bytes (so
 * "korean" comes before "Research", and "Apple" before "apple"). */
static int alpha_cmp(const char *a, const char *b)
{
    for (const unsigned char *x = (const void *)a, *y = (const void *)b;; x++, y++) {
        int cx = *x >= 'A' && *x <= 'Z' ? *x + 32 : *x, cy = *y >= 'A' && *y <= 'Z' ? *y + 32 : *y;
        if (cx != cy)
            return cx - cy;
        if (!*x)
            break;
    }
    return strcmp(a, b);
}

/* Does row r satisfy the plan's condition (col > t, and eq)? */
typedef struct {
    int col;
    int64_t threshold;
    int eq_col;
    int64_t eq_value;
} condition;

static bool holds(const synl_table *t, size_t r, const condition *c)
{
    if (synl_cell(t, r, (size_t)c->col) <= c->threshold)
        return false;
    return c->eq_col < 0 || synl_cell(t, r, (size_t)c->eq_col) == c->eq_value;
}

static char *threshold_text(char *b, size_t cap, const synl_table *t, const condition *c)
{
    return num_text(b, cap, t->schema->cols[c->col].type == SYNL_DECIMAL ? c->threshold
                                                                          : c->threshold * 100,
                    t->schema->cols[c->col].type != SYNL_DECIMAL);
}

static void condition_text(lw_buf *b, const synl_table *t, const condition *c, bool prose,
                           const words *w)
{
    const synl_schema *s = t->schema;
    char v[64];
    lw_buf_printf(b, prose ? w->gt : w->gt_sym, s->cols[c->col].name,
                  threshold_text(v, sizeof v, t, c));
    if (c->eq_col >= 0)
        lw_buf_printf(b, prose ? w->eq : w->eq_sym, s->cols[c->eq_col].name,
                      s->cols[c->eq_col].values[c->eq_value]);
}

static cJSON *where_json(const synl_table *t, const condition *c)
{
    const synl_schema *s = t->schema;
    cJSON *w = cJSON_CreateArray();
    cJSON *gt = cJSON_CreateObject();
    cJSON_AddStringToObject(gt, "column", s->cols[c->col].name);
    cJSON_AddStringToObject(gt, "op", "gt");
    char v[64];
    cJSON_AddStringToObject(gt, "value", threshold_text(v, sizeof v, t, c));
    cJSON_AddItemToArray(w, gt);
    if (c->eq_col >= 0) {
        cJSON *eq = cJSON_CreateObject();
        cJSON_AddStringToObject(eq, "column", s->cols[c->eq_col].name);
        cJSON_AddStringToObject(eq, "op", "eq");
        cJSON_AddStringToObject(eq, "value", s->cols[c->eq_col].values[c->eq_value]);
        cJSON_AddItemToArray(w, eq);
    }
    return w;
}

/* Plant: the key rows get values above the threshold (and the eq value),
 * every other row a value at or below it, so exactly the key rows match.
 * The threshold is the plan's fraction of the column's range, so it differs
 * from sample to sample. A top-k plan's tie rows then take the k-th largest
 * value of the first k key rows. */
static void plant(synl_table *t, const synl_plan *p, const size_t *keys, uint32_t n_keys,
                  uint64_t seed, uint64_t sample, condition *c)
{
    const synl_column *col = &t->schema->cols[p->col];
    int64_t span = col->max - col->min;
    c->col = p->col;
    c->threshold = col->min + (int64_t)((double)span * p->threshold);
    if (c->threshold >= col->max)
        c->threshold = col->max - 1;
    c->eq_col = p->eq_col;
    c->eq_value = p->eq_value;
    size_t n = t->n_rows, nc = t->schema->n_cols;
    for (size_t r = 0; r < n; r++) {
        bool key = false;
        for (uint32_t k = 0; k < n_keys; k++)
            key |= keys[k] == r;
        int64_t *cell = &t->cells[r * nc + (size_t)p->col];
        lw_rng rng;
        lw_rng_init(&rng, seed, LW_STREAM_SYNL + 32, sample << 24 | (uint64_t)r);
        if (key) {
            *cell = c->threshold + 1 + (int64_t)lw_rng_below(&rng, (uint64_t)(col->max - c->threshold));
            if (p->eq_col >= 0)
                t->cells[r * nc + (size_t)p->eq_col] = p->eq_value;
        } else if (*cell > c->threshold) {
            *cell = col->min + (int64_t)lw_rng_below(&rng, (uint64_t)(c->threshold - col->min) + 1);
        }
    }
    /* Half the conditions have a row holding exactly the threshold (which
     * does not match: the condition is strict). */
    size_t at = (size_t)(p->probe * (double)n);
    bool at_key = false;
    for (uint32_t k = 0; k < n_keys; k++)
        at_key |= keys[k] == at;
    if (p->boundary && p->task != SYNL_TOPK && !at_key)
        t->cells[at * nc + (size_t)p->col] = c->threshold;
    if (p->task == SYNL_TOPK && p->ties && n_keys > p->k) {
        int64_t v[SYNL_MAX_KEYS];
        for (uint32_t k = 0; k < p->k; k++)
            v[k] = t->cells[keys[k] * nc + (size_t)p->col];
        for (uint32_t i = 1; i < p->k; i++) /* largest first */
            for (uint32_t j = i; j > 0 && v[j] > v[j - 1]; j--) {
                int64_t x = v[j];
                v[j] = v[j - 1];
                v[j - 1] = x;
            }
        for (uint32_t k = p->k; k < n_keys; k++)
            t->cells[keys[k] * nc + (size_t)p->col] = v[p->k - 1];
    }
}

/* Find: the key rows hold the value V of the plan's column and no other row
 * does; V is the first key row's own value, or (no key rows) the value of
 * the row at the plan's probe depth, which is then changed like the rest. */
static int64_t plant_find(synl_table *t, const synl_plan *p, const size_t *keys,
                          uint32_t n_keys, uint64_t seed, uint64_t sample)
{
    const synl_column *col = &t->schema->cols[p->col];
    size_t n = t->n_rows, nc = t->schema->n_cols;
    size_t src = n_keys ? keys[0] : (size_t)(p->probe * (double)n);
    int64_t v = t->cells[src * nc + (size_t)p->col];
    for (size_t r = 0; r < n; r++) {
        bool key = false;
        for (uint32_t k = 0; k < n_keys; k++)
            key |= keys[k] == r;
        int64_t *cell = &t->cells[r * nc + (size_t)p->col];
        if (key) {
            *cell = v;
            continue;
        }
        lw_rng rng;
        lw_rng_init(&rng, seed, LW_STREAM_SYNL + 33, sample << 24 | (uint64_t)r);
        while (*cell == v) /* findable columns have many values: this ends */
            *cell = synl_draw(col, &rng);
    }
    return v;
}

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return x < y ? -1 : x > y;
}

size_t synl_min_rows(const synl_plan *p)
{
    return p->keys * 2 > 8 ? p->keys * 2 : 8;
}

int synl_sample_build(synl_sample *out, const synl_schema *s, const synl_plan *p, uint64_t seed,
                      uint64_t sample, size_t n)
{
    synl_sample_clear(out);
    synl_key key = {seed, sample, 0};
    synl_table_init(&out->main, s, key);
    out->main.lang = p->lang;
    if (n < synl_min_rows(p))
        n = synl_min_rows(p);
    if (synl_table_fill(&out->main, key, n))
        return -1;
    synl_table *t = &out->main;
    /* Key rows at their depths, moved to the next free row on a collision. */
    out->n_keys = p->keys;
    for (uint32_t k = 0; k < p->keys; k++) {
        size_t pos = (size_t)(p->depth[k] * (double)n);
        for (bool taken = true; taken;) {
            taken = false;
            for (uint32_t j = 0; j < k; j++)
                taken |= out->key_rows[j] == pos;
            if (taken)
                pos = (pos + 1) % n;
        }
        out->key_rows[k] = pos;
    }
    condition cond = {0};
    bool planted = p->task == SYNL_COUNT || p->task == SYNL_SUM || p->task == SYNL_AVG ||
                   p->task == SYNL_ARGMAX || p->task == SYNL_ARGMIN || p->task == SYNL_TOPK;
    if (planted)
        plant(t, p, out->key_rows, p->keys, seed, sample, &cond);
    if (p->task == SYNL_TOPK)
        cond.eq_col = -1;

    sample_extra *extra = calloc(1, sizeof *extra);
    if (!extra)
        return -1;
    if (p->task == SYNL_JOIN) {
        make_dim_schema(&extra->dim, s, p->lang);
        synl_key dk = {seed, sample, 1};
        synl_table_init(&out->dim, &extra->dim.schema, dk);
        out->dim.lang = p->lang;
        if (synl_table_fill(&out->dim, dk, s->cols[s->join_col].n_values)) {
            free(extra);
            return -1;
        }
        for (size_t r = 0; r < out->dim.n_rows; r++)
            out->dim.cells[r * 4] = (int64_t)r;
        out->has_dim = true;
    }

    const words *w = p->lang == SYNL_ZH ? &zh : &en;
    const synl_format f = p->format;
    const char *entity = s->entity;
    char b1[256], b2[256], b3[256], b4[256], n1[64], n2[64];
    lw_buf q = {0};          /* the question */
    lw_buf work = {0};       /* the worked solution */
    cJSON *query = cJSON_CreateObject();
    cJSON *answer = NULL;    /* typed, for meta */
    cJSON *show = NULL;      /* the same answer as strings, as the text shows them */
    cJSON *depths = cJSON_CreateArray();
    cJSON_AddStringToObject(query, "op", synl_task_name(p->task));
    cJSON_AddStringToObject(query, "table", s->name);
    size_t k0 = out->key_rows[0], k1 = out->key_rows[1];
    const synl_column *col = p->col >= 0 ? &s->cols[p->col] : NULL;
    switch (p->task) {
    case SYNL_LOOKUP:
        text_of(t, k0, 0, f, b1, sizeof b1);
        lw_buf_printf(&q, w->lookup, col->name, entity, b1);
        cJSON_AddStringToObject(query, "key", b1);
        cJSON_AddStringToObject(query, "column", col->name);
        answer = typed(t, k0, (size_t)p->col);
        show = shown(t, k0, (size_t)p->col, f);
        break;
    case SYNL_FIND: {
        int fc = p->col;
        int64_t v;
        if (fc >= 0) {
            v = plant_find(t, p, out->key_rows, p->keys, seed, sample);
        } else {
            /* No column with many values: the one where the key row's value
             * is rarest. */
            size_t best_count = 0;
            for (size_t c = 1; c < s->n_cols; c++) {
                if (s->cols[c].type == SYNL_BOOL || s->cols[c].type == SYNL_DECIMAL)
                    continue;
                size_t count = 0;
                int64_t cv = synl_cell(t, k0, c);
                for (size_t r = 0; r < n; r++)
                    count += synl_cell(t, r, c) == cv;
                if (fc < 0 || count < best_count) {
                    fc = (int)c;
                    best_count = count;
                }
            }
            v = synl_cell(t, k0, (size_t)fc);
        }
        /* The value's text: a row's, as every row holding v shows it. */
        size_t any = 0;
        if (p->keys)
            any = k0;
        else
            for (size_t r = 0; r < n; r++)
                if (synl_cell(t, r, (size_t)fc) != v) {
                    any = r;
                    break;
                }
        int64_t saved = t->cells[any * s->n_cols + (size_t)fc];
        t->cells[any * s->n_cols + (size_t)fc] = v;
        text_of(t, any, (size_t)fc, f, b1, sizeof b1);
        t->cells[any * s->n_cols + (size_t)fc] = saved;
        lw_buf_printf(&q, w->find, entity, s->cols[fc].name, b1);
        cJSON_AddStringToObject(query, "column", s->cols[fc].name);
        cJSON_AddStringToObject(query, "value", b1);
        answer = cJSON_CreateArray();
        out->n_keys = 0;
        for (size_t r = 0; r < n; r++)
            if (synl_cell(t, r, (size_t)fc) == v) {
                cJSON_AddItemToArray(answer, cJSON_CreateString(text_of(t, r, 0, f, b2, sizeof b2)));
                if (out->n_keys < SYNL_MAX_KEYS)
                    out->key_rows[out->n_keys++] = r;
            }
        show = cJSON_Duplicate(answer, 1);
        break;
    }
    case SYNL_ROW:
        text_of(t, k0, 0, f, b1, sizeof b1);
        lw_buf_printf(&q, w->row_q, entity, b1);
        cJSON_AddStringToObject(query, "key", b1);
        answer = cJSON_CreateObject();
        show = cJSON_CreateObject();
        for (size_t c = 0; c < s->n_cols; c++) {
            cJSON_AddItemToObject(answer, s->cols[c].name, typed(t, k0, c));
            cJSON_AddItemToObject(show, s->cols[c].name, shown(t, k0, c, f));
        }
        break;
    case SYNL_ROW_AT:
        snprintf(n1, sizeof n1, "%zu", k0 + 1);
        lw_buf_printf(&q, w->row_at, n1, s->name);
        cJSON_AddNumberToObject(query, "position", (double)(k0 + 1));
        answer = cJSON_CreateString(text_of(t, k0, 0, f, b1, sizeof b1));
        show = cJSON_Duplicate(answer, 1);
        break;
    case SYNL_COUNT:
    case SYNL_SUM:
    case SYNL_AVG:
    case SYNL_ARGMAX:
    case SYNL_ARGMIN: {
        lw_buf cs = {0};
        condition_text(&cs, t, &cond, true, w);
        lw_buf_putc(&cs, '\0');
        lw_buf sym = {0};
        condition_text(&sym, t, &cond, false, w);
        lw_buf_putc(&sym, '\0');
        const synl_column *agg = &s->cols[p->col2];
        bool agg_int = agg->type == SYNL_INT;
        int64_t sum = 0, best = 0;
        size_t matched = 0;
        lw_buf_printf(&work, w->w_rows_with, sym.data);
        for (size_t r = 0; r < n; r++) {
            if (!holds(t, r, &cond))
                continue;
            int64_t v = cents(t, r, (size_t)p->col2);
            if (!matched || (p->task == SYNL_ARGMAX ? v > best : v < best))
                best = v;
            sum += v;
            matched++;
            text_of(t, r, 0, f, b1, sizeof b1);
            text_of(t, r, (size_t)p->col, f, b2, sizeof b2);
            if (p->task != SYNL_COUNT && p->col2 != p->col)
                lw_buf_printf(&work, w->w_item2, b1, col->name, b2, agg->name,
                              text_of(t, r, (size_t)p->col2, f, b3, sizeof b3));
            else
                lw_buf_printf(&work, w->w_item, b1, col->name, b2);
        }
        if (!matched)
            lw_buf_puts(&work, w->w_no_rows);
        snprintf(n2, sizeof n2, "%zu", matched);
        cJSON_AddItemToObject(query, "where", where_json(t, &cond));
        if (p->task != SYNL_COUNT)
            cJSON_AddStringToObject(query, "column", agg->name);
        if (p->task == SYNL_COUNT) {
            lw_buf_printf(&q, w->count, entity, cs.data);
            answer = cJSON_CreateNumber((double)matched);
            show = shown_count((long long)matched);
            lw_buf_printf(&work, w->w_count, n2, plural(w, (long long)matched, false));
        } else if (p->task == SYNL_SUM) {
            lw_buf_printf(&q, w->sum, agg->name, entity, cs.data);
            answer = number_cents(sum, agg_int);
            show = shown_num(sum, agg_int);
            lw_buf_printf(&work, w->w_sum, num_text(n1, sizeof n1, sum, agg_int));
        } else if (p->task == SYNL_AVG) {
            lw_buf_printf(&q, w->avg, agg->name, entity, cs.data);
            if (matched) {
                int64_t avg = (2 * sum + (int64_t)matched) / (2 * (int64_t)matched); /* half up */
                answer = cJSON_CreateNumber((double)avg / 100.0);
                show = shown_num(avg, false); /* the question asks for 2 decimals */
                lw_buf_printf(&work, w->w_avg, num_text(n1, sizeof n1, sum, agg_int), n2,
                              plural(w, (long long)matched, false),
                              num_text(b4, sizeof b4, avg, false));
            } else {
                answer = cJSON_CreateNull();
                show = cJSON_CreateNull();
            }
        } else {
            bool max = p->task == SYNL_ARGMAX;
            lw_buf_printf(&q, max ? w->argmax : w->argmin, entity, cs.data, agg->name);
            answer = cJSON_CreateArray();
            for (size_t r = 0; r < n; r++)
                if (holds(t, r, &cond) && cents(t, r, (size_t)p->col2) == best)
                    cJSON_AddItemToArray(answer, cJSON_CreateString(text_of(t, r, 0, f, b1, sizeof b1)));
            show = cJSON_Duplicate(answer, 1);
            if (matched)
                lw_buf_printf(&work, max ? w->w_largest : w->w_smallest, agg->name,
                              num_text(n1, sizeof n1, best, agg_int));
        }
        lw_buf_free(&cs);
        lw_buf_free(&sym);
        break;
    }
    case SYNL_COMPARE: {
        text_of(t, k0, 0, f, b1, sizeof b1);
        text_of(t, k1, 0, f, b2, sizeof b2);
        lw_buf_printf(&q, col->type == SYNL_DATE ? w->compare_date : w->compare, col->name,
                      entity, b1, b2);
        cJSON *keys = cJSON_AddArrayToObject(query, "keys");
        cJSON_AddItemToArray(keys, cJSON_CreateString(b1));
        cJSON_AddItemToArray(keys, cJSON_CreateString(b2));
        cJSON_AddStringToObject(query, "column", col->name);
        int64_t a = synl_cell(t, k0, (size_t)p->col), c = synl_cell(t, k1, (size_t)p->col);
        /* meta says "equal" in every language; the text says it in the sample's */
        answer = cJSON_CreateString(a > c ? b1 : a < c ? b2 : "equal");
        show = cJSON_CreateString(a > c ? b1 : a < c ? b2 : w->equal);
        lw_buf_printf(&work, w->w_compare, b1, col->name,
                      text_of(t, k0, (size_t)p->col, f, b3, sizeof b3), b2, col->name,
                      text_of(t, k1, (size_t)p->col, f, b4, sizeof b4));
        break;
    }
    case SYNL_JOIN: {
        const synl_table *d = &out->dim;
        const char *other = d->schema->cols[p->other_col].name;
        text_of(t, k0, 0, f, b1, sizeof b1);
        int64_t v = synl_cell(t, k0, (size_t)p->col);
        lw_buf_printf(&q, w->join, other, col->name, entity, b1, col->name, s->dim_name);
        cJSON_AddStringToObject(query, "key", b1);
        cJSON_AddStringToObject(query, "column", col->name);
        cJSON_AddStringToObject(query, "other", s->dim_name);
        cJSON_AddStringToObject(query, "other_column", other);
        answer = typed(d, (size_t)v, (size_t)p->other_col);
        show = shown(d, (size_t)v, (size_t)p->other_col, f);
        lw_buf_printf(&work, w->w_join, b1, col->name, col->values[v], s->dim_name,
                      col->values[v], other,
                      text_of(d, (size_t)v, (size_t)p->other_col, f, b2, sizeof b2));
        break;
    }
    case SYNL_DATE_DIFF: {
        text_of(t, k0, 0, f, b1, sizeof b1);
        text_of(t, k1, 0, f, b2, sizeof b2);
        lw_buf_printf(&q, w->date_diff, col->name, entity, b1, col->name, entity, b2);
        cJSON *keys = cJSON_AddArrayToObject(query, "keys");
        cJSON_AddItemToArray(keys, cJSON_CreateString(b1));
        cJSON_AddItemToArray(keys, cJSON_CreateString(b2));
        cJSON_AddStringToObject(query, "column", col->name);
        int64_t days = synl_cell(t, k1, (size_t)p->col) - synl_cell(t, k0, (size_t)p->col);
        answer = cJSON_CreateNumber((double)days);
        show = shown_count((long long)days);
        snprintf(n1, sizeof n1, "%lld", (long long)days);
        lw_buf_printf(&work, w->w_date_diff, b1,
                      text_of(t, k0, (size_t)p->col, f, b3, sizeof b3), b2,
                      text_of(t, k1, (size_t)p->col, f, b4, sizeof b4), n1,
                      plural(w, (long long)days, true));
        break;
    }
    case SYNL_TOPK: {
        snprintf(n1, sizeof n1, "%u", p->k);
        lw_buf_printf(&q, w->topk, n1, entity, col->name);
        cJSON_AddStringToObject(query, "column", col->name);
        cJSON_AddNumberToObject(query, "k", p->k);
        cJSON_AddStringToObject(query, "order", "desc");
        /* The planted rows are exactly the rows above the threshold. */
        size_t idx[SYNL_MAX_KEYS], m = 0;
        for (size_t r = 0; r < n && m < SYNL_MAX_KEYS; r++)
            if (holds(t, r, &cond))
                idx[m++] = r;
        for (size_t i = 1; i < m; i++) /* stable insertion sort, largest first */
            for (size_t j = i; j > 0 && synl_cell(t, idx[j], (size_t)p->col) >
                                            synl_cell(t, idx[j - 1], (size_t)p->col); j--) {
                size_t x = idx[j];
                idx[j] = idx[j - 1];
                idx[j - 1] = x;
            }
        answer = cJSON_CreateArray();
        for (size_t i = 0; i < m && i < p->k; i++)
            cJSON_AddItemToArray(answer, cJSON_CreateString(text_of(t, idx[i], 0, f, b1, sizeof b1)));
        show = cJSON_Duplicate(answer, 1);
        break;
    }
    case SYNL_DISTINCT:
    case SYNL_GROUP_COUNT: {
        /* Counts per value code, then by value text in alphabetical order. */
        size_t cap = col->type == SYNL_NAME ? synl_n_first_names * 1000
                     : col->values            ? col->n_values
                                              : 1;
        if (col->type != SYNL_NAME) {
            for (size_t r = 0; r < n; r++)
                if ((size_t)synl_cell(t, r, (size_t)p->col) + 1 > cap)
                    cap = (size_t)synl_cell(t, r, (size_t)p->col) + 1;
        }
        uint32_t *counts = calloc(cap, sizeof *counts);
        size_t distinct = 0;
        for (size_t r = 0; counts && r < n; r++)
            distinct += counts[synl_cell(t, r, (size_t)p->col)]++ == 0;
        cJSON_AddStringToObject(query, "column", col->name);
        if (p->task == SYNL_DISTINCT) {
            lw_buf_printf(&q, w->distinct, col->name);
            answer = cJSON_CreateNumber((double)distinct);
            show = shown_count((long long)distinct);
        } else {
            lw_buf_printf(&q, w->group_count, entity, col->name);
            answer = cJSON_CreateObject();
            show = cJSON_CreateObject();
            size_t nv = col->n_values;
            size_t *order = malloc(nv * sizeof *order);
            for (size_t i = 0; order && i < nv; i++)
                order[i] = i;
            int (*cmp)(const char *, const char *) = w->byte_order ? strcmp : alpha_cmp;
            for (size_t i = 1; order && i < nv; i++) /* by value text, as the question says */
                for (size_t j = i;
                     j > 0 && cmp(col->values[order[j]], col->values[order[j - 1]]) < 0; j--) {
                    size_t x = order[j];
                    order[j] = order[j - 1];
                    order[j - 1] = x;
                }
            for (size_t i = 0; order && counts && i < nv; i++)
                if (counts[order[i]]) {
                    cJSON_AddNumberToObject(answer, col->values[order[i]], counts[order[i]]);
                    cJSON_AddItemToObject(show, col->values[order[i]], shown_count(counts[order[i]]));
                }
            free(order);
        }
        free(counts);
        out->n_keys = 0;
        break;
    }
    case SYNL_TOTAL_ROWS:
        lw_buf_printf(&q, w->total_rows, entity);
        answer = cJSON_CreateNumber((double)n);
        show = shown_count((long long)n);
        out->n_keys = 0;
        break;
    case SYNL_TASK_COUNT_: break;
    }
    /* depths in table order, for every task */
    qsort(out->key_rows, out->n_keys, sizeof *out->key_rows, cmp_size);
    for (uint32_t k = 0; k < out->n_keys; k++)
        cJSON_AddItemToArray(depths, cJSON_CreateNumber((double)out->key_rows[k] / (double)n));

    /* The messages. */
    int rc = 0;
    lw_buf *u = &out->user;
    rc |= lw_buf_printf(u, w->intro, out->has_dim ? w->two_tables : w->one_table);
    rc |= lw_buf_printf(u, w->table_head, s->name) | synl_render(u, t, f);
    if (out->has_dim)
        rc |= lw_buf_puts(u, "\n") | lw_buf_printf(u, w->table_head, s->dim_name) |
              synl_render(u, &out->dim, f);
    rc |= lw_buf_puts(u, w->question_head) | lw_buf_append(u, q.data, q.len);
    lw_buf *a = &out->assistant;
    bool reasoning = strcmp(synl_task_family(p->task), "reasoning") == 0;
    if (p->cot && reasoning)
        rc |= lw_buf_append(a, work.data, work.len) | lw_buf_puts(a, w->answer);
    answer_text_of(a, show, w);
    cJSON_Delete(show);
    lw_buf_free(&q);
    lw_buf_free(&work);
    out->query = query;
    out->answer = answer;
    out->depths = depths;
    /* The dim schema must live as long as the sample: keep it in dim. */
    out->dim.schema = out->has_dim ? &extra->dim.schema : NULL;
    if (!out->has_dim)
        free(extra);
    return rc || !answer ? -1 : 0;
}

void synl_sample_clear(synl_sample *out)
{
    synl_table_free(&out->main);
    if (out->has_dim)
        free((void *)out->dim.schema); /* the sample_extra block starts with it */
    synl_table_free(&out->dim);
    lw_buf_free(&out->user);
    lw_buf_free(&out->assistant);
    cJSON_Delete(out->query);
    cJSON_Delete(out->answer);
    cJSON_Delete(out->depths);
    memset(out, 0, sizeof *out);
}
