"""Command-line tests of `longweave synl --lang`: Chinese samples of all
sixteen tasks recomputed from their rendered tables by the independent
checker (synl_check.py, with its own copy of the Chinese phrasing), a mix of
languages in its share and the same at any -j and --part split, group counts
in the code point order the Chinese question states, and --lang's usage
errors. Kept small (4k, a few hundred samples): the default English output
is covered by test_synl.py."""
import collections
import json
import os
import re

import synl_check
from harness import check, main, run, run_ok, same_files, test, write
from llama3_ref import LLAMA3

CJK = re.compile(r"[\u4e00-\u9fff]")


def chat_lines(out, part=0):
    return [json.loads(l) for l in open(os.path.join(out, "chat", f"part-{part:05d}.jsonl"))]


def texts(s):
    return [m["content"] for m in s["messages"]]


@test
def chinese_answers_recompute_from_the_tables(tmp):
    run_ok(["synl", "-t", LLAMA3, "--seq-len", "4k", "-n", "160", "--cot", "--seed", "3",
            "--lang", "zh", "-o", "out", "-q"])
    samples = chat_lines("out")
    check(len(samples) == 160)
    check(all(s["meta"]["lang"] == "zh" for s in samples), "a sample not marked zh")
    bad = [(i, e) for i, s in enumerate(samples) if (e := synl_check.check(s))]
    check(not bad, f"{len(bad)} wrong: {bad[:3]}")
    tasks = collections.Counter(s["meta"]["task"] for s in samples)
    formats = collections.Counter(s["meta"]["format"] for s in samples)
    check(len(tasks) == 16, f"tasks covered: {sorted(tasks)}")
    check(len(formats) == 4, str(formats))
    # The meta keeps the English domain names (what --domains takes).
    domains = {s["meta"]["domain"] for s in samples}
    check(len(domains) == 8 and "employees" in domains, str(domains))
    for s in samples:
        user, answer = texts(s)
        check(user.startswith("根据下面的") and "### 问题\n" in user and "### Table" not in user,
              f"not a Chinese prompt: {user[:80]!r}")
        question = user.split("### 问题\n")[1]
        check(CJK.search(question) and not re.search(r"\b(What|Which|How|the|rows?)\b", question),
              f"English words in {question!r}")
        check("Answer: " not in answer and " none" not in answer and answer != "none",
              f"English in the answer {answer!r}")
    # Names, places and booleans are Chinese; ids and dates as in English.
    rows = synl_check.tables_of(texts(samples[0])[0], samples[0]["meta"]["format"], "zh")[0]
    first = next(iter(rows.values()))[0]
    check(list(first)[0] == "编号" and re.fullmatch(r"[A-Z]-\d{6}", first["编号"]), str(first))
    cells = " ".join(str(v) for s in samples[:40]
                     for t in synl_check.tables_of(texts(s)[0], s["meta"]["format"], "zh")[0].values()
                     for r in t for v in r.values())
    check("是" in cells and "否" in cells and not re.search(r"\b(yes|no)\b", cells), "booleans")
    check(re.search(r"\d{4}-\d\d-\d\d", cells), "no ISO date")
    # Answers the question makes Chinese: none and equal, with meta's kept.
    nones = [s for s in samples if s["meta"]["answer"] in (None, [])]
    check(nones and all(texts(s)[1].endswith("无") for s in nones),
          f"{len(nones)} empty answers, not all 无")
    m = json.load(open("out/manifest.json"))
    check(m["config"]["lang"] == {"zh": 1}, str(m["config"].get("lang")))


@test
def the_checker_sees_a_wrong_chinese_sample(tmp):
    # Not vacuous: a changed answer, a changed worked solution and an
    # English word where the Chinese one belongs are each caught.
    run_ok(["synl", "-t", LLAMA3, "--seq-len", "4k", "-n", "40", "--cot", "--seed", "3",
            "--lang", "zh", "--tasks", "count,compare,avg", "-o", "out", "-q"])
    samples = chat_lines("out")
    check(not [e for s in samples if synl_check.check(s)])
    s = samples[0]
    a = s["messages"][-1]["content"]
    for changed in (a[:-1] + ("9" if a[-1] != "9" else "8"),
                    a.replace("：", ": ", 1),
                    a.replace("答案：", "Answer: ")):
        t = json.loads(json.dumps(s))
        t["messages"][-1]["content"] = changed
        check(synl_check.check(t), f"the checker took {changed[-60:]!r}")


@test
def a_mix_of_languages_in_its_share_at_any_j_and_part(tmp):
    base = ["synl", "-t", LLAMA3, "--seq-len", "4k", "-n", "100", "--cot", "--lang",
            "en:1,zh:1", "-q"]
    run_ok(base + ["-j", "1", "-o", "a"])
    run_ok(base + ["-j", "2", "-o", "b"])
    same_files("a", "b", "at -j 2")
    for i in range(2):
        run_ok(base + ["--part", f"{i}/2", "-o", "p"])
    joined = [l for i in range(2) for l in open(f"p/chat/part-{i:05d}.jsonl")]
    check(joined == open("a/chat/part-00000.jsonl").readlines(), "parts differ from the whole")
    samples = chat_lines("a")
    langs = collections.Counter(s["meta"]["lang"] for s in samples)
    # drawn per sample from the seed: half each, within 15 of 50
    check(set(langs) == {"en", "zh"} and 35 <= langs["zh"] <= 65, str(langs))
    bad = [e for s in samples if (e := synl_check.check(s))]
    check(not bad, f"{len(bad)} wrong: {bad[:3]}")
    for s in samples:
        zh = texts(s)[0].startswith("根据下面的")
        check(zh == (s["meta"]["lang"] == "zh"), "text and meta.lang disagree")
    m = json.load(open("a/manifest.json"))
    check(m["config"]["lang"] == {"en": 0.5, "zh": 0.5}, str(m["config"].get("lang")))
    # The mix leaves the English samples as an English-only run makes them:
    # each sample is a function of the seed and its index alone.
    run_ok(["synl", "-t", LLAMA3, "--seq-len", "4k", "-n", "100", "--cot", "-q", "-o", "en"])
    en = chat_lines("en")
    for s in samples:
        if s["meta"]["lang"] == "en":
            check(s == en[s["meta"]["sample"]], f"sample {s['meta']['sample']} differs")


@test
def chinese_group_counts_in_code_point_order(tmp):
    # A --schema domain keeps its own names and values; the Chinese question
    # states code point (byte) order, which puts "Zebra" before "apple" and
    # Chinese after Latin, unlike the English alphabetical order.
    values = ["Research", "korean", "Apple", "apple", "Zebra", "中文", "北京"]
    schema = {"name": "labs", "columns": [
        {"name": "team", "type": "category", "values": values},
        {"name": "n", "type": "int", "min": 1, "max": 99}]}
    write("m.json", json.dumps(schema))
    run_ok(["synl", "-t", LLAMA3, "--schema", "m.json", "--tasks", "group_count", "--lang", "zh",
            "--seq-len", "4k", "-n", "6", "-o", "out", "-q"])
    samples = chat_lines("out")
    bad = [e for s in samples if (e := synl_check.check(s))]
    check(not bad, str(bad[:3]))
    for s in samples:
        keys = list(s["meta"]["answer"])
        check(keys == sorted(keys, key=lambda k: k.encode()), f"order {keys}")
        check("码点顺序" in texts(s)[0], "the question states no order")
    check(any(list(s["meta"]["answer"]) != sorted(s["meta"]["answer"], key=lambda k: (k.lower(), k))
              for s in samples), "no sample where the orders differ")


@test
def lang_usage_errors(tmp):
    for arg, says in (("xx", "known: en, zh"), ("en:0", "positive"), ("en,en", "twice"),
                      ("en:1,fr:1", "known: en, zh"), ("", "empty")):
        rc, _, err = run(["synl", "-t", LLAMA3, "--seq-len", "4k", "-n", "1", "--lang", arg,
                          "-o", "x"])
        check(rc == 64 and "--lang" in err and says in err, f"{arg!r}: {rc} {err}")
    check(not os.path.exists("x"), "a usage error left output")


if __name__ == "__main__":
    raise SystemExit(main())
