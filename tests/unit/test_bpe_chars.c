/* BPE over characters (the mode of SentencePiece-style vocabularies): merges
 * by rank of the joined piece with equal ranks leftmost first, byte fallback,
 * the unknown token and its fusing, each worked out by hand from the rules of
 * SentencePiece's bpe_model.cc and Hugging Face's BPE; both merge algorithms
 * (linear scan and heap) must give the same ids. */
#include "testutil.h"

#include "../../tokenizer/bpe.h"

/* "▁" is E2 96 81; "中" E4 B8 AD. */
static const char *const vocab[] = {
    "<unk>", "a", "b", "c", "ab", "bc", "abc", "\xE2\x96\x81", "\xE2\x96\x81" "a",
    "<0xE4>", "<0xB8>", "<0xAD>", "x",
};
enum { UNK, A, B, C, AB, BC, ABC, WS, WS_A, X_E4, X_B8, X_AD, X, N_IDS };

static lw_bpe make(void)
{
    size_t total = 0;
    for (int i = 0; i < N_IDS; i++)
        total += strlen(vocab[i]);
    char *bytes = malloc(total);
    uint64_t *off = malloc(N_IDS * sizeof *off);
    uint32_t *len = malloc(N_IDS * sizeof *len);
    size_t at = 0;
    for (int i = 0; i < N_IDS; i++) {
        /* the control-like pieces are not reachable from text */
        bool text = i != UNK && (i < X_E4 || i > X_AD);
        off[i] = text ? at : UINT64_MAX;
        len[i] = (uint32_t)strlen(vocab[i]);
        if (text) {
            memcpy(bytes + at, vocab[i], len[i]);
            at += len[i];
        }
    }
    lw_bpe b;
    lw_error err;
    assert_int_equal(lw_bpe_init(&b, bytes, off, len, N_IDS, NULL, &err), LW_OK);
    b.char_symbols = true;
    b.whole_first = false;
    /* scores: bc and ab tie (rank 0), then abc, then ▁a; the rest last */
    b.rank_of_id = malloc(N_IDS * sizeof *b.rank_of_id);
    for (int i = 0; i < N_IDS; i++)
        b.rank_of_id[i] = 9;
    b.rank_of_id[AB] = b.rank_of_id[BC] = 0;
    b.rank_of_id[ABC] = 1;
    b.rank_of_id[WS_A] = 2;
    b.fallback_id[0xE4] = X_E4;
    b.fallback_id[0xB8] = X_B8;
    b.fallback_id[0xAD] = X_AD;
    b.unk_id = UNK;
    return b;
}

static void expect(const lw_bpe *b, const char *text, const uint32_t *want, size_t n)
{
    for (int algo = 0; algo < 2; algo++) {
        lw_bpe_scan_max = algo ? 1 : 1 << 30;
        lw_bpe_scratch *s = lw_bpe_scratch_new();
        lw_ids ids = {0};
        assert_int_equal(lw_bpe_encode_piece(b, s, text, strlen(text), &ids), 0);
        lw_bpe_scan_max = LW_BPE_SCAN_MAX_DEFAULT;
        assert_int_equal(ids.len, n);
        assert_memory_equal(ids.v, want, n * sizeof *want);
        lw_ids_free(&ids);
        lw_bpe_scratch_free(s);
    }
}

static void test_equal_ranks_merge_leftmost_first(void **state)
{
    (void)state;
    lw_bpe b = make();
    /* a b c: ab and bc tie, ab is leftmost; then ab+c = abc */
    expect(&b, "abc", (uint32_t[]){ABC}, 1);
    /* b c a b: bc (left) then ab */
    expect(&b, "bcab", (uint32_t[]){BC, AB}, 2);
    /* ▁ a b: ▁a (rank 2) loses to ab (rank 0): ▁ + ab */
    expect(&b, "\xE2\x96\x81" "ab", (uint32_t[]){WS, AB}, 2);
    expect(&b, "\xE2\x96\x81" "a", (uint32_t[]){WS_A}, 1);
    lw_bpe_free(&b);
}

static void test_fallback_and_unknown(void **state)
{
    (void)state;
    lw_bpe b = make();
    b.byte_fallback = true;
    /* 中 has no token: its three bytes' tokens */
    expect(&b, "a\xE4\xB8\xAD" "b", (uint32_t[]){A, X_E4, X_B8, X_AD, B}, 5);
    /* é (C3 A9) has no byte tokens: unknown */
    expect(&b, "a\xC3\xA9", (uint32_t[]){A, UNK}, 2);
    b.byte_fallback = false;
    expect(&b, "\xE4\xB8\xAD\xC3\xA9x", (uint32_t[]){UNK, UNK, X}, 3);
    b.fuse_unk = true;
    expect(&b, "\xE4\xB8\xAD\xC3\xA9x\xC3\xA9", (uint32_t[]){UNK, X, UNK}, 3);
    lw_bpe_free(&b);
}

static void test_no_unknown_token_drops_and_counts(void **state)
{
    (void)state;
    lw_bpe b = make();
    b.unk_id = LW_BPE_NONE;
    lw_bpe_scratch *s = lw_bpe_scratch_new();
    lw_ids ids = {0};
    assert_int_equal(lw_bpe_encode_piece(&b, s, "a\xC3\xA9" "b", 4, &ids), 0);
    assert_int_equal(ids.len, 2);
    assert_int_equal(ids.v[0], A);
    assert_int_equal(ids.v[1], B);
    assert_int_equal(lw_bpe_scratch_unknown_dropped(s), 1);
    lw_ids_free(&ids);
    lw_bpe_scratch_free(s);
    lw_bpe_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_equal_ranks_merge_leftmost_first),
        cmocka_unit_test(test_fallback_and_unknown),
        cmocka_unit_test(test_no_unknown_token_drops_and_counts),
    };
    return cmocka_run_group_tests_name("bpe_chars", tests, NULL, NULL);
}
