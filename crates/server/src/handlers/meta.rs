//! Metrics, security.txt and the OpenAPI document.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use utoipa::OpenApi as _;

use crate::state::AppState;

/// Prometheus text: request counts by status class, seal state, uptime; no business data.
#[utoipa::path(get, path = "/metrics", tag = "meta",
    responses((status = 200, description = "Prometheus text format 0.0.4", body = String,
        content_type = "text/plain; version=0.0.4")))]
pub(crate) async fn metrics(State(state): State<AppState>) -> Response {
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
