//! Versioned AEAD envelopes for records, bound to the record's identity.
//!
//! Layout (format 1):
//!
//! ```text
//! [0]      format version (1)
//! [1]      algorithm (1 = XChaCha20-Poly1305)
//! [2..6]   data-key version, u32 big-endian
//! [6..30]  random 192-bit nonce
//! [30..]   ciphertext || 16-byte tag
//! ```
//!
//! The first six bytes and the [`RecordAad`] (table, row id, company id,
//! purpose) are authenticated, so a ciphertext copied to another row, table
//! or company, or relabelled with another key version, does not open.

use crate::error::{Error, Result};
use crate::primitive::{NONCE_LEN, TAG_LEN, aead_open, aead_seal};
use crate::rng::{SecureRng, random_array};
use crate::secret::Key256;

/// Format version of the envelope layout.
pub(crate) const ENVELOPE_FORMAT: u8 = 1;
/// Algorithm id of XChaCha20-Poly1305.
pub(crate) const ALG_XCHACHA20_POLY1305: u8 = 1;
/// Largest plaintext sealed in one envelope; larger files use [`crate::stream`].
pub const MAX_RECORD_PLAINTEXT: usize = 64 * 1024 * 1024;

const HEADER_LEN: usize = 6;

/// The identity of the record an envelope belongs to: its associated data.
///
/// Each field is length-prefixed in the encoding, so no two different
/// identities encode to the same bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordAad<'a> {
    /// The table (or file area) the record lives in.
    pub table: &'a str,
    /// The row's primary key, as text.
    pub row_id: &'a str,
    /// The owning company's id, as text.
    pub company_id: &'a str,
}

impl RecordAad<'_> {
    pub(crate) fn encode(&self, context: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(64);
        for part in [
            context,
            self.table.as_bytes(),
            self.row_id.as_bytes(),
            self.company_id.as_bytes(),
        ] {
            out.extend_from_slice(&u64::try_from(part.len()).unwrap_or(u64::MAX).to_be_bytes());
            out.extend_from_slice(part);
        }
        out
    }
}

/// Seals `plaintext` under `key`, labelled with `key_version`, bound to `aad`
/// and to `context` (the purpose label of the key).
pub(crate) fn seal(
    key: &Key256,
    key_version: u32,
    context: &[u8],
    aad: &RecordAad<'_>,
    plaintext: &[u8],
    rng: &dyn SecureRng,
) -> Result<Vec<u8>> {
    if plaintext.len() > MAX_RECORD_PLAINTEXT {
        return Err(Error::TooLarge {
            what: "record plaintext",
            limit: MAX_RECORD_PLAINTEXT,
        });
    }
    let nonce: [u8; NONCE_LEN] = random_array(rng)?;
    let [v0, v1, v2, v3] = key_version.to_be_bytes();
    let header: [u8; HEADER_LEN] = [ENVELOPE_FORMAT, ALG_XCHACHA20_POLY1305, v0, v1, v2, v3];
    let mut full_aad = header.to_vec();
    full_aad.extend(aad.encode(context));
    let body = aead_seal(key, &nonce, &full_aad, plaintext)?;
    let mut out = Vec::with_capacity(HEADER_LEN + NONCE_LEN + body.len());
    out.extend_from_slice(&header);
    out.extend_from_slice(&nonce);
    out.extend(body);
    Ok(out)
}

/// The data-key version an envelope names, to pick the key that opens it.
/// Any envelope that is not format 1 with a whole header is [`Error::Decrypt`].
pub fn envelope_key_version(envelope: &[u8]) -> Result<u32> {
    match envelope {
        [ENVELOPE_FORMAT, ALG_XCHACHA20_POLY1305, a, b, c, d, ..]
            if envelope.len() >= HEADER_LEN + NONCE_LEN + TAG_LEN =>
        {
            Ok(u32::from_be_bytes([*a, *b, *c, *d]))
        }
        _ => Err(Error::Decrypt),
    }
}

/// Opens an envelope made by [`seal`] with the same key, context and identity.
pub(crate) fn open(
    key: &Key256,
    context: &[u8],
    aad: &RecordAad<'_>,
    envelope: &[u8],
) -> Result<Vec<u8>> {
    envelope_key_version(envelope)?;
    let (header, rest) = envelope
        .split_at_checked(HEADER_LEN)
        .ok_or(Error::Decrypt)?;
    let (nonce, body) = rest.split_at_checked(NONCE_LEN).ok_or(Error::Decrypt)?;
    let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| Error::Decrypt)?;
    let mut full_aad = header.to_vec();
    full_aad.extend(aad.encode(context));
    let plain = aead_open(key, &nonce, &full_aad, body)?;
    Ok(plain.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::SeededRng;
    use proptest::prelude::*;

    const AAD: RecordAad<'static> = RecordAad {
        table: "invoice",
        row_id: "42",
        company_id: "7",
    };

    fn key(b: u8) -> Key256 {
        Key256::from_array([b; 32])
    }

    #[test]
    fn round_trip_and_identity_binding() {
        let rng = SeededRng::new(1);
        let env = seal(&key(1), 3, b"records", &AAD, b"hello", &rng).unwrap();
        assert_eq!(envelope_key_version(&env).unwrap(), 3);
        assert_eq!(open(&key(1), b"records", &AAD, &env).unwrap(), b"hello");
        for other in [
            RecordAad {
                table: "customer",
                ..AAD
            },
            RecordAad {
                row_id: "43",
                ..AAD
            },
            RecordAad {
                company_id: "8",
                ..AAD
            },
            // Length prefixes: shifting bytes between fields changes the identity.
            RecordAad {
                table: "invoice4",
                row_id: "2",
                ..AAD
            },
        ] {
            assert!(matches!(
                open(&key(1), b"records", &other, &env),
                Err(Error::Decrypt)
            ));
        }
        assert!(matches!(
            open(&key(1), b"files", &AAD, &env),
            Err(Error::Decrypt)
        ));
        assert!(matches!(
            open(&key(2), b"records", &AAD, &env),
            Err(Error::Decrypt)
        ));
    }

    #[test]
    fn relabelled_version_and_truncations_fail_generically() {
        let rng = SeededRng::new(2);
        let env = seal(&key(1), 1, b"r", &AAD, b"payload", &rng).unwrap();
        let mut relabelled = env.clone();
        relabelled[5] = 2;
        assert!(matches!(
            open(&key(1), b"r", &AAD, &relabelled),
            Err(Error::Decrypt)
        ));
        for len in [0, 1, HEADER_LEN, HEADER_LEN + NONCE_LEN, env.len() - 1] {
            assert!(
                matches!(open(&key(1), b"r", &AAD, &env[..len]), Err(Error::Decrypt)),
                "len {len}"
            );
        }
    }

    #[test]
    fn nonces_are_distinct() {
        let rng = crate::rng::OsRng;
        let mut seen = std::collections::HashSet::new();
        for _ in 0..10_000 {
            let env = seal(&key(1), 1, b"r", &AAD, b"same plaintext", &rng).unwrap();
            assert!(seen.insert(env[HEADER_LEN..HEADER_LEN + NONCE_LEN].to_vec()));
        }
    }

    #[test]
    fn oversized_plaintext_is_refused() {
        let big = vec![0u8; MAX_RECORD_PLAINTEXT + 1];
        assert!(matches!(
            seal(&key(1), 1, b"r", &AAD, &big, &SeededRng::new(0)),
            Err(Error::TooLarge { .. })
        ));
    }

    proptest! {
        #[test]
        fn any_bit_flip_fails(plain in proptest::collection::vec(any::<u8>(), 0..256), pos in any::<usize>(), bit in 0u8..8) {
            let rng = SeededRng::new(3);
            let env = seal(&key(9), 1, b"r", &AAD, &plain, &rng).unwrap();
            prop_assert_eq!(open(&key(9), b"r", &AAD, &env).unwrap(), plain);
            let mut bad = env;
            let i = pos % bad.len();
            bad[i] ^= 1 << bit;
            prop_assert!(matches!(open(&key(9), b"r", &AAD, &bad), Err(Error::Decrypt)));
        }

        #[test]
        fn wrong_key_or_aad_fails(plain in proptest::collection::vec(any::<u8>(), 0..64), k in 1u8..255, row in "[0-9]{1,4}") {
            let rng = SeededRng::new(4);
            let env = seal(&key(0), 1, b"r", &AAD, &plain, &rng).unwrap();
            prop_assert!(open(&key(k), b"r", &AAD, &env).is_err());
            if row != AAD.row_id {
                let other = RecordAad { row_id: &row, ..AAD };
                prop_assert!(open(&key(0), b"r", &other, &env).is_err());
            }
        }
    }
}
