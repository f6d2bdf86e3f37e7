//! The instance on disk: first-start initialisation and the stored key
//! material the seal works against, over `faktura-store` and `faktura-crypto`.
//!
//! The key layout is `faktura_store::keyring`'s, the one `faktura init`
//! creates (`faktura.db` in the data directory; share set, KEK version 1 and
//! the sealed audit checkpoint signing key stored in one transaction, the
//! checkpoint public key beside the data), so an instance made by either one
//! is served, checkpointed and verified by the other.
//!
//! With `[database] postgres_url` the same rows live in PostgreSQL instead:
//! the database is "empty" while it holds no share set, and the first
//! instance to commit its key layout wins. Several instances may start at
//! once: the store's migrator takes a lock, and the unique index on
//! `key_material` refuses a second layout, after which the loser removes the
//! share files it wrote and reads the winner's keys. The data directory
//! still holds the dev share, the dev certificate and the checkpoint public key.

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

/// A PostgreSQL database to keep the instance in: the URL as configured
/// (never with a password) and the password read from `database.password_file`.
pub struct PostgresTarget {
    url: String,
    password: Option<SecretString>,
    /// The owner role (`database.postgres_admin_url`), used only to migrate and grant.
    admin: Option<(String, Option<SecretString>)>,
}

impl std::fmt::Debug for PostgresTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresTarget")
            .field("url", &self.url)
            .field("password", &self.password.as_ref().map(|_| "[redacted]"))
            .field("admin", &self.admin.as_ref().map(|(url, _)| url))
            .finish()
    }
}

impl PostgresTarget {
    /// A target from a password-free URL and an optional password.
    #[must_use]
    pub const fn new(url: String, password: Option<SecretString>) -> Self {
        Self {
            url,
            password,
            admin: None,
        }
    }

    /// The same target with an owner role for migrations and grants: the
    /// server then runs as the application role, which owns nothing and
    /// cannot change the append-only tables (SECURITY-TESTS C13).
    #[must_use]
    pub fn with_admin(mut self, url: String, password: Option<SecretString>) -> Self {
        self.admin = Some((url, password));
        self
    }

    /// The URL as configured (no password).
    #[must_use]
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The URL the driver connects with: the password, percent-encoded, in
    /// its user-info part. Kept in a zeroizing string.
    pub(crate) fn connect_url(&self) -> Result<SecretString> {
        with_password(&self.url, self.password.as_ref(), "database.postgres_url")
    }

    /// Connects and migrates (the migrator serialises concurrent starts).
    /// With an owner role configured, migrates and grants as the owner and
    /// returns a store on the application role; without, runs as the owner
    /// and says so.
    ///
    /// # Errors
    /// [`Error::Store`] naming the database without its password.
    pub async fn open(&self) -> Result<Store> {
        let url = self.connect_url()?;
        match &self.admin {
            Some((admin_url, admin_password)) => {
                let admin = with_password(
                    admin_url,
                    admin_password.as_ref(),
                    "database.postgres_admin_url",
                )?;
                Ok(
                    Store::open_postgres_least_privilege(
                        url.expose_secret(),
                        admin.expose_secret(),
                    )
                    .await?,
                )
            }
            None => {
                tracing::warn!(
                    "PostgreSQL: running as the role that owns the tables; set database.postgres_admin_url so that the server runs as a role that cannot alter the audit trail"
                );
                Ok(Store::open_postgres(url.expose_secret()).await?)
            }
        }
    }
}

/// `url` with `password` percent-encoded into its user-info part, in a
/// zeroizing string.
fn with_password(url: &str, password: Option<&SecretString>, key: &str) -> Result<SecretString> {
    let Some(password) = password else {
        return Ok(SecretString::new(url.to_owned()));
    };
    let bad = || Error::Config {
        key: key.into(),
        reason: "not a URL like postgres://user@host/database".into(),
    };
    {
        let (scheme, rest) = url.split_once("://").ok_or_else(bad)?;
        let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, tail) = rest.split_at(authority_end);
        let (user, host) = authority.rsplit_once('@').unwrap_or(("", authority));
        let mut out = String::with_capacity(url.len() + password.expose_secret().len() * 3 + 2);
        out.push_str(scheme);
        out.push_str("://");
        out.push_str(user);
        out.push(':');
        percent_encode_into(password.expose_secret(), &mut out);
        out.push('@');
        out.push_str(host);
        out.push_str(tail);
        Ok(SecretString::new(out))
    }
}

impl PostgresTarget {
    /// Creates schema `name` in this database if it does not exist, so that
    /// several instances (or test runs) can share one database, each
    /// selecting its own with `?options[search_path]=name`.
    ///
    /// # Errors
    /// [`Error::Store`] for a bad name or a database error.
    pub async fn create_schema(&self, name: &str) -> Result<()> {
        let url = self.connect_url()?;
        Ok(faktura_store::platform::create_postgres_schema(url.expose_secret(), name).await?)
    }
}

/// Appends `text` to `out`, every byte but RFC 3986's unreserved ones as `%XX`.
fn percent_encode_into(text: &str, out: &mut String) {
    use std::fmt::Write as _;
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
}

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

/// Opens the instance in `data_dir` (or, with `postgres`, in that database),
/// initialising it if there is none yet.
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
    postgres: Option<&PostgresTarget>,
) -> Result<(Instance, FirstStart)> {
    let where_ = |what: &str| format!("{what} holds no instance yet");
    let target = |empty: String| -> Result<Option<&Path>> {
        if dev {
            return Ok(None);
        }
        share_dir.map(Some).ok_or_else(|| Error::Config {
            key: "share_dir".into(),
            reason: format!(
                "{empty} and a first start writes the custodian share files: pass --share-dir DIR (or set share_dir), a directory the custodians will collect them from"
            ),
        })
    };
    let params = if dev {
        ShareParams::danger_single_share()
    } else {
        params
    };
    let mut first = FirstStart::default();
    let store = if let Some(pg) = postgres {
        let store = pg.open().await?;
        if holds_no_keys(&store).await? {
            let share_target = target(where_(&format!("the PostgreSQL database {}", pg.url())))?;
            let prepared = prepare(data_dir, share_target, params)?;
            first = commit(data_dir, &store, prepared).await?;
        }
        store
    } else {
        let db = data_dir.join(DATABASE_FILE);
        if !db.exists() {
            let share_target = target(where_(&data_dir.display().to_string()))?;
            let prepared = prepare(data_dir, share_target, params)?;
            let store = Store::open_sqlite(&db).await?;
            restrict_to_owner(&db)?;
            first = commit(data_dir, &store, prepared).await?;
            store.close().await;
        }
        Store::open_sqlite(&db).await?
    };
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

/// Whether the database holds no share set: an instance not yet initialised.
async fn holds_no_keys(store: &Store) -> Result<bool> {
    Ok(store
        .key_material_of_kind(&KeyKind::new(KeyKind::SHARE_SET)?)
        .await?
        .is_empty())
}

/// A new key layout, its shares already on disk, not yet committed.
struct Prepared {
    record: ShareSetRecord,
    kek: WrappedKek,
    rows: Vec<NewKeyMaterial>,
    now: time::OffsetDateTime,
    token: SecretString,
    /// N and K of the share set, for the `instance.create` audit entry.
    params: (u8, u8),
    share_files: Vec<PathBuf>,
    /// Written under temporary names; renamed into place once committed.
    pending: Vec<(PathBuf, PathBuf)>,
}

impl Prepared {
    /// Removes every file this attempt wrote (its keys were not stored).
    fn abandon(self) {
        for path in self
            .share_files
            .iter()
            .chain(self.pending.iter().map(|(tmp, _)| tmp))
        {
            if let Err(e) = std::fs::remove_file(path) {
                tracing::warn!(file = %path.display(), error = %e, "cannot remove a file of an abandoned first start; delete it");
            }
        }
    }
}

/// Draws the keys and writes the shares (and the public key) first: if
/// storing fails, no instance exists and a retry starts over.
fn prepare(data_dir: &Path, share_dir: Option<&Path>, params: ShareParams) -> Result<Prepared> {
    let root = RootKey::generate(&OsRng).map_err(Error::Crypto)?;
    let (shares, record) = split_root_key(&root, params, &OsRng).map_err(Error::Crypto)?;
    let (ring, kek) = Keyring::create(root, &OsRng).map_err(Error::Crypto)?;
    let now = SystemClock.now();
    let (signing_row, signer) = keyring::new_signing_key(&ring, &OsRng, now)?;
    drop(ring);
    let token = new_setup_token()?;
    let token_row = NewKeyMaterial {
        kind: KeyKind::new(SETUP_TOKEN_KIND)?,
        version: 1,
        company_id: None,
        purpose: ROOT_PURPOSE.to_owned(),
        wrapped: setup_token_hash(token.expose_secret()).to_vec(),
        created_at: now,
    };
    create_private_dir(data_dir)?;
    // A random suffix keeps concurrent first starts sharing a directory apart.
    let mut tag = [0_u8; 6];
    OsRng.fill(&mut tag).map_err(Error::Crypto)?;
    let tag = hex(&tag);
    let pub_path = data_dir.join(CHECKPOINT_PUBLIC_KEY_FILE);
    let pub_tmp = data_dir.join(format!("{CHECKPOINT_PUBLIC_KEY_FILE}.{tag}.new"));
    std::fs::write(&pub_tmp, format!("{}\n", signer.verifier())).map_err(|source| Error::Io {
        what: format!(
            "cannot write the checkpoint public key {}",
            pub_tmp.display()
        ),
        source,
    })?;
    let mut pending = vec![(pub_tmp.clone(), pub_path)];
    let shares_written = match share_dir {
        Some(dir) => write_shares(dir, &shares),
        None => {
            let path = data_dir.join(DEV_SHARE_FILE);
            let tmp = data_dir.join(format!("{DEV_SHARE_FILE}.{tag}.new"));
            shares
                .first()
                .ok_or_else(|| Error::Internal("no share was produced".into()))
                .and_then(|share| write_private(&tmp, share.to_text().expose_secret().as_bytes()))
                .map(|()| {
                    pending.push((tmp, path));
                    Vec::new()
                })
        }
    };
    let share_files = match shares_written {
        Ok(files) => files,
        Err(e) => {
            let _ = std::fs::remove_file(&pub_tmp);
            return Err(e);
        }
    };
    Ok(Prepared {
        record,
        kek,
        rows: vec![signing_row, token_row],
        now,
        token,
        params: (params.total(), params.threshold()),
        share_files,
        pending,
    })
}

/// Stores the prepared layout in one transaction and renames its files into
/// place. If another instance committed first (the unique index refuses the
/// second share set), this attempt's files are removed and the first start
/// is the other instance's: no setup token, no share files here.
async fn commit(data_dir: &Path, store: &Store, mut prepared: Prepared) -> Result<FirstStart> {
    let rows = std::mem::take(&mut prepared.rows);
    let stored = store
        .store_initial_keys(&prepared.record, &prepared.kek, rows, prepared.now)
        .await;
    match stored {
        Ok(_) => {}
        Err(faktura_store::Error::Conflict(_)) => {
            tracing::info!(
                data_dir = %data_dir.display(),
                "another instance initialised the database first; using its keys"
            );
            prepared.abandon();
            return Ok(FirstStart::default());
        }
        Err(e) => {
            prepared.abandon();
            return Err(e.into());
        }
    }
    record_creation(store, prepared.params).await?;
    for (tmp, path) in &prepared.pending {
        std::fs::rename(tmp, path).map_err(|source| Error::Io {
            what: format!(
                "the instance is initialised but {} could not be renamed to {}: rename it by hand",
                tmp.display(),
                path.display()
            ),
            source,
        })?;
    }
    Ok(FirstStart {
        share_files: prepared.share_files,
        setup_token: Some(prepared.token),
    })
}

/// Appends the trail's first entry, `instance.create` by `first-start`,
/// right after the key layout is committed: the share parameters and the
/// database backend, nothing secret.
async fn record_creation(store: &Store, (shares, threshold): (u8, u8)) -> Result<()> {
    let details = serde_json::json!({
        "shares": shares,
        "threshold": threshold,
        "backend": store.backend_name(),
    });
    store
        .append_audit(faktura_audit::EntryFields {
            time_us: crate::handlers::sys::now_us(),
            company: None,
            actor: "first-start".into(),
            action: "instance.create".into(),
            target: "instance".into(),
            outcome: faktura_audit::Outcome::Success,
            request_id: "start-up".into(),
            source: "local".into(),
            details: serde_json::to_vec(&details).unwrap_or_default(),
        })
        .await
        .map_err(|e| {
            Error::Internal(format!(
                "the instance's keys are stored but its creation could not be written to the audit trail ({e}); check the database, then start again"
            ))
        })?;
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_goes_percent_encoded_into_the_connect_url_only() {
        let secret = "p@ss:w/rd ?&%é";
        let with_user = PostgresTarget::new(
            "postgres://faktura@db.example:5432/faktura?sslmode=require".into(),
            Some(SecretString::new(secret.into())),
        );
        assert_eq!(
            with_user.connect_url().unwrap().expose_secret(),
            "postgres://faktura:p%40ss%3Aw%2Frd%20%3F%26%25%C3%A9@db.example:5432/faktura?sslmode=require"
        );
        let debug = format!("{with_user:?}");
        assert!(
            !debug.contains("p@ss") && debug.contains("[redacted]"),
            "{debug}"
        );
        assert_eq!(
            with_user.url(),
            "postgres://faktura@db.example:5432/faktura?sslmode=require"
        );

        let no_user = PostgresTarget::new(
            "postgres://db.example/faktura".into(),
            Some(SecretString::new("x".into())),
        );
        assert_eq!(
            no_user.connect_url().unwrap().expose_secret(),
            "postgres://:x@db.example/faktura"
        );
        let none = PostgresTarget::new("postgres://db.example".into(), None);
        assert_eq!(
            none.connect_url().unwrap().expose_secret(),
            "postgres://db.example"
        );
        let bad = PostgresTarget::new("db.example".into(), Some(SecretString::new("x".into())));
        assert!(bad.connect_url().is_err());
    }

    /// The path a losing concurrent first start takes: its layout is refused
    /// by the unique index, its share files and temporary files are removed,
    /// and the winner's files and keys stay as they were.
    #[tokio::test]
    async fn a_second_layout_is_refused_and_its_files_removed() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let params = || ShareParams::new(3, 2).unwrap();
        let (winner, first) =
            open_or_init(&data, Some(&dir.path().join("s1")), params(), false, None)
                .await
                .unwrap();
        assert!(first.setup_token.is_some());
        let public_key = std::fs::read(data.join(CHECKPOINT_PUBLIC_KEY_FILE)).unwrap();
        let loser_shares = dir.path().join("s2");
        let prepared = prepare(&data, Some(&loser_shares), params()).unwrap();
        assert_eq!(std::fs::read_dir(&loser_shares).unwrap().count(), 3);
        let lost = commit(&data, &winner.store, prepared).await.unwrap();
        assert!(lost.setup_token.is_none() && lost.share_files.is_empty());
        assert_eq!(std::fs::read_dir(&loser_shares).unwrap().count(), 0);
        let names: Vec<String> = std::fs::read_dir(&data)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(!names.iter().any(|n| n.ends_with(".new")), "{names:?}");
        assert_eq!(
            std::fs::read(data.join(CHECKPOINT_PUBLIC_KEY_FILE)).unwrap(),
            public_key
        );
        let stored = winner.store.read_keys().await.unwrap();
        assert_eq!(stored.share_set.to_bytes(), winner.share_set.to_bytes());
        // Only the winner recorded a creation.
        assert_eq!(winner.store.audit_len().await.unwrap(), 1);
        winner.store.close().await;
    }

    /// A fresh instance's trail starts with `instance.create` (share
    /// parameters and backend, nothing secret) and verifies against the
    /// checkpoint public key laid down beside the data; a second start
    /// records nothing more.
    #[tokio::test]
    async fn a_first_start_opens_the_trail_with_instance_create() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let shares = dir.path().join("shares");
        let params = || ShareParams::new(5, 3).unwrap();
        let (instance, first) = open_or_init(&data, Some(&shares), params(), false, None)
            .await
            .unwrap();
        let token = first.setup_token.unwrap();
        let entries = instance.store.audit_entries(0, 10).await.unwrap();
        assert_eq!(entries.len(), 1, "{entries:?}");
        assert_eq!(entries[0].seq, 0);
        let entry = &entries[0].fields;
        assert_eq!(entry.action, "instance.create");
        assert_eq!(entry.actor, "first-start");
        assert_eq!(entry.target, "instance");
        assert_eq!(entry.company, None);
        let details: serde_json::Value = serde_json::from_slice(&entry.details).unwrap();
        assert_eq!(
            details,
            serde_json::json!({"shares": 5, "threshold": 3, "backend": "sqlite"})
        );
        let raw = String::from_utf8_lossy(&entry.details).into_owned();
        assert!(!raw.contains(token.expose_secret()), "{raw}");
        for file in std::fs::read_dir(&shares).unwrap() {
            let share = std::fs::read_to_string(file.unwrap().path()).unwrap();
            assert!(!raw.contains(share.trim()), "{raw}");
        }
        let key = std::fs::read_to_string(data.join(CHECKPOINT_PUBLIC_KEY_FILE)).unwrap();
        let key = faktura_audit::CheckpointVerifier::parse(key.trim()).unwrap();
        let report = instance.store.verify_audit(&key, &[]).await.unwrap();
        assert_eq!(report.entries, 1);
        instance.store.close().await;

        let (again, first) = open_or_init(&data, None, params(), false, None)
            .await
            .unwrap();
        assert!(first.setup_token.is_none());
        assert_eq!(again.store.audit_len().await.unwrap(), 1);
        again.store.close().await;
    }

    /// A refused connection names the database but never the password.
    #[tokio::test]
    async fn a_connection_error_does_not_show_the_password() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let target = PostgresTarget::new(
            format!("postgres://faktura@127.0.0.1:{port}/faktura"),
            Some(SecretString::new("hunter2-secret".into())),
        );
        let err = target.open().await.unwrap_err().to_string();
        assert!(!err.contains("hunter2"), "{err}");
        assert!(err.contains("127.0.0.1"), "{err}");
    }
}
