/* Parsing raw units into documents: JSON or records, text/id fields, UTF-8
 * policy; a document's fields, the same way for both. */
#include "longweave/doc.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "longweave/bytes8.h"
#include "longweave/json_out.h"
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

/* Does the JSON text contain the escape \u0000 (not an escaped backslash
 * followed by "u0000")? */
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
 * the rule, and the first loops find that out a word at a time. */
static size_t raw_control_at(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (n - i >= 8 && !lw_bytes8_any_below(lw_bytes8_load(p + i), 0x20))
        i += 8;
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

/* Lines holding \u0000 are read a second time, here: cJSON keeps strings
 * NUL-terminated, so it cuts such a string (and a key) short at the NUL.
 * The members of the top-level object are walked on the raw text, which
 * cJSON has accepted and which holds no raw control characters, to match
 * keys exactly and to decode the text and id to (pointer, length). */
static size_t skip_ws(const char *s, size_t n, size_t i)
{
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n'))
        i++;
    return i;
}

static size_t skip_string(const char *s, size_t n, size_t i)
{
    for (i++; i < n; i++) {
        if (s[i] == '\\')
            i++;
        else if (s[i] == '"')
            return i + 1;
    }
    return n;
}

static size_t skip_value(const char *s, size_t n, size_t i)
{
    if (i < n && s[i] == '"')
        return skip_string(s, n, i);
    if (i < n && (s[i] == '{' || s[i] == '[')) {
        size_t depth = 0;
        while (i < n) {
            if (s[i] == '"') {
                i = skip_string(s, n, i);
                continue;
            }
            if (s[i] == '{' || s[i] == '[')
                depth++;
            else if ((s[i] == '}' || s[i] == ']') && --depth == 0)
                return i + 1;
            i++;
        }
        return n;
    }
    while (i < n && s[i] != ',' && s[i] != '}' && s[i] != ']' && s[i] != ' ' && s[i] != '\t' &&
           s[i] != '\r' && s[i] != '\n')
        i++;
    return i;
}

static int hex4(const char *s, size_t n, size_t i, unsigned *v)
{
    *v = 0;
    if (i + 4 > n)
        return -1;
    for (size_t k = i; k < i + 4; k++) {
        char c = s[k];
        unsigned d = c >= '0' && c <= '9'   ? (unsigned)(c - '0')
                     : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
                     : c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10)
                                            : 16u;
        if (d == 16)
            return -1;
        *v = *v << 4 | d;
    }
    return 0;
}

/* Decode the JSON string starting at s[i] (a quote) into out (replacing its
 * content). 0, or -1 when out of memory or ill-formed. */
static int decode_string(const char *s, size_t n, size_t i, lw_buf *out)
{
    out->len = 0;
    for (i++; i < n;) {
        size_t run = i;
        while (i < n && s[i] != '"' && s[i] != '\\')
            i++;
        if (lw_buf_append(out, s + run, i - run))
            return -1;
        if (i >= n)
            return -1;
        if (s[i] == '"')
            return 0;
        if (++i >= n)
            return -1;
        char c = s[i++], e;
        switch (c) {
        case '"': case '\\': case '/': e = c; break;
        case 'b': e = '\b'; break;
        case 'f': e = '\f'; break;
        case 'n': e = '\n'; break;
        case 'r': e = '\r'; break;
        case 't': e = '\t'; break;
        case 'u': {
            unsigned cp, lo;
            if (hex4(s, n, i, &cp))
                return -1;
            i += 4;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                if (i + 2 > n || s[i] != '\\' || s[i + 1] != 'u' || hex4(s, n, i + 2, &lo) ||
                    lo < 0xDC00 || lo > 0xDFFF)
                    return -1;
                i += 6;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                return -1;
            }
            char u[4];
            size_t k;
            if (cp < 0x80) {
                u[0] = (char)cp;
                k = 1;
            } else if (cp < 0x800) {
                u[0] = (char)(0xC0 | cp >> 6);
                u[1] = (char)(0x80 | (cp & 0x3F));
                k = 2;
            } else if (cp < 0x10000) {
                u[0] = (char)(0xE0 | cp >> 12);
                u[1] = (char)(0x80 | (cp >> 6 & 0x3F));
                u[2] = (char)(0x80 | (cp & 0x3F));
                k = 3;
            } else {
                u[0] = (char)(0xF0 | cp >> 18);
                u[1] = (char)(0x80 | (cp >> 12 & 0x3F));
                u[2] = (char)(0x80 | (cp >> 6 & 0x3F));
                u[3] = (char)(0x80 | (cp & 0x3F));
                k = 4;
            }
            if (lw_buf_append(out, u, k))
                return -1;
            continue;
        }
        default: return -1;
        }
        if (lw_buf_putc(out, e))
            return -1;
    }
    return -1;
}

typedef struct {
    const char *key;
    size_t key_len;
    bool found;
    size_t index; /* position among the object's members (= cJSON's child) */
    size_t value; /* offset of the value in the line */
} member;

/* Find the first member named exactly like each of want[0..2) and tell
 * whether any other member has \u0000 in its key or value. 0, or -1 when
 * out of memory or the text is not what cJSON accepted. */
static int scan_members(const char *s, size_t n, member want[2], bool *nul_elsewhere)
{
    lw_buf key = {0};
    int rc = -1;
    *nul_elsewhere = false;
    size_t i = skip_ws(s, n, 0);
    if (i >= n || s[i] != '{')
        goto out;
    i = skip_ws(s, n, i + 1);
    for (size_t index = 0; i < n && s[i] != '}'; index++) {
        size_t kstart = i;
        if (s[i] != '"' || decode_string(s, n, i, &key))
            goto out;
        i = skip_ws(s, n, skip_string(s, n, i));
        if (i >= n || s[i] != ':')
            goto out;
        size_t v = skip_ws(s, n, i + 1);
        size_t vend = skip_value(s, n, v);
        bool mine = false;
        for (int w = 0; w < 2 && !mine; w++) {
            if (!want[w].found && key.len == want[w].key_len &&
                memcmp(key.data, want[w].key, key.len) == 0) {
                want[w].found = mine = true;
                want[w].index = index;
                want[w].value = v;
            }
        }
        if (!mine && has_escaped_nul(s + kstart, vend - kstart))
            *nul_elsewhere = true;
        i = skip_ws(s, n, vend);
        if (i < n && s[i] == ',')
            i = skip_ws(s, n, i + 1);
    }
    rc = i < n ? 0 : -1;
out:
    lw_buf_free(&key);
    return rc;
}

/* The raw text of the value of the top-level member at index (the line is
 * one cJSON accepted); false when it cannot be found. */
static bool member_text(const char *s, size_t n, size_t index, const char **v, size_t *len)
{
    size_t i = skip_ws(s, n, 0);
    if (i >= n || s[i] != '{')
        return false;
    i = skip_ws(s, n, i + 1);
    for (size_t k = 0; i < n && s[i] == '"'; k++) {
        i = skip_ws(s, n, skip_string(s, n, i));
        if (i >= n || s[i] != ':')
            return false;
        size_t start = skip_ws(s, n, i + 1), end = skip_value(s, n, start);
        if (k == index) {
            *v = s + start;
            *len = end - start;
            return end > start;
        }
        i = skip_ws(s, n, end);
        if (i < n && s[i] == ',')
            i = skip_ws(s, n, i + 1);
    }
    return false;
}

/* An integer literal: an optional minus and digits only. */
static bool is_integer_text(const char *v, size_t n)
{
    size_t i = n > 0 && v[0] == '-';
    if (i == n)
        return false;
    for (; i < n; i++)
        if (v[i] < '0' || v[i] > '9')
            return false;
    return true;
}

/* A double holds every integer up to 2^53 exactly; past it, cJSON's number
 * may not be the line's. */
static bool may_be_rounded(double d)
{
    return fabs(d) >= 9007199254740992.0;
}

static const cJSON *child_at(const cJSON *root, size_t index)
{
    const cJSON *c = root->child;
    while (c && index--)
        c = c->next;
    return c;
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

/* A numeric id as text: an integral value without a fraction, any other
 * as %.17g. */
static void number_id(lw_doc *doc, double d)
{
    if (d > -9.2e18 && d < 9.2e18 && d == (double)(long long)d)
        snprintf(doc->id_num, sizeof doc->id_num, "%lld", (long long)d);
    else
        snprintf(doc->id_num, sizeof doc->id_num, "%.17g", d);
    doc->id = doc->id_num;
    doc->id_len = strlen(doc->id_num);
}

/* The keys the document has, for the warning about a missing text field:
 * the usual cause is a corpus that keeps its text under another name. */
static lw_skip missing_text(lw_doc *doc, const char *text_key)
{
    int n = snprintf(doc->detail, sizeof doc->detail, "no \"%.60s\" field; its keys:", text_key);
    size_t at = n > 0 ? (size_t)n : 0;
    lw_doc_fields it;
    lw_doc_field f;
    lw_doc_fields_begin(doc, &it);
    bool any = false, more = lw_doc_fields_next(&it, &f);
    for (; more && at + 8 < sizeof doc->detail; more = lw_doc_fields_next(&it, &f)) {
        n = snprintf(doc->detail + at, sizeof doc->detail - at, "%s \"%.*s\"", any ? "," : "",
                     (int)(f.key_len < 40 ? f.key_len : 40), f.key);
        at += n > 0 ? (size_t)n : 0;
        any = true;
    }
    if (more || at >= sizeof doc->detail)
        snprintf(doc->detail + sizeof doc->detail - 5, 5, " ...");
    else if (!any)
        snprintf(doc->detail + at, sizeof doc->detail - at, " none");
    return LW_SKIP_MISSING_TEXT;
}

/* An id given as a JSON number: an integer as it is written (a Parquet
 * INT64, or a JSON line's integer past 2^53, which a double would round),
 * any other number as number_id writes it. */
static void record_number_id(lw_doc *doc, const char *v, size_t n)
{
    if (is_integer_text(v, n) && n < sizeof doc->id_num) {
        memcpy(doc->id_num, v, n);
        doc->id_num[n] = '\0';
        doc->id = doc->id_num;
        doc->id_len = n;
        return;
    }
    char tmp[64];
    snprintf(tmp, sizeof tmp, "%.*s", (int)(n < 63 ? n : 63), v);
    number_id(doc, strtod(tmp, NULL));
}

/* A record (a Parquet row): the text and id are fields found by key, the
 * text's bytes used where they are. */
static lw_skip parse_record(lw_doc *doc, const lw_unit *unit, const char *text_key,
                            const char *id_key, const lw_doc_opts *opts, lw_buf *scratch)
{
    doc->record = unit->data;
    doc->record_len = unit->len;
    lw_doc_fields it;
    lw_doc_field f, text = {0}, id = {0};
    lw_doc_fields_begin(doc, &it);
    while (lw_doc_fields_next(&it, &f)) {
        if (!text.key && lw_doc_field_is(&f, text_key))
            text = f;
        if (!id.key && lw_doc_field_is(&f, id_key))
            id = f;
    }
    if (!text.key)
        return missing_text(doc, text_key);
    if (text.rec.kind != LW_FIELD_STRING) {
        snprintf(doc->detail, sizeof doc->detail, "the \"%.100s\" field is not a string",
                 text_key);
        return LW_SKIP_TEXT_NOT_STRING;
    }
    if (id.key && id.rec.kind == LW_FIELD_STRING) {
        doc->id = id.rec.value;
        doc->id_len = id.rec.value_len;
    } else if (id.key && id.rec.value_len > 0 &&
               (id.rec.value[0] == '-' || (id.rec.value[0] >= '0' && id.rec.value[0] <= '9'))) {
        record_number_id(doc, id.rec.value, id.rec.value_len);
    }
    return set_text(doc, text.rec.value, text.rec.value_len, opts, scratch);
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
    const char *text_key = opts->text_key ? opts->text_key : "text";
    const char *id_key = opts->id_key ? opts->id_key : "id";
    if (unit->format == LW_FORMAT_RECORD)
        return parse_record(doc, unit, text_key, id_key, opts, scratch);

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
    doc->line = unit->data;
    doc->line_len = unit->len;
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
    const cJSON *text, *id;
    const char *text_s = NULL;
    size_t text_n = 0;
    if (!has_escaped_nul(unit->data, unit->len)) {
        text = cJSON_GetObjectItemCaseSensitive(root, text_key);
        id = cJSON_GetObjectItemCaseSensitive(root, id_key);
        if (cJSON_IsString(text)) {
            text_s = text->valuestring;
            text_n = strlen(text_s);
        }
        if (cJSON_IsString(id)) {
            doc->id = id->valuestring;
            doc->id_len = strlen(id->valuestring);
        }
    } else {
        member want[2] = {{text_key, strlen(text_key), false, 0, 0},
                          {id_key, strlen(id_key), false, 0, 0}};
        if (scan_members(unit->data, unit->len, want, &doc->nul_elsewhere)) {
            snprintf(doc->detail, sizeof doc->detail, "cannot read the line's \\u0000 strings");
            return LW_SKIP_MALFORMED_JSON;
        }
        text = want[0].found ? child_at(root, want[0].index) : NULL;
        id = want[1].found ? child_at(root, want[1].index) : NULL;
        if (cJSON_IsString(text)) {
            if (decode_string(unit->data, unit->len, want[0].value, &doc->own_text)) {
                snprintf(doc->detail, sizeof doc->detail, "out of memory decoding the text");
                return LW_SKIP_TOO_LARGE;
            }
            text_s = doc->own_text.data ? doc->own_text.data : "";
            text_n = doc->own_text.len;
        }
        if (cJSON_IsString(id)) {
            if (decode_string(unit->data, unit->len, want[1].value, &doc->own_id)) {
                snprintf(doc->detail, sizeof doc->detail, "out of memory decoding the id");
                return LW_SKIP_TOO_LARGE;
            }
            doc->id = doc->own_id.data ? doc->own_id.data : "";
            doc->id_len = doc->own_id.len;
        }
    }
    if (!text)
        return missing_text(doc, text_key);
    if (!cJSON_IsString(text)) {
        snprintf(doc->detail, sizeof doc->detail, "the \"%.100s\" field is not a string",
                 text_key);
        return LW_SKIP_TEXT_NOT_STRING;
    }
    if (cJSON_IsNumber(id)) {
        lw_doc_field f;
        const char *v;
        size_t n;
        if (may_be_rounded(id->valuedouble) && lw_doc_field_find(doc, id_key, &f) &&
            member_text(doc->line, doc->line_len, f.index, &v, &n))
            record_number_id(doc, v, n);
        else
            number_id(doc, id->valuedouble);
    }
    return set_text(doc, text_s, text_n, opts, scratch);
}

void lw_doc_clear(lw_doc *doc)
{
    cJSON_Delete(doc->root);
    doc->root = NULL;
    lw_buf_free(&doc->own_text);
    lw_buf_free(&doc->own_id);
}

void lw_doc_fields_begin(const lw_doc *doc, lw_doc_fields *it)
{
    it->doc = doc;
    it->next = doc->root ? doc->root->child : NULL;
    it->pos = 0;
    it->index = 0;
}

bool lw_doc_fields_next(lw_doc_fields *it, lw_doc_field *f)
{
    memset(f, 0, sizeof *f);
    f->doc = it->doc;
    f->index = it->index++;
    if (it->doc->root) {
        const cJSON *c = it->next;
        if (!c)
            return false;
        it->next = c->next;
        f->json = c;
        f->key = c->string ? c->string : "";
        f->key_len = strlen(f->key);
        return true;
    }
    if (!it->doc->record ||
        !lw_record_next(it->doc->record, it->doc->record_len, &it->pos, &f->rec))
        return false;
    f->key = f->rec.key;
    f->key_len = f->rec.key_len;
    return true;
}

bool lw_doc_field_is(const lw_doc_field *f, const char *key)
{
    size_t n = strlen(key);
    return f->key_len == n && memcmp(f->key, key, n) == 0;
}

bool lw_doc_field_find(const lw_doc *doc, const char *key, lw_doc_field *f)
{
    lw_doc_fields it;
    lw_doc_fields_begin(doc, &it);
    while (lw_doc_fields_next(&it, f))
        if (lw_doc_field_is(f, key))
            return true;
    return false;
}

int lw_doc_field_put_json(lw_buf *out, const lw_doc_field *f)
{
    const char *v;
    size_t n;
    if (f->json && cJSON_IsNumber(f->json) && may_be_rounded(f->json->valuedouble) &&
        member_text(f->doc->line, f->doc->line_len, f->index, &v, &n) &&
        is_integer_text(v, n))
        return lw_buf_append(out, v, n);
    if (f->json)
        return lw_json_put_value(out, f->json);
    if (f->rec.kind == LW_FIELD_STRING)
        return lw_json_put_string_repair(out, f->rec.value, f->rec.value_len);
    return lw_buf_append(out, f->rec.value, f->rec.value_len);
}
