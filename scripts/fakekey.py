#!/usr/bin/env python3
"""Print fake, random, format-valid keys for rule examples and fixtures.

Usage: scripts/fakekey.py KIND [COUNT] [--seed N]

Every key printed is random and belongs to no account. Kinds:
  openai-project  openai-svcacct  openai-admin  openai-legacy
  anthropic  anthropic-admin  google  hf  aws-id  aws-secret
  github-classic[:ghp|gho|ghu|ghs|ghr]  github-fine  npm
  alnum:N  hex:N  lower:N  b64:N  b64url:N  raw:PREFIX:CHARSET:N
CHARSET is one of alnum, hex, lower, upper, b64, b64url, digits, base32.
"""
import random
import sys
import zlib

CHARSETS = {
    "alnum": "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
    "hex": "0123456789abcdef",
    "lower": "abcdefghijklmnopqrstuvwxyz0123456789",
    "upper": "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
    "b64": "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
    "b64url": "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
    "digits": "0123456789",
    "base32": "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567",
    "letters": "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
}
B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def rnd(charset, n, rng):
    while True:
        s = "".join(rng.choice(CHARSETS[charset]) for _ in range(n))
        # avoid accidental placeholder-looking runs
        if not any(s[i] == s[i + 1] == s[i + 2] for i in range(len(s) - 2)):
            return s


def b62(n):
    out = ""
    for _ in range(6):
        out = B62[n % 62] + out
        n //= 62
    return out


def crc_token(prefix, rng):
    body = rnd("alnum", 30, rng)
    return prefix + body + b62(zlib.crc32(body.encode()))


def make(kind, rng):
    if kind == "openai-project":
        return "sk-proj-" + rnd("b64url", 74, rng) + "T3BlbkFJ" + rnd("b64url", 74, rng)
    if kind == "openai-svcacct":
        return "sk-svcacct-" + rnd("b64url", 74, rng) + "T3BlbkFJ" + rnd("b64url", 74, rng)
    if kind == "openai-admin":
        return "sk-admin-" + rnd("b64url", 58, rng) + "T3BlbkFJ" + rnd("b64url", 58, rng)
    if kind == "openai-legacy":
        return "sk-" + rnd("alnum", 20, rng) + "T3BlbkFJ" + rnd("alnum", 20, rng)
    if kind == "anthropic":
        return "sk-ant-api03-" + rnd("b64url", 93, rng) + "AA"
    if kind == "anthropic-admin":
        return "sk-ant-admin01-" + rnd("b64url", 93, rng) + "AA"
    if kind == "google":
        return "AIza" + rnd("b64url", 35, rng)
    if kind == "hf":
        return "hf_" + rnd("letters", 34, rng)
    if kind == "aws-id":
        return "AKIA" + rnd("base32", 16, rng)
    if kind == "aws-secret":
        return rnd("b64", 40, rng)
    if kind.startswith("github-classic"):
        prefix = (kind.split(":")[1] if ":" in kind else "ghp") + "_"
        return crc_token(prefix, rng)
    if kind == "github-fine":
        return "github_pat_" + rnd("alnum", 22, rng) + "_" + rnd("alnum", 59, rng)
    if kind == "npm":
        return crc_token("npm_", rng)
    if kind.startswith("raw:"):
        _, prefix, cs, n = kind.split(":")
        return prefix + rnd(cs, int(n), rng)
    cs, n = kind.split(":")
    return rnd(cs, int(n), rng)


def main(argv):
    seed = None
    if "--seed" in argv:
        i = argv.index("--seed")
        seed = int(argv[i + 1])
        argv = argv[:i] + argv[i + 2:]
    if not argv:
        print(__doc__)
        return 2
    rng = random.Random(seed)
    count = int(argv[1]) if len(argv) > 1 else 1
    for _ in range(count):
        print(make(argv[0], rng))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
