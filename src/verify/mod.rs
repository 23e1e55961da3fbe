//! The verification stage (`--verify`): after the filter stage and before
//! the reporters, ask each finding's provider whether its secret is live.
//!
//! Off unless asked for: without `--verify` nothing here runs and keyscan
//! opens no network connection. With it, a request goes only to the host
//! a built-in rule's `[rule.verify]` spec names (or, with
//! `--verify-override`, to a loopback URL standing in for that host).
//!
//! Each distinct secret (provider and value) is checked once per run, by
//! at most `jobs` threads at a time, with requests to one host spaced out
//! ([`Options::rate_per_host`]). A failure of any kind (network, timeout,
//! rate limiting, server error, an answer not understood) gives `unknown`
//! with the reason: the finding is never lost and the scan never stops.
//! The secret goes in a header or a body wherever the provider's API
//! allows, is never logged, and is masked out of every detail shown.

pub mod aws;
pub mod gcp;
pub mod http;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use crate::finding::{Finding, Verification, VerifyStatus};
use crate::rules::verify::{pieces, Piece, VerifyKind, VerifySpec};
use crate::rules::RuleSet;

/// Default number of requests in flight at once.
pub const DEFAULT_JOBS: usize = 8;
/// Default requests per second to one host.
pub const DEFAULT_RATE_PER_HOST: u32 = 10;
/// Time allowed to connect.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Default time allowed for a whole request, answer included.
pub const TOTAL_TIMEOUT: Duration = Duration::from_secs(15);
/// Retries after a 429 or 5xx answer.
pub const RETRIES: u32 = 1;
/// Longest `Retry-After` honoured; a longer one gives `unknown` at once.
pub const MAX_RETRY_WAIT: Duration = Duration::from_secs(10);

/// How verification runs.
#[derive(Debug, Clone)]
pub struct Options {
    /// Requests in flight at once.
    pub jobs: usize,
    /// Requests per second to one host.
    pub rate_per_host: u32,
    /// Time allowed to connect.
    pub connect_timeout: Duration,
    /// Time allowed for a whole request.
    pub timeout: Duration,
    /// Provider hosts mapped to loopback URLs.
    pub overrides: Vec<Override>,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            jobs: DEFAULT_JOBS,
            rate_per_host: DEFAULT_RATE_PER_HOST,
            connect_timeout: CONNECT_TIMEOUT,
            timeout: TOTAL_TIMEOUT,
            overrides: Vec::new(),
        }
    }
}

/// `HOST=URL`: requests for a provider host go to a loopback URL instead
/// (tests, and anyone checking keyscan against a local mock).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Override {
    /// The provider host (`api.openai.com`).
    pub host: String,
    /// Scheme, loopback host, port and path prefix, without a trailing `/`.
    pub base: String,
}

impl FromStr for Override {
    type Err = String;

    fn from_str(s: &str) -> Result<Override, String> {
        let (host, url) = s
            .split_once('=')
            .ok_or_else(|| format!("{s:?}: expected HOST=URL"))?;
        let host = host.trim().to_ascii_lowercase();
        if host.is_empty() || host.contains(['/', ':', '@', ' ']) {
            return Err(format!("{host:?} is not a host name"));
        }
        let rest = url
            .strip_prefix("http://")
            .or_else(|| url.strip_prefix("https://"))
            .ok_or_else(|| format!("{url:?}: the URL must start with http:// or https://"))?;
        if url.contains(['?', '#']) {
            return Err(format!("{url:?}: no query or fragment allowed"));
        }
        let end = rest.find('/').unwrap_or(rest.len());
        let authority = &rest[..end];
        let name = match authority.strip_prefix('[') {
            Some(v6) => v6.split(']').next().unwrap_or(""),
            None => authority.split(':').next().unwrap_or(""),
        };
        if !matches!(name, "127.0.0.1" | "::1" | "localhost") || authority.contains('@') {
            return Err(format!(
                "{url:?}: an override must point at 127.0.0.1, ::1 or localhost"
            ));
        }
        Ok(Override {
            host,
            base: url.trim_end_matches('/').to_string(),
        })
    }
}

/// The hosts the rules' verification specs send requests to.
pub fn hosts(rules: &RuleSet) -> BTreeSet<String> {
    rules
        .rules()
        .iter()
        .filter_map(|r| r.spec.verify.as_ref())
        .filter_map(|v| v.target_host())
        .map(str::to_ascii_lowercase)
        .collect()
}

/// Refuse an override for a host no rule sends requests to.
pub fn check_overrides(overrides: &[Override], rules: &RuleSet) -> Result<(), String> {
    let known = hosts(rules);
    match overrides.iter().find(|o| !known.contains(&o.host)) {
        Some(o) => Err(format!(
            "{}: no rule verifies secrets at this host (`keyscan rules --format json` lists the rules)",
            o.host
        )),
        None => Ok(()),
    }
}

/// How far verification has got, for a progress line.
#[derive(Debug, Default)]
pub struct Counters {
    /// Distinct secrets to check.
    pub total: AtomicUsize,
    /// Distinct secrets checked.
    pub done: AtomicUsize,
}

/// A secret as the templates see it: its value and its parts by name.
#[derive(Debug, Clone)]
pub struct Secret {
    /// The secret (the credential, for one of several parts).
    pub value: String,
    /// Each part's value by name (`id`, `secret`...).
    pub parts: BTreeMap<String, String>,
}

impl Secret {
    /// The secret of a finding.
    pub fn of(f: &Finding) -> Secret {
        Secret {
            value: f.secret.clone(),
            parts: f
                .parts
                .iter()
                .map(|p| (p.name.clone(), p.value.clone()))
                .collect(),
        }
    }

    /// A named part (`secret` is the secret itself when it has no parts).
    pub fn part(&self, name: &str) -> Option<&str> {
        match self.parts.get(name) {
            Some(v) => Some(v),
            None if name == "secret" && self.parts.is_empty() => Some(&self.value),
            None => None,
        }
    }

    /// Fill in a template's `{name}`s.
    pub fn fill(&self, template: &str) -> Result<String, String> {
        let mut out = String::with_capacity(template.len() + self.value.len());
        for piece in pieces(template) {
            match piece {
                Piece::Text(t) => out.push_str(t),
                Piece::Name(name) => out.push_str(
                    self.part(name)
                        .ok_or_else(|| format!("the finding has no `{name}` part to check"))?,
                ),
            }
        }
        Ok(out)
    }

    /// Replace the secret and its parts in `text` (a provider's message may
    /// echo what it was sent).
    pub fn mask(&self, text: &str) -> String {
        let mut out = text.to_string();
        for v in std::iter::once(&self.value).chain(self.parts.values()) {
            if v.len() >= 4 {
                out = out.replace(v.as_str(), "[secret]");
            }
        }
        out
    }
}

/// What a verifier found, before it is stamped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// Live, invalid or unknown.
    pub status: VerifyStatus,
    /// Why.
    pub detail: String,
    /// Who the secret belongs to.
    pub identity: BTreeMap<String, String>,
}

impl Verdict {
    /// A verdict without identity.
    pub fn new(status: VerifyStatus, detail: impl Into<String>) -> Verdict {
        Verdict {
            status,
            detail: detail.into(),
            identity: BTreeMap::new(),
        }
    }

    /// `unknown`, because `detail`.
    pub fn unknown(detail: impl Into<String>) -> Verdict {
        Verdict::new(VerifyStatus::Unknown, detail)
    }

    fn stamped(self, secret: &Secret) -> Verification {
        Verification {
            status: self.status,
            detail: secret.mask(&self.detail),
            identity: self
                .identity
                .into_iter()
                .map(|(k, v)| (k, secret.mask(&v)))
                .collect(),
            checked_at: now(),
        }
    }
}

fn now() -> String {
    format!("{}Z", crate::text::utc_timestamp(SystemTime::now()))
}

/// Ask one secret's provider, with the verifier its spec names.
pub fn check(client: &http::Client, spec: &VerifySpec, secret: &Secret) -> Verdict {
    match spec.kind {
        VerifyKind::Http => http::check(client, spec, secret),
        VerifyKind::AwsSts => aws::check(client, spec, secret),
        VerifyKind::GcpServiceAccount => gcp::check(client, spec, secret),
    }
}

/// Verify every finding: each distinct secret once, `opts.jobs` at a time.
/// A finding whose rule has no spec is `unknown` and makes no request.
pub fn verify(findings: &mut [Finding], rules: &RuleSet, opts: &Options, counters: &Counters) {
    struct Job<'a> {
        spec: &'a VerifySpec,
        secret: Secret,
    }
    let mut index: HashMap<(String, Vec<String>), usize> = HashMap::new();
    let mut jobs: Vec<Job> = Vec::new();
    let mut job_of: Vec<Option<usize>> = Vec::with_capacity(findings.len());
    for f in findings.iter_mut() {
        let spec = rules.get(&f.rule_id).and_then(|r| r.spec.verify.as_ref());
        let Some(spec) = spec else {
            f.verification =
                Some(Verdict::unknown("no verifier for this rule").stamped(&Secret::of(f)));
            job_of.push(None);
            continue;
        };
        let secret = Secret::of(f);
        let mut values = vec![secret.value.clone()];
        values.extend(secret.parts.values().cloned());
        let next = jobs.len();
        let i = *index.entry((f.provider.clone(), values)).or_insert(next);
        if i == next {
            jobs.push(Job { spec, secret });
        }
        job_of.push(Some(i));
    }
    counters.total.store(jobs.len(), Ordering::Relaxed);
    if jobs.is_empty() {
        return;
    }
    // Take the hosts in turn (the first secret of each host, then the
    // second...), so that workers do not wait on one host's spacing while
    // other hosts have work.
    let mut per_host: HashMap<&str, usize> = HashMap::new();
    let mut order: Vec<(usize, usize)> = jobs
        .iter()
        .enumerate()
        .map(|(i, j)| {
            let rank = per_host
                .entry(j.spec.target_host().unwrap_or(""))
                .or_default();
            *rank += 1;
            (*rank, i)
        })
        .collect();
    order.sort_unstable();
    let client = http::Client::new(opts);
    let results: Vec<Mutex<Option<Verification>>> = jobs.iter().map(|_| Mutex::new(None)).collect();
    let next = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..opts.jobs.clamp(1, jobs.len()) {
            s.spawn(|| {
                while let Some(&(_, i)) = order.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let job = &jobs[i];
                    let v = check(&client, job.spec, &job.secret).stamped(&job.secret);
                    *results[i].lock().unwrap_or_else(|e| e.into_inner()) = Some(v);
                    counters.done.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
    });
    let results: Vec<Option<Verification>> = results
        .into_iter()
        .map(|m| m.into_inner().unwrap_or_else(|e| e.into_inner()))
        .collect();
    for (f, job) in findings.iter_mut().zip(job_of) {
        if let Some(i) = job {
            f.verification = results[i].clone();
        }
    }
}

/// Keep only the findings whose secret is live (`--only-live`).
pub fn keep_live(findings: &mut Vec<Finding>) {
    findings.retain(|f| f.verification.as_ref().is_some_and(Verification::is_live));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_are_loopback_only() {
        let o: Override = "api.openai.com=http://127.0.0.1:8080/x/".parse().unwrap();
        assert_eq!(o.host, "api.openai.com");
        assert_eq!(o.base, "http://127.0.0.1:8080/x");
        assert!("a.com=http://[::1]:1".parse::<Override>().is_ok());
        assert!("a.com=https://localhost".parse::<Override>().is_ok());
        for bad in [
            "a.com",
            "a.com=http://10.0.0.1/",
            "a.com=http://127.0.0.1.evil.com/",
            "a.com=ftp://127.0.0.1/",
            "a.com=http://u@127.0.0.1/",
            "=http://127.0.0.1/",
        ] {
            assert!(bad.parse::<Override>().is_err(), "{bad}");
        }
    }

    #[test]
    fn templates_take_parts_and_mask() {
        let s = Secret {
            value: "s3cr3tvalue".into(),
            parts: [("id".to_string(), "AKIDX".to_string())].into(),
        };
        assert_eq!(
            s.fill("{id}:{secret}").unwrap_err(),
            "the finding has no `secret` part to check"
        );
        let one = Secret {
            value: "s3cr3tvalue".into(),
            parts: BTreeMap::new(),
        };
        assert_eq!(one.fill("Bearer {secret}").unwrap(), "Bearer s3cr3tvalue");
        assert_eq!(one.mask("bad key s3cr3tvalue"), "bad key [secret]");
    }
}
