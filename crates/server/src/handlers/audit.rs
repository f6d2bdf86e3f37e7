//! `/api/v1/audit`: not yet implemented in this slice (TEMPORARY STUB, answers 404).

use crate::error::Error;

/// Not yet implemented (stub).
#[utoipa::path(get, path = "/api/v1/audit", responses((status = 404, description = "not yet implemented")))]
pub(crate) async fn list() -> Error {
    Error::NotFound
}
