//! Server configuration: one TOML file plus command-line overrides.
//!
//! The file names where things live (certificate and key files, the data
//! and share directories); it never holds a secret. Unknown keys are
//! refused so that a typo is not silently ignored.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::{Error, Result};

/// Largest configuration file read.
const MAX_CONFIG_BYTES: u64 = 64 * 1024;

/// The resolved configuration of one server.
#[derive(Debug, Clone)]
pub struct Config {
    /// The instance's data directory (database, dev share, dev certificate).
    pub data_dir: PathBuf,
    /// Address to listen on.
    pub listen: SocketAddr,
    /// Where a first start writes the custodian share files (not in `--dev`).
    pub share_dir: Option<PathBuf>,
    /// Shares issued at initialisation (N).
    pub shares: u8,
    /// Shares that unseal (K).
    pub threshold: u8,
    /// Certificate and key; `None` only in development mode.
    pub tls: Option<TlsFiles>,
    /// Development mode: 1-of-1 share beside the data, auto-unseal, self-signed certificate.
    pub dev: bool,
    /// The `/.well-known/security.txt` content.
    pub security: SecurityTxt,
}

/// PEM files for the server's certificate chain and private key.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsFiles {
    /// Certificate chain, leaf first (PEM).
    pub cert_file: PathBuf,
    /// Private key (PEM, PKCS#8, SEC1 or PKCS#1).
    pub key_file: PathBuf,
}

/// RFC 9116 fields served at `/.well-known/security.txt`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecurityTxt {
    /// `Contact:` lines (`mailto:` or `https:` URIs).
    #[serde(default = "default_contact")]
    pub contact: Vec<String>,
    /// `Expires:` (RFC 3339); default: one year after the server started.
    #[serde(default)]
    pub expires: Option<String>,
    /// `Policy:` URI, if any.
    #[serde(default)]
    pub policy: Option<String>,
    /// `Preferred-Languages:`.
    #[serde(default = "default_languages")]
    pub preferred_languages: String,
}

fn default_contact() -> Vec<String> {
    // The project's placeholder contact, as in SECURITY.md.
    vec!["mailto:security@faktura.example".to_owned()]
}

fn default_languages() -> String {
    "en, de".to_owned()
}

impl Default for SecurityTxt {
    fn default() -> Self {
        Self {
            contact: default_contact(),
            expires: None,
            policy: None,
            preferred_languages: default_languages(),
        }
    }
}

/// The TOML file as written by the operator.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    data_dir: Option<PathBuf>,
    listen: Option<String>,
    share_dir: Option<PathBuf>,
    shares: Option<u8>,
    threshold: Option<u8>,
    tls: Option<TlsFiles>,
    security: Option<SecurityTxt>,
}

/// Command-line values that override the file.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    /// `--data-dir`.
    pub data_dir: Option<PathBuf>,
    /// `--listen`.
    pub listen: Option<String>,
    /// `--share-dir`.
    pub share_dir: Option<PathBuf>,
    /// `--dev`.
    pub dev: bool,
}

/// Default listen address (unprivileged HTTPS port, as in deploy/faktura.service).
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8443";

/// The data directory of a `--dev` instance when none is given: `./faktura-data`.
pub const DEV_DATA_DIR: &str = "faktura-data";

impl Config {
    /// Reads `file` (if any) and applies `overrides`.
    ///
    /// # Errors
    /// [`Error::Config`] naming the key at fault, or [`Error::Io`].
    pub fn load(file: Option<&Path>, overrides: Overrides) -> Result<Self> {
        let parsed = match file {
            Some(path) => parse_file(path)?,
            None => FileConfig::default(),
        };
        let data_dir = overrides
            .data_dir
            .or(parsed.data_dir)
            // Only a development instance gets a default, so that the README's
            // first command needs no set-up; a real instance names its directory.
            .or_else(|| overrides.dev.then(|| PathBuf::from(DEV_DATA_DIR)))
            .ok_or_else(|| Error::Config {
                key: "data_dir".into(),
                reason: "no data directory: pass --data-dir DIR or set data_dir in the configuration file".into(),
            })?;
        let listen_text = overrides
            .listen
            .or(parsed.listen)
            .unwrap_or_else(|| DEFAULT_LISTEN.to_owned());
        let listen = listen_text.parse().map_err(|_| Error::Config {
            key: "listen".into(),
            reason: format!("`{listen_text}` is not an address like 127.0.0.1:8443 or [::]:8443"),
        })?;
        let dev = overrides.dev;
        if !dev && parsed.tls.is_none() {
            return Err(Error::Config {
                key: "tls".into(),
                reason: "no certificate: set [tls] cert_file and key_file in the configuration file, or use --dev for a self-signed development certificate".into(),
            });
        }
        Ok(Self {
            data_dir,
            listen,
            share_dir: overrides.share_dir.or(parsed.share_dir),
            shares: parsed.shares.unwrap_or(5),
            threshold: parsed.threshold.unwrap_or(3),
            tls: parsed.tls,
            dev,
            security: parsed.security.unwrap_or_default(),
        })
    }
}

fn parse_file(path: &Path) -> Result<FileConfig> {
    let io = |source| Error::Io {
        what: format!("cannot read configuration file {}", path.display()),
        source,
    };
    let len = std::fs::metadata(path).map_err(io)?.len();
    if len > MAX_CONFIG_BYTES {
        return Err(Error::Config {
            key: path.display().to_string(),
            reason: format!("the file is larger than {MAX_CONFIG_BYTES} bytes"),
        });
    }
    let text = std::fs::read_to_string(path).map_err(io)?;
    toml::from_str(&text).map_err(|e| Error::Config {
        key: path.display().to_string(),
        reason: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_and_missing_tls_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f.toml");
        std::fs::write(&file, "data_dir = \"/x\"\ntls_password = \"hunter2\"\n").unwrap();
        let err = Config::load(Some(&file), Overrides::default()).unwrap_err();
        assert!(err.to_string().contains("tls_password"), "{err}");

        std::fs::write(&file, "data_dir = \"/x\"\n").unwrap();
        let err = Config::load(Some(&file), Overrides::default()).unwrap_err();
        assert!(err.to_string().contains("--dev"), "{err}");

        let dev = Overrides {
            dev: true,
            listen: Some("127.0.0.1:0".into()),
            ..Overrides::default()
        };
        let config = Config::load(Some(&file), dev).unwrap();
        assert_eq!(config.data_dir, PathBuf::from("/x"));
        assert_eq!(config.listen.port(), 0);
    }

    /// SECURITY.md, the example configuration and the built-in default must
    /// name the same disclosure contact, since security.txt is generated from
    /// the configuration (issue 7: one source, no drift).
    #[test]
    fn security_contact_agrees_with_security_md_and_the_example_config() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let policy = std::fs::read_to_string(root.join("SECURITY.md")).unwrap();
        let example =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/faktura.example.toml");
        let example = Config::load(Some(&example), Overrides::default()).unwrap();
        for contact in default_contact().iter().chain(&example.security.contact) {
            let address = contact.strip_prefix("mailto:").unwrap();
            assert!(
                policy.contains(&format!("`{address}`")),
                "SECURITY.md does not name the security.txt contact {address}"
            );
        }
        assert_eq!(example.security.contact, default_contact());
    }

    #[test]
    fn only_a_dev_instance_has_a_default_data_directory() {
        let dev = Overrides {
            dev: true,
            ..Overrides::default()
        };
        let config = Config::load(None, dev).unwrap();
        assert_eq!(config.data_dir, PathBuf::from(DEV_DATA_DIR));
        let err = Config::load(None, Overrides::default()).unwrap_err();
        assert!(err.to_string().contains("--data-dir"), "{err}");
    }
}
