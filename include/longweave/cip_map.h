/* The CIP map: a companion of every CIP dataset, PREFIX.map.jsonl, one line
 * per sequence {"seq": i, "chunks": [[doc, chunk, start, length], ...]}
 * where inserted tokens (BOS, markers, recaps, EOD, padding) appear as
 * [-1, -1, 0, length]. Written, checked (verify) and renumbered (merge) here,
 * and registered with the dataset module as the companion "map". */
#ifndef LONGWEAVE_CIP_MAP_H
#define LONGWEAVE_CIP_MAP_H

#include <stdint.h>

#include "longweave/buf.h"
#include "longweave/cip.h"
#include "longweave/dataset.h"

#define LW_CIP_MAP_ROLE "map"
#define LW_CIP_MAP_SUFFIX ".map.jsonl"

/* Append sequence seq's line to out; non-zero when out of memory. */
int lw_cip_map_line(lw_buf *out, uint64_t seq, const lw_cip_span *spans, size_t n);

/* The companion (verify: consecutive "seq" from 0, chunk lengths summing to
 * the bucket's sequence length, one line per sequence; merge: sequences
 * renumbered across parts, documents made global). */
extern const lw_companion lw_cip_map_companion;

#endif
