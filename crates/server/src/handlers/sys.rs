//! `/api/v1/sys`: seal status and unsealing, one custodian's share per request.

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use serde::Deserialize;

use crate::error::{Error, Problem, Result};
use crate::seal::SealStatus;
use crate::state::AppState;

/// One custodian's share. `Debug` is written by hand so the share never
/// reaches a log.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct UnsealRequest {
    /// The plain share file text as `faktura init` wrote it (decrypt an
    /// encrypted share file with its passphrase first; `faktura unseal` does).
    share: String,
}

impl std::fmt::Debug for UnsealRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("UnsealRequest { share: [redacted] }")
    }
}

/// Whether the instance is sealed, and the unseal progress.
#[utoipa::path(get, path = "/api/v1/sys/seal-status", tag = "sys",
    responses((status = 200, description = "Seal status", body = SealStatus)))]
pub(crate) async fn seal_status(State(state): State<AppState>) -> Json<SealStatus> {
    Json(state.seal.status())
}

/// Supplies one custodian's share; the instance unseals at the threshold.
#[utoipa::path(post, path = "/api/v1/sys/unseal", tag = "sys",
    request_body = UnsealRequest,
    responses(
        (status = 200, description = "Share accepted; progress or unsealed", body = SealStatus),
        (status = 409, description = "Duplicate share, or already unsealed", body = Problem,
            content_type = "application/problem+json"),
        (status = 422, description = "Malformed, foreign, corrupt or mismatching share", body = Problem,
            content_type = "application/problem+json")))]
pub(crate) async fn unseal(
    State(state): State<AppState>,
    body: Result<Json<UnsealRequest>, JsonRejection>,
) -> Result<Json<SealStatus>> {
    let Json(request) = body?;
    if !state.seal.is_sealed() {
        return Err(Error::AlreadyUnsealed);
    }
    let text = faktura_crypto::SecretString::new(request.share);
    let share =
        faktura_crypto::Share::from_text(text.expose_secret(), None).map_err(Error::Share)?;
    let status = state.seal.submit(share)?;
    tracing::info!(
        seal.progress = status.progress,
        seal.threshold = status.threshold,
        seal.sealed = status.sealed,
        "unseal share accepted"
    );
    Ok(Json(status))
}
