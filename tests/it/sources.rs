//! The expanded sources, end to end: notebooks, env files, encoded values,
//! archives (and a zip bomb), browser bundles and UTF-16 text. Every
//! fixture is built in a temporary directory.

use crate::common::{
    b64, git, json, keyscan, tar_gz_of, zip_of, Tree, ANTHROPIC, GITHUB, HF, OPENAI,
};

/// `keyscan --no-config --format json ARGS...` in `t`; the report and stderr.
fn scan(t: &Tree, args: &[&str]) -> (serde_json::Value, String) {
    let out = t
        .keyscan()
        .args(["--no-config", "--format", "json"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        json(&out.stdout),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// (path, line, rule, notes joined) of each finding.
fn found(doc: &serde_json::Value) -> Vec<(String, u64, String, String)> {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let notes: Vec<&str> = f["notes"]
                .as_array()
                .map(|a| a.iter().map(|n| n.as_str().unwrap()).collect())
                .unwrap_or_default();
            (
                f["path"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
                f["rule_id"].as_str().unwrap().to_string(),
                notes.join(" | "),
            )
        })
        .collect()
}

#[test]
fn notebook_sources_outputs_and_escapes() {
    let t = Tree::new();
    // The GitHub token is split by \u escapes in the JSON, the OpenAI key is
    // printed into an output, the Anthropic key sits in a second cell.
    let split = format!(
        "{}\\u{:04x}\\u{:04x}{}",
        &GITHUB[..10],
        GITHUB.as_bytes()[10],
        GITHUB.as_bytes()[11],
        &GITHUB[12..]
    );
    let nb = format!(
        r##"{{
 "cells": [
  {{
   "cell_type": "code",
   "execution_count": 1,
   "metadata": {{}},
   "outputs": [
    {{
     "name": "stdout",
     "output_type": "stream",
     "text": [
      "loaded\n",
      "key={OPENAI}\n"
     ]
    }}
   ],
   "source": [
    "import os\n",
    "token = \"{split}\"\n"
   ]
  }},
  {{
   "cell_type": "code",
   "metadata": {{}},
   "outputs": [],
   "source": ["# second\n", "\n", "client = Anthropic(api_key=\"{ANTHROPIC}\")"]
  }}
 ],
 "metadata": {{"kernelspec": {{"name": "python3"}}}},
 "nbformat": 4,
 "nbformat_minor": 5
}}
"##
    );
    let line_of = |needle: &str| 1 + nb.lines().position(|l| l.contains(needle)).unwrap() as u64;
    let lines = [line_of("key="), line_of("token = "), line_of("Anthropic(")];
    t.file("analysis.ipynb", &nb);
    let (doc, _) = scan(&t, &["."]);
    let f = found(&doc);
    assert_eq!(f.len(), 3, "{f:#?}");
    assert_eq!(f[0].0, "analysis.ipynb");
    assert_eq!((f[0].1, f[0].2.as_str()), (lines[0], "openai-project-key"));
    assert!(
        f[0].3.contains("notebook cell 1, output 1, line 2"),
        "{}",
        f[0].3
    );
    assert_eq!(
        (f[1].1, f[1].2.as_str()),
        (lines[1], "github-classic-token")
    );
    assert!(f[1].3.contains("notebook cell 1, line 2"), "{}", f[1].3);
    assert_eq!((f[2].1, f[2].2.as_str()), (lines[2], "anthropic-api-key"));
    assert!(f[2].3.contains("notebook cell 2, line 3"), "{}", f[2].3);
    // The secret is the decoded one, escapes undone.
    let secrets: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["secret_redacted"].as_str().unwrap())
        .collect();
    assert!(secrets[1].starts_with("ghp_"), "{secrets:?}");
    assert_eq!(doc["stats"]["sources"]["notebooks"]["scanned"], 1);
    assert_eq!(doc["stats"]["sources"]["notebooks"]["findings"], 3);

    // Without notebook support the escaped key is missed.
    let (doc, _) = scan(&t, &["--no-notebooks", "."]);
    assert_eq!(found(&doc).len(), 2);
}

#[test]
fn malformed_notebook_falls_back_to_text_with_a_warning() {
    let t = Tree::new();
    t.file(
        "broken.ipynb",
        format!("{{\"cells\": [\n  \"token = {GITHUB}\"\n"),
    );
    let (doc, stderr) = scan(&t, &["."]);
    let f = found(&doc);
    assert_eq!(f.len(), 1);
    assert_eq!((f[0].1, f[0].2.as_str()), (2, "github-classic-token"));
    assert!(
        stderr.contains("broken.ipynb: not a valid notebook"),
        "{stderr}"
    );
    assert_eq!(doc["stats"]["sources"]["notebooks"]["malformed"], 1);
}

#[test]
fn tracked_env_file_is_a_finding_ignored_one_is_not() {
    let t = Tree::new();
    t.file(".env", "DEBUG=1\n"); // tracked, no key in it
    t.file("api/.env.local", "PORT=8080\n"); // ignored and untracked
    t.file(".env.example", format!("HF_TOKEN={HF}\n")); // tracked example, real key
    t.file(".gitignore", ".env.local\n");
    git(t.path(), &["init", "-q", "."]);
    git(
        t.path(),
        &["add", "-f", ".env", ".env.example", ".gitignore"],
    );
    let (doc, _) = scan(&t, &["."]);
    let f = found(&doc);
    assert_eq!(f.len(), 2, "{f:#?}");
    assert_eq!(
        (f[0].0.as_str(), f[0].2.as_str()),
        (".env", "env-file-committed")
    );
    assert!(f[0]
        .3
        .contains("environment file committed to version control"));
    assert!(f[0].3.contains("git rm --cached .env"), "{}", f[0].3);
    assert!(f[0].3.contains(".gitignore"));
    assert_eq!(
        (f[1].0.as_str(), f[1].2.as_str()),
        (".env.example", "huggingface-token")
    );
    assert!(
        f[1].3.contains("example files must hold placeholders"),
        "{}",
        f[1].3
    );
    assert_eq!(doc["stats"]["sources"]["env_files"]["findings"], 2);

    // A tracked env file that .gitignore names is still reported, and its
    // contents are scanned although the walk skips it.
    t.file("api/.env.local", format!("TOKEN={GITHUB}\n"));
    git(t.path(), &["add", "-f", "api/.env.local"]);
    let (doc, _) = scan(&t, &["."]);
    let f = found(&doc);
    let paths: Vec<(&str, &str)> = f.iter().map(|x| (x.0.as_str(), x.2.as_str())).collect();
    assert!(
        paths.contains(&("api/.env.local", "env-file-committed")),
        "{paths:?}"
    );
    assert!(
        paths.contains(&("api/.env.local", "github-classic-token")),
        "{paths:?}"
    );

    let (doc, _) = scan(&t, &["--no-env-files", "."]);
    assert!(found(&doc).iter().all(|x| x.2 != "env-file-committed"));
}

#[test]
fn env_file_outside_git_is_not_a_hygiene_finding() {
    let t = Tree::new();
    t.file(".env", "DEBUG=1\n");
    let (doc, _) = scan(&t, &["."]);
    assert!(found(&doc).is_empty());
}

#[test]
fn kubernetes_secret_docker_config_and_basic_auth_are_decoded() {
    let t = Tree::new();
    t.file(
        "k8s/secret.yaml",
        format!(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: api\ntype: Opaque\ndata:\n  hf-token: {}\n  user: YWRtaW4=\n",
            b64(HF)
        ),
    );
    t.file(
        "docker/config.json",
        format!(
            "{{\n  \"auths\": {{\n    \"ghcr.io\": {{\n      \"auth\": \"{}\"\n    }}\n  }}\n}}\n",
            b64(format!("bot:{GITHUB}"))
        ),
    );
    t.file(
        "scripts/call.sh",
        format!(
            "#!/bin/sh\ncurl -H 'Authorization: Basic {}' https://api.example.com\n",
            b64(format!("me:{HF}"))
        ),
    );
    let (doc, _) = scan(&t, &["."]);
    let f = found(&doc);
    assert_eq!(f.len(), 3, "{f:#?}");
    assert_eq!(
        (f[0].0.as_str(), f[0].1, f[0].2.as_str()),
        ("docker/config.json", 4, "github-classic-token")
    );
    assert!(f[0]
        .3
        .contains("decoded from base64 (Docker registry credentials)"));
    assert_eq!(
        (f[1].0.as_str(), f[1].1, f[1].2.as_str()),
        ("k8s/secret.yaml", 7, "huggingface-token")
    );
    assert!(
        f[1].3.contains("Kubernetes Secret data `hf-token`"),
        "{}",
        f[1].3
    );
    assert_eq!(doc["findings"][1]["column"], 13);
    assert_eq!(
        (f[2].0.as_str(), f[2].1, f[2].2.as_str()),
        ("scripts/call.sh", 2, "huggingface-token")
    );
    assert!(f[2].3.contains("HTTP Basic Authorization header"));
    assert_eq!(doc["stats"]["sources"]["decoded"]["findings"], 3);

    // Without decoding, the encoded pairs are still judged whole (nothing
    // inside them is named).
    let (doc, _) = scan(&t, &["--no-decode", "."]);
    let f = found(&doc);
    let f: Vec<(&str, u64, &str)> = f
        .iter()
        .map(|x| (x.0.as_str(), x.1, x.2.as_str()))
        .collect();
    assert_eq!(
        f,
        [
            ("docker/config.json", 4, "docker-registry-credentials"),
            ("scripts/call.sh", 2, "http-basic-credentials"),
        ]
    );
}

#[test]
fn dockerconfigjson_inside_a_secret_is_decoded_twice() {
    let t = Tree::new();
    let cfg = format!(
        "{{\"auths\":{{\"ghcr.io\":{{\"auth\":\"{}\"}}}}}}",
        b64(format!("ci:{GITHUB}"))
    );
    t.file(
        "pull-secret.yaml",
        format!(
            "kind: Secret\ntype: kubernetes.io/dockerconfigjson\ndata:\n  .dockerconfigjson: {}\n",
            b64(&cfg)
        ),
    );
    let (doc, _) = scan(&t, &["."]);
    let f = found(&doc);
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!((f[0].1, f[0].2.as_str()), (4, "github-classic-token"));
    assert!(f[0].3.contains("`.dockerconfigjson`") && f[0].3.contains("Docker registry"));
}

#[test]
fn nested_zip_three_levels_down() {
    let t = Tree::new();
    let inner = zip_of(&[(
        "conf/settings.py",
        format!("# x\n\nTOKEN = '{GITHUB}'\n").as_bytes(),
    )]);
    let mid = zip_of(&[("b.zip", &inner), ("readme.txt", b"hello")]);
    let outer = zip_of(&[("a.zip", &mid)]);
    t.file("release.zip", &outer);
    t.file(
        "lib.whl",
        zip_of(&[("pkg/keys.py", format!("K = '{HF}'\n").as_bytes())]),
    );
    t.file(
        "src.tar.gz",
        tar_gz_of(&[(
            "src/app.env.txt",
            format!("a\nOPENAI={OPENAI}\n").as_bytes(),
        )]),
    );
    let (doc, _) = scan(&t, &["."]);
    let f = found(&doc);
    assert_eq!(f.len(), 3, "{f:#?}");
    assert_eq!((f[0].0.as_str(), f[0].1), ("lib.whl!pkg/keys.py", 1));
    assert_eq!(
        (f[1].0.as_str(), f[1].1, f[1].2.as_str()),
        (
            "release.zip!a.zip!b.zip!conf/settings.py",
            3,
            "github-classic-token"
        )
    );
    assert!(f[1].3.contains("inside archive"));
    assert_eq!((f[2].0.as_str(), f[2].1), ("src.tar.gz!src/app.env.txt", 2));
    let a = &doc["stats"]["sources"]["archives"];
    assert_eq!(a["scanned"], 5);
    assert_eq!(a["findings"], 3);
    assert_eq!(a["stopped"], 0);

    // Two levels only: b.zip is not opened.
    let (doc, _) = scan(&t, &["--archive-depth", "2", "release.zip"]);
    let f = found(&doc);
    assert!(f.iter().all(|x| !x.0.contains("b.zip!")), "{f:#?}");
    assert_eq!(doc["stats"]["sources"]["archives"]["scanned"], 2);
    let (doc, _) = scan(&t, &["--no-archives", "."]);
    assert!(found(&doc).iter().all(|x| !x.0.contains('!')));
}

#[test]
fn zip_bomb_is_stopped_within_the_limits() {
    let t = Tree::new();
    // 8 MiB of zeros deflate to a few KiB; with a 1 MiB limit reading stops.
    let zeros = vec![0u8; 8 << 20];
    let bomb = zip_of(&[("a.bin", &zeros), ("b.bin", &zeros)]);
    assert!(bomb.len() < 100_000);
    t.file("bomb.zip", zip_of(&[("inner.zip", &bomb)]));
    t.file("other.txt", format!("T={GITHUB}\n"));
    let (doc, stderr) = scan(&t, &["--archive-max-size", "1MiB", "."]);
    assert!(
        stderr.contains("bomb.zip: archive reading stopped"),
        "{stderr}"
    );
    assert!(stderr.contains("zip bomb"), "{stderr}");
    assert_eq!(doc["stats"]["sources"]["archives"]["stopped"], 1);
    // The rest of the scan goes on.
    assert_eq!(found(&doc).len(), 1);
    assert_eq!(doc["stats"]["unreadable"], 0);

    // Entry count limit, and a tar.gz bomb.
    let many: Vec<(String, Vec<u8>)> = (0..50)
        .map(|i| (format!("f{i}.txt"), vec![b'x'; 10]))
        .collect();
    let refs: Vec<(&str, &[u8])> = many
        .iter()
        .map(|(n, d)| (n.as_str(), d.as_slice()))
        .collect();
    t.file("many.zip", zip_of(&refs));
    t.file("bomb.tar.gz", tar_gz_of(&[("zeros", &zeros)]));
    let (doc, stderr) = scan(
        &t,
        &[
            "--archive-max-size",
            "1MiB",
            "--archive-max-entries",
            "20",
            ".",
        ],
    );
    assert!(
        stderr.contains("many.zip: archive reading stopped"),
        "{stderr}"
    );
    assert!(stderr.contains("more than 20"), "{stderr}");
    assert!(
        stderr.contains("bomb.tar.gz: archive reading stopped"),
        "{stderr}"
    );
    assert_eq!(doc["stats"]["sources"]["archives"]["stopped"], 3);
}

#[test]
fn broken_archive_is_scanned_as_bytes_with_a_warning() {
    let t = Tree::new();
    t.file(
        "bad.zip",
        format!("PK\x03\x04 not really a zip\nT={GITHUB}\n"),
    );
    let (doc, stderr) = scan(&t, &["."]);
    assert!(
        stderr.contains("bad.zip: not a readable zip archive"),
        "{stderr}"
    );
    assert_eq!(found(&doc).len(), 1);
}

#[test]
fn minified_bundle_and_public_assets_are_shipped_to_browsers() {
    let t = Tree::new();
    let mut js = "var a=function(){return 1};".repeat(60);
    js.push_str(&format!("var k=\"{GITHUB}\";"));
    js.push_str(&"var b=2;".repeat(60));
    t.file("web/app.js", &js);
    t.file("site/public/config.json", format!("{{\"hf\": \"{HF}\"}}\n"));
    t.file("src/server.py", format!("T = '{OPENAI}'\n"));
    let (doc, _) = scan(&t, &["."]);
    let f = found(&doc);
    assert_eq!(f.len(), 3);
    assert!(
        f[0].3.contains("shipped to browsers (public asset)"),
        "{}",
        f[0].3
    );
    assert!(!f[1].3.contains("shipped"), "{}", f[1].3);
    assert!(
        f[2].3.contains("shipped to browsers (built bundle)"),
        "{}",
        f[2].3
    );
    assert_eq!(doc["stats"]["sources"]["bundles"]["findings"], 2);
}

#[test]
fn utf16_with_bom_keeps_line_numbers() {
    let t = Tree::new();
    let text = format!("# settings\r\n\r\n$token = '{GITHUB}'\r\n");
    let mut le = vec![0xFF, 0xFE];
    let mut be = vec![0xFE, 0xFF];
    for u in text.encode_utf16() {
        le.extend_from_slice(&u.to_le_bytes());
        be.extend_from_slice(&u.to_be_bytes());
    }
    t.file("le.ps1", &le);
    t.file("be.reg", &be);
    let (doc, _) = scan(&t, &["."]);
    let f = found(&doc);
    assert_eq!(f.len(), 2, "{f:#?}");
    for (x, enc) in f.iter().zip(["UTF-16BE", "UTF-16LE"]) {
        assert_eq!(x.1, 3);
        assert!(x.3.contains(enc), "{}", x.3);
    }
    assert_eq!(doc["findings"][0]["column"], 11);
    // --no-binary does not skip them: they are text.
    let (doc, _) = scan(&t, &["--no-binary", "."]);
    assert_eq!(found(&doc).len(), 2);
    let (doc, _) = scan(&t, &["--no-utf16", "."]);
    assert!(found(&doc).is_empty());
}

#[test]
fn summary_line_counts_sources() {
    let t = Tree::new();
    t.file(
        "w.zip",
        zip_of(&[("k.txt", format!("T={GITHUB}\n").as_bytes())]),
    );
    let out = t.keyscan().args(["--no-config", "."]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("findings from archives 1 (1 opened, 1 entries)"),
        "{stderr}"
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("w.zip!k.txt"), "{stdout}");
}

#[test]
fn stdin_archives_are_expanded() {
    let z = zip_of(&[("k.txt", format!("T={GITHUB}\n").as_bytes())]);
    let out = keyscan()
        .args(["--no-config", "--format", "jsonl", "-"])
        .write_stdin(z)
        .output()
        .unwrap();
    let s = String::from_utf8_lossy(&out.stdout);
    assert!(s.contains("\"path\":\"<stdin>!k.txt\""), "{s}");
}

#[test]
fn damaged_inputs_never_panic() {
    use keyscan::config::Config;
    use keyscan::detect::Detector;
    use keyscan::rules::RuleSet;
    use keyscan::scan::{Engine, ScanOptions};
    let engine = Engine::new(
        Detector::new(RuleSet::builtin().unwrap()).unwrap(),
        Config::default(),
        ScanOptions::default(),
    );
    let key = format!("T={GITHUB}\n");
    let nested = zip_of(&[("a.zip", &zip_of(&[("k.txt", key.as_bytes())]))]);
    let tgz = tar_gz_of(&[("k.txt", key.as_bytes())]);
    let nb = format!(
        "{{\"cells\": [{{\"source\": [\"x = \\\"{GITHUB}\\\"\\n\"], \"outputs\": [{{\"text\": \"\\u00e9\\ud83d\\ude00\"}}]}}], \"nbformat\": 4}}"
    );
    let k8s = format!(
        "kind: Secret\ndata:\n  a: {}\n- b: 'x'\n  c: \"\n",
        b64(&key)
    );
    let mut utf16 = vec![0xFF, 0xFE];
    for u in key.encode_utf16() {
        utf16.extend_from_slice(&u.to_le_bytes());
    }
    let inputs: [(&str, &[u8]); 5] = [
        ("x.zip", &nested),
        ("x.tgz", &tgz),
        ("x.ipynb", nb.as_bytes()),
        ("s.yaml", k8s.as_bytes()),
        ("w.ps1", &utf16),
    ];
    for (path, good) in inputs {
        assert!(!engine.scan_bytes(path, good).is_empty(), "{path}");
        // Deterministic damage: truncations and flipped bytes.
        let mut seed = 0x2545F4914F6CDD1Du64;
        for i in 0..300 {
            let mut bad = good.to_vec();
            if i % 3 == 0 {
                bad.truncate(i * 7 % (good.len() + 1));
            }
            for _ in 0..(1 + i % 4) {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                if !bad.is_empty() {
                    let at = (seed % bad.len() as u64) as usize;
                    bad[at] = (seed >> 32) as u8;
                }
            }
            engine.scan_bytes(path, &bad);
            engine.scan_bytes("", &bad);
        }
    }
}
