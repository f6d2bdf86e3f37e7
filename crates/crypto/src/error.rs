//! The one error type of this crate.
//!
//! Errors caused by untrusted input (a damaged share, an altered ciphertext)
//! are separate from errors caused by the caller (bad parameters, a missing
//! key version). No message ever contains key material, a share, a password
//! or a plaintext: only indexes, versions and public identifiers.

/// Everything that can go wrong in `faktura-crypto`.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An AEAD envelope, stream, wrapped key or sealed credential did not open.
    ///
    /// Deliberately one variant for every cause (wrong key, wrong associated
    /// data, flipped bit, truncation, unknown format) so that no caller can
    /// build a decryption oracle from the error.
    #[error(
        "decryption failed: the data is damaged, was moved from another record or company, or was sealed under a different key"
    )]
    Decrypt,

    /// A serialised structure (share file, wrapped key, PHC string, API key) is not well formed.
    #[error("malformed {what}: {reason}")]
    Malformed {
        /// What was being read.
        what: &'static str,
        /// What is wrong with it, in words the user can act on.
        reason: &'static str,
    },

    /// A share belongs to another share set: another instance, or shares replaced by a re-key.
    #[error(
        "share {index} belongs to share set {found}, but this instance expects share set {expected}: it is from another instance or was invalidated by a re-key"
    )]
    ForeignShare {
        /// The share's index (x-coordinate).
        index: u8,
        /// The share set id printed in the share file.
        found: String,
        /// The share set id the instance expects.
        expected: String,
    },

    /// The same share (same index) was supplied more than once.
    #[error(
        "share {index} was supplied twice; each custodian's share counts once, supply a different custodian's share"
    )]
    DuplicateShare {
        /// The share's index.
        index: u8,
    },

    /// A share failed its integrity check (checksum or the instance's stored digest).
    #[error(
        "share {index} failed its integrity check: the file is damaged or was edited; ask its custodian for an intact copy"
    )]
    CorruptShare {
        /// The share's index.
        index: u8,
    },

    /// Fewer distinct valid shares than the threshold.
    #[error("{have} distinct valid share(s) supplied, but {need} are required to unseal")]
    NotEnoughShares {
        /// Distinct valid shares supplied.
        have: usize,
        /// The threshold.
        need: usize,
    },

    /// The key reconstructed from the shares does not match the instance's check value.
    #[error(
        "the shares reconstruct a key that does not match this instance's check value: at least one share is wrong or forged"
    )]
    RootKeyMismatch,

    /// The passphrase of an encrypted share file is wrong (or the file was altered).
    #[error("wrong passphrase for share file of share {index}, or the file was altered")]
    SharePassphrase {
        /// The share's index.
        index: u8,
    },

    /// The caller asked for something impossible (bad share parameters, wrong purpose).
    #[error("invalid parameters: {0}")]
    InvalidParameters(&'static str),

    /// No key is loaded for the version an envelope or wrapped key names.
    #[error(
        "no {what} with version {version} is loaded; it may have been retired, load the key material it was sealed under"
    )]
    UnknownKeyVersion {
        /// Which kind of key.
        what: &'static str,
        /// The version asked for.
        version: u32,
    },

    /// A key-encryption key cannot be retired while data keys are still wrapped under it.
    #[error(
        "key-encryption key version {0} still wraps data keys; re-wrap them under the current version before retiring it"
    )]
    KekInUse(u32),

    /// An input exceeded a hard size bound.
    #[error("{what} is too large: the limit is {limit} bytes")]
    TooLarge {
        /// What was too large.
        what: &'static str,
        /// The limit in bytes.
        limit: usize,
    },

    /// The operating system's random number generator failed.
    #[error(
        "the operating system's random number generator failed; the machine cannot make keys safely"
    )]
    Rng,

    /// Argon2 rejected its parameters or failed (never carries the password).
    #[error("password hashing failed: {0}")]
    PasswordHash(&'static str),

    /// Reading or writing a stream passed by the caller failed.
    #[error("stream I/O failed: {0}")]
    Io(#[from] std::io::Error),
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
