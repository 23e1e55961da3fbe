//! Reports of many repositories: the findings of each repository as a
//! record (a line of a checkpoint), the fan-in of shards' reports
//! (`keyscan merge`), and the rendering of the result in every format.
//!
//! A `--repos` run and `keyscan merge` produce their report through the
//! same [`Merged`] value, so a run of one process and the merge of its
//! shards give the same document. The JSON document is the scan report
//! (`version`, `findings`, `stats`) plus:
//! - on each finding, `repository` and `secret_fingerprint` (a hash of the
//!   rule and the secret's value only, so that one secret is recognised
//!   across paths and repositories);
//! - `secrets`: one entry per secret with all its locations;
//! - `repositories`: each repository's status (`scanned` or `failed`, with
//!   the reason), findings and counters;
//! - `counts`: findings per repository and per rule.
//!
//! Everything is sorted on content, never on input order or timing, so the
//! same reports merged in any order give byte-identical output.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Write};

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::json::{JsonFinding, JSON_VERSION};
use super::{Format, Report, Summary};
use crate::finding::{CommitInfo, Finding, Part, Place, Remark, Verification, VerifyStatus};
use crate::rules::{Confidence, RuleSet, Severity};

/// How a repository's scan went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// It could not be cloned, updated or read: its findings are unknown.
    Failed,
    /// Scanned (some files may have been unreadable: see its stats).
    Scanned,
}

/// A JSON value kept as compact text: a repository's counters take a few
/// hundred bytes this way, against tens of kilobytes as a [`Value`] tree,
/// so that a report of thousands of repositories stays small in memory.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Compact(String);

impl Compact {
    /// Keep `v` as text.
    pub fn new(v: &Value) -> Compact {
        Compact(v.to_string())
    }

    /// The value again.
    pub fn value(&self) -> Value {
        serde_json::from_str(&self.0).unwrap_or(Value::Null)
    }
}

impl Serialize for Compact {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.value().serialize(s)
    }
}

impl<'de> Deserialize<'de> for Compact {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Compact, D::Error> {
        Value::deserialize(d).map(|v| Compact::new(&v))
    }
}

/// One repository's outcome: a line of a checkpoint, and the unit a merge
/// reads from any report.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RepoRecord {
    /// The repository's name.
    pub repository: String,
    /// Scanned or failed.
    pub status: Status,
    /// Why it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Its scan's counters (the `stats` object of a scan report).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stats: Option<Compact>,
    /// Its findings, as in the JSON report.
    #[serde(default)]
    pub findings: Vec<Value>,
}

/// The fingerprint of a secret wherever it is: its rule and value (the
/// values of a secret of several parts), not its path.
pub fn secret_fingerprint(f: &Finding) -> String {
    if f.parts.len() > 1 {
        let values: Vec<&str> = f.parts.iter().map(|p| p.value.as_str()).collect();
        crate::finding::fingerprint(&f.rule_id, "\0secret", values.join("\0").as_bytes())
    } else {
        crate::finding::fingerprint(&f.rule_id, "\0secret", f.secret.as_bytes())
    }
}

/// The record of a scanned repository: its findings as JSON (as `report`
/// shows them), each tagged with the repository and its secret
/// fingerprint, and its counters (without wall time, which would make
/// reports differ run to run).
pub fn scanned_record(report: &Report<'_>, repository: &str) -> RepoRecord {
    let findings = report
        .findings
        .iter()
        .map(|f| {
            let mut v = serde_json::to_value(JsonFinding::new(report, f)).unwrap_or(Value::Null);
            if let Value::Object(o) = &mut v {
                o.insert("repository".into(), repository.into());
                o.insert("secret_fingerprint".into(), secret_fingerprint(f).into());
            }
            v
        })
        .collect();
    let mut stats = serde_json::to_value(report.summary).unwrap_or(Value::Null);
    if let Value::Object(o) = &mut stats {
        o.insert("elapsed_ms".into(), 0.into());
    }
    RepoRecord {
        repository: repository.to_string(),
        status: Status::Scanned,
        reason: None,
        stats: Some(Compact::new(&stats)),
        findings,
    }
}

/// The record of a repository that could not be scanned.
pub fn failed_record(repository: &str, reason: &str) -> RepoRecord {
    RepoRecord {
        repository: repository.to_string(),
        status: Status::Failed,
        reason: Some(reason.to_string()),
        stats: None,
        findings: Vec::new(),
    }
}

/// Largest report `keyscan merge` reads.
pub const MAX_REPORT_BYTES: u64 = 4 << 30;

/// A report could not be read.
#[derive(Debug, thiserror::Error)]
#[error("{name}: {reason}")]
pub struct ReadError {
    /// The report.
    pub name: String,
    /// What is wrong.
    pub reason: String,
}

/// Findings and repositories gathered from records and reports.
#[derive(Debug, Default)]
pub struct Merged {
    repos: BTreeMap<String, RepoRecord>,
    /// Findings of reports that carry no repository records (JSONL).
    loose: Vec<Value>,
    /// Findings dropped by a baseline.
    baselined: u64,
}

/// A JSON report as read: its findings, and its repositories' entries
/// (their finding counts are computed again from the findings).
#[derive(Deserialize)]
struct DocumentIn {
    findings: Vec<Value>,
    #[serde(default)]
    repositories: Option<Vec<RepoIn>>,
}

/// A repository's entry in a JSON report.
#[derive(Deserialize)]
struct RepoIn {
    repository: String,
    status: Status,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    stats: Option<Compact>,
}

/// Fields a finding must have.
const REQUIRED: [&str; 6] = [
    "rule_id",
    "path",
    "line",
    "column",
    "fingerprint",
    "severity",
];

fn check_finding(v: &Value) -> Result<(), String> {
    let Some(o) = v.as_object() else {
        return Err("a finding is not a JSON object".into());
    };
    for k in REQUIRED {
        if !o.contains_key(k) {
            return Err(format!("a finding has no {k:?}: not a keyscan report"));
        }
    }
    if !o.get("repository").is_some_and(Value::is_string) {
        return Err("a finding has no \"repository\": not a report of keyscan --repos".into());
    }
    Ok(())
}

impl Merged {
    /// Add one repository's record. A repository seen twice (a retried
    /// shard) keeps the union of its findings and its best status.
    pub fn add(&mut self, record: RepoRecord) {
        match self.repos.get_mut(&record.repository) {
            None => {
                self.repos.insert(record.repository.clone(), record);
            }
            Some(old) => {
                let rank = |r: &RepoRecord| (r.status, r.stats.clone(), r.reason.clone());
                let mut findings = std::mem::take(&mut old.findings);
                findings.extend(record.findings.iter().cloned());
                if rank(&record) > rank(old) {
                    *old = record;
                }
                old.findings = findings;
            }
        }
    }

    /// Read a report: the JSON document of a `--repos` run or a merge, its
    /// JSON Lines form (one finding a line), or a checkpoint (one
    /// repository record a line).
    pub fn read(&mut self, name: &str, bytes: &[u8]) -> Result<(), ReadError> {
        let err = |reason: String| ReadError {
            name: name.to_string(),
            reason,
        };
        let text = std::str::from_utf8(bytes).map_err(|_| err("not UTF-8 text".into()))?;
        // A document is read into its parts (each repository's counters
        // kept as text), not into one tree of values.
        match serde_json::from_str::<DocumentIn>(text) {
            Ok(doc) => return self.read_document(doc).map_err(err),
            Err(e) => {
                if let Ok(Value::Object(doc)) = serde_json::from_str::<Value>(text) {
                    if doc.contains_key("findings") {
                        return Err(err(format!("not a keyscan report: {e}")));
                    }
                }
            }
        }
        let mut any = false;
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let v: Value = serde_json::from_str(line)
                .map_err(|e| err(format!("line {}: not JSON: {e}", i + 1)))?;
            if v.get("status").is_some() && v.get("findings").is_some() {
                let r: RepoRecord =
                    serde_json::from_value(v).map_err(|e| err(format!("line {}: {e}", i + 1)))?;
                r.findings
                    .iter()
                    .try_for_each(check_finding)
                    .map_err(|e| err(format!("line {}: {e}", i + 1)))?;
                self.add(r);
            } else {
                check_finding(&v).map_err(|e| err(format!("line {}: {e}", i + 1)))?;
                self.loose.push(v);
            }
            any = true;
        }
        if !any && !text.trim().is_empty() {
            return Err(err("not a keyscan report".into()));
        }
        Ok(())
    }

    fn read_document(&mut self, doc: DocumentIn) -> Result<(), String> {
        doc.findings.iter().try_for_each(check_finding)?;
        let Some(repos) = doc.repositories else {
            self.loose.extend(doc.findings);
            return Ok(());
        };
        let mut records: BTreeMap<String, RepoRecord> = repos
            .into_iter()
            .map(|r| {
                let record = RepoRecord {
                    repository: r.repository,
                    status: r.status,
                    reason: r.reason,
                    stats: r.stats,
                    findings: Vec::new(),
                };
                (record.repository.clone(), record)
            })
            .collect();
        for f in doc.findings {
            let name = f["repository"].as_str().unwrap_or_default();
            match records.get_mut(name) {
                Some(r) => r.findings.push(f),
                None => self.loose.push(f),
            }
        }
        records.into_values().for_each(|r| self.add(r));
        Ok(())
    }

    /// Keep only the findings `baseline` does not hold.
    pub fn apply_baseline(&mut self, baseline: &Known) {
        let mut dropped = 0;
        let mut keep = |f: &Value| {
            let known = baseline.holds(f);
            dropped += u64::from(known);
            !known
        };
        for r in self.repos.values_mut() {
            r.findings.retain(&mut keep);
        }
        self.loose.retain(&mut keep);
        self.baselined += dropped;
    }

    /// The merged report: findings deduplicated and sorted, grouped by
    /// secret, with counts.
    pub fn finish(mut self) -> Document {
        let mut findings: Vec<Value> = std::mem::take(&mut self.loose);
        let mut repos: BTreeMap<String, RepoRecord> = BTreeMap::new();
        for (name, mut r) in self.repos {
            findings.append(&mut r.findings);
            repos.insert(name, r);
        }
        for f in &findings {
            let name = f["repository"].as_str().unwrap_or_default();
            repos.entry(name.to_string()).or_insert_with(|| RepoRecord {
                repository: name.to_string(),
                status: Status::Scanned,
                reason: None,
                stats: None,
                findings: Vec::new(),
            });
        }
        let mut keyed: Vec<(SortKey, String, Value)> = findings
            .into_iter()
            .map(|f| (sort_key(&f), f.to_string(), f))
            .collect();
        keyed.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
        keyed.dedup_by(|a, b| a.0 == b.0);
        let findings: Vec<Value> = keyed.into_iter().map(|(_, _, f)| f).collect();
        Document {
            findings,
            repos,
            baselined: self.baselined,
        }
    }
}

/// Whether a baseline file holds a fingerprint.
type HoldsFingerprint = Box<dyn Fn(&str) -> bool>;

/// What a baseline of a merge holds: the findings of an earlier report
/// (by repository and fingerprint), or fingerprints in any repository (a
/// baseline file).
pub struct Known {
    located: BTreeSet<(String, String)>,
    anywhere: Option<HoldsFingerprint>,
}

impl Known {
    /// The findings of an earlier report.
    pub fn of_report(doc: &Document) -> Known {
        let located = doc
            .findings
            .iter()
            .map(|f| (str_of(f, "repository"), str_of(f, "fingerprint")))
            .collect();
        Known {
            located,
            anywhere: None,
        }
    }

    /// Fingerprints that `holds` recognises, in any repository.
    pub fn anywhere(holds: impl Fn(&str) -> bool + 'static) -> Known {
        Known {
            located: BTreeSet::new(),
            anywhere: Some(Box::new(holds)),
        }
    }

    fn holds(&self, f: &Value) -> bool {
        let fp = str_of(f, "fingerprint");
        if let Some(a) = &self.anywhere {
            return a(&fp);
        }
        self.located.contains(&(str_of(f, "repository"), fp))
    }
}

fn str_of(f: &Value, k: &str) -> String {
    f.get(k)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

fn num_of(f: &Value, k: &str) -> u64 {
    f.get(k).and_then(Value::as_u64).unwrap_or_default()
}

type SortKey = (String, String, u64, u64, String, String, u64, u64, String);

/// Findings in the order of a scan report, repository first; two findings
/// with the same key are the same finding.
fn sort_key(f: &Value) -> SortKey {
    (
        str_of(f, "repository"),
        str_of(f, "path"),
        num_of(f, "line"),
        num_of(f, "column"),
        str_of(f, "rule_id"),
        str_of(f, "commit"),
        num_of(f, "end_line"),
        num_of(f, "end_column"),
        str_of(f, "fingerprint"),
    )
}

/// A merged report, ready to render.
#[derive(Debug)]
pub struct Document {
    /// Findings, sorted and deduplicated.
    pub findings: Vec<Value>,
    repos: BTreeMap<String, RepoRecord>,
    baselined: u64,
}

/// Rendering options.
#[derive(Debug, Clone, Default)]
pub struct MergeOptions {
    /// SARIF: the category prefix; each repository's run is
    /// `{prefix}{repository}/`.
    pub sarif_category: String,
    /// SARIF: describe every rule.
    pub sarif_all_rules: bool,
}

impl Document {
    /// Repositories that could not be scanned, with their reasons.
    pub fn failed(&self) -> Vec<(&str, &str)> {
        self.repos
            .values()
            .filter(|r| r.status == Status::Failed)
            .map(|r| (r.repository.as_str(), r.reason.as_deref().unwrap_or("")))
            .collect()
    }

    /// Repositories in the report.
    pub fn repositories(&self) -> usize {
        self.repos.len()
    }

    /// Files or directories that could not be read, over every repository.
    pub fn unreadable(&self) -> u64 {
        self.repos
            .values()
            .filter_map(|r| r.stats.as_ref())
            .map(|s| num_of(&s.value(), "unreadable"))
            .sum()
    }

    /// The findings of each secret: (secret fingerprint, indexes into
    /// `findings`), most severe and most widespread first.
    fn secrets(&self) -> Vec<(String, Vec<usize>)> {
        let mut by: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for (i, f) in self.findings.iter().enumerate() {
            let mut k = str_of(f, "secret_fingerprint");
            if k.is_empty() {
                k = str_of(f, "fingerprint");
            }
            by.entry(k).or_default().push(i);
        }
        let mut out: Vec<(String, Vec<usize>)> = by.into_iter().collect();
        let sev = |f: &Value| severity_of(f);
        out.sort_by(|a, b| {
            let (fa, fb) = (&self.findings[a.1[0]], &self.findings[b.1[0]]);
            sev(fb)
                .cmp(&sev(fa))
                .then(b.1.len().cmp(&a.1.len()))
                .then(str_of(fa, "rule_id").cmp(&str_of(fb, "rule_id")))
                .then(a.0.cmp(&b.0))
        });
        out
    }

    /// The `stats` object: every repository's counters added up, with the
    /// findings counted again from the merged findings.
    fn stats(&self) -> Value {
        let mut total = serde_json::to_value(Summary::default()).unwrap_or(Value::Null);
        for s in self.repos.values().filter_map(|r| r.stats.as_ref()) {
            add_counts(&mut total, &s.value());
        }
        let mut by_severity = Map::new();
        for s in Severity::ALL {
            let n = self.findings.iter().filter(|f| severity_of(f) == s).count();
            by_severity.insert(s.as_str().into(), n.into());
        }
        let files: BTreeSet<(String, String)> = self
            .findings
            .iter()
            .map(|f| (str_of(f, "repository"), str_of(f, "path")))
            .collect();
        if let Value::Object(o) = &mut total {
            o.insert("findings".into(), self.findings.len().into());
            o.insert("by_severity".into(), Value::Object(by_severity));
            o.insert("files_with_findings".into(), files.len().into());
            o.insert("elapsed_ms".into(), 0.into());
            let suppressed = num_of(&Value::Object(o.clone()), "suppressed") + self.baselined;
            o.insert("suppressed".into(), suppressed.into());
        }
        total
    }

    /// Findings per repository (every repository, 0 for none) and per rule.
    fn counts(&self) -> (BTreeMap<&str, usize>, BTreeMap<String, usize>) {
        let mut per_repo: BTreeMap<&str, usize> =
            self.repos.keys().map(|k| (k.as_str(), 0)).collect();
        let mut per_rule: BTreeMap<String, usize> = BTreeMap::new();
        for f in &self.findings {
            *per_repo
                .entry(f["repository"].as_str().unwrap_or_default())
                .or_default() += 1;
            *per_rule.entry(str_of(f, "rule_id")).or_default() += 1;
        }
        (per_repo, per_rule)
    }

    /// The `secrets` entries.
    fn secrets_json(&self) -> Vec<Value> {
        self.secrets()
            .into_iter()
            .map(|(fp, idx)| {
                let first = &self.findings[idx[0]];
                let repos: BTreeSet<&str> = idx
                    .iter()
                    .map(|&i| self.findings[i]["repository"].as_str().unwrap_or_default())
                    .collect();
                let locations: Vec<Value> = idx
                    .iter()
                    .map(|&i| {
                        let f = &self.findings[i];
                        let mut l = json!({
                            "repository": f["repository"],
                            "path": f["path"],
                            "line": f["line"],
                            "column": f["column"],
                            "fingerprint": f["fingerprint"],
                        });
                        if let Some(c) = f.get("commit") {
                            l["commit"] = c.clone();
                        }
                        l
                    })
                    .collect();
                json!({
                    "secret_fingerprint": fp,
                    "rule_id": first["rule_id"],
                    "rule_name": first["rule_name"],
                    "severity": first["severity"],
                    "secret_redacted": first["secret_redacted"],
                    "repositories": repos,
                    "locations": locations,
                })
            })
            .collect()
    }

    /// The JSON document, written a part at a time: each repository's
    /// entry (with its counters) is built, written and dropped, so memory
    /// holds the findings, not every repository's counters as values.
    pub fn write_json(&self, out: &mut dyn Write) -> io::Result<()> {
        /// `v` pretty-printed, its lines indented by `indent` spaces
        /// (a JSON text has no raw newline inside a string).
        fn pretty(v: &impl Serialize, indent: &str) -> io::Result<String> {
            let text = serde_json::to_string_pretty(v)?;
            Ok(text.replace('\n', &format!("\n{indent}")))
        }
        let (per_repo, per_rule) = self.counts();
        writeln!(out, "{{")?;
        writeln!(out, "  \"version\": {JSON_VERSION},")?;
        writeln!(out, "  \"findings\": {},", pretty(&self.findings, "  ")?)?;
        writeln!(
            out,
            "  \"secrets\": {},",
            pretty(&self.secrets_json(), "  ")?
        )?;
        if self.repos.is_empty() {
            writeln!(out, "  \"repositories\": [],")?;
        } else {
            writeln!(out, "  \"repositories\": [")?;
            for (i, r) in self.repos.values().enumerate() {
                let mut o = Map::new();
                o.insert("repository".into(), r.repository.clone().into());
                o.insert("status".into(), json!(r.status));
                if let Some(why) = &r.reason {
                    o.insert("reason".into(), why.clone().into());
                }
                o.insert("findings".into(), per_repo[r.repository.as_str()].into());
                if let Some(s) = &r.stats {
                    o.insert("stats".into(), s.value());
                }
                let comma = if i + 1 < self.repos.len() { "," } else { "" };
                writeln!(out, "    {}{comma}", pretty(&Value::Object(o), "    ")?)?;
            }
            writeln!(out, "  ],")?;
        }
        let counts = json!({ "by_repository": per_repo, "by_rule": per_rule });
        writeln!(out, "  \"counts\": {},", pretty(&counts, "  ")?)?;
        writeln!(out, "  \"stats\": {}", pretty(&self.stats(), "  ")?)?;
        writeln!(out, "}}")
    }

    /// Render in `format`; returns notices for stderr (SARIF truncation).
    pub fn write(
        &self,
        format: Format,
        opts: &MergeOptions,
        out: &mut dyn Write,
    ) -> io::Result<Vec<String>> {
        match format {
            Format::Json => self.write_json(out)?,
            Format::Jsonl => {
                for f in &self.findings {
                    serde_json::to_writer(&mut *out, f)?;
                    writeln!(out)?;
                }
            }
            Format::Text => self.write_text(out)?,
            Format::Sarif => return self.write_sarif(opts, out),
            other => {
                // Any other format: the scan reporter over every finding,
                // each path prefixed with its repository.
                let rules = builtin_rules();
                let findings: Vec<Finding> =
                    self.findings.iter().map(|f| to_finding(f, true)).collect();
                let summary = summary_of(&findings);
                let report = redacted_report(&findings, &summary, &rules);
                return Ok(report.write(other, out)?.into_iter().collect());
            }
        }
        Ok(Vec::new())
    }

    /// SARIF: one run per scanned repository (those without findings too,
    /// so that code scanning closes their fixed alerts), each with its own
    /// category; failed repositories have none (an empty run would close
    /// alerts that are still open).
    fn write_sarif(&self, opts: &MergeOptions, out: &mut dyn Write) -> io::Result<Vec<String>> {
        let rules = builtin_rules();
        let mut runs = Vec::new();
        let mut notices = Vec::new();
        for r in self.repos.values().filter(|r| r.status == Status::Scanned) {
            let findings: Vec<Finding> = self
                .findings
                .iter()
                .filter(|f| f["repository"].as_str() == Some(r.repository.as_str()))
                .map(|f| to_finding(f, false))
                .collect();
            let summary = summary_of(&findings);
            let report = redacted_report(&findings, &summary, &rules);
            let sarif_opts = super::sarif::SarifOptions {
                all_rules: opts.sarif_all_rules,
                category: Some(format!("{}{}/", opts.sarif_category, r.repository)),
                ..Default::default()
            };
            let (bytes, notice) = super::sarif::render(&report, &sarif_opts);
            if let Some(n) = notice {
                notices.push(format!("{}: {n}", r.repository));
            }
            let mut log: Value = serde_json::from_slice(&bytes).map_err(io::Error::other)?;
            if let Some(Value::Object(run)) = log["runs"].get_mut(0).map(Value::take) {
                let mut run = run;
                if let Some(Value::Object(p)) = run.get_mut("properties") {
                    p.insert("repository".into(), r.repository.clone().into());
                }
                runs.push(Value::Object(run));
            }
        }
        let log = json!({
            "$schema": super::sarif::SCHEMA_URI,
            "version": "2.1.0",
            "runs": runs,
        });
        serde_json::to_writer_pretty(&mut *out, &log)?;
        writeln!(out)?;
        Ok(notices)
    }

    /// Text for people: each secret once, with every place it was found.
    fn write_text(&self, out: &mut dyn Write) -> io::Result<()> {
        use crate::text::printable;
        for (_, idx) in self.secrets() {
            let first = &self.findings[idx[0]];
            let repos: BTreeSet<&str> = idx
                .iter()
                .map(|&i| self.findings[i]["repository"].as_str().unwrap_or_default())
                .collect();
            let places = if idx.len() == 1 {
                "1 location".to_string()
            } else {
                format!(
                    "{} locations in {} repositor{}",
                    idx.len(),
                    repos.len(),
                    if repos.len() == 1 { "y" } else { "ies" }
                )
            };
            writeln!(
                out,
                "{:<8} {}  {}  ({places})",
                str_of(first, "severity"),
                printable(&str_of(first, "rule_id")),
                printable(&str_of(first, "secret_redacted")),
            )?;
            for &i in &idx {
                let f = &self.findings[i];
                let commit = f
                    .get("commit")
                    .and_then(Value::as_str)
                    .map(|c| format!("  commit {}", &c[..c.len().min(12)]))
                    .unwrap_or_default();
                writeln!(
                    out,
                    "    {}  {}:{}:{}{commit}",
                    printable(&str_of(f, "repository")),
                    printable(&str_of(f, "path")),
                    num_of(f, "line"),
                    num_of(f, "column"),
                )?;
            }
        }
        let failed = self.failed();
        for (name, why) in &failed {
            writeln!(out, "failed   {}: {}", printable(name), printable(why))?;
        }
        let secrets = self.secrets().len();
        writeln!(
            out,
            "{} finding{} of {} secret{} in {} repositor{} ({} failed)",
            self.findings.len(),
            if self.findings.len() == 1 { "" } else { "s" },
            secrets,
            if secrets == 1 { "" } else { "s" },
            self.repos.len(),
            if self.repos.len() == 1 { "y" } else { "ies" },
            failed.len(),
        )
    }
}

fn builtin_rules() -> RuleSet {
    RuleSet::builtin().unwrap_or_default()
}

fn severity_of(f: &Value) -> Severity {
    serde_json::from_value(f["severity"].clone()).unwrap_or(Severity::Low)
}

/// Add every number of `from` into `into`, recursively (objects of
/// counters), adding keys `into` lacks.
fn add_counts(into: &mut Value, from: &Value) {
    match (into, from) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in b {
                match a.get_mut(k) {
                    Some(slot) => add_counts(slot, v),
                    None => {
                        a.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (slot @ Value::Number(_), Value::Number(n)) => {
            let sum = slot
                .as_u64()
                .unwrap_or(0)
                .saturating_add(n.as_u64().unwrap_or(0));
            *slot = sum.into();
        }
        _ => {}
    }
}

/// A finding of a report as the scan reporters take it (the secret is the
/// redacted value: reports read back never hold secrets unless they were
/// written with `--show-secrets`). With `prefixed`, the path starts with
/// the repository.
fn to_finding(f: &Value, prefixed: bool) -> Finding {
    let s = |k: &str| str_of(f, k);
    let n = |k: &str| num_of(f, k) as usize;
    let path = if prefixed {
        format!("{}/{}", s("repository"), s("path"))
    } else {
        s("path")
    };
    let secret = f
        .get("secret")
        .and_then(Value::as_str)
        .map_or_else(|| s("secret_redacted"), str::to_string);
    let commit = f.get("commit").and_then(Value::as_str).map(|c| CommitInfo {
        commit: c.to_string(),
        author: s("author"),
        email: s("email"),
        date: s("date"),
        summary: s("summary"),
        in_head: f.get("in_head").and_then(Value::as_bool).unwrap_or(false),
        commits: n("commits"),
        tag: f.get("tag").and_then(Value::as_str).map(str::to_string),
    });
    let verification = f.get("verification").map(|v| Verification {
        status: match v["status"].as_str() {
            Some("live") => VerifyStatus::Live,
            Some("invalid") => VerifyStatus::Invalid,
            _ => VerifyStatus::Unknown,
        },
        detail: str_of(v, "detail"),
        identity: v
            .get("identity")
            .and_then(Value::as_object)
            .map(|o| {
                o.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                    .collect()
            })
            .unwrap_or_default(),
        checked_at: str_of(v, "checked_at"),
    });
    let parts = f
        .get("parts")
        .and_then(Value::as_array)
        .map(|ps| {
            ps.iter()
                .map(|p| Part {
                    name: str_of(p, "name"),
                    value: str_of(p, "secret_redacted"),
                    redacted: str_of(p, "secret_redacted"),
                    line: num_of(p, "line") as usize,
                    column: num_of(p, "column") as usize,
                    end_line: num_of(p, "end_line") as usize,
                    end_column: num_of(p, "end_column") as usize,
                })
                .collect()
        })
        .unwrap_or_default();
    let remarks = f
        .get("notes")
        .and_then(Value::as_array)
        .map(|ns| {
            ns.iter()
                .filter_map(Value::as_str)
                .map(|n| Remark::Check(n.to_string()))
                .collect()
        })
        .unwrap_or_default();
    Finding {
        rule_id: s("rule_id"),
        rule_name: s("rule_name"),
        provider: s("provider"),
        severity: severity_of(f),
        confidence: serde_json::from_value(f["confidence"].clone()).unwrap_or(Confidence::Low),
        place: Place::File,
        path,
        line: n("line"),
        column: n("column"),
        end_line: n("end_line"),
        end_column: n("end_column"),
        offset: 0,
        redacted: s("secret_redacted"),
        secret,
        fingerprint: s("fingerprint"),
        entropy: f.get("entropy").and_then(Value::as_f64).unwrap_or(0.0),
        format_check: f
            .get("format_check_detail")
            .and_then(Value::as_str)
            .map(str::to_string),
        parts,
        layers: Vec::new(),
        remarks,
        inline_allow: false,
        commit,
        verification,
        // A JSON report carries no source line: merged text reports show
        // places without it.
        excerpt: None,
    }
}

/// The summary of merged findings: nothing scanned or suppressed here.
fn summary_of(findings: &[Finding]) -> Summary {
    Summary::new(findings, Default::default(), 0, Default::default())
}

/// A report of merged findings as the scan's reporters render them:
/// redacted, without colour.
fn redacted_report<'a>(
    findings: &'a [Finding],
    summary: &'a Summary,
    rules: &'a RuleSet,
) -> Report<'a> {
    Report {
        findings,
        summary,
        rules,
        show_secrets: false,
        color: false,
        sarif: Default::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(repo: &str, path: &str, secret_fp: &str) -> Value {
        json!({
            "rule_id": "r", "rule_name": "R", "provider": "p", "severity": "high",
            "confidence": "high", "path": path, "line": 1, "column": 2, "end_line": 1,
            "end_column": 9, "secret_redacted": "ab…yz", "fingerprint": format!("{repo}{path}"),
            "entropy": 4.0, "format_check": "absent", "remediation": "",
            "repository": repo, "secret_fingerprint": secret_fp,
        })
    }

    fn record(repo: &str, findings: Vec<Value>) -> RepoRecord {
        RepoRecord {
            repository: repo.into(),
            status: Status::Scanned,
            reason: None,
            stats: None,
            findings,
        }
    }

    #[test]
    fn counters_add_up_recursively() {
        let mut a = json!({"x": 1, "o": {"y": 2}});
        add_counts(&mut a, &json!({"x": 2, "o": {"y": 3, "z": 1}, "s": "t"}));
        assert_eq!(a, json!({"x": 3, "o": {"y": 5, "z": 1}, "s": "t"}));
    }

    #[test]
    fn one_secret_in_two_repositories_is_one_entry() {
        let mut m = Merged::default();
        m.add(record("b", vec![finding("b", "x", "S")]));
        m.add(record(
            "a",
            vec![finding("a", "y", "S"), finding("a", "z", "T")],
        ));
        m.add(record("b", vec![finding("b", "x", "S")]));
        let mut bytes = Vec::new();
        m.finish().write_json(&mut bytes).unwrap();
        let doc: Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(doc["findings"].as_array().unwrap().len(), 3);
        assert_eq!(doc["secrets"][0]["secret_fingerprint"], "S");
        assert_eq!(doc["secrets"][0]["repositories"], json!(["a", "b"]));
        assert_eq!(doc["counts"]["by_repository"], json!({"a": 2, "b": 1}));
        assert_eq!(doc["counts"]["by_rule"], json!({"r": 3}));
    }
}
