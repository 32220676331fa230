/* The document reader and input planning: line handling (CRLF, BOM, blank
 * lines, long lines, oversized lines), zstd (multi-frame, skippable frames,
 * truncated and corrupt streams), text files, directories, and --part plans
 * that together cover every document exactly once. */
#include "testutil.h"

#include <sys/stat.h>
#include <zstd.h>

#include "longweave/reader.h"

typedef struct {
    lw_unit_kind kind;
    char *data;
    size_t len;
    size_t file;
    uint64_t line, line_origin;
} unit_copy;

typedef struct {
    unit_copy *u;
    size_t n;
    lw_reader_stats stats;
} units;

static void free_units(units *us)
{
    for (size_t i = 0; i < us->n; i++)
        free(us->u[i].data);
    free(us->u);
    memset(us, 0, sizeof *us);
}

/* Read every unit of the given part. */
static units read_part(const lw_input_list *list, unsigned part, unsigned nparts, size_t max_doc)
{
    units us = {0};
    lw_part_plan plan;
    lw_error err;
    assert_int_equal(lw_part_plan_make(list, part, nparts, &plan, &err), LW_OK);
    lw_reader *r;
    lw_reader_opts o = {max_doc};
    assert_int_equal(lw_reader_open(&r, list, &plan, &o, &err), LW_OK);
    for (;;) {
        lw_unit u;
        bool got;
        assert_int_equal(lw_reader_next(r, &u, &got, &err), LW_OK);
        if (!got)
            break;
        us.u = realloc(us.u, (us.n + 1) * sizeof *us.u);
        unit_copy *c = &us.u[us.n++];
        c->kind = u.kind;
        c->len = u.len;
        c->data = malloc(u.len + 1);
        if (u.data)
            memcpy(c->data, u.data, u.len);
        c->data[u.data ? u.len : 0] = '\0';
        c->file = u.file;
        c->line = u.line;
        c->line_origin = u.line_origin;
    }
    us.stats = *lw_reader_stats_get(r);
    lw_reader_close(r);
    lw_part_plan_free(&plan);
    return us;
}

static units read_paths(const char **paths, size_t n, size_t max_doc, lw_input_list *list)
{
    lw_error err;
    assert_int_equal(lw_input_list_build(list, paths, n, NULL, &err), LW_OK);
    return read_part(list, 0, 1, max_doc);
}

static void test_lines_crlf_bom_blank(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    const char *text = "\xEF\xBB\xBF{\"a\":1}\r\n\n  \t\r\n{\"b\":2}\n\n{\"c\":3}";
    char *p = tu_write_str(dir, "x.jsonl", text);
    lw_input_list list;
    units us = read_paths((const char *[]){p}, 1, 0, &list);
    assert_int_equal(us.n, 3);
    assert_string_equal(us.u[0].data, "{\"a\":1}");
    assert_int_equal(us.u[0].line, 1);
    assert_string_equal(us.u[1].data, "{\"b\":2}");
    assert_int_equal(us.u[1].line, 4);
    assert_string_equal(us.u[2].data, "{\"c\":3}");
    assert_int_equal(us.u[2].line, 6);
    assert_int_equal(us.stats.blank_lines, 3);
    free_units(&us);
    lw_input_list_free(&list);
    free(p);
    tu_rmtree(dir);
}

static char *make_lines(size_t n, size_t *len)
{
    /* Lines of varied length, one much longer than the reader's chunk. */
    size_t cap = 8 << 20, at = 0;
    char *s = malloc(cap);
    for (size_t i = 0; i < n; i++) {
        size_t body = i == n / 2 ? (3u << 20) : (i * 37) % 500;
        at += (size_t)sprintf(s + at, "{\"n\":%zu,\"t\":\"", i);
        for (size_t k = 0; k < body; k++)
            s[at++] = (char)('a' + (i + k) % 26);
        at += (size_t)sprintf(s + at, "\"}\n");
    }
    *len = at;
    return s;
}

static void test_long_lines_and_oversized(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    size_t len;
    char *text = make_lines(101, &len);
    char *p = tu_write(dir, "big.jsonl", text, len);
    lw_input_list list;
    units us = read_paths((const char *[]){p}, 1, 0, &list);
    assert_int_equal(us.n, 101);
    size_t at = 0;
    for (size_t i = 0; i < us.n; i++) {
        assert_int_equal(us.u[i].kind, LW_UNIT_DOC);
        assert_memory_equal(us.u[i].data, text + at, us.u[i].len);
        at += us.u[i].len + 1;
        assert_int_equal(us.u[i].line, i + 1);
    }
    free_units(&us);

    /* With a 1000-byte limit the 3 MB line is skipped and reported with its
     * size; the lines around it are intact. */
    us = read_part(&list, 0, 1, 1000);
    assert_int_equal(us.n, 101);
    unit_copy *big = &us.u[50];
    assert_int_equal(big->kind, LW_UNIT_TOO_LARGE);
    assert_true(big->len > (3u << 20));
    assert_int_equal(big->line, 51);
    assert_int_equal(us.u[51].kind, LW_UNIT_DOC);
    assert_int_equal(strncmp(us.u[51].data, "{\"n\":51,", 8), 0);
    free_units(&us);
    lw_input_list_free(&list);
    free(text);
    free(p);
    tu_rmtree(dir);
}

static char *compress_frames(const char *const *parts, size_t n, bool skippable, size_t *out_len)
{
    size_t cap = 1 << 20, at = 0;
    char *out = malloc(cap);
    for (size_t i = 0; i < n; i++) {
        if (skippable && i == 1) {
            /* A skippable frame: magic 0x184D2A50, size 4, 4 bytes. */
            memcpy(out + at, "\x50\x2A\x4D\x18\x04\x00\x00\x00skip", 12);
            at += 12;
        }
        /* With checksums, as zstd's command line and our writer make them. */
        ZSTD_CCtx *c = ZSTD_createCCtx();
        ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1);
        size_t r = ZSTD_compress2(c, out + at, cap - at, parts[i], strlen(parts[i]));
        ZSTD_freeCCtx(c);
        assert_false(ZSTD_isError(r));
        at += r;
    }
    *out_len = at;
    return out;
}

static void test_zstd_multiframe_and_skippable(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    /* The second frame starts in the middle of a line. */
    const char *parts[] = {"{\"t\":\"one\"}\n{\"t\":\"tw", "o\"}\n", "{\"t\":\"three\"}\n"};
    size_t len;
    char *z = compress_frames(parts, 3, true, &len);
    char *p = tu_write(dir, "a.data", z, len); /* no .zst in the name: content decides */
    lw_input_list list;
    units us = read_paths((const char *[]){p}, 1, 0, &list);
    assert_true(list.files[0].content == LW_CONTENT_ZSTD);
    assert_int_equal(us.n, 3);
    assert_string_equal(us.u[0].data, "{\"t\":\"one\"}");
    assert_string_equal(us.u[1].data, "{\"t\":\"two\"}");
    assert_string_equal(us.u[2].data, "{\"t\":\"three\"}");
    free_units(&us);
    lw_input_list_free(&list);
    free(z);
    free(p);
    tu_rmtree(dir);
}

static void test_zstd_truncated_and_corrupt(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    size_t len;
    /* Incompressible-ish content so that damage lands inside real blocks. */
    char *text = malloc(400000);
    size_t at = 0;
    uint32_t x = 12345;
    for (int i = 0; i < 4000; i++) {
        at += (size_t)sprintf(text + at, "{\"t\":\"");
        for (int k = 0; k < 80; k++) {
            x = x * 1103515245u + 12345u;
            text[at++] = (char)('a' + (x >> 16) % 26);
        }
        at += (size_t)sprintf(text + at, "\"}\n");
    }
    text[at] = '\0';
    const char *parts[] = {text};
    char *z = compress_frames(parts, 1, false, &len);

    char *cut = tu_write(dir, "cut.jsonl.zst", z, len / 2);
    char *bad_bytes = malloc(len);
    memcpy(bad_bytes, z, len);
    for (size_t i = len / 2; i < len / 2 + 64; i++)
        bad_bytes[i] ^= 0x5A;
    char *bad = tu_write(dir, "bad.jsonl.zst", bad_bytes, len);
    char *after = tu_write_str(dir, "ok.jsonl", "{\"t\":\"after\"}\n");

    lw_input_list list;
    units us = read_paths((const char *[]){cut, bad, after}, 3, 0, &list);
    /* Whatever was decoded before the damage comes out as documents; then one
     * CORRUPT unit per damaged file; then the next file is read normally.
     * A truncated file yields only original lines. (Flipped bytes can decode
     * to garbage before zstd notices: those lines are left to the JSON
     * parser, so they are not checked here.) */
    size_t corrupt = 0, docs_before_after = 0;
    for (size_t i = 0; i < us.n; i++) {
        if (us.u[i].kind == LW_UNIT_CORRUPT) {
            corrupt++;
            assert_true(us.u[i].file == 0 || us.u[i].file == 1);
        } else if (us.u[i].file == 0) {
            assert_int_equal(us.u[i].kind, LW_UNIT_DOC);
            /* Every document delivered is a complete, original line. */
            assert_non_null(strstr(text, us.u[i].data));
            assert_int_equal(us.u[i].len, 88);
            docs_before_after++;
        }
    }
    assert_int_equal(corrupt, 2);
    assert_true(docs_before_after > 0 && docs_before_after < 8000);
    assert_string_equal(us.u[us.n - 1].data, "{\"t\":\"after\"}");
    free_units(&us);
    lw_input_list_free(&list);
    free(text);
    free(z);
    free(bad_bytes);
    free(cut);
    free(bad);
    free(after);
    tu_rmtree(dir);
}

static void test_text_and_empty_files(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    char *t = tu_write_str(dir, "doc.txt", "\xEF\xBB\xBFline one\nline two\n");
    const char *parts[] = {"compressed text"};
    size_t zl;
    char *z = compress_frames(parts, 1, false, &zl);
    char *tz = tu_write(dir, "doc2.txt.zst", z, zl);
    char *empty_txt = tu_write_str(dir, "empty.txt", "");
    char *empty_jsonl = tu_write_str(dir, "empty.jsonl", "");
    char *blank_jsonl = tu_write_str(dir, "blank.jsonl", "\n\n \n");
    lw_input_list list;
    units us = read_paths((const char *[]){t, tz, empty_txt, empty_jsonl, blank_jsonl}, 5, 0,
                          &list);
    assert_int_equal(us.n, 4);
    assert_int_equal(us.u[0].kind, LW_UNIT_DOC);
    assert_string_equal(us.u[0].data, "line one\nline two\n");
    assert_string_equal(us.u[1].data, "compressed text");
    assert_int_equal(us.u[2].kind, LW_UNIT_DOC);
    assert_int_equal(us.u[2].len, 0);
    assert_int_equal(us.u[3].kind, LW_UNIT_EMPTY_FILE);
    assert_int_equal(us.u[3].file, 3);
    assert_int_equal(us.stats.blank_lines, 3);
    free_units(&us);
    /* A text file over the limit is reported, not read. */
    us = read_part(&list, 0, 1, 5);
    assert_int_equal(us.u[0].kind, LW_UNIT_TOO_LARGE);
    assert_int_equal(us.u[0].len, 21);
    assert_int_equal(us.u[1].kind, LW_UNIT_TOO_LARGE);
    free_units(&us);
    lw_input_list_free(&list);
    free(z);
    free(t);
    free(tz);
    free(empty_txt);
    free(empty_jsonl);
    free(blank_jsonl);
    tu_rmtree(dir);
}

static void test_directories_sorted_and_filtered(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    char sub[4200], sub2[4200], hidden[4200];
    snprintf(sub, sizeof sub, "%s/b", dir);
    snprintf(sub2, sizeof sub2, "%s/a.d", dir);
    snprintf(hidden, sizeof hidden, "%s/.git", dir);
    assert_int_equal(mkdir(sub, 0777), 0);
    assert_int_equal(mkdir(sub2, 0777), 0);
    assert_int_equal(mkdir(hidden, 0777), 0);
    char *files[] = {
        tu_write_str(dir, "b/z.jsonl", "{}\n"),     tu_write_str(dir, "b/a.txt", "x"),
        tu_write_str(dir, "a.d/q.ndjson", "{}\n"),   tu_write_str(dir, "c.md", "x"),
        tu_write_str(dir, "image.png", "x"),         tu_write_str(dir, ".hidden.jsonl", "{}\n"),
        tu_write_str(dir, ".git/config.jsonl", "x"), tu_write_str(dir, "manifest.json", "{}"),
    };
    lw_input_list list;
    lw_error err;
    const char *paths[] = {dir};
    assert_int_equal(lw_input_list_build(&list, paths, 1, NULL, &err), LW_OK);
    assert_int_equal(list.count, 4);
    const char *want[] = {"/a.d/q.ndjson", "/b/a.txt", "/b/z.jsonl", "/c.md"};
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(strncmp(list.files[i].path, dir, strlen(dir)), 0);
        assert_string_equal(list.files[i].path + strlen(dir), want[i]);
    }
    assert_int_equal(list.files[0].format, LW_FORMAT_JSONL);
    assert_int_equal(list.files[1].format, LW_FORMAT_TEXT);
    assert_int_equal(list.ignored_files, 2); /* image.png, manifest.json */
    lw_input_list_free(&list);

    /* --include replaces the default patterns. */
    const char *inc[] = {"*.png"};
    lw_input_opts o = {LW_FORMAT_AUTO, inc, 1};
    assert_int_equal(lw_input_list_build(&list, paths, 1, &o, &err), LW_OK);
    assert_int_equal(list.count, 1);
    lw_input_list_free(&list);

    /* A missing path is LW_E_NOINPUT, naming it. */
    const char *missing[] = {"/nonexistent/corpus.jsonl"};
    assert_int_equal(lw_input_list_build(&list, missing, 1, NULL, &err), LW_E_NOINPUT);
    assert_non_null(strstr(err.msg, "/nonexistent/corpus.jsonl"));
    for (size_t i = 0; i < sizeof files / sizeof *files; i++)
        free(files[i]);
    tu_rmtree(dir);
}

static void test_parts_cover_every_document_once(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    size_t len;
    char *text = make_lines(301, &len);
    /* Lines of all lengths, a blank line, and a line cut at the file end. */
    char *big = tu_write(dir, "1.jsonl", text, len);
    char *small = tu_write_str(dir, "2.jsonl", "{\"s\":1}\n\n{\"s\":2}\n{\"s\":3}");
    const char *parts[] = {"{\"z\":1}\n{\"z\":2}\n"};
    size_t zl;
    char *z = compress_frames(parts, 1, false, &zl);
    char *zf = tu_write(dir, "3.jsonl.zst", z, zl);
    char *txt = tu_write_str(dir, "4.txt", "text doc");
    char *empty = tu_write_str(dir, "5.jsonl", "");
    char *tail = tu_write_str(dir, "6.jsonl", "{\"last\":1}\n");
    lw_input_list list;
    units whole = read_paths((const char *[]){big, small, zf, txt, empty, tail}, 6, 0, &list);
    assert_int_equal(whole.n, 301 + 3 + 2 + 1 + 1 + 1);
    for (unsigned n = 2; n <= 9; n++) {
        size_t k = 0;
        for (unsigned p = 0; p < n; p++) {
            units us = read_part(&list, p, n, 0);
            for (size_t i = 0; i < us.n; i++, k++) {
                assert_true(k < whole.n);
                assert_int_equal(us.u[i].kind, whole.u[k].kind);
                assert_int_equal(us.u[i].file, whole.u[k].file);
                assert_int_equal(us.u[i].len, whole.u[k].len);
                assert_memory_equal(us.u[i].data, whole.u[k].data, us.u[i].len);
                /* Line numbers resolve to the same absolute line. */
                uint64_t base = 0;
                lw_error err;
                if (us.u[i].line_origin)
                    assert_int_equal(lw_count_newlines(list.files[us.u[i].file].path,
                                                       us.u[i].line_origin, &base, &err),
                                     LW_OK);
                assert_int_equal(base + us.u[i].line, whole.u[k].line);
            }
            free_units(&us);
        }
        assert_int_equal(k, whole.n);
    }
    free_units(&whole);
    lw_input_list_free(&list);
    free(text);
    free(z);
    free(big);
    free(small);
    free(zf);
    free(txt);
    free(empty);
    free(tail);
    tu_rmtree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lines_crlf_bom_blank),
        cmocka_unit_test(test_long_lines_and_oversized),
        cmocka_unit_test(test_zstd_multiframe_and_skippable),
        cmocka_unit_test(test_zstd_truncated_and_corrupt),
        cmocka_unit_test(test_text_and_empty_files),
        cmocka_unit_test(test_directories_sorted_and_filtered),
        cmocka_unit_test(test_parts_cover_every_document_once),
    };
    return cmocka_run_group_tests_name("reader", tests, NULL, NULL);
}
