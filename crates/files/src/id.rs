//! File ids: generated, never chosen by a user, strictly parsed.
//!
//! A file id is `fil_` followed by the 128 random bits in lower-case RFC 4648
//! base32 without padding (26 characters of `a`-`z` and `2`-`7`). Parsing
//! accepts exactly the canonical spelling, so an id can never contain a path
//! separator, a dot or anything a file system or S3 would interpret.

use std::fmt;
use std::str::FromStr;

use faktura_crypto::SecureRng;

use crate::error::{Error, Result};

const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
const BODY_LEN: usize = 26;

/// The id of a stored file (`fil_` + 26 base32 characters of 128 random bits).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FileId(String);

impl FileId {
    /// The prefix every file id starts with.
    pub const PREFIX: &'static str = "fil_";
    /// The length of every file id in bytes.
    pub const LEN: usize = Self::PREFIX.len() + BODY_LEN;

    /// Draws a new file id from `rng` (128 random bits).
    pub fn generate(rng: &dyn SecureRng) -> Result<Self> {
        let mut bytes = [0u8; 16];
        rng.fill(&mut bytes)?;
        let value = u128::from_be_bytes(bytes);
        let mut id = String::with_capacity(Self::LEN);
        id.push_str(Self::PREFIX);
        for i in 0..BODY_LEN - 1 {
            // 25 symbols of 5 bits take the top 125 bits.
            id.push(symbol((value >> (123 - 5 * i)) as u8));
        }
        // The last symbol carries the low 3 bits, padded with two zero bits.
        id.push(symbol(((value & 0b111) << 2) as u8));
        Ok(Self(id))
    }

    /// Checks `text` strictly: the exact prefix, length and alphabet, and the
    /// canonical final character (its two padding bits zero).
    pub fn parse(text: &str) -> Result<Self> {
        let body = text
            .strip_prefix(Self::PREFIX)
            .ok_or(Error::InvalidFileId("it does not start with `fil_`"))?;
        if body.len() != BODY_LEN {
            return Err(Error::InvalidFileId(
                "it does not have 26 characters after `fil_`",
            ));
        }
        let mut last = 0u8;
        for b in body.bytes() {
            last = value_of(b).ok_or(Error::InvalidFileId(
                "it has a character outside a-z and 2-7",
            ))?;
        }
        if last & 0b11 != 0 {
            return Err(Error::InvalidFileId(
                "its last character is not the canonical encoding of 128 bits",
            ));
        }
        Ok(Self(text.to_owned()))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn symbol(five_bits: u8) -> char {
    ALPHABET
        .get(usize::from(five_bits & 31))
        .map_or('a', |b| char::from(*b))
}

fn value_of(b: u8) -> Option<u8> {
    match b {
        b'a'..=b'z' => Some(b - b'a'),
        b'2'..=b'7' => Some(b - b'2' + 26),
        _ => None,
    }
}

impl FromStr for FileId {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        Self::parse(s)
    }
}

impl fmt::Display for FileId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for FileId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FileId({})", self.0)
    }
}

impl AsRef<str> for FileId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use faktura_crypto::OsRng;

    #[test]
    fn generated_ids_parse_and_differ() {
        let mut seen = std::collections::HashSet::new();
        for _ in 0..1000 {
            let id = FileId::generate(&OsRng).unwrap();
            assert_eq!(id.as_str().len(), FileId::LEN);
            assert_eq!(FileId::parse(id.as_str()).unwrap(), id);
            assert!(seen.insert(id));
        }
    }

    #[test]
    fn encoding_is_rfc4648_base32() {
        // All-zero and all-one bits, independently of the generator.
        struct Fixed(u8);
        impl fmt::Debug for Fixed {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("Fixed")
            }
        }
        impl SecureRng for Fixed {
            fn fill(&self, dest: &mut [u8]) -> faktura_crypto::Result<()> {
                dest.fill(self.0);
                Ok(())
            }
        }
        assert_eq!(
            FileId::generate(&Fixed(0)).unwrap().as_str(),
            "fil_aaaaaaaaaaaaaaaaaaaaaaaaaa"
        );
        assert_eq!(
            FileId::generate(&Fixed(0xff)).unwrap().as_str(),
            format!("fil_{}4", "7".repeat(25))
        );
        // RFC 4648 test vector: base32("f") = "my" (+ padding); 0x66 then zeros.
        struct First;
        impl fmt::Debug for First {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("First")
            }
        }
        impl SecureRng for First {
            fn fill(&self, dest: &mut [u8]) -> faktura_crypto::Result<()> {
                dest.fill(0);
                dest[0] = b'f';
                Ok(())
            }
        }
        assert!(
            FileId::generate(&First)
                .unwrap()
                .as_str()
                .starts_with("fil_my")
        );
    }

    #[test]
    fn parse_is_strict() {
        let good = FileId::generate(&OsRng).unwrap();
        let body = &good.as_str()[4..];
        for bad in [
            String::new(),
            "fil_".into(),
            body.to_owned(),
            format!("FIL_{body}"),
            format!("fil_{}", body.to_uppercase()),
            format!("fil_{body}a"),
            format!("fil_{}", &body[1..]),
            format!("fil_../{}", &body[3..]),
            format!("fil_{}/", &body[..25]),
            format!("fil_{}\\", &body[..25]),
            format!("fil_{}.", &body[..25]),
            format!("fil_{}1", &body[..25]),
            format!("fil_{}\0", &body[..25]),
            format!("fil_{}é", &body[..24]),
            format!(" fil_{body}"),
            // Last character with non-zero padding bits.
            format!("fil_{}b", &body[..25]),
            format!("fil_{}7", &body[..25]),
        ] {
            assert!(FileId::parse(&bad).is_err(), "{bad:?} must be refused");
        }
        assert_eq!(
            format!("fil_{}e", &body[..25])
                .parse::<FileId>()
                .unwrap()
                .as_str()
                .len(),
            30
        );
    }
}
