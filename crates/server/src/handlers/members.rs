//! `/api/v1/members`: who belongs to the company, their roles, and
//! off-boarding (SECURITY-MODEL §9).
//!
//! A change of role and a removal both end every session of the member's
//! login at once (a privilege change: they sign in again, and a demotion is
//! effective on the very next request); their API keys act with the new
//! role at once, and a removal revokes them. Nobody grants a role with a
//! permission they lack, nor re-roles or removes a member whose role holds
//! one; the company's last owner can be neither demoted nor removed.

use axum::Extension;
use axum::extract::{Path, State};
use faktura_store::platform::Membership;
use serde::{Deserialize, Serialize};

use super::roles::{require_subset, resolve_role};
use super::{Body, List, ListParams, Params, rfc3339};
use crate::audit_log::AuditSlot;
use crate::auth::{CompanyCtx, now_us, role_permissions};
use crate::error::{Error, Problem, Result};
use crate::ids::IdKind;
use crate::state::AppState;

/// A member as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct MemberView {
    /// `mem_…`.
    id: String,
    /// `log_…`: the person.
    login_id: String,
    /// The person's e-mail address.
    email: String,
    /// A built-in role name or a custom role's `rol_…` id.
    role: String,
    /// When they joined (RFC 3339).
    created_at: String,
    /// Their last successful sign-in (RFC 3339), if any.
    last_login_at: Option<String>,
}

async fn view(state: &AppState, m: Membership) -> Result<MemberView> {
    let login = state
        .store
        .login(&m.login_id)
        .await?
        .ok_or_else(|| Error::Internal(format!("membership {} without its login", m.id)))?;
    Ok(MemberView {
        email: super::me::login_email(state, &login).await?,
        last_login_at: login.last_login_us.map(rfc3339),
        created_at: rfc3339(m.created_us),
        id: m.id,
        login_id: m.login_id,
        role: m.role,
    })
}

/// The membership `id` of the company the request acts for; anything else
/// (malformed, unknown, another company's) is the same 404.
async fn membership(state: &AppState, ctx: &CompanyCtx, id: &str) -> Result<Membership> {
    if !IdKind::Membership.is_valid(id) {
        return Err(Error::NotFound);
    }
    state
        .store
        .membership(&ctx.company.id, id)
        .await?
        .ok_or(Error::NotFound)
}

/// The company's members, oldest first.
#[utoipa::path(get, path = "/api/v1/members", tag = "members",
    params(ListParams),
    responses(
        (status = 200, description = "A page of members", body = List<MemberView>),
        (status = 403, description = "Lacks member.read", body = Problem, content_type = "application/problem+json")))]
pub(crate) async fn list(
    State(state): State<AppState>,
    Extension(ctx): Extension<CompanyCtx>,
    Params(params): Params<ListParams>,
) -> Result<axum::Json<List<MemberView>>> {
    let rows = state
        .store
        .memberships(&ctx.company.id, &params.page())
        .await?;
    let mut views = Vec::with_capacity(rows.len());
    for m in rows {
        views.push(view(&state, m).await?);
    }
    Ok(axum::Json(List::new(views, params.limit(), |v| {
        v.id.clone()
    })))
}

/// One member.
#[utoipa::path(get, path = "/api/v1/members/{id}", tag = "members",
    params(("id" = String, Path, description = "A `mem_…` id")),
    responses(
        (status = 200, description = "The member", body = MemberView),
        (status = 404, description = "No such member in this company", body = Problem, content_type = "application/problem+json")))]
pub(crate) async fn get(
    State(state): State<AppState>,
    Extension(ctx): Extension<CompanyCtx>,
    Path(id): Path<String>,
) -> Result<axum::Json<MemberView>> {
    let m = membership(&state, &ctx, &id).await?;
    Ok(axum::Json(view(&state, m).await?))
}

/// A change of a member's role.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct UpdateMember {
    /// A built-in role name or a `rol_…` id of this company's roles.
    role: String,
}

/// Gives a member another role; every session of theirs ends.
#[utoipa::path(patch, path = "/api/v1/members/{id}", tag = "members",
    params(("id" = String, Path, description = "A `mem_…` id")),
    request_body = UpdateMember,
    responses(
        (status = 200, description = "Changed; the member's sessions ended", body = MemberView),
        (status = 403, description = "The new or the current role holds a permission the caller lacks",
            body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such member in this company", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The company's last owner", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Unknown role", body = Problem, content_type = "application/problem+json")))]
pub(crate) async fn update(
    State(state): State<AppState>,
    Extension(ctx): Extension<CompanyCtx>,
    Extension(audit): Extension<AuditSlot>,
    Path(id): Path<String>,
    Body(req): Body<UpdateMember>,
) -> Result<axum::Json<MemberView>> {
    let m = membership(&state, &ctx, &id).await?;
    audit.target(&m.id);
    audit.detail("login", m.login_id.as_str());
    audit.detail("role_from", m.role.as_str());
    let wanted = resolve_role(&state, &ctx.company.id, &req.role, "role").await?;
    audit.detail("role_to", req.role.as_str());
    require_subset(&wanted, &ctx)?;
    require_subset(&role_permissions(&state, &ctx.company.id, &m).await?, &ctx)?;
    if m.role != req.role {
        state
            .store
            .set_membership_role(&ctx.company.id, &m.id, &req.role)
            .await?;
        // A privilege change: the member signs in again.
        let ended = state.store.delete_sessions_of(&m.login_id, None).await?;
        audit.detail("sessions_ended", ended);
    }
    let m = membership(&state, &ctx, &id).await?;
    Ok(axum::Json(view(&state, m).await?))
}

/// What off-boarding did.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct Offboarded {
    /// The `key_…` ids of the API keys the member had created here, now revoked.
    revoked_api_keys: Vec<String>,
    /// Every session of the member's login ended.
    sessions_ended: bool,
    /// The company's shared secrets the member could see, to rotate now. This
    /// slice keeps no shared secrets yet (no webhooks or integrations), so the
    /// list is empty; it will name them once they exist.
    secrets_to_rotate: Vec<String>,
}

/// Off-boards a member at once: removes the membership, revokes the API keys
/// they created in the company and ends every session of their login.
#[utoipa::path(delete, path = "/api/v1/members/{id}", tag = "members",
    params(("id" = String, Path, description = "A `mem_…` id")),
    responses(
        (status = 200, description = "Removed; what was revoked", body = Offboarded),
        (status = 403, description = "The member's role holds a permission the caller lacks",
            body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such member in this company", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The company's last owner", body = Problem, content_type = "application/problem+json")))]
pub(crate) async fn remove(
    State(state): State<AppState>,
    Extension(ctx): Extension<CompanyCtx>,
    Extension(audit): Extension<AuditSlot>,
    Path(id): Path<String>,
) -> Result<axum::Json<Offboarded>> {
    let m = membership(&state, &ctx, &id).await?;
    audit.target(&m.id);
    audit.detail("login", m.login_id.as_str());
    audit.detail("role", m.role.as_str());
    require_subset(&role_permissions(&state, &ctx.company.id, &m).await?, &ctx)?;
    let revoked = state
        .store
        .remove_membership(&ctx.company.id, &m.id, now_us())
        .await?;
    audit.detail("revoked_api_keys", revoked.clone());
    audit.detail("sessions_ended", true);
    audit.detail("secrets_to_rotate", Vec::<String>::new());
    Ok(axum::Json(Offboarded {
        revoked_api_keys: revoked,
        sessions_ended: true,
        secrets_to_rotate: Vec::new(),
    }))
}
