//! `faktura unseal`: supplies one custodian's share to a running server.
//!
//! An encrypted share file is decrypted here with its passphrase or, if it
//! is age-encrypted, with the custodian's age identity file, so neither
//! leaves the custodian's machine; the share travels over
//! TLS, verified against `--ca-file` (or the system's CAs).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use faktura_crypto::Share;

/// Arguments of `faktura unseal`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The server, e.g. https://faktura.internal:8443.
    #[arg(long, value_name = "URL")]
    server: String,
    /// This custodian's share file.
    #[arg(long, value_name = "FILE")]
    share_file: PathBuf,
    /// Passphrase file, if the share file is encrypted to a passphrase.
    #[arg(long, value_name = "FILE")]
    share_passphrase_file: Option<PathBuf>,
    /// Age identity file (`AGE-SECRET-KEY-1…`, from `age-keygen`), if the share file is age-encrypted.
    #[arg(long = "identity", value_name = "FILE")]
    identity_files: Vec<PathBuf>,
    /// CA certificate (PEM) that signed the server's certificate.
    #[arg(long, value_name = "FILE")]
    ca_file: Option<PathBuf>,
}

/// Runs the command.
pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    if !args.server.starts_with("https://") {
        bail!("--server must be an https:// URL; shares are never sent in plain text");
    }
    let bytes = super::keys::read_bounded_bytes(
        &args.share_file,
        faktura_crypto::MAX_SHARE_FILE,
        "share file",
    )?;
    let identities = super::keys::read_identities(&args.identity_files)?;
    if !identities.is_empty() && !Share::is_age(bytes.expose_secret()) {
        bail!(
            "--identity was given but {} is not age-encrypted: drop --identity",
            args.share_file.display()
        );
    }
    let share = super::keys::parse_share_file(
        bytes.expose_secret(),
        &args.share_file,
        &identities,
        &mut args.share_passphrase_file.iter(),
    )?;
    let ca = match &args.ca_file {
        Some(path) => Some(
            std::fs::read(path)
                .with_context(|| format!("cannot read CA file {}", path.display()))?,
        ),
        None => None,
    };
    let client = faktura_server::client::SysClient::new(
        &args.server,
        faktura_server::client::https_client(ca.as_deref())?,
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let status = runtime
        .block_on(client.unseal(share.to_text().expose_secret()))
        .context(
            "the share was not accepted (if the cause names the certificate, --ca-file must be the CA that signed the server certificate, or that certificate itself)",
        )?;
    if status.sealed {
        eprintln!(
            "Share accepted: {} of {} shares supplied; the instance stays sealed until {} more custodian(s) supply theirs.",
            status.progress,
            status.threshold,
            status.threshold.saturating_sub(status.progress)
        );
    } else {
        eprintln!("Share accepted: the instance is UNSEALED and serving.");
    }
    Ok(ExitCode::SUCCESS)
}
