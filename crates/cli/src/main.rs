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
    /// Render invoice XML as a Factur-X / ZUGFeRD PDF/A-3 (or a readable PDF).
    Render(cmd::render::Args),
    /// Print or write the invoice XML embedded in a Factur-X / ZUGFeRD PDF.
    Extract(cmd::extract::Args),
    /// Create a new instance: database, key hierarchy and N custodian share files.
    Init(cmd::init::Args),
    /// Rotate the key-encryption key or re-key the custodian shares (needs K share files).
    Keys(cmd::keys::Args),
    /// Serve the HTTPS API (starts sealed; initialises an empty data directory).
    Serve(cmd::serve::Args),
    /// Supply one custodian's share to a sealed server.
    Unseal(cmd::unseal::Args),
    /// Exit 0 when the local server answers its health check (for container HEALTHCHECKs).
    Healthcheck(cmd::healthcheck::Args),
    /// Verify, export, checkpoint and prove the tamper-evident audit trail.
    Audit(cmd::audit::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Validate(args) => cmd::validate::run(args),
        Command::Convert(args) => cmd::convert::run(args),
        Command::Render(args) => cmd::render::run(args),
        Command::Extract(args) => cmd::extract::run(args),
        Command::Init(args) => cmd::init::run(args),
        Command::Keys(args) => cmd::keys::run(args),
        Command::Serve(args) => cmd::serve::run(args),
        Command::Unseal(args) => cmd::unseal::run(args),
        Command::Healthcheck(args) => cmd::healthcheck::run(args),
        Command::Audit(args) => cmd::audit::run(args),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(2)
        }
    }
}
