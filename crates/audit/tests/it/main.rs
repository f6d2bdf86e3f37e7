//! Integration tests of the audit crate: public vectors, chains, exports, tampering.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test helpers: a panic is a test failure with its message"
)]

mod chain;
mod vectors;
