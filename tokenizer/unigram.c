/* The Unigram model: a hash of every prefix of every piece (so that the
 * pieces matching at a position are found in increasing length, stopping at
 * the first prefix no piece has, as a trie would), and the Viterbi pass of
 * HF's encode_optimized with its unknown-node and fusing rules. */
#include "unigram.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "longweave/hash.h"
#include "longweave/vec.h"

#define UNK_PENALTY 10.0 /* HF's K_UNK_PENALTY, SentencePiece's kUnkPenalty */

typedef struct {
    uint64_t h;     /* running hash of the prefix */
    uint32_t len;   /* 0: empty slot */
    uint32_t owner; /* a piece that has this prefix (for its bytes) */
    int64_t id;     /* the piece that is exactly this prefix; -1: none */
} prefix_slot;

struct lw_unigram {
    uint32_t n;
    char **piece;
    uint32_t *len;
    double *score;
    prefix_slot *slots;
    size_t mask;
    double unk_score;
    int64_t unk_id;
    bool byte_fallback;
    int64_t byte_id[256]; /* <0xXX> pieces; -1: none */
};

typedef struct {
    double score;
    size_t start; /* SIZE_MAX: not reached */
    int64_t id;
} node;

struct lw_unigram_scratch {
    node *nodes;
    size_t cap;
    size_t *seg; /* segment boundaries, backwards */
    size_t seg_cap;
};

static inline uint64_t step(uint64_t h, unsigned char c)
{
    return (h ^ c) * 0x100000001b3ULL;
}
#define HASH_SEED 0xcbf29ce484222325ULL

static inline size_t slot_of(uint64_t h, uint32_t len, size_t mask)
{
    return (size_t)lw_mix64(h ^ ((uint64_t)len << 56)) & mask;
}

/* The slot of a prefix (found, or the empty one where it would go). */
static prefix_slot *find(const lw_unigram *u, uint64_t h, const char *s, uint32_t len)
{
    for (size_t i = slot_of(h, len, u->mask);; i = (i + 1) & u->mask) {
        prefix_slot *p = &u->slots[i];
        if (p->len == 0)
            return p;
        if (p->h == h && p->len == len && memcmp(u->piece[p->owner], s, len) == 0)
            return p;
    }
}

lw_unigram *lw_unigram_new(uint32_t n)
{
    lw_unigram *u = calloc(1, sizeof *u);
    if (!u)
        return NULL;
    u->n = n;
    u->piece = calloc(n ? n : 1, sizeof *u->piece);
    u->len = calloc(n ? n : 1, sizeof *u->len);
    u->score = calloc(n ? n : 1, sizeof *u->score);
    if (!u->piece || !u->len || !u->score) {
        lw_unigram_free(u);
        return NULL;
    }
    return u;
}

int lw_unigram_set(lw_unigram *u, uint32_t id, const char *piece, size_t len, double score)
{
    if (id >= u->n || len >= UINT32_MAX)
        return -1;
    char *c = malloc(len + 1);
    if (!c)
        return -1;
    memcpy(c, piece, len);
    c[len] = '\0';
    free(u->piece[id]);
    u->piece[id] = c;
    u->len[id] = (uint32_t)len;
    u->score[id] = score;
    return 0;
}

lw_status lw_unigram_build(lw_unigram *u, int64_t unk_id, bool byte_fallback, lw_error *err)
{
    if (unk_id >= 0 && u->n == 0)
        return lw_error_set(err, LW_E_DATA, "the vocabulary is empty but an unknown id is given");
    if (unk_id >= (int64_t)u->n)
        return lw_error_set(err, LW_E_DATA, "unk_id %lld is not below the vocabulary size %u",
                            (long long)unk_id, u->n);
    size_t total = 0;
    double min_score = INFINITY;
    for (uint32_t i = 0; i < u->n; i++) {
        if (!u->piece[i] && lw_unigram_set(u, i, "", 0, 0.0))
            return lw_error_set(err, LW_E_NOMEM, "out of memory");
        total += u->len[i];
        if (u->score[i] < min_score)
            min_score = u->score[i];
    }
    size_t cap = 1024;
    while (cap < 2 * total)
        cap *= 2;
    free(u->slots);
    u->slots = calloc(cap, sizeof *u->slots);
    if (!u->slots)
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    u->mask = cap - 1;
    for (uint32_t i = 0; i < u->n; i++) {
        uint64_t h = HASH_SEED;
        for (uint32_t l = 1; l <= u->len[i]; l++) {
            h = step(h, (unsigned char)u->piece[i][l - 1]);
            prefix_slot *p = find(u, h, u->piece[i], l);
            if (p->len == 0)
                *p = (prefix_slot){h, l, i, -1};
            if (l == u->len[i])
                p->id = i; /* a later duplicate wins, as HF's token map does */
        }
    }
    u->unk_score = min_score - UNK_PENALTY;
    u->unk_id = unk_id;
    u->byte_fallback = byte_fallback;
    for (int b = 0; b < 256; b++) {
        char name[8];
        snprintf(name, sizeof name, "<0x%02X>", b);
        u->byte_id[b] = lw_unigram_lookup(u, name, 6);
    }
    return LW_OK;
}

void lw_unigram_free(lw_unigram *u)
{
    if (!u)
        return;
    for (uint32_t i = 0; u->piece && i < u->n; i++)
        free(u->piece[i]);
    free(u->piece);
    free(u->len);
    free(u->score);
    free(u->slots);
    free(u);
}

uint32_t lw_unigram_size(const lw_unigram *u) { return u->n; }
int64_t lw_unigram_unk_id(const lw_unigram *u) { return u->unk_id; }

int64_t lw_unigram_lookup(const lw_unigram *u, const char *s, size_t len)
{
    if (len == 0 || len >= UINT32_MAX) {
        /* "" is in HF's token map too, but never the end of a match */
        for (uint32_t i = u->n; len == 0 && i-- > 0;)
            if (u->len[i] == 0)
                return i;
        return -1;
    }
    uint64_t h = HASH_SEED;
    for (size_t i = 0; i < len; i++)
        h = step(h, (unsigned char)s[i]);
    const prefix_slot *p = find(u, h, s, (uint32_t)len);
    return p->len ? p->id : -1;
}

const char *lw_unigram_piece(const lw_unigram *u, uint32_t id, size_t *len)
{
    if (id >= u->n)
        return NULL;
    *len = u->len[id];
    return u->piece[id];
}

lw_unigram_scratch *lw_unigram_scratch_new(void)
{
    return calloc(1, sizeof(lw_unigram_scratch));
}

void lw_unigram_scratch_free(lw_unigram_scratch *s)
{
    if (!s)
        return;
    free(s->nodes);
    free(s->seg);
    free(s);
}

static size_t utf8_len(unsigned char c)
{
    return c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
}

/* One segment of the best path: its id if it is a piece, else byte
 * fallback, else the unknown id (HF's tokenize). */
static lw_status emit(const lw_unigram *u, const char *s, size_t len, lw_ids *out,
                      lw_error *err)
{
    int64_t id = lw_unigram_lookup(u, s, len);
    if (id < 0 && u->byte_fallback) {
        size_t i = 0;
        while (i < len && u->byte_id[(unsigned char)s[i]] >= 0)
            i++;
        if (i == len) {
            for (i = 0; i < len; i++)
                if (lw_ids_push(out, (uint32_t)u->byte_id[(unsigned char)s[i]]))
                    return lw_error_set(err, LW_E_NOMEM, "out of memory");
            return LW_OK;
        }
    }
    if (id < 0)
        id = u->unk_id;
    if (id < 0)
        return lw_error_set(err, LW_E_DATA, "an unknown character and the Unigram model has no "
                            "unk_id");
    if (lw_ids_push(out, (uint32_t)id))
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    return LW_OK;
}

lw_status lw_unigram_encode(const lw_unigram *u, lw_unigram_scratch *s, const char *text,
                            size_t n, lw_ids *out, lw_error *err)
{
    if (n == 0)
        return LW_OK;
    if (n + 1 > s->cap) {
        node *nn = realloc(s->nodes, (n + 1) * sizeof *nn);
        if (!nn)
            return lw_error_set(err, LW_E_NOMEM, "out of memory");
        s->nodes = nn;
        s->cap = n + 1;
    }
    node *best = s->nodes;
    for (size_t i = 0; i <= n; i++)
        best[i] = (node){0.0, SIZE_MAX, -1};
    for (size_t at = 0; at < n;) {
        double here = best[at].score;
        size_t mblen = utf8_len((unsigned char)text[at]);
        if (mblen > n - at)
            mblen = n - at;
        bool single = false;
        uint64_t h = HASH_SEED;
        for (size_t end = at; end < n && end - at < UINT32_MAX - 1;) {
            h = step(h, (unsigned char)text[end]);
            end++;
            const prefix_slot *p = find(u, h, text + at, (uint32_t)(end - at));
            if (!p->len)
                break;
            if (p->id < 0)
                continue;
            double cand = u->score[p->id] + here;
            if (best[end].start == SIZE_MAX || cand > best[end].score)
                best[end] = (node){cand, at, p->id};
            if (end - at == mblen)
                single = true;
        }
        if (!single) {
            if (u->unk_id < 0)
                return lw_error_set(err, LW_E_DATA, "a character no piece covers (byte %zu of a "
                                    "piece) and the Unigram model has no unk_id", at);
            double cand = u->unk_score + here;
            node *t = &best[at + mblen];
            if (t->start == SIZE_MAX || cand > t->score)
                *t = (node){cand, at, u->unk_id};
        }
        at += mblen;
    }
    /* Backtrack: segment boundaries from the end, runs of unknown nodes
     * fused into one segment. */
    size_t nseg = 0;
    bool prev_unk = false;
    for (size_t end = n; end > 0;) {
        size_t start = best[end].start;
        bool unk = u->unk_id >= 0 && best[end].id == u->unk_id;
        if (!LW_VEC_GROW(&s->seg, &s->seg_cap, nseg + 2))
            return lw_error_set(err, LW_E_NOMEM, "out of memory");
        if (unk && prev_unk) { /* seg holds pairs (end, start): extend the last */
            s->seg[nseg - 1] = start;
        } else {
            s->seg[nseg++] = end;
            s->seg[nseg++] = start;
        }
        prev_unk = unk;
        end = start;
    }
    for (size_t k = nseg; k > 0; k -= 2) {
        size_t start = s->seg[k - 1], end = s->seg[k - 2];
        lw_status st = emit(u, text + start, end - start, out, err);
        if (st)
            return st;
    }
    return LW_OK;
}
