/* The streaming document reader: files and stdin, plain or compressed (any
 * kind lw_decoder reads), as JSON Lines or whole text files. */
#include "longweave/reader.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "longweave/decompress.h"
#include "longweave/fileio.h"
#include "longweave/parquet.h"
#include "longweave/vec.h"

/* the window reads this much at a time, and keeps up to WINDOW_KEEP bytes of
 * capacity between long lines */
enum { READ_CHUNK = 1 << 20, WINDOW_KEEP = 2 * READ_CHUNK };

struct lw_reader {
    const lw_input_list *list;
    const lw_part_plan *plan;
    size_t max_doc;
    size_t next_range; /* index of the next range to open */
    bool open;         /* a file is being read */
    lw_parquet *pq;    /* the file being read is Parquet: its rows are the units */
    uint64_t pq_bytes; /* of its bytes read, those counted in stats */

    /* current file */
    const lw_input_file *f;
    size_t file;
    int fd;
    lw_content_kind kind; /* sniffed from the first bytes */
    lw_decoder *dec;
    char *raw; /* compressed input: unread bytes are [raw_pos, raw_len) */
    size_t raw_len, raw_pos;
    bool raw_eof;
    bool eof;          /* the stream has no more data */
    bool corrupt;      /* eof came from damage; message below */
    uint64_t corrupt_at;
    char corrupt_msg[200];
    bool any_data;
    uint64_t file_bytes_read;
    uint64_t range_end;

    /* window over the decompressed stream: unread bytes are [start, end) */
    char *win;
    size_t cap, start, end, scan;
    uint64_t win_offset; /* stream offset of win[0] */

    uint64_t line, line_origin;
    bool skip_partial; /* drop the first (partial) line of a mid-file range */

    lw_reader_stats stats;
};

static void close_file(lw_reader *r)
{
    lw_parquet_close(r->pq);
    r->pq = NULL;
    if (r->fd >= 0 && !r->f->is_stdin)
        close(r->fd);
    r->fd = -1;
    r->open = false;
}

static lw_status read_fd(lw_reader *r, void *buf, size_t cap, size_t *got, lw_error *err)
{
    lw_status st = lw_read_some(r->fd, buf, cap, got, r->f->path, err);
    r->stats.bytes_read += *got;
    r->file_bytes_read += *got;
    return st;
}

/* Make room for at least READ_CHUNK more bytes at the end of the window. */
static lw_status make_room(lw_reader *r, lw_error *err)
{
    if (r->cap > WINDOW_KEEP && r->end - r->start < READ_CHUNK) {
        /* A long line made the window grow and it is now consumed: give the
         * memory back, so that the line's bytes are not held twice (here
         * and in the caller's copy) while its document is processed. */
        char *w = malloc(2 * READ_CHUNK);
        if (!w)
            return lw_error_set(err, LW_E_NOMEM, "out of memory reading %s", r->f->path);
        memcpy(w, r->win + r->start, r->end - r->start);
        free(r->win);
        r->win = w;
        r->cap = 2 * READ_CHUNK;
        r->win_offset += r->start;
        r->scan -= r->start;
        r->end -= r->start;
        r->start = 0;
    }
    if (r->start > 0 && (r->cap - r->end < READ_CHUNK || r->start == r->end)) {
        size_t keep = r->end - r->start;
        memmove(r->win, r->win + r->start, keep);
        r->win_offset += r->start;
        r->scan -= r->start;
        r->end = keep;
        r->start = 0;
    }
    if (!LW_VEC_GROW(&r->win, &r->cap, r->end + READ_CHUNK))
        return lw_error_set(err, LW_E_NOMEM, "out of memory reading %s", r->f->path);
    return LW_OK;
}

static void set_corrupt(lw_reader *r)
{
    r->corrupt = true;
    r->eof = true;
    r->corrupt_at = lw_decoder_offset(r->dec);
    snprintf(r->corrupt_msg, sizeof r->corrupt_msg, "%s", lw_decoder_message(r->dec));
}

/* Append more stream bytes to the window; *added = 0 means end of stream. */
static lw_status fill(lw_reader *r, size_t *added, lw_error *err)
{
    *added = 0;
    if (r->eof)
        return LW_OK;
    lw_status st = make_room(r, err);
    if (st)
        return st;
    size_t room = r->cap - r->end;
    if (!lw_content_compressed(r->kind)) {
        size_t n;
        if ((st = read_fd(r, r->win + r->end, room, &n, err)))
            return st;
        if (n == 0)
            r->eof = true;
        r->end += n;
        *added = n;
        r->stats.bytes_decoded += n;
        r->any_data |= n > 0;
        return LW_OK;
    }
    for (;;) {
        if (r->raw_pos == r->raw_len && !r->raw_eof) {
            size_t n;
            if ((st = read_fd(r, r->raw, READ_CHUNK, &n, err)))
                return st;
            r->raw_len = n;
            r->raw_pos = 0;
            r->raw_eof = n == 0;
        }
        size_t out;
        lw_dec_result res = lw_decoder_step(r->dec, r->raw, r->raw_len, &r->raw_pos, r->raw_eof,
                                            r->win + r->end, room, &out);
        r->end += out;
        *added = out;
        r->stats.bytes_decoded += out;
        r->any_data |= out > 0;
        switch (res) {
        case LW_DEC_NOMEM:
            return lw_error_set(err, LW_E_NOMEM, "out of memory decompressing %s", r->f->path);
        case LW_DEC_CORRUPT:
            set_corrupt(r);
            return LW_OK;
        case LW_DEC_DONE:
            r->eof = true;
            return LW_OK;
        case LW_DEC_OK:
            if (out > 0)
                return LW_OK;
            break;
        }
    }
}

/* Refuse a content that cannot be text: the head of what the file decodes
 * to, for every input that input planning could not look at itself (a
 * stream) or saw only compressed. */
static lw_status check_text(lw_reader *r, lw_error *err)
{
    size_t added = 1;
    while (r->end - r->start < LW_CONTENT_TEXT_SNIFF && added) {
        lw_status st = fill(r, &added, err);
        if (st)
            return st;
    }
    size_t n = r->end - r->start;
    const char *why = lw_content_not_text(r->win + r->start,
                                          n < LW_CONTENT_TEXT_SNIFF ? n : LW_CONTENT_TEXT_SNIFF);
    if (!why)
        return LW_OK;
    return lw_content_refuse(err, r->f->path, r->kind, why);
}

static lw_status open_range(lw_reader *r, const lw_input_range *rg, lw_error *err)
{
    r->file = rg->file;
    r->f = &r->list->files[rg->file];
    const char *path = r->f->path;
    if (r->f->content == LW_CONTENT_PARQUET) {
        lw_parquet_opts po = {.max_doc_bytes = r->max_doc};
        lw_status st = lw_parquet_open(&r->pq, path, r->f->size, rg->begin, rg->end, &po, err);
        r->pq_bytes = 0;
        r->open = st == LW_OK;
        r->stats.files_opened += st == LW_OK;
        return st;
    }
    if (r->f->is_stdin) {
        r->fd = STDIN_FILENO;
    } else {
        r->fd = open(path, O_RDONLY | O_CLOEXEC);
        if (r->fd < 0)
            return lw_error_errno(err, LW_E_NOINPUT, errno, "cannot open input", path);
        posix_fadvise(r->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    }
    r->open = true;
    r->stats.files_opened++;
    r->start = r->end = r->scan = 0;
    r->win_offset = 0;
    r->eof = r->raw_eof = r->corrupt = r->any_data = false;
    r->raw_len = r->raw_pos = 0;
    r->file_bytes_read = 0;
    r->range_end = rg->end;
    r->line = 0;
    r->line_origin = 0;
    r->skip_partial = false;
    r->kind = LW_CONTENT_PLAIN;
    if (rg->begin > 0) {
        /* A mid-file range of an uncompressed file: start one byte early and
         * drop everything up to the first newline, so that a line starting
         * exactly at `begin` is kept and a line started earlier is not. */
        if (lseek(r->fd, (off_t)(rg->begin - 1), SEEK_SET) < 0)
            return lw_error_errno(err, LW_E_IO, errno, "cannot seek in", path);
        r->win_offset = rg->begin - 1;
        r->skip_partial = true;
        r->any_data = true;
        return LW_OK;
    }
    /* Sniff the content: the magic of a compression means decompress. */
    size_t n = 0, got;
    lw_status st;
    while (n < LW_CONTENT_MAGIC_BYTES) {
        if ((st = read_fd(r, r->raw + n, LW_CONTENT_MAGIC_BYTES - n, &got, err)))
            return st;
        if (got == 0)
            break;
        n += got;
    }
    r->kind = lw_content_sniff(r->raw, n);
    if (lw_content_compressed(r->kind)) {
        if ((st = lw_decoder_start(r->dec, r->kind, err)))
            return st;
        r->raw_len = n;
    } else {
        if (r->f->stream && r->kind == LW_CONTENT_PARQUET)
            return lw_error_set(err, LW_E_USAGE, "%s: a Parquet file cannot be read from a pipe "
                                "or standard input (its footer is at the end); give the file "
                                "itself", path);
        if ((st = make_room(r, err)))
            return st;
        memcpy(r->win, r->raw, n);
        r->end = n;
        r->stats.bytes_decoded += n;
        r->any_data = n > 0;
        r->eof = n < LW_CONTENT_MAGIC_BYTES; /* the sniff loop stops short only at end of file */
    }
    /* A regular plain file was looked at when the inputs were listed. */
    if (r->kind == LW_CONTENT_PARQUET || (r->kind == LW_CONTENT_PLAIN && !r->f->stream))
        return LW_OK;
    return check_text(r, err);
}

static bool is_blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
            return false;
    return true;
}

static void strip_bom(const char **p, size_t *n, uint64_t offset)
{
    if (offset == 0 && *n >= 3 && memcmp(*p, "\xEF\xBB\xBF", 3) == 0) {
        *p += 3;
        *n -= 3;
    }
}

/* Read a whole file as one document. */
static lw_status next_text(lw_reader *r, lw_unit *u, lw_error *err)
{
    lw_status st;
    u->format = LW_FORMAT_TEXT;
    u->offset = 0;
    u->line = 0;
    if (r->kind == LW_CONTENT_PLAIN && !r->f->stream && r->f->size > r->max_doc) {
        u->kind = LW_UNIT_TOO_LARGE;
        u->len = r->f->size;
        return LW_OK;
    }
    size_t added;
    do {
        if (r->end - r->start > r->max_doc + 3) {
            /* Too large: count the rest without keeping it. */
            uint64_t total = r->end - r->start;
            r->start = r->end = r->scan = 0;
            do {
                if ((st = fill(r, &added, err)))
                    return st;
                total += added;
                r->start = r->end = 0;
            } while (added);
            u->kind = r->corrupt ? LW_UNIT_CORRUPT : LW_UNIT_TOO_LARGE;
            u->len = total;
            if (r->corrupt) {
                u->data = r->corrupt_msg;
                u->len = strlen(r->corrupt_msg);
                u->offset = r->corrupt_at;
            }
            return LW_OK;
        }
        if ((st = fill(r, &added, err)))
            return st;
    } while (added);
    if (r->corrupt) {
        u->kind = LW_UNIT_CORRUPT;
        u->data = r->corrupt_msg;
        u->len = strlen(r->corrupt_msg);
        u->offset = r->corrupt_at;
        return LW_OK;
    }
    const char *p = r->win + r->start;
    size_t n = r->end - r->start;
    strip_bom(&p, &n, 0);
    u->kind = n > r->max_doc ? LW_UNIT_TOO_LARGE : LW_UNIT_DOC;
    u->data = p;
    u->len = n;
    r->start = r->end;
    return LW_OK;
}

/* The next line of a JSON Lines stream; *got = false at the end of the range. */
static lw_status next_line(lw_reader *r, lw_unit *u, bool *got, lw_error *err)
{
    lw_status st;
    *got = false;
    u->format = LW_FORMAT_JSONL;
    for (;;) {
        uint64_t line_start = r->win_offset + r->start;
        if (!r->skip_partial && line_start >= r->range_end)
            return LW_OK;
        /* Find the end of the line, reading more as needed; past max_doc
         * bytes stop keeping the line and only look for its end. */
        bool discarding = false;
        uint64_t dropped = 0;
        char *nl = NULL;
        for (;;) {
            nl = r->end > r->scan ? memchr(r->win + r->scan, '\n', r->end - r->scan) : NULL;
            if (nl)
                break;
            r->scan = r->end;
            if (r->end - r->start > r->max_doc + 1) {
                discarding = true;
                dropped += r->end - r->start;
                r->win_offset += r->end;
                r->start = r->end = r->scan = 0;
            }
            size_t added;
            if ((st = fill(r, &added, err)))
                return st;
            if (added == 0)
                break;
        }
        u->file = r->file;
        u->offset = line_start;
        if (!nl && r->corrupt) {
            /* The stream broke off; the partial line cannot be trusted. */
            u->kind = LW_UNIT_CORRUPT;
            u->data = r->corrupt_msg;
            u->len = strlen(r->corrupt_msg);
            u->offset = r->corrupt_at;
            u->line = 0;
            r->start = r->end = r->scan = 0;
            *got = true;
            return LW_OK;
        }
        size_t len = (nl ? (size_t)(nl - r->win) : r->end) - r->start;
        const char *p = r->win + r->start;
        if (!nl && len == 0 && !discarding)
            return LW_OK; /* clean end of stream */
        r->start = nl ? (size_t)(nl - r->win) + 1 : r->end;
        r->scan = r->start;
        if (r->skip_partial) {
            r->skip_partial = false;
            r->line_origin = r->win_offset + r->start;
            continue;
        }
        r->line++;
        u->line = r->line;
        u->line_origin = r->line_origin;
        if (len > 0 && p[len - 1] == '\r')
            len--;
        if (discarding || len > r->max_doc) {
            u->kind = LW_UNIT_TOO_LARGE;
            u->data = NULL;
            u->len = (size_t)dropped + len;
            *got = true;
            return LW_OK;
        }
        strip_bom(&p, &len, line_start);
        if (is_blank(p, len)) {
            r->stats.blank_lines++;
            continue;
        }
        u->kind = LW_UNIT_DOC;
        u->data = p;
        u->len = len;
        *got = true;
        return LW_OK;
    }
}

/* The next row of a Parquet file (parquet_reader.c) as a unit. */
static lw_status next_parquet(lw_reader *r, lw_unit *u, bool *got, lw_error *err)
{
    lw_parquet_row row;
    lw_status st = lw_parquet_next(r->pq, &row, got, err);
    lw_parquet_info info;
    lw_parquet_info_get(r->pq, &info);
    r->stats.bytes_read += info.bytes_read - r->pq_bytes;
    r->pq_bytes = info.bytes_read;
    if (st || !*got)
        return st;
    u->kind = row.kind == LW_PARQUET_ROW         ? LW_UNIT_DOC
              : row.kind == LW_PARQUET_TOO_LARGE ? LW_UNIT_TOO_LARGE
                                                 : LW_UNIT_NOTE;
    u->format = LW_FORMAT_RECORD;
    u->file = r->file;
    u->data = row.data;
    u->len = row.len;
    u->line = row.row; /* warnings and default ids say FILE:ROW */
    if (u->kind == LW_UNIT_DOC)
        r->stats.bytes_decoded += row.len;
    return LW_OK;
}

lw_status lw_reader_next(lw_reader *r, lw_unit *u, bool *got, lw_error *err)
{
    memset(u, 0, sizeof *u);
    *got = false;
    for (;;) {
        if (!r->open) {
            if (r->next_range >= r->plan->count)
                return LW_OK;
            lw_status st = open_range(r, &r->plan->ranges[r->next_range++], err);
            if (st) {
                close_file(r);
                return st;
            }
            if (r->f->format == LW_FORMAT_TEXT) {
                st = next_text(r, u, err);
                u->file = r->file;
                close_file(r);
                if (st)
                    return st;
                *got = true;
                return LW_OK;
            }
        }
        if (r->pq) {
            lw_status st = next_parquet(r, u, got, err);
            if (st || !*got)
                close_file(r);
            if (st || *got)
                return st;
            continue;
        }
        lw_status st = next_line(r, u, got, err);
        if (st) {
            close_file(r);
            return st;
        }
        if (*got) {
            if (u->kind == LW_UNIT_CORRUPT)
                close_file(r);
            return LW_OK;
        }
        bool empty = !r->any_data && !r->corrupt;
        size_t file = r->file;
        close_file(r);
        if (empty) {
            u->kind = LW_UNIT_EMPTY_FILE;
            u->format = LW_FORMAT_JSONL;
            u->file = file;
            *got = true;
            return LW_OK;
        }
    }
}

lw_status lw_reader_open(lw_reader **out, const lw_input_list *list, const lw_part_plan *plan,
                         const lw_reader_opts *opts, lw_error *err)
{
    lw_reader *r = calloc(1, sizeof *r);
    if (!r)
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    r->list = list;
    r->plan = plan;
    r->fd = -1;
    r->max_doc = opts && opts->max_doc_bytes ? opts->max_doc_bytes : LW_DEFAULT_MAX_DOC_BYTES;
    r->raw = malloc(READ_CHUNK);
    lw_error ignore;
    if (!r->raw || lw_decoder_new(&r->dec, &ignore)) {
        lw_reader_close(r);
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    }
    *out = r;
    return LW_OK;
}

const lw_reader_stats *lw_reader_stats_get(const lw_reader *r)
{
    return &r->stats;
}

void lw_reader_consumed(const lw_reader *r, uint64_t *on_disk, uint64_t *decoded)
{
    uint64_t ahead = r->open && !r->pq ? r->end - r->start : 0;
    *decoded = r->stats.bytes_decoded - ahead;
    if (r->open && !r->pq && lw_content_compressed(r->kind))
        ahead = r->raw_len - r->raw_pos; /* the decoded window has no on-disk size */
    *on_disk = r->stats.bytes_read - ahead;
}

void lw_reader_close(lw_reader *r)
{
    if (!r)
        return;
    if (r->open)
        close_file(r);
    lw_decoder_free(r->dec);
    free(r->raw);
    free(r->win);
    free(r);
}

static void count_chunk(void *ctx, const char *data, size_t len)
{
    uint64_t *n = ctx;
    for (const char *p = data, *e = data + len; (p = memchr(p, '\n', (size_t)(e - p))); p++)
        (*n)++;
}

lw_status lw_count_newlines(const char *path, uint64_t offset, uint64_t *count, lw_error *err)
{
    *count = 0;
    return lw_file_scan(path, offset, count_chunk, count, err);
}
