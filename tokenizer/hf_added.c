/* tokenizer.json added tokens, matched as HF's AddedVocabulary does:
 * leftmost-longest over all contents (tokens with normalized: false on the
 * raw text, the others, normalized, on the normalized text), single_word
 * and lstrip/rstrip as in its find_matches. Special tokens take part only
 * when the caller asked for it (lw_tok_opts.match_special); by default their
 * strings are plain text, as HF does with encode_special_tokens. */
#include <stdlib.h>
#include <string.h>

#include "hf_internal.h"
#include "longweave/vec.h"

lw_status hf_added_parse(lw_hf *h, const cJSON *added, const char *path, lw_error *err)
{
    size_t cap = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, added)
    {
        const char *content = cJSON_GetStringValue(cJSON_GetObjectItem(e, "content"));
        double id = cJSON_GetNumberValue(cJSON_GetObjectItem(e, "id"));
        if (!content || !(id >= 0 && id < 16777216))
            return lw_error_set(err, LW_E_DATA, "%s: an added token without content or id", path);
        if (!*content)
            continue; /* HF ignores empty added tokens */
        if (!LW_VEC_GROW(&h->added, &cap, h->n_added + 1))
            return lw_error_set(err, LW_E_NOMEM, "out of memory");
        hf_added *a = &h->added[h->n_added];
        memset(a, 0, sizeof *a);
        if (!(a->content = strdup(content)))
            return lw_error_set(err, LW_E_NOMEM, "out of memory");
        h->n_added++;
        a->len = strlen(content);
        a->id = (uint32_t)id;
        a->special = cJSON_IsTrue(cJSON_GetObjectItem(e, "special"));
        a->normalized = cJSON_IsTrue(cJSON_GetObjectItem(e, "normalized"));
        a->lstrip = cJSON_IsTrue(cJSON_GetObjectItem(e, "lstrip"));
        a->rstrip = cJSON_IsTrue(cJSON_GetObjectItem(e, "rstrip"));
        a->single_word = cJSON_IsTrue(cJSON_GetObjectItem(e, "single_word"));
    }
    return LW_OK;
}

static int cmp_tok(const void *x, const void *y)
{
    const hf_added *a = *(hf_added *const *)x, *b = *(hf_added *const *)y;
    size_t n = a->len < b->len ? a->len : b->len;
    int c = memcmp(a->content, b->content, n);
    if (c)
        return c;
    if (a->len != b->len)
        return a->len < b->len ? -1 : 1;
    return a < b ? -1 : a > b; /* the first listed wins */
}

static lw_status build(hf_matcher *m, hf_added **toks, size_t n, lw_error *err)
{
    m->tok = malloc((n ? n : 1) * sizeof *m->tok);
    if (!m->tok)
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    memcpy(m->tok, toks, n * sizeof *toks);
    qsort(m->tok, n, sizeof *m->tok, cmp_tok);
    /* one token per content */
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (!k || m->tok[k - 1]->len != m->tok[i]->len ||
            memcmp(m->tok[k - 1]->content, m->tok[i]->content, m->tok[i]->len) != 0)
            m->tok[k++] = m->tok[i];
    m->n = k;
    size_t i = 0;
    for (int c = 0; c <= 256; c++) {
        while (i < k && c < 256 && (unsigned char)m->tok[i]->content[0] < c)
            i++;
        m->first[c] = c == 256 ? k : i;
    }
    return LW_OK;
}

lw_status hf_added_build(lw_hf *h, lw_error *err)
{
    hf_added **raw = malloc((h->n_added ? h->n_added : 1) * sizeof *raw);
    hf_added **norm = malloc((h->n_added ? h->n_added : 1) * sizeof *norm);
    lw_split_scratch *ss = lw_split_scratch_new();
    lw_buf b = {0};
    lw_status st = raw && norm && ss ? LW_OK : lw_error_set(err, LW_E_NOMEM, "out of memory");
    size_t nr = 0, nn = 0;
    for (size_t i = 0; !st && i < h->n_added; i++) {
        hf_added *a = &h->added[i];
        bool skip = a->special && !h->match_special;
        if (!a->normalized) {
            if (!skip)
                raw[nr++] = a;
            continue;
        }
        /* matched in its normalized form, which is also what HF decodes
         * it to (simple_id_to_token) */
        if ((st = hf_normalize(h, ss, a->content, a->len, &b, NULL, err)))
            break;
        char *c = malloc(b.len + 1);
        if (!c) {
            st = lw_error_set(err, LW_E_NOMEM, "out of memory");
            break;
        }
        memcpy(c, b.data, b.len);
        c[b.len] = '\0';
        free(a->content);
        a->content = c;
        a->len = b.len;
        if (a->len && !skip)
            norm[nn++] = a;
    }
    if (!st)
        st = build(&h->raw, raw, nr, err);
    if (!st)
        st = build(&h->normalized, norm, nn, err);
    free(raw);
    free(norm);
    lw_buf_free(&b);
    lw_split_scratch_free(ss);
    return st;
}

/* The longest token that text[p..] starts with, or NULL. */
static const hf_added *longest(const hf_matcher *m, const char *text, size_t len, size_t p)
{
    unsigned char c0 = (unsigned char)text[p];
    size_t lo = m->first[c0], hi = m->first[c0 + 1];
    const hf_added *best = NULL;
    for (size_t k = 1; lo < hi; k++) {
        /* [lo, hi): tokens whose first k bytes are text[p, p+k) */
        if (m->tok[lo]->len == k) {
            best = m->tok[lo];
            lo++;
        }
        if (p + k >= len || lo >= hi)
            break;
        unsigned char c = (unsigned char)text[p + k];
        size_t a = lo, e = hi;
        while (a < e) { /* first with byte k >= c */
            size_t mid = a + (e - a) / 2;
            if ((unsigned char)m->tok[mid]->content[k] < c)
                a = mid + 1;
            else
                e = mid;
        }
        size_t b = a;
        e = hi;
        while (b < e) { /* first with byte k > c */
            size_t mid = b + (e - b) / 2;
            if ((unsigned char)m->tok[mid]->content[k] <= c)
                b = mid + 1;
            else
                e = mid;
        }
        lo = a;
        hi = b;
    }
    return best;
}

/* Rust regex \w, at the end of / the start of a string. */
static bool word_before(const char *s, size_t at)
{
    if (at == 0)
        return false;
    size_t i = at - 1;
    while (i > 0 && ((unsigned char)s[i] & 0xC0) == 0x80)
        i--;
    int32_t c;
    hf_utf8_next(s, at, i, &c);
    return hf_is_word(c);
}

int hf_added_find(const lw_hf *h, const hf_matcher *m, const char *text, size_t len, size_t at,
                  size_t *start, size_t *end, const hf_added **tok)
{
    (void)h;
    if (!m->n)
        return 0;
    size_t floor = at; /* the end of the last match taken */
    for (size_t p = at; p < len;) {
        const hf_added *t = longest(m, text, len, p);
        if (!t) {
            p++;
            continue;
        }
        size_t a = p, e = p + t->len;
        p = e; /* a discarded match still consumes its text, as aho-corasick's find_iter */
        if (t->single_word) {
            int32_t c = 0;
            bool after = e < len && (hf_utf8_next(text, len, e, &c), hf_is_word(c));
            if (word_before(text, a) || after)
                continue;
        }
        if (t->lstrip) {
            size_t s = a;
            while (s > floor) {
                size_t i = s - 1;
                while (i > floor && ((unsigned char)text[i] & 0xC0) == 0x80)
                    i--;
                int32_t c;
                hf_utf8_next(text, len, i, &c);
                if (!hf_is_whitespace(c))
                    break;
                s = i;
            }
            a = s;
        }
        if (t->rstrip) {
            while (e < len) {
                int32_t c;
                size_t j = hf_utf8_next(text, len, e, &c);
                if (!hf_is_whitespace(c))
                    break;
                e = j;
            }
        }
        *start = a;
        *end = e;
        *tok = t;
        return 1;
    }
    return 0;
}
