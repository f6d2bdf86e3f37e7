//! The one error type of this crate.
//!
//! No message carries file contents, key material or the S3 secret: only
//! company ids, file ids, paths inside the store and what to do next.

use std::path::PathBuf;

/// Everything that can go wrong in `faktura-files`.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A text that should be a file id is not one.
    #[error(
        "not a file id: {0}; a file id is `fil_` followed by 26 characters of a-z and 2-7, as the file store generated it"
    )]
    InvalidFileId(&'static str),

    /// The company id cannot safely name a folder (or key prefix) in the store.
    #[error(
        "company id {company:?} cannot name a folder in the file store: it must be 1 to 64 ASCII letters, digits, '-' or '_'"
    )]
    UnsafeCompanyId {
        /// The company id as given (at most 64 printable characters, checked by the crypto crate).
        company: String,
    },

    /// The keys passed are not the company's `files` data keys.
    #[error(
        "these are the company's `{found}` data keys, but files are sealed only under its `files` data keys"
    )]
    WrongPurpose {
        /// The purpose label of the keys that were passed.
        found: &'static str,
    },

    /// The file is larger than the store accepts.
    #[error("the file is {size} bytes, more than the file store's limit of {limit} bytes")]
    TooLarge {
        /// The file's size.
        size: u64,
        /// [`crate::MAX_FILE_SIZE`].
        limit: u64,
    },

    /// No file with this id is stored for this company.
    #[error("file {id} of company {company} does not exist in the file store")]
    NotFound {
        /// The company id.
        company: String,
        /// The file id.
        id: String,
    },

    /// A file with this id is already stored; it is never overwritten.
    #[error(
        "file {id} of company {company} already exists and is never overwritten; store the new content under a newly generated file id"
    )]
    AlreadyExists {
        /// The company id.
        company: String,
        /// The file id.
        id: String,
    },

    /// The stored object did not open. One variant for every cause, so that
    /// no caller can learn which.
    #[error(
        "file {id} of company {company} cannot be opened: it is damaged, was copied from another file or company, or was sealed under another key"
    )]
    Unreadable {
        /// The company id.
        company: String,
        /// The file id.
        id: String,
    },

    /// Something in the local store is not what the store writes (a symbolic
    /// link, a device, a folder where a file belongs); it is never followed.
    #[error(
        "refusing {path}: {reason}; the file store writes only plain folders and files, remove whatever put this there"
    )]
    UnsafePath {
        /// The path inside the store.
        path: PathBuf,
        /// What is wrong with it.
        reason: &'static str,
    },

    /// A file-system operation on the local store failed.
    #[error("file store: {op} {path} failed: {source}")]
    Io {
        /// What was being done.
        op: &'static str,
        /// The path it was done to.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },

    /// The S3 configuration is unusable.
    #[error("S3 file store configuration: {0}")]
    S3Config(String),

    /// An S3 request failed (network, permissions, credentials, the service).
    #[error("S3 file store: {op} {path} failed: {source}")]
    Storage {
        /// What was being done.
        op: &'static str,
        /// The object path (`company/file id`).
        path: String,
        /// The client's error (never carries the secret key).
        source: Box<object_store::Error>,
    },

    /// Sealing or opening failed for a reason other than damage (no key
    /// loaded for the version a file names, the random number generator).
    #[error(transparent)]
    Crypto(#[from] faktura_crypto::Error),

    /// Disk work must run on the Tokio blocking pool, and there is no runtime.
    #[error(
        "the file store was called outside a Tokio runtime; call it from within the server's runtime"
    )]
    NoRuntime,

    /// A blocking task of the store was cancelled or panicked.
    #[error("a file store task stopped before it finished: {0}")]
    TaskFailed(String),
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
