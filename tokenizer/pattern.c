/* Rewriting tiktoken / HF split patterns into PCRE2 with Unicode 16 classes. */
#include "pattern.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "unicode_tables.h"

static const struct {
    const char *name;
    const char *pattern;
} builtin[] = {
    {"cl100k",
     "'(?i:[sdmt]|ll|ve|re)|[^\\r\\n\\p{L}\\p{N}]?+\\p{L}++|\\p{N}{1,3}+| ?[^\\s\\p{L}\\p{N}]++"
     "[\\r\\n]*+|\\s++$|\\s*[\\r\\n]|\\s+(?!\\S)|\\s"},
    {"llama3",
     "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+"
     "[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"},
    {"o200k",
     "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+"
     "(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+"
     "[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+"
     "[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"},
    {"r50k", "'(?:[sdmt]|ll|ve|re)| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+"},
};

const char *lw_pattern_builtin(const char *name)
{
    for (size_t i = 0; i < sizeof builtin / sizeof *builtin; i++)
        if (strcmp(builtin[i].name, name) == 0)
            return builtin[i].pattern;
    return NULL;
}

static const lw_unicode_class *find_class(const char *name, size_t len)
{
    for (size_t i = 0; i < sizeof lw_unicode_classes / sizeof *lw_unicode_classes; i++)
        if (strlen(lw_unicode_classes[i].name) == len &&
            memcmp(lw_unicode_classes[i].name, name, len) == 0)
            return &lw_unicode_classes[i];
    return NULL;
}

/* Append the items of class c (without brackets) for use inside [...].
 * The classes are always spelled out in full: exact whatever Unicode version
 * PCRE2 was built with, and faster under JIT than \p{..} lookups (measured:
 * 20% on cl100k, 35% on o200k; bench/tokenize_bench.sh). */
static int put_items(lw_buf *out, const lw_unicode_class *c)
{
    return lw_buf_puts(out, c->items);
}

lw_status lw_pattern_translate(const char *p, lw_buf *out, lw_error *err)
{
    bool in_class = false;
    size_t class_start = 0; /* index in p just after '[' or '[^' */
    out->len = 0;
    int rc = 0;
    for (size_t i = 0; p[i] && !rc; i++) {
        char ch = p[i];
        if (ch == '[' && !in_class) {
            in_class = true;
            rc = lw_buf_putc(out, '[');
            if (p[i + 1] == '^') {
                rc = rc || lw_buf_putc(out, '^');
                i++;
            }
            class_start = i + 1;
            continue;
        }
        if (ch == ']' && in_class && i != class_start) {
            in_class = false;
            rc = lw_buf_putc(out, ']');
            continue;
        }
        if (ch != '\\' || !p[i + 1]) {
            rc = lw_buf_putc(out, ch);
            continue;
        }
        char e = p[i + 1];
        if (e == 's' || e == 'S' || e == 'd') {
            i++;
            if (e == 'S' && in_class)
                return lw_error_set(err, LW_E_DATA, "split pattern: \\S inside [...] is not supported");
            if (e == 'd') { /* Rust's \d is \p{Nd} */
                const lw_unicode_class *nd = find_class("Nd", 2);
                rc = (!in_class && lw_buf_putc(out, '[')) || put_items(out, nd) ||
                     (!in_class && lw_buf_putc(out, ']'));
                continue;
            }
            if (!in_class)
                rc = lw_buf_puts(out, e == 's' ? "[" : "[^");
            rc = rc || lw_buf_puts(out, lw_unicode_white_space) || (!in_class && lw_buf_putc(out, ']'));
            continue;
        }
        if ((e == 'p' || e == 'P') && p[i + 2] == '{') {
            const char *name = p + i + 3;
            const char *close = strchr(name, '}');
            const lw_unicode_class *c = close ? find_class(name, (size_t)(close - name)) : NULL;
            if (!c) { /* a script or property we have no table for: PCRE2's own */
                rc = lw_buf_putc(out, '\\') || lw_buf_putc(out, e);
                i++;
                continue;
            }
            i = (size_t)(close - p);
            if (in_class && e == 'P')
                return lw_error_set(err, LW_E_DATA,
                                    "split pattern: \\P{..} inside [...] is not supported");
            if (!in_class)
                rc = lw_buf_puts(out, e == 'p' ? "[" : "[^");
            rc = rc || put_items(out, c) || (!in_class && lw_buf_putc(out, ']'));
            continue;
        }
        rc = lw_buf_putc(out, '\\') || lw_buf_putc(out, e);
        i++;
    }
    if (rc || lw_buf_putc(out, '\0'))
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    out->len--;
    return LW_OK;
}

lw_status lw_pattern_compile(const char *pattern, pcre2_code **out, lw_error *err)
{
    lw_buf t = {0};
    lw_status st = lw_pattern_translate(pattern, &t, err);
    if (st) {
        lw_buf_free(&t);
        return st;
    }
    int code;
    PCRE2_SIZE at;
    *out = pcre2_compile((PCRE2_SPTR)t.data, t.len, PCRE2_UTF | PCRE2_UCP | PCRE2_DOLLAR_ENDONLY,
                         &code, &at, NULL);
    lw_buf_free(&t);
    if (!*out) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(code, msg, sizeof msg);
        return lw_error_set(err, LW_E_DATA, "split pattern does not compile: %s", (char *)msg);
    }
    pcre2_jit_compile(*out, PCRE2_JIT_COMPLETE);
    return LW_OK;
}
