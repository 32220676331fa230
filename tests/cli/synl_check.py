"""An independent checker of SynL samples: parse the tables back from the
user message (Markdown, CSV, JSON or key: value), recompute the answer from
the structured query in meta, and compare with meta.answer. Written from the
documented formats, not from the C code."""
import csv
import datetime
import io
import json
from decimal import ROUND_HALF_UP, Decimal


def parse_table(text, fmt):
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
        for rec in json.loads(text):
            row = {}
            for k, v in rec.items():
                if isinstance(v, bool):
                    row[k] = "yes" if v else "no"
                elif isinstance(v, (int, float)):
                    row[k] = v
                else:
                    row[k] = v
            out.append(row)
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


def tables_of(user, fmt):
    """{name: rows} and the question, from the user message."""
    body, question = user.split("\n### Question\n")
    parts = body.split("### Table: ")[1:]
    tables = {}
    for part in parts:
        name, text = part.split("\n", 1)
        tables[name] = parse_table(text, fmt)
    return tables, question


def num(v):
    return Decimal(str(v))


def same(a, b):
    """Answer values: numbers by value, booleans as yes/no, lists and objects
    element by element."""
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, bool) or isinstance(b, bool):
        norm = lambda x: ("yes" if x else "no") if isinstance(x, bool) else x
        return norm(a) == norm(b)
    try:
        return num(a) == num(b)
    except Exception:
        return str(a) == str(b)


def holds(row, where):
    for c in where:
        if c["op"] == "gt" and not num(row[c["column"]]) > num(c["value"]):
            return False
        if c["op"] == "eq" and str(row[c["column"]]) != c["value"]:
            return False
    return True


def recompute(meta, user):
    fmt, q = meta["format"], meta["query"]
    tables, _ = tables_of(user, fmt)
    rows = tables[q["table"]]
    by_id = {r["id"]: r for r in rows}
    op = q["op"]
    if op == "lookup":
        return by_id[q["key"]][q["column"]]
    if op == "find":
        return [r["id"] for r in rows if str(r[q["column"]]) == q["value"]]
    if op == "row":
        return dict(by_id[q["key"]])
    if op == "row_at":
        return rows[q["position"] - 1]["id"]
    if op in ("count", "sum", "avg", "argmax", "argmin"):
        hit = [r for r in rows if holds(r, q["where"])]
        if op == "count":
            return len(hit)
        vals = [num(r[q["column"]]) for r in hit]
        if op == "sum":
            return sum(vals)
        if op == "avg":
            return (sum(vals) / len(vals)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        best = max(vals) if op == "argmax" else min(vals)
        return [r["id"] for r, v in zip(hit, vals) if v == best]
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
        return [r["id"] for r in ranked[:q["k"]]]
    if op == "distinct":
        return len({str(r[q["column"]]) for r in rows})
    if op == "group_count":
        counts = {}
        for r in rows:
            counts[str(r[q["column"]])] = counts.get(str(r[q["column"]]), 0) + 1
        return {k: counts[k] for k in sorted(counts)}
    if op == "total_rows":
        return len(rows)
    raise ValueError(op)


def check(sample):
    """None when the sample is right, else what is wrong."""
    meta = sample["meta"]
    user = next(m["content"] for m in sample["messages"] if m["role"] == "user")
    tables, _ = tables_of(user, meta["format"])
    counts = [len(t) for t in tables.values()]
    if counts != meta["rows"]:
        return f"rows {counts} != meta {meta['rows']}"
    got = recompute(meta, user)
    if not same(got, meta["answer"]):
        return f"{meta['task']}: recomputed {got!r}, meta says {meta['answer']!r}"
    if not all(0 <= d < 1 for d in meta["depths"]):
        return f"depths {meta['depths']}"
    return None
