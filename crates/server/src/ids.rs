//! Opaque, prefixed resource ids (`com_…`, `log_…`): 128 random bits in
//! lower-case base32, never a database sequence, so an id says nothing about
//! how many rows exist and cannot be guessed.

use faktura_crypto::SecureRng;

use crate::error::{Error, Result};

/// Characters after the prefix: 128 bits in base32 are 26 characters.
const BODY_LEN: usize = 26;
const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";

/// The kinds of id the API hands out, each with its prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IdKind {
    /// A login (person).
    Login,
    /// A company (tenant).
    Company,
    /// A membership of a login in a company.
    Membership,
    /// A company's custom role.
    Role,
    /// An invitation.
    Invitation,
    /// An API key.
    ApiKey,
}

/// The base32 symbol of the low five bits of `v`.
fn symbol(v: u32) -> char {
    ALPHABET
        .get((v & 31) as usize)
        .map_or('a', |&b| char::from(b))
}

impl IdKind {
    /// The prefix including its underscore.
    pub(crate) const fn prefix(self) -> &'static str {
        match self {
            Self::Login => "log_",
            Self::Company => "com_",
            Self::Membership => "mem_",
            Self::Role => "rol_",
            Self::Invitation => "ivt_",
            Self::ApiKey => "key_",
        }
    }

    /// A new random id of this kind.
    ///
    /// # Errors
    /// [`Error::Crypto`] when the system has no randomness.
    pub(crate) fn generate(self, rng: &dyn SecureRng) -> Result<String> {
        let mut bytes = [0_u8; 16];
        rng.fill(&mut bytes).map_err(Error::Crypto)?;
        let mut out = String::with_capacity(self.prefix().len() + BODY_LEN);
        out.push_str(self.prefix());
        let mut acc: u32 = 0;
        let mut bits = 0;
        for b in bytes {
            acc = (acc << 8) | u32::from(b);
            bits += 8;
            while bits >= 5 {
                bits -= 5;
                out.push(symbol(acc >> bits));
            }
        }
        if bits > 0 {
            out.push(symbol(acc << (5 - bits)));
        }
        Ok(out)
    }

    /// Whether `id` is a well-formed id of this kind. Malformed ids are
    /// answered like unknown ones (404), so this never reveals anything.
    pub(crate) fn is_valid(self, id: &str) -> bool {
        id.strip_prefix(self.prefix()).is_some_and(|body| {
            body.len() == BODY_LEN && body.bytes().all(|b| ALPHABET.contains(&b))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_are_valid_distinct_and_prefixed() {
        let rng = faktura_crypto::OsRng;
        let a = IdKind::Company.generate(&rng).unwrap();
        let b = IdKind::Company.generate(&rng).unwrap();
        assert_ne!(a, b);
        assert!(a.starts_with("com_"));
        assert_eq!(a.len(), 4 + BODY_LEN);
        assert!(IdKind::Company.is_valid(&a));
        assert!(!IdKind::Login.is_valid(&a));
        assert!(!IdKind::Company.is_valid("com_../../etc"));
        assert!(!IdKind::Company.is_valid("com_"));
    }
}
