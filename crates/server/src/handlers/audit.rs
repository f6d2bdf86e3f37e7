//! `/api/v1/audit`: the company's own audit trail, oldest first, with
//! filters and a cursor.
//!
//! Entries of other companies and of the instance never appear (the store's
//! query is scoped by company). Details are opened with the company's
//! audit-payload key; an entry whose details do not open is still listed,
//! with `details: null` and a `details_error` saying so, so one damaged entry
//! never hides the rest.

use axum::Extension;
use axum::extract::State;
use faktura_store::platform::AuditFilter;
use serde::{Deserialize, Serialize};

use super::{List, Params, rfc3339};
use crate::auth::CompanyCtx;
use crate::error::{Error, Problem, Result};
use crate::state::AppState;

/// Filters and cursor of the audit list.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub(crate) struct AuditParams {
    /// Only entries of this action (e.g. `apikey.create`).
    action: Option<String>,
    /// Only entries of this actor (`log_…` or `key_…`).
    actor: Option<String>,
    /// Only entries at or after this time (RFC 3339).
    from: Option<String>,
    /// Only entries before this time (RFC 3339).
    to: Option<String>,
    /// The `seq` of the last entry of the previous page (`next_cursor`).
    starting_after: Option<String>,
    /// Entries per page, 1 to 100 (default 25).
    limit: Option<i64>,
}

/// One audit entry.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct AuditEntryView {
    /// Position in the instance's chain (the cursor).
    seq: u64,
    /// When (RFC 3339).
    time: String,
    /// Who acted: `log_…`, `key_…` or `anonymous`.
    actor: String,
    /// What was done, e.g. `member.remove`.
    action: String,
    /// What it was done to (an id), or empty.
    target: String,
    /// `success`, `failure` or `denied`.
    outcome: String,
    /// The request's `X-Request-Id`.
    request_id: String,
    /// The client's address.
    source: String,
    /// Extra facts (a JSON object), or `null` when they could not be opened.
    #[schema(value_type = Object)]
    details: serde_json::Value,
    /// Why `details` is `null`, when it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    details_error: Option<String>,
}

/// Microseconds since the epoch of an RFC 3339 parameter.
fn time_param(raw: Option<&str>, name: &str) -> Result<Option<i64>> {
    let Some(raw) = raw else { return Ok(None) };
    let bad = || {
        Error::BadRequest(format!(
            "`{name}`: not an RFC 3339 time like 2026-01-31T00:00:00Z"
        ))
    };
    let t = time::OffsetDateTime::parse(raw, &time::format_description::well_known::Rfc3339)
        .map_err(|_| bad())?;
    i64::try_from(t.unix_timestamp_nanos() / 1000)
        .map(Some)
        .map_err(|_| bad())
}

impl AuditParams {
    fn filter(&self) -> Result<AuditFilter> {
        let after_seq = match self.starting_after.as_deref() {
            None => None,
            Some(raw) => Some(raw.parse::<i64>().ok().filter(|s| *s >= 0).ok_or_else(|| {
                Error::BadRequest(
                    "`starting_after`: pass the `next_cursor` of the previous page (a sequence number)"
                        .into(),
                )
            })?),
        };
        Ok(AuditFilter {
            action: self.action.clone(),
            actor: self.actor.clone(),
            from_us: time_param(self.from.as_deref(), "from")?,
            to_us: time_param(self.to.as_deref(), "to")?,
            after_seq,
            limit: self.limit(),
        })
    }

    fn limit(&self) -> i64 {
        self.limit.unwrap_or(25).clamp(1, 100)
    }
}

/// The company's audit entries, oldest first.
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit",
    params(AuditParams),
    responses(
        (status = 200, description = "A page of entries (`{data, has_more, next_cursor}`)", body = List<AuditEntryView>),
        (status = 400, description = "A malformed time or cursor", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Without `audit.read`", body = Problem, content_type = "application/problem+json")))]
pub(crate) async fn list(
    State(state): State<AppState>,
    Extension(ctx): Extension<CompanyCtx>,
    Params(params): Params<AuditParams>,
) -> Result<axum::Json<List<AuditEntryView>>> {
    let filter = params.filter()?;
    let company = ctx.company.id.as_str();
    let entries = state.store.company_audit(company, &filter).await?;
    let mut views = Vec::with_capacity(entries.len());
    for entry in entries {
        let f = entry.fields;
        let (details, details_error) =
            match state
                .vault
                .open_audit(Some(company), &f.request_id, &f.details)
                .await
            {
                Ok(plain) => match serde_json::from_slice::<serde_json::Value>(plain.expose_secret()) {
                    Ok(v @ serde_json::Value::Object(_)) => (v, None),
                    _ => (
                        serde_json::Value::Null,
                        Some("the details opened but are not a JSON object".to_owned()),
                    ),
                },
                Err(_) => (
                    serde_json::Value::Null,
                    Some(
                        "the details could not be opened with this company's audit key (damaged, or sealed under another key)"
                            .to_owned(),
                    ),
                ),
            };
        views.push(AuditEntryView {
            seq: entry.seq,
            time: rfc3339(f.time_us),
            actor: f.actor,
            action: f.action,
            target: f.target,
            outcome: f.outcome.as_str().to_owned(),
            request_id: f.request_id,
            source: f.source,
            details,
            details_error,
        });
    }
    Ok(axum::Json(List::new(views, filter.limit, |v| {
        v.seq.to_string()
    })))
}
