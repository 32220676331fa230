/* Document parsing (every skip reason, ids, UTF-8 policies, escaped NUL,
 * records) and the filters (length in code points, PCRE2 keep/drop, dedup set). */
#include "testutil.h"

#include "longweave/doc.h"
#include "longweave/filter.h"

/* Document texts are (pointer, length), not NUL-terminated strings. */
static void assert_text(const lw_doc *d, const char *want)
{
    assert_int_equal(d->text_len, strlen(want));
    assert_memory_equal(d->text, want, d->text_len);
}

static lw_skip parse(const char *line, const lw_doc_opts *o, lw_doc *d, lw_buf *scratch)
{
    lw_unit u = {.kind = LW_UNIT_DOC, .format = LW_FORMAT_JSONL, .data = line,
                 .len = strlen(line)};
    return lw_doc_parse(d, &u, o, scratch);
}

static void expect_skip(const char *line, lw_skip want, const char *detail_part)
{
    lw_doc_opts o = {0};
    lw_doc d;
    lw_buf scratch = {0};
    assert_int_equal(parse(line, &o, &d, &scratch), want);
    if (detail_part)
        assert_non_null(strstr(d.detail, detail_part));
    lw_doc_clear(&d);
    lw_buf_free(&scratch);
}

static void test_bad_records(void **state)
{
    (void)state;
    expect_skip("{\"text\": \"a\"", LW_SKIP_MALFORMED_JSON, "column");
    expect_skip("{\"text\": \"a\"} trailing", LW_SKIP_MALFORMED_JSON, "column 15");
    expect_skip("not json", LW_SKIP_MALFORMED_JSON, NULL);
    expect_skip("[1, 2]", LW_SKIP_NOT_OBJECT, NULL);
    expect_skip("\"text\"", LW_SKIP_NOT_OBJECT, NULL);
    expect_skip("{\"body\": \"a\"}", LW_SKIP_MISSING_TEXT, "\"text\"");
    expect_skip("{\"text\": 5}", LW_SKIP_TEXT_NOT_STRING, NULL);
    expect_skip("{\"text\": null}", LW_SKIP_TEXT_NOT_STRING, NULL);
    /* \u0000 in the text is text; in a field a stage rewrites, it is flagged. */
    expect_skip("{\"text\": \"a\\u0000b\"}", LW_SKIP_NONE, NULL);
    lw_doc_opts o = {0};
    lw_doc d;
    lw_buf scratch = {0};
    assert_int_equal(parse("{\"id\": \"i\\u0000\", \"text\": \"a\\u0000b\\n\", \"m\": 1}", &o,
                           &d, &scratch), LW_SKIP_NONE);
    assert_int_equal(d.text_len, 4);
    assert_memory_equal(d.text, "a\0b\n", 4);
    assert_int_equal(d.id_len, 2);
    assert_false(d.nul_elsewhere);
    lw_doc_clear(&d);
    assert_int_equal(parse("{\"text\": \"a\", \"m\": [\"\\u0000\"]}", &o, &d, &scratch),
                     LW_SKIP_NONE);
    assert_true(d.nul_elsewhere);
    lw_doc_clear(&d);
    lw_buf_free(&scratch);
    /* An escaped backslash followed by "u0000" is plain text, not NUL. */
    expect_skip("{\"text\": \"a\\\\u0000b\"}", LW_SKIP_NONE, NULL);
}

static void test_fields_and_ids(void **state)
{
    (void)state;
    lw_doc_opts o = {.text_key = "content", .id_key = "doc"};
    lw_doc d;
    lw_buf scratch = {0};
    assert_int_equal(parse("{\"doc\": \"k1\", \"content\": \"h\\u00e9llo \\ud83d\\ude00\"}",
                           &o, &d, &scratch),
                     LW_SKIP_NONE);
    assert_text(&d, "h\xC3\xA9llo \xF0\x9F\x98\x80");
    assert_int_equal(d.text_chars, 7);
    assert_int_equal(d.id_len, 2);
    assert_memory_equal(d.id, "k1", 2);
    lw_doc_clear(&d);
    assert_int_equal(parse("{\"doc\": 42, \"content\": \"x\"}", &o, &d, &scratch), LW_SKIP_NONE);
    assert_int_equal(d.id_len, 2);
    assert_memory_equal(d.id, "42", 2);
    lw_doc_clear(&d);
    assert_int_equal(parse("{\"doc\": [1], \"content\": \"x\"}", &o, &d, &scratch), LW_SKIP_NONE);
    assert_null(d.id);
    lw_doc_clear(&d);
    lw_buf_free(&scratch);
}

static void test_utf8_policies(void **state)
{
    (void)state;
    const char *line = "{\"text\": \"ok \xFF\xFE done\"}";
    lw_doc d;
    lw_buf scratch = {0};
    lw_doc_opts replace = {.utf8 = LW_UTF8_REPLACE};
    assert_int_equal(parse(line, &replace, &d, &scratch), LW_SKIP_NONE);
    assert_text(&d, "ok \xEF\xBF\xBD\xEF\xBF\xBD done");
    assert_int_equal(d.utf8_replaced, 2);
    lw_doc_clear(&d);
    lw_doc_opts drop = {.utf8 = LW_UTF8_DROP};
    assert_int_equal(parse(line, &drop, &d, &scratch), LW_SKIP_INVALID_UTF8);
    assert_non_null(strstr(d.detail, "byte 3"));
    lw_doc_clear(&d);
    lw_buf_free(&scratch);
}

static void test_text_units(void **state)
{
    (void)state;
    lw_doc_opts o = {0};
    lw_doc d;
    lw_buf scratch = {0};
    lw_unit u = {.kind = LW_UNIT_DOC, .format = LW_FORMAT_TEXT, .data = "plain {not json}",
                 .len = 16};
    assert_int_equal(lw_doc_parse(&d, &u, &o, &scratch), LW_SKIP_NONE);
    assert_int_equal(d.text_len, 16);
    assert_null(d.root);
    u.data = "bin\0ary";
    u.len = 7;
    assert_int_equal(lw_doc_parse(&d, &u, &o, &scratch), LW_SKIP_NUL);
    lw_buf_free(&scratch);
}

static lw_skip apply(const lw_filter *f, lw_filter_scratch *s, const char *text)
{
    lw_doc_opts o = {0};
    lw_doc d;
    lw_buf scratch = {0};
    lw_unit u = {.kind = LW_UNIT_DOC, .format = LW_FORMAT_TEXT, .data = text, .len = strlen(text)};
    assert_int_equal(lw_doc_parse(&d, &u, &o, &scratch), LW_SKIP_NONE);
    char detail[200];
    lw_skip why = lw_filter_apply(f, s, d.text, d.text_len, d.text_chars, detail, sizeof detail);
    lw_buf_free(&scratch);
    return why;
}

static void test_filters(void **state)
{
    (void)state;
    const char *keep[] = {"\\p{Han}", "^KEEP"};
    const char *drop[] = {"(?i)lorem ipsum"};
    lw_filter_opts o = {.min_chars = 3, .max_chars = 12, .keep_re = keep, .n_keep = 2,
                        .drop_re = drop, .n_drop = 1};
    lw_filter *f;
    lw_error err;
    assert_int_equal(lw_filter_new(&f, &o, &err), LW_OK);
    lw_filter_scratch *s = lw_filter_scratch_new(f);
    assert_non_null(s);
    /* Lengths are code points: three Han characters are 9 bytes, 3 chars. */
    assert_int_equal(apply(f, s, "\xE4\xB8\xAD\xE6\x96\x87\xE5\xAD\x97"), LW_SKIP_NONE);
    assert_int_equal(apply(f, s, "\xE4\xB8\xAD\xE6\x96\x87"), LW_SKIP_TOO_SHORT);
    assert_int_equal(apply(f, s, "KEEP this one please"), LW_SKIP_TOO_LONG);
    assert_int_equal(apply(f, s, "KEEP me"), LW_SKIP_NONE);
    assert_int_equal(apply(f, s, "other text"), LW_SKIP_KEEP_REGEX);
    /* Kept by a keep pattern, then dropped by the drop pattern (12 chars). */
    assert_int_equal(apply(f, s, "\xE4\xB8\xADLOREM Ipsum"), LW_SKIP_DROP_REGEX);
    lw_filter_scratch_free(s);
    lw_filter_free(f);

    lw_filter_opts o2 = {.drop_re = drop, .n_drop = 1};
    assert_int_equal(lw_filter_new(&f, &o2, &err), LW_OK);
    s = lw_filter_scratch_new(f);
    assert_int_equal(apply(f, s, "x LOREM IPSUM y"), LW_SKIP_DROP_REGEX);
    assert_int_equal(apply(f, s, "x lorem-ipsum y"), LW_SKIP_NONE);
    lw_filter_scratch_free(s);
    lw_filter_free(f);

    const char *bad[] = {"a(b"};
    lw_filter_opts o3 = {.keep_re = bad, .n_keep = 1};
    assert_int_equal(lw_filter_new(&f, &o3, &err), LW_E_USAGE);
    assert_non_null(strstr(err.msg, "--keep-regex 'a(b'"));
}

static void test_dedup_set(void **state)
{
    (void)state;
    lw_dedup *d = lw_dedup_new();
    assert_non_null(d);
    enum { N = 200000 };
    for (uint64_t i = 0; i < N; i++) {
        char key[32];
        int n = snprintf(key, sizeof key, "doc %llu", (unsigned long long)i);
        assert_int_equal(lw_dedup_insert(d, lw_hash128_bytes(key, (size_t)n)), 1);
    }
    for (uint64_t i = 0; i < N; i += 7) {
        char key[32];
        int n = snprintf(key, sizeof key, "doc %llu", (unsigned long long)i);
        assert_int_equal(lw_dedup_insert(d, lw_hash128_bytes(key, (size_t)n)), 0);
    }
    lw_hash128 zero = {0, 0};
    assert_int_equal(lw_dedup_insert(d, zero), 1);
    assert_int_equal(lw_dedup_insert(d, zero), 0);
    assert_int_equal(lw_dedup_count(d), N + 1);
    lw_dedup_free(d);
}

/* A record (a Parquet row) built field by field. */
static void put_field(lw_buf *rec, lw_field_kind kind, const char *key, const char *value,
                      size_t value_len)
{
    size_t mark;
    assert_int_equal(lw_record_open(rec, kind, key, strlen(key), &mark), 0);
    assert_int_equal(lw_buf_append(rec, value, value_len), 0);
    lw_record_close(rec, mark);
}

static lw_skip parse_record(const lw_buf *rec, lw_doc *d, lw_buf *scratch)
{
    lw_unit u = {.kind = LW_UNIT_DOC, .format = LW_FORMAT_RECORD, .data = rec->data,
                 .len = rec->len};
    lw_doc_opts o = {0};
    return lw_doc_parse(d, &u, &o, scratch);
}

/* Records give the same text, id, skips and fields as the JSON line that
 * says the same, without a JSON parser: string bytes as they are (a NUL
 * too), other values' JSON text through unchanged, an integer id exactly. */
static void test_records(void **state)
{
    (void)state;
    lw_buf rec = {0}, scratch = {0}, out = {0};
    lw_doc d;
    put_field(&rec, LW_FIELD_JSON, "id", "9007199254740993", 16);
    put_field(&rec, LW_FIELD_STRING, "text", "a\0\"b\"", 5);
    put_field(&rec, LW_FIELD_JSON, "score", "3.0", 3);
    put_field(&rec, LW_FIELD_STRING, "source", "x\ny", 3);
    assert_int_equal(parse_record(&rec, &d, &scratch), LW_SKIP_NONE);
    assert_int_equal(d.text_len, 5);
    assert_memory_equal(d.text, "a\0\"b\"", 5);
    assert_int_equal(d.id_len, 16);
    assert_memory_equal(d.id, "9007199254740993", 16);
    assert_false(d.nul_elsewhere);
    lw_doc_field f;
    assert_true(lw_doc_field_find(&d, "score", &f));
    assert_int_equal(lw_doc_field_put_json(&out, &f), 0);
    assert_true(lw_doc_field_find(&d, "text", &f));
    assert_int_equal(lw_doc_field_put_json(&out, &f), 0);
    assert_int_equal(out.len, strlen("3.0\"a\\u0000\\\"b\\\"\""));
    assert_memory_equal(out.data, "3.0\"a\\u0000\\\"b\\\"\"", out.len);
    assert_false(lw_doc_field_find(&d, "nope", &f));
    lw_doc_clear(&d);

    /* a fractional id reads as a JSON line's would; a boolean is no id */
    rec.len = 0;
    put_field(&rec, LW_FIELD_STRING, "text", "t", 1);
    put_field(&rec, LW_FIELD_JSON, "id", "12.50", 5);
    assert_int_equal(parse_record(&rec, &d, &scratch), LW_SKIP_NONE);
    assert_int_equal(d.id_len, 4);
    assert_memory_equal(d.id, "12.5", 4);
    rec.len = 0;
    put_field(&rec, LW_FIELD_STRING, "text", "t", 1);
    put_field(&rec, LW_FIELD_JSON, "id", "true", 4);
    assert_int_equal(parse_record(&rec, &d, &scratch), LW_SKIP_NONE);
    assert_null(d.id);

    /* a null text is not a string; no text names the keys there are */
    rec.len = 0;
    put_field(&rec, LW_FIELD_JSON, "text", "null", 4);
    assert_int_equal(parse_record(&rec, &d, &scratch), LW_SKIP_TEXT_NOT_STRING);
    rec.len = 0;
    put_field(&rec, LW_FIELD_STRING, "body", "t", 1);
    put_field(&rec, LW_FIELD_JSON, "n", "1", 1);
    assert_int_equal(parse_record(&rec, &d, &scratch), LW_SKIP_MISSING_TEXT);
    assert_non_null(strstr(d.detail, "its keys: \"body\", \"n\""));

    /* a record cut short ends its fields where the cut is */
    size_t pos = 0, n = 0;
    lw_record_field rf;
    while (lw_record_next(rec.data, rec.len - 1, &pos, &rf))
        n++;
    assert_int_equal(n, 1);
    assert_int_equal(pos, rec.len - 1);
    lw_buf_free(&rec);
    lw_buf_free(&scratch);
    lw_buf_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_records),
        cmocka_unit_test(test_fields_and_ids),
        cmocka_unit_test(test_utf8_policies),
        cmocka_unit_test(test_text_units),
        cmocka_unit_test(test_records),
        cmocka_unit_test(test_filters),
        cmocka_unit_test(test_dedup_set),
    };
    return cmocka_run_group_tests_name("doc_filter", tests, NULL, NULL);
}
