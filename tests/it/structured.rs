//! Structured tokens: JWTs (claims in the note, expired ones at low
//! severity), Authorization header values, credentials in URLs, OAuth 1.0
//! parameters, JWK private members, private keys outside a plain PEM block
//! (and encrypted ones, reported only when asked), NATS nkey seeds and
//! Grafana keys. Each kind: exact findings for positives, none for hard
//! negatives.

use crate::common::*;
use keyscan::rules::Severity;

/// (rule id, secret, severity, notes) of every finding in `text`.
fn found(text: &str) -> Vec<(String, String, Severity, Vec<String>)> {
    engine()
        .scan_bytes("t.txt", text.as_bytes())
        .into_iter()
        .map(|f| {
            let notes = f.notes();
            (f.rule_id, f.secret, f.severity, notes)
        })
        .collect()
}

fn one(text: &str) -> (String, String, Severity, Vec<String>) {
    let mut f = found(text);
    assert_eq!(f.len(), 1, "{text}: {f:?}");
    f.remove(0)
}

fn none(texts: &[&str]) {
    for t in texts {
        assert_eq!(found(t), vec![], "{t}");
    }
}

fn jwt(header: &str, claims: &str, sig: &str) -> String {
    format!("{}.{}.{sig}", b64url(header), b64url(claims))
}

fn b64url(s: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s)
}

const SIG: &str = "oOuX_kredpvQd1lj8VQ5dsFw_d6fEbnGjv7nj7b83RZ";

#[test]
fn jwts_report_alg_issuer_and_expiry() {
    let live = jwt(
        r#"{"alg":"RS256","typ":"JWT"}"#,
        r#"{"iss":"https://auth.corp.test/","sub":"svc-42","exp":4102444800}"#,
        SIG,
    );
    let f = one(&format!(
        "curl -H 'Authorization: Bearer {live}' https://api.corp.test"
    ));
    assert_eq!(
        f,
        (
            "jwt".to_string(),
            live.clone(),
            Severity::Medium,
            vec!["JWT alg RS256, issuer https://auth.corp.test/, expires 2100-01-01".to_string()]
        )
    );
    let expired = jwt(r#"{"alg":"HS256"}"#, r#"{"sub":"7","exp":1600000000}"#, SIG);
    let f = one(&format!("token = \"{expired}\""));
    assert_eq!(
        f,
        (
            "jwt".to_string(),
            expired,
            Severity::Low,
            vec!["JWT alg HS256, expired 2020-09-13".to_string()]
        )
    );
}

/// An Azure AD access token runs to well over a thousand characters (its
/// claims hold tenant, app and object ids); a token longer than the window
/// the detector looks at after `eyJ` was lost, not cut.
#[test]
fn long_jwts_are_found_whole() {
    let id = |n: u32| {
        format!(
            "{:08x}-6f6f-4e88-93d9-{:012x}",
            n.wrapping_mul(2_654_435_761),
            n
        )
    };
    let claims = format!(
        r#"{{"aud":"https://api.corp.test","iss":"https://sts.corp.test/{}/","iat":1528736517,"nbf":1528736517,"exp":1528740417,"aio":"Y2dgYAi+sidlOsfCbbphK1++zkm7CAA=","appid":"{}","appidacr":"1","idp":"https://sts.corp.test/{}/","oid":"{}","sub":"{}","tid":"{}","uti":"YA9PkiqS-UWXLB8HFu4SAA","ver":"1.0"}}"#,
        id(1),
        id(2),
        id(3),
        id(4),
        id(5),
        id(6)
    );
    let sig = SIG.repeat(8);
    let token = jwt(
        r#"{"typ":"JWT","alg":"RS256","kid":"iBjL1Rcqzhiy4fpxIxdZqohM2Yk"}"#,
        &claims,
        &sig,
    );
    assert!(token.len() > 1000, "{}", token.len());
    let f = one(&format!(
        "{{\n  \"token_type\": \"Bearer\",\n  \"access_token\": \"{token}\"\n}}"
    ));
    assert_eq!(
        (f.0.as_str(), f.1.as_str(), f.2),
        ("jwt", token.as_str(), Severity::Low)
    );
}

#[test]
fn unsigned_sample_and_public_jwts_are_not_findings() {
    let unsigned = jwt(
        r#"{"alg":"none","typ":"JWT"}"#,
        r#"{"sub":"7","admin":true}"#,
        "",
    );
    let no_sig = jwt(
        r#"{"alg":"HS256","typ":"JWT"}"#,
        r#"{"sub":"7","admin":true}"#,
        "",
    );
    let anon = jwt(
        r#"{"alg":"HS256","typ":"JWT"}"#,
        r#"{"iss":"supabase","ref":"qzmitoqjrkghzmleirha","role":"anon"}"#,
        SIG,
    );
    none(&[
        // jwt.io's sample.
        "Authorization: Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
        &format!("token = \"{unsigned}\""),
        &format!("token = \"{no_sig}\""),
        &format!("SUPABASE_ANON_KEY={anon}"),
        "Authorization: Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIi...",
    ]);
}

#[test]
fn authorization_header_values() {
    for (text, secret) in [
        (
            "curl -H \"Authorization: Bearer Qm3r8ZkT0vLw2XcN5bHy7PaJ4sEd6F\" https://x.corp.test",
            "Qm3r8ZkT0vLw2XcN5bHy7PaJ4sEd6F",
        ),
        (
            "headers[\"Authorization\"] = \"Token R1JF3yz4zQ0cvb8Iy4QW2Of5wjkbqX4b\"",
            "R1JF3yz4zQ0cvb8Iy4QW2Of5wjkbqX4b",
        ),
        (
            "authorization: 'ApiKey oUpHW0mzoQscjnvIcruciLSMLhWQXdQm'",
            "oUpHW0mzoQscjnvIcruciLSMLhWQXdQm",
        ),
    ] {
        let f = one(text);
        assert_eq!(
            (f.0.as_str(), f.1.as_str(), f.2),
            ("http-authorization-header", secret, Severity::High)
        );
    }
    none(&[
        "curl -H \"Authorization: Bearer ${TOKEN}\" https://x.corp.test",
        "curl -H \"Authorization: Bearer <token>\" https://x.corp.test",
        "curl -H \"Authorization: Bearer $API_KEY\" https://x.corp.test",
        "headers[\"Authorization\"] = \"Bearer \" + token",
        "Authorization: Bearer YOUR_ACCESS_TOKEN",
    ]);
    // A provider's own format is reported by its rule, not as a header.
    let f = one("Authorization: Bearer glsa_7rlYJk5vf9oW3Yc5muDQa8pBnCWp3Aiy_310b86f9");
    assert_eq!(f.0, "grafana-token");
}

/// Basic credentials whose password is short and no stand-in: the header
/// rule (which decodes and scans what is inside) once displaced the rule
/// that judges the `user:password` pair itself, and the pair was lost.
/// So was a Docker config's `auth`, which is the same pair.
#[test]
fn basic_pairs_are_judged_whole_in_headers_and_docker_configs() {
    let pair = b64("builder:sw4gy0lo\n");
    let f = one(&format!(
        "curl -H 'Authorization: Basic {pair}' https://x.corp.test"
    ));
    assert_eq!(
        (f.0.as_str(), f.1.as_str()),
        ("http-basic-credentials", pair.as_str())
    );
    let f = one(&format!(
        "{{\"auths\": {{\"registry.corp.test\": {{\"auth\": \"{pair}\"}}}}}}"
    ));
    assert_eq!(
        (f.0.as_str(), f.1.as_str()),
        ("docker-registry-credentials", pair.as_str())
    );
    // A stand-in password: reported, at low severity, with a note.
    for (text, rule) in [
        (
            format!("Authorization: Basic {}", b64("user:password")),
            "http-basic-credentials",
        ),
        (
            format!("{{\"auth\": \"{}\"}}", b64("admin:changeme")),
            "docker-registry-credentials",
        ),
        (
            format!("authorization: 'ApiKey {}'", b64("foo:bar")),
            "elasticsearch-api-key",
        ),
    ] {
        let f = one(&text);
        assert_eq!((f.0.as_str(), f.2), (rule, Severity::Low), "{text}");
        assert!(f.3.iter().any(|n| n.contains("stand-in")), "{f:?}");
    }
    // No pair at all: an empty password, a template, one character repeated.
    none(&[
        &format!("Authorization: Basic {}", b64("user:")),
        &format!("Authorization: Basic {}", b64("ci:${REGISTRY_PASSWORD}")),
        &format!("{{\"auth\": \"{}\"}}", b64("user:xxxxxxxx")),
    ]);
}

#[test]
fn credentials_in_urls() {
    let f = one("git clone https://deploy:qsnKdAFE3VOiQMYzrxtW@git.corp.test/app.git");
    assert_eq!(
        (f.0.as_str(), f.1.as_str()),
        ("url-userinfo-password", "qsnKdAFE3VOiQMYzrxtW")
    );
    let f = one(
        "curl 'https://gitlab.corp.test/api/v4/projects?private_token=NfiglJ5m7yyPhcothuTUjVBI'",
    );
    assert_eq!(
        (f.0.as_str(), f.1.as_str()),
        ("url-query-credential", "NfiglJ5m7yyPhcothuTUjVBI")
    );
    let f = one("https://a.blob.core.windows.net/c?sv=2022-11-02&sp=r&se=2030-01-01&sig=Qm3r8ZkT0vLw2XcN5bHy7PaJ4sEd6FG0uIWGsuICxL%3D");
    assert_eq!(
        (f.0.as_str(), f.1.as_str()),
        (
            "azure-sas-signature",
            "Qm3r8ZkT0vLw2XcN5bHy7PaJ4sEd6FG0uIWGsuICxL%3D"
        )
    );
    let f = one("Cookie: lang=en; sessionid=oUpHW0mzoQscjnvIcruciLSMLhWQXdQm");
    assert_eq!(
        (f.0.as_str(), f.1.as_str()),
        ("session-cookie", "oUpHW0mzoQscjnvIcruciLSMLhWQXdQm")
    );
    none(&[
        "https://user:pass@host.corp.test/",
        "https://${USER}:${PASSWORD}@host.corp.test/",
        "http://admin:admin@localhost:8080",
        "https://api.corp.test/v1?api_key=YOUR_API_KEY",
        "https://cdn.corp.test/img.png?w=200&sig=3f2a9c",
        "url = base + \"?token=\" + token",
    ]);
}

/// A query value longer than the rule's bound (Azure refresh tokens run past
/// 1,000 characters) is reported by its first 512 characters, not lost
/// once the window holds the whole value.
#[test]
fn an_overlong_query_value_is_reported_not_lost() {
    let token: String = (0..1100u32)
        .map(|i| b"qZ3vK8mR2xW7pL9nT4yB6cH1dF5gJ0sA"[(i.wrapping_mul(7) % 32) as usize] as char)
        .collect();
    let f = one(&format!(
        "body: client_id=app&grant_type=refresh_token&refresh_token={token}&scope=openid"
    ));
    assert_eq!(
        (f.0.as_str(), f.1.as_str()),
        ("url-query-credential", &token[..512])
    );
}

#[test]
fn oauth1_parameters() {
    let f = one("Authorization: OAuth oauth_consumer_key=\"m2x8\", oauth_token_secret=\"G0uIWGsuICxLOreMBJa8vS7q\"");
    assert_eq!(
        (f.0.as_str(), f.1.as_str()),
        ("oauth1-credential", "G0uIWGsuICxLOreMBJa8vS7q")
    );
    none(&[
        // RFC 5849's and Twitter's documentation values.
        "oauth_token=nnch734d00sl2jdk&oauth_verifier=hfdp7dh39dks9884",
        "oauth_signature=\"tnnArxj06cWHq44gCs1OSKk%2FjLY%3D\"",
        "oauth_token_secret = os.environ['OAUTH_TOKEN_SECRET']",
    ]);
}

#[test]
fn jwk_private_members() {
    let f = found(
        r#"{"keys":[{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0","d":"Wq3Rk8vNc2XpL7mT4bYh9JfD6sGe0aQzU5oIw1KtVxE"},{"kty":"oct","k":"Gx7Vb2Qw9LmN4pRt6YcK3sZd8HfJ1aUe"}]}"#,
    );
    let got: Vec<(&str, &str)> = f.iter().map(|f| (f.0.as_str(), f.1.as_str())).collect();
    assert_eq!(
        got,
        [
            (
                "jwk-private-key",
                "Wq3Rk8vNc2XpL7mT4bYh9JfD6sGe0aQzU5oIw1KtVxE"
            ),
            ("jwk-private-key", "Gx7Vb2Qw9LmN4pRt6YcK3sZd8HfJ1aUe"),
        ]
    );
    none(&[
        r#"{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}"#,
        r#"{"kty":"oct","k":"<your-secret>"}"#,
        r#"{"d":"Wq3Rk8vNc2XpL7mT4bYh9JfD6sGe0aQzU5oIw1KtVxE"}"#,
    ]);
}

#[test]
fn private_keys_outside_pem_blocks() {
    // A PKCS#1 RSA key as long as its outer SEQUENCE says (1,192 bytes):
    // the header, then filler drawn from a fixed seed.
    let rsa = {
        use base64::Engine as _;
        let mut der = vec![
            0x30, 0x82, 0x04, 0xa4, 0x02, 0x01, 0x00, 0x02, 0x82, 0x01, 0x01, 0x00,
        ];
        let mut x = 0x9e37_79b9_7f4a_7c15_u64;
        while der.len() < 0x4a4 + 4 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            der.push(x as u8);
        }
        base64::engine::general_purpose::STANDARD.encode(&der)
    };
    let rsa = rsa.as_str();
    let f = one(&format!("RSA_KEY={rsa}"));
    assert_eq!(
        f,
        (
            "private-key-der".to_string(),
            rsa.to_string(),
            Severity::Critical,
            vec!["PKCS#1 RSA private key".to_string()]
        )
    );
    let escaped = format!(
        "-----BEGIN RSA PRIVATE KEY-----\\n{}\\n{}\\n-----END RSA PRIVATE KEY-----",
        &rsa[..64],
        &rsa[64..128]
    );
    let f = one(&format!("{{\"private_key\": \"{escaped}\"}}"));
    assert_eq!(
        (f.0.as_str(), f.1.as_str()),
        ("private-key", escaped.as_str())
    );
    none(&[
        // The first line of the key, as documentation prints a sample: the
        // SEQUENCE declares 1,192 bytes and 48 are there.
        &format!("#   `{}.", &rsa[..64]),
        // A certificate and a public key: a SEQUENCE where the version goes.
        "cert: MIIDdzCCAl+gAwIBAgIEAgAAuTANBgkqhkiG9w0BAQUFADBaMQswCQYDVQQGEwJJRTESMBAGA1UEChMJQmFsdGltb3JlMRMwEQYDVQQLEwpDeWJlclRydXN0",
        "PUBLIC_KEY=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gunVTLw7onLRnrq0",
    ]);
}

#[test]
fn encrypted_keys_only_when_asked() {
    let tree = Tree::new();
    tree.file(
        "k.pem",
        "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,5A1C0B6E2F8D3A4B\n\nq8Lk2V0mX9cR4tY7wB1nZ5jH3gF6dS8aP0oI2uE4rT6yU8iO1pA3sD5fG7hJ9kL2\n-----END RSA PRIVATE KEY-----\n",
    );
    let (code, doc, _) = scan_json(tree.path(), &[]);
    assert_eq!(code, 0, "{doc}");
    let (code, doc, _) = scan_json(tree.path(), &["--include-encrypted-keys"]);
    assert_eq!(code, 1);
    assert_eq!(doc["findings"][0]["rule_id"], "private-key-encrypted");
    assert_eq!(doc["findings"][0]["severity"], "low");
    tree.file(
        ".keyscan.toml",
        "[options]\ninclude_encrypted_keys = true\n",
    );
    let out = tree.keyscan().args(["-q", "."]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn nats_seeds_need_their_checksum() {
    let f = one("NATS_SEED=SUAI6TCJU3CGYLGJGKN5YCDFWM4IFTOGJGNKCWRLPODJ4G2IWMN67552PU");
    assert_eq!(
        (f.0.as_str(), f.1.as_str(), f.2),
        (
            "nats-nkey-seed",
            "SUAI6TCJU3CGYLGJGKN5YCDFWM4IFTOGJGNKCWRLPODJ4G2IWMN67552PU",
            Severity::High
        )
    );
    none(&[
        // One character changed.
        "NATS_SEED=SUAI6TCJU3CGYLGJGKN5YCDFWM4IFTOGJGNKCWRLPODJ4G2IWMN67553PU",
        "nkey: UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4",
    ]);
}

#[test]
fn grafana_keys_decode() {
    let f = one("GRAFANA_API_KEY=eyJrIjoiSUZLalBXR0UzdUx6Zmg1VkQ2YkZnTnpEZ0VUVThtNkoiLCJuIjoiZGVwbG95IiwiaWQiOjF9");
    assert_eq!(f.0, "grafana-api-key");
    let f = one("token: glc_eyJvIjoiNzczMjEiLCJuIjoiYWxsb3kiLCJrIjoib2FCN0hzR0Zid1pvcWpuVG1jQ1o5Nk1vIiwibSI6eyJyIjoicHJvZC1ldS13ZXN0LTIifX0=");
    assert_eq!(f.0, "grafana-cloud-token");
    none(&["https://app.powerbi.com/view?r=eyJrIjoiYTZjMTk3YjEtMzQ4Yi00NTI5LThhZDItNmUyMGRlOTkwMGRlIiwidCI6IjcyZjk4OGJmLTg2ZjEtNDFhZi05MWFiLTJkN2NkMDExZGI0NyIsImMiOjV9"]);
}
