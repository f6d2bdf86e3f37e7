//! Audit entries, their canonical binary encoding and the SHA-256 hash chain.
//!
//! Canonical encoding (version 1), all integers big-endian:
//! `0x01 ‖ seq:u64 ‖ time_us:i64 ‖ company ‖ actor ‖ action ‖ target ‖ outcome ‖
//! request_id ‖ source ‖ details`, where `company` is `0x00` when absent or `0x01 ‖ str`,
//! and every `str`/bytes field is `len:u32 ‖ bytes`. The entry hash is
//! `SHA-256("faktura-audit-v1" ‖ prev_hash ‖ canonical)`; the first entry's
//! predecessor hash is 32 zero bytes. The Merkle tree's leaf data is the entry hash.

use sha2::{Digest as _, Sha256};

use crate::{Error, Hash, Result};

/// Limit for each text field of an entry, in bytes.
pub const MAX_TEXT_LEN: usize = 4096;
/// Limit for the (possibly sealed) details of an entry, in bytes.
pub const MAX_DETAILS_LEN: usize = 64 * 1024;
/// The predecessor hash of entry 0.
pub const GENESIS_PREV: Hash = [0u8; 32];

const DOMAIN: &[u8] = b"faktura-audit-v1";
const ENCODING_VERSION: u8 = 1;

/// How an audited action ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// The action was carried out.
    Success,
    /// The action was attempted and failed.
    Failure,
    /// The action was refused by authorisation or policy.
    Denied,
}

impl Outcome {
    /// The stored spelling.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Failure => "failure",
            Self::Denied => "denied",
        }
    }
}

impl std::str::FromStr for Outcome {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "success" => Ok(Self::Success),
            "failure" => Ok(Self::Failure),
            "denied" => Ok(Self::Denied),
            other => Err(Error::UnknownOutcome(other.chars().take(64).collect())),
        }
    }
}

/// The caller-supplied content of an entry, before it gets a place in the chain.
///
/// `details` is stored as given: the caller seals sensitive details first, and
/// verification works over the sealed bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryFields {
    /// Microseconds since the Unix epoch, UTC.
    pub time_us: i64,
    /// The company the action concerns, if any.
    pub company: Option<String>,
    /// Who acted (user id, API key id, `system`).
    pub actor: String,
    /// What was done, e.g. `invoice.issue`.
    pub action: String,
    /// What it was done to, e.g. an invoice id.
    pub target: String,
    /// How it ended.
    pub outcome: Outcome,
    /// The request id that ties the entry to logs.
    pub request_id: String,
    /// The client's source address.
    pub source: String,
    /// Opaque details, sealed by the caller where sensitive.
    pub details: Vec<u8>,
}

impl EntryFields {
    /// Checks every field against the size limits.
    ///
    /// # Errors
    /// [`Error::FieldTooLong`] naming the first field over its limit.
    pub fn check_limits(&self) -> Result<()> {
        let texts: [(&'static str, usize); 6] = [
            ("company", self.company.as_deref().map_or(0, str::len)),
            ("actor", self.actor.len()),
            ("action", self.action.len()),
            ("target", self.target.len()),
            ("request_id", self.request_id.len()),
            ("source", self.source.len()),
        ];
        for (field, len) in texts {
            if len > MAX_TEXT_LEN {
                return Err(Error::FieldTooLong {
                    field,
                    len,
                    max: MAX_TEXT_LEN,
                });
            }
        }
        if self.details.len() > MAX_DETAILS_LEN {
            return Err(Error::FieldTooLong {
                field: "details",
                len: self.details.len(),
                max: MAX_DETAILS_LEN,
            });
        }
        Ok(())
    }
}

/// An entry in its place in the chain: sequence number, predecessor hash and own hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Position in the log, from 0, without gaps.
    pub seq: u64,
    /// The entry's content.
    pub fields: EntryFields,
    /// The hash of entry `seq - 1` ([`GENESIS_PREV`] for entry 0).
    pub prev_hash: Hash,
    /// The hash of this entry as stored (recomputed by verification).
    pub hash: Hash,
}

impl Entry {
    /// Places `fields` after a predecessor with sequence `seq - 1` and hash `prev_hash`.
    ///
    /// # Errors
    /// [`Error::FieldTooLong`] when a field is over its limit.
    pub fn chain(seq: u64, prev_hash: Hash, fields: EntryFields) -> Result<Self> {
        fields.check_limits()?;
        let hash = entry_hash(seq, &prev_hash, &fields);
        Ok(Self {
            seq,
            fields,
            prev_hash,
            hash,
        })
    }

    /// Recomputes this entry's hash from its stored content.
    #[must_use]
    pub fn compute_hash(&self) -> Hash {
        entry_hash(self.seq, &self.prev_hash, &self.fields)
    }
}

/// The canonical encoding of an entry's position and content (see module docs).
#[must_use]
pub fn canonical_bytes(seq: u64, fields: &EntryFields) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 + encoded_text_len(fields));
    encode_into(&mut out, seq, fields);
    out
}

/// The chain hash of an entry: `SHA-256(domain ‖ prev_hash ‖ canonical)`.
#[must_use]
pub fn entry_hash(seq: u64, prev_hash: &Hash, fields: &EntryFields) -> Hash {
    let mut buf = Vec::with_capacity(96 + encoded_text_len(fields));
    buf.extend_from_slice(DOMAIN);
    buf.extend_from_slice(prev_hash);
    encode_into(&mut buf, seq, fields);
    Sha256::digest(&buf).into()
}

fn encoded_text_len(fields: &EntryFields) -> usize {
    fields.company.as_deref().map_or(0, str::len)
        + fields.actor.len()
        + fields.action.len()
        + fields.target.len()
        + fields.request_id.len()
        + fields.source.len()
        + fields.details.len()
}

fn encode_into(out: &mut Vec<u8>, seq: u64, fields: &EntryFields) {
    out.push(ENCODING_VERSION);
    out.extend_from_slice(&seq.to_be_bytes());
    out.extend_from_slice(&fields.time_us.to_be_bytes());
    match &fields.company {
        None => out.push(0),
        Some(company) => {
            out.push(1);
            put(out, company.as_bytes());
        }
    }
    put(out, fields.actor.as_bytes());
    put(out, fields.action.as_bytes());
    put(out, fields.target.as_bytes());
    put(out, fields.outcome.as_str().as_bytes());
    put(out, fields.request_id.as_bytes());
    put(out, fields.source.as_bytes());
    put(out, &fields.details);
}

fn put(out: &mut Vec<u8>, bytes: &[u8]) {
    // Lengths are bounded by the field limits (far below u32::MAX); saturate rather
    // than wrap so an oversized value can never alias a shorter one.
    let len = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(bytes);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> EntryFields {
        EntryFields {
            time_us: 1_700_000_000_000_000,
            company: Some("c1".into()),
            actor: "u1".into(),
            action: "invoice.issue".into(),
            target: "inv-1".into(),
            outcome: Outcome::Success,
            request_id: "req-1".into(),
            source: "127.0.0.1".into(),
            details: b"sealed".to_vec(),
        }
    }

    #[test]
    fn every_field_changes_the_hash() {
        let base = Entry::chain(3, [7; 32], sample()).unwrap();
        let mut variants = Vec::new();
        let mut f = sample();
        f.time_us += 1;
        variants.push(f);
        let mut f = sample();
        f.company = None;
        variants.push(f);
        let mut f = sample();
        f.company = Some(String::new());
        variants.push(f);
        for field in 0..6 {
            let mut f = sample();
            match field {
                0 => f.actor.push('x'),
                1 => f.action.push('x'),
                2 => f.target.push('x'),
                3 => f.request_id.push('x'),
                4 => f.source.push('x'),
                _ => f.details.push(0),
            }
            variants.push(f);
        }
        let mut f = sample();
        f.outcome = Outcome::Denied;
        variants.push(f);
        for v in variants {
            assert_ne!(Entry::chain(3, [7; 32], v).unwrap().hash, base.hash);
        }
        assert_ne!(Entry::chain(4, [7; 32], sample()).unwrap().hash, base.hash);
        assert_ne!(Entry::chain(3, [8; 32], sample()).unwrap().hash, base.hash);
        assert_eq!(base.compute_hash(), base.hash);
    }

    #[test]
    fn field_boundaries_do_not_alias() {
        let mut a = sample();
        a.actor = "ab".into();
        a.action = "c".into();
        let mut b = sample();
        b.actor = "a".into();
        b.action = "bc".into();
        assert_ne!(canonical_bytes(0, &a), canonical_bytes(0, &b));
    }

    #[test]
    fn limits_are_enforced() {
        let mut f = sample();
        f.target = "x".repeat(MAX_TEXT_LEN + 1);
        assert!(matches!(
            Entry::chain(0, GENESIS_PREV, f),
            Err(Error::FieldTooLong {
                field: "target",
                ..
            })
        ));
        let mut f = sample();
        f.details = vec![0; MAX_DETAILS_LEN + 1];
        assert!(Entry::chain(0, GENESIS_PREV, f).is_err());
    }

    #[test]
    fn golden_encoding() {
        // Pinned so that an independent oracle (a few lines of Python written from the
        // module docs) reproduces the chain: these values come from that oracle.
        let bytes = canonical_bytes(1, &sample());
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "01000000000000000100060a24181e4000010000000263310000000275310000000d696e766f6963652e697373756500000005696e762d310000000773756363657373000000057265712d31000000093132372e302e302e31000000067365616c6564"
        );
        let hash = entry_hash(1, &[7; 32], &sample());
        let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "47c0a622c914d7ae0041ff7bcdaa7da599997de322fb43172f1e449da7eca4d9"
        );
    }
}
