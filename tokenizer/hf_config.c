/* tokenizer_config.json beside a tokenizer.json: its bos_token, eos_token
 * and pad_token (a string, {"content": ...} or null) decide those roles,
 * over the guess by usual names the loaders make. The file's path, sha256
 * and what it said are kept for the manifest. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "longweave/fileio.h"
#include "tok_internal.h"

static const char *const role_key[3] = {"bos_token", "eos_token", "pad_token"};

void lw_hf_config_clear(lw_tokenizer *t)
{
    free(t->config_path);
    t->config_path = NULL;
    for (int i = 0; i < 3; i++) {
        free(t->config_token[i]);
        t->config_token[i] = NULL;
        t->config_said[i] = 0;
    }
}

lw_status lw_hf_config_apply(lw_tokenizer *t, lw_error *err)
{
    const char *slash = strrchr(t->path, '/');
    size_t dl = slash ? (size_t)(slash - t->path + 1) : 0;
    char *path = malloc(dl + sizeof "tokenizer_config.json");
    if (!path)
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    memcpy(path, t->path, dl);
    strcpy(path + dl, "tokenizer_config.json");
    struct stat sb;
    if (stat(path, &sb) != 0) {
        free(path);
        return LW_OK; /* none: the guess stands */
    }
    lw_buf data = {0};
    lw_status st = lw_file_read_all(path, &data, err);
    cJSON *root = st ? NULL : cJSON_ParseWithLength(data.data, data.len);
    if (!st && !cJSON_IsObject(root))
        st = lw_error_set(err, LW_E_DATA, "%s: not a JSON object (the tokenizer_config.json "
                          "beside %s)", path, t->path);
    if (!st) {
        lw_sha256 *h = lw_sha256_new();
        if (!h) {
            st = lw_error_set(err, LW_E_NOMEM, "out of memory");
        } else {
            lw_sha256_update(h, data.data, data.len);
            lw_sha256_final(h, t->config_sha256);
            lw_sha256_free(h);
        }
    }
    int64_t *role[3] = {&t->bos, &t->eos, &t->pad};
    for (int i = 0; i < 3 && !st; i++) {
        const cJSON *v = cJSON_GetObjectItem(root, role_key[i]);
        if (!v)
            continue;
        if (cJSON_IsNull(v)) {
            t->config_said[i] = -1;
            *role[i] = -1;
            continue;
        }
        const char *content = cJSON_IsObject(v)
                                  ? cJSON_GetStringValue(cJSON_GetObjectItem(v, "content"))
                                  : cJSON_GetStringValue(v);
        if (!content) {
            st = lw_error_set(err, LW_E_DATA, "%s: %s is not a string, {\"content\": ...} or "
                              "null", path, role_key[i]);
            break;
        }
        int64_t id = lw_tok_piece_to_id(t, content, strlen(content));
        if (id < 0) {
            st = lw_error_set(err, LW_E_DATA, "%s: %s '%s' is not a token of %s", path,
                              role_key[i], content, t->path);
            break;
        }
        if (!(t->config_token[i] = strdup(content))) {
            st = lw_error_set(err, LW_E_NOMEM, "out of memory");
            break;
        }
        t->config_said[i] = 1;
        *role[i] = id;
    }
    cJSON_Delete(root);
    lw_buf_free(&data);
    if (st) {
        free(path);
        return st;
    }
    t->config_path = path;
    return LW_OK;
}

const char *lw_tok_config_path(const lw_tokenizer *t) { return t->config_path; }
const char *lw_tok_config_sha256(const lw_tokenizer *t)
{
    return t->config_path ? t->config_sha256 : NULL;
}

int lw_tok_config_role(const lw_tokenizer *t, const char *role, const char **token)
{
    *token = NULL;
    for (int i = 0; i < 3; i++)
        if (strncmp(role, role_key[i], 3) == 0 && strlen(role) == 3) {
            *token = t->config_token[i];
            return t->config_said[i];
        }
    return 0;
}
