"""Build >= 50 MB of real English text for the tokenizer benchmark from two
Debian packages (downloaded with apt-get download, no root needed): the
Linux kernel documentation sources (linux-doc-6.1, GPL-2.0) and the Perl
documentation (perl-doc, GPL-1+ or Artistic). One document per file.

usage: english_corpus.py WORKDIR OUT.jsonl OUT-lines.txt"""
import glob
import gzip
import json
import os
import subprocess
import sys

work, out_jsonl, out_lines = sys.argv[1:4]
os.makedirs(work, exist_ok=True)
for pkg in ("linux-doc-6.1", "perl-doc"):
    if not glob.glob(os.path.join(work, pkg + "_*.deb")):
        subprocess.run(["apt-get", "download", pkg], cwd=work, check=True)
    root = os.path.join(work, pkg)
    if not os.path.isdir(root):
        deb = glob.glob(os.path.join(work, pkg + "_*.deb"))[0]
        subprocess.run(["dpkg", "-x", deb, root], check=True)

docs = []
for path in sorted(glob.glob(os.path.join(work, "linux-doc-6.1", "usr/share/doc/linux-doc-6.1/Documentation/**/*.gz"), recursive=True)):
    docs.append(gzip.open(path).read().decode("utf-8", "replace"))
for path in sorted(glob.glob(os.path.join(work, "perl-doc", "**/*.pod"), recursive=True)):
    docs.append(open(path, "rb").read().decode("utf-8", "replace"))
with open(out_jsonl, "w", encoding="utf-8") as f:
    for d in docs:
        f.write(json.dumps({"text": d}, ensure_ascii=False) + "\n")
with open(out_lines, "w", encoding="utf-8") as f:
    for d in docs:
        for line in d.split("\n"):
            if line.strip():
                f.write(line + "\n")
print(f"{len(docs)} documents, {sum(len(d.encode()) for d in docs) / 1e6:.1f} MB", file=sys.stderr)
