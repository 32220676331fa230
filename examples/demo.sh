#!/bin/sh
# The whole pipeline on the bundled sample corpus. Stages are added here as
# they are built; outputs go to build/demo/ (re-running replaces them).
set -eu
LONGWEAVE=${1:-build/longweave}
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${DEMO_OUT:-build/demo}
mkdir -p "$OUT"

echo "== 1. shard: raw corpus -> 8 clean, deduplicated .jsonl.zst shards"
"$LONGWEAVE" shard "$HERE/data/sample.jsonl.zst" "$HERE/data/multilingual.jsonl.zst" \
    -n 8 --dedup --min-chars 20 --force -o "$OUT/shards"
ls -l "$OUT/shards"
echo
echo "First record of shard 0 (text cut to 200 characters):"
zstd -dcq "$OUT/shards/shard-00000.jsonl.zst" | head -n 1 | cut -c 1-200
echo
echo "== 2. tokenize: shards -> Megatron token dataset with the Llama 3 tokenizer"
TOK="$HERE/../tests/fixtures/tokenizers/llama3.tiktoken"
"$LONGWEAVE" tokenize -t "$TOK" "$OUT/shards" --append-eod --force -o "$OUT/tokens/llama3"
ls -l "$OUT/tokens"
echo
echo "Sequence 0 decoded back to text (first 200 bytes):"
"$LONGWEAVE" decode "$OUT/tokens/llama3" --index 0 | head -c 200
echo
echo
echo "== 3. cip: chunk-interleaved sequences of 8K and 32K tokens (CIP-2), half the tokens each"
"$LONGWEAVE" cip "$OUT/tokens/llama3" --seq-len 8k,32k --length-mix 1,1 --force -o "$OUT/cip"
ls -l "$OUT/cip/cip/len-0008192"
echo
echo "Where the spans of an interleaved 8K sequence come from ([document, chunk, start, length];"
echo "a document's chunk 1 follows the chunks 0 of the others):"
grep -m 1 '\],\[.*\],\[.*\],\[' "$OUT/cip/cip/len-0008192/part-00000.map.jsonl"
echo
echo "== 4. synl: 40 synthetic long-table questions with exact answers, 4K and 16K tokens"
"$LONGWEAVE" synl -t "$TOK" --seq-len 4k,16k -n 40 --cot --force -o "$OUT/synl"
echo
echo "One of them (the table cut short here), its answer and its meta record:"
head -n 1 "$OUT/synl/synl/chat/part-00000.jsonl" | python3 -c '
import json, sys
s = json.loads(sys.stdin.readline())
user, answer = s["messages"][0]["content"], s["messages"][1]["content"]
print(user[:400] + "\n  [...]\n" + user[user.index("### Question"):])
print("--- assistant:\n" + answer)
m = s["meta"]
print("--- meta:", json.dumps({k: m[k] for k in ("task", "family", "domain", "format", "rows", "tokens", "query", "answer")}))'
echo
echo "Outputs are in $OUT/ (each manifest lists every file with its sha256)."
