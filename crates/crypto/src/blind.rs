//! Blind indexes: keyed hashes that let the store find rows by exact match
//! (an e-mail address, an IBAN) without storing the value in the clear.
//!
//! The key is a data key of purpose [`Purpose::BlindIndex`], so an index
//! value reveals nothing without it, and each company's indexes differ. The
//! caller normalises values first (trim, lower-case) so equal values match.

use std::fmt;

use crate::codec::{Writer, hex};
use crate::error::{Error, Result};
use crate::keys::{DataKey, Purpose};
use crate::primitive::hmac_sha256;

/// An HMAC-SHA256 blind index value, for an indexed column.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct BlindIndex([u8; 32]);

impl BlindIndex {
    /// The bytes to store.
    pub fn to_bytes(self) -> [u8; 32] {
        self.0
    }

    /// Hex for text columns.
    pub fn to_hex(self) -> String {
        hex(&self.0)
    }
}

impl fmt::Debug for BlindIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "BlindIndex({}…)",
            hex(self.0.get(..4).unwrap_or_default())
        )
    }
}

/// Computes the blind index of `value` in `field` (e.g. `"customer.email"`).
/// The field name is bound in, so equal values in different fields differ.
pub fn blind_index(key: &DataKey, field: &str, value: &[u8]) -> Result<BlindIndex> {
    if key.purpose() != Purpose::BlindIndex {
        return Err(Error::InvalidParameters(
            "blind indexes need a data key of purpose blind-index",
        ));
    }
    let msg = Writer::new(b"faktura/blind-index/v1")
        .bytes(field.as_bytes())
        .bytes(value)
        .finish();
    Ok(BlindIndex(hmac_sha256(key.key().expose(), &msg)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::{CompanyId, Keyring, RootKey};
    use crate::rng::SeededRng;

    #[test]
    fn deterministic_per_key_and_field() {
        let rng = SeededRng::new(1);
        let (ring, _) = Keyring::create(RootKey::generate(&rng).unwrap(), &rng).unwrap();
        let key = |c: &str, p| {
            ring.open_data_key(
                &ring
                    .create_data_key(&CompanyId::new(c).unwrap(), p, &rng)
                    .unwrap(),
            )
            .unwrap()
        };
        let a = key("a", Purpose::BlindIndex);
        let b = key("b", Purpose::BlindIndex);
        let x = blind_index(&a, "email", b"x@example.com").unwrap();
        assert_eq!(x, blind_index(&a, "email", b"x@example.com").unwrap());
        assert_ne!(x, blind_index(&a, "email", b"y@example.com").unwrap());
        assert_ne!(x, blind_index(&a, "iban", b"x@example.com").unwrap());
        assert_ne!(x, blind_index(&b, "email", b"x@example.com").unwrap());
        assert!(blind_index(&key("a", Purpose::Records), "email", b"x").is_err());
        assert!(!format!("{x:?}").contains(&x.to_hex()));
    }
}
