/* Documents of one or more Megatron token datasets, read in a streaming way:
 * the index is read in blocks as documents go by and tokens are read with
 * pread, so memory (including mapped pages) stays small for any corpus size.
 * Documents are numbered across the datasets in the order given; a Megatron
 * document is the concatenation of its sequences (contiguous in PREFIX.bin).
 *
 * A lw_token_docs is shared by threads (pread is safe); each thread walks it
 * with its own lw_token_cursor. */
#ifndef LONGWEAVE_TOKEN_DOCS_H
#define LONGWEAVE_TOKEN_DOCS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "longweave/status.h"

typedef struct {
    char *prefix;
    int idx_fd, bin_fd;
    int dtype;              /* LW_MEGATRON_UINT16 or LW_MEGATRON_INT32 */
    uint64_t sequences, documents;
    uint64_t first_doc;     /* global number of its first document */
    uint64_t bin_size;
} lw_token_file;

typedef struct {
    lw_token_file *files;
    size_t count;
    uint64_t documents;     /* over all files */
    uint32_t vocab;         /* ids read must be below it (0: not checked) */
} lw_token_docs;

/* Open each prefix with the checks every reader of a dataset makes (the
 * index's structure against the .bin, as verify checks it); ids will be
 * checked against vocab as they are read (LW_E_DATA naming the document). */
lw_status lw_token_docs_open(lw_token_docs *d, const char *const *prefixes, size_t n,
                             uint32_t vocab, lw_error *err);
void lw_token_docs_close(lw_token_docs *d);

/* Where a document's tokens are. */
typedef struct {
    uint64_t doc;           /* global number */
    uint32_t file;
    uint64_t offset;        /* byte offset in the file's .bin */
    uint64_t tokens;
} lw_token_doc;

/* Read a document's tokens (converted to uint32) into out[0..doc->tokens). */
lw_status lw_token_docs_read(const lw_token_docs *d, const lw_token_doc *doc, uint32_t *out,
                             lw_error *err);

/* A sequential walk over documents [first, end). */
typedef struct lw_token_cursor lw_token_cursor;
lw_status lw_token_cursor_open(lw_token_cursor **out, const lw_token_docs *d, uint64_t first,
                               uint64_t end, lw_error *err);
/* *got = false after the last document. Damage in the index (document
 * indices not rising, offsets beyond the .bin) is LW_E_DATA naming the file. */
lw_status lw_token_cursor_next(lw_token_cursor *c, lw_token_doc *doc, bool *got, lw_error *err);
void lw_token_cursor_close(lw_token_cursor *c);

#endif
