// Hugging Face's ids for rendered chat texts, with each token's character
// offsets (to place the assistant's spans), for tests/cli/test_chat_templates.py:
//
//   node chat_ref.js NODE_MODULES TOKENIZER.json TEXTS.jsonl OUT.jsonl
//
// The rendered text is encoded as transformers' apply_chat_template does
// (add_special_tokens false; every added token in the text matches). Lines
// of TEXTS are {"text": ...}; OUT has one {"ids": [...], "offsets": [[s, e], ...]}
// line per text, offsets in code points (Python string indices).
const fs = require('fs');
const [nodeModules, file, texts, outPath] = process.argv.slice(2);
const { Tokenizer } = require(nodeModules + '/tokenizers');

(async () => {
  const t = Tokenizer.fromFile(file);
  const out = [];
  for (const line of fs.readFileSync(texts, 'utf8').split('\n')) {
    if (!line.length) continue;
    const e = await t.encode(JSON.parse(line).text, null, { addSpecialTokens: false });
    out.push(JSON.stringify({ ids: e.getIds(), offsets: e.getOffsets() }));
  }
  fs.writeFileSync(outPath, out.join('\n') + '\n');
})().catch((e) => { console.error(e.stack || String(e)); process.exit(1); });
