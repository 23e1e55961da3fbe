//! Live verification (`--verify`), offline: every provider host is mapped
//! with `--verify-override` to a small mock HTTP server on 127.0.0.1,
//! made here with `std::net` (it must also hang on purpose, answer
//! malformed JSON and record every byte it is sent, which a hand-made
//! server does in a few lines and without another dependency). No test
//! touches a real provider.
//!
//! The secrets are the rule pack's own fake examples, read at run time.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use keyscan::rules::verify::{VerifyKind, VerifySpec};
use keyscan::rules::RuleSet;
use serde_json::{json, Value};

use crate::common::*;

/// One request as the mock received it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    /// Path and query, as sent.
    pub target: String,
    /// Header names lower-cased.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Everything the request carried, for "the secret is not in it" checks.
    fn all_text(&self) -> String {
        let headers: Vec<String> = self
            .headers
            .iter()
            .map(|(k, v)| format!("{k}: {v}"))
            .collect();
        format!(
            "{} {}\n{}\n{}",
            self.method,
            self.target,
            headers.join("\n"),
            self.body
        )
    }
}

/// What the mock answers.
pub enum Reply {
    /// Status, headers, body.
    Answer(u16, Vec<(String, String)>, String),
    /// Never answer (until the test ends).
    Hang,
}

type Handler = dyn Fn(&Seen) -> Reply + Send + Sync;

/// A mock HTTP/1.1 server on 127.0.0.1, one thread per connection.
pub struct Mock {
    pub port: u16,
    seen: Arc<Mutex<Vec<Seen>>>,
    stop: Arc<AtomicBool>,
}

impl Mock {
    pub fn start(handler: impl Fn(&Seen) -> Reply + Send + Sync + 'static) -> Mock {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let handler: Arc<Handler> = Arc::new(handler);
        let (seen2, stop2) = (seen.clone(), stop.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stop2.load(Ordering::Relaxed) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let (h, s, st) = (handler.clone(), seen2.clone(), stop2.clone());
                std::thread::spawn(move || serve(stream, &*h, &s, &st));
            }
        });
        Mock { port, seen, stop }
    }

    /// The override of `host` to this mock, under a path prefix naming it.
    pub fn route(&self, host: &str) -> String {
        format!("{host}=http://127.0.0.1:{}/{host}", self.port)
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

impl Drop for Mock {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

fn serve(stream: TcpStream, handler: &Handler, seen: &Mutex<Vec<Seen>>, stop: &AtomicBool) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(20)));
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() || line.is_empty() {
        return;
    }
    let mut words = line.split_whitespace();
    let (method, target) = (
        words.next().unwrap_or("").to_string(),
        words.next().unwrap_or("").to_string(),
    );
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).is_err() || h.trim_end().is_empty() {
            break;
        }
        if let Some((k, v)) = h.trim_end().split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    let len = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = vec![0; len];
    let _ = reader.read_exact(&mut body);
    let req = Seen {
        method,
        target,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    };
    seen.lock().unwrap().push(req.clone());
    let mut stream = stream;
    match handler(&req) {
        Reply::Answer(status, headers, body) => {
            let mut out = format!(
                "HTTP/1.1 {status} Mock\r\nContent-Length: {}\r\nConnection: close\r\n",
                body.len()
            );
            for (k, v) in headers {
                out.push_str(&format!("{k}: {v}\r\n"));
            }
            out.push_str("\r\n");
            out.push_str(&body);
            let _ = stream.write_all(out.as_bytes());
        }
        Reply::Hang => {
            let start = Instant::now();
            while !stop.load(Ordering::Relaxed) && start.elapsed() < Duration::from_secs(30) {
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }
}

fn rules() -> RuleSet {
    RuleSet::builtin().unwrap()
}

/// `--verify-override` for every host the rules verify at, to `mock`.
fn routes(mock: &Mock) -> Vec<String> {
    keyscan::verify::hosts(&rules())
        .iter()
        .flat_map(|h| ["--verify-override".to_string(), mock.route(h)])
        .collect()
}

/// The exact request each spec must send: rule, method, path and query,
/// the header that carries the secret and its value (`{secret}` for the
/// secret, `basic:USER` for HTTP Basic with the secret as password;
/// `{webhook}` as path: the secret URL's path). Every rule with a spec
/// must be here (or in [`NEEDS_MORE_PARTS`]).
const REQUESTS: &[(&str, &str, &str, &str, &str)] = &[
    (
        "openai-project-key",
        "GET",
        "/v1/models",
        "authorization",
        "Bearer {secret}",
    ),
    (
        "openai-service-account-key",
        "GET",
        "/v1/models",
        "authorization",
        "Bearer {secret}",
    ),
    (
        "openai-user-key",
        "GET",
        "/v1/models",
        "authorization",
        "Bearer {secret}",
    ),
    (
        "openai-admin-key",
        "GET",
        "/v1/organization/projects?limit=1",
        "authorization",
        "Bearer {secret}",
    ),
    (
        "anthropic-api-key",
        "GET",
        "/v1/models?limit=1",
        "x-api-key",
        "{secret}",
    ),
    (
        "anthropic-admin-key",
        "GET",
        "/v1/organizations/users?limit=1",
        "x-api-key",
        "{secret}",
    ),
    (
        "google-api-key",
        "GET",
        "/v1beta/models?pageSize=1",
        "x-goog-api-key",
        "{secret}",
    ),
    (
        "google-gemini-key",
        "GET",
        "/v1beta/models?pageSize=1",
        "x-goog-api-key",
        "{secret}",
    ),
    (
        "groq-api-key",
        "GET",
        "/openai/v1/models",
        "authorization",
        "Bearer {secret}",
    ),
    (
        "mistral-api-key",
        "GET",
        "/v1/models",
        "authorization",
        "Bearer {secret}",
    ),
    (
        "mistral-api-key-by-endpoint",
        "GET",
        "/v1/models",
        "authorization",
        "Bearer {secret}",
    ),
    (
        "cohere-api-key",
        "POST",
        "/v1/check-api-key",
        "authorization",
        "Bearer {secret}",
    ),
    (
        "huggingface-token",
        "GET",
        "/api/whoami-v2",
        "authorization",
        "Bearer {secret}",
    ),
    (
        "huggingface-org-token",
        "GET",
        "/api/whoami-v2",
        "authorization",
        "Bearer {secret}",
    ),
    (
        "replicate-api-token",
        "GET",
        "/v1/account",
        "authorization",
        "Bearer {secret}",
    ),
    (
        "openrouter-api-key",
        "GET",
        "/api/v1/key",
        "authorization",
        "Bearer {secret}",
    ),
    (
        "xai-api-key",
        "GET",
        "/v1/api-key",
        "authorization",
        "Bearer {secret}",
    ),
    (
        "deepseek-api-key",
        "GET",
        "/models",
        "authorization",
        "Bearer {secret}",
    ),
    (
        "deepseek-api-key-by-endpoint",
        "GET",
        "/models",
        "authorization",
        "Bearer {secret}",
    ),
    (
        "perplexity-api-key",
        "GET",
        "/async/chat/completions",
        "authorization",
        "Bearer {secret}",
    ),
    (
        "together-api-key",
        "GET",
        "/v1/models",
        "authorization",
        "Bearer {secret}",
    ),
    (
        "together-legacy-api-key",
        "GET",
        "/v1/models",
        "authorization",
        "Bearer {secret}",
    ),
    (
        "together-legacy-api-key-by-endpoint",
        "GET",
        "/v1/models",
        "authorization",
        "Bearer {secret}",
    ),
    (
        "fireworks-api-key",
        "GET",
        "/inference/v1/models",
        "authorization",
        "Bearer {secret}",
    ),
    (
        "elevenlabs-api-key",
        "GET",
        "/v1/user",
        "xi-api-key",
        "{secret}",
    ),
    (
        "elevenlabs-legacy-api-key",
        "GET",
        "/v1/user",
        "xi-api-key",
        "{secret}",
    ),
    (
        "assemblyai-api-key",
        "GET",
        "/v2/transcript?limit=1",
        "authorization",
        "{secret}",
    ),
    (
        "deepgram-api-key",
        "GET",
        "/v1/projects",
        "authorization",
        "Token {secret}",
    ),
    ("pinecone-api-key", "GET", "/indexes", "api-key", "{secret}"),
    (
        "langsmith-api-key",
        "GET",
        "/api/v1/sessions?limit=1",
        "x-api-key",
        "{secret}",
    ),
    (
        "wandb-api-key-v1",
        "POST",
        "/graphql",
        "authorization",
        "basic:api",
    ),
    (
        "wandb-api-key",
        "POST",
        "/graphql",
        "authorization",
        "basic:api",
    ),
    (
        "stability-api-key",
        "GET",
        "/v1/user/account",
        "authorization",
        "Bearer {secret}",
    ),
    (
        "github-classic-token",
        "GET",
        "/user",
        "authorization",
        "Bearer {secret}",
    ),
    (
        "github-fine-grained-pat",
        "GET",
        "/user",
        "authorization",
        "Bearer {secret}",
    ),
    (
        "gitlab-pat",
        "GET",
        "/api/v4/personal_access_tokens/self",
        "private-token",
        "{secret}",
    ),
    (
        "slack-bot-token",
        "POST",
        "/api/auth.test",
        "authorization",
        "Bearer {secret}",
    ),
    (
        "slack-user-token",
        "POST",
        "/api/auth.test",
        "authorization",
        "Bearer {secret}",
    ),
    (
        "slack-legacy-token",
        "POST",
        "/api/auth.test",
        "authorization",
        "Bearer {secret}",
    ),
    ("slack-webhook", "POST", "{webhook}", "", ""),
    (
        "stripe-live-key",
        "GET",
        "/v1/balance",
        "authorization",
        "Bearer {secret}",
    ),
    (
        "sendgrid-api-key",
        "GET",
        "/v3/scopes",
        "authorization",
        "Bearer {secret}",
    ),
    (
        "npm-access-token",
        "GET",
        "/-/whoami",
        "authorization",
        "Bearer {secret}",
    ),
    (
        "aws-access-key",
        "POST",
        "/",
        "authorization",
        "AWS4-HMAC-SHA256 Credential={id}/",
    ),
    (
        "cerebras-api-key",
        "GET",
        "/v1/models",
        "authorization",
        "Bearer {secret}",
    ),
    (
        "deepinfra-api-key",
        "GET",
        "/v1/openai/models",
        "authorization",
        "Bearer {secret}",
    ),
    (
        "deepinfra-api-key-by-endpoint",
        "GET",
        "/v1/openai/models",
        "authorization",
        "Bearer {secret}",
    ),
    (
        "siliconflow-api-key",
        "GET",
        "/v1/user/info",
        "authorization",
        "Bearer {secret}",
    ),
    (
        "siliconflow-api-key-by-endpoint",
        "GET",
        "/v1/user/info",
        "authorization",
        "Bearer {secret}",
    ),
    (
        "moonshot-api-key",
        "GET",
        "/v1/models",
        "authorization",
        "Bearer {secret}",
    ),
    (
        "moonshot-api-key-by-endpoint",
        "GET",
        "/v1/models",
        "authorization",
        "Bearer {secret}",
    ),
    (
        "tavily-api-key",
        "GET",
        "/usage",
        "authorization",
        "Bearer {secret}",
    ),
    (
        "firecrawl-api-key",
        "GET",
        "/v1/team/credit-usage",
        "authorization",
        "Bearer {secret}",
    ),
    (
        "notion-token",
        "GET",
        "/v1/users/me",
        "authorization",
        "Bearer {secret}",
    ),
    (
        "notion-legacy-token",
        "GET",
        "/v1/users/me",
        "authorization",
        "Bearer {secret}",
    ),
    (
        "linear-api-key",
        "POST",
        "/graphql",
        "authorization",
        "{secret}",
    ),
    (
        "digitalocean-token",
        "GET",
        "/v2/account",
        "authorization",
        "Bearer {secret}",
    ),
    (
        "discord-bot-token",
        "GET",
        "/api/v10/users/@me",
        "authorization",
        "Bot {secret}",
    ),
    ("discord-webhook", "GET", "{webhook}", "", ""),
    (
        "heroku-api-key",
        "GET",
        "/account",
        "authorization",
        "Bearer {secret}",
    ),
    (
        "heroku-legacy-api-key",
        "GET",
        "/account",
        "authorization",
        "Bearer {secret}",
    ),
    (
        "sentry-auth-token",
        "GET",
        "/api/0/organizations/",
        "authorization",
        "Bearer {secret}",
    ),
    (
        "cloudflare-api-token",
        "GET",
        "/client/v4/user/tokens/verify",
        "authorization",
        "Bearer {secret}",
    ),
    ("postman-api-key", "GET", "/me", "x-api-key", "{secret}"),
    (
        "mailgun-api-key",
        "GET",
        "/v4/domains?limit=1",
        "authorization",
        "basic:api",
    ),
    (
        "doppler-token",
        "GET",
        "/v3/me",
        "authorization",
        "Bearer {secret}",
    ),
    ("telegram-bot-token", "GET", "/bot{secret}/getMe", "", ""),
    (
        "terraform-cloud-token",
        "GET",
        "/api/v2/account/details",
        "authorization",
        "Bearer {secret}",
    ),
    (
        "newrelic-user-api-key",
        "GET",
        "/v2/users.json",
        "x-api-key",
        "{secret}",
    ),
    (
        "runpod-api-key",
        "GET",
        "/v1/endpoints",
        "authorization",
        "Bearer {secret}",
    ),
    (
        "cartesia-api-key",
        "GET",
        "/voices?limit=1",
        "x-api-key",
        "{secret}",
    ),
    (
        "clarifai-pat",
        "GET",
        "/v2/users/me",
        "authorization",
        "Key {secret}",
    ),
    ("e2b-api-key", "GET", "/sandboxes", "x-api-key", "{secret}"),
    (
        "braintrust-api-key",
        "GET",
        "/v1/project?limit=1",
        "authorization",
        "Bearer {secret}",
    ),
    (
        "llamacloud-api-key",
        "GET",
        "/api/v1/projects",
        "authorization",
        "Bearer {secret}",
    ),
];

/// Specs a finding of today's rule cannot drive, because the rule does
/// not capture a value the provider needs (tested on their own below).
const NEEDS_MORE_PARTS: &[(&str, &str)] = &[
    ("google-service-account-key", "client_email"),
    ("twilio-auth-token", "`id` part"),
];

/// A rule with a spec, its example and the secret in it.
struct Case {
    rule: String,
    spec: VerifySpec,
    file: String,
    secret: String,
    parts: BTreeMap<String, String>,
}

fn cases() -> Vec<Case> {
    let set = rules();
    let mut out = Vec::new();
    for r in set.rules() {
        let Some(spec) = &r.spec.verify else { continue };
        // An example with every part the spec needs (AWS: id and secret).
        let ex = r
            .spec
            .examples
            .iter()
            .find(|e| spec.kind != VerifyKind::AwsSts || e.parts.len() == 2)
            .unwrap_or_else(|| panic!("{}: no usable example", r.id()));
        out.push(Case {
            rule: r.id().to_string(),
            spec: spec.clone(),
            file: format!("{}.txt", r.id()),
            secret: ex.secret.clone(),
            parts: ex.parts.clone(),
        });
    }
    out
}

/// Set `value` at a JSON pointer, making objects (and arrays for numeric
/// steps) on the way.
fn set_at(doc: &mut Value, pointer: &str, value: Value) {
    let mut cur = doc;
    let steps: Vec<&str> = pointer.trim_start_matches('/').split('/').collect();
    for (i, step) in steps.iter().enumerate() {
        let last = i + 1 == steps.len();
        let next = if last {
            value.clone()
        } else if steps[i + 1].parse::<usize>().is_ok() {
            json!([])
        } else {
            json!({})
        };
        cur = match step.parse::<usize>() {
            Ok(n) => {
                let a = cur.as_array_mut().unwrap();
                while a.len() <= n {
                    a.push(next.clone());
                }
                if last {
                    a[n] = value.clone();
                }
                &mut a[n]
            }
            Err(_) => {
                let o = cur.as_object_mut().unwrap();
                if last {
                    o.insert(step.to_string(), value.clone());
                }
                o.entry(step.to_string()).or_insert(next)
            }
        };
    }
}

const AWS_LIVE: &str = "<GetCallerIdentityResponse><GetCallerIdentityResult>\
    <Arn>arn:aws:iam::123456789012:user/ci</Arn><UserId>AIDAMOCKUSER</UserId>\
    <Account>123456789012</Account></GetCallerIdentityResult></GetCallerIdentityResponse>";

/// A live answer to `spec`, and the identity keyscan must read from it.
fn live_answer(spec: &VerifySpec) -> (Reply, BTreeMap<String, String>) {
    if spec.kind == VerifyKind::AwsSts {
        let id = [
            ("account", "123456789012"),
            ("arn", "arn:aws:iam::123456789012:user/ci"),
            ("user_id", "AIDAMOCKUSER"),
        ]
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .into();
        return (Reply::Answer(200, vec![], AWS_LIVE.into()), id);
    }
    let status = spec.live[0];
    if let Some(text) = spec.live_if.as_ref().and_then(|c| c.contains.clone()) {
        return (
            Reply::Answer(status, vec![], format!("{text}\n")),
            BTreeMap::new(),
        );
    }
    // An answer that is a JSON array when the pointers start with an index.
    let array_root = spec.identity.values().any(|p| p.starts_with("/0"));
    let mut doc = if array_root { json!([]) } else { json!({}) };
    if let Some(c) = &spec.live_if {
        let p = c.pointer.as_deref().unwrap();
        set_at(&mut doc, p, c.equals.clone().unwrap_or(json!("present")));
    }
    let mut headers = Vec::new();
    let mut identity = BTreeMap::new();
    for (label, at) in &spec.identity {
        let v = format!("id-{label}");
        match at.strip_prefix("header:") {
            Some(h) => headers.push((h.to_string(), v.clone())),
            None => set_at(&mut doc, at, json!(v)),
        }
        identity.insert(label.clone(), v);
    }
    (Reply::Answer(status, headers, doc.to_string()), identity)
}

/// The spec a request to the mock is for: by the host prefix and the path.
fn spec_for<'a>(specs: &'a [VerifySpec], seen: &Seen) -> &'a VerifySpec {
    let target = seen.target.trim_start_matches('/');
    let (host, path) = target.split_once('/').unwrap_or((target, ""));
    let path = format!("/{path}");
    let on_host = |s: &&VerifySpec| s.target_host() == Some(host);
    specs
        .iter()
        .filter(on_host)
        .find(|s| {
            !s.secret_in_url()
                && s.url[8 + host.len()..].split('?').next()
                    == Some(path.split('?').next().unwrap())
        })
        .or_else(|| specs.iter().filter(on_host).find(|s| s.secret_in_url()))
        .unwrap_or_else(|| panic!("no spec for {}", seen.target))
}

/// The modes of the mock, and what each must give for a spec.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Mode {
    Live,
    Invalid,
    Refused,
    RateLimited,
    ServerError,
    Malformed,
    Timeout,
}

fn reply(mode: Mode, spec: &VerifySpec) -> Reply {
    let aws = spec.kind == VerifyKind::AwsSts;
    let zero = || vec![("Retry-After".to_string(), "0".to_string())];
    match mode {
        Mode::Live => live_answer(spec).0,
        Mode::Invalid if aws => Reply::Answer(
            403,
            vec![],
            "<ErrorResponse><Error><Code>InvalidClientTokenId</Code></Error></ErrorResponse>"
                .into(),
        ),
        Mode::Invalid => Reply::Answer(spec.invalid[0], vec![], "{}".into()),
        Mode::Refused => Reply::Answer(spec.live[0], vec![], "{}".into()),
        Mode::RateLimited => Reply::Answer(429, zero(), "{}".into()),
        Mode::ServerError => Reply::Answer(503, zero(), "oops".into()),
        Mode::Malformed => Reply::Answer(spec.live[0], vec![], "{not json".into()),
        Mode::Timeout => Reply::Hang,
    }
}

/// The status and the start of the detail a spec must give in `mode`.
fn expected(mode: Mode, spec: &VerifySpec) -> (&'static str, String) {
    let aws = spec.kind == VerifyKind::AwsSts;
    let contains = spec.live_if.as_ref().is_some_and(|c| c.contains.is_some());
    let status = spec.live[0];
    match mode {
        Mode::Live => ("live", format!("HTTP {status}")),
        Mode::Invalid if aws => ("invalid", "HTTP 403: InvalidClientTokenId".into()),
        Mode::Invalid => ("invalid", format!("HTTP {}", spec.invalid[0])),
        Mode::Refused if aws => (
            "unknown",
            "HTTP 200, but the answer has no caller identity".into(),
        ),
        Mode::Refused if spec.live_if.is_some() => ("invalid", format!("HTTP {status}, refused")),
        Mode::Refused => ("live", format!("HTTP {status}")),
        Mode::RateLimited => ("unknown", "rate limited (HTTP 429), retry after 0".into()),
        Mode::ServerError => ("unknown", "server error (HTTP 503), retry after 0".into()),
        Mode::Malformed if aws => (
            "unknown",
            "HTTP 200, but the answer has no caller identity".into(),
        ),
        Mode::Malformed if spec.needs_json() => (
            "unknown",
            format!("HTTP {status}, but the answer is not the JSON expected"),
        ),
        Mode::Malformed if contains => ("invalid", format!("HTTP {status}, refused")),
        Mode::Malformed => ("live", format!("HTTP {status}")),
        Mode::Timeout => ("unknown", "timed out".into()),
    }
}

impl Case {
    /// What a request for this case carries: the secret, or for a secret
    /// that is a URL, its path (the host is the mock's).
    fn needle(&self) -> String {
        if self.spec.host.is_some() {
            let url = self
                .secret
                .trim_start_matches("https://")
                .trim_start_matches("http://");
            url[url.find('/').unwrap()..].to_string()
        } else {
            self.secret.clone()
        }
    }

    /// Whether a request was sent for this case's secret.
    fn carried_by(&self, s: &Seen) -> bool {
        match self.spec.kind {
            VerifyKind::AwsSts => s
                .header("authorization")
                .is_some_and(|a| a.contains(&self.parts["id"])),
            _ => {
                s.all_text().contains(&self.needle())
                    || s.header("authorization") == Some(basic("api", &self.secret).as_str())
            }
        }
    }
}

/// The verification of `rule`'s finding in its own file.
fn verification_of<'a>(doc: &'a Value, case: &Case) -> &'a Value {
    let f = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == case.file.as_str() && f["rule_id"] == case.rule.as_str())
        .unwrap_or_else(|| panic!("{}: no finding", case.rule));
    &f["verification"]
}

fn basic(user: &str, pass: &str) -> String {
    format!("Basic {}", b64(format!("{user}:{pass}")))
}

/// Check the request sent for `case` in live mode.
fn check_request(case: &Case, method: &str, path: &str, header: &str, value: &str, seen: &[Seen]) {
    let rule = &case.rule;
    let prefix = format!("/{}", case.spec.target_host().unwrap());
    let mine: Vec<&Seen> = seen.iter().filter(|s| case.carried_by(s)).collect();
    assert_eq!(
        mine.len(),
        1,
        "{rule}: one request per distinct secret: {mine:#?}"
    );
    let s = mine[0];
    assert_eq!(s.method, method, "{rule}");
    let want_path = match path {
        "{webhook}" => case.needle(),
        p => p.replace("{secret}", &case.secret),
    };
    assert_eq!(s.target, format!("{prefix}{want_path}"), "{rule}: path");
    if !path.contains('{') {
        assert!(
            !s.target.contains(&case.secret),
            "{rule}: secret in the URL"
        );
    }
    match (header, value) {
        ("", _) => {}
        (h, v) if v.starts_with("basic:") => {
            assert_eq!(
                s.header(h),
                Some(basic(&v[6..], &case.secret).as_str()),
                "{rule}"
            )
        }
        (h, v) if case.spec.kind == VerifyKind::AwsSts => {
            let auth = s.header(h).unwrap();
            assert!(
                auth.starts_with(&v.replace("{id}", &case.parts["id"])),
                "{rule}: {auth}"
            );
            assert!(auth.contains("/us-east-1/sts/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature="));
            assert_eq!(s.body, keyscan::verify::aws::BODY);
            assert!(s.header("x-amz-date").is_some_and(|d| d.len() == 16));
            assert!(
                !s.all_text().contains(&case.parts["secret"]),
                "the secret access key was sent"
            );
        }
        (h, v) => assert_eq!(
            s.header(h),
            Some(v.replace("{secret}", &case.secret).as_str()),
            "{rule}"
        ),
    }
    if let Some(body) = &case.spec.body {
        assert_eq!(&s.body, body, "{rule}: body");
    } else if case.spec.kind == VerifyKind::Http {
        assert!(s.body.is_empty(), "{rule}: unexpected body {:?}", s.body);
    }
}

/// Every spec, against a mock in each mode: the exact request in live
/// mode, and the status (and detail) each kind of answer must give.
#[test]
fn every_spec_sends_its_request_and_reads_each_answer() {
    let cases = cases();
    // The table covers every spec, and only specs.
    let with_spec: BTreeSet<&str> = cases.iter().map(|c| c.rule.as_str()).collect();
    let tabled: BTreeSet<&str> = REQUESTS
        .iter()
        .map(|r| r.0)
        .chain(NEEDS_MORE_PARTS.iter().map(|r| r.0))
        .collect();
    assert_eq!(with_spec, tabled, "every spec needs its row in REQUESTS");

    let tree = Tree::new();
    for c in &cases {
        let ex = rules()
            .get(&c.rule)
            .unwrap()
            .spec
            .examples
            .iter()
            .find(|e| e.secret == c.secret)
            .unwrap()
            .text
            .clone();
        tree.file(&c.file, format!("{ex}\n"));
    }
    let specs: Vec<VerifySpec> = cases.iter().map(|c| c.spec.clone()).collect();
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("docs/json-schema.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();

    for mode in [
        Mode::Live,
        Mode::Invalid,
        Mode::Refused,
        Mode::RateLimited,
        Mode::ServerError,
        Mode::Malformed,
        Mode::Timeout,
    ] {
        let specs2 = specs.clone();
        let mock = Mock::start(move |seen| reply(mode, spec_for(&specs2, seen)));
        let timeout = if mode == Mode::Timeout { "1" } else { "10" };
        let mut args: Vec<String> = [
            "--verify",
            "--verify-jobs",
            "32",
            "--verify-rate",
            "1000",
            "--verify-timeout",
            timeout,
        ]
        .map(String::from)
        .to_vec();
        args.extend(routes(&mock));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let started = Instant::now();
        let (code, doc, stderr) = scan_json_within(tree.path(), &args, 120);
        assert_eq!(code, 1, "{mode:?}: {stderr}");
        let errors: Vec<String> = validator.iter_errors(&doc).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{mode:?}: {errors:#?}");
        if mode == Mode::Timeout {
            // ~60 hung requests, 32 at a time, 1 s each.
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "{:?}",
                started.elapsed()
            );
        }
        let seen = mock.seen();
        for c in &cases {
            let v = verification_of(&doc, c);
            if let Some((_, what)) = NEEDS_MORE_PARTS.iter().find(|n| n.0 == c.rule) {
                assert_eq!(v["status"], "unknown", "{}", c.rule);
                assert!(
                    v["detail"]
                        .as_str()
                        .unwrap()
                        .contains(what.trim_matches('`').split(' ').next().unwrap()),
                    "{}: {v}",
                    c.rule
                );
                continue;
            }
            let (status, detail) = expected(mode, &c.spec);
            assert_eq!(v["status"], status, "{mode:?} {}: {v}", c.rule);
            let got = v["detail"].as_str().unwrap();
            assert!(
                got.starts_with(&detail),
                "{mode:?} {}: {got:?} should start with {detail:?}",
                c.rule
            );
            assert!(v["checked_at"].as_str().unwrap().ends_with('Z'));
            if mode == Mode::Live {
                let want = live_answer(&c.spec).1;
                let got: BTreeMap<String, String> = v["identity"]
                    .as_object()
                    .map(|o| {
                        o.iter()
                            .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
                            .collect()
                    })
                    .unwrap_or_default();
                assert_eq!(got, want, "{}: identity", c.rule);
                let row = REQUESTS.iter().find(|r| r.0 == c.rule).unwrap();
                check_request(c, row.1, row.2, row.3, row.4, &seen);
            }
            if matches!(mode, Mode::RateLimited | Mode::ServerError) {
                let tries = seen.iter().filter(|s| c.carried_by(s)).count();
                assert_eq!(tries, 2, "{mode:?} {}: one retry", c.rule);
            }
        }
        // Nothing is sent for the specs that cannot run.
        for (rule, _) in NEEDS_MORE_PARTS {
            let c = cases.iter().find(|c| c.rule == *rule).unwrap();
            assert!(!seen
                .iter()
                .any(|s| s.all_text().contains(&c.secret[..30.min(c.secret.len())])));
        }
    }
}

/// `--verify` only connects where the overrides point (loopback), each
/// distinct secret once, and a finding whose rule has no spec sends
/// nothing; where strace is available, every IP connection it makes is
/// to 127.0.0.1.
#[test]
fn verify_talks_only_to_the_hosts_the_rules_name() {
    let key = crate::common::GITHUB;
    let tree = Tree::new();
    for i in 0..10 {
        tree.file(
            &format!("app{i}/config.py"),
            format!("GITHUB_TOKEN = \"{key}\"\n"),
        );
    }
    // A rule without a spec (an age key from the pack's examples).
    let age = rules().get("age-secret-key").unwrap().spec.examples[0]
        .text
        .clone();
    tree.file("keys.txt", format!("{age}\n"));
    let specs: Vec<VerifySpec> = cases().into_iter().map(|c| c.spec).collect();
    let mock = Mock::start(move |seen| reply(Mode::Live, spec_for(&specs, seen)));
    let mut args = vec![
        "--no-config".to_string(),
        "--format".into(),
        "json".into(),
        "--verify".into(),
    ];
    args.extend(routes(&mock));
    args.push(".".into());
    let bin = assert_cmd::cargo::cargo_bin("keyscan");
    let out = std::process::Command::new(&bin)
        .args(&args)
        .current_dir(tree.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let doc = json(&out.stdout);
    let findings = doc["findings"].as_array().unwrap();
    let github: Vec<&Value> = findings
        .iter()
        .filter(|f| f["rule_id"] == "github-classic-token")
        .collect();
    assert_eq!(github.len(), 10);
    assert!(github.iter().all(|f| f["verification"]["status"] == "live"));
    let age_f = findings
        .iter()
        .find(|f| f["rule_id"] == "age-secret-key")
        .unwrap();
    assert_eq!(age_f["verification"]["status"], "unknown");
    assert_eq!(age_f["verification"]["detail"], "no verifier for this rule");
    assert_eq!(mock.seen().len(), 1, "{:#?}", mock.seen());
    assert_eq!(
        doc["stats"]["verified"],
        json!({"live": 10, "invalid": 0, "unknown": 1})
    );

    let probe = std::process::Command::new("strace")
        .args(["-f", "-qq", "-e", "trace=none", "true"])
        .output();
    if !probe.as_ref().is_ok_and(|o| o.status.success()) {
        eprintln!("skipped the strace run: strace is not available or not permitted here");
        return;
    }
    let log = tempfile::NamedTempFile::new().unwrap();
    let out = std::process::Command::new("strace")
        .args(["-f", "-qq", "-e", "trace=connect", "-o"])
        .arg(log.path())
        .arg(&bin)
        .args(&args)
        .current_dir(tree.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let calls = std::fs::read_to_string(log.path()).unwrap();
    let ip: Vec<&str> = calls.lines().filter(|l| l.contains("AF_INET")).collect();
    assert!(!ip.is_empty(), "no connection seen:\n{calls}");
    for l in ip {
        assert!(
            l.contains("inet_addr(\"127.0.0.1\")"),
            "connected elsewhere: {l}"
        );
    }
}

fn run(tree: &Tree, mock: &Mock, extra: &[&str]) -> std::process::Output {
    keyscan()
        .current_dir(tree.path())
        .args(["--no-config", "--verify"])
        .args(routes(mock))
        .args(extra)
        .arg(".")
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap()
}

/// A live and a revoked token: the text report marks the live one, the
/// summary counts it; --only-live keeps it alone; --fail-on-live fails
/// only when a live key is found; SARIF and GitLab carry the result.
#[test]
fn live_keys_stand_out_and_decide_the_exit_code() {
    let gh = rules()
        .get("github-classic-token")
        .unwrap()
        .spec
        .examples
        .iter()
        .map(|e| e.secret.clone())
        .collect::<Vec<_>>();
    let (live, dead) = (gh[0].clone(), gh[1].clone());
    let tree = Tree::new();
    tree.file("a.env", format!("GITHUB_TOKEN={live}\n"));
    tree.file("b.env", format!("GITHUB_TOKEN={dead}\n"));
    let live2 = live.clone();
    let mock = Mock::start(move |s| {
        if s.header("authorization") == Some(format!("Bearer {live2}").as_str()) {
            Reply::Answer(
                200,
                vec![("X-OAuth-Scopes".into(), "repo, gist".into())],
                r#"{"login":"octo"}"#.into(),
            )
        } else {
            Reply::Answer(401, vec![], r#"{"message":"Bad credentials"}"#.into())
        }
    });
    let out = run(&tree, &mock, &["--format", "text", "--color", "never"]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let line_a = text
        .lines()
        .find(|l| l.contains("github-classic-token") && text.contains("a.env"))
        .unwrap();
    assert!(text.lines().any(|l| l.contains("LIVE")), "{text}");
    assert!(!line_a.is_empty());
    assert!(
        text.contains("verified live: HTTP 200; scopes=repo, gist, user=octo"),
        "{text}"
    );
    assert!(text.contains("verified invalid: HTTP 401"), "{text}");
    assert!(
        stderr.contains("verified: 1 live, 1 invalid, 0 unknown"),
        "{stderr}"
    );

    let out = run(&tree, &mock, &["--format", "json", "--only-live"]);
    let doc = json(&out.stdout);
    assert_eq!(doc["findings"].as_array().unwrap().len(), 1);
    assert_eq!(doc["findings"][0]["path"], "a.env");
    assert_eq!(
        doc["findings"][0]["verification"]["identity"]["user"],
        "octo"
    );

    assert_eq!(
        run(&tree, &mock, &["-q", "--fail-on-live"]).status.code(),
        Some(1)
    );
    std::fs::remove_file(tree.path().join("a.env")).unwrap();
    // Only the revoked key: reported, but the run passes.
    let out = run(&tree, &mock, &["--format", "json", "--fail-on-live"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(json(&out.stdout)["findings"].as_array().unwrap().len(), 1);
    tree.file("a.env", format!("GITHUB_TOKEN={live}\n"));

    let out = run(&tree, &mock, &["--format", "sarif"]);
    let sarif = json(&out.stdout);
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let a = results
        .iter()
        .find(|r| r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "a.env")
        .unwrap();
    assert_eq!(a["properties"]["verification"]["status"], "live");
    assert!(a["message"]["text"]
        .as_str()
        .unwrap()
        .contains("[verified live: HTTP 200"));

    let out = run(&tree, &mock, &["--format", "gitlab"]);
    let gl = json(&out.stdout);
    let v = gl["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["location"]["file"] == "a.env")
        .unwrap();
    assert_eq!(v["confidence"], "Confirmed");
    assert!(v["details"]["verification"]["value"]
        .as_str()
        .unwrap()
        .starts_with("verified live"));
}

/// Bad overrides and verify options without --verify: one line, exit 2,
/// and nothing scanned or sent.
#[test]
fn bad_overrides_are_refused() {
    let tree = Tree::new();
    tree.file("x.txt", "nothing here\n");
    for (args, says) in [
        (
            vec![
                "--verify",
                "--verify-override",
                "api.github.com=http://10.0.0.1:80",
            ],
            "127.0.0.1, ::1 or localhost",
        ),
        (
            vec!["--verify", "--verify-override", "api.github.com"],
            "expected HOST=URL",
        ),
        (
            vec![
                "--verify",
                "--verify-override",
                "example.com=http://127.0.0.1:9",
            ],
            "example.com: no rule verifies secrets at this host",
        ),
        (
            vec!["--verify-override", "api.github.com=http://127.0.0.1:9"],
            "--verify",
        ),
        (vec!["--only-live"], "--verify"),
        (vec!["--fail-on-live"], "--verify"),
    ] {
        let out = keyscan()
            .current_dir(tree.path())
            .arg("--no-config")
            .args(&args)
            .arg(".")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "{args:?}: {err}");
        assert!(out.stdout.is_empty());
    }
    let out = keyscan()
        .current_dir(tree.path())
        .args(["baseline", "--no-config", "--verify", "."])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not verify"));
}

/// 429 with `Retry-After: 1`, then 200: the retry waits and succeeds.
/// A redirect to another host is not followed. A network failure (the
/// port closed) gives `unknown` and keeps the finding. The secret never
/// appears in any output, even with --verbose and a provider that echoes it.
#[test]
fn faults_give_unknown_and_never_leak_the_secret() {
    let gh = rules()
        .get("github-classic-token")
        .unwrap()
        .spec
        .examples
        .iter()
        .map(|e| e.secret.clone())
        .collect::<Vec<_>>();
    let tree = Tree::new();
    tree.file("a.env", format!("GITHUB_TOKEN={}\n", gh[0]));
    let calls = Arc::new(Mutex::new(0));
    let calls2 = calls.clone();
    let mock = Mock::start(move |_| {
        let mut n = calls2.lock().unwrap();
        *n += 1;
        if *n == 1 {
            Reply::Answer(429, vec![("Retry-After".into(), "1".into())], "{}".into())
        } else {
            Reply::Answer(200, vec![], r#"{"login":"octo"}"#.into())
        }
    });
    let started = Instant::now();
    let out = run(&tree, &mock, &["--format", "json"]);
    let doc = json(&out.stdout);
    assert_eq!(doc["findings"][0]["verification"]["status"], "live");
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(mock.seen().len(), 2);

    let mock = Mock::start(|_| {
        Reply::Answer(
            302,
            vec![("Location".into(), "https://evil.example/steal".into())],
            String::new(),
        )
    });
    let doc = json(&run(&tree, &mock, &["--format", "json"]).stdout);
    assert_eq!(doc["findings"][0]["verification"]["status"], "unknown");
    assert_eq!(
        doc["findings"][0]["verification"]["detail"],
        "redirected to another host (evil.example): not followed"
    );
    assert_eq!(mock.seen().len(), 1);

    let closed = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = keyscan()
        .current_dir(tree.path())
        .args([
            "--no-config",
            "--verify",
            "--format",
            "json",
            "--verify-override",
        ])
        .arg(format!("api.github.com=http://127.0.0.1:{closed}"))
        .arg(".")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let doc = json(&out.stdout);
    assert_eq!(doc["findings"][0]["verification"]["status"], "unknown");
    assert!(doc["findings"][0]["verification"]["detail"]
        .as_str()
        .unwrap()
        .starts_with("network error"));

    let echo = Mock::start(|s| {
        let auth = s.header("authorization").unwrap_or("").to_string();
        Reply::Answer(
            401,
            vec![],
            json!({"message": format!("bad credentials: {auth}")}).to_string(),
        )
    });
    for format in ["text", "json", "sarif", "gitlab"] {
        let out = run(&tree, &echo, &["--verbose", "--format", format]);
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!all.contains(&gh[0]), "{format}: the secret leaked:\n{all}");
        assert!(!all.contains(&gh[0][4..20]), "{format}");
    }
}

/// Twilio needs the Account SID with the token: HTTP Basic, nothing in
/// the URL (driven through the library, since today's rule captures the
/// token alone).
#[test]
fn twilio_sends_sid_and_token_as_basic_auth() {
    let spec = rules()
        .get("twilio-auth-token")
        .unwrap()
        .spec
        .verify
        .clone()
        .unwrap();
    let mock = Mock::start(|_| {
        Reply::Answer(
            200,
            vec![],
            r#"{"accounts":[{"friendly_name":"acme"}]}"#.into(),
        )
    });
    let opts = keyscan::verify::Options {
        overrides: vec![mock.route("api.twilio.com").parse().unwrap()],
        ..Default::default()
    };
    let client = keyscan::verify::http::Client::new(&opts);
    let token = "0123456789abcdef".repeat(2);
    let sid = ["AC", &"9".repeat(32)].concat();
    let secret = keyscan::verify::Secret {
        value: token.clone(),
        parts: [
            ("id".to_string(), sid.clone()),
            ("secret".to_string(), token.clone()),
        ]
        .into(),
    };
    let v = keyscan::verify::check(&client, &spec, &secret);
    assert_eq!(v.status, keyscan::finding::VerifyStatus::Live);
    assert_eq!(v.identity["account"], "acme");
    let seen = mock.seen();
    assert_eq!(
        seen[0].target,
        "/api.twilio.com/2010-04-01/Accounts.json?PageSize=1"
    );
    assert_eq!(
        seen[0].header("authorization"),
        Some(basic(&sid, &token).as_str())
    );
}

/// GCP: the JWT is signed RS256 with the key (checked with its public
/// key), names the account and the token endpoint, and goes in a form
/// body; 200 with a token is live, 400 invalid_grant invalid.
#[test]
fn gcp_service_account_key_is_exchanged_for_a_token() {
    use base64::Engine as _;
    let dir = tempfile::tempdir().unwrap();
    let pem_path = dir.path().join("k.pem");
    let made = std::process::Command::new("openssl")
        .args([
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
        ])
        .arg(&pem_path)
        .output();
    if !made.as_ref().is_ok_and(|o| o.status.success()) {
        eprintln!("skipped: openssl cannot make a test RSA key here");
        return;
    }
    let pem = std::fs::read_to_string(&pem_path).unwrap();
    // As a JSON key file holds it: line breaks written `\n`.
    let escaped = pem.replace('\n', "\\n");
    let spec = rules()
        .get("google-service-account-key")
        .unwrap()
        .spec
        .verify
        .clone()
        .unwrap();
    let email = "ci@demo-project.iam.gserviceaccount.com";
    let der = keyscan::verify::gcp::pem_der(&escaped).unwrap();
    let pair = ring::signature::RsaKeyPair::from_pkcs8(&der).unwrap();
    let public = ring::signature::KeyPair::public_key(&pair)
        .as_ref()
        .to_vec();
    for (status, body, want) in [
        (
            200,
            r#"{"access_token":"ya29.mock","expires_in":3599}"#,
            keyscan::finding::VerifyStatus::Live,
        ),
        (
            400,
            r#"{"error":"invalid_grant"}"#,
            keyscan::finding::VerifyStatus::Invalid,
        ),
    ] {
        let mock = Mock::start(move |_| Reply::Answer(status, vec![], body.into()));
        let opts = keyscan::verify::Options {
            overrides: vec![mock.route("oauth2.googleapis.com").parse().unwrap()],
            ..Default::default()
        };
        let client = keyscan::verify::http::Client::new(&opts);
        let secret = keyscan::verify::Secret {
            value: escaped.clone(),
            parts: [
                ("client_email".to_string(), email.to_string()),
                ("private_key".to_string(), escaped.clone()),
            ]
            .into(),
        };
        let v = keyscan::verify::check(&client, &spec, &secret);
        assert_eq!(v.status, want, "{v:?}");
        let seen = mock.seen();
        assert_eq!(seen.len(), 1);
        assert_eq!(seen[0].method, "POST");
        assert_eq!(seen[0].target, "/oauth2.googleapis.com/token");
        let jwt = seen[0]
            .body
            .strip_prefix(
                "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=",
            )
            .unwrap();
        let parts: Vec<&str> = jwt.split('.').collect();
        assert_eq!(parts.len(), 3);
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let claims: Value = serde_json::from_slice(&b64.decode(parts[1]).unwrap()).unwrap();
        assert_eq!(claims["iss"], email);
        assert_eq!(claims["aud"], "https://oauth2.googleapis.com/token");
        let signed = format!("{}.{}", parts[0], parts[1]);
        ring::signature::UnparsedPublicKey::new(
            &ring::signature::RSA_PKCS1_2048_8192_SHA256,
            &public,
        )
        .verify(signed.as_bytes(), &b64.decode(parts[2]).unwrap())
        .expect("RS256 signature");
        assert!(!seen[0].body.contains("PRIVATE KEY"));
    }
}

/// `HTTPS_PROXY` is honoured: the request for a provider host (no
/// override) goes to the proxy as a CONNECT, and nowhere else; a proxy
/// that refuses gives `unknown`.
#[test]
fn https_proxy_is_honoured() {
    let gh = rules().get("github-classic-token").unwrap().spec.examples[0]
        .secret
        .clone();
    let tree = Tree::new();
    tree.file("a.env", format!("GITHUB_TOKEN={gh}\n"));
    let proxy = Mock::start(|_| Reply::Answer(403, vec![], String::new()));
    let out = keyscan()
        .current_dir(tree.path())
        .env("HTTPS_PROXY", format!("http://127.0.0.1:{}", proxy.port))
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .env_remove("ALL_PROXY")
        .env_remove("all_proxy")
        .args(["--no-config", "--verify", "--format", "json", "."])
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let doc = json(&out.stdout);
    assert_eq!(doc["findings"][0]["verification"]["status"], "unknown");
    let seen = proxy.seen();
    assert_eq!(seen.len(), 1, "{seen:#?}");
    assert_eq!(seen[0].method, "CONNECT");
    assert_eq!(seen[0].target, "api.github.com:443");
    assert!(
        !seen[0].all_text().contains(&gh),
        "the proxy saw the secret"
    );
}
