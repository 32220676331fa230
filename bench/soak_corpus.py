"""Gather real text for the soak benchmark: source files, documentation and
HTML installed on this machine (by default Debian's headers, docs, Python and
Perl libraries, and the Python and Rust toolchains under $HOME when present),
one JSON Lines document per file, written as files of about 64 MB into OUTDIR
until TARGET bytes of text. Files are taken in sorted path order (the corpus
is the same on the same machine). If the roots hold less than TARGET, the
files are taken again with new ids, and the unique size is reported.

    python3 bench/soak_corpus.py OUTDIR TARGET_MB [ROOT...]
"""
import json
import os
import sys

EXTENSIONS = {".c", ".h", ".py", ".rs", ".md", ".rst", ".txt", ".html", ".pm", ".pod", ".java",
              ".js", ".ts", ".go", ".tex", ".xml"}
DEFAULT_ROOTS = ["/usr/include", "/usr/share/doc", "/usr/lib/python3", "/usr/share/perl",
                 os.path.expanduser("~/.pyenv"), os.path.expanduser("~/.rustup")]


def text_files(roots):
    for root in roots:
        for d, dirs, names in os.walk(root):
            dirs.sort()
            for n in sorted(names):
                p = os.path.join(d, n)
                if os.path.splitext(n)[1] in EXTENSIONS and not os.path.islink(p):
                    try:
                        if 1024 <= os.path.getsize(p) <= 8 << 20:
                            yield p
                    except OSError:
                        pass


def main():
    outdir, target = sys.argv[1], int(sys.argv[2]) << 20
    roots = [r for r in (sys.argv[3:] or DEFAULT_ROOTS) if os.path.isdir(r)]
    os.makedirs(outdir, exist_ok=True)
    written = unique = files = 0
    part, out, out_bytes = 0, None, 0
    rnd = 0
    while written < target:
        before = written
        for p in text_files(roots):
            try:
                text = open(p, "rb").read().decode("utf-8")
            except (OSError, UnicodeDecodeError):
                continue
            if out is None or out_bytes >= 64 << 20:
                if out:
                    out.close()
                out = open(os.path.join(outdir, f"text-{part:04d}.jsonl"), "w")
                part, out_bytes = part + 1, 0
            line = json.dumps({"id": f"{rnd}:{p}", "text": text}, ensure_ascii=False) + "\n"
            out.write(line)
            n = len(text.encode())
            out_bytes += len(line)
            written += n
            files += 1
            if rnd == 0:
                unique += n
            if written >= target:
                break
        if written == before:
            sys.exit("soak_corpus: no text files under " + " ".join(roots))
        rnd += 1
    out.close()
    print(f"{files} documents, {written / 1e6:.0f} MB of text ({unique / 1e6:.0f} MB unique) "
          f"in {part} files", file=sys.stderr)


if __name__ == "__main__":
    main()
