//! Text helpers shared by every stage: lines and columns of byte offsets,
//! the line around an offset, and strings made safe for one line of a
//! terminal. A leaf: it imports nothing of the crate.

use base64::alphabet::{STANDARD as STANDARD_ALPHABET, URL_SAFE as URL_SAFE_ALPHABET};
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;
use memchr::{memchr, memrchr};

/// Converts byte offsets to 1-based line and column numbers. Lines end at
/// `\n`, `\r\n` or a lone `\r`; columns count characters, not bytes.
pub struct Locator<'a> {
    hay: &'a [u8],
    /// Offset and line of the last position resolved (queries must not go backwards
    /// for the fast path; going backwards restarts from 0).
    pos: usize,
    line: usize,
    /// Line and column of `hay[0]` (chunks of long lines start mid-line).
    base: (usize, usize),
    /// Columns are counted incrementally: `col_count` characters lie between
    /// the start of the current line and `col_pos`, so many findings on one
    /// long line cost one pass over it, not one pass each.
    col_pos: usize,
    col_count: usize,
}

/// The UTF-8 byte order mark, which editors do not show as a column.
const BOM: &[u8] = b"\xEF\xBB\xBF";

impl<'a> Locator<'a> {
    /// A locator over `hay`.
    pub fn new(hay: &'a [u8]) -> Self {
        Locator::with_base(hay, 1, 0)
    }

    /// A locator over a chunk whose first byte is on `line`, `column`
    /// characters after that line's start.
    pub fn with_base(hay: &'a [u8], line: usize, column: usize) -> Self {
        let mut l = Locator {
            hay,
            pos: 0,
            line,
            base: (line, column),
            col_pos: 0,
            col_count: 0,
        };
        l.reset();
        l
    }

    /// Go back to the start of `hay`.
    fn reset(&mut self) {
        self.pos = 0;
        self.line = self.base.0;
        self.col_pos = 0;
        self.col_count = self.base.1;
        // A BOM at the very start of a file takes no column.
        if self.base == (1, 0) && self.hay.starts_with(BOM) {
            self.col_pos = BOM.len();
        }
    }

    /// (line, column) of byte `offset`.
    pub fn locate(&mut self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.hay.len());
        if offset < self.pos {
            self.reset();
        }
        for i in memchr::memchr2_iter(b'\n', b'\r', &self.hay[self.pos..offset]) {
            let i = self.pos + i;
            // `\r\n` counts once, at the `\n`.
            if self.hay[i] == b'\r' && self.hay.get(i + 1) == Some(&b'\n') {
                continue;
            }
            self.line += 1;
            self.col_pos = i + 1;
            self.col_count = 0;
        }
        self.pos = offset;
        if self.col_pos < offset {
            self.col_count += self.hay[self.col_pos..offset]
                .iter()
                .filter(|&&b| (b & 0xC0) != 0x80)
                .count();
            self.col_pos = offset;
        }
        (self.line, 1 + self.col_count)
    }
}

/// How far [`line_at`] looks either side of an offset: a finding in a
/// minified bundle or a 100 MB single-line file costs this much, not the
/// whole line.
pub const LINE_CONTEXT: usize = 4096;

/// The bytes of the line holding `offset` (without its line terminator),
/// cut to [`LINE_CONTEXT`] bytes either side of `offset`, and where they start.
pub fn line_at(hay: &[u8], offset: usize) -> (usize, &[u8]) {
    let offset = offset.min(hay.len());
    let from = offset.saturating_sub(LINE_CONTEXT);
    let to = offset.saturating_add(LINE_CONTEXT).min(hay.len());
    let start = memrchr(b'\n', &hay[from..offset]).map_or(from, |i| from + i + 1);
    let end = memchr(b'\n', &hay[offset..to]).map_or(to, |i| offset + i);
    let line = &hay[start..end];
    (start, line.strip_suffix(b"\r").unwrap_or(line))
}

/// Whether `hay` contains `needle`, ASCII case ignored.
pub fn contains_ignore_case(hay: &[u8], needle: &[u8]) -> bool {
    needle.len() <= hay.len()
        && hay
            .windows(needle.len())
            .any(|w| w.eq_ignore_ascii_case(needle))
}

/// Whether `b` starts with a UTF-16 byte-order mark (little- or big-endian).
pub fn has_utf16_bom(b: &[u8]) -> bool {
    matches!(b, [0xFF, 0xFE, ..] | [0xFE, 0xFF, ..])
}

/// `s` on one line: runs of whitespace (newlines included) become one space.
pub fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Format a byte count for people.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

/// `s` with control characters escaped (`\u{1b}`, `\n`), so that a file
/// name, commit message or author in a hostile tree cannot send escape
/// sequences to the terminal.
pub fn printable(s: &str) -> std::borrow::Cow<'_, str> {
    if s.chars().any(char::is_control) {
        s.chars()
            .map(|c| {
                if c.is_control() {
                    c.escape_debug().to_string()
                } else {
                    c.to_string()
                }
            })
            .collect()
    } else {
        s.into()
    }
}

/// Decode base64, standard or URL-safe, padded or not; what follows the
/// first `=` is ignored, and so are the unused bits of the last character.
/// `None` if the text is not base64.
pub fn base64_decode(input: &[u8]) -> Option<Vec<u8>> {
    const CONFIG: GeneralPurposeConfig = GeneralPurposeConfig::new()
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent);
    const STD: GeneralPurpose = GeneralPurpose::new(&STANDARD_ALPHABET, CONFIG);
    const URL: GeneralPurpose = GeneralPurpose::new(&URL_SAFE_ALPHABET, CONFIG);
    let body = match memchr::memchr(b'=', input) {
        Some(i) => &input[..i],
        None => input,
    };
    let url = body.iter().any(|&b| b == b'-' || b == b'_');
    if url {
        URL.decode(body)
    } else {
        STD.decode(body)
    }
    .ok()
}

/// `YYYY-MM-DDTHH:MM:SS` (UTC) for a system time.
pub fn utc_timestamp(t: std::time::SystemTime) -> String {
    let secs = t
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs() as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_date(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// The civil date `(year, month, day)` of a day counted from 1970-01-01
/// (proleptic Gregorian calendar, H. Hinnant's algorithm).
pub fn civil_date(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locator_handles_crlf_and_cr() {
        let text = b"a\r\nb\rc\nd\xc3\xa9x";
        let mut l = Locator::new(text);
        assert_eq!(l.locate(0), (1, 1));
        assert_eq!(l.locate(3), (2, 1));
        assert_eq!(l.locate(5), (3, 1));
        assert_eq!(l.locate(7), (4, 1));
        assert_eq!(l.locate(10), (4, 3));
        assert_eq!(l.locate(2), (1, 3));
    }

    #[test]
    fn line_at_cuts_at_line_ends() {
        let hay = b"one\r\ntwo keyscan:allow\nthree";
        assert_eq!(line_at(hay, 6), (5, &b"two keyscan:allow"[..]));
        assert_eq!(line_at(hay, 0), (0, &b"one"[..]));
        assert_eq!(line_at(hay, hay.len()), (23, &b"three"[..]));
    }

    #[test]
    fn one_line_and_bytes() {
        assert_eq!(one_line("a\n  b\tc "), "a b c");
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
    }

    #[test]
    fn base64_of_either_alphabet() {
        assert_eq!(base64_decode(b"aGVsbG8=").unwrap(), b"hello");
        assert_eq!(base64_decode(b"aGVsbG8").unwrap(), b"hello");
        assert_eq!(
            base64_decode(b"-_-_").unwrap(),
            base64_decode(b"+/+/").unwrap()
        );
        assert!(base64_decode(b"not base64!").is_none());
    }
}
