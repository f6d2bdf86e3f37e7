//! `Idempotency-Key` on state-changing POST routes (API-CONVENTIONS "Safety
//! of retries").
//!
//! The layer runs inside [`crate::auth::authorize`], so it knows the caller
//! and the company. A key (1-255 printable ASCII characters) is scoped to
//! (company or none, the caller's actor id, the key). The first request
//! stores an in-flight placeholder, and the database's primary key decides
//! between concurrent duplicates: a duplicate of a request still running
//! answers 409 `idempotency-key-in-flight`. Once the handler has answered
//! with a 2xx or 4xx status, the answer (status, `Content-Type`, `Location`,
//! body) is kept for 24 hours; a 5xx answer is not kept, so the request may
//! be retried. A placeholder still in flight after 10 minutes was left by a
//! stopped process and no longer holds the key. A later request with the same key and the same method, path
//! and body gets the stored answer again with `Idempotent-Replayed: true`;
//! with another body it gets 422 `idempotency-key-reused`.
//!
//! # Security
//! A stored body may hold a one-time secret (a new API key, an invitation
//! token), so it is sealed with the company's record key (the instance's for
//! requests of no company), bound to its row; the client's key is stored only
//! as its SHA-256. Public routes (no caller) ignore the header: without a
//! caller there is no scope to keep an answer in, and their answers carry
//! cookies that are never stored.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse as _, Response};
use faktura_store::Store;
use faktura_store::idempotency::{IdemAnswer, IdemBegin, IdemRecord, IdemScope};
use sha2::{Digest as _, Sha256};

use crate::audit_log::AuditSlot;
use crate::auth::{Caller, CompanyCtx, now_us};
use crate::error::{Error, Result};
use crate::router::{MAX_BODY_BYTES, Route};
use crate::state::AppState;

/// The request header naming the key.
pub(crate) static KEY_HEADER: HeaderName = HeaderName::from_static("idempotency-key");
/// The response header marking a replayed answer.
pub(crate) static REPLAYED_HEADER: HeaderName = HeaderName::from_static("idempotent-replayed");
/// How long an answer is kept, in microseconds (24 hours).
pub(crate) const KEEP_US: i64 = 24 * 60 * 60 * 1_000_000;
/// How long a request may stay in flight before its placeholder counts as
/// left behind by a stopped process and the key may run again (10 minutes).
pub(crate) const STALE_US: i64 = 10 * 60 * 1_000_000;
/// The longest key accepted.
pub(crate) const MAX_KEY_LEN: usize = 255;
/// The table name sealed answers are bound to.
const TABLE: &str = "idempotency_record";

/// The layer of one route: keeps and replays answers of keyed POST requests.
pub(crate) async fn layer(
    State((state, route)): State<(AppState, &'static Route)>,
    request: Request,
    next: Next,
) -> Response {
    if route.method != Method::POST || route.action.is_empty() {
        return next.run(request).await;
    }
    match run(&state, request, next).await {
        Ok(response) => response,
        Err(e) => e.into_response(),
    }
}

/// Whether `key` is an acceptable `Idempotency-Key`: 1-255 printable ASCII characters.
pub(crate) fn well_formed(key: &[u8]) -> bool {
    (1..=MAX_KEY_LEN).contains(&key.len()) && key.iter().all(|b| (0x20..=0x7e).contains(b))
}

async fn run(state: &AppState, request: Request, next: Next) -> Result<Response> {
    let mut keys = request.headers().get_all(&KEY_HEADER).iter();
    let Some(key) = keys.next() else {
        return Ok(next.run(request).await);
    };
    if keys.next().is_some() || !well_formed(key.as_bytes()) {
        return Err(Error::BadRequest(format!(
            "the `Idempotency-Key` header must appear once and hold 1-{MAX_KEY_LEN} printable \
             ASCII characters (a UUID is a good choice)"
        )));
    }
    let Some(caller) = request.extensions().get::<Caller>() else {
        return Ok(next.run(request).await);
    };
    let company = request
        .extensions()
        .get::<CompanyCtx>()
        .map(|ctx| ctx.company.id.clone());
    let scope = IdemScope {
        company_id: company.clone().unwrap_or_default(),
        actor: caller.actor.audit_name().to_owned(),
        key_hash: Sha256::digest(key.as_bytes()).to_vec(),
    };
    let slot = request.extensions().get::<AuditSlot>().cloned();

    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, MAX_BODY_BYTES)
        .await
        .map_err(|_| Error::PayloadTooLarge {
            limit: MAX_BODY_BYTES,
        })?;
    let request_hash = request_hash(
        &parts.method,
        parts.uri.path_and_query().map_or("", |p| p.as_str()),
        &body,
    );
    let now = now_us();
    let begun = state
        .store
        .idempotency_begin(
            &scope,
            &request_hash,
            now,
            now.saturating_sub(KEEP_US),
            now.saturating_sub(STALE_US),
        )
        .await?;
    let owner = company.as_deref().unwrap_or(crate::vault::INSTANCE);
    let row_id = row_id(&scope);
    match begun {
        IdemBegin::Existing(record) => {
            if record.request_hash != request_hash {
                return Ok(Error::IdempotencyKeyReused.into_response());
            }
            let Some(status) = record.status else {
                return Ok(in_flight());
            };
            if let Some(slot) = &slot {
                slot.detail("idempotent_replay", true);
            }
            replay(state, owner, &row_id, status, &record).await
        }
        IdemBegin::Vanished => Ok(in_flight()),
        IdemBegin::Started => {
            let mut guard = Placeholder {
                armed: Some((state.store.clone(), scope.clone())),
            };
            let response = next.run(Request::from_parts(parts, Body::from(body))).await;
            let status = response.status();
            let scope = &scope;
            if !(status.is_success() || status.is_client_error()) {
                abandon(&state.store, scope).await;
                guard.armed = None;
                return Ok(response);
            }
            let (parts, body) = response.into_parts();
            let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
                // The handler's body failed mid-way: nothing sensible to keep or send.
                abandon(&state.store, scope).await;
                guard.armed = None;
                return Err(Error::Internal(
                    "idempotency: reading the handler's answer failed".to_owned(),
                ));
            };
            let text = |name: &HeaderName| {
                parts
                    .headers
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned)
            };
            let content_type = text(&header::CONTENT_TYPE);
            let location = text(&header::LOCATION);
            let stored = async {
                let sealed = state.vault.seal(owner, TABLE, &row_id, &bytes).await?;
                state
                    .store
                    .idempotency_complete(
                        scope,
                        IdemAnswer {
                            status: status.as_u16(),
                            content_type: content_type.as_deref(),
                            location: location.as_deref(),
                            body_sealed: &sealed,
                        },
                    )
                    .await?;
                Ok::<(), Error>(())
            }
            .await;
            if let Err(e) = stored {
                // The action happened: answer it; a retry will run again.
                tracing::error!(error = %e, "idempotency: storing the answer failed");
                abandon(&state.store, scope).await;
            }
            guard.armed = None;
            Ok(Response::from_parts(parts, Body::from(bytes)))
        }
    }
}

/// SHA-256 of the method, path with query, and body, with separators.
fn request_hash(method: &Method, path: &str, body: &[u8]) -> Vec<u8> {
    let mut h = Sha256::new();
    h.update(method.as_str().as_bytes());
    h.update([0]);
    h.update(path.as_bytes());
    h.update([0]);
    h.update(body);
    h.finalize().to_vec()
}

/// The row identity a stored answer is sealed to (with its company).
fn row_id(scope: &IdemScope) -> String {
    use std::fmt::Write as _;
    let mut id = format!("{}/", scope.actor);
    for b in &scope.key_hash {
        let _ = write!(id, "{b:02x}");
    }
    id
}

/// The stored answer again, marked as replayed.
async fn replay(
    state: &AppState,
    owner: &str,
    row_id: &str,
    status: i64,
    record: &IdemRecord,
) -> Result<Response> {
    let status = u16::try_from(status)
        .ok()
        .and_then(|s| StatusCode::from_u16(s).ok())
        .ok_or_else(|| Error::Internal(format!("idempotency: stored status {status}")))?;
    let sealed = record
        .body_sealed
        .as_deref()
        .ok_or_else(|| Error::Internal("idempotency: completed record without body".to_owned()))?;
    let body = state.vault.open(owner, TABLE, row_id, sealed).await?;
    let mut response = (status, body.expose_secret().to_vec()).into_response();
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CONTENT_TYPE, &record.content_type),
        (header::LOCATION, &record.location),
    ] {
        if let Some(v) = value.as_deref().and_then(|v| HeaderValue::from_str(v).ok()) {
            headers.insert(name, v);
        }
    }
    headers.insert(REPLAYED_HEADER.clone(), HeaderValue::from_static("true"));
    Ok(response)
}

fn in_flight() -> Response {
    Error::IdempotencyKeyInFlight.into_response()
}

/// Removes an in-flight placeholder; a failure only delays a retry until
/// the placeholder expires, so it is logged, not answered.
async fn abandon(store: &Store, scope: &IdemScope) {
    if let Err(e) = store.idempotency_abandon(scope).await {
        tracing::error!(error = %e, "idempotency: removing a placeholder failed");
    }
}

/// Removes the placeholder if the request is dropped before it completes
/// (the client went away mid-request), so the key does not stay in flight.
struct Placeholder {
    armed: Option<(Store, IdemScope)>,
}

impl Drop for Placeholder {
    fn drop(&mut self) {
        if let Some((store, scope)) = self.armed.take()
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            runtime.spawn(async move { abandon(&store, &scope).await });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_printable_ascii_up_to_255() {
        assert!(well_formed(b"a"));
        assert!(well_formed(b"550e8400-e29b-41d4-a716-446655440000"));
        assert!(well_formed(b" ~!"));
        assert!(well_formed(&[b'k'; 255]));
        assert!(!well_formed(b""));
        assert!(!well_formed(&[b'k'; 256]));
        assert!(!well_formed(b"tab\there"));
        assert!(!well_formed(b"del\x7f"));
        assert!(!well_formed("umlaut-\u{e4}".as_bytes()));
    }

    #[test]
    fn the_request_hash_separates_method_path_and_body() {
        let a = request_hash(&Method::POST, "/a", b"{}");
        assert_eq!(a, request_hash(&Method::POST, "/a", b"{}"));
        assert_ne!(a, request_hash(&Method::POST, "/a", b"{ }"));
        assert_ne!(a, request_hash(&Method::POST, "/b", b"{}"));
        assert_ne!(a, request_hash(&Method::PUT, "/a", b"{}"));
        assert_ne!(
            request_hash(&Method::POST, "/a", b"b"),
            request_hash(&Method::POST, "/ab", b"")
        );
    }
}
