"""A reader of the Megatron-Core indexed dataset written from the published
layout (megatron/core/datasets/indexed_dataset.py, DESIGN.md §3), not from
longweave's C code. Standard library only."""
import json
import os
import struct

MAGIC = b"MMIDIDX\x00\x00"
DTYPES = {8: ("H", 2), 4: ("i", 4), 1: ("B", 1), 7: ("f", 4)}  # uint16, int32, uint8, float32


def read(prefix):
    """Returns (dtype code, sequences as tuples of ids, document indices)."""
    idx = open(prefix + ".idx", "rb").read()
    assert idx[:9] == MAGIC, "bad magic"
    (version,) = struct.unpack_from("<Q", idx, 9)
    assert version == 1, f"version {version}"
    dtype = idx[17]
    n, d = struct.unpack_from("<QQ", idx, 18)
    assert len(idx) == 34 + 12 * n + 8 * d, "index size"
    lengths = struct.unpack_from(f"<{n}i", idx, 34)
    pointers = struct.unpack_from(f"<{n}q", idx, 34 + 4 * n)
    docs = struct.unpack_from(f"<{d}q", idx, 34 + 12 * n)
    code, size = DTYPES[dtype]
    data = open(prefix + ".bin", "rb").read()
    offset = 0
    seqs = []
    for length, pointer in zip(lengths, pointers):
        assert pointer == offset, "pointer does not follow the lengths"
        seqs.append(struct.unpack_from(f"<{length}{code}", data, pointer))
        offset += length * size
    assert offset == len(data), "bin size"
    assert docs[0] == 0 and docs[-1] == n and list(docs) == sorted(docs)
    return dtype, seqs, list(docs)


def write(prefix, seqs, dtype=8, doc_ends=None):
    """Write a dataset from the published layout: one document per sequence
    unless doc_ends (the sequence index where each document ends) is given."""
    code, size = DTYPES[dtype]
    with open(prefix + ".bin", "wb") as f:
        for s in seqs:
            f.write(struct.pack(f"<{len(s)}{code}", *s))
    n = len(seqs)
    docs = [0] + (list(doc_ends) if doc_ends is not None else list(range(1, n + 1)))
    pointers, offset = [], 0
    for s in seqs:
        pointers.append(offset)
        offset += len(s) * size
    with open(prefix + ".idx", "wb") as f:
        f.write(MAGIC + struct.pack("<Q", 1) + bytes([dtype]) + struct.pack("<QQ", n, len(docs)))
        f.write(struct.pack(f"<{n}i", *map(len, seqs)))
        f.write(struct.pack(f"<{n}q", *pointers))
        f.write(struct.pack(f"<{len(docs)}q", *docs))


def read_uint8(prefix):
    """A uint8 dataset (loss masks) as lists."""
    idx = open(prefix + ".idx", "rb").read()
    assert idx[:9] == MAGIC and idx[17] == 1, "not a uint8 dataset"
    n, d = struct.unpack_from("<QQ", idx, 18)
    lengths = struct.unpack_from(f"<{n}i", idx, 34)
    pointers = struct.unpack_from(f"<{n}q", idx, 34 + 4 * n)
    data = open(prefix + ".bin", "rb").read()
    return [list(data[p:p + l]) for l, p in zip(lengths, pointers)]


def pairs(prefix):
    """(ids, mask) lists per sequence; mask None when there is no PREFIX.mask."""
    import os
    _, seqs, _ = read(prefix)
    if not os.path.exists(prefix + ".mask.idx"):
        return [(list(s), None) for s in seqs]
    return [(list(s), m) for s, m in zip(seqs, read_uint8(prefix + ".mask"))]


def write_manifest(prefix, vocab, sha256="0" * 64, tokenizer="/nonexistent"):
    """PREFIX.manifest.json for a dataset written by hand, as DESIGN.md's
    "Datasets on disk" specifies it: the tokenizer, the dataset and its files."""
    import hashlib
    import json
    import os
    base = os.path.basename(prefix)
    _, seqs, _ = read(prefix)
    idx = open(prefix + ".idx", "rb").read()
    dtype = "uint16" if idx[17] == 8 else "int32"
    files = []
    for ext in (".bin", ".idx"):
        data = open(prefix + ext, "rb").read()
        files.append({"path": base + ext, "bytes": len(data),
                      "sha256": hashlib.sha256(data).hexdigest(), "dataset": base,
                      "role": "data"})
    m = {"format": "longweave-manifest", "format_version": 2,
         "tool": {"name": "hand", "version": "0"}, "stage": "tokenize", "part": "0/1",
         "tokenizer": {"path": tokenizer, "sha256": sha256, "vocab_size": vocab},
         "datasets": [{"prefix": base, "format": "megatron", "dtype": dtype,
                       "sequences": len(seqs), "tokens": sum(map(len, seqs)), "mask": False,
                       "companions": []}],
         "files": files}
    with open(prefix + ".manifest.json", "w") as f:
        json.dump(m, f)


def cip_bucket_path(out, L, part=0):
    """The dataset prefix of bucket L, part `part`, of a cip output folder."""
    return os.path.join(out, f"len-{L:07d}", f"part-{part:05d}")


def read_cip_bucket(out, L, part=0):
    """Its sequences, masks (all ones without a mask file) and .map.jsonl records."""
    p = cip_bucket_path(out, L, part)
    _, seqs, _ = read(p)
    masks = read_uint8(p + ".mask") if os.path.exists(p + ".mask.idx") else \
        [[1] * len(s) for s in seqs]
    maps = [json.loads(line) for line in open(p + ".map.jsonl")]
    return [list(s) for s in seqs], masks, maps
