/* Records: a document's fields as (key, value) pairs in one flat buffer,
 * the unit a Parquet row becomes (LW_FORMAT_RECORD). A string value is its
 * raw bytes (not escaped; its UTF-8 is checked by the document parser, as a
 * JSON line's is); any other value is its JSON text. A reader gets the text
 * without parsing JSON and writes the other values through as they are, so
 * a row is never turned into JSON text only to be parsed back.
 *
 * Layout (in this process's memory only, never on disk): per field, one
 * kind byte, the key's length (uint32_t) and the value's (uint64_t), both
 * native-endian and unaligned, then the key's bytes and the value's. */
#ifndef LONGWEAVE_RECORD_H
#define LONGWEAVE_RECORD_H

#include <stdbool.h>
#include <stddef.h>

#include "longweave/buf.h"

typedef enum {
    LW_FIELD_STRING = 's', /* value: the string's bytes */
    LW_FIELD_JSON = 'j'    /* value: a JSON number, true, false or null */
} lw_field_kind;

typedef struct {
    lw_field_kind kind;
    const char *key; /* not NUL-terminated */
    size_t key_len;
    const char *value;
    size_t value_len;
} lw_record_field;

/* Start a field of rec whose value the caller appends to rec next (its own
 * bytes, or a printer's output); lw_record_close records the value's length.
 * 0, or -1 when out of memory. */
int lw_record_open(lw_buf *rec, lw_field_kind kind, const char *key, size_t key_len,
                   size_t *mark);
void lw_record_close(lw_buf *rec, size_t mark);

/* The field at *pos of rec[0..len), and *pos moved past it. false at the
 * end, and for a record cut short (*pos is then len). */
bool lw_record_next(const char *rec, size_t len, size_t *pos, lw_record_field *f);

#endif
