/* Chat templates: built-in and JSON ones, bound to a tokenizer, encoded
 * with loss masks. */
#include "longweave/chat_template.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "longweave/fileio.h"
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

lw_status lw_chat_template_builtin(lw_chat_template *t, const char *name, lw_error *err)
{
    memset(t, 0, sizeof *t);
    snprintf(t->name, sizeof t->name, "%s", name);
    int rc = 0;
    if (strcmp(name, "llama3") == 0) {
        rc |= add_all(&t->begin, (const char *[]){SP("<|begin_of_text|>"), NULL});
        for (int r = 0; r < LW_ROLE_COUNT; r++) {
            rc |= add_all(&t->prefix[r], (const char *[]){SP("<|start_header_id|>"), role_names[r],
                                                          SP("<|end_header_id|>"), "\n\n", NULL});
            rc |= add_all(&t->suffix[r], (const char *[]){SP("<|eot_id|>"), NULL});
        }
    } else if (strcmp(name, "chatml") == 0) {
        for (int r = 0; r < LW_ROLE_COUNT; r++) {
            char head[32];
            snprintf(head, sizeof head, "%s\n", role_names[r]);
            rc |= add_all(&t->prefix[r], (const char *[]){SP("<|im_start|>"), head, NULL});
            rc |= add_all(&t->suffix[r], (const char *[]){SP("<|im_end|>"), NULL});
            rc |= add_all(&t->after[r], (const char *[]){"\n", NULL});
        }
    } else if (strcmp(name, "plain") == 0) {
        rc |= add_all(&t->prefix[LW_ROLE_SYSTEM], (const char *[]){"System: ", NULL});
        rc |= add_all(&t->after[LW_ROLE_SYSTEM], (const char *[]){"\n\n", NULL});
        rc |= add_all(&t->prefix[LW_ROLE_USER], (const char *[]){"User: ", NULL});
        rc |= add_all(&t->after[LW_ROLE_USER], (const char *[]){"\n\n", NULL});
        rc |= add_all(&t->prefix[LW_ROLE_ASSISTANT], (const char *[]){"Assistant: ", NULL});
        rc |= add_all(&t->suffix[LW_ROLE_ASSISTANT], (const char *[]){SP("eos"), NULL});
    } else {
        return lw_error_set(err, LW_E_USAGE, "unknown chat template '%s' (llama3, chatml, plain, "
                            "or --template FILE)", name);
    }
    if (rc) {
        lw_chat_template_free(t);
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    }
    return LW_OK;
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
    }
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
    lw_buf b = {0};
    lw_status st = lw_file_read_all(path, &b, err);
    if (st) {
        lw_buf_free(&b);
        return st;
    }
    cJSON *j = cJSON_ParseWithLength(b.data ? b.data : "", b.len);
    lw_buf_free(&b);
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
        static const char *const parts[] = {"prefix", "suffix", "after"};
        lw_chat_pieces *dst[] = {&t->prefix[r], &t->suffix[r], &t->after[r]};
        for (int k = 0; k < 3 && !st; k++) {
            snprintf(p, sizeof p, "$.%s.%s", role_names[r], parts[k]);
            st = parse_pieces(path, cJSON_GetObjectItem(role, parts[k]), p, dst[k], err);
        }
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
            !(st = bind(&t->suffix[r], tok, t->name, err)))
            st = bind(&t->after[r], tok, t->name, err);
    return st;
}

static lw_status put(const lw_tokenizer *tok, lw_tok_scratch *s, const char *text, size_t len,
                     uint8_t m, lw_ids *ids, lw_buf *mask, lw_error *err)
{
    size_t before = ids->len;
    lw_status st = lw_tok_encode(tok, s, text, len, ids, err);
    if (st)
        return st;
    for (size_t i = before; i < ids->len; i++)
        if (lw_buf_putc(mask, (char)m))
            return lw_error_set(err, LW_E_NOMEM, "out of memory");
    return LW_OK;
}

static lw_status put_pieces(const lw_chat_pieces *p, const lw_tokenizer *tok, lw_tok_scratch *s,
                            uint8_t m, lw_ids *ids, lw_buf *mask, lw_error *err)
{
    for (size_t i = 0; i < p->n; i++) {
        lw_status st;
        if (p->v[i].special) {
            if (lw_ids_push(ids, (uint32_t)p->v[i].id) || lw_buf_putc(mask, (char)m))
                return lw_error_set(err, LW_E_NOMEM, "out of memory");
        } else if ((st = put(tok, s, p->v[i].text, strlen(p->v[i].text), m, ids, mask, err))) {
            return st;
        }
    }
    return LW_OK;
}

lw_status lw_chat_encode(const lw_chat_template *t, const lw_tokenizer *tok, lw_tok_scratch *s,
                         const lw_chat_message *msgs, size_t n, lw_ids *ids, lw_buf *mask,
                         lw_error *err)
{
    lw_status st = put_pieces(&t->begin, tok, s, 0, ids, mask, err);
    for (size_t i = 0; i < n && !st; i++) {
        int r = msgs[i].role;
        uint8_t m = r == LW_ROLE_ASSISTANT;
        if (!(st = put_pieces(&t->prefix[r], tok, s, 0, ids, mask, err)) &&
            !(st = put(tok, s, msgs[i].text, msgs[i].len, m, ids, mask, err)) &&
            !(st = put_pieces(&t->suffix[r], tok, s, m, ids, mask, err)))
            st = put_pieces(&t->after[r], tok, s, 0, ids, mask, err);
    }
    if (!st)
        st = put_pieces(&t->end, tok, s, 0, ids, mask, err);
    return st;
}
