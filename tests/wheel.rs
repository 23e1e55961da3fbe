//! The Python wheel that carries the binary (pyproject.toml): built with
//! maturin, installed into a fresh virtualenv, run on the fixture.
//!
//! Its own test target, not a module of `it`: cargo runs test targets one
//! after another, so maturin's build (which may link target/debug/keyscan
//! again) never replaces the binary while `it`'s tests run it.

use std::path::PathBuf;
use std::process::Command;

#[path = "it/common.rs"]
mod common;
#[path = "it/dist_support.rs"]
#[allow(dead_code)]
mod dist_support;

use common::*;
use dist_support::*;

/// maturin, as .ci/run installs it (target/ci-venv), or from MATURIN or PATH.
fn maturin() -> Option<PathBuf> {
    if let Some(m) = std::env::var_os("MATURIN") {
        return Some(m.into());
    }
    let venv = root().join("target/ci-venv/bin/maturin");
    if venv.is_file() {
        return Some(venv);
    }
    let found = Command::new("maturin").arg("--version").output();
    found
        .is_ok_and(|o| o.status.success())
        .then(|| "maturin".into())
}

/// The wheel carries the binary: built with maturin from this test build's
/// target directory (the dev profile: no second compile), installed into a
/// fresh virtualenv by the Action's installer in pip mode, offline, and run
/// on the fixture.
#[test]
fn python_wheel_installs_into_a_fresh_venv_and_scans() {
    let Some(maturin) = maturin() else {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!(
                "maturin is not installed, and CI=true: .ci/run installs it into target/ci-venv"
            );
        }
        eprintln!(
            "\n\n*** SKIPPED python_wheel_installs_into_a_fresh_venv_and_scans: maturin not found \
             (run `python3 -m venv target/ci-venv && target/ci-venv/bin/pip install maturin`, \
             or set MATURIN) ***\n"
        );
        return;
    };
    let t = Tree::new();
    let wheels = t.path().join("wheels");
    // Stored, not deflated: the debug binary is large, and the wheel is
    // thrown away after the test.
    let mut build = Command::new(&maturin);
    // Cargo gives this test its package's variables (CARGO_PKG_NAME...);
    // build scripts that watch them (ring's) would see them change and run
    // again, and everything above them compile again: a plain build's
    // environment reuses the test build's crates as they are.
    for (k, _) in std::env::vars_os() {
        let k = k.to_string_lossy();
        if [
            "CARGO_PKG_",
            "CARGO_BIN_",
            "CARGO_CRATE_",
            "CARGO_MANIFEST_",
            "CARGO_PRIMARY_",
            "CARGO_TARGET_TMPDIR",
            "CARGO_RUSTC_",
            "OUT_DIR",
        ]
        .iter()
        .any(|p| k.starts_with(p))
        {
            build.env_remove(&*k);
        }
    }
    let out = build
        .args([
            "build",
            "--profile",
            "dev",
            "--locked",
            "--compatibility",
            "linux",
        ])
        .args([
            "--auditwheel",
            "skip",
            "--compression-method",
            "stored",
            "--out",
        ])
        .arg(&wheels)
        .current_dir(root())
        .output()
        .expect("maturin");
    assert!(out.status.success(), "{:?}", text(&out));
    let names: Vec<String> = std::fs::read_dir(&wheels)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 1, "{names:?}");
    assert!(
        names[0].starts_with(&format!("keyscan-{VERSION}-py3-none-")),
        "{names:?}"
    );

    // The executable and the metadata, nothing installed beside them.
    let mut wheel =
        zip::ZipArchive::new(std::fs::File::open(wheels.join(&names[0])).unwrap()).unwrap();
    let entries: Vec<String> = (0..wheel.len())
        .map(|i| wheel.by_index(i).unwrap().name().to_string())
        .collect();
    let script = format!("keyscan-{VERSION}.data/scripts/keyscan");
    assert!(entries.contains(&script), "{entries:?}");
    let meta = format!("keyscan-{VERSION}.dist-info/");
    assert!(
        entries.iter().all(|e| *e == script || e.starts_with(&meta)),
        "{entries:?}"
    );
    assert!(
        entries.contains(&format!("{meta}licenses/LICENSE")),
        "{entries:?}"
    );

    let dest = t.path().join("dest");
    let pip = format!("--no-index --find-links {}", wheels.display());
    let (out, vars) = install(
        &dest,
        &[("KEYSCAN_INSTALL", "pip"), ("KEYSCAN_PIP_ARGS", &pip)],
    );
    assert!(out.status.success(), "{:?}", text(&out));
    assert_eq!(vars["method"], "pip");
    let bin = PathBuf::from(&vars["bin"]);
    assert_eq!(bin, dest.join("venv/bin/keyscan"));

    let scan = Command::new(&bin)
        .args(["--no-config", "--format", "json", "fixtures/basic"])
        .env("NO_COLOR", "1")
        .current_dir(root())
        .output()
        .unwrap();
    assert_eq!(scan.status.code(), Some(1), "{:?}", text(&scan));
    let doc = json(&scan.stdout);
    assert_eq!(locations(&doc), basic_fixture_locations());
}
