//! Start-up and the TLS accept loop.
//!
//! [`start`] loads the identity, opens (or on a first start initialises)
//! the instance, binds the listener, then serves each connection as TLS
//! first (rustls, handshake bounded in time) and HTTP/1.1 or HTTP/2 second.
//! Connections are bounded in number; a slow or failed handshake only
//! costs its own task.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};

use crate::config::Config;
use crate::error::{Error, Result};
use crate::instance::{self, FirstStart};
use crate::limit::RateLimiter;
use crate::notify::{SelfProbe, Systemd};
use crate::seal::Seal;
use crate::state::{AppState, Metrics};
use crate::tls::{self, ServerIdentity};

/// Most connections served at once; further ones wait in the backlog.
const MAX_CONNECTIONS: usize = 1024;
/// Time a client has to complete the TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Time a client has to send the request head.
const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// Unseal requests one source address may send at once (K shares plus retries).
const UNSEAL_BURST: u32 = 20;
/// Then one more unseal request per source address every this often.
const UNSEAL_REFILL: Duration = Duration::from_secs(3);
/// DEVELOPMENT ONLY: file the self-signed certificate is written to, for clients to trust.
pub const DEV_CERT_FILE: &str = "dev-tls-cert.pem";

/// How to run, beyond the configuration.
#[derive(Debug, Default)]
pub struct StartOptions {
    /// systemd notification socket (READY=1, watchdog); usually [`Systemd::from_env`].
    pub systemd: Option<Systemd>,
    /// Use this identity instead of the configured files (tests).
    pub identity: Option<ServerIdentity>,
}

/// A running server.
#[derive(Debug)]
pub struct Running {
    /// The bound address (the real port when 0 was asked for).
    pub addr: SocketAddr,
    /// What a first start created (share files, the setup token), if anything.
    pub first_start: FirstStart,
    /// DEVELOPMENT ONLY: where the self-signed certificate was written.
    pub dev_cert_file: Option<std::path::PathBuf>,
    /// Whether the instance is still sealed after start-up.
    pub sealed: bool,
    shutdown: watch::Sender<bool>,
    accept: tokio::task::JoinHandle<()>,
    watchdog: Option<tokio::task::JoinHandle<()>>,
}

impl Running {
    /// Stops accepting connections (the watchdog keeps probing, and so stops pinging).
    pub fn stop_accepting(&self) {
        let _ = self.shutdown.send(true);
    }

    /// Waits until the accept loop has ended (after [`Self::stop_accepting`]).
    pub async fn stopped(mut self) {
        self.stop_accepting();
        if let Some(w) = &self.watchdog {
            w.abort();
        }
        let _ = (&mut self.accept).await;
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
        if let Some(w) = &self.watchdog {
            w.abort();
        }
    }
}

/// Starts the server; returns once the listener is up (and READY=1 sent).
///
/// # Errors
/// Any configuration, TLS, instance or bind failure, each naming what to fix.
pub async fn start(config: Config, options: StartOptions) -> Result<Running> {
    // Before anything is created: a secret in the environment is refused by name.
    crate::config::refuse_secret_env(std::env::vars_os().map(|(name, _)| name))?;
    if config.dev {
        tracing::warn!(
            "DEVELOPMENT INSTANCE (--dev): one share beside the data unseals it automatically and the TLS certificate is self-signed. Never use it for real data."
        );
    }
    let params =
        faktura_crypto::ShareParams::new(config.shares, config.threshold).map_err(|e| {
            Error::Config {
                key: "shares/threshold".into(),
                reason: format!("{e}; use 2 <= threshold <= shares <= 255"),
            }
        })?;
    // Everything that can fail on configuration is loaded before a first
    // start initialises the instance, so a bad certificate path never
    // leaves an initialised instance whose setup token nobody saw.
    let postgres = config.database.postgres()?;
    let mut dev_cert_pem = None;
    let identity = match (options.identity, &config.tls, config.dev) {
        (Some(identity), _, _) => identity,
        (None, Some(files), _) => ServerIdentity::from_files(files)?,
        (None, None, true) => {
            let (identity, pem) = ServerIdentity::danger_self_signed()?;
            dev_cert_pem = Some(pem);
            identity
        }
        (None, None, false) => {
            return Err(Error::Config {
                key: "tls".into(),
                reason: "no certificate: set [tls] cert_file and key_file".into(),
            });
        }
    };
    let leaf = identity
        .chain
        .first()
        .cloned()
        .ok_or_else(|| Error::Tls("the certificate chain is empty".into()))?;
    let tls_config = tls::server_config(identity)?;

    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|source| Error::Io {
            what: format!(
                "cannot listen on {} (in use, or a privileged port?); choose another with --listen",
                config.listen
            ),
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| Error::Io {
        what: "cannot read the bound address".into(),
        source,
    })?;
    let (instance, first_start) = instance::open_or_init(
        &config.data_dir,
        config.share_dir.as_deref(),
        params,
        config.dev,
        postgres.as_ref(),
    )
    .await?;
    drop(postgres);
    tracing::info!(database = instance.store.backend_name(), "instance opened");

    let mut dev_cert_file = None;
    if let Some(pem) = dev_cert_pem {
        let path = config.data_dir.join(DEV_CERT_FILE);
        std::fs::write(&path, pem).map_err(|source| Error::Io {
            what: format!("cannot write {}", path.display()),
            source,
        })?;
        tracing::warn!(
            cert.file = %path.display(),
            "DEVELOPMENT: serving a generated SELF-SIGNED certificate; clients must trust this file explicitly"
        );
        dev_cert_file = Some(path);
    }
    let seal = Arc::new(Seal::new(instance.share_set, instance.keks));
    if config.dev {
        let status = seal.submit(instance::read_dev_share(&config.data_dir)?)?;
        // The trail records every unsealing, the automatic one of --dev included.
        instance
            .store
            .append_audit(faktura_audit::EntryFields {
                time_us: crate::handlers::sys::now_us(),
                company: None,
                actor: "dev-share".into(),
                action: "unseal.complete".into(),
                target: "instance".into(),
                outcome: faktura_audit::Outcome::Success,
                request_id: "start-up".into(),
                source: "local".into(),
                details: serde_json::to_vec(&serde_json::json!({ "threshold": status.threshold }))
                    .unwrap_or_default(),
            })
            .await?;
    }
    let auth = &config.auth;
    let settings = crate::auth::AuthSettings {
        session_idle: Duration::from_secs(auth.session_idle_secs.max(1)),
        session_absolute: Duration::from_secs(auth.session_absolute_secs.max(1)),
        lockout_threshold: i64::from(auth.lockout_threshold.max(1)),
        lockout_base: Duration::from_millis(auth.lockout_base_ms.max(1)),
        lockout_max: Duration::from_secs(auth.lockout_max_secs.max(1)),
        trusted_proxies: auth.trusted_proxies.clone(),
        default_tier: crate::policy::Tier::parse(&auth.default_tier).ok_or_else(|| {
            Error::Config {
                key: "auth.default_tier".into(),
                reason: format!(
                    "`{}` is not a tier: use free, business or enterprise",
                    auth.default_tier
                ),
            }
        })?,
    };
    let limits = crate::auth::Limits {
        login: RateLimiter::new(
            auth.login_burst,
            Duration::from_millis(auth.login_refill_ms),
        ),
        api_key: RateLimiter::new(
            auth.api_key_burst,
            Duration::from_millis(auth.api_key_refill_ms),
        ),
    };
    let state = AppState {
        seal: Arc::clone(&seal),
        vault: Arc::new(crate::vault::Vault::new(
            instance.store.clone(),
            Arc::clone(&seal),
        )),
        store: instance.store,
        metrics: Arc::new(Metrics::default()),
        dev: config.dev,
        security: Arc::new(config.security.clone()),
        unseal_limit: Arc::new(RateLimiter::new(UNSEAL_BURST, UNSEAL_REFILL)),
        settings: Arc::new(settings),
        limits: Arc::new(limits),
        passwords: Arc::new(crate::passwords::Passwords::new()?),
    };
    // `/metrics` answers only the configured sources (see handlers::meta).
    let app = crate::router::router(state).layer(axum::Extension(
        crate::handlers::meta::MetricsAccess(Arc::new(config.metrics.clone())),
    ));

    let (shutdown, stop) = watch::channel(false);
    let acceptor = tokio_rustls::TlsAcceptor::from(tls_config);
    let accept = tokio::spawn(accept_loop(listener, acceptor, app, stop));
    tracing::info!(listen = %addr, sealed = seal.is_sealed(), "listening (HTTPS, TLS 1.2/1.3)");

    let mut watchdog = None;
    if let Some(systemd) = options.systemd {
        if let Err(e) = systemd.send("READY=1") {
            tracing::warn!(error = %e, "READY=1 not delivered");
        }
        if let Some(interval) = systemd.watchdog {
            let probe = SelfProbe::new(addr, leaf)?;
            watchdog = Some(tokio::spawn(crate::notify::watchdog_loop(
                systemd, interval, probe,
            )));
        }
    }
    Ok(Running {
        addr,
        first_start,
        dev_cert_file,
        sealed: seal.is_sealed(),
        shutdown,
        accept,
        watchdog,
    })
}

async fn accept_loop(
    listener: TcpListener,
    acceptor: tokio_rustls::TlsAcceptor,
    app: axum::Router,
    mut stop: watch::Receiver<bool>,
) {
    let permits = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    loop {
        let Ok(permit) = Arc::clone(&permits).acquire_owned().await else {
            return;
        };
        let (tcp, peer) = tokio::select! {
            _ = stop.changed() => return,
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    continue;
                }
            },
        };
        let acceptor = acceptor.clone();
        // Handlers read the source address (audit, rate limits) as `ConnectInfo`.
        let service = TowerToHyperService::new(
            app.clone()
                .layer(axum::Extension(axum::extract::ConnectInfo(peer))),
        );
        tokio::spawn(async move {
            let _permit = permit;
            let tls = match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                Ok(Ok(tls)) => tls,
                Ok(Err(e)) => {
                    tracing::debug!(peer = %peer, error = %e, "TLS handshake refused");
                    return;
                }
                Err(_) => {
                    tracing::debug!(peer = %peer, "TLS handshake timed out");
                    return;
                }
            };
            let mut builder = auto::Builder::new(TokioExecutor::new());
            builder
                .http1()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_TIMEOUT)
                .max_buf_size(64 * 1024);
            builder
                .http2()
                .timer(TokioTimer::new())
                .max_concurrent_streams(64)
                .max_header_list_size(64 * 1024);
            if let Err(e) = builder
                .serve_connection_with_upgrades(TokioIo::new(tls), service)
                .await
            {
                tracing::debug!(peer = %peer, error = %e, "connection ended with an error");
            }
        });
    }
}
