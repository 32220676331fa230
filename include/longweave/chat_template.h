/* Chat templates: how SFT conversations become token ids and loss masks.
 *
 * A template gives, for each role (system, user, assistant), the pieces that
 * come before and after a message: text (encoded with the tokenizer) or
 * special tokens (always written as their ids, never as text). Built in:
 * "llama2", "llama3" (also "llama3.1"), "gemma3", "chatml", "qwen3",
 * "deepseek-v3", "mistral" (each as the model's own tokenizer_config.json
 * chat_template renders system/user/assistant conversations) and "plain"; or
 * a JSON file:
 *
 *   {"begin": [{"special": "<|begin_of_text|>"}],
 *    "system":    {"prefix": [...], "suffix": [...], "after": [...]},
 *    "user":      {"prefix": [{"special": "<|start_header_id|>"}, "user",
 *                             {"special": "<|end_header_id|>"}, "\n\n"],
 *                  "suffix": [{"special": "<|eot_id|>"}]},
 *    "assistant": {...},
 *    "end": []}
 *
 * where a string is text and {"special": NAME} a special token (NAME may be
 * "bos" or "eos" for the tokenizer's own). The loss mask is 1 on the
 * assistant's message and its suffix, 0 elsewhere ("after" pieces are never
 * trained). The conversation is encoded as the rendered text would be:
 * the text between two special tokens (template text and messages together)
 * is encoded as one text, so ids across a piece boundary are the ones
 * Hugging Face gets from the whole text; a token that straddles the start or
 * end of the trained part counts as the later part's.
 *
 * A role may also have "trim": true (its message without the whitespace
 * Python's str.strip() removes, as Jinja's trim does), "prefix_after_system"
 * (used instead of prefix right after a system message, for templates that
 * fold the system prompt into the first user turn) and, for the assistant,
 * "last_prefix" (used instead of prefix for the conversation's last message
 * when a user message came before it: Qwen3's empty think block). */
#ifndef LONGWEAVE_CHAT_TEMPLATE_H
#define LONGWEAVE_CHAT_TEMPLATE_H

#include <stddef.h>
#include <stdint.h>

#include "longweave/buf.h"
#include "longweave/status.h"
#include "longweave/tokenizer.h"

typedef struct {
    char *text;      /* text piece, or the special token's name */
    int special;     /* 1: a special token */
    int64_t id;      /* its id once bound */
} lw_chat_piece;

typedef struct {
    lw_chat_piece *v;
    size_t n, cap;
} lw_chat_pieces;

enum { LW_ROLE_SYSTEM, LW_ROLE_USER, LW_ROLE_ASSISTANT, LW_ROLE_COUNT };

typedef struct {
    char name[64];
    lw_chat_pieces begin, end;
    lw_chat_pieces prefix[LW_ROLE_COUNT], suffix[LW_ROLE_COUNT], after[LW_ROLE_COUNT];
    lw_chat_pieces prefix_after_system[LW_ROLE_COUNT], last_prefix;
    int has_prefix_after_system[LW_ROLE_COUNT], has_last_prefix;
    int trim[LW_ROLE_COUNT];
} lw_chat_template;

lw_status lw_chat_template_builtin(lw_chat_template *t, const char *name, lw_error *err);
/* A JSON template file; errors name the JSON path. */
lw_status lw_chat_template_load(lw_chat_template *t, const char *path, lw_error *err);
void lw_chat_template_free(lw_chat_template *t);
/* The built-in whose text is the chat_template of a tokenizer_config.json
 * (the string, or the "default" entry of a list): recognised by its SHA-256,
 * since a template that differs at all may render differently. *name is the
 * built-in's name, or NULL when the config has no chat_template; one it does
 * not know is LW_E_USAGE naming the file and the hash. */
lw_status lw_chat_template_recognise(const char *config_path, const char **name, lw_error *err);
/* Resolve the special tokens with the tokenizer (LW_E_USAGE naming the
 * first one it does not have). */
lw_status lw_chat_template_bind(lw_chat_template *t, const lw_tokenizer *tok, lw_error *err);

typedef struct {
    int role;        /* LW_ROLE_* */
    const char *text;
    size_t len;
} lw_chat_message;

/* Append the conversation's ids to ids and one mask byte per id to mask. */
lw_status lw_chat_encode(const lw_chat_template *t, const lw_tokenizer *tok, lw_tok_scratch *s,
                         const lw_chat_message *msgs, size_t n, lw_ids *ids, lw_buf *mask,
                         lw_error *err);

#endif
