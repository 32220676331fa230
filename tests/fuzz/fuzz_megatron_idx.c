/* libFuzzer target: the Megatron .idx reader on arbitrary index files with a
 * .bin of a size the input chooses. Whatever the reader accepts must be safe
 * to walk: every sequence's length, pointer and tokens, every document
 * index, through the mapped reader and the pread-based source alike. */
#include <stdint.h>

#include "fuzz_common.h"
#include "longweave/megatron.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    size_t bin_size = (size_t)data[0] << 4 | (data[1] & 15); /* 0..4095 bytes */
    static uint8_t zeros[4096];
    fuzz_file("d.bin", zeros, bin_size);
    const char *idx = fuzz_file("d.idx", data + 2, size - 2);
    char prefix[256];
    snprintf(prefix, sizeof prefix, "%.*s", (int)(strlen(idx) - 4), idx);
    lw_megatron_dataset d;
    lw_error err;
    if (lw_megatron_read(&d, prefix, &err) == LW_OK) {
        uint64_t sum = 0;
        for (uint64_t s = 0; s < d.sequences; s++) {
            sum += lw_megatron_pointer(&d, s);
            for (uint32_t i = 0, n = lw_megatron_length(&d, s); i < n; i++)
                sum += lw_megatron_token(&d, s, i);
        }
        for (uint64_t i = 0; i < d.documents + 1; i++)
            sum += lw_megatron_doc_index(&d, i);
        if (sum == 42) /* keep the walk from being optimised away */
            fprintf(stderr, " ");
        lw_megatron_close(&d);
    }
    lw_megatron_source src;
    if (lw_megatron_source_open(&src, prefix, LW_MASK_PROBE, &err) == LW_OK) {
        uint8_t buf[4 * 4096], mask[4096];
        for (uint64_t s = 0; s < src.d.sequences; s++)
            if (lw_megatron_length(&src.d, s) <= sizeof mask &&
                lw_megatron_source_read(&src, s, buf, mask, &err) != LW_OK)
                break;
        lw_megatron_source_close(&src);
    }
    return 0;
}
