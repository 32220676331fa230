"""Command-line tests of --format olmo (issue 14): OLMo-core's headerless
token arrays, bool label masks and Dolma's .csv.gz metadata, read back by a
reader written from OLMo-core's source (olmo_reader.py, run with Debian's
python3-numpy) and compared token by token, mask by mask, with the Megatron
output of the same run (megatron.py); the dtype OLMo-core picks for a
vocabulary at the 256 and 65,536 boundaries; verify on the layout; and the
llm.c refusal naming the branch that reads uint32 shards."""
import csv
import gzip
import json
import os
import subprocess

import megatron
from harness import ROOT, SAMPLE, check, main, run, run_ok, test
from llama3_ref import LLAMA3

SPM = os.path.join(ROOT, "tests", "fixtures", "tokenizers", "spm-bpe-32k.model")
NUMPY_PYTHON = "/usr/bin/python3"  # Debian's, with python3-numpy (make deps)
READER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "olmo_reader.py")


def olmo_read(prefix, vocab, mask=False, eos=None, seq_len=None):
    args = [NUMPY_PYTHON, READER, prefix + ".npy", str(vocab)]
    if mask:
        args += ["--mask", prefix + ".mask.npy"]
    if eos is not None:
        args += ["--eos", str(eos)]
    if seq_len:
        args += ["--seq-len", str(seq_len)]
    p = subprocess.run(args, capture_output=True, text=True)
    check(p.returncode == 0, f"OLMo-core's reading of {prefix} failed:\n{p.stderr}")
    return json.loads(p.stdout)


def same(docs, ref, what):
    check(len(docs) == len(ref), f"{what}: {len(docs)} sequences against {len(ref)}")
    for i, (d, (ids, mask)) in enumerate(zip(docs, ref)):
        check(d["ids"] == ids, f"{what}: sequence {i} differs")
        check(d["mask"] == mask, f"{what}: mask {i} differs")


def verify(path, code, kind=None):
    rc, out, err = run(["verify", path, "--json"])
    check(rc == code, f"verify {path}: exit {rc}, expected {code}:\n{err}")
    r = json.loads(out)
    if kind:
        check(kind in r["problems"], f"{path}: no {kind} problem in {r['problems']}")
    return r


@test
def tokenize_as_olmo_core_reads_it(tmp):
    base = ["tokenize", "-t", LLAMA3, SAMPLE, "--append-eod", "-q"]
    run_ok(base + ["-o", "mg/tok"])
    ref = megatron.pairs("mg/tok")
    eod = ref[0][0][-1]
    check(all(ids[-1] == eod for ids, _ in ref), "--append-eod ends every sequence")
    run_ok(base + ["--format", "olmo", "-o", "ol/tok"])
    got = olmo_read("ol/tok", 128256, eos=eod)
    check(got["dtype"] == "uint32", got["dtype"])
    # headerless: the file is exactly the ids, 4 bytes each
    check(os.path.getsize("ol/tok.npy") == 4 * sum(len(i) for i, _ in ref))
    same(got["documents"], ref, "olmo metadata documents")
    # locally OLMo-core splits at EOS instead: the same documents
    same(got["eos_documents"], ref, "olmo EOS documents")
    rows = got["rows"]
    check(all(len(r) == 5 for r in rows), "Dolma's start,end,id,src,loc")
    lineage = [json.loads(line) for line in open("ol/tok.docs.jsonl")]
    rows = list(csv.reader(gzip.open("ol/tok.csv.gz", "rt", newline="")))
    check([(r[2], r[3], r[4]) for r in rows] ==
          [(d["id"], d["source"], str(i)) for i, d in enumerate(lineage)],
          "id and src: the document's lineage; loc: its line in PREFIX.docs.jsonl")
    m = json.load(open("ol/tok.manifest.json"))
    files = {f["path"] for f in m["files"]}
    check(m["format_name"] == "olmo" and m["dtype"] == "uint32", (m["format_name"], m["dtype"]))
    check(sorted(files) == ["tok.csv.gz", "tok.docs.jsonl", "tok.npy"], sorted(files))
    check(not os.path.exists("ol/tok.mask.npy"), "no mask without one")
    verify("ol/tok", 0)
    # a 32K vocabulary: uint16, as OLMo-core picks it
    run_ok(["tokenize", "-t", SPM, SAMPLE, "-q", "--format", "olmo", "-o", "small/tok"])
    run_ok(["tokenize", "-t", SPM, SAMPLE, "-q", "-o", "small/mg"])
    small = olmo_read("small/tok", 32000)
    check(small["dtype"] == "uint16" and json.load(open("small/tok.manifest.json"))["dtype"]
          == "uint16")
    same(small["documents"], megatron.pairs("small/mg"), "olmo uint16")


@test
def metadata_ids_as_csv_reads_them(tmp):
    # ids and sources with commas, quotes and line ends, and a number: Python's
    # csv module reads back the lineage's id and source, and OLMo-core's split
    # at newlines still finds one row per document
    docs = [{"id": "a,b", "text": "one", "source": 'say "hi"'}, {"id": 42, "text": "two"},
            {"id": "line\nbreak", "text": "three", "source": "web"}, {"text": "four"}]
    with open("in.jsonl", "w") as f:
        for d in docs:
            f.write(json.dumps(d) + "\n")
    run_ok(["tokenize", "-t", LLAMA3, "in.jsonl", "-q", "--format", "olmo", "-o", "ol/t"])
    rows = list(csv.reader(gzip.open("ol/t.csv.gz", "rt", newline="")))
    want = [("a,b", 'say "hi"'), ("42", "in.jsonl"), (json.dumps("line\nbreak"), "web"),
            ("in.jsonl:4", "in.jsonl")]
    check([(r[2], r[3]) for r in rows] == want, rows)
    check([r[4] for r in rows] == ["0", "1", "2", "3"], rows)
    got = olmo_read("ol/t", 128256)
    check(len(got["rows"]) == 4, got["rows"])
    verify("ol/t", 0)


@test
def empty_documents_have_no_metadata_row(tmp):
    # OLMo-core refuses a row starting at the end of the array (and would make an
    # empty instance of one in the middle): empty sequences get no row
    with open("in.jsonl", "w") as f:
        for t in ["", "alpha beta", "", "gamma", ""]:
            f.write(json.dumps({"text": t}) + "\n")
    run_ok(["tokenize", "-t", LLAMA3, "in.jsonl", "-q", "-o", "mg/t"])
    run_ok(["tokenize", "-t", LLAMA3, "in.jsonl", "-q", "--format", "olmo", "-o", "ol/t"])
    ref = [p for p in megatron.pairs("mg/t") if p[0]]
    check(len(ref) == 2)
    got = olmo_read("ol/t", 128256)
    same(got["documents"], ref, "non-empty documents")
    check([r[4] for r in got["rows"]] == ["1", "3"], got["rows"])
    check([r[2] for r in got["rows"]] == ["in.jsonl:2", "in.jsonl:4"], got["rows"])
    r = verify("ol/t", 0)
    check(r["sequences"] == 2, r)


@test
def cip_and_pack_with_label_masks(tmp):
    run_ok(["tokenize", "-t", LLAMA3, SAMPLE, "-q", "-o", "tok/ll"])
    base = ["cip", "tok/ll", "--seq-len", "4k", "--knots", "-q"]
    run_ok(base + ["-o", "mg"])
    prefix = "len-0004096/part-00000"
    ref = megatron.pairs("mg/" + prefix)
    check(any(0 in m for _, m in ref), "knot markers and padding are masked")
    run_ok(base + ["--format", "olmo", "-o", "ol"])
    got = olmo_read("ol/" + prefix, 128256, mask=True, seq_len=4096)
    # NumpyFSLDataset: instance i is ids[i*L:(i+1)*L], label_mask the same of the mask
    same(got["instances"], ref, "cip NumpyFSLDataset instances")
    same(got["documents"], ref, "cip metadata rows")
    check(os.path.getsize(f"ol/{prefix}.mask.npy") == 4096 * len(ref), "a byte per token")
    m = json.load(open("ol/manifest.json"))
    check(m["format_name"] == "olmo" and m["buckets"][0]["mask"] is True)
    check({os.path.basename(f["path"]) for f in m["files"]} >=
          {"part-00000.npy", "part-00000.mask.npy", "part-00000.csv.gz"}, m["files"])
    verify("ol", 0)
    # pack: SFT samples with their masks, into fixed-length sequences
    run_ok(["synl", "-t", LLAMA3, "--seq-len", "2k", "-n", "30", "-q", "-o", "sy"])
    run_ok(["pack", "sy", "--seq-len", "4k", "-q", "-o", "pk/mg"])
    run_ok(["pack", "sy", "--seq-len", "4k", "-q", "--format", "olmo", "-o", "pk/ol"])
    pref = megatron.pairs("pk/mg")
    check(any(0 in m for _, m in pref), "pack masks prompts and padding")
    pgot = olmo_read("pk/ol", 128256, mask=True, seq_len=4096)
    same(pgot["instances"], pref, "pack NumpyFSLDataset instances")
    verify("pk/ol", 0)


@test
def dtype_at_the_256_and_65536_boundaries(tmp):
    for vocab, want in [(256, "uint8"), (257, "uint16"), (65536, "uint16"),
                        (65537, "uint32")]:
        seqs = [[0, vocab - 1, 1], [vocab - 1] * 5, [vocab // 2, 7]]
        src = f"src{vocab}/d"
        os.makedirs(os.path.dirname(src))
        megatron.write(src, seqs, dtype=8 if vocab <= 65500 else 4)
        megatron.write_manifest(src, vocab)
        out = f"ol{vocab}/d"
        run_ok(["merge", out, src, "--format", "olmo", "-q"])
        got = olmo_read(out, vocab)
        size = {"uint8": 1, "uint16": 2, "uint32": 4}[want]
        check(got["dtype"] == want, f"OLMo-core picks {got['dtype']} for {vocab}")
        check(os.path.getsize(out + ".npy") == size * 10, f"{vocab}: {want} ids")
        check(json.load(open(out + ".manifest.json"))["datasets"][0]["dtype"] == want, vocab)
        same(got["documents"], [(s, None) for s in seqs], f"vocab {vocab}")
        verify(out, 0)


@test
def verify_catches_a_broken_olmo_layout(tmp):
    run_ok(["tokenize", "-t", LLAMA3, SAMPLE, "--append-eod", "-q", "--format", "olmo",
            "-o", "t/tok"])
    run_ok(["tokenize", "-t", LLAMA3, SAMPLE, "-q", "-o", "t/mg"])
    run_ok(["cip", "t/mg", "--seq-len", "4k", "--knots", "-q", "--format", "olmo", "-o", "c"])
    mask = "c/len-0004096/part-00000.mask.npy"
    # without a manifest: the structure, the id size from the metadata's last end
    os.makedirs("bare")
    for ext in (".npy", ".csv.gz"):
        os.link("t/tok" + ext, "bare/tok" + ext)
    r = verify("bare/tok", 0)
    check(r["tokens"] == os.path.getsize("t/tok.npy") // 4, r)
    # a token past the vocabulary
    with open("t/tok.npy", "r+b") as f:
        f.seek(8)
        f.write((200000).to_bytes(4, "little"))
    verify("t/tok", 65, "token")
    # a mask value that is not 0/1
    with open(mask, "r+b") as f:
        f.seek(100)
        f.write(b"\x02")
    verify("c", 65, "mask")
    # rows that skip tokens
    with gzip.open("bare/tok.csv.gz", "rt") as f:
        lines = f.read().splitlines()
    os.unlink("bare/tok.csv.gz")
    with gzip.open("bare/tok.csv.gz", "wt") as f:
        f.write("\n".join(lines[:1] + lines[2:]) + "\n")
    verify("bare/tok", 65, "structure")
    # a truncated array
    os.unlink("bare/tok.csv.gz")
    os.link("t/tok.csv.gz", "bare/tok.csv.gz")
    os.unlink("bare/tok.npy")
    with open("bare/tok.npy", "wb") as f:
        f.write(open("t/tok.npy", "rb").read()[:-4])
    verify("bare/tok", 65, "structure")


@test
def llmc_refusal_names_the_llama3_branch(tmp):
    # SFT data into llm.c shards is refused; past 65536 ids the refusal also says
    # that llm.c master reads only 20240520/uint16 shards
    base = ["synl", "--seq-len", "2k", "-n", "5", "-q", "--format", "llmc", "-o", "bad"]
    rc, _, err = run(base + ["-t", LLAMA3])
    check(rc == 64 and "no loss mask" in err and "olmo" in err, err)
    check("llama3 branch" in err and "20240520" in err, err)
    rc, _, err = run(base + ["-t", SPM])
    check(rc == 64 and "no loss mask" in err and "llama3" not in err, err)
    check(not os.path.exists("bad/manifest.json"))
    rc, _, err = run(["tokenize", "-t", LLAMA3, SAMPLE, "--format", "parquet", "-o", "x/t"])
    check(rc == 64 and "olmo" in err, err)


if __name__ == "__main__":
    main()
