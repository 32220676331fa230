/* Tokenizers against the reference implementations' ids (tests/fixtures/
 * tokenizers/refs: the real tiktoken for the rank files, libsentencepiece for
 * the models), round trips, the two merge algorithms against each other,
 * detection by content, special tokens and bad files. Run from the
 * repository root (tests/run.sh does). */
#include "testutil.h"

#include <cjson/cJSON.h>

#include "../../tokenizer/bpe.h"
#include "../../tokenizer/pattern.h"
#include "../../tokenizer/tok_internal.h"
#include "longweave/tokenizer.h"
#include "longweave/utf8.h"

#define FIX "tests/fixtures/tokenizers/"

static char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    *n = (size_t)ftell(f);
    rewind(f);
    char *b = malloc(*n + 1);
    assert_int_equal(fread(b, 1, *n, f), *n);
    b[*n] = '\0';
    fclose(f);
    return b;
}

/* The texts of refs/cases.jsonl. */
typedef struct {
    char **text;
    size_t *len;
    size_t n;
} cases;

static cases load_cases(void)
{
    cases c = {0};
    size_t size;
    char *data = slurp(FIX "refs/cases.jsonl", &size);
    for (char *line = strtok(data, "\n"); line; line = strtok(NULL, "\n")) {
        cJSON *j = cJSON_Parse(line);
        assert_non_null(j);
        const char *t = cJSON_GetStringValue(cJSON_GetObjectItem(j, "text"));
        c.text = realloc(c.text, (c.n + 1) * sizeof *c.text);
        c.len = realloc(c.len, (c.n + 1) * sizeof *c.len);
        c.text[c.n] = strdup(t);
        c.len[c.n] = strlen(t);
        c.n++;
        cJSON_Delete(j);
    }
    free(data);
    return c;
}

static void free_cases(cases *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->text[i]);
    free(c->text);
    free(c->len);
}

static lw_tokenizer *load(const char *path)
{
    lw_tokenizer *t = NULL;
    lw_error err;
    lw_status st = lw_tok_load(&t, path, NULL, &err);
    if (st)
        fail_msg("%s", err.msg);
    return t;
}

/* Every text must encode to exactly the reference ids. */
static void check_against_refs(const char *model, const char *refs, const char *want_name)
{
    lw_tokenizer *t = load(model);
    assert_string_equal(lw_tok_name(t), want_name);
    cases c = load_cases();
    size_t size;
    char *data = slurp(refs, &size);
    lw_tok_scratch *s = lw_tok_scratch_new(t);
    lw_ids ids = {0};
    lw_buf back = {0};
    size_t i = 0, mismatches = 0;
    for (char *line = strtok(data, "\n"); line; line = strtok(NULL, "\n"), i++) {
        cJSON *j = cJSON_Parse(line);
        const cJSON *want = cJSON_GetObjectItem(j, "ids");
        ids.len = 0;
        lw_error err;
        assert_int_equal(lw_tok_encode(t, s, c.text[i], c.len[i], &ids, &err), LW_OK);
        bool same = (size_t)cJSON_GetArraySize(want) == ids.len;
        size_t k = 0;
        const cJSON *id;
        cJSON_ArrayForEach(id, want)
        {
            if (!same)
                break;
            same = (uint32_t)id->valuedouble == ids.v[k++];
        }
        if (!same && ++mismatches <= 3)
            print_message("%s: case %zu differs from the reference\n", model, i);
        /* Byte-level BPE decodes back to the very text. */
        if (lw_tok_kind_of(t) != LW_TOK_SENTENCEPIECE) {
            back.len = 0;
            assert_int_equal(lw_tok_decode(t, ids.v, ids.len, &back, &err), LW_OK);
            assert_int_equal(back.len, c.len[i]);
            assert_memory_equal(back.data, c.text[i], back.len);
        }
        cJSON_Delete(j);
    }
    assert_int_equal(i, c.n);
    assert_int_equal(mismatches, 0);
    lw_ids_free(&ids);
    lw_buf_free(&back);
    lw_tok_scratch_free(s);
    free(data);
    free_cases(&c);
    lw_tok_free(t);
}

static void test_cl100k(void **st) { (void)st; check_against_refs(FIX "cl100k_base.tiktoken", FIX "refs/cl100k_base.ids.jsonl", "cl100k_base"); }
static void test_o200k(void **st) { (void)st; check_against_refs(FIX "o200k_base.tiktoken", FIX "refs/o200k_base.ids.jsonl", "o200k_base"); }
static void test_r50k(void **st) { (void)st; check_against_refs(FIX "r50k_base.tiktoken", FIX "refs/r50k_base.ids.jsonl", "r50k_base"); }
static void test_llama3(void **st) { (void)st; check_against_refs(FIX "llama3.tiktoken", FIX "refs/llama3.ids.jsonl", "llama3"); }
static void test_spm_bpe(void **st) { (void)st; check_against_refs(FIX "spm-bpe-32k.model", FIX "refs/spm-bpe-32k.ids.jsonl", "sentencepiece-bpe"); }
static void test_spm_unigram(void **st) { (void)st; check_against_refs(FIX "spm-unigram-32k.model", FIX "refs/spm-unigram-32k.ids.jsonl", "sentencepiece-unigram"); }
static void test_llama2(void **st) { (void)st; check_against_refs(FIX "llama2-equivalent.model", FIX "refs/llama2-equivalent.ids.jsonl", "sentencepiece-bpe"); }

static void test_full_class_tables(void **state)
{
    (void)state;
    /* On a PCRE2 whose Unicode tables are neither 14 nor 16, the classes are
     * spelled out in full: that path must give the reference ids too. */
    lw_pattern_full_tables = 1;
    check_against_refs(FIX "cl100k_base.tiktoken", FIX "refs/cl100k_base.ids.jsonl", "cl100k_base");
    check_against_refs(FIX "o200k_base.tiktoken", FIX "refs/o200k_base.ids.jsonl", "o200k_base");
    lw_pattern_full_tables = 0;
}

static void test_pattern_translation(void **state)
{
    (void)state;
    lw_buf out = {0};
    lw_error err;
    /* \s is Unicode White_Space (no U+180E) and $ is the very end. */
    assert_int_equal(lw_pattern_translate("\\s", &out, &err), LW_OK);
    assert_null(strstr(out.data, "180E"));
    assert_non_null(strstr(out.data, "\\x{3000}"));
    /* A class with a property gets its Latin-1 fast path; the meaning is
     * checked by the reference tests. Unknown syntax is copied. */
    assert_int_equal(lw_pattern_translate("[^\\r\\n\\p{L}]x", &out, &err), LW_OK);
    assert_true(strncmp(out.data, "(?:[", 4) == 0 || out.data[0] == '[');
    assert_int_equal(lw_pattern_translate("[[:alpha:]]+", &out, &err), LW_OK);
    assert_string_equal(out.data, "[[:alpha:]]+");
    assert_int_equal(lw_pattern_translate("[\\S]", &out, &err), LW_E_DATA);
    pcre2_code *re;
    assert_int_equal(lw_pattern_compile("(", &re, &err), LW_E_DATA);
    lw_buf_free(&out);
}

static void test_spm_round_trip_without_normalization(void **state)
{
    (void)state;
    /* The Llama 2 model has identity normalization and byte fallback: text
     * that does not start with a space comes back unchanged. */
    lw_tokenizer *t = load(FIX "llama2-equivalent.model");
    cases c = load_cases();
    lw_tok_scratch *s = lw_tok_scratch_new(t);
    lw_ids ids = {0};
    lw_buf back = {0};
    size_t checked = 0;
    for (size_t i = 0; i < c.n; i++) {
        if (c.len[i] == 0 || c.text[i][0] == ' ')
            continue;
        lw_error err;
        ids.len = back.len = 0;
        assert_int_equal(lw_tok_encode(t, s, c.text[i], c.len[i], &ids, &err), LW_OK);
        assert_int_equal(lw_tok_decode(t, ids.v, ids.len, &back, &err), LW_OK);
        assert_int_equal(back.len, c.len[i]);
        assert_memory_equal(back.data, c.text[i], back.len);
        checked++;
    }
    assert_true(checked > 800);
    lw_ids_free(&ids);
    lw_buf_free(&back);
    lw_tok_scratch_free(s);
    free_cases(&c);
    lw_tok_free(t);
}

static void test_scan_and_heap_merges_agree(void **state)
{
    (void)state;
    /* Long pieces (a run of CJK letters is one pre-split piece) go through
     * the heap; short ones through tiktoken's linear scan. Run both on the
     * same long pieces and compare. */
    lw_tokenizer *t = load(FIX "o200k_base.tiktoken");
    /* Separate scratches: nothing the first run caches can reach the second. */
    lw_tok_scratch *s = lw_tok_scratch_new(t), *s2 = lw_tok_scratch_new(t);
    static const char *const alphabet[] = {"\xE7\x9A\x84", "\xE4\xB8\x80", "\xE6\x98\xAF",
                                           "\xE4\xBA\x86", "\xE6\x88\x91", "\xE4\xB8\x8D",
                                           "\xE4\xBA\xBA", "\xE5\x9C\xA8", "a", "b", "e"};
    uint32_t x = 7;
    for (int round = 0; round < 40; round++) {
        lw_buf text = {0};
        int n = 50 + round * 23;
        for (int i = 0; i < n; i++) {
            x = x * 1664525u + 1013904223u;
            lw_buf_puts(&text, alphabet[(x >> 16) % 11]);
        }
        lw_ids a = {0}, b = {0};
        lw_error err;
        lw_bpe_scan_max = 1 << 30; /* everything by linear scan */
        assert_int_equal(lw_tok_encode(t, s, text.data, text.len, &a, &err), LW_OK);
        lw_bpe_scan_max = 2;       /* everything by heap */
        assert_int_equal(lw_tok_encode(t, s2, text.data, text.len, &b, &err), LW_OK);
        lw_bpe_scan_max = LW_BPE_SCAN_MAX_DEFAULT;
        assert_int_equal(a.len, b.len);
        assert_memory_equal(a.v, b.v, a.len * sizeof *a.v);
        lw_ids_free(&a);
        lw_ids_free(&b);
        lw_buf_free(&text);
    }
    lw_tok_scratch_free(s);
    lw_tok_scratch_free(s2);
    lw_tok_free(t);
}

static void test_lookup_shortcuts_agree(void **state)
{
    (void)state;
    /* lw_bpe_lookup answers 1-3 byte pieces by direct index and rejects
     * longer ones by a Bloom filter; with those taken away it hashes every
     * piece. Both must give the same id for every token, for every piece
     * of 1 to 12 bytes cut from the edge-case texts and the tokens, and
     * for random bytes. */
    static const char *const files[] = {FIX "cl100k_base.tiktoken", FIX "o200k_base.tiktoken",
                                        FIX "r50k_base.tiktoken"};
    cases c = load_cases();
    for (size_t f = 0; f < 3; f++) {
        lw_tokenizer *t = load(files[f]);
        lw_bpe *b = &t->bpe, plain = t->bpe;
        assert_non_null(b->short_index);
        assert_non_null(b->bloom);
        plain.short_index = NULL;
        plain.short3 = NULL;
        plain.bloom = NULL;
        size_t checked = 0, found = 0;
        for (uint32_t id = 0; id < b->n_ids; id++) {
            if (b->offset[id] == UINT64_MAX)
                continue;
            const char *tok = b->bytes + b->offset[id];
            uint32_t n = b->length[id];
            assert_int_equal(lw_bpe_lookup(b, tok, n), lw_bpe_lookup(&plain, tok, n));
            /* a token with one more byte: mostly not a token */
            char more[64];
            if (n + 1 <= sizeof more) {
                memcpy(more, tok, n);
                more[n] = (char)(id * 7);
                assert_int_equal(lw_bpe_lookup(b, more, n + 1), lw_bpe_lookup(&plain, more, n + 1));
                checked++;
            }
        }
        for (size_t i = 0; i < c.n; i++)
            for (size_t a = 0; a < c.len[i]; a++)
                for (size_t n = 1; n <= 12 && a + n <= c.len[i]; n++) {
                    uint32_t want = lw_bpe_lookup(&plain, c.text[i] + a, n);
                    assert_int_equal(lw_bpe_lookup(b, c.text[i] + a, n), want);
                    found += want != LW_BPE_NONE;
                    checked++;
                }
        uint32_t x = 12345;
        for (int r = 0; r < 200000; r++) {
            char buf[8];
            for (int k = 0; k < 8; k++) {
                x = x * 1664525u + 1013904223u;
                buf[k] = (char)(x >> 24);
            }
            size_t n = 1 + (x >> 8) % 8;
            assert_int_equal(lw_bpe_lookup(b, buf, n), lw_bpe_lookup(&plain, buf, n));
        }
        assert_true(checked > 100000 && found > 10000);
        lw_tok_free(t);
    }
    free_cases(&c);
}

static void test_detection_by_content_and_errors(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    size_t n;
    char *model = slurp(FIX "spm-unigram-32k.model", &n);
    char *p1 = tu_write(dir, "renamed.tiktoken", model, n);
    lw_tokenizer *t = load(p1);
    assert_int_equal(lw_tok_kind_of(t), LW_TOK_SENTENCEPIECE);
    lw_tok_free(t);
    char *ranks = slurp(FIX "r50k_base.tiktoken", &n);
    char *p2 = tu_write(dir, "vocab.model", ranks, n);
    t = load(p2);
    assert_int_equal(lw_tok_kind_of(t), LW_TOK_TIKTOKEN);
    assert_string_equal(lw_tok_name(t), "r50k_base");
    lw_tok_free(t);

    lw_error err;
    assert_int_equal(lw_tok_load(&t, "/nonexistent/tok.model", NULL, &err), LW_E_NOINPUT);
    assert_non_null(strstr(err.msg, "/nonexistent/tok.model"));
    char *garbage = tu_write_str(dir, "garbage.bin", "\x01\x02 this is not a tokenizer");
    assert_int_equal(lw_tok_load(&t, garbage, NULL, &err), LW_E_DATA);
    assert_non_null(strstr(err.msg, "garbage.bin"));
    /* A truncated model, a rank file with a broken line, bad JSON. */
    char *cut = tu_write(dir, "cut.model", model, 1000);
    assert_int_equal(lw_tok_load(&t, cut, NULL, &err), LW_E_DATA);
    char *broken = tu_write_str(dir, "broken.tiktoken", "IQ== 0\nIg== 1\nnot a line\n");
    assert_int_equal(lw_tok_load(&t, broken, NULL, &err), LW_E_DATA);
    assert_non_null(strstr(err.msg, "broken.tiktoken:3"));
    char *json = tu_write_str(dir, "tokenizer.json", "{\"model\": {\"type\": \"Unigram\"}}");
    assert_int_equal(lw_tok_load(&t, json, NULL, &err), LW_E_DATA);
    /* An unknown vocabulary needs --pattern. */
    char *tiny = tu_write_str(dir, "tiny.tiktoken", "IQ== 0\nIg== 1\n");
    assert_int_equal(lw_tok_load(&t, tiny, NULL, &err), LW_E_USAGE);
    assert_non_null(strstr(err.msg, "--pattern"));
    free(model);
    free(ranks);
    free(p1);
    free(p2);
    free(garbage);
    free(cut);
    free(broken);
    free(json);
    free(tiny);
    tu_rmtree(dir);
}

static void test_special_tokens(void **state)
{
    (void)state;
    lw_tokenizer *t = load(FIX "cl100k_base.tiktoken");
    assert_int_equal(lw_tok_special(t, "eod"), 100257);
    assert_int_equal(lw_tok_special(t, "<|endofprompt|>"), 100276);
    assert_int_equal(lw_tok_special(t, "bos"), -1);
    assert_int_equal(lw_tok_vocab_size(t), 100277);
    lw_tok_free(t);
    t = load(FIX "llama3.tiktoken");
    assert_int_equal(lw_tok_special(t, "bos"), 128000);
    assert_int_equal(lw_tok_special(t, "<|begin_of_text|>"), 128000);
    assert_int_equal(lw_tok_special(t, "eos"), 128001);
    assert_int_equal(lw_tok_special(t, "<|eot_id|>"), 128009);
    assert_int_equal(lw_tok_special(t, "<|eom_id|>"), 128008);
    assert_int_equal(lw_tok_special(t, "<|reserved_special_token_250|>"), 128255);
    assert_int_equal(lw_tok_vocab_size(t), 128256);
    /* Special-token text inside a document is plain text (encode_ordinary). */
    lw_tok_scratch *s = lw_tok_scratch_new(t);
    lw_ids ids = {0};
    lw_error err;
    assert_int_equal(lw_tok_encode(t, s, "<|eot_id|>", 10, &ids, &err), LW_OK);
    assert_true(ids.len > 1);
    for (size_t i = 0; i < ids.len; i++)
        assert_true(ids.v[i] < 128000);
    lw_buf out = {0};
    uint32_t sp[] = {128000, 9906};
    assert_int_equal(lw_tok_decode(t, sp, 2, &out, &err), LW_OK);
    assert_int_equal(out.len, strlen("<|begin_of_text|>Hello"));
    assert_memory_equal(out.data, "<|begin_of_text|>Hello", out.len);
    uint32_t bad[] = {128256};
    assert_int_equal(lw_tok_decode(t, bad, 1, &out, &err), LW_E_DATA);
    lw_buf_free(&out);
    lw_ids_free(&ids);
    lw_tok_scratch_free(s);
    lw_tok_free(t);
    t = load(FIX "llama2-equivalent.model");
    assert_int_equal(lw_tok_special(t, "bos"), 1);
    assert_int_equal(lw_tok_special(t, "eos"), 2);
    assert_int_equal(lw_tok_special(t, "<s>"), 1);
    assert_int_equal(lw_tok_special(t, "no such piece"), -1);
    lw_tok_free(t);
}

static void test_invalid_utf8_is_encoded_as_replacement(void **state)
{
    (void)state;
    lw_tokenizer *t = load(FIX "cl100k_base.tiktoken");
    lw_tok_scratch *s = lw_tok_scratch_new(t);
    lw_ids a = {0}, b = {0};
    lw_error err;
    assert_int_equal(lw_tok_encode(t, s, "ok \xFF\xC3( end", 11, &a, &err), LW_OK);
    assert_int_equal(lw_tok_encode(t, s, "ok \xEF\xBF\xBD\xEF\xBF\xBD( end", 15, &b, &err), LW_OK);
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.v, b.v, a.len * sizeof *a.v);
    lw_ids_free(&a);
    lw_ids_free(&b);
    lw_tok_scratch_free(s);
    lw_tok_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cl100k),
        cmocka_unit_test(test_o200k),
        cmocka_unit_test(test_r50k),
        cmocka_unit_test(test_llama3),
        cmocka_unit_test(test_spm_bpe),
        cmocka_unit_test(test_spm_unigram),
        cmocka_unit_test(test_llama2),
        cmocka_unit_test(test_full_class_tables),
        cmocka_unit_test(test_pattern_translation),
        cmocka_unit_test(test_spm_round_trip_without_normalization),
        cmocka_unit_test(test_scan_and_heap_merges_agree),
        cmocka_unit_test(test_lookup_shortcuts_agree),
        cmocka_unit_test(test_detection_by_content_and_errors),
        cmocka_unit_test(test_special_tokens),
        cmocka_unit_test(test_invalid_utf8_is_encoded_as_replacement),
    };
    return cmocka_run_group_tests_name("tokenizer", tests, NULL, NULL);
}
