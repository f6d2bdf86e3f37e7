//! `/api/v1/api-keys`: not yet implemented in this slice (TEMPORARY STUB, answers 404).

use crate::error::Error;

/// Not yet implemented (stub).
#[utoipa::path(get, path = "/api/v1/api-keys", responses((status = 404, description = "not yet implemented")))]
pub(crate) async fn list() -> Error {
    Error::NotFound
}

/// Not yet implemented (stub).
#[utoipa::path(post, path = "/api/v1/api-keys", responses((status = 404, description = "not yet implemented")))]
pub(crate) async fn create() -> Error {
    Error::NotFound
}

/// Not yet implemented (stub).
#[utoipa::path(get, path = "/api/v1/api-keys/{id}", responses((status = 404, description = "not yet implemented")))]
pub(crate) async fn get() -> Error {
    Error::NotFound
}

/// Not yet implemented (stub).
#[utoipa::path(delete, path = "/api/v1/api-keys/{id}", responses((status = 404, description = "not yet implemented")))]
pub(crate) async fn revoke() -> Error {
    Error::NotFound
}
