// Single-thread throughput of tiktoken's Node bindings (native: tiktoken-node,
// wasm: tiktoken) on the texts of a JSON Lines file, for bench/tokenize_bench.sh.
// usage: node tiktoken_bench.js native|wasm FILE.jsonl ENCODING...
const fs = require('fs');
const [lib, file, ...names] = process.argv.slice(2);
const docs = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l).text);
const bytes = docs.reduce((n, d) => n + Buffer.byteLength(d, 'utf8'), 0);
for (const name of names) {
  let enc;
  try {
    enc = lib === 'native' ? require('tiktoken-node').getEncoding(name) : require('tiktoken').get_encoding(name);
  } catch (e) { console.log(`${lib} ${name}: unavailable (${e.message})`); continue; }
  const encode = lib === 'native' ? (d) => enc.encode(d, []) : (d) => enc.encode_ordinary(d);
  let best = 1e9, n = 0;
  const runs = Number(process.env.TIKTOKEN_RUNS || 2);
  for (let r = 0; r < runs; r++) {
    const t0 = process.hrtime.bigint(); n = 0;
    for (const d of docs) n += encode(d).length;
    const dt = Number(process.hrtime.bigint() - t0) / 1e9; if (dt < best) best = dt;
  }
  console.log(`${lib} ${name}: ${(bytes / 1e6 / best).toFixed(2)} MB/s (${(bytes/1e6).toFixed(1)} MB, ${n} tokens)`);
}
