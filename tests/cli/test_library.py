"""The library as a user gets it: `make install DESTDIR=... PREFIX=/usr/local`
installs longweave.h, the headers it includes and no other, liblongweave.a,
the command and longweave.pc; examples/library/tokenize_and_read.c, built
with the installed pkg-config file alone, tokenizes a JSON Lines file to the
same ids as `longweave tokenize` (read back here with megatron.py, not
through the library) and decodes its first sequence to the document's text;
longweave.h compiles alone as strict C11 and in a C++ program that links;
`make uninstall` removes what install put there."""
import json
import os
import re
import shutil
import subprocess

import megatron
from harness import LONGWEAVE, ROOT, Skip, check, main, run_ok, test

PREFIX = "/usr/local"
CL100K = os.path.join(ROOT, "tests", "fixtures", "tokenizers", "cl100k_base.tiktoken")
EXAMPLE = os.path.join(ROOT, "examples", "library", "tokenize_and_read.c")
BUILD = os.path.dirname(os.path.abspath(LONGWEAVE))
if BUILD.startswith(ROOT + os.sep):
    BUILD = os.path.relpath(BUILD, ROOT)  # as make names it, so its .d files apply

DOCS = [
    {"id": "a", "text": "Hello, world! This is longweave's library, from C."},
    {"id": "b", "text": "Zweite Zeile: Grüße aus Köln, 東京 and ☃ too.\nwith a newline"},
    {"id": "c", "text": "    indented code:\n\tfor (int i = 0; i < n; i++) x += i;\n"},
]


def sanitized():
    """Is the library under test an ASan/UBSan build (make asan)? Then the
    example is built with the same runtime."""
    lib = os.path.join(ROOT, BUILD, "liblongweave.a")
    p = subprocess.run(["nm", lib], capture_output=True, text=True)
    return "__asan_" in p.stdout


def make(*args):
    """make in the source tree (wherever it was cloned), for this build;
    returns its output."""
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    extra = ["SANITIZE=1"] if sanitized() else []
    p = subprocess.run(["make", "--no-print-directory", "-C", ROOT, f"BUILD={BUILD}", *extra,
                        *args], capture_output=True, text=True, env=env)
    check(p.returncode == 0, f"make {' '.join(args)} exited {p.returncode}:\n{p.stdout}\n"
          f"{p.stderr}")
    return p.stdout


def install(tmp):
    dest = os.path.join(tmp, "dest")
    make("install", f"DESTDIR={dest}", f"PREFIX={PREFIX}")
    return dest


def pkg_config(dest, *args):
    exe = shutil.which("pkg-config") or shutil.which("pkgconf")
    if not exe:
        raise Skip("pkg-config is not installed (apt-get install pkgconf)")
    env = dict(os.environ, PKG_CONFIG_PATH=os.path.join(dest + PREFIX, "lib", "pkgconfig"),
               PKG_CONFIG_SYSROOT_DIR=dest)
    env.pop("PKG_CONFIG_LIBDIR", None)
    p = subprocess.run([exe, *args, "longweave"], capture_output=True, text=True, env=env)
    check(p.returncode == 0, f"pkg-config {' '.join(args)}: {p.stderr}")
    return p.stdout.split()


def compile_flags(dest):
    """What a user's build line gets: pkg-config's flags (plus the sanitizer
    runtime when the library is an ASan build)."""
    san = ["-fsanitize=address,undefined"] if sanitized() else []
    return pkg_config(dest, "--cflags", "--libs", "--static") + san


def compiler(name, lang):
    exe = shutil.which(name)
    if not exe:
        raise Skip(f"no {lang} compiler ({name})")
    return exe


def sh(args, what):
    p = subprocess.run(args, capture_output=True, text=True)
    check(p.returncode == 0, f"{what} exited {p.returncode}:\n{' '.join(args)}\n{p.stdout}\n"
          f"{p.stderr}")
    return p.stdout


def public_closure():
    """longweave.h and the headers of include/longweave/ it includes,
    following the #include lines here (not the compiler the Makefile asks)."""
    seen, todo = set(), ["longweave.h"]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        text = open(os.path.join(ROOT, "include", name), encoding="utf-8").read()
        todo += re.findall(r'^\s*#\s*include\s+"(longweave/[a-z0-9_]+\.h)"', text, re.M)
    return seen


@test
def install_puts_only_the_public_headers(tmp):
    dest = install(tmp)
    root = dest + PREFIX
    installed = set()
    for d, _, files in os.walk(os.path.join(root, "include")):
        for f in files:
            installed.add(os.path.relpath(os.path.join(d, f), os.path.join(root, "include")))
    public = public_closure()
    check(installed == public, f"installed {sorted(installed ^ public)} differ from what "
          f"longweave.h includes")
    every = {"longweave/" + f for f in os.listdir(os.path.join(ROOT, "include", "longweave"))}
    internal = every - public
    check(len(internal) >= 14, f"only {sorted(internal)} stayed internal")
    # the headers whose structs hold file descriptors or maps stay inside
    for name in ("outfile.h", "megatron.h", "fileio.h", "token_docs.h", "dataset.h"):
        check("longweave/" + name in internal, f"{name} was installed")
    for f in ("bin/longweave", "lib/liblongweave.a", "lib/pkgconfig/longweave.pc"):
        check(os.path.isfile(os.path.join(root, f)), f"{f} not installed")
    pc = open(os.path.join(root, "lib", "pkgconfig", "longweave.pc")).read()
    check(f"prefix={PREFIX}\n" in pc, pc)
    version = re.search(r'LW_VERSION "(.*)"',
                        open(os.path.join(ROOT, "include", "longweave", "version.h")).read())
    check(f"Version: {version.group(1)}\n" in pc, pc)
    # every library the Makefile links the command with is in Libs.private
    libs = make("-s", "print-libs").split()
    private = re.search(r"^Libs.private: (.*)$", pc, re.M).group(1).split()
    check(libs and all(lib in private for lib in libs), f"Libs.private {private}, LIBS {libs}")
    out = sh([os.path.join(root, "bin", "longweave"), "--version"], "installed longweave")
    check(version.group(1) in out, out)


@test
def example_tokenizes_as_the_command_does(tmp):
    dest = install(tmp)
    cc = compiler("cc", "C")
    exe = os.path.join(tmp, "tokenize_and_read")
    sh([cc, "-std=c11", "-Wall", "-Wextra", "-Werror", "-pedantic", EXAMPLE, "-o", exe,
        *compile_flags(dest)], "building the example")
    inp = os.path.join(tmp, "in.jsonl")
    with open(inp, "w", encoding="utf-8") as f:
        for d in DOCS:
            f.write(json.dumps(d, ensure_ascii=False) + "\n")
    out_dir = os.path.join(tmp, "lib")
    os.mkdir(out_dir)
    out = sh([exe, CL100K, inp, out_dir], "the example")

    run_ok(["tokenize", "-t", CL100K, "-o", os.path.join(tmp, "cli"), inp, "-q"])
    _, seqs, _ = megatron.read(os.path.join(tmp, "cli"))
    tokens = sum(len(s) for s in seqs)
    check(len(seqs) == len(DOCS), seqs)
    check(f"stage: {len(DOCS)} documents read, {len(seqs)} sequences, {tokens} tokens\n" in out,
          out)
    check(f"by hand: {len(DOCS)} documents, 0 skipped, {tokens} tokens\n" in out, out)
    check(f"read back: {len(seqs)} sequences, {tokens} tokens\n" in out, out)
    check("stage and by hand: the same ids\n" in out, out)
    first = " ".join(str(i) for i in seqs[0])
    check(f"sequence 0: {len(seqs[0])} ids: {first}\n" in out, out)
    check(out.endswith(f"decoded: {DOCS[0]['text']}\n"), out)
    # both of the example's datasets are the command's, byte for byte
    for name in ("stage", "byhand"):
        _, mine, _ = megatron.read(os.path.join(out_dir, name))
        check(mine == seqs, f"{name}: other ids than longweave tokenize")
    for ext in (".bin", ".idx"):
        check(open(os.path.join(out_dir, "stage" + ext), "rb").read() ==
              open(os.path.join(tmp, "cli" + ext), "rb").read(), f"stage{ext} differs")


SEQR_DUMP = r"""
#include <longweave.h>
#include <inttypes.h>
#include <stdio.h>

/* Every sequence of PATH as lw_seqr reads it: "q: n ids / mask", then the counts. */
int main(int argc, char **argv)
{
    lw_error err = {0};
    lw_seqr *r = NULL;
    if (argc != 2 || lw_seqr_open(&r, argv[1], &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return err.status ? (int)err.status : 64;
    }
    lw_ids ids = {0};
    lw_buf mask = {0};
    for (uint64_t q = 0; q < lw_seqr_sequences(r); q++) {
        if (lw_seqr_read(r, q, &ids, &mask, &err)) {
            fprintf(stderr, "%s\n", err.msg);
            return (int)err.status;
        }
        printf("%" PRIu64 " %" PRIu32 ":", q, lw_seqr_length(r, q));
        for (size_t i = 0; i < ids.len; i++)
            printf(" %" PRIu32, ids.v[i]);
        printf(" /");
        for (size_t i = 0; i < mask.len; i++)
            printf(" %d", mask.data[i]);
        printf("\n");
    }
    printf("%" PRIu64 " sequences %" PRIu64 " tokens masked %d\n", lw_seqr_sequences(r),
           lw_seqr_tokens(r), (int)lw_seqr_masked(r));
    lw_ids_free(&ids);
    lw_buf_free(&mask);
    lw_seqr_close(r);
    return 0;
}
"""


@test
def seqr_reads_an_output_directory_and_refuses_other_formats(tmp):
    """lw_seqr over a CIP output of two lengths (two datasets, with their
    loss masks) reads what megatron.py reads of the manifest's datasets, in
    the manifest's order; a datatrove dataset is refused by name."""
    dest = install(tmp)
    with open("dump.c", "w") as f:
        f.write(SEQR_DUMP)
    exe = os.path.join(tmp, "dump")
    sh([compiler("cc", "C"), "-std=c11", "-Wall", "-Wextra", "-Werror", "-pedantic", "dump.c",
        "-o", exe, *compile_flags(dest)], "building the dump")
    with open("in.jsonl", "w", encoding="utf-8") as f:
        for i in range(12):
            f.write(json.dumps({"text": f"document {i}: " + "lorem ipsum dolor " * (5 + 3 * i)})
                    + "\n")
    run_ok(["cip", "-t", CL100K, "-o", "cip", "--seq-len", "64,128", "in.jsonl", "-q"])
    m = json.load(open(os.path.join("cip", "manifest.json")))
    prefixes = sorted(d["prefix"] for d in m["datasets"])
    check(len(prefixes) == 2, prefixes)
    want = []
    for prefix in prefixes:
        want += megatron.pairs(os.path.join("cip", prefix))
    masked = int(all(mask is not None for _, mask in want))
    out = sh([exe, "cip"], "the dump").splitlines()
    tokens = sum(len(s) for s, _ in want)
    check(out[-1] == f"{len(want)} sequences {tokens} tokens masked {masked}", out[-1])
    for q, (seq, mask) in enumerate(want):
        line = f"{q} {len(seq)}:" + "".join(f" {i}" for i in seq) + " /" + "".join(f" {b}" for b in mask or [])
        check(out[q] == line, f"sequence {q}:\n{out[q]}\n{line}")

    run_ok(["tokenize", "-t", CL100K, "-o", "dt", "--format", "datatrove", "in.jsonl", "-q"])
    p = subprocess.run([exe, "dt"], capture_output=True, text=True)
    check(p.returncode == 64 and "datatrove" in p.stderr, f"{p.returncode}: {p.stderr}")
    p = subprocess.run([exe, "nothing-here"], capture_output=True, text=True)
    check(p.returncode == 66 and "nothing-here" in p.stderr, f"{p.returncode}: {p.stderr}")


@test
def header_compiles_alone_in_c11_and_cxx(tmp):
    dest = install(tmp)
    cflags = pkg_config(dest, "--cflags")
    with open("alone.c", "w") as f:
        f.write("#include <longweave.h>\nint main(void) { return LW_OK; }\n")
    sh([compiler("cc", "C"), "-std=c11", "-Wall", "-Wextra", "-Werror", "-pedantic",
        *cflags, "-c", "alone.c", "-o", "alone.o"], "cc -std=c11 -pedantic")
    # C++: the declarations are extern "C", so a C++ program links against
    # the C library by their plain names
    with open("use.cc", "w") as f:
        f.write('#include <longweave.h>\n#include <cstdio>\n#include <cstring>\n'
                'int main() {\n'
                '    lw_error err = lw_error();\n'
                '    lw_tokenizer *t = nullptr;\n'
                '    lw_tok_opts o = lw_tok_opts();\n'
                '    lw_status st = lw_tok_load(&t, "/nonexistent.model", &o, &err);\n'
                '    std::printf("%s %s %s\\n", lw_version(), lw_status_name(st), '
                'std::strstr(err.msg, "nonexistent") ? "named" : "unnamed");\n'
                '    return st == LW_E_NOINPUT ? 0 : 1;\n'
                '}\n')
    exe = os.path.join(tmp, "use")
    sh([compiler("c++", "C++"), "-std=c++11", "-Wall", "-Wextra", "-Werror", "-pedantic",
        "use.cc", "-o", exe, *compile_flags(dest)], "c++ with longweave.h")
    out = sh([exe], "the C++ program")
    check(out.endswith(" named\n") and out.split()[0] != "", out)


@test
def uninstall_removes_what_install_put(tmp):
    dest = install(tmp)
    make("uninstall", f"DESTDIR={dest}", f"PREFIX={PREFIX}")
    left = [os.path.join(d, f) for d, _, files in os.walk(dest) for f in files]
    check(not left, f"left after uninstall: {left}")


if __name__ == "__main__":
    raise SystemExit(main())
