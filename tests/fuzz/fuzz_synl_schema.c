/* libFuzzer target: the parser of `synl --schema` files (JSON), and for
 * every schema it accepts, a table of it generated and a sample plan drawn
 * with every task and format allowed. */
#include <stdint.h>

#include "../../gen/synl_internal.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    synl_schema *s = NULL;
    size_t n = 0;
    lw_error err;
    if (synl_schema_parse("fuzz.json", (const char *)data, size, &s, &n, &err) != LW_OK)
        return 0;
    bool tasks[SYNL_TASK_COUNT_], formats[SYNL_FORMAT_COUNT_];
    for (int t = 0; t < SYNL_TASK_COUNT_; t++)
        tasks[t] = true;
    for (int f = 0; f < SYNL_FORMAT_COUNT_; f++)
        formats[f] = true;
    for (size_t i = 0; i < n; i++) {
        synl_key key = {7, i, 0};
        synl_table t;
        synl_table_init(&t, &s[i], key);
        synl_table_fill(&t, key, 50);
        synl_table_free(&t);
        synl_plan p;
        synl_plan_draw(&p, &s[i], 7, i, tasks, formats, false);
    }
    synl_schema_free(s, n);
    return 0;
}
