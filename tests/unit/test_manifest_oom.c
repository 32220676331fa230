/* Manifest building under an allocator that runs out: cJSON's allocations
 * fail after N calls, for every N, and the helpers must either report the
 * failure or give exactly the manifest an unlimited allocator gives — never
 * a manifest with a field quietly missing. */
#include "testutil.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <sys/stat.h>

#include "longweave/dataset.h"
#include "longweave/docflow.h"
#include "longweave/json_build.h"
#include "longweave/seqwriter.h"
#include "longweave/source.h"
#include "longweave/needle.h"

static long allocs_left; /* < 0: no limit */
static long allocs_made; /* granted since the last limit() */
static bool only_one;    /* refuse allocation N alone, then allow the rest */
static bool failed;      /* some allocation was refused */

static void *limited_malloc(size_t n)
{
    if (allocs_left == 0) {
        failed = true;
        if (only_one)
            allocs_left = -1;
        return NULL;
    }
    if (allocs_left > 0)
        allocs_left--;
    allocs_made++;
    return malloc(n);
}

/* Refuse cJSON's allocation n (counting from 0) and, unless one, every
 * allocation after it. */
static void limit(long n, bool one)
{
    allocs_left = n;
    only_one = one;
    failed = false;
    allocs_made = 0;
    cJSON_Hooks h = {limited_malloc, free};
    cJSON_InitHooks(&h);
}

static void unlimited(void)
{
    cJSON_InitHooks(NULL);
}

typedef struct {
    char *dir, *prefix, *map;
    lw_seqw *w;
    lw_tok_ref tok;
    lw_doc_stats docs;
    lw_source_config src;
} fixture;

static void fixture_open(fixture *f)
{
    memset(f, 0, sizeof *f);
    f->dir = tu_mkdtemp();
    f->prefix = malloc(4200);
    snprintf(f->prefix, 4200, "%s/data/train", f->dir);
    f->map = malloc(4200);
    snprintf(f->map, 4200, "%s/data/train.map.jsonl", f->dir);
    char sub[4200];
    snprintf(sub, sizeof sub, "%s/data", f->dir);
    assert_int_equal(mkdir(sub, 0777), 0);
    lw_seq_output out = {LW_SEQ_MEGATRON, 0, 0};
    lw_seqw_opts o = lw_seqw_opts_for(&out, 1000, LW_MASK_ALWAYS, 0, "test");
    lw_error err = {0};
    assert_int_equal(lw_seqw_open(&f->w, f->prefix, &o, &err), LW_OK);
    const uint32_t ids[] = {1, 2, 3};
    const uint8_t mask[] = {0, 1, 1};
    assert_int_equal(lw_seqw_add(f->w, ids, mask, 3, NULL, 0, &err), LW_OK);
    assert_int_equal(lw_seqw_finish(f->w, &err), LW_OK);
    f->tok.known = true;
    strcpy(f->tok.path, "/models/tok.json");
    strcpy(f->tok.sha256, "ab12");
    strcpy(f->tok.name, "tok");
    strcpy(f->tok.kind, "hf-bpe");
    strcpy(f->tok.pattern, "\\w+");
    f->tok.vocab_size = 1000;
    f->docs.docs_read = 7;
    f->docs.skipped[1] = 2;
    f->src.part = 1;
    f->src.nparts = 3;
}

static void fixture_close(fixture *f)
{
    lw_seqw_free(f->w);
    free(f->prefix);
    free(f->map);
    tu_rmtree(f->dir);
}

/* What a stage builds: the helpers of dataset.h, source.h and docflow.h.
 * NULL when any of them reported a failure. */
static cJSON *build(const fixture *f)
{
    char *argv[] = {"tokenize", "-j", "4", "in.jsonl", "--", "-x"};
    lw_manifest_set_command(6, argv);
    cJSON *m = lw_manifest_new("tokenize", 1, 3);
    if (!m)
        return NULL;
    bool ok = lw_manifest_put_tokenizer(m, &f->tok);
    cJSON *c = cJSON_AddObjectToObject(m, "config");
    ok &= c != NULL;
    ok &= lw_source_config_to_json(&f->src, c);
    ok &= lw_json_put(m, "stats", lw_doc_stats_json(&f->docs));
    ok &= lw_manifest_put_dataset(m, f->w, f->dir);
    ok &= lw_manifest_put_file(m, f->dir, f->map, 12, "cd34", f->prefix, "map");
    ok &= lw_manifest_put_file(m, f->dir, "/elsewhere/notes.txt", 5, NULL, NULL, NULL);
    if (!ok) {
        cJSON_Delete(m);
        return NULL;
    }
    return m;
}

static char *text_of(const cJSON *m)
{
    unlimited();
    char *t = cJSON_PrintUnformatted(m);
    assert_non_null(t);
    return t;
}

/* For every n: allocation n fails (and, when !one, every one after it). */
static void run_every_failure(bool one)
{
    fixture f;
    fixture_open(&f);
    unlimited();
    cJSON *ref = build(&f);
    assert_non_null(ref);
    char *want = text_of(ref);
    /* the reference has every field the helpers add */
    assert_non_null(strstr(want, "\"command\":[\"tokenize\",\"in.jsonl\",\"--\",\"-x\"]"));
    assert_non_null(strstr(want, "\"pattern\":\"\\\\w+\""));
    assert_non_null(strstr(want, "\"companions\":[\"map\"]"));
    assert_non_null(strstr(want, "\"path\":\"/elsewhere/notes.txt\""));
    assert_non_null(strstr(want, "\"include\":["));
    assert_non_null(strstr(want, "\"documents_read\":7"));
    cJSON_Delete(ref);
    long n;
    int reported = 0;
    for (n = 0;; n++) {
        limit(n, one);
        cJSON *m = build(&f);
        bool refused = failed;
        if (m) {
            char *got = text_of(m);
            if (strcmp(got, want) != 0)
                fail_msg("allocation %ld refused, and the manifest came back without an "
                         "error:\n%s\nwanted:\n%s", n, got, want);
            free(got);
            cJSON_Delete(m);
        } else {
            assert_true(refused); /* NULL only for a real failure */
            reported++;
        }
        if (!refused)
            break; /* n is past the last allocation: every one was tried */
    }
    unlimited();
    assert_true(n > 50);
    assert_int_equal(reported, n); /* every refusal was reported */
    free(want);
    lw_manifest_set_command(0, NULL);
    fixture_close(&f);
}

static void test_failure_from_n_on_is_reported(void **state)
{
    (void)state;
    run_every_failure(false);
}

static void test_one_failure_is_reported(void **state)
{
    (void)state;
    run_every_failure(true);
}

/* A whole stage: needle (the built-in filler needs no input) run while one
 * of its cJSON allocations fails, for every one of them: its records, its
 * manifest, the printing. The run fails and leaves no manifest, or its
 * manifest (which holds every file's sha256) is the reference. */
static lw_status run_needle(const char *outdir, lw_error *err)
{
    static const char *const tasks[] = {"niah_multikey", "cwe"};
    lw_needle_config cfg = {0};
    cfg.tokenizer = "tests/fixtures/tokenizers/r50k_base.tiktoken";
    cfg.outdir = outdir;
    cfg.lengths[0] = 1024;
    cfg.n_lengths = 1;
    cfg.depths = 2;
    cfg.count_per_cell = 1;
    cfg.tasks = tasks;
    cfg.n_tasks = 2;
    cfg.seed = 7;
    cfg.threads = 1;
    lw_needle_stats stats;
    return lw_needle_run(&cfg, &stats, err);
}

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *t = calloc(1, 1 << 20);
    assert_non_null(t);
    size_t n = fread(t, 1, (1 << 20) - 1, f);
    fclose(f);
    t[n] = '\0';
    return t;
}

static void test_needle_manifest_is_complete_or_missing(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp(), out[4200], path[4300];
    lw_error err = {0};
    snprintf(out, sizeof out, "%s/ref", dir);
    limit(-1, false);
    lw_status st0 = run_needle(out, &err);
    if (st0)
        fail_msg("needle: %s", err.msg);
    long total = allocs_made;
    unlimited();
    snprintf(path, sizeof path, "%s/" LW_MANIFEST_NAME, out);
    char *want = read_text(path);
    assert_non_null(want);
    assert_non_null(strstr(want, "\"task\":\t\"cwe\""));
    int refused = 0;
    for (long n = 0; n < total; n++) {
        snprintf(out, sizeof out, "%s/run-%ld", dir, n);
        limit(n, true);
        lw_status st = run_needle(out, &err);
        bool was_refused = failed;
        unlimited();
        assert_true(was_refused);
        snprintf(path, sizeof path, "%s/" LW_MANIFEST_NAME, out);
        char *got = read_text(path);
        if (st == LW_OK) {
            assert_non_null(got);
            if (strcmp(got, want) != 0)
                fail_msg("allocation %ld refused, and needle wrote without an error:\n%s", n,
                         got);
        } else {
            assert_null(got); /* no manifest: the output is not a dataset */
            refused++;
        }
        free(got);
    }
    assert_true(refused > 100); /* (362 allocations when written) */
    free(want);
    tu_rmtree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_failure_from_n_on_is_reported),
        cmocka_unit_test(test_one_failure_is_reported),
        cmocka_unit_test(test_needle_manifest_is_complete_or_missing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
