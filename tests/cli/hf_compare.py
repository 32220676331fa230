"""Comparing longweave with Hugging Face's own library (npm `tokenizers`, run
by hf_ref.js in the test run) on a tokenizer.json: encode and decode, the
reference output kept in harness.cached_reference. Shared by the
tokenizer.json suites."""
import json
import os
import subprocess

import harness
import megatron
from harness import ROOT, check, node_modules, read_input, run, run_ok

REF_JS = os.path.join(ROOT, "tests", "cli", "hf_ref.js")


def texts_of(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line)["text"] for line in f]


def hf(cmd, tok, *args):
    """Run hf_ref.js; its last argument is the file it writes (kept in the
    reference cache, so a second pass of the suite does not run HF again)."""
    *ins, out = (tok, *args)

    def compute():
        r = subprocess.run(["node", REF_JS, node_modules(), cmd, *ins, out],
                           capture_output=True, text=True)
        check(r.returncode == 0, f"hf_ref.js {cmd} {tok}: {r.stderr[-2000:]}")
        with open(out, encoding="utf-8") as f:
            return f.read()

    lock = os.path.join(ROOT, "tests", "npm", "package-lock.json")
    data = harness.cached_reference([lock, REF_JS, cmd, *ins], compute)
    with open(out, "w", encoding="utf-8") as f:
        f.write(data)


def hf_ids(tok, texts_path, mode="ordinary"):
    hf("encode", tok, mode, texts_path, "hf.ids.jsonl")
    with open("hf.ids.jsonl") as f:
        return [tuple(json.loads(line)["ids"]) for line in f]


def lw_ids(tok, texts_path, out="lw"):
    run_ok(["tokenize", "-t", tok, texts_path, "-o", out, "-q", "--force"])
    return megatron.read(out)[1]


def same_as_hf(tok, texts_path, what):
    want = hf_ids(tok, texts_path)
    got = lw_ids(tok, texts_path)
    check(len(got) == len(want), f"{what}: {len(got)} sequences, HF {len(want)}")
    bad = [i for i, (a, b) in enumerate(zip(got, want)) if a != b]
    if bad:
        texts = texts_of(texts_path)
        i = bad[0]
        k = next(k for k in range(max(len(got[i]), len(want[i])))
                 if k >= min(len(got[i]), len(want[i])) or got[i][k] != want[i][k])
        raise AssertionError(
            f"{what}: {len(bad)} of {len(want)} texts differ from HF, first {bad[:5]}; text "
            f"{i} {texts[i][:60]!r}: at token {k} longweave {got[i][k:k + 6]} HF "
            f"{want[i][k:k + 6]}")


def check_decode(path, what):
    with open("ids.jsonl", "w") as f:
        for s in megatron.read("lw")[1]:
            f.write(json.dumps({"ids": list(s)}) + "\n")
    hf("decode", path, "ids.jsonl", "hf.text.jsonl")
    want = texts_of("hf.text.jsonl")
    rc, out, err = run(["decode", "lw", "--jsonl"])
    check(rc == 0, err)
    got = [json.loads(line)["text"] for line in out.decode().split("\n") if line]
    bad = [i for i, (a, b) in enumerate(zip(got, want)) if a != b]
    check(not bad and len(got) == len(want),
          f"{what}: decode differs from HF on {len(bad)} texts, first {bad[:3]}: "
          f"{got[bad[0]][:40]!r} vs {want[bad[0]][:40]!r}" if bad else f"{what}: counts")


def documents(path, budget):
    """Whole documents of path, up to about budget bytes."""
    out, total = [], 0
    for rec in read_input(path):
        if total >= budget:
            break
        out.append({"text": rec["text"]})
        total += len(rec["text"].encode())
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in out)
