//! Integration tests of the `faktura` binary: one test binary, one module per area.

mod audit;
mod convert;
mod keys;
mod serve;
mod validate;
