//! Test helpers: the real Faktura server, in-process, over real TLS.
//!
//! [`TestServer`] mints a throwaway CA and a server certificate for
//! 127.0.0.1 with rcgen, starts the production server (same rustls policy)
//! on `127.0.0.1:0` with a fresh SQLite data directory (or a fresh schema
//! on a PostgreSQL server, [`Builder::postgres`]), and hands back a
//! reqwest client that trusts only that CA. It does not mock anything and
//! is a dev-dependency only.
//!
//! # Security
//! Everything here is throwaway: the CA key lives only in memory for the
//! test's duration and the data directory is deleted on drop.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

use std::path::PathBuf;

use faktura_server::{Config, Overrides, Running, ServerIdentity, StartOptions, Systemd};

/// Failure to set up a test server; tests unwrap it.
pub type Error = Box<dyn std::error::Error + Send + Sync>;

/// A throwaway CA and a server certificate it signed for 127.0.0.1 and localhost.
#[derive(Debug)]
pub struct TestCa {
    /// The CA certificate (PEM), the only root a test client trusts.
    pub ca_pem: String,
    /// Server certificate chain (PEM).
    pub server_cert_pem: String,
    /// Server private key (PEM).
    pub server_key_pem: String,
}

impl TestCa {
    /// Mints a fresh CA and server certificate.
    ///
    /// # Errors
    /// If rcgen fails.
    pub fn new() -> Result<Self, Error> {
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new())?;
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca_params.key_usages = vec![
            rcgen::KeyUsagePurpose::KeyCertSign,
            rcgen::KeyUsagePurpose::CrlSign,
        ];
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "Faktura throwaway test CA");
        let ca = rcgen::CertifiedIssuer::self_signed(ca_params, rcgen::KeyPair::generate()?)?;
        let server_key = rcgen::KeyPair::generate()?;
        let server_params =
            rcgen::CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])?;
        let server = server_params.signed_by(&server_key, &ca)?;
        Ok(Self {
            ca_pem: ca.pem(),
            server_cert_pem: server.pem(),
            server_key_pem: server_key.serialize_pem(),
        })
    }
}

/// How to start a [`TestServer`].
#[derive(Debug)]
pub struct Builder {
    shares: u8,
    threshold: u8,
    dev: bool,
    systemd: Option<Systemd>,
    auth: faktura_server::config::AuthConfig,
    postgres: Option<String>,
}

/// The PostgreSQL schema a [`TestServer`] keeps its data in.
#[derive(Debug, Clone)]
pub struct PostgresSchema {
    /// The server's URL as given to [`Builder::postgres`].
    pub base_url: String,
    /// The fresh schema made for this test.
    pub schema: String,
    /// The URL the server connects with (`base_url` selecting `schema`).
    pub url: String,
}

/// The real server on `127.0.0.1:<ephemeral>` over TLS, with a pinned client.
#[derive(Debug)]
pub struct TestServer {
    /// `https://127.0.0.1:<port>`.
    pub base: String,
    /// A client trusting only the test CA.
    pub client: reqwest::Client,
    /// The test CA and server certificate.
    pub ca: TestCa,
    /// Share files a first start wrote (empty for `--dev`).
    pub share_files: Vec<PathBuf>,
    /// The running server.
    pub running: Running,
    /// The data directory (deleted on drop).
    pub data: tempfile::TempDir,
    /// The PostgreSQL schema holding the data, when started with [`Builder::postgres`].
    pub postgres: Option<PostgresSchema>,
}

impl TestServer {
    /// Starts configuring a test server (3 of 5 shares, not dev).
    #[must_use]
    pub fn builder() -> Builder {
        Builder {
            shares: 5,
            threshold: 3,
            dev: false,
            systemd: None,
            auth: faktura_server::config::AuthConfig::default(),
            postgres: None,
        }
    }

    /// A URL on this server.
    #[must_use]
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Reads the i-th share file's text (0-based).
    ///
    /// # Errors
    /// If there is no such file.
    pub fn share_text(&self, i: usize) -> Result<String, Error> {
        let path = self.share_files.get(i).ok_or("no such share file")?;
        Ok(std::fs::read_to_string(path)?)
    }
}

impl Builder {
    /// N shares, threshold K.
    #[must_use]
    pub fn shares(mut self, total: u8, threshold: u8) -> Self {
        self.shares = total;
        self.threshold = threshold;
        self
    }

    /// Development mode (1-of-1 share, auto-unseal, dev header).
    #[must_use]
    pub fn dev(mut self) -> Self {
        self.dev = true;
        self
    }

    /// Sends systemd notifications to this socket.
    #[must_use]
    pub fn systemd(mut self, systemd: Systemd) -> Self {
        self.systemd = Some(systemd);
        self
    }

    /// Changes the `[auth]` settings (short timeouts and locks for tests).
    #[must_use]
    pub fn auth(mut self, change: impl FnOnce(&mut faktura_server::config::AuthConfig)) -> Self {
        change(&mut self.auth);
        self
    }

    /// Keeps the data in PostgreSQL at `url` (a password-free URL such as
    /// `FAKTURA_TEST_PG_URL`), in a fresh schema made for this server so that
    /// tests never see each other's data. The schema is left in place (the
    /// test cluster is throwaway) for inspection.
    #[must_use]
    pub fn postgres(mut self, url: &str) -> Self {
        self.postgres = Some(url.to_owned());
        self
    }

    /// Starts the server; returns once it listens (no sleeping).
    ///
    /// # Errors
    /// If certificates, the instance or the listener cannot be set up.
    pub async fn start(self) -> Result<TestServer, Error> {
        let ca = TestCa::new()?;
        let data = tempfile::tempdir()?;
        let share_dir = data.path().join("shares");
        let mut config = Config::load(
            None,
            Overrides {
                data_dir: Some(data.path().join("instance")),
                listen: Some("127.0.0.1:0".to_owned()),
                share_dir: Some(share_dir),
                // Config requires TLS files or dev; the identity is passed directly below.
                dev: true,
            },
        )?;
        config.dev = self.dev;
        config.shares = self.shares;
        config.threshold = self.threshold;
        config.auth = self.auth;
        let postgres = match self.postgres {
            None => None,
            Some(base_url) => {
                let schema = unique_schema_name();
                faktura_server::instance::PostgresTarget::new(base_url.clone(), None)
                    .create_schema(&schema)
                    .await?;
                let sep = if base_url.contains('?') { '&' } else { '?' };
                let url = format!("{base_url}{sep}options[search_path]={schema}");
                config.database.postgres_url = Some(url.clone());
                Some(PostgresSchema {
                    base_url,
                    schema,
                    url,
                })
            }
        };
        let identity =
            ServerIdentity::from_pem(ca.server_cert_pem.as_bytes(), ca.server_key_pem.as_bytes())?;
        let running = faktura_server::start(
            config,
            StartOptions {
                systemd: self.systemd,
                identity: Some(identity),
            },
        )
        .await?;
        let client = faktura_server::client::https_client(Some(ca.ca_pem.as_bytes()))?;
        let base = format!("https://127.0.0.1:{}", running.addr.port());
        let share_files = running.first_start.share_files.clone();
        Ok(TestServer {
            base,
            client,
            ca,
            share_files,
            running,
            data,
            postgres,
        })
    }
}

/// A schema name no other test (in this or another process) uses.
fn unique_schema_name() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    format!(
        "tk_{}_{}_{nanos}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// Every regular file under `dir`, recursively, sorted (for byte searches of
/// an instance's files at rest).
#[must_use]
pub fn files_under(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let path = e.path();
            match e.file_type() {
                Ok(t) if t.is_dir() => stack.push(path),
                Ok(t) if t.is_file() => out.push(path),
                _ => {}
            }
        }
    }
    out.sort();
    out
}

impl TestServer {
    /// The instance's files (database, WAL, certificates, …) in which
    /// `needle` occurs; a file that vanishes while reading (SQLite's -wal/-shm)
    /// is skipped.
    #[must_use]
    pub fn files_holding(&self, needle: &[u8]) -> Vec<PathBuf> {
        files_under(self.data.path())
            .into_iter()
            .filter(|p| {
                std::fs::read(p).is_ok_and(|bytes| bytes.windows(needle.len()).any(|w| w == needle))
            })
            .collect()
    }
}

/// A string field of a JSON answer.
fn field(body: &serde_json::Value, name: &str) -> Result<String, Error> {
    Ok(body
        .get(name)
        .and_then(serde_json::Value::as_str)
        .ok_or_else(|| format!("the answer has no `{name}`: {body}"))?
        .to_owned())
}

/// The password every test login uses unless a test says otherwise.
pub const TEST_PASSWORD: &str = "correct horse battery staple";

impl TestServer {
    /// The one-time setup token of the first start.
    ///
    /// # Errors
    /// When the server was not started fresh.
    pub fn setup_token(&self) -> Result<String, Error> {
        Ok(self
            .running
            .first_start
            .setup_token
            .as_ref()
            .ok_or("no setup token: not a first start")?
            .expose_secret()
            .to_owned())
    }

    /// Runs the first-owner setup and signs the owner in; returns the
    /// owner's session, acting for the new company.
    ///
    /// # Errors
    /// Any non-success answer.
    pub async fn setup_owner(&self, email: &str, company: &str) -> Result<Session, Error> {
        let response = self
            .client
            .post(self.url("/api/v1/setup"))
            .json(&serde_json::json!({
                "setup_token": self.setup_token()?,
                "email": email,
                "password": TEST_PASSWORD,
                "company_name": company,
            }))
            .send()
            .await?;
        let status = response.status();
        let body: serde_json::Value = response.json().await?;
        if status != reqwest::StatusCode::CREATED {
            return Err(format!("setup answered {status}: {body}").into());
        }
        let company_id = field(&body, "company_id")?;
        Ok(self
            .sign_in(email, TEST_PASSWORD)
            .await?
            .acting_for(&company_id))
    }

    /// Signs in.
    ///
    /// # Errors
    /// Any non-success answer.
    pub async fn sign_in(&self, email: &str, password: &str) -> Result<Session, Error> {
        let response = self
            .client
            .post(self.url("/api/v1/sessions"))
            .json(&serde_json::json!({ "email": email, "password": password }))
            .send()
            .await?;
        let status = response.status();
        let cookie = response
            .headers()
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(str::to_owned);
        let body: serde_json::Value = response.json().await?;
        if status != reqwest::StatusCode::CREATED {
            return Err(format!("sign-in answered {status}: {body}").into());
        }
        Ok(Session {
            base: self.base.clone(),
            client: self.client.clone(),
            cookie: cookie.ok_or("no session cookie")?,
            csrf: field(&body, "csrf_token")?,
            login_id: field(&body, "login_id")?,
            company: None,
        })
    }

    /// A client that authenticates with an API key.
    #[must_use]
    pub fn with_api_key(&self, key: &str) -> KeyClient {
        KeyClient {
            base: self.base.clone(),
            client: self.client.clone(),
            key: key.to_owned(),
        }
    }
}

/// A signed-in person's browser-like session: the cookie on every request,
/// the CSRF token on writes, and the company it acts for.
#[derive(Debug, Clone)]
pub struct Session {
    base: String,
    client: reqwest::Client,
    /// `__Host-faktura_session=…`.
    pub cookie: String,
    /// The CSRF token of the session.
    pub csrf: String,
    /// The login id.
    pub login_id: String,
    /// The company named in `Faktura-Company`, if any.
    pub company: Option<String>,
}

impl Session {
    /// The same session acting for `company`.
    #[must_use]
    pub fn acting_for(mut self, company: &str) -> Self {
        self.company = Some(company.to_owned());
        self
    }

    /// A request with the cookie, the company header and, for writes, the CSRF token.
    pub fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let write = !matches!(method, reqwest::Method::GET | reqwest::Method::HEAD);
        let mut r = self
            .client
            .request(method, format!("{}{path}", self.base))
            .header("cookie", &self.cookie);
        if let Some(c) = &self.company {
            r = r.header("faktura-company", c);
        }
        if write {
            r = r.header("x-csrf-token", &self.csrf);
        }
        r
    }

    /// GET.
    pub fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.request(reqwest::Method::GET, path)
    }

    /// POST.
    pub fn post(&self, path: &str) -> reqwest::RequestBuilder {
        self.request(reqwest::Method::POST, path)
    }

    /// PATCH.
    pub fn patch(&self, path: &str) -> reqwest::RequestBuilder {
        self.request(reqwest::Method::PATCH, path)
    }

    /// PUT.
    pub fn put(&self, path: &str) -> reqwest::RequestBuilder {
        self.request(reqwest::Method::PUT, path)
    }

    /// DELETE.
    pub fn delete(&self, path: &str) -> reqwest::RequestBuilder {
        self.request(reqwest::Method::DELETE, path)
    }
}

/// A program's client: `Authorization: Bearer fk_live_…` on every request.
#[derive(Debug, Clone)]
pub struct KeyClient {
    base: String,
    client: reqwest::Client,
    key: String,
}

impl KeyClient {
    /// A request with the bearer key.
    pub fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.client
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.key)
    }
}
