//! Tamper-evident audit trail: hash chain, RFC 9162 Merkle tree, signed checkpoints, export and verification.
//!
//! Every entry is hashed over a canonical encoding together with its predecessor's
//! hash; the entry hashes are the leaves of an RFC 9162 Merkle tree, whose roots are
//! signed as C2SP checkpoints (Ed25519). From that the crate offers inclusion and
//! consistency proofs, a JSON-lines export, and a verifier that names the first
//! broken entry, working from an export and the public key alone.
//!
//! It deliberately does no I/O of its own (no database, no files, no clock, no
//! randomness, no async runtime): the store persists entries, the caller supplies
//! time and the signing key's seed, and `details` arrive already sealed.
//!
//! ```
//! use faktura_audit::{CheckpointSigner, Checkpoint, Entry, EntryFields, Outcome, GENESIS_PREV};
//! let fields = EntryFields {
//!     time_us: 0, company: None, actor: "system".into(), action: "instance.init".into(),
//!     target: String::new(), outcome: Outcome::Success, request_id: "r1".into(),
//!     source: "cli".into(), details: Vec::new(),
//! };
//! let entry = Entry::chain(0, GENESIS_PREV, fields)?;
//! let root = faktura_audit::merkle::root(&[faktura_audit::merkle::leaf_hash(&entry.hash)]);
//! let signer = CheckpointSigner::from_seed("example.org/audit", &[7; 32])?;
//! let note = Checkpoint { origin: "example.org/audit".into(), size: 1, root, time_us: 0 }.sign(&signer)?;
//! let report = faktura_audit::verify_entries(&signer.verifier(), [note.as_str()], &[entry])?;
//! assert_eq!(report.vouched_size, 1);
//! # Ok::<(), faktura_audit::Error>(())
//! ```
//!
//! # Security
//! The signing key's `Debug` prints `[redacted]`; its seed leaves the crate only through
//! [`CheckpointSigner::danger_seed_bytes`], for sealing. Errors never carry key
//! material or entry details. Checkpoint signatures are verified strictly (no
//! malleable or small-order forms). Inputs are bounded: field sizes, note and export
//! line lengths, tree sizes and proof lengths.

pub mod checkpoint;
pub mod entry;
mod error;
pub mod export;
pub mod merkle;
pub mod verify;

pub use checkpoint::{Checkpoint, CheckpointSigner, CheckpointVerifier};
pub use entry::{Entry, EntryFields, GENESIS_PREV, Outcome};
pub use error::{Error, Result};
pub use verify::{Break, ChainVerifier, Location, Reason, Report, verify_entries};

/// A SHA-256 digest.
pub type Hash = [u8; 32];
