/* Records: building and walking the flat field buffer of record.h. */
#include "longweave/record.h"

#include <stdint.h>
#include <string.h>

enum { HEAD = 1 + sizeof(uint32_t) + sizeof(uint64_t) };

int lw_record_open(lw_buf *rec, lw_field_kind kind, const char *key, size_t key_len,
                   size_t *mark)
{
    if (key_len > UINT32_MAX || lw_buf_reserve(rec, HEAD + key_len))
        return -1;
    char *h = rec->data + rec->len;
    uint32_t k = (uint32_t)key_len;
    uint64_t v = 0;
    h[0] = (char)kind;
    memcpy(h + 1, &k, sizeof k);
    memcpy(h + 1 + sizeof k, &v, sizeof v);
    memcpy(h + HEAD, key, key_len);
    *mark = rec->len;
    rec->len += HEAD + key_len;
    return 0;
}

void lw_record_close(lw_buf *rec, size_t mark)
{
    uint32_t k;
    memcpy(&k, rec->data + mark + 1, sizeof k);
    uint64_t v = rec->len - mark - HEAD - k;
    memcpy(rec->data + mark + 1 + sizeof k, &v, sizeof v);
}

bool lw_record_next(const char *rec, size_t len, size_t *pos, lw_record_field *f)
{
    size_t at = *pos;
    uint32_t k;
    uint64_t v;
    if (at >= len || len - at < HEAD)
        goto end;
    memcpy(&k, rec + at + 1, sizeof k);
    memcpy(&v, rec + at + 1 + sizeof k, sizeof v);
    if (len - at - HEAD < k || len - at - HEAD - k < v)
        goto end;
    f->kind = (lw_field_kind)(unsigned char)rec[at];
    f->key = rec + at + HEAD;
    f->key_len = k;
    f->value = f->key + k;
    f->value_len = (size_t)v;
    *pos = at + HEAD + k + (size_t)v;
    return true;
end:
    *pos = len;
    return false;
}
