"""Command-line tests of `score` on Chinese answers: scoring that folds
full-width digits and letters and needs no spaces."""
import json

from harness import check, main, run_ok, test, write


def records(path):
    return [json.loads(line) for line in open(path, encoding="utf-8")]


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

if __name__ == "__main__":
    main()
