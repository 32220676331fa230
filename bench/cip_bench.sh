#!/bin/sh
# CIP benchmark: `longweave cip` on >= 500M tokens against reading the same
# .bin (cat) plus writing as many bytes (dd, synced), and peak RSS at
# L = 200000. The input is the 50 MB English corpus of tokenize_bench.sh,
# tokenized with Llama 3 and repeated to 37 copies (about 508M tokens).
set -eu
LONGWEAVE=$(cd "$(dirname "${1:-build/longweave}")" && pwd)/$(basename "${1:-build/longweave}")
HERE=$(cd "$(dirname "$0")" && pwd)
FIX=$HERE/../tests/fixtures/tokenizers
WORK=${BENCH_DIR:-${TMPDIR:-/tmp}/longweave-bench}/cip
COPIES=${COPIES:-37}
mkdir -p "$WORK"
cd "$WORK"
ENGLISH=${BENCH_DIR:-${TMPDIR:-/tmp}/longweave-bench}/tokenize/english.jsonl
mkdir -p "$(dirname "$ENGLISH")"
[ -f "$ENGLISH" ] || python3 "$HERE/english_corpus.py" "$WORK/debs" "$ENGLISH" english-lines.txt
[ -f one.idx ] || "$LONGWEAVE" tokenize -t "$FIX/llama3.tiktoken" "$ENGLISH" -o one -q
if [ ! -f big.idx ]; then
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
    cp one.manifest.json big.manifest.json
fi
tokens=$(python3 -c "
import struct
idx = open('big.idx', 'rb').read()
n = struct.unpack_from('<Q', idx, 18)[0]
print(sum(struct.unpack_from(f'<{n}i', idx, 34)))")
bytes=$(stat -c %s big.bin)
sync
t0=$(date +%s.%N); cat big.bin > /dev/null; t1=$(date +%s.%N)
dd if=/dev/zero of=dd.out bs=1M count=$((bytes >> 20)) conv=fsync status=none; t2=$(date +%s.%N)
rm -f dd.out
t_io=$(echo "$t2 - $t0" | bc -l)
t3=$(date +%s.%N)
rss=$(/usr/bin/time -f %M "$LONGWEAVE" cip big --seq-len 200000 -o out --force -q 2>&1 | tail -n 1)
t4=$(date +%s.%N)
t_cip=$(echo "$t4 - $t3" | bc -l)
echo "cip benchmark: $tokens tokens ($((bytes >> 20)) MiB of int32), L = 200000, $(nproc) cores"
printf '  cat + dd of the same bytes: %6.2f s\n' "$t_io"
printf '  longweave cip:              %6.2f s  %.0f Mtokens/s  ratio %.2f (target >= 0.5)\n' \
    "$t_cip" "$(echo "$tokens / $t_cip / 1000000" | bc -l)" "$(echo "$t_io / $t_cip" | bc -l)"
echo "  peak RSS: $((rss / 1024)) MiB (target < 1024)"
rm -rf out
