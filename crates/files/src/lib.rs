//! The sealed file store: PDF renderings, uploads and received documents,
//! kept in a local directory (the default) or in S3-compatible storage.
//!
//! Every file is sealed (XChaCha20-Poly1305, the STREAM construction of
//! [`faktura_crypto::stream`]) under the company's `files` data key before it
//! leaves this crate, so the storage only ever holds ciphertext: a byte
//! search of the directory or the bucket finds no plaintext. The associated
//! data binds the company id and the file id: an object copied to another
//! file id or company does not open, and every such failure is the one
//! generic [`Error::Unreadable`].
//!
//! Objects live at `<company id>/<file id>`. File ids are generated
//! ([`FileId::generate`]) and parsed strictly, and company ids must be plain
//! (`A-Z a-z 0-9 - _`), so no user-supplied name ever becomes a path. A put
//! never overwrites: an existing id is [`Error::AlreadyExists`].
//!
//! ```no_run
//! # async fn demo(keys: &faktura_crypto::RecordKeys) -> Result<(), faktura_files::Error> {
//! use faktura_crypto::OsRng;
//! use faktura_files::{FileId, FileStore};
//!
//! let store = FileStore::local("/var/lib/faktura/files")?;
//! let id = FileId::generate(&OsRng)?;
//! let stored = store.put(keys, &id, b"%PDF-1.7 ...", &OsRng).await?;
//! assert_eq!(stored.size, 12);
//! let back = store.get(keys, &id).await?;
//! assert_eq!(back.expose_secret(), b"%PDF-1.7 ...");
//! # Ok(()) }
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod error;
mod id;
mod local;
mod s3;

use std::fmt;
use std::path::Path;

use faktura_crypto::stream::{CHUNK_SIZE, decrypt_stream, encrypt_stream};
use faktura_crypto::{CompanyId, Purpose, RecordAad, RecordKeys, SecretBytes, SecureRng};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

pub use error::{Error, Result};
pub use id::FileId;
pub use s3::S3Config;

use local::LocalDir;
use s3::S3Backend;

/// The largest file the store accepts, in bytes (64 MiB).
pub const MAX_FILE_SIZE: u64 = 64 * 1024 * 1024;

/// The `table` of every stored file's [`RecordAad`] (its row id is the file id).
pub const FILE_AAD_TABLE: &str = "file";

/// An upper bound of the sealed size of a file of `size` bytes: the stream
/// header (at most 64 bytes) and a 16-byte tag per chunk.
fn sealed_bound(size: u64) -> u64 {
    size + 64 + (size / CHUNK_SIZE as u64 + 1) * 16
}

/// What a successful put stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredFile {
    /// The file's size in bytes (the plaintext).
    pub size: u64,
    /// The size of the sealed object in storage.
    pub sealed_size: u64,
    /// SHA-256 of the sealed object as stored, for backup manifests and
    /// integrity checks without keys. Deliberately not a hash of the
    /// plaintext, which would let anyone holding the database confirm a
    /// guessed document.
    pub sealed_sha256: [u8; 32],
}

enum Backend {
    Local(LocalDir),
    S3(S3Backend),
}

/// A file store: a local directory or an S3 bucket, always sealed.
pub struct FileStore {
    backend: Backend,
}

impl fmt::Debug for FileStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.backend {
            Backend::Local(dir) => f
                .debug_struct("FileStore")
                .field("local", &dir.root())
                .finish(),
            Backend::S3(s3) => f.debug_struct("FileStore").field("s3", s3).finish(),
        }
    }
}

/// The company id as a path segment, if it is a safe one.
fn company_segment(company: &CompanyId) -> Result<&str> {
    let id = company.as_str();
    let safe = !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if safe {
        Ok(id)
    } else {
        Err(Error::UnsafeCompanyId {
            company: id.to_owned(),
        })
    }
}

fn check_purpose(keys: &RecordKeys) -> Result<()> {
    if keys.purpose() == Purpose::Files {
        Ok(())
    } else {
        Err(Error::WrongPurpose {
            found: keys.purpose().label(),
        })
    }
}

/// Runs blocking disk work on Tokio's blocking pool.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    let handle = tokio::runtime::Handle::try_current().map_err(|_| Error::NoRuntime)?;
    handle
        .spawn_blocking(work)
        .await
        .map_err(|e| Error::TaskFailed(e.to_string()))?
}

impl FileStore {
    /// A store in the local directory `dir`, created with mode 0700 if missing.
    pub fn local(dir: impl AsRef<Path>) -> Result<Self> {
        Ok(Self {
            backend: Backend::Local(LocalDir::open(dir.as_ref())?),
        })
    }

    /// A store in an S3-compatible bucket. Checks the configuration and
    /// builds the client; the first request goes out with the first call.
    ///
    /// Installs rustls' ring provider as the process default if none is
    /// installed yet (the HTTP client needs one).
    pub fn s3(config: S3Config) -> Result<Self> {
        Ok(Self {
            backend: Backend::S3(S3Backend::connect(config)?),
        })
    }

    /// Seals `bytes` under the current version of `keys` (the company's
    /// `files` data keys) bound to the company and `id`, and stores it.
    /// Never overwrites: an id already stored is [`Error::AlreadyExists`].
    /// When this returns `Ok`, the file is durable.
    ///
    /// Sealing runs on the calling task (about 1 GB/s); disk work runs on
    /// Tokio's blocking pool.
    pub async fn put(
        &self,
        keys: &RecordKeys,
        id: &FileId,
        bytes: &[u8],
        rng: &dyn SecureRng,
    ) -> Result<StoredFile> {
        check_purpose(keys)?;
        let company = company_segment(keys.company())?.to_owned();
        let size = bytes.len() as u64;
        if size > MAX_FILE_SIZE {
            return Err(Error::TooLarge {
                size,
                limit: MAX_FILE_SIZE,
            });
        }
        let aad = RecordAad {
            table: FILE_AAD_TABLE,
            row_id: id.as_str(),
            company_id: keys.company().as_str(),
        };
        let mut sealed =
            Vec::with_capacity(usize::try_from(sealed_bound(size)).unwrap_or(bytes.len()));
        encrypt_stream(keys.current()?, &aad, rng, &mut &*bytes, &mut sealed)?;
        let stored = StoredFile {
            size,
            sealed_size: sealed.len() as u64,
            sealed_sha256: Sha256::digest(&sealed).into(),
        };
        match &self.backend {
            Backend::Local(dir) => {
                let mut tag = [0u8; 8];
                rng.fill(&mut tag)?;
                let tag: String = tag.iter().map(|b| format!("{b:02x}")).collect();
                let (dir, id) = (dir.clone(), id.as_str().to_owned());
                blocking(move || dir.put(&company, &id, &sealed, &tag)).await?;
            }
            Backend::S3(s3) => s3.put(&company, id.as_str(), sealed).await?,
        }
        Ok(stored)
    }

    /// Reads and opens the file `id` of the company `keys` belong to. Any
    /// damage, or an object moved from another id or company, is
    /// [`Error::Unreadable`]; nothing of a damaged file is returned.
    pub async fn get(&self, keys: &RecordKeys, id: &FileId) -> Result<SecretBytes> {
        check_purpose(keys)?;
        let company = company_segment(keys.company())?.to_owned();
        let max = sealed_bound(MAX_FILE_SIZE);
        let sealed = match &self.backend {
            Backend::Local(dir) => {
                let (dir, company, id) = (dir.clone(), company.clone(), id.as_str().to_owned());
                blocking(move || dir.get(&company, &id, max)).await?
            }
            Backend::S3(s3) => s3.get(&company, id.as_str(), max).await?,
        };
        let aad = RecordAad {
            table: FILE_AAD_TABLE,
            row_id: id.as_str(),
            company_id: keys.company().as_str(),
        };
        // Capacity up front: the plaintext is shorter than the sealed object,
        // so the buffer never reallocates and leaves no unwiped copy behind.
        let mut plain = Zeroizing::new(Vec::with_capacity(sealed.len()));
        match decrypt_stream(keys, &aad, &mut sealed.as_slice(), &mut *plain) {
            Ok(_) => Ok(SecretBytes::new(std::mem::take(&mut *plain))),
            Err(faktura_crypto::Error::Decrypt) => Err(Error::Unreadable {
                company,
                id: id.as_str().to_owned(),
            }),
            Err(e) => Err(e.into()),
        }
    }

    /// Whether the file `id` of `company` is stored.
    pub async fn exists(&self, company: &CompanyId, id: &FileId) -> Result<bool> {
        let company = company_segment(company)?.to_owned();
        match &self.backend {
            Backend::Local(dir) => {
                let (dir, id) = (dir.clone(), id.as_str().to_owned());
                blocking(move || dir.exists(&company, &id)).await
            }
            Backend::S3(s3) => s3.exists(&company, id.as_str()).await,
        }
    }

    /// Removes the file `id` of `company`; removing an absent file is not an error.
    pub async fn delete(&self, company: &CompanyId, id: &FileId) -> Result<()> {
        let company = company_segment(company)?.to_owned();
        match &self.backend {
            Backend::Local(dir) => {
                let (dir, id) = (dir.clone(), id.as_str().to_owned());
                blocking(move || dir.delete(&company, &id)).await
            }
            Backend::S3(s3) => s3.delete(&company, id.as_str()).await,
        }
    }
}
