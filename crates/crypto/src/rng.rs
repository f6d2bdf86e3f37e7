//! The injected source of randomness.
//!
//! Every key, nonce, salt and share coefficient comes from a `&dyn SecureRng`.
//! [`OsRng`] (the operating system's CSPRNG) is the only one for production;
//! [`SeededRng`] is deterministic and exists for tests and fuzzers.

use std::fmt;
use std::sync::{Mutex, PoisonError};

use hmac::{Hmac, Mac};
use rand_core::RngCore;
use sha2::Sha256;
use zeroize::Zeroize;

use crate::error::{Error, Result};

/// A cryptographically secure random number generator.
pub trait SecureRng: Send + Sync + fmt::Debug {
    /// Fills `dest` with random bytes, or fails (never returns weak bytes).
    fn fill(&self, dest: &mut [u8]) -> Result<()>;
}

/// The operating system's CSPRNG (`getrandom`): the one real [`SecureRng`].
#[derive(Debug, Clone, Copy, Default)]
pub struct OsRng;

impl SecureRng for OsRng {
    fn fill(&self, dest: &mut [u8]) -> Result<()> {
        rand_core::OsRng
            .try_fill_bytes(dest)
            .map_err(|_| Error::Rng)
    }
}

/// A deterministic generator (HMAC-SHA256 in counter mode over a seed).
///
/// For tests and fuzzers only: the same seed gives the same keys, so nothing
/// it produces is secret.
pub struct SeededRng(Mutex<(u64, [u8; 32])>);

impl SeededRng {
    /// A generator whose whole output is fixed by `seed`.
    pub fn new(seed: u64) -> Self {
        let mut key = [0u8; 32];
        let (head, _) = key.split_at_mut(8);
        head.copy_from_slice(&seed.to_be_bytes());
        Self(Mutex::new((0, key)))
    }
}

impl fmt::Debug for SeededRng {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SeededRng")
    }
}

impl SecureRng for SeededRng {
    fn fill(&self, dest: &mut [u8]) -> Result<()> {
        let mut state = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        for chunk in dest.chunks_mut(32) {
            let mut mac =
                <Hmac<Sha256> as Mac>::new_from_slice(&state.1).map_err(|_| Error::Rng)?;
            mac.update(&state.0.to_be_bytes());
            let mut block: [u8; 32] = mac.finalize().into_bytes().into();
            state.0 = state.0.wrapping_add(1);
            let n = chunk.len();
            chunk.copy_from_slice(block.get(..n).ok_or(Error::Rng)?);
            block.zeroize();
        }
        Ok(())
    }
}

/// Draws a random fixed-size array.
pub(crate) fn random_array<const N: usize>(rng: &dyn SecureRng) -> Result<[u8; N]> {
    let mut out = [0u8; N];
    rng.fill(&mut out)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_rng_is_deterministic_and_seed_dependent() {
        let (a, b, c) = (SeededRng::new(1), SeededRng::new(1), SeededRng::new(2));
        let mut x = [0u8; 70];
        let mut y = [0u8; 70];
        let mut z = [0u8; 70];
        a.fill(&mut x).unwrap();
        b.fill(&mut y).unwrap();
        c.fill(&mut z).unwrap();
        assert_eq!(x, y);
        assert_ne!(x, z);
        let mut next = [0u8; 70];
        a.fill(&mut next).unwrap();
        assert_ne!(x, next, "the stream must advance");
    }

    #[test]
    fn os_rng_gives_distinct_draws() {
        let a: [u8; 32] = random_array(&OsRng).unwrap();
        let b: [u8; 32] = random_array(&OsRng).unwrap();
        assert_ne!(a, b);
    }
}
