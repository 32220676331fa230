/* A write buffer in front of an lw_outfile: output files of many small
 * writes (token ids, index entries) without a system call for each. A full
 * buffer is written (and checksummed) in the background while the caller
 * fills a second one; lw_bufout_flush waits until all of it is in the file.
 * The buffers start small and double with every spill up to
 * LW_BUFOUT_MAX: a stage commits a whole batch's ids at once, and a burst
 * larger than the buffer would wait on its own background write. */
#ifndef LONGWEAVE_BUFOUT_H
#define LONGWEAVE_BUFOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "longweave/fileio.h"
#include "longweave/outfile.h"

typedef struct {
    lw_outfile f;       /* bytes and sha256 count what reached the file */
    unsigned char *buf; /* being filled */
    size_t len, cap;
    unsigned char *spare; /* the buffer being written in the background */
    size_t spare_cap;
} lw_bufout;

enum {
    LW_BUFOUT_MIN = 64 << 10, /* the first buffer: small files stay small */
    LW_BUFOUT_MAX = 16 << 20  /* above a batch's ids (8 MB of text as 4-byte ids) */
};

/* Open path's temporary file (see lw_outfile_open) with a buffer. */
lw_status lw_bufout_open(lw_bufout *b, const char *path, bool checksum, lw_error *err);
lw_status lw_bufout_put(lw_bufout *b, const void *p, size_t n, lw_error *err);
/* n values as little-endian integers of `bytes` bytes each (1, 2, 4 or 8). */
lw_status lw_bufout_put_le(lw_bufout *b, const uint32_t *v, size_t n, int bytes, lw_error *err);
/* n values as little-endian integers of `bytes` bytes each (1, 2, 4 or 8)
 * at out, in vector code (a copy for 4 bytes on little-endian hosts). */
void lw_store_le(unsigned char *out, const uint32_t *v, size_t n, int bytes);
/* The largest of n values (0 for none), in vector code: for checking ids
 * against a vocabulary a buffer at a time. */
uint32_t lw_u32_max(const uint32_t *v, size_t n);
lw_status lw_bufout_put_u64(lw_bufout *b, uint64_t v, lw_error *err);
lw_status lw_bufout_put_u32(lw_bufout *b, uint32_t v, lw_error *err);
/* Write what is buffered and wait: on return every byte put is in the file. */
lw_status lw_bufout_flush(lw_bufout *b, lw_error *err);
/* Flush, fsync and close (still under the temporary name). */
lw_status lw_bufout_finish(lw_bufout *b, lw_error *err);
/* Remove the temporary file unless published; free the buffer. */
void lw_bufout_release(lw_bufout *b);

#endif
