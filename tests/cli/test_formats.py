"""Command-line tests of the output formats (--format): every format read
back by a reader written from its published layout (formats.py) and by the
NumPy reader users copy (examples/train_reader.py, run with Debian's
python3-numpy), and compared sequence by sequence, mask by mask, with the
Megatron output of the same run."""
import hashlib
import json
import os
import struct
import subprocess

import formats
import megatron
from harness import ROOT, SAMPLE, check, main, run, run_ok, test
from llama3_ref import LLAMA3

SPM = os.path.join(ROOT, "tests", "fixtures", "tokenizers", "spm-bpe-32k.model")
NUMPY_PYTHON = "/usr/bin/python3"  # Debian's, with python3-numpy (make deps)
TRAIN_READER = os.path.join(ROOT, "examples", "train_reader.py")


def megatron_pairs(prefix):
    _, seqs, _ = megatron.read(prefix)
    if not os.path.exists(prefix + ".mask.idx"):
        return [(list(s), None) for s in seqs]
    masks = megatron.read_uint8(prefix + ".mask")
    return [(list(s), list(m)) for s, m in zip(seqs, masks)]


def digest(pairs):
    """The checksum train_reader.py --digest prints, computed here from pairs."""
    h = hashlib.sha256()
    for ids, mask in pairs:
        h.update(struct.pack("<I", len(ids)))
        h.update(struct.pack(f"<{len(ids)}I", *ids))
        h.update(b"\x00" if mask is None else b"\x01" + bytes(mask))
    return {"sequences": len(pairs), "tokens": sum(len(i) for i, _ in pairs),
            "sha256": h.hexdigest()}


def numpy_digest(fmt, path):
    out = subprocess.run([NUMPY_PYTHON, TRAIN_READER, fmt, path, "--digest"], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)


def same(a, b, what):
    check(len(a) == len(b), f"{what}: {len(a)} sequences against {len(b)}")
    for i, ((ia, ma), (ib, mb)) in enumerate(zip(a, b)):
        check(ia == ib, f"{what}: sequence {i} differs")
        check(ma == mb, f"{what}: mask {i} differs")


@test
def tokenize_in_every_variable_length_format(tmp):
    base = ["tokenize", "-t", LLAMA3, SAMPLE, "--append-eod", "-q"]
    run_ok(base + ["-o", "mg/tok"])
    ref = megatron_pairs("mg/tok")
    run_ok(base + ["--format", "datatrove", "-o", "dt/tok"])
    same(formats.read_datatrove("dt/tok"), ref, "datatrove")
    check(open("dt/tok.ds.metadata").read().split("\n")[:2] ==
          ["llama3|4", str(sum(len(i) for i, _ in ref))], "datatrove metadata")
    run_ok(base + ["--format", "mds", "--shard-bytes", "1M", "-o", "mds/tok"])
    samples = formats.read_mds_samples("mds/tok")
    same([(s["input_ids"], None) for s in samples], ref, "mds")
    check(all(s["indices"] == [[0, len(s["input_ids"])]] for s in samples), "mds indices")
    index = json.load(open("mds/tok/index.json"))
    check(len(index["shards"]) > 2 and all(s["raw_data"]["bytes"] <= 1 << 20 or s["samples"] == 1
                                          for s in index["shards"]), "1M shards")
    run_ok(base + ["--format", "llmc", "--shard-tokens", "300000", "-o", "lc/tok"])
    stream, headers = formats.read_llmc("lc/tok")
    check(stream == [t for i, _ in ref for t in i], "llmc stream")
    check([h[2] for h in headers] == [300000] * 4 + [len(stream) - 1200000], headers)
    check(all(h[:2] == (20240801, 7) for h in headers), "uint32 header for Llama 3")
    run_ok(base + ["--format", "jsonl", "-o", "js/tok"])
    same(formats.read_jsonl("js/tok.jsonl"), ref, "jsonl")
    run_ok(base + ["--format", "olmo", "-o", "ol/tok"])
    # the NumPy reader agrees with the standard-library ones (olmo's own
    # reader, written from OLMo-core, is test_olmo.py's)
    for fmt, path in [("megatron", "mg/tok"), ("datatrove", "dt/tok"), ("mds", "mds/tok"),
                      ("jsonl", "js/tok"), ("olmo", "ol/tok")]:
        check(numpy_digest(fmt, path) == digest(ref), f"train_reader {fmt}")
    check(numpy_digest("llmc", "lc/tok")["tokens"] == len(stream))
    # a 32K vocabulary: uint16 everywhere, llm.c's GPT-2 header
    run_ok(["tokenize", "-t", SPM, SAMPLE, "-q", "--format", "llmc", "-o", "small/tok"])
    stream16, headers16 = formats.read_llmc("small/tok")
    run_ok(["tokenize", "-t", SPM, SAMPLE, "-q", "-o", "small/mg"])
    check(stream16 == [t for i, _ in megatron_pairs("small/mg") for t in i])
    check(headers16[0][:2] == (20240520, 1), headers16)
    m = json.load(open("small/tok.manifest.json"))
    check(m["format_name"] == "llmc" and m["dtype"] == "uint16" and
          [(f["path"], f["role"]) for f in m["files"]] ==
          [("tok_000000.bin", "data"), ("tok.docs.jsonl", "docs")], m["files"])


@test
def cip_with_masks_in_every_format(tmp):
    run_ok(["tokenize", "-t", LLAMA3, SAMPLE, "-q", "-o", "tok/ll"])
    base = ["cip", "tok/ll", "--seq-len", "4k", "--knots", "-q"]
    run_ok(base + ["-o", "mg"])
    ref = megatron_pairs("mg/len-0004096/part-00000")
    check(all(m is not None for _, m in ref) and any(0 in m for _, m in ref),
          "knot markers and padding are masked")
    # datatrove's reader takes windows of seq_len + 1: its sequences of 4k are
    # Megatron's of 4k + 1 (lw_seq_format_extra_tokens)
    run_ok(["cip", "tok/ll", "--seq-len", "4097", "--knots", "-q", "-o", "mg1"])
    ref_plus_one = megatron_pairs("mg1/len-0004097/part-00000")
    for fmt in ["datatrove", "mds", "npy", "jsonl"]:
        run_ok(base + ["--format", fmt, "-o", fmt])
        prefix = f"{fmt}/len-0004096/part-00000"
        want = ref_plus_one if fmt == "datatrove" else ref
        if fmt == "datatrove":
            got = formats.read_datatrove(prefix)
        elif fmt == "mds":
            got = formats.read_mds(prefix)
        elif fmt == "npy":
            rows, descr = formats.read_npy(prefix + ".npy")
            masks, mdescr = formats.read_npy(prefix + ".mask.npy")
            check(descr == "<i4" and mdescr == "|u1", (descr, mdescr))
            got = list(zip(rows, masks))
        else:
            got = formats.read_jsonl(prefix + ".jsonl")
        same(got, want, f"cip {fmt}")
        check(numpy_digest(fmt, prefix) == digest(want), f"train_reader cip {fmt}")
        m = json.load(open(f"{fmt}/manifest.json"))
        check(m["format_name"] == fmt and m["buckets"][0]["mask"] is True)
        for f in m["files"]:
            data = open(os.path.join(fmt, f["path"]), "rb").read()
            check(len(data) == f["bytes"] and hashlib.sha256(data).hexdigest() == f["sha256"],
                  f"{f['path']}: manifest size or checksum")
    run_ok(base + ["--format", "olmo", "-o", "olmo"])
    check(numpy_digest("olmo", "olmo/len-0004096/part-00000") == digest(ref),
          "train_reader cip olmo")
    # without knots or padding nothing is masked: no mask files, llm.c works
    run_ok(["cip", "tok/ll", "--seq-len", "4k", "--last", "drop", "--format", "npy", "-q",
            "-o", "plain"])
    check(not os.path.exists("plain/len-0004096/part-00000.mask.npy"))
    run_ok(["cip", "tok/ll", "--seq-len", "4k", "--last", "drop", "--format", "llmc", "-q",
            "-o", "lc"])
    rows, _ = formats.read_npy("plain/len-0004096/part-00000.npy")
    stream, _ = formats.read_llmc("lc/len-0004096/part-00000")
    check(stream == [t for r in rows for t in r], "llmc stream of the cip sequences")
    # refused before anything is made (issue 12, case 9: it used to make the
    # bucket folders and fail on the first masked token)
    rc, _, err = run(base + ["--format", "llmc", "-o", "bad"])
    check(rc == 64 and "no loss mask" in err, err)
    check(not os.path.exists("bad"), f"a refused run made {list(os.walk('bad'))}")
    rc, _, err = run(["cip", "tok/ll", "--seq-len", "4k", "--format", "llmc", "-q", "-o", "bad"])
    check(rc == 64 and "no loss mask" in err and not os.path.exists("bad"), err)


@test
def synl_labels_and_refusals(tmp):
    base = ["synl", "-t", LLAMA3, "--seq-len", "2k", "-n", "20", "-q"]
    run_ok(base + ["-o", "mg"])
    run_ok(base + ["--format", "jsonl", "-o", "js"])
    ref = megatron_pairs("mg/len-0002048/part-00000")
    same(formats.read_jsonl("js/len-0002048/part-00000.jsonl"), ref, "synl jsonl labels")
    check(open("mg/chat/part-00000.jsonl", "rb").read() ==
          open("js/chat/part-00000.jsonl", "rb").read(), "the chat file depends on --format")
    for args, words in [(["--format", "llmc"], ["llm.c", "loss mask"]),
                        (["--format", "npy"], ["npy", "one length"]),
                        (["--format", "parquet"], ["--format is one of", "--table-format"])]:
        rc, _, err = run(base + args + ["-o", "x"])
        check(rc == 64 and all(w in err for w in words), f"{args}: {rc} {err}")
    check(not os.path.exists("x/manifest.json"))
    rc, _, err = run(["tokenize", "-t", LLAMA3, SAMPLE, "--format", "npy", "-o", "t/x"])
    check(rc == 64 and "npy" in err, err)
    # needle's records stay TASK.jsonl when the inputs are written as jsonl too
    run_ok(["needle", "-t", LLAMA3, "--seq-len", "1k", "--depths", "2", "--tasks", "kv", "-q",
            "--format", "jsonl", "-o", "ev"])
    recs = [json.loads(l) for l in open("ev/kv.jsonl")]
    toks = formats.read_jsonl("ev/kv.tokens.jsonl")
    check(len(recs) == len(toks) == 2 and all(r["tokens"] == len(t) for r, (t, _) in zip(recs, toks)))
    # table formats still pass through --format (before --table-format existed)
    _, err = run_ok(base + ["--format", "csv", "-o", "csv", "-n", "3"])
    check("--table-format" in err)
    check(all(json.loads(l)["meta"]["format"] == "csv" for l in open("csv/chat/part-00000.jsonl")))


@test
def every_format_is_in_the_help_and_the_readme(tmp):
    # the README's table of formats, the formats each writing command names
    # in its --help, and those it accepts are one list (olmo was accepted but
    # missing from every --help)
    import re
    readme = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()
    table = readme.split("## Output formats (`--format`)")[1].split("\n## ")[0]
    documented = re.findall(r"^\| `([a-z]+)`", table, re.M)
    check(len(documented) >= 7, f"README's table: {documented}")
    cmds = re.findall(r"`([a-z]+)`", table.split("takes `--format`")[0])
    check(set(cmds) >= {"tokenize", "cip", "synl", "needle", "merge", "mix", "pack"}, cmds)
    for cmd in cmds:
        out = run([cmd, "--help"])[1].decode()
        at = out.index("--format F")
        listed = re.findall(r"[a-z]+", out[at:].split("\n")[1])
        check(listed == documented, f"{cmd} --help lists {listed}, README {documented}")
        rc, _, err = run([cmd, "--format", "nosuch", "x"])
        check(rc == 64 and all(f in err for f in documented), f"{cmd}: {rc} {err}")


if __name__ == "__main__":
    main()
