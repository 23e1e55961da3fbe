//! The ignore rules of a file-tree walk: `.ignore`, `.gitignore`, git's
//! `info/exclude` and the global excludes file, read by keyscan itself.
//!
//! The `ignore` crate's walker opens these files without looking at what
//! they are: a `.gitignore` that is a FIFO blocks it forever, one that is a
//! symbolic link to `/dev/zero` reads until memory runs out. Here a rule
//! file is opened only when it is a regular file (one in the tree is not
//! followed through a symbolic link, as git does not follow a symlinked
//! `.gitignore`), and read up to [`MAX_RULE_FILE`] bytes. Otherwise it gets
//! a one-line warning and is taken as empty: rules that cannot be read
//! hide nothing, so the scan covers more, never less.
//!
//! Matching keeps the precedence the crate applied: in each directory the
//! last matching line wins (`!` lines whitelist, `dir/` lines match only
//! directories); a deeper directory's file overrides a shallower one's;
//! any `.ignore` match wins over any `.gitignore` match, which wins over
//! git's `info/exclude`, which wins over the global excludes file. The
//! files of the directories above a scanned root apply too, and git's
//! files (`.gitignore`, `info/exclude`) only up to the root of the
//! repository the path is in, as in git: rules outside a repository do
//! not reach into it. Outside any repository they apply all the way up.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use ignore::gitignore::{Gitignore, GitignoreBuilder};
use ignore::Match;

use crate::text::{human_bytes, one_line};

/// Rule files larger than this are not applied.
pub const MAX_RULE_FILE: u64 = 4 << 20;
/// A `.git` file (a linked worktree's or a submodule's pointer to its git
/// directory) or a `commondir` file larger than this is not followed.
const MAX_POINTER_FILE: u64 = 64 << 10;

/// The rules of one directory, and a link to those of the nearest
/// directory above it that has any.
struct Node {
    /// The directory as the walk names it; for a directory above a root,
    /// its canonical path.
    dir: PathBuf,
    ignore: Gitignore,
    gitignore: Gitignore,
    exclude: Gitignore,
    /// The directory holds a repository (`.git`): git's rules from above
    /// it do not apply inside it.
    has_git: bool,
    /// For a root: its canonical path, to match paths under it against the
    /// directories above it.
    canonical: Option<PathBuf>,
    /// Above a root: matched with canonical paths.
    above: bool,
    parent: Option<Arc<Node>>,
}

impl Node {
    fn is_empty(&self) -> bool {
        !self.has_git
            && self.ignore.is_empty()
            && self.gitignore.is_empty()
            && self.exclude.is_empty()
    }
}

/// Tells [`Rules`] apart in [`LAST_DIR`].
static NEXT_ID: AtomicUsize = AtomicUsize::new(0);

/// A directory a thread looked up the rules of: the id of the [`Rules`],
/// the directory, its node.
type LastDir = Option<(usize, PathBuf, Option<Arc<Node>>)>;

thread_local! {
    /// The last directory a thread looked up the rules of.
    static LAST_DIR: RefCell<LastDir> = const { RefCell::new(None) };
}

/// The ignore rules of a walk, read directory by directory as the walk
/// enters them.
pub(crate) struct Rules {
    /// Unique to this value (for the per-thread cache).
    id: usize,
    /// Directories of the walk (as it names them) that have rules of their
    /// own, and the roots.
    nodes: RwLock<HashMap<PathBuf, Arc<Node>>>,
    /// The global excludes file (git's `core.excludesFile`), matched
    /// relative to the current directory, as the crate did.
    global: Gitignore,
    /// Warnings not yet told (rule files refused or with bad lines).
    warnings: Mutex<Vec<String>>,
    /// Whether `warnings` may hold any (checked for every entry walked).
    pending: AtomicBool,
}

impl Rules {
    /// The rules for walking `roots`: the global excludes file, and for
    /// each directory root the files of the root and of the directories
    /// above it.
    pub(crate) fn new(roots: &[PathBuf]) -> Rules {
        let rules = Rules {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            nodes: RwLock::new(HashMap::new()),
            global: Gitignore::empty(),
            warnings: Mutex::new(Vec::new()),
            pending: AtomicBool::new(false),
        };
        let global = std::env::current_dir()
            .ok()
            .and_then(|cwd| {
                let path = ignore::gitignore::gitconfig_excludes_path()?;
                let bytes = rules.read(&path, true)?;
                Some(rules.parse(&cwd, &path, &bytes))
            })
            .unwrap_or_else(Gitignore::empty);
        let mut rules = Rules { global, ..rules };
        let mut above: HashMap<PathBuf, Option<Arc<Node>>> = HashMap::new();
        for root in roots {
            if !root.is_dir() {
                continue;
            }
            let canonical = root.canonicalize().ok();
            let parent = canonical
                .as_deref()
                .and_then(Path::parent)
                .and_then(|p| rules.above(p, &mut above));
            let mut node = rules.node(root, parent);
            node.canonical = canonical;
            let nodes = rules.nodes.get_mut().unwrap_or_else(|e| e.into_inner());
            nodes.insert(root.clone(), Arc::new(node));
        }
        rules
    }

    /// The node of `dir`, a canonical directory above a root (None when
    /// neither it nor any directory above it has rules).
    fn above(
        &self,
        dir: &Path,
        cache: &mut HashMap<PathBuf, Option<Arc<Node>>>,
    ) -> Option<Arc<Node>> {
        if let Some(n) = cache.get(dir) {
            return n.clone();
        }
        let parent = dir.parent().and_then(|p| self.above(p, cache));
        let mut node = self.node(dir, parent.clone());
        node.above = true;
        let n = if node.is_empty() {
            parent
        } else {
            Some(Arc::new(node))
        };
        cache.insert(dir.to_path_buf(), n.clone());
        n
    }

    /// Read the rules of `dir` (as the walk names it), a directory the walk
    /// is about to enter.
    pub(crate) fn enter(&self, dir: &Path) {
        let parent = self.nearest_cached(dir.parent());
        let node = self.node(dir, parent);
        if !node.is_empty() {
            let mut nodes = self.nodes.write().unwrap_or_else(|e| e.into_inner());
            nodes.insert(dir.to_path_buf(), Arc::new(node));
        }
    }

    /// The node with the rules that apply in `dir`: its own, or those of
    /// the nearest directory above it that has any.
    fn nearest(&self, dir: Option<&Path>) -> Option<Arc<Node>> {
        let nodes = self.nodes.read().unwrap_or_else(|e| e.into_inner());
        let mut d = dir;
        while let Some(x) = d {
            if let Some(n) = nodes.get(x) {
                return Some(Arc::clone(n));
            }
            d = x.parent();
        }
        None
    }

    /// [`Rules::nearest`] of `dir`, through a one-entry cache per thread:
    /// the walk filters the entries of a directory one after the other on
    /// one thread, so all but the first find their directory's node there
    /// without hashing paths. (A directory's own node is added when it is
    /// entered, before its entries are filtered, so the cache never holds a
    /// stale answer.)
    fn nearest_cached(&self, dir: Option<&Path>) -> Option<Arc<Node>> {
        let dir = dir?;
        LAST_DIR.with(|last| {
            let mut last = last.borrow_mut();
            if let Some((id, d, node)) = &*last {
                if *id == self.id && d.as_os_str() == dir.as_os_str() {
                    return node.clone();
                }
            }
            let node = self.nearest(Some(dir));
            *last = Some((self.id, dir.to_path_buf(), node.clone()));
            node
        })
    }

    /// Whether the rules ignore or whitelist `path` (as the walk names it).
    pub(crate) fn matched(&self, path: &Path, is_dir: bool) -> Match<()> {
        let start = self.nearest_cached(path.parent());
        let (mut ig, mut gi, mut ex) = (Match::None, Match::None, Match::None);
        let mut saw_git = false;
        let mut root: Option<&Node> = None;
        let mut canonical: Option<PathBuf> = None;
        let mut node = start.as_deref();
        while let Some(n) = node {
            let p = if n.above {
                let base = root.and_then(|r| Some((r.canonical.as_deref()?, &r.dir)));
                let Some((abs, dir)) = base else { break };
                canonical
                    .get_or_insert_with(|| abs.join(path.strip_prefix(dir).unwrap_or(path)))
                    .as_path()
            } else {
                path
            };
            if ig.is_none() {
                ig = n.ignore.matched(p, is_dir).map(|_| ());
            }
            if !saw_git {
                if gi.is_none() {
                    gi = n.gitignore.matched(p, is_dir).map(|_| ());
                }
                if ex.is_none() {
                    ex = n.exclude.matched(p, is_dir).map(|_| ());
                }
            }
            saw_git |= n.has_git;
            if n.canonical.is_some() {
                root = Some(n);
            }
            node = n.parent.as_deref();
        }
        let global = self.global.matched(path, is_dir).map(|_| ());
        ig.or(gi).or(ex).or(global)
    }

    /// Warnings gathered since the last call.
    pub(crate) fn take_warnings(&self) -> Vec<String> {
        if !self.pending.load(Ordering::Relaxed) {
            return Vec::new();
        }
        let mut w = self.warnings.lock().unwrap_or_else(|e| e.into_inner());
        self.pending.store(false, Ordering::Relaxed);
        std::mem::take(&mut *w)
    }

    fn warn(&self, message: String) {
        let mut w = self.warnings.lock().unwrap_or_else(|e| e.into_inner());
        w.push(message);
        self.pending.store(true, Ordering::Relaxed);
    }

    /// The rules of directory `dir`.
    fn node(&self, dir: &Path, parent: Option<Arc<Node>>) -> Node {
        let rules = |name: &str| {
            let path = dir.join(name);
            match self.read(&path, false) {
                Some(bytes) => self.parse(dir, &path, &bytes),
                None => Gitignore::empty(),
            }
        };
        let ignore = rules(".ignore");
        let gitignore = rules(".gitignore");
        let dot_git = dir.join(".git");
        // `.git` may be a link to the git directory (as some tools make it).
        let git_type = std::fs::symlink_metadata(&dot_git).ok().map(|m| {
            let t = m.file_type();
            match t.is_symlink() {
                true => std::fs::metadata(&dot_git).map_or(t, |m| m.file_type()),
                false => t,
            }
        });
        let exclude = match git_type.and_then(|t| self.git_common_dir(&dot_git, t)) {
            Some(common) => {
                let path = common.join("info").join("exclude");
                match self.read(&path, true) {
                    Some(bytes) => self.parse(dir, &path, &bytes),
                    None => Gitignore::empty(),
                }
            }
            None => Gitignore::empty(),
        };
        Node {
            dir: dir.to_path_buf(),
            ignore,
            gitignore,
            exclude,
            has_git: git_type.is_some(),
            canonical: None,
            above: false,
            parent,
        }
    }

    /// The directory that holds `info/exclude` for the repository whose
    /// `.git` is `dot_git`: itself when it is a directory; for a `.git`
    /// file (a linked worktree, a submodule), the git directory it names,
    /// or that directory's common directory.
    fn git_common_dir(&self, dot_git: &Path, t: std::fs::FileType) -> Option<PathBuf> {
        if t.is_dir() {
            return Some(dot_git.to_path_buf());
        }
        if !t.is_file() {
            return None;
        }
        let first_line = |bytes: Vec<u8>| -> Option<String> {
            let line = bytes.split(|&c| c == b'\n').next()?;
            let line = std::str::from_utf8(line).ok()?.trim_end_matches('\r');
            Some(line.to_string())
        };
        let line = first_line(read_capped(dot_git, false, MAX_POINTER_FILE).ok()??)?;
        let git_dir = line.strip_prefix("gitdir: ")?;
        let base = dot_git.parent().unwrap_or(Path::new(""));
        let git_dir = base.join(git_dir.trim());
        let commondir = git_dir.join("commondir");
        match read_capped(&commondir, true, MAX_POINTER_FILE) {
            Ok(Some(bytes)) => Some(git_dir.join(first_line(bytes)?.trim())),
            _ => Some(git_dir),
        }
    }

    /// The bytes of rule file `path`, or None (with a warning when it
    /// exists but is refused).
    fn read(&self, path: &Path, follow: bool) -> Option<Vec<u8>> {
        match read_capped(path, follow, MAX_RULE_FILE) {
            Ok(bytes) => bytes,
            Err(why) => {
                self.warn(format!("{}: {why}; its rules are not applied", shown(path)));
                None
            }
        }
    }

    /// The rules of file `path` (read as `bytes`), matched relative to
    /// `dir`. Lines that cannot be parsed are told and skipped.
    fn parse(&self, dir: &Path, path: &Path, bytes: &[u8]) -> Gitignore {
        let mut b = GitignoreBuilder::new(dir);
        for (i, line) in bytes.split(|&c| c == b'\n').enumerate() {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            let line = if i == 0 {
                line.strip_prefix("\u{feff}".as_bytes()).unwrap_or(line)
            } else {
                line
            };
            let Ok(text) = std::str::from_utf8(line) else {
                self.warn(format!(
                    "{}: line {}: not UTF-8; the rule is not applied",
                    shown(path),
                    i + 1
                ));
                continue;
            };
            if let Err(e) = b.add_line(Some(path.to_path_buf()), text) {
                self.warn(format!(
                    "{}: line {}: {}; the rule is not applied",
                    shown(path),
                    i + 1,
                    one_line(&e.to_string())
                ));
            }
        }
        b.build().unwrap_or_else(|e| {
            self.warn(format!(
                "{}: {}; its rules are not applied",
                shown(path),
                one_line(&e.to_string())
            ));
            Gitignore::empty()
        })
    }
}

/// A path as warnings show it (without a leading `./`).
fn shown(path: &Path) -> String {
    let p = path.strip_prefix(".").unwrap_or(path);
    p.to_string_lossy().into_owned()
}

/// The bytes of `path` when it is a regular file of at most `cap` bytes
/// (through a symbolic link only if `follow`); `Ok(None)` when there is
/// no such file (or a directory of that name); `Err(why)` otherwise. The
/// file is never opened unless it is a regular file, and never read past
/// the cap.
fn read_capped(path: &Path, follow: bool, cap: u64) -> Result<Option<Vec<u8>>, String> {
    let meta = if follow {
        std::fs::metadata(path)
    } else {
        std::fs::symlink_metadata(path)
    };
    let meta = match meta {
        Ok(m) => m,
        Err(e) if is_absent(&e) => return Ok(None),
        Err(e) => return Err(format!("cannot be read ({})", one_line(&e.to_string()))),
    };
    let t = meta.file_type();
    if t.is_symlink() {
        return Err("a symbolic link; not followed (as git does not)".into());
    }
    if t.is_dir() {
        return Ok(None);
    }
    if !t.is_file() {
        return Err(format!("not a regular file ({})", kind(t)));
    }
    let too_large = || format!("larger than {}", human_bytes(cap));
    if meta.len() > cap {
        return Err(too_large());
    }
    let read = || -> io::Result<Vec<u8>> {
        let file = File::open(path)?;
        // What was opened, in case the path changed since it was looked at.
        let meta = file.metadata()?;
        if !meta.is_file() {
            return Err(io::Error::other(format!(
                "not a regular file ({})",
                kind(meta.file_type())
            )));
        }
        let mut bytes = Vec::with_capacity(meta.len().min(cap) as usize);
        file.take(cap + 1).read_to_end(&mut bytes)?;
        Ok(bytes)
    };
    match read() {
        Ok(bytes) if bytes.len() as u64 > cap => Err(too_large()),
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if is_absent(&e) => Ok(None),
        Err(e) => Err(one_line(&e.to_string())),
    }
}

/// The file is not there (or a directory on its path is not one).
fn is_absent(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
    )
}

/// What a file that is not regular is.
fn kind(t: std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO";
        }
        if t.is_socket() {
            return "a socket";
        }
        if t.is_char_device() || t.is_block_device() {
            return "a device";
        }
    }
    let _ = t;
    "a special file"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ignored(rules: &Rules, path: &Path) -> bool {
        rules.matched(path, false).is_ignore()
    }

    #[test]
    fn bad_lines_are_told_and_skipped_the_rest_applies() {
        let t = tempfile::tempdir().unwrap();
        let root = t.path().to_path_buf();
        std::fs::write(
            root.join(".gitignore"),
            b"x{a\n*.log\n\xff\xfe.tmp\n/b.txt\r\n",
        )
        .unwrap();
        let rules = Rules::new(std::slice::from_ref(&root));
        assert!(ignored(&rules, &root.join("a.log")));
        assert!(ignored(&rules, &root.join("b.txt")));
        assert!(!ignored(&rules, &root.join("c.tmp")));
        let w = rules.take_warnings();
        assert_eq!(w.len(), 2, "{w:?}");
        assert!(
            w[0].contains(".gitignore: line 1: ") && w[0].contains("x{a"),
            "{w:?}"
        );
        assert!(w[1].contains(".gitignore: line 3: not UTF-8"), "{w:?}");
        assert!(rules.take_warnings().is_empty());
    }

    #[test]
    fn linked_worktree_and_submodule_excludes_are_found() {
        let t = tempfile::tempdir().unwrap();
        let common = t.path().join("main/.git");
        let git_dir = common.join("worktrees/wt");
        std::fs::create_dir_all(common.join("info")).unwrap();
        std::fs::create_dir_all(&git_dir).unwrap();
        std::fs::write(common.join("info/exclude"), "local.txt\n").unwrap();
        std::fs::write(git_dir.join("commondir"), "../..\n").unwrap();
        let wt = t.path().join("wt");
        std::fs::create_dir_all(&wt).unwrap();
        std::fs::write(wt.join(".git"), format!("gitdir: {}\n", git_dir.display())).unwrap();
        let rules = Rules::new(std::slice::from_ref(&wt));
        assert!(ignored(&rules, &wt.join("local.txt")));
        assert!(rules.take_warnings().is_empty());
        // A submodule: a relative gitdir without a commondir.
        let sub = t.path().join("main/sub");
        std::fs::create_dir_all(t.path().join("main/.git/modules/sub/info")).unwrap();
        std::fs::write(
            t.path().join("main/.git/modules/sub/info/exclude"),
            "mine.txt\n",
        )
        .unwrap();
        std::fs::create_dir_all(&sub).unwrap();
        std::fs::write(sub.join(".git"), "gitdir: ../.git/modules/sub\n").unwrap();
        let rules = Rules::new(std::slice::from_ref(&sub));
        assert!(ignored(&rules, &sub.join("mine.txt")));
        assert!(!ignored(&rules, &sub.join("local.txt")));
    }

    #[cfg(unix)]
    #[test]
    fn rule_files_that_are_not_regular_or_too_large_are_refused() {
        let t = tempfile::tempdir().unwrap();
        let root = t.path().to_path_buf();
        let made = std::process::Command::new("mkfifo")
            .arg(root.join(".gitignore"))
            .status();
        assert!(made.is_ok_and(|s| s.success()));
        std::os::unix::fs::symlink("/dev/zero", root.join(".ignore")).unwrap();
        let rules = Rules::new(std::slice::from_ref(&root));
        let w = rules.take_warnings();
        assert_eq!(w.len(), 2, "{w:?}");
        assert!(w[0].ends_with(".ignore: a symbolic link; not followed (as git does not); its rules are not applied"), "{w:?}");
        assert!(
            w[1].ends_with(".gitignore: not a regular file (a FIFO); its rules are not applied"),
            "{w:?}"
        );

        // A directory named like an ignore file is no ignore file, silently.
        let sub = root.join("sub");
        std::fs::create_dir_all(sub.join(".gitignore")).unwrap();
        std::fs::write(
            sub.join(".ignore"),
            "*\n".repeat(MAX_RULE_FILE as usize / 2 + 1),
        )
        .unwrap();
        rules.enter(&sub);
        assert!(!ignored(&rules, &sub.join("x")));
        let w = rules.take_warnings();
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(w[0].contains("sub/.ignore: larger than 4.0 MiB"), "{w:?}");
    }
}
