"""Command-line tests of pack's boundaries as each trainer reads them, with
readers written from the trainers' published source, not from longweave's C
code:

* Megatron-Core / NeMo packed SFT (GPTSFTPackedDataset.collate_fn): cu_seqlens
  starts at 0, has a boundary at every sample start, and its last entry is the
  sequence length ("set last seq to the max seq len because rope and attn
  kernels expect no padding"): the padding joins the last sample.
* datatrove's DatatroveFileDataset._get_pos (return_positions=True): position
  ids computed from the .ds.index document ends inside each window of
  seq_len + 1 tokens restart at every sample, as PREFIX.positions does.
* axolotl's pre-tokenized columns (input_ids, attention_mask, labels) and TRL's
  padding-free collator (DataCollatorForLanguageModeling with seq_lengths:
  get_position_ids_from_packed_seq_lengths), against the Megatron output of
  the same run.
"""
import collections
import json
import struct

import formats
import megatron
from harness import check, main, run, run_ok, test
from llama3_ref import LLAMA3

L = 8192


def synl_samples():
    run_ok(["synl", "-t", LLAMA3, "--seq-len", "2k,4k", "-n", "30", "-q", "-o", "s"])
    out = []
    for b in ("len-0002048", "len-0004096"):
        _, seqs, _ = megatron.read(f"s/{b}/part-00000")
        masks = megatron.read_uint8(f"s/{b}/part-00000.mask")
        out += [(tuple(s), tuple(m)) for s, m in zip(seqs, masks)]
    return out


def megatron_pack(prefix, extra=(), seq_len=L):
    run_ok(["pack", "s", "-o", prefix, "--seq-len", str(seq_len), "-q", *extra])
    _, seqs, _ = megatron.read(prefix)
    masks = megatron.read_uint8(prefix + ".mask")
    _, cu, _ = megatron.read(prefix + ".cu_seqlens")
    _, pos, _ = megatron.read(prefix + ".positions")
    return seqs, masks, cu, pos


def both_runs(fmt, out, seq_len=L):
    """The samples, the Megatron pack of them (tokens, masks, cu_seqlens,
    positions) in sequences of seq_len, and the pack of the same samples in
    fmt at out with --seq-len 8k."""
    inputs = synl_samples()
    meg = megatron_pack("p/x", seq_len=seq_len)
    run_ok(["pack", "s", "-o", out, "--seq-len", "8k", "--format", fmt, "-q"])
    return inputs, meg


def sample_starts(positions):
    """Where PREFIX.positions (--positions reset) restarts: each sample, then
    the padding when there is some."""
    return [i for i, p in enumerate(positions) if p == 0]


def datatrove_positions(ends, window, seq_len):
    """DatatroveFileDataset._get_pos for window `window` of seq_len + 1
    tokens, in plain Python: the document ends inside the window, then
    positions that count up from 0 after each of them."""
    start = window * (seq_len + 1)
    end = start + seq_len
    doc_ends = [0] + [e - start for e in ends if start < e <= end]
    pos = [1] * (seq_len + 1)
    prev = [-1] + doc_ends[:-1]
    for d, p in zip(doc_ends, prev):
        pos[d] = p - d + 1
    assert pos[0] == 0, "First position should be 0"
    out, acc = [], 0
    for v in pos:
        acc += v
        out.append(acc)
    return out


def trl_positions(seq_lengths):
    """TRL's get_position_ids_from_packed_seq_lengths for one example."""
    total = sum(seq_lengths)
    pos = [1] * total
    pos[0] = 0
    acc = 0
    for n in seq_lengths[:-1]:
        acc += n
        pos[acc] = -(n - 1)
    out, s = [], 0
    for v in pos:
        s += v
        out.append(s)
    return out


@test
def cu_seqlens_end_at_the_sequence_length(tmp):
    inputs = synl_samples()
    seqs, masks, cu, pos = megatron_pack("p/x")
    check(any(m[-1] == 0 for m in masks), "no sequence has padding: the test shows nothing")
    got = []
    for ids, mask, ends, p in zip(seqs, masks, cu, pos):
        check(len(ids) == L and ends[0] == 0 and list(ends) == sorted(ends), "cu_seqlens")
        # NeMo: cu_seqlens[-1] = max_length, the padding in the last segment
        check(ends[-1] == L, f"cu_seqlens ends at {ends[-1]}, not at the length {L}")
        starts = sample_starts(p)
        check(list(ends[:-1]) == starts[:len(ends) - 1], "a boundary is not a sample start")
        # the samples, cut where they start; the last one ends where the
        # padding (the loss-masked tail after the last start) begins
        bounds = list(ends[:-1]) + [starts[len(ends) - 1] if len(starts) >= len(ends) else L]
        for a, b in zip(bounds, bounds[1:]):
            got.append((tuple(ids[a:b]), tuple(mask[a:b])))
        check(all(m == 0 for m in mask[bounds[-1]:]), "padding is trained")
    check(collections.Counter(got) == collections.Counter(inputs), "samples lost or doubled")
    run_ok(["verify", "p/x", "-q"])


@test
def datatrove_index_at_sample_ends(tmp):
    # datatrove reads windows of seq_len + 1 one after another: its pack of
    # 8k is Megatron's of 8k + 1, and DatatroveFolderDataset(seq_len=L) reads
    # one packed sequence per window
    S = L + 1
    inputs, (seqs, masks, cu, pos) = both_runs("datatrove", "d/x", S)
    docs = formats.read_datatrove("d/x")  # one (ids, loss) per .ds.index entry
    raw = open("d/x.ds.index", "rb").read()
    ends = list(struct.unpack(f"<{len(raw) // 8}Q", raw))
    # the same tokens and loss as the Megatron run
    flat = [t for s in seqs for t in s]
    check([t for d, _ in docs for t in d] == flat, "tokens differ from the Megatron run")
    check([b for _, l in docs for b in l] == [b for m in masks for b in m], "loss differs")
    # an end at every sample (and after the padding), none inside a sample
    want = []
    for q, (p, m) in enumerate(zip(pos, masks)):
        starts = sample_starts(p)
        want += [q * S + s for s in starts[1:]] + [(q + 1) * S]
    check(ends == want, "the index is not at the sample ends")
    # every sample is one datatrove document (the padding runs are the others)
    samples = [(tuple(d), tuple(l)) for d, l in docs if any(l)]
    check(collections.Counter(samples) == collections.Counter(inputs), "samples are not documents")
    # positions as DatatroveFolderDataset(seq_len=L, return_positions=True)
    # computes them: they restart at each sample, as PREFIX.positions
    for q in range(len(seqs)):
        check(datatrove_positions(ends, q, L) == list(pos[q]), f"window {q}: positions")
    m = json.load(open("d/x.manifest.json"))
    check(m["config"]["seq_len"] == L and m["config"]["stored_len"] == S, m["config"])
    d = m["datasets"][0]
    check(d["sequences"] == len(seqs) and d["documents"] == len(ends), d)
    run_ok(["verify", "d/x", "-q"])
    # verify counts the index against "documents", not "sequences"
    d["documents"] -= 1
    json.dump(m, open("d/x.manifest.json", "w"))
    rc, _, err = run(["verify", "d/x"])
    check(rc != 0 and "documents" in err, f"{rc} {err}")


@test
def jsonl_columns_for_axolotl_and_trl(tmp):
    inputs, (seqs, masks, cu, pos) = both_runs("jsonl", "j/x")
    recs = [json.loads(line) for line in open("j/x.jsonl")]
    check(len(recs) == len(seqs), "one record per packed sequence")
    got = []
    for r, ids, mask, ends, p in zip(recs, seqs, masks, cu, pos):
        # axolotl's pre-tokenized columns
        for k in ("input_ids", "attention_mask", "labels", "position_ids", "seq_lengths"):
            check(k in r, f"no {k}")
        check(r["input_ids"] == list(ids), "input_ids differ from the Megatron run")
        check(r["labels"] == [t if m else -100 for t, m in zip(ids, mask)], "labels")
        check(r["position_ids"] == list(p), "position_ids differ from PREFIX.positions")
        sl = r["seq_lengths"]
        check(sum(sl) == L and all(n > 0 for n in sl), f"seq_lengths {sl}")
        # TRL rebuilds the same position ids from seq_lengths
        check(trl_positions(sl) == r["position_ids"], "TRL's position ids differ")
        # the samples are cu_seqlens' segments; the padding is the tail
        bounds = [0]
        for n in sl:
            bounds.append(bounds[-1] + n)
        check(bounds[:len(ends) - 1] == list(ends[:-1]), "seq_lengths against cu_seqlens")
        real = bounds[len(ends) - 1]
        check(len(sl) == len(ends) - 1 + (real < L), "one length per sample, and the padding")
        check(r["attention_mask"] == [1] * real + [0] * (L - real), "attention_mask")
        check(all(l == -100 for l in r["labels"][real:]), "padding has labels")
        for a, b in zip(bounds[:len(ends)], bounds[1:len(ends)]):
            got.append((tuple(ids[a:b]), tuple(mask[a:b])))
    check(collections.Counter(got) == collections.Counter(inputs), "samples lost or doubled")
    m = json.load(open("j/x.manifest.json"))
    check(m["datasets"][0]["columns"] == ["input_ids", "labels", "attention_mask",
                                          "position_ids", "seq_lengths"], m["datasets"][0])
    run_ok(["verify", "j/x", "-q"])
    # --strategy sort: one sample per record, no padding
    run_ok(["pack", "s", "-o", "b/x", "--strategy", "sort", "--format", "jsonl", "-q"])
    for line in open("b/x.jsonl"):
        r = json.loads(line)
        n = len(r["input_ids"])
        check(r["seq_lengths"] == [n] and r["attention_mask"] == [1] * n and
              r["position_ids"] == list(range(n)), "a sorted batch's record")


@test
def merged_packs_keep_their_sample_ends(tmp):
    # merge of packed datasets into jsonl or datatrove: the same records and
    # index as pack writes in that format directly (merge used to drop the
    # sample ends: no seq_lengths, an index entry per packed sequence)
    synl_samples()
    for n, L2 in (("1", "8192"), ("2", "16384")):
        run_ok(["pack", "s", "-o", f"p{n}/x", "--seq-len", L2, "-q"])
        run_ok(["pack", "s", "-o", f"j{n}/x", "--seq-len", L2, "--format", "jsonl", "-q"])
    run_ok(["merge", "mj/x", "p1/x", "p2/x", "--format", "jsonl", "-q"])
    want = [json.loads(line) for n in "12" for line in open(f"j{n}/x.jsonl")]
    got = [json.loads(line) for line in open("mj/x.jsonl")]
    check(got == want, "merged records differ from pack's own")
    run_ok(["verify", "mj/x", "-q"])
    run_ok(["merge", "md/x", "p1/x", "p2/x", "--format", "datatrove", "-q"])
    raw = open("md/x.ds.index", "rb").read()
    ends, at = [], 0
    for r in want:  # every sample and every run of padding is a document
        for k in r["seq_lengths"]:
            at += k
            ends.append(at)
    check(list(struct.unpack(f"<{len(raw) // 8}Q", raw)) == ends, "index not at sample ends")
    run_ok(["verify", "md/x", "-q"])
    # continuous positions do not show where the padding starts: refused
    run_ok(["pack", "s", "-o", "c/x", "--seq-len", "8192", "--positions", "continuous", "-q"])
    rc, _, err = run(["merge", "mc/x", "c/x", "--format", "jsonl"])
    check(rc == 65 and "continuous" in err and "c/x" in err, f"{rc} {err}")
    run_ok(["merge", "mm/x", "c/x", "-q"])  # megatron keeps cu_seqlens itself


main()
