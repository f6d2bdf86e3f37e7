//! The `faktura` command: one binary for every job.
//!
//! Each subcommand lives in its own module under `cmd/` and owns its
//! arguments; this file only dispatches. Exit codes: 0 success, 1 a check
//! failed (an invalid invoice, a broken audit trail), 2 unusable input or
//! set-up error.

mod cmd;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Faktura: create, validate, convert and archive EN 16931 e-invoices.
#[derive(Debug, Parser)]
#[command(name = "faktura", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Validate invoices (UBL, CII, Factur-X PDF) against the official rules.
    Validate(cmd::validate::Args),
    /// Convert an invoice between syntaxes and specifications.
    Convert(cmd::convert::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Validate(args) => cmd::validate::run(args),
        Command::Convert(args) => cmd::convert::run(args),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(2)
        }
    }
}
