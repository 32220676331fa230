/* Content kinds by magic bytes, and one streaming decoder over libzstd, ISA-L
 * (gzip), liblzma and libbz2 that reads concatenated frames, members and
 * streams. gzip goes through ISA-L's igzip rather than zlib: its inflate is
 * about 3.5x zlib's here (bench/compressed_bench.sh), and gzip inflate was a
 * quarter of shard's CPU time on .json.gz corpora. */
#include "longweave/decompress.h"

#include <bzlib.h>
#include <isa-l/igzip_lib.h>
#include <lzma.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "longweave/utf8.h"

/* xz's own default has no limit; a hostile header may ask for any
 * dictionary, so stop at a size no real corpus file uses (xz -9e: 64 MiB). */
#define XZ_MEMLIMIT ((uint64_t)1 << 30)

struct lw_decoder {
    lw_content_kind kind;
    bool mid;      /* inside a frame, member or stream: ending here is truncation */
    bool live;     /* the kind's decoder state is initialized */
    bool failed;
    bool done;     /* DONE was returned */
    uint64_t consumed;
    char msg[200];
    ZSTD_DCtx *zd;
    struct inflate_state *gz; /* ISA-L's state is large (about 40 KB): allocated once */
    lzma_stream x;
    bz_stream b;
};

static bool has(const unsigned char *p, size_t n, const char *magic, size_t m)
{
    return n >= m && memcmp(p, magic, m) == 0;
}

lw_content_kind lw_content_sniff(const void *head, size_t n)
{
    const unsigned char *p = head;
    if (n >= 4) {
        uint32_t m = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                     (uint32_t)p[3] << 24;
        if (m == 0xFD2FB528u || (m & 0xFFFFFFF0u) == 0x184D2A50u)
            return LW_CONTENT_ZSTD;
    }
    /* gzip: ID1 ID2 and CM = 8 (deflate, the only method defined) */
    if (has(p, n, "\x1f\x8b\x08", 3) || (n == 2 && has(p, n, "\x1f\x8b", 2)))
        return LW_CONTENT_GZIP;
    if (has(p, n, "\xfd" "7zXZ\0", 6))
        return LW_CONTENT_XZ;
    if (has(p, n, "BZh", 3) && n >= 4 && p[3] >= '1' && p[3] <= '9')
        return LW_CONTENT_BZIP2;
    if (has(p, n, "PAR1", 4))
        return LW_CONTENT_PARQUET;
    return LW_CONTENT_PLAIN;
}

const char *lw_content_name(lw_content_kind kind)
{
    switch (kind) {
    case LW_CONTENT_ZSTD: return "zstd";
    case LW_CONTENT_GZIP: return "gzip";
    case LW_CONTENT_XZ: return "xz";
    case LW_CONTENT_BZIP2: return "bzip2";
    case LW_CONTENT_PARQUET: return "parquet";
    case LW_CONTENT_PLAIN: break;
    }
    return "plain";
}

bool lw_content_compressed(lw_content_kind kind)
{
    return kind == LW_CONTENT_ZSTD || kind == LW_CONTENT_GZIP || kind == LW_CONTENT_XZ ||
           kind == LW_CONTENT_BZIP2;
}

const char *lw_content_not_text(const void *head, size_t n)
{
    static const struct {
        const char *magic;
        size_t len;
        const char *what;
    } known[] = {
        {"PK\3\4", 4, "a zip archive"},
        {"PK\5\6", 4, "a zip archive"},
        {"7z\xbc\xaf\x27\x1c", 6, "a 7-Zip archive"},
        {"\x04\x22\x4d\x18", 4, "lz4 data"},
        {"LZIP", 4, "lzip data"},
        {"\x1f\x9d", 2, "compress (.Z) data"},
        {"\xff\x06\0\0sNaPpY", 10, "framed Snappy data"},
        {"\x7f" "ELF", 4, "an ELF executable"},
        {"\x89PNG", 4, "a PNG image"},
        {"ARROW1", 6, "an Arrow file"},
        {"\x93NUMPY", 6, "a NumPy array"},
    };
    const unsigned char *p = head;
    for (size_t i = 0; i < sizeof known / sizeof *known; i++)
        if (has(p, n, known[i].magic, known[i].len))
            return known[i].what;
    if (n >= 262 && memcmp(p + 257, "ustar", 5) == 0)
        return "a tar archive";
    if (!memchr(p, 0, n))
        return NULL;
    if (has(p, n, "\xff\xfe", 2) || has(p, n, "\xfe\xff", 2))
        return "UTF-16 text (convert it to UTF-8)";
    /* A sequence cut by the end of the sniffed bytes is not invalid. */
    size_t ok = lw_utf8_valid_prefix((const char *)p, n, NULL);
    if (ok + 3 >= n)
        return NULL;
    return "binary data: NUL bytes and invalid UTF-8";
}

lw_status lw_content_refuse(lw_error *err, const char *path, lw_content_kind kind,
                            const char *why)
{
    if (lw_content_compressed(kind))
        return lw_error_set(err, LW_E_DATA, "%s: its %s content is not UTF-8 text: it looks like %s",
                            path, lw_content_name(kind), why);
    return lw_error_set(err, LW_E_DATA,
                        "%s: not UTF-8 text and not a known compression (zstd, gzip, xz, "
                        "bzip2): it looks like %s",
                        path, why);
}

lw_status lw_decoder_new(lw_decoder **out, lw_error *err)
{
    lw_decoder *d = calloc(1, sizeof *d);
    if (!d)
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    *out = d;
    return LW_OK;
}

/* Free the state of the current kind (zstd's context is kept for reuse). */
static void end_kind(lw_decoder *d)
{
    if (!d->live)
        return;
    switch (d->kind) {
    case LW_CONTENT_XZ: lzma_end(&d->x); break;
    case LW_CONTENT_BZIP2: BZ2_bzDecompressEnd(&d->b); break;
    default: break;
    }
    d->live = false;
}

void lw_decoder_free(lw_decoder *d)
{
    if (!d)
        return;
    end_kind(d);
    ZSTD_freeDCtx(d->zd);
    free(d->gz);
    free(d);
}

/* (Re)initialize the library state of d->kind: 0, or an LW_DEC_ result. */
static lw_dec_result init_kind(lw_decoder *d)
{
    end_kind(d);
    switch (d->kind) {
    case LW_CONTENT_ZSTD:
        if (!d->zd && !(d->zd = ZSTD_createDCtx()))
            return LW_DEC_NOMEM;
        ZSTD_DCtx_reset(d->zd, ZSTD_reset_session_only);
        break;
    case LW_CONTENT_GZIP:
        if (!d->gz && !(d->gz = malloc(sizeof *d->gz)))
            return LW_DEC_NOMEM;
        isal_inflate_init(d->gz);
        d->gz->crc_flag = ISAL_GZIP; /* header parsed, CRC-32 and length checked */
        break;
    case LW_CONTENT_XZ:
        d->x = (lzma_stream)LZMA_STREAM_INIT;
        /* CONCATENATED: streams and stream padding one after the other, as xz -d reads */
        if (lzma_stream_decoder(&d->x, XZ_MEMLIMIT, LZMA_CONCATENATED) != LZMA_OK)
            return LW_DEC_NOMEM;
        break;
    case LW_CONTENT_BZIP2:
        memset(&d->b, 0, sizeof d->b);
        if (BZ2_bzDecompressInit(&d->b, 0, 0) != BZ_OK)
            return LW_DEC_NOMEM;
        break;
    default:
        return LW_DEC_CORRUPT;
    }
    d->live = true;
    return LW_DEC_OK;
}

lw_status lw_decoder_start(lw_decoder *d, lw_content_kind kind, lw_error *err)
{
    end_kind(d);
    d->kind = kind;
    d->mid = d->failed = d->done = false;
    d->consumed = 0;
    d->msg[0] = '\0';
    if (!lw_content_compressed(kind))
        return lw_error_set(err, LW_E_SOFTWARE, "no decoder for %s content",
                            lw_content_name(kind));
    if (init_kind(d) != LW_DEC_OK)
        return lw_error_set(err, LW_E_NOMEM, "out of memory starting a %s decoder",
                            lw_content_name(kind));
    return LW_OK;
}

static lw_dec_result fail(lw_decoder *d, const char *fmt, const char *detail)
{
    d->failed = true;
    char what[120];
    snprintf(what, sizeof what, fmt, detail);
    snprintf(d->msg, sizeof d->msg, "%s %s stream: %s",
             strncmp(what, "the file ends", 13) == 0 ? "truncated" : "corrupt",
             lw_content_name(d->kind), what);
    return LW_DEC_CORRUPT;
}

static const char *gzip_error(int ret)
{
    switch (ret) {
    case ISAL_INVALID_BLOCK: return "invalid deflate block";
    case ISAL_INVALID_SYMBOL: return "invalid deflate symbol";
    case ISAL_INVALID_LOOKBACK: return "invalid distance too far back";
    case ISAL_INVALID_WRAPPER: return "invalid gzip header";
    case ISAL_UNSUPPORTED_METHOD: return "unknown compression method";
    case ISAL_INCORRECT_CHECKSUM: return "incorrect data check";
    default: return "invalid data";
    }
}

static const char *TRUNCATED = "the file ends inside a %s";

static const char *unit_name(lw_content_kind k)
{
    return k == LW_CONTENT_ZSTD ? "frame" : k == LW_CONTENT_GZIP ? "member" : "stream";
}

/* One call into the library. *ended: a frame, member or stream finished. */
static lw_dec_result call(lw_decoder *d, const unsigned char *in, size_t *in_n, bool at_end,
                          unsigned char *out, size_t *out_n, bool *ended)
{
    size_t avail_in = *in_n, avail_out = *out_n;
    *ended = false;
    switch (d->kind) {
    case LW_CONTENT_ZSTD: {
        ZSTD_inBuffer zi = {in, avail_in, 0};
        ZSTD_outBuffer zo = {out, avail_out, 0};
        size_t ret = ZSTD_decompressStream(d->zd, &zo, &zi);
        *in_n = zi.pos;
        *out_n = zo.pos;
        if (ZSTD_isError(ret))
            return fail(d, "%s", ZSTD_getErrorName(ret));
        *ended = ret == 0;
        return LW_DEC_OK;
    }
    case LW_CONTENT_GZIP: {
        /* ISA-L counts in uint32_t: feed at most 1 GiB at a time */
        uint32_t cap_in = avail_in > (1u << 30) ? 1u << 30 : (uint32_t)avail_in;
        uint32_t cap_out = avail_out > (1u << 30) ? 1u << 30 : (uint32_t)avail_out;
        struct inflate_state *g = d->gz;
        g->next_in = (uint8_t *)in;
        g->avail_in = cap_in;
        g->next_out = out;
        g->avail_out = cap_out;
        int ret = isal_inflate(g);
        *in_n = cap_in - g->avail_in;
        *out_n = cap_out - g->avail_out;
        if (ret != ISAL_DECOMP_OK)
            return fail(d, "%s", gzip_error(ret));
        if (g->block_state == ISAL_BLOCK_FINISH) {
            /* the member's trailer is checked: the next member (gzip -c a b,
             * bgzip's blocks) starts from a fresh state */
            *ended = true;
            isal_inflate_reset(g);
            g->crc_flag = ISAL_GZIP;
        }
        return LW_DEC_OK;
    }
    case LW_CONTENT_XZ: {
        d->x.next_in = in;
        d->x.avail_in = avail_in;
        d->x.next_out = out;
        d->x.avail_out = avail_out;
        lzma_ret ret = lzma_code(&d->x, at_end ? LZMA_FINISH : LZMA_RUN);
        *in_n = avail_in - d->x.avail_in;
        *out_n = avail_out - d->x.avail_out;
        switch (ret) {
        case LZMA_OK:
            return LW_DEC_OK;
        case LZMA_STREAM_END: /* only at_end, with LZMA_CONCATENATED */
            *ended = true;
            return LW_DEC_OK;
        case LZMA_BUF_ERROR:
            if (at_end && *out_n == 0)
                return fail(d, TRUNCATED, "stream");
            return LW_DEC_OK;
        case LZMA_MEM_ERROR:
            return LW_DEC_NOMEM;
        case LZMA_MEMLIMIT_ERROR:
            return fail(d, "%s", "it needs a dictionary over 1 GiB");
        case LZMA_FORMAT_ERROR:
            return fail(d, "%s", "not xz data (after the end of a stream?)");
        case LZMA_OPTIONS_ERROR:
            return fail(d, "%s", "unsupported options");
        default:
            return fail(d, "%s", "compressed data is corrupt");
        }
    }
    case LW_CONTENT_BZIP2: {
        unsigned cap_in = avail_in > (1u << 30) ? 1u << 30 : (unsigned)avail_in;
        unsigned cap_out = avail_out > (1u << 30) ? 1u << 30 : (unsigned)avail_out;
        d->b.next_in = (char *)in;
        d->b.avail_in = cap_in;
        d->b.next_out = (char *)out;
        d->b.avail_out = cap_out;
        int ret = BZ2_bzDecompress(&d->b);
        *in_n = cap_in - d->b.avail_in;
        *out_n = cap_out - d->b.avail_out;
        if (ret == BZ_STREAM_END) {
            *ended = true;
            /* the next stream (pbzip2, cat a.bz2 b.bz2) gets a fresh state */
            lw_dec_result r = init_kind(d);
            return r == LW_DEC_OK ? LW_DEC_OK : LW_DEC_NOMEM;
        }
        if (ret == BZ_OK)
            return LW_DEC_OK;
        if (ret == BZ_MEM_ERROR)
            return LW_DEC_NOMEM;
        return fail(d, "%s", ret == BZ_DATA_ERROR_MAGIC ? "not bzip2 data" : "data integrity error");
    }
    default:
        return fail(d, "%s", "no decoder");
    }
}

lw_dec_result lw_decoder_step(lw_decoder *d, const void *in, size_t in_len, size_t *in_pos,
                              bool at_end, void *out, size_t out_cap, size_t *out_len)
{
    *out_len = 0;
    if (d->failed)
        return LW_DEC_CORRUPT;
    if (d->done)
        return LW_DEC_DONE;
    int idle = 0; /* calls in a row without progress */
    for (;;) {
        size_t left = in_len - *in_pos, in_n = left, out_n = out_cap;
        bool ended;
        if (left == 0 && !at_end)
            return LW_DEC_OK;
        if (left == 0 && !d->mid && d->kind != LW_CONTENT_XZ) {
            d->done = true; /* every frame, member or stream was whole */
            return LW_DEC_DONE;
        }
        lw_dec_result r = call(d, (const unsigned char *)in + *in_pos, &in_n, at_end,
                               out, &out_n, &ended);
        *in_pos += in_n;
        d->consumed += in_n;
        *out_len = out_n;
        if (r != LW_DEC_OK)
            return r;
        if (in_n > 0)
            d->mid = true;
        if (ended) {
            d->mid = false;
            if (d->kind == LW_CONTENT_XZ) { /* the end of all the input */
                d->done = true;
                return out_n > 0 ? LW_DEC_OK : LW_DEC_DONE;
            }
        }
        if (out_n > 0)
            return LW_DEC_OK;
        if (in_n > 0 || ended) {
            idle = 0;
            continue;
        }
        /* No progress. liblzma reports a truncation itself on the second
         * such call; the others need input that is not there. */
        if (d->kind == LW_CONTENT_XZ && ++idle < 3)
            continue;
        if (left == 0)
            return fail(d, TRUNCATED, unit_name(d->kind));
        return fail(d, "%s", "the decoder stopped making progress");
    }
}

const char *lw_decoder_message(const lw_decoder *d)
{
    return d->msg;
}

uint64_t lw_decoder_offset(const lw_decoder *d)
{
    return d->consumed;
}
