/* Building cJSON values with every allocation checked (json_build.h). */
#include "longweave/json_build.h"

#include <cjson/cJSON.h>

bool lw_json_push(cJSON *array, cJSON *item)
{
    if (item && array && cJSON_AddItemToArray(array, item))
        return true;
    cJSON_Delete(item);
    return false;
}

bool lw_json_put(cJSON *object, const char *key, cJSON *item)
{
    if (item && object && cJSON_AddItemToObject(object, key, item))
        return true;
    cJSON_Delete(item);
    return false;
}

cJSON *lw_json_strings(const char *const *v, size_t n)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; a && i < n; i++)
        if (!lw_json_push(a, cJSON_CreateString(v[i]))) {
            cJSON_Delete(a);
            a = NULL;
        }
    return a;
}
