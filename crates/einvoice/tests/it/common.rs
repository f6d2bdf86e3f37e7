//! Shared helpers: where the conformance files are, and the official oracle.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The shared conformance folder (read-only; never copied into the repository).
pub(crate) fn conformance_dir() -> PathBuf {
    std::env::var_os("FAKTURA_CONFORMANCE").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance"),
        PathBuf::from,
    )
}

/// Every valid complete document: `*/*/valid/*.xml` and `zugferd/xml/valid`.
pub(crate) fn valid_files() -> Vec<PathBuf> {
    let root = conformance_dir();
    let mut files = Vec::new();
    for spec in ["en16931", "xrechnung", "peppol", "zugferd"] {
        for syntax in ["ubl", "cii", "xml"] {
            let dir = root.join(spec).join(syntax).join("valid");
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                let is_xml = path
                    .extension()
                    .is_some_and(|e| e.eq_ignore_ascii_case("xml"));
                if is_xml {
                    files.push(path);
                }
            }
        }
    }
    files.sort();
    files
}

/// One oracle verdict.
#[derive(Debug)]
pub(crate) struct Verdict {
    pub(crate) file: String,
    pub(crate) failed: Vec<String>,
}

/// Runs the official oracle once over many files (`--json`), returning one verdict per file.
pub(crate) fn oracle(files: &[PathBuf]) -> Vec<Verdict> {
    let main = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let python = std::env::var_os("FAKTURA_ORACLE_PYTHON")
        .map_or_else(|| main.join(".venv-oracle/bin/python"), PathBuf::from);
    let script = conformance_dir().join("../tools/validate-official.py");
    assert!(
        python.exists(),
        "the oracle's Python is missing at {}; see ../shared/tools/README.md",
        python.display()
    );
    let mut verdicts = Vec::new();
    for chunk in files.chunks(400) {
        let output = Command::new(&python)
            .arg(&script)
            .arg("--json")
            .args(chunk)
            .output()
            .expect("run the oracle");
        let stdout = String::from_utf8_lossy(&output.stdout);
        for line in stdout.lines().filter(|l| l.starts_with('{')) {
            let v: serde_json::Value = serde_json::from_str(line).expect("oracle JSON line");
            verdicts.push(Verdict {
                file: v["file"].as_str().unwrap_or_default().to_owned(),
                failed: v["failed"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|x| x.as_str().map(str::to_owned))
                            .collect()
                    })
                    .unwrap_or_default(),
            });
        }
        assert!(
            verdicts.len() >= chunk.len(),
            "the oracle answered for fewer files than asked; stderr: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    verdicts
}

/// A fresh scratch directory under the target dir for written documents.
pub(crate) fn scratch_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create scratch dir");
    dir
}
