//! The only crate with SQL: SQLite and PostgreSQL storage.
//!
//! Work in progress: see ARCHITECTURE.md for what this crate will hold.
