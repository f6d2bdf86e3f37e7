//! Liveness and readiness.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;

use crate::error::Error;
use crate::state::AppState;

/// Health and readiness answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct Health {
    /// `ok`, `sealed` or `unavailable`.
    status: &'static str,
    /// Whether the instance is sealed.
    sealed: bool,
}

/// Liveness: the process answers (sealed or not).
#[utoipa::path(get, path = "/healthz", tag = "health",
    responses((status = 200, description = "The server process is alive", body = Health)))]
pub(crate) async fn healthz(State(state): State<AppState>) -> Json<Health> {
    Json(Health {
        status: "ok",
        sealed: state.seal.is_sealed(),
    })
}

/// Readiness: unsealed and the database answers.
#[utoipa::path(get, path = "/readyz", tag = "health",
    responses(
        (status = 200, description = "Ready to serve requests", body = Health),
        (status = 503, description = "Sealed, or the database does not answer", body = Health)))]
pub(crate) async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    if state.seal.is_sealed() {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(Health {
                status: "sealed",
                sealed: true,
            }),
        );
    }
    // A cheap query stands in for a ping until crates/store offers one.
    match state.store.audit_len().await {
        Ok(_) => (
            StatusCode::OK,
            Json(Health {
                status: "ok",
                sealed: false,
            }),
        ),
        Err(e) => {
            tracing::warn!(error = %Error::from(e), "readiness: database does not answer");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(Health {
                    status: "unavailable",
                    sealed: false,
                }),
            )
        }
    }
}
