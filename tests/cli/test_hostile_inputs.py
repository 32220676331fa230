"""Command-line tests of hostile inputs (issue 12, "no silent loss, no silent
wrong data"): raw control characters and \\u0000 in JSON, pipes and FIFOs
named by path, looping symlinks, a wrong --text-key and --quiet runs that
lost data. Expectations come from Python's json module, the zstd command
and the tiktoken rank files read directly."""
import json
import os

from harness import (check, jsonl, main, read_shards, run, run_ok, test, write,
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


ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TOKDIR = os.path.join(ROOT, "tests", "fixtures", "tokenizers")
LLAMA3 = os.path.join(TOKDIR, "llama3.tiktoken")


if __name__ == "__main__":
    raise SystemExit(main())
