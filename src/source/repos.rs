//! Many repositories: the list (`--repos FILE`), its shards (`--shard I/N`),
//! bare mirrors of remote repositories kept in a cache directory, and the
//! files of a bare repository's HEAD tree.
//!
//! Remote repositories are cloned and updated by the system `git`, run as
//! a child process, so that the user's credential helpers, `~/.gitconfig`,
//! ssh configuration and `GIT_*` variables apply exactly as they do on the
//! command line. Each clone runs in its own process group with a deadline:
//! on a timeout the whole group (git and its transport helpers) is killed.
//! A clone goes to a temporary directory that is renamed into place only
//! once complete, so an interrupted run never leaves a half mirror behind.
//!
//! Shards use jump consistent hashing of the repository's name: every
//! repository is in exactly one shard, shards are balanced, a repository
//! added to the list moves no other, and going from N to N+1 shards moves
//! only about 1/(N+1) of them.
//!
//! Like every source, this one never prints: it returns errors and hands
//! blobs to the caller.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use crate::source::{Admission, Events, Skip, Stats};
use crate::text::one_line;

/// One repository of the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repo {
    /// Its name in reports and for sharding: a URL without its scheme,
    /// credentials and `.git` suffix (`github.com/org/app`), or a local
    /// path as written.
    pub name: String,
    /// Where it is.
    pub location: Location,
}

/// Where a repository is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A directory on this machine: a working tree, or a bare repository.
    Local(PathBuf),
    /// A git URL (https, ssh, git, file, or scp-like `host:path`), cloned
    /// as a bare mirror.
    Remote(String),
}

/// Errors of the list, the shard specification, or a repository.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The list is malformed.
    #[error("{path}:{line}: {reason}")]
    List {
        /// The list file.
        path: String,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// A shard specification is malformed.
    #[error("--shard {spec:?}: {reason}")]
    Shard {
        /// As given.
        spec: String,
        /// What is wrong.
        reason: String,
    },
    /// A repository could not be cloned, updated or read.
    #[error("{0}")]
    Repo(String),
}

/// Longest line of a repository list, in bytes (a list is a text file).
pub const MAX_LINE: usize = 4096;
/// Most repositories in one list.
pub const MAX_REPOS: usize = 1_000_000;

/// Parse a repository list: one repository per line; blank lines and lines
/// starting with `#` are ignored; a repository listed twice is kept once
/// (the names are returned as the second value).
pub fn parse_list(path: &str, text: &str) -> Result<(Vec<Repo>, Vec<String>), Error> {
    let mut out: Vec<Repo> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut repeated = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let err = |reason: String| Error::List {
            path: path.to_string(),
            line: i + 1,
            reason,
        };
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if line.len() > MAX_LINE {
            return Err(err(format!("line longer than {MAX_LINE} bytes")));
        }
        if line.chars().any(char::is_control) {
            return Err(err("control character in a repository".into()));
        }
        let repo = parse_repo(line).map_err(err)?;
        if !seen.insert(repo.name.clone()) {
            repeated.push(repo.name);
            continue;
        }
        if out.len() == MAX_REPOS {
            return Err(err(format!("more than {MAX_REPOS} repositories")));
        }
        out.push(repo);
    }
    Ok((out, repeated))
}

/// One line of the list.
fn parse_repo(line: &str) -> Result<Repo, String> {
    if let Some((scheme, rest)) = line.split_once("://") {
        let scheme = scheme.to_ascii_lowercase();
        if !matches!(
            scheme.as_str(),
            "https" | "http" | "ssh" | "git" | "file" | "git+ssh" | "ssh+git"
        ) {
            return Err(format!("unsupported URL scheme {scheme:?}"));
        }
        let name = url_name(rest);
        if name.is_empty() {
            return Err("URL without a repository".into());
        }
        return Ok(Repo {
            name,
            location: Location::Remote(line.to_string()),
        });
    }
    if is_scp_like(line) {
        let (host, path) = line.split_once(':').unwrap_or((line, ""));
        let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
        let name = url_name(&format!("{host}/{}", path.trim_start_matches('/')));
        return Ok(Repo {
            name,
            location: Location::Remote(line.to_string()),
        });
    }
    let trimmed = line.trim_end_matches('/');
    let name = if trimmed.is_empty() { "/" } else { trimmed };
    Ok(Repo {
        name: name.to_string(),
        location: Location::Local(PathBuf::from(line)),
    })
}

/// `user@host:path` (git's scp-like syntax): a colon before any slash.
fn is_scp_like(line: &str) -> bool {
    match (line.find(':'), line.find('/')) {
        (Some(c), Some(s)) => c < s && c > 0,
        (Some(c), None) => c > 0,
        _ => false,
    }
}

/// A URL's name: no credentials, no query, no trailing `/` or `.git`.
fn url_name(rest: &str) -> String {
    let rest = rest.split(['?', '#']).next().unwrap_or("");
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let mut name = if host.is_empty() {
        format!("/{path}")
    } else {
        format!("{host}/{path}")
    };
    while name.ends_with('/') {
        name.pop();
    }
    if let Some(stripped) = name.strip_suffix(".git") {
        name.truncate(stripped.len());
    }
    name
}

/// `text` with the credentials of any URL in it replaced by `***`
/// (`https://user:token@host` → `https://***@host`): for reasons quoted
/// from git.
pub fn mask_credentials(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        out.push_str(&rest[..i + 3]);
        rest = &rest[i + 3..];
        let end = rest
            .find(|c: char| c == '/' || c.is_whitespace() || c == '\'' || c == '"')
            .unwrap_or(rest.len());
        match rest[..end].rfind('@') {
            Some(at) => {
                out.push_str("***");
                out.push_str(&rest[at..end]);
            }
            None => out.push_str(&rest[..end]),
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// Which part of the list this process scans.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// 0-based index.
    pub index: u32,
    /// Number of shards.
    pub count: u32,
}

/// Most shards.
pub const MAX_SHARDS: u32 = 100_000;

impl Shard {
    /// Parse `I/N` (0-based `I`), or `auto/N`, whose index is read from
    /// the environment variable `env` (Kubernetes Indexed Jobs set
    /// `JOB_COMPLETION_INDEX`) through `lookup`.
    pub fn parse(
        spec: &str,
        env: &str,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Shard, Error> {
        let err = |reason: String| Error::Shard {
            spec: spec.to_string(),
            reason,
        };
        let (i, n) = spec
            .split_once('/')
            .ok_or_else(|| err("expected I/N or auto/N".into()))?;
        let count: u32 = n
            .trim()
            .parse()
            .ok()
            .filter(|&n| (1..=MAX_SHARDS).contains(&n))
            .ok_or_else(|| err(format!("N must be a number from 1 to {MAX_SHARDS}")))?;
        let (index, from) = if i.trim() == "auto" {
            let v = lookup(env).ok_or_else(|| err(format!("{env} is not set")))?;
            let from = format!(" ({env}={v:?})");
            (v, from)
        } else {
            (i.to_string(), String::new())
        };
        let index: u32 = index
            .trim()
            .parse()
            .map_err(|_| err(format!("the index must be a number{from}")))?;
        if index >= count {
            return Err(err(format!(
                "the index must be below {count} (0-based){from}"
            )));
        }
        Ok(Shard { index, count })
    }

    /// Whether the repository named `name` is in this shard.
    pub fn holds(&self, name: &str) -> bool {
        shard_of(name, self.count) == self.index
    }
}

/// The shard (of `count`) a repository name belongs to: jump consistent
/// hash (Lamping and Veach, 2014) of the SHA-256 of the name.
pub fn shard_of(name: &str, count: u32) -> u32 {
    let digest = Sha256::digest(name.as_bytes());
    let mut key = u64::from_le_bytes(digest[..8].try_into().unwrap_or([0; 8]));
    let (mut b, mut j): (i64, i64) = (-1, 0);
    while j < i64::from(count) {
        b = j;
        key = key.wrapping_mul(2_862_933_555_777_941_757).wrapping_add(1);
        j = ((b + 1) as f64 * ((1u64 << 31) as f64 / ((key >> 33) + 1) as f64)) as i64;
    }
    b as u32
}

/// The default cache of mirrors: `$XDG_CACHE_HOME/keyscan/mirrors`, else
/// `~/.cache/keyscan/mirrors`.
pub fn default_clone_dir() -> Option<PathBuf> {
    let nonempty = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
    if let Some(x) = nonempty("XDG_CACHE_HOME") {
        return Some(PathBuf::from(x).join("keyscan/mirrors"));
    }
    nonempty("HOME").map(|h| PathBuf::from(h).join(".cache/keyscan/mirrors"))
}

/// The directory of a repository's mirror in `clone_dir`: its name made
/// safe for a file name, and a hash of the name (so that `a/b` and `a_b`
/// differ).
pub fn mirror_dir(clone_dir: &Path, name: &str) -> PathBuf {
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .take(80)
        .collect();
    let hash = Sha256::digest(name.as_bytes());
    let hex: String = hash[..4].iter().map(|b| format!("{b:02x}")).collect();
    clone_dir.join(format!("{}-{hex}.git", safe.trim_start_matches('.')))
}

/// Bytes of git's error output kept for a reason.
const STDERR_KEPT: usize = 64 * 1024;

/// Run `git` with `args` (in its own process group, no terminal prompt
/// unless the user allowed one) until it exits or `timeout` passes; then
/// the whole group is killed. The error is one line: git's last message.
pub fn run_git(args: &[&std::ffi::OsStr], timeout: Duration) -> Result<(), Error> {
    let mut cmd = Command::new("git");
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    if std::env::var_os("GIT_TERMINAL_PROMPT").is_none() {
        // A missing credential fails instead of waiting for a person.
        cmd.env("GIT_TERMINAL_PROMPT", "0");
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        cmd.process_group(0);
    }
    let mut child = cmd
        .spawn()
        .map_err(|e| Error::Repo(format!("cannot run git: {e}")))?;
    let (tx, rx) = std::sync::mpsc::channel();
    if let Some(mut err) = child.stderr.take() {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = (&mut err).take(STDERR_KEPT as u64).read_to_end(&mut buf);
            // Drain the rest so git never blocks on a full pipe.
            let _ = std::io::copy(&mut err, &mut std::io::sink());
            let _ = tx.send(buf);
        });
    }
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break Some(s),
            Ok(None) if Instant::now() >= deadline => break None,
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => return Err(Error::Repo(format!("waiting for git: {e}"))),
        }
    };
    let Some(status) = status else {
        kill_group(&mut child);
        return Err(Error::Repo(format!(
            "timed out after {}s (--clone-timeout)",
            timeout.as_secs_f64()
        )));
    };
    if status.success() {
        return Ok(());
    }
    let stderr = rx.recv_timeout(Duration::from_secs(2)).unwrap_or_default();
    let text = String::from_utf8_lossy(&stderr);
    let why = reason(&text).unwrap_or_else(|| format!("git exited with {status}"));
    Err(Error::Repo(why))
}

/// Longest reason quoted from git, in characters.
const REASON_CHARS: usize = 400;

/// The reason in git's error output, on one line: from its first `fatal:`
/// or `error:` line (else its last line) to the end, hints left out,
/// credentials in URLs masked.
fn reason(stderr: &str) -> Option<String> {
    let lines: Vec<&str> = stderr
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("hint:"))
        .collect();
    let from = lines
        .iter()
        .position(|l| l.starts_with("fatal:") || l.starts_with("error:"))
        .unwrap_or(lines.len().checked_sub(1)?);
    let joined = lines[from..].join(" ");
    let text = joined
        .strip_prefix("fatal: ")
        .or_else(|| joined.strip_prefix("error: "))
        .unwrap_or(&joined);
    let text: String = one_line(text).chars().take(REASON_CHARS).collect();
    Some(mask_credentials(&text))
}

/// Kill a git child and everything in its process group (transport
/// helpers such as `git-remote-https` or `ssh`), and reap it.
fn kill_group(child: &mut std::process::Child) {
    #[cfg(unix)]
    {
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", child.id())])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// Clone `url` as a bare mirror at `dir`, or update the mirror already
/// there (fetching every ref, pruning deleted ones). A new clone goes to a
/// temporary directory beside `dir` and is renamed into place when complete.
pub fn mirror(url: &str, dir: &Path, timeout: Duration) -> Result<(), Error> {
    use std::ffi::OsStr;
    if dir.join("HEAD").is_file() {
        let git_dir = dir.as_os_str();
        run_git(
            &[
                OsStr::new("--git-dir"),
                git_dir,
                OsStr::new("remote"),
                OsStr::new("set-url"),
                OsStr::new("origin"),
                OsStr::new(url),
            ],
            timeout,
        )?;
        return run_git(
            &[
                OsStr::new("--git-dir"),
                git_dir,
                OsStr::new("fetch"),
                OsStr::new("--quiet"),
                OsStr::new("--prune"),
                OsStr::new("origin"),
            ],
            timeout,
        )
        .map_err(|e| Error::Repo(format!("updating the mirror: {e}")));
    }
    let parent = dir.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent)
        .map_err(|e| Error::Repo(format!("{}: {e}", parent.display())))?;
    let tmp = tempfile::Builder::new()
        .prefix(".clone-")
        .tempdir_in(parent)
        .map_err(|e| Error::Repo(format!("{}: {e}", parent.display())))?;
    let target = tmp.path().join("mirror.git");
    run_git(
        &[
            OsStr::new("clone"),
            OsStr::new("--mirror"),
            OsStr::new("--quiet"),
            OsStr::new("--"),
            OsStr::new(url),
            target.as_os_str(),
        ],
        timeout,
    )?;
    std::fs::rename(&target, dir).map_err(|e| Error::Repo(format!("{}: {e}", dir.display())))
}

/// Whether `dir` is a bare repository (no working tree to walk).
pub fn is_bare(dir: &Path) -> bool {
    dir.join("HEAD").is_file() && dir.join("objects").is_dir() && !dir.join(".git").exists()
}

/// Check that the HEAD of the repository at `path` can be read, down to
/// its tree (a repository without a commit passes): a history scan takes
/// a ref it cannot resolve as a warning, which would let a corrupt
/// repository pass as clean.
pub fn check_head(path: &Path) -> Result<(), Error> {
    match born_repo(path)? {
        Some(repo) => head_tree_of(&repo).map(|_| ()),
        None => Ok(()),
    }
}

/// The repository at `path`, or None when it has no commit yet.
fn born_repo(path: &Path) -> Result<Option<gix::Repository>, Error> {
    let repo = crate::source::git::open(path)
        .map_err(|e| Error::Repo(e.to_string()))?
        .to_thread_local();
    let head = repo
        .head()
        .map_err(|e| Error::Repo(format!("reading HEAD: {}", one_line(&e.to_string()))))?;
    Ok((!head.is_unborn()).then_some(repo))
}

/// The tree HEAD points at.
fn head_tree_of(repo: &gix::Repository) -> Result<gix::Tree<'_>, Error> {
    repo.head_tree()
        .map_err(|e| Error::Repo(format!("reading HEAD: {}", one_line(&e.to_string()))))
}

/// Hand every file of the HEAD tree of the repository at `git_dir` to
/// `visit` (its path and bytes), one at a time: blobs that `skip_path`
/// excludes or `admission` refuses are counted in `stats` and not read.
/// Symbolic links and submodules are not files. A repository without a
/// commit has no files.
pub fn head_tree(
    git_dir: &Path,
    admission: &Admission,
    stats: &Stats,
    events: &dyn Events,
    skip_path: &dyn Fn(&str) -> bool,
    visit: &mut dyn FnMut(&str, &[u8], bool),
) -> Result<(), Error> {
    let Some(repo) = born_repo(git_dir)? else {
        return Ok(());
    };
    let tree = head_tree_of(&repo)?;
    let mut recorder = gix::traverse::tree::Recorder::default();
    tree.traverse()
        .breadthfirst(&mut recorder)
        .map_err(|e| Error::Repo(format!("reading HEAD's tree: {}", one_line(&e.to_string()))))?;
    let mut entries = recorder.records;
    entries.sort_by(|a, b| a.filepath.cmp(&b.filepath));
    for entry in entries {
        if !entry.mode.is_blob() {
            if entry.mode.is_link() {
                stats.skip(Skip::Symlink);
            }
            continue;
        }
        let path = String::from_utf8_lossy(&entry.filepath).into_owned();
        if skip_path(&path) {
            stats.skip(Skip::Allowlisted);
            events.skipped(&path, Skip::Allowlisted);
            continue;
        }
        let size = match repo.find_header(entry.oid) {
            Ok(h) => h.size(),
            Err(e) => {
                stats.unreadable.fetch_add(1, Ordering::Relaxed);
                events.warning(format!("{path}: {}", one_line(&e.to_string())));
                continue;
            }
        };
        if let Err(why) = admission.by_size(size) {
            stats.skip(why);
            events.skipped(&path, why);
            continue;
        }
        let blob = match repo.find_blob(entry.oid) {
            Ok(b) => b,
            Err(e) => {
                stats.unreadable.fetch_add(1, Ordering::Relaxed);
                events.warning(format!("{path}: {}", one_line(&e.to_string())));
                continue;
            }
        };
        match admission.by_content(Some(&path), &blob.data) {
            Ok(binary) => visit(&path, &blob.data, binary),
            Err(why) => {
                stats.skip(why);
                events.skipped(&path, why);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_drop_schemes_credentials_and_suffixes() {
        let name = |l: &str| parse_repo(l).unwrap().name;
        assert_eq!(name("https://github.com/org/app.git"), "github.com/org/app");
        assert_eq!(
            name("https://u:pw@github.com/org/app/"),
            "github.com/org/app"
        );
        assert_eq!(name("ssh://git@host:22/org/app"), "host:22/org/app");
        assert_eq!(name("git@github.com:org/app.git"), "github.com/org/app");
        assert_eq!(name("file:///srv/git/app.git"), "/srv/git/app");
        assert_eq!(name("./local/app/"), "./local/app");
        assert!(parse_repo("ftp://host/x").is_err());
    }

    #[test]
    fn lists_skip_comments_and_repeats() {
        let (repos, repeated) = parse_list("l", "# org\n\na\n b \na/\n").unwrap();
        let names: Vec<_> = repos.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["a", "b"]);
        assert_eq!(repeated, ["a"]);
        let e = parse_list("l", "a\n\u{1b}[31m\n").unwrap_err();
        assert_eq!(e.to_string(), "l:2: control character in a repository");
    }

    #[test]
    fn reasons_start_at_git_s_error() {
        let err = "Cloning into bare repository 'x'...\nfatal: unable to connect to h:\n\
                   h[0: 127.0.0.1]: errno=Connection refused\n";
        assert_eq!(
            reason(err).unwrap(),
            "unable to connect to h: h[0: 127.0.0.1]: errno=Connection refused"
        );
        assert_eq!(reason("hint: x\n\n").as_deref(), None);
        assert_eq!(reason("odd\nlast words").unwrap(), "last words");
    }

    #[test]
    fn credentials_are_masked() {
        assert_eq!(
            mask_credentials("fatal: unable to access 'https://u:tok@h/x/': 403"),
            "fatal: unable to access 'https://***@h/x/': 403"
        );
        assert_eq!(mask_credentials("git://h/x"), "git://h/x");
    }

    #[test]
    fn shards_partition_and_move_little() {
        let names: Vec<String> = (0..2000).map(|i| format!("org/repo-{i}")).collect();
        let mut sizes = [0usize; 4];
        for n in &names {
            sizes[shard_of(n, 4) as usize] += 1;
        }
        assert!(sizes.iter().all(|&s| (400..600).contains(&s)), "{sizes:?}");
        let moved = names
            .iter()
            .filter(|n| shard_of(n, 4) != shard_of(n, 5))
            .count();
        // About a fifth move to the new shard, none between old ones.
        assert!((300..500).contains(&moved), "{moved}");
        assert!(names
            .iter()
            .all(|n| shard_of(n, 5) == 4 || shard_of(n, 5) == shard_of(n, 4)));
    }

    #[test]
    fn shard_specs() {
        let none = |_: &str| None;
        assert_eq!(
            Shard::parse("1/4", "X", none).unwrap(),
            Shard { index: 1, count: 4 }
        );
        let env = |k: &str| (k == "JOB_COMPLETION_INDEX").then(|| "3".to_string());
        assert_eq!(
            Shard::parse("auto/4", "JOB_COMPLETION_INDEX", env).unwrap(),
            Shard { index: 3, count: 4 }
        );
        let msg = |s: &str| Shard::parse(s, "IDX", none).unwrap_err().to_string();
        assert_eq!(
            msg("4/4"),
            "--shard \"4/4\": the index must be below 4 (0-based)"
        );
        assert_eq!(msg("auto/2"), "--shard \"auto/2\": IDX is not set");
        assert_eq!(
            msg("1/0"),
            "--shard \"1/0\": N must be a number from 1 to 100000"
        );
        assert_eq!(msg("x"), "--shard \"x\": expected I/N or auto/N");
    }

    #[test]
    fn mirror_dirs_are_distinct_and_safe() {
        let a = mirror_dir(Path::new("/c"), "h/a/b");
        let b = mirror_dir(Path::new("/c"), "h/a_b");
        assert_ne!(a, b);
        assert!(a.to_string_lossy().starts_with("/c/h_a_b-"));
        assert!(mirror_dir(Path::new("/c"), "../x")
            .to_string_lossy()
            .starts_with("/c/_x-"));
    }
}
