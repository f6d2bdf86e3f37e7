//! Integration tests of faktura-einvoice (one test binary, per the workspace layout).

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code: a broken expectation must stop the test with its message"
)]

mod calc;
mod common;
mod hostile;
mod roundtrip;
mod scenarios;
