/* tokenizer.json pre-tokenizers as a chain: each stage cuts every piece the
 * stage before left, as HF's PreTokenizedString::split does. Split (String
 * and Regex, every behaviour, invert), Metaspace, Digits, ByteLevel,
 * Punctuation, Whitespace, WhitespaceSplit, CharDelimiterSplit, Sequence.
 * ByteLevel's byte-to-character mapping is not done: the model's vocabulary
 * is kept as bytes, so pieces stay bytes. */
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "hf_internal.h"
#include "longweave/vec.h"

static const char *gpt2_pattern =
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

static lw_status behavior(const cJSON *j, hf_behavior *out, const char *path, lw_error *err)
{
    static const char *const names[] = {"Removed", "Isolated", "MergedWithPrevious",
                                        "MergedWithNext", "Contiguous"};
    const char *b = cJSON_GetStringValue(j);
    if (!b) {
        *out = HF_ISOLATED;
        return LW_OK;
    }
    for (int k = 0; k < 5; k++)
        if (strcmp(b, names[k]) == 0) {
            *out = (hf_behavior)k;
            return LW_OK;
        }
    return lw_error_set(err, LW_E_DATA, "%s: split behavior '%s' is not supported", path, b);
}

/* One character, as UTF-8, into dst[8]. */
static lw_status one_char(const cJSON *j, char dst[8], const char *what, const char *path,
                          lw_error *err)
{
    const char *s = cJSON_GetStringValue(j);
    int32_t c;
    if (!s || !*s || hf_utf8_next(s, strlen(s), 0, &c) != strlen(s))
        return lw_error_set(err, LW_E_DATA, "%s: %s must be one character", path, what);
    strcpy(dst, s);
    return LW_OK;
}

static lw_status add(lw_hf *h, const cJSON *j, const char *path, lw_error *err, size_t *cap)
{
    const char *type = cJSON_GetStringValue(cJSON_GetObjectItem(j, "type"));
    if (!type)
        return lw_error_set(err, LW_E_DATA, "%s: a pre-tokenizer without a type", path);
    if (strcmp(type, "Sequence") == 0) {
        const cJSON *c;
        cJSON_ArrayForEach(c, cJSON_GetObjectItem(j, "pretokenizers"))
        {
            lw_status st = add(h, c, path, err, cap);
            if (st)
                return st;
        }
        return LW_OK;
    }
    if (h->n_pre && h->pre[h->n_pre - 1].type == HF_P_BYTELEVEL)
        return lw_error_set(err, LW_E_DATA, "%s: pre-tokenizer '%s' after ByteLevel is not "
                            "supported", path, type);
    if (!LW_VEC_GROW(&h->pre, cap, h->n_pre + 1))
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    hf_pre *p = &h->pre[h->n_pre];
    memset(p, 0, sizeof *p);
    lw_status st = LW_OK;
    if (strcmp(type, "Split") == 0) {
        p->type = HF_P_SPLIT;
        p->invert = cJSON_IsTrue(cJSON_GetObjectItem(j, "invert"));
        if (!(st = behavior(cJSON_GetObjectItem(j, "behavior"), &p->behavior, path, err)))
            st = hf_pattern_parse(&p->pat, cJSON_GetObjectItem(j, "pattern"),
                                  "the Split pre-tokenizer's", path, err);
    } else if (strcmp(type, "Metaspace") == 0) {
        p->type = HF_P_METASPACE;
        const cJSON *split = cJSON_GetObjectItem(j, "split");
        p->flag = !split || cJSON_IsTrue(split);
        const char *scheme = cJSON_GetStringValue(cJSON_GetObjectItem(j, "prepend_scheme"));
        const cJSON *aps = cJSON_GetObjectItem(j, "add_prefix_space");
        if (!scheme)
            p->prepend = aps && !cJSON_IsTrue(aps) ? HF_PREPEND_NEVER : HF_PREPEND_ALWAYS;
        else if (strcmp(scheme, "always") == 0)
            p->prepend = HF_PREPEND_ALWAYS;
        else if (strcmp(scheme, "first") == 0)
            p->prepend = HF_PREPEND_FIRST;
        else if (strcmp(scheme, "never") == 0)
            p->prepend = HF_PREPEND_NEVER;
        else
            st = lw_error_set(err, LW_E_DATA, "%s: Metaspace prepend_scheme '%s' is not "
                              "supported", path, scheme);
        if (!st)
            st = one_char(cJSON_GetObjectItem(j, "replacement"), p->rep,
                          "the Metaspace replacement", path, err);
    } else if (strcmp(type, "Digits") == 0) {
        p->type = HF_P_DIGITS;
        p->flag = cJSON_IsTrue(cJSON_GetObjectItem(j, "individual_digits"));
    } else if (strcmp(type, "ByteLevel") == 0) {
        p->type = HF_P_BYTELEVEL;
        p->prefix_space = cJSON_IsTrue(cJSON_GetObjectItem(j, "add_prefix_space"));
        const cJSON *re = cJSON_GetObjectItem(j, "use_regex");
        p->flag = !re || cJSON_IsTrue(re);
        if (p->flag) {
            st = lw_split_compile(&p->pat.re, gpt2_pattern, err);
            p->pat.has_re = !st;
        }
        h->byte_level = true;
    } else if (strcmp(type, "Punctuation") == 0) {
        p->type = HF_P_PUNCTUATION;
        st = behavior(cJSON_GetObjectItem(j, "behavior"), &p->behavior, path, err);
    } else if (strcmp(type, "Whitespace") == 0) {
        p->type = HF_P_WHITESPACE;
    } else if (strcmp(type, "WhitespaceSplit") == 0) {
        p->type = HF_P_WHITESPACE_SPLIT;
    } else if (strcmp(type, "CharDelimiterSplit") == 0) {
        p->type = HF_P_CHAR_DELIMITER;
        st = one_char(cJSON_GetObjectItem(j, "delimiter"), p->rep, "the delimiter", path, err);
    } else {
        return lw_error_set(err, LW_E_DATA, "%s: pre-tokenizer '%s' is not supported", path,
                            type);
    }
    if (st) {
        hf_pattern_free(&p->pat);
        return st;
    }
    h->n_pre++;
    return LW_OK;
}

lw_status hf_pre_parse(lw_hf *h, const cJSON *j, const char *path, lw_error *err)
{
    size_t cap = 0;
    if (!j || cJSON_IsNull(j))
        return LW_OK;
    return add(h, j, path, err, &cap);
}

static bool is_numeric(int32_t c)
{
    utf8proc_category_t k = utf8proc_category(c);
    return k == UTF8PROC_CATEGORY_ND || k == UTF8PROC_CATEGORY_NL || k == UTF8PROC_CATEGORY_NO;
}

static bool is_punctuation(int32_t c)
{
    if (c < 0x80)
        return (c >= 0x21 && c <= 0x2F) || (c >= 0x3A && c <= 0x40) || (c >= 0x5B && c <= 0x60) ||
               (c >= 0x7B && c <= 0x7E);
    utf8proc_category_t k = utf8proc_category(c);
    return k >= UTF8PROC_CATEGORY_PC && k <= UTF8PROC_CATEGORY_PO;
}

/* Every character for which pred holds is a match of its own. */
static int char_spans(const hf_pre *p, const char *s, size_t len, hf_spans *out)
{
    out->n = 0;
    size_t prev = 0;
    for (size_t i = 0; i < len;) {
        int32_t c;
        size_t j = hf_utf8_next(s, len, i, &c);
        bool m;
        switch (p->type) {
        case HF_P_DIGITS: m = is_numeric(c); break;
        case HF_P_PUNCTUATION: m = is_punctuation(c); break;
        case HF_P_WHITESPACE_SPLIT: m = hf_is_whitespace(c); break;
        default: m = j - i == strlen(p->rep) && memcmp(s + i, p->rep, j - i) == 0; break;
        }
        if (m) {
            if ((i > prev && hf_spans_add(out, prev, i, false)) || hf_spans_add(out, i, j, true))
                return -1;
            prev = j;
        }
        i = j;
    }
    return prev < len && hf_spans_add(out, prev, len, false) ? -1 : 0;
}

/* Whitespace: \w+|[^\w\s]+ are the pieces, whitespace goes. The spans are
 * those of the inverted pattern: whitespace runs are the matches. */
static int whitespace_spans(const char *s, size_t len, hf_spans *out)
{
    out->n = 0;
    int run = -1; /* 0 word, 1 other, 2 space */
    size_t start = 0;
    for (size_t i = 0; i <= len;) {
        int32_t c = 0;
        size_t j = i < len ? hf_utf8_next(s, len, i, &c) : len + 1;
        int k = i == len ? -2 : hf_is_word(c) ? 0 : hf_is_whitespace(c) ? 2 : 1;
        if (k != run) {
            if (run >= 0 && hf_spans_add(out, start, i, run == 2))
                return -1;
            run = k;
            start = i;
        }
        i = j;
    }
    return 0;
}

/* HF's SplitDelimiterBehavior applied to spans, into kept (a, e) pairs. */
static int apply_behavior(const hf_spans *in, hf_behavior b, hf_spans *out)
{
    out->n = 0;
    bool prev = false;
    if (b == HF_MERGED_NEXT) {
        for (size_t k = in->n; k-- > 0;) {
            const hf_span *s = &in->v[k];
            if (s->match && !prev && out->n)
                out->v[out->n - 1].a = s->a;
            else if (hf_spans_add(out, s->a, s->e, false))
                return -1;
            prev = s->match;
        }
        for (size_t i = 0, j = out->n; i + 1 < j; i++, j--) {
            hf_span t = out->v[i];
            out->v[i] = out->v[j - 1];
            out->v[j - 1] = t;
        }
        return 0;
    }
    for (size_t k = 0; k < in->n; k++) {
        const hf_span *s = &in->v[k];
        switch (b) {
        case HF_REMOVED:
            if (!s->match && hf_spans_add(out, s->a, s->e, false))
                return -1;
            break;
        case HF_ISOLATED:
            if (hf_spans_add(out, s->a, s->e, false))
                return -1;
            break;
        case HF_MERGED_PREV:
            if (s->match && !prev && out->n)
                out->v[out->n - 1].e = s->e;
            else if (hf_spans_add(out, s->a, s->e, false))
                return -1;
            break;
        default: /* Contiguous */
            if (s->match == prev && out->n)
                out->v[out->n - 1].e = s->e;
            else if (hf_spans_add(out, s->a, s->e, false))
                return -1;
            break;
        }
        prev = s->match;
    }
    return 0;
}

static int emit(hf_pieces *out, const char *s, const hf_spans *kept, size_t olen)
{
    for (size_t k = 0; k < kept->n; k++)
        if (kept->v[k].e > kept->v[k].a &&
            hf_pieces_add(out, s + kept->v[k].a, kept->v[k].e - kept->v[k].a,
                          olen > kept->v[k].a ? olen - kept->v[k].a : 0))
            return -1;
    return 0;
}

/* One stage on one piece s (which may lie in scratch, not in out). */
static lw_status stage(const hf_pre *p, lw_split_scratch *ss, const char *s, size_t len,
                       size_t olen, hf_pieces *out, lw_buf *tmp, hf_spans *sp, hf_spans *kept,
                       lw_error *err)
{
    lw_status st = LW_OK;
    int rc = 0;
    switch (p->type) {
    case HF_P_SPLIT:
        if ((st = hf_pattern_spans(&p->pat, ss, s, len, sp, err)))
            return st;
        for (size_t k = 0; p->invert && k < sp->n; k++)
            sp->v[k].match = !sp->v[k].match;
        rc = apply_behavior(sp, p->behavior, kept) || emit(out, s, kept, olen);
        break;
    case HF_P_METASPACE: {
        size_t rn = strlen(p->rep);
        tmp->len = 0;
        size_t o = olen;
        for (size_t i = 0; i < len && !rc; i++) {
            rc = s[i] == ' ' ? lw_buf_append(tmp, p->rep, rn) : lw_buf_putc(tmp, s[i]);
            if (i < olen && s[i] == ' ')
                o += rn - 1;
        }
        olen = o;
        bool starts = tmp->len >= rn && memcmp(tmp->data, p->rep, rn) == 0;
        if (!rc && !starts &&
            (p->prepend == HF_PREPEND_ALWAYS || (p->prepend == HF_PREPEND_FIRST && olen))) {
            rc = lw_buf_reserve(tmp, rn);
            if (!rc) {
                memmove(tmp->data + rn, tmp->data, tmp->len);
                memcpy(tmp->data, p->rep, rn);
                tmp->len += rn;
                olen += rn;
            }
        }
        if (rc)
            break;
        if (!p->flag) {
            rc = tmp->len && hf_pieces_add(out, tmp->data, tmp->len, olen);
            break;
        }
        hf_pre delim = {.type = HF_P_CHAR_DELIMITER};
        memcpy(delim.rep, p->rep, sizeof delim.rep);
        rc = char_spans(&delim, tmp->data, tmp->len, sp) ||
             apply_behavior(sp, HF_MERGED_NEXT, kept) || emit(out, tmp->data, kept, olen);
        break;
    }
    case HF_P_BYTELEVEL:
        tmp->len = 0;
        if (p->prefix_space && (len == 0 || s[0] != ' ')) {
            rc = lw_buf_putc(tmp, ' ');
            olen += olen ? 1 : 0;
        }
        rc = rc || lw_buf_append(tmp, s, len);
        if (rc)
            break;
        if (!p->flag) {
            rc = tmp->len && hf_pieces_add(out, tmp->data, tmp->len, olen);
            break;
        }
        if ((st = hf_pattern_spans(&p->pat, ss, tmp->data, tmp->len, sp, err)))
            return st;
        rc = apply_behavior(sp, HF_ISOLATED, kept) || emit(out, tmp->data, kept, olen);
        break;
    case HF_P_WHITESPACE:
        rc = whitespace_spans(s, len, sp) || apply_behavior(sp, HF_REMOVED, kept) ||
             emit(out, s, kept, olen);
        break;
    default:
        rc = char_spans(p, s, len, sp) ||
             apply_behavior(sp,
                            p->type == HF_P_DIGITS ? (p->flag ? HF_ISOLATED : HF_CONTIGUOUS)
                            : p->type == HF_P_PUNCTUATION ? p->behavior
                                                          : HF_REMOVED,
                            kept) ||
             emit(out, s, kept, olen);
        break;
    }
    return rc ? lw_error_set(err, LW_E_NOMEM, "out of memory") : LW_OK;
}

lw_status hf_pretokenize(const lw_hf *h, lw_split_scratch *ss, hf_pieces *in, hf_pieces *tmp,
                         lw_error *err)
{
    hf_spans sp = {0}, kept = {0};
    lw_buf room = {0};
    lw_status st = LW_OK;
    for (size_t k = 0; !st && k < h->n_pre; k++) {
        tmp->n = 0;
        tmp->text.len = 0;
        for (size_t i = 0; !st && i < in->n; i++)
            st = stage(&h->pre[k], ss, in->text.data + in->p[i].off, in->p[i].len,
                       in->p[i].olen, tmp, &room, &sp, &kept, err);
        hf_pieces t = *in;
        *in = *tmp;
        *tmp = t;
    }
    free(sp.v);
    free(kept.v);
    lw_buf_free(&room);
    return st;
}
