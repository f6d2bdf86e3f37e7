//! Integration tests of faktura-crypto through its public API only.

mod redaction;
