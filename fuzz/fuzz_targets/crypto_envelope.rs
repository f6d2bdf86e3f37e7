//! Opening arbitrary bytes as a record envelope under a fixed key: never panics, and never
//! opens (a fuzzed envelope that authenticates would be a forgery).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    assert!(
        !faktura_crypto::fuzzing::envelope_open(data),
        "a fuzzed envelope opened under the fixed key"
    );
});
