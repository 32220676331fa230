"""Command-line tests of `longweave synl`: answers recomputed by an independent
checker from the rendered tables, the question and assistant texts written as
the tables write their values, variety over many samples, lengths within the buckets, loss masks on
exactly the assistant's tokens (decoded in Python from the rank file), thread
and part determinism, and clear errors for bad schema files."""
import collections
import json
import os

import megatron
import synl_check
from harness import ROOT, check, main, run, run_ok, same_files, test, write
from llama3_ref import LLAMA3, decoder

FIX = os.path.join(ROOT, "tests", "fixtures", "tokenizers")


def chat_lines(out, part=0):
    return [json.loads(l) for l in open(os.path.join(out, "chat", f"part-{part:05d}.jsonl"))]


@test
def answers_recompute_from_the_tables(tmp):
    run_ok(["synl", "-t", LLAMA3, "--seq-len", "2048,4096", "-n", "1000", "--cot", "--seed",
            "5", "-o", "out", "-q"])
    samples = chat_lines("out")
    check(len(samples) == 1000)
    bad = [(i, e) for i, s in enumerate(samples) if (e := synl_check.check(s))]
    check(not bad, f"{len(bad)} wrong: {bad[:3]}")
    tasks = collections.Counter(s["meta"]["task"] for s in samples)
    formats = collections.Counter(s["meta"]["format"] for s in samples)
    families = collections.Counter(s["meta"]["family"] for s in samples)
    check(len(tasks) == 16, f"tasks covered: {sorted(tasks)}")
    check(len(formats) == 4 and len(families) == 3, f"{formats} {families}")
    domains = collections.Counter(s["meta"]["domain"] for s in samples)
    check(len(domains) == 8, str(domains))
    problems, numbers = synl_check.distribution(samples)
    print(f"    distribution over {len(samples)} samples: {numbers}")
    check(not problems, "; ".join(problems))


@test
def texts_write_values_as_their_table_does(tmp):
    # A JSON table writes booleans true/false and decimals with 2 decimals:
    # so must the answers (lookup, row) and the worked solutions (sum, avg).
    run_ok(["synl", "-t", LLAMA3, "--seq-len", "2k", "-n", "120", "--cot", "--seed", "9",
            "--table-format", "json", "--tasks", "lookup,row,sum,avg,count", "-o", "out", "-q"])
    samples = chat_lines("out")
    bad = [e for s in samples if (e := synl_check.check(s))]
    check(not bad, f"{len(bad)} wrong: {bad[:3]}")
    answers = [next(m["content"] for m in s["messages"] if m["role"] == "assistant")
               for s in samples]
    check(any(": true" in a or ": false" in a for a in answers), "no row answer with a boolean")
    check(not any(": yes" in a or ": no," in a for a in answers), "yes/no in a JSON sample")
    check(any(s["meta"]["task"] == "avg" and s["meta"]["answer"] is None for s in samples) or
          any(s["meta"]["task"] in ("count", "sum") and not s["meta"]["depths"] for s in samples),
          "no condition matched zero rows")


@test
def group_counts_in_the_order_the_question_states(tmp):
    # Mixed case: alphabetical order (as the question says) puts "korean"
    # before "Research"; byte order would not.
    values = ["Research", "korean", "Apple", "banana", "apple", "Zebra", "delta"]
    schema = {"name": "labs", "columns": [
        {"name": "team", "type": "category", "values": values},
        {"name": "n", "type": "int", "min": 1, "max": 99}]}
    write("m.json", json.dumps(schema))
    run_ok(["synl", "-t", LLAMA3, "--schema", "m.json", "--tasks", "group_count",
            "--seq-len", "2k", "-n", "10", "-o", "out", "-q"])
    samples = chat_lines("out")
    bad = [e for s in samples if (e := synl_check.check(s))]
    check(not bad, str(bad[:3]))
    for s in samples:
        keys = list(s["meta"]["answer"])
        check(keys == sorted(keys, key=lambda k: (k.lower(), k)), f"order {keys}")


@test
def lengths_fill_their_buckets_and_masks_cover_the_answer(tmp):
    run_ok(["synl", "-t", LLAMA3, "--seq-len", "2k,8k", "-n", "40", "--cot", "-o", "out", "-q"])
    decode = decoder()
    samples = chat_lines("out")
    by_len = collections.defaultdict(list)
    for s in samples:
        by_len[s["meta"]["seq_len"]].append(s)
    for L in (2048, 8192):
        prefix = os.path.join("out", f"len-{L:07d}", "part-00000")
        _, seqs, _ = megatron.read(prefix)
        masks = megatron.read_uint8(prefix + ".mask")
        # equal token shares (--length-mix): four samples of 2K per sample of 8K
        want = {2048: 32, 8192: 8}[L]
        check(len(seqs) == len(by_len[L]) == want, f"{L}: {len(seqs)} sequences, not {want}")
        for ids, mask, s in zip(seqs, masks, by_len[L]):
            check(0.9 * L <= len(ids) <= L, f"{L}: a sample of {len(ids)} tokens")
            check(len(ids) == s["meta"]["tokens"] and len(mask) == len(ids))
            answer = next(m["content"] for m in s["messages"] if m["role"] == "assistant")
            user = next(m["content"] for m in s["messages"] if m["role"] == "user")
            trained = decode([t for t, m in zip(ids, mask) if m])
            check(trained == answer + "<|eot_id|>", f"masked tokens decode to {trained[:80]!r}")
            first = mask.index(1)
            check(all(mask[first:]), "the mask is one run at the end")
            context = decode(ids[:first])
            check(context == "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\n" +
                  user + "<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n",
                  "the unmasked tokens are not the prompt")


@test
def threads_and_parts_give_the_same_samples(tmp):
    base = ["synl", "-t", LLAMA3, "--seq-len", "2k,4k", "-n", "30", "--cot", "-q"]
    run_ok(base + ["-j", "1", "-o", "a"])
    run_ok(base + ["-j", "2", "-o", "b"])
    same_files("a", "b", "at -j 2")
    for i in range(3):
        run_ok(base + ["--part", f"{i}/3", "-o", "p"])
    joined = [l for i in range(3) for l in open(f"p/chat/part-{i:05d}.jsonl")]
    check(joined == open("a/chat/part-00000.jsonl").readlines(), "parts differ from the whole")


@test
def user_schemas_and_their_errors(tmp):
    schema = {"name": "orders", "entity": "order", "id_prefix": "O", "columns": [
        {"name": "customer", "type": "name"},
        {"name": "status", "type": "category", "values": ["open", "packed", "shipped"]},
        {"name": "total", "type": "decimal", "min": 1, "max": 900},
        {"name": "placed", "type": "date", "min": "2021-01-01", "max": "2024-12-31"},
        {"name": "items", "type": "int", "min": 1, "max": 30},
        {"name": "depot", "type": "place", "values": ["North", "South", "East", "West"]}]}
    write("s.json", json.dumps(schema))
    run_ok(["synl", "-t", LLAMA3, "--schema", "s.json", "--seq-len", "2k", "-n", "60", "-o",
            "out", "-q"])
    samples = chat_lines("out")
    check({s["meta"]["domain"] for s in samples} == {"orders"})
    bad = [e for s in samples if (e := synl_check.check(s))]
    check(not bad, str(bad[:3]))
    broken = [
        ({"name": "x", "columns": [{"name": "a", "type": "int", "min": 1, "max": 5},
                                   {"name": "b", "type": "money"}]}, "$.columns[1].type"),
        ({"name": "x", "columns": [{"name": "a", "type": "int", "min": 5, "max": 1},
                                   {"name": "b", "type": "bool"}]}, "$.columns[0].max"),
        ({"name": "x", "columns": [{"name": "a", "type": "category"},
                                   {"name": "b", "type": "int", "min": 1, "max": 9}]},
         "$.columns[0].values"),
        ([{"columns": []}], "$[0].name"),
    ]
    for doc, path in broken:
        write("b.json", json.dumps(doc))
        rc, _, err = run(["synl", "-t", LLAMA3, "--schema", "b.json", "--seq-len", "2k", "-n", "1",
                          "-o", "o2"])
        check(rc == 65 and path in err and "b.json" in err, f"{path}: {rc} {err}")
    write("c.json", "{not json")
    rc, _, err = run(["synl", "-t", LLAMA3, "--schema", "c.json", "--seq-len", "2k", "-o", "o3"])
    check(rc == 65 and "c.json" in err, err)


@test
def group_counts_with_unseen_values(tmp):
    # A category with more values than a small table shows: the values that
    # never occur must not appear in the counts (this read past the counts
    # array once; ASan saw it).
    values = [f"v{i:02d}" for i in range(60)]
    schema = {"name": "wide", "columns": [
        {"name": "tag", "type": "category", "values": values},
        {"name": "n", "type": "int", "min": 1, "max": 99}]}
    write("w.json", json.dumps(schema))
    run_ok(["synl", "-t", LLAMA3, "--schema", "w.json", "--tasks", "group_count,distinct",
            "--seq-len", "2k", "-n", "20", "-o", "out", "-q"])
    samples = chat_lines("out")
    bad = [e for s in samples if (e := synl_check.check(s))]
    check(not bad, str(bad[:3]))
    check(any(s["meta"]["task"] == "group_count" and len(s["meta"]["answer"]) < 60
              for s in samples), "no sample left values out")


@test
def templates_and_usage_errors(tmp):
    # chatml needs <|im_start|>; Llama 3 does not have it: a usage error naming it.
    rc, _, err = run(["synl", "-t", LLAMA3, "--template", "chatml", "--seq-len", "2k", "-o", "o"])
    check(rc == 64 and "<|im_start|>" in err, f"{rc} {err}")
    run_ok(["synl", "-t", os.path.join(FIX, "spm-bpe-32k.model"), "--seq-len", "2k", "-n", "10",
            "-o", "plain", "-q"])
    m = json.load(open("plain/manifest.json"))
    check(m["config"]["template"] == "plain" and m["stats"]["samples"] == 10)
    tpl = {"begin": [{"special": "bos"}],
           "user": {"prefix": ["Q: "], "after": ["\n"]},
           "assistant": {"prefix": ["A: "], "suffix": [{"special": "eos"}]}}
    write("t.json", json.dumps(tpl))
    run_ok(["synl", "-t", os.path.join(FIX, "llama2-equivalent.model"), "--template", "t.json",
            "--seq-len", "2k", "-n", "5", "-o", "custom", "-q"])
    _, seqs, _ = megatron.read("custom/len-0002048/part-00000")
    check(all(s[0] == 1 and s[-1] == 2 for s in seqs), "BOS first and EOS last")
    for args in (["--seq-len", "512"], ["--tasks", "nope"], ["--table-format", "xml"],
                 ["--format", "xml"],
                 ["--domains", "planets"], []):
        rc, _, err = run(["synl", "-t", LLAMA3, "-o", "x"] + (args or ["-n", "1"]))
        check(rc == 64, f"{args}: {rc} {err}")


if __name__ == "__main__":
    raise SystemExit(main())
