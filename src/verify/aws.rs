//! AWS access keys: STS `GetCallerIdentity`, signed with Signature
//! Version 4 from the key id and the secret access key. The call needs no
//! permission, changes nothing and costs nothing; it answers with the
//! account, the ARN and the user id behind the key.
//! <https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html>
//! <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html>

use std::collections::BTreeMap;
use std::time::SystemTime;

use ring::hmac;
use sha2::{Digest, Sha256};

use super::http::{not_an_answer, Client, Request};
use super::{Secret, Verdict};
use crate::finding::VerifyStatus;
use crate::rules::verify::VerifySpec;

/// The query STS answers with the caller's identity.
pub const BODY: &str = "Action=GetCallerIdentity&Version=2011-06-15";
/// The region and service the global STS endpoint signs for.
const REGION: &str = "us-east-1";
const SERVICE: &str = "sts";

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn hmac_sha256(key: &[u8], data: &str) -> Vec<u8> {
    hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, key), data.as_bytes())
        .as_ref()
        .to_vec()
}

/// What SigV4 signs: one request.
#[derive(Debug, Clone)]
pub struct SigningInput<'a> {
    /// `GET`, `POST`...
    pub method: &'a str,
    /// The path (`/`), already URI-encoded.
    pub path: &'a str,
    /// The canonical query string (sorted, encoded); empty for none.
    pub query: &'a str,
    /// The headers to sign (`host` and `x-amz-date` among them).
    pub headers: &'a [(&'a str, &'a str)],
    /// The body.
    pub payload: &'a [u8],
    /// `YYYYMMDDTHHMMSSZ`.
    pub amz_date: &'a str,
    /// `us-east-1`.
    pub region: &'a str,
    /// `sts`.
    pub service: &'a str,
}

/// The `Authorization` header value for `input`, signed with the key id
/// and the secret access key.
pub fn authorization(input: &SigningInput<'_>, key_id: &str, secret_key: &str) -> String {
    let mut headers: Vec<(String, String)> = input
        .headers
        .iter()
        .map(|(k, v)| {
            let v = v.split_whitespace().collect::<Vec<_>>().join(" ");
            (k.to_ascii_lowercase(), v)
        })
        .collect();
    headers.sort();
    let canonical_headers: String = headers.iter().map(|(k, v)| format!("{k}:{v}\n")).collect();
    let signed_headers = headers
        .iter()
        .map(|(k, _)| k.as_str())
        .collect::<Vec<_>>()
        .join(";");
    let canonical_request = format!(
        "{}\n{}\n{}\n{canonical_headers}\n{signed_headers}\n{}",
        input.method,
        input.path,
        input.query,
        hex(&Sha256::digest(input.payload))
    );
    let date = &input.amz_date[..8.min(input.amz_date.len())];
    let scope = format!("{date}/{}/{}/aws4_request", input.region, input.service);
    let string_to_sign = format!(
        "AWS4-HMAC-SHA256\n{}\n{scope}\n{}",
        input.amz_date,
        hex(&Sha256::digest(canonical_request.as_bytes()))
    );
    let k_date = hmac_sha256(format!("AWS4{secret_key}").as_bytes(), date);
    let k_region = hmac_sha256(&k_date, input.region);
    let k_service = hmac_sha256(&k_region, input.service);
    let k_signing = hmac_sha256(&k_service, "aws4_request");
    let signature = hex(&hmac_sha256(&k_signing, &string_to_sign));
    format!(
        "AWS4-HMAC-SHA256 Credential={key_id}/{scope}, SignedHeaders={signed_headers}, Signature={signature}"
    )
}

/// `YYYYMMDDTHHMMSSZ` for a time.
pub fn amz_date(t: SystemTime) -> String {
    // `YYYY-MM-DDTHH:MM:SS` without its separators.
    let mut s: String = crate::text::utc_timestamp(t)
        .chars()
        .filter(|c| !matches!(c, '-' | ':'))
        .collect();
    s.push('Z');
    s
}

/// The signed `GetCallerIdentity` request for a key, at `amz_date`.
pub fn request(spec: &VerifySpec, key_id: &str, secret_key: &str, amz_date: &str) -> Request {
    let host = spec.target_host().unwrap_or("sts.amazonaws.com");
    let content_type = "application/x-www-form-urlencoded; charset=utf-8";
    let auth = authorization(
        &SigningInput {
            method: "POST",
            path: "/",
            query: "",
            headers: &[
                ("content-type", content_type),
                ("host", host),
                ("x-amz-date", amz_date),
            ],
            payload: BODY.as_bytes(),
            amz_date,
            region: REGION,
            service: SERVICE,
        },
        key_id,
        secret_key,
    );
    Request {
        method: "POST".into(),
        url: format!("https://{host}/"),
        headers: vec![
            ("Content-Type".into(), content_type.into()),
            ("X-Amz-Date".into(), amz_date.into()),
            ("Authorization".into(), auth),
        ],
        body: Some(BODY.as_bytes().to_vec()),
    }
}

/// The text of the first `<tag>…</tag>` in an XML answer.
fn xml_field<'a>(xml: &'a str, tag: &str) -> Option<&'a str> {
    let open = format!("<{tag}>");
    let start = xml.find(&open)? + open.len();
    let end = xml[start..].find("</")? + start;
    Some(xml[start..end].trim()).filter(|s| !s.is_empty())
}

/// Verify an AWS key: it needs both its `id` and `secret` parts.
pub fn check(client: &Client, spec: &VerifySpec, secret: &Secret) -> Verdict {
    let (Some(id), Some(key)) = (secret.parts.get("id"), secret.parts.get("secret")) else {
        return Verdict::unknown(
            "only the key id and the secret access key together can be checked; the finding has one of them",
        );
    };
    let req = request(spec, id, key, &amz_date(SystemTime::now()));
    let resp = match client.send(&req) {
        Ok(r) => r,
        Err(e) => return Verdict::unknown(e),
    };
    if let Some(v) = not_an_answer(&resp, &req.url) {
        return v;
    }
    let code = xml_field(&resp.body, "Code")
        .map(|c| format!(": {c}"))
        .unwrap_or_default();
    match resp.status {
        200 => match xml_field(&resp.body, "Arn") {
            Some(arn) => {
                let mut identity = BTreeMap::new();
                identity.insert("arn".to_string(), arn.to_string());
                for (label, tag) in [("account", "Account"), ("user_id", "UserId")] {
                    if let Some(v) = xml_field(&resp.body, tag) {
                        identity.insert(label.to_string(), v.to_string());
                    }
                }
                Verdict {
                    status: VerifyStatus::Live,
                    detail: "HTTP 200".into(),
                    identity,
                }
            }
            None => Verdict::unknown("HTTP 200, but the answer has no caller identity"),
        },
        s @ (401 | 403) => Verdict::new(VerifyStatus::Invalid, format!("HTTP {s}{code}")),
        s => Verdict::unknown(format!("unexpected answer (HTTP {s}{code})")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// AWS's published SigV4 test suite, `get-vanilla` and `post-vanilla`
    /// (key `AKIDEXAMPLE`, 2015-08-30T12:36:00Z, us-east-1, service `service`).
    #[test]
    fn signs_the_published_test_vectors() {
        let key = ["wJalrXUtnFEMI/K7MDENG+bPxRfiCY", "EXAMPLEKEY"].concat();
        for (method, want) in [
            (
                "GET",
                "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
            ),
            (
                "POST",
                "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b",
            ),
        ] {
            let auth = authorization(
                &SigningInput {
                    method,
                    path: "/",
                    query: "",
                    headers: &[
                        ("Host", "example.amazonaws.com"),
                        ("X-Amz-Date", "20150830T123600Z"),
                    ],
                    payload: b"",
                    amz_date: "20150830T123600Z",
                    region: "us-east-1",
                    service: "service",
                },
                "AKIDEXAMPLE",
                &key,
            );
            assert_eq!(
                auth,
                format!(
                    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, \
                     SignedHeaders=host;x-amz-date, Signature={want}"
                )
            );
        }
    }

    #[test]
    fn amz_dates() {
        let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_440_938_160);
        assert_eq!(amz_date(t), "20150830T123600Z");
    }
}
