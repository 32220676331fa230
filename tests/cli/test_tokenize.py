"""Command-line tests of `longweave tokenize` and `longweave decode`: token
ids against the reference implementations' ids (tests/fixtures/tokenizers/
refs), read back with a Megatron reader written from the published layout."""
import json
import os
import shutil

import hf_json
import megatron
from harness import (ROOT, SAMPLE, canon, check, jsonl, main, read_input, run, run_ok, test,
                     write)

FIX = os.path.join(ROOT, "tests", "fixtures", "tokenizers")
CASES = os.path.join(FIX, "refs", "cases.jsonl")
TOKENIZERS = {  # file -> (refs name, dtype code)
    "cl100k_base.tiktoken": ("cl100k_base", 4),
    "o200k_base.tiktoken": ("o200k_base", 4),
    "r50k_base.tiktoken": ("r50k_base", 8),
    "llama3.tiktoken": ("llama3", 4),
    "spm-bpe-32k.model": ("spm-bpe-32k", 8),
    "spm-unigram-32k.model": ("spm-unigram-32k", 8),
    "llama2-equivalent.model": ("llama2-equivalent", 8),
}
LLAMA3_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|"
                  r" ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")


def refs(name):
    with open(os.path.join(FIX, "refs", f"{name}.ids.jsonl")) as f:
        return [tuple(json.loads(line)["ids"]) for line in f]


def texts():
    with open(CASES, encoding="utf-8") as f:
        return [json.loads(line)["text"] for line in f]


@test
def every_tokenizer_matches_its_reference(tmp):
    for fname, (name, dtype) in TOKENIZERS.items():
        run_ok(["tokenize", "-t", os.path.join(FIX, fname), CASES, "-o", f"out/{name}", "-q"])
        code, seqs, docs = megatron.read(f"out/{name}")
        check(code == dtype, f"{name}: dtype code {code}, want {dtype}")
        want = refs(name)
        check(len(seqs) == len(want) == 910, f"{name}: {len(seqs)} sequences")
        bad = [i for i, (a, b) in enumerate(zip(seqs, want)) if a != b]
        check(not bad, f"{name}: {len(bad)} texts differ from the reference, first {bad[:5]}")
        check(docs == list(range(911)), f"{name}: one document per sequence")
        m = json.load(open(f"out/{name}.manifest.json"))
        check(m["stats"]["tokens"] == sum(map(len, want)))
        check(m["tokenizer"]["sha256"] and m["dtype"] == ("uint16" if dtype == 8 else "int32"))
    # the split patterns give the same pieces without PCRE2's JIT (make valgrind)
    run_ok(["tokenize", "-t", os.path.join(FIX, "llama3.tiktoken"), CASES, "-o", "nojit/l",
            "-q"], env={"LONGWEAVE_PCRE2_JIT": "0"})
    check(megatron.read("nojit/l")[1] == refs("llama3"), "llama3 without the JIT")


@test
def tokenizer_json_matches_tiktoken(tmp):
    # Llama 3 as a tokenizer.json (Split regex + ByteLevel) and GPT-2 (ByteLevel
    # with its own regex), built from the rank files; the ids must be the real
    # tiktoken's.
    added = {f"<|reserved_{i}|>": 128000 + i for i in range(256)}
    added["<|begin_of_text|>"] = 128000
    added["<|end_of_text|>"] = 128001
    added = {k: v for k, v in sorted(added.items(), key=lambda kv: kv[1])}
    hf_json.build(os.path.join(FIX, "llama3.tiktoken"), LLAMA3_PATTERN,
                  {"<|begin_of_text|>": 128000, "<|end_of_text|>": 128001}, "llama3.json")
    hf_json.build(os.path.join(FIX, "r50k_base.tiktoken"), None, {"<|endoftext|>": 50256},
                  "gpt2.json", use_byte_level_regex=True, pair_merges=True)
    for path, name in (("llama3.json", "llama3"), ("gpt2.json", "r50k_base")):
        run_ok(["tokenize", "-t", path, CASES, "--append-eod", "-o", f"out/{name}", "-q"])
        _, seqs, _ = megatron.read(f"out/{name}")
        eod = 128001 if name == "llama3" else 50256
        want = [ids + (eod,) for ids in refs(name)]
        bad = [i for i, (a, b) in enumerate(zip(seqs, want)) if a != b]
        check(len(seqs) == 910 and not bad, f"{path}: {len(bad)} differ, first {bad[:5]}")
        m = json.load(open(f"out/{name}.manifest.json"))
        check(m["tokenizer"]["kind"] == "hf-bpe", str(m["tokenizer"]))


@test
def tokenizer_json_nfc_normalizer(tmp):
    # A Qwen2-style NFC normalizer: decomposed input encodes as its
    # composition does (Python's unicodedata gives the independent NFC).
    import unicodedata
    hf_json.build(os.path.join(FIX, "r50k_base.tiktoken"), None, {"<|endoftext|>": 50256},
                  "nfc.json", use_byte_level_regex=True, nfc=True)
    texts_ = ["Cafe\u0301 de\u0301ja\u0300 vu", "\u1100\u1161\u11a8 Hangul jamo",
              "A\u030a ngstro\u0308m", "plain ascii"]
    write("d.jsonl", jsonl([{"text": t} for t in texts_]))
    write("n.jsonl", jsonl([{"text": unicodedata.normalize("NFC", t)} for t in texts_]))
    run_ok(["tokenize", "-t", "nfc.json", "d.jsonl", "-o", "a", "-q"])
    run_ok(["tokenize", "-t", os.path.join(FIX, "r50k_base.tiktoken"), "n.jsonl", "-o", "b", "-q"])
    check(megatron.read("a")[1] == megatron.read("b")[1], "NFC normalization differs")
    # ... and without the normalizer the decomposed text encodes differently.
    run_ok(["tokenize", "-t", os.path.join(FIX, "r50k_base.tiktoken"), "d.jsonl", "-o", "c", "-q"])
    check(megatron.read("c")[1][0] != megatron.read("b")[1][0])


@test
def decode_gives_the_text_back(tmp):
    run_ok(["tokenize", "-t", os.path.join(FIX, "o200k_base.tiktoken"), CASES, "-o", "o", "-q"])
    all_texts = texts()
    for i in (0, 5, 123, 500, 909):
        rc, out, err = run(["decode", "o", "--index", i])
        check(rc == 0, err)
        check(out == all_texts[i].encode("utf-8"), f"text {i} differs after decode")
    rc, out, _ = run(["decode", "o", "--ids", "--index", 7])
    check(tuple(map(int, out.split())) == refs("o200k_base")[7])
    rc, out, _ = run(["decode", "o", "--jsonl"])
    lines = [json.loads(line) for line in out.split(b"\n") if line]
    check([x["text"] for x in lines] == all_texts and lines[3]["index"] == 3)
    rc, _, err = run(["decode", "o", "--index", 910])
    check(rc == 64, f"{rc} {err}")
    # The manifest pins the tokenizer: a changed file is refused unless -t.
    shutil.copy(os.path.join(FIX, "o200k_base.tiktoken"), "tok.tiktoken")
    run_ok(["tokenize", "-t", "tok.tiktoken", CASES, "-o", "p", "-q"])
    with open("tok.tiktoken", "ab") as f:
        f.write(b"\n")
    rc, _, err = run(["decode", "p", "--index", 0])
    check(rc == 65 and "sha256" in err, f"{rc} {err}")
    rc, out, _ = run(["decode", "p", "--index", 0, "-t", os.path.join(FIX, "o200k_base.tiktoken")])
    check(rc == 0 and out == all_texts[0].encode())


@test
def threads_and_parts_give_the_same_dataset(tmp):
    tok = os.path.join(FIX, "llama3.tiktoken")
    # An uncompressed JSONL file so that --part cuts inside it.
    write("in.jsonl", jsonl(read_input(SAMPLE)))
    run_ok(["tokenize", "-t", tok, "in.jsonl", "-j", "1", "-o", "j1/t", "-q"])
    run_ok(["tokenize", "-t", tok, "in.jsonl", "-j", "2", "-o", "j2/t", "-q"])
    for suffix in (".bin", ".idx", ".manifest.json"):
        check(open("j1/t" + suffix, "rb").read() == open("j2/t" + suffix, "rb").read(),
              f"{suffix} differs between -j 1 and -j 2")
    _, whole, _ = megatron.read("j1/t")
    joined = []
    for i in range(3):
        run_ok(["tokenize", "-t", tok, "in.jsonl", "--part", f"{i}/3", "-o", f"p{i}", "-q"])
        joined += megatron.read(f"p{i}")[1]
    check(joined == whole, "the parts joined differ from the whole")


@test
def bos_eod_and_empty_documents(tmp):
    write("d.jsonl", jsonl([{"text": "Hello world"}, {"text": ""}, {"text": "x"}]))
    tok = os.path.join(FIX, "llama3.tiktoken")
    run_ok(["tokenize", "-t", tok, "d.jsonl", "--prepend-bos", "--append-eod", "-o", "l",
            "--stats-json", "s.json", "-q"])
    _, seqs, _ = megatron.read("l")
    check(seqs[0] == (128000, 9906, 1917, 128001), str(seqs[0]))
    check(seqs[1] == (128000, 128001) and seqs[2] == (128000, 87, 128001), str(seqs))
    run_ok(["tokenize", "-t", tok, "d.jsonl", "-o", "e", "--stats-json", "e.json", "-q"])
    _, seqs, _ = megatron.read("e")
    check(seqs[1] == () and json.load(open("e.json"))["empty_sequences"] == 1)
    run_ok(["tokenize", "-t", tok, "d.jsonl", "--eod-id", "128009", "-o", "c", "-q"])
    check(megatron.read("c")[1][0] == (9906, 1917, 128009))
    # SentencePiece roles come from the model.
    run_ok(["tokenize", "-t", os.path.join(FIX, "llama2-equivalent.model"), "d.jsonl",
            "--prepend-bos", "--append-eod", "-o", "s", "-q"])
    _, seqs, _ = megatron.read("s")
    check(seqs[0][0] == 1 and seqs[0][-1] == 2, str(seqs[0]))
    # cl100k has no BOS: a usage error that says what to do.
    rc, _, err = run(["tokenize", "-t", os.path.join(FIX, "cl100k_base.tiktoken"), "d.jsonl",
                      "--prepend-bos", "-o", "x"])
    check(rc == 64 and "--bos-id" in err, f"{rc} {err}")


@test
def bad_tokenizers_and_outputs(tmp):
    write("d.jsonl", jsonl([{"text": "x"}]))
    rc, _, err = run(["tokenize", "-t", "missing.model", "d.jsonl", "-o", "o"])
    check(rc == 66 and "missing.model" in err, f"{rc} {err}")
    write("junk.model", b"\x0a\x05junk!" * 20)
    rc, _, err = run(["tokenize", "-t", "junk.model", "d.jsonl", "-o", "o"])
    check(rc == 65 and "junk.model" in err, f"{rc} {err}")
    write("bad.tiktoken", b"IQ== 0\nnot base64 at all\n")
    rc, _, err = run(["tokenize", "-t", "bad.tiktoken", "d.jsonl", "-o", "o"])
    check(rc == 65 and "bad.tiktoken:2" in err, f"{rc} {err}")
    check(not os.path.exists("o.bin") and not os.path.exists("o.idx"))
    tok = os.path.join(FIX, "r50k_base.tiktoken")
    run_ok(["tokenize", "-t", tok, "d.jsonl", "-o", "o", "-q"])
    rc, _, err = run(["tokenize", "-t", tok, "d.jsonl", "-o", "o"])
    check(rc == 73 and "--force" in err, f"{rc} {err}")
    run_ok(["tokenize", "-t", tok, "d.jsonl", "-o", "o", "--force", "-q"])
    rc, _, err = run(["tokenize", "d.jsonl", "-o", "o2"])
    check(rc == 64 and "-t" in err, f"{rc} {err}")


@test
def bad_documents_are_counted(tmp):
    write("d.jsonl", b'{"text": "good"}\n{"text": 5}\nnot json\n{"text": "bad \xff"}\n')
    rc, _, err = run(["tokenize", "-t", os.path.join(FIX, "r50k_base.tiktoken"), "d.jsonl",
                      "-o", "o", "--stats-json", "s.json"])
    check(rc == 0, err)
    s = json.load(open("s.json"))
    check(s["documents_written"] == 2 and s["skipped"]["text_not_string"] == 1 and
          s["skipped"]["malformed_json"] == 1 and s["utf8_repaired_documents"] == 1, str(s))
    check("d.jsonl:3: " in err)
    rc, _, err = run(["tokenize", "-t", os.path.join(FIX, "r50k_base.tiktoken"), "d.jsonl",
                      "-o", "o2", "--strict"])
    check(rc == 65 and "d.jsonl:2: " in err, f"{rc} {err}")


if __name__ == "__main__":
    raise SystemExit(main())
