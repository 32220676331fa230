/* Writing JSON text: string escaping and serialization of cJSON values,
 * always producing valid UTF-8 (ill-formed bytes in strings become U+FFFD). */
#ifndef LONGWEAVE_JSON_OUT_H
#define LONGWEAVE_JSON_OUT_H

#include <stddef.h>

#include "longweave/buf.h"

struct cJSON;

/* Append s[0..len) as a quoted JSON string. s must be valid UTF-8 (it is
 * copied as is apart from escapes). Returns 0 or -1 (out of memory). */
int lw_json_put_string(lw_buf *out, const char *s, size_t len);
/* Same, but repairs ill-formed UTF-8 first. */
int lw_json_put_string_repair(lw_buf *out, const char *s, size_t len);
/* Append a cJSON value compactly. Integers up to 2^53 print exactly; other
 * numbers in the shortest %g form that reads back to the same double;
 * non-finite numbers print as null. */
int lw_json_put_value(lw_buf *out, const struct cJSON *v);

#endif
