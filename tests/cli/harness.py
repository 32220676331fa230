"""A small test harness for the command-line tests: registers test functions,
runs each in a fresh temporary directory, and reports in TAP. Python standard
library only; zstd files are read through the `zstd` command, so the checks
never go through longweave's own reader."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import traceback

LONGWEAVE = os.environ.get("LONGWEAVE") or os.path.join(
    os.path.dirname(__file__), "..", "..", "build", "longweave")
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SAMPLE = os.path.join(ROOT, "examples", "data", "sample.jsonl.zst")
MULTILINGUAL = os.path.join(ROOT, "examples", "data", "multilingual.jsonl.zst")

_tests = []


def test(fn):
    _tests.append(fn)
    return fn


class Failure(Exception):
    pass


class Skip(Exception):
    """A test that needs a component it cannot get: reported as "# SKIP", and
    counted as a failure under CI (CI=true), which must run every test."""


_node_modules = None


def cached_reference(key_parts, compute):
    """A reference library's output for the inputs named by key_parts (strings,
    and paths whose contents count), computed by compute() -> str once and
    kept in build/refcache: a second pass over the same suite (make asan after
    make test) checks longweave against the same reference output without
    running the reference again. Include the reference's version in key_parts."""
    import hashlib
    h = hashlib.sha256()
    for part in key_parts:
        h.update(b"\0")
        if os.path.isfile(part):
            with open(part, "rb") as f:
                h.update(f.read())
        else:
            h.update(part.encode())
    cache = os.path.join(ROOT, "build", "refcache")
    path = os.path.join(cache, h.hexdigest())
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            return f.read()
    out = compute()
    os.makedirs(cache, exist_ok=True)
    tmp = f"{path}.tmp.{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(out)
    os.replace(tmp, path)
    return out


def python_with_sentencepiece():
    """A Python that imports sentencepiece (Debian's python3-sentencepiece is
    for /usr/bin/python3, which need not be the one running the tests)."""
    for py in (sys.executable, "/usr/bin/python3"):
        if os.path.exists(py) and subprocess.run([py, "-c", "import sentencepiece"],
                                                 capture_output=True).returncode == 0:
            return py
    raise Skip("python3-sentencepiece is not installed (apt-get install python3-sentencepiece)")


def node_modules():
    """The reference npm packages of tests/npm (installed on first use by
    scripts/npm_deps.sh into build/npm, or LONGWEAVE_NODE_MODULES)."""
    global _node_modules
    if _node_modules is None:
        _node_modules = os.environ.get("LONGWEAVE_NODE_MODULES") or ""
        if not _node_modules:
            r = subprocess.run([os.path.join(ROOT, "scripts", "npm_deps.sh")],
                               capture_output=True, text=True)
            _node_modules = r.stdout.strip() if r.returncode == 0 else ""
            if not _node_modules:
                _node_modules = "!" + r.stderr.strip().splitlines()[-1:][0] \
                    if r.stderr.strip() else "!npm failed"
    if _node_modules.startswith("!"):
        raise Skip("the npm reference packages are not installed: " + _node_modules[1:])
    return _node_modules


def check(cond, msg="check failed"):
    if not cond:
        raise Failure(msg)


def run(args, stdin=None, env=None, timeout=300, preexec_fn=None):
    """Run longweave; returns (exit code, stdout bytes, stderr text)."""
    e = dict(os.environ)
    if env:
        e.update(env)
    p = subprocess.run([LONGWEAVE] + [str(a) for a in args], input=stdin,
                       capture_output=True, env=e, timeout=timeout,
                       preexec_fn=preexec_fn)
    return p.returncode, p.stdout, p.stderr.decode("utf-8", "replace")


def run_ok(args, **kw):
    rc, out, err = run(args, **kw)
    if rc != 0:
        raise Failure(f"longweave {' '.join(map(str, args))} exited {rc}:\n{err}")
    return out, err


def zstd_bytes(path):
    return subprocess.run(["zstd", "-dcq", path], check=True,
                          capture_output=True).stdout


def zstd_compress(data, level=3):
    return subprocess.run(["zstd", "-q", f"-{level}", "-c"], input=data, check=True,
                          capture_output=True).stdout


def jsonl_records(data):
    return [json.loads(line) for line in data.decode("utf-8").splitlines() if line.strip()]


def read_input(path):
    """Records of a JSONL or JSONL.zst input, read independently."""
    with open(path, "rb") as f:
        head = f.read(4)
    data = zstd_bytes(path) if head == b"\x28\xb5\x2f\xfd" else open(path, "rb").read()
    return jsonl_records(data)


def shard_files(outdir):
    return sorted(f for f in os.listdir(outdir)
                  if f.startswith("shard-") and f.endswith(".jsonl.zst"))


def read_shards(outdir):
    """List of record lists, one per shard file, in shard order."""
    return [jsonl_records(zstd_bytes(os.path.join(outdir, f))) for f in shard_files(outdir)]


def manifest(outdir):
    with open(os.path.join(outdir, "manifest.json")) as f:
        return json.load(f)


def canon(rec):
    return json.dumps(rec, sort_keys=True, ensure_ascii=False)


def write(path, data):
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode("utf-8"))
    return path


def same_files(a, b, what):
    """Every file under a is in b with the same bytes (what: how b was made)."""
    for root, _, files in os.walk(a):
        for f in files:
            pa = os.path.join(root, f)
            pb = os.path.join(b, os.path.relpath(pa, a))
            check(open(pa, "rb").read() == open(pb, "rb").read(), f"{pa} differs {what}")


def jsonl(records):
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


def main():
    only = sys.argv[1:]
    selected = [t for t in _tests if not only or t.__name__ in only]
    print(f"1..{len(selected)}")
    failed = 0
    for i, t in enumerate(selected, 1):
        tmp = tempfile.mkdtemp(prefix="lwcli.")
        cwd = os.getcwd()
        try:
            os.chdir(tmp)
            t(tmp)
            print(f"ok {i} - {t.__name__}")
        except Skip as e:
            print(f"ok {i} - {t.__name__} # SKIP {e}")
        except Exception as e:  # report every kind of failure, keep going
            failed += 1
            print(f"not ok {i} - {t.__name__}")
            detail = str(e) if isinstance(e, Failure) else traceback.format_exc()
            for line in detail.splitlines()[:40]:
                print(f"# {line}")
        finally:
            os.chdir(cwd)
            shutil.rmtree(tmp, ignore_errors=True)
        sys.stdout.flush()
    return 1 if failed else 0
