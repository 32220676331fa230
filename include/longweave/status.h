/* Status codes and error reports shared by every module of liblongweave.
 *
 * Library functions never print and never exit: they return an lw_status and,
 * on failure, fill an lw_error whose message names the place (file, line or
 * byte offset) and the cause. Status values are the sysexits.h codes the
 * command exits with, so the CLI can return them unchanged. */
#ifndef LONGWEAVE_STATUS_H
#define LONGWEAVE_STATUS_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    LW_OK = 0,
    LW_E_USAGE = 64,     /* EX_USAGE: bad options or arguments */
    LW_E_DATA = 65,      /* EX_DATAERR: malformed input data */
    LW_E_NOINPUT = 66,   /* EX_NOINPUT: an input is missing or unreadable */
    LW_E_SOFTWARE = 70,  /* EX_SOFTWARE: internal error (a bug) */
    LW_E_NOMEM = 71,     /* EX_OSERR: out of memory or another OS failure */
    LW_E_CANTCREAT = 73, /* EX_CANTCREAT: cannot create an output */
    LW_E_IO = 74         /* EX_IOERR: read or write failed */
} lw_status;

#define LW_ERROR_MSG_MAX 1024

typedef struct {
    lw_status status;
    char msg[LW_ERROR_MSG_MAX]; /* "PLACE: cause", NUL-terminated */
} lw_error;

/* Where a problem is: path plus a 1-based line, or a byte offset, or neither. */
typedef struct {
    const char *path;   /* "-" for stdin; NULL when there is no file */
    uint64_t line;      /* 0 when unknown or not line-based */
    uint64_t offset;    /* used when line == 0 and has_offset */
    int has_offset;
} lw_loc;

/* Fill err (if not NULL) and return st. fmt is printf-style. */
lw_status lw_error_set(lw_error *err, lw_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
lw_status lw_error_vset(lw_error *err, lw_status st, const char *fmt, va_list ap);
/* Same, prefixed by the location "path:line: " or "path@offset: " or "path: ". */
lw_status lw_error_at(lw_error *err, lw_status st, const lw_loc *loc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* "what PATH: strerror(errnum)". */
lw_status lw_error_errno(lw_error *err, lw_status st, int errnum, const char *what,
                         const char *path);
/* Write "path:line" (or "path@offset", or "path") into out; returns out. */
char *lw_loc_format(const lw_loc *loc, char *out, size_t cap);

const char *lw_status_name(lw_status st);

#endif
