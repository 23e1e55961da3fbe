//! Checks: properties of a secret beyond its regex, such as a checksum, a
//! fixed marker or a structure, that tell a real key from a look-alike. A
//! rule names its check in its `check` field; each kind with logic of its
//! own lives in a small module here.
//!
//! A check that says something about the key's structure (a checksum, a
//! marker) is reported as the finding's `format_check`; it is an offline
//! check, never a claim that the key is live.

pub mod aws;
pub mod basic;
pub mod bedrock;
pub mod bytes;
pub mod crc32;
pub mod discord;
pub mod env_key;
pub mod generic;
pub mod jwt;
// breadth-b
pub mod matrix;
pub mod pem;
pub mod url;
// tokens
pub mod grafana;
pub mod jwk;
pub mod jwt_claims;
pub mod keys;
pub mod nats;
pub mod otp;

pub use crate::text::base64_decode;
use serde::{Deserialize, Serialize};

/// A structural check named by a rule's `check` field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub enum Check {
    /// The last 6 characters are the base62 CRC32 of the 30 characters before
    /// them, after the prefix that ends at the last `_` (GitHub classic
    /// tokens `ghp_` etc., npm `npm_`).
    Crc32Base62,
    /// The secret contains this literal (e.g. OpenAI's `T3BlbkFJ`).
    Contains(String),
    /// The secret is a JWT whose header decodes to a JSON object with `alg`.
    Jwt,
    /// A value assigned to a secret-like name: entropy floors per charset,
    /// no hashes, UUIDs, identifiers or words. (What the name must not say
    /// is the rule's `[rule.variable]` data.)
    GenericSecret,
    /// An environment-prefixed key (`prod_…`): the random part after the
    /// last `_` mixes upper case, lower case and digits (or is long
    /// lower-case hex) and has high entropy.
    EnvKey,
    /// The secret ends with this literal (e.g. Anthropic's `AA`).
    EndsWith(String),
    /// The secret is a JWT whose payload (decoded, whitespace removed)
    /// contains every one of these literals, e.g. `"role":"service_role"`.
    JwtPayload(Vec<String>),
    /// A Discord bot token: its first segment is the base64 of the bot's
    /// numeric user id (a 17 to 20 digit snowflake).
    DiscordToken,
    /// An AWS access key id, a secret access key, or both (a pair found
    /// together is one secret): the id is base32 with a known type prefix,
    /// the secret is 40 characters of base64 mixing upper and lower case.
    AwsKey,
    /// A URL with embedded credentials (`postgres://user:pass@host`): the
    /// password is not a template and not the user name. (Well-known
    /// defaults are the rule's `trivial` data.)
    UrlPassword,
    /// A long-lived Amazon Bedrock API key: `ABSK` and the base64 of
    /// `BedrockAPIKey-<id>:<secret>`.
    BedrockKey,
    /// An armoured key block whose body holds key material: a run of at
    /// least 40 base64 characters (code that merely mentions the BEGIN and
    /// END lines has none).
    PemBody,
    // tokens
    /// A JSON Web Token that is a credential: its header and payload decode
    /// to JSON objects, it is signed (`alg` is not `none`, the signature is
    /// not empty), and it is not a public Supabase `anon` key. Its `alg`,
    /// issuer and expiry become the finding's note; an expired token is
    /// reported at low severity.
    JwtToken,
    /// A NATS nkey seed: base32 of a prefix byte pair, a 32-byte Ed25519
    /// seed and a CRC16-XMODEM checksum that must match.
    NatsSeed,
    /// A legacy Grafana API key: base64 of a JSON object with `k` (the
    /// secret), `n` (the key's name) and `id` (the organisation).
    GrafanaLegacyKey,
    /// A Grafana Cloud token: `glc_` and the base64 of a JSON object with
    /// an `o` (organisation) and `k` (the secret) member.
    GrafanaCloudToken,
    /// A JSON Web Key with a private member: the secret is the private
    /// member's value (base64url of at least 16 bytes).
    JwkPrivate,
    /// A private key whose base64 DER body (bare, or in a PEM block written
    /// on one line with literal `\n`) decodes to a PKCS#1, PKCS#8 or SEC 1
    /// private key structure.
    DerPrivateKey,
    /// An armoured private key block with key material (as `pem-body`)
    /// that is not encrypted.
    PlainKeyBlock,
    /// An armoured private key block with key material that is encrypted
    /// (`ENCRYPTED` in its BEGIN line or headers, an OpenSSH key whose
    /// cipher is not `none`): reported only when asked for.
    EncryptedKeyBlock,
    // breadth-b
    /// A Matrix (Synapse) access token: the last 6 characters are the
    /// base62 CRC32 of everything before the last `_`.
    MatrixToken,
    /// HTTP Basic credentials: the value decodes to `user:password` with a
    /// password that is not empty or a stand-in (`password`, `secret`).
    BasicCredentials,
    /// A literal `user:password` about to be encoded for HTTP Basic
    /// (a literal handed to `btoa`), judged as [`Check::BasicCredentials`] judges
    /// the decoded pair.
    PlainCredentials,
    /// A one-time-password seed: base32 of at least 80 bits, one case,
    /// varied, not words (see [`otp`]).
    OtpSeed,
    /// Key material written as a list of at least 16 byte values that look
    /// random (see [`bytes`]).
    ByteArray,
}

/// How the note of a match reported although its check failed (a rule's
/// `on_check_failure`) begins: such a finding flags a sample, not a key.
pub const FAILED_CHECK_NOTE: &str = "the shape of a real key, but";

/// What a check says of one match beyond pass or fail: a note shown with
/// the finding and a severity that replaces the rule's (a JWT's issuer and
/// expiry; an expired token is less severe).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Verdict {
    /// A short note on what the check found in the secret.
    pub note: Option<String>,
    /// The severity of this match, when it is not the rule's.
    pub severity: Option<super::Severity>,
    /// The confidence of this match, when it is not the rule's (a match
    /// whose checksum fails, reported under the rule's `on_check_failure`).
    pub confidence: Option<super::Confidence>,
}

impl Check {
    /// Reject checks that cannot be applied.
    pub fn validate(&self) -> Result<(), String> {
        match self {
            Check::Contains(s) | Check::EndsWith(s) if s.is_empty() => {
                Err("check `contains` / `ends-with` needs a literal".into())
            }
            Check::JwtPayload(v) if v.is_empty() || v.iter().any(|s| s.is_empty()) => {
                Err("check `jwt-payload` needs at least one non-empty literal".into())
            }
            _ => Ok(()),
        }
    }

    /// Whether `secret` passes the check.
    pub fn verify(&self, secret: &[u8]) -> bool {
        match self {
            Check::Crc32Base62 => crc32::ok(secret),
            Check::Contains(lit) => memchr::memmem::find(secret, lit.as_bytes()).is_some(),
            Check::Jwt => jwt::ok(secret),
            Check::GenericSecret => generic::ok(secret),
            Check::ByteArray => bytes::ok(secret),
            Check::EnvKey => env_key::ok(secret),
            Check::EndsWith(lit) => secret.ends_with(lit.as_bytes()),
            Check::JwtPayload(lits) => jwt::payload_ok(secret, lits),
            Check::DiscordToken => discord::ok(secret),
            Check::AwsKey => aws::ok(secret),
            Check::UrlPassword => url::ok(secret),
            Check::BedrockKey => bedrock::ok(secret),
            Check::PemBody => pem::ok(secret),
            Check::JwtToken
            | Check::NatsSeed
            | Check::GrafanaLegacyKey
            | Check::GrafanaCloudToken
            | Check::JwkPrivate
            | Check::DerPrivateKey
            | Check::BasicCredentials
            | Check::PlainCredentials => self.inspect(secret).is_some(),
            Check::PlainKeyBlock => pem::ok(secret) && !keys::encrypted(secret),
            Check::EncryptedKeyBlock => pem::ok(secret) && keys::encrypted(secret),
            // breadth-b
            Check::MatrixToken => matrix::ok(secret),
            Check::OtpSeed => otp::ok(secret),
        }
    }

    /// Whether `secret` passes the check, and what the check says of it:
    /// `None` when it fails.
    pub fn inspect(&self, secret: &[u8]) -> Option<Verdict> {
        match self {
            Check::JwtToken => jwt_claims::inspect(secret, now()),
            Check::NatsSeed => nats::ok(secret).then(Verdict::default),
            Check::GrafanaLegacyKey => grafana::legacy_ok(secret).then(Verdict::default),
            Check::GrafanaCloudToken => grafana::cloud_ok(secret).then(Verdict::default),
            Check::JwkPrivate => jwk::ok(secret).then(Verdict::default),
            Check::DerPrivateKey => keys::inspect(secret),
            Check::BasicCredentials | Check::PlainCredentials => {
                let pair = if *self == Check::PlainCredentials {
                    basic::judge_plain(secret)
                } else {
                    basic::judge(secret)
                };
                pair.map(basic::verdict)
            }
            _ => self.verify(secret).then(Verdict::default),
        }
    }

    /// The values a matched secret holds, when it holds more than one
    /// (a key id and its secret, a URL's user and password), in order; the
    /// last is the credential itself. Empty: the secret is one value.
    pub fn parts(&self, secret: &[u8]) -> Vec<PartSpan> {
        match self {
            Check::AwsKey => aws::parts(secret),
            Check::UrlPassword => url::parts(secret),
            Check::JwkPrivate => jwk::parts(secret),
            _ => Vec::new(),
        }
    }

    /// Whether passing the check says something about the key's format (a
    /// checksum, a marker, a structure), reported as its `format_check`.
    pub fn is_format_check(&self) -> bool {
        !matches!(
            self,
            Check::GenericSecret
                | Check::ByteArray
                | Check::EnvKey
                | Check::AwsKey
                | Check::UrlPassword
                | Check::PemBody
                | Check::PlainKeyBlock
        )
    }

    /// Whether a match that fails the check still has the provider's
    /// unmistakable shape, so that the rule's `on_check_failure` may report
    /// it: a Bedrock key must still start with the base64 of
    /// `BedrockAPIKey-`; a checksum's shape is the regex's.
    pub fn shape_holds(&self, secret: &[u8]) -> bool {
        match self {
            Check::BedrockKey => secret.starts_with(b"ABSKQmVkcm9ja0FQSUtleS"),
            _ => true,
        }
    }

    /// The verdict on a match that fails the check but is still reported
    /// (the rule's `on_check_failure`): `low` severity, the given
    /// confidence, and a note saying the format check failed.
    pub fn failed(&self, confidence: super::Confidence) -> Verdict {
        let what = match self {
            Check::Crc32Base62 | Check::MatrixToken => "its checksum does not match",
            Check::BedrockKey => "it does not decode to a key id and secret",
            Check::NatsSeed => "its CRC16 does not match",
            _ => "it fails the format check",
        };
        Verdict {
            note: Some(format!(
                "{FAILED_CHECK_NOTE} {what}: a sample, a placeholder or an altered key"
            )),
            severity: Some(super::Severity::Low),
            confidence: Some(confidence),
        }
    }

    /// A short phrase saying what the format check found.
    pub fn describe(&self) -> String {
        match self {
            Check::Crc32Base62 => "CRC32 checksum valid".into(),
            Check::Contains(lit) => format!("format marker `{lit}` present"),
            Check::Jwt => "JWT structure valid".into(),
            Check::EndsWith(lit) => format!("format marker `{lit}` present"),
            Check::JwtPayload(lits) => format!("JWT claims {} present", lits.join(", ")),
            Check::DiscordToken => "bot id segment decodes to a Discord snowflake".into(),
            Check::BedrockKey => "decodes to a Bedrock API key credential".into(),
            // breadth-b
            Check::MatrixToken => "CRC32 checksum valid".into(),
            Check::BasicCredentials => "decodes to user:password".into(),
            Check::PlainCredentials => "a user:password pair".into(),
            Check::OtpSeed => "base32 seed of at least 80 bits".into(),
            Check::GenericSecret
            | Check::EnvKey
            | Check::AwsKey
            | Check::UrlPassword
            | Check::PemBody => "high-entropy value".into(),
            Check::ByteArray => "random byte values".into(),
            Check::JwtToken => "JWT header and claims decode".into(),
            Check::NatsSeed => "CRC16 checksum valid".into(),
            Check::GrafanaLegacyKey => "decodes to a Grafana API key".into(),
            Check::GrafanaCloudToken => "decodes to a Grafana Cloud token".into(),
            Check::JwkPrivate => "private member of a JSON Web Key".into(),
            Check::DerPrivateKey => "decodes to a private key structure".into(),
            Check::PlainKeyBlock => "unencrypted key block".into(),
            Check::EncryptedKeyBlock => "encrypted key block".into(),
        }
    }
}

/// A named value inside a matched secret: its name (`id`, `secret`,
/// `user`, `password`) and byte span in the secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartSpan {
    /// The value's name.
    pub name: &'static str,
    /// Where it starts in the secret.
    pub start: usize,
    /// Where it ends (exclusive).
    pub end: usize,
}

impl PartSpan {
    fn new(name: &'static str, r: std::ops::Range<usize>) -> PartSpan {
        PartSpan {
            name,
            start: r.start,
            end: r.end,
        }
    }
}

/// Seconds since the Unix epoch, now (for tokens' expiry).
fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use base64::Engine as _;

    /// Unpadded base64url, to build test tokens.
    pub(crate) fn b64url(data: &[u8]) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(data)
    }

    #[test]
    fn contains_marker() {
        let c = Check::Contains("T3BlbkFJ".into());
        assert!(c.verify(b"sk-abcT3BlbkFJdef"));
        assert!(!c.verify(b"sk-abcdef"));
    }

    #[test]
    fn ends_with() {
        assert!(Check::EndsWith("AA".into()).verify(b"sk-ant-xyzAA"));
        assert!(!Check::EndsWith("AA".into()).verify(b"sk-ant-xyzAB"));
    }
}
