//! Integration tests for faktura-pdf: every profile's PDF through the
//! official oracles, extraction against pikepdf, hostile inputs.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test helpers: a failed step must fail the test loudly"
)]

mod hostile;
mod oracle;
mod roundtrip;
mod support;
