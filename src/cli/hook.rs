//! `keyscan install-hook`: a plain git pre-commit hook that scans what is
//! staged and refuses the commit when it adds a secret.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{anyhow, Context, Result};

use super::args::InstallHookArgs;

/// Marker line that identifies hooks keyscan wrote.
pub const MARKER: &str = "# installed by keyscan install-hook";

/// The hook script; `keyscan` is the binary to run.
pub fn script(keyscan: &Path) -> String {
    let bin = keyscan.display().to_string().replace('\'', "'\\''");
    format!(
        "#!/bin/sh\n{MARKER}\n\
         # Refuses a commit whose staged changes add a secret. Bypass once, knowingly,\n\
         # with `git commit --no-verify`.\n\
         KEYSCAN='{bin}'\n\
         [ -x \"$KEYSCAN\" ] || KEYSCAN=keyscan\n\
         exec \"$KEYSCAN\" --staged .\n"
    )
}

/// Where git looks for hooks in `repo` (honours `core.hooksPath`).
fn hooks_dir(repo: &Path) -> Result<PathBuf> {
    let out = Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(["rev-parse", "--git-path", "hooks"])
        .output()
        .context("running git (is it installed?)")?;
    if !out.status.success() {
        return Err(anyhow!("{}: not a git repository", repo.display()));
    }
    let rel = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let p = PathBuf::from(&rel);
    Ok(if p.is_absolute() { p } else { repo.join(p) })
}

/// Run `keyscan install-hook`.
pub fn install(args: &InstallHookArgs) -> Result<u8> {
    let dir = hooks_dir(&args.repo)?;
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let hook = dir.join("pre-commit");
    if hook.exists() && !args.force {
        let existing = std::fs::read_to_string(&hook).unwrap_or_default();
        let note = if existing.contains(MARKER) {
            " (a keyscan hook)"
        } else {
            ""
        };
        return Err(anyhow!(
            "{} already exists{note}; use --force to replace it",
            hook.display()
        ));
    }
    let exe = std::env::current_exe().unwrap_or_else(|_| PathBuf::from("keyscan"));
    // Beside the target and renamed into place: a symbolic link or a FIFO
    // at the hook's path is refused, never written through.
    crate::files::write_replacing(&hook, |w| w.write_all(script(&exe).as_bytes()))
        .with_context(|| format!("cannot write {}", hook.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755))?;
    }
    eprintln!("keyscan: installed {}", hook.display());
    Ok(0)
}
