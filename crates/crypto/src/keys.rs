//! The key hierarchy: root key → key-encryption keys (KEK) → data keys.
//!
//! - The root key exists only in memory, between unsealing and sealing. It
//!   wraps every KEK version (under a subkey derived with HKDF).
//! - Each KEK version wraps data keys. Rotation adds a version, re-wraps data
//!   keys under it and makes new data keys under it; old versions stay
//!   loadable to read what has not been re-wrapped yet, and are retired
//!   explicitly once nothing uses them.
//! - A data key belongs to one company and one [`Purpose`], and carries a
//!   version that every envelope it seals names.
//!
//! The wrapped forms ([`WrappedKek`], [`WrappedDataKey`]) contain no secret in
//! the clear and serialise to bytes for the store. Their associated data binds
//! each one to its version, company and purpose, so a wrapped key copied to
//! another slot does not unwrap.

use std::collections::BTreeMap;
use std::fmt;

use crate::codec::{Reader, Writer};
use crate::envelope::{self, RecordAad};
use crate::error::{Error, Result};
use crate::primitive::{NONCE_LEN, aead_open, aead_seal, derive_key};
use crate::rng::{SecureRng, random_array};
use crate::secret::{Key256, SecretBytes};
use crate::share::{Share, ShareParams, ShareSetRecord, split_root_key};

/// The 256-bit root key of an instance. Never written anywhere.
pub struct RootKey(Key256);

impl RootKey {
    /// Draws a fresh root key.
    pub fn generate(rng: &dyn SecureRng) -> Result<Self> {
        Ok(Self(Key256::from_array(random_array(rng)?)))
    }

    pub(crate) fn from_key(key: Key256) -> Self {
        Self(key)
    }

    pub(crate) fn key(&self) -> &Key256 {
        &self.0
    }
}

impl fmt::Debug for RootKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RootKey([redacted])")
    }
}

/// A version of the key-encryption key (1, 2, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KekVersion(u32);

impl KekVersion {
    /// The version with number `n` (as stored).
    pub fn new(n: u32) -> Self {
        Self(n)
    }

    /// The version number.
    pub fn get(self) -> u32 {
        self.0
    }
}

/// A version of a data key; envelopes name it in their header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KeyVersion(u32);

impl KeyVersion {
    /// The version with number `n` (as stored).
    pub fn new(n: u32) -> Self {
        Self(n)
    }

    /// The version number.
    pub fn get(self) -> u32 {
        self.0
    }
}

/// What a data key is for. Each purpose has its own keys, so the credential
/// store, the blind indexes and business records never share a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Purpose {
    /// Business records (invoices, customers, bank details).
    Records,
    /// Stored files (renderings, uploads, received documents, backups).
    Files,
    /// HMAC keys for exact-match blind indexes.
    BlindIndex,
    /// The integration-credential store (SMTP, OIDC, Peppol secrets).
    Credentials,
    /// Encrypted details of audit entries.
    AuditPayload,
}

impl Purpose {
    /// Every purpose, for inventories.
    pub const ALL: [Self; 5] = [
        Self::Records,
        Self::Files,
        Self::BlindIndex,
        Self::Credentials,
        Self::AuditPayload,
    ];

    /// Stable code stored in wrapped keys. Never renumber.
    pub fn code(self) -> u8 {
        match self {
            Self::Records => 1,
            Self::Files => 2,
            Self::BlindIndex => 3,
            Self::Credentials => 4,
            Self::AuditPayload => 5,
        }
    }

    /// The purpose with stored code `code`.
    pub fn from_code(code: u8) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|p| p.code() == code)
            .ok_or(Error::Malformed {
                what: "wrapped data key",
                reason: "unknown key purpose code",
            })
    }

    /// A stable lower-case name, also the envelope context label.
    pub fn label(self) -> &'static str {
        match self {
            Self::Records => "records",
            Self::Files => "files",
            Self::BlindIndex => "blind-index",
            Self::Credentials => "credentials",
            Self::AuditPayload => "audit-payload",
        }
    }
}

/// The id of the company a data key belongs to (1 to 64 printable ASCII characters).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CompanyId(String);

impl CompanyId {
    /// Checks and wraps a company id as the store spells it.
    pub fn new(id: impl Into<String>) -> Result<Self> {
        let id = id.into();
        if id.is_empty() || id.len() > 64 || !id.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(Error::InvalidParameters(
                "a company id is 1 to 64 printable ASCII characters",
            ));
        }
        Ok(Self(id))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CompanyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

const KEK_MAGIC: &[u8] = b"FKKEK\x01";
const DK_MAGIC: &[u8] = b"FKDK\x01";
const MAX_SEALED_KEY: usize = NONCE_LEN + 32 + 16;

/// A KEK version sealed under the root key, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrappedKek {
    version: KekVersion,
    sealed: Vec<u8>,
}

impl WrappedKek {
    /// The KEK version.
    pub fn version(&self) -> KekVersion {
        self.version
    }

    /// Serialised form for the store.
    pub fn to_bytes(&self) -> Vec<u8> {
        Writer::new(KEK_MAGIC)
            .u32(self.version.0)
            .bytes(&self.sealed)
            .finish()
    }

    /// Parses what [`Self::to_bytes`] wrote.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let mut r = Reader::new(bytes, KEK_MAGIC, "wrapped key-encryption key")?;
        let version = KekVersion(r.u32()?);
        let sealed = r.bytes(MAX_SEALED_KEY)?.to_vec();
        r.finish()?;
        Ok(Self { version, sealed })
    }
}

/// A data key sealed under a KEK version, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrappedDataKey {
    company: CompanyId,
    purpose: Purpose,
    version: KeyVersion,
    kek_version: KekVersion,
    sealed: Vec<u8>,
}

impl WrappedDataKey {
    /// The owning company.
    pub fn company(&self) -> &CompanyId {
        &self.company
    }

    /// What the key is for.
    pub fn purpose(&self) -> Purpose {
        self.purpose
    }

    /// The data key's own version (named in envelopes).
    pub fn version(&self) -> KeyVersion {
        self.version
    }

    /// The KEK version it is wrapped under.
    pub fn kek_version(&self) -> KekVersion {
        self.kek_version
    }

    /// Serialised form for the store.
    pub fn to_bytes(&self) -> Vec<u8> {
        Writer::new(DK_MAGIC)
            .bytes(self.company.0.as_bytes())
            .u8(self.purpose.code())
            .u32(self.version.0)
            .u32(self.kek_version.0)
            .bytes(&self.sealed)
            .finish()
    }

    /// Parses what [`Self::to_bytes`] wrote.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let mut r = Reader::new(bytes, DK_MAGIC, "wrapped data key")?;
        let company = std::str::from_utf8(r.bytes(64)?)
            .map_err(|_| Error::Malformed {
                what: "wrapped data key",
                reason: "company id is not text",
            })
            .and_then(CompanyId::new)?;
        let purpose = Purpose::from_code(r.u8()?)?;
        let version = KeyVersion(r.u32()?);
        let kek_version = KekVersion(r.u32()?);
        let sealed = r.bytes(MAX_SEALED_KEY)?.to_vec();
        r.finish()?;
        Ok(Self {
            company,
            purpose,
            version,
            kek_version,
            sealed,
        })
    }

    fn aad(
        company: &CompanyId,
        purpose: Purpose,
        version: KeyVersion,
        kek_version: KekVersion,
    ) -> Vec<u8> {
        Writer::new(b"faktura/dk/v1")
            .bytes(company.0.as_bytes())
            .u8(purpose.code())
            .u32(version.0)
            .u32(kek_version.0)
            .finish()
    }
}

fn kek_aad(version: KekVersion) -> Vec<u8> {
    Writer::new(b"faktura/kek/v1").u32(version.0).finish()
}

fn seal_key(wrapping: &Key256, aad: &[u8], key: &Key256, rng: &dyn SecureRng) -> Result<Vec<u8>> {
    let nonce: [u8; NONCE_LEN] = random_array(rng)?;
    let sealed = aead_seal(wrapping, &nonce, aad, key.expose())?;
    Ok([nonce.as_slice(), &sealed].concat())
}

fn open_key(wrapping: &Key256, aad: &[u8], sealed: &[u8]) -> Result<Key256> {
    let (nonce, body) = sealed.split_at_checked(NONCE_LEN).ok_or(Error::Decrypt)?;
    let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| Error::Decrypt)?;
    let plain = aead_open(wrapping, &nonce, aad, body)?;
    Key256::from_slice(&plain).map_err(|_| Error::Decrypt)
}

/// The unsealed key hierarchy: the root key and every loaded KEK version.
pub struct Keyring {
    root: RootKey,
    keks: BTreeMap<KekVersion, Key256>,
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keyring")
            .field("root", &self.root)
            .field("kek_versions", &self.keks.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Keyring {
    /// A new hierarchy for a new instance: KEK version 1 under `root`.
    pub fn create(root: RootKey, rng: &dyn SecureRng) -> Result<(Self, WrappedKek)> {
        let mut ring = Self {
            root,
            keks: BTreeMap::new(),
        };
        let wrapped = ring.add_kek(KekVersion(1), rng)?;
        Ok((ring, wrapped))
    }

    /// Loads an existing hierarchy: unwraps every stored KEK version.
    pub fn open(root: RootKey, wrapped: &[WrappedKek]) -> Result<Self> {
        if wrapped.is_empty() {
            return Err(Error::InvalidParameters(
                "no key-encryption key is stored; was the instance initialised?",
            ));
        }
        let wrapping = derive_key(root.key(), b"kek-wrap")?;
        let mut keks = BTreeMap::new();
        for w in wrapped {
            keks.insert(
                w.version,
                open_key(&wrapping, &kek_aad(w.version), &w.sealed)?,
            );
        }
        Ok(Self { root, keks })
    }

    fn add_kek(&mut self, version: KekVersion, rng: &dyn SecureRng) -> Result<WrappedKek> {
        let kek = Key256::from_array(random_array(rng)?);
        let wrapping = derive_key(self.root.key(), b"kek-wrap")?;
        let sealed = seal_key(&wrapping, &kek_aad(version), &kek, rng)?;
        self.keks.insert(version, kek);
        Ok(WrappedKek { version, sealed })
    }

    /// The newest KEK version: new and re-wrapped data keys go under it.
    pub fn current_kek_version(&self) -> KekVersion {
        self.keks
            .keys()
            .next_back()
            .copied()
            .unwrap_or(KekVersion(0))
    }

    /// Every loaded KEK version, oldest first.
    pub fn kek_versions(&self) -> Vec<KekVersion> {
        self.keks.keys().copied().collect()
    }

    fn current(&self) -> Result<(KekVersion, &Key256)> {
        self.keks
            .iter()
            .next_back()
            .map(|(v, k)| (*v, k))
            .ok_or(Error::UnknownKeyVersion {
                what: "key-encryption key",
                version: 0,
            })
    }

    /// Rotation: adds the next KEK version and makes it current. Store the
    /// result, then [`Self::rewrap`] the data keys and create new data-key versions.
    pub fn rotate(&mut self, rng: &dyn SecureRng) -> Result<WrappedKek> {
        let next = self
            .current_kek_version()
            .0
            .checked_add(1)
            .ok_or(Error::InvalidParameters(
                "the key-encryption key version counter is exhausted",
            ))?;
        self.add_kek(KekVersion(next), rng)
    }

    /// Makes a new data key for `company` and `purpose` under the current
    /// KEK; its version is the KEK version number.
    pub fn create_data_key(
        &self,
        company: &CompanyId,
        purpose: Purpose,
        rng: &dyn SecureRng,
    ) -> Result<WrappedDataKey> {
        let (kek_version, kek) = self.current()?;
        let version = KeyVersion(kek_version.0);
        let key = Key256::from_array(random_array(rng)?);
        let aad = WrappedDataKey::aad(company, purpose, version, kek_version);
        let sealed = seal_key(kek, &aad, &key, rng)?;
        Ok(WrappedDataKey {
            company: company.clone(),
            purpose,
            version,
            kek_version,
            sealed,
        })
    }

    /// Unwraps a stored data key.
    pub fn open_data_key(&self, wrapped: &WrappedDataKey) -> Result<DataKey> {
        let kek = self
            .keks
            .get(&wrapped.kek_version)
            .ok_or(Error::UnknownKeyVersion {
                what: "key-encryption key",
                version: wrapped.kek_version.0,
            })?;
        let aad = WrappedDataKey::aad(
            &wrapped.company,
            wrapped.purpose,
            wrapped.version,
            wrapped.kek_version,
        );
        let key = open_key(kek, &aad, &wrapped.sealed)?;
        Ok(DataKey {
            company: wrapped.company.clone(),
            purpose: wrapped.purpose,
            version: wrapped.version,
            key,
        })
    }

    /// Re-wraps a data key under the current KEK version (the data key and
    /// everything it sealed are unchanged).
    pub fn rewrap(&self, wrapped: &WrappedDataKey, rng: &dyn SecureRng) -> Result<WrappedDataKey> {
        let data_key = self.open_data_key(wrapped)?;
        let (kek_version, kek) = self.current()?;
        let aad = WrappedDataKey::aad(
            &wrapped.company,
            wrapped.purpose,
            wrapped.version,
            kek_version,
        );
        let sealed = seal_key(kek, &aad, &data_key.key, rng)?;
        Ok(WrappedDataKey {
            kek_version,
            sealed,
            ..wrapped.clone()
        })
    }

    /// Drops a KEK version from memory once no stored data key uses it
    /// (pass every stored wrapped data key). The current version cannot be retired.
    pub fn retire_kek(&mut self, version: KekVersion, stored: &[WrappedDataKey]) -> Result<()> {
        if version == self.current_kek_version() {
            return Err(Error::InvalidParameters(
                "the current key-encryption key version cannot be retired",
            ));
        }
        if stored.iter().any(|w| w.kek_version == version) {
            return Err(Error::KekInUse(version.0));
        }
        self.keks.remove(&version);
        Ok(())
    }

    /// Seals an instance-wide secret (e.g. the audit checkpoint signing key)
    /// under a subkey of the current KEK, bound to `name`. After a rotation,
    /// open and seal again to move it to the new KEK version.
    pub fn seal_instance_secret(
        &self,
        name: &str,
        secret: &SecretBytes,
        rng: &dyn SecureRng,
    ) -> Result<Vec<u8>> {
        let (version, kek) = self.current()?;
        let key = derive_key(kek, INSTANCE_SECRET_LABEL)?;
        envelope::seal(
            &key,
            version.0,
            INSTANCE_SECRET_LABEL,
            &instance_aad(name),
            secret.expose_secret(),
            rng,
        )
    }

    /// Opens what [`Self::seal_instance_secret`] sealed under any loaded KEK version.
    pub fn open_instance_secret(&self, name: &str, sealed: &[u8]) -> Result<SecretBytes> {
        let version = KekVersion(envelope::envelope_key_version(sealed)?);
        let kek = self.keks.get(&version).ok_or(Error::UnknownKeyVersion {
            what: "key-encryption key",
            version: version.0,
        })?;
        let key = derive_key(kek, INSTANCE_SECRET_LABEL)?;
        envelope::open(&key, INSTANCE_SECRET_LABEL, &instance_aad(name), sealed)
            .map(SecretBytes::new)
    }

    /// Re-keying: a new share set for the same root key. Store the new
    /// record in place of the old one; the old shares then stop working.
    pub fn rekey(
        &self,
        params: ShareParams,
        rng: &dyn SecureRng,
    ) -> Result<(Vec<Share>, ShareSetRecord)> {
        split_root_key(&self.root, params, rng)
    }
}

const INSTANCE_SECRET_LABEL: &[u8] = b"instance-secret";

fn instance_aad(name: &str) -> RecordAad<'_> {
    RecordAad {
        table: "instance_secret",
        row_id: name,
        company_id: "",
    }
}

/// An unwrapped data key for one company and purpose.
pub struct DataKey {
    company: CompanyId,
    purpose: Purpose,
    version: KeyVersion,
    key: Key256,
}

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DataKey")
            .field("company", &self.company)
            .field("purpose", &self.purpose)
            .field("version", &self.version)
            .field("key", &"[redacted]")
            .finish()
    }
}

impl DataKey {
    /// The owning company.
    pub fn company(&self) -> &CompanyId {
        &self.company
    }

    /// What the key is for.
    pub fn purpose(&self) -> Purpose {
        self.purpose
    }

    /// The key's version.
    pub fn version(&self) -> KeyVersion {
        self.version
    }

    pub(crate) fn key(&self) -> &Key256 {
        &self.key
    }

    fn check_company(&self, aad: &RecordAad<'_>) -> Result<()> {
        if aad.company_id == self.company.as_str() {
            Ok(())
        } else {
            Err(Error::InvalidParameters(
                "the record belongs to another company than this data key",
            ))
        }
    }

    /// Seals a record payload bound to its identity.
    pub fn seal(
        &self,
        aad: &RecordAad<'_>,
        plaintext: &[u8],
        rng: &dyn SecureRng,
    ) -> Result<Vec<u8>> {
        self.check_company(aad)?;
        envelope::seal(
            &self.key,
            self.version.0,
            self.purpose.label().as_bytes(),
            aad,
            plaintext,
            rng,
        )
    }

    /// Opens a record payload sealed by [`Self::seal`] for the same identity.
    pub fn open(&self, aad: &RecordAad<'_>, sealed: &[u8]) -> Result<SecretBytes> {
        self.check_company(aad)?;
        if envelope::envelope_key_version(sealed)? != self.version.0 {
            return Err(Error::Decrypt);
        }
        envelope::open(&self.key, self.purpose.label().as_bytes(), aad, sealed)
            .map(SecretBytes::new)
    }
}

/// Every loaded version of one company's data key for one purpose: seals
/// with the newest, opens whichever version an envelope names.
#[derive(Debug)]
pub struct RecordKeys {
    company: CompanyId,
    purpose: Purpose,
    keys: BTreeMap<KeyVersion, DataKey>,
}

impl RecordKeys {
    /// Groups data keys; all must share one company and purpose.
    pub fn new(keys: Vec<DataKey>) -> Result<Self> {
        let first = keys
            .first()
            .ok_or(Error::InvalidParameters("at least one data key is needed"))?;
        let (company, purpose) = (first.company.clone(), first.purpose);
        let mut map = BTreeMap::new();
        for key in keys {
            if key.company != company || key.purpose != purpose {
                return Err(Error::InvalidParameters(
                    "data keys of different companies or purposes cannot be grouped",
                ));
            }
            map.insert(key.version, key);
        }
        Ok(Self {
            company,
            purpose,
            keys: map,
        })
    }

    /// The owning company.
    pub fn company(&self) -> &CompanyId {
        &self.company
    }

    /// What the keys are for.
    pub fn purpose(&self) -> Purpose {
        self.purpose
    }

    /// The newest key: the one that seals.
    pub fn current(&self) -> Result<&DataKey> {
        self.keys
            .values()
            .next_back()
            .ok_or(Error::InvalidParameters("no data key loaded"))
    }

    /// The key with `version`, if loaded.
    pub fn get(&self, version: KeyVersion) -> Result<&DataKey> {
        self.keys.get(&version).ok_or(Error::UnknownKeyVersion {
            what: "data key",
            version: version.0,
        })
    }

    /// Seals with the newest version.
    pub fn seal(
        &self,
        aad: &RecordAad<'_>,
        plaintext: &[u8],
        rng: &dyn SecureRng,
    ) -> Result<Vec<u8>> {
        self.current()?.seal(aad, plaintext, rng)
    }

    /// Opens with the version the envelope names.
    pub fn open(&self, aad: &RecordAad<'_>, sealed: &[u8]) -> Result<SecretBytes> {
        let version = KeyVersion(envelope::envelope_key_version(sealed)?);
        self.get(version)?.open(aad, sealed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::SeededRng;
    use proptest::prelude::*;

    fn company(id: &str) -> CompanyId {
        CompanyId::new(id).unwrap()
    }

    #[test]
    fn wrapped_forms_round_trip_and_bind_their_slot() {
        let rng = SeededRng::new(1);
        let (ring, wkek) = Keyring::create(RootKey::generate(&rng).unwrap(), &rng).unwrap();
        assert_eq!(WrappedKek::from_bytes(&wkek.to_bytes()).unwrap(), wkek);
        let wdk = ring
            .create_data_key(&company("c1"), Purpose::Records, &rng)
            .unwrap();
        assert_eq!(WrappedDataKey::from_bytes(&wdk.to_bytes()).unwrap(), wdk);
        // Moving the wrapped key to another company or purpose breaks it.
        let moved = WrappedDataKey {
            company: company("c2"),
            ..wdk.clone()
        };
        assert!(matches!(ring.open_data_key(&moved), Err(Error::Decrypt)));
        let repurposed = WrappedDataKey {
            purpose: Purpose::Credentials,
            ..wdk.clone()
        };
        assert!(matches!(
            ring.open_data_key(&repurposed),
            Err(Error::Decrypt)
        ));
        let relabelled = WrappedKek {
            version: KekVersion(2),
            ..wkek.clone()
        };
        assert!(
            Keyring::open(
                RootKey::generate(&rng).unwrap(),
                std::slice::from_ref(&wkek)
            )
            .is_err(),
            "another root key"
        );
        assert!(
            Keyring::open(RootKey(ring.root.0), &[relabelled]).is_err(),
            "relabelled KEK"
        );
        assert!(WrappedDataKey::from_bytes(&wdk.to_bytes()[1..]).is_err());
    }

    #[test]
    fn rotation_keeps_old_records_readable_and_new_ones_use_the_new_version() {
        let rng = SeededRng::new(2);
        let root = RootKey::generate(&rng).unwrap();
        let root_copy = RootKey(root.0.clone());
        let (mut ring, k1) = Keyring::create(root, &rng).unwrap();
        let c = company("acme");
        let aad = RecordAad {
            table: "invoice",
            row_id: "1",
            company_id: "acme",
        };
        let dk1 = ring.create_data_key(&c, Purpose::Records, &rng).unwrap();
        let old = RecordKeys::new(vec![ring.open_data_key(&dk1).unwrap()])
            .unwrap()
            .seal(&aad, b"record A", &rng)
            .unwrap();

        let k2 = ring.rotate(&rng).unwrap();
        assert_eq!(k2.version(), KekVersion(2));
        let dk1b = ring.rewrap(&dk1, &rng).unwrap();
        assert_eq!(
            (dk1b.version(), dk1b.kek_version()),
            (KeyVersion(1), KekVersion(2))
        );
        let dk2 = ring.create_data_key(&c, Purpose::Records, &rng).unwrap();
        assert!(matches!(
            ring.retire_kek(KekVersion(1), &[dk1.clone(), dk2.clone()]),
            Err(Error::KekInUse(1))
        ));
        ring.retire_kek(KekVersion(1), &[dk1b.clone(), dk2.clone()])
            .unwrap();

        // Reload from the stored forms as the store would after a restart.
        let ring = Keyring::open(root_copy, std::slice::from_ref(&k2)).unwrap();
        assert!(ring.open_data_key(&dk1).is_err(), "KEK v1 was retired");
        let keys = RecordKeys::new(vec![
            ring.open_data_key(&dk1b).unwrap(),
            ring.open_data_key(&dk2).unwrap(),
        ])
        .unwrap();
        assert_eq!(keys.open(&aad, &old).unwrap().expose_secret(), b"record A");
        let new = keys.seal(&aad, b"record B", &rng).unwrap();
        assert_eq!(envelope::envelope_key_version(&new).unwrap(), 2);
        assert_eq!(keys.open(&aad, &new).unwrap().expose_secret(), b"record B");
        drop(k1);
    }

    #[test]
    fn data_keys_refuse_other_companies() {
        let rng = SeededRng::new(3);
        let (ring, _) = Keyring::create(RootKey::generate(&rng).unwrap(), &rng).unwrap();
        let a = ring
            .open_data_key(
                &ring
                    .create_data_key(&company("a"), Purpose::Records, &rng)
                    .unwrap(),
            )
            .unwrap();
        let b = ring
            .open_data_key(
                &ring
                    .create_data_key(&company("b"), Purpose::Records, &rng)
                    .unwrap(),
            )
            .unwrap();
        let aad_a = RecordAad {
            table: "t",
            row_id: "1",
            company_id: "a",
        };
        let aad_b = RecordAad {
            company_id: "b",
            ..aad_a
        };
        let sealed = a.seal(&aad_a, b"x", &rng).unwrap();
        assert!(b.open(&aad_b, &sealed).is_err());
        assert!(a.open(&aad_b, &sealed).is_err());
        assert!(a.seal(&aad_b, b"x", &rng).is_err());
        assert!(RecordKeys::new(vec![a, b]).is_err());
        assert!(CompanyId::new("").is_err());
        assert!(CompanyId::new("a b").is_err());
    }

    #[test]
    fn instance_secrets_survive_rotation_and_bind_their_name() {
        let rng = SeededRng::new(4);
        let (mut ring, _) = Keyring::create(RootKey::generate(&rng).unwrap(), &rng).unwrap();
        let secret = SecretBytes::new(b"ed25519 seed".to_vec());
        let sealed = ring
            .seal_instance_secret("audit.signing", &secret, &rng)
            .unwrap();
        assert_eq!(
            ring.open_instance_secret("audit.signing", &sealed).unwrap(),
            secret
        );
        assert!(matches!(
            ring.open_instance_secret("other", &sealed),
            Err(Error::Decrypt)
        ));
        ring.rotate(&rng).unwrap();
        assert_eq!(
            ring.open_instance_secret("audit.signing", &sealed).unwrap(),
            secret
        );
        let resealed = ring
            .seal_instance_secret("audit.signing", &secret, &rng)
            .unwrap();
        assert_eq!(envelope::envelope_key_version(&resealed).unwrap(), 2);
        assert_eq!(
            ring.open_instance_secret("audit.signing", &resealed)
                .unwrap(),
            secret
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        #[test]
        fn rotation_property(rotations in 1usize..5, records_per_epoch in 1usize..4, seed in any::<u64>()) {
            let rng = SeededRng::new(seed);
            let (mut ring, _) = Keyring::create(RootKey::generate(&rng).unwrap(), &rng).unwrap();
            let c = company("c");
            let mut wrapped = vec![ring.create_data_key(&c, Purpose::Records, &rng).unwrap()];
            let mut written: Vec<(String, Vec<u8>, Vec<u8>)> = Vec::new();
            for epoch in 0..=rotations {
                let keys = RecordKeys::new(wrapped.iter().map(|w| ring.open_data_key(w).unwrap()).collect()).unwrap();
                for i in 0..records_per_epoch {
                    let row = format!("{epoch}-{i}");
                    let plain = format!("record {row}").into_bytes();
                    let sealed = keys.seal(&RecordAad { table: "t", row_id: &row, company_id: "c" }, &plain, &rng).unwrap();
                    prop_assert_eq!(envelope::envelope_key_version(&sealed).unwrap(), ring.current_kek_version().get());
                    written.push((row, plain, sealed));
                }
                ring.rotate(&rng).unwrap();
                wrapped = wrapped.iter().map(|w| ring.rewrap(w, &rng).unwrap()).collect();
                wrapped.push(ring.create_data_key(&c, Purpose::Records, &rng).unwrap());
            }
            let keys = RecordKeys::new(wrapped.iter().map(|w| ring.open_data_key(w).unwrap()).collect()).unwrap();
            for (row, plain, sealed) in &written {
                let aad = RecordAad { table: "t", row_id: row, company_id: "c" };
                let opened = keys.open(&aad, sealed).unwrap();
                prop_assert_eq!(opened.expose_secret(), plain.as_slice());
            }
        }
    }
}
