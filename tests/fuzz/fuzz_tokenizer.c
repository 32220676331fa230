/* libFuzzer target: encode arbitrary bytes (valid and invalid UTF-8) with
 * the byte-level BPE (Llama 3 ranks) and SentencePiece (BPE model) of the
 * test fixtures. Every id is below the vocabulary size; for the byte-level
 * tokenizer, decoding gives the input back, ill-formed subparts as U+FFFD. */
#include <stdint.h>

#include "fuzz_common.h"
#include "longweave/buf.h"
#include "longweave/tokenizer.h"
#include "longweave/utf8.h"

static lw_tokenizer *tok[2];
static lw_tok_scratch *scratch[2];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    static const char *const files[2] = {FUZZ_FIXTURE("llama3.tiktoken"),
                                         FUZZ_FIXTURE("spm-bpe-32k.model")};
    for (int i = 0; i < 2; i++) {
        lw_error err;
        lw_tok_opts o = {.pattern = NULL};
        if (lw_tok_load(&tok[i], files[i], &o, &err) ||
            !(scratch[i] = lw_tok_scratch_new(tok[i]))) {
            fprintf(stderr, "fuzz_tokenizer: %s\n", err.msg);
            abort();
        }
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    int which = data[0] & 1;
    const char *text = (const char *)data + 1;
    size_t len = size - 1;
    lw_ids ids = {0};
    lw_error err;
    if (lw_tok_encode(tok[which], scratch[which], text, len, &ids, &err))
        abort(); /* any bytes encode */
    uint32_t vocab = lw_tok_vocab_size(tok[which]);
    for (size_t i = 0; i < ids.len; i++)
        if (ids.v[i] >= vocab)
            abort();
    lw_buf back = {0}, want = {0};
    if (lw_tok_decode(tok[which], ids.v, ids.len, &back, &err))
        abort();
    if (which == 0) {
        size_t replaced, chars;
        lw_utf8_repair(text, len, &want, &replaced, &chars);
        if (back.len != want.len || (want.len && memcmp(back.data, want.data, want.len) != 0))
            abort(); /* byte-level BPE round-trips exactly */
    }
    lw_buf_free(&back);
    lw_buf_free(&want);
    lw_ids_free(&ids);
    return 0;
}
