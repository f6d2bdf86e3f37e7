//! Faktura's security core: the split-knowledge root key, the key hierarchy,
//! AEAD sealing of records and files, password and API-key hashing, blind
//! indexes and the integration-credential store.
//!
//! What it deliberately does not do: no I/O beyond the readers and writers a
//! caller passes, no SQL, no async, no logging, and it never formats key
//! material. Persisting wrapped keys and share-set records is the store's
//! job; writing share files is the command line's.
//!
//! ```
//! use faktura_crypto::{
//!     CompanyId, Keyring, OsRng, Purpose, RecordAad, RecordKeys, RootKey, ShareParams, Unsealer,
//!     split_root_key,
//! };
//! # fn main() -> Result<(), faktura_crypto::Error> {
//! let rng = OsRng;
//! // Initialise: a root key, split 3 of 5, and KEK version 1.
//! let root = RootKey::generate(&rng)?;
//! let (shares, record) = split_root_key(&root, ShareParams::default(), &rng)?;
//! let (ring, _wrapped_kek) = Keyring::create(root, &rng)?;
//! let company = CompanyId::new("42")?;
//! let wrapped = ring.create_data_key(&company, Purpose::Records, &rng)?;
//!
//! // Seal a record bound to its identity.
//! let keys = RecordKeys::new(vec![ring.open_data_key(&wrapped)?])?;
//! let aad = RecordAad { table: "invoice", row_id: "7", company_id: "42" };
//! let sealed = keys.seal(&aad, b"Rechnung 2026-001", &rng)?;
//!
//! // Unseal later with any three shares.
//! let mut unsealer = Unsealer::new(record);
//! for share in shares.into_iter().take(3) {
//!     unsealer.add(share)?;
//! }
//! let _root = unsealer.finish()?;
//! assert_eq!(keys.open(&aad, &sealed)?.expose_secret(), b"Rechnung 2026-001");
//! # Ok(())
//! # }
//! ```
//!
//! # Algorithms
//! XChaCha20-Poly1305 (RustCrypto) for every AEAD use, with random 192-bit
//! nonces; HKDF-SHA256 for subkeys of the root key; HMAC-SHA256 for blind
//! indexes; SHA-256 for API-key hashes; Argon2id for passwords and
//! share-file passphrases; Shamir over GF(2^8), implemented here in
//! constant time; age (x25519) for share files encrypted to a custodian's
//! recipient; HMAC-SHA1 only for RFC 6238 TOTP codes ([`TotpSeed`]), as
//! authenticator apps require. [`ct_eq`] compares presented tokens in
//! constant time; `benches/constant_time.rs` measures it, Shamir combine and
//! API-key checks with a dudect-style t-test.
//!
//! # Security
//! Every secret lives in a zeroizing type that prints `[redacted]` in
//! `Debug`, has no `Display` and is not `Serialize`: [`RootKey`],
//! [`DataKey`], [`Share`], [`ApiKey`], [`SecretBytes`], [`SecretString`].
//! Errors never carry key material, plaintexts or passwords, and every
//! decryption failure is the single [`Error::Decrypt`] so no caller can
//! build an oracle. Time and randomness are injected ([`Clock`],
//! [`SecureRng`]); [`SystemClock`] and [`OsRng`] are the only real ones.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod age_share;
mod apikey;
mod blind;
mod clock;
mod codec;
mod credentials;
mod envelope;
mod error;
#[doc(hidden)]
pub mod fuzzing;
mod keys;
mod password;
mod primitive;
mod rng;
mod secret;
mod shamir;
mod share;
pub mod stream;
mod totp;

pub use age_share::{AgeIdentities, AgeRecipient, WRONG_IDENTITY};
pub use apikey::{API_KEY_PREFIX, ApiKey, ApiKeyHash};
pub use blind::{BlindIndex, blind_index};
pub use clock::{Clock, FixedClock, SystemClock};
pub use credentials::{CredentialVault, MAX_CREDENTIAL_LEN, SealedCredential};
pub use envelope::{MAX_RECORD_PLAINTEXT, RecordAad, envelope_key_version};
pub use error::{Error, Result};
pub use keys::{
    CompanyId, DataKey, KekVersion, KeyVersion, Keyring, Purpose, RecordKeys, RootKey,
    WrappedDataKey, WrappedKek,
};
pub use password::{MAX_PASSWORD_LEN, PasswordHash, PasswordHasher, PasswordParams};
pub use rng::{OsRng, SecureRng, SeededRng};
pub use secret::{SecretBytes, SecretString, ct_eq};
pub use share::{
    MAX_SHARE_FILE, Share, ShareParams, ShareSetId, ShareSetRecord, UnsealProgress, Unsealer,
    split_root_key,
};
pub use totp::{TOTP_DIGITS, TOTP_PERIOD, TOTP_SEED_LEN, TotpSeed};
