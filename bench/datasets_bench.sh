#!/bin/sh
# verify / merge / mix benchmark. merge: N copies of the sample corpus's
# Llama 3 dataset joined into one (SMALL and BIG copies), against cat of the
# same .bin files into one file (synced); peak RSS at both sizes. verify:
# the BIG dataset (sha256 of every file and every index and id checked)
# against cat and sha256sum of the same files. mix: two sources at both
# sizes, peak RSS. Page cache warm for every reader alike.
set -eu
LONGWEAVE=$(cd "$(dirname "${1:-build/longweave}")" && pwd)/$(basename "${1:-build/longweave}")
HERE=$(cd "$(dirname "$0")" && pwd)
FIX=$HERE/../tests/fixtures/tokenizers
WORK=${BENCH_DIR:-${TMPDIR:-/tmp}/longweave-bench}/datasets
SMALL=${SMALL:-40}
BIG=${BIG:-160}
mkdir -p "$WORK"
cd "$WORK"
[ -f one.idx ] || "$LONGWEAVE" tokenize -t "$FIX/llama3.tiktoken" \
    "$HERE/../examples/data/sample.jsonl.zst" --append-eod -o one -q
now() { date +%s.%N; }
for copies in "$SMALL" "$BIG"; do
    set --
    for _ in $(seq "$copies"); do set -- "$@" one; done
    t0=$(now)
    rss=$(/usr/bin/time -f %M "$LONGWEAVE" merge "m$copies" "$@" --force -q 2>&1 | tail -n 1)
    t1=$(now)
    for _ in $(seq "$copies"); do cat one.bin; done > cat.out
    sync
    t2=$(now)
    rm -f cat.out
    mib=$(( $(stat -c %s "m$copies.bin") >> 20 ))
    printf 'merge of %d copies (%d MiB): %.2f s (%.0f MiB/s), cat of the same %.2f s (%.0f MiB/s), ratio %.2f; peak RSS %d MiB\n' \
        "$copies" "$mib" "$(echo "$t1 - $t0" | bc -l)" "$(echo "$mib / ($t1 - $t0)" | bc -l)" \
        "$(echo "$t2 - $t1" | bc -l)" "$(echo "$mib / ($t2 - $t1)" | bc -l)" \
        "$(echo "($t2 - $t1) / ($t1 - $t0)" | bc -l)" "$((rss / 1024))"
done
mib=$(( ($(stat -c %s "m$BIG.bin") + $(stat -c %s "m$BIG.idx")) >> 20 ))
cat "m$BIG.bin" "m$BIG.idx" > /dev/null
t0=$(now); cat "m$BIG.bin" "m$BIG.idx" > /dev/null; t1=$(now)
sha256sum "m$BIG.bin" "m$BIG.idx" > /dev/null; t2=$(now)
rss=$(/usr/bin/time -f %M "$LONGWEAVE" verify "m$BIG" -q 2>&1 | tail -n 1); t3=$(now)
printf 'verify of %d MiB: %.2f s (%.0f MiB/s); cat %.2f s (%.0f MiB/s), sha256sum %.2f s (%.0f MiB/s); ratio to cat %.2f; peak RSS %d MiB\n' \
    "$mib" "$(echo "$t3 - $t2" | bc -l)" "$(echo "$mib / ($t3 - $t2)" | bc -l)" \
    "$(echo "$t1 - $t0" | bc -l)" "$(echo "$mib / ($t1 - $t0)" | bc -l)" \
    "$(echo "$t2 - $t1" | bc -l)" "$(echo "$mib / ($t2 - $t1)" | bc -l)" \
    "$(echo "($t1 - $t0) / ($t3 - $t2)" | bc -l)" "$((rss / 1024))"
for copies in "$SMALL" "$BIG"; do
    tokens=$(( copies * 1000000 ))
    t0=$(now)
    rss=$(/usr/bin/time -f %M "$LONGWEAVE" mix --source "m$SMALL:1" --source "m$copies:3" \
          --tokens "$tokens" --upsample -o "mix$copies" --force -q 2>&1 | tail -n 1)
    t1=$(now)
    printf 'mix of %dM tokens from %d + %d copies: %.2f s; peak RSS %d MiB\n' "$((tokens / 1000000))" \
        "$SMALL" "$copies" "$(echo "$t1 - $t0" | bc -l)" "$((rss / 1024))"
done
