//! `/api/v1/companies` and `/api/v1/company`: creating a company, and the
//! profile and tier of the company the request acts for.

use axum::Extension;
use axum::extract::State;
use axum::http::StatusCode;
use faktura_crypto::OsRng;
use faktura_store::platform::{Company, Membership, NewCompany};
use serde::{Deserialize, Serialize};

use super::{Body, check_name, rfc3339};
use crate::audit_log::AuditSlot;
use crate::auth::{Caller, CompanyCtx, now_us};
use crate::error::{Problem, Result};
use crate::ids::IdKind;
use crate::policy::{BuiltinRole, Tier};
use crate::state::AppState;

/// A company as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct CompanyView {
    /// `com_…`.
    id: String,
    /// The company's name.
    name: String,
    /// Subscription tier.
    tier: Tier,
    /// Creation time (RFC 3339).
    created_at: String,
}

/// The company's name, opened.
pub(crate) async fn company_name(state: &AppState, c: &Company) -> Result<String> {
    state
        .vault
        .open_text(&c.id, "company", &c.id, &c.name_sealed)
        .await
}

async fn view(state: &AppState, c: &Company) -> Result<CompanyView> {
    Ok(CompanyView {
        id: c.id.clone(),
        name: company_name(state, c).await?,
        tier: Tier::parse(&c.tier).unwrap_or(Tier::Free),
        created_at: rfc3339(c.created_us),
    })
}

/// Creates a company with `owner` as its owner; returns its id.
pub(crate) async fn create_company(state: &AppState, owner: &str, name: &str) -> Result<String> {
    let id = IdKind::Company.generate(&OsRng)?;
    let now = now_us();
    let new = NewCompany {
        company: Company {
            name_sealed: state
                .vault
                .seal(&id, "company", &id, name.as_bytes())
                .await?,
            tier: state.settings.default_tier.as_str().to_owned(),
            created_us: now,
            id: id.clone(),
        },
        owner: Membership {
            id: IdKind::Membership.generate(&OsRng)?,
            company_id: id.clone(),
            login_id: owner.to_owned(),
            role: BuiltinRole::Owner.as_str().to_owned(),
            created_us: now,
        },
        keys: Vec::new(),
    };
    state.store.create_company(&new).await?;
    Ok(id)
}

/// A new company.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateCompany {
    /// The company's name.
    name: String,
}

/// Creates a company; the caller becomes its owner.
#[utoipa::path(post, path = "/api/v1/companies", tag = "companies",
    request_body = CreateCompany,
    responses(
        (status = 201, description = "Created", body = CompanyView),
        (status = 422, description = "Invalid name", body = Problem, content_type = "application/problem+json")))]
pub(crate) async fn create(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Extension(audit): Extension<AuditSlot>,
    Body(req): Body<CreateCompany>,
) -> Result<(StatusCode, axum::Json<CompanyView>)> {
    let name = check_name(&req.name, "name")?;
    let id = create_company(&state, caller.actor.login_id(), &name).await?;
    audit.note(|n| n.company = Some(id.clone()));
    audit.target(&id);
    let company = state
        .store
        .company(&id)
        .await?
        .ok_or_else(|| crate::error::Error::Internal("new company vanished".into()))?;
    Ok((
        StatusCode::CREATED,
        axum::Json(view(&state, &company).await?),
    ))
}

/// The company the request acts for.
#[utoipa::path(get, path = "/api/v1/company", tag = "companies",
    responses((status = 200, description = "The company", body = CompanyView)))]
pub(crate) async fn get(
    State(state): State<AppState>,
    Extension(ctx): Extension<CompanyCtx>,
) -> Result<axum::Json<CompanyView>> {
    Ok(axum::Json(view(&state, &ctx.company).await?))
}

/// A change of the company's profile.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct UpdateCompany {
    /// The new name.
    name: Option<String>,
}

/// Changes the company's profile.
#[utoipa::path(patch, path = "/api/v1/company", tag = "companies",
    request_body = UpdateCompany,
    responses((status = 200, description = "Changed", body = CompanyView)))]
pub(crate) async fn update(
    State(state): State<AppState>,
    Extension(ctx): Extension<CompanyCtx>,
    Extension(audit): Extension<AuditSlot>,
    Body(req): Body<UpdateCompany>,
) -> Result<axum::Json<CompanyView>> {
    let id = &ctx.company.id;
    audit.target(id);
    if let Some(name) = req.name {
        let name = check_name(&name, "name")?;
        let sealed = state.vault.seal(id, "company", id, name.as_bytes()).await?;
        state.store.set_company_name(id, &sealed).await?;
        audit.detail("fields", "name");
    }
    let company = state
        .store
        .company(id)
        .await?
        .ok_or(crate::error::Error::NotFound)?;
    Ok(axum::Json(view(&state, &company).await?))
}

/// A tier change.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SetTier {
    /// The new tier.
    tier: Tier,
}

/// Changes the company's subscription tier.
#[utoipa::path(put, path = "/api/v1/company/tier", tag = "companies",
    request_body = SetTier,
    responses((status = 200, description = "Changed", body = CompanyView)))]
pub(crate) async fn set_tier(
    State(state): State<AppState>,
    Extension(ctx): Extension<CompanyCtx>,
    Extension(audit): Extension<AuditSlot>,
    Body(req): Body<SetTier>,
) -> Result<axum::Json<CompanyView>> {
    let id = &ctx.company.id;
    audit.target(id);
    audit.detail("from", ctx.tier.as_str());
    audit.detail("to", req.tier.as_str());
    state.store.set_company_tier(id, req.tier.as_str()).await?;
    let company = state
        .store
        .company(id)
        .await?
        .ok_or(crate::error::Error::NotFound)?;
    Ok(axum::Json(view(&state, &company).await?))
}
