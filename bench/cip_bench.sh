#!/bin/sh
# CIP benchmark: `longweave cip` on >= 500M tokens against reading the same
# .bin (cat) plus writing as many bytes (dd, synced), and peak RSS at
# L = 200000. The input is the 50 MB English corpus of tokenize_bench.sh,
# tokenized with Llama 3 and repeated to 37 copies (about 508M tokens).
set -eu
LONGWEAVE=$(cd "$(dirname "${1:-build/longweave}")" && pwd)/$(basename "${1:-build/longweave}")
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=${BENCH_DIR:-${TMPDIR:-/tmp}/longweave-bench}/cip
COPIES=${COPIES:-37}
"$HERE/cip_dataset.sh" "$LONGWEAVE" "$WORK" "$COPIES"
cd "$WORK"
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
