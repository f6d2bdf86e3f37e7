//! `faktura audit verify|export|checkpoint|prove|public-key`: the audit trail from the command line.
//!
//! Exit codes: 0 the trail (or proof) verifies, 1 it is broken (the first broken
//! entry is named on stderr), 2 unusable input. The checkpoint public key of an
//! instance lives in `DIR/audit-checkpoint.pub` (a signed-note verifier key), outside
//! the database, so that a rewritten database cannot bring its own key.
//!
//! `verify --config FILE` reads the server's configuration file (the one
//! `faktura serve --config` reads): with `[database] postgres_url` the trail
//! is read from PostgreSQL (password from `password_file`), otherwise from
//! the SQLite file in the data directory; `--data-dir` defaults to its `data_dir`.

use std::fs;
use std::io::{BufReader, BufWriter, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use faktura_audit::export::{EntryRecord, FORMAT, PREFIX_CHUNK, Record, to_base64, to_hex};
use faktura_audit::merkle::{
    consistency_proof, inclusion_proof, leaf_hash, root, verify_consistency, verify_inclusion,
};
use faktura_audit::{Checkpoint, CheckpointSigner, CheckpointVerifier, Report};
use faktura_crypto::Clock as _;
use faktura_store::keyring::SIGNING_PURPOSE;
use faktura_store::{KeyKind, NewKeyMaterial, Store};

/// The database file inside a data directory (the same name `faktura init` uses).
const DATABASE_FILE: &str = "faktura.db";
/// The checkpoint verifier key inside a data directory.
const PUBLIC_KEY_FILE: &str = faktura_store::keyring::CHECKPOINT_PUBLIC_KEY_FILE;

/// Arguments of `faktura audit`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(subcommand)]
    command: AuditCommand,
}

#[derive(Debug, clap::Subcommand)]
enum AuditCommand {
    /// Verify the trail of an instance (--data-dir) or an export (--export); name the first broken entry.
    Verify(VerifyArgs),
    /// Write the trail (or a range) with its signed checkpoints as JSON lines, for an auditor.
    Export(ExportArgs),
    /// Verify the trail and sign a checkpoint over its head (needs K share files to open the
    /// signing key, which `faktura init` created sealed under the key hierarchy).
    Checkpoint(CheckpointArgs),
    /// Produce an RFC 9162 inclusion or consistency proof against a signed checkpoint.
    Prove(ProveArgs),
    /// Print the instance's checkpoint public key (signed-note verifier key).
    PublicKey(DataDirArg),
}

#[derive(Debug, clap::Args)]
struct CheckpointArgs {
    /// The instance's data directory.
    #[arg(long, value_name = "DIR")]
    data_dir: PathBuf,
    #[command(flatten)]
    input: super::keys::ShareInput,
}

#[derive(Debug, clap::Args)]
struct DataDirArg {
    /// The instance's data directory.
    #[arg(long, value_name = "DIR")]
    data_dir: PathBuf,
}

#[derive(Debug, clap::Args)]
struct VerifyArgs {
    /// The instance's data directory.
    #[arg(
        long,
        value_name = "DIR",
        required_unless_present_any = ["export", "config"],
        conflicts_with = "export"
    )]
    data_dir: Option<PathBuf>,
    /// The server's configuration file (as `faktura serve --config`): its
    /// `[database]` says where the trail is (SQLite or PostgreSQL), its
    /// `data_dir` is the default of --data-dir.
    #[arg(long, value_name = "FILE", conflicts_with = "export")]
    config: Option<PathBuf>,
    /// An export file written by `faktura audit export`.
    #[arg(long, value_name = "FILE")]
    export: Option<PathBuf>,
    /// The checkpoint public key file (required with --export; default DIR/audit-checkpoint.pub).
    #[arg(long, value_name = "FILE")]
    public_key: Option<PathBuf>,
    /// A checkpoint note kept outside the database (e.g. from an earlier export); repeatable.
    #[arg(long = "checkpoint", value_name = "FILE")]
    checkpoints: Vec<PathBuf>,
    /// With --export: accept entries after the export's last signed checkpoint
    /// (they are chained but nobody vouched for them).
    #[arg(long, requires = "export")]
    allow_unvouched: bool,
}

#[derive(Debug, clap::Args)]
struct ExportArgs {
    /// The instance's data directory.
    #[arg(long, value_name = "DIR")]
    data_dir: PathBuf,
    /// First entry to export (default 0).
    #[arg(long, value_name = "SEQ")]
    from: Option<u64>,
    /// Last entry to export, inclusive (default the last entry).
    #[arg(long, value_name = "SEQ")]
    to: Option<u64>,
    /// Where to write the export (created new; never overwritten).
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: PathBuf,
}

#[derive(Debug, clap::Args)]
struct ProveArgs {
    #[command(subcommand)]
    kind: ProveKind,
}

#[derive(Debug, clap::Subcommand)]
enum ProveKind {
    /// Prove that entry SEQ is in the tree of a signed checkpoint.
    Inclusion {
        /// The instance's data directory.
        #[arg(long, value_name = "DIR")]
        data_dir: PathBuf,
        /// The entry's sequence number.
        #[arg(long)]
        seq: u64,
        /// The checkpoint's tree size (default the newest checkpoint).
        #[arg(long)]
        size: Option<u64>,
    },
    /// Prove that the checkpoint of size NEW extends the checkpoint of size OLD.
    Consistency {
        /// The instance's data directory.
        #[arg(long, value_name = "DIR")]
        data_dir: PathBuf,
        /// The older checkpoint's tree size.
        #[arg(long)]
        old_size: u64,
        /// The newer checkpoint's tree size (default the newest checkpoint).
        #[arg(long)]
        new_size: Option<u64>,
    },
}

/// Runs `faktura audit`.
pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    match args.command {
        AuditCommand::Verify(a) => verify(&runtime, &a),
        AuditCommand::Export(a) => runtime.block_on(export(&a)),
        AuditCommand::Checkpoint(a) => {
            // Unseal first: the key store runs its own runtime, outside ours.
            let ring = open_keyring(&a)?;
            runtime.block_on(checkpoint(&a.data_dir, &ring))
        }
        AuditCommand::Prove(a) => runtime.block_on(prove(a.kind)),
        AuditCommand::PublicKey(a) => {
            println!("{}", read_public_key(&a.data_dir.join(PUBLIC_KEY_FILE))?);
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn open(data_dir: &Path) -> anyhow::Result<Store> {
    let db = data_dir.join(DATABASE_FILE);
    if !db.is_file() {
        bail!(
            "{} holds no instance ({} is missing); run `faktura init` first or check --data-dir",
            data_dir.display(),
            db.display()
        );
    }
    Store::open_sqlite(&db)
        .await
        .with_context(|| format!("cannot open the database {}", db.display()))
}

fn read_public_key(path: &Path) -> anyhow::Result<CheckpointVerifier> {
    let text = fs::read_to_string(path).with_context(|| {
        format!(
            "cannot read the checkpoint public key {} (pass --public-key FILE)",
            path.display()
        )
    })?;
    CheckpointVerifier::parse(&text)
        .with_context(|| format!("{} is not a checkpoint public key", path.display()))
}

fn read_notes(files: &[PathBuf]) -> anyhow::Result<Vec<String>> {
    files
        .iter()
        .map(|f| {
            fs::read_to_string(f).with_context(|| format!("cannot read checkpoint {}", f.display()))
        })
        .collect()
}

fn verify(runtime: &tokio::runtime::Runtime, a: &VerifyArgs) -> anyhow::Result<ExitCode> {
    let extra = read_notes(&a.checkpoints)?;
    let location = a
        .config
        .as_deref()
        .map(faktura_server::config::DataLocation::load)
        .transpose()?;
    let data_dir = a
        .data_dir
        .clone()
        .or_else(|| location.as_ref().and_then(|l| l.data_dir.clone()));
    if a.config.is_some() && data_dir.is_none() {
        bail!(
            "the configuration file sets no data_dir: pass --data-dir DIR (the directory holding audit-checkpoint.pub)"
        );
    }
    let (what, result) = if let Some(dir) = &data_dir {
        let postgres = match &location {
            Some(l) => l.database.postgres()?,
            None => None,
        };
        let key_path = a.public_key.clone().unwrap_or_else(|| {
            eprintln!(
                "warning: trusting {}, which is stored beside the data it checks: whoever can write {} can replace it. Auditors pass --public-key with their own copy.",
                dir.join(PUBLIC_KEY_FILE).display(),
                dir.display()
            );
            dir.join(PUBLIC_KEY_FILE)
        });
        let key = read_public_key(&key_path)?;
        let result = runtime.block_on(async {
            let store = match &postgres {
                Some(target) => target.open().await.with_context(|| {
                    format!("cannot open the PostgreSQL database {}", target.url())
                })?,
                None => open(dir).await?,
            };
            let r = store.verify_audit(&key, &extra).await;
            store.close().await;
            anyhow::Ok(r)
        })?;
        let result = match result {
            Ok(r) => Ok(r),
            Err(faktura_store::Error::Audit(e)) => Err(e),
            Err(other) => return Err(other.into()),
        };
        let what = match &postgres {
            Some(target) => format!(
                "PostgreSQL database {} (data directory {})",
                target.url(),
                dir.display()
            ),
            None => dir.display().to_string(),
        };
        (what, result)
    } else if let Some(file) = &a.export {
        let Some(key_path) = &a.public_key else {
            bail!("--export needs --public-key FILE (the instance's audit-checkpoint.pub)");
        };
        let key = read_public_key(key_path)?;
        let f = fs::File::open(file).with_context(|| format!("cannot open {}", file.display()))?;
        let result =
            faktura_audit::export::verify_export_with_checkpoints(BufReader::new(f), &key, &extra);
        // An export is judged strictly: entries that no signed checkpoint covers
        // could have been edited together with a dropped checkpoint.
        let result = match result {
            Ok(r) if r.unvouched() > 0 && !a.allow_unvouched => {
                eprintln!(
                    "audit export NOT VOUCHED: {}: entries {} to {} are not covered by any signed checkpoint, so an edit to them (with the covering checkpoint dropped) would go unnoticed. Export after `faktura audit checkpoint`, pass the newest checkpoint you hold with --checkpoint, or accept this with --allow-unvouched.",
                    file.display(),
                    r.vouched_size,
                    r.entries.saturating_sub(1)
                );
                return Ok(ExitCode::from(1));
            }
            other => other,
        };
        (file.display().to_string(), result)
    } else {
        bail!("give --data-dir DIR or --export FILE");
    };
    report(&what, result)
}

fn report(what: &str, result: faktura_audit::Result<Report>) -> anyhow::Result<ExitCode> {
    match result {
        Ok(r) => {
            println!(
                "audit trail OK: {what}: {} entries, {} signed checkpoints, vouched for up to entry {}, head {}",
                r.entries,
                r.checkpoints,
                r.vouched_size.saturating_sub(1),
                to_hex(&r.head)
            );
            if r.prefix_entries > 0 {
                println!(
                    "note: entries 0 to {} were given only as hashes (a ranged export): their place in the signed tree is checked, their content was not read",
                    r.prefix_entries - 1
                );
            }
            if r.unvouched() > 0 {
                println!(
                    "note: the last {} entries are chained but not yet covered by a signed checkpoint (run `faktura audit checkpoint`)",
                    r.unvouched()
                );
            }
            if r.checkpoints == 0 {
                println!(
                    "warning: no signed checkpoint: a recomputed or truncated chain would go unnoticed"
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(faktura_audit::Error::Broken(b)) => {
            eprintln!("audit trail BROKEN: {what}: {b}");
            Ok(ExitCode::from(1))
        }
        Err(e @ faktura_audit::Error::ExportFormat { .. }) => {
            eprintln!("audit export BROKEN: {what}: {e}");
            Ok(ExitCode::from(1))
        }
        Err(e) => Err(e.into()),
    }
}

async fn export(a: &ExportArgs) -> anyhow::Result<ExitCode> {
    let store = open(&a.data_dir).await?;
    let len = store.audit_len().await?;
    let first = a.from.unwrap_or(0);
    let end = a.to.map_or(len, |t| t.saturating_add(1)).min(len);
    if first > end || (first == end && len > 0 && a.from.is_some()) {
        bail!("--from {first} is past the last entry ({} entries)", len);
    }
    let file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&a.output)
        .with_context(|| {
            format!(
                "cannot create {} (it must not exist yet)",
                a.output.display()
            )
        })?;
    let mut w = BufWriter::new(file);
    let key = read_public_key(&a.data_dir.join(PUBLIC_KEY_FILE))?;
    Record::Header {
        format: FORMAT.into(),
        origin: key.name().to_owned(),
        first_seq: first,
        end_seq: end,
    }
    .to_line()
    .map(|l| w.write_all(l.as_bytes()))??;
    let checkpoints = store.audit_checkpoints().await?;
    let mut written = 0;
    for cp in checkpoints.iter().filter(|c| c.tree_size <= end) {
        w.write_all(
            Record::Checkpoint {
                note: cp.note.clone(),
            }
            .to_line()?
            .as_bytes(),
        )?;
        written += 1;
    }
    let prefix = store.audit_hashes(0, first).await?;
    for chunk in prefix.chunks(PREFIX_CHUNK) {
        let hashes = chunk.iter().map(|h| to_hex(h)).collect();
        w.write_all(Record::Prefix { hashes }.to_line()?.as_bytes())?;
    }
    let mut next = first;
    while next < end {
        let page = store.audit_entries(next, end.min(next + 10_000)).await?;
        let Some(last) = page.last() else { break };
        next = last.seq + 1;
        for e in &page {
            w.write_all(Record::Entry(EntryRecord::from(e)).to_line()?.as_bytes())?;
        }
    }
    w.flush()?;
    w.into_inner().map_err(|e| e.into_error())?.sync_all()?;
    store.close().await;
    eprintln!(
        "exported entries {first}..{} with {written} checkpoints to {}",
        end.saturating_sub(1),
        a.output.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// Recombines the root key from the share files and opens the key hierarchy.
fn open_keyring(a: &CheckpointArgs) -> anyhow::Result<faktura_crypto::Keyring> {
    let keys = super::keys::KeyStore::open(&a.data_dir)?;
    let stored = keys.read()?;
    let root = super::keys::unseal(&a.input, &stored.share_set)?;
    faktura_crypto::Keyring::open(root, &stored.keks)
        .context("the stored key-encryption keys do not open under the root key")
}

/// Loads the signing key, creating it (and the public key file) on first use.
///
/// `faktura init` creates the key; creating it here serves instances made before
/// init did. The key-material row holds `origin ‖ "\n" ‖ sealed seed`, the seed
/// sealed under the current KEK as an instance secret, so the database alone
/// never yields the key.
async fn signing_key(
    store: &Store,
    data_dir: &Path,
    ring: &faktura_crypto::Keyring,
) -> anyhow::Result<CheckpointSigner> {
    let kind = KeyKind::new(KeyKind::AUDIT_SIGNING)?;
    if let Some(rec) = store
        .key_material_latest(&kind, None, SIGNING_PURPOSE)
        .await?
    {
        return open_signing_key(&rec.wrapped, ring);
    }
    let (row, signer) = new_signing_key(ring)?;
    store.append_key_material(&row).await?;
    write_public_key(data_dir, &signer)?;
    Ok(signer)
}

/// Opens a stored signing-key record under the key hierarchy.
fn open_signing_key(
    wrapped: &[u8],
    ring: &faktura_crypto::Keyring,
) -> anyhow::Result<CheckpointSigner> {
    faktura_store::keyring::open_signing_key(wrapped, ring)
        .context("the audit signing key does not open under this instance's keys")
}

/// Draws a new checkpoint signing key sealed under the current KEK (see
/// [`faktura_store::keyring::new_signing_key`]).
pub(crate) fn new_signing_key(
    ring: &faktura_crypto::Keyring,
) -> anyhow::Result<(NewKeyMaterial, CheckpointSigner)> {
    Ok(faktura_store::keyring::new_signing_key(
        ring,
        &faktura_crypto::OsRng,
        faktura_crypto::SystemClock.now(),
    )?)
}

/// Re-seals a stored signing key under the ring's current KEK (see
/// [`faktura_store::keyring::reseal_signing_key`]).
pub(crate) fn reseal_signing_key(
    stored: &faktura_store::KeyMaterial,
    ring: &faktura_crypto::Keyring,
) -> anyhow::Result<NewKeyMaterial> {
    faktura_store::keyring::reseal_signing_key(
        stored,
        ring,
        &faktura_crypto::OsRng,
        faktura_crypto::SystemClock.now(),
    )
    .context("the audit signing key does not open under this instance's keys")
}

/// Writes the checkpoint public key file of an instance (`DIR/audit-checkpoint.pub`).
pub(crate) fn write_public_key(data_dir: &Path, signer: &CheckpointSigner) -> anyhow::Result<()> {
    let pub_path = data_dir.join(PUBLIC_KEY_FILE);
    fs::write(&pub_path, format!("{}\n", signer.verifier()))
        .with_context(|| format!("cannot write {}", pub_path.display()))?;
    eprintln!(
        "created the audit checkpoint key (sealed in the database); public key in {}: keep a copy elsewhere",
        pub_path.display()
    );
    Ok(())
}

async fn checkpoint(data_dir: &Path, ring: &faktura_crypto::Keyring) -> anyhow::Result<ExitCode> {
    let store = open(data_dir).await?;
    let signer = signing_key(&store, data_dir, ring).await?;
    let time_us = i64::try_from(faktura_crypto::SystemClock.now().unix_timestamp_nanos() / 1000)?;
    match store.audit_checkpoint(&signer, time_us).await {
        Ok(cp) => {
            print!("{}", cp.note);
            eprintln!("signed a checkpoint over {} entries", cp.tree_size);
            store.close().await;
            Ok(ExitCode::SUCCESS)
        }
        Err(faktura_store::Error::Audit(faktura_audit::Error::Broken(b))) => {
            eprintln!(
                "audit trail BROKEN: {}: {b}; no checkpoint signed",
                data_dir.display()
            );
            Ok(ExitCode::from(1))
        }
        Err(e) => Err(e.into()),
    }
}

/// Verifies the trail, then returns the leaf hashes and the checkpoint of `size`
/// (the newest when `None`).
async fn vouched_tree(
    data_dir: &Path,
    size: Option<u64>,
) -> anyhow::Result<
    Result<
        (
            Vec<[u8; 32]>,
            Checkpoint,
            Vec<faktura_store::StoredCheckpoint>,
        ),
        ExitCode,
    >,
> {
    let store = open(data_dir).await?;
    let key = read_public_key(&data_dir.join(PUBLIC_KEY_FILE))?;
    match store.verify_audit(&key, &[]).await {
        Ok(_) => {}
        Err(faktura_store::Error::Audit(faktura_audit::Error::Broken(b))) => {
            eprintln!(
                "audit trail BROKEN: {}: {b}; no proof given",
                data_dir.display()
            );
            return Ok(Err(ExitCode::from(1)));
        }
        Err(e) => return Err(e.into()),
    }
    let cps = store.audit_checkpoints().await?;
    let chosen = match size {
        Some(s) => cps.iter().find(|c| c.tree_size == s),
        None => cps.last(),
    };
    let Some(chosen) = chosen else {
        bail!(
            "no signed checkpoint of that size; sizes available: {:?}",
            cps.iter().map(|c| c.tree_size).collect::<Vec<_>>()
        );
    };
    let cp = Checkpoint::verify_note(&chosen.note, &key)?;
    let leaves = store
        .audit_hashes(0, cp.size)
        .await?
        .iter()
        .map(|h| leaf_hash(h))
        .collect();
    store.close().await;
    Ok(Ok((leaves, cp, cps)))
}

async fn prove(kind: ProveKind) -> anyhow::Result<ExitCode> {
    match kind {
        ProveKind::Inclusion {
            data_dir,
            seq,
            size,
        } => {
            let (leaves, cp, _) = match vouched_tree(&data_dir, size).await? {
                Ok(t) => t,
                Err(code) => return Ok(code),
            };
            let proof = inclusion_proof(&leaves, seq)?;
            let leaf = leaves
                .get(usize::try_from(seq)?)
                .context("entry out of range")?;
            verify_inclusion(seq, cp.size, leaf, &proof, &cp.root)?;
            let out = serde_json::json!({
                "leafIdx": seq,
                "treeSize": cp.size,
                "root": to_base64(&cp.root),
                "leafHash": to_base64(leaf),
                "proof": proof.iter().map(|p| to_base64(p)).collect::<Vec<_>>(),
            });
            println!("{}", serde_json::to_string_pretty(&out)?);
            eprintln!(
                "entry {seq} is included in the signed checkpoint of size {} (proof verified)",
                cp.size
            );
            Ok(ExitCode::SUCCESS)
        }
        ProveKind::Consistency {
            data_dir,
            old_size,
            new_size,
        } => {
            let (leaves, cp, cps) = match vouched_tree(&data_dir, new_size).await? {
                Ok(t) => t,
                Err(code) => return Ok(code),
            };
            if !cps.iter().any(|c| c.tree_size == old_size) {
                bail!("no signed checkpoint of size {old_size}");
            }
            let old_root = root(
                leaves
                    .get(..usize::try_from(old_size)?)
                    .context("old size past the new size")?,
            );
            let proof = consistency_proof(&leaves, old_size)?;
            verify_consistency(old_size, cp.size, &old_root, &cp.root, &proof)?;
            let out = serde_json::json!({
                "size1": old_size,
                "size2": cp.size,
                "root1": to_base64(&old_root),
                "root2": to_base64(&cp.root),
                "proof": proof.iter().map(|p| to_base64(p)).collect::<Vec<_>>(),
            });
            println!("{}", serde_json::to_string_pretty(&out)?);
            eprintln!(
                "checkpoint {} extends checkpoint {old_size} (proof verified)",
                cp.size
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}
