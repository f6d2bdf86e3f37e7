//! Argon2id password hashing in PHC string format.
//!
//! Parameters default to OWASP's recommendation (m = 19 MiB, t = 2, p = 1);
//! [`PasswordHasher::needs_rehash`] tells the login path to re-hash a stored
//! value made with weaker parameters or another algorithm after a
//! successful check. Passwords are capped at 1 KiB so a request cannot make
//! hashing arbitrarily expensive.

use std::fmt;

use argon2::password_hash::{
    PasswordHash as PhcHash, PasswordHasher as _, PasswordVerifier as _, SaltString,
};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::error::{Error, Result};
use crate::rng::{SecureRng, random_array};
use crate::secret::SecretString;

/// Longest password accepted, in bytes.
pub const MAX_PASSWORD_LEN: usize = 1024;

/// A stored password hash: a PHC string such as `$argon2id$v=19$m=19456,t=2,p=1$…`.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(String);

impl PasswordHash {
    /// Wraps a PHC string read from the store (checked when used).
    pub fn from_phc(phc: impl Into<String>) -> Self {
        Self(phc.into())
    }

    /// The PHC string to store.
    pub fn as_phc(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PasswordHash {
    /// Shows the parameters but not the salt and hash, which would help an offline attack.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let params: Vec<&str> = self.0.split('$').take(4).collect();
        write!(f, "PasswordHash({}$…)", params.join("$"))
    }
}

/// Argon2id cost parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordParams {
    /// Memory in KiB.
    pub memory_kib: u32,
    /// Passes.
    pub iterations: u32,
    /// Lanes.
    pub parallelism: u32,
}

impl PasswordParams {
    /// OWASP Password Storage Cheat Sheet: Argon2id, m = 19 MiB, t = 2, p = 1.
    pub const OWASP: Self = Self {
        memory_kib: 19_456,
        iterations: 2,
        parallelism: 1,
    };
}

impl Default for PasswordParams {
    fn default() -> Self {
        Self::OWASP
    }
}

/// Hashes and verifies passwords with fixed Argon2id parameters.
#[derive(Debug, Clone)]
pub struct PasswordHasher {
    params: PasswordParams,
    argon2: Argon2<'static>,
}

impl PasswordHasher {
    /// A hasher with `params`; refuses parameters below the OWASP minimum.
    pub fn new(params: PasswordParams) -> Result<Self> {
        let o = PasswordParams::OWASP;
        if params.memory_kib < o.memory_kib
            || params.iterations < o.iterations
            || params.parallelism < 1
        {
            return Err(Error::InvalidParameters(
                "Argon2id parameters below OWASP's minimum (m=19456, t=2, p=1)",
            ));
        }
        let p = Params::new(
            params.memory_kib,
            params.iterations,
            params.parallelism,
            None,
        )
        .map_err(|_| Error::PasswordHash("Argon2id rejected the parameters"))?;
        Ok(Self {
            params,
            argon2: Argon2::new(Algorithm::Argon2id, Version::V0x13, p),
        })
    }

    fn check_len(password: &SecretString) -> Result<()> {
        if password.expose_secret().len() > MAX_PASSWORD_LEN {
            return Err(Error::TooLarge {
                what: "password",
                limit: MAX_PASSWORD_LEN,
            });
        }
        Ok(())
    }

    /// Hashes a password with a fresh 128-bit salt.
    pub fn hash(&self, password: &SecretString, rng: &dyn SecureRng) -> Result<PasswordHash> {
        Self::check_len(password)?;
        let salt_bytes: [u8; 16] = random_array(rng)?;
        let salt = SaltString::encode_b64(&salt_bytes)
            .map_err(|_| Error::PasswordHash("salt encoding failed"))?;
        let phc = self
            .argon2
            .hash_password(password.expose_secret().as_bytes(), &salt)
            .map_err(|_| Error::PasswordHash("Argon2id hashing failed"))?;
        Ok(PasswordHash(phc.to_string()))
    }

    /// Whether `password` matches `stored` (constant-time comparison inside).
    /// Uses the parameters recorded in `stored`, so old hashes still verify.
    pub fn verify(&self, password: &SecretString, stored: &PasswordHash) -> Result<bool> {
        Self::check_len(password)?;
        let parsed = PhcHash::new(&stored.0).map_err(|_| Error::Malformed {
            what: "password hash",
            reason: "not a PHC string",
        })?;
        if parsed.algorithm.as_str() != "argon2id" {
            return Err(Error::Malformed {
                what: "password hash",
                reason: "only argon2id hashes are accepted",
            });
        }
        Ok(Argon2::default()
            .verify_password(password.expose_secret().as_bytes(), &parsed)
            .is_ok())
    }

    /// Whether `stored` should be re-hashed with this hasher's parameters
    /// (another algorithm or version, or any cost parameter lower).
    pub fn needs_rehash(&self, stored: &PasswordHash) -> bool {
        let Ok(parsed) = PhcHash::new(&stored.0) else {
            return true;
        };
        if parsed.algorithm.as_str() != "argon2id" || parsed.version != Some(0x13) {
            return true;
        }
        let Ok(p) = Params::try_from(&parsed) else {
            return true;
        };
        p.m_cost() < self.params.memory_kib
            || p.t_cost() < self.params.iterations
            || p.p_cost() < self.params.parallelism
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::SeededRng;

    #[test]
    fn hash_verify_and_rehash() {
        let rng = SeededRng::new(1);
        let hasher = PasswordHasher::new(PasswordParams::OWASP).unwrap();
        let pw = SecretString::from("correct horse battery staple");
        let stored = hasher.hash(&pw, &rng).unwrap();
        assert!(
            stored
                .as_phc()
                .starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{}",
            stored.as_phc()
        );
        assert!(hasher.verify(&pw, &stored).unwrap());
        assert!(
            !hasher
                .verify(&SecretString::from("correct horse battery stapl"), &stored)
                .unwrap()
        );
        assert!(!hasher.needs_rehash(&stored));
        // Same password, new salt: a different string.
        assert_ne!(hasher.hash(&pw, &rng).unwrap(), stored);

        let stronger = PasswordHasher::new(PasswordParams {
            memory_kib: 32_768,
            ..PasswordParams::OWASP
        })
        .unwrap();
        assert!(stronger.needs_rehash(&stored));
        assert!(
            stronger.verify(&pw, &stored).unwrap(),
            "old parameters still verify"
        );
        assert!(stronger.needs_rehash(&PasswordHash::from_phc(
            "$argon2i$v=19$m=65536,t=3,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"
        )));
        assert!(stronger.needs_rehash(&PasswordHash::from_phc("garbage")));
        assert!(
            hasher
                .verify(&pw, &PasswordHash::from_phc("garbage"))
                .is_err()
        );
    }

    #[test]
    fn weak_params_and_huge_passwords_are_refused() {
        assert!(
            PasswordHasher::new(PasswordParams {
                memory_kib: 4096,
                ..PasswordParams::OWASP
            })
            .is_err()
        );
        assert!(
            PasswordHasher::new(PasswordParams {
                iterations: 1,
                ..PasswordParams::OWASP
            })
            .is_err()
        );
        let hasher = PasswordHasher::new(PasswordParams::OWASP).unwrap();
        let huge = SecretString::new("x".repeat(MAX_PASSWORD_LEN + 1));
        assert!(matches!(
            hasher.hash(&huge, &SeededRng::new(1)),
            Err(Error::TooLarge { .. })
        ));
    }

    #[test]
    fn debug_hides_salt_and_hash() {
        let stored = PasswordHasher::new(PasswordParams::OWASP)
            .unwrap()
            .hash(&SecretString::from("pw-marker"), &SeededRng::new(2))
            .unwrap();
        let shown = format!("{stored:?}");
        let hash_part = stored.as_phc().rsplit('$').next().unwrap();
        assert!(!shown.contains(hash_part));
        assert!(shown.contains("argon2id"));
    }
}
