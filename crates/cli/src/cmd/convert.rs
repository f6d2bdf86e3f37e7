//! `faktura convert` (not implemented yet).

use std::process::ExitCode;

/// Arguments of `faktura convert`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {}

/// Runs the command.
pub(crate) fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`faktura convert` is not implemented yet")
}
