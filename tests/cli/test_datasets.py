"""Command-line tests of the dataset commands: merge (the parts of tokenize
and shard runs give the single run's files byte for byte; CIP parts keep
every sequence, mask and map line), mix (shares, no sequence twice without
--upsample, deterministic), pack (every sample exactly once, cu_seqlens,
positions and weights recomputed in Python, the best-fit property) and
inspect (counts against the Python Megatron reader)."""
import collections
import json
import os
import struct
import xml.etree.ElementTree as ET

import formats
import megatron
from harness import ROOT, SAMPLE, check, main, run, run_ok, test, zstd_bytes
from llama3_ref import LLAMA3, decoder

SPM = os.path.join(ROOT, "tests", "fixtures", "tokenizers", "spm-bpe-32k.model")


def pairs(prefix):
    _, seqs, _ = megatron.read(prefix)
    if not os.path.exists(prefix + ".mask.idx"):
        return [(tuple(s), None) for s in seqs]
    return [(tuple(s), tuple(m)) for s, m in zip(seqs, megatron.read_uint8(prefix + ".mask"))]


def same_files(a, b, names):
    for n in names:
        check(open(os.path.join(a, n), "rb").read() == open(os.path.join(b, n), "rb").read(),
              f"{n} differs")


@test
def merge_gives_the_single_run(tmp):
    run_ok(["tokenize", "-t", LLAMA3, SAMPLE, "--append-eod", "-q", "-o", "whole/ll"])
    for i in range(3):
        run_ok(["tokenize", "-t", LLAMA3, SAMPLE, "--append-eod", "-q", "--part", f"{i}/3",
                "-o", f"p{i}/ll"])
    run_ok(["merge", "m/ll", "p0/ll", "p1/ll", "p2/ll", "-q"])
    same_files("whole", "m", ["ll.bin", "ll.idx"])
    run_ok(["verify", "m/ll", "-q"])
    # into another format: the same sequences
    run_ok(["merge", "--format", "datatrove", "dt/ll", "p0/ll", "p1/ll", "p2/ll", "-q"])
    check([(tuple(i), None) for i, _ in formats.read_datatrove("dt/ll")] == pairs("whole/ll"))
    # shard parts in separate directories: shard k is the parts' shard k joined
    run_ok(["shard", SAMPLE, "-n", "4", "-q", "-o", "sh"])
    for i in range(3):
        run_ok(["shard", SAMPLE, "-n", "4", "--part", f"{i}/3", "-q", "-o", f"shp{i}"])
    run_ok(["merge", "shm", "shp0", "shp1", "shp2", "-q"])
    for k in range(4):
        check(zstd_bytes(f"shm/shard-{k:05d}.jsonl.zst") == zstd_bytes(f"sh/shard-{k:05d}.jsonl.zst"),
              f"shard {k}")
    run_ok(["verify", "shm", "-q"])
    # another tokenizer does not merge
    run_ok(["tokenize", "-t", SPM, SAMPLE, "-q", "-o", "spm/s"])
    rc, _, err = run(["merge", "bad/x", "whole/ll", "spm/s"])
    check(rc == 65 and "another tokenizer" in err, err)
    check(not os.path.exists("bad/x.bin"))
    # nor the same file split with another --pattern (its text became other ids)
    run_ok(["tokenize", "-t", LLAMA3, SAMPLE, "--append-eod", "-q", "--pattern", "cl100k",
            "-o", "pat/ll"])
    rc, _, err = run(["merge", "bad/y", "whole/ll", "pat/ll"])
    check(rc == 65 and "--pattern cl100k" in err, err)
    check(not os.path.exists("bad/y.bin"))


@test
def merge_cip_parts_keeps_sequences_masks_and_maps(tmp):
    run_ok(["tokenize", "-t", LLAMA3, SAMPLE, "-q", "-o", "tok/ll"])
    for i in range(2):
        run_ok(["cip", "tok/ll", "--seq-len", "4k,8k", "--knots", "--part", f"{i}/2", "-q",
                "-o", "parts"])
    run_ok(["merge", "m", "parts", "-q"])
    for b in ["0004096", "0008192"]:
        d = f"len-{b}"
        got = pairs(f"m/{d}/part-00000")
        want = pairs(f"parts/{d}/part-00000") + pairs(f"parts/{d}/part-00001")
        check(got == want, f"{d}: sequences or masks")
        lines = [json.loads(l) for l in open(f"m/{d}/part-00000.map.jsonl")]
        check([l["seq"] for l in lines] == list(range(len(got))), "map renumbered")
        parts = [[json.loads(l) for l in open(f"parts/{d}/part-0000{i}.map.jsonl")] for i in range(2)]
        # a part of a token dataset numbers documents as the dataset does, so
        # the merged map keeps them (merge once added first_document again)
        inputs = json.load(open("parts/manifest.part-00001.json"))["inputs"]
        docs = {c[0] for l in parts[1] for c in l["chunks"] if c[0] >= 0}
        check(min(docs) >= inputs["first_document"] and max(docs) < inputs["end_document"],
              f"part 1 documents {min(docs)}..{max(docs)} vs {inputs}")
        check([l["chunks"] for l in lines] == [l["chunks"] for l in parts[0] + parts[1]],
              "map documents")
    r = json.loads(run_ok(["verify", "m", "--json", "-q"])[0])
    check(r["sound"] and r["datasets"] == 2, r)


@test
def merge_of_masked_and_unmasked_datasets_masks_with_ones(tmp):
    # CIP writes a mask only where a token is masked, so parts may differ
    run_ok(["tokenize", "-t", LLAMA3, SAMPLE, "-q", "-o", "tok/ll"])
    run_ok(["synl", "-t", LLAMA3, "-n", "4", "--seq-len", "4k", "-q", "-o", "s"])
    masked = "s/len-0004096/part-00000"
    run_ok(["merge", "m/x", "tok/ll", masked, "-q"])
    want = [(t, tuple([1] * len(t))) for t, _ in pairs("tok/ll")] + pairs(masked)
    check(pairs("m/x") == want, "tokens or masks")


@test
def mix_by_token_share(tmp):
    run_ok(["tokenize", "-t", LLAMA3, SAMPLE, "-q", "-o", "a/ll"])
    run_ok(["cip", "a/ll", "--seq-len", "2k", "-q", "-o", "c"])
    run_ok(["synl", "-t", LLAMA3, "--seq-len", "2k", "-n", "40", "-q", "-o", "s"])
    srcs = {"c": "c/len-0002048/part-00000", "s": "s/len-0002048/part-00000"}
    base = ["mix", "--source", srcs["c"] + ":3", "--source", srcs["s"] + ":1", "--tokens",
            "200000", "-q"]
    run_ok(base + ["-o", "m1/x"])
    run_ok(base + ["-o", "m2/x"])
    same_files("m1", "m2", ["x.bin", "x.idx", "x.mask.bin", "x.mask.idx"])
    out = pairs("m1/x")
    pools = {k: collections.Counter(s for s, _ in pairs(v)) for k, v in srcs.items()}
    origin = []
    for s, _ in out:
        hits = [k for k, pool in pools.items() if pool[s]]
        check(len(hits) == 1, "an output sequence from no source")
        pools[hits[0]][s] -= 1  # without --upsample: never more often than in the source
        origin.append(hits[0])
    m = json.load(open("m1/x.manifest.json"))
    toks = {k: sum(len(s) for (s, _), o in zip(out, origin) if o == k) for k in srcs}
    check(abs(toks["c"] - 150000) <= 2048 and abs(toks["s"] - 50000) <= 2048, toks)
    check([e["tokens"] for e in m["sources"]] == [toks["c"], toks["s"]], m["sources"])
    # every stretch holds the shares: the first half has about half of each
    half = len(out) // 2
    firsts = collections.Counter(origin[:half])
    check(abs(firsts["c"] / half - 0.75) < 0.1, firsts)
    # a source smaller than its share needs --upsample
    rc, _, err = run(["mix", "--source", srcs["s"] + ":1", "--tokens", "500000", "-o", "m3/x"])
    check(rc == 65 and "--upsample" in err, err)
    run_ok(["mix", "--source", srcs["s"] + ":1", "--tokens", "500000", "--upsample", "-q",
            "-o", "m3/x"])
    m = json.load(open("m3/x.manifest.json"))
    check(m["sources"][0]["passes"] > 1 and m["stats"]["tokens"] >= 500000, m)
    rc, _, _ = run(["mix", "--source", srcs["c"] + ":1", "--tokens", "1000", "--seed", "2",
                    "-q", "-o", "m4/x"])
    check(rc == 0)
    check(pairs("m4/x") != pairs("m1/x")[:len(pairs("m4/x"))], "seeds give other orders")


def packed_samples(prefix, seq_len):
    tokens = pairs(prefix)
    _, cu, _ = megatron.read(prefix + ".cu_seqlens")
    _, pos, _ = megatron.read(prefix + ".positions")
    out, used = [], []
    for (ids, mask), ends, p in zip(tokens, cu, pos):
        check(len(ids) == seq_len and ends[0] == 0 and list(ends) == sorted(ends), "cu_seqlens")
        check(ends[-1] == seq_len, "cu_seqlens ends at the sequence length")
        # the padding (folded into the last segment) starts where positions
        # restart after the last sample's start
        last = ends[-2]
        pad = next((i for i in range(last + 1, seq_len) if p[i] == 0), seq_len)
        bounds = list(ends[:-1]) + [pad]
        for a, b in zip(bounds, bounds[1:]):
            out.append((ids[a:b], mask[a:b]))
            check(list(p[a:b]) == list(range(b - a)), "positions restart in each sample")
        check(all(m == 0 for m in mask[pad:]), "padding is not trained")
        used.append(bounds)
    return out, tokens, used


@test
def pack_every_sample_once(tmp):
    run_ok(["synl", "-t", LLAMA3, "--seq-len", "2k,4k", "-n", "50", "-q", "-o", "s"])
    inputs = pairs("s/len-0002048/part-00000") + pairs("s/len-0004096/part-00000")
    run_ok(["pack", "s", "-o", "p/x", "--seq-len", "8k", "--loss-weighting", "sample", "-q"])
    got, packed, cu = packed_samples("p/x", 8192)  # cu: each sequence's sample bounds
    check(collections.Counter(got) == collections.Counter(inputs), "samples lost or doubled")
    used = [ends[-1] for ends in cu]
    check(sum(1 for u in used if u <= 4096) <= 1, "best fit: two sequences half empty")
    check(len(packed) >= -(-sum(len(s) for s, _ in inputs) // 8192))
    # weights: 1/N_i on the trained tokens of each sample, summing to 1 per sample
    _, weights, _ = megatron.read("p/x.weights")
    for (ids, mask), ends, w in zip(packed, cu, weights):
        for a, b in zip(ends, ends[1:]):
            n = sum(mask[a:b])
            check(all(abs(w[k] - (1 / n if mask[k] else 0)) < 1e-6 for k in range(a, b)))
    # MDS keeps the sample boundaries as ProLong's indices
    run_ok(["pack", "s", "-o", "pm/x", "--seq-len", "8k", "--format", "mds", "-q"])
    samples = formats.read_mds_samples("pm/x")
    check([[[a, b] for a, b in zip(e, e[1:])] for e in cu] == [s["indices"] for s in samples])
    # continuous positions; long samples skipped or truncated
    run_ok(["pack", "s", "-o", "pc/x", "--seq-len", "3k", "--positions", "continuous", "-q"])
    _, pos, _ = megatron.read("pc/x.positions")
    check(all(list(p) == list(range(3072)) for p in pos))
    long = sum(len(ids) > 3072 for ids, _ in inputs)  # the 4K bucket's samples
    check(0 < long < 50, long)
    _, err = run_ok(["pack", "s", "-o", "pt/x", "--seq-len", "3k"])
    check(f"{long} samples longer than 3072" in err, err)
    run_ok(["pack", "s", "-o", "pu/x", "--seq-len", "3k", "--long", "truncate", "-q"])
    m = json.load(open("pu/x.manifest.json"))
    check(m["stats"]["truncated"] == long and m["stats"]["samples"] == 50, m["stats"])
    run_ok(["verify", "p/x", "-q"])


@test
def sorted_batches(tmp):
    run_ok(["synl", "-t", LLAMA3, "--seq-len", "2k,4k", "-n", "30", "-q", "-o", "s"])
    inputs = pairs("s/len-0002048/part-00000") + pairs("s/len-0004096/part-00000")
    run_ok(["pack", "s", "-o", "b/x", "--strategy", "sort", "--batch-size", "4", "-q"])
    out = pairs("b/x")
    check(collections.Counter(out) == collections.Counter(inputs))
    lengths = sorted((len(s) for s, _ in inputs), reverse=True)
    # the output is the length-sorted batches (the last one short) in some order
    remaining = collections.Counter(tuple(lengths[i:i + 4]) for i in range(0, len(lengths), 4))
    got, i = [len(s) for s, _ in out], 0
    while i < len(got):
        match = next((t for t in remaining if remaining[t] and tuple(got[i:i + len(t)]) == t), None)
        check(match is not None, f"no sorted batch at output position {i}")
        remaining[match] -= 1
        i += len(match)
    check([len(s) for s, _ in out] != lengths, "the batch order is shuffled")


@test
def inspect_counts_and_samples(tmp):
    run_ok(["tokenize", "-t", LLAMA3, SAMPLE, "-q", "-o", "t/ll"])
    run_ok(["cip", "t/ll", "--seq-len", "4k,8k", "--knots", "-q", "-o", "c"])
    r = json.loads(run_ok(["inspect", "c", "--json", "--svg", "h.svg"])[0])
    want = [pairs(f"c/len-{b}/part-00000") for b in ["0004096", "0008192"]]
    check(r["datasets"] == 2 and r["sequences"] == sum(map(len, want)), r)
    check(r["tokens"] == sum(len(s) for w in want for s, _ in w))
    check(r["trained_tokens"] == sum(sum(m) for w in want for _, m in w))
    check(sum(h["sequences"] for h in r["length_histogram"]) == r["sequences"])
    bars = [b for b in ET.parse("h.svg").getroot().iter("{http://www.w3.org/2000/svg}rect")
            if b.get("class") == "bar"]
    check(sorted(int(b.get("data-count")) for b in bars) == sorted(map(len, want)))
    text, _ = run_ok(["inspect", "t/ll", "--show", "1", "--chars", "100000"])
    _, seqs, _ = megatron.read("t/ll")
    check(decoder()(seqs[0]) in text.decode(), "decoded sample")
    check("202 sequences" in text.decode())
    rc, _, err = run(["inspect", "nothing"])
    check(rc == 66, err)


if __name__ == "__main__":
    main()
