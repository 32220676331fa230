"""Command-line tests of `longweave verify`: sound outputs of every stage and
format pass; a flipped byte, a truncated .bin, a mismatched .idx, an id past
the vocabulary, a broken mask, a wrong .map line and damaged headers of
the other formats are each caught and named."""
import json
import os
import shutil
import struct

from harness import SAMPLE, check, main, run, run_ok, test
from llama3_ref import LLAMA3


def verify(path, code, kinds=()):
    rc, out, err = run(["verify", path, "--json"])
    check(rc == code, f"verify {path}: exit {rc}, expected {code}:\n{err}")
    if code in (0, 65):
        r = json.loads(out)
        for k in kinds:
            check(k in r["problems"], f"{path}: no {k} problem in {r['problems']}")
        if code == 0:
            check(r["sound"] and not r["problems"], r)
        return r, err
    return None, err


def flip(path, offset):
    with open(path, "r+b") as f:
        f.seek(offset)
        b = f.read(1)
        f.seek(offset)
        f.write(bytes([b[0] ^ 0x40]))


def edit_manifest_entry(manifest, name):
    """Make the manifest agree with a file again (to reach the structural check)."""
    import hashlib
    m = json.load(open(manifest))
    base = os.path.dirname(manifest)
    for f in m["files"]:
        if f["path"] == name:
            data = open(os.path.join(base, name), "rb").read()
            f["bytes"], f["sha256"] = len(data), hashlib.sha256(data).hexdigest()
    json.dump(m, open(manifest, "w"))


@test
def megatron_damage_is_caught(tmp):
    run_ok(["tokenize", "-t", LLAMA3, SAMPLE, "-q", "-o", "a/tok"])
    run_ok(["tokenize", "-t", LLAMA3, SAMPLE, "--append-eod", "-q", "-o", "b/tok"])
    r, err = verify("a/tok", 0)
    # .bin, .idx and the lineage .docs.jsonl
    check(r["datasets"] == 1 and r["sequences"] == 202 and r["files"] == 3, r)
    check("sound" in err, err)
    # a flipped byte in the middle of the tokens
    shutil.copytree("a", "flip")
    flip("flip/tok.bin", os.path.getsize("flip/tok.bin") // 2)
    r, err = verify("flip/tok", 65, ["checksum"])
    check("flip/tok.bin: sha256" in err, err)
    # a truncated .bin
    shutil.copytree("a", "trunc")
    with open("trunc/tok.bin", "r+b") as f:
        f.truncate(os.path.getsize("trunc/tok.bin") - 4)
    verify("trunc/tok", 65, ["size", "structure"])
    os.remove("trunc/tok.manifest.json")
    _, err = verify("trunc/tok", 65, ["structure"])
    check("tok.bin" in err and "index describes" in err, err)
    # an .idx of another dataset
    shutil.copytree("a", "mixed")
    shutil.copy("b/tok.idx", "mixed/tok.idx")
    verify("mixed/tok", 65, ["checksum", "structure"])
    # an id past the vocabulary, the manifest made to agree
    shutil.copytree("a", "range")
    with open("range/tok.bin", "r+b") as f:
        f.seek(40)
        f.write(struct.pack("<i", 128256))
    edit_manifest_entry("range/tok.manifest.json", "tok.bin")
    _, err = verify("range/tok", 65, ["token"])
    check("not below the vocabulary size 128256" in err, err)
    # a missing file, and nothing at all
    shutil.copytree("a", "gone")
    os.remove("gone/tok.idx")
    verify("gone/tok", 65, ["missing"])
    verify("nothing/here", 66)


@test
def cip_masks_and_maps(tmp):
    run_ok(["tokenize", "-t", LLAMA3, SAMPLE, "-q", "-o", "tok/ll"])
    run_ok(["cip", "tok/ll", "--seq-len", "4k", "--knots", "-q", "-o", "c"])
    r, _ = verify("c", 0)
    check(r["datasets"] == 1 and r["sequences"] > 300, r)
    part = "len-0004096/part-00000"
    shutil.copytree("c", "m")
    with open(f"m/{part}.mask.bin", "r+b") as f:
        f.seek(100)
        f.write(b"\x02")
    edit_manifest_entry("m/manifest.json", f"{part}.mask.bin")
    _, err = verify("m", 65, ["mask"])
    check("value other than 0 and 1" in err, err)
    shutil.copytree("c", "map")
    lines = open(f"map/{part}.map.jsonl").read().splitlines()
    first = json.loads(lines[1])
    first["chunks"][0][3] += 1
    lines[1] = json.dumps(first)
    open(f"map/{part}.map.jsonl", "w").write("\n".join(lines) + "\n")
    edit_manifest_entry("map/manifest.json", f"{part}.map.jsonl")
    _, err = verify("map", 65, ["companion"])
    check(":2: chunk lengths do not add up" in err, err)


@test
def other_formats_are_checked_too(tmp):
    base = ["tokenize", "-t", LLAMA3, SAMPLE, "--append-eod", "-q"]
    for fmt in ["datatrove", "mds", "llmc", "jsonl"]:
        run_ok(base + ["--format", fmt, "--shard-tokens", "500000", "-o", f"{fmt}/tok"])
        r, _ = verify(f"{fmt}/tok", 0)
        check(r["tokens"] == 1327663, (fmt, r))
    run_ok(["tokenize", "-t", LLAMA3, SAMPLE, "-q", "-o", "t/ll"])
    run_ok(["cip", "t/ll", "--seq-len", "4k", "--format", "npy", "--knots", "-q", "-o", "npy"])
    verify("npy", 0)
    # damage that a checksum would also see, with the manifests made to agree,
    # so that the structural checks have to find it
    with open("datatrove/tok.ds.index", "r+b") as f:
        f.seek(8)
        f.write(struct.pack("<Q", 10 ** 12))
    edit_manifest_entry("datatrove/tok.manifest.json", "tok.ds.index")
    verify("datatrove/tok", 65, ["structure"])
    with open("mds/tok/shard.00000.mds", "r+b") as f:
        f.seek(8)
        f.write(struct.pack("<I", 7))
    edit_manifest_entry("mds/tok.manifest.json", "tok/shard.00000.mds")
    verify("mds/tok", 65, ["structure"])
    with open("llmc/tok_000001.bin", "r+b") as f:
        f.seek(8)
        f.write(struct.pack("<i", 499999))
    edit_manifest_entry("llmc/tok.manifest.json", "tok_000001.bin")
    verify("llmc/tok", 65, ["structure"])
    lines = open("jsonl/tok.jsonl").read().splitlines()
    lines[0] = lines[0].replace("[", "[999999999,", 1)
    open("jsonl/tok.jsonl", "w").write("\n".join(lines) + "\n")
    edit_manifest_entry("jsonl/tok.manifest.json", "tok.jsonl")
    _, err = verify("jsonl/tok", 65, ["token"])
    check("tok.jsonl:1:" in err, err)
    npy = "npy/len-0004096/part-00000"
    data = bytearray(open(f"{npy}.mask.npy", "rb").read())
    data[-1] = 7
    open(f"{npy}.mask.npy", "wb").write(bytes(data))
    edit_manifest_entry("npy/manifest.json", "len-0004096/part-00000.mask.npy")
    verify("npy", 65, ["mask"])


if __name__ == "__main__":
    main()
