//! Native validator for EN 16931, XRechnung, Peppol BIS and Factur-X: official rule ids and verdicts.
//!
//! Work in progress: see ARCHITECTURE.md for what this crate will hold.
