#!/bin/sh
# Benchmark of `longweave shard x.parquet` against DuckDB converting the same
# file to JSON Lines (`COPY (SELECT * FROM 'x.parquet') TO 'x.jsonl'`, npm
# @duckdb/node-api) in the same run, with the same thread count (1, and the
# machine's cores), and peak RSS (memory is bounded by the largest row group).
#
# The Parquet file is written by DuckDB (zstd, row groups of 2048 rows) from
# the bundled sample corpus repeated to SIZE_MB of JSON Lines (shard_corpus.sh).
# A second line per thread count has DuckDB write zstd JSON Lines, as shard
# does. Run by hand: bench/parquet_bench.sh [build/longweave].
set -eu
LONGWEAVE=${1:-build/longweave}
SIZE_MB=${SIZE_MB:-240}
WORK=${BENCH_DIR:-${TMPDIR:-/tmp}/longweave-bench}
HERE=$(cd "$(dirname "$0")" && pwd)
CORES=$(nproc)
mkdir -p "$WORK"
NM=$("$HERE/../scripts/npm_deps.sh")
ln -sfn "$NM" "$WORK/node_modules"

jsonl=$WORK/corpus-${SIZE_MB}M.jsonl.zst
pq=$WORK/corpus-${SIZE_MB}M.parquet
pq_big=$WORK/corpus-${SIZE_MB}M-rg8192.parquet
"$HERE/shard_corpus.sh" "$SIZE_MB" "$jsonl"

cat >"$WORK/duckdb.mjs" <<'JS'
import { DuckDBInstance } from '@duckdb/node-api';
const [sql, threads] = process.argv.slice(2);
const inst = await DuckDBInstance.create(':memory:', threads ? { threads } : {});
const c = await inst.connect();
const t0 = process.hrtime.bigint();
await c.run(sql);
console.log(Number(process.hrtime.bigint() - t0) / 1e9);
JS
duck() { node "$WORK/duckdb.mjs" "$@"; } # SQL [THREADS] -> seconds inside DuckDB

# The corpus repeats the sample's texts: the id goes in front of each text so
# that no two are equal (else DuckDB writes them as a small dictionary).
if [ ! -f "$pq_big" ]; then
    zstd -dcq "$jsonl" >"$WORK/src.jsonl"
    for rg in 2048 8192; do
        out=$pq
        [ "$rg" = 2048 ] || out=$pq_big
        duck "COPY (SELECT id, id || ' ' || text AS text, source FROM read_json('$WORK/src.jsonl', format = 'newline_delimited')) TO '$out.tmp' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE $rg)" >/dev/null
        mv "$out.tmp" "$out"
    done
    rm -f "$WORK/src.jsonl"
fi

secs() { # command -> wall seconds (best of 2)
    best=""
    for _ in 1 2; do
        t0=$(date +%s.%N)
        sh -c "$1"
        t1=$(date +%s.%N)
        t=$(echo "$t1 - $t0" | bc -l)
        if [ -z "$best" ] || [ "$(echo "$t < $best" | bc -l)" = 1 ]; then best=$t; fi
    done
    echo "$best"
}
rss_kb() { /usr/bin/time -f %M sh -c "$1" 2>&1 >/dev/null | tail -n 1; }

text_mb=$(zstd -dcq "$jsonl" | wc -c | awk '{printf "%.1f", $1 / 1048576}') # about
pq_mb=$(wc -c <"$pq" | awk '{printf "%.1f", $1 / 1048576}')
largest() { # FILE -> bytes of its largest row group, compressed
    duck "COPY (SELECT max(s) AS m FROM (SELECT row_group_id, sum(total_compressed_size) AS s FROM parquet_metadata('$1') GROUP BY row_group_id)) TO '$WORK/rg.csv' (HEADER false)" >/dev/null
    cat "$WORK/rg.csv"
}

echo "parquet benchmark: $pq_mb MB Parquet (zstd) holding $text_mb MB of JSON Lines, $CORES cores"
for th in 1 "$CORES"; do
    ours="'$LONGWEAVE' shard '$pq' -n 8 -j $th --force -q -o '$WORK/pq-out'"
    ref="node '$WORK/duckdb.mjs' \"COPY (SELECT * FROM '$pq') TO '$WORK/duck.jsonl'\" $th >/dev/null"
    t_ref=$(secs "$ref")
    t_ours=$(secs "$ours")
    # like for like: shard's output is zstd-compressed JSON Lines
    refz="node '$WORK/duckdb.mjs' \"COPY (SELECT * FROM '$pq') TO '$WORK/duck.jsonl.zst' (FORMAT json, COMPRESSION zstd)\" $th >/dev/null"
    t_refz=$(secs "$refz")
    printf '  %d thread(s): DuckDB COPY TO jsonl %6.2f s %7.1f MB/s | longweave shard %6.2f s %7.1f MB/s | ratio %.2f (target >= 0.7)\n' \
        "$th" "$t_ref" "$(echo "$text_mb / $t_ref" | bc -l)" "$t_ours" "$(echo "$text_mb / $t_ours" | bc -l)" \
        "$(echo "$t_ref / $t_ours" | bc -l)"
    printf '  %d thread(s): DuckDB COPY TO jsonl.zst (zstd, as shard writes) %6.2f s | ratio %.2f\n' \
        "$th" "$t_refz" "$(echo "$t_refz / $t_ours" | bc -l)"
done
for f in "$pq" "$pq_big"; do
    rss=$(rss_kb "'$LONGWEAVE' shard '$f' -n 8 -j $CORES --force -q -o '$WORK/pq-out'")
    echo "  peak RSS of longweave shard: $((rss / 1024)) MiB with row groups of at most $(($(largest "$f") / 1048576)) MiB compressed ($(basename "$f"))"
done
rss=$(rss_kb "'$LONGWEAVE' shard '$jsonl' -n 8 -j $CORES --force -q -o '$WORK/pq-out'")
echo "  peak RSS of longweave shard of the same corpus as JSON Lines (zstd): $((rss / 1024)) MiB"
rm -f "$WORK/duck.jsonl" "$WORK/duck.jsonl.zst"
