"""A reader of the Megatron-Core indexed dataset written from the published
layout (megatron/core/datasets/indexed_dataset.py, DESIGN.md §3), not from
longweave's C code. Standard library only."""
import struct

MAGIC = b"MMIDIDX\x00\x00"
DTYPES = {8: ("H", 2), 4: ("i", 4)}  # uint16, int32


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
