"""Command-line tests of `longweave cip` against cip_reference.py, a Python
implementation written from docs/DESIGN.md, and against the input tokens."""
import collections
import json
import os
import random
import subprocess

import cip_reference
import megatron
from harness import ROOT, SAMPLE, check, jsonl, main, run, run_ok, same_files, test, write

FIX = os.path.join(ROOT, "tests", "fixtures", "tokenizers")
VOCAB = 1000


def make_dataset(prefix, seed=1, n=60, with_long=True):
    rng = random.Random(seed)
    docs = []
    for i in range(n):
        kind = rng.random()
        if kind < 0.1:
            length = rng.randint(0, 3)             # tiny and empty documents
        elif kind < 0.2 and with_long:
            length = rng.randint(300, 900)         # longer than some sequences
        else:
            length = rng.randint(4, 200)
        docs.append([rng.randint(10, VOCAB - 1) for _ in range(length)])
    megatron.write(prefix, docs, dtype=8)
    megatron.write_manifest(prefix, VOCAB)
    return docs


SETTINGS = [
    dict(C=2, M=8, split="equal", remainder="carry", last="pad", long_docs="keep", mode="cip"),
    dict(C=3, M=4, split="random", remainder="carry", last="pad", long_docs="interleave",
         mode="cip"),
    dict(C=2, M=8, split="equal", remainder="drop", last="drop", long_docs="keep", mode="cip"),
    dict(C=4, M=2, split="random", remainder="pad", last="pad", long_docs="keep", mode="cip"),
    dict(C=2, M=8, split="equal", remainder="carry", last="pad", long_docs="keep",
         mode="concat"),
    dict(C=2, M=8, split="random", remainder="carry", last="pad", long_docs="interleave",
         mode="cip", knots=2, eod=7, bos=5),
    dict(C=3, M=4, split="equal", remainder="pad", last="drop", long_docs="keep", mode="cip",
         knots=1, eod=7),
]


def args_for(s, lengths, window):
    a = ["--seq-len", ",".join(map(str, lengths)), "--chunks-per-doc", s["C"],
         "--min-chunk-tokens", s["M"], "--split", s["split"], "--remainder", s["remainder"],
         "--last", s["last"], "--long-docs", s["long_docs"], "--mode", s["mode"],
         "--shuffle-window", window, "--seed", 11, "--pad-id", 3, "-q", "--force"]
    if s.get("knots"):
        a += ["--knots", "--knot-tokens", s["knots"], "--knot-ids", "20,21,22,23"]
    if s.get("eod") is not None:
        a += ["--eod-id", s["eod"]]
    if s.get("bos") is not None:
        a += ["--bos-id", s["bos"]]
    return a


def reference(docs, s, lengths, window, shares=None, first=0, end=None):
    return cip_reference.cip(
        docs, lengths, shares=shares, first=first, end=end, window=window, seed=11, C=s["C"],
        M=s["M"], split=s["split"], remainder=s["remainder"], last=s["last"],
        long_docs=s["long_docs"], mode=s["mode"], K=s.get("knots", 0),
        knot_ids=[20, 21, 22, 23], bos=s.get("bos"), eod=s.get("eod"), pad=3)


@test
def matches_the_reference_implementation(tmp):
    docs = make_dataset("d")
    for i, s in enumerate(SETTINGS):
        for lengths, window in (([64], 1), ([96, 200], 7)):
            out = f"o{i}-{len(lengths)}"
            run_ok(["cip", "d", "-o", out] + args_for(s, lengths, window))
            want = reference(docs, s, lengths, window)
            for L in lengths:
                seqs, masks, maps = megatron.read_cip_bucket(out, L)
                ref = want[L]
                check(len(seqs) == len(ref), f"{s} L={L}: {len(seqs)} sequences, want {len(ref)}")
                for k, (t, m, sp) in enumerate(ref):
                    check(seqs[k] == t, f"{s} L={L} seq {k}: tokens differ")
                    check(masks[k] == m, f"{s} L={L} seq {k}: mask differs")
                    check(maps[k] == {"seq": k, "chunks": sp},
                          f"{s} L={L} seq {k}: map {maps[k]} want {sp}")
                    check(len(seqs[k]) == L)


@test
def carry_keeps_every_token_once_in_document_order(tmp):
    # The sample corpus, tokenized, in two buckets: every document token is in
    # the output exactly once, the map points at it, and each document's
    # spans come in increasing order.
    run_ok(["tokenize", "-t", os.path.join(FIX, "llama3.tiktoken"), SAMPLE, "-o", "tok", "-q"])
    _, docs, _ = megatron.read("tok")
    run_ok(["cip", "tok", "--seq-len", "4k,16k", "--length-mix", "4k:1,16k:2", "-o", "out",
            "-q", "--eod", "--knots"])
    seen = collections.defaultdict(list)
    for L in (4096, 16384):
        seqs, masks, maps = megatron.read_cip_bucket("out", L)
        for t, mp in zip(seqs, maps):
            pos = 0
            for d, c, start, length in mp["chunks"]:
                if d >= 0:
                    check(tuple(t[pos:pos + length]) == docs[d][start:start + length],
                          f"map of seq {mp['seq']} disagrees with the tokens")
                    seen[d].append((start, length))
                pos += length
            check(pos == L, "the map does not cover the sequence")
    for d, doc in enumerate(docs):
        spans = seen.get(d, [])
        check(sum(l for _, l in spans) == len(doc), f"document {d}: {len(doc)} tokens, "
              f"{sum(l for _, l in spans)} written")
        expect = 0
        for start, length in spans:
            check(start == expect, f"document {d}: span at {start}, expected {expect}")
            expect += length
    m = json.load(open("out/manifest.json"))
    check(sum(b["document_tokens"] for b in m["buckets"]) == sum(map(len, docs)))


@test
def threads_and_parts(tmp):
    make_dataset("d", n=200)
    base = ["cip", "d", "--seq-len", "64,128,256", "--eod-id", "7", "--knots", "--knot-ids",
            "20,21", "-q"]
    run_ok(base + ["-j", "1", "-o", "a"])
    run_ok(base + ["-j", "2", "-o", "b"])
    same_files("a", "b", "at -j 2")
    # Parts share the output directory; each writes its own files and manifest.
    for i in range(2):
        run_ok(base + ["--part", f"{i}/2", "-o", "p"])
    check(os.path.exists("p/manifest.part-00000.json") and
          os.path.exists("p/manifest.part-00001.json"))
    m = json.load(open("p/manifest.part-00001.json"))
    check(m["inputs"]["first_document"] == 100 and m["inputs"]["end_document"] == 200)
    check(os.path.exists(megatron.cip_bucket_path("p", 64, 1) + ".bin"))


def part_seed(seed, part):
    """The seed of a part that tokenizes its own text (docs/DESIGN.md): XXH3-64
    (seed 0) of the little-endian (seed, part), by the xxhsum command."""
    data = seed.to_bytes(8, "little") + part.to_bytes(8, "little")
    out = subprocess.run(["xxhsum", "-H3", "-"], input=data, capture_output=True,
                         check=True).stdout.decode()
    return int(out.split("=")[-1].strip() if "=" in out else out.split()[0], 16)


@test
def text_parts_draw_from_seeds_of_their_own(tmp):
    # parts of a text input number their documents from 0 each, so their
    # random splits come from (seed, part); the reference, fed each part's
    # own documents and that seed, gives the same sequences
    s = SETTINGS[1]
    write("d.jsonl", jsonl([{"text": f"part test {i} " * (7 * i % 60 + 3)} for i in range(80)]))
    tok = os.path.join(FIX, "r50k_base.tiktoken")
    seeds = []
    for i in range(2):
        run_ok(["cip", "d.jsonl", "-t", tok, "--part", f"{i}/2", "-o", "out"] +
               args_for(s, [64], 5))
        run_ok(["tokenize", "d.jsonl", "-t", tok, "--part", f"{i}/2", "-q", "-o", f"t{i}/d"])
        _, seqs, _ = megatron.read(f"t{i}/d")
        seed = part_seed(11, i)
        m = json.load(open(f"out/manifest.part-0000{i}.json"))
        check(int(m["config"]["part_shuffle_seed"], 16) == seed, m["config"])
        want = cip_reference.cip(
            [list(x) for x in seqs], [64], window=5, seed=seed, C=s["C"], M=s["M"],
            split=s["split"], remainder=s["remainder"], last=s["last"],
            long_docs=s["long_docs"], mode=s["mode"], K=0, knot_ids=[20, 21, 22, 23],
            bos=None, eod=None, pad=3)[64]
        got, masks, _ = megatron.read_cip_bucket("out", 64, i)
        check(got == [t for t, _, _ in want], f"part {i}: sequences differ from the reference")
        seeds.append(seed)
    check(seeds[0] != seeds[1])


@test
def documents_with_a_tokenizer(tmp):
    write("d.jsonl", jsonl([{"text": f"document number {i} " * (i + 1)} for i in range(30)]))
    run_ok(["cip", "d.jsonl", "-t", os.path.join(FIX, "r50k_base.tiktoken"), "--seq-len", "64",
            "--eod", "-o", "out", "-q"])
    seqs, masks, maps = megatron.read_cip_bucket("out", 64)
    check(len(seqs) > 5 and all(len(s) == 64 for s in seqs))
    check(not [f for f in os.listdir("out") if f.startswith(".cip-tokens")], "temporary left")
    m = json.load(open("out/manifest.json"))
    check(m["tokenizer"]["name"] == "r50k_base" and m["config"]["eod_id"] == 50256)


@test
def bad_options_are_usage_errors(tmp):
    make_dataset("d")
    cases = [
        ["--seq-len", "64", "--chunks-per-doc", "0"],
        ["--seq-len", "64", "--chunks-per-doc", "4", "--min-chunk-tokens", "32"],
        ["--seq-len", "64,128", "--length-mix", "64:1,256:2"],
        ["--seq-len", "64,128", "--length-mix", "1,2,3"],
        ["--seq-len", "abc"],
        ["--seq-len", "64", "--split", "sideways"],
        ["--seq-len", "64", "--knots"],          # no tokenizer: no marker ids
        [],                                      # no --seq-len
    ]
    for extra in cases:
        rc, _, err = run(["cip", "d", "-o", "o"] + extra)
        check(rc == 64, f"{extra}: exit {rc}: {err}")
    rc, _, err = run(["cip", "missing", "--seq-len", "64", "-o", "o"])
    check(rc == 64 and "-t" in err, f"{rc} {err}")
    run_ok(["cip", "d", "--seq-len", "64", "-o", "x", "-q"])
    rc, _, err = run(["cip", "d", "--seq-len", "64", "-o", "x"])
    check(rc == 73 and "--force" in err, f"{rc} {err}")


if __name__ == "__main__":
    raise SystemExit(main())
