/* The switch for PCRE2's JIT (see regex_jit.h). */
#include "longweave/regex_jit.h"

#include <stdlib.h>
#include <string.h>

bool lw_regex_jit_enabled(void)
{
    const char *v = getenv("LONGWEAVE_PCRE2_JIT");
    return !v || strcmp(v, "0") != 0;
}
