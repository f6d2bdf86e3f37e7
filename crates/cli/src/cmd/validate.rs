//! `faktura validate` (not implemented yet).

use std::process::ExitCode;

/// Arguments of `faktura validate`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {}

/// Runs the command.
pub(crate) fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`faktura validate` is not implemented yet")
}
