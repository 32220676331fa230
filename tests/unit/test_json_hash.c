/* JSON output (escaping, numbers, repair) read back with cJSON; hashes and
 * checksums against published values (SHA-256 FIPS 180-2 "abc", XXH3-128
 * as printed by xxhsum -H2, SplitMix64's first output). */
#include "testutil.h"

#include <cjson/cJSON.h>

#include "longweave/hash.h"
#include "longweave/json_out.h"

static void test_string_escapes_round_trip(void **state)
{
    (void)state;
    char in[64];
    for (int i = 0; i < 32; i++)
        in[i] = (char)i; /* every control character, NUL included */
    memcpy(in + 32, "\"\\/ caf\xC3\xA9 \xE2\x80\xA8", 13);
    size_t len = 45;
    lw_buf out = {0};
    assert_int_equal(lw_json_put_string(&out, in, len), 0);
    assert_int_equal(lw_buf_putc(&out, '\0'), 0);
    /* No raw control characters are left in the JSON text. */
    for (size_t i = 0; i + 1 < out.len; i++)
        assert_true((unsigned char)out.data[i] >= 0x20);
    /* cJSON reads it back (it stops at the decoded NUL, so compare the rest
     * by decoding a copy without the first character). */
    lw_buf tail = {0};
    assert_int_equal(lw_json_put_string(&tail, in + 1, len - 1), 0);
    assert_int_equal(lw_buf_putc(&tail, '\0'), 0);
    cJSON *v = cJSON_Parse(tail.data);
    assert_non_null(v);
    assert_true(cJSON_IsString(v));
    assert_int_equal(strlen(v->valuestring), len - 1);
    assert_memory_equal(v->valuestring, in + 1, len - 1);
    assert_non_null(strstr(out.data, "\\u0000"));
    assert_non_null(strstr(out.data, "\\n"));
    cJSON_Delete(v);
    lw_buf_free(&out);
    lw_buf_free(&tail);
}

/* The escaper steps over text a word at a time: every byte value (but NUL,
 * which cJSON cannot hold) at every offset within a word, in texts of every
 * length across two words, is escaped exactly as cJSON's own printer does. */
static void test_string_escapes_match_cjson_at_every_offset(void **state)
{
    (void)state;
    char text[40];
    for (int c = 1; c < 256; c++) {
        for (size_t len = 1; len < sizeof text; len++) {
            for (size_t at = 0; at < len; at++) {
                memset(text, 'a', len);
                text[at] = (char)c;
                if (at + 9 < len)
                    text[at + 9] = '"'; /* a second escape in the next word */
                lw_buf out = {0};
                assert_int_equal(lw_json_put_string(&out, text, len), 0);
                char *z = malloc(len + 1);
                assert_non_null(z);
                memcpy(z, text, len);
                z[len] = '\0';
                cJSON *v = cJSON_CreateString(z);
                char *want = cJSON_PrintUnformatted(v);
                assert_non_null(want);
                assert_int_equal(out.len, strlen(want));
                assert_memory_equal(out.data, want, out.len);
                cJSON_free(want);
                cJSON_Delete(v);
                free(z);
                lw_buf_free(&out);
            }
        }
    }
}

static void test_repair_makes_valid_json(void **state)
{
    (void)state;
    lw_buf out = {0};
    assert_int_equal(lw_json_put_string_repair(&out, "a\xFF" "b", 3), 0);
    assert_int_equal(lw_buf_putc(&out, '\0'), 0);
    assert_string_equal(out.data, "\"a\xEF\xBF\xBD" "b\"");
    lw_buf_free(&out);
}

static void test_values_round_trip(void **state)
{
    (void)state;
    const char *doc = "{\"a\":[1,-2,3.25,1e300,0.1,9007199254740993,12345678901234],"
                      "\"b\":{\"c\":null,\"d\":true,\"e\":false,\"f\":\"x\\ty\"}}";
    cJSON *v = cJSON_Parse(doc);
    assert_non_null(v);
    lw_buf out = {0};
    assert_int_equal(lw_json_put_value(&out, v), 0);
    assert_int_equal(lw_buf_putc(&out, '\0'), 0);
    cJSON *back = cJSON_Parse(out.data);
    assert_non_null(back);
    assert_true(cJSON_Compare(v, back, 1));
    /* Integers below 2^53 keep their exact digits. */
    assert_non_null(strstr(out.data, "12345678901234"));
    assert_non_null(strstr(out.data, "0.1,"));
    cJSON_Delete(v);
    cJSON_Delete(back);
    lw_buf_free(&out);
}

static void test_published_hash_values(void **state)
{
    (void)state;
    char hex[LW_SHA256_HEX];
    lw_sha256 *h = lw_sha256_new();
    assert_non_null(h);
    lw_sha256_update(h, "ab", 2);
    lw_sha256_update(h, "c", 1);
    lw_sha256_final(h, hex);
    lw_sha256_free(h);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");

    /* xxhsum -H2 prints XXH128 as high then low 64 bits. */
    lw_hash128 e = lw_hash128_bytes("", 0);
    assert_true(e.hi == 0x99aa06d3014798d8ull && e.lo == 0x6001c324468d497full);
    lw_hash128 hello = lw_hash128_bytes("hello", 5);
    assert_true(hello.hi == 0xb5e9c1ad071b3e7full && hello.lo == 0xc779cfaa5e523818ull);

    /* SplitMix64 seeded with 0: first output. */
    assert_true(lw_mix64(0) == 0xe220a8397b1dcdafull);
}

static void test_sha256_file(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    char *p = tu_write_str(dir, "abc.txt", "abc");
    char hex[LW_SHA256_HEX];
    lw_error err;
    assert_int_equal(lw_sha256_file(p, hex, &err), LW_OK);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert_int_equal(lw_sha256_file("/nonexistent/x", hex, &err), LW_E_NOINPUT);
    assert_non_null(strstr(err.msg, "/nonexistent/x"));
    free(p);
    tu_rmtree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_string_escapes_round_trip),
        cmocka_unit_test(test_string_escapes_match_cjson_at_every_offset),
        cmocka_unit_test(test_repair_makes_valid_json),
        cmocka_unit_test(test_values_round_trip),
        cmocka_unit_test(test_published_hash_values),
        cmocka_unit_test(test_sha256_file),
    };
    return cmocka_run_group_tests_name("json_hash", tests, NULL, NULL);
}
