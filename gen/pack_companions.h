/* pack's companions as the dataset module sees them (pack_companions.c),
 * out of the public pack.h because they are dataset.h's lw_companion. */
#ifndef LONGWEAVE_GEN_PACK_COMPANIONS_H
#define LONGWEAVE_GEN_PACK_COMPANIONS_H

#include "longweave/dataset.h"

/* The companions pack writes beside a packed dataset PREFIX: PREFIX.ROLE
 * Megatron datasets for ROLE cu_seqlens (int32: 0 and each sample's end),
 * positions (uint16 up to 65536, else int32) and weights (float32), one
 * sequence per packed sequence; registered with the dataset module. */
enum { LW_PACK_COMPANIONS = 3 };
extern const char *const lw_pack_companion_roles[LW_PACK_COMPANIONS];
extern const lw_companion lw_pack_companions[LW_PACK_COMPANIONS];

#endif
