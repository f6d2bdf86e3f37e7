//! `/api/v1/me`: the signed-in person — profile, companies, password and
//! the optional TOTP second factor.

use axum::Extension;
use axum::extract::State;
use axum::http::StatusCode;
use faktura_crypto::{OsRng, PasswordHash, SecretString, TotpSeed};
use serde::{Deserialize, Serialize};

use super::{Body, rfc3339};
use crate::audit_log::AuditSlot;
use crate::auth::{Actor, Caller, now_us};
use crate::error::{Error, Problem, Result};
use crate::ids::IdKind;
use crate::state::AppState;
use crate::vault::INSTANCE;

/// Creates a login with a hashed password; returns its id.
///
/// # Errors
/// [`Error::Conflict`] when a login with this e-mail exists.
pub(crate) async fn create_login(
    state: &AppState,
    email: &str,
    password: SecretString,
) -> Result<String> {
    let id = IdKind::Login.generate(&OsRng)?;
    let hash = state.passwords.hash(password).await?;
    let login = faktura_store::platform::Login {
        email_index: super::sessions::email_subject(state, email).await?,
        email_sealed: state
            .vault
            .seal(INSTANCE, "login", &id, email.as_bytes())
            .await?,
        password_phc: hash.as_phc().to_owned(),
        totp_sealed: None,
        totp_last_step: None,
        created_us: now_us(),
        last_login_us: None,
        disabled_us: None,
        id: id.clone(),
    };
    match state.store.create_login(&login).await {
        Ok(()) => Ok(id),
        Err(faktura_store::Error::Conflict(_)) => Err(Error::Conflict(
            "a login with this e-mail address exists already; sign in instead".into(),
        )),
        Err(e) => Err(e.into()),
    }
}

/// The e-mail address of a login, opened.
pub(crate) async fn login_email(
    state: &AppState,
    login: &faktura_store::platform::Login,
) -> Result<String> {
    state
        .vault
        .open_text(INSTANCE, "login", &login.id, &login.email_sealed)
        .await
}

/// Checks a TOTP code and records its step (a code works once).
pub(crate) async fn check_totp(
    state: &AppState,
    login_id: &str,
    sealed: &[u8],
    last_step: Option<i64>,
    code: &str,
) -> Result<bool> {
    let seed = state
        .vault
        .open(INSTANCE, "login.totp", login_id, sealed)
        .await?;
    let seed = TotpSeed::from_bytes(seed.expose_secret()).map_err(Error::Crypto)?;
    let last = last_step.and_then(|s| u64::try_from(s).ok());
    let Ok(Some(step)) = seed.verify(code, unix_now(), last) else {
        return Ok(false);
    };
    let step = i64::try_from(step).map_err(|_| Error::Internal("TOTP step out of range".into()))?;
    Ok(state.store.use_totp_step(login_id, step).await?)
}

/// RFC 4648 base32 (upper or lower case, no padding) to bytes, in a zeroizing buffer.
fn decode_base32(text: &str) -> Option<zeroize::Zeroizing<Vec<u8>>> {
    let mut out = zeroize::Zeroizing::new(Vec::with_capacity(text.len() * 5 / 8));
    let mut acc: u32 = 0;
    let mut bits = 0;
    for c in text.bytes().filter(|c| *c != b'=' && *c != b' ') {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a',
            b'2'..=b'7' => c - b'2' + 26,
            _ => return None,
        };
        acc = (acc << 5) | u32::from(v);
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push(u8::try_from((acc >> bits) & 0xff).ok()?);
        }
        acc &= 0xff;
    }
    Some(out)
}

fn unix_now() -> u64 {
    u64::try_from(time::OffsetDateTime::now_utc().unix_timestamp()).unwrap_or(0)
}

/// The signed-in person.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct Me {
    /// `log_…`.
    id: String,
    /// E-mail address.
    email: String,
    /// Whether sign-in asks for a TOTP code.
    totp_enabled: bool,
    /// When the login was created (RFC 3339).
    created_at: String,
    /// Every company this person belongs to, with their role there.
    memberships: Vec<MyMembership>,
}

/// One of the person's companies.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct MyMembership {
    /// `mem_…`.
    id: String,
    /// `com_…`: name it in the `Faktura-Company` header to act for it.
    company_id: String,
    /// The company's name.
    company_name: String,
    /// The role in that company.
    role: String,
}

fn login_of(caller: &Caller) -> Result<&str> {
    match &caller.actor {
        Actor::Login { login_id, .. } => Ok(login_id),
        Actor::ApiKey { .. } => Err(Error::SessionRequired),
    }
}

/// The signed-in person and their companies.
#[utoipa::path(get, path = "/api/v1/me", tag = "me",
    responses(
        (status = 200, description = "The signed-in person", body = Me),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json")))]
pub(crate) async fn get(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> Result<axum::Json<Me>> {
    let login_id = login_of(&caller)?;
    let login = state
        .store
        .login(login_id)
        .await?
        .ok_or(Error::Unauthenticated)?;
    let mut memberships = Vec::new();
    for m in state.store.memberships_of_login(login_id).await? {
        let Some(company) = state.store.company(&m.company_id).await? else {
            continue;
        };
        memberships.push(MyMembership {
            company_name: super::companies::company_name(&state, &company).await?,
            id: m.id,
            company_id: m.company_id,
            role: m.role,
        });
    }
    Ok(axum::Json(Me {
        email: login_email(&state, &login).await?,
        totp_enabled: login.totp_sealed.is_some(),
        created_at: rfc3339(login.created_us),
        id: login.id,
        memberships,
    }))
}

/// A password change.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PasswordChange {
    /// The current password.
    current_password: String,
    /// The new password, 8 to 128 characters.
    new_password: String,
}

impl std::fmt::Debug for PasswordChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordChange { [redacted] }")
    }
}

/// Changes the password; every other session of this person ends.
#[utoipa::path(put, path = "/api/v1/me/password", tag = "me",
    request_body = PasswordChange,
    responses(
        (status = 204, description = "Changed; other sessions ended"),
        (status = 401, description = "Current password wrong", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "New password too short or long", body = Problem, content_type = "application/problem+json")))]
pub(crate) async fn change_password(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Extension(audit): Extension<AuditSlot>,
    Body(req): Body<PasswordChange>,
) -> Result<StatusCode> {
    let login_id = login_of(&caller)?;
    audit.target(login_id);
    let login = state
        .store
        .login(login_id)
        .await?
        .ok_or(Error::Unauthenticated)?;
    let new = SecretString::new(req.new_password);
    crate::passwords::Passwords::check_policy(&new, "new_password")?;
    let (ok, _) = state
        .passwords
        .verify(
            SecretString::new(req.current_password),
            Some(PasswordHash::from_phc(login.password_phc)),
        )
        .await?;
    if !ok {
        return Err(Error::BadCredentials);
    }
    let hash = state.passwords.hash(new).await?;
    state.store.set_password(login_id, hash.as_phc()).await?;
    let keep = match &caller.actor {
        Actor::Login { session_hash, .. } => Some(session_hash.as_slice()),
        Actor::ApiKey { .. } => None,
    };
    let ended = state.store.delete_sessions_of(login_id, keep).await?;
    audit.detail("sessions_ended", ended);
    Ok(StatusCode::NO_CONTENT)
}

/// A new TOTP secret to put into an authenticator app.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct TotpEnrolment {
    /// The secret in base32; send it back with a code to confirm.
    secret: String,
    /// The same as an `otpauth://` URI (for a QR code).
    otpauth_uri: String,
}

impl std::fmt::Debug for TotpEnrolment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpEnrolment { [redacted] }")
    }
}

/// Starts TOTP enrolment: a fresh secret; nothing changes until it is confirmed.
#[utoipa::path(post, path = "/api/v1/me/totp", tag = "me",
    responses((status = 200, description = "A new secret to confirm", body = TotpEnrolment)))]
pub(crate) async fn totp_start(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> Result<axum::Json<TotpEnrolment>> {
    let login_id = login_of(&caller)?;
    let login = state
        .store
        .login(login_id)
        .await?
        .ok_or(Error::Unauthenticated)?;
    let email = login_email(&state, &login).await?;
    let seed = TotpSeed::generate(&OsRng).map_err(Error::Crypto)?;
    Ok(axum::Json(TotpEnrolment {
        secret: seed.to_base32().expose_secret().to_owned(),
        otpauth_uri: seed.otpauth_uri(&email).expose_secret().to_owned(),
    }))
}

/// Confirms a TOTP secret with a current code.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TotpConfirm {
    /// The secret from `POST /api/v1/me/totp`.
    secret: String,
    /// The code the authenticator app shows now.
    code: String,
}

impl std::fmt::Debug for TotpConfirm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpConfirm { [redacted] }")
    }
}

/// Turns the second factor on, once a code from the app proves it is set up.
#[utoipa::path(put, path = "/api/v1/me/totp", tag = "me",
    request_body = TotpConfirm,
    responses(
        (status = 204, description = "Second factor on"),
        (status = 422, description = "Wrong code or malformed secret", body = Problem, content_type = "application/problem+json")))]
pub(crate) async fn totp_confirm(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Extension(audit): Extension<AuditSlot>,
    Body(req): Body<TotpConfirm>,
) -> Result<StatusCode> {
    let login_id = login_of(&caller)?;
    audit.target(login_id);
    let secret = SecretString::new(req.secret);
    let seed = decode_base32(secret.expose_secret())
        .and_then(|bytes| TotpSeed::from_bytes(&bytes).ok())
        .ok_or_else(|| {
            Error::Unprocessable("secret: not the base32 secret from POST /api/v1/me/totp".into())
        })?;
    let step = seed
        .verify(&req.code, unix_now(), None)
        .ok()
        .flatten()
        .ok_or_else(|| {
            Error::Unprocessable("code: wrong or expired; enter the code the app shows now".into())
        })?;
    let sealed = state
        .vault
        .seal(INSTANCE, "login.totp", login_id, seed.expose_secret())
        .await?;
    state.store.set_totp(login_id, Some(&sealed)).await?;
    let step = i64::try_from(step).map_err(|_| Error::Internal("TOTP step out of range".into()))?;
    state.store.use_totp_step(login_id, step).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Proof for turning the second factor off.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TotpRemove {
    /// The current password.
    password: String,
}

impl std::fmt::Debug for TotpRemove {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpRemove { [redacted] }")
    }
}

/// Turns the second factor off (needs the password).
#[utoipa::path(delete, path = "/api/v1/me/totp", tag = "me",
    request_body = TotpRemove,
    responses(
        (status = 204, description = "Second factor off"),
        (status = 401, description = "Wrong password", body = Problem, content_type = "application/problem+json")))]
pub(crate) async fn totp_remove(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Extension(audit): Extension<AuditSlot>,
    Body(req): Body<TotpRemove>,
) -> Result<StatusCode> {
    let login_id = login_of(&caller)?;
    audit.target(login_id);
    let login = state
        .store
        .login(login_id)
        .await?
        .ok_or(Error::Unauthenticated)?;
    let (ok, _) = state
        .passwords
        .verify(
            SecretString::new(req.password),
            Some(PasswordHash::from_phc(login.password_phc)),
        )
        .await?;
    if !ok {
        return Err(Error::BadCredentials);
    }
    state.store.set_totp(login_id, None).await?;
    Ok(StatusCode::NO_CONTENT)
}
