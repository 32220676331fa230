/* Crash-safe output files: data goes to a temporary name in the destination
 * directory, is fsynced, and only then renamed to its final name, so a
 * reader never sees a half-written file under a final name.
 *
 * Multi-file outputs use two steps: lw_outfile_finish() on every file (data
 * durable, still under temporary names), then lw_outfile_publish() on each. */
#ifndef LONGWEAVE_OUTFILE_H
#define LONGWEAVE_OUTFILE_H

#include <stdbool.h>
#include <stdint.h>

#include "longweave/hash.h"
#include "longweave/status.h"

typedef struct lw_outfile_job lw_outfile_job;

typedef struct lw_outfile {
    char *final_path;
    char *tmp_path;
    int fd;             /* -1 once closed */
    bool owns_fd;       /* fd was opened by lw_outfile_open and is not closed yet
                         * (false in a zeroed struct, whose fd 0 is not ours) */
    uint64_t bytes;     /* bytes written so far */
    lw_sha256 *sha;     /* running checksum, NULL if not asked for */
    char sha256[LW_SHA256_HEX]; /* filled by finish when checksumming */
    bool finished, published;
    bool rewritten;     /* a header was patched: finish re-reads the file for its sha256 */
    lw_outfile_job *job; /* a write running in the background (lw_outfile_write_async) */
} lw_outfile;

/* Create the temporary file beside final_path (mode 0666 less umask). */
lw_status lw_outfile_open(lw_outfile *f, const char *final_path, bool checksum, lw_error *err);
/* Overwrite len bytes at offset (within what was written), e.g. a header
 * whose counts are known only at the end; the checksum is then computed by
 * reading the file back at finish. */
lw_status lw_outfile_rewrite_at(lw_outfile *f, uint64_t offset, const void *data, size_t len,
                                lw_error *err);
/* Write all of data (retries short writes; ENOSPC, EFBIG... are LW_E_IO). */
lw_status lw_outfile_write(lw_outfile *f, const void *data, size_t len, lw_error *err);
/* Append the whole file at path (LW_E_NOINPUT when missing, LW_E_IO). */
lw_status lw_outfile_write_file(lw_outfile *f, const char *path, lw_error *err);
/* Start writing data in the background (a thread writes it and adds it to
 * the checksum) and return: the caller fills its next buffer meanwhile and
 * must not change data until lw_outfile_wait returns. One write runs at a
 * time: this first waits for the one before and returns its error, if any.
 * Every other function here waits for it first. f->bytes counts data at once. */
lw_status lw_outfile_write_async(lw_outfile *f, const void *data, size_t len, lw_error *err);
/* Wait for the background write, if any; its error (LW_E_IO naming the file). */
lw_status lw_outfile_wait(lw_outfile *f, lw_error *err);
/* fsync and close; the checksum, if any, is then in f->sha256. */
lw_status lw_outfile_finish(lw_outfile *f, lw_error *err);
/* Rename to the final name and fsync the directory. */
lw_status lw_outfile_publish(lw_outfile *f, lw_error *err);
/* finish + publish. */
lw_status lw_outfile_commit(lw_outfile *f, lw_error *err);
/* Remove whatever is left: the temporary file, or (if published) nothing.
 * Frees memory; safe to call on a zeroed or already released struct. */
void lw_outfile_release(lw_outfile *f);
/* Undo a publish: unlink the final name (used when a later file of the same
 * output fails), then release. */
void lw_outfile_unpublish(lw_outfile *f);

/* Hand a finished file over to dst (which then publishes and releases it);
 * src is left as a released struct. */
void lw_outfile_move(lw_outfile *dst, lw_outfile *src);

/* Is name (a file name, no folder) the temporary name of a file being
 * written? Then its final name goes to final and the writer's pid to *pid. */
bool lw_tmp_name_parse(const char *name, char *final, size_t cap, long *pid);

/* Write a whole small file atomically (e.g. a manifest). */
lw_status lw_write_file_atomic(const char *path, const void *data, size_t len, lw_error *err);

/* Make a directory and its parents (like mkdir -p). */
lw_status lw_mkdirs(const char *path, lw_error *err);
/* Make the folder that path (a file or a dataset PREFIX) goes in, if it
 * names one: "out/tok/ll" makes out/tok; "ll" and "/ll" make nothing. */
lw_status lw_mkdirs_for(const char *path, lw_error *err);

#endif
