"""Command-line tests of tokenizer.json files whose model is Unigram: a
tokenizer.json built here from tests/fixtures/tokenizers/spm-unigram-32k.model
(read by spm_proto.py, not by libsentencepiece) must give the ids of Hugging
Face's own library (npm `tokenizers`, run by the test) on the 910 edge-case
texts and on real documents, with byte fallback, every Metaspace
prepend_scheme and split off, and with the normalizers, pre-tokenizers,
added tokens and decoders of the pipeline BPE files use; and the same ids as libsentencepiece on the
.model where the two pipelines are defined the same (all but near-ties, which
SentencePiece scores in float and HF in double)."""
import json
import os
import struct
import subprocess
import unicodedata

import harness
import megatron
import spm_proto
from hf_compare import check_decode, same_as_hf
from harness import (MULTILINGUAL, ROOT, SAMPLE, check, jsonl, main, read_input, run, run_ok,
                     test, write)

FIX = os.path.join(ROOT, "tests", "fixtures", "tokenizers")
CASES = os.path.join(FIX, "refs", "cases.jsonl")
MODEL = os.path.join(FIX, "spm-unigram-32k.model")

# Reads a tokenizer.json and a JSONL of {"text"}; prints one JSON id list a line.
HF_REF = r"""
const nm = process.argv[2];
const { Tokenizer } = require(nm + '/tokenizers');
const fs = require('fs');
(async () => {
  const t = Tokenizer.fromFile(process.argv[3]);
  const lines = fs.readFileSync(process.argv[4], 'utf8').split('\n').filter(l => l.length);
  const out = [];
  for (const l of lines) {
    const e = await t.encode(JSON.parse(l).text, null, {addSpecialTokens: false});
    out.push(JSON.stringify(Array.from(e.getIds())));
  }
  fs.writeFileSync(process.argv[5], out.join('\n') + '\n');
})().catch(e => { console.error(e); process.exit(1); });
"""


def hf_ids(tok_json, texts_jsonl):
    nm = harness.node_modules()
    write("hf_ref.js", HF_REF)
    subprocess.run(["node", "hf_ref.js", nm, tok_json, texts_jsonl, "hf.ids"], check=True)
    return [tuple(json.loads(l)) for l in open("hf.ids")]


def unigram_json(out, byte_fallback=False, prepend="always", split=True, added=False,
                 unk=True):
    """The tokenizer.json transformers' SpmConverter writes for a unigram
    model, less its Precompiled normalizer: vocab [piece, score] in id order,
    unk_id, a Metaspace pre-tokenizer."""
    pieces, _ = spm_proto.read(MODEL)
    vocab = [[p, s] for p, s, _ in pieces]
    unk_id = next(i for i, (_, _, t) in enumerate(pieces) if t == spm_proto.UNKNOWN)
    if byte_fallback:  # the model has no byte pieces: give it some
        vocab += [[f"<0x{b:02X}>", 0.0] for b in range(256)]
    specials = [{"id": i, "content": p, "single_word": False, "lstrip": False, "rstrip": False,
                 "normalized": False, "special": True}
                for i, (p, _, t) in enumerate(pieces)
                if t in (spm_proto.UNKNOWN, spm_proto.CONTROL)]
    meta = {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": prepend,
            "split": split}
    doc = {"version": "1.0", "truncation": None, "padding": None,
           "added_tokens": specials if added else [],
           "normalizer": None, "pre_tokenizer": meta, "post_processor": None,
           "decoder": dict(meta),
           "model": {"type": "Unigram", "unk_id": unk_id if unk else None, "vocab": vocab,
                     "byte_fallback": byte_fallback}}
    with open(out, "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False)
    return doc


def case_texts():
    return [json.loads(l)["text"] for l in open(CASES, encoding="utf-8")]


def ours(tok, inp, name):
    run_ok(["tokenize", "-t", tok, inp, "-o", f"out/{name}", "-q"])
    return megatron.read(f"out/{name}")[1]


def compare(tok, inp, name, n=None):
    got, want = ours(tok, inp, name), hf_ids(tok, inp)
    check(n is None or len(want) == n, f"{name}: {len(want)} reference texts")
    check(len(got) == len(want), f"{name}: {len(got)} sequences, reference {len(want)}")
    bad = [i for i, (a, b) in enumerate(zip(got, want)) if a != b]
    check(not bad, f"{name}: {len(bad)} of {len(want)} differ from HF tokenizers, first "
          f"{bad[:5]}: ours {got[bad[0]][:20] if bad else ''} hf {want[bad[0]][:20] if bad else ''}")
    return got


@test
def edge_cases_match_hf_tokenizers(tmp):
    unigram_json("u.json")
    got = compare("u.json", CASES, "edge", 910)
    m = json.load(open("out/edge.manifest.json"))
    check(m["tokenizer"]["kind"] == "hf-unigram", str(m["tokenizer"]))
    check(m["tokenizer"]["vocab_size"] == 32000, str(m["tokenizer"]))
    check(any(0 in s for s in got), "no text met the unknown id")


@test
def metaspace_schemes_and_no_split_match_hf(tmp):
    for prepend, split in (("never", True), ("first", True), ("always", False)):
        unigram_json(f"u-{prepend}-{split}.json", prepend=prepend, split=split)
        compare(f"u-{prepend}-{split}.json", CASES, f"{prepend}-{split}", 910)


@test
def byte_fallback_matches_hf(tmp):
    unigram_json("b.json", byte_fallback=True)
    got = compare("b.json", CASES, "bytes", 910)
    check(any(i >= 32000 for s in got for i in s), "no byte-fallback id used")
    check(not any(0 in s for s in got), "the unknown id with byte fallback")


@test
def real_documents_match_hf(tmp):
    unigram_json("u.json")
    for path in (SAMPLE, MULTILINGUAL):
        recs = [r for r in read_input(path) if isinstance(r.get("text"), str)]
        name = os.path.basename(path).split(".")[0]
        write(f"{name}.jsonl", jsonl([{"text": r["text"]} for r in recs]))
        compare("u.json", f"{name}.jsonl", name, len(recs))


def same_pipeline(t):
    """Texts libsentencepiece's own pipeline (nmt_nfkc normalization, which
    also drops leading, trailing and repeated spaces and maps control
    characters) leaves as they are, so the Viterbi over pieces is all that
    can differ. Control-piece strings are left out too: HF's Unigram matches
    "<s>" as a piece, SentencePiece never matches control pieces in text."""
    return (t and t.isprintable() and unicodedata.normalize("NFKC", t) == t and
            "  " not in t and t.strip(" ") == t and "\u2581" not in t and
            not any(c in t for c in ("<s>", "</s>", "<unk>")))


@test
def viterbi_matches_libsentencepiece(tmp):
    unigram_json("u.json")
    texts = [t for t in case_texts() if same_pipeline(t)]
    for path in (SAMPLE, MULTILINGUAL):  # paragraphs of real documents
        for r in read_input(path):
            texts += [p for p in str(r.get("text", "")).split("\n") if same_pipeline(p)]
    write("s.jsonl", jsonl([{"text": t} for t in texts]))
    a, b = ours("u.json", "s.jsonl", "json"), ours(MODEL, "s.jsonl", "spm")
    check(len(a) == len(b) == len(texts) and len(texts) > 1000, f"{len(texts)} texts")
    # SentencePiece adds the scores of a path in float, HF in double: where
    # two segmentations tie but for rounding they may choose differently.
    # Every difference must be that: ours is no worse in double, theirs no
    # worse in float (summed left to right, as spm's best_path_score is).
    scores = [s for _, s, _ in spm_proto.read(MODEL)[0]]
    f32 = lambda x: struct.unpack("<f", struct.pack("<f", x))[0]

    def f32_sum(ids):
        t = 0.0
        for i in ids:
            t = f32(t + scores[i])
        return t
    bad = [i for i, (x, y) in enumerate(zip(a, b)) if x != y]
    real = [i for i in bad if not (sum(scores[k] for k in a[i]) >= sum(scores[k] for k in b[i])
                                   - 1e-9 and f32_sum(b[i]) >= f32_sum(a[i]))]
    check(not real, f"{len(real)} of {len(texts)} differ from libsentencepiece beyond float "
          f"rounding, first {[texts[i][:60] for i in real[:3]]}")
    check(len(bad) < len(texts) // 1000, f"{len(bad)} ties broken differently")


def variant(out, byte_fallback=False, added=False, **parts):
    """unigram_json's file with other pipeline parts (normalizer,
    pre_tokenizer, decoder, added_tokens)."""
    doc = unigram_json(out, byte_fallback=byte_fallback, added=added)
    doc.update(parts)
    with open(out, "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False)
    return out


def sequence(key, items):
    return {"type": "Sequence", key: items}


META = {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": True}


def pipelines():
    """Normalizers, pre-tokenizers and decoders around the Unigram model, as
    the BPE files of test_hf_tokenizers.py have them."""
    return [
        ("nfkc-whitespace-split", False, {
            "normalizer": sequence("normalizers", [
                {"type": "NFKC"}, {"type": "Replace", "pattern": {"Regex": "\\s+"},
                                   "content": " "},
                {"type": "Strip", "strip_left": True, "strip_right": True}]),
            "pre_tokenizer": sequence("pretokenizers", [{"type": "WhitespaceSplit"}, META]),
            "decoder": META}),
        ("replace-prepend-split-digits-punct", True, {
            "normalizer": sequence("normalizers", [
                {"type": "Prepend", "prepend": "\u2581"},
                {"type": "Replace", "pattern": {"String": " "}, "content": "\u2581"}]),
            "pre_tokenizer": sequence("pretokenizers", [
                {"type": "Split", "pattern": {"Regex": "\\p{N}+|[.,!?;:]"},
                 "behavior": "Isolated", "invert": False},
                {"type": "Digits", "individual_digits": True},
                {"type": "Punctuation", "behavior": "MergedWithPrevious"}]),
            "decoder": sequence("decoders", [
                {"type": "Replace", "pattern": {"String": "\u2581"}, "content": " "},
                {"type": "ByteFallback"}, {"type": "Fuse"},
                {"type": "Strip", "content": " ", "start": 1, "stop": 0}])}),
        ("nfd-lowercase-whitespace", False, {
            "normalizer": sequence("normalizers", [{"type": "NFD"}, {"type": "Lowercase"},
                                              {"type": "NFC"}]),
            "pre_tokenizer": {"type": "Whitespace"}, "decoder": None}),
        ("nfkd-char-delimiter", True, {
            "normalizer": {"type": "NFKD"},
            "pre_tokenizer": {"type": "CharDelimiterSplit", "delimiter": " "},
            "decoder": sequence("decoders", [{"type": "ByteFallback"}, {"type": "Fuse"}])}),
        ("split-removed-invert-metaspace-first", False, {
            "normalizer": {"type": "NFC"},
            "pre_tokenizer": sequence("pretokenizers", [
                {"type": "Split", "pattern": {"Regex": "\\p{L}+|\\p{N}|[^\\s\\p{L}\\p{N}]+"},
                 "behavior": "Removed", "invert": True},
                dict(META, prepend_scheme="first")]),
            "decoder": dict(META, prepend_scheme="first")}),
    ]


@test
def every_pipeline_part_matches_hf(tmp):
    # One pipeline for both models: a Unigram file with a normalizer Sequence
    # and pre-tokenizers other than Metaspace encodes and decodes as HF does.
    bad = []
    for name, fallback, parts in pipelines():
        path = variant(f"{name}.json", byte_fallback=fallback, **parts)
        try:
            same_as_hf(path, CASES, name)
            check_decode(path, name)
        except Exception as e:  # collect all, report together
            bad.append(str(e)[:600])
    check(not bad, "\n".join(bad))


@test
def added_tokens_in_texts_match_hf(tmp):
    # Added tokens split the text before (normalized: false) or after
    # (normalized: true) the normalizers, with lstrip/rstrip/single_word, as
    # for BPE files; the special ones are plain text unless asked for.
    added = [("<sep>", False, False, False, False), ("Hello", True, False, False, True),
             ("wor", True, True, True, False), ("<cls>", False, True, False, False),
             ("\u00e9t\u00e9", True, False, True, False)]
    toks = [{"content": c, "single_word": sw, "lstrip": ls, "rstrip": rs, "normalized": n,
             "special": False} for c, n, ls, rs, sw in added]
    toks.append({"content": "<special>", "single_word": False, "lstrip": False,
                 "rstrip": False, "normalized": False, "special": True})
    # the ids HF gives them: a piece's own, else the next after the vocabulary
    vocab = {p: i for i, (p, _) in enumerate(unigram_json("a.json")["model"]["vocab"])}
    new = iter(range(32000, 32100))
    for t in toks:
        t["id"] = vocab[t["content"]] if t["content"] in vocab else next(new)
    check(sum(t["id"] >= 32000 for t in toks) == 5, str(toks))
    path = variant("a.json", added_tokens=toks,
                   normalizer=sequence("normalizers", [{"type": "NFKC"}, {"type": "Lowercase"}]),
                   pre_tokenizer=sequence("pretokenizers", [{"type": "Whitespace"}, META]))
    edge = case_texts()
    texts = []
    for i, t in enumerate(edge[:300]):
        c = toks[i % len(toks)]["content"]
        texts += [t, f"{t}{c}{edge[-1 - i]}", f"x {c} y {c.upper()}", f"Hello world {c}!"]
    write("t.jsonl", jsonl([{"text": t} for t in texts]))
    same_as_hf(path, "t.jsonl", "added tokens")
    check_decode(path, "added tokens")
    m = json.load(open("lw.manifest.json"))
    check(m["tokenizer"]["vocab_size"] == 32005, str(m["tokenizer"]))


@test
def roles_decode_and_refusals(tmp):
    unigram_json("a.json", added=True)
    write("d.jsonl", jsonl([{"text": "Hello world, unigram."}]))
    run_ok(["tokenize", "-t", "a.json", "d.jsonl", "--prepend-bos", "--append-eod", "-o",
            "o/x", "-q"])
    seq = megatron.read("o/x")[1][0]
    check(seq[0] == 1 and seq[-1] == 2, f"<s> and </s> of the vocab: {seq}")
    out, _ = run_ok(["decode", "o/x", "--index", 0, "-t", "a.json"])
    check(b"Hello world, unigram." in out, out)
    # a normalizer or pre-tokenizer the Unigram path does not reproduce is
    # refused by name, never approximated
    doc = unigram_json("n.json")
    doc["normalizer"] = {"type": "Precompiled", "precompiled_charsmap": "AA=="}
    json.dump(doc, open("n.json", "w"))
    rc, _, err = run(["tokenize", "-t", "n.json", "d.jsonl", "-o", "o/n", "-q"])
    check(rc == 65 and "normalizer 'Precompiled' is not supported" in err and
          "precompiled_charsmap" in err, err)
    doc["normalizer"] = sequence("normalizers", [{"type": "NFC"}, {"type": "BertNormalizer"}])
    doc["pre_tokenizer"] = META
    json.dump(doc, open("n.json", "w"))
    rc, _, err = run(["tokenize", "-t", "n.json", "d.jsonl", "-o", "o/n", "-q"])
    check(rc == 65 and "normalizer 'BertNormalizer' is not supported" in err, err)
    doc["normalizer"] = None
    doc["pre_tokenizer"] = {"type": "BertPreTokenizer"}
    json.dump(doc, open("n.json", "w"))
    rc, _, err = run(["tokenize", "-t", "n.json", "d.jsonl", "-o", "o/n", "-q"])
    check(rc == 65 and "pre-tokenizer 'BertPreTokenizer' is not supported" in err, err)
    doc["pre_tokenizer"] = {"type": "ByteLevel", "add_prefix_space": False,
                            "trim_offsets": False, "use_regex": True}
    json.dump(doc, open("n.json", "w"))
    rc, _, err = run(["tokenize", "-t", "n.json", "d.jsonl", "-o", "o/n", "-q"])
    check(rc == 65 and "'ByteLevel' is not supported with the Unigram model" in err, err)
    # no unk_id and a character no piece covers: an error, as in HF
    unigram_json("nounk.json", unk=False)
    write("z.jsonl", jsonl([{"text": "\U0001F600"}]))
    rc, _, err = run(["tokenize", "-t", "nounk.json", "z.jsonl", "-o", "o/z", "-q"])
    check(rc == 65 and "unk_id" in err, f"{rc} {err}")


if __name__ == "__main__":
    main()
