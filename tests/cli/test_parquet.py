"""Command-line tests of Parquet input. The Parquet files are written in the
test run by real writers, never by longweave: DuckDB (npm @duckdb/node-api,
COPY ... TO 'x.parquet' with each codec, small row groups, PARQUET_VERSION v2)
and the pure-JS hyparquet-writer (data pages v2), from a JSON Lines source
built here from the bundled sample corpus. What longweave reads back is
checked with Python's json against that source: texts, ids, every other
field and its type, nulls; --part parts against the whole; tokenize against
tokenize of the JSON Lines."""
import json
import os
import shutil
import subprocess

from harness import (LONGWEAVE, ROOT, SAMPLE, Failure, Skip, canon, check, jsonl, main,
                     node_modules, read_input, read_shards, run, run_ok, test, write)

LLAMA3 = os.path.join(ROOT, "tests", "fixtures", "tokenizers", "llama3.tiktoken")

# The JSON Lines source: the sample corpus plus typed columns (integers past
# 2^32, floats, booleans, a nullable string and float, a low-cardinality
# string for dictionary pages) and a nested list column that is skipped.
COLUMNS = {"id": "VARCHAR", "text": "VARCHAR", "source": "VARCHAR", "lang": "VARCHAR",
           "idx": "INTEGER", "n_chars": "BIGINT", "big": "BIGINT", "score": "DOUBLE",
           "maybe_score": "DOUBLE", "flag": "BOOLEAN", "maybe": "VARCHAR", "tags": "VARCHAR[]"}


def pieces():
    """The sample corpus cut into pieces of 400 characters: DuckDB cuts row
    groups at multiples of 2048 rows, so several row groups need many rows."""
    for r in read_input(SAMPLE):
        for k in range(0, len(r["text"]), 400):
            yield {"id": f"{r['id']}#{k // 400}", "text": r["text"][k:k + 400],
                   "source": r["source"]}


_source = []


def source_records():
    if _source:
        return [dict(r) for r in _source]
    out = _source
    for i, r in enumerate(pieces()):
        out.append({
            "id": r["id"], "text": r["text"], "source": r["source"],
            "lang": ["en", "de", "fr"][i % 3], "idx": i, "n_chars": len(r["text"]),
            "big": 2**40 + 7919 * i, "score": (i + 0.5) / 7, "maybe_score":
            None if i % 5 == 0 else -i / 3 - 0.25, "flag": i % 3 == 0,
            "maybe": None if i % 4 == 0 else f"value {i} \"quoted\"\n", "tags": [f"t{i}", "x"]})
    return [dict(r) for r in out]


def flat(records):
    return [{k: v for k, v in r.items() if k != "tags"} for r in records]


DUCKDB_JS = r"""
const { DuckDBInstance } = await import('@duckdb/node-api');
const [src, outdir, columns] = process.argv.slice(2);
const inst = await DuckDBInstance.create(':memory:', { threads: '1' });
const c = await inst.connect();
const cols = Object.entries(JSON.parse(columns)).map(([k, v]) => `'${k}': '${v}'`).join(', ');
await c.run(`CREATE TABLE t AS SELECT * FROM read_json('${src}', format = 'newline_delimited', columns = {${cols}})`);
const info = { version: (await c.runAndReadAll('SELECT version() AS v')).getRowObjects()[0].v, files: {} };
const variants = [['zstd', 'v1'], ['snappy', 'v1'], ['gzip', 'v1'], ['uncompressed', 'v1'],
                  ['zstd', 'v2'], ['snappy', 'v2']];
for (const [codec, version] of variants) {
  const rg = 2048;
  const name = `duckdb_${codec}_${version}.parquet`;
  const path = `${outdir}/${name}`;
  await c.run(`COPY (SELECT * FROM t ORDER BY idx) TO '${path}' (FORMAT parquet, COMPRESSION ${codec}, ROW_GROUP_SIZE ${rg}, PARQUET_VERSION ${version})`);
  const meta = (await c.runAndReadAll(`SELECT row_group_id, path_in_schema, encodings, compression FROM parquet_metadata('${path}')`)).getRowObjects();
  info.files[name] = meta.map(m => ({ rg: Number(m.row_group_id), column: m.path_in_schema,
                                      encodings: m.encodings, codec: m.compression }));
}
console.log(JSON.stringify(info));
"""

HYPARQUET_JS = r"""
const { parquetWriteFile } = await import('hyparquet-writer');
const fs = await import('node:fs');
const [src, out] = process.argv.slice(2);
const rows = fs.readFileSync(src, 'utf8').split('\n').filter(l => l).map(l => JSON.parse(l));
const col = (name, type, f = r => r[name]) => ({ name, type, data: rows.map(f) });
parquetWriteFile({
  filename: out,
  columnData: [col('id', 'STRING'), col('text', 'STRING'), col('source', 'STRING'),
               col('lang', 'STRING'), col('idx', 'INT32'), col('n_chars', 'INT32'),
               col('big', 'INT64', r => BigInt(r.big)), col('score', 'DOUBLE'),
               col('maybe_score', 'DOUBLE'), col('flag', 'BOOLEAN'), col('maybe', 'STRING')],
  rowGroupSize: 1000,
});
const v = JSON.parse(fs.readFileSync(new URL('./node_modules/hyparquet-writer/package.json', import.meta.url)));
console.log(JSON.stringify({ version: v.version }));
"""

_made = {}


def node(script, *args):
    """Run an ES module script next to a node_modules link (ESM resolves
    packages from the script's folder, not NODE_PATH)."""
    nm = node_modules()
    d = os.path.join(ROOT, "build", "parquet-ref")
    os.makedirs(d, exist_ok=True)
    link = os.path.join(d, "node_modules")
    if not os.path.islink(link) or os.readlink(link) != nm:
        if os.path.lexists(link):
            os.remove(link)
        os.symlink(nm, link)
    path = os.path.join(d, f"ref{abs(hash(script)) % 10**8}.mjs")
    with open(path, "w") as f:
        f.write(script)
    p = subprocess.run(["node", path, *args], capture_output=True, text=True, timeout=600)
    if p.returncode != 0:
        raise Failure(f"node {path} failed:\n{p.stderr[-3000:]}")
    return json.loads(p.stdout.strip().splitlines()[-1])


def reference_files():
    """Every reference Parquet file, made once per run in build/parquet-ref."""
    if _made:
        return _made
    d = os.path.join(ROOT, "build", "parquet-ref", f"files.{os.getpid()}")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    src = write(os.path.join(d, "source.jsonl"), jsonl(source_records()))
    info = node(DUCKDB_JS, src, d, json.dumps(COLUMNS))
    print(f"# DuckDB {info['version']} (npm @duckdb/node-api)", flush=True)
    hy = node(HYPARQUET_JS, src, os.path.join(d, "hyparquet.parquet"))
    print(f"# hyparquet-writer {hy['version']}", flush=True)
    _made.update(dir=d, source=src, duckdb=info["files"])
    return _made


def parquet(name):
    return os.path.join(reference_files()["dir"], name)


def shard_docs(inputs, out, *extra):
    _, err = run_ok(["shard", *inputs, "-n", "1", "-o", out, *extra])
    return [r for s in read_shards(out) for r in s], err


def same_documents(got, want, what):
    """got (shard's records) against the source records: every field, value
    and type; shard adds "source" (the input path) only when there is none."""
    check(len(got) == len(want), f"{what}: {len(got)} documents, {len(want)} expected")
    for i, (g, w) in enumerate(zip(got, want)):
        if g != w or [type(v) for v in g.values()] != [type(w[k]) for k in g]:
            raise Failure(f"{what}: document {i} differs:\n got  {canon(g)[:400]}\n want "
                          f"{canon(w)[:400]}")
        check(list(g) == list(w), f"{what}: document {i} fields in order {list(g)}")


@test
def duckdb_files_read_back_as_the_source(tmp):
    ref = reference_files()
    want = flat(source_records())
    for name, meta in sorted(ref["duckdb"].items()):
        got, err = shard_docs([parquet(name)], "out-" + name)
        same_documents(got, want, name)
        check('1 Parquet column skipped (only flat columns are read): "tags" (a nested column)'
              in err, f"{name}: no note of the skipped nested column:\n{err}")
        check(f"{len(want)} documents read, {len(want)} written" in err, err)
        rgs = {m["rg"] for m in meta}
        check(len(rgs) > 1, f"{name}: one row group")
    nulls = sum(r["maybe"] is None for r in want)
    check(nulls > 0 and sum(r["maybe_score"] is None for r in want) > 0, "no nulls in the test")
    # The files hold what the test is about: dictionary and plain string pages,
    # each codec, and the v2 encodings.
    enc = {(n, m["column"]): m["encodings"] for n, ms in ref["duckdb"].items() for m in ms}
    v1, v2 = "duckdb_zstd_v1.parquet", "duckdb_zstd_v2.parquet"
    check("DICTIONARY" in enc[(v1, "lang")] and enc[(v1, "text")] == "PLAIN", str(enc))
    check("RLE_DICTIONARY" in enc[(v2, "lang")], str(enc))
    check("DELTA_LENGTH_BYTE_ARRAY" in enc[(v2, "text")], str(enc))
    check("DELTA_BINARY_PACKED" in enc[(v2, "big")], str(enc))
    codecs = {m["codec"] for ms in ref["duckdb"].values() for m in ms}
    check({"ZSTD", "SNAPPY", "GZIP", "UNCOMPRESSED"} <= codecs, str(codecs))


@test
def hyparquet_writer_v2_pages_read_back(tmp):
    path = parquet("hyparquet.parquet")
    with open(path, "rb") as f:
        head = f.read(6)
    # The first page header: field 1 (type) = DATA_PAGE_V2 (3, zigzag 6).
    check(head[4:6] == b"\x15\x06", f"not a v2 data page: {head!r}")
    got, err = shard_docs([path], "out")
    same_documents(got, flat(source_records()), "hyparquet-writer")
    check("warning" not in err, err)


@test
def parts_join_to_the_whole(tmp):
    path = parquet("duckdb_zstd_v1.parquet")  # 7 row groups
    whole, _ = shard_docs([path], "whole", "-q")
    same_documents(whole, flat(source_records()), "whole")
    joined = []
    for i in range(3):
        part, _ = shard_docs([path], f"p{i}", "--part", f"{i}/3", "-q")
        check(0 < len(part) < len(whole), f"part {i}/3 holds {len(part)} documents")
        joined += part
    check([canon(r) for r in joined] == [canon(r) for r in whole],
          "the parts do not join to the whole in order")


@test
def directory_of_parquet_files(tmp):
    """Was "0 input files (1 other file in directories ignored)" and exit 0."""
    os.makedirs("fineweb")
    shutil.copy(parquet("duckdb_zstd_v1.parquet"), "fineweb/part-0.parquet")
    shutil.copy(parquet("hyparquet.parquet"), "fineweb/part-1.parquet")
    got, err = shard_docs(["fineweb/"], "shards")
    check("2 input files" in err, err)
    want = flat(source_records())
    for r in want:
        r.pop("source")
    for r in got:
        r.pop("source")
    check(got == want + want, "a directory of Parquet files is not read as its rows")


@test
def ids_text_key_and_default_ids(tmp):
    path = parquet("duckdb_snappy_v1.parquet")
    got, _ = shard_docs([path], "o1", "--text-key", "maybe", "--id-key", "lang", "-q")
    src = [r for r in flat(source_records()) if r["maybe"] is not None]
    check([r["text"] for r in got] == [r["maybe"] for r in src], "--text-key")
    check([r["id"] for r in got] == [r["lang"] for r in src], "--id-key")
    # Without an id column, the default id is FILE:ROW (1-based row number).
    got, err = shard_docs([path], "o2", "--id-key", "nope", "--text-key", "maybe")
    rows = [i + 1 for i, r in enumerate(flat(source_records())) if r["maybe"] is not None]
    check([r["id"] for r in got] == [f"{path}:{n}" for n in rows], got[0]["id"])
    # Rows whose text is null are skipped and warned about as FILE:ROW.
    check(f'{path}:1: the "maybe" field is not a string' in err, err)


@test
def tokenize_same_ids_as_jsonl(tmp):
    ref = reference_files()
    src = write("docs.jsonl", jsonl(flat(source_records())))
    run_ok(["tokenize", "-t", LLAMA3, src, "-o", "j/tok", "-q"])
    run_ok(["tokenize", "-t", LLAMA3, parquet("duckdb_gzip_v1.parquet"), "-o", "p/tok", "-q"])
    for ext in (".bin", ".idx"):
        a, b = open("j/tok" + ext, "rb").read(), open("p/tok" + ext, "rb").read()
        check(a == b and len(a) > 1000, f"tokenize of Parquet and JSONL differ in {ext}")
    check(ref["source"], "")


EXACT_JS = r"""
const { parquetWriteFile } = await import('hyparquet-writer');
const [out] = process.argv.slice(2);
const big = ['9007199254740993', '-9223372036854775807', '12345678901234567'];
parquetWriteFile({
  filename: out,
  columnData: [
    { name: 'id', type: 'INT64', data: big.map(BigInt) },
    { name: 'text', type: 'STRING', data: ['one', 'two', 'three'] },
    { name: 'count', type: 'INT64', data: big.map(b => BigInt(b) - 1n) },
    { name: 'ratio', type: 'DOUBLE', data: [3.0, -0.0, 1e300] },
    { name: 'note', type: 'STRING', data: ['a\u0000b', '\u0000', 'plain'] },
  ],
});
console.log('{}');
"""


@test
def values_are_kept_exactly(tmp):
    """What a JSON parser's doubles and NUL-terminated strings would lose:
    integers past 2^53 (an INT64 id and field), integral doubles that stay
    floats, a NUL inside another string field."""
    node(EXACT_JS, os.path.abspath("exact.parquet"))
    got, err = shard_docs(["exact.parquet"], "o", "-q")
    big = [9007199254740993, -9223372036854775807, 12345678901234567]
    check([r["id"] for r in got] == [str(b) for b in big], [r["id"] for r in got])
    check([r["count"] for r in got] == [b - 1 for b in big], [r["count"] for r in got])
    ratios = [r["ratio"] for r in got]
    check(ratios == [3.0, -0.0, 1e300] and all(type(v) is float for v in ratios), ratios)
    check([r["note"] for r in got] == ["a\0b", "\0", "plain"], [r.get("note") for r in got])


PREDICTIONS_JS = r"""
const { parquetWriteFile } = await import('hyparquet-writer');
const fs = await import('node:fs');
const [src, out] = process.argv.slice(2);
const rows = fs.readFileSync(src, 'utf8').split('\n').filter(l => l).map(l => JSON.parse(l));
parquetWriteFile({
  filename: out,
  columnData: [{ name: 'id', type: 'STRING', data: rows.map(r => r.id) },
               { name: 'prediction', type: 'STRING', data: rows.map(r => r.prediction) }],
});
console.log('{}');
"""


@test
def score_reads_parquet_predictions(tmp):
    run_ok(["needle", "-t", LLAMA3, "--seq-len", "1k", "--depths", "3", "--tasks",
            "niah_single,niah_multivalue", "-o", "ev", "-q"])
    recs = [json.loads(line) for t in ("niah_single", "niah_multivalue")
            for line in open(f"ev/{t}.jsonl")]
    # every other sample right; the others wrong
    preds = [{"id": r["id"], "prediction": " ".join(r["answers"]) if i % 2 else "no idea"}
             for i, r in enumerate(recs)]
    write("p.jsonl", jsonl(preds))
    node(PREDICTIONS_JS, os.path.abspath("p.jsonl"), os.path.abspath("p.parquet"))
    a, _ = run_ok(["score", "ev", "p.jsonl", "--json", "-q"])
    b, _ = run_ok(["score", "ev", "p.parquet", "--json", "-q"])
    check(json.loads(a) == json.loads(b), f"JSONL {a}\nParquet {b}")
    check(json.loads(b)["overall"] == 0.5 and json.loads(b)["missing"] == 0, b)


@test
def damaged_files_are_refused_by_name(tmp):
    good = open(parquet("duckdb_zstd_v1.parquet"), "rb").read()
    cases = {
        "truncated.parquet": good[:len(good) - 100],
        "short.parquet": good[:9],
        "footer.parquet": good[:-8] + (len(good)).to_bytes(4, "little") + b"PAR1",
        "badmeta.parquet": good[:-200] + b"\xff" * 192 + good[-8:],
        # the first page header overwritten: a clear error naming the row group
        "page.parquet": good[:4] + b"\x19\xfc" + b"\xff" * 20 + good[26:],
    }
    for name, data in cases.items():
        write(name, data)
        rc, _, err = run(["shard", name, "-o", "out-" + name])
        check(rc == 65, f"{name}: exit {rc}:\n{err}")
        check(name in err and ("Parquet" in err or "truncated" in err), f"{name}: {err}")
        check(not os.path.exists(os.path.join("out-" + name, "manifest.json")), name)
    rc, _, err = run(["shard", "page.parquet", "-o", "o"])
    check("row group 0, column \"id\"" in err, err)


@test
def parquet_on_stdin_is_refused(tmp):
    data = open(parquet("duckdb_zstd_v1.parquet"), "rb").read()
    rc, _, err = run(["shard", "-", "-o", "out"], stdin=data)
    check(rc == 64 and "Parquet" in err and "pipe" in err, f"exit {rc}: {err}")


if __name__ == "__main__":
    try:
        raise SystemExit(main())
    finally:
        if _made:
            shutil.rmtree(_made["dir"], ignore_errors=True)
