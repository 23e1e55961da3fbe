#!/usr/bin/env python3
"""Write keyscan's own labelled accuracy set, fixtures/accuracy/.

Usage: scripts/gen-accuracy.py [--out fixtures/accuracy]

The templates are fixtures/accuracy/templates.py (inside the allowlisted
fixtures/, since they hold secret-shaped documentation examples).

Every file is a realistic file a developer would have (code, configs, env
files, scripts, docs), written for this set. Every secret in it is fake and
random (Python `secrets`), with a correct checksum where the format has
one (GitHub and npm CRC32, NATS CRC16, Grafana service-account CRC32), so
that it is well-formed and belongs to no account. Running this script
again draws new values; the committed files are the set.

Templates mark labelled lines at their end, and the mark is removed:
  ⟦P:category⟧  the line holds a credential (category: assignment, jwt,
                auth-header, url, oauth1, jwk, private-key, nats, grafana,
                provider; `password` is recorded apart from the headline); a value spanning several lines (a PEM block) is
                one label with `line_end`
  ⟦N:kind⟧      a hard negative: secret-shaped but not a secret (kind:
                placeholder, env-lookup, template, variable-ref, public-key,
                hash, uuid, salt, encrypted-key, doc-example, identifier,
                unsigned-jwt, public-jwk, nats-public, test-vector, url-plain,
                path, function-call, plain)
  ⟦U⟧           unlabelled (not scored)
Any other line with a letter or digit is labelled false with kind `plain`.
Values are written as «fn arg…» (see VALUES).
The labels go to labels.jsonl in the schema scripts/eval-real.py reads.
"""
import argparse
import base64
import binascii
import hashlib
import json
import os
import re
import secrets
import string
import time
import uuid
import zlib

ALNUM = string.ascii_letters + string.digits
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase


def rnd(charset, n):
    return "".join(secrets.choice(charset) for _ in range(n))


def b64(nbytes, alphabet="std"):
    raw = secrets.token_bytes(int(nbytes))
    if alphabet == "url":
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")
    return base64.b64encode(raw).decode()


def b64u(data):
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def base62(n, width):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def github(prefix="ghp"):
    body = rnd(ALNUM, 30)
    return f"{prefix}_{body}{base62(zlib.crc32(body.encode()), 6)}"


def npm():
    body = rnd(ALNUM, 30)
    return f"npm_{body}{base62(zlib.crc32(body.encode()), 6)}"


def crc16_xmodem(data):
    crc = 0
    for b in data:
        crc ^= b << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
            crc &= 0xFFFF
    return crc


NATS_PREFIX = {"A": 0, "U": 20 << 3, "O": 14 << 3, "C": 2 << 3, "N": 13 << 3, "X": 23 << 3}


def nats_seed(kind="U"):
    pt = NATS_PREFIX[kind]
    seed_prefix = 18 << 3
    raw = bytes([seed_prefix | (pt >> 5), (pt & 31) << 3]) + secrets.token_bytes(32)
    raw += crc16_xmodem(raw).to_bytes(2, "little")
    return base64.b32encode(raw).decode().rstrip("=")


def nats_pub(kind="U"):
    raw = bytes([NATS_PREFIX[kind]]) + secrets.token_bytes(32)
    raw += crc16_xmodem(raw).to_bytes(2, "little")
    return base64.b32encode(raw).decode().rstrip("=")


def glsa():
    body = rnd(ALNUM, 32)
    head = f"glsa_{body}"
    return f"{head}_{zlib.crc32(head.encode()):08x}"


def grafana_legacy():
    d = {"k": rnd(ALNUM, 32), "n": secrets.choice(["deploy", "ci-reader", "dash-sync", "alerts"]), "id": secrets.randbelow(40) + 1}
    return base64.b64encode(json.dumps(d, separators=(",", ":")).encode()).decode()


def glc():
    d = {"o": str(secrets.randbelow(900000) + 100000), "n": "stack-" + rnd(string.digits, 6) + "-integration-" + rnd(string.ascii_lowercase, 6),
         "k": rnd(ALNUM, 24), "m": {"r": secrets.choice(["us", "eu", "prod-us-east-0"])}}
    return "glc_" + base64.b64encode(json.dumps(d, separators=(",", ":")).encode()).decode()


def jwt(alg="HS256", exp="future", sub=None, iss=None):
    now = int(time.time())
    header = {"alg": alg, "typ": "JWT"}
    payload = {"sub": sub or str(secrets.randbelow(10**6)), "iat": now - 3600}
    if iss:
        payload["iss"] = iss
    if exp == "future":
        payload["exp"] = now + 86400 * 3650
    elif exp == "past":
        payload["exp"] = now - 86400 * 400
    payload["jti"] = str(uuid.UUID(bytes=secrets.token_bytes(16)))
    siglen = {"HS256": 32, "HS512": 64, "RS256": 256, "ES256": 64}.get(alg, 32)
    sig = "" if alg == "none" else b64u(secrets.token_bytes(siglen))
    return f"{b64u(json.dumps(header, separators=(',', ':')).encode())}.{b64u(json.dumps(payload, separators=(',', ':')).encode())}.{sig}"


def der_rsa(nbytes=1190):
    # PKCS#1 RSAPrivateKey shape: SEQUENCE, version 0, INTEGER modulus...
    return base64.b64encode(bytes.fromhex("308204a40201000282010100") + secrets.token_bytes(int(nbytes))).decode()


def der_pkcs8(nbytes=1200):
    return base64.b64encode(bytes.fromhex("308204be020100300d06092a864886f70d0101010500048204a8308204a40201000282010100") + secrets.token_bytes(int(nbytes))).decode()


def der_ec():
    return base64.b64encode(bytes.fromhex("30770201010420") + secrets.token_bytes(32) + bytes.fromhex("a00a06082a8648ce3d030107a144034200") + b"\x04" + secrets.token_bytes(64)).decode()


def wrap(s, n=64):
    return [s[i:i + n] for i in range(0, len(s), n)]


def pem(kind="RSA"):
    if kind == "RSA":
        body, label = der_rsa(), "RSA PRIVATE KEY"
    elif kind == "EC":
        body, label = der_ec(), "EC PRIVATE KEY"
    elif kind == "PKCS8":
        body, label = der_pkcs8(), "PRIVATE KEY"
    elif kind == "OPENSSH":
        raw = b"openssh-key-v1\x00" + b"\x00\x00\x00\x04none\x00\x00\x00\x04none\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x33\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20" + secrets.token_bytes(32) + b"\x00\x00\x00\x88" + secrets.token_bytes(136)
        body, label = base64.b64encode(raw).decode(), "OPENSSH PRIVATE KEY"
        return "\n".join([f"-----BEGIN {label}-----", *wrap(body, 70), f"-----END {label}-----"])
    elif kind == "ENCRYPTED":
        body, label = base64.b64encode(bytes.fromhex("308204fe304006092a864886f70d01050d3033") + secrets.token_bytes(1200)).decode(), "ENCRYPTED PRIVATE KEY"
    elif kind == "PUBLIC":
        body, label = base64.b64encode(bytes.fromhex("30820122300d06092a864886f70d01010105000382010f003082010a0282010100") + secrets.token_bytes(256) + bytes.fromhex("0203010001")).decode(), "PUBLIC KEY"
    elif kind == "CERT":
        body, label = base64.b64encode(bytes.fromhex("308203") + secrets.token_bytes(760)).decode(), "CERTIFICATE"
    else:
        raise ValueError(kind)
    return "\n".join([f"-----BEGIN {label}-----", *wrap(body), f"-----END {label}-----"])


def pem_proc_encrypted():
    iv = secrets.token_hex(8).upper()
    body = b64(1190)
    return "\n".join(["-----BEGIN RSA PRIVATE KEY-----", "Proc-Type: 4,ENCRYPTED", f"DEK-Info: AES-128-CBC,{iv}", "", *wrap(body), "-----END RSA PRIVATE KEY-----"])


def escaped_pem(kind="PKCS8", esc="\\n"):
    return esc.join(pem(kind).split("\n")) + esc


def jwk_priv():
    def i(n):
        return b64u(secrets.token_bytes(n))
    return {"kty": "RSA", "kid": rnd(string.ascii_lowercase + string.digits, 12), "use": "sig", "alg": "RS256",
            "n": i(256), "e": "AQAB", "d": i(256), "p": i(128), "q": i(128), "dp": i(128), "dq": i(128), "qi": i(128)}


def bcrypt():
    return "$2b$12$" + rnd("./" + ALNUM, 53)


def basic(user="deploy"):
    return base64.b64encode(f"{user}:{rnd(ALNUM, 20)}".encode()).decode()


def slack(kind="b"):
    return f"xox{kind}-{rnd(string.digits, 12)}-{rnd(string.digits, 13)}-{rnd(ALNUM, 24)}"


def aws_id():
    return "AKIA" + rnd(string.ascii_uppercase + "234567", 16)


VALUES = {
    "hex": lambda n: secrets.token_hex(int(n) // 2 + 1)[: int(n)],
    "alnum": lambda n: rnd(ALNUM, int(n)),
    "lower": lambda n: rnd(string.ascii_lowercase + string.digits, int(n)),
    "upper": lambda n: rnd(string.ascii_uppercase + string.digits, int(n)),
    "digits": lambda n: rnd(string.digits, int(n)),
    "b64": lambda n: b64(n),
    "b64url": lambda n: b64(n, "url"),
    "uuid": lambda: str(uuid.UUID(bytes=secrets.token_bytes(16), version=4)),
    "sha256": lambda: hashlib.sha256(secrets.token_bytes(16)).hexdigest(),
    "sha1": lambda: hashlib.sha1(secrets.token_bytes(16)).hexdigest(),
    "md5": lambda: hashlib.md5(secrets.token_bytes(16)).hexdigest(),
    "gitsha": lambda: hashlib.sha1(secrets.token_bytes(16)).hexdigest(),
    "bcrypt": bcrypt,
    "github": lambda p="ghp": github(p),
    "npm": npm,
    "nats_seed": lambda k="U": nats_seed(k),
    "nats_pub": lambda k="U": nats_pub(k),
    "glsa": glsa,
    "grafana_legacy": grafana_legacy,
    "glc": glc,
    "jwt": lambda alg="HS256", exp="future": jwt(alg, exp),
    "jwt_iss": lambda iss: jwt("RS256", "future", iss=iss),
    "jwt_none": lambda: jwt("none"),
    "pem": lambda k="RSA": pem(k),
    "pem_proc": pem_proc_encrypted,
    "epem": lambda k="PKCS8": escaped_pem(k),
    "epem2": lambda k="RSA": escaped_pem(k, "\\\\n"),
    "der": lambda k="rsa": der_rsa() if k == "rsa" else der_pkcs8() if k == "pkcs8" else der_ec(),
    "basic": lambda u="deploy": basic(u),
    "slack": lambda k="b": slack(k),
    "slack_webhook": lambda: f"https://hooks.slack.com/services/T{rnd(string.ascii_uppercase + string.digits, 8)}/B{rnd(string.ascii_uppercase + string.digits, 10)}/{rnd(ALNUM, 24)}",
    "stripe": lambda k="sk_live": f"{k}_{rnd(ALNUM, 24)}",
    "stripe_long": lambda k="sk_test": f"{k}_51{rnd(ALNUM, 97)}",
    "aws_id": aws_id,
    "aws_secret": lambda: rnd(ALNUM + "+/", 40),
    "twilio_sk": lambda: "SK" + secrets.token_hex(16),
    "twilio_ac": lambda: "AC" + secrets.token_hex(16),
    "sendgrid": lambda: f"SG.{rnd(ALNUM + '-_', 22)}.{rnd(ALNUM + '-_', 43)}",
    "gitlab": lambda: "glpat-" + rnd(ALNUM + "-_", 20),
    "mailgun": lambda: "key-" + secrets.token_hex(16),
    "google": lambda: "AIza" + rnd(ALNUM + "-_", 35),
    "shopify": lambda k="shpat": f"{k}_{secrets.token_hex(16)}",
    "doppler": lambda: "dp.st.prd." + rnd(ALNUM, 43),
    "sentry_dsn_pub": lambda: secrets.token_hex(16),
    "ssh_pub": lambda: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI" + b64(32)[:43],
    "ssh_rsa_pub": lambda: "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ" + b64(256).rstrip("="),
    "age_pub": lambda: "age1" + rnd("qpzry9x8gf2tvdw0s3jn54khce6mua7l", 58),
}

# values reused in one file: «=name fn args» defines, «@name» reuses
SLOT = re.compile(r"«([^»]+)»")


def expand(text, memo):
    def sub(m):
        spec = m.group(1).split()
        if spec[0].startswith("@"):
            return memo[spec[0][1:]]
        name = None
        if spec[0].startswith("="):
            name, spec = spec[0][1:], spec[1:]
        v = VALUES[spec[0]](*spec[1:])
        if name:
            memo[name] = v
        return v
    return SLOT.sub(sub, text)


MARK = re.compile(r"\s*⟦([PNU])(?::([\w.-]+))?⟧\s*$")


def render(template):
    memo, out, labels = {}, [], []
    for raw in template.strip("\n").split("\n"):
        m = MARK.search(raw)
        text = raw[: m.start()] if m else raw
        text = expand(text, memo)
        parts = text.split("\n")
        indent = re.match(r"[ \t]*", text).group(0)
        parts = parts[:1] + [indent + p if p else p for p in parts[1:]]
        start = len(out) + 1
        out.extend(parts)
        end = len(out)
        if m and m.group(1) == "P":
            lab = {"line": start, "label": True, "category": m.group(2)}
            if end > start:
                lab["line_end"] = end
            labels.append(lab)
        elif m and m.group(1) == "N":
            lab = {"line": start, "label": False, "category": m.group(2), "kind": m.group(2)}
            if end > start:
                lab["line_end"] = end
            labels.append(lab)
        elif not m:
            for i, p in enumerate(parts):
                if re.search(r"[A-Za-z0-9]", p):
                    labels.append({"line": start + i, "label": False, "category": "plain", "kind": "plain"})
    return "\n".join(out) + "\n", labels


def load_templates(out):
    import importlib.util
    spec = importlib.util.spec_from_file_location("accuracy_templates", os.path.join(out, "templates.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.FILES


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "accuracy"))
    a = ap.parse_args()
    files_dir = os.path.join(a.out, "files")
    FILES = load_templates(a.out)
    all_labels = []
    for path, template in FILES:
        text, labels = render(template)
        dst = os.path.join(files_dir, path)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        with open(dst, "w", encoding="utf-8") as fh:
            fh.write(text)
        project = path.split("/")[0]
        for l in labels:
            all_labels.append({"path": f"files/{path}", **l, "source": "keyscan-own", "repo": project, "split": "all"})
    with open(os.path.join(a.out, "labels.jsonl"), "w", encoding="utf-8") as fh:
        for l in all_labels:
            fh.write(json.dumps(l) + "\n")
    pos = sum(1 for l in all_labels if l["label"])
    hard = sum(1 for l in all_labels if not l["label"] and l["kind"] != "plain")
    plain = sum(1 for l in all_labels if not l["label"] and l["kind"] == "plain")
    print(f"{len(FILES)} files, {pos} positive lines, {hard} hard negatives, {plain} plain negatives")


if __name__ == "__main__":
    main()
