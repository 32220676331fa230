/* The Unigram model: the pieces in a trie whose edges (node, byte) -> child
 * sit in one hash table (so the pieces matching at a position come in
 * increasing length, one probe per byte, stopping at the first prefix no
 * piece has), and the Viterbi pass of HF's encode_optimized with its
 * unknown-node and fusing rules. */
#include "unigram.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "longweave/hash.h"
#include "longweave/vec.h"

#define UNK_PENALTY 10.0 /* HF's K_UNK_PENALTY, SentencePiece's kUnkPenalty */

typedef struct {
    uint64_t key;   /* parent node << 8 | byte, plus 1; 0: empty slot */
    uint32_t child;
} edge;
struct lw_unigram {
    uint32_t n;
    char **piece;
    uint32_t *len;
    double *score;
    edge *edges;
    size_t mask;
    int64_t *node_id; /* the piece ending at a trie node; -1: none (node 0: root) */
    uint32_t n_nodes;
    double unk_score;
    int64_t unk_id;
    bool byte_fallback;
    int64_t byte_id[256]; /* <0xXX> pieces; -1: none */
};

typedef struct {
    double score;
    size_t start; /* SIZE_MAX: not reached */
    int64_t id;
} node_t;

struct lw_unigram_scratch {
    node_t *nodes;
    size_t cap;
    size_t *seg; /* segment boundaries, backwards */
    size_t seg_cap;
};

static inline size_t slot_of(uint64_t key, size_t mask)
{
    return (size_t)lw_mix64(key) & mask;
}

/* The child of node by byte c; 0 (the root, never a child) when none. */
static inline uint32_t child(const lw_unigram *u, uint32_t node, unsigned char c)
{
    uint64_t key = ((uint64_t)node << 8 | c) + 1;
    for (size_t i = slot_of(key, u->mask);; i = (i + 1) & u->mask) {
        if (u->edges[i].key == key)
            return u->edges[i].child;
        if (u->edges[i].key == 0)
            return 0;
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
    free(u->edges);
    free(u->node_id);
    u->edges = calloc(cap, sizeof *u->edges);
    u->node_id = malloc((total + 1) * sizeof *u->node_id);
    if (!u->edges || !u->node_id)
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    u->mask = cap - 1;
    u->node_id[0] = -1;
    u->n_nodes = 1;
    for (uint32_t i = 0; i < u->n; i++) {
        uint32_t node = 0;
        for (uint32_t l = 0; l < u->len[i]; l++) {
            unsigned char c = (unsigned char)u->piece[i][l];
            uint32_t next = child(u, node, c);
            if (!next) {
                uint64_t key = ((uint64_t)node << 8 | c) + 1;
                size_t k = slot_of(key, u->mask);
                while (u->edges[k].key)
                    k = (k + 1) & u->mask;
                next = u->n_nodes++;
                u->edges[k] = (edge){key, next};
                u->node_id[next] = -1;
            }
            node = next;
        }
        if (u->len[i])
            u->node_id[node] = i; /* a later duplicate wins, as HF's token map does */
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
    free(u->edges);
    free(u->node_id);
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
    uint32_t node = 0;
    for (size_t i = 0; i < len && (node = child(u, node, (unsigned char)s[i])); i++)
        ;
    return node ? u->node_id[node] : -1;
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
        node_t *nn = realloc(s->nodes, (n + 1) * sizeof *nn);
        if (!nn)
            return lw_error_set(err, LW_E_NOMEM, "out of memory");
        s->nodes = nn;
        s->cap = n + 1;
    }
    node_t *best = s->nodes;
    for (size_t i = 0; i <= n; i++)
        best[i] = (node_t){0.0, SIZE_MAX, -1};
    for (size_t at = 0; at < n;) {
        double here = best[at].score;
        size_t mblen = utf8_len((unsigned char)text[at]);
        if (mblen > n - at)
            mblen = n - at;
        bool single = false;
        uint32_t node = 0;
        for (size_t end = at; end < n;) {
            node = child(u, node, (unsigned char)text[end++]);
            if (!node)
                break;
            int64_t id = u->node_id[node];
            if (id < 0)
                continue;
            double cand = u->score[id] + here;
            if (best[end].start == SIZE_MAX || cand > best[end].score)
                best[end] = (node_t){cand, at, id};
            if (end - at == mblen)
                single = true;
        }
        if (!single) {
            if (u->unk_id < 0)
                return lw_error_set(err, LW_E_DATA, "a character no piece covers (byte %zu of a "
                                    "piece) and the Unigram model has no unk_id", at);
            double cand = u->unk_score + here;
            node_t *t = &best[at + mblen];
            if (t->start == SIZE_MAX || cand > t->score)
                *t = (node_t){cand, at, u->unk_id};
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
