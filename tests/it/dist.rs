//! Distribution: the release archives and their checksums
//! (scripts/package.py), the cargo-binstall metadata that names them, the
//! Python wheel that carries the binary (pyproject.toml), the GitHub
//! Action's installer, summary and annotations (scripts/action/), and the
//! files that must stay in step with them (action.yml, the README, the
//! pre-commit hooks, the Dockerfile, Cargo.toml's rust-version).
//!
//! Nothing here compiles keyscan again or touches the network: archives
//! carry a small stand-in executable (the layout is what is tested; the
//! release workflow runs the real binary from each archive), the fake
//! release is served on 127.0.0.1, and the wheel is built from the binary
//! this test build already made.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use sha2::{Digest, Sha256};

use crate::common::*;
use crate::dist_support::*;

fn read(rel: &str) -> String {
    std::fs::read_to_string(root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `scripts/package.py ARGS` from the repository root.
fn package(args: &[&str]) -> Output {
    Command::new("python3")
        .arg(root().join("scripts/package.py"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("python3")
}

/// A stand-in for the keyscan binary: answers `--version` as keyscan does.
/// (A 150 MB debug binary would make each archive a 20-second gzip.)
fn stand_in(dir: &Path) -> PathBuf {
    let p = dir.join("keyscan-stand-in");
    std::fs::write(&p, format!("#!/bin/sh\necho \"keyscan {VERSION}\"\n")).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    p
}

/// The release targets: the `binaries` matrix of the release workflow.
fn release_targets() -> Vec<String> {
    let wf = read(".github/workflows/release.yml");
    let start = wf.find("\n  binaries:").expect("binaries job");
    let end = start + wf[start..].find("\n  wheels:").expect("wheels job");
    wf[start..end]
        .lines()
        .filter_map(|l| l.trim().strip_prefix("- { target: "))
        .map(|l| l.split(',').next().unwrap().trim().to_string())
        .collect()
}

/// Entries of a .tar.gz: (name, mode, bytes).
fn tar_entries(path: &Path) -> Vec<(String, u32, Vec<u8>)> {
    let gz = flate2::read::GzDecoder::new(std::fs::File::open(path).unwrap());
    let mut ar = tar::Archive::new(gz);
    ar.entries()
        .unwrap()
        .map(|e| {
            let mut e = e.unwrap();
            let name = e.path().unwrap().to_string_lossy().into_owned();
            let mode = e.header().mode().unwrap();
            let mut data = Vec::new();
            e.read_to_end(&mut data).unwrap();
            (name, mode, data)
        })
        .collect()
}

#[test]
fn release_archives_have_the_documented_layout_and_checksums() {
    let t = Tree::new();
    let bin = stand_in(t.path());
    let out = t.path().join("dist");
    let out_s = out.to_str().unwrap();
    let bin_s = bin.to_str().unwrap();
    let linux = "x86_64-unknown-linux-musl";
    let windows = "x86_64-pc-windows-msvc";
    for target in [linux, windows] {
        let o = package(&[target, VERSION, out_s, "--binary", bin_s]);
        assert!(o.status.success(), "{:?}", text(&o));
    }
    let readme = std::fs::read(root().join("README.md")).unwrap();
    let license = std::fs::read(root().join("LICENSE")).unwrap();
    let binary = std::fs::read(&bin).unwrap();

    // tar.gz: a directory named after the archive, the executable 0755.
    let stem = format!("keyscan-{VERSION}-{linux}");
    let tgz = out.join(format!("{stem}.tar.gz"));
    let entries = tar_entries(&tgz);
    let listing: Vec<(&str, u32)> = entries.iter().map(|(n, m, _)| (n.as_str(), *m)).collect();
    assert_eq!(
        listing,
        vec![
            (format!("{stem}/").as_str(), 0o755),
            (format!("{stem}/keyscan").as_str(), 0o755),
            (format!("{stem}/README.md").as_str(), 0o644),
            (format!("{stem}/LICENSE").as_str(), 0o644),
        ]
    );
    assert_eq!(entries[1].2, binary);
    assert_eq!(entries[2].2, readme);
    assert_eq!(entries[3].2, license);

    // zip for Windows: keyscan.exe, executable bits kept for unzip.
    let wstem = format!("keyscan-{VERSION}-{windows}");
    let zip_path = out.join(format!("{wstem}.zip"));
    let mut z = zip::ZipArchive::new(std::fs::File::open(&zip_path).unwrap()).unwrap();
    let names: Vec<String> = (0..z.len())
        .map(|i| z.by_index(i).unwrap().name().to_string())
        .collect();
    assert_eq!(
        names,
        [
            format!("{wstem}/keyscan.exe"),
            format!("{wstem}/README.md"),
            format!("{wstem}/LICENSE")
        ]
    );
    let mut exe = Vec::new();
    z.by_index(0).unwrap().read_to_end(&mut exe).unwrap();
    assert_eq!(exe, binary);
    assert_eq!(z.by_index(0).unwrap().unix_mode(), Some(0o100755));

    // One `sha256sum` line beside each archive, and SHA256SUMS over all.
    let tgz_sum = sha256_hex(&std::fs::read(&tgz).unwrap());
    let zip_sum = sha256_hex(&std::fs::read(&zip_path).unwrap());
    assert_eq!(
        std::fs::read_to_string(out.join(format!("{stem}.tar.gz.sha256"))).unwrap(),
        format!("{tgz_sum}  {stem}.tar.gz\n")
    );
    let o = package(&["--sums", out_s]);
    assert!(o.status.success(), "{:?}", text(&o));
    assert_eq!(
        std::fs::read_to_string(out.join("SHA256SUMS")).unwrap(),
        format!("{zip_sum}  {wstem}.zip\n{tgz_sum}  {stem}.tar.gz\n")
    );
    // `sha256sum -c` (what users run) accepts it.
    let check = Command::new("sha256sum")
        .args(["-c", "SHA256SUMS"])
        .current_dir(&out)
        .output()
        .expect("sha256sum");
    assert!(check.status.success(), "{:?}", text(&check));

    // Reproducible: the same binary gives the same bytes, hence the same sum.
    let again = t.path().join("again");
    let o = package(&[linux, VERSION, again.to_str().unwrap(), "--binary", bin_s]);
    assert!(o.status.success(), "{:?}", text(&o));
    assert_eq!(
        std::fs::read(again.join(format!("{stem}.tar.gz"))).unwrap(),
        std::fs::read(&tgz).unwrap()
    );

    // Mistakes are refused: a tag for a version, a missing binary.
    let o = package(&[linux, "v1.0.0", out_s, "--binary", bin_s]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o).1.contains("VERSION is the bare number"),
        "{:?}",
        text(&o)
    );
    let o = package(&[linux, VERSION, out_s, "--binary", "/nonexistent/keyscan"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).1.contains("no binary at /nonexistent/keyscan"));
}

/// Expands a cargo-binstall template (`{ name }` style).
fn binstall(template: &str, vars: &[(&str, &str)]) -> String {
    let mut s = template.to_string();
    for (k, v) in vars {
        s = s.replace(&format!("{{ {k} }}"), v);
    }
    assert!(!s.contains('{'), "unexpanded variable in {s}");
    s
}

#[test]
fn binstall_metadata_names_the_release_archives() {
    let manifest: toml::Value = toml::from_str(&read("Cargo.toml")).unwrap();
    let pkg = &manifest["package"];
    let meta = &pkg["metadata"]["binstall"];
    let repo = pkg["repository"].as_str().unwrap();
    let targets = release_targets();
    assert_eq!(
        targets,
        [
            "x86_64-unknown-linux-musl",
            "aarch64-unknown-linux-musl",
            "x86_64-apple-darwin",
            "aarch64-apple-darwin",
            "x86_64-pc-windows-msvc"
        ]
    );
    let t = Tree::new();
    let bin = stand_in(t.path());
    let out = t.path().join("dist");
    for target in &targets {
        let o = package(&[
            target,
            VERSION,
            out.to_str().unwrap(),
            "--binary",
            bin.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{:?}", text(&o));
        let over = meta
            .get("overrides")
            .and_then(|o| o.get(target.as_str()))
            .cloned()
            .unwrap_or(toml::Value::Table(Default::default()));
        let get = |k: &str| {
            over.get(k)
                .or_else(|| meta.get(k))
                .and_then(|v| v.as_str())
                .unwrap_or_else(|| panic!("binstall {k} for {target}"))
                .to_string()
        };
        let windows = target.contains("windows");
        let vars = [
            ("repo", repo),
            ("name", "keyscan"),
            ("version", VERSION),
            ("target", target.as_str()),
            ("bin", "keyscan"),
            ("binary-ext", if windows { ".exe" } else { "" }),
        ];
        let url = binstall(&get("pkg-url"), &vars);
        let file = url
            .strip_prefix(&format!("{repo}/releases/download/v{VERSION}/"))
            .unwrap_or_else(|| panic!("{url} is not in the v{VERSION} release"));
        assert!(out.join(file).is_file(), "binstall would fetch {file}");
        assert_eq!(get("pkg-fmt"), if windows { "zip" } else { "tgz" });
        // bin-dir names the executable inside that archive.
        let inside = binstall(&get("bin-dir"), &vars);
        let names: Vec<String> = if windows {
            let mut z = zip::ZipArchive::new(std::fs::File::open(out.join(file)).unwrap()).unwrap();
            (0..z.len())
                .map(|i| z.by_index(i).unwrap().name().to_string())
                .collect()
        } else {
            tar_entries(&out.join(file))
                .into_iter()
                .map(|e| e.0)
                .collect()
        };
        assert!(names.contains(&inside), "{inside} not in {names:?}");
    }
}

#[test]
fn release_workflow_builds_what_the_action_downloads() {
    let targets = release_targets();
    let install = read("scripts/action/install.sh");
    // Every target the installer maps a runner to is built and released...
    let mapped: Vec<&str> = install
        .lines()
        .filter_map(|l| l.split(") target=").nth(1))
        .map(|t| t.trim_end_matches(" ;;").trim())
        .collect();
    assert_eq!(mapped.len(), 5, "{mapped:?}");
    for t in &mapped {
        assert!(targets.iter().any(|x| x == t), "{t} is not built");
    }
    // ...and each has a wheel too, and the release uploads the sums.
    let wf = read(".github/workflows/release.yml");
    let wheels = &wf[wf.find("\n  wheels:").unwrap()..wf.find("\n  sdist:").unwrap()];
    for t in &targets {
        assert!(
            wheels.contains(&format!("target: {t},")),
            "no wheel for {t}"
        );
    }
    assert!(wf.contains("python3 scripts/package.py --sums dist"));
    assert!(wf.contains("dist/SHA256SUMS"));
}

/// Serves the files of `dir` over HTTP on 127.0.0.1 (404 for anything
/// else), on a thread, for as long as the test runs. Returns the base URL.
fn serve(dir: PathBuf) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request = String::new();
            if reader.read_line(&mut request).is_err() {
                continue;
            }
            loop {
                let mut header = String::new();
                match reader.read_line(&mut header) {
                    Ok(0) | Err(_) => break,
                    Ok(_) if header == "\r\n" => break,
                    Ok(_) => {}
                }
            }
            let path = request
                .split(' ')
                .nth(1)
                .unwrap_or("/")
                .trim_start_matches('/');
            let file = (!path.contains("..")).then(|| dir.join(path));
            let response = match file.and_then(|f| std::fs::read(f).ok()) {
                Some(body) => {
                    let mut r = format!(
                        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                        body.len()
                    )
                    .into_bytes();
                    r.extend(body);
                    r
                }
                None => b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                    .to_vec(),
            };
            let _ = stream.write_all(&response);
        }
    });
    format!("http://{addr}")
}

/// A fake GitHub release of this version for Linux x64: the archive (with
/// the stand-in binary) and SHA256SUMS, in `dir`.
fn fake_release(dir: &Path) -> String {
    let bin = stand_in(dir);
    let target = "x86_64-unknown-linux-musl";
    let dir_s = dir.to_str().unwrap();
    let o = package(&[target, VERSION, dir_s, "--binary", bin.to_str().unwrap()]);
    assert!(o.status.success(), "{:?}", text(&o));
    let o = package(&["--sums", dir_s]);
    assert!(o.status.success(), "{:?}", text(&o));
    format!("keyscan-{VERSION}-{target}.tar.gz")
}

#[test]
fn action_installs_the_release_binary_after_checking_its_sum() {
    let t = Tree::new();
    let release = t.path().join("release");
    std::fs::create_dir(&release).unwrap();
    fake_release(&release);
    let url = serve(release.clone());
    let dest = t.path().join("dest");
    let (out, vars) = install(
        &dest,
        &[("KEYSCAN_INSTALL", "auto"), ("KEYSCAN_RELEASE_URL", &url)],
    );
    assert!(out.status.success(), "{:?}", text(&out));
    let bin = dest.join(format!(
        "keyscan-{VERSION}-x86_64-unknown-linux-musl/keyscan"
    ));
    assert_eq!(vars["method"], "release");
    assert_eq!(vars["version"], VERSION);
    assert_eq!(vars["bin"], bin.to_str().unwrap());
    let ran = Command::new(&bin).arg("--version").output().unwrap();
    assert_eq!(text(&ran).0, format!("keyscan {VERSION}\n"));
    // No stray download left beside it.
    assert!(!dest.join("download").exists());
}

#[test]
fn action_refuses_a_tampered_release_archive() {
    let t = Tree::new();
    let release = t.path().join("release");
    std::fs::create_dir(&release).unwrap();
    let archive = fake_release(&release);
    // One byte more than the sums file vouches for.
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(release.join(&archive))
        .unwrap();
    f.write_all(b"\0").unwrap();
    let want = std::fs::read_to_string(release.join("SHA256SUMS")).unwrap();
    let want = want.split_whitespace().next().unwrap().to_string();
    let got = sha256_hex(&std::fs::read(release.join(&archive)).unwrap());
    let url = serve(release.clone());
    // Even in auto mode a bad sum is an error, not a reason to try pip.
    for mode in ["auto", "release"] {
        let dest = t.path().join(format!("dest-{mode}"));
        let (out, vars) = install(
            &dest,
            &[("KEYSCAN_INSTALL", mode), ("KEYSCAN_RELEASE_URL", &url)],
        );
        assert_eq!(out.status.code(), Some(1), "{:?}", text(&out));
        assert_eq!(
            text(&out).0,
            format!(
                "::error title=keyscan install::checksum mismatch for {archive}: \
                 expected {want}, got {got} (download refused)\n"
            )
        );
        assert!(!vars.contains_key("bin"), "{vars:?}");
        assert!(!vars.contains_key("method"), "{vars:?}");
        assert!(!dest
            .join(format!("keyscan-{VERSION}-x86_64-unknown-linux-musl"))
            .exists());
    }
    // A sums file that does not list the archive is refused as well.
    std::fs::write(release.join("SHA256SUMS"), format!("{got}  other.tar.gz\n")).unwrap();
    let (out, _) = install(
        &t.path().join("dest-unlisted"),
        &[
            ("KEYSCAN_INSTALL", "release"),
            ("KEYSCAN_RELEASE_URL", &url),
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out).0,
        format!(
            "::error title=keyscan install::SHA256SUMS of v{VERSION} does not list {archive}\n"
        )
    );
}

#[test]
fn action_falls_back_to_a_source_build_without_a_release_or_wheel() {
    let t = Tree::new();
    let empty = t.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let url = serve(empty.clone());
    let dest = t.path().join("dest");
    // No release asset (404), and pip finds no wheel (offline, empty index).
    let pip = format!("--no-index --find-links {}", empty.display());
    let (out, vars) = install(
        &dest,
        &[
            ("KEYSCAN_INSTALL", "auto"),
            ("KEYSCAN_RELEASE_URL", &url),
            ("KEYSCAN_PIP_ARGS", &pip),
        ],
    );
    assert!(out.status.success(), "{:?}", text(&out));
    assert_eq!(vars["method"], "source");
    assert!(!vars.contains_key("bin"));
    let err = text(&out).1;
    assert!(
        err.contains(&format!("could not download {url}/SHA256SUMS")),
        "{err}"
    );
    assert!(
        err.contains(&format!("pip could not install keyscan=={VERSION}")),
        "{err}"
    );
    // Asked for the release only, its absence fails the step.
    let (out, _) = install(
        &t.path().join("dest2"),
        &[
            ("KEYSCAN_INSTALL", "release"),
            ("KEYSCAN_RELEASE_URL", &url),
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    // A runner with no release target goes straight on.
    let (out, vars) = install(
        &t.path().join("dest3"),
        &[("KEYSCAN_INSTALL", "source"), ("RUNNER_OS", "FreeBSD")],
    );
    assert!(out.status.success(), "{:?}", text(&out));
    assert_eq!(vars["method"], "source");
}

#[test]
fn action_summary_and_annotations_from_a_report() {
    let t = Tree::new();
    let summary = t.path().join("summary.md");
    let out = Command::new("python3")
        .arg(root().join("scripts/action/report.py"))
        .args(["fixtures/action/report.json", "medium"])
        .env("GITHUB_STEP_SUMMARY", &summary)
        .current_dir(root())
        .output()
        .expect("python3");
    assert!(out.status.success(), "{:?}", text(&out));
    let (stdout, stderr) = text(&out);
    assert_eq!(stderr, "");
    // Most severe first; at or above fail-on an error, below a warning;
    // property values escaped (`,` and `:` in the file name).
    assert_eq!(
        stdout,
        "::error file=app/config.py,line=7,col=26,endColumn=190,title=keyscan%3A OpenAI project API key::\
         OpenAI project API key (openai-project-key, critical, high confidence): sk-proj-************6m. \
         Rotate it (https://platform.openai.com/api-keys), then remove it; not a secret? mark the line with keyscan:allow.\n\
         ::error file=deploy/aws.ini,line=2,endLine=3,title=keyscan%3A AWS access key::\
         AWS access key (aws-access-key, medium, high confidence): sNcC************b4. \
         Rotate it, then remove it; not a secret? mark the line with keyscan:allow.\n\
         ::warning file=odd%2C name%3A a|b.env,line=3,col=9,endColumn=41,title=keyscan%3A Generic API key::\
         Generic API key (generic-api-key, low, low confidence): Zx9q************Lm. \
         Rotate it, then remove it; not a secret? mark the line with keyscan:allow.\n"
    );
    let md = std::fs::read_to_string(&summary).unwrap();
    assert_eq!(
        md,
        "### keyscan: 3 findings (1 critical, 1 medium, 1 low) in 3 files\n\
         \n\
         12 files scanned (20.0 KiB); 2 at or above `medium` fail the job. Secrets are shown redacted.\n\
         \n\
         | Severity | Rule | Location | Secret (redacted) | Fingerprint |\n\
         |---|---|---|---|---|\n\
         | **critical** | OpenAI project API key `openai-project-key` | `app/config.py:7:26` | `sk-proj-************6m` | `d7c7b7b1382bd58f65fff5576b844643` |\n\
         | **medium** | AWS access key `aws-access-key` | `deploy/aws.ini:2:21 @ 0123456789ab` | `sNcC************b4` | `4c86de4bda05629be975d97398efa672` |\n\
         | low | Generic API key `generic-api-key` | `odd, name: a\\|b.env:3:9` | `Zx9q************Lm` | `00000000000000000000000000000001` |\n"
    );
    // The full secret (in the report only because of --show-secrets) is
    // never written anywhere.
    assert!(!stdout.contains("NOT-A-REAL-SECRET") && !md.contains("NOT-A-REAL-SECRET"));

    // A scan of nothing says so.
    let empty = t.file(
        "empty.json",
        r#"{"version":1,"findings":[],"stats":{"findings":0,"by_severity":{},"files_with_findings":0,"files_scanned":0,"bytes_scanned":0}}"#,
    );
    let out = Command::new("python3")
        .arg(root().join("scripts/action/report.py"))
        .arg(&empty)
        .arg("low")
        .env_remove("GITHUB_STEP_SUMMARY")
        .output()
        .expect("python3");
    assert_eq!(
        text(&out),
        (
            String::new(),
            "### keyscan: no findings\n\n0 files scanned (0 B). Secrets are shown redacted.\n\n\
             > [!WARNING]\n> keyscan scanned no file: check the `path` and `history` inputs \
             (a range of commits that adds nothing scans nothing).\n"
                .to_string()
        )
    );
}

/// The Action's scan script on the real binary: SARIF and JSON written,
/// the exit code passed on, annotations on workspace paths.
#[test]
fn action_scan_script_runs_keyscan_and_annotates() {
    let t = Tree::new();
    let outputs = t.path().join("outputs");
    let summary = t.path().join("summary.md");
    let out = Command::new("bash")
        .arg(root().join("scripts/action/scan.sh"))
        .env("KEYSCAN", env!("CARGO_BIN_EXE_keyscan"))
        .env("MODE", "none")
        .env("SCAN_PATH", "fixtures/basic")
        .env("FAIL_ON", "critical")
        .env("CATEGORY", "keyscan")
        .env("KEYSCAN_ARGS", "--no-config --min-confidence \"high\"")
        .env("OUT_DIR", t.path().join("report"))
        .env("GITHUB_OUTPUT", &outputs)
        .env("GITHUB_STEP_SUMMARY", &summary)
        .env("NO_COLOR", "1")
        .current_dir(root())
        .output()
        .unwrap();
    assert!(out.status.success(), "{:?}", text(&out));
    let vars = std::fs::read_to_string(&outputs).unwrap();
    let report = t.path().join("report");
    assert_eq!(
        vars,
        format!(
            "sarif={0}/keyscan.sarif\nexit-code=1\njson={0}/keyscan.json\n",
            report.display()
        )
    );
    let sarif: serde_json::Value =
        serde_json::from_slice(&std::fs::read(report.join("keyscan.sarif")).unwrap()).unwrap();
    assert_eq!(sarif["runs"][0]["results"].as_array().unwrap().len(), 5);
    let stdout = text(&out).0;
    let files: Vec<&str> = stdout
        .lines()
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert_eq!(
        files,
        [
            "::error file=fixtures/basic/.env",
            "::error file=fixtures/basic/app/config.py",
            "::error file=fixtures/basic/deploy/ci.yml",
            "::error file=fixtures/basic/deploy/ci.yml",
            "::warning file=fixtures/basic/.env",
        ]
    );
    assert!(std::fs::read_to_string(&summary)
        .unwrap()
        .starts_with("### keyscan: 5 findings (4 critical, 1 high) in 3 files\n"));
    for secret in ALL_SECRETS {
        assert!(!stdout.contains(secret));
    }
}

/// On a pull request in a one-commit-deep clone (actions/checkout's
/// default), the Action's scan fetches the base and deepens the tip until
/// they meet, then scans exactly the pull request's commits: the key added
/// before the base is not reported, the one the pull request adds is.
#[test]
fn action_scan_fetches_what_a_shallow_pull_request_needs() {
    let origin = Repo::new();
    origin.write("old.env", &format!("T={GITHUB}\n"));
    let base = origin.commit("base");
    for i in 0..3 {
        origin.write(&format!("notes/{i}.txt"), "nothing here\n");
        origin.commit("notes");
    }
    origin.write("new.env", &format!("H={HF}\n"));
    let head = origin.commit("pull request");
    let work = tempfile::tempdir().unwrap();
    let clone = work.path().join("clone");
    let url = format!("file://{}", origin.path().display());
    git(
        work.path(),
        &["clone", "-q", "--depth", "1", &url, clone.to_str().unwrap()],
    );
    assert_eq!(
        git(&clone, &["rev-parse", "--is-shallow-repository"]).trim(),
        "true"
    );
    let outputs = work.path().join("outputs");
    let out = Command::new("bash")
        .arg(root().join("scripts/action/scan.sh"))
        .env("KEYSCAN", env!("CARGO_BIN_EXE_keyscan"))
        .env("MODE", "auto")
        .env("EVENT", "pull_request")
        .env("PR_BASE", &base)
        .env("PR_HEAD", &head)
        .env("SCAN_PATH", ".")
        .env("FAIL_ON", "low")
        .env("CATEGORY", "keyscan")
        .env("KEYSCAN_ARGS", "--no-config")
        .env("ANNOTATIONS", "false")
        .env("OUT_DIR", work.path().join("report"))
        .env("GITHUB_OUTPUT", &outputs)
        .env("NO_COLOR", "1")
        .current_dir(&clone)
        .output()
        .unwrap();
    assert!(out.status.success(), "{:?}", text(&out));
    let vars = std::fs::read_to_string(&outputs).unwrap();
    assert!(vars.contains("exit-code=1\n"), "{vars}\n{:?}", text(&out));
    let doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(work.path().join("report/keyscan.json")).unwrap())
            .unwrap();
    let found: Vec<(&str, &str)> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["path"].as_str().unwrap(), f["rule_id"].as_str().unwrap()))
        .collect();
    assert_eq!(found, [("new.env", "huggingface-token")]);
}

/// The inputs of action.yml, in order.
fn action_inputs(action: &str) -> Vec<String> {
    let mut inputs = Vec::new();
    let mut within = false;
    for line in action.lines() {
        if !line.starts_with(' ') && !line.is_empty() {
            within = line == "inputs:";
            continue;
        }
        if within {
            if let Some(name) = line.strip_prefix("  ").and_then(|l| l.strip_suffix(':')) {
                if !name.starts_with(' ') {
                    inputs.push(name.to_string());
                }
            }
        }
    }
    inputs
}

/// One section of a Markdown file: from `heading` to the next heading of
/// the same or a higher level.
fn section<'a>(doc: &'a str, heading: &str) -> Option<&'a str> {
    let start = doc.find(&format!("\n{heading}"))? + 1;
    let level = heading.split(' ').next().unwrap().len();
    let rest = &doc[start + heading.len()..];
    let end = rest
        .match_indices("\n#")
        .find(|(i, _)| {
            let hashes = rest[i + 1..].chars().take_while(|c| *c == '#').count();
            hashes <= level && rest[i + 1 + hashes..].starts_with(' ')
        })
        .map_or(rest.len(), |(i, _)| i);
    Some(&doc[start..start + heading.len() + end])
}

#[test]
fn action_inputs_are_documented_and_its_flags_exist() {
    let action = read("action.yml");
    let inputs = action_inputs(&action);
    assert_eq!(
        inputs,
        [
            "path",
            "fail-on",
            "history",
            "upload-sarif",
            "category",
            "args",
            "version",
            "install",
            "annotations"
        ]
    );
    // The README's Action section documents every input. Until the draft
    // sections of docs/drafts/dist.md are merged into the README, the draft
    // counts too; once merged and the draft removed, the README alone does.
    let readme = read("README.md");
    let mut docs = section(&readme, "### GitHub Actions")
        .expect("README has a GitHub Actions section")
        .to_string();
    if let Ok(draft) = std::fs::read_to_string(root().join("docs/drafts/dist.md")) {
        docs.push_str(section(&draft, "### GitHub Actions").unwrap_or(""));
    }
    for input in &inputs {
        assert!(
            docs.contains(&format!("| `{input}` |")),
            "action.yml input `{input}` is not in the README's inputs table"
        );
    }

    // Every flag the Action passes to keyscan is one keyscan has.
    let help = String::from_utf8(keyscan().arg("--help").output().unwrap().stdout).unwrap();
    let script = read("scripts/action/scan.sh") + &read("scripts/action/install.sh") + &action;
    let mut calls = Vec::new();
    let mut continued = false;
    for line in script.lines() {
        let line = line.trim();
        let starts = line.contains("\"$KEYSCAN\"")
            || line.contains("\"$bin\"")
            || line.starts_with("scope=(");
        if starts || continued {
            calls.push(line);
        }
        continued = (starts || continued) && line.ends_with('\\');
    }
    let mut flags = Vec::new();
    for line in &calls {
        for word in line.split(|c: char| c.is_whitespace() || c == '(' || c == ')') {
            if let Some(flag) = word.strip_prefix("--") {
                if !flag.is_empty() && flag.chars().all(|c| c.is_ascii_lowercase() || c == '-') {
                    flags.push(format!("--{flag}"));
                }
            }
        }
    }
    flags.sort();
    flags.dedup();
    assert_eq!(
        flags,
        [
            "--fail-on",
            "--format",
            "--history",
            "--output",
            "--quiet",
            "--range",
            "--sarif-category",
            "--version"
        ],
        "{calls:#?}"
    );
    for flag in &flags {
        assert!(
            help.contains(&format!("{flag} ")) || help.contains(&format!("{flag}\n")),
            "keyscan --help lacks {flag}"
        );
    }
}

#[test]
fn pre_commit_hooks_install_a_prebuilt_keyscan() {
    // (id, language) of each hook, in order.
    fn hooks(yaml: &str) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for line in yaml.lines() {
            if let Some(id) = line.strip_prefix("- id: ") {
                out.push((id.to_string(), String::new()));
            } else if let Some(lang) = line.strip_prefix("  language: ") {
                out.last_mut().expect("a hook").1 = lang.to_string();
            }
        }
        out
    }
    let pairs = |v: &[(&str, &str)]| -> Vec<(String, String)> {
        v.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    };
    assert_eq!(
        hooks(&read(".pre-commit-hooks.yaml")),
        pairs(&[
            ("keyscan-system", "system"),
            ("keyscan-source", "rust"),
            ("keyscan", "rust")
        ])
    );
    // The mirror repository's hook installs the wheel of this version.
    assert_eq!(
        hooks(&read("packaging/pre-commit/.pre-commit-hooks.yaml")),
        pairs(&[("keyscan", "python")])
    );
    let mirror: toml::Value = toml::from_str(&read("packaging/pre-commit/pyproject.toml")).unwrap();
    assert_eq!(mirror["project"]["version"].as_str(), Some(VERSION));
    assert_eq!(
        mirror["project"]["dependencies"].as_array().unwrap(),
        &[toml::Value::String(format!("keyscan=={VERSION}"))]
    );
    // Every hook scans what is staged.
    for file in [
        ".pre-commit-hooks.yaml",
        "packaging/pre-commit/.pre-commit-hooks.yaml",
    ] {
        let yaml = read(file);
        let entries: Vec<&str> = yaml
            .lines()
            .filter(|l| l.starts_with("  entry: "))
            .collect();
        assert!(!entries.is_empty());
        assert!(
            entries.iter().all(|e| *e == "  entry: keyscan --staged"),
            "{file}"
        );
    }
    // The wheel: maturin, the binary only, the version from Cargo.toml.
    let py: toml::Value = toml::from_str(&read("pyproject.toml")).unwrap();
    assert_eq!(
        py["build-system"]["build-backend"].as_str(),
        Some("maturin")
    );
    assert_eq!(py["tool"]["maturin"]["bindings"].as_str(), Some("bin"));
    assert_eq!(py["project"]["name"].as_str(), Some("keyscan"));
    assert_eq!(
        py["project"]["dynamic"].as_array().unwrap(),
        &[toml::Value::String("version".into())]
    );
}

#[test]
fn dockerfile_builds_static_and_runs_as_non_root() {
    let docker = read("Dockerfile");
    let instructions: Vec<&str> = docker
        .lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with(' ') && !l.is_empty())
        .collect();
    let froms: Vec<&&str> = instructions
        .iter()
        .filter(|l| l.starts_with("FROM "))
        .collect();
    assert_eq!(froms.len(), 2, "two stages: {froms:?}");
    assert!(froms[0].ends_with(" AS builder"), "{}", froms[0]);
    assert!(froms[0].contains("alpine"), "a musl builder: {}", froms[0]);
    // The final stage: the binary from the builder, a non-root user,
    // keyscan as the entrypoint, /src as the working directory.
    let last = instructions
        .iter()
        .rposition(|l| l.starts_with("FROM "))
        .unwrap();
    let fin = &instructions[last..];
    assert!(fin.contains(&"COPY --from=builder /usr/local/bin/keyscan /usr/local/bin/keyscan"));
    let user = fin
        .iter()
        .find_map(|l| l.strip_prefix("USER "))
        .expect("a USER");
    let uid = user.split(':').next().unwrap();
    assert!(uid != "root" && uid != "0", "USER {user}");
    assert_eq!(fin.last(), Some(&"CMD [\".\"]"));
    assert!(fin.contains(&"ENTRYPOINT [\"keyscan\"]"));
    assert!(fin.contains(&"WORKDIR /src"));
    // The build context leaves out build output and local state.
    let ignore = read(".dockerignore");
    for dir in ["target/", ".git/", "fuzz/target/"] {
        assert!(
            ignore.lines().any(|l| l == dir),
            "{dir} not in .dockerignore"
        );
    }
}

/// The newest `rust-version` of the locked dependencies (for the host).
fn dependencies_msrv() -> (Vec<u64>, String) {
    // Only the host's packages: the others (Windows-only crates) are never
    // downloaded by a build here, and `--offline` cannot fetch them.
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let version = Command::new(rustc).arg("-vV").output().expect("rustc -vV");
    let host = String::from_utf8(version.stdout)
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("host: ").map(str::to_string))
        .expect("rustc -vV names the host");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--locked", "--offline"])
        .args(["--filter-platform", &host])
        .current_dir(root())
        .output()
        .expect("cargo metadata");
    assert!(out.status.success(), "{:?}", text(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let parse = |v: &str| -> Vec<u64> { v.split('.').map(|x| x.parse().unwrap()).collect() };
    doc["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["name"] != "keyscan")
        .filter_map(|p| {
            let v = p["rust_version"].as_str()?;
            let mut n = parse(v);
            n.resize(3, 0);
            Some((n, format!("{} {}", p["name"].as_str().unwrap(), v)))
        })
        .max()
        .unwrap()
}

#[test]
fn rust_version_is_the_real_minimum() {
    let manifest: toml::Value = toml::from_str(&read("Cargo.toml")).unwrap();
    let ours = manifest["package"]["rust-version"].as_str().unwrap();
    let mut ours_n: Vec<u64> = ours.split('.').map(|x| x.parse().unwrap()).collect();
    ours_n.resize(3, 0);
    let (theirs, who) = dependencies_msrv();
    assert_eq!(
        ours_n, theirs,
        "Cargo.toml says rust-version {ours}, the dependencies need {who}: set it to that"
    );
}

/// `cargo build` and `cargo test` resolve the same features for every
/// dependency (Cargo.toml, the comment above serde): otherwise building the
/// wheel below compiles half the tree again.
#[test]
fn plain_build_and_test_build_share_features() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let tree = |edges: &str| -> BTreeMap<String, String> {
        let out = Command::new(&cargo)
            .args(["tree", "--locked", "--offline", "--prefix", "none"])
            .args(["-e", edges, "--format", "{p}|{f}"])
            .current_dir(root())
            .output()
            .expect("cargo tree");
        assert!(out.status.success(), "{:?}", text(&out));
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .filter_map(|l| l.trim_end_matches(" (*)").split_once('|'))
            .map(|(p, f)| (p.to_string(), f.to_string()))
            .collect()
    };
    let plain = tree("normal,build");
    let test = tree("normal,build,dev");
    let differ: Vec<String> = plain
        .iter()
        .filter(|(p, f)| test.get(*p) != Some(f))
        .map(|(p, f)| format!("{p}: [{f}] in a plain build, [{}] in tests", test[p]))
        .collect();
    assert!(
        differ.is_empty(),
        "dev-dependencies turn on features that a plain build lacks; add them to \
         [dependencies] in Cargo.toml:\n{}",
        differ.join("\n")
    );
}

/// The README's figures about the rule pack are the binary's.
#[test]
fn readme_rule_figures_match_the_rules() {
    let out = keyscan()
        .args(["rules", "--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let rules: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rules = rules.as_array().unwrap();
    let providers: std::collections::BTreeSet<&str> = rules
        .iter()
        .map(|r| r["provider"].as_str().unwrap())
        .collect();
    let readme = read("README.md");
    let claim = format!(
        "There are {} rules for {}\nproviders",
        rules.len(),
        providers.len()
    );
    assert!(
        readme
            .replace('\n', " ")
            .contains(&claim.replace('\n', " ")),
        "the README's Rules section should say: {claim:?}"
    );
    // `keyscan rules` ends with the same count.
    let listing = String::from_utf8(keyscan().arg("rules").output().unwrap().stdout).unwrap();
    assert!(
        listing.ends_with(&format!("\n{} rules\n", rules.len())),
        "{listing}"
    );
    assert!(
        readme.contains(&format!("this release's {} rules", rules.len())),
        "the Performance section names another rule count"
    );
}
