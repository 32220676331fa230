/* tokenizer.json patterns ({"String": ..} or {"Regex": ..}) and the span
 * lists they produce, as HF's Pattern::find_matches does; the pieces list the
 * pre-tokenizers pass along; Rust's char classes HF relies on. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "hf_internal.h"
#include "longweave/vec.h"
#include "unicode_tables.h"

int hf_pieces_add(hf_pieces *ps, const char *s, size_t len, size_t olen)
{
    if (!LW_VEC_GROW(&ps->p, &ps->cap, ps->n + 1))
        return -1;
    size_t off = ps->text.len;
    if (lw_buf_append(&ps->text, s, len))
        return -1;
    ps->p[ps->n++] = (hf_piece){off, len, olen < len ? olen : len};
    return 0;
}

void hf_pieces_free(hf_pieces *ps)
{
    lw_buf_free(&ps->text);
    free(ps->p);
    memset(ps, 0, sizeof *ps);
}

int hf_spans_add(hf_spans *s, size_t a, size_t e, bool match)
{
    if (!LW_VEC_GROW(&s->v, &s->cap, s->n + 1))
        return -1;
    s->v[s->n++] = (hf_span){a, e, match};
    return 0;
}

lw_status hf_pattern_parse(hf_pattern *p, const cJSON *j, const char *what, const char *path,
                           lw_error *err)
{
    memset(p, 0, sizeof *p);
    const char *s = cJSON_GetStringValue(cJSON_GetObjectItem(j, "String"));
    const char *re = cJSON_GetStringValue(cJSON_GetObjectItem(j, "Regex"));
    if (s) {
        p->str = strdup(s);
        p->len = strlen(s);
        return p->str ? LW_OK : lw_error_set(err, LW_E_NOMEM, "out of memory");
    }
    if (!re)
        return lw_error_set(err, LW_E_DATA, "%s: %s pattern is neither String nor Regex", path,
                            what);
    lw_status st = lw_split_compile(&p->re, re, err);
    if (st)
        return lw_error_set(err, st, "%s: %s regex: %s", path, what, err->msg);
    p->has_re = true;
    return LW_OK;
}

void hf_pattern_free(hf_pattern *p)
{
    free(p->str);
    if (p->has_re)
        lw_split_free(&p->re);
    memset(p, 0, sizeof *p);
}

lw_status hf_pattern_spans(const hf_pattern *p, lw_split_scratch *ss, const char *text,
                           size_t len, hf_spans *out, lw_error *err)
{
    out->n = 0;
    size_t prev = 0;
    if (p->str) {
        /* An empty String pattern matches nothing (HF). */
        for (size_t at = 0; p->len && at + p->len <= len;) {
            const char *m = memmem(text + at, len - at, p->str, p->len);
            if (!m)
                break;
            size_t a = (size_t)(m - text);
            if ((a > prev && hf_spans_add(out, prev, a, false)) ||
                hf_spans_add(out, a, a + p->len, true))
                return lw_error_set(err, LW_E_NOMEM, "out of memory");
            prev = at = a + p->len;
        }
    } else {
        for (size_t at = 0; at <= len;) {
            size_t a, e;
            int rc = lw_split_match(&p->re, ss, text, len, at, &a, &e);
            if (rc == 0)
                break;
            if (rc < 0)
                return lw_error_set(err, LW_E_DATA, "regex match failed (PCRE2 error %d)", rc);
            if ((a > prev && hf_spans_add(out, prev, a, false)) || hf_spans_add(out, a, e, true))
                return lw_error_set(err, LW_E_NOMEM, "out of memory");
            prev = e;
            if (e > a) {
                at = e;
            } else { /* an empty match: go on after the next character */
                if (e >= len)
                    break;
                int32_t cp;
                at = hf_utf8_next(text, len, e, &cp);
            }
        }
    }
    if (prev < len && hf_spans_add(out, prev, len, false))
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    return LW_OK;
}

size_t hf_utf8_next(const char *s, size_t len, size_t i, int32_t *cp)
{
    const unsigned char *u = (const unsigned char *)s;
    unsigned c = u[i];
    size_t k = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    if (i + k > len)
        k = len - i;
    int32_t v = k == 1 ? (int32_t)c : k == 2 ? (int32_t)(c & 0x1F) : k == 3 ? (int32_t)(c & 0x0F)
                                                                           : (int32_t)(c & 0x07);
    for (size_t j = 1; j < k; j++)
        v = v << 6 | (u[i + j] & 0x3F);
    *cp = v;
    return i + k;
}

/* Rust's char::is_whitespace: the White_Space property. */
bool hf_is_whitespace(int32_t c)
{
    return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
           (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F ||
           c == 0x205F || c == 0x3000;
}

/* GPT-2's bytes_to_unicode: printable bytes stand for themselves, the other
 * 68 bytes are shifted to U+0100.. in byte order. */
static int byte_to_cp(int b, const int *shifted)
{
    bool printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174);
    return printable ? b : 256 + shifted[b];
}

static void shifted_table(int shifted[256])
{
    int n = 0;
    for (int b = 0; b < 256; b++) {
        bool printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174);
        shifted[b] = printable ? -1 : n++;
    }
}

void hf_byte_level_table(int table[324])
{
    int shifted[256];
    shifted_table(shifted);
    for (int i = 0; i < 324; i++)
        table[i] = -1;
    for (int b = 0; b < 256; b++)
        table[byte_to_cp(b, shifted)] = b;
}

bool hf_from_byte_level(const int table[324], const char *s, size_t n, lw_buf *out)
{
    size_t start = out->len;
    for (size_t i = 0; i < n;) {
        int32_t cp;
        i = hf_utf8_next(s, n, i, &cp);
        if (cp < 0 || cp >= 324 || table[cp] < 0 || lw_buf_putc(out, (char)table[cp])) {
            out->len = start;
            return false;
        }
    }
    return true;
}

int hf_to_byte_level(const char *s, size_t n, lw_buf *out)
{
    int shifted[256];
    shifted_table(shifted);
    for (size_t i = 0; i < n; i++) {
        int cp = byte_to_cp((unsigned char)s[i], shifted);
        char enc[2] = {(char)(0xC0 | cp >> 6), (char)(0x80 | (cp & 0x3F))};
        if (cp < 0x80 ? lw_buf_putc(out, (char)cp) : lw_buf_append(out, enc, 2))
            return -1;
    }
    return 0;
}

/* The letters, marks and Nd/Nl numbers of Unicode 16 (Rust regex's tables)
 * added since 14, read once from unicode_tables.h: utf8proc's older tables
 * have them unassigned. */
static struct {
    uint32_t a, b;
} word16[512];
static size_t n_word16;
static pthread_once_t word16_once = PTHREAD_ONCE_INIT;

static void word16_read(void)
{
    static const char *const names[] = {"L", "M", "Nd", "Nl"};
    for (size_t i = 0; i < sizeof lw_unicode_classes / sizeof *lw_unicode_classes; i++)
        for (size_t k = 0; k < 4; k++) {
            const char *s = lw_unicode_classes[i].added;
            if (strcmp(lw_unicode_classes[i].name, names[k]) != 0 || !s)
                continue;
            while ((s = strstr(s, "\\x{")) && n_word16 < sizeof word16 / sizeof *word16) {
                char *e;
                uint32_t a = (uint32_t)strtoul(s + 3, &e, 16), b = a;
                if (strncmp(e, "}-\\x{", 5) == 0)
                    b = (uint32_t)strtoul(e + 5, &e, 16);
                word16[n_word16].a = a;
                word16[n_word16++].b = b;
                s = e;
            }
        }
}

/* Rust regex's \w: Alphabetic, marks, Nd, Pc, Join_Control. Alphabetic is
 * the letters, Nl and Other_Alphabetic, which outside the marks is only the
 * circled and squared Latin letters. */
bool hf_is_word(int32_t c)
{
    if ((c >= 0x24B6 && c <= 0x24E9) || (c >= 0x1F130 && c <= 0x1F149) ||
        (c >= 0x1F150 && c <= 0x1F169) || (c >= 0x1F170 && c <= 0x1F189) || c == 0x200C ||
        c == 0x200D)
        return true;
    utf8proc_category_t k = utf8proc_category(c);
    if (k == UTF8PROC_CATEGORY_CN) {
        pthread_once(&word16_once, word16_read);
        for (size_t i = 0; i < n_word16; i++)
            if ((uint32_t)c >= word16[i].a && (uint32_t)c <= word16[i].b)
                return true;
        return false;
    }
    return (k >= UTF8PROC_CATEGORY_LU && k <= UTF8PROC_CATEGORY_LO) ||
           (k >= UTF8PROC_CATEGORY_MN && k <= UTF8PROC_CATEGORY_ME) ||
           k == UTF8PROC_CATEGORY_ND || k == UTF8PROC_CATEGORY_NL || k == UTF8PROC_CATEGORY_PC;
}

