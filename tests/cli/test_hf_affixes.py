"""BPE tokenizer.json files with a continuing_subword_prefix and an
end_of_word_suffix (BERT-style "##" subwords, the original BPE's "</w>"),
and the decoders that undo them (WordPiece, BPEDecoder). The vocabularies are
trained here, on the sample corpus, by a small trainer that spells subwords
as HF's BpeTrainer does; the reference ids and texts are HF's own (npm
`tokenizers`, run by hf_ref.js in the test run) on the 910 edge-case texts
and real documents, with the unknown token, byte fallback, fuse_unk and
ignore_merges, over a character and a byte-level vocabulary."""
import collections
import functools
import json
import os
import re

import hf_json
import megatron
from hf_compare import check_decode, documents, same_as_hf
from harness import ROOT, SAMPLE, check, main, read_input, run, test, write

CASES = os.path.join(ROOT, "tests", "fixtures", "tokenizers", "refs", "cases.jsonl")
WORD = re.compile(r"\w+|[^\w\s]+")


@functools.lru_cache(maxsize=None)
def words(byte_level=False, lower=False):
    """The 1500 commonest words of the sample corpus with their counts (as
    byte-level strings, for a byte-level vocabulary)."""
    enc = hf_json.bytes_to_unicode()
    c = collections.Counter()
    for r in read_input(SAMPLE):
        text = r["text"].lower() if lower else r["text"]
        for w in WORD.findall(text):
            c["".join(enc[b] for b in w.encode()) if byte_level else w] += 1
    return c.most_common(1500)


def train(counts, n_merges, prefix="", suffix="", byte_level=False):
    """Vocab and merges: every character a symbol, spelled with the prefix
    unless it starts the word and with the suffix if it ends it; the
    commonest pair merges (the right one loses the prefix), n_merges times.
    A byte-level vocabulary has every byte, in each spelling."""
    def spell(chars):
        out = [ch if i == 0 else prefix + ch for i, ch in enumerate(chars)]
        out[-1] += suffix
        return out
    vocab = {"<unk>": 0}
    corpus = [(spell(list(w)), n) for w, n in counts]
    alphabet = list(hf_json.bytes_to_unicode().values()) if byte_level else []
    for ch in alphabet:
        for s in (ch, prefix + ch, ch + suffix, prefix + ch + suffix):
            vocab.setdefault(s, len(vocab))
    for syms, _ in corpus:
        for s in syms:
            vocab.setdefault(s, len(vocab))
    merges = []
    for _ in range(n_merges):
        pairs = collections.Counter()
        for syms, n in corpus:
            for p in zip(syms, syms[1:]):
                pairs[p] += n
        if not pairs:
            break
        (a, b), _ = max(pairs.items(), key=lambda kv: (kv[1], kv[0]))
        new = a + b[len(prefix):]
        merges.append([a, b])
        vocab.setdefault(new, len(vocab))
        for k, (syms, n) in enumerate(corpus):
            out, i = [], 0
            while i < len(syms):
                if i + 1 < len(syms) and syms[i] == a and syms[i + 1] == b:
                    out.append(new)
                    i += 2
                else:
                    out.append(syms[i])
                    i += 1
            corpus[k] = (out, n)
    return vocab, merges


def build(out, prefix=None, suffix=None, byte_level=False, byte_fallback=False, fuse_unk=False,
          ignore_merges=False, lower=False, normalizer=None, pre_tokenizer=None, decoder=None,
          n_merges=300):
    vocab, merges = train(words(byte_level, lower), n_merges, prefix or "", suffix or "",
                          byte_level)
    if byte_fallback:
        for b in range(256):
            vocab.setdefault(f"<0x{b:02X}>", len(vocab))
    doc = {"version": "1.0", "truncation": None, "padding": None,
           "added_tokens": [{"id": 0, "content": "<unk>", "single_word": False,
                             "lstrip": False, "rstrip": False, "normalized": False,
                             "special": True}],
           "normalizer": normalizer, "pre_tokenizer": pre_tokenizer, "post_processor": None,
           "decoder": decoder,
           "model": {"type": "BPE", "dropout": None, "unk_token": "<unk>",
                     "continuing_subword_prefix": prefix, "end_of_word_suffix": suffix,
                     "fuse_unk": fuse_unk, "byte_fallback": byte_fallback,
                     "ignore_merges": ignore_merges, "vocab": vocab, "merges": merges}}
    with open(out, "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False)
    return doc


def seq(key, items):
    return {"type": "Sequence", key: items}


WORDPIECE = {"type": "WordPiece", "prefix": "##", "cleanup": True}
BPE_DEC = {"type": "BPEDecoder", "suffix": "</w>"}
BYTE_LEVEL = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False,
              "use_regex": True}


def same_as_hf_everywhere(path, what, *uses):
    """Encode the documents and the edge cases, and decode, as HF does; uses:
    kinds of token (see kinds) the edge cases must have met."""
    write("docs.jsonl", documents(SAMPLE, 400_000))
    same_as_hf(path, "docs.jsonl", what + " (documents)")
    same_as_hf(path, CASES, what)
    check_decode(path, what)
    vocab = {i: t for t, i in json.load(open(path, encoding="utf-8"))["model"]["vocab"].items()}
    met = {k for s in megatron.read("lw")[1] for i in s for k in kinds(vocab[i])}
    check(set(uses) <= met, f"{what}: the edge cases met {sorted(met)}, not all of {uses}")


def kinds(tok):
    if tok == "<unk>":
        return ["unk"]
    if re.fullmatch(r"<0x[0-9A-F]{2}>", tok):
        return ["byte"]
    return [k for k, hit in (("prefix", tok.startswith("##")), ("suffix", tok.endswith("</w>")),
                             ("merged", len(tok.replace("##", "").replace("</w>", "")) > 1))
            if hit]


@test
def prefix_encodes_and_decodes_as_hf(tmp):
    # "##" on every subword but a word's first, the unknown token for the
    # characters the corpus lacks; WordPiece's decoder takes the prefix off
    # and cleans up the spaces before punctuation.
    build("p.json", prefix="##", pre_tokenizer={"type": "Whitespace"}, decoder=WORDPIECE)
    same_as_hf_everywhere("p.json", "prefix ##", "prefix", "merged", "unk")


@test
def suffix_encodes_and_decodes_as_hf(tmp):
    # "</w>" on the last subword of a word; byte fallback spells the bytes of
    # the suffixed character; BPEDecoder makes each suffix a space.
    build("s.json", suffix="</w>", byte_fallback=True,
          pre_tokenizer={"type": "WhitespaceSplit"}, decoder=BPE_DEC)
    same_as_hf_everywhere("s.json", "suffix </w>", "suffix", "merged", "byte")


@test
def prefix_and_suffix_with_a_pipeline_as_hf(tmp):
    build("ps.json", prefix="##", suffix="</w>", fuse_unk=True, ignore_merges=True,
          lower=True, normalizer=seq("normalizers", [{"type": "NFKC"}, {"type": "Lowercase"}]),
          pre_tokenizer=seq("pretokenizers", [{"type": "Whitespace"},
                                              {"type": "Digits", "individual_digits": True}]),
          decoder=seq("decoders", [dict(WORDPIECE, cleanup=False), BPE_DEC]))
    same_as_hf_everywhere("ps.json", "prefix and suffix", "prefix", "suffix", "merged", "unk")
    # the prefix and suffix with byte fallback: a character's bytes go with
    # the affixes' bytes, as HF's merge_word has them
    build("psb.json", prefix="##", suffix="</w>", byte_fallback=True,
          pre_tokenizer={"type": "Whitespace"}, decoder=seq("decoders", [
              {"type": "ByteFallback"}, dict(WORDPIECE, cleanup=False), BPE_DEC]))
    same_as_hf_everywhere("psb.json", "prefix, suffix and byte fallback", "prefix", "suffix",
                          "byte")


@test
def byte_level_affixes_as_hf(tmp):
    # over a byte-level vocabulary the affixes are byte-level strings too
    build("b.json", prefix="##", suffix="</w>", byte_level=True, pre_tokenizer=BYTE_LEVEL,
          decoder=seq("decoders", [{"type": "ByteLevel", "add_prefix_space": False,
                                    "trim_offsets": False, "use_regex": True}, BPE_DEC]))
    same_as_hf_everywhere("b.json", "byte-level prefix and suffix", "prefix", "suffix",
                          "merged")
    build("b2.json", suffix="</w>", byte_level=True, pre_tokenizer=BYTE_LEVEL,
          decoder=seq("decoders", [BPE_DEC, {"type": "Fuse"}]))
    same_as_hf_everywhere("b2.json", "byte-level suffix", "suffix", "merged")


@test
def what_is_not_supported_is_refused_by_name(tmp):
    write("t.jsonl", '{"text": "hello"}\n')
    cases = [
        ({"continuing_subword_prefix": "#" * 32}, {},
         "BPE continuing_subword_prefix '" + "#" * 32 + "' is not supported (a string of up "
         "to 31 bytes)"),
        ({"end_of_word_suffix": "\u2581"}, {"pre_tokenizer": BYTE_LEVEL},
         "BPE end_of_word_suffix '\u2581' is not supported (a string of up to 31 bytes in "
         "the byte-level alphabet)"),
        ({}, {"decoder": {"type": "BPEDecoder", "suffix": ""}},
         "BPEDecoder with an empty suffix is not supported"),
        ({}, {"decoder": {"type": "CTC", "pad_token": "<pad>"}},
         "decoder 'CTC' is not supported"),
        ({"dropout": 0.5}, {}, "BPE dropout is not supported"),
    ]
    doc = build("base.json", prefix="##", n_merges=20)
    for model, parts, msg in cases:
        d = json.loads(json.dumps(doc))
        d["model"].update(model)
        d.update(parts)
        with open("bad.json", "w", encoding="utf-8") as f:
            json.dump(d, f, ensure_ascii=False)
        rc, _, err = run(["tokenize", "-t", "bad.json", "t.jsonl", "-o", "o", "-q", "--force"])
        check(rc == 65 and msg in err and "bad.json" in err, f"{model} {parts}: {rc} {err}")


if __name__ == "__main__":
    raise SystemExit(main())
