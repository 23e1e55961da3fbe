//! The HTTP side of verification: one client (ureq with rustls: TLS
//! always verified against the Mozilla roots, `HTTPS_PROXY`/`NO_PROXY`
//! honoured, no redirect followed), per-host spacing, a bounded retry on
//! 429 and 5xx that honours `Retry-After`, and the reading of a templated
//! spec's answer.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::{Options, Override, Secret, Verdict, MAX_RETRY_WAIT, RETRIES};
use crate::finding::VerifyStatus;
use crate::rules::verify::{https_host, Condition, VerifySpec};

/// Largest answer read; providers' whoami answers are a few kilobytes.
const MAX_BODY: u64 = 1 << 20;

/// A request, addressed to the provider's real HTTPS URL.
#[derive(Debug, Clone)]
pub struct Request {
    /// `GET`, `POST` or `HEAD`.
    pub method: String,
    /// `https://host/path`.
    pub url: String,
    /// Headers, in order.
    pub headers: Vec<(String, String)>,
    /// Body, if any.
    pub body: Option<Vec<u8>>,
}

/// An answer.
#[derive(Debug, Clone)]
pub struct Response {
    /// HTTP status.
    pub status: u16,
    /// Headers, names lower-cased.
    pub headers: Vec<(String, String)>,
    /// Body (at most [`MAX_BODY`] bytes, lossily decoded).
    pub body: String,
}

impl Response {
    /// A header's value by lower-case name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The verification client, shared by the worker threads.
pub struct Client {
    /// Through the proxy the environment names (if any).
    proxied: ureq::Agent,
    /// Straight to a loopback override.
    direct: ureq::Agent,
    overrides: Vec<Override>,
    spacing: Duration,
    next_slot: Mutex<HashMap<String, Instant>>,
}

fn agent(opts: &Options, proxy: Option<ureq::Proxy>) -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_connect(Some(opts.connect_timeout))
        .timeout_global(Some(opts.timeout))
        .max_redirects(0)
        .max_redirects_will_error(false)
        .http_status_as_error(false)
        .user_agent(concat!("keyscan/", env!("CARGO_PKG_VERSION"), " (verify)"))
        .proxy(proxy)
        .build()
        .into()
}

impl Client {
    /// A client with these options.
    pub fn new(opts: &Options) -> Client {
        Client {
            proxied: agent(opts, ureq::Proxy::try_from_env()),
            direct: agent(opts, None),
            overrides: opts.overrides.clone(),
            spacing: Duration::from_secs(1) / opts.rate_per_host.max(1),
            next_slot: Mutex::new(HashMap::new()),
        }
    }

    /// Wait for this host's next slot.
    fn pace(&self, host: &str) {
        let wait = {
            let mut slots = self.next_slot.lock().unwrap_or_else(|e| e.into_inner());
            let now = Instant::now();
            let slot = slots.get(host).copied().filter(|t| *t > now).unwrap_or(now);
            slots.insert(host.to_string(), slot + self.spacing);
            slot - now
        };
        if !wait.is_zero() {
            std::thread::sleep(wait);
        }
    }

    /// Send `req`; on 429 or 5xx, retry (at most [`RETRIES`] times) after
    /// the `Retry-After` the answer asks for (1 s without one). Errors are
    /// described without the URL (which may hold a secret).
    pub fn send(&self, req: &Request) -> Result<Response, String> {
        let host = https_host(&req.url)
            .ok_or("not an https:// URL")?
            .to_ascii_lowercase();
        let (url, agent) = match self.overrides.iter().find(|o| o.host == host) {
            Some(o) => {
                let after = &req.url["https://".len()..];
                let path = after.find('/').map_or("/", |i| &after[i..]);
                (format!("{}{path}", o.base), &self.direct)
            }
            None => (req.url.clone(), &self.proxied),
        };
        let mut attempt = 0;
        loop {
            self.pace(&host);
            let resp = send_once(agent, req, &url)?;
            let retryable = resp.status == 429 || (500..600).contains(&resp.status);
            if !retryable || attempt >= RETRIES {
                return Ok(resp);
            }
            let wait = match resp.header("retry-after").map(str::trim) {
                Some(v) => match v.parse::<u64>() {
                    Ok(s) => Duration::from_secs(s),
                    // An HTTP date or nonsense: do not guess.
                    Err(_) => return Ok(resp),
                },
                None => Duration::from_secs(1),
            };
            if wait > MAX_RETRY_WAIT {
                return Ok(resp);
            }
            std::thread::sleep(wait);
            attempt += 1;
        }
    }
}

fn send_once(agent: &ureq::Agent, req: &Request, url: &str) -> Result<Response, String> {
    let mut builder = ureq::http::Request::builder()
        .method(req.method.as_str())
        .uri(url);
    for (k, v) in &req.headers {
        builder = builder.header(k.as_str(), v.as_str());
    }
    let request = builder
        .body(req.body.clone().unwrap_or_default())
        .map_err(|_| {
            "the request could not be built (a header holds characters HTTP forbids)".to_string()
        })?;
    let mut resp = agent.run(request).map_err(|e| describe(&e))?;
    let status = resp.status().as_u16();
    let headers = resp
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_ascii_lowercase(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let body = if req.method == "HEAD" {
        Vec::new()
    } else {
        resp.body_mut()
            .with_config()
            .limit(MAX_BODY)
            .read_to_vec()
            .map_err(|e| describe(&e))?
    };
    Ok(Response {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

/// A network error in words, never with the URL.
fn describe(e: &ureq::Error) -> String {
    match e {
        ureq::Error::Timeout(ureq::Timeout::Connect) => "timed out connecting".into(),
        ureq::Error::Timeout(ureq::Timeout::Resolve) => "timed out resolving the host".into(),
        ureq::Error::Timeout(_) => "timed out waiting for the answer".into(),
        ureq::Error::HostNotFound => "network error: host not found".into(),
        ureq::Error::ConnectionFailed => "network error: connection failed".into(),
        ureq::Error::Io(io) => format!("network error: {}", io.kind()),
        ureq::Error::Tls(m) => format!("TLS error: {m}"),
        ureq::Error::Rustls(r) => format!("TLS error: {r}"),
        ureq::Error::BodyExceedsLimit(_) => "the answer is larger than 1 MiB".into(),
        ureq::Error::ConnectProxyFailed(_) | ureq::Error::InvalidProxyUrl => {
            "proxy error: the proxy refused or could not be reached".into()
        }
        _ => "the request failed".into(),
    }
}

/// The verdict for an answer that says nothing about the key: rate
/// limiting, server errors, redirects. `None` when the answer is the
/// provider's word.
pub fn not_an_answer(resp: &Response, url: &str) -> Option<Verdict> {
    let s = resp.status;
    let why = match s {
        429 => format!("rate limited (HTTP 429){}", retry_note(resp)),
        500..=599 => format!("server error (HTTP {s}){}", retry_note(resp)),
        300..=399 => {
            let to = resp.header("location").and_then(https_host);
            match to {
                Some(h) if Some(h) != https_host(url) => {
                    format!("redirected to another host ({h}): not followed")
                }
                _ => format!("redirected (HTTP {s}): not followed"),
            }
        }
        _ => return None,
    };
    Some(Verdict::unknown(why))
}

fn retry_note(resp: &Response) -> String {
    match resp.header("retry-after") {
        Some(v) if !v.trim().is_empty() => {
            format!(", retry after {}", crate::text::one_line(v.trim()))
        }
        _ => String::new(),
    }
}

/// A JSON value as one line of text: strings as they are, arrays joined.
fn as_text(v: &serde_json::Value) -> Option<String> {
    let s = match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Number(n) => n.to_string(),
        serde_json::Value::Bool(b) => b.to_string(),
        serde_json::Value::Array(a) => {
            let items: Vec<String> = a.iter().filter_map(as_text).collect();
            if items.is_empty() {
                return None;
            }
            items.join(", ")
        }
        _ => return None,
    };
    let s = crate::text::one_line(s.trim());
    (!s.is_empty()).then(|| s.chars().take(200).collect())
}

fn passes(c: &Condition, json: Option<&serde_json::Value>, body: &str) -> bool {
    match (&c.pointer, &c.contains) {
        (Some(p), _) => {
            let v = json.and_then(|j| j.pointer(p));
            match &c.equals {
                Some(want) => v == Some(want),
                None => v.is_some_and(|v| !v.is_null()),
            }
        }
        (None, Some(text)) => body.contains(text.as_str()),
        (None, None) => true,
    }
}

/// Who the key belongs to, from a live answer.
pub fn identity(
    spec: &BTreeMap<String, String>,
    json: Option<&serde_json::Value>,
    resp: &Response,
) -> BTreeMap<String, String> {
    spec.iter()
        .filter_map(|(label, at)| {
            let value = match at.strip_prefix("header:") {
                Some(h) => resp
                    .header(&h.to_ascii_lowercase())
                    .map(|v| crate::text::one_line(v.trim()))
                    .filter(|v| !v.is_empty()),
                None => json.and_then(|j| j.pointer(at)).and_then(as_text),
            }?;
            Some((label.clone(), value))
        })
        .collect()
}

/// Read an answer to a templated spec's request.
pub fn judge(spec: &VerifySpec, url: &str, resp: &Response) -> Verdict {
    if let Some(v) = not_an_answer(resp, url) {
        return v;
    }
    let s = resp.status;
    let json = serde_json::from_str::<serde_json::Value>(&resp.body).ok();
    let reason = || {
        spec.error
            .as_ref()
            .and_then(|p| json.as_ref()?.pointer(p))
            .and_then(as_text)
            .map(|r| format!(": {r}"))
            .unwrap_or_default()
    };
    if spec.live.contains(&s) {
        if spec.needs_json() && json.is_none() {
            return Verdict::unknown(format!("HTTP {s}, but the answer is not the JSON expected"));
        }
        if let Some(c) = &spec.live_if {
            if !passes(c, json.as_ref(), &resp.body) {
                return Verdict::new(
                    VerifyStatus::Invalid,
                    format!("HTTP {s}, refused{}", reason()),
                );
            }
        }
        let mut v = Verdict::new(VerifyStatus::Live, format!("HTTP {s}"));
        v.identity = identity(&spec.identity, json.as_ref(), resp);
        return v;
    }
    if spec.invalid.contains(&s) {
        return Verdict::new(VerifyStatus::Invalid, format!("HTTP {s}{}", reason()));
    }
    Verdict::unknown(format!("unexpected answer (HTTP {s})"))
}

/// Build a templated spec's request for a secret.
pub fn request(spec: &VerifySpec, secret: &Secret) -> Result<Request, String> {
    let mut url = secret.fill(&spec.url)?;
    if spec.host.is_some() {
        // The URL is the secret (a webhook): always HTTPS, and only on the
        // spec's host.
        let rest = url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"))
            .unwrap_or(&url);
        url = format!("https://{rest}");
    }
    let want = spec.target_host().unwrap_or_default();
    if https_host(&url).is_none_or(|h| !h.eq_ignore_ascii_case(want)) {
        return Err(format!("the request would not go to {want}: not sent"));
    }
    let mut headers = Vec::new();
    for (k, v) in &spec.headers {
        headers.push((k.clone(), secret.fill(v)?));
    }
    if let Some([user, pass]) = &spec.basic {
        use base64::Engine;
        let pair = format!("{}:{}", secret.fill(user)?, secret.fill(pass)?);
        let b64 = base64::engine::general_purpose::STANDARD.encode(pair);
        headers.push(("Authorization".into(), format!("Basic {b64}")));
    }
    let body = spec
        .body
        .as_ref()
        .map(|b| secret.fill(b).map(String::into_bytes))
        .transpose()?;
    Ok(Request {
        method: spec.method.clone(),
        url,
        headers,
        body,
    })
}

/// Verify a secret with a templated spec.
pub fn check(client: &Client, spec: &VerifySpec, secret: &Secret) -> Verdict {
    let req = match request(spec, secret) {
        Ok(r) => r,
        Err(e) => return Verdict::unknown(e),
    };
    match client.send(&req) {
        Ok(resp) => judge(spec, &req.url, &resp),
        Err(e) => Verdict::unknown(e),
    }
}
