//! API keys: `fk_live_` followed by a 256-bit random secret, shown once.
//!
//! Only [`ApiKeyHash`] is stored. Because the secret has 256 bits of
//! entropy a fast hash (SHA-256, domain-separated) is enough: there is
//! nothing to brute-force. Checking a presented key compares hashes in
//! constant time.

use std::fmt;

use base64ct::{Base64UrlUnpadded, Encoding};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::codec::{hex, unhex};
use crate::error::{Error, Result};
use crate::rng::{SecureRng, random_array};
use crate::secret::SecretString;

/// The prefix of every live API key.
///
/// It can never change: keys already issued carry it, clients and secret
/// scanners recognise leaked keys by it, and the parser refuses keys
/// without it.
pub const API_KEY_PREFIX: &str = "fk_live_";
/// Characters of base64url for 32 bytes, unpadded.
const SECRET_CHARS: usize = 43;

/// A plaintext API key. Shown to its owner exactly once, at creation.
#[derive(Clone)]
pub struct ApiKey(SecretString);

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ApiKey({API_KEY_PREFIX}[redacted])")
    }
}

impl ApiKey {
    /// A new key with a fresh 256-bit secret.
    pub fn generate(rng: &dyn SecureRng) -> Result<Self> {
        let secret: zeroize::Zeroizing<[u8; 32]> = zeroize::Zeroizing::new(random_array(rng)?);
        let mut text = String::with_capacity(API_KEY_PREFIX.len() + SECRET_CHARS);
        text.push_str(API_KEY_PREFIX);
        text.push_str(&Base64UrlUnpadded::encode_string(&*secret));
        Ok(Self(SecretString::new(text)))
    }

    /// Parses a key presented by a client; checks the prefix and length only.
    pub fn parse(presented: &str) -> Result<Self> {
        let bad = Error::Malformed {
            what: "API key",
            reason: "an API key is `fk_live_` followed by 43 base64url characters",
        };
        let secret = presented.strip_prefix(API_KEY_PREFIX).ok_or(bad)?;
        let mut raw = [0u8; 32];
        let ok = secret.len() == SECRET_CHARS
            && Base64UrlUnpadded::decode(secret, &mut raw).is_ok_and(|d| d.len() == 32);
        zeroize::Zeroize::zeroize(&mut raw);
        if !ok {
            return Err(Error::Malformed {
                what: "API key",
                reason: "an API key is `fk_live_` followed by 43 base64url characters",
            });
        }
        Ok(Self(SecretString::from(presented)))
    }

    /// The full key, to show the owner once.
    pub fn expose_secret(&self) -> &str {
        self.0.expose_secret()
    }

    /// A short non-secret hint for key listings: the prefix and 4 characters (24 bits).
    pub fn hint(&self) -> String {
        self.0
            .expose_secret()
            .chars()
            .take(API_KEY_PREFIX.len() + 4)
            .collect()
    }

    /// The stored form.
    pub fn hash(&self) -> ApiKeyHash {
        ApiKeyHash(
            Sha256::new()
                .chain_update(b"faktura-api-key-v1\0")
                .chain_update(self.0.expose_secret())
                .finalize()
                .into(),
        )
    }

    /// Whether this key hashes to `stored`, in constant time.
    pub fn verify(&self, stored: &ApiKeyHash) -> bool {
        self.hash().0.ct_eq(&stored.0).into()
    }
}

/// The stored hash of an API key (also its lookup index).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ApiKeyHash([u8; 32]);

impl ApiKeyHash {
    /// The raw hash bytes for storage.
    pub fn to_bytes(self) -> [u8; 32] {
        self.0
    }

    /// From stored bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// Hex for text columns.
    pub fn to_hex(self) -> String {
        hex(&self.0)
    }

    /// From hex.
    pub fn from_hex(text: &str) -> Result<Self> {
        unhex(text, "API key hash").map(Self)
    }
}

impl fmt::Debug for ApiKeyHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ApiKeyHash({})",
            hex(self.0.get(..4).unwrap_or_default())
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::OsRng;

    #[test]
    fn generate_parse_verify() {
        let key = ApiKey::generate(&OsRng).unwrap();
        assert!(key.expose_secret().starts_with("fk_live_"));
        assert_eq!(key.expose_secret().len(), 8 + 43);
        let stored = key.hash();
        let presented = ApiKey::parse(key.expose_secret()).unwrap();
        assert!(presented.verify(&stored));
        assert!(!ApiKey::generate(&OsRng).unwrap().verify(&stored));
        assert_eq!(ApiKeyHash::from_hex(&stored.to_hex()).unwrap(), stored);
        assert_eq!(key.hint().len(), 12);
        // One character changed does not verify.
        let mut chars: Vec<char> = key.expose_secret().chars().collect();
        chars[20] = if chars[20] == 'A' { 'B' } else { 'A' };
        let changed: String = chars.into_iter().collect();
        assert!(!ApiKey::parse(&changed).unwrap().verify(&stored));
    }

    #[test]
    fn malformed_keys_are_refused() {
        let key = ApiKey::generate(&OsRng).unwrap();
        let secret = &key.expose_secret()[8..];
        for bad in [
            String::new(),
            secret.to_owned(),
            format!("fk_test_{secret}"),
            format!("fk_live_{}", &secret[1..]),
            format!("fk_live_{secret}A"),
            format!("fk_live_{}!", &secret[1..]),
        ] {
            assert!(ApiKey::parse(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn distinct_keys() {
        let a = ApiKey::generate(&OsRng).unwrap();
        let b = ApiKey::generate(&OsRng).unwrap();
        assert_ne!(a.expose_secret(), b.expose_secret());
        assert_ne!(a.hash(), b.hash());
    }
}
