//! `cargo xtask release`: the release `faktura` binary, built with
//! cargo-auditable so that the exact crate list travels inside the binary (a
//! `.dep-v0` section) and can be checked against advisories after the fact
//! (`cargo audit bin`, or any reader of the format).

use crate::cargo::{self, run_inherit};
use crate::error::{Error, Result};

/// The section cargo-auditable adds to the binary.
const AUDIT_SECTION: &[u8] = b".dep-v0";

/// Builds `target/release/faktura` with cargo-auditable and checks that the
/// dependency section is really there.
pub(crate) fn run() -> Result<()> {
    let meta = cargo::metadata_no_deps()?;
    let mut cmd = cargo::cargo();
    cmd.args([
        "auditable",
        "build",
        "--release",
        "--locked",
        "-p",
        "faktura-cli",
        "--bin",
        "faktura",
    ]);
    run_inherit(&mut cmd).map_err(|e| match e {
        Error::CommandFailed {
            command, status, ..
        } => Error::CommandFailed {
            command,
            status,
            stderr: "if cargo said `no such command: auditable`, install it with \
                     `cargo install --locked cargo-auditable` (or run .ci/run, which installs it \
                     into its tool cache) and put its bin directory on PATH"
                .into(),
        },
        other => other,
    })?;
    let binary = meta.target_directory.join("release").join("faktura");
    let bytes = std::fs::read(&binary).map_err(|source| Error::Io {
        path: binary.clone(),
        source,
    })?;
    if !contains(&bytes, AUDIT_SECTION) {
        return Err(Error::CheckFailed {
            gate: "auditable release",
            problems: vec![format!(
                "{} has no `.dep-v0` section: it was not built by cargo-auditable",
                binary.display()
            )],
        });
    }
    println!(
        "release: ok: {} ({} bytes) carries its dependency list in `.dep-v0`",
        binary.display(),
        bytes.len()
    );
    Ok(())
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_section_name_only_when_present() {
        assert!(contains(b"\0.text\0.dep-v0\0.data", AUDIT_SECTION));
        assert!(!contains(b"\0.text\0.dep-v\0.data", AUDIT_SECTION));
        assert!(!contains(b"", AUDIT_SECTION));
    }
}
