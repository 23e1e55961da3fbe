//! A finding's line as reports show it: the secret masked in place (unless
//! `--show-secrets`), every other secret on the line masked too, long lines
//! cut around the secret, and where the secret sits in display columns so
//! that a caret line can underline it.
//!
//! It is computed where the blob is in memory (the scan driver), because
//! reporters never read files. The text is safe for one terminal line:
//! tabs become spaces, control and bidirectional-override characters
//! become `�`, and columns are counted with East Asian widths, so the
//! caret stays under the secret whatever the line holds.

use unicode_width::UnicodeWidthChar;

/// Display columns kept before the secret (an ellipsis included).
pub const BEFORE_COLS: usize = 40;
/// Display columns kept after the secret (an ellipsis included).
pub const AFTER_COLS: usize = 40;
/// Display columns of the secret itself, at most (under `--show-secrets` a
/// private key block would otherwise fill the screen).
pub const MARK_COLS: usize = 64;
/// Columns a tab takes.
const TAB: &str = "    ";

/// A finding's line, ready to print.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Excerpt {
    /// The line, one terminal line, secrets masked, cut with `…`.
    pub text: String,
    /// Display column (0-based) where the secret starts in `text`.
    pub mark: usize,
    /// Display columns the secret takes in `text` (at least 1).
    pub width: usize,
}

/// A byte range of a line to show as `with` instead of its bytes.
#[derive(Debug, Clone)]
pub struct Mask<'a> {
    /// First byte, relative to the line.
    pub start: usize,
    /// One past the last byte, relative to the line (may lie past its end).
    pub end: usize,
    /// What to show instead.
    pub with: &'a str,
}

/// The excerpt of `line` with the secret at bytes `mark` (relative to the
/// line; its end may lie past the line's end, for a secret of several
/// lines) and `masks` applied (in any order, possibly overlapping; those
/// overlapping the secret widen it).
pub fn excerpt(line: &[u8], mark: (usize, usize), masks: &[Mask<'_>]) -> Excerpt {
    let len = line.len();
    let mut ms = mark.0.min(len);
    let mut me = mark.1.clamp(ms, len);
    // Masks clipped to the line and merged: the first of overlapping masks
    // gives the text shown.
    let mut spans: Vec<(usize, usize, &str)> = masks
        .iter()
        .filter(|m| m.start < len && m.end > m.start)
        .map(|m| (m.start, m.end.min(len), m.with))
        .collect();
    spans.sort_by_key(|s| (s.0, std::cmp::Reverse(s.1)));
    let mut merged: Vec<(usize, usize, &str)> = Vec::with_capacity(spans.len());
    for s in spans {
        match merged.last_mut() {
            Some(last) if s.0 < last.1 => last.1 = last.1.max(s.1),
            _ => merged.push(s),
        }
    }
    for s in &merged {
        if s.0 < me.max(ms + 1) && s.1 > ms {
            ms = ms.min(s.0);
            me = me.max(s.1);
        }
    }
    let before = render(line, 0, ms, &merged);
    let secret = render(line, ms, me, &merged);
    let after = render(line, me, len, &merged);
    let before = cut_left(&before, BEFORE_COLS);
    let secret = cut_right(&secret, MARK_COLS);
    let after = cut_right(&after, AFTER_COLS);
    let mark = width(&before);
    let w = width(&secret).max(1);
    Excerpt {
        text: format!("{before}{secret}{after}"),
        mark,
        width: w,
    }
}

/// Bytes `from..to` of `line`, with the masks that start there shown as
/// their text, made safe for a terminal line.
fn render(line: &[u8], from: usize, to: usize, masks: &[(usize, usize, &str)]) -> String {
    let mut out = String::new();
    let mut i = from;
    for &(s, e, with) in masks {
        if e <= from || s >= to {
            continue;
        }
        if s > i {
            push_safe(&mut out, &line[i..s]);
        }
        if s >= from {
            push_safe(&mut out, with.as_bytes());
        }
        i = i.max(e.min(to));
    }
    if i < to {
        push_safe(&mut out, &line[i..to]);
    }
    out
}

/// Append `bytes` as text safe for one terminal line.
fn push_safe(out: &mut String, bytes: &[u8]) {
    for c in String::from_utf8_lossy(bytes).chars() {
        match c {
            '\t' => out.push_str(TAB),
            '\u{feff}' => {}
            c if c.is_control() || is_bidi_control(c) => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
}

/// Characters that reorder text on display (Trojan Source).
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Display columns of `s`.
pub fn width(s: &str) -> usize {
    s.chars().map(|c| c.width().unwrap_or(0)).sum()
}

/// The end of `s` in at most `cols` columns, `…` first when cut.
fn cut_left(s: &str, cols: usize) -> String {
    if width(s) <= cols {
        return s.to_string();
    }
    let mut w = 1;
    let mut start = s.len();
    for (i, c) in s.char_indices().rev() {
        let cw = c.width().unwrap_or(0);
        if w + cw > cols {
            break;
        }
        w += cw;
        start = i;
    }
    format!("…{}", &s[start..])
}

/// The start of `s` in at most `cols` columns, `…` last when cut.
fn cut_right(s: &str, cols: usize) -> String {
    if width(s) <= cols {
        return s.to_string();
    }
    let mut w = 1;
    let mut out = String::new();
    for c in s.chars() {
        let cw = c.width().unwrap_or(0);
        if w + cw > cols {
            break;
        }
        w += cw;
        out.push(c);
    }
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mask(start: usize, end: usize, with: &str) -> Mask<'_> {
        Mask { start, end, with }
    }

    #[test]
    fn the_secret_is_masked_in_place_and_marked() {
        let line = b"TOKEN = \"abcdefghijklmnop\" # prod";
        let e = excerpt(line, (9, 25), &[mask(9, 25, "ab****op")]);
        assert_eq!(e.text, "TOKEN = \"ab****op\" # prod");
        assert_eq!((e.mark, e.width), (9, 8));
    }

    #[test]
    fn without_masks_the_secret_is_shown() {
        let e = excerpt(b"k=secret1234", (2, 12), &[]);
        assert_eq!(e.text, "k=secret1234");
        assert_eq!((e.mark, e.width), (2, 10));
    }

    #[test]
    fn other_secrets_on_the_line_are_masked() {
        let line = b"a=AAAAAAAAAAAA b=BBBBBBBBBBBB";
        let masks = [mask(2, 14, "AA**"), mask(17, 29, "BB**")];
        let e = excerpt(line, (17, 29), &masks);
        assert_eq!(e.text, "a=AA** b=BB**");
        assert_eq!((e.mark, e.width), (9, 4));
    }

    #[test]
    fn long_lines_are_cut_around_the_secret() {
        let mut line = "x".repeat(100);
        line.push_str("SECRETVALUE");
        line.push_str(&"y".repeat(100));
        let e = excerpt(line.as_bytes(), (100, 111), &[mask(100, 111, "SE***")]);
        assert_eq!(
            e.text,
            format!("…{}SE***{}…", "x".repeat(39), "y".repeat(39))
        );
        assert_eq!((e.mark, e.width), (40, 5));
        assert!(!e.text.contains("SECRETVALUE"));
    }

    #[test]
    fn tabs_wide_characters_and_controls_keep_the_caret_aligned() {
        let line = "\t名前=\u{1b}[31mKEY123456789".as_bytes();
        let start = line.len() - 12;
        let e = excerpt(
            line,
            (start, line.len()),
            &[mask(start, line.len(), "KE**")],
        );
        assert_eq!(e.text, "    名前=\u{fffd}[31mKE**");
        // 4 (tab) + 4 (two wide characters) + 1 (=) + 1 (�) + 4 ([31m).
        assert_eq!((e.mark, e.width), (14, 4));
        assert!(!e.text.contains('\u{1b}'));
    }

    #[test]
    fn a_secret_running_past_the_line_is_marked_to_its_end() {
        let line = b"-----BEGIN RSA PRIVATE KEY-----";
        let e = excerpt(
            line,
            (0, 500),
            &[mask(0, 500, "-----BEGIN RSA PRIVATE KEY-----****ab")],
        );
        assert_eq!(e.text, "-----BEGIN RSA PRIVATE KEY-----****ab");
        assert_eq!((e.mark, e.width), (0, 37));
    }

    #[test]
    fn an_overlapping_mask_widens_the_secret() {
        // A second rule matched a longer span around the secret.
        let line = b"id=AAAA-SECRET-BBBB;";
        let e = excerpt(
            line,
            (8, 14),
            &[mask(8, 14, "SE**"), mask(3, 19, "AAAA****")],
        );
        assert_eq!(e.text, "id=AAAA****;");
        assert_eq!((e.mark, e.width), (3, 8));
    }

    #[test]
    fn invalid_utf8_and_bidi_controls_are_replaced() {
        let mut line = b"a\xffb".to_vec();
        line.extend_from_slice("\u{202e}c=SECRET".as_bytes());
        let n = line.len();
        let e = excerpt(&line, (n - 6, n), &[mask(n - 6, n, "S**")]);
        assert_eq!(e.text, "a\u{fffd}b\u{fffd}c=S**");
        assert_eq!(e.mark, 6);
    }
}
