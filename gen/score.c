/* `score`: read an evaluation set's answer keys and a model's predictions,
 * score every sample (share of answers the prediction contains, ignoring
 * case and character width), and sum the scores per (task, length, depth). */
#include "longweave/score.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <glob.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utf8proc.h>

#include "longweave/hash.h"
#include "longweave/dataset.h"
#include "longweave/fileio.h"
#include "longweave/record.h"
#include "longweave/vec.h"
#include "longweave/source.h"
#include "score_internal.h"

/* The width forms to their usual characters: what NFKC does to the code
 * points whose decomposition is <wide> or <narrow> (full-width ASCII
 * U+FF01..FF5E, the ideographic space U+3000, full-width ￥ and half-width
 * katakana), and nothing else, so that a Chinese model's "４８２７" or
 * "ＵＵＩＤ" matches while ① or ² (other compatibility forms) stay themselves. */
static utf8proc_int32_t unwiden(utf8proc_int32_t cp, void *data)
{
    (void)data;
    int type = utf8proc_get_property(cp)->decomp_type;
    if (type != UTF8PROC_DECOMP_TYPE_WIDE && type != UTF8PROC_DECOMP_TYPE_NARROW)
        return cp;
    utf8proc_int32_t d[4];
    int boundclass = 0;
    utf8proc_ssize_t n = utf8proc_decompose_char(cp, d, 4, UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT,
                                                  &boundclass);
    return n == 1 ? d[0] : cp;
}

/* Width folding, case folding and NFC, so "ÄBC" matches "äbc" in either
 * form and "ＡＢＣ" too; bytes that are not UTF-8 are compared with ASCII
 * case folding only. Answers are found anywhere in the prediction (no word
 * boundaries), as Chinese is written without spaces. */
static char *fold(const char *s)
{
    utf8proc_uint8_t *out = NULL;
    utf8proc_ssize_t n = utf8proc_map_custom((const utf8proc_uint8_t *)s, 0, &out,
                                             UTF8PROC_NULLTERM | UTF8PROC_STABLE |
                                                 UTF8PROC_COMPOSE | UTF8PROC_CASEFOLD,
                                             unwiden, NULL);
    if (n >= 0)
        return (char *)out;
    char *c = strdup(s);
    for (char *p = c; p && *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return c;
}

/* id -> record index + 1 (0: empty slot), open addressing. */
typedef struct {
    uint32_t *slot;
    size_t cap;
} id_map;

static size_t id_find(const id_map *m, const sc_set *s, const char *id, bool *found)
{
    size_t i = (size_t)lw_hash64_bytes(id, strlen(id), 0) & (m->cap - 1);
    while (m->slot[i] && strcmp(s->rec[m->slot[i] - 1].id, id) != 0)
        i = (i + 1) & (m->cap - 1);
    *found = m->slot[i] != 0;
    return i;
}

static int id_grow(id_map *m, const sc_set *s)
{
    size_t cap = m->cap ? m->cap * 2 : 1024;
    uint32_t *old = m->slot;
    size_t old_cap = m->cap;
    if (!(m->slot = calloc(cap, sizeof *m->slot))) {
        m->slot = old;
        return -1;
    }
    m->cap = cap;
    for (size_t i = 0; i < old_cap; i++)
        if (old[i]) {
            bool f;
            m->slot[id_find(m, s, s->rec[old[i] - 1].id, &f)] = old[i];
        }
    free(old);
    return 0;
}

static lw_status bad(lw_error *err, const lw_loc *loc, const char *what)
{
    return lw_error_at(err, LW_E_DATA, loc, "%s", what);
}

static int task_index(sc_set *s, const char *name)
{
    for (size_t i = 0; i < s->n_tasks; i++)
        if (strcmp(s->tasks[i], name) == 0)
            return (int)i;
    if (!LW_VEC_GROW(&s->tasks, &s->n_tasks_cap, s->n_tasks + 1))
        return -1;
    if (!(s->tasks[s->n_tasks] = strdup(name)))
        return -1;
    return (int)s->n_tasks++;
}

/* One record of the evaluation set: its id, task, length, depth, answers. */
static lw_status add_record(sc_set *s, id_map *ids, const cJSON *o, const lw_loc *loc,
                            lw_error *err)
{
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(o, "id");
    const cJSON *task = cJSON_GetObjectItemCaseSensitive(o, "task");
    const cJSON *len = cJSON_GetObjectItemCaseSensitive(o, "length");
    const cJSON *depth = cJSON_GetObjectItemCaseSensitive(o, "depth");
    const cJSON *ans = cJSON_GetObjectItemCaseSensitive(o, "answers");
    if (!cJSON_IsString(id) || !cJSON_IsString(task))
        return bad(err, loc, "an evaluation record needs \"id\" and \"task\" strings");
    if (!cJSON_IsNumber(len) || len->valuedouble < 0 || len->valuedouble > 4294967295.0 ||
        len->valuedouble != floor(len->valuedouble))
        return bad(err, loc, "\"length\" must be a non-negative integer");
    if (depth && !cJSON_IsNull(depth) &&
        (!cJSON_IsNumber(depth) || !(depth->valuedouble >= 0 && depth->valuedouble <= 1)))
        return bad(err, loc, "\"depth\" must be a number from 0 to 1, or null");
    if (!cJSON_IsArray(ans) || cJSON_GetArraySize(ans) == 0)
        return bad(err, loc, "\"answers\" must be a non-empty array of strings");
    const cJSON *a;
    cJSON_ArrayForEach(a, ans)
    {
        if (!cJSON_IsString(a))
            return bad(err, loc, "\"answers\" must be a non-empty array of strings");
    }
    if ((s->n + 1) * 2 > ids->cap && id_grow(ids, s))
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    bool dup;
    size_t slot = id_find(ids, s, id->valuestring, &dup);
    if (dup) {
        char msg[400];
        snprintf(msg, sizeof msg, "id '%.200s' appears twice in the evaluation set",
                 id->valuestring);
        return bad(err, loc, msg);
    }
    if (!LW_VEC_GROW(&s->rec, &s->cap, s->n + 1))
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    sc_record *r = &s->rec[s->n];
    memset(r, 0, sizeof *r);
    r->task = task_index(s, task->valuestring);
    r->length = (uint32_t)len->valuedouble;
    r->depth = cJSON_IsNumber(depth) ? depth->valuedouble : NAN;
    r->n_answers = (size_t)cJSON_GetArraySize(ans);
    r->id = strdup(id->valuestring);
    r->answers = calloc(r->n_answers, sizeof *r->answers);
    r->folded = calloc(r->n_answers, sizeof *r->folded);
    r->found = calloc(r->n_answers, sizeof *r->found);
    s->n++; /* owned from here on, freed with the set */
    if (r->task < 0 || !r->id || !r->answers || !r->folded || !r->found)
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    size_t k = 0;
    cJSON_ArrayForEach(a, ans)
    {
        r->answers[k] = strdup(a->valuestring);
        r->folded[k] = fold(a->valuestring);
        if (!r->answers[k] || !r->folded[k++])
            return lw_error_set(err, LW_E_NOMEM, "out of memory");
    }
    ids->slot[slot] = (uint32_t)s->n;
    return LW_OK;
}

typedef lw_status (*line_fn)(void *ctx, const cJSON *o, const lw_loc *loc, lw_error *err);

/* A Parquet row (a record, record.h) as the object its JSON line would be. */
static cJSON *record_object(const lw_unit *u)
{
    cJSON *o = cJSON_CreateObject();
    size_t pos = 0;
    lw_record_field f;
    while (o && lw_record_next(u->data, u->len, &pos, &f)) {
        char *key = strndup(f.key, f.key_len), *str = NULL;
        cJSON *v = NULL;
        if (f.kind == LW_FIELD_STRING)
            v = (str = strndup(f.value, f.value_len)) ? cJSON_CreateString(str) : NULL;
        else
            v = cJSON_ParseWithLength(f.value, f.value_len);
        free(str);
        if (!key || !v || !cJSON_AddItemToObject(o, key, v)) {
            cJSON_Delete(v);
            cJSON_Delete(o);
            o = NULL;
        }
        free(key);
    }
    return o;
}

/* Every record of a JSON Lines file (zstd-compressed or not; "-" is stdin)
 * as a parsed object, through the corpus readers; any damage is an error
 * naming the file and line, since a skipped answer key or prediction would
 * change the scores. */
static lw_status each_line(const char *path, line_fn fn, void *ctx, lw_error *err)
{
    const char *inputs[1] = {path};
    lw_source_config sc = {.inputs = inputs, .n_inputs = 1, .strict = true, .threads = 1};
    sc.input.format = LW_FORMAT_JSONL;
    lw_doc_stats stats = {0};
    lw_source src;
    lw_status st = lw_source_open(&src, &sc, &stats, err);
    if (st)
        return st;
    while (!st) {
        lw_unit u;
        bool got, handled;
        lw_loc loc;
        if ((st = lw_reader_next(src.reader, &u, &got, err)) || !got)
            break;
        if ((st = lw_docflow_unit(&src.flow, &u, &handled, err)) || handled ||
            (st = lw_docflow_loc(&src.flow, &u, &loc, err)))
            continue;
        /* One value per line: what follows it may only be white space (a
         * CRLF's \r), never a second value after a lone \r or a space. */
        const char *end = NULL;
        bool row = u.format == LW_FORMAT_RECORD;
        cJSON *o = row ? record_object(&u) : cJSON_ParseWithLengthOpts(u.data, u.len, &end, 0);
        size_t rest = !o || row ? u.len : (size_t)(end - u.data);
        while (rest < u.len && strchr(" \t\r\n", u.data[rest]) && u.data[rest])
            rest++;
        if (!o)
            st = row ? lw_error_set(err, LW_E_NOMEM, "out of memory")
                     : bad(err, &loc, "not valid JSON");
        else if (rest < u.len)
            st = bad(err, &loc, "text after the JSON value");
        else
            st = cJSON_IsObject(o) ? fn(ctx, o, &loc, err) : bad(err, &loc, "not a JSON object");
        cJSON_Delete(o);
    }
    lw_source_close(&src);
    return st;
}

typedef struct {
    sc_set *set;
    id_map *ids;
    uint64_t *seen_line; /* per record: the prediction's line (0: none yet) */
} ctx_t;

static lw_status on_record(void *ctx, const cJSON *o, const lw_loc *loc, lw_error *err)
{
    ctx_t *c = ctx;
    return add_record(c->set, c->ids, o, loc, err);
}

static lw_status on_prediction(void *ctx, const cJSON *o, const lw_loc *loc, lw_error *err)
{
    ctx_t *c = ctx;
    sc_set *s = c->set;
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(o, "id");
    const cJSON *pred = cJSON_GetObjectItemCaseSensitive(o, "prediction");
    if (!cJSON_IsString(id))
        return bad(err, loc, "a prediction needs an \"id\" string");
    if (!cJSON_IsString(pred) && !cJSON_IsNull(pred))
        return bad(err, loc, "\"prediction\" must be a string (or null)");
    bool known;
    size_t slot = id_find(c->ids, s, id->valuestring, &known);
    if (!known) {
        s->unknown_total++;
        if (s->n_unknown < SC_UNKNOWN_LISTED &&
            !(s->unknown[s->n_unknown++] = strdup(id->valuestring)))
            return lw_error_set(err, LW_E_NOMEM, "out of memory");
        return LW_OK;
    }
    size_t k = c->ids->slot[slot] - 1;
    if (c->seen_line[k]) {
        char msg[400];
        snprintf(msg, sizeof msg, "a second prediction for id '%.200s' (the first is on line "
                 "%llu)", id->valuestring, (unsigned long long)c->seen_line[k]);
        return bad(err, loc, msg);
    }
    c->seen_line[k] = loc->line;
    sc_record *r = &s->rec[k];
    r->predicted = true;
    char *text = fold(cJSON_IsString(pred) ? pred->valuestring : "");
    if (!text)
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    size_t hits = 0;
    for (size_t i = 0; i < r->n_answers; i++)
        hits += r->found[i] = strstr(text, r->folded[i]) != NULL;
    r->score = (double)hits / (double)r->n_answers;
    free(text);
    return LW_OK;
}

/* The .jsonl files of a set: a file itself, or those that the directory's
 * manifest(s) list (manifest.json, or manifest.part-*.json of --part runs). */
static lw_status set_files(const char *evalset, char ***out, size_t *n, lw_error *err)
{
    struct stat sb;
    *out = NULL;
    *n = 0;
    if (stat(evalset, &sb) != 0)
        return lw_error_errno(err, LW_E_NOINPUT, errno, "cannot open evaluation set", evalset);
    if (!S_ISDIR(sb.st_mode)) {
        *out = malloc(sizeof **out);
        if (!*out || !((*out)[0] = strdup(evalset)))
            return lw_error_set(err, LW_E_NOMEM, "out of memory");
        *n = 1;
        return LW_OK;
    }
    lw_manifest **ms;
    size_t nm;
    lw_status st = lw_manifests_in(evalset, &ms, &nm, err);
    if (!st && nm == 0)
        st = lw_error_set(err, LW_E_NOINPUT, "%s: no manifest.json: give the directory that "
                          "'longweave needle' wrote, or one of its .jsonl files", evalset);
    size_t cap = 0;
    for (size_t i = 0; i < nm && !st; i++) {
        const lw_manifest *m = ms[i];
        /* a needle run, or the merge of its parts */
        const cJSON *first_in = cJSON_GetArrayItem(cJSON_GetObjectItem(m->json,
                                                                       "input_manifests"), 0);
        const char *in_stage = cJSON_GetStringValue(cJSON_GetObjectItem(first_in, "stage"));
        bool merged = !strcmp(m->stage, "merge") && in_stage && !strcmp(in_stage, "needle");
        if (!merged && strcmp(m->stage, "needle") != 0) {
            st = lw_error_set(err, LW_E_DATA, "%s: not an evaluation set (stage '%s', not "
                              "'needle')", m->path, m->stage);
            break;
        }
        /* the records: the set's own .jsonl files (the tokenized inputs are datasets) */
        for (size_t k = 0; k < m->n_files && !st; k++) {
            const lw_manifest_file *f = &m->files[k];
            size_t l = strlen(f->path);
            if (f->dataset || l < 6 || strcmp(f->path + l - 6, ".jsonl") != 0)
                continue;
            char *full = lw_concat(m->dir, "/", f->path);
            if (!full || !LW_VEC_GROW(out, &cap, *n + 1)) {
                free(full);
                st = lw_error_set(err, LW_E_NOMEM, "out of memory");
                break;
            }
            (*out)[(*n)++] = full;
        }
    }
    lw_manifests_free(ms, nm);
    if (!st && *n == 0)
        st = lw_error_set(err, LW_E_DATA, "%s: the manifest lists no .jsonl files", evalset);
    return st;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The distinct lengths and depths, then the sums per cell. */
static lw_status tabulate(sc_set *s, lw_error *err)
{
    s->lengths = malloc((s->n + 1) * sizeof *s->lengths);
    s->depths = malloc((s->n + 1) * sizeof *s->depths);
    if (!s->lengths || !s->depths)
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    for (size_t i = 0; i < s->n; i++) {
        s->lengths[i] = s->rec[i].length;
        if (!isnan(s->rec[i].depth))
            s->depths[s->n_depths++] = s->rec[i].depth;
    }
    qsort(s->lengths, s->n, sizeof *s->lengths, cmp_u32);
    qsort(s->depths, s->n_depths, sizeof *s->depths, cmp_double);
    size_t k = 0;
    for (size_t i = 0; i < s->n; i++)
        if (k == 0 || s->lengths[i] != s->lengths[k - 1])
            s->lengths[k++] = s->lengths[i];
    s->n_lengths = k;
    k = 0;
    for (size_t i = 0; i < s->n_depths; i++)
        if (k == 0 || s->depths[i] != s->depths[k - 1])
            s->depths[k++] = s->depths[i];
    s->n_depths = k;
    size_t cells = s->n_tasks * s->n_lengths * (s->n_depths + 1);
    s->sum = calloc(cells ? cells : 1, sizeof *s->sum);
    s->count = calloc(cells ? cells : 1, sizeof *s->count);
    if (!s->sum || !s->count)
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    for (size_t i = 0; i < s->n; i++) {
        const sc_record *r = &s->rec[i];
        uint32_t *l = bsearch(&r->length, s->lengths, s->n_lengths, sizeof *l, cmp_u32);
        double *d = isnan(r->depth) ? NULL
                                    : bsearch(&r->depth, s->depths, s->n_depths, sizeof *d,
                                              cmp_double);
        size_t c = sc_cell(s, (size_t)r->task, (size_t)(l - s->lengths),
                           d ? (size_t)(d - s->depths) : s->n_depths);
        s->sum[c] += r->score;
        s->count[c]++;
    }
    return LW_OK;
}

double sc_mean(const sc_set *s, size_t task, size_t length, size_t depth, uint64_t *n)
{
    double sum = 0;
    uint64_t count = 0;
    for (size_t t = 0; t < s->n_tasks; t++)
        for (size_t l = 0; l < s->n_lengths; l++)
            for (size_t d = 0; d <= s->n_depths; d++) {
                if ((task != SIZE_MAX && t != task) || (length != SIZE_MAX && l != length) ||
                    (depth != SIZE_MAX && d != depth))
                    continue;
                size_t c = sc_cell(s, t, l, d);
                sum += s->sum[c];
                count += s->count[c];
            }
    if (n)
        *n = count;
    return count ? sum / (double)count : NAN;
}

void sc_depth_label(double depth, char *out, size_t cap)
{
    if (isnan(depth))
        snprintf(out, cap, "all");
    else
        snprintf(out, cap, "%.4g%%", depth * 100);
}

void sc_length_label(uint32_t length, char *out, size_t cap)
{
    if (length >= 1 << 20 && length % (1 << 20) == 0)
        snprintf(out, cap, "%uM", length >> 20);
    else if (length >= 1024 && length % 1024 == 0)
        snprintf(out, cap, "%uK", length >> 10);
    else
        snprintf(out, cap, "%u", length);
}

/* NULL when out of memory. */
static cJSON *summary(const sc_set *s, const lw_score_result *res)
{
    cJSON *o = cJSON_CreateObject();
    bool ok = cJSON_AddNumberToObject(o, "overall", res->overall) != NULL;
    ok &= cJSON_AddNumberToObject(o, "samples", (double)res->samples) != NULL;
    ok &= cJSON_AddNumberToObject(o, "missing", (double)res->missing) != NULL;
    ok &= cJSON_AddNumberToObject(o, "unknown_ids", (double)res->unknown) != NULL;
    cJSON *t = cJSON_AddObjectToObject(o, "tasks");
    ok &= t != NULL;
    for (size_t i = 0; i < s->n_tasks; i++)
        ok &= cJSON_AddNumberToObject(t, s->tasks[i],
                                      sc_mean(s, i, SIZE_MAX, SIZE_MAX, NULL)) != NULL;
    cJSON *l = cJSON_AddObjectToObject(o, "lengths");
    ok &= l != NULL;
    for (size_t i = 0; i < s->n_lengths; i++) {
        char key[16];
        snprintf(key, sizeof key, "%u", s->lengths[i]);
        ok &= cJSON_AddNumberToObject(l, key, sc_mean(s, SIZE_MAX, i, SIZE_MAX, NULL)) != NULL;
    }
    cJSON *d = cJSON_AddObjectToObject(o, "depths");
    ok &= d != NULL;
    for (size_t i = 0; i < s->n_depths; i++) {
        char key[32];
        snprintf(key, sizeof key, "%.6g", s->depths[i]);
        ok &= cJSON_AddNumberToObject(d, key, sc_mean(s, SIZE_MAX, SIZE_MAX, i, NULL)) != NULL;
    }
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

static void set_free(sc_set *s)
{
    for (size_t i = 0; i < s->n; i++) {
        sc_record *r = &s->rec[i];
        for (size_t k = 0; k < r->n_answers; k++) {
            free(r->answers ? r->answers[k] : NULL);
            free(r->folded ? r->folded[k] : NULL);
        }
        free(r->answers);
        free(r->folded);
        free(r->found);
        free(r->id);
    }
    free(s->rec);
    for (size_t i = 0; i < s->n_tasks; i++)
        free(s->tasks[i]);
    free(s->tasks);
    free(s->lengths);
    free(s->depths);
    free(s->sum);
    free(s->count);
    for (size_t i = 0; i < s->n_unknown; i++)
        free(s->unknown[i]);
    free(s->unknown);
}

lw_status lw_score_run(const lw_score_config *cfg, lw_score_result *res, lw_error *err)
{
    memset(res, 0, sizeof *res);
    if (!cfg->evalset || !cfg->predictions)
        return lw_error_set(err, LW_E_USAGE, "give the evaluation set and the predictions");
    sc_set s = {0};
    id_map ids = {0};
    char **files = NULL;
    size_t n_files = 0;
    ctx_t c = {&s, &ids, NULL};
    lw_status st = set_files(cfg->evalset, &files, &n_files, err);
    for (size_t i = 0; i < n_files && !st; i++)
        st = each_line(files[i], on_record, &c, err);
    if (!st && s.n == 0)
        st = lw_error_set(err, LW_E_DATA, "%s: the evaluation set has no samples", cfg->evalset);
    if (!st) {
        c.seen_line = calloc(s.n, sizeof *c.seen_line);
        s.unknown = calloc(SC_UNKNOWN_LISTED, sizeof *s.unknown);
        if (!c.seen_line || !s.unknown)
            st = lw_error_set(err, LW_E_NOMEM, "out of memory");
    }
    if (!st)
        st = each_line(cfg->predictions, on_prediction, &c, err);
    if (!st)
        st = tabulate(&s, err);
    if (!st) {
        res->samples = s.n;
        res->unknown = s.unknown_total;
        double sum = 0;
        for (size_t i = 0; i < s.n; i++) {
            res->predicted += s.rec[i].predicted;
            sum += s.rec[i].score;
        }
        res->missing = res->samples - res->predicted;
        res->overall = sum / (double)s.n;
        if (!(res->summary = summary(&s, res)))
            st = lw_error_set(err, LW_E_NOMEM, "out of memory");
    }
    if (!st && cfg->outdir)
        st = sc_write_report(&s, cfg, res, err);
    if (st)
        lw_score_result_free(res);
    for (size_t i = 0; i < n_files; i++)
        free(files[i]);
    free(files);
    free(ids.slot);
    free(c.seen_line);
    set_free(&s);
    return st;
}

void lw_score_result_free(lw_score_result *res)
{
    cJSON_Delete(res->summary);
    res->summary = NULL;
}
