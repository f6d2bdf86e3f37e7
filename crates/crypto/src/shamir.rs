//! Shamir's secret sharing over GF(2^8), in constant time.
//!
//! Each byte of the secret is the constant term of its own random
//! polynomial of degree K−1; share `x` holds the polynomials' values at `x`.
//! The field arithmetic has no table lookups and no branches on secret data
//! (multiplication is shift-and-add with masks, the inverse is `a^254`), in
//! the manner of HashiCorp Vault's constant-time Shamir (PR #19495). The
//! x-coordinates are public; they are drawn at random from 1..=255
//! (OpenBao's hardening) rather than 1..=N.
//!
//! This module knows nothing of share files or instances: see [`crate::share`].

use zeroize::{Zeroize, Zeroizing};

use crate::error::{Error, Result};
use crate::rng::SecureRng;

/// Multiplication in GF(2^8) modulo x^8 + x^4 + x^3 + x + 1 (0x11B), branch-free.
pub(crate) fn gf_mul(a: u8, b: u8) -> u8 {
    let (mut a, mut b, mut product) = (a, b, 0u8);
    for _ in 0..8 {
        // Add `a` when the low bit of `b` is set: mask is 0xFF or 0x00.
        product ^= a & 0u8.wrapping_sub(b & 1);
        // Multiply `a` by x, reducing when the high bit falls off.
        let carry = 0u8.wrapping_sub(a >> 7);
        a = (a << 1) ^ (0x1B & carry);
        b >>= 1;
    }
    product
}

/// Multiplicative inverse as `a^254` (so `gf_inv(0) == 0`), a fixed sequence of multiplications.
pub(crate) fn gf_inv(a: u8) -> u8 {
    // a^254 = a^(2+4+8+16+32+64+128)
    let mut result = 1u8;
    let mut square = a;
    for _ in 0..7 {
        square = gf_mul(square, square);
        result = gf_mul(result, square);
    }
    result
}

/// One raw share: a public x-coordinate and the secret y-values (one per secret byte).
#[derive(Clone)]
pub(crate) struct RawShare {
    pub(crate) x: u8,
    pub(crate) y: Zeroizing<Vec<u8>>,
}

impl std::fmt::Debug for RawShare {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RawShare {{ x: {}, y: [redacted] }}", self.x)
    }
}

/// Splits `secret` into `n` shares, any `k` of which recombine it.
///
/// Requires 1 ≤ k ≤ n ≤ 255 (k = 1 copies the secret into each share; the
/// public API only allows it behind an explicit development flag).
pub(crate) fn split(secret: &[u8], n: u8, k: u8, rng: &dyn SecureRng) -> Result<Vec<RawShare>> {
    if k == 0 || k > n {
        return Err(Error::InvalidParameters(
            "the threshold must be between 1 and the number of shares",
        ));
    }
    if secret.is_empty() {
        return Err(Error::InvalidParameters("the secret to split is empty"));
    }
    let xs = distinct_x_coordinates(n, rng)?;
    // coefficients[byte][degree - 1]: fresh random coefficients for every byte.
    let degree = usize::from(k - 1);
    let mut coefficients = Zeroizing::new(vec![0u8; secret.len() * degree]);
    rng.fill(&mut coefficients)?;
    let mut shares: Vec<RawShare> = xs
        .iter()
        .map(|&x| RawShare {
            x,
            y: Zeroizing::new(Vec::with_capacity(secret.len())),
        })
        .collect();
    for (i, &constant) in secret.iter().enumerate() {
        let row = coefficients
            .get(i * degree..(i + 1) * degree)
            .unwrap_or(&[]);
        for share in &mut shares {
            // Horner's rule from the highest coefficient down to the constant.
            let mut acc = 0u8;
            for &c in row.iter().rev() {
                acc = gf_mul(acc, share.x) ^ c;
            }
            acc = gf_mul(acc, share.x) ^ constant;
            share.y.push(acc);
        }
    }
    Ok(shares)
}

/// `n` distinct non-zero x-coordinates drawn at random (public values).
fn distinct_x_coordinates(n: u8, rng: &dyn SecureRng) -> Result<Vec<u8>> {
    let mut taken = [false; 256];
    let mut xs = Vec::with_capacity(usize::from(n));
    let mut draws = 0u32;
    while xs.len() < usize::from(n) {
        let mut byte = [0u8; 1];
        rng.fill(&mut byte)?;
        let [x] = byte;
        draws += 1;
        if draws > 100_000 {
            return Err(Error::Rng);
        }
        if let Some(slot) = taken.get_mut(usize::from(x))
            && x != 0
            && !*slot
        {
            *slot = true;
            xs.push(x);
        }
    }
    Ok(xs)
}

/// Recombines the secret from shares by Lagrange interpolation at x = 0.
///
/// The caller supplies exactly the shares to use (at least the threshold);
/// x-coordinates must be distinct and non-zero and y-values of equal length.
/// With fewer than the threshold the result is unrelated to the secret;
/// detecting that is the job of the check value in [`crate::share`].
pub(crate) fn combine(shares: &[RawShare]) -> Result<Zeroizing<Vec<u8>>> {
    let first = shares
        .first()
        .ok_or(Error::NotEnoughShares { have: 0, need: 1 })?;
    let len = first.y.len();
    let mut seen = [false; 256];
    for share in shares {
        if share.y.len() != len {
            return Err(Error::InvalidParameters("shares have different lengths"));
        }
        match seen.get_mut(usize::from(share.x)) {
            Some(slot) if share.x != 0 && !*slot => *slot = true,
            _ => return Err(Error::DuplicateShare { index: share.x }),
        }
    }
    // Lagrange basis at 0: l_i = Π_{j≠i} x_j / (x_i ⊕ x_j). Only public x-values are involved.
    let mut basis = Vec::with_capacity(shares.len());
    for (i, si) in shares.iter().enumerate() {
        let mut num = 1u8;
        let mut den = 1u8;
        for (j, sj) in shares.iter().enumerate() {
            if i != j {
                num = gf_mul(num, sj.x);
                den = gf_mul(den, si.x ^ sj.x);
            }
        }
        basis.push(gf_mul(num, gf_inv(den)));
    }
    let mut secret = Zeroizing::new(vec![0u8; len]);
    for (share, &l) in shares.iter().zip(&basis) {
        for (out, &y) in secret.iter_mut().zip(share.y.iter()) {
            *out ^= gf_mul(y, l);
        }
    }
    basis.zeroize();
    Ok(secret)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::SeededRng;
    use proptest::prelude::*;

    /// Reference multiplication with branches, for cross-checking only.
    fn slow_mul(a: u8, b: u8) -> u8 {
        let mut p = 0u16;
        for i in 0..8 {
            if b & (1 << i) != 0 {
                p ^= u16::from(a) << i;
            }
        }
        for i in (8..16).rev() {
            if p & (1 << i) != 0 {
                p ^= 0x11B << (i - 8);
            }
        }
        p as u8
    }

    #[test]
    fn field_known_answers() {
        // FIPS-197 section 4.2: {57} • {83} = {c1}, {57} • {13} = {fe}.
        assert_eq!(gf_mul(0x57, 0x83), 0xc1);
        assert_eq!(gf_mul(0x57, 0x13), 0xfe);
        // FIPS-197 inverse examples used by the AES S-box: {53}^-1 = {ca}.
        assert_eq!(gf_inv(0x53), 0xca);
        assert_eq!(gf_inv(0), 0);
        for a in 0..=255u8 {
            for b in 0..=255u8 {
                assert_eq!(gf_mul(a, b), slow_mul(a, b));
            }
            if a != 0 {
                assert_eq!(gf_mul(a, gf_inv(a)), 1, "inverse of {a}");
            }
        }
    }

    #[test]
    fn known_answer_two_of_two() {
        // Hand-computed: secret 0x42 with coefficient 0x05 gives f(x) = 0x42 ⊕ 0x05·x.
        // f(1) = 0x47, f(2) = 0x42 ⊕ 0x0a = 0x48.
        let shares = [
            RawShare {
                x: 1,
                y: Zeroizing::new(vec![0x47]),
            },
            RawShare {
                x: 2,
                y: Zeroizing::new(vec![0x48]),
            },
        ];
        assert_eq!(*combine(&shares).unwrap(), vec![0x42]);
    }

    #[test]
    fn interpolation_recovers_every_intercept() {
        for secret in 0..=255u8 {
            let rng = SeededRng::new(u64::from(secret));
            let shares = split(&[secret], 3, 2, &rng).unwrap();
            assert_eq!(*combine(&shares[1..]).unwrap(), vec![secret]);
        }
    }

    #[test]
    fn every_ordered_three_of_five_recombines() {
        let secret: Vec<u8> = (0..32).collect();
        let shares = split(&secret, 5, 3, &SeededRng::new(7)).unwrap();
        let mut count = 0;
        for a in 0..5 {
            for b in 0..5 {
                for c in 0..5 {
                    if a != b && b != c && a != c {
                        let pick = [shares[a].clone(), shares[b].clone(), shares[c].clone()];
                        assert_eq!(*combine(&pick).unwrap(), secret);
                        count += 1;
                    }
                }
            }
        }
        assert_eq!(count, 60);
    }

    #[test]
    fn parameters_and_inputs_are_checked() {
        let rng = SeededRng::new(1);
        assert!(split(b"s", 2, 3, &rng).is_err());
        assert!(split(b"s", 2, 0, &rng).is_err());
        assert!(split(b"", 2, 2, &rng).is_err());
        let shares = split(b"secret", 3, 2, &rng).unwrap();
        let xs: std::collections::HashSet<u8> = shares.iter().map(|s| s.x).collect();
        assert_eq!(xs.len(), 3);
        assert!(!xs.contains(&0));
        assert!(matches!(
            combine(&[shares[0].clone(), shares[0].clone()]),
            Err(Error::DuplicateShare { .. })
        ));
        let mut short = shares[1].clone();
        short.y.pop();
        assert!(combine(&[shares[0].clone(), short]).is_err());
        assert!(combine(&[]).is_err());
        let all = split(b"s", 255, 255, &rng).unwrap();
        assert_eq!(*combine(&all).unwrap(), b"s".to_vec());
    }

    #[test]
    fn below_threshold_shares_are_independent_of_the_secret() {
        // With K = 3, any 2 shares are uniformly distributed whatever the
        // secret. Split all-0x00 and all-0xFF many times with the same x's and
        // compare the byte histograms of share pairs: both must look uniform.
        let n_trials = 4000;
        let mut hist = [[0u32; 256]; 2];
        for (s, secret) in [[0u8; 8], [0xFFu8; 8]].iter().enumerate() {
            let rng = SeededRng::new(1000 + s as u64);
            for _ in 0..n_trials {
                let shares = split(secret, 5, 3, &rng).unwrap();
                for share in &shares[..2] {
                    for &b in share.y.iter() {
                        hist[s][usize::from(b)] += 1;
                    }
                }
            }
        }
        // Chi-squared against uniform, 255 degrees of freedom; the 0.001
        // critical value is about 330.5.
        for h in &hist {
            let total: u32 = h.iter().sum();
            let expected = f64::from(total) / 256.0;
            let chi2: f64 = h
                .iter()
                .map(|&o| (f64::from(o) - expected).powi(2) / expected)
                .sum();
            assert!(chi2 < 330.5, "chi2 {chi2}");
        }
    }

    proptest! {
        #[test]
        fn any_k_of_n_reconstruct_and_k_minus_one_do_not(
            secret in proptest::collection::vec(any::<u8>(), 32),
            n in 2u8..8, k_off in 0u8..6, seed in any::<u64>(), pick_seed in any::<u64>()
        ) {
            let k = 2 + k_off % (n - 1);
            let shares = split(&secret, n, k, &SeededRng::new(seed)).unwrap();
            prop_assert_eq!(shares.len(), usize::from(n));
            // A pseudo-random subset of size k, in pseudo-random order.
            let mut idx: Vec<usize> = (0..usize::from(n)).collect();
            let mut state = pick_seed;
            for i in (1..idx.len()).rev() {
                state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                idx.swap(i, (state >> 33) as usize % (i + 1));
            }
            let chosen: Vec<RawShare> = idx[..usize::from(k)].iter().map(|&i| shares[i].clone()).collect();
            prop_assert_eq!(&*combine(&chosen).unwrap(), &secret);
            let fewer = &chosen[..usize::from(k) - 1];
            // K−1 shares interpolate to some value; for a 256-bit secret it
            // equals the secret only with probability 2^-256.
            prop_assert_ne!(&*combine(fewer).unwrap(), &secret);
        }
    }
}
