/* The task families of `longweave needle` (RULER's definitions, Hsieh et al.
 * 2024, and the pass-key test of Mohtashami & Jaggi 2023): each sample's
 * instruction, needles, question and answers, and its context units. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "longweave/vec.h"
#include "needle_internal.h"

/* RNG streams, one per purpose, so that changing one draw never shifts another. */
enum { RNG_SETUP = 1, RNG_PAIRS = 2, RNG_WORDS = 3, RNG_SHUFFLE = 4, RNG_START = 5 };

static lw_rng stream(const nd_sample *s, int purpose)
{
    lw_rng r;
    lw_rng_init(&r, s->seed, LW_STREAM_NEEDLE | (uint32_t)purpose << 8, s->key);
    return r;
}

/* The classic filler of the pass-key test, repeated in order; zh: the same
 * sentences in Chinese (joined without spaces). */
static const char *const filler[ND_LANGS][5] = {
    {"The grass is green.", "The sky is blue.", "The sun is yellow.", "Here we go.",
     "There and back again."},
    {"草是绿的。", "天是蓝的。", "太阳是黄的。", "我们出发吧。", "去而复返。"}};
enum { FILLERS = 5 };

static const char consonants[] = "bdfgklmnprstvz", vowels[] = "aeiou";
enum { SYLLABLES = (sizeof consonants - 1) * (sizeof vowels - 1) }; /* 70 */

/* zh: a syllable is one Chinese character instead, from one of two tables
 * of 70 (values and cwe's words; niah's keys) that share no character with
 * each other or with the templates, so that no value is part of a key or
 * of the instruction. Every character is 3 bytes of UTF-8. */
static const char zh_values[] = "龙虎豹狼熊鹿马牛羊猴鸡犬猫兔鼠蛇鹰鹤雁燕鱼虾蟹龟蝶蜂松柏梅兰"
                                "竹菊桃李杏桂枫柳榆槐荷莲琴笛鼓钟珠玉璧灯烛镜伞扇壶杯碗盘瓶船"
                                "车桥塔亭楼阁井轮弓剑";
static const char zh_keys[] = "东南西北青赤紫橙春夏秋冬晨暮江河湖海峰岭岩谷泉溪晴雨雪霜雷电云雾"
                              "风金银铜铁锦绣丹碧翠苍白黑安宁平康泰华兴盛昌隆永远广长明光星辰"
                              "朝夕岳川原野林";
_Static_assert(sizeof zh_values == 3 * 70 + 1 && sizeof zh_keys == 3 * 70 + 1,
               "70 characters of 3 bytes each");

/* A pronounceable pseudo-word of `syllables` consonant-vowel pairs, or
 * (zh) of as many characters of `table`. */
static void syllable_word_in(uint64_t code, int syllables, const char *table, char *out)
{
    if (table) {
        for (int i = 0; i < syllables; i++) {
            memcpy(out + 3 * i, table + 3 * (code % SYLLABLES), 3);
            code /= SYLLABLES;
        }
        out[3 * syllables] = '\0';
        return;
    }
    for (int i = 0; i < syllables; i++) {
        uint64_t c = code % SYLLABLES;
        code /= SYLLABLES;
        out[2 * i] = consonants[c / (sizeof vowels - 1)];
        out[2 * i + 1] = vowels[c % (sizeof vowels - 1)];
    }
    out[2 * syllables] = '\0';
}

static void syllable_word(const nd_sample *s, uint64_t code, int syllables, char *out)
{
    syllable_word_in(code, syllables, s->lang == ND_LANG_ZH ? zh_values : NULL, out);
}

static void pseudo_word(lw_rng *r, int syllables, const char *table, char *out)
{
    uint64_t n = 1;
    for (int i = 0; i < syllables; i++)
        n *= SYLLABLES;
    syllable_word_in(lw_rng_below(r, n), syllables, table, out);
}

static void uuid4(lw_rng *r, char *out)
{
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < 36; i++) {
        int c = (int)lw_rng_below(r, 16);
        if (i == 14)
            c = 4; /* version 4 */
        else if (i == 19)
            c = 8 + (c & 3); /* RFC 4122 variant */
        out[i] = (i == 8 || i == 13 || i == 18 || i == 23) ? '-' : hex[c];
    }
    out[36] = '\0';
}

static bool among(char (*list)[48], int n, const char *s)
{
    for (int i = 0; i < n; i++)
        if (strcmp(list[i], s) == 0)
            return true;
    return false;
}

/* "a, b and c"; zh: "“a”、“b”和“c”" */
static int put_list(const nd_sample *s, lw_buf *b, char (*items)[48], int n)
{
    int rc = 0;
    bool zh = s->lang == ND_LANG_ZH;
    for (int i = 0; i < n; i++)
        rc |= zh ? lw_buf_printf(b, "%s“%s”", i == 0 ? "" : i + 1 == n ? "和" : "、", items[i])
                 : lw_buf_printf(b, "%s%s", i == 0 ? "" : i + 1 == n ? " and " : ", ", items[i]);
    return rc;
}

static int setup_niah(nd_sample *s, lw_rng *r, double depth)
{
    static const char *const kinds[ND_LANGS][3] = {{"numbers", "words", "uuids"},
                                                   {"数字", "词语", "UUID"}};
    bool zh = s->lang == ND_LANG_ZH;
    int kind = (int)lw_rng_below(r, 3);
    const char *kn = kinds[s->lang][kind];
    int needles = 1, values_per_key = 1, keys_asked = 1;
    switch (s->task) {
    case ND_NIAH_MULTIKEY: needles = 4; break; /* one key asked, three distractor keys */
    case ND_NIAH_MULTIVALUE: needles = values_per_key = 4; break;
    case ND_NIAH_MULTIQUERY: needles = keys_asked = 4; break;
    default: break;
    }
    char key[4][48], val[4][48];
    for (int i = 0; i < needles; i++) {
        do {
            char a[16], b[16];
            pseudo_word(r, 2 + (int)lw_rng_below(r, 2), zh ? zh_keys : NULL, a);
            pseudo_word(r, 2 + (int)lw_rng_below(r, 2), zh ? zh_keys : NULL, b);
            snprintf(key[i], sizeof key[i], zh ? "%s%s" : "%s-%s", a, b);
        } while (among(key, i, key[i]));
        do {
            if (kind == 0)
                snprintf(val[i], sizeof val[i], "%u", 1000000 + (unsigned)lw_rng_below(r, 9000000));
            else if (kind == 1)
                pseudo_word(r, 3, zh ? zh_values : NULL, val[i]);
            else
                uuid4(r, val[i]);
        } while (among(val, i, val[i]));
    }
    int rc = zh ? lw_buf_printf(&s->prefix, "下面的文本中隐藏着一些特殊的魔法%s。请务必记住它们。"
                                "之后我会就这些魔法%s向你提问。\n", kn, kn)
                : lw_buf_printf(&s->prefix, "Some special magic %s are hidden within the following "
                                "text. Make sure to memorize it. I will quiz you about the %s "
                                "afterwards.\n", kn, kn);
    for (int i = 0; i < needles; i++) {
        const char *k = key[values_per_key > 1 ? 0 : i];
        if (zh)
            snprintf(s->needle[i], sizeof s->needle[i], "关于“%s”的其中一个特殊魔法%s是：%s。",
                     k, kn, val[i]);
        else
            snprintf(s->needle[i], sizeof s->needle[i],
                     "One of the special magic %s for %s is: %s.", kn, k, val[i]);
        s->needle_depth[i] = i == 0 ? depth : lw_rng_double(r);
        if (i == 0 || values_per_key > 1 || keys_asked > 1) {
            snprintf(s->answers[s->n_answers], sizeof s->answers[0], "%s", val[i]);
            s->answer_count[s->n_answers++] = 1;
        }
    }
    s->n_needles = needles;
    if (zh) {
        rc |= lw_buf_puts(&s->suffix, "\n上文中提到的");
        rc |= put_list(s, &s->suffix, key, keys_asked);
        rc |= lw_buf_printf(&s->suffix, "的所有特殊魔法%s是什么？上文中提到的", kn);
        rc |= put_list(s, &s->suffix, key, keys_asked);
        rc |= lw_buf_printf(&s->suffix, "的特殊魔法%s是：", kn);
        return rc;
    }
    rc |= lw_buf_printf(&s->suffix, "\nWhat are all the special magic %s for ", kn);
    rc |= put_list(s, &s->suffix, key, keys_asked);
    rc |= lw_buf_printf(&s->suffix, " mentioned in the provided text? The special magic %s for ",
                        kn);
    rc |= put_list(s, &s->suffix, key, keys_asked);
    rc |= lw_buf_puts(&s->suffix, " mentioned in the provided text are");
    return rc;
}

static int setup_passkey(nd_sample *s, lw_rng *r, double depth)
{
    unsigned pk = 10000 + (unsigned)lw_rng_below(r, 90000);
    if (s->lang == ND_LANG_ZH)
        snprintf(s->needle[0], sizeof s->needle[0], "通行密钥是%u。记住它。%u是通行密钥。", pk, pk);
    else
        snprintf(s->needle[0], sizeof s->needle[0],
                 "The pass key is %u. Remember it. %u is the pass key.", pk, pk);
    s->needle_depth[0] = depth;
    s->n_needles = 1;
    snprintf(s->answers[0], sizeof s->answers[0], "%u", pk);
    s->answer_count[0] = 2; /* the needle says it twice */
    s->n_answers = 1;
    if (s->lang == ND_LANG_ZH)
        return lw_buf_puts(&s->prefix, "大量无关的文字中隐藏着一条重要信息。请找到并记住它。"
                           "之后我会就其中的重要信息向你提问。\n") |
               lw_buf_puts(&s->suffix, "\n通行密钥是多少？通行密钥是");
    return lw_buf_puts(&s->prefix, "There is an important info hidden inside a lot of "
                       "irrelevant text. Find it and memorize it. I will quiz you about the "
                       "important information there.\n") |
           lw_buf_puts(&s->suffix, "\nWhat is the pass key? The pass key is");
}

/* One chain of five variables, X1 = value, X2 = X1, ...: the first
 * assignment at the depth, the others spread evenly over the rest. */
static int setup_vt(nd_sample *s, lw_rng *r, double depth)
{
    enum { CHAIN = 5 };
    unsigned v = 10000 + (unsigned)lw_rng_below(r, 90000);
    char name[CHAIN][48];
    for (int i = 0; i < CHAIN; i++) {
        do {
            for (int c = 0; c < 5; c++)
                name[i][c] = (char)('A' + lw_rng_below(r, 26));
            name[i][5] = '\0';
        } while (among(name, i, name[i]));
        memcpy(s->answers[i], name[i], sizeof name[i]);
        if (s->lang == ND_LANG_ZH && i == 0)
            snprintf(s->needle[i], sizeof s->needle[i], "变量 %.5s = %u。", name[i], v);
        else if (s->lang == ND_LANG_ZH)
            snprintf(s->needle[i], sizeof s->needle[i], "变量 %.5s = 变量 %.5s。", name[i],
                     name[i - 1]);
        else if (i == 0)
            snprintf(s->needle[i], sizeof s->needle[i], "VAR %.5s = %u.", name[i], v);
        else
            snprintf(s->needle[i], sizeof s->needle[i], "VAR %.5s = VAR %.5s.", name[i],
                     name[i - 1]);
        s->needle_depth[i] = depth + (1.0 - depth) * i / CHAIN;
        s->answer_count[i] = i + 1 < CHAIN ? 2 : 1; /* assigned, then read by the next */
    }
    s->n_needles = s->n_answers = CHAIN;
    if (s->lang == ND_LANG_ZH)
        return lw_buf_puts(&s->prefix, "请记住并追踪下文中隐藏的变量赋值链。\n\n") |
               lw_buf_printf(&s->suffix, "\n问题：找出上文中所有被赋值为%u的变量。答案：根据上文"
                             "中的变量赋值链，共有%d个变量被赋值为%u，它们是：", v, CHAIN, v);
    return lw_buf_puts(&s->prefix, "Memorize and track the chain(s) of variable assignment "
                       "hidden in the following text.\n\n") |
           lw_buf_printf(&s->suffix, "\nQuestion: Find all variables that are assigned the "
                         "value %u in the text above. Answer: According to the chain(s) of "
                         "variable assignment in the text above, %d variables are assigned the "
                         "value %u, they are:", v, CHAIN, v);
}

enum { CWE_SPACE = SYLLABLES * SYLLABLES * SYLLABLES }; /* six-letter words */

/* cwe's words: n distinct codes drawn in order, so the first ten (the
 * common words) are the same whatever the length of the list. */
static int cwe_codes(const nd_sample *s, size_t n, uint32_t *code)
{
    if (n > CWE_SPACE / 2)
        return -1;
    uint8_t *used = calloc(CWE_SPACE / 8 + 1, 1);
    if (!used)
        return -1;
    lw_rng r = stream(s, RNG_WORDS);
    for (size_t w = 0; w < n; w++) {
        uint32_t c;
        do
            c = (uint32_t)lw_rng_below(&r, CWE_SPACE);
        while (used[c / 8] >> (c % 8) & 1);
        used[c / 8] |= (uint8_t)(1u << (c % 8));
        code[w] = c;
    }
    free(used);
    return 0;
}

/* Common word extraction: no needle; the answers are the ten words that
 * occur cwe_freq times in a list where every other word occurs 3 times. */
static int setup_cwe(nd_sample *s, uint32_t length)
{
    s->cwe_freq = length / 100 < 10 ? 10 : length / 100 > 30 ? 30 : length / 100;
    uint32_t code[10];
    if (cwe_codes(s, 10, code))
        return -1;
    for (int w = 0; w < 10; w++) {
        syllable_word(s, code[w], 3, s->answers[w]);
        s->answer_count[w] = s->cwe_freq;
    }
    s->n_answers = 10;
    if (s->lang == ND_LANG_ZH)
        return lw_buf_puts(&s->prefix, "下面是一个编号的词语列表。其中有些词语出现得比其他词语"
                           "更频繁。请记住出现次数最多的那些词语。\n") |
               lw_buf_puts(&s->suffix, "\n问题：上面列表中最常见的10个词语是哪些？答案：列表中"
                           "出现次数最多的10个词语是：");
    return lw_buf_puts(&s->prefix, "Below is a numbered list of words. In these words, some "
                       "appear more often than others. Memorize the ones that appear most "
                       "often.\n") |
           lw_buf_puts(&s->suffix, "\nQuestion: What are the 10 most common words in the above "
                       "list? Answer: The top 10 words that appear most often in the list are:");
}

static int setup_kv(nd_sample *s, lw_rng *r, double depth)
{
    char key[40];
    uuid4(r, key);
    uuid4(r, s->answers[0]);
    snprintf(s->needle[0], sizeof s->needle[0], "\"%s\": \"%s\"", key, s->answers[0]);
    s->needle_depth[0] = depth;
    s->n_needles = s->n_answers = 1;
    s->answer_count[0] = 1;
    if (s->lang == ND_LANG_ZH)
        return lw_buf_puts(&s->prefix, "请从下面的JSON对象中提取指定键对应的值。\n\nJSON数据：\n") |
               lw_buf_putc(&s->open, '{') | lw_buf_putc(&s->close, '}') |
               lw_buf_printf(&s->suffix, "\n\n键：\"%s\"\n该指定键对应的值是：", key);
    return lw_buf_puts(&s->prefix, "Extract the value corresponding to the specified key in the "
                       "JSON object below.\n\nJSON data:\n") |
           lw_buf_putc(&s->open, '{') | lw_buf_putc(&s->close, '}') |
           lw_buf_printf(&s->suffix, "\n\nKey: \"%s\"\nThe value associated with the specified "
                         "key is:", key);
}

int nd_sample_setup(nd_sample *s, int task, int lang, uint64_t seed, uint64_t index,
                    unsigned attempt, double depth, uint32_t length, const nd_haystack *hay)
{
    memset(s, 0, sizeof *s);
    s->task = task;
    s->lang = lang;
    s->seed = seed;
    s->key = index << 4 | (attempt & 15);
    /* zh sentences are joined as Chinese is written, without spaces (one
     * that ends in a narrow stop carries its own, see nd_split_sentences) */
    s->sep = task == ND_CWE ? "\n" : task == ND_KV ? ",\n" : lang == ND_LANG_ZH ? "" : " ";
    lw_rng r = stream(s, RNG_SETUP);
    if (hay->n) {
        lw_rng st = stream(s, RNG_START);
        s->hay_start = (size_t)lw_rng_below(&st, hay->n);
    }
    switch (task) {
    case ND_PASSKEY: return setup_passkey(s, &r, depth);
    case ND_VT: return setup_vt(s, &r, depth);
    case ND_CWE: return setup_cwe(s, length);
    case ND_KV: return setup_kv(s, &r, depth);
    default: return setup_niah(s, &r, depth);
    }
}

void nd_sample_free(nd_sample *s)
{
    lw_buf_free(&s->prefix);
    lw_buf_free(&s->open);
    lw_buf_free(&s->close);
    lw_buf_free(&s->suffix);
}

static int reserve(nd_units *u)
{
    return LW_VEC_GROW(&u->start, &u->cap, u->n + 2) ? 0 : -1;
}

/* Close the unit being written at the current end of the text. */
static int unit_end(nd_units *u)
{
    if (reserve(u))
        return -1;
    u->start[++u->n] = u->text.len;
    return 0;
}

/* cwe: n items; ten common words cwe_freq times each, uncommon words three
 * times each (the last perhaps fewer), shuffled. All words are distinct
 * six-letter pseudo-words, so none is part of another. */
static int cwe_units(const nd_sample *s, size_t n, nd_units *u)
{
    size_t common = 10 * (size_t)s->cwe_freq;
    if (n < common)
        n = common; /* the list is never shorter than its common words */
    size_t words = 10 + (n - common + 2) / 3;
    uint32_t *code = malloc(words * sizeof *code), *item = malloc(n * sizeof *item);
    int rc = -1;
    if (!code || !item || cwe_codes(s, words, code))
        goto out;
    size_t k = 0;
    for (uint32_t w = 0; w < 10; w++)
        for (uint32_t f = 0; f < s->cwe_freq; f++)
            item[k++] = w;
    for (uint32_t w = 10; k < n; w++)
        for (int f = 0; f < 3 && k < n; f++)
            item[k++] = w;
    lw_rng sh = stream(s, RNG_SHUFFLE);
    for (size_t i = n - 1; i > 0; i--) {
        size_t j = (size_t)lw_rng_below(&sh, i + 1);
        uint32_t x = item[i];
        item[i] = item[j];
        item[j] = x;
    }
    rc = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        char word[16];
        syllable_word(s, code[item[i]], 3, word);
        rc = lw_buf_printf(&u->text, "%zu. %s", i + 1, word) | unit_end(u);
    }
out:
    free(code);
    free(item);
    return rc;
}

int nd_units_make(const nd_sample *s, const nd_haystack *hay, size_t n, nd_units *u)
{
    u->text.len = 0;
    u->n = 0;
    if (reserve(u))
        return -1;
    u->start[0] = 0;
    if (s->task == ND_CWE)
        return cwe_units(s, n, u);
    lw_rng pairs = stream(s, RNG_PAIRS);
    for (size_t i = 0; i < n; i++) {
        int rc;
        if (s->task == ND_KV) {
            char k[40], v[40];
            uuid4(&pairs, k);
            uuid4(&pairs, v);
            rc = lw_buf_printf(&u->text, "\"%s\": \"%s\"", k, v);
        } else if (hay->n) {
            rc = lw_buf_puts(&u->text, hay->sentences[(s->hay_start + i) % hay->n]);
        } else {
            rc = lw_buf_puts(&u->text, filler[s->lang][i % FILLERS]);
        }
        if (rc || unit_end(u))
            return -1;
    }
    return 0;
}

void nd_units_free(nd_units *u)
{
    lw_buf_free(&u->text);
    free(u->start);
    memset(u, 0, sizeof *u);
}

enum { UUID_LEN = 36, KV_VALUE_AT = UUID_LEN + 5 }; /* "key": "value" */

static size_t spaces(const char *unit, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += unit[i] == ' ';
    return n;
}

/* zh: where a piece of a sentence may start (Chinese has no spaces between
 * words): after a space, or before or after a wide character. Returns how
 * many such offsets in (0, len) there are; *at gets the want-th (from 1). */
static size_t zh_starts(const char *unit, size_t len, size_t want, size_t *at)
{
    size_t count = 0;
    int32_t prev = -1;
    bool prev_space = false;
    for (size_t i = 0; i < len;) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t n = utf8proc_iterate((const utf8proc_uint8_t *)unit + i,
                                              (utf8proc_ssize_t)(len - i), &cp);
        if (n <= 0) {
            n = 1;
            cp = -1;
        }
        if (i > 0 && unit[i] != ' ' && (prev_space || nd_wide(prev) || nd_wide(cp)) &&
            ++count == want)
            *at = i;
        prev = cp;
        prev_space = unit[i] == ' ';
        i += (size_t)n;
    }
    return count;
}

size_t nd_unit_cuts(const nd_sample *s, const char *unit, size_t len)
{
    if (s->task == ND_KV)
        return 2 * UUID_LEN - 1;
    if (s->task == ND_CWE)
        return 0; /* an item is a few tokens; cutting one would change the counts */
    if (s->lang == ND_LANG_ZH)
        return zh_starts(unit, len, 0, NULL);
    return spaces(unit, len); /* a sentence's last 1 .. all but one words */
}

/* A JSON pair is cut in its key first (with an empty value), then in its
 * value: a pair of two UUIDs is some 50 tokens, too coarse on its own for
 * a 1% window at short lengths. */
int nd_unit_cut(const nd_sample *s, const char *unit, size_t len, size_t k, lw_buf *out)
{
    if (s->task == ND_KV) {
        if (k <= UUID_LEN)
            return lw_buf_append(out, unit, 1 + k) | lw_buf_puts(out, "\": \"\"");
        return lw_buf_append(out, unit, KV_VALUE_AT + (k - UUID_LEN)) | lw_buf_putc(out, '"');
    }
    if (s->lang == ND_LANG_ZH) { /* from the k-th last place a piece may start */
        size_t from = 0;
        zh_starts(unit, len, zh_starts(unit, len, 0, NULL) + 1 - k, &from);
        return lw_buf_append(out, unit + from, len - from);
    }
    /* the last k words: what follows the skip-th space */
    size_t skip = spaces(unit, len) + 1 - k, from = 0;
    for (size_t i = 0; i < len && skip; i++)
        if (unit[i] == ' ' && --skip == 0)
            from = i + 1;
    return lw_buf_append(out, unit + from, len - from);
}
