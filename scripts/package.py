#!/usr/bin/env python3
"""Release archives of keyscan, and the checksums file beside them.

Usage (from the repository root):

    scripts/package.py TARGET VERSION OUTDIR [--binary PATH]
    scripts/package.py --sums OUTDIR

The first form writes one archive for one target triple:

    OUTDIR/keyscan-VERSION-TARGET.tar.gz     (.zip for a *-windows-* target)
      keyscan-VERSION-TARGET/keyscan         (keyscan.exe on Windows; mode 0755)
      keyscan-VERSION-TARGET/README.md
      keyscan-VERSION-TARGET/LICENSE

and OUTDIR/keyscan-VERSION-TARGET.tar.gz.sha256 (one `sha256sum` line).
The binary is --binary, or target/TARGET/release/keyscan[.exe]. The archive
is reproducible: entries in a fixed order, owner 0, mtime SOURCE_DATE_EPOCH
(default 0), so the same binary gives the same bytes and the same sum.

The second form writes OUTDIR/SHA256SUMS over every archive and wheel in
OUTDIR, sorted by name, in the format `sha256sum -c` checks (the GitHub
Action verifies its download against it). This layout is what
`[package.metadata.binstall]` in Cargo.toml describes; tests/it/dist.rs
checks both.

Python, not shell: the release workflow runs it unchanged on Linux, macOS
and Windows runners (zip included), with no tool that differs by OS.
"""
import gzip
import hashlib
import os
import sys
import tarfile
import time
import zipfile

NAME = "keyscan"
EXTRAS = ("README.md", "LICENSE")


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def archive(target, version, outdir, binary, root):
    windows = "windows" in target
    exe = NAME + (".exe" if windows else "")
    if binary is None:
        binary = os.path.join(root, "target", target, "release", exe)
    if not os.path.isfile(binary):
        sys.exit(f"package.py: no binary at {binary} (build it, or pass --binary)")
    stem = f"{NAME}-{version}-{target}"
    files = [(exe, binary, 0o755)] + [(x, os.path.join(root, x), 0o644) for x in EXTRAS]
    epoch = int(os.environ.get("SOURCE_DATE_EPOCH", "0"))
    os.makedirs(outdir, exist_ok=True)
    if windows:
        out = os.path.join(outdir, stem + ".zip")
        # zip cannot store a time before 1980.
        stamp = max(epoch, 315532800)
        date = time.gmtime(stamp)[:6]
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
            for name, src, mode in files:
                info = zipfile.ZipInfo(f"{stem}/{name}", date_time=date)
                info.external_attr = (0o100000 | mode) << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                with open(src, "rb") as f:
                    z.writestr(info, f.read())
    else:
        out = os.path.join(outdir, stem + ".tar.gz")
        with open(out, "wb") as raw:
            # mtime=0 in the gzip header too, or the sum changes every run.
            with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz:
                with tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar:
                    d = tarfile.TarInfo(stem)
                    d.type, d.mode, d.mtime = tarfile.DIRTYPE, 0o755, epoch
                    tar.addfile(d)
                    for name, src, mode in files:
                        info = tarfile.TarInfo(f"{stem}/{name}")
                        info.size, info.mode, info.mtime = os.path.getsize(src), mode, epoch
                        with open(src, "rb") as f:
                            tar.addfile(info, f)
    with open(out + ".sha256", "w", newline="\n") as f:
        f.write(f"{sha256(out)}  {os.path.basename(out)}\n")
    print(out)


def sums(outdir):
    names = sorted(
        n
        for n in os.listdir(outdir)
        if n.endswith((".tar.gz", ".zip", ".whl")) and os.path.isfile(os.path.join(outdir, n))
    )
    if not names:
        sys.exit(f"package.py: no archive or wheel in {outdir}")
    body = "".join(f"{sha256(os.path.join(outdir, n))}  {n}\n" for n in names)
    out = os.path.join(outdir, "SHA256SUMS")
    with open(out, "w", newline="\n") as f:
        f.write(body)
    print(out)


def main(argv):
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if len(argv) == 2 and argv[0] == "--sums":
        return sums(argv[1])
    binary = None
    if "--binary" in argv:
        i = argv.index("--binary")
        if i + 1 >= len(argv):
            sys.exit("package.py: --binary needs a path")
        binary = argv[i + 1]
        argv = argv[:i] + argv[i + 2 :]
    if len(argv) != 3 or argv[0].startswith("-"):
        sys.exit(__doc__.split("\n\n")[1])
    target, version, outdir = argv
    if version.startswith("v"):
        sys.exit("package.py: VERSION is the bare number (0.1.0), not the tag")
    archive(target, version, outdir, binary, root)


if __name__ == "__main__":
    main(sys.argv[1:])
