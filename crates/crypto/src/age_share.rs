//! Share files encrypted to a custodian's age recipient (x25519 only).
//!
//! The plaintext inside is exactly the plain share file (`faktura-share v1`,
//! with its checksum), so a custodian can also decrypt it with the standard
//! tools (`age -d -i key.txt share-1-of-5-….txt.age`). The ciphertext is
//! ASCII-armoured (`-----BEGIN AGE ENCRYPTED FILE-----`); binary age files
//! are read too. Only native x25519 recipients (`age1…`) and identities
//! (`AGE-SECRET-KEY-1…`) are accepted: no passphrase (scrypt), SSH or plugin
//! stanzas, so a hostile file cannot demand scrypt work or run a plugin.

use std::fmt;
use std::io::Read as _;
use std::str::FromStr as _;

use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::share::{MAX_SHARE_FILE, Share};

/// First line of an ASCII-armoured age file.
const ARMOR_BEGIN: &str = "-----BEGIN AGE ENCRYPTED FILE-----";
/// First line of a binary age file.
const BINARY_MAGIC: &[u8] = b"age-encryption.org/v1\n";

/// Why an age share file did not open with the identities given. (A
/// `Malformed` reason rather than a variant of its own, so that matches over
/// [`Error`] elsewhere stay exhaustive.)
pub const WRONG_IDENTITY: &str = "none of the given age identities can decrypt it: it was encrypted to another custodian's recipient (give that custodian's identity file), or the file was altered";

/// A custodian's public age recipient (`age1…`, x25519).
#[derive(Clone)]
pub struct AgeRecipient(age::x25519::Recipient);

impl AgeRecipient {
    /// Parses an `age1…` recipient as printed by `age-keygen`.
    pub fn parse(text: &str) -> Result<Self> {
        age::x25519::Recipient::from_str(text.trim())
            .map(Self)
            .map_err(|_| Error::Malformed {
                what: "age recipient",
                reason: "an age recipient is `age1` followed by 58 bech32 characters, as printed by `age-keygen` (only x25519 recipients are supported, not SSH keys or plugins)",
            })
    }
}

impl fmt::Display for AgeRecipient {
    /// The `age1…` form (public).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl fmt::Debug for AgeRecipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AgeRecipient({})", self.0)
    }
}

impl PartialEq for AgeRecipient {
    fn eq(&self, other: &Self) -> bool {
        self.0.to_string() == other.0.to_string()
    }
}

impl Eq for AgeRecipient {}

/// Secret age identities (`AGE-SECRET-KEY-1…`), from one or more identity files.
#[derive(Clone, Default)]
pub struct AgeIdentities(Vec<age::x25519::Identity>);

impl fmt::Debug for AgeIdentities {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AgeIdentities({} [redacted])", self.0.len())
    }
}

impl AgeIdentities {
    /// No identities yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses the text of an age identity file (as written by `age-keygen`):
    /// `#` comments, blank lines and one `AGE-SECRET-KEY-1…` per line.
    pub fn parse(text: &str) -> Result<Self> {
        if text.len() > MAX_SHARE_FILE * 4 {
            return Err(Error::TooLarge {
                what: "age identity file",
                limit: MAX_SHARE_FILE * 4,
            });
        }
        let mut out = Vec::new();
        for line in text.lines().map(str::trim) {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let identity = age::x25519::Identity::from_str(line).map_err(|_| Error::Malformed {
                what: "age identity file",
                reason: "every line must be a comment (`#`) or an `AGE-SECRET-KEY-1…` identity as written by `age-keygen` (only x25519 identities are supported, not SSH keys or plugins)",
            })?;
            out.push(identity);
        }
        if out.is_empty() {
            return Err(Error::Malformed {
                what: "age identity file",
                reason: "it holds no `AGE-SECRET-KEY-1…` line",
            });
        }
        Ok(Self(out))
    }

    /// Adds the identities of another file.
    pub fn extend(&mut self, other: Self) {
        self.0.extend(other.0);
    }

    /// How many identities are loaded (not secret).
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether none are loaded.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The public recipient of each identity, in order.
    pub fn recipients(&self) -> Vec<AgeRecipient> {
        self.0.iter().map(|i| AgeRecipient(i.to_public())).collect()
    }
}

impl Share {
    /// The share file encrypted to `recipient`, ASCII-armoured. The plaintext
    /// inside is [`Share::to_text`]; the result holds no secret in the clear.
    pub fn to_age_text(&self, recipient: &AgeRecipient) -> Result<String> {
        let plain = self.to_text();
        age::encrypt_and_armor(&recipient.0, plain.expose_secret().as_bytes())
            .map_err(|_| Error::InvalidParameters("age encryption of the share file failed"))
    }

    /// Whether share file bytes are age-encrypted (armoured or binary), so the
    /// caller knows to ask for an identity.
    pub fn is_age(bytes: &[u8]) -> bool {
        let start = bytes
            .iter()
            .position(|b| !b.is_ascii_whitespace())
            .and_then(|i| bytes.get(i..))
            .unwrap_or_default();
        start.starts_with(ARMOR_BEGIN.as_bytes()) || start.starts_with(BINARY_MAGIC)
    }

    /// Decrypts an age-encrypted share file with any of `identities` and
    /// parses the plain share file inside.
    pub fn from_age(bytes: &[u8], identities: &AgeIdentities) -> Result<Self> {
        const WHAT: &str = "age-encrypted share file";
        if bytes.len() > MAX_SHARE_FILE {
            return Err(Error::TooLarge {
                what: WHAT,
                limit: MAX_SHARE_FILE,
            });
        }
        if !Self::is_age(bytes) {
            return Err(Error::Malformed {
                what: WHAT,
                reason: "it does not start with `-----BEGIN AGE ENCRYPTED FILE-----` or `age-encryption.org/v1`",
            });
        }
        if identities.is_empty() {
            return Err(Error::InvalidParameters(
                "this share file is age-encrypted: an age identity is required",
            ));
        }
        let damaged = || Error::Malformed {
            what: WHAT,
            reason: "the age header or payload is damaged, truncated or not x25519; ask its custodian for an intact copy",
        };
        let start = bytes
            .iter()
            .position(|b| !b.is_ascii_whitespace())
            .and_then(|i| bytes.get(i..))
            .unwrap_or_default();
        let decryptor = age::Decryptor::new_buffered(age::armor::ArmoredReader::new(start))
            .map_err(|_| damaged())?;
        let reader = decryptor
            .decrypt(identities.0.iter().map(|i| i as &dyn age::Identity))
            .map_err(|e| match e {
                age::DecryptError::NoMatchingKeys => Error::Malformed {
                    what: WHAT,
                    reason: WRONG_IDENTITY,
                },
                _ => damaged(),
            })?;
        let mut plain = Zeroizing::new(Vec::with_capacity(MAX_SHARE_FILE));
        reader
            .take(MAX_SHARE_FILE as u64 + 1)
            .read_to_end(&mut plain)
            .map_err(|_| damaged())?;
        let text = std::str::from_utf8(&plain).map_err(|_| Error::Malformed {
            what: WHAT,
            reason: "it decrypts to something that is not a share file",
        })?;
        if Self::is_encrypted_text(text) || Self::is_age(text.as_bytes()) {
            return Err(Error::Malformed {
                what: WHAT,
                reason: "it holds an encrypted share file inside; inside the age encryption must be a plain `faktura-share v1` file",
            });
        }
        Self::from_text(text, None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::RootKey;
    use crate::rng::SeededRng;
    use crate::share::{ShareParams, split_root_key};

    fn shares() -> Vec<Share> {
        let rng = SeededRng::new(11);
        let root = RootKey::generate(&rng).unwrap();
        split_root_key(&root, ShareParams::new(3, 2).unwrap(), &rng)
            .unwrap()
            .0
    }

    fn identity() -> (AgeIdentities, AgeRecipient) {
        let id = age::x25519::Identity::generate();
        let text = format!(
            "# created: test\n# public key: {}\n{}\n",
            id.to_public(),
            age::secrecy::ExposeSecret::expose_secret(&id.to_string())
        );
        let ids = AgeIdentities::parse(&text).unwrap();
        let recipient = ids.recipients().remove(0);
        (ids, recipient)
    }

    #[test]
    fn round_trip_with_the_right_identity_only() {
        let shares = shares();
        let (ids, recipient) = identity();
        let (other, _) = identity();
        let text = shares[1].to_age_text(&recipient).unwrap();
        assert!(text.starts_with(ARMOR_BEGIN));
        assert!(Share::is_age(text.as_bytes()));
        assert!(!Share::is_age(
            shares[1].to_text().expose_secret().as_bytes()
        ));
        assert!(!text.contains(shares[1].to_text().expose_secret().lines().nth(5).unwrap()));
        let back = Share::from_age(text.as_bytes(), &ids).unwrap();
        assert_eq!(
            back.to_text().expose_secret(),
            shares[1].to_text().expose_secret()
        );
        assert!(matches!(
            Share::from_age(text.as_bytes(), &other),
            Err(Error::Malformed {
                reason: WRONG_IDENTITY,
                ..
            })
        ));
        // Several identities: any one that matches decrypts.
        let mut both = other;
        both.extend(ids);
        assert_eq!(both.len(), 2);
        assert!(Share::from_age(text.as_bytes(), &both).is_ok());
        assert!(Share::from_age(text.as_bytes(), &AgeIdentities::new()).is_err());
    }

    #[test]
    fn binary_age_files_are_read_too() {
        let shares = shares();
        let (ids, recipient) = identity();
        let binary =
            age::encrypt(&recipient.0, shares[0].to_text().expose_secret().as_bytes()).unwrap();
        assert!(Share::is_age(&binary));
        assert_eq!(
            Share::from_age(&binary, &ids).unwrap().index(),
            shares[0].index()
        );
    }

    #[test]
    fn damage_and_nesting_are_refused_without_panic() {
        let shares = shares();
        let (ids, recipient) = identity();
        let text = shares[2].to_age_text(&recipient).unwrap();
        let mut refused = 0;
        for i in 0..text.len() {
            let mut bytes = text.clone().into_bytes();
            bytes[i] ^= 0x01;
            if Share::from_age(&bytes, &ids).is_err() {
                refused += 1;
            }
        }
        // Flipping the low bit of a line break or of padding-insensitive
        // characters can leave the decoded bytes intact; nearly all must fail.
        assert!(refused * 100 >= text.len() * 95, "{refused}/{}", text.len());
        for cut in [0, 10, 40, text.len() / 2, text.len() - 2] {
            assert!(Share::from_age(&text.as_bytes()[..cut], &ids).is_err());
        }
        assert!(Share::from_age(&vec![b'a'; MAX_SHARE_FILE + 1], &ids).is_err());
        // An age file whose content is not a plain share.
        let nested = age::encrypt_and_armor(&recipient.0, text.as_bytes()).unwrap();
        assert!(matches!(
            Share::from_age(nested.as_bytes(), &ids),
            Err(Error::Malformed { .. })
        ));
        let junk = age::encrypt_and_armor(&recipient.0, b"hello").unwrap();
        assert!(Share::from_age(junk.as_bytes(), &ids).is_err());
    }

    #[test]
    fn recipients_and_identity_files_are_checked() {
        let (ids, recipient) = identity();
        assert_eq!(
            AgeRecipient::parse(&format!(" {recipient}\n")).unwrap(),
            recipient
        );
        for bad in [
            "",
            "age1",
            "age1xyz",
            "ssh-ed25519 AAAA",
            "AGE-SECRET-KEY-1QQQ",
        ] {
            assert!(AgeRecipient::parse(bad).is_err(), "{bad}");
        }
        assert!(AgeIdentities::parse("").is_err());
        assert!(AgeIdentities::parse("# only a comment\n").is_err());
        assert!(AgeIdentities::parse(&recipient.to_string()).is_err());
        assert!(format!("{ids:?}").contains("redacted"));
        assert!(!format!("{ids:?}").contains("AGE-SECRET"));
    }
}
