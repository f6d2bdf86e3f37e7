//! The Faktura HTTPS server: `faktura serve`.
//!
//! It serves the REST API over TLS 1.2/1.3 (rustls, forward-secret AEAD
//! suites only), starts sealed and answers only health and unseal until K
//! custodians have supplied their shares, converts every error to RFC 9457
//! problem+json in one place ([`error`]) and wires every route in one place
//! (`router.rs`). It is the only crate that knows HTTP.
//!
//! What it deliberately does not do: no SQL (that is `faktura-store`), no
//! cryptography of its own (that is `faktura-crypto`), no plain-HTTP
//! listener, and no business routes yet (companies, logins and invoices
//! arrive in later slices).
//!
//! ```no_run
//! # async fn run() -> Result<(), faktura_server::Error> {
//! use faktura_server::{Config, Overrides, StartOptions};
//! let config = Config::load(None, Overrides { data_dir: Some("/tmp/fk".into()), dev: true, ..Overrides::default() })?;
//! let running = faktura_server::start(config, StartOptions::default()).await?;
//! println!("listening on https://{}", running.addr);
//! # Ok(()) }
//! ```
//!
//! # Security
//! The root key exists only in memory, in zeroizing types, after a
//! successful unseal. Shares and the setup token are never logged; only
//! share counts are. Every unseal request (share accepted with its progress,
//! share refused with its reason class, instance unsealed) is appended to the
//! audit trail with its request id and source address, never the share; the
//! unseal endpoint is rate limited per source address (429 with
//! `Retry-After`, checked before the body is read). 5xx answers carry only the request id; the cause is
//! logged once with that id. Every response carries HSTS and `X-Request-Id`;
//! a `--dev` instance also carries `X-Faktura-Dev-Instance: true`.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod audit_log;
mod auth;
pub mod client;
pub mod config;
pub mod error;
mod handlers;
pub mod healthcheck;
mod idempotency;
mod ids;
pub mod instance;
mod limit;
mod middleware;
pub mod notify;
mod passwords;
mod policy;
mod router;
pub mod seal;
mod serve;
mod state;
pub mod tls;
mod vault;

pub use config::{Config, Overrides};
pub use error::{Error, Problem, Result};
pub use notify::Systemd;
pub use router::{
    RoutePolicy, all_permissions, builtin_role_permissions, route_policies, tier_has_feature,
};
pub use seal::SealStatus;
pub use serve::{DEV_CERT_FILE, Running, StartOptions, start};
pub use tls::ServerIdentity;

/// The OpenAPI 3.1 document of the API, as served at `/api/v1/openapi.json`.
#[must_use]
pub fn openapi_json() -> String {
    use utoipa::OpenApi as _;
    router::ApiDoc::openapi()
        .to_pretty_json()
        .unwrap_or_default()
}
