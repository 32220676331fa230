/* The synl stage: samples in parallel (each a pure function of the seed and
 * its index), each grown to its bucket with the real tokenizer, written in
 * index order as chat JSON Lines and Megatron tokens with loss masks. */
#include "longweave/synl.h"

#include <cjson/cJSON.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "longweave/chat_template.h"
#include "longweave/fileio.h"
#include "longweave/json_build.h"
#include "longweave/json_out.h"
#include "longweave/dataset.h"
#include "longweave/seqwriter.h"
#include "longweave/outfile.h"
#include "longweave/tokenizer.h"
#include "longweave/vec.h"
#include "synl_internal.h"

enum { BATCH = 32, PROBE_STEP = 32, MAX_TRIES = 8 };

const char *const lw_synl_task_names[] = {
    "lookup", "find", "row", "row_at", "count", "sum", "avg", "argmax", "argmin",
    "compare", "join", "date_diff", "topk", "distinct", "group_count", "total_rows", NULL};

const char *const lw_synl_lang_names[SYNL_LANG_COUNT_ + 1] = {"en", "zh", NULL};
_Static_assert(SYNL_LANG_COUNT_ <= LW_SYNL_MAX_LANGS, "LW_SYNL_MAX_LANGS is too small");

/* What a worker made of one sample. */
typedef struct {
    lw_ids ids;
    lw_buf mask;
    lw_buf line;        /* the chat JSON line */
    size_t bucket;
    int task;
    uint64_t answer_tokens, encodes;
    lw_status st;
    lw_error err;
} made;

typedef struct {
    const lw_synl_config *cfg;
    const lw_tokenizer *tok;
    const lw_chat_template *tpl;
    const synl_schema **schemas;
    size_t n_schemas;
    bool task_on[SYNL_TASK_COUNT_], format_on[SYNL_FORMAT_COUNT_];
    double token_share[LW_SYNL_MAX_BUCKETS]; /* --length-mix, normalised */
    double share[LW_SYNL_MAX_BUCKETS];       /* of the samples: token_share / L, normalised */
    double lang_share[SYNL_LANG_COUNT_];     /* --lang, normalised */
    int only_lang;                           /* the one language, or -1 for a mix */
} shared;

/* Sample i's language: drawn from its own stream (so no other draw changes),
 * and not drawn at all with one language. */
static synl_lang lang_of(const shared *sh, uint64_t i)
{
    if (sh->only_lang >= 0)
        return (synl_lang)sh->only_lang;
    lw_rng r;
    lw_rng_init(&r, sh->cfg->seed, LW_STREAM_SYNL, i << 8 | 9);
    double u = lw_rng_double(&r), acc = 0;
    int last = 0;
    for (int l = 0; l < SYNL_LANG_COUNT_; l++) {
        if (sh->lang_share[l] <= 0)
            continue;
        acc += sh->lang_share[l];
        last = l;
        if (u < acc)
            return (synl_lang)l;
    }
    return (synl_lang)last; /* rounding at the top end */
}

static lw_status encode(const shared *sh, lw_tok_scratch *s, const synl_sample *smp, made *m,
                        lw_error *err)
{
    lw_chat_message msgs[3];
    size_t n = 0;
    if (sh->cfg->system)
        msgs[n++] = (lw_chat_message){LW_ROLE_SYSTEM, sh->cfg->system, strlen(sh->cfg->system)};
    msgs[n++] = (lw_chat_message){LW_ROLE_USER, smp->user.data, smp->user.len};
    msgs[n++] = (lw_chat_message){LW_ROLE_ASSISTANT, smp->assistant.data, smp->assistant.len};
    m->ids.len = 0;
    m->mask.len = 0;
    m->encodes++;
    return lw_chat_encode(sh->tpl, sh->tok, s, msgs, n, &m->ids, &m->mask, err);
}

/* Build sample i with n rows and encode it; *tokens = its length. */
static lw_status try_rows(const shared *sh, lw_tok_scratch *s, const synl_schema *sc,
                          const synl_plan *p, uint64_t i, size_t rows, synl_sample *smp, made *m,
                          size_t *tokens, lw_error *err)
{
    if (synl_sample_build(smp, sc, p, sh->cfg->seed, i, rows))
        return lw_error_set(err, LW_E_NOMEM, "out of memory building sample %llu",
                            (unsigned long long)i);
    lw_status st = encode(sh, s, smp, m, err);
    *tokens = m->ids.len;
    return st;
}

static lw_status make_sample(const shared *sh, lw_tok_scratch *s, uint64_t i, size_t bucket,
                             made *m, lw_error *err)
{
    const lw_synl_config *cfg = sh->cfg;
    uint32_t L = cfg->seq_len[bucket];
    size_t lo_ok = (size_t)(0.9 * L + 0.999999), target = (size_t)(0.95 * L);
    lw_rng r;
    lw_rng_init(&r, cfg->seed, LW_STREAM_SYNL, i << 8 | 5);
    const synl_schema *domain = sh->schemas[lw_rng_below(&r, sh->n_schemas)];
    synl_lang lang = lang_of(sh, i);
    const synl_schema *sc = synl_schema_in(domain, lang);
    synl_plan plan;
    if (synl_plan_draw(&plan, sc, cfg->seed, i, sh->task_on, sh->format_on, cfg->cot))
        return lw_error_set(err, LW_E_USAGE, "no task of the --tasks list applies to the %s "
                            "domain", domain->name);
    plan.lang = lang;
    synl_sample smp;
    memset(&smp, 0, sizeof smp);
    size_t t0, t1, n, tokens, probe = synl_min_rows(&plan);
    /* Two small probes give the tokens per row; then aim at 95% of L and
     * correct with what the real encoding says. */
    lw_status st = try_rows(sh, s, sc, &plan, i, probe, &smp, m, &t0, err);
    if (!st)
        st = try_rows(sh, s, sc, &plan, i, probe + PROBE_STEP, &smp, m, &t1, err);
    if (st)
        goto done;
    if (t0 > L) {
        st = lw_error_set(err, LW_E_USAGE, "sequence length %u is too short for a %s table of "
                          "%zu rows (%zu tokens)", L, sc->name, probe, t0);
        goto done;
    }
    double per_row = (double)(t1 > t0 ? t1 - t0 : 1) / PROBE_STEP;
    size_t lo = probe, hi = 0; /* rows known to fit / known to overflow */
    if (t1 <= L)
        lo = probe + PROBE_STEP;
    else
        hi = probe + PROBE_STEP;
    n = (size_t)((double)probe + (double)(target - (t0 < target ? t0 : target)) / per_row);
    for (int tries = 0;; tries++) {
        if (n <= lo)
            n = lo + 1;
        if (hi && n >= hi)
            n = lo + (hi - lo) / 2;
        if ((st = try_rows(sh, s, sc, &plan, i, n, &smp, m, &tokens, err)))
            goto done;
        if (tokens <= L && tokens >= lo_ok)
            break;
        if (tokens > L)
            hi = n;
        else
            lo = n;
        if (hi && hi - lo <= 1) {
            /* Adding one row jumps over the window: take the largest fit. */
            if ((st = try_rows(sh, s, sc, &plan, i, lo, &smp, m, &tokens, err)))
                goto done;
            break;
        }
        if (tries == MAX_TRIES) {
            n = hi ? lo + (hi - lo) / 2 : lo * 2;
            continue;
        }
        n = (size_t)((double)n + ((double)target - (double)tokens) / per_row);
    }
    if (tokens < lo_ok || tokens > L) {
        st = lw_error_set(err, LW_E_SOFTWARE, "sample %llu: %zu tokens do not fit the %u bucket",
                          (unsigned long long)i, tokens, L);
        goto done;
    }
    m->bucket = bucket;
    m->task = plan.task;
    for (size_t k = 0; k < m->mask.len; k++)
        m->answer_tokens += m->mask.data[k] != 0;
    /* The chat line with its meta record. */
    cJSON *line = cJSON_CreateObject(), *msgs = cJSON_AddArrayToObject(line, "messages");
    if (cfg->system) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "role", "system");
        cJSON_AddStringToObject(o, "content", cfg->system);
        cJSON_AddItemToArray(msgs, o);
    }
    static const char *const roles[] = {"user", "assistant"};
    const lw_buf *texts[] = {&smp.user, &smp.assistant};
    for (int k = 0; k < 2; k++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "role", roles[k]);
        lw_buf tmp = {0};
        lw_buf_append(&tmp, texts[k]->data, texts[k]->len);
        lw_buf_putc(&tmp, '\0');
        cJSON_AddStringToObject(o, "content", tmp.data);
        lw_buf_free(&tmp);
        cJSON_AddItemToArray(msgs, o);
    }
    cJSON *meta = cJSON_AddObjectToObject(line, "meta");
    cJSON_AddNumberToObject(meta, "sample", (double)i);
    cJSON_AddStringToObject(meta, "task", synl_task_name(plan.task));
    cJSON_AddStringToObject(meta, "family", synl_task_family(plan.task));
    cJSON_AddStringToObject(meta, "domain", domain->name); /* the --domains name */
    cJSON_AddStringToObject(meta, "lang", lw_synl_lang_names[lang]);
    cJSON_AddStringToObject(meta, "format", synl_format_name(plan.format));
    cJSON *rows = cJSON_AddArrayToObject(meta, "rows"), *cols = cJSON_AddArrayToObject(meta, "cols");
    cJSON_AddItemToArray(rows, cJSON_CreateNumber((double)smp.main.n_rows));
    cJSON_AddItemToArray(cols, cJSON_CreateNumber((double)sc->n_cols));
    if (smp.has_dim) {
        cJSON_AddItemToArray(rows, cJSON_CreateNumber((double)smp.dim.n_rows));
        cJSON_AddItemToArray(cols, cJSON_CreateNumber((double)smp.dim.schema->n_cols));
    }
    cJSON_AddItemToObject(meta, "depths", smp.depths);
    cJSON_AddItemToObject(meta, "query", smp.query);
    cJSON_AddItemToObject(meta, "answer", smp.answer);
    smp.depths = smp.query = smp.answer = NULL; /* now owned by the line */
    cJSON_AddNumberToObject(meta, "tokens", (double)tokens);
    cJSON_AddNumberToObject(meta, "seq_len", L);
    char *text = cJSON_PrintUnformatted(line);
    cJSON_Delete(line);
    m->line.len = 0;
    if (!text || lw_buf_puts(&m->line, text) || lw_buf_putc(&m->line, '\n'))
        st = lw_error_set(err, LW_E_NOMEM, "out of memory");
    free(text);
done:
    synl_sample_clear(&smp);
    return st;
}

static lw_status load_schemas(const lw_synl_config *cfg, synl_schema **user, size_t *n_user,
                              const synl_schema ***out, size_t *n_out, lw_error *err)
{
    *user = NULL;
    *n_user = 0;
    size_t cap = 0;
    for (size_t f = 0; f < cfg->n_schema_files; f++) {
        lw_buf b = {0};
        lw_status st = lw_file_read_all(cfg->schema_files[f], &b, err);
        synl_schema *s = NULL;
        size_t n = 0;
        if (!st)
            st = synl_schema_parse(cfg->schema_files[f], b.data ? b.data : "", b.len, &s, &n, err);
        lw_buf_free(&b);
        if (st)
            return st;
        if (!LW_VEC_GROW(user, &cap, *n_user + n)) {
            synl_schema_free(s, n);
            return lw_error_set(err, LW_E_NOMEM, "out of memory");
        }
        memcpy(*user + *n_user, s, n * sizeof *s);
        free(s);
        *n_user += n;
    }
    size_t total = synl_builtin_count + *n_user;
    const synl_schema **list = calloc(total, sizeof *list);
    if (!list)
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    size_t n = 0;
    for (size_t i = 0; i < total; i++) {
        const synl_schema *s = i < synl_builtin_count ? &synl_builtin[i]
                                                      : &(*user)[i - synl_builtin_count];
        bool on = cfg->n_domains == 0;
        for (size_t d = 0; d < cfg->n_domains; d++)
            on |= strcmp(cfg->domains[d], s->name) == 0;
        /* With --schema and no --domains, the user's domains alone. */
        if (cfg->n_domains == 0 && *n_user && i < synl_builtin_count)
            on = false;
        if (on)
            list[n++] = s;
    }
    for (size_t d = 0; d < cfg->n_domains; d++) {
        bool found = false;
        for (size_t i = 0; i < n; i++)
            found |= strcmp(list[i]->name, cfg->domains[d]) == 0;
        if (!found) {
            free(list);
            return lw_error_set(err, LW_E_USAGE, "--domains: no domain named '%s'", cfg->domains[d]);
        }
    }
    *out = list;
    *n_out = n;
    return LW_OK;
}

typedef struct {
    lw_seqw *out; /* tokens and loss masks */
} bucket_out;

lw_status lw_synl_run(const lw_synl_config *cfg, lw_synl_stats *stats, lw_error *err)
{
    memset(stats, 0, sizeof *stats);
    if (!cfg->outdir || !*cfg->outdir)
        return lw_error_set(err, LW_E_USAGE, "no output directory given (-o OUTDIR)");
    if (!cfg->tokenizer)
        return lw_error_set(err, LW_E_USAGE, "no tokenizer given (-t FILE): lengths are measured "
                            "in its tokens");
    if (cfg->n_buckets == 0 || cfg->n_buckets > LW_SYNL_MAX_BUCKETS)
        return lw_error_set(err, LW_E_USAGE, "give 1 to %d sequence lengths (--seq-len)",
                            LW_SYNL_MAX_BUCKETS);
    for (size_t b = 0; b < cfg->n_buckets; b++)
        if (cfg->seq_len[b] < 2048)
            return lw_error_set(err, LW_E_USAGE, "--seq-len %u: SynL samples need at least 2048 "
                                "tokens", cfg->seq_len[b]);
    shared sh = {.cfg = cfg};
    /* --length-mix is a share of tokens, as in cip. A sample fills 90-100% of
     * its length, so a length's share of the samples is its token share over
     * the length. */
    double total = 0, per_token = 0;
    for (size_t b = 0; b < cfg->n_buckets; b++)
        total += cfg->mix[b] > 0 ? cfg->mix[b] : 1;
    for (size_t b = 0; b < cfg->n_buckets; b++) {
        sh.token_share[b] = (cfg->mix[b] > 0 ? cfg->mix[b] : 1) / total;
        per_token += sh.token_share[b] / cfg->seq_len[b];
    }
    for (size_t b = 0; b < cfg->n_buckets; b++)
        sh.share[b] = sh.token_share[b] / cfg->seq_len[b] / per_token;
    double lang_total = 0;
    int n_langs = 0;
    for (int l = 0; l < SYNL_LANG_COUNT_; l++) {
        if (cfg->lang_mix[l] < 0)
            return lw_error_set(err, LW_E_USAGE, "--lang: the share of %s is negative",
                                lw_synl_lang_names[l]);
        lang_total += cfg->lang_mix[l];
        n_langs += cfg->lang_mix[l] > 0;
    }
    for (int l = SYNL_LANG_COUNT_; l < LW_SYNL_MAX_LANGS; l++)
        if (cfg->lang_mix[l] != 0)
            return lw_error_set(err, LW_E_USAGE, "--lang: language %d is unknown (known: en, zh)",
                                l);
    sh.only_lang = n_langs > 1 ? -1 : SYNL_EN;
    for (int l = 0; l < SYNL_LANG_COUNT_; l++) {
        sh.lang_share[l] = lang_total > 0 ? cfg->lang_mix[l] / lang_total : l == SYNL_EN;
        if (n_langs == 1 && cfg->lang_mix[l] > 0)
            sh.only_lang = l;
    }
    for (int t = 0; t < SYNL_TASK_COUNT_; t++)
        sh.task_on[t] = cfg->n_tasks == 0;
    for (size_t k = 0; k < cfg->n_tasks; k++) {
        synl_task t = synl_task_from_name(cfg->tasks[k]);
        if (t == SYNL_TASK_COUNT_)
            return lw_error_set(err, LW_E_USAGE, "--tasks: unknown task '%s'", cfg->tasks[k]);
        sh.task_on[t] = true;
    }
    for (int f = 0; f < SYNL_FORMAT_COUNT_; f++)
        sh.format_on[f] = cfg->n_formats == 0;
    for (size_t k = 0; k < cfg->n_formats; k++) {
        int found = -1;
        for (int f = 0; f < SYNL_FORMAT_COUNT_; f++)
            if (strcmp(cfg->formats[k], synl_format_name((synl_format)f)) == 0)
                found = f;
        if (found < 0)
            return lw_error_set(err, LW_E_USAGE, "--table-format: unknown table format '%s' "
                                "(markdown, csv, json, kv)", cfg->formats[k]);
        sh.format_on[found] = true;
    }

    lw_status st = LW_OK;
    lw_tokenizer *tok = NULL;
    lw_chat_template tpl;
    bool tpl_ok = false;
    synl_schema *user = NULL;
    size_t n_user = 0;
    const synl_schema **schemas = NULL;
    bucket_out *outs = NULL;
    lw_outfile chat = {0};
    made *batch = NULL;
    lw_tok_scratch **scratch = NULL;
    lw_output *claim = NULL;
    int threads = cfg->threads > 0 ? cfg->threads : omp_get_num_procs();
    unsigned part = cfg->part, nparts = cfg->nparts ? cfg->nparts : 1;

    if ((st = load_schemas(cfg, &user, &n_user, &schemas, &sh.n_schemas, err)))
        goto done;
    sh.schemas = schemas;
    if (sh.n_schemas == 0) {
        st = lw_error_set(err, LW_E_USAGE, "no domain to generate");
        goto done;
    }
    lw_tok_opts to = {.pattern = cfg->pattern};
    if ((st = lw_tok_load(&tok, cfg->tokenizer, &to, err)))
        goto done;
    sh.tok = tok;
    /* With no --template (or "auto"), a tokenizer_config.json beside the
     * tokenizer decides by its chat_template, when it has one. */
    const char *tname = cfg->template_name;
    if (!cfg->template_file && (!tname || strcmp(tname, "auto") == 0)) {
        const char *cp = lw_tok_config_path(tok), *found = NULL;
        if (cp && (st = lw_chat_template_recognise(cp, &found, err)))
            goto done;
        if (!found && tname) {
            st = lw_error_set(err, LW_E_USAGE, "--template auto: %s has no tokenizer_config.json "
                              "with a chat_template beside it", lw_tok_path(tok));
            goto done;
        }
        if (!(tname = found))
            tname = lw_tok_special(tok, "<|start_header_id|>") >= 0 ? "llama3" : "plain";
    }
    if (cfg->template_file)
        st = lw_chat_template_load(&tpl, cfg->template_file, err);
    else
        st = lw_chat_template_builtin(&tpl, tname, err);
    if (st)
        goto done;
    tpl_ok = true;
    if ((st = lw_chat_template_bind(&tpl, tok, err)))
        goto done;
    sh.tpl = &tpl;

    lw_output_spec spec = {cfg->outdir, LW_OUT_DIR_PARTS, part, nparts, cfg->force,
                           "a SynL dataset"};
    lw_seqw_opts check = lw_seqw_opts_for(&cfg->output, lw_tok_vocab_size(tok), LW_MASK_ALWAYS,
                                          0, NULL);
    if ((st = lw_seqw_check(&check, err)) || (st = lw_output_claim(&claim, &spec, err)))
        goto done;
    outs = calloc(cfg->n_buckets, sizeof *outs);
    if (!outs) {
        st = lw_error_set(err, LW_E_NOMEM, "out of memory");
        goto done;
    }
    for (size_t b = 0; b < cfg->n_buckets && !st; b++) {
        char rel[96], prefix[4400];
        lw_layout_bucket(rel, sizeof rel, cfg->seq_len[b], part);
        snprintf(prefix, sizeof prefix, "%s/%s", cfg->outdir, rel);
        lw_seqw_opts wo = lw_seqw_opts_for(&cfg->output, lw_tok_vocab_size(tok),
                                           LW_MASK_ALWAYS, 0, lw_tok_name(tok));
        if (!(st = lw_mkdirs_for(prefix, err)))
            st = lw_seqw_open(&outs[b].out, prefix, &wo, err);
    }
    if (st)
        goto done;
    char chat_dir[4300], chat_path[4400];
    snprintf(chat_dir, sizeof chat_dir, "%s/" LW_LAYOUT_CHAT_DIR, cfg->outdir);
    lw_layout_part_file(chat_path, sizeof chat_path, chat_dir, part, ".jsonl");
    if ((st = lw_mkdirs(chat_dir, err)) || (st = lw_outfile_open(&chat, chat_path, true, err)))
        goto done;

    batch = calloc(BATCH, sizeof *batch);
    scratch = lw_tok_scratches_new(tok, threads);
    if (!batch || !scratch) {
        st = lw_error_set(err, LW_E_NOMEM, "out of memory");
        goto done;
    }
    uint64_t first = (uint64_t)((unsigned __int128)cfg->count * part / nparts);
    uint64_t end = (uint64_t)((unsigned __int128)cfg->count * (part + 1) / nparts);
    /* Buckets by share of samples (the deficit rule over all samples, so the
     * parts agree with a single run). */
    double assigned[LW_SYNL_MAX_BUCKETS] = {0};
    size_t *bucket_of = malloc((size_t)BATCH * sizeof *bucket_of);
    if (!bucket_of) {
        st = lw_error_set(err, LW_E_NOMEM, "out of memory");
        goto done;
    }
    uint64_t next = 0;
    for (uint64_t base = first; base < end && !st; base += BATCH) {
        long n = (long)(end - base < BATCH ? end - base : BATCH);
        for (long k = 0; k < n; k++) {
            for (; next <= base + (uint64_t)k; next++) {
                size_t best = 0;
                double best_deficit = 0;
                for (size_t b = 0; b < cfg->n_buckets; b++) {
                    double d = sh.share[b] * (double)(next + 1) - assigned[b];
                    if (b == 0 || d > best_deficit) {
                        best = b;
                        best_deficit = d;
                    }
                }
                assigned[best] += 1;
                if (next >= base)
                    bucket_of[next - base] = best;
            }
        }
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
        for (long k = 0; k < n; k++) {
            made *m = &batch[k];
            m->answer_tokens = m->encodes = 0;
            m->st = make_sample(&sh, scratch[omp_get_thread_num()], base + (uint64_t)k,
                                bucket_of[k], m, &m->err);
        }
        for (long k = 0; k < n && !st; k++) {
            made *m = &batch[k];
            if (m->st) {
                st = m->st;
                if (err)
                    *err = m->err;
                break;
            }
            bucket_out *o = &outs[m->bucket];
            if ((st = lw_seqw_add(o->out, m->ids.v, (const uint8_t *)m->mask.data, m->ids.len,
                                  NULL, 0, err)) ||
                (st = lw_outfile_write(&chat, m->line.data, m->line.len, err)))
                break;
            stats->samples++;
            stats->tokens += m->ids.len;
            stats->answer_tokens += m->answer_tokens;
            stats->encodes += m->encodes;
            stats->per_bucket[m->bucket]++;
            stats->per_task[m->task]++;
        }
        if (!st && cfg->progress) {
            lw_progress pr = {.made_unit = "samples", .made = stats->samples,
                              .made_total = end - first, .tokens = stats->tokens};
            cfg->progress(cfg->cb_ctx, &pr);
        }
    }
    free(bucket_of);
    if (st)
        goto done;
    for (size_t b = 0; b < cfg->n_buckets && !st; b++)
        st = lw_seqw_finish(outs[b].out, err);
    if (!st)
        st = lw_outfile_finish(&chat, err);
    for (size_t b = 0; b < cfg->n_buckets && !st; b++)
        st = lw_seqw_publish(outs[b].out, err);
    if (!st)
        st = lw_outfile_publish(&chat, err);
    if (st)
        goto done;

    cJSON *m = lw_manifest_new("synl", part, nparts);
    if (!m) {
        st = lw_error_set(err, LW_E_NOMEM, "out of memory");
        goto unpublish;
    }
    cJSON *c = cJSON_AddObjectToObject(m, "config");
    bool ok = c != NULL;
    cJSON *lens = cJSON_AddArrayToObject(c, "seq_len");
    cJSON *mix = cJSON_AddArrayToObject(c, "length_mix");
    ok &= lens && mix;
    for (size_t b = 0; b < cfg->n_buckets; b++) {
        ok &= lw_json_push(lens, cJSON_CreateNumber(cfg->seq_len[b]));
        ok &= lw_json_push(mix, cJSON_CreateNumber(sh.token_share[b]));
    }
    ok &= cJSON_AddNumberToObject(c, "count", (double)cfg->count) != NULL;
    ok &= cJSON_AddNumberToObject(c, "seed", (double)cfg->seed) != NULL;
    char pstr[48];
    snprintf(pstr, sizeof pstr, "%u/%u", part, nparts);
    ok &= cJSON_AddStringToObject(c, "part", pstr) != NULL;
    ok &= cJSON_AddBoolToObject(c, "cot", cfg->cot) != NULL;
    cJSON *langs = cJSON_AddObjectToObject(c, "lang"); /* share of the samples of each */
    ok &= langs != NULL;
    for (int l = 0; l < SYNL_LANG_COUNT_; l++)
        if (sh.lang_share[l] > 0)
            ok &= cJSON_AddNumberToObject(langs, lw_synl_lang_names[l], sh.lang_share[l]) != NULL;
    ok &= cJSON_AddStringToObject(c, "template", tpl.name) != NULL;
    if (cfg->system)
        ok &= cJSON_AddStringToObject(c, "system", cfg->system) != NULL;
    cJSON *ta = cJSON_AddArrayToObject(c, "tasks"), *fa = cJSON_AddArrayToObject(c, "formats");
    ok &= ta && fa;
    cJSON *da = cJSON_AddArrayToObject(c, "domains");
    ok &= da != NULL;
    for (int t = 0; t < SYNL_TASK_COUNT_; t++)
        if (sh.task_on[t])
            ok &= lw_json_push(ta, cJSON_CreateString(synl_task_name((synl_task)t)));
    for (int f = 0; f < SYNL_FORMAT_COUNT_; f++)
        if (sh.format_on[f])
            ok &= lw_json_push(fa, cJSON_CreateString(synl_format_name((synl_format)f)));
    for (size_t i = 0; i < sh.n_schemas; i++)
        ok &= lw_json_push(da, cJSON_CreateString(schemas[i]->name));
    lw_tok_ref ref;
    lw_tok_ref_of(&ref, tok, cfg->pattern);
    ok &= lw_manifest_put_tokenizer(m, &ref);
    cJSON *s = cJSON_AddObjectToObject(m, "stats");
    ok &= s != NULL;
    ok &= cJSON_AddNumberToObject(s, "samples", (double)stats->samples) != NULL;
    ok &= cJSON_AddNumberToObject(s, "tokens", (double)stats->tokens) != NULL;
    ok &= cJSON_AddNumberToObject(s, "answer_tokens", (double)stats->answer_tokens) != NULL;
    cJSON *pb = cJSON_AddObjectToObject(s, "per_bucket"), *pt = cJSON_AddObjectToObject(s, "per_task");
    ok &= pb && pt;
    for (size_t b = 0; b < cfg->n_buckets; b++) {
        char key[16];
        snprintf(key, sizeof key, "%u", cfg->seq_len[b]);
        ok &= cJSON_AddNumberToObject(pb, key, (double)stats->per_bucket[b]) != NULL;
    }
    for (int k = 0; k < SYNL_TASK_COUNT_; k++)
        ok &= cJSON_AddNumberToObject(pt, synl_task_name((synl_task)k),
                                      (double)stats->per_task[k]) != NULL;
    lw_seqw_info winfo;
    lw_seqw_info_get(outs[0].out, &winfo);
    ok &= cJSON_AddStringToObject(m, "format_name",
                                  lw_seq_format_name(cfg->output.format)) != NULL;
    ok &= cJSON_AddStringToObject(m, "dtype", winfo.dtype) != NULL;
    for (size_t b = 0; b < cfg->n_buckets; b++)
        ok &= lw_manifest_put_dataset(m, outs[b].out, cfg->outdir);
    ok &= lw_manifest_put_outfile(m, cfg->outdir, &chat, NULL, NULL);
    st = ok ? lw_output_commit(claim, m, err)
            : lw_error_set(err, LW_E_NOMEM, "out of memory building the manifest");
    cJSON_Delete(m);
unpublish:
    if (st) {
        for (size_t b = 0; b < cfg->n_buckets; b++)
            lw_seqw_unpublish(outs[b].out);
        lw_outfile_unpublish(&chat);
    }
done:
    for (int k = 0; batch && k < BATCH; k++) {
        lw_ids_free(&batch[k].ids);
        lw_buf_free(&batch[k].mask);
        lw_buf_free(&batch[k].line);
    }
    free(batch);
    lw_tok_scratches_free(scratch, threads);
    for (size_t b = 0; outs && b < cfg->n_buckets; b++)
        lw_seqw_free(outs[b].out);
    free(outs);
    lw_outfile_release(&chat);
    if (tpl_ok)
        lw_chat_template_free(&tpl);
    lw_tok_free(tok);
    free(schemas);
    synl_schema_free(user, n_user);
    lw_output_release(claim);
    return st;
}
