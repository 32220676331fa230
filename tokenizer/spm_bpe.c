/* The native SentencePiece BPE encoder: the library's normalizer
 * (normalizer.cc), then its BPE (bpe_model.cc: merge the adjacent pair whose
 * joined piece has the highest score, leftmost first; symbols start as UTF-8
 * characters), then its output rules (sentencepiece_processor.cc: an
 * unknown piece becomes its bytes' <0xXX> pieces with byte_fallback, else
 * runs of unknown pieces are one unknown token).
 *
 * Why it is linear: the library merges over the whole normalized text, but
 * no merge can cross a position p whose two neighbouring characters appear
 * next to each other in no vocabulary piece (every merge makes a vocabulary
 * piece). Merges on either side of such a p never interact, and the global
 * order "highest score, leftmost" restricted to one side is that side's own
 * order, so encoding the sides separately gives the same tokens. Two such
 * cuts are used: before a "▁" that follows another character, when no
 * piece has "X▁" inside with X not "▁" (checked at load; true of every
 * model trained with split_by_whitespace, also with
 * allow_whitespace_only_pieces), and, in pieces longer than
 * lw_spm_bpe_long, at any character pair no piece contains (CJK text
 * without spaces). The pieces then go through bpe.c's merge loop and cache,
 * and the normalized text is held only a window at a time. */
#include "spm_bpe.h"

#include <math.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "longweave/hash.h"
#include "longweave/utf8.h"
#include "spm_model.h"

size_t lw_spm_bpe_window = 64 * 1024;
size_t lw_spm_bpe_long = 64;

#define WS "\xE2\x96\x81" /* U+2581, the escaped space */

struct lw_spm_bpe {
    lw_bpe bpe;
    /* normalizer: precompiled_charsmap's double-array trie (darts-clone
     * units) and the NUL-terminated replacements it points into */
    uint32_t *trie;
    size_t n_units;
    char *repl;
    size_t repl_len;
    bool add_dummy_prefix, remove_ws;
    bool stop[256]; /* bytes where the plain copy stops: space, a trie root edge */
    /* cuts */
    bool ws_cut;    /* no piece has X▁ inside (X not ▁): cut before such a ▁ */
    uint64_t *pairs; /* character pairs inside pieces (0: empty slot) */
    size_t pair_mask, n_pairs;
    bool pair_zero;  /* the pair whose key is 0 (two NUL characters) */
    bool byte_fallback;
    uint32_t unk_id;
    /* user-defined symbols (PrefixMatcher): the longest one at a position is
     * taken whole, before normalizing and again as one frozen symbol */
    uint32_t *udf;   /* hash of the pieces' bytes -> id; UINT32_MAX: empty */
    size_t udf_mask, n_udf;
    uint32_t udf_len[256]; /* their distinct lengths, longest first */
    size_t n_udf_len;
    bool udf_first[256];
    /* decoding and piece lookups: the mergeable pieces are bpe's, the
     * reserved ones (control, unknown, byte) are here in id order */
    uint32_t n_pieces;
    uint32_t *res_id, *res_off, *res_len;
    unsigned char *res_type;
    char *res_bytes;
    size_t n_res;
    int64_t roles[4]; /* bos, eos, pad, unk as the library's bos_id() etc. */
    char *unk_surface;
    size_t unk_surface_len;
    bool strip_bos_ws; /* add_dummy_prefix or remove_extra_whitespaces */
    bool decodes;      /* no denormalizer: Decode is covered */
    bool self_test;
};

/* ---- character pairs ---- */

static inline uint32_t one_char_len(const char *p, size_t avail)
{
    /* util.h OneCharLen, clipped as PrefixMatch clips it */
    static const unsigned char len[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
    uint32_t k = len[(unsigned char)*p >> 4];
    return k < avail ? k : (uint32_t)avail;
}

static inline uint64_t char_key(const char *p, uint32_t k)
{
    uint32_t v = 0;
    memcpy(&v, p, k);
    return v;
}

static inline uint64_t pair_key(uint64_t a, uint64_t b) { return a | b << 32; }

static bool pair_has(const lw_spm_bpe *m, uint64_t key)
{
    if (key == 0)
        return m->pair_zero;
    for (size_t i = (size_t)lw_mix64(key) & m->pair_mask;; i = (i + 1) & m->pair_mask) {
        if (m->pairs[i] == key)
            return true;
        if (m->pairs[i] == 0)
            return false;
    }
}

static void pair_put(uint64_t *pairs, size_t mask, uint64_t key)
{
    size_t i = (size_t)lw_mix64(key) & mask;
    while (pairs[i] != 0 && pairs[i] != key)
        i = (i + 1) & mask;
    pairs[i] = key;
}

/* The table holds the distinct pairs at most half full: it grows by
 * doubling (a 32K vocabulary has some 20K distinct pairs of about 200K). */
static int pair_add(lw_spm_bpe *m, uint64_t key)
{
    if (key == 0) {
        m->pair_zero = true;
        return 0;
    }
    if (pair_has(m, key))
        return 0;
    if (++m->n_pairs * 2 > m->pair_mask + 1) {
        size_t cap = (m->pair_mask + 1) * 2;
        uint64_t *t = calloc(cap, sizeof *t);
        if (!t)
            return -1;
        for (size_t i = 0; i <= m->pair_mask; i++)
            if (m->pairs[i])
                pair_put(t, cap - 1, m->pairs[i]);
        free(m->pairs);
        m->pairs = t;
        m->pair_mask = cap - 1;
    }
    pair_put(m->pairs, m->pair_mask, key);
    return 0;
}

/* ---- loading ---- */

static int byte_of_piece(const char *p, uint32_t n)
{
    /* ByteToPiece's "<0x%02X>" exactly */
    static const char hex[] = "0123456789ABCDEF";
    if (n != 6 || memcmp(p, "<0x", 3) != 0 || p[5] != '>')
        return -1;
    const char *h = memchr(hex, p[3], 16), *l = memchr(hex, p[4], 16);
    if (!h || !l || !p[3] || !p[4])
        return -1;
    return (int)((h - hex) * 16 + (l - hex));
}

typedef struct {
    float score;
    uint32_t id;
} scored;

static int by_score_desc(const void *a, const void *b)
{
    const scored *x = a, *y = b;
    return x->score > y->score ? -1 : x->score < y->score ? 1 : (x->id > y->id) - (x->id < y->id);
}

static bool mergeable(int type) { return type == LW_SPM_NORMAL || type == LW_SPM_USER_DEFINED; }

#define REFUSE(...) (snprintf(why, whycap, __VA_ARGS__), 1)

/* The checks that keep a model on the library; 0: covered. */
static int uncovered(const lw_spm_model *sm, char *why, size_t whycap)
{
    if (sm->model_type != LW_SPM_BPE)
        return REFUSE("model_type is not BPE");
    if (!sm->escape_whitespaces)
        return REFUSE("escape_whitespaces is false");
    if (sm->treat_whitespace_as_suffix)
        return REFUSE("treat_whitespace_as_suffix");
    int unk = 0, bytes = 0;
    for (uint32_t i = 0; i < sm->n_pieces; i++) {
        const lw_spm_piece *p = &sm->pieces[i];
        if (p->len == 0)
            return REFUSE("piece %u is empty", i);
        if (p->type == LW_SPM_UNUSED)
            return REFUSE("UNUSED pieces");
        if (p->type == LW_SPM_USER_DEFINED &&
            (memchr(p->piece, 0, p->len) || lw_utf8_valid_prefix(p->piece, p->len, NULL) != p->len))
            return REFUSE("a USER_DEFINED piece that is not text");
        if (isnan(p->score))
            return REFUSE("a NaN score");
        if (!mergeable(p->type) && one_char_len(p->piece, p->len) == p->len)
            return REFUSE("a control, unknown or byte piece of one character");
        unk += p->type == LW_SPM_UNKNOWN;
        if (p->type == LW_SPM_BYTE) {
            if (!sm->byte_fallback || byte_of_piece(p->piece, p->len) < 0)
                return REFUSE("a byte piece the library refuses");
            bytes++;
        }
    }
    if (unk != 1)
        return REFUSE("not exactly one unknown piece");
    if (sm->byte_fallback && bytes < 256)
        return REFUSE("byte_fallback without 256 byte pieces");
    if (sm->charsmap && sm->charsmap_len) {
        uint32_t n;
        if (sm->charsmap_len <= 4)
            return REFUSE("a broken precompiled_charsmap");
        memcpy(&n, sm->charsmap, 4);
        if (n >= sm->charsmap_len || n > sm->charsmap_len - 4 || n < 4)
            return REFUSE("a broken precompiled_charsmap");
    }
    return 0;
}

static inline uint32_t unit_offset(uint32_t u) { return (u >> 10) << ((u & (1U << 9)) >> 6); }
static inline uint32_t unit_label(uint32_t u) { return u & ((1U << 31) | 0xFF); }
static inline bool unit_has_leaf(uint32_t u) { return (u >> 8) & 1; }

static lw_status load_charsmap(lw_spm_bpe *m, const lw_spm_model *sm, lw_error *err)
{
    uint32_t n;
    memcpy(&n, sm->charsmap, 4);
    m->n_units = n / 4;
    m->repl_len = sm->charsmap_len - 4 - n;
    m->trie = malloc(n);
    m->repl = malloc(m->repl_len + 1);
    if (!m->trie || !m->repl)
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    memcpy(m->trie, sm->charsmap + 4, n);
    memcpy(m->repl, sm->charsmap + 4 + n, m->repl_len);
    m->repl[m->repl_len] = '\0';
    /* a byte starts a match only through an edge from the root */
    uint32_t root = unit_offset(m->trie[0]);
    for (int c = 0; c < 256; c++) {
        size_t pos = root ^ (uint32_t)c;
        if (pos < m->n_units && unit_label(m->trie[pos]) == (uint32_t)c && (c & 0xC0) != 0x80)
            m->stop[c] = true;
    }
    return LW_OK;
}

static lw_status build(lw_spm_bpe *m, const lw_spm_model *sm, lw_error *err)
{
    uint32_t n = sm->n_pieces;
    size_t total = 0;
    for (uint32_t i = 0; i < n; i++)
        total += sm->pieces[i].len;
    char *bytes = malloc(total ? total : 1);
    uint64_t *off = malloc((size_t)n * sizeof *off);
    uint32_t *len = malloc((size_t)n * sizeof *len);
    uint32_t *order = malloc((size_t)n * sizeof *order);
    if (!bytes || !off || !len || !order) {
        free(bytes), free(off), free(len), free(order);
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    }
    size_t at = 0, n_merge = 0;
    for (uint32_t i = 0; i < n; i++) {
        const lw_spm_piece *p = &sm->pieces[i];
        len[i] = p->len;
        off[i] = UINT64_MAX;
        if (mergeable(p->type)) { /* the library's pieces_; the rest is reserved */
            memcpy(bytes + at, p->piece, p->len);
            off[i] = at;
            at += p->len;
            order[n_merge++] = i;
        }
    }
    lw_status st = lw_bpe_init(&m->bpe, bytes, off, len, n, NULL, err);
    if (st) {
        free(order);
        return st;
    }
    lw_bpe *b = &m->bpe;
    b->char_symbols = true;
    b->whole_first = false;
    b->byte_fallback = sm->byte_fallback;
    b->fuse_unk = true;
    m->byte_fallback = sm->byte_fallback;
    /* ranks: higher score first, equal scores equal ranks (then leftmost) */
    scored *by = malloc((n_merge ? n_merge : 1) * sizeof *by);
    b->rank_of_id = malloc((size_t)n * sizeof *b->rank_of_id);
    if (!by || !b->rank_of_id) {
        free(by), free(order);
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    }
    for (uint32_t i = 0; i < n; i++)
        b->rank_of_id[i] = UINT32_MAX - 1;
    for (size_t k = 0; k < n_merge; k++)
        by[k] = (scored){sm->pieces[order[k]].score, order[k]};
    free(order);
    qsort(by, n_merge, sizeof *by, by_score_desc);
    for (size_t k = 0, rank = 0; k < n_merge; k++) {
        if (k > 0 && by[k].score != by[k - 1].score)
            rank = k;
        b->rank_of_id[by[k].id] = (uint32_t)rank;
    }
    free(by);
    for (uint32_t i = 0; i < n; i++) {
        const lw_spm_piece *p = &sm->pieces[i];
        if (p->type == LW_SPM_UNKNOWN)
            b->unk_id = m->unk_id = i;
        if (p->type == LW_SPM_BYTE)
            b->fallback_id[byte_of_piece(p->piece, p->len)] = i;
    }
    /* character pairs inside pieces, and whether a ▁ follows anything else */
    size_t cap = 1024;
    m->pairs = calloc(cap, sizeof *m->pairs);
    if (!m->pairs)
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    m->pair_mask = cap - 1;
    m->ws_cut = true;
    for (uint32_t i = 0; i < n; i++) {
        const lw_spm_piece *p = &sm->pieces[i];
        if (!mergeable(p->type))
            continue;
        uint32_t a = one_char_len(p->piece, p->len);
        uint64_t prev = char_key(p->piece, a);
        bool prev_ws = a == 3 && memcmp(p->piece, WS, 3) == 0;
        for (uint32_t j = a; j < p->len;) {
            uint32_t k = one_char_len(p->piece + j, p->len - j);
            uint64_t cur = char_key(p->piece + j, k);
            bool ws = k == 3 && memcmp(p->piece + j, WS, 3) == 0;
            if (pair_add(m, pair_key(prev, cur)))
                return lw_error_set(err, LW_E_NOMEM, "out of memory");
            if (ws && !prev_ws)
                m->ws_cut = false;
            prev = cur;
            prev_ws = ws;
            j += k;
        }
    }
    return LW_OK;
}

static inline size_t udf_slot(const char *p, size_t n, size_t mask)
{
    return (size_t)lw_hash64_bytes(p, n, 0) & mask;
}

static uint32_t udf_find(const lw_spm_bpe *m, const char *p, size_t n)
{
    const lw_bpe *b = &m->bpe;
    for (size_t i = udf_slot(p, n, m->udf_mask);; i = (i + 1) & m->udf_mask) {
        uint32_t id = m->udf[i];
        if (id == UINT32_MAX || (b->length[id] == n && memcmp(b->bytes + b->offset[id], p, n) == 0))
            return id;
    }
}

/* The length of the longest user-defined piece p[0..n) starts with (0:
 * none) and its id. */
static size_t udf_match(const lw_spm_bpe *m, const char *p, size_t n, uint32_t *id)
{
    for (size_t k = 0; k < m->n_udf_len; k++) {
        uint32_t len = m->udf_len[k];
        if (len <= n && (*id = udf_find(m, p, len)) != UINT32_MAX)
            return len;
    }
    return 0;
}

static int by_len_desc(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x < y) - (x > y);
}

/* 0; 1 when the model is not covered (why filled); -1 out of memory. */
static int build_udf(lw_spm_bpe *m, const lw_spm_model *sm, char *why, size_t whycap)
{
    size_t n = 0;
    for (uint32_t i = 0; i < sm->n_pieces; i++)
        n += sm->pieces[i].type == LW_SPM_USER_DEFINED;
    if (n == 0)
        return 0;
    size_t cap = 16;
    while (cap < n * 2)
        cap *= 2;
    if (!(m->udf = malloc(cap * sizeof *m->udf)))
        return -1;
    memset(m->udf, 0xFF, cap * sizeof *m->udf);
    m->udf_mask = cap - 1;
    m->n_udf = n;
    for (uint32_t i = 0; i < sm->n_pieces; i++) {
        const lw_spm_piece *p = &sm->pieces[i];
        if (p->type != LW_SPM_USER_DEFINED)
            continue;
        size_t k = udf_slot(p->piece, p->len, m->udf_mask);
        while (m->udf[k] != UINT32_MAX)
            k = (k + 1) & m->udf_mask;
        m->udf[k] = i;
        unsigned char c = (unsigned char)p->piece[0];
        m->udf_first[c] = true;
        if ((c & 0xC0) != 0x80)
            m->stop[c] = true;
        size_t j = 0;
        while (j < m->n_udf_len && m->udf_len[j] != p->len)
            j++;
        if (j == m->n_udf_len) {
            if (m->n_udf_len == 256)
                return REFUSE("user-defined pieces of more than 256 lengths");
            m->udf_len[m->n_udf_len++] = p->len;
        }
    }
    qsort(m->udf_len, m->n_udf_len, sizeof *m->udf_len, by_len_desc);
    /* darts-clone keeps 64 prefix matches: more would make the library's
     * longest match another one */
    for (uint32_t i = 0; i < sm->n_pieces; i++) {
        const lw_spm_piece *p = &sm->pieces[i];
        if (p->type != LW_SPM_USER_DEFINED)
            continue;
        int prefixes = 0;
        for (size_t k = 0; k < m->n_udf_len; k++)
            prefixes += m->udf_len[k] <= p->len && udf_find(m, p->piece, m->udf_len[k]) != UINT32_MAX;
        if (prefixes > 64)
            return REFUSE("a user-defined piece with more than 64 user-defined prefixes");
    }
    return 0;
}

/* ---- reserved pieces, roles ---- */

static const lw_spm_bpe *sort_model; /* qsort has no context argument: load is serial */

static int by_reserved_bytes(const void *a, const void *b)
{
    const lw_spm_bpe *m = sort_model;
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    size_t n = m->res_len[x] < m->res_len[y] ? m->res_len[x] : m->res_len[y];
    int c = memcmp(m->res_bytes + m->res_off[x], m->res_bytes + m->res_off[y], n);
    return c ? c : (m->res_len[x] > m->res_len[y]) - (m->res_len[x] < m->res_len[y]);
}

static int64_t reserved_find(const lw_spm_bpe *m, const char *p, size_t n)
{
    for (size_t k = 0; k < m->n_res; k++)
        if (m->res_len[k] == n && memcmp(m->res_bytes + m->res_off[k], p, n) == 0)
            return m->res_id[k];
    return -1;
}

/* The slot of reserved piece id, or SIZE_MAX. */
static size_t reserved_slot(const lw_spm_bpe *m, uint32_t id)
{
    size_t lo = 0, hi = m->n_res;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (m->res_id[mid] < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < m->n_res && m->res_id[lo] == id ? lo : SIZE_MAX;
}

/* ModelInterface::PieceToId: reserved pieces first, then the others, else unk. */
static uint32_t library_piece_to_id(const lw_spm_bpe *m, const char *p, size_t n)
{
    int64_t id = reserved_find(m, p, n);
    if (id >= 0)
        return (uint32_t)id;
    uint32_t b = n ? lw_bpe_lookup(&m->bpe, p, n) : LW_BPE_NONE;
    return b != LW_BPE_NONE ? b : m->unk_id;
}

static int type_of(const lw_spm_bpe *m, uint32_t id)
{
    size_t k = m->bpe.offset[id] == UINT64_MAX ? reserved_slot(m, id) : SIZE_MAX;
    return k == SIZE_MAX ? LW_SPM_NORMAL : m->res_type[k];
}

/* 0; 1 when the library would refuse the model (why filled); -1 out of memory. */
static int build_reserved(lw_spm_bpe *m, const lw_spm_model *sm, char *why, size_t whycap)
{
    size_t n = 0, total = 0;
    for (uint32_t i = 0; i < sm->n_pieces; i++)
        if (!mergeable(sm->pieces[i].type))
            n++, total += sm->pieces[i].len;
    m->n_pieces = sm->n_pieces;
    m->res_id = malloc((n ? n : 1) * sizeof *m->res_id);
    m->res_off = malloc((n ? n : 1) * sizeof *m->res_off);
    m->res_len = malloc((n ? n : 1) * sizeof *m->res_len);
    m->res_type = malloc(n ? n : 1);
    m->res_bytes = malloc(total ? total : 1);
    size_t *order = malloc((n ? n : 1) * sizeof *order);
    if (!m->res_id || !m->res_off || !m->res_len || !m->res_type || !m->res_bytes || !order ||
        total > UINT32_MAX) {
        free(order);
        return -1;
    }
    size_t at = 0;
    for (uint32_t i = 0; i < sm->n_pieces; i++) {
        const lw_spm_piece *p = &sm->pieces[i];
        if (mergeable(p->type))
            continue;
        m->res_id[m->n_res] = i;
        m->res_off[m->n_res] = (uint32_t)at;
        m->res_len[m->n_res] = p->len;
        m->res_type[m->n_res] = (unsigned char)p->type;
        order[m->n_res] = m->n_res;
        m->n_res++;
        memcpy(m->res_bytes + at, p->piece, p->len);
        at += p->len;
    }
    /* InitializePieces refuses a reserved piece defined twice */
    sort_model = m;
    qsort(order, n, sizeof *order, by_reserved_bytes);
    int dup = 0;
    for (size_t k = 1; k < n && !dup; k++)
        dup = by_reserved_bytes(&order[k - 1], &order[k]) == 0;
    free(order);
    if (dup)
        return REFUSE("a piece defined twice");
    static const char *const role_default[4] = {"<unk>", "<s>", "</s>", "<pad>"};
    for (int k = 0; k < 4; k++) { /* model_->unk_piece() etc., as C strings */
        const char *p = sm->role_len[k] ? sm->role_piece[k] : role_default[k];
        size_t len = sm->role_len[k] ? sm->role_len[k] : strlen(p);
        const char *nul = memchr(p, 0, len);
        uint32_t id = library_piece_to_id(m, p, nul ? (size_t)(nul - p) : len);
        int want = k == 0 ? LW_SPM_UNKNOWN : LW_SPM_CONTROL;
        m->roles[k == 0 ? 3 : k - 1] = type_of(m, id) == want ? (int64_t)id : -1;
    }
    const char *us = sm->unk_surface ? sm->unk_surface : " \xE2\x81\x87 ";
    size_t ul = sm->unk_surface ? sm->unk_surface_len : strlen(us);
    const char *nul = memchr(us, 0, ul);
    m->unk_surface_len = nul ? (size_t)(nul - us) : ul;
    if (!(m->unk_surface = malloc(m->unk_surface_len + 1)))
        return -1;
    memcpy(m->unk_surface, us, m->unk_surface_len);
    m->strip_bos_ws = sm->add_dummy_prefix || sm->remove_extra_whitespaces;
    m->decodes = !sm->denormalizer;
    m->self_test = sm->self_test;
    return 0;
}

lw_status lw_spm_bpe_new(const char *data, size_t size, lw_spm_bpe **out, char *why,
                         size_t whycap, lw_error *err)
{
    *out = NULL;
    if (whycap)
        why[0] = '\0';
    lw_spm_model sm;
    if (lw_spm_model_parse(&sm, data, size)) {
        snprintf(why, whycap, "the model does not parse");
        return LW_OK;
    }
    if (uncovered(&sm, why, whycap)) {
        lw_spm_model_free(&sm);
        return LW_OK;
    }
    lw_spm_bpe *m = calloc(1, sizeof *m);
    if (!m) {
        lw_spm_model_free(&sm);
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    }
    m->add_dummy_prefix = sm.add_dummy_prefix;
    m->remove_ws = sm.remove_extra_whitespaces;
    m->stop[' '] = true;
    lw_status st = build(m, &sm, err);
    if (!st && sm.charsmap && sm.charsmap_len)
        st = load_charsmap(m, &sm, err);
    if (!st) {
        int rc = build_udf(m, &sm, why, whycap);
        if (rc == 0)
            rc = build_reserved(m, &sm, why, whycap);
        if (rc < 0)
            st = lw_error_set(err, LW_E_NOMEM, "out of memory");
        if (rc > 0) {
            lw_spm_model_free(&sm);
            lw_spm_bpe_free(m);
            return LW_OK;
        }
    }
    if (!st) {
        /* a reserved piece the merges could spell would be looked up as
         * itself by the library's PieceToId: keep such models there */
        for (uint32_t i = 0; i < sm.n_pieces && !st; i++) {
            const lw_spm_piece *p = &sm.pieces[i];
            if (!mergeable(p->type) && lw_bpe_lookup(&m->bpe, p->piece, p->len) != LW_BPE_NONE)
                st = LW_E_DATA;
            if (mergeable(p->type) && lw_bpe_lookup(&m->bpe, p->piece, p->len) != i)
                st = LW_E_DATA;
        }
        if (st) {
            snprintf(why, whycap, "a piece defined twice");
            st = LW_OK;
            lw_spm_bpe_free(m);
            m = NULL;
        }
    }
    lw_spm_model_free(&sm);
    if (st) {
        lw_spm_bpe_free(m);
        return st;
    }
    *out = m;
    return LW_OK;
}

void lw_spm_bpe_free(lw_spm_bpe *m)
{
    if (!m)
        return;
    lw_bpe_free(&m->bpe);
    free(m->trie);
    free(m->repl);
    free(m->pairs);
    free(m->udf);
    free(m->res_id);
    free(m->res_off);
    free(m->res_len);
    free(m->res_type);
    free(m->res_bytes);
    free(m->unk_surface);
    free(m);
}

/* ---- normalizing (Normalizer::NormalizePrefix) ---- */

/* The normalized text of the prefix of p[0..n) (valid UTF-8, n > 0) and the
 * bytes it consumes: the longest charsmap rule (darts-clone's
 * commonPrefixSearch), else one character. */
static size_t norm_prefix(const lw_spm_bpe *m, const char *p, size_t n, const char **sp,
                          size_t *sl)
{
    uint32_t id;
    size_t len;
    if (m->n_udf && m->udf_first[(unsigned char)*p] && (len = udf_match(m, p, n, &id))) {
        *sp = p;
        *sl = len;
        return len;
    }
    if (m->trie) {
        const uint32_t *a = m->trie;
        size_t pos = unit_offset(a[0]), best = 0;
        uint32_t value = 0;
        for (size_t i = 0; i < n; i++) {
            unsigned char c = (unsigned char)p[i];
            pos ^= c;
            if (pos >= m->n_units || unit_label(a[pos]) != c)
                break;
            uint32_t u = a[pos];
            pos ^= unit_offset(u);
            if (unit_has_leaf(u)) {
                if (pos >= m->n_units)
                    break;
                value = a[pos] & ((1U << 31) - 1);
                best = i + 1;
            }
        }
        if (best) {
            *sp = value < m->repl_len ? m->repl + value : "";
            *sl = strlen(*sp);
            return best;
        }
    }
    *sp = p;
    return *sl = one_char_len(p, n);
}

/* ---- encoding ---- */

typedef struct {
    const lw_spm_bpe *m;
    lw_bpe_scratch *s;
    lw_ids *out;
    size_t first; /* the document's first id in out */
} enc;

/* BPE one piece; without byte fallback, an unknown token right after
 * another is fused into it (the library fuses runs of unknown pieces). */
static int emit_bpe(enc *e, const char *p, size_t n)
{
    size_t before = e->out->len;
    if (n == 0)
        return 0;
    if (lw_bpe_encode_piece(&e->m->bpe, e->s, p, n, e->out))
        return -1;
    lw_ids *o = e->out;
    if (!e->m->byte_fallback && before > e->first && o->len > before &&
        o->v[before] == e->m->unk_id && o->v[before - 1] == e->m->unk_id) {
        memmove(o->v + before, o->v + before + 1, (o->len - before - 1) * sizeof *o->v);
        o->len--;
    }
    return 0;
}

/* One piece: its user-defined symbols whole, BPE between them. */
static int emit(enc *e, const char *p, size_t n)
{
    const lw_spm_bpe *m = e->m;
    if (!m->n_udf)
        return emit_bpe(e, p, n);
    size_t a = 0;
    for (size_t i = 0; i < n;) {
        uint32_t id;
        size_t len = m->udf_first[(unsigned char)p[i]] ? udf_match(m, p + i, n - i, &id) : 0;
        if (!len) {
            i += one_char_len(p + i, n - i);
            continue;
        }
        if (emit_bpe(e, p + a, i - a) || lw_ids_push(e->out, id))
            return -1;
        a = i += len;
    }
    return emit_bpe(e, p + a, n - a);
}

/* Encode p[0..n) cut at the character pairs no piece contains, up to the
 * last cut at or before limit; with rest, the remainder too. Returns the
 * bytes encoded, or SIZE_MAX when out of memory. */
static size_t cut_pairs(enc *e, const char *p, size_t n, size_t limit, bool rest)
{
    size_t a = 0;
    uint32_t k = one_char_len(p, n);
    uint64_t prev = char_key(p, k);
    for (size_t i = k; i < n && i <= limit; i += k) {
        k = one_char_len(p + i, n - i);
        uint64_t cur = char_key(p + i, k);
        if (!pair_has(e->m, pair_key(prev, cur))) {
            if (emit(e, p + a, i - a))
                return SIZE_MAX;
            a = i;
        }
        prev = cur;
    }
    if (rest) {
        if (emit(e, p + a, n - a))
            return SIZE_MAX;
        return n;
    }
    return a;
}

static int encode_word(enc *e, const char *p, size_t n)
{
    if (n <= lw_spm_bpe_long)
        return emit(e, p, n);
    return cut_pairs(e, p, n, n, true) == SIZE_MAX ? -1 : 0;
}

static inline bool is_ws(const char *p) { return memcmp(p, WS, 3) == 0; }

/* Encode the words of t[0..n). Not final: only what text appended later
 * cannot change, i.e. up to a cut at or before the last character that is
 * not ▁ (a trailing run of ▁ may still be removed). Returns the bytes
 * encoded, or SIZE_MAX when out of memory. */
static size_t encode_words(enc *e, const char *t, size_t n, bool final)
{
    size_t limit = n;
    if (!final) {
        while (limit >= 3 && is_ws(t + limit - 3))
            limit -= 3;
        if (limit == 0)
            return 0;
        limit--;
        while (limit > 0 && ((unsigned char)t[limit] & 0xC0) == 0x80)
            limit--;
    }
    size_t w = 0;
    if (e->m->ws_cut) {
        for (size_t x = 1; x + 3 <= n;) {
            const char *hit = memchr(t + x, 0xE2, n - x - 2);
            if (!hit)
                break;
            x = (size_t)(hit - t);
            if (x > limit)
                break;
            if (is_ws(t + x) && !(x >= 3 && is_ws(t + x - 3))) {
                if (encode_word(e, t + w, x - w))
                    return SIZE_MAX;
                w = x;
            }
            x++;
        }
    }
    if (final)
        return encode_word(e, t + w, n - w) ? SIZE_MAX : n;
    if (n - w > lw_spm_bpe_long) {
        size_t used = cut_pairs(e, t + w, n - w, limit - w, false);
        if (used == SIZE_MAX)
            return SIZE_MAX;
        w += used;
    }
    return w;
}

/* Append the normalized form of p[0..n) (n > 0, no trie match, no space). */
static inline int put(lw_buf *nb, const char *p, size_t n) { return lw_buf_append(nb, p, n); }

static int put_escaped(lw_buf *nb, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] == ' ' ? lw_buf_append(nb, WS, 3) : lw_buf_putc(nb, p[i]))
            return -1;
    return 0;
}

lw_status lw_spm_bpe_encode(const lw_spm_bpe *m, lw_bpe_scratch *s, lw_buf *nb,
                            const char *text, size_t len, lw_ids *out, lw_error *err)
{
    enc e = {m, s, out, out->len};
    size_t i = 0;
    const char *sp;
    size_t sl;
    if (m->remove_ws) { /* leading prefixes that normalize to one space */
        while (i < len) {
            size_t used = norm_prefix(m, text + i, len - i, &sp, &sl);
            if (!(sl == 1 && sp[0] == ' '))
                break;
            i += used;
        }
    }
    if (i == len)
        return LW_OK;
    nb->len = 0;
    if (m->add_dummy_prefix && put(nb, WS, 3))
        goto oom;
    bool prev_space = m->remove_ws;
    size_t next_flush = lw_spm_bpe_window;
    while (i < len) {
        if (!m->stop[(unsigned char)text[i]]) {
            size_t j = i + 1;
            while (j < len && !m->stop[(unsigned char)text[j]])
                j++;
            if (put(nb, text + i, j - i))
                goto oom;
            prev_space = false;
            i = j;
        } else {
            i += norm_prefix(m, text + i, len - i, &sp, &sl);
            while (prev_space && sl && *sp == ' ')
                sp++, sl--;
            if (sl) {
                if (put_escaped(nb, sp, sl))
                    goto oom;
                prev_space = sp[sl - 1] == ' ';
            }
            if (!m->remove_ws)
                prev_space = false;
        }
        if (nb->len >= next_flush) {
            size_t used = encode_words(&e, nb->data, nb->len, false);
            if (used == SIZE_MAX)
                goto oom;
            memmove(nb->data, nb->data + used, nb->len - used);
            nb->len -= used;
            /* a tail that did not shrink waits for twice its length: linear */
            next_flush = nb->len * 2 > lw_spm_bpe_window ? nb->len * 2 : lw_spm_bpe_window;
            if (next_flush <= nb->len)
                next_flush = nb->len + 1;
        }
    }
    if (m->remove_ws)
        while (nb->len >= 3 && is_ws(nb->data + nb->len - 3))
            nb->len -= 3;
    if (nb->len && encode_words(&e, nb->data, nb->len, true) == SIZE_MAX)
        goto oom;
    return LW_OK;
oom:
    return lw_error_set(err, LW_E_NOMEM, "out of memory encoding");
}

/* ---- pieces and decoding (SentencePieceProcessor::Decode) ---- */

uint32_t lw_spm_bpe_vocab_size(const lw_spm_bpe *m) { return m->n_pieces; }

void lw_spm_bpe_roles(const lw_spm_bpe *m, int64_t roles[4])
{
    memcpy(roles, m->roles, sizeof m->roles);
}

bool lw_spm_bpe_decodes(const lw_spm_bpe *m) { return m->decodes; }

bool lw_spm_bpe_self_test(const lw_spm_bpe *m) { return m->self_test; }

const char *lw_spm_bpe_piece(const lw_spm_bpe *m, uint32_t id, size_t *len)
{
    if (id >= m->n_pieces)
        return NULL;
    const lw_bpe *b = &m->bpe;
    if (b->offset[id] != UINT64_MAX) {
        *len = b->length[id];
        return b->bytes + b->offset[id];
    }
    size_t k = reserved_slot(m, id);
    if (k == SIZE_MAX)
        return NULL;
    *len = m->res_len[k];
    return m->res_bytes + m->res_off[k];
}

int64_t lw_spm_bpe_piece_to_id(const lw_spm_bpe *m, const char *piece, size_t len)
{
    int64_t id = reserved_find(m, piece, len);
    if (id >= 0)
        return id;
    uint32_t b = len ? lw_bpe_lookup(&m->bpe, piece, len) : LW_BPE_NONE;
    return b != LW_BPE_NONE ? (int64_t)b : -1;
}

/* string_util::DecodeUTF8 accepting: the length of the character at p[0..n)
 * (n > 0), or 0 when the library calls it invalid. */
static size_t utf8_char(const unsigned char *p, size_t n)
{
    uint32_t c;
    if (p[0] < 0x80)
        return 1;
    if (n >= 2 && (p[0] & 0xE0) == 0xC0) {
        c = (uint32_t)(p[0] & 0x1F) << 6 | (p[1] & 0x3F);
        return (p[1] & 0xC0) == 0x80 && c >= 0x80 ? 2 : 0;
    }
    if (n >= 3 && (p[0] & 0xF0) == 0xE0) {
        c = (uint32_t)(p[0] & 0x0F) << 12 | (uint32_t)(p[1] & 0x3F) << 6 | (p[2] & 0x3F);
        return (p[1] & 0xC0) == 0x80 && (p[2] & 0xC0) == 0x80 && c >= 0x800 &&
               (c < 0xD800 || c >= 0xE000) ? 3 : 0;
    }
    if (n >= 4 && (p[0] & 0xF8) == 0xF0) {
        c = (uint32_t)(p[0] & 0x07) << 18 | (uint32_t)(p[1] & 0x3F) << 12 |
            (uint32_t)(p[2] & 0x3F) << 6 | (p[3] & 0x3F);
        return (p[1] & 0xC0) == 0x80 && (p[2] & 0xC0) == 0x80 && (p[3] & 0xC0) == 0x80 &&
               c >= 0x10000 && c <= 0x10FFFF ? 4 : 0;
    }
    return 0;
}

/* ProcessBytePieces, a character at a time: the bytes of a run of byte
 * pieces become their valid UTF-8 characters, each other byte U+FFFD. A
 * character is decided once 4 bytes are pending, or at the run's end. */
typedef struct {
    unsigned char b[4];
    size_t n;
} byte_run;

static int run_flush(byte_run *r, lw_buf *out, size_t keep)
{
    while (r->n > keep) {
        size_t k = utf8_char(r->b, r->n);
        if (k ? lw_buf_append(out, (const char *)r->b, k)
              : lw_buf_append(out, "\xEF\xBF\xBD", 3))
            return -1;
        k = k ? k : 1;
        memmove(r->b, r->b + k, r->n - k);
        r->n -= k;
    }
    return 0;
}

lw_status lw_spm_bpe_decode(const lw_spm_bpe *m, const uint32_t *ids, size_t n, lw_buf *out,
                            lw_error *err)
{
    size_t start = out->len;
    bool is_bos_ws = true, bos_ws_seen = false;
    byte_run run = {{0}, 0};
    for (size_t i = 0; i < n; i++) {
        size_t len;
        const char *p = lw_spm_bpe_piece(m, ids[i], &len);
        if (!p)
            return lw_error_set(err, LW_E_DATA, "token id %u is not below the vocabulary size %u",
                                ids[i], m->n_pieces);
        int type = type_of(m, ids[i]);
        if (type == LW_SPM_BYTE) {
            run.b[run.n++] = (unsigned char)byte_of_piece(p, (uint32_t)len);
            if (run.n == 4 && run_flush(&run, out, 3))
                goto oom;
            continue;
        }
        if (run_flush(&run, out, 0))
            goto oom;
        if (bos_ws_seen || out->len > start)
            is_bos_ws = false;
        bos_ws_seen = false;
        if (type == LW_SPM_CONTROL)
            continue;
        if (type == LW_SPM_UNKNOWN) {
            if (lw_buf_append(out, m->unk_surface, m->unk_surface_len))
                goto oom;
            continue;
        }
        if (is_bos_ws && m->strip_bos_ws && len >= 3 && is_ws(p)) {
            p += 3, len -= 3;
            bos_ws_seen = !m->remove_ws; /* with remove_extra_whitespaces every leading one goes */
        }
        for (size_t j = 0; j < len;) { /* ▁ back to a space */
            const char *w = len - j >= 3 ? memchr(p + j, 0xE2, len - j - 2) : NULL;
            while (w && !is_ws(w))
                w = (size_t)(p + len - w) > 3 ? memchr(w + 1, 0xE2, (size_t)(p + len - w) - 3) : NULL;
            size_t k = w ? (size_t)(w - p) : len;
            if (lw_buf_append(out, p + j, k - j) || (w && lw_buf_putc(out, ' ')))
                goto oom;
            j = w ? k + 3 : len;
        }
    }
    if (run_flush(&run, out, 0))
        goto oom;
    return LW_OK;
oom:
    return lw_error_set(err, LW_E_NOMEM, "out of memory decoding");
}
