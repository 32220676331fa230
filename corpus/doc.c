/* Parsing raw units into documents: JSON, text/id fields, UTF-8 policy. */
#include "longweave/doc.h"

#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "longweave/utf8.h"

static const char *const skip_names[LW_SKIP_COUNT_] = {
    [LW_SKIP_NONE] = "none",
    [LW_SKIP_MALFORMED_JSON] = "malformed_json",
    [LW_SKIP_NOT_OBJECT] = "not_object",
    [LW_SKIP_MISSING_TEXT] = "missing_text",
    [LW_SKIP_TEXT_NOT_STRING] = "text_not_string",
    [LW_SKIP_INVALID_UTF8] = "invalid_utf8",
    [LW_SKIP_NUL] = "nul_character",
    [LW_SKIP_TOO_LARGE] = "over_max_doc_bytes",
    [LW_SKIP_CORRUPT_INPUT] = "corrupt_input",
    [LW_SKIP_TOO_SHORT] = "too_short",
    [LW_SKIP_TOO_LONG] = "too_long",
    [LW_SKIP_KEEP_REGEX] = "keep_regex",
    [LW_SKIP_DROP_REGEX] = "drop_regex",
    [LW_SKIP_REGEX_ERROR] = "regex_error",
    [LW_SKIP_DUPLICATE] = "duplicate",
};

const char *lw_skip_name(lw_skip why)
{
    return (unsigned)why < LW_SKIP_COUNT_ ? skip_names[why] : "unknown";
}

bool lw_skip_is_bad_input(lw_skip why)
{
    return why != LW_SKIP_NONE && why < LW_SKIP_FILTER_FIRST_;
}

/* Does the JSON text contain the escape \u0000? cJSON stores strings
 * NUL-terminated, so such a string would be cut short silently. */
static bool has_escaped_nul(const char *s, size_t n)
{
    const char *p = s, *end = s + n;
    while ((p = memmem(p, (size_t)(end - p), "\\u0000", 6)) != NULL) {
        size_t slashes = 0;
        for (const char *q = p; q >= s && *q == '\\'; q--)
            slashes++;
        if (slashes % 2 == 1)
            return true;
        p += 6;
    }
    return false;
}

/* The offset of the first raw control character (a byte below 0x20) that
 * JSON forbids: anywhere inside a string, and anything but tab, CR or LF
 * between tokens; SIZE_MAX when there is none. cJSON accepts both (it would
 * end a string's text at a raw NUL and treats every byte up to 0x20 as
 * whitespace), so the check is ours. Lines without a byte below 0x20 are
 * the rule, and the first loop finds that out with one compare per byte. */
static size_t raw_control_at(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n && p[i] >= 0x20)
        i++;
    if (i == n)
        return SIZE_MAX;
    bool in_string = false;
    for (i = 0; i < n; i++) {
        unsigned char c = p[i];
        if (c < 0x20) {
            if (in_string || (c != '\t' && c != '\r' && c != '\n'))
                return i;
        } else if (in_string && c == '\\') {
            if (i + 1 < n && p[i + 1] >= 0x20)
                i++; /* the escaped byte cannot end the string */
        } else if (c == '"') {
            in_string = !in_string;
        }
    }
    return SIZE_MAX;
}

static lw_skip set_text(lw_doc *doc, const char *text, size_t len, const lw_doc_opts *opts,
                        lw_buf *scratch)
{
    size_t chars;
    size_t ok = lw_utf8_valid_prefix(text, len, &chars);
    if (ok == len) {
        doc->text = text;
        doc->text_len = len;
        doc->text_chars = chars;
        return LW_SKIP_NONE;
    }
    if (opts->utf8 != LW_UTF8_REPLACE) {
        snprintf(doc->detail, sizeof doc->detail,
                 "invalid UTF-8 at byte %zu of the text (byte 0x%02x)", ok,
                 (unsigned char)text[ok]);
        return LW_SKIP_INVALID_UTF8;
    }
    scratch->len = 0;
    if (lw_utf8_repair(text, len, scratch, &doc->utf8_replaced, &doc->text_chars)) {
        snprintf(doc->detail, sizeof doc->detail, "out of memory repairing UTF-8");
        return LW_SKIP_TOO_LARGE;
    }
    doc->text = scratch->data;
    doc->text_len = scratch->len;
    return LW_SKIP_NONE;
}

lw_skip lw_doc_parse(lw_doc *doc, const lw_unit *unit, const lw_doc_opts *opts, lw_buf *scratch)
{
    memset(doc, 0, sizeof *doc);
    if (unit->format == LW_FORMAT_TEXT) {
        const char *nul = memchr(unit->data, '\0', unit->len);
        if (nul) {
            snprintf(doc->detail, sizeof doc->detail,
                     "NUL byte at offset %zu: not a text file", (size_t)(nul - unit->data));
            return LW_SKIP_NUL;
        }
        return set_text(doc, unit->data, unit->len, opts, scratch);
    }

    size_t ctl = raw_control_at(unit->data, unit->len);
    if (ctl != SIZE_MAX) {
        snprintf(doc->detail, sizeof doc->detail,
                 "invalid JSON at column %zu: raw control character 0x%02x (JSON writes it "
                 "as an escape such as \\u%04x)",
                 ctl + 1, (unsigned char)unit->data[ctl], (unsigned char)unit->data[ctl]);
        return LW_SKIP_MALFORMED_JSON;
    }
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(unit->data, unit->len, &end, 0);
    if (!root) {
        size_t at = end && end >= unit->data ? (size_t)(end - unit->data) : 0;
        snprintf(doc->detail, sizeof doc->detail, "invalid JSON at column %zu", at + 1);
        return LW_SKIP_MALFORMED_JSON;
    }
    doc->root = root;
    for (const char *p = end; p < unit->data + unit->len; p++) {
        if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n') {
            snprintf(doc->detail, sizeof doc->detail,
                     "unexpected text after the JSON value at column %zu",
                     (size_t)(p - unit->data) + 1);
            return LW_SKIP_MALFORMED_JSON;
        }
    }
    if (!cJSON_IsObject(root)) {
        snprintf(doc->detail, sizeof doc->detail, "the line is JSON but not an object");
        return LW_SKIP_NOT_OBJECT;
    }
    const char *text_key = opts->text_key ? opts->text_key : "text";
    const cJSON *text = cJSON_GetObjectItemCaseSensitive(root, text_key);
    if (!text) {
        snprintf(doc->detail, sizeof doc->detail, "no \"%.100s\" field", text_key);
        return LW_SKIP_MISSING_TEXT;
    }
    if (!cJSON_IsString(text)) {
        snprintf(doc->detail, sizeof doc->detail, "the \"%.100s\" field is not a string",
                 text_key);
        return LW_SKIP_TEXT_NOT_STRING;
    }
    if (has_escaped_nul(unit->data, unit->len)) {
        snprintf(doc->detail, sizeof doc->detail, "a string contains \\u0000");
        return LW_SKIP_NUL;
    }
    const char *id_key = opts->id_key ? opts->id_key : "id";
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(root, id_key);
    if (cJSON_IsString(id)) {
        doc->id = id->valuestring;
        doc->id_len = strlen(id->valuestring);
    } else if (cJSON_IsNumber(id)) {
        double d = id->valuedouble;
        if (d > -9.2e18 && d < 9.2e18 && d == (double)(long long)d)
            snprintf(doc->id_num, sizeof doc->id_num, "%lld", (long long)d);
        else
            snprintf(doc->id_num, sizeof doc->id_num, "%.17g", d);
        doc->id = doc->id_num;
        doc->id_len = strlen(doc->id_num);
    }
    return set_text(doc, text->valuestring, strlen(text->valuestring), opts, scratch);
}

void lw_doc_clear(lw_doc *doc)
{
    cJSON_Delete(doc->root);
    doc->root = NULL;
}
