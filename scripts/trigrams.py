#!/usr/bin/env python3
"""Count 3-byte grams in a body of ordinary source code and config text.

The keyword prefilter (src/prefilter.rs) represents each keyword by its
rarest 3-byte substring; this table says which grams are common. Bytes are
folded as the prefilter folds them (`| 0x20`: ASCII letters to lower case).

Usage: scripts/trigrams.py OUT DIR... (every file under each DIR whose name
ends in a text extension; the checked-in table was built from the Python
standard library, the Rust crates in ~/.cargo/registry/src, /usr/include,
/usr/share/perl and /usr/lib/node_modules on a Debian machine: none of it
is the benchmark tree).
"""
import collections
import os
import sys

EXTS = {".py", ".rs", ".toml", ".md", ".json", ".h", ".c", ".js", ".ts",
        ".pm", ".pl", ".yml", ".yaml", ".cfg", ".ini", ".sh", ".txt", ".html"}
TOP = 4096


def main():
    out, dirs = sys.argv[1], sys.argv[2:]
    freq = collections.Counter()
    total = 0
    fold = bytes((b | 0x20) for b in range(256))
    for d in dirs:
        for root, _, files in os.walk(d):
            for name in files:
                if os.path.splitext(name)[1] not in EXTS:
                    continue
                try:
                    with open(os.path.join(root, name), "rb") as f:
                        data = f.read(1 << 20)
                except OSError:
                    continue
                if b"\0" in data[:8192]:
                    continue
                data = data.translate(fold)
                total += len(data)
                freq.update(data[i:i + 3] for i in range(len(data) - 2))
    with open(out, "w") as f:
        f.write(f"# 3-byte grams per million positions; top {TOP} of {total} bytes "
                "(scripts/trigrams.py)\n")
        for gram, n in freq.most_common(TOP):
            if all(0x20 <= b < 0x7f for b in gram):
                f.write(f"{gram.hex()} {max(1, round(n * 1e6 / total))}\n")


if __name__ == "__main__":
    main()
