//! Shamir share combination, share-file parsing and share-set records on arbitrary bytes
//! (`faktura_crypto::fuzzing::shamir_combine`): never panics.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    faktura_crypto::fuzzing::shamir_combine(data);
});
