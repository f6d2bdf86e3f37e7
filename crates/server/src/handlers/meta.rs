//! Metrics, security.txt and the OpenAPI document.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use utoipa::OpenApi as _;

use crate::config::MetricsConfig;
use crate::error::{Error, Problem};
use crate::state::AppState;

/// The `[metrics]` configuration, a request extension set at start-up.
#[derive(Debug, Clone)]
pub(crate) struct MetricsAccess(pub(crate) Arc<MetricsConfig>);

/// Whether a request may read `/metrics`: its source address (the TCP peer,
/// or what a trusted proxy forwarded) must be in `[metrics] allow`.
fn may_read_metrics(
    allow: &MetricsConfig,
    headers: &HeaderMap,
    peer: IpAddr,
    trusted: &[IpAddr],
) -> bool {
    allow.allows(crate::auth::client_ip(headers, peer, trusted))
}

/// Prometheus text: request counts by status class, seal state, uptime; no
/// business data. Only for the sources in `[metrics] allow` (default
/// loopback); any other source gets the 404 of an unknown path.
#[utoipa::path(get, path = "/metrics", tag = "meta",
    responses((status = 200, description = "Prometheus text format 0.0.4", body = String,
        content_type = "text/plain; version=0.0.4"),
        (status = 404, description = "The source address is not in `[metrics] allow`",
            body = Problem, content_type = "application/problem+json")))]
pub(crate) async fn metrics(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    access: Option<Extension<MetricsAccess>>,
    headers: HeaderMap,
) -> Response {
    let default;
    let allow = match &access {
        Some(Extension(MetricsAccess(config))) => config.as_ref(),
        None => {
            default = MetricsConfig::default();
            &default
        }
    };
    if !may_read_metrics(allow, &headers, peer.ip(), &state.settings.trusted_proxies) {
        return Error::NotFound.into_response();
    }
    let body = state.metrics.render(state.seal.is_sealed());
    text(body, "text/plain; version=0.0.4; charset=utf-8")
}

/// RFC 9116 security.txt from the `[security]` configuration section.
#[utoipa::path(get, path = "/.well-known/security.txt", tag = "meta",
    responses((status = 200, description = "RFC 9116 security contact", body = String,
        content_type = "text/plain")))]
pub(crate) async fn security_txt(State(state): State<AppState>) -> Response {
    use std::fmt::Write as _;
    let s = &state.security;
    let mut out = String::new();
    for contact in &s.contact {
        let _ = writeln!(out, "Contact: {contact}");
    }
    let expires = s.expires.clone().unwrap_or_else(default_expiry);
    let _ = writeln!(out, "Expires: {expires}");
    if let Some(policy) = &s.policy {
        let _ = writeln!(out, "Policy: {policy}");
    }
    let _ = writeln!(out, "Preferred-Languages: {}", s.preferred_languages);
    text(out, "text/plain; charset=utf-8")
}

/// One year from now, RFC 3339 in UTC.
fn default_expiry() -> String {
    use faktura_crypto::Clock as _;
    let when = faktura_crypto::SystemClock.now() + time::Duration::days(365);
    when.replace_nanosecond(0)
        .unwrap_or(when)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// The OpenAPI 3.1 document, generated from the handlers' annotations.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "meta",
    responses((status = 200, description = "This document", body = Object)))]
pub(crate) async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(crate::router::ApiDoc::openapi())
}

fn text(body: String, content_type: &'static str) -> Response {
    let mut response = body.into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn forwarded(from: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", HeaderValue::from_str(from).unwrap());
        headers
    }

    #[test]
    fn metrics_answer_only_the_allowed_sources() {
        let loopback = MetricsConfig::default();
        let none = HeaderMap::new();
        assert!(may_read_metrics(&loopback, &none, ip("127.0.0.1"), &[]));
        assert!(may_read_metrics(&loopback, &none, ip("::1"), &[]));
        // An IPv4 client of a dual-stack listener.
        assert!(may_read_metrics(
            &loopback,
            &none,
            ip("::ffff:127.0.0.1"),
            &[]
        ));
        for other in [
            "192.0.2.7",
            "10.0.0.1",
            "127.0.0.2",
            "2001:db8::1",
            "0.0.0.0",
        ] {
            assert!(
                !may_read_metrics(&loopback, &none, ip(other), &[]),
                "{other}"
            );
        }
        // A client cannot claim to be local, and a trusted proxy on loopback
        // does not make the clients it forwards local.
        assert!(!may_read_metrics(
            &loopback,
            &forwarded("127.0.0.1"),
            ip("192.0.2.7"),
            &[]
        ));
        assert!(!may_read_metrics(
            &loopback,
            &forwarded("192.0.2.7"),
            ip("127.0.0.1"),
            &[ip("127.0.0.1")]
        ));
        let scraper = MetricsConfig {
            allow: vec![ip("192.0.2.7")],
        };
        assert!(may_read_metrics(&scraper, &none, ip("192.0.2.7"), &[]));
        assert!(!may_read_metrics(&scraper, &none, ip("127.0.0.1"), &[]));
        let off = MetricsConfig { allow: Vec::new() };
        assert!(!may_read_metrics(&off, &none, ip("127.0.0.1"), &[]));
    }
}
