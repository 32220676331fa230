"""Command-line tests of `longweave needle --lang zh` and of `score` on Chinese
answers: a haystack of the bundled sample's Chinese documents (chosen here by
script) gives sets whose inputs decode in Python from the rank file to their
length (within 1%, never over), with needle 0 in the token at
needle_token_offset and at its depth, and every answer recomputed from the
Chinese text; the sentence rules checked on hand-cut sentences; and scoring
that folds full-width digits and letters and needs no spaces."""
import collections
import json
import math
import os
import re
import unicodedata

import megatron
from harness import MULTILINGUAL, SAMPLE, check, main, read_input, run, run_ok, test, write
from llama3_ref import LLAMA3, byte_decoder

TASKS = ["niah_single", "niah_multikey", "niah_multivalue", "niah_multiquery", "passkey", "vt",
         "cwe", "kv"]
NIAH = re.compile(r"关于“([^”]+)”的其中一个特殊魔法(?:数字|词语|UUID)是：([\w-]+)。")
VT = re.compile(r"变量 ([A-Z]+) = (?:变量 ([A-Z]+)|(\d+))。")
PASSKEY = re.compile(r"通行密钥是(\d+)。记住它。(\d+)是通行密钥。")


def sentence_end(text):
    """What a haystack sentence of --lang zh ends with: a CJK stop, a closing
    mark after a stop, or the space that a narrow stop keeps."""
    c = text[-1:]
    return c in "。．｡！？；\"' " or (c and unicodedata.category(c) in ("Pe", "Pf"))


def records(path):
    return [json.loads(line) for line in open(path, encoding="utf-8")]


def han_share(text):
    chars = [c for c in text if not c.isspace()]
    return sum("\u4e00" <= c <= "\u9fff" for c in chars) / max(len(chars), 1)


def chinese_haystack(path="hay.jsonl"):
    """The sample's documents that are mostly Han characters."""
    docs = [d for d in read_input(MULTILINGUAL) if han_share(d["text"]) > 0.5]
    check(len(docs) > 100, f"{len(docs)} Chinese documents in the sample")
    write(path, "".join(json.dumps(d, ensure_ascii=False) + "\n" for d in docs))
    return path, docs


def context_span(r):
    text = r["input"]
    if r["task"] == "kv":
        start = text.index("JSON数据：\n{") + len("JSON数据：\n{")
        return start, text.rindex("}\n\n键：")
    start = text.index("\n\n") + 2 if r["task"] == "vt" else text.index("\n") + 1
    return start, text.rindex("\n")


def needle_position(r):
    """Where needle 0 starts, and the spans of all needles."""
    text, a0, t = r["input"], r["answers"][0], r["task"]
    if t.startswith("niah"):
        spans = [m.span() for m in NIAH.finditer(text)]
        pos = next(m.start() for m in NIAH.finditer(text) if m.group(2) == a0)
    elif t == "passkey":
        m = PASSKEY.search(text)
        spans, pos = [m.span()], m.start()
    elif t == "vt":
        spans = [m.span() for m in VT.finditer(text)]
        pos = text.index(f"变量 {a0} = ")
    else:  # kv
        key = re.search(r'键："([0-9a-f-]+)"', text).group(1)
        pos = text.index(f'"{key}": "{a0}"')
        spans = [(pos, pos + len(f'"{key}": "{a0}"'))]
    return pos, spans


def check_answers(r):
    """Recompute the answers from the Chinese input alone."""
    text, t, ans = r["input"], r["task"], r["answers"]
    start, end = context_span(r)
    ctx = text[start:end]
    if t.startswith("niah"):
        values = collections.defaultdict(list)
        for m in NIAH.finditer(ctx):
            values[m.group(1)].append(m.group(2))
        asked = re.search(r"\n上文中提到的(.+)的所有特殊魔法(?:数字|词语|UUID)是什么？", text).group(1)
        keys = re.findall(r"“([^”]+)”", asked)
        check(re.fullmatch(r"“[^”]+”(?:(?:、“[^”]+”)*和“[^”]+”)?", asked), asked)
        want = [v for k in keys for v in values[k]]
        check(sorted(want) == sorted(ans), f"{r['id']}: answers {ans} vs recomputed {want}")
        expected = {"niah_single": 1, "niah_multikey": 4, "niah_multivalue": 4,
                    "niah_multiquery": 4}[t]
        check(sum(map(len, values.values())) == expected, f"{r['id']}: needle count")
        for a in ans:
            check(text.count(a) == 1, f"{r['id']}: answer {a} occurs {text.count(a)} times")
    elif t == "passkey":
        m = PASSKEY.search(ctx)
        check(m and m.group(1) == m.group(2) == ans[0], f"{r['id']}: the needle")
        check(text.count(ans[0]) == 2, f"{r['id']}: the pass key is said twice, nowhere else")
        check(text.endswith("\n通行密钥是多少？通行密钥是"), r["id"])
    elif t == "vt":
        value = re.search(r"找出上文中所有被赋值为(\d+)的变量", text).group(1)
        assign = {m.group(1): (m.group(2), m.group(3)) for m in VT.finditer(ctx)}

        def resolve(v, seen=()):
            ref, num = assign[v]
            return num if num else (resolve(ref, seen + (v,)) if ref not in seen else None)

        holders = sorted(v for v in assign if resolve(v) == value)
        check(holders == sorted(ans), f"{r['id']}: {holders} vs {ans}")
        check(ctx.count(value) == 1, f"{r['id']}: the value occurs once in the context")
    elif t == "cwe":
        words = re.findall(r"^\d+\. (\w+)$", ctx, re.M)
        check(all(re.fullmatch(r"[\u4e00-\u9fff]{3}", w) for w in words), "three-character words")
        counts = collections.Counter(words).most_common()
        check(sorted(w for w, _ in counts[:10]) == sorted(ans), f"{r['id']}: top words")
        check(counts[9][1] > counts[10][1], f"{r['id']}: the top ten are not ahead")
    elif t == "kv":
        obj = json.loads("{" + ctx + "}")
        key = re.search(r'键："([0-9a-f-]+)"', text).group(1)
        check(obj[key] == ans[0], f"{r['id']}: the JSON object maps the key elsewhere")
        check(text.count(ans[0]) == 1, f"{r['id']}: the value occurs once")


def check_set(outdir, lengths, depths, unit_bytes, tasks=TASKS):
    """Lengths, needle offsets, depths and answers of every sample."""
    decode = byte_decoder()
    for t in tasks:
        recs = records(os.path.join(outdir, f"{t}.jsonl"))
        _, seqs, _ = megatron.read(os.path.join(outdir, t))
        check(len(recs) == len(seqs) == len(lengths) * depths, f"{t}: {len(recs)} records")
        check(sorted({r["length"] for r in recs}) == sorted(lengths), t)
        for r, ids in zip(recs, seqs):
            L = r["length"]
            check(r["lang"] == "zh", r["id"])
            check(math.ceil(0.99 * L) <= len(ids) <= L,
                  f"{r['id']}: {len(ids)} tokens for length {L}")
            check(r["tokens"] == len(ids), f"{r['id']}: tokens field")
            check(decode(ids) == r["input"].encode(), f"{r['id']}: bin does not decode to input")
            check_answers(r)
            if t == "cwe":
                check(r["depth"] is None and r["needle_token_offset"] is None, "cwe has no depth")
                continue
            pos, spans = needle_position(r)
            at = len(r["input"][:pos].encode())
            off = r["needle_token_offset"]
            check(len(decode(ids[:off])) <= at < len(decode(ids[:off + 1])),
                  f"{r['id']}: needle at byte {at}, token {off}")
            # the depth, in context bytes without the needles
            start, end = context_span(r)
            b = lambda i, j: len(r["input"][i:j].encode())  # noqa: E731
            before = sum(b(s, e) for s, e in spans if s < pos)
            total = b(start, end) - sum(b(s, e) for s, e in spans)
            rel = (b(start, pos) - before) / total
            tol = 1.5 * unit_bytes / total + 0.01
            check(abs(rel - r["depth"]) <= tol,
                  f"{r['id']}: needle at {rel:.3f} of the context, asked {r['depth']}")
            # every answer sits in the context, the first at the stated depth
            ctx = r["input"][start:end]
            check(all(a in ctx for a in r["answers"]), f"{r['id']}: an answer outside the context")
            check(r["input"][pos:].split("\n")[0].find(r["answers"][0]) >= 0 or t == "vt",
                  f"{r['id']}: answer 0 is not in the needle at the depth")


@test
def chinese_haystack_lengths_depths_answers(tmp):
    hay, docs = chinese_haystack()
    _, err = run_ok(["needle", "-t", LLAMA3, "--lang", "zh", "--seq-len", "1k,4k", "--depths",
                     "5", "--haystack", hay, "--seed", "7", "-o", "ev", "--stats-json", "st.json"])
    st = json.load(open("st.json"))
    check(st["haystack_sentences"] > 10000, st)
    check(f"{st['haystack_sentences']} sentences" in err, err)
    check_set("ev", [1024, 4096], 5, unit_bytes=401)
    m = json.load(open("ev/manifest.json"))
    check(m["config"]["lang"] == "zh" and m["stats"]["samples"] == 8 * 2 * 5, m["config"])
    # the haystack is the documents' own sentences, cut after their stops
    text = "".join(d["text"] for d in docs)
    flat = re.sub(r"\s+", "", text)
    for r in records("ev/niah_single.jsonl") + records("ev/passkey.jsonl"):
        pos, spans = needle_position(r)
        start, end = context_span(r)
        ctx = r["input"]
        check(pos == start or sentence_end(ctx[:pos]),
              f"{r['id']}: the needle follows {ctx[max(pos - 3, 0):pos]!r}, not a sentence end")
        after = ctx[spans[-1][1]:end]
        stop = re.search(r"[。！？；]", after)
        piece = re.sub(r"\s+", "", after[:stop.end()] if stop else after)
        check(piece == "" or piece in flat, f"{r['id']}: haystack text not from the documents")
    # --lang en keeps the English rule, which finds nothing in a Chinese poem
    rc, _, err = run(["needle", "-t", LLAMA3, "--seq-len", "1k", "--haystack",
                      write("few.jsonl", json.dumps({"text": docs[0]["text"]}) + "\n"),
                      "-o", "en", "-q"])
    check(rc == 65 and "only 0 usable sentences" in err and "--lang zh" in err, err)


@test
def built_in_chinese_filler(tmp):
    run_ok(["needle", "-t", LLAMA3, "--lang", "zh", "--seq-len", "1k,3k", "--depths", "3",
            "-o", "ev", "-q"])
    check_set("ev", [1024, 3072], 3, unit_bytes=90)
    r = records("ev/passkey.jsonl")[0]
    start, end = context_span(r)
    check("草是绿的。天是蓝的。太阳是黄的。我们出发吧。去而复返。" in r["input"][start:end], r["input"][:300])
    check(r["input"].startswith("大量无关的文字中隐藏着一条重要信息。"), r["input"][:100])


# Hand-cut sentences: what the zh rule must give (each 20 to 400 bytes).
SENTENCES = [
    "圆周率约为3.14159，这是大家都知道的常识。",       # no cut inside a number
    "他说：“今天的天气真好啊！”",                       # the closing quote stays
    "你去过北京的故宫博物院吗？",
    "我还没有去过那里；",                               # ； ends a sentence
    "床前明月光，疑是地上霜。",                         # written with a line break
    "Version 2.0 of example.com is out now. ",         # . + space; 2.0 and .com whole
    "「這是繁體字的句子。」",                           # closing bracket after 。
    "真的是这样的吗？！",                               # a run of stops is one end
    "これは日本語の文です。",
    "यह एक छोटा वाक्य है। ",                            # Devanagari danda + space
    "全角句号也可以结束句子．",
    "Then he said \"Stop.\" ",                          # closing quote after . then space
]


def written(sentences):
    """The document text the sentences come from: line breaks and spaces as
    people write them."""
    out = []
    for s in sentences:
        s = s.replace("床前明月光，", "床前明月光，\n")
        out.append(s.rstrip(" ") + ("\n\n" if s.endswith(" ") else ""))
    return "".join(out)


@test
def chinese_sentence_rules(tmp):
    for s in SENTENCES:
        check(20 <= len(s.encode()) <= 400, s)
    doc = written(SENTENCES)
    write("hay.jsonl", "".join(json.dumps({"text": doc}, ensure_ascii=False) + "\n"
                               for _ in range(2)))
    run_ok(["needle", "-t", LLAMA3, "--lang", "zh", "--seq-len", "1k", "--depths", "2",
            "--tasks", "passkey,niah_single", "--haystack", "hay.jsonl", "-o", "ev", "-q",
            "--stats-json", "st.json"])
    st = json.load(open("st.json"))
    check(st["haystack_sentences"] == 2 * len(SENTENCES), st)
    check(st["haystack_bytes"] == 2 * sum(len(s.encode()) for s in SENTENCES), st)
    # the context is the sentences in order (after the piece that opens it)
    for r in records("ev/passkey.jsonl") + records("ev/niah_single.jsonl"):
        start, end = context_span(r)
        _, spans = needle_position(r)
        ctx = r["input"][start:end]
        for s, e in sorted(spans, reverse=True):
            ctx = ctx[:s - start] + ctx[e - start:]
        at = min((ctx.find(s), i) for i, s in enumerate(SENTENCES) if s in ctx)
        pos, i = at
        check(pos >= 0 and any(s.endswith(ctx[:pos]) for s in SENTENCES),
              f"{r['id']}: the context opens with {ctx[:pos]!r}")
        while pos < len(ctx):
            check(ctx.startswith(SENTENCES[i], pos),
                  f"{r['id']}: expected {SENTENCES[i]!r} at {ctx[pos:pos + 40]!r}")
            pos += len(SENTENCES[i])
            i = (i + 1) % len(SENTENCES)


def english_rule(data):
    """The English rule, as needle has always had it, on bytes: white space
    runs made one space, a cut after . ! or ? followed by white space or the
    end; 20 to 400 bytes kept."""
    out, cur = [], bytearray()
    for i, c in enumerate(data):
        space = c in b" \n\t\r"
        if space and (not cur or cur[-1] == 32):
            continue
        cur.append(32 if space else c)
        if c in b".!?" and (i + 1 == len(data) or data[i + 1] in b" \n\t\r"):
            if 20 <= len(cur) <= 400:
                out.append(bytes(cur))
            cur = bytearray()
    return out


@test
def english_sentences_unchanged(tmp):
    # the bundled sample (English, Spanish, code, Chinese poetry): --lang en
    # keeps the sentences of the English rule, recomputed here
    docs = read_input(SAMPLE)
    sentences, want = [], 4 << 20
    for d in docs:
        if sum(map(len, sentences)) >= want:
            break
        sentences += english_rule(d["text"].encode())
    run_ok(["needle", "-t", LLAMA3, "--seq-len", "1k", "--depths", "2", "--tasks", "passkey",
            "--haystack", SAMPLE, "-o", "en", "-q", "--stats-json", "en.json"])
    st = json.load(open("en.json"))
    check(st["haystack_sentences"] == len(sentences), (st["haystack_sentences"], len(sentences)))
    check(st["haystack_bytes"] == sum(map(len, sentences)), st)


@test
def lang_is_recorded_and_en_is_the_default(tmp):
    base = ["needle", "-t", LLAMA3, "--seq-len", "1k", "--depths", "2", "--tasks", "kv,vt", "-q"]
    run_ok(base + ["-o", "a"])
    run_ok(base + ["--lang", "en", "-o", "b"])
    for f in sorted(os.listdir("a")):
        if f != "manifest.json":  # which holds the time of the run
            check(open(f"a/{f}", "rb").read() == open(f"b/{f}", "rb").read(), f"{f} differs")
    check(all(r["lang"] == "en" for r in records("a/kv.jsonl")))
    check(json.load(open("a/manifest.json"))["config"]["lang"] == "en")
    rc, _, err = run(base + ["--lang", "fr", "-o", "c"])
    check(rc == 64 and "unknown language 'fr'" in err, err)


FULL_WIDTH = {c: chr(ord(c) + 0xFEE0) for c in map(chr, range(0x21, 0x7F))}


def full_width(s):
    return "".join(FULL_WIDTH.get(c, c) for c in s)


@test
def score_folds_width_and_needs_no_spaces(tmp):
    rows = [("a", ["4827193"], "答案是：４８２７１９３。"),
            ("b", ["雁猫菊"], "特殊魔法词语是雁猫菊和别的。"),
            ("c", ["bado-kemi"], "ＢＡＤＯ－ＫＥＭＩ"),                # full-width, upper case
            ("d", ["ab cd"], "ＡＢ\u3000ＣＤ"),                        # the ideographic space
            ("e", ["ガ"], "ｶﾞ"),                                      # half-width katakana
            ("f", ["2"], "x²①"),                                     # not width forms: no match
            ("g", ["12345", "67890"], "通行密钥是１２３４５")]
    write("set.jsonl", "".join(json.dumps({"id": i, "task": "t", "length": 10, "depth": 0.5,
                                           "answers": a}, ensure_ascii=False) + "\n"
                               for i, a, _ in rows))
    write("p.jsonl", "".join(json.dumps({"id": i, "prediction": p}, ensure_ascii=False) + "\n"
                             for i, _, p in rows))
    run_ok(["score", "set.jsonl", "p.jsonl", "-o", "rep", "-q"])
    got = {x["id"]: x["score"] for x in records("rep/scores.jsonl")}
    check(got == {"a": 1, "b": 1, "c": 1, "d": 1, "e": 1, "f": 0, "g": 0.5}, got)


@test
def scoring_a_chinese_set(tmp):
    hay, _ = chinese_haystack()
    run_ok(["needle", "-t", LLAMA3, "--lang", "zh", "--seq-len", "1k,2k", "--depths", "3",
            "--haystack", hay, "-o", "ev", "-q"])
    recs = [r for t in TASKS for r in records(f"ev/{t}.jsonl")]
    check(any(re.search(r"[\u4e00-\u9fff]", a) for r in recs for a in r["answers"]),
          "no Chinese answers to score")

    def write_preds(path, answer):
        write(path, "".join(json.dumps({"id": r["id"], "prediction": answer(r)},
                                       ensure_ascii=False) + "\n" for r in recs))

    # all right: full-width, in Chinese, no spaces
    write_preds("right.jsonl", lambda r: "答案是：" + "、".join(full_width(a.upper())
                                                            for a in r["answers"]) + "。")
    out, _ = run_ok(["score", "ev", "right.jsonl", "--json", "-q"])
    s = json.loads(out)
    check(s["overall"] == 1 and s["samples"] == len(recs) == 8 * 2 * 3, s)
    # the first answer only, in full width: the share of answers found
    write_preds("first.jsonl", lambda r: "我认为是" + full_width(r["answers"][0]))
    out, _ = run_ok(["score", "ev", "first.jsonl", "--json", "-q"])
    s = json.loads(out)
    want = sum(1 / len(r["answers"]) for r in recs) / len(recs)
    check(abs(s["overall"] - want) < 1e-9, (s, want))
    write_preds("wrong.jsonl", lambda r: "我不知道。")
    out, _ = run_ok(["score", "ev", "wrong.jsonl", "--json", "-q"])
    check(json.loads(out)["overall"] == 0)


if __name__ == "__main__":
    main()
