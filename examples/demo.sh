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
ls -l "$OUT/cip/len-0008192"
echo
echo "Where the spans of an interleaved 8K sequence come from ([document, chunk, start, length];"
echo "a document's chunk 1 follows the chunks 0 of the others):"
grep -m 1 '\],\[.*\],\[.*\],\[' "$OUT/cip/len-0008192/part-00000.map.jsonl"
echo
echo "== 4. synl: 40 synthetic long-table questions with exact answers, 4K and 16K tokens"
"$LONGWEAVE" synl -t "$TOK" --seq-len 4k,16k -n 40 --cot --force -o "$OUT/synl"
echo
echo "One of them (the table cut short here), its answer and its meta record:"
head -n 1 "$OUT/synl/chat/part-00000.jsonl" | python3 -c '
import json, sys
s = json.loads(sys.stdin.readline())
user, answer = s["messages"][0]["content"], s["messages"][1]["content"]
print(user[:400] + "\n  [...]\n" + user[user.index("### Question"):])
print("--- assistant:\n" + answer)
m = s["meta"]
print("--- meta:", json.dumps({k: m[k] for k in ("task", "family", "domain", "format", "rows", "tokens", "query", "answer")}))'
echo
echo "== 4b. synl --lang zh: the same tasks in Chinese (4 samples of 4K tokens)"
"$LONGWEAVE" synl -t "$TOK" --lang zh --seq-len 4k -n 4 --cot --tasks lookup,count,group_count \
    --force -o "$OUT/synl-zh"
echo "A counting question with its worked solution (the table cut short here):"
python3 -c '
import json, sys
samples = [json.loads(l) for l in open(sys.argv[1])]
s = next((s for s in samples if s["meta"]["task"] == "count"), samples[0])
user, answer = s["messages"][0]["content"], s["messages"][1]["content"]
print(user[:160] + "\n  [...]\n" + user[user.index("### 问题"):])
print("--- assistant:\n" + answer)
m, keys = s["meta"], ("task", "lang", "query", "answer")
print("--- meta:", json.dumps({k: m[k] for k in keys}, ensure_ascii=False))' \
    "$OUT/synl-zh/chat/part-00000.jsonl"
echo
echo "== 5. needle: RULER-style evaluation set, 4K to 16K tokens, 5 depths, haystack from the sample"
"$LONGWEAVE" needle -t "$TOK" --seq-len 4k,8k,16k --depths 5 --haystack "$HERE/data/sample.jsonl.zst" \
    --force -o "$OUT/eval"
echo
echo "A pass-key sample at depth 0.5 (the haystack cut short here):"
grep -m 1 '"id":"passkey-4096-02-0"' "$OUT/eval/passkey.jsonl" | python3 -c '
import json, sys
r = json.loads(sys.stdin.readline())
t, i = r["input"], r["input"].index("The pass key is")
print(t[:160] + " [...] " + t[i - 80:i + 70] + " [...] " + t[-120:])
print("--- answers:", r["answers"], " tokens:", r["tokens"], " needle at token", r["needle_token_offset"])'
echo
echo "== 5b. needle --lang zh: Chinese templates, the haystack from the multilingual sample"
echo "   (sentences also end at 。！？；)"
"$LONGWEAVE" needle -t "$TOK" --lang zh --seq-len 4k --depths 3 --tasks niah_single,passkey \
    --haystack "$HERE/data/multilingual.jsonl.zst" --force -o "$OUT/eval-zh"
grep -m 1 '"id":"niah_single-4096-01-0"' "$OUT/eval-zh/niah_single.jsonl" | python3 -c '
import json, sys
r = json.loads(sys.stdin.readline())
t = r["input"]
print(t[:120] + " [...] " + t[-160:])
print("--- answers:", r["answers"], " tokens:", r["tokens"], " lang:", r["lang"])'
echo
echo "== 6. score: answers of a stand-in for a model with a 4K-token window (it finds an"
echo "   answer only in the last 16,000 characters; cwe's common words occur there too),"
echo "   a report and the depth x length heatmaps"
for f in "$OUT"/eval/*.jsonl; do
    python3 -c '
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    seen = r["input"][-16000:]
    print(json.dumps({"id": r["id"], "prediction": " ".join(a for a in r["answers"] if a in seen)}))' "$f"
done >"$OUT/predictions.jsonl"
"$LONGWEAVE" score "$OUT/eval" "$OUT/predictions.jsonl" --force -o "$OUT/report"
awk '/^## Task × length/ { on = 1; next } /^## / { on = 0 } on && NF' "$OUT/report/report.md"
ls "$OUT/report"
echo "Open $OUT/report/heatmap-niah_single.svg in a browser for the depth x length picture."
echo
echo "== 7. pack: the SynL samples packed into 16K sequences, each sample weighing the same"
"$LONGWEAVE" pack "$OUT/synl" --seq-len 16k --loss-weighting sample --force -o "$OUT/packed/synl16k"
echo "A trainer reads it with NumPy alone (examples/train_reader.py):"
/usr/bin/python3 -c '
import sys; sys.path.insert(0, sys.argv[1])
from train_reader import open_dataset, batches
tokens, mask = next(batches(open_dataset("megatron", sys.argv[2]), 4))
print("  first batch:", tokens.shape, tokens.dtype, "- trained tokens:", int(mask.sum()))' \
    "$HERE" "$OUT/packed/synl16k"
echo
echo "== 8. inspect and verify: what the CIP output holds; every output against its manifest"
"$LONGWEAVE" inspect "$OUT/cip" | head -n 12
"$LONGWEAVE" verify "$OUT/shards" "$OUT/tokens/llama3" "$OUT/cip" "$OUT/synl" "$OUT/synl-zh" \
    "$OUT/eval" "$OUT/packed/synl16k"
echo
echo "== 9. distributed: step 2 again as 4 parts (--part I/4) run by GNU parallel, then merged"
rm -rf "$OUT/parallel"
"$HERE/parallel.sh" --longweave "$LONGWEAVE" -n 4 tokenize "$OUT/parallel/llama3" -t "$TOK" \
    "$OUT/shards" --append-eod
ls "$OUT/parallel/llama3.parts"
cmp "$OUT/parallel/llama3.bin" "$OUT/tokens/llama3.bin" && cmp "$OUT/parallel/llama3.idx" \
    "$OUT/tokens/llama3.idx" && echo "The merged parts are byte for byte the single run's dataset."
echo
echo "Outputs are in $OUT/ (each manifest lists every file with its sha256)."
