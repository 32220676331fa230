"""Command-line tests of edge cases where data was lost or came out wrong
without a word (issue 12): float32 datasets printed by `decode --ids`, very
long pre-split pieces in `tokenize`, invalid text in `synl --schema`, and
trailing bytes after a JSON value in `score`."""
import base64
import heapq
import json
import math
import os
import random
import struct
import sys

import megatron
from harness import ROOT, check, jsonl, main, run, run_ok, test, write
from llama3_ref import LLAMA3

TOKENIZERS = os.path.join(ROOT, "tests", "fixtures", "tokenizers")


def f32(x):
    """x rounded to float32, as Python reads it back."""
    return struct.unpack("<f", struct.pack("<f", x))[0]


def shortest_f32(x):
    """The fewest significant digits (printf %g) that read back as float32 x."""
    for p in range(1, 10):
        try:
            if f32(float(f"{x:.{p}g}")) == x:
                return p
        except OverflowError:  # rounded up past the largest float32
            pass
    raise AssertionError(x)


def significant_digits(s):
    mantissa = s.lstrip("-").split("e")[0].replace(".", "").lstrip("0")
    return max(len(mantissa), 1)


def check_floats(printed, expected, what):
    """printed: decode's line; expected: the float32 values read with struct."""
    words = printed.split()
    check(len(words) == len(expected), f"{what}: {len(words)} values, expected {len(expected)}")
    for w, x in zip(words, expected):
        v = float(w)
        if math.isnan(x):
            check(math.isnan(v), f"{what}: {w} for nan")
            continue
        check(struct.pack("<f", v) == struct.pack("<f", x), f"{what}: {w} does not read back "
              f"as the stored float32 {x!r}")
        if math.isfinite(x) and x != 0:
            check(significant_digits(w) == shortest_f32(x),
                  f"{what}: {w} is not the shortest form of {x!r}")


@test
def decode_float32_dataset_prints_numbers(tmp):
    values = [0.2, 1 / 3, 0.0, -0.0, -1.5, 1e-30, 1.401298464324817e-45, 3.4028234663852886e38,
              16777216.0, 0.1, 1 / 7, float("inf"), float("-inf"), float("nan")]
    values = [f32(v) for v in values]
    megatron.write("w", [values, values[:1], []], dtype=7)
    out, _ = run_ok(["decode", "w", "--ids"])
    lines = out.decode().split("\n")
    check(len(lines) == 4 and lines[-1] == "", lines)
    check(lines[0].split()[:2] == ["0.2", "0.33333334"], lines[0])
    _, seqs, _ = megatron.read("w")
    for line, seq in zip(lines, seqs):
        check_floats(line, seq, "w")
    out, _ = run_ok(["decode", "w", "--ids", "--index", "1"])
    check(out == b"0.2\n", out)
    # text of float values is refused, not printed from their bit patterns
    for extra in ([], ["--jsonl"], ["-t", LLAMA3], ["--index", "0"]):
        rc, out, err = run(["decode", "w"] + extra)
        check(rc == 64 and out == b"" and "float32" in err and "--ids" in err,
              f"decode w {extra}: exit {rc}: {err}")
    # pack's loss weights, checked against the same file read with struct
    run_ok(["synl", "-t", LLAMA3, "--seq-len", "2k", "-n", "6", "-q", "-o", "s"])
    run_ok(["pack", "s", "-o", "p/x", "--seq-len", "8k", "--loss-weighting", "sample", "-q"])
    out, _ = run_ok(["decode", "p/x.weights", "--ids"])
    dtype, seqs, _ = megatron.read("p/x.weights")
    lines = out.decode().splitlines()
    check(dtype == 7 and len(lines) == len(seqs), (dtype, len(lines), len(seqs)))
    for line, seq in zip(lines, seqs):
        check_floats(line, seq, "p/x.weights")
    check(any(w not in ("0", "1") for line in lines for w in line.split()), "no weight below 1")


def load_ranks(path):
    ranks = {}
    for line in open(path, "rb"):
        tok, rank = line.split()
        ranks[base64.b64decode(tok)] = int(rank)
    return ranks


def bpe(ranks, piece):
    """tiktoken's byte pair merge of one piece (lowest rank first, leftmost on
    ties), with a heap so that a piece of a megabyte takes seconds; checked
    against npm tiktoken's encode_ordinary on pieces of 20,000 letters and
    6,000 CJK characters in the four fixtures."""
    if piece in ranks:
        return [ranks[piece]]
    n, get = len(piece), ranks.get
    nxt, prv, alive = list(range(1, n + 1)), list(range(-1, n - 1)), [True] * n
    heap = [(ranks[piece[i:i + 2]], i) for i in range(n - 1) if piece[i:i + 2] in ranks]
    heapq.heapify(heap)
    while heap:
        r, i = heapq.heappop(heap)
        if not alive[i] or nxt[i] >= n or get(piece[i:nxt[nxt[i]]]) != r:
            continue  # merged away since it was pushed
        j = nxt[i]
        k = nxt[i] = nxt[j]
        alive[j] = False
        if k < n:
            prv[k] = i
            rr = get(piece[i:nxt[k]])
            if rr is not None:
                heapq.heappush(heap, (rr, i))
        if prv[i] >= 0:
            rr = get(piece[prv[i]:k])
            if rr is not None:
                heapq.heappush(heap, (rr, prv[i]))
    out, i = [], 0
    while i < n:
        out.append(ranks[piece[i:nxt[i]]])
        i = nxt[i]
    return out


def expected_ids(ranks, pieces):
    return [i for p in pieces for i in bpe(ranks, p.encode())]


@test
def long_pieces_split_exactly(tmp):
    # A single pre-split piece of 400,000 letters, or of 360,000 CJK characters
    # (1 MB), used up PCRE2-JIT's stack: the whole run stopped with exit 65.
    # The pieces here are plain under all three patterns: the letters, " and",
    # the space with the CJK run, the full stop.
    rng = random.Random(12)
    letters = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(400_000))
    cjk = "".join(chr(rng.randrange(0x4E00, 0x9FA6)) for _ in range(360_000))
    short = ["hello", " world"]
    cases = [("llama3", [letters, " and", " " + cjk, "."]),
             ("o200k_base", [letters]), ("r50k_base", [letters])]
    for name, pieces in cases:
        tok = os.path.join(TOKENIZERS, name + ".tiktoken")
        write("in.jsonl", jsonl([{"text": "".join(short)}, {"text": "".join(pieces)},
                                 {"text": "".join(short)}]))
        ranks = load_ranks(tok)
        want = [expected_ids(ranks, short), expected_ids(ranks, pieces),
                expected_ids(ranks, short)]
        for jit in ("1", "0"):
            out = f"{name}-{jit}/tok"
            run_ok(["tokenize", "-t", tok, "in.jsonl", "-q", "-j", "2", "-o", out],
                   env={"LONGWEAVE_PCRE2_JIT": jit})
            _, seqs, _ = megatron.read(out)
            check([list(q) for q in seqs] == want, f"{name}, JIT {jit}: ids differ from "
                  f"the reference BPE of the pieces ({[len(q) for q in seqs]} ids, expected "
                  f"{[len(w) for w in want]})")
        if name == "llama3":  # cip -t goes through the same encoder
            run_ok(["cip", "-t", tok, "in.jsonl", "-o", "c", "--seq-len", "1k", "-q"])
            m = json.load(open("c/manifest.json"))
            check(m["tokenize_stats"]["documents_written"] == 3, m["tokenize_stats"])
            check(sum(b["document_tokens"] for b in m["buckets"]) == sum(map(len, want)),
                  m["buckets"])


SCHEMA = {"name": "orders", "entity": "order", "id_prefix": "O", "columns": [
    {"name": "customer", "type": "name"},
    {"name": "status", "type": "category", "values": ["open", "packed", "shipped"]},
    {"name": "total", "type": "decimal", "min": 1, "max": 900}]}


def synl_schema(path, out):
    return run(["synl", "-t", LLAMA3, "--schema", path, "--seq-len", "2k", "-n", "20", "-q",
                "-o", out])


@test
def schema_text_is_utf8_without_nul(tmp):
    text = json.dumps(SCHEMA)

    def sub(old, new):
        return text.encode().replace(old.encode(), new)

    bad = {  # file: (bytes, what the error names)
        "bad_value.json": (sub('"packed"', b'"pa\xffcked"'),
                           "$.columns[1].values[1]: is not valid UTF-8"),
        "bad_name.json": (sub('"min"', b'"m\xc3in"'), "$.columns[2]: a member name is not valid"),
        "nul.json": (sub('"orders"', b'"or\\u0000ders"'), "$.name: holds a NUL"),
        "raw_nul.json": (sub('"packed"', b'"pa\0cked"'), "$.columns[1].values[1]: holds a NUL"),
        "list.json": (b"[" + text.encode() + b"," + sub('"customer"', b'"c\\u0000"') + b"]",
                      "$[1].columns[0].name: holds a NUL"),
        "trailing.json": ((text + " {}").encode(), f"trailing.json@{len(text) + 1}: text after"),
        "trailing_nul.json": (text.encode() + b"\0", "text after the JSON value"),
    }
    for name, (data, what) in bad.items():
        write(name, data)
        rc, _, err = synl_schema(name, name + ".out")
        check(rc == 65 and name in err and what in err, f"{name}: exit {rc}: {err}")
        check(not os.path.exists(name + ".out/manifest.json"), name)
    # what is valid goes to the chat JSONL as it is: non-ASCII, a control
    # character, a backslash before u0000
    values = ["caf\u00e9 \u4e2d\u6587", "ship\x01ped", "pa\\u0000cked"]
    good = dict(SCHEMA, columns=[SCHEMA["columns"][0], dict(SCHEMA["columns"][1], values=values),
                                 SCHEMA["columns"][2]])
    write("good.json", json.dumps(good))
    rc, _, err = synl_schema("good.json", "g")
    check(rc == 0, err)
    seen = set()
    for line in open("g/chat/part-00000.jsonl", "rb"):
        content = json.loads(line)["messages"][0]["content"]
        seen |= {v for v in values if f"status: {v}\n" in content}
    check(seen == set(values), f"values in the output: {seen}")


@test
def score_reads_one_json_value_per_line(tmp):
    run_ok(["needle", "-t", LLAMA3, "--seq-len", "1k", "--depths", "3", "--tasks", "niah_single",
            "-o", "ev", "-q"])
    recs = [json.loads(line) for line in open("ev/niah_single.jsonl")]
    p = [json.dumps({"id": r["id"], "prediction": " ".join(r["answers"])}) for r in recs]
    check(len(p) == 3, len(p))
    good = {"lf.jsonl": "\n".join(p) + "\n", "crlf.jsonl": "\r\n".join(p) + "\r\n",
            "spaces.jsonl": "\n".join(x + " \t " for x in p) + "\n"}
    for name, text in good.items():
        write(name, text)
        out, _ = run_ok(["score", "ev", name, "--json", "-q"])
        r = json.loads(out)
        check(r["overall"] == 1 and r["missing"] == 0, f"{name}: {r}")
    bad = {"garbage.jsonl": (p[0] + "\n" + p[1] + " trailing garbage\n" + p[2] + "\n", 2),
           "cr.jsonl": (p[0] + "\r" + p[1] + "\n" + p[2] + "\n", 1),
           "two.jsonl": (p[0] + "\n" + p[1] + "\n" + p[2] + " " + p[0] + "\n", 3),
           "nul.jsonl": (p[0] + "\0\n" + p[1] + "\n" + p[2] + "\n", 1)}
    for name, (text, line) in bad.items():
        write(name, text)
        rc, out, err = run(["score", "ev", name, "--json", "-q"])
        check(rc == 65 and out == b"" and f"{name}:{line}:" in err, f"{name}: exit {rc}: {err}")
    # the evaluation set is read the same way
    lines = open("ev/niah_single.jsonl").read().splitlines()
    write("set.jsonl", "\n".join(lines[:1] + [lines[1] + "]"] + lines[2:]) + "\n")
    rc, _, err = run(["score", "set.jsonl", "lf.jsonl", "--json", "-q"])
    check(rc == 65 and "set.jsonl:2:" in err, f"exit {rc}: {err}")


if __name__ == "__main__":
    sys.exit(main())
