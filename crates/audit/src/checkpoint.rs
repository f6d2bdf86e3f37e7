//! Signed checkpoints: C2SP `tlog-checkpoint` notes signed per C2SP `signed-note` with Ed25519.
//!
//! A checkpoint note reads
//!
//! ```text
//! <origin>
//! <tree size, decimal>
//! <root hash, standard base64>
//! time <microseconds since the Unix epoch>
//!
//! — <key name> <base64(key id[4] ‖ Ed25519 signature[64])>
//! ```
//!
//! The signature covers every line above the blank line, newlines included; the
//! `time` line is a checkpoint extension line. The key id is the first four bytes of
//! `SHA-256(name ‖ "\n" ‖ 0x01 ‖ public key)`. Public keys are exchanged as signed-note
//! verifier keys, `<name>+<key id hex>+<base64(0x01 ‖ public key)>`, so third-party
//! tools (Go's `note` package, `tlog_tiles`) can check Faktura's checkpoints.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use sha2::{Digest as _, Sha256};

use crate::{Error, Hash, Result};

/// Longest checkpoint note accepted, in bytes.
pub const MAX_NOTE_LEN: usize = 16 * 1024;
const ALG_ED25519: u8 = 0x01;
const SIG_PREFIX: &str = "\u{2014} ";

/// A signed tree head: the log of `origin` had `size` entries with Merkle root `root` at `time_us`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log's name, also the signing key's name.
    pub origin: String,
    /// Number of entries covered.
    pub size: u64,
    /// RFC 9162 root over the first `size` entry hashes.
    pub root: Hash,
    /// When the checkpoint was made, microseconds since the Unix epoch.
    pub time_us: i64,
}

impl Checkpoint {
    /// The signed body of the note (everything above the blank line).
    #[must_use]
    pub fn body(&self) -> String {
        format!(
            "{}\n{}\n{}\ntime {}\n",
            self.origin,
            self.size,
            B64.encode(self.root),
            self.time_us
        )
    }

    /// Signs the checkpoint and returns the full note text.
    ///
    /// # Errors
    /// [`Error::CheckpointFormat`] when the origin is not a valid key name or differs from the signer's.
    pub fn sign(&self, signer: &CheckpointSigner) -> Result<String> {
        check_name(&self.origin)?;
        if self.origin != signer.name {
            return Err(Error::CheckpointFormat(format!(
                "origin `{}` differs from the signing key's name `{}`",
                self.origin, signer.name
            )));
        }
        let body = self.body();
        let sig = signer.key.sign(body.as_bytes());
        let mut blob = Vec::with_capacity(68);
        blob.extend_from_slice(&signer.key_id);
        blob.extend_from_slice(&sig.to_bytes());
        Ok(format!(
            "{body}\n{SIG_PREFIX}{} {}\n",
            signer.name,
            B64.encode(blob)
        ))
    }

    /// Parses a note and checks that `verifier` signed it; returns the checkpoint.
    ///
    /// Signature lines by other keys are ignored, as signed-note prescribes; at least
    /// one line must carry a valid signature by `verifier`.
    ///
    /// # Errors
    /// [`Error::CheckpointFormat`] for a malformed note, [`Error::CheckpointSignature`] when
    /// no valid signature by `verifier` is present.
    pub fn verify_note(note: &str, verifier: &CheckpointVerifier) -> Result<Self> {
        if note.len() > MAX_NOTE_LEN {
            return Err(Error::CheckpointFormat(format!(
                "note is {} bytes, over the {MAX_NOTE_LEN}-byte limit",
                note.len()
            )));
        }
        let Some(split_at) = note.find("\n\n") else {
            return Err(Error::CheckpointFormat(
                "no blank line between the body and the signatures".into(),
            ));
        };
        let (body, sigs) = note.split_at(split_at + 1);
        let sigs = sigs.strip_prefix('\n').unwrap_or(sigs);
        let cp = Self::parse_body(body)?;
        if !sigs.ends_with('\n') {
            return Err(Error::CheckpointFormat(
                "signature block must end with a newline".into(),
            ));
        }
        let mut found = false;
        for line in sigs.lines() {
            let Some(rest) = line.strip_prefix(SIG_PREFIX) else {
                return Err(Error::CheckpointFormat(format!(
                    "signature line must start with an em dash and a space: `{}`",
                    line.chars().take(80).collect::<String>()
                )));
            };
            let Some((name, b64)) = rest.split_once(' ') else {
                return Err(Error::CheckpointFormat(
                    "signature line lacks a key name".into(),
                ));
            };
            let blob = B64
                .decode(b64)
                .map_err(|_| Error::CheckpointFormat("signature is not base64".into()))?;
            if name != verifier.name {
                continue;
            }
            let (id, sig) = blob.split_at_checked(4).ok_or_else(|| {
                Error::CheckpointFormat("signature shorter than its key id".into())
            })?;
            if id != verifier.key_id {
                continue;
            }
            verifier.verify_raw(body.as_bytes(), sig)?;
            found = true;
        }
        if !found {
            return Err(Error::CheckpointSignature(format!(
                "no signature line by key `{}` with id {}",
                verifier.name,
                hex(&verifier.key_id)
            )));
        }
        if cp.origin != verifier.name {
            return Err(Error::CheckpointSignature(format!(
                "checkpoint origin `{}` is not the key's log `{}`",
                cp.origin, verifier.name
            )));
        }
        Ok(cp)
    }

    fn parse_body(body: &str) -> Result<Self> {
        let mut lines = body.split_terminator('\n');
        let origin = lines.next().unwrap_or_default();
        check_name(origin)?;
        let size_text = lines.next().unwrap_or_default();
        let size = parse_decimal(size_text)?;
        let root_text = lines.next().unwrap_or_default();
        let root_bytes = B64
            .decode(root_text)
            .map_err(|_| Error::CheckpointFormat("root hash is not standard base64".into()))?;
        let root: Hash = root_bytes
            .as_slice()
            .try_into()
            .map_err(|_| Error::BadLength {
                what: "checkpoint root hash",
                expected: 32,
                got: root_bytes.len(),
            })?;
        let mut time_us = None;
        for ext in lines {
            if ext.is_empty() {
                return Err(Error::CheckpointFormat("empty extension line".into()));
            }
            if let Some(t) = ext.strip_prefix("time ") {
                if time_us.is_some() {
                    return Err(Error::CheckpointFormat("two time lines".into()));
                }
                time_us = Some(t.parse::<i64>().map_err(|_| {
                    Error::CheckpointFormat(format!("time `{t}` is not an integer"))
                })?);
            }
        }
        let time_us =
            time_us.ok_or_else(|| Error::CheckpointFormat("missing `time` line".into()))?;
        Ok(Self {
            origin: origin.to_owned(),
            size,
            root,
            time_us,
        })
    }
}

fn parse_decimal(text: &str) -> Result<u64> {
    let ok = !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_digit())
        && (text == "0" || !text.starts_with('0'))
        && text.len() <= 19;
    if !ok {
        return Err(Error::CheckpointFormat(format!(
            "tree size `{}` is not a canonical decimal",
            text.chars().take(32).collect::<String>()
        )));
    }
    text.parse::<u64>()
        .map_err(|_| Error::CheckpointFormat(format!("tree size `{text}` is out of range")))
}

fn check_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 256
        && name.chars().all(|c| c.is_ascii_graphic() && c != '+');
    if ok {
        Ok(())
    } else {
        Err(Error::CheckpointFormat(format!(
            "log/key name `{}` must be 1-256 printable ASCII characters without spaces or `+`",
            name.chars().take(64).collect::<String>()
        )))
    }
}

fn key_id(name: &str, public: &[u8; 32]) -> [u8; 4] {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update(b"\n");
    h.update([ALG_ED25519]);
    h.update(public);
    let d: [u8; 32] = h.finalize().into();
    [d[0], d[1], d[2], d[3]]
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The checkpoint signing key. Its `Debug` never shows key material.
pub struct CheckpointSigner {
    name: String,
    key: SigningKey,
    key_id: [u8; 4],
}

impl fmt::Debug for CheckpointSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CheckpointSigner")
            .field("name", &self.name)
            .field("key", &"[redacted]")
            .finish()
    }
}

impl CheckpointSigner {
    /// A signer for log `name` from a 32-byte Ed25519 seed (drawn by the caller from a CSPRNG).
    ///
    /// # Errors
    /// [`Error::CheckpointFormat`] when `name` is not a valid key name.
    pub fn from_seed(name: &str, seed: &[u8; 32]) -> Result<Self> {
        check_name(name)?;
        let key = SigningKey::from_bytes(seed);
        let key_id = key_id(name, key.verifying_key().as_bytes());
        Ok(Self {
            name: name.to_owned(),
            key,
            key_id,
        })
    }

    /// The log/key name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The matching verifier.
    #[must_use]
    pub fn verifier(&self) -> CheckpointVerifier {
        CheckpointVerifier {
            name: self.name.clone(),
            key: self.key.verifying_key(),
            key_id: self.key_id,
        }
    }

    /// The 32-byte seed, for the caller to seal and store. Handle as a secret.
    #[must_use]
    pub fn danger_seed_bytes(&self) -> [u8; 32] {
        self.key.to_bytes()
    }
}

/// A checkpoint public key with its log name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckpointVerifier {
    name: String,
    key: VerifyingKey,
    key_id: [u8; 4],
}

impl CheckpointVerifier {
    /// From a raw 32-byte Ed25519 public key.
    ///
    /// # Errors
    /// [`Error::CheckpointSignature`] when the bytes are not a valid point, or a bad name.
    pub fn from_public_bytes(name: &str, public: &[u8; 32]) -> Result<Self> {
        check_name(name)?;
        let key = VerifyingKey::from_bytes(public).map_err(|_| {
            Error::CheckpointSignature("public key is not a valid Ed25519 point".into())
        })?;
        Ok(Self {
            name: name.to_owned(),
            key,
            key_id: key_id(name, public),
        })
    }

    /// Parses a signed-note verifier key `<name>+<key id hex>+<base64(0x01 ‖ key)>`.
    ///
    /// # Errors
    /// [`Error::CheckpointFormat`] naming what is wrong with the text.
    pub fn parse(text: &str) -> Result<Self> {
        let text = text.trim();
        // The key data is base64 and may itself contain `+`: split at the first two only.
        let mut parts = text.splitn(3, '+');
        let (Some(name), Some(id_hex), Some(b64)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(Error::CheckpointFormat(
                "public key must read <name>+<key id hex>+<base64 key>".into(),
            ));
        };
        let raw = B64
            .decode(b64)
            .map_err(|_| Error::BadBase64 { what: "public key" })?;
        let Some((&ALG_ED25519, key)) = raw.split_first() else {
            return Err(Error::CheckpointFormat(
                "public key is not an Ed25519 key (type 0x01)".into(),
            ));
        };
        let key: [u8; 32] = key.try_into().map_err(|_| Error::BadLength {
            what: "Ed25519 public key",
            expected: 32,
            got: key.len(),
        })?;
        let v = Self::from_public_bytes(name, &key)?;
        if id_hex != hex(&v.key_id) {
            return Err(Error::CheckpointFormat(format!(
                "key id {id_hex} does not match the key (expected {}): the file is damaged",
                hex(&v.key_id)
            )));
        }
        Ok(v)
    }

    /// The log/key name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Verifies a raw Ed25519 signature over `msg`, strictly (no malleable or small-order forms).
    ///
    /// # Errors
    /// [`Error::CheckpointSignature`] when the signature is malformed or does not verify.
    pub fn verify_raw(&self, msg: &[u8], sig: &[u8]) -> Result<()> {
        let sig = Signature::from_slice(sig)
            .map_err(|_| Error::CheckpointSignature("signature is not 64 bytes".into()))?;
        self.key
            .verify_strict(msg, &sig)
            .map_err(|_| Error::CheckpointSignature("Ed25519 signature does not verify".into()))
    }
}

impl fmt::Display for CheckpointVerifier {
    /// The signed-note verifier key text.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut raw = Vec::with_capacity(33);
        raw.push(ALG_ED25519);
        raw.extend_from_slice(self.key.as_bytes());
        write!(f, "{}+{}+{}", self.name, hex(&self.key_id), B64.encode(raw))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signer() -> CheckpointSigner {
        CheckpointSigner::from_seed("faktura.example/audit", &[9; 32]).unwrap()
    }

    fn cp() -> Checkpoint {
        Checkpoint {
            origin: "faktura.example/audit".into(),
            size: 42,
            root: [3; 32],
            time_us: 17,
        }
    }

    #[test]
    fn sign_and_verify_round_trip() {
        let s = signer();
        let note = cp().sign(&s).unwrap();
        let v = CheckpointVerifier::parse(&s.verifier().to_string()).unwrap();
        assert_eq!(Checkpoint::verify_note(&note, &v).unwrap(), cp());
    }

    #[test]
    fn every_changed_byte_of_the_note_is_refused() {
        let s = signer();
        let v = s.verifier();
        let note = cp().sign(&s).unwrap();
        let bytes = note.as_bytes();
        for i in 0..bytes.len() {
            let mut b = bytes.to_vec();
            b[i] ^= 0x01;
            if let Ok(text) = String::from_utf8(b) {
                assert!(
                    Checkpoint::verify_note(&text, &v).is_err(),
                    "byte {i} flipped accepted"
                );
            }
        }
    }

    #[test]
    fn rekor_style_malformed_notes_are_refused() {
        let s = signer();
        let v = s.verifier();
        let good = cp().sign(&s).unwrap();
        let cases = [
            good.trim_end().to_owned(),
            good.replace("\n42\n", "\n-42\n"),
            good.replace("\n42\n", "\n042\n"),
            good.replace("\n42\n", "\n99999999999999999999\n"),
            good.replace("\n42\n", "\nforty\n"),
            good.replace("AwMD", "!!!!"),
            good.replace("\n\n", "\n"),
            good.replace("time 17\n", ""),
            String::new(),
            "x".repeat(MAX_NOTE_LEN + 1),
        ];
        for c in cases {
            assert!(Checkpoint::verify_note(&c, &v).is_err(), "accepted: {c:?}");
        }
        let other = CheckpointSigner::from_seed("faktura.example/audit", &[8; 32]).unwrap();
        assert!(Checkpoint::verify_note(&good, &other.verifier()).is_err());
        let renamed = CheckpointSigner::from_seed("other", &[9; 32]).unwrap();
        assert!(Checkpoint::verify_note(&good, &renamed.verifier()).is_err());
    }

    #[test]
    fn debug_redacts_the_key() {
        let text = format!("{:?}", signer());
        assert!(text.contains("[redacted]"));
        assert!(!text.contains("9, 9"));
    }

    #[test]
    fn verifier_key_text_round_trips_for_many_keys() {
        // Base64 key data often contains `+`; parsing must not split on it.
        for seed in 0..=255u8 {
            let s = CheckpointSigner::from_seed("faktura.example/audit", &[seed; 32]).unwrap();
            let text = s.verifier().to_string();
            assert_eq!(
                CheckpointVerifier::parse(&text).unwrap(),
                s.verifier(),
                "{text}"
            );
        }
    }

    #[test]
    fn verifier_key_text_damage_is_named() {
        let text = signer().verifier().to_string();
        let bad_id = text.replacen('+', "+0", 1);
        assert!(CheckpointVerifier::parse(&bad_id).is_err());
        assert!(CheckpointVerifier::parse("nonsense").is_err());
    }
}
