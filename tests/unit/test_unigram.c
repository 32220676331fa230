/* The Unigram model on vocabularies small enough to work out by hand from
 * the rules of HF's models/unigram/model.rs: the best total score, ties kept
 * by the first candidate, unknown nodes at min(score) - 10 and fused,
 * byte fallback of a fused unknown string, the later of two equal pieces,
 * and no unk_id. */
#include "testutil.h"

#include "../../tokenizer/unigram.h"

typedef struct {
    const char *piece;
    double score;
} entry;

static lw_unigram *make(const entry *e, uint32_t n, int64_t unk, bool byte_fallback)
{
    lw_unigram *u = lw_unigram_new(n);
    assert_non_null(u);
    for (uint32_t i = 0; i < n; i++)
        assert_int_equal(lw_unigram_set(u, i, e[i].piece, strlen(e[i].piece), e[i].score), 0);
    lw_error err;
    assert_int_equal(lw_unigram_build(u, unk, byte_fallback, &err), LW_OK);
    return u;
}

static void expect(const lw_unigram *u, const char *text, const uint32_t *want, size_t n)
{
    lw_unigram_scratch *s = lw_unigram_scratch_new();
    lw_ids ids = {0};
    lw_error err;
    assert_int_equal(lw_unigram_encode(u, s, text, strlen(text), &ids, &err), LW_OK);
    assert_int_equal(ids.len, n);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(ids.v[i], want[i]);
    lw_ids_free(&ids);
    lw_unigram_scratch_free(s);
}

static void test_best_path_and_fused_unknowns(void **state)
{
    (void)state;
    /* HF's own example: "abcdacdxx" -> abcd, a, cd, xx (x twice unknown, fused) */
    static const entry v[] = {{"<unk>", 0}, {"a", 0}, {"b", 0}, {"c", 0}, {"d", 0},
                              {"cd", 1}, {"ab", 2}, {"abc", 5}, {"abcd", 10}};
    lw_unigram *u = make(v, 9, 0, false);
    expect(u, "abcdacdxx", (uint32_t[]){8, 1, 5, 0}, 4);
    expect(u, "", NULL, 0);
    lw_unigram_free(u);
    /* min score -17, so an unknown node costs -27: x + yz (-6) beats xyz
     * (-17), and both beat x + two unknowns */
    static const entry w[] = {{"<unk>", 0}, {"x", -1}, {"yz", -5}, {"xyz", -17}};
    u = make(w, 4, 0, false);
    expect(u, "xyz", (uint32_t[]){1, 2}, 2);
    expect(u, "xyzq", (uint32_t[]){1, 2, 0}, 3);
    lw_unigram_free(u);
}

static void test_ties_keep_the_first_candidate(void **state)
{
    (void)state;
    /* "III": I+II and II+I both score -3 exactly; the node at the end is
     * first reached from start 1 (I, then II), which the later candidate
     * does not beat */
    static const entry v[] = {{"<unk>", 0}, {"I", -1}, {"II", -2}};
    lw_unigram *u = make(v, 3, 0, false);
    expect(u, "III", (uint32_t[]){1, 2}, 2);
    lw_unigram_free(u);
}

static void test_byte_fallback_and_duplicates(void **state)
{
    (void)state;
    static const entry v[] = {{"<unk>", 0}, {"a", -1}, {"<0xE4>", 0}, {"<0xB8>", 0},
                              {"<0xAD>", 0}, {"a", -2}};
    lw_unigram *u = make(v, 6, 0, true);
    /* 中 (E4 B8 AD) has no piece: its bytes; the later "a" is the id */
    expect(u, "a\xE4\xB8\xAD" "a", (uint32_t[]){5, 2, 3, 4, 5}, 5);
    /* 中é: one fused unknown string, é's bytes have no pieces: unk */
    expect(u, "\xE4\xB8\xAD\xC3\xA9", (uint32_t[]){0}, 1);
    assert_int_equal(lw_unigram_lookup(u, "a", 1), 5);
    lw_unigram_free(u);
}

static void test_no_unknown_id(void **state)
{
    (void)state;
    static const entry v[] = {{"a", -1}};
    lw_unigram *u = make(v, 1, -1, false);
    expect(u, "aa", (uint32_t[]){0, 0}, 2);
    lw_unigram_scratch *s = lw_unigram_scratch_new();
    lw_ids ids = {0};
    lw_error err;
    assert_int_equal(lw_unigram_encode(u, s, "ab", 2, &ids, &err), LW_E_DATA);
    assert_non_null(strstr(err.msg, "unk_id"));
    lw_ids_free(&ids);
    lw_unigram_scratch_free(s);
    lw_unigram_free(u);
    u = lw_unigram_new(1);
    assert_int_equal(lw_unigram_set(u, 0, "a", 1, 0), 0);
    assert_int_equal(lw_unigram_build(u, 1, false, &err), LW_E_DATA);
    lw_unigram_free(u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_best_path_and_fused_unknowns),
        cmocka_unit_test(test_ties_keep_the_first_candidate),
        cmocka_unit_test(test_byte_fallback_and_duplicates),
        cmocka_unit_test(test_no_unknown_id),
    };
    return cmocka_run_group_tests_name("unigram", tests, NULL, NULL);
}
