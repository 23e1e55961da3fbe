#!/usr/bin/env python3
"""Print fake, random, format-valid keys for rule examples and fixtures.

Usage: scripts/fakekey.py KIND [COUNT] [--seed N]

Every key printed is random and belongs to no account. Kinds:
  openai-project  openai-svcacct  openai-admin  openai-legacy
  anthropic  anthropic-admin  google  hf  aws-id  aws-secret
  github-classic[:ghp|gho|ghu|ghs|ghr]  github-fine  npm
  alnum:N  hex:N  lower:N  b64:N  b64url:N  raw:PREFIX:CHARSET:N
  and one kind per provider format in PROVIDER_KINDS (run with `--list`).
CHARSET is one of alnum, hex, lower, upper, b64, b64url, digits, base32,
letters, lowerletters, b32lower.
"""
import base64
import json
import random
import sys
import uuid
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
    "lowerletters": "abcdefghijklmnopqrstuvwxyz",
    "b32lower": "abcdefghijklmnopqrstuvwxyz234567",
    "upperdigits": "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
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


def fake_uuid(rng):
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def b64url_nopad(data):
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def jwt(payload, rng):
    head = b64url_nopad(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64url_nopad(json.dumps(payload, separators=(",", ":")).encode())
    return head + "." + body + "." + rnd("b64url", 43, rng)


def supabase_jwt(role, rng):
    ref = rnd("lowerletters", 20, rng)
    iat = 1690000000 + rng.randrange(60000000)
    return jwt({"iss": "supabase", "ref": ref, "role": role, "iat": iat, "exp": iat + 315360000}, rng)


def discord_bot(rng):
    snowflake = str(rng.randrange(10**17, 2 * 10**18))
    return b64url_nopad(snowflake.encode()) + "." + rnd("b64url", 6, rng) + "." + rnd("b64url", 38, rng)


def bedrock_long(rng):
    inner = "BedrockAPIKey-%s-at-%012d:%s" % (
        rnd("lower", 4, rng), rng.randrange(10**11, 10**12), rnd("b64", 60, rng))
    return "ABSK" + base64.b64encode(inner.encode()).decode()


def bedrock_short(rng):
    query = ("bedrock.amazonaws.com/?Action=CallWithBearerToken&X-Amz-Algorithm=AWS4-HMAC-SHA256"
             "&X-Amz-Credential=ASIA%s%%2F20250701%%2Fus-east-1%%2Fbedrock%%2Faws4_request"
             "&X-Amz-Date=20250701T120000Z&X-Amz-Expires=43200&X-Amz-Security-Token=%s"
             "&X-Amz-Signature=%s&Version=1") % (
        rnd("base32", 16, rng), rnd("b64url", 120, rng), rnd("hex", 64, rng))
    return "bedrock-api-key-" + base64.b64encode(query.encode()).decode()


def azure_ai_key(rng):
    # 52 random characters, the `JQQJ99` signature, then date, region and
    # platform fields ending in the service signature (ACOG).
    return (rnd("alnum", 52, rng) + "JQQJ99" + rng.choice("ABC") + rnd("upper", 1, rng)
            + "AC" + rnd("alnum", 5, rng) + "XJ3w3" + "AAAAACOG" + rnd("alnum", 4, rng))


def slack_webhook(rng):
    return ("https://hooks.slack.com/services/T" + rnd("upperdigits", 10, rng) + "/B"
            + rnd("upperdigits", 10, rng) + "/" + rnd("alnum", 24, rng))


def gcp_private_key(rng):
    body = base64.b64encode(bytes([0x30, 0x82, 0x04, 0xbe]) + rng.randbytes(1212)).decode()
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return "-----BEGIN PRIVATE KEY-----\\n" + "\\n".join(lines) + "\\n-----END PRIVATE KEY-----"


PROVIDER_KINDS = {
    "anthropic-oat": lambda r: "sk-ant-oat01-" + rnd("b64url", 93, r) + "AA",
    "anthropic-ort": lambda r: "sk-ant-ort01-" + rnd("b64url", 93, r) + "AA",
    "gemini-aq": lambda r: "AQ.Ab8RN6" + rnd("b64url", 44, r),
    "azure-openai": lambda r: rnd("hex", 32, r),
    "azure-ai": azure_ai_key,
    "bedrock-long": bedrock_long,
    "bedrock-short": bedrock_short,
    "vercel-ai": lambda r: "vck_" + rnd("b64url", 56, r),
    "moonshot": lambda r: "sk-" + rnd("alnum", 48, r),
    "minimax": lambda r: "sk-api-" + rnd("b64url", 119, r),
    "zai": lambda r: rnd("hex", 32, r) + "." + rnd("alnum", 16, r),
    "cursor": lambda r: "key_" + rnd("hex", 64, r),
    "runpod": lambda r: "rpa_" + rnd("upperdigits", 40, r) + rnd("alnum", 6, r),
    "fal": lambda r: fake_uuid(r) + ":" + rnd("hex", 32, r),
    "mistral": lambda r: rnd("alnum", 32, r),
    "cohere": lambda r: rnd("alnum", 40, r),
    "groq": lambda r: "gsk_" + rnd("alnum", 20, r) + "WGdyb3FY" + rnd("alnum", 24, r),
    "xai": lambda r: "xai-" + rnd("alnum", 80, r),
    "perplexity": lambda r: "pplx-" + rnd("alnum", 48, r),
    "deepseek": lambda r: "sk-" + rnd("hex", 32, r),
    "openrouter": lambda r: "sk-or-v1-" + rnd("hex", 64, r),
    "together": lambda r: "tgp_v1_" + rnd("b64url", 43, r),
    "together-legacy": lambda r: rnd("hex", 64, r),
    "fireworks": lambda r: "fw_" + rnd("alnum", 24, r),
    "replicate": lambda r: "r8_" + rnd("alnum", 37, r),
    "hf-org": lambda r: "api_org_" + rnd("letters", 34, r),
    "cerebras": lambda r: "csk-" + rnd("lower", 48, r),
    "nvidia": lambda r: "nvapi-" + rnd("b64url", 64, r),
    "voyage": lambda r: "pa-" + rnd("b64url", 43, r),
    "jina": lambda r: "jina_" + rnd("alnum", 60, r),
    "ai21": lambda r: rnd("alnum", 32, r),
    "deepinfra": lambda r: rnd("alnum", 32, r),
    "anyscale": lambda r: "esecret_" + rnd("lower", 26, r),
    "langsmith-pt": lambda r: "lsv2_pt_" + rnd("hex", 32, r) + "_" + rnd("hex", 10, r),
    "langsmith-sk": lambda r: "lsv2_sk_" + rnd("hex", 32, r) + "_" + rnd("hex", 10, r),
    "langfuse-sk": lambda r: "sk-lf-" + fake_uuid(r),
    "helicone": lambda r: "sk-helicone-" + "-".join(rnd("b32lower", 7, r) for _ in range(4)),
    "wandb": lambda r: rnd("hex", 40, r),
    "wandb-v1": lambda r: "wandb_v1_" + rnd("alnum", 77, r),
    "pinecone": lambda r: "pcsk_" + rnd("alnum", 5, r) + "_" + rnd("alnum", 63, r),
    "pinecone-legacy": fake_uuid,
    "qdrant": lambda r: fake_uuid(r) + "|" + rnd("b64url", 43, r),
    "weaviate": lambda r: rnd("b64", 48, r),
    "elevenlabs": lambda r: "sk_" + rnd("hex", 48, r),
    "assemblyai": lambda r: rnd("hex", 32, r),
    "deepgram": lambda r: rnd("hex", 40, r),
    "stability": lambda r: "sk-" + rnd("alnum", 48, r),
    "runway": lambda r: "key_" + rnd("hex", 128, r),
    "clarifai": lambda r: rnd("hex", 32, r),
    "modal-id": lambda r: "ak-" + rnd("alnum", 22, r),
    "modal-secret": lambda r: "as-" + rnd("alnum", 22, r),
    "tavily": lambda r: "tvly-" + r.choice(["", "dev-", "prod-"]) + rnd("alnum", 32, r),
    "firecrawl": lambda r: "fc-" + rnd("hex", 32, r),
    "exa": fake_uuid,
    "e2b": lambda r: "e2b_" + rnd("hex", 40, r),
    "llamacloud": lambda r: "llx-" + rnd("alnum", 48, r),
    "braintrust": lambda r: "sk-" + rnd("alnum", 48, r),
    "devin": lambda r: "apk_user_" + rnd("b64", 140, r),
    "upstage": lambda r: "up_" + rnd("alnum", 29, r),
    "dashscope": lambda r: "sk-" + rnd("hex", 32, r),
    "siliconflow": lambda r: "sk-" + rnd("lowerletters", 48, r),
    "cartesia": lambda r: "sk_car_" + rnd("alnum", 22, r),
    "ollama": lambda r: rnd("hex", 32, r) + "." + rnd("b64url", 24, r),
    "greptile": lambda r: rnd("b64", 48, r),
    # Common keys.
    "aws-pair": lambda r: "AKIA" + rnd("base32", 16, r) + " " + rnd("b64", 40, r),
    "gitlab": lambda r: "glpat-" + rnd("b64url", 20, r),
    "gitlab-routable": lambda r: "glpat-" + rnd("b64url", 36, r) + ".01." + rnd("lower", 9, r),
    "slack-bot": lambda r: "xoxb-%d-%d-%s" % (r.randrange(10**11, 10**12), r.randrange(10**12, 10**13), rnd("alnum", 24, r)),
    "slack-user": lambda r: "xoxp-%d-%d-%d-%s" % (r.randrange(10**11, 10**12), r.randrange(10**11, 10**12), r.randrange(10**12, 10**13), rnd("hex", 32, r)),
    "slack-app": lambda r: "xapp-1-A%s-%d-%s" % (rnd("upperdigits", 10, r), r.randrange(10**12, 10**13), rnd("hex", 64, r)),
    "slack-webhook": slack_webhook,
    "stripe-live": lambda r: "sk_live_51" + rnd("alnum", 97, r),
    "stripe-restricted": lambda r: "rk_live_51" + rnd("alnum", 97, r),
    "twilio-token": lambda r: rnd("hex", 32, r),
    "twilio-api-key": lambda r: "SK" + rnd("hex", 32, r),
    "sendgrid": lambda r: "SG." + rnd("b64url", 22, r) + "." + rnd("b64url", 43, r),
    "pypi": lambda r: "pypi-AgEIcHlwaS5vcmc" + rnd("b64url", 160, r),
    "docker-swarm": lambda r: "SWMTKN-1-" + rnd("lower", 50, r) + "-" + rnd("lower", 25, r),
    "dockerhub": lambda r: "dckr_pat_" + rnd("b64url", 27, r),
    "discord-bot": discord_bot,
    "discord-webhook": lambda r: "https://discord.com/api/webhooks/%d/%s" % (r.randrange(10**17, 2 * 10**18), rnd("b64url", 68, r)),
    "telegram": lambda r: "%d:AA%s" % (r.randrange(10**9, 8 * 10**9), rnd("b64url", 33, r)),
    "shopify": lambda r: r.choice(["shpat_", "shpca_", "shppa_", "shpss_"]) + rnd("hex", 32, r),
    "databricks": lambda r: "dapi" + rnd("hex", 32, r),
    "supabase-service": lambda r: supabase_jwt("service_role", r),
    "supabase-anon": lambda r: supabase_jwt("anon", r),
    "supabase-secret": lambda r: "sb_secret_" + rnd("b64url", 31, r),
    "digitalocean": lambda r: r.choice(["dop_v1_", "doo_v1_", "dor_v1_"]) + rnd("hex", 64, r),
    "cloudflare": lambda r: rnd("b64url", 40, r),
    "cloudflare-global": lambda r: rnd("hex", 37, r),
    "cloudflare-origin-ca": lambda r: "v1.0-" + rnd("hex", 24, r) + "-" + rnd("hex", 146, r),
    "heroku": lambda r: "HRKU-AA" + rnd("b64url", 58, r),
    "heroku-legacy": fake_uuid,
    "mailgun": lambda r: "key-" + rnd("hex", 32, r),
    "azure-storage": lambda r: rnd("b64", 86, r) + "==",
    "azure-ad": lambda r: rnd("alnum", 3, r) + str(r.randrange(10)) + "Q~" + rnd("alnum", 34, r),
    "postman": lambda r: "PMAK-" + rnd("hex", 24, r) + "-" + rnd("hex", 34, r),
    "linear": lambda r: "lin_api_" + rnd("alnum", 40, r),
    "sentry": lambda r: "sntryu_" + rnd("hex", 64, r),
    "notion": lambda r: "ntn_" + "".join(r.choice("0123456789") for _ in range(11)) + rnd("alnum", 35, r),
    "doppler": lambda r: "dp.pt." + rnd("alnum", 43, r),
    "vault": lambda r: "hvs." + rnd("b64url", 90, r),
    "terraform": lambda r: rnd("alnum", 14, r) + ".atlasv1." + rnd("alnum", 67, r),
    "grafana": lambda r: "glsa_" + rnd("alnum", 32, r) + "_" + rnd("hex", 8, r),
    "newrelic": lambda r: "NRAK-" + rnd("upperdigits", 27, r),
    "age": lambda r: "AGE-SECRET-KEY-1" + "".join(r.choice("QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L") for _ in range(58)),
    "planetscale": lambda r: "pscale_tkn_" + rnd("b64url", 43, r),
    "atlassian": lambda r: "ATATT3" + rnd("b64url", 186, r),
    "onepassword": lambda r: "ops_eyJ" + rnd("b64", 300, r),
    "gcp-private-key": gcp_private_key,
}


def make(kind, rng):
    if kind in PROVIDER_KINDS:
        return PROVIDER_KINDS[kind](rng)
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
    if argv == ["--list"]:
        print("\n".join(sorted(PROVIDER_KINDS)))
        return 0
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
