"""Command-line tests of the native SentencePiece BPE encoder (tokenizer/
spm_bpe.c): `longweave tokenize` with the BPE .model fixtures gives the ids of
Debian's python3-sentencepiece (libsentencepiece's Encode on each whole
document, run by this test) on long documents of >= 2 MB: the sample
corpus back to back, the same words with runs of whitespace, CJK text without
spaces, and code with indentation; the tokenizer's name in the manifest stays
"sentencepiece-bpe". `longweave decode` gives libsentencepiece's Decode, byte
for byte, of those ids and of long random id sequences full of byte pieces
(ill-formed UTF-8 among them), on every .model fixture (BPE models decode
natively, the unigram model through the library)."""
import json
import os
import random
import subprocess

import megatron
from harness import MULTILINGUAL, ROOT, SAMPLE, cached_reference, check, jsonl, main, \
    python_with_sentencepiece, read_input, run_ok, test, write

FIX = os.path.join(ROOT, "tests", "fixtures", "tokenizers")
REF = r"""
import json, sys
import sentencepiece as spm
sp = spm.SentencePieceProcessor(model_file=sys.argv[1])
for line in open(sys.argv[2], encoding="utf-8"):
    print(json.dumps(sp.encode(json.loads(line)["text"])))
"""


def long_documents():
    docs = [r["text"] for r in read_input(SAMPLE)]
    cjk = [r["text"] for r in read_input(MULTILINGUAL)]
    big = 2 << 20
    rnd = random.Random(13)
    english = "\n\n".join(docs)
    while len(english.encode()) < big:
        english += "\n\n" + english
    gaps = [" ", "  ", "    ", "\t", "\n", "\n\n    ", "\u3000", "\u2581", "\u2581\u2581 ",
            "        ", " \u2581", "\r\n"]
    words = english.split(" ")
    spaced = "".join(w + rnd.choice(gaps) for w in words)
    chinese = "".join(cjk).replace(" ", "").replace("\n", "")
    while len(chinese.encode()) < big:
        chinese += chinese
    lines = ["if (x == NULL) {", "return f(err, \"%s\", p);", "}", "for i in range(n):",
             "    x[i] += y[i] * 2  # comment   with   spaces", "", "\t\ttabs()"]
    code, size = [], 0
    while size < big:
        code.append(" " * (4 * rnd.randrange(8)) + rnd.choice(lines))
        size += len(code[-1].encode()) + 1
    return [english, spaced, chinese, "\n".join(code)]


@test
def long_documents_match_libsentencepiece(tmp):
    py = python_with_sentencepiece()
    docs = long_documents()
    check(all(len(d.encode()) >= 2 << 20 for d in docs), "documents of at least 2 MB")
    write("in.jsonl", jsonl([{"text": d} for d in docs]))
    for name in ("llama2-equivalent", "spm-bpe-32k"):
        model = os.path.join(FIX, name + ".model")
        run_ok(["tokenize", "-t", model, "in.jsonl", "-o", f"out/{name}", "-q", "-j", "2"])
        _, seqs, _ = megatron.read(f"out/{name}")
        version = subprocess.run([py, "-c", "import sentencepiece; print(sentencepiece."
                                  "__version__)"], capture_output=True, text=True).stdout
        ref = cached_reference(
            ["python3-sentencepiece " + version, REF, model, "in.jsonl"],
            lambda: subprocess.run([py, "-c", REF, model, "in.jsonl"], capture_output=True,
                                   text=True, check=True).stdout)
        want = [tuple(json.loads(line)) for line in ref.splitlines()]
        check(len(seqs) == len(want) == len(docs), f"{name}: {len(seqs)} sequences")
        for i, (a, b) in enumerate(zip(seqs, want)):
            k = next((k for k, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
            check(a == b, f"{name}: document {i}: {len(a)} ids, the library {len(b)}; "
                          f"first difference at id {k}")
        m = json.load(open(f"out/{name}.manifest.json"))
        check(m["tokenizer"]["name"] == "sentencepiece-bpe", m["tokenizer"])


REF_DECODE = r"""
import json, sys
import sentencepiece as spm
sp = spm.SentencePieceProcessor(model_file=sys.argv[1])
for line in open(sys.argv[2], encoding="utf-8"):
    print(json.dumps(sp.decode(json.loads(line))))
"""


def random_sequences(vocab, byte0, n_seqs, length, seed):
    """Ids of any piece, with runs of byte pieces: lead bytes of every kind
    followed by continuation bytes or anything (truncated, overlong and
    surrogate sequences, bytes that start nothing, valid characters)."""
    rnd = random.Random(seed)
    leads = [0x00, 0x41, 0x7F, 0x80, 0xBF, 0xC0, 0xC2, 0xDF, 0xE0, 0xE4, 0xED, 0xEF, 0xF0, 0xF4,
             0xF5, 0xFF]
    seqs = []
    for _ in range(n_seqs):
        s = []
        while len(s) < length:
            how = rnd.randrange(6)
            if how <= 2 and byte0 is not None:
                s.append(byte0 + (rnd.choice(leads) if rnd.randrange(3) else rnd.randrange(256)))
                s += [byte0 + (0x80 + rnd.randrange(64) if rnd.randrange(4) else rnd.randrange(256))
                      for _ in range(rnd.randrange(4))]
            elif how == 3:
                s.append(rnd.randrange(4))
            else:
                s.append(rnd.randrange(vocab))
        seqs.append(s)
    return seqs


@test
def decode_matches_libsentencepiece(tmp):
    py = python_with_sentencepiece()
    version = subprocess.run([py, "-c", "import sentencepiece; print(sentencepiece.__version__)"],
                             capture_output=True, text=True).stdout
    write("in.jsonl", jsonl([{"text": d} for d in long_documents()]))
    for name in ("llama2-equivalent", "spm-bpe-32k", "spm-unigram-32k"):
        model = os.path.join(FIX, name + ".model")
        info = subprocess.run([py, "-c", "import sentencepiece as spm, sys; "
                               "sp = spm.SentencePieceProcessor(model_file=sys.argv[1]); "
                               "print(sp.get_piece_size(), sp.piece_to_id('<0x00>'), sp.unk_id())",
                               model], capture_output=True, text=True, check=True).stdout.split()
        vocab, byte0, unk = map(int, info)
        run_ok(["tokenize", "-t", model, "in.jsonl", "-o", f"tok/{name}", "-q", "-j", "2"])
        _, seqs, _ = megatron.read(f"tok/{name}")
        seqs += random_sequences(vocab, byte0 if byte0 != unk else None, 3, 200_000, 13)
        os.makedirs("ids", exist_ok=True)
        megatron.write(f"ids/{name}", seqs)
        with open(model, "rb") as f:
            sha = __import__("hashlib").sha256(f.read()).hexdigest()
        megatron.write_manifest(f"ids/{name}", vocab, sha, model)
        with open(f"{name}.ids.jsonl", "w") as f:
            for s in seqs:
                f.write(json.dumps(list(s)) + "\n")
        ref = cached_reference(
            ["python3-sentencepiece decode " + version, REF_DECODE, model, f"{name}.ids.jsonl"],
            lambda: subprocess.run([py, "-c", REF_DECODE, model, f"{name}.ids.jsonl"],
                                   capture_output=True, text=True, check=True).stdout)
        want = [json.loads(line) for line in ref.splitlines()]
        run_ok(["decode", f"ids/{name}", "-t", model, "--jsonl", "-o", f"{name}.dec.jsonl"])
        got = [json.loads(line)["text"] for line in open(f"{name}.dec.jsonl", encoding="utf-8")]
        check(len(got) == len(want) == len(seqs), f"{name}: {len(got)} texts")
        for i, (a, b) in enumerate(zip(got, want)):
            k = next((k for k, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
            check(a == b, f"{name}: sequence {i}: {len(a)} characters, the library {len(b)}; "
                          f"first difference at {k}: {a[k:k + 20]!r} / {b[k:k + 20]!r}")


main()
