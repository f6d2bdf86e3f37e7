//! The three primitives everything else is built from, behind one small
//! wrapper each: XChaCha20-Poly1305 with an explicit nonce, HKDF-SHA256 and
//! HMAC-SHA256.
//!
//! These wrappers are what the Wycheproof suites run through. They stay
//! crate-private: callers get envelopes with random nonces instead, so a
//! nonce can never be chosen (or reused) outside this crate.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::secret::Key256;

/// Nonce length of XChaCha20-Poly1305 in bytes (192 bits: safe to draw at random).
pub(crate) const NONCE_LEN: usize = 24;
/// Tag length of Poly1305 in bytes.
pub(crate) const TAG_LEN: usize = 16;

/// Seals `plaintext` under `key` and `nonce`, authenticating `aad`.
/// Returns ciphertext followed by the 16-byte tag.
pub(crate) fn aead_seal(
    key: &Key256,
    nonce: &[u8; NONCE_LEN],
    aad: &[u8],
    plaintext: &[u8],
) -> Result<Vec<u8>> {
    let cipher = XChaCha20Poly1305::new(key.expose().into());
    cipher
        .encrypt(
            XNonce::from_slice(nonce),
            Payload {
                msg: plaintext,
                aad,
            },
        )
        .map_err(|_| Error::TooLarge {
            what: "plaintext",
            limit: usize::MAX,
        })
}

/// Opens what [`aead_seal`] produced; any failure is the one generic [`Error::Decrypt`].
pub(crate) fn aead_open(
    key: &Key256,
    nonce: &[u8; NONCE_LEN],
    aad: &[u8],
    sealed: &[u8],
) -> Result<Zeroizing<Vec<u8>>> {
    let cipher = XChaCha20Poly1305::new(key.expose().into());
    cipher
        .decrypt(XNonce::from_slice(nonce), Payload { msg: sealed, aad })
        .map(Zeroizing::new)
        .map_err(|_| Error::Decrypt)
}

/// HKDF-SHA256 (RFC 5869) with output length `len` (at most 8160 bytes).
pub(crate) fn hkdf_sha256(
    ikm: &[u8],
    salt: &[u8],
    info: &[u8],
    len: usize,
) -> Result<Zeroizing<Vec<u8>>> {
    let mut okm = Zeroizing::new(vec![0u8; len]);
    Hkdf::<Sha256>::new(Some(salt), ikm)
        .expand(info, &mut okm)
        .map_err(|_| Error::InvalidParameters("HKDF-SHA256 output is limited to 8160 bytes"))?;
    Ok(okm)
}

/// Derives a 256-bit subkey of `key` for the purpose named by `info`.
pub(crate) fn derive_key(key: &Key256, info: &[u8]) -> Result<Key256> {
    let okm = hkdf_sha256(key.expose(), b"faktura/v1", info, 32)?;
    Key256::from_slice(&okm)
}

/// HMAC-SHA256 of `msg` under `key` (any key length).
pub(crate) fn hmac_sha256(key: &[u8], msg: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of every length, so this never fails; the fallback
    // keeps the function total without a panic path.
    match <Hmac<Sha256> as Mac>::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(msg);
            mac.finalize().into_bytes().into()
        }
        Err(_) => [0u8; 32],
    }
}

/// Checks an HMAC-SHA256 tag, possibly truncated to at least 16 bytes, in
/// constant time (what a webhook check will do; today only the vectors use it).
#[cfg(test)]
pub(crate) fn hmac_sha256_verify(key: &[u8], msg: &[u8], tag: &[u8]) -> bool {
    let full = hmac_sha256(key, msg);
    if tag.len() < 16 {
        return false;
    }
    full.get(..tag.len())
        .is_some_and(|prefix| bool::from(subtle::ConstantTimeEq::ct_eq(prefix, tag)))
}

#[cfg(test)]
mod tests {
    //! Wycheproof suites through the wrappers above. Every test is run and
    //! must get its `result`; `acceptable` counts as either outcome, and the
    //! tests print which one the wrapper gave.

    use super::*;
    use serde::Deserialize;

    /// The shared vectors: `$FAKTURA_SHARED_DIR`, or a `shared/` folder beside
    /// any ancestor of this crate (the checkout sits next to `shared/`).
    fn vectors_dir() -> std::path::PathBuf {
        let shared = std::env::var_os("FAKTURA_SHARED_DIR")
            .map(std::path::PathBuf::from)
            .or_else(|| {
                std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                    .ancestors()
                    .map(|a| a.join("shared"))
                    .find(|s| s.join("vectors/wycheproof").is_dir())
            });
        shared
            .expect("shared/vectors not found: set FAKTURA_SHARED_DIR")
            .join("vectors/wycheproof")
    }

    #[derive(Deserialize)]
    struct Suite<T> {
        #[serde(rename = "testGroups")]
        groups: Vec<Group<T>>,
        #[serde(rename = "numberOfTests")]
        number_of_tests: usize,
    }

    #[derive(Deserialize)]
    struct Group<T> {
        tests: Vec<T>,
    }

    fn load<T: for<'de> Deserialize<'de>>(name: &str) -> Suite<T> {
        let path = vectors_dir().join(name);
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
        serde_json::from_str(&text).unwrap()
    }

    fn h(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// Checks one outcome against `result`; returns whether it was an `acceptable` case.
    fn judge(id: u64, result: &str, passed: bool) -> bool {
        match result {
            "valid" => assert!(passed, "tcId {id}: valid vector rejected"),
            "invalid" => assert!(!passed, "tcId {id}: invalid vector accepted"),
            "acceptable" => return true,
            other => panic!("tcId {id}: unknown result {other}"),
        }
        false
    }

    #[derive(Deserialize)]
    struct AeadTest {
        #[serde(rename = "tcId")]
        id: u64,
        key: String,
        iv: String,
        aad: String,
        msg: String,
        ct: String,
        tag: String,
        result: String,
    }

    #[test]
    fn wycheproof_xchacha20_poly1305() {
        let suite: Suite<AeadTest> = load("xchacha20_poly1305_test.json");
        let (mut run, mut acceptable) = (0, 0);
        for t in suite.groups.iter().flat_map(|g| &g.tests) {
            let (key, iv, aad, msg) = (h(&t.key), h(&t.iv), h(&t.aad), h(&t.msg));
            let mut expected = h(&t.ct);
            expected.extend(h(&t.tag));
            // A vector passes if our wrapper accepts the key and nonce, seals to
            // exactly ct||tag, and opens ct||tag back to msg.
            let passed = match (
                Key256::from_slice(&key),
                <[u8; NONCE_LEN]>::try_from(iv.as_slice()),
            ) {
                (Ok(key), Ok(nonce)) => {
                    let opened = aead_open(&key, &nonce, &aad, &expected);
                    let sealed = aead_seal(&key, &nonce, &aad, &msg).unwrap();
                    match opened {
                        Ok(pt) => sealed == expected && *pt == msg,
                        Err(_) => false,
                    }
                }
                _ => false,
            };
            acceptable += usize::from(judge(t.id, &t.result, passed));
            run += 1;
        }
        assert_eq!(run, suite.number_of_tests);
        println!(
            "xchacha20-poly1305: {run} vectors, {acceptable} acceptable (either outcome allowed)"
        );
    }

    #[derive(Deserialize)]
    struct HkdfTest {
        #[serde(rename = "tcId")]
        id: u64,
        ikm: String,
        salt: String,
        info: String,
        size: usize,
        okm: String,
        result: String,
    }

    #[test]
    fn wycheproof_hkdf_sha256() {
        let suite: Suite<HkdfTest> = load("hkdf_sha256_test.json");
        let (mut run, mut acceptable) = (0, 0);
        for t in suite.groups.iter().flat_map(|g| &g.tests) {
            let passed = match hkdf_sha256(&h(&t.ikm), &h(&t.salt), &h(&t.info), t.size) {
                Ok(okm) => *okm == h(&t.okm),
                Err(_) => false,
            };
            acceptable += usize::from(judge(t.id, &t.result, passed));
            run += 1;
        }
        assert_eq!(run, suite.number_of_tests);
        println!("hkdf-sha256: {run} vectors, {acceptable} acceptable");
    }

    #[derive(Deserialize)]
    struct HmacTest {
        #[serde(rename = "tcId")]
        id: u64,
        key: String,
        msg: String,
        tag: String,
        result: String,
    }

    #[test]
    fn wycheproof_hmac_sha256() {
        let suite: Suite<HmacTest> = load("hmac_sha256_test.json");
        let (mut run, mut acceptable) = (0, 0);
        for t in suite.groups.iter().flat_map(|g| &g.tests) {
            let passed = hmac_sha256_verify(&h(&t.key), &h(&t.msg), &h(&t.tag));
            acceptable += usize::from(judge(t.id, &t.result, passed));
            run += 1;
        }
        assert_eq!(run, suite.number_of_tests);
        println!("hmac-sha256: {run} vectors, {acceptable} acceptable");
    }
}
