"""Command-line tests of what a new user runs into first (issue 16): a
mistyped command names the one meant, as git does; --help lists the options
a command takes, and the README says which command takes which; a refusal to
overwrite says what is there; progress counts finished work, in logs too;
outputs are where a user looks, and a folder of several datasets is listed
where one is needed; one meaning of k and of --length-mix."""
import json
import os
import re

import megatron
from harness import ROOT, SAMPLE, check, main, read_input, run, run_ok, test, write, zstd_bytes
from llama3_ref import LLAMA3

COMMANDS = ["shard", "tokenize", "cip", "synl", "needle", "score", "pack", "mix", "merge",
            "inspect", "verify", "decode"]


def distance(a, b):
    """Optimal string alignment distance, written out here from its
    definition (insertions, deletions, substitutions, adjacent swaps)."""
    d = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) + 1):
        d[i][0] = i
    for j in range(len(b) + 1):
        d[0][j] = j
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1,
                          d[i - 1][j - 1] + (a[i - 1] != b[j - 1]))
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[len(a)][len(b)]


@test
def a_mistyped_command_names_the_nearest(tmp):
    # every command listed by --help, and the typos a hand makes
    out = run(["--help"])[1].decode()
    listed = [line.split()[0] for line in out.split("Commands:\n")[1].split("\n\n")[0].splitlines()]
    check(listed == COMMANDS, listed)
    for typo in ["tokenise", "tokenze", "shrad", "merg", "inpsect", "verfiy", "synll", "xyz",
                 "needles", "scoer", "pakc", "qqqqqq", "deocde"]:
        rc, _, err = run([typo])
        check(rc == 64, f"{typo}: exit {rc}")
        best = min(COMMANDS, key=lambda c: (distance(typo, c), COMMANDS.index(c)))
        if distance(typo, best) <= 2:
            check(f"Did you mean '{best}'?" in err, f"{typo}: {err}")
        else:
            check("Did you mean" not in err and "Commands:" in err, f"{typo}: {err}")


@test
def help_lists_every_option_the_command_takes(tmp):
    # --resume and --force: accepted exactly where --help lists them
    # (needle took --resume without saying so)
    for cmd in COMMANDS:
        help_text = run([cmd, "--help"])[1].decode()
        for opt in ("--resume", "--force"):
            rc, _, err = run([cmd, opt])
            taken = "unknown or incomplete option" not in err
            check(taken == (opt in help_text), f"{cmd} {opt}: taken {taken}, in --help "
                  f"{opt in help_text}: {err}")


@test
def a_refusal_to_replace_says_what_is_there(tmp):
    run_ok(["tokenize", "-t", LLAMA3, SAMPLE, "-q", "-o", "tok/ll"])
    run_ok(["cip", "tok/ll", "--seq-len", "4k", "-q", "-o", "out"])
    rc, _, err = run(["synl", "-t", LLAMA3, "--seq-len", "2k", "-n", "2", "-q", "-o", "out"])
    check(rc == 73 and "holds the output of 'cip'" in err and "--force" in err, f"{rc} {err}")
    rc, _, err = run(["tokenize", "-t", LLAMA3, SAMPLE, "-q", "-o", "tok/ll"])
    check(rc == 73 and "holds the output of 'tokenize'" in err, f"{rc} {err}")


@test
def stats_keys_are_true_or_absent(tmp):
    # cip of a token dataset, synl and needle read no documents: no document
    # counts (they said "documents_read": 0); cip -t counts what it read
    docs = len(read_input(SAMPLE))
    run_ok(["tokenize", "-t", LLAMA3, SAMPLE, "-q", "-o", "tok/ll"])
    doc_keys = {"documents_read", "bytes_written", "bytes_read", "input_files"}
    for args in (["cip", "tok/ll", "--seq-len", "4k", "-o", "c"],
                 ["synl", "-t", LLAMA3, "--seq-len", "2k", "-n", "2", "-o", "s"],
                 ["needle", "-t", LLAMA3, "--seq-len", "2k", "-o", "n"]):
        out = run_ok(args + ["-q", "--stats-json", "-"])[0]
        stats = json.loads(out)
        check(not doc_keys & set(stats), f"{args[0]}: {sorted(doc_keys & set(stats))}")
    stats = json.loads(run_ok(["cip", SAMPLE, "-t", LLAMA3, "--seq-len", "4k", "-o", "ct", "-q",
                               "--stats-json", "-"])[0])
    check(stats["documents_read"] == docs and stats["bytes_read"] > 0, stats)


@test
def one_meaning_of_k(tmp):
    # 32k is 32768 in --seq-len, --tokens and --shard-bytes alike (mix took
    # it as 32000); an exponent says a decimal count; a fraction must come
    # out whole
    run_ok(["tokenize", "-t", LLAMA3, SAMPLE, "-q", "-o", "tok/ll"])
    run_ok(["cip", "tok/ll", "--seq-len", "2k", "-q", "-o", "c"])
    check(json.load(open("c/manifest.json"))["buckets"][0]["seq_len"] == 2048)
    for given, want in (("32k", 32768), ("1.5K", 1536), ("5e3", 5000), ("12345", 12345),
                        ("1M", 1 << 20)):
        run_ok(["mix", "--source", "tok/ll:1", "--tokens", given, "--upsample", "-q", "-o",
                f"m{want}/x"])
        got = json.load(open(f"m{want}/x.manifest.json"))["config"]["tokens"]
        check(got == want, f"--tokens {given}: {got}, not {want}")
    for bad in ("1.3k", "32kB", "k", "2e", "0", "-5"):
        rc, _, err = run(["mix", "--source", "tok/ll:1", "--tokens", bad, "-o", "bad/x"])
        check(rc == 64 and "1024" in err, f"--tokens {bad}: {rc} {err}")
    for cmd in ("cip", "mix"):
        check("1024" in run([cmd, "--help"])[1].decode(), f"{cmd} --help does not say k = 1024")


@test
def pack_says_what_it_left_out(tmp):
    # it said "20 samples into 5 sequences" after skipping half of them
    run_ok(["synl", "-t", LLAMA3, "--seq-len", "2k,8k", "-n", "12", "-q", "-o", "s"])
    lens = [len(q) for b in ("len-0002048", "len-0008192")
            for q in megatron.read(f"s/{b}/part-00000")[1]]
    long = sum(n > 4096 for n in lens)
    check(0 < long < len(lens), lens)
    _, err = run_ok(["pack", "s", "--seq-len", "4096", "-o", "p/x"])
    check(f"{len(lens) - long} of {len(lens)} samples ({long} too long, skipped) into" in err, err)
    _, err = run_ok(["pack", "s", "--seq-len", "4096", "--long", "truncate", "-o", "t/x"])
    check(f"{len(lens)} samples ({long} too long, truncated) into" in err, err)


@test
def a_dataset_finds_its_tokenizer_from_any_folder(tmp):
    # the manifest recorded -t as given, relative to where tokenize ran, so
    # decode from another folder could not load it
    import shutil
    os.makedirs("work/tok")
    shutil.copy(LLAMA3, "work/tok/llama3.tiktoken")
    with open("work/in.jsonl", "w") as f:
        f.write(json.dumps({"text": "hello from afar"}) + "\n")
    os.chdir("work")
    run_ok(["tokenize", "-t", "tok/llama3.tiktoken", "in.jsonl", "-q", "-o", "ds/x"])
    path = json.load(open("ds/x.manifest.json"))["tokenizer"]["path"]
    check(os.path.isabs(path) and os.path.samefile(path, "tok/llama3.tiktoken"), path)
    os.chdir("..")
    out, _ = run_ok(["decode", "work/ds/x"])
    check(out.decode() == "hello from afar\n", out)


@test
def a_moved_tokenizer_is_found_by_its_sha256(tmp):
    # the recorded path is gone: the same file (same name and sha256) beside
    # the dataset, in a folder above it, or in $LONGWEAVE_TOKENIZERS is used;
    # a file of that name with other content is not
    import shutil
    os.makedirs("a/tok")
    shutil.copy(LLAMA3, "a/tok/llama3.tiktoken")
    write("in.jsonl", json.dumps({"text": "moved along"}).encode() + b"\n")
    run_ok(["tokenize", "-t", "a/tok/llama3.tiktoken", "in.jsonl", "-q", "-o", "proj/ds/x"])
    os.rename("a/tok", "elsewhere")
    rc, _, err = run(["decode", "proj/ds/x"])
    check(rc == 66 and "a/tok/llama3.tiktoken" in err and "proj/ds" in err and
          "LONGWEAVE_TOKENIZERS" in err and "-t FILE" in err, f"{rc} {err}")
    out, _ = run_ok(["decode", "proj/ds/x"], env={"LONGWEAVE_TOKENIZERS": "nowhere:elsewhere"})
    check(out.decode() == "moved along\n", out)
    shutil.copy("elsewhere/llama3.tiktoken", "proj/llama3.tiktoken")  # a folder above
    check(run_ok(["decode", "proj/ds/x"])[0] == out, "found above the dataset")
    with open("proj/ds/llama3.tiktoken", "wb") as f:  # nearer, but another file
        f.write(open(LLAMA3, "rb").read()[:-100])
    check(run_ok(["decode", "proj/ds/x"])[0] == out, "a file of the same name only")


PROGRESS_DOCS = re.compile(r"^longweave tokenize: \[\d+:\d\d:\d\d\] ([\d,]+) docs done  "
                           r"([\d.]+) (B|kB|MB) of ([\d.]+) MB read  .*tokens/s  +(\d+)%  ETA ")
UNITS = {"B": 1, "kB": 1e3, "MB": 1e6}


@test
def progress_in_a_log_reports_finished_work(tmp):
    # stderr is a pipe here, as in a Slurm log: a line every --progress-every
    # seconds. Its bytes are those of the documents it counts as done (the
    # reader's read-ahead, a batch or more, is not work done), and it never
    # says 100% before the end.
    one = zstd_bytes(SAMPLE)
    data = one * 5  # 25 MB: several batches
    write("in.jsonl", data)
    ends, at = [], 0  # bytes through each document
    for line in data.splitlines(keepends=True):
        at += len(line)
        ends.append(at)
    for j in ("1", "2"):
        rc, _, err = run(["tokenize", "-t", LLAMA3, "in.jsonl", "-j", j, "-o", f"t{j}/t",
                          "--progress-every", "0.001"])
        check(rc == 0, err)
        lines = [m for m in map(PROGRESS_DOCS.match, err.splitlines()) if m]
        check(len(lines) >= 3, f"-j {j}: {len(lines)} progress lines: {err}")
        last_docs = 0
        for m in lines:
            docs = int(m.group(1).replace(",", ""))
            done = float(m.group(2)) * UNITS[m.group(3)]
            check(docs >= last_docs, f"-j {j}: docs went back: {m.group(0)}")
            last_docs = docs
            check(0 < docs <= len(ends), m.group(0))
            check(abs(done - ends[docs - 1]) <= 0.051e6,
                  f"-j {j}: {docs} documents are {ends[docs - 1]} bytes, line says {m.group(0)}")
            check(int(m.group(5)) < 100 or docs == len(ends), f"-j {j}: {m.group(0)}")
    rc, _, err = run(["tokenize", "-t", LLAMA3, "in.jsonl", "-o", "t0/t", "--progress-every", "0"])
    check(rc == 0 and "docs done" not in err, err)
    rc, _, err = run(["tokenize", "-t", LLAMA3, "in.jsonl", "-o", "t0/t", "--force",
                      "--progress-every", "soon"])
    check(rc == 64 and "--progress-every" in err, err)


@test
def generators_say_how_many_of_how_many(tmp):
    # synl and needle make a known number of samples: progress counts them,
    # with the total, tokens/s and an ETA (they showed "0 B read")
    rc, _, err = run(["synl", "-t", LLAMA3, "--seq-len", "2k", "-n", "300", "-o", "s",
                      "--progress-every", "0.001"])
    check(rc == 0, err)
    got = re.findall(r"^longweave synl: \[[\d:]+\] ([\d,]+) of 300 samples  .* tokens/s  +\d+%"
                     r"  ETA \d+:\d\d:\d\d$", err, re.M)
    check(got, err)
    counts = [int(g.replace(",", "")) for g in got]
    check(counts == sorted(counts) and 0 < counts[-1] <= 300, counts)
    check(" read " not in err, err)
    rc, _, err = run(["synl", "-t", LLAMA3, "--seq-len", "2k", "-n", "300", "-o", "q", "-q",
                      "--progress-every", "0.001"])
    check(rc == 0 and err == "", err)
    rc, _, err = run(["needle", "-t", LLAMA3, "--seq-len", "1k,2k", "--depths", "3", "-o", "n",
                      "--progress-every", "0.001"])
    check(rc == 0, err)
    total = 8 * 2 * 3  # tasks x lengths x depths
    got = re.findall(rf"^longweave needle: \[[\d:]+\] ([\d,]+) of {total} samples  .* tokens/s"
                     r"  +\d+%  ETA ", err, re.M)
    check(got and int(got[-1].replace(",", "")) <= total, err)
    # cip from documents: the tokenizing phase counts documents and bytes,
    # then the interleaving phase documents of the total
    rc, _, err = run(["cip", SAMPLE, "-t", LLAMA3, "--seq-len", "4k", "-o", "c",
                      "--progress-every", "0.001"])
    check(rc == 0, err)
    check(re.search(r"^longweave cip: \[[\d:]+\] [\d,]+ docs done  ", err, re.M), err)
    check(re.search(r"^longweave cip: \[[\d:]+\] [\d,]+ of [\d,]+ documents interleaved",
                    err, re.M), err)


@test
def outputs_are_where_a_user_looks(tmp):
    # -o c/ puts the buckets in c/len-LLLLLLL/ (it was c/cip/len-.../), and a
    # command that needs one dataset, given the folder of several, lists them
    run_ok(["tokenize", "-t", LLAMA3, SAMPLE, "-q", "-o", "tok/ll"])
    run_ok(["cip", "tok/ll", "--seq-len", "4k,8k", "-q", "-o", "c/"])
    check(sorted(os.listdir("c")) == ["len-0004096", "len-0008192", "manifest.json"],
          os.listdir("c"))
    run_ok(["synl", "-t", LLAMA3, "--seq-len", "2k", "-n", "5", "-q", "-o", "s/"])
    check(sorted(os.listdir("s")) == ["chat", "len-0002048", "manifest.json"], os.listdir("s"))
    check(os.path.exists("s/chat/part-00000.jsonl") and
          os.path.exists("s/len-0002048/part-00000.bin"), os.listdir("s"))
    both = "c/len-0004096/part-00000, c/len-0008192/part-00000; give one of them"
    for args in (["decode", "c/", "--index", "0"], ["inspect", "c/", "--show", "1"],
                 ["mix", "--source", "c/:1", "--tokens", "64k", "-o", "m/x"]):
        rc, _, err = run(args)
        check(rc == 64 and "holds 2 datasets: " + both in err, f"{args}: {rc} {err}")
    one = run_ok(["decode", "c/len-0004096/part-00000", "--index", "0"])[0]
    for path in ("c/len-0004096", "c/len-0004096/part-00000.bin", "c/len-0004096/part-00000.idx"):
        check(run_ok(["decode", path, "--index", "0"])[0] == one, path)


@test
def the_readme_says_which_command_takes_which_option(tmp):
    # the README's table of shared options against every command's --help
    # (it said every command takes -j, --part and --stats-json)
    readme = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()
    table = readme.split("| option | commands |\n|---|---|\n")[1].split("\n\n")[0]
    rows = 0
    for line in table.splitlines():
        cell, cmds = line.strip("|").split(" | ")
        opt = cell.split("`")[1].split()[0]
        said = set(c.strip() for c in cmds.split(","))
        taken = set()
        for cmd in COMMANDS:
            help_text = run([cmd, "--help"])[1].decode()
            if re.search(r"^\s+(-\w, )?" + re.escape(opt) + r"\b" if opt.startswith("--")
                         else r"^\s+" + re.escape(opt) + r", --", help_text, re.M):
                taken.add(cmd)
        check(said == taken, f"{opt}: the README says {sorted(said)}, --help {sorted(taken)}")
        rows += 1
    check(rows >= 9, table)


@test
def length_mix_is_a_share_of_tokens_everywhere(tmp):
    # cip took --length-mix as a share of tokens, synl as a share of samples
    run_ok(["synl", "-t", LLAMA3, "--seq-len", "2k,8k", "--length-mix", "1,1", "-n", "50",
            "-q", "-o", "s"])
    tokens = [sum(len(x) for x in megatron.read(f"s/len-{L:07d}/part-00000")[1])
              for L in (2048, 8192)]
    counts = [len(megatron.read(f"s/len-{L:07d}/part-00000")[1]) for L in (2048, 8192)]
    check(counts == [40, 10], counts)  # 50 samples, 4:1 so that the tokens are 1:1
    check(0.8 < tokens[0] / tokens[1] < 1.25, tokens)
    m = json.load(open("s/manifest.json"))["config"]
    check(m["length_mix"] == [0.5, 0.5] and "mix" not in m, m)


# Flags the README gives to other programs: Megatron's training script,
# sbatch, valgrind, pkg-config.
FOREIGN_FLAGS = {"--data-path", "--seq-length", "--array", "--dependency", "--cpus-per-task",
                 "--leak-check", "--cflags", "--libs", "--static"}


@test
def every_flag_the_readme_names_is_taken(tmp):
    # the option tables are the one source of the parser and of --help; the
    # README may name no flag that neither a command nor a script takes
    import subprocess
    readme = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()
    helps = "".join(run([cmd, "--help"])[1].decode() for cmd in COMMANDS)
    for script in ("examples/parallel.sh", "examples/slurm/submit.sh"):
        path = os.path.join(ROOT, script)
        if os.path.exists(path):
            helps += subprocess.run(["bash", path, "--help"], capture_output=True,
                                    text=True).stdout
    named = set(re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]+)", readme))
    unknown = sorted(f for f in named - FOREIGN_FLAGS
                     if not re.search(r"(^|\s|, )" + re.escape(f) + r"\b", helps, re.M))
    check(not unknown, f"the README names flags no --help lists: {unknown}")
    check(len(named) > 60, len(named))


def example_lines(text):
    """The longweave command lines of a text's examples: continuation lines
    joined, each command of a pipe, comments dropped."""
    import shlex
    joined = re.sub(r"\\\n\s*", " ", text)
    for line in joined.splitlines():
        line = line.strip()
        for part in re.split(r"\s(?:\||&&)\s", line):
            part = part.strip()
            if part.startswith("longweave "):
                yield shlex.split(part.split("  #")[0], comments=True)[1:]


@test
def every_example_parses(tmp):
    # the README's examples and every --help's: their flags and values as the
    # real parser takes them (LONGWEAVE_CHECK_ARGS stops each command there;
    # their inputs are not here)
    readme = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()
    blocks = re.findall(r"```sh\n(.*?)```", readme, re.S)
    lines = [("README", args) for b in blocks for args in example_lines(b)]
    for cmd in COMMANDS:
        text = run([cmd, "--help"])[1].decode()
        if "Examples:" in text:
            examples = text.split("Examples:")[1].split("\n\n")[0]
            lines += [(f"{cmd} --help", args) for args in example_lines(examples)]
    check(len(lines) > 40, len(lines))
    for where, args in lines:
        rc, _, err = run(args, env={"LONGWEAVE_CHECK_ARGS": "1"})
        check(rc == 0, f"{where}: longweave {' '.join(args)}: exit {rc}: {err}")
    rc, _, err = run(["cip", "--seq-len", "32k", "--mode", "nope"],
                     env={"LONGWEAVE_CHECK_ARGS": "1"})
    check(rc == 64 and "--mode" in err, f"a bad value passes the check: {rc} {err}")


main()
