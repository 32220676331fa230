/* XXH3 content hashes and streaming SHA-256 checksums. */
#include "longweave/hash.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <xxhash.h>

lw_hash128 lw_hash128_bytes(const void *data, size_t len)
{
    XXH128_hash_t h = XXH3_128bits(data, len);
    return (lw_hash128){h.low64, h.high64};
}

uint64_t lw_hash64_bytes(const void *data, size_t len, uint64_t seed)
{
    return XXH3_64bits_withSeed(data, len, seed);
}

uint64_t lw_mix64(uint64_t x)
{
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

struct lw_sha256 {
    EVP_MD_CTX *ctx;
};

lw_sha256 *lw_sha256_new(void)
{
    lw_sha256 *h = malloc(sizeof *h);
    if (!h)
        return NULL;
    h->ctx = EVP_MD_CTX_new();
    if (!h->ctx || EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(h->ctx);
        free(h);
        return NULL;
    }
    return h;
}

void lw_sha256_update(lw_sha256 *h, const void *data, size_t len)
{
    if (len)
        EVP_DigestUpdate(h->ctx, data, len);
}

void lw_sha256_final(lw_sha256 *h, char hex[LW_SHA256_HEX])
{
    unsigned char md[32];
    unsigned int n = 0;
    EVP_DigestFinal_ex(h->ctx, md, &n);
    static const char digits[] = "0123456789abcdef";
    for (unsigned i = 0; i < 32; i++) {
        hex[2 * i] = digits[md[i] >> 4];
        hex[2 * i + 1] = digits[md[i] & 15];
    }
    hex[64] = '\0';
}

void lw_sha256_free(lw_sha256 *h)
{
    if (!h)
        return;
    EVP_MD_CTX_free(h->ctx);
    free(h);
}

lw_status lw_sha256_file(const char *path, char hex[LW_SHA256_HEX], lw_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return lw_error_errno(err, LW_E_NOINPUT, errno, "cannot open", path);
    lw_sha256 *h = lw_sha256_new();
    enum { CHUNK = 1 << 20 };
    char *buf = malloc(CHUNK);
    if (!h || !buf) {
        close(fd);
        lw_sha256_free(h);
        free(buf);
        return lw_error_set(err, LW_E_NOMEM, "out of memory hashing %s", path);
    }
    lw_status st = LW_OK;
    for (;;) {
        ssize_t n = read(fd, buf, CHUNK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            st = lw_error_errno(err, LW_E_IO, errno, "cannot read", path);
            break;
        }
        if (n == 0)
            break;
        lw_sha256_update(h, buf, (size_t)n);
    }
    if (st == LW_OK)
        lw_sha256_final(h, hex);
    lw_sha256_free(h);
    free(buf);
    close(fd);
    return st;
}
