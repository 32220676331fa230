#!/bin/sh
# Soak benchmark: the whole pipeline (shard -> tokenize -> cip, and synl) at
# -j 2 on real text (bench/soak_corpus.py: sources, docs and HTML installed
# on the machine), at SIZE MB and at SIZE/4 MB, reporting per stage the
# wall time, throughput and peak RSS (GNU time). RSS that stays flat while
# the input grows 4x shows that memory does not grow with the corpus.
#   bench/soak.sh [LONGWEAVE] [SIZE_MB, default 1024]
# Needs about 3 x SIZE of disk under BENCH_DIR (default /tmp/longweave-bench).
set -eu
LONGWEAVE=$(cd "$(dirname "${1:-build/longweave}")" && pwd)/$(basename "${1:-build/longweave}")
SIZE=${2:-1024}
HERE=$(cd "$(dirname "$0")" && pwd)
TOK=$HERE/../tests/fixtures/tokenizers/llama3.tiktoken
WORK=${BENCH_DIR:-${TMPDIR:-/tmp}/longweave-bench}/soak
mkdir -p "$WORK"
cd "$WORK"
now() { date +%s.%N; }
# stage NAME UNITS COMMAND...: run, print seconds, throughput, peak RSS
stage() {
    name=$1 units=$2
    shift 2
    t0=$(now)
    rss=$(/usr/bin/time -f %M "$LONGWEAVE" "$@" -q 2>&1 | tail -n 1)
    t1=$(now)
    awk -v n="$name" -v u="$units" -v a="$t0" -v b="$t1" -v r="$rss" -v s="$size" 'BEGIN {
        t = b - a; split(u, x, " ");
        printf "  %-5s %5d MB  %7.1f s  %9.1f %-9s  peak RSS %6.1f MiB\n",
               n, s, t, x[1] / t, x[2], r / 1024 }'
}
if [ ! -f "corpus-$SIZE/.done" ]; then
    rm -rf "corpus-$SIZE"
    python3 "$HERE/soak_corpus.py" "corpus-$SIZE" "$SIZE"
    touch "corpus-$SIZE/.done"
fi
# the small run reads every 4th document of the big one: the same mix of
# document sizes, so a difference in memory is the corpus size's doing
small=$((SIZE / 4))
if [ ! -f "corpus-$small/.done" ]; then
    rm -rf "corpus-$small"
    mkdir -p "corpus-$small"
    for f in "corpus-$SIZE"/*.jsonl; do
        awk 'NR % 4 == 1' "$f" >"corpus-$small/$(basename "$f")"
    done
    touch "corpus-$small/.done"
fi
for size in "$small" "$SIZE"; do
    mb=$(du -sm "corpus-$size" | cut -f1)
    echo "soak: $size MB of text ($mb MB of JSON Lines), -j 2"
    stage shard "$mb MB/s" shard "corpus-$size" -n 16 -j 2 -o "shards-$size" --force
    stage tok "$mb MB/s" tokenize -t "$TOK" "shards-$size" --append-eod -j 2 -o "tok-$size/ll" \
        --force
    tokens=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['stats']['tokens'])" \
        "tok-$size/ll.manifest.json")
    stage cip "$((tokens / 1000000)) Mtok/s" cip "tok-$size/ll" --seq-len 8k,32k,128k -j 2 \
        -o "cip-$size" --force
    stage synl "$((size * 2)) samples/s" synl -t "$TOK" -n "$((size * 2))" --seq-len 8k,32k -j 2 \
        -o "synl-$size" --force
    "$LONGWEAVE" verify "cip-$size" -q && "$LONGWEAVE" verify "tok-$size/ll" -q
done
