//! Zeroizing containers for secret bytes and strings.
//!
//! Each type wipes its memory on drop, prints `[redacted]` in `Debug`, has no
//! `Display` and is not `Serialize`, so a secret cannot reach a log or a
//! response by accident. Reading the secret takes an explicit
//! `expose_secret()` call that reviewers can grep for.

use std::fmt;

use subtle::ConstantTimeEq;
use zeroize::{Zeroize, Zeroizing};

use crate::error::{Error, Result};

/// Whether two byte strings are equal, in time independent of their contents
/// (the lengths are treated as public). For comparing a presented secret
/// token (a CSRF token, a webhook signature) with the expected one.
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

/// A 256-bit symmetric key. Internal building block of every key type.
#[derive(Clone)]
pub(crate) struct Key256(Zeroizing<[u8; 32]>);

impl Key256 {
    pub(crate) fn from_array(bytes: [u8; 32]) -> Self {
        let mut bytes = bytes;
        let key = Self(Zeroizing::new(bytes));
        bytes.zeroize();
        key
    }

    pub(crate) fn from_slice(bytes: &[u8]) -> Result<Self> {
        let array: [u8; 32] = bytes.try_into().map_err(|_| Error::Malformed {
            what: "key",
            reason: "a key must be exactly 32 bytes",
        })?;
        Ok(Self::from_array(array))
    }

    pub(crate) fn expose(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for Key256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Secret bytes of any length (an integration credential, a decrypted record).
#[derive(Clone, Default)]
pub struct SecretBytes(Zeroizing<Vec<u8>>);

impl SecretBytes {
    /// Takes ownership of `bytes`; they are wiped when this value drops.
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(Zeroizing::new(bytes))
    }

    /// The secret itself. Call only at the moment of use.
    pub fn expose_secret(&self) -> &[u8] {
        &self.0
    }

    /// Length in bytes (not secret).
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the secret is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<Vec<u8>> for SecretBytes {
    fn from(bytes: Vec<u8>) -> Self {
        Self::new(bytes)
    }
}

impl PartialEq for SecretBytes {
    /// Constant-time in the contents (the length is not secret).
    fn eq(&self, other: &Self) -> bool {
        self.0.as_slice().ct_eq(other.0.as_slice()).into()
    }
}

impl Eq for SecretBytes {}

impl fmt::Debug for SecretBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// A secret string (a password, a passphrase, an API key).
#[derive(Clone, Default)]
pub struct SecretString(Zeroizing<String>);

impl SecretString {
    /// Takes ownership of `text`; it is wiped when this value drops.
    pub fn new(text: String) -> Self {
        Self(Zeroizing::new(text))
    }

    /// The secret itself. Call only at the moment of use.
    pub fn expose_secret(&self) -> &str {
        &self.0
    }
}

impl From<String> for SecretString {
    fn from(text: String) -> Self {
        Self::new(text)
    }
}

impl From<&str> for SecretString {
    fn from(text: &str) -> Self {
        Self::new(text.to_owned())
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ct_eq_compares_contents_and_length() {
        let token = [7u8; 32];
        assert!(ct_eq(&token, &token));
        assert!(ct_eq(&[], &[]));
        for i in 0..32 {
            let mut other = token;
            other[i] ^= 0x80;
            assert!(!ct_eq(&token, &other), "byte {i}");
        }
        assert!(!ct_eq(&token, &token[..31]), "a prefix is not equal");
        assert!(!ct_eq(&token[..31], &token));
    }
}
