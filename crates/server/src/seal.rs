//! The seal: sealed until K custodians' shares reconstruct the root key,
//! then unsealed with the key ring in memory only.
//!
//! Each share is checked as it arrives (`faktura_crypto::Unsealer`); a
//! refused share leaves the progress unchanged. If K accepted shares
//! reconstruct a key that does not match the instance's check value, the
//! progress is reset (as in Vault) so the custodians start over.

use std::sync::Mutex;

use faktura_crypto::{Keyring, Share, ShareSetRecord, Unsealer, WrappedKek};

use crate::error::{Error, Result};

/// Public view of the seal.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
pub struct SealStatus {
    /// Whether the instance is sealed.
    pub sealed: bool,
    /// Valid shares supplied so far in this unseal attempt.
    pub progress: usize,
    /// Shares needed to unseal (K).
    pub threshold: usize,
    /// Shares issued (N).
    pub shares: usize,
}

enum State {
    Sealed(Unsealer),
    /// The key hierarchy, in memory only (zeroized on drop).
    Unsealed(Keyring),
}

/// The seal of one running instance.
pub struct Seal {
    record: ShareSetRecord,
    keks: Vec<WrappedKek>,
    state: Mutex<State>,
}

impl std::fmt::Debug for Seal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Seal")
            .field("status", &self.status())
            .finish_non_exhaustive()
    }
}

impl Seal {
    /// A sealed instance expecting shares of `record`, opening `keks` once unsealed.
    #[must_use]
    pub fn new(record: ShareSetRecord, keks: Vec<WrappedKek>) -> Self {
        let state = Mutex::new(State::Sealed(Unsealer::new(record.clone())));
        Self {
            record,
            keks,
            state,
        }
    }

    /// Whether the instance is sealed.
    #[must_use]
    pub fn is_sealed(&self) -> bool {
        self.status().sealed
    }

    /// The current status.
    #[must_use]
    pub fn status(&self) -> SealStatus {
        let (sealed, progress) = match &*self.lock() {
            State::Sealed(u) => (true, u.progress().have),
            State::Unsealed(_) => (false, 0),
        };
        SealStatus {
            sealed,
            progress,
            threshold: usize::from(self.record.threshold()),
            shares: usize::from(self.record.total()),
        }
    }

    /// Offers one custodian's share; unseals when the threshold is reached.
    ///
    /// # Errors
    /// [`Error::AlreadyUnsealed`]; [`Error::Share`] for a foreign, duplicate,
    /// corrupt or mismatching share; [`Error::Crypto`] if the stored KEKs do
    /// not open under a verified root key.
    pub fn submit(&self, share: Share) -> Result<SealStatus> {
        {
            let mut state = self.lock();
            let unsealer = match &mut *state {
                State::Unsealed(_) => return Err(Error::AlreadyUnsealed),
                State::Sealed(u) => u,
            };
            let progress = unsealer.add(share).map_err(Error::Share)?;
            if progress.have >= progress.need {
                let done = std::mem::replace(unsealer, Unsealer::new(self.record.clone()));
                // On a mismatch the fresh unsealer above stays: custodians start over.
                let root = done.finish().map_err(Error::Share)?;
                let ring = Keyring::open(root, &self.keks).map_err(Error::Crypto)?;
                *state = State::Unsealed(ring);
                tracing::info!("instance unsealed");
            }
        }
        Ok(self.status())
    }

    /// Runs `f` with the key ring of the unsealed instance.
    ///
    /// # Errors
    /// [`Error::Sealed`] while sealed.
    pub(crate) fn with_keyring<T>(&self, f: impl FnOnce(&Keyring) -> T) -> Result<T> {
        match &*self.lock() {
            State::Unsealed(ring) => Ok(f(ring)),
            State::Sealed(_) => Err(Error::Sealed),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A poisoned lock only means a panic elsewhere; the state itself is consistent.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
