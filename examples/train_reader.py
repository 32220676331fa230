"""Read longweave's outputs from a trainer: memory-map any of the formats
(megatron, datatrove, mds, llmc, npy, jsonl, olmo) and get (tokens, loss mask)
pairs or fixed-shape batches. NumPy only; copy what you need.

    from train_reader import open_dataset, batches
    for tokens, mask in batches(open_dataset("megatron", "out/len-0032768/part-00000"), 8):
        ...  # tokens: (8, 32768) int64, mask: (8, 32768) uint8 (1 = train on it)

    python3 train_reader.py FORMAT PATH [--digest]    # counts (and a checksum)

PATH is the prefix a longweave command wrote (PREFIX.bin, PREFIX.ds,
PREFIX_000000.bin, PREFIX.npy, PREFIX.jsonl) or, for mds, the directory.
"""
import csv
import glob
import hashlib
import gzip
import json
import os
import struct
import sys

import numpy as np


def megatron(prefix):
    """Megatron-Core's indexed dataset, read the way its _IndexReader does:
    header, then int32 lengths, int64 byte pointers and int64 document
    indices straight out of the mapped .idx."""
    def index(path):
        buf = np.memmap(path, dtype=np.uint8, mode="r")
        assert bytes(buf[:9]) == b"MMIDIDX\x00\x00", f"{path}: not a Megatron index"
        version, = struct.unpack("<Q", bytes(buf[9:17]))
        assert version == 1
        dtype = {1: np.uint8, 4: np.int32, 8: np.uint16}[int(buf[17])]
        n, d = struct.unpack("<QQ", bytes(buf[18:34]))
        lengths = np.frombuffer(buf, np.int32, n, 34)
        pointers = np.frombuffer(buf, np.int64, n, 34 + 4 * n)
        return dtype, lengths, pointers

    dtype, lengths, pointers = index(prefix + ".idx")
    data = np.memmap(prefix + ".bin", dtype=np.uint8, mode="r")
    mask = None
    if os.path.exists(prefix + ".mask.idx"):
        _, mlen, mptr = index(prefix + ".mask.idx")
        mdata = np.memmap(prefix + ".mask.bin", dtype=np.uint8, mode="r")
        assert np.array_equal(mlen, lengths), "mask lengths differ from the tokens'"
        mask = (mdata, mptr)
    for i in range(len(lengths)):
        tokens = np.frombuffer(data, dtype, int(lengths[i]), int(pointers[i]))
        m = None if mask is None else np.frombuffer(mask[0], np.uint8, int(lengths[i]),
                                                    int(mask[1][i]))
        yield tokens, m


def datatrove(prefix):
    """datatrove's .ds (ids), .ds.index (uint64 document ends), .ds.loss."""
    size = int(open(prefix + ".ds.metadata").readline().rsplit("|", 1)[1])
    tokens = np.memmap(prefix + ".ds", dtype=np.uint16 if size == 2 else np.uint32, mode="r")
    ends = np.fromfile(prefix + ".ds.index", dtype="<u8")
    loss = (np.memmap(prefix + ".ds.loss", dtype=np.uint8, mode="r")
            if os.path.exists(prefix + ".ds.loss") else None)
    start = 0
    for end in ends:
        yield tokens[start:end], None if loss is None else loss[start:end]
        start = int(end)


def mds(directory):
    """A MosaicML streaming dataset with input_ids (and mask) columns; what
    streaming.StreamingDataset yields, read without it."""
    index = json.load(open(os.path.join(directory, "index.json")))
    for shard in index["shards"]:
        raw = np.memmap(os.path.join(directory, shard["raw_data"]["basename"]),
                        dtype=np.uint8, mode="r")
        n = int(np.frombuffer(raw, np.uint32, 1, 0)[0])
        offsets = np.frombuffer(raw, np.uint32, n + 1, 4)
        names, encodings = shard["column_names"], shard["column_encodings"]
        fixed = shard["column_sizes"]
        var = [k for k, size in enumerate(fixed) if size is None]
        for i in range(n):
            pos = int(offsets[i])
            var_sizes = np.frombuffer(raw, np.uint32, len(var), pos)
            pos += 4 * len(var)
            columns = {}
            for k, (name, enc) in enumerate(zip(names, encodings)):
                size = fixed[k] if fixed[k] is not None else int(var_sizes[var.index(k)])
                blob = raw[pos:pos + size]
                pos += size
                parts = enc.split(":")  # ndarray:DTYPE[:SHAPE]
                if parts[0] != "ndarray":
                    continue
                if len(parts) == 3:
                    shape = tuple(int(x) for x in parts[2].split(","))
                    start = 0
                else:
                    ndim, code = int(blob[0]) >> 2, int(blob[0]) & 3
                    shape_t = [np.uint8, np.uint16, np.uint32, np.uint64][code]
                    shape = tuple(np.frombuffer(blob, shape_t, ndim, 1).astype(np.int64))
                    start = 1 + ndim * np.dtype(shape_t).itemsize
                columns[name] = np.frombuffer(blob, parts[1], int(np.prod(shape)),
                                              start).reshape(shape)
            yield columns["input_ids"], columns.get("mask")


def llmc(prefix):
    """llm.c shards: one stream of tokens, yielded shard by shard."""
    for path in sorted(glob.glob(glob.escape(prefix) + "_[0-9]*.bin")):
        header = np.fromfile(path, dtype="<i4", count=256)
        dtype = {20240520: np.uint16, 20240801: np.uint32}[int(header[0])]
        yield np.memmap(path, dtype=dtype, mode="r", offset=1024, shape=(int(header[2]),)), None


def npy(prefix):
    """One N x L array of ids (and PREFIX.mask.npy)."""
    tokens = np.load(prefix + ".npy", mmap_mode="r")
    mask = (np.load(prefix + ".mask.npy", mmap_mode="r")
            if os.path.exists(prefix + ".mask.npy") else None)
    for i in range(tokens.shape[0]):
        yield tokens[i], None if mask is None else mask[i]


def jsonl(path):
    """Pre-tokenized JSON Lines: input_ids, and labels (-100: no loss)."""
    if not path.endswith(".jsonl"):
        path += ".jsonl"
    for line in open(path):
        r = json.loads(line)
        ids = np.asarray(r["input_ids"], dtype=np.int64)
        labels = r.get("labels")
        yield ids, None if labels is None else (np.asarray(labels) != -100).astype(np.uint8)


def olmo(prefix):
    """OLMo-core's arrays: PREFIX.npy with no header (uint8, uint16 or uint32:
    the file's size over the last end in PREFIX.csv.gz), PREFIX.mask.npy (a
    bool per token), a sequence per row of PREFIX.csv.gz (start,end,...).
    Empty sequences have no row, so they are not yielded."""
    with gzip.open(prefix + ".csv.gz", "rt", newline="") as f:
        rows = [(int(r[0]), int(r[1])) for r in csv.reader(f)]
    size = os.path.getsize(prefix + ".npy")
    if not rows or not size:
        return
    dtype = {1: np.uint8, 2: np.uint16, 4: np.uint32}[size // rows[-1][1]]
    tokens = np.memmap(prefix + ".npy", dtype=dtype, mode="r")
    mask = (np.memmap(prefix + ".mask.npy", dtype=np.bool_, mode="r")
            if os.path.exists(prefix + ".mask.npy") else None)
    for start, end in rows:
        yield tokens[start:end], None if mask is None else mask[start:end].astype(np.uint8)


READERS = {"megatron": megatron, "datatrove": datatrove, "mds": mds, "llmc": llmc, "npy": npy,
           "jsonl": jsonl, "olmo": olmo}


def open_dataset(fmt, path):
    """(tokens, mask) per sequence; mask None when the dataset has none."""
    return READERS[fmt](path)


def batches(sequences, batch_size, seq_len=None, pad_id=0):
    """Fixed-shape (tokens int64, mask uint8) batches. Sequences are cut or
    padded (mask 0) to seq_len (default: the first sequence's length)."""
    toks, masks = [], []
    for tokens, mask in sequences:
        seq_len = seq_len or len(tokens)
        t = np.full(seq_len, pad_id, dtype=np.int64)
        m = np.zeros(seq_len, dtype=np.uint8)
        n = min(seq_len, len(tokens))
        t[:n] = tokens[:n]
        m[:n] = 1 if mask is None else mask[:n]
        toks.append(t)
        masks.append(m)
        if len(toks) == batch_size:
            yield np.stack(toks), np.stack(masks)
            toks, masks = [], []
    if toks:
        yield np.stack(toks), np.stack(masks)


def digest(sequences):
    """Counts and a checksum over (length, ids, mask) of every sequence."""
    h, n, tokens = hashlib.sha256(), 0, 0
    for ids, mask in sequences:
        h.update(struct.pack("<I", len(ids)))
        h.update(np.asarray(ids, dtype="<u4").tobytes())
        h.update(b"\x00" if mask is None else b"\x01" + np.asarray(mask, np.uint8).tobytes())
        n += 1
        tokens += len(ids)
    return {"sequences": n, "tokens": tokens, "sha256": h.hexdigest()}


if __name__ == "__main__":
    if len(sys.argv) < 3 or sys.argv[1] not in READERS:
        sys.exit(__doc__)
    fmt, path = sys.argv[1], sys.argv[2]
    if "--digest" in sys.argv:
        print(json.dumps(digest(open_dataset(fmt, path))))
    else:
        n = tokens = masked = 0
        for ids, mask in open_dataset(fmt, path):
            n += 1
            tokens += len(ids)
            masked += 0 if mask is None else int(len(mask) - mask.sum())
        print(f"{n} sequences, {tokens} tokens, {masked} without loss")
