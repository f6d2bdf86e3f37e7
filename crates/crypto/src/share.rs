//! Split knowledge of the root key: share sets, share files and unsealing.
//!
//! A share set has a random 128-bit id. Each [`Share`] carries that id, its
//! index (x-coordinate), the threshold and a checksum, so a foreign,
//! duplicate or damaged share is rejected with a clear error before it is
//! used. The instance stores a [`ShareSetRecord`]: the set id, a digest of
//! every issued share and a check value (a known plaintext sealed under a key
//! derived from the root key and bound to the set id). After K shares are
//! combined the result is verified against the check value before use.
//!
//! Re-keying issues a new set (new id, new digests, new check value) for the
//! same root key; the old shares no longer match the instance. (Anyone who
//! kept K old shares still knows the root key: Shamir cannot revoke
//! knowledge, only rotation of the root key could.)

use std::fmt;

use argon2::{Algorithm, Argon2, Params, Version};
use base64ct::{Base64, Encoding};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::codec::{Reader, Writer, hex, unhex};
use crate::error::{Error, Result};
use crate::keys::RootKey;
use crate::primitive::{NONCE_LEN, aead_open, aead_seal, derive_key};
use crate::rng::{SecureRng, random_array};
use crate::secret::{Key256, SecretString};
use crate::shamir::{self, RawShare};

/// First line of a plain share file; the `v1` is the format version.
const PLAIN_MAGIC: &str = "faktura-share v1";
/// First line of a passphrase-encrypted share file.
const ENCRYPTED_MAGIC: &str = "faktura-share v1 encrypted";
/// Share files longer than this are refused unread.
pub const MAX_SHARE_FILE: usize = 4096;
const CHECK_PLAINTEXT: &[u8] = b"faktura root key check v1";
const RECORD_MAGIC: &[u8] = b"FKSS\x01";

/// How many shares to issue and how many unseal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShareParams {
    total: u8,
    threshold: u8,
}

impl ShareParams {
    /// `total` shares, any `threshold` of which unseal: 2 ≤ threshold ≤ total ≤ 255.
    pub fn new(total: u8, threshold: u8) -> Result<Self> {
        if threshold < 2 {
            return Err(Error::InvalidParameters(
                "the threshold must be at least 2 (a single share is only allowed with the development flag)",
            ));
        }
        if threshold > total {
            return Err(Error::InvalidParameters(
                "the threshold cannot exceed the number of shares",
            ));
        }
        Ok(Self { total, threshold })
    }

    /// One share that alone unseals: no split knowledge. Development only.
    pub fn danger_single_share() -> Self {
        Self {
            total: 1,
            threshold: 1,
        }
    }

    /// Number of shares issued.
    pub fn total(&self) -> u8 {
        self.total
    }

    /// Number of shares needed to unseal.
    pub fn threshold(&self) -> u8 {
        self.threshold
    }
}

impl Default for ShareParams {
    /// Three of five, as the security model asks.
    fn default() -> Self {
        Self {
            total: 5,
            threshold: 3,
        }
    }
}

/// The random id of one issued share set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ShareSetId([u8; 16]);

impl ShareSetId {
    /// Parses the 32 hex digits printed in share files.
    pub fn from_hex(text: &str) -> Result<Self> {
        unhex::<16>(text, "share set id").map(Self)
    }
}

impl fmt::Display for ShareSetId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex(&self.0))
    }
}

/// One custodian's share of the root key.
#[derive(Clone)]
pub struct Share {
    set_id: ShareSetId,
    index: u8,
    threshold: u8,
    total: u8,
    y: Zeroizing<[u8; 32]>,
}

impl fmt::Debug for Share {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Share")
            .field("set_id", &self.set_id)
            .field("index", &self.index)
            .field("threshold", &self.threshold)
            .field("total", &self.total)
            .field("data", &"[redacted]")
            .finish()
    }
}

/// Argon2id parameters for share-file passphrases (stronger than for logins,
/// since a share file is a high-value offline target).
const SHARE_KDF: (u32, u32, u32) = (65_536, 3, 1);

impl Share {
    /// The share set this share belongs to.
    pub fn set_id(&self) -> ShareSetId {
        self.set_id
    }

    /// The share's index (its public x-coordinate, 1..=255).
    pub fn index(&self) -> u8 {
        self.index
    }

    /// How many shares unseal.
    pub fn threshold(&self) -> u8 {
        self.threshold
    }

    /// How many shares were issued.
    pub fn total(&self) -> u8 {
        self.total
    }

    fn header(&self) -> String {
        format!(
            "set: {}\nindex: {}\nthreshold: {}\nshares: {}\n",
            self.set_id, self.index, self.threshold, self.total
        )
    }

    fn checksum(&self) -> [u8; 8] {
        let digest = Sha256::new()
            .chain_update(b"faktura-share-check-v1")
            .chain_update(self.set_id.0)
            .chain_update([self.index, self.threshold, self.total])
            .chain_update(*self.y)
            .finalize();
        let mut out = [0u8; 8];
        out.iter_mut().zip(digest.iter()).for_each(|(o, d)| *o = *d);
        out
    }

    /// The digest the instance stores to recognise this share (reveals nothing of it).
    fn digest(&self) -> [u8; 32] {
        Sha256::new()
            .chain_update(b"faktura-share-digest-v1")
            .chain_update(self.set_id.0)
            .chain_update([self.index])
            .chain_update(*self.y)
            .finalize()
            .into()
    }

    /// The plain share file text. It is secret: write it to a 0600 file, never print it.
    pub fn to_text(&self) -> SecretString {
        SecretString::new(format!(
            "{PLAIN_MAGIC}\n{}data: {}\ncheck: {}\n",
            self.header(),
            Base64::encode_string(&*self.y),
            hex(&self.checksum())
        ))
    }

    /// The share file encrypted to a custodian's passphrase (Argon2id + XChaCha20-Poly1305).
    pub fn to_encrypted_text(
        &self,
        passphrase: &SecretString,
        rng: &dyn SecureRng,
    ) -> Result<String> {
        let salt: [u8; 16] = random_array(rng)?;
        let nonce: [u8; NONCE_LEN] = random_array(rng)?;
        let (m, t, p) = SHARE_KDF;
        let key = passphrase_key(passphrase, &salt, m, t, p)?;
        let kdf = format!("argon2id m={m} t={t} p={p}");
        let aad = format!("{ENCRYPTED_MAGIC}\n{}kdf: {kdf}\n", self.header());
        let sealed = aead_seal(&key, &nonce, aad.as_bytes(), &*self.y)?;
        Ok(format!(
            "{aad}salt: {}\nnonce: {}\ndata: {}\n",
            Base64::encode_string(&salt),
            Base64::encode_string(&nonce),
            Base64::encode_string(&sealed)
        ))
    }

    /// Whether share file text is passphrase-encrypted (so the caller knows to ask for one).
    pub fn is_encrypted_text(text: &str) -> bool {
        text.lines().next().map(str::trim_end) == Some(ENCRYPTED_MAGIC)
    }

    /// Parses a share file; `passphrase` is needed for encrypted ones.
    pub fn from_text(text: &str, passphrase: Option<&SecretString>) -> Result<Self> {
        const WHAT: &str = "share file";
        if text.len() > MAX_SHARE_FILE {
            return Err(Error::TooLarge {
                what: "share file",
                limit: MAX_SHARE_FILE,
            });
        }
        let mut lines = text.lines().map(str::trim_end).filter(|l| !l.is_empty());
        let magic = lines.next().ok_or(Error::Malformed {
            what: WHAT,
            reason: "the file is empty",
        })?;
        let encrypted = match magic {
            PLAIN_MAGIC => false,
            ENCRYPTED_MAGIC => true,
            _ => {
                return Err(Error::Malformed {
                    what: WHAT,
                    reason: "the first line must be `faktura-share v1` (is this a Faktura share file of a supported version?)",
                });
            }
        };
        let mut field = |name: &'static str| -> Result<&str> {
            let line = lines.next().ok_or(Error::Malformed {
                what: WHAT,
                reason: "a line is missing",
            })?;
            line.strip_prefix(name)
                .and_then(|rest| rest.strip_prefix(": "))
                .ok_or(Error::Malformed {
                    what: WHAT,
                    reason: "lines are out of order or misnamed",
                })
        };
        let number = |text: &str| -> Result<u8> {
            text.parse::<u8>().map_err(|_| Error::Malformed {
                what: WHAT,
                reason: "index, threshold and shares must be numbers 1 to 255",
            })
        };
        let set_id = ShareSetId::from_hex(field("set")?)?;
        let index = number(field("index")?)?;
        let threshold = number(field("threshold")?)?;
        let total = number(field("shares")?)?;
        if index == 0 || threshold == 0 || threshold > total {
            return Err(Error::Malformed {
                what: WHAT,
                reason: "index must be 1 to 255 and the threshold at most the number of shares",
            });
        }
        let mut share = Self {
            set_id,
            index,
            threshold,
            total,
            y: Zeroizing::new([0u8; 32]),
        };
        let bad_b64 = || Error::Malformed {
            what: WHAT,
            reason: "a base64 field is damaged",
        };
        if encrypted {
            let kdf = field("kdf")?.to_owned();
            let (m, t, p) = parse_kdf(&kdf)?;
            let salt = Base64::decode_vec(field("salt")?).map_err(|_| bad_b64())?;
            let nonce: [u8; NONCE_LEN] = Base64::decode_vec(field("nonce")?)
                .ok()
                .and_then(|n| n.try_into().ok())
                .ok_or_else(bad_b64)?;
            let sealed = Base64::decode_vec(field("data")?).map_err(|_| bad_b64())?;
            let passphrase = passphrase.ok_or(Error::InvalidParameters(
                "this share file is encrypted: a passphrase is required",
            ))?;
            let key = passphrase_key(passphrase, &salt, m, t, p)?;
            let aad = format!("{ENCRYPTED_MAGIC}\n{}kdf: {kdf}\n", share.header());
            let plain = aead_open(&key, &nonce, aad.as_bytes(), &sealed)
                .map_err(|_| Error::SharePassphrase { index })?;
            share.y.copy_from_slice(
                plain
                    .get(..32)
                    .filter(|_| plain.len() == 32)
                    .ok_or(Error::CorruptShare { index })?,
            );
        } else {
            let data = Zeroizing::new(
                Base64::decode_vec(field("data")?).map_err(|_| Error::CorruptShare { index })?,
            );
            share.y.copy_from_slice(
                data.get(..32)
                    .filter(|_| data.len() == 32)
                    .ok_or(Error::CorruptShare { index })?,
            );
            let check = unhex::<8>(field("check")?, "share checksum")
                .map_err(|_| Error::CorruptShare { index })?;
            if !bool::from(check.ct_eq(&share.checksum())) {
                return Err(Error::CorruptShare { index });
            }
        }
        if lines.next().is_some() {
            return Err(Error::Malformed {
                what: WHAT,
                reason: "unexpected lines after the end",
            });
        }
        Ok(share)
    }
}

fn parse_kdf(text: &str) -> Result<(u32, u32, u32)> {
    let bad = || Error::Malformed {
        what: "share file",
        reason: "the kdf line must read `argon2id m=… t=… p=…` within safe bounds",
    };
    let rest = text.strip_prefix("argon2id ").ok_or_else(bad)?;
    let mut parts = rest.split(' ');
    let mut get = |name: &str| -> Result<u32> {
        parts
            .next()
            .and_then(|p| p.strip_prefix(name))
            .and_then(|v| v.parse().ok())
            .ok_or_else(bad)
    };
    let (m, t, p) = (get("m=")?, get("t=")?, get("p=")?);
    // Bounds keep a hostile file from demanding gigabytes or hours.
    if !(19_456..=1_048_576).contains(&m)
        || !(1..=16).contains(&t)
        || !(1..=8).contains(&p)
        || parts.next().is_some()
    {
        return Err(bad());
    }
    Ok((m, t, p))
}

fn passphrase_key(
    passphrase: &SecretString,
    salt: &[u8],
    m: u32,
    t: u32,
    p: u32,
) -> Result<Key256> {
    let params = Params::new(m, t, p, Some(32))
        .map_err(|_| Error::PasswordHash("invalid Argon2id parameters"))?;
    let mut out = Zeroizing::new([0u8; 32]);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(passphrase.expose_secret().as_bytes(), salt, &mut *out)
        .map_err(|_| Error::PasswordHash("Argon2id failed (is the salt at least 8 bytes?)"))?;
    Ok(Key256::from_array(*out))
}

/// What the instance stores about its current share set (no secret in it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShareSetRecord {
    set_id: ShareSetId,
    threshold: u8,
    total: u8,
    digests: Vec<(u8, [u8; 32])>,
    check: Vec<u8>,
}

impl ShareSetRecord {
    /// The current share set id.
    pub fn set_id(&self) -> ShareSetId {
        self.set_id
    }

    /// Shares needed to unseal.
    pub fn threshold(&self) -> u8 {
        self.threshold
    }

    /// Shares issued.
    pub fn total(&self) -> u8 {
        self.total
    }

    /// Serialised form for the store.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::new(RECORD_MAGIC);
        w.raw(&self.set_id.0).u8(self.threshold).u8(self.total);
        for (x, digest) in &self.digests {
            w.u8(*x).raw(digest);
        }
        w.bytes(&self.check).finish()
    }

    /// Parses what [`Self::to_bytes`] wrote.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let mut r = Reader::new(bytes, RECORD_MAGIC, "share set record")?;
        let set_id = ShareSetId(r.array()?);
        let threshold = r.u8()?;
        let total = r.u8()?;
        if threshold == 0 || threshold > total {
            return Err(Error::Malformed {
                what: "share set record",
                reason: "threshold out of range",
            });
        }
        let mut digests = Vec::with_capacity(usize::from(total));
        for _ in 0..total {
            digests.push((r.u8()?, r.array()?));
        }
        let check = r.bytes(256)?.to_vec();
        r.finish()?;
        Ok(Self {
            set_id,
            threshold,
            total,
            digests,
            check,
        })
    }

    fn check_key(root: &RootKey) -> Result<Key256> {
        derive_key(root.key(), b"root-check")
    }

    fn check_aad(set_id: &ShareSetId) -> Vec<u8> {
        [b"faktura/root-check/v1/".as_slice(), &set_id.0].concat()
    }

    /// Whether `root` is this instance's root key (constant-time in the key).
    pub fn verify_root(&self, root: &RootKey) -> Result<()> {
        let key = Self::check_key(root)?;
        let (nonce, sealed) = self
            .check
            .split_at_checked(NONCE_LEN)
            .ok_or(Error::RootKeyMismatch)?;
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| Error::RootKeyMismatch)?;
        let plain = aead_open(&key, &nonce, &Self::check_aad(&self.set_id), sealed)
            .map_err(|_| Error::RootKeyMismatch)?;
        if plain.as_slice() == CHECK_PLAINTEXT {
            Ok(())
        } else {
            Err(Error::RootKeyMismatch)
        }
    }
}

/// Splits `root` into a new share set: the shares for the custodians and the
/// record for the instance. Used at initialisation and for re-keying.
pub fn split_root_key(
    root: &RootKey,
    params: ShareParams,
    rng: &dyn SecureRng,
) -> Result<(Vec<Share>, ShareSetRecord)> {
    let set_id = ShareSetId(random_array(rng)?);
    let raw = shamir::split(root.key().expose(), params.total, params.threshold, rng)?;
    let mut shares = Vec::with_capacity(raw.len());
    for r in raw {
        let mut y = Zeroizing::new([0u8; 32]);
        y.copy_from_slice(
            r.y.get(..32)
                .ok_or(Error::InvalidParameters("root key must be 32 bytes"))?,
        );
        shares.push(Share {
            set_id,
            index: r.x,
            threshold: params.threshold,
            total: params.total,
            y,
        });
    }
    let nonce: [u8; NONCE_LEN] = random_array(rng)?;
    let sealed = aead_seal(
        &ShareSetRecord::check_key(root)?,
        &nonce,
        &ShareSetRecord::check_aad(&set_id),
        CHECK_PLAINTEXT,
    )?;
    let record = ShareSetRecord {
        set_id,
        threshold: params.threshold,
        total: params.total,
        digests: shares.iter().map(|s| (s.index, s.digest())).collect(),
        check: [nonce.as_slice(), &sealed].concat(),
    };
    Ok((shares, record))
}

/// How far unsealing has come.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnsealProgress {
    /// Distinct valid shares accepted so far.
    pub have: usize,
    /// Shares needed.
    pub need: usize,
}

/// Collects shares one custodian at a time and recombines the root key.
///
/// Every share is checked on entry (set id, known index, stored digest, not a
/// duplicate), so a bad one is named at once and does not count.
#[derive(Debug)]
pub struct Unsealer {
    record: ShareSetRecord,
    shares: Vec<Share>,
}

impl Unsealer {
    /// Starts unsealing against the instance's current share set.
    pub fn new(record: ShareSetRecord) -> Self {
        Self {
            record,
            shares: Vec::new(),
        }
    }

    /// Offers one share; refused shares leave the state unchanged.
    pub fn add(&mut self, share: Share) -> Result<UnsealProgress> {
        if share.set_id != self.record.set_id {
            return Err(Error::ForeignShare {
                index: share.index,
                found: share.set_id.to_string(),
                expected: self.record.set_id.to_string(),
            });
        }
        if self.shares.iter().any(|s| s.index == share.index) {
            return Err(Error::DuplicateShare { index: share.index });
        }
        let digest = share.digest();
        let known = self
            .record
            .digests
            .iter()
            .any(|(x, d)| *x == share.index && bool::from(d.ct_eq(&digest)));
        if !known || share.threshold != self.record.threshold || share.total != self.record.total {
            return Err(Error::CorruptShare { index: share.index });
        }
        self.shares.push(share);
        Ok(self.progress())
    }

    /// Shares accepted and needed.
    pub fn progress(&self) -> UnsealProgress {
        UnsealProgress {
            have: self.shares.len(),
            need: usize::from(self.record.threshold),
        }
    }

    /// Recombines and verifies the root key; fails unless the threshold is met.
    pub fn finish(self) -> Result<RootKey> {
        let progress = self.progress();
        if progress.have < progress.need {
            return Err(Error::NotEnoughShares {
                have: progress.have,
                need: progress.need,
            });
        }
        let raw: Vec<RawShare> = self
            .shares
            .iter()
            .take(progress.need)
            .map(|s| RawShare {
                x: s.index,
                y: Zeroizing::new(s.y.to_vec()),
            })
            .collect();
        let secret = shamir::combine(&raw)?;
        let root = RootKey::from_key(Key256::from_slice(&secret)?);
        self.record.verify_root(&root)?;
        Ok(root)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::SeededRng;

    fn setup(params: ShareParams) -> (RootKey, Vec<Share>, ShareSetRecord) {
        let rng = SeededRng::new(5);
        let root = RootKey::generate(&rng).unwrap();
        let (shares, record) = split_root_key(&root, params, &rng).unwrap();
        (root, shares, record)
    }

    #[test]
    fn every_subset_of_three_of_five_behaves() {
        let (root, shares, record) = setup(ShareParams::default());
        let mut ok = 0;
        let mut refused = 0;
        for mask in 1u32..32 {
            let mut u = Unsealer::new(record.clone());
            for (i, s) in shares.iter().enumerate() {
                if mask & (1 << i) != 0 {
                    u.add(s.clone()).unwrap();
                }
            }
            if mask.count_ones() >= 3 {
                assert_eq!(u.finish().unwrap().key().expose(), root.key().expose());
                ok += 1;
            } else {
                assert!(matches!(u.finish(), Err(Error::NotEnoughShares { .. })));
                refused += 1;
            }
        }
        assert_eq!((ok, refused), (16, 15));
    }

    #[test]
    fn duplicate_foreign_and_edited_shares_are_refused() {
        let (_, shares, record) = setup(ShareParams::default());
        let (_, other_shares, _) = setup(ShareParams::new(5, 3).unwrap());
        let mut u = Unsealer::new(record);
        u.add(shares[0].clone()).unwrap();
        assert!(matches!(
            u.add(shares[0].clone()),
            Err(Error::DuplicateShare { .. })
        ));
        // Same seed gives the same set id, so make a truly foreign set.
        let rng = SeededRng::new(99);
        let (foreign, _) = split_root_key(
            &RootKey::generate(&rng).unwrap(),
            ShareParams::default(),
            &rng,
        )
        .unwrap();
        assert!(matches!(
            u.add(foreign[1].clone()),
            Err(Error::ForeignShare { .. })
        ));
        let mut edited = shares[1].clone();
        edited.y[0] ^= 1;
        assert!(matches!(u.add(edited), Err(Error::CorruptShare { .. })));
        assert_eq!(u.progress().have, 1, "refused shares do not count");
        drop(other_shares);
    }

    #[test]
    fn forged_consistent_shares_fail_the_check_value() {
        let (_, shares, mut record) = setup(ShareParams::default());
        // An attacker who can also rewrite the stored digests still cannot
        // pass the check value with altered share data.
        let mut forged: Vec<Share> = shares[..3].to_vec();
        forged[2].y[5] ^= 0x40;
        record.digests = forged.iter().map(|s| (s.index, s.digest())).collect();
        let mut u = Unsealer::new(record);
        for s in forged {
            u.add(s).unwrap();
        }
        assert!(matches!(u.finish(), Err(Error::RootKeyMismatch)));
    }

    #[test]
    fn share_files_round_trip_and_reject_damage() {
        let (_, shares, _) = setup(ShareParams::default());
        let text = shares[2].to_text();
        let parsed = Share::from_text(text.expose_secret(), None).unwrap();
        assert_eq!(parsed.y, shares[2].y);
        assert_eq!(parsed.index(), shares[2].index());
        // Change one base64 character of the data line.
        let damaged: String = text
            .expose_secret()
            .lines()
            .map(|l| {
                if let Some(d) = l.strip_prefix("data: ") {
                    format!(
                        "data: {}{}\n",
                        if d.starts_with('A') { 'B' } else { 'A' },
                        &d[1..]
                    )
                } else {
                    format!("{l}\n")
                }
            })
            .collect();
        assert!(matches!(
            Share::from_text(&damaged, None),
            Err(Error::CorruptShare { .. })
        ));
        assert!(Share::from_text("hello", None).is_err());
        assert!(Share::from_text(&"x".repeat(MAX_SHARE_FILE + 1), None).is_err());
        let zero_index = text
            .expose_secret()
            .replace(&format!("index: {}\n", shares[2].index()), "index: 0\n");
        assert!(Share::from_text(&zero_index, None).is_err());
        let other_index = text.expose_secret().replace(
            &format!("index: {}\n", shares[2].index()),
            &format!("index: {}\n", shares[2].index() ^ 1),
        );
        assert!(
            matches!(
                Share::from_text(&other_index, None),
                Err(Error::CorruptShare { .. })
            ),
            "the checksum covers the index"
        );
    }

    #[test]
    fn encrypted_share_files_need_the_passphrase() {
        let (_, shares, _) = setup(ShareParams::default());
        let rng = SeededRng::new(8);
        let pass = SecretString::from("correct horse battery staple");
        let text = shares[0].to_encrypted_text(&pass, &rng).unwrap();
        assert!(Share::is_encrypted_text(&text));
        assert!(!text.contains(&Base64::encode_string(&*shares[0].y)));
        assert_eq!(Share::from_text(&text, Some(&pass)).unwrap().y, shares[0].y);
        assert!(matches!(
            Share::from_text(&text, Some(&SecretString::from("wrong"))),
            Err(Error::SharePassphrase { .. })
        ));
        assert!(Share::from_text(&text, None).is_err());
        let relabelled = text.replace(&format!("index: {}", shares[0].index()), "index: 200");
        if shares[0].index() != 200 {
            assert!(
                Share::from_text(&relabelled, Some(&pass)).is_err(),
                "the header is authenticated"
            );
        }
        let greedy = text.replace("m=65536", "m=4194304");
        assert!(
            Share::from_text(&greedy, Some(&pass)).is_err(),
            "hostile KDF parameters are refused"
        );
    }

    #[test]
    fn params_are_checked() {
        assert!(ShareParams::new(5, 1).is_err());
        assert!(ShareParams::new(2, 3).is_err());
        assert!(ShareParams::new(255, 255).is_ok());
        let (root, shares, record) = setup(ShareParams::danger_single_share());
        let mut u = Unsealer::new(record);
        u.add(shares[0].clone()).unwrap();
        assert_eq!(u.finish().unwrap().key().expose(), root.key().expose());
    }

    #[test]
    fn record_round_trips_and_rekey_invalidates_old_shares() {
        let (root, shares, record) = setup(ShareParams::default());
        assert_eq!(
            ShareSetRecord::from_bytes(&record.to_bytes()).unwrap(),
            record
        );
        assert!(ShareSetRecord::from_bytes(&record.to_bytes()[..10]).is_err());
        let (new_shares, new_record) =
            split_root_key(&root, ShareParams::new(4, 2).unwrap(), &crate::rng::OsRng).unwrap();
        let mut u = Unsealer::new(new_record.clone());
        assert!(matches!(
            u.add(shares[0].clone()),
            Err(Error::ForeignShare { .. })
        ));
        u.add(new_shares[0].clone()).unwrap();
        u.add(new_shares[3].clone()).unwrap();
        assert_eq!(u.finish().unwrap().key().expose(), root.key().expose());
        // The old check value does not verify under the new set id.
        let mut mixed = new_record;
        mixed.check = record.check;
        assert!(mixed.verify_root(&root).is_err());
    }
}
