//! The audit export reader: the first line is a checkpoint verifier key
//! (`CheckpointVerifier::parse`), the rest an export (`export::verify_export`) and, on its
//! own, a signed checkpoint note (`Checkpoint::verify_note`). Never panics.
//!
//! Seeds carry a real key and its export (see `fuzz/README.md`), so the fuzzer reaches the
//! signature, Merkle and hash-chain checks rather than stopping at the key.
#![no_main]

use faktura_audit::export::verify_export;
use faktura_audit::{Checkpoint, CheckpointSigner, CheckpointVerifier};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let (key_line, rest) = match data.iter().position(|&b| b == b'\n') {
        Some(i) => data.split_at(i),
        None => (data, &[][..]),
    };
    let rest = rest.get(1..).unwrap_or_default();
    let verifier = std::str::from_utf8(key_line)
        .ok()
        .and_then(|t| CheckpointVerifier::parse(t).ok());
    let verifier = match verifier {
        Some(v) => v,
        // Keep exploring the export reader under a fixed key.
        None => match CheckpointSigner::from_seed("fuzz", &[7; 32]) {
            Ok(s) => s.verifier(),
            Err(_) => return,
        },
    };
    let _ = verify_export(rest, &verifier);
    if let Ok(note) = std::str::from_utf8(rest) {
        let _ = Checkpoint::verify_note(note, &verifier);
    }
});
