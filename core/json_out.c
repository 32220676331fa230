/* JSON string escaping and compact serialization of cJSON trees. */
#include "longweave/json_out.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "longweave/bytes8.h"
#include "longweave/utf8.h"

/* 0: copy; otherwise the escape letter, or 'u' for \u00XX. */
static const char escape_table[256] = {
    ['\b'] = 'b', ['\t'] = 't', ['\n'] = 'n', ['\f'] = 'f', ['\r'] = 'r',
    [0x00] = 'u', [0x01] = 'u', [0x02] = 'u', [0x03] = 'u', [0x04] = 'u', [0x05] = 'u',
    [0x06] = 'u', [0x07] = 'u', [0x0B] = 'u', [0x0E] = 'u', [0x0F] = 'u', [0x10] = 'u',
    [0x11] = 'u', [0x12] = 'u', [0x13] = 'u', [0x14] = 'u', [0x15] = 'u', [0x16] = 'u',
    [0x17] = 'u', [0x18] = 'u', [0x19] = 'u', [0x1A] = 'u', [0x1B] = 'u', [0x1C] = 'u',
    [0x1D] = 'u', [0x1E] = 'u', [0x1F] = 'u', ['"'] = '"', ['\\'] = '\\',
};

int lw_json_put_string(lw_buf *out, const char *s, size_t len)
{
    /* Worst case every byte becomes \u00XX. Reserve for the common case and
     * grow on demand. */
    if (lw_buf_reserve(out, len + 2) || lw_buf_putc(out, '"'))
        return -1;
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < len; i++) {
        /* the runs without a byte to escape (most of any text) are copied whole */
        size_t run = lw_bytes_json_plain(p + i, len - i);
        if (lw_buf_append(out, s + i, run))
            return -1;
        if ((i += run) == len)
            break;
        char e = escape_table[p[i]], esc[7] = {'\\', e};
        size_t n = 2;
        if (e == 'u') {
            snprintf(esc, sizeof esc, "\\u%04x", p[i]);
            n = 6;
        }
        if (lw_buf_append(out, esc, n))
            return -1;
    }
    return lw_buf_putc(out, '"');
}

int lw_json_put_string_repair(lw_buf *out, const char *s, size_t len)
{
    if (lw_utf8_valid_prefix(s, len, NULL) == len)
        return lw_json_put_string(out, s, len);
    lw_buf fixed = {0};
    int rc = lw_utf8_repair(s, len, &fixed, NULL, NULL);
    if (rc == 0)
        rc = lw_json_put_string(out, fixed.data, fixed.len);
    lw_buf_free(&fixed);
    return rc;
}

static int put_number(lw_buf *out, double d)
{
    if (!isfinite(d))
        return lw_buf_puts(out, "null");
    char tmp[32];
    if (d == floor(d) && fabs(d) <= 9007199254740992.0) {
        snprintf(tmp, sizeof tmp, "%.0f", d);
    } else {
        snprintf(tmp, sizeof tmp, "%.15g", d);
        if (strtod(tmp, NULL) != d)
            snprintf(tmp, sizeof tmp, "%.17g", d);
    }
    return lw_buf_puts(out, tmp);
}

int lw_json_put_value(lw_buf *out, const cJSON *v)
{
    if (cJSON_IsNull(v) || cJSON_IsInvalid(v))
        return lw_buf_puts(out, "null");
    if (cJSON_IsTrue(v))
        return lw_buf_puts(out, "true");
    if (cJSON_IsFalse(v))
        return lw_buf_puts(out, "false");
    if (cJSON_IsNumber(v))
        return put_number(out, v->valuedouble);
    if (cJSON_IsString(v))
        return lw_json_put_string_repair(out, v->valuestring, strlen(v->valuestring));
    if (cJSON_IsRaw(v))
        return lw_buf_puts(out, v->valuestring);
    int is_object = cJSON_IsObject(v);
    if (lw_buf_putc(out, is_object ? '{' : '['))
        return -1;
    int first = 1;
    for (const cJSON *c = v->child; c; c = c->next) {
        if (!first && lw_buf_putc(out, ','))
            return -1;
        first = 0;
        if (is_object) {
            const char *k = c->string ? c->string : "";
            if (lw_json_put_string_repair(out, k, strlen(k)) || lw_buf_putc(out, ':'))
                return -1;
        }
        if (lw_json_put_value(out, c))
            return -1;
    }
    return lw_buf_putc(out, is_object ? '}' : ']');
}
