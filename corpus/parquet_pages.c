/* Parquet pages: a column cursor walks one column chunk page by page
 * (dictionary page, data pages v1 and v2), decompresses each page once and
 * decodes its definition levels and values lazily, one value per row, so
 * a column needs one decompressed page of memory whatever its row count.
 * Every length, level, index and decompressed size is checked. */
#include <lz4.h>
#include <stdarg.h>
#include <snappy-c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "parquet_internal.h"

static int err(pq_col *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int err(pq_col *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->msg, sizeof c->msg, fmt, ap);
    va_end(ap);
    return -1;
}

static const char *enc_name(int e)
{
    static const char *const names[] = {"PLAIN", "GROUP_VAR_INT", "PLAIN_DICTIONARY", "RLE",
                                        "BIT_PACKED", "DELTA_BINARY_PACKED",
                                        "DELTA_LENGTH_BYTE_ARRAY", "DELTA_BYTE_ARRAY",
                                        "RLE_DICTIONARY", "BYTE_STREAM_SPLIT"};
    return e >= 0 && e < 10 ? names[e] : "unknown";
}

static const char *codec_name(int c)
{
    static const char *const names[] = {"UNCOMPRESSED", "SNAPPY", "GZIP", "LZO",
                                        "BROTLI", "LZ4 (Hadoop framing)", "ZSTD", "LZ4_RAW"};
    return c >= 0 && c < 8 ? names[c] : "unknown";
}

static int width_of(const pq_col *c)
{
    switch (c->type) {
    case PQ_INT32:
    case PQ_FLOAT: return 4;
    case PQ_INT64:
    case PQ_DOUBLE: return 8;
    case PQ_INT96: return 12;
    case PQ_FLBA: return c->type_length;
    default: return 0;
    }
}

static bool uvar(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
    *v = 0;
    for (int shift = 0; shift < 64 && *p < end; shift += 7) {
        uint8_t b = *(*p)++;
        *v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            return true;
    }
    return false;
}

/* bw (0..64) bits at bit position pos of base; the caller checked the bytes exist. */
static inline uint64_t get_bits(const uint8_t *base, size_t avail, uint64_t pos, int bw)
{
    if (bw == 0)
        return 0;
    const uint8_t *b = base + (pos >> 3);
    unsigned sh = (unsigned)(pos & 7);
    size_t left = avail - (size_t)(pos >> 3);
    if (bw <= 56 && left >= 8) {
        uint64_t w;
        memcpy(&w, b, 8);
        return (w >> sh) & ((UINT64_C(1) << bw) - 1);
    }
    unsigned n = (sh + (unsigned)bw + 7) / 8;
    unsigned __int128 acc = 0;
    for (unsigned i = 0; i < n; i++)
        acc |= (unsigned __int128)b[i] << (8 * i);
    acc >>= sh;
    return bw == 64 ? (uint64_t)acc : (uint64_t)acc & ((UINT64_C(1) << bw) - 1);
}

/* ---- the RLE/bit-packed hybrid ---- */

static void rle_init(pq_rle *r, const uint8_t *p, const uint8_t *end, int bw)
{
    *r = (pq_rle){.p = p, .end = end, .bw = bw};
}

static int rle_next(pq_col *c, pq_rle *r, uint64_t *v)
{
    while (r->run == 0) {
        uint64_t h;
        if (r->p >= r->end)
            return err(c, "RLE/bit-packed data ends before its values");
        if (!uvar(&r->p, r->end, &h))
            return err(c, "truncated RLE/bit-packed run header");
        if (h & 1) {
            uint64_t groups = h >> 1, avail = (uint64_t)(r->end - r->p);
            uint64_t bytes = r->bw ? groups * (uint64_t)r->bw : 0;
            if (r->bw && (groups > avail || bytes > avail)) {
                bytes = avail; /* a short last run: its values end with the data */
                groups = avail / (uint64_t)r->bw;
                r->run = avail * 8 / (uint64_t)r->bw;
            } else {
                r->run = groups > UINT64_MAX / 8 ? UINT64_MAX : groups * 8;
            }
            r->packed = true;
            r->bits = r->p;
            r->bits_end = r->p + bytes;
            r->bitpos = 0;
            r->p += bytes;
        } else {
            unsigned nb = ((unsigned)r->bw + 7) / 8;
            if ((size_t)(r->end - r->p) < nb)
                return err(c, "truncated RLE run value");
            uint64_t x = 0;
            for (unsigned i = 0; i < nb; i++)
                x |= (uint64_t)r->p[i] << (8 * i);
            r->p += nb;
            r->value = x;
            r->run = h >> 1;
            r->packed = false;
        }
    }
    r->run--;
    if (!r->packed) {
        *v = r->value;
        return 0;
    }
    size_t avail = (size_t)(r->bits_end - r->bits);
    if (r->bitpos + (uint64_t)r->bw > (uint64_t)avail * 8)
        return err(c, "bit-packed run ends before its values");
    *v = get_bits(r->bits, avail, r->bitpos, r->bw);
    r->bitpos += (uint64_t)r->bw;
    return 0;
}

/* ---- DELTA_BINARY_PACKED ---- */

static int dbp_header(pq_col *c, pq_dbp *d, const uint8_t *p, const uint8_t *end)
{
    uint64_t block, n_mini, total, zz;
    if (!uvar(&p, end, &block) || !uvar(&p, end, &n_mini) || !uvar(&p, end, &total) ||
        !uvar(&p, end, &zz))
        return err(c, "truncated DELTA_BINARY_PACKED header");
    if (block == 0 || block > (1u << 20) || n_mini == 0 || block % n_mini != 0 ||
        (block / n_mini) % 8 != 0)
        return err(c, "bad DELTA_BINARY_PACKED block size %llu with %llu miniblocks",
                   (unsigned long long)block, (unsigned long long)n_mini);
    *d = (pq_dbp){.p = p, .end = end, .block = block, .n_mini = n_mini,
                  .per_mini = block / n_mini, .left = total, .first = total > 0,
                  .last = (zz >> 1) ^ -(zz & 1), .mini = n_mini};
    return 0;
}

/* Where the DELTA_BINARY_PACKED data starting at p ends (DELTA_LENGTH_BYTE_ARRAY
 * and DELTA_BYTE_ARRAY put more data after it). */
static int dbp_end(pq_col *c, const uint8_t *p, const uint8_t *end, const uint8_t **out)
{
    pq_dbp d;
    if (dbp_header(c, &d, p, end))
        return -1;
    p = d.p;
    uint64_t left = d.left ? d.left - 1 : 0;
    while (left > 0) {
        uint64_t zz;
        if (!uvar(&p, end, &zz) || (uint64_t)(end - p) < d.n_mini)
            return err(c, "truncated DELTA_BINARY_PACKED block");
        const uint8_t *w = p;
        p += d.n_mini;
        for (uint64_t i = 0; i < d.n_mini && left > 0; i++) {
            if (w[i] > 64)
                return err(c, "DELTA_BINARY_PACKED bit width %u over 64", w[i]);
            uint64_t bytes = d.per_mini * w[i] / 8;
            if (bytes > (uint64_t)(end - p))
                return err(c, "truncated DELTA_BINARY_PACKED miniblock");
            p += bytes;
            left -= left < d.per_mini ? left : d.per_mini;
        }
    }
    *out = p;
    return 0;
}

static int dbp_next(pq_col *c, pq_dbp *d, uint64_t *v)
{
    if (d->left == 0)
        return err(c, "more values than the DELTA_BINARY_PACKED data holds");
    d->left--;
    if (d->first) {
        d->first = false;
        *v = d->last;
        return 0;
    }
    if (d->in_mini == 0) {
        if (d->mini == d->n_mini) {
            uint64_t zz;
            if (!uvar(&d->p, d->end, &zz) || (uint64_t)(d->end - d->p) < d->n_mini)
                return err(c, "truncated DELTA_BINARY_PACKED block");
            d->min_delta = (zz >> 1) ^ -(zz & 1);
            d->widths = d->p;
            d->p += d->n_mini;
            d->mini = 0;
        }
        d->mbw = d->widths[d->mini++];
        if (d->mbw > 64)
            return err(c, "DELTA_BINARY_PACKED bit width %d over 64", d->mbw);
        uint64_t bytes = d->per_mini * (uint64_t)d->mbw / 8;
        uint64_t avail = (uint64_t)(d->end - d->p);
        if (bytes > avail)
            bytes = avail;
        d->mp = d->p;
        d->mend = d->p + bytes;
        d->p += bytes;
        d->mbit = 0;
        d->in_mini = d->per_mini;
    }
    d->in_mini--;
    size_t avail = (size_t)(d->mend - d->mp);
    if (d->mbit + (uint64_t)d->mbw > (uint64_t)avail * 8)
        return err(c, "truncated DELTA_BINARY_PACKED miniblock");
    uint64_t delta = get_bits(d->mp, avail, d->mbit, d->mbw);
    d->mbit += (uint64_t)d->mbw;
    d->last += d->min_delta + delta; /* wrapping, as the format defines */
    *v = d->last;
    return 0;
}

/* ---- decompression ---- */

static int grow(uint8_t **buf, size_t *cap, size_t need)
{
    if (*cap >= need)
        return 0;
    size_t n = need < 4096 ? 4096 : need;
    uint8_t *b = realloc(*buf, n);
    if (!b)
        return -1;
    *buf = b;
    *cap = n;
    return 0;
}

/* src (n bytes) decompressed to exactly out_n bytes, in c->page (or src
 * itself when uncompressed). */
static int decompress(pq_col *c, int codec, const uint8_t *src, size_t n, int64_t out_n,
                      const uint8_t **out)
{
    if (out_n < 0 || (uint64_t)out_n > c->max_page)
        return err(c, "page of %lld bytes when decompressed, over the limit of %zu",
                   (long long)out_n, c->max_page);
    size_t want = (size_t)out_n;
    if (codec == PQ_UNCOMPRESSED) {
        if (want != n)
            return err(c, "uncompressed page of %zu bytes declares %zu", n, want);
        *out = src;
        return 0;
    }
    if (grow(&c->page, &c->page_cap, want + 1))
        return err(c, "out of memory for a page of %zu bytes", want);
    size_t got = 0;
    switch (codec) {
    case PQ_SNAPPY: {
        size_t len;
        if (snappy_uncompressed_length((const char *)src, n, &len) != SNAPPY_OK)
            return err(c, "corrupt snappy data");
        if (len != want)
            return err(c, "snappy page holds %zu bytes, its header says %zu", len, want);
        if (snappy_uncompress((const char *)src, n, (char *)c->page, &len) != SNAPPY_OK)
            return err(c, "corrupt snappy data");
        got = len;
        break;
    }
    case PQ_GZIP: {
        z_stream z;
        memset(&z, 0, sizeof z);
        if (inflateInit2(&z, 15 + 32) != Z_OK)
            return err(c, "cannot start zlib");
        const uint8_t *in = src;
        size_t in_left = n;
        int rc = Z_OK;
        while (rc != Z_STREAM_END) {
            unsigned chunk_in = in_left > (1u << 30) ? 1u << 30 : (unsigned)in_left;
            size_t room = want + 1 - got;
            unsigned chunk_out = room > (1u << 30) ? 1u << 30 : (unsigned)room;
            z.next_in = (Bytef *)in;
            z.avail_in = chunk_in;
            z.next_out = c->page + got;
            z.avail_out = chunk_out;
            rc = inflate(&z, Z_NO_FLUSH);
            in += chunk_in - z.avail_in;
            in_left -= chunk_in - z.avail_in;
            got += chunk_out - z.avail_out;
            if (rc == Z_STREAM_END && in_left > 0 && got <= want) {
                /* a further gzip member */
                inflateReset(&z);
                rc = Z_OK;
                continue;
            }
            if (rc != Z_OK && rc != Z_STREAM_END) {
                inflateEnd(&z);
                return err(c, "corrupt gzip data (%s)", z.msg ? z.msg : "truncated");
            }
            if (got > want || (rc == Z_OK && in_left == 0 && z.avail_out > 0)) {
                inflateEnd(&z);
                return err(c, "gzip page does not decompress to the %zu bytes its header says",
                           want);
            }
        }
        inflateEnd(&z);
        break;
    }
    case PQ_ZSTD: {
        size_t r = ZSTD_decompressDCtx(c->zstd, c->page, want, src, n);
        if (ZSTD_isError(r))
            return err(c, "corrupt zstd data: %s", ZSTD_getErrorName(r));
        got = r;
        break;
    }
    case PQ_LZ4_RAW: {
        if (n > (size_t)INT32_MAX || want > (size_t)INT32_MAX)
            return err(c, "LZ4 page too large");
        int r = LZ4_decompress_safe((const char *)src, (char *)c->page, (int)n, (int)want);
        if (r < 0)
            return err(c, "corrupt LZ4 data");
        got = (size_t)r;
        break;
    }
    default:
        return err(c, "compression codec %s (%d) is not supported", codec_name(codec), codec);
    }
    if (got != want)
        return err(c, "page decompresses to %zu bytes, its header says %zu", got, want);
    *out = c->page;
    return 0;
}

/* ---- PLAIN values ---- */

static int plain_next(pq_col *c, const uint8_t **vp, const uint8_t *vend, uint64_t *bit,
                      pq_value *v)
{
    size_t avail = (size_t)(vend - *vp);
    if (c->type == PQ_BOOLEAN) {
        if (*bit / 8 >= avail)
            return err(c, "PLAIN booleans end before their values");
        v->tmp[0] = ((*vp)[*bit / 8] >> (*bit % 8)) & 1;
        (*bit)++;
        v->ptr = v->tmp;
        v->len = 1;
        return 0;
    }
    if (c->type == PQ_BYTE_ARRAY) {
        if (avail < 4)
            return err(c, "PLAIN byte array length past the end of the page");
        uint32_t n = (uint32_t)(*vp)[0] | (uint32_t)(*vp)[1] << 8 | (uint32_t)(*vp)[2] << 16 |
                     (uint32_t)(*vp)[3] << 24;
        if (n > avail - 4)
            return err(c, "PLAIN byte array of %u bytes runs past the end of the page", n);
        v->ptr = *vp + 4;
        v->len = n;
        *vp += 4 + (size_t)n;
        return 0;
    }
    size_t w = (size_t)width_of(c);
    if (avail < w)
        return err(c, "PLAIN values end before the page's values do");
    v->ptr = *vp;
    v->len = w;
    *vp += w;
    return 0;
}

/* ---- pages ---- */

static int load_dict(pq_col *c, const pq_page_header *h, const uint8_t *src, size_t n)
{
    if (c->has_dict)
        return err(c, "a second dictionary page");
    if (h->encoding != PQ_PLAIN && h->encoding != PQ_PLAIN_DICTIONARY)
        return err(c, "dictionary page encoding %s is not supported", enc_name(h->encoding));
    if (c->type == PQ_BOOLEAN)
        return err(c, "dictionary page for a BOOLEAN column");
    const uint8_t *data;
    if (decompress(c, c->codec, src, n, h->uncompressed, &data))
        return -1;
    if (data == c->page) { /* keep it: the next page reuses c->page */
        uint8_t *t = c->dict_buf;
        size_t tc = c->dict_cap;
        c->dict_buf = c->page;
        c->dict_cap = c->page_cap;
        c->page = t;
        c->page_cap = tc;
        data = c->dict_buf;
    }
    size_t len = (size_t)h->uncompressed;
    size_t minw = c->type == PQ_BYTE_ARRAY ? 4 : (size_t)width_of(c);
    if (h->num_values < 0 || (minw && (uint64_t)h->num_values > len / minw) ||
        (!minw && (uint64_t)h->num_values > len + 1))
        return err(c, "dictionary of %lld values cannot fit in %zu bytes",
                   (long long)h->num_values, len);
    size_t k = (size_t)h->num_values;
    if (k > c->dict_n_cap) {
        pq_value *d = realloc(c->dict, k * sizeof *d);
        if (!d)
            return err(c, "out of memory for a dictionary of %zu values", k);
        c->dict = d;
        c->dict_n_cap = k;
    }
    const uint8_t *vp = data, *vend = data + len;
    uint64_t bit = 0;
    for (size_t i = 0; i < k; i++)
        if (plain_next(c, &vp, vend, &bit, &c->dict[i]))
            return err(c, "dictionary page: values end after %zu of %zu", i, k);
    c->dict_n = k;
    c->has_dict = true;
    return 0;
}

static int start_values(pq_col *c, int enc, const uint8_t *vp, const uint8_t *vend)
{
    c->enc = enc;
    c->vp = vp;
    c->vend = vend;
    c->bit = 0;
    switch (enc) {
    case PQ_PLAIN:
        return 0;
    case PQ_PLAIN_DICTIONARY:
    case PQ_RLE_DICTIONARY:
        if (!c->has_dict)
            return err(c, "dictionary-encoded page without a dictionary page");
        if (vp >= vend) {
            rle_init(&c->idx, vend, vend, 0); /* a page of nulls only */
            return 0;
        }
        if (*vp > 32)
            return err(c, "dictionary index bit width %u over 32", *vp);
        rle_init(&c->idx, vp + 1, vend, *vp);
        return 0;
    case PQ_RLE: {
        if (c->type != PQ_BOOLEAN)
            return err(c, "RLE values in a column that is not BOOLEAN");
        if (vend - vp < 4)
            return err(c, "truncated RLE boolean length");
        uint32_t n = (uint32_t)vp[0] | (uint32_t)vp[1] << 8 | (uint32_t)vp[2] << 16 |
                     (uint32_t)vp[3] << 24;
        if (n > (size_t)(vend - vp) - 4)
            return err(c, "RLE boolean length %u past the end of the page", n);
        rle_init(&c->idx, vp + 4, vp + 4 + n, 1);
        return 0;
    }
    case PQ_DELTA_BINARY_PACKED:
        if (c->type != PQ_INT32 && c->type != PQ_INT64)
            return err(c, "DELTA_BINARY_PACKED values in a column that is not INT32/INT64");
        return dbp_header(c, &c->d1, vp, vend);
    case PQ_DELTA_LENGTH_BYTE_ARRAY: {
        if (c->type != PQ_BYTE_ARRAY)
            return err(c, "DELTA_LENGTH_BYTE_ARRAY values in a column that is not BYTE_ARRAY");
        const uint8_t *data;
        if (dbp_end(c, vp, vend, &data) || dbp_header(c, &c->d1, vp, data))
            return -1;
        c->vp = data;
        return 0;
    }
    case PQ_DELTA_BYTE_ARRAY: {
        if (c->type != PQ_BYTE_ARRAY && c->type != PQ_FLBA)
            return err(c, "DELTA_BYTE_ARRAY values in a column that is not a byte array");
        const uint8_t *s1, *s2;
        if (dbp_end(c, vp, vend, &s1) || dbp_header(c, &c->d1, vp, s1) ||
            dbp_end(c, s1, vend, &s2) || dbp_header(c, &c->d2, s1, s2))
            return -1;
        c->vp = s2;
        c->prev_len = 0;
        return 0;
    }
    case PQ_BYTE_STREAM_SPLIT: {
        size_t w = (size_t)width_of(c);
        if (w == 0 || w > 16)
            return err(c, "BYTE_STREAM_SPLIT for this column type is not supported");
        if ((size_t)(vend - vp) % w)
            return err(c, "BYTE_STREAM_SPLIT data of %zu bytes is not a multiple of %zu",
                       (size_t)(vend - vp), w);
        c->bss_n = (size_t)(vend - vp) / w;
        c->bss_k = 0;
        return 0;
    }
    default:
        return err(c, "value encoding %s (%d) is not supported", enc_name(enc), enc);
    }
}

static int next_page(pq_col *c)
{
    for (;;) {
        if (c->pos >= c->chunk_len)
            return err(c, "the column chunk ends with %lld values still to come",
                       (long long)c->values_left);
        pq_page_header h;
        size_t used;
        char m[PQ_MSG];
        if (pq_parse_page_header(c->chunk + c->pos, c->chunk_len - c->pos, &h, &used, m))
            return err(c, "corrupt Parquet page header at byte %zu of the column chunk: %s", c->pos, m);
        size_t at = c->pos;
        c->pos += used;
        if ((uint64_t)h.compressed > c->chunk_len - c->pos)
            return err(c, "page of %lld bytes at byte %zu runs past the column chunk",
                       (long long)h.compressed, at);
        const uint8_t *src = c->chunk + c->pos;
        size_t n = (size_t)h.compressed;
        c->pos += n;
        if (h.type == PQ_DICTIONARY_PAGE) {
            if (!h.has_dict)
                return err(c, "dictionary page without its header");
            if (load_dict(c, &h, src, n))
                return -1;
            continue;
        }
        if (h.type != PQ_DATA_PAGE && h.type != PQ_DATA_PAGE_V2)
            continue; /* index pages and unknown kinds carry no values */
        if (h.num_values < 0 || h.num_values > c->values_left)
            return err(c, "data page of %lld values where %lld are left in the column chunk",
                       (long long)h.num_values, (long long)c->values_left);
        const uint8_t *data, *p, *end;
        if (h.type == PQ_DATA_PAGE) {
            if (!h.has_data)
                return err(c, "data page without its header");
            if (decompress(c, c->codec, src, n, h.uncompressed, &data))
                return -1;
            p = data;
            end = data + h.uncompressed;
            if (c->max_def > 0) {
                if (h.def_encoding != PQ_RLE)
                    return err(c, "definition levels in %s are not supported",
                               enc_name(h.def_encoding));
                if (end - p < 4)
                    return err(c, "truncated definition levels length");
                uint32_t L = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                             (uint32_t)p[3] << 24;
                if (L > (size_t)(end - p) - 4)
                    return err(c, "definition levels of %u bytes past the end of the page", L);
                rle_init(&c->def, p + 4, p + 4 + L, 1);
                p += 4 + L;
            }
        } else {
            if (!h.has_v2)
                return err(c, "data page v2 without its header");
            if (h.def_len < 0 || h.rep_len < 0 || h.def_len + h.rep_len > h.compressed ||
                h.def_len + h.rep_len > h.uncompressed)
                return err(c, "data page v2 levels of %lld+%lld bytes do not fit the page",
                           (long long)h.rep_len, (long long)h.def_len);
            size_t lv = (size_t)(h.def_len + h.rep_len);
            if (c->max_def > 0)
                rle_init(&c->def, src + h.rep_len, src + lv, 1);
            if (h.is_compressed && c->codec != PQ_UNCOMPRESSED) {
                if (decompress(c, c->codec, src + lv, n - lv, h.uncompressed - (int64_t)lv,
                               &data))
                    return -1;
                p = data;
                end = data + (h.uncompressed - (int64_t)lv);
            } else {
                p = src + lv;
                end = src + n;
            }
        }
        if (start_values(c, h.encoding, p, end))
            return -1;
        c->page_left = h.num_values;
        if (c->page_left > 0)
            return 0;
    }
}

void pq_col_reset(pq_col *c)
{
    c->pos = 0;
    c->has_dict = false;
    c->dict_n = 0;
    c->page_left = 0;
    c->prev_len = 0;
}

static void put_le(pq_value *v, uint64_t x, size_t w)
{
    for (size_t i = 0; i < w; i++)
        v->tmp[i] = (uint8_t)(x >> (8 * i));
    v->ptr = v->tmp;
    v->len = w;
}

int pq_col_next(pq_col *c, bool *is_null, pq_value *v)
{
    if (c->values_left <= 0)
        return err(c, "the column chunk has fewer values than the row group has rows");
    while (c->page_left == 0)
        if (next_page(c))
            return -1;
    c->page_left--;
    c->values_left--;
    *is_null = false;
    if (c->max_def > 0) {
        uint64_t lvl;
        if (rle_next(c, &c->def, &lvl))
            return -1;
        if (lvl > (uint64_t)c->max_def)
            return err(c, "definition level %llu above the column's maximum %d",
                       (unsigned long long)lvl, c->max_def);
        if (lvl < (uint64_t)c->max_def) {
            *is_null = true;
            return 0;
        }
    }
    uint64_t x;
    switch (c->enc) {
    case PQ_PLAIN:
        return plain_next(c, &c->vp, c->vend, &c->bit, v);
    case PQ_PLAIN_DICTIONARY:
    case PQ_RLE_DICTIONARY:
        if (rle_next(c, &c->idx, &x))
            return -1;
        if (x >= c->dict_n)
            return err(c, "dictionary index %llu out of range (the dictionary has %zu values)",
                       (unsigned long long)x, c->dict_n);
        *v = c->dict[x];
        return 0;
    case PQ_RLE:
        if (rle_next(c, &c->idx, &x))
            return -1;
        put_le(v, x & 1, 1);
        return 0;
    case PQ_DELTA_BINARY_PACKED:
        if (dbp_next(c, &c->d1, &x))
            return -1;
        put_le(v, x, c->type == PQ_INT32 ? 4 : 8);
        return 0;
    case PQ_DELTA_LENGTH_BYTE_ARRAY:
        if (dbp_next(c, &c->d1, &x))
            return -1;
        if (x > (uint64_t)(c->vend - c->vp))
            return err(c, "DELTA_LENGTH_BYTE_ARRAY value of %lld bytes runs past the page",
                       (long long)x);
        v->ptr = c->vp;
        v->len = (size_t)x;
        c->vp += x;
        return 0;
    case PQ_DELTA_BYTE_ARRAY: {
        uint64_t prefix, slen;
        if (dbp_next(c, &c->d1, &prefix) || dbp_next(c, &c->d2, &slen))
            return -1;
        if (prefix > c->prev_len)
            return err(c, "DELTA_BYTE_ARRAY prefix of %lld bytes is longer than the value "
                          "before (%zu)", (long long)prefix, c->prev_len);
        if (slen > (uint64_t)(c->vend - c->vp))
            return err(c, "DELTA_BYTE_ARRAY suffix of %lld bytes runs past the page",
                       (long long)slen);
        if (grow(&c->prev, &c->prev_cap, (size_t)(prefix + slen) + 1))
            return err(c, "out of memory");
        memcpy(c->prev + prefix, c->vp, (size_t)slen);
        c->vp += slen;
        c->prev_len = (size_t)(prefix + slen);
        if (c->type == PQ_FLBA && c->prev_len != (size_t)c->type_length)
            return err(c, "DELTA_BYTE_ARRAY value of %zu bytes in a column of %d", c->prev_len,
                       c->type_length);
        v->ptr = c->prev;
        v->len = c->prev_len;
        return 0;
    }
    case PQ_BYTE_STREAM_SPLIT: {
        if (c->bss_k >= c->bss_n)
            return err(c, "BYTE_STREAM_SPLIT data ends before its values");
        size_t w = (size_t)width_of(c);
        for (size_t j = 0; j < w; j++)
            v->tmp[j] = c->vp[j * c->bss_n + c->bss_k];
        c->bss_k++;
        v->ptr = v->tmp;
        v->len = w;
        return 0;
    }
    }
    return err(c, "no value encoding");
}

void pq_col_free(pq_col *c)
{
    free(c->dict_buf);
    free(c->dict);
    free(c->page);
    free(c->prev);
    memset(c, 0, sizeof *c);
}
