#!/bin/sh
# The input of shard_bench.sh and output_bench.sh: the bundled sample corpus
# repeated (with ids made unique) to MB megabytes of JSON Lines, compressed
# with zstd -3; built once.
# usage: shard_corpus.sh MB OUT.jsonl.zst
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
[ -f "$2" ] && exit 0
python3 - "$1" "$HERE/../examples/data/sample.jsonl.zst" "$HERE/../examples/data/multilingual.jsonl.zst" <<'PY' | zstd -3 -q -T1 -o "$2.tmp"
import json, subprocess, sys
target = int(sys.argv[1]) << 20
lines = []
for path in sys.argv[2:]:
    lines += subprocess.run(["zstd", "-dcq", path], capture_output=True, check=True).stdout.splitlines()
out = sys.stdout.buffer
written, rep = 0, 0
while written < target:
    for line in lines:
        rec = json.loads(line)
        rec["id"] = f"{rec['id']}#{rep}"
        data = (json.dumps(rec, ensure_ascii=False) + "\n").encode()
        out.write(data)
        written += len(data)
        if written >= target:
            break
    rep += 1
PY
mv "$2.tmp" "$2"
