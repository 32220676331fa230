/* lw_version (longweave.h): the version of the library a program linked,
 * which may differ from the LW_VERSION of the header it was compiled with. */
#include "longweave.h"

const char *lw_version(void)
{
    return LW_VERSION;
}
