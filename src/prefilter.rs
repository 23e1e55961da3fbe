//! The keyword prefilter: finds every occurrence of every rule keyword,
//! ASCII-case-insensitively.
//!
//! A blob with no keyword costs one pass of this filter and nothing else.
//! Each hit names the rules that own the keyword, so the detector runs only
//! those rules, and only in a window around the hit.
//!
//! Two searchers give the same hits:
//! - [`GramFilter`] (the default when every keyword has 3 bytes or more):
//!   each keyword is represented by its rarest 3-byte substring; one pass
//!   hashes the 3 bytes at every position into a bitmap that fits in the L1
//!   cache, and only positions whose gram is in the bitmap are checked
//!   against the keywords that own it. Unlike an automaton, whose next state
//!   waits on the previous one, the positions are independent, so the CPU
//!   overlaps them: about 3x the throughput of the DFA on real code.
//! - one Aho-Corasick DFA over every keyword (overlapping matches), used for
//!   keyword sets with shorter keywords (custom rules) and as the reference
//!   the tests compare the gram filter with.

use std::collections::hash_map::{self, HashMap};
use std::hash::Hash;

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};

use crate::simd::{Avx2, GRAM_BITS, GRAM_WORDS};

/// The keyword automaton could not be built (a custom keyword list beyond
/// the automaton's size limits).
#[derive(Debug, thiserror::Error)]
#[error("cannot build the keyword automaton: {0}")]
pub struct BuildError(pub String);

/// The compiled keyword automaton.
#[derive(Debug, Clone)]
pub struct Prefilter {
    ac: Option<AhoCorasick>,
    grams: Option<GramFilter>,
    /// Distinct keywords, lower-cased, in pattern order.
    keywords: Vec<String>,
    /// The indices of the rules that list each pattern: pattern `k`'s are
    /// `owner_rules[owner_starts[k]..owner_starts[k + 1]]` (one flat list,
    /// read for every hit).
    owner_rules: Vec<u32>,
    owner_starts: Vec<u32>,
    /// Owners without keywords (custom rules only): they run on every blob.
    always: Vec<u32>,
}

impl Prefilter {
    /// Build the automaton from each owner's keywords (lower-cased), in
    /// owner order: `None` for an owner that never runs on contents, an
    /// empty list for one that runs on every blob. Owners are the indices
    /// of this list (the detector's rule indices); the prefilter knows
    /// nothing else of them.
    pub fn new<'k>(
        owners_keywords: impl IntoIterator<Item = Option<&'k [String]>>,
    ) -> Result<Prefilter, BuildError> {
        let mut always = Vec::new();
        let listed = owners_keywords
            .into_iter()
            .enumerate()
            .filter_map(|(i, kws)| Some((i as u32, kws?)))
            .inspect(|&(i, kws)| {
                if kws.is_empty() {
                    always.push(i);
                }
            });
        let (keywords, owners) = distinct_keywords(listed);
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
                .map_err(|e| BuildError(e.to_string()))?;
            Some(ac)
        };
        let grams = GramFilter::new(&keywords);
        Ok(Prefilter {
            ac,
            grams,
            keywords,
            owner_starts: std::iter::once(0)
                .chain(owners.iter().scan(0, |n, o| {
                    *n += o.len() as u32;
                    Some(*n)
                }))
                .collect(),
            owner_rules: owners.concat(),
            always,
        })
    }

    /// The rules that list keyword `k` (an index into [`Prefilter::keywords`]).
    #[inline(always)]
    pub fn owners(&self, k: usize) -> &[u32] {
        &self.owner_rules[self.owner_starts[k] as usize..self.owner_starts[k + 1] as usize]
    }

    /// The distinct keywords, lower-cased.
    pub fn keywords(&self) -> &[String] {
        &self.keywords
    }

    /// Call `f(rule_index, start, end)` for every keyword occurrence
    /// (overlapping occurrences included) and every rule owning it.
    pub fn for_each_hit(&self, hay: &[u8], mut f: impl FnMut(u32, usize, usize)) {
        self.for_each_keyword(hay, |k, s, e| {
            for &r in self.owners(k) {
                f(r, s, e);
            }
        });
    }

    /// Call `f(keyword, start, end)` for every keyword occurrence
    /// (overlapping occurrences included). The occurrences of one keyword
    /// come in order; those of different keywords may interleave out of
    /// order by a few bytes.
    #[inline]
    pub fn for_each_keyword(&self, hay: &[u8], mut f: impl FnMut(usize, usize, usize)) {
        let (Some(g), Some(ac)) = (&self.grams, &self.ac) else {
            return self.for_each_keyword_automaton(hay, f);
        };
        if hay.len() <= BLOCK {
            return g.for_each(&self.keywords, hay, false, f);
        }
        // Block by block: the gram filter, unless the last block was dense
        // with keywords (the filter's cost is per hit, the automaton's per
        // byte). Each block reports the keywords that start in it.
        let mut dense = false;
        let mut b0 = 0;
        while b0 < hay.len() {
            let b1 = (b0 + BLOCK).min(hay.len());
            // Far enough past the block for any keyword starting in it.
            let end = (b1 + g.longest).min(hay.len());
            let mut hits = 0;
            let mut emit = |k: usize, s: usize, e: usize| {
                if s < b1 - b0 {
                    hits += 1;
                    f(k, b0 + s, b0 + e);
                }
            };
            if dense && g.simd.is_none() {
                for m in ac.find_overlapping_iter(&hay[b0..end]) {
                    emit(m.pattern().as_usize(), m.start(), m.end());
                }
            } else {
                g.for_each(&self.keywords, &hay[b0..end], dense, &mut emit);
            }
            dense = hits > (b1 - b0) / DENSE;
            b0 = b1;
        }
    }

    /// [`Prefilter::for_each_hit`] through the Aho-Corasick automaton
    /// (the reference searcher).
    pub fn for_each_hit_automaton(&self, hay: &[u8], mut f: impl FnMut(u32, usize, usize)) {
        self.for_each_keyword_automaton(hay, |k, s, e| {
            for &r in self.owners(k) {
                f(r, s, e);
            }
        });
    }

    /// [`Prefilter::for_each_keyword`] through the Aho-Corasick automaton.
    fn for_each_keyword_automaton(&self, hay: &[u8], mut f: impl FnMut(usize, usize, usize)) {
        let Some(ac) = &self.ac else { return };
        for m in ac.find_overlapping_iter(hay) {
            f(m.pattern().as_usize(), m.start(), m.end());
        }
    }

    /// Whether the fast gram filter is in use (every keyword has 3 bytes or more).
    pub fn uses_grams(&self) -> bool {
        self.grams.is_some()
    }

    /// Rules that have no keyword and so run on every blob.
    pub fn always(&self) -> &[u32] {
        &self.always
    }
}

/// The distinct keywords of `owners_keywords` (owner, its keywords), in
/// order of first appearance, and for each the owners that list it, in
/// owner order, each once (owners must come in ascending order).
///
/// Linear in the number of keywords listed: a custom rule may list
/// hundreds of thousands (a search of the list for each keyword made
/// start-up quadratic: 100k keywords took minutes).
pub fn distinct_keywords<'k, K: Hash + Eq + Clone + 'k>(
    owners_keywords: impl IntoIterator<Item = (u32, &'k [K])>,
) -> (Vec<K>, Vec<Vec<u32>>) {
    let mut index: HashMap<&'k K, usize> = HashMap::new();
    let mut keywords: Vec<K> = Vec::new();
    let mut owners: Vec<Vec<u32>> = Vec::new();
    for (i, kws) in owners_keywords {
        for kw in kws {
            match index.entry(kw) {
                hash_map::Entry::Occupied(p) => {
                    // Owners come in order: one that lists the keyword
                    // twice is the last one recorded.
                    let owners = &mut owners[*p.get()];
                    if owners.last() != Some(&i) {
                        owners.push(i);
                    }
                }
                hash_map::Entry::Vacant(v) => {
                    v.insert(keywords.len());
                    keywords.push(kw.clone());
                    owners.push(vec![i]);
                }
            }
        }
    }
    (keywords, owners)
}

/// Bytes per block of [`Prefilter::for_each_hit`].
const BLOCK: usize = 64 * 1024;

/// A block with more than one hit per this many bytes is dense: the next
/// block goes through the automaton.
const DENSE: usize = 64;

/// Keywords, each represented by one 3-byte substring (its "gram").
#[derive(Debug, Clone)]
struct GramFilter {
    /// Bit `hash(gram)` is set for every chosen gram.
    bits: Box<[u64; GRAM_WORDS]>,
    /// One per keyword, sorted by hash.
    entries: Vec<Entry>,
    /// `entries[starts[w]..starts[w + 1]]` are those whose hash falls in
    /// word `w` of the bitmap.
    starts: Box<[u32]>,
    /// Bytes in the longest keyword.
    longest: usize,
    /// Set when the CPU runs the vector loop ([`crate::simd::gram_scan`]).
    simd: Option<Avx2>,
}

/// A keyword as the gram filter checks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Entry {
    /// Hash of its gram.
    hash: u32,
    /// Index in the keyword list.
    keyword: u32,
    /// Offset of the gram in the keyword.
    off: u32,
    /// Bytes in the keyword.
    len: u32,
    /// Its first 16 bytes as two words (little-endian, zero past its end)...
    head: [u64; 2],
    /// ...`0x20` where they are letters (so `byte | 0x20` folds case)...
    letters: [u64; 2],
    /// ...and `0xff` where they are in the keyword.
    used: [u64; 2],
}

impl Entry {
    fn new(hash: u32, keyword: usize, off: usize, kw: &[u8]) -> Entry {
        let (mut head, mut letters, mut used) = ([0u64; 2], [0u64; 2], [0u64; 2]);
        for (j, &b) in kw.iter().take(16).enumerate() {
            let (w, sh) = (j / 8, 8 * (j % 8));
            head[w] |= u64::from(b) << sh;
            used[w] |= 0xff << sh;
            if b.is_ascii_alphabetic() {
                letters[w] |= 0x20 << sh;
            }
        }
        Entry {
            hash,
            keyword: keyword as u32,
            off: off as u32,
            len: kw.len() as u32,
            head,
            letters,
            used,
        }
    }

    /// Whether the keyword (lower-cased) is at `hay[s..]`, ASCII case
    /// ignored: one or two 8-byte compares for keywords of up to 16 bytes.
    #[inline(always)]
    fn is_at(&self, kw: &[u8], hay: &[u8], s: usize) -> bool {
        let end = s + self.len as usize;
        if end > hay.len() {
            return false;
        }
        let word = |w: usize| {
            let at = s + 8 * w;
            hay.get(at..at + 8).map(|b| {
                let mut x = [0u8; 8];
                x.copy_from_slice(b);
                (u64::from_le_bytes(x) | self.letters[w]) & self.used[w] == self.head[w]
            })
        };
        match word(0) {
            Some(false) => false,
            Some(true) if end <= s + 8 => true,
            Some(true) => match word(1) {
                Some(false) => false,
                Some(true) => end <= s + 16 || hay[s + 16..end].eq_ignore_ascii_case(&kw[16..]),
                None => hay[s + 8..end].eq_ignore_ascii_case(&kw[8..]),
            },
            None => hay[s..end].eq_ignore_ascii_case(kw),
        }
    }
}

/// Hash the 3 low bytes of `x` (already folded with `| 0x20`).
#[inline(always)]
fn gram_hash(x: u32) -> u32 {
    (x & 0x00ff_ffff).wrapping_mul(0x9e37_79b1) >> (32 - GRAM_BITS)
}

/// Fold a gram the way the scan loop does: ASCII letters to lower case (and
/// a few punctuation pairs together, which only adds candidates).
#[inline(always)]
fn fold(b: [u8; 3]) -> u32 {
    u32::from_le_bytes([b[0], b[1], b[2], 0]) | 0x0020_2020
}

/// How common each 3-byte gram is in ordinary source code and config text,
/// per million positions (folded as the scan folds them; built by
/// `scripts/trigrams.py`). A gram not in the table is rarer than any in it.
const TRIGRAMS: &str = include_str!("prefilter_trigrams.txt");

/// The frequency table, parsed: `(folded gram, per million)`.
fn trigram_table() -> std::collections::HashMap<u32, u32> {
    TRIGRAMS
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let (gram, n) = l.split_once(' ')?;
            let g = u32::from_str_radix(gram, 16).ok()?;
            // Hex of the bytes in order: first byte is the most significant.
            let b = g.to_be_bytes();
            Some((fold([b[1], b[2], b[3]]), n.parse().ok()?))
        })
        .collect()
}

impl GramFilter {
    /// Build the filter for `keywords` (lower-cased; the same slice is
    /// passed to [`GramFilter::for_each`]), or `None` if one is shorter than
    /// 3 bytes.
    fn new(keywords: &[String]) -> Option<GramFilter> {
        if keywords.is_empty() || keywords.iter().any(|k| k.len() < 3) {
            return None;
        }
        let table = trigram_table();
        let mut bits = Box::new([0u64; GRAM_WORDS]);
        let mut entries = Vec::with_capacity(keywords.len());
        for (k, kw) in keywords.iter().map(|k| k.as_bytes()).enumerate() {
            let weight = |o: usize| {
                let g = fold([kw[o], kw[o + 1], kw[o + 2]]);
                table.get(&g).copied().unwrap_or(0)
            };
            // The rarest gram; the first of equals.
            let off = (0..=kw.len() - 3).min_by_key(|&o| weight(o)).unwrap_or(0);
            let h = gram_hash(fold([kw[off], kw[off + 1], kw[off + 2]]));
            bits[(h >> 6) as usize] |= 1 << (h & 63);
            entries.push(Entry::new(h, k, off, kw));
        }
        entries.sort_unstable();
        let words = GRAM_WORDS;
        let starts = (0..=words)
            .map(|w| entries.partition_point(|e| ((e.hash >> 6) as usize) < w) as u32)
            .collect();
        let longest = keywords.iter().map(String::len).max().unwrap_or(0);
        Some(GramFilter {
            bits,
            entries,
            starts,
            longest,
            simd: Avx2::detect(),
        })
    }

    /// Call `f(keyword, start, end)` for every occurrence of every keyword,
    /// in order of the gram's position (so a hit may start a few bytes before
    /// the previous one: the detector merges windows either way).
    ///
    /// `dense` says the text is expected to hold keywords every few bytes:
    /// the vector loop then collects candidates without branching on each,
    /// and they are checked in batches.
    #[inline]
    fn for_each(
        &self,
        keywords: &[String],
        hay: &[u8],
        dense: bool,
        mut f: impl FnMut(usize, usize, usize),
    ) {
        if hay.len() < 3 {
            return;
        }
        let bits = &self.bits;
        let test = |h: u32| bits[(h >> 6) as usize] & (1u64 << (h & 63)) != 0;
        // The hot loop: with AVX2, 8 grams at a time. Each is hashed and
        // tested in the bitmap, and only a gram with a set bit is looked at
        // closely (about 1 position in 200 on real code).
        let mut i = 0;
        if let (Some(cpu), true) = (self.simd, dense && i32::try_from(hay.len()).is_ok()) {
            let mut pending = crate::simd::Pending::default();
            loop {
                let (next, n) = crate::simd::gram_scan_dense(cpu, bits, hay, i, &mut pending);
                for (&p, &h) in pending.pos[..n].iter().zip(&pending.hash[..n]) {
                    self.check(keywords, hay, p as usize, h, &mut f);
                }
                if next == i {
                    break;
                }
                i = next;
            }
        } else if let Some(cpu) = self.simd {
            i = crate::simd::gram_scan(cpu, bits, hay, &mut |i, h| {
                self.check(keywords, hay, i, h, &mut f)
            });
        }
        // The scalar loop (the vector loops' tail, or the whole haystack
        // without AVX2): one unaligned 8-byte load gives 4 grams.
        while i + 8 <= hay.len() {
            let mut b = [0u8; 8];
            b.copy_from_slice(&hay[i..i + 8]);
            let x = u64::from_le_bytes(b) | 0x2020_2020_2020_2020;
            let h0 = gram_hash(x as u32);
            let h1 = gram_hash((x >> 8) as u32);
            let h2 = gram_hash((x >> 16) as u32);
            let h3 = gram_hash((x >> 24) as u32);
            if test(h0) | test(h1) | test(h2) | test(h3) {
                for (j, h) in [h0, h1, h2, h3].into_iter().enumerate() {
                    if test(h) {
                        self.check(keywords, hay, i + j, h, &mut f);
                    }
                }
            }
            i += 4;
        }
        // The tail, one gram at a time.
        while i + 3 <= hay.len() {
            let h = gram_hash(fold([hay[i], hay[i + 1], hay[i + 2]]));
            if test(h) {
                self.check(keywords, hay, i, h, &mut f);
            }
            i += 1;
        }
    }

    /// The gram at `hay[i..]` has hash `h`, whose bit is set: check the
    /// keywords filed under its word of the bitmap, and report those at
    /// their place.
    #[inline(always)]
    fn check(
        &self,
        keywords: &[String],
        hay: &[u8],
        i: usize,
        h: u32,
        f: &mut impl FnMut(usize, usize, usize),
    ) {
        let w = (h >> 6) as usize;
        let (lo, hi) = (self.starts[w] as usize, self.starts[w + 1] as usize);
        for e in &self.entries[lo..hi] {
            if e.hash != h {
                continue;
            }
            let Some(s) = i.checked_sub(e.off as usize) else {
                continue;
            };
            let k = e.keyword as usize;
            if e.is_at(keywords[k].as_bytes(), hay, s) {
                f(k, s, s + e.len as usize);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn builtin() -> Prefilter {
        let set = crate::rules::RuleSet::builtin().unwrap();
        Prefilter::new(set.rules().iter().map(|r| r.content_keywords())).unwrap()
    }

    type Hits = Vec<(u32, usize, usize)>;

    /// Hits of both searchers, sorted.
    fn both(pf: &Prefilter, hay: &[u8]) -> (Hits, Hits) {
        let mut fast = Vec::new();
        pf.for_each_hit(hay, |r, s, e| fast.push((r, s, e)));
        let mut reference = Vec::new();
        pf.for_each_hit_automaton(hay, |r, s, e| reference.push((r, s, e)));
        fast.sort_unstable();
        reference.sort_unstable();
        (fast, reference)
    }

    #[test]
    fn builtin_keywords_use_the_gram_filter() {
        assert!(builtin().uses_grams());
    }

    #[test]
    fn gram_filter_finds_what_the_automaton_finds_at_edges() {
        let pf = builtin();
        let cases: &[&[u8]] = &[
            b"",
            b"ab",
            b"tok",
            b"token",
            b"TOKEN",
            b"xtoken",
            b"xxxxxxxtoken",
            b"tokenxxxxxxxx",
            b"sk_",
            b"a sk_ b ghp_ c AKIA d hf_ e",
            b"SeCrEt=PaSsWoRd;ApI_KeY",
            b"-----BEGIN OPENSSH PRIVATE KEY-----",
            b"tokentokentokentokentokentokentoken",
            b"\xff\xfe t\x00o\x00k\x00e\x00n",
        ];
        for hay in cases {
            let (fast, reference) = both(&pf, hay);
            assert_eq!(fast, reference, "{:?}", String::from_utf8_lossy(hay));
        }
        // Every keyword alone, at every offset of a short buffer, in both cases.
        for kw in pf.keywords().to_vec() {
            for pad in 0..9 {
                for upper in [false, true] {
                    let k = if upper {
                        kw.to_ascii_uppercase()
                    } else {
                        kw.clone()
                    };
                    let hay = format!("{}{k}{}", "~".repeat(pad), "=".repeat(pad % 4));
                    let (fast, reference) = both(&pf, hay.as_bytes());
                    assert!(!reference.is_empty(), "{kw}");
                    assert_eq!(fast, reference, "{hay:?}");
                }
            }
        }
    }

    #[test]
    fn vector_and_scalar_loops_give_the_same_hits_in_the_same_order() {
        let pf = builtin();
        let Some(vector) = pf.grams.clone() else {
            panic!("the built-in keywords use the gram filter");
        };
        let scalar = GramFilter {
            simd: None,
            ..vector.clone()
        };
        // Keywords at every offset modulo 8 and 16, either case, near both
        // ends, among filler with bytes of every value.
        let mut hay: Vec<u8> = (0..=255u8).cycle().take(3000).collect();
        for (n, kw) in pf.keywords().iter().enumerate() {
            let at = (n * 37) % (hay.len() - kw.len());
            let kw = if n % 2 == 0 {
                kw.to_ascii_uppercase()
            } else {
                kw.clone()
            };
            hay[at..at + kw.len()].copy_from_slice(kw.as_bytes());
        }
        for (lo, hi, dense) in [(0, hay.len()), (1, 40), (3, 19), (5, 2999), (0, 17), (7, 7)]
            .into_iter()
            .flat_map(|(lo, hi)| [(lo, hi, false), (lo, hi, true)])
        {
            let hits = |g: &GramFilter| {
                let mut v = Vec::new();
                g.for_each(pf.keywords(), &hay[lo..hi], dense, |k, s, e| {
                    v.push((k, s, e))
                });
                v
            };
            let expected = hits(&scalar);
            assert_eq!(hits(&vector), expected, "{lo}..{hi} {dense}");
            if hi - lo > 1000 {
                assert!(expected.len() > 100, "{}", expected.len());
            }
        }
        // Text with a keyword every few bytes: the dense loop fills its
        // candidate buffer many times over.
        let hay = "Token=sk_ secret passw:API_KEY hf_ ghp_ ".repeat(400);
        for dense in [false, true] {
            let hits = |g: &GramFilter| {
                let mut v = Vec::new();
                g.for_each(pf.keywords(), hay.as_bytes(), dense, |k, s, e| {
                    v.push((k, s, e))
                });
                v
            };
            let expected = hits(&scalar);
            assert!(expected.len() > 2000, "{}", expected.len());
            assert_eq!(hits(&vector), expected, "dense {dense}");
        }
    }

    #[test]
    fn dense_hits_are_all_found() {
        let pf = builtin();
        let hay = "sk_token secret_key api_key passw pwd ".repeat(500);
        let (fast, reference) = both(&pf, hay.as_bytes());
        assert_eq!(fast, reference);
    }

    #[test]
    fn blocks_switch_between_searchers_without_losing_or_repeating_hits() {
        let pf = builtin();
        // Sparse, then dense, then sparse again, with keywords straddling
        // every block boundary.
        let mut hay = Vec::new();
        let filler = "let value = compute(items, index);\n";
        while hay.len() < 3 * BLOCK {
            hay.extend_from_slice(filler.as_bytes());
        }
        while hay.len() < 6 * BLOCK {
            hay.extend_from_slice(b"token=secret passw sk_ ");
        }
        while hay.len() < 9 * BLOCK {
            hay.extend_from_slice(filler.as_bytes());
        }
        for b in 1..9 {
            for (d, kw) in [
                (2, &b"private_key"[..]),
                (9, b"-----begin openssh private key"),
            ] {
                let at = b * BLOCK - d;
                hay[at..at + kw.len()].copy_from_slice(kw);
            }
        }
        let (fast, reference) = both(&pf, &hay);
        assert_eq!(fast.len(), reference.len());
        assert_eq!(fast, reference);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        #[test]
        fn gram_filter_equals_automaton(
            parts in proptest::collection::vec(
                prop_oneof![
                    "[ -~\n]{0,40}",
                    Just("token".to_string()),
                    Just("SECRET".to_string()),
                    Just("sk-ant-".to_string()),
                    Just("hf_".to_string()),
                    Just("AKIA".to_string()),
                    Just("ghp_".to_string()),
                    Just("Api_Key".to_string()),
                    Just("0q~".to_string()),
                ],
                0..40,
            )
        ) {
            let pf = builtin();
            let hay = parts.concat();
            let (fast, reference) = both(&pf, hay.as_bytes());
            prop_assert_eq!(fast, reference);
        }
    }
}
