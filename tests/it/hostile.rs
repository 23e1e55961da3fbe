//! Hostile inputs: keyscan runs on untrusted trees, so each odd thing a
//! tree can hold has a test asserting exactly what keyscan does with it.
//! It must never crash, hang, lose a finding silently or misplace one.
//!
//! Some cases depend on the machine: mode 000 does not stop root, so as
//! root the permission test runs keyscan as `nobody` through `setpriv`;
//! device nodes need `mknod`. A case that cannot run prints why, and each
//! has a variant that runs anywhere (a walk that fails on an over-long
//! path, a read that fails in /proc, /dev/zero named on the command line).
//!

use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::common::*;

const GH: &str = "github-classic-token";

fn is_root() -> bool {
    std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"))
}

// ---------------------------------------------------------------------------
// File contents

#[test]
fn invalid_utf8_does_not_hide_a_key() {
    let t = Tree::new();
    t.file(
        "a.txt",
        [
            &b"\xc3(\xff\xfe\n\x80\x80T="[..],
            GITHUB.as_bytes(),
            b"\n\xed\xa0\x80",
        ]
        .concat(),
    );
    let (code, doc, _) = scan_json(t.path(), &["."]);
    assert_eq!(code, 1);
    // Columns count UTF-8 lead bytes: the two stray continuation bytes
    // that open line 2 take no column.
    assert_eq!(locations(&doc), vec![loc("a.txt", 2, 3, GH)]);
    assert_eq!(doc["findings"][0]["end_column"], 3 + 40);
}

/// Bytes FF FE open a UTF-16 LE file, which is decoded before scanning; a
/// file that only starts with them and is not UTF-16 must not hide its keys.
#[test]
fn utf16_bom_on_a_file_that_is_not_utf16_does_not_hide_keys() {
    let t = Tree::new();
    t.file(
        "a.txt",
        [&b"\xff\xfe\n"[..], format!("T={GITHUB}\n").as_bytes()].concat(),
    );
    let (code, doc, _) = scan_json(t.path(), &["."]);
    assert_eq!(code, 1);
    assert_eq!(locations(&doc), vec![loc("a.txt", 2, 3, GH)]);
}

#[test]
fn nul_bytes_make_a_file_binary_but_it_is_still_scanned() {
    let t = Tree::new();
    t.file("a.txt", format!("a\0b\0\nT={GITHUB}\0\n"));
    let (code, doc, _) = scan_json(t.path(), &["."]);
    assert_eq!(code, 1);
    assert_eq!(locations(&doc), vec![loc("a.txt", 2, 3, GH)]);
    assert_eq!(doc["stats"]["binary_files_scanned"], 1);
    // --no-binary skips it, and says so.
    let (code, doc, _) = scan_json(t.path(), &["--no-binary", "."]);
    assert_eq!(code, 0);
    assert_eq!(doc["stats"]["skipped"]["binary"], 1);
}

#[test]
fn crlf_cr_and_mixed_line_endings_keep_line_numbers_right() {
    let t = Tree::new();
    t.file("crlf.txt", format!("one\r\ntwo\r\nT={GITHUB}\r\n"));
    t.file("cr.txt", format!("one\rtwo\rT={GITHUB}\r"));
    // \r\n, \r, \n, \r\n: the key is on line 5.
    t.file("mixed.txt", format!("a\r\n\rb\n\r\n  T={GITHUB}\n"));
    let (code, doc, _) = scan_json(t.path(), &["."]);
    assert_eq!(code, 1);
    assert_eq!(
        locations(&doc),
        vec![
            loc("cr.txt", 3, 3, GH),
            loc("crlf.txt", 3, 3, GH),
            loc("mixed.txt", 5, 5, GH),
        ]
    );
    for f in doc["findings"].as_array().unwrap() {
        assert_eq!(f["end_line"], f["line"]);
        assert_eq!(
            f["end_column"].as_u64(),
            f["column"].as_u64().map(|c| c + 40)
        );
    }
}

#[test]
fn utf8_bom_takes_no_column() {
    let t = Tree::new();
    t.file("bom.txt", format!("\u{feff}T={GITHUB}\nU={GITHUB}\n"));
    let (code, doc, _) = scan_json(t.path(), &["."]);
    assert_eq!(code, 1);
    // As an editor shows it: `T=` at column 1, the key at column 3.
    assert_eq!(
        locations(&doc),
        vec![loc("bom.txt", 1, 3, GH), loc("bom.txt", 2, 3, GH)]
    );
}

#[test]
fn empty_file_and_file_without_trailing_newline() {
    let t = Tree::new();
    t.file("empty.txt", "");
    let (code, doc, _) = scan_json(t.path(), &["."]);
    assert_eq!(code, 0);
    assert_eq!(doc["stats"]["files_scanned"], 1);
    assert_eq!(doc["stats"]["bytes_scanned"], 0);
    // The key is the last thing in the file.
    t.file("tail.txt", format!("x\nT={GITHUB}"));
    let (code, doc, _) = scan_json(t.path(), &["."]);
    assert_eq!(code, 1);
    assert_eq!(locations(&doc), vec![loc("tail.txt", 2, 3, GH)]);
    assert_eq!(doc["stats"]["files_scanned"], 2);
}

/// A 100 MiB line, read in chunks: keys at its start, across the first
/// chunk boundary and at its end are each found once, at the right column.
#[test]
fn hundred_megabyte_line() {
    const MIB: usize = 1024 * 1024;
    let t = Tree::new();
    let mut line = vec![b' '; 100 * MIB];
    let key = GITHUB.as_bytes();
    let at = [0, 16 * MIB - 20, 100 * MIB - key.len()];
    for &i in &at {
        line[i..i + key.len()].copy_from_slice(key);
    }
    let head = b"first\n";
    t.file("long.txt", [&head[..], &line, b"\nlast\n"].concat());
    drop(line);

    // Over the default size cap: skipped, counted, not read.
    let (code, doc, _) = scan_json(t.path(), &["."]);
    assert_eq!(code, 0);
    assert_eq!(doc["stats"]["skipped"]["too_large"], 1);
    assert_eq!(doc["stats"]["files_scanned"], 0);

    let (code, doc, stderr) = scan_json(t.path(), &["--max-file-size", "200MiB", "."]);
    assert_eq!(code, 1, "{stderr}");
    let expected: Vec<_> = at
        .iter()
        .map(|&i| loc("long.txt", 2, i as u64 + 1, GH))
        .collect();
    assert_eq!(locations(&doc), expected);
    assert_eq!(doc["stats"]["files_scanned"], 1);
}

/// Columns on one long line cost one pass, however many findings it holds
/// (each finding used to recount its line from the start).
#[test]
fn locating_many_findings_on_one_long_line_is_linear() {
    let line = "k".repeat(4 << 20);
    let mut loc = keyscan::text::Locator::new(line.as_bytes());
    let start = Instant::now();
    for i in (0..line.len()).step_by(64) {
        assert_eq!(loc.locate(i), (1, i + 1));
    }
    // Quadratic counting needs about 10^11 steps here; linear, 4 * 10^6.
    assert!(
        start.elapsed() < Duration::from_secs(20),
        "{:?}",
        start.elapsed()
    );
}

/// A file that grows while keyscan reads the tree: the key at its start is
/// reported exactly once, and the scan ends.
#[test]
fn file_growing_during_the_scan() {
    let t = Tree::new();
    let p = t.file("grow.log", format!("T={GITHUB}\n"));
    for i in 0..50 {
        t.file(&format!("other/{i}.txt"), "plain text\n".repeat(100));
    }
    let stop = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|s| {
        s.spawn(|| {
            use std::io::Write;
            let mut f = std::fs::OpenOptions::new().append(true).open(&p).unwrap();
            let mut written = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) && written < (8 << 20) {
                f.write_all(&b"appended line, no secret here\n".repeat(64))
                    .unwrap();
                written += 30 * 64;
            }
        });
        for _ in 0..5 {
            let (code, doc, stderr) = scan_json(t.path(), &["."]);
            assert_eq!(code, 1, "{stderr}");
            assert_eq!(locations(&doc), vec![loc("grow.log", 1, 3, GH)]);
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
    });
}

/// Warnings collected from a walk.
#[derive(Default)]
struct Collect(Mutex<Vec<String>>);

impl keyscan::source::Events for Collect {
    fn warning(&self, message: String) {
        self.0.lock().unwrap().push(message);
    }
}

/// Walk `root`, calling `before_read(shown_path)` after a file is listed
/// and before it is opened; returns (files seen with their sizes, stats,
/// warnings).
fn walk_with_hook(
    root: &Path,
    before_read: &(dyn Fn(&str) + Sync),
) -> (
    Vec<(String, usize)>,
    keyscan::source::StatsSnapshot,
    Vec<String>,
) {
    use keyscan::source::fs::{walk, WalkOptions};
    use keyscan::source::Blob;
    let stats = keyscan::source::Stats::default();
    let events = Collect::default();
    let seen = Mutex::new(Vec::new());
    let opts = WalkOptions {
        max_file_size: 1 << 20,
        threads: 1,
        ..WalkOptions::default()
    };
    let skip = |p: &str| {
        before_read(p);
        false
    };
    walk(&[root.to_path_buf()], &opts, &stats, &events, &skip, || {
        |b: Blob<'_>| {
            seen.lock()
                .unwrap()
                .push((b.origin.path().unwrap().to_string(), b.bytes.len()));
        }
    });
    let mut seen = seen.into_inner().unwrap();
    seen.sort();
    (seen, stats.snapshot(), events.0.into_inner().unwrap())
}

#[test]
fn file_vanishing_after_it_is_listed_is_warned_and_counted() {
    let t = Tree::new();
    t.file("stays.txt", "a\n");
    let gone = t.file("gone.txt", "b\n");
    let (seen, stats, warnings) = walk_with_hook(t.path(), &|p| {
        if p == "gone.txt" {
            std::fs::remove_file(&gone).unwrap();
        }
    });
    assert_eq!(seen, vec![("stays.txt".to_string(), 2)]);
    assert_eq!(stats.unreadable, 1);
    assert_eq!(warnings.len(), 1);
    assert!(
        warnings[0].starts_with("gone.txt: No such file or directory"),
        "{warnings:?}"
    );
}

#[test]
fn file_growing_past_the_cap_after_it_is_listed_is_skipped_as_too_large() {
    let t = Tree::new();
    let p = t.file("grows.txt", "small\n");
    let (seen, stats, warnings) = walk_with_hook(t.path(), &|_| {
        std::fs::write(&p, vec![b'x'; 2 << 20]).unwrap();
    });
    assert!(seen.is_empty(), "{seen:?}");
    assert_eq!(stats.skipped.too_large, 1);
    assert_eq!(stats.unreadable, 0);
    assert!(warnings.is_empty());
}

#[test]
fn file_shrinking_after_it_is_listed_is_read_as_it_now_is() {
    let t = Tree::new();
    let p = t.file("shrinks.txt", "x".repeat(100_000));
    let (seen, stats, _) = walk_with_hook(t.path(), &|_| {
        std::fs::write(&p, "tiny\n").unwrap();
    });
    assert_eq!(seen, vec![("shrinks.txt".to_string(), 5)]);
    assert_eq!(stats.files_scanned, 1);
}

// ---------------------------------------------------------------------------
// Tree structure

#[cfg(unix)]
#[test]
fn symlinks_are_not_followed_unless_asked_and_loops_are_detected() {
    use std::os::unix::fs::symlink;
    let outside = Tree::new();
    let secret = outside.file("secret.env", format!("T={GITHUB}\n"));
    let t = Tree::new();
    t.file("plain.txt", "nothing\n");
    std::fs::create_dir(t.path().join("sub")).unwrap();
    symlink("..", t.path().join("sub/loop")).unwrap();
    symlink(outside.path(), t.path().join("out-dir")).unwrap();
    symlink(&secret, t.path().join("out-file.env")).unwrap();
    symlink("/nonexistent/keyscan-test", t.path().join("dangling")).unwrap();

    // Default: no link is followed; each is counted.
    let (code, doc, stderr) = scan_json(t.path(), &["."]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(doc["stats"]["skipped"]["symlink"], 4);
    assert_eq!(doc["stats"]["files_scanned"], 1);
    assert!(!stderr.contains("warning"), "{stderr}");

    // --follow: links out of the root are followed; the loop and the
    // dangling link are warned about and counted as links not followed.
    let (code, doc, stderr) = scan_json(t.path(), &["--follow", "."]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        locations(&doc),
        vec![
            loc("out-dir/secret.env", 1, 3, GH),
            loc("out-file.env", 1, 3, GH)
        ]
    );
    assert_eq!(doc["stats"]["skipped"]["symlink"], 2);
    assert_eq!(doc["stats"]["unreadable"], 0);
    assert!(
        stderr
            .contains("keyscan: warning: ./sub/loop: symbolic link loop (back to .); not followed"),
        "{stderr}"
    );
    assert!(
        stderr.contains("keyscan: warning: ./dangling: broken symbolic link; not followed"),
        "{stderr}"
    );
}

#[cfg(unix)]
#[test]
fn fifo_socket_and_devices_are_skipped_without_being_opened() {
    let t = Tree::new();
    t.file("plain.txt", "nothing\n");
    let fifo = t.path().join("fifo");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    assert!(made.is_ok_and(|s| s.success()), "mkfifo failed");
    let _sock = std::os::unix::net::UnixListener::bind(t.path().join("sock")).unwrap();
    let mut special = 2;
    let dev = t.path().join("zero-device");
    let mknod = std::process::Command::new("mknod")
        .arg(&dev)
        .args(["c", "1", "5"])
        .stderr(std::process::Stdio::null())
        .status();
    if mknod.is_ok_and(|s| s.success()) {
        special += 1;
    } else {
        eprintln!("note: mknod not permitted here; the device case runs on /dev/zero below");
    }
    // Nobody writes to the FIFO: opening it for reading would block forever.
    let start = Instant::now();
    let (code, doc, stderr) = scan_json(t.path(), &["."]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(doc["stats"]["skipped"]["special"], special);
    assert_eq!(doc["stats"]["files_scanned"], 1);
    assert!(start.elapsed() < Duration::from_secs(60));

    // Named on the command line, too: a FIFO, an endless device, a sink.
    for p in [fifo.to_str().unwrap(), "/dev/zero", "/dev/null"] {
        if !Path::new(p).exists() {
            continue;
        }
        let (code, doc, stderr) = scan_json(t.path(), &[p]);
        assert_eq!(code, 0, "{p}: {stderr}");
        assert_eq!(doc["stats"]["skipped"]["special"], 1, "{p}");
        assert_eq!(doc["stats"]["bytes_scanned"], 0, "{p}");
    }
}

/// Run keyscan as user `nobody` (through setpriv) when the tests run as
/// root, whom mode 000 does not stop; as the current user otherwise. None
/// if neither can test permissions.
#[cfg(unix)]
fn unprivileged_scan(dir: &Path, args: &[&str]) -> Option<(i32, serde_json::Value, String)> {
    if !is_root() {
        return Some(scan_json(dir, args));
    }
    let bin = assert_cmd::cargo::cargo_bin("keyscan");
    let out = std::process::Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(&bin)
        .args(["--no-config", "--format", "json"])
        .args(args)
        .current_dir(dir)
        .env("HOME", "/nonexistent")
        .env_remove("KEYSCAN_CONFIG")
        .env("NO_COLOR", "1")
        .output()
        .ok()?;
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    if out.stdout.is_empty() {
        eprintln!("note: setpriv could not run keyscan as nobody: {stderr}");
        return None;
    }
    Some((out.status.code()?, json(&out.stdout), stderr))
}

#[cfg(unix)]
#[test]
fn permission_denied_file_and_directory_are_warned_counted_and_fail_a_clean_scan() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &Path, m: u32| std::fs::set_permissions(p, std::fs::Permissions::from_mode(m));
    let t = Tree::new();
    // Readable by everyone but for the two locked entries, so that a
    // different user can walk it.
    mode(t.path(), 0o755).unwrap();
    t.file("open.txt", "nothing\n");
    let file = t.file("locked.txt", "nothing\n");
    let dir = t.path().join("locked-dir");
    t.file("locked-dir/inner.txt", "nothing\n");
    mode(&file, 0o000).unwrap();
    mode(&dir, 0o000).unwrap();
    let Some((code, doc, stderr)) = unprivileged_scan(t.path(), &["."]) else {
        mode(&dir, 0o755).unwrap();
        eprintln!(
            "skipped: running as root, whom mode 000 does not stop, and setpriv cannot \
             drop privileges; see unreadable_file_and_unwalkable_directory_as_any_user"
        );
        return;
    };
    assert_eq!(code, 2, "{stderr}");
    assert_eq!(doc["stats"]["unreadable"], 2, "{stderr}");
    assert_eq!(doc["stats"]["files_scanned"], 1, "{stderr}");
    assert!(
        stderr.contains("keyscan: warning: locked.txt: Permission denied"),
        "{stderr}"
    );
    assert!(stderr.contains("locked-dir"), "{stderr}");
    assert!(stderr.contains("the scan is incomplete"), "{stderr}");
    // A finding elsewhere decides the exit code; the errors are still told.
    let leak = t.file("leak.env", format!("T={GITHUB}\n"));
    mode(&leak, 0o644).unwrap();
    let (code, doc, stderr) = unprivileged_scan(t.path(), &["."]).unwrap();
    mode(&dir, 0o755).unwrap();
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(doc["stats"]["unreadable"], 2);
    assert_eq!(locations(&doc), vec![loc("leak.env", 1, 3, GH)]);
}

/// Make `depth` nested directories named `name` under `root` with the
/// shell (whose `cd` is relative, so it goes past PATH_MAX), writing
/// `files` (depth, name, contents) on the way down.
#[cfg(unix)]
fn deep_tree(root: &Path, depth: usize, name: &str, files: &[(usize, &str, &str)]) {
    let mut script = String::from("set -e\n");
    for d in 1..=depth {
        script.push_str(&format!("mkdir {name}; cd -P {name}\n"));
        for (at, file, text) in files {
            if *at == d {
                script.push_str(&format!("printf '%s\\n' '{text}' > {file}\n"));
            }
        }
    }
    let ok = std::process::Command::new("sh")
        .arg("-c")
        .arg(script)
        .current_dir(root)
        .status()
        .unwrap();
    assert!(ok.success());
}

/// Deep trees: findings within the system's path limit are found; a
/// directory past it cannot be opened, so it is warned about and counted,
/// and a clean scan exits 2. This is also the unreadable-directory case
/// that runs as root.
#[cfg(unix)]
#[test]
fn very_deep_tree_and_directories_past_the_path_limit() {
    let t = Tree::new();
    let key_line = format!("T={GITHUB}");
    // ./ + 300 * "dddddddd/" = 2702 bytes: under Linux's 4096.
    deep_tree(
        t.path(),
        700,
        "dddddddd",
        &[(300, "mid.env", &key_line), (700, "bottom.env", &key_line)],
    );
    let (code, doc, stderr) = scan_json(t.path(), &["."]);
    assert_eq!(code, 1, "{stderr}");
    let found = locations(&doc);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].0, format!("{}mid.env", "dddddddd/".repeat(300)));
    assert_eq!(doc["stats"]["unreadable"], 1);
    assert!(stderr.contains("File name too long"), "{stderr}");

    // Without the key, the unreadable directory makes the scan fail.
    let t = Tree::new();
    deep_tree(t.path(), 700, "dddddddd", &[(700, "bottom.txt", "plain")]);
    let (code, doc, stderr) = scan_json(t.path(), &["."]);
    assert_eq!(code, 2, "{stderr}");
    assert_eq!(doc["stats"]["unreadable"], 1);
    assert!(
        stderr.contains("1 file or directory could not be read"),
        "{stderr}"
    );
}

/// A file whose read fails even for root: /proc/self/mem gives EIO at
/// offset 0. Reached through a followed link, as a file in a tree would be.
#[cfg(target_os = "linux")]
#[test]
fn unreadable_file_and_unwalkable_directory_as_any_user() {
    if std::fs::read("/proc/self/mem").is_ok() || !Path::new("/proc/self/mem").exists() {
        eprintln!("skipped: /proc/self/mem is not there or reads without error");
        return;
    }
    let t = Tree::new();
    t.file("plain.txt", "nothing\n");
    std::os::unix::fs::symlink("/proc/self/mem", t.path().join("mem")).unwrap();
    let (code, doc, stderr) = scan_json(t.path(), &["--follow", "."]);
    assert_eq!(code, 2, "{stderr}");
    assert_eq!(doc["stats"]["unreadable"], 1);
    assert!(
        stderr.contains("keyscan: warning: mem: Input/output error"),
        "{stderr}"
    );
    assert!(stderr.contains("the scan is incomplete"), "{stderr}");
    // With a finding, the finding decides the exit code (1), and the
    // unreadable file is still reported.
    t.file("leak.env", format!("T={GITHUB}\n"));
    let (code, doc, stderr) = scan_json(t.path(), &["--follow", "."]);
    assert_eq!(code, 1);
    assert_eq!(doc["stats"]["unreadable"], 1);
    assert!(stderr.contains("the scan is incomplete"), "{stderr}");
}

#[cfg(unix)]
#[test]
fn paths_that_are_not_utf8_are_scanned_and_shown_lossily() {
    use std::os::unix::ffi::OsStrExt;
    let t = Tree::new();
    let name = std::ffi::OsStr::from_bytes(b"bad\xffname.env");
    std::fs::write(t.path().join(name), format!("T={GITHUB}\n")).unwrap();
    let (code, doc, _) = scan_json(t.path(), &["."]);
    assert_eq!(code, 1);
    assert_eq!(locations(&doc), vec![loc("bad\u{fffd}name.env", 1, 3, GH)]);
    for format in ["text", "jsonl", "sarif", "gitlab"] {
        let out = t
            .keyscan()
            .args(["--no-config", "--format", format, "."])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{format}");
        let stdout = String::from_utf8(out.stdout).expect("output stays UTF-8");
        assert!(
            stdout.contains("bad") && stdout.contains("name.env"),
            "{format}: {stdout}"
        );
    }
    // A non-UTF-8 directory as the scanned root.
    let dir = t.path().join(std::ffi::OsStr::from_bytes(b"dir\xfe"));
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("k.env"), format!("T={GITHUB}\n")).unwrap();
    let out = keyscan()
        .current_dir(&dir)
        .args(["--no-config", "--format", "json", "."])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(locations(&json(&out.stdout)), vec![loc("k.env", 1, 3, GH)]);
}

/// A file name can carry terminal escape sequences; keyscan's own messages
/// on stderr show them escaped, and JSON escapes them as JSON does.
#[cfg(unix)]
#[test]
fn escape_sequences_in_file_names_do_not_reach_the_terminal() {
    use std::os::unix::ffi::OsStrExt;
    let t = Tree::new();
    let evil = std::ffi::OsStr::from_bytes(b"evil\x1b[2J\x1b]0;title\x07.env");
    std::fs::write(t.path().join(evil), format!("T={GITHUB}\n")).unwrap();
    let fifo = t.path().join(std::ffi::OsStr::from_bytes(b"fifo\x1b[31m"));
    assert!(std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    std::os::unix::fs::symlink(
        "/nonexistent",
        t.path().join(std::ffi::OsStr::from_bytes(b"link\x1b[5m")),
    )
    .unwrap();
    let out = t
        .keyscan()
        .args([
            "--no-config",
            "--format",
            "json",
            "--verbose",
            "--follow",
            ".",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        !out.stderr.contains(&0x1b),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!out.stdout.contains(&0x1b));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("keyscan: skipped fifo\\u{1b}[31m: not a regular file"),
        "{stderr}"
    );
    assert!(
        stderr.contains("link\\u{1b}[5m: broken symbolic link"),
        "{stderr}"
    );
    assert_eq!(
        locations(&json(&out.stdout))[0].0,
        "evil\u{1b}[2J\u{1b}]0;title\u{7}.env"
    );
}

/// The text report prints the path of a finding as it is.
#[cfg(unix)]
#[test]
fn escape_sequences_in_file_names_are_escaped_in_the_text_report() {
    use std::os::unix::ffi::OsStrExt;
    let t = Tree::new();
    let evil = std::ffi::OsStr::from_bytes(b"evil\x1b[2J.env");
    std::fs::write(t.path().join(evil), format!("T={GITHUB}\n")).unwrap();
    let out = t.keyscan().args(["--no-config", "."]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(!out.stdout.contains(&0x1b));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("evil\\u{1b}[2J.env"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn hundred_thousand_files_in_one_directory() {
    let t = Tree::new();
    let dir = t.path().join("many");
    std::fs::create_dir(&dir).unwrap();
    for i in 0..100_000 {
        let text = if i == 54_321 {
            format!("T={GITHUB}\n")
        } else {
            format!("file {i}\n")
        };
        std::fs::write(dir.join(format!("f{i}.txt")), text).unwrap();
    }
    let (code, doc, stderr) = scan_json(t.path(), &["."]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(locations(&doc), vec![loc("many/f54321.txt", 1, 3, GH)]);
    assert_eq!(doc["stats"]["files_scanned"], 100_000);
    assert_eq!(doc["stats"]["unreadable"], 0);
}

// ---------------------------------------------------------------------------
// Broken configuration, rules and baselines: one clear line, exit 2.

/// Run keyscan in `t`; assert exit 2 and exactly one stderr line, which
/// must start with `prefix`.
fn one_error_line(t: &Tree, args: &[&str], prefix: &str) {
    let out = t.keyscan().args(args).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(out.stdout.is_empty());
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with(prefix),
        "expected {prefix:?}, got {stderr}"
    );
}

#[test]
fn malformed_config_is_one_error_line_naming_the_file() {
    let t = Tree::new();
    t.file("a.txt", "x\n");
    t.file(".keyscan.toml", "[allowlist\npaths = []\n");
    one_error_line(
        &t,
        &["."],
        "keyscan: error: ./.keyscan.toml:1: unclosed table",
    );
    t.file(".keyscan.toml", "disable = \"not-a-list\"\n");
    one_error_line(
        &t,
        &["."],
        "keyscan: error: ./.keyscan.toml:1: invalid type",
    );
    t.file("bad.toml", b"\xff\xfe\x00".as_slice());
    one_error_line(
        &t,
        &["--config", "bad.toml", "."],
        "keyscan: error: bad.toml: cannot read: stream did not contain valid UTF-8",
    );
    one_error_line(
        &t,
        &["--config", "missing.toml", "."],
        "keyscan: error: missing.toml: cannot read:",
    );
    // A gitleaks-format file with a syntax error, too.
    t.file(".keyscan.toml", "title = \"x\"\n[[rules]\n");
    one_error_line(&t, &["."], "keyscan: error: ./.keyscan.toml:2: ");
}

fn custom_rule(regex: &str) -> String {
    format!(
        "[[rule]]\nid = \"my-rule\"\nname = \"Mine\"\nprovider = \"Me\"\nseverity = \"low\"\n\
         keywords = [\"abc\"]\nregex = '''{regex}'''\nremediation = \"https://example.invalid\"\n"
    )
}

#[test]
fn rule_with_invalid_regex_is_one_error_line_naming_file_and_rule() {
    let t = Tree::new();
    t.file("a.txt", "x\n");
    t.file(".keyscan.toml", custom_rule("abc(["));
    one_error_line(
        &t,
        &["."],
        "keyscan: error: ./.keyscan.toml:1: rule `my-rule`: invalid regex: \
         unclosed character class (at column 5 of the pattern)",
    );
}

/// Compiled automata are capped (`REGEX_SIZE_LIMIT`, 4 MiB for the program
/// and for the lazy DFA's cache): a rule over the cap is refused when the
/// configuration loads, before anything is scanned.
#[test]
fn rule_over_the_regex_size_cap_is_refused_at_load() {
    let t = Tree::new();
    t.file("a.txt", "x\n");
    t.file(
        ".keyscan.toml",
        custom_rule(r"(?u)(?P<secret>\w{100}\w{100}\w{100})"),
    );
    one_error_line(
        &t,
        &["."],
        "keyscan: error: ./.keyscan.toml:1: rule `my-rule`: invalid regex: \
         Compiled regex exceeds size limit of 4194304 bytes.",
    );
    // Just under the cap is accepted.
    t.file(".keyscan.toml", custom_rule(r"(?P<secret>abc\w{40})"));
    t.keyscan().arg(".").assert().code(0);
}

#[test]
fn baseline_that_is_not_json_is_one_error_line_naming_the_file() {
    let t = Tree::new();
    t.file("a.txt", "x\n");
    t.file("base.json", "this is not json\n");
    one_error_line(
        &t,
        &["--no-config", "--baseline", "base.json", "."],
        "keyscan: error: base.json: not a keyscan baseline: invalid JSON:",
    );
    t.file(
        "base.json",
        "{\"kind\": \"keyscan-baseline\", \"version\": 1}\n",
    );
    one_error_line(
        &t,
        &["--no-config", "--baseline", "base.json", "."],
        "keyscan: error: base.json: not a keyscan baseline:",
    );
    one_error_line(
        &t,
        &["--no-config", "--baseline", "nope.json", "."],
        "keyscan: error: nope.json: cannot read:",
    );
}

/// Found by fuzzing (fuzz/fuzz_targets/baseline.rs): a JSON report with a
/// malformed fingerprint was accepted as a baseline, and `baseline --prune`
/// then wrote a baseline that keyscan refused to read back.
#[test]
fn fuzz_regression_report_baseline_with_bad_fingerprint() {
    let bad = r#"{"findings":[{"fingerprint":"0123456789abc56789abcdef0123456789abc23456789abcdef","rule_id":"r","path":"p","line":2}],"summary":{}}"#;
    let e = keyscan::filter::baseline::Baseline::parse("report.json", bad).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("report.json: invalid fingerprint"),
        "{e}"
    );
    let t = Tree::new();
    t.file("a.txt", "x\n");
    t.file("report.json", bad);
    one_error_line(
        &t,
        &["--no-config", "--baseline", "report.json", "."],
        "keyscan: error: report.json: invalid fingerprint",
    );
}

/// Found by fuzzing (fuzz/fuzz_targets/scan_bytes.rs): a secret that began
/// with `-----BEGIN` was taken for an armoured block, and everything up to
/// its next `-----` was kept as the "header", which was the whole secret.
#[test]
fn fuzz_regression_pem_like_secret_is_redacted() {
    use keyscan::finding::redact;
    let s = "-----BEGINsk-ant-api03-Yt7Gbck-bq3JgYUL4uY8pez2aI37mbOqiywd2JzUL4uY8pez2aI37mb89616f2fe4C_API_KEY=-----";
    let r = redact(s, 0);
    assert!(!r.contains("Yt7Gbck"), "{r}");
    assert!(r.len() < 24, "{r}");
    // A real header is kept: it names the kind of key and is not secret.
    let pem = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBkg4LVWM9nuwNSk3yByxZpYRTBl2KSt8P7ZfJjT6zAa\n-----END EC PRIVATE KEY-----";
    assert_eq!(
        redact(pem, 0),
        "-----BEGIN EC PRIVATE KEY-----************--"
    );
    // Through the engine too.
    let input = std::fs::read(root().join("fuzz/corpus/scan_bytes/regression-pem-header")).unwrap();
    let engine = keyscan::scan::Engine::new(
        keyscan::detect::Detector::new(keyscan::rules::RuleSet::builtin().unwrap()).unwrap(),
        keyscan::config::Config::default(),
        keyscan::scan::ScanOptions::default(),
    );
    // (The rule pack has changed since; the input may no longer match.)
    for f in engine.scan_bytes("x", &input) {
        assert!(
            !f.redacted.contains(&f.secret),
            "{} reveals {}",
            f.redacted,
            f.secret
        );
    }
}

// ---------------------------------------------------------------------------
// Bounded cost: every rule of the pack on inputs built to hurt it.

fn engine() -> keyscan::scan::Engine {
    keyscan::scan::Engine::new(
        keyscan::detect::Detector::new(keyscan::rules::RuleSet::builtin().unwrap()).unwrap(),
        keyscan::config::Config::default(),
        keyscan::scan::ScanOptions::default(),
    )
}

/// Units of input that aim at one rule, to be repeated: its keywords
/// packed together, each followed by a long run of secret-like characters,
/// its examples repeated without separators, and examples cut short.
fn adversarial_units(rule: &keyscan::rules::Rule) -> Vec<(String, Vec<u8>)> {
    let mut units: Vec<(String, Vec<u8>)> = Vec::new();
    for k in &rule.spec.keywords {
        units.push((format!("keyword {k:?} packed"), k.as_bytes().to_vec()));
        units.push((
            format!("keyword {k:?} then a long run"),
            [k.as_bytes(), &b"Ab0".repeat(200), b"="].concat(),
        ));
        units.push((
            format!("keyword {k:?} in assignments"),
            format!("{k}_secret = \"{k}").into_bytes(),
        ));
    }
    for (i, ex) in rule.spec.examples.iter().enumerate() {
        units.push((format!("example {i} repeated"), ex.text.as_bytes().to_vec()));
        let cut = &ex.text.as_bytes()[..ex.text.len() * 3 / 4];
        units.push((format!("example {i} cut short"), cut.to_vec()));
    }
    units.retain(|(_, u)| !u.is_empty());
    units
}

/// The adversarial units of a rule, each repeated to about `size` bytes.
fn adversarial(rule: &keyscan::rules::Rule, size: usize) -> Vec<(String, Vec<u8>)> {
    adversarial_units(rule)
        .into_iter()
        .map(|(name, unit)| {
            let n = size / unit.len() + 1;
            (name, unit.repeat(n))
        })
        .collect()
}

/// The best of three timings of scanning `bytes` (noise only adds).
fn time_scan(engine: &keyscan::scan::Engine, bytes: &[u8]) -> Duration {
    (0..3)
        .map(|_| {
            let start = Instant::now();
            let _ = engine.scan_bytes("x", bytes);
            start.elapsed()
        })
        .min()
        .unwrap()
}

/// Run a rule's regex over all of `hay` the way the detector runs it over
/// one window (a search from each match's end), as if keyword hits had
/// merged every window into one: the worst case the detector can meet.
fn time_regex(rule: &keyscan::rules::Rule, hay: &[u8], runs: usize) -> Duration {
    let re = rule.regex();
    let mut locs = re.capture_locations();
    (0..runs)
        .map(|_| {
            let start = Instant::now();
            let mut pos = 0;
            while pos <= hay.len() {
                let Some(m) = re.captures_read_at(&mut locs, hay, pos) else {
                    break;
                };
                pos = if m.end() > m.start() {
                    m.end()
                } else {
                    m.end() + 1
                };
            }
            start.elapsed()
        })
        .min()
        .unwrap()
}

/// Whether iterating `rule`'s regex over `unit` repeated to about `size`
/// bytes costs more at once than over the same bytes cut into 32 pieces
/// (at unit boundaries): a description if so.
///
/// Both runs examine the same bytes and find the same matches (but for
/// the few that would cross a cut). When each search scans only a bounded
/// distance past its match, the two cost about the same; when searches scan
/// to the end of the haystack (quadratic iteration), the whole costs about
/// 32 times more. Comparing the two on the same machine at the same moment
/// (interleaved, best of several), rather than timings at two sizes, keeps
/// cache effects and a busy machine from deciding the result.
fn superlinear(
    rule: &keyscan::rules::Rule,
    name: &str,
    unit: &[u8],
    size: usize,
) -> Option<String> {
    const PIECES: usize = 32;
    let reps = (size / unit.len()).max(2 * PIECES).next_multiple_of(PIECES);
    let hay = unit.repeat(reps);
    let piece = unit.len() * reps / PIECES;
    let best_of = |runs| {
        let (mut whole, mut cut) = (Duration::MAX, Duration::MAX);
        for _ in 0..runs {
            whole = whole.min(time_regex(rule, &hay, 1));
            cut = cut.min(hay.chunks(piece).map(|c| time_regex(rule, c, 1)).sum());
        }
        (whole, cut)
    };
    let (whole, cut) = best_of(1);
    if whole < Duration::from_millis(5) || whole < cut * 4 {
        return None;
    }
    // Suspect: confirm with the best of five of each.
    let (whole, cut) = best_of(5);
    (whole >= cut * 8).then(|| {
        format!(
            "{}: {name}: {whole:?} for {} bytes at once, {cut:?} in {PIECES} pieces",
            rule.id(),
            hay.len()
        )
    })
}

/// Every regex of the pack costs time linear in its input on inputs built
/// against it. The regex crate searches in linear time, but iterating over
/// matches can be quadratic for some patterns (each search may scan far
/// ahead to settle a short match); this is the check that none of ours is
/// one of them. The compiled size of each regex is capped (see
/// `rule_over_the_regex_size_cap_is_refused_at_load`).
#[test]
fn every_regex_in_the_pack_has_linear_cost_on_adversarial_input() {
    let rules = keyscan::rules::RuleSet::builtin().unwrap();
    let mut report = Vec::new();
    let mut checked = 0;
    for rule in rules.rules() {
        for (name, unit) in adversarial_units(rule) {
            checked += 1;
            report.extend(superlinear(rule, &name, &unit, 16 * 1024));
        }
    }
    assert!(checked > rules.len() * 2, "{checked} inputs");
    assert!(
        report.is_empty(),
        "super-linear cost:\n{}",
        report.join("\n")
    );
}

/// The check above can fail: a pattern whose match iteration is quadratic
/// (each search scans to the end for an `X` before settling on one letter).
#[test]
fn linear_cost_check_catches_a_quadratic_pattern() {
    let text = r#"
[[rule]]
id = "slow-rule"
name = "Slow"
provider = "Test"
severity = "low"
keywords = ["aa"]
regex = '''(?P<secret>[a-z]+X|[a-z])'''
remediation = "https://example.invalid"
"#;
    let spec = keyscan::rules::parse_rule_file("slow.toml", text)
        .unwrap()
        .remove(0);
    let rule = keyscan::rules::Rule::compile(spec, "slow.toml").unwrap();
    let found = superlinear(&rule, "letters", b"a", 4 * 1024);
    assert!(found.is_some(), "the quadratic pattern was not caught");
}

/// Each rule's matches that a specific rule rejects (a key with a bad
/// checksum inside `token = "..."`) used to be checked against every other
/// match: a file of such lines was quadratic.
#[test]
fn many_rejected_matches_stay_linear() {
    let engine = engine();
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let mut random_key = || {
        const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        (0..36)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                ALNUM[(state % 62) as usize] as char
            })
            .collect::<String>()
    };
    // Random bodies: the checksum fails (so the GitHub rule rejects the
    // span), the entropy is high (so the generic rule accepts it).
    let mut text = |n: usize| {
        (0..n)
            .map(|_| format!("token = \"ghp_{}\"\n", random_key()))
            .collect::<String>()
            .into_bytes()
    };
    let (a, b) = (text(2_000), text(16_000));
    let ta = time_scan(&engine, &a);
    let tb = time_scan(&engine, &b);
    assert!(
        tb.as_secs_f64() < 24.0 * ta.as_secs_f64() + 0.5,
        "{ta:?} for 2,000 lines, {tb:?} for 16,000"
    );
}

/// The whole pack on a large input made of every rule's adversarial units:
/// it finishes, and in time proportional to its size. The check is a ratio
/// (four times the input against the same input at a quarter of the size),
/// not a bound in seconds, so a busy machine does not fail it; a quadratic
/// path would take sixteen times as long.
#[test]
fn whole_pack_on_mixed_adversarial_input_finishes() {
    let engine = engine();
    let input = |size: usize| {
        let mut all = Vec::new();
        for rule in engine.detector().rules().rules() {
            for (_, u) in adversarial(rule, size) {
                all.extend_from_slice(&u);
                all.push(b'\n');
            }
        }
        all
    };
    let (small, large) = (input(512), input(2048));
    let time = |bytes: &[u8]| {
        let start = Instant::now();
        let _ = engine.scan_bytes("x", bytes);
        start.elapsed()
    };
    let (ts, tl) = (time(&small), time(&large));
    assert!(
        tl.as_secs_f64() < 8.0 * ts.as_secs_f64() + 5.0,
        "{} bytes took {ts:?}, {} bytes {tl:?}",
        small.len(),
        large.len()
    );
}
