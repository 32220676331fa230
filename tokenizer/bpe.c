/* BPE: vocabulary hash, PCRE2 pre-split, and the merge loop over bytes or
 * characters with byte fallback. */
#include "bpe.h"

#include <stdlib.h>
#include <string.h>

#include "longweave/hash.h"
#include "longweave/vec.h"

/* Pieces up to this many bytes merge with a linear scan (what tiktoken does,
 * fast for short pieces); longer ones with a heap, O(n log n). A variable so
 * that the tests can run either algorithm on any piece. */
int lw_bpe_scan_max = LW_BPE_SCAN_MAX_DEFAULT;

/* A per-thread cache of recent pieces and their ids: words repeat, and a
 * small direct-mapped table stays in cache where the vocabulary does not. */
enum { CACHE_BITS = 14, CACHE_PIECE = 24, CACHE_IDS = 5 };
typedef struct {
    uint64_t key;
    uint32_t ids[CACHE_IDS];
    uint8_t len;  /* 0: empty */
    uint8_t n;
    char bytes[CACHE_PIECE];
} cache_entry;

typedef struct {
    uint32_t start, rank, id, merged;
} scan_part;

struct lw_bpe_scratch {
    cache_entry *cache;
    lw_split_scratch *split;
    /* per-piece arrays, grown to the longest piece */
    uint32_t *start, *rank, *id, *next, *prev;
    uint64_t *heap;
    scan_part *parts;
    size_t cap, heap_cap;
    size_t unknown_dropped; /* parts with no token, no fallback and no unk */
};

int lw_ids_push(lw_ids *ids, uint32_t id)
{
    if (!LW_VEC_GROW(&ids->v, &ids->cap, ids->len + 1))
        return -1;
    ids->v[ids->len++] = id;
    return 0;
}

void lw_ids_free(lw_ids *ids)
{
    free(ids->v);
    ids->v = NULL;
    ids->len = ids->cap = 0;
}

static inline uint32_t load32(const char *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* For len <= 8, a word that determines the bytes exactly (two overlapping
 * 4-byte loads cover every byte; for 1..3 bytes, the first, middle and last
 * byte are all of them); for longer pieces a 64-bit hash. */
static inline uint64_t piece_key(const char *s, size_t len)
{
    if (len >= 4 && len <= 8)
        return (uint64_t)load32(s) | (uint64_t)load32(s + len - 4) << 32;
    if (len > 0 && len < 4)
        return (uint64_t)(unsigned char)s[0] | (uint64_t)(unsigned char)s[len / 2] << 8 |
               (uint64_t)(unsigned char)s[len - 1] << 16;
    return lw_hash64_bytes(s, len, 0);
}

static inline size_t slot_of(uint64_t key, size_t len, size_t mask)
{
    return (size_t)lw_mix64(key ^ ((uint64_t)len << 56)) & mask;
}

/* Per first two bytes: the id of that 2-byte token, and the block (index
 * + 1, 0: none) of the 3-byte tokens that start with them. One 512 KiB
 * array read in rows by first byte: the lookups of CJK text (lead byte,
 * continuation bytes) stay in a few KiB of it instead of missing all over
 * the vocabulary's hash table. */
struct lw_bpe_short {
    uint32_t id2, block3;
};

static inline uint64_t slot_hash(uint64_t key, size_t len)
{
    return lw_mix64(key ^ ((uint64_t)len << 56));
}

/* The Bloom filter's word for a piece of 4+ bytes: by its first three bytes
 * and length, so that the many lookups that extend one character (CJK
 * text) share a word; the bits come from the hash of the whole piece. */
static inline size_t bloom_word(const char *s, size_t len, size_t mask)
{
    uint64_t k = (uint64_t)(unsigned char)s[0] | (uint64_t)(unsigned char)s[1] << 8 |
                 (uint64_t)(unsigned char)s[2] << 16 | (uint64_t)len << 24;
    return (size_t)lw_mix64(k) & mask;
}

static inline uint64_t bloom_bits(uint64_t h)
{
    return 1ull << (h >> 40 & 63) | 1ull << (h >> 46 & 63) | 1ull << (h >> 52 & 63);
}

static uint32_t lookup_hashed(const lw_bpe *b, uint64_t key, uint64_t h, const char *s,
                              size_t len)
{
    for (size_t i = (size_t)h & b->slot_mask;; i = (i + 1) & b->slot_mask) {
        const lw_bpe_slot *sl = &b->slots[i];
        if (sl->id == LW_BPE_NONE)
            return LW_BPE_NONE;
        if (sl->key == key && sl->len == len &&
            (len <= 8 || memcmp(b->bytes + b->offset[sl->id], s, len) == 0))
            return sl->id;
    }
}

uint32_t lw_bpe_lookup(const lw_bpe *b, const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    if (b->short_index) {
        if (len == 1)
            return b->byte_id[u[0]];
        if (len == 2 || len == 3) {
            const struct lw_bpe_short *e = &b->short_index[u[0] << 8 | u[1]];
            if (len == 2)
                return e->id2;
            return e->block3 ? b->short3[(size_t)(e->block3 - 1) << 8 | u[2]] : LW_BPE_NONE;
        }
    }
    uint64_t key = piece_key(s, len), h = slot_hash(key, len);
    if (b->bloom) {
        uint64_t want = bloom_bits(h);
        if ((b->bloom[bloom_word(s, len, b->bloom_mask)] & want) != want)
            return LW_BPE_NONE;
    }
    return lookup_hashed(b, key, h, s, len);
}

/* The shortcuts, made while the hash table is filled (see lw_bpe_init);
 * out of memory, lookups just hash. */
typedef struct {
    struct lw_bpe_short *idx;
    uint32_t *short3;
    uint64_t *bloom;
    size_t words;
} shortcuts;

static bool shortcuts_alloc(const lw_bpe *b, shortcuts *sc)
{
    size_t long_tokens = 0, blocks = 0;
    memset(sc, 0, sizeof *sc);
    if (!(sc->idx = malloc(65536 * sizeof *sc->idx)))
        return false;
    for (size_t i = 0; i < 65536; i++)
        sc->idx[i] = (struct lw_bpe_short){LW_BPE_NONE, 0};
    for (uint32_t id = 0; id < b->n_ids; id++) {
        if (b->offset[id] == UINT64_MAX)
            continue;
        const unsigned char *t = (const unsigned char *)b->bytes + b->offset[id];
        uint32_t n = b->length[id];
        if (n == 3 && !sc->idx[t[0] << 8 | t[1]].block3)
            sc->idx[t[0] << 8 | t[1]].block3 = (uint32_t)++blocks;
        long_tokens += n > 3;
    }
    sc->words = 64;
    while (sc->words < long_tokens / 4)
        sc->words *= 2;
    sc->short3 = malloc((blocks ? blocks : 1) * 256 * sizeof *sc->short3);
    sc->bloom = calloc(sc->words, sizeof *sc->bloom);
    if (!sc->short3 || !sc->bloom) {
        free(sc->idx);
        free(sc->short3);
        free(sc->bloom);
        memset(sc, 0, sizeof *sc);
        return false;
    }
    for (size_t i = 0; i < blocks * 256; i++)
        sc->short3[i] = LW_BPE_NONE;
    return true;
}

/* Token id (not a duplicate) with bytes s[0..n) and hash h. */
static void shortcuts_add(shortcuts *sc, uint32_t id, const char *s, uint32_t n, uint64_t h)
{
    const unsigned char *t = (const unsigned char *)s;
    if (n == 2)
        sc->idx[t[0] << 8 | t[1]].id2 = id;
    else if (n == 3)
        sc->short3[(size_t)(sc->idx[t[0] << 8 | t[1]].block3 - 1) << 8 | t[2]] = id;
    else if (n > 3)
        sc->bloom[bloom_word(s, n, sc->words - 1)] |= bloom_bits(h);
}

lw_status lw_bpe_init(lw_bpe *b, char *bytes, uint64_t *offsets, uint32_t *lengths,
                      uint32_t n_ids, const char *pattern, lw_error *err)
{
    memset(b, 0, sizeof *b);
    b->bytes = bytes;
    b->offset = offsets;
    b->length = lengths;
    b->n_ids = n_ids;
    size_t cap = 1024;
    while (cap < (size_t)n_ids * 2)
        cap *= 2;
    b->slots = malloc(cap * sizeof *b->slots);
    if (!b->slots)
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    for (size_t i = 0; i < cap; i++)
        b->slots[i].id = LW_BPE_NONE;
    b->slot_mask = cap - 1;
    b->whole_first = true;
    b->unk_id = LW_BPE_NONE;
    for (int c = 0; c < 256; c++)
        b->fallback_id[c] = LW_BPE_NONE;
    shortcuts sc;
    bool fast = shortcuts_alloc(b, &sc);
    enum { AHEAD = 16 }; /* the table is far bigger than the caches: fetch ahead */
    for (uint32_t id = 0; id < n_ids; id++) {
        uint32_t next = id + AHEAD;
        if (next < n_ids && offsets[next] != UINT64_MAX) {
            uint64_t k = piece_key(bytes + offsets[next], lengths[next]);
            __builtin_prefetch(&b->slots[slot_hash(k, lengths[next]) & b->slot_mask]);
        }
        if (offsets[id] == UINT64_MAX)
            continue;
        const char *s = bytes + offsets[id];
        uint64_t key = piece_key(s, lengths[id]), h = slot_hash(key, lengths[id]);
        if (lookup_hashed(b, key, h, s, lengths[id]) != LW_BPE_NONE)
            continue; /* a duplicate piece: the lower id wins */
        size_t i = (size_t)h & b->slot_mask;
        while (b->slots[i].id != LW_BPE_NONE)
            i = (i + 1) & b->slot_mask;
        b->slots[i] = (lw_bpe_slot){key, id, lengths[id]};
        if (fast)
            shortcuts_add(&sc, id, s, lengths[id], h);
    }
    for (int c = 0; c < 256; c++) {
        char ch = (char)c;
        b->byte_id[c] = lw_bpe_lookup(b, &ch, 1);
    }
    if (fast) {
        b->short_index = sc.idx;
        b->short3 = sc.short3;
        b->bloom = sc.bloom;
        b->bloom_mask = sc.words - 1;
    }
    if (!pattern)
        return LW_OK;
    b->has_split = true;
    return lw_split_compile(&b->split, pattern, err);
}

int lw_bpe_add_merge(lw_bpe *b, uint32_t left, uint32_t right, uint32_t merged, uint32_t rank)
{
    /* The table is sized by the first call's caller through pair_mask. */
    uint64_t key = (uint64_t)left << 32 | right;
    size_t i = (size_t)lw_mix64(key) & b->pair_mask;
    while (b->pairs[i].id != LW_BPE_NONE) {
        if (b->pairs[i].key == key)
            return 0; /* first (lowest-ranked) occurrence wins */
        i = (i + 1) & b->pair_mask;
    }
    b->pairs[i] = (lw_bpe_pair){key, rank, merged};
    return 0;
}

static inline const lw_bpe_pair *find_pair(const lw_bpe *b, uint32_t left, uint32_t right)
{
    uint64_t key = (uint64_t)left << 32 | right;
    for (size_t i = (size_t)lw_mix64(key) & b->pair_mask;; i = (i + 1) & b->pair_mask) {
        if (b->pairs[i].id == LW_BPE_NONE)
            return NULL;
        if (b->pairs[i].key == key)
            return &b->pairs[i];
    }
}

void lw_bpe_free(lw_bpe *b)
{
    free(b->bytes);
    free(b->offset);
    free(b->length);
    free(b->slots);
    free(b->pairs);
    free(b->rank_of_id);
    free(b->short_index);
    free(b->short3);
    free(b->bloom);
    if (b->has_split)
        lw_split_free(&b->split);
    memset(b, 0, sizeof *b);
}

lw_bpe_scratch *lw_bpe_scratch_new(void)
{
    lw_bpe_scratch *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->cache = calloc((size_t)1 << CACHE_BITS, sizeof *s->cache);
    s->split = lw_split_scratch_new();
    if (!s->cache || !s->split) {
        lw_bpe_scratch_free(s);
        return NULL;
    }
    return s;
}

void lw_bpe_scratch_free(lw_bpe_scratch *s)
{
    if (!s)
        return;
    free(s->cache);
    lw_split_scratch_free(s->split);
    free(s->start);
    free(s->rank);
    free(s->id);
    free(s->next);
    free(s->prev);
    free(s->heap);
    free(s->parts);
    free(s);
}

static int grow(lw_bpe_scratch *s, size_t n)
{
    if (n <= s->cap)
        return 0;
    size_t cap = s->cap ? s->cap : 256;
    while (cap < n)
        cap *= 2;
    uint32_t **arrays[] = {&s->start, &s->rank, &s->id, &s->next, &s->prev};
    for (size_t i = 0; i < sizeof arrays / sizeof *arrays; i++) {
        uint32_t *p = realloc(*arrays[i], cap * sizeof *p);
        if (!p)
            return -1;
        *arrays[i] = p;
    }
    scan_part *parts = realloc(s->parts, cap * sizeof *parts);
    if (!parts)
        return -1;
    s->parts = parts;
    s->cap = cap;
    return 0;
}

/* The rank of joining the parts [a, mid) and [mid, end) whose ids are la and
 * ra; *merged gets the id of the joined token. LW_BPE_NONE: cannot join. */
static inline uint32_t pair_rank(const lw_bpe *b, const char *piece, uint32_t a, uint32_t end,
                                 uint32_t la, uint32_t ra, uint32_t *merged)
{
    if (b->merge_mode) {
        const lw_bpe_pair *p = find_pair(b, la, ra);
        if (!p)
            return LW_BPE_NONE;
        *merged = p->id;
        return p->rank;
    }
    uint32_t id = lw_bpe_lookup(b, piece + a, end - a);
    *merged = id;
    return b->rank_of_id && id != LW_BPE_NONE ? b->rank_of_id[id] : id;
}

/* Length of the UTF-8 character at p (at most avail bytes). */
static inline uint32_t char_len(const char *p, uint32_t avail)
{
    unsigned char c = (unsigned char)*p;
    uint32_t k = c < 0xC0 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    return k < avail ? k : avail;
}

/* The initial part piece[a, end) of a piece of n bytes as HF's merge_word
 * spells it: the prefix unless it is first, the suffix if it is last. buf
 * has room for two affixes and a character; returns the length. */
static size_t affixed(const lw_bpe *b, const char *piece, uint32_t a, uint32_t end, uint32_t n,
                      char *buf)
{
    size_t m = 0;
    if (a > 0) {
        memcpy(buf, b->prefix, b->prefix_len);
        m = b->prefix_len;
    }
    memcpy(buf + m, piece + a, end - a);
    m += end - a;
    if (end == n) {
        memcpy(buf + m, b->suffix, b->suffix_len);
        m += b->suffix_len;
    }
    return m;
}

/* The initial part at piece[i]: its length and id (LW_BPE_NONE: no token). */
static inline uint32_t first_part(const lw_bpe *b, const char *piece, uint32_t i, uint32_t n,
                                  uint32_t *id)
{
    uint32_t k = b->char_symbols ? char_len(piece + i, n - i) : 1;
    if (b->prefix_len | b->suffix_len) {
        char buf[2 * LW_BPE_AFFIX_MAX + 4];
        *id = lw_bpe_lookup(b, buf, affixed(b, piece, i, i + k, n, buf));
        return k;
    }
    *id = k == 1 ? b->byte_id[(unsigned char)piece[i]] : lw_bpe_lookup(b, piece + i, k);
    return k;
}

/* Append the ids of a final part [a, end): its token, else its bytes'
 * fallback tokens, else the unknown token (fused with an unknown part just
 * before it when fuse_unk), else nothing, counted. *unk: the last id came
 * from an unknown part. */
static int emit_part(const lw_bpe *b, lw_bpe_scratch *s, const char *piece, uint32_t n,
                     uint32_t a, uint32_t end, uint32_t id, bool *unk, lw_ids *out)
{
    if (id != LW_BPE_NONE) {
        *unk = false;
        return lw_ids_push(out, id);
    }
    /* a part without a token is one initial part: its bytes, affixed */
    char buf[2 * LW_BPE_AFFIX_MAX + 4];
    const unsigned char *p = (const unsigned char *)piece + a;
    size_t m = end - a;
    if ((b->prefix_len | b->suffix_len) && m <= 4) {
        m = affixed(b, piece, a, end, n, buf);
        p = (const unsigned char *)buf;
    }
    bool bytes = b->byte_fallback;
    for (size_t k = 0; bytes && k < m; k++)
        bytes = b->fallback_id[p[k]] != LW_BPE_NONE;
    if (bytes) {
        *unk = false;
        for (size_t k = 0; k < m; k++)
            if (lw_ids_push(out, b->fallback_id[p[k]]))
                return -1;
        return 0;
    }
    if (b->unk_id == LW_BPE_NONE) {
        s->unknown_dropped++;
        return 0;
    }
    if (*unk && b->fuse_unk)
        return 0;
    *unk = true;
    return lw_ids_push(out, b->unk_id);
}

/* tiktoken's byte_pair_merge, with ids tracked per part: parts[0..m) and
 * a sentinel parts[m] whose start is n; parts[k].rank is the rank of
 * joining parts k and k+1. One array of structs, so a merge moves one
 * block of memory. Returns the number of parts left in s->parts. */
static uint32_t merge_scan(const lw_bpe *b, lw_bpe_scratch *s, const char *piece, uint32_t n)
{
    scan_part *p = s->parts;
    uint32_t m = 0;
    for (uint32_t i = 0; i < n; m++) {
        p[m].start = i;
        i += first_part(b, piece, i, n, &p[m].id);
    }
    p[m].start = n;
    p[m].id = p[m].rank = LW_BPE_NONE;
    for (uint32_t i = 0; i + 1 < m; i++)
        p[i].rank = pair_rank(b, piece, p[i].start, p[i + 2].start, p[i].id, p[i + 1].id,
                              &p[i].merged);
    p[m - 1].rank = LW_BPE_NONE;
    for (;;) {
        uint32_t best = LW_BPE_NONE, i = 0;
        for (uint32_t k = 0; k + 1 < m; k++)
            if (p[k].rank < best) {
                best = p[k].rank;
                i = k;
            }
        if (best == LW_BPE_NONE)
            break;
        p[i].id = p[i].merged;
        for (uint32_t k = i + 1; k < m; k++) /* drop part i+1 (the sentinel moves too) */
            p[k] = p[k + 1];
        m--;
        p[i].rank = i + 1 < m ? pair_rank(b, piece, p[i].start, p[i + 2].start, p[i].id,
                                          p[i + 1].id, &p[i].merged)
                              : LW_BPE_NONE;
        if (i > 0)
            p[i - 1].rank = pair_rank(b, piece, p[i - 1].start, p[i + 1].start, p[i - 1].id,
                                      p[i].id, &p[i - 1].merged);
    }
    return m;
}

/* Min-heap of (rank << 32 | start) keys. */
static void heap_push(uint64_t *h, size_t *n, uint64_t key)
{
    size_t i = (*n)++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (h[p] <= key)
            break;
        h[i] = h[p];
        i = p;
    }
    h[i] = key;
}

static uint64_t heap_pop(uint64_t *h, size_t *n)
{
    uint64_t top = h[0], last = h[--*n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= *n)
            break;
        if (c + 1 < *n && h[c + 1] < h[c])
            c++;
        if (h[c] >= last)
            break;
        h[i] = h[c];
        i = c;
    }
    h[i] = last;
    return top;
}

/* The same merges in O(n log n): parts are a linked list keyed by their
 * start byte; the heap orders candidate pairs by (rank, start), which is
 * "lowest rank, leftmost" exactly. Stale heap entries are skipped. The
 * parts are then i = 0, next[i], ... below n, with ids id[i]. */
static int merge_heap(const lw_bpe *b, lw_bpe_scratch *s, const char *piece, uint32_t n)
{
    if (s->heap_cap < (size_t)n * 3) {
        uint64_t *h = realloc(s->heap, (size_t)n * 3 * sizeof *h);
        if (!h)
            return -1;
        s->heap = h;
        s->heap_cap = (size_t)n * 3;
    }
    uint32_t *rank = s->rank, *id = s->id, *next = s->next, *prev = s->prev, *merged = s->start;
    uint64_t *heap = s->heap;
    size_t hn = 0;
    for (uint32_t i = 0, last = LW_BPE_NONE; i < n; last = i, i = next[i]) {
        next[i] = i + first_part(b, piece, i, n, &id[i]);
        prev[i] = last;
        rank[i] = LW_BPE_NONE;
    }
    for (uint32_t i = 0; next[i] < n; i = next[i]) {
        uint32_t j = next[i], end = next[j];
        rank[i] = pair_rank(b, piece, i, end, id[i], id[j], &merged[i]);
        if (rank[i] != LW_BPE_NONE)
            heap_push(heap, &hn, (uint64_t)rank[i] << 32 | i);
    }
    /* At most n-1 initial entries and 2 per merge: 3n never overflows. */
    while (hn > 0) {
        uint64_t top = heap_pop(heap, &hn);
        uint32_t i = (uint32_t)top, r = (uint32_t)(top >> 32);
        if (rank[i] != r)
            continue; /* stale: the pair changed since */
        uint32_t j = next[i];
        id[i] = merged[i];
        next[i] = next[j];
        if (next[j] < n)
            prev[next[j]] = i;
        rank[j] = LW_BPE_NONE;
        uint32_t k = next[i];
        rank[i] = k < n ? pair_rank(b, piece, i, next[k], id[i], id[k], &merged[i]) : LW_BPE_NONE;
        if (rank[i] != LW_BPE_NONE)
            heap_push(heap, &hn, (uint64_t)rank[i] << 32 | i);
        uint32_t p = prev[i];
        if (p != LW_BPE_NONE) {
            rank[p] = pair_rank(b, piece, p, next[i], id[p], id[i], &merged[p]);
            if (rank[p] != LW_BPE_NONE)
                heap_push(heap, &hn, (uint64_t)rank[p] << 32 | p);
        }
    }
    return 0;
}

static int merge_piece(const lw_bpe *b, lw_bpe_scratch *s, const char *piece, uint32_t n,
                       lw_ids *out)
{
    if (b->whole_first) {
        uint32_t whole = lw_bpe_lookup(b, piece, n);
        if (whole != LW_BPE_NONE)
            return lw_ids_push(out, whole);
    }
    if (n == 1 && !b->suffix_len && b->byte_id[(unsigned char)piece[0]] != LW_BPE_NONE)
        return lw_ids_push(out, b->byte_id[(unsigned char)piece[0]]);
    if (grow(s, (size_t)n + 2))
        return -1;
    bool unk = false;
    if (n <= (uint32_t)lw_bpe_scan_max) {
        uint32_t parts = merge_scan(b, s, piece, n);
        for (uint32_t k = 0; k < parts; k++)
            if (emit_part(b, s, piece, n, s->parts[k].start, s->parts[k + 1].start,
                          s->parts[k].id, &unk, out))
                return -1;
        return 0;
    }
    if (merge_heap(b, s, piece, n))
        return -1;
    for (uint32_t i = 0; i < n; i = s->next[i])
        if (emit_part(b, s, piece, n, i, s->next[i], s->id[i], &unk, out))
            return -1;
    return 0;
}

static int encode_piece(const lw_bpe *b, lw_bpe_scratch *s, const char *piece, uint32_t n,
                        lw_ids *out)
{
    if (n == 0)
        return 0;
    if (n > CACHE_PIECE)
        return merge_piece(b, s, piece, n, out);
    uint64_t key = piece_key(piece, n);
    cache_entry *e = &s->cache[slot_of(key, n, ((size_t)1 << CACHE_BITS) - 1)];
    if (e->len == n && e->key == key && (n <= 8 || memcmp(e->bytes, piece, n) == 0)) {
        for (uint8_t k = 0; k < e->n; k++)
            if (lw_ids_push(out, e->ids[k]))
                return -1;
        return 0;
    }
    size_t before = out->len;
    if (merge_piece(b, s, piece, n, out))
        return -1;
    size_t made = out->len - before;
    if (made <= CACHE_IDS) {
        e->key = key;
        e->len = (uint8_t)n;
        e->n = (uint8_t)made;
        memcpy(e->bytes, piece, n);
        memcpy(e->ids, out->v + before, made * sizeof *e->ids);
    }
    return 0;
}

int lw_bpe_encode_piece(const lw_bpe *b, lw_bpe_scratch *s, const char *piece, size_t n,
                        lw_ids *out)
{
    if (n > UINT32_MAX - 2)
        return -1;
    return encode_piece(b, s, piece, (uint32_t)n, out);
}

size_t lw_bpe_scratch_unknown_dropped(const lw_bpe_scratch *s)
{
    return s->unknown_dropped;
}

lw_status lw_bpe_encode(const lw_bpe *b, lw_bpe_scratch *s, const char *text, size_t len,
                        lw_ids *out, lw_error *err)
{
    if (!b->has_split) {
        if (len > UINT32_MAX - 2)
            return lw_error_set(err, LW_E_DATA, "a piece of %zu bytes is too long", len);
        if (encode_piece(b, s, text, (uint32_t)len, out))
            return lw_error_set(err, LW_E_NOMEM, "out of memory encoding");
        return LW_OK;
    }
    size_t at = 0;
    while (at < len) {
        size_t a, e;
        int rc = lw_split_match(&b->split, s->split, text, len, at, &a, &e);
        if (rc == 0) {
            /* The rest matches no alternative: tiktoken makes no tokens of it,
             * HF's Split keeps it as one piece. */
            if (b->keep_gaps && encode_piece(b, s, text + at, (uint32_t)(len - at), out))
                return lw_error_set(err, LW_E_NOMEM, "out of memory encoding");
            break;
        }
        if (rc < 0) {
            PCRE2_UCHAR msg[160];
            pcre2_get_error_message(rc, msg, sizeof msg);
            return lw_error_set(err, LW_E_DATA, "pre-split failed at byte %zu: %s", at,
                                (char *)msg);
        }
        if (e == a) { /* an empty match: step over one character */
            at = e + 1;
            while (at < len && ((unsigned char)text[at] & 0xC0) == 0x80)
                at++;
            continue;
        }
        if (e - a > UINT32_MAX - 2)
            return lw_error_set(err, LW_E_DATA, "a pre-split piece of %zu bytes is too long",
                                e - a);
        if (b->keep_gaps && a > at && encode_piece(b, s, text + at, (uint32_t)(a - at), out))
            return lw_error_set(err, LW_E_NOMEM, "out of memory encoding");
        if (encode_piece(b, s, text + a, (uint32_t)(e - a), out))
            return lw_error_set(err, LW_E_NOMEM, "out of memory encoding");
        at = e;
    }
    return LW_OK;
}
