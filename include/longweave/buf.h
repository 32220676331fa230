/* A growable byte buffer: the one dynamic-array type of the library. */
#ifndef LONGWEAVE_BUF_H
#define LONGWEAVE_BUF_H

#include <stddef.h>
#include <string.h>

typedef struct {
    char *data;
    size_t len;
    size_t cap;
} lw_buf;

/* Ensure room for `extra` more bytes. Returns 0, or -1 when out of memory
 * (the buffer is then unchanged). */
int lw_buf_reserve(lw_buf *b, size_t extra);
/* The same without rounding up: room for exactly extra more bytes (for one
 * large piece whose size is known, where doubling would waste up to half). */
int lw_buf_reserve_exact(lw_buf *b, size_t extra);
void lw_buf_free(lw_buf *b);

static inline int lw_buf_append(lw_buf *b, const void *p, size_t n)
{
    if (b->cap - b->len < n && lw_buf_reserve(b, n))
        return -1;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    return 0;
}

static inline int lw_buf_putc(lw_buf *b, char c)
{
    if (b->len == b->cap && lw_buf_reserve(b, 1))
        return -1;
    b->data[b->len++] = c;
    return 0;
}

static inline int lw_buf_puts(lw_buf *b, const char *s)
{
    return lw_buf_append(b, s, strlen(s));
}

/* printf-style append. */
int lw_buf_printf(lw_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
