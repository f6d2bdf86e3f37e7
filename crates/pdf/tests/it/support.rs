//! Paths, fixtures and oracle invocation shared by the tests.

use std::path::{Path, PathBuf};
use std::process::Command;

use faktura_pdf::{Conformance, Lang, Options};

/// `shared/` beside the repository.
pub(crate) fn shared() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared")
}

/// The oracle's Python, if installed (`.venv-oracle` at the repository root).
pub(crate) fn oracle_python() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.venv-oracle/bin/python");
    if p.exists() {
        Some(p)
    } else if std::env::var_os("FAKTURA_REQUIRE_ORACLE").is_some() {
        panic!(
            "FAKTURA_REQUIRE_ORACLE is set but {} does not exist",
            p.display()
        );
    } else {
        eprintln!("SKIPPED: no oracle venv at {}", p.display());
        None
    }
}

/// A fresh scratch directory for one test.
pub(crate) fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("faktura-pdf-it-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Fixed options (reproducible output).
pub(crate) fn options(lang: Lang) -> Options {
    Options {
        lang,
        conformance: Conformance::A3b,
        date: time::macros::datetime!(2026-11-24 12:00 UTC),
    }
}

/// Sorted files of a directory with the given extension.
pub(crate) fn files(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .collect();
    v.sort();
    v
}

/// Runs a shared tool with the oracle python; returns (exit code, stdout).
pub(crate) fn run_tool(python: &Path, tool: &str, args: &[PathBuf]) -> (i32, String) {
    let out = Command::new(python)
        .arg(shared().join("tools").join(tool))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}
