//! Wrapped key material records: what the crypto crate persists.

use time::OffsetDateTime;

use crate::{Error, Result};

/// The kind of a key-material record: lowercase ASCII letters, digits and `-`, 1-32 long.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct KeyKind(String);

impl KeyKind {
    /// A key-encryption key version, wrapped under the root key.
    pub const KEK: &'static str = "kek";
    /// A per-company, per-purpose data key, wrapped under a KEK version.
    pub const DEK: &'static str = "dek";
    /// A value that proves a reconstructed root key is the right one.
    pub const ROOT_CHECK: &'static str = "root-check";
    /// The public description of a share set (threshold, count, fingerprints).
    pub const SHARE_SET: &'static str = "share-set";
    /// The audit checkpoint signing key.
    pub const AUDIT_SIGNING: &'static str = "audit-signing";

    /// Validates a kind.
    ///
    /// # Errors
    /// [`Error::Invalid`] unless it is 1-32 characters of `[a-z0-9-]`.
    pub fn new(kind: &str) -> Result<Self> {
        let ok = !kind.is_empty()
            && kind.len() <= 32
            && kind
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if ok {
            Ok(Self(kind.to_owned()))
        } else {
            Err(Error::Invalid(format!(
                "key kind `{}` must be 1-32 characters of a-z, 0-9 and -",
                kind.chars().take(40).collect::<String>()
            )))
        }
    }

    /// The stored spelling.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A record to append.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewKeyMaterial {
    /// What kind of key.
    pub kind: KeyKind,
    /// Version, from 0 or 1 at the caller's choice; each append uses a new one.
    pub version: u32,
    /// The company the key belongs to; `None` for instance-wide keys.
    pub company_id: Option<String>,
    /// What the key is for (e.g. `invoices`, `files`, `secrets`); may be empty.
    pub purpose: String,
    /// The wrapped (encrypted) key bytes, or public data such as a check value.
    pub wrapped: Vec<u8>,
    /// When it was made (injected clock).
    pub created_at: OffsetDateTime,
}

/// Longest `wrapped` value accepted, in bytes.
pub const MAX_WRAPPED_LEN: usize = 64 * 1024;

impl NewKeyMaterial {
    pub(crate) fn check(&self) -> Result<()> {
        if self.wrapped.len() > MAX_WRAPPED_LEN {
            return Err(Error::Invalid(format!(
                "wrapped key material is {} bytes; the limit is {MAX_WRAPPED_LEN}",
                self.wrapped.len()
            )));
        }
        if self.purpose.len() > 128 || self.company_id.as_ref().is_some_and(|c| c.len() > 128) {
            return Err(Error::Invalid(
                "purpose and company id are limited to 128 bytes".into(),
            ));
        }
        Ok(())
    }

    pub(crate) fn created_us(&self) -> Result<i64> {
        to_us(self.created_at)
    }
}

/// A stored record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyMaterial {
    /// Row id, increasing in append order.
    pub id: i64,
    /// What kind of key.
    pub kind: KeyKind,
    /// Version.
    pub version: u32,
    /// Owning company, if any.
    pub company_id: Option<String>,
    /// Purpose.
    pub purpose: String,
    /// Wrapped bytes as stored.
    pub wrapped: Vec<u8>,
    /// When it was made.
    pub created_at: OffsetDateTime,
}

/// A row as read from either backend, before validation.
pub(crate) type KeyRow = (i64, String, i64, Option<String>, String, Vec<u8>, i64);

pub(crate) fn from_row(row: KeyRow) -> Result<KeyMaterial> {
    let (id, kind, version, company_id, purpose, wrapped, created_us) = row;
    Ok(KeyMaterial {
        id,
        kind: KeyKind::new(&kind).map_err(|e| Error::Corrupt(e.to_string()))?,
        version: u32::try_from(version)
            .map_err(|_| Error::Corrupt(format!("key version {version} out of range")))?,
        company_id,
        purpose,
        wrapped,
        created_at: from_us(created_us)?,
    })
}

/// Microseconds since the Unix epoch.
pub(crate) fn to_us(t: OffsetDateTime) -> Result<i64> {
    i64::try_from(t.unix_timestamp_nanos() / 1000)
        .map_err(|_| Error::Invalid("timestamp out of range".into()))
}

pub(crate) fn from_us(us: i64) -> Result<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(us) * 1000)
        .map_err(|_| Error::Corrupt(format!("timestamp {us} out of range")))
}
