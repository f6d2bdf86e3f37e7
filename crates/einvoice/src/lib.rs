//! EN 16931 invoice model, calculation, and UBL 2.1 / CII D16B reading and writing.
//!
//! This crate is pure: it does no I/O, no async, no logging and no network
//! access. It does not validate business rules (that is `faktura-validate`)
//! nor package PDFs (that is `faktura-pdf`); it models, computes, reads and
//! writes.
//!
//! # Security
//! Readers take untrusted bytes. They refuse any DOCTYPE (so no entity or DTD
//! is ever expanded), bound the input size, the node count and the nesting
//! depth, and never panic. Nothing here prints invoice content in logs; the
//! `Debug` output of the model is the invoice itself, so do not log it where
//! invoice data must not go.

#![forbid(unsafe_code)]

pub mod builder;
pub mod calc;
mod codelists_data;
pub mod codes;
mod error;
#[doc(hidden)]
pub mod fuzzing;
pub mod model;
pub mod spec;
pub mod syntax;
pub mod types;

pub use codes::{CountryCode, CurrencyCode, InvoiceTypeCode, UnitCode, VatCategory};
pub use error::{Error, ValueError};
pub use model::Invoice;
pub use types::{Amount, Date, Identifier, Percentage, Quantity, UnitPrice};
