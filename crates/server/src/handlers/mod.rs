//! Thin handlers, one module per resource; routes are wired in `router.rs`.

pub(crate) mod health;
pub(crate) mod meta;
pub(crate) mod sys;
