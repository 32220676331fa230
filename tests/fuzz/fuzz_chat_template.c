/* libFuzzer target: the parser of `synl --template` files (JSON chat
 * templates); a template it accepts and that binds to the Llama 3 tokenizer
 * must encode a conversation with one mask byte per id. */
#include <stdint.h>

#include "fuzz_common.h"
#include "longweave/chat_template.h"

static lw_tokenizer *tok;
static lw_tok_scratch *scratch;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    lw_error err;
    lw_tok_opts o = {.pattern = NULL};
    if (lw_tok_load(&tok, FUZZ_FIXTURE("llama3.tiktoken"), &o, &err) ||
        !(scratch = lw_tok_scratch_new(tok)))
        abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_file("template.json", data, size);
    lw_chat_template t;
    lw_error err;
    if (lw_chat_template_load(&t, path, &err) != LW_OK)
        return 0;
    if (lw_chat_template_bind(&t, tok, &err) == LW_OK) {
        lw_chat_message msgs[] = {{LW_ROLE_SYSTEM, "Be brief.", 9},
                                  {LW_ROLE_USER, "Which row?", 10},
                                  {LW_ROLE_ASSISTANT, "Row 7.", 6}};
        lw_ids ids = {0};
        lw_buf mask = {0};
        if (lw_chat_encode(&t, tok, scratch, msgs, 3, &ids, &mask, &err) != LW_OK ||
            mask.len != ids.len)
            abort();
        lw_ids_free(&ids);
        lw_buf_free(&mask);
    }
    lw_chat_template_free(&t);
    return 0;
}
