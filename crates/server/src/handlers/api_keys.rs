//! `/api/v1/api-keys`: keys for programs (SECURITY-MODEL §3).
//!
//! A key is `fk_live_` and a 256-bit secret, shown once in the answer to its
//! creation; only its hash and a short hint are stored, and no later answer
//! carries the key or its hash. A key acts for its company with the
//! permissions both its scopes and its creator's current role grant (see
//! `auth::resolve_company`); it dies when revoked or when its creator leaves
//! the company. Only a signed-in person creates keys (the policy table), and
//! only with scopes they hold themselves.

use axum::Extension;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use faktura_crypto::{ApiKey, OsRng};
use faktura_store::platform::ApiKeyRecord;
use serde::{Deserialize, Serialize};

use super::{Body, List, ListParams, Params, check_name, rfc3339};
use crate::audit_log::AuditSlot;
use crate::auth::{Caller, CompanyCtx, now_us};
use crate::error::{Error, Problem, Result};
use crate::ids::IdKind;
use crate::policy::{Permission, Permissions};
use crate::state::AppState;

/// The sealed-name table of API keys.
const TABLE: &str = "api_key";

/// An API key as lists show it: never the key, never its hash.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct ApiKeyView {
    /// `key_…`.
    id: String,
    /// The name its creator gave it.
    name: String,
    /// Permissions the key may use (never more than its creator's).
    scopes: Vec<String>,
    /// The key's first characters (`fk_live_` and 4 more), to recognise it.
    hint: String,
    /// Creation time (RFC 3339).
    created_at: String,
    /// The login that created it (`log_…`).
    created_by: String,
    /// Last authenticated use (RFC 3339), if any.
    last_used_at: Option<String>,
    /// When it was revoked (RFC 3339), if it was.
    revoked_at: Option<String>,
}

/// The key's name, opened.
pub(crate) async fn key_name(state: &AppState, k: &ApiKeyRecord) -> Result<String> {
    state
        .vault
        .open_text(&k.company_id, TABLE, &k.id, &k.name_sealed)
        .await
}

/// The stored scopes as wire names.
pub(crate) fn scope_names(k: &ApiKeyRecord) -> Vec<String> {
    Permissions::from_stored(&k.scopes)
        .names()
        .into_iter()
        .map(str::to_owned)
        .collect()
}

async fn view(state: &AppState, k: ApiKeyRecord) -> Result<ApiKeyView> {
    Ok(ApiKeyView {
        name: key_name(state, &k).await?,
        scopes: scope_names(&k),
        created_at: rfc3339(k.created_us),
        last_used_at: k.last_used_us.map(rfc3339),
        revoked_at: k.revoked_us.map(rfc3339),
        id: k.id,
        hint: k.hint,
        created_by: k.created_by,
    })
}

/// A new API key.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateApiKey {
    /// A name to recognise the key by (1-200 characters).
    name: String,
    /// Permission names the key may use: a subset of your own.
    scopes: Vec<String>,
}

/// The answer to a key's creation: the only time the key is shown.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct CreatedApiKey {
    /// `key_…`.
    id: String,
    /// The key's name.
    name: String,
    /// Permissions the key may use.
    scopes: Vec<String>,
    /// The key's first characters, as lists show them.
    hint: String,
    /// Creation time (RFC 3339).
    created_at: String,
    /// The key: `Authorization: Bearer fk_live_…`. Shown once; store it now.
    #[serde(serialize_with = "expose_key")]
    #[schema(value_type = String)]
    key: ApiKey,
}

impl std::fmt::Debug for CreatedApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreatedApiKey")
            .field("id", &self.id)
            .field("hint", &self.hint)
            .field("key", &"[redacted]")
            .finish_non_exhaustive()
    }
}

fn expose_key<S: serde::Serializer>(key: &ApiKey, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(key.expose_secret())
}

/// A path id: malformed ones answer like unknown ones.
fn key_id(path: std::result::Result<Path<String>, PathRejection>) -> Result<String> {
    match path {
        Ok(Path(id)) if IdKind::ApiKey.is_valid(&id) => Ok(id),
        _ => Err(Error::NotFound),
    }
}

/// Creates an API key; the answer is the only time the key is shown.
#[utoipa::path(post, path = "/api/v1/api-keys", tag = "api-keys",
    request_body = CreateApiKey,
    responses(
        (status = 201, description = "Created; `key` is shown this once", body = CreatedApiKey),
        (status = 403, description = "A scope you do not hold, or the plan lacks API access", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid name or unknown permission", body = Problem, content_type = "application/problem+json")))]
pub(crate) async fn create(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Extension(ctx): Extension<CompanyCtx>,
    Extension(audit): Extension<AuditSlot>,
    Body(req): Body<CreateApiKey>,
) -> Result<(StatusCode, axum::Json<CreatedApiKey>)> {
    let name = check_name(&req.name, "name")?;
    let scopes = Permissions::from_request(&req.scopes, "scopes")?;
    if let Some(missing) = Permission::ALL
        .into_iter()
        .find(|p| scopes.has(*p) && !ctx.permissions.has(*p))
    {
        // A key never carries more than its creator holds.
        return Err(Error::Forbidden {
            permission: missing.as_str(),
        });
    }
    let company_id = &ctx.company.id;
    let id = IdKind::ApiKey.generate(&OsRng)?;
    audit.target(&id);
    audit.detail("scopes", scopes.names());
    let key = ApiKey::generate(&OsRng).map_err(Error::Crypto)?;
    let record = ApiKeyRecord {
        id: id.clone(),
        company_id: company_id.clone(),
        key_hash: key.hash().to_bytes().to_vec(),
        hint: key.hint(),
        name_sealed: state
            .vault
            .seal(company_id, TABLE, &id, name.as_bytes())
            .await?,
        scopes: scopes.to_stored(),
        created_by: caller.actor.login_id().to_owned(),
        created_us: now_us(),
        last_used_us: None,
        revoked_us: None,
    };
    state.store.create_api_key(&record).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(CreatedApiKey {
            scopes: scope_names(&record),
            created_at: rfc3339(record.created_us),
            hint: record.hint,
            id,
            name,
            key,
        }),
    ))
}

/// The company's API keys, revoked ones included, oldest first.
#[utoipa::path(get, path = "/api/v1/api-keys", tag = "api-keys",
    params(ListParams),
    responses((status = 200, description = "A page of keys (`{data, has_more, next_cursor}`)", body = List<ApiKeyView>)))]
pub(crate) async fn list(
    State(state): State<AppState>,
    Extension(ctx): Extension<CompanyCtx>,
    Params(params): Params<ListParams>,
) -> Result<axum::Json<List<ApiKeyView>>> {
    let rows = state
        .store
        .api_keys(&ctx.company.id, &params.page())
        .await?;
    let mut views = Vec::with_capacity(rows.len());
    for row in rows {
        views.push(view(&state, row).await?);
    }
    Ok(axum::Json(List::new(views, params.limit(), |v| {
        v.id.clone()
    })))
}

/// One API key (never the key itself).
#[utoipa::path(get, path = "/api/v1/api-keys/{id}", tag = "api-keys",
    params(("id" = String, Path, description = "`key_…`")),
    responses(
        (status = 200, description = "The key", body = ApiKeyView),
        (status = 404, description = "No such key in this company", body = Problem, content_type = "application/problem+json")))]
pub(crate) async fn get(
    State(state): State<AppState>,
    Extension(ctx): Extension<CompanyCtx>,
    path: std::result::Result<Path<String>, PathRejection>,
) -> Result<axum::Json<ApiKeyView>> {
    let id = key_id(path)?;
    let record = state
        .store
        .api_key(&ctx.company.id, &id)
        .await?
        .ok_or(Error::NotFound)?;
    Ok(axum::Json(view(&state, record).await?))
}

/// Revokes an API key: its next request is refused (401). Revoking a
/// revoked key changes nothing and answers the same.
#[utoipa::path(delete, path = "/api/v1/api-keys/{id}", tag = "api-keys",
    params(("id" = String, Path, description = "`key_…`")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 404, description = "No such key in this company", body = Problem, content_type = "application/problem+json")))]
pub(crate) async fn revoke(
    State(state): State<AppState>,
    Extension(ctx): Extension<CompanyCtx>,
    Extension(audit): Extension<AuditSlot>,
    path: std::result::Result<Path<String>, PathRejection>,
) -> Result<StatusCode> {
    let id = key_id(path)?;
    audit.target(&id);
    match state
        .store
        .revoke_api_key(&ctx.company.id, &id, now_us())
        .await
    {
        Ok(()) => Ok(StatusCode::NO_CONTENT),
        Err(faktura_store::Error::NotFound(_)) => {
            // Either unknown here, or revoked already (DELETE is idempotent).
            if state.store.api_key(&ctx.company.id, &id).await?.is_some() {
                audit.detail("already_revoked", true);
                Ok(StatusCode::NO_CONTENT)
            } else {
                Err(Error::NotFound)
            }
        }
        Err(e) => Err(e.into()),
    }
}
