//! Every HTTP route, in one place, with the layers that frame them.
//!
//! Layer order (outermost first): request id + security headers + counting
//! ([`middleware::frame`]), then the seal gate ([`middleware::seal_gate`]),
//! then the body limit. Unknown paths and methods answer problem+json.

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

use crate::error::Error;
use crate::handlers::{health, meta, sys};
use crate::middleware;
use crate::state::AppState;

/// Largest request body accepted by any route in this slice.
pub(crate) const MAX_BODY_BYTES: usize = 64 * 1024;

/// The OpenAPI 3.1 document of every route.
#[derive(Debug, utoipa::OpenApi)]
#[openapi(
    info(
        title = "Faktura API",
        description = "Self-hosted EN 16931 e-invoicing. Errors are RFC 9457 problem+json."
    ),
    paths(
        health::healthz,
        health::readyz,
        sys::seal_status,
        sys::unseal,
        meta::metrics,
        meta::security_txt,
        meta::openapi,
    ),
    components(schemas(crate::error::Problem, crate::seal::SealStatus))
)]
pub(crate) struct ApiDoc;

/// The application: routes, fallbacks and layers.
pub(crate) fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(meta::metrics))
        .route("/.well-known/security.txt", get(meta::security_txt))
        .route("/api/v1/openapi.json", get(meta::openapi))
        .route("/api/v1/sys/seal-status", get(sys::seal_status))
        .route("/api/v1/sys/unseal", post(sys::unseal))
        .fallback(|| async { Error::NotFound })
        .method_not_allowed_fallback(|| async { Error::MethodNotAllowed })
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::seal_gate,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::frame,
        ))
        .with_state(state)
}
