//! The keyword prefilter: one Aho-Corasick automaton over every rule's
//! keywords, matched ASCII-case-insensitively.
//!
//! A blob with no keyword costs one pass of this automaton and nothing else.
//! Each hit names the rules that own the keyword, so the detector runs only
//! those rules, and only in a window around the hit.

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};

use crate::rules::RuleSet;

/// The compiled keyword automaton.
#[derive(Debug, Clone)]
pub struct Prefilter {
    ac: Option<AhoCorasick>,
    /// Distinct keywords, lower-cased, in pattern order.
    keywords: Vec<String>,
    /// For each pattern, the indices of the rules that list it.
    owners: Vec<Vec<u32>>,
    /// Rules without keywords (custom rules only): they run on every blob.
    always: Vec<u32>,
}

impl Prefilter {
    /// Build the automaton for `rules`.
    pub fn new(rules: &RuleSet) -> Result<Prefilter, String> {
        let mut keywords: Vec<String> = Vec::new();
        let mut owners: Vec<Vec<u32>> = Vec::new();
        let mut always = Vec::new();
        for (i, rule) in rules.rules().iter().enumerate() {
            // An env-file rule's findings come from code; its regex never runs.
            if rule.keywords.is_empty() && rule.spec.handler != Some(crate::rules::Handler::EnvFile)
            {
                always.push(i as u32);
            }
            for kw in &rule.keywords {
                match keywords.iter().position(|k| k == kw) {
                    Some(p) => {
                        if !owners[p].contains(&(i as u32)) {
                            owners[p].push(i as u32)
                        }
                    }
                    None => {
                        keywords.push(kw.clone());
                        owners.push(vec![i as u32]);
                    }
                }
            }
        }
        let ac = if keywords.is_empty() {
            None
        } else {
            let build = |kind| {
                AhoCorasick::builder()
                    .ascii_case_insensitive(true)
                    .match_kind(MatchKind::Standard)
                    .kind(kind)
                    .build(&keywords)
            };
            // A DFA is the fastest; should a huge custom keyword list exceed its
            // size limits, let the crate pick a smaller automaton.
            let ac = build(Some(AhoCorasickKind::DFA))
                .or_else(|_| build(None))
                .map_err(|e| format!("cannot build the keyword automaton: {e}"))?;
            Some(ac)
        };
        Ok(Prefilter {
            ac,
            keywords,
            owners,
            always,
        })
    }

    /// The distinct keywords, lower-cased.
    pub fn keywords(&self) -> &[String] {
        &self.keywords
    }

    /// Call `f(rule_index, start, end)` for every keyword occurrence
    /// (overlapping occurrences included) and every rule owning it.
    #[inline]
    pub fn for_each_hit(&self, hay: &[u8], mut f: impl FnMut(u32, usize, usize)) {
        let Some(ac) = &self.ac else { return };
        for m in ac.find_overlapping_iter(hay) {
            for &r in &self.owners[m.pattern().as_usize()] {
                f(r, m.start(), m.end());
            }
        }
    }

    /// Rules that have no keyword and so run on every blob.
    pub fn always(&self) -> &[u32] {
        &self.always
    }

    /// Whether any keyword occurs in `hay`.
    pub fn is_match(&self, hay: &[u8]) -> bool {
        self.ac.as_ref().is_some_and(|ac| ac.is_match(hay))
    }
}
