#!/usr/bin/env python3
"""Figures for --verify on a loopback mock: 1,000 findings of 100 distinct
secrets (5 per provider, each in 10 files) across 20 providers, checked
against a mock on 127.0.0.1 that answers after DELAY seconds, or never.

Usage (from the repository root):

    scripts/verify-figures.py target/debug/keyscan 0.2
    EXTRA="--verify-timeout 2" scripts/verify-figures.py target/debug/keyscan 0.2 hang

The secrets are the rule pack's examples with their random characters
re-drawn (rules with a checksum are left out); nothing leaves the machine.
Needs /usr/bin/time (GNU) for the peak memory."""
import json, os, random, re, subprocess, sys, tempfile, threading, time, tomllib, glob
from http.server import ThreadingHTTPServer, BaseHTTPRequestHandler

KS = sys.argv[1]
DELAY = float(sys.argv[2]) if len(sys.argv) > 2 else 0.2
HANG = len(sys.argv) > 3 and sys.argv[3] == 'hang'
random.seed(7)
count = 0
lock = threading.Lock()
class H(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    def handle_one(self):
        global count
        with lock: count += 1
        n = int(self.headers.get('content-length') or 0)
        if n: self.rfile.read(n)
        if HANG:
            time.sleep(60); return
        time.sleep(DELAY)
        body = b'{}'
        self.send_response(200); self.send_header('content-length', str(len(body))); self.send_header('connection','close'); self.end_headers(); self.wfile.write(body)
    do_GET = do_POST = handle_one
    def log_message(self, *a): pass
srv = ThreadingHTTPServer(('127.0.0.1', 0), H); srv.daemon_threads = True
threading.Thread(target=srv.serve_forever, daemon=True).start()
port = srv.server_address[1]

def mutate(s, keep):
    out = list(s)
    for i in range(keep, len(s)):
        c = s[i]
        if c.isdigit(): out[i] = random.choice('0123456789')
        elif c.islower(): out[i] = random.choice('abcdefghijklmnopqrstuvwxyz')
        elif c.isupper(): out[i] = random.choice('ABCDEFGHIJKLMNOPQRSTUVWXYZ')
    return ''.join(out)

rules = []
for p in sorted(glob.glob('rules/*.toml')):
    for r in tomllib.loads(open(p).read())['rule']:
        v = r.get('verify')
        if v and v.get('kind', 'http') == 'http' and not v.get('host') and not r.get('check') and r['examples'][0]['secret'] in r['examples'][0]['text']:
            rules.append(r)
d = tempfile.mkdtemp()
providers, chosen = set(), []
for r in rules:
    if r['provider'] in providers: continue
    ex = r['examples'][0]
    variants = [mutate(ex['secret'], 12) for _ in range(5)]
    sub = tempfile.mkdtemp()
    for i, s in enumerate(variants):
        open(f'{sub}/{i}.txt', 'w').write(ex['text'].replace(ex['secret'], s) + '\n')
    out = subprocess.run([KS, '--no-config', '--format', 'json', '-q', sub], capture_output=True)
    got = {f['path'] for f in json.loads(out.stdout)['findings'] if f['rule_id'] == r['id']}
    if len(got) == 5:
        providers.add(r['provider']); chosen.append((r, variants))
    if len(chosen) == 20: break
assert len(chosen) == 20, len(chosen)
hosts = set()
for r, variants in chosen:
    hosts.add(re.match(r'https://([^/:?]+)', r['verify']['url']).group(1))
    ex = r['examples'][0]
    for i, s in enumerate(variants):
        for copy in range(10):
            open(f"{d}/{r['id']}-{i}-{copy}.txt", 'w').write(ex['text'].replace(ex['secret'], s) + '\n')
args = [KS, '--no-config', '--format', 'json', '-q', '--verify'] + os.environ.get('EXTRA', '').split()
for h in sorted(hosts):
    args += ['--verify-override', f'{h}=http://127.0.0.1:{port}/{h}']
base = subprocess.run(['/usr/bin/time', '-f', '%e s %M KiB', KS, '--no-config', '--format', 'json', '-q', d], capture_output=True)
t0 = time.time()
run = subprocess.run(['/usr/bin/time', '-f', '%e s %M KiB'] + args + [d], capture_output=True)
wall = time.time() - t0
doc = json.loads(run.stdout)
ours = [f for f in doc['findings'] if any(f['rule_id'] == r['id'] for r, _ in chosen)]
statuses = {}
for f in doc['findings']:
    statuses[f['verification']['status']] = statuses.get(f['verification']['status'], 0) + 1
print(f"providers: {len(chosen)}; findings of the chosen rules: {len(ours)}; all findings: {len(doc['findings'])}")
print(f"mock requests: {count}; mock delay {DELAY}s; hang={HANG}")
print(f"without --verify: exit {base.returncode}, {base.stderr.decode().strip().splitlines()[-1]}")
print(f"with --verify:    exit {run.returncode}, {run.stderr.decode().strip().splitlines()[-1]} (wall {wall:.2f}s)")
print("statuses:", statuses)
print("details:", sorted({f['verification']['detail'] for f in doc['findings']})[:5])
