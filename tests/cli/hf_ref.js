// Reference ids and texts from Hugging Face's own library (npm `tokenizers`,
// the Rust crate behind transformers' fast tokenizers), for
// tests/cli/test_hf_tokenizers.py.
//
//   node hf_ref.js NODE_MODULES encode TOKENIZER.json MODE TEXTS.jsonl OUT.jsonl
//   node hf_ref.js NODE_MODULES decode TOKENIZER.json IDS.jsonl OUT.jsonl
//
// MODE "all": the file as it is (HF matches every added token in a text);
// "ordinary": the special added tokens taken out of added_tokens first, so
// their strings are plain text (what HF's encode_special_tokens does, and
// longweave's default). Lines of TEXTS are {"text": ...}; of IDS {"ids": [...]};
// the output has one {"ids": [...]} or {"text": ...} line per input line.
const fs = require('fs');
const [nodeModules, cmd, file, ...rest] = process.argv.slice(2);
const { Tokenizer } = require(nodeModules + '/tokenizers');

function load(mode) {
  if (mode !== 'ordinary') return Tokenizer.fromFile(file);
  const j = JSON.parse(fs.readFileSync(file, 'utf8'));
  j.added_tokens = j.added_tokens.filter((t) => !t.special);
  return Tokenizer.fromString(JSON.stringify(j));
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
      out.push(JSON.stringify({ ids: e.getIds() }));
    }
    fs.writeFileSync(outPath, out.join('\n') + '\n');
  } else if (cmd === 'decode') {
    const [ids, outPath] = rest;
    const t = load('all');
    for (const r of lines(ids)) out.push(JSON.stringify({ text: await t.decode(r.ids, false) }));
    fs.writeFileSync(outPath, out.join('\n') + '\n');
  } else {
    throw new Error('unknown command ' + cmd);
  }
})().catch((e) => { console.error(e.stack || String(e)); process.exit(1); });
