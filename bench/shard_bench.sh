#!/bin/sh
# Benchmark of `longweave shard -n 8` against `zstd -dc IN | zstd -3 -q > OUT`
# on the same input in the same run, and peak RSS at two input sizes.
#
# The input is the bundled sample corpus repeated (with ids made unique) to
# SIZE_MB of JSON Lines, compressed with zstd -3; a second input 4x larger
# shows whether memory grows with the corpus. Run by hand: make bench.
set -eu
LONGWEAVE=${1:-build/longweave}
SIZE_MB=${SIZE_MB:-100}
THREADS=${THREADS:-2}
WORK=${BENCH_DIR:-${TMPDIR:-/tmp}/longweave-bench}
HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$WORK"

make_corpus() { "$HERE/shard_corpus.sh" "$1" "$2"; } # MB OUT

secs() { # command... -> wall seconds (best of 3)
    best=""
    for _ in 1 2 3; do
        t0=$(date +%s.%N)
        sh -c "$1"
        t1=$(date +%s.%N)
        t=$(echo "$t1 - $t0" | bc -l)
        if [ -z "$best" ] || [ "$(echo "$t < $best" | bc -l)" = 1 ]; then best=$t; fi
    done
    echo "$best"
}

rss_kb() { /usr/bin/time -f %M sh -c "$1" 2>&1 >/dev/null | tail -n 1; }

small=$WORK/corpus-${SIZE_MB}M.jsonl.zst
large=$WORK/corpus-$((SIZE_MB * 4))M.jsonl.zst
make_corpus "$SIZE_MB" "$small"
make_corpus $((SIZE_MB * 4)) "$large"
raw_mb=$(zstd -dcq "$small" | wc -c | awk '{printf "%.1f", $1 / 1048576}')

ref="zstd -dcq '$small' | zstd -3 -q > '$WORK/ref.zst'"
ours="'$LONGWEAVE' shard '$small' -n 8 -j $THREADS --force -q -o '$WORK/out'"
t_ref=$(secs "$ref")
t_ours=$(secs "$ours")
rss_small=$(rss_kb "'$LONGWEAVE' shard '$small' -n 8 -j $THREADS --force -q -o '$WORK/out'")
rss_large=$(rss_kb "'$LONGWEAVE' shard '$large' -n 8 -j $THREADS --force -q -o '$WORK/out'")

echo "shard benchmark: $raw_mb MB of JSON Lines (uncompressed), -n 8, -j $THREADS, $(nproc) cores"
printf '  zstd -dc | zstd -3 : %6.2f s  %7.1f MB/s\n' "$t_ref" "$(echo "$raw_mb / $t_ref" | bc -l)"
printf '  longweave shard    : %6.2f s  %7.1f MB/s\n' "$t_ours" "$(echo "$raw_mb / $t_ours" | bc -l)"
printf '  ratio (ours/ref)   : %6.2f  (target >= 0.5)\n' "$(echo "$t_ref / $t_ours" | bc -l)"
echo "  peak RSS: $((rss_small / 1024)) MiB at ${SIZE_MB} MB input, $((rss_large / 1024)) MiB at $((SIZE_MB * 4)) MB input"
