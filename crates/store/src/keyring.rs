//! How an instance's key hierarchy is laid out in `key_material`, shared by the
//! CLI and the server so that both read and write the same rows.
//!
//! Row layout: share sets are `share-set` rows with purpose `root` (version 1,
//! 2, … per re-key; the newest is current); KEKs are `kek` rows with purpose
//! `root` (version = KEK version); data keys are `dek` rows with the company id,
//! purpose `<purpose>.v<data-key version>` and version = the KEK version they
//! are wrapped under, so every re-wrapping appends a row and nothing is
//! updated. The bytes stored are the crypto crate's opaque wrapped forms; this
//! module never sees a key in the clear.

use faktura_audit::CheckpointSigner;
use faktura_crypto::{Keyring, SecretBytes, SecureRng, ShareSetRecord, WrappedDataKey, WrappedKek};
use time::OffsetDateTime;

use crate::{Error, KeyKind, KeyMaterial, NewKeyMaterial, Result, Store};

/// `purpose` of instance-wide key material (share sets, KEKs).
pub const ROOT_PURPOSE: &str = "root";
/// `purpose` of the audit checkpoint signing key's rows.
pub const SIGNING_PURPOSE: &str = "checkpoint";

/// Name that binds the sealed signing key to its use (associated data).
pub const SIGNING_SECRET_NAME: &str = "audit-checkpoint-signing-key";
/// File in the data directory holding the checkpoint public key (note verifier
/// line), written by whoever creates the signing key: `faktura init` or a
/// server first start.
pub const CHECKPOINT_PUBLIC_KEY_FILE: &str = "audit-checkpoint.pub";

/// What the database holds about an instance's keys.
#[derive(Debug)]
pub struct StoredKeys {
    /// The current (newest) share set.
    pub share_set: ShareSetRecord,
    /// The current share set's row version.
    pub share_set_version: u32,
    /// Every stored KEK version.
    pub keks: Vec<WrappedKek>,
    /// Every stored wrapped data key (each re-wrapping is its own row).
    pub data_keys: Vec<WrappedDataKey>,
    /// The newest audit checkpoint signing-key row, if the instance has one.
    pub signing_key: Option<KeyMaterial>,
}

impl StoredKeys {
    /// For each data key (company, purpose, version), the form wrapped under the newest KEK.
    #[must_use]
    pub fn current_data_keys(&self) -> Vec<WrappedDataKey> {
        let mut best: std::collections::BTreeMap<(String, u8, u32), &WrappedDataKey> =
            std::collections::BTreeMap::new();
        for w in &self.data_keys {
            let id = (
                w.company().as_str().to_owned(),
                w.purpose().code(),
                w.version().get(),
            );
            if best
                .get(&id)
                .is_none_or(|b| b.kek_version() < w.kek_version())
            {
                best.insert(id, w);
            }
        }
        best.into_values().cloned().collect()
    }
}

fn row(
    kind: &str,
    version: u32,
    company_id: Option<&str>,
    purpose: &str,
    wrapped: Vec<u8>,
    created_at: OffsetDateTime,
) -> Result<NewKeyMaterial> {
    Ok(NewKeyMaterial {
        kind: KeyKind::new(kind)?,
        version,
        company_id: company_id.map(str::to_owned),
        purpose: purpose.to_owned(),
        wrapped,
        created_at,
    })
}

/// The row of share set `version`.
///
/// # Errors
/// None in practice; [`Error::Invalid`] if the layout constants were wrong.
pub fn share_set_row(
    version: u32,
    record: &ShareSetRecord,
    created_at: OffsetDateTime,
) -> Result<NewKeyMaterial> {
    row(
        KeyKind::SHARE_SET,
        version,
        None,
        ROOT_PURPOSE,
        record.to_bytes(),
        created_at,
    )
}

/// The row of a KEK version.
///
/// # Errors
/// As [`share_set_row`].
pub fn kek_row(kek: &WrappedKek, created_at: OffsetDateTime) -> Result<NewKeyMaterial> {
    row(
        KeyKind::KEK,
        kek.version().get(),
        None,
        ROOT_PURPOSE,
        kek.to_bytes(),
        created_at,
    )
}

/// The row of a data key as wrapped under one KEK version.
///
/// # Errors
/// As [`share_set_row`].
pub fn data_key_row(key: &WrappedDataKey, created_at: OffsetDateTime) -> Result<NewKeyMaterial> {
    let purpose = format!("{}.v{}", key.purpose().label(), key.version().get());
    row(
        KeyKind::DEK,
        key.kek_version().get(),
        Some(key.company().as_str()),
        &purpose,
        key.to_bytes(),
        created_at,
    )
}

impl Store {
    /// Reads the current share set, every KEK, every wrapped data key and the
    /// newest audit signing-key row.
    ///
    /// # Errors
    /// [`Error::Corrupt`] when a row does not parse or no share set is stored
    /// (the database was not initialised by faktura), or a database error.
    pub async fn read_keys(&self) -> Result<StoredKeys> {
        let rows = |name: &'static str| async move {
            self.key_material_of_kind(&KeyKind::new(name)?).await
        };
        let (share_set_version, share_set) = rows(KeyKind::SHARE_SET)
            .await?
            .into_iter()
            .max_by_key(|r| r.version)
            .map(|r| {
                ShareSetRecord::from_bytes(&r.wrapped)
                    .map(|s| (r.version, s))
                    .map_err(|e| Error::Corrupt(format!("the stored share set is damaged: {e}")))
            })
            .transpose()?
            .ok_or_else(|| {
                Error::Corrupt(
                    "the database holds no share set; was this instance initialised with `faktura init`?"
                        .into(),
                )
            })?;
        let keks = rows(KeyKind::KEK)
            .await?
            .iter()
            .map(|r| WrappedKek::from_bytes(&r.wrapped))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| Error::Corrupt(format!("a stored key-encryption key is damaged: {e}")))?;
        let data_keys = rows(KeyKind::DEK)
            .await?
            .iter()
            .map(|r| WrappedDataKey::from_bytes(&r.wrapped))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| Error::Corrupt(format!("a stored data key is damaged: {e}")))?;
        let signing_key = self
            .key_material_latest(
                &KeyKind::new(KeyKind::AUDIT_SIGNING)?,
                None,
                SIGNING_PURPOSE,
            )
            .await?;
        Ok(StoredKeys {
            share_set,
            share_set_version,
            keks,
            data_keys,
            signing_key,
        })
    }

    /// Stores a new instance's first share set and KEK plus `extra` rows (the
    /// audit signing key, a setup token) in one transaction.
    ///
    /// # Errors
    /// As [`Store::append_key_materials`]; nothing is stored on error.
    pub async fn store_initial_keys(
        &self,
        record: &ShareSetRecord,
        kek: &WrappedKek,
        extra: Vec<NewKeyMaterial>,
        created_at: OffsetDateTime,
    ) -> Result<usize> {
        let mut rows = vec![
            share_set_row(1, record, created_at)?,
            kek_row(kek, created_at)?,
        ];
        rows.extend(extra);
        self.append_key_materials(&rows).await?;
        Ok(rows.len())
    }

    /// Stores a rotation in one transaction: the new KEK, each data key wrapped
    /// under it and the `extra` rows (the re-sealed signing key).
    ///
    /// # Errors
    /// As [`Store::append_key_materials`]; nothing is stored on error.
    pub async fn store_rotation(
        &self,
        kek: &WrappedKek,
        data_keys: &[WrappedDataKey],
        extra: Vec<NewKeyMaterial>,
        created_at: OffsetDateTime,
    ) -> Result<()> {
        let mut rows = vec![kek_row(kek, created_at)?];
        for key in data_keys {
            rows.push(data_key_row(key, created_at)?);
        }
        rows.extend(extra);
        self.append_key_materials(&rows).await?;
        Ok(())
    }

    /// Stores a new share set after `stored`'s; it becomes current and the
    /// previous one stops unsealing.
    ///
    /// # Errors
    /// [`Error::Conflict`] if another re-key stored that version first.
    pub async fn store_share_set(
        &self,
        stored: &StoredKeys,
        record: &ShareSetRecord,
        created_at: OffsetDateTime,
    ) -> Result<()> {
        let version = stored
            .share_set_version
            .checked_add(1)
            .ok_or_else(|| Error::Invalid("share set version counter exhausted".into()))?;
        self.append_key_materials(&[share_set_row(version, record, created_at)?])
            .await?;
        Ok(())
    }
}

/// Draws a new audit checkpoint signing key and seals it under the ring's
/// current KEK; returns the key-material row (version 1) to store and the
/// signer.
///
/// The row holds `origin ‖ "\n" ‖ sealed seed`, so the database alone never
/// yields the key.
///
/// # Errors
/// [`Error::Crypto`] if the random source or sealing fails.
pub fn new_signing_key(
    ring: &Keyring,
    rng: &dyn SecureRng,
    created_at: OffsetDateTime,
) -> Result<(NewKeyMaterial, CheckpointSigner)> {
    let mut seed = [0u8; 32];
    let mut id = [0u8; 6];
    rng.fill(&mut seed)?;
    rng.fill(&mut id)?;
    let origin = format!("faktura.local/audit/{}", hex(&id));
    let signer = CheckpointSigner::from_seed(&origin, &seed);
    let sealed =
        ring.seal_instance_secret(SIGNING_SECRET_NAME, &SecretBytes::new(seed.to_vec()), rng);
    seed.fill(0);
    let signer = signer?;
    Ok((signing_row(1, &origin, &sealed?, created_at)?, signer))
}

/// Opens a stored signing-key record under the key hierarchy.
///
/// # Errors
/// [`Error::Corrupt`] for a damaged record, [`Error::Crypto`] if it does not
/// open under these keys.
pub fn open_signing_key(wrapped: &[u8], ring: &Keyring) -> Result<CheckpointSigner> {
    let (origin, sealed) = split_signing_record(wrapped)?;
    let seed = ring.open_instance_secret(SIGNING_SECRET_NAME, sealed)?;
    let seed: [u8; 32] = seed
        .expose_secret()
        .try_into()
        .map_err(|_| Error::Corrupt("the audit signing key has the wrong length".into()))?;
    Ok(CheckpointSigner::from_seed(origin, &seed)?)
}

/// Re-seals a stored signing key under the ring's current KEK (after a
/// rotation), as the next version of its row; the key itself is unchanged.
///
/// # Errors
/// As [`open_signing_key`], or [`Error::Invalid`] if the version counter is exhausted.
pub fn reseal_signing_key(
    stored: &KeyMaterial,
    ring: &Keyring,
    rng: &dyn SecureRng,
    created_at: OffsetDateTime,
) -> Result<NewKeyMaterial> {
    let (origin, sealed) = split_signing_record(&stored.wrapped)?;
    let seed = ring.open_instance_secret(SIGNING_SECRET_NAME, sealed)?;
    let resealed = ring.seal_instance_secret(SIGNING_SECRET_NAME, &seed, rng)?;
    let version = stored
        .version
        .checked_add(1)
        .ok_or_else(|| Error::Invalid("audit signing key version counter exhausted".into()))?;
    signing_row(version, origin, &resealed, created_at)
}

fn signing_row(
    version: u32,
    origin: &str,
    sealed: &[u8],
    created_at: OffsetDateTime,
) -> Result<NewKeyMaterial> {
    let mut wrapped = origin.as_bytes().to_vec();
    wrapped.push(b'\n');
    wrapped.extend_from_slice(sealed);
    row(
        KeyKind::AUDIT_SIGNING,
        version,
        None,
        SIGNING_PURPOSE,
        wrapped,
        created_at,
    )
}

fn split_signing_record(wrapped: &[u8]) -> Result<(&str, &[u8])> {
    let damaged = || Error::Corrupt("damaged audit signing key record".into());
    let pos = wrapped
        .iter()
        .position(|&b| b == b'\n')
        .ok_or_else(damaged)?;
    let (origin, rest) = wrapped.split_at(pos);
    let sealed = rest.get(1..).ok_or_else(damaged)?;
    Ok((std::str::from_utf8(origin).map_err(|_| damaged())?, sealed))
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

#[cfg(test)]
mod tests {
    use faktura_crypto::{OsRng, RootKey};

    use super::*;

    fn new_ring() -> Keyring {
        Keyring::create(RootKey::generate(&OsRng).unwrap(), &OsRng)
            .unwrap()
            .0
    }

    #[test]
    fn signing_key_opens_reseals_and_refuses_other_keys() {
        let now = OffsetDateTime::UNIX_EPOCH;
        let ring = new_ring();
        let (row, signer) = new_signing_key(&ring, &OsRng, now).unwrap();
        assert_eq!(row.version, 1);
        assert_eq!(row.purpose, SIGNING_PURPOSE);
        let opened = open_signing_key(&row.wrapped, &ring).unwrap();
        assert_eq!(opened.verifier().to_string(), signer.verifier().to_string());

        let stored = KeyMaterial {
            id: 1,
            kind: row.kind.clone(),
            version: row.version,
            company_id: None,
            purpose: row.purpose.clone(),
            wrapped: row.wrapped.clone(),
            created_at: now,
        };
        let resealed = reseal_signing_key(&stored, &ring, &OsRng, now).unwrap();
        assert_eq!(resealed.version, 2);
        assert_ne!(resealed.wrapped, row.wrapped, "fresh nonce, new bytes");
        let reopened = open_signing_key(&resealed.wrapped, &ring).unwrap();
        assert_eq!(
            reopened.verifier().to_string(),
            signer.verifier().to_string()
        );

        // Another instance's keys do not open it; a damaged record is named as such.
        assert!(matches!(
            open_signing_key(&row.wrapped, &new_ring()),
            Err(Error::Crypto(_))
        ));
        assert!(matches!(
            open_signing_key(b"no separator", &ring),
            Err(Error::Corrupt(_))
        ));
    }
}
