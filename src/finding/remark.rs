//! Remarks that follow from where a finding is: a key in an example file,
//! in an asset shipped to browsers, or assigned to a variable that bundlers
//! inline into client code.

use super::Remark;

/// Variable prefixes that bundlers inline into client-side code.
const CLIENT_PREFIXES: &[&str] = &[
    "NEXT_PUBLIC_",
    "VITE_",
    "REACT_APP_",
    "EXPO_PUBLIC_",
    "NUXT_PUBLIC_",
    "GATSBY_",
    "PUBLIC_",
];

/// If the secret starting at `start` of `line` (the line's bytes before and
/// after it) is assigned to a variable that bundlers ship to browsers
/// (`NEXT_PUBLIC_OPENAI_KEY=...`), the prefix.
pub fn client_exposed(line: &[u8], start: usize) -> Option<&'static str> {
    let before = &line[..start.min(line.len())];
    // The variable name: the last identifier before the `=` or `:` that
    // precedes the secret.
    let eq = before.iter().rposition(|&b| b == b'=' || b == b':')?;
    let name_end = before[..eq]
        .iter()
        .rposition(|b| b.is_ascii_alphanumeric() || *b == b'_')?
        + 1;
    let name_start = before[..name_end]
        .iter()
        .rposition(|b| !(b.is_ascii_alphanumeric() || *b == b'_'))
        .map_or(0, |i| i + 1);
    let name = &before[name_start..name_end];
    CLIENT_PREFIXES
        .iter()
        .find(|p| name.len() > p.len() && name.starts_with(p.as_bytes()))
        .copied()
}

/// Remarks that follow from a finding's path alone (`path` is the innermost
/// file: an archive entry's own path inside the archive): an example file,
/// an asset shipped to browsers. `long_line`: the secret's line is longer
/// than people write (a minified bundle).
pub fn path_remarks(path: &str, long_line: bool, out: &mut Vec<Remark>) {
    let name = path.rsplit('/').next().unwrap_or(path);
    if is_example_name(name) {
        out.push(Remark::ExampleFile);
    }
    if let Some(what) = browser_asset(path, name, long_line) {
        out.push(Remark::Shipped(what));
    }
}

/// Words that mark a template meant to be committed.
const TEMPLATE_WORDS: &[&str] = &[
    "example",
    "examples",
    "sample",
    "samples",
    "template",
    "templates",
    "tmpl",
    "tpl",
    "dist",
    "defaults",
    "schema",
];

/// Whether a file name is an example or template file of any kind:
/// `.env.example`, `example.env`, `config.example.yaml`,
/// `credentials.json.sample`.
pub fn is_example_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    let env_words = if let Some(rest) = lower
        .strip_prefix(".env")
        .filter(|r| r.starts_with(['.', '-', '_']))
    {
        Some(rest)
    } else {
        lower.strip_suffix(".env").filter(|s| !s.is_empty())
    };
    if env_words.is_some_and(|w| {
        w.split(['.', '-', '_'])
            .any(|w| TEMPLATE_WORDS.contains(&w))
    }) {
        return true;
    }
    let mut parts = lower.split('.').skip(1);
    parts.any(|p| matches!(p, "example" | "sample" | "template" | "dist" | "tmpl"))
}

/// Lines longer than this are taken for built, minified code.
pub const LONG_LINE: usize = 1000;

/// Whether a file is served to browsers, and as what.
fn browser_asset(path: &str, name: &str, long_line: bool) -> Option<&'static str> {
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".js.map") || lower.ends_with(".mjs.map") || lower.ends_with(".css.map") {
        return Some("source map");
    }
    let js = [".js", ".mjs", ".cjs"].iter().any(|e| lower.ends_with(e));
    if js {
        let stem = &lower[..lower.rfind('.').unwrap_or(0)];
        let hashed = stem
            .rsplit(['.', '-'])
            .next()
            .is_some_and(|h| h.len() >= 8 && h.bytes().all(|b| b.is_ascii_hexdigit()));
        if [".min", ".bundle", ".chunk", ".prod"]
            .iter()
            .any(|m| stem.contains(m))
            || hashed
            || long_line
        {
            return Some("built bundle");
        }
    }
    let mut dirs = path.split('/').rev().skip(1);
    if dirs.any(|d| matches!(d, "public" | "static" | "dist" | "_next" | "wwwroot")) {
        return Some(if js { "built bundle" } else { "public asset" });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn browser_assets() {
        let b = |p: &str, long: bool| {
            let name = p.rsplit('/').next().unwrap();
            browser_asset(p, name, long)
        };
        assert_eq!(b("web/app.min.js", false), Some("built bundle"));
        assert_eq!(b("web/main.3f2a1b9c.js", false), Some("built bundle"));
        assert_eq!(b("web/app.js.map", false), Some("source map"));
        assert_eq!(b("site/public/config.json", false), Some("public asset"));
        assert_eq!(b("dist/index.js", false), Some("built bundle"));
        assert_eq!(b("src/app.js", true), Some("built bundle"));
        assert_eq!(b("src/app.js", false), None);
        assert_eq!(b("src/static.py", false), None);
        assert_eq!(b("public", false), None);
    }

    #[test]
    fn example_and_bundle_remarks() {
        let mut n = Vec::new();
        path_remarks("cfg/.env.example", false, &mut n);
        assert_eq!(n, [Remark::ExampleFile]);
        n.clear();
        path_remarks("dist/app.js", false, &mut n);
        assert_eq!(n, [Remark::Shipped("built bundle")]);
        n.clear();
        path_remarks("src/main.rs", false, &mut n);
        assert!(n.is_empty());
    }

    #[test]
    fn example_names() {
        for n in [
            ".env.example",
            "config.example.yaml",
            "credentials.json.sample",
            "example.env",
            ".env.local.example",
            ".env.dist",
        ] {
            assert!(is_example_name(n), "{n}");
        }
        for n in ["examples.py", ".env", ".env.local", "sample_data.csv"] {
            assert!(!is_example_name(n), "{n}");
        }
    }

    #[test]
    fn client_prefixes() {
        let line = b"NEXT_PUBLIC_OPENAI_KEY=sk-abc";
        assert_eq!(client_exposed(line, 23), Some("NEXT_PUBLIC_"));
        assert_eq!(client_exposed(b"OPENAI_KEY=sk-abc", 11), None);
    }
}
