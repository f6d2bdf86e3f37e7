//! Authentication and authorisation of every request, in one layer.
//!
//! [`authorize`] runs in front of each route with that route's entry of the
//! policy table (`router.rs`). It finds the caller (a session cookie or an
//! API key), checks CSRF on cookie-authenticated writes, resolves the one
//! company the request acts for, and checks the tier's features and the
//! caller's permissions, before the handler sees the request. Handlers read
//! the result as [`Caller`] and [`CompanyCtx`] extensions. A company the
//! caller does not belong to answers exactly like one that does not exist.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Instant;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderName, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse as _, Response};
use faktura_store::platform::{Company, Membership};
use sha2::{Digest as _, Sha256};

use crate::audit_log::AuditSlot;
use crate::error::{Error, Result};
use crate::policy::{BuiltinRole, Permissions, Tier};
use crate::router::{Access, Route};
use crate::state::AppState;

/// The session cookie. The `__Host-` prefix makes browsers insist on
/// `Secure`, `Path=/` and no `Domain`.
pub(crate) const SESSION_COOKIE: &str = "__Host-faktura_session";
/// The CSRF token header of cookie-authenticated writes.
pub(crate) static CSRF_HEADER: HeaderName = HeaderName::from_static("x-csrf-token");
/// Names the company a multi-company login acts for.
pub(crate) static COMPANY_HEADER: HeaderName = HeaderName::from_static("faktura-company");

/// Who is calling.
#[derive(Debug, Clone)]
pub(crate) enum Actor {
    /// A person signed in with a session.
    Login {
        /// `log_…`.
        login_id: String,
        /// SHA-256 of the session token (to end or keep this session).
        session_hash: Vec<u8>,
    },
    /// A program with an API key.
    ApiKey {
        /// `key_…`.
        key_id: String,
        /// The login that created the key.
        created_by: String,
        /// The company the key acts for.
        company_id: String,
        /// The key's scopes, stored form.
        scopes: String,
    },
}

impl Actor {
    /// The actor as written in the audit trail: the login or key id.
    pub(crate) fn audit_name(&self) -> &str {
        match self {
            Self::Login { login_id, .. } => login_id,
            Self::ApiKey { key_id, .. } => key_id,
        }
    }

    /// The login behind the call (the key's creator for an API key).
    pub(crate) fn login_id(&self) -> &str {
        match self {
            Self::Login { login_id, .. } => login_id,
            Self::ApiKey { created_by, .. } => created_by,
        }
    }
}

/// An authenticated caller, for routes of access `Login` and `Company`.
#[derive(Debug, Clone)]
pub(crate) struct Caller {
    /// Who.
    pub(crate) actor: Actor,
}

/// The company a request acts for, with what the caller may do in it.
#[derive(Debug, Clone)]
pub(crate) struct CompanyCtx {
    /// The company row.
    pub(crate) company: Company,
    /// Its tier.
    pub(crate) tier: Tier,
    /// The caller's effective permissions in it.
    pub(crate) permissions: Permissions,
}

/// The source address of a request: the TCP peer, or, when the peer is a
/// configured trusted proxy, the last address it appended to `X-Forwarded-For`.
pub(crate) fn client_ip(headers: &HeaderMap, peer: IpAddr, trusted: &[IpAddr]) -> IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|part| part.trim().parse::<IpAddr>().ok())
        .next_back()
        .unwrap_or(peer)
}

/// SHA-256, the stored form of session, CSRF and invitation tokens.
pub(crate) fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// Microseconds since the epoch, now.
pub(crate) fn now_us() -> i64 {
    i64::try_from(time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1000).unwrap_or(i64::MAX)
}

/// The value of the session cookie, if the request carries one.
pub(crate) fn session_cookie(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value)
}

/// The layer in front of one route: enforces `route`'s access rule.
pub(crate) async fn authorize(
    State((state, route)): State<(AppState, &'static Route)>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    mut request: Request,
    next: Next,
) -> Response {
    let source = client_ip(
        request.headers(),
        peer.ip(),
        &state.settings.trusted_proxies,
    );
    if let Some(slot) = request.extensions().get::<AuditSlot>() {
        slot.note(|n| n.source = Some(source.to_string()));
    }
    match check(&state, route, &mut request).await {
        Ok(()) => next.run(request).await,
        Err(e) => e.into_response(),
    }
}

async fn check(state: &AppState, route: &Route, request: &mut Request) -> Result<()> {
    if request
        .uri()
        .query()
        .is_some_and(|q| q.split('&').any(|p| p.starts_with("api_key=")))
    {
        return Err(Error::BadRequest(
            "API keys are never accepted in the URL (it ends up in logs); send `Authorization: Bearer fk_live_…`"
                .to_owned(),
        ));
    }
    let (permission, feature, api_key_allowed) = match route.access {
        Access::Public => return Ok(()),
        Access::Login => (None, None, false),
        Access::Company {
            permission,
            feature,
            api_key,
        } => (Some(permission), feature, api_key),
    };
    let headers = request.headers().clone();
    let actor = authenticate(state, &headers, request.method()).await?;
    let slot = request.extensions().get::<AuditSlot>().cloned();
    if let Some(slot) = &slot {
        slot.note(|n| n.actor = Some(actor.audit_name().to_owned()));
    }
    if let Actor::ApiKey { key_id, .. } = &actor {
        if !api_key_allowed {
            return Err(Error::SessionRequired);
        }
        state
            .limits
            .api_key
            .take(key_id.clone(), Instant::now())
            .map_err(crate::limit::limited)?;
    }
    let caller = Caller {
        actor: actor.clone(),
    };
    request.extensions_mut().insert(caller);
    let Some(permission) = permission else {
        return Ok(());
    };
    let ctx = resolve_company(state, &headers, &actor).await?;
    if let Some(slot) = &slot {
        slot.note(|n| n.company = Some(ctx.company.id.clone()));
    }
    if matches!(actor, Actor::ApiKey { .. }) && !ctx.tier.has(crate::policy::Feature::ApiAccess) {
        return Err(feature_error(crate::policy::Feature::ApiAccess));
    }
    if let Some(feature) = feature
        && !ctx.tier.has(feature)
    {
        return Err(feature_error(feature));
    }
    if !ctx.permissions.has(permission) {
        return Err(Error::Forbidden {
            permission: permission.as_str(),
        });
    }
    request.extensions_mut().insert(ctx);
    Ok(())
}

fn feature_error(feature: crate::policy::Feature) -> Error {
    Error::FeatureUnavailable {
        feature: feature.as_str(),
        tier: Tier::cheapest_with(feature).as_str(),
    }
}

/// Finds the caller from the bearer key or the session cookie.
async fn authenticate(state: &AppState, headers: &HeaderMap, method: &Method) -> Result<Actor> {
    if let Some(auth) = headers.get(header::AUTHORIZATION) {
        let text = auth.to_str().map_err(|_| Error::Unauthenticated)?;
        let presented = text.strip_prefix("Bearer ").ok_or(Error::Unauthenticated)?;
        let key =
            faktura_crypto::ApiKey::parse(presented.trim()).map_err(|_| Error::Unauthenticated)?;
        let hash = key.hash();
        let record = state
            .store
            .api_key_by_hash(&hash.to_bytes())
            .await?
            .ok_or(Error::Unauthenticated)?;
        // The lookup was by hash; the comparison of the stored hash is constant-time.
        let stored: [u8; 32] = record
            .key_hash
            .as_slice()
            .try_into()
            .map_err(|_| Error::Unauthenticated)?;
        if !key.verify(&faktura_crypto::ApiKeyHash::from_bytes(stored)) {
            return Err(Error::Unauthenticated);
        }
        state.store.touch_api_key(&record.id, now_us()).await?;
        return Ok(Actor::ApiKey {
            key_id: record.id,
            created_by: record.created_by,
            company_id: record.company_id,
            scopes: record.scopes,
        });
    }
    let token = session_cookie(headers).ok_or(Error::Unauthenticated)?;
    let hash = token_hash(token);
    let session = state
        .store
        .session(&hash)
        .await?
        .ok_or(Error::Unauthenticated)?;
    let now = now_us();
    let idle_us = i64::try_from(state.settings.session_idle.as_micros()).unwrap_or(i64::MAX);
    if now >= session.expires_us || now.saturating_sub(session.last_seen_us) >= idle_us {
        state.store.delete_session(&hash).await?;
        return Err(Error::Unauthenticated);
    }
    if is_write(method) {
        check_csrf(headers, &session.csrf_hash)?;
    }
    state.store.touch_session(&hash, now).await?;
    Ok(Actor::Login {
        login_id: session.login_id,
        session_hash: hash,
    })
}

/// Whether a method changes state (and so needs CSRF protection).
pub(crate) fn is_write(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// A cookie-authenticated write must carry the session's CSRF token and, when
/// the browser says where it comes from, come from this very origin.
fn check_csrf(headers: &HeaderMap, stored: &[u8]) -> Result<()> {
    let token = headers
        .get(&CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .ok_or(Error::Csrf)?;
    if !faktura_crypto::ct_eq(&token_hash(token), stored) {
        return Err(Error::Csrf);
    }
    if let Some(origin) = headers.get(header::ORIGIN) {
        let host = headers
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .ok_or(Error::Csrf)?;
        if origin.to_str().ok() != Some(format!("https://{host}").as_str()) {
            return Err(Error::Csrf);
        }
    }
    Ok(())
}

/// The company the request acts for and the caller's permissions in it.
async fn resolve_company(
    state: &AppState,
    headers: &HeaderMap,
    actor: &Actor,
) -> Result<CompanyCtx> {
    let named = headers
        .get(&COMPANY_HEADER)
        .map(|v| v.to_str().map(str::to_owned).map_err(|_| Error::NotFound))
        .transpose()?;
    let (company_id, membership) = match actor {
        Actor::ApiKey {
            created_by,
            company_id,
            ..
        } => {
            if named.as_ref().is_some_and(|n| n != company_id) {
                return Err(Error::NotFound);
            }
            // The key acts for its creator: if they left the company, it is dead.
            let m = state
                .store
                .membership_of(company_id, created_by)
                .await?
                .ok_or(Error::Unauthenticated)?;
            (company_id.clone(), m)
        }
        Actor::Login { login_id, .. } => {
            let m = match named {
                Some(id) => state
                    .store
                    .membership_of(&id, login_id)
                    .await?
                    .ok_or(Error::NotFound)?,
                None => {
                    let mut all = state.store.memberships_of_login(login_id).await?;
                    match (all.pop(), all.is_empty()) {
                        (Some(only), true) => only,
                        (Some(_), false) => return Err(Error::CompanyRequired),
                        (None, _) => return Err(Error::NotFound),
                    }
                }
            };
            (m.company_id.clone(), m)
        }
    };
    let company = state
        .store
        .company(&company_id)
        .await?
        .ok_or(Error::NotFound)?;
    let tier = Tier::parse(&company.tier)
        .ok_or_else(|| Error::Internal(format!("company {company_id} has unknown tier")))?;
    let mut permissions = role_permissions(state, &company_id, &membership).await?;
    if let Actor::ApiKey { scopes, .. } = actor {
        // A key never does more than its scopes, nor more than its creator may now.
        permissions = permissions.intersect(&Permissions::from_stored(scopes));
    }
    Ok(CompanyCtx {
        company,
        tier,
        permissions,
    })
}

/// The permissions a membership's role grants: built-in or the company's own.
pub(crate) async fn role_permissions(
    state: &AppState,
    company_id: &str,
    membership: &Membership,
) -> Result<Permissions> {
    if let Some(role) = BuiltinRole::parse(&membership.role) {
        return Ok(role.permissions());
    }
    Ok(state
        .store
        .role(company_id, &membership.role)
        .await?
        .map(|r| Permissions::from_stored(&r.permissions))
        .unwrap_or_default())
}

/// Shared settings of authentication, from the configuration.
#[derive(Debug, Clone)]
pub(crate) struct AuthSettings {
    /// A session ends after this long without a request.
    pub(crate) session_idle: std::time::Duration,
    /// A session ends this long after sign-in, whatever happens.
    pub(crate) session_absolute: std::time::Duration,
    /// Failed sign-ins before an account is locked.
    pub(crate) lockout_threshold: i64,
    /// The first lock's length; each further failure doubles it.
    pub(crate) lockout_base: std::time::Duration,
    /// The longest lock.
    pub(crate) lockout_max: std::time::Duration,
    /// Proxies whose `X-Forwarded-For` is believed.
    pub(crate) trusted_proxies: Vec<IpAddr>,
    /// Tier of new companies.
    pub(crate) default_tier: Tier,
}

/// The in-memory throttles.
#[derive(Debug)]
pub(crate) struct Limits {
    /// Sign-in attempts per source address.
    pub(crate) login: crate::limit::RateLimiter,
    /// Requests per API key.
    pub(crate) api_key: crate::limit::RateLimiter<String>,
}

/// Shared handle to the limits.
pub(crate) type SharedLimits = Arc<Limits>;
