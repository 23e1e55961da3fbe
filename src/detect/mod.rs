//! The detector: runs the rules over one blob of bytes.
//!
//! Flow per blob: the prefilter reports keyword hits; hits of one keyword
//! close enough for their windows to meet join into a run; each run opens a
//! window around itself for the rules that own the keyword; overlapping
//! windows of a rule are merged; the rule's regex runs in each window only.
//! Candidates then pass the entropy floor, the shared placeholder test and
//! the rule's structural check. A blob without keywords never reaches a regex.
//!
//! The detector knows nothing of paths, files or output: it returns byte
//! spans ([`Match`]) that the caller turns into findings.

pub mod examples;

use memchr::{memchr, memrchr};
use regex::bytes::CaptureLocations;

use crate::entropy;
use crate::prefilter::Prefilter;
use crate::rules::RuleSet;

pub use crate::prefilter::BuildError;

/// How far a window may stretch beyond its byte budget to reach a line end.
const LINE_SNAP: usize = 160;

/// A secret one rule found in a blob.
#[derive(Debug, Clone, PartialEq)]
pub struct Match {
    /// Index of the rule in the detector's rule set.
    pub rule: usize,
    /// Byte span of the secret: of all its parts when it has several.
    pub start: usize,
    /// End of the secret span (exclusive).
    pub end: usize,
    /// Shannon entropy of the secret (of the credential, for parts).
    pub entropy: f64,
    /// Whether the rule's format check (a checksum, a marker) passed.
    pub format_valid: bool,
    /// Length of the recognisable prefix of the secret (for redaction).
    pub prefix_len: usize,
    /// The values of a secret that holds several (a key id and its secret,
    /// a URL's user and password), in order, the credential last; empty
    /// for a secret of one value.
    pub parts: Vec<Part>,
    /// What the rule's check said of this match (a JWT's issuer and
    /// expiry), and the severity it gives it when not the rule's.
    pub verdict: crate::rules::checks::Verdict,
}

/// One value of a multi-value secret, in the blob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// Its name (`id`, `secret`, `user`, `password`).
    pub name: &'static str,
    /// Byte span in the blob.
    pub start: usize,
    /// End of the span (exclusive).
    pub end: usize,
    /// Length of its recognisable prefix (for redaction).
    pub prefix_len: usize,
}

impl Match {
    /// The span of the credential itself: the last part's, or the whole
    /// secret's.
    pub fn secret_span(&self) -> (usize, usize) {
        self.parts
            .last()
            .map_or((self.start, self.end), |p| (p.start, p.end))
    }
}

/// Per-thread reusable state, so that scanning allocates nothing per blob
/// in the common case. Its caches are indexed by rule: use one `Scratch`
/// with one [`Detector`] only.
#[derive(Debug, Default)]
pub struct Scratch {
    /// Per rule, the windows its regex searches.
    windows: Vec<Vec<(usize, usize)>>,
    /// Rules with at least one window.
    touched: Vec<u32>,
    /// Per keyword, the span from its first to its last occurrence in a
    /// run of occurrences close enough that their windows meet (`NONE`
    /// when it has none open): one slot to touch per hit in text dense
    /// with keywords.
    runs: Vec<(usize, usize)>,
    /// Keywords with an open run.
    run_keywords: Vec<u32>,
    locs: Vec<Option<CaptureLocations>>,
    /// Per rule: the cache of its run gate's reverse automaton.
    run_caches: Vec<Option<regex_automata::hybrid::dfa::Cache>>,
    /// Spans a specific rule matched but rejected (placeholder, failed
    /// checksum): a generic rule must not report them either.
    rejected: Vec<(usize, usize)>,
    /// Number of regex searches run so far (for tests and profiling).
    pub regex_runs: u64,
}

/// Rules plus their prefilter.
#[derive(Debug, Clone)]
pub struct Detector {
    rules: RuleSet,
    prefilter: Prefilter,
    /// Per rule, its window before and after a hit.
    spans: Vec<(usize, usize)>,
    /// Per keyword, the largest gap between two of its occurrences for
    /// which the windows of every rule owning it still meet.
    joins: Vec<usize>,
    /// The rules that read paths, not contents.
    path_rules: Vec<usize>,
    /// The path rules' keywords (case-insensitive): a path with none of
    /// them is no rule's (asked of every file a directory scan walks, so it
    /// must cost little more than a pass over the path).
    path_keywords: Option<aho_corasick::AhoCorasick>,
}

/// No open run.
const NONE: (usize, usize) = (usize::MAX, 0);

impl Detector {
    /// Build a detector for a rule set.
    pub fn new(rules: RuleSet) -> Result<Detector, BuildError> {
        let prefilter = Prefilter::new(rules.rules().iter().map(|r| r.content_keywords()))?;
        let spans: Vec<(usize, usize)> = rules
            .rules()
            .iter()
            .map(|r| (r.window_before, r.window_after))
            .collect();
        let joins = (0..prefilter.keywords().len())
            .map(|k| {
                prefilter
                    .owners(k)
                    .iter()
                    .map(|&r| spans[r as usize].0.saturating_add(spans[r as usize].1))
                    .min()
                    .unwrap_or(0)
            })
            .collect();
        let path_rules: Vec<usize> = (rules.rules().iter().enumerate())
            .filter(|(_, r)| r.spec.target == crate::rules::Target::Path)
            .map(|(i, _)| i)
            .collect();
        // Only when every path rule has keywords can a path without any be
        // passed over.
        let keywords: Vec<&String> = path_rules
            .iter()
            .flat_map(|&r| rules.rules()[r].keywords.iter())
            .collect();
        let all_have_keywords = path_rules
            .iter()
            .all(|&r| !rules.rules()[r].keywords.is_empty());
        let path_keywords = if all_have_keywords && !keywords.is_empty() {
            Some(
                aho_corasick::AhoCorasick::builder()
                    .ascii_case_insensitive(true)
                    .build(&keywords)
                    .map_err(|e| BuildError(e.to_string()))?,
            )
        } else {
            None
        };
        Ok(Detector {
            rules,
            prefilter,
            spans,
            joins,
            path_rules,
            path_keywords,
        })
    }

    /// The rule set.
    pub fn rules(&self) -> &RuleSet {
        &self.rules
    }

    /// The keyword prefilter.
    pub fn prefilter(&self) -> &Prefilter {
        &self.prefilter
    }

    /// The path rules that `path` (a file git tracks or is about to
    /// commit) is a finding of: (rule index, the secret's span in `path`).
    pub fn detect_path(&self, path: &str) -> Vec<(usize, usize, usize)> {
        let mut out = Vec::new();
        let bytes = path.as_bytes();
        if self
            .path_keywords
            .as_ref()
            .is_some_and(|k| !k.is_match(bytes))
        {
            return out;
        }
        for &r in &self.path_rules {
            let rule = &self.rules.rules()[r];
            let keyword = rule.keywords.is_empty()
                || rule.keywords.iter().any(|k| {
                    bytes
                        .windows(k.len())
                        .any(|w| w.eq_ignore_ascii_case(k.as_bytes()))
                });
            if !keyword {
                continue;
            }
            let compiled = rule.compiled();
            let Some(caps) = compiled.regex.captures(bytes) else {
                continue;
            };
            let Some(m) = compiled.secret_group.and_then(|g| caps.get(g)) else {
                continue;
            };
            if compiled
                .exclude
                .iter()
                .any(|x| x.is_match(&bytes[m.start()..m.end()]))
            {
                continue;
            }
            out.push((r, m.start(), m.end()));
        }
        out
    }

    /// Whether any path rule runs.
    pub fn has_path_rules(&self) -> bool {
        !self.path_rules.is_empty()
    }

    /// Give each rule owning keyword `k` the window around the keyword's
    /// run `lo..hi`.
    fn open_windows(
        &self,
        hay_len: usize,
        k: usize,
        (lo, hi): (usize, usize),
        windows: &mut [Vec<(usize, usize)>],
        touched: &mut Vec<u32>,
    ) {
        for &r in self.prefilter.owners(k) {
            let (before, after) = self.spans[r as usize];
            let windows = &mut windows[r as usize];
            if windows.is_empty() {
                touched.push(r);
            }
            windows.push((
                lo.saturating_sub(before),
                hi.saturating_add(after).min(hay_len),
            ));
        }
    }

    /// Find every secret in `hay`, appending to `out` (sorted by offset,
    /// de-duplicated).
    pub fn detect(&self, hay: &[u8], scratch: &mut Scratch, out: &mut Vec<Match>) {
        let n_rules = self.rules.len();
        if scratch.windows.len() < n_rules {
            scratch.windows.resize_with(n_rules, Vec::new);
            scratch.locs.resize_with(n_rules, || None);
            scratch.run_caches.resize_with(n_rules, || None);
        }
        if scratch.runs.len() < self.joins.len() {
            scratch.runs.resize(self.joins.len(), NONE);
        }
        scratch.touched.clear();
        // Occurrences of a keyword whose windows would meet extend one run
        // (a compare and a store per hit, which matters in text dense with
        // keywords); a run becomes its owners' windows once it ends.
        {
            let Scratch {
                windows,
                touched,
                runs,
                run_keywords,
                ..
            } = &mut *scratch;
            self.prefilter.for_each_keyword(hay, |k, s, e| {
                let run = &mut runs[k];
                if run.0 != usize::MAX && s <= run.1.saturating_add(self.joins[k]) {
                    run.1 = run.1.max(e);
                } else {
                    if run.0 == usize::MAX {
                        run_keywords.push(k as u32);
                    } else {
                        self.open_windows(hay.len(), k, *run, windows, touched);
                    }
                    *run = (s, e);
                }
            });
            for &k in run_keywords.iter() {
                let run = std::mem::replace(&mut runs[k as usize], NONE);
                self.open_windows(hay.len(), k as usize, run, windows, touched);
            }
            run_keywords.clear();
        }
        for &r in self.prefilter.always() {
            scratch.touched.push(r);
            scratch.windows[r as usize].push((0, hay.len()));
        }
        if scratch.touched.is_empty() {
            return;
        }
        let rules = self.rules.rules();
        let first = out.len();
        scratch.rejected.clear();
        for ti in 0..scratch.touched.len() {
            let r = scratch.touched[ti] as usize;
            let rule = &rules[r];
            scratch.windows[r].sort_unstable();
            snap_and_merge(hay, &mut scratch.windows[r], rule.token_snap());
            for &(lo, hi) in &scratch.windows[r] {
                if !rule.window_may_match(hay, lo, hi, &mut scratch.run_caches[r]) {
                    continue;
                }
                // Compiled only once a window passes the gates.
                let compiled = rule.compiled();
                let locs =
                    scratch.locs[r].get_or_insert_with(|| compiled.regex.capture_locations());
                let sub = &hay[..hi];
                let mut pos = lo;
                while pos <= hi {
                    scratch.regex_runs += 1;
                    let Some(m) = compiled.regex.captures_read_at(locs, sub, pos) else {
                        break;
                    };
                    pos = if m.end() > m.start() {
                        m.end()
                    } else {
                        m.end() + 1
                    };
                    let (s, e) = match compiled.secret_group.and_then(|g| locs.get(g)) {
                        Some(span) => span,
                        None if compiled.secret_group.is_some() => continue,
                        None => (m.start(), m.end()),
                    };
                    match self.accept(r, hay, s, e, locs) {
                        Some(found) => out.push(found),
                        None if !rule.spec.generic => scratch.rejected.push((s, e)),
                        // A rejected value may be the name of the next
                        // assignment (`<add key="ApiKey" value="…"/>`):
                        // read on from the byte before it, not from past it.
                        None => pos = pos.min(s.saturating_sub(1).max(m.start() + 1)),
                    }
                }
            }
            scratch.windows[r].clear();
        }
        if !scratch.rejected.is_empty() {
            // Sorted by start, each end replaced by the largest end so far:
            // "does any rejected span overlap [s, e)?" is then one binary
            // search, so a file of many rejected spans stays linear.
            let rejected = &mut scratch.rejected;
            rejected.sort_unstable();
            let mut reach = 0;
            for r in rejected.iter_mut() {
                reach = reach.max(r.1);
                r.1 = reach;
            }
            let overlaps = |m: &Match| {
                let before_end = rejected.partition_point(|&(s, _)| s < m.end);
                before_end > 0 && rejected[before_end - 1].1 > m.start
            };
            let mut i = 0;
            out.retain(|m| {
                i += 1;
                i <= first || !(rules[m.rule].spec.generic && overlaps(m))
            });
        }
        if out.len() - first > 1 {
            let mut new = out.split_off(first);
            dedup(&self.rules, &mut new);
            out.append(&mut new);
        }
    }

    /// Apply the entropy floor, placeholder test and structural check.
    fn accept(
        &self,
        r: usize,
        hay: &[u8],
        s: usize,
        e: usize,
        locs: &CaptureLocations,
    ) -> Option<Match> {
        let rule = &self.rules.rules()[r];
        let secret = &hay[s..e];
        if secret.is_empty() {
            return None;
        }
        let ent = entropy::shannon(secret);
        if rule.spec.min_entropy.is_some_and(|min| ent < min) {
            return None;
        }
        let prefix_len = keyword_prefix(&rule.keywords, secret);
        if crate::rules::placeholder::is_placeholder(secret, &secret[prefix_len..]) {
            return None;
        }
        if !rule.spec.requirements.hold_for(secret) {
            return None;
        }
        let name = rule
            .compiled()
            .name_group
            .and_then(|g| locs.get(g))
            .map(|(a, b)| &hay[a..b]);
        if name.is_some_and(|n| rule.spec.variable.denies(n)) {
            return None;
        }
        let mut format_valid = false;
        let mut found = Match {
            rule: r,
            start: s,
            end: e,
            entropy: ent,
            format_valid,
            prefix_len,
            parts: Vec::new(),
            verdict: Default::default(),
        };
        if let Some(check) = &rule.spec.check {
            match (check.inspect(secret), rule.spec.on_check_failure) {
                (Some(v), _) => {
                    found.verdict = v;
                    format_valid = check.is_format_check();
                }
                (None, Some(confidence)) if check.shape_holds(secret) => {
                    found.verdict = check.failed(confidence)
                }
                (None, _) => return None,
            }
            let prefix = |v: &[u8]| keyword_prefix(&rule.keywords, v);
            match check.parts(secret).as_slice() {
                [] => {}
                // One value: the secret is that value alone (an AWS secret
                // access key without the name it is assigned to).
                [one] => {
                    let v = &secret[one.start..one.end];
                    found.start = s + one.start;
                    found.end = s + one.end;
                    found.entropy = entropy::shannon(v);
                    found.prefix_len = prefix(v);
                }
                parts => {
                    // The span covers every part, in whichever order they are written.
                    let last = &parts[parts.len() - 1];
                    found.start = s + parts.iter().map(|p| p.start).min().unwrap_or(0);
                    found.end = s + parts.iter().map(|p| p.end).max().unwrap_or(0);
                    found.entropy = entropy::shannon(&secret[last.start..last.end]);
                    found.prefix_len = prefix(&secret[last.start..last.end]);
                    found.parts = parts
                        .iter()
                        .map(|p| Part {
                            name: p.name,
                            start: s + p.start,
                            end: s + p.end,
                            prefix_len: prefix(&secret[p.start..p.end]),
                        })
                        .collect();
                }
            }
        }
        found.format_valid = format_valid;
        let (cs, ce) = found.secret_span();
        let credential = &hay[cs..ce];
        if rule.spec.requirements.is_trivial(credential)
            || rule
                .compiled()
                .exclude
                .iter()
                .any(|x| x.is_match(credential))
        {
            return None;
        }
        Some(found)
    }
}

/// The length of the longest of `keywords` that `secret` starts with (and
/// is longer than): its recognisable prefix, kept when it is redacted.
fn keyword_prefix(keywords: &[String], secret: &[u8]) -> usize {
    keywords
        .iter()
        .filter(|k| secret.len() > k.len() && secret[..k.len()].eq_ignore_ascii_case(k.as_bytes()))
        .map(|k| k.len())
        .max()
        .unwrap_or(0)
}

/// A window a rule's regex may search (`before`/`after` bytes around its
/// keyword hits), stretched to whole lines when a line boundary is close, so
/// that a regex sees the whole assignment it belongs to.
fn snap(hay: &[u8], mut lo: usize, mut hi: usize, token_snap: usize) -> (usize, usize) {
    if lo > 0 {
        let from = lo.saturating_sub(LINE_SNAP);
        lo = match memrchr(b'\n', &hay[from..lo]) {
            Some(i) => from + i + 1,
            None if from == 0 => 0,
            None => lo,
        };
    }
    if hi < hay.len() {
        let to = hi.saturating_add(LINE_SNAP).min(hay.len());
        hi = match memchr(b'\n', &hay[hi..to]) {
            Some(i) => hi + i,
            None if to == hay.len() => to,
            // A long line: never end the window inside a token that starts
            // in it, or a key longer than the window is cut and lost. The
            // byte after the token (a closing quote a pattern may need)
            // comes too. A token that started before the window (a keyword
            // inside a long blob of base64) is not followed.
            None if hi > lo
                && entropy::is_token_byte(hay[hi - 1])
                && hay[lo..hi].iter().any(|&b| !entropy::is_token_byte(b)) =>
            {
                let limit = hay.len().min(hi.saturating_add(token_snap));
                match hay[hi..limit]
                    .iter()
                    .position(|&b| !entropy::is_token_byte(b))
                {
                    Some(i) => hi + i + 1,
                    None => limit,
                }
            }
            None => hi,
        };
    }
    (lo, hi)
}

/// Snap each merged window to line ends, and merge those that then overlap.
/// (Snapping is monotone, so snapping merged windows covers the same bytes
/// as merging snapped ones.)
fn snap_and_merge(hay: &[u8], windows: &mut Vec<(usize, usize)>, token_snap: usize) {
    let mut n: usize = 0;
    for i in 0..windows.len() {
        let (lo, hi) = snap(hay, windows[i].0, windows[i].1, token_snap);
        match n.checked_sub(1).map(|p| &mut windows[p]) {
            Some(last) if lo <= last.1 => {
                last.0 = last.0.min(lo);
                last.1 = last.1.max(hi);
            }
            _ => {
                windows[n] = (lo, hi);
                n += 1;
            }
        }
    }
    windows.truncate(n);
}

/// Sort the matches appended since `first` and drop duplicates: the same
/// rule at the same span, the same span claimed by two rules (the format-checked,
/// then more severe, then earlier rule wins), and a generic rule's match
/// overlapping a specific rule's. A handler rule's match and another
/// rule's are both kept.
fn dedup(rules: &RuleSet, matches: &mut Vec<Match>) {
    let rs = rules.rules();
    let rank = |m: &Match| {
        let r = &rs[m.rule];
        (
            !r.spec.generic,
            m.format_valid,
            r.spec.severity,
            std::cmp::Reverse(m.rule),
        )
    };
    matches.sort_by(|a, b| {
        (a.start, a.end)
            .cmp(&(b.start, b.end))
            .then_with(|| rank(b).cmp(&rank(a)))
    });
    let mut kept: Vec<Match> = Vec::with_capacity(matches.len());
    for m in matches.drain(..) {
        // Compare against kept matches that overlap this one.
        let mut drop_new = false;
        let mut i = kept.len();
        while i > 0 {
            i -= 1;
            let k = &kept[i];
            if k.end <= m.start && k.start < m.start {
                // Kept matches are sorted by start; earlier ones may still be long
                // (PEM blocks), so keep looking but stop at a clear gap.
                if k.end + 4096 < m.start {
                    break;
                }
                continue;
            }
            if !(k.start < m.end && m.start < k.end) {
                continue;
            }
            // A handler rule's match reports nothing itself (what it
            // decodes is scanned instead): it neither displaces another
            // rule's match nor yields to one.
            if rs[k.rule].spec.handler.is_some() != rs[m.rule].spec.handler.is_some() {
                continue;
            }
            let same_span = k.start == m.start && k.end == m.end;
            let k_generic = rs[k.rule].spec.generic;
            let m_generic = rs[m.rule].spec.generic;
            if same_span || (m_generic && !k_generic) {
                // `k` ranks at least as high (sorted), or `m` is generic.
                drop_new = true;
                break;
            }
            if k_generic && !m_generic {
                kept.remove(i);
            }
        }
        if !drop_new {
            kept.push(m);
        }
    }
    *matches = kept;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_snap_to_lines() {
        let hay = b"aaaa\nkey = value\nbbbb";
        let (lo, hi) = snap(hay, 5, 10, 1024);
        assert_eq!(&hay[lo..hi], b"key = value");
        let (lo, hi) = snap(hay, 3, 10, 1024);
        assert_eq!(&hay[lo..hi], b"aaaa\nkey = value");
        let hay = b"x".repeat(1000);
        assert_eq!(snap(&hay, 490, 513, 1024), (490, 513));
    }

    #[test]
    fn windows_that_meet_once_snapped_are_merged() {
        let hay = b"aaaa key1\nbbbb key2\ncccc";
        // Disjoint as raw windows; both snap to the same line.
        let mut w = vec![(1, 3), (6, 8), (15, 17)];
        snap_and_merge(hay, &mut w, 1024);
        assert_eq!(w, vec![(0, 9), (10, 19)]);
        // Out of order (a hit a few bytes before the last one) still merges.
        let mut w = vec![(15, 17), (12, 16)];
        snap_and_merge(hay, &mut w, 1024);
        assert_eq!(w, vec![(10, 19)]);
    }
}

#[cfg(test)]
mod window_tests {
    use crate::entropy::is_token_byte;
    use crate::rules::{gate, RuleSet, Target};
    use regex_syntax::hir::{Class, Hir, HirKind};

    /// Whether every byte `h` can match is one a window ending inside a
    /// token stretches over (see [`super::snap`]).
    fn token_only(h: &Hir) -> bool {
        match h.kind() {
            HirKind::Literal(l) => l.0.iter().all(|&b| is_token_byte(b)),
            HirKind::Class(Class::Bytes(c)) => c
                .ranges()
                .iter()
                .all(|r| (r.start()..=r.end()).all(is_token_byte)),
            HirKind::Class(Class::Unicode(c)) => c.ranges().iter().all(|r| {
                u8::try_from(u32::from(r.end())).is_ok()
                    && (r.start() as u8..=r.end() as u8).all(is_token_byte)
            }),
            HirKind::Repetition(r) => token_only(&r.sub),
            HirKind::Capture(c) => token_only(&c.sub),
            HirKind::Concat(v) | HirKind::Alternation(v) => v.iter().all(token_only),
            HirKind::Empty | HirKind::Look(_) => false,
        }
    }

    /// The secret group of a pattern.
    fn secret(h: &Hir) -> Option<&Hir> {
        match h.kind() {
            HirKind::Capture(c) if c.name.as_deref() == Some("secret") => Some(&c.sub),
            HirKind::Capture(c) => secret(&c.sub),
            HirKind::Repetition(r) => secret(&r.sub),
            HirKind::Concat(v) | HirKind::Alternation(v) => v.iter().find_map(secret),
            _ => None,
        }
    }

    /// A keyword starts its match (give or take a boundary byte), so the
    /// window after it must reach the longest secret the rule allows: a
    /// longer one would be cut at the window's end and lost. A secret's
    /// tail of token characters (base64, a JWT's segments) need not fit:
    /// a window ending inside a token stretches to its end, up to the
    /// rule's `token_snap` bytes.
    #[test]
    fn window_after_reaches_the_longest_secret() {
        let set = RuleSet::builtin().unwrap();
        let mut short = Vec::new();
        for r in set.rules() {
            if r.spec.target == Target::Path {
                continue;
            }
            let Some(hir) = gate::parse(&r.spec.regex) else {
                continue;
            };
            let s = secret(&hir).unwrap_or(&hir);
            let parts: Vec<&Hir> = match s.kind() {
                HirKind::Concat(v) => v.iter().collect(),
                _ => vec![s],
            };
            let tail = parts.iter().rev().take_while(|p| token_only(p)).count();
            let (head, tail) = parts.split_at(parts.len() - tail);
            let len = |ps: &[&Hir]| {
                ps.iter()
                    .try_fold(0usize, |n, p| Some(n + p.properties().maximum_len()?))
            };
            let cap = match r.spec.requirements.max_length {
                0 => usize::MAX,
                c => c + 16,
            };
            let head = len(head).unwrap_or(usize::MAX).min(cap);
            let tail = len(tail).unwrap_or(usize::MAX).min(cap);
            let whole = head.saturating_add(tail) <= r.window_after;
            if !whole && (head > r.window_after || tail > r.token_snap()) {
                short.push(format!(
                    "{}: {head} bytes before a token tail of {tail}, window {}",
                    r.spec.id, r.window_after
                ));
            }
        }
        assert!(short.is_empty(), "{}", short.join("\n"));
    }
}
