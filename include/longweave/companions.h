/* The companions of gen/'s stages (CIP's map, pack's boundaries) and
 * tokenize's document lineage (doc_lineage.h), registered
 * with the dataset module in one call, so that verify and merge check and
 * join them without corpus/ knowing them. A program that reads or combines
 * longweave outputs calls it once at start-up, before any thread. */
#ifndef LONGWEAVE_COMPANIONS_H
#define LONGWEAVE_COMPANIONS_H

void lw_companions_register(void);

#endif
