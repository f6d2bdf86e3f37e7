//! The HTTPS client the command line and the tests use: rustls with the
//! server's own TLS policy, trusting only a given CA (or the system's
//! roots when none is given).

use crate::error::{Error, Result};
use crate::seal::SealStatus;

/// A client for one server's `/api/v1/sys` routes.
#[derive(Debug, Clone)]
pub struct SysClient {
    base: String,
    http: reqwest::Client,
}

/// A reqwest client pinned to `ca_pem` (PEM), TLS 1.2/1.3 only.
///
/// # Errors
/// [`Error::Tls`] if the CA does not parse or the client cannot be built.
pub fn https_client(ca_pem: Option<&[u8]>) -> Result<reqwest::Client> {
    let builder = reqwest::Client::builder()
        .https_only(true)
        // A redirect would re-send the body (a custodian's share) to another host.
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(30));
    let builder = match ca_pem {
        Some(pem) => {
            let roots = crate::tls::parse_certificates(pem)?;
            builder.use_preconfigured_tls(crate::tls::client_config(&roots)?)
        }
        None => builder.use_preconfigured_tls(system_roots_config()?),
    };
    builder
        .build()
        .map_err(|e| Error::Tls(format!("cannot build the HTTPS client: {e}")))
}

fn system_roots_config() -> Result<rustls::ClientConfig> {
    // Without a CA file, trust the PEM bundle Debian and most distributions ship.
    const BUNDLE: &str = "/etc/ssl/certs/ca-certificates.crt";
    match std::fs::read(BUNDLE) {
        Ok(pem) => crate::tls::client_config(&crate::tls::parse_certificates(&pem)?),
        Err(source) => Err(Error::Io {
            what: format!("no --ca-file given and the system CA bundle {BUNDLE} is unreadable"),
            source,
        }),
    }
}

impl SysClient {
    /// A client for the server at `base` (e.g. `https://127.0.0.1:8443`).
    #[must_use]
    pub fn new(base: &str, http: reqwest::Client) -> Self {
        Self {
            base: base.trim_end_matches('/').to_owned(),
            http,
        }
    }

    /// GET /api/v1/sys/seal-status.
    ///
    /// # Errors
    /// [`Error::Remote`] for a connection failure or a problem answer.
    pub async fn seal_status(&self) -> Result<SealStatus> {
        let response = self
            .http
            .get(format!("{}/api/v1/sys/seal-status", self.base))
            .send()
            .await
            .map_err(|e| remote(&e))?;
        read(response).await
    }

    /// POST /api/v1/sys/unseal with one share's text.
    ///
    /// # Errors
    /// [`Error::Remote`] with the server's problem detail if refused.
    pub async fn unseal(&self, share_text: &str) -> Result<SealStatus> {
        let response = self
            .http
            .post(format!("{}/api/v1/sys/unseal", self.base))
            .json(&serde_json::json!({ "share": share_text }))
            .send()
            .await
            .map_err(|e| remote(&e))?;
        read(response).await
    }
}

fn remote(error: &reqwest::Error) -> Error {
    use std::error::Error as _;
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    Error::Remote(text)
}

async fn read(response: reqwest::Response) -> Result<SealStatus> {
    let status = response.status();
    let body = response.bytes().await.map_err(|e| remote(&e))?;
    if status.is_success() {
        return serde_json::from_slice(&body)
            .map_err(|e| Error::Remote(format!("unexpected answer: {e}")));
    }
    let detail = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| {
            Some(format!(
                "{} ({})",
                v.get("detail")?.as_str()?,
                v.get("type")?.as_str()?
            ))
        })
        .unwrap_or_else(|| String::from_utf8_lossy(&body).chars().take(200).collect());
    Err(Error::Remote(format!(
        "the server answered {status}: {detail}"
    )))
}
