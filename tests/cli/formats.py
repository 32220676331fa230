"""Readers of the trainer formats, written from their published layouts, not
from longweave's C code: datatrove's DocumentTokenizer files, MosaicML
streaming's MDS shards (writer.py / encodings.py), llm.c's token shards
(dev/data/data_common.py), NumPy's .npy format 1.0 and pre-tokenized JSON
Lines. Standard library only. Each returns a list of (ids, mask) pairs,
mask None when the dataset has none."""
import ast
import glob
import json
import os
import struct


def read_datatrove(prefix):
    name, size = open(prefix + ".ds.metadata").read().split("\n")[0].rsplit("|", 1)
    size = int(size)
    code = {2: "H", 4: "I"}[size]
    data = open(prefix + ".ds", "rb").read()
    assert len(data) % size == 0, "token file size"
    tokens = struct.unpack(f"<{len(data) // size}{code}", data)
    index = open(prefix + ".ds.index", "rb").read()
    ends = struct.unpack(f"<{len(index) // 8}Q", index)
    assert not ends or ends[-1] == len(tokens), "last end is not the token count"
    loss = open(prefix + ".ds.loss", "rb").read() if os.path.exists(prefix + ".ds.loss") else None
    assert loss is None or len(loss) == len(tokens), "loss file size"
    out, start = [], 0
    for end in ends:
        out.append((list(tokens[start:end]), list(loss[start:end]) if loss is not None else None))
        start = end
    return out


_NP = {"uint8": ("B", 1), "uint16": ("H", 2), "uint32": ("I", 4), "int32": ("i", 4),
       "uint64": ("Q", 8), "int64": ("q", 8)}
_SHAPE = {0: ("B", 1), 1: ("H", 2), 2: ("I", 4), 3: ("Q", 8)}


def _ndarray(encoding, data):
    """streaming's NDArray with a fixed dtype and a dynamic shape."""
    dtype = encoding.split(":")[1]
    code, size = _NP[dtype]
    byte = data[0]
    ndim, (scode, ssize) = byte >> 2, _SHAPE[byte & 3]
    shape = struct.unpack_from(f"<{ndim}{scode}", data, 1)
    values = data[1 + ndim * ssize:]
    n = 1
    for d in shape:
        n *= d
    assert len(values) == n * size, "ndarray size"
    flat = list(struct.unpack(f"<{n}{code}", values))
    if ndim == 2:
        return [flat[i * shape[1]:(i + 1) * shape[1]] for i in range(shape[0])]
    return flat


def read_mds_samples(directory):
    """Every sample of an MDS dataset as a dict of columns."""
    index = json.load(open(os.path.join(directory, "index.json")))
    assert index["version"] == 2
    samples = []
    for sh in index["shards"]:
        assert sh["format"] == "mds" and sh["compression"] is None
        raw = open(os.path.join(directory, sh["raw_data"]["basename"]), "rb").read()
        assert len(raw) == sh["raw_data"]["bytes"], "shard size against index.json"
        n = struct.unpack_from("<I", raw, 0)[0]
        assert n == sh["samples"]
        offsets = struct.unpack_from(f"<{n + 1}I", raw, 4)
        config = json.loads(raw[4 + 4 * (n + 1):offsets[0]])
        assert config["column_names"] == sh["column_names"] == sorted(sh["column_names"])
        assert offsets[-1] == len(raw)
        names, encs, sizes = sh["column_names"], sh["column_encodings"], sh["column_sizes"]
        for i in range(n):
            blob = raw[offsets[i]:offsets[i + 1]]
            var = [k for k, s in enumerate(sizes) if s is None]
            lens = struct.unpack_from(f"<{len(var)}I", blob, 0)
            pos, sample = 4 * len(var), {}
            for k, name in enumerate(names):
                size = sizes[k] if sizes[k] is not None else lens[var.index(k)]
                sample[name] = _ndarray(encs[k], blob[pos:pos + size])
                pos += size
            assert pos == len(blob), "sample size"
            samples.append(sample)
    return samples


def read_mds(directory):
    return [(s["input_ids"], s.get("mask")) for s in read_mds_samples(directory)]


def read_llmc(prefix):
    """The token stream of PREFIX_NNNNNN.bin and the per-shard headers."""
    stream, headers = [], []
    for path in sorted(glob.glob(glob.escape(prefix) + "_[0-9][0-9][0-9][0-9][0-9][0-9].bin")):
        data = open(path, "rb").read()
        header = struct.unpack_from("<256i", data, 0)
        magic, version, count = header[:3]
        assert (magic, version) in ((20240520, 1), (20240801, 7)), (magic, version)
        code, size = ("H", 2) if magic == 20240520 else ("I", 4)
        assert len(data) == 1024 + count * size, f"{path}: size against the count"
        stream.extend(struct.unpack_from(f"<{count}{code}", data, 1024))
        headers.append((magic, version, count))
    return stream, headers


def read_npy(path):
    """A 2-D .npy array as a list of rows, and its dtype descr."""
    data = open(path, "rb").read()
    assert data[:6] == b"\x93NUMPY", "magic"
    major = data[6]
    hlen = struct.unpack_from("<H" if major == 1 else "<I", data, 8)[0]
    start = (10 if major == 1 else 12) + hlen
    assert start % 64 == 0, "header not aligned to 64 bytes"
    header = ast.literal_eval(data[10 if major == 1 else 12:start].decode("latin1"))
    assert header["fortran_order"] is False
    rows, cols = header["shape"]
    code, size = {"<u2": ("H", 2), "<i4": ("i", 4), "<u4": ("I", 4), "|u1": ("B", 1)}[header["descr"]]
    assert len(data) - start == rows * cols * size, "data size against the shape"
    flat = struct.unpack_from(f"<{rows * cols}{code}", data, start)
    return [list(flat[r * cols:(r + 1) * cols]) for r in range(rows)], header["descr"]


def read_jsonl(path):
    out = []
    for line in open(path):
        r = json.loads(line)
        ids, labels = r["input_ids"], r.get("labels")
        mask = None
        if labels is not None:
            assert len(labels) == len(ids)
            assert all(l == -100 or l == t for l, t in zip(labels, ids))
            mask = [0 if l == -100 else 1 for l in labels]
        out.append((ids, mask))
    return out
