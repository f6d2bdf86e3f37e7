//! `POST /api/v1/sessions` (sign in) and `DELETE /api/v1/sessions/current`
//! (sign out), with brute-force protection (SECURITY-MODEL §4).
//!
//! Every failure answers the same 401 (`bad-credentials`) whether the address
//! is unknown, the password wrong or the account locked, and costs the same
//! Argon2id verification. Failures are counted per account (its e-mail blind
//! index, so unknown addresses are counted too) in the database, so a lock
//! holds across restarts and instances: after `lockout_threshold` failures
//! the account is locked for `lockout_base`, doubling with each further
//! failure up to `lockout_max`; during a lock even the right password fails.
//! Locks are temporary, and counted attempts during a lock do not extend it,
//! so a stranger cannot lock a person out for good. Sign-in attempts are also
//! throttled per source address (429).

use std::net::SocketAddr;
use std::time::Instant;

use axum::Extension;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use faktura_audit::Outcome;
use faktura_crypto::{OsRng, PasswordHash, SecretString, SecureRng as _};
use serde::{Deserialize, Serialize};

use super::{Body, normalise_email, rfc3339};
use crate::audit_log::{AuditNote, AuditSlot};
use crate::auth::{Actor, Caller, SESSION_COOKIE, client_ip, now_us, session_cookie, token_hash};
use crate::error::{Error, Problem, Result};
use crate::state::AppState;
use crate::vault::INSTANCE;

/// Sign-in credentials.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SignIn {
    /// E-mail address.
    email: String,
    /// Password.
    password: String,
    /// The current code of the authenticator app, when the login has a second factor.
    totp_code: Option<String>,
}

impl std::fmt::Debug for SignIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SignIn { [redacted] }")
    }
}

/// A new session. The session token itself is only in the cookie.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct SessionCreated {
    /// The login id.
    login_id: String,
    /// Send as `X-CSRF-Token` on every write of this session.
    csrf_token: String,
    /// When the session ends at the latest (RFC 3339).
    expires_at: String,
}

/// The blind index that identifies an account in the throttle and login tables.
pub(crate) async fn email_subject(state: &AppState, email: &str) -> Result<Vec<u8>> {
    state
        .vault
        .blind(INSTANCE, "login.email", email.as_bytes())
        .await
}

/// Signs in; sets the session cookie.
#[utoipa::path(post, path = "/api/v1/sessions", tag = "sessions",
    request_body = SignIn,
    responses(
        (status = 201, description = "Signed in; the session cookie is set", body = SessionCreated),
        (status = 401, description = "Wrong e-mail or password, locked account, or second factor needed",
            body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many sign-ins from this address; see Retry-After",
            body = Problem, content_type = "application/problem+json")))]
pub(crate) async fn create(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Extension(audit): Extension<AuditSlot>,
    headers: HeaderMap,
    Body(req): Body<SignIn>,
) -> Result<Response> {
    let source = client_ip(&headers, peer.ip(), &state.settings.trusted_proxies);
    state
        .limits
        .login
        .take(source, Instant::now())
        .map_err(crate::limit::limited)?;
    // A malformed address fails like a wrong one: the answer says nothing about accounts.
    let email = normalise_email(&req.email, "email").unwrap_or_default();
    let password = SecretString::new(req.password);
    let subject = email_subject(&state, &email).await?;
    let now = now_us();
    let locked = state
        .store
        .throttle(&subject)
        .await?
        .is_some_and(|t| t.locked_until_us > now);
    let login = state.store.login_by_email_index(&subject).await?;
    if let Some(l) = &login {
        audit.target(&l.id);
    }
    let stored = login
        .as_ref()
        .filter(|l| l.disabled_us.is_none())
        .map(|l| PasswordHash::from_phc(l.password_phc.clone()));
    let (ok, rehash) = state.passwords.verify(password.clone(), stored).await?;
    if locked {
        audit.detail("reason", "locked");
        return Err(Error::BadCredentials);
    }
    let known = login.as_ref().map(|l| l.id.clone());
    let Some(login) = login.filter(|_| ok) else {
        audit.detail("reason", "bad credentials");
        count_failure(&state, &audit, known.as_deref(), &subject, now).await?;
        return Err(Error::BadCredentials);
    };
    if let Some(sealed) = &login.totp_sealed {
        let Some(code) = req.totp_code.as_deref() else {
            audit.detail("reason", "second factor missing");
            return Err(Error::TotpRequired);
        };
        if !super::me::check_totp(&state, &login.id, sealed, login.totp_last_step, code).await? {
            audit.detail("reason", "bad second factor");
            count_failure(&state, &audit, Some(&login.id), &subject, now).await?;
            return Err(Error::BadCredentials);
        }
    }
    state.store.clear_login_failures(&subject).await?;
    if rehash {
        let upgraded = state.passwords.hash(password).await?;
        state
            .store
            .set_password(&login.id, upgraded.as_phc())
            .await?;
        audit.detail("password_rehashed", true);
    }
    state.store.touch_login(&login.id, now).await?;
    audit.note(|n| n.actor = Some(login.id.clone()));
    // Rotation: a session presented with the sign-in ends; the new one is fresh.
    if let Some(old) = session_cookie(&headers) {
        state.store.delete_session(&token_hash(old)).await?;
    }
    let (cookie, created) = new_session(&state, &login.id, now).await?;
    let mut response = (StatusCode::CREATED, axum::Json(created)).into_response();
    response.headers_mut().insert(header::SET_COOKIE, cookie);
    Ok(response)
}

/// Counts a failed password or second factor towards the lock-out of the
/// account `subject` (its e-mail blind index; `login_id` when the login
/// exists): after `lockout_threshold` failures the account is locked for
/// `lockout_base`, doubling with each further failure up to `lockout_max`,
/// and a separate `login.locked` entry is written. Sign-in and accepting an
/// invitation with an existing login share this one policy.
pub(crate) async fn count_failure(
    state: &AppState,
    audit: &AuditSlot,
    login_id: Option<&str>,
    subject: &[u8],
    now: i64,
) -> Result<()> {
    let failures = state.store.record_login_failure(subject, now).await?;
    let s = &state.settings;
    if failures < s.lockout_threshold {
        return Ok(());
    }
    let doublings = u32::try_from(failures - s.lockout_threshold)
        .unwrap_or(u32::MAX)
        .min(20);
    let lock = s
        .lockout_base
        .saturating_mul(1_u32 << doublings)
        .min(s.lockout_max);
    let until = now.saturating_add(i64::try_from(lock.as_micros()).unwrap_or(i64::MAX));
    state.store.lock_login(subject, until).await?;
    let mut note = AuditNote {
        target: login_id.map(str::to_owned),
        ..AuditNote::default()
    };
    audit.note(|n| note.source.clone_from(&n.source));
    note.details.insert("failures".into(), failures.into());
    note.details.insert(
        "locked_for_ms".into(),
        u64::try_from(lock.as_millis()).unwrap_or(u64::MAX).into(),
    );
    tracing::warn!(failures, "account locked after repeated failed passwords");
    crate::audit_log::append(state, "login.locked", note, Outcome::Denied).await
}

/// Creates a session for `login_id`: a fresh random token (the cookie) and CSRF token.
async fn new_session(
    state: &AppState,
    login_id: &str,
    now: i64,
) -> Result<(HeaderValue, SessionCreated)> {
    let token = random_token()?;
    let csrf = random_token()?;
    let absolute = state.settings.session_absolute;
    let expires_us = now.saturating_add(i64::try_from(absolute.as_micros()).unwrap_or(i64::MAX));
    state
        .store
        .create_session(&faktura_store::platform::Session {
            token_hash: token_hash(token.expose_secret()),
            login_id: login_id.to_owned(),
            csrf_hash: token_hash(csrf.expose_secret()),
            created_us: now,
            last_seen_us: now,
            expires_us,
        })
        .await?;
    let cookie = HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={}; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age={}",
        token.expose_secret(),
        absolute.as_secs()
    ))
    .map_err(|_| Error::Internal("session cookie is not a header value".into()))?;
    Ok((
        cookie,
        SessionCreated {
            login_id: login_id.to_owned(),
            csrf_token: csrf.expose_secret().to_owned(),
            expires_at: rfc3339(expires_us),
        },
    ))
}

/// 256 random bits, URL-safe base64 without padding.
fn random_token() -> Result<SecretString> {
    use base64::Engine as _;
    let mut bytes = [0_u8; 32];
    OsRng.fill(&mut bytes).map_err(Error::Crypto)?;
    Ok(SecretString::new(
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes),
    ))
}

/// Signs out: ends this session and tells the browser to forget it.
#[utoipa::path(delete, path = "/api/v1/sessions/current", tag = "sessions",
    responses(
        (status = 204, description = "Signed out"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json")))]
pub(crate) async fn delete(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> Result<Response> {
    if let Actor::Login { session_hash, .. } = &caller.actor {
        state.store.delete_session(session_hash).await?;
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::SET_COOKIE,
        HeaderValue::from_static(
            "__Host-faktura_session=; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0",
        ),
    );
    headers.insert(
        axum::http::HeaderName::from_static("clear-site-data"),
        HeaderValue::from_static("\"cookies\", \"storage\""),
    );
    Ok(response)
}
