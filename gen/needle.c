/* The `needle` stage: evaluation samples fitted to exact token lengths with
 * needles at exact depths, written as JSON Lines, a Megatron dataset of the
 * tokenized inputs, and a manifest. The task texts are in needle_task.c. */
#include "longweave/needle.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "longweave/hash.h"
#include "longweave/json_build.h"
#include "longweave/dataset.h"
#include "longweave/seqwriter.h"
#include "longweave/outfile.h"
#include "longweave/tokenizer.h"
#include "longweave/vec.h"
#include "needle_internal.h"

const char *const lw_needle_task_names[] = {"niah_single", "niah_multikey", "niah_multivalue",
                                            "niah_multiquery", "passkey", "vt", "cwe", "kv",
                                            NULL};

enum {
    BATCH = 16,          /* samples in flight */
    MAX_STEPS = 64,      /* length search steps before giving up (it takes about 5) */
    MAX_ATTEMPTS = 8,    /* draws of a sample whose haystack does not fit or holds an answer */
    PIECE_TRIES = 3,     /* units tried for the piece that opens the context */
    HAYSTACK_MIN = 4 << 20
};

typedef struct {
    const lw_needle_config *cfg;
    const lw_tokenizer *tok;
    nd_haystack hay;
    int64_t bos; /* -1: none */
    int lang;
} shared;

/* One sample being made, and what it becomes. Reused across batches. */
typedef struct {
    nd_units units;
    lw_buf text;      /* the input */
    lw_ids ids;       /* its tokens (BOS first when asked) */
    lw_buf line;      /* the JSON Lines record */
    lw_buf decoded;
    /* of the last build */
    size_t needle_at; /* byte offset of needle 0 in text; SIZE_MAX: none */
    size_t ctx_start, ctx_end;
    size_t file;
    int task;
    uint64_t encodes;
    unsigned attempts;
    lw_status st;
    lw_error err;
} made;

/* The boundary (0..n) of the n units whose offset, counting separators, is
 * nearest to the fraction `depth` of the whole; ties go to the earlier. */
static size_t nearest_boundary(const nd_units *u, size_t n, size_t sep, double depth)
{
    double total = (double)(u->start[n] + n * sep), want = depth * total;
    size_t lo = 0, hi = n; /* first boundary at or past want */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if ((double)(u->start[mid] + mid * sep) < want)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo > 0 && want - (double)(u->start[lo - 1] + (lo - 1) * sep) <=
                      (double)(u->start[lo] + lo * sep) - want)
        lo--;
    return lo;
}

/* What a context holds: n whole units and, when cut > 0, the cut-th piece
 * of unit `piece` (>= n) opening it. */
typedef struct {
    size_t n, cut, piece;
} fill;

/* The input for f (u holds the units up to the piece). Needles go at the
 * boundaries nearest their depths among the whole units; those at
 * boundary 0 come before the piece. */
static int assemble(const nd_sample *s, const nd_units *u, size_t n, fill f, made *m)
{
    lw_buf *out = &m->text;
    size_t sep = strlen(s->sep), pos[ND_MAX_NEEDLES];
    for (int j = 0; j < s->n_needles; j++)
        pos[j] = nearest_boundary(u, n, sep, s->needle_depth[j]);
    out->len = 0;
    m->needle_at = SIZE_MAX;
    int rc = lw_buf_append(out, s->prefix.data, s->prefix.len) |
             lw_buf_append(out, s->open.data, s->open.len);
    m->ctx_start = out->len;
    bool first = true;
#define SEP()                                                                                  \
    do {                                                                                       \
        if (!first)                                                                            \
            rc |= lw_buf_puts(out, s->sep);                                                    \
        first = false;                                                                         \
    } while (0)
    for (size_t b = 0; b <= n; b++) {
        for (int j = 0; j < s->n_needles; j++) {
            if (pos[j] != b)
                continue;
            SEP();
            if (j == 0)
                m->needle_at = out->len;
            rc |= lw_buf_puts(out, s->needle[j]);
        }
        if (b == 0 && f.cut) {
            SEP();
            rc |= nd_unit_cut(s, u->text.data + u->start[f.piece],
                              u->start[f.piece + 1] - u->start[f.piece], f.cut, out);
        }
        if (b < n) {
            SEP();
            rc |= lw_buf_append(out, u->text.data + u->start[b], u->start[b + 1] - u->start[b]);
        }
    }
#undef SEP
    m->ctx_end = out->len;
    rc |= lw_buf_append(out, s->close.data, s->close.len) |
          lw_buf_append(out, s->suffix.data, s->suffix.len) | lw_buf_putc(out, '\0');
    if (rc)
        return -1;
    out->len--; /* NUL-terminated for the JSON writer, not part of the text */
    return 0;
}

/* Build the sample for f and count its tokens. */
static lw_status measure(const shared *sh, lw_tok_scratch *ts, const nd_sample *s, fill f,
                         made *m, size_t *tokens, lw_error *err)
{
    /* (a cwe list is never shorter than its common words: count what came) */
    if (nd_units_make(s, &sh->hay, f.cut ? f.piece + 1 : f.n, &m->units) ||
        assemble(s, &m->units, f.cut ? f.n : m->units.n, f, m))
        return lw_error_set(err, LW_E_NOMEM, "out of memory building a %s sample of %zu units",
                            lw_needle_task_names[s->task], f.n);
    m->ids.len = 0;
    if (sh->bos >= 0 && lw_ids_push(&m->ids, (uint32_t)sh->bos))
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    m->encodes++;
    lw_status st = lw_tok_encode(sh->tok, ts, m->text.data, m->text.len, &m->ids, err);
    *tokens = m->ids.len;
    return st;
}

/* Find the number of units (and, if whole units step over the window, the
 * piece of a next one) that puts the sample in [ceil(0.99 len), len]
 * tokens: secant steps on the token count, kept inside a bracket. When it
 * does, *fitted is set and m holds the sample's text and ids; when the
 * haystack's words are too coarse for the window, *fitted stays false. */
static lw_status fit(const shared *sh, lw_tok_scratch *ts, const nd_sample *s, uint32_t len,
                     made *m, bool *fitted, lw_error *err)
{
    const char *name = lw_needle_task_names[s->task];
    size_t floor_ok = (size_t)ceil(0.99 * len), aim = len - len / 200, base, t;
    lw_status st = measure(sh, ts, s, (fill){0, 0, 0}, m, &base, err);
    if (st)
        return st;
    if (base > len)
        return lw_error_set(err, LW_E_USAGE, "--seq-len %u is too short for the %s task: its "
                            "instruction, question and %s alone take %zu tokens", len, name,
                            s->task == ND_CWE ? "shortest list" : "needles", base);
    if ((*fitted = base >= floor_ok))
        return LW_OK;
    /* Secant steps through the last two counts (a cwe list's first items
     * are fixed, so the slope through zero would be wrong), kept inside
     * the bracket (lo fits, hi does not); every third step in a bracket
     * bisects, so token-count noise cannot stall the search. */
    size_t lo = 0, hi = SIZE_MAX, n = 16, prev_n = 0, prev_t = base;
    for (int step = 0; step < MAX_STEPS; step++) {
        if ((st = measure(sh, ts, s, (fill){n, 0, 0}, m, &t, err)))
            return st;
        if (t <= len) {
            lo = n;
            if ((*fitted = t >= floor_ok))
                return LW_OK;
        } else {
            hi = n;
        }
        if (hi - lo <= 1)
            break;
        size_t next;
        if (t != prev_t && n != prev_n) {
            double slope = ((double)t - (double)prev_t) / ((double)n - (double)prev_n);
            double x = (double)n + ((double)aim - (double)t) / slope;
            next = slope > 0 && x > 0 ? (size_t)fmin(x + 0.5, 1e15) : n * 2;
        } else {
            next = n * 2;
        }
        if (hi != SIZE_MAX && step % 3 == 2)
            next = lo + (hi - lo) / 2;
        if (hi == SIZE_MAX && next > 8 * n + 64)
            next = 8 * n + 64; /* a poor first estimate must not overshoot far */
        if (next <= lo)
            next = lo + 1;
        if (next >= hi)
            next = lo + (hi - lo) / 2;
        prev_n = n;
        prev_t = t;
        n = next;
    }
    if (hi - lo > 1)
        return lw_error_set(err, LW_E_SOFTWARE, "%s: no unit count found for length %u", name,
                            len);
    /* lo whole units fit and lo + 1 do not: open the context with a piece
     * of the next unit, the longest that fits; if one word more steps over
     * the window, try a piece of one of the units after. */
    for (size_t piece = lo; piece < lo + PIECE_TRIES; piece++) {
        if (nd_units_make(s, &sh->hay, piece + 1, &m->units))
            return lw_error_set(err, LW_E_NOMEM, "out of memory");
        const nd_units *u = &m->units;
        size_t cuts = nd_unit_cuts(s, u->text.data + u->start[piece],
                                   u->start[piece + 1] - u->start[piece]);
        size_t a = 1, b = cuts; /* the largest cut that fits */
        while (a <= b) {
            size_t k = a + (b - a) / 2;
            if ((st = measure(sh, ts, s, (fill){lo, k, piece}, m, &t, err)))
                return st;
            if (t > len) {
                b = k - 1;
                continue;
            }
            if ((*fitted = t >= floor_ok))
                return LW_OK;
            a = k + 1;
        }
        if (cuts == 0)
            break;
    }
    return LW_OK; /* not fitted */
}

/* The token that holds the first byte of needle 0: the smallest k whose
 * decoded prefix ids[0..k] reaches past the needle's offset (BOS excluded,
 * since it decodes to text of its own in some tokenizers). */
static lw_status needle_token(const shared *sh, made *m, long *offset, lw_error *err)
{
    *offset = -1;
    if (m->needle_at == SIZE_MAX)
        return LW_OK;
    size_t skip = sh->bos >= 0, lo = skip, hi = m->ids.len; /* answer in (lo, hi] */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        m->decoded.len = 0;
        lw_status st = lw_tok_decode(sh->tok, m->ids.v + skip, mid - skip, &m->decoded, err);
        if (st)
            return st;
        if (m->decoded.len > m->needle_at)
            hi = mid;
        else
            lo = mid;
    }
    *offset = (long)hi - 1;
    return LW_OK;
}

static size_t occurrences(const char *hay, size_t n, const char *needle)
{
    size_t count = 0, k = strlen(needle);
    for (const char *p = hay; (p = memmem(p, n - (size_t)(p - hay), needle, k)) != NULL; p += k)
        count++;
    return count;
}

static bool answers_as_planned(const nd_sample *s, const made *m)
{
    for (int i = 0; i < s->n_answers; i++)
        if (occurrences(m->text.data + m->ctx_start, m->ctx_end - m->ctx_start, s->answers[i]) !=
            s->answer_count[i])
            return false;
    return true;
}

static int put_record(const nd_sample *s, uint32_t len, double depth, int depth_index,
                      uint32_t copy, long offset, made *m)
{
    char id[96];
    snprintf(id, sizeof id, "%s-%u-%02d-%u", lw_needle_task_names[s->task], len, depth_index,
             copy);
    cJSON *o = cJSON_CreateObject();
    bool ok = cJSON_AddStringToObject(o, "id", id) != NULL;
    ok &= cJSON_AddStringToObject(o, "task", lw_needle_task_names[s->task]) != NULL;
    ok &= cJSON_AddStringToObject(o, "lang", nd_lang_names[s->lang]) != NULL;
    ok &= cJSON_AddNumberToObject(o, "length", len) != NULL;
    if (s->task == ND_CWE) /* the answers are spread over the whole list */
        ok &= cJSON_AddNullToObject(o, "depth") != NULL;
    else
        ok &= cJSON_AddNumberToObject(o, "depth", depth) != NULL;
    ok &= cJSON_AddStringToObject(o, "input", m->text.data) != NULL;
    cJSON *a = cJSON_AddArrayToObject(o, "answers");
    ok &= a != NULL;
    for (int i = 0; i < s->n_answers; i++)
        ok &= lw_json_push(a, cJSON_CreateString(s->answers[i]));
    if (offset >= 0)
        ok &= cJSON_AddNumberToObject(o, "needle_token_offset", (double)offset) != NULL;
    else
        ok &= cJSON_AddNullToObject(o, "needle_token_offset") != NULL;
    ok &= cJSON_AddNumberToObject(o, "tokens", (double)m->ids.len) != NULL;
    char *text = ok ? cJSON_PrintUnformatted(o) : NULL; /* never a record missing a field */
    cJSON_Delete(o);
    m->line.len = 0;
    int rc = !text || lw_buf_puts(&m->line, text) || lw_buf_putc(&m->line, '\n');
    free(text);
    return rc ? -1 : 0;
}

static lw_status make_sample(const shared *sh, lw_tok_scratch *ts, int task, uint64_t index,
                             uint32_t len, double depth, int depth_index, uint32_t copy, made *m,
                             lw_error *err)
{
    lw_status st = LW_OK;
    for (unsigned attempt = 0;; attempt++) {
        nd_sample s;
        if (nd_sample_setup(&s, task, sh->lang, sh->cfg->seed, index, attempt, depth, len,
                            &sh->hay)) {
            nd_sample_free(&s);
            return lw_error_set(err, LW_E_NOMEM, "out of memory");
        }
        m->attempts = attempt + 1;
        bool fitted = false;
        st = fit(sh, ts, &s, len, m, &fitted, err);
        /* Draw again (other sentences, other values) when the haystack's
         * words step over the window or a sentence holds an answer. */
        if (!st && (!fitted || !answers_as_planned(&s, m))) {
            if (attempt + 1 < MAX_ATTEMPTS) {
                nd_sample_free(&s);
                continue;
            }
            st = lw_error_set(err, LW_E_DATA, "%s-%u-%02d-%u: %s in %u draws; use a longer "
                              "--seq-len or another haystack", lw_needle_task_names[task], len,
                              depth_index, copy, fitted ? "the haystack held an answer"
                              : "no context fitted the length within 1%", MAX_ATTEMPTS);
        }
        long offset = -1;
        if (!st)
            st = needle_token(sh, m, &offset, err);
        if (!st && put_record(&s, len, depth, depth_index, copy, offset, m))
            st = lw_error_set(err, LW_E_NOMEM, "out of memory");
        nd_sample_free(&s);
        return st;
    }
}

typedef struct {
    nd_haystack *hay;
    size_t cap, bytes;
} keeper;

static int keep_sentence(void *ctx, const char *s, size_t len)
{
    keeper *k = ctx;
    nd_haystack *hay = k->hay;
    if (len < 20 || len > 400)
        return 0;
    if (!LW_VEC_GROW(&hay->sentences, &k->cap, hay->n + 1) ||
        !(hay->sentences[hay->n] = strndup(s, len)))
        return -1;
    k->bytes += len;
    hay->n++;
    return 0;
}

/* Haystack sentences: documents' text cut into sentences by the rules of
 * the language (needle_sentences.c); kept when 20 to 400 bytes long. Reads
 * documents until `want` bytes of sentences are held. */
static lw_status read_haystack(const shared *sh, nd_haystack *hay, size_t want,
                               lw_needle_stats *stats, lw_error *err)
{
    const lw_needle_config *cfg = sh->cfg;
    lw_source src;
    lw_status st = lw_source_open(&src, &cfg->haystack, &stats->haystack, err);
    if (st)
        return st;
    keeper k = {hay, 0, 0};
    lw_buf scratch = {0}, sentence = {0};
    while (!st && k.bytes < want) {
        lw_unit u;
        bool got, handled;
        if ((st = lw_reader_next(src.reader, &u, &got, err)) || !got)
            break;
        if ((st = lw_docflow_unit(&src.flow, &u, &handled, err)) || handled)
            continue;
        lw_doc d;
        lw_skip why = lw_doc_parse(&d, &u, &cfg->haystack.doc, &scratch);
        if (why != LW_SKIP_NONE) {
            st = lw_docflow_skip(&src.flow, &u, why, d.detail, err);
            lw_doc_clear(&d);
            continue;
        }
        stats->haystack.docs_read++;
        stats->haystack.docs_written++;
        int rc = nd_split_sentences(sh->lang, d.text, d.text_len, &sentence, keep_sentence, &k);
        if (rc)
            st = lw_error_set(err, LW_E_NOMEM, "out of memory");
        lw_doc_clear(&d);
    }
    if (!st)
        st = lw_source_finish(&src, err);
    else
        lw_source_progress(&src, NULL, 0);
    lw_buf_free(&scratch);
    lw_buf_free(&sentence);
    lw_source_close(&src);
    stats->haystack_sentences = hay->n;
    stats->haystack_bytes = k.bytes;
    if (!st && hay->n < 16)
        st = lw_error_set(err, LW_E_DATA, "the haystack has only %zu usable sentences (16 are "
                          "needed: 20 to 400 bytes, ending in %s)", hay->n,
                          sh->lang == ND_LANG_ZH ? "。！？； or in . ! ? and a space"
                                                 : ". ! or ? and a space; for Chinese text give "
                                                   "--lang zh");
    return st;
}

/* Output files: OUTDIR/NAME[.part-IIIII].jsonl and the tokenized inputs
 * under the same prefix in --format (megatron: .bin/.idx; jsonl: the prefix
 * gets ".tokens" so as not to meet the records), per task (or one NAME
 * "needle" for all), and the manifest. */
typedef struct {
    lw_seqw *bin[ND_TASKS];
    lw_outfile jsonl[ND_TASKS];
    int files;
} outputs;

static lw_status open_outputs(const lw_needle_config *cfg, const bool on[ND_TASKS],
                              uint32_t vocab, const char *tokenizer_name, unsigned nparts,
                              outputs *o, lw_error *err)
{
    lw_status st = LW_OK;
    o->files = cfg->one_file ? 1 : ND_TASKS;
    for (int f = 0; f < o->files && !st; f++) {
        if (!cfg->one_file && !on[f])
            continue;
        const char *name = cfg->one_file ? "needle" : lw_needle_task_names[f];
        char file[96];
        if (nparts > 1)
            lw_layout_part_tagged(file, sizeof file, name, cfg->part, "");
        else
            snprintf(file, sizeof file, "%s", name);
        size_t n = strlen(cfg->outdir) + strlen(file) + 48;
        char *path = malloc(n);
        if (!path)
            return lw_error_set(err, LW_E_NOMEM, "out of memory");
        snprintf(path, n, "%s/%s", cfg->outdir, file);
        size_t base = strlen(path);
        if (cfg->output.format == LW_SEQ_JSONL)
            strcat(path, ".tokens");
        lw_seqw_opts wo = lw_seqw_opts_for(&cfg->output, vocab, LW_MASK_NONE, 0,
                                           tokenizer_name);
        if (!(st = lw_seqw_open(&o->bin[f], path, &wo, err))) {
            strcpy(path + base, ".jsonl");
            st = lw_outfile_open(&o->jsonl[f], path, true, err);
        }
        free(path);
    }
    return st;
}

static lw_status close_outputs(outputs *o, lw_error *err)
{
    lw_status st = LW_OK;
    for (int f = 0; f < o->files && !st; f++)
        if (o->bin[f] && !(st = lw_seqw_finish(o->bin[f], err)))
            st = lw_outfile_finish(&o->jsonl[f], err);
    for (int f = 0; f < o->files && !st; f++)
        if (o->bin[f] && !(st = lw_seqw_publish(o->bin[f], err)))
            st = lw_outfile_publish(&o->jsonl[f], err);
    return st;
}

static void free_outputs(outputs *o, bool unpublish)
{
    for (int f = 0; f < ND_TASKS; f++) {
        if (unpublish && o->bin[f]) {
            lw_seqw_unpublish(o->bin[f]);
            lw_outfile_unpublish(&o->jsonl[f]);
        }
        lw_seqw_free(o->bin[f]);
        lw_outfile_release(&o->jsonl[f]);
    }
}

/* NULL when out of memory (never a manifest with a field missing). */
static cJSON *manifest(const lw_needle_config *cfg, const lw_tokenizer *tok,
                       const bool on[ND_TASKS], uint32_t depths, uint32_t per_cell,
                       unsigned nparts, uint64_t first, uint64_t end, const lw_needle_stats *stats,
                       const outputs *o)
{
    cJSON *m = lw_manifest_new("needle", cfg->part, nparts);
    if (!m)
        return NULL;
    cJSON *c = cJSON_AddObjectToObject(m, "config");
    bool ok = c != NULL;
    cJSON *tasks = cJSON_AddArrayToObject(c, "tasks"), *lens = cJSON_AddArrayToObject(c, "lengths");
    ok &= tasks && lens;
    for (int t = 0; t < ND_TASKS; t++)
        if (on[t])
            ok &= lw_json_push(tasks, cJSON_CreateString(lw_needle_task_names[t]));
    for (size_t i = 0; i < cfg->n_lengths; i++)
        ok &= lw_json_push(lens, cJSON_CreateNumber(cfg->lengths[i]));
    ok &= cJSON_AddStringToObject(c, "lang", cfg->lang ? cfg->lang : "en") != NULL;
    ok &= cJSON_AddNumberToObject(c, "depths", depths) != NULL;
    ok &= cJSON_AddNumberToObject(c, "count_per_cell", per_cell) != NULL;
    ok &= cJSON_AddNumberToObject(c, "seed", (double)cfg->seed) != NULL;
    ok &= cJSON_AddBoolToObject(c, "prepend_bos", cfg->prepend_bos) != NULL;
    ok &= cJSON_AddBoolToObject(c, "one_file", cfg->one_file) != NULL;
    char part[48];
    snprintf(part, sizeof part, "%u/%u", cfg->part, nparts);
    ok &= cJSON_AddStringToObject(c, "part", part) != NULL;
    ok &= cJSON_AddNumberToObject(c, "first_sample", (double)first) != NULL;
    ok &= cJSON_AddNumberToObject(c, "end_sample", (double)end) != NULL;
    cJSON *h = cJSON_AddObjectToObject(c, "haystack");
    ok &= h != NULL;
    ok &= cJSON_AddStringToObject(h, "kind", cfg->haystack.n_inputs ? "corpus"
                                                                     : "built-in filler") != NULL;
    if (cfg->haystack.n_inputs) {
        cJSON *in = cJSON_AddArrayToObject(h, "inputs");
        ok &= in != NULL;
        for (size_t i = 0; i < cfg->haystack.n_inputs; i++)
            ok &= lw_json_push(in, cJSON_CreateString(cfg->haystack.inputs[i]));
        ok &= lw_source_config_to_json(&cfg->haystack, h);
        ok &= cJSON_AddNumberToObject(h, "sentences", (double)stats->haystack_sentences) != NULL;
        ok &= cJSON_AddNumberToObject(h, "bytes", (double)stats->haystack_bytes) != NULL;
    }
    lw_tok_ref ref;
    lw_tok_ref_of(&ref, tok, cfg->pattern);
    ok &= lw_manifest_put_tokenizer(m, &ref);
    ok &= cJSON_AddStringToObject(m, "format_name",
                                  lw_seq_format_name(cfg->output.format)) != NULL;
    cJSON *s = cJSON_AddObjectToObject(m, "stats");
    ok &= s != NULL;
    ok &= cJSON_AddNumberToObject(s, "samples", (double)stats->samples) != NULL;
    ok &= cJSON_AddNumberToObject(s, "tokens", (double)stats->tokens) != NULL;
    cJSON *pt = cJSON_AddObjectToObject(s, "per_task");
    ok &= pt != NULL;
    for (int t = 0; t < ND_TASKS; t++)
        if (on[t])
            ok &= cJSON_AddNumberToObject(pt, lw_needle_task_names[t],
                                          (double)stats->per_task[t]) != NULL;
    cJSON *files = cJSON_GetObjectItem(m, "files");
    for (int f = 0; f < o->files; f++) {
        if (!o->bin[f])
            continue;
        int first = cJSON_GetArraySize(files);
        ok &= lw_manifest_put_outfile(m, cfg->outdir, &o->jsonl[f], NULL, NULL);
        ok &= lw_manifest_put_dataset(m, o->bin[f], cfg->outdir);
        const char *task = cfg->one_file ? "all" : lw_needle_task_names[f];
        for (int k = first; k < cJSON_GetArraySize(files); k++)
            ok &= cJSON_AddStringToObject(cJSON_GetArrayItem(files, k), "task", task) != NULL;
    }
    if (!ok) {
        cJSON_Delete(m);
        return NULL;
    }
    return m;
}

/* Sample index -> (task, length, depth, copy): tasks outermost, copies innermost. */
typedef struct {
    int task;
    size_t length;
    uint32_t depth, copy;
} cell;

static cell cell_of(uint64_t idx, size_t n_lengths, uint32_t depths, uint32_t per_cell)
{
    cell c;
    c.copy = (uint32_t)(idx % per_cell);
    idx /= per_cell;
    c.depth = (uint32_t)(idx % depths);
    idx /= depths;
    c.length = (size_t)(idx % n_lengths);
    c.task = (int)(idx / n_lengths);
    return c;
}

/* A sample's random draws are keyed by what it is — task, length, depth,
 * copy — not by its rank in the run, so that --tasks, a shorter --seq-len
 * list or other --depths leave the remaining samples unchanged. */
static uint64_t sample_key(int task, uint32_t length, double depth, uint32_t copy)
{
    uint64_t bits;
    memcpy(&bits, &depth, sizeof bits);
    uint64_t v[4] = {(uint64_t)task, length, bits, copy};
    return lw_hash64_bytes(v, sizeof v, 0) >> 5; /* room for the attempt */
}

lw_status lw_needle_run(const lw_needle_config *cfg, lw_needle_stats *stats, lw_error *err)
{
    memset(stats, 0, sizeof *stats);
    if (!cfg->outdir || !*cfg->outdir)
        return lw_error_set(err, LW_E_USAGE, "no output directory given (-o OUTDIR)");
    if (!cfg->tokenizer)
        return lw_error_set(err, LW_E_USAGE, "no tokenizer given (-t FILE)");
    if (cfg->n_lengths == 0 || cfg->n_lengths > LW_NEEDLE_MAX_LENGTHS)
        return lw_error_set(err, LW_E_USAGE, "give 1 to %d lengths (--seq-len)",
                            LW_NEEDLE_MAX_LENGTHS);
    bool on[ND_TASKS];
    for (int t = 0; t < ND_TASKS; t++)
        on[t] = cfg->n_tasks == 0;
    for (size_t k = 0; k < cfg->n_tasks; k++) {
        int found = -1;
        for (int t = 0; t < ND_TASKS; t++)
            if (strcmp(cfg->tasks[k], lw_needle_task_names[t]) == 0)
                found = t;
        if (found < 0)
            return lw_error_set(err, LW_E_USAGE, "--tasks: unknown task '%s' (known: niah_single, "
                                "niah_multikey, niah_multivalue, niah_multiquery, passkey, vt, "
                                "cwe, kv)", cfg->tasks[k]);
        on[found] = true;
    }
    uint32_t depths = cfg->depths ? cfg->depths : 11;
    uint32_t per_cell = cfg->count_per_cell ? cfg->count_per_cell : 1;
    unsigned nparts = cfg->nparts ? cfg->nparts : 1;
    int threads = cfg->threads > 0 ? cfg->threads : omp_get_num_procs();
    shared sh = {.cfg = cfg, .bos = -1, .lang = -1};
    for (int l = 0; l < ND_LANGS; l++)
        if (!cfg->lang || strcmp(cfg->lang, nd_lang_names[l]) == 0) {
            sh.lang = l;
            break;
        }
    if (sh.lang < 0)
        return lw_error_set(err, LW_E_USAGE, "--lang: unknown language '%s' (known: en, zh)",
                            cfg->lang);
    lw_tokenizer *tok = NULL;
    outputs out = {0};
    made *batch = NULL;
    lw_tok_scratch **scratch = NULL;
    lw_output *claim = NULL;
    bool published = false;
    lw_tok_opts to = {.pattern = cfg->pattern};
    lw_status st = lw_tok_load(&tok, cfg->tokenizer, &to, err);
    if (st)
        goto done;
    sh.tok = tok;
    if (cfg->prepend_bos && (sh.bos = lw_tok_special(tok, "bos")) < 0) {
        st = lw_error_set(err, LW_E_USAGE, "--prepend-bos: the tokenizer %s has no BOS token",
                          cfg->tokenizer);
        goto done;
    }
    if (cfg->haystack.n_inputs) {
        uint32_t longest = 0;
        for (size_t i = 0; i < cfg->n_lengths; i++)
            longest = cfg->lengths[i] > longest ? cfg->lengths[i] : longest;
        /* enough text for the longest sample (about 4 bytes a token), and a
         * few MiB so that short samples differ */
        size_t want = (size_t)longest * 8 > HAYSTACK_MIN ? (size_t)longest * 8 : HAYSTACK_MIN;
        if ((st = read_haystack(&sh, &sh.hay, want, stats, err)))
            goto done;
    }
    lw_output_spec spec = {cfg->outdir, LW_OUT_DIR_PARTS, cfg->part, nparts, cfg->force,
                           "an evaluation set"};
    lw_seqw_opts check = lw_seqw_opts_for(&cfg->output, lw_tok_vocab_size(tok), LW_MASK_NONE, 0,
                                          NULL);
    if ((st = lw_seqw_check(&check, err)) || (st = lw_output_claim(&claim, &spec, err)) ||
        (st = open_outputs(cfg, on, lw_tok_vocab_size(tok), lw_tok_name(tok), nparts, &out,
                           err)))
        goto done;
    batch = calloc(BATCH, sizeof *batch);
    scratch = lw_tok_scratches_new(tok, threads);
    if (!batch || !scratch) {
        st = lw_error_set(err, LW_E_NOMEM, "out of memory");
        goto done;
    }
    /* Every (task, length, depth, copy) of the enabled tasks, in that
     * order; --part takes a contiguous slice of them. */
    int enabled[ND_TASKS], n_enabled = 0;
    for (int t = 0; t < ND_TASKS; t++)
        if (on[t])
            enabled[n_enabled++] = t;
    uint64_t total = (uint64_t)n_enabled * cfg->n_lengths * depths * per_cell;
    uint64_t first = (uint64_t)((unsigned __int128)total * cfg->part / nparts);
    uint64_t end = (uint64_t)((unsigned __int128)total * (cfg->part + 1) / nparts);
    for (uint64_t base = first; base < end && !st; base += BATCH) {
        long n = (long)(end - base < BATCH ? end - base : BATCH);
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
        for (long k = 0; k < n; k++) {
            uint64_t idx = base + (uint64_t)k;
            cell c = cell_of(idx, cfg->n_lengths, depths, per_cell);
            made *m = &batch[k];
            m->task = enabled[c.task];
            m->file = cfg->one_file ? 0 : (size_t)m->task;
            m->encodes = 0;
            double depth = depths > 1 ? (double)c.depth / (depths - 1) : 0.5;
            m->st = make_sample(&sh, scratch[omp_get_thread_num()], m->task,
                                sample_key(m->task, cfg->lengths[c.length], depth, c.copy),
                                cfg->lengths[c.length], depth, (int)c.depth, c.copy, m, &m->err);
        }
        for (long k = 0; k < n && !st; k++) {
            made *m = &batch[k];
            if (m->st) {
                st = m->st;
                if (err)
                    *err = m->err;
                break;
            }
            if ((st = lw_seqw_add(out.bin[m->file], m->ids.v, NULL, m->ids.len, NULL, 0, err)) ||
                (st = lw_outfile_write(&out.jsonl[m->file], m->line.data, m->line.len, err)))
                break;
            stats->samples++;
            stats->per_task[m->task]++;
            stats->tokens += m->ids.len;
            stats->encodes += m->encodes;
            stats->redraws += m->attempts - 1;
        }
        if (!st && cfg->progress) {
            lw_progress p = {.made_unit = "samples", .made = stats->samples,
                             .made_total = end - first, .tokens = stats->tokens};
            cfg->progress(cfg->cb_ctx, &p);
        }
    }
    if (st || (st = close_outputs(&out, err)))
        goto done;
    published = true;
    cJSON *m = manifest(cfg, tok, on, depths, per_cell, nparts, first, end, stats, &out);
    st = m ? lw_output_commit(claim, m, err) : lw_error_set(err, LW_E_NOMEM, "out of memory");
    cJSON_Delete(m);
done:
    if (batch)
        for (int k = 0; k < BATCH; k++) {
            nd_units_free(&batch[k].units);
            lw_buf_free(&batch[k].text);
            lw_ids_free(&batch[k].ids);
            lw_buf_free(&batch[k].line);
            lw_buf_free(&batch[k].decoded);
        }
    free(batch);
    lw_tok_scratches_free(scratch, threads);
    free_outputs(&out, st && published);
    lw_output_release(claim);
    for (size_t i = 0; i < sh.hay.n; i++)
        free(sh.hay.sentences[i]);
    free(sh.hay.sentences);
    lw_tok_free(tok);
    return st;
}
