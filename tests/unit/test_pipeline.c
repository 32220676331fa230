/* The batch loop (lw_pipeline_run) over many small batches: every unit is
 * processed once and committed once, in input order, with the results its
 * own batch's process made, at any thread count, with and without
 * overlap_commit; a failing commit stops the run with its error and nothing
 * is committed after it. The expected sequence is the file's lines read
 * back with stdio. Each batch's end position (what progress reports) is
 * the end of its own last line, not the reader's read-ahead. */
#include "testutil.h"

#include "longweave/docflow.h"
#include "longweave/hash.h"

enum { LINES = 3000, MAX_UNITS = 64 };

typedef struct {
    uint64_t hash;  /* of the unit's bytes, made by process */
    int slot;       /* the slot process was given */
} result;

typedef struct {
    result res[2][MAX_UNITS]; /* by slot */
    uint64_t *committed;      /* hashes in commit order */
    size_t n_committed;
    size_t commits;           /* batches committed */
    size_t fail_at;           /* commit number that fails (0: none) */
    bool slot_mixup;          /* a commit found results of another slot */
    bool end_wrong;           /* a batch's end_decoded was not its last line's end */
} ctx_t;

static lw_status prepare(void *c, const lw_batch *b, int slot, lw_error *err)
{
    ctx_t *x = c;
    (void)err;
    assert_true(b->count <= MAX_UNITS);
    for (size_t i = 0; i < b->count; i++)
        x->res[slot][i] = (result){0, -1};
    return LW_OK;
}

static void process(void *c, const lw_batch *b, int slot, size_t i, int t)
{
    ctx_t *x = c;
    (void)t;
    const lw_unit *u = &b->units[i];
    x->res[slot][i] = (result){lw_hash64_bytes(u->data, u->len, 0), slot};
}

static lw_status commit(void *c, const lw_batch *b, int slot, lw_error *err)
{
    ctx_t *x = c;
    if (++x->commits == x->fail_at)
        return lw_error_set(err, LW_E_IO, "commit %zu fails", x->commits);
    for (size_t i = 0; i < b->count; i++) {
        const result *r = &x->res[slot][i];
        if (r->slot != slot || r->hash != lw_hash64_bytes(b->units[i].data, b->units[i].len, 0))
            x->slot_mixup = true;
        x->committed[x->n_committed++] = r->hash;
    }
    /* the input is plain: on disk and decoded are the same bytes */
    const lw_unit *last = &b->units[b->count - 1];
    if (b->end_decoded != last->offset + last->len + 1 || b->end_on_disk != b->end_decoded)
        x->end_wrong = true;
    return LW_OK;
}

static char *dir;
static char *path;
static uint64_t expect[LINES];

/* Lines of 1 to ~400 bytes, so batches of 2 KiB hold a varying count. */
static int setup(void **state)
{
    (void)state;
    dir = tu_mkdtemp();
    size_t cap = (size_t)LINES * 420, len = 0;
    char *text = malloc(cap);
    uint64_t x = 12345;
    for (int i = 0; i < LINES; i++) {
        x = x * 6364136223846793005u + 1442695040888963407u;
        int n = 1 + (int)((x >> 33) % 400);
        for (int k = 0; k < n; k++)
            text[len++] = (char)('a' + (k + i) % 26);
        text[len++] = '\n';
    }
    path = tu_write(dir, "in.jsonl", text, len);
    free(text);
    FILE *f = fopen(path, "r");
    static char line[512];
    for (int i = 0; i < LINES; i++) {
        assert_non_null(fgets(line, sizeof line, f));
        expect[i] = lw_hash64_bytes(line, strlen(line) - 1, 0);
    }
    fclose(f);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(path);
    tu_rmtree(dir);
    return 0;
}

static lw_status run(ctx_t *x, int threads, bool overlap, lw_error *err)
{
    lw_input_list list;
    const char *paths[] = {path};
    assert_int_equal(lw_input_list_build(&list, paths, 1, NULL, err), LW_OK);
    lw_part_plan plan;
    assert_int_equal(lw_part_plan_make(&list, 0, 1, &plan, err), LW_OK);
    lw_reader *r;
    lw_reader_opts o = {0};
    assert_int_equal(lw_reader_open(&r, &list, &plan, &o, err), LW_OK);
    x->committed = calloc(LINES, sizeof *x->committed);
    lw_pipeline p = {threads, 2048, MAX_UNITS, x, overlap, prepare, process, commit};
    lw_status st = lw_pipeline_run(&p, r, err);
    lw_reader_close(r);
    lw_part_plan_free(&plan);
    lw_input_list_free(&list);
    return st;
}

static void test_every_unit_once_in_order(void **state)
{
    (void)state;
    for (int overlap = 0; overlap < 2; overlap++)
        for (int threads = 1; threads <= 3; threads++) {
            ctx_t *x = calloc(1, sizeof *x);
            lw_error err;
            assert_int_equal(run(x, threads, overlap, &err), LW_OK);
            assert_int_equal(x->n_committed, LINES);
            assert_true(x->commits > 100); /* many batches: both slots in use */
            assert_false(x->slot_mixup);
            assert_false(x->end_wrong);
            assert_memory_equal(x->committed, expect, sizeof expect);
            free(x->committed);
            free(x);
        }
}

static void test_failing_commit_stops_the_run(void **state)
{
    (void)state;
    for (int overlap = 0; overlap < 2; overlap++)
        for (int threads = 1; threads <= 2; threads++) {
            ctx_t *x = calloc(1, sizeof *x);
            x->fail_at = 5;
            lw_error err = {0};
            assert_int_equal(run(x, threads, overlap, &err), LW_E_IO);
            assert_string_equal(err.msg, "commit 5 fails");
            assert_int_equal(x->commits, 5); /* nothing after the failure */
            assert_memory_equal(x->committed, expect, x->n_committed * sizeof *expect);
            free(x->committed);
            free(x);
        }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_unit_once_in_order),
        cmocka_unit_test(test_failing_commit_stops_the_run),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
