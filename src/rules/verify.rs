//! Verification specs: how to ask a secret's provider whether it is live
//! (`[rule.verify]` in a rule file). Data only: the requests are made by
//! the verification stage (`crate::verify`), and only with `--verify`.
//!
//! A spec is either a plain HTTPS request, templated with the secret
//! (`{secret}`) and, for a secret of several values, each part by name
//! (`{id}`, `{user}`...), and read by status code and JSON fields; or the
//! name of a typed verifier for providers that need a signature.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Which verifier a spec uses.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum VerifyKind {
    /// One templated HTTPS request, read by status and JSON fields.
    #[default]
    Http,
    /// AWS STS `GetCallerIdentity`, signed with SigV4 from the `id` and
    /// `secret` parts.
    AwsSts,
    /// A Google service-account key: a JWT signed RS256 with the private
    /// key, exchanged for a token (needs a `client_email` part).
    GcpServiceAccount,
}

/// A test on a response: a JSON field's value, or text the body holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    /// JSON pointer (RFC 6901) to the field (`/ok`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pointer: Option<String>,
    /// The value the field must have.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub equals: Option<serde_json::Value>,
    /// Text the body must hold (for answers that are not JSON).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contains: Option<String>,
}

/// How to ask a provider whether a secret is live.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifySpec {
    /// The verifier (`http` unless the provider needs a signature).
    #[serde(default, skip_serializing_if = "is_http")]
    pub kind: VerifyKind,
    /// HTTP method: `GET`, `POST` or `HEAD`.
    #[serde(default = "get", skip_serializing_if = "is_get")]
    pub method: String,
    /// The endpoint, on the provider's official HTTPS host. May be the
    /// secret itself (`{secret}`, for a webhook URL); then `host` names
    /// the only host it may point at.
    pub url: String,
    /// The host a templated URL must point at.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// Request headers (templated).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    /// HTTP Basic credentials: user and password (templated).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basic: Option<[String; 2]>,
    /// Request body (templated).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// Statuses that mean live (default 200).
    #[serde(default = "ok_statuses")]
    pub live: Vec<u16>,
    /// Statuses that mean invalid or revoked (default 401 and 403).
    #[serde(default = "denied_statuses")]
    pub invalid: Vec<u16>,
    /// With a live status, the answer must also pass this; otherwise the
    /// secret is invalid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub live_if: Option<Condition>,
    /// JSON pointer to the provider's reason when a key is refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Who the key belongs to: label (`account`, `org`, `user`, `scopes`...)
    /// to a JSON pointer into a live answer, or `header:NAME` for a
    /// response header.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub identity: BTreeMap<String, String>,
}

fn get() -> String {
    "GET".into()
}
fn is_get(m: &str) -> bool {
    m == "GET"
}
fn is_http(k: &VerifyKind) -> bool {
    *k == VerifyKind::Http
}
fn ok_statuses() -> Vec<u16> {
    vec![200]
}
fn denied_statuses() -> Vec<u16> {
    vec![401, 403]
}

/// The host of an `https://` URL (no port, no user info), if it is one.
pub fn https_host(url: &str) -> Option<&str> {
    let rest = url.strip_prefix("https://")?;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..end];
    if authority.contains('@') || authority.is_empty() {
        return None;
    }
    Some(authority.split(':').next().unwrap_or(authority))
}

/// A piece of a template: text as it is, or a `{name}` to fill in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Piece<'a> {
    /// Literal text.
    Text(&'a str),
    /// A placeholder's name (`secret`, `id`...).
    Name(&'a str),
}

/// Split a template into pieces. A placeholder is `{` and a name of
/// lower-case letters, digits and `_`, then `}`; any other brace (JSON,
/// GraphQL) is text.
pub fn pieces(template: &str) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    let (mut text_start, mut i) = (0, 0);
    let b = template.as_bytes();
    while i < b.len() {
        if b[i] == b'{' {
            let name_len = b[i + 1..]
                .iter()
                .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || **c == b'_')
                .count();
            if name_len > 0 && b.get(i + 1 + name_len) == Some(&b'}') {
                if text_start < i {
                    out.push(Piece::Text(&template[text_start..i]));
                }
                out.push(Piece::Name(&template[i + 1..i + 1 + name_len]));
                i += name_len + 2;
                text_start = i;
                continue;
            }
        }
        i += 1;
    }
    if text_start < b.len() {
        out.push(Piece::Text(&template[text_start..]));
    }
    out
}

/// The names a template uses (`{name}`).
pub fn placeholders(template: &str) -> Vec<&str> {
    pieces(template)
        .into_iter()
        .filter_map(|p| match p {
            Piece::Name(n) => Some(n),
            Piece::Text(_) => None,
        })
        .collect()
}

impl VerifySpec {
    /// The host the spec's requests go to: the URL's, or `host` for a
    /// templated URL.
    pub fn target_host(&self) -> Option<&str> {
        match &self.host {
            Some(h) => Some(h),
            None => https_host(&self.url),
        }
    }

    /// Whether reading the answer needs JSON (a field test or identity
    /// taken from the body).
    pub fn needs_json(&self) -> bool {
        self.live_if.as_ref().is_some_and(|c| c.pointer.is_some())
            || self.identity.values().any(|p| p.starts_with('/'))
    }

    /// Whether the secret is templated into the URL (only for providers
    /// whose API has no other place for it).
    pub fn secret_in_url(&self) -> bool {
        !placeholders(&self.url).is_empty()
    }

    /// Check the spec: an HTTPS URL on a named host, a known method, the
    /// secret templated somewhere, pointers that are pointers.
    pub fn validate(&self) -> Result<(), String> {
        if !matches!(self.method.as_str(), "GET" | "POST" | "HEAD") {
            return Err(format!(
                "verify.method {:?}: GET, POST or HEAD",
                self.method
            ));
        }
        let templated_url = self.url.starts_with('{');
        match (&self.host, templated_url) {
            (Some(h), true) if !h.is_empty() && !h.contains(['/', ':', '@']) => {}
            (None, false) => {
                if https_host(&self.url).is_none_or(|h| h.contains(['{', '}'])) {
                    return Err(format!(
                        "verify.url {:?} must be an https:// URL with a literal host",
                        self.url
                    ));
                }
            }
            _ => {
                return Err(
                    "verify.host is required for a URL that is the secret, and only then".into(),
                )
            }
        }
        let mut templates: Vec<&str> = vec![&self.url];
        templates.extend(self.headers.values().map(String::as_str));
        templates.extend(self.basic.iter().flatten().map(String::as_str));
        templates.extend(self.body.as_deref());
        if self.kind == VerifyKind::Http && templates.iter().all(|t| placeholders(t).is_empty()) {
            return Err("verify: the request does not carry the secret".into());
        }
        let pointers = self
            .identity
            .values()
            .filter(|p| !p.starts_with("header:"))
            .chain(self.error.iter())
            .chain(self.live_if.iter().filter_map(|c| c.pointer.as_ref()));
        for p in pointers {
            if !p.starts_with('/') {
                return Err(format!(
                    "verify: {p:?} is not a JSON pointer (`/field/0/name`) or `header:NAME`"
                ));
            }
        }
        if let Some(c) = &self.live_if {
            if c.pointer.is_some() == c.contains.is_some() {
                return Err("verify.live_if takes `pointer` (with `equals`) or `contains`".into());
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_and_placeholders() {
        assert_eq!(https_host("https://api.x.com/v1?a"), Some("api.x.com"));
        assert_eq!(https_host("https://api.x.com:443"), Some("api.x.com"));
        assert_eq!(https_host("http://api.x.com/"), None);
        assert_eq!(https_host("https://u@evil/"), None);
        assert_eq!(placeholders("Bearer {secret} {id}"), ["secret", "id"]);
        assert!(placeholders(r#"{"query":"{ viewer { id } }"}"#).is_empty());
    }
}
