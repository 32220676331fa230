/* Growable arrays (vec.h). */
#include "longweave/vec.h"

#include <stdint.h>
#include <stdlib.h>

bool lw_vec_grow_(void **items, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return true;
    size_t n = *cap ? *cap : 16;
    while (n < need) {
        if (n > SIZE_MAX / 2)
            return false;
        n *= 2;
    }
    if (n > SIZE_MAX / elem)
        return false;
    void *p = realloc(*items, n * elem);
    if (!p)
        return false;
    *items = p;
    *cap = n;
    return true;
}
