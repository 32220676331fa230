#!/bin/sh
# The output path's cost (issue 12), each figure the best of RUNS runs (the two
# commands of a comparison run in turn):
#  * cip from a token dataset (cip_dataset.sh, COPIES copies of the English
#    corpus in Llama 3 ids; 37: about 508M tokens) at L = 200000, against the
#    I/O floor: cat of the input .bin plus dd, with conv=fsync, of as many
#    bytes as cip writes (its ids, loss mask, index and map; target: cip <=
#    1.5x the floor);
#  * shard -n 8 -j 2 of SIZE_MB of JSON Lines (shard_corpus.sh) against
#    `zstd -dc IN | zstd -3 -q > OUT` of the same input (target: ratio >= 1,
#    the round trip's time over shard's).
# usage: output_bench.sh [LONGWEAVE]; COPIES=8 RUNS=1 for a quick look.
set -eu
LONGWEAVE=$(cd "$(dirname "${1:-build/longweave}")" && pwd)/$(basename "${1:-build/longweave}")
HERE=$(cd "$(dirname "$0")" && pwd)
BASE=${BENCH_DIR:-${TMPDIR:-/tmp}/longweave-bench}
COPIES=${COPIES:-37}
SIZE_MB=${SIZE_MB:-100}
RUNS=${RUNS:-3}
THREADS=${THREADS:-2}

timed() { # command [setup] -> wall seconds of one run (setup untimed)
    sh -c "${2:-true}"
    sync
    t0=$(date +%s.%N)
    sh -c "$1"
    t1=$(date +%s.%N)
    echo "$t1 - $t0" | bc -l
}

min() { if [ -z "$1" ] || [ "$(echo "$2 < $1" | bc -l)" = 1 ]; then echo "$2"; else echo "$1"; fi; }

# The two commands of a comparison run in turn, RUNS times each, and each
# keeps its best: drift of a shared machine then falls on both alike.
# -> "best-of-A best-of-B"
pair() { # commandA setupA commandB setupB
    a="" b=""
    for _ in $(seq "$RUNS"); do
        a=$(min "$a" "$(timed "$1" "$2")")
        b=$(min "$b" "$(timed "$3" "$4")")
    done
    echo "$a $b"
}

CIP=$BASE/cip
"$HERE/cip_dataset.sh" "$LONGWEAVE" "$CIP" "$COPIES"
bytes=$(stat -c %s "$CIP/big.bin")
# fresh output files each time: replacing the last run's 0.5 GB files would
# add their deletion to the time
# cip's output size, for the floor to write as many bytes
"$LONGWEAVE" cip "$CIP/big" --seq-len 200000 -o "$CIP/out" --force -q
out_mb=$(du -sm --apparent-size "$CIP/out" | cut -f1)
rm -rf "$CIP/out"
set -- $(pair "'$LONGWEAVE' cip '$CIP/big' --seq-len 200000 -o '$CIP/out' --force -q" \
    "rm -rf '$CIP/out'" \
    "cat '$CIP/big.bin' > /dev/null &&
    dd if=/dev/zero of='$CIP/dd.out' bs=1M count=$out_mb conv=fsync status=none" \
    "rm -f '$CIP/dd.out'")
t_cip=$1 t_floor=$2
rm -rf "$CIP/out"
rm -f "$CIP/dd.out"

small=$BASE/corpus-${SIZE_MB}M.jsonl.zst
"$HERE/shard_corpus.sh" "$SIZE_MB" "$small"
raw_mb=$(zstd -dcq "$small" | wc -c | awk '{printf "%.1f", $1 / 1048576}')
set -- $(pair "zstd -dcq '$small' | zstd -3 -q > '$BASE/ref.zst'" "rm -f '$BASE/ref.zst'" \
    "'$LONGWEAVE' shard '$small' -n 8 -j $THREADS --force -q -o '$BASE/out'" \
    "rm -rf '$BASE/out'")
t_ref=$1 t_shard=$2
rm -rf "$BASE/ref.zst" "$BASE/out"

echo "output benchmark, $(nproc) cores, best of $RUNS"
echo "cip of $((bytes >> 20)) MiB of int32 ids ($COPIES copies), L = 200000 ($out_mb MB written):"
printf '  cat + dd conv=fsync of as many bytes:  %6.2f s\n' "$t_floor"
printf '  longweave cip:                         %6.2f s  %.2fx the floor (target <= 1.5)\n' \
    "$t_cip" "$(echo "$t_cip / $t_floor" | bc -l)"
echo "shard of $raw_mb MB of JSON Lines, -n 8 -j $THREADS:"
printf '  zstd -dc | zstd -3: %6.2f s\n' "$t_ref"
printf '  longweave shard:    %6.2f s  ratio %.2f (round trip / shard, target >= 1)\n' \
    "$t_shard" "$(echo "$t_ref / $t_shard" | bc -l)"
