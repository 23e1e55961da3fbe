//! Jupyter notebooks: the JSON is parsed, and each cell's source and each
//! output (stream text, rich data, tracebacks) is decoded from its JSON
//! strings and scanned as the text a user sees. Keys printed into outputs
//! are common, and a key whose JSON form is split by escapes (`\n`, `\"`,
//! `\u00..`) is whole again once decoded.
//!
//! [`parse`] returns the parts (child blobs, each with the offset map from
//! its decoded bytes back to the raw file) and the raw spans they cover.
//! The scan driver locates a finding at the file line and column of its
//! first character and notes the cell, the output and the line within the
//! cell. The parts of the file outside the decoded strings (metadata,
//! widget state) are scanned as raw bytes; image outputs are skipped. A
//! file that does not parse is scanned as plain text, with a warning.
//!
//! The parser is a small recursive-descent reader over bytes, because
//! `serde_json` does not report where a string sits in its input. Nesting
//! is bounded, so no input can exhaust the stack.

use memchr::{memchr2, memmem};

use super::OffsetMap;

/// Deepest JSON nesting accepted.
const MAX_DEPTH: u32 = 128;

/// Whether a path-less blob (from git history) is a notebook: a JSON object
/// whose last bytes hold `"nbformat"` (Jupyter writes keys sorted, so it
/// comes last).
pub fn looks_like(b: &[u8]) -> bool {
    let start = b.iter().position(|c| !c.is_ascii_whitespace());
    start.is_some_and(|i| b[i] == b'{')
        && memmem::find(&b[b.len().saturating_sub(256)..], b"\"nbformat").is_some()
}

/// Decoded text of one cell part, with the map back to raw offsets.
#[derive(Debug, Default)]
pub struct Text {
    /// The decoded bytes.
    pub buf: Vec<u8>,
    /// From decoded offsets to the file's: each literal run and each
    /// escape is a run of its own.
    pub map: OffsetMap,
}

impl Text {
    /// The raw offset of decoded offset `d`.
    pub fn raw(&self, d: usize) -> usize {
        self.map.span(d, d + 1).0
    }

    fn mark(&mut self, raw: usize) {
        self.map.mark(self.buf.len(), raw);
    }
}

/// One scanned part of a notebook.
#[derive(Debug)]
pub struct Part {
    /// "cell 3" or "cell 3, output 1".
    pub label: String,
    /// Its text.
    pub text: Text,
}

/// A parsed notebook: the parts to scan, and the raw spans they (and the
/// skipped images) cover.
#[derive(Debug, Default)]
pub struct Notebook {
    /// Cell sources and outputs.
    pub parts: Vec<Part>,
    /// Sorted raw spans not to scan as raw bytes.
    pub covered: Vec<(usize, usize)>,
}

/// A file that is not a notebook (not JSON, or JSON of another shape): what
/// is wrong and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct NotebookError(pub String);

/// Parse a notebook's cells.
pub fn parse(b: &[u8]) -> Result<Notebook, NotebookError> {
    parse_inner(b).map_err(NotebookError)
}

fn parse_inner(b: &[u8]) -> Result<Notebook, String> {
    let mut p = Parser {
        b,
        i: 0,
        depth: 0,
        nb: Notebook::default(),
    };
    p.ws();
    if p.peek() != Some(b'{') {
        return Err("not a JSON object".into());
    }
    p.object(|p, key| {
        match key {
            b"cells" => p.cells(),
            // nbformat 3 kept cells in worksheets.
            b"worksheets" => p.array(|p, _| {
                p.object(|p, key| match key {
                    b"cells" => p.cells(),
                    _ => p.skip_value(),
                })
            }),
            _ => p.skip_value(),
        }
    })?;
    p.ws();
    if p.i != b.len() {
        return Err(format!("trailing bytes at offset {}", p.i));
    }
    let mut nb = p.nb;
    nb.covered.sort_unstable();
    Ok(nb)
}

struct Parser<'a> {
    b: &'a [u8],
    i: usize,
    depth: u32,
    nb: Notebook,
}

type Res = Result<(), String>;

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    fn err<T>(&self, what: &str) -> Result<T, String> {
        Err(format!("{what} at offset {}", self.i))
    }

    fn expect(&mut self, c: u8) -> Res {
        self.ws();
        if self.peek() == Some(c) {
            self.i += 1;
            Ok(())
        } else {
            self.err(&format!("expected `{}`", c as char))
        }
    }

    fn enter(&mut self) -> Res {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return self.err("nesting too deep");
        }
        Ok(())
    }

    /// `{ "key": value, ... }`, calling `f` with each raw key (escapes are
    /// not decoded: the keys looked for have none) positioned at its value.
    fn object(&mut self, mut f: impl FnMut(&mut Self, &[u8]) -> Res) -> Res {
        self.enter()?;
        self.expect(b'{')?;
        self.ws();
        if self.peek() == Some(b'}') {
            self.i += 1;
            self.depth -= 1;
            return Ok(());
        }
        loop {
            self.ws();
            let (s, e) = self.skip_string()?;
            let key = &self.b[s..e];
            self.expect(b':')?;
            self.ws();
            f(self, key)?;
            self.ws();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b'}') => {
                    self.i += 1;
                    self.depth -= 1;
                    return Ok(());
                }
                _ => return self.err("expected `,` or `}`"),
            }
        }
    }

    /// `[ value, ... ]`, calling `f` with each index positioned at its value.
    fn array(&mut self, mut f: impl FnMut(&mut Self, usize) -> Res) -> Res {
        self.enter()?;
        self.expect(b'[')?;
        self.ws();
        if self.peek() == Some(b']') {
            self.i += 1;
            self.depth -= 1;
            return Ok(());
        }
        let mut n = 0;
        loop {
            self.ws();
            f(self, n)?;
            n += 1;
            self.ws();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b']') => {
                    self.i += 1;
                    self.depth -= 1;
                    return Ok(());
                }
                _ => return self.err("expected `,` or `]`"),
            }
        }
    }

    /// Skip a string; returns the raw span of its contents.
    fn skip_string(&mut self) -> Result<(usize, usize), String> {
        if self.peek() != Some(b'"') {
            return self.err("expected a string");
        }
        self.i += 1;
        let start = self.i;
        loop {
            match memchr2(b'"', b'\\', &self.b[self.i..]) {
                Some(k) if self.b[self.i + k] == b'"' => {
                    let end = self.i + k;
                    self.i = end + 1;
                    return Ok((start, end));
                }
                Some(k) if self.i + k + 2 <= self.b.len() => self.i += k + 2,
                _ => return self.err("unterminated string"),
            }
        }
    }

    /// Decode a string, appending it to `t`.
    fn string_into(&mut self, t: &mut Text) -> Res {
        if self.peek() != Some(b'"') {
            return self.err("expected a string");
        }
        self.i += 1;
        t.mark(self.i);
        loop {
            let Some(k) = memchr2(b'"', b'\\', &self.b[self.i..]) else {
                return self.err("unterminated string");
            };
            t.buf.extend_from_slice(&self.b[self.i..self.i + k]);
            self.i += k;
            if self.b[self.i] == b'"' {
                self.i += 1;
                return Ok(());
            }
            let esc = self.i;
            t.mark(esc);
            let c = *self.b.get(esc + 1).ok_or("unterminated escape")?;
            self.i += 2;
            match c {
                b'"' | b'\\' | b'/' => t.buf.push(c),
                b'n' => t.buf.push(b'\n'),
                b't' => t.buf.push(b'\t'),
                b'r' => t.buf.push(b'\r'),
                b'b' => t.buf.push(8),
                b'f' => t.buf.push(12),
                b'u' => {
                    let mut u = self.hex4()?;
                    if (0xD800..0xDC00).contains(&u) && self.b[self.i..].starts_with(b"\\u") {
                        let save = self.i;
                        self.i += 2;
                        let lo = self.hex4()?;
                        if (0xDC00..0xE000).contains(&lo) {
                            u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
                        } else {
                            self.i = save;
                        }
                    }
                    let ch = char::from_u32(u).unwrap_or(char::REPLACEMENT_CHARACTER);
                    let mut tmp = [0u8; 4];
                    t.buf.extend_from_slice(ch.encode_utf8(&mut tmp).as_bytes());
                }
                _ => return self.err("invalid escape"),
            }
            t.mark(self.i);
        }
    }

    fn hex4(&mut self) -> Result<u32, String> {
        let h = self
            .b
            .get(self.i..self.i + 4)
            .ok_or("truncated \\u escape")?;
        let s = std::str::from_utf8(h).map_err(|_| "invalid \\u escape")?;
        let v = u32::from_str_radix(s, 16).map_err(|_| format!("invalid \\u escape {s:?}"))?;
        self.i += 4;
        Ok(v)
    }

    /// A string or an array of strings, decoded into one text (Jupyter
    /// stores multi-line text as an array of lines, each with its `\n`).
    /// Other values are skipped and yield `None`.
    fn text(&mut self) -> Result<Option<Text>, String> {
        let start = self.i;
        let mut t = Text::default();
        match self.peek() {
            Some(b'"') => self.string_into(&mut t)?,
            Some(b'[') => {
                let mut all_strings = true;
                self.array(|p, _| {
                    if p.peek() == Some(b'"') {
                        p.string_into(&mut t)
                    } else {
                        all_strings = false;
                        p.skip_value()
                    }
                })?;
                if !all_strings {
                    return Ok(None);
                }
            }
            _ => {
                self.skip_value()?;
                return Ok(None);
            }
        }
        self.nb.covered.push((start, self.i));
        Ok(Some(t))
    }

    fn part(&mut self, label: String) -> Res {
        if let Some(text) = self.text()? {
            if !text.buf.is_empty() {
                self.nb.parts.push(Part { label, text });
            }
        }
        Ok(())
    }

    fn cells(&mut self) -> Res {
        self.array(|p, n| {
            let cell = n + 1;
            p.object(|p, key| match key {
                b"source" | b"input" => p.part(format!("{cell}")),
                b"outputs" => p.array(|p, o| {
                    let label = format!("{cell}, output {}", o + 1);
                    p.object(|p, key| match key {
                        b"text" | b"traceback" | b"evalue" => p.part(label.clone()),
                        b"data" => p.object(|p, mime| {
                            if mime.starts_with(b"image/") {
                                // Base64 pictures: skipped, not scanned raw either.
                                let start = p.i;
                                p.skip_value()?;
                                p.nb.covered.push((start, p.i));
                                Ok(())
                            } else {
                                p.part(label.clone())
                            }
                        }),
                        _ => p.skip_value(),
                    })
                }),
                _ => p.skip_value(),
            })
        })
    }

    fn skip_value(&mut self) -> Res {
        self.ws();
        match self.peek() {
            Some(b'"') => self.skip_string().map(|_| ()),
            Some(b'{') => self.object(|p, _| p.skip_value()),
            Some(b'[') => self.array(|p, _| p.skip_value()),
            Some(b't' | b'f' | b'n' | b'-' | b'0'..=b'9') => {
                let n = self.b[self.i..]
                    .iter()
                    .position(
                        |c| !matches!(c, b'a'..=b'z' | b'0'..=b'9' | b'-' | b'+' | b'.' | b'E'),
                    )
                    .unwrap_or(self.b.len() - self.i);
                let lit = &self.b[self.i..self.i + n];
                let ok = matches!(lit, b"true" | b"false" | b"null")
                    || (!lit.is_empty()
                        && lit.iter().all(|c| !c.is_ascii_lowercase() || *c == b'e'));
                if !ok {
                    return self.err("invalid literal");
                }
                self.i += n;
                Ok(())
            }
            _ => self.err("expected a value"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NB: &str = r##"{
 "cells": [
  {
   "cell_type": "code",
   "execution_count": 1,
   "metadata": {},
   "outputs": [
    {
     "name": "stdout",
     "output_type": "stream",
     "text": [
      "key is ab\"cd\n",
      "done\u00e9\n"
     ]
    },
    {
     "data": {
      "image/png": "iVBORw0KGgo=",
      "text/plain": ["'x'"]
     },
     "metadata": {},
     "output_type": "execute_result"
    }
   ],
   "source": [
    "import os\n",
    "print(\"hi\")"
   ]
  },
  {"cell_type": "markdown", "metadata": {}, "source": "# Title\nline \ud83d\ude00 two"}
 ],
 "metadata": {"kernelspec": {"name": "python3"}},
 "nbformat": 4,
 "nbformat_minor": 5
}"##;

    #[test]
    fn parses_cells_and_outputs() {
        let nb = parse(NB.as_bytes()).unwrap();
        let labels: Vec<&str> = nb.parts.iter().map(|p| p.label.as_str()).collect();
        assert_eq!(labels, ["1, output 1", "1, output 2", "1", "2"]);
        let text = |i: usize| String::from_utf8(nb.parts[i].text.buf.clone()).unwrap();
        assert_eq!(text(0), "key is ab\"cd\ndoneé\n");
        assert_eq!(text(2), "import os\nprint(\"hi\")");
        assert_eq!(text(3), "# Title\nline 😀 two");
        assert!(looks_like(NB.as_bytes()));
        // The image is covered (not scanned raw), and so are the texts.
        assert_eq!(nb.covered.len(), 5);
    }

    #[test]
    fn maps_decoded_offsets_to_raw() {
        let nb = parse(NB.as_bytes()).unwrap();
        let t = &nb.parts[0].text;
        let d = t.buf.iter().position(|&c| c == b'c').unwrap(); // after the \"
        let r = t.raw(d);
        assert_eq!(&NB.as_bytes()[r..r + 2], b"cd");
        let d = memmem::find(&t.buf, b"done").unwrap();
        assert_eq!(&NB.as_bytes()[t.raw(d)..t.raw(d) + 4], b"done");
        assert_eq!(t.map.span(d, d + 4), (t.raw(d), t.raw(d) + 4));
    }

    #[test]
    fn rejects_malformed_json() {
        for bad in [
            "",
            "[]",
            "{\"cells\": [",
            "{\"cells\": [{\"source\": \"a\\x\"}]}",
            "{\"a\": tru}",
            "{\"a\": 1} x",
        ] {
            assert!(parse(bad.as_bytes()).is_err(), "{bad}");
        }
        let deep = format!("{{\"a\": {}{}}}", "[".repeat(10_000), "]".repeat(10_000));
        assert!(parse(deep.as_bytes()).is_err());
        assert!(parse(b"{\"cells\": [], \"x\": [1, -2.5e3, null, {}]}").is_ok());
    }
}
