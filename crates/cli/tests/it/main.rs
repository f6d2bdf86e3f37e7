//! Integration tests of the `faktura` binary: one test binary, one module per area.

mod age_shares;
mod audit;
mod convert;
mod hardening;
mod keys;
mod readme;
mod serve;
mod sigkill;
mod validate;
