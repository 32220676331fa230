#!/bin/sh
# The token dataset cip_bench.sh and output_bench.sh read: the 50 MB English
# corpus of tokenize_bench.sh tokenized with Llama 3 (int32 ids) and repeated
# COPIES times (37: about 508M tokens) as WORK/big.{bin,idx}, built once per
# COPIES (WORK/big.copies records which).
# usage: cip_dataset.sh LONGWEAVE WORK COPIES
set -eu
LONGWEAVE=$1
WORK=$2
COPIES=$3
HERE=$(cd "$(dirname "$0")" && pwd)
FIX=$HERE/../tests/fixtures/tokenizers
mkdir -p "$WORK"
cd "$WORK"
ENGLISH=${BENCH_DIR:-${TMPDIR:-/tmp}/longweave-bench}/tokenize/english.jsonl
mkdir -p "$(dirname "$ENGLISH")"
[ -f "$ENGLISH" ] || python3 "$HERE/english_corpus.py" "$WORK/debs" "$ENGLISH" english-lines.txt
[ -f one.idx ] || "$LONGWEAVE" tokenize -t "$FIX/llama3.tiktoken" "$ENGLISH" -o one -q
if [ ! -f big.idx ] || [ "$(cat big.copies 2>/dev/null)" != "$COPIES" ]; then
    rm -f big.idx big.copies
    for _ in $(seq "$COPIES"); do cat one.bin; done > big.bin
    python3 - "$COPIES" <<'PY'
import struct, sys
copies = int(sys.argv[1])
idx = open("one.idx", "rb").read()
dtype = idx[17]
n, d = struct.unpack_from("<QQ", idx, 18)
lengths = struct.unpack_from(f"<{n}i", idx, 34)
size = 2 if dtype == 8 else 4
with open("big.idx", "wb") as f:
    f.write(idx[:17] + bytes([dtype]) + struct.pack("<QQ", n * copies, n * copies + 1))
    for _ in range(copies):
        f.write(struct.pack(f"<{n}i", *lengths))
    off = 0
    for _ in range(copies):
        ptrs = []
        for l in lengths:
            ptrs.append(off)
            off += l * size
        f.write(struct.pack(f"<{n}q", *ptrs))
    f.write(struct.pack(f"<{n * copies + 1}q", *range(n * copies + 1)))
PY
    # the manifest of big: one's tokenizer, and big's own dataset and files
    # (what a manifest lists is the dataset that cip reads)
    python3 - "$COPIES" <<'PY'
import json, os, sys
copies = int(sys.argv[1])
m = json.load(open("one.manifest.json"))
d = m["datasets"][0]
d.update(prefix="big", sequences=d["sequences"] * copies, tokens=d["tokens"] * copies)
m["files"] = [{"path": "big" + ext, "bytes": os.path.getsize("big" + ext), "dataset": "big",
               "role": "data"} for ext in (".bin", ".idx")]
json.dump(m, open("big.manifest.json", "w"), indent=1)
PY
    echo "$COPIES" > big.copies
fi
