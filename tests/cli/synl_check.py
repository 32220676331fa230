"""An independent checker of SynL samples: parse the tables back from the
user message (Markdown, CSV, JSON or key: value) as the text each cell shows,
recompute the answer from the structured query in meta, and compare it with
meta.answer; then check the texts a model trains on: the final answer must
be that answer written as the table writes each value (a decimal column's
2 decimals, a JSON table's true/false), the worked solution must quote the
table's cells and the recomputed numbers the same way, counts must agree with
their nouns ("1 row", "2 rows"), and the order the question states must be
the answer's order. distribution() checks variety over many samples. Written
from the documented formats, not from the C code. Chinese samples (meta.lang
"zh") are read and checked the same way with their own phrasing (PHRASES): the
first column of a table is its id column, booleans are 是/否, the answers'
"none" / "equal" are 无 / 相等 (meta keeps null, [] and "equal")."""
import collections
import csv
import datetime
import io
import json
import re
from decimal import ROUND_HALF_UP, Decimal


def parse_table(text, fmt):
    """The rows as {column: the cell's text}. A JSON number keeps its digits
    (108498.00 stays "108498.00"); a JSON boolean is "true" / "false"."""
    if fmt == "markdown":
        lines = [l for l in text.split("\n") if l.startswith("|")]
        cells = lambda l: [c.strip() for c in l.strip().strip("|").split(" | ")]
        head = cells(lines[0])
        return [dict(zip(head, cells(l))) for l in lines[2:]]
    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(text)))
        rows = [r for r in rows if r]
        return [dict(zip(rows[0], r)) for r in rows[1:]]
    if fmt == "json":
        out = []
        for rec in json.loads(text, parse_float=str, parse_int=str):
            out.append({k: ("true" if v else "false") if isinstance(v, bool) else v
                        for k, v in rec.items()})
        return out
    if fmt == "kv":
        out = []
        for block in text.strip("\n").split("\n\n"):
            row = {}
            for line in block.split("\n"):
                k, v = line.split(": ", 1)
                row[k] = v
            out.append(row)
        return out
    raise ValueError(fmt)


def tables_of(user, fmt, lang="en"):
    """{name: rows} and the question, from the user message."""
    ph = PHRASES[lang]
    body, question = user.split(ph["question"])
    parts = body.split(ph["table"])[1:]
    tables = {}
    for part in parts:
        name, text = part.split("\n", 1)
        tables[name] = parse_table(text, fmt)
    return tables, question


PHRASES = {
    "en": {"table": "### Table: ", "question": "\n### Question\n", "answer": "Answer: ",
           "none": "none", "equal": "equal"},
    "zh": {"table": "### 表格：", "question": "\n### 问题\n", "answer": "答案：",
           "none": "无", "equal": "相等"},
}


def lang_of(meta):
    return meta.get("lang", "en")


def id_column(rows):
    """A table's id column: its first."""
    return next(iter(rows[0]))


DECIMAL = re.compile(r"-?\d+\.\d\d")
INT = re.compile(r"-?\d+")


def style(rows, column):
    """How the table writes a column: decimal, int, bool or text."""
    vals = [r[column] for r in rows]
    if all(DECIMAL.fullmatch(v) for v in vals):
        return "decimal"
    if all(INT.fullmatch(v) for v in vals):
        return "int"
    if set(vals) <= {"yes", "no"} or set(vals) <= {"true", "false"} or set(vals) <= {"是", "否"}:
        return "bool"
    return "text"


def num(v):
    return Decimal(str(v))


def same(got, meta):
    """A recomputed value (cell texts, Decimals) against meta's typed answer."""
    if isinstance(got, list) and isinstance(meta, list):
        return len(got) == len(meta) and all(same(x, y) for x, y in zip(got, meta))
    if isinstance(got, dict) and isinstance(meta, dict):
        return list(got) == list(meta) and all(same(got[k], meta[k]) for k in got)
    if got is None or meta is None:
        return got is meta
    if isinstance(meta, bool):
        return got in (("yes", "true", "是") if meta else ("no", "false", "否"))
    try:
        return num(got) == num(meta)
    except Exception:
        return str(got) == str(meta)


def holds(row, where):
    for c in where:
        if c["op"] == "gt" and not num(row[c["column"]]) > num(c["value"]):
            return False
        if c["op"] == "eq" and str(row[c["column"]]) != c["value"]:
            return False
    return True


def alphabetical(s):
    """Alphabetical order: ASCII letters without case, then bytes."""
    b = s.encode()
    return (b.lower(), b)


def recompute(meta, user):
    fmt, q = meta["format"], meta["query"]
    tables, question = tables_of(user, fmt, lang_of(meta))
    rows = tables[q["table"]]
    idc = id_column(rows)
    by_id = {r[idc]: r for r in rows}
    op = q["op"]
    if op == "lookup":
        return by_id[q["key"]][q["column"]]
    if op == "find":
        return [r[idc] for r in rows if str(r[q["column"]]) == q["value"]]
    if op == "row":
        return dict(by_id[q["key"]])
    if op == "row_at":
        return rows[q["position"] - 1][idc]
    if op in ("count", "sum", "avg", "argmax", "argmin"):
        hit = [r for r in rows if holds(r, q["where"])]
        if op == "count":
            return len(hit)
        vals = [num(r[q["column"]]) for r in hit]
        if op == "sum":
            return sum(vals, Decimal(0))
        if op == "avg":
            if not vals:
                return None
            return (sum(vals) / len(vals)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        if not vals:
            return []
        best = max(vals) if op == "argmax" else min(vals)
        return [r[idc] for r, v in zip(hit, vals) if v == best]
    if op == "compare":
        a, b = (by_id[k][q["column"]] for k in q["keys"])
        try:
            a, b = num(a), num(b)
        except Exception:
            pass  # ISO dates compare as text
        return q["keys"][0] if a > b else q["keys"][1] if a < b else "equal"
    if op == "join":
        v = by_id[q["key"]][q["column"]]
        other = [r for r in tables[q["other"]] if r[q["column"]] == v]
        return other[0][q["other_column"]]
    if op == "date_diff":
        d = [datetime.date.fromisoformat(by_id[k][q["column"]]) for k in q["keys"]]
        return (d[1] - d[0]).days
    if op == "topk":
        ranked = sorted(rows, key=lambda r: -num(r[q["column"]]))  # stable: ties keep order
        return [r[idc] for r in ranked[:q["k"]]]
    if op == "distinct":
        return len({str(r[q["column"]]) for r in rows})
    if op == "group_count":
        counts = collections.Counter(str(r[q["column"]]) for r in rows)
        # The order the question states.
        if "alphabetical order" in question:
            keys = sorted(counts, key=alphabetical)
        elif "byte order" in question or "UTF-8 字节顺序" in question:
            keys = sorted(counts, key=lambda s: s.encode())
        else:
            raise ValueError("group_count question states no order")
        return {k: counts[k] for k in keys}
    if op == "total_rows":
        return len(rows)
    raise ValueError(op)


def money(d):
    return str(d.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def as_column(d, col_style):
    """A number written as a column of that style writes it."""
    return money(d) if col_style == "decimal" else str(int(d))


def expected_text(meta, tables, got):
    """The final answer as the texts must write it."""
    q = meta["query"]
    op = q["op"]
    rows = tables[q["table"]]
    ph = PHRASES[lang_of(meta)]
    if isinstance(got, list):
        return ", ".join(got) if got else ph["none"]
    if isinstance(got, dict):
        return ", ".join(f"{k}: {v}" for k, v in got.items())
    if op == "sum":
        return as_column(got, style(rows, q["column"]))
    if op == "avg":
        return ph["none"] if got is None else money(got)
    if op == "compare" and got == "equal":
        return ph["equal"]
    return str(got)


def plural_errors(text):
    """Counts that disagree with their noun: "1 rows", "3 row", "1 days"."""
    bad = []
    for m in re.finditer(r"(?<![\w.-])(-?\d+) (rows?|days?)\b", text):
        one = abs(int(m.group(1))) == 1
        if one == m.group(2).endswith("s"):
            bad.append(m.group(0))
    return bad


def check_question(meta, tables, question):
    if lang_of(meta) == "zh":
        return check_question_zh(meta, tables, question)
    q = meta["query"]
    rows = tables[q["table"]]
    op = q["op"]
    for c in q.get("where", []):
        if c["op"] == "gt":
            st = style(rows, c["column"])
            v = c["value"]
            if (st == "decimal") != bool(DECIMAL.fullmatch(v)) or f"{c['column']} greater than {v}" not in question:
                return f"threshold {v!r} of {st} column {c['column']} in {question!r}"
    if op == "find" and f"equal to {q['value']}?" not in question:
        return f"find value {q['value']!r} not in {question!r}"
    if op == "avg" and "Round to 2 decimals" not in question:
        return "avg does not say how to round"
    stated = {"find": "in table order", "topk": "largest first (ties: earlier rows first)",
              "argmax": "in table order if tied", "argmin": "in table order if tied"}
    if op in stated and stated[op] not in question:
        return f"{op}: the question does not state the order ({question!r})"
    return None


def check_question_zh(meta, tables, question):
    q = meta["query"]
    rows = tables[q["table"]]
    op = q["op"]
    for c in q.get("where", []):
        if c["op"] == "gt":
            st = style(rows, c["column"])
            v = c["value"]
            if ((st == "decimal") != bool(DECIMAL.fullmatch(v)) or
                    f"{c['column']}大于 {v} " not in question):
                return f"threshold {v!r} of {st} column {c['column']} in {question!r}"
        if c["op"] == "eq" and f"{c['column']}为“{c['value']}”" not in question:
            return f"condition {c['column']} = {c['value']} not in {question!r}"
    if op == "find" and f"等于“{q['value']}”？" not in question:
        return f"find value {q['value']!r} not in {question!r}"
    if op == "avg" and "保留 2 位小数" not in question:
        return "avg does not say how to round"
    stated = {"find": "按表中顺序", "topk": "从大到小排列（并列时，表中靠前的行在前）",
              "argmax": "按表中顺序给出所有编号", "argmin": "按表中顺序给出所有编号"}
    if op in stated and stated[op] not in question:
        return f"{op}: the question does not state the order ({question!r})"
    if op == "group_count" and "码点顺序" not in question:
        return "group_count: the question does not state code point order"
    return None


def check_cot_zh(meta, tables, cot, got):
    """The Chinese worked solution: the same checks as check_cot."""
    q = meta["query"]
    op = q["op"]
    rows = tables[q["table"]]
    idc = id_column(rows)
    by_id = {r[idc]: r for r in rows}
    lines = cot.rstrip("\n").split("\n")
    if op in ("count", "sum", "avg", "argmax", "argmin"):
        cond = " 且 ".join(f"{c['column']} {'>' if c['op'] == 'gt' else '='} {c['value']}"
                          for c in q["where"])
        if lines[0] != f"满足 {cond} 的行：":
            return f"CoT head {lines[0]!r}, want '满足 {cond} 的行：'"
        hit = [r for r in rows if holds(r, q["where"])]
        items = [l for l in lines[1:] if l.startswith("- ")]
        if len(items) != len(hit):
            return f"CoT lists {len(items)} rows, {len(hit)} match"
        gcol = q["where"][0]["column"]
        for line, r in zip(items, hit):
            want = f"- {r[idc]}：{gcol} {r[gcol]}"
            agg = q.get("column")
            if op != "count" and agg != gcol:
                want += f"，{agg} {r[agg]}"
            if line != want:
                return f"CoT line {line!r}, the table says {want!r}"
        if (not hit) != ("没有满足条件的行。" in lines):
            return "CoT '没有满足条件的行。' disagrees with the rows"
        tail = [l for l in lines[1:] if not l.startswith("- ") and l != "没有满足条件的行。"]
        if op == "count":
            want = [f"共 {len(hit)} 行。"]
        elif op == "sum":
            want = [f"总和：{as_column(got, style(rows, q['column']))}"]
        elif op == "avg":
            s = sum((num(r[q["column"]]) for r in hit), Decimal(0))
            want = [f"总和 {as_column(s, style(rows, q['column']))}，共 {len(hit)} 行；"
                    f"平均值 {money(got)}"] if hit else []
        else:
            word = "最大" if op == "argmax" else "最小"
            want = [f"{word}的{q['column']}是 {by_id[got[0]][q['column']]}。"] if hit else []
        if tail != want:
            return f"CoT ends {tail!r}, want {want!r}"
    elif op == "compare":
        a, b = q["keys"]
        c = q["column"]
        want = f"{a} 的{c}为 {by_id[a][c]}；{b} 的{c}为 {by_id[b][c]}。"
        if lines != [want]:
            return f"CoT {lines!r}, want {want!r}"
    elif op == "join":
        c, v = q["column"], by_id[q["key"]][q["column"]]
        want = f"{q['key']} 的{c}为{v}；在{q['other']}表中，{v}的{q['other_column']}为{got}。"
        if lines != [want]:
            return f"CoT {lines!r}, want {want!r}"
    elif op == "date_diff":
        a, b = q["keys"]
        c = q["column"]
        want = f"{a}：{by_id[a][c]}；{b}：{by_id[b][c]}；相差 {got} 天。"
        if lines != [want]:
            return f"CoT {lines!r}, want {want!r}"
    return None


def check_cot(meta, tables, cot, got):
    """The worked solution quotes the table's cells and writes the numbers as
    their columns do."""
    if lang_of(meta) == "zh":
        return check_cot_zh(meta, tables, cot, got)
    q = meta["query"]
    op = q["op"]
    rows = tables[q["table"]]
    by_id = {r[id_column(rows)]: r for r in rows}
    lines = cot.rstrip("\n").split("\n")
    if op in ("count", "sum", "avg", "argmax", "argmin"):
        cond = " and ".join(f"{c['column']} {'>' if c['op'] == 'gt' else '='} {c['value']}"
                            for c in q["where"])
        if lines[0] != f"Rows with {cond}:":
            return f"CoT head {lines[0]!r}, want 'Rows with {cond}:'"
        hit = [r for r in rows if holds(r, q["where"])]
        items = [l for l in lines[1:] if l.startswith("- ")]
        if len(items) != len(hit):
            return f"CoT lists {len(items)} rows, {len(hit)} match"
        gcol = q["where"][0]["column"]
        for line, r in zip(items, hit):
            want = f"- {r['id']}: {gcol} {r[gcol]}"
            agg = q.get("column")
            if op != "count" and agg != gcol:
                want += f", {agg} {r[agg]}"
            if line != want:
                return f"CoT line {line!r}, the table says {want!r}"
        if (not hit) != ("No rows match." in lines):
            return "CoT 'No rows match.' disagrees with the rows"
        tail = [l for l in lines[1:] if not l.startswith("- ") and l != "No rows match."]
        if op == "count":
            want = [f"That is {len(hit)} {'row' if len(hit) == 1 else 'rows'}."]
        elif op == "sum":
            want = [f"Sum: {as_column(got, style(rows, q['column']))}"]
        elif op == "avg":
            s = sum((num(r[q["column"]]) for r in hit), Decimal(0))
            want = [f"Sum {as_column(s, style(rows, q['column']))} over {len(hit)} "
                    f"{'row' if len(hit) == 1 else 'rows'}; average {money(got)}"] if hit else []
        else:
            word = "largest" if op == "argmax" else "smallest"
            want = [f"The {word} {q['column']} is {by_id[got[0]][q['column']]}."] if hit else []
        if tail != want:
            return f"CoT ends {tail!r}, want {want!r}"
    elif op == "compare":
        a, b = q["keys"]
        c = q["column"]
        want = f"{a} has {c} {by_id[a][c]}; {b} has {c} {by_id[b][c]}."
        if lines != [want]:
            return f"CoT {lines!r}, want {want!r}"
    elif op == "join":
        c, v = q["column"], by_id[q["key"]][q["column"]]
        want = (f"{q['key']} has {c} {v}; in the {q['other']} table, {v} has "
                f"{q['other_column']} {got}.")
        if lines != [want]:
            return f"CoT {lines!r}, want {want!r}"
    elif op == "date_diff":
        a, b = q["keys"]
        c = q["column"]
        want = (f"{a}: {by_id[a][c]}; {b}: {by_id[b][c]}; difference {got} "
                f"{'day' if abs(got) == 1 else 'days'}.")
        if lines != [want]:
            return f"CoT {lines!r}, want {want!r}"
    return None


def check_depths(meta, tables, got):
    q = meta["query"]
    rows = tables[q["table"]]
    d = meta["depths"]
    if not all(0 <= x < 1 for x in d) or d != sorted(d):
        return f"depths {d} not in table order"
    at = {round(x * len(rows)) for x in d}
    pos = {r[id_column(rows)]: i for i, r in enumerate(rows)}
    if q["op"] in ("find", "topk") and not {pos[i] for i in got} <= at:
        return f"{q['op']}: answer rows {sorted(pos[i] for i in got)} not among depths {sorted(at)}"
    if q["op"] == "find" and {pos[i] for i in got} != at:
        return f"find: depths {sorted(at)} are not the matching rows"
    return None


def check(sample):
    """None when the sample is right, else what is wrong."""
    meta = sample["meta"]
    user = next(m["content"] for m in sample["messages"] if m["role"] == "user")
    assistant = next(m["content"] for m in sample["messages"] if m["role"] == "assistant")
    lang = lang_of(meta)
    if lang not in PHRASES:
        return f"unknown language {lang!r}"
    tables, question = tables_of(user, meta["format"], lang)
    counts = [len(t) for t in tables.values()]
    if counts != meta["rows"]:
        return f"rows {counts} != meta {meta['rows']}"
    try:
        got = recompute(meta, user)
    except ValueError as e:
        return f"{meta['task']}: {e}"
    if not same(got, meta["answer"]):
        return f"{meta['task']}: recomputed {got!r}, meta says {meta['answer']!r}"
    if (e := check_depths(meta, tables, got)):
        return e
    if (e := check_question(meta, tables, question)):
        return f"{meta['task']}: {e}"
    bad = plural_errors(question + "\n" + assistant)
    if bad:
        return f"{meta['task']}: plural agreement: {bad}"
    cot, sep, final = assistant.rpartition(PHRASES[lang]["answer"])
    if not sep:
        final = assistant
    want = expected_text(meta, tables, got)
    if final != want:
        return f"{meta['task']} ({meta['format']}): answer text {final!r}, the table writes {want!r}"
    if sep and (e := check_cot(meta, tables, cot, got)):
        return f"{meta['task']} ({meta['format']}): {e}"
    return None


def topk_tie_at_k(sample):
    """Does the k-th place of a topk sample tie with the next row?"""
    meta = sample["meta"]
    q = meta["query"]
    user = next(m["content"] for m in sample["messages"] if m["role"] == "user")
    rows = tables_of(user, meta["format"], lang_of(meta))[0][q["table"]]
    vals = sorted((num(r[q["column"]]) for r in rows), reverse=True)
    return len(vals) > q["k"] and vals[q["k"] - 1] == vals[q["k"]]


def distribution(samples):
    """Variety over many samples: (problems, numbers). Each column's
    thresholds vary; find matches 0, 1 and several rows; conditions match no
    row in some samples (with the 'none' / 0 answer); topk ties at the k-th
    place occur."""
    thresholds = collections.defaultdict(set)
    uses = collections.Counter()
    find = collections.Counter()
    empty = collections.Counter()
    ties = topk = 0
    for s in samples:
        q = s["meta"]["query"]
        for c in q.get("where", []):
            if c["op"] == "gt":
                key = (s["meta"]["domain"], c["column"])
                thresholds[key].add(c["value"])
                uses[key] += 1
        if q["op"] == "find":
            n = len(s["meta"]["answer"])
            find["0" if n == 0 else "1" if n == 1 else ">1"] += 1
        if q["op"] in ("count", "sum", "avg", "argmax", "argmin") and not s["meta"]["depths"]:
            empty[q["op"]] += 1
        if q["op"] == "topk":
            topk += 1
            ties += topk_tie_at_k(s)
    problems = []
    fixed = [k for k in uses if uses[k] >= 3 and len(thresholds[k]) < 2]
    if fixed:
        problems.append(f"thresholds never vary for {fixed}")
    if set(find) != {"0", "1", ">1"}:
        problems.append(f"find matches only {dict(find)}")
    if not empty:
        problems.append("no condition matches zero rows")
    if not ties:
        problems.append(f"no topk sample of {topk} ties at the k-th place")
    varied = [k for k in uses if uses[k] >= 3]
    numbers = {
        "columns_with_3_or_more_conditions": len(varied),
        "distinct_thresholds_per_such_column": (
            min(len(thresholds[k]) for k in varied) if varied else 0,
            max(len(thresholds[k]) for k in varied) if varied else 0),
        "condition_samples": sum(uses.values()),
        "distinct_thresholds": sum(len(v) for v in thresholds.values()),
        "find_matches": dict(find),
        "no_row_conditions": dict(empty),
        "topk": topk, "topk_tied_at_k": ties,
    }
    return problems, numbers
