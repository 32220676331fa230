#!/bin/sh
# Byte-level BPE (cl100k_base) against native tiktoken (npm tiktoken-node,
# encode of whole documents, as bench/tiktoken_bench.js does), single
# thread, same texts, runs interleaved and best of each; then the whole
# `tokenize` command at -j 1 and -j 2. Run by hand; figures go in notes.
#   bench/bpe_bench.sh [build/longweave] [rounds]
# English/code: the corpus of tokenize_bench.sh (english_corpus.py: Linux
# kernel and Perl documentation) when present, else examples/data/sample.
# (EN_JSONL=FILE: another). Chinese: the Chinese documents of examples/data. tiktoken-node comes from
# $LONGWEAVE_NODE_MODULES (default: what scripts/npm_deps.sh installs).
set -eu
LONGWEAVE=$(cd "$(dirname "${1:-build/longweave}")" && pwd)/$(basename "${1:-build/longweave}")
ROUNDS=${2:-3}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$HERE/..
BUILD=$(dirname "$LONGWEAVE")
FIX=$ROOT/tests/fixtures/tokenizers
WORK=${BENCH_DIR:-${TMPDIR:-/tmp}/longweave-bench}/bpe
mkdir -p "$WORK"
NM=${LONGWEAVE_NODE_MODULES:-$("$ROOT/scripts/npm_deps.sh")}

cc -std=c11 -O2 -D_GNU_SOURCE -I"$ROOT/include" -o "$WORK/bpe_encode_bench" \
    "$HERE/bpe_encode_bench.c" "$BUILD/liblongweave.a" -fopenmp -pthread \
    $(make -s -C "$ROOT" print-libs)

EN=${EN_JSONL:-${BENCH_DIR:-${TMPDIR:-/tmp}/longweave-bench}/tokenize/english.jsonl}
if [ ! -f "$EN" ]; then
    EN=$WORK/english.jsonl
    zstd -dcq "$ROOT/examples/data/sample.jsonl.zst" | python3 -c '
import json, sys
for l in sys.stdin:
    d = json.loads(l)
    if not d.get("source", "").startswith("zh"):
        print(json.dumps({"text": d["text"]}, ensure_ascii=False))' > "$EN"
fi
ZH=$WORK/chinese.jsonl
zstd -dcq "$ROOT/examples/data/multilingual.jsonl.zst" "$ROOT/examples/data/sample.jsonl.zst" |
    python3 -c '
import json, sys
for l in sys.stdin:
    d = json.loads(l)
    if d.get("source", "").startswith("zh"):
        print(json.dumps({"text": d["text"]}, ensure_ascii=False))' > "$ZH"

for corpus in "$EN" "$ZH"; do
    echo "== $(basename "$corpus"), $ROUNDS rounds interleaved (best of each run shown)"
    for _ in $(seq "$ROUNDS"); do
        TIKTOKEN_RUNS=3 NODE_PATH=$NM node "$HERE/tiktoken_bench.js" native "$corpus" cl100k_base
        "$WORK/bpe_encode_bench" "$FIX/cl100k_base.tiktoken" "$corpus" 3
        "$WORK/bpe_encode_bench" "$FIX/cl100k_base.tiktoken" "$corpus" 3 pcre2
    done
done

echo "== tokenize, whole command, $(basename "$EN") (wall seconds)"
for _ in $(seq "$ROUNDS"); do
    for j in 1 2; do
        t0=$(date +%s.%N)
        "$LONGWEAVE" tokenize -t "$FIX/cl100k_base.tiktoken" "$EN" -j $j -o "$WORK/out$j" \
            --force -q
        t1=$(date +%s.%N)
        echo "-j $j: $(echo "$t1 - $t0" | bc -l | cut -c1-6) s"
    done
done
