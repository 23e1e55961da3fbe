//! Gates: cheap necessary conditions that the detector tests in a window
//! before it runs a rule's full regex there. A window where a gate fails
//! cannot hold a match, so skipping it changes no finding.
//!
//! Both gates are derived from the rule's pattern; a rule file never names
//! them.
//! - [`build_secret_gate`]: the secret group compiled alone, when it is
//!   selective (it does not match ordinary code). Context rules (a provider
//!   name, an assignment, then a token) spend most of their time in windows
//!   without a token.
//! - [`RunGate`]: most secret groups hold a run of at least N bytes of one
//!   class (`[A-Za-z0-9]{24,128}`). Such runs are found by looking at every
//!   N-th byte, which is far cheaper than any automaton. When the secret
//!   group starts with the run, each run is also checked backwards against
//!   the part of the pattern before the secret (an assignment to a
//!   secret-like name, say) with a reverse automaton that, on ordinary
//!   text, gives up within a byte or two. Text dense with keywords but
//!   without an assignment of a long value then costs almost nothing.

use regex_automata::hybrid::dfa::{Cache, DFA};
use regex_automata::nfa::thompson;
use regex_automata::util::start;
use regex_automata::{Anchored, Input};
use regex_syntax::hir::{Class, Hir, HirKind};

use super::REGEX_SIZE_LIMIT;

/// Runs shorter than this are too common to make a useful gate.
const MIN_RUN: usize = 8;

/// Ordinary code with no secret in it: a secret group that matches here is
/// not selective enough to gate its rule.
const GATE_PROBE: &str = "        self.assertEqual(response.status_code, 200)\n\
    configuration_value_for_the_client = some_function_name_here(argument_one, ARGUMENT_TWO)\n\
    return x.get_default_value_of_the_field()\n";

/// A rule pattern as the gates read it (bytes, no Unicode classes). The
/// gates of one rule share one parse.
pub fn parse(pattern: &str) -> Option<Hir> {
    regex_syntax::ParserBuilder::new()
        .unicode(false)
        .utf8(false)
        .build()
        .parse(pattern)
        .ok()
}

/// The index of the group that holds the secret: the one named `secret`,
/// else `fallback` (a rule's `secret_group`). No compiling.
pub fn secret_group_index(hir: &Hir, fallback: Option<usize>) -> Option<usize> {
    fn named(hir: &Hir) -> Option<u32> {
        match hir.kind() {
            HirKind::Capture(c) if c.name.as_deref() == Some("secret") => Some(c.index),
            HirKind::Capture(c) => named(&c.sub),
            HirKind::Repetition(r) => named(&r.sub),
            HirKind::Concat(v) | HirKind::Alternation(v) => v.iter().find_map(named),
            _ => None,
        }
    }
    named(hir).map(|i| i as usize).or(fallback)
}

/// The pattern of capture group `group`, if it lies anywhere in `hir`.
fn group_of(hir: &Hir, group: u32) -> Option<&Hir> {
    match hir.kind() {
        HirKind::Capture(c) if c.index == group => Some(&c.sub),
        HirKind::Capture(c) => group_of(&c.sub, group),
        HirKind::Repetition(r) => group_of(&r.sub, group),
        HirKind::Concat(v) | HirKind::Alternation(v) => v.iter().find_map(|h| group_of(h, group)),
        _ => None,
    }
}

/// What a match must hold before capture group `group`, when the group is
/// reached through concatenations only (so that every match has exactly
/// that prefix followed by the group): the prefix's parts, and the group.
fn split_at_group(hir: &Hir, group: u32) -> Option<(Vec<Hir>, &Hir)> {
    match hir.kind() {
        HirKind::Capture(c) if c.index == group => Some((Vec::new(), &c.sub)),
        HirKind::Capture(c) => split_at_group(&c.sub, group),
        HirKind::Concat(v) => v.iter().enumerate().find_map(|(i, h)| {
            let (inner, secret) = split_at_group(h, group)?;
            let mut before = v[..i].to_vec();
            before.extend(inner);
            Some((before, secret))
        }),
        _ => None,
    }
}

/// The secret group of a pattern (parsed by [`parse`]) compiled alone, if
/// it does not match [`GATE_PROBE`]. Without captures: the gate only asks
/// whether a window holds a match. A meta regex, so that a group with
/// literals in it (`://`, a prefix) is searched for those first.
pub fn build_secret_gate(hir: &Hir, group: usize) -> Option<regex_automata::meta::Regex> {
    if group == 0 {
        return None;
    }
    let sub = group_of(hir, u32::try_from(group).ok()?)?;
    // No captures, hence no capture engines (one-pass, backtracker) to
    // build: the gate costs a fraction of the rule's own regex.
    let regex = regex_automata::meta::Regex::builder()
        .configure(
            regex_automata::meta::Config::new()
                .utf8_empty(false)
                .which_captures(thompson::WhichCaptures::None)
                .onepass(false)
                .backtrack(false)
                .nfa_size_limit(Some(REGEX_SIZE_LIMIT))
                .hybrid_cache_capacity(REGEX_SIZE_LIMIT),
        )
        .build_from_hir(sub)
        .ok()?;
    (!regex.is_match(GATE_PROBE.as_bytes())).then_some(regex)
}

/// A set of bytes.
type ByteTable = Box<[bool; 256]>;

/// The bytes of a class, if it is a class of bytes (or of ASCII characters).
fn class_table(class: &Class) -> Option<ByteTable> {
    let mut t = Box::new([false; 256]);
    match class {
        Class::Bytes(c) => {
            for r in c.ranges() {
                for b in r.start()..=r.end() {
                    t[b as usize] = true;
                }
            }
        }
        Class::Unicode(c) => {
            for r in c.ranges() {
                if !r.end().is_ascii() {
                    return None;
                }
                for ch in r.start()..=r.end() {
                    t[ch as usize] = true;
                }
            }
        }
    }
    Some(t)
}

/// `sub{min,}` with `sub` a class: the class and `min`.
fn class_run(hir: &Hir) -> Option<(ByteTable, usize)> {
    match hir.kind() {
        HirKind::Capture(c) => class_run(&c.sub),
        HirKind::Repetition(r) => match r.sub.kind() {
            HirKind::Class(c) => Some((class_table(c)?, r.min as usize)),
            _ => None,
        },
        _ => None,
    }
}

/// The longest class run every match of `secret` holds, and whether the
/// secret starts with it.
fn required_run(secret: &Hir) -> Option<(ByteTable, usize, bool)> {
    let parts: &[Hir] = match secret.kind() {
        HirKind::Concat(v) => v,
        _ => std::slice::from_ref(secret),
    };
    let mut best: Option<(ByteTable, usize, bool)> = None;
    for (i, part) in parts.iter().enumerate() {
        if let Some((t, n)) = class_run(part) {
            if best.as_ref().is_none_or(|b| n > b.1) {
                best = Some((t, n, i == 0));
            }
        }
    }
    best.filter(|b| b.1 >= MIN_RUN)
}

/// A run of bytes of one class that every match's secret holds, and,
/// when the secret starts with that run, the pattern before the secret,
/// reversed.
#[derive(Debug, Clone)]
pub struct RunGate {
    class: ByteTable,
    /// The class for the vector skip, where the CPU has one.
    nibbles: Option<(crate::simd::Avx2, crate::simd::NibbleClass)>,
    min: usize,
    left: Option<LeftContext>,
}

/// The part of a pattern before its secret, as a reverse automaton.
#[derive(Debug, Clone)]
struct LeftContext {
    rev: DFA,
    /// Bytes that can end a match of that part (the byte just before a
    /// secret): a run start after any other byte is no candidate.
    can_end: ByteTable,
}

impl RunGate {
    /// The run gate of secret group `group` of a pattern (parsed by
    /// [`parse`]), if it has a run long enough to be worth it.
    pub fn build(hir: &Hir, group: usize) -> Option<RunGate> {
        let group = u32::try_from(group).ok()?;
        let split = split_at_group(hir, group);
        let secret = match &split {
            Some((_, secret)) => *secret,
            None => group_of(hir, group)?,
        };
        let (class, min, leading) = required_run(secret)?;
        let left = match split {
            Some((before, _)) if leading && !before.is_empty() => {
                LeftContext::build(&Hir::concat(before))
            }
            _ => None,
        };
        let nibbles = crate::simd::Avx2::detect()
            .and_then(|cpu| Some((cpu, crate::simd::NibbleClass::new(&class)?)));
        Some(RunGate {
            class,
            nibbles,
            min,
            left,
        })
    }

    /// Whether the window `lo..hi` of `hay` may hold a match.
    pub fn passes(&self, hay: &[u8], lo: usize, hi: usize, cache: &mut Option<Cache>) -> bool {
        let hay = &hay[..hi];
        let mut at = lo;
        while let Some((start, end)) = self.next_run(hay, at) {
            let Some(left) = &self.left else {
                return true;
            };
            let cache = cache.get_or_insert_with(|| left.rev.create_cache());
            for p in start..=end - self.min {
                let candidate = p == lo || left.can_end[hay[p - 1] as usize];
                if candidate && left.ends_at(hay, lo, p, cache) {
                    return true;
                }
            }
            at = end;
        }
        false
    }

    /// The next run of at least `min` class bytes in `hay[at..]`: its start
    /// (after a byte outside the class, or `at`) and its end. Skips 64
    /// bytes at a time with AVX2; else looks at one byte in `min` where
    /// runs are rare.
    fn next_run(&self, hay: &[u8], mut at: usize) -> Option<(usize, usize)> {
        let (class, n) = (&self.class, self.min);
        if let Some((cpu, nibbles)) = &self.nibbles {
            at = crate::simd::run_skip(*cpu, nibbles, hay, at, n);
        }
        while at + n <= hay.len() {
            let last = at + n - 1;
            if !class[hay[last] as usize] {
                at = last + 1;
                continue;
            }
            let mut start = last;
            while start > at && class[hay[start - 1] as usize] {
                start -= 1;
            }
            if start > at {
                at = start;
                continue;
            }
            let mut end = last + 1;
            while end < hay.len() && class[hay[end] as usize] {
                end += 1;
            }
            return Some((at, end));
        }
        None
    }
}

impl LeftContext {
    fn build(before: &Hir) -> Option<LeftContext> {
        let nfa = thompson::Compiler::new()
            .configure(
                thompson::Config::new()
                    .reverse(true)
                    .which_captures(thompson::WhichCaptures::None)
                    .utf8(false)
                    .nfa_size_limit(Some(REGEX_SIZE_LIMIT)),
            )
            .build_from_hir(before)
            .ok()?;
        let rev = DFA::builder()
            .configure(DFA::config().cache_capacity(REGEX_SIZE_LIMIT))
            .build_from_nfa(nfa)
            .ok()?;
        // A byte can end the prefix if, from some start state of the
        // reverse automaton (whatever the secret's first byte), it does not
        // lead to the dead state.
        // The 257 look-behind contexts lead to a handful of start states:
        // each is walked once.
        let mut cache = rev.create_cache();
        let mut can_end = Box::new([false; 256]);
        let mut starts = Vec::new();
        for look in std::iter::once(None).chain((0..=255u8).map(Some)) {
            let config = start::Config::new()
                .anchored(Anchored::Yes)
                .look_behind(look);
            let sid = rev.start_state(&mut cache, &config).ok()?;
            if !starts.contains(&sid) {
                starts.push(sid);
            }
        }
        for sid in starts {
            for b in 0..=255u8 {
                if !can_end[b as usize] && !rev.next_state(&mut cache, sid, b).ok()?.is_dead() {
                    can_end[b as usize] = true;
                }
            }
        }
        Some(LeftContext { rev, can_end })
    }

    /// Whether the prefix matches some `hay[s..p]` with `s >= lo`.
    fn ends_at(&self, hay: &[u8], lo: usize, p: usize, cache: &mut Cache) -> bool {
        let input = Input::new(hay)
            .range(lo..p)
            .anchored(Anchored::Yes)
            .earliest(true);
        // An automaton that gives up proves nothing: run the full regex.
        !matches!(self.rev.try_search_rev(cache, &input), Ok(None))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gate(pattern: &str) -> RunGate {
        let group = regex::Regex::new(pattern)
            .unwrap()
            .capture_names()
            .position(|n| n == Some("secret"))
            .unwrap();
        RunGate::build(&parse(pattern).unwrap(), group).expect("a run gate")
    }

    fn passes(g: &RunGate, hay: &str) -> bool {
        g.passes(hay.as_bytes(), 0, hay.len(), &mut None)
    }

    #[test]
    fn runs_are_found_at_any_offset_and_length() {
        let g = gate(r"(?P<secret>x_[a-z0-9]{10,})");
        assert!(g.left.is_none(), "the secret does not start with its run");
        for pad in 0..25 {
            for len in 0..25 {
                let hay = format!("{}{}{}", "-".repeat(pad), "a".repeat(len), "-".repeat(3));
                assert_eq!(passes(&g, &hay), len >= 10, "{hay}");
            }
        }
        // Only the window counts.
        let hay = "aaaaaaaaaa--";
        assert!(!g.passes(hay.as_bytes(), 1, hay.len(), &mut None));
        assert!(!g.passes(hay.as_bytes(), 0, 9, &mut None));
    }

    #[test]
    fn a_leading_run_is_checked_against_what_comes_before_it() {
        let g = gate(r"(?i)(?:token|secret)\s*[=:]\s*(?P<secret>[a-z0-9]{12,})");
        assert!(g.left.is_some());
        assert!(passes(&g, "TOKEN = abcdefabcdef12"));
        assert!(passes(&g, "x secret:abcdefabcdef12"));
        assert!(!passes(&g, "TOKEN . abcdefabcdef12"));
        assert!(!passes(&g, "tokenizer abcdefabcdef12 token=short"));
        // The prefix must lie inside the window.
        let hay = "token = abcdefabcdef12";
        assert!(!g.passes(hay.as_bytes(), 3, hay.len(), &mut None));
    }

    #[test]
    fn short_or_unsplittable_groups_get_no_gate() {
        assert!(RunGate::build(&parse(r"k(?P<secret>[a-z]{4})").unwrap(), 1).is_none());
        assert!(RunGate::build(&parse(r"(?P<secret>ab|cd)").unwrap(), 1).is_none());
    }
}
