//! Request-wide layers: request ids, security headers, the seal gate and
//! request counting. Wired in `router.rs`.

use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse as _, Response};

use crate::error::Error;
use crate::state::AppState;

/// The request id header, accepted from the client if well-formed.
pub(crate) static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
/// Set on every response of a development instance.
pub(crate) static DEV_INSTANCE: HeaderName = HeaderName::from_static("x-faktura-dev-instance");
/// HSTS: two years, subdomains included.
const HSTS: &str = "max-age=63072000; includeSubDomains";

/// Paths that answer while the instance is sealed.
pub(crate) const SEALED_ALLOWED: [&str; 4] = [
    "/healthz",
    "/readyz",
    "/api/v1/sys/seal-status",
    "/api/v1/sys/unseal",
];

tokio::task_local! {
    static CURRENT_ID: String;
}

/// The id of the request being handled, or `unknown` outside a request.
#[must_use]
pub(crate) fn current_request_id() -> String {
    CURRENT_ID
        .try_with(Clone::clone)
        .unwrap_or_else(|_| "unknown".to_owned())
}

/// Whether a client-supplied id is acceptable: 1-64 of `[A-Za-z0-9._-]`.
fn well_formed(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

fn new_request_id() -> String {
    use faktura_crypto::SecureRng as _;
    let mut bytes = [0_u8; 12];
    match faktura_crypto::OsRng.fill(&mut bytes) {
        Ok(()) => format!("req_{}", crate::instance::hex(&bytes)),
        Err(_) => "req_unavailable".to_owned(),
    }
}

/// Outermost layer: request id, HSTS, dev header, counting.
pub(crate) async fn frame(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let id = request
        .headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| well_formed(v))
        .map_or_else(new_request_id, str::to_owned);
    let mut response = CURRENT_ID.scope(id.clone(), next.run(request)).await;
    state.metrics.record(response.status().as_u16());
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&id) {
        headers.insert(REQUEST_ID.clone(), value);
    }
    headers.insert(
        axum::http::header::STRICT_TRANSPORT_SECURITY,
        HeaderValue::from_static(HSTS),
    );
    headers.insert(
        axum::http::header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        axum::http::header::CACHE_CONTROL,
        HeaderValue::from_static("no-store"),
    );
    // An API serves no active content: nothing may load, frame or refer from it.
    headers.insert(
        axum::http::header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'; base-uri 'none'"),
    );
    headers.insert(
        axum::http::header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(
        axum::http::header::X_FRAME_OPTIONS,
        HeaderValue::from_static("DENY"),
    );
    headers.insert(
        HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(
        HeaderName::from_static("cross-origin-resource-policy"),
        HeaderValue::from_static("same-origin"),
    );
    if state.dev {
        headers.insert(DEV_INSTANCE.clone(), HeaderValue::from_static("true"));
    }
    response
}

/// Refuses everything but health and unseal while sealed.
pub(crate) async fn seal_gate(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    if state.seal.is_sealed() && !SEALED_ALLOWED.contains(&request.uri().path()) {
        return Error::Sealed.into_response();
    }
    next.run(request).await
}
