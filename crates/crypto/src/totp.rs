//! Time-based one-time passwords (RFC 6238) for the optional second factor.
//!
//! HMAC-SHA1, 6 digits, 30-second steps: the parameters every authenticator
//! app implements. (HMAC-SHA1 is a PRF here; SHA-1's collision weakness does
//! not apply to HMAC, and this is the only use of SHA-1 in Faktura.) The seed
//! has 160 bits from the injected [`SecureRng`] and lives in a zeroizing
//! type; enrolment shows it as unpadded RFC 4648 base32 and as an
//! `otpauth://` URI, both returned as [`SecretString`].
//!
//! [`TotpSeed::verify`] accepts the steps now−1, now and now+1 (one step of
//! clock drift either way) and refuses any step at or before the last one
//! the account used, so a code cannot be replayed, even within its window.
//! All three candidate codes are computed and compared in constant time on
//! every call. Where the seed and the last used step are stored (sealed, in
//! the database) is the caller's business; this module does no I/O.

use std::fmt;

use hmac::{Hmac, Mac};
use sha1::Sha1;
use subtle::{ConditionallySelectable, ConstantTimeEq};
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::rng::SecureRng;
use crate::secret::SecretString;

/// Seed length of new enrolments: 160 bits, as RFC 4226 recommends.
pub const TOTP_SEED_LEN: usize = 20;
/// Seconds per step.
pub const TOTP_PERIOD: u64 = 30;
/// Digits per code.
pub const TOTP_DIGITS: u32 = 6;
/// Shortest seed accepted from storage (160 bits).
const MIN_SEED_LEN: usize = 20;
/// Longest seed accepted from storage (the HMAC-SHA1 block size).
const MAX_SEED_LEN: usize = 64;
/// Presented codes longer than this are refused unread.
const MAX_CODE_INPUT: usize = 32;

/// A TOTP seed (the shared secret between the server and the authenticator).
#[derive(Clone)]
pub struct TotpSeed(Zeroizing<Vec<u8>>);

impl fmt::Debug for TotpSeed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TotpSeed([redacted])")
    }
}

impl TotpSeed {
    /// A fresh 160-bit seed.
    pub fn generate(rng: &dyn SecureRng) -> Result<Self> {
        let mut seed = Zeroizing::new(vec![0u8; TOTP_SEED_LEN]);
        rng.fill(&mut seed)?;
        Ok(Self(seed))
    }

    /// A seed read back from storage (after unsealing): 20 to 64 bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        if !(MIN_SEED_LEN..=MAX_SEED_LEN).contains(&bytes.len()) {
            return Err(Error::Malformed {
                what: "TOTP seed",
                reason: "a TOTP seed is 20 to 64 bytes (at least 160 bits)",
            });
        }
        Ok(Self(Zeroizing::new(bytes.to_vec())))
    }

    /// The raw seed, to seal for storage. Call only at the moment of use.
    pub fn expose_secret(&self) -> &[u8] {
        &self.0
    }

    /// The seed as unpadded RFC 4648 base32, for typing into an authenticator.
    pub fn to_base32(&self) -> SecretString {
        SecretString::new(base32_encode(&self.0))
    }

    /// The enrolment URI (for a QR code):
    /// `otpauth://totp/Faktura:<label>?secret=…&issuer=Faktura&algorithm=SHA1&digits=6&period=30`,
    /// with `label` (usually the account's e-mail address) percent-encoded.
    pub fn otpauth_uri(&self, label: &str) -> SecretString {
        let mut uri = Zeroizing::new(String::with_capacity(128 + label.len() * 3));
        uri.push_str("otpauth://totp/Faktura:");
        percent_encode_into(label, &mut uri);
        uri.push_str("?secret=");
        uri.push_str(self.to_base32().expose_secret());
        uri.push_str(&format!(
            "&issuer=Faktura&algorithm=SHA1&digits={TOTP_DIGITS}&period={TOTP_PERIOD}"
        ));
        SecretString::new(std::mem::take(&mut *uri))
    }

    /// The time step of `unix_seconds`.
    pub fn step_at(unix_seconds: u64) -> u64 {
        unix_seconds / TOTP_PERIOD
    }

    /// The code for `unix_seconds` (what the authenticator shows then).
    pub fn code_at(&self, unix_seconds: u64) -> SecretString {
        SecretString::new(self.code_for_step(Self::step_at(unix_seconds), TOTP_DIGITS))
    }

    /// Checks a presented code at `now_unix` (the server's clock).
    ///
    /// Returns `Ok(Some(step))` for a valid code of step now−1, now or now+1
    /// that is later than `last_used_step`; store `step` as the new last used
    /// step in the same transaction that completes the login. Returns
    /// `Ok(None)` for a wrong, expired or replayed code (deliberately one
    /// answer) and `Err(Malformed)` for input that is not six digits (spaces
    /// are ignored, as authenticators group the digits).
    pub fn verify(
        &self,
        code: &str,
        now_unix: u64,
        last_used_step: Option<u64>,
    ) -> Result<Option<u64>> {
        self.verify_digits(code, now_unix, last_used_step, TOTP_DIGITS)
    }

    fn verify_digits(
        &self,
        code: &str,
        now_unix: u64,
        last_used_step: Option<u64>,
        digits: u32,
    ) -> Result<Option<u64>> {
        let bad = Error::Malformed {
            what: "TOTP code",
            reason: "a one-time code is the 6 digits the authenticator app shows",
        };
        if code.len() > MAX_CODE_INPUT {
            return Err(bad);
        }
        let presented: Zeroizing<Vec<u8>> =
            Zeroizing::new(code.bytes().filter(|b| !b.is_ascii_whitespace()).collect());
        if presented.len() != digits as usize || !presented.iter().all(u8::is_ascii_digit) {
            return Err(bad);
        }
        let now = Self::step_at(now_unix);
        // Candidate steps are public; which one matched is the secret part.
        let mut accepted = 0u64;
        let mut found = subtle::Choice::from(0);
        for step in [now.checked_sub(1), Some(now), now.checked_add(1)]
            .into_iter()
            .flatten()
        {
            let expected = Zeroizing::new(self.code_for_step(step, digits));
            let allowed = last_used_step.is_none_or(|last| step > last);
            let matches = expected.as_bytes().ct_eq(&presented)
                & subtle::Choice::from(u8::from(allowed))
                & !found;
            accepted = u64::conditional_select(&accepted, &step, matches);
            found |= matches;
        }
        Ok(bool::from(found).then_some(accepted))
    }

    /// HOTP (RFC 4226) with dynamic truncation, as `digits` decimal digits.
    fn code_for_step(&self, step: u64, digits: u32) -> String {
        let Ok(mut mac) = <Hmac<Sha1> as Mac>::new_from_slice(&self.0) else {
            // HMAC takes keys of any length; this branch cannot be taken.
            return String::new();
        };
        mac.update(&step.to_be_bytes());
        let digest = Zeroizing::new(<[u8; 20]>::from(mac.finalize().into_bytes()));
        let [.., last] = *digest;
        let offset = usize::from(last & 0x0f);
        let mut word = [0u8; 4];
        word.iter_mut()
            .zip(digest.iter().skip(offset))
            .for_each(|(w, d)| *w = *d);
        let binary = u32::from_be_bytes(word) & 0x7fff_ffff;
        let modulus = 10u32.saturating_pow(digits);
        format!("{:0width$}", binary % modulus, width = digits as usize)
    }
}

/// RFC 4648 base32 without padding, without a lookup table indexed by secret data.
fn base32_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let mut buffer = 0u32;
    let mut bits = 0u32;
    for &byte in bytes {
        buffer = (buffer << 8) | u32::from(byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(base32_char(
                u8::try_from((buffer >> bits) & 31).unwrap_or(0),
            ));
        }
        buffer &= (1 << bits) - 1;
    }
    if bits > 0 {
        out.push(base32_char(
            u8::try_from((buffer << (5 - bits)) & 31).unwrap_or(0),
        ));
    }
    zeroize::Zeroize::zeroize(&mut buffer);
    out
}

/// `A`–`Z` for 0–25, `2`–`7` for 26–31, branch-free.
fn base32_char(v: u8) -> char {
    let v = i16::from(v);
    // (25 - v) >> 8 is -1 (all ones) when v > 25, else 0.
    let above = (25 - v) >> 8;
    let c = v + i16::from(b'A') + (above & (i16::from(b'2') - i16::from(b'A') - 26));
    char::from(u8::try_from(c).unwrap_or(b'?'))
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
fn percent_encode_into(text: &str, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push('%');
            out.push(char::from(
                HEX.get(usize::from(byte >> 4)).copied().unwrap_or(b'0'),
            ));
            out.push(char::from(
                HEX.get(usize::from(byte & 15)).copied().unwrap_or(b'0'),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{OsRng, SeededRng};

    /// RFC 6238 appendix B, SHA-1 column (seed "12345678901234567890", 8 digits).
    const RFC6238_SHA1: [(u64, &str); 6] = [
        (59, "94287082"),
        (1_111_111_109, "07081804"),
        (1_111_111_111, "14050471"),
        (1_234_567_890, "89005924"),
        (2_000_000_000, "69279037"),
        (20_000_000_000, "65353130"),
    ];

    fn rfc_seed() -> TotpSeed {
        TotpSeed::from_bytes(b"12345678901234567890").unwrap()
    }

    #[test]
    fn rfc6238_appendix_b_sha1_vectors() {
        let seed = rfc_seed();
        for (time, code) in RFC6238_SHA1 {
            assert_eq!(
                seed.code_for_step(TotpSeed::step_at(time), 8),
                code,
                "T={time}"
            );
            // Every vector also verifies through the public path at 8 digits…
            assert_eq!(
                seed.verify_digits(code, time, None, 8).unwrap(),
                Some(TotpSeed::step_at(time))
            );
            // …and its last six digits are the 6-digit code (RFC 4226 truncation).
            assert_eq!(seed.code_at(time).expose_secret(), &code[2..]);
        }
    }

    #[test]
    fn window_is_plus_minus_one_step() {
        let seed = TotpSeed::generate(&OsRng).unwrap();
        let now = 1_800_000_015u64;
        let step = TotpSeed::step_at(now);
        for (offset, accepted) in [(-2i64, false), (-1, true), (0, true), (1, true), (2, false)] {
            let then = now.checked_add_signed(offset * 30).unwrap();
            let code = seed.code_at(then);
            let got = seed.verify(code.expose_secret(), now, None).unwrap();
            if accepted {
                assert_eq!(
                    got,
                    Some(step.checked_add_signed(offset).unwrap()),
                    "offset {offset}"
                );
            } else {
                // A code of ±2 steps could equal a ±1 code only by a 1e-6 coincidence.
                assert_eq!(got, None, "offset {offset}");
            }
        }
    }

    #[test]
    fn replay_is_refused() {
        let seed = TotpSeed::generate(&SeededRng::new(3)).unwrap();
        let now = 1_700_000_000u64;
        let code = seed.code_at(now);
        let used = seed
            .verify(code.expose_secret(), now, None)
            .unwrap()
            .unwrap();
        assert_eq!(
            seed.verify(code.expose_secret(), now, Some(used)).unwrap(),
            None
        );
        // Still refused 20 s later, while the code would otherwise be in its window.
        assert_eq!(
            seed.verify(code.expose_secret(), now + 20, Some(used))
                .unwrap(),
            None
        );
        // An older step's code after a newer one was used is refused as well.
        let older = seed.code_at(now - 30);
        assert_eq!(
            seed.verify(older.expose_secret(), now, Some(used)).unwrap(),
            None
        );
        // The next step's code is accepted.
        let next = seed.code_at(now + 30);
        assert_eq!(
            seed.verify(next.expose_secret(), now + 30, Some(used))
                .unwrap(),
            Some(used + 1)
        );
    }

    #[test]
    fn wrong_and_malformed_codes() {
        let seed = TotpSeed::generate(&OsRng).unwrap();
        let now = 1_750_000_000u64;
        let good = seed.code_at(now);
        let good = good.expose_secret();
        let wrong: String = good
            .chars()
            .enumerate()
            .map(|(i, c)| {
                if i == 3 {
                    char::from(b'0' + ((c as u8 - b'0' + 1) % 10))
                } else {
                    c
                }
            })
            .collect();
        let wrong_verdict = seed.verify(&wrong, now, None).unwrap();
        assert!(wrong_verdict.is_none() || wrong_verdict != Some(TotpSeed::step_at(now)));
        let spaced = format!("{} {}", &good[..3], &good[3..]);
        assert!(seed.verify(&spaced, now, None).unwrap().is_some());
        for bad in [
            "",
            "12345",
            "1234567",
            "12345a",
            "１２３４５６",
            "-12345",
            "+123456",
            "12 34 5",
            &"1".repeat(10_000),
            "\u{0}23456",
            "123456\u{0}",
        ] {
            assert!(
                matches!(seed.verify(bad, now, None), Err(Error::Malformed { .. })),
                "{bad:?}"
            );
        }
        // Time 0 has no previous step; the edge does not underflow.
        assert!(
            seed.verify(seed.code_at(0).expose_secret(), 0, None)
                .unwrap()
                == Some(0)
        );
        assert!(seed.verify(good, u64::MAX, None).is_ok());
    }

    #[test]
    fn seeds_base32_and_uri() {
        let seed = TotpSeed::generate(&OsRng).unwrap();
        assert_eq!(seed.expose_secret().len(), 20, "160-bit seed");
        assert_ne!(
            seed.expose_secret(),
            TotpSeed::generate(&OsRng).unwrap().expose_secret()
        );
        assert!(format!("{seed:?}").contains("redacted"));
        assert!(TotpSeed::from_bytes(&[1; 19]).is_err());
        assert!(TotpSeed::from_bytes(&[1; 65]).is_err());
        // RFC 4648 section 10 vectors, unpadded.
        for (plain, encoded) in [
            ("", ""),
            ("f", "MY"),
            ("fo", "MZXQ"),
            ("foo", "MZXW6"),
            ("foob", "MZXW6YQ"),
            ("fooba", "MZXW6YTB"),
            ("foobar", "MZXW6YTBOI"),
        ] {
            assert_eq!(base32_encode(plain.as_bytes()), encoded);
        }
        assert_eq!(
            rfc_seed().to_base32().expose_secret(),
            "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
        );
        for v in 0..32u8 {
            let c = base32_char(v);
            assert_eq!(
                c,
                char::from(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"[usize::from(v)])
            );
        }
        assert_eq!(
            rfc_seed()
                .otpauth_uri("anna.müller+1@example.com")
                .expose_secret(),
            "otpauth://totp/Faktura:anna.m%C3%BCller%2B1%40example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Faktura&algorithm=SHA1&digits=6&period=30"
        );
        assert_eq!(
            rfc_seed().otpauth_uri("a:b/c?d&e").expose_secret(),
            "otpauth://totp/Faktura:a%3Ab%2Fc%3Fd%26e?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Faktura&algorithm=SHA1&digits=6&period=30"
        );
    }
}
