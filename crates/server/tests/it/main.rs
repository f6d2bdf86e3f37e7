//! Integration tests: the real server over real TLS (one test binary).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a panic is a test failure with its message"
)]

mod access_review;
mod api_keys;
mod at_rest;
mod audit_api;
mod auth;
mod frame;
mod hardening;
mod idempotency;
mod invitations;
mod matrix;
mod members;
mod platform;
mod postgres;
mod roles;
mod seal;
mod tls;
mod unseal_audit;
mod watchdog;

/// Parses a problem+json answer, checking its content type.
async fn problem(response: reqwest::Response) -> serde_json::Value {
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert_eq!(content_type, "application/problem+json");
    response.json().await.unwrap()
}
