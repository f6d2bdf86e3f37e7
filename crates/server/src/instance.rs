//! The instance on disk: first-start initialisation and the stored key
//! material the seal works against, over `faktura-store` and `faktura-crypto`.
//!
//! The key layout is `faktura_store::keyring`'s, the one `faktura init`
//! creates (`faktura.db` in the data directory; share set, KEK version 1 and
//! the sealed audit checkpoint signing key stored in one transaction, the
//! checkpoint public key beside the data), so an instance made by either one
//! is served, checkpointed and verified by the other.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use faktura_crypto::{
    Clock as _, Keyring, OsRng, RootKey, SecretString, SecureRng as _, Share, ShareParams,
    ShareSetRecord, SystemClock, WrappedKek, split_root_key,
};
use faktura_store::keyring::{self, CHECKPOINT_PUBLIC_KEY_FILE, ROOT_PURPOSE};
use faktura_store::{KeyKind, NewKeyMaterial, Store};
use sha2::{Digest as _, Sha256};

use crate::error::{Error, Result};

/// File name of the SQLite database inside a data directory (as `faktura init`).
pub const DATABASE_FILE: &str = "faktura.db";
/// DEVELOPMENT ONLY: file beside the data holding the 1-of-1 share.
pub const DEV_SHARE_FILE: &str = "dev-unseal-share.txt";
/// Key-material kind under which the setup token's SHA-256 is stored.
pub const SETUP_TOKEN_KIND: &str = "setup-token";
/// Prefix of the one-time owner setup token.
pub const SETUP_TOKEN_PREFIX: &str = "fk_setup_";

/// An opened instance: its database and the public key records.
#[derive(Debug)]
pub struct Instance {
    /// The database.
    pub store: Store,
    /// The current share set.
    pub share_set: ShareSetRecord,
    /// Every stored KEK version.
    pub keks: Vec<WrappedKek>,
}

/// What a first start produced; `None` fields mean the instance existed.
#[derive(Debug, Default)]
pub struct FirstStart {
    /// Share files written (non-dev first start).
    pub share_files: Vec<PathBuf>,
    /// The one-time setup token for creating the first owner; shown once.
    pub setup_token: Option<SecretString>,
}

/// Opens the instance in `data_dir`, initialising it if the directory holds none.
///
/// In development mode the single share goes to [`DEV_SHARE_FILE`] in the
/// data directory; otherwise the N shares go to `share_dir`, which must be
/// given on a first start.
///
/// # Errors
/// [`Error::Config`] if a first start lacks a share directory, or any I/O,
/// store or crypto failure.
pub async fn open_or_init(
    data_dir: &Path,
    share_dir: Option<&Path>,
    params: ShareParams,
    dev: bool,
) -> Result<(Instance, FirstStart)> {
    let db = data_dir.join(DATABASE_FILE);
    let mut first = FirstStart::default();
    if !db.exists() {
        let target = if dev {
            None
        } else {
            Some(share_dir.ok_or_else(|| Error::Config {
                key: "share_dir".into(),
                reason: format!(
                    "{} holds no instance yet and a first start writes the custodian share files: pass --share-dir DIR (or set share_dir), a directory the custodians will collect them from",
                    data_dir.display()
                ),
            })?)
        };
        let params = if dev {
            ShareParams::danger_single_share()
        } else {
            params
        };
        first = initialise(data_dir, target, params).await?;
    }
    let store = Store::open_sqlite(&db).await?;
    let stored = store.read_keys().await?;
    let share_set = stored.share_set;
    let keks = stored.keks;
    Ok((
        Instance {
            store,
            share_set,
            keks,
        },
        first,
    ))
}

async fn initialise(
    data_dir: &Path,
    share_dir: Option<&Path>,
    params: ShareParams,
) -> Result<FirstStart> {
    let root = RootKey::generate(&OsRng).map_err(Error::Crypto)?;
    let (shares, record) = split_root_key(&root, params, &OsRng).map_err(Error::Crypto)?;
    let (ring, kek) = Keyring::create(root, &OsRng).map_err(Error::Crypto)?;
    let now = SystemClock.now();
    let (signing_row, signer) = keyring::new_signing_key(&ring, &OsRng, now)?;
    drop(ring);
    create_private_dir(data_dir)?;
    // Shares and the public key first: if storing fails, no instance exists
    // and a retry starts over (shares are never overwritten, so the operator
    // clears the share directory of the failed attempt).
    let share_files = match share_dir {
        Some(dir) => write_shares(dir, &shares)?,
        None => {
            let path = data_dir.join(DEV_SHARE_FILE);
            let share = shares
                .first()
                .ok_or_else(|| Error::Internal("no share was produced".into()))?;
            write_private(&path, share.to_text().expose_secret().as_bytes())?;
            Vec::new()
        }
    };
    let pub_path = data_dir.join(CHECKPOINT_PUBLIC_KEY_FILE);
    std::fs::write(&pub_path, format!("{}\n", signer.verifier())).map_err(|source| Error::Io {
        what: format!(
            "cannot write the checkpoint public key {}",
            pub_path.display()
        ),
        source,
    })?;
    let token = new_setup_token()?;
    let token_row = NewKeyMaterial {
        kind: KeyKind::new(SETUP_TOKEN_KIND)?,
        version: 1,
        company_id: None,
        purpose: ROOT_PURPOSE.to_owned(),
        wrapped: setup_token_hash(token.expose_secret()).to_vec(),
        created_at: now,
    };
    let db = data_dir.join(DATABASE_FILE);
    let store = Store::open_sqlite(&db).await?;
    restrict_to_owner(&db)?;
    store
        .store_initial_keys(&record, &kek, vec![signing_row, token_row], now)
        .await?;
    store.close().await;
    Ok(FirstStart {
        share_files,
        setup_token: Some(token),
    })
}

/// Reads the development share kept beside the data.
///
/// # Errors
/// [`Error::Io`] or a share error if the file is missing or damaged.
pub fn read_dev_share(data_dir: &Path) -> Result<Share> {
    let path = data_dir.join(DEV_SHARE_FILE);
    let text = std::fs::read_to_string(&path).map_err(|source| Error::Io {
        what: format!(
            "cannot read the development share {} (was this instance created without --dev?)",
            path.display()
        ),
        source,
    })?;
    Share::from_text(&text, None).map_err(Error::Share)
}

/// A new random setup token: the prefix and 256 bits in hex.
fn new_setup_token() -> Result<SecretString> {
    let mut bytes = [0_u8; 32];
    OsRng.fill(&mut bytes).map_err(Error::Crypto)?;
    let token = SecretString::new(format!("{SETUP_TOKEN_PREFIX}{}", hex(&bytes)));
    bytes.fill(0);
    Ok(token)
}

/// SHA-256 of a setup token: the only form that is stored.
#[must_use]
pub fn setup_token_hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// Lower-case hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

fn write_shares(dir: &Path, shares: &[Share]) -> Result<Vec<PathBuf>> {
    create_private_dir(dir)?;
    let total = shares.len();
    let mut written = Vec::with_capacity(total);
    for (ordinal, share) in shares.iter().enumerate() {
        let set = share.set_id().to_string();
        let path = dir.join(format!(
            "share-{}-of-{total}-{}.txt",
            ordinal + 1,
            set.get(..8).unwrap_or(&set)
        ));
        write_private(&path, share.to_text().expose_secret().as_bytes())?;
        written.push(path);
    }
    Ok(written)
}

/// Makes the new database file readable by the service user only (0600),
/// as `faktura init` does, together with the WAL and shared-memory files
/// SQLite may already have created beside it.
fn restrict_to_owner(db: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mut files = vec![db.to_path_buf()];
        for suffix in ["-wal", "-shm"] {
            let mut name = db.as_os_str().to_owned();
            name.push(suffix);
            let path = PathBuf::from(name);
            if path.exists() {
                files.push(path);
            }
        }
        for file in files {
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).map_err(
                |source| Error::Io {
                    what: format!("cannot restrict the permissions of {}", file.display()),
                    source,
                },
            )?;
        }
    }
    Ok(())
}

fn create_private_dir(dir: &Path) -> Result<()> {
    if dir.exists() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        builder.mode(0o700);
    }
    builder.create(dir).map_err(|source| Error::Io {
        what: format!("cannot create directory {}", dir.display()),
        source,
    })
}

/// Creates `path` new with mode 0600 and writes `bytes`; never overwrites.
fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let io = |source| Error::Io {
        what: format!(
            "cannot create {} (it must not exist yet; shares are never overwritten)",
            path.display()
        ),
        source,
    };
    let mut file = options.open(path).map_err(io)?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(io)
}
