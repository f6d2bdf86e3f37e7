//! The audit layer: every state-changing request appends one entry to the
//! trail, whatever its outcome, by construction rather than by each handler
//! remembering to. The route's action name comes from the policy table;
//! the authorisation layer and the handler fill in actor, company, target
//! and details through the request's [`AuditSlot`]. Details are sealed with
//! the company's audit-payload key before they reach the database.

use std::sync::{Arc, Mutex};

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse as _, Response};
use faktura_audit::{EntryFields, Outcome};

use crate::error::Error;
use crate::router::Route;
use crate::state::AppState;

/// What the layers and the handler learn about a request, for its entry.
#[derive(Debug, Default, Clone)]
pub(crate) struct AuditNote {
    /// The caller's id (`log_…`, `key_…`), if known.
    pub(crate) actor: Option<String>,
    /// The company acted for.
    pub(crate) company: Option<String>,
    /// The resource acted on (an id), if any.
    pub(crate) target: Option<String>,
    /// The source address.
    pub(crate) source: Option<String>,
    /// Extra facts, never secrets.
    pub(crate) details: serde_json::Map<String, serde_json::Value>,
}

/// A request's audit note, shared between the layers and the handler.
#[derive(Debug, Clone, Default)]
pub(crate) struct AuditSlot(Arc<Mutex<AuditNote>>);

impl AuditSlot {
    /// Changes the note.
    pub(crate) fn note(&self, f: impl FnOnce(&mut AuditNote)) {
        f(&mut self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner));
    }

    /// Sets the target and adds details.
    pub(crate) fn target(&self, target: &str) {
        self.note(|n| n.target = Some(target.to_owned()));
    }

    /// Adds one detail.
    pub(crate) fn detail(&self, key: &str, value: impl Into<serde_json::Value>) {
        self.note(|n| {
            n.details.insert(key.to_owned(), value.into());
        });
    }

    fn take(&self) -> AuditNote {
        std::mem::take(
            &mut self
                .0
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
    }
}

/// The outcome class of an answered request.
fn outcome(status: u16) -> Outcome {
    match status {
        200..=399 => Outcome::Success,
        401 | 403 | 404 | 429 => Outcome::Denied,
        _ => Outcome::Failure,
    }
}

/// The outermost layer of a state-changing route: appends its entry.
pub(crate) async fn record(
    State((state, route)): State<(AppState, &'static Route)>,
    mut request: Request,
    next: Next,
) -> Response {
    let slot = AuditSlot::default();
    request.extensions_mut().insert(slot.clone());
    let response = next.run(request).await;
    let status = response.status().as_u16();
    let mut note = slot.take();
    note.details.insert("status".to_owned(), status.into());
    match append(&state, route.action, note, outcome(status)).await {
        Ok(()) => response,
        // No trail, no success: the client learns the request's fate is unknown.
        Err(e) => {
            tracing::error!(action = route.action, error = %e, "audit append failed");
            e.into_response()
        }
    }
}

/// Appends one entry for `action` from `note`.
///
/// # Errors
/// Store or key errors.
pub(crate) async fn append(
    state: &AppState,
    action: &str,
    note: AuditNote,
    outcome: Outcome,
) -> Result<(), Error> {
    let request_id = crate::middleware::current_request_id();
    let plain = serde_json::to_vec(&note.details)
        .map_err(|e| Error::Internal(format!("audit details: {e}")))?;
    let details = if state.seal.is_sealed() {
        plain
    } else {
        state
            .vault
            .seal_audit(note.company.as_deref(), &request_id, &plain)
            .await?
    };
    state
        .store
        .append_audit(EntryFields {
            time_us: crate::auth::now_us(),
            company: note.company,
            actor: note.actor.unwrap_or_else(|| "anonymous".to_owned()),
            action: action.to_owned(),
            target: note.target.unwrap_or_default(),
            outcome,
            request_id,
            source: note.source.unwrap_or_default(),
            details,
        })
        .await?;
    Ok(())
}
