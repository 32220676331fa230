/* Document lineage: the companion PREFIX.docs.jsonl of a token dataset,
 * one line per document in dataset order,
 *     {"id":ID,"source":SOURCE}
 * ID the input's id as a JSON string (numbers in decimal), or the default id
 * of shard (lw_docflow_default_id: "PATH:LINE", or the path of a text file);
 * SOURCE the input's `source` field as it was, or the input's path. tokenize
 * writes it, merge joins the parts' files (byte for byte: their lines need
 * no renumbering), mix carries it into a mixture (and takes shares by it,
 * --by source), and CIP's map reaches it through the global document
 * numbers its manifest's inputs give. It is lineage: a command that cannot
 * carry it through leaves it out. */
#ifndef LONGWEAVE_DOC_LINEAGE_H
#define LONGWEAVE_DOC_LINEAGE_H

#include <stddef.h>
#include <stdint.h>

#include "longweave/buf.h"
#include "longweave/dataset.h"

#define LW_DOCS_ROLE "docs"
#define LW_DOCS_SUFFIX ".docs.jsonl"
/* cip -t keeps the lineage of the documents it tokenized as OUTDIR/docs.jsonl
 * (a part's docs.part-IIIII.jsonl) */
#define LW_DOCS_FILE "docs"

/* Append one line: id and source are JSON texts already. Non-zero when out
 * of memory. */
int lw_docs_line(lw_buf *out, const char *id, size_t id_len, const char *source,
                 size_t source_len);

/* A dataset's sidecar, mapped, with the offset of every line (8 bytes per
 * document). */
typedef struct {
    char *path;
    void *map;
    size_t size;
    uint64_t *off;          /* n + 1 entries: line i is [off[i], off[i+1] - 1) */
    uint64_t n;
} lw_docs_index;

/* Open PREFIX.docs.jsonl, which must hold `documents` lines (LW_E_DATA
 * naming the file otherwise). */
lw_status lw_docs_index_open(lw_docs_index *x, const char *prefix, uint64_t documents,
                             lw_error *err);
/* Line i, without its newline. */
const char *lw_docs_index_line(const lw_docs_index *x, uint64_t i, size_t *len);
void lw_docs_index_close(lw_docs_index *x);
/* The value of a line's field (e.g. "source") as a key: a string's
 * characters, any other value's JSON text, into out (NUL-terminated).
 * LW_E_DATA naming FILE:LINE when the line is not an object with it. */
lw_status lw_docs_index_field(const lw_docs_index *x, uint64_t i, const char *field, lw_buf *out,
                              lw_error *err);

/* The companion (verify: one object with "id" and "source" per line, one
 * line per document; merge: the parts' files joined). */
extern const lw_companion lw_docs_companion;

#endif
