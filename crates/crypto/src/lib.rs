//! Key hierarchy, Shamir split-knowledge root key, AEAD sealing, password and API-key hashing.
//!
//! Work in progress: see ARCHITECTURE.md for what this crate will hold.
