/* tokenizer.json added tokens through the public API (lw_tok_load with
 * lw_tok_opts.match_special): special tokens are plain text by default and
 * match when asked; lstrip, rstrip and single_word as HF's find_matches has
 * them, worked out by hand on a tiny character vocabulary. (The opt-in mode
 * against Hugging Face's own encode of real files: tokenize --match-special in
 * tests/cli/test_hf_tokenizers.py.) */
#include "testutil.h"

#include <cjson/cJSON.h>

#include "longweave/tokenizer.h"

/* ids: 0 a, 1 b, 2 " ", 3 "<", 4 "x", 5 ">", then the added tokens */
static const char json[] =
    "{\"version\": \"1.0\", \"normalizer\": null, \"pre_tokenizer\": null, \"decoder\": null,"
    " \"added_tokens\": ["
    "  {\"id\": 6, \"content\": \"<x>\", \"special\": true, \"normalized\": false,"
    "   \"lstrip\": false, \"rstrip\": false, \"single_word\": false},"
    "  {\"id\": 7, \"content\": \"ab\", \"special\": false, \"normalized\": false,"
    "   \"lstrip\": true, \"rstrip\": true, \"single_word\": false},"
    "  {\"id\": 8, \"content\": \"ba\", \"special\": false, \"normalized\": true,"
    "   \"lstrip\": false, \"rstrip\": false, \"single_word\": true}],"
    " \"model\": {\"type\": \"BPE\", \"unk_token\": null, \"fuse_unk\": false,"
    "  \"byte_fallback\": false, \"vocab\": {\"a\": 0, \"b\": 1, \" \": 2, \"<\": 3,"
    "  \"x\": 4, \">\": 5}, \"merges\": []}}";

static lw_tokenizer *load(const char *dir, bool match_special)
{
    char *path = tu_write(dir, "tokenizer.json", json, strlen(json));
    lw_tokenizer *t = NULL;
    lw_error err = {0};
    lw_tok_opts o = {.match_special = match_special};
    assert_int_equal(lw_tok_load(&t, path, &o, &err), LW_OK);
    free(path);
    return t;
}

static void expect(lw_tokenizer *t, const char *text, const uint32_t *want, size_t n)
{
    lw_tok_scratch *s = lw_tok_scratch_new(t);
    lw_ids ids = {0};
    lw_error err = {0};
    assert_int_equal(lw_tok_encode(t, s, text, strlen(text), &ids, &err), LW_OK);
    if (ids.len != n || memcmp(ids.v, want, n * sizeof *want) != 0) {
        fprintf(stderr, "%s:", text);
        for (size_t i = 0; i < ids.len; i++)
            fprintf(stderr, " %u", ids.v[i]);
        fprintf(stderr, "\n");
    }
    assert_int_equal(ids.len, n);
    assert_memory_equal(ids.v, want, n * sizeof *want);
    lw_ids_free(&ids);
    lw_tok_scratch_free(s);
}

#define EXPECT(t, text, ...)                                                                 \
    do {                                                                                     \
        const uint32_t w_[] = {__VA_ARGS__};                                                 \
        expect(t, text, w_, sizeof w_ / sizeof *w_);                                         \
    } while (0)

static void special_is_text_unless_asked(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    lw_tokenizer *plain = load(dir, false), *matched = load(dir, true);
    EXPECT(plain, "a<x>b", 0, 3, 4, 5, 1);
    EXPECT(matched, "a<x>b", 0, 6, 1);
    lw_tok_free(plain);
    lw_tok_free(matched);
    tu_rmtree(dir);
}

static void strip_and_single_word(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    lw_tokenizer *t = load(dir, false);
    /* "ab" takes the spaces on both sides (lstrip, rstrip) */
    EXPECT(t, "b  ab  b", 1, 7, 1);
    /* "ba" only as a word of its own (no strips: the spaces stay text) */
    EXPECT(t, "x ba x", 4, 2, 8, 2, 4);
    EXPECT(t, "xba", 4, 1, 0);
    /* raw tokens are found first, leftmost: "ab" twice, then "a" */
    EXPECT(t, "ababa", 7, 7, 0);
    lw_tok_free(t);
    tu_rmtree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(special_is_text_unless_asked),
        cmocka_unit_test(strip_and_single_word),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
