/* libFuzzer target: the document reader and JSON Lines parser on arbitrary
 * files — plain, zstd-compressed (valid frames of the input), raw bytes
 * under a .zst name (damaged frames), and text files — split into 1 to 4
 * parts. The parts must yield exactly the units of the whole file. Binary
 * content may only be refused, by name. */
#include <stdint.h>
#include <zstd.h>

#include "fuzz_common.h"
#include "longweave/buf.h"
#include "longweave/doc.h"
#include "longweave/input.h"
#include "longweave/reader.h"
#include "longweave/utf8.h"

typedef struct {
    uint64_t offset;
    size_t len;
    int kind;
} seen;

/* Every unit of one part, parsed; appended to *v. */
static void read_part(const lw_input_list *list, unsigned part, unsigned nparts, size_t max_doc,
                      lw_utf8_policy utf8, seen **v, size_t *n)
{
    lw_part_plan plan;
    lw_error err;
    if (lw_part_plan_make(list, part, nparts, &plan, &err))
        abort();
    lw_reader *r;
    lw_reader_opts o = {max_doc};
    if (lw_reader_open(&r, list, &plan, &o, &err))
        abort();
    lw_buf scratch = {0};
    for (;;) {
        lw_unit u;
        bool got;
        if (lw_reader_next(r, &u, &got, &err) || !got)
            break;
        if (u.kind == LW_UNIT_DOC) {
            lw_doc doc;
            lw_doc_opts dopts = {NULL, NULL, utf8};
            if (lw_doc_parse(&doc, &u, &dopts, &scratch) == LW_SKIP_NONE) {
                /* what the parser hands on is valid UTF-8 of the stated size */
                if (lw_utf8_valid_prefix(doc.text, doc.text_len, NULL) != doc.text_len)
                    abort();
                /* a NUL in a JSON text can only come from a \u0000 escape: a raw
                 * one is malformed JSON, never part of (or the end of) a text */
                if (u.format == LW_FORMAT_JSONL && memchr(doc.text, 0, doc.text_len) &&
                    !memmem(u.data, u.len, "\\u0000", 6))
                    abort();
                if (u.format == LW_FORMAT_JSONL && memchr(u.data, 0, u.len))
                    abort();
            }
            lw_doc_clear(&doc);
        }
        *v = realloc(*v, (*n + 1) * sizeof **v);
        (*v)[(*n)++] = (seen){u.kind == LW_UNIT_CORRUPT ? 0 : u.offset, u.len, u.kind};
    }
    lw_buf_free(&scratch);
    lw_reader_close(r);
    lw_part_plan_free(&plan);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    unsigned mode = data[0] & 3, nparts = 1 + (data[0] >> 2 & 3);
    size_t max_doc = 16 + data[1] * 4;
    lw_utf8_policy utf8 = (lw_utf8_policy)(data[1] % 3);
    data += 2;
    size -= 2;
    const char *path;
    void *packed = NULL;
    if (mode == 1) { /* valid zstd frames of the input */
        size_t cap = ZSTD_compressBound(size);
        packed = malloc(cap ? cap : 1);
        size_t n = ZSTD_compress(packed, cap, data, size, 1);
        if (ZSTD_isError(n))
            abort();
        path = fuzz_file("in.jsonl.zst", packed, n);
    } else {
        static const char *const names[] = {"in.jsonl", "", "in.jsonl.zst", "in.txt"};
        path = fuzz_file(names[mode], data, size);
    }
    free(packed);
    lw_input_list list;
    lw_error err;
    const char *paths[] = {path};
    lw_status bs = lw_input_list_build(&list, paths, 1, NULL, &err);
    if (bs == LW_E_DATA && strstr(err.msg, path) && strstr(err.msg, "not UTF-8 text"))
        return 0; /* binary content, refused by name */
    if (bs)
        abort();
    seen *whole = NULL, *parts = NULL;
    size_t n_whole = 0, n_parts = 0;
    read_part(&list, 0, 1, max_doc, utf8, &whole, &n_whole);
    for (unsigned p = 0; p < nparts; p++)
        read_part(&list, p, nparts, max_doc, utf8, &parts, &n_parts);
    if (n_whole != n_parts) /* the parts must cover the file exactly once */
        abort();
    for (size_t i = 0; i < n_whole; i++)
        if (whole[i].offset != parts[i].offset || whole[i].len != parts[i].len ||
            whole[i].kind != parts[i].kind)
            abort();
    free(whole);
    free(parts);
    lw_input_list_free(&list);
    return 0;
}
