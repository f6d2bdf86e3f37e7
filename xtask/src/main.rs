//! `cargo xtask`: the project's own automation, in Rust so that it runs
//! wherever the workspace builds.
//!
//! Commands: `deps` (every direct dependency approved, layering rules hold),
//! `sbom` (CycloneDX bill of materials of the `faktura` binary, checked against
//! Cargo.lock), `release` (the release binary built with cargo-auditable).
//! It deliberately installs nothing: `.ci/run` installs the cargo tools into a
//! cache outside the clone and puts them on PATH; each command says what is
//! missing when a tool is not there.

mod cargo;
mod deps;
mod error;
mod release;
mod sbom;

use std::process::ExitCode;

/// The help text, also printed after a usage error.
pub(crate) const USAGE: &str = "usage: cargo xtask <command>

commands:
  deps      check that every direct dependency of every workspace crate is approved in
            supply-chain/approved-dependencies.toml (and no entry is stale), and that the
            layering rules of ARCHITECTURE.md hold
  sbom      write the CycloneDX SBOM of the `faktura` binary to target/sbom/faktura.cdx.json
            (needs cargo-cyclonedx) and check it against Cargo.lock: every crate the binary
            uses, with its version and licence
  release   build the release `faktura` binary with cargo-auditable (needs cargo-auditable),
            so that its dependency list is embedded and can be audited later";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["deps"] => deps::run(),
        ["sbom"] => sbom::run(),
        ["release"] => release::run(),
        ["help" | "--help" | "-h"] => {
            println!("{USAGE}");
            Ok(())
        }
        [] => Err(error::Error::Usage("no command given".into())),
        other => Err(error::Error::Usage(format!(
            "unknown command `{}`",
            other.join(" ")
        ))),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: error: {e}");
            ExitCode::from(2)
        }
    }
}
