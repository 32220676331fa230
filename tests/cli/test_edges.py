"""Command-line tests of edge cases where data was lost or came out wrong
without a word (issue 12): float32 datasets printed by `decode --ids`, very
long pre-split pieces in `tokenize`, invalid text in `synl --schema`, and
trailing bytes after a JSON value in `score`."""
import math
import struct
import sys

import megatron
from harness import check, main, run, run_ok, test
from llama3_ref import LLAMA3


def f32(x):
    """x rounded to float32, as Python reads it back."""
    return struct.unpack("<f", struct.pack("<f", x))[0]


def shortest_f32(x):
    """The fewest significant digits (printf %g) that read back as float32 x."""
    for p in range(1, 10):
        try:
            if f32(float(f"{x:.{p}g}")) == x:
                return p
        except OverflowError:  # rounded up past the largest float32
            pass
    raise AssertionError(x)


def significant_digits(s):
    mantissa = s.lstrip("-").split("e")[0].replace(".", "").lstrip("0")
    return max(len(mantissa), 1)


def check_floats(printed, expected, what):
    """printed: decode's line; expected: the float32 values read with struct."""
    words = printed.split()
    check(len(words) == len(expected), f"{what}: {len(words)} values, expected {len(expected)}")
    for w, x in zip(words, expected):
        v = float(w)
        if math.isnan(x):
            check(math.isnan(v), f"{what}: {w} for nan")
            continue
        check(struct.pack("<f", v) == struct.pack("<f", x), f"{what}: {w} does not read back "
              f"as the stored float32 {x!r}")
        if math.isfinite(x) and x != 0:
            check(significant_digits(w) == shortest_f32(x),
                  f"{what}: {w} is not the shortest form of {x!r}")


@test
def decode_float32_dataset_prints_numbers(tmp):
    values = [0.2, 1 / 3, 0.0, -0.0, -1.5, 1e-30, 1.401298464324817e-45, 3.4028234663852886e38,
              16777216.0, 0.1, 1 / 7, float("inf"), float("-inf"), float("nan")]
    values = [f32(v) for v in values]
    megatron.write("w", [values, values[:1], []], dtype=7)
    out, _ = run_ok(["decode", "w", "--ids"])
    lines = out.decode().split("\n")
    check(len(lines) == 4 and lines[-1] == "", lines)
    check(lines[0].split()[:2] == ["0.2", "0.33333334"], lines[0])
    _, seqs, _ = megatron.read("w")
    for line, seq in zip(lines, seqs):
        check_floats(line, seq, "w")
    out, _ = run_ok(["decode", "w", "--ids", "--index", "1"])
    check(out == b"0.2\n", out)
    # text of float values is refused, not printed from their bit patterns
    for extra in ([], ["--jsonl"], ["-t", LLAMA3], ["--index", "0"]):
        rc, out, err = run(["decode", "w"] + extra)
        check(rc == 64 and out == b"" and "float32" in err and "--ids" in err,
              f"decode w {extra}: exit {rc}: {err}")
    # pack's loss weights, checked against the same file read with struct
    run_ok(["synl", "-t", LLAMA3, "--seq-len", "2k", "-n", "6", "-q", "-o", "s"])
    run_ok(["pack", "s", "-o", "p/x", "--seq-len", "8k", "--loss-weighting", "sample", "-q"])
    out, _ = run_ok(["decode", "p/x.weights", "--ids"])
    dtype, seqs, _ = megatron.read("p/x.weights")
    lines = out.decode().splitlines()
    check(dtype == 7 and len(lines) == len(seqs), (dtype, len(lines), len(seqs)))
    for line, seq in zip(lines, seqs):
        check_floats(line, seq, "p/x.weights")
    check(any(w not in ("0", "1") for line in lines for w in line.split()), "no weight below 1")


if __name__ == "__main__":
    sys.exit(main())
