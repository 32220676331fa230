/* Error reports: formatting of lw_error messages and locations. */
#include "longweave/status.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

lw_status lw_error_vset(lw_error *err, lw_status st, const char *fmt, va_list ap)
{
    if (err) {
        err->status = st;
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    }
    return st;
}

lw_status lw_error_set(lw_error *err, lw_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    lw_error_vset(err, st, fmt, ap);
    va_end(ap);
    return st;
}

char *lw_loc_format(const lw_loc *loc, char *out, size_t cap)
{
    const char *path = (loc && loc->path) ? loc->path : "";
    if (loc && loc->line)
        snprintf(out, cap, "%s:%" PRIu64, path, loc->line);
    else if (loc && loc->has_offset)
        snprintf(out, cap, "%s@%" PRIu64, path, loc->offset);
    else
        snprintf(out, cap, "%s", path);
    return out;
}

lw_status lw_error_at(lw_error *err, lw_status st, const lw_loc *loc, const char *fmt, ...)
{
    if (!err)
        return st;
    char where[512];
    lw_loc_format(loc, where, sizeof where);
    char cause[LW_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cause, sizeof cause, fmt, ap);
    va_end(ap);
    return lw_error_set(err, st, "%s: %s", where, cause);
}

lw_status lw_error_errno(lw_error *err, lw_status st, int errnum, const char *what,
                         const char *path)
{
    return lw_error_set(err, st, "%s %s: %s", what, path ? path : "", strerror(errnum));
}

const char *lw_status_name(lw_status st)
{
    switch (st) {
    case LW_OK: return "ok";
    case LW_E_USAGE: return "usage error";
    case LW_E_DATA: return "bad input data";
    case LW_E_NOINPUT: return "missing input";
    case LW_E_SOFTWARE: return "internal error";
    case LW_E_NOMEM: return "out of memory";
    case LW_E_CANTCREAT: return "cannot create output";
    case LW_E_IO: return "I/O error";
    }
    return "unknown error";
}
