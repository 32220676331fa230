/* From raw units to documents: JSON parsing (cJSON) or a record's fields,
 * the text and id fields, UTF-8 policy, and the reasons a document can be
 * skipped.
 *
 * Parsing is thread-safe as long as each thread has its own lw_doc and
 * scratch buffer. */
#ifndef LONGWEAVE_DOC_H
#define LONGWEAVE_DOC_H

#include <stdbool.h>
#include <stddef.h>

#include "longweave/buf.h"
#include "longweave/reader.h"
#include "longweave/record.h"

struct cJSON;

typedef enum {
    LW_UTF8_REPLACE = 0, /* ill-formed bytes become U+FFFD (default) */
    LW_UTF8_DROP,        /* skip the document */
    LW_UTF8_STRICT       /* stop with an error */
} lw_utf8_policy;

/* Why a document was not written. The first group is bad input (an error
 * under --strict); the second is what filters chose. */
typedef enum {
    LW_SKIP_NONE = 0,
    LW_SKIP_MALFORMED_JSON,
    LW_SKIP_NOT_OBJECT,
    LW_SKIP_MISSING_TEXT,
    LW_SKIP_TEXT_NOT_STRING,
    LW_SKIP_INVALID_UTF8,
    LW_SKIP_NUL,
    LW_SKIP_TOO_LARGE,
    LW_SKIP_CORRUPT_INPUT,
    LW_SKIP_FILTER_FIRST_, /* marker: reasons below are filter decisions */
    LW_SKIP_TOO_SHORT = LW_SKIP_FILTER_FIRST_,
    LW_SKIP_TOO_LONG,
    LW_SKIP_KEEP_REGEX,
    LW_SKIP_DROP_REGEX,
    LW_SKIP_REGEX_ERROR,
    LW_SKIP_DUPLICATE,
    LW_SKIP_COUNT_
} lw_skip;

/* Stable snake_case name used in stats and manifests, e.g. "malformed_json". */
const char *lw_skip_name(lw_skip why);
/* True for bad-input reasons (those --strict turns into errors). */
bool lw_skip_is_bad_input(lw_skip why);

typedef struct {
    const char *text_key;  /* NULL: "text" */
    const char *id_key;    /* NULL: "id" */
    lw_utf8_policy utf8;
} lw_doc_opts;

typedef struct {
    struct cJSON *root;     /* parsed JSON object (owned); NULL for a text file or record */
    const char *record;     /* a record unit's fields (record.h; the unit's bytes) */
    size_t record_len;
    const char *line;       /* a JSON line's bytes (the unit's), for numbers cJSON rounds */
    size_t line_len;
    const char *text;       /* valid UTF-8 */
    size_t text_len;
    size_t text_chars;      /* code points */
    size_t utf8_replaced;   /* U+FFFD substitutions made */
    const char *id;         /* NULL when the record has none: callers use FILE:LINE */
    size_t id_len;
    char id_num[32];        /* storage for a numeric id */
    char detail[160];       /* why it was skipped, for the warning */
    /* A \u0000 is in another member's key or value: root holds that string
     * cut short at the NUL (cJSON strings end at a NUL), so a stage that
     * writes the other fields from root cannot keep it exactly. The text
     * and id are always exact, pointer and length. */
    bool nul_elsewhere;
    lw_buf own_text, own_id; /* decoded text and id of lines with \u0000 */
} lw_doc;

/* Parse a LW_UNIT_DOC unit. Returns LW_SKIP_NONE with doc filled, or the
 * reason it is unusable (doc->detail says more). scratch holds repaired text
 * and must stay alive while doc->text is used. lw_doc_clear afterwards. */
lw_skip lw_doc_parse(lw_doc *doc, const lw_unit *unit, const lw_doc_opts *opts, lw_buf *scratch);
void lw_doc_clear(lw_doc *doc);

/* A parsed document's fields (its text and id among them), in their order,
 * the same way for a JSON object and a record. */
typedef struct {
    const char *key;           /* not NUL-terminated */
    size_t key_len;
    const struct cJSON *json;  /* a JSON object's member; NULL for a record's field */
    lw_record_field rec;       /* a record's field (when json is NULL) */
    const lw_doc *doc;
    size_t index;              /* its position among the fields */
} lw_doc_field;

typedef struct {
    const lw_doc *doc;
    const struct cJSON *next; /* a JSON object's next member */
    size_t pos;               /* a record's next field */
    size_t index;
} lw_doc_fields;

void lw_doc_fields_begin(const lw_doc *doc, lw_doc_fields *it);
bool lw_doc_fields_next(lw_doc_fields *it, lw_doc_field *f);
/* The first field named key; false when there is none. */
bool lw_doc_field_find(const lw_doc *doc, const char *key, lw_doc_field *f);
/* Does the field's key equal key? */
bool lw_doc_field_is(const lw_doc_field *f, const char *key);
/* Append the field's value as compact JSON (strings UTF-8-repaired; an
 * integer past 2^53, which a double would round, as the line writes it). 0,
 * or -1 when out of memory. */
int lw_doc_field_put_json(lw_buf *out, const lw_doc_field *f);

#endif
