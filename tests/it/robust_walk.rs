//! Robustness of the file-tree walk: what ignore rules may hide (tracked
//! files are part of the repository), what is taken for media (magic bytes
//! only with a consistent header, never a name alone on text), and ignore
//! files that are not regular files or are too large to read.

use std::path::Path;
use std::time::Duration;

use crate::common::{
    git, json, keyscan, pairs, path_rules, png_with as png, scan_json_within, zip_of, Repo, Tree,
    AWS_ID, GITHUB, HF,
};

const GH: &str = "github-classic-token";

/// `keyscan --no-config --format json ARGS` in `dir`, bounded to 60 s: the
/// exit code, the report and stderr. A hang, a kill or a panic fails.
fn run(dir: &Path, args: &[&str]) -> (i32, serde_json::Value, String) {
    scan_json_within(dir, args, 60)
}

/// The lines of stderr that are warnings.
fn warnings(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|l| l.starts_with("keyscan: warning:"))
        .collect()
}

// ---------------------------------------------------------------------------
// Case 4: ignore rules do not hide tracked files

#[test]
fn case_04_tracked_file_matching_gitignore_is_scanned() {
    let r = Repo::new();
    r.write(".gitignore", "secret.txt\nbuild/\n*.log\n*.cfg\n");
    r.write("secret.txt", &format!("token = {GITHUB}\n"));
    r.write("build/out.js", &format!("k='{HF}'\n"));
    r.write("src/app.py", "print('hi')\n");
    r.write("src/local.cfg", &format!("aws = {AWS_ID}\n"));
    r.git(&["add", ".gitignore", "src/app.py"]);
    r.git(&["add", "-f", "secret.txt", "build/out.js", "src/local.cfg"]);
    r.commit("tracked, although ignored");
    // Ignored and untracked: stays skipped.
    r.write("debug.log", &format!("{AWS_ID}\n"));
    r.write("build/tmp.js", &format!("k='{GITHUB}'\n"));

    let (code, doc, stderr) = run(r.path(), &["."]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        path_rules(&doc),
        pairs(&[
            ("build/out.js", "huggingface-token"),
            ("secret.txt", GH),
            ("src/local.cfg", "aws-access-key")
        ])
    );
    // .gitignore, src/app.py, and the three tracked files the rules match.
    assert_eq!(doc["stats"]["files_scanned"], 5, "{stderr}");
    let w = warnings(&stderr);
    assert_eq!(w.len(), 1, "{stderr}");
    assert!(
        w[0].contains("3 files tracked by git are matched by ignore rules")
            && w[0].contains("scanned anyway")
            && w[0].contains("build/out.js")
            && w[0].contains("secret.txt")
            && w[0].contains("src/local.cfg"),
        "{stderr}"
    );

    // The same from a subdirectory root, with paths shown from the
    // repository root, as every report names them.
    let (code, doc, stderr) = run(r.path(), &["src"]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        path_rules(&doc),
        pairs(&[("src/local.cfg", "aws-access-key")])
    );
    assert_eq!(doc["stats"]["files_scanned"], 2, "{stderr}");

    // --no-ignore scans everything, tracked or not, and warns of nothing.
    let (code, doc, stderr) = run(r.path(), &["--no-ignore", "."]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        path_rules(&doc),
        pairs(&[
            ("build/out.js", "huggingface-token"),
            ("build/tmp.js", GH),
            ("debug.log", "aws-access-key"),
            ("secret.txt", GH),
            ("src/local.cfg", "aws-access-key")
        ])
    );
    assert!(warnings(&stderr).is_empty(), "{stderr}");
}

#[test]
fn case_04_committed_ignore_star_does_not_hide_the_tree() {
    let r = Repo::new();
    r.write(".ignore", "*\n");
    r.write("src/app.py", &format!("KEY = '{GITHUB}'\n"));
    r.write("docs/readme.md", "nothing here\n");
    r.git(&["add", "-f", ".ignore", "src/app.py", "docs/readme.md"]);
    r.commit("everything ignored");
    r.write("notes.txt", &format!("{HF}\n")); // untracked: stays ignored

    let (code, doc, stderr) = run(r.path(), &["."]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(path_rules(&doc), pairs(&[("src/app.py", GH)]));
    assert_eq!(doc["stats"]["files_scanned"], 3, "{stderr}");
    assert!(
        stderr.contains("3 files tracked by git are matched by ignore rules"),
        "{stderr}"
    );
}

#[test]
fn case_04_tracked_ignored_files_keep_the_admission_and_allowlists() {
    let r = Repo::new();
    r.write(".gitignore", "vendor/\n");
    r.write("vendor/keys.py", &format!("K = '{GITHUB}'\n"));
    r.write("vendor/big.txt", &format!("{}\n{HF}\n", "x".repeat(4096)));
    r.write("vendor/skip/me.py", &format!("K = '{GITHUB}'\n"));
    r.write(
        ".keyscan.toml",
        "[allowlist]\npaths = [\"vendor/skip/**\"]\n",
    );
    std::os::unix::fs::symlink("keys.py", r.path().join("vendor/link.py")).unwrap();
    r.git(&["add", "-f", "."]);
    r.commit("vendored");
    let out = keyscan()
        .current_dir(r.path())
        .args(["--format", "json", "--max-file-size", "1K", "."])
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let doc = json(&out.stdout);
    assert_eq!(path_rules(&doc), pairs(&[("vendor/keys.py", GH)]));
    let skipped = &doc["stats"]["skipped"];
    assert_eq!(skipped["too_large"], 1, "{doc:#}");
    assert_eq!(skipped["allowlisted"], 2, "{doc:#}"); // the config file too
    assert_eq!(skipped["symlink"], 1, "{doc:#}");
}

// ---------------------------------------------------------------------------
// Case 6: text is not taken for media

/// Real minimal headers of each media format keyscan recognises by its
/// magic bytes, each followed by `tail`.
fn real_media(tail: &str) -> Vec<(&'static str, Vec<u8>)> {
    let with = |head: &[u8]| {
        let mut v = head.to_vec();
        v.extend_from_slice(tail.as_bytes());
        v
    };
    // sfnt table directory of 10 tables (binary search fields 128, 3, 32).
    let mut sfnt_dir = b"\x00\x0a\x00\x80\x00\x03\x00\x20".to_vec();
    for tag in [
        b"CFF ", b"OS/2", b"cmap", b"head", b"hhea", b"hmtx", b"maxp", b"name", b"post", b"vhea",
    ] {
        sfnt_dir.extend_from_slice(tag);
        sfnt_dir.extend_from_slice(b"\x12\x34\x56\x78\x00\x00\x01\x00\x00\x00\x00\x20");
    }
    let sfnt = |magic: &[u8]| {
        let mut v = magic.to_vec();
        v.extend_from_slice(&sfnt_dir);
        v.extend_from_slice(tail.as_bytes());
        v
    };
    vec![
        ("a.dat", png(tail)),
        ("b.dat", with(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")),
        (
            "c.dat",
            with(b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"),
        ),
        (
            "d.dat",
            with(b"GIF87a\x02\x00\x02\x00\x00\x00\x00,\x00\x00\x00\x00\x02\x00\x02\x00\x00\x02\x02\x84\x51\x00;"),
        ),
        ("e.dat", with(b"ID3\x03\x00\x00\x00\x00\x00\x0aTIT2\x00\x00\x00\x03\x00\x00\x00hi")),
        (
            "f.dat",
            with(b"OggS\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00\x12\x34\x56\x78\x00\x00\x00\x00\xaa\xbb\xcc\xdd\x01\x1e\x01vorbis\x00\x00\x00\x00\x02\x44\xac\x00\x00"),
        ),
        ("g.dat", {
            let mut v = b"fLaC\x80\x00\x00\x22".to_vec();
            v.extend_from_slice(&[0x10, 0x00, 0x10, 0x00, 0, 0, 0x0e, 0, 0x10, 0x00]);
            v.extend_from_slice(&[0x0a, 0xc4, 0x42, 0xf0, 0, 0, 0, 0]);
            v.extend_from_slice(&[0u8; 16]);
            v.extend_from_slice(tail.as_bytes());
            v
        }),
        (
            "h.dat",
            with(b"wOFF\x00\x01\x00\x00\x00\x00\x04\x00\x00\x0a\x00\x00\x00\x00\x08\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"),
        ),
        (
            "i.dat",
            with(b"wOF2OTTO\x00\x00\x04\x00\x00\x0a\x00\x00\x00\x00\x08\x00\x00\x00\x02\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"),
        ),
        ("j.dat", sfnt(b"OTTO")),
        ("k.dat", sfnt(b"\x00\x01\x00\x00")),
        (
            "l.dat",
            with(b"RIFF\x24\x08\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00\x44\xac\x00\x00\x88\x58\x01\x00\x02\x00\x10\x00data\x00\x08\x00\x00"),
        ),
        (
            "m.dat",
            with(b"RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00\x2f\x00\x00\x00\x10\x07\x10\x11\x11\x88\x88\xfe\x07\x00"),
        ),
        (
            "n.dat",
            with(b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2\x00\x00\x00\x08free"),
        ),
        (
            "o.dat",
            with(b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\xf2\x81\x04\x42\xf3\x81\x08\x42\x82\x84webm\x42\x87\x81\x04\x42\x85\x81\x02"),
        ),
        (
            "p.dat",
            with(b"BM\x3a\x00\x00\x00\x00\x00\x00\x00\x36\x00\x00\x00\x28\x00\x00\x00\x01\x00\x00\x00\x01\x00\x00\x00\x01\x00\x18\x00\x00\x00\x00\x00\x04\x00\x00\x00"),
        ),
        ("q.dat", with(b"II*\x00\x08\x00\x00\x00\x01\x00\x00\x01\x03\x00\x01\x00\x00\x00\x01\x00")),
        ("r.dat", with(b"MM\x00*\x00\x00\x00\x08\x00\x01\x01\x00\x00\x03\x00\x00\x00\x01\x00\x01")),
        (
            "s.dat",
            with(b"\x00\x00\x01\x00\x01\x00\x10\x10\x00\x00\x01\x00\x20\x00\x68\x04\x00\x00\x16\x00\x00\x00"),
        ),
    ]
}

#[test]
fn case_06_text_starting_with_id3_is_scanned() {
    let t = Tree::new();
    let magics = [
        "ID3", "OTTO", "GIF89a", "GIF87a", "OggS", "fLaC", "wOFF", "wOF2", "RIFF",
    ];
    for m in magics {
        t.file(&format!("{m}.txt"), format!("{m} notes: token={GITHUB}\n"));
    }
    // Text named like media, in UTF-8 and in Latin-1.
    t.file("x.png", format!("token={GITHUB}\n"));
    let mut latin1 = b"caf\xe9 cr\xe8me: ".to_vec();
    latin1.extend_from_slice(GITHUB.as_bytes());
    t.file("menu.jpg", &latin1);
    let (code, doc, stderr) = run(t.path(), &["."]);
    assert_eq!(code, 1, "{stderr}");
    let mut want: Vec<(String, String)> = magics
        .iter()
        .map(|m| (format!("{m}.txt"), GH.to_string()))
        .collect();
    want.push(("menu.jpg".into(), GH.into()));
    want.push(("x.png".into(), GH.into()));
    want.sort();
    assert_eq!(path_rules(&doc), want);
    assert_eq!(doc["stats"]["skipped"]["media"], 0);
}

#[test]
fn case_06_real_media_headers_are_still_skipped() {
    let t = Tree::new();
    let tail = format!("\ntoken={GITHUB}\n");
    let media = real_media(&tail);
    for (name, bytes) in &media {
        t.file(name, bytes);
    }
    // Named like media and binary, magic or not: skipped.
    t.file(
        "photo.psd",
        b"8BPS\x00\x01\x00\x00\x00\x00\x00\x00\x00\x03token=",
    );
    t.file("logo.png", png(&tail));
    let (code, doc, stderr) = run(t.path(), &["."]);
    assert_eq!(code, 0, "{stderr}");
    assert!(path_rules(&doc).is_empty(), "{doc:#}");
    assert_eq!(doc["stats"]["skipped"]["media"], media.len() as u64 + 2);
    assert_eq!(doc["stats"]["files_scanned"], 0);
}

#[test]
fn case_06_media_policy_holds_for_archive_entries_git_blobs_and_staged_files() {
    let tail = format!("\ntoken={GITHUB}\n");
    // Archive entries.
    let t = Tree::new();
    let text = format!("token={HF}\n");
    t.file(
        "assets.zip",
        zip_of(&[
            ("logo.png", &png(&tail)),
            ("notes.png", text.as_bytes()),
            ("ID3.md", format!("ID3 {GITHUB}\n").as_bytes()),
        ]),
    );
    let (code, doc, stderr) = run(t.path(), &["."]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        path_rules(&doc),
        pairs(&[
            ("assets.zip!ID3.md", GH),
            ("assets.zip!notes.png", "huggingface-token")
        ])
    );

    // Git history blobs.
    let r = Repo::new();
    std::fs::write(r.path().join("logo.png"), png(&tail)).unwrap();
    r.write("notes.png", &text);
    r.write("OggS.txt", &format!("OggS {GITHUB}\n"));
    r.commit("media and text");
    let (doc, code, stderr) = r.scan(&["--history"]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        path_rules(&doc),
        pairs(&[("OggS.txt", GH), ("notes.png", "huggingface-token")])
    );
    assert_eq!(doc["stats"]["skipped"]["media"], 1);

    // Staged files.
    let r = Repo::new();
    r.commit("empty");
    std::fs::write(r.path().join("logo.png"), png(&tail)).unwrap();
    r.write("notes.png", &text);
    r.write("fLaC.txt", &format!("fLaC {GITHUB}\n"));
    r.git(&["add", "."]);
    let (doc, code, stderr) = r.scan(&["--staged"]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        path_rules(&doc),
        pairs(&[("fLaC.txt", GH), ("notes.png", "huggingface-token")])
    );
    assert_eq!(doc["stats"]["skipped"]["media"], 1);
}

// ---------------------------------------------------------------------------
// Case 11: ignore files that are not regular files, or too large

#[cfg(unix)]
fn mkfifo(p: &Path) {
    let made = std::process::Command::new("mkfifo").arg(p).status();
    assert!(made.is_ok_and(|s| s.success()), "mkfifo failed");
}

#[cfg(unix)]
#[test]
fn case_11_gitignore_fifo_does_not_hang() {
    let t = Tree::new();
    t.file("a.txt", format!("T={GITHUB}\n"));
    t.file("sub/b.txt", format!("T={HF}\n"));
    mkfifo(&t.path().join(".gitignore"));
    mkfifo(&t.path().join("sub/.ignore"));
    let (code, doc, stderr) = run(t.path(), &["."]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        path_rules(&doc),
        pairs(&[("a.txt", GH), ("sub/b.txt", "huggingface-token")])
    );
    let w = warnings(&stderr);
    assert_eq!(w.len(), 2, "{stderr}");
    assert!(
        w.iter()
            .any(|l| l.contains(".gitignore: not a regular file")),
        "{stderr}"
    );
    assert!(
        w.iter()
            .any(|l| l.contains("sub/.ignore: not a regular file")),
        "{stderr}"
    );
    // The FIFOs themselves are skipped as special files.
    assert_eq!(doc["stats"]["skipped"]["special"], 2);
}

#[cfg(unix)]
#[test]
fn case_11_ignore_symlink_to_dev_zero_is_not_read() {
    use std::os::unix::fs::symlink;
    let t = Tree::new();
    t.file("a.txt", format!("T={GITHUB}\n"));
    t.file("sub/b.txt", format!("T={HF}\n"));
    symlink("/dev/zero", t.path().join(".ignore")).unwrap();
    symlink("/dev/zero", t.path().join("sub/.gitignore")).unwrap();
    let (code, doc, stderr) = run(t.path(), &["."]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        path_rules(&doc),
        pairs(&[("a.txt", GH), ("sub/b.txt", "huggingface-token")])
    );
    let w = warnings(&stderr);
    assert_eq!(w.len(), 2, "{stderr}");
    assert!(w.iter().all(|l| l.contains("symbolic link")), "{stderr}");
    // A symbolic link to a regular ignore file is not followed either (git
    // does not follow a symlinked .gitignore): its rules do not hide files.
    let t = Tree::new();
    t.file("rules.txt", "*.env\n");
    t.file("prod.env", format!("T={GITHUB}\n"));
    symlink("rules.txt", t.path().join(".gitignore")).unwrap();
    let (code, doc, stderr) = run(t.path(), &["."]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(path_rules(&doc), pairs(&[("prod.env", GH)]));
    assert!(
        stderr.contains(".gitignore: a symbolic link; not followed"),
        "{stderr}"
    );
}

#[test]
fn case_11_oversized_ignore_file_is_not_applied() {
    let t = Tree::new();
    t.file("a.env", format!("T={GITHUB}\n"));
    let mut big = String::from("*.env\n");
    while big.len() <= 5 << 20 {
        big.push_str("# padding padding padding padding padding padding padding\n");
    }
    t.file(".gitignore", &big);
    let (code, doc, stderr) = run(t.path(), &["."]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(path_rules(&doc), pairs(&[("a.env", GH)]));
    let w = warnings(&stderr);
    assert_eq!(w.len(), 1, "{stderr}");
    assert!(
        w[0].contains(".gitignore: larger than 4.0 MiB; its rules are not applied"),
        "{stderr}"
    );
}

#[test]
fn case_11_ignore_rules_keep_their_precedence() {
    // The walk applies ignore rules itself now: nested files override their
    // parents, `!` whitelists, directory-only rules, anchored rules, .ignore
    // over .gitignore, git's info/exclude, and the ignore files of the
    // parents of a scanned subdirectory.
    let r = Repo::new();
    let key = format!("T={GITHUB}\n");
    r.write(".gitignore", "*.secret\nlogs/\n/top.txt\n");
    r.write("a.secret", &key); // ignored
    r.write("keep/.gitignore", "!*.secret\n");
    r.write("keep/b.secret", &key); // whitelisted by the deeper file
    r.write("logs/c.txt", &key); // directory rule
    r.write("deep/logs", &key); // a file named logs: not a directory
    r.write("top.txt", &key); // anchored: ignored
    r.write("deep/top.txt", &key); // anchored elsewhere: scanned
    r.write("deep/y.secret", &key); // ignored
    r.write(".ignore", "!override.secret\n");
    r.write("override.secret", &key); // .ignore beats .gitignore
    r.write("excluded.cfg", &key);
    std::fs::write(r.path().join(".git/info/exclude"), "excluded.cfg\n").unwrap();
    r.write(".keep.secret", &key); // hidden and ignored
    r.write("keep/.hidden.secret", &key); // hidden and whitelisted
    let (code, doc, stderr) = run(r.path(), &["."]);
    assert_eq!(code, 1, "{stderr}");
    let all = [
        ("deep/logs", GH),
        ("deep/top.txt", GH),
        ("keep/.hidden.secret", GH),
        ("keep/b.secret", GH),
        ("override.secret", GH),
    ];
    assert_eq!(path_rules(&doc), pairs(&all));
    assert!(warnings(&stderr).is_empty(), "{stderr}");
    // --no-hidden skips hidden files, except those a rule whitelists.
    let (code, doc, stderr) = run(r.path(), &["--no-hidden", "."]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(path_rules(&doc), pairs(&all));
    // From a subdirectory: the ignore files of its parents still apply.
    let (code, doc, stderr) = run(&r.path().join("deep"), &["."]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        path_rules(&doc),
        pairs(&[("deep/logs", GH), ("deep/top.txt", GH)])
    );
    let (code, doc, stderr) = run(r.path(), &["keep", "deep"]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        path_rules(&doc),
        pairs(&[
            ("deep/logs", GH),
            ("deep/top.txt", GH),
            ("keep/.hidden.secret", GH),
            ("keep/b.secret", GH)
        ])
    );
}

#[test]
fn case_11_ignore_files_above_the_repository_root_do_not_apply() {
    // As in git: a .gitignore above the repository (a home directory kept
    // in git, say) does not reach into it.
    let outer = Tree::new();
    outer.file(".gitignore", "*.py\n");
    outer.file("project/app.py", format!("T={GITHUB}\n"));
    outer.file("plain/tool.py", format!("T={GITHUB}\n"));
    git(&outer.path().join("project"), &["init", "-q", "."]);
    let (code, doc, stderr) = run(&outer.path().join("project"), &["."]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(path_rules(&doc), pairs(&[("app.py", GH)]));
    // Outside a repository, the parents' ignore files apply as before.
    let (code, doc, stderr) = run(&outer.path().join("plain"), &["."]);
    assert_eq!(code, 0, "{stderr}");
    assert!(path_rules(&doc).is_empty());
}
