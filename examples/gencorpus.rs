//! Deterministic benchmark corpus generator.
//!
//! ```text
//! cargo run --release --example gencorpus -- tree   DIR [SIZE] [--seed N] [--secrets N]
//! cargo run --release --example gencorpus -- single FILE [SIZE]
//! cargo run --release --example gencorpus -- tiny   DIR [COUNT]
//! ```
//!
//! `tree` writes SIZE bytes (default 1GiB) of realistic text in many files:
//! source code in several languages, JSON, YAML, lockfiles (with integrity
//! hashes), Markdown, logs, a few minified bundles with multi-megabyte lines
//! and a few large files; `single` writes the same mix as one file; `tiny`
//! writes COUNT (default 100,000) small files. A small known number of fake
//! secrets (default 24) is planted; their locations are written to
//! `<DIR>.manifest.tsv` beside the corpus (outside it, so the manifest is not
//! scanned). Same seed, same bytes.

use std::fmt::Write as _;
use std::fs;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// xorshift64*: small, fast, deterministic.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, xs: &'a [&'a str]) -> &'a str {
        xs[self.below(xs.len())]
    }
    fn chars(&mut self, alphabet: &[u8], n: usize) -> String {
        (0..n)
            .map(|_| alphabet[self.below(alphabet.len())] as char)
            .collect()
    }
}

const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const HEX: &[u8] = b"0123456789abcdef";
const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const WORDS: &[&str] = &[
    "user", "account", "request", "response", "handler", "config", "value", "item", "index",
    "buffer", "result", "error", "client", "server", "session", "cache", "state", "event",
    "message", "payload", "context", "options", "parser", "token", "model", "layer", "input",
    "output", "weight", "batch", "vector", "stream", "record", "schema", "table", "query",
    "filter", "router", "worker", "queue", "task", "job", "node", "graph", "path", "file",
];
const COMMENTS: &[&str] = &[
    "handle the edge case where the list is empty",
    "TODO: move this into the shared helpers",
    "the tokenizer returns one token per word piece",
    "keep the secret out of logs; it is read from the environment",
    "retry with exponential backoff",
    "see the design notes for why this is not async",
    "normalise the input before hashing it",
];

fn ident(r: &mut Rng) -> String {
    let a = r.pick(WORDS);
    match r.below(3) {
        0 => a.to_string(),
        1 => format!("{a}_{}", r.pick(WORDS)),
        _ => format!("{a}{}", capitalise(r.pick(WORDS))),
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
        .unwrap_or_default()
}

fn python(r: &mut Rng, out: &mut String) {
    let f = ident(r);
    let _ = writeln!(out, "def {f}({}, {}=None):", ident(r), ident(r));
    let _ = writeln!(out, "    \"\"\"{}.\"\"\"", r.pick(COMMENTS));
    for _ in 0..r.below(8) + 2 {
        match r.below(6) {
            0 => {
                let _ = writeln!(
                    out,
                    "    {} = {}.get(\"{}\", {})",
                    ident(r),
                    ident(r),
                    ident(r),
                    r.below(1000)
                );
            }
            1 => {
                let _ = writeln!(out, "    # {}", r.pick(COMMENTS));
            }
            2 => {
                let _ = writeln!(
                    out,
                    "    for {} in {}:\n        yield {}",
                    ident(r),
                    ident(r),
                    ident(r)
                );
            }
            3 => {
                let _ = writeln!(
                    out,
                    "    tokens = self.tokenizer.encode({}, max_length={})",
                    ident(r),
                    r.below(4096)
                );
            }
            4 => {
                let _ = writeln!(
                    out,
                    "    api_key = os.environ[\"{}_API_KEY\"]",
                    ident(r).to_uppercase()
                );
            }
            _ => {
                let _ = writeln!(
                    out,
                    "    if {} is None:\n        raise ValueError(\"{} is required\")",
                    ident(r),
                    ident(r)
                );
            }
        }
    }
    out.push('\n');
}

fn javascript(r: &mut Rng, out: &mut String) {
    let _ = writeln!(out, "export async function {}({}) {{", ident(r), ident(r));
    for _ in 0..r.below(8) + 2 {
        match r.below(5) {
            0 => {
                let _ = writeln!(
                    out,
                    "  const {} = await fetch(`/api/{}/${{{}}}`);",
                    ident(r),
                    ident(r),
                    ident(r)
                );
            }
            1 => {
                let _ = writeln!(out, "  // {}", r.pick(COMMENTS));
            }
            2 => {
                let _ = writeln!(
                    out,
                    "  const token = process.env.{}_TOKEN;",
                    ident(r).to_uppercase()
                );
            }
            3 => {
                let _ = writeln!(
                    out,
                    "  if (!{}) throw new Error('{} missing');",
                    ident(r),
                    ident(r)
                );
            }
            _ => {
                let _ = writeln!(
                    out,
                    "  return {{ {}: {}, {}: {} }};",
                    ident(r),
                    ident(r),
                    ident(r),
                    r.below(100)
                );
            }
        }
    }
    out.push_str("}\n\n");
}

fn golang(r: &mut Rng, out: &mut String) {
    let _ = writeln!(
        out,
        "func {}(ctx context.Context, {} string) (*{}, error) {{",
        capitalise(&ident(r)),
        ident(r),
        capitalise(r.pick(WORDS))
    );
    for _ in 0..r.below(6) + 2 {
        match r.below(4) {
            0 => {
                let _ = writeln!(out, "\t{} := {}.Get({})", ident(r), ident(r), r.below(64));
            }
            1 => {
                let _ = writeln!(out, "\t// {}", r.pick(COMMENTS));
            }
            2 => {
                let _ = writeln!(
                    out,
                    "\tif err != nil {{\n\t\treturn nil, fmt.Errorf(\"{}: %w\", err)\n\t}}",
                    ident(r)
                );
            }
            _ => {
                let _ = writeln!(
                    out,
                    "\tsecret := os.Getenv(\"{}_SECRET\")",
                    ident(r).to_uppercase()
                );
            }
        }
    }
    out.push_str("\treturn nil, nil\n}\n\n");
}

fn rust(r: &mut Rng, out: &mut String) {
    let _ = writeln!(out, "/// {}.", capitalise(r.pick(COMMENTS)));
    let _ = writeln!(
        out,
        "pub fn {}(&self, {}: &[u8]) -> Result<usize, Error> {{",
        ident(r),
        ident(r)
    );
    for _ in 0..r.below(6) + 2 {
        let _ = writeln!(
            out,
            "    let {} = self.{}.iter().map(|x| x * {}).sum::<usize>();",
            ident(r),
            ident(r),
            r.below(9)
        );
    }
    out.push_str("    Ok(0)\n}\n\n");
}

fn json(r: &mut Rng, out: &mut String) {
    out.push_str("{\n");
    for _ in 0..r.below(12) + 3 {
        let _ = writeln!(
            out,
            "  \"{}\": {{\"id\": \"{}\", \"count\": {}, \"enabled\": {}, \"hash\": \"{}\"}},",
            ident(r),
            r.chars(HEX, 24),
            r.below(100_000),
            r.below(2) == 1,
            r.chars(HEX, 40),
        );
    }
    out.push_str("  \"end\": true\n}\n");
}

fn yaml(r: &mut Rng, out: &mut String) {
    let _ = writeln!(out, "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {}\nspec:\n  replicas: {}\n  template:\n    spec:\n      containers:\n        - name: {}\n          image: registry.example/{}:{}.{}\n          env:", ident(r).replace('_', "-"), r.below(5) + 1, ident(r).replace('_', "-"), ident(r).replace('_', "-"), r.below(9), r.below(30));
    for _ in 0..r.below(5) + 1 {
        let _ = writeln!(out, "            - name: {}_TOKEN\n              valueFrom:\n                secretKeyRef:\n                  name: {}\n                  key: token", ident(r).to_uppercase(), ident(r).replace('_', "-"));
    }
    out.push_str("---\n");
}

fn lockfile(r: &mut Rng, out: &mut String) {
    let name = ident(r).replace('_', "-");
    let _ = writeln!(
        out,
        "    \"node_modules/{name}\": {{\n      \"version\": \"{}.{}.{}\",\n      \"resolved\": \"https://registry.npmjs.org/{name}/-/{name}-1.0.0.tgz\",\n      \"integrity\": \"sha512-{}==\"\n    }},",
        r.below(9),
        r.below(20),
        r.below(20),
        r.chars(B64, 86)
    );
}

fn markdown(r: &mut Rng, out: &mut String) {
    let _ = writeln!(out, "## {}\n\nThe `{}` {} keeps a {} per {}. Set `API_KEY` in your environment; the token is never logged.\n", capitalise(r.pick(WORDS)), ident(r), r.pick(WORDS), r.pick(WORDS), r.pick(WORDS));
}

fn log(r: &mut Rng, out: &mut String) {
    let _ = writeln!(
        out,
        "2026-11-{:02}T{:02}:{:02}:{:02}Z INFO {} request_id={} status={} duration_ms={} user={}",
        r.below(28) + 1,
        r.below(24),
        r.below(60),
        r.below(60),
        ident(r),
        r.chars(HEX, 32),
        [200, 201, 404, 500][r.below(4)],
        r.below(900),
        r.chars(ALNUM, 8)
    );
}

fn minified(r: &mut Rng, out: &mut String, bytes: usize) {
    out.push_str("!function(e){\"use strict\";");
    while out.len() < bytes {
        let _ = write!(
            out,
            "var {}=function(t,n){{return t.{}(n)||{}}},",
            &r.chars(b"abcdefghij", 2),
            ident(r),
            r.below(99)
        );
        if r.below(50) == 0 {
            let _ = write!(out, "e.token=e.headers.get(\"x-{}\"),", ident(r));
        }
    }
    out.push_str("}(window);\n");
}

/// Fake, format-valid secrets (random bodies; they belong to no account).
fn fake_secret(r: &mut Rng, i: usize) -> (String, String) {
    match i % 6 {
        0 => {
            let body = r.chars(ALNUM, 30);
            let sum = base62_6(crc32fast::hash(body.as_bytes()));
            ("github-classic-token".into(), format!("ghp_{body}{sum}"))
        }
        1 => (
            "huggingface-token".into(),
            format!(
                "hf_{}",
                r.chars(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", 34)
            ),
        ),
        2 => (
            "google-api-key".into(),
            format!("AIza{}", r.chars(ALNUM, 35)),
        ),
        3 => (
            "aws-access-key-id".into(),
            format!("AKIA{}", r.chars(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)),
        ),
        4 => (
            "anthropic-api-key".into(),
            format!("sk-ant-api03-{}AA", r.chars(ALNUM, 93)),
        ),
        _ => (
            "openai-project-key".into(),
            format!(
                "sk-proj-{}T3BlbkFJ{}",
                r.chars(ALNUM, 74),
                r.chars(ALNUM, 74)
            ),
        ),
    }
}

#[derive(Clone, Copy)]
enum Kind {
    Py,
    Js,
    Go,
    Rs,
    Json,
    Yaml,
    Lock,
    Md,
    Log,
}

impl Kind {
    fn ext(self) -> &'static str {
        match self {
            Kind::Py => "py",
            Kind::Js => "ts",
            Kind::Go => "go",
            Kind::Rs => "rs",
            Kind::Json => "json",
            Kind::Yaml => "yaml",
            Kind::Lock => "lock.json",
            Kind::Md => "md",
            Kind::Log => "log",
        }
    }
    fn fill(self, r: &mut Rng, out: &mut String, bytes: usize) {
        if let Kind::Lock = self {
            out.push_str("{\n  \"lockfileVersion\": 3,\n  \"packages\": {\n");
        }
        while out.len() < bytes {
            match self {
                Kind::Py => python(r, out),
                Kind::Js => javascript(r, out),
                Kind::Go => golang(r, out),
                Kind::Rs => rust(r, out),
                Kind::Json => json(r, out),
                Kind::Yaml => yaml(r, out),
                Kind::Lock => lockfile(r, out),
                Kind::Md => markdown(r, out),
                Kind::Log => log(r, out),
            }
        }
        if let Kind::Lock = self {
            out.push_str("    \"\": {}\n  }\n}\n");
        }
    }
}

const KINDS: &[Kind] = &[
    Kind::Py,
    Kind::Py,
    Kind::Js,
    Kind::Js,
    Kind::Go,
    Kind::Rs,
    Kind::Json,
    Kind::Yaml,
    Kind::Lock,
    Kind::Md,
    Kind::Log,
];

struct Planter {
    every: u64,
    written: u64,
    next_at: u64,
    count: usize,
    max: usize,
    manifest: Vec<String>,
}

impl Planter {
    /// Maybe plant a secret into `text` (a file at `path`).
    fn maybe(&mut self, r: &mut Rng, path: &str, text: &mut String) {
        self.written += text.len() as u64;
        if self.count >= self.max || self.written < self.next_at {
            return;
        }
        self.next_at += self.every;
        let (rule, secret) = fake_secret(r, self.count);
        self.count += 1;
        // At the end of a line somewhere in the middle of the file.
        let mid = text.len() / 2;
        let at = text[mid..].find('\n').map_or(text.len(), |i| mid + i + 1);
        let line = 1 + text[..at].matches('\n').count();
        let ins = format!("SERVICE_CREDENTIAL = \"{secret}\"\n");
        text.insert_str(at, &ins);
        self.manifest.push(format!("{path}\t{line}\t{rule}"));
    }
}

fn write(path: &Path, text: &str) {
    if let Some(p) = path.parent() {
        fs::create_dir_all(p).expect("create dir");
    }
    fs::write(path, text).expect("write file");
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut seed = 0x5eed_u64;
    let mut secrets = 24usize;
    let mut pos = Vec::new();
    let mut i = 0;
    while i < args.len() {
        match args[i].as_str() {
            "--seed" => {
                seed = args[i + 1].parse().expect("seed");
                i += 1;
            }
            "--secrets" => {
                secrets = args[i + 1].parse().expect("count");
                i += 1;
            }
            a => pos.push(a.to_string()),
        }
        i += 1;
    }
    if pos.len() < 2 {
        eprintln!("usage: gencorpus tree|single|tiny OUT [SIZE|COUNT] [--seed N] [--secrets N]");
        std::process::exit(2);
    }
    let mut r = Rng(seed | 1);
    let out = PathBuf::from(&pos[1]);
    let manifest_path = PathBuf::from(format!("{}.manifest.tsv", out.display()));
    let mut planter;
    match pos[0].as_str() {
        "tree" => {
            let total = pos
                .get(2)
                .map_or(1 << 30, |s| keyscan::config::parse_size(s).expect("size"));
            planter = Planter {
                every: total / secrets.max(1) as u64,
                written: 0,
                next_at: total / (2 * secrets.max(1) as u64),
                count: 0,
                max: secrets,
                manifest: Vec::new(),
            };
            let mut written = 0u64;
            let mut n = 0usize;
            let mut text = String::new();
            while written < total {
                text.clear();
                // A few large files and minified bundles among many small ones.
                let (kind, size, name) = match n % 1000 {
                    7 => (None, 3 << 20, format!("web/dist/app.{n}.min.js")),
                    500 => (Some(Kind::Log), 20 << 20, format!("logs/big-{n}.log")),
                    _ => {
                        let k = KINDS[r.below(KINDS.len())];
                        let size = 2_000 + r.below(30_000);
                        (
                            Some(k),
                            size,
                            format!(
                                "pkg{}/{}/{}_{n}.{}",
                                n % 97,
                                ident(&mut r),
                                ident(&mut r),
                                k.ext()
                            ),
                        )
                    }
                };
                match kind {
                    Some(k) => k.fill(&mut r, &mut text, size),
                    None => minified(&mut r, &mut text, size),
                }
                planter.maybe(&mut r, &name, &mut text);
                write(&out.join(&name), &text);
                written += text.len() as u64;
                n += 1;
            }
            eprintln!("wrote {n} files, {written} bytes to {}", out.display());
        }
        "single" => {
            let total = pos
                .get(2)
                .map_or(500 << 20, |s| keyscan::config::parse_size(s).expect("size"));
            planter = Planter {
                every: total / secrets.max(1) as u64,
                written: 0,
                next_at: total / (2 * secrets.max(1) as u64),
                count: 0,
                max: secrets,
                manifest: Vec::new(),
            };
            if let Some(p) = out.parent() {
                fs::create_dir_all(p).expect("dir");
            }
            let mut f = BufWriter::new(fs::File::create(&out).expect("create"));
            let mut written = 0u64;
            let mut lines = 0usize;
            let mut text = String::new();
            let name = out
                .file_name()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            while written < total {
                text.clear();
                let k = KINDS[r.below(KINDS.len())];
                k.fill(&mut r, &mut text, 64 << 10);
                let before = planter.manifest.len();
                planter.maybe(&mut r, &name, &mut text);
                if planter.manifest.len() > before {
                    // Make the line number absolute.
                    let last = planter.manifest.pop().unwrap_or_default();
                    let mut parts = last.split('\t');
                    let (p, l, rule) = (
                        parts.next().unwrap_or(""),
                        parts.next().unwrap_or("0"),
                        parts.next().unwrap_or(""),
                    );
                    let l: usize = l.parse().unwrap_or(0);
                    planter.manifest.push(format!("{p}\t{}\t{rule}", l + lines));
                }
                lines += text.matches('\n').count();
                f.write_all(text.as_bytes()).expect("write");
                written += text.len() as u64;
            }
            f.flush().expect("flush");
            eprintln!("wrote {written} bytes to {}", out.display());
        }
        "tiny" => {
            let count: usize = pos.get(2).map_or(100_000, |s| s.parse().expect("count"));
            planter = Planter {
                every: (count as u64 * 300) / secrets.max(1) as u64,
                written: 0,
                next_at: 1,
                count: 0,
                max: secrets,
                manifest: Vec::new(),
            };
            let mut text = String::new();
            for n in 0..count {
                text.clear();
                let k = KINDS[r.below(KINDS.len())];
                let size = 100 + r.below(400);
                k.fill(&mut r, &mut text, size);
                let name = format!("d{:03}/f{n}.{}", n % 500, k.ext());
                planter.maybe(&mut r, &name, &mut text);
                write(&out.join(&name), &text);
            }
            eprintln!("wrote {count} files to {}", out.display());
        }
        other => {
            eprintln!("unknown mode {other:?}");
            std::process::exit(2);
        }
    }
    let mut m = planter.manifest.join("\n");
    m.push('\n');
    fs::write(&manifest_path, m).expect("manifest");
    eprintln!(
        "planted {} fake secrets; manifest: {}",
        planter.count,
        manifest_path.display()
    );
}

/// The 6 base62 digits of a checksum, as text.
fn base62_6(n: u32) -> String {
    String::from_utf8_lossy(&keyscan::rules::checks::crc32::base62_6(n)).into_owned()
}
