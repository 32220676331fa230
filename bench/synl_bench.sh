#!/bin/sh
# SynL benchmark: samples/s of `longweave synl` at 32K tokens, and its time
# against `longweave tokenize` of the same texts (target <= 1.5), single
# thread, best of 3.
set -eu
LONGWEAVE=$(cd "$(dirname "${1:-build/longweave}")" && pwd)/$(basename "${1:-build/longweave}")
HERE=$(cd "$(dirname "$0")" && pwd)
TOK=$HERE/../tests/fixtures/tokenizers/llama3.tiktoken
WORK=${BENCH_DIR:-${TMPDIR:-/tmp}/longweave-bench}/synl
N=${N:-64}
mkdir -p "$WORK"
cd "$WORK"

best() {
    b=""
    for _ in 1 2 3; do
        t0=$(date +%s.%N); "$@" >/dev/null 2>&1; t1=$(date +%s.%N)
        t=$(echo "$t1 - $t0" | bc -l)
        if [ -z "$b" ] || [ "$(echo "$t < $b" | bc -l)" = 1 ]; then b=$t; fi
    done
    echo "$b"
}

t_synl=$(best "$LONGWEAVE" synl -t "$TOK" --seq-len 32k -n "$N" --cot -j 1 -o out --force -q)
python3 - <<'PY'
import json
with open("texts.jsonl", "w") as out:
    for line in open("out/chat/part-00000.jsonl"):
        msgs = json.loads(line)["messages"]
        out.write(json.dumps({"text": "".join(m["content"] for m in msgs)}) + "\n")
PY
t_tok=$(best "$LONGWEAVE" tokenize -t "$TOK" texts.jsonl -j 1 -o tok --force -q)
echo "synl benchmark: $N samples of 32K tokens (Llama 3), one thread"
printf '  synl:     %6.2f s  %.1f samples/s\n' "$t_synl" "$(echo "$N / $t_synl" | bc -l)"
printf '  tokenize of the same texts: %6.2f s\n' "$t_tok"
printf '  ratio:    %6.2f (target <= 1.5)\n' "$(echo "$t_synl / $t_tok" | bc -l)"
