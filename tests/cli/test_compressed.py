"""Command-line tests of compressed inputs: JSON Lines and text files made by
Debian's gzip, xz, bzip2 and bgzip from the bundled sample corpus are read
by content, not by name, and give back exactly the documents of the
uncompressed file (parsed by Python's json, the files decompressed by the
tools themselves); multi-member gzip, bgzip and multi-stream bzip2 are read
whole; truncated and damaged files are counted as corrupt_input with
FILE@BYTE (or stop the run under --strict); binary content is refused by
name; directories pick up *.json.gz; stdin and tokenize read the same way."""
import hashlib
import json
import os
import random
import shutil
import subprocess

import megatron
from harness import (SAMPLE, Skip, canon, check, jsonl, main, read_input, read_shards, run,
                     run_ok, test, write)
from llama3_ref import LLAMA3

# kind -> (command line compressing stdin to stdout, suffix). xz at -1: its
# default preset takes 8 s on the 5 MB sample, and the streams read the same.
TOOLS = {"gzip": (["gzip", "-c"], ".gz"), "xz": (["xz", "-1", "-c"], ".xz"),
         "bzip2": (["bzip2", "-c"], ".bz2")}
_packed = {}


def tool(name):
    path = shutil.which(name)
    if not path:
        raise Skip(f"{name} is not installed (Debian package "
                   f"{'tabix' if name == 'bgzip' else name})")
    return path


def compress(kind, data):
    """The kind's tool's compression of data (each input compressed once per run)."""
    cmd, _ = TOOLS[kind]
    tool(cmd[0])
    key = (kind, hashlib.sha256(data).digest())
    if key not in _packed:
        _packed[key] = subprocess.run(cmd, input=data, check=True, capture_output=True).stdout
    return _packed[key]


def decompress(kind, data):
    """What the kind's own tool makes of data (exit code, bytes)."""
    cmd = {"gzip": ["gzip", "-dc"], "xz": ["xz", "-dc"], "bzip2": ["bzip2", "-dc"]}[kind]
    p = subprocess.run(cmd, input=data, capture_output=True)
    return p.returncode, p.stdout


def sample_bytes():
    return jsonl(read_input(SAMPLE)).encode()


def records(data):
    return [json.loads(line) for line in data.decode("utf-8").splitlines() if line.strip()]


def shard_records(args, out):
    run_ok(["shard"] + args + ["-o", out, "-q", "--stats-json", out + ".json"])
    return [r for s in read_shards(out) for r in s], json.load(open(out + ".json"))


def same_records(got, want, what):
    check(len(got) == len(want), f"{what}: {len(got)} documents, expected {len(want)}")
    for i, (g, w) in enumerate(zip(got, want)):
        check(canon(g) == canon(w), f"{what}: document {i} differs: {canon(g)[:200]}")


@test
def every_kind_reads_back_the_same_documents(tmp):
    data = sample_bytes()
    want = records(data)
    for kind, (_, suffix) in TOOLS.items():
        packed = compress(kind, data)
        check(decompress(kind, packed) == (0, data), f"{kind}: the tool's own round trip")
        # by name, and under a name that says nothing: the content decides
        for name in (f"s.jsonl{suffix}", f"{kind}.data"):
            write(name, packed)
            got, s = shard_records([name], f"out-{name}")
            same_records(got, want, name)
            check(not any(s["skipped"].values()), f"{name}: {s['skipped']}")


@test
def concatenated_members_and_streams(tmp):
    data = sample_bytes()
    want = records(data)
    # cut inside a line, so that a document spans two members or streams
    a, b, c = data[:100001], data[100001:2000003], data[2000003:]
    for kind, (_, suffix) in TOOLS.items():
        write(f"cat.jsonl{suffix}", compress(kind, a) + compress(kind, b) + compress(kind, c))
        got, _ = shard_records([f"cat.jsonl{suffix}"], f"out-{kind}")
        same_records(got, want, f"cat of three {kind} {'streams' if kind != 'gzip' else 'members'}")
    # xz's stream padding (four NUL bytes) between streams is part of the format
    write("pad.jsonl.xz", compress("xz", a) + b"\0" * 8 + compress("xz", b + c))
    got, _ = shard_records(["pad.jsonl.xz"], "out-pad")
    same_records(got, want, "xz with stream padding")


@test
def bgzip_blocks(tmp):
    bgzip = tool("bgzip")
    data = sample_bytes()
    write("s.jsonl", data)
    subprocess.run([bgzip, "-f", "s.jsonl"], check=True)  # -> s.jsonl.gz, 64 KiB blocks
    packed = open("s.jsonl.gz", "rb").read()
    check(packed[12:14] == b"BC", "bgzip writes its BC extra field")
    check(packed.count(b"\x1f\x8b\x08\x04") > 10, "bgzip writes many members")
    got, _ = shard_records(["s.jsonl.gz"], "out")
    same_records(got, records(data), "bgzip")


@test
def text_files_and_directories(tmp):
    data = sample_bytes()
    want = records(data)
    text = "A whole text file, one document.\nSecond line ü 中文\n"
    os.makedirs("corpus/sub")
    cut = data.index(b"\n", 1000000) + 1
    write("corpus/a.json.gz", compress("gzip", data[:cut]))   # Dolma, C4
    write("corpus/sub/b.jsonl.xz", compress("xz", data[cut:]))
    write("corpus/c.txt.bz2", compress("bzip2", text.encode()))
    write("corpus/d.md.gz", compress("gzip", b"# title\n"))
    write("corpus/config.json", b'{"not": "an input"}')  # a bare .json is not picked up
    got, s = shard_records(["corpus"], "out")
    texts = ("corpus/c.txt.bz2", "corpus/d.md.gz")
    docs = [r for r in got if r["id"] not in texts]
    same_records(docs, want, "JSON Lines in the directory")
    by_id = {r["id"]: r["text"] for r in got if r["id"] in texts}
    check(by_id == {"corpus/c.txt.bz2": text, "corpus/d.md.gz": "# title\n"}, by_id)
    check(s["documents_written"] == len(want) + 2, s)


@test
def stdin_is_detected_by_content(tmp):
    data = sample_bytes()
    want = records(data)
    for kind in TOOLS:
        rc, _, err = run(["shard", "-", "-o", f"out-{kind}", "-q"], stdin=compress(kind, data))
        check(rc == 0, f"{kind} on stdin: exit {rc}: {err}")
        same_records([r for s in read_shards(f"out-{kind}") for r in s], want, f"{kind} stdin")


@test
def truncated_files_are_counted_with_their_offset(tmp):
    data = sample_bytes()
    originals = {canon(r) for r in records(data)}
    for kind, (_, suffix) in TOOLS.items():
        packed = compress(kind, data)
        cut = len(packed) * 2 // 3
        check(decompress(kind, packed[:cut])[0] != 0, f"{kind}: the tool refuses the cut file")
        name = f"cut.jsonl{suffix}"
        write(name, packed[:cut])
        write("after.jsonl", jsonl([{"id": "after", "text": "the next file is read"}]))
        rc, _, err = run(["shard", name, "after.jsonl", "--stats-json", "s.json", "-o",
                          f"out-{kind}"])
        check(rc == 0, f"{kind}: exit {rc}: {err}")
        s = json.load(open("s.json"))
        check(s["skipped"]["corrupt_input"] == 1, f"{kind}: {s['skipped']}")
        check(f"{name}@{cut}: truncated {kind} stream" in err, f"{kind}: {err}")
        got = [r for sh in read_shards(f"out-{kind}") for r in sh]
        check(any(r["id"] == "after" for r in got), f"{kind}: the next file was not read")
        kept = [r for r in got if r["id"] != "after"]
        check(0 < len(kept) < len(originals), f"{kind}: {len(kept)} documents before the cut")
        for r in kept:
            check(canon(r) in originals, f"{kind}: {r['id']} is not an original document")
        rc, _, err = run(["shard", name, "--strict", "-o", f"strict-{kind}"])
        check(rc == 65 and f"{name}@{cut}" in err and "truncated" in err, f"{kind}: {rc} {err}")
        check(not os.path.exists(f"strict-{kind}/manifest.json"), "no output under --strict")
        # tokenize reads through the same reader
        rc, _, err = run(["tokenize", "-t", LLAMA3, name, "-o", f"tok-{kind}/t", "-q",
                          "--stats-json", "t.json"])
        check(rc == 0 and json.load(open("t.json"))["skipped"]["corrupt_input"] == 1,
              f"tokenize {kind}: {rc} {err}")


@test
def damaged_bytes_in_the_middle_are_corrupt(tmp):
    data = sample_bytes()
    for kind, (_, suffix) in TOOLS.items():
        packed = bytearray(compress(kind, data))
        mid = len(packed) // 2
        for i in range(mid, mid + 16):
            packed[i] ^= 0x5A
        check(decompress(kind, bytes(packed))[0] != 0, f"{kind}: the tool refuses the damage")
        name = f"flip.jsonl{suffix}"
        write(name, bytes(packed))
        rc, _, err = run(["shard", name, "--stats-json", "s.json", "-o", f"out-{kind}"])
        check(rc == 0, f"{kind}: exit {rc}: {err}")
        s = json.load(open("s.json"))
        check(s["skipped"]["corrupt_input"] == 1, f"{kind}: {s['skipped']}")
        check(f"{name}@" in err and f"corrupt {kind} stream" in err, f"{kind}: {err}")
        at = int(err.split(f"{name}@")[1].split(":")[0])
        check(mid - 1024 <= at <= len(packed), f"{kind}: damage at {mid}, reported at {at}")
        # (under --strict, what the damage decoded to before the decoder's
        # check caught it may stop the run first, as malformed JSON)
        rc, _, err = run(["shard", name, "--strict", "-o", f"strict-{kind}"])
        check(rc == 65 and (f"{name}@" in err or f"{name}:" in err), f"{kind}: {rc} {err}")


@test
def a_wrong_gzip_trailer_is_corrupt(tmp):
    # The deflate data is intact; only the member's CRC-32 or its length
    # (the last 8 bytes) is wrong. gzip -t refuses both; so must the reader,
    # after the documents of the member (whose check failed) were decoded.
    data = sample_bytes()
    good = compress("gzip", data)
    for what, at in (("crc32", len(good) - 8), ("isize", len(good) - 2)):
        packed = bytearray(good)
        packed[at] ^= 0x01
        check(decompress("gzip", bytes(packed))[0] != 0, f"{what}: gzip refuses it")
        name = f"{what}.jsonl.gz"
        write(name, bytes(packed))
        rc, _, err = run(["shard", name, "--stats-json", "s.json", "-o", f"out-{what}"])
        check(rc == 0, f"{what}: exit {rc}: {err}")
        s = json.load(open("s.json"))
        check(s["skipped"]["corrupt_input"] == 1, f"{what}: {s['skipped']}")
        check(f"{name}@{len(good)}: corrupt gzip stream" in err, f"{what}: {err}")
        rc, _, err = run(["shard", name, "--strict", "-o", f"strict-{what}"])
        check(rc == 65 and f"{name}@" in err, f"{what}: {rc} {err}")


@test
def parts_never_split_a_compressed_file(tmp):
    data = sample_bytes()
    write("s.jsonl.gz", compress("gzip", data))
    small = data[:data.index(b"\n", 200000) + 1]
    write("t.jsonl.bz2", compress("bzip2", small))
    whole, _ = shard_records(["s.jsonl.gz", "t.jsonl.bz2"], "whole")
    same_records(whole, records(data) + records(small), "the whole")
    joined = []
    for i in range(3):
        got, _ = shard_records(["s.jsonl.gz", "t.jsonl.bz2", "--part", f"{i}/3"], f"p{i}")
        joined += got
    same_records(joined, whole, "three parts joined")


@test
def binary_content_is_refused_by_name(tmp):
    rng = random.Random(15)
    garbage = bytes(rng.randrange(256) for _ in range(8192))
    cases = {
        "g.jsonl.gz": (garbage, "not UTF-8 text and not a known compression"),
        "g.jsonl": (garbage, "binary data"),
        "l.jsonl.lz4": (b"\x04\x22\x4d\x18" + garbage[:100], "lz4 data"),
        "z.jsonl.gz": (b"PK\x03\x04" + garbage[:100], "a zip archive"),
        "u.txt": ("UTF-16 text\n".encode("utf-16"), "UTF-16"),
        "bin.jsonl.gz": (compress("gzip", garbage), "its gzip content is not UTF-8 text"),
        "tar.jsonl.xz": (compress("xz", b"a.jsonl".ljust(257, b"\0") + b"ustar\x0000"
                                  + b"\0" * 250), "a tar archive"),
    }
    for name, (content, what) in cases.items():
        write(name, content)
        rc, _, err = run(["shard", name, "-o", f"out-{name}"])
        check(rc == 65 and err.count(name) >= 1 and what in err, f"{name}: {rc} {err}")
        check(not os.path.exists(f"out-{name}/manifest.json"), f"{name}: no output")
        if not name.endswith(".txt"):
            rc, _, err = run(["shard", "-", "-o", f"stdin-{name}"], stdin=content)
            check(rc == 65 and what in err and "-: " in err, f"{name} on stdin: {rc} {err}")
    # in a directory too: named, never silently 0 documents
    os.makedirs("d")
    write("d/x.jsonl.gz", garbage)
    rc, _, err = run(["shard", "d", "-o", "out-d"])
    check(rc == 65 and "d/x.jsonl.gz" in err, f"{rc} {err}")
    # text that is not UTF-8 but has no NUL is text: repaired per document
    write("latin1.jsonl", '{"text": "caf\u00e9"}\n'.encode("latin-1"))
    run_ok(["shard", "latin1.jsonl", "-o", "out-latin1", "-q"])
    # a Parquet file is not refused here (it is the Parquet reader's)
    write("p.parquet", b"PAR1" + garbage[:200] + b"PAR1")
    rc, _, err = run(["shard", "p.parquet", "-o", "out-p"])
    check("not a known compression" not in err, err)


@test
def tokenize_reads_gzip_like_the_plain_file(tmp):
    data = sample_bytes()
    write("s.jsonl", data)
    write("s.jsonl.gz", compress("gzip", data))
    write("s.jsonl.xz", compress("xz", data))
    run_ok(["tokenize", "-t", LLAMA3, "s.jsonl", "-o", "plain/t", "-q"])
    _, want, _ = megatron.read("plain/t")
    check(len(want) == len(records(data)), "one sequence per document")
    for name in ("s.jsonl.gz", "s.jsonl.xz"):
        run_ok(["tokenize", "-t", LLAMA3, name, "-o", f"{name}-out/t", "-q"])
        _, got, _ = megatron.read(f"{name}-out/t")
        check(got == want, f"{name}: ids differ from the plain file's")
        check(open(f"{name}-out/t.bin", "rb").read() == open("plain/t.bin", "rb").read(), name)


main()
