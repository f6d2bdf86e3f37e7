//! `faktura keys rotate|rekey`, and the share-file handling that `init` shares.
//!
//! Every command that needs the root key takes K share files
//! (`--share-file`, repeated): plain, encrypted to a passphrase
//! (`--share-passphrase-file`) or to an age recipient (`--identity` with the
//! custodian's age identity file). All shares are read and checked, and the root
//! key is recombined and verified against the instance's check value,
//! before anything is written: with fewer than K distinct valid shares the
//! command fails and changes nothing.
//!
//! Share files are written one per file, created new (never overwritten)
//! with mode 0600 in a directory of mode 0700, and never printed; with
//! `--recipient age1…` (once per share) share i is age-encrypted to the i-th
//! recipient and its file name ends in `.txt.age`.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use faktura_crypto::{
    AgeIdentities, AgeRecipient, Keyring, OsRng, RootKey, SecretBytes, SecretString, Share,
    ShareParams, ShareSetRecord, Unsealer, WrappedDataKey, WrappedKek,
};
pub(crate) use faktura_store::keyring::StoredKeys;

/// Arguments of `faktura keys`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(subcommand)]
    command: KeysCommand,
}

#[derive(Debug, clap::Subcommand)]
enum KeysCommand {
    /// Add a key-encryption key version, re-wrap every data key under it and start new data-key versions; old versions stay readable.
    Rotate(RotateArgs),
    /// Issue a new share set for the same root key; the old shares stop working.
    Rekey(RekeyArgs),
}

/// The shares that unseal the root key, given non-interactively.
#[derive(Debug, clap::Args)]
pub(crate) struct ShareInput {
    /// A custodian's share file; repeat once per custodian (K times). `-` reads one share from standard input.
    #[arg(long = "share-file", value_name = "FILE", required = true)]
    share_files: Vec<PathBuf>,
    /// Passphrase file for an encrypted share file; repeat, in the order of the encrypted share files.
    #[arg(
        id = "share_passphrase_files",
        long = "share-passphrase-file",
        value_name = "FILE"
    )]
    passphrase_files: Vec<PathBuf>,
    /// Age identity file (`AGE-SECRET-KEY-1…` lines, as written by `age-keygen`) for age-encrypted share files; repeat for several custodians.
    #[arg(long = "identity", value_name = "FILE")]
    identity_files: Vec<PathBuf>,
}

/// How to split and where to write new shares.
#[derive(Debug, clap::Args)]
pub(crate) struct ShareOutput {
    /// Number of shares to issue (N).
    #[arg(long, default_value_t = 5)]
    shares: u8,
    /// Number of shares that unseal (K).
    #[arg(long, default_value_t = 3)]
    threshold: u8,
    /// Directory to write the share files to (created with mode 0700 if missing).
    #[arg(long, value_name = "DIR")]
    pub(crate) share_dir: PathBuf,
    /// Encrypt share i to the passphrase in the i-th file (repeat N times, or not at all).
    #[arg(long = "passphrase-file", value_name = "FILE")]
    pub(crate) passphrase_files: Vec<PathBuf>,
    /// Encrypt share i to the i-th custodian's age recipient (`age1…`, from `age-keygen`); repeat N times, or not at all. The files are named `….txt.age`.
    #[arg(long = "recipient", value_name = "AGE_RECIPIENT")]
    pub(crate) recipients: Vec<String>,
    /// DEVELOPMENT ONLY: one share that alone unseals (no split knowledge).
    #[arg(long)]
    dev_single_share: bool,
}

#[derive(Debug, clap::Args)]
struct RotateArgs {
    /// The instance's data directory.
    #[arg(long, value_name = "DIR")]
    data_dir: PathBuf,
    #[command(flatten)]
    input: ShareInput,
}

#[derive(Debug, clap::Args)]
struct RekeyArgs {
    /// The instance's data directory.
    #[arg(long, value_name = "DIR")]
    data_dir: PathBuf,
    #[command(flatten)]
    input: ShareInput,
    #[command(flatten)]
    output: ShareOutput,
}

/// Runs the command.
pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        KeysCommand::Rotate(a) => rotate(&a),
        KeysCommand::Rekey(a) => rekey(&a),
    }
}

fn rotate(args: &RotateArgs) -> anyhow::Result<ExitCode> {
    let store = KeyStore::open(&args.data_dir)?;
    let stored = store.read()?;
    let root = unseal(&args.input, &stored.share_set)?;
    let mut ring = Keyring::open(root, &stored.keks)
        .context("the stored key-encryption keys do not open under the root key")?;
    let new_kek = ring.rotate(&OsRng)?;
    let rewrapped: Vec<WrappedDataKey> = stored
        .current_data_keys()
        .iter()
        .map(|w| ring.rewrap(w, &OsRng))
        .collect::<Result<_, _>>()
        .context("re-wrapping a data key failed")?;
    // Each company and purpose also gets a fresh data key under the new KEK,
    // so records written from now on use the new version.
    let mut owners: Vec<(faktura_crypto::CompanyId, faktura_crypto::Purpose)> = rewrapped
        .iter()
        .map(|w| (w.company().clone(), w.purpose()))
        .collect();
    owners.sort();
    owners.dedup();
    let fresh: Vec<WrappedDataKey> = owners
        .iter()
        .map(|(company, purpose)| ring.create_data_key(company, *purpose, &OsRng))
        .collect::<Result<_, _>>()
        .context("creating a new data key version failed")?;
    // The audit checkpoint signing key is re-sealed under the new KEK in the
    // same transaction, so it keeps opening with the current version.
    let resealed = stored
        .signing_key
        .as_ref()
        .map(|key| super::audit::reseal_signing_key(key, &ring))
        .transpose()?;
    let resealed_signing_key = resealed.is_some();
    store.append_rotation(
        &new_kek,
        &[rewrapped.as_slice(), &fresh].concat(),
        resealed.into_iter().collect(),
    )?;
    store.audit(
        "keys.rotate",
        &format!("kek {}", new_kek.version().get()),
        &format!(
            "{{\"rewrapped\":{},\"new_data_keys\":{},\"resealed_signing_key\":{}}}",
            rewrapped.len(),
            fresh.len(),
            resealed_signing_key
        ),
    )?;
    eprintln!(
        "Rotated: key-encryption key version {v} is current; {} data key(s) re-wrapped under it and {} new data key(s) of version {v} created for new records. Older versions stay stored for reading.",
        rewrapped.len(),
        fresh.len(),
        v = new_kek.version().get(),
    );
    Ok(ExitCode::SUCCESS)
}

fn rekey(args: &RekeyArgs) -> anyhow::Result<ExitCode> {
    let store = KeyStore::open(&args.data_dir)?;
    let stored = store.read()?;
    let params = share_params(&args.output)?;
    let protection = share_protection(&args.output, params.total())?;
    let root = unseal(&args.input, &stored.share_set)?;
    let ring = Keyring::open(root, &stored.keks)
        .context("the stored key-encryption keys do not open under the root key")?;
    let (shares, record) = ring.rekey(params, &OsRng)?;
    // New share files first: if the store write then fails, the old shares stay valid.
    let written = write_shares(&args.output.share_dir, &shares, &protection)?;
    store.append_share_set(&stored, &record)?;
    store.audit(
        "keys.rekey",
        &format!("share-set {}", record.set_id()),
        &format!(
            "{{\"previous\":\"{}\",\"threshold\":{},\"shares\":{}}}",
            stored.share_set.set_id(),
            record.threshold(),
            record.total()
        ),
    )?;
    eprintln!(
        "Re-keyed: new share set {} ({} of {}), {} share file(s) written to {}. The previous shares no longer unseal this instance.",
        record.set_id(),
        record.threshold(),
        record.total(),
        written.len(),
        args.output.share_dir.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// Checks N and K (and the development flag) and warns about 1-of-1.
pub(crate) fn share_params(output: &ShareOutput) -> anyhow::Result<ShareParams> {
    if output.dev_single_share {
        eprintln!(
            "WARNING: --dev-single-share: one share alone unseals this instance. There is no split knowledge; never use this for real data."
        );
        return Ok(ShareParams::danger_single_share());
    }
    ShareParams::new(output.shares, output.threshold)
        .map_err(|e| anyhow::anyhow!("{e} (use --shares N --threshold K with 2 <= K <= N <= 255)"))
}

/// How new share files are protected.
#[derive(Debug)]
pub(crate) enum ShareProtection {
    /// Plain share files (the custodian protects the file).
    Plain,
    /// Share i encrypted to the i-th passphrase.
    Passphrases(Vec<SecretString>),
    /// Share i age-encrypted to the i-th recipient.
    Recipients(Vec<AgeRecipient>),
}

/// Reads `--passphrase-file`s or parses `--recipient`s: one per share, or none; not both.
pub(crate) fn share_protection(output: &ShareOutput, total: u8) -> anyhow::Result<ShareProtection> {
    match (
        output.passphrase_files.is_empty(),
        output.recipients.is_empty(),
    ) {
        (true, true) => Ok(ShareProtection::Plain),
        (false, true) => Ok(ShareProtection::Passphrases(read_passphrases(
            &output.passphrase_files,
            total,
        )?)),
        (true, false) => Ok(ShareProtection::Recipients(parse_recipients(
            &output.recipients,
            total,
        )?)),
        (false, false) => bail!(
            "--passphrase-file and --recipient were both given: encrypt the share files either to passphrases or to age recipients (one per share), not both"
        ),
    }
}

/// Parses `--recipient`s: exactly one per share, each a distinct x25519 `age1…` recipient.
fn parse_recipients(texts: &[String], total: u8) -> anyhow::Result<Vec<AgeRecipient>> {
    if texts.len() != usize::from(total) {
        bail!(
            "{} --recipient(s) given for {total} shares: give exactly one age recipient per share (share i goes to the i-th recipient), or none",
            texts.len()
        );
    }
    let mut recipients: Vec<AgeRecipient> = Vec::with_capacity(texts.len());
    for (i, text) in texts.iter().enumerate() {
        let recipient = AgeRecipient::parse(text)
            .with_context(|| format!("--recipient number {} (`{}`)", i + 1, text.trim()))?;
        if let Some(first) = recipients.iter().position(|r| *r == recipient) {
            bail!(
                "--recipient number {} repeats number {}: one custodian holding two shares weakens the split; give each share its own custodian's recipient",
                i + 1,
                first + 1
            );
        }
        recipients.push(recipient);
    }
    Ok(recipients)
}

/// Reads passphrase files (one line each); there must be none or exactly `total`.
pub(crate) fn read_passphrases(files: &[PathBuf], total: u8) -> anyhow::Result<Vec<SecretString>> {
    if !files.is_empty() && files.len() != usize::from(total) {
        bail!(
            "{} passphrase file(s) given for {total} shares: give one per share, or none",
            files.len()
        );
    }
    files.iter().map(|f| read_passphrase(f)).collect()
}

fn read_passphrase(path: &Path) -> anyhow::Result<SecretString> {
    let text = SecretString::new(
        fs::read_to_string(path)
            .with_context(|| format!("cannot read passphrase file {}", path.display()))?,
    );
    let line = text.expose_secret().lines().next().unwrap_or_default();
    if line.chars().count() < 12 {
        bail!(
            "the passphrase in {} is shorter than 12 characters; choose a longer one",
            path.display()
        );
    }
    Ok(SecretString::from(line))
}

/// Reads the age identity files given with `--identity` (all pooled).
pub(crate) fn read_identities(files: &[PathBuf]) -> anyhow::Result<AgeIdentities> {
    let mut identities = AgeIdentities::new();
    for path in files {
        let bytes = read_bounded_bytes(
            path,
            4 * faktura_crypto::MAX_SHARE_FILE,
            "age identity file",
        )?;
        let text = std::str::from_utf8(bytes.expose_secret()).map_err(|_| {
            anyhow::anyhow!(
                "{} is not a text file: it is not an age identity file",
                path.display()
            )
        })?;
        identities.extend(
            AgeIdentities::parse(text).with_context(|| format!("--identity {}", path.display()))?,
        );
    }
    Ok(identities)
}

/// Parses one share file's bytes: age-encrypted (needs `identities`),
/// passphrase-encrypted (takes the next of `passphrases`) or plain.
pub(crate) fn parse_share_file<'a>(
    bytes: &[u8],
    path: &Path,
    identities: &AgeIdentities,
    passphrases: &mut impl Iterator<Item = &'a PathBuf>,
) -> anyhow::Result<Share> {
    if Share::is_age(bytes) {
        if identities.is_empty() {
            bail!(
                "{} is age-encrypted: give its custodian's age identity file with --identity",
                path.display()
            );
        }
        return Share::from_age(bytes, identities)
            .with_context(|| format!("share file {}", path.display()));
    }
    let text = std::str::from_utf8(bytes).map_err(|_| {
        anyhow::anyhow!(
            "{} is not a text file: it is not a share file",
            path.display()
        )
    })?;
    let passphrase = if Share::is_encrypted_text(text) {
        let file = passphrases.next().with_context(|| {
            format!("{} is encrypted: give its passphrase with --share-passphrase-file (in the order of the encrypted share files)", path.display())
        })?;
        Some(read_passphrase(file)?)
    } else {
        None
    };
    Share::from_text(text, passphrase.as_ref())
        .with_context(|| format!("share file {}", path.display()))
}

/// Reads, checks and recombines the shares; verifies the root key against `record`.
pub(crate) fn unseal(input: &ShareInput, record: &ShareSetRecord) -> anyhow::Result<RootKey> {
    let mut passphrases = input.passphrase_files.iter();
    let identities = read_identities(&input.identity_files)?;
    let mut used_identities = false;
    let mut unsealer = Unsealer::new(record.clone());
    let mut stdin = std::io::stdin().lock();
    for path in &input.share_files {
        let bytes = if path.as_os_str() == "-" {
            eprintln!(
                "Custodian: paste your share file, then press Enter (it is read, never printed)."
            );
            read_share_block(&mut stdin)?
        } else {
            read_bounded_bytes(path, faktura_crypto::MAX_SHARE_FILE, "share file")?
        };
        used_identities |= Share::is_age(bytes.expose_secret());
        let share = parse_share_file(bytes.expose_secret(), path, &identities, &mut passphrases)?;
        let progress = unsealer
            .add(share)
            .with_context(|| format!("share file {}", path.display()))?;
        eprintln!(
            "Share accepted: {} of {} needed.",
            progress.have, progress.need
        );
    }
    if !identities.is_empty() && !used_identities {
        bail!(
            "--identity was given but none of the share files is age-encrypted: drop --identity, or give the age-encrypted (`.txt.age`) share files; nothing was changed"
        );
    }
    let root = unsealer
        .finish()
        .context("cannot unseal; nothing was changed")?;
    Ok(root)
}

/// Reads one share file's text from standard input: its magic line and the
/// fixed number of lines that follow (7 for a plain share, 9 for an
/// encrypted one), or an armoured age file up to its END line, so custodians
/// can paste shares one after another.
fn read_share_block<R: std::io::BufRead>(input: &mut R) -> anyhow::Result<SecretBytes> {
    const AGE_BEGIN: &str = "-----BEGIN AGE ENCRYPTED FILE-----";
    const AGE_END: &str = "-----END AGE ENCRYPTED FILE-----";
    let mut block = String::new();
    let mut expected = None;
    let mut age = false;
    let mut lines = 0usize;
    while expected.is_none_or(|n| lines < n) {
        let mut line = String::new();
        let read = std::io::BufRead::read_line(
            &mut std::io::Read::take(&mut *input, faktura_crypto::MAX_SHARE_FILE as u64),
            &mut line,
        )
        .context("cannot read a share from standard input")?;
        if read == 0 {
            bail!("standard input ended before a whole share file was read");
        }
        if line.trim().is_empty() && expected.is_none() {
            continue;
        }
        if expected.is_none() {
            expected = Some(match line.trim_end() {
                "faktura-share v1" => 7,
                "faktura-share v1 encrypted" => 9,
                AGE_BEGIN => {
                    age = true;
                    usize::MAX
                }
                _ => bail!(
                    "standard input does not start with a share file (`faktura-share v1` or `{AGE_BEGIN}`)"
                ),
            });
        }
        let end = age && line.trim_end() == AGE_END;
        block.push_str(&line);
        lines += 1;
        if block.len() > faktura_crypto::MAX_SHARE_FILE {
            bail!("the share on standard input is too long to be a share file");
        }
        if end {
            break;
        }
    }
    Ok(SecretBytes::new(block.into_bytes()))
}

/// Reads a secret file (a share or identity file) into memory that is
/// wiped on drop, refusing anything longer than `limit` bytes.
pub(crate) fn read_bounded_bytes(
    path: &Path,
    limit: usize,
    what: &str,
) -> anyhow::Result<SecretBytes> {
    use std::io::Read as _;
    // Allocated once at full size, so no reallocation leaves a copy behind.
    let mut bytes = Vec::with_capacity(limit + 1);
    fs::File::open(path)
        .and_then(|f| f.take(limit as u64 + 1).read_to_end(&mut bytes))
        .with_context(|| format!("cannot read {what} {}", path.display()))?;
    if bytes.len() > limit {
        bail!(
            "{} is larger than {limit} bytes: it is not a {what}",
            path.display()
        );
    }
    Ok(SecretBytes::new(bytes))
}

/// Writes one file per share, mode 0600, refusing to overwrite; returns the paths.
pub(crate) fn write_shares(
    dir: &Path,
    shares: &[Share],
    protection: &ShareProtection,
) -> anyhow::Result<Vec<PathBuf>> {
    create_private_dir(dir)?;
    let total = shares.len();
    let mut written = Vec::with_capacity(total);
    for (ordinal, share) in shares.iter().enumerate() {
        let set = share.set_id().to_string();
        let (contents, suffix) = match protection {
            ShareProtection::Plain => (share.to_text(), ""),
            ShareProtection::Passphrases(p) => (
                SecretString::new(
                    share.to_encrypted_text(
                        p.get(ordinal)
                            .context("one passphrase per share is required")?,
                        &OsRng,
                    )?,
                ),
                "",
            ),
            ShareProtection::Recipients(r) => (
                SecretString::new(
                    share.to_age_text(
                        r.get(ordinal)
                            .context("one age recipient per share is required")?,
                    )?,
                ),
                ".age",
            ),
        };
        let path = dir.join(format!(
            "share-{}-of-{total}-{}.txt{suffix}",
            ordinal + 1,
            set.get(..8).unwrap_or(&set)
        ));
        let mut file = private_file(&path)?;
        file.write_all(contents.expose_secret().as_bytes())
            .and_then(|()| file.sync_all())
            .with_context(|| format!("cannot write share file {}", path.display()))?;
        written.push(path);
    }
    Ok(written)
}

pub(crate) fn create_private_dir(dir: &Path) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        if !dir.exists() {
            fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)
                .with_context(|| format!("cannot create directory {}", dir.display()))?;
        }
    }
    #[cfg(not(unix))]
    fs::create_dir_all(dir)
        .with_context(|| format!("cannot create directory {}", dir.display()))?;
    Ok(())
}

/// Makes an existing file readable by its owner only (the database holds wrapped keys).
fn restrict_to_owner(path: &Path) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        fs::set_permissions(path, fs::Permissions::from_mode(0o600))
            .with_context(|| format!("cannot restrict the permissions of {}", path.display()))?;
    }
    Ok(())
}

fn private_file(path: &Path) -> anyhow::Result<fs::File> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    options.open(path).with_context(|| {
        format!(
            "cannot create {} (it must not exist yet; shares are never overwritten)",
            path.display()
        )
    })
}

/// File name of the SQLite database inside a data directory.
pub(crate) const DATABASE_FILE: &str = "faktura.db";
/// The key-material side of an instance's database: a blocking wrapper over
/// [`faktura_store::keyring`], which owns the row layout.
#[derive(Debug)]
pub(crate) struct KeyStore {
    runtime: tokio::runtime::Runtime,
    store: faktura_store::Store,
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

fn now() -> time::OffsetDateTime {
    use faktura_crypto::Clock as _;
    faktura_crypto::SystemClock.now()
}

impl KeyStore {
    /// Fails if `data_dir` already holds an instance.
    pub(crate) fn ensure_absent(data_dir: &Path) -> anyhow::Result<()> {
        let db = data_dir.join(DATABASE_FILE);
        if db.exists() {
            bail!(
                "{} already holds an instance ({} exists); choose another --data-dir",
                data_dir.display(),
                db.display()
            );
        }
        Ok(())
    }

    /// Creates the database in `data_dir` and stores the first share set, KEK
    /// and `extra` rows (the audit signing key) in one transaction.
    pub(crate) fn create(
        data_dir: &Path,
        record: &ShareSetRecord,
        kek: &WrappedKek,
        extra: Vec<faktura_store::NewKeyMaterial>,
    ) -> anyhow::Result<()> {
        Self::ensure_absent(data_dir)?;
        create_private_dir(data_dir)?;
        let runtime = runtime()?;
        let db = data_dir.join(DATABASE_FILE);
        let store = runtime
            .block_on(faktura_store::Store::open_sqlite(&db))
            .with_context(|| format!("cannot create the database {}", db.display()))?;
        restrict_to_owner(&db)?;
        let this = Self { runtime, store };
        let rows = this
            .runtime
            .block_on(this.store.store_initial_keys(record, kek, extra, now()))
            .context("cannot store the new key hierarchy; nothing was stored")?;
        this.audit(
            "keys.init",
            &format!("share-set {}", record.set_id()),
            &format!(
                "{{\"threshold\":{},\"shares\":{},\"kek_version\":{},\"key_rows\":{}}}",
                record.threshold(),
                record.total(),
                kek.version().get(),
                rows
            ),
        )?;
        drop(this);
        Ok(())
    }

    /// Opens the database of an existing instance.
    pub(crate) fn open(data_dir: &Path) -> anyhow::Result<Self> {
        let db = data_dir.join(DATABASE_FILE);
        if !db.is_file() {
            bail!(
                "{} holds no instance ({} is missing); run `faktura init` first or check --data-dir",
                data_dir.display(),
                db.display()
            );
        }
        let runtime = runtime()?;
        let store = runtime
            .block_on(faktura_store::Store::open_sqlite(&db))
            .with_context(|| format!("cannot open the database {}", db.display()))?;
        Ok(Self { runtime, store })
    }

    /// Appends an audit entry for a key-management action done from this
    /// machine (no secret goes into it: only versions and share-set ids).
    pub(crate) fn audit(&self, action: &str, target: &str, details: &str) -> anyhow::Result<()> {
        use faktura_crypto::{Clock as _, SecureRng as _};
        let mut request = [0u8; 16];
        OsRng.fill(&mut request)?;
        let time_us =
            i64::try_from(faktura_crypto::SystemClock.now().unix_timestamp_nanos() / 1000)
                .context("the system clock is out of range")?;
        let fields = faktura_audit::EntryFields {
            time_us,
            company: None,
            actor: "cli".to_owned(),
            action: action.to_owned(),
            target: target.to_owned(),
            outcome: faktura_audit::Outcome::Success,
            request_id: request.iter().map(|b| format!("{b:02x}")).collect(),
            source: "local".to_owned(),
            details: details.as_bytes().to_vec(),
        };
        self.runtime
            .block_on(self.store.append_audit(fields))
            .with_context(|| format!("cannot append the audit entry for {action}"))?;
        Ok(())
    }

    /// Reads the current share set, every KEK, every wrapped data key and the signing key.
    pub(crate) fn read(&self) -> anyhow::Result<StoredKeys> {
        Ok(self.runtime.block_on(self.store.read_keys())?)
    }

    /// Stores a rotation in one transaction: the new KEK, each re-wrapped data
    /// key and the `extra` rows (the re-sealed signing key); all or nothing.
    pub(crate) fn append_rotation(
        &self,
        kek: &WrappedKek,
        rewrapped: &[WrappedDataKey],
        extra: Vec<faktura_store::NewKeyMaterial>,
    ) -> anyhow::Result<()> {
        self.runtime
            .block_on(self.store.store_rotation(kek, rewrapped, extra, now()))
            .context("cannot store the rotation; nothing was stored")
    }

    /// Stores a new share set; it becomes current and the previous one stops unsealing.
    pub(crate) fn append_share_set(
        &self,
        stored: &StoredKeys,
        record: &ShareSetRecord,
    ) -> anyhow::Result<()> {
        self.runtime
            .block_on(self.store.store_share_set(stored, record, now()))
            .context("cannot store the new share set; nothing was stored")
    }
}

impl Drop for KeyStore {
    fn drop(&mut self) {
        self.runtime.block_on(self.store.close());
    }
}
