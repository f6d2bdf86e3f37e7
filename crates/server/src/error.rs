//! The one error type of the server, and its one conversion to RFC 9457
//! problem+json.
//!
//! Every variant maps to a status, a stable `type` slug and a title in
//! [`Error::problem_kind`], an exhaustive `match` with no catch-all arm, so a
//! new variant cannot reach the wire unmapped. Share errors from
//! `faktura-crypto` are matched variant by variant as well. 5xx bodies carry
//! only the request id; the cause is logged once, here, with that id.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// Everything that can go wrong in `faktura-server`, at start-up or per request.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The instance is sealed; only health and unseal answer.
    #[error(
        "the instance is sealed: custodians must supply their shares (POST /api/v1/sys/unseal or `faktura unseal`) before it serves requests"
    )]
    Sealed,

    /// No route or resource under this path.
    #[error("nothing exists at this path; check the URL against /api/v1/openapi.json")]
    NotFound,

    /// The route exists but not with this HTTP method.
    #[error("this path does not accept this HTTP method; see /api/v1/openapi.json")]
    MethodNotAllowed,

    /// An unseal share arrived while the instance is already unsealed.
    #[error("the instance is already unsealed; no share is needed")]
    AlreadyUnsealed,

    /// A share offered for unsealing was refused.
    #[error("{0}")]
    Share(faktura_crypto::Error),

    /// Too many requests from this source address; retry after the delay.
    #[error("too many requests from this address; retry in {retry_after_secs} s")]
    RateLimited {
        /// Seconds until the next request is accepted (the `Retry-After` header).
        retry_after_secs: u64,
    },

    /// No credentials, or credentials that do not (or no longer) authenticate.
    #[error(
        "authentication required: sign in with POST /api/v1/sessions, or send an API key as `Authorization: Bearer fk_live_…`"
    )]
    Unauthenticated,

    /// A sign-in failed. The same answer for an unknown address, a wrong
    /// password and a locked account, so nothing can be learnt from it.
    #[error(
        "the e-mail address or password is wrong, or the account is locked for a while after repeated failures; check them and try again later"
    )]
    BadCredentials,

    /// The password was right but the login has a second factor.
    #[error(
        "this login has a second factor: send the current `totp_code` from the authenticator app"
    )]
    TotpRequired,

    /// Authenticated, but the role or API key lacks a permission.
    #[error(
        "your role in this company lacks the permission `{permission}`; ask an owner or admin to grant it"
    )]
    Forbidden {
        /// The missing permission's wire name.
        permission: &'static str,
    },

    /// The company's subscription tier does not include the feature.
    #[error("the `{feature}` feature is not in this company's plan; it is in the `{tier}` plan")]
    FeatureUnavailable {
        /// The feature's wire name.
        feature: &'static str,
        /// The cheapest tier that has it.
        tier: &'static str,
    },

    /// A tier limit (members, …) would be exceeded.
    #[error("this company's plan allows no more {0}; a higher plan raises the limit")]
    LimitReached(String),

    /// A cookie-authenticated write without a valid CSRF token or with a foreign origin.
    #[error(
        "cross-site request refused: send the `X-CSRF-Token` header returned at sign-in, from this site's own origin"
    )]
    Csrf,

    /// The route needs a signed-in person, not an API key.
    #[error("this route needs a signed-in person; API keys act only on company routes")]
    SessionRequired,

    /// The login belongs to several companies and the request names none.
    #[error(
        "this login belongs to several companies: name the one to act for in the `Faktura-Company` header"
    )]
    CompanyRequired,

    /// The request conflicts with the current state.
    #[error("{0}")]
    Conflict(String),

    /// An `Idempotency-Key` was used within 24 hours for another request.
    #[error(
        "this `Idempotency-Key` was used within the last 24 hours for a request with another method, path or body; send a new key for a new request"
    )]
    IdempotencyKeyReused,

    /// A request with this `Idempotency-Key` is still being handled.
    #[error(
        "a request with this `Idempotency-Key` is still being handled; retry with the same key in a moment to get its answer"
    )]
    IdempotencyKeyInFlight,

    /// The request body is not well-formed JSON, or a parameter is malformed.
    #[error("malformed request: {0}")]
    BadRequest(String),

    /// The request is well-formed but its content is invalid (e.g. an unknown field).
    #[error("invalid request: {0}")]
    Unprocessable(String),

    /// The request body does not declare `Content-Type: application/json`.
    #[error("the request body must be JSON: send `Content-Type: application/json`")]
    UnsupportedMediaType,

    /// The request body exceeds the size limit.
    #[error("the request body is larger than the limit of {limit} bytes")]
    PayloadTooLarge {
        /// The limit in bytes.
        limit: usize,
    },

    /// The configuration is unusable; names the key and what to change.
    #[error("configuration: {key}: {reason}")]
    Config {
        /// The configuration key or flag at fault.
        key: String,
        /// What is wrong and what to do.
        reason: String,
    },

    /// The TLS certificate or key could not be loaded or used.
    #[error("TLS: {0}")]
    Tls(String),

    /// A file or socket operation failed.
    #[error("{what}")]
    Io {
        /// What was being done, with the path or address.
        what: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },

    /// The database failed.
    #[error("{0}")]
    Store(#[from] faktura_store::Error),

    /// Key material failed outside of share handling (e.g. a stored KEK does not open).
    #[error("key material: {0}")]
    Crypto(faktura_crypto::Error),

    /// A remote Faktura server refused a request or could not be reached (client side).
    #[error("{0}")]
    Remote(String),

    /// A bug or an impossible state; the message is for the log only.
    #[error("internal error: {0}")]
    Internal(String),
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The wire description of an error kind: status, stable slug, title.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProblemKind {
    /// HTTP status.
    pub status: StatusCode,
    /// Stable slug; the problem `type` is `/problems/<slug>`.
    pub slug: &'static str,
    /// Short human title, the same for every occurrence.
    pub title: &'static str,
}

const fn kind(status: StatusCode, slug: &'static str, title: &'static str) -> ProblemKind {
    ProblemKind {
        status,
        slug,
        title,
    }
}

impl Error {
    /// Status, `type` slug and title of this error.
    #[must_use]
    pub fn problem_kind(&self) -> ProblemKind {
        match self {
            Self::Sealed => kind(
                StatusCode::SERVICE_UNAVAILABLE,
                "sealed",
                "Instance is sealed",
            ),
            Self::NotFound => kind(StatusCode::NOT_FOUND, "not-found", "Not found"),
            Self::MethodNotAllowed => kind(
                StatusCode::METHOD_NOT_ALLOWED,
                "method-not-allowed",
                "Method not allowed",
            ),
            Self::AlreadyUnsealed => kind(
                StatusCode::CONFLICT,
                "already-unsealed",
                "Instance is already unsealed",
            ),
            Self::Share(e) => share_kind(e),
            Self::RateLimited { .. } => kind(
                StatusCode::TOO_MANY_REQUESTS,
                "rate-limited",
                "Too many requests",
            ),
            Self::BadRequest(_) => kind(
                StatusCode::BAD_REQUEST,
                "malformed-request",
                "Malformed request",
            ),
            Self::Unprocessable(_) => kind(
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation-failed",
                "Invalid request",
            ),
            Self::UnsupportedMediaType => kind(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                "Unsupported media type",
            ),
            Self::PayloadTooLarge { .. } => kind(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload-too-large",
                "Request body too large",
            ),
            Self::Unauthenticated => kind(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "Authentication required",
            ),
            Self::BadCredentials => kind(
                StatusCode::UNAUTHORIZED,
                "bad-credentials",
                "Sign-in failed",
            ),
            Self::TotpRequired => kind(
                StatusCode::UNAUTHORIZED,
                "totp-required",
                "Second factor required",
            ),
            Self::Forbidden { .. } => kind(StatusCode::FORBIDDEN, "forbidden", "Not permitted"),
            Self::FeatureUnavailable { .. } => kind(
                StatusCode::FORBIDDEN,
                "feature-unavailable",
                "Not in this plan",
            ),
            Self::LimitReached(_) => kind(
                StatusCode::FORBIDDEN,
                "plan-limit-reached",
                "Plan limit reached",
            ),
            Self::Csrf => kind(StatusCode::FORBIDDEN, "csrf", "Cross-site request refused"),
            Self::SessionRequired => kind(
                StatusCode::FORBIDDEN,
                "session-required",
                "Signed-in person required",
            ),
            Self::CompanyRequired => kind(
                StatusCode::BAD_REQUEST,
                "company-required",
                "Company not named",
            ),
            Self::Conflict(_) => kind(StatusCode::CONFLICT, "conflict", "Conflict"),
            Self::IdempotencyKeyReused => kind(
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency-key-reused",
                "Idempotency key reused",
            ),
            Self::IdempotencyKeyInFlight => kind(
                StatusCode::CONFLICT,
                "idempotency-key-in-flight",
                "Idempotency key in use",
            ),
            Self::Store(e) => store_kind(e),
            Self::Config { .. }
            | Self::Tls(_)
            | Self::Io { .. }
            | Self::Crypto(_)
            | Self::Remote(_)
            | Self::Internal(_) => kind(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "Internal server error",
            ),
        }
    }
}

/// Wire kinds of store errors: the ones a client can cause are 4xx.
fn store_kind(error: &faktura_store::Error) -> ProblemKind {
    use faktura_store::Error as S;
    match error {
        S::NotFound(_) => kind(StatusCode::NOT_FOUND, "not-found", "Not found"),
        S::Conflict(_) | S::LastOwner | S::InUse(_) => {
            kind(StatusCode::CONFLICT, "conflict", "Conflict")
        }
        S::Limit(_) => kind(
            StatusCode::FORBIDDEN,
            "plan-limit-reached",
            "Plan limit reached",
        ),
        S::Open { .. }
        | S::Migrate(_)
        | S::AppendOnly(_)
        | S::Corrupt(_)
        | S::Invalid(_)
        | S::Audit(_)
        | S::Crypto(_)
        | S::Database(_) => kind(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Internal server error",
        ),
    }
}

/// Wire kinds of refused unseal shares, one per `faktura_crypto::Error` variant.
fn share_kind(error: &faktura_crypto::Error) -> ProblemKind {
    use faktura_crypto::Error as C;
    let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
    match error {
        C::Malformed { .. } => kind(unprocessable, "share-malformed", "Share is malformed"),
        C::ForeignShare { .. } => kind(
            unprocessable,
            "share-foreign",
            "Share belongs to another share set",
        ),
        C::DuplicateShare { .. } => kind(
            StatusCode::CONFLICT,
            "share-duplicate",
            "Share already supplied",
        ),
        C::CorruptShare { .. } => kind(
            unprocessable,
            "share-corrupt",
            "Share failed its integrity check",
        ),
        C::RootKeyMismatch => kind(
            unprocessable,
            "share-mismatch",
            "Shares do not reconstruct this instance's key",
        ),
        C::SharePassphrase { .. } => kind(
            unprocessable,
            "share-encrypted",
            "Share is encrypted to a passphrase",
        ),
        C::TooLarge { .. } => kind(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload-too-large",
            "Request body too large",
        ),
        C::NotEnoughShares { .. }
        | C::Decrypt
        | C::InvalidParameters(_)
        | C::UnknownKeyVersion { .. }
        | C::KekInUse(_)
        | C::Rng
        | C::PasswordHash(_)
        | C::Io(_) => kind(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Internal server error",
        ),
    }
}

/// An RFC 9457 problem details body.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// Stable URI reference of the error kind, e.g. `/problems/sealed`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Short title of the kind.
    pub title: String,
    /// HTTP status code.
    pub status: u16,
    /// What happened and what to do about it (generic for 5xx).
    pub detail: String,
    /// The request id, as in the `X-Request-Id` response header and the logs.
    pub instance: String,
}

impl Error {
    /// The problem body for this error, attributed to `request_id`.
    #[must_use]
    pub fn to_problem(&self, request_id: &str) -> Problem {
        let k = self.problem_kind();
        // Internal failures say nothing but the request id; a 503 (sealed)
        // carries no internals and says what to do, so it keeps its message.
        let detail = if let Self::Store(faktura_store::Error::Conflict(_)) = self {
            // The database's own wording names tables and columns: not for clients.
            "this conflicts with an existing record (it exists already); change the request and retry"
                .to_owned()
        } else if k.status == StatusCode::INTERNAL_SERVER_ERROR {
            format!(
                "The server failed to handle this request. Quote request id {request_id} when reporting it."
            )
        } else {
            self.to_string()
        };
        Problem {
            kind: format!("/problems/{}", k.slug),
            title: k.title.to_owned(),
            status: k.status.as_u16(),
            detail,
            instance: request_id.to_owned(),
        }
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let request_id = crate::middleware::current_request_id();
        let problem = self.to_problem(&request_id);
        let status = self.problem_kind().status;
        if status == StatusCode::INTERNAL_SERVER_ERROR {
            tracing::error!(request.id = %request_id, error = %self, "request failed");
        }
        let body = serde_json::to_vec(&problem).unwrap_or_default();
        let mut response = (status, body).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if matches!(self, Self::Unauthenticated) {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"faktura\""),
            );
        }
        if let Self::RateLimited { retry_after_secs } = self {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
        }
        response
    }
}

impl From<axum::extract::rejection::JsonRejection> for Error {
    fn from(rejection: axum::extract::rejection::JsonRejection) -> Self {
        use axum::extract::rejection::JsonRejection as J;
        match rejection {
            J::JsonDataError(e) => Self::Unprocessable(e.body_text()),
            J::JsonSyntaxError(e) => Self::BadRequest(e.body_text()),
            J::MissingJsonContentType(_) => Self::UnsupportedMediaType,
            J::BytesRejection(_) => Self::PayloadTooLarge {
                limit: crate::router::MAX_BODY_BYTES,
            },
            other => Self::BadRequest(other.body_text()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every variant's status and slug, pinned: changing one is a breaking API change.
    #[test]
    fn problem_table_is_pinned() {
        let io = || std::io::Error::other("x");
        let table: Vec<(Error, u16, &str)> = vec![
            (Error::Sealed, 503, "sealed"),
            (Error::NotFound, 404, "not-found"),
            (Error::MethodNotAllowed, 405, "method-not-allowed"),
            (Error::AlreadyUnsealed, 409, "already-unsealed"),
            (
                Error::RateLimited {
                    retry_after_secs: 1,
                },
                429,
                "rate-limited",
            ),
            (Error::BadRequest("x".into()), 400, "malformed-request"),
            (Error::Unprocessable("x".into()), 422, "validation-failed"),
            (Error::UnsupportedMediaType, 415, "unsupported-media-type"),
            (
                Error::PayloadTooLarge { limit: 1 },
                413,
                "payload-too-large",
            ),
            (
                Error::Config {
                    key: "k".into(),
                    reason: "r".into(),
                },
                500,
                "internal",
            ),
            (Error::Tls("x".into()), 500, "internal"),
            (
                Error::Io {
                    what: "x".into(),
                    source: io(),
                },
                500,
                "internal",
            ),
            (
                Error::Store(faktura_store::Error::Invalid("x".into())),
                500,
                "internal",
            ),
            (
                Error::Crypto(faktura_crypto::Error::Decrypt),
                500,
                "internal",
            ),
            (Error::Remote("x".into()), 500, "internal"),
            (Error::Internal("x".into()), 500, "internal"),
        ];
        for (error, status, slug) in table {
            let k = error.problem_kind();
            assert_eq!((k.status.as_u16(), k.slug), (status, slug), "{error:?}");
        }
        use faktura_crypto::Error as C;
        let shares: Vec<(C, u16, &str)> = vec![
            (
                C::Malformed {
                    what: "share",
                    reason: "r",
                },
                422,
                "share-malformed",
            ),
            (
                C::ForeignShare {
                    index: 1,
                    found: "a".into(),
                    expected: "b".into(),
                },
                422,
                "share-foreign",
            ),
            (C::DuplicateShare { index: 1 }, 409, "share-duplicate"),
            (C::CorruptShare { index: 1 }, 422, "share-corrupt"),
            (C::RootKeyMismatch, 422, "share-mismatch"),
            (C::SharePassphrase { index: 1 }, 422, "share-encrypted"),
            (
                C::TooLarge {
                    what: "share",
                    limit: 1,
                },
                413,
                "payload-too-large",
            ),
            (C::NotEnoughShares { have: 1, need: 2 }, 500, "internal"),
            (C::Decrypt, 500, "internal"),
            (C::Rng, 500, "internal"),
        ];
        for (error, status, slug) in shares {
            let k = Error::Share(error).problem_kind();
            assert_eq!((k.status.as_u16(), k.slug), (status, slug));
        }
    }

    #[test]
    fn server_errors_carry_only_the_request_id() {
        let problem = Error::Internal("secret cause /var/lib/x".into()).to_problem("req-1");
        assert_eq!(problem.status, 500);
        assert!(!problem.detail.contains("secret cause"));
        assert!(problem.detail.contains("req-1"));
        assert_eq!(problem.instance, "req-1");
        let problem = Error::Sealed.to_problem("req-2");
        assert!(problem.detail.contains("unseal"));
    }
}
