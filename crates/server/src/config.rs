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
    /// Sessions, sign-in throttling, rate limits, proxies, tiers.
    pub auth: AuthConfig,
    /// The database: the embedded SQLite file by default, or PostgreSQL.
    pub database: DatabaseConfig,
    /// Who may read `/metrics`.
    pub metrics: MetricsConfig,
}

/// `[metrics]`: the source addresses `/metrics` answers; every other source
/// gets the 404 of an unknown path.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsConfig {
    /// Exact source addresses (after `auth.trusted_proxies` is applied);
    /// default loopback only (`127.0.0.1`, `::1`). An empty list turns
    /// `/metrics` off.
    pub allow: Vec<std::net::IpAddr>,
}

impl Default for MetricsConfig {
    fn default() -> Self {
        Self {
            allow: vec![
                std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST),
                std::net::IpAddr::V6(std::net::Ipv6Addr::LOCALHOST),
            ],
        }
    }
}

impl MetricsConfig {
    /// Whether a request from `source` may read `/metrics`. An IPv4 client
    /// of a dual-stack listener (`::ffff:127.0.0.1`) counts as its IPv4 address.
    #[must_use]
    pub fn allows(&self, source: std::net::IpAddr) -> bool {
        let source = source.to_canonical();
        self.allow.iter().any(|a| a.to_canonical() == source)
    }
}

/// `FAKTURA_*` environment variables whose names look like secrets but hold
/// none, so start-up accepts them: the test suites' S3 peer settings, a
/// file path and the access key id (the public half of the key pair).
pub const NON_SECRET_ENV_VARS: &[&str] =
    &["FAKTURA_TEST_S3_SECRET_FILE", "FAKTURA_TEST_S3_ACCESS_KEY"];

/// Words that mark an environment variable as a secret.
const SECRET_WORDS: [&str; 4] = ["SECRET", "PASSWORD", "TOKEN", "KEY"];

/// Refuses to start when the environment seems to carry a secret: any
/// `FAKTURA_*` variable whose name contains `SECRET`, `PASSWORD`, `TOKEN`
/// or `KEY` (case-insensitive), except [`NON_SECRET_ENV_VARS`]. Secrets
/// reach the server only as files (`database.password_file`, systemd
/// credentials); the environment leaks into child processes, `/proc`,
/// crash reports and `docker inspect`. Only names are looked at, never values.
///
/// # Errors
/// [`Error::Config`] naming the first such variable (never its value).
pub fn refuse_secret_env<I, N>(names: I) -> Result<()>
where
    I: IntoIterator<Item = N>,
    N: AsRef<std::ffi::OsStr>,
{
    for name in names {
        let name = name.as_ref().to_string_lossy();
        let upper = name.to_ascii_uppercase();
        if !upper.starts_with("FAKTURA_")
            || NON_SECRET_ENV_VARS.contains(&upper.as_str())
            || !SECRET_WORDS.iter().any(|w| upper.contains(w))
        {
            continue;
        }
        return Err(Error::Config {
            key: format!("environment variable {name}"),
            reason: "its name says it holds a secret, and secrets never come from the environment (child processes, /proc and crash reports can read it): unset it and put the secret in a file the configuration names (e.g. database.password_file, from systemd's LoadCredential)".into(),
        });
    }
    Ok(())
}

/// `[auth]`: sessions, brute-force protection and rate limits.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthConfig {
    /// A session ends after this many seconds without a request.
    pub session_idle_secs: u64,
    /// A session ends this many seconds after sign-in.
    pub session_absolute_secs: u64,
    /// Consecutive failed sign-ins before the account is locked.
    pub lockout_threshold: u32,
    /// Length of the first lock in milliseconds; each further failure doubles it.
    pub lockout_base_ms: u64,
    /// The longest lock in seconds.
    pub lockout_max_secs: u64,
    /// Sign-in attempts one source address may make at once…
    pub login_burst: u32,
    /// …and then one more every this many milliseconds.
    pub login_refill_ms: u64,
    /// Requests one API key may make at once…
    pub api_key_burst: u32,
    /// …and then one more every this many milliseconds.
    pub api_key_refill_ms: u64,
    /// Reverse proxies whose `X-Forwarded-For` is believed (none by default).
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Tier of newly created companies: `free`, `business` or `enterprise`.
    pub default_tier: String,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            session_idle_secs: 30 * 60,
            session_absolute_secs: 12 * 60 * 60,
            lockout_threshold: 5,
            lockout_base_ms: 30_000,
            lockout_max_secs: 15 * 60,
            login_burst: 10,
            login_refill_ms: 6_000,
            api_key_burst: 100,
            api_key_refill_ms: 100,
            trusted_proxies: Vec::new(),
            default_tier: "free".to_owned(),
        }
    }
}

/// `[database]`: where the data lives.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseConfig {
    /// A PostgreSQL URL without a password (`postgres://faktura@db.example/faktura`);
    /// unset means the embedded SQLite file in the data directory.
    pub postgres_url: Option<String>,
    /// A file holding the PostgreSQL password (e.g. from systemd's `LoadCredential`).
    pub password_file: Option<PathBuf>,
    /// The URL of the role that owns the tables, without a password: used only at
    /// start to migrate and to grant `postgres_url`'s role exactly what it needs,
    /// so that the running server cannot alter the audit trail. Recommended.
    pub postgres_admin_url: Option<String>,
    /// A file holding the owner role's password.
    pub admin_password_file: Option<PathBuf>,
}

/// Largest PostgreSQL password file read.
const MAX_PASSWORD_BYTES: u64 = 4096;

impl DatabaseConfig {
    /// The PostgreSQL database to use, with the password read from
    /// `password_file` (one trailing newline removed), or `None` for SQLite.
    ///
    /// # Errors
    /// [`Error::Config`] naming `database.password_file` when it is set
    /// without a URL, unreadable, too long or not UTF-8 (never quoting it).
    pub fn postgres(&self) -> Result<Option<crate::instance::PostgresTarget>> {
        let bad = |reason: String| Error::Config {
            key: "database.password_file".into(),
            reason,
        };
        let Some(url) = &self.postgres_url else {
            return match &self.password_file {
                Some(_) => Err(bad(
                    "a password file without database.postgres_url: set the URL, or remove the password file to use the embedded SQLite database".into(),
                )),
                None => Ok(None),
            };
        };
        let password = match &self.password_file {
            None => None,
            Some(path) => Some(read_password(path).map_err(bad)?),
        };
        let target = crate::instance::PostgresTarget::new(url.clone(), password);
        let Some(admin_url) = &self.postgres_admin_url else {
            return Ok(Some(target));
        };
        let admin_password = match &self.admin_password_file {
            None => None,
            Some(path) => Some(read_password(path).map_err(|reason| Error::Config {
                key: "database.admin_password_file".into(),
                reason,
            })?),
        };
        Ok(Some(target.with_admin(admin_url.clone(), admin_password)))
    }

    /// Refuses a URL that carries a password: secrets never sit in configuration.
    ///
    /// # Errors
    /// [`Error::Config`] naming `database.postgres_url`.
    fn check(&self) -> Result<()> {
        for (key, file_key, url) in [
            (
                "database.postgres_url",
                "database.password_file",
                &self.postgres_url,
            ),
            (
                "database.postgres_admin_url",
                "database.admin_password_file",
                &self.postgres_admin_url,
            ),
        ] {
            let Some(url) = url else { continue };
            let userinfo = url
                .split_once("://")
                .map(|(_, rest)| rest.split(['/', '?']).next().unwrap_or_default())
                .and_then(|authority| authority.rsplit_once('@'))
                .map(|(userinfo, _)| userinfo);
            let query_password = url
                .split_once('?')
                .is_some_and(|(_, q)| q.split('&').any(|p| p.starts_with("password=")));
            if userinfo.is_some_and(|u| u.contains(':')) || query_password {
                return Err(Error::Config {
                    key: key.into(),
                    reason: format!(
                        "the URL carries a password; configuration never holds secrets: remove it and set {file_key} to a file that holds it"
                    ),
                });
            }
        }
        if self.postgres_admin_url.is_some() && self.postgres_url.is_none() {
            return Err(Error::Config {
                key: "database.postgres_admin_url".into(),
                reason:
                    "an owner URL without database.postgres_url: set the application role's URL too"
                        .into(),
            });
        }
        Ok(())
    }
}

/// Reads a password file into zeroizing memory, without its trailing newline.
fn read_password(path: &Path) -> std::result::Result<faktura_crypto::SecretString, String> {
    use std::io::Read as _;
    use zeroize::Zeroize as _;
    let shown = path.display();
    let file = std::fs::File::open(path).map_err(|e| format!("cannot open {shown}: {e}"))?;
    let mut bytes = zeroize::Zeroizing::new(Vec::new());
    file.take(MAX_PASSWORD_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read {shown}: {e}"))?;
    if u64::try_from(bytes.len()).unwrap_or(u64::MAX) > MAX_PASSWORD_BYTES {
        return Err(format!(
            "{shown} is longer than {MAX_PASSWORD_BYTES} bytes; it must hold only the password"
        ));
    }
    for newline in [b'\n', b'\r'] {
        if bytes.last() == Some(&newline) {
            bytes.pop();
        }
    }
    if bytes.contains(&b'\n') {
        return Err(format!(
            "{shown} holds more than one line; it must hold only the password"
        ));
    }
    match String::from_utf8(std::mem::take(&mut *bytes)) {
        Ok(text) => Ok(faktura_crypto::SecretString::new(text)),
        Err(e) => {
            e.into_bytes().zeroize();
            Err(format!("{shown} is not UTF-8 text"))
        }
    }
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
    auth: Option<AuthConfig>,
    database: Option<DatabaseConfig>,
    metrics: Option<MetricsConfig>,
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
        let database = parsed.database.unwrap_or_default();
        database.check()?;
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
            auth: parsed.auth.unwrap_or_default(),
            database,
            metrics: parsed.metrics.unwrap_or_default(),
        })
    }
}

/// Where an instance's data is, as the server's configuration file says:
/// what tools beside `serve` (such as `faktura audit verify --config`) read.
#[derive(Debug, Clone)]
pub struct DataLocation {
    /// `data_dir`, if the file sets it.
    pub data_dir: Option<PathBuf>,
    /// `[database]` (checked: a URL never carries a password).
    pub database: DatabaseConfig,
}

impl DataLocation {
    /// Reads `data_dir` and `[database]` from the configuration file `path`
    /// (every other section is parsed and checked as `serve` does, but not needed).
    ///
    /// # Errors
    /// [`Error::Config`] naming the key at fault, or [`Error::Io`].
    pub fn load(path: &Path) -> Result<Self> {
        let parsed = parse_file(path)?;
        let database = parsed.database.unwrap_or_default();
        database.check()?;
        Ok(Self {
            data_dir: parsed.data_dir,
            database,
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
    fn a_database_url_with_a_password_is_refused_by_key() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f.toml");
        let dev = || Overrides {
            dev: true,
            ..Overrides::default()
        };
        for url in [
            "postgres://faktura:hunter2@db.example/faktura",
            "postgres://db.example/faktura?user=faktura&password=hunter2",
        ] {
            std::fs::write(&file, format!("[database]\npostgres_url = \"{url}\"\n")).unwrap();
            let err = Config::load(Some(&file), dev()).unwrap_err().to_string();
            assert!(err.contains("database.postgres_url"), "{err}");
            assert!(!err.contains("hunter2"), "{err}");
        }
        std::fs::write(
            &file,
            "[database]\npostgres_url = \"postgres://faktura@db.example/faktura\"\npassword_file = \"/run/credentials/faktura/pg\"\n",
        )
        .unwrap();
        let config = Config::load(Some(&file), dev()).unwrap();
        assert!(config.database.postgres_url.is_some());
    }

    #[test]
    fn the_owner_url_is_checked_like_the_application_url() {
        let with_password = DatabaseConfig {
            postgres_url: Some("postgres://faktura_app@db.example/faktura".into()),
            postgres_admin_url: Some("postgres://owner:hunter2@db.example/faktura".into()),
            ..DatabaseConfig::default()
        };
        let err = with_password.check().unwrap_err().to_string();
        assert!(
            err.contains("database.postgres_admin_url") && err.contains("admin_password_file"),
            "{err}"
        );
        assert!(!err.contains("hunter2"), "{err}");
        let alone = DatabaseConfig {
            postgres_admin_url: Some("postgres://owner@db.example/faktura".into()),
            ..DatabaseConfig::default()
        };
        assert!(
            alone
                .check()
                .unwrap_err()
                .to_string()
                .contains("postgres_url")
        );
        let both = DatabaseConfig {
            postgres_url: Some("postgres://faktura_app@db.example/faktura".into()),
            postgres_admin_url: Some("postgres://owner@db.example/faktura".into()),
            ..DatabaseConfig::default()
        };
        both.check().unwrap();
        let target = both.postgres().unwrap().unwrap();
        assert!(format!("{target:?}").contains("owner@db.example"));
    }

    #[test]
    fn the_password_file_is_read_without_its_newline_and_never_shown() {
        let dir = tempfile::tempdir().unwrap();
        let pw = dir.path().join("pg-password");
        let db = |url: Option<&str>| DatabaseConfig {
            postgres_url: url.map(str::to_owned),
            password_file: Some(pw.clone()),
            ..DatabaseConfig::default()
        };
        let url = Some("postgres://faktura@db.example/faktura");
        std::fs::write(&pw, "s3cret hunter2\n").unwrap();
        let target = db(url).postgres().unwrap().unwrap();
        let shown = format!("{target:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert_eq!(target.url(), "postgres://faktura@db.example/faktura");
        assert_eq!(
            target.connect_url().unwrap().expose_secret(),
            "postgres://faktura:s3cret%20hunter2@db.example/faktura",
            "one trailing newline trimmed, the rest kept"
        );

        std::fs::write(&pw, "s3cret hunter2\nsecond line\n").unwrap();
        let err = db(url).postgres().unwrap_err().to_string();
        assert!(
            err.contains("database.password_file") && !err.contains("hunter2"),
            "{err}"
        );
        std::fs::write(&pw, b"\xff\xfehunter2").unwrap();
        let err = db(url).postgres().unwrap_err().to_string();
        assert!(err.contains("UTF-8") && !err.contains("hunter2"), "{err}");
        std::fs::write(&pw, "x".repeat(5000)).unwrap();
        assert!(db(url).postgres().is_err());
        std::fs::remove_file(&pw).unwrap();
        let err = db(url).postgres().unwrap_err().to_string();
        assert!(err.contains("cannot open"), "{err}");

        let err = db(None).postgres().unwrap_err().to_string();
        assert!(err.contains("postgres_url"), "{err}");
        assert!(DatabaseConfig::default().postgres().unwrap().is_none());
    }

    #[test]
    fn a_secret_in_the_environment_is_refused_by_name() {
        for name in [
            "FAKTURA_DB_PASSWORD",
            "FAKTURA_SMTP_SECRET",
            "FAKTURA_API_TOKEN",
            "FAKTURA_ROOT_KEY",
            "faktura_oidc_client_secret",
            "FAKTURA_TEST_S3_SECRET",
        ] {
            let names = ["PATH", "FAKTURA_LOG", name, "HOME"];
            let err = refuse_secret_env(names).unwrap_err();
            assert!(matches!(err, Error::Config { .. }), "{err:?}");
            let text = err.to_string();
            assert!(text.contains(name), "{text}");
            assert!(
                text.contains("file"),
                "says where a secret goes instead: {text}"
            );
        }
        // Other variables, other prefixes and the documented non-secret ones pass.
        let fine = [
            "PATH",
            "FAKTURA_LOG",
            "FAKTURA_TEST_PG_URL",
            "AWS_SECRET_ACCESS_KEY",
            "MY_FAKTURA_PASSWORD",
        ]
        .into_iter()
        .chain(NON_SECRET_ENV_VARS.iter().copied());
        refuse_secret_env(fine).unwrap();
        refuse_secret_env(Vec::<String>::new()).unwrap();
    }

    #[test]
    fn metrics_sources_default_to_loopback_and_are_configurable() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f.toml");
        let dev = || Overrides {
            dev: true,
            ..Overrides::default()
        };
        std::fs::write(&file, "data_dir = \"/x\"\n").unwrap();
        let config = Config::load(Some(&file), dev()).unwrap();
        assert!(config.metrics.allows("127.0.0.1".parse().unwrap()));
        assert!(config.metrics.allows("::1".parse().unwrap()));
        assert!(!config.metrics.allows("192.0.2.7".parse().unwrap()));
        std::fs::write(&file, "[metrics]\nallow = [\"192.0.2.7\"]\n").unwrap();
        let config = Config::load(Some(&file), dev()).unwrap();
        assert!(config.metrics.allows("192.0.2.7".parse().unwrap()));
        assert!(!config.metrics.allows("127.0.0.1".parse().unwrap()));
        std::fs::write(&file, "[metrics]\nallow = [\"localhost\"]\n").unwrap();
        let err = Config::load(Some(&file), dev()).unwrap_err().to_string();
        assert!(err.contains("allow"), "{err}");
    }

    #[test]
    fn the_data_location_is_read_from_the_serve_configuration() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f.toml");
        std::fs::write(
            &file,
            "data_dir = \"/var/lib/faktura\"\n[tls]\ncert_file = \"/c\"\nkey_file = \"/k\"\n[database]\npostgres_url = \"postgres://faktura@db.example/faktura\"\n",
        )
        .unwrap();
        let location = DataLocation::load(&file).unwrap();
        assert_eq!(location.data_dir, Some(PathBuf::from("/var/lib/faktura")));
        assert_eq!(
            location.database.postgres_url.as_deref(),
            Some("postgres://faktura@db.example/faktura")
        );
        std::fs::write(
            &file,
            "[database]\npostgres_url = \"postgres://faktura:hunter2@db.example/faktura\"\n",
        )
        .unwrap();
        let err = DataLocation::load(&file).unwrap_err().to_string();
        assert!(
            err.contains("database.postgres_url") && !err.contains("hunter2"),
            "{err}"
        );
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
