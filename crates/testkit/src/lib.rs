//! Test helpers: the real Faktura server, in-process, over real TLS.
//!
//! [`TestServer`] mints a throwaway CA and a server certificate for
//! 127.0.0.1 with rcgen, starts the production server (same rustls policy)
//! on `127.0.0.1:0` with a fresh SQLite data directory, and hands back a
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
        })
    }
}
