//! The store's one scenario suite, run on SQLite always and on PostgreSQL when
//! `FAKTURA_TEST_PG_URL` is set (required when `FAKTURA_REQUIRE_PG=1`).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a panic is a test failure with its message"
)]

mod audit;
mod harness;
mod idempotency;
mod key_material;
mod least_privilege;
mod platform;
