"""Command-line tests of hostile inputs (issue 12, "no silent loss, no silent
wrong data"): raw control characters and \\u0000 in JSON, pipes and FIFOs
named by path, looping symlinks, a wrong --text-key and --quiet runs that
lost data. Expectations come from Python's json module, the zstd command
and the tiktoken rank files read directly."""
import base64
import json
import os
import subprocess
import threading

import megatron

from harness import (LONGWEAVE, check, jsonl, main, read_shards, run, run_ok, test, write,
                     zstd_compress)


def stats_of(path):
    with open(path) as f:
        return json.load(f)


def python_accepts(line):
    """Python's json module (strict): the independent judge of valid JSON."""
    try:
        json.loads(line.decode("utf-8", "surrogateescape"))
        return True
    except ValueError:
        return False


@test
def raw_control_characters_are_malformed_json(tmp):
    lines = [
        b'{"text":"kept part \x00 lost part"}',   # raw NUL in a string
        b'{"text\x00junk":"key cut short"}',       # raw NUL in a key
        b'{"text":"a raw\ttab in a string"}',      # raw tab in a string
        b'{"text":"raw \x1f unit separator"}',
        b'{"text":\x01"control between tokens"}',
        b'{"text":\t"tab between tokens is whitespace"}',
        b'{"text":"escaped \\u0001 is fine"}',
        b'{"text":"plain"}',
    ]
    write("c.jsonl", b"\n".join(lines) + b"\n")
    valid = [json.loads(l) for l in lines if python_accepts(l)]
    check(len(valid) == 3, valid)  # the fixture itself, judged by Python
    run_ok(["shard", "c.jsonl", "-q", "--stats-json", "s.json", "-o", "out"])
    got = [r["text"] for shard in read_shards("out") for r in shard]
    check(sorted(got) == sorted(r["text"] for r in valid), got)
    s = stats_of("s.json")
    check(s["skipped"]["malformed_json"] == len(lines) - len(valid), s)
    # --strict stops at the first one, naming the line
    rc, _, err = run(["shard", "c.jsonl", "--strict", "--utf8", "strict", "-o", "out2"])
    check(rc == 65 and "c.jsonl:1:" in err and "control character" in err, (rc, err))
    # tokenize reads the same way: nothing truncated is encoded
    write("one.jsonl", lines[0] + b"\n")
    rc, _, err = run(["tokenize", "-t", LLAMA3, "one.jsonl", "--strict", "-o", "tok/t"])
    check(rc == 65 and "one.jsonl:1:" in err, (rc, err))


def nul_rank(path):
    """The id of the single byte 0, read from the rank file itself."""
    for line in open(path, "rb"):
        tok, rank = line.split()
        if base64.b64decode(tok) == b"\x00":
            return int(rank)
    raise AssertionError("no byte 0 in " + path)


@test
def nul_in_the_text_is_encoded_not_dropped(tmp):
    # Digits on both sides: every tiktoken split pattern cuts "2024", "\0" and
    # "1999" apart (\p{N}{1,3} or \p{N}+, then [^\s\p{L}\p{N}]+), so the ids are
    # exactly those of the three pieces.
    texts = ["2024\u00001999", "2024", "1999", "\u0000", "after the NUL documents"]
    write("d.jsonl", jsonl([{"text": t} for t in texts]))  # json writes NUL as \\u0000
    check(open("d.jsonl").read().count("\\u0000") == 2)
    for name in ("llama3", "cl100k_base", "o200k_base", "r50k_base"):
        tok = os.path.join(TOKDIR, name + ".tiktoken")
        run_ok(["tokenize", "-t", tok, "d.jsonl", "-q", "--stats-json", "s.json", "-o",
                f"t/{name}"])
        _, seqs, _ = megatron.read(f"t/{name}")
        check(len(seqs) == len(texts), f"{name}: {len(seqs)} sequences, want {len(texts)}")
        nul = nul_rank(tok)
        check(seqs[0] == seqs[1] + (nul,) + seqs[2], f"{name}: {seqs[:3]}")
        check(seqs[3] == (nul,), f"{name}: {seqs[3]}")
        check(stats_of("s.json")["skipped"]["nul_character"] == 0)
        # the documents after them keep their numbers
        write("last.jsonl", jsonl([{"text": texts[4]}]))
        run_ok(["tokenize", "-t", tok, "last.jsonl", "-q", "-o", f"t/{name}-last"])
        check(megatron.read(f"t/{name}-last")[1][0] == seqs[4], name)
    # SentencePiece gets the whole text too: what follows the NUL is encoded
    for model in ("spm-bpe-32k.model", "spm-unigram-32k.model"):
        write("s.jsonl", '{"text":"hello\\u0000world"}\n{"text":"hello"}\n')
        run_ok(["tokenize", "-t", os.path.join(TOKDIR, model), "s.jsonl", "-q", "-o", "spm",
                "--force"])
        out, _ = run_ok(["decode", "spm", "--index", "0"])
        # (the NUL itself is the model's to map: these two have no byte
        # fallback and give <unk>, which decodes as " \u2047 ")
        check(out.startswith(b"hello") and out.endswith(b"world"), (model, out))
        seqs = megatron.read("spm")[1]
        check(len(seqs) == 2 and len(seqs[0]) > len(seqs[1]), (model, seqs))
    # cip -t reads the same way
    run_ok(["cip", "d.jsonl", "-t", LLAMA3, "--seq-len", "64", "-q", "--stats-json",
            "c.json", "-o", "cip"])
    c = stats_of("c.json")
    check(c["documents_written"] == len(texts) and c["documents_skipped"] == 0, c)


@test
def shard_keeps_nul_in_the_text_and_skips_it_elsewhere(tmp):
    lines = [b'{"id":"a\\u0000b","text":"x\\u0000y","n":1}',
             b'{"text":"nul in another field","meta":{"k":"\\u0000"}}',
             b'{"te\\u0000xt":"a key with a NUL","text":"the real text"}',
             b'{"text":"an escaped backslash \\\\u0000 is no NUL"}']
    write("n.jsonl", b"\n".join(lines) + b"\n")
    run_ok(["shard", "n.jsonl", "-q", "--stats-json", "s.json", "-o", "out"])
    got = {r["text"]: r for shard in read_shards("out") for r in shard}
    want = [json.loads(lines[0]), json.loads(lines[3])]
    check(sorted(got) == sorted(r["text"] for r in want), sorted(got))
    check(got["x\x00y"]["id"] == "a\x00b" and got["x\x00y"]["n"] == 1, got)
    check(stats_of("s.json")["skipped"]["nul_character"] == 2, stats_of("s.json"))


def shell(cmd, timeout=60):
    """Run a bash command line (for <(...) and pipes); the timeout only
    guards against a hang."""
    p = subprocess.run(["bash", "-c", cmd], capture_output=True, timeout=timeout,
                       env=dict(os.environ, LW=LONGWEAVE))
    return p.returncode, p.stdout, p.stderr.decode("utf-8", "replace")


RECORDS = [{"id": f"r{i}", "text": f"document {i} read through a pipe"} for i in range(5)]


def texts_of(outdir):
    return sorted(r["text"] for shard in read_shards(outdir) for r in shard)


@test
def inputs_that_can_be_read_only_once_lose_nothing(tmp):
    data = jsonl(RECORDS).encode()
    want = sorted(r["text"] for r in RECORDS)
    write("in.jsonl", data)
    write("in.jsonl.zst", zstd_compress(data))
    # a pipe named /dev/stdin, plain and compressed
    for src in ("in.jsonl", "in.jsonl.zst"):
        run_ok(["shard", "/dev/stdin", "-q", "-o", f"o-{src}"], stdin=open(src, "rb").read())
        check(texts_of(f"o-{src}") == want, f"/dev/stdin from {src}: {texts_of(f'o-{src}')}")
    # process substitution: a /dev/fd path to a pipe
    rc, _, err = shell('"$LW" shard <(zstd -qc in.jsonl) <(cat in.jsonl) -q -o sub')
    check(rc == 0 and sorted(texts_of("sub")) == sorted(want * 2), (rc, err, texts_of("sub")))
    # a FIFO, with a writer that writes everything and goes away
    os.mkfifo("fifo")
    def writer():
        with open("fifo", "wb") as f:
            f.write(data)
    t = threading.Thread(target=writer)
    t.start()
    try:
        rc, _, err = run(["shard", "fifo", "-q", "-o", "fifo-out"], timeout=60)
    finally:
        if t.is_alive():  # unblock the writer if longweave never opened the FIFO
            os.close(os.open("fifo", os.O_RDONLY | os.O_NONBLOCK))
        t.join()
    check(rc == 0 and texts_of("fifo-out") == want, (rc, err))
    # text files too: one document, every byte of it
    run_ok(["shard", "/dev/stdin", "--input-format", "text", "-q", "-o", "txt"],
           stdin=b"abcdefgh whole text")
    check(texts_of("txt") == ["abcdefgh whole text"], texts_of("txt"))
    # --part cannot place a stream: a usage error naming it, for every part
    for part in ("0/2", "1/2"):
        rc, _, err = run(["tokenize", "-t", LLAMA3, "/dev/stdin", "--part", part, "-o",
                          "tok/p"], stdin=data)
        check(rc == 64 and "/dev/stdin" in err and "regular file" in err, (part, rc, err))
    # --part 0/1 is the whole input
    run_ok(["tokenize", "-t", LLAMA3, "/dev/stdin", "--part", "0/1", "-q", "-o", "tok/w"],
           stdin=data)
    check(len(megatron.read("tok/w")[1]) == len(RECORDS))


@test
def score_reads_predictions_from_a_pipe(tmp):
    run_ok(["needle", "-t", LLAMA3, "--seq-len", "1k", "--depths", "2", "--tasks",
            "niah_single", "-q", "-o", "ev"])
    recs = [json.loads(l) for l in open("ev/niah_single.jsonl")]
    pred = jsonl([{"id": r["id"], "prediction": " ".join(r["answers"])} for r in recs])
    out, _ = run_ok(["score", "ev", "/dev/stdin", "--json", "-q"], stdin=pred.encode())
    s = json.loads(out)
    check(s["overall"] == 1 and s["samples"] == len(recs) and s["missing"] == 0, s)


@test
def unreadable_directory_entries_are_skipped_and_counted(tmp):
    write("d/good.jsonl", jsonl(RECORDS))
    os.symlink("loop.jsonl", "d/loop.jsonl")      # loops on itself (ELOOP)
    os.symlink("nowhere.jsonl", "d/gone.jsonl")   # points nowhere (ENOENT)
    os.symlink("x", "d/x")                        # not an input name: ignored
    rc, _, err = run(["shard", "d", "--stats-json", "s.json", "-o", "out"])
    check(rc == 0, (rc, err))
    check(texts_of("out") == sorted(r["text"] for r in RECORDS), texts_of("out"))
    s = stats_of("s.json")
    check(s["unreadable_files"] == 2 and s["ignored_files"] == 1, s)
    check("d/loop.jsonl" in err and "d/gone.jsonl" in err and "skipped" in err, err)
    # tokenize lists inputs the same way
    run_ok(["tokenize", "-t", LLAMA3, "d", "-q", "-o", "tok/d"])
    check(len(megatron.read("tok/d")[1]) == len(RECORDS))
    # --strict stops at it: an input that cannot be read (exit 66)
    rc, _, err = run(["shard", "d", "--strict", "-o", "out2"])
    check(rc == 66 and "d/gone.jsonl" in err, (rc, err))


@test
def a_wrong_text_key_is_an_error_naming_the_keys(tmp):
    recs = [{"content": f"document {i} keeps its text elsewhere", "meta": i} for i in range(20)]
    write("c.jsonl", jsonl(recs))
    runs = {"shard": ["shard", "c.jsonl"],
            "tokenize": ["tokenize", "-t", LLAMA3, "c.jsonl"],
            "cip": ["cip", "-t", LLAMA3, "c.jsonl", "--seq-len", "64"],
            "needle": ["needle", "-t", LLAMA3, "--haystack", "c.jsonl", "--seq-len", "1k",
                       "--tasks", "niah_single"]}
    for name, args in runs.items():
        rc, _, err = run(args + ["-q", "-o", f"bad-{name}"])
        check(rc == 65, f"{name}: exit {rc}\n{err}")
        check("--text-key" in err and '"content"' in err and '"meta"' in err and
              "20 of 20" in err, f"{name}: {err}")
    check(not os.path.exists("bad-shard/manifest.json") and
          not os.path.exists("bad-tokenize.manifest.json"), "nothing is published")
    # with the right key everything is read
    run_ok(["shard", "c.jsonl", "--text-key", "content", "-q", "--stats-json", "s.json",
            "-o", "good"])
    check(stats_of("s.json")["documents_written"] == 20)
    # one record with the field is enough: the others are counted as before
    write("mixed.jsonl", jsonl(recs + [{"text": "the one with a text field"}]))
    run_ok(["shard", "mixed.jsonl", "-q", "--stats-json", "m.json", "-o", "mixed"])
    m = stats_of("m.json")
    check(m["documents_written"] == 1 and m["skipped"]["missing_text"] == 20, m)
    # and an input without documents is not this error
    write("empty.jsonl", "")
    run_ok(["shard", "empty.jsonl", "-q", "-o", "empty"])


@test
def quiet_runs_still_report_what_was_lost(tmp):
    recs = [{"text": f"document {i} " + "word " * 200} for i in range(40)]
    whole = zstd_compress(jsonl(recs).encode())
    write("cut.jsonl.zst", whole[:len(whole) // 2])
    check(subprocess.run(["zstd", "-tq", "cut.jsonl.zst"], capture_output=True).returncode != 0,
          "the fixture is a truncated zstd file")
    write("bad.jsonl", '{"text": "fine"}\nnot json\n{"text": "fine too"}\n')
    runs = {"shard": ["shard"], "tokenize": ["tokenize", "-t", LLAMA3],
            "cip": ["cip", "-t", LLAMA3, "--seq-len", "256"]}
    for name, args in runs.items():
        rc, _, err = run(args + ["cut.jsonl.zst", "bad.jsonl", "-q", "--stats-json", "s.json",
                                 "-o", f"out-{name}"])
        check(rc == 0, f"{name}: {rc} {err}")
        s = stats_of("s.json")
        check(s["skipped"]["corrupt_input"] == 1 and s["skipped"]["malformed_json"] == 1, s)
        lines = err.splitlines()
        check(len(lines) == 2, f"{name}: one line per kind expected:\n{err}")
        check(any("corrupt_input" in l and " 1 " in l and "lost" in l for l in lines), err)
        check(any("1 document skipped as malformed_json" in l for l in lines), err)
    # a clean quiet run says nothing
    write("good.jsonl", jsonl(recs[:3]))
    rc, _, err = run(["shard", "good.jsonl", "-q", "-o", "clean2"])
    check(rc == 0 and err == "", err)


ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TOKDIR = os.path.join(ROOT, "tests", "fixtures", "tokenizers")
LLAMA3 = os.path.join(TOKDIR, "llama3.tiktoken")


if __name__ == "__main__":
    raise SystemExit(main())
