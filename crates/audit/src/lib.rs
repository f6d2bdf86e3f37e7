//! Tamper-evident audit trail: hash chain, RFC 9162 Merkle tree, signed checkpoints, export and verification.
//!
//! Work in progress: see ARCHITECTURE.md for what this crate will hold.
