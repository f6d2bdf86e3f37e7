//! `faktura unseal`: supplies one custodian's share to a running server.
//!
//! An encrypted share file is decrypted here with its passphrase, so the
//! passphrase never leaves the custodian's machine; the share travels over
//! TLS, verified against `--ca-file` (or the system's CAs).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use faktura_crypto::{SecretString, Share};

/// Arguments of `faktura unseal`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The server, e.g. https://faktura.internal:8443.
    #[arg(long, value_name = "URL")]
    server: String,
    /// This custodian's share file.
    #[arg(long, value_name = "FILE")]
    share_file: PathBuf,
    /// Passphrase file, if the share file is encrypted.
    #[arg(long, value_name = "FILE")]
    share_passphrase_file: Option<PathBuf>,
    /// CA certificate (PEM) that signed the server's certificate.
    #[arg(long, value_name = "FILE")]
    ca_file: Option<PathBuf>,
}

/// Runs the command.
pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    if !args.server.starts_with("https://") {
        bail!("--server must be an https:// URL; shares are never sent in plain text");
    }
    let meta = std::fs::metadata(&args.share_file)
        .with_context(|| format!("cannot read share file {}", args.share_file.display()))?;
    if meta.len() > faktura_crypto::MAX_SHARE_FILE as u64 {
        bail!(
            "{} is too large to be a share file",
            args.share_file.display()
        );
    }
    let text = SecretString::new(
        std::fs::read_to_string(&args.share_file)
            .with_context(|| format!("cannot read share file {}", args.share_file.display()))?,
    );
    let passphrase = match &args.share_passphrase_file {
        Some(path) => Some(SecretString::new(
            std::fs::read_to_string(path)
                .with_context(|| format!("cannot read passphrase file {}", path.display()))?
                .lines()
                .next()
                .unwrap_or_default()
                .to_owned(),
        )),
        None => None,
    };
    if Share::is_encrypted_text(text.expose_secret()) && passphrase.is_none() {
        bail!(
            "{} is encrypted: give its passphrase with --share-passphrase-file",
            args.share_file.display()
        );
    }
    let share = Share::from_text(text.expose_secret(), passphrase.as_ref())
        .with_context(|| format!("share file {}", args.share_file.display()))?;
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
