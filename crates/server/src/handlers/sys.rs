//! `/api/v1/sys`: seal status and unsealing, one custodian's share per request.

use std::net::SocketAddr;
use std::time::Instant;

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{ConnectInfo, State};
use faktura_audit::{EntryFields, Outcome};
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
        (status = 429, description = "Too many unseal requests from this address; see Retry-After", body = Problem,
            content_type = "application/problem+json"),
        (status = 422, description = "Malformed, foreign, corrupt or mismatching share", body = Problem,
            content_type = "application/problem+json")))]
pub(crate) async fn unseal(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    body: Result<Json<UnsealRequest>, JsonRejection>,
) -> Result<Json<SealStatus>> {
    // Throttled before anything is read or audited, so a flood costs neither.
    if let Err(wait) = state.unseal_limit.take(peer.ip(), Instant::now()) {
        let retry_after_secs = wait
            .as_secs()
            .saturating_add(u64::from(wait.subsec_nanos() > 0));
        tracing::warn!(source = %peer.ip(), "unseal request rate limited");
        return Err(Error::RateLimited {
            retry_after_secs: retry_after_secs.max(1),
        });
    }
    let outcome = submit(&state, body);
    let (action, result, details) = match &outcome {
        Ok(status) if !status.sealed => (
            "unseal.complete",
            Outcome::Success,
            serde_json::json!({ "threshold": status.threshold }),
        ),
        Ok(status) => (
            "unseal.share",
            Outcome::Success,
            serde_json::json!({ "progress": status.progress, "threshold": status.threshold }),
        ),
        Err(e) => (
            "unseal.share",
            Outcome::Failure,
            serde_json::json!({ "reason": e.problem_kind().slug }),
        ),
    };
    let fields = EntryFields {
        time_us: now_us(),
        company: None,
        actor: "custodian".into(),
        action: action.into(),
        target: "instance".into(),
        outcome: result,
        request_id: crate::middleware::current_request_id(),
        source: peer.ip().to_string(),
        details: serde_json::to_vec(&details).unwrap_or_default(),
    };
    // No trail, no answer: a share the trail does not record is not reported accepted.
    state.store.append_audit(fields).await?;
    outcome.map(Json)
}

/// Parses and offers the share; the audit entry is written by the caller.
fn submit(
    state: &AppState,
    body: Result<Json<UnsealRequest>, JsonRejection>,
) -> Result<SealStatus> {
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
    Ok(status)
}

/// Microseconds since the Unix epoch, for audit entries.
pub(crate) fn now_us() -> i64 {
    use faktura_crypto::Clock as _;
    let nanos = faktura_crypto::SystemClock.now().unix_timestamp_nanos() / 1000;
    i64::try_from(nanos).unwrap_or(i64::MAX)
}
