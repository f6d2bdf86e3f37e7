//! `/api/v1/roles`: the six built-in roles and the company's own roles.
//!
//! A custom role is a named set of permissions (the name sealed with the
//! company's key). Nobody can create or widen a role beyond the permissions
//! they hold themselves, nor change a role that holds permissions they lack,
//! so `member.manage` never becomes a way to escalate. The checks shared with
//! members and invitations ([`resolve_role`], [`require_subset`]) live here.

use axum::Extension;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use faktura_crypto::OsRng;
use faktura_store::platform::CustomRole;
use serde::{Deserialize, Serialize};

use super::{Body, List, ListParams, Params, check_name};
use crate::audit_log::AuditSlot;
use crate::auth::{CompanyCtx, now_us};
use crate::error::{Error, Problem, Result};
use crate::ids::IdKind;
use crate::policy::{BuiltinRole, Permission, Permissions};
use crate::state::AppState;

/// The table name sealed role names are bound to.
const TABLE: &str = "custom_role";

/// A role as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct RoleView {
    /// A built-in role's name (`owner`, …) or a custom role's `rol_…` id.
    id: String,
    /// The role's name.
    name: String,
    /// The permissions it grants (wire names, sorted).
    permissions: Vec<&'static str>,
    /// Whether it is one of the six built-in roles (which cannot be changed).
    builtin: bool,
}

fn builtin_view(role: BuiltinRole) -> RoleView {
    RoleView {
        id: role.as_str().to_owned(),
        name: role.as_str().to_owned(),
        permissions: role.permissions().names(),
        builtin: true,
    }
}

async fn custom_view(state: &AppState, r: &CustomRole) -> Result<RoleView> {
    Ok(RoleView {
        id: r.id.clone(),
        name: state
            .vault
            .open_text(&r.company_id, TABLE, &r.id, &r.name_sealed)
            .await?,
        permissions: Permissions::from_stored(&r.permissions).names(),
        builtin: false,
    })
}

/// The permissions of `role` in `company_id`: a built-in name or a custom
/// `rol_…` id of this very company.
///
/// # Errors
/// [`Error::Unprocessable`] naming `field` for any other value (another
/// company's role is as unknown as a made-up one).
pub(crate) async fn resolve_role(
    state: &AppState,
    company_id: &str,
    role: &str,
    field: &str,
) -> Result<Permissions> {
    if let Some(builtin) = BuiltinRole::parse(role) {
        return Ok(builtin.permissions());
    }
    if IdKind::Role.is_valid(role)
        && let Some(custom) = state.store.role(company_id, role).await?
    {
        return Ok(Permissions::from_stored(&custom.permissions));
    }
    Err(Error::Unprocessable(format!(
        "{field}: unknown role `{}`; give a built-in role ({}) or the `rol_…` id of one of this company's roles (GET /api/v1/roles)",
        role.chars().take(64).collect::<String>(),
        BuiltinRole::ALL.map(BuiltinRole::as_str).join(", ")
    )))
}

/// Refuses when `wanted` holds a permission the caller lacks: nobody grants,
/// defines or takes away more than they hold themselves.
///
/// # Errors
/// [`Error::Forbidden`] naming the first such permission.
pub(crate) fn require_subset(wanted: &Permissions, ctx: &CompanyCtx) -> Result<()> {
    if wanted.is_subset(&ctx.permissions) {
        return Ok(());
    }
    match Permission::ALL
        .into_iter()
        .find(|p| wanted.has(*p) && !ctx.permissions.has(*p))
    {
        Some(missing) => Err(Error::Forbidden {
            permission: missing.as_str(),
        }),
        None => Ok(()),
    }
}

/// The company's custom role `id` (404 for built-in names, malformed ids and
/// other companies' roles alike).
async fn custom_role(state: &AppState, ctx: &CompanyCtx, id: &str) -> Result<CustomRole> {
    if !IdKind::Role.is_valid(id) {
        return Err(Error::NotFound);
    }
    state
        .store
        .role(&ctx.company.id, id)
        .await?
        .ok_or(Error::NotFound)
}

fn refuse_builtin(id: &str) -> Result<()> {
    if BuiltinRole::parse(id).is_some() {
        return Err(Error::Conflict(format!(
            "`{id}` is a built-in role and cannot be changed or deleted; create a custom role with POST /api/v1/roles instead"
        )));
    }
    Ok(())
}

/// Built-in roles first (on the first page), then the company's own roles, oldest first.
#[utoipa::path(get, path = "/api/v1/roles", tag = "roles",
    params(ListParams),
    responses(
        (status = 200, description = "Built-in roles, then a page of custom roles (the cursor runs over custom roles)", body = List<RoleView>),
        (status = 403, description = "Lacks member.read", body = Problem, content_type = "application/problem+json")))]
pub(crate) async fn list(
    State(state): State<AppState>,
    Extension(ctx): Extension<CompanyCtx>,
    Params(params): Params<ListParams>,
) -> Result<axum::Json<List<RoleView>>> {
    let rows = state.store.roles(&ctx.company.id, &params.page()).await?;
    let mut views = Vec::with_capacity(rows.len());
    for r in &rows {
        views.push(custom_view(&state, r).await?);
    }
    let mut page = List::new(views, params.limit(), |v| v.id.clone());
    if params.starting_after.is_none() {
        let mut data: Vec<RoleView> = BuiltinRole::ALL.into_iter().map(builtin_view).collect();
        data.append(&mut page.data);
        page.data = data;
    }
    Ok(axum::Json(page))
}

/// One role: a built-in name or a custom `rol_…` id.
#[utoipa::path(get, path = "/api/v1/roles/{id}", tag = "roles",
    params(("id" = String, Path, description = "A built-in role name or a `rol_…` id")),
    responses(
        (status = 200, description = "The role", body = RoleView),
        (status = 404, description = "No such role in this company", body = Problem, content_type = "application/problem+json")))]
pub(crate) async fn get(
    State(state): State<AppState>,
    Extension(ctx): Extension<CompanyCtx>,
    Path(id): Path<String>,
) -> Result<axum::Json<RoleView>> {
    if let Some(builtin) = BuiltinRole::parse(&id) {
        return Ok(axum::Json(builtin_view(builtin)));
    }
    let role = custom_role(&state, &ctx, &id).await?;
    Ok(axum::Json(custom_view(&state, &role).await?))
}

/// A new custom role.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateRole {
    /// The role's name, 1 to 200 characters.
    name: String,
    /// Permission wire names (`invoice.read`, …); at least one, each held by the caller.
    permissions: Vec<String>,
}

/// Creates a custom role (plans with `custom_roles`).
#[utoipa::path(post, path = "/api/v1/roles", tag = "roles",
    request_body = CreateRole,
    responses(
        (status = 201, description = "Created", body = RoleView),
        (status = 403, description = "Lacks member.manage or a permission given to the role, or not in this plan",
            body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid name or unknown permission", body = Problem, content_type = "application/problem+json")))]
pub(crate) async fn create(
    State(state): State<AppState>,
    Extension(ctx): Extension<CompanyCtx>,
    Extension(audit): Extension<AuditSlot>,
    Body(req): Body<CreateRole>,
) -> Result<(StatusCode, axum::Json<RoleView>)> {
    let name = check_name(&req.name, "name")?;
    let permissions = Permissions::from_request(&req.permissions, "permissions")?;
    require_subset(&permissions, &ctx)?;
    let id = IdKind::Role.generate(&OsRng)?;
    audit.target(&id);
    audit.detail("permissions", permissions.to_stored());
    let company_id = &ctx.company.id;
    let role = CustomRole {
        name_sealed: state
            .vault
            .seal(company_id, TABLE, &id, name.as_bytes())
            .await?,
        company_id: company_id.clone(),
        permissions: permissions.to_stored(),
        created_us: now_us(),
        id,
    };
    state.store.create_role(&role).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(custom_view(&state, &role).await?),
    ))
}

/// A change of a custom role; absent fields stay as they are.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct UpdateRole {
    /// The new name.
    name: Option<String>,
    /// The new permissions (replacing the old ones).
    permissions: Option<Vec<String>>,
}

/// Changes a custom role. When its permissions change, every session of the
/// members holding it ends (a privilege change; they sign in again).
#[utoipa::path(patch, path = "/api/v1/roles/{id}", tag = "roles",
    params(("id" = String, Path, description = "A `rol_…` id")),
    request_body = UpdateRole,
    responses(
        (status = 200, description = "Changed", body = RoleView),
        (status = 403, description = "The role holds, or would hold, a permission the caller lacks",
            body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such role in this company", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A built-in role", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid name or unknown permission", body = Problem, content_type = "application/problem+json")))]
pub(crate) async fn update(
    State(state): State<AppState>,
    Extension(ctx): Extension<CompanyCtx>,
    Extension(audit): Extension<AuditSlot>,
    Path(id): Path<String>,
    Body(req): Body<UpdateRole>,
) -> Result<axum::Json<RoleView>> {
    refuse_builtin(&id)?;
    let mut role = custom_role(&state, &ctx, &id).await?;
    audit.target(&role.id);
    let before = Permissions::from_stored(&role.permissions);
    require_subset(&before, &ctx)?;
    if let Some(name) = &req.name {
        let name = check_name(name, "name")?;
        role.name_sealed = state
            .vault
            .seal(&ctx.company.id, TABLE, &role.id, name.as_bytes())
            .await?;
        audit.detail("name_changed", true);
    }
    let mut changed = false;
    if let Some(names) = &req.permissions {
        let after = Permissions::from_request(names, "permissions")?;
        require_subset(&after, &ctx)?;
        changed = after != before;
        audit.detail("permissions_from", before.to_stored());
        audit.detail("permissions_to", after.to_stored());
        role.permissions = after.to_stored();
    }
    state.store.update_role(&role).await?;
    if changed {
        let ended = end_sessions_of_holders(&state, &ctx.company.id, &role.id).await?;
        audit.detail("sessions_ended_for", ended);
    }
    Ok(axum::Json(custom_view(&state, &role).await?))
}

/// Ends every session of every member holding `role`; returns how many members.
async fn end_sessions_of_holders(state: &AppState, company_id: &str, role: &str) -> Result<u64> {
    let logins = state.store.logins_with_role(company_id, role).await?;
    for login in &logins {
        state.store.delete_sessions_of(login, None).await?;
    }
    Ok(u64::try_from(logins.len()).unwrap_or(u64::MAX))
}

/// Deletes a custom role that no member or open invitation holds.
#[utoipa::path(delete, path = "/api/v1/roles/{id}", tag = "roles",
    params(("id" = String, Path, description = "A `rol_…` id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such role in this company", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A built-in role, or still held by a member or an open invitation",
            body = Problem, content_type = "application/problem+json")))]
pub(crate) async fn remove(
    State(state): State<AppState>,
    Extension(ctx): Extension<CompanyCtx>,
    Extension(audit): Extension<AuditSlot>,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    refuse_builtin(&id)?;
    let role = custom_role(&state, &ctx, &id).await?;
    audit.target(&role.id);
    match state.store.delete_role(&ctx.company.id, &role.id).await {
        Ok(()) => Ok(StatusCode::NO_CONTENT),
        Err(faktura_store::Error::InUse(what)) => Err(Error::Conflict(format!(
            "the {what}; give those members another role (PATCH /api/v1/members/{{id}}) and withdraw those invitations first"
        ))),
        Err(e) => Err(e.into()),
    }
}
