/* tokenizer.json decoders, as HF's decode_chain defines them: each decoder
 * maps the list of token strings to a new list, and the text is the list
 * joined. ByteLevel, Metaspace, Replace, ByteFallback, Fuse, Strip,
 * BPEDecoder, WordPiece, Sequence; the others are refused by name. */
#include <stdlib.h>
#include <string.h>

#include "hf_internal.h"
#include "longweave/utf8.h"
#include "longweave/vec.h"

static lw_status add(lw_hf *h, const cJSON *j, const char *path, lw_error *err, size_t *cap)
{
    const char *type = cJSON_GetStringValue(cJSON_GetObjectItem(j, "type"));
    if (!type)
        return lw_error_set(err, LW_E_DATA, "%s: a decoder without a type", path);
    if (strcmp(type, "Sequence") == 0) {
        const cJSON *c;
        cJSON_ArrayForEach(c, cJSON_GetObjectItem(j, "decoders"))
        {
            lw_status st = add(h, c, path, err, cap);
            if (st)
                return st;
        }
        return LW_OK;
    }
    if (!LW_VEC_GROW(&h->dec, cap, h->n_dec + 1))
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    hf_dec *d = &h->dec[h->n_dec];
    memset(d, 0, sizeof *d);
    lw_status st = LW_OK;
    if (strcmp(type, "ByteLevel") == 0) {
        d->type = HF_D_BYTELEVEL;
    } else if (strcmp(type, "ByteFallback") == 0) {
        d->type = HF_D_BYTEFALLBACK;
    } else if (strcmp(type, "Fuse") == 0) {
        d->type = HF_D_FUSE;
    } else if (strcmp(type, "Metaspace") == 0) {
        d->type = HF_D_METASPACE;
        const char *r = cJSON_GetStringValue(cJSON_GetObjectItem(j, "replacement"));
        const char *scheme = cJSON_GetStringValue(cJSON_GetObjectItem(j, "prepend_scheme"));
        const cJSON *aps = cJSON_GetObjectItem(j, "add_prefix_space");
        if (!r || !*r || strlen(r) >= sizeof d->rep)
            return lw_error_set(err, LW_E_DATA, "%s: Metaspace decoder replacement", path);
        strcpy(d->rep, r);
        d->prepend = scheme ? (strcmp(scheme, "never") == 0 ? HF_PREPEND_NEVER : HF_PREPEND_ALWAYS)
                     : aps && !cJSON_IsTrue(aps) ? HF_PREPEND_NEVER
                                                 : HF_PREPEND_ALWAYS;
    } else if (strcmp(type, "Strip") == 0) {
        d->type = HF_D_STRIP;
        const char *c = cJSON_GetStringValue(cJSON_GetObjectItem(j, "content"));
        double a = cJSON_GetNumberValue(cJSON_GetObjectItem(j, "start"));
        double e = cJSON_GetNumberValue(cJSON_GetObjectItem(j, "stop"));
        if (!c || !*c || strlen(c) >= sizeof d->rep || !(a >= 0) || !(e >= 0))
            return lw_error_set(err, LW_E_DATA, "%s: Strip decoder without content/start/stop",
                                path);
        strcpy(d->rep, c);
        d->start = (unsigned)a;
        d->stop = (unsigned)e;
    } else if (strcmp(type, "BPEDecoder") == 0 || strcmp(type, "WordPiece") == 0) {
        bool bpe = type[0] == 'B';
        d->type = bpe ? HF_D_BPE : HF_D_WORDPIECE;
        const cJSON *c = cJSON_GetObjectItem(j, bpe ? "suffix" : "prefix");
        if (c && !cJSON_IsString(c))
            return lw_error_set(err, LW_E_DATA, "%s: %s decoder's %s is not a string", path, type,
                                bpe ? "suffix" : "prefix");
        if (c && !*c->valuestring && bpe) /* Rust's replace("") puts text between all */
            return lw_error_set(err, LW_E_DATA, "%s: BPEDecoder with an empty suffix is not "
                                "supported", path);
        /* HF's defaults when the field is absent */
        if (!(d->content = strdup(c ? c->valuestring : bpe ? "</w>" : "##")))
            return lw_error_set(err, LW_E_NOMEM, "out of memory");
        d->cleanup = !cJSON_IsFalse(cJSON_GetObjectItem(j, "cleanup"));
    } else if (strcmp(type, "Replace") == 0) {
        d->type = HF_D_REPLACE;
        const char *c = cJSON_GetStringValue(cJSON_GetObjectItem(j, "content"));
        if (!c)
            return lw_error_set(err, LW_E_DATA, "%s: Replace decoder without content", path);
        if (!(d->content = strdup(c)))
            return lw_error_set(err, LW_E_NOMEM, "out of memory");
        st = hf_pattern_parse(&d->pat, cJSON_GetObjectItem(j, "pattern"),
                              "the Replace decoder's", path, err);
        if (st)
            free(d->content);
    } else {
        return lw_error_set(err, LW_E_DATA, "%s: decoder '%s' is not supported", path, type);
    }
    if (st)
        return st;
    h->n_dec++;
    return LW_OK;
}

lw_status hf_dec_parse(lw_hf *h, const cJSON *j, const char *path, lw_error *err)
{
    size_t cap = 0;
    if (!j || cJSON_IsNull(j))
        return LW_OK;
    h->has_decoder = true;
    return add(h, j, path, err, &cap);
}

/* A list of token strings. */
typedef struct {
    lw_buf *v;
    size_t n, cap;
} toks;

static lw_buf *push(toks *t)
{
    if (!LW_VEC_GROW(&t->v, &t->cap, t->n + 1))
        return NULL;
    lw_buf *b = &t->v[t->n++];
    memset(b, 0, sizeof *b);
    return b;
}

static void toks_free(toks *t)
{
    for (size_t i = 0; i < t->n; i++)
        lw_buf_free(&t->v[i]);
    free(t->v);
    memset(t, 0, sizeof *t);
}

static int byte_of_hex(const lw_buf *b)
{
    if (b->len != 6 || memcmp(b->data, "<0x", 3) != 0 || b->data[5] != '>')
        return -1;
    int v = 0;
    for (int k = 3; k < 5; k++) {
        char c = b->data[k];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0)
            return -1;
        v = v * 16 + d;
    }
    return v;
}

static int flush_bytes(toks *out, lw_buf *bytes)
{
    if (!bytes->len)
        return 0;
    size_t n = bytes->len;
    if (lw_utf8_valid_prefix(bytes->data, n, NULL) == n) {
        lw_buf *b = push(out);
        if (!b || lw_buf_append(b, bytes->data, n))
            return -1;
    } else {
        for (size_t k = 0; k < n; k++) {
            lw_buf *b = push(out);
            if (!b || lw_buf_append(b, "\xEF\xBF\xBD", 3))
                return -1;
        }
    }
    bytes->len = 0;
    return 0;
}

/* out = s with every from replaced by to (Rust's str::replace). */
static int replace_all(const lw_buf *s, const char *from, const char *to, lw_buf *out)
{
    size_t fn = strlen(from);
    for (size_t k = 0; k < s->len;) {
        if (fn && k + fn <= s->len && memcmp(s->data + k, from, fn) == 0) {
            if (lw_buf_append(out, to, strlen(to)))
                return -1;
            k += fn;
        } else if (lw_buf_putc(out, s->data[k++])) {
            return -1;
        }
    }
    return 0;
}

/* HF's decoders::wordpiece::cleanup, its replacements in its order. */
static int cleanup(lw_buf *b)
{
    static const char *const r[][2] = {{" .", "."},      {" ?", "?"},   {" !", "!"},
                                       {" ,", ","},      {" ' ", "'"},  {" n't", "n't"},
                                       {" 'm", "'m"},    {" do not", " don't"},
                                       {" 's", "'s"},    {" 've", "'ve"}, {" 're", "'re"}};
    lw_buf t = {0};
    for (size_t k = 0; k < sizeof r / sizeof *r; k++) {
        t.len = 0;
        if (replace_all(b, r[k][0], r[k][1], &t)) {
            lw_buf_free(&t);
            return -1;
        }
        lw_buf tmp = *b;
        *b = t;
        t = tmp;
    }
    lw_buf_free(&t);
    return 0;
}

static lw_status step(const hf_dec *d, lw_split_scratch *ss, toks *in, toks *out,
                      lw_error *err)
{
    int table[324];
    hf_byte_level_table(table);
    lw_buf bytes = {0};
    int rc = 0;
    lw_status st = LW_OK;
    if (d->type == HF_D_BYTELEVEL || d->type == HF_D_FUSE) {
        lw_buf *b = push(out);
        for (size_t i = 0; b && !rc && i < in->n; i++) {
            if (d->type == HF_D_FUSE || !hf_from_byte_level(table, in->v[i].data, in->v[i].len,
                                                            b))
                rc = lw_buf_append(b, in->v[i].data, in->v[i].len);
        }
        rc = rc || !b;
    }
    for (size_t i = 0; !rc && d->type == HF_D_BYTEFALLBACK && i < in->n; i++) {
        int v = byte_of_hex(&in->v[i]);
        if (v >= 0) {
            rc = lw_buf_putc(&bytes, (char)v);
            continue;
        }
        lw_buf *b;
        rc = flush_bytes(out, &bytes) || !(b = push(out)) ||
             lw_buf_append(b, in->v[i].data, in->v[i].len);
    }
    if (d->type == HF_D_BYTEFALLBACK && !rc)
        rc = flush_bytes(out, &bytes);
    for (size_t i = 0; !rc && !st && d->type == HF_D_METASPACE && i < in->n; i++) {
        lw_buf *b = push(out);
        size_t rn = strlen(d->rep);
        const char *s = in->v[i].data;
        size_t n = in->v[i].len;
        for (size_t k = 0; b && !rc && k < n;) {
            if (k + rn <= n && memcmp(s + k, d->rep, rn) == 0) {
                if (!(i == 0 && d->prepend != HF_PREPEND_NEVER))
                    rc = lw_buf_putc(b, ' ');
                k += rn;
            } else {
                rc = lw_buf_putc(b, s[k++]);
            }
        }
        rc = rc || !b;
    }
    for (size_t i = 0; !rc && !st && d->type == HF_D_STRIP && i < in->n; i++) {
        lw_buf *b = push(out);
        if (!b) {
            rc = -1;
            break;
        }
        size_t cn = strlen(d->rep);
        const char *s = in->v[i].data;
        size_t a = 0, e = in->v[i].len;
        for (unsigned k = 0; k < d->start && a + cn <= e && memcmp(s + a, d->rep, cn) == 0; k++)
            a += cn;
        for (unsigned k = 0; k < d->stop && e >= a + cn && memcmp(s + e - cn, d->rep, cn) == 0;
             k++)
            e -= cn;
        rc = lw_buf_append(b, s + a, e - a);
    }
    for (size_t i = 0; !rc && !st && d->type == HF_D_REPLACE && i < in->n; i++) {
        lw_buf *b = push(out);
        hf_spans sp = {0};
        if (!b || (st = hf_pattern_spans(&d->pat, ss, in->v[i].data, in->v[i].len, &sp, err))) {
            rc = !b;
            free(sp.v);
            break;
        }
        for (size_t k = 0; !rc && k < sp.n; k++)
            rc = sp.v[k].match ? lw_buf_append(b, d->content, strlen(d->content))
                               : lw_buf_append(b, in->v[i].data + sp.v[k].a, sp.v[k].e - sp.v[k].a);
        free(sp.v);
    }
    for (size_t i = 0; !rc && d->type == HF_D_BPE && i < in->n; i++) {
        /* every suffix a space, none on the last token */
        lw_buf *b = push(out);
        rc = !b || replace_all(&in->v[i], d->content, i + 1 == in->n ? "" : " ", b);
    }
    for (size_t i = 0; !rc && d->type == HF_D_WORDPIECE && i < in->n; i++) {
        lw_buf *b = push(out);
        size_t pn = strlen(d->content);
        const lw_buf *t = &in->v[i];
        if (!b) {
            rc = -1;
        } else if (i > 0 && t->len >= pn && memcmp(t->data, d->content, pn) == 0) {
            rc = lw_buf_append(b, t->data + pn, t->len - pn);
        } else {
            rc = (i > 0 && lw_buf_putc(b, ' ')) || lw_buf_append(b, t->data, t->len);
        }
        rc = rc || (d->cleanup && cleanup(b));
    }
    lw_buf_free(&bytes);
    if (rc)
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    return st;
}

lw_status hf_decode_tokens(const lw_hf *h, char **tokens, size_t *lens, size_t n, lw_buf *out,
                           lw_error *err)
{
    toks a = {0}, b = {0};
    lw_status st = LW_OK;
    for (size_t i = 0; i < n && !st; i++) {
        lw_buf *t = push(&a);
        if (!t || lw_buf_append(t, tokens[i], lens[i]))
            st = lw_error_set(err, LW_E_NOMEM, "out of memory");
    }
    lw_split_scratch *ss = lw_split_scratch_new();
    if (!ss)
        st = lw_error_set(err, LW_E_NOMEM, "out of memory");
    for (size_t k = 0; !st && k < h->n_dec; k++) {
        st = step(&h->dec[k], ss, &a, &b, err);
        toks_free(&a);
        a = b;
        memset(&b, 0, sizeof b);
    }
    /* Without a decoder HF joins the tokens with spaces. */
    for (size_t i = 0; !st && i < a.n; i++)
        if ((!h->has_decoder && i > 0 && lw_buf_putc(out, ' ')) ||
            lw_buf_append(out, a.v[i].data, a.v[i].len))
            st = lw_error_set(err, LW_E_NOMEM, "out of memory");
    toks_free(&a);
    toks_free(&b);
    lw_split_scratch_free(ss);
    return st;
}
