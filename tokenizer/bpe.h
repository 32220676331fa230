/* BPE: the vocabulary (bytes <-> id), the PCRE2 pre-split and the merge
 * loop. Shared by the tiktoken, tokenizer.json and SentencePiece loaders.
 *
 * Two merge rules, both "merge the lowest-ranked adjacent pair, leftmost
 * first", as the reference implementations do:
 *  - rank mode (tiktoken, SentencePiece BPE): a pair's rank is the rank of
 *    the concatenated bytes, if that is a token (its id, or rank_of_id);
 *  - merge mode (tokenizer.json): a pair's rank is its line in "merges".
 *
 * A piece starts as its bytes (byte-level BPE) or, with char_symbols, as its
 * UTF-8 characters (BPE over a SentencePiece-style vocabulary), each with
 * the affixes of HF's BPE when set; a part left
 * without a token in the end becomes the <0xXX> tokens of its bytes
 * (byte fallback) or the unknown token. */
#ifndef LONGWEAVE_BPE_H
#define LONGWEAVE_BPE_H

#include <stdbool.h>
#include <stdint.h>

#include "longweave/tokenizer.h"
#include "pattern.h"

#define LW_BPE_NONE UINT32_MAX
#define LW_BPE_SCAN_MAX_DEFAULT 128
#define LW_BPE_AFFIX_MAX 32 /* bytes of a prefix or suffix, at most this less one */
extern int lw_bpe_scan_max;

/* A vocabulary slot. Pieces of up to 8 bytes are stored by value in key
 * (see piece_key in bpe.c), so a lookup compares one word and never touches
 * the token bytes; longer pieces store a hash and are compared by memcmp. */
typedef struct {
    uint64_t key;
    uint32_t id;   /* LW_BPE_NONE: empty slot */
    uint32_t len;
} lw_bpe_slot;

typedef struct {
    uint64_t key; /* left id << 32 | right id */
    uint32_t rank, id;
} lw_bpe_pair;

typedef struct {
    /* id -> bytes */
    char *bytes;          /* all token bytes, back to back */
    uint64_t *offset;     /* per id; UINT64_MAX when the id has no token */
    uint32_t *length;
    uint32_t n_ids;
    /* bytes -> id */
    lw_bpe_slot *slots;
    size_t slot_mask;
    /* merge mode */
    bool merge_mode;
    bool whole_first;     /* a whole piece in the vocabulary wins (tiktoken, ignore_merges) */
    bool keep_gaps;       /* text between matches is a piece too (HF); tiktoken drops it */
    lw_bpe_pair *pairs;
    size_t pair_mask;
    uint32_t byte_id[256];
    lw_split split;       /* no pattern: a text is one piece */
    bool has_split;
    /* rank mode: rank of a token by id (NULL: the id itself). Equal ranks
     * merge leftmost first, as equal SentencePiece scores do. */
    uint32_t *rank_of_id;
    /* pieces start as characters; what has no token at the end falls back */
    bool char_symbols;
    uint32_t fallback_id[256]; /* byte -> its <0xXX> token; LW_BPE_NONE: none */
    bool byte_fallback;
    uint32_t unk_id;           /* LW_BPE_NONE: no unknown token */
    bool fuse_unk;             /* consecutive unknown parts make one unknown token */
    /* Merge mode: tokenizer.json's continuing_subword_prefix and
     * end_of_word_suffix, as HF's merge_word uses them: a piece's initial
     * parts are looked up with the prefix on all but the first and the
     * suffix on the last (byte fallback takes those bytes too). */
    char prefix[LW_BPE_AFFIX_MAX], suffix[LW_BPE_AFFIX_MAX];
    uint8_t prefix_len, suffix_len;
    /* Lookup shortcuts (see lw_bpe_lookup), built by lw_bpe_init: tokens of
     * 2 and 3 bytes by direct index, a Bloom filter over longer ones. */
    struct lw_bpe_short *short_index; /* NULL: every lookup hashes */
    uint32_t *short3;                 /* 256-id blocks of 3-byte tokens */
    uint64_t *bloom;
    size_t bloom_mask;
} lw_bpe;

/* Build from n_ids entries: bytes of id i at bytes + offsets[i] (length
 * lengths[i]; offset UINT64_MAX = no token). Takes ownership of the arrays.
 * pattern NULL: no pre-split. The mode fields above start as byte-level
 * rank mode with whole_first (tiktoken); loaders set them after. */
lw_status lw_bpe_init(lw_bpe *b, char *bytes, uint64_t *offsets, uint32_t *lengths,
                      uint32_t n_ids, const char *pattern, lw_error *err);
/* Merge mode: add a merge (left, right) -> merged, with the given rank. */
int lw_bpe_add_merge(lw_bpe *b, uint32_t left, uint32_t right, uint32_t merged, uint32_t rank);
void lw_bpe_free(lw_bpe *b);

uint32_t lw_bpe_lookup(const lw_bpe *b, const char *s, size_t len);

typedef struct lw_bpe_scratch lw_bpe_scratch;
lw_bpe_scratch *lw_bpe_scratch_new(void);
void lw_bpe_scratch_free(lw_bpe_scratch *s);

/* Append the ids of one pre-split piece (valid UTF-8). 0, or -1 when out
 * of memory. */
int lw_bpe_encode_piece(const lw_bpe *b, lw_bpe_scratch *s, const char *piece, size_t n,
                        lw_ids *out);

/* Parts a scratch has dropped since it was made: no token, no byte fallback
 * and no unknown token (as Hugging Face's BPE drops them). */
size_t lw_bpe_scratch_unknown_dropped(const lw_bpe_scratch *s);

/* Pre-split with the pattern, then encode each piece. text must be valid
 * UTF-8. */
lw_status lw_bpe_encode(const lw_bpe *b, lw_bpe_scratch *s, const char *text, size_t len,
                        lw_ids *out, lw_error *err);

#endif
