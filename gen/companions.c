/* lw_companions_register: every sidecar kind gen/ writes, and tokenize's
 * document lineage. */
#include "longweave/companions.h"

#include "longweave/cip_map.h"
#include "longweave/dataset.h"
#include "longweave/doc_lineage.h"
#include "longweave/pack.h"
#include "pack_companions.h"

void lw_companions_register(void)
{
    lw_companion_register(&lw_docs_companion);
    lw_companion_register(&lw_cip_map_companion);
    for (int i = 0; i < LW_PACK_COMPANIONS; i++)
        lw_companion_register(&lw_pack_companions[i]);
}
