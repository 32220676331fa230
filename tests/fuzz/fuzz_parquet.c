/* libFuzzer target: the Parquet reader on arbitrary files. Whatever it
 * accepts must be safe to read row by row; whatever it refuses must come
 * back as an error, never a crash, a leak or a huge allocation (pages are
 * capped at 1 MiB here). Every row is a record that the document parser
 * and the JSON writer of its fields accept, as shard uses them. Rows are
 * capped so that a footer claiming billions of rows of nothing cannot time
 * the run out. */
#include <stdint.h>
#include <stdlib.h>

#include "fuzz_common.h"
#include "longweave/doc.h"
#include "longweave/parquet.h"

/* Parse a row as shard does and write every field as JSON. */
static size_t use_row(const lw_parquet_row *row)
{
    lw_unit u = {.kind = LW_UNIT_DOC, .format = LW_FORMAT_RECORD, .data = row->data,
                 .len = row->len};
    lw_doc_opts opts = {.text_key = "text", .id_key = "id"};
    lw_doc d;
    lw_buf scratch = {0}, out = {0};
    lw_doc_parse(&d, &u, &opts, &scratch);
    lw_doc_fields it;
    lw_doc_field f;
    lw_doc_fields_begin(&d, &it);
    while (lw_doc_fields_next(&it, &f))
        if (lw_doc_field_put_json(&out, &f))
            abort();
    size_t n = out.len;
    lw_doc_clear(&d);
    lw_buf_free(&scratch);
    lw_buf_free(&out);
    return n;
}

static void read_rows(const char *path, uint64_t size, uint64_t begin, uint64_t end)
{
    lw_parquet_opts o = {.max_doc_bytes = 1 << 16, .max_page_bytes = 1 << 20};
    lw_parquet *p;
    lw_error err;
    if (lw_parquet_open(&p, path, size, begin, end, &o, &err) != LW_OK)
        return;
    size_t sum = 0;
    for (int i = 0; i < 20000; i++) {
        lw_parquet_row row;
        bool got;
        if (lw_parquet_next(p, &row, &got, &err) != LW_OK || !got)
            break;
        if (row.kind == LW_PARQUET_ROW)
            sum += use_row(&row);
    }
    if (sum == 42) /* keep the walk from being optimised away */
        fprintf(stderr, " ");
    lw_parquet_info info;
    lw_parquet_info_get(p, &info);
    lw_parquet_close(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_file("f.parquet", data, size);
    read_rows(path, size, 0, UINT64_MAX);
    read_rows(path, size, size / 2, UINT64_MAX);
    return 0;
}
