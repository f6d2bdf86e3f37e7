//! Thin handlers, one module per resource; routes and their policy are in
//! `router.rs`. Shared here: the JSON body and query extractors (whose
//! rejections become problem+json), list pages and time formatting.

pub(crate) mod access_review;
pub(crate) mod api_keys;
pub(crate) mod audit;
pub(crate) mod companies;
pub(crate) mod health;
pub(crate) mod invitations;
pub(crate) mod me;
pub(crate) mod members;
pub(crate) mod meta;
pub(crate) mod roles;
pub(crate) mod sessions;
pub(crate) mod setup;
pub(crate) mod sys;

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::error::Error;

/// A JSON request body; unknown fields are refused by each type's
/// `deny_unknown_fields`, and every rejection is a problem+json answer.
#[derive(Debug)]
pub(crate) struct Body<T>(pub(crate) T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = Error;

    async fn from_request(req: Request, state: &S) -> Result<Self, Error> {
        let axum::Json(value) = axum::Json::<T>::from_request(req, state).await?;
        Ok(Self(value))
    }
}

/// Query parameters; unknown or malformed ones are a 400 naming the problem.
#[derive(Debug)]
pub(crate) struct Params<T>(pub(crate) T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Params<T> {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Error> {
        let axum::extract::Query(value) =
            axum::extract::Query::<T>::from_request_parts(parts, state)
                .await
                .map_err(|e| Error::BadRequest(e.body_text()))?;
        Ok(Self(value))
    }
}

/// `?limit=&starting_after=`: cursor pagination.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub(crate) struct ListParams {
    /// Rows per page, 1 to 100 (default 25).
    pub(crate) limit: Option<i64>,
    /// The id of the last row of the previous page.
    pub(crate) starting_after: Option<String>,
}

impl ListParams {
    /// The store's page request.
    pub(crate) fn page(&self) -> faktura_store::platform::Page {
        faktura_store::platform::Page {
            after: self.starting_after.clone(),
            limit: self.limit(),
        }
    }

    /// The effective limit.
    pub(crate) fn limit(&self) -> i64 {
        self.limit.unwrap_or(25).clamp(1, 100)
    }
}

/// One page of a list: `{data, has_more, next_cursor}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct List<T> {
    /// The rows of this page.
    pub(crate) data: Vec<T>,
    /// Whether more rows follow.
    pub(crate) has_more: bool,
    /// Pass as `starting_after` for the next page.
    pub(crate) next_cursor: Option<String>,
}

impl<T> List<T> {
    /// A page from `rows` (which may hold one row more than `limit`).
    pub(crate) fn new(mut data: Vec<T>, limit: i64, id: impl Fn(&T) -> String) -> Self {
        let limit = usize::try_from(limit).unwrap_or(25);
        let has_more = data.len() > limit;
        data.truncate(limit);
        let next_cursor = if has_more { data.last().map(id) } else { None };
        Self {
            data,
            has_more,
            next_cursor,
        }
    }
}

/// RFC 3339 UTC text of a µs timestamp.
pub(crate) fn rfc3339(us: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(us) * 1000)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

/// A normalised e-mail address (trimmed, lower-case), or a 422 saying why not.
///
/// # Errors
/// [`Error::Unprocessable`].
pub(crate) fn normalise_email(raw: &str, field: &str) -> Result<String, Error> {
    let email = raw.trim().to_lowercase();
    let valid = email.len() <= 254
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && domain.contains('.') && !domain.starts_with('.')
        })
        && !email
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == ',' || c == '<' || c == '>');
    if valid {
        Ok(email)
    } else {
        Err(Error::Unprocessable(format!(
            "{field}: not an e-mail address like name@example.com"
        )))
    }
}

/// A display name: 1-200 characters, no control characters.
///
/// # Errors
/// [`Error::Unprocessable`].
pub(crate) fn check_name(raw: &str, field: &str) -> Result<String, Error> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
        return Err(Error::Unprocessable(format!(
            "{field}: give 1 to 200 characters without line breaks or control characters"
        )));
    }
    Ok(name.to_owned())
}
