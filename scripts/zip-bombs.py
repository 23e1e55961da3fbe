#!/usr/bin/env python3
"""Write archive bombs into DIR, for measuring keyscan's archive limits.

Usage: scripts/zip-bombs.py DIR [GiB]

  flat.zip      one entry of GiB GiB of zeros (deflate, ~1000:1)
  nested.zip    16 zips of 16 entries of GiB/256 GiB each (42.zip's shape)
  many.zip      200,000 empty entries (the entry limit)
  bomb.tar.gz   one tar entry of GiB GiB of zeros
  bomb.gz       GiB GiB of zeros, gzip alone

Then: /usr/bin/time -v target/release/keyscan DIR
"""
import gzip
import io
import os
import sys
import tarfile
import zipfile

MiB = 1 << 20


def zeros_entry(z, name, size):
    block = bytes(MiB)
    with z.open(name, "w", force_zip64=True) as f:
        left = size
        while left:
            n = min(left, MiB)
            f.write(block[:n])
            left -= n


class Zeros(io.RawIOBase):
    def __init__(self, size):
        self.left = size

    def readable(self):
        return True

    def readinto(self, b):
        n = min(len(b), self.left)
        b[:n] = bytes(n)
        self.left -= n
        return n


def main():
    out = sys.argv[1]
    gib = int(sys.argv[2]) if len(sys.argv) > 2 else 4
    size = gib << 30
    os.makedirs(out, exist_ok=True)
    with zipfile.ZipFile(os.path.join(out, "flat.zip"), "w", zipfile.ZIP_DEFLATED) as z:
        zeros_entry(z, "zeros.bin", size)
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w", zipfile.ZIP_DEFLATED) as z:
        for i in range(16):
            zeros_entry(z, f"z{i}.bin", size // 256)
    with zipfile.ZipFile(os.path.join(out, "nested.zip"), "w", zipfile.ZIP_STORED) as z:
        for i in range(16):
            z.writestr(f"part{i}.zip", inner.getvalue())
    with zipfile.ZipFile(os.path.join(out, "many.zip"), "w", zipfile.ZIP_STORED) as z:
        for i in range(200_000):
            z.writestr(f"e{i}", b"")
    with tarfile.open(os.path.join(out, "bomb.tar.gz"), "w:gz") as t:
        ti = tarfile.TarInfo("zeros.bin")
        ti.size = size
        t.addfile(ti, io.BufferedReader(Zeros(size)))
    with gzip.open(os.path.join(out, "bomb.gz"), "wb") as g:
        block = bytes(MiB)
        for _ in range(size // MiB):
            g.write(block)
    for n in sorted(os.listdir(out)):
        print(f"{n}: {os.path.getsize(os.path.join(out, n)):,} bytes")


if __name__ == "__main__":
    main()
