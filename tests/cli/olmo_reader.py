"""A reader of OLMo-core's numpy token files written from OLMo-core's source
(allenai/OLMo-core src/olmo_core/data/numpy_dataset.py and utils.py), not
from longweave's C code, run with Debian's python3-numpy:

    python3 olmo_reader.py PATH.npy VOCAB_SIZE [--mask MASK.npy] [--eos ID]
                           [--seq-len L]

It prints JSON: the dtype OLMo-core picks, the documents of the metadata
file (iter_document_indices on a remote path: PATH with .npy replaced by
.csv.gz, `start, end, *_ = line.split(",")`, bounds-checked) as token and
mask lists, the documents found by EOS (the same function on a local path),
and with --seq-len the instances NumpyFSLDataset reads (index * L ...)."""
import gzip
import json
import os
import sys

import numpy as np


def get_dtype(vocab_size):
    # NumpyDatasetConfig.get_dtype: the first of uint8..uint64 holding vocab_size - 1
    for dtype in (np.uint8, np.uint16, np.uint32, np.uint64):
        if (vocab_size - 1) <= np.iinfo(dtype).max:
            return dtype
    raise ValueError("vocab size too big!")


def metadata_documents(data_path, dtype):
    metadata_path = os.path.join(os.path.dirname(data_path),
                                 os.path.basename(data_path).replace(".npy", ".csv.gz"))
    total_tokens = os.path.getsize(data_path) // dtype(0).itemsize
    with gzip.open(metadata_path, "rt") as f:
        for line in f:
            start_index_str, end_index_str, *_ = line.split(",")
            start_index, end_index = int(start_index_str), int(end_index_str)
            if start_index >= total_tokens:
                raise RuntimeError(f"Document start index {start_index} is out-of-bounds")
            if end_index > total_tokens:
                raise RuntimeError(f"Document end index {end_index} is out-of-bounds")
            yield start_index, end_index


def eos_documents(data_path, dtype, eos_token_id):
    mmap = np.memmap(data_path, mode="r", dtype=dtype)
    start_idx = 0
    for idx in (mmap == eos_token_id).nonzero()[0]:
        end_idx = int(idx) + 1
        yield start_idx, end_idx
        start_idx = end_idx


def main():
    args = sys.argv[1:]
    path, vocab = args[0], int(args[1])
    opt = {args[i]: args[i + 1] for i in range(2, len(args), 2)}
    dtype = get_dtype(vocab)
    tokens = np.memmap(path, mode="r", dtype=dtype) if os.path.getsize(path) else \
        np.zeros(0, dtype=dtype)
    mask = None
    if "--mask" in opt:
        # _sizes_and_offsets: the mask file must hold as many np.bool_ as the array ids
        size = os.path.getsize(opt["--mask"]) // np.bool_(True).itemsize
        if size != len(tokens):
            raise RuntimeError(f"mismatch between size of source file ({len(tokens)}) and "
                               f"size of corresponding label mask file ({size})")
        mask = np.memmap(opt["--mask"], mode="r", dtype=np.bool_) if size else \
            np.zeros(0, dtype=np.bool_)

    def part(s, e):
        return {"ids": tokens[s:e].astype(np.int64).tolist(),
                "mask": None if mask is None else mask[s:e].astype(np.uint8).tolist()}

    out = {"dtype": np.dtype(dtype).name, "tokens": int(len(tokens)),
           "rows": [line.rstrip("\n").split(",") for line in
                    gzip.open(path.replace(".npy", ".csv.gz"), "rt")],
           "documents": [part(s, e) for s, e in metadata_documents(path, dtype)]}
    if "--eos" in opt:
        out["eos_documents"] = [part(s, e) for s, e in
                                eos_documents(path, dtype, int(opt["--eos"]))]
    if "--seq-len" in opt:
        L = int(opt["--seq-len"])
        # _get_file_size_and_length: file_size // (item_size * L) instances
        n = os.path.getsize(path) // (dtype(0).itemsize * L)
        out["instances"] = [part(i * L, i * L + L) for i in range(n)]
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
