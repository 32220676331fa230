/* UTF-8 validation and maximal-subpart repair against the examples of the
 * Unicode Standard (chapter 3, "U+FFFD Substitution of Maximal Subparts")
 * and hand-derived ill-formed sequences. */
#include "testutil.h"

#include <stdbool.h>

#include "longweave/utf8.h"

#define FFFD "\xEF\xBF\xBD"

static void expect_repair(const char *in, size_t len, const char *want, size_t want_bad,
                          size_t want_chars)
{
    lw_buf out = {0};
    size_t bad = 99, chars = 99;
    assert_int_equal(lw_utf8_repair(in, len, &out, &bad, &chars), 0);
    assert_int_equal(out.len, strlen(want));
    assert_memory_equal(out.data, want, out.len);
    assert_int_equal(bad, want_bad);
    assert_int_equal(chars, want_chars);
    /* The repaired text is valid. */
    assert_int_equal(lw_utf8_valid_prefix(out.data, out.len, NULL), out.len);
    lw_buf_free(&out);
}

static void test_unicode_table_3_8(void **state)
{
    (void)state;
    /* 61 F1 80 80 E1 80 C2 62 80 63 80 BF 64 ->
     * 0061 FFFD FFFD FFFD 0062 FFFD 0063 FFFD FFFD 0064 */
    const char in[] = "\x61\xF1\x80\x80\xE1\x80\xC2\x62\x80\x63\x80\xBF\x64";
    expect_repair(in, sizeof in - 1, "a" FFFD FFFD FFFD "b" FFFD "c" FFFD FFFD "d", 6, 10);
}

static void test_ill_formed_forms(void **state)
{
    (void)state;
    /* Surrogate ED A0 80: ED cannot take A0, so three subparts. */
    expect_repair("\xED\xA0\x80", 3, FFFD FFFD FFFD, 3, 3);
    /* Overlong two-byte form of '/'. */
    expect_repair("\xC0\xAF", 2, FFFD FFFD, 2, 2);
    /* Overlong three-byte NUL. */
    expect_repair("\xE0\x80\x80", 3, FFFD FFFD FFFD, 3, 3);
    /* Above U+10FFFF. */
    expect_repair("\xF4\x90\x80\x80", 4, FFFD FFFD FFFD FFFD, 4, 4);
    expect_repair("\xF5\x80", 2, FFFD FFFD, 2, 2);
    /* Truncated at the end: one subpart. */
    expect_repair("x\xE2\x82", 3, "x" FFFD, 1, 2);
    expect_repair("\xF0\x9F\x98", 3, FFFD, 1, 1);
    /* A truncated sequence followed by ASCII. */
    expect_repair("\xE2\x82z", 3, FFFD "z", 1, 2);
    /* Lone continuation bytes and 0xFF. */
    expect_repair("\x80\xFF", 2, FFFD FFFD, 2, 2);
}

static void test_valid_text_is_untouched(void **state)
{
    (void)state;
    const char *s = "plain ASCII that is longer than eight bytes, "
                    "caf\xC3\xA9 \xE4\xB8\xAD\xE6\x96\x87 \xF0\x9F\x98\x80 \xEF\xBF\xBF "
                    "\xF4\x8F\xBF\xBF end";
    size_t chars;
    assert_int_equal(lw_utf8_valid_prefix(s, strlen(s), &chars), strlen(s));
    /* 45 ASCII + "café " 5 + "中文 " 3 + emoji+space 2 + U+FFFF+space 2
     * + U+10FFFF 1 + " end" 4 */
    assert_int_equal(chars, 45 + 5 + 3 + 2 + 2 + 1 + 4);
    expect_repair(s, strlen(s), s, 0, chars);
}

static void test_valid_prefix_stops_at_first_bad_byte(void **state)
{
    (void)state;
    const char s[] = "abcdefghij\xC3\xA9klm\xC3(rest";
    size_t chars;
    size_t n = lw_utf8_valid_prefix(s, sizeof s - 1, &chars);
    assert_int_equal(n, 15);
    assert_int_equal(chars, 14);
}

/* The ASCII runs are skipped 16 or 8 bytes at a time: a bad byte, or a
 * valid sequence, at every offset of texts up to three blocks long. */
static void test_valid_prefix_at_every_offset(void **state)
{
    (void)state;
    char text[56];
    for (size_t len = 1; len < sizeof text - 2; len++) {
        for (size_t at = 0; at < len; at++) {
            size_t chars;
            memset(text, 'a', len);
            text[at] = (char)0xFF;
            assert_int_equal(lw_utf8_valid_prefix(text, len, &chars), at);
            assert_int_equal(chars, at);
            text[at] = (char)0x80;
            assert_int_equal(lw_utf8_valid_prefix(text, len, &chars), at);
            memset(text, 'a', len + 1);
            text[at] = (char)0xC3; /* é: two bytes, one character */
            text[at + 1] = (char)0xA9;
            assert_int_equal(lw_utf8_valid_prefix(text, len + 1, &chars), len + 1);
            assert_int_equal(chars, len);
        }
    }
}

static void test_clip_never_cuts_a_sequence(void **state)
{
    (void)state;
    const char *s = "ab\xE4\xB8\xAD" "c"; /* a b 中 c */
    assert_int_equal(lw_utf8_clip(s, 6, 10), 6);
    assert_int_equal(lw_utf8_clip(s, 6, 5), 5);
    assert_int_equal(lw_utf8_clip(s, 6, 4), 2);
    assert_int_equal(lw_utf8_clip(s, 6, 3), 2);
    assert_int_equal(lw_utf8_clip(s, 6, 2), 2);
}

/* Whether b0 b1 b2 is one three-byte character, found another way than the
 * validator's: decode the bits without range checks, then re-encode the
 * code point and compare; a surrogate is not a character. */
static bool is_three_byte_char(unsigned b0, unsigned b1, unsigned b2)
{
    if ((b0 & 0xF0) != 0xE0 || (b1 & 0xC0) != 0x80 || (b2 & 0xC0) != 0x80)
        return false;
    unsigned cp = (b0 & 0x0F) << 12 | (b1 & 0x3F) << 6 | (b2 & 0x3F);
    if (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))
        return false;
    return (0xE0 | cp >> 12) == b0 && (0x80 | (cp >> 6 & 0x3F)) == b1 &&
           (0x80 | (cp & 0x3F)) == b2;
}

/* Every three-byte string with a three-byte lead, alone and between ASCII
 * words (so that both the word path and the CJK path meet it). */
static void test_every_three_byte_sequence(void **state)
{
    (void)state;
    for (unsigned b0 = 0xE0; b0 <= 0xEF; b0++)
        for (unsigned b1 = 0; b1 < 256; b1++)
            for (unsigned b2 = 0; b2 < 256; b2++) {
                bool ok = is_three_byte_char(b0, b1, b2);
                unsigned char s[19] = "abcdefgh___ijklmnop";
                s[8] = (unsigned char)b0;
                s[9] = (unsigned char)b1;
                s[10] = (unsigned char)b2;
                size_t chars;
                assert_int_equal(lw_utf8_valid_prefix((const char *)s + 8, 3, &chars),
                                 ok ? 3 : 0);
                size_t n = lw_utf8_valid_prefix((const char *)s, sizeof s, &chars);
                if (ok) {
                    assert_int_equal(n, sizeof s);
                    assert_int_equal(chars, sizeof s - 2);
                } else {
                    assert_int_equal(n, 8);
                }
            }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unicode_table_3_8),
        cmocka_unit_test(test_ill_formed_forms),
        cmocka_unit_test(test_valid_text_is_untouched),
        cmocka_unit_test(test_valid_prefix_stops_at_first_bad_byte),
        cmocka_unit_test(test_valid_prefix_at_every_offset),
        cmocka_unit_test(test_clip_never_cuts_a_sequence),
        cmocka_unit_test(test_every_three_byte_sequence),
    };
    return cmocka_run_group_tests_name("utf8", tests, NULL, NULL);
}
