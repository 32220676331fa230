/* libFuzzer target: the streaming decoders (zstd, gzip, xz, bzip2) on
 * arbitrary bytes, and on real streams of the input made by each library's
 * own encoder, then cut short or with one byte changed, fed in chunks of
 * input and output sizes the input chooses. A whole stream must decode to
 * exactly the input; a damaged one may only stop with CORRUPT (a cut one
 * always does), and what came out before is a prefix of the input unless a
 * byte was changed. Never a crash, a hang or a leak. */
#include <bzlib.h>
#include <lzma.h>
#include <stdint.h>
#include <zlib.h>
#include <zstd.h>

#include "fuzz_common.h"
#include "longweave/decompress.h"

static size_t encode(lw_content_kind kind, const uint8_t *data, size_t size, uint8_t *out,
                     size_t cap)
{
    switch (kind) {
    case LW_CONTENT_ZSTD: {
        size_t n = ZSTD_compress(out, cap, data, size, 1);
        return ZSTD_isError(n) ? 0 : n;
    }
    case LW_CONTENT_GZIP: {
        z_stream z = {0};
        if (deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
            abort();
        z.next_in = (Bytef *)data;
        z.avail_in = (uInt)size;
        z.next_out = out;
        z.avail_out = (uInt)cap;
        int r = deflate(&z, Z_FINISH);
        size_t n = cap - z.avail_out;
        deflateEnd(&z);
        return r == Z_STREAM_END ? n : 0;
    }
    case LW_CONTENT_XZ: {
        size_t pos = 0;
        if (lzma_easy_buffer_encode(0, LZMA_CHECK_CRC32, NULL, data, size, out, &pos, cap) !=
            LZMA_OK)
            return 0;
        return pos;
    }
    case LW_CONTENT_BZIP2: {
        unsigned n = (unsigned)cap;
        if (BZ2_bzBuffToBuffCompress((char *)out, &n, (char *)data, (unsigned)size, 1, 0, 0) !=
            BZ_OK)
            return 0;
        return n;
    }
    default:
        return 0;
    }
}

/* Decode src in chunks; returns the last result, output in *out. */
static lw_dec_result decode(lw_decoder *d, lw_content_kind kind, const uint8_t *src,
                            size_t len, size_t in_step, size_t out_step, uint8_t *out,
                            size_t cap, size_t *out_len)
{
    if (lw_decoder_start(d, kind, NULL))
        abort();
    *out_len = 0;
    size_t fed = 0, pos = 0;
    uint8_t chunk[300];
    for (int guard = 0;; guard++) {
        if (guard > 10000000)
            abort(); /* no progress: a hang */
        if (pos == fed && fed < len)
            fed = fed + in_step < len ? fed + in_step : len;
        size_t got;
        lw_dec_result r = lw_decoder_step(d, src, fed, &pos, fed == len, chunk,
                                          out_step < sizeof chunk ? out_step : sizeof chunk,
                                          &got);
        if (got > cap - *out_len)
            return r; /* more than the input: damaged data may decode to anything */
        memcpy(out + *out_len, chunk, got);
        *out_len += got;
        if (r != LW_DEC_OK)
            return r;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4)
        return 0;
    lw_content_kind kind = (lw_content_kind)(LW_CONTENT_ZSTD + (data[0] & 3));
    unsigned mode = data[0] >> 2 & 3;
    size_t in_step = 1 + data[1] % 97, out_step = 1 + data[2] * 3 % 299;
    size_t at = data[3];
    data += 4;
    size -= 4;
    static lw_decoder *d;
    if (!d && lw_decoder_new(&d, NULL))
        abort();
    size_t cap = size * 2 + 1024, out_len;
    uint8_t *packed = malloc(cap), *out = malloc(cap);
    (void)lw_content_sniff(data, size);
    (void)lw_content_not_text(data, size < LW_CONTENT_TEXT_SNIFF ? size : LW_CONTENT_TEXT_SNIFF);
    if (mode == 0) {
        /* arbitrary bytes given to the decoder */
        decode(d, kind, data, size, in_step, out_step, out, cap, &out_len);
    } else {
        size_t n = encode(kind, data, size, packed, cap);
        if (n == 0)
            abort();
        lw_dec_result r;
        if (mode == 1) { /* whole, twice over (concatenated) */
            memcpy(packed + n, packed, n < cap - n ? n : 0);
            bool twice = n <= cap - n;
            r = decode(d, kind, packed, twice ? 2 * n : n, in_step, out_step, out, cap, &out_len);
            if (r != LW_DEC_DONE || out_len != (twice ? 2 : 1) * size ||
                memcmp(out, data, size) != 0 || (twice && memcmp(out + size, data, size) != 0))
                abort();
        } else if (mode == 2) { /* cut short: always CORRUPT, a prefix before */
            size_t cut = at * n / 256;
            r = decode(d, kind, packed, cut, in_step, out_step, out, cap, &out_len);
            if (cut > 0 && (r != LW_DEC_CORRUPT || out_len > size ||
                            memcmp(out, data, out_len) != 0))
                abort();
            if (r == LW_DEC_CORRUPT && !*lw_decoder_message(d))
                abort();
        } else { /* one byte changed: anything but a crash */
            packed[at * n / 256] ^= (uint8_t)(at | 1);
            decode(d, kind, packed, n, in_step, out_step, out, cap, &out_len);
        }
    }
    free(packed);
    free(out);
    return 0;
}
