/* The native SentencePiece BPE encoder (tokenizer/spm_bpe.c) against
 * libsentencepiece itself, run in this process through the shim on the same
 * texts: every .model fixture, the 910 edge cases, the sample corpus
 * documents and long documents (1 MB each, >= 2 MB in tests/cli/test_spm_native.py
 * against python3-sentencepiece: English, whitespace-heavy, CJK
 * without spaces, code with runs of spaces, letters no pair cut can split).
 * The window and the pair-cut length are also set to 1, so that every
 * place where the encoder cuts the text is exercised on every text. */
#include "testutil.h"

#include <cjson/cJSON.h>

#include "longweave/utf8.h"
#include "../../tokenizer/spm_model.h"
#include "../../tokenizer/tok_internal.h"

#define FIX "tests/fixtures/tokenizers/"

typedef struct {
    char **text;
    size_t *len;
    size_t n, cap;
} texts;

static void add(texts *t, const char *s, size_t n)
{
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 1024;
        t->text = realloc(t->text, t->cap * sizeof *t->text);
        t->len = realloc(t->len, t->cap * sizeof *t->len);
    }
    t->text[t->n] = malloc(n + 1);
    memcpy(t->text[t->n], s, n);
    t->text[t->n][n] = '\0';
    t->len[t->n++] = n;
}

static void texts_free(texts *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->text[i]);
    free(t->text);
    free(t->len);
}

/* The "text" of every JSON line of a file, or of a command's output. */
static void add_jsonl(texts *t, FILE *f)
{
    assert_non_null(f);
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, f)) > 0) {
        cJSON *j = cJSON_ParseWithLength(line, (size_t)n);
        assert_non_null(j);
        cJSON *s = cJSON_GetObjectItem(j, "text");
        assert_true(cJSON_IsString(s));
        add(t, s->valuestring, strlen(s->valuestring));
        cJSON_Delete(j);
    }
    free(line);
}

static texts cases(void)
{
    texts t = {0};
    FILE *f = fopen(FIX "refs/cases.jsonl", "r");
    add_jsonl(&t, f);
    fclose(f);
    assert_int_equal(t.n, 910);
    return t;
}

static texts documents(void)
{
    texts t = {0};
    const char *files[] = {"examples/data/sample.jsonl.zst", "examples/data/multilingual.jsonl.zst"};
    for (int i = 0; i < 2; i++) {
        char cmd[256];
        snprintf(cmd, sizeof cmd, "zstd -dc %s", files[i]);
        FILE *p = popen(cmd, "r");
        add_jsonl(&t, p);
        assert_int_equal(pclose(p), 0);
    }
    assert_true(t.n > 300);
    return t;
}

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint32_t next(uint32_t n)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return (uint32_t)(rng % n);
}

static void put_cp(lw_buf *b, uint32_t c)
{
    char u[4];
    size_t n = c < 0x80 ? (u[0] = (char)c, 1)
               : c < 0x800 ? (u[0] = (char)(0xC0 | c >> 6), u[1] = (char)(0x80 | (c & 0x3F)), 2)
               : c < 0x10000 ? (u[0] = (char)(0xE0 | c >> 12), u[1] = (char)(0x80 | (c >> 6 & 0x3F)),
                                u[2] = (char)(0x80 | (c & 0x3F)), 3)
                             : (u[0] = (char)(0xF0 | c >> 18), u[1] = (char)(0x80 | (c >> 12 & 0x3F)),
                                u[2] = (char)(0x80 | (c >> 6 & 0x3F)), u[3] = (char)(0x80 | (c & 0x3F)), 4);
    assert_int_equal(lw_buf_append(b, u, n), 0);
}

/* Long documents of 1 MB (the library needs minutes for many of 2 MB). */
static texts long_documents(const texts *docs)
{
    texts t = {0};
    const size_t big = 1u << 20;
    lw_buf b = {0};
    /* the sample corpus, whole documents back to back */
    for (size_t i = 0; b.len < big; i = (i + 1) % docs->n) {
        assert_int_equal(lw_buf_append(&b, docs->text[i], docs->len[i]), 0);
        assert_int_equal(lw_buf_append(&b, "\n\n", 2), 0);
    }
    add(&t, b.data, b.len);
    /* whitespace-heavy: the same words with runs of spaces, tabs, newlines,
     * ideographic spaces and literal ▁ between them */
    static const char *const gaps[] = {" ", "  ", "    ", "\t", "\n", "\n\n    ", "\xE3\x80\x80",
                                       "\xE2\x96\x81", "\xE2\x96\x81\xE2\x96\x81 ", "        ",
                                       " \xE2\x96\x81", "\r\n"};
    b.len = 0;
    for (size_t i = 0; b.len < big; i = (i + 1) % t.len[0]) {
        size_t j = i;
        while (j < t.len[0] && t.text[0][j] != ' ')
            j++;
        assert_int_equal(lw_buf_append(&b, t.text[0] + i, j - i), 0);
        const char *g = gaps[next(sizeof gaps / sizeof *gaps)];
        assert_int_equal(lw_buf_append(&b, g, strlen(g)), 0);
        i = j;
    }
    add(&t, b.data, b.len);
    /* CJK without spaces: common and rare ideographs, kana, hangul, and
     * CJK punctuation */
    b.len = 0;
    while (b.len < big) {
        uint32_t r = next(100);
        uint32_t c = r < 50   ? 0x4E00 + next(600)
                     : r < 70 ? 0x4E00 + next(0x5200)
                     : r < 80 ? 0x3041 + next(0x5E)
                     : r < 90 ? 0xAC00 + next(2000)
                     : r < 95 ? 0x3001 + next(3)
                     : r < 98 ? 0x20000 + next(100)
                              : 0xFF01 + next(0x5E);
        put_cp(&b, c);
    }
    add(&t, b.data, b.len);
    /* code with indentation */
    b.len = 0;
    while (b.len < big) {
        int depth = (int)next(8);
        for (int k = 0; k < depth * 4; k++)
            assert_int_equal(lw_buf_putc(&b, ' '), 0);
        static const char *const lines[] = {"if (x == NULL) {", "return lw_error_set(err, LW_E_DATA, \"%s\", p);",
                                            "}", "for (size_t i = 0; i < n; i++)", "    x[i] += y[i] * 2;",
                                            "# comment   with   spaces", "def f(a, b):", "",
                                            "\t\tindented_with_tabs()", "s = '''  text  '''"};
        const char *l = lines[next(sizeof lines / sizeof *lines)];
        assert_int_equal(lw_buf_append(&b, l, strlen(l)), 0);
        assert_int_equal(lw_buf_putc(&b, '\n'), 0);
    }
    add(&t, b.data, b.len);
    /* one letter repeated, and random base64: long words with few cuts */
    b.len = 0;
    while (b.len < big / 4)
        assert_int_equal(lw_buf_putc(&b, 'a'), 0);
    add(&t, b.data, b.len);
    b.len = 0;
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    while (b.len < big)
        assert_int_equal(lw_buf_putc(&b, b64[next(64)]), 0);
    add(&t, b.data, b.len);
    lw_buf_free(&b);
    return t;
}

typedef struct {
    void *lib;
    lw_spm_bpe *native;
    lw_bpe_scratch *s;
    lw_buf norm, repaired;
} model;

static char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    *n = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    char *p = malloc(*n + 1);
    assert_int_equal(fread(p, 1, *n, f), *n);
    fclose(f);
    return p;
}

static model open_model(const char *path, char *why, size_t whycap)
{
    model m = {0};
    char msg[256];
    m.lib = lw_spm_open(path, msg, sizeof msg);
    assert_non_null(m.lib);
    size_t n;
    char *data = slurp(path, &n);
    lw_error err;
    assert_int_equal(lw_spm_bpe_new(data, n, &m.native, why, whycap, &err), LW_OK);
    free(data);
    m.s = lw_bpe_scratch_new();
    return m;
}

static void close_model(model *m)
{
    lw_spm_close(m->lib);
    lw_spm_bpe_free(m->native);
    lw_bpe_scratch_free(m->s);
    lw_buf_free(&m->norm);
    lw_buf_free(&m->repaired);
}

static const char *valid(model *m, const char *s, size_t *n)
{
    if (lw_utf8_valid_prefix(s, *n, NULL) == *n)
        return s;
    m->repaired.len = 0; /* as lw_tok_encode does */
    assert_int_equal(lw_utf8_repair(s, *n, &m->repaired, NULL, NULL), 0);
    *n = m->repaired.len;
    return m->repaired.data;
}

/* The library's ids of every text, once per model. */
static lw_ids *reference(model *m, const texts *t)
{
    lw_ids *want = calloc(t->n, sizeof *want);
    for (size_t i = 0; i < t->n; i++) {
        size_t n = t->len[i];
        const char *s = valid(m, t->text[i], &n);
        char msg[256];
        assert_int_equal(lw_spm_encode(m->lib, s, n, &want[i], msg, sizeof msg), 0);
    }
    return want;
}

static void reference_free(lw_ids *want, const texts *t)
{
    for (size_t i = 0; i < t->n; i++)
        lw_ids_free(&want[i]);
    free(want);
}

/* The native encoder on every text; the first difference is reported. */
static void compare(model *m, const char *name, const texts *t, const lw_ids *want)
{
    lw_ids got = {0};
    for (size_t i = 0; i < t->n; i++) {
        size_t n = t->len[i];
        const char *s = valid(m, t->text[i], &n);
        lw_error err;
        got.len = 0;
        assert_int_equal(lw_spm_bpe_encode(m->native, m->s, &m->norm, s, n, &got, &err), LW_OK);
        size_t k = 0;
        while (k < want[i].len && k < got.len && want[i].v[k] == got.v[k])
            k++;
        if (k < want[i].len || k < got.len) {
            print_message("%s: text %zu (%zu bytes, window %zu, long %zu): %zu ids, the library "
                          "%zu; first difference at id %zu\n", name, i, n, lw_spm_bpe_window,
                          lw_spm_bpe_long, got.len, want[i].len, k);
            fail();
        }
    }
    lw_ids_free(&got);
}

static texts g_cases, g_docs, g_long;

static int setup(void **state)
{
    (void)state;
    g_cases = cases();
    g_docs = documents();
    g_long = long_documents(&g_docs);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    texts_free(&g_cases);
    texts_free(&g_docs);
    texts_free(&g_long);
    return 0;
}

static void check_model(const char *path)
{
    char why[128];
    model m = open_model(path, why, sizeof why);
    if (!m.native)
        print_message("%s: %s\n", path, why);
    assert_non_null(m.native);
    lw_ids *cases = reference(&m, &g_cases), *docs = reference(&m, &g_docs),
           *longs = reference(&m, &g_long);
    compare(&m, path, &g_cases, cases);
    compare(&m, path, &g_docs, docs);
    compare(&m, path, &g_long, longs);
    /* every cut everywhere: a window of one byte, pair cuts in every piece */
    lw_spm_bpe_window = lw_spm_bpe_long = 1;
    compare(&m, path, &g_cases, cases);
    compare(&m, path, &g_docs, docs);
    compare(&m, path, &g_long, longs);
    lw_bpe_scan_max = 1; /* and the heap merge on every piece */
    compare(&m, path, &g_cases, cases);
    lw_bpe_scan_max = LW_BPE_SCAN_MAX_DEFAULT;
    lw_spm_bpe_window = 64 * 1024;
    lw_spm_bpe_long = 64;
    reference_free(cases, &g_cases);
    reference_free(docs, &g_docs);
    reference_free(longs, &g_long);
    close_model(&m);
}

static void test_llama2(void **state)
{
    (void)state;
    check_model(FIX "llama2-equivalent.model");
}

static void test_spm_bpe_32k(void **state)
{
    (void)state;
    check_model(FIX "spm-bpe-32k.model");
}

static void pb_varint(lw_buf *b, uint64_t v)
{
    do {
        unsigned char c = v & 0x7F;
        v >>= 7;
        assert_int_equal(lw_buf_putc(b, (char)(v ? c | 0x80 : c)), 0);
    } while (v);
}

static void pb_bytes(lw_buf *b, uint32_t field, const void *p, size_t n)
{
    pb_varint(b, (uint64_t)field << 3 | 2);
    pb_varint(b, n);
    assert_int_equal(lw_buf_append(b, p, n), 0);
}

/* The fixture with tail appended (a message's fields may continue, and
 * sub-messages merge, at the end). */
static char *variant(const char *dir, const char *path, const lw_buf *tail)
{
    size_t n;
    char *data = slurp(path, &n);
    lw_buf b = {0};
    assert_int_equal(lw_buf_append(&b, data, n), 0);
    assert_int_equal(lw_buf_append(&b, tail->data, tail->len), 0);
    char name[64];
    static int k;
    snprintf(name, sizeof name, "variant%d.model", k++);
    char *out = tu_write(dir, name, b.data, b.len);
    lw_buf_free(&b);
    free(data);
    return out;
}

/* A model with user-defined pieces: the fixture with pieces appended (a
 * repeated protobuf field may continue at the end of the message). Those
 * already in the vocabulary are left out (the library refuses duplicates). */
static char *with_user_defined(const char *dir, const char *path, const char *const *add,
                               size_t n_add)
{
    char msg[256];
    void *orig = lw_spm_open(path, msg, sizeof msg);
    assert_non_null(orig);
    lw_buf tail = {0}, piece = {0};
    for (size_t i = 0; i < n_add; i++) {
        size_t len = strlen(add[i]);
        if (lw_spm_piece_to_id(orig, add[i], len) >= 0)
            continue;
        /* SentencePiece { piece = 1; score = 2 (0.0); type = 3 (USER_DEFINED) } */
        piece.len = 0;
        pb_bytes(&piece, 1, add[i], len);
        assert_int_equal(lw_buf_append(&piece, "\x15\x00\x00\x00\x00\x18\x04", 7), 0);
        pb_bytes(&tail, 1, piece.data, piece.len);
    }
    lw_spm_close(orig);
    char *out = variant(dir, path, &tail);
    lw_buf_free(&tail);
    lw_buf_free(&piece);
    return out;
}

static void check_user_defined(const char *path, bool with_inner_ws)
{
    static const char *const add[] = {
        "<start_of_turn>", "<br>", "\n\n", "\n", "  ", "a b", "\xE4\xB8\xAD\xE6\x96\x87",
        "http", "Linux", "the", "ing", "\xE2\x96\x81(", "<0x41>x", "th",
        "\xE2\x96\x81\xE2\x96\x81\xE2\x96\x81\xE2\x96\x81\xE2\x96\x81\xE2\x96\x81",
        "e\xE2\x96\x81t", /* X▁ inside: no cuts before ▁, pair cuts only */
    };
    size_t n_add = sizeof add / sizeof *add - (with_inner_ws ? 0 : 1);
    char *dir = tu_mkdtemp();
    char *model_path = with_user_defined(dir, path, add, n_add);
    char why[128];
    model m = open_model(model_path, why, sizeof why);
    if (!m.native)
        print_message("%s: %s\n", model_path, why);
    assert_non_null(m.native);
    lw_ids *cases = reference(&m, &g_cases), *docs = reference(&m, &g_docs);
    compare(&m, model_path, &g_cases, cases);
    compare(&m, model_path, &g_docs, docs);
    lw_spm_bpe_window = lw_spm_bpe_long = 1;
    compare(&m, model_path, &g_cases, cases);
    lw_spm_bpe_window = 64 * 1024;
    lw_spm_bpe_long = 64;
    reference_free(cases, &g_cases);
    reference_free(docs, &g_docs);
    close_model(&m);
    free(model_path);
    tu_rmtree(dir);
}

static void test_user_defined(void **state)
{
    (void)state;
    check_user_defined(FIX "llama2-equivalent.model", false);
    check_user_defined(FIX "spm-bpe-32k.model", false);
    check_user_defined(FIX "llama2-equivalent.model", true);
    check_user_defined(FIX "spm-bpe-32k.model", true);
}

/* The unigram model is not BPE: it stays with the library, and so does
 * lw_tok_load's choice. */
static void test_unigram_stays_on_the_library(void **state)
{
    (void)state;
    char why[128];
    model m = open_model(FIX "spm-unigram-32k.model", why, sizeof why);
    assert_null(m.native);
    assert_string_equal(why, "model_type is not BPE");
    close_model(&m);
    lw_tokenizer *t;
    lw_error err;
    assert_int_equal(lw_tok_load(&t, FIX "spm-unigram-32k.model", NULL, &err), LW_OK);
    assert_null(t->spm_bpe);
    assert_string_equal(lw_tok_name(t), "sentencepiece-unigram");
    lw_tok_free(t);
    assert_int_equal(lw_tok_load(&t, FIX "llama2-equivalent.model", NULL, &err), LW_OK);
    assert_non_null(t->spm_bpe);
    assert_string_equal(lw_tok_name(t), "sentencepiece-bpe");
    lw_tok_free(t);
}

/* ---- decoding and piece lookups (no library loaded) against the library ---- */

/* Id sequences that exercise Decode: any id; runs of byte pieces holding
 * random bytes (so invalid, truncated and overlong UTF-8, surrogates and
 * valid characters of every length); control, unknown and ▁ pieces first. */
static void random_ids(lw_ids *ids, void *lib, uint32_t vocab, const uint32_t *ws, size_t n_ws)
{
    static const unsigned char lead[] = {0x00, 0x41, 0x7F, 0x80, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF,
                                         0xE0, 0xE4, 0xED, 0xEF, 0xF0, 0xF4, 0xF5, 0xF8, 0xFF};
    int byte0 = lw_spm_piece_to_id(lib, "<0x00>", 6);
    ids->len = 0;
    size_t n = next(24);
    for (size_t i = 0; i < n; i++) {
        uint32_t how = next(8);
        if (how == 0 && n_ws) {
            assert_int_equal(lw_ids_push(ids, ws[next((uint32_t)n_ws)]), 0);
        } else if (how <= 3 && byte0 >= 0) {
            /* a lead byte, then continuation bytes or anything */
            unsigned char c = next(3) ? lead[next(sizeof lead)] : (unsigned char)next(256);
            assert_int_equal(lw_ids_push(ids, (uint32_t)byte0 + c), 0);
            for (uint32_t k = next(4); k > 0; k--) {
                c = next(4) ? (unsigned char)(0x80 + next(64)) : (unsigned char)next(256);
                assert_int_equal(lw_ids_push(ids, (uint32_t)byte0 + c), 0);
            }
        } else if (how == 4) {
            assert_int_equal(lw_ids_push(ids, next(4)), 0); /* unk, bos, eos, ... */
        } else {
            assert_int_equal(lw_ids_push(ids, next(vocab)), 0);
        }
    }
}

static void check_decode_one(const lw_tokenizer *t, void *lib, const uint32_t *ids, size_t n)
{
    lw_buf got = {0}, want = {0};
    lw_error err;
    char msg[256];
    assert_int_equal(lw_tok_decode(t, ids, n, &got, &err), LW_OK);
    assert_int_equal(lw_spm_decode(lib, ids, n, &want, msg, sizeof msg), 0);
    if (got.len != want.len || (got.len && memcmp(got.data, want.data, got.len) != 0)) {
        print_message("decoding %zu ids:", n);
        for (size_t i = 0; i < n; i++)
            print_message(" %u", ids[i]);
        print_message("\n");
        fail_msg("%s: %zu bytes, the library %zu", lw_tok_path(t), got.len, want.len);
    }
    lw_buf_free(&got);
    lw_buf_free(&want);
}

/* A BPE model lw_tok_load takes natively: libsentencepiece is not loaded,
 * and vocabulary size, roles, every piece both ways and Decode (random ids,
 * and the ids of the test texts) equal the library's. */
static void check_native(const char *path, bool decodes_natively)
{
    lw_tokenizer *t;
    lw_error err;
    assert_int_equal(lw_tok_load(&t, path, NULL, &err), LW_OK);
    assert_non_null(t->spm_bpe);
    assert_null(t->spm);
    char msg[256];
    void *lib = lw_spm_open(path, msg, sizeof msg);
    assert_non_null(lib);
    uint32_t vocab = (uint32_t)lw_spm_vocab_size(lib);
    assert_int_equal(lw_tok_vocab_size(t), vocab);
    int roles[4];
    lw_spm_roles(lib, roles);
    assert_int_equal(lw_tok_special(t, "bos"), roles[0]);
    assert_int_equal(lw_tok_special(t, "eos"), roles[1]);
    assert_int_equal(lw_tok_special(t, "pad"), roles[2]);
    assert_int_equal(lw_tok_special(t, "unk"), roles[3]);
    uint32_t *ws = malloc(vocab * sizeof *ws);
    size_t n_ws = 0;
    for (uint32_t id = 0; id < vocab; id++) {
        size_t a, b;
        const char *p, *q = lw_spm_id_to_piece(lib, (int)id, &b);
        assert_int_equal(lw_tok_id_to_piece(t, id, &p, &a), 0);
        assert_int_equal(a, b);
        assert_memory_equal(p, q, a);
        assert_int_equal(lw_tok_piece_to_id(t, p, a), lw_spm_piece_to_id(lib, p, a));
        if (a > 3 && memcmp(p, "\xE2\x96\x81", 3) == 0)
            ws[n_ws++] = id;
    }
    const char *p;
    size_t a;
    assert_int_equal(lw_tok_id_to_piece(t, vocab, &p, &a), -1);
    static const char *const none[] = {"", "<0x100>", "no such piece at all", "\xE2\x96"};
    for (size_t k = 0; k < sizeof none / sizeof *none; k++)
        assert_int_equal(lw_tok_piece_to_id(t, none[k], strlen(none[k])),
                         lw_spm_piece_to_id(lib, none[k], strlen(none[k])));
    lw_ids ids = {0};
    for (int k = 0; k < 3000; k++) {
        random_ids(&ids, lib, vocab, ws, n_ws);
        check_decode_one(t, lib, ids.v, ids.len);
    }
    const texts *all[] = {&g_cases, &g_docs};
    lw_tok_scratch *s = lw_tok_scratch_new(t);
    for (size_t k = 0; k < 2; k++)
        for (size_t i = 0; i < all[k]->n; i++) {
            ids.len = 0;
            assert_int_equal(lw_tok_encode(t, s, all[k]->text[i], all[k]->len[i], &ids, &err),
                             LW_OK);
            check_decode_one(t, lib, ids.v, ids.len);
        }
    lw_tok_scratch_free(s);
    /* a denormalizer is the library's: opened on the first decode only */
    assert_true(decodes_natively ? t->spm == NULL : t->spm != NULL);
    lw_ids_free(&ids);
    free(ws);
    lw_spm_close(lib);
    lw_tok_free(t);
}

static void test_native_without_the_library(void **state)
{
    (void)state;
    check_native(FIX "llama2-equivalent.model", true);
    check_native(FIX "spm-bpe-32k.model", true);
    char *dir = tu_mkdtemp();
    static const char *const add[] = {"<start_of_turn>", "\n\n", "\xE2\x96\x81\xE2\x96\x81x"};
    char *udf = with_user_defined(dir, FIX "llama2-equivalent.model", add, 3);
    check_native(udf, true);
    free(udf);
    const char *fixtures[] = {FIX "llama2-equivalent.model", FIX "spm-bpe-32k.model"};
    for (size_t f = 0; f < 2; f++) {
        /* normalizer_spec merged: add_dummy_prefix (3), remove_extra_whitespaces (4) */
        for (int v = f ? 4 : 0; v < 4; v++) {
            lw_buf tail = {0};
            char spec[4] = {0x18, (char)(v & 1), 0x20, (char)(v >> 1)};
            pb_bytes(&tail, 3, spec, 4);
            char *m = variant(dir, fixtures[f], &tail);
            check_native(m, true);
            free(m);
            lw_buf_free(&tail);
        }
        /* trainer_spec: unk_surface (44), bos_piece "</s>" (46), pad_piece "<unk>" (48) */
        lw_buf spec = {0}, tail = {0};
        pb_bytes(&spec, 44, "[?]", 3);
        pb_bytes(&spec, 46, "</s>", 4);
        pb_bytes(&spec, 48, "<unk>", 5);
        pb_bytes(&tail, 2, spec.data, spec.len);
        char *m = variant(dir, fixtures[f], &tail);
        check_native(m, true);
        free(m);
        lw_buf_free(&spec);
        lw_buf_free(&tail);
    }
    /* denormalizer_spec (5) with spm-bpe-32k's nmt_nfkc charsmap */
    size_t n;
    char *data = slurp(FIX "spm-bpe-32k.model", &n);
    lw_spm_model sm;
    assert_int_equal(lw_spm_model_parse(&sm, data, n), 0);
    assert_non_null(sm.charsmap);
    lw_buf spec = {0}, tail = {0};
    pb_bytes(&spec, 2, sm.charsmap, sm.charsmap_len);
    pb_bytes(&tail, 5, spec.data, spec.len);
    char *m = variant(dir, FIX "spm-bpe-32k.model", &tail);
    check_native(m, false);
    free(m);
    lw_spm_model_free(&sm);
    free(data);
    lw_buf_free(&spec);
    lw_buf_free(&tail);
    tu_rmtree(dir);
}

/* Models the library's Load refuses are refused, though the native code
 * alone would take them: a failing self-test sample, a reserved piece
 * defined twice. */
static void test_library_refusals_stay(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    lw_buf sample = {0}, data = {0}, tail = {0};
    pb_bytes(&sample, 1, "hello", 5);
    pb_bytes(&sample, 2, "not the pieces", 14);
    pb_bytes(&data, 1, sample.data, sample.len);
    pb_bytes(&tail, 4, data.data, data.len);
    char *m = variant(dir, FIX "llama2-equivalent.model", &tail);
    lw_tokenizer *t;
    lw_error err;
    assert_int_equal(lw_tok_load(&t, m, NULL, &err), LW_E_DATA);
    free(m);
    lw_buf_free(&tail);
    /* SentencePiece { piece "<s>", type CONTROL } again */
    lw_buf piece = {0};
    pb_bytes(&piece, 1, "<s>", 3);
    assert_int_equal(lw_buf_append(&piece, "\x18\x03", 2), 0);
    pb_bytes(&tail, 1, piece.data, piece.len);
    m = variant(dir, FIX "llama2-equivalent.model", &tail);
    assert_int_equal(lw_tok_load(&t, m, NULL, &err), LW_E_DATA);
    free(m);
    lw_buf_free(&piece);
    lw_buf_free(&tail);
    lw_buf_free(&sample);
    lw_buf_free(&data);
    tu_rmtree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unigram_stays_on_the_library),
        cmocka_unit_test(test_llama2),
        cmocka_unit_test(test_spm_bpe_32k),
        cmocka_unit_test(test_user_defined),
        cmocka_unit_test(test_native_without_the_library),
        cmocka_unit_test(test_library_refusals_stay),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
