//! Sealing and opening of stored values with the right company's data keys.
//!
//! Data keys are created on first use for each (company, purpose), wrapped
//! under the current KEK and appended to the key material; opened keys are
//! cached in memory for the life of the unsealed process. Login e-mail
//! addresses belong to no company: they use the keys of the pseudo-company
//! [`INSTANCE`]. Every sealed value is bound (AEAD associated data) to its
//! table, row id and company, so a ciphertext moved to another row or company
//! does not open.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use faktura_crypto::{
    CompanyId, OsRng, Purpose, RecordAad, RecordKeys, SecretBytes, WrappedDataKey, blind_index,
};
use faktura_store::{Error as StoreError, Store};

use crate::error::{Error, Result};
use crate::seal::Seal;

/// The key owner of values that belong to no company (login e-mail addresses).
pub(crate) const INSTANCE: &str = "instance";

/// The server's access to data keys.
pub(crate) struct Vault {
    store: Store,
    seal: Arc<Seal>,
    cache: Mutex<HashMap<(String, Purpose), Arc<RecordKeys>>>,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vault").finish_non_exhaustive()
    }
}

impl Vault {
    /// A vault over `store`'s key material, opened with `seal`'s key ring.
    pub(crate) fn new(store: Store, seal: Arc<Seal>) -> Self {
        Self {
            store,
            seal,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// The data keys of `company` for `purpose`, created on first use.
    ///
    /// # Errors
    /// [`Error::Sealed`] while sealed; store and crypto errors.
    pub(crate) async fn keys(&self, company: &str, purpose: Purpose) -> Result<Arc<RecordKeys>> {
        let id = (company.to_owned(), purpose);
        if let Some(k) = self.cached(&id) {
            return Ok(k);
        }
        let keys = match self.load(company, purpose).await? {
            Some(keys) => keys,
            None => {
                self.create(company, purpose).await?;
                self.load(company, purpose).await?.ok_or_else(|| {
                    Error::Internal(format!(
                        "data key for {company}/{} vanished",
                        purpose.label()
                    ))
                })?
            }
        };
        let keys = Arc::new(keys);
        self.cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(id, Arc::clone(&keys));
        Ok(keys)
    }

    fn cached(&self, id: &(String, Purpose)) -> Option<Arc<RecordKeys>> {
        self.cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(id)
            .cloned()
    }

    async fn load(&self, company: &str, purpose: Purpose) -> Result<Option<RecordKeys>> {
        let rows = self.store.data_key_rows(company).await?;
        let mut wrapped: Vec<WrappedDataKey> = Vec::new();
        for row in rows {
            let w = WrappedDataKey::from_bytes(&row.wrapped).map_err(Error::Crypto)?;
            if w.purpose() == purpose {
                wrapped.push(w);
            }
        }
        if wrapped.is_empty() {
            return Ok(None);
        }
        let opened = self.seal.with_keyring(|ring| {
            // One key per version: the form wrapped under the newest KEK that opens.
            let mut by_version = std::collections::BTreeMap::new();
            for w in &wrapped {
                if let Ok(k) = ring.open_data_key(w) {
                    by_version.insert(w.version().get(), k);
                }
            }
            by_version.into_values().collect::<Vec<_>>()
        })?;
        Ok(Some(RecordKeys::new(opened).map_err(Error::Crypto)?))
    }

    async fn create(&self, company: &str, purpose: Purpose) -> Result<()> {
        let cid = CompanyId::new(company).map_err(Error::Crypto)?;
        let wrapped = self
            .seal
            .with_keyring(|ring| ring.create_data_key(&cid, purpose, &OsRng))?
            .map_err(Error::Crypto)?;
        let row = faktura_store::keyring::data_key_row(&wrapped, time::OffsetDateTime::now_utc())?;
        match self.store.append_key_material(&row).await {
            // Another request or instance created it first: use theirs.
            Ok(_) | Err(StoreError::Conflict(_)) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Seals `plaintext` for `table`/`row_id` of `company`.
    ///
    /// # Errors
    /// As [`Self::keys`].
    pub(crate) async fn seal(
        &self,
        company: &str,
        table: &str,
        row_id: &str,
        plaintext: &[u8],
    ) -> Result<Vec<u8>> {
        let keys = self.keys(company, Purpose::Records).await?;
        let aad = RecordAad {
            table,
            row_id,
            company_id: company,
        };
        keys.seal(&aad, plaintext, &OsRng).map_err(Error::Crypto)
    }

    /// Opens a value sealed by [`Self::seal`] with the same identity.
    ///
    /// # Errors
    /// [`Error::Crypto`] when it does not open (tampered or moved).
    pub(crate) async fn open(
        &self,
        company: &str,
        table: &str,
        row_id: &str,
        sealed: &[u8],
    ) -> Result<SecretBytes> {
        let keys = self.keys(company, Purpose::Records).await?;
        let aad = RecordAad {
            table,
            row_id,
            company_id: company,
        };
        keys.open(&aad, sealed).map_err(Error::Crypto)
    }

    /// Opens a sealed UTF-8 text.
    ///
    /// # Errors
    /// As [`Self::open`]; [`Error::Internal`] for invalid UTF-8.
    pub(crate) async fn open_text(
        &self,
        company: &str,
        table: &str,
        row_id: &str,
        sealed: &[u8],
    ) -> Result<String> {
        let bytes = self.open(company, table, row_id, sealed).await?;
        String::from_utf8(bytes.expose_secret().to_vec())
            .map_err(|_| Error::Internal(format!("{table} {row_id}: sealed text is not UTF-8")))
    }

    /// The blind index of `value` in `field`, for exact-match lookups.
    ///
    /// # Errors
    /// As [`Self::keys`].
    pub(crate) async fn blind(&self, company: &str, field: &str, value: &[u8]) -> Result<Vec<u8>> {
        let keys = self.keys(company, Purpose::BlindIndex).await?;
        let key = keys.current().map_err(Error::Crypto)?;
        Ok(blind_index(key, field, value)
            .map_err(Error::Crypto)?
            .to_bytes()
            .to_vec())
    }

    /// Seals an audit entry's details with the company's audit-payload key
    /// (the instance's for entries of no company).
    ///
    /// # Errors
    /// As [`Self::keys`].
    pub(crate) async fn seal_audit(
        &self,
        company: Option<&str>,
        request_id: &str,
        details: &[u8],
    ) -> Result<Vec<u8>> {
        let owner = company.unwrap_or(INSTANCE);
        let keys = self.keys(owner, Purpose::AuditPayload).await?;
        let aad = RecordAad {
            table: "audit_entry",
            row_id: request_id,
            company_id: owner,
        };
        keys.seal(&aad, details, &OsRng).map_err(Error::Crypto)
    }

    /// Opens details sealed by [`Self::seal_audit`].
    ///
    /// # Errors
    /// As [`Self::open`].
    pub(crate) async fn open_audit(
        &self,
        company: Option<&str>,
        request_id: &str,
        sealed: &[u8],
    ) -> Result<SecretBytes> {
        let owner = company.unwrap_or(INSTANCE);
        let keys = self.keys(owner, Purpose::AuditPayload).await?;
        let aad = RecordAad {
            table: "audit_entry",
            row_id: request_id,
            company_id: owner,
        };
        keys.open(&aad, sealed).map_err(Error::Crypto)
    }
}
