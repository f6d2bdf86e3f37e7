//! systemd readiness and watchdog (`sd_notify`) over a plain Unix datagram
//! socket, and the self health probe that gates each watchdog ping.
//!
//! READY=1 is sent once the listener is up. WATCHDOG=1 is sent every half
//! watchdog interval, but only after the server answered its own `/healthz`
//! over a real TLS connection to its listener: a server that stops
//! answering stops pinging, and systemd restarts it.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use rustls_pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use crate::error::{Error, Result};

/// Where to send notifications, and the watchdog interval if one is set.
#[derive(Debug, Clone)]
pub struct Systemd {
    socket: PathBuf,
    /// The full watchdog timeout (`WATCHDOG_USEC`); pings go at half of it.
    pub watchdog: Option<Duration>,
}

impl Systemd {
    /// A notifier for `socket` (a path, or `@name` for an abstract socket).
    #[must_use]
    pub fn new(socket: impl Into<PathBuf>, watchdog: Option<Duration>) -> Self {
        Self {
            socket: socket.into(),
            watchdog,
        }
    }

    /// From `NOTIFY_SOCKET` and `WATCHDOG_USEC` (honouring `WATCHDOG_PID`), if set.
    #[must_use]
    pub fn from_env() -> Option<Self> {
        let socket = std::env::var_os("NOTIFY_SOCKET")?;
        let for_us = std::env::var("WATCHDOG_PID")
            .ok()
            .and_then(|p| p.parse::<u32>().ok())
            .is_none_or(|pid| pid == std::process::id());
        let watchdog = std::env::var("WATCHDOG_USEC")
            .ok()
            .and_then(|v| v.parse::<u64>().ok())
            .filter(|&usec| usec > 0 && for_us)
            .map(Duration::from_micros);
        Some(Self::new(socket, watchdog))
    }

    /// Sends one notification datagram (e.g. `READY=1`).
    ///
    /// # Errors
    /// [`Error::Io`] if the socket cannot be reached.
    pub fn send(&self, message: &str) -> Result<()> {
        let io = |source| Error::Io {
            what: format!("cannot notify systemd at {}", self.socket.display()),
            source,
        };
        let socket = std::os::unix::net::UnixDatagram::unbound().map_err(io)?;
        let text = self.socket.to_string_lossy();
        if let Some(name) = text.strip_prefix('@') {
            #[cfg(target_os = "linux")]
            {
                use std::os::linux::net::SocketAddrExt as _;
                let addr = std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes())
                    .map_err(io)?;
                socket.send_to_addr(message.as_bytes(), &addr).map_err(io)?;
                return Ok(());
            }
            #[cfg(not(target_os = "linux"))]
            return Err(io(std::io::Error::other(format!(
                "abstract socket {name} is Linux-only"
            ))));
        }
        socket
            .send_to(message.as_bytes(), &self.socket)
            .map_err(io)?;
        Ok(())
    }
}

/// Pings the watchdog at half its interval while `probe` answers.
pub(crate) async fn watchdog_loop(notifier: Systemd, interval: Duration, probe: SelfProbe) {
    let period = interval / 2;
    let mut ticker = tokio::time::interval(period);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        match tokio::time::timeout(period, probe.check()).await {
            Ok(Ok(())) => {
                if let Err(e) = notifier.send("WATCHDOG=1") {
                    tracing::warn!(error = %e, "watchdog ping not delivered");
                }
            }
            Ok(Err(e)) => {
                tracing::error!(error = %e, "own health check failed; watchdog ping withheld")
            }
            Err(_) => tracing::error!("own health check timed out; watchdog ping withheld"),
        }
    }
}

/// A health check against the server's own listener over TLS, trusting
/// exactly the certificate the server presents.
#[derive(Debug, Clone)]
pub(crate) struct SelfProbe {
    addr: std::net::SocketAddr,
    config: Arc<rustls::ClientConfig>,
}

impl SelfProbe {
    pub(crate) fn new(addr: std::net::SocketAddr, leaf: CertificateDer<'static>) -> Result<Self> {
        let provider = Arc::new(crate::tls::provider());
        let verifier = Arc::new(crate::tls::PinnedCerts::new(
            vec![leaf],
            None,
            Arc::clone(&provider),
        ));
        let mut config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| Error::Tls(e.to_string()))?
            .dangerous()
            .with_custom_certificate_verifier(verifier)
            .with_no_client_auth();
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Self {
            addr,
            config: Arc::new(config),
        })
    }

    /// GET /healthz over a fresh TLS connection; Ok only on HTTP 200.
    pub(crate) async fn check(&self) -> Result<()> {
        let io = |source| Error::Io {
            what: format!("self health check on {}", self.addr),
            source,
        };
        let mut target = self.addr;
        if target.ip().is_unspecified() {
            target.set_ip(match target {
                std::net::SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
                std::net::SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
            });
        }
        let tcp = tokio::net::TcpStream::connect(target).await.map_err(io)?;
        let name = ServerName::IpAddress(target.ip().into());
        let connector = tokio_rustls::TlsConnector::from(Arc::clone(&self.config));
        let mut tls = connector.connect(name, tcp).await.map_err(io)?;
        tls.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            .await
            .map_err(io)?;
        let mut head = [0_u8; 12];
        tls.read_exact(&mut head).await.map_err(io)?;
        if &head == b"HTTP/1.1 200" {
            Ok(())
        } else {
            Err(Error::Internal(format!(
                "own /healthz answered {}",
                String::from_utf8_lossy(&head)
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sends_datagrams_to_a_real_socket() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notify.sock");
        let receiver = std::os::unix::net::UnixDatagram::bind(&path).unwrap();
        receiver
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        Systemd::new(&path, None).send("READY=1").unwrap();
        let mut buf = [0_u8; 64];
        let n = receiver.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"READY=1");
        let missing = Systemd::new(dir.path().join("absent.sock"), None);
        assert!(missing.send("READY=1").is_err());
    }
}
