#!/bin/sh
# SentencePiece BPE benchmark (by hand; figures go in notes, not tests):
# single thread, whole English documents, Llama 2's model.
#  1. longweave's native encoder (the whole `tokenize -j 1` command) against
#     libsentencepiece through Debian's python3-sentencepiece (its Encode on
#     each whole document, encode time only);
#  2. one 2 MB document against the same bytes as 200 documents of 10 KB;
#  3. peak RSS (/usr/bin/time -v) per byte of the 2 MB document.
# English text: the tokenizer benchmark's corpus (english_corpus.py), its
# first SPM_BENCH_MB (default 10) MB.
set -eu
LONGWEAVE=$(cd "$(dirname "${1:-build/longweave}")" && pwd)/$(basename "${1:-build/longweave}")
HERE=$(cd "$(dirname "$0")" && pwd)
MODEL=${SPM_MODEL:-$HERE/../tests/fixtures/tokenizers/llama2-equivalent.model}
WORK=${BENCH_DIR:-${TMPDIR:-/tmp}/longweave-bench}/spm
MB=${SPM_BENCH_MB:-10}
mkdir -p "$WORK"
cd "$WORK"
PY=python3
python3 -c 'import sentencepiece' 2>/dev/null || PY=/usr/bin/python3
$PY -c 'import sentencepiece' || { echo "needs python3-sentencepiece (apt-get install python3-sentencepiece)"; exit 1; }

ENGLISH=${ENGLISH:-$WORK/../tokenize/english.jsonl}
[ -f "$ENGLISH" ] || { mkdir -p "$(dirname "$ENGLISH")"; python3 "$HERE/english_corpus.py" "$WORK/debs" "$ENGLISH" "$WORK/english-lines.txt"; }
# the corpus cut to $MB MB of whole documents; one 2 MB document of its text
# and the same bytes as 200 documents of 10 KB (cut at spaces)
$PY - "$ENGLISH" "$MB" <<'PY'
import json, sys
src, mb = sys.argv[1], float(sys.argv[2])
docs, size = [], 0
for line in open(src, encoding="utf-8"):
    t = json.loads(line)["text"]
    docs.append(t); size += len(t.encode())
    if size >= mb * 1e6: break
with open("english.jsonl", "w", encoding="utf-8") as f:
    for t in docs: f.write(json.dumps({"text": t}, ensure_ascii=False) + "\n")
big = "\n\n".join(docs).encode()[:2_000_000].decode("utf-8", "ignore")
with open("one2mb.jsonl", "w", encoding="utf-8") as f:
    f.write(json.dumps({"text": big}, ensure_ascii=False) + "\n")
with open("small200.jsonl", "w", encoding="utf-8") as f:
    b = big.encode(); at = 0
    for i in range(200):
        end = len(b) if i == 199 else min(len(b), (i + 1) * 10_000)
        while end < len(b) and b[end] != 0x20: end += 1
        f.write(json.dumps({"text": b[at:end].decode()}, ensure_ascii=False) + "\n"); at = end
PY

best() { # best wall seconds of 3 runs of "$@"
    b=""
    for _ in 1 2 3; do
        t0=$(date +%s.%N); "$@" >/dev/null 2>&1; t1=$(date +%s.%N)
        t=$(echo "$t1 - $t0" | bc -l)
        if [ -z "$b" ] || [ "$(echo "$t < $b" | bc -l)" = 1 ]; then b=$t; fi
    done
    echo "$b"
}
lib() { # best of 3 encode-only seconds of libsentencepiece on a file's documents
    $PY - "$MODEL" "$1" <<'PY'
import json, sys, time
import sentencepiece as spm
sp = spm.SentencePieceProcessor(model_file=sys.argv[1])
docs = [json.loads(l)["text"] for l in open(sys.argv[2], encoding="utf-8")]
b = None
for _ in range(3):
    t0 = time.perf_counter()
    for d in docs: sp.encode(d)
    t = time.perf_counter() - t0
    b = t if b is None or t < b else b
print(b)
PY
}
mb() { python3 -c "import json,sys; print(sum(len(json.loads(l)['text'].encode()) for l in open(sys.argv[1], encoding='utf-8'))/1e6)" "$1"; }
tok() { "$LONGWEAVE" tokenize -t "$MODEL" "$1" -j 1 -o "out/$(basename "$1" .jsonl)" --force -q; }
rate() { printf '%.2f' "$(echo "$1 / $2" | bc -l)"; }

size=$(mb english.jsonl)
n=$(wc -l < english.jsonl)
echo "SentencePiece BPE ($(basename "$MODEL")), single thread, best of 3"
a=$(lib english.jsonl)
b=$(best tok english.jsonl)
echo "english, $n whole documents, $size MB: libsentencepiece $(rate "$size" "$a") MB/s, longweave $(rate "$size" "$b") MB/s (ratio $(printf '%.2f' "$(echo "$a / $b" | bc -l)"))"
s1=$(best tok one2mb.jsonl)
s200=$(best tok small200.jsonl)
l1=$(lib one2mb.jsonl)
l200=$(lib small200.jsonl)
echo "one 2 MB document / 200 x 10 KB: longweave $(printf '%.3f' "$s1") s / $(printf '%.3f' "$s200") s (ratio $(printf '%.2f' "$(echo "$s1 / $s200" | bc -l)")); libsentencepiece $(printf '%.3f' "$l1") s / $(printf '%.3f' "$l200") s (ratio $(printf '%.2f' "$(echo "$l1 / $l200" | bc -l)"))"
printf '{"text": "x"}\n' > tiny.jsonl
r0=$(/usr/bin/time -v "$LONGWEAVE" tokenize -t "$MODEL" tiny.jsonl -j 1 -o out/tiny --force -q 2>&1 | awk '/Maximum resident/ {print $6}')
r1=$(/usr/bin/time -v "$LONGWEAVE" tokenize -t "$MODEL" one2mb.jsonl -j 1 -o out/one2mb --force -q 2>&1 | awk '/Maximum resident/ {print $6}')
big=$(stat -c %s one2mb.jsonl)
echo "peak RSS: $r1 KiB for the 2 MB document, $r0 KiB for a 1-byte one: $(printf '%.1f' "$(echo "($r1 - $r0) * 1024 / $big" | bc -l)") bytes per byte of document above the loaded tokenizer ($(printf '%.1f' "$(echo "$r1 * 1024 / $big" | bc -l)") in all)"
