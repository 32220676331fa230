/* The hand-written pre-tokenizers of the built-in split patterns against
 * PCRE2 running the same patterns: the same pieces on the edge-case texts
 * (tests/fixtures/tokenizers/refs/cases.jsonl), on the real documents of
 * examples/data, on hand-picked edges, and on random texts drawn from
 * characters of every class the patterns tell apart. The reference ids
 * (test_tokenizer) then tie the pieces to tiktoken. Run from the root. */
#include "testutil.h"

#include <cjson/cJSON.h>

#include "../../tokenizer/pattern.h"
#include "../../tokenizer/pretok_builtin.h"
#include "longweave/buf.h"
#include "longweave/utf8.h"

static const char qwen2[] =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+"
    "[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

enum { N_PATTERNS = 5 };
static lw_split split[N_PATTERNS];
static lw_split_scratch *scratch;
static const char *const names[N_PATTERNS] = {"cl100k", "llama3", "o200k", "r50k", "qwen2"};

static int setup(void **state)
{
    (void)state;
    lw_error err;
    for (int k = 0; k < N_PATTERNS; k++) {
        const char *p = k == 4 ? qwen2 : lw_pattern_builtin(names[k]);
        if (lw_split_compile(&split[k], p, &err))
            return -1;
        if (split[k].builtin == LW_PRETOK_NONE)
            return -1;
    }
    scratch = lw_split_scratch_new();
    return scratch ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    for (int k = 0; k < N_PATTERNS; k++)
        lw_split_free(&split[k]);
    lw_split_scratch_free(scratch);
    return 0;
}

static size_t compared_pieces;

/* Both splits of text (made valid UTF-8 as the encoder does), piece by piece. */
static void same_split(const char *text, size_t len, const char *what)
{
    lw_buf fixed = {0};
    if (lw_utf8_valid_prefix(text, len, NULL) != len) {
        assert_int_equal(lw_utf8_repair(text, len, &fixed, NULL, NULL), 0);
        text = fixed.data;
        len = fixed.len;
    }
    for (int k = 0; k < N_PATTERNS; k++) {
        size_t at = 0;
        while (at < len) {
            size_t a1 = 0, e1 = 0, a2 = 0, e2 = 0;
            int r1 = lw_split_match(&split[k], scratch, text, len, at, &a1, &e1);
            int r2 = lw_split_match_pcre2(&split[k], scratch, text, len, at, &a2, &e2);
            if (r1 != r2 || a1 != a2 || e1 != e2) {
                print_message("%s, %s: at byte %zu the hand-written split gives %d [%zu,%zu), "
                              "PCRE2 %d [%zu,%zu)\n", names[k], what, at, r1, a1, e1, r2, a2,
                              e2);
                fail();
            }
            if (r1 != 1 || e1 == a1)
                break;
            at = e1;
            compared_pieces++;
        }
    }
    lw_buf_free(&fixed);
}

static void test_edge_case_texts(void **state)
{
    (void)state;
    FILE *f = fopen("tests/fixtures/tokenizers/refs/cases.jsonl", "rb");
    assert_non_null(f);
    char *line = NULL;
    size_t cap = 0, n = 0;
    while (getline(&line, &cap, f) > 0) {
        cJSON *j = cJSON_Parse(line);
        assert_non_null(j);
        const char *t = cJSON_GetStringValue(cJSON_GetObjectItem(j, "text"));
        assert_non_null(t);
        char what[32];
        snprintf(what, sizeof what, "case %zu", n++);
        same_split(t, strlen(t), what);
        cJSON_Delete(j);
    }
    free(line);
    fclose(f);
    assert_int_equal(n, 910);
}

static void test_real_documents(void **state)
{
    (void)state;
    static const char *const files[] = {"examples/data/sample.jsonl.zst",
                                        "examples/data/multilingual.jsonl.zst"};
    for (size_t i = 0; i < 2; i++) {
        char cmd[256];
        snprintf(cmd, sizeof cmd, "zstd -dc %s", files[i]);
        FILE *f = popen(cmd, "r");
        assert_non_null(f);
        char *line = NULL;
        size_t cap = 0, n = 0;
        while (getline(&line, &cap, f) > 0) {
            cJSON *j = cJSON_Parse(line);
            assert_non_null(j);
            const cJSON *t = cJSON_GetObjectItem(j, "text");
            if (cJSON_IsString(t)) {
                char what[300];
                snprintf(what, sizeof what, "%s line %zu", files[i], n + 1);
                same_split(t->valuestring, strlen(t->valuestring), what);
            }
            cJSON_Delete(j);
            n++;
        }
        free(line);
        assert_int_equal(pclose(f), 0);
        assert_true(n > 50);
    }
}

static void test_hand_picked_edges(void **state)
{
    (void)state;
    static const char *const edges[] = {
        "", "a", " ", "\n", "'", "''", "'s", "'S", "'\xC5\xBF", "'\xC5\xBFx", "x'\xC5\xBF",
        "'LL", "'lL", "'l", "'v", "'ve", "'VE", "'re'", "don't", "DON'T", "we'Re", "'d'",
        "it's\xC5\xBF", "'K", "'\xE2\x84\xAA", "' s", "  'll", "'1", "'\n", "\"abc", "!abc",
        " !abc", "  abc", "\tabc", "\t abc", "\r\nabc", "\nabc", "1234567", " 123", "a1b2",
        "\xD9\xA0\xD9\xA1\xD9\xA2\xD9\xA3", "\xE2\x85\xA0\xE2\x85\xA1", "\xC2\xB2\xC2\xB3x",
        "a  ", "a \n ", "a\n\n ", "a \n\n  b", "\n \n ", " \r\n\r\n", "x\xC2\xA0y",
        "x\xC2\xA0\xC2\xA0y", "\xE3\x80\x80\xE4\xB8\xAD", "x\xE1\xA0\x8Ey", "x\xC2\x85y",
        "x\xE2\x80\xA8\xE2\x80\xA9y", "...\n\n", "...\r\r\nx", "//\n/x", " /\n/", "a/\n/b",
        "\xCC\x80", "\xCC\x80\xCC\x81", "a\xCC\x80", "\xCC\x80" "5", " \xCC\x80", "!\xCC\x80x",
        "ABCdef", "ABC", "ABC's", "abcDEF", "HTTPServer", "\xC7\x85x", "\xC7\x85", "A\xC7\x85",
        "\xCA\xB0\xCA\xB0", "A\xCA\xB0" "B", "AB\xCC\x80" "C", "\xE4\xB8\xAD\xE6\x96\x87's",
        "\xE4\xB8\xAD" "A", "A\xE4\xB8\xAD", "Ab'S", "AB'T'S", "\xF0\x9F\x98\x80\xF0\x9F\x98\x80 x",
        "\xF0\x90\x80\x80", "\xE1\xB2\x89", "\xF0\x91\x8E\x80", "\x00\x01", "a\x00" "b",
        "\xFF\xFEz", "\xE4\xB8", "\xED\xA0\x80",
    };
    for (size_t i = 0; i < sizeof edges / sizeof *edges; i++) {
        char what[32];
        snprintf(what, sizeof what, "edge %zu", i);
        same_split(edges[i], strlen(edges[i]), what);
    }
    static const char nul[] = "a\0 b\0\0";
    same_split(nul, sizeof nul - 1, "NULs");
}

/* Random texts over characters that stand for every class: letters of each
 * case category, marks, digits of each kind, whitespace of each kind, the
 * apostrophe and contraction letters, punctuation and symbols. */
static void test_random_texts(void **state)
{
    (void)state;
    static const char *const alphabet[] = {
        "a", "s", "t", "l", "v", "e", "r", "d", "m", "S", "T", "L", "V", "E", "R", "D", "M",
        "x", "X", "'", "'", "'", " ", " ", " ", "\t", "\n", "\r", "\v", "\f", "0", "7",
        "\xD9\xA3", "\xE2\x85\xA0", "\xC2\xBD", "!", ".", "/", "\"", "-", "\xC5\xBF",
        "\xE2\x84\xAA", "\xC2\xA0", "\xC2\x85", "\xE2\x80\x80", "\xE3\x80\x80", "\xE1\xA0\x8E",
        "\xE2\x80\xA8", "\xCC\x80", "\xE0\xA4\x82", "\xE2\x83\x9D", "\xC7\x85", "\xCA\xB0",
        "\xE4\xB8\xAD", "\xC3\xA9", "\xC3\x89", "\xE2\x82\xAC", "\xF0\x9F\x98\x80", "\x00",
        "\xE1\xB2\x89", "\xF0\x90\x90\x80", "\xF0\x90\x90\xA8",
    };
    size_t na = sizeof alphabet / sizeof *alphabet;
    uint64_t x = 0x9E3779B97F4A7C15u;
    lw_buf text = {0};
    for (int round = 0; round < 20000; round++) {
        text.len = 0;
        x = x * 6364136223846793005u + 1442695040888963407u;
        int n = 1 + (int)((x >> 33) % 24);
        for (int i = 0; i < n; i++) {
            x = x * 6364136223846793005u + 1442695040888963407u;
            const char *c = alphabet[(x >> 33) % na];
            lw_buf_append(&text, c, *c ? strlen(c) : 1);
        }
        same_split(text.data, text.len, "a random text");
    }
    lw_buf_free(&text);
    assert_true(compared_pieces > 100000);
}

static void test_other_patterns_use_pcre2(void **state)
{
    (void)state;
    /* Only the exact built-in strings are matched by hand. */
    assert_int_equal(lw_pretok_recognise("\\p{L}+|\\s+"), LW_PRETOK_NONE);
    char changed[1024];
    snprintf(changed, sizeof changed, "%s|x", lw_pattern_builtin("cl100k"));
    assert_int_equal(lw_pretok_recognise(changed), LW_PRETOK_NONE);
    assert_int_equal(lw_pretok_recognise(lw_pattern_builtin("cl100k")), LW_PRETOK_CL100K);
    assert_int_equal(lw_pretok_recognise(qwen2), LW_PRETOK_QWEN2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_edge_case_texts),
        cmocka_unit_test(test_real_documents),
        cmocka_unit_test(test_hand_picked_edges),
        cmocka_unit_test(test_random_texts),
        cmocka_unit_test(test_other_patterns_use_pcre2),
    };
    return cmocka_run_group_tests_name("pretok", tests, setup, teardown);
}
