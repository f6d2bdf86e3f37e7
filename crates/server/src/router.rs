//! Every HTTP route, in one table with its access rule, and the layers that
//! frame them.
//!
//! [`ROUTES`] is the authorisation policy: for each method and path, who may
//! call it (public, any signed-in person, or a company member with one
//! permission, optionally only on tiers with a feature, optionally also with
//! an API key) and, for state-changing routes, the audit action. The router
//! is built from the table, so a route cannot exist without a policy; the
//! matrix test reads the same table.
//!
//! Layer order (outermost first): request id + security headers + counting
//! ([`middleware::frame`]), the seal gate ([`middleware::seal_gate`]), the
//! body limit; then per route: the audit layer (writes only), then
//! [`auth::authorize`]. Unknown paths and methods answer problem+json.

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::Method;
use axum::routing::{MethodRouter, delete, get, patch, post, put};

use crate::error::Error;
use crate::handlers::{
    access_review, api_keys, audit, companies, health, invitations, me, members, meta, roles,
    sessions, setup, sys,
};
use crate::policy::{Feature, Permission as P};
use crate::state::AppState;
use crate::{audit_log, auth, idempotency, middleware};

/// Largest request body accepted by any route.
pub(crate) const MAX_BODY_BYTES: usize = 64 * 1024;

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    /// Anyone (health, sign-in, setup, unseal).
    Public,
    /// Any signed-in person (session only), acting for no company.
    Login,
    /// A member of the company the request acts for.
    Company {
        /// The permission the caller's role (and key scopes) must include.
        permission: P,
        /// A feature the company's tier must include.
        feature: Option<Feature>,
        /// Whether an API key may call it (else only a signed-in person).
        api_key: bool,
    },
}

/// One route and its policy.
#[derive(Debug)]
pub(crate) struct Route {
    /// HTTP method.
    pub(crate) method: Method,
    /// Path template as axum writes it (`/api/v1/members/{id}`).
    pub(crate) path: &'static str,
    /// Who may call it.
    pub(crate) access: Access,
    /// The audit action of a state-changing route (empty for reads, and for
    /// the unseal route, which audits each share itself).
    pub(crate) action: &'static str,
    /// The handler.
    handler: fn() -> MethodRouter<AppState>,
}

const fn company(permission: P, api_key: bool) -> Access {
    Access::Company {
        permission,
        feature: None,
        api_key,
    }
}

const fn company_with(permission: P, feature: Feature, api_key: bool) -> Access {
    Access::Company {
        permission,
        feature: Some(feature),
        api_key,
    }
}

macro_rules! route {
    ($method:ident $path:literal, $access:expr, $action:literal, $handler:path) => {
        Route {
            method: Method::$method,
            path: $path,
            access: $access,
            action: $action,
            handler: || route!(@m $method)($handler),
        }
    };
    (@m GET) => { get };
    (@m POST) => { post };
    (@m PUT) => { put };
    (@m PATCH) => { patch };
    (@m DELETE) => { delete };
}

/// The policy table: every route, once.
pub(crate) static ROUTES: &[Route] = &[
    // Public: health, metadata, seal.
    route!(GET "/healthz", Access::Public, "", health::healthz),
    route!(GET "/readyz", Access::Public, "", health::readyz),
    route!(GET "/metrics", Access::Public, "", meta::metrics),
    route!(GET "/.well-known/security.txt", Access::Public, "", meta::security_txt),
    route!(GET "/api/v1/openapi.json", Access::Public, "", meta::openapi),
    route!(GET "/api/v1/sys/seal-status", Access::Public, "", sys::seal_status),
    route!(POST "/api/v1/sys/unseal", Access::Public, "", sys::unseal),
    // Public: first owner, sign-in, accepting an invitation.
    route!(POST "/api/v1/setup", Access::Public, "instance.setup", setup::setup),
    route!(POST "/api/v1/sessions", Access::Public, "session.create", sessions::create),
    route!(POST "/api/v1/invitations/accept", Access::Public, "invitation.accept", invitations::accept),
    // A signed-in person.
    route!(DELETE "/api/v1/sessions/current", Access::Login, "session.delete", sessions::delete),
    route!(GET "/api/v1/me", Access::Login, "", me::get),
    route!(PUT "/api/v1/me/password", Access::Login, "login.password", me::change_password),
    route!(POST "/api/v1/companies", Access::Login, "company.create", companies::create),
    route!(POST "/api/v1/me/totp", Access::Login, "login.totp.start", me::totp_start),
    route!(PUT "/api/v1/me/totp", Access::Login, "login.totp.enable", me::totp_confirm),
    route!(DELETE "/api/v1/me/totp", Access::Login, "login.totp.disable", me::totp_remove),
    // One company.
    route!(GET "/api/v1/company", company(P::CompanyRead, true), "", companies::get),
    route!(PATCH "/api/v1/company", company(P::SettingsManage, true), "company.update", companies::update),
    route!(PUT "/api/v1/company/tier", company(P::BillingManage, false), "company.tier", companies::set_tier),
    route!(GET "/api/v1/members", company(P::MemberRead, true), "", members::list),
    route!(GET "/api/v1/members/{id}", company(P::MemberRead, true), "", members::get),
    route!(PATCH "/api/v1/members/{id}", company(P::MemberManage, true), "member.update", members::update),
    route!(DELETE "/api/v1/members/{id}", company(P::MemberManage, true), "member.remove", members::remove),
    route!(GET "/api/v1/invitations", company(P::MemberRead, true), "", invitations::list),
    route!(POST "/api/v1/invitations", company(P::MemberManage, true), "invitation.create", invitations::create),
    route!(DELETE "/api/v1/invitations/{id}", company(P::MemberManage, true), "invitation.delete", invitations::remove),
    route!(GET "/api/v1/roles", company(P::MemberRead, true), "", roles::list),
    route!(POST "/api/v1/roles", company_with(P::MemberManage, Feature::CustomRoles, true), "role.create", roles::create),
    route!(GET "/api/v1/roles/{id}", company(P::MemberRead, true), "", roles::get),
    route!(PATCH "/api/v1/roles/{id}", company_with(P::MemberManage, Feature::CustomRoles, true), "role.update", roles::update),
    route!(DELETE "/api/v1/roles/{id}", company(P::MemberManage, true), "role.delete", roles::remove),
    route!(GET "/api/v1/api-keys", company_with(P::ApikeyManage, Feature::ApiAccess, true), "", api_keys::list),
    route!(POST "/api/v1/api-keys", company_with(P::ApikeyManage, Feature::ApiAccess, false), "apikey.create", api_keys::create),
    route!(GET "/api/v1/api-keys/{id}", company_with(P::ApikeyManage, Feature::ApiAccess, true), "", api_keys::get),
    route!(DELETE "/api/v1/api-keys/{id}", company(P::ApikeyManage, true), "apikey.revoke", api_keys::revoke),
    route!(GET "/api/v1/audit", company(P::AuditRead, true), "", audit::list),
    route!(GET "/api/v1/access-review", company(P::AccessReview, true), "", access_review::report),
];

/// A route's declared policy in plain data, for the authorisation matrix
/// test and for documentation (`faktura_server::route_policies`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RoutePolicy {
    /// HTTP method, upper case.
    pub method: String,
    /// Path template (`/api/v1/members/{id}`).
    pub path: &'static str,
    /// `public`, `login` or `company`.
    pub access: &'static str,
    /// For company routes: the permission needed.
    pub permission: Option<&'static str>,
    /// For company routes: the tier feature needed, if any.
    pub feature: Option<&'static str>,
    /// For company routes: whether an API key may call it.
    pub api_key: bool,
    /// The audit action of a state-changing route (empty for reads).
    pub action: &'static str,
}

/// Every route's policy, in table order.
#[must_use]
pub fn route_policies() -> Vec<RoutePolicy> {
    ROUTES
        .iter()
        .map(|r| {
            let (access, permission, feature, api_key) = match r.access {
                Access::Public => ("public", None, None, false),
                Access::Login => ("login", None, None, false),
                Access::Company {
                    permission,
                    feature,
                    api_key,
                } => (
                    "company",
                    Some(permission.as_str()),
                    feature.map(Feature::as_str),
                    api_key,
                ),
            };
            RoutePolicy {
                method: r.method.as_str().to_owned(),
                path: r.path,
                access,
                permission,
                feature,
                api_key,
                action: r.action,
            }
        })
        .collect()
}

/// The permissions of a built-in role (`owner`, …), by wire name; `None` for another name.
#[must_use]
pub fn builtin_role_permissions(role: &str) -> Option<Vec<&'static str>> {
    crate::policy::BuiltinRole::parse(role).map(|r| r.permissions().names())
}

/// Whether tier `tier` (`free`, …) includes feature `feature` (`api_access`, …).
#[must_use]
pub fn tier_has_feature(tier: &str, feature: &str) -> Option<bool> {
    let tier = crate::policy::Tier::parse(tier)?;
    [Feature::ApiAccess, Feature::CustomRoles]
        .into_iter()
        .find(|f| f.as_str() == feature)
        .map(|f| tier.has(f))
}

/// Every permission's wire name.
#[must_use]
pub fn all_permissions() -> Vec<&'static str> {
    crate::policy::Permission::ALL
        .map(crate::policy::Permission::as_str)
        .to_vec()
}

/// The OpenAPI 3.1 document of every route.
#[derive(Debug, utoipa::OpenApi)]
#[openapi(
    info(
        title = "Faktura API",
        description = "Self-hosted EN 16931 e-invoicing. Errors are RFC 9457 problem+json. \
            A request acts for one company: an API key's own, or for a signed-in person the one \
            named in the `Faktura-Company` header (optional when they belong to just one). \
            Cookie-authenticated writes need the `X-CSRF-Token` header returned at sign-in."
    ),
    paths(
        health::healthz,
        health::readyz,
        sys::seal_status,
        sys::unseal,
        meta::metrics,
        meta::security_txt,
        meta::openapi,
        setup::setup,
        sessions::create,
        sessions::delete,
        invitations::accept,
        me::get,
        me::change_password,
        me::totp_start,
        me::totp_confirm,
        me::totp_remove,
        companies::create,
        companies::get,
        companies::update,
        companies::set_tier,
        members::list,
        members::get,
        members::update,
        members::remove,
        invitations::list,
        invitations::create,
        invitations::remove,
        roles::list,
        roles::create,
        roles::get,
        roles::update,
        roles::remove,
        api_keys::list,
        api_keys::create,
        api_keys::get,
        api_keys::revoke,
        audit::list,
        access_review::report,
    ),
    components(schemas(crate::error::Problem, crate::seal::SealStatus))
)]
pub(crate) struct ApiDoc;

/// The application: routes from [`ROUTES`], fallbacks and layers.
pub(crate) fn router(state: AppState) -> Router {
    let mut app = Router::new();
    for route in ROUTES {
        let mut method_router = (route.handler)()
            .route_layer(axum::middleware::from_fn_with_state(
                (state.clone(), route),
                idempotency::layer,
            ))
            .route_layer(axum::middleware::from_fn_with_state(
                (state.clone(), route),
                auth::authorize,
            ));
        if !route.action.is_empty() {
            method_router = method_router.route_layer(axum::middleware::from_fn_with_state(
                (state.clone(), route),
                audit_log::record,
            ));
        }
        app = app.route(route.path, method_router);
    }
    app.fallback(|| async { Error::NotFound })
        .method_not_allowed_fallback(|| async { Error::MethodNotAllowed })
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::seal_gate,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::frame,
        ))
        .with_state(state)
}
