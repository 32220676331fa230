"""Command-line tests of `longweave shard`, checked with independent readers:
Python's json, the zstd command, hashlib, xxhsum, Python's UTF-8 decoder and
its re module."""
import collections
import hashlib
import json
import os
import random
import resource
import shutil
import subprocess
import tempfile

from harness import (LONGWEAVE, SAMPLE, MULTILINGUAL, Failure, canon, check, jsonl,
                     jsonl_records, main, manifest, read_input, read_shards, run, run_ok,
                     same_files, shard_files, test, write, zstd_bytes, zstd_compress)

MASK = (1 << 64) - 1


def mix64(x):
    x = (x + 0x9E3779B97F4A7C15) & MASK
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & MASK
    return x ^ (x >> 31)


def xxh128_low(data):
    """Low 64 bits of XXH3-128, from the xxhsum tool (prints high then low)."""
    out = subprocess.run(["xxhsum", "-H2", "-"], input=data, capture_output=True,
                         check=True).stdout.decode()
    return int(out.split()[0][16:32], 16)


def expected_shard(text, seed, n):
    x = mix64(xxh128_low(text.encode("utf-8")) ^ mix64(seed))
    return (x * n) >> 64


def stats_of(path):
    import json
    with open(path) as f:
        return json.load(f)


def no_final_outputs(outdir):
    if not os.path.isdir(outdir):
        return True
    return not [f for f in os.listdir(outdir)
                if f == "manifest.json" or f.endswith(".jsonl.zst") or ".tmp." in f]


@test
def sample_corpus_round_trips(tmp):
    run_ok(["shard", SAMPLE, "-n", "8", "-o", "out", "--quiet"])
    shards = read_shards("out")
    check(len(shards) == 8, f"{len(shards)} shards")
    got = collections.Counter(canon(r) for s in shards for r in s)
    want = collections.Counter(canon(r) for r in read_input(SAMPLE))
    check(got == want, "output multiset differs from input")
    m = manifest("out")
    check(m["stats"]["documents_read"] == 202 and m["stats"]["documents_written"] == 202)
    for f, recs in zip(m["files"], shards):
        data = open(os.path.join("out", f["path"]), "rb").read()
        check(hashlib.sha256(data).hexdigest() == f["sha256"], f"sha256 of {f['path']}")
        check(f["documents"] == len(recs) and f["bytes"] == len(data))
        check(f["uncompressed_bytes"] == len(zstd_bytes(os.path.join("out", f["path"]))))


@test
def long_lines_between_short_ones(tmp):
    # lines of several MiB make the reader's window grow, and it gives the
    # memory back once they are consumed: the lines read after must be
    # whole and in order, plain and compressed
    rnd = random.Random(7)
    recs = []
    for i in range(30):
        n = rnd.choice([5, 300, 3_000_000, 5_500_000, 70_000])
        recs.append({"id": f"d{i}", "text": f"w{i} " * (n // 4) + "\u00e9\n\"end"})
    data = jsonl(recs).encode()
    write("in.jsonl", data)
    write("in.jsonl.zst", zstd_compress(data))
    for name in ("in.jsonl", "in.jsonl.zst"):
        run_ok(["shard", name, "-n", "1", "-o", "out-" + name, "--quiet", "-j", "1"])
        got = [r for s in read_shards("out-" + name) for r in s]
        check([(r["id"], r["text"]) for r in got] == [(r["id"], r["text"]) for r in recs],
              f"{name}: documents lost, cut or reordered")


@test
def shard_is_a_stable_content_hash(tmp):
    for seed in (0, 7):
        run_ok(["shard", SAMPLE, "-n", "5", "--seed", seed, "-o", f"s{seed}", "-q"])
        for k, recs in enumerate(read_shards(f"s{seed}")):
            for r in recs:
                check(expected_shard(r["text"], seed, 5) == k,
                      f"seed {seed}: {r['id']} in shard {k}")
    # Adding inputs moves no document, and shards keep input order.
    run_ok(["shard", SAMPLE, MULTILINGUAL, "-n", "5", "-o", "more", "-q"])
    order = {r["id"]: i for i, r in enumerate(read_input(SAMPLE) + read_input(MULTILINGUAL))}
    where = {}
    for k, recs in enumerate(read_shards("more")):
        ranks = [order[r["id"]] for r in recs]
        check(ranks == sorted(ranks), f"shard {k} is not in input order")
        for r in recs:
            where[r["id"]] = k
    for k, recs in enumerate(read_shards("s0")):
        for r in recs:
            check(where[r["id"]] == k, f"{r['id']} moved from shard {k}")


@test
def threads_give_identical_bytes(tmp):
    args = [SAMPLE, MULTILINGUAL, "-n", "6", "--dedup", "--min-chars", "50",
            "--drop-regex", "(?i)license", "-q"]
    run_ok(["shard"] + args + ["-j", "1", "-o", "j1"])
    run_ok(["shard"] + args + ["-j", "2", "-o", "j2"])
    files = sorted(os.listdir("j1"))
    check(files == sorted(os.listdir("j2")), "different file lists")
    for f in files:
        a = open(os.path.join("j1", f), "rb").read()
        b = open(os.path.join("j2", f), "rb").read()
        check(a == b, f"{f} differs between -j 1 and -j 2")


@test
def many_batches_commit_in_input_order(tmp):
    """200,000 documents are four batches of 65,536 units: each batch is
    committed while the next one is processed, and the shards must still be
    the documents in input order, deduplicated and placed by content hash as
    recomputed here, and the same bytes at any thread count."""
    recs = [{"id": f"d{i}", "text": f"document {i % 150001} " + "x" * (i % 97)}
            for i in range(200000)]
    write("big.jsonl", jsonl(recs))
    for j in (1, 2, 3):
        run_ok(["shard", "big.jsonl", "-n", "3", "--dedup", "-j", j, "-o", f"j{j}", "-q"])
    same_files("j1", "j2", "at -j 2")
    same_files("j1", "j3", "at -j 3")
    seen, want = set(), []
    for i, r in enumerate(recs):
        if r["text"] not in seen:
            seen.add(r["text"])
            want.append(i)
    index = {r["id"]: i for i, r in enumerate(recs)}
    got = []
    for k, shard in enumerate(read_shards("j2")):
        ranks = [index[r["id"]] for r in shard]
        check(ranks == sorted(ranks), f"shard {k} is not in input order")
        check(all(r["text"] == recs[index[r["id"]]]["text"] for r in shard), f"shard {k}")
        # placement, on a sample (the hash in Python is slow)
        for r in shard[::500]:
            check(expected_shard(r["text"], 0, 3) == k, f"{r['id']} in shard {k}")
        got += ranks
    check(sorted(got) == want, f"{len(got)} documents written, {len(want)} expected")


@test
def integers_past_2_53_are_kept_exactly(tmp):
    """cJSON holds numbers as doubles, which round integers past 2^53: a
    numeric id and a top-level integer field come out as the line wrote
    them (nanosecond timestamps, 64-bit ids); small numbers, floats and
    nested values as before."""
    lines = ['{"id": 1234567890123456789, "text": "one", "ts": 1700000000123456789, '
             '"n": 3, "neg": -9223372036854775807, "f": 2.5, "huge": 123456789012345678901234}',
             '{"text": "two", "id": 9007199254740993, "nested": {"x": 1}, "big": 1e300}']
    write("big.jsonl", "\n".join(lines) + "\n")
    run_ok(["shard", "big.jsonl", "-n", "1", "-o", "o", "-q"])
    got = [r for s in read_shards("o") for r in s]
    want = [json.loads(line) for line in lines]  # Python keeps integers exact
    check([r["id"] for r in got] == ["1234567890123456789", "9007199254740993"],
          [r["id"] for r in got])
    for g, w in zip(got, want):
        for k in w:
            if k not in ("id", "text"):
                check(g[k] == w[k] and type(g[k]) is type(w[k]), f"{k}: {g[k]!r}, want {w[k]!r}")


def part_inputs():
    """An uncompressed JSONL file (split by byte ranges; half of its records
    without ids, so FILE:LINE ids must agree across parts), a .zst file, and a
    directory of text files."""
    recs = read_input(SAMPLE)
    lines = []
    for i, r in enumerate(recs):
        if i % 2:
            r = {"text": r["text"], "source": r["source"]}
        lines.append(r)
        if i % 17 == 0:
            lines.append(None)  # a blank line
    text = "".join("\n" if r is None else jsonl([r]) for r in lines)
    write("in/a.jsonl", text)
    write("in/b.jsonl.zst", open(MULTILINGUAL, "rb").read())
    for i in range(5):
        write(f"in/c/doc{i}.txt", f"text document {i}\n" * (i + 1))
    return "in"


@test
def parts_concatenate_to_the_whole(tmp):
    inp = part_inputs()
    run_ok(["shard", inp, "-n", "4", "-o", "whole", "-q"])
    whole = [zstd_bytes(os.path.join("whole", f)) for f in shard_files("whole")]
    for n in (3, 5):
        parts = []
        for i in range(n):
            run_ok(["shard", inp, "-n", "4", "--part", f"{i}/{n}", "-o", f"p{n}-{i}", "-q"])
            parts.append([zstd_bytes(os.path.join(f"p{n}-{i}", f))
                          for f in shard_files(f"p{n}-{i}")])
            check(manifest(f"p{n}-{i}")["config"]["part"] == f"{i}/{n}")
        for k in range(4):
            joined = b"".join(p[k] for p in parts)
            check(joined == whole[k], f"N={n}: shard {k} differs from the parts joined")
    ids = [r["id"] for recs in read_shards("whole") for r in recs]
    check(any(i.startswith("in/a.jsonl:") for i in ids), "FILE:LINE ids expected")


BAD_LINES = [
    b'\xef\xbb\xbf{"id": "ok1", "text": "first good line"}\n',        # 1 BOM
    b'{"text": "unterminated\n',                                     # 2 malformed
    b'[1, 2, 3]\n',                                                  # 3 not object
    b'{"id": "m", "body": "no text"}\n',                             # 4 missing
    b'{"text": 42}\n',                                               # 5 not string
    b'{"id": "u8", "text": "bad \xff\xc3( bytes"}\n',                # 6 repaired
    b'{"text": "nul elsewhere", "m": "\\u0000"}\n',                 # 7 NUL in a field
    b'\n',                                                           # 8 blank
    b'{"text": "crlf line, no id"}\r\n',                             # 9 CRLF
    b'{"text": "' + b"x" * 300 + b'"}\n',                            # 10 too large
    b'{"text": ""}\n',                                               # 11 too short
    b'{"id": "ok2", "text": "last line, no newline"}',               # 12
]


@test
def bad_input_is_skipped_and_counted(tmp):
    write("bad.jsonl", b"".join(BAD_LINES))
    write("empty.jsonl", b"")
    rc, _, err = run(["shard", "bad.jsonl", "empty.jsonl", "--max-doc-bytes", "200",
                      "--stats-json", "stats.json", "-o", "out"])
    check(rc == 0, f"exit {rc}: {err}")
    s = stats_of("stats.json")
    want = {"malformed_json": 1, "not_object": 1, "missing_text": 1, "text_not_string": 1,
            "nul_character": 1, "over_max_doc_bytes": 1, "too_short": 1}
    for k, v in s["skipped"].items():
        check(v == want.get(k, 0), f"skipped[{k}] = {v}, want {want.get(k, 0)}")
    check(s["documents_read"] == 11 and s["documents_written"] == 4, str(s))
    check(s["blank_lines"] == 1 and s["empty_files"] == 1 and s["utf8_repaired_documents"] == 1)
    for line in (2, 3, 4, 5, 7, 10):
        check(f"bad.jsonl:{line}: " in err, f"no warning naming bad.jsonl:{line}\n{err}")
    check("empty.jsonl: empty file" in err, err)
    recs = {r["id"]: r for s_ in read_shards("out") for r in s_}
    check(set(recs) == {"ok1", "u8", "bad.jsonl:9", "ok2"}, str(sorted(recs)))
    check(recs["u8"]["text"] == b"bad \xff\xc3( bytes".decode("utf-8", "replace"))
    check(recs["bad.jsonl:9"]["text"] == "crlf line, no id")
    check(recs["ok1"]["source"] == "bad.jsonl")


@test
def strict_stops_with_exit_65(tmp):
    write("bad.jsonl", b"".join(BAD_LINES))
    rc, _, err = run(["shard", "bad.jsonl", "--strict", "-o", "out"])
    check(rc == 65, f"exit {rc}")
    check("bad.jsonl:2: " in err and "malformed_json" in err, err)
    check(no_final_outputs("out"), f"left {os.listdir('out') if os.path.isdir('out') else []}")
    # --utf8 strict stops at invalid UTF-8 even without --strict; drop skips it.
    write("u.jsonl", BAD_LINES[5])
    rc, _, err = run(["shard", "u.jsonl", "--utf8", "strict", "-o", "out2"])
    check(rc == 65 and "u.jsonl:1: " in err and "invalid UTF-8" in err, f"{rc} {err}")
    run_ok(["shard", "u.jsonl", "--utf8", "drop", "--stats-json", "s.json", "-o", "out3", "-q"])
    check(stats_of("s.json")["skipped"]["invalid_utf8"] == 1)


@test
def utf8_repair_matches_python(tmp):
    rng = random.Random(1234)
    pieces = [b"a", b" ", b"\xc3\xa9", b"\xe4\xb8\xad", b"\xf0\x9f\x98\x80", b"\xed\xa0\x80",
              b"\xc0\xaf", b"\xe0\x80", b"\xf4\x90\x80\x80", b"\x80", b"\xff", b"\xe2\x82",
              b"\xf0\x9f\x98", b"\xc3", b"\xef\xbb\xbf"]
    docs = {}
    for i in range(200):
        data = b"d" + b"".join(rng.choice(pieces) for _ in range(rng.randint(1, 40)))
        data += bytes(rng.randint(1, 255) for _ in range(rng.randint(0, 6)))
        docs[f"t/{i:03d}.txt"] = data
        write(f"t/{i:03d}.txt", data)
    run_ok(["shard", "t", "-o", "out", "-q"])
    recs = {r["id"]: r["text"] for s in read_shards("out") for r in s}
    check(len(recs) == 200, f"{len(recs)} documents")
    for path, data in docs.items():
        check(recs[path] == data.decode("utf-8", "replace"), f"{path}: {data!r}")


@test
def damaged_zstd_is_reported(tmp):
    data = open(SAMPLE, "rb").read()
    write("cut.jsonl.zst", data[: len(data) // 2])
    flipped = bytearray(data)
    for i in range(len(data) // 3, len(data) // 3 + 200):
        flipped[i] ^= 0xA5
    write("flip.jsonl.zst", bytes(flipped))
    write("z.jsonl", jsonl([{"id": "after", "text": "after the damage"}]))
    rc, _, err = run(["shard", "cut.jsonl.zst", "flip.jsonl.zst", "z.jsonl",
                      "--stats-json", "s.json", "-o", "out"])
    check(rc == 0, f"exit {rc}: {err}")
    s = stats_of("s.json")
    check(s["skipped"]["corrupt_input"] == 2, str(s["skipped"]))
    check("cut.jsonl.zst@" in err and "truncated" in err, err)
    check("flip.jsonl.zst@" in err, err)
    originals = {canon(r) for r in read_input(SAMPLE)}
    ids = set()
    for recs in read_shards("out"):
        for r in recs:
            ids.add(r["id"])
            if r["id"] != "after" and r["source"] != "flip.jsonl.zst":
                check(canon(r) in originals, f"{r['id']} is not an original record")
    check("after" in ids)
    rc, _, err = run(["shard", "cut.jsonl.zst", "--strict", "-o", "out2"])
    check(rc == 65 and "cut.jsonl.zst@" in err, f"{rc} {err}")
    check(no_final_outputs("out2"))


def as_nobody():
    os.setgroups([])
    os.setgid(65534)
    os.setuid(65534)


@test
def missing_and_unreadable_inputs_exit_66(tmp):
    rc, _, err = run(["shard", "nope.jsonl", "-o", "out"])
    check(rc == 66 and "nope.jsonl" in err, f"{rc} {err}")
    check(not os.path.exists("out/manifest.json"))
    # An unreadable input. Root reads every file, so as root the binary runs
    # as nobody; the checkout (and the harness's folder) may not be readable
    # by nobody, so a copy of the binary and the input go to a folder of
    # their own under /tmp that nobody can enter (the binary links only
    # system libraries).
    shared = tempfile.mkdtemp(prefix="lwcli-nobody.", dir="/tmp")
    try:
        os.chmod(shared, 0o755)
        binary = os.path.join(shared, "longweave")
        shutil.copy(LONGWEAVE, binary)
        os.chmod(binary, 0o755)
        secret = write(os.path.join(shared, "secret.jsonl"), jsonl([{"text": "x"}]))
        os.chmod(secret, 0)
        out2 = os.path.join(shared, "out2")
        os.mkdir(out2)
        os.chmod(out2, 0o777)
        drop = as_nobody if os.geteuid() == 0 else None
        p = subprocess.run([binary, "shard", secret, "-o", out2], capture_output=True,
                           preexec_fn=drop, timeout=300)
        rc, err = p.returncode, p.stderr.decode("utf-8", "replace")
        check(rc == 66 and "secret.jsonl" in err and "ermission" in err, f"{rc} {err}")
        check(not os.path.exists(os.path.join(out2, "manifest.json")))
    finally:
        shutil.rmtree(shared, ignore_errors=True)


@test
def existing_dataset_needs_force(tmp):
    run_ok(["shard", SAMPLE, "-n", "4", "-o", "out", "-q"])
    rc, _, err = run(["shard", SAMPLE, "-n", "2", "-o", "out"])
    check(rc == 73 and "--force" in err, f"{rc} {err}")
    check(len(shard_files("out")) == 4)
    run_ok(["shard", SAMPLE, "-n", "2", "-o", "out", "--force", "-q"])
    check(shard_files("out") == ["shard-00000.jsonl.zst", "shard-00001.jsonl.zst"],
          str(os.listdir("out")))
    check(len(manifest("out")["files"]) == 2)


@test
def write_failure_exits_74_and_leaves_nothing(tmp):
    def small_files():
        resource.setrlimit(resource.RLIMIT_FSIZE, (200_000, 200_000))
    rc, _, err = run(["shard", SAMPLE, "-n", "2", "-o", "out"], preexec_fn=small_files)
    check(rc == 74 and "cannot write" in err, f"{rc} {err}")
    check(no_final_outputs("out"), f"left {os.listdir('out') if os.path.isdir('out') else []}")


@test
def usage_errors_exit_64(tmp):
    cases = [
        ["shard", SAMPLE],                                  # no -o
        ["shard", "-o", "out"],                             # no input
        ["shard", SAMPLE, "-o", "out", "--bogus"],
        ["shard", SAMPLE, "-o", "out", "-n", "0"],
        ["shard", SAMPLE, "-o", "out", "--part", "3/3"],
        ["shard", SAMPLE, "-o", "out", "--part", "x"],
        ["shard", SAMPLE, "-o", "out", "--keep-regex", "a(b"],
        ["shard", SAMPLE, "-o", "out", "--utf8", "maybe"],
        ["shard", SAMPLE, "-o", "out", "--max-doc-bytes", "12Q"],
        ["shard", "-", "-o", "out", "--part", "0/2"],
        ["shard", SAMPLE, "-o", "out", "--min-chars", "10", "--max-chars", "5"],
    ]
    for args in cases:
        rc, _, err = run(args, stdin=b"")
        check(rc == 64, f"{args}: exit {rc}: {err}")
        check("longweave shard --help" in err, f"{args}: no hint: {err}")
    rc, out, _ = run(["shard", "--help"])
    check(rc == 0 and b"Examples:" in out)
    rc, _, _ = run(["frobnicate"])
    check(rc == 64)
    rc, out, _ = run(["--version"])
    check(rc == 0 and out.startswith(b"longweave "))


@test
def dedup_keeps_the_first_occurrence(tmp):
    recs = [{"id": f"d{i}", "text": f"text {i % 4}"} for i in range(10)]
    write("d.jsonl", jsonl(recs))
    run_ok(["shard", "d.jsonl", "--dedup", "-n", "3", "--stats-json", "s.json", "-o", "out",
            "-q"])
    ids = sorted(r["id"] for s in read_shards("out") for r in s)
    check(ids == ["d0", "d1", "d2", "d3"], str(ids))
    check(stats_of("s.json")["skipped"]["duplicate"] == 6)


@test
def filters_match_python(tmp):
    import re
    args = ["--min-chars", "300", "--max-chars", "40000", "--keep-regex", r"\bthe\b",
            "--keep-regex", r"\p{Han}", "--drop-regex", "(?i)copyright"]
    run_ok(["shard", SAMPLE, MULTILINGUAL, "-o", "out", "-q", "--stats-json", "s.json"] + args)
    han = re.compile(r"[\u2E80-\u2FDF\u3005\u3007\u3021-\u3029\u3038-\u303B\u3400-\u4DBF"
                     r"\u4E00-\u9FFF\uF900-\uFAFF\U00020000-\U0003FFFF]")
    want = set()
    for r in read_input(SAMPLE) + read_input(MULTILINGUAL):
        t = r["text"]
        if not 300 <= len(t) <= 40000:
            continue
        if not (re.search(r"\bthe\b", t) or han.search(t)):
            continue
        if re.search("(?i)copyright", t):
            continue
        want.add(r["id"])
    got = {r["id"] for s in read_shards("out") for r in s}
    check(got == want, f"{len(got ^ want)} documents disagree: {sorted(got ^ want)[:5]}")
    s = stats_of("s.json")
    check(s["documents_written"] == len(want))
    # without PCRE2's JIT (as under `make valgrind`) the interpreter picks the same
    run_ok(["shard", SAMPLE, MULTILINGUAL, "-o", "nojit", "-q"] + args,
           env={"LONGWEAVE_PCRE2_JIT": "0"})
    check({r["id"] for s in read_shards("nojit") for r in s} == want, "without the JIT")


@test
def stdin_plain_and_compressed(tmp):
    run_ok(["shard", SAMPLE, "-n", "3", "-o", "file", "-q"])
    raw = zstd_bytes(SAMPLE)
    for name, data in (("plain", raw), ("zst", open(SAMPLE, "rb").read())):
        run_ok(["shard", "-", "-n", "3", "-o", name, "-q"], stdin=data)
        for f in shard_files("file"):
            a = zstd_bytes(os.path.join("file", f))
            b = zstd_bytes(os.path.join(name, f))
            check(a == b, f"stdin ({name}) {f} differs from the file run")


@test
def directories_text_files_and_passthrough(tmp):
    write("d/sub/b.txt", "text B")
    write("d/a.md", "text A")
    write("d/image.png", b"\x89PNG")
    write("d/z.jsonl", jsonl([{"doc_id": 7, "content": "the body", "text": "shadowed",
                               "meta": {"lang": "en", "n": [1, 2.5]}, "source": "web"}]))
    run_ok(["shard", "d", "--text-key", "content", "--id-key", "doc_id",
            "--stats-json", "s.json", "-o", "out", "-q"])
    recs = [r for s in read_shards("out") for r in s]
    check([r["id"] for r in recs] == ["d/a.md", "d/sub/b.txt", "7"], str(recs))
    check(recs[0] == {"id": "d/a.md", "text": "text A", "source": "d/a.md"}, str(recs[0]))
    check(recs[2] == {"id": "7", "text": "the body", "source": "web", "input_text": "shadowed",
                      "meta": {"lang": "en", "n": [1, 2.5]}}, str(recs[2]))
    check(stats_of("s.json")["ignored_files"] == 1)
    # Output is valid JSON Lines with exactly the keys in the documented order.
    raw = zstd_bytes(os.path.join("out", "shard-00000.jsonl.zst")).decode()
    check(raw.splitlines()[2].startswith('{"id":"7","text":"the body","source":"web",'), raw)


if __name__ == "__main__":
    raise SystemExit(main())
