//! `/api/v1/members`: not yet implemented in this slice (TEMPORARY STUB, answers 404).

use crate::error::Error;

/// Not yet implemented (stub).
#[utoipa::path(get, path = "/api/v1/members", responses((status = 404, description = "not yet implemented")))]
pub(crate) async fn list() -> Error {
    Error::NotFound
}

/// Not yet implemented (stub).
#[utoipa::path(get, path = "/api/v1/members/{id}", responses((status = 404, description = "not yet implemented")))]
pub(crate) async fn get() -> Error {
    Error::NotFound
}

/// Not yet implemented (stub).
#[utoipa::path(patch, path = "/api/v1/members/{id}", responses((status = 404, description = "not yet implemented")))]
pub(crate) async fn update() -> Error {
    Error::NotFound
}

/// Not yet implemented (stub).
#[utoipa::path(delete, path = "/api/v1/members/{id}", responses((status = 404, description = "not yet implemented")))]
pub(crate) async fn remove() -> Error {
    Error::NotFound
}
