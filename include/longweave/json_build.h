/* Building cJSON values without losing a field to an out-of-memory NULL.
 *
 * cJSON's constructors return NULL when out of memory and its Add* calls
 * then quietly add nothing, so a manifest built without checks could be
 * written with a field missing. Builders collect every result instead:
 *
 *   bool ok = true;
 *   ok &= cJSON_AddNumberToObject(o, "tokens", n) != NULL;
 *   ok &= lw_json_push(list, cJSON_CreateString(name));
 *   if (!ok) -> LW_E_NOMEM, nothing written
 *
 * (an Add* on a NULL parent is itself NULL, so a failed container fails
 * everything put into it). */
#ifndef LONGWEAVE_JSON_BUILD_H
#define LONGWEAVE_JSON_BUILD_H

#include <stdbool.h>
#include <stddef.h>

struct cJSON;

/* Append item to array / put it under key in object, taking it over: on
 * failure (item NULL, container NULL, out of memory) item is deleted and
 * the result is false. */
bool lw_json_push(struct cJSON *array, struct cJSON *item);
bool lw_json_put(struct cJSON *object, const char *key, struct cJSON *item);
/* A JSON array of the n strings v[i]; NULL when out of memory. */
struct cJSON *lw_json_strings(const char *const *v, size_t n);

#endif
