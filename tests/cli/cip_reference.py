"""CIP written from docs/DESIGN.md ("CIP, exactly"), independently of the C
code, to check `longweave cip` against. Pure Python, small inputs only.

cip(docs, ...) takes documents as lists of token ids (numbered 0..D-1 in the
order given) and returns {seq_len: [(tokens, mask, spans), ...]}."""

MASK32 = 0xFFFFFFFF
MASK64 = (1 << 64) - 1


def philox4x32_10(ctr, key):
    """Philox4x32-10 (Salmon et al. 2011): 10 rounds, key bumped between."""
    c = list(ctr)
    k0, k1 = key
    for rnd in range(10):
        if rnd:
            k0 = (k0 + 0x9E3779B9) & MASK32
            k1 = (k1 + 0xBB67AE85) & MASK32
        p0 = 0xD2511F53 * c[0]
        p1 = 0xCD9E8D57 * c[2]
        c = [((p1 >> 32) ^ c[1] ^ k0) & MASK32, p1 & MASK32,
             ((p0 >> 32) ^ c[3] ^ k1) & MASK32, p0 & MASK32]
    return c


class Rng:
    """rng(stream, index): Philox keyed by the seed (low word first), counter
    (index low, index high, stream, block); 32-bit words in order; a u64 is
    lo | hi << 32; below(n) is Lemire's method."""

    def __init__(self, seed, stream, index):
        self.key = (seed & MASK32, (seed >> 32) & MASK32)
        self.ctr = [index & MASK32, (index >> 32) & MASK32, stream, 0]
        self.words = []

    def u32(self):
        if not self.words:
            self.words = philox4x32_10(self.ctr, self.key)
            self.ctr[3] += 1
        return self.words.pop(0)

    def u64(self):
        lo = self.u32()
        return lo | (self.u32() << 32)

    def below(self, n):
        m = self.u64() * n
        if (m & MASK64) < n:
            threshold = ((1 << 64) - n) % n
            while (m & MASK64) < threshold:
                m = self.u64() * n
        return m >> 64


def order(n_docs, first, window, seed):
    """Step 1: the shuffled order of documents first..n_docs-1."""
    source = iter(range(first, n_docs))
    win = [d for _, d in zip(range(window), source)]
    k = first
    while win:
        j = Rng(seed, 2, k).below(len(win))
        out = win[j]
        nxt = next(source, None)
        if nxt is not None:
            win[j] = nxt
        else:
            win[j] = win[-1]
            win.pop()
        yield out
        k += 1


def buckets_of(docs_in_order, lengths, shares):
    """Step 2: deficit rule."""
    total, assigned = 0, [0] * len(shares)
    for d, n in docs_in_order:
        best = max(range(len(shares)), key=lambda b: (shares[b] * (total + n) - assigned[b], -b))
        assigned[best] += n
        total += n
        yield d, best


class Bucket:
    def __init__(self, L, C, M, split, remainder, last, long_docs, mode, K, knot_ids, bos, eod,
                 pad, seed, reach="paper"):
        self.reach = reach
        self.hist = [0] * 8  # reach-back gaps so far, in 8 bins over [0, L(C-1)/C)
        self.L, self.C, self.M, self.split, self.remainder = L, C, M, split, remainder
        self.last, self.long_docs, self.mode, self.K = last, long_docs, mode, K
        self.knot_ids, self.bos, self.eod, self.pad, self.seed = knot_ids, bos, eod, pad, seed
        if mode == "concat":
            self.K = 0
        self.cap = L - (1 if bos is not None else 0)
        self.group = []  # (doc, start, tokens, ends)
        self.used = 0
        self.out = []

    def chunks(self, n):
        if n == 0:
            return 0
        if self.mode == "concat":
            return 1
        return max(1, min(self.C, n // self.M))

    def size(self, n, ends):
        return n + 2 * self.chunks(n) * self.K + (1 if ends and self.eod is not None else 0)

    def add(self, doc, tokens):
        n = len(tokens)
        start = 0
        if self.long_docs == "keep" and n >= self.cap:
            for k in range(n // self.cap):
                seq = ([self.bos] if self.bos is not None else []) + tokens[k * self.cap:(k + 1) * self.cap]
                mask = [1] * len(seq)
                spans = ([[-1, -1, 0, 1]] if self.bos is not None else []) + [[doc, 0, k * self.cap, self.cap]]
                self.out.append((seq, mask, spans))
            start = (n // self.cap) * self.cap
        rest = tokens[start:]
        if self.size(len(rest), True) == 0:
            return
        self.place(doc, start, rest, True)

    def place(self, doc, start, tokens, ends):
        while True:
            room = self.cap - self.used
            if self.size(len(tokens), ends) <= room:
                self.group.append((doc, start, tokens, ends))
                self.used += self.size(len(tokens), ends)
                if self.used == self.cap:
                    self.flush()
                return
            if self.remainder == "pad" and self.size(len(tokens), ends) <= self.cap:
                self.flush()
                continue
            h = max([h for h in range(1, len(tokens) + 1) if self.size(h, False) <= room],
                    default=0)
            if h == 0:
                self.flush()
                continue
            self.group.append((doc, start, tokens[:h], False))
            self.used += self.size(h, False)
            self.flush()
            if self.remainder == "drop":
                return
            tokens, start = tokens[h:], start + h

    def plan(self, doc, start, n):
        c = self.chunks(n)
        key = (doc << 32) + start
        if self.split == "random" and c > 1:
            rng = Rng(self.seed, 3, key)
            u = sorted(rng.below(n - c * self.M + 1) for _ in range(c - 1))
            u = [0] + u + [n - c * self.M]
            sizes = [self.M + u[i + 1] - u[i] for i in range(c)]
        else:
            sizes = [n // c + (1 if i < n % c else 0) for i in range(c)]
        markers = []
        if self.K:
            rng = Rng(self.seed, 7, key)
            markers = [self.knot_ids[rng.below(len(self.knot_ids))] for _ in range(c * self.K)]
        return sizes, markers

    def run_gaps(self, items):
        """The reach-back gaps a round-robin of items would write."""
        ends, pos, gaps = {}, 0, []
        rounds = max([len(p[0]) for _, p in items] + [1])
        for r in range(rounds):
            for i, ((d, s, t, e), (sizes, markers)) in enumerate(items):
                c = len(sizes)
                if c == 0:
                    pos += 1 if r == 0 and e and self.eod is not None else 0
                    continue
                if r >= c:
                    continue
                pos += self.K
                if r > 0:
                    gaps.append(pos - ends[i])
                pos += sizes[r]
                ends[i] = pos
                if r == c - 1:
                    pos += c * self.K + (1 if e and self.eod is not None else 0)
        return gaps

    def run_length(self, items, lo):
        """spread: candidates m_k (k = 0..7): the fewest segments whose
        others hold C*(middle of bin k) document tokens (or all that are
        left); the one whose gaps land in the emptiest bins on average."""
        R = self.L * (self.C - 1) // self.C
        cands = []
        for k in range(8):
            t = (2 * k + 1) * R // 16
            others, m = 0, len(items) - lo
            for j in range(1, len(items) - lo + 1):
                if j > 1:
                    others += len(items[lo + j - 1][0][2])
                if others >= self.C * t:
                    m = j
                    break
            if m not in cands:
                cands.append(m)
        best = None  # (sum of the fills, gaps), compared as fractions; no gaps first
        for m in cands:
            g = self.run_gaps(items[lo:lo + m])
            score = (sum(self.hist[min(7, x * 8 // R)] for x in g), len(g))
            if best is None:
                best, best_m = score, m
            elif best[1] and (not score[1] or score[0] * best[1] < best[0] * score[1]):
                best, best_m = score, m
        return best_m

    def round_robin(self, items, toks, put):
        """Step 5 over the segments of one run; counts each reach-back gap."""
        rounds = max([len(p[0]) for _, p in items] + [1])
        ends = {}
        R = self.L * (self.C - 1) // self.C
        for r in range(rounds):
            for i, ((d, s, t, e), (sizes, markers)) in enumerate(items):
                c = len(sizes)
                if c == 0:
                    if r == 0 and e and self.eod is not None:
                        put([self.eod], 1, [-1, -1, 0, 1])
                    continue
                if r >= c:
                    continue
                off = sum(sizes[:r])
                if self.K:
                    put(markers[r * self.K:(r + 1) * self.K], 0, [-1, -1, 0, self.K])
                if r > 0:
                    self.hist[min(7, (len(toks) - ends[i]) * 8 // R)] += 1
                put(t[off:off + sizes[r]], 1, [d, r, s + off, sizes[r]])
                ends[i] = len(toks)
                if r == c - 1:
                    if self.K:
                        put(markers, 1, [-1, -1, 0, len(markers)])
                    if e and self.eod is not None:
                        put([self.eod], 1, [-1, -1, 0, 1])

    def flush(self):
        toks, mask, spans = [], [], []

        def put(t, m, span):
            if not t:
                return
            toks.extend(t)
            mask.extend([m] * len(t))
            if span[0] == -1 and spans and spans[-1][0] == -1:
                spans[-1][3] += len(t)
            else:
                spans.append(span)

        if self.bos is not None:
            put([self.bos], 1, [-1, -1, 0, 1])
        plans = [self.plan(d, s, len(t)) for d, s, t, e in self.group]
        items = list(zip(self.group, plans))
        lo = 0
        while lo < len(items):
            m = len(items) if self.reach == "paper" else self.run_length(items, lo)
            self.round_robin(items[lo:lo + m], toks, put)
            lo += m
        if not items:
            self.round_robin([], toks, put)
        put([self.pad] * (self.L - len(toks)), 0, [-1, -1, 0, self.L - len(toks)])
        self.out.append((toks, mask, spans))
        self.group, self.used = [], 0

    def finish(self):
        if self.used:
            if self.last == "drop":
                self.group, self.used = [], 0
            else:
                self.flush()


def cip(docs, lengths, shares=None, first=0, end=None, window=65536, seed=0, **opts):
    end = len(docs) if end is None else end
    shares = shares or [1] * len(lengths)
    shares = [s / sum(shares) for s in shares]
    buckets = [Bucket(L, seed=seed, **opts) for L in lengths]
    ordered = ((d, len(docs[d])) for d in order(end, first, window, seed))
    for d, b in buckets_of(ordered, lengths, shares):
        buckets[b].add(d, list(docs[d]))
    for b in buckets:
        b.finish()
    return {L: b.out for L, b in zip(lengths, buckets)}


def report_from_map(maps, L, bos=False, bins=16):
    """The reach-back report of one bucket recomputed from its .map.jsonl
    records alone (not from longweave's numbers): document tokens of
    documents cut into chunks in a sequence (interleaved), of whole sequences
    of one document (long: a span of L - BOS tokens, --long-docs keep), and
    the others (single); the gaps between a document's consecutive chunks in
    a sequence, in `bins` bins [floor(i*L/bins), floor((i+1)*L/bins)), and
    their 5/50/95% quantiles (the ceil(q*n)-th smallest)."""
    import bisect
    import math
    cap = L - (1 if bos else 0)
    inter = single = long_ = 0
    gaps = []
    for m in maps:
        pos, end, spans = 0, {}, []
        for d, c, s, n in m["chunks"]:
            if d >= 0:
                if c > 0:
                    gaps.append(pos - end[d])
                end[d] = pos + n
                spans.append((d, c, n))
            pos += n
        cut = {d for d, c, _ in spans if c > 0}
        for d, c, n in spans:
            if d in cut:
                inter += n
            elif n == cap and len(spans) == 1:
                long_ += n
            else:
                single += n
    edges = [i * L // bins for i in range(bins)]
    hist = [0] * bins
    for g in gaps:
        hist[bisect.bisect_right(edges, g) - 1] += 1
    gaps.sort()

    def q(p):
        return gaps[max(1, math.ceil(p * len(gaps))) - 1] if gaps else 0
    return {"interleaved_tokens": inter, "single_chunk_tokens": single, "long_tokens": long_,
            "reach_back": {"gaps": len(gaps), "p5": q(0.05), "median": q(0.5), "p95": q(0.95),
                           "bins": hist}, "all_gaps": gaps}
