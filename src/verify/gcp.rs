//! Google Cloud service-account keys: a JWT naming the account
//! (`client_email`), signed RS256 with the key, exchanged at the OAuth 2.0
//! token endpoint. Minting a token changes nothing and costs nothing; the
//! token is dropped unused.
//! <https://developers.google.com/identity/protocols/oauth2/service-account#httprest>

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use ring::rand::SystemRandom;
use ring::signature::{RsaKeyPair, RSA_PKCS1_SHA256};

use super::http::{not_an_answer, Client, Request};
use super::{Secret, Verdict};
use crate::finding::VerifyStatus;
use crate::rules::verify::VerifySpec;

/// The narrowest scope a token can be asked for.
const SCOPE: &str = "https://www.googleapis.com/auth/cloud-platform.read-only";

/// The DER bytes of a PEM private key as a JSON key file holds it (line
/// breaks may still be written `\n`).
pub fn pem_der(pem: &str) -> Option<Vec<u8>> {
    let text = pem.replace("\\r", "").replace("\\n", "\n");
    let body: String = text
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .flat_map(|l| l.trim().chars())
        .collect();
    base64::engine::general_purpose::STANDARD.decode(body).ok()
}

/// A signed JWT asking for a token for `email`, issued at `iat` (seconds).
pub fn assertion(email: &str, pem: &str, token_url: &str, iat: u64) -> Result<String, String> {
    let der = pem_der(pem).ok_or("the private key is not base64 PEM")?;
    let key = RsaKeyPair::from_pkcs8(&der)
        .or_else(|_| RsaKeyPair::from_der(&der))
        .map_err(|_| "the private key is not an RSA key keyscan can read".to_string())?;
    let b64 = |b: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
    let header = b64(br#"{"alg":"RS256","typ":"JWT"}"#);
    let claims = serde_json::json!({
        "iss": email,
        "scope": SCOPE,
        "aud": token_url,
        "iat": iat,
        "exp": iat + 600,
    });
    let signing_input = format!("{header}.{}", b64(claims.to_string().as_bytes()));
    let mut sig = vec![0; key.public().modulus_len()];
    key.sign(
        &RSA_PKCS1_SHA256,
        &SystemRandom::new(),
        signing_input.as_bytes(),
        &mut sig,
    )
    .map_err(|_| "the private key could not sign".to_string())?;
    Ok(format!("{signing_input}.{}", b64(&sig)))
}

/// Verify a service-account key: it needs the account's `client_email`
/// and its private key.
pub fn check(client: &Client, spec: &VerifySpec, secret: &Secret) -> Verdict {
    let Some(email) = secret.parts.get("client_email") else {
        return Verdict::unknown(
            "the finding holds the private key without its client_email, which the token exchange needs",
        );
    };
    let pem = secret.part("private_key").unwrap_or(&secret.value);
    let iat = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    let jwt = match assertion(email, pem, &spec.url, iat) {
        Ok(j) => j,
        Err(e) => return Verdict::unknown(e),
    };
    let body =
        format!("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion={jwt}");
    let req = Request {
        method: "POST".into(),
        url: spec.url.clone(),
        headers: vec![(
            "Content-Type".into(),
            "application/x-www-form-urlencoded".into(),
        )],
        body: Some(body.into_bytes()),
    };
    let resp = match client.send(&req) {
        Ok(r) => r,
        Err(e) => return Verdict::unknown(e),
    };
    if let Some(v) = not_an_answer(&resp, &req.url) {
        return v;
    }
    let json = serde_json::from_str::<serde_json::Value>(&resp.body).ok();
    let field = |k: &str| {
        json.as_ref()
            .and_then(|j| j.get(k))
            .and_then(|v| v.as_str())
            .map(crate::text::one_line)
    };
    match resp.status {
        200 if field("access_token").is_some() => Verdict {
            status: VerifyStatus::Live,
            detail: "HTTP 200".into(),
            identity: BTreeMap::from([("account".to_string(), email.clone())]),
        },
        200 => Verdict::unknown("HTTP 200, but the answer has no access token"),
        s @ (400 | 401 | 403) => {
            let why = field("error").map(|e| format!(": {e}")).unwrap_or_default();
            Verdict::new(VerifyStatus::Invalid, format!("HTTP {s}{why}"))
        }
        s => Verdict::unknown(format!("unexpected answer (HTTP {s})")),
    }
}
