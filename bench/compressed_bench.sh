#!/bin/sh
# Benchmark of gzip input (issue 15): `longweave shard IN.jsonl.gz` and a
# read-only pass (every document parsed, then dropped by --min-chars, so
# nothing is written) against `zcat IN > /dev/null` on the same input in the
# same run; prints the ratios (target: shard at >= 0.8x zcat's speed).
#
# The input is the bundled sample corpus repeated to SIZE_MB (default 200)
# of JSON Lines (bench/shard_corpus.sh), recompressed with gzip -6. One run
# of each (this is a shared 2-core machine). Run by hand, not in tests:
#   bench/compressed_bench.sh [build/longweave]
set -eu
LONGWEAVE=${1:-build/longweave}
SIZE_MB=${SIZE_MB:-200}
THREADS=${THREADS:-2}
WORK=${BENCH_DIR:-${TMPDIR:-/tmp}/longweave-bench}
HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$WORK"
ZST="$WORK/corpus-$SIZE_MB.jsonl.zst"
IN="$WORK/corpus-$SIZE_MB.jsonl.gz"
"$HERE/shard_corpus.sh" "$SIZE_MB" "$ZST"
[ -f "$IN" ] || { zstd -dcq "$ZST" | gzip -6 > "$IN.tmp" && mv "$IN.tmp" "$IN"; }
RAW=$(zstd -dcq "$ZST" | wc -c)

secs() { # command -> wall seconds of one run
    t0=$(date +%s.%N)
    sh -c "$1"
    t1=$(date +%s.%N)
    echo "$t1 - $t0" | bc -l
}

rm -rf "$WORK/out-gz" "$WORK/read-gz"
t_zcat=$(secs "zcat '$IN' > /dev/null")
t_shard=$(secs "'$LONGWEAVE' shard '$IN' -n 8 -j $THREADS -q -o '$WORK/out-gz'")
t_read=$(secs "'$LONGWEAVE' shard '$IN' -n 1 -j $THREADS -q --min-chars 1000000000000 -o '$WORK/read-gz'")
rm -rf "$WORK/out-gz" "$WORK/read-gz"

mbs() { echo "scale=1; $RAW / 1000000 / $1" | bc -l; }
printf 'gzip input: %s MB compressed, %s MB of JSON Lines, -j %s\n' \
    "$(echo "scale=1; $(wc -c < "$IN") / 1000000" | bc -l)" "$(echo "scale=1; $RAW / 1000000" | bc -l)" "$THREADS"
printf '%-44s %7.2f s %7s MB/s\n' "zcat IN > /dev/null" "$t_zcat" "$(mbs "$t_zcat")"
printf '%-44s %7.2f s %7s MB/s  %s x zcat\n' "longweave shard IN -n 8 -o OUT" "$t_shard" \
    "$(mbs "$t_shard")" "$(echo "scale=2; $t_zcat / $t_shard" | bc -l)"
printf '%-44s %7.2f s %7s MB/s  %s x zcat\n' "longweave shard IN --min-chars 1e12 (read)" \
    "$t_read" "$(mbs "$t_read")" "$(echo "scale=2; $t_zcat / $t_read" | bc -l)"
