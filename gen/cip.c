/* Chunk-interleaved pretraining: segments, sequence filling, interleaving
 * (docs/DESIGN.md, "CIP, exactly", steps 3-5). */
#include "longweave/cip.h"

#include <stdlib.h>
#include <string.h>

#include "longweave/rng.h"
#include "longweave/vec.h"

enum { STREAM_SPLIT = LW_STREAM_CIP, STREAM_KNOTS = 7, SPREAD_BINS = 8 };

typedef struct {
    uint64_t doc, start; /* the segment is tokens [start, start+n) of document doc */
    uint32_t n, c;       /* tokens, chunks */
    bool ends;           /* it ends its document */
    size_t at;           /* its tokens in the store */
} segment;

struct lw_cip {
    lw_cip_opts o;
    uint32_t cap;        /* room for segments in one sequence (L minus BOS) */
    lw_cip_emit_fn emit;
    void *ctx;
    segment *segs;
    size_t n_segs, cap_segs;
    uint32_t *store;     /* tokens of the sequence being filled */
    size_t store_len;
    uint32_t used;       /* room taken so far */
    uint32_t *out;
    uint8_t *mask;
    size_t out_len;
    lw_cip_span *spans;
    size_t n_spans, cap_spans;
    uint32_t *sizes;     /* chunk sizes of one segment */
    uint32_t *markers;   /* knot markers of one segment: c x K */
    uint64_t *draws;
    size_t *ends;        /* per segment: where its last chunk written ends */
    size_t cap_ends;
    uint64_t *gaps;      /* gaps[g]: reach-back gaps of g tokens (g < L) */
    uint32_t *plan;      /* spread: chunk sizes of every segment held, C per segment */
    size_t cap_plan;
    uint64_t fill[SPREAD_BINS]; /* spread: gaps so far in bins over [0, L(C-1)/C) */
    lw_cip_stats stats;
};

static uint32_t chunks_of(const lw_cip *c, uint32_t n)
{
    if (n == 0)
        return 0;
    if (c->o.concat)
        return 1;
    uint32_t k = n / c->o.min_chunk;
    if (k > c->o.chunks)
        k = c->o.chunks;
    return k ? k : 1;
}

static uint64_t size_of(const lw_cip *c, uint32_t n, bool ends)
{
    return (uint64_t)n + 2ull * chunks_of(c, n) * c->o.knot_tokens +
           (ends && c->o.eod >= 0 ? 1 : 0);
}

/* The longest head h (0..n) that fits in room as a segment that does not
 * end its document; 0 when not even one token fits. */
static uint32_t longest_head(const lw_cip *c, uint32_t n, uint64_t room)
{
    uint32_t lo = 0, hi = n;
    if (room < hi)
        hi = (uint32_t)room;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo + 1) / 2;
        if (size_of(c, mid, false) <= room)
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}

lw_status lw_cip_new(lw_cip **out, const lw_cip_opts *o, lw_cip_emit_fn emit, void *ctx,
                     lw_error *err)
{
    *out = NULL;
    if (o->chunks < 1)
        return lw_error_set(err, LW_E_USAGE, "--chunks-per-doc must be at least 1");
    if (o->min_chunk < 1)
        return lw_error_set(err, LW_E_USAGE, "--min-chunk-tokens must be at least 1");
    uint32_t cap = o->seq_len - (o->bos >= 0 ? 1 : 0);
    uint32_t k = o->concat ? 0 : o->knot_tokens;
    if (o->seq_len < 2 || (uint64_t)cap < (uint64_t)o->chunks * o->min_chunk)
        return lw_error_set(err, LW_E_USAGE,
                            "sequence length %u is smaller than --chunks-per-doc x "
                            "--min-chunk-tokens (%u x %u)",
                            o->seq_len, o->chunks, o->min_chunk);
    if ((uint64_t)cap < 2ull * k + 2)
        return lw_error_set(err, LW_E_USAGE, "sequence length %u leaves no room next to knot "
                            "markers of %u tokens", o->seq_len, k);
    if (k && (!o->knot_ids || o->n_knot_ids == 0))
        return lw_error_set(err, LW_E_USAGE, "--knots needs marker token ids");
    lw_cip *c = calloc(1, sizeof *c);
    if (!c)
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    c->o = *o;
    c->o.knot_tokens = k;
    c->cap = cap;
    c->emit = emit;
    c->ctx = ctx;
    c->store = malloc((size_t)cap * sizeof *c->store);
    c->out = malloc((size_t)o->seq_len * sizeof *c->out);
    c->mask = malloc(o->seq_len);
    c->sizes = malloc((size_t)o->chunks * sizeof *c->sizes);
    c->markers = malloc(((size_t)o->chunks * k + 1) * sizeof *c->markers);
    c->draws = malloc((size_t)o->chunks * sizeof *c->draws);
    c->gaps = calloc(o->seq_len, sizeof *c->gaps);
    if (!c->store || !c->out || !c->mask || !c->sizes || !c->markers || !c->draws ||
        !c->gaps) {
        lw_cip_free(c);
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    }
    *out = c;
    return LW_OK;
}

void lw_cip_free(lw_cip *c)
{
    if (!c)
        return;
    free(c->segs);
    free(c->store);
    free(c->out);
    free(c->mask);
    free(c->spans);
    free(c->sizes);
    free(c->markers);
    free(c->draws);
    free(c->ends);
    free(c->gaps);
    free(c->plan);
    free(c);
}

const lw_cip_stats *lw_cip_stats_get(const lw_cip *c)
{
    return &c->stats;
}

/* Append tokens with one mask value, recording where they came from;
 * consecutive inserted spans are merged. */
static int put(lw_cip *c, const uint32_t *t, size_t n, uint8_t mask, int64_t doc, int64_t chunk,
               uint64_t start)
{
    if (n == 0)
        return 0;
    memcpy(c->out + c->out_len, t, n * sizeof *t);
    memset(c->mask + c->out_len, mask, n);
    c->out_len += n;
    if (doc < 0 && c->n_spans > 0 && c->spans[c->n_spans - 1].doc < 0) {
        c->spans[c->n_spans - 1].length += n;
        return 0;
    }
    if (!LW_VEC_GROW(&c->spans, &c->cap_spans, c->n_spans + 1))
        return -1;
    c->spans[c->n_spans++] = (lw_cip_span){doc, doc < 0 ? -1 : chunk, doc < 0 ? 0 : start, n};
    return 0;
}

static int put_token(lw_cip *c, uint32_t t, uint8_t mask)
{
    return put(c, &t, 1, mask, -1, -1, 0);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Chunk sizes and knot markers of one segment. */
static void plan_segment(lw_cip *c, const segment *s)
{
    uint64_t key = (s->doc << 32) + s->start;
    if (c->o.split == LW_CIP_SPLIT_RANDOM && s->c > 1) {
        uint64_t slack = (uint64_t)s->n - (uint64_t)s->c * c->o.min_chunk;
        lw_rng r;
        lw_rng_init(&r, c->o.seed, STREAM_SPLIT, key);
        for (uint32_t i = 0; i + 1 < s->c; i++)
            c->draws[i] = lw_rng_below(&r, slack + 1);
        qsort(c->draws, s->c - 1, sizeof *c->draws, cmp_u64);
        uint64_t prev = 0;
        for (uint32_t i = 0; i < s->c; i++) {
            uint64_t u = i + 1 < s->c ? c->draws[i] : slack;
            c->sizes[i] = c->o.min_chunk + (uint32_t)(u - prev);
            prev = u;
        }
    } else {
        for (uint32_t i = 0; i < s->c; i++)
            c->sizes[i] = s->n / s->c + (i < s->n % s->c ? 1 : 0);
    }
    if (c->o.knot_tokens) {
        lw_rng r;
        lw_rng_init(&r, c->o.seed, STREAM_KNOTS, key);
        for (uint32_t i = 0; i < s->c * c->o.knot_tokens; i++)
            c->markers[i] = c->o.knot_ids[lw_rng_below(&r, c->o.n_knot_ids)];
    }
}

static uint32_t spread_range(const lw_cip *c)
{
    return (uint32_t)((uint64_t)c->o.seq_len * (c->o.chunks - 1) / c->o.chunks);
}

static size_t spread_bin(const lw_cip *c, uint64_t gap)
{
    uint64_t b = gap * SPREAD_BINS / spread_range(c);
    return b < SPREAD_BINS ? (size_t)b : SPREAD_BINS - 1;
}

/* Emit segments [lo, hi) as one round-robin (step 5). */
static int round_robin(lw_cip *c, size_t lo, size_t hi)
{
    int rc = 0;
    uint32_t rounds = 0;
    for (size_t i = lo; i < hi; i++)
        rounds = c->segs[i].c > rounds ? c->segs[i].c : rounds;
    if (rounds == 0)
        rounds = 1; /* segments without chunks still emit their EOD */
    uint32_t K = c->o.knot_tokens;
    /* Chunk offsets are recomputed per round: a segment's plan is cheap. */
    for (uint32_t r = 0; r < rounds && !rc; r++) {
        for (size_t i = lo; i < hi && !rc; i++) {
            const segment *s = &c->segs[i];
            if (s->c == 0) {
                if (r == 0 && s->ends && c->o.eod >= 0)
                    rc |= put_token(c, (uint32_t)c->o.eod, 1);
                continue;
            }
            if (r >= s->c)
                continue;
            plan_segment(c, s);
            uint64_t off = 0;
            for (uint32_t k = 0; k < r; k++)
                off += c->sizes[k];
            if (K)
                rc |= put(c, c->markers + (size_t)r * K, K, 0, -1, -1, 0);
            if (r > 0) {
                size_t g = c->out_len - c->ends[i];
                c->gaps[g]++;
                if (c->o.reach == LW_CIP_REACH_SPREAD)
                    c->fill[spread_bin(c, g)]++;
            }
            rc |= put(c, c->store + s->at + off, c->sizes[r], 1, (int64_t)s->doc, r,
                      s->start + off);
            c->ends[i] = c->out_len;
            if (r + 1 == s->c) {
                if (K)
                    rc |= put(c, c->markers, (size_t)s->c * K, 1, -1, -1, 0);
                if (s->ends && c->o.eod >= 0)
                    rc |= put_token(c, (uint32_t)c->o.eod, 1);
            }
        }
    }
    return rc;
}

/* spread: the fills of the bins the gaps of a round-robin of segments
 * [lo, lo+m) would land in, summed, and the number of those gaps (the
 * layout of round_robin, from the chunk sizes in c->plan). */
static void run_score(lw_cip *c, size_t lo, size_t m, uint64_t *sum, uint64_t *n)
{
    uint32_t K = c->o.knot_tokens, C = c->o.chunks, rounds = 1;
    for (size_t i = lo; i < lo + m; i++)
        rounds = c->segs[i].c > rounds ? c->segs[i].c : rounds;
    uint64_t pos = 0;
    *sum = *n = 0;
    for (uint32_t r = 0; r < rounds; r++)
        for (size_t i = lo; i < lo + m; i++) {
            const segment *s = &c->segs[i];
            bool eod = s->ends && c->o.eod >= 0;
            if (s->c == 0) {
                pos += r == 0 && eod;
                continue;
            }
            if (r >= s->c)
                continue;
            pos += K;
            if (r > 0) {
                *sum += c->fill[spread_bin(c, pos - c->ends[i])];
                ++*n;
            }
            pos += c->plan[i * C + r];
            c->ends[i] = (size_t)pos;
            if (r + 1 == s->c)
                pos += (uint64_t)s->c * K + eod;
        }
}

/* spread: the length of the run that starts at segment lo (docs/DESIGN.md,
 * "CIP, exactly", step 5). */
static size_t run_length(lw_cip *c, size_t lo)
{
    uint64_t R = spread_range(c), best_sum = 0, best_n = 0;
    size_t left = c->n_segs - lo, best = 0, last = 0;
    for (uint32_t k = 0; k < SPREAD_BINS; k++) {
        uint64_t want = (uint64_t)c->o.chunks * ((2 * k + 1) * R / (2 * SPREAD_BINS));
        uint64_t others = 0;
        size_t m = left;
        for (size_t j = 1; j <= left; j++) {
            if (j > 1)
                others += c->segs[lo + j - 1].n;
            if (others >= want) {
                m = j;
                break;
            }
        }
        if (m == last) /* candidates grow with k: a repeat is the one before */
            continue;
        last = m;
        uint64_t sum, n;
        run_score(c, lo, m, &sum, &n);
        if (best == 0 || (best_n && (!n || sum * best_n < best_sum * n))) {
            best = m;
            best_sum = sum;
            best_n = n;
        }
    }
    return best;
}

/* Build the sequence from the segments held, pad it to L and emit it:
 * paper, one round-robin over all segments; spread, consecutive runs of
 * them, each a round-robin of its own. */
static lw_status flush(lw_cip *c, lw_error *err)
{
    c->out_len = 0;
    c->n_spans = 0;
    int rc = 0;
    if (!LW_VEC_GROW(&c->ends, &c->cap_ends, c->n_segs + 1))
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    if (c->o.bos >= 0)
        rc |= put_token(c, (uint32_t)c->o.bos, 1);
    if (c->o.reach == LW_CIP_REACH_SPREAD && c->n_segs > 0) {
        size_t C = c->o.chunks;
        if (!LW_VEC_GROW(&c->plan, &c->cap_plan, c->n_segs * C))
            return lw_error_set(err, LW_E_NOMEM, "out of memory");
        for (size_t i = 0; i < c->n_segs; i++) {
            plan_segment(c, &c->segs[i]);
            memcpy(c->plan + i * C, c->sizes, c->segs[i].c * sizeof *c->sizes);
        }
        for (size_t lo = 0; lo < c->n_segs && !rc;) {
            size_t m = run_length(c, lo);
            rc |= round_robin(c, lo, lo + m);
            lo += m;
        }
    } else {
        rc |= round_robin(c, 0, c->n_segs);
    }
    uint64_t doc_tokens = 0;
    for (size_t i = 0; i < c->n_segs; i++) {
        doc_tokens += c->segs[i].n;
        if (c->segs[i].c >= 2)
            c->stats.interleaved_tokens += c->segs[i].n;
        else
            c->stats.single_tokens += c->segs[i].n;
    }
    size_t pad = c->o.seq_len - c->out_len;
    c->stats.doc_tokens += doc_tokens;
    c->stats.inserted_tokens += c->out_len - doc_tokens;
    c->stats.pad_tokens += pad;
    for (size_t i = 0; i < pad && !rc; i++)
        rc |= put_token(c, c->o.pad, 0);
    c->n_segs = 0;
    c->store_len = 0;
    c->used = 0;
    if (rc)
        return lw_error_set(err, LW_E_NOMEM, "out of memory");
    c->stats.sequences++;
    return c->emit(c->ctx, c->out, c->mask, c->out_len, c->spans, c->n_spans, err);
}

static int append(lw_cip *c, const uint32_t *t, uint64_t doc, uint64_t start, uint32_t n,
                  bool ends)
{
    if (!LW_VEC_GROW(&c->segs, &c->cap_segs, c->n_segs + 1))
        return -1;
    if (n) /* an empty document may come without a buffer */
        memcpy(c->store + c->store_len, t, (size_t)n * sizeof *t);
    c->segs[c->n_segs++] = (segment){doc, start, n, chunks_of(c, n), ends, c->store_len};
    c->store_len += n;
    c->used += (uint32_t)size_of(c, n, ends);
    return 0;
}

/* Step 4: add one segment, splitting and carrying as the remainder rule says. */
static lw_status place(lw_cip *c, const uint32_t *t, uint64_t doc, uint64_t start, uint32_t n,
                       bool ends, lw_error *err)
{
    lw_status st;
    for (;;) {
        uint64_t room = c->cap - c->used;
        uint64_t size = size_of(c, n, ends);
        if (size <= room) {
            if (append(c, t, doc, start, n, ends))
                return lw_error_set(err, LW_E_NOMEM, "out of memory");
            return c->used == c->cap ? flush(c, err) : LW_OK;
        }
        if (c->o.remainder == LW_CIP_PAD && size <= c->cap) {
            if ((st = flush(c, err)))
                return st;
            continue;
        }
        uint32_t h = longest_head(c, n, room);
        if (h == 0) { /* pad this sequence; the segment starts the next */
            if ((st = flush(c, err)))
                return st;
            continue;
        }
        if (append(c, t, doc, start, h, false))
            return lw_error_set(err, LW_E_NOMEM, "out of memory");
        if ((st = flush(c, err)))
            return st;
        if (c->o.remainder == LW_CIP_DROP) {
            c->stats.dropped_tokens += n - h;
            return LW_OK;
        }
        t += h;
        start += h;
        n -= h;
    }
}

lw_status lw_cip_add(lw_cip *c, uint64_t doc, const uint32_t *t, size_t n, lw_error *err)
{
    lw_status st;
    c->stats.documents++;
    if (n > UINT32_MAX)
        return lw_error_set(err, LW_E_DATA, "document %llu has %zu tokens: too long",
                            (unsigned long long)doc, n);
    uint64_t start = 0;
    if (!c->o.interleave_long && n >= c->cap) {
        /* A long document is long data already: whole sequences of it. */
        size_t pieces = n / c->cap;
        for (size_t k = 0; k < pieces; k++) {
            c->out_len = 0;
            c->n_spans = 0;
            int rc = c->o.bos >= 0 ? put_token(c, (uint32_t)c->o.bos, 1) : 0;
            rc |= put(c, t + start, c->cap, 1, (int64_t)doc, 0, start);
            if (rc)
                return lw_error_set(err, LW_E_NOMEM, "out of memory");
            c->stats.sequences++;
            c->stats.doc_tokens += c->cap;
            c->stats.long_tokens += c->cap;
            c->stats.inserted_tokens += c->o.bos >= 0;
            if ((st = c->emit(c->ctx, c->out, c->mask, c->out_len, c->spans, c->n_spans, err)))
                return st;
            start += c->cap;
        }
    }
    uint32_t rest = (uint32_t)(n - start);
    if (size_of(c, rest, true) == 0)
        return LW_OK; /* nothing left and no EOD to write */
    return place(c, t + start, doc, start, rest, true, err);
}

/* The reach-back summary of the gap counts (lw_cip_stats). */
static void summarize_reach(lw_cip *c)
{
    lw_cip_stats *s = &c->stats;
    uint32_t L = c->o.seq_len;
    uint64_t n = 0;
    memset(s->reach_bins, 0, sizeof s->reach_bins);
    for (uint32_t g = 0; g < L; g++) {
        n += c->gaps[g];
        /* bin i holds [floor(i*L/B), floor((i+1)*L/B)): the last i with
         * i*L/B < g + 1 */
        uint64_t b = ((uint64_t)(g + 1) * LW_CIP_REACH_BINS + L - 1) / L - 1;
        s->reach_bins[b] += c->gaps[g];
    }
    s->reach_gaps = n;
    const uint32_t pct[3] = {5, 50, 95};
    uint32_t *out[3] = {&s->reach_p5, &s->reach_median, &s->reach_p95};
    for (int q = 0; q < 3; q++) {
        uint64_t rank = (n * pct[q] + 99) / 100, seen = 0; /* ceil(q*n), at least 1 */
        if (rank == 0)
            rank = 1;
        *out[q] = 0;
        for (uint32_t g = 0; g < L && n; g++) {
            seen += c->gaps[g];
            if (seen >= rank) {
                *out[q] = g;
                break;
            }
        }
    }
}

lw_status lw_cip_finish(lw_cip *c, lw_error *err)
{
    lw_status st = LW_OK;
    if (c->used == 0) {
    } else if (c->o.drop_last) {
        for (size_t i = 0; i < c->n_segs; i++)
            c->stats.dropped_tokens += c->segs[i].n;
        c->n_segs = 0;
        c->store_len = 0;
        c->used = 0;
    } else {
        st = flush(c, err);
    }
    summarize_reach(c);
    return st;
}
