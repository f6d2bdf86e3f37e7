//! Shared state of the running server, handed to every handler.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use crate::config::SecurityTxt;
use crate::limit::RateLimiter;
use crate::seal::Seal;

/// What every handler may read.
#[derive(Debug, Clone)]
pub(crate) struct AppState {
    /// The seal (and, once unsealed, the key ring).
    pub(crate) seal: Arc<Seal>,
    /// The database.
    pub(crate) store: faktura_store::Store,
    /// Request counters for /metrics.
    pub(crate) metrics: Arc<Metrics>,
    /// Development mode (adds the dev header to every response).
    pub(crate) dev: bool,
    /// The security.txt fields.
    pub(crate) security: Arc<SecurityTxt>,
    /// Per-address throttle of the unseal endpoint.
    pub(crate) unseal_limit: Arc<RateLimiter>,
    /// Data keys: sealing and opening of stored values.
    pub(crate) vault: Arc<crate::vault::Vault>,
    /// Authentication settings from the configuration.
    pub(crate) settings: Arc<crate::auth::AuthSettings>,
    /// Sign-in and API-key throttles.
    pub(crate) limits: crate::auth::SharedLimits,
    /// Password hashing (Argon2id, OWASP parameters).
    pub(crate) passwords: Arc<crate::passwords::Passwords>,
}

/// Counters exposed at /metrics: requests by status class, no business data.
#[derive(Debug)]
pub(crate) struct Metrics {
    started: Instant,
    by_class: [AtomicU64; 5],
}

impl Default for Metrics {
    fn default() -> Self {
        Self {
            started: Instant::now(),
            by_class: std::array::from_fn(|_| AtomicU64::new(0)),
        }
    }
}

impl Metrics {
    /// Counts one answered request with `status`.
    pub(crate) fn record(&self, status: u16) {
        let class = usize::from(status / 100).saturating_sub(1);
        if let Some(counter) = self.by_class.get(class) {
            counter.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Prometheus text exposition format 0.0.4.
    #[must_use]
    pub(crate) fn render(&self, sealed: bool) -> String {
        use std::fmt::Write as _;
        let mut out = String::new();
        out.push_str(
            "# HELP faktura_http_requests_total HTTP requests answered, by status class.\n",
        );
        out.push_str("# TYPE faktura_http_requests_total counter\n");
        for (i, counter) in self.by_class.iter().enumerate() {
            let _ = writeln!(
                out,
                "faktura_http_requests_total{{class=\"{}xx\"}} {}",
                i + 1,
                counter.load(Ordering::Relaxed)
            );
        }
        out.push_str("# HELP faktura_sealed 1 while the instance is sealed.\n");
        out.push_str("# TYPE faktura_sealed gauge\n");
        let _ = writeln!(out, "faktura_sealed {}", u8::from(sealed));
        out.push_str("# HELP faktura_uptime_seconds Seconds since the server started.\n");
        out.push_str("# TYPE faktura_uptime_seconds gauge\n");
        let _ = writeln!(
            out,
            "faktura_uptime_seconds {}",
            self.started.elapsed().as_secs()
        );
        out
    }
}
