/* Chat templates through the public API, on a tiny character vocabulary with
 * one merge: text between special tokens is encoded as one text (a merge
 * across a piece boundary is kept), a token across the start of the answer
 * is trained, and "trim" removes what Python's str.strip() removes.
 *
 * Also a tool for tests/cli/test_chat_templates.py, which compares the
 * built-ins with each model's own Jinja template on multi-turn conversations
 * (synl writes only system, user, assistant):
 *   test_chat_template --encode TOKENIZER TEMPLATE CONVS.jsonl OUT.jsonl
 * TEMPLATE is a built-in name or a JSON file; reads {"messages": [{"role":
 * ..., "content": ...}, ...]} lines and writes {"ids": [...], "mask": [...]}
 * lines. */
#include "testutil.h"

#include <cjson/cJSON.h>
#include <sys/stat.h>

#include "longweave/chat_template.h"

/* ids: 0 a, 1 b, 2 " ", 3 ab, 4 <x> (special) */
static const char json[] =
    "{\"version\": \"1.0\", \"normalizer\": null, \"pre_tokenizer\": null, \"decoder\": null,"
    " \"added_tokens\": [{\"id\": 4, \"content\": \"<x>\", \"special\": true,"
    "  \"normalized\": false, \"lstrip\": false, \"rstrip\": false, \"single_word\": false}],"
    " \"model\": {\"type\": \"BPE\", \"unk_token\": null, \"fuse_unk\": false,"
    "  \"byte_fallback\": false, \"vocab\": {\"a\": 0, \"b\": 1, \" \": 2, \"ab\": 3},"
    "  \"merges\": [\"a b\"]}}";

static const char tpl_json[] =
    "{\"user\": {\"prefix\": [\" \"], \"suffix\": [{\"special\": \"<x>\"}]},"
    " \"assistant\": {\"prefix\": [\"aa\"], \"suffix\": [{\"special\": \"<x>\"}], \"trim\": true}}";

static void encode(const char *user, const char *answer, const uint32_t *want_ids,
                   const char *want_mask, size_t n)
{
    char *dir = tu_mkdtemp();
    char *tp = tu_write(dir, "tokenizer.json", json, strlen(json));
    char *jp = tu_write(dir, "t.json", tpl_json, strlen(tpl_json));
    lw_tokenizer *t = NULL;
    lw_error err = {0};
    lw_tok_opts o = {0};
    lw_chat_template tpl;
    assert_int_equal(lw_tok_load(&t, tp, &o, &err), LW_OK);
    assert_int_equal(lw_chat_template_load(&tpl, jp, &err), LW_OK);
    assert_int_equal(lw_chat_template_bind(&tpl, t, &err), LW_OK);
    lw_tok_scratch *s = lw_tok_scratch_new(t);
    lw_chat_message msgs[] = {{LW_ROLE_USER, user, strlen(user)},
                              {LW_ROLE_ASSISTANT, answer, strlen(answer)}};
    lw_ids ids = {0};
    lw_buf mask = {0};
    assert_int_equal(lw_chat_encode(&tpl, t, s, msgs, 2, &ids, &mask, &err), LW_OK);
    assert_int_equal(ids.len, n);
    assert_int_equal(mask.len, n);
    assert_memory_equal(ids.v, want_ids, n * sizeof *want_ids);
    assert_memory_equal(mask.data, want_mask, n);
    lw_buf_free(&mask);
    lw_ids_free(&ids);
    lw_tok_scratch_free(s);
    lw_chat_template_free(&tpl);
    lw_tok_free(t);
    free(tp);
    free(jp);
    tu_rmtree(dir);
}

static void one_text_between_special_tokens(void **state)
{
    (void)state;
    /* " " + "ab" encodes as " ", "ab"; then <x>; "aa" + "b" as a, ab: the
     * token across the start of the answer is trained */
    encode("ab", "b", (const uint32_t[]){2, 3, 4, 0, 3, 4}, "\0\0\0\0\1\1", 6);
    /* "aa" + "a" are three tokens: the prefix's two are not trained */
    encode("a", "a", (const uint32_t[]){2, 0, 4, 0, 0, 0, 4}, "\0\0\0\0\0\1\1", 7);
}

static void trim_is_python_strip(void **state)
{
    (void)state;
    /* U+3000, U+0085, space, tab, U+2029 around the answer go */
    encode("b", "\xe3\x80\x80\xc2\x85 b\t\xe2\x80\xa9", (const uint32_t[]){2, 1, 4, 0, 3, 4},
           "\0\0\0\0\1\1", 6);
}

static int encode_file(const char *tokp, const char *tname, const char *convs, const char *out)
{
    lw_tokenizer *t = NULL;
    lw_error err = {0};
    lw_tok_opts o = {0};
    lw_chat_template tpl;
    struct stat sb;
    if (lw_tok_load(&t, tokp, &o, &err) ||
        (stat(tname, &sb) == 0 ? lw_chat_template_load(&tpl, tname, &err)
                               : lw_chat_template_builtin(&tpl, tname, &err)) ||
        lw_chat_template_bind(&tpl, t, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    FILE *in = fopen(convs, "r"), *w = fopen(out, "w");
    if (!in || !w)
        return 1;
    lw_tok_scratch *s = lw_tok_scratch_new(t);
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int rc = 0;
    static const char *const roles[] = {"system", "user", "assistant"};
    while (!rc && (n = getline(&line, &cap, in)) > 0) {
        cJSON *j = cJSON_ParseWithLength(line, (size_t)n), *m;
        lw_chat_message msgs[64];
        size_t k = 0;
        cJSON_ArrayForEach(m, cJSON_GetObjectItem(j, "messages"))
        {
            const char *role = cJSON_GetStringValue(cJSON_GetObjectItem(m, "role"));
            const char *text = cJSON_GetStringValue(cJSON_GetObjectItem(m, "content"));
            int r = 0;
            while (r < 3 && role && strcmp(role, roles[r]) != 0)
                r++;
            if (r == 3 || !text || k == 64) {
                rc = 1;
                break;
            }
            msgs[k++] = (lw_chat_message){r, text, strlen(text)};
        }
        lw_ids ids = {0};
        lw_buf mask = {0};
        if (rc || lw_chat_encode(&tpl, t, s, msgs, k, &ids, &mask, &err)) {
            fprintf(stderr, "%s\n", err.msg);
            rc = 1;
        } else {
            fputs("{\"ids\": [", w);
            for (size_t i = 0; i < ids.len; i++)
                fprintf(w, i ? ", %u" : "%u", ids.v[i]);
            fputs("], \"mask\": [", w);
            for (size_t i = 0; i < mask.len; i++)
                fprintf(w, i ? ", %d" : "%d", mask.data[i]);
            fputs("]}\n", w);
        }
        lw_ids_free(&ids);
        lw_buf_free(&mask);
        cJSON_Delete(j);
    }
    free(line);
    lw_tok_scratch_free(s);
    lw_chat_template_free(&tpl);
    lw_tok_free(t);
    fclose(in);
    return fclose(w) || rc;
}

int main(int argc, char **argv)
{
    if (argc == 6 && strcmp(argv[1], "--encode") == 0)
        return encode_file(argv[2], argv[3], argv[4], argv[5]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(one_text_between_special_tokens),
        cmocka_unit_test(trim_is_python_strip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
