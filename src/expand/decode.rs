//! Encoded secrets: base64 where secrets are conventionally stored encoded.
//!
//! The places are found by rules that carry a `handler` (see
//! `rules/encoded.toml`), so the keyword prefilter finds them at no extra
//! cost in every source: HTTP Basic `Authorization` headers and Docker
//! registry `auth` values (`handler = "base64"`), and Kubernetes Secret
//! manifests (`handler = "kubernetes-secret"`), whose `data:` values are
//! all decoded. The decoded bytes go through the whole detector again (so a
//! `.dockerconfigjson` inside a Secret is decoded in turn), and a finding
//! inside is reported at the encoded text with a note saying it was decoded.
//!
//! Credentials in `user:password` form are also shown to the rules as a
//! `password = ...` assignment, so that the generic rule's entropy checks
//! judge a password that matches no provider's format.
//!
//! The work is bounded per blob ([`MAX_VALUES`], [`MAX_BYTES`]) and in depth
//! ([`MAX_LEVEL`]).

use memchr::memmem;

use super::DecodeBudget;

/// Decodings inside decodings: a Secret's `.dockerconfigjson`, then its `auth`.
pub const MAX_LEVEL: u32 = 3;
/// Values decoded per blob.
pub const MAX_VALUES: u32 = 1024;
/// Decoded bytes per blob.
pub const MAX_BYTES: usize = 4 * 1024 * 1024;
/// Longest encoded value decoded.
const MAX_ENCODED: usize = 1024 * 1024;

/// Where encoded values are, as the rule that found the place says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoded {
    /// The match itself is base64 (an HTTP Basic header, a Docker auth).
    Base64,
    /// The match marks a Kubernetes Secret manifest: its `data:` values are.
    KubernetesSecret,
}

/// One decoded value: a child blob of the text it was found in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Value {
    /// The encoded text in the parent: every finding inside the value is
    /// located here.
    pub span: (usize, usize),
    /// The text to scan: the decoded bytes, as `name: value` when the value
    /// is stored under a name (a Secret's `OPENAI_API_KEY: <base64>`, so
    /// that rules which need the provider's name next to a key see it), or
    /// read as `user:password`, which is also shown to the rules as a
    /// `password = ...` line.
    pub text: Vec<u8>,
    /// What the value is, for the finding's note: the rule's name, and the
    /// key under which a Secret stores it.
    pub label: String,
    /// The user and password of a value read as `user:password`.
    pub userinfo: Option<(Vec<u8>, Vec<u8>)>,
}

/// The values to decode for one match of a handler rule named `rule_name`;
/// `[start, end)` is the rule's secret. Bounded by `budget`.
pub fn values(
    handler: Encoded,
    hay: &[u8],
    start: usize,
    end: usize,
    budget: &mut DecodeBudget,
    rule_name: &str,
) -> Vec<Value> {
    let mut out = Vec::new();
    match handler {
        Encoded::Base64 => {
            out.extend(decode_one(
                hay,
                (start, end),
                rule_name.to_string(),
                None,
                budget,
            ));
        }
        Encoded::KubernetesSecret => {
            // A manifest holding several Secrets triggers once per Secret;
            // each value is decoded once.
            for (name, s, e) in kube_data(hay, start) {
                let key = hay.as_ptr() as usize + s;
                if budget.seen.contains(&key) {
                    continue;
                }
                budget.seen.push(key);
                let label = format!("{rule_name} `{name}`");
                out.extend(decode_one(hay, (s, e), label, Some(&name), budget));
            }
        }
    }
    out
}

/// Decode `hay[span]` within the budget.
fn decode_one(
    hay: &[u8],
    span: (usize, usize),
    label: String,
    name: Option<&str>,
    budget: &mut DecodeBudget,
) -> Option<Value> {
    let (s, e) = span;
    if budget.values == 0 || e - s > MAX_ENCODED {
        return None;
    }
    let encoded = &hay[s..e];
    // A value over several lines (a YAML block scalar) is read without its
    // line breaks and indentation, which base64 text never holds.
    let decoded = if encoded.iter().any(u8::is_ascii_whitespace) {
        let compact: Vec<u8> = encoded
            .iter()
            .copied()
            .filter(|c| !c.is_ascii_whitespace())
            .collect();
        base64(&compact)?
    } else {
        base64(encoded)?
    };
    if decoded.len() > budget.bytes {
        return None;
    }
    budget.values -= 1;
    budget.bytes -= decoded.len();
    let (text, userinfo) = match name {
        Some(name) => ([name.as_bytes(), b": ", &decoded].concat(), None),
        None => {
            let mut t = decoded;
            let userinfo = add_password_line(&mut t);
            (t, userinfo)
        }
    };
    Some(Value {
        span,
        text,
        label,
        userinfo,
    })
}

/// `user:password` → also `password = password` on a line of its own.
/// Returns the user and the password when it added the line.
fn add_password_line(text: &mut Vec<u8>) -> Option<(Vec<u8>, Vec<u8>)> {
    // `echo user:password | base64` encodes the newline too.
    while text.last().is_some_and(|&b| b == b'\n' || b == b'\r') {
        text.pop();
    }
    let colon = memchr::memchr(b':', text)?;
    let ok = colon > 0
        && colon + 1 < text.len()
        && text.iter().all(|&b| (0x21..0x7f).contains(&b) || b >= 0x80);
    if !ok {
        return None;
    }
    let user = text[..colon].to_vec();
    let pass = text[colon + 1..].to_vec();
    text.extend_from_slice(b"\npassword = ");
    text.extend_from_slice(&pass);
    text.push(b'\n');
    Some((user, pass))
}

/// Decode standard or URL-safe base64, padded or not. `None` for anything
/// that is not base64 (so plain text under `data:` decodes to nothing).
pub fn base64(s: &[u8]) -> Option<Vec<u8>> {
    let s = match s.iter().position(|&c| c == b'=') {
        Some(p) if s[p..].iter().all(|&c| c == b'=') && s.len() - p <= 2 => &s[..p],
        Some(_) => return None,
        None => s,
    };
    if s.len() % 4 == 1 || s.is_empty() {
        return None;
    }
    crate::text::base64_decode(s)
}

/// The values under the `data:` of the Kubernetes manifest whose `kind:
/// Secret` is at `at`: (key, start, end) of each encoded value. YAML (block
/// style) and JSON manifests are read; anything else yields nothing.
pub fn kube_data(hay: &[u8], at: usize) -> Vec<(String, usize, usize)> {
    let line_start = memchr::memrchr(b'\n', &hay[..at]).map_or(0, |i| i + 1);
    if memmem::find(&hay[line_start..at], b"\"kind\"").is_some() {
        json_data(hay)
    } else {
        yaml_data(hay, at, line_start)
    }
}

/// Indentation of a YAML line, counting a list item's `- ` as indentation.
fn indent(line: &[u8]) -> usize {
    let mut i = 0;
    loop {
        match line.get(i) {
            Some(b' ') => i += 1,
            Some(b'-') if line.get(i + 1) == Some(&b' ') => i += 2,
            _ => return i,
        }
    }
}

fn yaml_data(hay: &[u8], at: usize, trigger_line: usize) -> Vec<(String, usize, usize)> {
    // The YAML document holding the trigger.
    let doc_start = memmem::rfind(&hay[..at], b"\n---").map_or(0, |i| i + 1);
    let doc_end = memmem::find(&hay[at..], b"\n---").map_or(hay.len(), |i| at + i);
    let level = indent(&hay[trigger_line..]);
    let mut out = Vec::new();
    let mut pos = doc_start;
    let mut in_data: Option<usize> = None; // child indentation, once known
    let mut data_open = false;
    while pos < doc_end {
        let eol = memchr::memchr(b'\n', &hay[pos..doc_end]).map_or(doc_end, |i| pos + i);
        let raw = &hay[pos..eol];
        let line = raw.strip_suffix(b"\r").unwrap_or(raw);
        let body = line.trim_ascii();
        if !body.is_empty() && !body.starts_with(b"#") {
            let ind = indent(line);
            if data_open && ind > level {
                let child = *in_data.get_or_insert(ind);
                if ind == child {
                    if let Some(mut v) = key_value(hay, pos + ind, pos + line.len()) {
                        if is_block_indicator(&hay[v.1..v.2]) {
                            // `key: |` or `key: >-`: the value is the more
                            // indented lines that follow.
                            let (s, e, next) = block_scalar(hay, eol, doc_end, child);
                            (v.1, v.2) = (s, e);
                            pos = next;
                            if e > s {
                                out.push(v);
                            }
                            continue;
                        }
                        out.push(v);
                    }
                }
            } else {
                data_open = false;
                in_data = None;
                if ind == level && line[ind..].trim_ascii_end() == b"data:" {
                    data_open = true;
                }
            }
        }
        pos = eol + 1;
    }
    out
}

/// Whether a YAML value is a block scalar header: `|` or `>`, then an
/// optional chomping indicator and indentation digit (`|-`, `>+`, `|2`).
fn is_block_indicator(v: &[u8]) -> bool {
    matches!(v.first(), Some(b'|' | b'>'))
        && v.len() <= 3
        && v[1..]
            .iter()
            .all(|&c| matches!(c, b'-' | b'+' | b'1'..=b'9'))
}

/// The block scalar whose header line ends at `eol`, under a key indented
/// by `key_indent`: the span from its first content byte to the end of its
/// last non-blank line, and where the line after it starts.
fn block_scalar(
    hay: &[u8],
    eol: usize,
    doc_end: usize,
    key_indent: usize,
) -> (usize, usize, usize) {
    let mut pos = eol + 1;
    let (mut start, mut end) = (usize::MAX, 0);
    while pos < doc_end {
        let line_end = memchr::memchr(b'\n', &hay[pos..doc_end]).map_or(doc_end, |i| pos + i);
        let line = &hay[pos..line_end];
        let body = line.trim_ascii();
        if !body.is_empty() {
            let ind = line.iter().take_while(|&&c| c == b' ').count();
            if ind <= key_indent {
                break;
            }
            start = start.min(pos + ind);
            end = pos + line.trim_ascii_end().len();
        }
        pos = line_end + 1;
    }
    if start == usize::MAX {
        (eol, eol, pos)
    } else {
        (start, end, pos)
    }
}

/// `key: value` on `hay[s..e]` (a YAML mapping entry).
fn key_value(hay: &[u8], s: usize, e: usize) -> Option<(String, usize, usize)> {
    let line = &hay[s..e];
    let colon = memmem::find(line, b": ")?;
    let key = String::from_utf8_lossy(line[..colon].trim_ascii())
        .trim_matches(['"', '\''])
        .to_string();
    let mut vs = s + colon + 2;
    let mut ve = e;
    while vs < ve && hay[vs] == b' ' {
        vs += 1;
    }
    if let Some(i) = memmem::find(&hay[vs..ve], b" #") {
        ve = vs + i;
    }
    while ve > vs && hay[ve - 1].is_ascii_whitespace() {
        ve -= 1;
    }
    if ve - vs >= 2 && matches!(hay[vs], b'"' | b'\'') && hay[ve - 1] == hay[vs] {
        vs += 1;
        ve -= 1;
    }
    (ve > vs).then_some((key, vs, ve))
}

/// The string values of every `"data": {...}` object of a JSON manifest.
fn json_data(hay: &[u8]) -> Vec<(String, usize, usize)> {
    let mut out = Vec::new();
    for i in memmem::find_iter(hay, b"\"data\"") {
        let mut p = i + 6;
        let skip_ws = |p: &mut usize| {
            while *p < hay.len() && hay[*p].is_ascii_whitespace() {
                *p += 1;
            }
        };
        skip_ws(&mut p);
        if hay.get(p) != Some(&b':') {
            continue;
        }
        p += 1;
        skip_ws(&mut p);
        if hay.get(p) != Some(&b'{') {
            continue;
        }
        p += 1;
        // "key": "value" pairs, until the closing brace.
        loop {
            skip_ws(&mut p);
            let Some(key) = json_string(hay, &mut p) else {
                break;
            };
            skip_ws(&mut p);
            if hay.get(p) != Some(&b':') {
                break;
            }
            p += 1;
            skip_ws(&mut p);
            let vs = p + 1;
            if json_string(hay, &mut p).is_none() {
                break;
            }
            out.push((
                String::from_utf8_lossy(&hay[key.0..key.1]).into_owned(),
                vs,
                p - 1,
            ));
            skip_ws(&mut p);
            if hay.get(p) != Some(&b',') {
                break;
            }
            p += 1;
        }
    }
    out
}

/// A JSON string without escapes at `*p`; moves past it.
fn json_string(hay: &[u8], p: &mut usize) -> Option<(usize, usize)> {
    if hay.get(*p) != Some(&b'"') {
        return None;
    }
    let s = *p + 1;
    let len = memchr::memchr2(b'"', b'\\', &hay[s..])?;
    if hay[s + len] != b'"' {
        return None;
    }
    *p = s + len + 1;
    Some((s, s + len))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_variants() {
        assert_eq!(base64(b"aGVsbG8=").unwrap(), b"hello");
        assert_eq!(base64(b"aGVsbG8").unwrap(), b"hello");
        assert_eq!(base64(b"aGVsbG8h").unwrap(), b"hello!");
        assert_eq!(base64(b"-_-_").unwrap(), base64(b"+/+/").unwrap());
        assert!(base64(b"not base64!").is_none());
        assert!(base64(b"a").is_none());
        assert!(base64(b"ab=c").is_none());
        assert!(base64(b"").is_none());
    }

    #[test]
    fn kubernetes_yaml_data() {
        let y = b"apiVersion: v1\nkind: Secret\nmetadata:\n  name: x\ndata:\n  api-key: YWJj   # note\n  \"tls.key\": 'ZGVm'\n  nested:\n    deep: eHl6\ntype: Opaque\n---\nkind: ConfigMap\ndata:\n  a: Yg==\n";
        let at = memmem::find(y, b"Secret").unwrap();
        let v = kube_data(y, at);
        let got: Vec<(&str, &[u8])> = v.iter().map(|(k, s, e)| (k.as_str(), &y[*s..*e])).collect();
        assert_eq!(got, [("api-key", &b"YWJj"[..]), ("tls.key", b"ZGVm")]);
    }

    #[test]
    fn kubernetes_yaml_block_scalars() {
        let y = b"kind: Secret\ndata:\n  a: |\n    YWJj\n    ZGVm\n\n  b: >-\n    eHl6\n  c: |2\n  d: Yg==\ntype: Opaque\n";
        let at = memmem::find(y, b"Secret").unwrap();
        let v = kube_data(y, at);
        let got: Vec<(&str, &[u8])> = v.iter().map(|(k, s, e)| (k.as_str(), &y[*s..*e])).collect();
        assert_eq!(
            got,
            [
                ("a", &b"YWJj\n    ZGVm"[..]),
                ("b", b"eHl6"),
                ("d", b"Yg==")
            ]
        );
        let mut budget = DecodeBudget::default();
        let values = values(Encoded::KubernetesSecret, y, at, at + 6, &mut budget, "k8s");
        assert_eq!(values[0].text, b"a: abcdef");
    }

    #[test]
    fn kubernetes_list_items() {
        let y = b"kind: List\nitems:\n- apiVersion: v1\n  kind: Secret\n  data:\n    k: YWJj\n- kind: Other\n  spec: {}\n";
        let at = memmem::find(y, b"Secret").unwrap();
        let v = kube_data(y, at);
        assert_eq!(v.len(), 1);
        assert_eq!(&y[v[0].1..v[0].2], b"YWJj");
    }

    #[test]
    fn kubernetes_json_data() {
        let j = br#"{"kind": "Secret", "data": {"a": "YWJj", "b":"ZGVm"}, "type": "Opaque"}"#;
        let at = memmem::find(j, b"Secret").unwrap();
        let v = kube_data(j, at);
        let keys: Vec<&str> = v.iter().map(|x| x.0.as_str()).collect();
        assert_eq!(keys, ["a", "b"]);
        assert_eq!(&j[v[1].1..v[1].2], b"ZGVm");
    }

    #[test]
    fn password_line() {
        let mut t = b"user:s3cret".to_vec();
        add_password_line(&mut t);
        assert_eq!(t, b"user:s3cret\npassword = s3cret\n");
        let mut t = b"no colon here".to_vec();
        add_password_line(&mut t);
        assert_eq!(t, b"no colon here");
        // `echo user:password | base64` keeps the newline.
        let mut t = b"dockerman:s3cret\n".to_vec();
        assert_eq!(
            add_password_line(&mut t),
            Some((b"dockerman".to_vec(), b"s3cret".to_vec()))
        );
        assert_eq!(t, b"dockerman:s3cret\npassword = s3cret\n");
    }
}
