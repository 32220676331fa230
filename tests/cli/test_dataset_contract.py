"""Command-line tests of what a dataset is on disk (issue 12): what a manifest
lists is the dataset, --force replaces exactly it, one run writes an output at
a time, an interrupted run's leftovers are swept, combining commands refuse
what they cannot carry, and every reader opens a dataset with the same checks.
The expectations come from the files themselves (read with the standard
library's readers in megatron.py), not from longweave's own output."""
import json
import os
import shutil
import signal
import struct
import subprocess
import time

import megatron
from harness import LONGWEAVE, ROOT, SAMPLE, check, main, run, run_ok, test, zstd_bytes
from llama3_ref import LLAMA3

FIX = os.path.join(ROOT, "tests", "fixtures", "tokenizers")
CL100K = os.path.join(FIX, "cl100k_base.tiktoken")


def all_files(top):
    return sorted(os.path.relpath(os.path.join(d, n), top)
                  for d, _, ns in os.walk(top) for n in ns)


def listed(top, manifests=("manifest.json",)):
    out = set(manifests)
    for name in manifests:
        out |= {f["path"] for f in json.load(open(os.path.join(top, name)))["files"]}
    return sorted(out)


def verify_json(path):
    rc, out, err = run(["verify", path, "--json"])
    return rc, json.loads(out) if out.strip() else None, err


def tokenized(prefix="tok/ll"):
    run_ok(["tokenize", "-t", LLAMA3, SAMPLE, "-q", "-o", prefix])
    return prefix


@test
def force_replaces_exactly_the_old_dataset(tmp):
    tok = tokenized()
    run_ok(["cip", tok, "--seq-len", "8k,32k", "-q", "-o", "D"])
    check(os.path.isdir("D/len-0032768"))
    # case 1: the old buckets went stale and every consumer read them
    run_ok(["cip", tok, "--seq-len", "16k", "--force", "-q", "-o", "D"])
    check(sorted(os.listdir("D")) == ["len-0016384", "manifest.json"], os.listdir("D"))
    check(all_files("D") == listed("D"), f"{all_files('D')} vs {listed('D')}")
    out, _ = run_ok(["inspect", "D", "--json"])
    check(json.loads(out)["datasets"] == 1, out)
    rc, r, err = verify_json("D")
    check(rc == 0 and r["sound"], err)
    # another format, then back: nothing of the first remains
    run_ok(["cip", tok, "--seq-len", "8k", "--format", "mds", "-q", "-o", "F"])
    run_ok(["cip", tok, "--seq-len", "8k", "--force", "-q", "-o", "F"])
    check(all_files("F") == listed("F"), all_files("F"))
    # parts, then a whole run over them: the parts' manifests and files go
    for i in range(2):
        run_ok(["cip", tok, "--seq-len", "8k", "--part", f"{i}/2", "-q", "-o", "P"])
    rc, _, err = run(["cip", tok, "--seq-len", "8k", "-q", "-o", "P"])
    check(rc == 73 and "--force" in err, f"{rc} {err}")
    run_ok(["cip", tok, "--seq-len", "8k", "--force", "-q", "-o", "P"])
    check(all_files("P") == listed("P"), all_files("P"))
    # and the other way round: a part of 3 over parts of 2
    for i in range(2):
        run_ok(["cip", tok, "--seq-len", "8k", "--part", f"{i}/2", "--force", "-q", "-o", "Q"])
    run_ok(["cip", tok, "--seq-len", "8k", "--part", "0/3", "--force", "-q", "-o", "Q"])
    check(all_files("Q") == listed("Q", ("manifest.part-00000.json",)), all_files("Q"))
    # shard: fewer shards
    run_ok(["shard", SAMPLE, "-n", "4", "-q", "-o", "S"])
    run_ok(["shard", SAMPLE, "-n", "2", "--force", "-q", "-o", "S"])
    check(all_files("S") == listed("S"), all_files("S"))


@test
def a_stray_dataset_is_read_by_no_one_and_named_by_verify(tmp):
    tok = tokenized()
    run_ok(["cip", tok, "--seq-len", "8k", "-q", "-o", "D"])
    # case 2: a dataset no manifest lists, copied in
    os.makedirs("D/len-0065536")
    for ext in (".bin", ".idx"):
        shutil.copy(f"D/len-0008192/part-00000{ext}", f"D/len-0065536/part-00000{ext}")
    rc, r, err = verify_json("D")
    check(rc == 65 and "unlisted" in r["problems"], err)
    check("len-0065536/part-00000" in r["problems"]["unlisted"]["first"] and
          r["problems"]["unlisted"]["count"] == 2, r["problems"])
    _, seqs, _ = megatron.read("D/len-0008192/part-00000")
    out, _ = run_ok(["inspect", "D", "--json"])
    check(json.loads(out)["datasets"] == 1 and json.loads(out)["sequences"] == len(seqs), out)
    run_ok(["merge", "M", "D", "-q"])
    check(not os.path.exists("M/len-0065536"), all_files("M"))
    run_ok(["pack", "D", "--seq-len", "8k", "-q", "-o", "p/pk"])
    m = json.load(open("p/pk.manifest.json"))
    check(m["config"]["inputs"] == ["D/len-0008192/part-00000"], m["config"]["inputs"])
    run_ok(["cip", "D", "--seq-len", "4k", "-q", "-o", "C"])
    m = json.load(open("C/manifest.json"))
    check([d["prefix"] for d in m["inputs"]["datasets"]] == ["D/len-0008192/part-00000"],
          m["inputs"])


@test
def combining_checks_tokenizers_and_companions(tmp):
    # case 3: SynL of two tokenizers with the same id type went into one pack
    run_ok(["synl", "-t", LLAMA3, "-n", "4", "--seq-len", "4k", "-q", "-o", "s1"])
    run_ok(["synl", "-t", CL100K, "-n", "4", "--seq-len", "4k", "-q", "-o", "s2"])
    rc, _, err = run(["pack", "s1", "s2", "--seq-len", "8k", "-q", "-o", "p/both"])
    check(rc == 65 and "another tokenizer" in err, f"{rc} {err}")
    check(not os.path.exists("p"), "a refused pack made its folder")
    # case 4: a mixture dropped pack's boundaries silently
    run_ok(["pack", "s1", "--seq-len", "8k", "-q", "-o", "p/pk"])
    rc, _, err = run(["mix", "--source", "p/pk:1", "--tokens", "1k", "-q", "-o", "m/mx"])
    check(rc == 65 and "cu_seqlens" in err, f"{rc} {err}")
    rc, _, err = run(["pack", "p/pk", "--seq-len", "8k", "-q", "-o", "p/again"])
    check(rc == 65 and "cu_seqlens" in err, f"{rc} {err}")
    # merge carries them: every companion joined sequence by sequence
    run_ok(["merge", "j/pk", "p/pk", "p/pk", "-q"])
    for role in ("cu_seqlens", "positions"):
        _, one, _ = megatron.read(f"p/pk.{role}")
        _, two, _ = megatron.read(f"j/pk.{role}")
        check(two == one + one, role)
    rc, r, err = verify_json("j/pk")
    check(rc == 0 and r["sound"], err)


def shard_from_pipe(out, extra=()):
    """A shard run reading a pipe that stays open: it holds its output (and
    its temporary files) until the pipe is closed."""
    # SIGINT at its default: a test run started in the background (where the
    # shell ignores SIGINT, and children inherit that) must still see it end
    p = subprocess.Popen([LONGWEAVE, "shard", "-", "-n", "16", "-q", "-o", out] + list(extra),
                         stdin=subprocess.PIPE, stderr=subprocess.PIPE,
                         preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    p.stdin.write(b'{"text": "one document"}\n')
    p.stdin.flush()
    end = time.time() + 60
    while time.time() < end and not (os.path.isdir(out) and
                                     [f for f in os.listdir(out) if ".tmp." in f]):
        time.sleep(0.01)
    return p


@test
def one_run_writes_an_output_at_a_time(tmp):
    # case 17: two runs of one output mixed their files
    first = shard_from_pipe("S")
    rc, _, err = run(["shard", SAMPLE, "-n", "8", "-q", "-o", "S"])
    check(rc == 73 and f"pid {first.pid}" in err, f"{rc} {err}")
    tmps = sorted(f for f in os.listdir("S") if ".tmp." in f)
    rc, _, err = run(["shard", SAMPLE, "-n", "8", "--force", "-q", "-o", "S"])
    check(rc == 73 and "being written by another" in err, f"{rc} {err}")
    check(sorted(f for f in os.listdir("S") if ".tmp." in f) == tmps,
          "--force removed a live run's files")
    first.stdin.close()
    check(first.wait() == 0, first.stderr.read().decode())
    rc, r, err = verify_json("S")
    check(rc == 0 and len(json.load(open("S/manifest.json"))["files"]) == 16, err)


@test
def a_plain_rerun_sweeps_an_interrupted_run(tmp):
    # case 5: SIGKILL (or SIGINT) left 16 hidden files next to a sound manifest
    for sig in (signal.SIGKILL, signal.SIGINT):
        p = shard_from_pipe("S")
        p.send_signal(sig)
        p.wait()
        left = [f for f in os.listdir("S") if ".tmp." in f]
        check(left, f"signal {sig}: no temporary files to sweep")
        rc, _, err = run(["shard", SAMPLE, "-n", "4", "-o", "S"])
        check(rc == 0, err)
        check(not [f for f in os.listdir("S") if ".tmp." in f], os.listdir("S"))
        check(f"removed {len(left)} temporary file" in err, err)
        rc, r, err = verify_json("S")
        check(rc == 0 and r["sound"], err)
        shutil.rmtree("S")
    # and verify names leftovers that nobody swept
    run_ok(["shard", SAMPLE, "-n", "2", "-q", "-o", "V"])
    open("V/.shard-00000.jsonl.zst.tmp.999999.0", "wb").write(b"x")
    rc, r, err = verify_json("V")
    check(rc == 65 and "temporary file" in r["problems"]["unlisted"]["first"], err)


def hand_dataset(prefix, docs, dtype=8):
    os.makedirs(os.path.dirname(prefix), exist_ok=True)
    megatron.write(prefix, docs, dtype=dtype)


@test
def every_reader_opens_a_dataset_with_the_same_checks(tmp):
    docs = [[10 + i, 20 + i, 30 + i] for i in range(5)]
    # case 16: a zero sequence count over a .bin with data
    hand_dataset("z/d", docs)
    idx = open("z/d.idx", "rb").read()
    open("z/d.idx", "wb").write(idx[:18] + struct.pack("<QQ", 0, 1) + struct.pack("<q", 0))
    rc, _, err = run(["cip", "z/d", "-t", CL100K, "--seq-len", "64", "-q", "-o", "zc"])
    check(rc == 65 and "z/d" in err, f"{rc} {err}")
    rc, _, _ = run(["verify", "z/d"])
    check(rc == 65)


@test
def overlapping_index_entries_are_refused(tmp):
    docs = [[10 + i, 20 + i, 30 + i] for i in range(5)]
    hand_dataset("o/d", docs)
    idx = bytearray(open("o/d.idx", "rb").read())
    n = len(docs)
    for i in range(n):
        struct.pack_into("<q", idx, 34 + 4 * n + 8 * i, 0)
    open("o/d.idx", "wb").write(bytes(idx))
    rc, _, err = run(["cip", "o/d", "-t", CL100K, "--seq-len", "64", "-q", "-o", "oc"])
    check(rc == 65 and "offset" in err, f"{rc} {err}")


@test
def ids_past_the_vocabulary_are_bad_data(tmp):
    # case 20: an id past the vocabulary is bad data (65), not an internal error (70)
    docs = [[10 + i, 20 + i, 30 + i] for i in range(5)]
    hand_dataset("v/d", docs + [[5000]])
    megatron.write_manifest("v/d", 1000)
    rc, _, err = run(["cip", "v/d", "--seq-len", "64", "-q", "-o", "vc"])
    check(rc == 65 and "5000" in err and "vocabulary size 1000" in err, f"{rc} {err}")


@test
def negative_ids_are_unsound_without_a_manifest(tmp):
    hand_dataset("n/d", [[1, 2, -5]], dtype=4)
    rc, r, err = verify_json("n/d")
    check(rc == 65 and "token" in r["problems"] and "negative" in err, f"{rc} {err}")


@test
def refused_runs_make_nothing(tmp):
    tok = tokenized()
    # a run refused after its checks leaves no folder it made
    rc, _, err = run(["cip", tok, "--seq-len", "8k", "--knots", "--format", "llmc", "-q",
                      "-o", "deep/x/out"])
    check(rc == 64 and not os.path.exists("deep"), f"{rc} {err}")
    rc, _, err = run(["tokenize", "-t", LLAMA3, SAMPLE, "--format", "npy", "-q", "-o", "np/t"])
    check(rc == 64 and not os.path.exists("np"), f"{rc} {err}")
    # a lock file is removed when the run ends
    run_ok(["cip", tok, "--seq-len", "8k", "-q", "-o", "D"])
    check(not [f for f in all_files(".") if f.endswith("longweave-lock")], all_files("."))



@test
def a_mask_the_manifest_does_not_list_is_not_read(tmp):
    tok = tokenized("sp/ll")
    _, seqs, _ = megatron.read(tok)
    megatron.write(tok + ".mask", [[0] * len(s) for s in seqs], dtype=1)
    out, _ = run_ok(["inspect", tok, "--json"])
    check("trained_tokens" not in json.loads(out), out)
    run_ok(["mix", "--source", f"{tok}:1", "--tokens", "10k", "-q", "-o", "m/mx"])
    check(not os.path.exists("m/mx.mask.idx"), "the stray mask went into the mixture")
    rc, r, err = verify_json(tok)
    check(rc == 65 and "unlisted" in r["problems"] and "mask" not in r["problems"], err)


@test
def a_dataset_without_a_manifest_is_not_combined_with_typed_ones(tmp):
    tok = tokenized()
    os.makedirs("raw")
    for ext in (".bin", ".idx"):
        shutil.copy(tok + ext, "raw/c" + ext)
    for args in (["merge", "m/x", tok, "raw/c"],
                 ["mix", "--source", f"{tok}:1", "--source", "raw/c:1", "--tokens", "10k",
                  "-o", "m/y"],
                 ["pack", "raw/c", tok, "--seq-len", "16k", "-o", "m/z"],
                 ["cip", tok, "raw/c", "--seq-len", "8k", "-o", "m/w"]):
        rc, _, err = run(args + ["-q"])
        check(rc == 65 and "no manifest naming its tokenizer" in err, f"{args[0]}: {rc} {err}")
    run_ok(["merge", "m/bare", "raw/c", "raw/c", "-q"])  # bare with bare: the user's call


@test
def documents_of_an_output_are_what_its_manifest_lists(tmp):
    run_ok(["shard", SAMPLE, "-n", "4", "-q", "-o", "S"])
    shutil.copy("S/shard-00000.jsonl.zst", "S/shard-00009.jsonl.zst")  # stray
    out, _ = run_ok(["tokenize", "-t", LLAMA3, "S", "-q", "-o", "t/ll", "--stats-json", "-"])
    check(json.loads(out)["documents_written"] == 202, out)


@test
def parts_and_whole_runs_of_one_directory(tmp):
    tok = tokenized()
    # a part running holds off a whole run (which would sweep its files)
    p = subprocess.Popen([LONGWEAVE, "synl", "-t", LLAMA3, "--seq-len", "4k", "-n", "100000",
                          "-j", "1", "--part", "0/2", "-q", "-o", "N"], stderr=subprocess.PIPE)
    end = time.time() + 60
    while time.time() < end and not os.path.exists("N/.part-00000.longweave-lock"):
        time.sleep(0.01)
    rc, _, err = run(["synl", "-t", LLAMA3, "--seq-len", "4k", "-n", "4", "-q", "--force",
                      "-o", "N"])
    alive = p.poll() is None
    p.kill()
    p.wait()
    check(alive and rc == 73 and "part of another" in err, f"{alive} {rc} {err}")
    # parts of another command in one directory are another split of the work
    run_ok(["cip", tok, "--seq-len", "8k", "--part", "0/2", "-q", "-o", "P"])
    rc, _, err = run(["cip", tok, "--seq-len", "4k", "--part", "1/2", "-q", "-o", "P"])
    check(rc == 73 and "another split" in err, f"{rc} {err}")
    # an incomplete set is not sound, and does not merge
    rc, r, err = verify_json("P")
    check(rc == 65 and "part 1/2 is missing" in r["problems"]["structure"]["first"], err)
    rc, _, err = run(["merge", "M", "P", "-q"])
    check(rc == 65 and "part 1/2 is missing" in err, f"{rc} {err}")
    run_ok(["cip", tok, "--seq-len", "8k", "--part", "1/2", "-q", "-o", "P"])
    rc, r, err = verify_json("P")
    check(rc == 0, err)


@test
def outputs_go_where_they_can_be_read(tmp):
    rc, _, err = run(["tokenize", "-t", LLAMA3, SAMPLE, "-q", "-o", "out/"])
    check(rc == 64 and "PREFIX" in err and not os.path.exists("out"), f"{rc} {err}")
    tok = tokenized()
    run_ok(["cip", tok, "--seq-len", "8k", "-q", "-o", "C"])
    rc, _, err = run(["tokenize", "-t", LLAMA3, SAMPLE, "-q", "-o", "C/tok"])
    check(rc == 73 and "inside the output directory" in err, f"{rc} {err}")
    # a dataset inside an output is verified against the output's manifest
    part = "C/len-0008192/part-00000"
    with open(part + ".bin", "r+b") as f:
        f.seek(100)
        b = f.read(1)
        f.seek(100)
        f.write(bytes([b[0] ^ 1]))
    rc, r, err = verify_json(part)
    check(rc == 65 and "checksum" in r["problems"], err)


main()
