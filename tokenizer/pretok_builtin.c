/* Hand-written matchers for the built-in split patterns. Each function below
 * follows its regex alternative by alternative, in PCRE2's order (the first
 * alternative that matches wins, quantifiers give back characters as the
 * backtracking does); tests/fuzz/fuzz_pretok_diff.c holds them equal to
 * PCRE2 on any text. */
#include "pretok_builtin.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pattern.h"
#include "unicode_tables.h"

int lw_pretok_enabled = 1;

/* The class table (see build_classes), filled once. */
static uint8_t cls[0x110000];
static pthread_once_t cls_once = PTHREAD_ONCE_INIT;
static void build_classes(void);

static const char qwen2_pattern[] =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+"
    "[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

lw_pretok_kind lw_pretok_recognise(const char *pattern)
{
    static const struct {
        const char *name;
        lw_pretok_kind kind;
    } named[] = {{"cl100k", LW_PRETOK_CL100K},
                 {"llama3", LW_PRETOK_LLAMA3},
                 {"o200k", LW_PRETOK_O200K},
                 {"r50k", LW_PRETOK_R50K}};
    if (!pattern || !lw_pretok_enabled)
        return LW_PRETOK_NONE;
    pthread_once(&cls_once, build_classes);
    for (size_t i = 0; i < sizeof named / sizeof *named; i++)
        if (strcmp(pattern, lw_pattern_builtin(named[i].name)) == 0)
            return named[i].kind;
    return strcmp(pattern, qwen2_pattern) == 0 ? LW_PRETOK_QWEN2 : LW_PRETOK_NONE;
}

/* Per code point: the classes the patterns use. UP is
 * [\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}] and LOW [\p{Ll}\p{Lm}\p{Lo}\p{M}] (o200k). */
enum { C_L = 1, C_N = 2, C_WS = 4, C_UP = 8, C_LOW = 16 };

/* Mark the code points of PCRE2 class items ("\x{A}-\x{B}\x{C}..."). */
static void mark(const char *items, uint8_t bit)
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
        for (unsigned long c = a; c <= b && c < 0x110000; c++)
            cls[c] |= bit;
    }
}

static void build_classes(void)
{
    static const struct {
        const char *name;
        uint8_t bits;
    } use[] = {{"L", C_L},          {"N", C_N},           {"Lu", C_UP},
               {"Lt", C_UP},        {"Lm", C_UP | C_LOW}, {"Lo", C_UP | C_LOW},
               {"M", C_UP | C_LOW}, {"Ll", C_LOW}};
    for (size_t u = 0; u < sizeof use / sizeof *use; u++)
        for (size_t i = 0; i < sizeof lw_unicode_classes / sizeof *lw_unicode_classes; i++)
            if (strcmp(lw_unicode_classes[i].name, use[u].name) == 0)
                mark(lw_unicode_classes[i].items, use[u].bits);
    mark(lw_unicode_white_space, C_WS);
}

/* The code point at text[i] (valid UTF-8) and its length. */
static inline uint32_t decode(const unsigned char *s, size_t i, size_t *n)
{
    unsigned c = s[i];
    if (c < 0x80) {
        *n = 1;
        return c;
    }
    if (c < 0xE0) {
        *n = 2;
        return (c & 0x1F) << 6 | (s[i + 1] & 0x3F);
    }
    if (c < 0xF0) {
        *n = 3;
        return (c & 0x0F) << 12 | (s[i + 1] & 0x3F) << 6 | (s[i + 2] & 0x3F);
    }
    *n = 4;
    return (c & 0x07) << 18 | (s[i + 1] & 0x3F) << 12 | (s[i + 2] & 0x3F) << 6 | (s[i + 3] & 0x3F);
}

typedef struct {
    const unsigned char *s;
    size_t len;
} text_t;

/* Classes of the character at i (0 past the end), its length in *n. */
static inline unsigned class_at(text_t t, size_t i, size_t *n)
{
    if (i >= t.len) {
        *n = 0;
        return 0;
    }
    return cls[decode(t.s, i, n)];
}

/* The end of the run of characters from i that have one of the classes in
 * any (or, with none set, none of the classes in avoid). */
static inline size_t run_any(text_t t, size_t i, unsigned any)
{
    size_t n;
    while (i < t.len && (class_at(t, i, &n) & any))
        i += n;
    return i;
}

static inline size_t run_none(text_t t, size_t i, unsigned avoid)
{
    size_t n;
    while (i < t.len && !(class_at(t, i, &n) & avoid))
        i += n;
    return i;
}

static inline size_t run_bytes(text_t t, size_t i, const char *set)
{
    while (i < t.len && t.s[i] && strchr(set, t.s[i]))
        i++;
    return i;
}

/* "other" in the patterns: [^\s\p{L}\p{N}] */
static inline bool other(unsigned c)
{
    return !(c & (C_WS | C_L | C_N));
}

/* Up to max characters of \p{N} from i. */
static inline size_t digits(text_t t, size_t i, int max)
{
    size_t n;
    for (int k = 0; k < max && i < t.len && (class_at(t, i, &n) & C_N); k++)
        i += n;
    return i;
}

/* A case-folded ASCII letter at i, or 0. Caseless 's' also matches U+017F
 * (LATIN SMALL LETTER LONG S), as in PCRE2 (and Rust's regex). */
static inline int folded(text_t t, size_t i, size_t *n)
{
    if (i >= t.len)
        return 0;
    unsigned char c = t.s[i];
    *n = 1;
    if (c == 0xC5 && i + 1 < t.len && t.s[i + 1] == 0xBF) {
        *n = 2;
        return 's';
    }
    return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* The end of a contraction ('s 't 're 've 'm 'll 'd) at i, or 0. caseless:
 * (?i:...) as in cl100k, llama3 and o200k; else r50k's exact lower case. */
static inline size_t contraction(text_t t, size_t i, bool caseless)
{
    if (i >= t.len || t.s[i] != '\'')
        return 0;
    size_t n1 = 1, n2 = 1;
    int a, b;
    if (caseless) {
        a = folded(t, i + 1, &n1);
        b = a ? folded(t, i + 1 + n1, &n2) : 0;
    } else {
        a = i + 1 < t.len ? t.s[i + 1] : 0;
        b = i + 2 < t.len ? t.s[i + 2] : 0;
    }
    if (a == 's' || a == 'd' || a == 'm' || a == 't')
        return i + 1 + n1;
    if ((a == 'l' && b == 'l') || (a == 'v' && b == 'e') || (a == 'r' && b == 'e'))
        return i + 1 + n1 + n2;
    return 0;
}

/* The whitespace alternatives, for a run of \s from i: end of the run j,
 * the end of its last \r or \n (0: none) and the start of its last
 * character. */
typedef struct {
    size_t j, after_nl, last;
    int chars; /* 1, or 2 meaning "more than one" */
} ws_run;

static inline ws_run white(text_t t, size_t i)
{
    ws_run w = {i, 0, i, 0};
    size_t n;
    while (w.j < t.len && (class_at(t, w.j, &n) & C_WS)) {
        if (t.s[w.j] == '\r' || t.s[w.j] == '\n')
            w.after_nl = w.j + 1;
        w.last = w.j;
        w.j += n;
        w.chars += w.chars < 2;
    }
    return w;
}

/* \s+(?!\S) then \s+ (or \s): the whole run at the end of the text, else
 * all but its last character, else its one character. */
static inline size_t white_tail(text_t t, ws_run w)
{
    if (w.j == t.len)
        return w.j;
    return w.chars > 1 ? w.last : w.j;
}

/* cl100k: '(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+|
 *         ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s
 * llama3 (max_digits 3) and Qwen2 (1):
 *         (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
 *         ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
 * The two differ only in the digits and in whitespace at the very end. */
static size_t match_cl100k(text_t t, size_t i, int max_digits, bool ws_end_first)
{
    size_t n, n2;
    unsigned c = class_at(t, i, &n);
    size_t e = contraction(t, i, true);
    if (e)
        return e;
    if (c & C_L)
        return run_any(t, i + n, C_L);
    unsigned c2 = class_at(t, i + n, &n2);
    bool nl = t.s[i] == '\r' || t.s[i] == '\n';
    if (!nl && !(c & C_N) && (c2 & C_L))
        return run_any(t, i + n + n2, C_L);
    if (c & C_N)
        return digits(t, i, max_digits);
    if (other(c) || (t.s[i] == ' ' && i + 1 < t.len && other(c2)))
        return run_bytes(t, run_none(t, i + n, C_WS | C_L | C_N), "\r\n");
    ws_run w = white(t, i);
    if (ws_end_first && w.j == t.len)
        return w.j; /* \s++$ */
    if (w.after_nl)
        return w.after_nl; /* \s*[\r\n] (or [\r\n]+: no \r\n follows the last) */
    return white_tail(t, w);
}

/* r50k: '(?:[sdmt]|ll|ve|re)| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+ */
static size_t match_r50k(text_t t, size_t i)
{
    size_t n, n2;
    unsigned c = class_at(t, i, &n);
    size_t e = contraction(t, i, false);
    if (e)
        return e;
    bool space = t.s[i] == ' ';
    unsigned c2 = class_at(t, i + n, &n2);
    if (c & C_L)
        return run_any(t, i + n, C_L);
    if (space && (c2 & C_L))
        return run_any(t, i + n + n2, C_L);
    if (c & C_N)
        return run_any(t, i + n, C_N);
    if (space && (c2 & C_N))
        return run_any(t, i + n + n2, C_N);
    if (other(c))
        return run_none(t, i + n, C_WS | C_L | C_N);
    if (space && n2 && other(c2))
        return run_none(t, i + n + n2, C_WS | C_L | C_N);
    return white_tail(t, white(t, i));
}

/* o200k's [UP]*[LOW]+ from p: UP* takes its whole run, then gives back
 * characters until a LOW one can start LOW+. 0: no match. */
static inline size_t up_low(text_t t, size_t p)
{
    size_t q = p, low_end = 0, n;
    unsigned c;
    while (q < t.len && ((c = class_at(t, q, &n)) & C_UP)) {
        if (c & C_LOW)
            low_end = q + n;
        q += n;
    }
    if (class_at(t, q, &n) & C_LOW)
        return run_any(t, q, C_LOW);
    return low_end;
}

/* o200k:
 *  [^\r\n\p{L}\p{N}]?[UP]*[LOW]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|
 *  [^\r\n\p{L}\p{N}]?[UP]+[LOW]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|
 *  \p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+ */
static size_t match_o200k(text_t t, size_t i)
{
    size_t n, n2, e;
    unsigned c = class_at(t, i, &n);
    bool prefix = !(c & (C_L | C_N)) && t.s[i] != '\r' && t.s[i] != '\n';
    if ((prefix && (e = up_low(t, i + n))) || (e = up_low(t, i)))
        goto word;
    unsigned c2 = class_at(t, i + n, &n2);
    if (prefix && (c2 & C_UP)) {
        e = run_any(t, run_any(t, i + n, C_UP), C_LOW);
        goto word;
    }
    if (c & C_UP) {
        e = run_any(t, run_any(t, i, C_UP), C_LOW);
        goto word;
    }
    if (c & C_N)
        return digits(t, i, 3);
    if (other(c) || (t.s[i] == ' ' && i + 1 < t.len && other(c2)))
        return run_bytes(t, run_none(t, i + n, C_WS | C_L | C_N), "\r\n/");
    ws_run w = white(t, i);
    if (w.after_nl)
        return w.after_nl;
    return white_tail(t, w);
word: {
    size_t k = contraction(t, e, true);
    return k ? k : e;
}
}

size_t lw_pretok_match(lw_pretok_kind kind, const char *text, size_t len, size_t at)
{
    text_t t = {(const unsigned char *)text, len};
    switch (kind) {
    case LW_PRETOK_CL100K:
        return match_cl100k(t, at, 3, true);
    case LW_PRETOK_LLAMA3:
        return match_cl100k(t, at, 3, false);
    case LW_PRETOK_QWEN2:
        return match_cl100k(t, at, 1, false);
    case LW_PRETOK_O200K:
        return match_o200k(t, at);
    case LW_PRETOK_R50K:
        return match_r50k(t, at);
    case LW_PRETOK_NONE:
        break;
    }
    return len;
}
