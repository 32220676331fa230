/* Haystack sentences for `needle`: English's ASCII rule (kept byte for byte
 * from the first version) and the rule for Chinese text and any other
 * script (--lang zh). The rules themselves are described in
 * needle_internal.h; utf8proc gives the code points, categories and widths. */
#include <utf8proc.h>

#include "needle_internal.h"

const char *const nd_lang_names[] = {"en", "zh", NULL};

static int split_en(const char *text, size_t len, lw_buf *sentence, nd_sentence_fn fn,
                    void *ctx)
{
    sentence->len = 0;
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        bool space = c == ' ' || c == '\n' || c == '\t' || c == '\r';
        if (space && (sentence->len == 0 || sentence->data[sentence->len - 1] == ' '))
            continue;
        if (lw_buf_putc(sentence, space ? ' ' : c))
            return -1;
        bool end = (c == '.' || c == '!' || c == '?') &&
                   (i + 1 == len || text[i + 1] == ' ' || text[i + 1] == '\n' ||
                    text[i + 1] == '\t' || text[i + 1] == '\r');
        if (!end)
            continue;
        int rc = fn(ctx, sentence->data, sentence->len);
        sentence->len = 0;
        if (rc)
            return rc;
    }
    return 0;
}

bool nd_wide(int32_t cp)
{
    return cp >= 0 && utf8proc_charwidth(cp) >= 2;
}

/* The stops of CJK text: they end a sentence whatever follows. */
static bool cjk_stop(int32_t cp)
{
    switch (cp) {
    case 0x3002: /* 。 ideographic full stop */
    case 0xFF0E: /* ． fullwidth full stop */
    case 0xFF61: /* ｡ halfwidth ideographic full stop */
    case 0xFF01: /* ！ */
    case 0xFF1F: /* ？ */
    case 0xFF1B: /* ； */
    case 0xFE52: /* ﹒ small forms */
    case 0xFE56: /* ﹖ */
    case 0xFE57: /* ﹗ */
    case 0xFE54: /* ﹔ */
        return true;
    default: return false;
    }
}

/* Unicode's other sentence terminators (Sentence_Terminal, which utf8proc
 * does not carry), of the scripts that space their words. */
static bool terminator(int32_t cp)
{
    switch (cp) {
    case '.': case '!': case '?':
    case 0x0589: /* Armenian full stop */
    case 0x061F: /* Arabic question mark */
    case 0x06D4: /* Arabic full stop */
    case 0x0964: case 0x0965: /* Devanagari danda, double danda */
    case 0x104A: case 0x104B: /* Myanmar */
    case 0x1362: case 0x1367: case 0x1368: /* Ethiopic */
    case 0x17D4: case 0x17D5: /* Khmer */
    case 0x203C: case 0x2047: case 0x2048: case 0x2049: /* ‼ ⁇ ⁈ ⁉ */
        return true;
    default: return false;
    }
}

/* What may follow a stop and stays with its sentence: closing brackets and
 * final quotes (”’»」』）】》), and ASCII quotes. */
static bool closer(int32_t cp)
{
    if (cp == '"' || cp == '\'')
        return true;
    if (cp < 0)
        return false;
    utf8proc_category_t c = utf8proc_category(cp);
    return c == UTF8PROC_CATEGORY_PE || c == UTF8PROC_CATEGORY_PF;
}

static bool white(int32_t cp)
{
    if (cp == ' ' || (cp >= '\t' && cp <= '\r') || cp == 0x85)
        return true;
    if (cp < 0x80)
        return false;
    utf8proc_category_t c = utf8proc_category(cp);
    return c == UTF8PROC_CATEGORY_ZS || c == UTF8PROC_CATEGORY_ZL || c == UTF8PROC_CATEGORY_ZP;
}

static bool line_break(int32_t cp)
{
    return (cp >= '\n' && cp <= '\r') || cp == 0x85 || cp == 0x2028 || cp == 0x2029;
}

static bool punct(int32_t cp)
{
    if (cp < 0)
        return false;
    utf8proc_category_t c = utf8proc_category(cp);
    return c >= UTF8PROC_CATEGORY_PC && c <= UTF8PROC_CATEGORY_PO;
}

enum { NONE, WEAK, STRONG }; /* a stop seen: needs space, wide or end to end / ends */

static int emit(lw_buf *sentence, bool space, nd_sentence_fn fn, void *ctx)
{
    /* zh units are joined without a space: a sentence that ended at a
     * narrow stop and a space brings its own */
    if (space && lw_buf_putc(sentence, ' '))
        return -1;
    int rc = fn(ctx, sentence->data, sentence->len);
    sentence->len = 0;
    return rc;
}

static int split_zh(const char *text, size_t len, lw_buf *sentence, nd_sentence_fn fn,
                    void *ctx)
{
    sentence->len = 0;
    int pending = NONE, rc;
    bool gap = false, gap_break = false;
    int32_t prev = -1;
    for (size_t i = 0; i < len;) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t n = utf8proc_iterate((const utf8proc_uint8_t *)text + i,
                                              (utf8proc_ssize_t)(len - i), &cp);
        if (n <= 0) { /* not UTF-8: a byte of its own, never a stop */
            n = 1;
            cp = -1;
        }
        const char *at = text + i;
        i += (size_t)n;
        if (white(cp)) {
            if (pending) {
                if ((rc = emit(sentence, pending == WEAK, fn, ctx)))
                    return rc;
                pending = NONE;
            }
            if (sentence->len) {
                gap = true;
                gap_break |= line_break(cp);
            }
            continue;
        }
        bool stop = cjk_stop(cp), term = stop || terminator(cp);
        if (pending && !term && !closer(cp)) {
            if (pending == STRONG || nd_wide(cp)) {
                if ((rc = emit(sentence, false, fn, ctx)))
                    return rc;
            }
            pending = NONE; /* 3.14, e.g, example.com: no end */
        }
        if (gap && sentence->len) {
            /* a line break inside CJK text (a poem's lines) is no space */
            bool join = gap_break && ((nd_wide(prev) && (nd_wide(cp) || punct(cp))) ||
                                      (nd_wide(cp) && punct(prev)));
            if (!join && lw_buf_putc(sentence, ' '))
                return -1;
        }
        gap = gap_break = false;
        if (lw_buf_append(sentence, at, (size_t)n))
            return -1;
        prev = cp;
        if (stop)
            pending = STRONG;
        else if (term && pending != STRONG)
            pending = WEAK;
    }
    if (pending && (rc = emit(sentence, pending == WEAK, fn, ctx)))
        return rc;
    sentence->len = 0;
    return 0;
}

int nd_split_sentences(int lang, const char *text, size_t len, lw_buf *sentence,
                       nd_sentence_fn fn, void *ctx)
{
    return lang == ND_LANG_ZH ? split_zh(text, len, sentence, fn, ctx)
                              : split_en(text, len, sentence, fn, ctx);
}
