"""Command-line tests of cluster runs and crash safety: the N parts of every
stage cover the input exactly once and merge into the single run's files
(examples/parallel.sh with GNU parallel, N = 4; examples/slurm/ with a fake
sbatch), --resume after SIGKILL gives the uninterrupted result and skips
finished parts, and a full disk is a clean exit 74 with nothing under a
final name."""
import json
import os
import resource
import signal
import subprocess
import time

import megatron
from harness import LONGWEAVE, ROOT, SAMPLE, check, main, run, run_ok, test, write, zstd_bytes
from llama3_ref import LLAMA3

PARALLEL = os.path.join(ROOT, "examples", "parallel.sh")
SLURM = os.path.join(ROOT, "examples", "slurm")


def tree(top, skip_manifests=True):
    """{relative path: bytes} of the files under top (the .parts folder and
    the manifests, which name their own command, left out)."""
    files = {}
    for d, dirs, names in os.walk(top):
        dirs[:] = [x for x in dirs if not x.endswith(".parts")]
        for n in names:
            if skip_manifests and n.startswith("manifest") and n.endswith(".json"):
                continue
            p = os.path.join(d, n)
            files[os.path.relpath(p, top)] = open(p, "rb").read()
    return files


def parallel(args, **kw):
    p = subprocess.run([PARALLEL, "--longweave", LONGWEAVE] + args, capture_output=True,
                       timeout=600, **kw)
    return p.returncode, p.stderr.decode("utf-8", "replace")


def tmp_files(top):
    return [os.path.join(d, n) for d, _, ns in os.walk(top) for n in ns if ".tmp." in n]


def plain_sample():
    """The sample corpus as uncompressed JSON Lines: --part splits such a file
    at line starts (a .zst file goes whole to one part)."""
    return write("sample.jsonl", zstd_bytes(SAMPLE))


@test
def parallel_parts_merge_into_the_single_run(tmp):
    # tokenize: one Megatron dataset, byte for byte
    sample = plain_sample()
    rc, err = parallel(["-n", "4", "tokenize", "p/ll", "-t", LLAMA3, sample, "--append-eod"])
    check(rc == 0, err)
    run_ok(["tokenize", "-t", LLAMA3, sample, "--append-eod", "-q", "-o", "one/ll"])
    for ext in [".bin", ".idx"]:
        check(open("p/ll" + ext, "rb").read() == open("one/ll" + ext, "rb").read(), ext)
    # the four parts hold every document once: their counts add up
    counts = [json.load(open(f"p/ll.parts/part-{i:05d}/ll.manifest.json"))["stats"]
              ["documents_written"] for i in range(4)]
    whole = json.load(open("one/ll.manifest.json"))["stats"]["documents_written"]
    check(sum(counts) == whole and all(c > 0 for c in counts), f"{counts} vs {whole}")
    # shard: the same records in every shard
    rc, err = parallel(["-n", "4", "shard", "sh", SAMPLE, "-n", "3"])
    check(rc == 0, err)
    run_ok(["shard", SAMPLE, "-n", "3", "-q", "-o", "sh1"])
    for k in range(3):
        name = f"shard-{k:05d}.jsonl.zst"
        check(zstd_bytes(f"sh/{name}") == zstd_bytes(f"sh1/{name}"), f"shard {k}")
    # synl and needle: samples are functions of (seed, index), so every file
    rc, err = parallel(["-n", "4", "synl", "sy", "-t", LLAMA3, "-n", "10", "--seq-len", "4k,8k"])
    check(rc == 0, err)
    run_ok(["synl", "-t", LLAMA3, "-n", "10", "--seq-len", "4k,8k", "-q", "-o", "sy1"])
    check(tree("sy") == tree("sy1"), f"synl: {sorted(tree('sy'))} vs {sorted(tree('sy1'))}")
    needle = ["-t", LLAMA3, "--seq-len", "4k", "--tasks", "niah_single,kv", "--haystack", SAMPLE]
    rc, err = parallel(["-n", "4", "needle", "nd"] + needle)
    check(rc == 0, err)
    run_ok(["needle"] + needle + ["-q", "-o", "nd1"])
    check(tree("nd") == tree("nd1"), "needle")
    run_ok(["verify", "nd", "-q"])


def check_each_document_once(map_path, seqs, docs):
    """The map names every token of every document exactly once."""
    seen = {}
    for line in open(map_path):
        for d, _, start, length in json.loads(line)["chunks"]:
            if d >= 0:
                seen.setdefault(d, []).append((start, length))
    n_docs = len(docs) - 1
    check(sorted(seen) == list(range(n_docs)), f"{len(seen)} of {n_docs} documents, "
          f"numbered {min(seen)}..{max(seen)}")
    for d, spans in seen.items():
        spans.sort()
        n = sum(len(seqs[s]) for s in range(docs[d], docs[d + 1]))
        pos = 0
        for start, length in spans:
            check(start == pos, f"document {d}: gap or overlap at {start}")
            pos += length
        check(pos == n, f"document {d}: {pos} of {n} tokens")


@test
def cip_parts_take_every_document_once(tmp):
    sample = plain_sample()
    run_ok(["tokenize", "-t", LLAMA3, sample, "-q", "-o", "tok/ll"])
    _, seqs, docs = megatron.read("tok/ll")
    # from a token dataset: parts take document ranges of it
    cip = ["--seq-len", "8k", "--chunks-per-doc", "2"]
    rc, err = parallel(["-n", "4", "cip", "c", "tok/ll"] + cip)
    check(rc == 0, err)
    run_ok(["verify", "c", "-q"])
    check_each_document_once("c/len-0008192/part-00000.map.jsonl", seqs, docs)
    # from text: each part tokenizes its own slice; the merged map numbers
    # the documents as the single tokenize run does
    rc, err = parallel(["-n", "4", "cip", "t", "-t", LLAMA3, sample] + cip)
    check(rc == 0, err)
    check_each_document_once("t/len-0008192/part-00000.map.jsonl", seqs, docs)


@test
def slurm_scripts_run_the_array_and_the_merge(tmp):
    # a stand-in sbatch: runs the array tasks one by one, then the job that
    # depends on them, with the variables Slurm sets
    write("bin/sbatch", """#!/bin/sh
array=""; dep=""
while [ $# -gt 0 ]; do
  case $1 in
    --array=*) array=${1#--array=};;
    --dependency=*) dep=${1#--dependency=};;
    --parsable|--*=*) ;;
    *) break;;
  esac
  shift
done
[ -n "$dep" ] && echo "$dep" >> deps.log
if [ -n "$array" ]; then
  last=${array#0-}
  for i in $(seq 0 "$last"); do
    SLURM_ARRAY_TASK_ID=$i SLURM_ARRAY_TASK_COUNT=$((last + 1)) SLURM_ARRAY_JOB_ID=41 \\
      bash "$@" || exit 1
  done
  echo 41
else
  bash "$@" || exit 1
  echo 42
fi
""")
    os.chmod("bin/sbatch", 0o755)
    env = dict(os.environ, PATH=os.path.abspath("bin") + ":" + os.environ["PATH"],
               LONGWEAVE=LONGWEAVE)
    p = subprocess.run([os.path.join(SLURM, "submit.sh"), "3", "tokenize", "s/ll", "-t", LLAMA3,
                        SAMPLE], capture_output=True, env=env, timeout=600)
    check(p.returncode == 0, p.stderr.decode())
    check(open("deps.log").read().strip() == "afterok:41", open("deps.log").read())
    run_ok(["tokenize", "-t", LLAMA3, SAMPLE, "-q", "-o", "one/ll"])
    check(open("s/ll.bin", "rb").read() == open("one/ll.bin", "rb").read())
    check(open("s/ll.idx", "rb").read() == open("one/ll.idx", "rb").read())


def big_input(copies=6):
    """The sample corpus several times over, uncompressed (a run of a few
    seconds, long enough to be killed midway)."""
    data = zstd_bytes(SAMPLE)
    lines = data.decode().splitlines()
    out = []
    for c in range(copies):
        out += [json.dumps(dict(json.loads(l), id=f"{c}-{i}")) for i, l in enumerate(lines)]
    return write("big.jsonl", "\n".join(out) + "\n")


def kill_when(proc, ready, timeout=120, top=None):
    """SIGKILL proc's process group once ready() holds, and then (top given)
    every longweave still writing under top: GNU parallel runs its jobs in
    process groups of their own, which outlive it, as on a real node."""
    end = time.time() + timeout
    while not ready() and time.time() < end and proc.poll() is None:
        time.sleep(0.01)
    check(proc.poll() is None, "the run ended before it could be killed")
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    for d, _, files in os.walk(top) if top else []:
        for f in files:
            if f.endswith(".longweave-lock"):
                try:
                    pid = int(open(os.path.join(d, f)).read().split()[0])
                    os.kill(pid, signal.SIGKILL)
                    while os.path.exists(f"/proc/{pid}"):
                        time.sleep(0.01)
                except (ValueError, IndexError, ProcessLookupError, FileNotFoundError):
                    pass


@test
def sigkill_then_resume_gives_the_uninterrupted_run(tmp):
    big = big_input()
    args = ["tokenize", "-t", LLAMA3, big, "--append-eod", "-j", "1", "-o", "k/ll"]
    run_ok(args[:-2] + ["-q", "-o", "one/ll"])
    p = subprocess.Popen([LONGWEAVE] + args, stderr=subprocess.DEVNULL, start_new_session=True)
    kill_when(p, lambda: tmp_files("k"))
    check(not os.path.exists("k/ll.manifest.json") and not os.path.exists("k/ll.bin"))
    check(tmp_files("k"), "a killed run leaves its temporary files")
    rc, _, err = run(args + ["--resume"])
    check(rc == 0, err)
    check("removed" in err and "temporary file" in err, err)
    check(not tmp_files("k"), str(tmp_files("k")))
    for ext in [".bin", ".idx"]:
        check(open("k/ll" + ext, "rb").read() == open("one/ll" + ext, "rb").read(), ext)
    # a finished output is verified and skipped...
    before = os.stat("k/ll.bin").st_mtime_ns
    rc, _, err = run(args + ["--resume"])
    check(rc == 0 and "nothing to do" in err, err)
    check(os.stat("k/ll.bin").st_mtime_ns == before, "rewritten")
    # ...unless a file no longer matches its checksum, or the command changed
    with open("k/ll.bin", "r+b") as f:
        f.seek(1000)
        b = f.read(1)
        f.seek(1000)
        f.write(bytes([b[0] ^ 1]))
    rc, _, err = run(args + ["--resume"])
    check(rc == 0 and "does not verify" in err, err)
    check(open("k/ll.bin", "rb").read() == open("one/ll.bin", "rb").read(), "not redone")
    rc, _, err = run(args[:-2] + ["--prepend-bos", "-o", "k/ll", "--resume"])
    check(rc == 0 and "another command" in err, err)


@test
def killed_cip_from_text_leaves_nothing_after_resume(tmp):
    # cip -t tokenizes into a hidden folder first; a kill there leaves it
    big = big_input(3)
    args = ["cip", "-t", LLAMA3, big, "--seq-len", "8k", "-j", "1", "--part", "0/2", "-o", "c"]
    p = subprocess.Popen([LONGWEAVE] + args, stderr=subprocess.DEVNULL, start_new_session=True)
    kill_when(p, lambda: tmp_files("c/.cip-tokens-part-00000"))
    rc, _, err = run(args + ["--resume"])
    check(rc == 0, err)
    check(not tmp_files("c") and not os.path.exists("c/.cip-tokens-part-00000"),
          f"{tmp_files('c')} {os.listdir('c')}")
    run_ok(args[:-2] + ["-q", "-o", "one"])
    check(tree("c") == tree("one"), "differs from an uninterrupted run")


@test
def killed_parallel_run_resumes_only_the_unfinished_parts(tmp):
    big = big_input(4)
    args = ["-n", "4", "-j", "1", "tokenize", "r/ll", "-t", LLAMA3, big]
    p = subprocess.Popen([PARALLEL, "--longweave", LONGWEAVE] + args, stderr=subprocess.DEVNULL,
                         start_new_session=True)
    first = "r/ll.parts/part-00000/ll.manifest.json"
    kill_when(p, lambda: os.path.exists(first) and tmp_files("r/ll.parts/part-00001"), top="r")
    check(not os.path.exists("r/ll.bin"), "merged before the parts were done")
    done = os.stat(first).st_mtime_ns
    rc, err = parallel(["--resume"] + args)
    check(rc == 0, err)
    check(os.stat(first).st_mtime_ns == done, "a finished part was redone")
    check(not tmp_files("r"), str(tmp_files("r")))
    run_ok(["tokenize", "-t", LLAMA3, big, "-q", "-o", "one/ll"])
    for ext in [".bin", ".idx"]:
        check(open("r/ll" + ext, "rb").read() == open("one/ll" + ext, "rb").read(), ext)


def final_files(top):
    return [f for f in tree(top, skip_manifests=False) if ".tmp." not in f]


@test
def full_disk_is_exit_74_with_nothing_published(tmp):
    run_ok(["tokenize", "-t", LLAMA3, SAMPLE, "-q", "-o", "tok/ll"])

    def small_files():
        resource.setrlimit(resource.RLIMIT_FSIZE, (300_000, 300_000))
    runs = {
        "tokenize": ["tokenize", "-t", LLAMA3, SAMPLE, "-o", "out/ll"],
        "cip": ["cip", "tok/ll", "--seq-len", "8k", "-o", "out"],
        "synl": ["synl", "-t", LLAMA3, "-n", "40", "--seq-len", "8k", "-o", "out"],
        "merge": ["merge", "out/ll", "tok/ll", "tok/ll"],
        "mix": ["mix", "--source", "tok/ll:1", "--tokens", "1M", "-o", "out/ll"],
    }
    for name, args in runs.items():
        rc, _, err = run(args, preexec_fn=small_files)
        check(rc == 74 and "File too large" in err, f"{name}: {rc} {err}")
        check(not os.path.isdir("out") or final_files("out") == [],
              f"{name} left {final_files('out')}")
        check(not os.path.isdir("out") or not tmp_files("out"), f"{name}: {tmp_files('out')}")
        subprocess.run(["rm", "-rf", "out"], check=True)


@test
def parallel_sh_checks_first_and_says_what_it_did(tmp):
    # it printed nothing on success, and ran every part before the merge
    # found that the output was already there
    args = ["-n", "3", "synl", "sy", "-t", LLAMA3, "-n", "6", "--seq-len", "4k"]
    rc, err = parallel(args)
    check(rc == 0 and "parallel.sh: synl in 3 parts, merged into sy in " in err and
          "manifest: sy/manifest.json" in err, err)
    joblog = os.path.getmtime("sy.parts/joblog")
    first = open("sy/chat/part-00000.jsonl", "rb").read()
    rc, err = parallel(args)
    check(rc == 73 and "sy already holds an output (sy/manifest.json)" in err and
          "--resume" in err and "--force" in err, f"{rc} {err}")
    check(os.path.getmtime("sy.parts/joblog") == joblog, "parts ran before the refusal")
    rc, err = parallel(["--resume"] + args)
    check(rc == 0 and "3 had an output already" in err, err)
    rc, err = parallel(["--force"] + args)
    check(rc == 0 and open("sy/chat/part-00000.jsonl", "rb").read() == first, err)


if __name__ == "__main__":
    raise SystemExit(main())
