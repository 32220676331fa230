"""Command-line tests of document lineage: tokenize's PREFIX.docs.jsonl
against the input read independently with Python's json (ids, default ids
PATH:LINE, sources, the input path when there is none); --part runs merged
equal to one run, at any -j; CIP maps whose documents, found through the
manifest's inputs, hold the tokens the map says and the ids of the input;
mix carrying the lineage, and mix --by source taking the shares asked
(tokens counted per source from the input records)."""
import json
import os
import random

import megatron
from harness import ROOT, check, jsonl, main, run, run_ok, test, write

LLAMA3 = os.path.join(ROOT, "tests", "fixtures", "tokenizers", "llama3.tiktoken")
SOURCES = ["web", "code", "books"]


def corpus(path, n=300, seed=3):
    """JSON Lines with string, numeric and missing ids, string, missing and
    non-string sources, and bad lines (skipped); returns the raw lines."""
    rng = random.Random(seed)
    words = "the of a lineage token source document river stone λόγος 漢字 🙂".split()
    lines = []
    for i in range(n):
        rec = {}
        k = rng.random()
        if k < 0.4:
            rec["id"] = f"doc-{i}"
        elif k < 0.55:
            rec["id"] = 1000 + i
        # else: no id (the default id is PATH:LINE)
        rec["text"] = " ".join(rng.choice(words) for _ in range(rng.randint(0, 60)))
        s = rng.random()
        if s < 0.85:
            rec["source"] = SOURCES[rng.randrange(3)]
        elif s < 0.9:
            rec["source"] = {"name": "odd", "n": i}
        # else: no source (the input's path)
        lines.append(json.dumps(rec, ensure_ascii=False))
        if i % 97 == 5:
            lines.append("{not json")
        if i % 89 == 7:
            lines.append(json.dumps({"id": "no-text", "source": "web"}))
    write(path, "\n".join(lines) + "\n")
    return lines


def expected_lineage(path, lines):
    """What each written document's line says, from Python's json."""
    out = []
    for no, line in enumerate(lines, 1):
        try:
            rec = json.loads(line)
        except ValueError:
            continue
        if not isinstance(rec.get("text"), str):
            continue
        rid = rec.get("id")
        rid = f"{path}:{no}" if rid is None else rid if isinstance(rid, str) else str(rid)
        out.append({"id": rid, "source": rec.get("source", path), "text": rec["text"]})
    return out


def read_lines(path):
    return [json.loads(x) for x in open(path, encoding="utf-8").read().splitlines()]


@test
def tokenize_sidecar_is_the_inputs_ids_and_sources(tmp):
    lines = corpus("in.jsonl")
    write("b.jsonl", jsonl([{"text": "second file", "source": "code"}, {"text": "x", "id": "b1"}]))
    want = expected_lineage("in.jsonl", lines) + expected_lineage(
        "b.jsonl", open("b.jsonl").read().splitlines())
    run_ok(["tokenize", "-t", LLAMA3, "in.jsonl", "b.jsonl", "-q", "-j", "1", "-o", "t1/tok"])
    got = read_lines("t1/tok.docs.jsonl")
    check(len(got) == len(want), f"{len(got)} lines for {len(want)} documents")
    for i, (g, w) in enumerate(zip(got, want)):
        check(g == {"id": w["id"], "source": w["source"]}, f"line {i + 1}: {g} != {w}")
    _, seqs, docs = megatron.read("t1/tok")
    check(len(seqs) == len(got) and len(docs) == len(got) + 1, "one line per document")
    m = json.load(open("t1/tok.manifest.json"))
    check(m["datasets"][0]["companions"] == ["docs"], m["datasets"])
    roles = {f["path"]: f["role"] for f in m["files"]}
    check(roles.get("tok.docs.jsonl") == "docs", roles)
    run_ok(["verify", "t1/tok", "-q"])
    # any thread count: the same bytes
    run_ok(["tokenize", "-t", LLAMA3, "in.jsonl", "b.jsonl", "-q", "-j", "4", "-o", "t4/tok"])
    for ext in (".docs.jsonl", ".bin", ".idx"):
        check(open("t1/tok" + ext, "rb").read() == open("t4/tok" + ext, "rb").read(),
              f"{ext} differs between -j 1 and -j 4")


@test
def parts_merged_equal_one_run(tmp):
    corpus("in.jsonl", n=400)
    run_ok(["tokenize", "-t", LLAMA3, "in.jsonl", "-q", "-j", "2", "-o", "whole/tok"])
    for n in (2, 3):
        prefixes = []
        for i in range(n):
            p = f"n{n}/p{i}/tok"
            run_ok(["tokenize", "-t", LLAMA3, "in.jsonl", "--part", f"{i}/{n}", "-q", "-j",
                    str(1 + i % 2), "-o", p])
            check(os.path.getsize(p + ".docs.jsonl") > 0, f"part {i}/{n} is empty")
            prefixes.append(p)
        run_ok(["merge", f"n{n}/all", *prefixes, "-q"])
        for ext in (".docs.jsonl", ".bin", ".idx"):
            check(open("whole/tok" + ext, "rb").read() == open(f"n{n}/all" + ext, "rb").read(),
                  f"{n} parts merged: {ext} differs from one run")
        m = json.load(open(f"n{n}/all.manifest.json"))
        check(m["datasets"][0]["companions"] == ["docs"], m["datasets"])
        run_ok(["verify", f"n{n}/all", "-q"])


def check_map(out, tokens_of, lineage_of, want):
    """Every map entry of every bucket: its tokens are those of document d at
    start, and document d's lineage is the input's."""
    m = json.load(open(os.path.join(out, "manifest.json")))
    seen = set()
    for ds in m["datasets"]:
        prefix = os.path.join(out, ds["prefix"])
        _, seqs, _ = megatron.read(prefix)
        maps = read_lines(prefix + ".map.jsonl")
        check(len(maps) == len(seqs), "one map line per sequence")
        for seq, line in zip(seqs, maps):
            pos = 0
            for d, chunk, start, length in line["chunks"]:
                if d >= 0:
                    check(list(seq[pos:pos + length]) == list(tokens_of(d)[start:start + length]),
                          f"{prefix} seq {line['seq']}: tokens of document {d} at {start}")
                    check(lineage_of(d) == {"id": want[d]["id"], "source": want[d]["source"]},
                          f"document {d}: {lineage_of(d)} != {want[d]}")
                    seen.add(d)
                pos += length
    return m, seen


@test
def cip_map_leads_to_the_documents(tmp):
    la = corpus("a.jsonl", n=150, seed=5)
    lb = corpus("b.jsonl", n=120, seed=6)
    want = expected_lineage("a.jsonl", la) + expected_lineage("b.jsonl", lb)
    run_ok(["tokenize", "-t", LLAMA3, "a.jsonl", "-q", "-o", "ta/tok"])
    run_ok(["tokenize", "-t", LLAMA3, "b.jsonl", "-q", "-o", "tb/tok"])
    opts = ["--seq-len", "64,128", "--min-chunk-tokens", "4", "--seed", "9"]
    run_ok(["cip", "ta/tok", "tb/tok", *opts, "-q", "-o", "c"])
    m = json.load(open("c/manifest.json"))
    # the map's document d: the input dataset whose first_document <= d, and
    # line d - first_document of its docs file
    inputs = m["inputs"]["datasets"]
    check([i.get("docs") for i in inputs] == ["ta/tok.docs.jsonl", "tb/tok.docs.jsonl"], inputs)
    tables = [(i["first_document"], megatron.read(i["prefix"])[1], read_lines(i["docs"]))
              for i in inputs]

    def find(d):
        first, seqs, lins = max((t for t in tables if t[0] <= d), key=lambda t: t[0])
        return seqs[d - first], lins[d - first]

    _, seen = check_map("c", lambda d: find(d)[0], lambda d: find(d)[1], want)
    nonempty = {d for d in range(len(want)) if len(find(d)[0])}
    check(nonempty <= seen, f"documents missing from the maps: {sorted(nonempty - seen)[:5]}")


@test
def cip_of_text_keeps_lineage_across_parts(tmp):
    lines = corpus("in.jsonl", n=200, seed=8)
    want = expected_lineage("in.jsonl", lines)
    run_ok(["tokenize", "-t", LLAMA3, "in.jsonl", "-q", "-o", "t/tok"])
    _, tok_seqs, _ = megatron.read("t/tok")
    opts = ["--seq-len", "96", "--min-chunk-tokens", "4"]
    run_ok(["cip", "-t", LLAMA3, "in.jsonl", *opts, "-q", "-o", "whole"])
    check(open("whole/docs.jsonl", "rb").read() == open("t/tok.docs.jsonl", "rb").read(),
          "cip -t: docs.jsonl is not tokenize's lineage of the same input")
    check(json.load(open("whole/manifest.json"))["inputs"]["docs"] == "docs.jsonl", "inputs.docs")
    lins = read_lines("whole/docs.jsonl")
    check_map("whole", lambda d: tok_seqs[d], lambda d: lins[d], want)
    for i in range(2):
        run_ok(["cip", "-t", LLAMA3, "in.jsonl", *opts, "--part", f"{i}/2", "-j", str(i + 1),
                "-q", "-o", "parts"])
    check(sorted(f for f in os.listdir("parts") if f.startswith("docs")) ==
          ["docs.part-00000.jsonl", "docs.part-00001.jsonl"], os.listdir("parts"))
    run_ok(["merge", "merged", "parts", "-q"])
    check(open("merged/docs.jsonl", "rb").read() == open("t/tok.docs.jsonl", "rb").read(),
          "merged parts: docs.jsonl differs from one run's")
    lins = read_lines("merged/docs.jsonl")
    check_map("merged", lambda d: tok_seqs[d], lambda d: lins[d], want)
    run_ok(["verify", "merged", "-q"])


@test
def mix_carries_lineage_and_takes_shares_by_source(tmp):
    lines = corpus("in.jsonl", n=600, seed=11)
    want = expected_lineage("in.jsonl", lines)
    run_ok(["tokenize", "-t", LLAMA3, "in.jsonl", "-q", "-o", "t/tok"])
    _, seqs, _ = megatron.read("t/tok")
    by_id = {w["id"]: (w, s) for w, s in zip(want, seqs)}
    check(len(by_id) == len(want), "ids are unique in this corpus")
    avail = {}
    for w, s in zip(want, seqs):
        avail[json.dumps(w["source"])] = avail.get(json.dumps(w["source"]), 0) + len(s)
    total = 6000
    check(avail['"web"'] > 0.7 * total and avail['"code"'] > 0.3 * total, avail)
    run_ok(["mix", "--by", "source", "--source", "t/tok", "--share", "web=0.7,code=0.3",
            "--tokens", str(total), "--seed", "4", "-q", "-o", "m/mix"])
    _, out, _ = megatron.read("m/mix")
    lins = read_lines("m/mix.docs.jsonl")
    check(len(lins) == len(out), "one lineage line per sequence of the mixture")
    got = {}
    longest = max(len(s) for s in seqs)
    for seq, lin in zip(out, lins):
        w, s = by_id[lin["id"]]
        check(list(seq) == list(s), f"{lin['id']}: the mixture's tokens are not its document's")
        check(lin["source"] == w["source"], lin)
        got[w["source"]] = got.get(w["source"], 0) + len(seq)
    check(set(got) == {"web", "code"}, f"sources in the mixture: {set(got)}")
    for name, share in (("web", 0.7), ("code", 0.3)):
        target = round(share * total)
        check(target <= got[name] < target + longest, f"{name}: {got[name]} tokens for {target}")
    m = json.load(open("m/mix.manifest.json"))
    check([(s["source"], s["tokens"]) for s in m["sources"]] ==
          [("web", got["web"]), ("code", got["code"])], m["sources"])
    check(m["config"]["by"] == "source" and m["datasets"][0]["companions"] == ["docs"], m)
    run_ok(["verify", "m/mix", "-q"])
    # a mixture by dataset carries the lineage too, line for line
    run_ok(["mix", "--source", "t/tok:1", "--tokens", "3000", "-q", "-o", "m2/mix"])
    _, out, _ = megatron.read("m2/mix")
    for seq, lin in zip(out, read_lines("m2/mix.docs.jsonl")):
        check(list(seq) == list(by_id[lin["id"]][1]), f"{lin['id']}: not its document's tokens")
    # the same run again: the same bytes
    run_ok(["mix", "--by", "source", "--source", "t/tok", "--share", "web=0.7",
            "--share", "code=0.3", "--tokens", str(total), "--seed", "4", "-q", "-o", "m3/mix"])
    for ext in (".docs.jsonl", ".bin", ".idx"):
        check(open("m/mix" + ext, "rb").read() == open("m3/mix" + ext, "rb").read(), ext)


@test
def mix_by_source_refuses_what_it_cannot_do(tmp):
    corpus("in.jsonl", n=50)
    run_ok(["tokenize", "-t", LLAMA3, "in.jsonl", "-q", "-o", "t/tok"])
    rc, _, err = run(["mix", "--by", "source", "--source", "t/tok", "--share", "web=1,news=1",
                      "--tokens", "100", "--upsample", "-q", "-o", "m/a"])
    check(rc == 65 and 'no document has the source "news"' in err, f"{rc}: {err}")
    check(not os.path.exists("m/a.bin") and not os.path.exists("m/a.docs.jsonl"), "left files")
    megatron.write("bare", [[1, 2, 3], [4, 5]])
    megatron.write_manifest("bare", 1000)
    rc, _, err = run(["mix", "--by", "source", "--source", "bare", "--share", "web=1",
                      "--tokens", "3", "-q", "-o", "m/b"])
    check(rc == 65 and "no document lineage" in err, f"{rc}: {err}")
    rc, _, err = run(["mix", "--source", "t/tok:1", "--share", "web=1", "--tokens", "3", "-q",
                      "-o", "m/c"])
    check(rc == 64 and "--share goes with --by" in err, f"{rc}: {err}")
    rc, _, err = run(["mix", "--by", "id", "--source", "t/tok", "--share", "a=1", "--tokens",
                      "3", "-q", "-o", "m/d"])
    check(rc == 64, f"{rc}: {err}")
    # a mixture of a dataset without lineage (a CIP bucket) leaves it out: it is lineage only
    run_ok(["cip", "t/tok", "--seq-len", "32", "--min-chunk-tokens", "4", "-q", "-o", "c"])
    run_ok(["mix", "--source", "t/tok:1", "--source", "c/len-0000032/part-00000:1",
            "--tokens", "200", "--upsample", "-q", "-o", "m/e"])
    check(not os.path.exists("m/e.docs.jsonl"), "a lineage for only some sources")
    # and so does merge (a tokenized dataset beside one without: SynL's, a CIP bucket)
    run_ok(["merge", "mg/all", "t/tok", "c/len-0000032/part-00000", "-q"])
    check(not os.path.exists("mg/all.docs.jsonl"), "merge: a lineage for only some datasets")
    run_ok(["verify", "mg/all", "-q"])


@test
def verify_checks_the_sidecar(tmp):
    corpus("in.jsonl", n=40)
    run_ok(["tokenize", "-t", LLAMA3, "in.jsonl", "-q", "-o", "t/tok"])
    lines = open("t/tok.docs.jsonl", "rb").read().splitlines(True)
    write("t/tok.docs.jsonl", b"".join(lines[:-1]))
    import hashlib
    m = json.load(open("t/tok.manifest.json"))
    for f in m["files"]:
        if f["path"] == "tok.docs.jsonl":
            data = open("t/tok.docs.jsonl", "rb").read()
            f["bytes"], f["sha256"] = len(data), hashlib.sha256(data).hexdigest()
    json.dump(m, open("t/tok.manifest.json", "w"))
    rc, _, err = run(["verify", "t/tok"])
    check(rc == 65 and "tok.docs.jsonl" in err and "lines for" in err, f"{rc}: {err}")


main()
