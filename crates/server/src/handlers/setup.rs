//! `POST /api/v1/setup`: the first owner and company, with the one-time
//! setup token that the first start printed.

use axum::Extension;
use axum::extract::State;
use axum::http::StatusCode;
use faktura_crypto::SecretString;
use faktura_store::{KeyKind, NewKeyMaterial};
use serde::{Deserialize, Serialize};

use super::{Body, check_name, normalise_email};
use crate::audit_log::AuditSlot;
use crate::error::{Error, Problem, Result};
use crate::instance::{SETUP_TOKEN_KIND, setup_token_hash};
use crate::state::AppState;

/// Key-material kind appended when the setup token is used: the unique
/// version makes the use once-only, even across instances.
const SETUP_USED_KIND: &str = "setup-used";

/// The first owner's login and company.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SetupRequest {
    /// The one-time token printed at the first start.
    setup_token: String,
    /// The owner's e-mail address (their sign-in name).
    email: String,
    /// The owner's password, 8 to 128 characters.
    password: String,
    /// The first company's name.
    company_name: String,
}

impl std::fmt::Debug for SetupRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SetupRequest { [redacted] }")
    }
}

/// What setup created.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct SetupResponse {
    /// The owner's login id.
    login_id: String,
    /// The company id.
    company_id: String,
}

/// Creates the first owner and company; works once per instance.
#[utoipa::path(post, path = "/api/v1/setup", tag = "setup",
    request_body = SetupRequest,
    responses(
        (status = 201, description = "Owner and company created; sign in next", body = SetupResponse),
        (status = 401, description = "Wrong setup token", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Setup was done already", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid field", body = Problem, content_type = "application/problem+json")))]
pub(crate) async fn setup(
    State(state): State<AppState>,
    Extension(audit): Extension<AuditSlot>,
    Body(req): Body<SetupRequest>,
) -> Result<(StatusCode, axum::Json<SetupResponse>)> {
    let email = normalise_email(&req.email, "email")?;
    let company_name = check_name(&req.company_name, "company_name")?;
    let password = SecretString::new(req.password);
    crate::passwords::Passwords::check_policy(&password, "password")?;
    let token = SecretString::new(req.setup_token);
    let kind = KeyKind::new(SETUP_TOKEN_KIND)?;
    let stored = state
        .store
        .key_material_latest(&kind, None, faktura_store::keyring::ROOT_PURPOSE)
        .await?
        .ok_or_else(|| {
            Error::Conflict("this instance has no setup token; it was set up by other means".into())
        })?;
    if !faktura_crypto::ct_eq(&setup_token_hash(token.expose_secret()), &stored.wrapped) {
        audit.detail("reason", "wrong setup token");
        return Err(Error::Unauthenticated);
    }
    let used = NewKeyMaterial {
        kind: KeyKind::new(SETUP_USED_KIND)?,
        version: 1,
        company_id: None,
        purpose: faktura_store::keyring::ROOT_PURPOSE.to_owned(),
        wrapped: vec![1],
        created_at: time::OffsetDateTime::now_utc(),
    };
    match state.store.append_key_material(&used).await {
        Ok(_) => {}
        Err(faktura_store::Error::Conflict(_)) => {
            return Err(Error::Conflict(
                "setup was done already; sign in with POST /api/v1/sessions".into(),
            ));
        }
        Err(e) => return Err(e.into()),
    }
    let login_id = super::me::create_login(&state, &email, password).await?;
    audit.note(|n| n.actor = Some(login_id.clone()));
    let company_id = super::companies::create_company(&state, &login_id, &company_name).await?;
    audit.note(|n| n.company = Some(company_id.clone()));
    audit.target(&company_id);
    Ok((
        StatusCode::CREATED,
        axum::Json(SetupResponse {
            login_id,
            company_id,
        }),
    ))
}
