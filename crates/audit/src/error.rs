//! The one error type of the audit crate.

use crate::verify::Break;

/// Everything that can go wrong while building, proving or verifying the audit trail.
///
/// Not `#[non_exhaustive]`: the server must decide what to do with every case.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A field of a new entry is longer than the trail accepts.
    #[error("audit field `{field}` is {len} bytes long; the limit is {max} bytes: shorten it")]
    FieldTooLong {
        /// Which field.
        field: &'static str,
        /// Its length in bytes.
        len: usize,
        /// The limit in bytes.
        max: usize,
    },
    /// A value that should be a known enum spelling was not.
    #[error("unknown audit outcome `{0}`: expected `success`, `failure` or `denied`")]
    UnknownOutcome(String),
    /// A hash or key had the wrong length or encoding.
    #[error("{what} must be {expected} bytes, got {got}")]
    BadLength {
        /// What was being decoded.
        what: &'static str,
        /// The required length.
        expected: usize,
        /// The length found.
        got: usize,
    },
    /// Base64 that did not decode.
    #[error("{what} is not valid base64: fix or re-export the file")]
    BadBase64 {
        /// What was being decoded.
        what: &'static str,
    },
    /// An inclusion or consistency proof was asked for sizes or indices that do not fit.
    #[error("proof request out of range: {0}")]
    ProofRange(String),
    /// An inclusion or consistency proof did not verify.
    #[error("proof does not verify: {0}")]
    ProofInvalid(String),
    /// A checkpoint note could not be parsed.
    #[error("malformed checkpoint: {0}")]
    CheckpointFormat(String),
    /// A checkpoint's signature did not verify under the given public key.
    #[error("checkpoint signature does not verify under the given public key: {0}")]
    CheckpointSignature(String),
    /// A line of an export file could not be read.
    #[error("export line {line}: {reason}")]
    ExportFormat {
        /// 1-based line number in the export file.
        line: usize,
        /// What is wrong with it.
        reason: String,
    },
    /// The trail is broken; the first break found is named.
    #[error("audit trail broken: {0}")]
    Broken(Break),
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
