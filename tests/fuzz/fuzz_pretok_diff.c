/* libFuzzer target: the hand-written pre-tokenizers of the built-in split
 * patterns (cl100k, llama3, Qwen2, o200k, r50k) against PCRE2 running the
 * same patterns. The first byte chooses how the rest becomes text: its
 * bytes made valid UTF-8 as the encoder does (lw_utf8_repair; valid input
 * is split as it is), or each byte picking a character from an alphabet
 * with members of every class the patterns tell apart. Any difference in
 * a piece's start or end aborts. */
#include <stdint.h>

#include "fuzz_common.h"
#include "../../tokenizer/pattern.h"
#include "longweave/buf.h"
#include "longweave/utf8.h"

enum { N_PATTERNS = 5 };
static lw_split split[N_PATTERNS];
static lw_split_scratch *scratch;

static const char *const alphabet[] = {
    "a", "s", "t", "l", "v", "e", "r", "d", "m", "S", "T", "L", "V", "E", "R", "D", "M", "x",
    "X", "'", " ", "\t", "\n", "\r", "\v", "\f", "0", "7", "\xD9\xA3", "\xE2\x85\xA0",
    "\xC2\xBD", "!", ".", "/", "\"", "\xC5\xBF", "\xE2\x84\xAA", "\xC2\xA0", "\xC2\x85",
    "\xE2\x80\x80", "\xE3\x80\x80", "\xE1\xA0\x8E", "\xE2\x80\xA8", "\xCC\x80", "\xE0\xA4\x82",
    "\xE2\x83\x9D", "\xC7\x85", "\xCA\xB0", "\xE4\xB8\xAD", "\xC3\xA9", "\xC3\x89",
    "\xE2\x82\xAC", "\xF0\x9F\x98\x80", "\xE1\xB2\x89", "\xF0\x90\x90\x80", "\xF0\x90\x90\xA8",
    "\xC3\x9F", "\xE1\xBE\x88", "\xEF\xAC\x80", "\xF0\x9D\x9F\x8E", "\xE2\x93\x90", "_", "#",
};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    static const char *const names[4] = {"cl100k", "llama3", "o200k", "r50k"};
    static const char qwen2[] =
        "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+"
        "[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    for (int k = 0; k < N_PATTERNS; k++) {
        lw_error err;
        if (lw_split_compile(&split[k], k < 4 ? lw_pattern_builtin(names[k]) : qwen2, &err) ||
            split[k].builtin == LW_PRETOK_NONE) {
            fprintf(stderr, "fuzz_pretok_diff: pattern %d not matched by hand\n", k);
            abort();
        }
    }
    if (!(scratch = lw_split_scratch_new()))
        abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    lw_buf text = {0};
    const char *in = (const char *)data + 1;
    size_t len = size - 1;
    if (data[0] & 1) {
        size_t na = sizeof alphabet / sizeof *alphabet;
        for (size_t i = 0; i < len; i++)
            if (lw_buf_puts(&text, alphabet[(uint8_t)in[i] % na]))
                abort();
    } else if (lw_utf8_valid_prefix(in, len, NULL) != len) {
        if (lw_utf8_repair(in, len, &text, NULL, NULL))
            abort();
    } else if (lw_buf_append(&text, in, len)) {
        abort();
    }
    for (int k = 0; k < N_PATTERNS; k++) {
        size_t at = 0;
        while (at < text.len) {
            size_t a1 = 0, e1 = 0, a2 = 0, e2 = 0;
            int r1 = lw_split_match(&split[k], scratch, text.data, text.len, at, &a1, &e1);
            int r2 = lw_split_match_pcre2(&split[k], scratch, text.data, text.len, at, &a2, &e2);
            if (r1 != r2 || a1 != a2 || e1 != e2) {
                fprintf(stderr, "pattern %d at byte %zu: hand-written %d [%zu,%zu), PCRE2 %d "
                        "[%zu,%zu)\n", k, at, r1, a1, e1, r2, a2, e2);
                abort();
            }
            if (r1 != 1 || e1 <= a1)
                break;
            at = e1;
        }
    }
    lw_buf_free(&text);
    return 0;
}
