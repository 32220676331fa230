"""Trainer conventions around the tokens: the padding id cip and pack choose,
read back the way Megatron-Core's GPTDataset reads it (gpt_dataset.py:
samples drawn by build_sample_idx, the loss mask zero where a label equals
the tokenizer's pad id, and nothing else of the stored mask). A pad equal to
the end of document would mask every EOD label too, and a pad that is not
the tokenizer's trains on padding; the default pad is a token that is
neither. SentencePiece models with and without a pad id are made here with
libsentencepiece's own trainer (python3-sentencepiece)."""
import json
import os
import subprocess

import formats
import megatron
from harness import (ROOT, SAMPLE, check, main, python_with_sentencepiece, read_input, run,
                     run_ok, test)

FIX = os.path.join(ROOT, "tests", "fixtures", "tokenizers")
LLAMA3 = os.path.join(FIX, "llama3.tiktoken")
LLAMA3_EOT, LLAMA3_EOD, LLAMA3_FINETUNE_PAD = 128009, 128001, 128004


def megatron_samples(seqs, seq_len, extra):
    """GPTDataset's samples over one epoch in stored order (build_sample_idx
    with add_extra_token_to_sequence = extra; no shuffle): lists of
    seq_len + extra tokens, padded with None where the stream runs out."""
    stream = [t for s in seqs for t in s]
    n = (len(stream) - extra) // seq_len
    return [stream[i * seq_len:i * seq_len + seq_len + extra] for i in range(n)]


def megatron_trained_labels(sample, pad, extra):
    """The labels GPTDataset trains on (loss mask 1): eod_mask_loss off, a
    label equal to the tokenizer's pad masked."""
    if extra:
        labels = sample[1:]
    else:
        labels = sample[1:] + [pad]
    return [lab for lab in labels if lab != pad]


def datatrove_windows(prefix, seq_len):
    """DatatroveFileDataset's items (datatrove/utils/dataset.py): windows of
    seq_len + 1 tokens, one after the other, as many as fit."""
    name, size = open(prefix + ".ds.metadata").read().split("\n")[0].rsplit("|", 1)
    size = int(size)
    data = open(prefix + ".ds", "rb").read()
    tokens = [int.from_bytes(data[i:i + size], "little") for i in range(0, len(data), size)]
    w = seq_len + 1
    return [tokens[i * w:(i + 1) * w] for i in range(len(tokens) // w)]


def cip_bucket(out, L):
    p = os.path.join(out, f"len-{L:07d}", "part-00000")
    seqs = [list(s) for s in megatron.read(p)[1]]
    masks = megatron.read_uint8(p + ".mask") if os.path.exists(p + ".mask.idx") else None
    bucket = json.load(open(os.path.join(out, "manifest.json")))["config"]
    return seqs, masks, bucket


def train_spm(py, prefix, pad_id):
    """A small BPE model trained on the sample corpus, with or without a pad."""
    code = ("import json, sys, sentencepiece as spm\n"
            "texts = [json.loads(l)['text'] for l in open(sys.argv[1], encoding='utf-8')]\n"
            "spm.SentencePieceTrainer.train(sentence_iterator=iter(texts), model_prefix="
            "sys.argv[2], vocab_size=600, model_type='bpe', pad_id=int(sys.argv[3]), "
            "unk_id=0, bos_id=1, eos_id=2, minloglevel=2, character_coverage=0.98)\n")
    r = subprocess.run([py, "-c", code, "texts.jsonl", prefix, str(pad_id)],
                       capture_output=True, text=True)
    check(r.returncode == 0, r.stderr[-2000:])
    return prefix + ".model"


@test
def llama3_pads_with_its_reserved_pad_token(tmp):
    run_ok(["tokenize", "-t", LLAMA3, SAMPLE, "--append-eod", "-q", "-o", "tok/ll"])
    run_ok(["cip", "tok/ll", "--seq-len", "2048", "-q", "-o", "c"])
    seqs, masks, bucket = cip_bucket("c", 2048)
    check(bucket["pad_id"] == LLAMA3_FINETUNE_PAD and
          bucket["pad_token"] == "<|finetune_right_pad_id|>" and
          bucket["pad_source"] == "reserved pad token", str(bucket))
    padding = sum(1 for s, m in zip(seqs, masks) for t, k in zip(s, m)
                  if t == LLAMA3_FINETUNE_PAD and k == 0)
    check(padding > 0, "the sample gives a padded last sequence")
    # Megatron with the tokenizer's pad set to the manifest's: no pad trained,
    # and every end of document still is
    for extra in (1, 0):
        trained = [lab for smp in megatron_samples(seqs, 2048, extra)
                   for lab in megatron_trained_labels(smp, bucket["pad_id"], extra)]
        check(LLAMA3_FINETUNE_PAD not in trained, f"extra {extra}: pad trained")
        check(trained.count(LLAMA3_EOD) > 0, f"extra {extra}: no EOD label trained")
    # the old default, pad = EOD: Megatron then masks every EOD label as well
    rc, _, err = run(["cip", "tok/ll", "--seq-len", "2048", "-q", "-o", "e",
                      "--pad-id", str(LLAMA3_EOD)])
    check(rc == 64 and "--pad-id eod" in err, f"{rc} {err}")
    run_ok(["cip", "tok/ll", "--seq-len", "2048", "-q", "-o", "e", "--pad-id", "eod"])
    seqs_e, _, bucket_e = cip_bucket("e", 2048)
    check(bucket_e["pad_id"] == LLAMA3_EOD and bucket_e["pad_source"] == "--pad-id eod",
          str(bucket_e))
    trained = [lab for smp in megatron_samples(seqs_e, 2048, 1)
               for lab in megatron_trained_labels(smp, LLAMA3_EOD, 1)]
    check(LLAMA3_EOD not in trained, "pad = EOD masks the EOD labels (the reason for the rule)")
    # an explicit other id is taken as given
    run_ok(["cip", "tok/ll", "--seq-len", "2048", "-q", "-o", "g", "--pad-id",
            str(LLAMA3_EOT)])
    check(cip_bucket("g", 2048)[2]["pad_source"] == "--pad-id")
    # pack chooses the same way
    run_ok(["pack", "tok/ll", "--seq-len", "4096", "-q", "-o", "p/ll"])
    cfg = json.load(open("p/ll.manifest.json"))["config"]
    check(cfg["pad_id"] == LLAMA3_FINETUNE_PAD and cfg["pad_source"] == "reserved pad token",
          str(cfg))
    rc, _, err = run(["pack", "tok/ll", "--seq-len", "4096", "-q", "-o", "p/e", "--pad-id",
                      str(LLAMA3_EOD)])
    check(rc == 64 and "--pad-id eod" in err, f"{rc} {err}")


@test
def one_sample_per_sequence_under_each_readers_default(tmp):
    # Megatron (GPTDataset, add_extra_token_to_sequence=True, --seq-length L):
    # L stored tokens per sequence, each sample is one sequence (plus the
    # next one's first token as its last label).
    run_ok(["tokenize", "-t", LLAMA3, SAMPLE, "--append-eod", "-q", "-o", "tok/ll"])
    L = 1024
    run_ok(["cip", "tok/ll", "--seq-len", str(L), "-q", "-o", "m"])
    seqs = cip_bucket("m", L)[0]
    samples = megatron_samples(seqs, L, 1)
    check(len(samples) == len(seqs) - 1, f"{len(samples)} samples of {len(seqs)} sequences")
    check(all(smp[:L] == seq for smp, seq in zip(samples, seqs)), "a sample straddles")
    # datatrove (DatatroveFolderDataset, seq_len = L): L + 1 stored tokens, each
    # window exactly one sequence; the bucket keeps the name of L
    run_ok(["cip", "tok/ll", "--seq-len", str(L), "--format", "datatrove", "-q", "-o", "d"])
    prefix = os.path.join("d", f"len-{L:07d}", "part-00000")
    stored = [ids for ids, _ in formats.read_datatrove(prefix)]
    windows = datatrove_windows(prefix, L)
    check(len(windows) == len(stored) and windows == stored and
          all(len(w) == L + 1 for w in windows), "datatrove windows are not the sequences")
    bucket = json.load(open("d/manifest.json"))["buckets"][0]
    check(bucket["seq_len"] == L and bucket["stored_len"] == L + 1, str(bucket))
    # the same sequences as CIP of L + 1 for Megatron: one algorithm, one length
    run_ok(["cip", "tok/ll", "--seq-len", str(L + 1), "-q", "-o", "m1"])
    check(cip_bucket("m1", L + 1)[0] == stored, "datatrove's L is CIP's L + 1")
    # merge of Megatron parts into datatrove cannot add the extra token: the
    # manifest (and a note) give the seq_len that reads one sequence per window
    for p in ("0/2", "1/2"):
        run_ok(["cip", "tok/ll", "--seq-len", str(L), "--part", p, "-q", "-o", "parts"])
    _, err = run_ok(["merge", "md", "parts", "--format", "datatrove"])
    cfg = json.load(open("md/manifest.json"))["config"]
    key = f"len-{L:07d}/part-00000"
    check(cfg["reader_seq_len"] == {key: L - 1} and f"seq_len={L - 1}" in err, (cfg, err))
    merged = [ids for ids, _ in formats.read_datatrove(os.path.join("md", key))]
    check(datatrove_windows(os.path.join("md", key), L - 1) == merged, "windows at L - 1")


@test
def sentencepiece_pad_when_the_model_has_one(tmp):
    py = python_with_sentencepiece()
    with open("texts.jsonl", "w", encoding="utf-8") as o:
        for r in read_input(SAMPLE):
            o.write(json.dumps({"text": r["text"]}) + "\n")
    with_pad = train_spm(py, "with-pad", 3)
    without = train_spm(py, "no-pad", -1)
    for model, want_id, source in ((with_pad, 3, "tokenizer pad"),
                                   (without, 2, "end of document (no pad token)")):
        name = os.path.basename(model)
        run_ok(["tokenize", "-t", model, SAMPLE, "--append-eod", "-q", "-o", f"t/{name}"])
        run_ok(["cip", f"t/{name}", "--seq-len", "1024", "-q", "-o", f"c/{name}"])
        bucket = cip_bucket(f"c/{name}", 1024)[2]
        check(bucket["pad_id"] == want_id and bucket["pad_source"] == source,
              f"{name}: {bucket}")


if __name__ == "__main__":
    main()
