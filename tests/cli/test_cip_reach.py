"""`longweave cip`'s reach-back report and `--reach spread`: the report
recomputed from the .map.jsonl by cip_reference.report_from_map, spread
against cip_reference.py byte for byte, and spread's bins on the sample."""
import json
import math
import os
import random

import cip_reference
import megatron
from harness import ROOT, SAMPLE, check, main, run, run_ok, same_files, test

FIX = os.path.join(ROOT, "tests", "fixtures", "tokenizers")
VOCAB = 1000


def make_dataset(prefix, seed=1, n=120):
    rng = random.Random(seed)
    docs = []
    for _ in range(n):
        kind = rng.random()
        length = rng.randint(0, 3) if kind < 0.1 else rng.randint(300, 900) if kind < 0.2 \
            else rng.randint(4, 200)
        docs.append([rng.randint(10, VOCAB - 1) for _ in range(length)])
    megatron.write(prefix, docs, dtype=8)
    megatron.write_manifest(prefix, VOCAB)
    return docs


SETTINGS = [
    dict(C=2, M=8, split="equal", remainder="carry", last="pad", long_docs="keep"),
    dict(C=3, M=4, split="random", remainder="carry", last="pad", long_docs="interleave"),
    dict(C=2, M=8, split="equal", remainder="drop", last="drop", long_docs="keep"),
    dict(C=4, M=2, split="random", remainder="pad", last="pad", long_docs="keep"),
    dict(C=2, M=8, split="random", remainder="carry", last="pad", long_docs="interleave",
         knots=2, eod=7, bos=5),
    dict(C=1, M=8, split="equal", remainder="carry", last="pad", long_docs="keep", eod=7),
]


def args_for(s, lengths, window, reach="spread"):
    a = ["--seq-len", ",".join(map(str, lengths)), "--chunks-per-doc", s["C"],
         "--min-chunk-tokens", s["M"], "--split", s["split"], "--remainder", s["remainder"],
         "--last", s["last"], "--long-docs", s["long_docs"], "--shuffle-window", window,
         "--seed", 11, "--pad-id", 3, "-q", "--force", "--reach", reach]
    if s.get("knots"):
        a += ["--knots", "--knot-tokens", s["knots"], "--knot-ids", "20,21,22,23"]
    if s.get("eod") is not None:
        a += ["--eod-id", s["eod"]]
    if s.get("bos") is not None:
        a += ["--bos-id", s["bos"]]
    return a


def reference(docs, s, lengths, window, first=0, end=None, reach="spread"):
    return cip_reference.cip(
        docs, lengths, first=first, end=end, window=window, seed=11, C=s["C"], M=s["M"],
        split=s["split"], remainder=s["remainder"], last=s["last"], long_docs=s["long_docs"],
        mode="cip", K=s.get("knots", 0), knot_ids=[20, 21, 22, 23], bos=s.get("bos"),
        eod=s.get("eod"), pad=3, reach=reach)


def same_as_reference(out, want, lengths, what, part=0):
    for L in lengths:
        seqs, masks, maps = megatron.read_cip_bucket(out, L, part)
        ref = want[L]
        check(len(seqs) == len(ref), f"{what} L={L}: {len(seqs)} sequences, want {len(ref)}")
        for k, (t, m, sp) in enumerate(ref):
            check(seqs[k] == t, f"{what} L={L} seq {k}: tokens differ")
            check(masks[k] == m, f"{what} L={L} seq {k}: mask differs")
            check(maps[k] == {"seq": k, "chunks": sp}, f"{what} L={L} seq {k}: map differs")
            check(len(seqs[k]) == L)


@test
def spread_matches_the_reference_implementation(tmp):
    docs = make_dataset("d")
    for i, s in enumerate(SETTINGS):
        for lengths, window in (([64], 1), ([96, 200], 7), ([512], 3)):
            out = f"o{i}-{len(lengths)}-{lengths[0]}"
            run_ok(["cip", "d", "-o", out] + args_for(s, lengths, window))
            same_as_reference(out, reference(docs, s, lengths, window), lengths, f"{s}")
            m = json.load(open(os.path.join(out, "manifest.json")))
            check(m["config"]["reach"] == "spread", m["config"])


@test
def spread_parts_and_threads(tmp):
    docs = make_dataset("d", n=300)
    s = SETTINGS[0]
    base = ["cip", "d"] + args_for(s, [128, 256], 9)
    run_ok(base + ["-j", "1", "-o", "a"])
    run_ok(base + ["-j", "2", "-o", "b"])
    same_files("a", "b", "at -j 2")
    for i in range(2):
        run_ok(base + ["--part", f"{i}/2", "-o", "p"])
        want = reference(docs, s, [128, 256], 9, first=150 * i, end=150 * (i + 1))
        same_as_reference("p", want, [128, 256], f"part {i}", part=i)


@test
def paper_is_the_default(tmp):
    make_dataset("d")
    base = ["cip", "d", "--seq-len", "64,200", "--eod-id", "7", "-q"]
    run_ok(base + ["-o", "a"])
    run_ok(base + ["--reach", "paper", "-o", "b"])
    for L in (64, 200):
        for ext in (".bin", ".idx", ".map.jsonl"):
            pa, pb = megatron.cip_bucket_path("a", L) + ext, megatron.cip_bucket_path("b", L) + ext
            check(open(pa, "rb").read() == open(pb, "rb").read(), f"{pa}: --reach paper differs")
    check(json.load(open("a/manifest.json"))["config"]["reach"] == "paper")
    rc, _, err = run(base + ["--reach", "sideways", "-o", "c"])
    check(rc == 64 and "--reach" in err, f"{rc} {err}")


def sample_tokens():
    run_ok(["tokenize", "-t", os.path.join(FIX, "llama3.tiktoken"), SAMPLE, "-o", "tok", "-q"])


def check_report(out, L, err):
    """The manifest's report against the one recomputed from the map."""
    m = json.load(open(os.path.join(out, "manifest.json")))
    b = next(b for b in m["buckets"] if b["seq_len"] == L)
    _, _, maps = megatron.read_cip_bucket(out, L)
    want = cip_reference.report_from_map(maps, L)
    for k in ("interleaved_tokens", "single_chunk_tokens", "long_tokens", "reach_back"):
        check(b[k] == want[k], f"{out} L={L} {k}: manifest {b[k]}, map says {want[k]}")
    check(b["interleaved_tokens"] + b["single_chunk_tokens"] + b["long_tokens"] ==
          b["document_tokens"], b)
    rb = want["reach_back"]
    line = (f"reach-back: median {rb['median']:,} tokens, 90% within "
            f"{rb['p5']:,}-{rb['p95']:,}")
    check(line in err, f"no '{line}' in\n{err}")
    return want


@test
def report_recomputed_from_the_map(tmp):
    sample_tokens()
    for reach in ("paper", "spread"):
        _, err = run_ok(["cip", "tok", "--seq-len", "8k,32k", "--reach", reach, "-o", reach])
        for L in (8192, 32768):
            want = check_report(reach, L, err)
            check(want["reach_back"]["gaps"] > 50 and want["interleaved_tokens"] > 0, want)
            check(want["long_tokens"] > 0, want)
    # knots, EOD and BOS count in the gaps; the report still follows the map
    _, err = run_ok(["cip", "tok", "--seq-len", "4k", "--knots", "--eod", "--bos", "-o", "k",
                     "--reach", "spread"])
    m = json.load(open("k/manifest.json"))
    _, _, maps = megatron.read_cip_bucket("k", 4096)
    want = cip_reference.report_from_map(maps, 4096, bos=True)
    for k in ("interleaved_tokens", "single_chunk_tokens", "long_tokens", "reach_back"):
        check(m["buckets"][0][k] == want[k], f"knots {k}: {m['buckets'][0][k]} vs {want[k]}")


@test
def inspect_shows_the_report(tmp):
    # text and SVG bars of inspect against the report recomputed from the maps
    import xml.etree.ElementTree as ET
    sample_tokens()
    run_ok(["cip", "tok", "--seq-len", "8k,32k", "--reach", "spread", "-o", "c", "-q"])
    text = run_ok(["inspect", "c", "--svg", "r.svg"])[0].decode()
    bars = [int(b.get("data-count")) for b in ET.parse("r.svg").getroot().iter(
        "{http://www.w3.org/2000/svg}rect") if b.get("class") == "reach-bar"]
    want_bars = []
    for L in (8192, 32768):
        _, _, maps = megatron.read_cip_bucket("c", L)
        w = cip_reference.report_from_map(maps, L)
        rb, total = w["reach_back"], w["interleaved_tokens"] + w["single_chunk_tokens"] + \
            w["long_tokens"]
        line = (f"reach-back, length {L // 1024}K: "
                f"{100 * w['interleaved_tokens'] / total:.1f}% of document tokens interleaved, "
                f"{100 * w['long_tokens'] / total:.1f}% long documents; {rb['gaps']:,} gaps, "
                f"median {rb['median']:,} tokens, 90% within {rb['p5']:,}-{rb['p95']:,}")
        check(line in text, f"no '{line}' in\n{text}")
        block = text.split(line)[1].splitlines()[1:17]
        check([int(x.split()[-1]) for x in block] == rb["bins"], f"{block} vs {rb['bins']}")
        want_bars += rb["bins"]
    check(bars == want_bars, f"svg bars {bars}, want {want_bars}")


@test
def spread_bins_on_the_sample(tmp):
    # 8 equal bins over [0, L(C-1)/C), C = 2 (the default --chunks-per-doc):
    # each holds 5-25% of the gaps; paper puts most of them in the last bin
    sample_tokens()
    _, docs, _ = megatron.read("tok")
    for L in (8192, 32768):
        top = L * (2 - 1) // 2
        for reach in ("spread", "paper"):
            out = f"{reach}-{L}"
            run_ok(["cip", "tok", "--seq-len", str(L), "--reach", reach, "-o", out, "-q"])
            seqs, _, maps = megatron.read_cip_bucket(out, L)
            gaps = cip_reference.report_from_map(maps, L)["all_gaps"]
            bins = [0] * 8
            for g in gaps:
                check(g < top, f"{reach} L={L}: gap {g} beyond {top}")
                bins[g * 8 // top] += 1
            shares = [round(100 * b / len(gaps), 1) for b in bins]
            print(f"    {reach} L={L}: {len(gaps)} gaps, % per bin {shares}")
            if reach == "spread":
                check(all(5 <= s <= 25 for s in shares), f"L={L}: bins {shares}")
                # every token once, each document's spans in order
                seen = {}
                for t, mp in zip(seqs, maps):
                    pos = 0
                    for d, c, start, n in mp["chunks"]:
                        if d >= 0:
                            check(tuple(t[pos:pos + n]) == docs[d][start:start + n])
                            check(seen.get(d, 0) == start, f"doc {d}: span at {start}")
                            seen[d] = start + n
                        pos += n
                check(sum(seen.values()) == sum(map(len, docs)), "tokens lost or repeated")
            else:
                check(bins[7] > 0.4 * len(gaps), f"paper L={L}: {shares}")


if __name__ == "__main__":
    raise SystemExit(main())
