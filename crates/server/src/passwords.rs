//! Password policy and hashing for sign-in, off the async threads.
//!
//! Argon2id is deliberately slow (tens of milliseconds), so every hash and
//! verification runs on the blocking pool. A sign-in for an unknown address
//! verifies against a dummy hash made at start-up, so it costs the same time
//! as one for a known address and timing reveals nothing.

use std::sync::Arc;

use faktura_crypto::{OsRng, PasswordHash, PasswordHasher, PasswordParams, SecretString};

use crate::error::{Error, Result};

/// Shortest password accepted (OWASP ASVS 6.2.1).
pub(crate) const MIN_PASSWORD_CHARS: usize = 8;
/// Longest password accepted, in characters (ASVS 6.2.9 asks for at least 64).
pub(crate) const MAX_PASSWORD_CHARS: usize = 128;

/// The hasher and the dummy hash.
pub(crate) struct Passwords {
    hasher: Arc<PasswordHasher>,
    dummy: PasswordHash,
}

impl std::fmt::Debug for Passwords {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Passwords").finish_non_exhaustive()
    }
}

impl Passwords {
    /// Argon2id with OWASP's parameters.
    ///
    /// # Errors
    /// [`Error::Crypto`].
    pub(crate) fn new() -> Result<Self> {
        let hasher = PasswordHasher::new(PasswordParams::OWASP).map_err(Error::Crypto)?;
        let dummy = hasher
            .hash(
                &SecretString::new("dummy password for timing".to_owned()),
                &OsRng,
            )
            .map_err(Error::Crypto)?;
        Ok(Self {
            hasher: Arc::new(hasher),
            dummy,
        })
    }

    /// Checks the policy: 8 to 128 characters; no other composition rules (NIST 800-63B).
    ///
    /// # Errors
    /// [`Error::Unprocessable`] saying what to change.
    pub(crate) fn check_policy(password: &SecretString, field: &str) -> Result<()> {
        let chars = password.expose_secret().chars().count();
        if chars < MIN_PASSWORD_CHARS {
            return Err(Error::Unprocessable(format!(
                "{field}: a password needs at least {MIN_PASSWORD_CHARS} characters; a passphrase of a few words is best"
            )));
        }
        if chars > MAX_PASSWORD_CHARS {
            return Err(Error::Unprocessable(format!(
                "{field}: a password has at most {MAX_PASSWORD_CHARS} characters"
            )));
        }
        Ok(())
    }

    /// Hashes a new password.
    ///
    /// # Errors
    /// [`Error::Crypto`], [`Error::Internal`] if the blocking pool is gone.
    pub(crate) async fn hash(&self, password: SecretString) -> Result<PasswordHash> {
        let hasher = Arc::clone(&self.hasher);
        tokio::task::spawn_blocking(move || hasher.hash(&password, &OsRng))
            .await
            .map_err(|e| Error::Internal(format!("password hashing task: {e}")))?
            .map_err(Error::Crypto)
    }

    /// Verifies `password` against `stored`, or against the dummy hash when
    /// there is no stored hash (same cost, always `false`). Also says whether
    /// the stored hash should be upgraded to the current parameters.
    ///
    /// # Errors
    /// [`Error::Internal`] if the blocking pool is gone.
    pub(crate) async fn verify(
        &self,
        password: SecretString,
        stored: Option<PasswordHash>,
    ) -> Result<(bool, bool)> {
        let hasher = Arc::clone(&self.hasher);
        let known = stored.is_some();
        let target = stored.unwrap_or_else(|| self.dummy.clone());
        tokio::task::spawn_blocking(move || {
            let ok = hasher.verify(&password, &target).unwrap_or(false);
            (ok && known, ok && known && hasher.needs_rehash(&target))
        })
        .await
        .map_err(|e| Error::Internal(format!("password verification task: {e}")))
    }
}
