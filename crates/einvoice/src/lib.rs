//! EN 16931 invoice model, calculation, UBL 2.1 and CII D16B reading and writing (pure, no I/O).
//!
//! Work in progress: see ARCHITECTURE.md for what this crate will hold.
