/* Growable arrays: one helper instead of a realloc loop at every site.
 *
 *   T *items = NULL; size_t n = 0, cap = 0;
 *   if (!LW_VEC_GROW(&items, &cap, n + 1)) return out of memory;
 *   items[n++] = x;
 *
 * Capacity doubles (from 16), so n appends cost O(n); on failure the array
 * and its capacity are left as they were. */
#ifndef LONGWEAVE_VEC_H
#define LONGWEAVE_VEC_H

#include <stdbool.h>
#include <stddef.h>

bool lw_vec_grow_(void **items, size_t *cap, size_t need, size_t elem);
#define LW_VEC_GROW(itemsp, capp, need)                                                      \
    lw_vec_grow_((void **)(itemsp), (capp), (need), sizeof **(itemsp))

#endif
