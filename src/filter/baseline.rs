//! Baselines: accept the findings a team already knows about and fail only
//! on new ones.
//!
//! A baseline records findings by fingerprint (a hash of rule id, path and
//! secret), never the secrets themselves. Fingerprints do not depend on line
//! numbers, so a baseline survives lines moving and edits elsewhere in a
//! file; history scans use the same fingerprints, so a baseline written by a
//! history scan works for history scans. A keyscan JSON report
//! (`--format json`) is also accepted as a baseline.
//!
//! A baseline is read as a stream: each entry is checked and handed on as
//! it is parsed, so a scan keeps only a compact set of [`Fingerprints`]
//! (16 bytes an entry), never a tree of the whole file (a 1 GB baseline
//! took 9 GiB that way). `baseline --prune` keeps whole [`Entry`]s, which
//! it prints.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::io::{self, Read};
use std::marker::PhantomData;
use std::path::Path;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Unexpected, Visitor};
use serde::{Deserialize, Serialize};

use crate::finding::Finding;

/// Current baseline format version.
pub const BASELINE_VERSION: u32 = 1;

/// The largest baseline file keyscan reads (1 GiB: some 7 million entries).
pub const MAX_BASELINE_SIZE: u64 = 1 << 30;

/// One accepted finding.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Entry {
    /// The finding's fingerprint.
    pub fingerprint: String,
    /// Rule id (for people reading the file).
    pub rule_id: String,
    /// Path (for people reading the file).
    pub path: String,
    /// Line when recorded (informational; matching ignores it).
    pub line: usize,
    /// Commit that introduced it (history scans).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
}

/// A baseline file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    /// Format version.
    pub version: u32,
    /// Always `keyscan-baseline`.
    pub kind: String,
    /// Accepted findings.
    pub entries: Vec<Entry>,
}

/// The fields of a baseline file, as its unknown-field error lists them.
const BASELINE_FIELDS: &[&str] = &["version", "kind", "entries"];

/// A baseline that could not be read.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {message}")]
pub struct BaselineError {
    /// The file.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

/// A finding of a JSON report, as a baseline reads it (its other fields
/// are skipped).
#[derive(Deserialize)]
struct ReportFinding {
    fingerprint: String,
    rule_id: String,
    path: String,
    line: usize,
    #[serde(default)]
    commit: Option<String>,
}

impl From<ReportFinding> for Entry {
    fn from(f: ReportFinding) -> Entry {
        Entry {
            fingerprint: f.fingerprint,
            rule_id: f.rule_id,
            path: f.path,
            line: f.line,
            commit: f.commit,
        }
    }
}

/// The fingerprints of a baseline, compact: 16 bytes each, sorted. This
/// is all a scan needs of a baseline.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fingerprints {
    sorted: Vec<u128>,
}

/// A fingerprint as a number: 32 lower-case hex digits, as keyscan writes
/// them. An upper-case one is a valid baseline entry that matches no
/// finding (fingerprints were always compared as written).
fn fingerprint_bits(fp: &str) -> Option<u128> {
    if fp.len() == 32 && fp.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        u128::from_str_radix(fp, 16).ok()
    } else {
        None
    }
}

impl Fingerprints {
    /// Read a baseline (or a keyscan JSON report) from `reader`, keeping
    /// only its fingerprints; `name` is used in errors. Accepts and refuses
    /// exactly what [`Baseline::parse`] does.
    pub fn read(name: &str, reader: impl Read) -> Result<Fingerprints, BaselineError> {
        read_as::<Bits>(name, reader, |e| format!("cannot read: {e}")).map(Bits::finish)
    }

    /// Read a baseline file: a regular file of at most [`MAX_BASELINE_SIZE`]
    /// bytes (see [`crate::files::open_regular`]).
    pub fn load(path: &Path) -> Result<Fingerprints, BaselineError> {
        load_as::<Bits>(path).map(Bits::finish)
    }

    /// Whether the baseline holds `fingerprint`.
    pub fn contains(&self, fingerprint: &str) -> bool {
        fingerprint_bits(fingerprint).is_some_and(|b| self.sorted.binary_search(&b).is_ok())
    }

    /// Distinct fingerprints held.
    pub fn len(&self) -> usize {
        self.sorted.len()
    }

    /// Whether no fingerprint is held.
    pub fn is_empty(&self) -> bool {
        self.sorted.is_empty()
    }
}

impl<'a> FromIterator<&'a str> for Fingerprints {
    fn from_iter<I: IntoIterator<Item = &'a str>>(iter: I) -> Fingerprints {
        Bits(iter.into_iter().filter_map(fingerprint_bits).collect()).finish()
    }
}

/// What a read keeps of each entry it accepts.
trait Collect: Default {
    fn add(&mut self, entry: Entry);
}

impl Collect for Vec<Entry> {
    fn add(&mut self, entry: Entry) {
        self.push(entry);
    }
}

/// Fingerprints as they are read (unsorted).
#[derive(Default)]
struct Bits(Vec<u128>);

impl Bits {
    fn finish(mut self) -> Fingerprints {
        self.0.sort_unstable();
        self.0.dedup();
        self.0.shrink_to_fit();
        Fingerprints { sorted: self.0 }
    }
}

impl Collect for Bits {
    fn add(&mut self, entry: Entry) {
        if let Some(b) = fingerprint_bits(&entry.fingerprint) {
            self.0.push(b);
        }
    }
}

/// The form a file turns out to have.
#[derive(Clone, Copy)]
enum Form {
    /// `"kind": "keyscan-baseline"`, entries under `entries`.
    Baseline,
    /// A JSON report, entries under `findings`.
    Report,
}

/// One list of entries as read: `entries` or `findings`.
struct List<C> {
    items: C,
    /// The first entry whose fingerprint is malformed.
    bad_fingerprint: Option<String>,
    /// Why the value is not a list at all (an error only if the file turns
    /// out to be of this list's form).
    not_a_list: Option<String>,
}

impl<C: Default> Default for List<C> {
    fn default() -> Self {
        List {
            items: C::default(),
            bad_fingerprint: None,
            not_a_list: None,
        }
    }
}

/// What the top-level object held, as far as the two forms care.
struct Top<C> {
    /// Whether `kind` is the string `keyscan-baseline`.
    kind_is_baseline: bool,
    /// `version`: the number, or why it is not a `u32`.
    version: Option<Result<u32, String>>,
    entries: Option<List<C>>,
    findings: Option<List<C>>,
    /// Keys a baseline does not have, with their error.
    unknown: BTreeMap<String, String>,
    /// The list being read (to say which form an entry's error is about).
    reading: Option<Form>,
}

impl<C: Default> Default for Top<C> {
    fn default() -> Self {
        Top {
            kind_is_baseline: false,
            version: None,
            entries: None,
            findings: None,
            unknown: BTreeMap::new(),
            reading: None,
        }
    }
}

/// The message of a type error, as serde words it (`invalid type: null,
/// expected a sequence`).
fn invalid_type(unexpected: Unexpected<'_>, expected: &str) -> String {
    <serde_json::Error as de::Error>::invalid_type(unexpected, &expected).to_string()
}

/// The message of a value error (`invalid value: integer `-1`, expected u32`).
fn invalid_value(unexpected: Unexpected<'_>, expected: &str) -> String {
    <serde_json::Error as de::Error>::invalid_value(unexpected, &expected).to_string()
}

/// Skip the rest of a sequence.
fn drain_seq<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<(), A::Error> {
    while seq.next_element::<IgnoredAny>()?.is_some() {}
    Ok(())
}

/// Skip the rest of a map.
fn drain_map<'de, A: MapAccess<'de>>(mut map: A) -> Result<(), A::Error> {
    while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
    Ok(())
}

/// A value that is judged without being kept: each JSON type becomes an
/// answer (`T`), containers skipped. [`Scalar::judge`] decides.
trait Scalar: Sized {
    type Answer;
    fn judge(self, value: Unexpected<'_>) -> Self::Answer;
}

/// The visitor of a [`Scalar`].
struct Judge<S>(S);

impl<'de, S: Scalar> DeserializeSeed<'de> for Judge<S> {
    type Value = S::Answer;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<S::Answer, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, S: Scalar> Visitor<'de> for Judge<S> {
    type Value = S::Answer;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<S::Answer, E> {
        Ok(self.0.judge(Unexpected::Bool(v)))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<S::Answer, E> {
        Ok(self.0.judge(Unexpected::Signed(v)))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<S::Answer, E> {
        Ok(self.0.judge(Unexpected::Unsigned(v)))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<S::Answer, E> {
        Ok(self.0.judge(Unexpected::Float(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<S::Answer, E> {
        Ok(self.0.judge(Unexpected::Str(v)))
    }
    fn visit_unit<E: de::Error>(self) -> Result<S::Answer, E> {
        Ok(self.0.judge(Unexpected::Unit))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<S::Answer, A::Error> {
        drain_seq(seq)?;
        Ok(self.0.judge(Unexpected::Seq))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<S::Answer, A::Error> {
        drain_map(map)?;
        Ok(self.0.judge(Unexpected::Map))
    }
}

/// `kind`: whether it is the string `keyscan-baseline`.
struct Kind;

impl Scalar for Kind {
    type Answer = bool;
    fn judge(self, value: Unexpected<'_>) -> bool {
        value == Unexpected::Str("keyscan-baseline")
    }
}

/// `version`: a `u32`, or the error serde gives for it.
struct Version;

impl Scalar for Version {
    type Answer = Result<u32, String>;
    fn judge(self, value: Unexpected<'_>) -> Result<u32, String> {
        match value {
            Unexpected::Unsigned(n) => u32::try_from(n).map_err(|_| invalid_value(value, "u32")),
            Unexpected::Signed(_) => Err(invalid_value(value, "u32")),
            _ => Err(invalid_type(value, "u32")),
        }
    }
}

/// `entries` or `findings`: not a list (the answer is the error).
struct NotAList;

impl Scalar for NotAList {
    type Answer = String;
    fn judge(self, value: Unexpected<'_>) -> String {
        invalid_type(value, "a sequence")
    }
}

/// Reads a list of `T` (an [`Entry`] or a [`ReportFinding`]) into a
/// [`List`], one element at a time.
struct ListSeed<'a, C, T> {
    list: &'a mut List<C>,
    element: PhantomData<T>,
}

impl<'de, C: Collect, T: Deserialize<'de> + Into<Entry>> DeserializeSeed<'de>
    for ListSeed<'_, C, T>
{
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, C: Collect, T: Deserialize<'de> + Into<Entry>> Visitor<'de> for ListSeed<'_, C, T> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a sequence")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(item) = seq.next_element::<T>()? {
            let entry: Entry = item.into();
            if self.list.bad_fingerprint.is_none() && !is_fingerprint(&entry.fingerprint) {
                self.list.bad_fingerprint = Some(entry.fingerprint.clone());
            }
            self.list.items.add(entry);
        }
        Ok(())
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<(), E> {
        self.list.not_a_list = Some(NotAList.judge(Unexpected::Bool(v)));
        Ok(())
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<(), E> {
        self.list.not_a_list = Some(NotAList.judge(Unexpected::Signed(v)));
        Ok(())
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<(), E> {
        self.list.not_a_list = Some(NotAList.judge(Unexpected::Unsigned(v)));
        Ok(())
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<(), E> {
        self.list.not_a_list = Some(NotAList.judge(Unexpected::Float(v)));
        Ok(())
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        self.list.not_a_list = Some(NotAList.judge(Unexpected::Str(v)));
        Ok(())
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.list.not_a_list = Some(NotAList.judge(Unexpected::Unit));
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        drain_map(map)?;
        self.list.not_a_list = Some(NotAList.judge(Unexpected::Map));
        Ok(())
    }
}

/// Reads the top-level value into a [`Top`].
struct TopSeed<'a, C>(&'a mut Top<C>);

impl<'a, C: Collect> TopSeed<'a, C> {
    /// Read a list under `key`, replacing an earlier one (the last of
    /// repeated keys counts, as in a JSON object).
    fn list<'de, A: MapAccess<'de>, T: Deserialize<'de> + Into<Entry>>(
        &mut self,
        map: &mut A,
        form: Form,
    ) -> Result<List<C>, A::Error> {
        let mut list = List::default();
        self.0.reading = Some(form);
        map.next_value_seed(ListSeed::<C, T> {
            list: &mut list,
            element: PhantomData,
        })?;
        self.0.reading = None;
        Ok(list)
    }
}

impl<'de, C: Collect> Visitor<'de> for TopSeed<'_, C> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a keyscan baseline")
    }
    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "kind" => self.0.kind_is_baseline = map.next_value_seed(Judge(Kind))?,
                "version" => self.0.version = Some(map.next_value_seed(Judge(Version))?),
                "entries" => {
                    let list = self.list::<A, Entry>(&mut map, Form::Baseline)?;
                    self.0.entries = Some(list);
                }
                "findings" => {
                    let list = self.list::<A, ReportFinding>(&mut map, Form::Report)?;
                    self.0.findings = Some(list);
                    self.unknown_to_a_baseline(key);
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                    self.unknown_to_a_baseline(key);
                }
            }
        }
        Ok(())
    }
    // Anything but an object is neither form.
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        drain_seq(seq)
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
}

impl<C> TopSeed<'_, C> {
    fn unknown_to_a_baseline(&mut self, key: String) {
        let message = <serde_json::Error as de::Error>::unknown_field(&key, BASELINE_FIELDS);
        self.0.unknown.insert(key, message.to_string());
    }
}

/// Why a read failed: the input could not be read, or it is not a baseline.
enum Failure {
    Io(io::Error),
    Invalid(String),
}

/// Parse a baseline or a report from `reader` as a stream, keeping what
/// `C` keeps of each entry. Errors are those the parser of the whole text
/// gave (serde's messages, which now also say where in the text).
fn parse_stream<C: Collect>(reader: impl Read) -> Result<C, Failure> {
    let mut top = Top::<C>::default();
    let mut de =
        serde_json::Deserializer::from_reader(io::BufReader::with_capacity(1 << 16, reader));
    let parsed =
        de::Deserializer::deserialize_any(&mut de, TopSeed(&mut top)).and_then(|()| de.end());
    if let Err(e) = parsed {
        return Err(match e.classify() {
            serde_json::error::Category::Io => Failure::Io(e.into()),
            serde_json::error::Category::Data => Failure::Invalid(match top.reading {
                Some(Form::Report) => format!("not a keyscan JSON report: {e}"),
                _ => format!("not a keyscan baseline: {e}"),
            }),
            _ => Failure::Invalid(format!("not a keyscan baseline: invalid JSON: {e}")),
        });
    }
    if top.kind_is_baseline {
        let not = |m: &str| Failure::Invalid(format!("not a keyscan baseline: {m}"));
        // Errors in the order the typed parser met them: by key (a JSON
        // object's keys are read in sorted order), then missing fields.
        let mut errors = top.unknown;
        if let Some(Err(e)) = &top.version {
            errors.insert("version".into(), e.clone());
        }
        if let Some(e) = top.entries.as_ref().and_then(|l| l.not_a_list.clone()) {
            errors.insert("entries".into(), e);
        }
        if let Some((_, e)) = errors.into_iter().next() {
            return Err(not(&e));
        }
        let Some(Ok(version)) = top.version else {
            return Err(not("missing field `version`"));
        };
        let Some(entries) = top.entries else {
            return Err(not("missing field `entries`"));
        };
        if version != BASELINE_VERSION {
            return Err(Failure::Invalid(format!(
                "unsupported baseline version {version}"
            )));
        }
        return finish_list(entries);
    }
    if let Some(findings) = top.findings {
        if let Some(e) = findings.not_a_list {
            return Err(Failure::Invalid(format!("not a keyscan JSON report: {e}")));
        }
        // Checked as for a baseline, so that `baseline --prune REPORT`
        // never writes a file that keyscan then refuses to read.
        return finish_list(findings);
    }
    Err(Failure::Invalid(
        "not a keyscan baseline (expected \"kind\": \"keyscan-baseline\" or a JSON report)".into(),
    ))
}

fn finish_list<C>(list: List<C>) -> Result<C, Failure> {
    match list.bad_fingerprint {
        Some(fp) => Err(Failure::Invalid(format!("invalid fingerprint {fp:?}"))),
        None => Ok(list.items),
    }
}

/// [`parse_stream`] with errors that name the input; `io` words an I/O error.
fn read_as<C: Collect>(
    name: &str,
    reader: impl Read,
    io: impl FnOnce(io::Error) -> String,
) -> Result<C, BaselineError> {
    parse_stream(reader).map_err(|f| BaselineError {
        path: name.to_string(),
        message: match f {
            Failure::Io(e) => io(e),
            Failure::Invalid(m) => m,
        },
    })
}

/// Read the baseline file at `path`: a regular file, within the size limit.
fn load_as<C: Collect>(path: &Path) -> Result<C, BaselineError> {
    let name = path.display().to_string();
    let mut file =
        crate::files::open_regular(path, MAX_BASELINE_SIZE, "a baseline").map_err(|e| {
            BaselineError {
                path: name.clone(),
                message: format!("cannot read: {e}"),
            }
        })?;
    parse_stream::<C>(&mut file).map_err(|f| BaselineError {
        path: name,
        message: match f {
            // Past the limit is a size error, not the reader's.
            Failure::Io(e) => format!("cannot read: {}", file.error(e)),
            Failure::Invalid(m) => m,
        },
    })
}

impl Baseline {
    /// A baseline of `findings`.
    pub fn from_findings(findings: &[Finding]) -> Baseline {
        let mut entries: Vec<Entry> = findings
            .iter()
            .map(|f| Entry {
                fingerprint: f.fingerprint.clone(),
                rule_id: f.rule_id.clone(),
                path: f.path.clone(),
                line: f.line,
                commit: f.commit.as_ref().map(|c| c.commit.clone()),
            })
            .collect();
        entries.sort();
        entries.dedup_by(|a, b| a.fingerprint == b.fingerprint);
        Baseline {
            version: BASELINE_VERSION,
            kind: "keyscan-baseline".into(),
            entries,
        }
    }

    /// A baseline of `entries`.
    fn of(entries: Vec<Entry>) -> Baseline {
        Baseline {
            version: BASELINE_VERSION,
            kind: "keyscan-baseline".into(),
            entries,
        }
    }

    /// Parse a baseline (or a keyscan JSON report) from text.
    pub fn parse(name: &str, text: &str) -> Result<Baseline, BaselineError> {
        read_as(name, text.as_bytes(), |e| format!("cannot read: {e}")).map(Baseline::of)
    }

    /// Read a baseline (or a keyscan JSON report) from `reader`, as a
    /// stream; `name` is used in errors.
    pub fn read(name: &str, reader: impl Read) -> Result<Baseline, BaselineError> {
        read_as(name, reader, |e| format!("cannot read: {e}")).map(Baseline::of)
    }

    /// Read a baseline file: a regular file of at most
    /// [`MAX_BASELINE_SIZE`] bytes, read as a stream.
    pub fn load(path: &Path) -> Result<Baseline, BaselineError> {
        load_as(path).map(Baseline::of)
    }

    /// The set of fingerprints.
    pub fn fingerprints(&self) -> BTreeSet<&str> {
        self.entries
            .iter()
            .map(|e| e.fingerprint.as_str())
            .collect()
    }

    /// The fingerprints, compact (what a scan's filter needs).
    pub fn fingerprint_set(&self) -> Fingerprints {
        self.entries
            .iter()
            .map(|e| e.fingerprint.as_str())
            .collect()
    }

    /// Remove the findings the baseline accepts; returns how many.
    pub fn filter(&self, findings: &mut Vec<Finding>) -> u64 {
        let set = self.fingerprints();
        let before = findings.len();
        findings.retain(|f| !set.contains(f.fingerprint.as_str()));
        (before - findings.len()) as u64
    }

    /// Entries that match none of `findings` (stale), and the baseline without them.
    pub fn prune(&self, findings: &[Finding]) -> (Vec<Entry>, Baseline) {
        let live: BTreeSet<&str> = findings.iter().map(|f| f.fingerprint.as_str()).collect();
        let (kept, stale): (Vec<Entry>, Vec<Entry>) = self
            .entries
            .iter()
            .cloned()
            .partition(|e| live.contains(e.fingerprint.as_str()));
        (stale, Baseline::of(kept))
    }

    /// Serialise as pretty JSON with a trailing newline.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }
}

fn is_fingerprint(s: &str) -> bool {
    s.len() == 32 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_a_clear_error() {
        let e = Baseline::parse("b.json", "not json")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("b.json: not a keyscan baseline: invalid JSON"),
            "{e}"
        );
        let e = Baseline::parse("b.json", "{\"a\": 1}")
            .unwrap_err()
            .to_string();
        assert!(e.contains("not a keyscan baseline"), "{e}");
        let e = Baseline::parse(
            "b.json",
            r#"{"version":1,"kind":"keyscan-baseline","entries":[{"fingerprint":"zz","rule_id":"r","path":"p","line":1}]}"#,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("invalid fingerprint"), "{e}");
    }

    #[test]
    fn round_trip() {
        let b = Baseline {
            version: 1,
            kind: "keyscan-baseline".into(),
            entries: vec![Entry {
                fingerprint: "0123456789abcdef0123456789abcdef".into(),
                rule_id: "r".into(),
                path: "p".into(),
                line: 3,
                commit: None,
            }],
        };
        assert_eq!(Baseline::parse("x", &b.to_json()).unwrap(), b);
    }
}
