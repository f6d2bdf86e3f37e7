//! `/api/v1/invitations`: inviting a person into the company, and their
//! accepting it.
//!
//! An invitation carries a one-time token (`fk_inv_` and 256 random bits)
//! that is shown once, to the inviting admin, who passes it on (this slice
//! sends no e-mail); only its SHA-256 is stored, and the invitee's address
//! is sealed with the company's key. It expires after seven days. Accepting
//! (public, with the token) either proves the password of the existing login
//! of the invited address — throttled and locked out like a sign-in — or
//! creates that login with the given password. The plan's member limit is
//! checked atomically with the acceptance. An unknown, used or expired token
//! gets one and the same answer.

use std::net::SocketAddr;
use std::time::Instant;

use axum::Extension;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, StatusCode};
use faktura_crypto::{OsRng, PasswordHash, SecretString, SecureRng as _};
use faktura_store::platform::{Invitation, Login, Membership};
use serde::{Deserialize, Serialize};

use super::roles::{require_subset, resolve_role};
use super::{Body, List, ListParams, Params, normalise_email, rfc3339};
use crate::audit_log::AuditSlot;
use crate::auth::{Caller, CompanyCtx, client_ip, now_us, token_hash};
use crate::error::{Error, Problem, Result};
use crate::ids::IdKind;
use crate::policy::Tier;
use crate::state::AppState;

/// The table name sealed invitee addresses are bound to.
const TABLE: &str = "invitation";
/// The prefix of invitation tokens.
const TOKEN_PREFIX: &str = "fk_inv_";
/// How long an invitation can be accepted: seven days, in µs.
const VALIDITY_US: i64 = 7 * 24 * 3600 * 1_000_000;
/// Longest token looked up (a real one has 50 characters).
const MAX_TOKEN_CHARS: usize = 128;

/// An invitation as the API lists it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct InvitationView {
    /// `ivt_…`.
    id: String,
    /// The invited e-mail address.
    email: String,
    /// The role the invitee gets: a built-in name or a `rol_…` id.
    role: String,
    /// The inviting login (`log_…`).
    invited_by: String,
    /// `pending`, `accepted` or `expired`.
    status: &'static str,
    /// When it was made (RFC 3339).
    created_at: String,
    /// When it can no longer be accepted (RFC 3339).
    expires_at: String,
    /// When it was accepted (RFC 3339), if it was.
    accepted_at: Option<String>,
}

async fn invitee_email(state: &AppState, i: &Invitation) -> Result<String> {
    state
        .vault
        .open_text(&i.company_id, TABLE, &i.id, &i.email_sealed)
        .await
}

async fn view(state: &AppState, i: Invitation, now: i64) -> Result<InvitationView> {
    let status = match (i.accepted_us, i.expires_us > now) {
        (Some(_), _) => "accepted",
        (None, true) => "pending",
        (None, false) => "expired",
    };
    Ok(InvitationView {
        email: invitee_email(state, &i).await?,
        status,
        created_at: rfc3339(i.created_us),
        expires_at: rfc3339(i.expires_us),
        accepted_at: i.accepted_us.map(rfc3339),
        id: i.id,
        role: i.role,
        invited_by: i.invited_by,
    })
}

/// The company's invitations (open, accepted and expired), oldest first.
#[utoipa::path(get, path = "/api/v1/invitations", tag = "invitations",
    params(ListParams),
    responses(
        (status = 200, description = "A page of invitations", body = List<InvitationView>),
        (status = 403, description = "Lacks member.read", body = Problem, content_type = "application/problem+json")))]
pub(crate) async fn list(
    State(state): State<AppState>,
    Extension(ctx): Extension<CompanyCtx>,
    Params(params): Params<ListParams>,
) -> Result<axum::Json<List<InvitationView>>> {
    let rows = state
        .store
        .invitations(&ctx.company.id, &params.page())
        .await?;
    let now = now_us();
    let mut views = Vec::with_capacity(rows.len());
    for i in rows {
        views.push(view(&state, i, now).await?);
    }
    Ok(axum::Json(List::new(views, params.limit(), |v| {
        v.id.clone()
    })))
}

/// A new invitation.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateInvitation {
    /// The invitee's e-mail address (their sign-in name).
    email: String,
    /// A built-in role name or a `rol_…` id of this company's roles.
    role: String,
}

/// A new invitation with its one-time token.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct InvitationCreated {
    /// `ivt_…`.
    id: String,
    /// The invited e-mail address.
    email: String,
    /// The role the invitee gets.
    role: String,
    /// When it can no longer be accepted (RFC 3339).
    expires_at: String,
    /// The one-time token, shown only now: hand it to the invitee, who sends
    /// it to `POST /api/v1/invitations/accept`.
    token: String,
}

impl std::fmt::Debug for InvitationCreated {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InvitationCreated")
            .field("id", &self.id)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

/// `fk_inv_` and 256 random bits, URL-safe base64 without padding.
fn new_token() -> Result<SecretString> {
    use base64::Engine as _;
    let mut bytes = zeroize::Zeroizing::new([0_u8; 32]);
    OsRng.fill(bytes.as_mut_slice()).map_err(Error::Crypto)?;
    Ok(SecretString::new(format!(
        "{TOKEN_PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes.as_slice())
    )))
}

/// Invites a person; the answer holds the one-time token to hand them.
#[utoipa::path(post, path = "/api/v1/invitations", tag = "invitations",
    request_body = CreateInvitation,
    responses(
        (status = 201, description = "Created; the token is shown only now", body = InvitationCreated),
        (status = 403, description = "Lacks member.manage, or the role holds a permission the caller lacks",
            body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The person is a member already", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid e-mail address or unknown role", body = Problem, content_type = "application/problem+json")))]
pub(crate) async fn create(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Extension(ctx): Extension<CompanyCtx>,
    Extension(audit): Extension<AuditSlot>,
    Body(req): Body<CreateInvitation>,
) -> Result<(StatusCode, axum::Json<InvitationCreated>)> {
    let email = normalise_email(&req.email, "email")?;
    let permissions = resolve_role(&state, &ctx.company.id, &req.role, "role").await?;
    audit.detail("role", req.role.as_str());
    require_subset(&permissions, &ctx)?;
    let company_id = &ctx.company.id;
    let subject = super::sessions::email_subject(&state, &email).await?;
    if let Some(login) = state.store.login_by_email_index(&subject).await?
        && state
            .store
            .membership_of(company_id, &login.id)
            .await?
            .is_some()
    {
        return Err(Error::Conflict(
            "this person is a member of the company already; change their role with PATCH /api/v1/members/{id} instead".into(),
        ));
    }
    let id = IdKind::Invitation.generate(&OsRng)?;
    audit.target(&id);
    let token = new_token()?;
    let now = now_us();
    let invitation = Invitation {
        email_sealed: state
            .vault
            .seal(company_id, TABLE, &id, email.as_bytes())
            .await?,
        company_id: company_id.clone(),
        role: req.role,
        token_hash: token_hash(token.expose_secret()),
        invited_by: caller.actor.login_id().to_owned(),
        created_us: now,
        expires_us: now.saturating_add(VALIDITY_US),
        accepted_us: None,
        id,
    };
    state.store.create_invitation(&invitation).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(InvitationCreated {
            email,
            expires_at: rfc3339(invitation.expires_us),
            token: token.expose_secret().to_owned(),
            id: invitation.id,
            role: invitation.role,
        }),
    ))
}

/// Withdraws an invitation that was not accepted yet.
#[utoipa::path(delete, path = "/api/v1/invitations/{id}", tag = "invitations",
    params(("id" = String, Path, description = "An `ivt_…` id")),
    responses(
        (status = 204, description = "Withdrawn; its token no longer works"),
        (status = 404, description = "No such invitation in this company", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Accepted already", body = Problem, content_type = "application/problem+json")))]
pub(crate) async fn remove(
    State(state): State<AppState>,
    Extension(ctx): Extension<CompanyCtx>,
    Extension(audit): Extension<AuditSlot>,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    if !IdKind::Invitation.is_valid(&id) {
        return Err(Error::NotFound);
    }
    let invitation = state
        .store
        .invitation(&ctx.company.id, &id)
        .await?
        .ok_or(Error::NotFound)?;
    audit.target(&invitation.id);
    if invitation.accepted_us.is_some() {
        return Err(Error::Conflict(
            "this invitation was accepted already; to take the access away, remove the member with DELETE /api/v1/members/{id}".into(),
        ));
    }
    match state
        .store
        .delete_invitation(&ctx.company.id, &invitation.id)
        .await
    {
        Ok(()) => Ok(StatusCode::NO_CONTENT),
        Err(faktura_store::Error::NotFound(_)) => Err(Error::NotFound),
        Err(e) => Err(e.into()),
    }
}

/// Accepting an invitation.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AcceptInvitation {
    /// The `fk_inv_…` token from the inviting admin.
    token: String,
    /// The password of the existing login of the invited address, or, when
    /// there is none, the new login's password (8 to 128 characters).
    password: String,
}

impl std::fmt::Debug for AcceptInvitation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AcceptInvitation { [redacted] }")
    }
}

/// The new membership.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct Accepted {
    /// `mem_…`.
    member_id: String,
    /// `com_…`: the company joined.
    company_id: String,
    /// `log_…`: the login, now a member; sign in with POST /api/v1/sessions.
    login_id: String,
    /// The role in the company.
    role: String,
    /// Whether the login was created now.
    login_created: bool,
}

/// The one answer for a token that is unknown, used or expired.
fn no_such_invitation() -> Error {
    Error::Store(faktura_store::Error::NotFound(
        "invitation: the token is unknown, was used already, was withdrawn or has expired; ask the company for a new invitation"
            .into(),
    ))
}

/// Accepts an invitation: joins the company with the existing login of the
/// invited address (its password proves it) or a new login.
#[utoipa::path(post, path = "/api/v1/invitations/accept", tag = "invitations",
    request_body = AcceptInvitation,
    responses(
        (status = 201, description = "Joined; sign in next", body = Accepted),
        (status = 401, description = "Wrong password of the existing login, or it is locked for a while",
            body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The company's plan allows no more members", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown, used, withdrawn or expired token", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A member already", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "New password too short or long", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts from this address; see Retry-After",
            body = Problem, content_type = "application/problem+json")))]
pub(crate) async fn accept(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Extension(audit): Extension<AuditSlot>,
    headers: HeaderMap,
    Body(req): Body<AcceptInvitation>,
) -> Result<(StatusCode, axum::Json<Accepted>)> {
    let source = client_ip(&headers, peer.ip(), &state.settings.trusted_proxies);
    state
        .limits
        .login
        .take(source, Instant::now())
        .map_err(crate::limit::limited)?;
    let password = SecretString::new(req.password);
    let token = SecretString::new(req.token);
    let now = now_us();
    let invitation = if token.expose_secret().chars().count() <= MAX_TOKEN_CHARS {
        state
            .store
            .invitation_by_token(&token_hash(token.expose_secret()))
            .await?
    } else {
        None
    };
    let Some(invitation) = invitation.filter(|i| i.accepted_us.is_none() && i.expires_us > now)
    else {
        audit.detail("reason", "unknown, used or expired token");
        return Err(no_such_invitation());
    };
    audit.note(|n| n.company = Some(invitation.company_id.clone()));
    audit.target(&invitation.id);
    let company = state
        .store
        .company(&invitation.company_id)
        .await?
        .ok_or_else(no_such_invitation)?;
    let tier = Tier::parse(&company.tier)
        .ok_or_else(|| Error::Internal(format!("company {} has unknown tier", company.id)))?;
    let email = invitee_email(&state, &invitation).await?;
    let subject = super::sessions::email_subject(&state, &email).await?;
    let existing = state.store.login_by_email_index(&subject).await?;
    let (login_id, created) = match existing {
        Some(login) => {
            prove_password(&state, &audit, &login, password, &subject, now).await?;
            (login.id, false)
        }
        None => {
            crate::passwords::Passwords::check_policy(&password, "password")?;
            check_room(&state, &company.id, tier).await?;
            (
                super::me::create_login(&state, &email, password).await?,
                true,
            )
        }
    };
    audit.note(|n| n.actor = Some(login_id.clone()));
    audit.detail("login_created", created);
    audit.detail("role", invitation.role.as_str());
    if state
        .store
        .membership_of(&company.id, &login_id)
        .await?
        .is_some()
    {
        return Err(already_member());
    }
    let membership = Membership {
        id: IdKind::Membership.generate(&OsRng)?,
        company_id: company.id.clone(),
        login_id: login_id.clone(),
        role: invitation.role.clone(),
        created_us: now,
    };
    match state
        .store
        .accept_invitation(&invitation.id, &membership, now, tier.max_members())
        .await
    {
        Ok(()) => {}
        Err(faktura_store::Error::NotFound(_)) => return Err(no_such_invitation()),
        Err(faktura_store::Error::Conflict(_)) => return Err(already_member()),
        Err(faktura_store::Error::Limit(_)) => return Err(limit_error(tier)),
        Err(e) => return Err(e.into()),
    }
    audit.detail("member", membership.id.as_str());
    Ok((
        StatusCode::CREATED,
        axum::Json(Accepted {
            member_id: membership.id,
            company_id: membership.company_id,
            login_id,
            role: membership.role,
            login_created: created,
        }),
    ))
}

fn already_member() -> Error {
    Error::Conflict(
        "this login is a member of the company already; sign in with POST /api/v1/sessions".into(),
    )
}

fn limit_error(tier: Tier) -> Error {
    Error::LimitReached(format!(
        "members: the {} plan allows {} (ask the company to move to a higher plan)",
        tier.as_str(),
        tier.max_members().unwrap_or(i64::MAX)
    ))
}

/// Refuses early, before a new login is created, when the company is full
/// (the acceptance checks again, atomically).
async fn check_room(state: &AppState, company_id: &str, tier: Tier) -> Result<()> {
    if let Some(max) = tier.max_members()
        && state.store.member_count(company_id).await? >= max
    {
        return Err(limit_error(tier));
    }
    Ok(())
}

/// Checks the password of the existing login of the invited address with the
/// sign-in's protections: the same Argon2id cost, the account's lock-out, and
/// failures counted towards it.
async fn prove_password(
    state: &AppState,
    audit: &AuditSlot,
    login: &Login,
    password: SecretString,
    subject: &[u8],
    now: i64,
) -> Result<()> {
    let locked = state
        .store
        .throttle(subject)
        .await?
        .is_some_and(|t| t.locked_until_us > now);
    let stored =
        (login.disabled_us.is_none()).then(|| PasswordHash::from_phc(login.password_phc.clone()));
    let (ok, _) = state.passwords.verify(password, stored).await?;
    if locked {
        audit.detail("reason", "locked");
        return Err(Error::BadCredentials);
    }
    if !ok {
        audit.detail("reason", "bad credentials");
        super::sessions::count_failure(state, audit, Some(&login.id), subject, now).await?;
        return Err(Error::BadCredentials);
    }
    state.store.clear_login_failures(subject).await?;
    Ok(())
}
