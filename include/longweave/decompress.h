/* Content kinds and streaming decoders: what an input's first bytes say it
 * is (zstd, gzip, xz, bzip2, or plain bytes), and one push-style decoder that
 * turns the compressed bytes of any of those kinds into the content, chunk by
 * chunk, with a bounded amount of memory.
 *
 * Kinds are told by content (magic bytes), never by name. Every kind reads
 * concatenations the way its own command-line tool does: several zstd frames
 * and skippable frames, several gzip members (`cat a.gz b.gz`, bgzip's
 * blocks), several xz streams with padding, several bzip2 streams (pbzip2).
 * A stream that ends inside a frame, member or stream is truncated; bytes a
 * decoder refuses are corrupt. Either way the decoder reports a message and
 * the compressed offset where it stopped, and decodes nothing more. */
#ifndef LONGWEAVE_DECOMPRESS_H
#define LONGWEAVE_DECOMPRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "longweave/status.h"

typedef enum {
    LW_CONTENT_PLAIN = 0, /* not compressed: read as it is */
    LW_CONTENT_ZSTD,
    LW_CONTENT_GZIP,
    LW_CONTENT_XZ,
    LW_CONTENT_BZIP2,
    /* "PAR1": a Parquet file. Not a stream this module decodes; the Parquet
     * reader's. Never refused as binary here. */
    LW_CONTENT_PARQUET
} lw_content_kind;

/* Bytes lw_content_sniff needs to tell every kind apart. */
#define LW_CONTENT_MAGIC_BYTES 6
/* Bytes of (decompressed) content lw_content_not_text looks at. */
#define LW_CONTENT_TEXT_SNIFF 4096

/* The kind the first n bytes of a content announce (n may be below
 * LW_CONTENT_MAGIC_BYTES only for a shorter content). */
lw_content_kind lw_content_sniff(const void *head, size_t n);
/* "zstd", "gzip", "xz", "bzip2", "plain", "parquet". */
const char *lw_content_name(lw_content_kind kind);
/* A kind lw_decoder decodes (zstd, gzip, xz, bzip2). */
bool lw_content_compressed(lw_content_kind kind);

/* Why the first bytes of a content (at most LW_CONTENT_TEXT_SNIFF, fewer only
 * when the content is shorter) cannot be a text or JSON Lines input: what it
 * looks like ("a zip archive", "lz4 data", "binary data: NUL bytes and
 * invalid UTF-8"), or NULL when it can be. Text with some invalid UTF-8 and
 * no NUL is text (the UTF-8 policy repairs or skips it per document), and so
 * is UTF-8 with a raw NUL (malformed JSON, counted per line): only content
 * that is neither is refused, along with a known binary format. */
const char *lw_content_not_text(const void *head, size_t n);
/* LW_E_DATA "PATH: not UTF-8 text and not a known compression (zstd, gzip,
 * xz, bzip2): it looks like WHY", or for a compressed kind "PATH: its gzip
 * content is not UTF-8 text: it looks like WHY". */
lw_status lw_content_refuse(lw_error *err, const char *path, lw_content_kind kind,
                            const char *why);

typedef enum {
    LW_DEC_OK = 0,   /* call again: with more input once all of it is consumed */
    LW_DEC_DONE,     /* the input ended cleanly and all the content is out */
    LW_DEC_CORRUPT,  /* damaged or truncated: lw_decoder_message, _offset */
    LW_DEC_NOMEM
} lw_dec_result;

typedef struct lw_decoder lw_decoder;

lw_status lw_decoder_new(lw_decoder **out, lw_error *err);
void lw_decoder_free(lw_decoder *d);
/* Start a new content of a compressed kind. */
lw_status lw_decoder_start(lw_decoder *d, lw_content_kind kind, lw_error *err);
/* Decode from in[*in_pos..in_len) into out[0..out_cap), which must not be
 * empty; *out_len receives the bytes produced (possibly some before a
 * CORRUPT). at_end says in[..in_len) is the last of the input. Returns OK as
 * soon as it produced something or consumed all the input; at_end, it
 * returns DONE or CORRUPT once nothing more comes out. */
lw_dec_result lw_decoder_step(lw_decoder *d, const void *in, size_t in_len, size_t *in_pos,
                              bool at_end, void *out, size_t out_cap, size_t *out_len);
/* After CORRUPT: "truncated gzip stream: ..." or "corrupt xz stream: ...". */
const char *lw_decoder_message(const lw_decoder *d);
/* Compressed bytes consumed so far: after CORRUPT, about where it stopped. */
uint64_t lw_decoder_offset(const lw_decoder *d);

#endif
