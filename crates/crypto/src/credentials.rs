//! The integration-credential store (SMTP passwords, OIDC client secrets,
//! Peppol keys, third-party tokens), apart from business data.
//!
//! Credentials are sealed under the company's data keys of purpose
//! [`Purpose::Credentials`] only, bound to the credential's name. The API
//! is write-only in spirit: [`SealedCredential`] shows nothing but its
//! name and size, and the plaintext comes back only as [`SecretBytes`] from
//! [`CredentialVault::open_for_use`], at the moment of use.

use std::fmt;

use crate::envelope::RecordAad;
use crate::error::{Error, Result};
use crate::keys::{Purpose, RecordKeys};
use crate::rng::SecureRng;
use crate::secret::SecretBytes;

/// Largest credential accepted (a PEM private key fits with room to spare).
pub const MAX_CREDENTIAL_LEN: usize = 64 * 1024;

/// A credential as stored: its name and its sealed bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct SealedCredential {
    name: String,
    sealed: Vec<u8>,
}

impl SealedCredential {
    /// Rebuilds a stored credential from its columns.
    pub fn from_parts(name: impl Into<String>, sealed: Vec<u8>) -> Self {
        Self {
            name: name.into(),
            sealed,
        }
    }

    /// The credential's name (e.g. `smtp.password`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The sealed bytes to store.
    pub fn sealed_bytes(&self) -> &[u8] {
        &self.sealed
    }
}

impl fmt::Debug for SealedCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "SealedCredential({}, {} bytes)",
            self.name,
            self.sealed.len()
        )
    }
}

/// Seals and opens one company's integration credentials.
#[derive(Debug)]
pub struct CredentialVault {
    keys: RecordKeys,
}

impl CredentialVault {
    /// A vault over the company's credential keys; refuses keys of any other purpose.
    pub fn new(keys: RecordKeys) -> Result<Self> {
        if keys.purpose() != Purpose::Credentials {
            return Err(Error::InvalidParameters(
                "the credential store needs data keys of purpose credentials",
            ));
        }
        Ok(Self { keys })
    }

    fn aad<'a>(&'a self, name: &'a str) -> RecordAad<'a> {
        RecordAad {
            table: "credential",
            row_id: name,
            company_id: self.keys.company().as_str(),
        }
    }

    /// Seals a credential under its name.
    pub fn seal(
        &self,
        name: &str,
        secret: &SecretBytes,
        rng: &dyn SecureRng,
    ) -> Result<SealedCredential> {
        if name.is_empty() || name.len() > 128 {
            return Err(Error::InvalidParameters(
                "a credential name is 1 to 128 bytes",
            ));
        }
        if secret.len() > MAX_CREDENTIAL_LEN {
            return Err(Error::TooLarge {
                what: "credential",
                limit: MAX_CREDENTIAL_LEN,
            });
        }
        let sealed = self
            .keys
            .seal(&self.aad(name), secret.expose_secret(), rng)?;
        Ok(SealedCredential {
            name: name.to_owned(),
            sealed,
        })
    }

    /// Opens a credential at the moment of use.
    pub fn open_for_use(&self, credential: &SealedCredential) -> Result<SecretBytes> {
        self.keys
            .open(&self.aad(&credential.name), &credential.sealed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::{CompanyId, Keyring, RootKey};
    use crate::rng::SeededRng;

    #[test]
    fn seal_open_and_binding() {
        let rng = SeededRng::new(1);
        let (ring, _) = Keyring::create(RootKey::generate(&rng).unwrap(), &rng).unwrap();
        let c = CompanyId::new("c").unwrap();
        let keys = |p| {
            RecordKeys::new(vec![
                ring.open_data_key(&ring.create_data_key(&c, p, &rng).unwrap())
                    .unwrap(),
            ])
            .unwrap()
        };
        assert!(CredentialVault::new(keys(Purpose::Records)).is_err());
        let vault = CredentialVault::new(keys(Purpose::Credentials)).unwrap();
        let secret = SecretBytes::new(b"smtp-MARKER-secret".to_vec());
        let sealed = vault.seal("smtp.password", &secret, &rng).unwrap();
        assert_eq!(vault.open_for_use(&sealed).unwrap(), secret);
        let renamed = SealedCredential::from_parts("oidc.secret", sealed.sealed_bytes().to_vec());
        assert!(vault.open_for_use(&renamed).is_err());
        assert!(!format!("{sealed:?}").contains("MARKER"));
        let other = CredentialVault::new(keys(Purpose::Credentials)).unwrap();
        assert!(
            other.open_for_use(&sealed).is_err(),
            "another credential key"
        );
    }
}
