//! `faktura init`: a new instance with its database and key hierarchy.
//!
//! Draws a root key, splits it into N shares (threshold K), writes each
//! share to its own 0600 file (optionally encrypted to a custodian's
//! passphrase, or age-encrypted to a custodian's `--recipient`), creates the database and stores the share-set record, KEK
//! version 1 and the audit checkpoint signing key (sealed under that KEK) in
//! one transaction, writes the checkpoint public key file and appends the
//! `keys.init` audit entry. The root key itself is never written anywhere and
//! no share is ever printed.

use std::path::PathBuf;
use std::process::ExitCode;

use faktura_crypto::{Keyring, OsRng, RootKey, split_root_key};

use super::keys::{
    KeyStore, ShareOutput, create_private_dir, share_params, share_protection, write_shares,
};

/// Arguments of `faktura init`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Directory for the new instance (must not hold an instance yet).
    #[arg(long, value_name = "DIR")]
    data_dir: PathBuf,
    #[command(flatten)]
    output: ShareOutput,
}

/// Runs the command.
pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    let params = share_params(&args.output)?;
    let protection = share_protection(&args.output, params.total())?;
    // Refuse before making anything if the instance exists.
    KeyStore::ensure_absent(&args.data_dir)?;

    let root = RootKey::generate(&OsRng)?;
    let (shares, record) = split_root_key(&root, params, &OsRng)?;
    let (ring, kek) = Keyring::create(root, &OsRng)?;
    let (signing_row, signer) = super::audit::new_signing_key(&ring)?;

    let written = write_shares(&args.output.share_dir, &shares, &protection)?;
    // The public key file goes first: if creating the database then fails, no
    // instance exists and a retry overwrites the file.
    create_private_dir(&args.data_dir)?;
    super::audit::write_public_key(&args.data_dir, &signer)?;
    KeyStore::create(&args.data_dir, &record, &kek, vec![signing_row])?;
    eprintln!(
        "Initialised a new instance in {}.\nShare set {}: {} of {} shares unseal it. Share files (give each to its custodian, keep no copies together):",
        args.data_dir.display(),
        record.set_id(),
        record.threshold(),
        record.total()
    );
    for path in &written {
        eprintln!("  {}", path.display());
    }
    eprintln!(
        "Key-encryption key version {} created. The root key was not written anywhere.",
        kek.version().get()
    );
    Ok(ExitCode::SUCCESS)
}
