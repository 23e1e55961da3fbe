//! Inline allow comments: `keyscan:allow` on the line of a finding
//! suppresses it, `keyscan:allow RULE_ID` only that rule's. The markers of
//! gitleaks and betterleaks (`gitleaks:allow`, `betterleaks:allow`) are
//! honoured too, so teams can migrate without touching their code. The
//! marker is found in any comment syntax because it is looked for as text
//! anywhere on the line.

use memchr::memmem;

use crate::text::line_at;

const MARKERS: &[&[u8]] = &[b"keyscan:allow", b"gitleaks:allow", b"betterleaks:allow"];

/// Whether `line` carries an allow marker that covers `rule_id`.
pub fn line_allows(line: &[u8], rule_id: &str) -> bool {
    if memmem::find(line, b":allow").is_none() {
        return false;
    }
    for marker in MARKERS {
        let mut from = 0;
        while let Some(i) = memmem::find(&line[from..], marker) {
            let after = &line[from + i + marker.len()..];
            // `keyscan:allow` alone, or followed by a rule id.
            let rest = after
                .strip_prefix(b" ")
                .or_else(|| after.strip_prefix(b"="))
                .or_else(|| after.strip_prefix(b":"));
            match rest {
                Some(rest)
                    if rest
                        .first()
                        .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit()) =>
                {
                    let id_len = rest
                        .iter()
                        .position(|b| !(b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-'))
                        .unwrap_or(rest.len());
                    let ids = &rest[..id_len];
                    if ids == rule_id.as_bytes() || !marker.starts_with(b"keyscan") {
                        return true;
                    }
                }
                _ => return true,
            }
            from += i + marker.len();
        }
    }
    false
}

/// Whether a finding spanning `[start, end)` of `hay` is allowed inline: the
/// marker may sit on the first or the last line of the secret, within
/// [`LINE_CONTEXT`] bytes of it.
pub fn is_allowed(hay: &[u8], start: usize, end: usize, rule_id: &str) -> bool {
    // Only the finding's own lines are looked at, and only near it: never the
    // whole blob or a whole minified line, which would make a file with many
    // findings quadratic.
    let (first_at, first) = line_at(hay, start);
    if line_allows(first, rule_id) {
        return true;
    }
    end > start && {
        let (last_at, last) = line_at(hay, end - 1);
        last_at != first_at && line_allows(last, rule_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::LINE_CONTEXT;

    #[test]
    fn markers_in_comment_syntaxes() {
        for line in [
            "key = 'abc' # keyscan:allow",
            "const k = 'abc'; // keyscan:allow",
            "<!-- keyscan:allow --> abc",
            "abc /* keyscan:allow */",
            "-- keyscan:allow",
            "k = 'abc' ; gitleaks:allow",
            "k = 'abc' # betterleaks:allow",
        ] {
            assert!(line_allows(line.as_bytes(), "any-rule"), "{line}");
        }
    }

    #[test]
    fn rule_specific_marker() {
        let l = b"k = 'abc' # keyscan:allow openai-project-key";
        assert!(line_allows(l, "openai-project-key"));
        assert!(!line_allows(l, "github-pat"));
        assert!(line_allows(b"x # keyscan:allow, reviewed", "github-pat"));
    }

    #[test]
    fn line_extraction() {
        let hay = b"one\r\ntwo keyscan:allow\nthree";
        assert!(is_allowed(hay, 5, 8, "r"));
        assert!(!is_allowed(hay, 0, 2, "r"));
    }

    #[test]
    fn long_lines_are_cut_around_the_offset() {
        let mut hay = vec![b'x'; 3 * LINE_CONTEXT];
        hay.extend_from_slice(b" keyscan:allow\nnext");
        let at = 2 * LINE_CONTEXT;
        let (start, line) = line_at(&hay, at);
        assert_eq!(start, at - LINE_CONTEXT);
        assert_eq!(line.len(), 2 * LINE_CONTEXT);
        // A marker beyond the context does not count; one within does.
        assert!(!is_allowed(&hay, 10, 20, "r"));
        assert!(is_allowed(&hay, at + 100, at + 120, "r"));
    }
}
