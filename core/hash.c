/* XXH3 content hashes and streaming SHA-256 checksums. */
#include "longweave/hash.h"

#include <nettle/sha2.h>
#include <stdlib.h>
#include <xxhash.h>

#include "longweave/fileio.h"

lw_hash128 lw_hash128_bytes(const void *data, size_t len)
{
    XXH128_hash_t h = XXH3_128bits(data, len);
    return (lw_hash128){h.low64, h.high64};
}

uint64_t lw_hash64_bytes(const void *data, size_t len, uint64_t seed)
{
    return XXH3_64bits_withSeed(data, len, seed);
}

/* nettle's SHA-256: it uses the CPU's SHA extensions where there are some
 * (as OpenSSL does), and loading it costs a few pages where OpenSSL's EVP
 * layer maps its providers and reads its configuration (about 3 MB of RSS:
 * a tenth of what a 2 MB document may cost in all). */
struct lw_sha256 {
    struct sha256_ctx ctx;
};

lw_sha256 *lw_sha256_new(void)
{
    lw_sha256 *h = malloc(sizeof *h);
    if (h)
        sha256_init(&h->ctx);
    return h;
}

void lw_sha256_update(lw_sha256 *h, const void *data, size_t len)
{
    if (len)
        sha256_update(&h->ctx, len, data);
}

void lw_sha256_final(lw_sha256 *h, char hex[LW_SHA256_HEX])
{
    uint8_t md[SHA256_DIGEST_SIZE];
    sha256_digest(&h->ctx, sizeof md, md);
    static const char digits[] = "0123456789abcdef";
    for (unsigned i = 0; i < sizeof md; i++) {
        hex[2 * i] = digits[md[i] >> 4];
        hex[2 * i + 1] = digits[md[i] & 15];
    }
    hex[64] = '\0';
}

void lw_sha256_free(lw_sha256 *h)
{
    free(h);
}

static void sha_chunk(void *ctx, const char *data, size_t len)
{
    lw_sha256_update(ctx, data, len);
}

lw_status lw_sha256_file(const char *path, char hex[LW_SHA256_HEX], lw_error *err)
{
    lw_sha256 *h = lw_sha256_new();
    if (!h)
        return lw_error_set(err, LW_E_NOMEM, "out of memory hashing %s", path);
    lw_status st = lw_file_scan(path, UINT64_MAX, sha_chunk, h, err);
    if (st == LW_OK)
        lw_sha256_final(h, hex);
    lw_sha256_free(h);
    return st;
}
