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

use faktura_crypto::{ShareSetRecord, WrappedDataKey, WrappedKek};
use time::OffsetDateTime;

use crate::{Error, KeyKind, KeyMaterial, NewKeyMaterial, Result, Store};

/// `purpose` of instance-wide key material (share sets, KEKs).
pub const ROOT_PURPOSE: &str = "root";
/// `purpose` of the audit checkpoint signing key's rows.
pub const SIGNING_PURPOSE: &str = "checkpoint";

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
