/* Rewriting tiktoken / HF split patterns into PCRE2 with Unicode 16 classes,
 * and matching them without a limit on the length of a piece. */
#include "pattern.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unicode_tables.h"
#include "longweave/regex_jit.h"

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

typedef enum { TABLES_PATCHED, TABLES_NATIVE, TABLES_FULL } table_mode;

int lw_pattern_full_tables = 0;

/* How to spell a Unicode 16 class on this PCRE2: its own \p{} tables are
 * exact at 16.x and need the code points added since at 14.x (Debian 12's
 * 10.42); at any other version the class is spelled out in full. */
static table_mode table_mode_now(void)
{
    char v[32] = "";
    pcre2_config(PCRE2_CONFIG_UNICODE_VERSION, v);
    if (lw_pattern_full_tables)
        return TABLES_FULL;
    if (strncmp(v, "16.", 3) == 0)
        return TABLES_NATIVE;
    return strncmp(v, "14.", 3) == 0 ? TABLES_PATCHED : TABLES_FULL;
}

/* A character class being rewritten: its PCRE2 items, and which Latin-1
 * code points it holds (before any negation). */
typedef struct {
    lw_buf body;
    uint8_t latin1[32];
    bool latin1_known; /* false once an item with unknown Latin-1 members is in */
    bool has_prop;     /* some item is a PCRE2 property (\p{..}) */
    bool negated;
} class_builder;

static void latin1_add(class_builder *c, uint32_t a, uint32_t b)
{
    for (uint32_t x = a; x <= b && x < 256; x++)
        c->latin1[x >> 3] |= (uint8_t)(1u << (x & 7));
}

/* Parse "\x{HEX}" items and "-" ranges, as the generated tables write them. */
static void latin1_add_items(class_builder *c, const char *items)
{
    const char *p = items;
    while ((p = strstr(p, "\\x{")) != NULL) {
        char *end;
        unsigned long a = strtoul(p + 3, &end, 16), b = a;
        p = end + 1;
        if (p[0] == '-' && strncmp(p + 1, "\\x{", 3) == 0) {
            b = strtoul(p + 4, &end, 16);
            p = end + 1;
        }
        latin1_add(c, (uint32_t)a, (uint32_t)b);
    }
}

static int add_table_class(class_builder *c, const lw_unicode_class *u, table_mode mode)
{
    latin1_add_items(c, u->latin1);
    if (mode == TABLES_FULL || (mode == TABLES_PATCHED && !u->added))
        return lw_buf_puts(&c->body, u->items);
    c->has_prop = true;
    if (lw_buf_puts(&c->body, u->latin1) || lw_buf_printf(&c->body, "\\p{%s}", u->name))
        return -1;
    return mode == TABLES_PATCHED ? lw_buf_puts(&c->body, u->added) : 0;
}

static int add_white_space(class_builder *c)
{
    latin1_add_items(c, lw_unicode_white_space);
    return lw_buf_puts(&c->body, lw_unicode_white_space);
}

static int put_latin1_class(lw_buf *out, const uint8_t set[32])
{
    if (lw_buf_putc(out, '['))
        return -1;
    for (uint32_t a = 0; a < 256; a++) {
        if (!(set[a >> 3] & (1u << (a & 7))))
            continue;
        uint32_t b = a;
        while (b + 1 < 256 && (set[(b + 1) >> 3] & (1u << ((b + 1) & 7))))
            b++;
        if (lw_buf_printf(out, a == b ? "\\x{%X}" : "\\x{%X}-\\x{%X}", a, b))
            return -1;
        a = b;
    }
    return lw_buf_putc(out, ']');
}

/* Write the class. One with PCRE2 properties becomes
 *   (?:[its Latin-1 members]|(?=[^\x00-\xFF])[the class])
 * which means the same (both branches match one character) but lets PCRE2
 * JIT settle every Latin-1 character with a bitmap test: in a class that
 * holds a property, a Latin-1 character outside the bitmap is otherwise
 * looked up in the property tables too, which made ASCII text 40% slower. */
static int emit_class(lw_buf *out, class_builder *c, bool plain)
{
    if (!c->has_prop || !c->latin1_known || plain)
        return lw_buf_puts(out, c->negated ? "[^" : "[") ||
               lw_buf_append(out, c->body.data, c->body.len) || lw_buf_putc(out, ']');
    uint8_t l1[32];
    bool any = false;
    for (int k = 0; k < 32; k++) {
        l1[k] = c->negated ? (uint8_t)~c->latin1[k] : c->latin1[k];
        any |= l1[k] != 0;
    }
    if (lw_buf_puts(out, "(?:") || (any && (put_latin1_class(out, l1) || lw_buf_putc(out, '|'))) ||
        lw_buf_puts(out, c->negated ? "(?=[^\\x00-\\xFF])[^" : "(?=[^\\x00-\\xFF])[") ||
        lw_buf_append(out, c->body.data, c->body.len) || lw_buf_puts(out, "])"))
        return -1;
    return 0;
}

static void class_reset(class_builder *c, bool negated)
{
    c->body.len = 0;
    memset(c->latin1, 0, sizeof c->latin1);
    c->latin1_known = true;
    c->has_prop = false;
    c->negated = negated;
}

/* One code point of a class item at *p (a literal, possibly UTF-8, or a
 * simple escape); -1 when it is something else. Advances *p. */
static long class_char(const char **p)
{
    const unsigned char *s = (const unsigned char *)*p;
    if (s[0] == '\\') {
        static const char simple[] = "rntfae";
        static const long codes[] = {'\r', '\n', '\t', '\f', 7, 27};
        const char *k = s[1] ? strchr(simple, s[1]) : NULL;
        if (k) {
            *p += 2;
            return codes[k - simple];
        }
        if (s[1] == 'x' && s[2] == '{') {
            char *end;
            long v = strtol((const char *)s + 3, &end, 16);
            if (*end != '}')
                return -1;
            *p = end + 1;
            return v;
        }
        if (s[1] && !isalnum(s[1]) && s[1] < 0x80) {
            *p += 2;
            return s[1];
        }
        return -1;
    }
    if (s[0] < 0x80) {
        *p += 1;
        return s[0];
    }
    int n = s[0] >= 0xF0 ? 4 : s[0] >= 0xE0 ? 3 : 2;
    long v = s[0] & (0x3F >> (n - 1));
    for (int k = 1; k < n; k++) {
        if ((s[k] & 0xC0) != 0x80)
            return -1;
        v = v << 6 | (s[k] & 0x3F);
    }
    *p += n;
    return v;
}

/* Parse one [...] class starting after '[' (and '^'); on success *end points
 * after ']'. Returns 1 if parsed, 0 if the class uses syntax this rewriter
 * does not know (then it is copied unchanged), -1 out of memory. */
static int parse_class(const char *p, const char **end, class_builder *c, table_mode mode,
                       lw_error *err, lw_status *st)
{
    const char *start = p;
    while (*p && (*p != ']' || p == start)) {
        const char *item = p;
        if (p[0] == '\\' && (p[1] == 's' || p[1] == 'd')) {
            int rc = p[1] == 's' ? add_white_space(c)
                                 : add_table_class(c, find_class("Nd", 2), mode);
            if (rc)
                return -1;
            p += 2;
            continue;
        }
        if (p[0] == '\\' && (p[1] == 'p' || p[1] == 'P') && p[2] == '{') {
            const char *close = strchr(p + 3, '}');
            const lw_unicode_class *u = close ? find_class(p + 3, (size_t)(close - p - 3)) : NULL;
            if (p[1] == 'P' && u) {
                *st = lw_error_set(err, LW_E_DATA,
                                   "split pattern: \\P{..} inside [...] is not supported");
                return 0;
            }
            if (!u) { /* a script or property without a table: PCRE2's own */
                if (!close || lw_buf_append(&c->body, p, (size_t)(close - p) + 1))
                    return close ? -1 : 0;
                c->has_prop = true;
                c->latin1_known = false;
                p = close + 1;
                continue;
            }
            if (add_table_class(c, u, mode))
                return -1;
            p = close + 1;
            continue;
        }
        if (p[0] == '\\' && p[1] == 'S') {
            *st = lw_error_set(err, LW_E_DATA, "split pattern: \\S inside [...] is not supported");
            return 0;
        }
        if (p[0] == '[' && p[1] == ':')
            return 0; /* POSIX classes: copied as they are */
        long a = class_char(&p);
        if (a < 0)
            return 0;
        long b = a;
        if (p[0] == '-' && p[1] && p[1] != ']') {
            const char *q = p + 1;
            b = class_char(&q);
            if (b < a)
                return 0;
            p = q;
        }
        latin1_add(c, (uint32_t)a, (uint32_t)b);
        if (lw_buf_append(&c->body, item, (size_t)(p - item)))
            return -1;
    }
    if (*p != ']')
        return 0;
    *end = p + 1;
    return 1;
}

/* plain: every class as one [...] (see lw_split in pattern.h). */
static lw_status translate(const char *p, lw_buf *out, bool plain, lw_error *err)
{
    table_mode mode = table_mode_now();
    class_builder c = {0};
    lw_status st = LW_OK;
    out->len = 0;
    int rc = 0;
    for (size_t i = 0; p[i] && !rc && !st; i++) {
        if (p[i] == '[') {
            bool neg = p[i + 1] == '^';
            const char *body = p + i + 1 + neg, *end;
            class_reset(&c, neg);
            int parsed = parse_class(body, &end, &c, mode, err, &st);
            if (parsed < 0) {
                rc = -1;
            } else if (parsed) {
                rc = emit_class(out, &c, plain);
                i = (size_t)(end - p) - 1;
            } else if (!st) { /* unknown syntax: copy the class as it is */
                const char *close = body;
                while (*close && (*close != ']' || close == body))
                    close += *close == '\\' && close[1] ? 2 : 1;
                size_t n = (size_t)(close - (p + i)) + (*close == ']');
                rc = lw_buf_append(out, p + i, n);
                i += n - 1;
            }
            continue;
        }
        if (p[i] != '\\' || !p[i + 1]) {
            rc = lw_buf_putc(out, p[i]);
            continue;
        }
        char e = p[i + 1];
        const lw_unicode_class *u = NULL;
        const char *close = NULL;
        if ((e == 'p' || e == 'P') && p[i + 2] == '{' && (close = strchr(p + i + 3, '}')))
            u = find_class(p + i + 3, (size_t)(close - (p + i + 3)));
        if (e == 's' || e == 'S' || e == 'd' || u) {
            /* Outside a class: a one-item class. */
            class_reset(&c, e == 'S' || e == 'P');
            rc = e == 's' || e == 'S' ? add_white_space(&c)
                 : e == 'd'          ? add_table_class(&c, find_class("Nd", 2), mode)
                                     : add_table_class(&c, u, mode);
            rc = rc || emit_class(out, &c, plain);
            i = u ? (size_t)(close - p) : i + 1;
            continue;
        }
        rc = lw_buf_putc(out, '\\') || lw_buf_putc(out, e);
        i++;
    }
    lw_buf_free(&c.body);
    if (st)
        return st;
    if (rc || lw_buf_putc(out, '\0'))
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    out->len--;
    return LW_OK;
}

lw_status lw_pattern_translate(const char *p, lw_buf *out, lw_error *err)
{
    return translate(p, out, false, err);
}

static lw_status compile(const char *pattern, bool plain, pcre2_code **out, lw_error *err)
{
    lw_buf t = {0};
    lw_status st = translate(pattern, &t, plain, err);
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
    if (lw_regex_jit_enabled())
        pcre2_jit_compile(*out, PCRE2_JIT_COMPLETE);
    return LW_OK;
}

lw_status lw_pattern_compile(const char *pattern, pcre2_code **out, lw_error *err)
{
    return compile(pattern, false, out, err);
}

lw_status lw_split_compile(lw_split *re, const char *pattern, lw_error *err)
{
    re->fast = re->plain = NULL;
    re->builtin = lw_pretok_recognise(pattern);
    lw_status st = compile(pattern, false, &re->fast, err);
    if (!st)
        st = compile(pattern, true, &re->plain, err);
    if (st)
        lw_split_free(re);
    return st;
}

void lw_split_free(lw_split *re)
{
    pcre2_code_free(re->fast);
    pcre2_code_free(re->plain);
    re->fast = re->plain = NULL;
}

/* The fast form's limits: enough for any piece of ordinary text (a JIT stack
 * frame or an interpreter heap frame per character of a long run). */
enum { FAST_JIT_STACK = 8 << 20, FAST_HEAP_KIB = 8 << 10 };
/* The plain form's JIT stack: reserved (not committed) only once a piece
 * needed it; the built-in patterns use a few KiB at any length. */
#define PLAIN_JIT_STACK ((size_t)1 << 30)

struct lw_split_scratch {
    pcre2_match_data *md;
    pcre2_match_context *fast, *plain;
    pcre2_jit_stack *fast_jit, *plain_jit;
};

lw_split_scratch *lw_split_scratch_new(void)
{
    lw_split_scratch *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->md = pcre2_match_data_create(1, NULL);
    s->fast = pcre2_match_context_create(NULL);
    s->plain = pcre2_match_context_create(NULL);
    s->fast_jit = pcre2_jit_stack_create(32 << 10, FAST_JIT_STACK, NULL);
    if (!s->md || !s->fast || !s->plain || !s->fast_jit) {
        lw_split_scratch_free(s);
        return NULL;
    }
    pcre2_jit_stack_assign(s->fast, NULL, s->fast_jit);
    pcre2_set_heap_limit(s->fast, FAST_HEAP_KIB);
    return s;
}

void lw_split_scratch_free(lw_split_scratch *s)
{
    if (!s)
        return;
    pcre2_match_data_free(s->md);
    pcre2_match_context_free(s->fast);
    pcre2_match_context_free(s->plain);
    pcre2_jit_stack_free(s->fast_jit);
    pcre2_jit_stack_free(s->plain_jit);
    free(s);
}

static bool out_of_room(int rc)
{
    return rc == PCRE2_ERROR_JIT_STACKLIMIT || rc == PCRE2_ERROR_HEAPLIMIT ||
           rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
           rc == PCRE2_ERROR_NOMEMORY;
}

/* The fast form first; when a long piece has used up its room, the same
 * match again with the plain form (same pieces), first with JIT and a
 * large JIT stack, then in the interpreter with PCRE2's default limits. */
int lw_split_match(const lw_split *re, lw_split_scratch *s, const char *text, size_t len,
                   size_t at, size_t *start, size_t *end)
{
    if (re->builtin) {
        if (at >= len)
            return 0;
        *start = at;
        *end = lw_pretok_match(re->builtin, text, len, at);
        return 1;
    }
    return lw_split_match_pcre2(re, s, text, len, at, start, end);
}

int lw_split_match_pcre2(const lw_split *re, lw_split_scratch *s, const char *text, size_t len,
                         size_t at, size_t *start, size_t *end)
{
    int rc = pcre2_match(re->fast, (PCRE2_SPTR)text, len, at, PCRE2_NO_UTF_CHECK, s->md,
                         s->fast);
    if (out_of_room(rc) && !s->plain_jit && lw_regex_jit_enabled()) {
        s->plain_jit = pcre2_jit_stack_create(32 << 10, PLAIN_JIT_STACK, NULL);
        if (s->plain_jit)
            pcre2_jit_stack_assign(s->plain, NULL, s->plain_jit);
    }
    if (out_of_room(rc))
        rc = pcre2_match(re->plain, (PCRE2_SPTR)text, len, at, PCRE2_NO_UTF_CHECK, s->md,
                         s->plain);
    if (rc == PCRE2_ERROR_JIT_STACKLIMIT)
        rc = pcre2_match(re->plain, (PCRE2_SPTR)text, len, at, PCRE2_NO_UTF_CHECK | PCRE2_NO_JIT,
                         s->md, s->plain);
    if (rc == PCRE2_ERROR_NOMATCH)
        return 0;
    if (rc < 0)
        return rc;
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(s->md);
    *start = ov[0];
    *end = ov[1];
    return 1;
}
