/* tokenizer.json normalizers, as HF tokenizers defines them: Sequence (read
 * as a flat list), NFC, NFD, NFKC, NFKD (utf8proc), Lowercase (Rust's
 * char::to_lowercase), Strip, Prepend, Replace. Any other is refused by name.
 * HF's normalization tables are older than utf8proc's: hf_norm_table.h lists
 * what HF does not decompose. */
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "hf_internal.h"
#include "hf_norm_table.h"
#include "longweave/vec.h"

static lw_status add(lw_hf *h, const cJSON *j, const char *path, lw_error *err, size_t *cap)
{
    const char *type = cJSON_GetStringValue(cJSON_GetObjectItem(j, "type"));
    if (!type)
        return lw_error_set(err, LW_E_DATA, "%s: a normalizer without a type", path);
    if (strcmp(type, "Sequence") == 0) {
        const cJSON *c;
        cJSON_ArrayForEach(c, cJSON_GetObjectItem(j, "normalizers"))
        {
            lw_status st = add(h, c, path, err, cap);
            if (st)
                return st;
        }
        return LW_OK;
    }
    static const struct {
        const char *name;
        hf_norm_type type;
    } simple[] = {{"NFC", HF_N_NFC},   {"NFD", HF_N_NFD},         {"NFKC", HF_N_NFKC},
                  {"NFKD", HF_N_NFKD}, {"Lowercase", HF_N_LOWERCASE}, {"Strip", HF_N_STRIP},
                  {"Prepend", HF_N_PREPEND}, {"Replace", HF_N_REPLACE}};
    size_t k = 0;
    while (k < sizeof simple / sizeof *simple && strcmp(simple[k].name, type) != 0)
        k++;
    if (k == sizeof simple / sizeof *simple)
        return lw_error_set(err, LW_E_DATA, "%s: normalizer '%s' is not supported%s", path, type,
                            strcmp(type, "Precompiled") == 0
                                ? " (the SentencePiece precompiled_charsmap of T5 and ALBERT "
                                  "files is not implemented: use the .model file)"
                                : "");
    if (!LW_VEC_GROW(&h->norm, cap, h->n_norm + 1))
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    hf_norm *n = &h->norm[h->n_norm];
    memset(n, 0, sizeof *n);
    n->type = simple[k].type;
    if (n->type == HF_N_STRIP) {
        n->left = cJSON_IsTrue(cJSON_GetObjectItem(j, "strip_left"));
        n->right = cJSON_IsTrue(cJSON_GetObjectItem(j, "strip_right"));
    } else if (n->type == HF_N_PREPEND || n->type == HF_N_REPLACE) {
        const char *c = cJSON_GetStringValue(
            cJSON_GetObjectItem(j, n->type == HF_N_PREPEND ? "prepend" : "content"));
        if (!c)
            return lw_error_set(err, LW_E_DATA, "%s: normalizer %s without its string", path,
                                type);
        if (!(n->content = strdup(c)))
            return lw_error_set(err, LW_E_NOMEM, "out of memory");
        if (n->type == HF_N_REPLACE) {
            lw_status st = hf_pattern_parse(&n->pat, cJSON_GetObjectItem(j, "pattern"),
                                            "the Replace normalizer's", path, err);
            if (st) {
                free(n->content);
                return st;
            }
        }
    }
    h->n_norm++;
    return LW_OK;
}

lw_status hf_norm_parse(lw_hf *h, const cJSON *j, const char *path, lw_error *err)
{
    size_t cap = 0;
    if (!j || cJSON_IsNull(j))
        return LW_OK;
    return add(h, j, path, err, &cap);
}

/* Rust's char::to_lowercase, from HF's own table (hf_norm_table.h): its
 * Unicode version is not utf8proc's. */
static const int32_t *lower_of(int32_t c)
{
    size_t lo = 0, hi = sizeof hf_lower / sizeof *hf_lower;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (c < hf_lower[mid][0])
            hi = mid;
        else if (c > hf_lower[mid][0])
            lo = mid + 1;
        else
            return hf_lower[mid];
    }
    return NULL;
}

static int lowercase(const char *s, size_t len, lw_buf *out)
{
    for (size_t i = 0; i < len;) {
        int32_t c;
        size_t j = hf_utf8_next(s, len, i, &c);
        const int32_t *l = c < 0x41 ? NULL : lower_of(c);
        if (!l) {
            if (lw_buf_append(out, s + i, j - i))
                return -1;
        }
        for (int k = 1; l && k < 3 && l[k]; k++) {
            utf8proc_uint8_t enc[4];
            utf8proc_ssize_t n = utf8proc_encode_char(l[k], enc);
            if (lw_buf_append(out, (const char *)enc, (size_t)n))
                return -1;
        }
        i = j;
    }
    return 0;
}

static size_t strip_left(const char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        int32_t c;
        size_t j = hf_utf8_next(s, len, i, &c);
        if (!hf_is_whitespace(c))
            break;
        i = j;
    }
    return i;
}

static size_t strip_right(const char *s, size_t len)
{
    size_t end = len;
    for (size_t i = 0; i < len;) {
        int32_t c;
        size_t j = hf_utf8_next(s, len, i, &c);
        if (!hf_is_whitespace(c))
            end = j;
        i = j;
    }
    return end;
}

/* One normalizer: s -> out, and *p (the bytes standing for the original
 * first character) follows HF's alignments: a character keeps the alignment
 * of what it came from, text put in goes with the character after it. */
static bool kept(int32_t c)
{
    size_t lo = 0, hi = sizeof hf_norm_kept / sizeof *hf_norm_kept;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (c < hf_norm_kept[mid][0])
            hi = mid;
        else if (c > hf_norm_kept[mid][1])
            lo = mid + 1;
        else
            return true;
    }
    return false;
}

/* Append the normalization of s: utf8proc's, except that the characters HF's
 * older tables do not decompose are copied as they are (they are starters,
 * so the runs between them normalize on their own). 0, or -1. */
static int nf_map(const char *s, size_t len, int flags, lw_buf *out)
{
    size_t run = 0;
    for (size_t i = 0; i <= len;) {
        int32_t c = 0;
        size_t j = i < len ? hf_utf8_next(s, len, i, &c) : len + 1;
        if (i == len || (c >= 0x32FF && kept(c))) {
            if (i > run) {
                utf8proc_uint8_t *r = NULL;
                utf8proc_ssize_t k = utf8proc_map((const utf8proc_uint8_t *)s + run,
                                                  (utf8proc_ssize_t)(i - run), &r,
                                                  (utf8proc_option_t)flags);
                if (k < 0)
                    return -1;
                int rc = lw_buf_append(out, (const char *)r, (size_t)k);
                free(r);
                if (rc)
                    return -1;
            }
            if (i < len && lw_buf_append(out, s + i, j - i))
                return -1;
            run = j;
        }
        i = j;
    }
    return 0;
}

static lw_status step(const hf_norm *n, lw_split_scratch *ss, const char *s, size_t len,
                      lw_buf *out, size_t *p, lw_error *err)
{
    out->len = 0;
    size_t P = *p;
    int flags = -1;
    switch (n->type) {
    case HF_N_NFC: flags = UTF8PROC_STABLE | UTF8PROC_COMPOSE; break;
    case HF_N_NFD: flags = UTF8PROC_STABLE | UTF8PROC_DECOMPOSE; break;
    case HF_N_NFKC: flags = UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT; break;
    case HF_N_NFKD: flags = UTF8PROC_STABLE | UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT; break;
    case HF_N_LOWERCASE:
        if (P && lowercase(s, P, out))
            return lw_error_set(err, LW_E_NOMEM, "out of memory");
        *p = out->len;
        out->len = 0;
        return lowercase(s, len, out) ? lw_error_set(err, LW_E_NOMEM, "out of memory") : LW_OK;
    case HF_N_STRIP: {
        size_t a = n->left ? strip_left(s, len) : 0;
        size_t e = n->right ? strip_right(s, len) : len;
        if (e < a)
            e = a;
        *p = P > a ? (P < e ? P : e) - a : 0;
        return lw_buf_append(out, s + a, e - a) ? lw_error_set(err, LW_E_NOMEM, "out of memory")
                                                 : LW_OK;
    }
    case HF_N_PREPEND:
        if (len && lw_buf_append(out, n->content, strlen(n->content)))
            return lw_error_set(err, LW_E_NOMEM, "out of memory");
        *p = P && len ? P + strlen(n->content) : P;
        return lw_buf_append(out, s, len) ? lw_error_set(err, LW_E_NOMEM, "out of memory")
                                          : LW_OK;
    case HF_N_REPLACE: {
        hf_spans sp = {0};
        lw_status st = hf_pattern_spans(&n->pat, ss, s, len, &sp, err);
        *p = 0;
        for (size_t i = 0; !st && i < sp.n; i++) {
            const char *c = sp.v[i].match ? n->content : s + sp.v[i].a;
            size_t k = sp.v[i].match ? strlen(n->content) : sp.v[i].e - sp.v[i].a;
            if (sp.v[i].a < P)
                *p = out->len + (sp.v[i].match ? k : (sp.v[i].e < P ? sp.v[i].e : P) - sp.v[i].a);
            if (lw_buf_append(out, c, k))
                st = lw_error_set(err, LW_E_NOMEM, "out of memory");
        }
        free(sp.v);
        return st;
    }
    }
    if (!len)
        return LW_OK;
    if (nf_map(s, len, flags, out))
        return lw_error_set(err, LW_E_DATA, "Unicode normalization failed");
    if (P) { /* what the prefix became, and at least the first character (composed) */
        size_t at = out->len;
        if (nf_map(s, P, flags, out))
            return lw_error_set(err, LW_E_DATA, "Unicode normalization failed");
        size_t q = out->len - at;
        out->len = at;
        int32_t c;
        size_t first = out->len ? hf_utf8_next(out->data, out->len, 0, &c) : 0;
        *p = q > first ? q : first;
        if (*p > out->len)
            *p = out->len;
    }
    return LW_OK;
}

lw_status hf_normalize(const lw_hf *h, lw_split_scratch *ss, const char *text, size_t len,
                       lw_buf *out, size_t *olen, lw_error *err)
{
    size_t P = olen ? *olen : 0;
    out->len = 0;
    if (lw_buf_append(out, text, len))
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    lw_buf tmp = {0};
    lw_status st = LW_OK;
    for (size_t i = 0; !st && i < h->n_norm; i++) {
        st = step(&h->norm[i], ss, out->data, out->len, &tmp, &P, err);
        lw_buf t = *out;
        *out = tmp;
        tmp = t;
    }
    lw_buf_free(&tmp);
    if (olen)
        *olen = P;
    return st;
}
